//! The tamper-evident audit trail: one JSON line per decision that matters (blocked, redacted,
//! over-scope, limited, fail-open/closed, identity rejected), answering who / which system /
//! from where / when / what / with which result, and never carrying a raw value (classes with
//! counts, the highest grade, at most a few masked samples and keyed fingerprints).
//!
//! **Chain.** Every record carries `seq` and `prev`, the hash of the record before it, and ends
//! with its own `hash`: SHA-256 (default) or SM3 (GM/T 0004-2012) of the record's canonical
//! JSON, which is the exact compact line as written, keys in a fixed order, without the final
//! `,"hash":"…"` member. Editing a byte of a record breaks its hash; deleting or reordering
//! records breaks the next record's `prev` and `seq`. [`verify`] checks a set of files given in
//! order; the chain continues across rotated files (the first record of a new file references
//! the last record of the previous one).
//!
//! **Ends of the trail.** A chain only links records to the ones *before* them, so the ends
//! need more. The trail writes records of its own: when a writer starts on a sink (process
//! start, or a reload that changed the `audit` section) its first record is `trail_opened`
//! (`trail.cause` `start` or `reload`, `trail.previous_seq` the record it resumes from; a
//! record a crash cut off mid-write at the file's end is removed first, its length stated as
//! `trail.torn_tail_bytes`, so the chain goes on from the last whole record), and
//! when the file sink rotates, the new file's first record is `trail_rotated` (naming the
//! previous file and its last seq). So every trail file begins either at the chain's start
//! (seq 0, `prev` = [`GENESIS`]) or with one of these records, and [`verify`] fails a set whose
//! first file begins with an ordinary record after seq 0 (its head was cut off) and any file
//! with no record at all. An opening record a restart appends in the middle of a file does not
//! count: only one marked `trail.begins_file` (written as its file's first line) anchors a
//! file, so a file cut down to a restart fails too. A set whose oldest files were removed by retention verifies from its
//! first file's `trail_rotated` record (the report shows that anchor). The *end* of a trail
//! cannot be checked from the files alone: records cut from the tail leave a shorter chain
//! that is still whole (and a proxy restarted on it resumes from the cut). The head is
//! therefore exported for safekeeping elsewhere: `sluice_audit_chain_seq` and
//! `sluice_audit_records_written_total`, and an info log line `audit chain head` (seq and
//! hash) when the writer starts, at each rotation, at most once a minute while records are
//! written, and when a reload closes it; `sluice audit verify --head SEQ:HASH` fails unless the
//! files still hold that record ([`ChainHead`]). A plain hash chain shows *that* a trail was
//! altered, not who may rewrite it wholesale: key it (`key_file`), and ship the files, or at
//! least the head, off the host.
//!
//! **Off the request path.** [`Audit::record`] is a non-blocking `try_send` into a bounded
//! channel; a dedicated writer thread stamps, hashes and writes. When the channel is full or
//! the sink fails, `on_failure` decides: `drop` keeps serving and counts the record as dropped;
//! `block` makes `record` return [`AuditUnavailable`] so the pipeline can refuse the exchange
//! (fail closed: no audited decision without its record). Records of redacted deliveries are
//! only complete once the body has gone out, so with `block` the response phase also refuses
//! (503) any inspected response while the sink is known to be failing
//! ([`Audit::refuse_decision`]); a sink that fails in the middle of a response costs that
//! one record, counted as dropped. Either way nothing is lost silently:
//! [`AuditStats`] counts it for the metrics layer, an error is logged when the sink goes bad,
//! and the next record written is preceded by an `audit_gap` record stating how many were lost.
//! Under load the writer polls the channel every 2 ms rather than being woken for each record,
//! so a busy proxy does not pay a thread hand-off per audited exchange.
//!
//! Files: `path` is the active file (`audit.jsonl`); rotation renames it to
//! `audit.000001.jsonl`, `audit.000002.jsonl`, … (so `ls` order is chain order) when the next
//! line would pass `max_bytes`, and keeps the newest `keep` rotated files. A file always holds
//! its first (trail) record and at least one more, whatever `max_bytes` says.
//!
//! **Setting up never disturbs the trail in force.** [`AuditConfig::prepare`] does everything
//! that can fail (open or create the file, read the key, spawn the writer thread) without
//! writing a record; only then does a reload close the old trail and [`PreparedAudit::start`]
//! the new one, which resumes the chain from the file as the old writer left it.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};
use sha2::Digest;
use sluice_rules::Finding;

use crate::identity::{Consumer, IdentityMethod};
use crate::limits::{Decision, LimitAction, LimitKind, Scope};

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// `audit:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Off: no records, no writer thread.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Chain hash. Default `sha256`.
    #[serde(default)]
    pub hash: HashAlg,
    /// Where records go. Default `stdout`.
    #[serde(default)]
    pub sink: SinkConfig,
    /// Records waiting for the writer before `on_failure` applies.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// Channel full or sink failing: `drop` (keep serving, count) or `block` (refuse).
    #[serde(default)]
    pub on_failure: OnFailure,
    /// Masked samples per record (0 = none).
    #[serde(default = "default_samples")]
    pub max_samples: usize,
    /// A secret (a mounted Secret; at least 16 bytes) that keys the chain: each record's
    /// hash is an HMAC, so a record edited and the chain recomputed after it no longer
    /// verifies without the key (`sluice audit verify --key-file`). Without a key the chain
    /// shows edits, deletions and reordering, but not a file rewritten whole.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            enabled: true,
            hash: HashAlg::Sha256,
            sink: SinkConfig::default(),
            queue: default_queue(),
            on_failure: OnFailure::Drop,
            max_samples: default_samples(),
            key_file: None,
        }
    }
}

fn yes() -> bool {
    true
}
fn default_queue() -> usize {
    10_000
}
fn default_samples() -> usize {
    3
}

/// Chain hash algorithm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HashAlg {
    #[default]
    Sha256,
    Sm3,
}

impl HashAlg {
    /// Name as written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sm3 => "sm3",
        }
    }

    /// The algorithm named in a record, and whether it is keyed (`hmac-sha256`).
    fn from_name(s: &str) -> Option<(HashAlg, bool)> {
        match s {
            "sha256" => Some((HashAlg::Sha256, false)),
            "sm3" => Some((HashAlg::Sm3, false)),
            "hmac-sha256" => Some((HashAlg::Sha256, true)),
            "hmac-sm3" => Some((HashAlg::Sm3, true)),
            _ => None,
        }
    }

    /// Name written in a record: the hash, or its HMAC when the chain is keyed.
    fn record_name(self, keyed: bool) -> &'static str {
        match (self, keyed) {
            (HashAlg::Sha256, false) => "sha256",
            (HashAlg::Sm3, false) => "sm3",
            (HashAlg::Sha256, true) => "hmac-sha256",
            (HashAlg::Sm3, true) => "hmac-sm3",
        }
    }

    /// Lowercase hex of `data`'s digest, or of its HMAC under `key`.
    fn seal_hex(self, key: Option<&[u8]>, data: &[u8]) -> String {
        match (self, key) {
            (_, None) => self.hex(data),
            (HashAlg::Sha256, Some(k)) => hmac_hex::<sha2::Sha256>(k, data),
            (HashAlg::Sm3, Some(k)) => hmac_hex::<sm3::Sm3>(k, data),
        }
    }

    /// Lowercase hex digest of `data`.
    pub fn hex(self, data: &[u8]) -> String {
        let d: [u8; 32] = match self {
            HashAlg::Sha256 => sha2::Sha256::digest(data).into(),
            HashAlg::Sm3 => sm3::Sm3::digest(data).into(),
        };
        hex(&d)
    }
}

/// Lowercase hex of the HMAC (RFC 2104) of `data` under `key` with the digest `D`.
fn hmac_hex<D>(key: &[u8], data: &[u8]) -> String
where
    D: sha2::Digest + hmac::digest::core_api::BlockSizeUser + Clone,
{
    use hmac::Mac as _;
    match <hmac::SimpleHmac<D> as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            hex(&m.finalize().into_bytes())
        }
        // HMAC takes keys of any length. Were one ever refused, the record would carry no
        // hash, and no record without one verifies: never a plain hash in its place.
        Err(_) => String::new(),
    }
}

/// Lowercase hex of `b` (digests here, request ids in `headers`).
pub(crate) fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

