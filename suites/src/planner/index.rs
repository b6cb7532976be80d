//! Indexes of a population for sampling: records by kind, tenant, person and case file; the pairs of an
//! actor and a record in a relation; and the pool of case files set aside for the probes that change data.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::policy::AccessPolicy;
use crate::population::{Identity, Population, Record, RecordKind};
use crate::probes::Relation;

use super::rng::Rng;

/// Indexes of a population for sampling.
pub(super) struct Index<'a> {
    pub(super) population: &'a Population,
    pub(super) roles: BTreeMap<&'a str, Vec<usize>>,
    pub(super) by_kind: BTreeMap<RecordKind, Vec<usize>>,
    pub(super) by_kind_tenant: HashMap<(RecordKind, &'a str), Vec<usize>>,
    pub(super) by_kind_person: HashMap<(RecordKind, &'a str), Vec<usize>>,
    pub(super) by_kind_case: HashMap<(RecordKind, &'a str), Vec<usize>>,
    pub(super) tenants: Vec<&'a str>,
}

/// Per tenant, the case files set aside for the probes that change data: their records are never the
/// victims of any other probe, so a successful write or assignment cannot disturb what other probes judge.
/// Each probe that changes data gets its own victim among them where the pool allows, and others to fall
/// back on (see [`crate::reserve`]).
#[derive(Debug, Clone, Default)]
pub(super) struct Pool<'a> {
    /// Per tenant, its case files set aside, in the order they were drawn.
    pub(super) cases: BTreeMap<&'a str, Vec<&'a str>>,
}

impl Pool<'_> {
    pub(super) fn cases(&self) -> BTreeSet<&str> {
        self.cases.values().flatten().copied().collect()
    }
}

/// How many case files of a tenant that has `cases` may be set aside when `want` are asked for: at least
/// one is always left to the other probes, and at most a quarter beyond the first two (the other probes
/// keep their variety).
pub(super) fn pool_size(cases: usize, want: usize) -> usize {
    let cap = cases.saturating_sub(1).min(2).max(cases / 4);
    want.min(cap)
}

impl<'a> Index<'a> {
    /// The same index without the records of `cases`.
    pub(super) fn without(&self, cases: &BTreeSet<&str>) -> Index<'a> {
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

    /// Choose the pool: per tenant, up to `want` case files (see [`pool_size`]) whose person has an account
    /// of their own and is nobody's represented person (so that no relation other probes need is lost),
    /// drawn with `rng`.
    pub(super) fn pool(&self, rng: &mut Rng, want: usize) -> Pool<'a> {
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
            rng.shuffle(&mut candidates);
            let picks: Vec<&'a str> = candidates
                .into_iter()
                .take(pool_size(cases.len(), want))
                .map(|r| r.case.as_str())
                .collect();
            if !picks.is_empty() {
                pool.cases.insert(tenant, picks);
            }
        }
        pool
    }

    pub(super) fn new(population: &'a Population) -> Self {
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

    pub(super) fn identity(&self, i: usize) -> &'a Identity {
        &self.population.identities()[i]
    }

    pub(super) fn record(&self, i: usize) -> &'a Record {
        &self.population.records()[i]
    }

    /// Up to `n` (actor, record) pairs of `role` and `kind` in `relation`, drawn with `rng`.
    pub(super) fn pairs(
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
        match relation {
            Relation::Own
            | Relation::Represented
            | Relation::FormerlyRepresented
            | Relation::Assigned => self.personal_pairs(actors, kind, relation, n, rng),
            Relation::SameTenant | Relation::OtherTenant => {
                self.tenant_pairs(actors, kind, relation, n, rng)
            }
            Relation::Collection => Vec::new(),
        }
    }

    /// Pairs in a personal relation (own, represented, assigned): actors in a shuffled order, each with
    /// one of its related records.
    fn personal_pairs(
        &self,
        actors: &[usize],
        kind: RecordKind,
        relation: Relation,
        n: usize,
        rng: &mut Rng,
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut order = actors.to_vec();
        rng.shuffle(&mut order);
        for a in order {
            let actor = self.identity(a);
            let mut candidates = self.related(actor, kind, relation);
            candidates.retain(|&r| Relation::of(actor, self.record(r)) == relation);
            if candidates.is_empty() {
                continue;
            }
            out.push((a, candidates[rng.below(candidates.len())]));
            if out.len() >= n {
                break;
            }
        }
        out
    }

    /// The records of `kind` an actor is personally related to: its own, those of the persons it
    /// represents or represented, those of its assigned case files.
    fn related(&self, actor: &Identity, kind: RecordKind, relation: Relation) -> Vec<usize> {
        match relation {
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
        }
    }

    /// Pairs of the same or another tenant: random actors and records, distinct, in `relation`.
    fn tenant_pairs(
        &self,
        actors: &[usize],
        kind: RecordKind,
        relation: Relation,
        n: usize,
        rng: &mut Rng,
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
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
        out
    }

    /// Up to `n` identities of `role`, spread across tenants, drawn with `rng`.
    pub(super) fn actors(&self, role: &str, n: usize, rng: &mut Rng) -> Vec<usize> {
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
    pub(super) fn visible_record(
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

    pub(super) fn other_tenant(&self, tenant: &str, rng: &mut Rng) -> Option<&'a str> {
        let others: Vec<&str> = self
            .tenants
            .iter()
            .copied()
            .filter(|t| *t != tenant)
            .collect();
        (!others.is_empty()).then(|| others[rng.below(others.len())])
    }
}
