//! Phase 3, upstream: the pooled client and the one place requests leave the proxy.
//!
//! Contract: gets the request with its final body; returns the upstream's response head (the
//! body is still streaming) or a [`ProxyError`] classified by cause: refused/unreachable →
//! 502, connect or response-head timeout → 504, reset or garbage → 502, our own request body
//! cut off (cap) → 413. The client keeps connections alive per upstream (HTTP/1.1 pool or one
//! multiplexed HTTP/2 connection; h2c by prior knowledge, ALPN over TLS).

use std::error::Error as _;

use http::uri::{Authority, Scheme};
use http::{header, Request, Response, StatusCode, Uri, Version};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::Instant;

use super::{Ctx, Proxy};

/// Most header fields an upstream response may carry.
const UPSTREAM_MAX_HEADERS: usize = 1000;
use crate::body::{Aborted, ReqBody};
use crate::config::{Config, UpstreamProtocol};
use crate::error::{Kind, ProxyError};

/// The upstream client and address.
pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, ReqBody>,
    scheme: Scheme,
    authority: Authority,
    base_path: String,
}

impl Upstream {
    /// Builds the pooled client.
    ///
    /// # Errors
    /// Bad URL or TLS files.
    pub fn build(cfg: &Config) -> Result<Upstream, String> {
        let u = &cfg.upstream;
        let uri: Uri = u.url.parse().map_err(|e| format!("upstream.url: {e}"))?;
        let scheme = uri.scheme().cloned().unwrap_or(Scheme::HTTP);
        let authority = uri.authority().cloned().ok_or("upstream.url: no host")?;
        let base_path = uri.path().trim_end_matches('/').to_string();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(cfg.timeouts.connect));
        http.set_nodelay(true);
        http.set_keepalive(Some(std::time::Duration::from_secs(60)));
        let tls = crate::tls::upstream_config(&u.tls).map_err(|e| {
            format!(
                "{}key `upstream.tls`: {e}",
                crate::config::located(cfg, "upstream.tls")
            )
        })?;
        let b = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let b = match &u.tls.server_name {
            Some(n) => {
                let name = rustls::pki_types::ServerName::try_from(n.clone())
                    .map_err(|e| format!("upstream.tls.server_name: {e}"))?;
                b.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
            }
            None => b,
        };
        let connector = match u.protocol {
            UpstreamProtocol::Http1 => b.enable_http1().wrap_connector(http),
            UpstreamProtocol::H2 => b.enable_http2().wrap_connector(http),
            UpstreamProtocol::Auto => b.enable_http1().enable_http2().wrap_connector(http),
        };
        let mut cb = Client::builder(TokioExecutor::new());
        cb.timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(u.pool_idle_timeout)
            .pool_max_idle_per_host(u.pool_max_idle)
            // hyper's default of 100 header fields answers 502 to an origin that sets many
            // cookies or tracing headers; the head's size is still bounded by hyper's read
            // buffer, as nginx bounds it by `proxy_buffer_size`.
            .http1_max_headers(UPSTREAM_MAX_HEADERS)
            .http2_keep_alive_interval(std::time::Duration::from_secs(30))
            .http2_keep_alive_while_idle(false);
        // Plain-TCP HTTP/2 has no ALPN: `h2` means prior knowledge (h2c).
        if u.protocol == UpstreamProtocol::H2 {
            cb.http2_only(true);
        }
        let client = cb.build(connector);
        Ok(Upstream {
            client,
            scheme,
            authority,
            base_path,
        })
    }

    /// `host:port` to connect to (the readiness check).
    pub(crate) fn connect_target(&self) -> Option<String> {
        let default = if self.scheme == Scheme::HTTPS {
            443
        } else {
            80
        };
        let port = self.authority.port_u16().unwrap_or(default);
        Some(format!("{}:{port}", self.authority.host()))
    }

    fn uri_for(&self, original: &Uri) -> Result<Uri, ProxyError> {
        let pq = original.path_and_query().map_or("/", |p| p.as_str());
        // `OPTIONS *` asks about the server, not a resource: it stays `*` under a base path.
        let pq = if self.base_path.is_empty() || pq == "*" {
            pq.to_string()
        } else {
            format!("{}{}", self.base_path, pq)
        };
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
            .map_err(|e| {
                ProxyError::client(
                    Kind::BadRequest,
                    StatusCode::BAD_REQUEST,
                    format!("request target: {e}"),
                )
            })
    }
}

