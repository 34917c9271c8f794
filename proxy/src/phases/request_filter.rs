//! Phase 1, request filter: everything decided from the request head alone.
//!
//! Contract: gets the client's request and the routed interface (in [`Ctx`]); returns the
//! request with hop-by-hop headers removed, forwarding headers and `x-request-id` set, or a
//! [`ProxyError`] that is answered without contacting the upstream. Protocol upgrades
//! (WebSocket) are allowed only on interfaces with `websocket: true`; they are tunnelled
//! uninspected, because frames of an upgraded connection are not HTTP bodies.

use http::header::{self, HeaderValue};
use http::{Request, StatusCode};
use hyper::body::Incoming;

use super::{Ctx, Proxy};
use crate::audit::{Direction, EventKind};
use crate::config::Sharing;
use crate::error::{Kind, Origin, ProxyError};
use crate::headers;
use crate::limits::Verdict;

/// Policy on the request head: the caller's identity (401), the interface's sharing type
/// (403), then the request rates and spent quotas (429 with `Retry-After`, or 403). Each
/// refusal, and every limit that fired, gets an audit record.
fn admit(proxy: &Proxy, ctx: &mut Ctx) -> Result<(), ProxyError> {
    if let Some(e) = ctx.rejected.clone() {
        let _ = ctx.audit(EventKind::IdentityRejected, 401, "reject", |mut ev| {
            ev.identity = e.method;
            ev.with_reason(e.reason_str())
        });
        ctx.early = Some(e.to_response(&ctx.request_id, &ctx.iface.name));
        return Err(ProxyError::client(
            Kind::Unauthenticated,
            StatusCode::UNAUTHORIZED,
            e.to_string(),
        ));
    }
    if !ctx.iface.allows(&ctx.consumer.id) {
        let sharing = ctx.iface.sharing;
        let _ = ctx.audit(EventKind::NotAuthorized, 403, "refuse", |ev| {
            ev.with_reason(sharing.as_str())
        });
        let detail = match sharing {
            Sharing::NotShared => format!("interface `{}` is not shared", ctx.iface.name),
            _ => format!(
                "interface `{}` is shared with listed consumers only",
                ctx.iface.name
            ),
        };
        tracing::warn!(
            request_id = %ctx.request_id,
            interface = %ctx.iface.name,
            consumer = %ctx.consumer.id,
            sharing = sharing.as_str(),
            "call to an interface not shared with the consumer"
        );
        return Err(ProxyError::new(
            Origin::Policy,
            Kind::NotAuthorized,
            StatusCode::FORBIDDEN,
            detail,
        ));
    }
    let limiter = &ctx.live.limiter;
    if !limiter.has_limits(&ctx.iface.name) {
        return Ok(());
    }
    let d = limiter.check_request(
        &ctx.iface.name,
        &ctx.consumer.id,
        tokio::time::Instant::now(),
    );
    crate::metrics::RateLimitDecided {
        interface: &ctx.iface.name,
        limited: !d.is_allowed(),
    }
    .emit(&proxy.stats.metrics);
    limited(ctx, &d, Direction::Request, 0)
}

/// Audits a limiter decision and turns a refusal into the error (with its 429/403 answer).
pub(crate) fn limited(
    ctx: &mut Ctx,
    d: &crate::limits::Decision,
    dir: Direction,
    bytes: u64,
) -> Result<(), ProxyError> {
    if !d.fired() {
        return Ok(());
    }
    let (status, action) = match d.verdict {
        Verdict::Allow => (0, "alert"),
        Verdict::Throttle { .. } => (429, "throttle"),
        Verdict::Block => (403, "block"),
    };
    let recorded = ctx.audit(EventKind::Limited, status, action, |mut ev| {
        ev.direction = Some(dir);
        ev.with_limits(d).with_bytes(bytes, None)
    });
    match d.to_response(&ctx.request_id, &ctx.iface.name) {
        None => recorded.map_err(|_| Ctx::audit_refused()),
        Some(r) => {
            let status = r.status();
            ctx.early = Some(r);
            Err(ProxyError::new(
                Origin::Policy,
                Kind::Limited,
                status,
                "rate limit or quota exceeded",
            ))
        }
    }
}

/// Puts the origin's tags back into a write's `If-Match` and `If-None-Match` in place of the
/// proxy's (see the comment at the call).
///
/// # Errors
/// An `If-Match` none of whose tags opens (412), without asking the origin: forwarded, a
/// guessed origin tag would make the origin answer whether the guess was right.
fn open_write_conditions(ctx: &Ctx, h: &mut http::HeaderMap) -> Result<(), ProxyError> {
    use crate::etag::{open_condition, Opened};
    let seal = ctx.tag_seal();
    let malformed = |name: &header::HeaderName| {
        ProxyError::client(
            Kind::BadRequest,
            StatusCode::BAD_REQUEST,
            format!("{name}: `*` stands alone, not in a list of entity tags"),
        )
    };
    match open_condition(h, &header::IF_MATCH, &seal) {
        Opened::Origin(v) => {
            h.insert(header::IF_MATCH, v);
        }
        Opened::Nothing => {
            return Err(ProxyError::client(
                Kind::PreconditionFailed,
                StatusCode::PRECONDITION_FAILED,
                "If-Match names no entity tag this proxy gave for the resource under the \
                 rules and policy in force; read it again for a current one",
            ));
        }
        Opened::Malformed => return Err(malformed(&header::IF_MATCH)),
        Opened::Absent | Opened::Any => {}
    }
    match open_condition(h, &header::IF_NONE_MATCH, &seal) {
        Opened::Origin(v) => {
            h.insert(header::IF_NONE_MATCH, v);
        }
        Opened::Nothing => {
            h.remove(header::IF_NONE_MATCH);
        }
        Opened::Malformed => return Err(malformed(&header::IF_NONE_MATCH)),
        Opened::Absent | Opened::Any => {}
    }
    Ok(())
}

