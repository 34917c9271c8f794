//! The admin listener end to end: health and readiness, rules, the interface inventory (with
//! its templating and hard cap), the dry-run scan (findings, never values), the bearer token,
//! and metrics whose labels stay bounded whatever paths and clients do.

#[path = "support/mod.rs"]
mod support;

#[path = "observe/mod.rs"]
mod observe;

use observe::*;
use support::{full, proxy, resp, Upstream, ID};

async fn echo_upstream() -> Upstream {
    Upstream::start(|req| async move {
        let path = req.uri().path().to_string();
        let body = if path.starts_with("/api/v1/persons") {
            format!(r#"{{"xm":"x","sfzh":"{ID}"}}"#)
        } else if path.starts_with("/secret") {
            r#"{"title":"绝密★启用前"}"#.to_string()
        } else {
            r#"{"ok":true}"#.to_string()
        };
        resp(200, "application/json", full(body))
    })
    .await
}

const IFACES: &str = "interfaces:\n  - name: persons\n    path: /api/v1/persons/{id}\n  - name: secret\n    path: /secret/{*rest}\n    actions:\n      default: block\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes() {
    let up = echo_upstream().await;
    let p = proxy(
        &up.url(),
        &format!("admin:\n  listen: 127.0.0.1:0\n  inventory_cap: 5\n{IFACES}"),
    )
    .await;
    let admin = p.admin_addr.unwrap();
    let c = http();
    let base = format!("http://{}", p.addr);

    assert_eq!(admin_get(admin, "/healthz").await.0, 200);
    let (s, b) = admin_get(admin, "/readyz").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(admin_get(admin, "/nope").await.0, 404);
    assert_eq!(admin_post(admin, "/metrics", "").await.0, 405);

    // Rules: ids, versions, hash equal to the engine's.
    let (s, b) = admin_get(admin, "/-/rules").await;
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["hash"].as_str().unwrap(), p.proxy.engine().content_hash());
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), p.proxy.engine().rules().len());
    assert!(rules
        .iter()
        .any(|r| r["id"] == "cn.resident_id" || r["class"] == "resident_id"));
    assert!(rules
        .iter()
        .all(|r| r["version"].is_string() && r["pack"].is_string()));
    assert_eq!(v["last_reload"]["trigger"], "startup");

    // Traffic: a configured interface twice, one blocked, observed paths with identifiers.
    for id in ["1", "2"] {
        let b = c
            .get(format!("{base}/api/v1/persons/{id}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!b.contains(ID), "{b}");
    }
    let r = c.get(format!("{base}/secret/doc")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    for id in ["123", "456", "550e8400-e29b-41d4-a716-446655440000"] {
        c.get(format!("{base}/api/v2/orders/{id}"))
            .send()
            .await
            .unwrap();
    }
    c.get(format!("{base}/api/v2/orders/{ID}/items"))
        .send()
        .await
        .unwrap();

    let (s, b) = admin_get(admin, "/-/interfaces").await;
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    let list = v["interfaces"].as_array().unwrap();
    let find = |path: &str| list.iter().find(|e| e["path"] == path).cloned();
    let persons = find("/api/v1/persons/{id}").expect("configured interface listed");
    assert_eq!(persons["kind"], "configured");
    assert_eq!(persons["requests"], 2);
    assert_eq!(persons["classes"], serde_json::json!(["resident_id"]));
    assert!(persons["highest_grade"].is_string());
    assert!(persons["last_seen"].as_u64().unwrap() > 0);
    let secret = find("/secret/{*rest}").unwrap();
    assert_eq!(secret["blocked"], 1);
    let orders = find("/api/v2/orders/{id}").expect("observed template");
    assert_eq!(orders["kind"], "observed");
    assert_eq!(orders["method"], "GET");
    assert_eq!(orders["requests"], 3);
    assert!(find("/api/v2/orders/{id}/items").is_some());
    assert!(!b.contains(ID), "no identifier reaches the inventory: {b}");
    assert!(!b.contains("550e8400"), "{b}");

    // Dry-run scan: findings with rule, class, grade, action and offsets; never the value.
    let body = format!(r#"{{"sfzh":"{ID}","sjhm":"13800138000"}}"#);
    let r = c
        .post(format!("http://{admin}/-/scan?interface=persons"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let t = r.text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["interface"], "persons");
    let f = v["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|x| x["class"] == "resident_id" && x["action"] == "redact"),
        "{t}"
    );
    assert!(f.iter().any(|x| x["class"] == "mobile"), "{t}");
    assert!(
        !t.contains(ID) && !t.contains("13800138000") && !t.contains("0013"),
        "{t}"
    );
    // The blocking interface's actions say it would block.
    let (s, t) = admin_post(admin, "/-/scan?interface=secret", r#"{"t":"绝密★启用前"}"#).await;
    assert_eq!(s, 200, "{t}");
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["would_block"], true, "{t}");
    // gzip bodies are decoded first.
    let gz = sluice_proxy::codec::encode_all(sluice_proxy::codec::Encoding::Gzip, body.as_bytes())
        .unwrap();
    let r = c
        .post(format!("http://{admin}/-/scan"))
        .header("content-encoding", "gzip")
        .body(gz)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(v["count"].as_u64().unwrap() >= 2, "{v}");
    // A ZIP body (a zip export): its members, each finding naming its member.
    let zipped = {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("rows.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(format!("sfzh,sjhm\n{ID},13800138000\n").as_bytes())
            .unwrap();
        w.finish().unwrap().into_inner()
    };
    let r = c
        .post(format!("http://{admin}/-/scan?interface=persons"))
        .header("content-type", "application/zip")
        .body(zipped)
        .send()
        .await
        .unwrap();
    let t = r.text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["format"], "zip", "{t}");
    let f = v["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|x| x["class"] == "resident_id" && x["member"] == "rows.csv"),
        "{t}"
    );
    assert!(!t.contains(ID), "{t}");
    assert_eq!(
        admin_post(admin, "/-/scan?interface=nope", "x").await.0,
        404
    );

    // Metrics after the traffic.
    let (_, m) = admin_get(admin, "/metrics").await;
    assert_eq!(
        metric(&m, "sluice_requests_total", &[("interface", "persons")]),
        2.0,
        "{m}"
    );
    assert!(
        metric(
            &m,
            "sluice_findings_total",
            &[
                ("interface", "persons"),
                ("class", "resident_id"),
                ("action", "redact"),
                ("direction", "response")
            ]
        ) >= 2.0,
        "{m}"
    );
    assert_eq!(
        metric(
            &m,
            "sluice_blocks_total",
            &[("interface", "secret"), ("direction", "response")]
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            "sluice_responses_total",
            &[
                ("interface", "persons"),
                ("status_class", "2xx"),
                ("outcome", "ok")
            ]
        ),
        2.0,
        "held responses are complete exchanges: {m}"
    );
    assert_eq!(
        metric(&m, "sluice_redactions_total", &[("interface", "persons")]),
        2.0
    );
    assert!(
        metric(
            &m,
            "sluice_upstream_duration_seconds_count",
            &[("interface", "persons")]
        ) >= 2.0
    );
    assert!(
        metric(
            &m,
            "sluice_inspection_duration_seconds_count",
            &[("interface", "persons")]
        ) >= 2.0
    );
    assert!(
        metric(
            &m,
            "sluice_distinct_values",
            &[("interface", "persons"), ("class", "resident_id")]
        ) >= 1.0,
        "{m}"
    );
    assert_eq!(metric(&m, "sluice_build_info", &[]), 1.0);
    // Bounded labels: no path, identifier or address anywhere in the scrape.
    for bad in ["/api/", "orders", ID, "127.0.0.1", "550e8400"] {
        assert!(!m.contains(bad), "`{bad}` leaked into metrics");
    }
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_cap_is_hard() {
    let up = echo_upstream().await;
    let p = proxy(
        &up.url(),
        "admin:\n  listen: 127.0.0.1:0\n  inventory_cap: 3\n",
    )
    .await;
    let admin = p.admin_addr.unwrap();
    let c = http();
    for i in 0..20 {
        // Distinct resource names (not identifiers): each would be its own template.
        c.get(format!("http://{}/res{}x/list", p.addr, (b'a' + i) as char))
            .send()
            .await
            .unwrap();
    }
    let (_, b) = admin_get(admin, "/-/interfaces").await;
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["cap"], 3);
    assert_eq!(v["observed_templates"], 3);
    assert_eq!(v["overflow_requests"], 17);
    let list = v["interfaces"].as_array().unwrap();
    assert_eq!(list.iter().filter(|e| e["kind"] == "observed").count(), 3);
    let overflow = list.iter().find(|e| e["kind"] == "overflow").unwrap();
    assert_eq!(overflow["requests"], 17);
    let (_, m) = admin_get(admin, "/metrics").await;
    assert_eq!(metric(&m, "sluice_inventory_templates", &[]), 3.0);
    assert_eq!(metric(&m, "sluice_inventory_overflow_total", &[]), 17.0);
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_guards_all_but_probes() {
    let up = echo_upstream().await;
    let p = proxy(
        &up.url(),
        "admin:\n  listen: 127.0.0.1:0\n  token: s3cret-token\n",
    )
    .await;
    let admin = p.admin_addr.unwrap();
    assert_eq!(admin_get(admin, "/healthz").await.0, 200);
    assert_eq!(admin_get(admin, "/readyz").await.0, 200);
    for path in ["/metrics", "/-/rules", "/-/interfaces"] {
        assert_eq!(admin_get(admin, path).await.0, 401, "{path}");
    }
    assert_eq!(admin_post(admin, "/-/reload", "").await.0, 401);
    assert_eq!(admin_post(admin, "/-/scan", "x").await.0, 401);
    let c = http();
    let wrong = c
        .get(format!("http://{admin}/metrics"))
        .bearer_auth("s3cret-tokeX")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = c
        .get(format!("http://{admin}/metrics"))
        .bearer_auth("s3cret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
    let (s, _) = {
        let r = c
            .post(format!("http://{admin}/-/reload"))
            .bearer_auth("s3cret-token")
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), ())
    };
    assert_eq!(s, 200);
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_an_unreachable_upstream() {
    // A port nothing listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let p = proxy(&dead, "admin:\n  listen: 127.0.0.1:0\n").await;
    let admin = p.admin_addr.unwrap();
    let (s, b) = admin_get(admin, "/readyz").await;
    assert_eq!(s, 503, "{b}");
    assert!(b.contains("unreachable"), "{b}");
    assert_eq!(admin_get(admin, "/healthz").await.0, 200);
    // Upstream errors are counted by interface and kind.
    let r = http()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    let (_, m) = admin_get(admin, "/metrics").await;
    assert_eq!(
        metric(
            &m,
            "sluice_upstream_errors_total",
            &[("interface", "default")]
        ),
        1.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, "sluice_responses_total", &[("status_class", "5xx")]),
        1.0
    );
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openmetrics_on_request() {
    let up = echo_upstream().await;
    let p = proxy(&up.url(), "admin:\n  listen: 127.0.0.1:0\n").await;
    let admin = p.admin_addr.unwrap();
    let r = http()
        .get(format!("http://{admin}/metrics"))
        .header("accept", "application/openmetrics-text;version=1.0.0")
        .send()
        .await
        .unwrap();
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(r.text().await.unwrap().ends_with("# EOF\n"));
    p.shutdown().await;
}

/// Once graceful shutdown begins, `/readyz` answers 503 (so a load balancer stops sending new
/// requests) while the request already in flight still completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_draining() {
    use std::time::Duration;
    let up = Upstream::start(|_req| async move {
        resp(
            200,
            "text/plain",
            support::streamed(
                vec![
                    (Duration::ZERO, bytes::Bytes::from_static(b"first,")),
                    (
                        Duration::from_millis(1500),
                        bytes::Bytes::from_static(b"last"),
                    ),
                ],
                false,
            ),
        )
    })
    .await;
    let p = proxy(&up.url(), "admin:\n  listen: 127.0.0.1:0\n").await;
    let admin = p.admin_addr.unwrap();
    assert_eq!(admin_get(admin, "/readyz").await.0, 200);
    let url = format!("http://{}/slow", p.addr);
    let inflight =
        tokio::spawn(async move { http().get(&url).send().await.unwrap().text().await.unwrap() });
    // Let the request reach the upstream before shutting down.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shut = tokio::spawn(p.shutdown());
    let mut draining = None;
    for _ in 0..100 {
        let (s, b) = admin_get(admin, "/readyz").await;
        if s == 503 {
            draining = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let b = draining.expect("/readyz never reported the drain");
    assert!(b.contains("shutting down"), "{b}");
    assert_eq!(inflight.await.unwrap(), "first,last");
    shut.await.unwrap();
}
