//! Endpoints that narrow a role (`narrow` in a profile): no probe expects the role to read through them
//! what the policy lets it see elsewhere, and the refusals the policy expects there are still planned.

use super::tests::{config, policy, population, surface};
use super::*;
use crate::family::Family;
use crate::policy::Scope;
use crate::population::RecordKind;
use crate::surface::Creator;

/// Probes and controls of a family on an endpoint as a role.
fn count(planned: &Planned, endpoint: &str, role: &str, family: Family) -> usize {
    planned
        .probes
        .iter()
        .chain(&planned.controls)
        .filter(|p| p.endpoint == endpoint && p.cell.role == role && p.family == family)
        .count()
}

#[test]
fn an_endpoint_that_narrows_a_role_plans_no_probe_that_expects_it_to_read_there() {
    let population = population();
    // Case files created by agents: their controls are the agents' reads, unless the endpoint refuses them.
    let mut surface = surface();
    surface.creators.insert(RecordKind::Case, Creator::Agent);
    let plain = plan(&population, &policy(), &surface, config());
    let narrowed_policy = policy().with_narrowed("case.read", "agent", [Scope::Nothing]);
    let narrowed = plan(&population, &narrowed_policy, &surface, config());
    // (plan, endpoint, role, family, planned at all)
    let table = [
        (
            "plain",
            &plain,
            "case.read",
            "agent",
            Family::AllowedRead,
            true,
        ),
        ("plain", &plain, "case.read", "agent", Family::Control, true),
        (
            "narrowed",
            &narrowed,
            "case.read",
            "agent",
            Family::AllowedRead,
            false,
        ),
        (
            "narrowed",
            &narrowed,
            "case.read",
            "agent",
            Family::Control,
            false,
        ),
        // Another tenant's case files: refused by the policy, still expected refused there.
        (
            "narrowed",
            &narrowed,
            "case.read",
            "agent",
            Family::DirectRead,
            true,
        ),
        // Other endpoints and other roles are not narrowed.
        (
            "narrowed",
            &narrowed,
            "document.download",
            "agent",
            Family::AllowedRead,
            true,
        ),
        (
            "narrowed",
            &narrowed,
            "case.read",
            "applicant",
            Family::AllowedRead,
            true,
        ),
        // The case files' controls fall back on their stewards.
        (
            "narrowed",
            &narrowed,
            "case.read",
            "applicant",
            Family::Control,
            true,
        ),
    ];
    for (name, planned, endpoint, role, family, expected) in table {
        assert_eq!(
            count(planned, endpoint, role, family) > 0,
            expected,
            "{name}: {family} on {endpoint} as {role}"
        );
    }
    let why = Unplanned {
        family: Family::AllowedRead,
        endpoint: "case.read".into(),
        role: "agent".into(),
        reason: UnplannedReason::NarrowedByEndpoint,
    };
    assert!(
        narrowed.unplanned.contains(&why),
        "{:?}",
        narrowed.unplanned
    );
    assert!(!plain.unplanned.contains(&why));
    // Shrinking a cell never draws a candidate the endpoint refuses by its narrowing.
    let allowed = plain
        .probes
        .iter()
        .find(|p| {
            p.endpoint == "case.read" && p.cell.role == "agent" && p.family == Family::AllowedRead
        })
        .expect("planned without narrowing");
    assert!(!cell_candidates(&population, &policy(), allowed, 50).is_empty());
    assert!(cell_candidates(&population, &narrowed_policy, allowed, 50).is_empty());
}
