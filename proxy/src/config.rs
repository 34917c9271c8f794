//! The proxy's configuration: one YAML file, parsed strictly.
//!
//! Unknown keys are rejected (`deny_unknown_fields` on every struct), because a misspelt
//! `inspect_respones: false` that is silently ignored is a DLP hole. Every error names the file,
//! the line and the dotted key path (`interfaces[2].hold_cap`): syntax and type errors get the
//! location from the YAML parser and the path from `serde_path_to_error`; semantic errors found
//! by [`Config::validate`] (bad URL, unknown class name, duplicate interface) get the line by
//! looking the key path up in the source text.
//!
//! Sizes are written `64KiB`, `8MiB`, `1GiB` (or plain bytes), durations `250ms`, `30s`, `5m`.
//! `proxy/examples/full.yaml` documents every key.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A configuration problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// File the problem is in (`<embedded>` for built-in configs).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Dotted key path (`upstream.url`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Several problems found at once, so an operator fixes them in one pass.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid configuration ({n} error{})",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where clients connect.
    pub listen: ListenConfig,
    /// The one API this sidecar protects.
    pub upstream: UpstreamConfig,
    /// Which rule packs and grade scheme the engine loads.
    #[serde(default)]
    pub rules: RulesConfig,
    /// What to do with each class of finding (global; interfaces may override).
    #[serde(default)]
    pub actions: ActionsConfig,
    /// Named interfaces, matched in order by method and path template.
    #[serde(default)]
    pub interfaces: Vec<InterfaceConfig>,
    /// Settings of the interface that catches every unmatched request.
    #[serde(default)]
    pub default_interface: DefaultInterfaceConfig,
    /// Size and count caps.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Timeouts.
    #[serde(default)]
    pub timeouts: TimeoutsConfig,
    /// Decompression caps and what to do with bombs and unknown codings.
    #[serde(default)]
    pub decode: DecodeConfig,
    /// Log output.
    #[serde(default)]
    pub logging: LoggingConfig,
    /// The admin listener (metrics, health, reload, inventory, dry-run scan); off when absent.
    #[serde(default)]
    pub admin: Option<AdminConfig>,
    /// Hot reload of rules and policy.
    #[serde(default)]
    pub reload: ReloadConfig,
    /// Metric options.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Who the caller is: mTLS names, API keys, JWT (see `crate::identity`). Without it,
    /// callers with a client certificate are named by it and everyone else is `anonymous`.
    #[serde(default)]
    pub identity: crate::identity::IdentityConfig,
    /// Rate limits and quotas per interface × consumer and per interface (see `crate::limits`).
    #[serde(default)]
    pub rate_limits: crate::limits::LimitsConfig,
    /// The tamper-evident audit trail (see `crate::audit`); off when absent.
    #[serde(default)]
    pub audit: Option<crate::audit::AuditConfig>,
    /// The file this configuration was read from ([`Config::load`]); reload re-reads it.
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// A digest of the configuration's text: the same on every replica given the same file,
    /// so what it decides (the proxy's `ETag`s) agrees between them.
    #[serde(skip)]
    pub text_digest: String,
}

/// Downstream listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenConfig {
    /// `ip:port` to listen on; port 0 picks a free port (tests, demo).
    pub addr: SocketAddr,
    /// TLS termination; plain HTTP (HTTP/1.1 and h2c prior knowledge) without it.
    #[serde(default)]
    pub tls: Option<ServerTlsConfig>,
    /// Accept HTTP/2 (ALPN `h2` over TLS, prior knowledge over plain TCP).
    #[serde(default = "yes")]
    pub http2: bool,
    /// How long SIGTERM waits for in-flight requests before closing connections.
    #[serde(default = "default_grace", deserialize_with = "de_duration")]
    pub shutdown_grace: Duration,
    /// Most concurrent downstream connections; more wait in the kernel's accept queue.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The proxies in front of this one (an ingress, a load balancer), as addresses or
    /// networks (`10.0.0.0/8`, `192.168.1.7`). From them the client is read out of
    /// `X-Forwarded-For` (or `Forwarded`) for the audit trail and the logs, and their
    /// `X-Forwarded-Proto` / `X-Forwarded-Host` are passed on; from any other peer those
    /// two are replaced and the peer is the client. Empty by default: nobody is trusted.
    #[serde(default, deserialize_with = "de_nets")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// TLS termination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTlsConfig {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA bundle to verify client certificates against (enables mTLS).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: whether a client certificate is required (default) or optional.
    #[serde(default = "yes")]
    pub client_cert_required: bool,
}

/// Upstream protocol choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamProtocol {
    /// HTTP/1.1 over plain TCP; ALPN (h2 preferred) over TLS.
    #[default]
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 only: prior knowledge (h2c) over plain TCP, ALPN `h2` over TLS.
    H2,
}

/// The upstream API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// `http://host:port` or `https://host:port`, optionally with a base path prefix.
    pub url: String,
    #[serde(default)]
    pub protocol: UpstreamProtocol,
    /// TLS settings for an `https://` upstream.
    #[serde(default)]
    pub tls: UpstreamTlsConfig,
    /// Send the client's `Host` instead of the upstream's authority.
    #[serde(default)]
    pub preserve_host: bool,
    /// How long an idle pooled connection is kept.
    #[serde(default = "default_pool_idle", deserialize_with = "de_duration")]
    pub pool_idle_timeout: Duration,
    /// Most idle pooled connections kept.
    #[serde(default = "default_pool_max_idle")]
    pub pool_max_idle: usize,
}

/// TLS to the upstream.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamTlsConfig {
    /// PEM CA bundle that signs the upstream's certificate (default: the Mozilla roots).
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// Name to verify the certificate against, when it differs from the URL's host.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Client certificate and key for mTLS to the upstream.
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    #[serde(default)]
    pub client_key: Option<PathBuf>,
}

/// Rule packs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Load the built-in packs (default); set false to use only `dir`.
    #[serde(default = "yes")]
    pub builtin: bool,
    /// Directory of extra rule packs (YAML); built-in packs otherwise.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Grade names, highest first (default `core, important, general`).
    #[serde(default)]
    pub grades: Option<Vec<String>>,
    /// File holding the key of `style: token` redactions and of the fingerprints that
    /// distinct-value quotas and audit records use (a Secret, at least 16 bytes). Replicas
    /// given the same key write the same token for a value, so joins work across them and
    /// across restarts; without it a key is drawn at start, kept across reloads only.
    #[serde(default)]
    pub token_key_file: Option<PathBuf>,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            builtin: true,
            dir: None,
            grades: None,
            token_key_file: None,
        }
    }
}

/// What happens to a body that carries a finding of a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Hash, PartialOrd, Ord, Default)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Pass untouched and do not record.
    Allow,
    /// Pass untouched, record the finding (report-only / audit mode).
    Report,
    /// Replace the value with the rule's transform (format-keeping mask by default). The
    /// default: a DLP sidecar that is switched on without a policy should protect.
    #[default]
    Redact,
    /// Refuse the whole message.
    Block,
}

impl Action {
    /// Lower-case name for logs and problem bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Report => "report",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }
}

/// Per-class actions. A class listed under `classes` wins over its grade under `grades`,
/// which wins over `default`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionsConfig {
    #[serde(default)]
    pub default: Option<Action>,
    #[serde(default)]
    pub classes: BTreeMap<String, Action>,
    #[serde(default)]
    pub grades: BTreeMap<String, Action>,
}

/// What to do when a message that may have to be blocked outgrows its hold buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// Refuse it (502 before headers; abort after).
    #[default]
    Closed,
    /// Stream it on, still scanning; a later block aborts the connection.
    Open,
}

