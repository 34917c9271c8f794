//! Data grades. GB/T 43697 has three (core > important > general) but local rules split
//! "general" further and finance (JR/T 0197) uses five, so the scheme is an ordered list of
//! names given by configuration; a grade is its rank in that list (0 = highest).

use std::sync::Arc;

/// An ordered grade scheme, highest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeScheme {
    names: Vec<Arc<str>>,
}

/// A grade within a scheme. Lower rank = more sensitive; `max` of grades is the one with the
/// lowest rank (就高从严: the highest grade in a flow wins).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grade {
    pub rank: u8,
    pub name: Arc<str>,
}

impl Grade {
    /// Whether `self` is more sensitive than `other`.
    pub fn above(&self, other: &Grade) -> bool {
        self.rank < other.rank
    }
}

impl Default for GradeScheme {
    fn default() -> Self {
        GradeScheme::new(["core", "important", "general"])
            .unwrap_or(GradeScheme { names: Vec::new() })
    }
}

impl GradeScheme {
    /// Builds a scheme from names, highest first.
    ///
    /// # Errors
    /// Empty list, more than 64 grades, an empty name or a duplicate name.
    pub fn new<I, S>(names: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out: Vec<Arc<str>> = Vec::new();
        for n in names {
            let n = n.as_ref().trim();
            if n.is_empty() {
                return Err("grade names must not be empty".into());
            }
            if out.iter().any(|o| &**o == n) {
                return Err(format!("grade `{n}` is listed twice"));
            }
            out.push(Arc::from(n));
        }
        if out.is_empty() || out.len() > 64 {
            return Err("a grade scheme needs between 1 and 64 grades".into());
        }
        Ok(GradeScheme { names: out })
    }

    /// Looks a grade up by name.
    pub fn get(&self, name: &str) -> Option<Grade> {
        self.names.iter().position(|n| &**n == name).map(|i| Grade {
            rank: i as u8,
            name: self.names[i].clone(),
        })
    }

    /// Names, highest first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// The lowest grade of the scheme.
    pub fn lowest(&self) -> Option<Grade> {
        self.names.last().and_then(|n| self.get(n))
    }
}
