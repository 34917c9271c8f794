//! Errors that know where they came from.
//!
//! As in Pingora's error type, a [`ProxyError`] records its *origin* (the downstream client,
//! the upstream, the proxy itself, or a policy decision) and its kind, because that is what
//! decides the status code (4xx for the client's fault, 502/504 for the upstream's, 500 for
//! ours), whether a retry would be safe, and which log level it deserves. Wherever response
//! headers have not been sent yet, an error becomes an RFC 9457 `application/problem+json`
//! body with a request id and never any body content; once headers are out, the only honest
//! signal left is aborting the stream, which the body pipeline does.

use std::fmt;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde::Serialize;

/// Who caused the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The downstream client (bad request, too large, too slow, went away).
    Client,
    /// The upstream API (refused, timed out, reset, sent garbage or a bomb).
    Upstream,
    /// The proxy (a bug, or a resource limit of its own).
    Internal,
    /// A DLP policy decision (block).
    Policy,
}

impl Origin {
    /// Name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Client => "client",
            Origin::Upstream => "upstream",
            Origin::Internal => "internal",
            Origin::Policy => "policy",
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Upstream connection refused or unreachable.
    ConnectFailed,
    /// Upstream connect or response-head timeout.
    Timeout,
    /// Upstream closed or reset the connection.
    UpstreamReset,
    /// Upstream sent something that is not valid HTTP.
    UpstreamProtocol,
    /// A body was larger than a cap.
    BodyTooLarge,
    /// A compressed body expanded past a cap.
    Bomb,
    /// A body in a coding that cannot be inspected.
    UnknownEncoding,
    /// A compressed body that could not be decoded.
    CorruptEncoding,
    /// A ZIP body (xlsx, docx, zip) that cannot be inspected whole: larger than
    /// `decode.max_archive`, corrupt, or with members that cannot be read.
    UnreadableArchive,
    /// A message that must be blocked outgrew its hold buffer (fail closed).
    HoldOverflow,
    /// Blocked by policy; carries the classes found (never values).
    Blocked { classes: Vec<String> },
    /// A response graded above the interface's declared grade (over-scope, blocked).
    OverScope { grade: String, declared: String },
    /// The caller's credential was refused (401).
    Unauthenticated,
    /// The interface is not shared with this consumer (403).
    NotAuthorized,
    /// A rate limit or quota refused the exchange (429 or 403).
    Limited,
    /// The audit trail cannot keep the record and `audit.on_failure: block` (503).
    AuditUnavailable,
    /// The bytes of held bodies would pass `limits.max_held_total` (503).
    Overloaded,
    /// The proxy is stopping and its drain bound (`listen.shutdown_grace`) passed before
    /// the answer was ready (503: another replica can take the retry).
    ShuttingDown,
    /// The request is malformed or not allowed (e.g. an upgrade on an interface without it).
    BadRequest,
    /// A write's `If-Match` names no entity tag this proxy gave for the representation under
    /// the rules and policy in force (412, answered without asking the origin).
    PreconditionFailed,
    /// Something in the proxy itself.
    Internal,
}

/// An error with its origin, kind, status and a safe human detail.
#[derive(Debug, Clone)]
pub struct ProxyError {
    pub origin: Origin,
    pub kind: Kind,
    pub status: StatusCode,
    /// Human detail; never contains body content.
    pub detail: String,
    /// Whether retrying the request elsewhere would be safe (the upstream never saw it).
    pub retry_safe: bool,
}

impl ProxyError {
    /// A new error.
    pub fn new(origin: Origin, kind: Kind, status: StatusCode, detail: impl Into<String>) -> Self {
        let retry_safe = matches!(kind, Kind::ConnectFailed);
        ProxyError {
            origin,
            kind,
            status,
            detail: detail.into(),
            retry_safe,
        }
    }

    /// Upstream connection refused.
    pub fn connect(detail: impl Into<String>) -> Self {
        Self::new(
            Origin::Upstream,
            Kind::ConnectFailed,
            StatusCode::BAD_GATEWAY,
            detail,
        )
    }

    /// Upstream timeout.
    pub fn timeout(detail: impl Into<String>) -> Self {
        Self::new(
            Origin::Upstream,
            Kind::Timeout,
            StatusCode::GATEWAY_TIMEOUT,
            detail,
        )
    }

    /// Upstream reset or protocol error.
    pub fn upstream(kind: Kind, detail: impl Into<String>) -> Self {
        Self::new(Origin::Upstream, kind, StatusCode::BAD_GATEWAY, detail)
    }

