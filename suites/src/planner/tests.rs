use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::test_runner::{Config, TestError, TestRunner};

use super::*;
use crate::family::Family;
use crate::policy::Scope;
use crate::population::{Identity, Record, RecordKind};
use crate::probes::{Cell, Expect, Named, Probe, Relation, Variant, cell_strategy};
use crate::surface::{
    CallerUse, Creator, DEFAULT_OWNER_FIELDS, DEFAULT_TENANT_FIELDS, DEFAULT_TENANT_HEADERS,
    EndpointRef, Op, Param, Selector, Surface,
};

/// Two tenants, each with three applicants (one case file and two documents each), one agent; one
/// representative in tenant 13 who represents applicant 0 and used to represent applicant 1.
pub(super) fn population() -> Population {
    let mut identities = Vec::new();
    let mut records = Vec::new();
    for tenant in ["13", "75"] {
        for n in 0..3 {
            let person = format!("p{tenant}-{n}");
            identities.push(Identity {
                key: format!("u{tenant}-{n}"),
                role: "applicant".into(),
                tenant: tenant.into(),
                person: Some(person.clone()),
                represents: BTreeSet::new(),
                formerly_represents: BTreeSet::new(),
                assigned_cases: BTreeSet::new(),
            });
            let case = format!("c{tenant}-{n}");
            records.push(Record {
                key: case.as_str().into(),
                kind: RecordKind::Case,
                tenant: tenant.into(),
                person: person.as_str().into(),
                case: case.as_str().into(),
            });
            for d in 0..2 {
                records.push(Record {
                    key: format!("d{tenant}-{n}-{d}").into(),
                    kind: RecordKind::Document,
                    tenant: tenant.into(),
                    person: person.as_str().into(),
                    case: case.as_str().into(),
                });
            }
        }
        identities.push(Identity {
            key: format!("agent{tenant}"),
            role: "agent".into(),
            tenant: tenant.into(),
            person: None,
            represents: BTreeSet::new(),
            formerly_represents: BTreeSet::new(),
            assigned_cases: BTreeSet::new(),
        });
    }
    identities.push(Identity {
        key: "rep13".into(),
        role: "representative".into(),
        tenant: "13".into(),
        person: Some("prep".into()),
        represents: BTreeSet::from(["p13-0".to_string()]),
        formerly_represents: BTreeSet::from(["p13-1".to_string()]),
        assigned_cases: BTreeSet::new(),
    });
    Population::new(identities, records).expect("unique keys")
}

pub(super) fn policy() -> AccessPolicy {
    AccessPolicy::new()
        .with_role("applicant", [Scope::Own])
        .with_role("representative", [Scope::Own, Scope::Represented])
        .with_role("agent", [Scope::Tenant])
}

pub(super) fn endpoint(
    key: &str,
    kind: RecordKind,
    op: Op,
    param: Param,
    safe: bool,
) -> EndpointRef {
    EndpointRef {
        key: key.into(),
        kind,
        op,
        param,
        safe,
        granted: None,
        open_body: !safe,
        caller: CallerUse::Nothing,
        marked: op == Op::Update,
        effect: false,
    }
}

pub(super) fn surface() -> Surface {
    Surface {
        endpoints: vec![
            endpoint("case.read", RecordKind::Case, Op::Read, Param::Record, true),
            endpoint(
                "document.download",
                RecordKind::Document,
                Op::Download,
                Param::Record,
                true,
            ),
            endpoint(
                "case.update",
                RecordKind::Case,
                Op::Update,
                Param::Record,
                false,
            ),
            endpoint("case.list", RecordKind::Case, Op::List, Param::None, true),
            endpoint(
                "case.search",
                RecordKind::Case,
                Op::Search,
                Param::Person,
                true,
            ),
            endpoint(
                "case.export",
                RecordKind::Case,
                Op::Export,
                Param::None,
                true,
            ),
            EndpointRef {
                granted: Some(vec!["agent".into()]),
                ..endpoint(
                    "tenant-cases",
                    RecordKind::Case,
                    Op::Call,
                    Param::None,
                    true,
                )
            },
            EndpointRef {
                marked: true,
                ..endpoint(
                    "document.create",
                    RecordKind::Document,
                    Op::Create,
                    Param::Case,
                    false,
                )
            },
            endpoint(
                "document.list",
                RecordKind::Document,
                Op::List,
                Param::Case,
                true,
            ),
        ],
        creators: BTreeMap::from([
            (RecordKind::Case, Creator::Owner),
            (RecordKind::Document, Creator::Owner),
        ]),
        tenant_selectors: DEFAULT_TENANT_HEADERS
            .iter()
            .map(|h| Selector::Header(h.to_string()))
            .collect(),
        owner_fields: DEFAULT_OWNER_FIELDS.iter().map(|f| f.to_string()).collect(),
        tenant_fields: DEFAULT_TENANT_FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect(),
        role_fields: crate::surface::DEFAULT_ROLE_FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect(),
        transitions: [crate::stateful::TransitionKind::Logout].into(),
        no_tenants: false,
        accounts: crate::surface::AccountSurface {
            role_routes: vec![
                crate::surface::RoleRoute::SignUp,
                crate::surface::RoleRoute::OwnUpdate,
            ],
            platform_roles: BTreeMap::from([("tenant_admin".to_string(), "admin".to_string())]),
            credential_changes: vec!["accounts.password".into()],
            own_accounts: true,
        },
        session_login: true,
        audit_trail: true,
    }
}

