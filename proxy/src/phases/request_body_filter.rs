//! Phase 2, request body filter: what a client sends is inspected like what it receives.
//!
//! Contract: gets the filtered request; returns a request whose body is either
//! - held whole (up to the interface's `max_request_body`), decoded, scanned and redacted,
//!   with `Content-Length` fixed — forwarded byte-identical when nothing was changed, and
//!   without the client's digests of its body when something was; its trailers are
//!   inspected with the body (a blocked class there refuses it) and not forwarded, and
//!   `Trailer` no longer announces them; or
//! - streamed uninspected (inspection off, an allow-only policy, a skipped content type, an
//!   upgrade), still cut off at the cap.
//!
//! Request bodies are held rather than streamed because a blocked upload must never reach the
//! upstream, and upstream APIs expect a complete body anyway. Errors answered here: 413 (too
//! large, or a compression bomb: `decode.request_bomb_status`), 415 (coding that cannot be
//! inspected, when failing closed), 400 (corrupt coding), 408 (client too slow), the block
//! status (policy).

use bytes::Bytes;
use http::header;
use http::{Request, StatusCode};
use hyper::body::Incoming;

use super::{read_frame, Ctx, Proxy, ReadError};
use crate::audit::{Direction, EventKind};
use crate::body::ReqBody;
use crate::config::FailMode;
use crate::error::{Kind, Origin, ProxyError};
use crate::filter::{BodyFilter, FilterError};
use crate::headers;

/// Runs the phase.
///
/// # Errors
/// See the module documentation.
pub async fn run(
    proxy: &Proxy,
    ctx: &mut Ctx,
    req: Request<Incoming>,
) -> Result<Request<ReqBody>, ProxyError> {
    let (mut parts, mut body) = req.into_parts();
    let h2 = parts.version == http::Version::HTTP_2;
    let cap = ctx.iface.max_request_body;
    if http_body::Body::is_end_stream(&body) {
        // No body, so no trailers either: nothing to announce.
        parts.headers.remove(header::TRAILER);
        return Ok(Request::from_parts(parts, ReqBody::empty()));
    }
    if headers::content_length(&parts.headers).is_some_and(|n| n > cap) {
        return Err(too_large(cap));
    }
    let ct = headers::content_type(&parts.headers).map(str::to_string);
    // A skipped type is the sender's label: the filter scans the body if its first bytes
    // are text (`BodyFilter::skip_binary`), so `image/png` on JSON hides nothing.
    let inspect = ctx.iface.inspect_requests && ctx.actions.any_inspect() && ctx.upgrade.is_none();
    let codings = headers::inspectable_codings(&parts.headers);
    let codings = match codings {
        Ok(c) => c,
        Err(e) if inspect => match proxy.cfg.decode.unknown_encoding {
            FailMode::Closed => {
                let _ = fail_mode(proxy, ctx, Direction::Request, "closed", "unknown_encoding");
                return Err(ProxyError::client(
                    Kind::UnknownEncoding,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    e,
                ));
            }
            FailMode::Open => {
                fail_mode(proxy, ctx, Direction::Request, "open", "unknown_encoding")?;
                tracing::warn!(request_id = %ctx.request_id, "request body passed uninspected: {e}");
                return Ok(Request::from_parts(
                    parts,
                    ReqBody::Stream {
                        inner: body,
                        remaining: cap,
                        h2,
                    },
                ));
            }
        },
        Err(_) => Vec::new(),
    };
    if !inspect {
        if let (Some(l), Some(n)) = (ctx.log.as_mut(), headers::content_length(&parts.headers)) {
            l.request_bytes = Some((n, n));
        }
        return Ok(Request::from_parts(
            parts,
            ReqBody::Stream {
                inner: body,
                remaining: cap,
                h2,
            },
        ));
    }
    let mut filter = BodyFilter::new(
        ctx.live.engine.clone(),
        ctx.actions.clone(),
        ct.as_deref(),
        &codings,
        proxy.limits,
    )
    .map_err(|e| ProxyError::internal(e.to_string()))?
    .count_distinct(proxy.stats.metrics.clone(), ctx.iface.name.clone())
    .skip_binary(ctx.iface.skips(ct.as_deref()))
    .archives(
        proxy.cfg.decode.max_archive,
        proxy.cfg.decode.unreadable_archive == FailMode::Open,
    );
    let mut raw: Vec<u8> = Vec::new();
    let mut out: Vec<u8> = Vec::new();
    // The decoders' windows are held memory too: a brotli upload may make its decoder take
    // 16 MiB, and many stalled ones would take the process's memory past `max_held_total`.
    let mut windows = 0u64;
    let mut trailers = None;
    loop {
        let frame = match read_frame(&mut body, h2, ctx.iface.idle_timeout, ctx.deadline).await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(ReadError::Idle | ReadError::Deadline) => {
                return Err(ProxyError::client(
                    Kind::BadRequest,
                    StatusCode::REQUEST_TIMEOUT,
                    "request body not received in time",
                ))
            }
            Err(ReadError::Body(e)) => {
                return Err(ProxyError::client(
                    Kind::BadRequest,
                    StatusCode::BAD_REQUEST,
                    format!("request body: {e}"),
                ))
            }
            Err(ReadError::Cut) => {
                return Err(ProxyError::client(
                    Kind::BadRequest,
                    StatusCode::BAD_REQUEST,
                    "request body: the stream was reset before its end",
                ))
            }
        };
        let data = match frame.into_data() {
            Ok(d) => d,
            Err(f) => {
                if let Ok(t) = f.into_trailers() {
                    trailers = Some(t);
                }
                continue;
            }
        };
        if raw.len() as u64 + data.len() as u64 > cap {
            return Err(too_large(cap));
        }
        // The raw copy and the filter's output (`HOLD_FACTOR`).
        if !proxy.held.reserve(
            &mut ctx.held_request,
            crate::body::HOLD_FACTOR * data.len() as u64,
        ) {
            return Err(super::overloaded());
        }
        raw.extend_from_slice(&data);
        filter
            .push(&data, &mut out, false)
            .map_err(|e| decode_error(proxy, e))?;
        let now = filter.decoder_memory();
        if now > windows {
            if !proxy.held.reserve(&mut ctx.held_request, now - windows) {
                return Err(super::overloaded());
            }
            windows = now;
        }
        if filter.must_block() {
            return Err(blocked(ctx, &filter));
        }
    }
    let raw_len = raw.len() as u64;
    filter
        .finish(&mut out)
        .map_err(|e| decode_error(proxy, e))?;
    // The decoders are done: their windows go back while the request waits on the upstream.
    if let Some(g) = ctx.held_request.as_mut() {
        g.release(windows);
    }
    // The client's trailers are inspected, not forwarded (the held body goes with a
    // `Content-Length`), and `Trailer` no longer announces them.
    let passes_raw = filter.settle_held(&raw, trailers, &mut parts.headers);
    if let Some(l) = ctx.log.as_mut() {
        l.request_findings = Some(filter.summary().clone());
    }
    if let Some(why) = &filter.summary().unread_archive {
        fail_mode(proxy, ctx, Direction::Request, "open", "unreadable_archive")?;
        tracing::warn!(request_id = %ctx.request_id, "request archive passed without a full inspection: {why}");
    }
    if filter.must_block() {
        return Err(blocked(ctx, &filter));
    }
    let body = if passes_raw {
        raw
    } else {
        // The client's digests of its body (`Content-Digest`, `Content-MD5`, vendors'
        // checksums) would not match the body sent, and would let the upstream test guesses
        // at every masked digit: they go, as on responses (`headers::rekey_validators`).
        headers::drop_digests(&mut parts.headers);
        out
    };
    if let Some(l) = ctx.log.as_mut() {
        l.request_bytes = Some((raw_len, body.len() as u64));
    }
    parts.headers.remove(header::TRANSFER_ENCODING);
    headers::set_content_length(&mut parts.headers, body.len());
    Ok(Request::from_parts(
        parts,
        ReqBody::Full(Some(Bytes::from(body))),
    ))
}

