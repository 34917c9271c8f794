//! Clean traffic passes byte-identical, streamed, over HTTP/1.1 and HTTP/2, with hop-by-hop
//! headers removed and forwarding headers added.

use std::time::Duration;

use bytes::Bytes;

use crate::support::*;

#[tokio::test]
async fn clean_random_payloads_pass_byte_identical() {
    let up = Upstream::start(|req| async move {
        let q = req.uri().query().unwrap_or("").to_string();
        let (size, chunked) = {
            let mut it = q.split('&');
            let size: usize = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            (size, it.next() == Some("chunked"))
        };
        let body = clean_payload(size, size as u64);
        if chunked {
            let chunks = body
                .chunks(7001)
                .map(|c| (Duration::ZERO, Bytes::copy_from_slice(c)))
                .collect();
            resp(200, "application/json", streamed(chunks, false))
        } else {
            resp(200, "text/plain", full(body))
        }
    })
    .await;
    let p = proxy(&up.url(), "").await;
    let c = client();
    for size in [0usize, 1, 511, 512, 513, 16 * 1024, 300 * 1024, 2 << 20] {
        for chunked in [false, true] {
            let url = format!(
                "http://{}/data?{size}{}",
                p.addr,
                if chunked { "&chunked" } else { "" }
            );
            let r = c.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let cl = r.content_length();
            let body = r.bytes().await.unwrap();
            let want = clean_payload(size, size as u64);
            if body.as_ref() != want.as_slice() {
                let at = body
                    .iter()
                    .zip(&want)
                    .position(|(a, b)| a != b)
                    .unwrap_or(body.len().min(want.len()));
                let ctx = |v: &[u8]| {
                    String::from_utf8_lossy(&v[at.saturating_sub(40)..(at + 40).min(v.len())])
                        .to_string()
                };
                panic!("size {size} chunked {chunked}: got {} bytes, want {}; first difference at {at}: got {:?} want {:?}", body.len(), want.len(), ctx(&body), ctx(&want));
            }
            if !chunked && size <= 256 * 1024 {
                assert_eq!(cl, Some(size as u64), "Content-Length kept for held bodies");
            }
        }
    }
    p.shutdown().await;
}

#[tokio::test]
async fn headers_forwarded_hop_by_hop_removed_request_id_propagated() {
    let up = Upstream::start(|req| async move {
        let h = req.headers();
        let pick = |n: &str| header_text(h, n);
        let body = format!(
            "xff={}|fwd={}|rid={}|x-secret={}|keep-alive={}|host={}",
            pick("x-forwarded-for"),
            pick("forwarded"),
            pick("x-request-id"),
            pick("x-secret"),
            pick("keep-alive"),
            pick("host"),
        );
        let mut r = resp(200, "text/plain", full(body));
        r.headers_mut()
            .insert("connection", "x-up-secret".parse().unwrap());
        r.headers_mut().insert("x-up-secret", "1".parse().unwrap());
        r
    })
    .await;
    // The echo contains IP addresses, which the engine would (rightly) mask.
    let p = proxy(&up.url(), "actions:\n  classes:\n    ip_address: allow\n").await;
    let r = client()
        .get(format!("http://{}/h", p.addr))
        .header("x-request-id", "req-abc.123")
        .header("connection", "x-secret")
        .header("x-secret", "s")
        .header("keep-alive", "timeout=5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "req-abc.123");
    assert!(r.headers().get("x-up-secret").is_none());
    let t = r.text().await.unwrap();
    assert!(t.contains("xff=127.0.0.1|"), "{t}");
    assert!(t.contains("fwd=for=127.0.0.1;proto=http"), "{t}");
    assert!(t.contains("rid=req-abc.123|"), "{t}");
    assert!(t.contains("x-secret=-|keep-alive=-|"), "{t}");
    assert!(t.contains(&format!("host={}", up.addr)), "{t}");
    // A generated id when the client sends none (or an unsafe one).
    let r = client()
        .get(format!("http://{}/h", p.addr))
        .header("x-request-id", "bad id")
        .send()
        .await
        .unwrap();
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(rid.len(), 32);
    p.shutdown().await;
}

/// An origin that sets many cookies (or tracing headers) is answered as it answered: more
/// than hyper's default of 100 response header fields is no bad gateway.
#[tokio::test]
async fn responses_with_many_header_fields_pass() {
    let up = Upstream::start(|_req| async move {
        let mut r = resp(200, "text/plain", full("ok"));
        for i in 0..300 {
            r.headers_mut()
                .append("set-cookie", format!("c{i}=v{i}; Path=/").parse().unwrap());
        }
        r
    })
    .await;
    let p = proxy(&up.url(), "").await;
    // (A raw client: reqwest, like hyper, stops at 100 fields.)
    let addr = p.addr;
    let wire = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(b"GET /many HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert!(wire.starts_with("HTTP/1.1 200"), "{wire}");
    assert_eq!(wire.matches("set-cookie: c").count(), 300, "{wire}");
    assert!(wire.ends_with("\r\n\r\nok"), "{wire}");
    p.shutdown().await;
}

#[tokio::test]
async fn http2_prior_knowledge_both_sides() {
    let up = Upstream::start(|req| async move {
        let v = format!("{:?}", req.version());
        resp(
            200,
            "application/json",
            full(format!("{{\"v\":\"{v}\",\"sfzh\":\"{ID}\"}}")),
        )
    })
    .await;
    let p = proxy(&up.url(), "  protocol: h2\n").await;
    let r = h2c_client()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let t = r.text().await.unwrap();
    assert!(t.contains("\"v\":\"HTTP/2.0\""), "upstream saw h2c: {t}");
    assert!(!t.contains(ID), "{t}");
    // HTTP/1.1 clients still work on the same listener.
    let r = client()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_11);
    p.shutdown().await;
}

#[tokio::test]
async fn curl_http1_and_h2c() {
    if !have("curl") {
        eprintln!("SKIP curl_http1_and_h2c: curl is not installed");
        return;
    }
    let up = Upstream::start(|_req| async move {
        resp(
            200,
            "application/json",
            full(format!("{{\"lxdh\":\"{MOBILE}\",\"ok\":true}}")),
        )
    })
    .await;
    let p = proxy(&up.url(), "").await;
    for flags in [&["--http1.1"][..], &["--http2-prior-knowledge"][..]] {
        let url = format!("http://{}/c", p.addr);
        let out = tokio::process::Command::new("curl")
            .args(["-sS", "-w", "\n%{http_version} %{http_code}"])
            .args(flags)
            .arg(&url)
            .output()
            .await
            .unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{s} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!s.contains(MOBILE), "{s}");
        assert!(s.contains("138****8000"), "{s}");
        let want = if flags[0] == "--http1.1" {
            "1.1 200"
        } else {
            "2 200"
        };
        assert!(s.trim_end().ends_with(want), "{s}");
    }
    p.shutdown().await;
}

