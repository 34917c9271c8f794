//! Header hygiene for a reverse proxy: hop-by-hop removal (RFC 9110 §7.6.1), the forwarding
//! headers (`Forwarded`, RFC 7239, and the de-facto `X-Forwarded-*`), request ids, and the
//! representation headers that change when a body is rewritten (`Content-Length`, `ETag`).

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one connection, not the message; never forwarded.
static HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
];

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Removes hop-by-hop headers, including any named in `Connection`.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Runs on every request and response, whose few headers rarely include one of these:
    // one pass over the names present, and a removal only for what is there (a removal by
    // name hashes it, nine per message otherwise).
    if !h.keys().any(|k| HOP_BY_HOP.contains(k)) {
        return;
    }
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
    for n in &HOP_BY_HOP {
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
    if let Some(v) = h.get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()) {
        if !v.is_empty()
            && v.len() <= 128
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        {
            return v.to_string();
        }
    }
    // 32 hex digits of two random words (the formatting machinery costs more than the rest
    // of this function on every request).
    let mut words = [0u8; 16];
    words[..8].copy_from_slice(&fastrand::u64(..).to_be_bytes());
    words[8..].copy_from_slice(&fastrand::u64(..).to_be_bytes());
    crate::audit::hex(&words)
}

/// Appends `ip` as text: IPv4 by hand (the `Display` implementation pads through the
/// formatter, a few thousand instructions per address on every request), IPv6 by `Display`.
fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            for (k, o) in a.octets().into_iter().enumerate() {
                if k > 0 {
                    out.push('.');
                }
                if o >= 100 {
                    out.push(char::from(b'0' + o / 100));
                }
                if o >= 10 {
                    out.push(char::from(b'0' + (o / 10) % 10));
                }
                out.push(char::from(b'0' + o % 10));
            }
        }
        IpAddr::V6(a) => {
            use std::fmt::Write;
            let _ = write!(out, "{a}");
        }
    }
}

/// Appends this hop to `X-Forwarded-For` and `Forwarded`, and sets `X-Forwarded-Proto` /
/// `X-Forwarded-Host` (kept when a previous proxy set them).
pub fn add_forwarded(h: &mut HeaderMap, client: IpAddr, proto: &str, host: Option<&str>) {
    let mut xff = String::with_capacity(48);
    if let Some(prev) = h.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        if !prev.trim().is_empty() {
            xff.push_str(prev);
            xff.push_str(", ");
        }
    }
    push_ip(&mut xff, client);
    if let Ok(v) = HeaderValue::from_str(&xff) {
        h.insert(X_FORWARDED_FOR.clone(), v);
    }
    if !h.contains_key(&X_FORWARDED_PROTO) {
        h.insert(
            X_FORWARDED_PROTO.clone(),
            HeaderValue::from_static(if proto == "https" { "https" } else { "http" }),
        );
    }
    if let Some(host) = host {
        if !h.contains_key(&X_FORWARDED_HOST) {
            if let Ok(v) = HeaderValue::from_str(host) {
                h.insert(X_FORWARDED_HOST.clone(), v);
            }
        }
    }
    let mut fwd = String::with_capacity(64);
    if let Some(prev) = h.get(header::FORWARDED).and_then(|v| v.to_str().ok()) {
        if !prev.trim().is_empty() {
            fwd.push_str(prev);
            fwd.push_str(", ");
        }
    }
    fwd.push_str("for=");
    if client.is_ipv6() {
        fwd.push_str("\"[");
        push_ip(&mut fwd, client);
        fwd.push_str("]\"");
    } else {
        push_ip(&mut fwd, client);
    }
    fwd.push_str(";proto=");
    fwd.push_str(proto);
    if let Some(host) = host {
        if host
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            fwd.push_str(";host=\"");
            fwd.push_str(host);
            fwd.push('"');
        }
    }
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
    fn ip_text_is_display() {
        // Every octet value in every position, and a few IPv6 forms.
        for o in 0..=255u8 {
            for ip in [
                IpAddr::from([o, 0, 9, 10]),
                IpAddr::from([99, o, 100, 255]),
                IpAddr::from([1, 2, o, o]),
            ] {
                let mut s = String::new();
                push_ip(&mut s, ip);
                assert_eq!(s, ip.to_string());
            }
        }
        for t in ["::1", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1"] {
            let ip: IpAddr = t.parse().unwrap();
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
    }

    #[test]
    fn no_hop_by_hop_leaves_headers() {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.append("x-multi", HeaderValue::from_static("1"));
        h.append("x-multi", HeaderValue::from_static("2"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 3);
        h.insert("te", HeaderValue::from_static("trailers"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 3);
        assert!(!h.contains_key("te"));
    }

    #[test]
    fn request_ids() {
        let mut h = HeaderMap::new();
        let id = request_id(&h);
        assert_eq!(id.len(), 32);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(id, request_id(&h));
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