    /// A client error with a status.
    pub fn client(kind: Kind, status: StatusCode, detail: impl Into<String>) -> Self {
        Self::new(Origin::Client, kind, status, detail)
    }

    /// An internal error.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            Origin::Internal,
            Kind::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            detail,
        )
    }

    /// The problem `type` URI.
    pub fn type_uri(&self) -> &'static str {
        match self.kind {
            Kind::ConnectFailed => "urn:sluice:problem:upstream-unavailable",
            Kind::Timeout => "urn:sluice:problem:upstream-timeout",
            Kind::UpstreamReset => "urn:sluice:problem:upstream-reset",
            Kind::UpstreamProtocol => "urn:sluice:problem:upstream-protocol",
            Kind::BodyTooLarge => "urn:sluice:problem:body-too-large",
            Kind::Bomb => "urn:sluice:problem:decompression-bomb",
            Kind::UnknownEncoding => "urn:sluice:problem:unknown-encoding",
            Kind::CorruptEncoding => "urn:sluice:problem:corrupt-encoding",
            Kind::UnreadableArchive => "urn:sluice:problem:unreadable-archive",
            Kind::HoldOverflow => "urn:sluice:problem:hold-overflow",
            Kind::Blocked { .. } => "urn:sluice:problem:blocked",
            Kind::OverScope { .. } => "urn:sluice:problem:over-scope",
            Kind::Unauthenticated => "urn:sluice:problem:unauthenticated",
            Kind::NotAuthorized => "urn:sluice:problem:not-authorized",
            Kind::Limited => "urn:sluice:problem:rate-limited",
            Kind::AuditUnavailable => "urn:sluice:problem:audit-unavailable",
            Kind::Overloaded => "urn:sluice:problem:overloaded",
            Kind::ShuttingDown => "urn:sluice:problem:shutting-down",
            Kind::BadRequest => "urn:sluice:problem:bad-request",
            Kind::PreconditionFailed => "urn:sluice:problem:precondition-failed",
            Kind::Internal => "urn:sluice:problem:internal",
        }
    }

    /// A short title.
    pub fn title(&self) -> &'static str {
        match self.kind {
            Kind::ConnectFailed => "Upstream unavailable",
            Kind::Timeout => "Upstream timed out",
            Kind::UpstreamReset => "Upstream connection reset",
            Kind::UpstreamProtocol => "Upstream protocol error",
            Kind::BodyTooLarge => "Body too large",
            Kind::Bomb => "Decompression bomb",
            Kind::UnknownEncoding => "Content encoding not inspectable",
            Kind::CorruptEncoding => "Corrupt content encoding",
            Kind::UnreadableArchive => "Archive not inspectable",
            Kind::HoldOverflow => "Message too large to inspect",
            Kind::Blocked { .. } => "Blocked by data-loss-prevention policy",
            Kind::OverScope { .. } => "Response above the interface's declared grade",
            Kind::Unauthenticated => "Consumer not authenticated",
            Kind::NotAuthorized => "Interface not shared with this consumer",
            Kind::Limited => "Rate limit or quota exceeded",
            Kind::AuditUnavailable => "Audit trail unavailable",
            Kind::Overloaded => "Proxy holding too many bodies",
            Kind::ShuttingDown => "Proxy shutting down",
            Kind::BadRequest => "Bad request",
            Kind::PreconditionFailed => "Precondition failed",
            Kind::Internal => "Internal proxy error",
        }
    }

    /// A short machine name for logs.
    pub fn kind_str(&self) -> &'static str {
        self.type_uri().rsplit(':').next().unwrap_or("error")
    }

    /// The problem+json response for this error.
    pub fn to_response(&self, request_id: &str, interface: &str) -> Response<Bytes> {
        problem_response(self, request_id, interface)
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} error ({}): {}",
            self.origin.as_str(),
            self.kind_str(),
            self.detail
        )
    }
}

impl std::error::Error for ProxyError {}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    request_id: &'a str,
    interface: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    classes: Option<&'a [String]>,
}

/// Renders a problem+json response.
pub fn problem_response(e: &ProxyError, request_id: &str, interface: &str) -> Response<Bytes> {
    let classes = match &e.kind {
        Kind::Blocked { classes } => Some(classes.as_slice()),
        _ => None,
    };
    let p = Problem {
        type_: e.type_uri(),
        title: e.title(),
        status: e.status.as_u16(),
        detail: &e.detail,
        request_id,
        interface,
        classes,
    };
    let body = serde_json::to_vec(&p).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = e.status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
    r
}