/// Methods an interface matches: one, a list, or `ANY` (the default).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MethodSpec {
    One(String),
    Many(Vec<String>),
}

/// A named interface.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceConfig {
    /// Name used in logs, metrics and audit (`[a-z0-9_.-]`, at most 64 chars).
    pub name: String,
    /// Methods (default: any).
    #[serde(default)]
    pub method: Option<MethodSpec>,
    /// Path template: literal segments, `{name}` for one segment, `{*name}` for the rest.
    pub path: String,
    #[serde(default)]
    pub inspect_requests: Option<bool>,
    #[serde(default)]
    pub inspect_responses: Option<bool>,
    #[serde(default)]
    pub actions: Option<ActionsConfig>,
    #[serde(default, deserialize_with = "de_opt_size")]
    pub hold_cap: Option<u64>,
    #[serde(default)]
    pub on_hold_overflow: Option<FailMode>,
    #[serde(default)]
    pub block_status: Option<u16>,
    #[serde(default)]
    pub websocket: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_size")]
    pub max_request_body: Option<u64>,
    /// The highest grade this interface may return; a response graded above it is
    /// over-scope (see `over_scope`). Unset: no grade check.
    #[serde(default)]
    pub grade: Option<String>,
    /// `unconditional` (default), `conditional` (only `consumers`), `not_shared` (every call
    /// refused).
    #[serde(default)]
    pub sharing: Sharing,
    /// Consumers allowed on a `conditional` interface.
    #[serde(default)]
    pub consumers: Vec<String>,
    /// Per-consumer actions by class (`{dept-a: {resident_id: redact}}`); they win over the
    /// interface's and the global actions for that consumer only.
    #[serde(default)]
    pub consumer_actions: BTreeMap<String, BTreeMap<String, Action>>,
    /// What an over-scope response gets (default: `default_interface.over_scope`).
    #[serde(default)]
    pub over_scope: Option<OverScopeAction>,
}

/// Who may call an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    /// Every (identified or anonymous) consumer.
    #[default]
    Unconditional,
    /// Only the consumers listed in `consumers`.
    Conditional,
    /// Nobody: every call is refused (403), audited and counted.
    NotShared,
}

impl Sharing {
    /// Name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Sharing::Unconditional => "unconditional",
            Sharing::Conditional => "conditional",
            Sharing::NotShared => "not_shared",
        }
    }
}

/// What happens to a response whose highest grade is above the interface's declared grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OverScopeAction {
    /// Refuse it (the body is held until the scan is done).
    #[default]
    Block,
    /// Mask every value graded above the declared grade.
    Redact,
    /// Deliver as the class actions say; audit and count only.
    Report,
}

impl OverScopeAction {
    /// Name for logs and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            OverScopeAction::Block => "block",
            OverScopeAction::Redact => "redact",
            OverScopeAction::Report => "report",
        }
    }
}

/// The default interface, and the defaults every named interface inherits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultInterfaceConfig {
    #[serde(default = "default_iface_name")]
    pub name: String,
    #[serde(default = "yes")]
    pub inspect_requests: bool,
    #[serde(default = "yes")]
    pub inspect_responses: bool,
    /// Hold buffer for messages that may be blocked.
    #[serde(default = "default_hold_cap", deserialize_with = "de_size")]
    pub hold_cap: u64,
    #[serde(default)]
    pub on_hold_overflow: FailMode,
    #[serde(default = "default_block_status")]
    pub block_status: u16,
    /// Let `Upgrade` (WebSocket) through, uninspected.
    #[serde(default)]
    pub websocket: bool,
    /// Content types not inspected (prefix match, e.g. `image/`).
    #[serde(default = "default_skip_types")]
    pub skip_content_types: Vec<String>,
    /// Highest grade the default interface may return (not inherited).
    #[serde(default)]
    pub grade: Option<String>,
    /// Sharing type of the default interface (not inherited; `not_shared` refuses every
    /// unmatched request).
    #[serde(default)]
    pub sharing: Sharing,
    /// Consumers allowed when `sharing: conditional` (not inherited).
    #[serde(default)]
    pub consumers: Vec<String>,
    /// Over-scope action of the default interface, inherited by named interfaces.
    #[serde(default)]
    pub over_scope: OverScopeAction,
}

impl Default for DefaultInterfaceConfig {
    fn default() -> Self {
        DefaultInterfaceConfig {
            name: default_iface_name(),
            inspect_requests: true,
            inspect_responses: true,
            hold_cap: default_hold_cap(),
            on_hold_overflow: FailMode::Closed,
            block_status: default_block_status(),
            websocket: false,
            skip_content_types: default_skip_types(),
            grade: None,
            sharing: Sharing::Unconditional,
            consumers: Vec::new(),
            over_scope: OverScopeAction::Block,
        }
    }
}

/// Size and count caps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body accepted (413 past it).
    #[serde(default = "default_max_request_body", deserialize_with = "de_size")]
    pub max_request_body: u64,
    /// Most request header fields.
    #[serde(default = "default_max_headers")]
    pub max_headers: usize,
    /// Largest request head (request line + headers), in bytes.
    #[serde(default = "default_max_header_bytes", deserialize_with = "de_size")]
    pub max_header_bytes: u64,
    /// A response with a known length up to this size is held whole, so its
    /// `Content-Length` (and compressed bytes, when clean) are kept exactly.
    #[serde(default = "default_small_hold", deserialize_with = "de_size")]
    pub small_body_hold: u64,
    /// Bytes all held bodies together may take (requests and responses held for a decision,
    /// and held responses waiting for a slow client); a body held because it may have to be
    /// blocked, and that would pass it, is refused with 503, and a response held only to
    /// keep its length streams on. Without it, slow readers holding many large responses
    /// could take the proxy's memory. Resident memory under such load reached 2-3 times it
    /// (allocator overhead, buffers of the connections).
    #[serde(default = "default_max_held_total", deserialize_with = "de_size")]
    pub max_held_total: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_request_body: default_max_request_body(),
            max_headers: default_max_headers(),
            max_header_bytes: default_max_header_bytes(),
            small_body_hold: default_small_hold(),
            max_held_total: default_max_held_total(),
        }
    }
}

/// Timeouts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutsConfig {
    /// TCP (+TLS) connect to the upstream.
    #[serde(default = "default_connect", deserialize_with = "de_duration")]
    pub connect: Duration,
    /// From sending the request to the upstream's response head.
    #[serde(default = "default_response_header", deserialize_with = "de_duration")]
    pub response_header: Duration,
    /// Longest silence while reading a body, from either side, and longest a write to a
    /// client's socket may wait: a client that stops reading is disconnected and what was
    /// written for it freed. (A client that reads a little within every such period, or an
    /// HTTP/2 client that withholds flow-control credit while its connection stays writable,
    /// loses its connection when `total` passes with a held response still undelivered.)
    /// A connection with no exchange in flight this long (after its first request: before
    /// it, `client_header` if longer) is asked to finish: GOAWAY on HTTP/2, a close on an
    /// idle HTTP/1.1 keep-alive connection.
    #[serde(default = "default_idle", deserialize_with = "de_duration")]
    pub idle: Duration,
    /// Whole exchange, first request byte to last response byte. A held response still
    /// undelivered then closes its connection (and frees the bytes).
    #[serde(default = "default_total", deserialize_with = "de_duration")]
    pub total: Duration,
    /// Downstream clients must send a complete request head within this.
    #[serde(default = "default_client_header", deserialize_with = "de_duration")]
    pub client_header: Duration,
}