pub(super) fn config() -> PlanConfig {
    PlanConfig {
        seed: 7,
        per_cell: 2,
    }
}

#[test]
fn every_family_applies_and_plans_probes_with_the_expectation_of_the_policy() {
    let (population, policy) = (population(), policy());
    let planned = plan(&population, &policy, &surface(), config());
    for family in &planned.coverage {
        assert!(family.skipped.is_none(), "{family:?}");
        // The stateful family's sequences are generated while it runs, and the audit trail is read after
        // everything else: neither is planned here.
        assert!(
            family.probes > 0 || matches!(family.family, Family::Stateful | Family::AuditTrail),
            "{family:?}"
        );
    }
    for probe in planned.probes.iter().chain(&planned.mutating) {
        let actor = probe.actor.as_deref().and_then(|a| population.identity(a));
        let record = probe.record.as_deref().and_then(|r| population.record(r));
        match (probe.family, actor, record) {
            (Family::DirectRead, Some(a), Some(r)) => {
                assert!(
                    !policy.may_see(&population, a, r).is_allowed(),
                    "{}",
                    probe.id()
                );
                assert_eq!(probe.expect, Expect::Refusal);
            }
            (Family::DirectWrite, Some(a), Some(r)) => {
                assert!(
                    !policy.may_write(&population, a, r).is_allowed(),
                    "{}",
                    probe.id()
                );
                assert_eq!(probe.expect, Expect::Refusal);
            }
            (Family::AllowedRead, Some(a), Some(r)) => {
                assert!(
                    policy.may_see(&population, a, r).is_allowed(),
                    "{}",
                    probe.id()
                );
                assert_eq!(probe.expect, Expect::Visible);
            }
            (Family::FunctionLevel, Some(a), _) => {
                assert_ne!(a.role, "agent", "agents are granted the function");
                assert_eq!(probe.expect, Expect::Refusal);
            }
            (Family::Anonymous, None, _) => assert_eq!(probe.expect, Expect::Refusal),
            (Family::MassAssignment, Some(a), Some(r)) => {
                assert_eq!(a.person.as_deref(), Some(r.person.as_str()), "own record");
            }
            // A create under a case file the caller may not write, aimed at a child of the pool.
            (Family::ForeignCreate, Some(a), Some(r)) => {
                let child = crate::policy::DataOwner {
                    kind: Some(RecordKind::Document),
                    ..crate::policy::DataOwner::of_record(r)
                };
                assert!(
                    !policy.decide_write(&population, a, &child).is_allowed(),
                    "{}",
                    probe.id()
                );
                assert_eq!(probe.expect, Expect::Refusal);
                assert_eq!(r.kind, RecordKind::Case, "the parent case file");
                assert!(planned.pool.contains(r.case.as_str()), "{}", probe.id());
            }
            _ => {}
        }
    }
    // Controls: every record-read endpoint, by creators who may see the record.
    assert!(planned.controls.iter().any(|c| c.endpoint == "case.read"));
    assert!(
        planned
            .controls
            .iter()
            .any(|c| c.endpoint == "document.download")
    );
    // Writes change data and run after every read.
    assert!(planned.mutating.iter().all(|p| p.family.mutates()));
    assert!(planned.probes.iter().all(|p| !p.family.mutates()));
}

