//! The request's phases, Pingora-style. Each phase is a module with one entry point and a
//! documented contract, run in this order by [`Proxy::handle`]:
//!
//! 1. [`request_filter`]: route to an interface, request id, header hygiene, upgrade policy.
//!    May answer early (bad request, upgrade not allowed).
//! 2. [`request_body_filter`]: inspect the request body (hold, decode, scan, redact or block)
//!    or stream it uninspected under the size cap. May answer early (413, 403 block).
//! 3. [`upstream`]: send to the pooled upstream client with connect / response-head / total
//!    timeouts; classify failures (refused → 502, timeout → 504).
//! 4. [`response_filter`]: response headers; choose how the body is handled (pass through,
//!    stream through the filter, or hold until a block decision is certain).
//! 5. [`response_body_filter`]: run that choice; answer a problem instead of the body when a
//!    held body must be blocked or cannot be decoded.
//! 6. [`logging`]: one access record when the exchange really ends (carried by the body).
//!
//! Errors are [`ProxyError`]s; before headers are sent they become problem+json responses here.

pub mod logging;
pub mod request_body_filter;
pub mod request_filter;
pub mod response_body_filter;
pub mod response_filter;
pub mod upstream;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{Method, Request, Response};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sluice_rules::Engine;
use tokio::time::Instant;

use crate::audit::{AuditEvent, AuditUnavailable, EventKind};
use crate::body::ProxyBody;
use crate::codec::DecodeLimits;
use crate::config::Config;
use crate::error::ProxyError;
use crate::identity::{Consumer, IdentityError};
use crate::interface::Interface;
use crate::inventory::Inventory;
use crate::metrics::{Metrics, RequestReceived};
use crate::policy::Actions;
use crate::reload::Live;
use crate::tls::ClientIdentity;
use logging::{LogGuard, LogRecord, Stats};

/// Facts about the downstream connection, from the server layer.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    pub tls: bool,
    pub identity: Option<ClientIdentity>,
    /// Closes the connection when notified: a held response still undelivered at its
    /// exchange's deadline (see [`crate::body::held_bytes`]).
    pub close: Arc<tokio::sync::Notify>,
    /// Set when a response body on this HTTP/1 connection was cut off: the connection is
    /// then reset (RST), not closed (FIN), since a close is how an HTTP/1.0 body without a
    /// length ends, and a truncated one must not look complete (`server::Resetting`).
    pub reset: Arc<std::sync::atomic::AtomicBool>,
}

/// Whether `iface` replaces the origin's validators on a response to a consumer with
/// `actions` (see [`Ctx::rekeys_validators`]).
fn rekeys(iface: &Interface, actions: &Actions, live: &Live) -> bool {
    iface.inspect_responses
        && (actions.any_inspect()
            || iface.scope_rank().is_some()
            || live.limiter.has_response_limits(&iface.name))
}

/// The answer to a request still unanswered when the drain bound passes: the proxy is
/// going away, not the request wrong, so 503 (another replica can take the retry).
fn shutting_down() -> ProxyError {
    ProxyError::new(
        crate::error::Origin::Internal,
        crate::error::Kind::ShuttingDown,
        http::StatusCode::SERVICE_UNAVAILABLE,
        "the proxy is shutting down and its drain bound (`listen.shutdown_grace`) passed before the upstream answered; retry",
    )
}

