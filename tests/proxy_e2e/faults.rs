//! Upstream faults, bombs, caps, slow peers and shutdown.

use std::io::{Read, Write};
use std::time::Duration;

use bytes::Bytes;
use sluice_proxy::codec::{encode_all, Encoding};
use sluice_proxy::phases::logging::Stats;

use crate::support::*;

async fn problem(r: reqwest::Response) -> serde_json::Value {
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().await.unwrap()
}

#[tokio::test]
async fn connect_refused_is_502() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let p = proxy(&format!("http://127.0.0.1:{port}"), "").await;
    let r = client()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let j = problem(r).await;
    assert_eq!(j["type"], "urn:sluice:problem:upstream-unavailable");
    assert_eq!(j["status"], 502);
    assert!(j["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    p.shutdown().await;
}

#[tokio::test]
async fn response_header_timeout_is_504() {
    let up = Upstream::start(|_req| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        resp(200, "text/plain", full("late"))
    })
    .await;
    let p = proxy(&up.url(), "timeouts:\n  response_header: 300ms\n").await;
    let t0 = std::time::Instant::now();
    let r = client()
        .get(format!("http://{}/slow", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 504);
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(
        problem(r).await["type"],
        "urn:sluice:problem:upstream-timeout"
    );
    p.shutdown().await;
}

/// An upstream that sends 300,000 bytes of a body and then resets.
async fn resets_mid_body() -> Upstream {
    Upstream::start(|_req| async move {
        let chunks = vec![
            (Duration::ZERO, Bytes::from(clean_payload(300_000, 9))),
            (Duration::from_millis(20), Bytes::from_static(b"more")),
        ];
        resp(200, "text/plain", streamed(chunks, true))
    })
    .await
}

#[tokio::test]
async fn reset_mid_body_streamed_aborts_client() {
    let up = resets_mid_body().await;
    let p = proxy(&up.url(), "").await;
    let r = client()
        .get(format!("http://{}/reset", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "headers were already sent");
    assert!(
        r.bytes().await.is_err(),
        "the client must see a failed transfer, not a complete body"
    );
    // HTTP/2: the stream is reset.
    let r = h2c_client()
        .get(format!("http://{}/reset", p.addr))
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.is_err());
    p.shutdown().await;
}

#[tokio::test]
async fn reset_mid_body_while_held_is_502() {
    let up = Upstream::start(|_req| async move {
        let mut r = resp(
            200,
            "text/plain",
            streamed(vec![(Duration::ZERO, Bytes::from_static(b"partial"))], true),
        );
        r.headers_mut()
            .insert("content-length", "100".parse().unwrap());
        r
    })
    .await;
    let p = proxy(&up.url(), "").await;
    let r = client()
        .get(format!("http://{}/reset", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    p.shutdown().await;
}

#[tokio::test]
async fn upstream_idle_timeout_aborts_stream() {
    let up = Upstream::start(|_req| async move {
        let chunks = vec![
            (Duration::ZERO, Bytes::from(clean_payload(300_000, 5))),
            (Duration::from_secs(30), Bytes::from_static(b"never")),
        ];
        resp(200, "text/plain", streamed(chunks, false))
    })
    .await;
    let p = proxy(&up.url(), "timeouts:\n  idle: 300ms\n").await;
    let r = client()
        .get(format!("http://{}/idle", p.addr))
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.is_err());
    p.shutdown().await;
}

#[tokio::test]
async fn response_bomb_is_502_and_counted() {
    let bomb = encode_all(Encoding::Gzip, &vec![b'0'; 200 << 20]).unwrap();
    let up = Upstream::start(move |_req| {
        let bomb = bomb.clone();
        async move {
            let mut r = resp(200, "application/json", full(bomb));
            r.headers_mut()
                .insert("content-encoding", "gzip".parse().unwrap());
            r
        }
    })
    .await;
    let p = proxy(&up.url(), "").await;
    let r = client()
        .get(format!("http://{}/bomb", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(
        problem(r).await["type"],
        "urn:sluice:problem:decompression-bomb"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(Stats::get(&p.stats.bombs), 1);
    p.shutdown().await;
}

#[tokio::test]
async fn request_bomb_is_413() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("ok")) }).await;
    let p = proxy(&up.url(), "").await;
    let bomb = encode_all(Encoding::Zstd, &vec![b'a'; 100 << 20]).unwrap();
    let r = client()
        .post(format!("http://{}/upload", p.addr))
        .header("content-type", "application/json")
        .header("content-encoding", "zstd")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    p.shutdown().await;
}

#[tokio::test]
async fn unknown_encoding_fails_closed() {
    let up = Upstream::start(|_req| async move {
        let mut r = resp(200, "application/json", full("xx"));
        r.headers_mut()
            .insert("content-encoding", "compress".parse().unwrap());
        r
    })
    .await;
    let p = proxy(&up.url(), "").await;
    let r = client()
        .get(format!("http://{}/u", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(
        problem(r).await["type"],
        "urn:sluice:problem:unknown-encoding"
    );
    let r = client()
        .post(format!("http://{}/u", p.addr))
        .header("content-encoding", "lzma")
        .body("xx")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    p.shutdown().await;
}

#[tokio::test]
async fn request_body_cap_is_413() {
    let up = Upstream::start(|req| async move {
        let (_, b) = read_body(req).await;
        resp(200, "text/plain", full(b.len().to_string()))
    })
    .await;
    let p = proxy(&up.url(), "limits:\n  max_request_body: 64KiB\n").await;
    let c = client();
    let r = c
        .post(format!("http://{}/up", p.addr))
        .body(vec![b'a'; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Chunked (no length): also refused once over the cap.
    let chunks = vec![
        Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 40_000])),
        Ok(Bytes::from(vec![b'a'; 40_000])),
    ];
    let body = reqwest::Body::wrap_stream(StreamIter(chunks.into_iter()));
    let r = c
        .post(format!("http://{}/up", p.addr))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = c
        .post(format!("http://{}/up", p.addr))
        .body(vec![b'a'; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "1000");
    p.shutdown().await;
}

struct StreamIter<I>(I);
impl<I: Iterator + Unpin> futures_core::Stream for StreamIter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

#[tokio::test]
async fn too_many_headers_rejected() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("ok")) }).await;
    let p = proxy(&up.url(), "limits:\n  max_headers: 20\n").await;
    let mut rb = client().get(format!("http://{}/h", p.addr));
    for i in 0..40 {
        rb = rb.header(format!("x-h{i}"), "v");
    }
    // hyper may close the connection instead of answering 431; both refuse the request.
    if let Ok(r) = rb.send().await {
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    p.shutdown().await;
}

