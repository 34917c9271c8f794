//! The compiled engine: rule packs parsed, validated and compiled together into one set of
//! matchers (structured detectors, one Aho-Corasick automaton for keywords and regex anchors,
//! anchored and unanchored regexes, a field-name index). Built once, shared read-only
//! (`Arc<Engine>`) by every stream; each stream keeps its own scratch. A set with any error is
//! rejected whole, so a reload either swaps in a complete new set or keeps the old one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexBuilder, RegexSet};
use sha2::{Digest, Sha256};

use crate::detect::{self, AcTarget, CRule, Ctx, Det, Detectors, Kind, Validator, NEG};
use crate::error::{Diagnostic, RuleError};
use crate::format::Format;
use crate::grade::{Grade, GradeScheme};
use crate::rule::{self, LocatedRule, PackSource};
use crate::stream::{ScanOptions, ScanResult, StreamScanner};
use crate::transform::{MaskSpec, Transform};

/// Public description of a compiled rule.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub index: usize,
    pub id: Arc<str>,
    pub name: String,
    pub description: Option<String>,
    pub class: Arc<str>,
    pub grade: Grade,
    pub pack: String,
    pub pack_version: String,
    pub file: PathBuf,
    pub line: Option<usize>,
    /// The transform the rule asks for when policy does not choose one.
    pub default_transform: Transform,
    /// Used for masked samples in findings (never the raw value, whatever the policy).
    pub(crate) sample_transform: Transform,
    /// The keyed function this rule's findings are fingerprinted with (its class's).
    pub(crate) fp: crate::transform::ClassFp,
}

/// A compiled, immutable rule set.
pub struct Engine {
    pub(crate) rules: Vec<RuleInfo>,
    pub(crate) detectors: Detectors,
    pub(crate) token_key: Vec<u8>,
    pub(crate) window: usize,
    pub(crate) margin: usize,
    scheme: GradeScheme,
    hash: String,
    warnings: Vec<Diagnostic>,
    defs: Vec<LocatedRule>,
    /// Field names resolved so far (display form and the rules each gives context to), shared
    /// by every stream of this engine: a stream starts with an empty cache of its own, and a
    /// one-record body would otherwise resolve each of its twenty-odd names from scratch
    /// (about a quarter of the cost of scanning 1 KiB). Bounded by `KEY_MEMO_MAX`: names
    /// come from the traffic, and past the bound they are resolved per stream as before.
    key_memo: std::sync::RwLock<std::collections::HashMap<Box<[u8]>, Arc<KeyInfo>>>,
    /// Working buffers of finished streams, for the next ones (`take_buffers`); at most
    /// `POOL_MAX`, each bounded (`stream::Buffers`).
    pool: std::sync::Mutex<Vec<crate::stream::Buffers>>,
}

/// Finished streams' buffer sets the engine keeps: enough for the streams a busy sidecar
/// runs at once on its few cores, and a bound on what an idle one holds (each set at most
/// 272 KiB, see `stream::BUFFER_KEEP_BYTES`).
const POOL_MAX: usize = 32;

/// Field names the engine-wide memo keeps at most.
const KEY_MEMO_MAX: usize = 4096;

/// A resolved field name: its raw bytes, display form and the rules it gives context to.
#[derive(Debug)]
pub(crate) struct KeyInfo {
    pub raw: Box<[u8]>,
    pub name: Arc<str>,
    pub rules: Vec<u32>,
    /// Some rule listens to this field (not only negative keys): a short base64 value under
    /// it is decoded and judged with its context.
    pub listened: bool,
    /// What the name says about document types (a type field, a generic number field).
    pub doc: detect::doc_type::DocKey,
    /// Whose document the name says it is (`detect::doc_type::key_role_owner`).
    pub doc_owner: u32,
    /// The name read as the number field of this document (`Segmenter::doc_entry`), not as
    /// written: such an entry is found only by that lookup.
    pub derived: Option<detect::doc_type::DocKind>,
    /// A name that names anything (`name`, `nm`): a region, a product or a book as often as a
    /// person (`detect::field::detect` asks its values more).
    pub generic: bool,
    /// The rules whose `veto_keys` name this field: a valid match of theirs held whole
    /// here is the field's own number.
    pub vetoes: Vec<u32>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.len())
            .field("hash", &self.hash)
            .finish()
    }
}

/// Whether a field name names anything at all (`name`, `Name`, `nm`), not a person's name
/// (`xm`, `userName`, `姓名`). An XML prefix (`ns2:name`) is no part of it, nor a Han
/// owner's word (`联系name`: whose name it is, not that it is a person's), nor a list's
/// suffix (`nameList`).
pub(crate) fn generic_name_key(raw: &[u8]) -> bool {
    let mut local = raw.rsplit(|&b| b == b':').next().unwrap_or(raw);
    // A path's last part (`list[0].name`, `list[0][name]`), as a JSON member's name; but a
    // person's (`contact.name`, `guardian[name]`) is that person's name field, read as
    // such (`format::path_owned_key`), as `{"contact":{"name":…}}` is.
    if let Some((_, member)) = crate::format::path_split(local) {
        if matches!(crate::format::path_owned_key(local), Some(Some(_))) {
            return false;
        }
        local = member;
    }
    if let Some(tail) = crate::detect::KEY_OWNERS_HAN
        .iter()
        .find_map(|o| local.strip_prefix(o.as_bytes()))
    {
        local = tail;
    }
    // A list of names (`nameList`) names anything as `name` does.
    if let Some(one) = crate::detect::list_of(local) {
        local = one;
    }
    local.eq_ignore_ascii_case(b"name") || local.eq_ignore_ascii_case(b"nm")
}

