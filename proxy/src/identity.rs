//! Consumer identity: who is calling, so that policy, limits and the audit trail can say
//! "consumer A took this", not "some IP took this".
//!
//! A [`Resolver`] is built once from [`IdentityConfig`] and asked once per request, in the
//! request filter, with the request headers and the verified client certificate that the
//! server layer put in [`ConnInfo`](crate::phases::ConnInfo) ([`ClientIdentity`]). Three
//! methods are supported:
//!
//! - **mTLS**: the consumer is a name out of the client certificate (SAN URI, SAN DNS or
//!   subject CN, in a configured order), optionally mapped to a consumer id. The certificate
//!   was already verified by rustls against the configured client CA; this module only names it.
//! - **API key**: a header carries a key; the config stores only SHA-256 hex digests of keys
//!   (a leaked config does not leak keys). The digest of the presented key is compared with
//!   every configured digest in constant time, so timing tells nothing about which key is near.
//! - **JWT bearer**: `Authorization: Bearer …`, HS256/RS256/ES256 with keys from PEM/secret
//!   files or a JWKS file, selected by `kid`. `exp`, `nbf`, `aud` and `iss` are checked with a
//!   configurable leeway. A key only verifies tokens of the algorithm configured for it, which
//!   closes the RS256→HS256 confusion attack.
//!
//! **Precedence.** Methods are tried in `order`. The first method whose credential is
//! *present* decides: a presented but invalid credential is never skipped in favour of a later
//! method, because "my JWT is expired, so let my IP-less API key fallback decide" is how
//! downgrade bugs happen. No credential at all is `on_missing` (default: the consumer is
//! `anonymous`); an invalid one is `on_invalid` (default: 401); a valid credential naming a
//! consumer that is not in `consumers` (when that list is set) is `on_unknown` (default: 401).
//! Rejections render as RFC 9457 problem+json without echoing any credential.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::tls::ClientIdentity;

/// How a consumer was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMethod {
    /// Verified client certificate.
    Mtls,
    /// API key header.
    ApiKey,
    /// JWT bearer token.
    Jwt,
    /// No credential, admitted as the anonymous consumer.
    Anonymous,
}

impl IdentityMethod {
    /// Name for logs, metrics labels and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityMethod::Mtls => "mtls",
            IdentityMethod::ApiKey => "api_key",
            IdentityMethod::Jwt => "jwt",
            IdentityMethod::Anonymous => "anonymous",
        }
    }
}

/// The resolved caller. Cheap to clone (the id is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// Consumer id: the key for policy, limits and audit.
    pub id: Arc<str>,
    /// How it was established.
    pub method: IdentityMethod,
    /// The credential's own name for the caller when it differs from the id (certificate
    /// name before mapping, JWT `sub` when another claim names the consumer). Never a secret.
    pub subject: Option<Arc<str>>,
}

impl Consumer {
    /// Whether this is the anonymous consumer.
    pub fn is_anonymous(&self) -> bool {
        self.method == IdentityMethod::Anonymous
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// `identity:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// Methods in precedence order. Default: those configured of `[mtls, jwt, api_key]`
    /// (strongest first); mTLS needs no section.
    #[serde(default)]
    pub order: Option<Vec<MethodName>>,
    /// No credential presented. Default `anonymous`.
    #[serde(default = "default_anonymous")]
    pub on_missing: Fallback,
    /// A credential was presented and failed (bad key, expired token, bad signature).
    /// Default `reject`.
    #[serde(default = "default_reject")]
    pub on_invalid: Fallback,
    /// A valid credential names a consumer not listed in `consumers`. Default `reject`.
    #[serde(default = "default_reject")]
    pub on_unknown: Fallback,
    /// The id given to anonymous callers.
    #[serde(default = "default_anonymous_id")]
    pub anonymous_id: String,
    /// Known consumer ids. When set, any other id is "unknown" (see `on_unknown`).
    #[serde(default)]
    pub consumers: Option<Vec<String>>,
    /// Client-certificate identity.
    #[serde(default)]
    pub mtls: Option<MtlsConfig>,
    /// API keys.
    #[serde(default)]
    pub api_key: Option<ApiKeyConfig>,
    /// JWT bearer tokens.
    #[serde(default)]
    pub jwt: Option<JwtConfig>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            order: None,
            on_missing: Fallback::Anonymous,
            on_invalid: Fallback::Reject,
            on_unknown: Fallback::Reject,
            anonymous_id: default_anonymous_id(),
            consumers: None,
            mtls: None,
            api_key: None,
            jwt: None,
        }
    }
}

