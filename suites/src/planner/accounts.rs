//! The families that change accounts: privilege escalation (a role field sent at sign-up or in the
//! identity's own update) and account takeover (another identity's credential changed).
//!
//! Their probes change an identity's role or credentials, so each uses identities set aside for it: the
//! attacker of each probe is an identity no other probe of these families uses, and the victims of the
//! takeovers are disjoint from every attacker. They run after the stateful suite (see
//! [`super::Planned::accounts`]), and no identity that acts in [`super::Planned::last`] is set aside, so
//! no later probe acts as an identity whose role or credential may have changed.

use std::collections::BTreeSet;

use crate::family::{Family, Need};
use crate::policy::Scope;
use crate::population::{Identity, Record};
use crate::probes::{Cell, Expect, Probe, Relation, RoleValue, Variant};
use crate::surface::{Op, Param};

use super::builder::Builder;
use super::callers::{Unplanned, UnplannedReason};

/// The identities not yet set aside, in a seeded order.
struct Spare<'a> {
    free: Vec<&'a Identity>,
}

impl<'a> Spare<'a> {
    /// Take the first free identity that `fits`.
    fn take(&mut self, fits: impl Fn(&Identity) -> bool) -> Option<&'a Identity> {
        let at = self.free.iter().position(|i| fits(i))?;
        Some(self.free.remove(at))
    }
}

impl<'a> Builder<'a> {
    /// Plan both families over the identities that `taken` (actors of later probes) leaves free: the
    /// probes, in plan order.
    pub(super) fn accounts(&mut self, taken: &BTreeSet<String>) -> Vec<Probe> {
        let mut free: Vec<&'a Identity> = self
            .index
            .population
            .identities()
            .iter()
            .filter(|i| !taken.contains(&i.key))
            .collect();
        self.rng("accounts").shuffle(&mut free);
        let mut spare = Spare { free };
        let mut out = Vec::new();
        if Family::AccountTakeover
            .needs()
            .iter()
            .all(|n| self.need_met(*n))
        {
            self.takeovers(&mut spare, &mut out);
        }
        if Family::PrivilegeEscalation
            .needs()
            .iter()
            .all(|n| self.need_met(*n))
        {
            self.escalations(&mut spare, &mut out);
        }
        for probe in &out {
            self.push(probe.clone());
        }
        out
    }

    /// The role whose name escalation fields carry: one that sees its whole tenant, the one with the most
    /// scopes (the last in policy order on a tie); its platform name.
    fn widest_role(&self) -> Option<String> {
        let (role, _) = self
            .policy
            .roles()
            .filter(|(_, scopes)| scopes.contains(&Scope::Tenant))
            .max_by_key(|(_, scopes)| scopes.len())?;
        let platform = &self.surface.accounts.platform_roles;
        Some(
            platform
                .get(role)
                .cloned()
                .unwrap_or_else(|| role.to_string()),
        )
    }

