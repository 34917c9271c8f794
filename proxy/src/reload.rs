//! Hot reload of rules and policy: build, validate, swap — or keep the old state and say why.
//!
//! What is reloadable is the *policy*: the rule packs (`rules`), `actions`, `interfaces`,
//! `default_interface`, `identity`, `rate_limits` and `audit` (the limiter and the audit trail
//! are carried over unless their own section changed; a changed `audit` is set up in full,
//! file opened and key read, before the trail in force is closed, so a reload refused for it
//! leaves that trail writing). Everything else (listener, TLS, upstream, limits, timeouts, admin…) is
//! read once at start; a reload that changes it applies the policy part and reports the other
//! sections as `restart_required` in the admin API and the log.
//!
//! Triggers:
//! - a change in a watched **directory**: the config file's directory and `rules.dir`. A
//!   Kubernetes ConfigMap volume updates by writing a new timestamped directory and renaming
//!   a `..data` symlink over the old one; the files the pod sees are symlinks through
//!   `..data`, so a watch on the file itself follows a dead inode after the first update.
//!   Watching the directory sees every swap. Events are debounced (`reload.debounce`), since
//!   one update is a burst of creates, renames and deletes;
//! - SIGHUP (`reload.sighup`);
//! - `POST /-/reload` on the admin listener, which waits for the result.
//!
//! The new [`Live`] state is built on a blocking thread, off the request path (compiling the
//! built-in rules takes a noticeable fraction of a second), and swapped in with one atomic
//! pointer store ([`arc_swap::ArcSwap`]). Each request loads the state once when it starts and keeps that
//! `Arc` in its context, so in-flight requests finish with the rules and policy they started
//! with, and readers are never blocked. On failure the state in force stays, and the error is
//! reported three ways: `sluice_rules_last_reload_successful 0` plus a `failure` count, the
//! `GET /-/rules` answer (`last_reload.error`), and an error log line.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sluice_rules::Engine;

use crate::config::Config;
use crate::interface::Router;
use crate::metrics::ReloadFinished;
use crate::phases::Proxy;
use crate::policy::Actions;

/// The rules and policy in force: what one request uses from start to end.
pub struct Live {
    pub engine: Arc<Engine>,
    pub router: Router,
    /// Consumer identity (rebuilt by every reload: keys rotate).
    pub resolver: Arc<crate::identity::Resolver>,
    /// Rate limits and quotas; kept across reloads unless `rate_limits` changed, so that a
    /// reload does not reset anyone's budget.
    pub limiter: Arc<crate::limits::Limiter>,
    /// The audit trail; kept across reloads unless `audit` changed (the chain continues).
    pub audit: Option<Arc<crate::audit::Audit>>,
    /// The configuration whose policy sections are in force.
    pub cfg: Arc<Config>,
    /// Unix seconds when this state was built.
    pub loaded_at: u64,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("hash", &self.engine.content_hash())
            .field("rules", &self.engine.rules().len())
            .finish_non_exhaustive()
    }
}

impl Live {
    /// Builds and validates engine and routing table for `cfg`.
    ///
    /// # Errors
    /// Rule packs that do not load (with file, line, rule), class or grade names in actions
    /// that the rules do not define, bad interface templates.
    pub fn build(cfg: Arc<Config>) -> Result<Live, String> {
        Self::build_next(cfg, None)
    }