/// A method name in `order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    Mtls,
    ApiKey,
    Jwt,
}

/// What to do with a caller that could not be identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Treat as the anonymous consumer.
    Anonymous,
    /// 401 with a problem body.
    Reject,
}

fn default_order() -> Vec<MethodName> {
    vec![MethodName::Mtls, MethodName::Jwt, MethodName::ApiKey]
}
fn default_anonymous() -> Fallback {
    Fallback::Anonymous
}
fn default_reject() -> Fallback {
    Fallback::Reject
}
fn default_anonymous_id() -> String {
    "anonymous".into()
}

/// `identity.mtls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtlsConfig {
    /// Which certificate name becomes the consumer, first present wins.
    /// Default `[san_uri, san_dns, cn]`.
    #[serde(default = "default_cert_names")]
    pub consumer_from: Vec<CertName>,
    /// Optional mapping certificate name → consumer id. When non-empty, an unmapped name is an
    /// unknown consumer.
    #[serde(default)]
    pub map: HashMap<String, String>,
}

/// A name in a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertName {
    /// Subject common name.
    Cn,
    /// First SAN of type URI (e.g. a SPIFFE id).
    SanUri,
    /// First SAN of type DNS.
    SanDns,
    /// First SAN of type e-mail.
    SanEmail,
}

fn default_cert_names() -> Vec<CertName> {
    vec![CertName::SanUri, CertName::SanDns, CertName::Cn]
}

/// `identity.api_key`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// Header carrying the key. Default `x-api-key`.
    #[serde(default = "default_api_key_header")]
    pub header: String,
    /// Known keys, by digest.
    pub keys: Vec<ApiKeyEntry>,
}

fn default_api_key_header() -> String {
    "x-api-key".into()
}

/// One API key: `sha256` is the lowercase hex SHA-256 of the key
/// (`printf %s "$KEY" | sha256sum`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyEntry {
    /// Consumer id the key identifies.
    pub consumer: String,
    /// Hex SHA-256 of the key.
    pub sha256: String,
}

/// `identity.jwt`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// Allowed algorithms (subset of HS256, RS256, ES256). Default all three.
    #[serde(default = "default_algs")]
    pub algorithms: Vec<JwtAlg>,
    /// Accepted `iss` values; unchecked when empty.
    #[serde(default)]
    pub issuer: Vec<String>,
    /// Accepted `aud` values; when non-empty a token must carry one of them.
    #[serde(default)]
    pub audience: Vec<String>,
    /// Clock-skew allowance for `exp` and `nbf`. Default `30s`.
    #[serde(default = "default_leeway", deserialize_with = "de_duration")]
    pub leeway: Duration,
    /// Claim that names the consumer. Default `sub`.
    #[serde(default = "default_claim")]
    pub consumer_claim: String,
    /// Keys from files.
    #[serde(default)]
    pub keys: Vec<JwtKeyConfig>,
    /// A JWKS document (`{"keys":[…]}`) with public keys (RSA, EC P-256).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
}

/// A JWT algorithm the proxy accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum JwtAlg {
    HS256,
    RS256,
    ES256,
}

impl JwtAlg {
    fn to_jwt(self) -> Algorithm {
        match self {
            JwtAlg::HS256 => Algorithm::HS256,
            JwtAlg::RS256 => Algorithm::RS256,
            JwtAlg::ES256 => Algorithm::ES256,
        }
    }
    fn from_jwt(a: Algorithm) -> Option<JwtAlg> {
        match a {
            Algorithm::HS256 => Some(JwtAlg::HS256),
            Algorithm::RS256 => Some(JwtAlg::RS256),
            Algorithm::ES256 => Some(JwtAlg::ES256),
            _ => None,
        }
    }
}