#[test]
fn cells_cover_the_relations_that_exist_including_ended_representations() {
    let planned = plan(&population(), &policy(), &surface(), config());
    let relations: BTreeSet<(String, Relation)> = planned
        .probes
        .iter()
        .filter(|p| p.family == Family::DirectRead)
        .map(|p| (p.cell.role.clone(), p.cell.relation))
        .collect();
    for expected in [
        ("applicant", Relation::SameTenant),
        ("applicant", Relation::OtherTenant),
        ("agent", Relation::OtherTenant),
        ("representative", Relation::FormerlyRepresented),
    ] {
        assert!(
            relations.contains(&(expected.0.to_string(), expected.1)),
            "{expected:?} in {relations:?}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_probes_and_another_seed_others() {
    let (population, policy, surface) = (population(), policy(), surface());
    let ids = |seed| {
        let planned = plan(
            &population,
            &policy,
            &surface,
            PlanConfig { seed, per_cell: 2 },
        );
        planned
            .probes
            .iter()
            .chain(&planned.mutating)
            .map(Probe::id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(7), ids(7));
    assert_ne!(ids(7), ids(8));
}

#[test]
fn every_cell_gets_its_first_probe_before_any_cell_gets_its_second() {
    let planned = plan(&population(), &policy(), &surface(), config());
    let cells: BTreeSet<&Cell> = planned.probes.iter().map(|p| &p.cell).collect();
    let first_round: BTreeSet<&Cell> = planned
        .probes
        .iter()
        .take(cells.len())
        .map(|p| &p.cell)
        .collect();
    assert_eq!(first_round.len(), cells.len());
}

#[test]
fn a_policy_granting_everything_leaves_the_forbidden_families_unplanned_with_a_reason() {
    let policy = AccessPolicy::new()
        .with_role("applicant", [Scope::Tenant])
        .with_role("representative", [Scope::Tenant])
        .with_role("agent", [Scope::Tenant]);
    let population = population().retain(|i| i.tenant == "13").expect("valid");
    let planned = plan(&population, &policy, &surface(), config());
    let direct = planned
        .coverage
        .iter()
        .find(|f| f.family == Family::DirectRead)
        .expect("listed");
    assert_eq!(direct.probes, 0);
    assert!(
        direct
            .skipped
            .as_deref()
            .is_some_and(|s| s.contains("grants everything")),
        "{direct:?}"
    );
    let selectors = planned
        .coverage
        .iter()
        .find(|f| f.family == Family::TenantSelector)
        .expect("listed");
    assert!(
        selectors
            .skipped
            .as_deref()
            .is_some_and(|s| s.contains("single tenant"))
    );
}

/// A platform without tenants: the tenant-selector family is not applicable for that reason (not
/// merely "a single tenant"), and the owner fields of mass assignment name strangers of the one tenant.
#[test]
fn a_platform_without_tenants_says_why_tenant_selectors_do_not_apply() {
    // Tenant 75: nobody is represented there, so the pool has a case file for mass assignment.
    let population = population().retain(|i| i.tenant == "75").expect("valid");
    let tenantless = Surface {
        no_tenants: true,
        ..surface()
    };
    let planned = plan(&population, &policy(), &tenantless, config());
    let selectors = planned
        .coverage
        .iter()
        .find(|f| f.family == Family::TenantSelector)
        .expect("listed");
    assert_eq!(selectors.probes, 0);
    assert_eq!(
        selectors.skipped.as_deref(),
        Some("not applicable: the platform has no tenants ([tenants] mode = \"none\")")
    );
    let assigned: Vec<&Probe> = planned
        .mutating
        .iter()
        .filter(|p| p.family == Family::MassAssignment)
        .collect();
    assert!(
        assigned.iter().any(|p| matches!(
            &p.variant,
            Variant::Assign {
                named: Named::Identity(_),
                ..
            }
        )),
        "owner fields name a stranger of the same tenant: {assigned:?}"
    );
    assert!(
        !assigned.iter().any(|p| matches!(
            &p.variant,
            Variant::Assign {
                named: Named::Tenant(_),
                ..
            }
        )),
        "no other tenant to name"
    );
    // With tenants, the same world of one tenant is skipped for the single tenant only.
    let planned = plan(&population, &policy(), &surface(), config());
    let selectors = planned
        .coverage
        .iter()
        .find(|f| f.family == Family::TenantSelector)
        .expect("listed");
    assert_eq!(
        selectors.skipped.as_deref(),
        Some("not applicable: the world has a single tenant")
    );
}

#[test]
fn sampling_is_linear_in_the_world() {
    // Ten times the applicants: the plan grows with the number of cells, not with the pairs.
    let small = plan(&population(), &policy(), &surface(), config());
    let mut identities = Vec::new();
    let mut records = Vec::new();
    for tenant in ["13", "75"] {
        for n in 0..30 {
            let person = format!("p{tenant}-{n}");
            identities.push(Identity {
                key: format!("u{tenant}-{n}"),
                role: "applicant".into(),
                tenant: tenant.into(),
                person: Some(person.clone()),
                represents: BTreeSet::new(),
                formerly_represents: BTreeSet::new(),
                assigned_cases: BTreeSet::new(),
            });
            records.push(Record {
                key: format!("c{tenant}-{n}").into(),
                kind: RecordKind::Case,
                tenant: tenant.into(),
                person: person.into(),
                case: format!("c{tenant}-{n}").into(),
            });
        }
    }
    let large = Population::new(identities, records).expect("unique");
    let planned = plan(&large, &policy(), &surface(), config());
    assert!(
        planned.probes.len() <= small.probes.len() * 2,
        "{} probes for 60 case files, {} for 6",
        planned.probes.len(),
        small.probes.len()
    );
}

/// A model target that leaks documents to anyone of the same tenant: the failing cell shrinks to the
/// earliest identity and record, in world order, that still show it.
#[test]
fn a_failing_cell_shrinks_to_its_minimal_counterexample() {
    let (population, policy) = (population(), policy());
    let planned = plan(&population, &policy, &surface(), config());
    let failing = planned
        .probes
        .iter()
        .find(|p| {
            p.family == Family::DirectRead
                && p.endpoint == "document.download"
                && p.cell.role == "applicant"
                && p.cell.relation == Relation::SameTenant
        })
        .expect("planned");
    let candidates = Arc::new(cell_candidates(&population, &policy, failing, 256));
    assert!(candidates.len() > 1);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let result = runner.run(&cell_strategy(candidates), |probe| {
        proptest::prop_assert!(probe.record.is_none(), "{} leaked", probe.id());
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, probe)) => {
            assert_eq!(probe.actor.as_deref(), Some("u13-0"));
            assert_eq!(probe.record.as_deref(), Some("d13-1-0"));
        }
        other => panic!("expected a shrunk failure, got {other:?}"),
    }
}

/// Two tenants of `applicants` applicants (a case file each) and an agent; a case update and a case delete.
fn writes_world(applicants: usize) -> (Population, Surface) {
    let mut identities = Vec::new();
    let mut records = Vec::new();
    for tenant in ["13", "75"] {
        for n in 0..applicants {
            let person = format!("p{tenant}-{n}");
            identities.push(Identity {
                key: format!("u{tenant}-{n}"),
                role: "applicant".into(),
                tenant: tenant.into(),
                person: Some(person.clone()),
                represents: BTreeSet::new(),
                formerly_represents: BTreeSet::new(),
                assigned_cases: BTreeSet::new(),
            });
            records.push(Record {
                key: format!("c{tenant}-{n}").into(),
                kind: RecordKind::Case,
                tenant: tenant.into(),
                person: person.into(),
                case: format!("c{tenant}-{n}").into(),
            });
        }
        identities.push(Identity {
            key: format!("agent{tenant}"),
            role: "agent".into(),
            tenant: tenant.into(),
            person: None,
            represents: BTreeSet::new(),
            formerly_represents: BTreeSet::new(),
            assigned_cases: BTreeSet::new(),
        });
    }
    let population = Population::new(identities, records).expect("unique keys");
    let surface = Surface {
        endpoints: vec![
            endpoint("case.read", RecordKind::Case, Op::Read, Param::Record, true),
            endpoint(
                "case.update",
                RecordKind::Case,
                Op::Update,
                Param::Record,
                false,
            ),
            endpoint(
                "case.delete",
                RecordKind::Case,
                Op::Delete,
                Param::Record,
                false,
            ),
        ],
        ..surface()
    };
    (population, surface)
}

#[test]
fn the_pool_is_sized_from_what_is_planned_within_the_world() {
    // (case files of the tenant, case files wanted) -> set aside
    let rows = [
        ((1, 25), 0),
        ((2, 25), 1),
        ((3, 25), 2),
        ((8, 25), 2),
        ((16, 25), 4),
        ((100, 25), 25),
        ((100, 2), 2),
    ];
    for ((cases, want), size) in rows {
        assert_eq!(
            super::index::pool_size(cases, want),
            size,
            "{cases} case files, {want} wanted"
        );
    }
    let (population, surface) = writes_world(12);
    let planned = plan(&population, &policy(), &surface, config());
    assert_eq!(
        planned.pool.len(),
        2 * 3,
        "a quarter of each tenant's case files"
    );
}

#[test]
fn every_write_gets_a_victim_of_its_own_and_records_to_fall_back_on() {
    let (population, surface) = writes_world(12);
    let policy = policy();
    let planned = plan(&population, &policy, &surface, config());
    let writes: Vec<&Probe> = planned
        .mutating
        .iter()
        .filter(|p| crate::reserve::changes_its_record(p))
        .collect();
    assert!(!writes.is_empty());
    let mut primaries: BTreeSet<(&str, &str)> = BTreeSet::new();
    for probe in &writes {
        let record = probe.record.as_deref().expect("every write has a victim");
        let case = &population.record(record).expect("in the world").case;
        assert!(planned.pool.contains(case.as_str()), "{}", probe.id());
        primaries.insert((&population.record(record).expect("known").tenant, record));
        let alternates = planned.reserve.alternates(probe);
        assert!(
            !alternates.is_empty(),
            "{} has records to fall back on",
            probe.id()
        );
        for alternate in alternates {
            assert_eq!(alternate.cell, probe.cell, "{}", alternate.id());
            assert_ne!(alternate.record, probe.record);
            let r = alternate
                .record
                .as_deref()
                .and_then(|r| population.record(r))
                .expect("a record of the world");
            assert!(planned.pool.contains(r.case.as_str()), "{}", alternate.id());
            if let Some(actor) = alternate
                .actor
                .as_deref()
                .and_then(|a| population.identity(a))
                && alternate.family == Family::DirectWrite
            {
                assert_eq!(Relation::of(actor, r), alternate.cell.relation);
                assert!(!policy.may_write(&population, actor, r).is_allowed());
            }
        }
    }
    // The cells start on different records: more than one victim per tenant (the pool's first record is
    // not everyone's).
    for tenant in ["13", "75"] {
        let victims = primaries.iter().filter(|(t, _)| *t == tenant).count();
        assert!(victims > 1, "tenant {tenant}: {primaries:?}");
    }
}

#[test]
fn a_world_too_small_plans_its_write_cells_as_not_sent_never_drops_them() {
    // One case file per tenant: nothing can be set aside.
    let (population, surface) = writes_world(1);
    let planned = plan(&population, &policy(), &surface, config());
    assert!(planned.pool.is_empty());
    let writes: Vec<&Probe> = planned
        .mutating
        .iter()
        .filter(|p| p.family == Family::DirectWrite)
        .collect();
    let cells: BTreeSet<(&str, &str, Relation)> = writes
        .iter()
        .map(|p| (p.endpoint.as_str(), p.cell.role.as_str(), p.cell.relation))
        .collect();
    // Both endpoints, applicants and agents of the other tenant (no applicant has a neighbour in its own
    // tenant: that cell does not exist in this world).
    assert_eq!(cells.len(), 2 * 2, "{cells:?}");
    let victims = crate::reserve::Victims::new(&population);
    for probe in writes {
        assert_eq!(probe.record, None);
        assert_eq!(
            victims.choose(probe, planned.reserve.alternates(probe)),
            Err(crate::unsent::Unsent::NoRecordLeft)
        );
    }
    let family = planned
        .coverage
        .iter()
        .find(|f| f.family == Family::DirectWrite)
        .expect("planned");
    assert!(family.skipped.is_none() && family.probes == 4, "{family:?}");
}

#[test]
fn without_a_trail_to_read_the_audit_family_does_not_apply_and_says_why() {
    let no_trail = Surface {
        audit_trail: false,
        ..surface()
    };
    let planned = plan(&population(), &policy(), &no_trail, config());
    let family = (planned.coverage.iter())
        .find(|f| f.family == Family::AuditTrail)
        .expect("listed");
    let skipped = family.skipped.as_deref().unwrap_or_default();
    assert!(
        skipped.starts_with("not applicable: no [audit] section"),
        "{family:?}"
    );
    let with_trail = plan(&population(), &policy(), &surface(), config());
    let family = (with_trail.coverage.iter())
        .find(|f| f.family == Family::AuditTrail)
        .expect("listed");
    assert_eq!(
        (family.skipped.as_deref(), family.probes),
        (None, 0),
        "{family:?}"
    );
}
