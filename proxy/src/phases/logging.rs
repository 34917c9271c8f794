//! Phase 6, logging: one access record per exchange, written when the exchange really ends.
//!
//! The record travels with the response body ([`LogGuard`]) and is emitted when the body is
//! finished or dropped, so a client that disconnects mid-stream, an aborted block and a
//! completed download each produce exactly one line with the right outcome. Records carry the
//! interface *name*, classes and counts, never raw paths' parameters or values. The same event
//! bumps the process counters ([`Stats`]), as Vector's internal events log and count together.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::time::Instant;

use crate::filter::FindingSummary;

/// Process-wide counters (the metrics endpoint that comes later reads these).
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub completed: AtomicU64,
    pub aborted: AtomicU64,
    pub blocked: AtomicU64,
    pub redacted: AtomicU64,
    pub bombs: AtomicU64,
    pub upstream_errors: AtomicU64,
    pub client_errors: AtomicU64,
    pub findings: AtomicU64,
    /// The Prometheus registry (`/metrics` on the admin listener).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl Stats {
    /// Reads a counter.
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// What the logging phase records about one exchange.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub request_id: String,
    pub interface: Arc<str>,
    pub method: String,
    /// The client: the peer, or the address a trusted proxy forwarded for.
    pub client: std::net::IpAddr,
    /// The connection's peer.
    pub peer: std::net::IpAddr,
    pub identity: Option<String>,
    pub status: u16,
    pub upstream_status: Option<u16>,
    /// Error kind, when the proxy answered with a problem.
    pub error: Option<(&'static str, &'static str)>,
    /// Set when a streamed body was cut off.
    pub aborted: Option<&'static str>,
    pub completed: bool,
    pub blocked: bool,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub request_findings: Option<FindingSummary>,
    pub response_findings: Option<FindingSummary>,
    /// What the response's header values held (redacted or reported there); added to
    /// `response_findings` when the exchange ends.
    pub header_findings: Option<FindingSummary>,
    pub started: Instant,
    /// The inventory entry this request counts under (classes and grade are added at the end).
    pub inventory: Option<Arc<crate::inventory::Entry>>,
    /// Request body bytes (received, forwarded), when known.
    pub request_bytes: Option<(u64, u64)>,
    /// The audit trail redactions and non-blocking over-scope responses are recorded to.
    pub audit: Option<Arc<crate::audit::Audit>>,
    /// The identified consumer (none when the credential was refused).
    pub consumer: Option<crate::identity::Consumer>,
    /// The interface's declared grade, when responses are checked against it.
    pub declared_grade: Option<Arc<str>>,
}

impl LogRecord {
    /// Audit records and over-scope metrics for what only the end of the exchange knows:
    /// messages delivered with values masked, and over-scope responses that were delivered
    /// (`over_scope: redact | report`). Blocks are recorded where they are decided.
    fn audit_delivered(&self, m: &crate::metrics::Metrics) {
        use crate::audit::{AuditEvent, Direction, EventKind};
        if self.blocked || self.error.is_some() {
            return;
        }
        for (dir, f) in [
            (Direction::Request, &self.request_findings),
            (Direction::Response, &self.response_findings),
        ] {
            let Some(f) = f else { continue };
            let mut kinds = Vec::new();
            if f.over_scope {
                if let Some(class) = &f.flow_class {
                    crate::metrics::OverScope {
                        interface: &self.interface,
                        class,
                    }
                    .emit(m);
                }
                kinds.push((
                    EventKind::OverScope,
                    if f.changed { "redact" } else { "report" },
                ));
            }
            // A blocking class found after the head went out (a streamed body): the stream
            // was cut, and the record says so rather than "redacted".
            if !f.blocked.is_empty() {
                kinds.push((EventKind::Blocked, "block"));
            } else if f.changed {
                kinds.push((EventKind::Redacted, "redact"));
            }
            let Some(audit) = &self.audit else { continue };
            for (kind, action) in kinds {
                let mut ev = AuditEvent::new(
                    kind,
                    self.request_id.as_str(),
                    &self.interface,
                    self.method.as_str(),
                    self.status,
                    action,
                )
                .with_summary(dir, f)
                .with_bytes(
                    match dir {
                        Direction::Request => self.request_bytes.map_or(0, |b| b.1),
                        Direction::Response => self.bytes_out,
                    },
                    None,
                );
                ev = ev.with_client_via(self.client, self.peer);
                if let Some(c) = &self.consumer {
                    ev = ev.with_consumer(c);
                }
                if kind == EventKind::Blocked {
                    ev = ev.with_reason(format!(
                        "stream aborted: {}",
                        self.aborted.unwrap_or("blocked after headers were sent")
                    ));
                }
                if kind == EventKind::OverScope {
                    if let (Some((g, _)), Some(d)) = (&f.flow_grade, &self.declared_grade) {
                        ev = ev.with_reason(format!("grade {g} > {d}"));
                    }
                }
                // A failing trail counts the loss itself; the response is already out.
                let _ = audit.record(ev);
            }
        }
    }
}

