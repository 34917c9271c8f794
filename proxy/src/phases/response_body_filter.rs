//! Phase 5, response body filter: carries out the [`Mode`] chosen by the response filter.
//!
//! Contract: returns the response to send. For a held body that must be blocked, or that
//! cannot be decoded (bomb → `decode.response_bomb_status`, corrupt → 502), or that outgrew a
//! hard hold with `on_hold_overflow: closed`, it returns a [`ProxyError`] instead, and no
//! byte of the upstream body has left the proxy. A held body that was not changed is sent as
//! the upstream's exact bytes (compressed ones included, unless something rides outside what
//! they decode to: `codec::carries_metadata`) with its `Content-Length`; a changed
//! one gets the new length. A streamed body drops `Content-Length` (the rewritten length is
//! not known in advance). The `ETag` of every inspected response is already the proxy's own
//! (`headers::rekey_validators`), and a `NotModified` answer has no body.
//!
//! Trailers are inspected like header fields (`filter::scan_header_values`) wherever they
//! come. Those of a held body are read and inspected before its first byte is released: a
//! blocked class there refuses the response as one in the body would. They are then dropped
//! (they cannot follow a `Content-Length` body over HTTP/1.1); streamed bodies keep them.
//! `Trailer`, which announces them, goes whenever the message sent cannot carry them (a held
//! body, no body, a `Content-Length`, an HTTP/1.1 client that did not send `TE: trailers`):
//! a client must not wait for fields that never come.

use bytes::Bytes;
use http::header;
use http::response::Parts;
use http::{Response, StatusCode};
use hyper::body::Incoming;

use super::request_body_filter::fail_mode;
use super::response_filter::Mode;
use super::{read_frame, Ctx, Proxy, ReadError};
use crate::audit::{Direction, EventKind};
use crate::body::{ProxyBody, StreamCharge, Streaming};
use crate::codec::Encoding;
use crate::config::FailMode;
use crate::error::{Kind, Origin, ProxyError};
use crate::filter::{BodyFilter, FilterError};
use crate::headers;

/// An HTTP/2 response body reset before its end ([`crate::body::cut_short`]).
fn cut() -> ProxyError {
    ProxyError::upstream(
        Kind::UpstreamReset,
        "upstream reset the stream before the body's end",
    )
}

