//! The rule language: YAML packs, one per file, loaded from a directory or embedded in the
//! binary. This module is the file model (serde, unknown keys rejected) plus the loader that
//! attaches file and line to every rule so diagnostics can point at them. Compilation into
//! matchers happens in [`crate::engine`].

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, RuleError};

/// One pack file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    pub pack: String,
    #[serde(default)]
    pub version: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}

/// One rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub class: String,
    pub grade: String,
    #[serde(rename = "match")]
    pub matcher: MatchDef,
    #[serde(default)]
    pub validator: Option<String>,
    #[serde(default)]
    pub context: Option<ContextDef>,
    #[serde(default)]
    pub redact: Option<RedactDef>,
    #[serde(default)]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub negative_examples: Vec<Example>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// What a rule matches: exactly one of the four kinds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchDef {
    #[serde(default)]
    pub detector: Option<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    #[serde(default)]
    pub field: Option<bool>,
    #[serde(default)]
    pub case_insensitive: bool,
}

/// Context: field names and nearby keywords, as a requirement or as confidence.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextDef {
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub window: Option<usize>,
    #[serde(default)]
    pub require: bool,
    #[serde(default)]
    pub negative_keys: Vec<String>,
    /// Field names of another number built as this rule's is (a construction permit's
    /// number: a region code, a date and a serial, as a resident ID's), which its check
    /// character passes by chance: a value under one, held whole, is that number even when
    /// the check vouches for it. Also negative keys. (A plain negative key never vetoes a
    /// checksum-valid value, so a planted `订单号` cannot smuggle an ID out.)
    #[serde(default)]
    pub veto_keys: Vec<String>,
    #[serde(default)]
    pub negative_keywords: Vec<String>,
}

/// The rule's default transform.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactDef {
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub keep_first: Option<usize>,
    #[serde(default)]
    pub keep_last: Option<usize>,
    #[serde(default)]
    pub char: Option<char>,
    #[serde(default)]
    pub keep_from: Option<char>,
    #[serde(default)]
    pub label: Option<String>,
}

/// An example: plain text, or an input with its content type (no other key: a misspelt
/// `content_type` would silently run the example as text).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Example {
    Text(String),
    Full {
        input: String,
        #[serde(default)]
        content_type: Option<String>,
    },
}

impl Example {
    pub fn input(&self) -> &str {
        match self {
            Example::Text(s) => s,
            Example::Full { input, .. } => input,
        }
    }
    pub fn content_type(&self) -> Option<&str> {
        match self {
            Example::Text(_) => None,
            Example::Full { content_type, .. } => content_type.as_deref(),
        }
    }
}

/// A rule with where it came from.
#[derive(Debug, Clone)]
pub struct LocatedRule {
    pub def: RuleDef,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub pack: String,
    pub pack_version: String,
    /// Line of each key written in the rule's block (`grade` → 15), so a diagnostic about
    /// a key points at that key's line rather than at the rule's first line.
    pub key_lines: Vec<(String, usize)>,
    /// Line of each of `examples` and of `negative_examples`, in order, when the text shows
    /// them plainly (see [`item_lines`]); empty otherwise.
    pub example_lines: Vec<usize>,
    pub negative_example_lines: Vec<usize>,
}

impl LocatedRule {
    /// The line of `key` (a dotted path; its last part is looked up) or the rule's line.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        self.key_lines
            .iter()
            .find(|(k, _)| k == leaf)
            .map(|(_, l)| *l)
            .or(self.line)
    }

    /// The line of example `i` (of `negative_examples` when `negative`), so a failing
    /// example is reported where it is written; the list's key line (or the rule's) when
    /// its items could not be told apart in the text.
    pub fn example_line(&self, negative: bool, i: usize) -> Option<usize> {
        let (lines, key) = if negative {
            (&self.negative_example_lines, "negative_examples")
        } else {
            (&self.example_lines, "examples")
        };
        lines.get(i).copied().or_else(|| self.line_of(key))
    }
}

