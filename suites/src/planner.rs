//! The planner: from a population, an access policy and a target's surface, the probes of every family
//! that applies, sampled per cell with a seeded generator, and the coverage of each family (planned, or
//! skipped with the reason).
//!
//! Planning is linear in the size of the world: each cell (family, endpoint, caller role, relation to the
//! data, record kind, variation) draws at most `per_cell` probes, so every cell is covered a few times
//! whatever the number of case files. The same seed gives the same probes, in the same order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::family::{Family, Need};
use crate::policy::AccessPolicy;
use crate::population::{Identity, Population, Record, RecordKind};
use crate::probes::{Cell, Expect, Named, Probe, Relation, Variant};
use crate::surface::{Creator, EndpointRef, Op, Param, Surface};

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
    /// Probes that change data (functions, updates, mass assignment, then deletes), run last.
    pub mutating: Vec<Probe>,
    /// Per family, what was planned or why it was skipped.
    pub coverage: Vec<FamilyPlan>,
    /// The case files set aside for the probes that change data: no other probe aims at them, and their
    /// owners' lists may legitimately lose them.
    pub pool: BTreeSet<String>,
}

/// A small deterministic generator (SplitMix64): sampling needs no cryptographic quality, only
/// reproducibility across platforms and versions.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, salt: &str) -> Self {
        let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
        for byte in salt.bytes() {
            h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3);
        }
        Rng(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Indexes of a population for sampling.
struct Index<'a> {
    population: &'a Population,
    roles: BTreeMap<&'a str, Vec<usize>>,
    by_kind: BTreeMap<RecordKind, Vec<usize>>,
    by_kind_tenant: HashMap<(RecordKind, &'a str), Vec<usize>>,
    by_kind_person: HashMap<(RecordKind, &'a str), Vec<usize>>,
    by_kind_case: HashMap<(RecordKind, &'a str), Vec<usize>>,
    tenants: Vec<&'a str>,
}

/// Per tenant, the case files set aside for the probes that change data: their records are never the
/// victims of any other probe, so a successful write or assignment cannot disturb what other probes judge.
#[derive(Debug, Clone, Default)]
struct Pool<'a> {
    /// The case file whose owner slips fields into its own update (mass assignment).
    assign: BTreeMap<&'a str, &'a str>,
    /// The case file others try to update and delete.
    write: BTreeMap<&'a str, &'a str>,
}

impl Pool<'_> {
    fn cases(&self) -> BTreeSet<&str> {
        self.assign
            .values()
            .chain(self.write.values())
            .copied()
            .collect()
    }
}

impl<'a> Index<'a> {
    /// The same index without the records of `cases`.
    fn without(&self, cases: &BTreeSet<&str>) -> Index<'a> {
        let keep = |list: &Vec<usize>| -> Vec<usize> {
            list.iter()
                .copied()
                .filter(|&r| !cases.contains(self.record(r).case.as_str()))
                .collect()
        };
        Index {
            population: self.population,
            roles: self.roles.clone(),
            by_kind: self.by_kind.iter().map(|(k, v)| (*k, keep(v))).collect(),
            by_kind_tenant: self
                .by_kind_tenant
                .iter()
                .map(|(k, v)| (*k, keep(v)))
                .collect(),
            by_kind_person: self
                .by_kind_person
                .iter()
                .map(|(k, v)| (*k, keep(v)))
                .collect(),
            by_kind_case: self
                .by_kind_case
                .iter()
                .map(|(k, v)| (*k, keep(v)))
                .collect(),
            tenants: self.tenants.clone(),
        }
    }

    /// Choose the pool: per tenant, case files whose person has an account of their own and is nobody's
    /// represented person (so that no relation other probes need is lost), drawn with `rng`.
    fn pool(&self, rng: &mut Rng) -> Pool<'a> {
        let population = self.population;
        let represented: BTreeSet<&str> = population
            .identities()
            .iter()
            .flat_map(|i| i.represents.iter().chain(&i.formerly_represents))
            .map(String::as_str)
            .collect();
        let mut pool = Pool::default();
        for tenant in &self.tenants {
            let Some(cases) = self.by_kind_tenant.get(&(RecordKind::Case, *tenant)) else {
                continue;
            };
            let mut candidates: Vec<&'a Record> = cases
                .iter()
                .map(|&r| self.record(r))
                .filter(|r| {
                    !represented.contains(r.person.as_str())
                        && population.owners_of(r).next().is_some()
                })
                .collect();
            // Keep at least one case file of the tenant for every other probe.
            let spare = cases.len().saturating_sub(1).min(2);
            rng.shuffle(&mut candidates);
            let mut picks = candidates.into_iter().take(spare);
            if let Some(r) = picks.next() {
                pool.write.insert(tenant, r.case.as_str());
            }
            if let Some(r) = picks.next() {
                pool.assign.insert(tenant, r.case.as_str());
            }
        }
        pool
    }

    fn new(population: &'a Population) -> Self {
        let mut roles: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, id) in population.identities().iter().enumerate() {
            roles.entry(id.role.as_str()).or_default().push(i);
        }
        let mut by_kind: BTreeMap<RecordKind, Vec<usize>> = BTreeMap::new();
        let mut by_kind_tenant: HashMap<(RecordKind, &str), Vec<usize>> = HashMap::new();
        let mut by_kind_person: HashMap<(RecordKind, &str), Vec<usize>> = HashMap::new();
        let mut by_kind_case: HashMap<(RecordKind, &str), Vec<usize>> = HashMap::new();
        let mut tenants = BTreeSet::new();
        for (i, r) in population.records().iter().enumerate() {
            by_kind.entry(r.kind).or_default().push(i);
            by_kind_tenant
                .entry((r.kind, r.tenant.as_str()))
                .or_default()
                .push(i);
            by_kind_person
                .entry((r.kind, r.person.as_str()))
                .or_default()
                .push(i);
            by_kind_case
                .entry((r.kind, r.case.as_str()))
                .or_default()
                .push(i);
            tenants.insert(r.tenant.as_str());
        }
        for id in population.identities() {
            tenants.insert(id.tenant.as_str());
        }
        Self {
            population,
            roles,
            by_kind,
            by_kind_tenant,
            by_kind_person,
            by_kind_case,
            tenants: tenants.into_iter().collect(),
        }
    }

    fn identity(&self, i: usize) -> &'a Identity {
        &self.population.identities()[i]
    }

    fn record(&self, i: usize) -> &'a Record {
        &self.population.records()[i]
    }

    /// Up to `n` (actor, record) pairs of `role` and `kind` in `relation`, drawn with `rng`.
    fn pairs(
        &self,
        role: &str,
        kind: RecordKind,
        relation: Relation,
        n: usize,
        rng: &mut Rng,
    ) -> Vec<(usize, usize)> {
        let Some(actors) = self.roles.get(role) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match relation {
            Relation::Own
            | Relation::Represented
            | Relation::FormerlyRepresented
            | Relation::Assigned => {
                let mut order = actors.clone();
                rng.shuffle(&mut order);
                for a in order {
                    let actor = self.identity(a);
                    let mut candidates: Vec<usize> = match relation {
                        Relation::Own => actor
                            .person
                            .as_deref()
                            .and_then(|p| self.by_kind_person.get(&(kind, p)))
                            .cloned()
                            .unwrap_or_default(),
                        Relation::Represented | Relation::FormerlyRepresented => {
                            let persons = if relation == Relation::Represented {
                                &actor.represents
                            } else {
                                &actor.formerly_represents
                            };
                            persons
                                .iter()
                                .filter_map(|p| self.by_kind_person.get(&(kind, p.as_str())))
                                .flatten()
                                .copied()
                                .collect()
                        }
                        _ => actor
                            .assigned_cases
                            .iter()
                            .filter_map(|c| self.by_kind_case.get(&(kind, c.as_str())))
                            .flatten()
                            .copied()
                            .collect(),
                    };
                    candidates.retain(|&r| Relation::of(actor, self.record(r)) == relation);
                    if candidates.is_empty() {
                        continue;
                    }
                    out.push((a, candidates[rng.below(candidates.len())]));
                    if out.len() >= n {
                        break;
                    }
                }
            }
            Relation::SameTenant | Relation::OtherTenant => {
                let Some(all) = self.by_kind.get(&kind) else {
                    return out;
                };
                let mut seen = BTreeSet::new();
                for _ in 0..n * 24 {
                    if out.len() >= n {
                        break;
                    }
                    let a = actors[rng.below(actors.len())];
                    let actor = self.identity(a);
                    let pool: &[usize] = if relation == Relation::SameTenant {
                        self.by_kind_tenant
                            .get(&(kind, actor.tenant.as_str()))
                            .map_or(&[], Vec::as_slice)
                    } else {
                        all
                    };
                    if pool.is_empty() {
                        continue;
                    }
                    let r = pool[rng.below(pool.len())];
                    if Relation::of(actor, self.record(r)) == relation && seen.insert((a, r)) {
                        out.push((a, r));
                    }
                }
            }
            Relation::Collection => {}
        }
        out
    }

    /// Up to `n` identities of `role`, spread across tenants, drawn with `rng`.
    fn actors(&self, role: &str, n: usize, rng: &mut Rng) -> Vec<usize> {
        let Some(actors) = self.roles.get(role) else {
            return Vec::new();
        };
        let mut by_tenant: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &a in actors {
            by_tenant
                .entry(self.identity(a).tenant.as_str())
                .or_default()
                .push(a);
        }
        let mut lists: Vec<Vec<usize>> = by_tenant.into_values().collect();
        for list in &mut lists {
            rng.shuffle(list);
        }
        let mut out = Vec::new();
        let mut round = 0;
        while out.len() < n && lists.iter().any(|l| l.len() > round) {
            for list in &lists {
                if let Some(&a) = list.get(round)
                    && out.len() < n
                {
                    out.push(a);
                }
            }
            round += 1;
        }
        out
    }

    /// A record of `kind` that `actor` may see (its own first, in world order), for functions and searches
    /// that act on a record the caller is entitled to.
    fn visible_record(
        &self,
        policy: &AccessPolicy,
        actor: &Identity,
        kind: RecordKind,
        rng: &mut Rng,
    ) -> Option<usize> {
        let own = actor
            .person
            .as_deref()
            .and_then(|p| self.by_kind_person.get(&(kind, p)))
            .and_then(|v| v.first().copied());
        own.or_else(|| {
            let pool = self.by_kind_tenant.get(&(kind, actor.tenant.as_str()))?;
            (0..8).find_map(|_| {
                let r = pool[rng.below(pool.len())];
                policy
                    .may_see(self.population, actor, self.record(r))
                    .is_allowed()
                    .then_some(r)
            })
        })
    }

    fn other_tenant(&self, tenant: &str, rng: &mut Rng) -> Option<&'a str> {
        let others: Vec<&str> = self
            .tenants
            .iter()
            .copied()
            .filter(|t| *t != tenant)
            .collect();
        (!others.is_empty()).then(|| others[rng.below(others.len())])
    }
}

