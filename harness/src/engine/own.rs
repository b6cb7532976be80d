//! The caller's own context of a generic probe (`{{own.*}}`, see `crate::openapi::reach`): the path of an
//! operation the profile does not describe names the caller's own scope in its parents (its tenant, its
//! own parent record) and the victim's record in its last parameter.

use cloison_suites::{Probe, RecordKind};
use serde_json::{Value, json};

use super::executor::Executor;
use crate::openapi::{OWN, reach};

impl Executor<'_> {
    /// Add `own` to a generic probe's context: the caller's tenant, and the caller's own record of the
    /// kind the path's parents name (the one the planner counted on). Nothing for other probes.
    pub(super) fn add_own_ctx(&self, probe: &Probe, ctx: &mut Value) {
        let Some(endpoint) = self.profile.generic.get(&probe.endpoint) else {
            return;
        };
        let Some(actor) = probe
            .actor
            .as_deref()
            .and_then(|key| self.plan.population.identity(key))
        else {
            return;
        };
        let prefix = format!("{OWN}.");
        let names: Vec<String> = endpoint
            .path
            .placeholders()
            .filter_map(|p| p.strip_prefix(&prefix).map(str::to_string))
            .collect();
        if names.is_empty() {
            return;
        }
        // The deepest parent's kind: a note's context holds its case file too.
        let kinds: Vec<RecordKind> = names
            .iter()
            .filter_map(|name| {
                let root = name.split('.').next()?;
                RecordKind::ALL.into_iter().find(|k| k.name() == root)
            })
            .collect();
        let kind = kinds
            .iter()
            .copied()
            .find(|k| *k != RecordKind::Case)
            .or(kinds.first().copied());
        let mut own = match kind.and_then(|kind| {
            reach::own_record(
                &self.plan.population,
                &self.profile.policy,
                self.pool,
                actor,
                kind,
            )
        }) {
            Some(record) => self.record_ctx(&record.key, &actor.key),
            None => json!({}),
        };
        if let Some(account) = self.plan.account(&actor.key) {
            own["tenant"] = self.tenant_ctx(account);
        }
        ctx[OWN] = own;
    }
}
