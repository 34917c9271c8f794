//! Request hygiene an independent black-box audit found missing: paths are routed as the
//! upstream reads them (no `/./`, `//` or `%61` way around an interface's policy), ranges of
//! inspected responses are not asked for, a skipped content type is trusted only for binary
//! bodies, and malformed heads get a precise 4xx. A second audit: path parameters and case
//! (`;x`, `..;`, `/API`), response header values, event streams held until the end.

use std::io::{Read, Write};
use std::time::Duration;

use crate::support::*;

const PERSON: &str = r#"{"xm":"王建国","sfzh":"11010519491231002X"}"#;

/// Sends `raw` as is and returns everything received.
fn raw(addr: std::net::SocketAddr, raw: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`raw`] off the runtime's threads.
async fn send(addr: std::net::SocketAddr, req: String) -> String {
    tokio::task::spawn_blocking(move || raw(addr, &req))
        .await
        .unwrap()
}

/// A `GET` of `target` as the client wrote it (no normalization on the way).
async fn get(addr: std::net::SocketAddr, target: &str) -> String {
    send(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// The body of the answer to `rb`, as text.
async fn text(rb: reqwest::RequestBuilder) -> String {
    rb.send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn a_path_spelled_otherwise_gets_the_interface_it_names() {
    let up = Upstream::start(|req| async move {
        // The upstream sees the path the proxy routed by.
        let body = format!(
            "{{\"path\":\"{}\",\"sfzh\":\"11010519491231002X\"}}",
            req.uri().path()
        );
        resp(200, "application/json", full(body))
    })
    .await;
    let p = proxy(
        &up.url(),
        "interfaces:\n  - name: person_raw\n    method: GET\n    path: /api/v1/persons/{id}\n    sharing: not_shared\n",
    )
    .await;
    let addr = p.addr;
    for path in [
        "/api/v1/persons/42",
        "/./api/v1/persons/42",
        "//api/v1/persons/42",
        "/x/../api/v1/persons/42",
        "/api/v1/./persons/42",
        "/api/v1//persons/42",
        "/%61pi/v1/persons/42",
        // What Tomcat or Spring serve as the same resource (path parameters dropped), and
        // IIS (case ignored).
        "/api/v1/persons;x/42",
        "/api;jsessionid=1/v1/persons/42",
        "/api/v1/public/..;/persons/42",
        "/API/V1/Persons/42",
    ] {
        let got = get(addr, path).await;
        assert!(got.starts_with("HTTP/1.1 403"), "{path}: {got}");
    }
    // An escaped slash could be read either way: refused.
    let got = get(addr, "/api%2Fv1/persons/42").await;
    assert!(got.starts_with("HTTP/1.1 400"), "{got}");
    // Elsewhere the normalized path is what goes upstream.
    let got = get(addr, "/a/./b//c").await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got.contains("\"path\":\"/a/b/c\""), "{got}");
    p.shutdown().await;
}

#[tokio::test]
async fn ranges_of_inspected_responses_are_not_asked_for() {
    let up = Upstream::start(|req| async move {
        if req.uri().path() == "/partial" {
            // An upstream that answers with a part whatever it was asked.
            let mut r = resp(206, "application/json", full(r#"{"sfzh":"1101"#));
            r.headers_mut()
                .insert("content-range", "bytes 0-12/60".parse().unwrap());
            return r;
        }
        // `Request-Range` is HTTP/1.0's name for `Range`, which Apache httpd still honours.
        let range = ["range", "if-range", "request-range"]
            .iter()
            .any(|h| req.headers().contains_key(*h));
        let mut r = resp(
            200,
            "application/json",
            full(format!("{{\"range\":{range}}}")),
        );
        r.headers_mut()
            .insert("accept-ranges", "bytes".parse().unwrap());
        r
    })
    .await;
    let p = proxy(&up.url(), "actions:\n  classes:\n    resident_id: block\n").await;
    let r = client()
        .get(format!("http://{}/x", p.addr))
        .header("range", "bytes=0-32")
        .header("if-range", "\"e\"")
        .header("request-range", "bytes=0-5")
        .send()
        .await
        .unwrap();
    // Nor offered.
    assert_eq!(r.headers()["accept-ranges"], "none");
    assert_eq!(r.text().await.unwrap(), "{\"range\":false}");
    // A part the proxy did not ask for is no body it can judge: 502, nothing of it sent.
    let r = client()
        .get(format!("http://{}/partial", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let t = r.text().await.unwrap();
    assert!(
        t.contains("upstream-protocol") && !t.contains("1101"),
        "{t}"
    );
    p.shutdown().await;
}

#[tokio::test]
async fn a_skipped_type_hides_no_text_body() {
    let up = Upstream::start(|req| async move {
        let (parts, body) = read_body(req).await;
        match parts.uri.path() {
            "/json-as-png" => resp(200, "image/png", full(PERSON)),
            "/svg" => resp(
                200,
                "image/svg+xml",
                full(format!("<svg><text>{PERSON}</text></svg>")),
            ),
            "/png" => {
                let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
                png.extend_from_slice(b"11010519491231002X");
                png.extend(std::iter::repeat_n(0u8, 5000));
                resp(200, "image/png", full(png))
            }
            // UTF-16 text: its zero bytes and mark are no sign of binary.
            "/utf16-as-png" => resp(200, "image/png", full(utf16le(PERSON))),
            _ => resp(200, "application/octet-stream", full(body)),
        }
    })
    .await;
    let p = proxy(
        &up.url(),
        "actions:\n  classes:\n    resident_id: redact\n    person_name: redact\n",
    )
    .await;
    let c = client();
    let base = format!("http://{}", p.addr);
    let t = text(c.get(format!("{base}/json-as-png"))).await;
    assert_eq!(t, r#"{"xm":"王**","sfzh":"110105********002X"}"#);
    let t = text(c.get(format!("{base}/svg"))).await;
    assert!(t.contains("110105********002X"), "{t}");
    let masked = utf16le(r#"{"xm":"王**","sfzh":"110105********002X"}"#);
    let b = c.get(format!("{base}/utf16-as-png")).send().await.unwrap();
    assert_eq!(b.bytes().await.unwrap().as_ref(), masked);
    // And a request body of UTF-16 under an image label.
    let b = c
        .post(format!("{base}/echo"))
        .header("content-type", "image/png")
        .body(utf16le(PERSON))
        .send()
        .await
        .unwrap();
    assert_eq!(b.bytes().await.unwrap().as_ref(), masked);
    // A real binary body passes byte for byte.
    let r = c.get(format!("{base}/png")).send().await.unwrap();
    // ... with its length, since it was seen to be binary before the head went out.
    assert_eq!(r.headers()["content-length"], "5034");
    let b = r.bytes().await.unwrap();
    assert!(
        b.starts_with(b"\x89PNG") && contains(&b, "11010519491231002X") && b.len() == 5000 + 34
    );
    // A request body labelled as an image is scanned too.
    let t = text(
        c.post(format!("{base}/echo"))
            .header("content-type", "image/png")
            .body(PERSON),
    )
    .await;
    assert!(
        t.contains("110105********002X") && !t.contains("11010519491231002X"),
        "{t}"
    );
    p.shutdown().await;
}

/// A UTF-32 body is read (a client's JSON parser reads it); a body in a charset the engine
/// cannot read and in which ASCII is not ASCII (EBCDIC) is refused as an unknown coding is:
/// 502 for a response, 415 for a request.
#[tokio::test]
async fn utf32_is_read_and_ebcdic_refused() {
    let utf32: Vec<u8> = PERSON
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    let up = Upstream::start(move |req| {
        let utf32 = utf32.clone();
        async move {
            match req.uri().path() {
                "/utf32" => resp(200, "application/json; charset=utf-32", full(utf32)),
                "/ebcdic" => resp(200, "text/plain; charset=IBM500", full("\u{f1}\u{f3}")),
                _ => resp(200, "text/plain", full("ok")),
            }
        }
    })
    .await;
    let p = proxy(&up.url(), "actions:\n  classes:\n    resident_id: block\n").await;
    let c = client();
    let base = format!("http://{}", p.addr);
    let r = c.get(format!("{base}/utf32")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = c.get(format!("{base}/ebcdic")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    let r = c
        .post(format!("{base}/echo"))
        .header("content-type", "text/plain; charset=cp037")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    p.shutdown().await;
}

#[tokio::test]
async fn malformed_heads_get_a_precise_4xx() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("ok")) }).await;
    let p = proxy(&up.url(), "limits:\n  max_headers: 20\n").await;
    let addr = p.addr;
    for (req, want) in [
        (
            "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 405",
        ),
        (
            "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 400",
        ),
        (
            "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 400",
        ),
        (
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 400",
        ),
        (
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200",
        ),
    ] {
        let got = send(addr, req.to_string()).await;
        assert!(got.starts_with(want), "{req:?}: {got}");
    }
    // HTTP/2 header blocks are counted too.
    let mut rb = h2c_client().get(format!("http://{addr}/"));
    for i in 0..30 {
        rb = rb.header(format!("x-h{i}"), "v");
    }
    assert_eq!(rb.send().await.unwrap().status(), 431);
    // A caller's request id that carries a value is not echoed.
    let r = client()
        .get(format!("http://{addr}/"))
        .header("x-request-id", "11010519491231002X")
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id, "11010519491231002X");
    let r = client()
        .get(format!("http://{addr}/"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-abc-123");
    p.shutdown().await;
}

/// An upstream that closes its first connection after reading a request, without a word,
/// and answers `ok` on every later one.
fn closes_first_connection() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for (n, s) in l.incoming().enumerate() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            if n > 0 {
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        }
    });
    addr
}

#[tokio::test]
async fn an_idempotent_request_is_sent_again_when_the_upstream_closed_before_answering() {
    let up = closes_first_connection();
    let p = proxy(&format!("http://{up}"), "").await;
    let r = client()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    p.shutdown().await;
    // A request with a body is not: the upstream may have acted on it.
    let up = closes_first_connection();
    let p = proxy(&format!("http://{up}"), "").await;
    let r = client()
        .post(format!("http://{}/x", p.addr))
        .body("a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    p.shutdown().await;
}

/// Header fields and trailers carry values as bodies do: a response header with an ID is
/// blocked on an interface that blocks IDs and masked on one that redacts them (a
/// `Content-Disposition` file name with a name in it too); structural headers are left alone.
#[tokio::test]
async fn response_header_values_are_inspected() {
    let up = Upstream::start(|_req| async move {
        let mut r = resp(200, "application/json", full(r#"{"ok":true}"#));
        let h = r.headers_mut();
        h.insert("x-owner-id", "110101199003071233".parse().unwrap());
        h.insert("location", "/next?sjhm=13800138000".parse().unwrap());
        h.insert("x-trace", "1717200000000-abc".parse().unwrap());
        // Date and age fields are left alone only when they hold a date or an age.
        h.insert("expires", "110101199003071233".parse().unwrap());
        h.insert("age", "13800138000".parse().unwrap());
        h.insert(
            "last-modified",
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        r
    })
    .await;
    let p = proxy(&up.url(), "actions:\n  classes:\n    resident_id: block\n").await;
    let r = client()
        .get(format!("http://{}/h", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(!body.contains("110101199003071233"), "{body}");
    p.shutdown().await;

    let audit = std::env::temp_dir().join(format!(
        "sluice-hdr-audit-{}-{}.jsonl",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let p = proxy(
        &up.url(),
        &format!(
            "actions:\n  classes:\n    resident_id: redact\n    mobile: redact\naudit:\n  sink:\n    kind: file\n    path: {}\n",
            audit.display()
        ),
    )
    .await;
    let r = client()
        .get(format!("http://{}/h", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(h["x-owner-id"], "110101********1233");
    assert_eq!(h["location"], "/next?sjhm=138****8000");
    assert_eq!(h["x-trace"], "1717200000000-abc");
    assert_eq!(h["expires"], "110101********1233");
    assert_eq!(h["age"], "138****8000");
    assert_eq!(h["last-modified"], "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(r.text().await.unwrap(), r#"{"ok":true}"#);
    // The redaction in the headers is recorded like one in a body (never the value). The
    // record is written when the exchange ends, just after the client has read it.
    let mut trail = String::new();
    for _ in 0..50 {
        let px = p.proxy.clone();
        tokio::task::spawn_blocking(move || px.flush_audit())
            .await
            .unwrap();
        trail = std::fs::read_to_string(&audit).unwrap_or_default();
        if trail.contains("\"event\":\"redacted\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        trail.contains("\"event\":\"redacted\"") && trail.contains("resident_id"),
        "{trail}"
    );
    assert!(!trail.contains("110101199003071233"), "{trail}");
    p.shutdown().await;
    let _ = std::fs::remove_file(&audit);
}

/// An event stream goes on event by event: the first event (its value masked) reaches the
/// client while the upstream still holds the second back.
#[tokio::test]
async fn event_stream_is_not_held() {
    let up = Upstream::start(|_req| async move {
        let events = vec![
            (
                Duration::ZERO,
                bytes::Bytes::from_static(b"data: {\"sjhm\":\"13800138000\"}\n\n"),
            ),
            (
                Duration::from_secs(3),
                bytes::Bytes::from_static(b"data: done\n\n"),
            ),
        ];
        resp(200, "text/event-stream", streamed(events, false))
    })
    .await;
    let p = proxy(&up.url(), "actions:\n  classes:\n    mobile: redact\n").await;
    let mut r = client()
        .get(format!("http://{}/events", p.addr))
        .send()
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_millis(1500), r.chunk())
        .await
        .expect("the first event arrives before the second is sent")
        .unwrap()
        .unwrap();
    assert_eq!(&first[..], b"data: {\"sjhm\":\"138****8000\"}\n\n");
    let mut rest = Vec::new();
    while let Some(c) = r.chunk().await.unwrap() {
        rest.extend_from_slice(&c);
    }
    assert_eq!(rest, b"data: done\n\n");
    p.shutdown().await;
}

/// An upstream that answers every request on every connection with `answer`, raw, and then
/// closes the connection.
fn raw_upstream(answer: &'static [u8]) -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer);
        }
    });
    addr
}

/// [`raw`] from async code.
async fn raw_async(addr: std::net::SocketAddr, request: &'static str) -> String {
    tokio::task::spawn_blocking(move || raw(addr, request))
        .await
        .unwrap()
}

/// What an upstream writes around a response's body reaches the client only as far as it
/// was read: its reason phrase is replaced by the status's own (a servlet's
/// `sendError(200, message)` puts anything there), a transfer coding besides chunked is
/// refused (hyper would hand on the coded bytes, read by no rule), and an unknown
/// `Content-Encoding` is refused without echoing its name when that is no coding's.
#[tokio::test]
async fn status_line_transfer_codings_and_coding_names_carry_no_value() {
    let get = "GET /x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n";
    let cases: [(&[u8], &str, u16); 3] = [
        (
            b"HTTP/1.1 200 mobile 13800138000\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
            "",
            200,
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: deflate, chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "actions:\n  classes:\n    mobile: block\n",
            502,
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-encoding: x-13800138000\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
            "actions:\n  default: report\n",
            502,
        ),
    ];
    for (answer, extra, status) in cases {
        let up = raw_upstream(answer);
        let p = proxy(&format!("http://{up}"), extra).await;
        let got = raw_async(p.addr, get).await;
        assert!(
            got.starts_with(&format!("HTTP/1.1 {status} ")),
            "{}: {got}",
            String::from_utf8_lossy(answer)
        );
        assert!(!got.contains("13800138000"), "{got}");
        assert!(!got.contains("mobile 138"), "{got}");
        p.shutdown().await;
    }
    // The same name under a blocking policy: the header's value blocks first.
    let up = raw_upstream(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=13800138000\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
    let p = proxy(
        &format!("http://{up}"),
        "actions:\n  classes:\n    mobile: block\n",
    )
    .await;
    let got = raw_async(p.addr, get).await;
    assert!(got.starts_with("HTTP/1.1 403 "), "{got}");
    p.shutdown().await;
}

/// A request framed with a transfer coding besides chunked is refused (501), never passed on
/// coded past the filters.
#[tokio::test]
async fn a_request_with_another_transfer_coding_is_refused() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("seen")) }).await;
    let p = proxy(&up.url(), "").await;
    let got = raw_async(
        p.addr,
        "POST /x HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ntransfer-encoding: gzip, chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert!(got.starts_with("HTTP/1.1 501 "), "{got}");
    assert!(!got.contains("seen"), "{got}");
    p.shutdown().await;
}

/// The header fields of a WebSocket's 101 are inspected like any response's: a value the
/// interface may not send refuses the switch.
#[tokio::test]
async fn a_websocket_switch_carries_its_header_values_through_the_policy() {
    let up = raw_upstream(
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nx-owner: 13800138000\r\n\r\n",
    );
    let p = proxy(
        &format!("http://{up}"),
        "actions:\n  classes:\n    mobile: block\ninterfaces:\n  - name: ws\n    path: /ws\n    websocket: true\n",
    )
    .await;
    let got = raw_async(
        p.addr,
        "GET /ws HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await;
    assert!(got.starts_with("HTTP/1.1 403 "), "{got}");
    assert!(!got.contains("13800138000"), "{got}");
    p.shutdown().await;
}

/// `s` in UTF-16LE after a byte-order mark.
fn utf16le(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

/// A response that ends with `trailers` after `body` (announced in `Trailer`, which hyper
/// needs to send them).
fn with_trailers(body: &'static str, trailers: &[(&'static str, &'static str)]) -> Response {
    let mut t = http::HeaderMap::new();
    for (k, v) in trailers {
        t.insert(*k, v.parse().unwrap());
    }
    let names: Vec<&str> = trailers.iter().map(|(k, _)| *k).collect();
    let frames = vec![
        Ok(hyper::body::Frame::data(bytes::Bytes::from_static(
            body.as_bytes(),
        ))),
        Ok(hyper::body::Frame::trailers(t)),
    ];
    let stream = http_body_util::StreamBody::new(futures_iter(frames));
    let mut r = resp(
        200,
        "application/json",
        http_body_util::BodyExt::boxed(stream),
    );
    r.headers_mut()
        .insert("trailer", names.join(", ").parse().unwrap());
    r
}

type Response = http::Response<UpBody>;

/// The proxy's count of blocked exchanges, once the last one's record is written (when its
/// body is done, just after the client has read it).
async fn blocked(p: &sluice_proxy::Running) -> u64 {
    let n = || p.stats.blocked.load(std::sync::atomic::Ordering::Relaxed);
    for _ in 0..50 {
        if n() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    n()
}

/// A stream of ready frames.
fn futures_iter(
    frames: Vec<Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>>
       + Send
       + Sync
       + 'static {
    struct S(
        std::sync::Mutex<
            std::collections::VecDeque<Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>>,
        >,
    );
    impl futures_core::Stream for S {
        type Item = Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.lock().ok().and_then(|mut q| q.pop_front()))
        }
    }
    S(std::sync::Mutex::new(frames.into()))
}

/// Header names carry values as header values do (`X-11010519491231002X: 1`): under a
/// blocking policy the response is refused, under a redacting one the field is dropped (a
/// masked name would be a field no client knows), and either way it is counted and audited;
/// protocol names and clean custom ones are left alone.
#[tokio::test]
async fn response_header_names_are_inspected() {
    let up = Upstream::start(|_req| async move {
        let mut r = resp(200, "application/json", full(r#"{"ok":true}"#));
        let h = r.headers_mut();
        h.insert("x-11010519491231002x", "1".parse().unwrap());
        h.insert("x-mobile-13800138000", "y".parse().unwrap());
        h.insert("x-trace", "abc".parse().unwrap());
        r
    })
    .await;
    for policy in [
        "actions:\n  default: block\n",
        "actions:\n  classes:\n    resident_id: block\n",
    ] {
        let p = proxy(&up.url(), policy).await;
        let r = client()
            .get(format!("http://{}/h", p.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{policy}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let names: Vec<String> = r.headers().keys().map(|k| k.to_string()).collect();
        assert!(!names.iter().any(|n| n.contains("1101051949")), "{names:?}");
        let body = r.text().await.unwrap();
        assert!(body.contains("resident_id") && !body.contains(ID), "{body}");
        assert_eq!(blocked(&p).await, 1);
        p.shutdown().await;
    }

    let audit = std::env::temp_dir().join(format!(
        "sluice-hdrname-audit-{}-{}.jsonl",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let p = proxy(
        &up.url(),
        &format!(
            "actions:\n  default: redact\naudit:\n  sink:\n    kind: file\n    path: {}\n",
            audit.display()
        ),
    )
    .await;
    let r = client()
        .get(format!("http://{}/h", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(h.get("x-11010519491231002x").is_none(), "{h:?}");
    assert!(h.get("x-mobile-13800138000").is_none(), "{h:?}");
    assert_eq!(h["x-trace"], "abc");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), r#"{"ok":true}"#);
    let mut trail = String::new();
    for _ in 0..50 {
        let px = p.proxy.clone();
        tokio::task::spawn_blocking(move || px.flush_audit())
            .await
            .unwrap();
        trail = std::fs::read_to_string(&audit).unwrap_or_default();
        if trail.contains("\"event\":\"redacted\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        trail.contains("\"event\":\"redacted\"")
            && trail.contains("resident_id")
            && trail.contains("mobile"),
        "{trail}"
    );
    assert!(!trail.contains(ID) && !trail.contains(MOBILE), "{trail}");
    p.shutdown().await;
    let _ = std::fs::remove_file(&audit);
}

/// A held response's trailers are inspected before any of it is released: a blocked class
/// in a trailer refuses the response with a problem, as one in the body would (it was a
/// 200 with the trailer silently dropped). A clean one goes with a `Content-Length` and no
/// `Trailer` announcing fields that do not follow.
#[tokio::test]
async fn held_response_trailers_are_inspected() {
    let up = Upstream::start(|req| async move {
        if req.uri().path() == "/clean" {
            with_trailers(r#"{"status":"ok"}"#, &[("x-id", "abc")])
        } else {
            with_trailers(r#"{"status":"ok"}"#, &[("x-id", ID)])
        }
    })
    .await;
    let p = proxy(&up.url(), "actions:\n  default: block\n").await;
    let ask = |path: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n")
    };
    let out = send(p.addr, ask("/id")).await;
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    assert!(
        out.contains("application/problem+json") && out.contains("resident_id"),
        "{out}"
    );
    assert!(!out.contains(ID), "{out}");
    assert_eq!(blocked(&p).await, 1);
    let out = send(p.addr, ask("/clean")).await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with(r#"{"status":"ok"}"#), "{out}");
    let head = out.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(head.contains("content-length: 15"), "{out}");
    assert!(!head.contains("trailer:"), "{out}");
    p.shutdown().await;

    // Redacted trailers of a streamed response still go, masked, and stay announced.
    let p = proxy(&up.url(), "actions:\n  default: redact\n").await;
    let out = send(p.addr, ask("/id")).await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.to_ascii_lowercase().contains("trailer: x-id"), "{out}");
    assert!(out.contains("x-id: 110105********002X"), "{out}");
    // A client that did not ask for trailers gets none, and none announced.
    let out = send(
        p.addr,
        "GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_string(),
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(!out.to_ascii_lowercase().contains("trailer"), "{out}");
    assert!(!out.contains("x-id"), "{out}");
    p.shutdown().await;
}

/// A chunked request with trailers is held and forwarded with a `Content-Length`, so its
/// trailers cannot follow: the upstream must not be told to expect them (`Trailer`), and
/// they are inspected with the body (a blocked class there refuses the request).
#[tokio::test]
async fn held_request_trailers_are_inspected_and_not_announced() {
    let up = Upstream::start(|req| async move {
        let (parts, body) = read_body(req).await;
        let text = format!(
            "trailer={:?} cl={:?} body={}",
            parts.headers.get("trailer"),
            parts.headers.get("content-length"),
            String::from_utf8_lossy(&body)
        );
        resp(200, "text/plain", full(text))
    })
    .await;
    let p = proxy(&up.url(), "actions:\n  classes:\n    resident_id: block\n").await;
    let post = |trailer: &str| {
        format!(
            "POST /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n7\r\n{{\"a\":1}}\r\n0\r\nX-T: {trailer}\r\n\r\n"
        )
    };
    let out = send(p.addr, post("abc")).await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        out.contains("trailer=None cl=Some(\"7\") body={\"a\":1}"),
        "{out}"
    );
    let out = send(p.addr, post(ID)).await;
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    assert!(out.contains("resident_id") && !out.contains(ID), "{out}");
    p.shutdown().await;
}