fn default_algs() -> Vec<JwtAlg> {
    vec![JwtAlg::HS256, JwtAlg::RS256, JwtAlg::ES256]
}
fn default_leeway() -> Duration {
    Duration::from_secs(30)
}
fn default_claim() -> String {
    "sub".into()
}

/// One verification key from a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeyConfig {
    /// Key id matched against the token's `kid`; a token without `kid` uses the only key of
    /// its algorithm, if there is exactly one.
    #[serde(default)]
    pub kid: Option<String>,
    /// The one algorithm this key verifies.
    pub alg: JwtAlg,
    /// HS256: file whose bytes (trailing newline trimmed) are the shared secret.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// RS256/ES256: PEM public key (SPKI) file.
    #[serde(default)]
    pub pem_file: Option<PathBuf>,
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(u64),
        Str(String),
    }
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(Duration::from_secs(n)),
        NumOrStr::Str(s) => crate::config::parse_duration(&s).map_err(serde::de::Error::custom),
    }
}

/// A configuration problem found while building the resolver (key path and message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfigError {
    /// Dotted key path under `identity`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for IdentityConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key `identity.{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for IdentityConfigError {}

fn cfg_err(key: impl Into<String>, message: impl Into<String>) -> IdentityConfigError {
    IdentityConfigError {
        key: key.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rejections
// ---------------------------------------------------------------------------------------------

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// No credential at all and `on_missing: reject`.
    Missing,
    /// The credential failed; the string is a safe reason (`expired`, `bad_signature`, …).
    Invalid(&'static str),
    /// A valid credential for a consumer not in `consumers`.
    Unknown,
}

/// A refused caller: 401 with a problem body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityError {
    /// The method whose credential was examined, if any.
    pub method: Option<IdentityMethod>,
    /// Why.
    pub reason: RejectReason,
}

impl IdentityError {
    /// Short machine reason for logs and audit (`missing`, `unknown_consumer`, `expired`, …).
    pub fn reason_str(&self) -> &'static str {
        match self.reason {
            RejectReason::Missing => "missing",
            RejectReason::Unknown => "unknown_consumer",
            RejectReason::Invalid(r) => r,
        }
    }

    /// Always 401: the caller is not known to be anyone allowed.
    pub fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    /// The problem+json response (`WWW-Authenticate: Bearer` so clients know what to send).
    /// Never echoes the credential.
    pub fn to_response(&self, request_id: &str, interface: &str) -> Response<Bytes> {
        #[derive(Serialize)]
        struct Problem<'a> {
            #[serde(rename = "type")]
            type_: &'a str,
            title: &'a str,
            status: u16,
            detail: String,
            request_id: &'a str,
            interface: &'a str,
        }
        let method = self.method.map(IdentityMethod::as_str).unwrap_or("none");
        let p = Problem {
            type_: "urn:sluice:problem:unauthenticated",
            title: "Consumer not authenticated",
            status: 401,
            detail: format!("{} ({method})", self.reason_str()),
            request_id,
            interface,
        };
        let body = serde_json::to_vec(&p).unwrap_or_else(|_| b"{}".to_vec());
        let mut r = Response::new(Bytes::from(body));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"sluice\""),
        );
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-request-id", v);
        }
        r
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.method.map(IdentityMethod::as_str).unwrap_or("none");
        write!(f, "identity rejected: {} ({m})", self.reason_str())
    }
}

impl std::error::Error for IdentityError {}

// ---------------------------------------------------------------------------------------------
// Resolver
// ---------------------------------------------------------------------------------------------

struct JwtKey {
    kid: Option<String>,
    alg: JwtAlg,
    key: DecodingKey,
}

struct Jwt {
    keys: Vec<JwtKey>,
    algorithms: HashSet<JwtAlg>,
    issuer: Vec<String>,
    audience: Vec<String>,
    leeway: u64,
    claim: String,
}

struct ApiKeys {
    header: HeaderName,
    /// (digest, consumer).
    keys: Vec<([u8; 32], Arc<str>)>,
}

