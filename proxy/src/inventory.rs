//! The interface inventory: which interfaces are really called, and what flows through them.
//!
//! Security teams rarely have a complete list of the exchange APIs they run (the documents call
//! unmonitored interfaces out by name). The inventory answers from traffic: every configured
//! interface, plus every *observed* path that fell through to the default interface, keyed by
//! method and a path **template** — numeric, UUID, long hex and ID-like segments become `{id}`,
//! so `/api/persons/110105194912310021` and `/api/persons/42` are one entry and no identifier
//! (which may itself be personal data) is ever stored. Each entry keeps request counts, the
//! classes found, the highest grade seen and when it was last called.
//!
//! The number of observed templates is capped (`admin.inventory_cap`): a scanner walking random
//! paths must not grow memory without bound. Requests past the cap are counted in one overflow
//! bucket and in `sluice_inventory_overflow_total`. Served by `GET /-/interfaces`.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::filter::FindingSummary;

/// One inventory entry; shared with the request that uses it, updated when it ends.
#[derive(Debug)]
pub struct Entry {
    /// Interface name (configured) or the default interface's name (observed).
    pub interface: Arc<str>,
    /// `configured` or `observed`.
    pub kind: &'static str,
    /// Method (observed entries), the methods a configured interface lists, or `*`.
    pub method: String,
    /// The path template.
    pub path: String,
    requests: AtomicU64,
    last_seen: AtomicU64,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    classes: BTreeSet<Arc<str>>,
    top: Option<(u8, Arc<str>)>,
    findings: u64,
    blocked: u64,
}

impl Entry {
    fn new(interface: Arc<str>, kind: &'static str, method: String, path: String) -> Entry {
        Entry {
            interface,
            kind,
            method,
            path,
            requests: AtomicU64::new(0),
            last_seen: AtomicU64::new(0),
            seen: Mutex::new(Seen::default()),
        }
    }

    fn hit(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.last_seen.store(now_secs(), Ordering::Relaxed);
    }

    /// Adds what an exchange found (called once per exchange, when it ends).
    pub fn record(&self, summary: Option<&FindingSummary>, blocked: bool) {
        let Ok(mut s) = self.seen.lock() else { return };
        if blocked {
            s.blocked += 1;
        }
        let Some(f) = summary else { return };
        s.findings += f.total();
        for (class, _) in f.counts.keys() {
            if !s.classes.contains(class) {
                s.classes.insert(class.clone());
            }
        }
        if let (Some(r), Some(g)) = (f.top_rank(), &f.top_grade) {
            if s.top.as_ref().is_none_or(|(tr, _)| r < *tr) {
                s.top = Some((r, g.clone()));
            }
        }
    }

    fn view(&self) -> EntryView {
        let s = self.seen.lock().map(|s| {
            (
                s.classes.iter().map(|c| c.to_string()).collect(),
                s.top.as_ref().map(|(_, g)| g.to_string()),
                s.findings,
                s.blocked,
            )
        });
        let (classes, highest_grade, findings, blocked) =
            s.unwrap_or_else(|_| (Vec::new(), None, 0, 0));
        let last = self.last_seen.load(Ordering::Relaxed);
        EntryView {
            interface: self.interface.to_string(),
            kind: self.kind,
            method: self.method.clone(),
            path: self.path.clone(),
            requests: self.requests.load(Ordering::Relaxed),
            findings,
            blocked,
            classes,
            highest_grade,
            last_seen: (last > 0).then_some(last),
        }
    }
}

type Configured = (String, Arc<Entry>);

/// The JSON form of an entry.
#[derive(Debug, Serialize)]
pub struct EntryView {
    pub interface: String,
    pub kind: &'static str,
    pub method: String,
    pub path: String,
    pub requests: u64,
    pub findings: u64,
    pub blocked: u64,
    pub classes: Vec<String>,
    pub highest_grade: Option<String>,
    /// Unix seconds; absent when never called.
    pub last_seen: Option<u64>,
}

/// The JSON answer of `GET /-/interfaces`.
#[derive(Debug, Serialize)]
pub struct InventoryView {
    pub cap: usize,
    pub observed_templates: usize,
    /// Requests to observed paths that were not tracked because the cap was reached.
    pub overflow_requests: u64,
    pub interfaces: Vec<EntryView>,
}

