//! The two exceptions to a role's scopes a profile may declare.
//!
//! - **Values public by design** (`[policy.public]`): a kind of value (a surname shown in a member
//!   directory, a document's file name in a public list) that some roles may see whoever it is about,
//!   within their own tenant. Only the kinds named are public: a surname being public makes neither the
//!   NIR nor the e-mail of the same person visible. A public kind is public wherever it appears (the
//!   directory, a case file, an error page): a value is the same value everywhere, and the directory has
//!   already shown it, so seeing it again elsewhere proves nothing. Another tenant's values stay judged by
//!   the scopes: a directory is its tenant's.
//! - **Endpoints that narrow a role** (`narrow` on an endpoint): through that endpoint, the role may reach
//!   only what the narrowed scopes grant (`nothing`: it is refused there). A refusal there is expected; the
//!   data it serves is still judged by the policy (narrowing never widens, and never turns visible data
//!   into a leak).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{AccessPolicy, DataOwner, Decision, Scope};
use crate::generators::canary::CanaryKind;
use crate::population::{Identity, Population, Record};

/// Who may see a kind of value declared public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "to", content = "roles")]
pub enum Audience {
    /// Every role of the policy (`"*"` in a profile); never a caller without credentials.
    Everyone,
    /// These roles (cloison's names).
    Roles(BTreeSet<String>),
}

impl Audience {
    /// Whether `role` is in the audience.
    pub fn includes(&self, role: &str) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Roles(roles) => roles.contains(role),
        }
    }
}

impl AccessPolicy {
    /// The same policy with values of `kind` public to `audience` (replacing what it had).
    pub fn with_public(mut self, kind: CanaryKind, audience: Audience) -> Self {
        self.public.insert(kind, audience);
        self
    }

    /// The kinds of value declared public, with their audiences.
    pub fn public(&self) -> impl Iterator<Item = (CanaryKind, &Audience)> {
        self.public.iter().map(|(kind, audience)| (*kind, audience))
    }

    /// Whether values of `kind` are public to `role`.
    pub fn is_public(&self, kind: CanaryKind, role: &str) -> bool {
        self.public.get(&kind).is_some_and(|a| a.includes(role))
    }

    /// May `identity` see a value of kind `value` that belongs to `owner`? [`Decision::Public`] when the
    /// kind is public to its role and the value is of its own tenant; otherwise as
    /// [`AccessPolicy::decide`].
    pub fn decide_value(
        &self,
        population: &Population,
        identity: &Identity,
        owner: &DataOwner,
        value: CanaryKind,
    ) -> Decision {
        if self.is_public(value, &identity.role) && identity.tenant == owner.tenant {
            return Decision::Public;
        }
        self.decide(population, identity, owner)
    }