/// The planner's view of one family being planned.
struct Builder<'a> {
    index: Index<'a>,
    policy: &'a AccessPolicy,
    surface: &'a Surface,
    config: PlanConfig,
    cells: BTreeMap<Family, BTreeMap<Cell, Vec<Probe>>>,
    controls: Vec<Probe>,
}

impl<'a> Builder<'a> {
    fn rng(&self, salt: &str) -> Rng {
        Rng::new(self.config.seed, salt)
    }

    fn push(&mut self, probe: Probe) {
        self.cells
            .entry(probe.family)
            .or_default()
            .entry(probe.cell.clone())
            .or_default()
            .push(probe);
    }

    /// Plan a probe (see [`Builder::probe`]).
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        family: Family,
        endpoint: &EndpointRef,
        actor: Option<&Identity>,
        record: Option<&Record>,
        relation: Relation,
        variant: Variant,
        expect: Expect,
    ) {
        let probe = self.probe(family, endpoint, actor, record, relation, variant, expect);
        self.push(probe);
    }

    #[allow(clippy::too_many_arguments)]
    fn probe(
        &self,
        family: Family,
        endpoint: &EndpointRef,
        actor: Option<&Identity>,
        record: Option<&Record>,
        relation: Relation,
        variant: Variant,
        expect: Expect,
    ) -> Probe {
        Probe {
            family,
            actor: actor.map(|a| a.key.clone()),
            endpoint: endpoint.key.clone(),
            record: record.map(|r| r.key.clone()),
            cell: Cell {
                family,
                endpoint: endpoint.key.clone(),
                role: actor.map_or_else(|| "anonymous".to_string(), |a| a.role.clone()),
                relation,
                kind: endpoint.kind,
                via: variant.via(),
            },
            variant,
            expect,
        }
    }

    fn roles(&self) -> Vec<&'a str> {
        self.index.roles.keys().copied().collect()
    }

    /// The identity that creates records of a kind reads them back: the steward for owner-created kinds,
    /// an agent of the tenant for agent-created ones.
    fn creator_of(&self, record: &'a Record) -> Option<&'a Identity> {
        let population = self.index.population;
        let creator = match self.surface.creators.get(&record.kind) {
            Some(Creator::Agent) => population
                .identities()
                .iter()
                .find(|i| i.role == "agent" && i.tenant == record.tenant),
            _ => population.steward_of(record),
        }?;
        self.policy
            .may_see(population, creator, record)
            .is_allowed()
            .then_some(creator)
    }

    fn controls(&mut self) {
        let reads: Vec<&EndpointRef> = self.surface.record_reads().collect();
        for endpoint in reads {
            let mut rng = self.rng(&format!("control/{}", endpoint.key));
            for tenant in self.index.tenants.clone() {
                let Some(pool) = self.index.by_kind_tenant.get(&(endpoint.kind, tenant)) else {
                    continue;
                };
                let mut pool = pool.clone();
                rng.shuffle(&mut pool);
                let mut taken = 0;
                for r in pool {
                    if taken >= self.config.per_cell {
                        break;
                    }
                    let record = self.index.record(r);
                    let Some(creator) = self.creator_of(record) else {
                        continue;
                    };
                    let relation = Relation::of(creator, record);
                    let probe = self.probe(
                        Family::Control,
                        endpoint,
                        Some(creator),
                        Some(record),
                        relation,
                        Variant::Plain,
                        Expect::Control,
                    );
                    self.controls.push(probe);
                    taken += 1;
                }
            }
        }
    }

    fn record_reads(&mut self) {
        let reads: Vec<&EndpointRef> = self.surface.record_reads().collect();
        for endpoint in reads {
            for role in self.roles() {
                for relation in &Relation::ALL[..6] {
                    let mut rng = self.rng(&format!("read/{}/{role}/{relation}", endpoint.key));
                    let pairs = self.index.pairs(
                        role,
                        endpoint.kind,
                        *relation,
                        self.config.per_cell,
                        &mut rng,
                    );
                    for (a, r) in pairs {
                        let (actor, record) = (self.index.identity(a), self.index.record(r));
                        let allowed = self
                            .policy
                            .may_see(self.index.population, actor, record)
                            .is_allowed();
                        let (family, expect) = if allowed {
                            (Family::AllowedRead, Expect::Visible)
                        } else {
                            (Family::DirectRead, Expect::Refusal)
                        };
                        self.add(
                            family,
                            endpoint,
                            Some(actor),
                            Some(record),
                            *relation,
                            Variant::Plain,
                            expect,
                        );
                    }
                }
            }
        }
    }

    /// Forbidden updates and deletes, aimed at the pool's write case files: every role tries, from the same
    /// tenant and from another.
    fn writes(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
        let writes: Vec<&EndpointRef> = self
            .surface
            .endpoints
            .iter()
            .filter(|e| matches!(e.op, Op::Update | Op::Delete) && e.param == Param::Record)
            .collect();
        for endpoint in writes {
            // The victims: the records of the endpoint's kind in the pool's write case files.
            let victims: Vec<&'a Record> = pool
                .write
                .values()
                .filter_map(|case| all.by_kind_case.get(&(endpoint.kind, *case)))
                .flatten()
                .map(|&r| all.record(r))
                .collect();
            if victims.is_empty() {
                continue;
            }
            for role in self.roles() {
                let Some(actors) = all.roles.get(role) else {
                    continue;
                };
                for relation in [Relation::SameTenant, Relation::OtherTenant] {
                    let mut rng = self.rng(&format!("write/{}/{role}/{relation}", endpoint.key));
                    let mut pairs = Vec::new();
                    for _ in 0..self.config.per_cell * 24 {
                        if pairs.len() >= self.config.per_cell {
                            break;
                        }
                        let actor = all.identity(actors[rng.below(actors.len())]);
                        let record = victims[rng.below(victims.len())];
                        // Any identity the policy does not let change the record: strangers, and
                        // those who may only read it.
                        if Relation::of(actor, record) != relation
                            || self
                                .policy
                                .may_write(all.population, actor, record)
                                .is_allowed()
                            || pairs.contains(&(actor.key.as_str(), record.key.as_str()))
                        {
                            continue;
                        }
                        pairs.push((actor.key.as_str(), record.key.as_str()));
                        self.add(
                            Family::DirectWrite,
                            endpoint,
                            Some(actor),
                            Some(record),
                            relation,
                            Variant::Plain,
                            Expect::Refusal,
                        );
                    }
                }
            }
        }
    }

    fn collections(&mut self) {
        let endpoints: Vec<&EndpointRef> = self.surface.collections().collect();
        for endpoint in endpoints {
            for role in self.roles() {
                let granted = endpoint
                    .granted
                    .as_ref()
                    .is_none_or(|g| g.iter().any(|r| r == role));
                let family = match (granted, endpoint.op) {
                    (false, _) => Family::FunctionLevel,
                    (true, Op::Export) => Family::Export,
                    (true, _) => Family::Collection,
                };
                let expect = if granted {
                    Expect::Visible
                } else {
                    Expect::Refusal
                };
                let mut rng = self.rng(&format!("collection/{}/{role}", endpoint.key));
                for a in self.index.actors(role, self.config.per_cell, &mut rng) {
                    let actor = self.index.identity(a);
                    self.add(
                        family,
                        endpoint,
                        Some(actor),
                        None,
                        Relation::Collection,
                        Variant::Plain,
                        expect,
                    );
                }
            }
        }
    }

    fn searches(&mut self) {
        let endpoints: Vec<&EndpointRef> = self.surface.with_op(Op::Search).collect();
        for endpoint in endpoints {
            for role in self.roles() {
                for relation in &Relation::ALL[..6] {
                    let mut rng = self.rng(&format!("search/{}/{role}/{relation}", endpoint.key));
                    let pairs = self.index.pairs(
                        role,
                        endpoint.kind,
                        *relation,
                        self.config.per_cell,
                        &mut rng,
                    );
                    for (a, r) in pairs {
                        let (actor, record) = (self.index.identity(a), self.index.record(r));
                        self.add(
                            Family::Search,
                            endpoint,
                            Some(actor),
                            Some(record),
                            *relation,
                            Variant::Plain,
                            Expect::Visible,
                        );
                    }
                }
            }
        }
    }

    fn functions(&mut self) {
        let functions: Vec<&EndpointRef> = self
            .surface
            .endpoints
            .iter()
            .filter(|e| e.granted.is_some() && e.param != Param::None)
            .collect();
        for endpoint in functions {
            let granted = endpoint.granted.clone().unwrap_or_default();
            for role in self.roles() {
                if granted.iter().any(|g| g == role) {
                    continue;
                }
                let mut rng = self.rng(&format!("function/{}/{role}", endpoint.key));
                for a in self.index.actors(role, self.config.per_cell, &mut rng) {
                    let actor = self.index.identity(a);
                    let Some(r) =
                        self.index
                            .visible_record(self.policy, actor, endpoint.kind, &mut rng)
                    else {
                        continue;
                    };
                    let record = self.index.record(r);
                    self.add(
                        Family::FunctionLevel,
                        endpoint,
                        Some(actor),
                        Some(record),
                        Relation::of(actor, record),
                        Variant::Plain,
                        Expect::Refusal,
                    );
                }
            }
        }
    }

    fn tenant_selectors(&mut self) {
        if self.index.tenants.len() < 2 {
            return;
        }
        let collections: Vec<&EndpointRef> = self
            .surface
            .collections()
            .filter(|e| e.op != Op::Call || e.granted.is_some())
            .collect();
        let reads: Vec<&EndpointRef> = self
            .surface
            .record_reads()
            .filter(|e| e.param == Param::Record)
            .collect();
        for selector in self.surface.tenant_selectors.clone() {
            for role in self.roles() {
                let mut rng = self.rng(&format!("selector/{selector}/{role}"));
                // Collections the role may call, naming another tenant: only foreign data counts.
                for endpoint in &collections {
                    let granted = endpoint
                        .granted
                        .as_ref()
                        .is_none_or(|g| g.iter().any(|r| r == role));
                    if !granted {
                        continue;
                    }
                    for a in self.index.actors(role, 1, &mut rng) {
                        let actor = self.index.identity(a);
                        let Some(tenant) = self.index.other_tenant(&actor.tenant, &mut rng) else {
                            continue;
                        };
                        self.add(
                            Family::TenantSelector,
                            endpoint,
                            Some(actor),
                            None,
                            Relation::Collection,
                            Variant::Selector {
                                selector: selector.clone(),
                                tenant: tenant.to_string(),
                            },
                            Expect::Visible,
                        );
                    }
                }
                // Another tenant's records read by identifier, the selector naming their tenant.
                for endpoint in &reads {
                    let pairs =
                        self.index
                            .pairs(role, endpoint.kind, Relation::OtherTenant, 1, &mut rng);
                    for (a, r) in pairs {
                        let (actor, record) = (self.index.identity(a), self.index.record(r));
                        if self
                            .policy
                            .may_see(self.index.population, actor, record)
                            .is_allowed()
                        {
                            continue;
                        }
                        self.add(
                            Family::TenantSelector,
                            endpoint,
                            Some(actor),
                            Some(record),
                            Relation::OtherTenant,
                            Variant::Selector {
                                selector: selector.clone(),
                                tenant: record.tenant.clone(),
                            },
                            Expect::Refusal,
                        );
                    }
                }
            }
        }
    }

    fn identifier_guessing(&mut self) {
        let reads: Vec<&EndpointRef> = self
            .surface
            .record_reads()
            .filter(|e| e.param == Param::Record)
            .collect();
        for endpoint in reads {
            for role in self.roles() {
                let mut rng = self.rng(&format!("guess/{}/{role}", endpoint.key));
                // Neighbours of the caller's own identifiers: judged by the data they return.
                let own = self.index.pairs(
                    role,
                    endpoint.kind,
                    Relation::Own,
                    self.config.per_cell.min(2),
                    &mut rng,
                );
                for (a, r) in own {
                    let (actor, record) = (self.index.identity(a), self.index.record(r));
                    for offset in [-1_i64, 1, 2] {
                        self.add(
                            Family::IdentifierGuessing,
                            endpoint,
                            Some(actor),
                            Some(record),
                            Relation::Own,
                            Variant::Neighbour { offset },
                            Expect::Visible,
                        );
                    }
                }
                // A forbidden object and a missing one must answer alike.
                for relation in [Relation::SameTenant, Relation::OtherTenant] {
                    let pairs = self.index.pairs(role, endpoint.kind, relation, 1, &mut rng);
                    for (a, r) in pairs {
                        let (actor, record) = (self.index.identity(a), self.index.record(r));
                        if self
                            .policy
                            .may_see(self.index.population, actor, record)
                            .is_allowed()
                        {
                            continue;
                        }
                        self.add(
                            Family::IdentifierGuessing,
                            endpoint,
                            Some(actor),
                            Some(record),
                            relation,
                            Variant::Missing,
                            Expect::Existence,
                        );
                    }
                }
            }
        }
    }

    fn anonymous(&mut self) {
        let endpoints: Vec<&EndpointRef> =
            self.surface.endpoints.iter().filter(|e| e.safe).collect();
        for endpoint in endpoints {
            let mut rng = self.rng(&format!("anonymous/{}", endpoint.key));
            if endpoint.param == Param::None {
                self.add(
                    Family::Anonymous,
                    endpoint,
                    None,
                    None,
                    Relation::Collection,
                    Variant::Plain,
                    Expect::Refusal,
                );
                continue;
            }
            let Some(pool) = self.index.by_kind.get(&endpoint.kind).cloned() else {
                continue;
            };
            let mut seen = BTreeSet::new();
            for _ in 0..self.config.per_cell {
                let r = pool[rng.below(pool.len())];
                if !seen.insert(r) {
                    continue;
                }
                let record = self.index.record(r);
                self.add(
                    Family::Anonymous,
                    endpoint,
                    None,
                    Some(record),
                    Relation::OtherTenant,
                    Variant::Plain,
                    Expect::Refusal,
                );
            }
        }
    }

    /// Each pool assignment case file's owner updates it with one field at a time naming someone else: an
    /// identity of another tenant (owner fields) or another tenant (tenant fields). The executor stops
    /// trying once the record has left its owner's reach.
    fn mass_assignment(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
        let updates: Vec<&EndpointRef> = self
            .surface
            .endpoints
            .iter()
            .filter(|e| e.op == Op::Update && e.param == Param::Record && e.open_body)
            .collect();
        for endpoint in updates {
            for case in pool.assign.values() {
                let Some(&r) = all
                    .by_kind_case
                    .get(&(endpoint.kind, *case))
                    .and_then(|v| v.first())
                else {
                    continue;
                };
                let record = all.record(r);
                let Some(owner) = all.population.owners_of(record).next() else {
                    continue;
                };
                let mut rng = self.rng(&format!("assign/{}/{}", endpoint.key, record.key));
                let forbidden = |i: &&Identity| {
                    i.role == owner.role
                        && i.key != owner.key
                        && !self.policy.may_see(all.population, i, record).is_allowed()
                };
                let mut strangers: Vec<&Identity> = all
                    .population
                    .identities()
                    .iter()
                    .filter(|i| forbidden(i) && i.tenant != owner.tenant)
                    .collect();
                // A world of one tenant (a platform without tenants): strangers of the same tenant.
                if all.tenants.len() < 2 {
                    strangers = all
                        .population
                        .identities()
                        .iter()
                        .filter(forbidden)
                        .collect();
                }
                let fields = self
                    .surface
                    .owner_fields
                    .iter()
                    .map(|f| (f, true))
                    .chain(self.surface.tenant_fields.iter().map(|f| (f, false)));
                for (field, names_identity) in fields {
                    let named = if names_identity {
                        let Some(stranger) = strangers.get(rng.below(strangers.len())) else {
                            continue;
                        };
                        Named::Identity(stranger.key.clone())
                    } else {
                        let Some(tenant) = all.other_tenant(&owner.tenant, &mut rng) else {
                            continue;
                        };
                        Named::Tenant(tenant.to_string())
                    };
                    self.add(
                        Family::MassAssignment,
                        endpoint,
                        Some(owner),
                        Some(record),
                        Relation::Own,
                        Variant::Assign {
                            field: field.clone(),
                            named,
                        },
                        Expect::Refusal,
                    );
                }
            }
        }
    }

    fn need_met(&self, need: Need) -> bool {
        let s = self.surface;
        match need {
            Need::RecordRead => s.record_reads().next().is_some(),
            Need::RecordWrite => s
                .endpoints
                .iter()
                .any(|e| matches!(e.op, Op::Update | Op::Delete) && e.param == Param::Record),
            Need::UpdateBody => s
                .endpoints
                .iter()
                .any(|e| e.op == Op::Update && e.open_body && e.param == Param::Record),
            Need::Collection => s.collections().any(|e| e.op != Op::Export),
            Need::Search => s.with_op(Op::Search).next().is_some(),
            Need::Export => s.with_op(Op::Export).next().is_some(),
            Need::Functions => s.endpoints.iter().any(|e| {
                e.granted
                    .as_ref()
                    .is_some_and(|g| self.index.roles.keys().any(|r| !g.iter().any(|x| x == r)))
            }),
            Need::Tenancy => !self.surface.no_tenants,
            Need::Tenants => self.index.tenants.len() >= 2,
            Need::Identifiers => !self.index.population.records().is_empty(),
            Need::Transitions => !self.surface.transitions.is_empty(),
        }
    }
}