/// Builds an [`Engine`].
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    scheme: GradeScheme,
    builtin: bool,
    dirs: Vec<PathBuf>,
    sources: Vec<PackSource>,
    token_key: Option<Vec<u8>>,
    window: usize,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            scheme: GradeScheme::default(),
            builtin: false,
            dirs: Vec::new(),
            sources: Vec::new(),
            token_key: None,
            window: 64 * 1024,
        }
    }
}

impl EngineBuilder {
    pub fn grades(mut self, scheme: GradeScheme) -> Self {
        self.scheme = scheme;
        self
    }
    /// Include the built-in packs.
    pub fn builtin(mut self) -> Self {
        self.builtin = true;
        self
    }
    /// Load every pack of a directory.
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dirs.push(dir.as_ref().to_path_buf());
        self
    }
    /// Add one pack from text.
    pub fn source(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.sources.push(PackSource {
            path: path.into(),
            text: text.into(),
        });
        self
    }
    /// Key for tokens and fingerprints. Without one a random key is drawn once per process
    /// and shared by every engine built in it, so tokens and fingerprints survive a rule
    /// reload but not a restart, and differ between replicas: give every replica the same
    /// key (a Secret) when tokens must join across them.
    pub fn token_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.token_key = Some(key.into());
        self
    }
    /// Window size in bytes of normalized text (minimum 4 KiB).
    pub fn window(mut self, bytes: usize) -> Self {
        self.window = bytes.max(4096);
        self
    }

    /// Parses, validates and compiles every rule together.
    ///
    /// # Errors
    /// Every problem found in any pack (file, line, rule id, key, message).
    pub fn build(self) -> Result<Engine, RuleError> {
        let mut sources = Vec::new();
        if self.builtin {
            sources.extend(rule::builtin_sources());
        }
        for d in &self.dirs {
            sources.extend(rule::dir_sources(d)?);
        }
        sources.extend(self.sources);
        let defs = rule::parse_sources(&sources)?;
        // The id of what was loaded, not of where it was loaded from: each pack's file name
        // (its place in the load order) and text, so the same packs give the same id under
        // any spelling of their directory (`a`, `./a`, `/abs/a`), in a copy elsewhere, and
        // on every replica whatever its mount path, which the proxy's entity tags, reloads
        // and audit records rely on. Lengths go first, so no two sets hash as one.
        let mut hasher = Sha256::new();
        for s in &sources {
            let name = s.path.file_name().unwrap_or(s.path.as_os_str());
            let name = name.to_string_lossy();
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((s.text.len() as u64).to_le_bytes());
            hasher.update(s.text.as_bytes());
        }
        let hash: String = hasher.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let token_key = self.token_key.unwrap_or_else(|| process_key().to_vec());
        compile(defs, self.scheme, token_key, self.window, hash)
    }
}

/// The default key: drawn once, so that an engine rebuilt by a reload tokenizes (and
/// fingerprints, which distinct-value quotas count) as the one it replaces.
fn process_key() -> &'static [u8] {
    static KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    KEY.get_or_init(random_key)
}

fn random_key() -> Vec<u8> {
    use std::hash::{BuildHasher, Hasher};
    let mut out = Vec::with_capacity(32);
    for i in 0..4u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        out.extend_from_slice(&h.finish().to_le_bytes());
    }
    out
}

/// Examples (and negative examples) a rule should carry: fewer is a warning.
pub const MIN_EXAMPLES: usize = 3;
const MAX_PATTERN_LEN: usize = 256;
const MAX_KEYWORD_LEN: usize = 128;
pub(crate) const MAX_WINDOW_CHARS: usize = 128;

