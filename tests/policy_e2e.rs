//! End-to-end tests of the policy layer over real sockets: consumer identity (API key, JWT),
//! sharing types, over-scope responses, per-consumer actions, rate limits, and the audit trail
//! they leave (chained, verifiable, without raw values).

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sluice_proxy::audit;
use sluice_proxy::identity::api_key_digest;
use support::{full, resp, Upstream, ID, MOBILE};

const KEY_A: &str = "key-for-dept-a-0123456789";
const KEY_B: &str = "key-for-dept-b-9876543210";
const JWT_SECRET: &str = "a-shared-hs256-secret-for-the-policy-tests";

/// A fresh directory under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!(
        "sluice-policy-{tag}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An upstream that answers every path with a JSON record carrying a resident ID and a
/// mobile number, except `/contact/…` (a mobile number only, grade `general`).
async fn upstream() -> Upstream {
    Upstream::start(|req| async move {
        let body = if req.uri().path().starts_with("/contact") {
            format!(r#"{{"name":"x","sjh":"{MOBILE}"}}"#)
        } else {
            format!(r#"{{"name":"x","sfzh":"{ID}","sjh":"{MOBILE}"}}"#)
        };
        resp(200, "application/json", full(body))
    })
    .await
}

/// A different valid resident ID per path: `/ids/7` carries …0007 with its check digit.
fn id_for_path(path: &str) -> String {
    let n: u32 = path
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let first17 = format!("11010519491231{n:03}");
    let check = sluice_rules::validate::gb11643_check_char(first17.as_bytes()).unwrap();
    format!("{first17}{}", check as char)
}

/// The policy under test, with its audit file in `dir`.
fn policy(dir: &std::path::Path) -> String {
    let secret = dir.join("jwt.secret");
    std::fs::write(&secret, JWT_SECRET).unwrap();
    format!(
        r#"identity:
  api_key:
    keys:
      - consumer: dept-a
        sha256: {a}
      - consumer: dept-b
        sha256: {b}
  jwt:
    algorithms: [HS256]
    audience: [sluice]
    keys:
      - alg: HS256
        secret_file: {secret}
interfaces:
  - name: open
    path: /open/{{*rest}}
  - name: cond
    path: /cond/{{*rest}}
    sharing: conditional
    consumers: [dept-a]
  - name: secret
    path: /secret/{{*rest}}
    sharing: not_shared
  - name: contact
    path: /contact/{{*rest}}
    grade: general
  - name: persons
    path: /persons/{{id}}
    grade: general
  - name: persons-masked
    path: /masked/{{id}}
    grade: general
    over_scope: redact
  - name: ids
    path: /ids/{{*rest}}
    actions:
      classes:
        resident_id: block
    consumer_actions:
      dept-a:
        resident_id: redact
      dept-b:
        resident_id: allow
  - name: allowall
    path: /allowall/{{*rest}}
    consumer_actions:
      dept-b:
        resident_id: allow
        mobile: allow
  - name: limited
    path: /limited/{{*rest}}
  - name: secret-get
    method: GET
    path: /gsecret/{{id}}
    sharing: not_shared
  - name: cond-get
    method: GET
    path: /gcond/{{id}}
    sharing: conditional
    consumers: [dept-a]
  - name: open-delete
    method: DELETE
    path: /gcond/{{id}}
rate_limits:
  interfaces:
    limited:
      per_consumer:
        requests:
          rate: 1/m
          burst: 2
audit:
  sink:
    kind: file
    path: {audit}
"#,
        a = api_key_digest(KEY_A),
        b = api_key_digest(KEY_B),
        secret = secret.display(),
        audit = dir.join("audit.jsonl").display(),
    )
}

struct Setup {
    _up: Upstream,
    proxy: sluice_proxy::Running,
    dir: PathBuf,
    client: reqwest::Client,
}

impl Setup {
    async fn new(tag: &str) -> Setup {
        let up = upstream().await;
        let dir = temp_dir(tag);
        let proxy = support::proxy(&up.url(), &policy(&dir)).await;
        Setup {
            _up: up,
            proxy,
            dir,
            client: support::client(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.proxy.addr)
    }

    async fn get(
        &self,
        path: &str,
        key: Option<&str>,
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let mut r = self.client.get(self.url(path));
        if let Some(k) = key {
            r = r.header("x-api-key", k);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, resp.text().await.unwrap(), headers)
    }

    async fn get_bearer(&self, path: &str, token: &str) -> (u16, String) {
        let resp = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// Flushes the trail and returns its records, parsed.
    async fn audit(&self) -> Vec<serde_json::Value> {
        let p = self.proxy.proxy.clone();
        tokio::task::spawn_blocking(move || p.flush_audit())
            .await
            .unwrap();
        std::fs::read_to_string(self.audit_path())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn audit_path(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }
}

fn events<'a>(recs: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    recs.iter().filter(|r| r["event"] == kind).collect()
}

fn jwt(sub: &str, aud: &str, exp_offset: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = serde_json::json!({
        "sub": sub,
        "aud": aud,
        "iat": now,
        "exp": now + exp_offset,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn sharing_types() {
    let s = Setup::new("sharing").await;
    // Unconditional: anyone, the anonymous caller included.
    assert_eq!(s.get("/open/a", None).await.0, 200);
    assert_eq!(s.get("/open/a", Some(KEY_B)).await.0, 200);
    // Not shared: nobody.
    for key in [None, Some(KEY_A), Some(KEY_B)] {
        let (st, body, _) = s.get("/secret/a", key).await;
        assert_eq!(st, 403, "{body}");
        assert!(body.contains("urn:sluice:problem:not-authorized"), "{body}");
    }
    // Conditional: listed consumers only.
    assert_eq!(s.get("/cond/a", Some(KEY_A)).await.0, 200);
    assert_eq!(s.get("/cond/a", Some(KEY_B)).await.0, 403);
    assert_eq!(s.get("/cond/a", None).await.0, 403);
    // A key nobody knows is refused, not treated as anonymous.
    let (st, body, h) = s.get("/open/a", Some("not-a-key")).await;
    assert_eq!(st, 401, "{body}");
    assert!(h.contains_key("www-authenticate"));
    assert!(!body.contains("not-a-key"));

    let recs = s.audit().await;
    let refused = events(&recs, "not_authorized");
    assert_eq!(refused.len(), 5, "{recs:#?}");
    assert!(refused
        .iter()
        .any(|r| r["interface"] == "secret" && r["consumer"] == "dept-a"));
    assert!(refused
        .iter()
        .any(|r| r["interface"] == "cond" && r["consumer"] == "dept-b"));
    let rejected = events(&recs, "identity_rejected");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["identity"], "api_key");
    assert_eq!(rejected[0]["status"], 401);
    // Not-shared calls are counted by outcome.
    let m = s.proxy.proxy.metrics().render(false);
    assert!(m.contains("not-authorized"), "{m}");
    s.proxy.shutdown().await;
}

/// A method an interface does not list reaches neither its handler with the default
/// interface's sharing nor its limits' blind side: `HEAD` is `GET`, and any other method on
/// the path is governed by the strictest interface there.
#[tokio::test]
async fn other_methods_on_an_interfaces_path_keep_its_sharing() {
    let s = Setup::new("methods").await;
    let call = |m: &str, path: &str, key: Option<&str>| {
        let mut r = s.client.request(
            reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
            s.url(path),
        );
        if let Some(k) = key {
            r = r.header("x-api-key", k);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    for m in ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        assert_eq!(call(m, "/gsecret/7", None).await, 403, "{m} not shared");
        assert_eq!(
            call(m, "/gsecret/7", Some(KEY_A)).await,
            403,
            "{m} not shared"
        );
    }
    // Conditional GET: HEAD follows it; an unlisted method takes the stricter of the two
    // interfaces on the path; the listed DELETE keeps its own, unconditional one.
    assert_eq!(call("HEAD", "/gcond/7", Some(KEY_A)).await, 200);
    assert_eq!(call("HEAD", "/gcond/7", None).await, 403);
    assert_eq!(call("PUT", "/gcond/7", None).await, 403);
    assert_eq!(call("PUT", "/gcond/7", Some(KEY_A)).await, 200);
    assert_eq!(call("DELETE", "/gcond/7", None).await, 200);
    // Paths no interface names still go to the default one.
    assert_eq!(call("POST", "/elsewhere/7", None).await, 200);
    let recs = s.audit().await;
    let refused = events(&recs, "not_authorized");
    assert!(refused
        .iter()
        .any(|r| r["interface"] == "secret-get" && r["method"] == "HEAD"));
    assert!(refused
        .iter()
        .any(|r| r["interface"] == "cond-get" && r["method"] == "PUT"));
    s.proxy.shutdown().await;
}

#[tokio::test]
async fn over_scope_is_blocked_audited_and_counted() {
    let s = Setup::new("scope").await;
    // Within scope: a `general` mobile number on a `general` interface (masked as usual).
    let (st, body, _) = s.get("/contact/1", Some(KEY_A)).await;
    assert_eq!(st, 200, "{body}");
    assert!(!body.contains(MOBILE));
    // Above scope: a resident ID (`important`) on the same grade of interface.
    let (st, body, _) = s.get("/persons/1", Some(KEY_A)).await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("urn:sluice:problem:over-scope"), "{body}");
    assert!(!body.contains(ID) && !body.contains(MOBILE));
    // `over_scope: redact`: delivered, with the values above the grade masked.
    let (st, body, _) = s.get("/masked/1", Some(KEY_A)).await;
    assert_eq!(st, 200, "{body}");
    assert!(!body.contains(ID), "{body}");

    let recs = s.audit().await;
    let over = events(&recs, "over_scope");
    assert_eq!(over.len(), 2, "{recs:#?}");
    let blocked = over.iter().find(|r| r["interface"] == "persons").unwrap();
    assert_eq!(blocked["action"], "block");
    assert_eq!(blocked["grade"], "important");
    assert_eq!(blocked["consumer"], "dept-a");
    assert_eq!(blocked["direction"], "response");
    assert_eq!(blocked["reason"], "grade important > general");
    assert!(blocked["classes"]["resident_id"].as_u64().unwrap() >= 1);
    let masked = over
        .iter()
        .find(|r| r["interface"] == "persons-masked")
        .unwrap();
    assert_eq!(masked["action"], "redact");
    let m = s.proxy.proxy.metrics().render(false);
    assert!(
        m.lines()
            .any(|l| l.starts_with("sluice_over_scope") && l.contains("persons")),
        "{m}"
    );
    s.proxy.shutdown().await;
}

#[tokio::test]
async fn per_consumer_actions_and_jwt() {
    let s = Setup::new("consumers").await;
    // dept-a (API key): IDs masked.
    let (st, body, _) = s.get("/ids/1", Some(KEY_A)).await;
    assert_eq!(st, 200, "{body}");
    assert!(!body.contains(ID), "{body}");
    assert!(body.contains("\"sfzh\""));
    // dept-b (API key): IDs in full (the mobile number is still masked by the global action).
    let (st, body, h) = s.get("/ids/1", Some(KEY_B)).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(ID), "{body}");
    assert!(!body.contains(MOBILE), "{body}");
    // A view for one consumer is no shared cache's to keep.
    assert!(
        h["cache-control"].to_str().unwrap().starts_with("private"),
        "{h:?}"
    );
    // Nor is one whose actions leave it uninspected (all allowed): its values are in full.
    let (st, body, h) = s.get("/allowall/1", Some(KEY_B)).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(ID) && body.contains(MOBILE), "{body}");
    assert!(
        h["cache-control"].to_str().unwrap().starts_with("private"),
        "{h:?}"
    );
    // Everyone else: the interface's own action (block).
    let (st, body, _) = s.get("/ids/1", None).await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("urn:sluice:problem:blocked"));
    // dept-b again, authenticated by a JWT bearer token.
    let (st, body) = s.get_bearer("/ids/1", &jwt("dept-b", "sluice", 300)).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(ID), "{body}");
    // Expired, or for another audience: refused.
    let (st, body) = s
        .get_bearer("/ids/1", &jwt("dept-b", "sluice", -3600))
        .await;
    assert_eq!(st, 401, "{body}");
    let (st, _) = s.get_bearer("/ids/1", &jwt("dept-b", "other", 300)).await;
    assert_eq!(st, 401);

    let recs = s.audit().await;
    let redacted = events(&recs, "redacted");
    assert!(redacted
        .iter()
        .any(|r| r["consumer"] == "dept-a" && r["interface"] == "ids"));
    // A redaction's record shows masked samples and keyed fingerprints, one per class,
    // never the value.
    let dept_a = redacted
        .iter()
        .find(|r| r["consumer"] == "dept-a" && r["interface"] == "ids")
        .unwrap();
    let samples = dept_a["samples"].as_array().expect("samples in the record");
    assert!(!samples.is_empty(), "{dept_a}");
    for smp in samples {
        let m = smp["masked"].as_str().unwrap();
        assert!(
            m.contains('*') && !m.contains(ID) && !m.contains(MOBILE),
            "{smp}"
        );
        assert_eq!(smp["fp"].as_str().unwrap().len(), 16, "{smp}");
    }
    assert!(redacted
        .iter()
        .any(|r| r["consumer"] == "dept-b" && r["identity"] == "jwt"));
    let blocked = events(&recs, "blocked");
    assert_eq!(blocked.len(), 1, "{recs:#?}");
    assert_eq!(blocked[0]["consumer"], "anonymous");
    assert_eq!(events(&recs, "identity_rejected").len(), 2);
    s.proxy.shutdown().await;
}

#[tokio::test]
async fn rate_limit_throttles_with_retry_after() {
    let s = Setup::new("limits").await;
    assert_eq!(s.get("/limited/a", Some(KEY_A)).await.0, 200);
    assert_eq!(s.get("/limited/a", Some(KEY_A)).await.0, 200);
    let (st, body, h) = s.get("/limited/a", Some(KEY_A)).await;
    assert_eq!(st, 429, "{body}");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(body.contains("urn:sluice:problem:rate-limited"), "{body}");
    // Per consumer: dept-b still has its own budget.
    assert_eq!(s.get("/limited/a", Some(KEY_B)).await.0, 200);

    let recs = s.audit().await;
    let limited = events(&recs, "limited");
    assert_eq!(limited.len(), 1, "{recs:#?}");
    assert_eq!(limited[0]["action"], "throttle");
    assert_eq!(limited[0]["status"], 429);
    assert_eq!(limited[0]["consumer"], "dept-a");
    assert_eq!(limited[0]["limits"][0]["kind"], "requests");
    s.proxy.shutdown().await;
}

/// The distinct-value quota counts what a consumer receives in full: one whose action for
/// the class is `allow` is refused past its budget like one that gets masked values.
#[tokio::test]
async fn distinct_value_quota_counts_allowed_values() {
    let up = Upstream::start(|req| async move {
        let id = id_for_path(req.uri().path());
        resp(
            200,
            "application/json",
            full(format!(r#"{{"sfzh":"{id}"}}"#)),
        )
    })
    .await;
    let cfg = format!(
        r#"identity:
  api_key:
    keys:
      - consumer: dept-b
        sha256: {b}
interfaces:
  - name: ids
    path: /ids/{{*rest}}
    consumer_actions:
      dept-b:
        resident_id: allow
rate_limits:
  interfaces:
    ids:
      per_consumer:
        distinct_values: {{max: 3, window: 1h, action: block}}
"#,
        b = api_key_digest(KEY_B),
    );
    let p = support::proxy(&up.url(), &cfg).await;
    let c = support::client();
    let get = |n: u32| {
        c.get(format!("http://{}/ids/{n}", p.addr))
            .header("x-api-key", KEY_B)
            .send()
    };
    // A value seen again costs nothing; the third distinct one spends the budget, and the
    // next request is refused before it reaches the upstream.
    for n in [1, 2, 2, 1, 3] {
        let r = get(n).await.unwrap();
        assert_eq!(r.status(), 200, "/ids/{n}");
        let body = r.text().await.unwrap();
        assert!(body.contains("1101051949123100"), "allowed in full: {body}");
    }
    let r = get(4).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(!r.text().await.unwrap().contains("11010519491231004"));
    p.shutdown().await;
}

/// A value sent in a response header, or in a body of a type the interface skips (a JSON
/// body labelled `image/png`, read because its bytes are text), counts against the
/// distinct-value quota like one in any body: the fourth distinct ID is refused.
#[tokio::test]
async fn values_in_headers_and_streamed_bodies_count_against_quotas() {
    let up = Upstream::start(|req| async move {
        let path = req.uri().path().to_string();
        let id = id_for_path(&path);
        if path.starts_with("/h/") {
            let mut r = resp(200, "application/json", full(r#"{"ok":true}"#.to_string()));
            r.headers_mut()
                .insert("x-owner-id", http::HeaderValue::from_str(&id).unwrap());
            r
        } else {
            resp(200, "image/png", full(format!(r#"{{"sfzh":"{id}"}}"#)))
        }
    })
    .await;
    let quota =
        "      per_consumer:\n        distinct_values: {max: 3, window: 1h, action: block}\n";
    let cfg = format!(
        "interfaces:\n  - name: headers\n    path: /h/{{n}}\n  - name: streamed\n    path: /s/{{n}}\nrate_limits:\n  interfaces:\n    headers:\n{quota}    streamed:\n{quota}"
    );
    let p = support::proxy(&up.url(), &cfg).await;
    let c = support::client();
    for prefix in ["h", "s"] {
        for n in [1, 2, 2, 3] {
            let r = c
                .get(format!("http://{}/{prefix}/{n}", p.addr))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "/{prefix}/{n}");
            let owner = r.headers().get("x-owner-id").cloned();
            let body = r.text().await.unwrap();
            assert!(
                !body.contains("1101051949123100")
                    && owner
                        .as_ref()
                        .is_none_or(|v| !v.to_str().unwrap().contains("1101051949123100")),
                "/{prefix}/{n}: a raw value: {body} {owner:?}"
            );
        }
        let r = c
            .get(format!("http://{}/{prefix}/4", p.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "/{prefix}/4 past the quota");
    }
    p.shutdown().await;
}

/// The bytes quota counts what a body holds, not its compressed size: two 60 KiB bodies,
/// gzipped to a few hundred bytes each, spend a 100 KiB budget.
#[tokio::test]
async fn bytes_quota_counts_decoded_bytes() {
    use std::io::Write;
    let plain = "正常的记录 ordinary text without any values in it. ".repeat(1100);
    assert!(plain.len() > 60_000);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(plain.as_bytes()).unwrap();
    let packed = bytes::Bytes::from(enc.finish().unwrap());
    assert!(packed.len() < 4_000);
    let up = Upstream::start(move |_req| {
        let packed = packed.clone();
        async move {
            let mut r = resp(200, "text/plain; charset=utf-8", full(packed));
            r.headers_mut()
                .insert("content-encoding", http::HeaderValue::from_static("gzip"));
            r
        }
    })
    .await;
    let cfg = "rate_limits:\n  interfaces:\n    default:\n      per_consumer:\n        bytes: {max: 100KiB, window: 1h, action: block}\n";
    let p = support::proxy(&up.url(), cfg).await;
    let c = support::client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = c
            .get(format!("http://{}/export", p.addr))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses[..2], [200, 403], "{statuses:?}");
    p.shutdown().await;
}

/// A blocking class found in a body streamed past its hold (an interface that fails open
/// past `hold_cap`) cuts the stream, and the audit record says it was blocked, not
/// redacted.
#[tokio::test]
async fn a_block_after_the_head_is_audited_as_a_block() {
    // The value comes in a later chunk, past the hold, once the head has gone out.
    let up = Upstream::start(|_req| async move {
        let chunks = vec![
            (
                Duration::ZERO,
                bytes::Bytes::from(format!("{{\"note\":\"{}\",", "x".repeat(2000))),
            ),
            (
                Duration::from_millis(100),
                bytes::Bytes::from(format!("\"sfzh\":\"{ID}\"}}")),
            ),
        ];
        resp(200, "application/json", support::streamed(chunks, false))
    })
    .await;
    let dir = temp_dir("streamblock");
    let cfg = format!(
        "actions:\n  classes:\n    resident_id: block\ndefault_interface:\n  hold_cap: 1KiB\n  on_hold_overflow: open\naudit:\n  sink:\n    kind: file\n    path: {}\n",
        dir.join("audit.jsonl").display()
    );
    let p = support::proxy(&up.url(), &cfg).await;
    let r = support::client()
        .get(format!("http://{}/photo", p.addr))
        .send()
        .await;
    let r = r.unwrap();
    assert_eq!(r.status(), 200, "the head went out before the value came");
    let body = r.bytes().await;
    assert!(body.is_err(), "the stream was not cut: {body:?}");
    // The record is written when the server drops the cut stream, which may be just after
    // the client saw the cut.
    let mut recs: Vec<serde_json::Value> = Vec::new();
    for _ in 0..50 {
        let px = p.proxy.clone();
        tokio::task::spawn_blocking(move || px.flush_audit())
            .await
            .unwrap();
        recs = std::fs::read_to_string(dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // The trail's own opening record is there from the start.
        if recs.iter().any(|r| r["event"] != "trail_opened") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(events(&recs, "redacted").is_empty(), "{recs:?}");
    let blocked = events(&recs, "blocked");
    assert_eq!(blocked.len(), 1, "{recs:?}");
    assert_eq!(blocked[0]["action"], "block");
    p.shutdown().await;
}

#[tokio::test]
async fn audit_trail_has_no_raw_values_and_verifies() {
    let s = Setup::new("trail").await;
    let token = jwt("dept-b", "sluice", 300);
    for _ in 0..3 {
        s.get("/ids/1", Some(KEY_A)).await;
        s.get("/ids/1", None).await;
        s.get("/persons/1", Some(KEY_B)).await;
        s.get("/masked/1", Some(KEY_B)).await;
        s.get("/secret/1", Some(KEY_A)).await;
        s.get("/limited/1", Some(KEY_A)).await;
        s.get("/open/1", Some("wrong-key")).await;
        s.get_bearer("/ids/1", &token).await;
    }
    let recs = s.audit().await;
    for kind in [
        "redacted",
        "blocked",
        "over_scope",
        "not_authorized",
        "limited",
        "identity_rejected",
    ] {
        assert!(!events(&recs, kind).is_empty(), "no {kind} record");
    }
    let text = std::fs::read_to_string(s.audit_path()).unwrap();
    for raw in [
        ID,
        MOBILE,
        KEY_A,
        KEY_B,
        "wrong-key",
        token.as_str(),
        JWT_SECRET,
    ] {
        assert!(!text.contains(raw), "the audit trail carries `{raw}`");
    }
    let report = audit::verify(&[s.audit_path()]).unwrap();
    assert_eq!(report.records, recs.len() as u64);
    // An edited record is detected.
    let edited = s.dir.join("edited.jsonl");
    std::fs::write(&edited, text.replacen("dept-a", "dept-x", 1)).unwrap();
    assert!(audit::verify(&[edited]).is_err());
    s.proxy.shutdown().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {}).await;
}

#[tokio::test]
async fn reload_keeps_limit_budgets_unless_their_limit_changes() {
    let up = upstream().await;
    let dir = temp_dir("reload");
    let file = dir.join("sluice.yaml");
    let write = |extra_iface: &str, rate: &str| {
        let yaml = format!(
            "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: {}\nreload:\n  watch: false\n  sighup: false\ninterfaces:\n  - name: limited\n    path: /limited/{{*rest}}\n{extra_iface}rate_limits:\n  interfaces:\n    limited:\n      per_consumer:\n        requests: {{rate: {rate}, burst: 1}}\naudit:\n  sink: {{kind: file, path: {}}}\n",
            up.url(),
            dir.join("audit.jsonl").display()
        );
        std::fs::write(&file, yaml).unwrap();
    };
    write("", "1/m");
    let cfg = sluice_proxy::config::Config::load(&file).unwrap();
    let running = sluice_proxy::start(cfg).await.unwrap();
    let c = support::client();
    let url = format!("http://{}/limited/a", running.addr);
    let status = |c: &reqwest::Client| {
        let url = url.clone();
        let c = c.clone();
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(&c).await, 200);
    assert_eq!(status(&c).await, 429);
    // A policy change elsewhere: the budget (and the audit chain) carry over.
    write("  - name: other\n    path: /other\n", "1/m");
    let r = sluice_proxy::reload::reload(&running.proxy, "admin").await;
    assert_eq!(r.result, "success", "{r:?}");
    assert_eq!(status(&c).await, 429);
    // Another interface's limit is added: this one's budget is still spent.
    let with_other = std::fs::read_to_string(&file).unwrap().replace(
        "rate_limits:\n  interfaces:\n",
        "rate_limits:\n  interfaces:\n    other:\n      per_consumer:\n        requests: {rate: 5/m}\n",
    );
    std::fs::write(&file, with_other).unwrap();
    let r = sluice_proxy::reload::reload(&running.proxy, "admin").await;
    assert_eq!(r.result, "success", "{r:?}");
    assert_eq!(status(&c).await, 429);
    // Its own rate changes: it counts afresh.
    write("  - name: other\n    path: /other\n", "2/m");
    let r = sluice_proxy::reload::reload(&running.proxy, "admin").await;
    assert_eq!(r.result, "success", "{r:?}");
    assert_eq!(status(&c).await, 200);
    let p = running.proxy.clone();
    tokio::task::spawn_blocking(move || p.flush_audit())
        .await
        .unwrap();
    // One chain across the reloads, one trail (its section did not change): its opening
    // record, three throttled calls, two redacted answers.
    let report = audit::verify(&[dir.join("audit.jsonl")]).unwrap();
    assert_eq!(report.records, 6, "{report:?}");
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    assert_eq!(text.matches("\"event\":\"limited\"").count(), 3, "{text}");
    assert_eq!(
        text.matches("\"event\":\"trail_opened\"").count(),
        1,
        "{text}"
    );
    running.shutdown().await;
}

/// Behind a trusted proxy the audit trail names the client that proxy forwarded for (and the
/// proxy as `via_ip`), and the proxy's `X-Forwarded-Proto` / `-Host` reach the upstream; from
/// any other peer the trail names the peer and those two headers are replaced, whatever the
/// caller wrote in them.
#[tokio::test]
async fn the_client_behind_a_trusted_proxy_is_audited_and_its_forwarding_headers_kept() {
    let up = Upstream::start(|req| async move {
        let h = req.headers();
        let pick = |n: &str| support::header_text(h, n);
        let body = format!(
            "xfp={}|xfh={}|mobile={MOBILE}",
            pick("x-forwarded-proto"),
            pick("x-forwarded-host"),
        );
        resp(200, "text/plain", full(body))
    })
    .await;
    for trusted in [true, false] {
        let dir = temp_dir("trusted-proxy");
        let audit_path = dir.join("audit.jsonl");
        let yaml = format!(
            "listen:\n  addr: 127.0.0.1:0\n{}upstream:\n  url: {}\naudit:\n  sink:\n    kind: file\n    path: {}\n",
            if trusted {
                "  trusted_proxies: [127.0.0.0/8, '::1']\n"
            } else {
                ""
            },
            up.url(),
            audit_path.display()
        );
        let cfg = sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<test>"))
            .unwrap_or_else(|e| panic!("{e}"));
        let p = sluice_proxy::start(cfg).await.unwrap();
        let t = support::client()
            .get(format!("http://{}/x", p.addr))
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "evil.example")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(t.contains("mobile=138****8000"), "{t}");
        if trusted {
            assert!(t.starts_with("xfp=https|xfh=evil.example|"), "{t}");
        } else {
            // The proxy's own Host (an address, which the engine masks in the echo).
            assert!(t.starts_with("xfp=http|xfh=127."), "{t}");
            assert!(!t.contains("evil"), "{t}");
        }
        let proxy = p.proxy.clone();
        tokio::task::spawn_blocking(move || proxy.flush_audit())
            .await
            .unwrap();
        let recs: Vec<serde_json::Value> = std::fs::read_to_string(&audit_path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let rec = events(&recs, "redacted")[0];
        if trusted {
            assert_eq!(rec["client_ip"], "203.0.113.7", "{rec}");
            assert_eq!(rec["via_ip"], "127.0.0.1", "{rec}");
        } else {
            assert_eq!(rec["client_ip"], "127.0.0.1", "{rec}");
            assert!(rec.get("via_ip").is_none(), "{rec}");
        }
        audit::verify(&[audit_path]).unwrap();
        p.shutdown().await;
    }
}
