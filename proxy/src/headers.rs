//! Header hygiene for a reverse proxy: hop-by-hop removal (RFC 9110 §7.6.1), the forwarding
//! headers (`Forwarded`, RFC 7239, and the de-facto `X-Forwarded-*`), request ids, and the
//! representation headers that change when a body is rewritten (`Content-Length`, `ETag`).

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one connection, not the message; never forwarded. (`Trailer` is
/// not one since RFC 7230: it names the trailer fields a chunked body ends with, which
/// hyper writes to an HTTP/1.1 client only when they are announced.)
static HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
];

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The standard method a request's method names in another case (`get`, `Post`), which
/// frameworks (Flask, Django, Express) act on as that method; `None` when it is already
/// canonical or is no standard method.
pub fn canonical_method(m: &http::Method) -> Option<http::Method> {
    let s = m.as_str();
    if !s.bytes().any(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let up = s.to_ascii_uppercase();
    [
        http::Method::GET,
        http::Method::HEAD,
        http::Method::POST,
        http::Method::PUT,
        http::Method::DELETE,
        http::Method::PATCH,
        http::Method::OPTIONS,
        http::Method::TRACE,
    ]
    .into_iter()
    .find(|k| k.as_str() == up)
}

/// Request headers by which a client asks the upstream to act as if the method were another
/// (Express `method-override`, ASP.NET, Google APIs; Spring, Rails and Laravel read a
/// `_method` form field instead, which is not taken out). Routing
/// and policy go by the request's own method, so these never reach the upstream: a `POST`
/// saying `GET` would be read there on an interface chosen for a `POST`.
pub static METHOD_OVERRIDES: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// Whether a request's `TE` accepts trailers (`TE: trailers`, which gRPC requires).
pub fn accepts_trailers(h: &HeaderMap) -> bool {
    h.get_all(header::TE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            t.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("trailers"))
        })
}

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

/// The first transfer coding a message's `Transfer-Encoding` names besides `chunked` (and the
/// no-op `identity`), when there is one.
pub fn other_transfer_coding(h: &HeaderMap) -> Option<&'static str> {
    h.get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .find(|t| {
            !t.is_empty()
                && !t.eq_ignore_ascii_case(b"chunked")
                && !t.eq_ignore_ascii_case(b"identity")
        })
        .map(|t| match t.to_ascii_lowercase().as_slice() {
            b"gzip" | b"x-gzip" => "gzip",
            b"deflate" => "deflate",
            b"compress" | b"x-compress" => "compress",
            _ => "(unknown)",
        })
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
    new_request_id()
}

/// A fresh request id: 32 hex digits of two random words (the formatting machinery costs
/// more than the rest of [`request_id`] on every request).
pub fn new_request_id() -> String {
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

/// The hops a list header already names, every field line of it in order (a second
/// `X-Forwarded-For` line is the same list continued, RFC 9110 §5.3), each followed by `, `.
fn push_previous(out: &mut String, h: &HeaderMap, name: &HeaderName) {
    for prev in h.get_all(name).iter().filter_map(|v| v.to_str().ok()) {
        if !prev.trim().is_empty() {
            out.push_str(prev.trim());
            out.push_str(", ");
        }
    }
}

/// Whether `ip` is one of the proxies in front of this one (`listen.trusted_proxies`). An
/// IPv4 peer on an IPv6 socket (`::ffff:10.0.0.1`) is matched as the IPv4 address it is.
pub fn is_trusted(ip: IpAddr, trusted: &[ipnet::IpNet]) -> bool {
    let ip = ip.to_canonical();
    trusted.iter().any(|n| n.contains(&ip))
}

/// The client a request comes from: the peer, unless the peer is a trusted proxy, in which
/// case the hops it and the proxies before it appended are read from the right
/// (`X-Forwarded-For`, else the `for=` of `Forwarded`) and the first that is not itself a
/// trusted proxy is the client, as nginx's `real_ip_recursive` reads them. A hop that is not
/// an address (`unknown`, an obfuscated name, garbage) ends the walk at the last trusted one,
/// since nothing left of it can be vouched for.
pub fn client_ip(peer: IpAddr, h: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    if trusted.is_empty() || !is_trusted(peer, trusted) {
        return peer;
    }
    let mut hops: Vec<Option<IpAddr>> = Vec::new();
    for v in h.get_all(&X_FORWARDED_FOR).iter() {
        let Ok(v) = v.to_str() else {
            hops.push(None);
            continue;
        };
        hops.extend(v.split(',').map(|x| parse_hop(x.trim())));
    }
    if hops.is_empty() {
        for v in h.get_all(header::FORWARDED).iter() {
            let Ok(v) = v.to_str() else {
                hops.push(None);
                continue;
            };
            for element in v.split(',') {
                let node = element.split(';').find_map(|pair| {
                    let (k, val) = pair.trim().split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| val.trim().trim_matches('"'))
                });
                if let Some(node) = node {
                    hops.push(parse_hop(node));
                }
            }
        }
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = *ip;
                if !is_trusted(*ip, trusted) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// One hop of a forwarding header: an address, with or without a port (`10.0.0.1:4711`,
/// `[2001:db8::1]:4711`, `2001:db8::1`).
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse::<IpAddr>().ok())
}

