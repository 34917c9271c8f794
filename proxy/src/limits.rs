//! Rate limits and quotas per interface × consumer and per interface in total: requests per
//! second (GCRA), bytes per window, sensitive findings per window, and the bulk-exfiltration
//! guard, **distinct sensitive values per window**, counted from the engine's keyed
//! fingerprints (never values) in a HyperLogLog that starts as a small exact set.
//!
//! The pipeline asks twice per exchange: [`Limiter::check_request`] in the request filter (the
//! GCRA and "is this consumer already over a window quota?") and [`Limiter::record_response`]
//! once the response's size and findings are known (the proxy holds the body when policy needs
//! it, so a response that crosses a quota can still be refused before a byte is released).
//! Each answer is a [`Decision`]: a verdict (allow, throttle → 429 with `Retry-After`, block →
//! 403) and the list of limits that fired, including alert-only and shadow ones, for the audit
//! trail and metrics.
//!
//! **Why not `governor`.** It would give one keyed GCRA per limit; here one map entry per
//! (interface, consumer) holds *all* of that key's state (GCRA arrival time, three windows, the
//! distinct-value sketch), so a request costs one hash lookup, idle eviction is one sweep, and
//! the memory per tracked consumer is one small struct (the figure is in the module tests and
//! `examples/limiter_memory.rs`). Time is passed in as [`tokio::time::Instant`], so tests run
//! on paused Tokio time and never sleep.
//!
//! **Windows** are sliding-window counters (the current and previous fixed window, the previous
//! weighted by how much of it still overlaps): 16 bytes per limit, no burst of 2× at a window
//! boundary as plain fixed windows allow. The distinct-value window weights the previous
//! window's *estimate* the same way; values repeated across the boundary are counted twice,
//! which errs on the side of the guard.
//!
//! **Memory** is bounded twice: a sweep ([`Limiter::sweep`], run by
//! [`Limiter::spawn_sweeper`]) drops entries whose state has fully decayed (lossless) and
//! entries idle longer than `idle_timeout`; and a hard cap `max_keys` evicts the least recently
//! seen tenth when a new key would exceed it (lossy; counted in [`LimiterStats`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dashmap::DashMap;
use http::{header, HeaderValue, Response, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};
use sluice_rules::Finding;
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// `rate_limits:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Evaluate and report every limit, enforce none.
    #[serde(default)]
    pub shadow: bool,
    /// Hard cap on tracked (interface, consumer) keys.
    #[serde(default = "default_max_keys")]
    pub max_keys: usize,
    /// Entries idle this long are dropped even if their windows have not decayed. Default:
    /// twice the longest configured window, at least one minute.
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub idle_timeout: Option<Duration>,
    /// HyperLogLog precision for distinct values (4..=16): 2^p bytes per consumer once it has
    /// seen more than 2^p/8 distinct values; relative error ≈ 1.04/√(2^p). Default 10 (1 KiB,
    /// ≈3.3 %).
    #[serde(default = "default_precision")]
    pub hll_precision: u8,
    /// Limits of interfaces not listed in `interfaces`.
    #[serde(default)]
    pub default: Option<InterfaceLimits>,
    /// Limits by interface name.
    #[serde(default)]
    pub interfaces: BTreeMap<String, InterfaceLimits>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            shadow: false,
            max_keys: default_max_keys(),
            idle_timeout: None,
            hll_precision: default_precision(),
            default: None,
            interfaces: BTreeMap::new(),
        }
    }
}

fn default_max_keys() -> usize {
    200_000
}
fn default_precision() -> u8 {
    10
}

/// The limits of one interface.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceLimits {
    /// Per (interface, consumer).
    #[serde(default)]
    pub per_consumer: LimitSet,
    /// For the interface, all consumers together.
    #[serde(default)]
    pub total: LimitSet,
}

/// The four kinds of limit; each optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSet {
    /// Requests per second (GCRA).
    #[serde(default)]
    pub requests: Option<RateLimit>,
    /// Response bytes per window (`max` may be written `50MiB`), counted decoded: a body
    /// sent gzipped costs what it holds, not its compressed size (a budget counted on the
    /// wire let a consumer take 30 times as many records by asking for gzip).
    #[serde(default)]
    pub bytes: Option<WindowLimit>,
    /// Sensitive findings per window.
    #[serde(default)]
    pub findings: Option<WindowLimit>,
    /// Distinct sensitive values (by keyed fingerprint) per window.
    #[serde(default)]
    pub distinct_values: Option<WindowLimit>,
}

/// A request rate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// `10/s`, `600/m`, `1000/h`, or a bare number per second.
    #[serde(deserialize_with = "de_rate")]
    pub rate: f64,
    /// Requests allowed at once after a quiet period. Default: one second's worth (≥ 1).
    #[serde(default)]
    pub burst: Option<u32>,
    /// Default `throttle`.
    #[serde(default = "default_throttle")]
    pub action: LimitAction,
    /// Report only.
    #[serde(default)]
    pub shadow: bool,
}

