//! Hot reload of rules and policy, end to end: ConfigMap-style `..data` swaps seen by the
//! directory watch, a broken rule pack that keeps the old rules and says why, SIGHUP, requests
//! in flight keeping the rules they started with, and a reload under continuous load that
//! loses no request.

#[path = "support/mod.rs"]
mod support;

#[path = "observe/mod.rs"]
mod observe;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use observe::*;
use support::{full, resp, Upstream};

/// An upstream that echoes a fixed JSON body containing `word`.
async fn upstream_saying(word: &'static str) -> Upstream {
    Upstream::start(move |_req| async move {
        resp(
            200,
            "application/json",
            full(format!(r#"{{"note":"project {word} REPORT"}}"#)),
        )
    })
    .await
}

fn config(upstream: &str, rules_dir: &std::path::Path, extra: &str) -> String {
    format!(
        "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: {upstream}\nrules:\n  dir: {}\nadmin:\n  listen: 127.0.0.1:0\nreload:\n  debounce: 200ms\n{extra}",
        rules_dir.display()
    )
}

async fn rules_hash(admin: std::net::SocketAddr) -> String {
    let (_, body) = admin_get(admin, "/-/rules").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["hash"].as_str().unwrap().to_string()
}

/// Whether the rules in force stop being those of hash `h` within 10 s (a reload happened).
async fn rules_changed_from(admin: std::net::SocketAddr, h: &str) -> bool {
    eventually(Duration::from_secs(10), || async {
        rules_hash(admin).await != h
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_configmap_swaps_in_a_row_reload_twice() {
    let up = upstream_saying("BLUEFIN").await;
    let tmp = TempDir::new("swap");
    let mut rules = ConfigMap::new(
        &tmp.0.join("rules"),
        &[("custom.yaml", &codename_pack("NOTHING-YET"))],
    );
    let cfgmap = ConfigMap::new(
        &tmp.0.join("config"),
        &[("sluice.yaml", &config(&up.url(), &tmp.0.join("rules"), ""))],
    );
    let p = start_from_file(&cfgmap.dir.join("sluice.yaml")).await;
    let admin = p.admin_addr.unwrap();
    let url = format!("http://{}/x", p.addr);
    let h0 = rules_hash(admin).await;
    let body = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("BLUEFIN"), "{body}");

    // First swap: the code name becomes a rule.
    rules.update(&[("custom.yaml", &codename_pack("BLUEFIN"))]);
    assert!(
        rules_changed_from(admin, &h0).await,
        "first ..data swap was not picked up"
    );
    let h1 = rules_hash(admin).await;
    let body = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        body.contains("[CODENAME]") && !body.contains("BLUEFIN"),
        "{body}"
    );

    // Second swap: a watch on the file itself would now follow a deleted inode.
    rules.update(&[("custom.yaml", &codename_pack("REPORT"))]);
    assert!(
        rules_changed_from(admin, &h1).await,
        "second ..data swap was not picked up"
    );
    let body = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        body.contains("BLUEFIN") && body.contains("[CODENAME]"),
        "{body}"
    );
    // The reload counts itself just after the new rules are in force, so a scrape right
    // after the hash changed may come before the count (a loaded CI machine showed 1).
    let watched = |m: &str| {
        metric(
            m,
            "sluice_reloads_total",
            &[("trigger", "watch"), ("result", "success")],
        )
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            watched(&admin_get(admin, "/metrics").await.1) == 2.0
        })
        .await,
        "two watched reloads counted"
    );
    let (_, m) = admin_get(admin, "/metrics").await;
    assert_eq!(watched(&m), 2.0, "{m}");
    assert_eq!(metric(&m, "sluice_rules_last_reload_successful", &[]), 1.0);
    assert_eq!(
        metric(
            &m,
            "sluice_rules_info",
            &[("hash", &rules_hash(admin).await)]
        ),
        1.0,
        "one rules_info series, for the hash in force"
    );
    assert_eq!(m.matches("sluice_rules_info{").count(), 1, "{m}");
    p.shutdown().await;
}