fn compile(
    defs: Vec<LocatedRule>,
    scheme: GradeScheme,
    token_key: Vec<u8>,
    window: usize,
    hash: String,
) -> Result<Engine, RuleError> {
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut rules = Vec::new();
    // One fingerprint key per class, however many rules share it.
    let mut class_fps: std::collections::HashMap<String, crate::transform::ClassFp> =
        std::collections::HashMap::new();
    let mut d = Detectors {
        by_det: vec![Vec::new(); Det::ALL.len()],
        ..Detectors::default()
    };
    let mut ac_pats: Vec<(Vec<u8>, AcTarget)> = Vec::new();
    let mut ac_ci_pats: Vec<(Vec<u8>, AcTarget)> = Vec::new();
    let mut label_pats: Vec<(Vec<u8>, u32)> = Vec::new();
    // Which of them a name follows in a remark with no delimiter (`name_label_gate`).
    let mut label_opens: Vec<bool> = Vec::new();
    let mut unanchored: Vec<(usize, String)> = Vec::new();
    let mut max_ctx = 32usize;
    let mut seen_ids: std::collections::HashMap<String, (PathBuf, Option<usize>)> =
        Default::default();
    let mut kept_defs = Vec::new();
    let mut all_negative: Vec<Vec<u8>> = Vec::new();

    for lr in defs {
        let r = &lr.def;
        let mut err = |key: Option<&str>, message: String, warning: bool| {
            diags.push(Diagnostic {
                file: lr.file.clone(),
                line: key.and_then(|k| lr.line_of(k)).or(lr.line),
                rule: Some(r.id.clone()),
                key: key.map(str::to_string),
                message,
                warning,
            })
        };
        if let Some((f, l)) = seen_ids.get(&r.id) {
            err(
                Some("id"),
                format!(
                    "duplicate rule id (first defined in {}:{})",
                    f.display(),
                    l.unwrap_or(0)
                ),
                false,
            );
            continue;
        }
        seen_ids.insert(r.id.clone(), (lr.file.clone(), lr.line));
        if r.id.trim().is_empty() || r.id.chars().any(char::is_whitespace) {
            err(
                Some("id"),
                "rule ids must be non-empty and without spaces".into(),
                false,
            );
        }
        if r.class.trim().is_empty() {
            err(Some("class"), "class must not be empty".into(), false);
        }
        let Some(grade) = scheme.get(&r.grade) else {
            let names: Vec<&str> = scheme.names().collect();
            err(
                Some("grade"),
                format!(
                    "unknown grade `{}` (configured grades: {})",
                    r.grade,
                    names.join(", ")
                ),
                false,
            );
            continue;
        };
        if !r.enabled {
            continue;
        }
        let index = rules.len() as u32;
        let m = &r.matcher;
        let kinds = [
            m.detector.is_some(),
            m.pattern.is_some(),
            m.keywords.is_some(),
            m.field == Some(true),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            err(
                Some("match"),
                "exactly one of `detector`, `pattern`, `keywords` or `field: true` is required"
                    .into(),
                false,
            );
            continue;
        }
        let validator = match &r.validator {
            None => None,
            Some(v) => match Validator::from_name(v) {
                Some(v) if m.pattern.is_some() => Some(v),
                Some(_) => {
                    err(Some("validator"), "a validator applies to `pattern` rules only (detectors validate themselves)".into(), false);
                    None
                }
                None => {
                    err(
                        Some("validator"),
                        format!(
                            "unknown validator `{v}` (known: {})",
                            Validator::NAMES.join(", ")
                        ),
                        false,
                    );
                    None
                }
            },
        };
        let kind = if let Some(name) = &m.detector {
            match Det::from_name(name) {
                Some(det) => {
                    d.by_det[det as usize].push(index);
                    if det.is_field() {
                        d.field_rules.push(index);
                    }
                    Kind::Detector(det)
                }
                None => {
                    let known: Vec<&str> = Det::ALL.iter().map(|(n, _)| *n).collect();
                    err(
                        Some("match.detector"),
                        format!("unknown detector `{name}` (known: {})", known.join(", ")),
                        false,
                    );
                    continue;
                }
            }
        } else if let Some(p) = &m.pattern {
            match check_pattern(p, m.case_insensitive) {
                Err(msg) => {
                    err(Some("match.pattern"), msg, false);
                    continue;
                }
                Ok((re, meta, anchors)) => {
                    let ix = d.regexes.len();
                    d.regexes.push((index, re, meta));
                    match anchors {
                        Some(lits) => {
                            for l in lits {
                                let t = AcTarget::Anchor(ix);
                                if m.case_insensitive {
                                    ac_ci_pats.push((l, t));
                                } else {
                                    ac_pats.push((l, t));
                                }
                            }
                        }
                        None => {
                            err(
                                Some("match.pattern"),
                                "no literal anchor could be extracted: this pattern runs over every value; start it with a literal or use a detector".into(),
                                true,
                            );
                            unanchored.push((ix, p.clone()));
                        }
                    }
                    Kind::Pattern
                }
            }
        } else if let Some(kws) = &m.keywords {
            if kws.is_empty() {
                err(
                    Some("match.keywords"),
                    "keyword list is empty".into(),
                    false,
                );
                continue;
            }
            for k in kws {
                if k.is_empty() || k.len() > MAX_KEYWORD_LEN {
                    err(
                        Some("match.keywords"),
                        format!("keywords must be 1..={MAX_KEYWORD_LEN} bytes: `{k}`"),
                        false,
                    );
                    continue;
                }
                // One character of any script: a single Han character (`密`, `的`) is in
                // most Chinese text, as a single letter is in most English.
                if k.chars().count() < 2 {
                    err(
                        Some("match.keywords"),
                        format!("keyword `{k}` is a single character: it would match everywhere"),
                        false,
                    );
                }
                let norm = normalize_literal(k);
                if m.case_insensitive {
                    ac_ci_pats.push((norm, AcTarget::Keyword(index)));
                } else {
                    ac_pats.push((norm, AcTarget::Keyword(index)));
                }
            }
            Kind::Keywords
        } else {
            d.field_rules.push(index);
            Kind::Field
        };
        let c = r.context.clone().unwrap_or_default();
        let window_chars = c.window.unwrap_or(32);
        if window_chars == 0 || window_chars > MAX_WINDOW_CHARS {
            err(
                Some("context.window"),
                format!("window is 1 to {MAX_WINDOW_CHARS} characters"),
                false,
            );
        }
        max_ctx = max_ctx.max(window_chars.min(MAX_WINDOW_CHARS));
        if matches!(kind, Kind::Field) && c.keys.is_empty() && c.keywords.is_empty() {
            err(
                Some("context.keys"),
                "a `field: true` rule needs `context.keys` (or label keywords)".into(),
                false,
            );
        }
        if let Kind::Detector(det) = kind {
            if det.is_field() && c.keys.is_empty() && c.keywords.is_empty() {
                err(
                    Some("context.keys"),
                    format!(
                        "detector `{}` needs field names in `context.keys`",
                        m.detector.as_deref().unwrap_or("")
                    ),
                    false,
                );
            }
        }
        for k in &c.keys {
            d.keys.add(k, index);
        }
        for k in &c.negative_keys {
            d.keys.add(k, index | NEG);
        }
        for k in &c.veto_keys {
            d.keys.add(k, index | NEG);
            d.veto_keys.add(k, index);
        }
        let is_field_rule =
            matches!(kind, Kind::Field) || matches!(kind, Kind::Detector(x) if x.is_field());
        if is_field_rule {
            // Names, addresses and passport numbers are also found after a label written
            // without a colon (`经办人孙桂香，`, `现住福建省…`); their judges are strict enough
            // for that. A generic `field: true` rule only takes values after a colon.
            let colonless = matches!(
                kind,
                Kind::Detector(
                    Det::PersonName | Det::Address | Det::TravelDocument | Det::TaiwanPermit
                )
            );
            for k in &c.keywords {
                let norm = normalize_literal(k);
                if colonless
                    && !norm.is_ascii()
                    && !crate::dict::COLON_ONLY_LABELS
                        .iter()
                        .any(|l| l.as_bytes() == norm.as_slice())
                {
                    let opens = matches!(kind, Kind::Detector(Det::PersonName))
                        && detect::field::name_follows(&norm);
                    if opens {
                        d.name_label_gate.insert(&norm);
                    }
                    label_pats.push((norm.clone(), index));
                    label_opens.push(opens);
                }
                d.labels.push((norm, index));
            }
        }
        let keywords: Vec<Vec<u8>> = c.keywords.iter().map(|k| normalize_literal(k)).collect();
        let negative_keywords: Vec<Vec<u8>> = c
            .negative_keywords
            .iter()
            .map(|k| normalize_literal(k))
            .collect();
        // Standard match semantics: the overlapping search needs them. ASCII letters match
        // in either case (`Passport No.`, `PASSPORT` in a document-type field), as the
        // field names do.
        let automaton = |kws: &[Vec<u8>]| {
            let kws: Vec<&Vec<u8>> = kws.iter().filter(|k| !k.is_empty()).collect();
            if kws.is_empty() {
                None
            } else {
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(kws)
                    .ok()
            }
        };
        all_negative.extend(negative_keywords.iter().filter(|k| !k.is_empty()).cloned());
        let ctx = Ctx {
            keywords_ac: automaton(&keywords),
            negative_ac: automaton(&negative_keywords),
            keywords_ascii: keywords
                .iter()
                .any(|k| k.iter().any(u8::is_ascii_alphabetic)),
            keywords,
            negative_keywords,
            window_bytes: window_chars.min(MAX_WINDOW_CHARS) * 3,
            require: c.require,
        };
        let (default_transform, sample_transform) = match transform_of(r.redact.as_ref(), &r.class)
        {
            Ok(t) => t,
            Err(msg) => {
                // The only error is an unknown style: named, and found, at its own key.
                err(Some("redact.style"), msg, false);
                continue;
            }
        };
        // The bar of the schema and of every built-in rule (a test holds them to it); a
        // user's rule with fewer still loads, and `rules check` says so.
        let (pos, neg) = (r.examples.len(), r.negative_examples.len());
        if pos < MIN_EXAMPLES || neg < MIN_EXAMPLES {
            err(
                Some(if pos < MIN_EXAMPLES {
                    "examples"
                } else {
                    "negative_examples"
                }),
                format!(
                    "rules should carry at least {MIN_EXAMPLES} examples and {MIN_EXAMPLES} \
                     negative_examples (this one has {pos} and {neg}); `rules check` runs them"
                ),
                true,
            );
        }
        d.rules.push(CRule {
            kind,
            validator,
            ctx,
            grade_rank: grade.rank,
        });
        rules.push(RuleInfo {
            index: index as usize,
            id: Arc::from(r.id.as_str()),
            name: r.name.clone(),
            description: r.description.clone(),
            class: Arc::from(r.class.as_str()),
            grade,
            pack: lr.pack.clone(),
            pack_version: lr.pack_version.clone(),
            file: lr.file.clone(),
            line: lr.line,
            default_transform,
            sample_transform,
            fp: *class_fps
                .entry(r.class.clone())
                .or_insert_with(|| crate::transform::ClassFp::new(&token_key, &r.class)),
        });
        kept_defs.push(lr);
    }

    let build_ac =
        |pats: &[(Vec<u8>, AcTarget)], ci: bool| -> Result<Option<AhoCorasick>, String> {
            if pats.is_empty() {
                return Ok(None);
            }
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(ci)
                .build(pats.iter().map(|(p, _)| p))
                .map(Some)
                .map_err(|e| e.to_string())
        };
    all_negative.sort_unstable();
    all_negative.dedup();
    if !all_negative.is_empty() {
        match AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(&all_negative)
        {
            Ok(ac) => d.any_negative = Some(ac),
            Err(e) => diags.push(set_error(
                "context.negative_keywords",
                format!("negative keyword automaton does not build: {e}"),
            )),
        }
    }
    match (build_ac(&ac_pats, false), build_ac(&ac_ci_pats, true)) {
        (Ok(a), Ok(b)) => {
            d.ac = a;
            d.ac_ci = b;
        }
        (Err(e), _) | (_, Err(e)) => diags.push(set_error(
            "match.keywords",
            format!("keyword automaton does not build: {e}"),
        )),
    }
    // Trigger table: digits start identifier candidates, `@` e-mail, `:` IPv6 and
    // `label: value` pairs, and each automaton pattern's rarest byte its search.
    let mut trigger = [0u8; 256];
    for b in b'0'..=b'9' {
        trigger[b as usize] |= detect::TRIG_DIGIT;
    }
    trigger[b'@' as usize] |= detect::TRIG_AT;
    trigger[b':' as usize] |= detect::TRIG_COLON;
    trigger[b'%' as usize] |= detect::TRIG_PERCENT;
    trigger[b'=' as usize] |= detect::TRIG_PAIR;
    trigger[b'\n' as usize] |= detect::TRIG_PAIR;
    for (p, ci) in ac_pats
        .iter()
        .map(|(p, _)| (p, false))
        .chain(ac_ci_pats.iter().map(|(p, _)| (p, true)))
    {
        gate_pattern(p, ci, detect::TRIG_GATE, &mut trigger, &mut d.pair_gate);
    }
    // Labels: their own trigger bit, pair gate and automaton (all multi-byte Han words), and
    // the bytes a value after a label without a colon must end at.
    if !label_pats.is_empty() {
        for &b in detect::NAME_ENDS {
            trigger[b as usize] |= detect::TRIG_DELIM;
        }
        // `、` (U+3001) ends a name in a list (`经办人孙桂香、联系人王芳`); its lead byte
        // starts only CJK punctuation and rare characters.
        trigger[0xE3] |= detect::TRIG_DELIM;
        // A tab sets a value apart from its label as a space does (`姓名\t张伟`).
        trigger[usize::from(b'\t')] |= detect::TRIG_DELIM;
        for (p, _) in &label_pats {
            gate_pattern(
                p,
                false,
                detect::TRIG_LABEL,
                &mut trigger,
                &mut d.label_gate,
            );
        }
        // A DFA while the labels are few. Every label is a Han word, and Han characters
        // share their lead bytes, so in running Chinese text no prefilter skips anything
        // and the automaton steps on every byte: the contiguous NFA the builder picks
        // past 100 patterns took 37 instructions a byte there, the DFA takes 19. The
        // built-ins' 132 labels make a DFA of 424 KiB; a rule set with very many labels
        // keeps the builder's choice rather than a DFA that grows with them.
        let kind =
            (label_pats.len() <= LABEL_DFA_MAX).then_some(aho_corasick::AhoCorasickKind::DFA);
        match AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(kind)
            .build(label_pats.iter().map(|(p, _)| p))
        {
            Ok(ac) => d.ac_labels = Some(ac),
            Err(e) => diags.push(set_error(
                "context.keywords",
                format!("label automaton does not build: {e}"),
            )),
        }
        d.ac_label_rules = label_pats.iter().map(|(_, r)| *r).collect();
        d.ac_label_opens = label_opens;
    }
    d.trigger = detect::Trigger(trigger);
    d.quick = detect::QuickTable::new(&d.trigger);
    // Labels by their last byte: a colon in text is then compared with the few labels that
    // could end before it, not with all of them.
    d.labels_by_last = vec![Vec::new(); 256];
    for (i, (label, _)) in d.labels.iter().enumerate() {
        if let Some(&last) = label.last() {
            d.labels_by_last[usize::from(last)].push(i);
        }
    }
    d.known_labels = detect::KnownLabels::new(
        d.labels
            .iter()
            .map(|(l, _)| l.as_slice())
            .chain(crate::dict::COMMON_LABELS.iter().map(|l| l.as_bytes())),
    );
    for (i, v) in d.by_det.iter().enumerate() {
        if !v.is_empty() {
            d.enabled.0 |= 1 << i;
        }
    }
    d.min_digit_len = Det::ALL
        .iter()
        .filter(|(_, det)| d.enabled.has(*det))
        .map(|(_, det)| det.min_text_len())
        .min()
        .unwrap_or(usize::MAX);
    d.ac_targets = ac_pats.into_iter().map(|(_, t)| t).collect();
    d.ac_ci_targets = ac_ci_pats.into_iter().map(|(_, t)| t).collect();
    if !unanchored.is_empty() {
        match RegexSet::new(unanchored.iter().map(|(_, p)| p.as_str())) {
            Ok(set) => d.unanchored = Some((set, unanchored.iter().map(|(i, _)| *i).collect())),
            Err(e) => diags.push(set_error(
                "match.pattern",
                format!("unanchored patterns do not compile together: {e}"),
            )),
        }
    }
    if diags.iter().any(|x| !x.warning) {
        return Err(RuleError::new(diags));
    }
    // The margin covers the longest match plus the context window on each side.
    let margin = (MAX_PATTERN_LEN * 3 + max_ctx * 3 * 2 + 64).next_power_of_two();
    Ok(Engine {
        rules,
        detectors: d,
        token_key,
        window: window.max(margin * 4),
        margin,
        scheme,
        hash,
        warnings: diags,
        defs: kept_defs,
        key_memo: Default::default(),
        pool: Default::default(),
    })
}

