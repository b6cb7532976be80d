//! Victims reserved per cell for the probes that change data: each probe aims at its own record of the
//! pool where the pool allows (cells start at different records, turn by turn), with the other records it
//! fits to fall back on once its own is used up ([`crate::reserve`]). A cell that the world forbids but no
//! record of the pool fits is planned all the same, without a record: it is reported as not sent, "no
//! record left to reserve", never dropped.

use std::collections::BTreeMap;

use crate::family::Family;
use crate::policy::DataOwner;
use crate::population::{Identity, Record, RecordKind};
use crate::probes::{Expect, Named, Probe, Relation, Variant};
use crate::surface::EndpointRef;

use super::builder::Builder;
use super::index::{Index, Pool};

/// A cell of probes that change data: their family, endpoint, caller role and relation to the victim.
#[derive(Debug, Clone, Copy)]
pub(super) struct WriteCell<'e> {
    pub(super) family: Family,
    pub(super) endpoint: &'e EndpointRef,
    pub(super) role: &'e str,
    pub(super) relation: Relation,
}

/// At most this many records a probe may fall back on.
pub(super) const ALTERNATES: usize = 8;

/// The records of `kind` in the pool's case files, tenant by tenant, in the pool's order.
pub(super) fn pooled<'a>(pool: &Pool<'a>, all: &Index<'a>, kind: RecordKind) -> Vec<&'a Record> {
    pool.cases
        .values()
        .flatten()
        .filter_map(|case| all.by_kind_case.get(&(kind, *case)))
        .flatten()
        .map(|&r| all.record(r))
        .collect()
}

/// The owner of each person of the pool (one pass over the identities).
pub(super) fn pool_owners<'a>(pool: &Pool<'a>, all: &Index<'a>) -> BTreeMap<&'a str, &'a Identity> {
    let persons: BTreeMap<&str, ()> = pool
        .cases
        .values()
        .flatten()
        .filter_map(|case| all.by_kind_case.get(&(RecordKind::Case, *case)))
        .flatten()
        .map(|&r| (all.record(r).person.as_str(), ()))
        .collect();
    let mut owners = BTreeMap::new();
    for identity in all.population.identities() {
        if let Some(person) = identity.person.as_deref()
            && let Some((&person, ())) = persons.get_key_value(person)
        {
            owners.entry(person).or_insert(identity);
        }
    }
    owners
}

/// In `tenant`, the first record of `kind` of each pool case file, with its owner.
pub(super) fn owned_in<'a>(
    pool: &Pool<'a>,
    all: &Index<'a>,
    owners: &BTreeMap<&'a str, &'a Identity>,
    kind: RecordKind,
    tenant: &str,
) -> Vec<(&'a Record, &'a Identity)> {
    pool.cases
        .get(tenant)
        .into_iter()
        .flatten()
        .filter_map(|case| all.by_kind_case.get(&(kind, *case))?.first())
        .map(|&r| all.record(r))
        .filter_map(|record| Some((record, *owners.get(record.person.as_str())?)))
        .collect()
}

/// `items` from `start` on, then those before it.
fn rotated<T: Copy>(items: &[T], start: usize) -> impl Iterator<Item = T> + '_ {
    let start = if items.is_empty() {
        0
    } else {
        start % items.len()
    };
    items[start..].iter().chain(&items[..start]).copied()
}