/// A release deployed by swapping the rules directory itself (a symlink moved onto the
/// next release's directory, as deploy tools do) is seen, and so are edits inside the new
/// directory afterwards: the watch follows the path, not the directory it first found.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rules_directory_replaced_whole_is_followed() {
    let up = upstream_saying("BLUEFIN").await;
    let tmp = TempDir::new("dirswap");
    for (release, word) in [("release-1", "NOTHING-YET"), ("release-2", "BLUEFIN")] {
        std::fs::create_dir(tmp.0.join(release)).unwrap();
        std::fs::write(tmp.0.join(release).join("custom.yaml"), codename_pack(word)).unwrap();
    }
    let rules = tmp.0.join("rules");
    std::os::unix::fs::symlink(tmp.0.join("release-1"), &rules).unwrap();
    std::fs::create_dir(tmp.0.join("config")).unwrap();
    let cfg_path = tmp.0.join("config").join("sluice.yaml");
    std::fs::write(&cfg_path, config(&up.url(), &rules, "")).unwrap();
    let p = start_from_file(&cfg_path).await;
    let admin = p.admin_addr.unwrap();
    let h0 = rules_hash(admin).await;
    // `ln -s release-2 rules.tmp && mv -T rules.tmp rules`.
    let staged = tmp.0.join("rules.tmp");
    std::os::unix::fs::symlink(tmp.0.join("release-2"), &staged).unwrap();
    std::fs::rename(&staged, &rules).unwrap();
    assert!(
        rules_changed_from(admin, &h0).await,
        "the swapped directory was not picked up"
    );
    let url = format!("http://{}/x", p.addr);
    let body = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        body.contains("[CODENAME]") && !body.contains("BLUEFIN"),
        "{body}"
    );
    // An edit inside the new release is seen too.
    let h1 = rules_hash(admin).await;
    std::fs::write(
        tmp.0.join("release-2").join("custom.yaml"),
        codename_pack("REPORT"),
    )
    .unwrap();
    assert!(
        rules_changed_from(admin, &h1).await,
        "an edit in the new directory was not picked up"
    );
    p.shutdown().await;
}

