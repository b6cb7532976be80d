//! The families that read: controls, record reads (allowed and forbidden), collections and searches.

use crate::family::Family;
use crate::probes::{Expect, Relation, Variant};
use crate::surface::{EndpointRef, Op};

use super::builder::Builder;
use super::{Unplanned, UnplannedReason};

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
                    let Some(creator) = self.control_reader(endpoint, record) else {
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

    /// Who reads `record` through `endpoint` in a control: its creator, or its steward where the endpoint
    /// narrows the creator's role away from it (`narrow`); `None` if neither may.
    fn control_reader(
        &self,
        endpoint: &EndpointRef,
        record: &'a crate::population::Record,
    ) -> Option<&'a crate::population::Identity> {
        let population = self.index.population;
        let open = |who: &crate::population::Identity| {
            !self
                .policy
                .refused_through(&endpoint.key, population, who, record)
        };
        let creator = self.creator_of(record)?;
        if open(creator) {
            return Some(creator);
        }
        population.steward_of(record).filter(|steward| {
            self.policy
                .may_see(population, steward, record)
                .is_allowed()
                && open(steward)
        })
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
                        // Allowed, but the endpoint narrows the role: a refusal is expected there and
                        // what it serves is the actor's to see, so there is nothing to judge.
                        if allowed
                            && self.policy.refused_through(
                                &endpoint.key,
                                self.index.population,
                                actor,
                                record,
                            )
                        {
                            self.narrowed_out(Family::AllowedRead, endpoint, role);
                            continue;
                        }
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

    /// Record that `endpoint` narrows `role` so that some of the family's cells are not planned (once per
    /// family, endpoint and role).
    fn narrowed_out(&mut self, family: Family, endpoint: &EndpointRef, role: &str) {
        let unplanned = Unplanned {
            family,
            endpoint: endpoint.key.clone(),
            role: role.to_string(),
            reason: UnplannedReason::NarrowedByEndpoint,
        };
        if !self.unplanned.contains(&unplanned) {
            self.unplanned.push(unplanned);
        }
    }

    /// Lists, exports and `GET` functions with no record in their path, as every role (a function's
    /// callers not granted it expect a refusal).
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
