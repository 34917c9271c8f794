//! Shared end-to-end test support: an in-process hyper upstream with scriptable handlers,
//! the proxy started in process from a YAML snippet, raw clients, and test certificates made
//! at test time with rcgen.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub type UpBody = BoxBody<Bytes, std::io::Error>;

/// A valid 18-digit resident ID (checksum OK) and a mobile number, used as the sensitive values.
pub const ID: &str = "11010519491231002X";
pub const MOBILE: &str = "13800138000";

/// A complete upstream body.
pub fn full(b: impl Into<Bytes>) -> UpBody {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

/// A streamed upstream body: each chunk is sent after its delay; `fail` ends the stream with an
/// error (the connection is reset mid-body).
pub fn streamed(chunks: Vec<(Duration, Bytes)>, fail: bool) -> UpBody {
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
    tokio::spawn(async move {
        for (d, c) in chunks {
            tokio::time::sleep(d).await;
            if tx.send(Ok(Frame::data(c))).await.is_err() {
                return;
            }
        }
        if fail {
            let _ = tx.send(Err(std::io::Error::other("upstream reset"))).await;
        }
    });
    let stream = futures_stream(rx);
    StreamBody::new(stream).boxed()
}

fn futures_stream(
    mut rx: mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send + Sync + 'static
{
    struct S(std::sync::Mutex<mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>>);
    impl futures_core::Stream for S {
        type Item = Result<Frame<Bytes>, std::io::Error>;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            match self.0.lock() {
                Ok(mut rx) => rx.poll_recv(cx),
                Err(_) => std::task::Poll::Ready(None),
            }
        }
    }
    let _ = &mut rx;
    S(std::sync::Mutex::new(rx))
}

/// An in-process upstream server (HTTP/1.1 and h2c).
pub struct Upstream {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    /// Serves `handler` on 127.0.0.1:0.
    pub async fn start<F, Fut>(handler: F) -> Upstream
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response<UpBody>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Arc::new(handler);
        let task = tokio::spawn(async move {
            loop {
                let Ok((s, _)) = listener.accept().await else {
                    return;
                };
                let h = handler.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let h = h.clone();
                        async move { Ok::<_, Infallible>(h(req).await) }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(TokioIo::new(s), svc)
                        .await;
                });
            }
        });
        Upstream { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A response with a content type.
pub fn resp(status: u16, ct: &str, body: UpBody) -> Response<UpBody> {
    Response::builder()
        .status(status)
        .header("content-type", ct)
        .body(body)
        .unwrap()
}

/// Starts the proxy in front of `upstream_url` with extra YAML appended to a minimal config.
pub async fn proxy(upstream_url: &str, extra: &str) -> sluice_proxy::Running {
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  shutdown_grace: 5s\nupstream:\n  url: {upstream_url}\n{extra}"
    );
    let cfg = sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<test>"))
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    sluice_proxy::start(cfg).await.unwrap()
}

/// A reqwest client that does not decompress (tests look at raw bytes).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_zstd()
        .no_deflate()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// An HTTP/2 prior-knowledge reqwest client.
pub fn h2c_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http2_prior_knowledge()
        .no_gzip()
        .no_brotli()
        .no_zstd()
        .no_deflate()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Whether a command is installed.
pub fn have(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Pseudo-random printable payload with no sensitive values: words of letters and
/// punctuation. (Digits are left out on purpose: random digit groups separated by spaces can
/// legitimately form a Luhn-valid card number or a landline, which the engine should find.)
pub fn clean_payload(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match rng.u8(0..12) {
            0 => out.push(b' '),
            1 => out.push(b",.;-"[rng.usize(0..4)]),
            _ => out.push(rng.alphabetic() as u8),
        }
    }
    out.truncate(len);
    out
}

/// Test PKI made with rcgen: a CA, a server cert for localhost/127.0.0.1, a client cert.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub ca_pem: String,
    pub client_pem: String,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
        let dir = std::env::temp_dir().join(format!("sluice-pki-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Sluice Test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();

        let srv_key = KeyPair::generate().unwrap();
        let mut srv_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        srv_params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        srv_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let srv = srv_params.signed_by(&srv_key, &ca, &ca_key).unwrap();

        let cli_key = KeyPair::generate().unwrap();
        let mut cli_params =
            CertificateParams::new(vec!["consumer.gov.example".to_string()]).unwrap();
        cli_params
            .distinguished_name
            .push(DnType::CommonName, "consumer-dept-42");
        let cli = cli_params.signed_by(&cli_key, &ca, &ca_key).unwrap();

        let w = |f: &str, s: String| {
            let p = dir.join(f);
            std::fs::write(&p, s).unwrap();
            p
        };
        Pki {
            ca: w("ca.pem", ca.pem()),
            server_cert: w("server.pem", srv.pem()),
            server_key: w("server.key", srv_key.serialize_pem()),
            client_cert: w("client.pem", cli.pem()),
            client_key: w("client.key", cli_key.serialize_pem()),
            ca_pem: ca.pem(),
            client_pem: format!("{}{}", cli.pem(), cli_key.serialize_pem()),
            dir,
        }
    }
}

/// Reads a whole upstream request body (for echo handlers).
pub async fn read_body(req: Request<Incoming>) -> (http::request::Parts, Bytes) {
    let (parts, body) = req.into_parts();
    let b = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    (parts, b)
}

/// A request header as text, `-` when it is missing or not text (for echo handlers).
pub fn header_text(h: &http::HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// Whether `hay` contains `needle`.
pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}
