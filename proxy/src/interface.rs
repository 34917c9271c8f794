//! Interfaces: the named units the proxy reasons about. A request is matched by method and
//! path template (`/api/v1/persons/{id}`) to an interface; a path no template matches goes to
//! the default interface, and a path one matches with a method it does not list to the
//! strictest interface on that path ([`Router::route`]). Logs, limits, metrics and audit records carry the interface *name*, never
//! the raw path, so their cardinality is bounded by the config, not by callers.
//!
//! Templates are literal segments, `{name}` (exactly one non-empty segment) and a final
//! `{*name}` (the rest, possibly empty). Literal segments match in any ASCII case, and a
//! segment's `;` parameters are ignored, as the upstream servers that ignore them do. The
//! first matching interface in file order wins, so specific templates go before general
//! ones, as in nginx `location` lists.

use std::sync::Arc;
use std::time::Duration;

use http::Method;

use std::collections::{HashMap, HashSet};

use crate::config::{Config, FailMode, MethodSpec, OverScopeAction, Sharing};
use crate::policy::Actions;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    One,
    Rest,
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    segs: Vec<Seg>,
}

impl PathTemplate {
    /// Parses a template.
    ///
    /// # Errors
    /// A message when it does not start with `/`, has an unclosed brace, or `{*rest}` is not last.
    pub fn parse(t: &str) -> Result<Self, String> {
        let Some(body) = t.strip_prefix('/') else {
            return Err(format!("path template `{t}` must start with `/`"));
        };
        let parts: Vec<&str> = if body.is_empty() {
            Vec::new()
        } else {
            body.split('/').collect()
        };
        let mut segs = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if let Some(inner) = p.strip_prefix('{') {
                let Some(name) = inner.strip_suffix('}') else {
                    return Err(format!("unclosed `{{` in `{t}`"));
                };
                if let Some(rest) = name.strip_prefix('*') {
                    if i + 1 != parts.len() {
                        return Err(format!("`{{*{rest}}}` must be the last segment of `{t}`"));
                    }
                    segs.push(Seg::Rest);
                } else {
                    if name.is_empty() || name.contains(['{', '}']) {
                        return Err(format!("bad parameter `{p}` in `{t}`"));
                    }
                    segs.push(Seg::One);
                }
            } else if p.contains(['{', '}']) {
                return Err(format!(
                    "a segment is either literal or one `{{param}}`: `{p}` in `{t}`"
                ));
            } else {
                segs.push(Seg::Lit((*p).to_string()));
            }
        }
        Ok(PathTemplate { segs })
    }

    /// Whether `path` (no query) matches.
    pub fn matches(&self, path: &str) -> bool {
        let body = path.strip_prefix('/').unwrap_or(path);
        let mut parts = if body.is_empty() {
            Vec::new()
        } else {
            body.split('/').collect::<Vec<_>>()
        };
        // A trailing slash is the same resource for matching purposes (`/a/` ~ `/a`).
        if parts.last() == Some(&"") {
            parts.pop();
        }
        let mut i = 0;
        for seg in &self.segs {
            match seg {
                Seg::Rest => return true,
                Seg::One => {
                    if parts.get(i).is_none_or(|p| bare(p).is_empty()) {
                        return false;
                    }
                }
                Seg::Lit(l) => {
                    if !parts
                        .get(i)
                        .is_some_and(|p| bare(p).eq_ignore_ascii_case(l))
                    {
                        return false;
                    }
                }
            }
            i += 1;
        }
        i == parts.len()
    }
}

/// A path segment as an upstream may resolve it: without `;` parameters (`persons;jsessionid=1`
/// is `persons` to Tomcat and Spring). Literal segments also match in any ASCII case
/// (`/API/v1/…`), since IIS and other case-blind servers serve both: a request must not reach
/// a protected resource under a spelling that falls to the default interface.
fn bare(seg: &str) -> &str {
    seg.split(';').next().unwrap_or(seg)
}