pub(crate) fn fail_mode(
    proxy: &Proxy,
    ctx: &Ctx,
    dir: Direction,
    mode: &'static str,
    reason: &'static str,
) -> Result<(), ProxyError> {
    crate::metrics::FailModeApplied {
        interface: &ctx.iface.name,
        mode,
        reason,
        request_id: &ctx.request_id,
    }
    .emit(&proxy.stats.metrics);
    let (kind, status, action) = if mode == "open" {
        (EventKind::FailOpen, 0, "pass")
    } else {
        (EventKind::FailClosed, 0, "refuse")
    };
    ctx.audit(kind, status, action, |mut ev| {
        ev.direction = Some(dir);
        ev.with_reason(reason)
    })
    .map_err(|_| Ctx::audit_refused())
}

fn too_large(cap: u64) -> ProxyError {
    ProxyError::client(
        Kind::BodyTooLarge,
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body exceeds {cap} bytes"),
    )
}

fn decode_error(proxy: &Proxy, e: FilterError) -> ProxyError {
    if matches!(e, FilterError::Overloaded) {
        return super::overloaded();
    }
    if e.is_bomb() {
        let status = StatusCode::from_u16(proxy.cfg.decode.request_bomb_status)
            .unwrap_or(StatusCode::PAYLOAD_TOO_LARGE);
        ProxyError::new(Origin::Client, Kind::Bomb, status, e.to_string())
    } else if let FilterError::Archive(why) = e {
        ProxyError::client(
            Kind::UnreadableArchive,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            why,
        )
    } else {
        ProxyError::client(
            Kind::CorruptEncoding,
            StatusCode::BAD_REQUEST,
            e.to_string(),
        )
    }
}

/// The block answer: configured status, classes found, never values.
pub(crate) fn blocked(ctx: &mut Ctx, filter: &BodyFilter) -> ProxyError {
    let classes: Vec<String> = filter
        .summary()
        .blocked
        .iter()
        .map(|c| c.to_string())
        .collect();
    let status = StatusCode::from_u16(ctx.iface.block_status).unwrap_or(StatusCode::FORBIDDEN);
    let detail = format!(
        "the message carries data of class(es) {} that interface `{}` may not transfer",
        classes.join(", "),
        ctx.iface.name
    );
    if let Some(l) = ctx.log.as_mut() {
        l.blocked = true;
    }
    let dir = if ctx
        .log
        .as_ref()
        .is_some_and(|l| l.upstream_status.is_some())
    {
        Direction::Response
    } else {
        Direction::Request
    };
    let _ = ctx.audit(EventKind::Blocked, status.as_u16(), "block", |ev| {
        ev.with_summary(dir, filter.summary())
            .with_bytes(filter.decoded_total(), None)
    });
    ProxyError::new(Origin::Policy, Kind::Blocked { classes }, status, detail)
}
