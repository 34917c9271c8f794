//! Block never leaks: the response is held until the decision is certain, even when the
//! upstream streams slowly; past the hold cap the failure mode applies.

use std::io::{Read, Write};
use std::time::Duration;

use bytes::Bytes;

use crate::support::*;

const BLOCK_ID: &str = "actions:\n  classes:\n    resident_id: block\n";

/// Reads everything a raw HTTP/1.1 client receives, so the test sees every byte on the wire.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> Vec<u8> {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[tokio::test]
async fn slow_upstream_block_sends_no_sensitive_byte() {
    let up = Upstream::start(|_req| async move {
        let ms = Duration::from_millis(40);
        let mut chunks = vec![(Duration::ZERO, Bytes::from_static(b"{\"records\":["))];
        for i in 0..10 {
            chunks.push((ms, Bytes::from(format!("{{\"id\":{i},\"xm\":\"clean\"}},"))));
        }
        chunks.push((ms, Bytes::from_static(b"{\"sfzh\":\"1101051949")));
        chunks.push((ms, Bytes::from_static(b"1231002X\"}]}")));
        resp(200, "application/json", streamed(chunks, false))
    })
    .await;
    let p = proxy(&up.url(), BLOCK_ID).await;
    let addr = p.addr;
    let wire = tokio::task::spawn_blocking(move || raw_get(addr, "/persons"))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&wire);
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(text.contains("\"classes\":[\"resident_id\"]"), "{text}");
    assert!(text.contains("\"request_id\":"), "{text}");
    assert!(
        !text.contains("1101051949") && !text.contains("records"),
        "no upstream byte leaked: {text}"
    );
    p.shutdown().await;
}

/// Text under a type the interface skips (JSON labelled `image/png`, an SVG) is held like
/// any text when a class may block: the answer is a 403, not a 200 cut after the head and
/// most of the body. A real image still streams, with its length.
#[tokio::test]
async fn text_under_a_skipped_type_is_held_for_a_block() {
    let up = Upstream::start(|req| async move {
        let ms = Duration::from_millis(30);
        let note = format!("{{\"note\":\"{}\",", "x".repeat(3000));
        match req.uri().path() {
            "/png" => {
                let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
                png.extend(std::iter::repeat_n(7u8, 200_000));
                resp(200, "image/png", full(png))
            }
            path => {
                let ct = if path == "/svg" {
                    "image/svg+xml"
                } else {
                    "image/png"
                };
                let chunks = vec![
                    (Duration::ZERO, Bytes::from(note)),
                    (ms, Bytes::from_static(b"\"sfzh\":\"1101051949")),
                    (ms, Bytes::from_static(b"1231002X\"}")),
                ];
                resp(200, ct, streamed(chunks, false))
            }
        }
    })
    .await;
    let p = proxy(&up.url(), BLOCK_ID).await;
    let addr = p.addr;
    for path in ["/json-as-png", "/svg"] {
        let wire = tokio::task::spawn_blocking(move || raw_get(addr, path))
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&wire);
        assert!(text.starts_with("HTTP/1.1 403"), "{path}: {text}");
        assert!(
            !text.contains("1101051949") && !text.contains("xxxx"),
            "{path}: an upstream byte leaked: {text}"
        );
    }
    let r = client()
        .get(format!("http://{addr}/png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "200016");
    assert_eq!(r.bytes().await.unwrap().len(), 200_016);
    p.shutdown().await;
}

#[tokio::test]
async fn clean_response_under_block_policy_passes_identical() {
    let body = clean_payload(100_000, 3);
    let expect = body.clone();
    let up = Upstream::start(move |_req| {
        let body = body.clone();
        async move {
            let chunks = body
                .chunks(10_000)
                .map(|c| (Duration::from_millis(2), Bytes::copy_from_slice(c)))
                .collect();
            resp(200, "text/plain", streamed(chunks, false))
        }
    })
    .await;
    let p = proxy(&up.url(), BLOCK_ID).await;
    let r = client()
        .get(format!("http://{}/c", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.content_length(),
        Some(expect.len() as u64),
        "held, so the length is known"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), expect.as_slice());
    p.shutdown().await;
}

#[tokio::test]
async fn hold_overflow_fails_closed_by_default() {
    let up = Upstream::start(|_req| async move {
        let chunks = (0..20)
            .map(|_| (Duration::ZERO, Bytes::from(clean_payload(10_000, 1))))
            .collect();
        resp(200, "text/plain", streamed(chunks, false))
    })
    .await;
    let p = proxy(
        &up.url(),
        &format!("{BLOCK_ID}default_interface:\n  hold_cap: 64KiB\n"),
    )
    .await;
    let r = client()
        .get(format!("http://{}/big", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["type"], "urn:sluice:problem:hold-overflow");
    p.shutdown().await;
}

#[tokio::test]
async fn hold_overflow_fail_open_aborts_when_block_found_later() {
    let up = Upstream::start(|_req| async move {
        let mut chunks: Vec<(Duration, Bytes)> = (0..10)
            .map(|_| (Duration::ZERO, Bytes::from(clean_payload(10_000, 1))))
            .collect();
        chunks.push((
            Duration::from_millis(30),
            Bytes::from(format!(" sfzh {ID} tail")),
        ));
        resp(200, "text/plain", streamed(chunks, false))
    })
    .await;
    let p = proxy(
        &up.url(),
        &format!("{BLOCK_ID}default_interface:\n  hold_cap: 32KiB\n  on_hold_overflow: open\n"),
    )
    .await;
    let addr = p.addr;
    let wire = tokio::task::spawn_blocking(move || raw_get(addr, "/big"))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&wire);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "headers were sent (fail open)"
    );
    assert!(
        text.contains("transfer-encoding: chunked"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "the chunked body must not look complete"
    );
    assert!(!text.contains(ID), "the blocked value never left");
    assert!(!text.contains("110105"), "not even its prefix");
    p.shutdown().await;
}

#[tokio::test]
async fn blocked_request_never_reaches_upstream() {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    let up = Upstream::start(move |_req| {
        h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move { resp(200, "text/plain", full("ok")) }
    })
    .await;
    let p = proxy(&up.url(), BLOCK_ID).await;
    let r = client()
        .post(format!("http://{}/submit", p.addr))
        .header("content-type", "application/json")
        .body(format!("{{\"sfzh\":\"{ID}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    p.shutdown().await;
}

#[tokio::test]
async fn block_over_http2() {
    let up = Upstream::start(|_req| async move {
        resp(
            200,
            "application/json",
            full(format!("{{\"sfzh\":\"{ID}\"}}")),
        )
    })
    .await;
    let p = proxy(
        &up.url(),
        &format!("{BLOCK_ID}default_interface:\n  block_status: 451\n"),
    )
    .await;
    let r = h2c_client()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 451);
    assert!(!r.text().await.unwrap().contains(ID));
    p.shutdown().await;
}