/// A head over the limits, but not over twice them, is answered with a problem body like
/// any other refusal (the codec itself refuses what is larger, before buffering it).
#[tokio::test]
async fn oversized_heads_get_a_problem_body() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("ok")) }).await;
    let p = proxy(
        &up.url(),
        "limits:\n  max_headers: 20\n  max_header_bytes: 4KiB\n",
    )
    .await;
    let mut many = client().get(format!("http://{}/h", p.addr));
    for i in 0..30 {
        many = many.header(format!("x-h{i}"), "v");
    }
    let large = client()
        .get(format!("http://{}/h", p.addr))
        .header("x-big", "v".repeat(6000));
    for (rb, detail) in [
        (many, "too many header fields"),
        (large, "header fields too large"),
    ] {
        let r = rb.send().await.unwrap();
        assert_eq!(r.status(), 431);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["detail"].as_str().unwrap_or("").contains(detail), "{v}");
    }
    // Within the limits: served.
    let ok = client()
        .get(format!("http://{}/h", p.addr))
        .header("x-big", "v".repeat(3000))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    p.shutdown().await;
}

#[tokio::test]
async fn slow_client_header_is_cut_off() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("ok")) }).await;
    let p = proxy(&up.url(), "timeouts:\n  client_header: 300ms\n").await;
    let addr = p.addr;
    let got = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let t0 = std::time::Instant::now();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        (t0.elapsed(), out)
    })
    .await
    .unwrap();
    assert!(
        got.0 < Duration::from_secs(5),
        "connection closed by the header timeout"
    );
    let text = String::from_utf8_lossy(&got.1);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    p.shutdown().await;
}