/// Per-request state shared by the phases.
pub struct Ctx {
    pub request_id: String,
    pub iface: Arc<Interface>,
    pub method: Method,
    pub conn: ConnInfo,
    /// The client ([`crate::headers::client_ip`]): audited and logged.
    pub client: std::net::IpAddr,
    /// Whether the peer is a trusted proxy, whose forwarding headers are passed on.
    pub from_trusted: bool,
    pub deadline: Instant,
    pub log: Option<LogRecord>,
    /// The downstream side of an allowed protocol upgrade.
    pub upgrade: Option<hyper::upgrade::OnUpgrade>,
    /// The rules and policy this request started with; a reload does not change them.
    pub live: Arc<Live>,
    /// The caller (the anonymous consumer while `rejected` is set).
    pub consumer: Consumer,
    /// The caller's credential was refused; the request filter answers 401.
    pub rejected: Option<IdentityError>,
    /// The actions in force for this consumer on this interface.
    pub actions: Arc<Actions>,
    /// The interface that serves reads (`GET`) of this path: the entity tags a client
    /// holds for the resource came from it, whatever interface this method takes
    /// (`person_read` and `person_write` on one path).
    pub read_iface: Arc<Interface>,
    /// A ready-made answer for the error being returned (401, 429 with `Retry-After`), used
    /// by [`Proxy::problem`] instead of the generic problem body.
    pub early: Option<Response<Bytes>>,
    /// What makes the request head malformed (a 4xx the request filter answers with).
    pub malformed: Option<(http::StatusCode, &'static str)>,
    /// The share of the held-body budget the request body took, until the exchange ends.
    pub held_request: Option<crate::body::HeldGuard>,
    /// The client's `If-None-Match`, kept from the upstream on an inspected interface and
    /// answered here against the validator this proxy sends (see `headers::rekey_validators`).
    pub if_none_match: Option<http::HeaderValue>,
    /// The upstream answered over HTTP/2 (its body may end at a reset: `body::cut_short`).
    pub upstream_h2: bool,
    /// The client speaks HTTP/1.x, and sent `TE: trailers`: together they say whether the
    /// response can carry trailers to it (hyper sends them to an HTTP/1.1 client only when
    /// asked), so whether `Trailer` may announce any (`response_body_filter`).
    pub client_http1: bool,
    pub client_te_trailers: bool,
}

/// The refusal of a body that would pass the held-body budget: the proxy is busy, not the
/// request wrong, so 503 (retry later) rather than a 4xx.
pub(crate) fn overloaded() -> ProxyError {
    ProxyError::new(
        crate::error::Origin::Internal,
        crate::error::Kind::Overloaded,
        http::StatusCode::SERVICE_UNAVAILABLE,
        "the proxy is holding as many bodies for inspection as `limits.max_held_total` allows; retry later",
    )
}

impl Ctx {
    /// Queues an audit record about this exchange (no-op without an `audit` section).
    ///
    /// # Errors
    /// The record cannot be kept and `audit.on_failure` is `block`.
    pub(crate) fn audit(
        &self,
        kind: EventKind,
        status: u16,
        action: &str,
        f: impl FnOnce(AuditEvent) -> AuditEvent,
    ) -> Result<(), AuditUnavailable> {
        let Some(a) = &self.live.audit else {
            return Ok(());
        };
        let mut ev = AuditEvent::new(
            kind,
            self.request_id.as_str(),
            &self.iface.name,
            self.method.as_str(),
            status,
            action,
        )
        .with_client_via(self.client, self.conn.remote.ip());
        if self.rejected.is_none() {
            ev = ev.with_consumer(&self.consumer);
        }
        a.record(f(ev))
    }

    /// Whether the origin's validators are replaced on this exchange's response
    /// (`headers::rekey_validators`): the response filter replaces them on exactly these
    /// exchanges, and the request filter opens the proxy's tags in a write's conditions on
    /// them, so the two must agree (a consumer whose view is not inspected gets, and sends
    /// back, the origin's own tag).
    pub(crate) fn rekeys_validators(&self) -> bool {
        rekeys(&self.iface, &self.actions, &self.live)
    }

    /// Whether reads of this path have their validators replaced for this consumer: then
    /// the tags a write's conditions carry are the proxy's, to be opened
    /// (`request_filter`).
    pub(crate) fn reads_rekeyed(&self) -> bool {
        let read = &self.read_iface;
        rekeys(read, read.actions_for(&self.consumer.id), &self.live)
    }

    /// The seal of this exchange's entity tags: under a key of the rules' token key, bound
    /// to what decides the body sent: the rules, the policy (the config's text, the same on
    /// every replica given the same file), the interface that serves reads of the path (a
    /// write on its own interface opens the tag its read gave) and the consumer.
    pub(crate) fn tag_seal(&self) -> crate::etag::TagSeal<'_> {
        crate::etag::TagSeal::new(
            self.live.engine.subkey(crate::etag::KEY_PURPOSE),
            [
                self.live.engine.content_hash(),
                &self.live.cfg.text_digest,
                &self.read_iface.name,
                &self.consumer.id,
            ],
        )
    }

    /// The error for an exchange refused because its audit record cannot be kept.
    pub(crate) fn audit_refused() -> ProxyError {
        ProxyError::new(
            crate::error::Origin::Internal,
            crate::error::Kind::AuditUnavailable,
            http::StatusCode::SERVICE_UNAVAILABLE,
            "the audit trail cannot record this decision (audit.on_failure: block)",
        )
    }
}

