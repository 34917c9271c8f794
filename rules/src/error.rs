//! Typed errors of the engine. Loading a rule set either succeeds whole or returns every
//! problem found, each naming file, line, rule id and what is wrong, so a rule author fixes
//! them in one pass and a running proxy can keep its last good set and say why.

use std::fmt;
use std::path::PathBuf;

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File the problem is in (`<builtin>/name.yaml` for embedded packs).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Rule id, when the problem belongs to one rule.
    pub rule: Option<String>,
    /// Key inside the rule (`match.pattern`, `context.window`…), when known.
    pub key: Option<String>,
    /// What is wrong, in words a rule author can act on.
    pub message: String,
    /// Warnings do not reject the set; errors do.
    pub warning: bool,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", if self.warning { "warning" } else { "error" })?;
        if let Some(rule) = &self.rule {
            write!(f, ": rule `{rule}`")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A rule set that could not be built. Holds every error (and the warnings seen on the way).
#[derive(Debug, Clone)]
pub struct RuleError {
    pub diagnostics: Vec<Diagnostic>,
}

impl RuleError {
    pub(crate) fn new(diagnostics: Vec<Diagnostic>) -> Self {
        RuleError { diagnostics }
    }

    /// The diagnostics that are errors (not warnings).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.warning)
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(
            f,
            "rule set rejected ({n} error{})",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleError {}
