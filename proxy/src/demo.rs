//! `sluice demo`: the proxy in front of an embedded sample exchange API, on loopback.
//!
//! The sample API serves the kinds of responses a 政务数据共享交换 interface really returns:
//! a person record (JSON), the same as XML, a gzip-compressed list, a clean statistics
//! endpoint, and a large CSV export streamed in chunks. The proxy in front of it runs an
//! embedded config with named interfaces: redaction by default, one "not shared" interface
//! where resident IDs block the response, and the export streamed through the redactor.
//!
//! Without `--once` it prints curl commands and serves until Ctrl-C. With `--once` it runs
//! the showcase requests itself, prints what each shows, checks the outcome (no identifier
//! leaks, the block is a 403 problem, the clean endpoint is byte-identical) and exits.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::cli::outln;
use crate::codec::{decode_all, encode_all, DecodeLimits, Encoding};

/// Options of `sluice demo`.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Proxy listen address (default 127.0.0.1:8080, or a free port with `once`).
    pub listen: Option<SocketAddr>,
    /// Run the showcase requests, print them, check them, and exit.
    pub once: bool,
}

type DemoBody = BoxBody<Bytes, Infallible>;

const DEMO_CONFIG: &str = r#"
listen:
  addr: 127.0.0.1:8080
upstream:
  url: http://127.0.0.1:1
actions:
  default: redact
interfaces:
  - name: person_detail
    method: GET
    path: /api/v1/persons/{id}
  - name: person_raw
    method: GET
    path: /api/v1/raw/persons/{id}
    actions:
      classes:
        resident_id: block
  - name: bulk_export
    method: GET
    path: /api/v1/export/{*file}
  - name: statistics
    method: GET
    path: /api/v1/stats
logging:
  level: warn
"#;

const REGIONS: [&str; 6] = ["110105", "310115", "440305", "510107", "330106", "420102"];
const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"];
const STREETS: [&str; 5] = [
    "朝阳区建国路88号",
    "浦东新区世纪大道100号",
    "南山区科技园南路3号",
    "武侯区人民南路四段9号",
    "西湖区文三路478号",
];

/// A resident ID with a valid GB 11643 check character.
fn resident_id(i: u64) -> String {
    let region = REGIONS[(i % REGIONS.len() as u64) as usize];
    let year = 1950 + (i * 7) % 55;
    let month = 1 + (i * 5) % 12;
    let day = 1 + (i * 11) % 28;
    let seq = 100 + (i * 37) % 900;
    let body = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn mobile(i: u64) -> String {
    format!(
        "1{}{:09}",
        [3, 5, 7, 8, 9][(i % 5) as usize],
        (i * 7_919_993) % 1_000_000_000
    )
}

fn name(i: u64) -> String {
    format!(
        "{}{}",
        SURNAMES[(i % 10) as usize],
        GIVEN[((i / 10) % 10) as usize]
    )
}

fn person_json(i: u64) -> String {
    format!(
        "{{\"id\":{i},\"xm\":\"{}\",\"sfzh\":\"{}\",\"lxdh\":\"{}\",\"zz\":\"{}\",\"hyzk\":\"已婚\",\"sbzt\":\"正常参保\"}}",
        name(i),
        resident_id(i),
        mobile(i),
        STREETS[(i % 5) as usize]
    )
}

fn full(b: impl Into<Bytes>) -> DemoBody {
    Full::new(b.into()).boxed()
}

fn respond(ct: &str, body: DemoBody) -> Response<DemoBody> {
    let mut r = Response::new(body);
    if let Ok(v) = ct.parse() {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

/// Rows in the streamed CSV export.
const EXPORT_ROWS: u64 = 20_000;

async fn sample_api(req: Request<hyper::body::Incoming>) -> Result<Response<DemoBody>, Infallible> {
    let path = req.uri().path().to_string();
    let id: u64 = path
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let r = if path.starts_with("/api/v1/persons/") || path.starts_with("/api/v1/raw/persons/") {
        respond(
            "application/json; charset=utf-8",
            full(format!("{{\"code\":0,\"data\":{}}}", person_json(id))),
        )
    } else if path == "/api/v1/persons.xml" {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><person><xm>{}</xm><sfzh>{}</sfzh><lxdh>{}</lxdh></person></response>\n",
            name(7),
            resident_id(7),
            mobile(7)
        );
        respond("application/xml; charset=utf-8", full(xml))
    } else if path == "/api/v1/persons" {
        let list: Vec<String> = (1..=50).map(person_json).collect();
        let json = format!("{{\"code\":0,\"data\":[{}]}}", list.join(","));
        let packed = encode_all(Encoding::Gzip, json.as_bytes()).unwrap_or_default();
        let mut r = respond("application/json; charset=utf-8", full(packed));
        r.headers_mut().insert(
            http::header::CONTENT_ENCODING,
            http::HeaderValue::from_static("gzip"),
        );
        r
    } else if path == "/api/v1/stats" {
        respond(
            "application/json",
            full("{\"code\":0,\"data\":{\"region\":\"110105\",\"population\":345000,\"insured\":339812,\"updated\":\"2024-06-30\"}}"),
        )
    } else if path.starts_with("/api/v1/export/") {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(4);
        tokio::spawn(async move {
            let _ = tx
                .send(Ok(Frame::data(Bytes::from_static(
                    "xm,sfzh,lxdh,zz\n".as_bytes(),
                ))))
                .await;
            let mut i = 0;
            while i < EXPORT_ROWS {
                let mut chunk = String::new();
                for j in i..(i + 500).min(EXPORT_ROWS) {
                    chunk.push_str(&format!(
                        "{},{},{},{}\n",
                        name(j),
                        resident_id(j),
                        mobile(j),
                        STREETS[(j % 5) as usize]
                    ));
                }
                i += 500;
                if tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        });
        respond(
            "text/csv; charset=utf-8",
            StreamBody::new(ReceiverStream(rx)).boxed(),
        )
    } else {
        let mut r = respond(
            "application/json",
            full("{\"code\":404,\"msg\":\"not found\"}"),
        );
        *r.status_mut() = http::StatusCode::NOT_FOUND;
        r
    };
    Ok(r)
}

struct ReceiverStream(tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, Infallible>>);

impl futures_core::Stream for ReceiverStream {
    type Item = Result<Frame<Bytes>, Infallible>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

async fn start_sample_api() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(s), service_fn(sample_api))
                    .await;
            });
        }
    });
    Ok(addr)
}