/// Keywords are matched against normalized text, so they are normalized the same way.
fn normalize_literal(s: &str) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match crate::normalize::normalize_char(c) {
            crate::normalize::Norm::Same => out.push(c),
            crate::normalize::Norm::To(a, _) => out.push(a),
            crate::normalize::Norm::Drop => {}
        }
    }
    out.into_bytes()
}

/// Compiles a pattern and extracts literal anchors. Rejects unbounded or overlong patterns:
/// a match must fit in the stream margin, and unbounded repetition is how a rule thrashes
/// the matcher.
/// A compiled pattern and its literal anchors (`None`: no useful anchor).
type CompiledPattern = (Regex, regex_automata::meta::Regex, Option<Vec<Vec<u8>>>);

fn check_pattern(p: &str, ci: bool) -> Result<CompiledPattern, String> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(ci)
        .utf8(false)
        .unicode(true)
        .build()
        .parse(p)
        .map_err(|e| format!("invalid regex: {e}"))?;
    match hir.properties().maximum_len() {
        None => return Err("unbounded repetition (`*`, `+`, `{n,}`): use a bounded form like `{1,64}` so a match fits the stream window".into()),
        Some(n) if n > MAX_PATTERN_LEN * 3 => return Err(format!("matches can be {n} bytes long; at most {} allowed", MAX_PATTERN_LEN * 3)),
        _ => {}
    }
    if hir.properties().minimum_len() == Some(0) {
        return Err("the pattern can match the empty string".into());
    }
    // A counted repetition inside another multiplies the automaton's states, and each may
    // be live at every byte: `(?:a{1,9}|a{1,8}){1,80}b` is bounded, yet scanned a megabyte
    // of `a` in 20 seconds. Built-in rules nest to a product of 6.
    // Refused when the nesting also makes the automaton large: a host name's labels,
    // `(?:[a-z0-9-]{1,63}\.){1,4}`, nest to 252 repeats of one small class and stay cheap.
    let nested = nested_repetition(&hir, 1, false);
    if nested > MAX_NESTED_REPETITION {
        let states = regex_automata::nfa::thompson::Compiler::new()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .case_insensitive(ci)
                    .utf8(false),
            )
            .build(p)
            .map_or(usize::MAX, |n| n.states().len());
        if states > MAX_NESTED_STATES {
            return Err(format!(
                "counted repetitions nested inside each other allow {nested} repeats, in an automaton of {states} states (at most {MAX_NESTED_STATES} when repeats nest past {MAX_NESTED_REPETITION}): matching it would be slow on long runs; repeat the inner part alone (`a{{1,720}}`) or bound the outer one tightly"
            ));
        }
    }
    let re = RegexBuilder::new(p)
        .case_insensitive(ci)
        .size_limit(2 << 20)
        .dfa_size_limit(4 << 20)
        .build()
        .map_err(|e| format!("regex does not compile within limits: {e}"))?;
    let meta = regex_automata::meta::Regex::builder()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .case_insensitive(ci)
                .utf8(false),
        )
        .configure(
            regex_automata::meta::Config::new()
                .nfa_size_limit(Some(2 << 20))
                .hybrid_cache_capacity(4 << 20),
        )
        .build(p)
        .map_err(|e| format!("regex does not compile within limits: {e}"))?;
    // Prefix literals anchor the pattern when every alternative has one of useful length.
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix).limit_total(64);
    let seq = ex.extract(&hir);
    let anchors = seq.literals().and_then(|lits| {
        let ok = !lits.is_empty() && lits.iter().all(|l| l.as_bytes().len() >= 2);
        ok.then(|| {
            lits.iter()
                .map(|l| l.as_bytes().to_vec())
                .collect::<Vec<_>>()
        })
    });
    Ok((re, meta, anchors))
}