/// Headers by which a proxy in front tells the scheme, port, prefix or client of a request,
/// or the client certificate it verified (Envoy's `X-Forwarded-Client-Cert`, nginx's and
/// Apache's `X-SSL-Client-*` and `SSL-Client-Cert`): from a peer that is not a trusted proxy
/// they are the caller's own say, and go. An upstream that reads them would otherwise take
/// a caller without a certificate for the one it names.
static UNTRUSTED_FORWARDING: [HeaderName; 15] = [
    HeaderName::from_static("x-forwarded-port"),
    HeaderName::from_static("x-forwarded-prefix"),
    HeaderName::from_static("x-forwarded-ssl"),
    HeaderName::from_static("x-real-ip"),
    HeaderName::from_static("x-forwarded-client-cert"),
    HeaderName::from_static("x-client-cert"),
    HeaderName::from_static("x-client-verify"),
    HeaderName::from_static("x-client-dn"),
    HeaderName::from_static("x-ssl-client-cert"),
    HeaderName::from_static("x-ssl-client-verify"),
    HeaderName::from_static("x-ssl-client-s-dn"),
    HeaderName::from_static("x-ssl-client-i-dn"),
    HeaderName::from_static("x-ssl-client-dn"),
    HeaderName::from_static("ssl-client-cert"),
    HeaderName::from_static("ssl-client-verify"),
];

/// The hops a `Forwarded` header from an untrusted peer names, only their `for=` (its
/// `proto=`, `host=` and `by=` are the caller's claim about this hop, which an upstream
/// reading the first element would believe), each element followed by `, `.
fn push_previous_hops(out: &mut String, h: &HeaderMap) {
    for prev in h
        .get_all(header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for element in prev.split(',') {
            let node = element.split(';').map(str::trim).find(|pair| {
                pair.split_once('=')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
            });
            if let Some(node) = node {
                out.push_str(node);
                out.push_str(", ");
            }
        }
    }
}

