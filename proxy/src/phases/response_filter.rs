//! Phase 4, response filter: the upstream's response head.
//!
//! Contract: gets the upstream response (body not yet read); strips hop-by-hop headers, sets
//! `x-request-id`, and decides the body's [`Mode`]:
//! - [`Mode::Pass`]: no inspection (no body, interface not inspected, allow-only policy,
//!   skipped content type, a coding that cannot be decoded when failing open), streamed as is;
//! - [`Mode::Hold`]: read the body before answering. `hard` when a class may block the
//!   message, so no byte leaves before the decision is certain (up to the interface's
//!   `hold_cap`); soft for small bodies with a known length, so `Content-Length` and, for
//!   clean compressed bodies, the exact upstream bytes are kept;
//! - [`Mode::Stream`]: filter frame by frame as the client reads;
//! - [`Mode::NoBody`]: an answer that has no body (`HEAD`, 204, 304): sent without one,
//!   whatever the upstream sent after its head;
//! - [`Mode::NotModified`]: a 304 answered here, when the client's `If-None-Match` names the
//!   validator this proxy gave it (the origin's validators are replaced on inspected
//!   interfaces: `headers::rekey_validators`).
//!
//! A 101 (Switching Protocols) answer to an allowed WebSocket upgrade starts the tunnel here.
//! An unknown `Content-Encoding` fails closed (502) unless `decode.unknown_encoding: open`.

use http::header;
use http::response::Parts;
use http::{HeaderValue, Response, StatusCode, Version};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use super::request_body_filter::fail_mode;
use super::{Ctx, Proxy};
use crate::audit::Direction;
use crate::codec::Encoding;
use crate::config::FailMode;
use crate::error::{Kind, ProxyError};
use crate::headers;

/// How the response body is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Pass,
    Hold {
        hard: bool,
        codings: Vec<Encoding>,
    },
    Stream {
        codings: Vec<Encoding>,
    },
    Upgrade,
    /// A 304 answered here: the client's `If-None-Match` names the validator this proxy
    /// gave it; the origin's body is dropped unread.
    NotModified,
    /// An answer that has no body (to a `HEAD`, a 204, a 304): whatever the upstream sent
    /// after the head is dropped unread. HTTP/1.1 frames such answers without a body, but an
    /// HTTP/2 upstream can still send DATA frames after them, which would otherwise pass
    /// uninspected.
    NoBody,
}

