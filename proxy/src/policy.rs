//! Per-class actions: the bridge between configuration and the engine.
//!
//! The config says, per class or per grade, whether a finding is allowed, reported, redacted or
//! blocks the whole message. This module resolves that once per interface into a table keyed by
//! rule id, and hands the engine a [`Decide`] implementation that answers "redact or report"
//! for each rule. Blocking is not the engine's business: the body pipeline looks at the
//! findings and decides to refuse the message. The consumer- and grade-aware policy layer that
//! comes later replaces [`Actions`], not the pipeline.

use std::collections::HashMap;
use std::sync::Arc;

use sluice_rules::{
    Decide, Disposition, Engine, Finding, GradeScheme, MaskSpec, RuleInfo, Transform,
};

use crate::config::{Action, ActionsConfig, RulesConfig};

/// The action for every rule of the engine, for one interface.
#[derive(Debug, Default)]
pub struct Actions {
    by_rule: HashMap<Arc<str>, Action>,
    /// The same by rule index (`RuleInfo::index`, `Finding::rule_index`), with the rule's
    /// id: the lookup of every finding, twice (engine and pipeline), without hashing the id.
    /// An entry counts only when its id is the rule's (a reloaded engine numbers its rules
    /// anew); otherwise `by_rule` answers.
    by_index: Vec<(Arc<str>, Action)>,
    /// The fallback for a rule the table does not know (a reloaded engine with new rules).
    default: Action,
    any_block: bool,
    any_redact: bool,
    any_inspect: bool,
}

impl Actions {
    /// Resolves the actions of every rule: interface class → interface grade → global class →
    /// global grade → interface default → global default → redact.
    pub fn resolve(
        engine: &Engine,
        global: &ActionsConfig,
        iface: Option<&ActionsConfig>,
    ) -> Actions {
        Self::resolve_for(engine, global, iface, None, None)
    }

    /// [`Actions::resolve`] with two policy layers on top: a consumer's own class actions
    /// (they win over everything else), and `redact_above`, the rank of an interface's
    /// declared grade under `over_scope: redact`: rules graded above it that would be allowed
    /// or reported are redacted instead.
    pub fn resolve_for(
        engine: &Engine,
        global: &ActionsConfig,
        iface: Option<&ActionsConfig>,
        consumer: Option<&std::collections::BTreeMap<String, Action>>,
        redact_above: Option<u8>,
    ) -> Actions {
        let default = iface
            .and_then(|a| a.default)
            .or(global.default)
            .unwrap_or(Action::Redact);
        let mut by_rule = HashMap::new();
        let mut by_index = Vec::new();
        for rule in engine.rules() {
            let pick = |a: &ActionsConfig| {
                a.classes
                    .get(&*rule.class)
                    .copied()
                    .or_else(|| a.grades.get(&*rule.grade.name).copied())
            };
            let mut action = consumer
                .and_then(|c| c.get(&*rule.class).copied())
                .or_else(|| iface.and_then(pick))
                .or_else(|| pick(global))
                .unwrap_or(default);
            if redact_above.is_some_and(|r| rule.grade.rank < r)
                && matches!(action, Action::Allow | Action::Report)
            {
                action = Action::Redact;
            }
            by_rule.insert(rule.id.clone(), action);
            if by_index.len() <= rule.index {
                by_index.resize(rule.index + 1, (Arc::from(""), default));
            }
            by_index[rule.index] = (rule.id.clone(), action);
        }
        let any = |x: Action| by_rule.values().any(|a| *a == x) || default == x;
        Actions {
            any_block: any(Action::Block),
            any_redact: any(Action::Redact),
            any_inspect: by_rule.values().any(|a| *a != Action::Allow) || default != Action::Allow,
            by_rule,
            by_index,
            default,
        }
    }

    /// The action for the rule with this index and id.
    fn for_indexed(&self, index: usize, id: &Arc<str>) -> Action {
        match self.by_index.get(index) {
            Some((known, action)) if Arc::ptr_eq(known, id) || **known == **id => *action,
            _ => self.for_rule(id),
        }
    }

    /// The action for a rule.
    pub fn for_rule(&self, rule_id: &str) -> Action {
        self.by_rule.get(rule_id).copied().unwrap_or(self.default)
    }

    /// Whether some rule blocks (so messages must be held until the scan is done).
    pub fn any_block(&self) -> bool {
        self.any_block
    }

    /// Whether some rule redacts (so the scanner must produce output).
    pub fn any_redact(&self) -> bool {
        self.any_redact
    }

    /// Whether anything needs scanning at all (everything `allow` → skip the engine).
    pub fn any_inspect(&self) -> bool {
        self.any_inspect
    }

    /// The action a finding leads to.
    pub fn for_finding(&self, f: &Finding) -> Action {
        self.for_indexed(f.rule_index, &f.rule_id)
    }
}

/// The engine-facing side of [`Actions`].
pub struct Decider(pub Arc<Actions>);