/// Resolves the consumer of a request. Built once; shared read-only by all connections.
pub struct Resolver {
    order: Vec<MethodName>,
    on_missing: Fallback,
    on_invalid: Fallback,
    on_unknown: Fallback,
    anonymous: Arc<str>,
    known: Option<HashSet<Arc<str>>>,
    mtls: Option<MtlsConfig>,
    api: Option<ApiKeys>,
    jwt: Option<Jwt>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("order", &self.order)
            .field("api_keys", &self.api.as_ref().map(|a| a.keys.len()))
            .field("jwt_keys", &self.jwt.as_ref().map(|j| j.keys.len()))
            .finish_non_exhaustive()
    }
}

fn resolve_path(base: Option<&Path>, p: &Path) -> PathBuf {
    match base {
        Some(b) if p.is_relative() => b.join(p),
        _ => p.to_path_buf(),
    }
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl IdentityConfig {
    /// Builds the resolver, reading key files relative to `base_dir` (the config file's
    /// directory).
    ///
    /// # Errors
    /// Every problem found (a method in `order` without its section, a malformed digest, a key
    /// file that does not load, a key whose algorithm is not allowed).
    pub fn build(&self, base_dir: Option<&Path>) -> Result<Resolver, Vec<IdentityConfigError>> {
        let mut errs = Vec::new();
        let mut seen = HashSet::new();
        let order: Vec<MethodName> = match &self.order {
            Some(o) => o.clone(),
            None => default_order()
                .into_iter()
                .filter(|m| match m {
                    MethodName::Mtls => true,
                    MethodName::ApiKey => self.api_key.is_some(),
                    MethodName::Jwt => self.jwt.is_some(),
                })
                .collect(),
        };
        for (i, m) in order.iter().enumerate() {
            if !seen.insert(*m) {
                errs.push(cfg_err(format!("order[{i}]"), "method listed twice"));
            }
            let present = match m {
                MethodName::Mtls => self.mtls.is_some(),
                MethodName::ApiKey => self.api_key.is_some(),
                MethodName::Jwt => self.jwt.is_some(),
            };
            // mTLS works with defaults; the others need their keys.
            if !present && *m != MethodName::Mtls {
                errs.push(cfg_err(
                    format!("order[{i}]"),
                    "method listed in `order` but its section is missing",
                ));
            }
        }
        if self.anonymous_id.is_empty() {
            errs.push(cfg_err("anonymous_id", "must not be empty"));
        }
        let api = self.api_key.as_ref().and_then(|a| {
            let header = match HeaderName::from_bytes(a.header.as_bytes()) {
                Ok(h) => h,
                Err(_) => {
                    errs.push(cfg_err("api_key.header", "not a valid header name"));
                    return None;
                }
            };
            let mut keys = Vec::new();
            for (i, k) in a.keys.iter().enumerate() {
                match parse_hex32(&k.sha256) {
                    Some(d) => keys.push((d, Arc::from(k.consumer.as_str()))),
                    None => errs.push(cfg_err(
                        format!("api_key.keys[{i}].sha256"),
                        "must be 64 hex digits (the SHA-256 of the key, not the key)",
                    )),
                }
            }
            Some(ApiKeys { header, keys })
        });
        let jwt = self.jwt.as_ref().map(|j| build_jwt(j, base_dir, &mut errs));
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(Resolver {
            order,
            on_missing: self.on_missing,
            on_invalid: self.on_invalid,
            on_unknown: self.on_unknown,
            anonymous: Arc::from(self.anonymous_id.as_str()),
            known: self
                .consumers
                .as_ref()
                .map(|c| c.iter().map(|s| Arc::from(s.as_str())).collect()),
            mtls: Some(self.mtls.clone().unwrap_or(MtlsConfig {
                consumer_from: default_cert_names(),
                map: HashMap::new(),
            })),
            api,
            jwt,
        })
    }
}

fn build_jwt(j: &JwtConfig, base: Option<&Path>, errs: &mut Vec<IdentityConfigError>) -> Jwt {
    let algorithms: HashSet<JwtAlg> = j.algorithms.iter().copied().collect();
    let errs_before = errs.len();
    let mut keys = Vec::new();
    for (i, k) in j.keys.iter().enumerate() {
        let at = format!("jwt.keys[{i}]");
        if !algorithms.contains(&k.alg) {
            errs.push(cfg_err(&at, "key algorithm is not in `jwt.algorithms`"));
            continue;
        }
        let loaded = match (k.alg, &k.secret_file, &k.pem_file) {
            (JwtAlg::HS256, Some(f), None) => std::fs::read(resolve_path(base, f))
                .map_err(|e| format!("secret_file: {e}"))
                .and_then(|mut b| {
                    while b.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                        b.pop();
                    }
                    // A short HMAC secret is brute-forceable offline from one token.
                    if b.len() < 32 {
                        Err("secret_file: HS256 secret must be at least 32 bytes".into())
                    } else {
                        Ok(DecodingKey::from_secret(&b))
                    }
                }),
            (JwtAlg::RS256, None, Some(f)) => std::fs::read(resolve_path(base, f))
                .map_err(|e| format!("pem_file: {e}"))
                .and_then(|b| DecodingKey::from_rsa_pem(&b).map_err(|e| format!("pem_file: {e}"))),
            (JwtAlg::ES256, None, Some(f)) => std::fs::read(resolve_path(base, f))
                .map_err(|e| format!("pem_file: {e}"))
                .and_then(|b| DecodingKey::from_ec_pem(&b).map_err(|e| format!("pem_file: {e}"))),
            (JwtAlg::HS256, _, _) => Err("HS256 needs `secret_file` (and no `pem_file`)".into()),
            _ => Err("RS256/ES256 need `pem_file` (and no `secret_file`)".into()),
        };
        match loaded {
            Ok(key) => keys.push(JwtKey {
                kid: k.kid.clone(),
                alg: k.alg,
                key,
            }),
            Err(m) => errs.push(cfg_err(at, m)),
        }
    }
    if let Some(f) = &j.jwks_file {
        match load_jwks(&resolve_path(base, f), &algorithms) {
            Ok(mut k) => keys.append(&mut k),
            Err(m) => errs.push(cfg_err("jwt.jwks_file", m)),
        }
    }
    // Only when nothing else explains it: a key that failed to load is already reported.
    if keys.is_empty() && errs.len() == errs_before {
        errs.push(cfg_err("jwt", "no keys: set `keys` or `jwks_file`"));
    }
    Jwt {
        keys,
        algorithms,
        issuer: j.issuer.clone(),
        audience: j.audience.clone(),
        leeway: j.leeway.as_secs(),
        claim: j.consumer_claim.clone(),
    }
}