/// The hash a chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where records go: `{kind: stdout}` or `{kind: file, path: …, max_bytes: 100MiB, keep: 10}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// `stdout` (default) or `file`.
    #[serde(default)]
    pub kind: SinkKind,
    /// Active file (`file` only).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Rotate before the active file would pass this size. Default `100MiB`.
    #[serde(default = "default_max_bytes", deserialize_with = "de_size")]
    pub max_bytes: u64,
    /// Rotated files kept (oldest removed). Default 10; 0 keeps all.
    #[serde(default = "default_keep")]
    pub keep: usize,
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            kind: SinkKind::Stdout,
            path: None,
            max_bytes: default_max_bytes(),
            keep: default_keep(),
        }
    }
}

/// Sink type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// One line per record on standard output (for a log collector).
    #[default]
    Stdout,
    /// A file with size-based rotation.
    File,
}

/// A file sink's settings.
#[derive(Debug, Clone)]
pub struct FileSinkConfig {
    pub path: PathBuf,
    pub max_bytes: u64,
    pub keep: usize,
}

fn default_max_bytes() -> u64 {
    100 << 20
}
fn default_keep() -> usize {
    10
}

fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(u64),
        Str(String),
    }
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Str(s) => crate::config::parse_size(&s).map_err(serde::de::Error::custom),
    }
}

/// What happens when a record cannot be queued or written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Keep serving; count the record as dropped (and write an `audit_gap` record later).
    #[default]
    Drop,
    /// [`Audit::record`] fails so that the pipeline refuses the exchange (503).
    Block,
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// Why a record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A message refused for its content.
    Blocked,
    /// A message delivered with values masked.
    Redacted,
    /// A response above the interface's declared grade.
    OverScope,
    /// A not-shared interface called, or a conditional one by an unlisted consumer.
    NotAuthorized,
    /// A rate limit or quota fired (enforced, alert or shadow).
    Limited,
    /// Inspection could not be done and the message went through (fail open).
    FailOpen,
    /// Inspection could not be done and the message was refused (fail closed).
    FailClosed,
    /// The caller's credential was refused.
    IdentityRejected,
    /// Records were lost before this one (written by the trail itself).
    AuditGap,
    /// A writer started on the sink: the first record it writes (written by the trail itself).
    TrailOpened,
    /// The file sink rotated: the first record of the new file (written by the trail itself).
    TrailRotated,
}

/// Why the trail wrote a `trail_opened` or `trail_rotated` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrailCause {
    /// The process started.
    Start,
    /// A reload changed the `audit` section.
    Reload,
    /// The active file passed `max_bytes`.
    Rotation,
}

/// The trail's own bookkeeping on `trail_opened` and `trail_rotated` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailNote {
    pub cause: TrailCause,
    /// The seq of the record this one follows: where an opened trail resumed, or the last
    /// record of the previous file. Absent when the chain starts here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_seq: Option<u64>,
    /// `trail_rotated`: the name the previous file was given (`audit.000003.jsonl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_file: Option<String>,
    /// The record is its file's first line (always so for `trail_rotated`). A `trail_opened`
    /// in the middle of a file (a restart appending to it) is not, so a file cut down to one
    /// does not pass for a set whose older files retention removed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub begins_file: bool,
    /// `trail_opened`: the file ended in a record cut off mid-write (a crash, a full disk)
    /// of this many bytes, which the trail removed (or, where the file cannot be cut, left
    /// on a line of its own); the chain goes on from the last whole record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torn_tail_bytes: Option<u64>,
}

/// Which message a decision was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Request,
    Response,
}

/// A masked sample of a finding: never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    pub class: String,
    /// The engine's masked rendering (`110***********1234`).
    pub masked: String,
    /// The engine's keyed fingerprint, hex (correlates records without the value).
    pub fp: String,
}

/// A limit that fired, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitNote {
    pub kind: LimitKind,
    pub scope: Scope,
    pub action: LimitAction,
    pub shadow: bool,
    pub limit: u64,
    pub observed: u64,
}

/// What the pipeline reports. Build with [`AuditEvent::new`] and the `with_*` helpers, which
/// take findings and decisions rather than values, so a raw value has no way in.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub event: EventKind,
    /// RFC 3339 UTC, milliseconds; stamped by [`AuditEvent::new`].
    pub time: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<IpAddr>,
    /// The trusted proxy the request came through, when the client was read from its
    /// forwarding headers (`listen.trusted_proxies`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_ip: Option<IpAddr>,
    pub interface: String,
    pub method: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<String, u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// What was done: `block`, `redact`, `throttle`, `alert`, `allow`, `reject`, …
    pub action: String,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<LimitNote>,
    /// A short machine reason (`expired`, `hold-overflow`, `grade core > important`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Records lost before this one (only on `audit_gap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u64>,
    /// Only on `trail_opened` and `trail_rotated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trail: Option<TrailNote>,
}

impl AuditEvent {
    /// A new event stamped with the current time.
    pub fn new(
        event: EventKind,
        request_id: impl Into<String>,
        interface: &str,
        method: impl Into<String>,
        status: u16,
        action: impl Into<String>,
    ) -> AuditEvent {
        AuditEvent {
            event,
            time: rfc3339(SystemTime::now()),
            request_id: request_id.into(),
            consumer: None,
            identity: None,
            client_ip: None,
            via_ip: None,
            interface: interface.to_string(),
            method: method.into(),
            status,
            direction: None,
            classes: BTreeMap::new(),
            grade: None,
            action: action.into(),
            bytes: 0,
            upstream_latency_ms: None,
            samples: Vec::new(),
            limits: Vec::new(),
            reason: None,
            dropped: None,
            trail: None,
        }
    }

    /// Who called.
    pub fn with_consumer(mut self, c: &Consumer) -> Self {
        self.consumer = Some(c.id.to_string());
        self.identity = Some(c.method);
        self
    }

    /// From where.
    pub fn with_client(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }

    /// From where, through which trusted proxy (`peer`, recorded when it is not the client).
    pub fn with_client_via(mut self, client: IpAddr, peer: IpAddr) -> Self {
        self.client_ip = Some(client);
        self.via_ip = (peer != client).then_some(peer);
        self
    }

    /// Classes with counts, the highest grade (lowest rank) and up to `max_samples` masked
    /// samples (one per class first) — from findings, never from values.
    pub fn with_findings(
        mut self,
        dir: Direction,
        findings: &[Finding],
        max_samples: usize,
    ) -> Self {
        self.direction = Some(dir);
        let mut top: Option<&Finding> = None;
        for f in findings {
            match self.classes.get_mut(&*f.class) {
                Some(n) => *n += 1,
                None => {
                    self.classes.insert(f.class.to_string(), 1);
                }
            }
            if top.iter().all(|t| f.grade.rank < t.grade.rank) {
                top = Some(f);
            }
        }
        self.grade = top.map(|f| f.grade.name.to_string());
        for f in findings {
            if self.samples.len() >= max_samples {
                break;
            }
            self.add_sample(&f.class, &f.masked, f.fingerprint);
        }
        self
    }

    /// Adds a masked sample and fingerprint unless the record already shows one of `class`.
    fn add_sample(&mut self, class: &str, masked: &str, fp: u64) {
        if !self.samples.iter().any(|s| s.class == class) {
            self.samples.push(Sample {
                class: class.to_string(),
                masked: masked.to_string(),
                fp: format!("{fp:016x}"),
            });
        }
    }

    /// Classes with counts, the flow's grade and the masked samples (one per class) from a
    /// body's [`FindingSummary`] (what the streaming pipeline keeps: counts and masked
    /// samples, never values); [`Audit::record`] keeps `max_samples` of them.
    ///
    /// [`FindingSummary`]: crate::filter::FindingSummary
    pub fn with_summary(mut self, dir: Direction, s: &crate::filter::FindingSummary) -> Self {
        self.direction = Some(dir);
        for ((class, _), n) in &s.counts {
            let n = u32::try_from(*n).unwrap_or(u32::MAX);
            let e = self.classes.entry(class.to_string()).or_insert(0);
            *e = e.saturating_add(n);
        }
        self.grade = s
            .flow_grade
            .as_ref()
            .map(|(g, _)| g.to_string())
            .or_else(|| s.top_grade.as_ref().map(|g| g.to_string()));
        for (class, masked, fp) in &s.samples {
            self.add_sample(class, masked, *fp);
        }
        self
    }

    /// The limits that fired in a decision.
    pub fn with_limits(mut self, d: &Decision) -> Self {
        self.limits = d
            .violations
            .iter()
            .map(|v| LimitNote {
                kind: v.kind,
                scope: v.scope,
                action: v.action,
                shadow: v.shadow,
                limit: v.limit,
                observed: v.observed,
            })
            .collect();
        self
    }

    /// Bytes of the message and the upstream's response-head latency.
    pub fn with_bytes(mut self, bytes: u64, upstream_latency: Option<Duration>) -> Self {
        self.bytes = bytes;
        self.upstream_latency_ms = upstream_latency.map(|d| d.as_secs_f64() * 1000.0);
        self
    }

