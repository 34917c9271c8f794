//! Header hygiene for a reverse proxy: hop-by-hop removal (RFC 9110 §7.6.1), the forwarding
//! headers (`Forwarded`, RFC 7239, and the de-facto `X-Forwarded-*`), request ids, and the
//! representation headers that change when a body is rewritten (`Content-Length`, `ETag`).

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one connection, not the message; never forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

/// Removes hop-by-hop headers, including any named in `Connection`.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(n);
    }
}

/// Whether a request asks for a protocol upgrade (WebSocket and friends).
pub fn wants_upgrade(h: &HeaderMap) -> bool {
    h.contains_key(header::UPGRADE)
        && h.get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
}

/// Takes a usable incoming `x-request-id` (1–128 chars of `[A-Za-z0-9._:-]`, so it is safe in
/// logs) or makes a new random one.
pub fn request_id(h: &HeaderMap) -> String {
    if let Some(v) = h.get("x-request-id").and_then(|v| v.to_str().ok()) {
        if !v.is_empty()
            && v.len() <= 128
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        {
            return v.to_string();
        }
    }
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Appends this hop to `X-Forwarded-For` and `Forwarded`, and sets `X-Forwarded-Proto` /
/// `X-Forwarded-Host` (kept when a previous proxy set them).
pub fn add_forwarded(h: &mut HeaderMap, client: IpAddr, proto: &str, host: Option<&str>) {
    let xff = match h.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) if !prev.trim().is_empty() => format!("{prev}, {client}"),
        _ => client.to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        h.insert("x-forwarded-for", v);
    }
    if !h.contains_key("x-forwarded-proto") {
        h.insert(
            "x-forwarded-proto",
            HeaderValue::from_static(if proto == "https" { "https" } else { "http" }),
        );
    }
    if let Some(host) = host {
        if !h.contains_key("x-forwarded-host") {
            if let Ok(v) = HeaderValue::from_str(host) {
                h.insert("x-forwarded-host", v);
            }
        }
    }
    let node = match client {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("\"[{a}]\""),
    };
    let mut elem = format!("for={node};proto={proto}");
    if let Some(host) = host {
        if host
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            elem.push_str(&format!(";host=\"{host}\""));
        }
    }
    let fwd = match h.get(header::FORWARDED).and_then(|v| v.to_str().ok()) {
        Some(prev) if !prev.trim().is_empty() => format!("{prev}, {elem}"),
        _ => elem,
    };
    if let Ok(v) = HeaderValue::from_str(&fwd) {
        h.insert(header::FORWARDED, v);
    }
}

/// Turns a strong `ETag` into a weak one (RFC 9110 §8.8.3): the redacted body is not
/// byte-identical to what the origin tagged, but is semantically the same resource.
pub fn weaken_etag(h: &mut HeaderMap) {
    if let Some(v) = h.get(header::ETAG).and_then(|v| v.to_str().ok()) {
        if !v.starts_with("W/") {
            if let Ok(w) = HeaderValue::from_str(&format!("W/{v}")) {
                h.insert(header::ETAG, w);
            }
        }
    }
}

/// The media type of a message, if any.
pub fn content_type(h: &HeaderMap) -> Option<&str> {
    h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// The declared `Content-Length`, if present and valid.
pub fn content_length(h: &HeaderMap) -> Option<u64> {
    h.get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Sets `Content-Length`.
pub fn set_content_length(h: &mut HeaderMap, n: usize) {
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close, x-secret"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-keep", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-keep"));
    }

    #[test]
    fn forwarded_appends() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        add_forwarded(
            &mut h,
            "127.0.0.1".parse().unwrap(),
            "https",
            Some("api.example"),
        );
        assert_eq!(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
        assert_eq!(
            h["forwarded"],
            "for=127.0.0.1;proto=https;host=\"api.example\""
        );
        add_forwarded(&mut h, "::1".parse().unwrap(), "http", None);
        assert_eq!(
            h["forwarded"],
            "for=127.0.0.1;proto=https;host=\"api.example\", for=\"[::1]\";proto=http"
        );
    }

    #[test]
    fn request_ids() {
        let mut h = HeaderMap::new();
        assert_eq!(request_id(&h).len(), 32);
        h.insert("x-request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&h), "abc-123");
        h.insert(
            "x-request-id",
            HeaderValue::from_static("bad id with spaces"),
        );
        assert_ne!(request_id(&h), "bad id with spaces");
    }

    #[test]
    fn etag() {
        let mut h = HeaderMap::new();
        h.insert("etag", HeaderValue::from_static("\"abc\""));
        weaken_etag(&mut h);
        assert_eq!(h["etag"], "W/\"abc\"");
        weaken_etag(&mut h);
        assert_eq!(h["etag"], "W/\"abc\"");
    }
}