/// Runs the phase.
///
/// # Errors
/// See the module documentation.
pub async fn run(
    proxy: &Proxy,
    ctx: &mut Ctx,
    mut parts: Parts,
    mut body: Incoming,
    mode: Mode,
) -> Result<Response<ProxyBody>, ProxyError> {
    let idle = ctx.iface.idle_timeout;
    let status = parts.status.as_u16();
    let h2 = ctx.upstream_h2;
    match mode {
        Mode::Upgrade | Mode::NotModified | Mode::NoBody => {
            if mode != Mode::Upgrade {
                parts.headers.remove(header::TRAILER);
            }
            let guard = proxy.guard(ctx, status);
            Ok(Response::from_parts(parts, ProxyBody::empty(guard)))
        }
        Mode::Pass => {
            announce_trailers(ctx, &mut parts);
            let guard = proxy.guard(ctx, status);
            let s = Streaming::new(body, h2, None, None, idle, ctx.deadline);
            Ok(Response::from_parts(parts, ProxyBody::stream(s, guard)))
        }
        Mode::Stream { codings } => {
            let mut filter =
                new_filter(proxy, ctx, &parts, &codings)?.charge_archives_to(proxy.held.clone());
            // Prime with the first frame before committing headers: a bomb or a corrupt
            // coding shows itself in the first frame, and then it can still get a proper
            // status instead of an aborted 200.
            let mut out = Vec::new();
            let mut bytes_in = 0u64;
            let mut ended = false;
            let mut trailers = None;
            match read_frame(&mut body, h2, idle, ctx.deadline).await {
                Ok(Some(f)) => {
                    // An empty body's trailers come first: inspected now, while a block can
                    // still be answered, and sent after the (empty) rest.
                    let f = match f.into_trailers() {
                        Ok(mut t) => {
                            if filter.scan_trailers(&mut t) {
                                set_findings(ctx, &filter);
                                return Err(refuse(proxy, ctx, &filter));
                            }
                            headers::drop_digests(&mut t);
                            trailers = Some(t);
                            None
                        }
                        Err(f) => Some(f),
                    };
                    if let Some(data) = f.and_then(|f| f.into_data().ok()) {
                        bytes_in = data.len() as u64;
                        filter
                            .push(&data, &mut out, true)
                            .map_err(|e| decode_error(proxy, e))?;
                        if filter.must_block() {
                            set_findings(ctx, &filter);
                            return Err(refuse(proxy, ctx, &filter));
                        }
                        // An archive is held whole: one whose length already passes the
                        // archive hold is refused now, with a status, not reset later.
                        let max = proxy.cfg.decode.max_archive;
                        if filter.is_archive()
                            && !filter.observe_only()
                            && proxy.cfg.decode.unreadable_archive == FailMode::Closed
                            && headers::content_length(&parts.headers).is_some_and(|n| n > max)
                        {
                            return Err(ProxyError::upstream(
                                Kind::UnreadableArchive,
                                format!("ZIP archive larger than the {max}-byte archive hold (decode.max_archive)"),
                            ));
                        }
                    }
                }
                Ok(None) => ended = true,
                Err(ReadError::Idle | ReadError::Deadline) => {
                    return Err(ProxyError::timeout("upstream body not received in time"))
                }
                Err(ReadError::Body(e)) => {
                    return Err(ProxyError::upstream(
                        Kind::UpstreamReset,
                        format!("upstream body failed: {e}"),
                    ))
                }
                Err(ReadError::Cut) => return Err(cut()),
            }
            let _ = ended;
            stream_headers(&mut parts, &filter);
            announce_trailers(ctx, &mut parts);
            let mut guard = proxy.guard(ctx, status);
            if let Some(g) = guard.as_mut() {
                g.record.bytes_in = bytes_in;
            }
            let s = Streaming::new(
                body,
                h2,
                Some(filter),
                Some(Bytes::from(out)),
                idle,
                ctx.deadline,
            )
            .trailing(trailers)
            .charging(stream_charge(ctx, 0, 0));
            Ok(Response::from_parts(parts, ProxyBody::stream(s, guard)))
        }
        Mode::Hold { hard, codings } => {
            let mut filter = new_filter(proxy, ctx, &parts, &codings)?;
            let cap = if hard {
                ctx.iface.hold_cap
            } else {
                proxy.cfg.limits.small_body_hold
            };
            let mut raw: Vec<u8> = Vec::new();
            let mut out: Vec<u8> = Vec::new();
            let mut bytes_in = 0u64;
            let mut held = None;
            let mut trailers = None;
            loop {
                let frame = match read_frame(&mut body, h2, idle, ctx.deadline).await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(ReadError::Idle | ReadError::Deadline) => {
                        return Err(ProxyError::timeout("upstream body not received in time"))
                    }
                    Err(ReadError::Body(e)) => {
                        return Err(ProxyError::upstream(
                            Kind::UpstreamReset,
                            format!("upstream body failed: {e}"),
                        ))
                    }
                    Err(ReadError::Cut) => return Err(cut()),
                };
                let data = match frame.into_data() {
                    Ok(d) => d,
                    Err(f) => {
                        // Inspected once the body is done, before any of it is released.
                        if let Ok(t) = f.into_trailers() {
                            trailers = Some(t);
                        }
                        continue;
                    }
                };
                bytes_in += data.len() as u64;
                // The raw copy and the filter's output (`HOLD_FACTOR`), until the client has it all. Past the
                // budget a hold that only keeps `Content-Length` streams on; one that may
                // have to block refuses (fail closed).
                let over_cap = raw.len() as u64 + data.len() as u64 > cap;
                let budget = over_cap
                    || proxy
                        .held
                        .reserve(&mut held, crate::body::HOLD_FACTOR * data.len() as u64);
                if !budget && hard {
                    return Err(super::overloaded());
                }
                let overflow = over_cap || !budget;
                if overflow && hard && ctx.iface.on_hold_overflow == FailMode::Closed {
                    let _ = fail_mode(proxy, ctx, Direction::Response, "closed", "hold_overflow");
                    return Err(ProxyError::new(
                        Origin::Upstream,
                        Kind::HoldOverflow,
                        StatusCode::BAD_GATEWAY,
                        format!("response exceeds the {cap}-byte hold buffer of interface `{}` and may carry blocked data", ctx.iface.name),
                    ));
                }
                filter
                    .push(&data, &mut out, overflow)
                    .map_err(|e| decode_error(proxy, e))?;
                if filter.must_block() {
                    set_findings(ctx, &filter);
                    return Err(refuse(proxy, ctx, &filter));
                }
                // A skipped type whose first bytes are binary (a real image): nothing in it
                // is scanned, so nothing is to be decided; it streams on as it would have.
                if overflow || filter.skipped_binary() {
                    // Past the buffer: stream the rest, still filtering (fail open, or a soft
                    // hold that only existed to keep Content-Length). Quotas are charged with
                    // what was seen so far, while a refusal can still be answered.
                    charge(proxy, ctx, filter.decoded_total(), &filter)?;
                    if hard && overflow {
                        fail_mode(proxy, ctx, Direction::Response, "open", "hold_overflow")?;
                        tracing::warn!(request_id = %ctx.request_id, interface = %ctx.iface.name, "hold buffer overflow; streaming on (fail open)");
                    }
                    stream_headers(&mut parts, &filter);
                    announce_trailers(ctx, &mut parts);
                    let mut guard = proxy.guard(ctx, status);
                    if let Some(g) = guard.as_mut() {
                        g.record.bytes_in = bytes_in;
                    }
                    let charged = filter.fingerprints().len();
                    let decoded = filter.decoded_total();
                    let s = Streaming::new(
                        body,
                        h2,
                        Some(filter),
                        Some(Bytes::from(out)),
                        idle,
                        ctx.deadline,
                    )
                    .charging(stream_charge(ctx, charged, decoded));
                    return Ok(Response::from_parts(parts, ProxyBody::stream(s, guard)));
                }
                raw.extend_from_slice(&data);
            }
            filter
                .finish(&mut out)
                .map_err(|e| decode_error(proxy, e))?;
            // The trailers (`X-Id`, `grpc-message`) are inspected and audited with the body's
            // findings, not sent (see the module header), and `Trailer` goes.
            let passes_raw = filter.settle_held(&raw, trailers, &mut parts.headers);
            set_findings(ctx, &filter);
            if let Some(why) = &filter.summary().unread_archive {
                fail_mode(
                    proxy,
                    ctx,
                    Direction::Response,
                    "open",
                    "unreadable_archive",
                )?;
                tracing::warn!(request_id = %ctx.request_id, interface = %ctx.iface.name, "response archive passed without a full inspection: {why}");
            }
            if filter.must_block() {
                return Err(refuse(proxy, ctx, &filter));
            }
            let send = if passes_raw { raw } else { out };
            charge(proxy, ctx, filter.decoded_total(), &filter)?;
            headers::set_content_length(&mut parts.headers, send.len());
            let mut guard = proxy.guard(ctx, status);
            if let Some(g) = guard.as_mut() {
                g.record.bytes_in = bytes_in;
            }
            Ok(Response::from_parts(
                parts,
                ProxyBody::full(
                    crate::body::held_bytes(send, held, ctx.deadline, &ctx.conn.close),
                    guard,
                ),
            ))
        }
    }
}