/// The line of each item of the sequence written as the value of the key on `key_line`
/// (1-based), when the text shows exactly `n` of them: a block sequence (`- item` lines, an
/// item going on over lines indented more than its dash) or a flow sequence closed on the
/// key's own line (every item on that line). `None` for anything else (a flow sequence over
/// several lines, an alias), where the caller falls back to the key's line: serde gives no
/// spans for values that parsed, so this reads the text as the other line lookups here do,
/// and the count check keeps a misreading from naming a wrong line.
fn item_lines(lines: &[&str], key_line: usize, n: usize) -> Option<Vec<usize>> {
    let head = lines.get(key_line.checked_sub(1)?)?;
    let rest = head.split_once(':')?.1.trim();
    let comment = |t: &str| t.is_empty() || t.starts_with('#');
    if rest.starts_with('[') {
        return rest.ends_with(']').then(|| vec![key_line; n]);
    }
    if !comment(rest) {
        return None;
    }
    let mut out = Vec::new();
    let mut indent = None;
    for (i, l) in lines.iter().enumerate().skip(key_line) {
        let body = l.trim_start();
        if comment(body) {
            continue;
        }
        let lead = l.len() - body.len();
        let dash = body == "-" || body.starts_with("- ");
        match indent {
            None if dash => indent = Some(lead),
            None => return None,
            Some(c) if lead > c => continue,
            Some(c) if lead == c && dash => {}
            Some(_) => break,
        }
        out.push(i + 1);
    }
    (out.len() == n).then_some(out)
}

/// Keys written in the block of the rule whose `id:` is on `line` (1-based).
fn block_keys(lines: &[&str], line: Option<usize>) -> Vec<(String, usize)> {
    let Some(line) = line else { return Vec::new() };
    let mut out: Vec<(String, usize)> = Vec::new();
    for (i, l) in lines.iter().enumerate().skip(line) {
        let t = l.trim_start();
        if t.starts_with("- id:") || (!l.starts_with(' ') && !t.is_empty()) {
            break;
        }
        let t = t.trim_start_matches("- ");
        if let Some((k, _)) = t.split_once(':') {
            if !k.is_empty()
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !out.iter().any(|(x, _)| x == k)
            {
                out.push((k.to_string(), i + 1));
            }
        }
        // Flow mappings (`match: { detector: x }`) name their keys on the same line.
        if let Some(open) = t.find('{') {
            for part in t[open + 1..].split(',') {
                if let Some((k, _)) = part.split_once(':') {
                    let k = k.trim();
                    if !k.is_empty() && !out.iter().any(|(x, _)| x == k) {
                        out.push((k.to_string(), i + 1));
                    }
                }
            }
        }
    }
    out
}

/// Source text of a pack (a file on disk or an embedded one).
#[derive(Debug, Clone)]
pub struct PackSource {
    pub path: PathBuf,
    pub text: String,
}

/// The built-in packs, embedded at build time so the binary works with no files around it.
pub fn builtin_sources() -> Vec<PackSource> {
    macro_rules! pack {
        ($name:literal) => {
            PackSource {
                path: PathBuf::from(concat!("<builtin>/", $name)),
                text: include_str!(concat!("../packs/", $name)).to_string(),
            }
        };
    }
    vec![
        pack!("cn-identity.yaml"),
        pack!("cn-finance.yaml"),
        pack!("cn-contact.yaml"),
        pack!("cn-person.yaml"),
        pack!("classified.yaml"),
    ]
}

/// Reads every `*.yaml` / `*.yml` file of a directory (not recursive, sorted by name, hidden
/// files and Kubernetes' `..data` bookkeeping entries skipped).
///
/// # Errors
/// The directory or a file cannot be read.
pub fn dir_sources(dir: &Path) -> Result<Vec<PackSource>, RuleError> {
    let diag = |path: &Path, message: String| {
        RuleError::new(vec![Diagnostic {
            file: path.to_path_buf(),
            line: None,
            rule: None,
            key: None,
            message,
            warning: false,
        }])
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| diag(dir, format!("cannot read rule directory: {e}")))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.')
                && (name.ends_with(".yaml") || name.ends_with(".yml"))
                && p.is_file()
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(diag(
            dir,
            "no *.yaml or *.yml rule packs in this directory".into(),
        ));
    }
    let mut out = Vec::new();
    for p in paths {
        let text =
            std::fs::read_to_string(&p).map_err(|e| diag(&p, format!("cannot read: {e}")))?;
        out.push(PackSource { path: p, text });
    }
    Ok(out)
}

