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
                        let forbidden =
                            !self.policy.may_see(population, actor, record).is_allowed();
                        let victim_reads =
                            self.policy.may_see(population, victim, record).is_allowed()
                                && !self.policy.refused_through(
                                    &endpoint.key,
                                    population,
                                    victim,
                                    record,
                                );
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

#[cfg(test)]
mod tests {
    use crate::family::Family;
    use crate::forge::Forgery;
    use crate::planner::plan;
    use crate::planner::tests::{config, policy, population, surface};
    use crate::probes::{Expect, Variant};
    use crate::surface::Surface;

    #[test]
    fn every_forgery_is_planned_on_forbidden_reads_naming_the_records_steward() {
        let (population, policy) = (population(), policy());
        let planned = plan(&population, &policy, &surface(), config());
        let forged: Vec<_> = (planned.probes.iter())
            .filter(|p| p.family == Family::ForgedCredential)
            .collect();
        for forgery in Forgery::ALL {
            assert!(
                forged.iter().any(
                    |p| matches!(&p.variant, Variant::Forged { forgery: f, .. } if *f == forgery)
                ),
                "{forgery:?}"
            );
        }
        for probe in &forged {
            let Variant::Forged { victim, .. } = &probe.variant else {
                panic!("{probe:?}");
            };
            let actor = probe.actor.as_deref().and_then(|a| population.identity(a));
            let record = probe.record.as_deref().and_then(|r| population.record(r));
            let (Some(actor), Some(record)) = (actor, record) else {
                panic!("{probe:?}");
            };
            assert_eq!(probe.expect, Expect::Refusal);
            assert!(
                !policy.may_see(&population, actor, record).is_allowed(),
                "{probe:?}"
            );
            let steward = population.steward_of(record).map(|s| s.key.as_str());
            assert_eq!(steward, Some(victim.as_str()), "{probe:?}");
        }
    }

    #[test]
    fn without_a_login_the_family_does_not_apply_and_says_why() {
        let keys = Surface {
            session_login: false,
            ..surface()
        };
        let planned = plan(&population(), &policy(), &keys, config());
        let family = (planned.coverage.iter())
            .find(|f| f.family == Family::ForgedCredential)
            .expect("listed");
        assert_eq!(family.probes, 0);
        assert!(
            family
                .skipped
                .as_deref()
                .is_some_and(|s| s.contains("[auth.login]")),
            "{family:?}"
        );
    }
}