/// Plan every family that applies to `surface` over `population` under `policy`.
pub fn plan(
    population: &Population,
    policy: &AccessPolicy,
    surface: &Surface,
    config: PlanConfig,
) -> Planned {
    let all = Index::new(population);
    let pool = all.pool(&mut Rng::new(config.seed, "pool"));
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

    let mut coverage = Vec::new();
    for family in Family::ALL {
        let mut unmet: Vec<&str> = family
            .needs()
            .iter()
            .filter(|n| !b.need_met(**n))
            .map(|n| n.explain())
            .collect();
        // Without tenants, a world of a single tenant is not another reason: it follows.
        if !b.need_met(Need::Tenancy) {
            unmet.retain(|n| *n != Need::Tenants.explain());
        }
        let cells = b.cells.get(&family);
        let probes = cells.map_or(0, |c| c.values().map(Vec::len).sum());
        let skipped = if !unmet.is_empty() {
            Some(format!("not applicable: {}", unmet.join("; ")))
        } else if probes == 0 && family != Family::Stateful {
            // The stateful family's sequences are generated while it runs (`crate::stateful`).
            Some(match family {
                Family::DirectRead | Family::DirectWrite => {
                    "no identity is denied any record: the policy grants everything, or the world has a single identity".to_string()
                }
                Family::MassAssignment => {
                    "no identity owns a record it could update".to_string()
                }
                _ => "no probe could be planned from this world and policy".to_string(),
            })
        } else {
            None
        };
        coverage.push(FamilyPlan {
            family,
            probes,
            cells: cells.map_or(0, BTreeMap::len),
            skipped,
        });
    }

    // Interleave the safe probes: round after round, each cell gives its next probe, and within a round the
    // families take turns, so that every family, then every cell, gets its first probe early. Probes that
    // change data aim at the pool only; they run first, one at a time, deletes last.
    let mut probes = Vec::new();
    let mut mutating = Vec::new();
    let mut deletes = Vec::new();
    let mut families: Vec<Vec<std::collections::VecDeque<Probe>>> = Vec::new();
    for family in Family::ALL {
        let Some(cells) = b.cells.remove(&family) else {
            continue;
        };
        let mut queues = Vec::new();
        for (_, list) in cells {
            let (safe, unsafe_): (Vec<Probe>, Vec<Probe>) = list
                .into_iter()
                .partition(|p| surface.endpoint(&p.endpoint).is_some_and(|e| e.safe));
            for p in unsafe_ {
                if surface
                    .endpoint(&p.endpoint)
                    .is_some_and(|e| e.op == Op::Delete)
                {
                    deletes.push(p);
                } else {
                    mutating.push(p);
                }
            }
            if !safe.is_empty() {
                queues.push(std::collections::VecDeque::from(safe));
            }
        }
        if !queues.is_empty() {
            // Within a family, endpoints take turns too.
            let mut by_endpoint: BTreeMap<String, Vec<std::collections::VecDeque<Probe>>> =
                BTreeMap::new();
            for q in queues {
                let key = q.front().map(|p| p.endpoint.clone()).unwrap_or_default();
                by_endpoint.entry(key).or_default().push(q);
            }
            let mut groups: Vec<std::vec::IntoIter<std::collections::VecDeque<Probe>>> =
                by_endpoint.into_values().map(Vec::into_iter).collect();
            let mut ordered = Vec::new();
            loop {
                let before = ordered.len();
                for g in &mut groups {
                    if let Some(q) = g.next() {
                        ordered.push(q);
                    }
                }
                if ordered.len() == before {
                    break;
                }
            }
            families.push(ordered);
        }
    }
    loop {
        // One round: the next probe of every cell, families taking turns.
        let mut round: Vec<Vec<Probe>> = families
            .iter_mut()
            .map(|cells| cells.iter_mut().filter_map(|q| q.pop_front()).collect())
            .collect();
        if round.iter().all(Vec::is_empty) {
            break;
        }
        let longest = round.iter().map(Vec::len).max().unwrap_or(0);
        let mut iters: Vec<std::vec::IntoIter<Probe>> =
            round.drain(..).map(Vec::into_iter).collect();
        for _ in 0..longest {
            for it in &mut iters {
                if let Some(p) = it.next() {
                    probes.push(p);
                }
            }
        }
    }
    mutating.sort_by_key(|p| match p.family {
        Family::FunctionLevel => 0,
        Family::MassAssignment => 1,
        _ => 2,
    });
    mutating.extend(deletes);
    Planned {
        controls: b.controls,
        probes,
        mutating,
        coverage,
        pool: pool.cases().into_iter().map(str::to_string).collect(),
    }
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
            {
                continue;
            }
            out.push(Probe {
                actor: Some(actor.key.clone()),
                record: Some(record.key.clone()),
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
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use proptest::test_runner::{Config, TestError, TestRunner};

    use super::*;
    use crate::policy::Scope;
    use crate::probes::cell_strategy;
    use crate::surface::{
        DEFAULT_OWNER_FIELDS, DEFAULT_TENANT_FIELDS, DEFAULT_TENANT_HEADERS, Selector,
    };

    /// Two tenants, each with three applicants (one case file and two documents each), one agent; one
    /// representative in tenant 13 who represents applicant 0 and used to represent applicant 1.
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
                    formerly_represents: BTreeSet::new(),
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

    fn policy() -> AccessPolicy {
        AccessPolicy::new()
            .with_role("applicant", [Scope::Own])
            .with_role("representative", [Scope::Own, Scope::Represented])
            .with_role("agent", [Scope::Tenant])
    }

    fn endpoint(key: &str, kind: RecordKind, op: Op, param: Param, safe: bool) -> EndpointRef {
        EndpointRef {
            key: key.into(),
            kind,
            op,
            param,
            safe,
            granted: None,
            open_body: !safe,
        }
    }

    fn surface() -> Surface {
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
            role_fields: Vec::new(),
            transitions: [crate::stateful::TransitionKind::Logout].into(),
            no_tenants: false,
        }
    }

    fn config() -> PlanConfig {
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
            // The stateful family's sequences are generated while it runs, not planned here.
            assert!(
                family.probes > 0 || family.family == Family::Stateful,
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
                    key: format!("c{tenant}-{n}"),
                    kind: RecordKind::Case,
                    tenant: tenant.into(),
                    person,
                    case: format!("c{tenant}-{n}"),
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
}