    /// A short machine reason.
    pub fn with_reason(mut self, r: impl Into<String>) -> Self {
        self.reason = Some(r.into());
        self
    }
}

/// RFC 3339 UTC with milliseconds (`2026-05-01T08:30:00.123Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        d.subsec_millis()
    )
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct Record<'a> {
    v: u8,
    seq: u64,
    alg: &'static str,
    prev: &'a str,
    #[serde(flatten)]
    event: &'a AuditEvent,
}

const HASH_KEY: &[u8] = b",\"hash\":\"";

/// Serializes a record and its hash; returns (line with newline, hash).
fn seal(
    alg: HashAlg,
    key: Option<&[u8]>,
    seq: u64,
    prev: &str,
    ev: &AuditEvent,
) -> io::Result<(Vec<u8>, String)> {
    let mut body = serde_json::to_vec(&Record {
        v: 1,
        seq,
        alg: alg.record_name(key.is_some()),
        prev,
        event: ev,
    })
    .map_err(io::Error::other)?;
    let h = alg.seal_hex(key, &body);
    body.pop(); // the closing brace
    body.extend_from_slice(HASH_KEY);
    body.extend_from_slice(h.as_bytes());
    body.extend_from_slice(b"\"}\n");
    Ok((body, h))
}

/// Splits a line into (canonical JSON, stated hash).
fn unseal(line: &[u8]) -> Option<(Vec<u8>, &str)> {
    let line = line.strip_suffix(b"\"}")?;
    let at = line.windows(HASH_KEY.len()).rposition(|w| w == HASH_KEY)?;
    let hash = std::str::from_utf8(&line[at + HASH_KEY.len()..]).ok()?;
    let mut canon = line[..at].to_vec();
    canon.push(b'}');
    Some((canon, hash))
}

/// The members of a record that verification reads.
#[derive(Deserialize)]
struct Head {
    seq: u64,
    alg: String,
    prev: String,
    #[serde(default)]
    event: String,
    /// `trail_opened` / `trail_rotated` only.
    #[serde(default)]
    trail: Option<HeadTrail>,
    /// `audit_gap` only.
    #[serde(default)]
    dropped: Option<u64>,
}

/// What verification reads of a [`TrailNote`].
#[derive(Deserialize, Default)]
struct HeadTrail {
    #[serde(default)]
    begins_file: bool,
}

// ---------------------------------------------------------------------------------------------
// Sinks
// ---------------------------------------------------------------------------------------------

/// A destination for sealed lines. The writer thread owns it.
pub trait Sink: Send {
    /// Writes one whole line.
    ///
    /// # Errors
    /// Any I/O error; the record counts as dropped.
    fn write_line(&mut self, line: &[u8]) -> io::Result<()>;
    /// Flushes buffered lines.
    ///
    /// # Errors
    /// Any I/O error.
    fn flush(&mut self) -> io::Result<()>;
    /// The (seq, hash) of the last record already in the sink, to continue its chain. Called
    /// once, when the writer starts (after any writer before it on the same sink stopped).
    fn resume(&mut self) -> Option<(u64, String)> {
        None
    }
    /// Whether the chain survives a restart (the sink resumes it): only then is its head
    /// exported as `sluice_audit_chain_seq`, whose going back means records were removed.
    fn resumes(&self) -> bool {
        false
    }
    /// The length of a record cut off mid-write that [`Sink::resume`] found at the end.
    fn torn_tail(&self) -> Option<u64> {
        None
    }
    /// Whether a line of `len` bytes should go to a new file ([`Sink::rotate`] first).
    fn wants_rotation(&self, _len: u64) -> bool {
        false
    }
    /// Whether the next line is the first of its file.
    fn at_file_start(&self) -> bool {
        false
    }
    /// Starts a new file; returns the name the previous one now has.
    ///
    /// # Errors
    /// Any I/O error (the record that was to be written counts as dropped).
    fn rotate(&mut self) -> io::Result<String> {
        Err(io::Error::other("this sink does not rotate"))
    }
}

struct StdoutSink;

impl Sink for StdoutSink {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        io::stdout().lock().write_all(line)
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stdout().lock().flush()
    }
}

/// A file with size-based rotation.
pub struct FileSink {
    cfg: FileSinkConfig,
    file: Option<io::BufWriter<File>>,
    size: u64,
    /// A failed write may have left part of a line: start the next one on a fresh line.
    torn: bool,
    /// A record cut off mid-write found at the file's end when the trail opened.
    torn_tail: Option<u64>,
    rotations: Arc<AtomicU64>,
}

impl FileSink {
    /// Opens (or creates) the active file.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(cfg: FileSinkConfig, rotations: Arc<AtomicU64>) -> io::Result<FileSink> {
        let mut s = FileSink {
            cfg,
            file: None,
            size: 0,
            torn: false,
            torn_tail: None,
            rotations,
        };
        s.reopen()?;
        Ok(s)
    }

    fn reopen(&mut self) -> io::Result<()> {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.cfg.path)?;
        self.size = f.metadata()?.len();
        self.file = Some(io::BufWriter::new(f));
        Ok(())
    }

    /// A record cut off mid-write at the end of the active file (the process killed, the
    /// disk full) is removed: it never counted as written, and the chain goes on from the
    /// last whole record with the file still verifying. Where the file cannot be cut (an
    /// append-only file), the next record starts on a line of its own after it.
    fn cut_torn_tail(&mut self) {
        let Some(tail) = torn_tail_len(&self.cfg.path) else {
            return;
        };
        self.torn_tail = Some(tail);
        let keep = self.size.saturating_sub(tail);
        match self.file.as_mut().map(|f| f.get_ref().set_len(keep)) {
            Some(Ok(())) => self.size = keep,
            _ => self.torn = true,
        }
    }

    /// Rotated files of this sink, oldest first, with their numbers.
    fn rotated(&self) -> Vec<(u64, PathBuf)> {
        let (dir, stem, ext) = split_name(&self.cfg.path);
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name
                    .strip_prefix(&format!("{stem}."))
                    .and_then(|r| r.strip_suffix(&ext))
                    .and_then(|n| n.parse::<u64>().ok());
                if let Some(n) = n {
                    out.push((n, e.path()));
                }
            }
        }
        out.sort();
        out
    }

    /// Renames the active file to the next rotated name, applies retention and opens a new
    /// active file; returns the rotated file's name.
    fn rotate_file(&mut self) -> io::Result<String> {
        if let Some(mut f) = self.file.take() {
            f.flush()?;
        }
        let next = self.rotated().last().map_or(1, |(n, _)| n + 1);
        let (dir, stem, ext) = split_name(&self.cfg.path);
        let name = format!("{stem}.{next:06}{ext}");
        std::fs::rename(&self.cfg.path, dir.join(&name))?;
        self.rotations.fetch_add(1, Ordering::Relaxed);
        if self.cfg.keep > 0 {
            let r = self.rotated();
            for (_, p) in r.iter().take(r.len().saturating_sub(self.cfg.keep)) {
                let _ = std::fs::remove_file(p);
            }
        }
        self.reopen()?;
        Ok(name)
    }
}

/// (`dir`, `audit`, `.jsonl`) for `dir/audit.jsonl`.
fn split_name(p: &Path) -> (PathBuf, String, String) {
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = p
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (dir, stem, ext)
}

/// The final 64 KiB of a file (at most), and whether that is the whole file.
fn file_tail(p: &Path) -> Option<(Vec<u8>, bool)> {
    let mut f = File::open(p).ok()?;
    let len = f.metadata().ok()?.len();
    let from = len.saturating_sub(64 << 10);
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut buf = Vec::new();
    // Bounded by what the metadata promised: a device or a file still growing (a sink pointed
    // at /dev/full or /dev/zero reads zeros for ever) must not stall start-up or fill memory.
    f.take(len - from).read_to_end(&mut buf).ok()?;
    Some((buf, from == 0))
}

/// The bytes after a file's last line break when it does not end with one (a record cut
/// off mid-write): `None` for a file that ends whole, is empty, or whose last 64 KiB hold no
/// line break after its start (no record is that long: not a torn record of this trail).
fn torn_tail_len(p: &Path) -> Option<u64> {
    let (buf, whole) = file_tail(p)?;
    if buf.is_empty() || buf.ends_with(b"\n") {
        return None;
    }
    match buf.iter().rposition(|b| *b == b'\n') {
        Some(i) => Some((buf.len() - i - 1) as u64),
        None if whole => Some(buf.len() as u64),
        None => None,
    }
}