    /// Per route, field and role that does not see its whole tenant: one identity set aside, and a
    /// record of its tenant its role may not see, read afterwards.
    fn escalations(&mut self, spare: &mut Spare<'a>, out: &mut Vec<Probe>) {
        let wider = self.widest_role();
        let reads: Vec<(crate::population::RecordKind, String)> = self
            .surface
            .record_reads()
            .filter(|e| e.op == Op::Read && e.param == Param::Record)
            .map(|e| (e.kind, e.key.clone()))
            .collect();
        let narrow: Vec<&'a str> = self
            .roles()
            .into_iter()
            .filter(|r| {
                self.policy
                    .scopes(r)
                    .is_some_and(|s| !s.contains(&Scope::Tenant))
            })
            .collect();
        let routes = self.surface.accounts.role_routes.clone();
        for route in routes {
            for field in self.surface.role_fields.clone() {
                // A flag needs no role's name; a role field needs a role that sees more.
                let value = match (RoleValue::for_field(&field, ""), &wider) {
                    (RoleValue::Flag, _) => RoleValue::Flag,
                    (_, Some(wider)) => RoleValue::for_field(&field, wider),
                    (_, None) => {
                        for role in &narrow {
                            self.leave_out(Unplanned {
                                family: Family::PrivilegeEscalation,
                                endpoint: route.key().to_string(),
                                role: role.to_string(),
                                reason: UnplannedReason::NoWiderRole,
                            });
                        }
                        continue;
                    }
                };
                for role in &narrow {
                    let population = self.index.population;
                    let policy = self.policy;
                    let index = &self.index;
                    let target = |actor: &Identity| -> Option<(&'a Record, String)> {
                        reads.iter().find_map(|(kind, read)| {
                            let records =
                                index.by_kind_tenant.get(&(*kind, actor.tenant.as_str()))?;
                            records.iter().map(|&r| index.record(r)).find_map(|r| {
                                (!policy.may_see(population, actor, r).is_allowed())
                                    .then(|| (r, read.clone()))
                            })
                        })
                    };
                    let picked = spare.take(|i| i.role == *role && target(i).is_some());
                    let Some((actor, (record, read))) =
                        picked.and_then(|a| target(a).map(|t| (a, t)))
                    else {
                        self.leave_out(Unplanned {
                            family: Family::PrivilegeEscalation,
                            endpoint: route.key().to_string(),
                            role: role.to_string(),
                            reason: UnplannedReason::NoIdentitySetAside,
                        });
                        continue;
                    };
                    let variant = Variant::Escalate {
                        route,
                        field: field.clone(),
                        value: value.clone(),
                        read,
                    };
                    out.push(probe(
                        Family::PrivilegeEscalation,
                        route.key(),
                        actor,
                        Some(record),
                        Relation::SameTenant,
                        variant,
                    ));
                }
            }
        }
    }

    /// Per credential change, role and relation (same tenant, other tenant): an attacker and a victim,
    /// both set aside.
    fn takeovers(&mut self, spare: &mut Spare<'a>, out: &mut Vec<Probe>) {
        let changes = self.surface.accounts.credential_changes.clone();
        for endpoint in changes {
            for role in self.roles() {
                for relation in [Relation::SameTenant, Relation::OtherTenant] {
                    let Some(attacker) = spare.take(|i| i.role == role) else {
                        self.leave_out(Unplanned {
                            family: Family::AccountTakeover,
                            endpoint: endpoint.clone(),
                            role: role.to_string(),
                            reason: UnplannedReason::NoIdentitySetAside,
                        });
                        continue;
                    };
                    let same = relation == Relation::SameTenant;
                    let victim = spare
                        .take(|v| (v.tenant == attacker.tenant) == same && v.role == role)
                        .or_else(|| spare.take(|v| (v.tenant == attacker.tenant) == same));
                    let Some(victim) = victim else {
                        // The attacker goes back: another cell may use it.
                        spare.free.insert(0, attacker);
                        continue;
                    };
                    let variant = Variant::Takeover {
                        victim: victim.key.clone(),
                    };
                    out.push(probe(
                        Family::AccountTakeover,
                        &endpoint,
                        attacker,
                        None,
                        relation,
                        variant,
                    ));
                }
            }
        }
    }

    /// A cell left out, once.
    fn leave_out(&mut self, unplanned: Unplanned) {
        if !self.unplanned.contains(&unplanned) {
            self.unplanned.push(unplanned);
        }
    }

    /// Whether the surface offers a role route, or a credential change.
    pub(super) fn accounts_need_met(&self, need: Need) -> bool {
        let accounts = &self.surface.accounts;
        match need {
            Need::RoleRoute => !accounts.role_routes.is_empty(),
            Need::CredentialChange => !accounts.credential_changes.is_empty(),
            Need::OwnAccounts => accounts.own_accounts,
            _ => false,
        }
    }
}

fn probe(
    family: Family,
    endpoint: &str,
    actor: &Identity,
    record: Option<&Record>,
    relation: Relation,
    variant: Variant,
) -> Probe {
    let kind = record.map_or(crate::population::RecordKind::Account, |r| r.kind);
    Probe {
        family,
        actor: Some(actor.key.clone()),
        endpoint: endpoint.to_string(),
        record: record.map(|r| r.key.to_string()),
        cell: Cell {
            family,
            endpoint: endpoint.to_string(),
            role: actor.role.clone(),
            relation,
            kind,
            via: variant.via(),
        },
        variant,
        expect: Expect::Refusal,
    }
}
