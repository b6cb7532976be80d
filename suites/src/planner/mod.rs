//! The planner: from a population, an access policy and a target's surface, the probes of every family
//! that applies, sampled per cell with a seeded generator, and the coverage of each family (planned, or
//! skipped with the reason).
//!
//! Planning is linear in the size of the world: each cell (family, endpoint, caller role, relation to the
//! data, record kind, variation) draws at most `per_cell` probes, so every cell is covered a few times
//! whatever the number of case files. The same seed gives the same probes, in the same order.
//!
//! The steps: `index` indexes the world and sets the pool aside, `builder` holds the cells while the
//! per-family planners fill them (`reads`, `writes`, `tenancy`), `coverage` says what was planned
//! or why not, and `ordering` puts the probes in execution order. `rng` is the seeded sampler.

mod accounts;
mod builder;
mod callers;
mod coverage;
mod foreign;
mod forged;
mod index;
mod ordering;
mod reads;
mod reserved;
mod rng;
mod tenancy;
mod writes;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::family::Family;
use crate::policy::AccessPolicy;
use crate::population::Population;
use crate::probes::{Expect, Probe, Relation, Variant};
use crate::reserve::Reserve;
use crate::surface::{Op, Param, Surface};
use crate::verdict::Verdict;

use builder::Builder;
pub use callers::{Unplanned, UnplannedReason};
use index::Index;
use rng::Rng;

/// Settings of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanConfig {
    /// Seed of the sampling (the world's seed).
    pub seed: u64,
    /// Probes drawn per cell.
    pub per_cell: usize,
}

impl Default for PlanConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            per_cell: 3,
        }
    }
}

/// What was planned for one family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyPlan {
    /// The family.
    pub family: Family,
    /// Probes planned.
    pub probes: usize,
    /// Cells planned.
    pub cells: usize,
    /// Why the family did not run, when it did not.
    pub skipped: Option<String>,
}

/// Every probe of a run, in execution order.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// Controls: identities read their own data (before and after the probes).
    pub controls: Vec<Probe>,
    /// Probes that leave the target's data unchanged, interleaved across cells so that every cell gets its
    /// first probe early.
    pub probes: Vec<Probe>,
    /// Probes that change data (functions, updates, mass assignment, then deletes), aimed at the pool and run
    /// one at a time before the others.
    pub mutating: Vec<Probe>,
    /// Calls of functions that change state and name no record (a purge, a year closed, a user deleted by
    /// a name the caller gives), by callers not granted them: what such a call changes is not confined to
    /// the pool, so they run after every other probe (the stateful suite included), one at a time, and once
    /// one is not refused the others are not sent ([`last_may_go_on`]).
    pub last: Vec<Probe>,
    /// The probes of the families that change identities' roles and credentials (privilege escalation,
    /// account takeover), each a sequence of its own on identities set aside for it: they run after the
    /// stateful suite and before [`Planned::last`], whose actors are never set aside.
    pub accounts: Vec<Probe>,
    /// Per family, what was planned or why it was skipped.
    pub coverage: Vec<FamilyPlan>,
    /// Cells left out although their family applies, and why.
    pub unplanned: Vec<Unplanned>,
    /// The case files set aside for the probes that change data: no other probe aims at them, and their
    /// owners' lists may legitimately lose them.
    pub pool: BTreeSet<String>,
    /// The records of the pool each probe that changes a record may fall back on (see [`crate::reserve`]).
    pub reserve: Reserve,
}

/// How many case files per tenant the pool would need for every cell that changes data to have one of its
/// own: the cells of forbidden writes (each write endpoint, for every role, in two relations) and of mass
/// assignment (each open update, per field); at least two.
fn pool_wanted(surface: &Surface, roles: usize) -> usize {
    let writes = surface
        .endpoints
        .iter()
        .filter(|e| matches!(e.op, Op::Update | Op::Delete) && e.param == Param::Record)
        .count();
    let updates = surface
        .endpoints
        .iter()
        .filter(|e| e.op == Op::Update && e.param == Param::Record && e.open_body)
        .count();
    let fields = surface.owner_fields.len() + surface.tenant_fields.len();
    let creates = surface.child_creates().count();
    ((writes + creates) * roles * 2 + updates * fields).max(2)
}

