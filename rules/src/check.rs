//! `rules check`: compile every rule together, then run each rule's `examples` (it must fire)
//! and `negative_examples` (it must not). This is the rule author's test suite; the built-in
//! packs run through it in the crate's tests.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::Engine;
use crate::format::Format;
use crate::rule::Example;
use crate::stream::ScanOptions;

/// One failed example.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub rule: String,
    /// `true` for a negative example that fired, `false` for an example that did not.
    pub negative: bool,
    pub input: String,
    /// Rules that did fire on the input (helps spot a rule that shadows another).
    pub fired: Vec<String>,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        let what = if self.negative {
            "negative example matched"
        } else {
            "example did not match"
        };
        write!(f, ": rule `{}`: {what}: {:?}", self.rule, self.input)?;
        if !self.fired.is_empty() {
            write!(f, " (fired: {})", self.fired.join(", "))?;
        }
        Ok(())
    }
}

/// Result of checking a rule set.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub rules: usize,
    pub examples: usize,
    pub negative_examples: usize,
    pub failures: Vec<ExampleFailure>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

fn fired(engine: &Arc<Engine>, ex: &Example) -> Vec<String> {
    let input = ex.input().as_bytes();
    let format = match ex.content_type() {
        Some(ct) => Format::resolve(Some(ct), input),
        None => Format::Text,
    };
    let res = engine.scan_bytes(
        input,
        ScanOptions {
            format,
            ..ScanOptions::default()
        },
    );
    let mut ids: Vec<String> = res.findings.iter().map(|f| f.rule_id.to_string()).collect();
    ids.dedup();
    ids
}

/// Runs every example of every rule of `engine`.
pub fn run(engine: &Arc<Engine>) -> CheckReport {
    let mut rep = CheckReport {
        rules: engine.rules().len(),
        ..CheckReport::default()
    };
    for lr in engine.defs() {
        let id = &lr.def.id;
        for (negative, list) in [(false, &lr.def.examples), (true, &lr.def.negative_examples)] {
            for (i, ex) in list.iter().enumerate() {
                if negative {
                    rep.negative_examples += 1;
                } else {
                    rep.examples += 1;
                }
                let ids = fired(engine, ex);
                let hit = ids.iter().any(|i| i == id);
                if hit == negative {
                    rep.failures.push(ExampleFailure {
                        file: lr.file.clone(),
                        line: lr.example_line(negative, i),
                        rule: id.clone(),
                        negative,
                        input: ex.input().to_string(),
                        fired: ids,
                    });
                }
            }
        }
    }
    rep
}
