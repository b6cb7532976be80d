//! Probe families: what to try against a target, and what the policy expects of each try.
//!
//! A probe is data: who acts, on which record, by which operation, and the decision of the access policy.
//! The harness turns probes into HTTP requests through a target profile and judges the responses by their
//! data; this module only decides what to try.
//!
//! The first family, [`DIRECT_READ`], has every identity try to read every other identity's case files and
//! documents directly, by the target's identifier of the record (the breach behind cloison: users opening
//! other people's documents). It comes as an exhaustive, deterministic list ([`direct_reads`]) for runs, and
//! as a proptest strategy ([`direct_read_strategy`]) whose shrinking walks down to the first identity and
//! the first record, in world order, that still shows a failure: a minimal counterexample.

use std::sync::Arc;

use proptest::prelude::*;
use serde::Serialize;

use crate::policy::{AccessPolicy, Decision};
use crate::population::{Population, RecordKind};

/// Name of the direct-read probe family.
pub const DIRECT_READ: &str = "direct-read";

/// What a probe does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Read the record (a case file's JSON, a note, a decision).
    Read,
    /// Download a document's content.
    Download,
    /// Update the record (judged by reading it back as its owner).
    Update,
}

impl Operation {
    /// The operation a direct read uses on a record of this kind.
    pub fn direct_read_of(kind: RecordKind) -> Operation {
        match kind {
            RecordKind::Document => Operation::Download,
            RecordKind::Case | RecordKind::Note | RecordKind::Decision => Operation::Read,
        }
    }

    /// The lower-case name used in profiles and reports.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Download => "download",
            Operation::Update => "update",
        }
    }
}

/// One attempt: `actor` performs `operation` on `record`; the policy expects `expected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// Family the probe belongs to.
    pub family: &'static str,
    /// Key of the identity that acts.
    pub actor: String,
    /// Key of the record acted on.
    pub record: String,
    /// Kind of that record.
    pub kind: RecordKind,
    /// What is attempted.
    pub operation: Operation,
    /// What the access policy says of the actor and the record.
    pub expected: Decision,
}

impl Probe {
    /// A stable identifier: family, actor and record.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.family, self.actor, self.record)
    }
}

/// Name of the direct-write probe family.
pub const DIRECT_WRITE: &str = "direct-write";

/// Forbidden updates of case files: each identity tries to update, directly by its identifier, the first
/// case file it may not see in its own tenant and the first in another tenant (world order). A bounded
/// sample, since every write changes the target's data; the harness judges each one by reading the case
/// file back as its owner (a 200 can be a no-op, a 204 can change someone else's data).
pub fn direct_writes(population: &Population, policy: &AccessPolicy) -> Vec<Probe> {
    let mut probes = Vec::new();
    for actor in population.identities() {
        let mut same_tenant = false;
        let mut other_tenant = false;
        for record in population.records() {
            if record.kind != RecordKind::Case || (same_tenant && other_tenant) {
                continue;
            }
            let slot = if record.tenant == actor.tenant {
                &mut same_tenant
            } else {
                &mut other_tenant
            };
            if *slot {
                continue;
            }
            let expected = policy.may_see(population, actor, record);
            if expected.is_allowed() {
                continue;
            }
            *slot = true;
            probes.push(Probe {
                family: DIRECT_WRITE,
                actor: actor.key.clone(),
                record: record.key.clone(),
                kind: record.kind,
                operation: Operation::Update,
                expected,
            });
        }
    }
    probes
}

/// The record kinds the direct-read family aims at.
pub const DIRECT_READ_KINDS: [RecordKind; 2] = [RecordKind::Case, RecordKind::Document];

/// Every direct read the policy forbids: each identity, each case file and document it may not see, in
/// world order (identities, then records). Reads the policy allows are not probes: [`controls`] covers them.
pub fn direct_reads(population: &Population, policy: &AccessPolicy) -> Vec<Probe> {
    let mut probes = Vec::new();
    for actor in population.identities() {
        for record in population.records() {
            if !DIRECT_READ_KINDS.contains(&record.kind) {
                continue;
            }
            let expected = policy.may_see(population, actor, record);
            if expected.is_allowed() {
                continue;
            }
            probes.push(Probe {
                family: DIRECT_READ,
                actor: actor.key.clone(),
                record: record.key.clone(),
                kind: record.kind,
                operation: Operation::direct_read_of(record.kind),
                expected,
            });
        }
    }
    probes
}

