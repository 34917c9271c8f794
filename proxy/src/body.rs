//! HTTP body types of the proxy.
//!
//! [`ProxyBody`] is every response body the proxy sends: a held (complete) body, or a stream
//! that pulls upstream frames through a [`BodyFilter`] as the client reads, so backpressure
//! reaches the upstream and memory stays bounded. Streaming bodies enforce the idle and total
//! timeouts. When the stream cannot complete honestly (upstream reset, timeout, a blocked class
//! found after headers were sent, a decoding failure) the body returns an error: hyper then
//! aborts the HTTP/1.1 connection without the terminating chunk, or resets the HTTP/2 stream,
//! so the client sees a failed transfer and never a truncated body that looks complete.
//!
//! [`ReqBody`] is the request body sent upstream: held and rewritten, or streamed with a cap.
//!
//! Both carry the access-log record ([`LogGuard`]) so the logging phase runs when the exchange
//! really ends, including when the client goes away mid-body.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

use crate::filter::BodyFilter;
use crate::phases::logging::LogGuard;

/// The error type of proxy bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a streamed body was cut off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream aborted: {0}")]
pub struct Aborted(pub &'static str);

/// Why a streamed request body was cut off at the request body cap (a 413; any other
/// [`Aborted`] of a request body is the client's fault, a 400).
pub const OVER_CAP: &str = "request body over the cap";

/// A response body.
pub struct ProxyBody {
    state: State,
    log: Option<LogGuard>,
    /// Set when the body is cut off (the connection's `ConnInfo::reset`).
    reset: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The exchange this body ends, for the connection's idle timeout.
    exchange: Option<crate::server::ActiveExchange>,
}

/// The bytes every held body takes together, against `limits.max_held_total`. Each hold is
/// bounded by its own cap, but not their sum: a hundred slow readers (or HTTP/2 streams
/// with a closed window) each left with a held multi-megabyte response took gigabytes.
#[derive(Debug)]
pub struct HeldBudget {
    used: std::sync::atomic::AtomicU64,
    cap: u64,
}

/// What a held body is charged per byte read while it is held: its raw copy, the filter's
/// output, and the room both take as they grow (a vector doubles), so the budget follows
/// memory rather than data (charged twice, 100 held 7 MiB responses took 4 times the
/// budget). Once the hold is done the charge is the one buffer sent.
pub const HOLD_FACTOR: u64 = 4;

/// A share of the [`HeldBudget`], given back when the body it was taken for is dropped
/// (sent, refused or abandoned).
#[derive(Debug)]
pub struct HeldGuard {
    budget: Arc<HeldBudget>,
    n: u64,
}

impl HeldBudget {
    pub fn new(cap: u64) -> Arc<HeldBudget> {
        Arc::new(HeldBudget {
            used: std::sync::atomic::AtomicU64::new(0),
            cap,
        })
    }

    /// Bytes held now.
    pub fn used(&self) -> u64 {
        self.used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Takes `n` more bytes into `guard` (started when `None`); false, taking nothing, when
    /// that would pass the cap.
    pub fn reserve(self: &Arc<Self>, guard: &mut Option<HeldGuard>, n: u64) -> bool {
        use std::sync::atomic::Ordering;
        let fits = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                u.checked_add(n).filter(|t| *t <= self.cap)
            })
            .is_ok();
        if !fits {
            return false;
        }
        guard
            .get_or_insert_with(|| HeldGuard {
                budget: self.clone(),
                n: 0,
            })
            .n += n;
        true
    }
}

impl HeldGuard {
    /// Gives back `n` bytes of the share (memory the body no longer takes).
    pub fn release(&mut self, n: u64) {
        self.shrink_to(self.n.saturating_sub(n));
    }

    /// Gives back all but `n` bytes (what is left once a hold is done: the one buffer sent).
    pub fn shrink_to(&mut self, n: u64) {
        if n < self.n {
            self.budget
                .used
                .fetch_sub(self.n - n, std::sync::atomic::Ordering::Relaxed);
            self.n = n;
        }
    }
}

