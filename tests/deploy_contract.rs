//! What the Helm chart relies on, tested against the real binary and proxy: the admin bearer
//! token read from a mounted Secret file (with the newline `kubectl create secret` files
//! often end with), probes that answer without it, a start that fails loudly on an empty
//! Secret, readiness that refuses traffic while no rule is in force, and `sluice config check`
//! printing the policy summary an operator reviews before shipping a configuration (exit 0),
//! or every error with its line (exit 1).

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{client, full, proxy, resp, Upstream};

fn sluice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sluice-deploy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn status(url: String, token: Option<&str>) -> u16 {
    let mut r = client().get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_token_from_a_mounted_secret_file() {
    let up = Upstream::start(|_| async { resp(200, "application/json", full("{}")) }).await;
    let d = tmpdir("token");
    let file = d.join("token");
    // Secret files made from `--from-file` keep the file's trailing newline: it is not part
    // of the token.
    std::fs::write(&file, "s3cret-from-secret\n").unwrap();
    let p = proxy(
        &up.url(),
        &format!(
            "admin:\n  listen: 127.0.0.1:0\n  token_file: {}\n",
            file.display()
        ),
    )
    .await;
    let admin = p.admin_addr.unwrap();
    // The kubelet's probes carry no credentials.
    assert_eq!(status(format!("http://{admin}/healthz"), None).await, 200);
    assert_eq!(status(format!("http://{admin}/readyz"), None).await, 200);
    assert_eq!(status(format!("http://{admin}/metrics"), None).await, 401);
    assert_eq!(
        status(
            format!("http://{admin}/metrics"),
            Some("s3cret-from-secret")
        )
        .await,
        200
    );
    assert_eq!(
        status(
            format!("http://{admin}/-/rules"),
            Some("s3cret-from-secret")
        )
        .await,
        200
    );
    assert_eq!(
        status(
            format!("http://{admin}/-/rules"),
            Some("s3cret-from-secreT")
        )
        .await,
        401
    );
    // The scheme is case-insensitive; another scheme is not a bearer token.
    let c = client();
    let with = |auth: &'static str| {
        c.get(format!("http://{admin}/metrics"))
            .header("authorization", auth)
            .send()
    };
    assert_eq!(
        with("bearer s3cret-from-secret").await.unwrap().status(),
        200
    );
    let basic = with("Basic czNjcmV0LWZyb20tc2VjcmV0").await.unwrap();
    assert_eq!(basic.status(), 401);
    assert!(basic.headers().contains_key("www-authenticate"));
    // A known route with the wrong method says which methods it takes.
    let r = c
        .get(format!("http://{admin}/-/reload"))
        .bearer_auth("s3cret-from-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST, PUT");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_without_any_rule_in_force() {
    let up = Upstream::start(|_| async { resp(200, "application/json", full("{}")) }).await;
    // What the chart ships when `rules.builtin` is off and no pack is given: a valid, empty
    // pack. The proxy starts, but it would pass everything, so it must not get traffic.
    let d = tmpdir("no-rules");
    std::fs::write(
        d.join("000-empty.yaml"),
        "pack: empty\nversion: 1\nrules: []\n",
    )
    .unwrap();
    let p = proxy(
        &up.url(),
        &format!(
            "rules:\n  builtin: false\n  dir: {}\nadmin:\n  listen: 127.0.0.1:0\n",
            d.display()
        ),
    )
    .await;
    let admin = p.admin_addr.unwrap();
    let r = client()
        .get(format!("http://{admin}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("no rules"));
    assert_eq!(status(format!("http://{admin}/healthz"), None).await, 200);
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_or_missing_token_file_stops_the_start() {
    let d = tmpdir("empty-token");
    let empty = d.join("token");
    std::fs::write(&empty, "\n").unwrap();
    for (file, want) in [(empty, "empty"), (d.join("absent"), "absent")] {
        let yaml = format!(
            "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:1\nadmin:\n  listen: 127.0.0.1:0\n  token_file: {}\n",
            file.display()
        );
        let cfg =
            sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<test>")).unwrap();
        // Serving the admin routes without the token the operator asked for would be worse
        // than not starting.
        let Err(e) = sluice_proxy::start(cfg).await else {
            panic!("started with an unreadable token file ({want})");
        };
        assert!(format!("{e:#}").contains("admin.token_file"), "{e:#}");
    }
}

const POLICY: &str = "\
listen:
  addr: 127.0.0.1:18443
upstream:
  url: http://person-api.gov-exchange.svc:8080
interfaces:
  - name: person_detail
    method: GET
    path: /api/v1/persons/{id}
    grade: important
    sharing: conditional
    consumers: [tax-bureau, civil-affairs]
  - name: person_raw
    path: /api/v1/raw/{*rest}
    sharing: not_shared
identity:
  on_missing: reject
  api_key:
    keys:
      - {consumer: tax-bureau, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}
      - {consumer: civil-affairs, sha256: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752}
rate_limits:
  interfaces:
    person_detail:
      per_consumer:
        requests: {rate: 20/s}
        distinct_values: {max: 2000, window: 24h, action: block}
      total:
        requests: {rate: 200/s}
audit:
  hash: sm3
  sink: {kind: file, path: /var/log/sluice/audit.jsonl, max_bytes: 100MiB, keep: 10}
admin:
  listen: 0.0.0.0:9090
  token_file: /etc/sluice/admin/token
";

#[test]
fn config_check_prints_the_policy_summary() {
    let d = tmpdir("summary");
    let f = d.join("sluice.yaml");
    std::fs::write(&f, POLICY).unwrap();
    let out = sluice().args(["config", "check"]).arg(&f).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |key: &str| -> String {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("no `{key}` line in\n{stdout}"))
            .to_string()
    };
    assert!(
        stdout.starts_with(&format!("{}: OK\n", f.display())),
        "{stdout}"
    );
    assert!(line("listen").contains("127.0.0.1:18443"), "{stdout}");
    assert!(
        line("upstream").contains("http://person-api.gov-exchange.svc:8080"),
        "{stdout}"
    );
    assert!(
        line("interfaces").contains("2 named + `default`"),
        "{stdout}"
    );
    let detail = line("person_detail");
    assert!(
        detail.contains("GET /api/v1/persons/{id}")
            && detail.contains("grade important")
            && detail.contains("conditional, 2 consumers")
            && detail.contains("over_scope block"),
        "{detail}"
    );
    let raw = line("person_raw");
    assert!(
        raw.contains("ANY") && raw.contains("grade -") && raw.contains("not_shared, 0 consumers"),
        "{raw}"
    );
    assert!(
        !raw.contains("over_scope"),
        "no grade, no over-scope: {raw}"
    );
    assert!(line("default ").contains("(unmatched)"), "{stdout}");
    let identity = line("identity");
    // No client CA: mTLS cannot name anyone, so it is not listed.
    assert!(
        identity.contains("api_key (2 keys)") && !identity.contains("mtls"),
        "{identity}"
    );
    assert!(identity.contains("missing reject"), "{identity}");
    assert!(
        line("rate limits").contains("3 rules on 1 interface"),
        "{stdout}"
    );
    let audit = line("audit");
    assert!(
        audit.contains("file /var/log/sluice/audit.jsonl")
            && audit.contains("rotate at 100MiB, keep 10")
            && audit.contains("sm3 chain")
            && audit.contains("on_failure drop"),
        "{audit}"
    );
    assert!(
        line("admin").contains("bearer token from /etc/sluice/admin/token"),
        "{stdout}"
    );
    // The summary never prints a secret: the key hashes stay in the file.
    assert!(!stdout.contains("9f86d081"), "{stdout}");
    assert!(
        !stdout.ends_with("\n\n"),
        "one trailing newline: {stdout:?}"
    );
}

#[test]
fn config_check_summary_of_a_minimal_file_says_what_is_off() {
    let d = tmpdir("minimal");
    let f = d.join("sluice.yaml");
    std::fs::write(
        &f,
        "listen:\n  addr: 127.0.0.1:18080\nupstream:\n  url: http://127.0.0.1:9000\n",
    )
    .unwrap();
    let out = sluice().args(["config", "check"]).arg(&f).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for want in [
        "identity     none (every caller is `anonymous`)",
        "rate limits  none",
        "audit        off",
        "admin        off",
        "interfaces   0 named + `default`",
    ] {
        assert!(stdout.contains(want), "`{want}` missing from\n{stdout}");
    }
}

#[test]
fn config_check_exit_codes() {
    let d = tmpdir("exit");
    let bad = d.join("bad.yaml");
    std::fs::write(
        &bad,
        "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:1\ninterfaces:\n  - name: p\n    path: /p\n    sharing: conditional\n",
    )
    .unwrap();
    let out = sluice()
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no summary for an invalid file");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interfaces[0].consumers"), "{err}");
    let out = sluice()
        .args(["config", "check"])
        .arg(d.join("absent.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