/// Largest product of the maximum counts along a chain of nested repetitions (a chain of
/// one counts 1: a single repetition is linear whatever its bound).
fn nested_repetition(h: &regex_syntax::hir::Hir, outer: u64, inside: bool) -> u64 {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Repetition(r) => {
            let m = u64::from(r.max.unwrap_or(u32::MAX).max(1));
            if m <= 1 {
                return nested_repetition(&r.sub, outer, inside);
            }
            let here = outer.saturating_mul(m);
            let below = nested_repetition(&r.sub, here, true);
            if inside {
                below.max(here)
            } else {
                below
            }
        }
        HirKind::Capture(c) => nested_repetition(&c.sub, outer, inside),
        HirKind::Concat(v) | HirKind::Alternation(v) => v
            .iter()
            .map(|x| nested_repetition(x, outer, inside))
            .max()
            .unwrap_or(1),
        _ => 1,
    }
}

/// The largest [`nested_repetition`] product accepted whatever the automaton's size.
const MAX_NESTED_REPETITION: u64 = 64;
/// The most automaton states a pattern nesting past [`MAX_NESTED_REPETITION`] may have: the
/// built-in rules have at most 70; the pattern that took 20 s a megabyte has 3,765.
const MAX_NESTED_STATES: usize = 1500;

