//! Telemetry: the Prometheus registry and the typed events that feed it.
//!
//! Every observable thing the proxy does is an *event* struct in this module whose `emit`
//! counts it (and, where an operator should read about it, logs it) in one place, the way
//! Vector's `internal_events` do. Call sites never touch a metric family directly, so a metric's
//! name, labels and help text are defined exactly once and the admin `/metrics` route and the
//! dashboards in `dashboards/` can be checked against [`Metrics::names`].
//!
//! Labels are bounded by construction: interface *names* from the config (plus the default
//! interface), direction, class, grade and rule id from the loaded rule packs, actions and
//! outcomes from closed enums, and a consumer label only for consumers listed in
//! `metrics.consumers` (everyone else is `other`). Raw paths, client addresses and values never
//! become labels: a per-path label is how DLP and API gateways have taken their monitoring down.
//!
//! Units are base units (seconds, bytes), counters end in `_total`. `/metrics` answers in the
//! Prometheus text format (0.0.4), or in OpenMetrics when the scraper asks for it.
//!
//! Distinct sensitive values (the signal for bulk exfiltration, where each call is harmless but
//! the sum is a population) are counted per interface and class with a HyperLogLog sketch of
//! the findings' keyed fingerprints over a sliding window: bounded memory (4 KiB per pair), no
//! value or fingerprint is ever exported.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use crate::audit::AuditStats;
use crate::filter::FindingSummary;

/// A label value that is cheap to clone (an interface, class, grade or rule name).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct L(pub Arc<str>);

impl EncodeLabelValue for L {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(&self.0)
    }
}

impl From<&Arc<str>> for L {
    fn from(s: &Arc<str>) -> Self {
        L(s.clone())
    }
}