/// The line of the second `field` in a mapping, for a `duplicate field `field`` error that
/// serde reports at `line`, where the mapping starts: the key written twice is what a user
/// has to find. `None` for other errors, or when the text does not show it plainly.
pub fn duplicate_key_line(text: &str, line: usize, message: &str) -> Option<usize> {
    let field = message
        .split_once("duplicate field `")?
        .1
        .split_once('`')?
        .0;
    let mut indent = None;
    for (i, l) in text.lines().enumerate().skip(line.saturating_sub(1)) {
        let body = l.trim_start();
        let lead = l.len() - body.len();
        // A list item's first key sits after its `- `.
        let (col, rest) = match body.strip_prefix("- ") {
            Some(b) => (l.len() - b.trim_start().len(), b.trim_start()),
            None => (lead, body),
        };
        let named = [field, &format!("\"{field}\""), &format!("'{field}'")]
            .iter()
            .any(|k| {
                rest.strip_prefix(k)
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            });
        match indent {
            None if named => indent = Some(col),
            Some(c) if named && col == c && lead == c => return Some(i + 1),
            // The mapping ends at a line indented less than its keys (or the next item).
            Some(c) if !body.is_empty() && !body.starts_with('#') && lead < c => return None,
            _ => {}
        }
    }
    None
}

/// Parses pack sources into located rules. Every problem is collected, not just the first.
///
/// # Errors
/// YAML syntax errors, unknown keys, missing fields, duplicate pack names.
pub fn parse_sources(sources: &[PackSource]) -> Result<Vec<LocatedRule>, RuleError> {
    let mut diags = Vec::new();
    let mut out = Vec::new();
    let mut packs_seen: Vec<(String, PathBuf)> = Vec::new();
    for src in sources {
        // A byte-order mark (editors on Windows write one) is no YAML document of its own.
        let text = src.text.strip_prefix('\u{feff}').unwrap_or(&src.text);
        let pack: PackFile = match serde_yaml_ng::from_str(text) {
            Ok(p) => p,
            Err(e) => {
                let mut msg = e.to_string().replace(
                    "data did not match any variant of untagged enum Example",
                    "an example is a string, or a mapping of `input` and `content_type` and no other key",
                );
                let dup = e
                    .location()
                    .and_then(|l| duplicate_key_line(&src.text, l.line(), &msg));
                if let (Some(_), Some(i)) = (dup, msg.find(" at line ")) {
                    // That position is the mapping's, not the repeated key's.
                    msg.truncate(i);
                }
                let line = dup.or_else(|| e.location().map(|l| l.line()));
                let rule = line.and_then(|l| rule_id_before_line(&src.text, l));
                diags.push(Diagnostic {
                    file: src.path.clone(),
                    line,
                    rule,
                    key: None,
                    message: msg,
                    warning: false,
                });
                continue;
            }
        };
        if let Some((_, other)) = packs_seen.iter().find(|(n, _)| *n == pack.pack) {
            diags.push(Diagnostic {
                file: src.path.clone(),
                line: find_line(&src.text, "pack:", &pack.pack),
                rule: None,
                key: Some("pack".into()),
                message: format!(
                    "pack name `{}` is also used by {}",
                    pack.pack,
                    other.display()
                ),
                warning: false,
            });
        }
        packs_seen.push((pack.pack.clone(), src.path.clone()));
        let version = match &pack.version {
            None => "0".to_string(),
            Some(serde_yaml_ng::Value::String(s)) => s.clone(),
            Some(serde_yaml_ng::Value::Number(n)) => n.to_string(),
            Some(_) => {
                diags.push(Diagnostic {
                    file: src.path.clone(),
                    line: None,
                    rule: None,
                    key: Some("version".into()),
                    message: "version must be a number or a string".into(),
                    warning: false,
                });
                "0".into()
            }
        };
        // Lines and `id:` lines indexed once per file: looked up per rule, they made loading
        // quadratic in the size of a pack (a pack of 1,000 rules took about a second).
        let lines: Vec<&str> = src.text.lines().collect();
        let mut id_lines: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, l) in lines.iter().enumerate() {
            if let Some(v) = key_value(l, "id:") {
                id_lines.entry(v).or_insert(i + 1);
            }
        }
        for def in pack.rules {
            let line = id_lines.get(def.id.as_str()).copied();
            let key_lines = block_keys(&lines, line);
            let items = |key: &str, n: usize| {
                key_lines
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|&(_, l)| item_lines(&lines, l, n))
                    .unwrap_or_default()
            };
            let example_lines = items("examples", def.examples.len());
            let negative_example_lines = items("negative_examples", def.negative_examples.len());
            out.push(LocatedRule {
                key_lines,
                example_lines,
                negative_example_lines,
                def,
                file: src.path.clone(),
                line,
                pack: pack.pack.clone(),
                pack_version: version.clone(),
            });
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(RuleError::new(diags))
    }
}