/// The inventory. Configured entries are fixed at build (and on reload); observed ones grow
/// up to `cap`.
#[derive(Debug)]
pub struct Inventory {
    /// name → (path template, entry).
    configured: Mutex<HashMap<Arc<str>, Configured>>,
    observed: Mutex<HashMap<(String, String), Arc<Entry>>>,
    overflow: Arc<Entry>,
    overflow_count: AtomicU64,
    cap: usize,
}

/// What [`Inventory::observe`] did, for the metrics event.
pub struct Observed {
    pub entry: Arc<Entry>,
    /// Observed templates now tracked (None when the request matched a configured interface).
    pub templates: Option<usize>,
    pub overflowed: bool,
}

impl Inventory {
    /// An empty inventory that tracks at most `cap` observed templates.
    pub fn new(cap: usize, default_name: &Arc<str>) -> Inventory {
        Inventory {
            configured: Mutex::new(HashMap::new()),
            observed: Mutex::new(HashMap::new()),
            overflow: Arc::new(Entry::new(
                default_name.clone(),
                "overflow",
                "*".into(),
                "{overflow}".into(),
            )),
            overflow_count: AtomicU64::new(0),
            cap,
        }
    }

    /// Sets the configured interfaces (name, methods, path template); methods are `*` for
    /// any. Counts of interfaces that keep their name, methods and template survive a reload.
    pub fn set_configured(&self, list: &[(Arc<str>, String, String)]) {
        let Ok(mut c) = self.configured.lock() else {
            return;
        };
        let mut next = HashMap::new();
        for (name, method, path) in list {
            let e = match c.remove(name) {
                Some((p, e)) if &p == path && &e.method == method => e,
                _ => Arc::new(Entry::new(
                    name.clone(),
                    "configured",
                    method.clone(),
                    path.clone(),
                )),
            };
            next.insert(name.clone(), (path.clone(), e));
        }
        *c = next;
    }

    /// Counts a request. `configured` is the interface's name when the request matched a
    /// configured interface; otherwise the path is templated and tracked as observed.
    pub fn observe(
        &self,
        configured: Option<&Arc<str>>,
        default: &Arc<str>,
        method: &str,
        path: &str,
    ) -> Observed {
        if let Some(name) = configured {
            if let Ok(c) = self.configured.lock() {
                if let Some((_, e)) = c.get(name) {
                    e.hit();
                    return Observed {
                        entry: e.clone(),
                        templates: None,
                        overflowed: false,
                    };
                }
            }
        }
        let key = (method.to_string(), template(path));
        let Ok(mut o) = self.observed.lock() else {
            self.overflow.hit();
            return Observed {
                entry: self.overflow.clone(),
                templates: None,
                overflowed: true,
            };
        };
        let n = o.len();
        if let Some(e) = o.get(&key) {
            e.hit();
            return Observed {
                entry: e.clone(),
                templates: Some(n),
                overflowed: false,
            };
        }
        if n >= self.cap {
            self.overflow.hit();
            self.overflow_count.fetch_add(1, Ordering::Relaxed);
            return Observed {
                entry: self.overflow.clone(),
                templates: Some(n),
                overflowed: true,
            };
        }
        let e = Arc::new(Entry::new(
            default.clone(),
            "observed",
            key.0.clone(),
            key.1.clone(),
        ));
        e.hit();
        o.insert(key, e.clone());
        Observed {
            entry: e,
            templates: Some(n + 1),
            overflowed: false,
        }
    }