impl From<&str> for L {
    fn from(s: &str) -> Self {
        L(Arc::from(s))
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Iface {
    interface: L,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IfaceConsumer {
    interface: L,
    consumer: L,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Responses {
    interface: L,
    status_class: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Bytes {
    interface: L,
    direction: &'static str,
    side: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IfaceDir {
    interface: L,
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Findings {
    interface: L,
    direction: &'static str,
    class: L,
    grade: L,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleAction {
    rule: L,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IfaceClass {
    interface: L,
    class: L,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Decision {
    interface: L,
    decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailLabels {
    interface: L,
    mode: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamErr {
    interface: L,
    kind: &'static str,
}

/// No label: a series that exists only while there is something to report (a gauge with no
/// label cannot be absent).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NoLabels {}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    trigger: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HashLabel {
    hash: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type Hist<Lb> = Family<Lb, Histogram, fn() -> Histogram>;

fn latency_hist() -> Histogram {
    // 50 µs … ~26 s: inspection of a small body is tens of microseconds, a slow upstream is
    // seconds; both must land in a bucket.
    Histogram::new(exponential_buckets(0.00005, 2.0, 20))
}

fn size_hist() -> Histogram {
    // 64 B … 1 GiB.
    Histogram::new(exponential_buckets(64.0, 4.0, 13))
}

/// Every metric family the proxy exports.
pub struct Metrics {
    registry: Registry,
    requests: Family<Iface, Counter>,
    consumer_requests: Family<IfaceConsumer, Counter>,
    responses: Family<Responses, Counter>,
    body_bytes: Family<Bytes, Counter>,
    body_size: Hist<IfaceDir>,
    findings: Family<Findings, Counter>,
    rule_findings: Family<RuleAction, Counter>,
    blocks: Family<IfaceDir, Counter>,
    redactions: Family<IfaceDir, Counter>,
    over_scope: Family<IfaceClass, Counter>,
    rate_limit: Family<Decision, Counter>,
    decompression_caps: Family<IfaceDir, Counter>,
    coding_mismatches: Family<IfaceDir, Counter>,
    fail_events: Family<FailLabels, Counter>,
    upstream_errors: Family<UpstreamErr, Counter>,
    audit_dropped: Family<Reason, Counter>,
    audit_written: Counter,
    audit_chain_seq: Family<NoLabels, Gauge>,
    inspection: Hist<IfaceDir>,
    upstream_latency: Hist<Iface>,
    request_duration: Hist<Iface>,
    reloads: Family<ReloadLabels, Counter>,
    reload_ok: Gauge,
    reload_ok_ts: Gauge<f64, AtomicU64>,
    rules_info: Family<HashLabel, Gauge>,
    rules_loaded: Gauge,
    distinct: Family<IfaceClass, Gauge>,
    inventory_templates: Gauge,
    inventory_overflow: Counter,
    consumers: Vec<Arc<str>>,
    other: L,
    sketches: Distinct,
    /// Audit trails whose losses feed `audit_dropped` at each scrape. Weak: a trail a reload
    /// replaced goes away with the last request that held it.
    audit_trails: Mutex<Vec<Weak<AuditStats>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(&[], Duration::from_secs(600))
    }
}

impl Metrics {
    /// A registry with every family registered. `consumers` is the bounded set of consumer
    /// names that may appear as a label; `distinct_window` the window of the distinct-value
    /// gauges.
    pub fn new(consumers: &[String], distinct_window: Duration) -> Metrics {
        let mut r = Registry::with_prefix("sluice");
        let requests = Family::<Iface, Counter>::default();
        r.register(
            "requests",
            "Requests received, by interface",
            requests.clone(),
        );
        let consumer_requests = Family::<IfaceConsumer, Counter>::default();
        r.register(
            "consumer_requests",
            "Requests by interface and configured consumer (others are `other`)",
            consumer_requests.clone(),
        );
        let responses = Family::<Responses, Counter>::default();
        r.register(
            "responses",
            "Exchanges ended, by interface, status class and outcome",
            responses.clone(),
        );
        let body_bytes = Family::<Bytes, Counter>::default();
        r.register_with_unit(
            "body",
            "Body bytes by interface, direction (request, response) and side (in: received by Sluice, out: forwarded)",
            Unit::Bytes,
            body_bytes.clone(),
        );
        let body_size: Hist<IfaceDir> = Family::new_with_constructor(size_hist);
        r.register_with_unit(
            "body_size",
            "Size of bodies received, by interface and direction",
            Unit::Bytes,
            body_size.clone(),
        );
        let findings = Family::<Findings, Counter>::default();
        r.register(
            "findings",
            "Sensitive values found, by interface, direction, class, grade and action",
            findings.clone(),
        );
        let rule_findings = Family::<RuleAction, Counter>::default();
        r.register(
            "rule_findings",
            "Sensitive values found, by rule id and action",
            rule_findings.clone(),
        );
        let blocks = Family::<IfaceDir, Counter>::default();
        r.register(
            "blocks",
            "Messages refused because they carry a blocked class",
            blocks.clone(),
        );
        let redactions = Family::<IfaceDir, Counter>::default();
        r.register(
            "redactions",
            "Messages forwarded with at least one value redacted",
            redactions.clone(),
        );
        let over_scope = Family::<IfaceClass, Counter>::default();
        r.register(
            "over_scope",
            "Over-scope sharing events: a class outside the interface's or consumer's declared scope",
            over_scope.clone(),
        );
        let rate_limit = Family::<Decision, Counter>::default();
        r.register(
            "rate_limit_decisions",
            "Rate-limit decisions, by interface and decision (allowed, limited)",
            rate_limit.clone(),
        );
        let decompression_caps = Family::<IfaceDir, Counter>::default();
        let coding_mismatches = Family::<IfaceDir, Counter>::default();
        r.register(
            "coding_mismatches",
            "Bodies whose bytes carried another content coding than declared; inspected as what they carried",
            coding_mismatches.clone(),
        );
        r.register(
            "decompression_caps",
            "Bodies stopped by a decompression cap (size or ratio: a compression bomb)",
            decompression_caps.clone(),
        );
        let fail_events = Family::<FailLabels, Counter>::default();
        r.register(
            "fail_events",
            "Inspection could not be completed; mode open passed the data on, closed refused it",
            fail_events.clone(),
        );
        let upstream_errors = Family::<UpstreamErr, Counter>::default();
        r.register(
            "upstream_errors",
            "Exchanges the upstream failed (connect, timeout, reset, protocol)",
            upstream_errors.clone(),
        );
        let audit_dropped = Family::<Reason, Counter>::default();
        r.register(
            "audit_records_dropped",
            "Audit records that could not be written",
            audit_dropped.clone(),
        );
        let audit_written = Counter::default();
        r.register(
            "audit_records_written",
            "Audit records written (decisions and the trail's own records)",
            audit_written.clone(),
        );
        let audit_chain_seq = Family::<NoLabels, Gauge>::default();
        r.register(
            "audit_chain_seq",
            "Sequence number of the last record of the file audit trail (the chain head; resumes \
             where the file ends after a restart, so going back means records were removed)",
            audit_chain_seq.clone(),
        );
        let inspection: Hist<IfaceDir> = Family::new_with_constructor(latency_hist);
        r.register_with_unit(
            "inspection_duration",
            "CPU time spent decoding, scanning and redacting one body",
            Unit::Seconds,
            inspection.clone(),
        );
        let upstream_latency: Hist<Iface> = Family::new_with_constructor(latency_hist);
        r.register_with_unit(
            "upstream_duration",
            "Time from sending a request upstream to its response head",
            Unit::Seconds,
            upstream_latency.clone(),
        );
        let request_duration: Hist<Iface> = Family::new_with_constructor(latency_hist);
        r.register_with_unit(
            "request_duration",
            "Whole exchange, first request byte to last response byte",
            Unit::Seconds,
            request_duration.clone(),
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        r.register(
            "reloads",
            "Reload attempts of rules and policy, by trigger and result (success, failure, unchanged)",
            reloads.clone(),
        );
        let reload_ok = Gauge::default();
        r.register(
            "rules_last_reload_successful",
            "1 when the last reload attempt succeeded (or none failed since start)",
            reload_ok.clone(),
        );
        let reload_ok_ts = Gauge::<f64, AtomicU64>::default();
        r.register(
            "rules_last_reload_success_timestamp_seconds",
            "Unix time of the last successful load of rules and policy",
            reload_ok_ts.clone(),
        );
        let rules_info = Family::<HashLabel, Gauge>::default();
        r.register(
            "rules_info",
            "Content hash of the rule set in force (value 1)",
            rules_info.clone(),
        );
        let rules_loaded = Gauge::default();
        r.register(
            "rules_loaded",
            "Number of rules in force",
            rules_loaded.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        r.register("build_info", "Sluice build (value 1)", build.clone());
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        let distinct = Family::<IfaceClass, Gauge>::default();
        r.register(
            "distinct_values",
            "Estimated distinct sensitive values sent per interface and class over the sliding window (metrics.distinct_window)",
            distinct.clone(),
        );
        let inventory_templates = Gauge::default();
        r.register(
            "inventory_templates",
            "Observed (unconfigured) path templates tracked by the interface inventory",
            inventory_templates.clone(),
        );
        let inventory_overflow = Counter::default();
        r.register(
            "inventory_overflow",
            "Requests to observed paths not tracked because the inventory cap was reached",
            inventory_overflow.clone(),
        );
        reload_ok.set(1);
        Metrics {
            registry: r,
            requests,
            consumer_requests,
            responses,
            body_bytes,
            body_size,
            findings,
            rule_findings,
            blocks,
            redactions,
            over_scope,
            rate_limit,
            decompression_caps,
            coding_mismatches,
            fail_events,
            upstream_errors,
            audit_dropped,
            audit_written,
            audit_chain_seq,
            inspection,
            upstream_latency,
            request_duration,
            reloads,
            reload_ok,
            reload_ok_ts,
            rules_info,
            rules_loaded,
            distinct,
            inventory_templates,
            inventory_overflow,
            consumers: consumers.iter().map(|c| Arc::from(c.as_str())).collect(),
            other: L::from("other"),
            sketches: Distinct::new(distinct_window),
            audit_trails: Mutex::new(Vec::new()),
        }
    }

    /// Counts the audit records `trail` lost since it was last asked ([`AuditDropped`]), and
    /// registers it so that every scrape asks again. The end of each exchange calls this:
    /// a full queue is counted with the exchange that hit it, and a write the writer thread
    /// failed after the last exchange is still counted by the next scrape. Cheap when nothing
    /// was lost (two atomic loads; the registry lock is taken once per trail).
    pub fn audit_losses(&self, trail: &Arc<AuditStats>) {
        self.audit_trail(trail);
        self.meter_audit(trail);
    }

    /// Registers a trail for the scrapes (its losses, records written and chain head). The
    /// proxy calls this when it starts a trail (start-up, a reload that changed `audit`), in
    /// that order: the last one registered that is still alive is the trail in force.
    pub fn audit_trail(&self, trail: &Arc<AuditStats>) {
        if trail.first_registration() {
            if let Ok(mut v) = self.audit_trails.lock() {
                v.retain(|w| w.strong_count() > 0);
                v.push(Arc::downgrade(trail));
            }
        }
    }

    fn meter_audit(&self, trail: &AuditStats) {
        for (reason, count) in trail.take_unmetered() {
            if count > 0 {
                AuditDropped { reason, count }.emit(self);
            }
        }
        self.audit_written.inc_by(trail.take_unmetered_written());
    }

    /// Creates the zero-valued series of each configured interface, so `rate()` and absence
    /// alerts work from the first scrape instead of from the first request.
    pub fn init_interfaces<'a>(&self, names: impl Iterator<Item = &'a Arc<str>>) {
        for n in names {
            let i = Iface {
                interface: n.into(),
            };
            let _ = self.requests.get_or_create(&i);
            for direction in ["request", "response"] {
                let d = IfaceDir {
                    interface: n.into(),
                    direction,
                };
                let _ = self.blocks.get_or_create(&d);
                let _ = self.redactions.get_or_create(&d);
            }
        }
        for trigger in ["watch", "signal", "admin"] {
            for result in ["success", "failure"] {
                let _ = self
                    .reloads
                    .get_or_create(&ReloadLabels { trigger, result });
            }
        }
        for reason in ["queue_full", "sink_error"] {
            let _ = self.audit_dropped.get_or_create(&Reason { reason });
        }
    }

    /// The sink for distinct-value counting, handed to body filters.
    pub fn distinct_sink(&self) -> &Distinct {
        &self.sketches
    }

    /// Renders the registry. OpenMetrics when `openmetrics`, else the Prometheus text format.
    pub fn render(&self, openmetrics: bool) -> String {
        self.refresh();
        let mut s = String::new();
        if prometheus_client::encoding::text::encode(&mut s, &self.registry).is_err() {
            return String::new();
        }
        if openmetrics {
            s
        } else {
            openmetrics_to_prometheus(&s)
        }
    }

    /// Metric names as Prometheus stores them (with `_total`, `_bucket`…): what dashboards and
    /// alert rules may reference.
    pub fn names(&self) -> Vec<String> {
        let text = self.render(false);
        let mut out: Vec<String> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut it = rest.split(' ');
                let (Some(name), Some(kind)) = (it.next(), it.next()) else {
                    continue;
                };
                if kind == "histogram" {
                    for sfx in ["_bucket", "_sum", "_count"] {
                        out.push(format!("{name}{sfx}"));
                    }
                } else {
                    out.push(name.to_string());
                }
            }
        }
        out
    }

    fn refresh(&self) {
        let trails: Vec<Arc<AuditStats>> = match self.audit_trails.lock() {
            Ok(v) => v.iter().filter_map(Weak::upgrade).collect(),
            Err(_) => Vec::new(),
        };
        for t in &trails {
            self.meter_audit(t);
        }
        // The head of the trail in force (the last registered), while it is a file: a stdout
        // trail starts a new chain at every start, so its head going back means nothing.
        match trails.last().and_then(|t| t.chain_seq()) {
            Some(seq) => {
                self.audit_chain_seq
                    .get_or_create(&NoLabels {})
                    .set(i64::try_from(seq).unwrap_or(i64::MAX));
            }
            None => self.audit_chain_seq.clear(),
        }
        for ((iface, class), n) in self.sketches.estimates() {
            self.distinct
                .get_or_create(&IfaceClass {
                    interface: L(iface),
                    class: L(class),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    fn consumer(&self, name: Option<&str>) -> L {
        match name.and_then(|n| self.consumers.iter().find(|c| &***c == n)) {
            Some(c) => L(c.clone()),
            None => self.other.clone(),
        }
    }
}

/// Turns prometheus-client's OpenMetrics output into the Prometheus text format that every
/// scraper and `promtool check metrics` accept: counter families are named with `_total`,
/// `info` becomes a gauge named `…_info`, and the OpenMetrics-only `# UNIT` / `# EOF` lines go.
fn openmetrics_to_prometheus(om: &str) -> String {
    let mut out = String::with_capacity(om.len());
    let mut help: Option<(&str, &str)> = None;
    for line in om.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = rest.split_once(' ');
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "info" => (format!("{name}_info"), "gauge"),
                "unknown" => (name.to_string(), "untyped"),
                k => (name.to_string(), k),
            };
            if let Some((_, text)) = help.take() {
                let _ = writeln!(out, "# HELP {name} {text}");
            }
            let _ = writeln!(out, "# TYPE {name} {kind}");
            continue;
        }
        // A family without labels (a series that can be absent) is encoded `name{} value`:
        // legal, but written `name value` everywhere else.
        match line.split_once("{} ") {
            Some((name, value))
                if name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') =>
            {
                let _ = writeln!(out, "{name} {value}");
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Distinct values: HyperLogLog over a sliding window.

const HLL_P: u32 = 12;
const HLL_M: usize = 1 << HLL_P;

/// One HyperLogLog sketch with atomic registers, so recording is lock-free once the sketch for
/// an (interface, class) pair exists.
struct Sketch {
    regs: Box<[AtomicU8]>,
}

impl Sketch {
    fn new() -> Sketch {
        Sketch {
            regs: (0..HLL_M).map(|_| AtomicU8::new(0)).collect(),
        }
    }

    fn add(&self, h: u64) {
        // Fingerprints are keyed hashes, but mix anyway so low-entropy test keys spread.
        // murmur3's fmix64 finalizer: full avalanche, so every bit HLL looks at is uniform.
        let mut h = h;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= h >> 33;
        let idx = (h >> (64 - HLL_P)) as usize;
        let rank = ((h << HLL_P) | (1 << (HLL_P - 1))).leading_zeros() as u8 + 1;
        if let Some(r) = self.regs.get(idx) {
            r.fetch_max(rank, Ordering::Relaxed);
        }
    }

    fn clear(&self) {
        for r in self.regs.iter() {
            r.store(0, Ordering::Relaxed);
        }
    }

    /// Estimate of the union of several sketches (register-wise max).
    fn estimate(parts: &[&Sketch]) -> u64 {
        let m = HLL_M as f64;
        let mut sum = 0.0;
        let mut zeros = 0usize;
        for i in 0..HLL_M {
            let r = parts
                .iter()
                .map(|s| s.regs[i].load(Ordering::Relaxed))
                .max()
                .unwrap_or(0);
            if r == 0 {
                zeros += 1;
            }
            sum += 2f64.powi(-i32::from(r));
        }
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        let est = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        est.round() as u64
    }
}

/// (interface, class).
type PairKey = (Arc<str>, Arc<str>);

struct Pair {
    /// Two half-window sketches; `cur` indexes the one being written.
    halves: [Sketch; 2],
    cur: AtomicU8,
}

/// Distinct sensitive values per (interface, class) over a sliding window: two half-window
/// sketches, the older cleared and reused every half window, so the estimate covers between
/// one half and one whole window.
pub struct Distinct {
    pairs: Mutex<HashMap<PairKey, Arc<Pair>>>,
    half: Duration,
    epoch: AtomicU64,
    start: std::time::Instant,
}

impl Distinct {
    fn new(window: Duration) -> Distinct {
        Distinct {
            pairs: Mutex::new(HashMap::new()),
            half: (window / 2).max(Duration::from_secs(1)),
            epoch: AtomicU64::new(0),
            start: std::time::Instant::now(),
        }
    }

    fn rotate(&self) {
        let now = (self.start.elapsed().as_nanos() / self.half.as_nanos().max(1)) as u64;
        let seen = self.epoch.load(Ordering::Relaxed);
        if now == seen
            || self
                .epoch
                .compare_exchange(seen, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let Ok(pairs) = self.pairs.lock() else { return };
        for p in pairs.values() {
            if now - seen >= 2 {
                p.halves[0].clear();
                p.halves[1].clear();
            }
            let next = 1 - p.cur.load(Ordering::Relaxed).min(1);
            p.halves[usize::from(next)].clear();
            p.cur.store(next, Ordering::Relaxed);
        }
    }

    /// Records fingerprints of one body's findings for an interface.
    pub fn record(&self, interface: &Arc<str>, values: &[(Arc<str>, u64)]) {
        if values.is_empty() {
            return;
        }
        self.rotate();
        let Ok(mut pairs) = self.pairs.lock() else {
            return;
        };
        // The classes of one body, each looked up in the map once: records interleave their
        // classes (name, ID, mobile, address…), so the last one seldom repeats.
        let mut seen: Vec<(&Arc<str>, Arc<Pair>)> = Vec::new();
        for (class, fp) in values {
            let pair = match seen
                .iter()
                .find(|(c, _)| Arc::ptr_eq(c, class) || **c == *class)
            {
                Some((_, p)) => p,
                None => {
                    let p = pairs
                        .entry((interface.clone(), class.clone()))
                        .or_insert_with(|| {
                            Arc::new(Pair {
                                halves: [Sketch::new(), Sketch::new()],
                                cur: AtomicU8::new(0),
                            })
                        })
                        .clone();
                    seen.push((class, p));
                    &seen[seen.len() - 1].1
                }
            };
            pair.halves[usize::from(pair.cur.load(Ordering::Relaxed).min(1))].add(*fp);
        }
    }

    fn estimates(&self) -> Vec<(PairKey, u64)> {
        self.rotate();
        let Ok(pairs) = self.pairs.lock() else {
            return Vec::new();
        };
        pairs
            .iter()
            .map(|(k, p)| (k.clone(), Sketch::estimate(&[&p.halves[0], &p.halves[1]])))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Events. Each is emitted at one place in the pipeline; `emit` counts and, when an operator
// should hear about it, logs.

/// A request arrived and was routed.
pub struct RequestReceived<'a> {
    pub interface: &'a Arc<str>,
    /// The authenticated consumer, if any (mapped to the bounded set or `other`).
    pub consumer: Option<&'a str>,
}

impl RequestReceived<'_> {
    pub fn emit(self, m: &Metrics) {
        m.requests
            .get_or_create(&Iface {
                interface: self.interface.into(),
            })
            .inc();
        if !m.consumers.is_empty() {
            m.consumer_requests
                .get_or_create(&IfaceConsumer {
                    interface: self.interface.into(),
                    consumer: m.consumer(self.consumer),
                })
                .inc();
        }
    }
}

/// One body's inspection result (request or response side).
pub struct BodyInspected<'a> {
    pub interface: &'a Arc<str>,
    pub direction: &'static str,
    pub summary: &'a FindingSummary,
}

impl BodyInspected<'_> {
    pub fn emit(self, m: &Metrics) {
        let s = self.summary;
        for ((class, grade, action), n) in &s.by_class_grade {
            m.findings
                .get_or_create(&Findings {
                    interface: self.interface.into(),
                    direction: self.direction,
                    class: class.into(),
                    grade: grade.into(),
                    action: action.as_str(),
                })
                .inc_by(*n);
        }
        for ((rule, action), n) in &s.by_rule {
            m.rule_findings
                .get_or_create(&RuleAction {
                    rule: rule.into(),
                    action: action.as_str(),
                })
                .inc_by(*n);
        }
        let d = IfaceDir {
            interface: self.interface.into(),
            direction: self.direction,
        };
        if s.changed {
            m.redactions.get_or_create(&d).inc();
        }
        if s.coding_mismatch.is_some() {
            m.coding_mismatches.get_or_create(&d).inc();
        }
        if !s.scan_time.is_zero() {
            m.inspection
                .get_or_create(&d)
                .observe(s.scan_time.as_secs_f64());
        }
    }
}

/// An exchange ended (emitted by the logging phase, which writes the access record).
pub struct ExchangeEnded<'a> {
    pub interface: &'a Arc<str>,
    pub status: u16,
    /// `ok`, `blocked`, `aborted`, `client_gone` or a problem kind.
    pub outcome: &'static str,
    /// Where a problem came from (`client`, `upstream`, `internal`, `policy`).
    pub error_origin: Option<&'static str>,
    pub blocked_direction: Option<&'static str>,
    pub bomb_direction: Option<&'static str>,
    pub request_bytes: Option<(u64, u64)>,
    pub response_bytes: (u64, u64),
    pub duration: Duration,
}

impl ExchangeEnded<'_> {
    pub fn emit(self, m: &Metrics) {
        let status_class = match self.status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            500..=599 => "5xx",
            _ => "none",
        };
        let iface: L = self.interface.into();
        m.responses
            .get_or_create(&Responses {
                interface: iface.clone(),
                status_class,
                outcome: self.outcome,
            })
            .inc();
        if let Some(direction) = self.blocked_direction {
            m.blocks
                .get_or_create(&IfaceDir {
                    interface: iface.clone(),
                    direction,
                })
                .inc();
        }
        if let Some(direction) = self.bomb_direction {
            m.decompression_caps
                .get_or_create(&IfaceDir {
                    interface: iface.clone(),
                    direction,
                })
                .inc();
        }
        if self.error_origin == Some("upstream") {
            m.upstream_errors
                .get_or_create(&UpstreamErr {
                    interface: iface.clone(),
                    kind: self.outcome,
                })
                .inc();
        }
        let bytes = |direction: &'static str, (i, o): (u64, u64)| {
            for (side, n) in [("in", i), ("out", o)] {
                if n > 0 {
                    m.body_bytes
                        .get_or_create(&Bytes {
                            interface: iface.clone(),
                            direction,
                            side,
                        })
                        .inc_by(n);
                }
            }
            if i > 0 {
                m.body_size
                    .get_or_create(&IfaceDir {
                        interface: iface.clone(),
                        direction,
                    })
                    .observe(i as f64);
            }
        };
        if let Some(r) = self.request_bytes {
            bytes("request", r);
        }
        bytes("response", self.response_bytes);
        m.request_duration
            .get_or_create(&Iface { interface: iface })
            .observe(self.duration.as_secs_f64());
    }
}

/// The upstream answered with a response head after `elapsed`.
pub struct UpstreamResponded<'a> {
    pub interface: &'a Arc<str>,
    pub elapsed: Duration,
}

impl UpstreamResponded<'_> {
    pub fn emit(self, m: &Metrics) {
        m.upstream_latency
            .get_or_create(&Iface {
                interface: self.interface.into(),
            })
            .observe(self.elapsed.as_secs_f64());
    }
}

/// Inspection could not be completed and the fail mode decided what happened.
pub struct FailModeApplied<'a> {
    pub interface: &'a Arc<str>,
    /// `open` (passed on) or `closed` (refused).
    pub mode: &'static str,
    /// `hold_overflow`, `unknown_encoding`.
    pub reason: &'static str,
    pub request_id: &'a str,
}

impl FailModeApplied<'_> {
    pub fn emit(self, m: &Metrics) {
        if self.mode == "open" {
            tracing::warn!(request_id = %self.request_id, interface = %self.interface, reason = self.reason, "inspection incomplete: failing open");
        } else {
            tracing::info!(request_id = %self.request_id, interface = %self.interface, reason = self.reason, "inspection incomplete: failing closed");
        }
        m.fail_events
            .get_or_create(&FailLabels {
                interface: self.interface.into(),
                mode: self.mode,
                reason: self.reason,
            })
            .inc();
    }
}

/// A class outside the declared scope of an interface or consumer was seen (policy layer).
pub struct OverScope<'a> {
    pub interface: &'a Arc<str>,
    pub class: &'a Arc<str>,
}

impl OverScope<'_> {
    pub fn emit(self, m: &Metrics) {
        tracing::warn!(interface = %self.interface, class = %self.class, "over-scope sharing");
        m.over_scope
            .get_or_create(&IfaceClass {
                interface: self.interface.into(),
                class: self.class.into(),
            })
            .inc();
    }
}

/// A rate limiter decided (policy layer).
pub struct RateLimitDecided<'a> {
    pub interface: &'a Arc<str>,
    pub limited: bool,
}

impl RateLimitDecided<'_> {
    pub fn emit(self, m: &Metrics) {
        m.rate_limit
            .get_or_create(&Decision {
                interface: self.interface.into(),
                decision: if self.limited { "limited" } else { "allowed" },
            })
            .inc();
    }
}

/// Audit records were lost (the audit layer's queue or sink failed).
pub struct AuditDropped {
    pub reason: &'static str,
    pub count: u64,
}

impl AuditDropped {
    pub fn emit(self, m: &Metrics) {
        tracing::error!(
            reason = self.reason,
            count = self.count,
            "audit records dropped"
        );
        m.audit_dropped
            .get_or_create(&Reason {
                reason: self.reason,
            })
            .inc_by(self.count);
    }
}

/// A reload attempt finished.
pub struct ReloadFinished<'a> {
    /// `startup`, `watch`, `signal`, `admin`.
    pub trigger: &'static str,
    /// `success`, `failure`, `unchanged`.
    pub result: &'static str,
    pub error: Option<&'a str>,
    /// Hash and rule count of the rule set now in force.
    pub hash: &'a str,
    pub rules: usize,
    pub elapsed: Duration,
}

impl ReloadFinished<'_> {
    pub fn emit(self, m: &Metrics) {
        match self.error {
            Some(e) => tracing::error!(
                trigger = self.trigger,
                hash_in_force = self.hash,
                "reload failed, keeping the rules and policy in force: {e}"
            ),
            None => tracing::info!(
                trigger = self.trigger,
                result = self.result,
                hash = self.hash,
                rules = self.rules,
                ms = self.elapsed.as_secs_f64() * 1000.0,
                "rules and policy loaded"
            ),
        }
        if self.trigger != "startup" {
            m.reloads
                .get_or_create(&ReloadLabels {
                    trigger: self.trigger,
                    result: self.result,
                })
                .inc();
        }
        if self.result == "failure" {
            m.reload_ok.set(0);
            return;
        }
        m.reload_ok.set(1);
        m.reload_ok_ts.set(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        );
        m.rules_info.clear();
        m.rules_info
            .get_or_create(&HashLabel {
                hash: self.hash.to_string(),
            })
            .set(1);
        m.rules_loaded
            .set(i64::try_from(self.rules).unwrap_or(i64::MAX));
    }
}