/// The proxy: configuration, the rules and policy in force (swapped by reload), upstream
/// client, metrics and inventory, shared by all connections.
pub struct Proxy {
    /// The configuration as started (listener, upstream, limits…; see `reload` for what a
    /// reload changes).
    pub(crate) cfg: Arc<Config>,
    /// Engine and routing table in force; each request loads it once.
    pub(crate) live: ArcSwap<Live>,
    pub(crate) upstream: upstream::Upstream,
    pub(crate) limits: DecodeLimits,
    /// Counters, read by tests; `stats.metrics` is the Prometheus registry.
    pub stats: Arc<Stats>,
    /// Configured and observed interfaces, for `GET /-/interfaces`.
    pub(crate) inventory: Inventory,
    /// Outcome of the last reload, for the admin API.
    pub(crate) reload: crate::reload::Status,
    /// Set when graceful shutdown starts: `/readyz` then answers 503 so load balancers stop
    /// sending new requests while in-flight ones drain.
    pub(crate) draining: std::sync::atomic::AtomicBool,
    /// What held bodies take together (`limits.max_held_total`).
    pub(crate) held: Arc<crate::body::HeldBudget>,
    /// Set when the drain bound (`listen.shutdown_grace`) passes: every exchange whose
    /// response has not started answers 503 at once (`handle`), and connections whose
    /// responses have started are dropped (`server::serve_one`).
    pub(crate) drain_expired: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    /// Bytes held bodies take now (tests check that every hold gives its share back).
    pub fn held_bytes(&self) -> u64 {
        self.held.used()
    }

    /// Builds the proxy from a validated config.
    ///
    /// # Errors
    /// Rule packs that do not load, unknown class names in actions, TLS files that do not load.
    pub fn build(cfg: Config) -> anyhow::Result<Proxy> {
        let started = std::time::Instant::now();
        let cfg = Arc::new(cfg);
        let held = crate::body::HeldBudget::new(cfg.limits.max_held_total);
        let live = Live::build(cfg.clone()).map_err(anyhow::Error::msg)?;
        let metrics = Arc::new(Metrics::new(
            &cfg.metrics.consumers,
            cfg.metrics.distinct_window,
        ));
        metrics.init_interfaces(live.router.interfaces().map(|i| &i.name));
        if let Some(a) = &live.audit {
            metrics.audit_trail(a.stats());
        }
        let inventory = Inventory::new(
            cfg.admin.as_ref().map_or(1000, |a| a.inventory_cap),
            &Arc::from(cfg.default_interface.name.as_str()),
        );
        inventory.set_configured(&live.configured());
        let reload = crate::reload::Status::default();
        reload.startup(started.elapsed());
        crate::metrics::ReloadFinished {
            trigger: "startup",
            result: "success",
            error: None,
            hash: live.engine.content_hash(),
            rules: live.engine.rules().len(),
            elapsed: started.elapsed(),
        }
        .emit(&metrics);
        let upstream = upstream::Upstream::build(&cfg).map_err(anyhow::Error::msg)?;
        let limits = DecodeLimits {
            max_output: cfg.decode.max_output,
            max_ratio: cfg.decode.max_ratio,
        };
        Ok(Proxy {
            cfg,
            live: ArcSwap::from_pointee(live),
            upstream,
            limits,
            stats: Arc::new(Stats {
                metrics,
                ..Stats::default()
            }),
            inventory,
            reload,
            draining: std::sync::atomic::AtomicBool::new(false),
            held,
            drain_expired: tokio::sync::watch::Sender::new(false),
        })
    }

    /// The engine in force now (a reload may replace it).
    pub fn engine(&self) -> Arc<Engine> {
        self.live.load().engine.clone()
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.stats.metrics
    }

    /// Waits until every audit record queued so far is written (blocking; no-op without an
    /// `audit` section). Shutdown calls it so that the last decisions are not lost.
    pub fn flush_audit(&self) {
        if let Some(a) = &self.live.load().audit {
            a.flush();
        }
    }