/// Runs the phase.
///
/// # Errors
/// An upgrade on an interface that does not allow it (403).
pub fn run(
    proxy: &Proxy,
    ctx: &mut Ctx,
    mut req: Request<Incoming>,
) -> Result<Request<Incoming>, ProxyError> {
    if let Some((status, why)) = ctx.malformed.take() {
        return Err(ProxyError::client(Kind::BadRequest, status, why));
    }
    admit(proxy, ctx)?;
    // A transfer coding besides chunked (`gzip, chunked`) is framing hyper does not undo:
    // the body would reach the filter, and the upstream, still coded (RFC 9112 §6.1: 501).
    if let Some(t) = headers::other_transfer_coding(req.headers()) {
        return Err(ProxyError::client(
            Kind::UnknownEncoding,
            StatusCode::NOT_IMPLEMENTED,
            format!("unsupported transfer coding {t}"),
        ));
    }
    let upgrade = headers::wants_upgrade(req.headers());
    let upgrade_value = req.headers().get(header::UPGRADE).cloned();
    if upgrade {
        // Only WebSocket is passed (uninspected): `h2c` or a made-up token would open a
        // tunnel of anything past every filter of the interface.
        let websocket = upgrade_value
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
        if ctx.iface.websocket && !websocket {
            return Err(ProxyError::client(
                Kind::BadRequest,
                StatusCode::FORBIDDEN,
                format!(
                    "only a WebSocket upgrade is allowed on interface `{}`",
                    ctx.iface.name
                ),
            ));
        }
        if !ctx.iface.websocket {
            return Err(ProxyError::client(
                Kind::BadRequest,
                StatusCode::FORBIDDEN,
                format!(
                    "protocol upgrade is not allowed on interface `{}`",
                    ctx.iface.name
                ),
            ));
        }
        ctx.upgrade = Some(hyper::upgrade::on(&mut req));
    }
    let original_host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let h = req.headers_mut();
    let trailers = headers::accepts_trailers(h);
    headers::strip_hop_by_hop(h);
    // `TE` is this hop's, but the proxy takes trailers on its own hop too (and passes them
    // on, inspected): the upstream may send them when the client asked for them.
    if trailers {
        h.insert(header::TE, http::HeaderValue::from_static("trailers"));
    }
    headers::join_cookies(h);
    for o in headers::METHOD_OVERRIDES {
        h.remove(o);
    }
    // A part of a response is no body the scanner can judge: ranges of one inspected
    // response, asked for one by one, would put a blocked value back together.
    if ctx.iface.inspect_responses {
        h.remove(header::RANGE);
        h.remove(header::IF_RANGE);
        // HTTP/1.0's name for it, which Apache httpd still honours when `Range` is absent.
        h.remove("request-range");
        // The origin's validators are digests of the unredacted body (an MD5 `ETag`), so
        // they never reach the client (`headers::rekey_validators`), and a condition on them
        // must not reach the origin either: a 304 or a 412 would confirm a guessed value,
        // even where the body itself is blocked. On a read, `If-None-Match` is answered here
        // against the validator the client was given; the others go: `If-Match` has nothing
        // to protect, and a date condition would let the origin answer 304 for a copy
        // redacted under older rules. On a write, the client's tags are the origin's sealed
        // (`etag::TagSeal`): those that open under the rules, policy, interface and consumer
        // in force go to the origin as the origin wrote them, so a read-then-write with
        // `If-Match` works; the rest (stale, or guessed digests) never reach it. An
        // `If-Match` with none left is answered 412 here, an `If-None-Match` with none left
        // goes (no tag that did not open names the current representation), and `*` passes
        // (`If-None-Match: *` creates only). Date conditions stay, as before.
        if matches!(ctx.method, http::Method::GET | http::Method::HEAD) {
            ctx.if_none_match = h.remove(header::IF_NONE_MATCH);
            for c in [
                header::IF_MATCH,
                header::IF_MODIFIED_SINCE,
                header::IF_UNMODIFIED_SINCE,
            ] {
                h.remove(c);
            }
        }
    }
    // A write's tags came from the reads of its path, which may be another interface's
    // (`person_read`, `person_write`): they are the proxy's when those reads' are.
    if !matches!(ctx.method, http::Method::GET | http::Method::HEAD) && ctx.reads_rekeyed() {
        open_write_conditions(ctx, h)?;
    }
    if let (true, Some(v)) = (upgrade, upgrade_value) {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.insert(header::UPGRADE, v);
    }
    let proto = if ctx.conn.tls { "https" } else { "http" };
    headers::add_forwarded(
        h,
        ctx.conn.remote.ip(),
        proto,
        original_host.as_deref(),
        ctx.from_trusted,
    );
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        h.insert("x-request-id", v);
    }
    if !proxy.cfg.upstream.preserve_host {
        h.remove(header::HOST);
    }
    if let Some(id) = &ctx.conn.identity {
        req.extensions_mut().insert(id.clone());
    }
    Ok(req)
}