/// Everything the pipeline needs to know about one interface, resolved from the config.
#[derive(Debug)]
pub struct Interface {
    pub name: Arc<str>,
    pub inspect_requests: bool,
    pub inspect_responses: bool,
    pub actions: Arc<Actions>,
    pub hold_cap: u64,
    pub on_hold_overflow: FailMode,
    pub block_status: u16,
    pub websocket: bool,
    pub max_request_body: u64,
    pub skip_content_types: Vec<String>,
    pub idle_timeout: Duration,
    /// The declared highest grade (name, rank; rank 0 is the highest grade).
    pub grade: Option<(Arc<str>, u8)>,
    pub sharing: Sharing,
    /// Consumers allowed when `sharing` is conditional.
    pub consumers: HashSet<Arc<str>>,
    /// Actions of consumers with their own class actions.
    pub consumer_actions: HashMap<Arc<str>, Arc<Actions>>,
    pub over_scope: OverScopeAction,
    /// Whether some rule is graded above `grade`, so a response can be over-scope.
    pub grade_check: bool,
}

impl Interface {
    /// The actions in force for a consumer.
    pub fn actions_for(&self, consumer: &str) -> &Arc<Actions> {
        self.consumer_actions.get(consumer).unwrap_or(&self.actions)
    }

    /// Whether `consumer` may call this interface at all.
    pub fn allows(&self, consumer: &str) -> bool {
        match self.sharing {
            Sharing::Unconditional => true,
            Sharing::Conditional => self.consumers.contains(consumer),
            Sharing::NotShared => false,
        }
    }

    /// Whether an over-scope response is refused, so responses must be held until scanned.
    pub fn over_scope_blocks(&self) -> bool {
        self.grade_check && self.over_scope == OverScopeAction::Block
    }

    /// The declared grade's rank when over-scope responses must be detected.
    pub fn scope_rank(&self) -> Option<u8> {
        self.grade
            .as_ref()
            .filter(|_| self.grade_check)
            .map(|g| g.1)
    }

    /// Whether a body of this content type is skipped (not inspected).
    pub fn skips(&self, content_type: Option<&str>) -> bool {
        let Some(ct) = content_type else { return false };
        let ct = ct.trim().to_ascii_lowercase();
        self.skip_content_types
            .iter()
            .any(|p| ct.starts_with(p.as_str()))
    }
}

struct Route {
    methods: Option<Vec<Method>>,
    template: PathTemplate,
    iface: Arc<Interface>,
}

/// Maps requests to interfaces.
pub struct Router {
    routes: Vec<Route>,
    default: Arc<Interface>,
}