/// A rules directory that a reload names for the first time (`rules.dir` added to the
/// config) is watched from then on: an edit in it reloads, as in one named at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rules_directory_added_by_a_reload_is_watched() {
    let up = upstream_saying("BLUEFIN").await;
    let tmp = TempDir::new("diradded");
    let rules = tmp.0.join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("custom.yaml"), codename_pack("NOTHING-YET")).unwrap();
    std::fs::create_dir(tmp.0.join("config")).unwrap();
    let cfg_path = tmp.0.join("config").join("sluice.yaml");
    let without = format!(
        "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: {}\nadmin:\n  listen: 127.0.0.1:0\nreload:\n  debounce: 200ms\n",
        up.url()
    );
    std::fs::write(&cfg_path, &without).unwrap();
    let p = start_from_file(&cfg_path).await;
    let admin = p.admin_addr.unwrap();
    let h0 = rules_hash(admin).await;
    std::fs::write(&cfg_path, config(&up.url(), &rules, "")).unwrap();
    assert!(
        rules_changed_from(admin, &h0).await,
        "the config naming the directory was not picked up"
    );
    let h1 = rules_hash(admin).await;
    std::fs::write(rules.join("custom.yaml"), codename_pack("BLUEFIN")).unwrap();
    assert!(
        rules_changed_from(admin, &h1).await,
        "an edit in the added directory was not picked up"
    );
    let body = http()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("[CODENAME]") && !body.contains("BLUEFIN"),
        "{body}"
    );
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broken_rule_file_keeps_old_rules_and_says_why() {
    let up = upstream_saying("BLUEFIN").await;
    let tmp = TempDir::new("broken");
    let mut rules = ConfigMap::new(
        &tmp.0.join("rules"),
        &[("custom.yaml", &codename_pack("BLUEFIN"))],
    );
    let cfg = tmp.0.join("sluice.yaml");
    std::fs::write(&cfg, config(&up.url(), &rules.dir, "")).unwrap();
    let p = start_from_file(&cfg).await;
    let admin = p.admin_addr.unwrap();
    let url = format!("http://{}/x", p.addr);
    let h0 = rules_hash(admin).await;

    // A pack with a regex that does not compile, on line 11.
    let broken = codename_pack("BLUEFIN").replace(
        "      keywords: [\"BLUEFIN\"]",
        "      pattern: '(unclosed'",
    );
    rules.update(&[("custom.yaml", &broken)]);
    let failed = eventually(Duration::from_secs(10), || async {
        let (_, m) = admin_get(admin, "/metrics").await;
        metric(&m, "sluice_rules_last_reload_successful", &[]) == 0.0
    })
    .await;
    assert!(failed, "the broken pack was not reported");

    // Metric: failure counted, success gauge 0.
    let (_, m) = admin_get(admin, "/metrics").await;
    assert_eq!(
        metric(&m, "sluice_reloads_total", &[("result", "failure")]),
        1.0,
        "{m}"
    );
    // Admin: the reason, with the file.
    let (_, body) = admin_get(admin, "/-/rules").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let err = v["last_reload"]["error"].as_str().unwrap_or_default();
    assert_eq!(v["last_reload"]["result"], "failure");
    assert!(err.contains("custom.yaml"), "error names the file: {err}");
    assert_eq!(v["hash"].as_str().unwrap(), h0, "old rules stay in force");
    // POST /-/reload answers 500 with the same reason.
    let (status, body) = admin_post(admin, "/-/reload", "").await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("custom.yaml"), "{body}");
    // Traffic is still protected by the old rules.
    let body = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        body.contains("[CODENAME]") && !body.contains("BLUEFIN"),
        "{body}"
    );

    // Fixing the pack recovers.
    rules.update(&[("custom.yaml", &codename_pack("REPORT"))]);
    assert!(
        eventually(Duration::from_secs(10), || async {
            let (_, m) = admin_get(admin, "/metrics").await;
            metric(&m, "sluice_rules_last_reload_successful", &[]) == 1.0
        })
        .await
    );
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broken_policy_in_config_keeps_old_policy() {
    let up = upstream_saying("BLUEFIN").await;
    let tmp = TempDir::new("policy");
    let rules = ConfigMap::new(
        &tmp.0.join("rules"),
        &[("custom.yaml", &codename_pack("BLUEFIN"))],
    );
    let cfg = tmp.0.join("sluice.yaml");
    std::fs::write(&cfg, config(&up.url(), &rules.dir, "")).unwrap();
    let p = start_from_file(&cfg).await;
    let admin = p.admin_addr.unwrap();
    // An action for a class no rule defines.
    std::fs::write(
        &cfg,
        config(
            &up.url(),
            &rules.dir,
            "actions:\n  classes:\n    no_such_class: block\n",
        ),
    )
    .unwrap();
    let (status, body) = admin_post(admin, "/-/reload", "").await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("no_such_class"), "{body}");
    // Then a valid policy change: block the code name.
    std::fs::write(
        &cfg,
        config(
            &up.url(),
            &rules.dir,
            "actions:\n  classes:\n    codename: block\n",
        ),
    )
    .unwrap();
    let (status, body) = admin_post(admin, "/-/reload", "").await;
    assert_eq!(status, 200, "{body}");
    let r = http()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sighup_reloads() {
    let up = upstream_saying("BLUEFIN").await;
    let tmp = TempDir::new("hup");
    let rules_dir = tmp.0.join("rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("custom.yaml"), codename_pack("NOTHING")).unwrap();
    let cfg = tmp.0.join("sluice.yaml");
    std::fs::write(
        &cfg,
        config(&up.url(), &rules_dir, "").replace("reload:\n", "reload:\n  watch: false\n"),
    )
    .unwrap();
    let p = start_from_file(&cfg).await;
    let admin = p.admin_addr.unwrap();
    // Let the signal handler install itself before signalling.
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(rules_dir.join("custom.yaml"), codename_pack("BLUEFIN")).unwrap();
    let st = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    assert!(
        eventually(Duration::from_secs(10), || async {
            let (_, m) = admin_get(admin, "/metrics").await;
            metric(
                &m,
                "sluice_reloads_total",
                &[("trigger", "signal"), ("result", "success")],
            ) >= 1.0
        })
        .await,
        "SIGHUP did not reload"
    );
    let body = http()
        .get(format!("http://{}/x", p.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("[CODENAME]"), "{body}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_flight_request_keeps_the_rules_it_started_with() {
    // The upstream holds its answer until released, so a reload happens mid-request.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let g = gate.clone();
    let up = Upstream::start(move |_req| {
        let g = g.clone();
        async move {
            if let Ok(p) = g.acquire().await {
                p.forget();
            }
            resp(
                200,
                "application/json",
                full(r#"{"note":"project BLUEFIN"}"#),
            )
        }
    })
    .await;
    let tmp = TempDir::new("inflight");
    let rules_dir = tmp.0.join("rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("custom.yaml"), codename_pack("NOTHING")).unwrap();
    let cfg = tmp.0.join("sluice.yaml");
    std::fs::write(
        &cfg,
        config(&up.url(), &rules_dir, "").replace("reload:\n", "reload:\n  watch: false\n"),
    )
    .unwrap();
    let p = start_from_file(&cfg).await;
    let admin = p.admin_addr.unwrap();
    let url = format!("http://{}/x", p.addr);
    let before = tokio::spawn({
        let url = url.clone();
        async move { http().get(&url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(rules_dir.join("custom.yaml"), codename_pack("BLUEFIN")).unwrap();
    let (status, body) = admin_post(admin, "/-/reload", "").await;
    assert_eq!(status, 200, "{body}");
    gate.add_permits(2);
    let old = before.await.unwrap();
    assert!(
        old.contains("BLUEFIN"),
        "in-flight request used the new rules: {old}"
    );
    let new = http().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(new.contains("[CODENAME]"), "{new}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reload_under_continuous_load_loses_no_request() {
    let up = upstream_saying("BLUEFIN").await;
    let tmp = TempDir::new("load");
    let mut rules = ConfigMap::new(
        &tmp.0.join("rules"),
        &[("custom.yaml", &codename_pack("BLUEFIN"))],
    );
    let cfg = tmp.0.join("sluice.yaml");
    std::fs::write(&cfg, config(&up.url(), &rules.dir, "")).unwrap();
    let p = start_from_file(&cfg).await;
    let admin = p.admin_addr.unwrap();
    let url = format!("http://{}/x", p.addr);

    let sent = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (sent, ok, stop, url) = (sent.clone(), ok.clone(), stop.clone(), url.clone());
        clients.push(tokio::spawn(async move {
            let c = http();
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                sent.fetch_add(1, Ordering::Relaxed);
                match c.get(&url).send().await {
                    Ok(r) if r.status() == 200 => match r.text().await {
                        Ok(b) if !b.contains("BLUEFIN") => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(b) => failures.push(format!("unredacted: {b}")),
                        Err(e) => failures.push(format!("body: {e}")),
                    },
                    Ok(r) => failures.push(format!("status {}", r.status())),
                    Err(e) => failures.push(format!("request: {e}")),
                }
            }
            failures
        }));
    }
    // Ten reloads while the clients run: alternating rule sets by ConfigMap swap and by
    // POST /-/reload, each one a real change of the engine.
    for i in 0..10 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let word = if i % 2 == 0 { "REPORT" } else { "BLUEFIN" };
        // Both words are sensitive in every set, so every response must be redacted.
        let pack = codename_pack(word).replace(
            &format!("keywords: [\"{word}\"]"),
            &format!("keywords: [\"{word}\", \"BLUEFIN\"]"),
        );
        rules.update(&[("custom.yaml", &pack)]);
        let (status, body) = admin_post(admin, "/-/reload", "").await;
        assert_eq!(status, 200, "{body}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut failures = Vec::new();
    for c in clients {
        failures.extend(c.await.unwrap());
    }
    let sent = sent.load(Ordering::Relaxed);
    let ok = ok.load(Ordering::Relaxed);
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(sent, ok, "every request answered and redacted");
    assert!(sent > 100, "load was too light to mean anything: {sent}");
    let (_, m) = admin_get(admin, "/metrics").await;
    assert_eq!(
        metric(&m, "sluice_requests_total", &[]),
        sent as f64,
        "the proxy counted every request"
    );
    assert!(
        metric(&m, "sluice_reloads_total", &[("result", "success")]) >= 10.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, "sluice_reloads_total", &[("result", "failure")]),
        0.0
    );
    println!("{sent} requests across 10+ reloads, none lost");
    p.shutdown().await;
}

/// A value's token survives a rule reload (the engine is rebuilt, its key is not), and two
/// proxies given one `rules.token_key_file` (two replicas) write the same token for it, so
/// consumers can still join records across calls, pods and restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_survive_a_reload_and_follow_the_key_file() {
    let up = Upstream::start(|_req| async move {
        resp(
            200,
            "application/json",
            full(r#"{"sfzh":"310115196710083665"}"#),
        )
    })
    .await;
    let pack = |name: &str| {
        format!(
            r#"pack: custom
version: 1
rules:
  - id: custom.id
    name: {name}
    class: resident_id
    grade: core
    match:
      detector: resident_id_18
    redact:
      style: token
    examples: ["310115196710083665"]
    negative_examples: ["310115196710083666"]
"#
        )
    };
    let tmp = TempDir::new("tokens");
    let rules_dir = tmp.0.join("rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("custom.yaml"), pack("ID")).unwrap();
    let key = tmp.0.join("token.key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef\n").unwrap();
    let write_cfg = |file: &str, keyed: bool| {
        let rules = if keyed {
            format!(
                "rules:\n  builtin: false\n  token_key_file: {}\n",
                key.display()
            )
        } else {
            "rules:\n  builtin: false\n".to_string()
        };
        let path = tmp.0.join(file);
        std::fs::write(
            &path,
            config(&up.url(), &rules_dir, "")
                .replace("rules:\n", &rules)
                .replace("reload:\n", "reload:\n  watch: false\n"),
        )
        .unwrap();
        path
    };
    let get = |addr: std::net::SocketAddr| async move {
        http()
            .get(format!("http://{addr}/x"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };

    let p = start_from_file(&write_cfg("plain.yaml", false)).await;
    let before = get(p.addr).await;
    assert!(!before.contains("310115196710083665"), "{before}");
    std::fs::write(rules_dir.join("custom.yaml"), pack("Resident ID")).unwrap();
    let (status, body) = admin_post(p.admin_addr.unwrap(), "/-/reload", "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(p.addr).await, before, "the reload changed the token");
    p.shutdown().await;

    let a = start_from_file(&write_cfg("a.yaml", true)).await;
    let b = start_from_file(&write_cfg("b.yaml", true)).await;
    let (ta, tb) = (get(a.addr).await, get(b.addr).await);
    assert!(!ta.contains("310115196710083665"), "{ta}");
    assert_eq!(ta, tb, "two replicas with one key wrote different tokens");
    assert_ne!(ta, before, "the configured key was not used");
    a.shutdown().await;
    b.shutdown().await;
}