/// A quota per sliding window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowLimit {
    /// Most allowed per window (sizes accept `KiB`/`MiB` units).
    #[serde(deserialize_with = "de_size")]
    pub max: u64,
    /// Window length (`1m`, `1h`).
    #[serde(deserialize_with = "de_duration")]
    pub window: Duration,
    /// Default `throttle`.
    #[serde(default = "default_throttle")]
    pub action: LimitAction,
    /// Report only.
    #[serde(default)]
    pub shadow: bool,
}

/// What a limit does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitAction {
    /// 429 with `Retry-After`.
    Throttle,
    /// 403.
    Block,
    /// Let it through; audit and count.
    Alert,
}

impl LimitAction {
    /// Name for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitAction::Throttle => "throttle",
            LimitAction::Block => "block",
            LimitAction::Alert => "alert",
        }
    }
}

fn default_throttle() -> LimitAction {
    LimitAction::Throttle
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrStr {
    Num(f64),
    Str(String),
}

/// Parses `10/s`, `600/m`, `1000/h` or a bare per-second number.
///
/// # Errors
/// A message for anything else, or a rate that is not positive and finite.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let (n, unit) = s.trim().split_once('/').unwrap_or((s.trim(), "s"));
    let n: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a rate (try `10/s`, `600/m`)"))?;
    let per = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        u => return Err(format!("unknown rate unit `{u}` (use /s, /m, /h)")),
    };
    let r = n / per;
    if !r.is_finite() || r <= 0.0 {
        return Err(format!("rate `{s}` must be positive"));
    }
    Ok(r)
}

fn de_rate<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => parse_rate(&n.to_string()),
        NumOrStr::Str(s) => parse_rate(&s),
    }
    .map_err(serde::de::Error::custom)
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) if n.is_finite() && n >= 0.0 => Ok(Duration::from_secs_f64(n)),
        NumOrStr::Num(n) => Err(serde::de::Error::custom(format!("bad duration {n}"))),
        NumOrStr::Str(s) => crate::config::parse_duration(&s).map_err(serde::de::Error::custom),
    }
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    de_duration(d).map(Some)
}

fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(n as u64),
        NumOrStr::Num(n) => Err(serde::de::Error::custom(format!("bad count {n}"))),
        NumOrStr::Str(s) => crate::config::parse_size(&s).map_err(serde::de::Error::custom),
    }
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/// Which limit fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    Requests,
    Bytes,
    Findings,
    DistinctValues,
}

impl LimitKind {
    /// Name for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Requests => "requests",
            LimitKind::Bytes => "bytes",
            LimitKind::Findings => "findings",
            LimitKind::DistinctValues => "distinct_values",
        }
    }
}

/// Whose budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// This consumer on this interface.
    Consumer,
    /// The interface, all consumers.
    Interface,
}

/// One limit that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub kind: LimitKind,
    pub scope: Scope,
    pub action: LimitAction,
    /// Reported, not enforced.
    pub shadow: bool,
    /// The configured maximum (requests: the burst).
    pub limit: u64,
    /// The (estimated) amount in the window, including this exchange.
    pub observed: u64,
    /// When the budget is available again.
    #[serde(skip)]
    pub retry_after: Option<Duration>,
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go on.
    Allow,
    /// 429 with `Retry-After`.
    Throttle { retry_after: Duration },
    /// 403.
    Block,
}

/// A verdict and every limit that fired (enforced, alert-only or shadow).
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub violations: Vec<Violation>,
}

impl Decision {
    fn allow() -> Decision {
        Decision {
            verdict: Verdict::Allow,
            violations: Vec::new(),
        }
    }

    fn from_violations(violations: Vec<Violation>) -> Decision {
        let mut verdict = Verdict::Allow;
        for v in violations.iter().filter(|v| !v.shadow) {
            verdict = match (verdict, v.action) {
                (Verdict::Block, _) | (_, LimitAction::Block) => Verdict::Block,
                (_, LimitAction::Alert) => verdict,
                (Verdict::Allow, LimitAction::Throttle) => Verdict::Throttle {
                    retry_after: v.retry_after.unwrap_or(Duration::from_secs(1)),
                },
                (Verdict::Throttle { retry_after }, LimitAction::Throttle) => Verdict::Throttle {
                    retry_after: retry_after.max(v.retry_after.unwrap_or(Duration::from_secs(1))),
                },
            };
        }
        Decision {
            verdict,
            violations,
        }
    }

    /// Whether the exchange may proceed.
    pub fn is_allowed(&self) -> bool {
        self.verdict == Verdict::Allow
    }

    /// Whether anything fired (an audit record and a metric are due).
    pub fn fired(&self) -> bool {
        !self.violations.is_empty()
    }