    /// Builds the state for `cfg`, taking the limiter and audit trail over from `prev` when
    /// their sections did not change, and the budgets of unchanged limits when the limits
    /// section did ([`crate::limits::LimitsConfig::build_after`]).
    ///
    /// # Errors
    /// See [`Live::build`]; also identity key files that do not load and an audit sink that
    /// cannot be opened (then the trail in force, if any, keeps writing).
    pub fn build_next(cfg: Arc<Config>, prev: Option<&Live>) -> Result<Live, String> {
        let engine = crate::policy::build_engine(&cfg.rules).map_err(|e| format!("rules: {e}"))?;
        let classes: Vec<String> = engine.classes().iter().map(|c| c.to_string()).collect();
        let grades = crate::policy::grade_names(&cfg.rules);
        let problems = cfg.validate_against(&classes, &grades);
        if !problems.is_empty() {
            let list: Vec<String> = problems
                .iter()
                .map(|(k, m)| format!("key `{k}`: {m}"))
                .collect();
            return Err(list.join("; "));
        }
        let global = Arc::new(Actions::resolve(&engine, &cfg.actions, None));
        let router = Router::build(&cfg, &global, &engine)?;
        let base = cfg
            .source
            .as_deref()
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty());
        let resolver = Arc::new(cfg.identity.build(base).map_err(|errs| {
            errs.iter()
                .map(|e| format!("key `identity.{}`: {}", e.key, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        })?);
        let limiter = match prev {
            Some(p) if format!("{:?}", p.cfg.rate_limits) == format!("{:?}", cfg.rate_limits) => {
                p.limiter.clone()
            }
            _ => {
                let now = tokio::time::Instant::now();
                let l = Arc::new(match prev {
                    Some(p) => cfg.rate_limits.build_after(now, &p.limiter),
                    None => cfg.rate_limits.build(now),
                });
                if tokio::runtime::Handle::try_current().is_ok() {
                    // Ends by itself once the limiter is dropped.
                    drop(l.spawn_sweeper(Duration::from_secs(30)));
                }
                l
            }
        };
        let audit = match prev {
            Some(p) if format!("{:?}", p.cfg.audit) == format!("{:?}", cfg.audit) => {
                p.audit.clone()
            }
            _ => {
                // Everything that can fail (the file opened or created, the key read, the
                // writer thread spawned) is done before the trail in force is touched: a
                // refused reload must leave it writing, not closed with nothing after it.
                let next = match &cfg.audit {
                    Some(a) => Some(
                        a.prepare()
                            .map_err(|e| format!("{}{e}", crate::config::located(&cfg, e.key)))?,
                    ),
                    None => None,
                };
                let old = prev.and_then(|p| p.audit.as_ref());
                if let Some(old) = old {
                    // One writer per file: the old trail stops (and flushes) before the new
                    // one resumes its chain from the file; exchanges in flight under it
                    // write into the new one. A trail switched off stops now too (a later
                    // reload that switches it on again must be the file's only writer):
                    // what the exchanges still in flight would write is counted as dropped.
                    if next.is_some() {
                        old.close_for_handover();
                    } else {
                        old.close();
                    }
                }
                let cause = if prev.is_some() {
                    crate::audit::TrailCause::Reload
                } else {
                    crate::audit::TrailCause::Start
                };
                let next = next.map(|n| Arc::new(n.start(cause)));
                if let (Some(old), Some(next)) = (old, &next) {
                    // Exchanges still in flight under the old state write into the new trail.
                    old.hand_over(next.clone());
                }
                next
            }
        };
        Ok(Live {
            engine,
            router,
            resolver,
            limiter,
            audit,
            cfg,
            loaded_at: now_secs(),
        })
    }

    /// Configured interfaces as (name, methods, path template), for the inventory; methods
    /// are `*` when any is (no `method`, or `ANY`).
    pub fn configured(&self) -> Vec<(Arc<str>, String, String)> {
        self.cfg
            .interfaces
            .iter()
            .map(|i| {
                let listed: Vec<&String> = match &i.method {
                    None => Vec::new(),
                    Some(crate::config::MethodSpec::One(m)) => vec![m],
                    Some(crate::config::MethodSpec::Many(v)) => v.iter().collect(),
                };
                let method =
                    if listed.is_empty() || listed.iter().any(|m| m.eq_ignore_ascii_case("any")) {
                        "*".to_string()
                    } else {
                        listed
                            .iter()
                            .map(|m| m.to_ascii_uppercase())
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                (Arc::from(i.name.as_str()), method, i.path.clone())
            })
            .collect()
    }
}

/// The outcome of the last reload attempt, for the admin API.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LastReload {
    /// `startup`, `watch`, `signal`, `admin`.
    pub trigger: &'static str,
    /// `success`, `failure`, `unchanged`.
    pub result: &'static str,
    /// Why the last attempt failed (the old state stays in force).
    pub error: Option<String>,
    /// Unix seconds of the attempt.
    pub at: u64,
    /// Unix seconds of the last success (the state in force).
    pub last_success: u64,
    /// Milliseconds the build took.
    pub duration_ms: f64,
    /// Sections that changed on disk but are only read at start.
    pub restart_required: Vec<&'static str>,
    /// Attempts since start.
    pub attempts: u64,
}

/// Serializes reloads and remembers the last outcome.
#[derive(Debug, Default)]
pub struct Status {
    last: Mutex<LastReload>,
    running: tokio::sync::Mutex<()>,
}

impl Status {
    /// The last outcome.
    pub fn last(&self) -> LastReload {
        self.last.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Records the startup load.
    pub fn startup(&self, elapsed: Duration) {
        if let Ok(mut l) = self.last.lock() {
            let now = now_secs();
            *l = LastReload {
                trigger: "startup",
                result: "success",
                error: None,
                at: now,
                last_success: now,
                duration_ms: elapsed.as_secs_f64() * 1000.0,
                restart_required: Vec::new(),
                attempts: 0,
            };
        }
    }
}

/// Where the config came from and which directories to watch.
pub fn watched_dirs(cfg: &Config) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(src) = &cfg.source {
        let parent = src
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        dirs.push(parent.to_path_buf());
    }
    if let Some(d) = &cfg.rules.dir {
        if !dirs.iter().any(|x| same_dir(x, d)) {
            dirs.push(d.clone());
        }
    }
    dirs
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Sections that are read once at start, by name and debug rendering.
fn static_sections(c: &Config) -> [(&'static str, String); 9] {
    [
        ("listen", format!("{:?}", c.listen)),
        ("upstream", format!("{:?}", c.upstream)),
        ("limits", format!("{:?}", c.limits)),
        ("timeouts", format!("{:?}", c.timeouts)),
        ("decode", format!("{:?}", c.decode)),
        ("logging", format!("{:?}", c.logging)),
        ("admin", format!("{:?}", c.admin)),
        ("reload", format!("{:?}", c.reload)),
        ("metrics", format!("{:?}", c.metrics)),
    ]
}

fn policy_fingerprint(c: &Config) -> String {
    format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}{:?}",
        c.rules, c.actions, c.interfaces, c.default_interface, c.identity, c.rate_limits, c.audit
    )
}

/// Reloads rules and policy now. Returns the outcome (also stored for the admin API, counted
/// and logged). Concurrent calls run one after the other.
pub async fn reload(proxy: &Arc<Proxy>, trigger: &'static str) -> LastReload {
    let _one = proxy.reload.running.lock().await;
    let started = std::time::Instant::now();
    let current = proxy.live.load_full();
    let base = proxy.cfg.clone();
    let built = tokio::task::spawn_blocking(
        move || -> Result<(Option<Live>, Vec<&'static str>), String> {
            // Re-read the file when there is one; otherwise (config given in memory) only the
            // rule directory can have changed.
            let next: Config = match &base.source {
                Some(p) => Config::load(p).map_err(|e| e.to_string())?,
                None => (*current.cfg).clone(),
            };
            let restart: Vec<&'static str> = static_sections(&base)
                .into_iter()
                .zip(static_sections(&next))
                .filter(|(a, b)| a.1 != b.1)
                .map(|(a, _)| a.0)
                .collect();
            // The policy sections come from the new file, everything else stays as started.
            let mut merged = (*base).clone();
            merged.rules = next.rules;
            merged.actions = next.actions;
            merged.interfaces = next.interfaces;
            merged.default_interface = next.default_interface;
            merged.identity = next.identity;
            merged.rate_limits = next.rate_limits;
            merged.audit = next.audit;
            let live = Live::build_next(Arc::new(merged), Some(&current))?;
            let same = live.engine.content_hash() == current.engine.content_hash()
                && policy_fingerprint(&live.cfg) == policy_fingerprint(&current.cfg);
            Ok(((!same).then_some(live), restart))
        },
    )
    .await
    .map_err(|e| format!("reload task failed: {e}"))
    .and_then(|r| r);
    let elapsed = started.elapsed();
    let now = now_secs();
    let mut last = proxy.reload.last();
    last.trigger = trigger;
    last.at = now;
    last.attempts += 1;
    last.duration_ms = elapsed.as_secs_f64() * 1000.0;
    match built {
        Ok((Some(live), restart)) => {
            let live = Arc::new(live);
            proxy.inventory.set_configured(&live.configured());
            proxy
                .stats
                .metrics
                .init_interfaces(live.router.interfaces().map(|i| &i.name));
            if let Some(a) = &live.audit {
                // A no-op for a trail carried over; a new one becomes the one scrapes report.
                proxy.stats.metrics.audit_trail(a.stats());
            }
            proxy.live.store(live.clone());
            last.result = "success";
            last.error = None;
            last.last_success = now;
            last.restart_required = restart;
            finished(proxy, &last, &live, elapsed);
        }
        Ok((None, restart)) => {
            last.result = "unchanged";
            last.error = None;
            last.last_success = now;
            last.restart_required = restart;
            finished(proxy, &last, &proxy.live.load(), elapsed);
        }
        Err(e) => {
            last.result = "failure";
            last.error = Some(e);
            finished(proxy, &last, &proxy.live.load(), elapsed);
        }
    }
    if !last.restart_required.is_empty() {
        tracing::warn!(
            sections = ?last.restart_required,
            "configuration sections changed that are only read at start; restart to apply them"
        );
    }
    if let Ok(mut l) = proxy.reload.last.lock() {
        *l = last.clone();
    }
    last
}

fn finished(proxy: &Proxy, last: &LastReload, live: &Live, elapsed: Duration) {
    ReloadFinished {
        trigger: last.trigger,
        result: last.result,
        error: last.error.as_deref(),
        hash: live.engine.content_hash(),
        rules: live.engine.rules().len(),
        elapsed,
    }
    .emit(&proxy.stats.metrics);
}

/// Starts the watchers and the SIGHUP handler configured in `reload`. The returned handle
/// keeps them alive; abort it to stop.
pub fn spawn(proxy: Arc<Proxy>) -> tokio::task::JoinHandle<()> {
    let rc = proxy.cfg.reload.clone();
    let mut dirs = if rc.watch {
        watched_dirs(&proxy.cfg)
    } else {
        Vec::new()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(64);
    // The watch is registered before this returns (not inside the task): a change made right
    // after start-up must not fall between the proxy serving and the watch existing.
    // notify delivers on its own thread; a full channel only means a reload is already
    // pending, so dropping the event loses nothing.
    let names: DirNames = Arc::new(std::sync::RwLock::new(dir_names(&dirs)));
    let mut watcher = if !rc.watch {
        None
    } else {
        let tx = tx.clone();
        match start_watcher(&dirs, names.clone(), move || {
            let _ = tx.try_send("watch");
        }) {
            Ok(w) => {
                tracing::info!(dirs = ?dirs, "watching for rule and policy changes");
                Some(w)
            }
            Err(e) => {
                tracing::error!(dirs = ?dirs, "cannot watch for changes (reload by SIGHUP or POST /-/reload): {e}");
                None
            }
        }
    };
    // Likewise the SIGHUP handler is installed now, so an early SIGHUP reloads rather than
    // taking the default action (terminate).
    #[cfg(unix)]
    let hup = if rc.sighup {
        use tokio::signal::unix::{signal, SignalKind};
        signal(SignalKind::hangup()).ok()
    } else {
        None
    };
    tokio::spawn(async move {
        #[cfg(unix)]
        if let Some(mut hup) = hup {
            let tx = tx.clone();
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    if tx.send("signal").await.is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        while let Some(mut trigger) = rx.recv().await {
            // Debounce: one ConfigMap update is a burst of events; reload once it is quiet.
            while let Ok(Some(t)) = tokio::time::timeout(rc.debounce, rx.recv()).await {
                if t == "signal" {
                    trigger = t;
                }
            }
            reload(&proxy, trigger).await;
            // A directory replaced whole (a symlink swapped to a new release, `rm -rf` and
            // `mkdir`) leaves its watch on the old inode: watched again, the path follows.
            // A reload may also have named a rules directory the start did not (`rules.dir`
            // added): it is watched from now on, and its parent.
            if let Some(w) = watcher.as_mut() {
                let now = watched_dirs(&proxy.live.load().cfg);
                if now != dirs {
                    *names.write().unwrap_or_else(|e| e.into_inner()) = dir_names(&now);
                    watch_parents(w, &now);
                    dirs = now;
                }
                rewatch(w, &dirs);
            }
        }
        drop(watcher);
    })
}

/// Watches `dirs` again where their paths lead now.
fn rewatch(w: &mut notify::RecommendedWatcher, dirs: &[PathBuf]) {
    use notify::{RecursiveMode, Watcher};
    for d in dirs {
        let _ = w.unwatch(d);
        if let Err(e) = w.watch(d, RecursiveMode::NonRecursive) {
            tracing::error!(dir = %d.display(), "cannot watch for changes (reload by SIGHUP or POST /-/reload): {e}");
        }
    }
}

/// The names of the watched directories, which the watch callback compares the entries of
/// their parents with (a reload may add a directory).
type DirNames = Arc<std::sync::RwLock<Vec<std::ffi::OsString>>>;

fn dir_names(dirs: &[PathBuf]) -> Vec<std::ffi::OsString> {
    dirs.iter()
        .filter_map(|d| d.file_name().map(std::ffi::OsStr::to_os_string))
        .collect()
}

fn start_watcher(
    dirs: &[PathBuf],
    names: DirNames,
    on_change: impl Fn() + Send + 'static,
) -> Result<notify::RecommendedWatcher, notify::Error> {
    use notify::{EventKind, RecursiveMode, Watcher};
    // The parents of the watched directories are watched too, for a directory being
    // replaced whole (its own watch then sees nothing more): their entries of those names.
    let named = move |n: &std::ffi::OsStr| {
        names
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|d| d == n)
    };
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| match ev {
        // Reads (open, access) are not changes; everything else (create, rename, write,
        // remove, attribute change on a symlink) may be, on a file that can hold rules or
        // policy, or on a watched directory's entry in its parent. Other files in the same
        // directory (a log written beside the config) are not: each reload's log line would
        // trigger the next.
        Ok(e) if matches!(e.kind, EventKind::Access(_)) => {}
        Ok(e)
            if !e.paths.is_empty()
                && !e
                    .paths
                    .iter()
                    .any(|p| may_configure(p) || p.file_name().is_some_and(&named)) => {}
        Ok(_) | Err(_) => on_change(),
    })?;
    for d in dirs {
        // Non-recursive: the `..data` swap happens in the directory itself, and the
        // timestamped directories under it are implementation details of the kubelet.
        w.watch(d, RecursiveMode::NonRecursive)?;
    }
    watch_parents(&mut w, dirs);
    Ok(w)
}

/// Watches the parents of `dirs` (those not watched themselves), where a directory replaced
/// whole shows.
fn watch_parents(w: &mut notify::RecommendedWatcher, dirs: &[PathBuf]) {
    use notify::{RecursiveMode, Watcher};
    for d in dirs {
        // (`/` has none; a relative `rules` has the working directory.)
        let Some(parent) = d.parent() else {
            continue;
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if !dirs.iter().any(|x| same_dir(x, parent)) {
            if let Err(e) = w.watch(parent, RecursiveMode::NonRecursive) {
                // Not fatal: the directory is watched, only its replacement is not seen.
                tracing::warn!(dir = %parent.display(), "cannot watch for the replacement of {}: {e}", d.display());
            }
        }
    }
}

/// Whether a changed path can be configuration: a YAML or JSON file (the config, rule packs,
/// the files a config names), or the kubelet's `..data` and timestamped `..…` entries that a
/// ConfigMap update swaps.
fn may_configure(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with("..")
        || matches!(
            p.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("yaml" | "yml" | "json")
        )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod watch_tests {
    #[test]
    fn only_files_that_can_configure_trigger_a_reload() {
        use std::path::Path;
        for p in [
            "/etc/sluice/sluice.yaml",
            "/r/packs/mine.YML",
            "/etc/sluice/..data",
            "/etc/sluice/..2024_01_01",
            "/k/jwks.json",
        ] {
            assert!(super::may_configure(Path::new(p)), "{p}");
        }
        for p in [
            "/etc/sluice/sluice.log",
            "/etc/sluice/audit.jsonl",
            "/etc/sluice/.sluice.yaml.swp",
        ] {
            assert!(!super::may_configure(Path::new(p)), "{p}");
        }
    }
}

#[cfg(test)]
mod audit_tests {
    use super::*;

    fn cfg(audit: Option<&std::path::Path>) -> Arc<Config> {
        let mut yaml =
            "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\n".to_string();
        if let Some(p) = audit {
            yaml.push_str(&format!(
                "audit:\n  sink:\n    kind: file\n    path: {}\n",
                p.display()
            ));
        }
        Arc::new(Config::from_yaml(&yaml, std::path::Path::new("<test>")).unwrap())
    }

    /// Audit switched off by a reload and on again by the next, while an exchange that
    /// started under the first trail is still in flight: the file keeps one writer and one
    /// chain (the record that exchange writes late is counted as dropped, not appended by a
    /// second writer that forks the chain).
    #[test]
    fn audit_off_then_on_keeps_one_writer() {
        let dir = std::env::temp_dir().join(format!("sluice-offon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.jsonl");
        let first = Live::build(cfg(Some(&path))).unwrap();
        let in_flight = first.audit.clone().unwrap();
        let ev = |id: &str| {
            crate::audit::AuditEvent::new(
                crate::audit::EventKind::Redacted,
                id.to_string(),
                "persons",
                "GET",
                200,
                "redact",
            )
        };
        in_flight.record(ev("req-1")).unwrap();
        let off = Live::build_next(cfg(None), Some(&first)).unwrap();
        let on = Live::build_next(cfg(Some(&path)), Some(&off)).unwrap();
        let trail = on.audit.clone().unwrap();
        trail.record(ev("req-2")).unwrap();
        trail.flush();
        let _ = in_flight.record(ev("req-late"));
        trail.record(ev("req-3")).unwrap();
        trail.flush();
        trail.close();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("req-late"), "{text}");
        let r = crate::audit::verify(std::slice::from_ref(&path));
        assert!(r.is_ok(), "{r:?}\n{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