/// The 1-based line on which `key: value` is written (quoted or not). serde gives no spans
/// for successfully parsed values, and a rule's id is unique, so finding it in the text is
/// exact for ids and good enough to point an author at the right rule.
fn find_line(text: &str, key: &str, value: &str) -> Option<usize> {
    text.lines()
        .position(|l| key_value(l, key) == Some(value))
        .map(|i| i + 1)
}

/// The value of `key: value` written on line `l` (a list item or not), unquoted.
fn key_value<'a>(l: &'a str, key: &str) -> Option<&'a str> {
    let t = l.trim_start().trim_start_matches("- ").trim_start();
    t.strip_prefix(key)
        .map(|rest| rest.trim().trim_matches(|c| c == '"' || c == '\''))
}

/// The id of the rule whose `id:` line is the last one at or before `line` (for syntax errors).
fn rule_id_before_line(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix("id:")
                .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
        })
        .last()
}

#[cfg(test)]
mod tests {
    #[test]
    fn duplicate_keys_are_found_where_written_twice() {
        let pack = "pack: t\nrules:\n  - id: a\n    name: A\n    # note\n\n    name: B\n  - id: b\n    name: C\n";
        let m = "rules[0]: duplicate field `name` at line 3 column 5";
        assert_eq!(duplicate_key_line(pack, 3, m), Some(7));
        // Once per mapping: the next item's key is another mapping's.
        let once = "rules:\n  - id: a\n    name: A\n  - id: b\n    name: B\n";
        assert_eq!(duplicate_key_line(once, 2, "duplicate field `name`"), None);
        let cfg = "actions:\n  default: redact\n  classes: {}\n  \"default\": block\n";
        assert_eq!(
            duplicate_key_line(cfg, 2, "duplicate field `default`"),
            Some(4)
        );
        assert_eq!(duplicate_key_line(cfg, 2, "unknown field `x`"), None);
    }

    use super::*;

    /// Each example is found on its own line, whatever shape its list is written in; a
    /// shape not read plainly (a flow list over lines) falls back to the list's key.
    #[test]
    fn examples_are_found_on_their_own_lines() {
        let text = "pack: t\nrules:\n  - id: a\n    name: A\n    class: c\n    grade: general\n    match: { pattern: 'x' }\n    examples:\n      - \"one\"\n      # a comment\n\n      - |\n        two\n        lines\n      - input: '{\"k\": 1}'\n        content_type: application/json\n    negative_examples: [p, q]\n  - id: b\n    name: B\n    class: c\n    grade: general\n    match: { pattern: 'y' }\n    examples:\n    - same-indent\n    - items\n    negative_examples: [\n      p,\n      q]\ndescription: d\n";
        let src = PackSource {
            path: PathBuf::from("t.yaml"),
            text: text.into(),
        };
        let rules = parse_sources(&[src]).expect("pack parses");
        let (a, b) = (&rules[0], &rules[1]);
        assert_eq!(a.example_lines, [9, 12, 15]);
        assert_eq!(a.negative_example_lines, [17, 17]);
        assert_eq!(a.example_line(false, 1), Some(12));
        assert_eq!(a.example_line(true, 1), Some(17));
        assert_eq!(b.example_lines, [24, 25]);
        assert_eq!(b.negative_example_lines, Vec::<usize>::new());
        assert_eq!(b.example_line(true, 0), Some(26), "the list's key line");
    }

    /// Rule lines and key lines come from one index of the file: the same answers as
    /// searching the text for each rule, with quoted ids, list items and a repeated id.
    #[test]
    fn rule_and_key_lines_match_a_search_of_the_text() {
        let mut text = String::from("pack: t\nversion: 1\nrules:\n");
        for i in 0..200 {
            let id = if i % 3 == 0 {
                format!("\"t.r{i}\"")
            } else {
                format!("t.r{i}")
            };
            text.push_str(&format!(
                "  - id: {id}\n    name: r{i}\n    class: c\n    grade: general\n    match: {{ keywords: [k{i}] }}\n"
            ));
        }
        let src = PackSource {
            path: PathBuf::from("t.yaml"),
            text: text.clone(),
        };
        let rules = parse_sources(&[src]).expect("pack parses");
        assert_eq!(rules.len(), 200);
        for (i, r) in rules.iter().enumerate() {
            let want = find_line(&text, "id:", &format!("t.r{i}"));
            assert_eq!(r.line, want, "rule {i}");
            assert_eq!(r.line, Some(4 + 5 * i));
            let keys: Vec<&str> = r.key_lines.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                keys,
                ["name", "class", "grade", "match", "keywords"],
                "rule {i}"
            );
            assert_eq!(r.key_lines[0].1, 5 + 5 * i);
        }
    }
}