impl Default for TimeoutsConfig {
    fn default() -> Self {
        TimeoutsConfig {
            connect: default_connect(),
            response_header: default_response_header(),
            idle: default_idle(),
            total: default_total(),
            client_header: default_client_header(),
        }
    }
}

/// Decompression.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeConfig {
    #[serde(default = "default_max_output", deserialize_with = "de_size")]
    pub max_output: u64,
    #[serde(default = "default_max_ratio")]
    pub max_ratio: u64,
    /// Status for a compression bomb in a request body.
    #[serde(default = "default_request_bomb_status")]
    pub request_bomb_status: u16,
    /// Status for a compression bomb in a response body.
    #[serde(default = "default_response_bomb_status")]
    pub response_bomb_status: u16,
    /// A body in a coding the proxy cannot decode: `closed` refuses it, `open` passes it
    /// uninspected (and logs it).
    #[serde(default)]
    pub unknown_encoding: FailMode,
    /// A ZIP body (xlsx, docx, zip export) is held whole up to this size, then its members
    /// are scanned (and rewritten when redacted).
    #[serde(default = "default_max_archive", deserialize_with = "de_size")]
    pub max_archive: u64,
    /// A ZIP body that cannot be inspected (over `max_archive`, corrupt, encrypted or
    /// otherwise unreadable members): `closed` refuses it, `open` passes it (and logs it).
    #[serde(default)]
    pub unreadable_archive: FailMode,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            max_output: default_max_output(),
            max_ratio: default_max_ratio(),
            request_bomb_status: default_request_bomb_status(),
            response_bomb_status: default_response_bomb_status(),
            unknown_encoding: FailMode::Closed,
            max_archive: default_max_archive(),
            unreadable_archive: FailMode::Closed,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    #[serde(default)]
    pub format: LogFormat,
    /// `tracing` filter directive (`info`, `sluice=debug`…); `RUST_LOG` wins when set.
    #[serde(default = "default_level")]
    pub level: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            format: LogFormat::Text,
            level: default_level(),
        }
    }
}

/// The admin listener. Its routes are listed in `crate::admin`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// `ip:port`; loopback by default so only the pod (and a scraping sidecar or port-forward)
    /// reaches it.
    #[serde(default = "default_admin_listen")]
    pub listen: SocketAddr,
    /// Bearer token required on every route except `/healthz` and `/readyz`.
    #[serde(default)]
    pub token: Option<String>,
    /// File holding the bearer token (a mounted Secret), read at start.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Most observed (unconfigured) path templates the interface inventory tracks.
    #[serde(default = "default_inventory_cap")]
    pub inventory_cap: usize,
    /// Largest body `POST /-/scan` accepts.
    #[serde(default = "default_scan_body", deserialize_with = "de_size")]
    pub max_scan_body: u64,
    /// `/readyz` connects to the upstream with this timeout.
    #[serde(default = "default_ready_timeout", deserialize_with = "de_duration")]
    pub readiness_timeout: Duration,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            listen: default_admin_listen(),
            token: None,
            token_file: None,
            inventory_cap: default_inventory_cap(),
            max_scan_body: default_scan_body(),
            readiness_timeout: default_ready_timeout(),
        }
    }
}

/// Hot reload of rules and policy (see `crate::reload`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadConfig {
    /// Watch the config file's directory and `rules.dir` for changes.
    #[serde(default = "yes")]
    pub watch: bool,
    /// Reload on SIGHUP.
    #[serde(default = "yes")]
    pub sighup: bool,
    /// Quiet time after the last change event before reloading.
    #[serde(default = "default_debounce", deserialize_with = "de_duration")]
    pub debounce: Duration,
}

impl Default for ReloadConfig {
    fn default() -> Self {
        ReloadConfig {
            watch: true,
            sighup: true,
            debounce: default_debounce(),
        }
    }
}

/// Metric options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Consumers that get their own `consumer` label value; every other consumer is `other`.
    /// Keep it to the handful of departments that matter: each adds series.
    #[serde(default)]
    pub consumers: Vec<String>,
    /// Window of `sluice_distinct_values` (distinct sensitive values per interface and class).
    #[serde(default = "default_distinct_window", deserialize_with = "de_duration")]
    pub distinct_window: Duration,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            consumers: Vec::new(),
            distinct_window: default_distinct_window(),
        }
    }
}

fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9090))
}
fn default_inventory_cap() -> usize {
    1000
}
fn default_scan_body() -> u64 {
    8 << 20
}
fn default_ready_timeout() -> Duration {
    Duration::from_secs(1)
}
fn default_debounce() -> Duration {
    Duration::from_millis(500)
}
fn default_distinct_window() -> Duration {
    Duration::from_secs(600)
}

fn yes() -> bool {
    true
}
fn default_grace() -> Duration {
    Duration::from_secs(30)
}
fn default_max_connections() -> usize {
    10_000
}
fn default_pool_idle() -> Duration {
    Duration::from_secs(90)
}
fn default_pool_max_idle() -> usize {
    256
}
fn default_iface_name() -> String {
    "default".into()
}
fn default_hold_cap() -> u64 {
    8 << 20
}
fn default_max_archive() -> u64 {
    crate::filter::DEFAULT_ARCHIVE_HOLD
}
fn default_block_status() -> u16 {
    403
}
fn default_skip_types() -> Vec<String> {
    ["image/", "audio/", "video/", "font/"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}
fn default_max_request_body() -> u64 {
    16 << 20
}
fn default_max_headers() -> usize {
    100
}
fn default_max_header_bytes() -> u64 {
    64 << 10
}
fn default_small_hold() -> u64 {
    256 << 10
}
fn default_max_held_total() -> u64 {
    256 << 20
}
fn default_connect() -> Duration {
    Duration::from_secs(5)
}
fn default_response_header() -> Duration {
    Duration::from_secs(30)
}
fn default_idle() -> Duration {
    Duration::from_secs(60)
}
fn default_total() -> Duration {
    Duration::from_secs(300)
}
fn default_client_header() -> Duration {
    Duration::from_secs(30)
}
fn default_max_output() -> u64 {
    64 << 20
}
fn default_max_ratio() -> u64 {
    100
}
fn default_request_bomb_status() -> u16 {
    413
}
fn default_response_bomb_status() -> u16 {
    502
}
fn default_level() -> String {
    "info".into()
}

/// Parses `30s`, `250ms`, `5m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (try `30s`, `250ms`)"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        u => return Err(format!("unknown duration unit `{u}` (use ms, s, m, h)")),
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("duration `{s}` out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `64KiB`, `8MiB`, `1GiB`, `100KB` (decimal), or a bare number of bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (try `64KiB`, `8MiB`)"))?;
    let mul: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        u => return Err(format!("unknown size unit `{u}` (use KiB, MiB, GiB)")),
    };
    n.checked_mul(mul)
        .ok_or_else(|| format!("size `{s}` out of range"))
}

/// A size or a duration as written: a whole number, or a string with its unit. Anything
/// else (a negative number, a list) is refused saying what was expected, not with serde's
/// name for an untagged enum.
enum NumOrStr {
    Num(u64),
    Str(String),
}

impl NumOrStr {
    fn read<'de, D: Deserializer<'de>>(d: D, expected: &'static str) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected, Visitor};
        struct V(&'static str);
        impl Visitor<'_> for V {
            type Value = NumOrStr;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
            fn visit_u64<E: Error>(self, n: u64) -> Result<NumOrStr, E> {
                Ok(NumOrStr::Num(n))
            }
            fn visit_i64<E: Error>(self, n: i64) -> Result<NumOrStr, E> {
                u64::try_from(n)
                    .map(NumOrStr::Num)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(n), &self))
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<NumOrStr, E> {
                Ok(NumOrStr::Str(s.to_string()))
            }
        }
        d.deserialize_any(V(expected))
    }
}

