//! What the security harness relies on in every world, whatever the seed, by construction: in every tenant
//! with at least two case files, an ended and an active representation whose representatives hold portal
//! accounts; in every tenant, agents and a tenant administrator.

use std::collections::{BTreeMap, BTreeSet};

use cloison_generators::realism;
use cloison_generators::{GenConfig, PersonId, RepresentationKind, Role, TenantId, World};

/// What one tenant of a world offers the harness.
#[derive(Debug, Default)]
struct TenantOffer {
    cases: usize,
    ended_with_account: usize,
    active_with_account: usize,
    agents: usize,
    admins: usize,
    /// (ended, by a parent) of the representations whose representative has an account.
    variants: BTreeSet<(bool, bool)>,
}

/// The offers of every tenant of `w`, after checking that its representations are coherent.
fn offers(w: &World) -> BTreeMap<TenantId, TenantOffer> {
    let reference = w.config().reference_date;
    let mut by_tenant: BTreeMap<TenantId, TenantOffer> = w
        .tenants
        .iter()
        .map(|t| (t.id, TenantOffer::default()))
        .collect();
    for a in &w.agents {
        let t = by_tenant.entry(a.tenant_id).or_default();
        match a.role {
            Role::Agent => t.agents += 1,
            Role::TenantAdmin => t.admins += 1,
            _ => {}
        }
    }
    for c in &w.cases {
        let t = by_tenant.entry(c.case_file.tenant_id).or_default();
        t.cases += 1;
        let persons: Vec<PersonId> = c.persons.iter().map(|p| p.id).collect();
        for r in &c.representations {
            assert!(
                persons.contains(&r.person_id) && persons.contains(&r.representative_id),
                "case {}: representation of or by a person outside the case file",
                c.case_file.id
            );
            assert!(
                r.start_date <= reference && r.end_date.is_none_or(|e| r.start_date < e),
                "case {}: representation {}..{:?} incoherent (reference {reference})",
                c.case_file.id,
                r.start_date,
                r.end_date
            );
            let representative = c
                .persons
                .iter()
                .find(|p| p.id == r.representative_id)
                .expect("representative is a person of the case file");
            assert!(
                representative.birth_date.age_on(r.start_date) >= 18,
                "case {}: representative under 18 when the representation started",
                c.case_file.id
            );
            let has_account = c
                .accounts
                .iter()
                .any(|a| a.person_id == Some(r.representative_id));
            if !has_account {
                continue;
            }
            let ended = r.end_date.is_some_and(|e| e <= reference);
            if ended {
                t.ended_with_account += 1;
            } else {
                t.active_with_account += 1;
            }
            t.variants
                .insert((ended, r.kind == RepresentationKind::Parent));
        }
    }
    by_tenant
}

/// Assert the guarantees over the world of `config`, and that it still passes the realism checks; return
/// the variants seen (ended or active, by a parent or under a protection measure).
fn assert_guarantees(config: &GenConfig) -> BTreeSet<(bool, bool)> {
    let mut variants = BTreeSet::new();
    let w = World::generate(config).expect("valid config");
    let report = realism::verify_world(&w);
    assert!(
        report.passed(),
        "seed {}: {}",
        config.seed,
        report.summary()
    );
    for (tenant, o) in offers(&w) {
        let at = format!(
            "seed {}, {} tenants x {} cases, tenant {tenant}: {o:?}",
            config.seed,
            w.tenants.len(),
            config.cases
        );
        assert!(o.agents >= 2 && o.admins >= 1, "staff missing ({at})");
        if o.cases >= 1 {
            assert!(
                o.active_with_account >= 1,
                "no active representation whose representative has an account ({at})"
            );
        }
        if o.cases >= 2 {
            assert!(
                o.ended_with_account >= 1,
                "no ended representation whose representative has an account ({at})"
            );
        }
        variants.extend(o.variants);
    }
    variants
}

#[test]
fn every_tenant_has_ended_and_active_representations_with_accounts_at_the_default_size() {
    let mut variants = BTreeSet::new();
    for seed in 0..200 {
        variants.extend(assert_guarantees(&GenConfig::new(seed, 2, 16)));
    }
    // Children (parents) and adults (protection measures) both occur, active and ended.
    assert_eq!(variants.len(), 4, "{variants:?}");
}

#[test]
fn every_tenant_has_ended_and_active_representations_with_accounts_at_larger_sizes() {
    for seed in [0, 1, 2, 3, 7, 42, 2025, u64::MAX] {
        assert_guarantees(&GenConfig::new(seed, 5, 40));
    }
    // Two case files per tenant (the smallest size with the guarantee), and a tenant with one case file.
    assert_guarantees(&GenConfig::new(11, 101, 202));
    assert_guarantees(&GenConfig::new(12, 3, 5));
}

#[test]
fn every_tenant_has_agents_and_an_administrator_even_without_case_files() {
    for (tenants, cases) in [(1, 0), (3, 1), (101, 101)] {
        let w = World::generate(&GenConfig::new(4, tenants, cases)).expect("valid config");
        for (tenant, o) in offers(&w) {
            assert!(
                o.agents >= 2 && o.admins == 1,
                "tenant {tenant} of {tenants} x {cases}: {o:?}"
            );
        }
    }
}