fn transform_of(
    r: Option<&rule::RedactDef>,
    class: &str,
) -> Result<(Transform, Transform), String> {
    let label = || Transform::Label(format!("[{class}]"));
    let Some(r) = r else {
        return Ok((label(), label()));
    };
    let style = r
        .style
        .as_deref()
        .unwrap_or(if r.label.is_some() { "label" } else { "mask" });
    let t = match style {
        "mask" => Transform::Mask(MaskSpec {
            keep_first: r.keep_first.unwrap_or(0),
            keep_last: r.keep_last.unwrap_or(0),
            mask_char: r.char.unwrap_or('*'),
            keep_from: r.keep_from,
        }),
        "label" => Transform::Label(r.label.clone().unwrap_or_else(|| format!("[{class}]"))),
        "token" => Transform::Token,
        "none" | "report" => Transform::Keep,
        other => {
            return Err(format!(
                "unknown redact style `{other}` (mask, label, token, none)"
            ))
        }
    };
    let sample = match &t {
        Transform::Mask(_) | Transform::Label(_) => t.clone(),
        _ => label(),
    };
    Ok((t, sample))
}

/// Whether some of a field's rules listen to it (not only negative ones).
fn listening(rules: &[u32]) -> bool {
    rules.iter().any(|r| r & detect::NEG == 0)
}

impl Engine {
    /// Resolves a field name: from the engine-wide memo when another stream already did.
    pub(crate) fn key_info(&self, raw: &[u8]) -> Arc<KeyInfo> {
        // A poisoned lock only means another thread panicked while holding it; the map is
        // still a valid cache (entries are inserted whole).
        if let Some(k) = self
            .key_memo
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(raw)
        {
            return k.clone();
        }
        let mut rules = Vec::new();
        self.detectors.key_rules(raw, &mut rules);
        let listened = listening(&rules);
        let (doc, doc_owner) = detect::doc_type::key_role_owner(raw);
        let mut vetoes = Vec::new();
        self.detectors.veto_keys.lookup(raw, &mut vetoes);
        let info = Arc::new(KeyInfo {
            raw: raw.into(),
            name: Arc::from(String::from_utf8_lossy(raw).as_ref()),
            rules,
            listened,
            doc,
            doc_owner,
            derived: None,
            generic: generic_name_key(raw),
            vetoes,
        });
        let mut memo = self
            .key_memo
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if memo.len() < KEY_MEMO_MAX {
            memo.insert(raw.into(), info.clone());
        }
        info
    }

