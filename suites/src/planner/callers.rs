//! Requests that name their caller (`{{caller.*}}`, `{{identity.*}}` in a path such as
//! `/projects/{{caller.tenant.id}}/items/{{item.id}}`) sent without credentials: the anonymous family borrows
//! the values of an identity that may read the record (a caller who guessed a user's own URL), or does not
//! plan the cell, with the reason ([`Unplanned`]). Never a request that cannot be filled.

use serde::Serialize;

use crate::family::Family;
use crate::population::{Identity, Record};
use crate::probes::Variant;
use crate::surface::{CallerUse, EndpointRef};

use super::builder::Builder;
use super::rng::Rng;

/// Why the planner left a cell out although its family applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnplannedReason {
    /// The request carries the caller's credential in its path or body: no request to it is without
    /// credentials.
    CallerCredential,
    /// The request names its caller and no identity of the world can lend its values.
    NoIdentityToLend,
    /// The endpoint narrows the role (`narrow` in the profile): the records its policy lets it see are
    /// refused there, which is expected, so no probe expects them through it.
    NarrowedByEndpoint,
    /// No identity of the role is left to set aside for a probe that changes its role or credential (the
    /// world has too few: `--cases`).
    NoIdentitySetAside,
    /// A role field needs the name of a role that sees more, and no role of the policy sees its whole
    /// tenant (flags such as `is_admin` are still sent).
    NoWiderRole,
}

impl std::fmt::Display for UnplannedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnplannedReason::CallerCredential => {
                "its request carries the caller's credential in its path or body: no request to it is without credentials"
            }
            UnplannedReason::NoIdentityToLend => {
                "its request names its caller, and no identity of the world can lend its values"
            }
            UnplannedReason::NarrowedByEndpoint => {
                "the endpoint narrows this role (`narrow` in the profile): the records the policy lets it see are refused there, as declared"
            }
            UnplannedReason::NoIdentitySetAside => {
                "no identity of this role is left to set aside for a probe that changes its role or credential (--cases)"
            }
            UnplannedReason::NoWiderRole => {
                "a role field needs the name of a role that sees more, and no role of the policy sees its whole tenant"
            }
        })
    }
}

/// A family's cells left out on an endpoint, and why (a report's `coverage.unplanned`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unplanned {
    /// The family.
    pub family: Family,
    /// The endpoint (its key in the surface).
    pub endpoint: String,
    /// The caller role of the cells left out (`anonymous` without credentials).
    pub role: String,
    /// Why.
    pub reason: UnplannedReason,
}

impl<'a> Builder<'a> {
    /// How an anonymous request to `endpoint` about `record` (none: a collection) is varied: plain when it
    /// does not name its caller, with the values of an identity that may read the record when it does;
    /// `None` (and the cell recorded as unplanned) when no request without credentials can be made.
    pub(super) fn anonymous_variant(
        &mut self,
        endpoint: &EndpointRef,
        record: Option<&'a Record>,
        rng: &mut Rng,
    ) -> Option<Variant> {
        let lender = match endpoint.caller {
            CallerUse::Nothing => return Some(Variant::Plain),
            CallerUse::Credential => None.ok_or(UnplannedReason::CallerCredential),
            CallerUse::Values => self
                .lender(endpoint, record, rng)
                .ok_or(UnplannedReason::NoIdentityToLend),
        };
        match lender {
            Ok(identity) => Some(Variant::UserUrl {
                identity: identity.key.clone(),
            }),
            Err(reason) => {
                let unplanned = Unplanned {
                    family: Family::Anonymous,
                    endpoint: endpoint.key.clone(),
                    role: "anonymous".into(),
                    reason,
                };
                if !self.unplanned.contains(&unplanned) {
                    self.unplanned.push(unplanned);
                }
                None
            }
        }
    }

    /// The identity whose values an anonymous request borrows: for a record, the one that creates and
    /// reads it back (its URL is the one that serves it), else any identity of its tenant; for a
    /// collection, the creator of a record of the endpoint's kind drawn at random, else the first identity.
    fn lender(
        &self,
        endpoint: &EndpointRef,
        record: Option<&'a Record>,
        rng: &mut Rng,
    ) -> Option<&'a Identity> {
        let population = self.index.population;
        let identities = population.identities();
        match record {
            Some(record) => self.creator_of(record).or_else(|| {
                identities
                    .iter()
                    .find(|identity| identity.tenant == record.tenant)
            }),
            None => {
                let drawn = self
                    .index
                    .by_kind
                    .get(&endpoint.kind)
                    .filter(|pool| !pool.is_empty())
                    .map(|pool| self.index.record(pool[rng.below(pool.len())]));
                drawn
                    .and_then(|record| self.creator_of(record))
                    .or_else(|| identities.first())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{config, policy, population, surface};
    use super::*;
    use crate::planner::plan;
    use crate::probes::Probe;

    /// An anonymous read whose path names its caller borrows the values of an identity of the record's
    /// tenant that may read it; an endpoint whose path carries the caller's credential is left out with
    /// the reason; the others stay plain.
    #[test]
    fn anonymous_requests_naming_their_caller_borrow_a_readers_url_or_are_left_out() {
        let (population, policy) = (population(), policy());
        let mut surface = surface();
        for endpoint in &mut surface.endpoints {
            endpoint.caller = match endpoint.key.as_str() {
                "case.read" => CallerUse::Values,
                "case.list" => CallerUse::Credential,
                _ => CallerUse::Nothing,
            };
        }
        let planned = plan(&population, &policy, &surface, config());
        let anonymous: Vec<&Probe> = planned
            .probes
            .iter()
            .filter(|p| p.family == Family::Anonymous)
            .collect();
        let reads: Vec<&&Probe> = anonymous
            .iter()
            .filter(|p| p.endpoint == "case.read")
            .collect();
        assert!(!reads.is_empty());
        for probe in reads {
            let Variant::UserUrl { identity } = &probe.variant else {
                panic!("a read naming its caller borrows a user's URL: {probe:?}");
            };
            assert_eq!(probe.actor, None, "sent without credentials");
            assert_eq!(probe.cell.via.as_deref(), Some("a user's own URL"));
            let lender = population.identity(identity).expect("an identity");
            let record = population
                .record(probe.record.as_deref().expect("a record"))
                .expect("a record");
            assert_eq!(lender.tenant, record.tenant);
            assert!(policy.may_see(&population, lender, record).is_allowed());
        }
        assert!(
            anonymous
                .iter()
                .filter(|p| p.endpoint != "case.read")
                .all(|p| p.variant == Variant::Plain)
        );
        assert!(!anonymous.iter().any(|p| p.endpoint == "case.list"));
        // (The families that change accounts leave cells out for want of identities in this small world.)
        let anonymous_left_out: Vec<Unplanned> = planned
            .unplanned
            .iter()
            .filter(|u| u.family == Family::Anonymous)
            .cloned()
            .collect();
        assert_eq!(
            anonymous_left_out,
            vec![Unplanned {
                family: Family::Anonymous,
                endpoint: "case.list".into(),
                role: "anonymous".into(),
                reason: UnplannedReason::CallerCredential,
            }]
        );
    }

    #[test]
    fn nothing_is_left_out_where_no_endpoint_names_its_caller() {
        let planned = plan(&population(), &policy(), &surface(), config());
        assert!(
            planned
                .unplanned
                .iter()
                .all(|u| u.reason == UnplannedReason::NoIdentitySetAside)
        );
        assert!(
            planned
                .probes
                .iter()
                .all(|p| !matches!(p.variant, Variant::UserUrl { .. }))
        );
    }
}
