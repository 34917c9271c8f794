//! The admin listener: a port of its own (`admin.listen`, loopback by default) for operators,
//! Prometheus and Kubernetes probes, never for API traffic.
//!
//! Routes:
//!
//! | route | what |
//! |---|---|
//! | `GET /metrics` | Prometheus text format; OpenMetrics when the `Accept` header asks for it |
//! | `GET /healthz` | liveness: 200 while the process serves |
//! | `GET /readyz` | readiness: 200 when rules are loaded and the upstream accepts a TCP connection within `admin.readiness_timeout`, else 503 with the reason (also 503 once graceful shutdown has begun, and while a failing audit sink makes `audit.on_failure: block` refuse decisions) |
//! | `POST /-/reload` | reload rules and policy now; 200 with the outcome, 500 when it failed (the old state stays) |
//! | `GET /-/rules` | rules in force (id, name, class, grade, pack, pack version), content hash, last reload outcome |
//! | `GET /-/interfaces` | the interface inventory: configured and observed (templated) interfaces with counts, classes, highest grade, last seen |
//! | `POST /-/scan` | dry run for rule authors: the body in (any `Content-Type`/`Content-Encoding`, a ZIP such as an xlsx too; `?interface=NAME` picks that interface's actions), findings out — rule, class, grade, action, offsets, field, member; never values |
//!
//! Readiness is what a Kubernetes Service routes on, so it answers "would a request be served
//! as configured": a rule set is in force (a failed reload keeps the previous one, so the pod
//! stays ready; an engine with no rules at all is not ready, since it would pass everything)
//! and the upstream accepts a TCP connection, tried afresh on every probe (no TLS handshake, so
//! a probe is cheap for the upstream too). Liveness only says the process answers: an
//! unreachable upstream must not get Sluice restarted.
//!
//! With `admin.token` (or `token_file`, a mounted Secret read once at start) every route except
//! `/healthz` and `/readyz` needs `Authorization: Bearer TOKEN` (scheme in any case); without it
//! the answer is 401 with `WWW-Authenticate`. Probes carry no secrets and reveal nothing. A
//! known route with the wrong method gets 405 with `Allow`, an unknown one 404 with the route
//! list. Scans run on a blocking thread so a large dry run never stalls the proxy's workers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::Serialize;
use serde_json::json;
use sluice_rules::{Charset, Format, ScanOptions};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::codec::{decode_all, Encoding};
use crate::config::AdminConfig;
use crate::phases::Proxy;
use crate::policy::Decider;

type Resp = Response<Full<Bytes>>;

/// A running admin listener.
pub struct Admin {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    pub(crate) task: JoinHandle<()>,
}

/// Binds `cfg.listen` and serves the admin routes for `proxy`.
///
/// # Errors
/// The address cannot be bound, or the token file cannot be read.
pub async fn start(proxy: Arc<Proxy>, cfg: &AdminConfig) -> anyhow::Result<Admin> {
    let token = match (&cfg.token, &cfg.token_file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(f)) => {
            let t = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("admin.token_file {}: {e}", f.display()))?;
            let t = t.trim().to_string();
            if t.is_empty() {
                anyhow::bail!("admin.token_file {}: empty", f.display());
            }
            Some(t)
        }
        (None, None) => None,
    };
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| anyhow::anyhow!("admin: cannot listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State {
        proxy,
        token,
        cfg: cfg.clone(),
    });
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(state.handle(req).await) }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    tracing::info!(%addr, "admin listening");
    Ok(Admin { addr, task })
}

struct State {
    proxy: Arc<Proxy>,
    token: Option<String>,
    cfg: AdminConfig,
}