fn load_jwks(path: &Path, allowed: &HashSet<JwtAlg>) -> Result<Vec<JwtKey>, String> {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let set: JwkSet =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, jwk) in set.keys.iter().enumerate() {
        // The algorithm comes from the JWK's `alg` when present, else from the key type, so a
        // key can never verify a token of another family.
        let alg = match (&jwk.common.key_algorithm, &jwk.algorithm) {
            (Some(KeyAlgorithm::RS256), AlgorithmParameters::RSA(_)) => JwtAlg::RS256,
            (Some(KeyAlgorithm::ES256), AlgorithmParameters::EllipticCurve(p))
                if p.curve == EllipticCurve::P256 =>
            {
                JwtAlg::ES256
            }
            (None, AlgorithmParameters::RSA(_)) => JwtAlg::RS256,
            (None, AlgorithmParameters::EllipticCurve(p)) if p.curve == EllipticCurve::P256 => {
                JwtAlg::ES256
            }
            _ => {
                return Err(format!(
                    "keys[{i}]: only RS256 and ES256 (P-256) keys are supported"
                ))
            }
        };
        if !allowed.contains(&alg) {
            continue;
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("keys[{i}]: {e}"))?;
        out.push(JwtKey {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
        });
    }
    Ok(out)
}

/// A method's verdict on the credential it looks at.
enum Outcome {
    Absent,
    Valid {
        id: Arc<str>,
        subject: Option<Arc<str>>,
    },
    Invalid(&'static str),
    /// Authenticated, but not a consumer this proxy knows.
    Unknown,
}

impl Resolver {
    /// Resolves the consumer of a request.
    ///
    /// `cert` is the verified client certificate's identity, if the connection had one.
    ///
    /// # Errors
    /// An [`IdentityError`] (→ 401) when the configured fallbacks say to reject.
    pub fn resolve(
        &self,
        headers: &HeaderMap,
        cert: Option<&ClientIdentity>,
    ) -> Result<Consumer, IdentityError> {
        for m in &self.order {
            let (method, outcome) = match m {
                MethodName::Mtls => (IdentityMethod::Mtls, self.mtls(cert)),
                MethodName::ApiKey => (IdentityMethod::ApiKey, self.api_key(headers)),
                MethodName::Jwt => (IdentityMethod::Jwt, self.jwt(headers)),
            };
            match outcome {
                Outcome::Absent => continue,
                Outcome::Invalid(why) => {
                    return self.fallback(self.on_invalid, method, RejectReason::Invalid(why))
                }
                Outcome::Unknown => {
                    return self.fallback(self.on_unknown, method, RejectReason::Unknown)
                }
                Outcome::Valid { id, subject } => {
                    if let Some(known) = &self.known {
                        if !known.contains(&id) {
                            return self.fallback(self.on_unknown, method, RejectReason::Unknown);
                        }
                    }
                    return Ok(Consumer {
                        id,
                        method,
                        subject,
                    });
                }
            }
        }
        self.fallback_missing()
    }