const SIZE: &str = "a size such as 64KiB, 8MiB, 1GiB (or 64KB = 64000 bytes), or a number of bytes";
const DURATION: &str = "a duration such as 250ms, 30s, 5m, 1h, or a number of seconds";

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match NumOrStr::read(d, DURATION)? {
        NumOrStr::Num(n) => Ok(Duration::from_secs(n)),
        NumOrStr::Str(s) => parse_duration(&s).map_err(serde::de::Error::custom),
    }
}

/// Addresses and networks: `10.0.0.0/8`, `fd00::/8`, or one address (`192.168.1.7`, a
/// network of one).
fn de_nets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| {
            let s = s.trim();
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|n| canonical_net(n.trunc()))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "`{s}` is not an IP address or network (10.0.0.0/8, 192.168.1.7, fd00::/8)"
                    ))
                })
        })
        .collect()
}

/// An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) as the IPv4 one it is: peers are
/// matched in their canonical form.
fn canonical_net(n: ipnet::IpNet) -> ipnet::IpNet {
    match n {
        ipnet::IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(n, ipnet::IpNet::V4),
            None => n,
        },
        _ => n,
    }
}

fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrStr::read(d, SIZE)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Str(s) => parse_size(&s).map_err(serde::de::Error::custom),
    }
}

fn de_opt_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de_size(d).map(Some)
}

/// The 1-based line of `key` in `text`, or of the nearest enclosing key that can be found
/// (`audit.sink` for `audit.sink.path` written in flow style, `{kind: file, path: …}`).
pub fn locate_nearest(text: &str, key: &str) -> Option<usize> {
    let mut k = key;
    loop {
        if let Some(l) = locate(text, k) {
            return Some(l);
        }
        k = k.rsplit_once('.')?.0;
    }
}

/// `FILE:LINE: ` of `key` in the file `cfg` was loaded from, for an error found after
/// loading (opening the audit sink at start or reload); empty for a config given in memory.
pub fn located(cfg: &Config, key: &str) -> String {
    let Some(src) = &cfg.source else {
        return String::new();
    };
    let line = std::fs::read_to_string(src)
        .ok()
        .and_then(|t| locate_nearest(&t, key));
    match line {
        Some(l) => format!("{}:{l}: ", src.display()),
        None => format!("{}: ", src.display()),
    }
}