/// Runs the demo.
///
/// # Errors
/// The listen address cannot be bound, or (with `once`) a showcase check failed.
pub fn run(opts: DemoOptions) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run_async(opts))
}

async fn run_async(opts: DemoOptions) -> anyhow::Result<()> {
    let api = start_sample_api().await?;
    let mut cfg = crate::config::Config::from_yaml(DEMO_CONFIG, std::path::Path::new("<demo>"))?;
    cfg.upstream.url = format!("http://{api}");
    cfg.listen.addr = match (opts.listen, opts.once) {
        (Some(a), _) => a,
        (None, true) => "127.0.0.1:0".parse()?,
        (None, false) => "127.0.0.1:8080".parse()?,
    };
    if !opts.once {
        crate::init_logging(&cfg.logging);
    }
    let running = crate::start(cfg).await?;
    let base = format!("http://{}", running.addr);
    if opts.once {
        let r = showcase(&base, api).await;
        running.shutdown().await;
        return r;
    }
    // Written in one piece: a closed stdout (`sluice demo | head -3`) ends the demo cleanly
    // instead of panicking in `println!`.
    let banner = format!(
        "Sluice demo: sample exchange API on http://{api}, Sluice in front of it on {base}\n\n\
         Redaction (a person record; identifiers masked, format kept):\n  \
         curl -s {base}/api/v1/persons/42\n\n\
         The same record straight from the API, for comparison:\n  \
         curl -s http://{api}/api/v1/persons/42\n\n\
         XML, and a gzip-compressed list (decompressed, redacted, re-compressed):\n  \
         curl -s {base}/api/v1/persons.xml\n  \
         curl -s --compressed {base}/api/v1/persons | head -c 600\n\n\
         Blocking (interface person_raw may not carry resident IDs: 403, no byte leaks):\n  \
         curl -si {base}/api/v1/raw/persons/42\n\n\
         Clean pass-through (byte-identical to the API):\n  \
         curl -s {base}/api/v1/stats\n\n\
         A large export, streamed and redacted row by row ({EXPORT_ROWS} rows):\n  \
         curl -s {base}/api/v1/export/persons.csv | head\n\n\
         HTTP/2 (prior knowledge):\n  \
         curl -s --http2-prior-knowledge {base}/api/v1/persons/7\n\n\
         Ctrl-C to stop.\n"
    );
    if let Err(e) = std::io::Write::write_all(&mut std::io::stdout().lock(), banner.as_bytes()) {
        running.shutdown().await;
        return Err(crate::cli::stdout_error(e));
    }
    crate::shutdown_signal().await;
    running.shutdown().await;
    Ok(())
}