    fn fallback_missing(&self) -> Result<Consumer, IdentityError> {
        match self.on_missing {
            Fallback::Anonymous => Ok(self.anonymous()),
            Fallback::Reject => Err(IdentityError {
                method: None,
                reason: RejectReason::Missing,
            }),
        }
    }

    fn fallback(
        &self,
        f: Fallback,
        method: IdentityMethod,
        reason: RejectReason,
    ) -> Result<Consumer, IdentityError> {
        match f {
            Fallback::Anonymous => Ok(self.anonymous()),
            Fallback::Reject => Err(IdentityError {
                method: Some(method),
                reason,
            }),
        }
    }

    /// The anonymous consumer.
    pub fn anonymous(&self) -> Consumer {
        Consumer {
            id: self.anonymous.clone(),
            method: IdentityMethod::Anonymous,
            subject: None,
        }
    }

    fn mtls(&self, cert: Option<&ClientIdentity>) -> Outcome {
        let (Some(cfg), Some(cert)) = (&self.mtls, cert) else {
            return Outcome::Absent;
        };
        let san = |prefix: &str| {
            cert.sans
                .iter()
                .find_map(|s| s.strip_prefix(prefix).map(str::to_string))
        };
        let name = cfg.consumer_from.iter().find_map(|n| match n {
            CertName::Cn => cert.common_name.clone(),
            CertName::SanUri => san("URI:"),
            CertName::SanDns => san("DNS:"),
            CertName::SanEmail => san("email:"),
        });
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            // A verified certificate that names nobody we can use is a failed credential, not
            // an absent one.
            return Outcome::Invalid("certificate_without_usable_name");
        };
        if cfg.map.is_empty() {
            return Outcome::Valid {
                id: Arc::from(name),
                subject: None,
            };
        }
        match cfg.map.get(&name) {
            Some(id) => Outcome::Valid {
                id: Arc::from(id.as_str()),
                subject: Some(Arc::from(name)),
            },
            // With a map, the map is the list of certificates we know.
            None => Outcome::Unknown,
        }
    }

    fn api_key(&self, headers: &HeaderMap) -> Outcome {
        let Some(api) = &self.api else {
            return Outcome::Absent;
        };
        let Some(v) = headers.get(&api.header) else {
            return Outcome::Absent;
        };
        // Two keys in one request are ambiguous: which one a layer in front or behind reads
        // is not ours to guess.
        if headers.get_all(&api.header).iter().nth(1).is_some() {
            return Outcome::Invalid("duplicate_credential");
        }
        let digest: [u8; 32] = Sha256::digest(v.as_bytes()).into();
        // Compare against every key without early exit: no timing signal about which digest
        // is closest.
        let mut found: Option<&Arc<str>> = None;
        for (d, consumer) in &api.keys {
            if bool::from(d.ct_eq(&digest)) {
                found = Some(consumer);
            }
        }
        match found {
            Some(c) => Outcome::Valid {
                id: c.clone(),
                subject: None,
            },
            None => Outcome::Invalid("unknown_api_key"),
        }
    }