impl Router {
    /// Builds the router; `actions_for` resolves an interface's action override.
    ///
    /// # Errors
    /// A bad template or method (already reported by config validation).
    pub fn build(
        cfg: &Config,
        global: &Arc<Actions>,
        engine: &sluice_rules::Engine,
    ) -> Result<Router, String> {
        let d = &cfg.default_interface;
        let scheme = sluice_rules::GradeScheme::new(crate::policy::grade_names(&cfg.rules).iter())?;
        let top_rule_rank = engine.rules().iter().map(|r| r.grade.rank).min();
        let declared = |g: &Option<String>| -> Result<Option<(Arc<str>, u8)>, String> {
            match g {
                None => Ok(None),
                Some(n) => scheme
                    .get(n)
                    .map(|g| Some((g.name.clone(), g.rank)))
                    .ok_or_else(|| format!("unknown grade `{n}`")),
            }
        };
        let checks = |g: &Option<(Arc<str>, u8)>| {
            g.as_ref()
                .is_some_and(|(_, r)| top_rule_rank.is_some_and(|t| t < *r))
        };
        let d_grade = declared(&d.grade)?;
        let default_actions = match (&d_grade, d.over_scope) {
            (Some((_, r)), OverScopeAction::Redact) => Arc::new(Actions::resolve_for(
                engine,
                &cfg.actions,
                None,
                None,
                Some(*r),
            )),
            _ => global.clone(),
        };
        let default = Arc::new(Interface {
            name: Arc::from(d.name.as_str()),
            inspect_requests: d.inspect_requests,
            inspect_responses: d.inspect_responses,
            actions: default_actions,
            hold_cap: d.hold_cap,
            on_hold_overflow: d.on_hold_overflow,
            block_status: d.block_status,
            websocket: d.websocket,
            max_request_body: cfg.limits.max_request_body,
            skip_content_types: d
                .skip_content_types
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            idle_timeout: cfg.timeouts.idle,
            grade_check: checks(&d_grade),
            grade: d_grade,
            sharing: d.sharing,
            consumers: d.consumers.iter().map(|c| Arc::from(c.as_str())).collect(),
            consumer_actions: HashMap::new(),
            over_scope: d.over_scope,
        });
        let mut routes = Vec::new();
        for i in &cfg.interfaces {
            let template = PathTemplate::parse(&i.path)?;
            let methods = match &i.method {
                None => None,
                Some(MethodSpec::One(s)) if s.eq_ignore_ascii_case("any") => None,
                Some(MethodSpec::One(s)) => Some(vec![parse_method(s)?]),
                Some(MethodSpec::Many(v)) => {
                    if v.iter().any(|s| s.eq_ignore_ascii_case("any")) {
                        None
                    } else {
                        Some(
                            v.iter()
                                .map(|s| parse_method(s))
                                .collect::<Result<_, _>>()?,
                        )
                    }
                }
            };
            let grade = declared(&i.grade)?;
            let over_scope = i.over_scope.unwrap_or(d.over_scope);
            let redact_above = match (&grade, over_scope) {
                (Some((_, r)), OverScopeAction::Redact) => Some(*r),
                _ => None,
            };
            let actions = match (&i.actions, redact_above) {
                (None, None) => global.clone(),
                (a, r) => Arc::new(Actions::resolve_for(
                    engine,
                    &cfg.actions,
                    a.as_ref(),
                    None,
                    r,
                )),
            };
            let consumer_actions = i
                .consumer_actions
                .iter()
                .map(|(c, m)| {
                    let a = Actions::resolve_for(
                        engine,
                        &cfg.actions,
                        i.actions.as_ref(),
                        Some(m),
                        redact_above,
                    );
                    (Arc::from(c.as_str()), Arc::new(a))
                })
                .collect();
            routes.push(Route {
                methods,
                template,
                iface: Arc::new(Interface {
                    name: Arc::from(i.name.as_str()),
                    inspect_requests: i.inspect_requests.unwrap_or(d.inspect_requests),
                    inspect_responses: i.inspect_responses.unwrap_or(d.inspect_responses),
                    actions,
                    hold_cap: i.hold_cap.unwrap_or(d.hold_cap),
                    on_hold_overflow: i.on_hold_overflow.unwrap_or(d.on_hold_overflow),
                    block_status: i.block_status.unwrap_or(d.block_status),
                    websocket: i.websocket.unwrap_or(d.websocket),
                    max_request_body: i.max_request_body.unwrap_or(cfg.limits.max_request_body),
                    skip_content_types: default.skip_content_types.clone(),
                    idle_timeout: cfg.timeouts.idle,
                    grade_check: checks(&grade),
                    grade,
                    sharing: i.sharing,
                    consumers: i.consumers.iter().map(|c| Arc::from(c.as_str())).collect(),
                    consumer_actions,
                    over_scope,
                }),
            });
        }
        Ok(Router { routes, default })
    }

    /// The interface for a request: the first whose methods and template match (`HEAD` is
    /// `GET` without the body, RFC 9110, so it matches where `GET` does). A request whose path
    /// an interface's template matches but whose method none of them lists is still a call on
    /// that data (upstreams often answer `HEAD`, `POST` or a method-override header with the
    /// same handler): it is governed by the strictest of those interfaces and the default
    /// one ([`strictness`]; the path's first in file order on a tie). The default interface
    /// alone would open a not-shared or consumer-restricted interface to anyone, unlimited; the
    /// path's alone would open a deny-by-default proxy's unlisted methods.
    pub fn route(&self, method: &Method, path: &str) -> &Arc<Interface> {
        let mut on_path: Option<&Arc<Interface>> = None;
        for r in &self.routes {
            if !r.template.matches(path) {
                continue;
            }
            let listed = r.methods.as_ref().is_none_or(|m| {
                m.contains(method) || (method == Method::HEAD && m.contains(&Method::GET))
            });
            if listed {
                return &r.iface;
            }
            if on_path.is_none_or(|o| strictness(&r.iface) > strictness(o)) {
                on_path = Some(&r.iface);
            }
        }
        match on_path {
            Some(i) if strictness(i) >= strictness(&self.default) => i,
            _ => &self.default,
        }
    }