/// The last whole line of a file, before any record cut off after it (reads at most the
/// final 64 KiB).
fn last_line(p: &Path) -> Option<Vec<u8>> {
    let (buf, _) = file_tail(p)?;
    let trimmed = &buf[..buf.iter().rposition(|b| *b == b'\n')?];
    let start = trimmed
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    Some(trimmed[start..].to_vec())
}

impl Sink for FileSink {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.file.is_none() {
            self.reopen()?;
        }
        let f = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("audit file not open"))?;
        let r = (|| {
            if self.torn {
                f.write_all(b"\n")?;
                self.size += 1;
                self.torn = false;
            }
            f.write_all(line)?;
            // Line-buffered: a record on disk is a whole record.
            f.flush()
        })();
        match r {
            Ok(()) => {
                self.size += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                self.torn = true;
                // Reopen on the next record: the file may have been removed or the disk freed.
                self.file = None;
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    fn resume(&mut self) -> Option<(u64, String)> {
        // Opened again: between `open` and now a writer that stopped may have written more,
        // or rotated the file this handle points to. A failure here is the first write's
        // (it reopens), so the trail starts and reports it like any failing sink.
        if self.reopen().is_err() {
            self.file = None;
        } else {
            self.cut_torn_tail();
        }
        let mut candidates = vec![self.cfg.path.clone()];
        candidates.extend(self.rotated().into_iter().rev().map(|(_, p)| p));
        for p in candidates {
            if let Some(line) = last_line(&p) {
                let (canon, hash) = unseal(&line)?;
                let head: Head = serde_json::from_slice(&canon).ok()?;
                return Some((head.seq, hash.to_string()));
            }
        }
        None
    }

    fn resumes(&self) -> bool {
        true
    }

    fn torn_tail(&self) -> Option<u64> {
        self.torn_tail
    }

    fn wants_rotation(&self, len: u64) -> bool {
        self.size > 0 && self.size + len > self.cfg.max_bytes
    }

    fn at_file_start(&self) -> bool {
        self.size == 0
    }

    fn rotate(&mut self) -> io::Result<String> {
        self.rotate_file()
    }
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Counters for the metrics layer (`sluice_audit_*`).
#[derive(Debug, Default)]
pub struct AuditStats {
    /// Records accepted into the queue.
    pub enqueued: AtomicU64,
    /// Records written (including the trail's own: `audit_gap`, `trail_opened`,
    /// `trail_rotated`).
    pub written: AtomicU64,
    /// Records refused because the queue was full (or the writer had stopped).
    pub dropped_queue_full: AtomicU64,
    /// Records lost because the sink failed (or was failing, in `block` mode).
    pub dropped_sink_error: AtomicU64,
    /// Failed writes / opens.
    pub sink_errors: AtomicU64,
    /// File rotations.
    pub rotations: Arc<AtomicU64>,
    /// The chain head: seq + 1 of the last record in the sink (0: none yet). Set from the
    /// sink when the writer resumes, then by every write.
    head: AtomicU64,
    /// The sink resumes its chain across restarts (a file): see [`AuditStats::chain_seq`].
    persistent: AtomicBool,
    healthy: AtomicBool,
    /// How many of each drop counter the metrics layer has already counted (watermarks that
    /// only move forward; see [`AuditStats::take_unmetered`]).
    metered_queue_full: AtomicU64,
    metered_sink_error: AtomicU64,
    metered_written: AtomicU64,
    /// Set once the metrics layer has registered this trail for its scrapes.
    registered: AtomicBool,
}

impl AuditStats {
    /// All records lost so far.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full.load(Ordering::Relaxed)
            + self.dropped_sink_error.load(Ordering::Relaxed)
    }

    /// The records lost since the previous call, by reason (`queue_full`, `sink_error`: the
    /// `reason` label of `sluice_audit_records_dropped_total`), marked as counted.
    ///
    /// Losses happen on two sides (a full queue in the request's task, a failed write on the
    /// writer thread) and are counted by whoever asks next: the end of an exchange or a
    /// scrape. Any number of callers may race: the watermark only moves forward
    /// (`fetch_max`), so each loss is returned exactly once.
    pub fn take_unmetered(&self) -> [(&'static str, u64); 2] {
        fn take(total: &AtomicU64, metered: &AtomicU64) -> u64 {
            let now = total.load(Ordering::Relaxed);
            now.saturating_sub(metered.fetch_max(now, Ordering::Relaxed))
        }
        [
            (
                "queue_full",
                take(&self.dropped_queue_full, &self.metered_queue_full),
            ),
            (
                "sink_error",
                take(&self.dropped_sink_error, &self.metered_sink_error),
            ),
        ]
    }

    /// The records written since the previous call (`sluice_audit_records_written_total`),
    /// marked as counted, like [`AuditStats::take_unmetered`].
    pub fn take_unmetered_written(&self) -> u64 {
        let now = self.written.load(Ordering::Relaxed);
        now.saturating_sub(self.metered_written.fetch_max(now, Ordering::Relaxed))
    }

    /// The seq of the last record in a sink that resumes its chain across restarts (a file),
    /// for `sluice_audit_chain_seq`; `None` for a sink that starts a new chain each time
    /// (stdout) or before any record. It only grows while records are written and resumes
    /// where the file ends after a restart, so it going back means records were removed
    /// from the end of the trail (or the trail moved to a new file).
    pub fn chain_seq(&self) -> Option<u64> {
        if !self.persistent.load(Ordering::Relaxed) {
            return None;
        }
        self.head.load(Ordering::Relaxed).checked_sub(1)
    }

    /// True the first time it is called (the metrics layer registers a trail once, without
    /// taking a lock on every exchange).
    pub fn first_registration(&self) -> bool {
        !self.registered.swap(true, Ordering::Relaxed)
    }

    /// Whether the last write succeeded.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }
}

/// The record could not be queued or the sink is failing, and `on_failure: block` says to
/// refuse the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditUnavailable;

impl fmt::Display for AuditUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("audit trail unavailable (on_failure: block)")
    }
}

impl std::error::Error for AuditUnavailable {}

enum Msg {
    Event(Box<AuditEvent>),
    Flush(SyncSender<()>),
    Stop,
}

/// The audit trail handle: cheap to call from any task; shared as `Arc<Audit>`.
pub struct Audit {
    tx: Option<SyncSender<Msg>>,
    on_failure: OnFailure,
    max_samples: usize,
    stats: Arc<AuditStats>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Where records go once [`Audit::close`] has run: a reload that replaces the trail
    /// closes this one while exchanges that started under it are still in flight, and their
    /// records belong in the trail that follows ([`Audit::hand_over`]).
    handoff: RwLock<Handoff>,
}

/// A closed trail's successor, and the records that came between the close and the hand-over.
#[derive(Default)]
struct Handoff {
    closed: bool,
    /// Closed for a successor ([`Audit::close_for_handover`]): records wait for it.
    awaiting: bool,
    next: Option<Arc<Audit>>,
    held: Vec<AuditEvent>,
}

/// Most records a closed trail holds for its successor: the few exchanges that end in the
/// moment a reload takes to start the next trail.
const HELD_MAX: usize = 4096;

impl fmt::Debug for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Audit")
            .field("enabled", &self.tx.is_some())
            .field("on_failure", &self.on_failure)
            .finish_non_exhaustive()
    }
}