/// Finds the 1-based line of a dotted key path (`interfaces[1].path`) in YAML text by
/// following indentation. Good enough for block-style YAML, which is what configs are, and
/// for a flow mapping on one line (`{max: 20, window: 0s}`: that line); `None` when the key
/// cannot be found (anchors, flow style across lines).
pub fn locate(text: &str, path: &str) -> Option<usize> {
    let mut parts: Vec<(String, Option<usize>)> = Vec::new();
    for p in path.split('.') {
        if let Some((k, rest)) = p.split_once('[') {
            let idx = rest.trim_end_matches(']').parse().ok();
            parts.push((k.to_string(), idx));
        } else {
            parts.push((p.to_string(), None));
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    let mut min_indent: isize = -1;
    let mut found = None;
    for (key, idx) in parts {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(from) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = (line.len() - trimmed.len()) as isize;
            if indent <= min_indent && i > from {
                break;
            }
            let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
            if body.starts_with(&format!("{key}:")) || body.starts_with(&format!("\"{key}\":")) {
                hit = Some((i, indent));
                break;
            }
        }
        let Some((i, indent)) = hit else {
            // The rest of the path inside a flow mapping on the parent's line
            // (`distinct_values: {max: 20, window: 0s}`) is on that line.
            let parent: &str = lines.get(found? - 1).copied()?;
            let flow = parent.find('{').map(|b| &parent[b..])?;
            return flow.contains(&format!("{key}:")).then_some(found?);
        };
        found = Some(i + 1);
        from = i + 1;
        min_indent = indent;
        if let Some(n) = idx {
            // Walk to the n-th list item under this key.
            let mut count = 0usize;
            let mut item = None;
            // The items are the dashes at the first one's indent; deeper dashes belong to a
            // list inside an item (`method:` with `- GET`).
            let mut item_indent = None;
            for (j, line) in lines.iter().enumerate().skip(from) {
                let trimmed = line.trim_start();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let ind = (line.len() - trimmed.len()) as isize;
                if ind <= indent && !trimmed.starts_with("- ") {
                    break;
                }
                if (trimmed.starts_with("- ") || trimmed == "-")
                    && *item_indent.get_or_insert(ind) == ind
                {
                    if count == n {
                        item = Some((j, ind));
                        break;
                    }
                    count += 1;
                }
            }
            let (j, ind) = item?;
            found = Some(j + 1);
            // Keys of the item sit at the dash's indent + 2; allow the first on the dash line.
            from = j;
            min_indent = ind - 1;
        }
    }
    found
}

impl Config {
    /// Parses YAML text. `file` is used in error messages only.
    ///
    /// # Errors
    /// Syntax, type and unknown-key errors, then every semantic error [`Config::validate`] finds.
    pub fn from_yaml(text: &str, file: &Path) -> Result<Config, ConfigErrors> {
        let de = serde_yaml_ng::Deserializer::from_str(text);
        let mut cfg: Config = match serde_path_to_error::deserialize(de) {
            Ok(c) => c,
            Err(e) => {
                let key = e.path().to_string();
                let inner = e.into_inner();
                let msg = inner.to_string();
                // A value rejected by its own deserializer (a duration, a size, a network)
                // is reported at the mapping it is in: its key's line, found in the text,
                // is the later and the exact one.
                let line = inner
                    .location()
                    .map(|l| {
                        sluice_rules::rule::duplicate_key_line(text, l.line(), &msg)
                            .unwrap_or(l.line())
                    })
                    .map(|at| locate(text, &key).map_or(at, |k| k.max(at)))
                    .or_else(|| locate(text, &key));
                // serde_yaml_ng prefixes the message with the path and location; keep the
                // message itself only, since both are reported separately.
                let mut message = inner.to_string();
                if let Some(i) = message.find(" at line ") {
                    message.truncate(i);
                }
                // ...and the path of the enclosing mapping (`upstream: unknown field …`).
                if let Some((prefix, rest)) = message.split_once(": ") {
                    if key == prefix
                        || key.starts_with(&format!("{prefix}."))
                        || key.starts_with(&format!("{prefix}["))
                    {
                        message = rest.to_string();
                    }
                }
                return Err(ConfigErrors(vec![ConfigError {
                    file: file.to_path_buf(),
                    line,
                    key: (key != "." && !key.is_empty()).then_some(key),
                    message,
                }]));
            }
        };
        cfg.text_digest = {
            use sha2::Digest;
            sha2::Sha256::digest(text.as_bytes())[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let mut problems = cfg.validate();
        problems.extend(cfg.validate_identity(file.parent()));
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigErrors(
                problems
                    .into_iter()
                    .map(|(key, message)| ConfigError {
                        file: file.to_path_buf(),
                        line: locate(text, &key),
                        key: Some(key),
                        message,
                    })
                    .collect(),
            ))
        }
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    /// Unreadable file, or see [`Config::from_yaml`].
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: path.to_path_buf(),
                line: None,
                key: None,
                message: format!("cannot read: {e}"),
            }])
        })?;
        let mut cfg = Config::from_yaml(&text, path)?;
        cfg.source = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Checks what types cannot: URLs, names, templates, statuses, ranges. Returns
    /// `(key path, message)` pairs; the engine-dependent check (class and grade names) is
    /// [`Config::validate_against`].
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        match self.upstream.url.parse::<http::Uri>() {
            Ok(u) => {
                match u.scheme_str() {
                    Some("http") | Some("https") => {}
                    _ => out.push(("upstream.url".into(), "scheme must be http or https".into())),
                }
                if u.authority().is_none() {
                    out.push((
                        "upstream.url".into(),
                        "needs a host (http://host:port)".into(),
                    ));
                }
                if u.query().is_some() {
                    out.push(("upstream.url".into(), "must not have a query".into()));
                }
            }
            Err(e) => out.push(("upstream.url".into(), format!("not a URL: {e}"))),
        }
        let https = self.upstream.url.starts_with("https://");
        let t = &self.upstream.tls;
        if !https && (t.ca.is_some() || t.server_name.is_some() || t.client_cert.is_some()) {
            out.push((
                "upstream.tls".into(),
                "TLS settings need an https:// upstream url".into(),
            ));
        }
        if t.client_cert.is_some() != t.client_key.is_some() {
            out.push((
                "upstream.tls".into(),
                "client_cert and client_key go together".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        names.insert(self.default_interface.name.clone());
        if let Err(m) = check_name(&self.default_interface.name) {
            out.push(("default_interface.name".into(), m));
        }
        for (i, iface) in self.interfaces.iter().enumerate() {
            let k = |f: &str| format!("interfaces[{i}].{f}");
            if let Err(m) = check_name(&iface.name) {
                out.push((k("name"), m));
            } else if !names.insert(iface.name.clone()) {
                out.push((
                    k("name"),
                    format!("interface name `{}` is used twice", iface.name),
                ));
            }
            if let Err(m) = crate::interface::PathTemplate::parse(&iface.path) {
                out.push((k("path"), m));
            }
            if let Some(m) = &iface.method {
                let list: Vec<&String> = match m {
                    MethodSpec::One(s) => vec![s],
                    MethodSpec::Many(v) => v.iter().collect(),
                };
                for s in list {
                    if !s.eq_ignore_ascii_case("any")
                        && http::Method::from_bytes(s.as_bytes()).is_err()
                    {
                        out.push((k("method"), format!("`{s}` is not an HTTP method")));
                    }
                }
            }
            if let Some(s) = iface.block_status {
                if !(400..=599).contains(&s) {
                    out.push((k("block_status"), "must be a 4xx or 5xx status".into()));
                }
            }
        }
        let s = self.default_interface.block_status;
        if !(400..=599).contains(&s) {
            out.push((
                "default_interface.block_status".into(),
                "must be a 4xx or 5xx status".into(),
            ));
        }
        for (key, s) in [
            (
                "decode.request_bomb_status",
                self.decode.request_bomb_status,
            ),
            (
                "decode.response_bomb_status",
                self.decode.response_bomb_status,
            ),
        ] {
            if !(400..=599).contains(&s) {
                out.push((key.into(), "must be a 4xx or 5xx status".into()));
            }
        }
        if self.decode.max_ratio == 0 {
            out.push(("decode.max_ratio".into(), "must be at least 1".into()));
        }
        if self.limits.max_headers == 0 {
            out.push(("limits.max_headers".into(), "must be at least 1".into()));
        }
        if self.limits.max_header_bytes < 1024 {
            out.push((
                "limits.max_header_bytes".into(),
                "must be at least 1KiB".into(),
            ));
        }
        if self.listen.max_connections == 0 {
            out.push(("listen.max_connections".into(), "must be at least 1".into()));
        }
        for (key, d) in [
            ("timeouts.connect", self.timeouts.connect),
            ("timeouts.response_header", self.timeouts.response_header),
            ("timeouts.idle", self.timeouts.idle),
            ("timeouts.total", self.timeouts.total),
            ("timeouts.client_header", self.timeouts.client_header),
        ] {
            if d.is_zero() {
                out.push((key.into(), "must be more than zero".into()));
            }
        }
        if let Some(g) = &self.rules.grades {
            if let Err(m) = sluice_rules::GradeScheme::new(g.iter()) {
                out.push(("rules.grades".into(), m));
            }
        }
        if let Some(a) = &self.admin {
            if a.token.is_some() && a.token_file.is_some() {
                out.push((
                    "admin.token".into(),
                    "set token or token_file, not both".into(),
                ));
            }
            if a.token.as_deref() == Some("") {
                out.push(("admin.token".into(), "must not be empty".into()));
            }
            if a.inventory_cap == 0 {
                out.push(("admin.inventory_cap".into(), "must be at least 1".into()));
            }
            if a.readiness_timeout.is_zero() {
                out.push((
                    "admin.readiness_timeout".into(),
                    "must be more than zero".into(),
                ));
            }
            if a.listen == self.listen.addr && a.listen.port() != 0 {
                out.push(("admin.listen".into(), "must differ from listen.addr".into()));
            }
        }
        if self.reload.debounce.is_zero() {
            out.push(("reload.debounce".into(), "must be more than zero".into()));
        }
        if self.metrics.distinct_window < Duration::from_secs(2) {
            out.push((
                "metrics.distinct_window".into(),
                "must be at least 2s".into(),
            ));
        }
        for (i, c) in self.metrics.consumers.iter().enumerate() {
            if c.is_empty() || c.len() > 64 || c == "other" {
                out.push((
                    format!("metrics.consumers[{i}]"),
                    "consumer label values are 1 to 64 characters and not `other`".into(),
                ));
            }
        }
        if self.metrics.consumers.len() > 50 {
            out.push((
                "metrics.consumers".into(),
                "at most 50 consumers get their own label (each adds series)".into(),
            ));
        }
        self.validate_policy(&mut out);
        out
    }

    /// Sharing types, rate limits and audit settings.
    fn validate_policy(&self, out: &mut Vec<(String, String)>) {
        let sharing = |out: &mut Vec<(String, String)>, at: &str, s: Sharing, c: &[String]| {
            if s == Sharing::Conditional && c.is_empty() {
                out.push((
                    format!("{at}.consumers"),
                    "`sharing: conditional` needs at least one consumer".into(),
                ));
            }
            if s != Sharing::Conditional && !c.is_empty() {
                out.push((
                    format!("{at}.consumers"),
                    "consumers are only listed with `sharing: conditional`".into(),
                ));
            }
        };
        let d = &self.default_interface;
        sharing(out, "default_interface", d.sharing, &d.consumers);
        for (i, iface) in self.interfaces.iter().enumerate() {
            sharing(
                out,
                &format!("interfaces[{i}]"),
                iface.sharing,
                &iface.consumers,
            );
        }
        let mut names: Vec<&str> = self.interfaces.iter().map(|i| i.name.as_str()).collect();
        names.push(d.name.as_str());
        for e in self.rate_limits.validate(&names) {
            out.push((format!("rate_limits.{}", e.key), e.message));
        }
        if let Some(a) = &self.audit {
            if a.sink.kind == crate::audit::SinkKind::File && a.sink.path.is_none() {
                out.push(("audit.sink".into(), "`kind: file` needs `path`".into()));
            }
            if a.queue == 0 {
                out.push(("audit.queue".into(), "must be at least 1".into()));
            }
        }
    }

    /// Builds the identity resolver once to check it (key files are read relative to
    /// `base_dir`, the config file's directory).
    pub fn validate_identity(&self, base_dir: Option<&Path>) -> Vec<(String, String)> {
        let base = base_dir.filter(|p| !p.as_os_str().is_empty());
        match self.identity.build(base) {
            Ok(_) => Vec::new(),
            Err(errs) => errs
                .into_iter()
                .map(|e| (format!("identity.{}", e.key), e.message))
                .collect(),
        }
    }

    /// Checks action keys against the loaded engine's classes and grade names.
    pub fn validate_against(&self, classes: &[String], grades: &[String]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut check = |prefix: &str, a: &ActionsConfig| {
            for c in a.classes.keys() {
                if !classes.iter().any(|k| k == c) {
                    out.push((
                        format!("{prefix}.classes.{c}"),
                        format!("unknown class `{c}` (known: {})", classes.join(", ")),
                    ));
                }
            }
            for g in a.grades.keys() {
                if !grades.iter().any(|k| k == g) {
                    out.push((
                        format!("{prefix}.grades.{g}"),
                        format!("unknown grade `{g}` (known: {})", grades.join(", ")),
                    ));
                }
            }
        };
        check("actions", &self.actions);
        for (i, iface) in self.interfaces.iter().enumerate() {
            if let Some(a) = &iface.actions {
                check(&format!("interfaces[{i}].actions"), a);
            }
        }
        let grade = |out: &mut Vec<(String, String)>, at: String, g: &Option<String>| {
            if let Some(g) = g {
                if !grades.iter().any(|k| k == g) {
                    out.push((
                        at,
                        format!("unknown grade `{g}` (known: {})", grades.join(", ")),
                    ));
                }
            }
        };
        grade(
            &mut out,
            "default_interface.grade".into(),
            &self.default_interface.grade,
        );
        for (i, iface) in self.interfaces.iter().enumerate() {
            grade(&mut out, format!("interfaces[{i}].grade"), &iface.grade);
            for (consumer, map) in &iface.consumer_actions {
                for c in map.keys() {
                    if !classes.iter().any(|k| k == c) {
                        out.push((
                            format!("interfaces[{i}].consumer_actions.{consumer}.{c}"),
                            format!("unknown class `{c}` (known: {})", classes.join(", ")),
                        ));
                    }
                }
            }
        }
        out
    }
}

fn check_name(n: &str) -> Result<(), String> {
    if n.is_empty() || n.len() > 64 {
        return Err("interface names are 1 to 64 characters".into());
    }
    if !n
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    {
        return Err(format!(
            "`{n}`: interface names use a-z, 0-9, `_`, `.`, `-` (they become metric labels)"
        ));
    }
    Ok(())
}

/// Loads and validates `path` fully (including rule packs and class names) and returns a
/// human summary. Used by `sluice config check`.
///
/// # Errors
/// Every problem, each with file, line and key.
pub fn check(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    let cfg = Config::from_yaml(&text, path)?;
    // The token key is a Secret that may not be mounted here; it changes no rule.
    let engine = crate::policy::build_engine_with(&cfg.rules, None).map_err(|e| {
        // A pack's own errors name the pack's file and line; what the config got wrong is
        // the directory itself (missing, not a directory, unreadable), which is `rules.dir`
        // on its own line, as every other key's error names its line.
        let key = match &cfg.rules.dir {
            Some(d) if std::fs::read_dir(d).is_err() => "rules.dir",
            _ => "rules",
        };
        match locate(&text, key) {
            Some(l) => anyhow::anyhow!("{}:{l}: key `{key}`: {e}", path.display()),
            None => anyhow::anyhow!("{}: key `{key}`: {e}", path.display()),
        }
    })?;
    let classes: Vec<String> = engine.classes().iter().map(|c| c.to_string()).collect();
    let grades = crate::policy::grade_names(&cfg.rules);
    let problems = cfg.validate_against(&classes, &grades);
    if !problems.is_empty() {
        return Err(ConfigErrors(
            problems
                .into_iter()
                .map(|(key, message)| ConfigError {
                    file: path.to_path_buf(),
                    line: locate(&text, &key),
                    key: Some(key),
                    message,
                })
                .collect(),
        )
        .into());
    }
    let mut out = summary(&cfg, &engine, path);
    // What `run` reads at start (certificates, keys, the admin token) is often mounted only
    // in the pod (a Secret), so a check elsewhere (CI, `helm template`) cannot require it;
    // it says so plainly instead of an unqualified OK.
    let mut unreadable = Vec::new();
    if let Some(t) = &cfg.listen.tls {
        if let Err(e) = crate::tls::server_config(t, cfg.listen.http2) {
            unreadable.push(("listen.tls", e));
        }
    }
    if let Err(e) = crate::tls::upstream_config(&cfg.upstream.tls) {
        unreadable.push(("upstream.tls", e));
    }
    if let Some(f) = &cfg.rules.token_key_file {
        if let Err(e) = crate::audit::read_secret_key(f, "a token key") {
            unreadable.push(("rules.token_key_file", e.to_string()));
        }
    }
    if let Some(f) = cfg.audit.as_ref().and_then(|a| a.key_file.as_ref()) {
        if let Err(e) = crate::audit::read_key(f) {
            unreadable.push(("audit.key_file", e.to_string()));
        }
    }
    // The proxy creates the audit file, not its directory (a volume, in a pod).
    if let Some(problem) = cfg
        .audit
        .as_ref()
        .filter(|a| a.enabled)
        .and_then(|a| crate::audit::sink_dir_problem(&a.sink))
    {
        unreadable.push(("audit.sink.path", problem));
    }
    if let Some(f) = cfg.admin.as_ref().and_then(|a| a.token_file.as_ref()) {
        match std::fs::read_to_string(f) {
            Ok(t) if t.trim().is_empty() => {
                unreadable.push(("admin.token_file", format!("{}: empty", f.display())))
            }
            Ok(_) => {}
            Err(e) => unreadable.push(("admin.token_file", format!("{}: {e}", f.display()))),
        }
    }
    if engine.rules().is_empty() {
        out.push_str(&format!(
            "  warning: {}: key `rules`: no rule is loaded (`builtin: false` and no packs in `dir`): nothing will be detected\n",
            path.display()
        ));
    }
    for (key, e) in credential_warnings(&cfg) {
        let line = locate(&text, &key).map_or(String::new(), |l| format!(":{l}"));
        out.push_str(&format!(
            "  warning: {}{line}: key `{key}`: {e}\n",
            path.display()
        ));
    }
    for (key, e) in unreadable {
        let line = locate_nearest(&text, key).map_or(String::new(), |l| format!(":{l}"));
        out.push_str(&format!(
            "  warning: {}{line}: key `{key}`: {e} (read at start: `sluice run` fails unless it is there)\n",
            path.display()
        ));
    }
    Ok(out)
}

/// Per-consumer actions that a caller escapes by sending no credential: with
/// `identity.on_missing: anonymous` (the default), a request without one is the `anonymous`
/// consumer and gets the interface's (or the global) action, so a consumer given a stricter
/// one (`third-party: {resident_id: block}` where the interface redacts) gets the weaker
/// action by dropping its key. (Actions by grade are not weighed here.)
fn credential_warnings(cfg: &Config) -> Vec<(String, String)> {
    use crate::identity::Fallback;
    if cfg.identity.on_missing != Fallback::Anonymous {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, iface) in cfg.interfaces.iter().enumerate() {
        // An interface that refuses `anonymous` (not shared, or conditional without it)
        // leaves nothing to escape to.
        let open = match iface.sharing {
            Sharing::Unconditional => true,
            Sharing::Conditional => iface.consumers.iter().any(|c| c == "anonymous"),
            Sharing::NotShared => false,
        };
        if !open {
            continue;
        }
        let anonymous = iface.consumer_actions.get("anonymous");
        for (consumer, map) in &iface.consumer_actions {
            if consumer == "anonymous" {
                continue;
            }
            for (class, action) in map {
                let own = iface.actions.as_ref();
                let base = anonymous
                    .and_then(|m| m.get(class))
                    .or_else(|| own.and_then(|a| a.classes.get(class)))
                    .or_else(|| cfg.actions.classes.get(class))
                    .copied()
                    .or(own.and_then(|a| a.default))
                    .or(cfg.actions.default)
                    .unwrap_or_default();
                // Declared in order of strictness: allow < report < redact < block.
                if *action > base {
                    out.push((
                        format!("interfaces[{i}].consumer_actions.{consumer}.{class}"),
                        format!(
                            "`{consumer}` gets `{}` for `{class}`, but a request with no credential is `anonymous` and gets `{}`: set `identity.on_missing: reject`, or give `anonymous` an action at least as strict",
                            action.as_str(),
                            base.as_str()
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// What `sluice config check` prints for a valid file: enough for a reviewer to see what the
/// proxy will enforce (who is identified how, which interface shares what with whom, what is
/// limited, where the audit trail goes) without reading the YAML.
fn summary(cfg: &Config, engine: &sluice_rules::Engine, path: &Path) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "{}: OK", path.display());
    let tls = match &cfg.listen.tls {
        None => "",
        Some(t) if t.client_ca.is_some() => " (TLS, mTLS)",
        Some(_) => " (TLS)",
    };
    let _ = writeln!(s, "  listen       {}{tls}", cfg.listen.addr);
    if !cfg.listen.trusted_proxies.is_empty() {
        let nets: Vec<String> = cfg
            .listen
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        let _ = writeln!(s, "  behind       {}", nets.join(", "));
    }
    let _ = writeln!(
        s,
        "  upstream     {} ({})",
        cfg.upstream.url,
        format!("{:?}", cfg.upstream.protocol).to_lowercase()
    );
    let _ = writeln!(
        s,
        "  rules        {} rules, {} classes, hash {}",
        engine.rules().len(),
        engine.classes().len(),
        engine.content_hash()
    );
    let _ = writeln!(
        s,
        "  interfaces   {} named + `{}`",
        cfg.interfaces.len(),
        cfg.default_interface.name
    );
    let policy =
        |grade: Option<&str>, sharing: Sharing, consumers: usize, over: OverScopeAction| {
            let mut p = format!(
                "grade {}, {}, {consumers} consumer{}",
                grade.unwrap_or("-"),
                sharing.as_str(),
                if consumers == 1 { "" } else { "s" }
            );
            // Over-scope only means something once a grade is declared.
            if grade.is_some() {
                let _ = write!(p, ", over_scope {}", over.as_str());
            }
            p
        };
    let d = &cfg.default_interface;
    for iface in &cfg.interfaces {
        let method = match &iface.method {
            None => "ANY".to_string(),
            Some(MethodSpec::One(m)) => m.clone(),
            Some(MethodSpec::Many(ms)) => ms.join(","),
        };
        let _ = writeln!(
            s,
            "    {:<22} {method} {}  {}",
            iface.name,
            iface.path,
            policy(
                iface.grade.as_deref(),
                iface.sharing,
                iface.consumers.len(),
                iface.over_scope.unwrap_or(d.over_scope)
            )
        );
    }
    let _ = writeln!(
        s,
        "    {:<22} (unmatched)  {}",
        d.name,
        policy(
            d.grade.as_deref(),
            d.sharing,
            d.consumers.len(),
            d.over_scope
        )
    );
    let default = cfg.actions.default.unwrap_or(Action::Redact);
    let _ = writeln!(s, "  actions      default {}", default.as_str());
    for (c, a) in &cfg.actions.classes {
        let _ = writeln!(s, "    {c:<22} {}", a.as_str());
    }
    for (g, a) in &cfg.actions.grades {
        let _ = writeln!(s, "    grade {g:<16} {}", a.as_str());
    }
    let _ = writeln!(s, "  identity     {}", identity_summary(cfg));
    let _ = writeln!(s, "  rate limits  {}", limits_summary(&cfg.rate_limits));
    let _ = writeln!(s, "  audit        {}", audit_summary(cfg.audit.as_ref()));
    let admin = match &cfg.admin {
        None => "off".to_string(),
        Some(a) => match (&a.token, &a.token_file) {
            (Some(_), _) => format!("{}, bearer token (inline)", a.listen),
            (None, Some(f)) => format!("{}, bearer token from {}", a.listen, f.display()),
            (None, None) => format!("{}, no token", a.listen),
        },
    };
    let _ = writeln!(s, "  admin        {admin}");
    s
}

/// The identity methods in the order they are tried, and what happens without a credential.
fn identity_summary(cfg: &Config) -> String {
    use crate::identity::MethodName;
    let id = &cfg.identity;
    // The same default order as `IdentityConfig::build`: strongest first, configured ones only.
    let order = id.order.clone().unwrap_or_else(|| {
        [MethodName::Mtls, MethodName::Jwt, MethodName::ApiKey]
            .into_iter()
            .filter(|m| match m {
                MethodName::Mtls => true,
                MethodName::Jwt => id.jwt.is_some(),
                MethodName::ApiKey => id.api_key.is_some(),
            })
            .collect()
    });
    let mtls_possible = cfg
        .listen
        .tls
        .as_ref()
        .is_some_and(|t| t.client_ca.is_some());
    let methods: Vec<String> = order
        .iter()
        .filter_map(|m| match m {
            // Without a client CA no certificate is ever verified, so mTLS names nobody.
            MethodName::Mtls => mtls_possible.then(|| "mtls".to_string()),
            MethodName::Jwt => id.jwt.as_ref().map(|j| {
                let n = j.keys.len();
                let jwks = if j.jwks_file.is_some() { " + JWKS" } else { "" };
                format!("jwt ({n} key{}{jwks})", if n == 1 { "" } else { "s" })
            }),
            MethodName::ApiKey => id.api_key.as_ref().map(|a| {
                let n = a.keys.len();
                format!("api_key ({n} key{})", if n == 1 { "" } else { "s" })
            }),
        })
        .collect();
    let fallback = |f: crate::identity::Fallback| match f {
        crate::identity::Fallback::Anonymous => "anonymous",
        crate::identity::Fallback::Reject => "reject",
    };
    let methods = if methods.is_empty() {
        format!("none (every caller is `{}`)", id.anonymous_id)
    } else {
        methods.join(", ")
    };
    let known = id
        .consumers
        .as_ref()
        .map(|c| format!(", {} known consumers", c.len()))
        .unwrap_or_default();
    format!(
        "{methods}; missing {}, invalid {}, unknown {}{known}",
        fallback(id.on_missing),
        fallback(id.on_invalid),
        fallback(id.on_unknown)
    )
}

/// How many limits are configured, on how many interfaces, and whether they are enforced.
fn limits_summary(l: &crate::limits::LimitsConfig) -> String {
    let count = |set: &crate::limits::LimitSet| {
        usize::from(set.requests.is_some())
            + usize::from(set.bytes.is_some())
            + usize::from(set.findings.is_some())
            + usize::from(set.distinct_values.is_some())
    };
    let rules: usize = l
        .interfaces
        .values()
        .chain(l.default.iter())
        .map(|i| count(&i.per_consumer) + count(&i.total))
        .sum();
    if rules == 0 {
        return "none".into();
    }
    let default = if l.default.is_some() {
        " + default"
    } else {
        ""
    };
    format!(
        "{rules} rule{} on {} interface{}{default}{}",
        if rules == 1 { "" } else { "s" },
        l.interfaces.len(),
        if l.interfaces.len() == 1 { "" } else { "s" },
        if l.shadow {
            " (shadow: reported, not enforced)"
        } else {
            ""
        }
    )
}

/// Where audit records go.
fn audit_summary(a: Option<&crate::audit::AuditConfig>) -> String {
    let Some(a) = a.filter(|a| a.enabled) else {
        return "off".into();
    };
    let on_failure = match a.on_failure {
        crate::audit::OnFailure::Drop => "drop",
        crate::audit::OnFailure::Block => "block",
    };
    let sink = match (a.sink.kind, &a.sink.path) {
        (crate::audit::SinkKind::File, Some(p)) => format!(
            "file {} (rotate at {}, keep {})",
            p.display(),
            human_size(a.sink.max_bytes),
            a.sink.keep
        ),
        _ => "stdout".into(),
    };
    let keyed = if a.key_file.is_some() { "keyed " } else { "" };
    format!(
        "{sink}, {keyed}{} chain, on_failure {on_failure}",
        a.hash.as_str()
    )
}

/// `100MiB` rather than `104857600` when the size is a whole number of binary units.
fn human_size(n: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if n >= 1 << shift && n.trailing_zeros() >= shift {
            return format!("{}{unit}", n >> shift);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "listen:\n  addr: 127.0.0.1:8080\nupstream:\n  url: http://127.0.0.1:9000\n";

    #[test]
    fn minimal_parses_with_defaults() {
        let c = Config::from_yaml(MIN, Path::new("t.yaml")).unwrap();
        assert_eq!(c.timeouts.connect, Duration::from_secs(5));
        assert_eq!(c.default_interface.hold_cap, 8 << 20);
        assert!(c.listen.http2);
    }

    #[test]
    fn unknown_key_is_located() {
        let text = format!("{MIN}  retries: 3\n");
        let e = Config::from_yaml(&text, Path::new("t.yaml")).unwrap_err();
        let e = &e.0[0];
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("unknown field `retries`"), "{e}");
        assert_eq!(e.key.as_deref(), Some("upstream.retries"));
    }

    #[test]
    fn duplicate_key_is_located_where_written_twice() {
        let text = format!("{MIN}actions:\n  default: redact\n  classes: {{}}\n  default: block\n");
        let e = Config::from_yaml(&text, Path::new("t.yaml")).unwrap_err();
        let e = &e.0[0];
        assert!(e.message.contains("duplicate field `default`"), "{e}");
        assert_eq!(e.line, Some(8), "{e}");
    }

    #[test]
    fn bad_value_is_located() {
        let text = format!("{MIN}timeouts:\n  connect: 5 parsecs\n");
        let e = Config::from_yaml(&text, Path::new("t.yaml")).unwrap_err();
        let e = &e.0[0];
        assert_eq!(e.key.as_deref(), Some("timeouts.connect"), "{e}");
        assert_eq!(e.line, Some(6), "{e}");
    }

    #[test]
    fn a_value_in_a_later_list_item_is_located_past_nested_lists() {
        let text = format!(
            "{MIN}interfaces:\n  - name: a\n    path: /a\n    method:\n      - GET\n      - POST\n  - name: b\n    path: /b\n    hold_cap: 5 parsecs\n"
        );
        let e = Config::from_yaml(&text, Path::new("t.yaml")).unwrap_err();
        let e = &e.0[0];
        assert_eq!(e.key.as_deref(), Some("interfaces[1].hold_cap"), "{e}");
        let want = text.lines().position(|l| l.contains("parsecs")).unwrap() + 1;
        assert_eq!(e.line, Some(want), "{e}");
    }

    #[test]
    fn semantic_errors_are_located() {
        let text = format!(
            "{MIN}interfaces:\n  - name: a\n    path: /x/{{id}}\n  - name: Bad Name\n    path: nope\n"
        );
        let e = Config::from_yaml(&text, Path::new("t.yaml")).unwrap_err();
        let keys: Vec<_> =
            e.0.iter()
                .map(|e| (e.key.clone().unwrap(), e.line))
                .collect();
        assert!(
            keys.contains(&("interfaces[1].name".into(), Some(8))),
            "{keys:?}"
        );
        assert!(
            keys.contains(&("interfaces[1].path".into(), Some(9))),
            "{keys:?}"
        );
    }

    #[test]
    fn summary_sizes_read_as_written() {
        assert_eq!(human_size(100 << 20), "100MiB");
        assert_eq!(human_size(1 << 30), "1GiB");
        assert_eq!(human_size(1536), "1536B");
        assert_eq!(human_size(3 << 10), "3KiB");
        assert_eq!(human_size(0), "0B");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("8MiB").unwrap(), 8 << 20);
        assert_eq!(parse_size("100kb").unwrap(), 100_000);
        assert_eq!(parse_size("42").unwrap(), 42);
        assert!(parse_size("8 parsecs").is_err());
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn policy_sections_are_validated_with_locations() {
        let text = "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:1\ninterfaces:\n  - name: p\n    path: /p\n    sharing: conditional\nrate_limits:\n  interfaces:\n    nope:\n      per_consumer:\n        requests: {rate: 1/s, burst: 0}\naudit:\n  sink:\n    kind: file\n";
        let e = Config::from_yaml(text, Path::new("p.yaml")).unwrap_err();
        let keys: Vec<(Option<String>, Option<usize>)> =
            e.0.iter().map(|e| (e.key.clone(), e.line)).collect();
        assert!(
            keys.iter()
                .any(|k| k.0.as_deref() == Some("interfaces[0].consumers")),
            "{e}"
        );
        assert!(
            keys.iter()
                .any(|k| k.0.as_deref() == Some("rate_limits.interfaces.nope") && k.1 == Some(11)),
            "{e}"
        );
        assert!(
            keys.iter().any(|k| k.0.as_deref()
                == Some("rate_limits.interfaces.nope.per_consumer.requests.burst")
                && k.1 == Some(13)),
            "{e}"
        );
        assert!(
            keys.iter()
                .any(|k| k.0.as_deref() == Some("audit.sink") && k.1 == Some(15)),
            "{e}"
        );
        let ok = "listen:\n  addr: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:1\ninterfaces:\n  - name: p\n    path: /p\n    grade: secretest\n    consumer_actions:\n      a: {no_such_class: allow}\n";
        let c = Config::from_yaml(ok, Path::new("p.yaml")).unwrap();
        let classes = vec!["resident_id".to_string()];
        let grades = vec!["core".to_string(), "general".to_string()];
        let p = c.validate_against(&classes, &grades);
        assert!(p.iter().any(|(k, _)| k == "interfaces[0].grade"), "{p:?}");
        assert!(
            p.iter()
                .any(|(k, _)| k == "interfaces[0].consumer_actions.a.no_such_class"),
            "{p:?}"
        );
    }

    #[test]
    fn example_configs_are_valid() {
        for (name, text) in [
            ("minimal.yaml", include_str!("../examples/minimal.yaml")),
            ("full.yaml", include_str!("../examples/full.yaml")),
        ] {
            let c = Config::from_yaml(text, Path::new(name)).unwrap_or_else(|e| panic!("{e}"));
            let engine = crate::policy::build_engine(&RulesConfig::default()).unwrap();
            let classes: Vec<String> = engine.classes().iter().map(|c| c.to_string()).collect();
            let grades = crate::policy::grade_names(&c.rules);
            assert_eq!(c.validate_against(&classes, &grades), vec![], "{name}");
        }
    }
}