fn json_resp(status: StatusCode, v: &impl Serialize) -> Resp {
    let body = serde_json::to_vec_pretty(v).unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

fn text(status: StatusCode, s: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(s.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Compares the SHA-256 digests without an early exit: the time taken reveals neither the
/// matching prefix nor the token's length (digests are always 32 bytes).
fn same(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The credentials of an `Authorization: Bearer …` header. The scheme is case-insensitive
/// (RFC 9110 §11.1), so `bearer` from a hand-written curl works like Prometheus' `Bearer`.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

/// The methods each route answers, for the `Allow` header of a 405 (RFC 9110 §15.5.6).
fn allowed(path: &str) -> Option<&'static str> {
    Some(match path {
        "/metrics" | "/healthz" | "/readyz" => "GET, HEAD",
        "/-/reload" => "POST, PUT",
        "/-/rules" | "/-/interfaces" => "GET",
        "/-/scan" => "POST",
        _ => return None,
    })
}

impl State {
    async fn handle(&self, req: Request<Incoming>) -> Resp {
        let path = req.uri().path().to_string();
        let open = matches!(path.as_str(), "/healthz" | "/readyz");
        if let (Some(t), false) = (&self.token, open) {
            let ok = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(bearer)
                .is_some_and(|v| same(v.as_bytes(), t.as_bytes()));
            if !ok {
                let mut r = text(StatusCode::UNAUTHORIZED, "bearer token required\n");
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"sluice-admin\""),
                );
                return r;
            }
        }
        let method = req.method().clone();
        match (method, path.as_str()) {
            (Method::GET | Method::HEAD, "/metrics") => self.metrics(&req),
            (Method::GET | Method::HEAD, "/healthz") => text(StatusCode::OK, "ok\n"),
            (Method::GET | Method::HEAD, "/readyz") => self.ready().await,
            (Method::POST | Method::PUT, "/-/reload") => self.reload().await,
            (Method::GET, "/-/rules") => self.rules(),
            (Method::GET, "/-/interfaces") => {
                json_resp(StatusCode::OK, &self.proxy.inventory.view())
            }
            (Method::POST, "/-/scan") => self.scan(req).await,
            (_, p) => match allowed(p) {
                Some(allow) => {
                    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
                    r.headers_mut()
                        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
                    r
                }
                None => text(
                    StatusCode::NOT_FOUND,
                    "routes: /metrics /healthz /readyz /-/reload /-/rules /-/interfaces /-/scan\n",
                ),
            },
        }
    }

    fn metrics(&self, req: &Request<Incoming>) -> Resp {
        let om = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/openmetrics-text"));
        let body = self.proxy.metrics().render(om);
        let mut r = Response::new(Full::new(Bytes::from(body)));
        let ct = if om {
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        } else {
            "text/plain; version=0.0.4; charset=utf-8"
        };
        r.headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(ct));
        r
    }

    async fn ready(&self) -> Resp {
        if self
            .proxy
            .draining
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
        }
        let live = self.proxy.live.load_full();
        if live.engine.rules().is_empty() {
            return text(StatusCode::SERVICE_UNAVAILABLE, "no rules loaded\n");
        }
        if live.audit.as_ref().is_some_and(|a| a.refusing()) {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit sink failing (audit.on_failure: block refuses audited decisions)\n",
            );
        }
        let Some(target) = self.proxy.upstream.connect_target() else {
            return text(StatusCode::SERVICE_UNAVAILABLE, "upstream has no address\n");
        };
        match tokio::time::timeout(
            self.cfg.readiness_timeout,
            tokio::net::TcpStream::connect(target.as_str()),
        )
        .await
        {
            Ok(Ok(_)) => text(StatusCode::OK, "ready\n"),
            Ok(Err(e)) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("upstream {target} unreachable: {e}\n"),
            ),
            Err(_) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("upstream {target}: connect timed out\n"),
            ),
        }
    }

    async fn reload(&self) -> Resp {
        let r = crate::reload::reload(&self.proxy, "admin").await;
        let live = self.proxy.live.load();
        let status = if r.result == "failure" {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        };
        json_resp(
            status,
            &json!({
                "result": r.result,
                "error": r.error,
                "hash": live.engine.content_hash(),
                "rules": live.engine.rules().len(),
                "duration_ms": r.duration_ms,
                "restart_required": r.restart_required,
            }),
        )
    }

    fn rules(&self) -> Resp {
        let live = self.proxy.live.load_full();
        let rules: Vec<_> = live
            .engine
            .rules()
            .iter()
            .map(|r| {
                json!({
                    "id": &*r.id,
                    "name": r.name,
                    "class": &*r.class,
                    "grade": &*r.grade.name,
                    "pack": r.pack,
                    "version": r.pack_version,
                })
            })
            .collect();
        json_resp(
            StatusCode::OK,
            &json!({
                "hash": live.engine.content_hash(),
                "count": rules.len(),
                "loaded_at": live.loaded_at,
                "grades": live.engine.grades().names().collect::<Vec<_>>(),
                "last_reload": self.proxy.reload.last(),
                "rules": rules,
            }),
        )
    }

    async fn scan(&self, req: Request<Incoming>) -> Resp {
        let query = req.uri().query().unwrap_or("").to_string();
        let iface_name = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("interface="))
            .map(str::to_string);
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let codings = match req.headers().get(header::CONTENT_ENCODING) {
            None => Vec::new(),
            Some(v) => match Encoding::parse_list(v.to_str().unwrap_or("\u{fffd}")) {
                Ok(c) => c,
                Err(e) => {
                    return json_resp(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        &json!({"error": e.to_string()}),
                    )
                }
            },
        };
        let cap = usize::try_from(self.cfg.max_scan_body).unwrap_or(usize::MAX);
        let body = match Limited::new(req.into_body(), cap).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return json_resp(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &json!({"error": format!("body: {e} (admin.max_scan_body is {cap} bytes)")}),
                )
            }
        };
        let live = self.proxy.live.load_full();
        let iface = match &iface_name {
            None => live.router.default_interface().clone(),
            Some(n) => match live.router.interfaces().find(|i| &*i.name == n.as_str()) {
                Some(i) => i.clone(),
                None => {
                    return json_resp(
                        StatusCode::NOT_FOUND,
                        &json!({"error": format!("no interface `{n}`")}),
                    )
                }
            },
        };
        let limits = self.proxy.limits;
        let result = tokio::task::spawn_blocking(move || {
            let mut data = body.to_vec();
            for enc in codings.iter().rev() {
                data = decode_all(*enc, &data, &limits).map_err(|e| e.to_string())?;
            }
            let decide: Option<Arc<dyn sluice_rules::Decide>> =
                Some(Arc::new(Decider(iface.actions.clone())));
            // A ZIP body (xlsx, docx, zip export): its members, as the proxy reads them.
            let (format, found, unread) = if sluice_rules::archive::is_archive(ct.as_deref(), &data)
            {
                let opts = ScanOptions {
                    decide,
                    ..ScanOptions::default()
                };
                let caps = limits.for_archives();
                let r = sluice_rules::archive::scan(&live.engine, &data, &opts, &caps)
                    .map_err(|e| e.to_string())?;
                let found: Vec<_> = r
                    .findings
                    .into_iter()
                    .map(|m| (Some(m.member), m.finding))
                    .collect();
                let unread: Vec<_> = r
                    .unread
                    .iter()
                    .map(|u| json!({"member": u.member, "reason": u.reason}))
                    .collect();
                ("zip".to_string(), found, unread)
            } else {
                let format = Format::resolve(ct.as_deref(), &data);
                let opts = ScanOptions {
                    format,
                    redact: false,
                    capture_values: false,
                    decide,
                    charset: Charset::declared(ct.as_deref()),
                };
                let res = live.engine.scan_bytes(&data, opts);
                let found: Vec<_> = res.findings.into_iter().map(|f| (None, f)).collect();
                (format!("{format:?}").to_lowercase(), found, Vec::new())
            };
            let mut blocked: Vec<String> = Vec::new();
            let findings: Vec<_> = found
                .iter()
                .map(|(member, f)| {
                    let action = iface.actions.for_finding(f);
                    if action == crate::config::Action::Block
                        && !blocked.iter().any(|c| c == &*f.class)
                    {
                        blocked.push(f.class.to_string());
                    }
                    // Offsets, names and the field: enough to find the value in the body
                    // the author already has, nothing that would put the value in a log.
                    let mut v = json!({
                        "rule": &*f.rule_id,
                        "class": &*f.class,
                        "grade": &*f.grade.name,
                        "action": action.as_str(),
                        "confidence": f.confidence.as_str(),
                        "start": f.start,
                        "end": f.end,
                        "field": f.field.as_deref(),
                    });
                    if let Some(m) = member {
                        // Offsets are the member's (a workbook cell's, for xlsx sheets).
                        v["member"] = json!(&**m);
                    }
                    v
                })
                .collect();
            Ok::<_, String>(json!({
                "interface": &*iface.name,
                "format": format,
                "unread_members": unread,
                "bytes": data.len(),
                "hash": live.engine.content_hash(),
                "would_block": !blocked.is_empty(),
                "blocked_classes": blocked,
                "count": findings.len(),
                "findings": findings,
            }))
        })
        .await;
        match result {
            Ok(Ok(v)) => json_resp(StatusCode::OK, &v),
            Ok(Err(e)) => json_resp(StatusCode::BAD_REQUEST, &json!({"error": e})),
            Err(e) => json_resp(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": e.to_string()}),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_needs_credentials() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer abc "), Some("abc"));
        assert_eq!(bearer("BEARER  abc"), Some("abc"));
        assert_eq!(bearer("Basic YWJjOmRlZg=="), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearerabc"), None);
    }

    #[test]
    fn token_comparison() {
        assert!(same(b"s3cret", b"s3cret"));
        assert!(!same(b"s3cret", b"s3creT"));
        assert!(!same(b"s3cret", b"s3cret-and-more"));
        assert!(!same(b"", b"s3cret"));
    }

    #[test]
    fn every_route_has_its_methods() {
        for route in [
            "/metrics",
            "/healthz",
            "/readyz",
            "/-/reload",
            "/-/rules",
            "/-/interfaces",
            "/-/scan",
        ] {
            assert!(allowed(route).is_some(), "{route}");
        }
        assert_eq!(allowed("/nope"), None);
    }
}