/// Why an audit trail cannot be set up: the config key to fix, and what is wrong.
#[derive(Debug)]
pub struct SetupError {
    /// Dotted config key (`audit.sink.path`, `audit.key_file`).
    pub key: &'static str,
    pub message: String,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key `{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for SetupError {}

/// Why a file sink's `path` cannot be opened, stated for an operator: a missing directory is
/// named as such (the OS only says "No such file or directory").
pub fn sink_open_problem(path: &Path, e: &io::Error) -> String {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    match dir {
        Some(d) if !d.is_dir() => format!(
            "cannot open {}: directory {} does not exist",
            path.display(),
            d.display()
        ),
        _ => format!("cannot open {}: {e}", path.display()),
    }
}

/// What `sluice config check` can tell about a file sink without opening it: its directory
/// must exist (the proxy creates the file, not the directories).
pub fn sink_dir_problem(sink: &SinkConfig) -> Option<String> {
    let path = sink.path.as_ref().filter(|_| sink.kind == SinkKind::File)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
    (!dir.is_dir()).then(|| format!("directory {} does not exist", dir.display()))
}

impl AuditConfig {
    /// Opens the sink and starts the writer thread ([`AuditConfig::prepare`], then
    /// [`PreparedAudit::start`] for a process start).
    ///
    /// # Errors
    /// The sink cannot be opened, the key cannot be read, or the thread cannot be spawned.
    pub fn build(&self) -> Result<Audit, SetupError> {
        Ok(self.prepare()?.start(TrailCause::Start))
    }

    /// Does everything that can fail in setting up the trail (opens or creates the file,
    /// reads the key, spawns the writer thread) and writes nothing: a reload does this while
    /// the trail in force keeps running, and only replaces it once this succeeded.
    ///
    /// # Errors
    /// The sink cannot be opened, the key cannot be read, or the thread cannot be spawned.
    pub fn prepare(&self) -> Result<PreparedAudit, SetupError> {
        let stats = Arc::new(AuditStats::default());
        if !self.enabled {
            return Ok(PreparedAudit {
                ready: None,
                on_failure: self.on_failure,
                max_samples: self.max_samples,
                stats,
            });
        }
        let sink: Box<dyn Sink> = match (self.sink.kind, &self.sink.path) {
            (SinkKind::Stdout, _) => Box::new(StdoutSink),
            (SinkKind::File, Some(path)) => Box::new(
                FileSink::open(
                    FileSinkConfig {
                        path: path.clone(),
                        max_bytes: self.sink.max_bytes,
                        keep: self.sink.keep,
                    },
                    stats.rotations.clone(),
                )
                .map_err(|e| SetupError {
                    key: "audit.sink.path",
                    message: sink_open_problem(path, &e),
                })?,
            ),
            (SinkKind::File, None) => {
                return Err(SetupError {
                    key: "audit.sink",
                    message: "`kind: file` needs `path`".into(),
                })
            }
        };
        let key = self
            .key_file
            .as_deref()
            .map(read_key)
            .transpose()
            .map_err(|e| SetupError {
                key: "audit.key_file",
                message: e.to_string(),
            })?;
        PreparedAudit::spawn(
            sink,
            self.hash,
            key,
            self.queue,
            self.on_failure,
            self.max_samples,
            stats,
        )
        .map_err(|e| SetupError {
            key: "audit",
            message: format!("cannot start the audit writer thread: {e}"),
        })
    }
}

/// A trail set up by [`AuditConfig::prepare`]: sink open, key read, writer thread waiting.
/// Dropped without [`PreparedAudit::start`], the thread ends and nothing is written.
pub struct PreparedAudit {
    ready: Option<Ready>,
    on_failure: OnFailure,
    max_samples: usize,
    stats: Arc<AuditStats>,
}

struct Ready {
    tx: SyncSender<Msg>,
    /// Starts the waiting writer: why, and where to say it has written its opening record.
    go: SyncSender<(TrailCause, SyncSender<()>)>,
    writer: std::thread::JoinHandle<()>,
}

impl fmt::Debug for PreparedAudit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedAudit")
            .field("enabled", &self.ready.is_some())
            .finish_non_exhaustive()
    }
}

impl PreparedAudit {
    /// Spawns the writer thread, which waits for [`PreparedAudit::start`].
    fn spawn(
        sink: Box<dyn Sink>,
        alg: HashAlg,
        key: Option<Arc<[u8]>>,
        queue: usize,
        on_failure: OnFailure,
        max_samples: usize,
        stats: Arc<AuditStats>,
    ) -> io::Result<PreparedAudit> {
        let (tx, rx) = mpsc::sync_channel(queue.max(1));
        let (go, started) = mpsc::sync_channel::<(TrailCause, SyncSender<()>)>(1);
        let st = stats.clone();
        let linger = if queue >= LINGER_MIN_QUEUE {
            LINGER
        } else {
            Duration::ZERO
        };
        let writer = std::thread::Builder::new()
            .name("sluice-audit".into())
            .spawn(move || {
                // Never started (the reload that prepared it failed later): write nothing.
                let Ok((cause, opened)) = started.recv() else {
                    return;
                };
                let mut w = Writer::resume(sink, alg, key, st, linger);
                w.open(cause);
                let _ = opened.send(());
                w.run(rx);
            })?;
        Ok(PreparedAudit {
            ready: Some(Ready { tx, go, writer }),
            on_failure,
            max_samples,
            stats,
        })
    }

    /// Starts the trail: the writer resumes the chain from the sink as it is now (start it
    /// after the trail it replaces has been closed) and writes its `trail_opened` record
    /// before this returns, so a sink that fails it is known to be failing from the start.
    pub fn start(self, cause: TrailCause) -> Audit {
        let PreparedAudit {
            ready,
            on_failure,
            max_samples,
            stats,
        } = self;
        let Some(Ready { tx, go, writer }) = ready else {
            return Audit {
                tx: None,
                on_failure,
                max_samples,
                stats,
                writer: Mutex::new(None),
                handoff: RwLock::default(),
            };
        };
        stats.healthy.store(true, Ordering::Relaxed);
        let (ack, opened) = mpsc::sync_channel(1);
        if go.send((cause, ack)).is_err() || opened.recv().is_err() {
            // The thread is gone (it cannot fail before this): every record counts as
            // dropped and the sink as failing, so `on_failure` applies.
            stats.healthy.store(false, Ordering::Relaxed);
            tracing::error!("the audit writer thread is gone; records are being dropped");
        }
        Audit {
            tx: Some(tx),
            on_failure,
            max_samples,
            stats,
            writer: Mutex::new(Some(writer)),
            handoff: RwLock::default(),
        }
    }
}

/// The shortest chain key accepted: 128 bits.
const MIN_KEY: usize = 16;

/// Reads a chain key (`audit.key_file`, `audit verify --key-file`): the file's bytes without
/// a trailing line break (a Secret written with `echo`), at least [`MIN_KEY`] of them.
///
/// # Errors
/// The file cannot be read or is too short.
pub fn read_key(path: &Path) -> io::Result<Arc<[u8]>> {
    read_secret_key(path, "an audit key")
}

/// Reads a secret key file as [`read_key`] does; `what` names the key in the error
/// (`rules.token_key_file` shares the rule).
///
/// # Errors
/// The file cannot be read or is too short.
pub fn read_secret_key(path: &Path, what: &str) -> io::Result<Arc<[u8]>> {
    let mut k = std::fs::read(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    while matches!(k.last(), Some(b'\n' | b'\r')) {
        k.pop();
    }
    if k.len() < MIN_KEY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: {what} needs at least {MIN_KEY} bytes, found {}",
                path.display(),
                k.len()
            ),
        ));
    }
    Ok(k.into())
}

impl Audit {
    /// Starts a trail on any sink (tests use a failing one).
    ///
    /// # Errors
    /// The writer thread cannot be spawned.
    pub fn start(
        sink: Box<dyn Sink>,
        alg: HashAlg,
        queue: usize,
        on_failure: OnFailure,
        max_samples: usize,
        stats: Arc<AuditStats>,
    ) -> io::Result<Audit> {
        Audit::start_keyed(sink, alg, None, queue, on_failure, max_samples, stats)
    }

    /// [`Audit::start`] with the chain keyed by `key` (HMAC), when given.
    ///
    /// # Errors
    /// The writer thread cannot be spawned.
    pub fn start_keyed(
        sink: Box<dyn Sink>,
        alg: HashAlg,
        key: Option<Arc<[u8]>>,
        queue: usize,
        on_failure: OnFailure,
        max_samples: usize,
        stats: Arc<AuditStats>,
    ) -> io::Result<Audit> {
        Ok(
            PreparedAudit::spawn(sink, alg, key, queue, on_failure, max_samples, stats)?
                .start(TrailCause::Start),
        )
    }

    /// Whether records are kept at all.
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Masked samples per record, from the config (for [`AuditEvent::with_findings`]).
    pub fn max_samples(&self) -> usize {
        self.max_samples
    }

    /// Counters.
    pub fn stats(&self) -> &Arc<AuditStats> {
        &self.stats
    }

    /// Whether audited decisions are being refused: `on_failure: block` and the sink failed
    /// its last write (the writer probes it again every second while idle). Readiness reports
    /// it, so traffic goes to a replica that can serve it.
    pub fn refusing(&self) -> bool {
        if let Some(next) = self.successor() {
            return next.refusing();
        }
        self.tx.is_some() && self.on_failure == OnFailure::Block && !self.stats.healthy()
    }

    /// The trail this one handed over to, once closed by a reload.
    fn successor(&self) -> Option<Arc<Audit>> {
        let h = self.handoff.read().unwrap_or_else(|e| e.into_inner());
        h.next.clone()
    }

    /// Whether a decision that must be audited is to be refused now: `on_failure: block` and
    /// the last write failed. The pipeline asks before it starts a response whose record can
    /// only be written after the body has gone out; a refusal counts as a dropped record (the
    /// exchange's record could not be kept), like a failed [`Audit::record`].
    pub fn refuse_decision(&self) -> bool {
        let refuse = self.refusing();
        if refuse {
            self.stats
                .dropped_sink_error
                .fetch_add(1, Ordering::Relaxed);
        }
        refuse
    }

    /// Queues a record without blocking.
    ///
    /// # Errors
    /// [`AuditUnavailable`] when the record cannot be kept and `on_failure` is `block`; with
    /// `drop` the loss is counted and `Ok` returned.
    pub fn record(&self, mut ev: AuditEvent) -> Result<(), AuditUnavailable> {
        let Some(tx) = &self.tx else { return Ok(()) };
        ev.samples.truncate(self.max_samples);
        let fail = |counter: &AtomicU64| {
            counter.fetch_add(1, Ordering::Relaxed);
            match self.on_failure {
                OnFailure::Drop => Ok(()),
                OnFailure::Block => Err(AuditUnavailable),
            }
        };
        {
            // (Held while sending, so no record is queued behind the writer's stop.)
            let h = self.handoff.read().unwrap_or_else(|e| e.into_inner());
            if !h.closed {
                if self.on_failure == OnFailure::Block && !self.stats.healthy() {
                    return fail(&self.stats.dropped_sink_error);
                }
                return match tx.try_send(Msg::Event(Box::new(ev))) {
                    Ok(()) => {
                        self.stats.enqueued.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    }
                    Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                        fail(&self.stats.dropped_queue_full)
                    }
                };
            }
            if let Some(next) = h.next.clone() {
                drop(h);
                return next.record(ev);
            }
        }
        // Closed by a reload whose trail has not started yet: kept for it.
        let mut h = self.handoff.write().unwrap_or_else(|e| e.into_inner());
        if let Some(next) = h.next.clone() {
            drop(h);
            return next.record(ev);
        }
        if h.awaiting && h.held.len() < HELD_MAX {
            h.held.push(ev);
            return Ok(());
        }
        fail(&self.stats.dropped_queue_full)
    }

    /// Sends the records of exchanges still in flight under this closed trail to `next`,
    /// the trail that replaced it, from now on; those that came since the close first.
    pub fn hand_over(&self, next: Arc<Audit>) {
        let mut h = self.handoff.write().unwrap_or_else(|e| e.into_inner());
        for ev in std::mem::take(&mut h.held) {
            // Counted by `next` if it cannot keep them (its `audit_gap` states them).
            let _ = next.record(ev);
        }
        h.next = Some(next);
    }

    /// Waits until every record queued before this call is written (blocking: call from
    /// `spawn_blocking` in async code).
    pub fn flush(&self) {
        let Some(tx) = &self.tx else { return };
        let (ack, done) = mpsc::sync_channel(1);
        if tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv();
        }
    }

    /// Writes what is queued and stops the writer (blocking). Later records count as dropped.
    pub fn close(&self) {
        self.stop(false);
    }

    /// [`Audit::close`] for a reload that starts another trail on the same sink: later
    /// records wait for it ([`Audit::hand_over`]) instead of being dropped.
    pub fn close_for_handover(&self) {
        self.stop(true);
    }

    fn stop(&self, awaiting: bool) {
        {
            let mut h = self.handoff.write().unwrap_or_else(|e| e.into_inner());
            h.closed = true;
            h.awaiting = awaiting;
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Stop);
        }
        let handle = self.writer.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

struct Writer {
    sink: Box<dyn Sink>,
    alg: HashAlg,
    /// The chain's HMAC key (`audit.key_file`), if any.
    key: Option<Arc<[u8]>>,
    seq: u64,
    prev: String,
    stats: Arc<AuditStats>,
    /// Drops already stated in an `audit_gap` record.
    reported: u64,
    /// While records keep coming, how long to let them gather between polls (zero: block on
    /// the channel for each one).
    linger: Duration,
    /// The trail's own record that must be the next line (`trail_opened`, `trail_rotated`):
    /// kept until the sink takes it, so a file never begins without it.
    pending: Option<AuditEvent>,
    /// The last line written is the trail record a rotated-to file begins with: no rotation
    /// before another record follows it (with `max_bytes` below two records, files holding
    /// nothing but their first record would otherwise pile up).
    fresh: bool,
    /// The head last logged (seq of its record) and when.
    logged: (Option<u64>, std::time::Instant),
}

/// The writer's polling interval under load. Only with a queue of at least
/// [`LINGER_MIN_QUEUE`] records: it must hold what arrives meanwhile (1,024 in 2 ms is half
/// a million records per second).
const LINGER: Duration = Duration::from_millis(2);
const LINGER_MIN_QUEUE: usize = 1024;

/// How often, at most, the chain head is logged while records are written: shipped logs then
/// hold anchors for `sluice audit verify --head` no older than this.
const HEAD_LOG_EVERY: Duration = Duration::from_secs(60);

impl Writer {
    /// A writer that continues the chain already in `sink`.
    fn resume(
        mut sink: Box<dyn Sink>,
        alg: HashAlg,
        key: Option<Arc<[u8]>>,
        stats: Arc<AuditStats>,
        linger: Duration,
    ) -> Writer {
        let (seq, prev) = sink
            .resume()
            .map_or((0, GENESIS.to_string()), |(s, h)| (s + 1, h));
        stats.persistent.store(sink.resumes(), Ordering::Relaxed);
        stats.head.store(seq, Ordering::Relaxed);
        Writer {
            sink,
            alg,
            key,
            seq,
            prev,
            stats,
            reported: 0,
            linger,
            pending: None,
            fresh: false,
            logged: (None, std::time::Instant::now()),
        }
    }

    /// The trail's own record: `trail_opened` / `trail_rotated`, following the record before.
    fn trail_record(&self, kind: EventKind, cause: TrailCause, file: Option<String>) -> AuditEvent {
        let mut ev = AuditEvent::new(kind, "-", "-", "-", 0, "none");
        ev.trail = Some(TrailNote {
            cause,
            previous_seq: self.seq.checked_sub(1),
            previous_file: file,
            begins_file: false,
            torn_tail_bytes: None,
        });
        ev
    }

    /// Writes the opening record (or keeps it for the next write when the sink fails now).
    fn open(&mut self, cause: TrailCause) {
        let mut ev = self.trail_record(EventKind::TrailOpened, cause, None);
        if let Some(t) = ev.trail.as_mut() {
            t.torn_tail_bytes = self.sink.torn_tail();
        }
        self.pending = Some(ev);
        self.write_pending();
        self.log_head("opened");
    }

    /// Logs the chain head (seq and hash of the last record: nothing else) at info level.
    fn log_head(&mut self, at: &'static str) {
        let Some(seq) = self.seq.checked_sub(1) else {
            return;
        };
        tracing::info!(at, seq, hash = %self.prev, "audit chain head");
        self.logged = (Some(seq), std::time::Instant::now());
    }

    /// The periodic head log: at most every [`HEAD_LOG_EVERY`], and only when it moved.
    fn tick(&mut self) {
        if self.logged.0 != self.seq.checked_sub(1) && self.logged.1.elapsed() >= HEAD_LOG_EVERY {
            self.log_head("written");
        }
    }

    fn run(mut self, rx: Receiver<Msg>) {
        loop {
            let first = match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    // Idle: write a pending trail record and state a pending gap (and so probe
                    // a failed sink) without waiting for the next decision.
                    self.write_pending();
                    self.gap_check();
                    self.tick();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => Msg::Stop,
            };
            if !self.handle(first, &rx) {
                return;
            }
            self.tick();
            if self.linger.is_zero() {
                continue;
            }
            // Busy: poll for what arrives, every `linger`, instead of blocking on the channel
            // again. A writer blocked on the channel costs every record a futex wake-up and
            // context switches on the proxy's core (measured with one record per request: 3.9
            // switches per request, against 0.01 without the trail); polling costs two per
            // `linger` whatever the rate. Back to blocking after one quiet `linger`.
            loop {
                std::thread::sleep(self.linger);
                let mut busy = false;
                loop {
                    match rx.try_recv() {
                        Ok(m) => {
                            busy = true;
                            if !self.handle(m, &rx) {
                                return;
                            }
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => {
                            self.stop(&rx);
                            return;
                        }
                    }
                }
                self.tick();
                if !busy {
                    break;
                }
            }
        }
    }

    /// Handles one message; `false` once stopped.
    fn handle(&mut self, m: Msg, rx: &Receiver<Msg>) -> bool {
        match m {
            Msg::Event(ev) => self.write(&ev),
            Msg::Flush(ack) => {
                self.flush();
                let _ = ack.send(());
            }
            Msg::Stop => {
                self.stop(rx);
                return false;
            }
        }
        true
    }

    /// Writes what is already queued, states a pending gap, flushes, logs the final head.
    fn stop(&mut self, rx: &Receiver<Msg>) {
        while let Ok(m) = rx.try_recv() {
            match m {
                Msg::Event(ev) => self.write(&ev),
                Msg::Flush(ack) => {
                    let _ = ack.send(());
                }
                Msg::Stop => {}
            }
        }
        self.write_pending();
        self.gap_check();
        self.flush();
        self.log_head("closed");
    }

    fn flush(&mut self) {
        if self.sink.flush().is_err() {
            self.stats.sink_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn gap_check(&mut self) {
        let dropped = self.stats.dropped();
        if dropped > self.reported {
            let mut gap = AuditEvent::new(EventKind::AuditGap, "-", "-", "-", 0, "none");
            gap.dropped = Some(dropped - self.reported);
            gap.reason = Some("records lost: queue full or sink failure".into());
            if self.emit(&gap) {
                self.reported = dropped;
            }
        }
    }

    fn write(&mut self, ev: &AuditEvent) {
        self.gap_check();
        if !self.emit(ev) {
            self.stats
                .dropped_sink_error
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes the pending trail record, if any; `false` while it cannot be written.
    /// `begins_file`: the sink has just rotated, so the record is the new file's first.
    /// An opening record that would itself pass `max_bytes` rotates first and begins the
    /// new file (naming the previous one).
    fn write_pending_at(&mut self, mut begins_file: bool) -> bool {
        let Some(mut ev) = self.pending.take() else {
            return true;
        };
        let Ok((line, _)) = seal(self.alg, self.key.as_deref(), self.seq, &self.prev, &ev) else {
            self.pending = Some(ev);
            return false;
        };
        if !begins_file && !self.fresh && self.sink.wants_rotation(line.len() as u64) {
            match self.sink.rotate() {
                Ok(previous) => {
                    if let Some(t) = ev.trail.as_mut() {
                        t.previous_file = Some(previous);
                    }
                    begins_file = true;
                }
                Err(e) => {
                    self.failed(&e);
                    self.pending = Some(ev);
                    return false;
                }
            }
        }
        if let Some(t) = ev.trail.as_mut() {
            t.begins_file = begins_file || self.sink.at_file_start();
        }
        let ok = self.put(&ev, begins_file);
        if !ok {
            self.pending = Some(ev);
        }
        ok
    }

    fn write_pending(&mut self) -> bool {
        self.write_pending_at(false)
    }

    /// Seals and writes one record, rotating first when the file is full: then the new
    /// file's first record is `trail_rotated`. The chain advances only when it is on disk.
    fn emit(&mut self, ev: &AuditEvent) -> bool {
        if !self.write_pending() {
            return false;
        }
        let Ok((line, hash)) = seal(self.alg, self.key.as_deref(), self.seq, &self.prev, ev) else {
            return false;
        };
        if self.fresh || !self.sink.wants_rotation(line.len() as u64) {
            return self.commit(&line, hash, false);
        }
        match self.sink.rotate() {
            Ok(previous) => {
                self.pending = Some(self.trail_record(
                    EventKind::TrailRotated,
                    TrailCause::Rotation,
                    Some(previous),
                ));
                if !self.write_pending_at(true) {
                    return false;
                }
                self.log_head("rotated");
                self.put(ev, false)
            }
            Err(e) => {
                self.failed(&e);
                false
            }
        }
    }

    /// Seals `ev` as the next record and writes it (no rotation).
    fn put(&mut self, ev: &AuditEvent, begins_file: bool) -> bool {
        match seal(self.alg, self.key.as_deref(), self.seq, &self.prev, ev) {
            Ok((line, hash)) => self.commit(&line, hash, begins_file),
            Err(_) => false,
        }
    }

    fn commit(&mut self, line: &[u8], hash: String, begins_file: bool) -> bool {
        match self.sink.write_line(line) {
            Ok(()) => {
                self.prev = hash;
                self.seq += 1;
                self.fresh = begins_file;
                self.stats.head.store(self.seq, Ordering::Relaxed);
                self.stats.written.fetch_add(1, Ordering::Relaxed);
                if !self.stats.healthy.swap(true, Ordering::Relaxed) {
                    tracing::warn!("audit sink recovered");
                }
                true
            }
            Err(e) => {
                self.failed(&e);
                false
            }
        }
    }

    fn failed(&mut self, e: &io::Error) {
        self.stats.sink_errors.fetch_add(1, Ordering::Relaxed);
        if self.stats.healthy.swap(false, Ordering::Relaxed) {
            tracing::error!(error = %e, "audit sink failed; records are being dropped");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// What a verified set of files contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub files: usize,
    pub records: u64,
    /// `seq` of the first and last record (None for an empty set).
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// The first record's `prev`: [`GENESIS`] when the set starts the chain, else the hash of
    /// a record in a file that is no longer part of the set (retention).
    pub anchor: Option<String>,
    /// The first record's `event`: what anchors a set that does not start the chain
    /// (`trail_rotated`, `trail_opened`).
    pub first_event: Option<String>,
    /// The last record's hash (worth keeping off the host).
    pub last_hash: Option<String>,
    /// Records lost per `audit_gap` records (stated by the trail itself).
    pub stated_gaps: u64,
    /// The head given to [`verify_to_head`], found in the set.
    pub head: Option<ChainHead>,
}

/// A chain head seen earlier (`SEQ:HASH`: the `audit chain head` log line, the
/// `sluice_audit_chain_seq` gauge with the hash from the log, or the last line of an earlier
/// `verify`): [`verify_to_head`] fails unless the files still hold that very record, so a
/// trail cut at its end (and perhaps restarted on the cut) is caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: u64,
    /// Lowercase hex.
    pub hash: String,
}

impl std::str::FromStr for ChainHead {
    type Err = String;

    fn from_str(s: &str) -> Result<ChainHead, String> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}`: expected SEQ:HASH (e.g. 1234:9f86d0…)"))?;
        let seq = seq
            .trim()
            .parse()
            .map_err(|_| format!("`{seq}`: SEQ is a record's sequence number"))?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("`{hash}`: HASH is the record's 64 hex digit hash"));
        }
        Ok(ChainHead { seq, hash })
    }
}

