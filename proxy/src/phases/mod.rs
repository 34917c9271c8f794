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

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sluice_rules::Engine;
use tokio::time::Instant;

use crate::body::ProxyBody;
use crate::codec::DecodeLimits;
use crate::config::Config;
use crate::error::ProxyError;
use crate::interface::{Interface, Router};
use crate::policy::Actions;
use crate::tls::ClientIdentity;
use logging::{LogGuard, LogRecord, Stats};

/// Facts about the downstream connection, from the server layer.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub remote: SocketAddr,
    pub tls: bool,
    pub identity: Option<ClientIdentity>,
}

/// Per-request state shared by the phases.
pub struct Ctx {
    pub request_id: String,
    pub iface: Arc<Interface>,
    pub method: Method,
    pub conn: ConnInfo,
    pub deadline: Instant,
    pub log: Option<LogRecord>,
    /// The downstream side of an allowed protocol upgrade.
    pub upgrade: Option<hyper::upgrade::OnUpgrade>,
}

/// The proxy: configuration, engine, routing table and upstream client, shared by all
/// connections.
pub struct Proxy {
    pub(crate) cfg: Arc<Config>,
    pub(crate) engine: Arc<Engine>,
    pub(crate) router: Router,
    pub(crate) upstream: upstream::Upstream,
    pub(crate) limits: DecodeLimits,
    /// Counters, read by tests and (later) the metrics endpoint.
    pub stats: Arc<Stats>,
}

impl Proxy {
    /// Builds the proxy from a validated config.
    ///
    /// # Errors
    /// Rule packs that do not load, unknown class names in actions, TLS files that do not load.
    pub fn build(cfg: Config) -> anyhow::Result<Proxy> {
        let engine = Arc::new(
            crate::policy::build_engine(&cfg.rules).map_err(|e| anyhow::anyhow!("rules: {e}"))?,
        );
        let classes: Vec<String> = engine.classes().iter().map(|c| c.to_string()).collect();
        let grades = crate::policy::grade_names(&cfg.rules);
        let problems = cfg.validate_against(&classes, &grades);
        if let Some((k, m)) = problems.first() {
            anyhow::bail!("key `{k}`: {m}");
        }
        let global = Arc::new(Actions::resolve(&engine, &cfg.actions, None));
        let router = Router::build(&cfg, &global, &engine).map_err(anyhow::Error::msg)?;
        let upstream = upstream::Upstream::build(&cfg).map_err(anyhow::Error::msg)?;
        let limits = DecodeLimits {
            max_output: cfg.decode.max_output,
            max_ratio: cfg.decode.max_ratio,
        };
        Ok(Proxy {
            cfg: Arc::new(cfg),
            engine,
            router,
            upstream,
            limits,
            stats: Arc::new(Stats::default()),
        })
    }

    /// The engine in use.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
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
        let iface = self.router.route(req.method(), req.uri().path()).clone();
        let request_id = crate::headers::request_id(req.headers());
        let log = LogRecord {
            request_id: request_id.clone(),
            interface: iface.name.clone(),
            method: req.method().to_string(),
            client: conn.remote.ip().to_string(),
            identity: conn.identity.as_ref().and_then(|i| i.common_name.clone()),
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
            started,
        };
        let mut ctx = Ctx {
            request_id,
            iface,
            method: req.method().clone(),
            conn,
            deadline: started + self.cfg.timeouts.total,
            log: Some(log),
            upgrade: None,
        };
        match self.exchange(&mut ctx, req).await {
            Ok(resp) => Ok(resp),
            Err(e) => Ok(self.problem(&mut ctx, &e)),
        }
    }

    async fn exchange(
        &self,
        ctx: &mut Ctx,
        req: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, ProxyError> {
        let req = request_filter::run(self, ctx, req)?;
        let req = request_body_filter::run(self, ctx, req).await?;
        let resp = upstream::run(self, ctx, req).await?;
        let (parts, body, mode) = response_filter::run(self, ctx, resp)?;
        response_body_filter::run(self, ctx, parts, body, mode).await
    }

    /// Turns an error into a problem+json response (headers not yet sent).
    fn problem(&self, ctx: &mut Ctx, e: &ProxyError) -> Response<ProxyBody> {
        match e.origin {
            crate::error::Origin::Internal => tracing::error!(request_id = %ctx.request_id, "{e}"),
            crate::error::Origin::Upstream => tracing::warn!(request_id = %ctx.request_id, "{e}"),
            _ => tracing::debug!(request_id = %ctx.request_id, "{e}"),
        }
        let r = e.to_response(&ctx.request_id, &ctx.iface.name);
        let (parts, body) = r.into_parts();
        let guard = ctx.log.take().map(|mut l| {
            l.status = parts.status.as_u16();
            l.blocked = matches!(e.kind, crate::error::Kind::Blocked { .. });
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
}

/// Reads the next frame with the idle timeout and the exchange deadline.
pub(crate) async fn read_frame(
    body: &mut Incoming,
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
        Ok(None) => Ok(None),
        Ok(Some(Err(e))) => Err(ReadError::Body(e)),
        Ok(Some(Ok(f))) => Ok(Some(f)),
    }
}
