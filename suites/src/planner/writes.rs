//! The families that change data, aimed at the pool: forbidden writes, functions of other roles and
//! mass assignment.

use crate::family::Family;
use crate::population::{Identity, Record};
use crate::probes::{Expect, Named, Relation, Variant};
use crate::surface::{CallerUse, EndpointRef, Op, Param};

use super::builder::Builder;
use super::index::{Index, Pool};

impl<'a> Builder<'a> {
    pub(super) fn writes(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
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

    /// Functions called by the roles they are not granted (every role, for a function granted to nobody).
    /// A `GET` function with no record in its path is planned with the collections (its granted callers'
    /// answers are scanned too); one whose path names a record is called on a record the caller may see
    /// (its own), so that only the function is at stake; one that changes state and names no record is
    /// [`Builder::unconfined_function`].
    pub(super) fn functions(&mut self) {
        let functions: Vec<&EndpointRef> = self
            .surface
            .endpoints
            .iter()
            .filter(|e| e.granted.is_some() && !(e.safe && e.param == Param::None))
            .collect();
        for endpoint in functions {
            if endpoint.is_unconfined_write() {
                self.unconfined_function(endpoint);
                continue;
            }
            for role in self.roles_not_granted(endpoint) {
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

    /// A function that changes state and names no record (a purge, a year closed, a user deleted by a name
    /// the caller gives): one identity of each role not granted it calls it, and a caller without
    /// credentials too unless its templates name the caller. One call per role, not `per_cell`: each call
    /// that is not refused may change anything, and one is enough to show it.
    fn unconfined_function(&mut self, endpoint: &EndpointRef) {
        for role in self.roles_not_granted(endpoint) {
            let mut rng = self.rng(&format!("function/{}/{role}", endpoint.key));
            for a in self.index.actors(role, 1, &mut rng) {
                let actor = self.index.identity(a);
                self.add(
                    Family::FunctionLevel,
                    endpoint,
                    Some(actor),
                    None,
                    Relation::Collection,
                    Variant::Plain,
                    Expect::Refusal,
                );
            }
        }
        if endpoint.caller == CallerUse::Nothing {
            self.add(
                Family::FunctionLevel,
                endpoint,
                None,
                None,
                Relation::Collection,
                Variant::Plain,
                Expect::Refusal,
            );
        }
    }

    /// The roles of the world a function is not granted to (every role, for a function granted to nobody).
    fn roles_not_granted(&self, endpoint: &EndpointRef) -> Vec<&'a str> {
        let granted = endpoint.granted.as_deref().unwrap_or_default();
        self.roles()
            .into_iter()
            .filter(|role| !granted.iter().any(|g| g == role))
            .collect()
    }

    /// Each pool assignment case file's owner updates it with one field at a time naming someone else: an
    /// identity of another tenant (owner fields) or another tenant (tenant fields). The executor stops
    /// trying once the record has left its owner's reach.
    pub(super) fn mass_assignment(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
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
}