/// A held body's bytes that keep their share of the budget for as long as they exist:
/// hyper hands a body's frame to its connection (an HTTP/2 stream's send buffer, waiting
/// for the client's window) and drops the body long before the bytes are gone.
///
/// Bytes still alive at `deadline` (the exchange's total timeout) mean a client that does
/// not take its response: an HTTP/2 client withholding flow-control credit keeps its
/// connection writable, so no write ever stalls, and one that reads a little every idle
/// period never lets one stall long. Then `close` is notified, which closes the connection
/// and frees the bytes; an exchange may not outlive its total timeout, held or streamed.
pub fn held_bytes(
    v: Vec<u8>,
    guard: Option<HeldGuard>,
    deadline: Instant,
    close: &Arc<tokio::sync::Notify>,
) -> Bytes {
    // The guard is held only to be dropped with the bytes, and so is the sender whose drop
    // ends the deadline's watch (a delivered body leaves no task or timer behind).
    struct Owned(
        Vec<u8>,
        #[allow(dead_code)] HeldGuard,
        #[allow(dead_code)] tokio::sync::oneshot::Sender<()>,
    );
    impl AsRef<[u8]> for Owned {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
    match guard {
        Some(mut g) => {
            // A vector grown by doubling may hold twice its length, for as long as a slow
            // client takes to read it.
            let mut v = v;
            if v.capacity() > v.len() + v.len() / 8 {
                v.shrink_to_fit();
            }
            g.shrink_to(v.len() as u64);
            let (alive, gone) = tokio::sync::oneshot::channel::<()>();
            let close = close.clone();
            tokio::spawn(async move {
                // Delivered bytes win a tie with the deadline: closing the connection then
                // would cut its other exchanges for nothing.
                tokio::select! {
                    biased;
                    _ = gone => {}
                    () = tokio::time::sleep_until(deadline) => close.notify_one(),
                }
            });
            Bytes::from_owner(Owned(v, g, alive))
        }
        None => Bytes::from(v),
    }
}

impl Drop for HeldGuard {
    fn drop(&mut self) {
        self.budget
            .used
            .fetch_sub(self.n, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whether a body that has just ended was cut short. hyper ends an HTTP/2 body at a
/// `RST_STREAM(NO_ERROR)` as it does at `END_STREAM`: RFC 9113 §8.1 lets a server stop a
/// request's upload so once its response is complete, and hyper reads the reset the same
/// way whenever it comes. Before `END_STREAM` it cuts the body short, and a truncated body
/// that ends cleanly would carry the head of a value (the 17 digits that decide an ID's
/// check digit) to a client on a path that blocks. h2 says whether `END_STREAM` came.
pub(crate) fn cut_short(body: &Incoming, h2: bool) -> bool {
    h2 && !body.is_end_stream()
}

enum State {
    Full(Option<Bytes>),
    Stream(Box<Streaming>),
}

/// A streamed upstream body, filtered on the way.
pub struct Streaming {
    inner: Incoming,
    /// The body comes over HTTP/2 (see [`cut_short`]).
    h2: bool,
    filter: Option<BodyFilter>,
    pending: Option<Bytes>,
    trailers: Option<HeaderMap>,
    idle: Duration,
    idle_sleep: Pin<Box<Sleep>>,
    deadline: Pin<Box<Sleep>>,
    ended: bool,
    charge: Option<StreamCharge>,
}

/// The quotas a streamed response still owes. A body that is not held (a type streamed by
/// default, or one past its hold buffer) can no longer be refused, but what it carried must
/// count against the consumer's next requests: its bytes and findings are charged once it
/// ends, however it ends (completed, aborted, the client gone).
pub struct StreamCharge {
    pub limiter: Arc<crate::limits::Limiter>,
    pub iface: Arc<str>,
    pub consumer: Arc<str>,
    /// Fingerprints charged already (while the body was held).
    pub charged: usize,
    /// Decoded bytes charged already.
    pub decoded: u64,
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let (Some(c), Some(f)) = (self.charge.take(), self.filter.as_ref()) else {
            return;
        };
        let all = f.fingerprints();
        let fps = &all[c.charged.min(all.len())..];
        let bytes = f.decoded_total().saturating_sub(c.decoded);
        if bytes > 0 || !fps.is_empty() {
            let _ = c.limiter.record_response_fps(
                &c.iface,
                &c.consumer,
                bytes,
                fps,
                Instant::now(),
                false,
            );
        }
    }
}

impl Streaming {
    /// Streams `inner` (over HTTP/2 if `h2`), first sending `pending` (output already
    /// produced while holding).
    pub fn new(
        inner: Incoming,
        h2: bool,
        filter: Option<BodyFilter>,
        pending: Option<Bytes>,
        idle: Duration,
        deadline: Instant,
    ) -> Self {
        Streaming {
            inner,
            h2,
            filter,
            pending,
            trailers: None,
            idle,
            idle_sleep: Box::pin(tokio::time::sleep(idle)),
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            ended: false,
            charge: None,
        }
    }

    /// Trailers already read (and inspected) while priming: they end the body after the
    /// rest of it, as if read in turn.
    pub fn trailing(mut self, t: Option<HeaderMap>) -> Self {
        self.trailers = t;
        self
    }

    /// Charges the quotas with what the rest of the body carries, once it ends.
    pub fn charging(mut self, c: Option<StreamCharge>) -> Self {
        self.charge = c;
        self
    }
}

impl ProxyBody {
    /// A complete body.
    pub fn full(b: impl Into<Bytes>, log: Option<LogGuard>) -> Self {
        ProxyBody {
            state: State::Full(Some(b.into())),
            log,
            reset: None,
            exchange: None,
        }
    }

    /// An empty body.
    pub fn empty(log: Option<LogGuard>) -> Self {
        ProxyBody {
            state: State::Full(None),
            log,
            reset: None,
            exchange: None,
        }
    }

    /// A streamed body.
    pub fn stream(s: Streaming, log: Option<LogGuard>) -> Self {
        ProxyBody {
            state: State::Stream(Box::new(s)),
            log,
            reset: None,
            exchange: None,
        }
    }

    /// Keeps `exchange` open until this body is dropped (sent whole, cut off or abandoned).
    pub fn carrying(mut self, exchange: crate::server::ActiveExchange) -> Self {
        self.exchange = Some(exchange);
        self
    }

    /// Marks `flag` when this body is cut off, so the HTTP/1 connection carrying it is reset
    /// rather than closed cleanly.
    pub fn reset_on_abort(&mut self, flag: Arc<std::sync::atomic::AtomicBool>) {
        self.reset = Some(flag);
    }

    fn abort(&mut self, reason: &'static str) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(r) = &self.reset {
            r.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(l) = self.log.as_mut() {
            l.record.aborted = Some(reason);
        }
        if let State::Stream(s) = &mut self.state {
            s.ended = true;
            if let Some(l) = self.log.as_mut() {
                if let Some(f) = &s.filter {
                    l.record.response_findings = Some(f.summary().clone());
                }
            }
        }
        self.state = State::Full(None);
        Poll::Ready(Some(Err(Box::new(Aborted(reason)))))
    }

    fn sent(&mut self, n: usize) {
        if let Some(l) = self.log.as_mut() {
            l.record.bytes_out += n as u64;
        }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let s = match &mut this.state {
            State::Full(b) => {
                let b = b.take();
                if let Some(b) = &b {
                    let n = b.len();
                    this.sent(n);
                }
                // A full body goes out as one frame, and with its exact length known hyper
                // does not poll again after it: the exchange is complete once it is handed
                // over (otherwise every held response would be logged as `client_gone`).
                if let Some(l) = this.log.as_mut() {
                    l.record.completed = true;
                }
                return Poll::Ready(b.map(|b| Ok(Frame::data(b))));
            }
            State::Stream(s) => s,
        };
        if let Some(b) = s.pending.take() {
            if !b.is_empty() {
                let n = b.len();
                this.sent(n);
                return Poll::Ready(Some(Ok(Frame::data(b))));
            }
        }
        if s.ended {
            let t = s.trailers.take();
            if t.is_none() {
                if let Some(l) = this.log.as_mut() {
                    l.record.completed = true;
                    if let Some(f) = &s.filter {
                        l.record.response_findings = Some(f.summary().clone());
                    }
                }
            }
            return Poll::Ready(t.map(|t| Ok(Frame::trailers(t))));
        }
        loop {
            if s.deadline.as_mut().poll(cx).is_ready() {
                return this.abort("total timeout");
            }
            match Pin::new(&mut s.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let next = Instant::now() + s.idle;
                    s.idle_sleep.as_mut().reset(next);
                    let data = match frame.into_data() {
                        Ok(d) => d,
                        Err(frame) => {
                            if let Ok(mut t) = frame.into_trailers() {
                                // `grpc-message`, `x-checksum`: trailers carry values too.
                                if s.filter.as_mut().is_some_and(|f| f.scan_trailers(&mut t)) {
                                    return this.abort("blocked after headers were sent");
                                }
                                // A digest trailer is of the origin's body, not this one.
                                if s.filter.is_some() {
                                    crate::headers::drop_digests(&mut t);
                                }
                                s.trailers = Some(t);
                            }
                            continue;
                        }
                    };
                    if let Some(l) = this.log.as_mut() {
                        l.record.bytes_in += data.len() as u64;
                    }
                    let Some(f) = s.filter.as_mut() else {
                        let n = data.len();
                        this.sent(n);
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    };
                    if f.observe_only() {
                        if f.observe(&data).is_err() {
                            return this.abort("undecodable body");
                        }
                        if f.must_block() {
                            return this.abort("blocked after headers were sent");
                        }
                        let n = data.len();
                        this.sent(n);
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    let mut out = Vec::new();
                    if let Err(e) = f.push(&data, &mut out, true) {
                        let bomb = e.is_bomb();
                        return this.abort(if bomb {
                            "decompression bomb"
                        } else {
                            "undecodable body"
                        });
                    }
                    if f.must_block() {
                        return this.abort("blocked after headers were sent");
                    }
                    if !out.is_empty() {
                        let n = out.len();
                        this.sent(n);
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                    }
                }
                Poll::Ready(Some(Err(_))) => return this.abort("upstream reset mid-body"),
                Poll::Ready(None) if cut_short(&s.inner, s.h2) => {
                    return this.abort("upstream reset mid-body")
                }
                Poll::Ready(None) => {
                    s.ended = true;
                    let mut out = Vec::new();
                    if let Some(f) = s.filter.as_mut() {
                        let r = if f.observe_only() {
                            f.observe_finish()
                        } else {
                            f.finish(&mut out)
                        };
                        if r.is_err() {
                            return this.abort("undecodable body");
                        }
                        if f.must_block() {
                            return this.abort("blocked after headers were sent");
                        }
                    }
                    if !out.is_empty() {
                        let n = out.len();
                        this.sent(n);
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                    }
                    let t = s.trailers.take();
                    if t.is_none() {
                        if let Some(l) = this.log.as_mut() {
                            l.record.completed = true;
                            if let Some(f) = &s.filter {
                                l.record.response_findings = Some(f.summary().clone());
                            }
                        }
                    }
                    return Poll::Ready(t.map(|t| Ok(Frame::trailers(t))));
                }
                Poll::Pending => {
                    if s.idle_sleep.as_mut().poll(cx).is_ready() {
                        return this.abort("upstream idle timeout");
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.state {
            State::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            State::Full(None) => SizeHint::with_exact(0),
            State::Stream(_) => SizeHint::default(),
        }
    }
}

/// A request body sent upstream.
pub enum ReqBody {
    /// Held (and possibly rewritten) body.
    Full(Option<Bytes>),
    /// Streamed, uninspected body, cut off past `remaining` bytes; `h2` when it comes
    /// over HTTP/2 (see [`cut_short`]).
    Stream {
        inner: Incoming,
        remaining: u64,
        h2: bool,
    },
}

impl ReqBody {
    /// An empty body.
    pub fn empty() -> Self {
        ReqBody::Full(None)
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ReqBody::Full(b) => Poll::Ready(
                b.take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            ReqBody::Stream {
                inner,
                remaining,
                h2,
            } => match Pin::new(&mut *inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(f))) => {
                    if let Some(d) = f.data_ref() {
                        let n = d.len() as u64;
                        if n > *remaining {
                            return Poll::Ready(Some(Err(Box::new(Aborted(OVER_CAP)))));
                        }
                        *remaining -= n;
                    }
                    Poll::Ready(Some(Ok(f)))
                }
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
                Poll::Ready(None) if cut_short(inner, *h2) => Poll::Ready(Some(Err(Box::new(
                    Aborted("request body reset before its end"),
                )))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReqBody::Full(b) => b.as_ref().is_none_or(|b| b.is_empty()),
            ReqBody::Stream { inner, .. } => inner.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReqBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            ReqBody::Stream { inner, .. } => inner.size_hint(),
        }
    }
}