impl<'a> Builder<'a> {
    /// One cell of forbidden writes: up to `per_cell` probes, each by a drawn actor of `role` on its own
    /// record of the pool in `relation` that the actor may not change, with the records it may fall back on.
    pub(super) fn write_cell(
        &mut self,
        all: &Index<'a>,
        cell: WriteCell<'_>,
        victims: &[&'a Record],
        turn: &mut usize,
    ) {
        let WriteCell {
            family,
            endpoint,
            role,
            relation,
        } = cell;
        let Some(actors) = all.roles.get(role) else {
            return;
        };
        // Direct writes keep the stream they always had (the same seed plans the same probes).
        let stream = match family {
            Family::DirectWrite => "write",
            other => other.name(),
        };
        let mut rng = self.rng(&format!("{stream}/{}/{role}/{relation}", endpoint.key));
        let mut planned: Vec<(&str, &str)> = Vec::new();
        for _ in 0..self.config.per_cell * 24 {
            if planned.len() >= self.config.per_cell {
                break;
            }
            let actor = all.identity(actors[rng.below(actors.len())]);
            let fits: Vec<&'a Record> = rotated(victims, *turn)
                .filter(|record| {
                    Relation::of(actor, record) == relation
                        && self.forbids(all, family, endpoint, actor, record)
                })
                .take(ALTERNATES + 1)
                .collect();
            let Some(first) = fits.first() else {
                continue;
            };
            if planned.contains(&(actor.key.as_str(), first.key.as_str())) {
                continue;
            }
            *turn += 1;
            planned.push((actor.key.as_str(), first.key.as_str()));
            let probe = |record: &Record| {
                self.probe(
                    family,
                    endpoint,
                    Some(actor),
                    Some(record),
                    relation,
                    Variant::Plain,
                    Expect::Refusal,
                )
            };
            let primary = probe(first);
            let alternates = fits[1..].iter().map(|r| probe(r)).collect();
            self.reserve.add(&primary, alternates);
            self.push(primary);
        }
        if planned.is_empty()
            && let Some(actor) =
                self.forbidden_writer(all, role, family, endpoint, relation, &mut rng)
        {
            let probe = self.probe(
                family,
                endpoint,
                Some(actor),
                None,
                relation,
                Variant::Plain,
                Expect::Refusal,
            );
            self.push(probe);
        }
    }

    /// Whether the policy forbids `actor` what a probe of `family` through `endpoint` does to `record`:
    /// change it (a write), or file a record of the endpoint's kind under it (a foreign create, whose
    /// victim is the parent case file).
    fn forbids(
        &self,
        all: &Index<'a>,
        family: Family,
        endpoint: &EndpointRef,
        actor: &Identity,
        record: &Record,
    ) -> bool {
        let owner = match family {
            Family::ForeignCreate => DataOwner {
                kind: Some(endpoint.kind),
                ..DataOwner::of_record(record)
            },
            _ => DataOwner::of_record(record),
        };
        !self
            .policy
            .decide_write(all.population, actor, &owner)
            .is_allowed()
    }

    /// An actor of `role` that the policy forbids what `family` does through `endpoint` to some record in
    /// `relation`, anywhere in the world: the cell exists, whether or not the pool has a record for it.
    fn forbidden_writer(
        &self,
        all: &Index<'a>,
        role: &str,
        family: Family,
        endpoint: &EndpointRef,
        relation: Relation,
        rng: &mut super::rng::Rng,
    ) -> Option<&'a Identity> {
        let kind = match family {
            Family::ForeignCreate => RecordKind::Case,
            _ => endpoint.kind,
        };
        all.pairs(role, kind, relation, 8, rng)
            .into_iter()
            .map(|(a, r)| (all.identity(a), all.record(r)))
            .find(|(actor, record)| self.forbids(all, family, endpoint, actor, record))
            .map(|(actor, _)| actor)
    }

    /// One tenant's probe of a mass-assignment cell (an endpoint and a field): the owner of a pool case file
    /// of the tenant (the cell's turn picks which) slips `field`, naming a stranger or another tenant; the
    /// other case files of the tenant to fall back on.
    pub(super) fn assign_cell(
        &mut self,
        all: &Index<'a>,
        endpoint: &EndpointRef,
        field: &str,
        names_identity: bool,
        candidates: &[(&'a Record, &'a Identity)],
        turn: usize,
    ) {
        let mut probes: Vec<Probe> = Vec::new();
        for (record, owner) in rotated(candidates, turn) {
            let mut rng = self.rng(&format!("assign/{}/{}/{field}", endpoint.key, record.key));
            let Some(named) = self.named(all, record, owner, names_identity, &mut rng) else {
                continue;
            };
            probes.push(self.probe(
                Family::MassAssignment,
                endpoint,
                Some(owner),
                Some(record),
                Relation::Own,
                Variant::Assign {
                    field: field.to_string(),
                    named,
                },
                Expect::Refusal,
            ));
            if probes.len() > ALTERNATES {
                break;
            }
        }
        let mut probes = probes.into_iter();
        if let Some(primary) = probes.next() {
            self.reserve.add(&primary, probes.collect());
            self.push(primary);
        }
    }

    /// Whom a slipped field names: an identity of the owner's role in another tenant (the same tenant in a
    /// world of one) that may not see the record, or another tenant.
    fn named(
        &self,
        all: &Index<'a>,
        record: &Record,
        owner: &Identity,
        names_identity: bool,
        rng: &mut super::rng::Rng,
    ) -> Option<Named> {
        if !names_identity {
            return all
                .other_tenant(&owner.tenant, rng)
                .map(|t| Named::Tenant(t.to_string()));
        }
        let peers = all.roles.get(owner.role.as_str())?;
        let one_tenant = all.tenants.len() < 2;
        (0..64).find_map(|_| {
            let stranger = all.identity(peers[rng.below(peers.len())]);
            let fits = stranger.key != owner.key
                && (one_tenant || stranger.tenant != owner.tenant)
                && !self
                    .policy
                    .may_see(all.population, stranger, record)
                    .is_allowed();
            fits.then(|| Named::Identity(stranger.key.clone()))
        })
    }
}