/// One allowed read per record, by its steward (its person's own account, or their representative): the
/// control that proves the target serves the record and its canaries at all. A run whose controls fail
/// cannot claim that refusals mean isolation, so the harness never reports it clean.
pub fn controls(population: &Population, policy: &AccessPolicy) -> Vec<Probe> {
    population
        .records()
        .iter()
        .filter(|record| DIRECT_READ_KINDS.contains(&record.kind))
        .filter_map(|record| {
            let steward = population.steward_of(record)?;
            let expected = policy.may_see(population, steward, record);
            expected.is_allowed().then(|| Probe {
                family: "control",
                actor: steward.key.clone(),
                record: record.key.clone(),
                kind: record.kind,
                operation: Operation::direct_read_of(record.kind),
                expected,
            })
        })
        .collect()
}

/// A strategy over the forbidden direct reads of a population. It draws an identity and a record by index;
/// shrinking lowers both indexes, so a failing probe shrinks to the earliest identity and record, in world
/// order, that still fail. Pairs the policy allows, and records of other kinds, are rejected.
pub fn direct_read_strategy(
    population: Arc<Population>,
    policy: Arc<AccessPolicy>,
) -> impl Strategy<Value = Probe> {
    let identities = population.identities().len().max(1);
    let records = population.records().len().max(1);
    (0..identities, 0..records).prop_filter_map(
        "an allowed read or a kind out of the family",
        move |(a, r)| {
            let actor = population.identities().get(a)?;
            let record = population.records().get(r)?;
            if !DIRECT_READ_KINDS.contains(&record.kind) {
                return None;
            }
            let expected = policy.may_see(&population, actor, record);
            (!expected.is_allowed()).then(|| Probe {
                family: DIRECT_READ,
                actor: actor.key.clone(),
                record: record.key.clone(),
                kind: record.kind,
                operation: Operation::direct_read_of(record.kind),
                expected,
            })
        },
    )
}