    /// Handles one request through every phase. Never fails: errors become problem responses
    /// or, once headers are out, aborted streams.
    pub async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        conn: ConnInfo,
    ) -> Result<Response<ProxyBody>, Infallible> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let live = self.live.load_full();
        let mut req = req;
        // Routed (and forwarded) by the method the upstream will act on: frameworks read
        // `get` as GET, so a lower-case method fell to the default interface past a
        // `method: GET` one.
        if let Some(m) = crate::headers::canonical_method(req.method()) {
            *req.method_mut() = m;
        }
        // Routed (and forwarded) by the path the upstream will read, not its raw spelling.
        let malformed = match crate::headers::normalize_path(req.uri().path()) {
            Ok(None) => None,
            Ok(Some(p)) => {
                let pq = match req.uri().query() {
                    Some(q) => format!("{p}?{q}"),
                    None => p,
                };
                let mut parts = req.uri().clone().into_parts();
                match pq.parse() {
                    Ok(pq) => {
                        parts.path_and_query = Some(pq);
                        if let Ok(u) = http::Uri::from_parts(parts) {
                            *req.uri_mut() = u;
                        }
                        None
                    }
                    Err(_) => Some((http::StatusCode::BAD_REQUEST, "a malformed request target")),
                }
            }
            Err(why) => Some((http::StatusCode::BAD_REQUEST, why)),
        }
        .or_else(|| {
            crate::headers::head_problem(
                req.method(),
                req.version(),
                req.uri().path(),
                req.headers(),
                self.cfg.limits.max_headers,
                self.cfg.limits.max_header_bytes,
            )
        });
        let iface = live.router.route(req.method(), req.uri().path()).clone();
        let configured = !Arc::ptr_eq(&iface, live.router.default_interface());
        let (consumer, rejected) =
            match live.resolver.resolve(req.headers(), conn.identity.as_ref()) {
                Ok(c) => (c, None),
                Err(e) => (live.resolver.anonymous(), Some(e)),
            };
        // The inventory is of the interfaces callers use: a request refused for its head or
        // its credential (a scanner's junk) does not take one of its bounded entries.
        let mut entry = None;
        if rejected.is_none() && malformed.is_none() {
            let observed = self.inventory.observe(
                configured.then_some(&iface.name),
                &iface.name,
                req.method().as_str(),
                req.uri().path(),
            );
            crate::metrics::InventoryObserved {
                templates: observed.templates,
                overflowed: observed.overflowed,
            }
            .emit(&self.stats.metrics);
            entry = Some(observed.entry);
        }
        RequestReceived {
            interface: &iface.name,
            consumer: rejected.is_none().then_some(&*consumer.id),
        }
        .emit(&self.stats.metrics);
        let actions = iface.actions_for(&consumer.id).clone();
        // (A GET's own interface is its path's read interface: no second lookup.)
        let read_iface = if *req.method() == Method::GET {
            iface.clone()
        } else {
            live.router.route(&Method::GET, req.uri().path()).clone()
        };
        let mut request_id = crate::headers::request_id(req.headers());
        // A caller's own id is echoed, logged and audited: it must not carry a value.
        if req
            .headers()
            .get("x-request-id")
            .is_some_and(|v| v.as_bytes() == request_id.as_bytes())
            && !self
                .engine()
                .scan_bytes(
                    request_id.as_bytes(),
                    sluice_rules::ScanOptions {
                        format: sluice_rules::Format::Text,
                        ..Default::default()
                    },
                )
                .findings
                .is_empty()
        {
            request_id = crate::headers::new_request_id();
        }
        // Who is calling: the peer, or whom a trusted proxy in front forwarded for.
        let trusted = &self.cfg.listen.trusted_proxies;
        let from_trusted = crate::headers::is_trusted(conn.remote.ip(), trusted);
        let client = crate::headers::client_ip(conn.remote.ip(), req.headers(), trusted);
        let log = LogRecord {
            request_id: request_id.clone(),
            interface: iface.name.clone(),
            method: req.method().to_string(),
            client,
            peer: conn.remote.ip(),
            identity: if rejected.is_none() {
                Some(consumer.id.to_string())
            } else {
                None
            },
            status: 0,
            upstream_status: None,
            error: None,
            aborted: None,
            completed: false,
            blocked: false,
            bytes_in: 0,
            bytes_out: 0,
            request_findings: None,
            response_findings: None,
            header_findings: None,
            started,
            inventory: entry,
            request_bytes: None,
            audit: live.audit.clone(),
            consumer: rejected.is_none().then(|| consumer.clone()),
            declared_grade: iface
                .scope_rank()
                .and(iface.grade.as_ref().map(|g| g.0.clone())),
        };
        let mut ctx = Ctx {
            request_id,
            iface,
            method: req.method().clone(),
            conn,
            client,
            from_trusted,
            deadline: started + self.cfg.timeouts.total,
            log: Some(log),
            upgrade: None,
            live,
            consumer,
            rejected,
            actions,
            read_iface,
            early: None,
            malformed,
            if_none_match: None,
            held_request: None,
            upstream_h2: false,
            client_http1: req.version() <= http::Version::HTTP_11,
            client_te_trailers: crate::headers::accepts_trailers(req.headers()),
        };
        // At the drain bound an exchange still waiting (on the upstream, or on the request
        // body) is abandoned with a proper answer rather than an empty reply when the
        // connection goes: its response head has not been sent, so it still can be.
        let mut expired = self.drain_expired.subscribe();
        let r = tokio::select! {
            r = self.exchange(&mut ctx, req) => r,
            Ok(_) = expired.wait_for(|e| *e) => Err(shutting_down()),
        };
        match r {
            Ok(resp) => Ok(resp),
            Err(e) => Ok(self.problem(&mut ctx, &e)),
        }
    }

    /// Whether the drain bound has passed (see [`Proxy::drain_expired`]).
    pub(crate) fn drain_expired(&self) -> bool {
        *self.drain_expired.borrow()
    }

    async fn exchange(
        &self,
        ctx: &mut Ctx,
        req: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, ProxyError> {
        let http1 = req.version() <= http::Version::HTTP_11;
        let req = request_filter::run(self, ctx, req)?;
        let req = request_body_filter::run(self, ctx, req).await?;
        let resp = upstream::run(self, ctx, req).await?;
        let (parts, body, mode) = response_filter::run(self, ctx, resp)?;
        let mut resp = response_body_filter::run(self, ctx, parts, body, mode).await?;
        if http1 {
            resp.body_mut().reset_on_abort(ctx.conn.reset.clone());
        }
        Ok(resp)
    }

    /// Turns an error into a problem+json response (headers not yet sent).
    fn problem(&self, ctx: &mut Ctx, e: &ProxyError) -> Response<ProxyBody> {
        match e.origin {
            crate::error::Origin::Internal => tracing::error!(request_id = %ctx.request_id, "{e}"),
            crate::error::Origin::Upstream => tracing::warn!(request_id = %ctx.request_id, "{e}"),
            _ => tracing::debug!(request_id = %ctx.request_id, "{e}"),
        }
        let r = ctx
            .early
            .take()
            .unwrap_or_else(|| e.to_response(&ctx.request_id, &ctx.iface.name));
        let (parts, body) = r.into_parts();
        let guard = ctx.log.take().map(|mut l| {
            l.status = parts.status.as_u16();
            l.blocked = matches!(
                e.kind,
                crate::error::Kind::Blocked { .. } | crate::error::Kind::OverScope { .. }
            );
            if !l.blocked {
                l.error = Some((e.origin.as_str(), e.kind_str()));
            }
            l.bytes_out = body.len() as u64;
            l.completed = true;
            LogGuard::new(l, self.stats.clone())
        });
        Response::from_parts(parts, ProxyBody::full(body, guard))
    }

    fn guard(&self, ctx: &mut Ctx, status: u16) -> Option<LogGuard> {
        ctx.log.take().map(|mut l| {
            l.status = status;
            LogGuard::new(l, self.stats.clone())
        })
    }
}

/// Why reading a body stopped early.
#[derive(Debug)]
pub(crate) enum ReadError {
    Idle,
    Deadline,
    Body(hyper::Error),
    /// An HTTP/2 stream reset before its end ([`crate::body::cut_short`]).
    Cut,
}

/// Reads the next frame with the idle timeout and the exchange deadline (`h2`: the body
/// comes over HTTP/2, where a reset may end it as if it were whole).
pub(crate) async fn read_frame(
    body: &mut Incoming,
    h2: bool,
    idle: Duration,
    deadline: Instant,
) -> Result<Option<Frame<Bytes>>, ReadError> {
    let idle_at = Instant::now() + idle;
    let (at, is_idle) = if idle_at < deadline {
        (idle_at, true)
    } else {
        (deadline, false)
    };
    match tokio::time::timeout_at(at, body.frame()).await {
        Err(_) => Err(if is_idle {
            ReadError::Idle
        } else {
            ReadError::Deadline
        }),
        Ok(None) if crate::body::cut_short(body, h2) => Err(ReadError::Cut),
        Ok(None) => Ok(None),
        Ok(Some(Err(e))) => Err(ReadError::Body(e)),
        Ok(Some(Ok(f))) => Ok(Some(f)),
    }
}