#[tokio::test]
async fn interfaces_route_by_method_and_template() {
    let overridden = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let o = overridden.clone();
    let up = Upstream::start(move |req| {
        if req.headers().contains_key("x-http-method-override") {
            o.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        async move {
            resp(
                200,
                "application/json",
                full(format!("{{\"sfzh\":\"{ID}\"}}")),
            )
        }
    })
    .await;
    let extra = "interfaces:\n  - name: person_detail\n    method: GET\n    path: /api/v1/persons/{id}\n    actions:\n      classes:\n        resident_id: block\n  - name: export\n    path: /export/{*rest}\n    inspect_responses: false\n";
    let p = proxy(&up.url(), extra).await;
    let c = client();
    let r = c
        .get(format!("http://{}/api/v1/persons/42", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["interface"], "person_detail");
    // Same path, another method: still a call on the interface's data, under its policy.
    let r = c
        .post(format!("http://{}/api/v1/persons/42", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["interface"], "person_detail");
    // A path no interface names: the default interface, redaction.
    let r = c
        .post(format!("http://{}/api/v1/other/42", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains(ID));
    // Not inspected: passes as is.
    let r = c
        .get(format!("http://{}/export/a/b", p.addr))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains(ID));
    // A method in another case is the method frameworks act on, and a POST that asks the
    // upstream to take it for a GET is read as the POST it is (the override never leaves),
    // on the same interface as any method on its path.
    for (method, override_to, iface) in [
        ("gEt", None, "person_detail"),
        ("get", None, "person_detail"),
        ("POST", Some("GET"), "person_detail"),
        ("POST", None, "person_detail"),
    ] {
        let mut req = c.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("http://{}/api/v1/persons/42", p.addr),
        );
        if let Some(o) = override_to {
            req = req.header("x-http-method-override", o);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 403, "{method}");
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!(j["interface"], iface, "{method}");
    }
    assert!(!overridden.load(std::sync::atomic::Ordering::Relaxed));
    p.shutdown().await;
}

#[tokio::test]
async fn upgrade_refused_unless_interface_allows_it() {
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("no")) }).await;
    let p = proxy(&up.url(), "").await;
    let r = client()
        .get(format!("http://{}/ws", p.addr))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    p.shutdown().await;
    // An interface that allows WebSocket allows nothing else (an `h2c` tunnel would carry
    // anything past its filters).
    let p = proxy(
        &up.url(),
        "interfaces:\n  - name: ws\n    path: /ws\n    websocket: true\n",
    )
    .await;
    for proto in ["h2c", "foo"] {
        let r = client()
            .get(format!("http://{}/ws", p.addr))
            .header("connection", "upgrade")
            .header("upgrade", proto)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{proto}");
    }
    p.shutdown().await;
}

/// An empty body labelled gzip passes as it came, empty, whatever the policy and framing (a
/// chunked one came out of a redacting interface as a 20-byte empty gzip stream).
#[tokio::test]
async fn an_empty_gzip_body_stays_empty() {
    let up = Upstream::start(|req| async move {
        let body = if req.uri().path() == "/chunked" {
            streamed(Vec::new(), false)
        } else {
            full(Bytes::new())
        };
        let mut r = resp(200, "application/json", body);
        r.headers_mut()
            .insert("content-encoding", "gzip".parse().unwrap());
        r
    })
    .await;
    for policy in [
        "actions:\n  default: redact\n",
        "actions:\n  default: block\n",
    ] {
        let p = proxy(&up.url(), policy).await;
        for path in ["/chunked", "/empty"] {
            let r = client()
                .get(format!("http://{}{path}", p.addr))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{policy} {path}");
            let b = r.bytes().await.unwrap();
            assert!(b.is_empty(), "{policy} {path}: {} bytes", b.len());
        }
        p.shutdown().await;
    }
}