/// Runs the phase.
///
/// # Errors
/// See the module documentation.
pub async fn run(
    proxy: &Proxy,
    ctx: &mut Ctx,
    mut req: Request<ReqBody>,
) -> Result<Response<Incoming>, ProxyError> {
    let up = &proxy.upstream;
    *req.uri_mut() = up.uri_for(req.uri())?;
    *req.version_mut() = Version::HTTP_11;
    // Without a kept Host the client adds the upstream's on HTTP/1.1 and sends it as
    // `:authority` on HTTP/2, where a `host` field as well is a duplicate nginx refuses.
    if proxy.cfg.upstream.protocol == crate::config::UpstreamProtocol::H2 {
        req.headers_mut().remove(header::HOST);
    }
    let header_by = Instant::now() + proxy.cfg.timeouts.response_header;
    let at = header_by.min(ctx.deadline);
    let sent = Instant::now();
    // An idempotent request without a body may be sent again (RFC 9110 §9.2.2) when the
    // connection closed before any response: the usual cause is a pooled keep-alive
    // connection the upstream closed at the moment it was reused.
    let again = (matches!(
        *req.method(),
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
    ) && http_body::Body::is_end_stream(req.body()))
    .then(|| {
        let mut b = Request::builder()
            .method(req.method().clone())
            .uri(req.uri().clone())
            .version(req.version());
        if let Some(h) = b.headers_mut() {
            *h = req.headers().clone();
        }
        b.body(ReqBody::empty()).ok()
    })
    .flatten();
    let first = tokio::time::timeout_at(at, up.client.request(req)).await;
    let outcome = match (first, again) {
        (Ok(Err(e)), Some(req)) if closed_before_response(&e) => {
            tracing::debug!(request_id = %ctx.request_id, "upstream closed before responding; sending again: {e}");
            tokio::time::timeout_at(at, up.client.request(req)).await
        }
        (first, _) => first,
    };
    match outcome {
        Err(_) => Err(ProxyError::timeout(
            "no response head from the upstream in time",
        )),
        Ok(Ok(resp)) => {
            crate::metrics::UpstreamResponded {
                interface: &ctx.iface.name,
                elapsed: sent.elapsed(),
            }
            .emit(&proxy.stats.metrics);
            Ok(resp)
        }
        Ok(Err(e)) => Err(classify(&e)),
    }
}

fn classify(e: &hyper_util::client::legacy::Error) -> ProxyError {
    let mut timed_out = false;
    let mut body_aborted: Option<&'static str> = None;
    let mut src: Option<&(dyn std::error::Error + 'static)> = e.source();
    let mut hyper_err: Option<&hyper::Error> = None;
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                timed_out = true;
            }
        }
        if let Some(a) = s.downcast_ref::<Aborted>() {
            body_aborted = Some(a.0);
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            hyper_err.get_or_insert(h);
            if h.is_timeout() {
                timed_out = true;
            }
        }
        if s.to_string().contains("timed out") {
            timed_out = true;
        }
        src = s.source();
    }
    match body_aborted {
        Some(crate::body::OVER_CAP) => {
            return ProxyError::client(
                Kind::BodyTooLarge,
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body exceeds the cap",
            )
        }
        Some(reason) => {
            return ProxyError::client(
                Kind::BadRequest,
                StatusCode::BAD_REQUEST,
                format!("request body: {reason}"),
            )
        }
        None => {}
    }
    if e.is_connect() {
        return if timed_out {
            ProxyError::timeout(format!("connecting to the upstream timed out: {e}"))
        } else {
            ProxyError::connect(format!("cannot connect to the upstream: {}", chain(e)))
        };
    }
    if timed_out {
        return ProxyError::timeout(format!("upstream timed out: {}", chain(e)));
    }
    match hyper_err {
        Some(h) if h.is_parse() => ProxyError::upstream(
            Kind::UpstreamProtocol,
            format!("invalid response: {}", chain(e)),
        ),
        Some(h) if h.is_user() => ProxyError::client(
            Kind::BadRequest,
            StatusCode::BAD_REQUEST,
            format!("request body: {}", chain(e)),
        ),
        _ => ProxyError::upstream(
            Kind::UpstreamReset,
            format!("upstream failed before the response head: {}", chain(e)),
        ),
    }
}

/// Whether the upstream closed the connection before a response head (not a timeout, not
/// a connect failure, not a response it could not parse).
fn closed_before_response(e: &hyper_util::client::legacy::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = src {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            return h.is_incomplete_message() || h.is_canceled();
        }
        src = s.source();
    }
    false
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}