/// Appends this hop to `X-Forwarded-For` and `Forwarded`, and sets `X-Forwarded-Proto` /
/// `X-Forwarded-Host`. Those two are kept as a previous proxy set them only when the peer is
/// a trusted proxy (`from_trusted`): from anyone else they are the client's say, and an
/// upstream that builds links or picks a scheme from them would take it.
pub fn add_forwarded(
    h: &mut HeaderMap,
    peer: IpAddr,
    proto: &str,
    host: Option<&str>,
    from_trusted: bool,
) {
    let client = peer;
    let mut xff = String::with_capacity(48);
    push_previous(&mut xff, h, &X_FORWARDED_FOR);
    push_ip(&mut xff, client);
    if let Ok(v) = HeaderValue::from_str(&xff) {
        h.insert(X_FORWARDED_FOR.clone(), v);
    }
    if !from_trusted {
        h.remove(&X_FORWARDED_PROTO);
        h.remove(&X_FORWARDED_HOST);
        for name in &UNTRUSTED_FORWARDING {
            h.remove(name);
        }
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
    if from_trusted {
        push_previous(&mut fwd, h, &header::FORWARDED);
    } else {
        push_previous_hops(&mut fwd, h);
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

/// Words that make a field name a digest's wherever they stand in it: the standard ones
/// (RFC 9530's `Content-Digest` and `Repr-Digest`, RFC 3230's `Digest`, RFC 1864's
/// `Content-MD5`) and the object stores' and artifact servers' own (`x-goog-hash`,
/// `x-amz-checksum-*`, `x-ms-content-crc64`, `x-oss-hash-crc64ecma`, `x-cos-hash-crc64ecma`,
/// `x-ms-blob-content-md5`, `x-checksum-sha256`, `x-amz-meta-md5`): a list of names cannot
/// keep up with them.
static DIGEST_WORDS: [&str; 9] = [
    "digest", "checksum", "hash", "md5", "sha1", "sha-1", "sha256", "sha-256", "crc",
];

/// Whether a field name is a digest's ([`DIGEST_WORDS`], or `sha` before its digits; names
/// are lower case in a `HeaderMap`).
fn is_digest(name: &str) -> bool {
    DIGEST_WORDS.iter().any(|w| name.contains(w))
        || name.match_indices("sha").any(|(i, _)| {
            // `sha384`, `sha3-256`, `sha-512` (not `x-shard-2`).
            let rest = name[i + 3..].trim_start_matches('-').as_bytes();
            rest.first().is_some_and(u8::is_ascii_digit)
                && !name[..i].ends_with(|c: char| c.is_ascii_alphabetic())
        })
}

/// Removes the digest fields ([`is_digest`]) from headers or trailers.
pub fn drop_digests(h: &mut HeaderMap) {
    let digests: Vec<HeaderName> = h
        .keys()
        .filter(|k| is_digest(k.as_str()))
        .cloned()
        .collect();
    for k in digests {
        h.remove(k);
    }
}

/// Replaces the origin's validators on an inspected response. An origin often tags a body
/// with a digest of it (`ETag: "<md5>"`, `Content-MD5`, `Repr-Digest`): over a redacted body
/// that digest is a test for guesses of every masked digit (a birth date is a few thousand
/// tries), and it is not the digest of the body sent anyway. Digest fields are dropped; the
/// `ETag` becomes a weak one whose opaque part `tag` makes of the origin's (the origin's
/// sealed under what decides the redaction, [`crate::etag::TagSeal`]), so it still changes
/// when the resource does, a cache can still revalidate it against this proxy
/// ([`not_modified`]), and a conditional write gets the origin's back. `tag` returning
/// `None` removes the `ETag`.
pub fn rekey_validators(h: &mut HeaderMap, tag: impl FnOnce(&str) -> Option<String>) {
    drop_digests(h);
    let Some(v) = h.get(header::ETAG) else {
        return;
    };
    // An ETag that is no text (obs-text is allowed in one) goes: it cannot be keyed here.
    let keyed = v
        .to_str()
        .ok()
        .and_then(tag)
        .map(|t| format!("W/\"{t}\""))
        .and_then(|k| HeaderValue::from_str(&k).ok());
    match keyed {
        Some(w) => {
            h.insert(header::ETAG, w);
        }
        None => {
            h.remove(header::ETAG);
        }
    }
}

/// Makes a response cacheable by the client only: what it holds was redacted for one
/// consumer (`consumer_actions`), and a shared cache in front (`Cache-Control: public`,
/// `s-maxage`) would hand one consumer's view, values in full, to another.
pub fn private_cache(h: &mut HeaderMap) {
    // CDNs obey these before `Cache-Control`.
    for cdn in ["cdn-cache-control", "surrogate-control"] {
        h.remove(cdn);
    }
    let vendor: Vec<HeaderName> = h
        .keys()
        .filter(|k| k.as_str().ends_with("-cdn-cache-control"))
        .cloned()
        .collect();
    for k in vendor {
        h.remove(k);
    }
    let kept: Vec<String> = h
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|d| {
            let name = d
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            !d.is_empty() && !matches!(name.as_str(), "public" | "s-maxage" | "private")
        })
        .map(str::to_string)
        .collect();
    let v = if kept.is_empty() {
        "private".to_string()
    } else {
        format!("private, {}", kept.join(", "))
    };
    if let Ok(v) = HeaderValue::from_str(&v) {
        h.insert(header::CACHE_CONTROL, v);
    }
}

/// Whether a client's `If-None-Match` matches the `ETag` in `h` (weak comparison, RFC 9110
/// §13.1.2): a `GET` or `HEAD` is then answered 304 without its body.
pub fn not_modified(if_none_match: &HeaderValue, h: &HeaderMap) -> bool {
    let Some(etag) = h.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = opaque(etag);
    if_none_match.to_str().is_ok_and(|list| {
        list.split(',')
            .any(|t| t.trim() == "*" || opaque(t) == ours)
    })
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
        // `Trailer` announces the message's trailer fields (hyper writes only announced
        // ones to an HTTP/1.1 client); `TE` is this hop's, and says whether it takes them.
        let mut h = HeaderMap::new();
        h.insert("trailer", HeaderValue::from_static("grpc-status"));
        h.insert("te", HeaderValue::from_static("gzip;q=0.5, trailers"));
        assert!(accepts_trailers(&h));
        strip_hop_by_hop(&mut h);
        assert!(h.contains_key("trailer"));
        assert!(!h.contains_key("te"));
        assert!(!accepts_trailers(&h));
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
            false,
        );
        assert_eq!(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
        assert_eq!(
            h["forwarded"],
            "for=127.0.0.1;proto=https;host=\"api.example\""
        );
        // Through a trusted proxy the previous element stays whole.
        add_forwarded(&mut h, "::1".parse().unwrap(), "http", None, true);
        assert_eq!(
            h["forwarded"],
            "for=127.0.0.1;proto=https;host=\"api.example\", for=\"[::1]\";proto=http"
        );
        // Two field lines are one list: both hops are kept, in order.
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        h.append("x-forwarded-for", HeaderValue::from_static("10.0.0.2"));
        h.append("forwarded", HeaderValue::from_static("for=10.0.0.1"));
        h.append("forwarded", HeaderValue::from_static("for=10.0.0.2"));
        add_forwarded(&mut h, "127.0.0.1".parse().unwrap(), "http", None, false);
        assert_eq!(h["x-forwarded-for"], "10.0.0.1, 10.0.0.2, 127.0.0.1");
        assert_eq!(h.get_all("x-forwarded-for").iter().count(), 1);
        assert_eq!(
            h["forwarded"],
            "for=10.0.0.1, for=10.0.0.2, for=127.0.0.1;proto=http"
        );
    }

    #[test]
    fn forwarded_proto_and_host_are_kept_only_from_a_trusted_proxy() {
        let spoofed = || {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
            h.insert("x-forwarded-host", HeaderValue::from_static("evil.example"));
            h
        };
        let mut h = spoofed();
        add_forwarded(
            &mut h,
            "203.0.113.9".parse().unwrap(),
            "http",
            Some("api.example"),
            false,
        );
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-host"], "api.example");
        let mut h = spoofed();
        add_forwarded(&mut h, "203.0.113.9".parse().unwrap(), "http", None, false);
        assert!(h.get("x-forwarded-host").is_none());
        let mut h = spoofed();
        add_forwarded(
            &mut h,
            "10.0.0.2".parse().unwrap(),
            "http",
            Some("api.example"),
            true,
        );
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["x-forwarded-host"], "evil.example");
        // `Forwarded` from an untrusted peer keeps its hops, not its claims.
        let mut h = spoofed();
        h.insert(
            "forwarded",
            HeaderValue::from_static(
                "for=1.1.1.1;proto=https;host=evil.example, by=x;for=2.2.2.2, proto=https",
            ),
        );
        h.insert("x-real-ip", HeaderValue::from_static("9.9.9.9"));
        h.insert("x-forwarded-port", HeaderValue::from_static("443"));
        // A client certificate another proxy would have verified.
        h.insert(
            "x-forwarded-client-cert",
            HeaderValue::from_static("Subject=\"CN=tax-bureau\""),
        );
        h.insert("x-ssl-client-verify", HeaderValue::from_static("SUCCESS"));
        let peer = "203.0.113.9".parse().unwrap();
        add_forwarded(&mut h, peer, "http", Some("api.example"), false);
        assert_eq!(
            h["forwarded"],
            "for=1.1.1.1, for=2.2.2.2, for=203.0.113.9;proto=http;host=\"api.example\""
        );
        assert!(h.get("x-real-ip").is_none() && h.get("x-forwarded-port").is_none());
        assert!(
            h.get("x-forwarded-client-cert").is_none() && h.get("x-ssl-client-verify").is_none()
        );
        // From a trusted one, as it came.
        let mut h = spoofed();
        h.insert(
            "forwarded",
            HeaderValue::from_static("for=1.1.1.1;proto=https"),
        );
        let peer = "10.0.0.2".parse().unwrap();
        add_forwarded(&mut h, peer, "http", Some("api.example"), true);
        assert_eq!(
            h["forwarded"],
            "for=1.1.1.1;proto=https, for=10.0.0.2;proto=http;host=\"api.example\""
        );
    }

    #[test]
    fn the_client_is_read_through_trusted_proxies_only() {
        let nets: Vec<ipnet::IpNet> = ["10.0.0.0/8", "192.168.1.1/32", "fd00::/8"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let with = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            h
        };
        let xff = |v: &str| with(&[("x-forwarded-for", v)]);
        // An untrusted peer is the client whatever it says.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff("1.2.3.4"), &nets),
            ip("203.0.113.9")
        );
        // No trusted proxies configured: the peer.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &xff("1.2.3.4"), &[]),
            ip("10.0.0.2")
        );
        // Through a trusted proxy: the rightmost hop that is not one of ours, even when the
        // client wrote hops of its own to the left.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &xff("6.6.6.6, 1.2.3.4, 10.0.0.7"), &nets),
            ip("1.2.3.4")
        );
        // Two field lines are one list; ports and brackets are taken off.
        assert_eq!(
            client_ip(
                ip("192.168.1.1"),
                &with(&[
                    ("x-forwarded-for", "1.2.3.4:5678"),
                    ("x-forwarded-for", "10.1.1.1")
                ]),
                &nets
            ),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_ip(ip("fd00::5"), &xff("[2001:db8::7]:443"), &nets),
            ip("2001:db8::7")
        );
        // An IPv4 peer seen on an IPv6 socket.
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), &xff("1.2.3.4"), &nets),
            ip("1.2.3.4")
        );
        // Garbage ends the walk at the last hop that could be vouched for.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &xff("1.2.3.4, unknown, 10.0.0.9"), &nets),
            ip("10.0.0.9")
        );
        // All hops trusted: the leftmost.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &xff("10.0.0.3, 10.0.0.4"), &nets),
            ip("10.0.0.3")
        );
        // `Forwarded` when there is no `X-Forwarded-For`.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &with(&[(
                    "forwarded",
                    "for=1.2.3.4;proto=https, for=\"[2001:db8::1]:80\""
                )]),
                &nets
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                &with(&[("forwarded", "for=_hidden")]),
                &nets
            ),
            ip("10.0.0.2")
        );
        // A trusted peer that says nothing: itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &nets),
            ip("10.0.0.2")
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
    fn private_cache_drops_shared_directives() {
        for (cc, want) in [
            (
                Some("public, max-age=600, s-maxage=3600"),
                "private, max-age=600",
            ),
            (Some("no-store"), "private, no-store"),
            (None, "private"),
        ] {
            let mut h = HeaderMap::new();
            if let Some(v) = cc {
                h.insert("cache-control", HeaderValue::from_static(v));
            }
            private_cache(&mut h);
            assert_eq!(h["cache-control"], want);
        }
    }

    #[test]
    fn methods_in_another_case_are_the_standard_ones() {
        let m = |s: &str| http::Method::from_bytes(s.as_bytes()).unwrap();
        assert_eq!(canonical_method(&m("get")), Some(http::Method::GET));
        assert_eq!(canonical_method(&m("gEt")), Some(http::Method::GET));
        assert_eq!(canonical_method(&m("Delete")), Some(http::Method::DELETE));
        assert_eq!(canonical_method(&m("GET")), None);
        assert_eq!(canonical_method(&m("propfind")), None);
    }

    #[test]
    fn validators_are_rekeyed_and_answered_here() {
        let mut h = HeaderMap::new();
        h.insert(
            "etag",
            HeaderValue::from_static("\"5d41402abc4b2a76b9719d911017c592\""),
        );
        h.insert(
            "content-md5",
            HeaderValue::from_static("XUFAKrxLKna5cZ2REBfFkg=="),
        );
        h.insert(
            "repr-digest",
            HeaderValue::from_static("md5=:XUFAKrxLKna5cZ2REBfFkg==:"),
        );
        // Vendors' own digests, whatever their names.
        for n in [
            "x-oss-hash-crc64ecma",
            "x-cos-hash-crc64ecma",
            "x-ms-blob-content-md5",
            "x-checksum-sha256",
            "x-checksum-sha1",
            "x-amz-meta-md5",
            "x-content-sha512",
        ] {
            h.insert(n, HeaderValue::from_static("1234"));
        }
        h.insert("x-trace", HeaderValue::from_static("abc"));
        h.insert("x-shard-2", HeaderValue::from_static("abc"));
        rekey_validators(&mut h, |v| Some(format!("k{}", v.len())));
        assert_eq!(h["etag"], "W/\"k34\"");
        assert_eq!(
            h.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["etag", "x-shard-2", "x-trace"]
        );
        assert!(h.get("content-md5").is_none() && h.get("repr-digest").is_none());
        for (inm, hit) in [
            ("W/\"k34\"", true),
            ("\"k34\"", true),
            ("\"x\", W/\"k34\"", true),
            ("*", true),
            ("\"5d41402abc4b2a76b9719d911017c592\"", false),
            ("W/\"k3\"", false),
        ] {
            assert_eq!(
                not_modified(&HeaderValue::from_static(inm), &h),
                hit,
                "{inm}"
            );
        }
        assert!(!not_modified(
            &HeaderValue::from_static("*"),
            &HeaderMap::new()
        ));
    }
}