/// Plan every family that applies to `surface` over `population` under `policy`.
pub fn plan(
    population: &Population,
    policy: &AccessPolicy,
    surface: &Surface,
    config: PlanConfig,
) -> Planned {
    let all = Index::new(population);
    let wanted = pool_wanted(surface, all.roles.len());
    let pool = all.pool(&mut Rng::new(config.seed, "pool"), wanted);
    let index = all.without(&pool.cases());
    let mut b = Builder {
        index,
        policy,
        surface,
        config: PlanConfig {
            per_cell: config.per_cell.max(1),
            ..config
        },
        cells: BTreeMap::new(),
        controls: Vec::new(),
        unplanned: Vec::new(),
        reserve: Reserve::default(),
    };
    b.controls();
    b.record_reads();
    b.collections();
    b.searches();
    b.functions();
    b.tenant_selectors();
    b.identifier_guessing();
    b.anonymous();
    b.writes(&pool, &all);
    b.mass_assignment(&pool, &all);
    b.foreign_creates(&pool, &all);
    b.forged_credentials();

    // Identities that act in the last phase are never set aside for the families that change accounts.
    let taken: BTreeSet<String> = b
        .cells
        .values()
        .flat_map(BTreeMap::values)
        .flatten()
        .filter(|p| {
            surface
                .endpoint(&p.endpoint)
                .is_some_and(|e| e.granted.is_some() && e.is_unconfined_write())
        })
        .filter_map(|p| p.actor.clone())
        .collect();
    let accounts = b.accounts(&taken);
    let coverage = coverage::coverage(&b);
    let mut cells = std::mem::take(&mut b.cells);
    cells.retain(|family, _| !family.changes_accounts());
    let ordered = ordering::order(cells, surface);
    Planned {
        controls: b.controls,
        probes: ordered.probes,
        mutating: ordered.mutating,
        last: ordered.last,
        accounts,
        coverage,
        unplanned: std::mem::take(&mut b.unplanned),
        pool: pool.cases().into_iter().map(str::to_string).collect(),
        reserve: b.reserve,
    }
}

/// Whether the calls of [`Planned::last`] may go on after one was judged `verdict`: only after a refusal
/// (or a call the target did not accept at all). Any other answer may have changed anything (the data, the
/// accounts, the sessions) that the next calls would be judged on.
pub fn last_may_go_on(verdict: &Verdict) -> bool {
    matches!(verdict, Verdict::Pass | Verdict::Unauthenticated)
}

/// Every candidate of a cell in world order (identities, then records), at most `limit`: the space a failing
/// cell is shrunk in. Only cells of plain record probes (reads, searches) have candidates.
pub fn cell_candidates(
    population: &Population,
    policy: &AccessPolicy,
    probe: &Probe,
    limit: usize,
) -> Vec<Probe> {
    let mut out = Vec::new();
    if probe.variant != Variant::Plain || probe.record.is_none() || probe.actor.is_none() {
        out.push(probe.clone());
        return out;
    }
    let want_allowed = probe.expect == Expect::Visible;
    for actor in population
        .identities()
        .iter()
        .filter(|i| i.role == probe.cell.role)
    {
        for record in population
            .records()
            .iter()
            .filter(|r| r.kind == probe.cell.kind)
        {
            if Relation::of(actor, record) != probe.cell.relation
                || policy.may_see(population, actor, record).is_allowed() != want_allowed
                || policy.refused_through(&probe.endpoint, population, actor, record)
            {
                continue;
            }
            out.push(Probe {
                actor: Some(actor.key.clone()),
                record: Some(record.key.to_string()),
                ..probe.clone()
            });
            if out.len() >= limit {
                return out;
            }
        }
    }
    out
}
#[cfg(test)]
mod accounts_tests;
#[cfg(test)]
mod function_tests;
#[cfg(test)]
mod narrow_tests;
#[cfg(test)]
pub(super) mod tests;