    /// A generic number field (`zjhm`) read after a type field that named `kind`: the rules
    /// of its own name and those of the name of that document's field (`tbzhm`), under the
    /// field's own display name. Not memoized: the segmenter keeps it with its other names.
    pub(crate) fn key_info_as(
        &self,
        own: &KeyInfo,
        kind: detect::doc_type::DocKind,
    ) -> Arc<KeyInfo> {
        let mut canon = Vec::new();
        if kind == detect::doc_type::DocKind::Other {
            for k in detect::doc_type::VETOED_KEYS {
                self.detectors.key_rules(k, &mut canon);
            }
            for r in &mut canon {
                *r |= detect::NEG;
            }
        } else {
            self.detectors
                .key_rules(detect::doc_type::canonical_key(kind), &mut canon);
        }
        canon.sort_unstable();
        canon.dedup();
        // The type field's word wins over what the number field's own name says of the
        // same rule (a negative key for it).
        let mut rules: Vec<u32> = own
            .rules
            .iter()
            .copied()
            .filter(|r| !canon.iter().any(|c| c & !detect::NEG == r & !detect::NEG))
            .collect();
        rules.extend(canon);
        let listened = listening(&rules);
        Arc::new(KeyInfo {
            raw: own.raw.clone(),
            name: own.name.clone(),
            rules,
            listened,
            doc: own.doc,
            doc_owner: own.doc_owner,
            derived: Some(kind),
            generic: own.generic,
            vetoes: own.vetoes.clone(),
        })
    }

    /// Whether some rule (not only a negative one) listens to the field name `key`: the
    /// memo is read but not written, since the caller asks of text that may be data (a
    /// document table's cells, to find its heading rows).
    pub(crate) fn listens_to(&self, key: &str) -> bool {
        if let Some(k) = self
            .key_memo
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key.as_bytes())
        {
            return k.listened;
        }
        let mut rules = Vec::new();
        self.detectors.key_rules(key.as_bytes(), &mut rules);
        listening(&rules)
    }

    /// Buffers for a new stream: a finished stream's, or new ones.
    pub(crate) fn take_buffers(&self) -> crate::stream::Buffers {
        // A poisoned lock only means a thread panicked while holding it: the pool is still a
        // list of valid (empty) buffers.
        self.pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    /// Takes a finished stream's buffers back (cleared), up to `POOL_MAX` sets.
    pub(crate) fn give_buffers(&self, b: crate::stream::Buffers) {
        let mut pool = self
            .pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pool.len() < POOL_MAX {
            pool.push(b);
        }
    }

    /// How many buffer sets the pool holds, and the largest buffer in any of them (tests).
    #[cfg(test)]
    pub(crate) fn pooled(&self) -> (usize, usize) {
        let pool = self
            .pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let largest = pool.iter().map(|b| b.largest_bytes()).max().unwrap_or(0);
        (pool.len(), largest)
    }

    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The built-in packs with the default grade scheme.
    ///
    /// # Errors
    /// Only if the embedded packs are broken (a test guards against that).
    pub fn builtin() -> Result<Engine, RuleError> {
        Engine::builder().builtin().build()
    }

    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| &*r.id == id)
    }

    /// Distinct classes, in rule order.
    pub fn classes(&self) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        for r in &self.rules {
            if !out.contains(&r.class) {
                out.push(r.class.clone());
            }
        }
        out
    }

    pub fn grades(&self) -> &GradeScheme {
        &self.scheme
    }

    /// Short hash of every pack's file name and text, in load order: the same for the same
    /// packs wherever their directory is.
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// A 32-byte key for `purpose`, derived from the key of tokens and fingerprints: a
    /// caller that must seal something only it can open again (the proxy's `ETag`, which
    /// carries the origin's tag) gets a key of its own without the token key leaving the
    /// engine. Each purpose gets an unrelated key, so none can forge another's output.
    pub fn subkey(&self, purpose: &str) -> [u8; 32] {
        crate::transform::keyed_digest(&self.token_key, "subkey", purpose, "")
    }

    /// Warnings from compilation (missing examples, unanchored patterns…).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    pub(crate) fn defs(&self) -> &[LocatedRule] {
        &self.defs
    }

    /// Starts a streaming scan.
    pub fn stream(self: &Arc<Self>, opts: ScanOptions) -> StreamScanner {
        StreamScanner::new(self.clone(), opts, 0)
    }

    /// Scans a whole body at once.
    pub fn scan_bytes(self: &Arc<Self>, body: &[u8], opts: ScanOptions) -> ScanResult {
        self.scan_at_depth(body, opts, 0)
    }

    pub(crate) fn scan_at_depth(
        self: &Arc<Self>,
        body: &[u8],
        opts: ScanOptions,
        depth: u8,
    ) -> ScanResult {
        self.scan_value_at_depth(body, opts, depth, None)
    }

    /// A scan that also returns its edits (raw start, raw end, the bytes written instead),
    /// for a value that is a document of its own and writes the edits back itself.
    pub(crate) fn scan_edits_at_depth(
        self: &Arc<Self>,
        body: &[u8],
        opts: ScanOptions,
        depth: u8,
    ) -> (Vec<crate::stream::Finding>, crate::stream::EditLog) {
        let mut s = StreamScanner::new(self.clone(), opts, depth).log_edits();
        let mut out = Vec::new();
        let mut findings = Vec::new();
        s.push(body, &mut out, &mut findings);
        s.finish(&mut out, &mut findings);
        (findings, s.take_edits())
    }

    /// [`Self::scan_at_depth`] of a body decoded from the value of field `key`: a plain-text
    /// body is scanned as that field's value.
    pub(crate) fn scan_value_at_depth(
        self: &Arc<Self>,
        body: &[u8],
        opts: ScanOptions,
        depth: u8,
        key: Option<Arc<str>>,
    ) -> ScanResult {
        let redact = opts.redact;
        let mut s = StreamScanner::new(self.clone(), opts, depth).with_outer_key(key);
        let mut res = ScanResult::default();
        if redact {
            // The output is about the body's size: one allocation instead of a doubling series
            // (each a copy of everything so far).
            res.output.reserve(body.len());
        }
        s.push(body, &mut res.output, &mut res.findings);
        s.finish(&mut res.output, &mut res.findings);
        res
    }

    /// Convenience: resolves the format from a content type and the body's first bytes.
    pub fn format_for(content_type: Option<&str>, body: &[u8]) -> Format {
        Format::resolve(content_type, body)
    }
}