    fn jwt(&self, headers: &HeaderMap) -> Outcome {
        let Some(j) = &self.jwt else {
            return Outcome::Absent;
        };
        let Some(v) = headers.get(header::AUTHORIZATION) else {
            return Outcome::Absent;
        };
        if headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .nth(1)
            .is_some()
        {
            return Outcome::Invalid("duplicate_credential");
        }
        let Ok(v) = v.to_str() else {
            return Outcome::Invalid("malformed_token");
        };
        // The scheme's name is case-insensitive (RFC 9110 §11.1): `BEARER` is `Bearer`, and a
        // bad token under it must be judged, not taken for no credential.
        let v = v.trim_start();
        let (scheme, token) = v.split_once([' ', '\t']).unwrap_or((v, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            // Some other scheme (Basic, …) is not ours to judge.
            return Outcome::Absent;
        }
        let token = token.trim();
        let Ok(h) = jsonwebtoken::decode_header(token) else {
            return Outcome::Invalid("malformed_token");
        };
        if has_crit(token) {
            return Outcome::Invalid("unknown_critical_header");
        }
        let Some(alg) = JwtAlg::from_jwt(h.alg).filter(|a| j.algorithms.contains(a)) else {
            return Outcome::Invalid("algorithm_not_allowed");
        };
        let key = match &h.kid {
            Some(kid) => j
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid.as_str()) && k.alg == alg),
            None => {
                let mut it = j.keys.iter().filter(|k| k.alg == alg);
                match (it.next(), it.next()) {
                    (Some(k), None) => Some(k),
                    _ => None,
                }
            }
        };
        let Some(key) = key else {
            return Outcome::Invalid("unknown_key");
        };
        let mut val = Validation::new(alg.to_jwt());
        val.leeway = j.leeway;
        val.validate_exp = true;
        val.validate_nbf = true;
        // A claim the configuration restricts must be there: the library checks `iss` and
        // `aud` only when a token carries them, and a token of the same issuer's key made
        // for another service without them would pass.
        let mut required = vec!["exp"];
        if j.audience.is_empty() {
            val.validate_aud = false;
        } else {
            val.set_audience(&j.audience);
            required.push("aud");
        }
        if !j.issuer.is_empty() {
            val.set_issuer(&j.issuer);
            required.push("iss");
        }
        val.set_required_spec_claims(&required);
        let data = match jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token, &key.key, &val,
        ) {
            Ok(d) => d,
            Err(e) => {
                use jsonwebtoken::errors::ErrorKind as E;
                return Outcome::Invalid(match e.kind() {
                    E::ExpiredSignature => "expired",
                    E::ImmatureSignature => "not_yet_valid",
                    E::InvalidAudience => "wrong_audience",
                    E::InvalidIssuer => "wrong_issuer",
                    E::InvalidSignature => "bad_signature",
                    E::MissingRequiredClaim(_) => "missing_claim",
                    E::InvalidAlgorithm => "algorithm_not_allowed",
                    _ => "malformed_token",
                });
            }
        };
        let claims = data.claims;
        let Some(id) = claims
            .get(&j.claim)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
        else {
            return Outcome::Invalid("missing_claim");
        };
        let subject = if j.claim != "sub" {
            claims.get("sub").and_then(|v| v.as_str()).map(Arc::from)
        } else {
            None
        };
        Outcome::Valid {
            id: Arc::from(id),
            subject,
        }
    }
}

/// Whether a token's protected header lists critical extensions (`crit`, RFC 7515
/// §4.1.11). The library reads the header without it, and none is understood here, so a
/// token that has one must be refused: its issuer meant it not to be read by a verifier
/// that ignores the extension (RFC 7797's `b64: false`, say, changes what was signed).
fn has_crit(token: &str) -> bool {
    use base64::Engine as _;
    let head = token.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&b).ok())
        .is_none_or(|m| m.contains_key("crit"))
}

/// Hex SHA-256 of an API key, for writing configs (`sluice` may expose it as a command).
pub fn api_key_digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