/// The inventory's size changed, or a request was not tracked because it is full.
pub struct InventoryObserved {
    pub templates: Option<usize>,
    pub overflowed: bool,
}

impl InventoryObserved {
    pub fn emit(self, m: &Metrics) {
        if let Some(n) = self.templates {
            m.inventory_templates
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        if self.overflowed {
            m.inventory_overflow.inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format_names_counters_with_total() {
        let m = Metrics::default();
        let i: Arc<str> = Arc::from("persons");
        RequestReceived {
            interface: &i,
            consumer: None,
        }
        .emit(&m);
        let t = m.render(false);
        assert!(t.contains("# TYPE sluice_requests_total counter"), "{t}");
        assert!(
            t.contains("sluice_requests_total{interface=\"persons\"} 1"),
            "{t}"
        );
        assert!(t.contains("# TYPE sluice_build_info gauge"), "{t}");
        assert!(!t.contains("# EOF"));
        let names = m.names();
        assert!(names.contains(&"sluice_inspection_duration_seconds_bucket".to_string()));
        assert!(names.contains(&"sluice_rules_last_reload_successful".to_string()));
    }

    #[test]
    fn hll_estimates_within_a_few_percent() {
        let d = Distinct::new(Duration::from_secs(600));
        let i: Arc<str> = Arc::from("x");
        let c: Arc<str> = Arc::from("id");
        let vals: Vec<(Arc<str>, u64)> = (0..50_000u64)
            .map(|n| (c.clone(), n.wrapping_mul(0xA24B_AED4_963E_E407)))
            .collect();
        d.record(&i, &vals);
        d.record(&i, &vals[..1000]); // repeats are not new values
        let est = d.estimates()[0].1 as f64;
        assert!((est - 50_000.0).abs() / 50_000.0 < 0.05, "{est}");
    }

    /// `dashboards/metrics.txt` is what `dashboards/check.sh` checks dashboards and alert
    /// rules against when no live scrape is given; it must equal the registry's names.
    /// `SLUICE_BLESS=1 cargo test -p sluice-proxy metric_list` rewrites it.
    #[test]
    fn metric_list_is_current() {
        let mut names = Metrics::default().names();
        names.sort();
        let text = format!(
            "# Metric names Sluice exports (generated by the metric_list_is_current test).\n{}\n",
            names.join("\n")
        );
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../dashboards/metrics.txt");
        if std::env::var_os("SLUICE_BLESS").is_some() {
            std::fs::write(path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            committed, text,
            "dashboards/metrics.txt is stale: SLUICE_BLESS=1 cargo test -p sluice-proxy metric_list"
        );
    }

    #[test]
    fn consumer_label_is_bounded() {
        let m = Metrics::new(&["tax-bureau".into()], Duration::from_secs(60));
        assert_eq!(&*m.consumer(Some("tax-bureau")).0, "tax-bureau");
        assert_eq!(&*m.consumer(Some("someone-else")).0, "other");
        assert_eq!(&*m.consumer(None).0, "other");
    }
}