impl fmt::Display for ChainHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// Why a set does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyErrorKind {
    /// The file cannot be read.
    Io(String),
    /// Not a sealed record (not JSON, no hash, unknown algorithm).
    Malformed(String),
    /// The record's content does not match its hash: edited.
    HashMismatch,
    /// `prev` is not the hash of the record before: a record was deleted, inserted or moved.
    ChainBroken,
    /// `seq` does not follow the previous record's.
    SeqGap { expected: u64, found: u64 },
    /// A keyed record (`hmac-…`) and no key to check it with.
    KeyRequired,
    /// A record with no key where the trail is keyed: written by someone without the key.
    Unkeyed,
    /// The first file begins with an ordinary record after the chain's start: the records
    /// before it, down to the file's own first (trail) record, were removed.
    HeadCut { seq: u64, event: String },
    /// A file with no record: every trail file begins with its `trail_opened` or
    /// `trail_rotated` record.
    Empty,
    /// The record at the head given has another hash: the trail was cut before it and
    /// written on from there.
    HeadRewritten { head: ChainHead, found: String },
    /// The set ends before the head given: records were removed from its end.
    HeadMissing { head: ChainHead, last: Option<u64> },
    /// The head given is older than the first file given.
    HeadBefore { head: ChainHead, first: u64 },
}