#[allow(dead_code)]
fn _assert_detect_linked(_: &detect::Hit) {}

/// The most labels the label automaton is built as a DFA for (see `compile`).
const LABEL_DFA_MAX: usize = 1_000;

/// An error of the rule set as a whole (no one file or rule to name): what failed to build.
fn set_error(key: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: PathBuf::from("<rule set>"),
        line: None,
        rule: None,
        key: Some(key.into()),
        message,
        warning: false,
    }
}

/// Registers an automaton pattern with its gate: its rarest byte sets `bit` in the trigger
/// table and its rarest byte pair goes into `gate` (every case variant of both for a
/// case-insensitive pattern; a one-byte pattern opens the gate to every text).
fn gate_pattern(p: &[u8], ci: bool, bit: u8, trigger: &mut [u8; 256], gate: &mut detect::PairGate) {
    if let Some(b) = detect::anchor_byte(p, ci) {
        trigger[b as usize] |= bit;
        if ci {
            trigger[b.to_ascii_uppercase() as usize] |= bit;
        }
    }
    match detect::anchor_pair(p) {
        None => gate.all = true,
        Some((a, b)) => {
            let variants = |x: u8| {
                if ci {
                    [x.to_ascii_lowercase(), x.to_ascii_uppercase()]
                } else {
                    [x, x]
                }
            };
            for x in variants(a) {
                for y in variants(b) {
                    gate.insert(x, y);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subkey depends on the token key and on its purpose, and on nothing else: replicas
    /// sharing `rules.token_key_file` agree on it.
    #[test]
    fn subkeys_are_per_key_and_purpose() {
        let keyed = |k: &[u8]| {
            Engine::builder()
                .builtin()
                .token_key(k.to_vec())
                .build()
                .expect("built-in rules")
        };
        let (a, b) = (keyed(b"one key"), keyed(b"one key"));
        assert_eq!(a.subkey("etag"), b.subkey("etag"));
        assert_ne!(a.subkey("etag"), a.subkey("other"));
        assert_ne!(a.subkey("etag"), keyed(b"another key").subkey("etag"));
        assert_ne!(&a.subkey("etag")[..], &a.token_key[..]);
    }

    /// Streams share resolved field names; the memo stops growing at its bound and names
    /// past it still resolve, each the same as a fresh lookup.
    #[test]
    fn field_name_memo_is_shared_and_bounded() {
        let engine = Engine::builtin().expect("built-in rules");
        let fresh = |k: &[u8]| {
            let mut rules = Vec::new();
            engine.detectors.key_rules(k, &mut rules);
            rules
        };
        let a = engine.key_info(b"sfzh");
        let b = engine.key_info(b"sfzh");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a.name, "sfzh");
        assert!(!a.rules.is_empty());
        assert_eq!(a.rules, fresh(b"sfzh"));
        for i in 0..KEY_MEMO_MAX + 10 {
            engine.key_info(format!("field{i}").as_bytes());
        }
        let len = engine.key_memo.read().map(|m| m.len()).unwrap_or(0);
        assert_eq!(len, KEY_MEMO_MAX);
        for k in [&b"xm"[..], b"lxdh", b"home_address", "身份证号".as_bytes()] {
            let info = engine.key_info(k);
            assert_eq!(info.rules, fresh(k));
            assert_eq!(&*info.raw, k);
        }
    }

    /// Streams reuse finished streams' buffers: results do not depend on what the buffers
    /// held before (bodies of other formats, a long value, streams still open), and the pool
    /// never holds more than its bound.
    #[test]
    fn stream_buffers_are_pooled_and_bounded() {
        let engine = Arc::new(Engine::builtin().expect("built-in rules"));
        let opts = |format| ScanOptions {
            format,
            redact: true,
            ..ScanOptions::default()
        };
        let json = br#"{"xm":"\u5f20\u4e09","sfzh":"11010519491231002X","note":"tel 13800138000"}"#;
        let xml =
            "<r><xm>李四</xm><sjhm>139 1234 5678</sjhm><dz>北京市海淀区中关村大街27号</dz></r>";
        let long = format!(
            "{{\"dz\":\"{}\",\"sjhm\":\"13800138000\"}}",
            "广".repeat(9000)
        );
        let first = engine.scan_bytes(json, opts(Format::Json));
        assert!(!first.findings.is_empty());
        assert!(engine.pooled().0 >= 1);
        for _ in 0..3 {
            engine.scan_bytes(xml.as_bytes(), opts(Format::Xml));
            engine.scan_bytes(long.as_bytes(), opts(Format::Json));
            let again = engine.scan_bytes(json, opts(Format::Json));
            assert_eq!(again.output, first.output);
            assert_eq!(again.findings.len(), first.findings.len());
            // The long value's text buffer was not kept.
            assert!(engine.pooled().1 <= crate::stream::BUFFER_KEEP_BYTES);
            for (a, b) in again.findings.iter().zip(&first.findings) {
                assert_eq!(
                    (a.start, a.end, &a.rule_id, &a.masked),
                    (b.start, b.end, &b.rule_id, &b.masked)
                );
            }
        }
        // More streams open at once than the pool keeps: all come back, the pool stays bounded.
        let open: Vec<_> = (0..POOL_MAX + 8)
            .map(|_| engine.stream(opts(Format::Json)))
            .collect();
        assert_eq!(engine.pooled().0, 0);
        drop(open);
        assert_eq!(engine.pooled().0, POOL_MAX);
    }
}