impl Decide for Decider {
    fn decide(&self, rule: &RuleInfo) -> Disposition {
        match self.0.for_indexed(rule.index, &rule.id) {
            // A rule's `style: none` is its default for scans that only report; where the
            // policy redacts, the value is masked whole (the policy's `report` is how a class
            // passes recorded). Leaving it would send it in clear, counted as redacted.
            Action::Redact => match &rule.default_transform {
                Transform::Keep => Disposition::Redact(Transform::Mask(MaskSpec::default())),
                t => Disposition::Redact(t.clone()),
            },
            Action::Allow | Action::Report | Action::Block => Disposition::Report,
        }
    }
}

/// Builds the engine the config asks for, with the key of `rules.token_key_file`.
///
/// # Errors
/// The engine's rule-pack diagnostics, a bad grade list, an unreadable or short key file.
pub fn build_engine(cfg: &RulesConfig) -> Result<Arc<Engine>, String> {
    let key = match &cfg.token_key_file {
        Some(f) => Some(
            crate::audit::read_secret_key(f, "a token key")
                .map_err(|e| format!("key `rules.token_key_file`: {e}"))?,
        ),
        None => None,
    };
    build_engine_with(cfg, key.as_deref())
}

/// Builds the engine with `key` for tokens and fingerprints, or the process's own key.
///
/// # Errors
/// The engine's rule-pack diagnostics, or a bad grade list.
pub fn build_engine_with(cfg: &RulesConfig, key: Option<&[u8]>) -> Result<Arc<Engine>, String> {
    if cfg.dir.is_none() && cfg.grades.is_none() && cfg.builtin && key.is_none() {
        return Engine::builtin().map(Arc::new).map_err(|e| e.to_string());
    }
    let engine = Arc::new(build_unchecked(cfg, key)?);
    // The set `sluice rules check` would refuse is refused here too (at start, reload and
    // `config check`): a rule that misses its own examples is not the rule its author meant.
    let rep = sluice_rules::check::run(&engine);
    if !rep.ok() {
        let list: Vec<String> = rep.failures.iter().map(|f| f.to_string()).collect();
        return Err(format!(
            "{} example(s) of the rule set fail (`sluice rules check` shows them): {}",
            list.len(),
            list.join("; ")
        ));
    }
    Ok(engine)
}

fn build_unchecked(cfg: &RulesConfig, key: Option<&[u8]>) -> Result<Engine, String> {
    let mut b = Engine::builder();
    if let Some(k) = key {
        b = b.token_key(k);
    }
    if let Some(g) = &cfg.grades {
        b = b.grades(GradeScheme::new(g.iter())?);
    }
    if cfg.builtin {
        b = b.builtin();
    }
    if let Some(d) = &cfg.dir {
        b = b.dir(d);
    }
    b.build().map_err(|e| e.to_string())
}

/// The grade names in force.
pub fn grade_names(cfg: &RulesConfig) -> Vec<String> {
    match &cfg.grades {
        Some(g) => g.clone(),
        None => GradeScheme::default().names().map(str::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule set whose rules miss their own examples does not load (as `rules check`
    /// refuses it), at start, reload or `config check`.
    #[test]
    fn a_rule_set_failing_its_examples_is_refused() {
        let dir = std::env::temp_dir().join(format!("sluice-policy-ex-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("t.yaml"),
            "pack: t\nversion: 1\nrules:\n  - id: t.code\n    name: Code\n    class: secret_code\n    grade: core\n    match:\n      pattern: 'SC-[0-9]{8}'\n    examples: ['SC-1234']\n    negative_examples: ['SC-12345678']\n",
        )
        .unwrap();
        let cfg = RulesConfig {
            dir: Some(dir.clone()),
            ..RulesConfig::default()
        };
        let err = build_engine(&cfg).unwrap_err();
        assert!(
            err.contains("example(s) of the rule set fail") && err.contains("t.code"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The by-index table answers for the engine it was built from, for a reloaded engine
    /// (same ids, other `Arc`s) and, through the id table, for a rule whose index names
    /// another rule in it (an engine whose rules are numbered otherwise).
    #[test]
    fn rule_index_lookup_agrees_with_the_id_table() {
        let engine = Engine::builtin().expect("built-in rules");
        let first = engine.rules()[0].clone();
        let mut cfg = ActionsConfig::default();
        cfg.classes.insert(first.class.to_string(), Action::Block);
        let actions = Actions::resolve(&engine, &cfg, None);
        for rule in engine.rules() {
            let want = if rule.class == first.class {
                Action::Block
            } else {
                Action::Redact
            };
            assert_eq!(
                actions.for_indexed(rule.index, &rule.id),
                want,
                "{}",
                rule.id
            );
            assert_eq!(actions.for_rule(&rule.id), want);
        }
        let reloaded = Engine::builtin().expect("built-in rules");
        for rule in reloaded.rules() {
            assert_eq!(
                actions.for_indexed(rule.index, &rule.id),
                actions.for_rule(&rule.id)
            );
        }
        // The first rule under another rule's index, and past the end of the table.
        let other = engine.rules().len() - 1;
        assert_ne!(engine.rules()[other].class, first.class);
        assert_eq!(actions.for_indexed(other, &first.id), Action::Block);
        assert_eq!(actions.for_indexed(10_000, &first.id), Action::Block);
    }
}
