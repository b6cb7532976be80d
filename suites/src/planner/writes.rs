//! The families that change data, aimed at the pool: forbidden writes, functions of other roles and
//! mass assignment.

use crate::family::Family;
use crate::probes::{Expect, Relation, Variant};
use crate::surface::{EndpointRef, Op, Param};

use super::builder::Builder;
use super::index::{Index, Pool};
use super::reserved::{owned_in, pool_owners, pooled};

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
                    self.write_cell(all, endpoint, role, relation, &victims, &mut turn);
                }
            }
        }
    }

    pub(super) fn functions(&mut self) {
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
