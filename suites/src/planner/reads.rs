//! The families that read: controls, record reads (allowed and forbidden), collections and searches.

use crate::family::Family;
use crate::probes::{Expect, Relation, Variant};
use crate::surface::{EndpointRef, Op};

use super::builder::Builder;

impl<'a> Builder<'a> {
    pub(super) fn controls(&mut self) {
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

    pub(super) fn record_reads(&mut self) {
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
    pub(super) fn collections(&mut self) {
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

    pub(super) fn searches(&mut self) {
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
}