/// Runs the phase.
///
/// # Errors
/// A content coding the proxy cannot inspect, when failing closed (502).
pub fn run(
    proxy: &Proxy,
    ctx: &mut Ctx,
    mut resp: Response<Incoming>,
) -> Result<(Parts, Incoming, Mode), ProxyError> {
    if let Some(l) = ctx.log.as_mut() {
        l.upstream_status = Some(resp.status().as_u16());
    }
    // The upstream's reason phrase is sent on as the status's own (hyper keeps a non-standard
    // one in this extension and writes it back): it is free text no rule reads
    // (`200 mobile 13800138000`, a servlet's `sendError(code, message)`).
    resp.extensions_mut().remove::<hyper::ext::ReasonPhrase>();
    // HTTP's status codes run from 100 to 599 (RFC 9110 §15); hyper parses any three
    // digits. A client may read `999` as anything: it is an upstream fault.
    if resp.status().as_u16() > 599 {
        return Err(ProxyError::upstream(
            Kind::UpstreamProtocol,
            format!("status {} is no HTTP status", resp.status().as_u16()),
        ));
    }
    // The proxy asks for no range of an inspected response (`Range` and its older names
    // are removed from the request): a part of a body the upstream sends anyway is no body
    // the scanner can judge, and parts asked for one by one, or the several parts of one
    // `multipart/byteranges` answer, would put a blocked value back together.
    if resp.status() == StatusCode::PARTIAL_CONTENT && ctx.iface.inspect_responses {
        return Err(ProxyError::upstream(
            Kind::UpstreamProtocol,
            "206 partial content, which the proxy did not ask for",
        ));
    }
    // A transfer coding other than chunked (`deflate, chunked`) is framing hyper does not
    // undo: what it hands on would be the coded bytes, read by no rule and decoded by the
    // client. Such responses are refused; the header itself is hop-by-hop and goes.
    if let Some(t) = headers::other_transfer_coding(resp.headers()) {
        return Err(ProxyError::upstream(
            Kind::UnknownEncoding,
            format!("unsupported transfer coding {t}"),
        ));
    }
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        let Some(down) = ctx.upgrade.take() else {
            return Err(ProxyError::upstream(
                Kind::UpstreamProtocol,
                "101 without an upgrade request",
            ));
        };
        // The request asked for WebSocket (the request filter passes nothing else); a switch
        // to another protocol is not what the interface allows.
        let websocket = resp
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
        if !websocket {
            return Err(ProxyError::upstream(
                Kind::UpstreamProtocol,
                "101 switching to another protocol than the WebSocket asked for",
            ));
        }
        let up = hyper::upgrade::on(&mut resp);
        let (mut parts, body) = resp.into_parts();
        // The tunnel's frames are not inspected; the answer's header fields are, like any
        // response's, before the switch is let through.
        scan_headers(proxy, ctx, &mut parts)?;
        if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
            parts.headers.insert("x-request-id", v);
        }
        let rid = ctx.request_id.clone();
        tokio::spawn(async move {
            match tokio::try_join!(down, up) {
                Ok((d, u)) => {
                    let (mut d, mut u) = (TokioIo::new(d), TokioIo::new(u));
                    if let Err(e) = tokio::io::copy_bidirectional(&mut d, &mut u).await {
                        tracing::debug!(request_id = %rid, "upgraded tunnel closed: {e}");
                    }
                }
                Err(e) => tracing::debug!(request_id = %rid, "upgrade failed: {e}"),
            }
        });
        parts.version = Version::HTTP_11;
        return Ok((parts, body, Mode::Upgrade));
    }
    let (mut parts, body) = resp.into_parts();
    ctx.upstream_h2 = parts.version == Version::HTTP_2;
    parts.version = Version::HTTP_11;
    headers::strip_hop_by_hop(&mut parts.headers);
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        parts.headers.insert("x-request-id", v);
    }
    let no_body = ctx.method == http::Method::HEAD
        || parts.status.is_informational()
        || parts.status == StatusCode::NO_CONTENT
        || parts.status == StatusCode::NOT_MODIFIED;
    let skipped = ctx.iface.skips(headers::content_type(&parts.headers));
    let iface = &ctx.iface;
    let limits = ctx.live.limiter.has_response_limits(&iface.name);
    let inspect = ctx.actions.any_inspect() || iface.scope_rank().is_some() || limits;
    scan_headers(proxy, ctx, &mut parts)?;
    let iface = &ctx.iface;
    if parts.status == StatusCode::NO_CONTENT {
        // A 204 has no body, so no length either (RFC 9110 §8.6).
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    // Ranges are never asked of the origin on an interface whose responses are inspected
    // (the request filter drops `Range`): a client must not be told it may ask.
    if iface.inspect_responses && parts.headers.contains_key(header::ACCEPT_RANGES) {
        parts
            .headers
            .insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
    }
    if ctx.rekeys_validators() {
        // What the origin computed over the unredacted body never reaches the client. Its
        // tag is sealed under what decides the body sent (`Ctx::tag_seal`), so that a
        // conditional write can be given it back (`request_filter`).
        let seal = ctx.tag_seal();
        headers::rekey_validators(&mut parts.headers, |etag| seal.seal(etag));
    }
    // Whatever this consumer's own actions (all `allow` leaves its view uninspected), the
    // interface gives consumers different views: none is a shared cache's to keep.
    if iface.inspect_responses && !iface.consumer_actions.is_empty() {
        headers::private_cache(&mut parts.headers);
    }
    if ctx.method == http::Method::HEAD && iface.inspect_responses && inspect && !skipped {
        // The head of what a GET would get: that body may be redacted, so its length is not
        // known in advance (as the GET's own answer says).
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    if parts.status == StatusCode::OK
        && matches!(ctx.method, http::Method::GET | http::Method::HEAD)
        && ctx
            .if_none_match
            .as_ref()
            .is_some_and(|inm| headers::not_modified(inm, &parts.headers))
    {
        parts.status = StatusCode::NOT_MODIFIED;
        for h in [
            header::CONTENT_LENGTH,
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
        ] {
            parts.headers.remove(h);
        }
        return Ok((parts, body, Mode::NotModified));
    }
    if no_body {
        return Ok((parts, body, Mode::NoBody));
    }
    if !iface.inspect_responses || !inspect {
        return Ok((parts, body, Mode::Pass));
    }
    // `audit.on_failure: block` with the sink known to be failing: an inspected response may
    // end in an audited decision (redaction, block, over-scope) whose record is written once
    // the body is done, too late to refuse. Refuse now, before any byte goes out.
    if ctx.live.audit.as_ref().is_some_and(|a| a.refuse_decision()) {
        return Err(Ctx::audit_refused());
    }
    let codings = match headers::inspectable_codings(&parts.headers) {
        Ok(c) => c,
        Err(e) => match proxy.cfg.decode.unknown_encoding {
            FailMode::Closed => {
                let _ = fail_mode(
                    proxy,
                    ctx,
                    Direction::Response,
                    "closed",
                    "unknown_encoding",
                );
                return Err(ProxyError::upstream(Kind::UnknownEncoding, e.to_string()));
            }
            FailMode::Open => {
                fail_mode(proxy, ctx, Direction::Response, "open", "unknown_encoding")?;
                tracing::warn!(request_id = %ctx.request_id, "response passed uninspected: {e}");
                return Ok((parts, body, Mode::Pass));
            }
        },
    };
    // Hard hold: a class that blocks, an over-scope grade that blocks, or a quota that can
    // refuse the response once its size and findings are known.
    let may_refuse = ctx.actions.any_block() || iface.over_scope_blocks() || limits;
    // A type the interface skips is trusted only as far as its bytes bear it out: the
    // filter scans it if it starts as text (`BodyFilter::skip_binary`). A real image or
    // video must not wait for a decision, nor overflow a hold: streamed, or, where a
    // finding may refuse the message, held only until its first bytes show it binary
    // (text under `image/svg+xml` or a false `image/png` is held as any text is).
    if skipped && !may_refuse {
        return Ok((parts, body, Mode::Stream { codings }));
    }
    if may_refuse {
        return Ok((
            parts,
            body,
            Mode::Hold {
                hard: true,
                codings,
            },
        ));
    }
    if headers::content_length(&parts.headers)
        .is_some_and(|n| n <= proxy.cfg.limits.small_body_hold)
    {
        return Ok((
            parts,
            body,
            Mode::Hold {
                hard: false,
                codings,
            },
        ));
    }
    Ok((parts, body, Mode::Stream { codings }))
}

/// Scans the response's header values with the body's policy, on every response the
/// interface inspects (bodiless ones and a WebSocket's 101 included): values are redacted in
/// place, a blocking finding refuses the response, and what was found counts against the
/// consumer's quotas like a body's.
///
/// # Errors
/// A blocking finding (403) or a quota the values exhaust.
fn scan_headers(proxy: &Proxy, ctx: &mut Ctx, parts: &mut Parts) -> Result<(), ProxyError> {
    let iface = &ctx.iface;
    let limits = ctx.live.limiter.has_response_limits(&iface.name);
    let inspect = ctx.actions.any_inspect() || iface.scope_rank().is_some() || limits;
    if !(iface.inspect_responses && inspect) {
        return Ok(());
    }
    // Header values carry values as bodies do (`X-Owner-Id`, a `Location` query, a
    // `Content-Disposition` file name), on every response, bodiless ones included.
    let mut found = crate::filter::FindingSummary::default();
    let mut fps = Vec::new();
    if let Some(f) = crate::filter::scan_header_values(
        &ctx.live.engine,
        &ctx.actions,
        proxy.limits,
        &mut parts.headers,
        &mut found,
        &mut fps,
    ) {
        return Err(super::request_body_filter::blocked(ctx, &f));
    }
    if found.total() > 0 || found.changed {
        if let Some(l) = ctx.log.as_mut() {
            l.header_findings = Some(found);
        }
    }
    // The values in the header count against the findings and distinct-value quotas
    // like a body's, and can still be refused: no byte has gone out.
    if limits && !fps.is_empty() {
        let d = ctx.live.limiter.record_response_fps(
            &iface.name,
            &ctx.consumer.id,
            0,
            &fps,
            tokio::time::Instant::now(),
            true,
        );
        super::request_filter::limited(ctx, &d, crate::audit::Direction::Response, 0)?;
    }
    Ok(())
}