/// A generated world (2-3 tenants, 2-24 case files, any seed; holder accounts for persons without one) and
/// one forbidden direct read in it. Shrinking first makes the world smaller (fewer tenants and case files,
/// seed toward 0), then moves the probe to the earliest identity and record: a failing property ends on a
/// minimal world and a minimal probe.
pub fn world_and_direct_read(
    policy: Arc<AccessPolicy>,
) -> impl Strategy<Value = (Arc<Population>, Probe)> {
    cloison_generators::strategy::world_with(2..=3, 2..=24)
        .prop_filter_map("a world whose population is inconsistent", |world| {
            Population::from_world(&world, true).ok().map(Arc::new)
        })
        .prop_filter("a world without a forbidden direct read", {
            let policy = policy.clone();
            move |population| !direct_reads(population, &policy).is_empty()
        })
        .prop_flat_map(move |population| {
            (
                Just(population.clone()),
                direct_read_strategy(population, policy.clone()),
            )
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::test_runner::{Config, TestError, TestRunner};

    use super::*;
    use crate::policy::Scope;
    use crate::population::{Identity, Record};

    /// Two tenants, each with three applicants (each one case file and two documents) and one agent.
    fn population() -> Population {
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
                    assigned_cases: BTreeSet::new(),
                });
                let case = format!("c{tenant}-{n}");
                records.push(Record {
                    key: case.clone(),
                    kind: RecordKind::Case,
                    tenant: tenant.into(),
                    person: person.clone(),
                    case: case.clone(),
                });
                for d in 0..2 {
                    records.push(Record {
                        key: format!("d{tenant}-{n}-{d}"),
                        kind: RecordKind::Document,
                        tenant: tenant.into(),
                        person: person.clone(),
                        case: case.clone(),
                    });
                }
            }
            identities.push(Identity {
                key: format!("agent{tenant}"),
                role: "agent".into(),
                tenant: tenant.into(),
                person: None,
                represents: BTreeSet::new(),
                assigned_cases: BTreeSet::new(),
            });
        }
        Population::new(identities, records).expect("unique keys")
    }

    fn policy() -> AccessPolicy {
        AccessPolicy::new()
            .with_role("applicant", [Scope::Own])
            .with_role("agent", [Scope::Tenant])
    }

    #[test]
    fn direct_reads_are_every_forbidden_pair_and_controls_every_record() {
        let (population, policy) = (population(), policy());
        let probes = direct_reads(&population, &policy);
        // Each of 6 applicants may not see the 5 other applicants' 3 records each; each agent may not see
        // the other tenant's 9 records.
        assert_eq!(probes.len(), 6 * 5 * 3 + 2 * 9);
        assert!(probes.iter().all(|p| p.expected == Decision::Denied));
        assert_eq!(probes[0].id(), "direct-read/u13-0/c13-1");
        assert_eq!(probes[1].operation, Operation::Download);
        let controls = controls(&population, &policy);
        assert_eq!(controls.len(), 18);
        assert!(
            controls
                .iter()
                .all(|c| c.expected == Decision::Allowed(Scope::Own))
        );
    }

    /// A model target that leaks documents (download checks login, not ownership) shrinks to the first
    /// forbidden document download in world order.
    #[test]
    fn strategy_shrinks_a_document_leak_to_the_minimal_counterexample() {
        let population = Arc::new(population());
        let policy = Arc::new(policy());
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: 256,
                failure_persistence: None,
                ..Config::default()
            },
            proptest::test_runner::TestRng::deterministic_rng(
                proptest::test_runner::RngAlgorithm::ChaCha,
            ),
        );
        let leaky_target = |probe: &Probe| probe.operation == Operation::Download;
        let result = runner.run(&direct_read_strategy(population, policy), |probe| {
            prop_assert!(!leaky_target(&probe), "{} leaked", probe.id());
            Ok(())
        });
        match result {
            Err(TestError::Fail(_, probe)) => {
                assert_eq!(probe.actor, "u13-0");
                assert_eq!(probe.record, "d13-1-0");
            }
            other => panic!("expected a shrunk failure, got {other:?}"),
        }
    }

    #[test]
    fn direct_writes_sample_one_case_per_tenant_side() {
        let (population, policy) = (population(), policy());
        let writes = direct_writes(&population, &policy);
        // Applicants: one foreign case in their tenant, one in the other; agents: one in the other tenant.
        assert_eq!(writes.len(), 6 * 2 + 2);
        assert!(
            writes
                .iter()
                .all(|w| w.operation == Operation::Update && w.kind == RecordKind::Case)
        );
        assert_eq!(writes[0].id(), "direct-write/u13-0/c13-1");
        assert_eq!(writes[1].id(), "direct-write/u13-0/c75-0");
    }

    /// Over generated worlds: a model target whose document downloads check the tenant but not the owner
    /// fails, and the counterexample shrinks to a small world and a same-tenant probe.
    #[test]
    fn world_strategy_shrinks_to_a_small_world() {
        let policy = Arc::new(
            AccessPolicy::new()
                .with_role("applicant", [Scope::Own])
                .with_role("representative", [Scope::Own, Scope::Represented])
                .with_role("agent", [Scope::Tenant])
                .with_role("tenant_admin", [Scope::Tenant]),
        );
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: 64,
                max_shrink_iters: 4096,
                failure_persistence: None,
                ..Config::default()
            },
            proptest::test_runner::TestRng::deterministic_rng(
                proptest::test_runner::RngAlgorithm::ChaCha,
            ),
        );
        let result = runner.run(&world_and_direct_read(policy), |(population, probe)| {
            let actor = population
                .identity(&probe.actor)
                .expect("drawn from the population");
            let record = population
                .record(&probe.record)
                .expect("drawn from the population");
            let tenant_only_check =
                probe.operation == Operation::Download && actor.tenant == record.tenant;
            prop_assert!(!tenant_only_check, "{} leaked", probe.id());
            Ok(())
        });
        match result {
            Err(TestError::Fail(_, (population, probe))) => {
                assert_eq!(probe.operation, Operation::Download);
                let cases = population
                    .records()
                    .iter()
                    .filter(|r| r.kind == RecordKind::Case)
                    .count();
                // At most three case files in two tenants: the smallest worlds where two case files
                // necessarily share a tenant.
                assert!(
                    cases <= 3,
                    "shrunk to a smallest failing world, not {cases} case files"
                );
            }
            other => panic!("expected a shrunk failure, got {other:?}"),
        }
    }

    #[test]
    fn strategy_holds_on_a_hardened_model() {
        let population = Arc::new(population());
        let policy = Arc::new(policy());
        let mut runner = TestRunner::deterministic();
        let checker = policy.clone();
        let pop = population.clone();
        runner
            .run(&direct_read_strategy(population, policy), move |probe| {
                let actor = pop
                    .identity(&probe.actor)
                    .expect("drawn from the population");
                let record = pop
                    .record(&probe.record)
                    .expect("drawn from the population");
                prop_assert!(!checker.may_see(&pop, actor, record).is_allowed());
                Ok(())
            })
            .expect("every drawn probe is a forbidden read");
    }
}