    /// The 429/403 problem+json response, or `None` when allowed. `Retry-After` is whole
    /// seconds, rounded up.
    pub fn to_response(&self, request_id: &str, interface: &str) -> Option<Response<Bytes>> {
        #[derive(Serialize)]
        struct Problem<'a> {
            #[serde(rename = "type")]
            type_: &'a str,
            title: &'a str,
            status: u16,
            detail: String,
            request_id: &'a str,
            interface: &'a str,
            limits: Vec<(&'static str, Scope)>,
            #[serde(skip_serializing_if = "Option::is_none")]
            retry_after: Option<u64>,
        }
        let (status, type_, title, retry) = match self.verdict {
            Verdict::Allow => return None,
            Verdict::Throttle { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "urn:sluice:problem:rate-limited",
                "Rate limit or quota exceeded",
                Some(retry_secs(retry_after)),
            ),
            Verdict::Block => (
                StatusCode::FORBIDDEN,
                "urn:sluice:problem:quota-blocked",
                "Blocked by a data-volume limit",
                None,
            ),
        };
        let limits: Vec<_> = self
            .violations
            .iter()
            .filter(|v| !v.shadow && v.action != LimitAction::Alert)
            .map(|v| (v.kind.as_str(), v.scope))
            .collect();
        let p = Problem {
            type_,
            title,
            status: status.as_u16(),
            detail: limits
                .iter()
                .map(|(k, s)| {
                    format!(
                        "{k} per {}",
                        if *s == Scope::Consumer {
                            "consumer"
                        } else {
                            "interface"
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            request_id,
            interface,
            limits,
            retry_after: retry,
        };
        let body = serde_json::to_vec(&p).unwrap_or_else(|_| b"{}".to_vec());
        let mut r = Response::new(Bytes::from(body));
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(s) = retry {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-request-id", v);
        }
        Some(r)
    }
}

fn retry_secs(d: Duration) -> u64 {
    let s = d.as_secs();
    if d.subsec_nanos() > 0 || s == 0 {
        s + 1
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/// Sliding-window counter: current fixed window and the previous one.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    /// Start of the current window, ns since the limiter's epoch.
    start: u64,
    cur: u64,
    prev: u64,
}

impl Window {
    fn roll(&mut self, now: u64, w: u64) {
        if self.start == 0 && self.cur == 0 && self.prev == 0 {
            self.start = now;
            return;
        }
        if now >= self.start + w {
            let k = (now - self.start) / w;
            self.prev = if k == 1 { self.cur } else { 0 };
            self.cur = 0;
            self.start += k * w;
        }
    }

    fn estimate(&self, now: u64, w: u64) -> u64 {
        let f = (now.saturating_sub(self.start)) as f64 / w as f64;
        self.cur + (self.prev as f64 * (1.0 - f).max(0.0)).ceil() as u64
    }

    /// Time until the estimate drops below `max`.
    fn retry_after(&self, now: u64, w: u64, max: u64) -> Duration {
        retry_after(self.start, self.cur, self.prev, now, w, max)
    }

    fn decayed(&self, now: u64, w: u64) -> bool {
        now >= self.start + 2 * w || (self.cur == 0 && self.prev == 0)
    }
}

fn retry_after(start: u64, cur: u64, prev: u64, now: u64, w: u64, max: u64) -> Duration {
    // The estimate is rounded up, so aim for `max - 1` to be under `max`.
    let target = max.saturating_sub(1);
    let wf = w as f64;
    let at = if cur > target {
        // After the roll the current count becomes `prev` and decays linearly.
        let x = 1.0 - target as f64 / cur as f64;
        start as f64 + wf + wf * x
    } else if prev > 0 {
        start as f64 + wf * (1.0 - (target - cur) as f64 / prev as f64)
    } else {
        now as f64
    };
    // A millisecond of margin against float rounding; never less than a second.
    Duration::from_nanos((at - now as f64 + 1e6).max(1e9).ceil() as u64)
}

/// Distinct fingerprints: exact while small, then a dense HyperLogLog.
#[derive(Debug, Clone, Default)]
enum Sketch {
    #[default]
    Empty,
    /// Sorted, deduplicated fingerprints.
    Sparse(Vec<u64>),
    /// 2^p registers.
    Dense(Box<Hll>),
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finalizer: the fingerprint is already a keyed hash, this only guards against
    // a weak one.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Sketch {
    fn insert(&mut self, fp: u64, p: u8) {
        match self {
            Sketch::Empty => *self = Sketch::Sparse(vec![fp]),
            Sketch::Sparse(v) => {
                if let Err(i) = v.binary_search(&fp) {
                    v.insert(i, fp);
                }
                // Dense costs 2^p bytes; switch when the exact set would cost as much.
                if v.len() * 8 > (1usize << p) {
                    let mut hll = Hll::new(p);
                    for x in v.iter() {
                        hll.add(*x, p);
                    }
                    *self = Sketch::Dense(Box::new(hll));
                }
            }
            Sketch::Dense(hll) => hll.add(fp, p),
        }
    }

    fn count(&self) -> u64 {
        match self {
            Sketch::Empty => 0,
            Sketch::Sparse(v) => v.len() as u64,
            Sketch::Dense(hll) => hll.estimate(),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Sketch::Empty => 0,
            Sketch::Sparse(v) => v.capacity() * 8,
            Sketch::Dense(h) => std::mem::size_of::<Hll>() + h.regs.len(),
        }
    }
}

/// A dense HyperLogLog with its harmonic sum and count of empty registers kept up to date
/// as registers grow, so an estimate (asked on every request of a consumer under a
/// distinct-value limit) costs O(1) instead of a pass over 2^p registers (4,096 by default,
/// up to 65,536).
#[derive(Debug, Clone)]
struct Hll {
    regs: Box<[u8]>,
    /// Σ 2^-r over the registers, in fixed point with 64 fractional bits: exact (a rank is at
    /// most 61), where a running float sum would drift.
    sum: u128,
    zeros: usize,
}

impl Hll {
    fn new(p: u8) -> Self {
        let m = 1usize << p;
        Hll {
            regs: vec![0u8; m].into_boxed_slice(),
            sum: (m as u128) << 64,
            zeros: m,
        }
    }

    fn add(&mut self, fp: u64, p: u8) {
        let h = mix(fp);
        let idx = (h >> (64 - p)) as usize;
        // A guard bit bounds the rank at 64 - p + 1.
        let w = (h << p) | (1u64 << (p - 1));
        let rank = w.leading_zeros() as u8 + 1;
        if let Some(r) = self.regs.get_mut(idx) {
            if rank > *r {
                self.sum =
                    self.sum - (1u128 << (64 - u32::from(*r))) + (1u128 << (64 - u32::from(rank)));
                if *r == 0 {
                    self.zeros -= 1;
                }
                *r = rank;
            }
        }
    }

    fn estimate(&self) -> u64 {
        hll_estimate(self.regs.len(), self.sum as f64 / 2f64.powi(64), self.zeros)
    }
}

/// The HyperLogLog estimate from `m` registers, their harmonic sum Σ 2^-r and how many are
/// still zero.
fn hll_estimate(len: usize, sum: f64, zeros: usize) -> u64 {
    let m = len as f64;
    let alpha = match len {
        16 => 0.673,
        32 => 0.697,
        64 => 0.709,
        _ => 0.7213 / (1.0 + 1.079 / m),
    };
    let e = alpha * m * m / sum;
    // Linear counting in the small range; 64-bit hashes need no large-range correction.
    let e = if e <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln()
    } else {
        e
    };
    e.round() as u64
}

#[derive(Debug, Clone, Default)]
struct Distinct {
    start: u64,
    prev: u64,
    sketch: Sketch,
}

impl Distinct {
    fn roll(&mut self, now: u64, w: u64) {
        if self.start == 0 && matches!(self.sketch, Sketch::Empty) && self.prev == 0 {
            self.start = now;
            return;
        }
        if now >= self.start + w {
            let k = (now - self.start) / w;
            self.prev = if k == 1 { self.sketch.count() } else { 0 };
            // Dropping the sketch frees its memory for consumers that went quiet.
            self.sketch = Sketch::Empty;
            self.start += k * w;
        }
    }

    fn estimate(&self, now: u64, w: u64) -> u64 {
        let f = (now.saturating_sub(self.start)) as f64 / w as f64;
        self.sketch.count() + (self.prev as f64 * (1.0 - f).max(0.0)).ceil() as u64
    }

    fn decayed(&self, now: u64, w: u64) -> bool {
        now >= self.start + 2 * w || (self.prev == 0 && matches!(self.sketch, Sketch::Empty))
    }
}

/// All limit state of one key.
#[derive(Debug, Clone, Default)]
struct Slot {
    last_seen: u64,
    /// GCRA theoretical arrival time.
    tat: u64,
    bytes: Window,
    findings: Window,
    distinct: Distinct,
}

/// Compiled limits of one interface.
#[derive(Debug, Clone, Default)]
struct Compiled {
    consumer: Set,
    total: Set,
}

#[derive(Debug, Clone, Default)]
struct Set {
    requests: Option<Gcra>,
    bytes: Option<Win>,
    findings: Option<Win>,
    distinct: Option<Win>,
}

#[derive(Debug, Clone, Copy)]
struct Gcra {
    /// Emission interval, ns.
    t: u64,
    /// Tolerance: t × burst.
    tol: u64,
    burst: u64,
    action: LimitAction,
    shadow: bool,
}

#[derive(Debug, Clone, Copy)]
struct Win {
    max: u64,
    w: u64,
    action: LimitAction,
    shadow: bool,
}

impl Set {
    fn compile(s: &LimitSet, shadow: bool) -> Set {
        let win = |l: &WindowLimit| Win {
            max: l.max,
            w: (l.window.as_nanos() as u64).max(1),
            action: l.action,
            shadow: shadow || l.shadow,
        };
        Set {
            requests: s.requests.as_ref().map(|r| {
                let t = ((1e9 / r.rate) as u64).max(1);
                let burst = u64::from(r.burst.unwrap_or((r.rate.ceil() as u32).max(1)).max(1));
                Gcra {
                    t,
                    tol: t.saturating_mul(burst),
                    burst,
                    action: r.action,
                    shadow: shadow || r.shadow,
                }
            }),
            bytes: s.bytes.as_ref().map(win),
            findings: s.findings.as_ref().map(win),
            distinct: s.distinct_values.as_ref().map(win),
        }
    }

    fn is_empty(&self) -> bool {
        self.requests.is_none()
            && self.bytes.is_none()
            && self.findings.is_none()
            && self.distinct.is_none()
    }

    fn longest(&self) -> u64 {
        [self.bytes, self.findings, self.distinct]
            .iter()
            .flatten()
            .map(|w| w.w)
            .max()
            .unwrap_or(0)
    }

    /// Whether a slot under these limits is indistinguishable from a fresh one.
    fn decayed(&self, s: &Slot, now: u64) -> bool {
        s.tat <= now
            && self.bytes.iter().all(|w| s.bytes.decayed(now, w.w))
            && self.findings.iter().all(|w| s.findings.decayed(now, w.w))
            && self.distinct.iter().all(|w| s.distinct.decayed(now, w.w))
    }
}

/// Counters for the metrics layer.
#[derive(Debug, Default)]
pub struct LimiterStats {
    /// Entries dropped by the sweep (decayed or idle past `idle_timeout`).
    pub evicted_idle: AtomicU64,
    /// Entries dropped because `max_keys` was reached (their limits restart from zero).
    pub evicted_pressure: AtomicU64,
}

/// A configuration problem (key path under `rate_limits`, message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfigError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for LimitsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key `rate_limits.{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for LimitsConfigError {}

type Key = (Arc<str>, Arc<str>);

/// The limiter: compiled limits and the state of every tracked key. Shared by all
/// connections (`Arc<Limiter>`); every method takes `&self`.
pub struct Limiter {
    epoch: Instant,
    by_iface: HashMap<Arc<str>, Arc<Compiled>>,
    default: Option<Arc<Compiled>>,
    consumers: DashMap<Key, Slot>,
    totals: DashMap<Arc<str>, Slot>,
    max_keys: usize,
    idle: u64,
    precision: u8,
    evicting: AtomicBool,
    stats: Arc<LimiterStats>,
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("interfaces", &self.by_iface.len())
            .field("tracked", &self.consumers.len())
            .finish_non_exhaustive()
    }
}

impl LimitsConfig {
    /// Checks the section against the configured interface names.
    ///
    /// # Errors
    /// Every problem: an unknown interface name, a zero window, a precision out of range.
    pub fn validate(&self, interfaces: &[&str]) -> Vec<LimitsConfigError> {
        let mut errs = Vec::new();
        let e = |k: String, m: &str| LimitsConfigError {
            key: k,
            message: m.to_string(),
        };
        if !(4..=16).contains(&self.hll_precision) {
            errs.push(e("hll_precision".into(), "must be between 4 and 16"));
        }
        if self.max_keys == 0 {
            errs.push(e("max_keys".into(), "must be at least 1"));
        }
        let check = |errs: &mut Vec<LimitsConfigError>, at: String, l: &InterfaceLimits| {
            for (scope, s) in [("per_consumer", &l.per_consumer), ("total", &l.total)] {
                for (name, w) in [
                    ("bytes", &s.bytes),
                    ("findings", &s.findings),
                    ("distinct_values", &s.distinct_values),
                ] {
                    if w.as_ref().is_some_and(|w| w.window.is_zero()) {
                        errs.push(e(format!("{at}.{scope}.{name}.window"), "must not be zero"));
                    }
                }
                if s.requests.as_ref().is_some_and(|r| r.burst == Some(0)) {
                    errs.push(e(
                        format!("{at}.{scope}.requests.burst"),
                        "must be at least 1",
                    ));
                }
            }
        };
        if let Some(d) = &self.default {
            check(&mut errs, "default".into(), d);
        }
        for (name, l) in &self.interfaces {
            if !interfaces.contains(&name.as_str()) {
                errs.push(e(format!("interfaces.{name}"), "no interface of that name"));
            }
            check(&mut errs, format!("interfaces.{name}"), l);
        }
        errs
    }

    /// Builds the limiter. `now` is its time origin (`tokio::time::Instant::now()`).
    pub fn build(&self, now: Instant) -> Limiter {
        let compile = |l: &InterfaceLimits| {
            Arc::new(Compiled {
                consumer: Set::compile(&l.per_consumer, self.shadow),
                total: Set::compile(&l.total, self.shadow),
            })
        };
        let by_iface: HashMap<Arc<str>, Arc<Compiled>> = self
            .interfaces
            .iter()
            .map(|(k, v)| (Arc::from(k.as_str()), compile(v)))
            .collect();
        let default = self.default.as_ref().map(compile);
        let longest = by_iface
            .values()
            .chain(default.iter())
            .map(|c| c.consumer.longest().max(c.total.longest()))
            .max()
            .unwrap_or(0);
        let idle = self
            .idle_timeout
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_else(|| (2 * longest).max(60_000_000_000));
        Limiter {
            // One tick before `now`, so that 0 never means "now" (0 marks an unused window).
            epoch: now.checked_sub(Duration::from_nanos(1)).unwrap_or(now),
            by_iface,
            default,
            consumers: DashMap::new(),
            totals: DashMap::new(),
            max_keys: self.max_keys.max(1),
            idle,
            precision: self.hll_precision.clamp(4, 16),
            evicting: AtomicBool::new(false),
            stats: Arc::new(LimiterStats::default()),
        }
    }
}

impl LimitsConfig {
    /// Builds the limiter for a changed `rate_limits` section, taking over from `prev` the
    /// state of every limit whose definition still counts the same way: a window limit keeps
    /// its counts when its window length is unchanged (a new `max` or action applies to them at
    /// once), a request rate its GCRA state when its rate is unchanged, a distinct-value guard
    /// its sketches when the HyperLogLog precision is unchanged too. Editing one interface's
    /// limit must not hand every consumer a fresh bulk-exfiltration budget. Requests that
    /// finish on the old limiter after the copy are not carried over (the swap follows at once).
    pub fn build_after(&self, now: Instant, prev: &Limiter) -> Limiter {
        let mut next = self.build(now);
        // One time origin, so slot timestamps carry over as they are.
        next.epoch = prev.epoch;
        let same_hll = next.precision == prev.precision;
        for e in prev.consumers.iter() {
            let (iface, _) = e.key();
            let (Some(old), Some(new)) = (prev.limits(iface), next.limits(iface)) else {
                continue;
            };
            if let Some(slot) = carry(&old.consumer, &new.consumer, e.value(), same_hll) {
                next.consumers.insert(e.key().clone(), slot);
            }
        }
        for e in prev.totals.iter() {
            let (Some(old), Some(new)) = (prev.limits(e.key()), next.limits(e.key())) else {
                continue;
            };
            if let Some(slot) = carry(&old.total, &new.total, e.value(), same_hll) {
                next.totals.insert(e.key().clone(), slot);
            }
        }
        next
    }
}

/// What of `s` (state under the limits `old`) still holds under `new`; `None` when nothing.
fn carry(old: &Set, new: &Set, s: &Slot, same_hll: bool) -> Option<Slot> {
    let same_window =
        |a: &Option<Win>, b: &Option<Win>| matches!((a, b), (Some(a), Some(b)) if a.w == b.w);
    let mut out = Slot {
        last_seen: s.last_seen,
        ..Slot::default()
    };
    let mut kept = false;
    if matches!((&old.requests, &new.requests), (Some(a), Some(b)) if a.t == b.t) {
        out.tat = s.tat;
        kept = true;
    }
    if same_window(&old.bytes, &new.bytes) {
        out.bytes = s.bytes;
        kept = true;
    }
    if same_window(&old.findings, &new.findings) {
        out.findings = s.findings;
        kept = true;
    }
    if same_hll && same_window(&old.distinct, &new.distinct) {
        out.distinct = s.distinct.clone();
        kept = true;
    }
    kept.then_some(out)
}

fn gcra_check(g: &Gcra, tat: u64, now: u64) -> Result<u64, Duration> {
    let new_tat = tat.max(now) + g.t;
    if new_tat - now <= g.tol {
        Ok(new_tat)
    } else {
        Err(Duration::from_nanos(new_tat - now - g.tol))
    }
}

impl Limiter {
    fn ns(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    fn limits(&self, iface: &str) -> Option<&Arc<Compiled>> {
        self.by_iface.get(iface).or(self.default.as_ref())
    }

    /// Whether any limit applies to the interface.
    pub fn has_limits(&self, iface: &str) -> bool {
        self.limits(iface)
            .is_some_and(|c| !c.consumer.is_empty() || !c.total.is_empty())
    }

    /// Counters for the metrics layer.
    pub fn stats(&self) -> &Arc<LimiterStats> {
        &self.stats
    }

    /// Whether responses of `iface` are counted (bytes, findings or distinct-value limits), so
    /// the pipeline knows to scan and, for throttle/block actions, hold the response body.
    pub fn has_response_limits(&self, iface: &str) -> bool {
        self.limits(iface).is_some_and(|c| {
            [&c.consumer, &c.total]
                .iter()
                .any(|s| s.bytes.is_some() || s.findings.is_some() || s.distinct.is_some())
        })
    }

    /// Number of tracked (interface, consumer) keys.
    pub fn tracked(&self) -> usize {
        self.consumers.len()
    }

    /// Request-time check: the request rates, and whether a window quota is already spent.
    /// Charges the request to the GCRAs only when it is let through.
    pub fn check_request(&self, iface: &Arc<str>, consumer: &Arc<str>, now: Instant) -> Decision {
        let Some(lim) = self.limits(iface).cloned() else {
            return Decision::allow();
        };
        if lim.consumer.is_empty() && lim.total.is_empty() {
            return Decision::allow();
        }
        let now = self.ns(now);
        let mut v = Vec::new();
        let mut c_slot = (!lim.consumer.is_empty()).then(|| self.slot(iface, consumer, now));
        let mut t_slot =
            (!lim.total.is_empty()).then(|| self.totals.entry(iface.clone()).or_default());
        let mut commits: [Option<u64>; 2] = [None, None];
        for (i, (set, scope)) in [
            (&lim.consumer, Scope::Consumer),
            (&lim.total, Scope::Interface),
        ]
        .into_iter()
        .enumerate()
        {
            let slot: Option<&mut Slot> = match scope {
                Scope::Consumer => c_slot.as_deref_mut(),
                Scope::Interface => t_slot.as_deref_mut(),
            };
            let Some(slot) = slot else { continue };
            slot.last_seen = now;
            if let Some(g) = &set.requests {
                match gcra_check(g, slot.tat, now) {
                    Ok(t) => commits[i] = Some(t),
                    Err(retry) => v.push(Violation {
                        kind: LimitKind::Requests,
                        scope,
                        action: g.action,
                        shadow: g.shadow,
                        limit: g.burst,
                        observed: g.burst + 1,
                        retry_after: Some(retry),
                    }),
                }
            }
            // A spent window quota refuses further requests until it slides back under.
            for (kind, w, win) in [
                (LimitKind::Bytes, &set.bytes, &mut slot.bytes),
                (LimitKind::Findings, &set.findings, &mut slot.findings),
            ] {
                if let Some(w) = w {
                    win.roll(now, w.w);
                    let est = win.estimate(now, w.w);
                    if est >= w.max && w.action != LimitAction::Alert {
                        v.push(Violation {
                            kind,
                            scope,
                            action: w.action,
                            shadow: w.shadow,
                            limit: w.max,
                            observed: est,
                            retry_after: Some(win.retry_after(now, w.w, w.max)),
                        });
                    }
                }
            }
            if let Some(w) = &set.distinct {
                slot.distinct.roll(now, w.w);
                let est = slot.distinct.estimate(now, w.w);
                if est >= w.max && w.action != LimitAction::Alert {
                    let d = &slot.distinct;
                    v.push(Violation {
                        kind: LimitKind::DistinctValues,
                        scope,
                        action: w.action,
                        shadow: w.shadow,
                        limit: w.max,
                        observed: est,
                        retry_after: Some(retry_after(
                            d.start,
                            d.sketch.count(),
                            d.prev,
                            now,
                            w.w,
                            w.max,
                        )),
                    });
                }
            }
        }
        let d = if v.is_empty() {
            Decision::allow()
        } else {
            Decision::from_violations(v)
        };
        if d.is_allowed() {
            if let (Some(s), Some(t)) = (c_slot.as_deref_mut(), commits[0]) {
                s.tat = t;
            }
            if let (Some(s), Some(t)) = (t_slot.as_deref_mut(), commits[1]) {
                s.tat = t;
            }
        }
        d
    }

    /// Response-time accounting: adds the response's bytes, findings and distinct values to
    /// the windows and says whether this response crossed a quota. May be called several times
    /// for one streamed response (with the increments). A held response, which a refusal
    /// keeps from the consumer, is charged only if it goes out (see
    /// [`Limiter::record_response_fps`]).
    pub fn record_response(
        &self,
        iface: &Arc<str>,
        consumer: &Arc<str>,
        bytes: u64,
        findings: &[Finding],
        now: Instant,
    ) -> Decision {
        let fps: Vec<u64> = findings.iter().map(|f| f.fingerprint).collect();
        self.record_response_fps(iface, consumer, bytes, &fps, now, true)
    }

    /// [`Limiter::record_response`] from the findings' keyed fingerprints alone (one per
    /// finding), which is what the body pipeline keeps. `refusable`: the response is still
    /// held, and a refusing decision keeps it from the consumer; then nothing of it is
    /// charged, as a refused request takes no token, or one page too large would spend the
    /// consumer's budget on data never delivered and lock it out for the window. A body that
    /// went out already (streamed) is charged whatever the decision.
    pub fn record_response_fps(
        &self,
        iface: &Arc<str>,
        consumer: &Arc<str>,
        bytes: u64,
        findings: &[u64],
        now: Instant,
        refusable: bool,
    ) -> Decision {
        let Some(lim) = self.limits(iface).cloned() else {
            return Decision::allow();
        };
        let now = self.ns(now);
        let mut v = Vec::new();
        // Both slots are held (the consumer's first, as `check_request` takes them) until the
        // decision is known, so an undo restores exactly what this call changed.
        let mut c_slot = (!lim.consumer.is_empty()).then(|| self.slot(iface, consumer, now));
        let mut t_slot =
            (!lim.total.is_empty()).then(|| self.totals.entry(iface.clone()).or_default());
        let saved = refusable.then(|| (c_slot.as_deref().cloned(), t_slot.as_deref().cloned()));
        if let Some(s) = c_slot.as_deref_mut() {
            self.account(
                &lim.consumer,
                s,
                Scope::Consumer,
                bytes,
                findings,
                now,
                &mut v,
            );
        }
        if let Some(s) = t_slot.as_deref_mut() {
            self.account(
                &lim.total,
                s,
                Scope::Interface,
                bytes,
                findings,
                now,
                &mut v,
            );
        }
        if v.is_empty() {
            return Decision::allow();
        }
        let d = Decision::from_violations(v);
        if let (false, Some((c, t))) = (d.is_allowed(), saved) {
            for (slot, old) in [(c_slot.as_deref_mut(), c), (t_slot.as_deref_mut(), t)] {
                if let (Some(slot), Some(old)) = (slot, old) {
                    *slot = Slot {
                        last_seen: slot.last_seen,
                        ..old
                    };
                }
            }
        }
        d
    }

    #[allow(clippy::too_many_arguments)]
    fn account(
        &self,
        set: &Set,
        slot: &mut Slot,
        scope: Scope,
        bytes: u64,
        findings: &[u64],
        now: u64,
        v: &mut Vec<Violation>,
    ) {
        slot.last_seen = now;
        for (kind, w, win, add) in [
            (LimitKind::Bytes, &set.bytes, &mut slot.bytes, bytes),
            (
                LimitKind::Findings,
                &set.findings,
                &mut slot.findings,
                findings.len() as u64,
            ),
        ] {
            if let Some(w) = w {
                win.roll(now, w.w);
                win.cur = win.cur.saturating_add(add);
                let est = win.estimate(now, w.w);
                if add > 0 && est > w.max {
                    v.push(Violation {
                        kind,
                        scope,
                        action: w.action,
                        shadow: w.shadow,
                        limit: w.max,
                        observed: est,
                        retry_after: Some(win.retry_after(now, w.w, w.max)),
                    });
                }
            }
        }
        if let Some(w) = &set.distinct {
            let d = &mut slot.distinct;
            d.roll(now, w.w);
            for f in findings {
                d.sketch.insert(*f, self.precision);
            }
            let est = d.estimate(now, w.w);
            if !findings.is_empty() && est > w.max {
                v.push(Violation {
                    kind: LimitKind::DistinctValues,
                    scope,
                    action: w.action,
                    shadow: w.shadow,
                    limit: w.max,
                    observed: est,
                    retry_after: Some(retry_after(
                        d.start,
                        d.sketch.count(),
                        d.prev,
                        now,
                        w.w,
                        w.max,
                    )),
                });
            }
        }
    }

    /// The slot of a key, created if absent (after making room under `max_keys`).
    fn slot(
        &self,
        iface: &Arc<str>,
        consumer: &Arc<str>,
        now: u64,
    ) -> dashmap::mapref::one::RefMut<'_, Key, Slot> {
        let key = (iface.clone(), consumer.clone());
        if !self.consumers.contains_key(&key) && self.consumers.len() >= self.max_keys {
            self.evict_pressure(now);
        }
        self.consumers.entry(key).or_default()
    }

    /// Makes room: drops decayed entries, then the least recently seen tenth. One caller at a
    /// time; others proceed (the cap may be overshot by the number of concurrent inserts).
    fn evict_pressure(&self, now: u64) {
        if self.evicting.swap(true, Ordering::AcqRel) {
            return;
        }
        self.sweep_ns(now);
        if self.consumers.len() >= self.max_keys {
            let mut seen: Vec<u64> = self.consumers.iter().map(|e| e.last_seen).collect();
            let k = (seen.len() / 10).max(1).min(seen.len() - 1);
            let (_, cutoff, _) = seen.select_nth_unstable(k);
            let cutoff = *cutoff;
            let mut n = 0u64;
            self.consumers.retain(|_, s| {
                let keep = s.last_seen > cutoff;
                n += u64::from(!keep);
                keep
            });
            self.stats.evicted_pressure.fetch_add(n, Ordering::Relaxed);
        }
        self.evicting.store(false, Ordering::Release);
    }

    /// Drops entries whose state has decayed to nothing (lossless) and entries idle longer
    /// than `idle_timeout`. Returns how many were dropped.
    pub fn sweep(&self, now: Instant) -> usize {
        self.sweep_ns(self.ns(now))
    }

    fn sweep_ns(&self, now: u64) -> usize {
        let mut n = 0usize;
        let idle = self.idle;
        self.consumers.retain(|(iface, _), s| {
            let expired = now.saturating_sub(s.last_seen) >= idle;
            let decayed = self
                .by_iface
                .get(iface)
                .or(self.default.as_ref())
                .iter()
                .all(|c| c.consumer.decayed(s, now));
            let keep = !(expired || decayed);
            n += usize::from(!keep);
            keep
        });
        self.stats
            .evicted_idle
            .fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    /// Runs [`Limiter::sweep`] every `every` on the Tokio runtime until the limiter is dropped.
    pub fn spawn_sweeper(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(l) = weak.upgrade() else { return };
                l.sweep(Instant::now());
            }
        })
    }

    /// Approximate heap bytes held by tracked state (map entries and sketches), for the
    /// memory figure and a gauge. Counts the map's slots at its capacity.
    pub fn approx_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(Key, Slot)>() + 8;
        let mut b = self.consumers.capacity() * entry;
        for e in self.consumers.iter() {
            let (i, c) = e.key();
            // Interface names are shared with the config; consumer ids may be per-key.
            b += c.len()
                + 16
                + if Arc::strong_count(i) == 1 {
                    i.len()
                } else {
                    0
                };
            b += e.value().distinct.sketch.heap_bytes();
        }
        b
    }
}

#[cfg(test)]
mod tests;