    /// The same policy with `role` narrowed to `scopes` through the endpoint `endpoint` (its key).
    pub fn with_narrowed(
        mut self,
        endpoint: impl Into<String>,
        role: impl Into<String>,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Self {
        self.narrowed
            .entry(endpoint.into())
            .or_default()
            .insert(role.into(), scopes.into_iter().collect());
        self
    }

    /// The scopes `endpoint` narrows `role` to, if it narrows it.
    pub fn narrowed(&self, endpoint: &str, role: &str) -> Option<&[Scope]> {
        self.narrowed
            .get(endpoint)
            .and_then(|roles| roles.get(role))
            .map(Vec::as_slice)
    }

    /// Whether `endpoint` refuses `identity` access to `record` by its narrowing although the policy lets
    /// it see the record: a refusal there is expected, and no probe expects the record through it.
    pub fn refused_through(
        &self,
        endpoint: &str,
        population: &Population,
        identity: &Identity,
        record: &Record,
    ) -> bool {
        let Some(scopes) = self.narrowed(endpoint, &identity.role) else {
            return false;
        };
        self.may_see(population, identity, record).is_allowed()
            && !Self::decide_over(scopes, population, identity, &DataOwner::of_record(record))
                .is_allowed()
    }

    /// Whether `endpoint` narrows `role` to nothing: the role is refused there whatever the record (a
    /// read-back or a liveness read never goes through it).
    pub fn shut_to(&self, endpoint: &str, role: &str) -> bool {
        self.narrowed(endpoint, role)
            .is_some_and(|scopes| scopes.iter().all(|s| *s == Scope::Nothing))
    }

    /// Whether some endpoint narrows some role.
    pub fn has_narrowed(&self) -> bool {
        !self.narrowed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::RecordKind;

    fn identity(key: &str, role: &str, tenant: &str, person: Option<&str>) -> Identity {
        Identity {
            key: key.into(),
            role: role.into(),
            tenant: tenant.into(),
            person: person.map(Into::into),
            represents: Default::default(),
            formerly_represents: Default::default(),
            assigned_cases: Default::default(),
        }
    }

    fn record(key: &str, tenant: &str, person: &str, case: &str) -> Record {
        Record {
            key: key.into(),
            kind: RecordKind::Case,
            tenant: tenant.into(),
            person: person.into(),
            case: case.into(),
        }
    }

    fn population() -> Population {
        Population::new(
            vec![
                identity("alice", "applicant", "75", Some("p-alice")),
                identity("agent", "agent", "75", None),
                identity("admin", "tenant_admin", "75", None),
                identity("bob-13", "applicant", "13", Some("p-bob")),
            ],
            vec![
                record("c-alice", "75", "p-alice", "c-alice"),
                record("c-carol", "75", "p-carol", "c-carol"),
                record("c-bob", "13", "p-bob", "c-bob"),
            ],
        )
        .expect("unique keys")
    }

    /// A person's value, known by its person only (a surname, an e-mail: no record kind).
    fn person_value(tenant: &str, person: &str) -> DataOwner {
        DataOwner {
            tenant: tenant.into(),
            person: Some(person.into()),
            case: None,
            kind: None,
        }
    }

    #[test]
    fn a_public_kind_is_visible_to_its_audience_in_its_tenant_and_nothing_else_is() {
        use CanaryKind::{Email, Nir, Phone, Surname};
        let population = population();
        // Members see every member's surname (the directory); agents also see their phone.
        let policy = AccessPolicy::new()
            .with_role("applicant", [Scope::Own])
            .with_role("agent", [Scope::Assigned])
            .with_role("tenant_admin", [Scope::Nothing])
            .with_public(Surname, Audience::Everyone)
            .with_public(Phone, Audience::Roles(["agent".to_string()].into()));
        let who = |key: &str| population.identity(key).expect("exists");
        let carol = person_value("75", "p-carol");
        let bob = person_value("13", "p-bob");
        let alice = person_value("75", "p-alice");
        use Decision::{Allowed, Denied, Public};
        // (reader, whose value, kind) -> decision
        let table: Vec<(&str, &DataOwner, CanaryKind, Decision)> = vec![
            // Public to every role, in the reader's tenant only.
            ("alice", &carol, Surname, Public),
            ("agent", &carol, Surname, Public),
            ("admin", &carol, Surname, Public),
            ("alice", &bob, Surname, Denied),
            // Only the kinds named: the same person's NIR and e-mail stay judged by the scopes.
            ("alice", &carol, Nir, Denied),
            ("alice", &carol, Email, Denied),
            // A kind public to one role only.
            ("agent", &carol, Phone, Public),
            ("alice", &carol, Phone, Denied),
            ("admin", &carol, Phone, Denied),
            // One's own values are one's own scope's, public or not.
            ("alice", &alice, Nir, Allowed(Scope::Own)),
            ("alice", &alice, Surname, Public),
        ];
        for (reader, owner, kind, expected) in table {
            assert_eq!(
                policy.decide_value(&population, who(reader), owner, kind),
                expected,
                "{reader} sees {kind} of {:?}",
                owner.person
            );
        }
        assert!(policy.is_public(Surname, "a role of the platform's own"));
        assert!(!policy.is_public(Nir, "applicant"));
        assert_eq!(policy.public().count(), 2);
        // Without a declaration, a surname is judged by the scopes.
        let plain = AccessPolicy::new().with_role("applicant", [Scope::Own]);
        assert_eq!(
            plain.decide_value(&population, who("alice"), &carol, Surname),
            Denied
        );
    }

    #[test]
    fn an_endpoint_that_narrows_a_role_refuses_what_the_policy_allows_and_nothing_more() {
        let population = population();
        let policy = AccessPolicy::new()
            .with_role("applicant", [Scope::Own])
            .with_role("agent", [Scope::Tenant])
            .with_role("tenant_admin", [Scope::Tenant])
            .with_narrowed("resources.case.read", "tenant_admin", [Scope::Nothing])
            .with_narrowed("resources.case.read", "agent", [Scope::Own]);
        let who = |key: &str| population.identity(key).expect("exists");
        let rec = |key: &str| population.record(key).expect("exists");
        // (endpoint, reader, record) -> refused by the endpoint's narrowing
        let table = [
            // The administrator reads its tenant, but not through the single-record route.
            ("resources.case.read", "admin", "c-carol", true),
            ("resources.case.list", "admin", "c-carol", false),
            // A record the policy forbids is not the narrowing's: a refusal there is the policy's.
            ("resources.case.read", "admin", "c-bob", false),
            // Narrowed to `own`: the agent has no person, so its tenant's records are refused.
            ("resources.case.read", "agent", "c-alice", true),
            // Roles the endpoint does not narrow.
            ("resources.case.read", "alice", "c-alice", false),
        ];
        for (endpoint, reader, record, refused) in table {
            assert_eq!(
                policy.refused_through(endpoint, &population, who(reader), rec(record)),
                refused,
                "{reader} reads {record} through {endpoint}"
            );
        }
        assert!(policy.shut_to("resources.case.read", "tenant_admin"));
        assert!(!policy.shut_to("resources.case.read", "agent"));
        assert!(!policy.shut_to("resources.case.list", "tenant_admin"));
        assert!(policy.has_narrowed());
        // The policy itself is unchanged: what the endpoint serves is judged by it.
        assert!(
            policy
                .may_see(&population, who("admin"), rec("c-carol"))
                .is_allowed()
        );
    }
}
