//! The downstream listener: TCP accept, optional TLS (ALPN, mTLS identity), HTTP/1.1 and
//! HTTP/2 (h2c by prior knowledge on plain TCP) through hyper-util's auto connection builder,
//! a connection cap, and graceful shutdown.
//!
//! Shutdown: stop accepting, ask every connection to finish (HTTP/1.1 closes after the
//! in-flight response, HTTP/2 sends GOAWAY), wait up to `listen.shutdown_grace`. In-flight
//! requests therefore complete when they can within the bound. At the bound, a request whose
//! response has not started gets a 503 problem (`Proxy::handle`), written within a short
//! flush ([`FLUSH`]); a connection carrying a response already under way is dropped, which
//! aborts it (its head is out, so an aborted transfer is the only honest signal left; on
//! HTTP/2 that takes the connection's other streams with it).
//!
//! Idle connections: a connection with no exchange in flight for `timeouts.idle` (before its
//! first request, `timeouts.client_header` if longer) is asked to finish as at shutdown
//! (HTTP/2: GOAWAY). An HTTP/2 client that answers the server's PINGs would otherwise keep
//! its connection for ever, and enough of them would hold every `max_connections` permit.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::config::Config;
use crate::phases::logging::Stats;
use crate::phases::{ConnInfo, Proxy};
use crate::tls::ClientIdentity;

/// A running proxy (for `sluice run`, the demo and tests).
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// Counters.
    pub stats: Arc<Stats>,
    /// The admin listener's address, when `admin` is configured.
    pub admin_addr: Option<SocketAddr>,
    /// The proxy (tests reload it and read its state).
    pub proxy: Arc<Proxy>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// Admin listener, reload watcher and heap trimmer; stopped with the proxy.
    aux: Vec<JoinHandle<()>>,
}

impl Running {
    /// Starts graceful shutdown and waits for it (bounded by `listen.shutdown_grace`).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        for t in &self.aux {
            t.abort();
        }
        let proxy = self.proxy.clone();
        let _ = tokio::task::spawn_blocking(move || proxy.flush_audit()).await;
    }

    /// Waits until the server stops by itself (it does not, unless shut down).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Binds and starts serving `cfg` on the current Tokio runtime.
///
/// # Errors
/// Rule packs, TLS files, or the listen address cannot be loaded / bound.
pub async fn start(cfg: Config) -> anyhow::Result<Running> {
    let tls = match &cfg.listen.tls {
        Some(t) => Some(TlsAcceptor::from(
            crate::tls::server_config(t, cfg.listen.http2).map_err(|e| {
                anyhow::anyhow!(
                    "{}key `listen.tls`: {e}",
                    crate::config::located(&cfg, "listen.tls")
                )
            })?,
        )),
        None => None,
    };
    let listener = TcpListener::bind(cfg.listen.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen.addr))?;
    let addr = listener.local_addr()?;
    let proxy = Arc::new(Proxy::build(cfg)?);
    let stats = proxy.stats.clone();
    let mut aux = Vec::new();
    let admin_addr = match proxy.cfg.admin.clone() {
        Some(a) => {
            let admin = crate::admin::start(proxy.clone(), &a).await?;
            aux.push(admin.task);
            Some(admin.addr)
        }
        None => None,
    };
    aux.push(crate::reload::spawn(proxy.clone()));
    aux.push(crate::memory::spawn(stats.clone()));
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(serve(listener, tls, proxy.clone(), async {
        let _ = rx.await;
    }));
    Ok(Running {
        addr,
        stats,
        admin_addr,
        proxy,
        shutdown: Some(tx),
        task,
        aux,
    })
}

fn builder(cfg: &Config) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    // The codecs refuse a head over twice the configured limits with a bare 431 (or a
    // reset); one over the limits but under twice them is parsed, and refused with a
    // problem body by `headers::head_problem`. The request line shares the HTTP/1.1 buffer.
    let max_bytes = cfg.limits.max_header_bytes.saturating_mul(2);
    let max_buf = usize::try_from(max_bytes).unwrap_or(usize::MAX).max(8192);
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(cfg.timeouts.client_header)
        .max_buf_size(max_buf)
        .max_headers(cfg.limits.max_headers.saturating_mul(2))
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(max_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(256)
        .keep_alive_interval(Some(std::time::Duration::from_secs(30)));
    if !cfg.listen.http2 {
        b = b.http1_only();
    }
    b
}

/// The downstream TCP stream, reset (RST) instead of closed (FIN) when a response body on it
/// was cut off (`ConnInfo::reset`). An HTTP/1.0 body without a length ends at the close,
/// so a clean close after an upstream reset mid-body would make a truncated body look
/// complete; a reset tells any client the transfer failed. (HTTP/1.1 bodies are chunked and
/// lack their last chunk either way.)
struct Resetting {
    inner: std::pin::Pin<Box<tokio_io_timeout::TimeoutStream<tokio::net::TcpStream>>>,
    reset: Arc<AtomicBool>,
}