    /// The interface of unmatched requests.
    pub fn default_interface(&self) -> &Arc<Interface> {
        &self.default
    }

    /// All interfaces, default last.
    pub fn interfaces(&self) -> impl Iterator<Item = &Arc<Interface>> {
        self.routes
            .iter()
            .map(|r| &r.iface)
            .chain(std::iter::once(&self.default))
    }
}

/// How strictly an interface holds its callers: its sharing type first, then whether it
/// inspects responses and requests.
fn strictness(i: &Interface) -> (u8, bool, bool) {
    let sharing = match i.sharing {
        Sharing::Unconditional => 0,
        Sharing::Conditional => 1,
        Sharing::NotShared => 2,
    };
    (sharing, i.inspect_responses, i.inspect_requests)
}

fn parse_method(s: &str) -> Result<Method, String> {
    Method::from_bytes(s.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("`{s}` is not an HTTP method"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let t = PathTemplate::parse("/api/v1/persons/{id}").unwrap();
        assert!(t.matches("/api/v1/persons/42"));
        assert!(t.matches("/api/v1/persons/42/"));
        assert!(!t.matches("/api/v1/persons/"));
        assert!(!t.matches("/api/v1/persons/42/photo"));
        assert!(!t.matches("/api/v1/person/42"));
        // What servers that drop `;` parameters or ignore case would serve as the same one.
        assert!(t.matches("/api/v1/persons;x/42"));
        assert!(t.matches("/api/v1;jsessionid=9/persons/42;v=1"));
        assert!(t.matches("/API/V1/Persons/42"));
        assert!(!t.matches("/api/v1/persons/;x"));
        let r = PathTemplate::parse("/export/{*rest}").unwrap();
        assert!(r.matches("/export/a/b/c"));
        assert!(r.matches("/export"));
        assert!(PathTemplate::parse("/").unwrap().matches("/"));
        assert!(PathTemplate::parse("no-slash").is_err());
        assert!(PathTemplate::parse("/a/{*x}/b").is_err());
        assert!(PathTemplate::parse("/a/x{y}").is_err());
    }
}

#[cfg(test)]
mod route_tests {
    use super::*;

    fn router(yaml: &str) -> Router {
        let cfg =
            crate::config::Config::from_yaml(yaml, std::path::Path::new("t.yaml")).expect("config");
        let engine = crate::policy::build_engine(&cfg.rules).expect("engine");
        let global = Arc::new(Actions::resolve(&engine, &cfg.actions, None));
        Router::build(&cfg, &global, &engine).expect("router")
    }

    /// An unlisted method on a path takes the strictest of the path's interfaces and the
    /// default one: deny by default stays deny, a not-shared path stays not shared.
    #[test]
    fn unlisted_methods_take_the_strictest_of_the_path_and_the_default() {
        let head = "listen: {addr: 127.0.0.1:8080}\nupstream: {url: http://127.0.0.1:9000}\n";
        let r = router(&format!(
            "{head}default_interface: {{sharing: not_shared}}\ninterfaces:\n  - name: pub-get\n    method: GET\n    path: /pub/{{id}}\n    inspect_requests: false\n"
        ));
        assert_eq!(r.route(&Method::GET, "/pub/1").name.as_ref(), "pub-get");
        assert_eq!(r.route(&Method::HEAD, "/pub/1").name.as_ref(), "pub-get");
        assert_eq!(r.route(&Method::DELETE, "/pub/1").name.as_ref(), "default");
        let r = router(&format!(
            "{head}interfaces:\n  - name: open-get\n    method: GET\n    path: /p/{{id}}\n  - name: secret-put\n    method: PUT\n    path: /p/{{id}}\n    sharing: not_shared\n"
        ));
        assert_eq!(r.route(&Method::POST, "/p/1").name.as_ref(), "secret-put");
        assert_eq!(r.route(&Method::GET, "/p/1").name.as_ref(), "open-get");
        assert_eq!(r.route(&Method::POST, "/q/1").name.as_ref(), "default");
    }
}