fn new_filter(
    proxy: &Proxy,
    ctx: &Ctx,
    parts: &Parts,
    codings: &[Encoding],
) -> Result<BodyFilter, ProxyError> {
    let ct = headers::content_type(&parts.headers);
    BodyFilter::new(
        ctx.live.engine.clone(),
        ctx.actions.clone(),
        ct,
        codings,
        proxy.limits,
    )
    .and_then(|f| f.with_scope(ctx.iface.scope_rank(), ctx.iface.over_scope_blocks()))
    .map(|f| {
        f.count_distinct(proxy.stats.metrics.clone(), ctx.iface.name.clone())
            .keep_fingerprints(ctx.live.limiter.has_response_limits(&ctx.iface.name))
            .skip_binary(ctx.iface.skips(ct))
            .archives(
                proxy.cfg.decode.max_archive,
                proxy.cfg.decode.unreadable_archive == FailMode::Open,
            )
    })
    .map_err(|e| ProxyError::internal(e.to_string()))
}

/// The refusal of a response that must not be delivered: a blocking class (see
/// `request_body_filter::blocked`), or else a grade above the interface's declared grade.
fn refuse(proxy: &Proxy, ctx: &mut Ctx, filter: &BodyFilter) -> ProxyError {
    let s = filter.summary();
    if !s.blocked.is_empty() || !s.over_scope {
        return super::request_body_filter::blocked(ctx, filter);
    }
    let grade = s.flow_grade.as_ref().map_or("", |g| &*g.0).to_string();
    let declared = ctx.iface.grade.as_ref().map_or("", |g| &*g.0).to_string();
    let status = StatusCode::from_u16(ctx.iface.block_status).unwrap_or(StatusCode::FORBIDDEN);
    if let Some(class) = &s.flow_class {
        crate::metrics::OverScope {
            interface: &ctx.iface.name,
            class,
        }
        .emit(&proxy.stats.metrics);
    }
    let reason = format!("grade {grade} > {declared}");
    let _ = ctx.audit(EventKind::OverScope, status.as_u16(), "block", |ev| {
        ev.with_summary(Direction::Response, s)
            .with_bytes(filter.decoded_total(), None)
            .with_reason(reason)
    });
    if let Some(l) = ctx.log.as_mut() {
        l.blocked = true;
    }
    ProxyError::new(
        Origin::Policy,
        Kind::OverScope {
            grade: grade.clone(),
            declared: declared.clone(),
        },
        status,
        format!(
            "the response carries `{grade}` data, above the `{declared}` grade interface `{}` may return",
            ctx.iface.name
        ),
    )
}