impl Drop for Resetting {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Relaxed) {
            // Zero linger: the close that follows sends RST and drops unsent data. (Tokio
            // deprecates `set_linger` because a non-zero linger blocks the thread in
            // `close`; a zero one returns at once.)
            #[allow(deprecated)]
            let _ = self
                .inner
                .get_ref()
                .set_linger(Some(std::time::Duration::ZERO));
        }
    }
}

impl tokio::io::AsyncRead for Resetting {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.inner.as_mut().poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Resetting {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.inner.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.inner.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.reset.load(Ordering::Relaxed) {
            // No FIN first: the reset at drop is the whole answer.
            return std::task::Poll::Ready(Ok(()));
        }
        self.inner.as_mut().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.inner.as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

fn conn_info(
    remote: SocketAddr,
    tls: bool,
    identity: Option<ClientIdentity>,
    reset: Arc<AtomicBool>,
) -> ConnInfo {
    ConnInfo {
        remote,
        tls,
        identity,
        close: Arc::new(Notify::new()),
        reset,
    }
}

/// The exchanges a connection carries, and since when it has carried none.
pub struct ConnActivity {
    active: AtomicUsize,
    /// Exchanges whose response started before the drain bound and is still being sent:
    /// at the bound, a connection with one is dropped (the response aborted).
    responding: AtomicUsize,
    /// Whether an exchange has begun: before the first, the request head's own timeout
    /// (`timeouts.client_header`) may be the longer one, and a slow head is not idleness.
    begun: AtomicBool,
    /// Milliseconds from `epoch` to when the last exchange ended.
    idle_since: AtomicU64,
    epoch: Instant,
}

/// How long, past the drain bound, the 503s answered then have to be written before what
/// is left is dropped: a small problem body, written at once to any client still reading.
const FLUSH: Duration = Duration::from_secs(1);

/// One exchange on a connection, from its request to the end of its response body (the
/// body holds it: [`crate::body::ProxyBody::carrying`]); `true` once its response has
/// started before the drain bound.
pub struct ActiveExchange(Arc<ConnActivity>, bool);

impl ConnActivity {
    fn new() -> Arc<Self> {
        Arc::new(ConnActivity {
            active: AtomicUsize::new(0),
            responding: AtomicUsize::new(0),
            begun: AtomicBool::new(false),
            idle_since: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    fn begin(self: &Arc<Self>) -> ActiveExchange {
        self.active.fetch_add(1, Ordering::AcqRel);
        self.begun.store(true, Ordering::Release);
        ActiveExchange(self.clone(), false)
    }

    /// How long the connection has carried no exchange; `None` while it carries one.
    fn idle_for(&self) -> Option<Duration> {
        if self.active.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = Duration::from_millis(self.idle_since.load(Ordering::Acquire));
        Some(self.epoch.elapsed().saturating_sub(since))
    }
}

impl ActiveExchange {
    /// Marks the exchange's response as started (its head is being sent).
    fn responding(mut self) -> Self {
        if !self.1 {
            self.0.responding.fetch_add(1, Ordering::AcqRel);
            self.1 = true;
        }
        self
    }
}

impl Drop for ActiveExchange {
    fn drop(&mut self) {
        if self.1 {
            self.0.responding.fetch_sub(1, Ordering::AcqRel);
        }
        let now = u64::try_from(self.0.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.idle_since.store(now, Ordering::Release);
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one connection (plain, or TLS once its handshake is done) until it ends, or until
/// a held response on it is still undelivered at its exchange's deadline (`close`, from
/// [`crate::body::held_bytes`]): the connection is then dropped, which closes it and frees
/// what it held. Shutdown (`stop`), and `idle` without an exchange, ask it to finish.
async fn serve_one<IO>(
    io: IO,
    info: ConnInfo,
    proxy: Arc<Proxy>,
    builder: &auto::Builder<TokioExecutor>,
    mut stop: watch::Receiver<bool>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let remote = info.remote;
    let close = info.close.clone();
    let idle = proxy.cfg.timeouts.idle;
    let first_head = proxy.cfg.timeouts.client_header.max(idle);
    let activity = ConnActivity::new();
    let exchanges = activity.clone();
    let mut expired = proxy.drain_expired.subscribe();
    let svc = service_fn(move |req| {
        let exchange = exchanges.begin();
        let proxy = proxy.clone();
        let handled = proxy.clone().handle(req, info.clone());
        async move {
            let r = handled.await;
            // A response ready after the drain bound is the 503 it answered (or one that
            // made it just in time): it is let out within the flush. One ready before it is
            // under way when the bound passes, and is aborted then.
            let exchange = if proxy.drain_expired() {
                exchange
            } else {
                exchange.responding()
            };
            r.map(|resp| resp.map(|body| body.carrying(exchange)))
        }
    });
    let conn = builder
        .serve_connection_with_upgrades(TokioIo::new(io), svc)
        .into_owned();
    tokio::pin!(conn);
    let idle_check = tokio::time::sleep(idle);
    tokio::pin!(idle_check);
    let mut finishing = *stop.borrow();
    let mut expiring = false;
    if finishing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%remote, "connection ended: {e}");
                }
                return;
            }
            () = close.notified() => {
                tracing::info!(
                    %remote,
                    "closing a connection whose held response was not taken by the total timeout"
                );
                return;
            }
            _ = stop.changed(), if !finishing => {
                finishing = true;
                conn.as_mut().graceful_shutdown();
            }
            Ok(_) = expired.wait_for(|e| *e), if !expiring => {
                expiring = true;
                if activity.responding.load(Ordering::Acquire) > 0 {
                    tracing::debug!(%remote, "drain bound reached mid-response; aborting it");
                    return;
                }
            }
            () = &mut idle_check, if !finishing => {
                let idle = if activity.begun.load(Ordering::Acquire) { idle } else { first_head };
                match activity.idle_for() {
                    Some(d) if d >= idle => {
                        tracing::debug!(%remote, "no exchange for {idle:?}; closing the connection");
                        finishing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    Some(d) => idle_check.as_mut().reset((Instant::now() + (idle - d)).into()),
                    None => idle_check.as_mut().reset((Instant::now() + idle).into()),
                }
            }
        }
    }
}

async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    proxy: Arc<Proxy>,
    shutdown: impl Future<Output = ()>,
) {
    let builder = Arc::new(builder(&proxy.cfg));
    // Shutdown's signal to the connections, and their count (this one's strong count less
    // one: each connection's task holds a clone).
    let (stop, _) = watch::channel(false);
    let live = Arc::new(());
    let permits = Arc::new(Semaphore::new(proxy.cfg.listen.max_connections));
    let handshake_timeout = proxy.cfg.timeouts.client_header;
    let write_stall = proxy.cfg.timeouts.idle;
    let grace = proxy.cfg.listen.shutdown_grace;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let proxy = proxy.clone();
        let builder = builder.clone();
        let stopping = stop.subscribe();
        let held = live.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _live = held;
            // A connection that sends nothing holds a permit of `max_connections` for as
            // long as it stays open: the HTTP/1.1 codec's header timeout only starts with
            // the first byte, so the first byte (a request line, a preface, a ClientHello)
            // must come within the header timeout too.
            // (`peek`, not `readable`, which may report a fresh socket ready before any
            // byte came.)
            let mut first = [0u8; 1];
            if tokio::time::timeout(handshake_timeout, stream.peek(&mut first))
                .await
                .is_err()
            {
                tracing::debug!(%remote, "no request within the header timeout; closing");
                return;
            }
            // A client that stops reading would keep what was written for it (a held
            // response is its whole body, counted against `limits.max_held_total`) for as
            // long as it keeps the connection open: no write to its socket may wait longer
            // than the idle timeout. (An HTTP/2 client that withholds flow-control credit on
            // a writable connection, or one that reads a little every period, is caught by
            // the held response's deadline instead: `serve_one`.)
            let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
            stream.set_write_timeout(Some(write_stall));
            let reset = Arc::new(AtomicBool::new(false));
            let stream = Resetting {
                inner: Box::pin(stream),
                reset: reset.clone(),
            };
            match tls {
                None => {
                    let info = conn_info(remote, false, None, reset);
                    serve_one(stream, info, proxy, &builder, stopping).await;
                }
                Some(acceptor) => {
                    let stream = match tokio::time::timeout(
                        handshake_timeout,
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(%remote, "TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%remote, "TLS handshake timed out");
                            return;
                        }
                    };
                    let identity = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .and_then(|c| ClientIdentity::from_der(c.as_ref()));
                    let info = conn_info(remote, true, identity, reset);
                    serve_one(stream, info, proxy, &builder, stopping).await;
                }
            }
        });
    }
    drop(listener);
    proxy
        .draining
        .store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!("shutting down: draining in-flight requests (up to {grace:?})");
    let _ = stop.send(true);
    let drained = async {
        while Arc::strong_count(&live) > 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!(
            "drain bound reached; answering 503 to requests not yet answered, aborting responses under way"
        );
        proxy.drain_expired.send_replace(true);
        let flushed = async {
            while Arc::strong_count(&live) > 1 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let _ = tokio::time::timeout(FLUSH, flushed).await;
    }
}
