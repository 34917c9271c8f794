//! promtool over real output: `promtool check metrics` on a scrape of a live proxy after real
//! traffic (redaction, blocking, gzip, upstream failure, a reload), and `dashboards/check.sh`
//! (`promtool check rules`, `promtool test rules` for every alert, the PrometheusRule template,
//! every dashboard expression parses and names only metrics in that same scrape).
//!
//! Needs promtool (`dashboards/setup.sh`). Without it these tests fail with the install line,
//! unless `SLUICE_SKIP_PROMTOOL=1`, which turns them into a printed SKIP.

#[path = "support/mod.rs"]
mod support;

#[path = "observe/mod.rs"]
mod observe;

use std::io::Write as _;
use std::process::{Command, Stdio};

use observe::*;
use support::{full, proxy, resp, Upstream, ID};

fn dashboards() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dashboards")
}

async fn live_scrape() -> String {
    let up = Upstream::start(|req| async move {
        match req.uri().path() {
            "/gz" => {
                let body = format!(r#"{{"sfzh":"{ID}"}}"#);
                let gz = sluice_proxy::codec::encode_all(
                    sluice_proxy::codec::Encoding::Gzip,
                    body.as_bytes(),
                )
                .unwrap();
                let mut r = resp(200, "application/json", full(gz));
                r.headers_mut()
                    .insert("content-encoding", http::HeaderValue::from_static("gzip"));
                r
            }
            "/secret" => resp(200, "text/plain", full("绝密★启用前")),
            _ => resp(
                200,
                "application/json",
                full(format!(
                    r#"{{"xm":"x","sfzh":"{ID}","sjhm":"13800138000"}}"#
                )),
            ),
        }
    })
    .await;
    // A file audit trail, so the scrape holds its chain head (a series with no label).
    let trail = std::env::temp_dir().join(format!("sluice-promtool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&trail);
    std::fs::create_dir_all(&trail).unwrap();
    let p = proxy(
        &up.url(),
        &format!(
            "admin:\n  listen: 127.0.0.1:0\nmetrics:\n  consumers: [tax-bureau]\ninterfaces:\n  - name: persons\n    path: /api/{{*rest}}\n  - name: secret\n    path: /secret\n    actions:\n      default: block\naudit:\n  sink:\n    kind: file\n    path: {}\n",
            trail.join("audit.jsonl").display()
        ),
    )
    .await;
    let admin = p.admin_addr.unwrap();
    let c = http();
    let base = format!("http://{}", p.addr);
    for _ in 0..5 {
        c.get(format!("{base}/api/persons/1")).send().await.unwrap();
        c.post(format!("{base}/api/upload"))
            .header("content-type", "application/json")
            .body(format!(r#"{{"sfzh":"{ID}"}}"#))
            .send()
            .await
            .unwrap();
    }
    c.get(format!("{base}/gz")).send().await.unwrap();
    c.get(format!("{base}/secret")).send().await.unwrap();
    let (s, _) = admin_post(admin, "/-/reload", "").await;
    assert_eq!(s, 200);
    let (s, m) = admin_get(admin, "/metrics").await;
    assert_eq!(s, 200);
    p.shutdown().await;
    drop(up);
    let _ = std::fs::remove_dir_all(&trail);
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_check_metrics_on_a_live_scrape() {
    let Some(promtool) = promtool() else { return };
    let m = live_scrape().await;
    // The traffic really reached the metrics being checked.
    assert!(
        metric(&m, "sluice_findings_total", &[("direction", "request")]) >= 5.0,
        "{m}"
    );
    assert!(metric(&m, "sluice_findings_total", &[("direction", "response")]) >= 5.0);
    assert_eq!(
        metric(&m, "sluice_blocks_total", &[("interface", "secret")]),
        1.0
    );
    // The trail's head: its opening record and records of the exchanges (written by the
    // trail's own thread, so at least some of them by now).
    assert!(
        m.lines().any(|l| l.starts_with("sluice_audit_chain_seq ")),
        "{m}"
    );
    assert!(metric(&m, "sluice_audit_chain_seq", &[]) >= 1.0, "{m}");
    assert!(metric(&m, "sluice_audit_records_written_total", &[]) >= 2.0);
    assert!(
        metric(
            &m,
            "sluice_body_bytes_total",
            &[("direction", "request"), ("side", "in")]
        ) > 0.0
    );
    assert!(
        metric(
            &m,
            "sluice_consumer_requests_total",
            &[("consumer", "other")]
        ) >= 10.0
    );
    assert_eq!(
        metric(
            &m,
            "sluice_reloads_total",
            &[("trigger", "admin"), ("result", "unchanged")]
        ),
        1.0
    );
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(m.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- scrape ---\n{m}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The dashboard and alert rules against the names of this real scrape.
    let file = std::env::temp_dir().join(format!("sluice-scrape-{}.prom", std::process::id()));
    std::fs::write(&file, &m).unwrap();
    let out = Command::new("bash")
        .arg(dashboards().join("check.sh"))
        .arg("--scrape")
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "dashboards/check.sh failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_test_rules_for_every_alert() {
    let Some(promtool) = promtool() else { return };
    let d = dashboards();
    let out = Command::new(promtool)
        .arg("test")
        .arg("rules")
        .arg(d.join("tests/sluice.rules.test.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every alert of the rule file has a unit test that expects it to fire and one where it
    // must be silent.
    let rules = std::fs::read_to_string(d.join("sluice.rules.yml")).unwrap();
    let tests = std::fs::read_to_string(d.join("tests/sluice.rules.test.yml")).unwrap();
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert!(alerts.len() >= 8);
    let docs: serde_yaml_ng::Value = serde_yaml_ng::from_str(&tests).unwrap();
    for a in &alerts {
        let mut fires = false;
        let mut silent = false;
        for t in docs["tests"].as_sequence().unwrap() {
            for c in t["alert_rule_test"].as_sequence().unwrap() {
                if c["alertname"].as_str() == Some(a) {
                    let n = c["exp_alerts"].as_sequence().map_or(0, |s| s.len());
                    if n > 0 {
                        fires = true;
                    } else {
                        silent = true;
                    }
                }
            }
        }
        assert!(
            fires && silent,
            "alert {a}: needs a firing and a silent case"
        );
        let runbook = std::fs::read_to_string(d.join("RUNBOOK.md")).unwrap();
        assert!(
            runbook.contains(&format!("## {a}\n")),
            "RUNBOOK.md has no section for {a}"
        );
    }
}