/// A located verification failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    pub file: PathBuf,
    /// 1-based line (0: the file as a whole).
    pub line: usize,
    pub kind: VerifyErrorKind,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: ", self.file.display())?,
            n => write!(f, "{}:{n}: ", self.file.display())?,
        }
        match &self.kind {
            VerifyErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            VerifyErrorKind::Malformed(m) => write!(f, "not a sealed audit record: {m}"),
            VerifyErrorKind::HashMismatch => {
                write!(f, "record does not match its hash (edited)")
            }
            VerifyErrorKind::ChainBroken => write!(
                f,
                "record does not follow the previous one (a record was deleted, inserted or reordered)"
            ),
            VerifyErrorKind::SeqGap { expected, found } => {
                write!(f, "sequence jumps from {expected} to {found} (records missing or reordered)")
            }
            VerifyErrorKind::KeyRequired => write!(
                f,
                "the record is keyed (HMAC): give the trail's key with --key-file"
            ),
            VerifyErrorKind::Unkeyed => write!(
                f,
                "the record is not keyed although a key was given (rewritten without the key?)"
            ),
            VerifyErrorKind::HeadCut { seq, event } => write!(
                f,
                "the first file begins at seq {seq} with an ordinary `{event}` record: the records \
                 before it were removed (a trail file begins at seq 0 or with the trail's own \
                 trail_opened / trail_rotated record)"
            ),
            VerifyErrorKind::Empty => write!(
                f,
                "no record: every trail file begins with its trail_opened or trail_rotated record \
                 (the file was emptied)"
            ),
            VerifyErrorKind::HeadRewritten { head, found } => write!(
                f,
                "record seq {} has hash {found}, not {} as seen earlier: the trail was cut \
                 before it and written on from there (records removed from its end, then a \
                 restart)",
                head.seq, head.hash
            ),
            VerifyErrorKind::HeadMissing { head, last } => match last {
                Some(l) => write!(
                    f,
                    "the trail ends at seq {l}, before the head seq {} seen earlier: records \
                     were removed from its end (or give the newer files too)",
                    head.seq
                ),
                None => write!(f, "no record, not even the head seq {} seen earlier", head.seq),
            },
            VerifyErrorKind::HeadBefore { head, first } => write!(
                f,
                "the head seq {} is older than the first record given (seq {first}): give \
                 the older files too",
                head.seq
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Verifies a set of audit files given in chain order (oldest first; `ls` order of rotated
/// files, then the active file).
///
/// # Errors
/// The first file and line that breaks the chain, and how.
pub fn verify(files: &[PathBuf]) -> Result<VerifyReport, VerifyError> {
    verify_keyed(files, None)
}

/// [`verify`] of a keyed trail: with `key`, every record must be an HMAC under it (an
/// unkeyed record there is a rewrite by someone without the key); without it, a keyed record
/// cannot be checked and is an error.
///
/// # Errors
/// The first file and line that breaks the chain, and how.
pub fn verify_keyed(files: &[PathBuf], key: Option<&[u8]>) -> Result<VerifyReport, VerifyError> {
    verify_to_head(files, key, None)
}

/// The trail's own records that a file may begin with when it does not start the chain: a
/// rotation's first record, or an opening record written as its file's first line (not one
/// a restart appended in the middle of a file, which a cut could make the first).
fn anchors_a_file(rec: &Head) -> bool {
    rec.event == "trail_rotated"
        || (rec.event == "trail_opened" && rec.trail.as_ref().is_some_and(|t| t.begins_file))
}

/// [`verify_keyed`], and with `head` the set must also hold that record (same seq, same
/// hash): the trail still reaches a head seen earlier.
///
/// # Errors
/// The first file and line that breaks the chain, and how; or the head missing.
pub fn verify_to_head(
    files: &[PathBuf],
    key: Option<&[u8]>,
    head: Option<&ChainHead>,
) -> Result<VerifyReport, VerifyError> {
    let mut rep = VerifyReport {
        files: files.len(),
        records: 0,
        first_seq: None,
        last_seq: None,
        anchor: None,
        first_event: None,
        last_hash: None,
        stated_gaps: 0,
        head: None,
    };
    for path in files {
        let err = |line: usize, kind: VerifyErrorKind| VerifyError {
            file: path.clone(),
            line,
            kind,
        };
        let f = File::open(path).map_err(|e| err(0, VerifyErrorKind::Io(e.to_string())))?;
        let mut in_file = 0u64;
        for (i, line) in BufReader::new(f).split(b'\n').enumerate() {
            let n = i + 1;
            let line = line.map_err(|e| err(n, VerifyErrorKind::Io(e.to_string())))?;
            let malformed = |m: &str| err(n, VerifyErrorKind::Malformed(m.to_string()));
            let (canon, stated) = unseal(&line).ok_or_else(|| malformed("no trailing hash"))?;
            let rec: Head = serde_json::from_slice(&canon)
                .map_err(|e| malformed(&format!("not a JSON record: {e}")))?;
            let (alg, keyed) = HashAlg::from_name(&rec.alg)
                .ok_or_else(|| malformed(&format!("unknown hash algorithm `{}`", rec.alg)))?;
            match (keyed, key) {
                (true, None) => return Err(err(n, VerifyErrorKind::KeyRequired)),
                (false, Some(_)) => return Err(err(n, VerifyErrorKind::Unkeyed)),
                _ => {}
            }
            if alg.seal_hex(key, &canon) != stated {
                return Err(err(n, VerifyErrorKind::HashMismatch));
            }
            match (&rep.last_hash, rep.last_seq) {
                (Some(h), Some(s)) => {
                    if rec.prev != *h {
                        return Err(err(n, VerifyErrorKind::ChainBroken));
                    }
                    if rec.seq != s + 1 {
                        return Err(err(
                            n,
                            VerifyErrorKind::SeqGap {
                                expected: s + 1,
                                found: rec.seq,
                            },
                        ));
                    }
                }
                _ => {
                    if rec.prev == GENESIS {
                        // A chain that claims to start here must start at 0.
                        if rec.seq != 0 {
                            return Err(err(
                                n,
                                VerifyErrorKind::SeqGap {
                                    expected: 0,
                                    found: rec.seq,
                                },
                            ));
                        }
                    } else if !anchors_a_file(&rec) {
                        // Only the trail's own records begin a file after the chain's start:
                        // an ordinary record here had the ones before it in its file cut.
                        return Err(err(
                            n,
                            VerifyErrorKind::HeadCut {
                                seq: rec.seq,
                                event: rec.event.clone(),
                            },
                        ));
                    }
                    rep.first_seq = Some(rec.seq);
                    rep.anchor = Some(rec.prev.clone());
                    rep.first_event = Some(rec.event.clone());
                }
            }
            if let Some(h) = head.filter(|h| h.seq == rec.seq) {
                if h.hash != stated {
                    return Err(err(
                        n,
                        VerifyErrorKind::HeadRewritten {
                            head: h.clone(),
                            found: stated.to_string(),
                        },
                    ));
                }
                rep.head = Some(h.clone());
            }
            if rec.event == "audit_gap" {
                rep.stated_gaps += rec.dropped.unwrap_or(0);
            }
            in_file += 1;
            rep.records += 1;
            rep.last_seq = Some(rec.seq);
            rep.last_hash = Some(stated.to_string());
        }
        if in_file == 0 {
            return Err(err(0, VerifyErrorKind::Empty));
        }
    }
    if let Some(h) = head.filter(|_| rep.head.is_none()) {
        let file = files.last().cloned().unwrap_or_default();
        let kind = match rep.first_seq {
            Some(first) if h.seq < first => VerifyErrorKind::HeadBefore {
                head: h.clone(),
                first,
            },
            _ => VerifyErrorKind::HeadMissing {
                head: h.clone(),
                last: rep.last_seq,
            },
        };
        return Err(VerifyError {
            file,
            line: 0,
            kind,
        });
    }
    Ok(rep)
}

/// `sluice audit verify FILE…`: a human summary, or an error naming file and line.
///
/// # Errors
/// The [`VerifyError`] of [`verify_to_head`], as text.
pub fn verify_files(
    paths: &[PathBuf],
    key_file: Option<&Path>,
    head: Option<&ChainHead>,
) -> anyhow::Result<String> {
    let key = key_file.map(read_key).transpose()?;
    let r = verify_to_head(paths, key.as_deref(), head)
        .map_err(|e| anyhow::anyhow!("audit trail does not verify: {e}"))?;
    let Some(first) = r.first_seq else {
        // Unreachable for a non-empty set (an empty file fails); kept for `verify` of none.
        return Ok(format!("{} file(s), no records", r.files));
    };
    let anchor = match r.anchor.as_deref() {
        Some(GENESIS) => "the start of the chain".to_string(),
        Some(h) => format!(
            "an earlier record with hash {h}, by its {} record (older files not given)",
            r.first_event.as_deref().unwrap_or("?")
        ),
        None => "?".into(),
    };
    let mut s = format!(
        "OK: {} {}record(s) in {} file(s), seq {}..={}, chained from {}; last hash {}",
        r.records,
        if key.is_some() { "keyed " } else { "" },
        r.files,
        first,
        r.last_seq.unwrap_or(first),
        anchor,
        r.last_hash.as_deref().unwrap_or("-"),
    );
    if let Some(h) = &r.head {
        s.push_str(&format!(
            "\nreaches the head given: seq {} {}",
            h.seq, h.hash
        ));
    }
    if r.stated_gaps > 0 {
        s.push_str(&format!(
            "\nnote: the trail itself records {} lost record(s) (audit_gap)",
            r.stated_gaps
        ));
    }
    if let (Some(seq), Some(hash)) = (r.last_seq, r.last_hash.as_deref()) {
        s.push_str(&format!(
            "\nkeep the head off this host; later, `--head {seq}:{hash}` fails if records are cut from the end"
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests;