/// Emits its record once, on drop.
pub struct LogGuard {
    pub record: LogRecord,
    stats: Arc<Stats>,
}

impl LogGuard {
    /// Wraps a record.
    pub fn new(record: LogRecord, stats: Arc<Stats>) -> Self {
        LogGuard { record, stats }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(h) = self.record.header_findings.take() {
            match self.record.response_findings.as_mut() {
                Some(f) => f.merge(&h),
                None => self.record.response_findings = Some(h),
            }
        }
        let r = &self.record;
        let s = &self.stats;
        let outcome = if r.blocked {
            s.blocked.fetch_add(1, Ordering::Relaxed);
            "blocked"
        } else if let Some((origin, kind)) = r.error {
            match origin {
                "upstream" => s.upstream_errors.fetch_add(1, Ordering::Relaxed),
                _ => s.client_errors.fetch_add(1, Ordering::Relaxed),
            };
            if kind == "decompression-bomb" {
                s.bombs.fetch_add(1, Ordering::Relaxed);
            }
            kind
        } else if let Some(a) = r.aborted {
            s.aborted.fetch_add(1, Ordering::Relaxed);
            if a == "decompression bomb" {
                s.bombs.fetch_add(1, Ordering::Relaxed);
            }
            "aborted"
        } else if r.completed {
            s.completed.fetch_add(1, Ordering::Relaxed);
            "ok"
        } else {
            s.aborted.fetch_add(1, Ordering::Relaxed);
            "client_gone"
        };
        // The access record's findings text, only when the record will be written (a sidecar
        // running at `warn` would otherwise format it for nothing on every exchange).
        let access = tracing::enabled!(target: "sluice::access", tracing::Level::INFO);
        let mut findings = String::new();
        for (side, f) in [("req", &r.request_findings), ("resp", &r.response_findings)] {
            if let Some(f) = f {
                if f.changed {
                    s.redacted.fetch_add(1, Ordering::Relaxed);
                }
                s.findings.fetch_add(f.total(), Ordering::Relaxed);
                if access && f.total() > 0 {
                    if !findings.is_empty() {
                        findings.push(' ');
                    }
                    findings.push_str(&format!("{side}[{}]", f.describe()));
                }
            }
        }
        let elapsed = r.started.elapsed();
        let m = &s.metrics;
        r.audit_delivered(m);
        if let Some(a) = &r.audit {
            // Losses of this exchange's records (and of earlier ones the writer failed since).
            m.audit_losses(a.stats());
        }
        for (direction, f) in [
            ("request", &r.request_findings),
            ("response", &r.response_findings),
        ] {
            if let Some(summary) = f {
                if let Some((declared, actual)) = summary.coding_mismatch {
                    // Either a misconfigured peer or an attempt to slip data past inspection;
                    // the body was inspected as what it carried either way.
                    tracing::warn!(
                        request_id = %r.request_id,
                        interface = %r.interface,
                        direction,
                        declared = declared.as_str(),
                        actual = actual.as_str(),
                        "body declared one content coding and carried another; inspected as what it carried"
                    );
                }
                crate::metrics::BodyInspected {
                    interface: &r.interface,
                    direction,
                    summary,
                }
                .emit(m);
            }
        }
        let response_blocked = r
            .response_findings
            .as_ref()
            .is_some_and(|f| !f.blocked.is_empty());
        let bomb = matches!(r.error, Some((_, "decompression-bomb")))
            || r.aborted == Some("decompression bomb");
        crate::metrics::ExchangeEnded {
            interface: &r.interface,
            status: r.status,
            outcome,
            error_origin: r.error.map(|(o, _)| o),
            blocked_direction: r.blocked.then_some(if response_blocked {
                "response"
            } else {
                "request"
            }),
            bomb_direction: bomb.then_some(match r.error {
                Some(("client", _)) => "request",
                _ => "response",
            }),
            request_bytes: r.request_bytes,
            response_bytes: (r.bytes_in, r.bytes_out),
            duration: elapsed,
        }
        .emit(m);
        if let Some(e) = &r.inventory {
            // The findings of both directions describe what the interface carries.
            e.record(r.response_findings.as_ref(), r.blocked);
            if r.request_findings.is_some() {
                e.record(r.request_findings.as_ref(), false);
            }
        }
        tracing::info!(
            target: "sluice::access",
            request_id = %r.request_id,
            interface = %r.interface,
            method = %r.method,
            client = %r.client,
            peer = %r.peer,
            identity = r.identity.as_deref().unwrap_or("-"),
            status = r.status,
            upstream_status = r.upstream_status.unwrap_or(0),
            outcome,
            abort_reason = r.aborted.unwrap_or("-"),
            bytes_in = r.bytes_in,
            bytes_out = r.bytes_out,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            findings = %findings,
        );
    }
}
