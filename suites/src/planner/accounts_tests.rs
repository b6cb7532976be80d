//! The families that change accounts: identities set aside, one per probe, victims apart from attackers,
//! reads the old role may not make, no wider role never tried, the same seed the same plan.

use std::collections::BTreeSet;

use super::tests::{config, policy, population, surface};
use super::*;
use crate::probes::RoleValue;
use crate::surface::RoleRoute;

fn accounts(planned: &Planned) -> (Vec<&Probe>, Vec<&Probe>) {
    planned
        .accounts
        .iter()
        .partition(|p| p.family == Family::PrivilegeEscalation)
}

#[test]
fn every_probe_has_its_own_identities_and_victims_are_never_attackers() {
    let (population, policy) = (population(), policy());
    let planned = plan(&population, &policy, &surface(), config());
    let (escalations, takeovers) = accounts(&planned);
    assert!(!escalations.is_empty() && !takeovers.is_empty());
    let mut attackers = BTreeSet::new();
    let mut victims = BTreeSet::new();
    for probe in &planned.accounts {
        let actor = probe.actor.clone().expect("an actor");
        assert!(attackers.insert(actor), "{} reuses its actor", probe.id());
        if let Variant::Takeover { victim } = &probe.variant {
            assert!(victims.insert(victim.clone()), "{}", probe.id());
        }
    }
    assert!(attackers.is_disjoint(&victims), "{attackers:?} {victims:?}");
    // None of them is among the other probes' lists: they run apart, after the stateful suite.
    assert!(
        planned
            .probes
            .iter()
            .chain(&planned.mutating)
            .chain(&planned.last)
            .all(|p| !p.family.changes_accounts())
    );
}

#[test]
fn an_escalation_reads_what_the_old_role_may_not_and_never_uses_a_role_that_sees_its_tenant() {
    let (population, policy) = (population(), policy());
    let planned = plan(&population, &policy, &surface(), config());
    let (escalations, _) = accounts(&planned);
    for probe in escalations {
        let actor = population
            .identity(probe.actor.as_deref().expect("actor"))
            .expect("known");
        let record = population
            .record(probe.record.as_deref().expect("record"))
            .expect("known");
        assert_ne!(
            actor.role,
            "agent",
            "an agent sees its tenant: {}",
            probe.id()
        );
        assert_eq!(actor.tenant, record.tenant);
        assert!(!policy.may_see(&population, actor, record).is_allowed());
        let Variant::Escalate { field, value, .. } = &probe.variant else {
            panic!("{}", probe.id());
        };
        // The wider role is the policy's (agent sees its tenant; no platform name given for it).
        match field.as_str() {
            "role" => assert_eq!(*value, RoleValue::Role("agent".into())),
            "roles" | "groups" | "permissions" => {
                assert_eq!(*value, RoleValue::Roles("agent".into()))
            }
            _ => assert_eq!(*value, RoleValue::Flag),
        }
    }
}

#[test]
fn without_a_role_that_sees_more_only_flags_are_sent_and_the_rest_is_left_out_with_the_reason() {
    let population = population();
    let policy = AccessPolicy::new()
        .with_role("applicant", [crate::policy::Scope::Own])
        .with_role(
            "representative",
            [crate::policy::Scope::Own, crate::policy::Scope::Represented],
        )
        .with_role("agent", [crate::policy::Scope::Assigned]);
    let mut surface = surface();
    surface.accounts.role_routes = vec![RoleRoute::OwnUpdate];
    let planned = plan(&population, &policy, &surface, config());
    let (escalations, _) = accounts(&planned);
    assert!(!escalations.is_empty());
    assert!(escalations.iter().all(|p| matches!(
        &p.variant,
        Variant::Escalate {
            value: RoleValue::Flag,
            ..
        }
    )));
    assert!(
        planned
            .unplanned
            .iter()
            .any(|u| u.reason == UnplannedReason::NoWiderRole)
    );
}

#[test]
fn without_account_calls_both_families_are_skipped_with_their_needs() {
    let (population, policy) = (population(), policy());
    let mut surface = surface();
    surface.accounts = Default::default();
    let planned = plan(&population, &policy, &surface, config());
    assert!(planned.accounts.is_empty());
    for family in [Family::PrivilegeEscalation, Family::AccountTakeover] {
        let coverage = planned
            .coverage
            .iter()
            .find(|c| c.family == family)
            .expect("in the coverage");
        assert!(
            coverage
                .skipped
                .as_deref()
                .is_some_and(|s| s.starts_with("not applicable")),
            "{coverage:?}"
        );
    }
}

#[test]
fn the_same_seed_plans_the_same_account_probes() {
    let (population, policy) = (population(), policy());
    let a = plan(&population, &policy, &surface(), config());
    let b = plan(&population, &policy, &surface(), config());
    assert_eq!(a.accounts, b.accounts);
}

#[test]
fn accounts_that_existed_before_the_run_are_never_changed() {
    let (population, policy) = (population(), policy());
    let mut surface = surface();
    surface.accounts.own_accounts = false;
    let planned = plan(&population, &policy, &surface, config());
    assert!(planned.accounts.is_empty());
    for family in [Family::PrivilegeEscalation, Family::AccountTakeover] {
        let coverage = planned
            .coverage
            .iter()
            .find(|c| c.family == family)
            .expect("in the coverage");
        assert!(
            coverage
                .skipped
                .as_deref()
                .is_some_and(|s| s.contains("existed before the run")),
            "{coverage:?}"
        );
    }
}
