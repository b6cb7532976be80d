//! The one verdict path: [`judge`] concludes what a probe proves from its [`Observations`], and
//! [`next_need`] says which observation must be gathered before it can. Each kind of probe has its rules in
//! its own module ([`super::read`], [`super::change`]); the sentences they explain themselves with are here.

use super::observations::{Judgement, Need, Needs, Observations};
use super::{Hit, change, effect, read};
use crate::population::Identity;
use crate::probes::Probe;

/// Judge a probe by what was observed. A need [`next_need`] would still name counts as nothing seen.
pub fn judge(probe: &Probe, seen: &Observations) -> Judgement {
    match Needs::of(probe) {
        Needs::Answer { .. } => read::judge_answer(probe, seen),
        Needs::Existence => read::judge_existence_check(seen),
        Needs::Write => change::judge_write_probe(probe, seen),
        Needs::Assignment { field, named } => change::judge_assignment(probe, seen, field, named),
        Needs::ForeignCreate => change::judge_foreign_create(probe, seen),
        Needs::Effect => effect::judge_effect(probe, seen),
    }
}

/// The next observation `probe` needs before [`judge`] can conclude, given what was gathered: `None` when
/// nothing more is needed.
pub fn next_need(probe: &Probe, seen: &Observations) -> Option<Need> {
    match Needs::of(probe) {
        Needs::Answer { .. } => read::answer_need(probe, seen),
        Needs::Existence => read::existence_need(seen),
        Needs::Write => change::write_need(seen),
        Needs::Assignment { .. } => change::assignment_need(seen),
        // The owner's lists before and after are gathered with the create itself.
        Needs::ForeignCreate => None,
        // The setup, the reads and the call come in a fixed order, all gathered before judging.
        Needs::Effect => None,
    }
}

/// Foreign data in the answer to an allowed request made while seeding the world (a create, a read of
/// what was created): a leak all the same. `None` when it carries no proof.
pub fn judge_seeding(actor: &Identity, proof: &[Hit], status: u16) -> Option<Judgement> {
    if proof.is_empty() {
        return None;
    }
    let who = format!("{} ({})", actor.key, actor.role);
    Some(Judgement::shown(
        super::Verdict::Leak(proof.to_vec()),
        leak_sentence(&who, proof, status),
    ))
}

/// "alice (applicant)", or `anonymous` for a caller the population does not know.
pub(super) fn who(actor: Option<&Identity>, anonymous: &str) -> String {
    actor.map_or_else(
        || anonymous.to_string(),
        |a| format!("{} ({})", a.key, a.role),
    )
}

/// "3 canaries of person 12 of tenant 75 reached alice (applicant) with status 200".
pub fn leak_sentence(who: &str, hits: &[Hit], status: u16) -> String {
    let owners: std::collections::BTreeSet<String> = hits
        .iter()
        .map(|h| {
            format!(
                "person {} of tenant {}",
                h.owner.person.as_deref().unwrap_or("-"),
                h.owner.tenant
            )
        })
        .collect();
    format!(
        "{} canar{} of {} reached {who} with status {status}",
        hits.len(),
        if hits.len() == 1 { "y" } else { "ies" },
        owners.into_iter().collect::<Vec<_>>().join(", ")
    )
}