/// A connection that never sends a byte is closed by the header timeout too, and does not
/// keep a slot of `max_connections`: with every slot taken by silent clients, a real
/// request still gets through once they are cut off.
#[tokio::test]
async fn silent_connections_are_cut_off() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("ok")) }).await;
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  max_connections: 4\nupstream:\n  url: {}\ntimeouts:\n  client_header: 300ms\n",
        up.url()
    );
    let cfg =
        sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<test>")).unwrap();
    let p = sluice_proxy::start(cfg).await.unwrap();
    let addr = p.addr;
    let silent: Vec<_> = (0..4)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    let closed = tokio::task::spawn_blocking(move || {
        silent
            .into_iter()
            .map(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut out = Vec::new();
                // End of stream (the server closed it) rather than the read timeout.
                matches!(s.read_to_end(&mut out), Ok(0))
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(closed, [true; 4], "silent connections left open");
    let r = client()
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    p.shutdown().await;
}

#[tokio::test]
async fn slow_reader_gets_every_byte_with_bounded_buffering() {
    let body = clean_payload(4 << 20, 11);
    let expect = body.clone();
    let up = Upstream::start(move |_req| {
        let body = body.clone();
        async move {
            let chunks = body
                .chunks(64 * 1024)
                .map(|c| (Duration::ZERO, Bytes::copy_from_slice(c)))
                .collect();
            resp(200, "application/json", streamed(chunks, false))
        }
    })
    .await;
    let p = proxy(&up.url(), "").await;
    let mut r = client()
        .get(format!("http://{}/big", p.addr))
        .send()
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(c) = r.chunk().await.unwrap() {
        got.extend_from_slice(&c);
        if got.len() < 512 * 1024 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert_eq!(got, expect);
    p.shutdown().await;
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests() {
    let up = Upstream::start(|_req| async move {
        let chunks = (0..5)
            .map(|i| (Duration::from_millis(100), Bytes::from(format!("part{i};"))))
            .collect();
        resp(200, "text/plain", streamed(chunks, false))
    })
    .await;
    let p = proxy(
        &up.url(),
        "default_interface:\n  skip_content_types: [\"text/\"]\n",
    )
    .await;
    let addr = p.addr;
    let c = client();
    let inflight = tokio::spawn(async move {
        let r = c.get(format!("http://{addr}/slow")).send().await.unwrap();
        r.text().await.unwrap()
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let t0 = std::time::Instant::now();
    p.shutdown().await;
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(inflight.await.unwrap(), "part0;part1;part2;part3;part4;");
    assert!(
        client()
            .get(format!("http://{addr}/after"))
            .send()
            .await
            .is_err(),
        "no longer accepting"
    );
}

/// At the drain bound a request the upstream has not answered yet gets a 503 problem (it
/// got an empty reply when the connection was dropped), while a response already under way
/// is aborted: its head is out, and a truncated body must not look complete.
#[tokio::test]
async fn drain_bound_answers_503_to_requests_not_yet_answered() {
    let up = Upstream::start(|req| async move {
        if req.uri().path() == "/stream" {
            let chunks = (0..50)
                .map(|i| (Duration::from_millis(200), Bytes::from(format!("part{i};"))))
                .collect();
            return resp(200, "text/plain", streamed(chunks, false));
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        resp(200, "application/json", full(r#"{"late":true}"#))
    })
    .await;
    // Responses uninspected, so that the stream goes out frame by frame (inspected plain
    // text would be held in windows).
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  shutdown_grace: 1s\nupstream:\n  url: {}\ndefault_interface:\n  inspect_responses: false\n",
        up.url()
    );
    let cfg =
        sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<test>")).unwrap();
    let p = sluice_proxy::start(cfg).await.unwrap();
    let addr = p.addr;
    let waiting = tokio::spawn(async move {
        let r = client()
            .get(format!("http://{addr}/slow"))
            .send()
            .await
            .unwrap();
        let at = std::time::Instant::now();
        (r.status(), r.headers().clone(), r.text().await.unwrap(), at)
    });
    let streaming = tokio::spawn(async move {
        let mut r = client()
            .get(format!("http://{addr}/stream"))
            .send()
            .await
            .unwrap();
        let mut got = Vec::new();
        loop {
            match r.chunk().await {
                Ok(Some(c)) => got.extend_from_slice(&c),
                Ok(None) => return Ok(got),
                Err(e) => return Err((got, e.to_string())),
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = std::time::Instant::now();
    p.shutdown().await;
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    let (status, headers, body, at) = tokio::time::timeout(Duration::from_secs(3), waiting)
        .await
        .expect("answered at the drain bound, not when the upstream answers")
        .unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["type"], "urn:sluice:problem:shutting-down");
    assert!(v["title"].is_string() && v["request_id"].is_string(), "{v}");
    assert!(at.duration_since(t0) < Duration::from_secs(3));
    let streamed = tokio::time::timeout(Duration::from_secs(3), streaming)
        .await
        .expect("the response under way ends at the bound")
        .unwrap();
    let (got, _) = streamed.expect_err("a response cut off at the bound is aborted");
    assert!(
        got.starts_with(b"part0;"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

/// Held bodies share one budget (`limits.max_held_total`): a response that must be held
/// (a class may block it) and would take more than is left is refused with 503 and a
/// problem body; one held only for its length streams on; what a finished response took is
/// given back.
#[tokio::test]
async fn held_bodies_share_a_budget() {
    let up = Upstream::start(|req| async move {
        let n = if req.uri().path() == "/big" {
            80_000
        } else {
            20_000
        };
        resp(200, "text/plain", full("x".repeat(n)))
    })
    .await;
    let soft = proxy(&up.url(), "limits:\n  max_held_total: 100KiB\n").await;
    let r = client()
        .get(format!("http://{}/big", soft.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Streamed on past the budget: no length in advance.
    assert!(
        r.headers().get("content-length").is_none(),
        "{:?}",
        r.headers()
    );
    assert_eq!(r.bytes().await.unwrap().len(), 80_000);
    soft.shutdown().await;
    let p = proxy(
        &up.url(),
        "limits:\n  max_held_total: 100KiB\nactions:\n  default: block\n",
    )
    .await;
    let c = client();
    for _ in 0..3 {
        let r = c
            .get(format!("http://{}/small", p.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.unwrap().len(), 20_000);
    }
    let r = c
        .get(format!("http://{}/big", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.text().await.unwrap().contains("overloaded"));
    assert_eq!(p.proxy.held_bytes(), 0);
    p.shutdown().await;
}

/// Whether `cond` holds within 30 s (polled every 50 ms).
async fn eventually(cond: impl Fn() -> bool) -> bool {
    let t0 = std::time::Instant::now();
    while !cond() {
        if t0.elapsed() > Duration::from_secs(30) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// A client that stops reading is disconnected once a write to it has waited the idle
/// timeout, and what was held for it goes back to the budget: before, a held response
/// stayed in memory for as long as the client kept its connection open.
#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_and_its_body_freed() {
    const SIZE: usize = 8 << 20;
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("x".repeat(SIZE))) })
        .await;
    let p = proxy(
        &up.url(),
        "timeouts:\n  idle: 1s\nactions:\n  default: block\n\
         default_interface:\n  hold_cap: 16MiB\n",
    )
    .await;
    let addr = p.addr;
    // A small receive buffer, so the kernel cannot take the whole body off the proxy.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(16 * 1024).unwrap();
    let mut conn = sock.connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut conn, b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let client = conn.into_std().unwrap();
    client.set_nonblocking(false).unwrap();
    // The response is held (a class may block it), then handed to a client that reads
    // nothing: the socket buffers fill and the rest waits in the proxy.
    assert!(
        eventually(|| p.proxy.held_bytes() > 0).await,
        "the response was held"
    );
    assert!(
        eventually(|| p.proxy.held_bytes() == 0).await,
        "held bytes still {} after 30 s",
        p.proxy.held_bytes()
    );
    // The connection is closed: what the client can still read ends short of the body.
    let got = tokio::task::spawn_blocking(move || {
        let mut s = client;
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out.len()
    })
    .await
    .unwrap();
    assert!(got < SIZE, "read {got} bytes");
    p.shutdown().await;
}

/// An HTTP/2 client that takes the head of a held response and never grants the window for
/// its body keeps its connection writable, so no write stalls: the body is freed and the
/// connection closed when the exchange's total timeout passes with the bytes undelivered.
#[tokio::test]
async fn an_h2_client_that_withholds_its_window_loses_the_connection_at_the_deadline() {
    const SIZE: usize = 2 << 20;
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("x".repeat(SIZE))) })
        .await;
    let p = proxy(
        &up.url(),
        "timeouts:\n  total: 2s\nactions:\n  default: block\n",
    )
    .await;
    let c = reqwest::Client::builder()
        .http2_prior_knowledge()
        .http2_initial_stream_window_size(65_535)
        .http2_initial_connection_window_size(65_535)
        .http2_adaptive_window(false)
        .build()
        .unwrap();
    // The head arrives; the body stays unread, so the client grants no more window.
    let r = c
        .get(format!("http://{}/big", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(p.proxy.held_bytes() > 0, "the response was held");
    assert!(
        eventually(|| p.proxy.held_bytes() == 0).await,
        "still held after 30 s"
    );
    // The connection was closed under the response: its body cannot be read whole.
    let body = tokio::time::timeout(Duration::from_secs(10), r.bytes()).await;
    assert!(
        !matches!(body, Ok(Ok(ref b)) if b.len() == SIZE),
        "the whole body arrived"
    );
    p.shutdown().await;
}

/// An HTTP/1.0 client has no chunked coding: a body without a length ends at the close. A
/// streamed body the upstream cuts off must then end in a reset, never in the clean close
/// that would make the truncated body look complete.
#[tokio::test]
async fn reset_mid_body_resets_an_http10_client() {
    let up = resets_mid_body().await;
    let p = proxy(&up.url(), "").await;
    let addr = p.addr;
    let (head, ended) = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(b"GET /reset HTTP/1.0\r\nhost: a\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        let ended = loop {
            match s.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e.kind()),
            }
        };
        (
            String::from_utf8_lossy(&out[..out.len().min(64)]).into_owned(),
            ended,
        )
    })
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert_eq!(ended, Err(std::io::ErrorKind::ConnectionReset));
    p.shutdown().await;
}

/// An HTTP/2 upstream that answers every request with the start of a JSON body, `head`, and
/// then resets the stream with `RST_STREAM(NO_ERROR)` before its end.
async fn h2_upstream_resetting_after(head: &'static str) -> (String, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(async move {
                let Ok(mut conn) = h2::server::handshake(s).await else {
                    return;
                };
                while let Some(Ok((_req, mut respond))) = conn.accept().await {
                    tokio::spawn(async move {
                        let resp = http::Response::builder()
                            .status(200)
                            .header("content-type", "application/json")
                            .body(())
                            .unwrap();
                        let Ok(mut send) = respond.send_response(resp, false) else {
                            return;
                        };
                        let _ = send.send_data(Bytes::from_static(head.as_bytes()), false);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        send.send_reset(h2::Reason::NO_ERROR);
                    });
                }
            });
        }
    });
    (url, task)
}

/// hyper ends an HTTP/2 body at `RST_STREAM(NO_ERROR)` as at `END_STREAM`. Before
/// `END_STREAM` the body is cut short: a held body is a 502, a streamed one is cut off, and
/// never does the client get the truncated body as if it were whole (here the 17 digits
/// that decide an ID's check digit).
#[tokio::test]
async fn an_h2_body_reset_before_its_end_is_no_whole_body() {
    let head = "{\"name\":\"x\",\"id\":\"11010519491231002";
    let (url, task) = h2_upstream_resetting_after(head).await;
    for actions in [
        "actions:\n  classes:\n    resident_id: block\n",
        "actions:\n  classes:\n    resident_id: redact\n",
    ] {
        let p = proxy(&url, &format!("  protocol: h2\n{actions}")).await;
        let r = client()
            .get(format!("http://{}/persons/1", p.addr))
            .send()
            .await
            .unwrap();
        let status = r.status();
        match r.bytes().await {
            Ok(b) => {
                let b = String::from_utf8_lossy(&b).into_owned();
                assert_eq!(status, 502, "{actions}: {b}");
                assert!(b.contains("upstream-reset"), "{b}");
                assert!(!b.contains("1101051949123100"), "{b}");
            }
            // Streamed: the client sees the body fail, not end.
            Err(e) => assert_eq!(status, 200, "{actions}: {e}"),
        }
        p.shutdown().await;
    }
    task.abort();
}

/// A compressed upload's decoder is held memory too: a brotli stream declares a window of up
/// to 16 MiB, which its decoder may allocate whatever the body's size, so many stalled
/// uploads could take the process's memory between them. The window is charged to
/// `limits.max_held_total` with the body: one that does not fit is refused with 503.
#[tokio::test]
async fn compressed_uploads_are_charged_their_decoders_windows() {
    use std::io::Write;
    let up = Upstream::start(|req| async move {
        let (_, body) = read_body(req).await;
        resp(200, "text/plain", full(format!("{}", body.len())))
    })
    .await;
    let p = proxy(&up.url(), "limits:\n  max_held_total: 8MiB\n").await;
    let brotli = |lgwin: u32| {
        let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 5, lgwin);
        w.write_all(b"{\"bz\":\"ok\"}").unwrap();
        w.into_inner()
    };
    for (lgwin, status) in [(22, 200), (24, 503)] {
        let r = client()
            .post(format!("http://{}/upload", p.addr))
            .header("content-type", "application/json")
            .header("content-encoding", "br")
            .body(brotli(lgwin))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "lgwin {lgwin}");
        if status == 503 {
            assert!(r.text().await.unwrap().contains("overloaded"));
        }
    }
    assert_eq!(p.proxy.held_bytes(), 0);
    p.shutdown().await;
}

/// An HTTP/2 connection with no stream open for `timeouts.idle` is asked to finish (GOAWAY):
/// a client that answers the server's PINGs would otherwise keep it, and its permit of
/// `listen.max_connections`, for ever. A connection carrying a stream is not idle.
#[tokio::test]
async fn an_idle_h2_connection_is_closed_and_its_permit_freed() {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let up = Upstream::start(|req| async move {
        if req.uri().path() == "/slow" {
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
        resp(200, "text/plain", full("ok"))
    })
    .await;
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  max_connections: 1\nupstream:\n  url: {}\ntimeouts:\n  idle: 600ms\n",
        up.url()
    );
    let cfg =
        sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<test>")).unwrap();
    let p = sluice_proxy::start(cfg).await.unwrap();
    let tcp = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    // A stream open longer than the idle timeout keeps the connection.
    for path in ["/slow", "/a"] {
        let req = http::Request::get(format!("http://{}{path}", p.addr))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let r = send.send_request(req).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.into_body().collect().await.unwrap();
    }
    // Then nothing: the proxy ends the connection.
    let ended = tokio::time::timeout(Duration::from_secs(10), conn).await;
    assert!(ended.is_ok(), "the idle connection is still open");
    // Its permit is back: the next client is served.
    let r = h2c_client()
        .get(format!("http://{}/b", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    p.shutdown().await;
}
