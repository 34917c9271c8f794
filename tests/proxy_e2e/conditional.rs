//! Conditional requests on an inspected interface: the client is given the proxy's sealed
//! `ETag`, never the origin's (a digest of the unredacted body); a write conditional on the
//! proxy's tag reaches the origin with the origin's own, and one conditional on anything
//! else (a guessed digest, a stale tag, another consumer's) is refused here with 412, the
//! origin never asked.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use sluice_proxy::identity::api_key_digest;

use crate::support::*;

/// The origin's tag of version `v`: an MD5-like digest, as many origins send.
fn origin_tag(v: u32) -> String {
    format!("\"5d41402abc4b2a76b9719d911017c{v:03}\"")
}

/// What the origin saw: each write's method and conditions.
#[derive(Default)]
struct Seen {
    gets: AtomicU32,
    writes: Mutex<Vec<(String, String, String)>>,
}

/// A resource with optimistic concurrency: GET gives a record carrying a resident ID and
/// the version's tag; a PUT or DELETE whose `If-Match` is not the current tag, or whose
/// `If-None-Match` is, gets 412; any other write bumps the version.
async fn origin() -> (Upstream, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let version = Arc::new(AtomicU32::new(1));
    let s = seen.clone();
    let up = Upstream::start(move |req| {
        let (seen, version) = (s.clone(), version.clone());
        async move {
            let (parts, _) = read_body(req).await;
            let current = origin_tag(version.load(Ordering::SeqCst));
            let tag = |mut r: http::Response<UpBody>, t: &str| {
                r.headers_mut().insert("etag", t.parse().unwrap());
                r
            };
            if parts.method == http::Method::GET {
                seen.gets.fetch_add(1, Ordering::SeqCst);
                let body = format!(r#"{{"name":"x","sfzh":"{ID}"}}"#);
                return tag(resp(200, "application/json", full(body)), &current);
            }
            let (im, inm) = (
                header_text(&parts.headers, "if-match"),
                header_text(&parts.headers, "if-none-match"),
            );
            seen.writes
                .lock()
                .unwrap()
                .push((parts.method.to_string(), im.clone(), inm.clone()));
            let listed = |l: &str| l == "*" || l.split(", ").any(|t| t == current);
            if (im != "-" && !listed(&im)) || (inm != "-" && listed(&inm)) {
                return tag(resp(412, "application/json", full("{}")), &current);
            }
            let next = origin_tag(version.fetch_add(1, Ordering::SeqCst) + 1);
            tag(
                resp(200, "application/json", full(r#"{"saved":true}"#)),
                &next,
            )
        }
    })
    .await;
    (up, seen)
}

const KEY_A: &str = "key-for-dept-a-0123456789";
const KEY_B: &str = "key-for-dept-b-9876543210";

fn consumers() -> String {
    format!(
        "identity:\n  api_key:\n    keys:\n      - consumer: dept-a\n        sha256: {}\n      - consumer: dept-b\n        sha256: {}\n",
        api_key_digest(KEY_A),
        api_key_digest(KEY_B)
    )
}

async fn get_tag(base: &str, key: &str) -> String {
    let r = client()
        .get(format!("{base}/doc"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t = r.headers()["etag"].to_str().unwrap().to_string();
    let b = r.bytes().await.unwrap();
    assert!(!contains(&b, ID), "{}", String::from_utf8_lossy(&b));
    t
}

async fn put(base: &str, key: &str, conditions: &[(&str, &str)]) -> reqwest::Response {
    let mut rq = client()
        .put(format!("{base}/doc"))
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(r#"{"doc":"new"}"#);
    for (n, v) in conditions {
        rq = rq.header(*n, *v);
    }
    rq.send().await.unwrap()
}

/// Asserts that `r` is the proxy's own 412 problem.
async fn refused_here(r: reqwest::Response) {
    assert_eq!(r.status(), 412);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["type"], "urn:sluice:problem:precondition-failed", "{p}");
    assert_eq!(p["status"], 412);
}

/// Read, revalidate, then write conditionally, through the proxy: the client's tag is the
/// proxy's (the origin's digest nowhere in it), revalidating with it gives 304 as before,
/// and a write with `If-Match` or `If-None-Match` naming it reaches the origin with the
/// origin's tag, as the origin wrote it, and succeeds. The next read gives a new tag.
#[tokio::test]
async fn a_write_conditional_on_the_proxys_tag_reaches_the_origin_with_its_own() {
    let (up, seen) = origin().await;
    let p = proxy(&up.url(), &consumers()).await;
    let base = format!("http://{}", p.addr);
    let t1 = get_tag(&base, KEY_A).await;
    let opaque = t1
        .strip_prefix("W/\"")
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a weak tag: {t1}"));
    assert!(
        opaque
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{t1}"
    );
    assert!(!t1.contains("5d41402abc4b2a76b9719d911017c"), "{t1}");
    // Deterministic: the same tag again, and a revalidation answered 304 here.
    assert_eq!(get_tag(&base, KEY_A).await, t1);
    let again = client()
        .get(format!("{base}/doc"))
        .header("x-api-key", KEY_A)
        .header("if-none-match", &t1)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], t1.as_str());

    // If-None-Match naming the current representation: the origin gets its own tag and
    // refuses (412 from the origin, with its own answer).
    let r = put(&base, KEY_A, &[("if-none-match", &t1)]).await;
    assert_eq!(r.status(), 412);
    assert_eq!(r.headers()["content-type"], "application/json");
    let r = put(&base, KEY_A, &[("if-match", &format!("\"junk\", {t1}"))]).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let t2 = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(t2.starts_with("W/\"") && t2 != t1, "{t2}");
    assert_eq!(get_tag(&base, KEY_A).await, t2);
    // `*` passes as it is; an If-None-Match of tags that do not open goes.
    let r = put(&base, KEY_A, &[("if-match", "*"), ("if-none-match", &t1)]).await;
    assert_eq!(r.status(), 200);
    let r = put(&base, KEY_A, &[("if-none-match", "\"guess\"")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        *seen.writes.lock().unwrap(),
        [
            ("PUT".into(), "-".into(), origin_tag(1)),
            ("PUT".into(), origin_tag(1), "-".into()),
            ("PUT".into(), "*".into(), origin_tag(1)),
            ("PUT".into(), "-".into(), "-".into()),
        ]
    );
    p.shutdown().await;
}

/// A write conditional on anything but a tag the proxy gave under the rules, policy and
/// consumer in force is refused here with 412, and the origin never sees it: a guessed
/// origin digest forwarded would be answered 412 or 2xx by whether it was right.
#[tokio::test]
async fn a_write_conditional_on_a_tag_the_proxy_did_not_give_is_refused_here() {
    let (up, seen) = origin().await;
    let p = proxy(&up.url(), &consumers()).await;
    let base = format!("http://{}", p.addr);
    let t1 = get_tag(&base, KEY_A).await;
    let mut forged = t1.clone().into_bytes();
    let i = forged.len() / 2;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for if_match in [
        origin_tag(1),
        format!("W/{}", origin_tag(1)),
        forged,
        "W/\"\"".to_string(),
        "\"a\", \"b\"".to_string(),
    ] {
        refused_here(put(&base, KEY_A, &[("if-match", &if_match)]).await).await;
    }
    // `*` beside a tag is malformed: refused here (400), the guess not forwarded.
    for (name, list) in [
        ("if-match", format!("{}, *", origin_tag(1))),
        ("if-none-match", format!("*, {}", origin_tag(1))),
    ] {
        assert_eq!(put(&base, KEY_A, &[(name, &list)]).await.status(), 400);
    }
    // Another consumer's tag for the same resource is not this consumer's, and the tags
    // differ, as their views may.
    let tb = get_tag(&base, KEY_B).await;
    assert_ne!(tb, t1);
    refused_here(put(&base, KEY_B, &[("if-match", &t1)]).await).await;
    refused_here(put(&base, KEY_A, &[("if-match", &tb)]).await).await;
    assert!(seen.writes.lock().unwrap().is_empty());
    p.shutdown().await;

    // Under another configuration (here only its text differs) the tag is another, and the
    // old one no longer opens.
    let q = proxy(&up.url(), &format!("{}# policy v2\n", consumers())).await;
    let qbase = format!("http://{}", q.addr);
    let tq = get_tag(&qbase, KEY_A).await;
    assert_ne!(tq, t1);
    refused_here(put(&qbase, KEY_A, &[("if-match", &t1)]).await).await;
    assert!(seen.writes.lock().unwrap().is_empty());
    let r = put(&qbase, KEY_A, &[("if-match", &tq)]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        *seen.writes.lock().unwrap(),
        [("PUT".into(), origin_tag(1), "-".into())]
    );
    assert!(seen.gets.load(Ordering::SeqCst) >= 3);
    q.shutdown().await;
}

/// Reads and writes of one path on two interfaces (`doc_read` for GET, `doc_write` for
/// PUT, which need not inspect responses): the tag a read gave opens on the write, bound
/// to the interface that serves the path's reads.
#[tokio::test]
async fn a_write_on_its_own_interface_opens_the_tag_its_read_gave() {
    let (up, seen) = origin().await;
    for write_inspects in [true, false] {
        let extra = format!(
            "{}interfaces:\n  - name: doc_read\n    method: GET\n    path: /doc\n  - name: doc_write\n    method: PUT\n    path: /doc\n    inspect_responses: {write_inspects}\n",
            consumers()
        );
        let p = proxy(&up.url(), &extra).await;
        let base = format!("http://{}", p.addr);
        let t = get_tag(&base, KEY_A).await;
        let r = put(&base, KEY_A, &[("if-match", &t)]).await;
        assert_eq!(r.status(), 200, "{write_inspects}: {:?}", r.text().await);
        // A raw guess is still refused here.
        let v = seen.writes.lock().unwrap().len();
        refused_here(put(&base, KEY_A, &[("if-match", &origin_tag(9))]).await).await;
        assert_eq!(seen.writes.lock().unwrap().len(), v);
        p.shutdown().await;
    }
    let writes = seen.writes.lock().unwrap().clone();
    assert_eq!(
        writes,
        [
            ("PUT".into(), origin_tag(1), "-".into()),
            ("PUT".into(), origin_tag(2), "-".into()),
        ]
    );
}