    /// A snapshot for the admin API: configured first (by name), then observed by request
    /// count, then the overflow bucket when used.
    pub fn view(&self) -> InventoryView {
        let mut configured: Vec<EntryView> = self
            .configured
            .lock()
            .map(|c| c.values().map(|(_, e)| e.view()).collect())
            .unwrap_or_default();
        configured.sort_by(|a, b| a.interface.cmp(&b.interface));
        let mut observed: Vec<EntryView> = self
            .observed
            .lock()
            .map(|o| o.values().map(|e| e.view()).collect())
            .unwrap_or_default();
        observed.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.path.cmp(&b.path)));
        let observed_templates = observed.len();
        let overflow_requests = self.overflow_count.load(Ordering::Relaxed);
        let mut interfaces = configured;
        interfaces.extend(observed);
        if overflow_requests > 0 {
            interfaces.push(self.overflow.view());
        }
        InventoryView {
            cap: self.cap,
            observed_templates,
            overflow_requests,
            interfaces,
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Turns a request path into a template: identifier-like segments become `{id}`. The query is
/// never part of it.
pub fn template(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut out = String::with_capacity(path.len().min(256));
    let mut segs = 0;
    for seg in path.split('/').skip(1) {
        segs += 1;
        if segs > 16 {
            // Depth is bounded too: the rest folds into one marker.
            out.push_str("/{*rest}");
            break;
        }
        out.push('/');
        if is_id_like(seg) {
            out.push_str("{id}");
        } else {
            out.push_str(seg);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether a path segment looks like an identifier (or carries data) rather than a resource
/// name: any digit run of 3+, a UUID, 16+ hex digits, mixed letters and digits of 8+ chars,
/// long tokens, anything percent-encoded or non-ASCII (Chinese names in paths), `@` (emails).
pub fn is_id_like(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    let b = seg.as_bytes();
    if !seg.is_ascii() || seg.contains(['%', '@', '=', ',', ';', '+']) {
        return true;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if digits == b.len() {
        return true;
    }
    let mut run = 0;
    for c in b {
        if c.is_ascii_digit() {
            run += 1;
            if run >= 3 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    let hex = b.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-');
    if hex && b.iter().filter(|c| c.is_ascii_hexdigit()).count() >= 16 {
        return true;
    }
    if b.len() >= 8 && digits >= 2 && b.iter().any(|c| c.is_ascii_alphabetic()) {
        return true;
    }
    b.len() > 40 || base64_text(b) || pinyin_name(b)
}

/// Whether a segment of letters is a person's name written in pinyin (`wangxiaoming`,
/// `ZhangSan`, `LiSi`, `ouyangnana`): a common surname followed by one or two syllables that
/// start with a consonant, and nothing else; in lower case at least six letters, since short
/// English words split into pinyin too (`like`, `house`), and written in capitals only where
/// syllables start. Paths such as `/people/{name}` carry names as often as numbers, and the
/// inventory must not keep them; an English resource name rarely splits this way whole
/// (`manage`, 马娜格 to this test, is one that does, and is templated too).
fn pinyin_name(b: &[u8]) -> bool {
    if !(4..=24).contains(&b.len()) || !b.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let capitals = b.iter().any(u8::is_ascii_uppercase);
    if !capitals && b.len() < 6 {
        return false;
    }
    let low = b.to_ascii_lowercase();
    // Every surname that starts the segment is tried: `he` + `ping` as well as `heping`.
    (2..=low.len().min(9)).any(|n| {
        PINYIN_SURNAMES
            .binary_search(&std::str::from_utf8(&low[..n]).unwrap_or(""))
            .is_ok()
            && given_name(&low[n..], &b[n..], capitals, 2)
    })
}

/// Whether `low` (`raw` as written) is one to `max` pinyin syllables that start with a
/// consonant, each starting with a capital when `capitals` and with none inside.
fn given_name(low: &[u8], raw: &[u8], capitals: bool, max: usize) -> bool {
    if low.is_empty() || max == 0 || matches!(low[0], b'a' | b'e' | b'i' | b'o' | b'u' | b'v') {
        return false;
    }
    (1..=low.len().min(6)).any(|n| {
        let cased = !capitals
            || (raw[0].is_ascii_uppercase() && raw[1..n].iter().all(u8::is_ascii_lowercase));
        cased
            && std::str::from_utf8(&low[..n]).is_ok_and(sluice_rules::dict::pinyin_syllable)
            && (n == low.len() || given_name(&low[n..], &raw[n..], capitals, max - 1))
    })
}

/// Common surnames in pinyin, compound ones included, sorted.
const PINYIN_SURNAMES: &[&str] = &[
    "bai",
    "cai",
    "cao",
    "chang",
    "chen",
    "cheng",
    "cui",
    "dai",
    "deng",
    "ding",
    "dong",
    "du",
    "duan",
    "fan",
    "fang",
    "feng",
    "fu",
    "gao",
    "gong",
    "gu",
    "guo",
    "han",
    "hao",
    "he",
    "hou",
    "hu",
    "huang",
    "jia",
    "jiang",
    "jin",
    "kang",
    "kong",
    "lai",
    "lei",
    "li",
    "liang",
    "liao",
    "lin",
    "liu",
    "long",
    "lu",
    "luo",
    "lv",
    "ma",
    "mao",
    "meng",
    "murong",
    "niu",
    "ou",
    "ouyang",
    "pan",
    "peng",
    "qian",
    "qiao",
    "qin",
    "qiu",
    "ren",
    "shangguan",
    "shao",
    "shen",
    "shi",
    "sima",
    "situ",
    "song",
    "su",
    "sun",
    "tan",
    "tang",
    "tao",
    "tian",
    "wan",
    "wang",
    "wei",
    "wen",
    "wu",
    "xia",
    "xiao",
    "xie",
    "xiong",
    "xu",
    "xue",
    "yan",
    "yang",
    "yao",
    "ye",
    "yi",
    "yin",
    "yu",
    "yuan",
    "zeng",
    "zhang",
    "zhao",
    "zheng",
    "zhong",
    "zhou",
    "zhu",
    "zhuge",
    "zou",
];

/// A segment of 12+ base64 characters that decodes to printable text
/// (`MTEwMTAxMTk5MDAzMDcxMjMz` is an ID number): data, not a resource name. A name in
/// camelCase almost never decodes to text.
fn base64_text(b: &[u8]) -> bool {
    use base64::Engine as _;
    if b.len() < 12 {
        return false;
    }
    let t = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(b);
    let engine = if t.iter().any(|c| matches!(c, b'-' | b'_')) {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
    };
    engine
        .decode(t)
        .is_ok_and(|d| std::str::from_utf8(&d).is_ok_and(|s| !s.chars().any(|c| c.is_control())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_hide_identifiers() {
        assert_eq!(template("/api/v1/persons/42"), "/api/v1/persons/{id}");
        assert_eq!(
            template("/api/v2/persons/11010519491231002X/photo?x=1"),
            "/api/v2/persons/{id}/photo"
        );
        assert_eq!(
            template("/o/550e8400-e29b-41d4-a716-446655440000"),
            "/o/{id}"
        );
        assert_eq!(template("/t/deadbeefdeadbeef00"), "/t/{id}");
        assert_eq!(template("/u/ab12cd34ef"), "/u/{id}");
        assert_eq!(template("/n/%E5%BC%A0%E4%B8%89"), "/n/{id}");
        assert_eq!(template("/n/张三"), "/n/{id}");
        assert_eq!(template("/m/a@b.cn"), "/m/{id}");
        assert_eq!(template("/health"), "/health");
        assert_eq!(template("/"), "/");
        assert_eq!(template("/api/v1/export/csv"), "/api/v1/export/csv");
        // Base64 of an ID number; resource names in camelCase stay.
        assert_eq!(template("/docs/MTEwMTAxMTk5MDAzMDcxMjMz"), "/docs/{id}");
        assert_eq!(template("/docs/5byg5LiJ5p2O5Zub"), "/docs/{id}");
        // Names in pinyin; resource names that are no name stay.
        assert_eq!(
            template("/api/v1/people/wangxiaoming"),
            "/api/v1/people/{id}"
        );
        for (path, want) in [
            ("/api/v1/people/ZhangSan", "/api/v1/people/{id}"),
            ("/p/ouyangnana/orders", "/p/{id}/orders"),
            ("/p/LiSi", "/p/{id}"),
        ] {
            assert_eq!(template(path), want);
        }
        for kept in [
            "/people/search",
            "/api/v1/orders/detail",
            "/user/profile",
            "/hello/list",
            "/like",
            "/house",
            "/api/getUserInfo",
            "/dashboard",
        ] {
            assert_eq!(template(kept), kept);
        }
        assert!(PINYIN_SURNAMES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            template("/api/getPersonInfoByIdCard"),
            "/api/getPersonInfoByIdCard"
        );
        assert_eq!(
            template("/api/queryEnterpriseList"),
            "/api/queryEnterpriseList"
        );
    }

    #[test]
    fn cap_is_hard() {
        let d: Arc<str> = Arc::from("default");
        let inv = Inventory::new(3, &d);
        for i in 0..10 {
            inv.observe(None, &d, "GET", &format!("/r{i}/x"));
        }
        let v = inv.view();
        assert_eq!(v.observed_templates, 3);
        assert_eq!(v.overflow_requests, 7);
        assert_eq!(v.interfaces.last().map(|e| e.kind), Some("overflow"));
    }
}