/// The path a request is routed by and forwarded with: percent escapes of unreserved
/// characters decoded (`%61pi` is `api`), `.` and `..` segments removed and runs of `/`
/// collapsed (RFC 3986 §6.2.2), as the upstream (nginx, a servlet container) would read
/// it. Routing the raw path let `/./api/…`, `//api/…` or `/%61pi/…` fall to the default
/// interface while the upstream served the protected one. `None` when the path is already
/// in that form (the common case: no allocation).
///
/// # Errors
/// A path the upstream may read as another one whatever is done here: an escaped `/` or
/// `\`, a raw `\`, or a control character, in a path segment.
pub fn normalize_path(path: &str) -> Result<Option<String>, &'static str> {
    let b = path.as_bytes();
    let odd = b.windows(2).any(|w| w == b"//")
        || b.contains(&b'%')
        || b.contains(&b'\\')
        || path
            .split('/')
            .skip(1)
            .any(|s| matches!(s.split(';').next(), Some("." | "..")) || s.starts_with(';'));
    if !odd {
        return Ok(None);
    }
    // Decode the escapes of unreserved characters; refuse the ambiguous ones.
    let mut dec: Vec<u8> = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' || c < 0x20 || c == 0x7f {
            return Err("a backslash or control character in the path");
        }
        if c == b'%' && i + 2 < b.len() {
            let hex = |x: u8| (x as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                let v = (h * 16 + l) as u8;
                if matches!(v, b'/' | b'\\') || v < 0x20 || v == 0x7f {
                    return Err("an escaped slash, backslash or control character in the path");
                }
                if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                    dec.push(v);
                } else {
                    // Reserved or non-ASCII: kept escaped, in upper case (§6.2.2.1).
                    dec.extend_from_slice(&[
                        b'%',
                        b[i + 1].to_ascii_uppercase(),
                        b[i + 2].to_ascii_uppercase(),
                    ]);
                }
                i += 3;
                continue;
            }
        }
        dec.push(c);
        i += 1;
    }
    let dec = String::from_utf8(dec).map_err(|_| "a path that is not UTF-8")?;
    let mut out: Vec<&str> = Vec::new();
    let trailing = dec.ends_with('/') || dec.ends_with("/.") || dec.ends_with("/..");
    for seg in dec.split('/') {
        // `..;x` is `..` to servers that drop path parameters (Tomcat): resolved here, so
        // `/public/..;/secret` routes as `/secret`.
        // `/;x/api` is `//api`, so `/api`, to the same servers.
        match seg.split(';').next() {
            Some("" | ".") => {}
            Some("..") => {
                out.pop();
            }
            _ => out.push(seg),
        }
    }
    let mut norm = String::with_capacity(dec.len());
    for s in &out {
        norm.push('/');
        norm.push_str(s);
    }
    if norm.is_empty() || (trailing && !norm.ends_with('/')) {
        norm.push('/');
    }
    Ok((norm != path).then_some(norm))
}

