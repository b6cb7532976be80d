//! Functions of every method, with or without a record in their path, granted to some roles or to nobody:
//! who calls them, on what, and when.

use std::collections::BTreeSet;

use super::tests::{config, endpoint, policy, population, surface};
use super::*;
use crate::family::Family;
use crate::population::RecordKind;
use crate::probes::Relation;
use crate::surface::{CallerUse, EndpointRef, Op, Param};
use crate::verdict::{Hit, Verdict};

/// Where a planned probe runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// With the probes that change nothing.
    Probes,
    /// With the writes on the pool, before the others.
    Mutating,
    /// After everything else.
    Last,
}

/// A function of the platform, in the surface beside the usual endpoints (the usual `tenant-cases`
/// function removed).
fn with_function(function: EndpointRef) -> Surface {
    let mut s = surface();
    s.endpoints.retain(|e| e.granted.is_none());
    s.endpoints.push(function);
    s
}

fn function(safe: bool, param: Param, granted: &[&str], names_caller: bool) -> EndpointRef {
    EndpointRef {
        granted: Some(granted.iter().map(|g| g.to_string()).collect()),
        caller: if names_caller {
            CallerUse::Values
        } else {
            CallerUse::Nothing
        },
        ..endpoint("functions.f", RecordKind::Case, Op::Call, param, safe)
    }
}

/// The function-level probes of `functions.f`: (caller role, phase, names a record).
fn calls(planned: &Planned) -> BTreeSet<(String, Phase, bool)> {
    let phases = [
        (Phase::Probes, &planned.probes),
        (Phase::Mutating, &planned.mutating),
        (Phase::Last, &planned.last),
    ];
    phases
        .into_iter()
        .flat_map(|(phase, probes)| probes.iter().map(move |p| (phase, p)))
        .filter(|(_, p)| p.family == Family::FunctionLevel && p.endpoint == "functions.f")
        .map(|(phase, p)| (p.cell.role.clone(), phase, p.record.is_some()))
        .collect()
}

fn set(rows: &[(&str, Phase, bool)]) -> BTreeSet<(String, Phase, bool)> {
    rows.iter()
        .map(|(role, phase, record)| (role.to_string(), *phase, *record))
        .collect()
}

/// A function and who calls it: what it is, whether it is `GET`, what its path names, the roles granted,
/// whether it names the caller, the calls (role, phase, names a record).
type Row<'r> = (
    &'r str,
    bool,
    Param,
    &'r [&'r str],
    bool,
    &'r [(&'r str, Phase, bool)],
);

#[test]
fn functions_of_every_method_are_called_by_every_role_not_granted_them() {
    use Phase::*;
    let (population, policy) = (population(), policy());
    // (what the function is, whether it is GET, what its path names, granted, names the caller, calls)
    let rows: [Row; 8] = [
        (
            "GET, no record",
            true,
            Param::None,
            &["agent"],
            false,
            &[
                ("applicant", Probes, false),
                ("representative", Probes, false),
            ],
        ),
        (
            "GET, a record",
            true,
            Param::Record,
            &["agent"],
            false,
            &[
                ("applicant", Probes, true),
                ("representative", Probes, true),
            ],
        ),
        (
            "POST, a record",
            false,
            Param::Record,
            &["agent"],
            false,
            &[
                ("applicant", Mutating, true),
                ("representative", Mutating, true),
            ],
        ),
        (
            "POST, no record: last, and anonymously too",
            false,
            Param::None,
            &["agent"],
            false,
            &[
                ("applicant", Last, false),
                ("representative", Last, false),
                ("anonymous", Last, false),
            ],
        ),
        (
            "DELETE naming the caller: never anonymously",
            false,
            Param::None,
            &["agent"],
            true,
            &[("applicant", Last, false), ("representative", Last, false)],
        ),
        (
            "POST granted to nobody",
            false,
            Param::None,
            &[],
            false,
            &[
                ("agent", Last, false),
                ("applicant", Last, false),
                ("representative", Last, false),
                ("anonymous", Last, false),
            ],
        ),
        (
            "POST granted to every role: anonymously only",
            false,
            Param::None,
            &["agent", "applicant", "representative"],
            false,
            &[("anonymous", Last, false)],
        ),
        (
            "GET granted to nobody",
            true,
            Param::None,
            &[],
            false,
            &[
                ("agent", Probes, false),
                ("applicant", Probes, false),
                ("representative", Probes, false),
            ],
        ),
    ];
    for (what, safe, param, granted, names_caller, expected) in rows {
        let surface = with_function(function(safe, param, granted, names_caller));
        let planned = plan(&population, &policy, &surface, config());
        let calls = calls(&planned);
        let expected = set(expected);
        assert_eq!(calls, expected, "{what}");
        let level = planned
            .coverage
            .iter()
            .find(|f| f.family == Family::FunctionLevel)
            .expect("listed");
        assert!(level.skipped.is_none(), "{what}: {level:?}");
        // Each one-call-per-role function is called once by each caller.
        if !safe && param == Param::None {
            assert_eq!(level.probes, expected.len(), "{what}");
            assert!(
                planned.last.iter().all(|p| p.record.is_none()
                    && p.cell.relation == Relation::Collection
                    && p.expect == crate::probes::Expect::Refusal),
                "{what}"
            );
        } else {
            assert!(
                planned.last.is_empty(),
                "{what}: only unconfined writes run last"
            );
        }
    }
}