async fn get(
    client: &Client<HttpConnector, Full<Bytes>>,
    url: &str,
) -> anyhow::Result<(http::StatusCode, http::HeaderMap, Bytes)> {
    let req = Request::get(url)
        .header("accept-encoding", "gzip")
        .body(Full::new(Bytes::new()))?;
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req)).await??;
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(Duration::from_secs(60), body.collect())
        .await??
        .to_bytes();
    Ok((parts.status, parts.headers, body))
}

fn preview(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(240)]).replace('\n', "⏎");
    if b.len() > 240 {
        format!("{s}…")
    } else {
        s
    }
}

async fn showcase(base: &str, api: SocketAddr) -> anyhow::Result<()> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut failures = Vec::new();
    let mut check = |ok: bool, what: &str| -> anyhow::Result<()> {
        if !ok {
            failures.push(what.to_string());
        }
        outln!("  [{}] {what}", if ok { "ok" } else { "FAIL" })
    };
    let raw_id = resident_id(42);

    outln!("GET /api/v1/persons/42 (redaction)")?;
    let (st, _, b) = get(&client, &format!("{base}/api/v1/persons/42")).await?;
    outln!("  {} {}", st.as_u16(), preview(&b))?;
    check(
        st == 200 && !contains(&b, &raw_id) && !contains(&b, &mobile(42)),
        "identifiers masked",
    )?;
    check(
        serde_json::from_slice::<serde_json::Value>(&b).is_ok(),
        "still valid JSON",
    )?;

    outln!("GET /api/v1/persons.xml (XML)")?;
    let (st, _, b) = get(&client, &format!("{base}/api/v1/persons.xml")).await?;
    outln!("  {} {}", st.as_u16(), preview(&b))?;
    check(st == 200 && !contains(&b, &resident_id(7)), "XML redacted")?;

    outln!("GET /api/v1/persons (gzip list)")?;
    let (st, h, b) = get(&client, &format!("{base}/api/v1/persons")).await?;
    let gz = h
        .get(http::header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let plain = if gz {
        decode_all(Encoding::Gzip, &b, &DecodeLimits::default())?
    } else {
        b.to_vec()
    };
    outln!(
        "  {} content-encoding: {} → {}",
        st.as_u16(),
        if gz { "gzip" } else { "identity" },
        preview(&plain)
    )?;
    check(
        st == 200 && gz && (1..=50).all(|i| !contains(&plain, &resident_id(i))),
        "gzip body decoded, redacted, re-encoded",
    )?;

    outln!("GET /api/v1/raw/persons/42 (blocking)")?;
    let (st, h, b) = get(&client, &format!("{base}/api/v1/raw/persons/42")).await?;
    outln!("  {} {}", st.as_u16(), preview(&b))?;
    check(
        st == 403
            && h.get(http::header::CONTENT_TYPE)
                .is_some_and(|v| v == "application/problem+json"),
        "403 problem+json",
    )?;
    check(
        !contains(&b, &raw_id) && contains(&b, "resident_id"),
        "names the class, never the value",
    )?;

    outln!("GET /api/v1/stats (clean pass-through)")?;
    let (st, _, b) = get(&client, &format!("{base}/api/v1/stats")).await?;
    let (_, _, direct) = get(&client, &format!("http://{api}/api/v1/stats")).await?;
    outln!("  {} {}", st.as_u16(), preview(&b))?;
    check(st == 200 && b == direct, "byte-identical to the API")?;

    outln!("GET /api/v1/export/persons.csv (streamed export, {EXPORT_ROWS} rows)")?;
    let (st, _, b) = get(&client, &format!("{base}/api/v1/export/persons.csv")).await?;
    let rows = b.iter().filter(|&&c| c == b'\n').count();
    outln!(
        "  {} {} bytes, {rows} lines: {}",
        st.as_u16(),
        b.len(),
        preview(&b[..b.len().min(120)])
    )?;
    check(
        st == 200 && rows as u64 == EXPORT_ROWS + 1,
        "every row arrived",
    )?;
    check(
        (0..EXPORT_ROWS)
            .step_by(997)
            .all(|i| !contains(&b, &resident_id(i))),
        "no resident ID in the export",
    )?;

    if failures.is_empty() {
        outln!("demo: all checks passed")?;
        Ok(())
    } else {
        anyhow::bail!("demo checks failed: {}", failures.join("; "))
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_valid() {
        // 11010519491231002X is the GB 11643 textbook example; our generator must agree.
        for i in 0..100 {
            let id = super::resident_id(i);
            assert_eq!(id.len(), 18);
        }
    }
}
