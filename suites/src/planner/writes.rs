//! The families that change data, aimed at the pool: forbidden writes, functions of other roles and
//! mass assignment.

use crate::family::Family;
use crate::probes::{Expect, Relation, Variant};
use crate::surface::{CallerUse, EndpointRef, Op, Param};

use super::builder::Builder;
use super::index::{Index, Pool};
use super::reserved::{WriteCell, owned_in, pool_owners, pooled};

impl<'a> Builder<'a> {
    /// Every role updates and deletes records of the pool it may not change, per cell (endpoint, role,
    /// relation): each probe with its own victim where the pool allows and the others to fall back on
    /// (`planner::reserved`); a cell that no record of the pool fits is planned as not sent.
    pub(super) fn writes(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
        let writes: Vec<&EndpointRef> = self
            .surface
            .endpoints
            .iter()
            .filter(|e| matches!(e.op, Op::Update | Op::Delete) && e.param == Param::Record)
            .collect();
        let mut turn = 0;
        for endpoint in writes {
            let victims = pooled(pool, all, endpoint.kind);
            for role in self.roles() {
                for relation in [Relation::SameTenant, Relation::OtherTenant] {
                    let cell = WriteCell {
                        family: Family::DirectWrite,
                        endpoint,
                        role,
                        relation,
                    };
                    self.write_cell(all, cell, &victims, &mut turn);
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
            if endpoint.effect {
                self.effect_function(endpoint);
                continue;
            }
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

    /// A function whose effect is read back: `per_cell` identities of each role not granted it call it, and
    /// a caller without credentials too unless its templates name the caller. Each probe aims at a record a
    /// granted role sets aside for it (the profile's `setup`), never at the world's or the platform's own.
    fn effect_function(&mut self, endpoint: &EndpointRef) {
        for role in self.roles_not_granted(endpoint) {
            let mut rng = self.rng(&format!("function/{}/{role}", endpoint.key));
            for a in self.index.actors(role, self.config.per_cell, &mut rng) {
                let actor = self.index.identity(a);
                self.add(
                    Family::FunctionLevel,
                    endpoint,
                    Some(actor),
                    None,
                    Relation::Collection,
                    Variant::Effect,
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
                Variant::Effect,
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

    /// In every tenant, the owner of a pool case file updates it with one field at a time naming someone
    /// else: an identity of another tenant (owner fields) or another tenant (tenant fields). Each field
    /// starts on another case file of the pool, and falls back on the others once its own is used up.
    pub(super) fn mass_assignment(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
        let updates: Vec<&EndpointRef> = self
            .surface
            .endpoints
            .iter()
            .filter(|e| e.op == Op::Update && e.param == Param::Record && e.open_body)
            .collect();
        let owners = pool_owners(pool, all);
        for endpoint in updates {
            let fields: Vec<(String, bool)> = self
                .surface
                .owner_fields
                .iter()
                .map(|f| (f.clone(), true))
                .chain(
                    self.surface
                        .tenant_fields
                        .iter()
                        .map(|f| (f.clone(), false)),
                )
                .collect();
            for (turn, (field, names_identity)) in fields.into_iter().enumerate() {
                for tenant in all.tenants.clone() {
                    let candidates = owned_in(pool, all, &owners, endpoint.kind, tenant);
                    self.assign_cell(all, endpoint, &field, names_identity, &candidates, turn);
                }
            }
        }
    }
}