/// Charges a held response to the consumer's and interface's quotas (bytes, findings,
/// distinct values); a quota that refuses it answers 429/403 before a byte is released.
fn charge(proxy: &Proxy, ctx: &mut Ctx, bytes: u64, filter: &BodyFilter) -> Result<(), ProxyError> {
    let limiter = ctx.live.limiter.clone();
    if !limiter.has_response_limits(&ctx.iface.name) {
        return Ok(());
    }
    let d = limiter.record_response_fps(
        &ctx.iface.name,
        &ctx.consumer.id,
        bytes,
        filter.fingerprints(),
        tokio::time::Instant::now(),
        true,
    );
    if !d.is_allowed() {
        crate::metrics::RateLimitDecided {
            interface: &ctx.iface.name,
            limited: !d.is_allowed(),
        }
        .emit(&proxy.stats.metrics);
    }
    super::request_filter::limited(ctx, &d, Direction::Response, bytes)
}

/// What a streamed body owes the quotas of an interface that has them: the decoded bytes
/// after the first `decoded` and the findings after the first `charged` fingerprints
/// (charged already, while the body was held).
fn stream_charge(ctx: &Ctx, charged: usize, decoded: u64) -> Option<StreamCharge> {
    let limiter = ctx.live.limiter.clone();
    limiter
        .has_response_limits(&ctx.iface.name)
        .then(|| StreamCharge {
            limiter,
            iface: ctx.iface.name.clone(),
            consumer: ctx.consumer.id.clone(),
            charged,
            decoded,
        })
}

fn stream_headers(parts: &mut Parts, filter: &BodyFilter) {
    if !filter.observe_only() && !filter.passes_identical() {
        parts.headers.remove(header::CONTENT_LENGTH);
    }
}

/// Removes `Trailer` from a streamed response that cannot carry the trailers it announces:
/// hyper sends trailers to an HTTP/1.1 client only in a chunked body (no `Content-Length`)
/// and only when the client sent `TE: trailers`; HTTP/2 always carries them.
fn announce_trailers(ctx: &Ctx, parts: &mut Parts) {
    let carried = !ctx.client_http1
        || (ctx.client_te_trailers && !parts.headers.contains_key(header::CONTENT_LENGTH));
    if !carried {
        parts.headers.remove(header::TRAILER);
    }
}

fn set_findings(ctx: &mut Ctx, filter: &BodyFilter) {
    if let Some(l) = ctx.log.as_mut() {
        l.response_findings = Some(filter.summary().clone());
    }
}

fn decode_error(proxy: &Proxy, e: FilterError) -> ProxyError {
    if matches!(e, FilterError::Overloaded) {
        return super::overloaded();
    }
    if e.is_bomb() {
        let status = StatusCode::from_u16(proxy.cfg.decode.response_bomb_status)
            .unwrap_or(StatusCode::BAD_GATEWAY);
        ProxyError::new(Origin::Upstream, Kind::Bomb, status, e.to_string())
    } else if let FilterError::Archive(why) = e {
        ProxyError::upstream(Kind::UnreadableArchive, why)
    } else {
        ProxyError::upstream(Kind::CorruptEncoding, e.to_string())
    }
}