/// A `GET` function granted to nobody, on a platform with no list: it is the function-level family's (every
/// role calls it, refusal expected), and the collection family does not apply. It used to count as a
/// collection that no role could call: a family that applies and ran no probe, an inconclusive run.
#[test]
fn a_get_function_granted_to_nobody_leaves_no_applicable_family_without_probes() {
    let (population, policy) = (population(), policy());
    let mut surface = with_function(function(true, Param::None, &[], false));
    surface
        .endpoints
        .retain(|e| !matches!(e.op, Op::List | Op::Export) || e.granted.is_some());
    let planned = plan(&population, &policy, &surface, config());
    for family in &planned.coverage {
        assert!(
            family.probes > 0
                || matches!(family.family, Family::Stateful | Family::AuditTrail)
                || family
                    .skipped
                    .as_deref()
                    .is_some_and(|s| s.starts_with("not applicable")),
            "{family:?}"
        );
    }
    let collection = planned
        .coverage
        .iter()
        .find(|f| f.family == Family::Collection)
        .expect("listed");
    assert_eq!(collection.probes, 0);
    let roles: BTreeSet<String> = calls(&planned).into_iter().map(|c| c.0).collect();
    assert_eq!(
        roles,
        BTreeSet::from(["agent", "applicant", "representative"].map(String::from))
    );
    // Granted to a role the world has no identity of: the same.
    let surface = with_function(function(true, Param::None, &["auditor"], false));
    let mut surface = surface;
    surface
        .endpoints
        .retain(|e| !matches!(e.op, Op::List | Op::Export) || e.granted.is_some());
    let planned = plan(&population, &policy, &surface, config());
    let collection = planned
        .coverage
        .iter()
        .find(|f| f.family == Family::Collection)
        .expect("listed");
    assert!(
        collection
            .skipped
            .as_deref()
            .is_some_and(|s| s.starts_with("not applicable")),
        "{collection:?}"
    );
}

#[test]
fn the_last_calls_go_on_only_after_a_refusal() {
    let hit = Hit {
        canary: "x".into(),
        field: crate::generators::canary::CanaryKind::Surname,
        owner: crate::policy::DataOwner {
            tenant: "13".into(),
            person: None,
            case: None,
            kind: None,
        },
    };
    let rows = [
        (Verdict::Pass, true),
        (Verdict::Unauthenticated, true),
        (Verdict::Suspicious("200".into()), false),
        (Verdict::Leak(vec![hit]), false),
        (Verdict::ServerError("500".into()), false),
        (Verdict::Tampering("gone".into()), false),
        (Verdict::RefusedWithError("500".into()), false),
    ];
    for (verdict, goes_on) in rows {
        assert_eq!(last_may_go_on(&verdict), goes_on, "{verdict:?}");
    }
}

#[test]
fn a_function_whose_effect_is_read_back_is_confined_and_aims_at_no_record_of_the_world() {
    let (population, policy) = (population(), policy());
    let mut f = function(false, Param::None, &["agent"], false);
    f.effect = true;
    let planned = plan(&population, &policy, &with_function(f), config());
    assert!(
        planned.last.is_empty(),
        "not unconfined: {:?}",
        planned.last
    );
    let effect: Vec<&crate::probes::Probe> = planned
        .mutating
        .iter()
        .filter(|p| p.endpoint == "functions.f")
        .collect();
    let roles: BTreeSet<&str> = effect.iter().map(|p| p.cell.role.as_str()).collect();
    assert_eq!(
        roles,
        BTreeSet::from(["applicant", "representative", "anonymous"])
    );
    assert!(effect.iter().all(|p| p.record.is_none()
        && p.variant == crate::probes::Variant::Effect
        && p.expect == crate::probes::Expect::Refusal));
    // Not one call per role: every identity sampled aims at a record of its own.
    assert!(effect.len() > roles.len(), "{}", effect.len());
}
