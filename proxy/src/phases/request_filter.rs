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
use crate::error::{Kind, ProxyError};
use crate::headers;

/// Runs the phase.
///
/// # Errors
/// An upgrade on an interface that does not allow it (403).
pub fn run(
    proxy: &Proxy,
    ctx: &mut Ctx,
    mut req: Request<Incoming>,
) -> Result<Request<Incoming>, ProxyError> {
    let upgrade = headers::wants_upgrade(req.headers());
    let upgrade_value = req.headers().get(header::UPGRADE).cloned();
    if upgrade {
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
    headers::strip_hop_by_hop(h);
    if let (true, Some(v)) = (upgrade, upgrade_value) {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.insert(header::UPGRADE, v);
    }
    let proto = if ctx.conn.tls { "https" } else { "http" };
    headers::add_forwarded(h, ctx.conn.remote.ip(), proto, original_host.as_deref());
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