/// What makes a request head malformed before any policy looks at it: `CONNECT` (this is
/// a reverse proxy, not a tunnel), an asterisk target other than `OPTIONS *`, an HTTP/1.1
/// request without exactly one `Host`, more header fields than `max_headers` or more header
/// bytes than `max_header_bytes` (names, values and their `: ` and line end). The HTTP/1.1
/// and HTTP/2 codecs are set to twice these limits (`server::builder`), so a head that is
/// over them gets a problem body from here; one that is over twice them is refused by the
/// codec itself, with a bare 431 (or the connection closed) before any of it is buffered.
pub fn head_problem(
    method: &http::Method,
    version: http::Version,
    path: &str,
    h: &HeaderMap,
    max_headers: usize,
    max_header_bytes: u64,
) -> Option<(http::StatusCode, &'static str)> {
    use http::StatusCode;
    if method == http::Method::CONNECT {
        return Some((
            StatusCode::METHOD_NOT_ALLOWED,
            "CONNECT is not served by a reverse proxy",
        ));
    }
    if path == "*" && method != http::Method::OPTIONS {
        return Some((
            StatusCode::BAD_REQUEST,
            "an asterisk target is for OPTIONS only",
        ));
    }
    let hosts = h.get_all(header::HOST).iter().count();
    if hosts > 1 || (version == http::Version::HTTP_11 && hosts == 0) {
        return Some((
            StatusCode::BAD_REQUEST,
            "an HTTP/1.1 request needs exactly one Host header",
        ));
    }
    if h.len() > max_headers {
        return Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "too many header fields",
        ));
    }
    let bytes: u64 = h
        .iter()
        .map(|(n, v)| (n.as_str().len() + v.len() + 4) as u64)
        .sum();
    if bytes > max_header_bytes {
        return Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header fields too large",
        ));
    }
    None
}

