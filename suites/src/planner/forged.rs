//! The forged-credential family: an identity reads another's record with a token forged from its own, its
//! claims swapped to name the record's steward (the victim). One forbidden (actor, record) pair per cell,
//! and a cell per forgery ([`Forgery::ALL`]), so every forgery is tried on every read endpoint and role.
//! Whether the target's credentials are JWTs at all is known only once identities log in: the engine
//! skips the probes then, with the reason ([`crate::Unsent::CredentialNotJwt`]).

use crate::family::Family;
use crate::forge::Forgery;
use crate::probes::{Expect, Relation, Variant};
use crate::surface::EndpointRef;

use super::builder::Builder;

impl Builder<'_> {
    pub(super) fn forged_credentials(&mut self) {
        if !Family::ForgedCredential
            .needs()
            .iter()
            .all(|need| self.need_met(*need))
        {
            return;
        }
        let reads: Vec<&EndpointRef> = self.surface.record_reads().collect();
        let population = self.index.population;
        for endpoint in reads {
            for role in self.roles() {
                for relation in [Relation::SameTenant, Relation::OtherTenant] {
                    let mut rng = self.rng(&format!("forged/{}/{role}/{relation}", endpoint.key));
                    let pairs = self.index.pairs(role, endpoint.kind, relation, 4, &mut rng);
                    let chosen = pairs.into_iter().find_map(|(a, r)| {
                        let (actor, record) = (self.index.identity(a), self.index.record(r));
                        let victim = population.steward_of(record)?;
                        let forbidden = !self.policy.may_see(population, actor, record).is_allowed();
                        let victim_reads = self.policy.may_see(population, victim, record).is_allowed()
                            && !self.policy.refused_through(&endpoint.key, population, victim, record);
                        (forbidden && victim_reads && victim.key != actor.key)
                            .then_some((actor, record, victim))
                    });
                    let Some((actor, record, victim)) = chosen else {
                        continue;
                    };
                    for forgery in Forgery::ALL {
                        let variant = Variant::Forged {
                            forgery,
                            victim: victim.key.clone(),
                        };
                        self.add(
                            Family::ForgedCredential,
                            endpoint,
                            Some(actor),
                            Some(record),
                            relation,
                            variant,
                            Expect::Refusal,
                        );
                    }
                }
            }
        }
    }
}
