//! The families that cross boundaries: tenant selectors, identifier guessing and anonymous calls.

use std::collections::BTreeSet;

use crate::family::Family;
use crate::probes::{Expect, Relation, Variant};
use crate::surface::{EndpointRef, Op, Param};

use super::builder::Builder;

impl<'a> Builder<'a> {
    pub(super) fn tenant_selectors(&mut self) {
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
                                tenant: record.tenant.to_string(),
                            },
                            Expect::Refusal,
                        );
                    }
                }
            }
        }
    }

    pub(super) fn identifier_guessing(&mut self) {
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

    pub(super) fn anonymous(&mut self) {
        let endpoints: Vec<&EndpointRef> =
            self.surface.endpoints.iter().filter(|e| e.safe).collect();
        for endpoint in endpoints {
            let mut rng = self.rng(&format!("anonymous/{}", endpoint.key));
            // A request that names its caller borrows an identity's values (drawn from a stream of its own).
            let mut lend = self.rng(&format!("anonymous-lender/{}", endpoint.key));
            if endpoint.param == Param::None {
                if let Some(variant) = self.anonymous_variant(endpoint, None, &mut lend) {
                    self.add(
                        Family::Anonymous,
                        endpoint,
                        None,
                        None,
                        Relation::Collection,
                        variant,
                        Expect::Refusal,
                    );
                }
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
                let Some(variant) = self.anonymous_variant(endpoint, Some(record), &mut lend)
                else {
                    continue;
                };
                self.add(
                    Family::Anonymous,
                    endpoint,
                    None,
                    Some(record),
                    Relation::OtherTenant,
                    variant,
                    Expect::Refusal,
                );
            }
        }
    }
}