/// HTTP/2 may split `cookie` into several fields (RFC 9113 §8.2.3); an HTTP/1.1 upstream
/// must get them as one, joined with `; `.
pub fn join_cookies(h: &mut HeaderMap) {
    if h.get_all(header::COOKIE).iter().nth(1).is_none() {
        return;
    }
    let joined: Vec<u8> = h
        .get_all(header::COOKIE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect::<Vec<_>>()
        .join(&b"; "[..]);
    if let Ok(v) = HeaderValue::from_bytes(&joined) {
        h.insert(header::COOKIE, v);
    }
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn paths_are_routed_as_the_upstream_reads_them() {
        for (p, want) in [
            ("/api/v1/persons/42", None),
            ("/", None),
            ("/a/b/", None),
            ("/./api/v1/persons/42", Some("/api/v1/persons/42")),
            ("//api/v1/persons/42", Some("/api/v1/persons/42")),
            ("/x/../api/v1/persons/42", Some("/api/v1/persons/42")),
            ("/api/v1/./persons/42", Some("/api/v1/persons/42")),
            ("/api/v1//persons/42", Some("/api/v1/persons/42")),
            ("/%61pi/v1/persons/42", Some("/api/v1/persons/42")),
            ("/%2e%2e/api/v1/persons/42", Some("/api/v1/persons/42")),
            ("/../../etc", Some("/etc")),
            ("/a/b/..", Some("/a/")),
            ("/q/%e5%bc%a0", Some("/q/%E5%BC%A0")),
            ("/q/%E5%BC%A0", None),
            ("/50%", None),
            ("/public/..;/secret/doc", Some("/secret/doc")),
            ("/public/..;jsessionid=1/secret", Some("/secret")),
            ("/a/.;x/b", Some("/a/b")),
            ("/persons;x/1", None),
            ("/;x/api/v1/persons/42", Some("/api/v1/persons/42")),
            ("/api/;/v1/persons/42", Some("/api/v1/persons/42")),
        ] {
            assert_eq!(normalize_path(p), Ok(want.map(str::to_string)), "{p}");
        }
        for p in ["/api%2Fv1/persons/42", "/api%5cv1", "/api\\v1", "/a%00b"] {
            assert!(normalize_path(p).is_err(), "{p}");
        }
    }

    #[test]
    fn malformed_heads_are_named() {
        use http::{Method, StatusCode, Version};
        let mut h = HeaderMap::new();
        let v11 = Version::HTTP_11;
        assert_eq!(
            head_problem(&Method::GET, v11, "/", &h, 100, 65536).map(|x| x.0),
            Some(StatusCode::BAD_REQUEST)
        );
        h.insert(header::HOST, HeaderValue::from_static("a"));
        assert_eq!(head_problem(&Method::GET, v11, "/", &h, 100, 65536), None);
        assert_eq!(
            head_problem(&Method::GET, v11, "/", &h, 0, 65536).map(|x| x.0),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        assert_eq!(
            head_problem(&Method::CONNECT, v11, "/", &h, 100, 65536).map(|x| x.0),
            Some(StatusCode::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            head_problem(&Method::GET, v11, "*", &h, 100, 65536).map(|x| x.0),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            head_problem(&Method::OPTIONS, v11, "*", &h, 100, 65536),
            None
        );
        h.append(header::HOST, HeaderValue::from_static("b"));
        assert_eq!(
            head_problem(&Method::GET, v11, "/", &h, 100, 65536).map(|x| x.0),
            Some(StatusCode::BAD_REQUEST)
        );
        let h2 = HeaderMap::new();
        assert_eq!(
            head_problem(&Method::GET, Version::HTTP_2, "/", &h2, 100, 65536),
            None
        );
        let mut c = HeaderMap::new();
        c.append(header::COOKIE, HeaderValue::from_static("a=1"));
        c.append(header::COOKIE, HeaderValue::from_static("b=2"));
        join_cookies(&mut c);
        assert_eq!(c.get_all(header::COOKIE).iter().count(), 1);
        assert_eq!(c[header::COOKIE], "a=1; b=2");
    }
}

/// The codings a body must be decoded through before the engine reads it, or why it
/// cannot be read: a `Content-Encoding` no codec knows, or a charset in which ASCII is not
/// ASCII (EBCDIC, UTF-7), which hides every value as an unknown coding does. Both
/// directions refuse or pass such a body by `decode.unknown_encoding`.
pub fn inspectable_codings(h: &HeaderMap) -> Result<Vec<crate::codec::Encoding>, String> {
    if let Some(cs) = content_type(h).and_then(sluice_rules::charset::Charset::unreadable_in) {
        return Err(format!("charset `{cs}` cannot be inspected"));
    }
    match content_codings(h) {
        None => Ok(Vec::new()),
        Some(v) => crate::codec::Encoding::parse_list(&v).map_err(|e| e.to_string()),
    }
}

/// The `Content-Encoding` list, from every field line of it (`gzip` and `br` on two lines
/// are `gzip, br`, RFC 9110 §5.3); `None` without one. A value that is not text becomes
/// U+FFFD, a coding no parser knows (unknown: closed).
pub fn content_codings(h: &HeaderMap) -> Option<String> {
    let mut it = h.get_all(header::CONTENT_ENCODING).iter();
    let first = it.next()?;
    let mut s = first.to_str().unwrap_or("\u{fffd}").to_string();
    for v in it {
        s.push_str(", ");
        s.push_str(v.to_str().unwrap_or("\u{fffd}"));
    }
    Some(s)
}
