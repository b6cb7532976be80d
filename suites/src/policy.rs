//! The access-policy vocabulary and the decision "may identity X see data of owner Y".
//!
//! A platform states, per role, which [`Scope`]s of data its identities may see. The vocabulary is small on
//! purpose, so that a vendor can state their rules without writing code:
//! - `own`: records about the identity's own person;
//! - `represented`: records about the persons the identity legally represents;
//! - `assigned`: records of the case files assigned to the identity;
//! - `tenant`: every record of the identity's tenant;
//! - `nothing`: no record at all (a role that only administers).
//!
//! A scope may grant reading only (`tenant:read` in a profile): an auditor who reads every case file of its
//! tenant and may change none. Reads are decided by [`AccessPolicy::decide`], changes (updates, deletes)
//! by [`AccessPolicy::decide_write`], which leaves read-only scopes out.
//!
//! Two exceptions refine the scopes ([`exceptions`]): values public by design (a display name every member
//! of the tenant is shown: [`AccessPolicy::decide_value`]), and endpoints that narrow what a role may do
//! through them (administrators refused the single-record route: [`AccessPolicy::refused_through`]).

mod exceptions;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::generators::canary::CanaryKind;
use crate::population::{Identity, Population, Record, RecordKind};

/// One scope of data a role may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Records about the identity's own person.
    Own,
    /// Records about the persons the identity represents.
    Represented,
    /// Records of the case files assigned to the identity.
    Assigned,
    /// Every record of the identity's tenant.
    Tenant,
    /// No record at all.
    Nothing,
}

impl Scope {
    /// Every scope, in a fixed order.
    pub const ALL: [Scope; 5] = [
        Scope::Own,
        Scope::Represented,
        Scope::Assigned,
        Scope::Tenant,
        Scope::Nothing,
    ];

    /// The lower-case name used in profiles and reports.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::Represented => "represented",
            Scope::Assigned => "assigned",
            Scope::Tenant => "tenant",
            Scope::Nothing => "nothing",
        }
    }

    /// Parse a scope from its profile name.
    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.name() == name)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whose data something is: the owner named by a canary hit, or a record's place in the world.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DataOwner {
    /// Tenant the data belongs to.
    pub tenant: String,
    /// The person the data is about, when it is about a person.
    pub person: Option<String>,
    /// The case file the data belongs to, when known.
    pub case: Option<String>,
    /// The kind of record the data belongs to, when it belongs to one (a person's or an account's data
    /// does not): decides with that kind's scopes when the policy has some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RecordKind>,
}

impl DataOwner {
    /// The owner of a record.
    pub fn of_record(record: &Record) -> Self {
        Self {
            tenant: record.tenant.to_string(),
            person: Some(record.person.to_string()),
            case: Some(record.case.to_string()),
            kind: Some(record.kind),
        }
    }
}

/// Per role, the scopes of data its identities may see, and those of them that grant reading only; per
/// record kind, roles may have other scopes (`[policy.note]`: case notes that applicants may not see even
/// in their own case file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPolicy {
    #[serde(flatten)]
    default: Grants,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    kinds: BTreeMap<RecordKind, Grants>,
    /// Per kind of value, who of its tenant may see it whoever it is about (`[policy.public]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    public: BTreeMap<CanaryKind, Audience>,
    /// Per endpoint (its key), per role, the scopes the endpoint narrows the role to (`narrow`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    narrowed: BTreeMap<String, BTreeMap<String, Vec<Scope>>>,
}

pub use exceptions::Audience;

/// Per role, its scopes and those of them that grant reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Grants {
    roles: BTreeMap<String, Vec<Scope>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    read_only: BTreeMap<String, Vec<Scope>>,
}

impl Grants {
    fn with_role(&mut self, role: String, scopes: Vec<Scope>) {
        self.roles.insert(role, scopes);
    }

    fn with_read_only(&mut self, role: String, scopes: Vec<Scope>) {
        let granted = self.roles.entry(role.clone()).or_default();
        for scope in &scopes {
            if !granted.contains(scope) {
                granted.push(*scope);
            }
        }
        self.read_only.insert(role, scopes);
    }

    fn read_only(&self, role: &str) -> &[Scope] {
        self.read_only.get(role).map_or(&[], Vec::as_slice)
    }
}

/// The answer to "may this identity see this data", with the scope that grants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "decision", content = "scope")]
pub enum Decision {
    /// Visible, granted by this scope.
    Allowed(Scope),
    /// Visible because the policy declares this kind of value public to the identity's role within its
    /// tenant (`[policy.public]`), whoever it is about.
    Public,
    /// Not visible to this identity.
    Denied,
}

impl Decision {
    /// Whether the data is visible.
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed(_) | Decision::Public)
    }
}

/// A policy that cannot decide for a population.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// An identity has a role that the policy does not mention.
    #[error(
        "the access policy says nothing about role {role:?} (identity {identity:?}); add it, with `nothing` if it sees no record"
    )]
    UnknownRole {
        /// The role missing from the policy.
        role: String,
        /// One identity with that role.
        identity: String,
    },
}

impl AccessPolicy {
    /// An empty policy: add roles with [`AccessPolicy::with_role`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The same policy with `role` granted `scopes` (replacing what it had).
    pub fn with_role(
        mut self,
        role: impl Into<String>,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Self {
        self.default
            .with_role(role.into(), scopes.into_iter().collect());
        self
    }

    /// The same policy with `scopes` of `role` granting reading only (each is added to the role's scopes
    /// if it was not there).
    pub fn with_read_only(
        mut self,
        role: impl Into<String>,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Self {
        self.default
            .with_read_only(role.into(), scopes.into_iter().collect());
        self
    }

    /// The same policy with `role` granted `scopes` on records of `kind` (instead of its scopes for every
    /// kind).
    pub fn with_kind_role(
        mut self,
        kind: RecordKind,
        role: impl Into<String>,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Self {
        self.kinds
            .entry(kind)
            .or_default()
            .with_role(role.into(), scopes.into_iter().collect());
        self
    }

    /// The same policy with `scopes` of `role` granting reading only on records of `kind`.
    pub fn with_kind_read_only(
        mut self,
        kind: RecordKind,
        role: impl Into<String>,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Self {
        self.kinds
            .entry(kind)
            .or_default()
            .with_read_only(role.into(), scopes.into_iter().collect());
        self
    }

    /// The scopes of `role` that grant reading only (for every kind that has no scopes of its own).
    pub fn read_only(&self, role: &str) -> &[Scope] {
        self.default.read_only(role)
    }

    /// Whether some role has a scope that grants reading only.
    pub fn has_read_only(&self) -> bool {
        std::iter::once(&self.default)
            .chain(self.kinds.values())
            .any(|g| g.read_only.values().any(|scopes| !scopes.is_empty()))
    }

    /// The kinds with scopes of their own.
    pub fn kinds(&self) -> impl Iterator<Item = RecordKind> + '_ {
        self.kinds.keys().copied()
    }

    /// The scopes of a role, if the policy names it (for every kind that has no scopes of its own).
    pub fn scopes(&self, role: &str) -> Option<&[Scope]> {
        self.default.roles.get(role).map(Vec::as_slice)
    }

    /// The scopes of a role on records of `kind`.
    pub fn scopes_for(&self, kind: RecordKind, role: &str) -> Option<&[Scope]> {
        self.grants(Some(kind), role)
            .roles
            .get(role)
            .map(Vec::as_slice)
    }

    /// The roles the policy names, in order.
    pub fn roles(&self) -> impl Iterator<Item = (&str, &[Scope])> {
        self.default
            .roles
            .iter()
            .map(|(role, scopes)| (role.as_str(), scopes.as_slice()))
    }

    /// The grants that decide for `role` on data of `kind`: the kind's own when it names the role.
    fn grants(&self, kind: Option<RecordKind>, role: &str) -> &Grants {
        kind.and_then(|k| self.kinds.get(&k))
            .filter(|g| g.roles.contains_key(role))
            .unwrap_or(&self.default)
    }

    /// Check that every identity of the population has a role the policy names.
    pub fn covers(&self, population: &Population) -> Result<(), PolicyError> {
        for identity in population.identities() {
            if !self.default.roles.contains_key(&identity.role) {
                return Err(PolicyError::UnknownRole {
                    role: identity.role.clone(),
                    identity: identity.key.clone(),
                });
            }
        }
        Ok(())
    }

    /// May `identity` see data of `owner`? Roles the policy does not name see nothing (fail closed: an
    /// unexpected visibility is then reported, never hidden). `population` answers `assigned` for data
    /// known only by its person. Data about no person and no case file (staff names and logins) is the
    /// tenant's: visible to every identity of that tenant, and to no one outside it.
    pub fn decide(
        &self,
        population: &Population,
        identity: &Identity,
        owner: &DataOwner,
    ) -> Decision {
        let Some(scopes) = self
            .grants(owner.kind, &identity.role)
            .roles
            .get(&identity.role)
        else {
            return Decision::Denied;
        };
        Self::decide_over(scopes, population, identity, owner)
    }

    /// May `identity` change (update, delete) data of `owner`? As [`AccessPolicy::decide`], without the
    /// scopes that grant reading only.
    pub fn decide_write(
        &self,
        population: &Population,
        identity: &Identity,
        owner: &DataOwner,
    ) -> Decision {
        let grants = self.grants(owner.kind, &identity.role);
        let Some(scopes) = grants.roles.get(&identity.role) else {
            return Decision::Denied;
        };
        let read_only = grants.read_only(&identity.role);
        if read_only.is_empty() {
            return Self::decide_over(scopes, population, identity, owner);
        }
        let writable: Vec<Scope> = scopes
            .iter()
            .copied()
            .filter(|scope| !read_only.contains(scope))
            .collect();
        if writable.is_empty() {
            return Decision::Denied;
        }
        Self::decide_over(&writable, population, identity, owner)
    }

    /// May `identity` change `record`?
    pub fn may_write(
        &self,
        population: &Population,
        identity: &Identity,
        record: &Record,
    ) -> Decision {
        self.decide_write(population, identity, &DataOwner::of_record(record))
    }

    fn decide_over(
        scopes: &[Scope],
        population: &Population,
        identity: &Identity,
        owner: &DataOwner,
    ) -> Decision {
        // Data about no person (a staff member's name or login) belongs to the tenant as a whole: any
        // identity of the tenant may see who handles its files.
        if owner.person.is_none() && owner.case.is_none() {
            return if identity.tenant == owner.tenant {
                Decision::Allowed(Scope::Tenant)
            } else {
                Decision::Denied
            };
        }
        // The persons the data is about: its own person, and the person of its case file (a letter to a
        // parent filed in a child's case file belongs to the child's file as much as to the parent).
        let case_person = owner
            .case
            .as_deref()
            .and_then(|case| population.record(case))
            .map(|r| r.person.as_str());
        let persons: Vec<&str> = owner
            .person
            .as_deref()
            .into_iter()
            .chain(case_person)
            .collect();
        for &scope in scopes {
            let granted = match scope {
                Scope::Own => identity
                    .person
                    .as_deref()
                    .is_some_and(|me| persons.contains(&me)),
                Scope::Represented => persons
                    .iter()
                    .any(|person| identity.represents.contains(*person)),
                Scope::Assigned => match (&owner.case, &owner.person) {
                    (Some(case), _) => identity.assigned_cases.contains(case),
                    (None, Some(person)) => identity.assigned_cases.iter().any(|case| {
                        population
                            .record(case)
                            .is_some_and(|record| record.person == person)
                    }),
                    (None, None) => false,
                },
                Scope::Tenant => identity.tenant == owner.tenant,
                Scope::Nothing => false,
            };
            if granted {
                return Decision::Allowed(scope);
            }
        }
        Decision::Denied
    }

    /// May `identity` see `record`?
    pub fn may_see(
        &self,
        population: &Population,
        identity: &Identity,
        record: &Record,
    ) -> Decision {
        self.decide(population, identity, &DataOwner::of_record(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            kind: RecordKind::Document,
            tenant: tenant.into(),
            person: person.into(),
            case: case.into(),
        }
    }

    #[test]
    fn read_only_scopes_grant_reading_and_no_change() {
        let population = Population::new(
            vec![
                identity("alice", "applicant", "75", Some("p-alice")),
                identity("auditor", "auditor", "75", None),
                identity("agent", "agent", "75", Some("p-agent")),
            ],
            vec![
                record("d-alice", "75", "p-alice", "c-alice"),
                record("d-agent", "75", "p-agent", "c-agent"),
                record("d-other", "13", "p-other", "c-other"),
            ],
        )
        .expect("unique keys");
        // The auditor reads its whole tenant and changes nothing; the agent reads its tenant, changes its
        // own records only.
        let policy = AccessPolicy::new()
            .with_role("applicant", [Scope::Own])
            .with_read_only("auditor", [Scope::Tenant])
            .with_role("agent", [Scope::Own])
            .with_read_only("agent", [Scope::Tenant]);
        assert_eq!(
            policy.scopes("agent"),
            Some(&[Scope::Own, Scope::Tenant][..])
        );
        assert!(policy.has_read_only());
        let decide = |who: &str, what: &str| {
            let id = population.identity(who).expect("exists");
            let rec = population.record(what).expect("exists");
            (
                policy.may_see(&population, id, rec),
                policy.may_write(&population, id, rec),
            )
        };
        use Decision::{Allowed, Denied};
        assert_eq!(
            decide("auditor", "d-alice"),
            (Allowed(Scope::Tenant), Denied)
        );
        assert_eq!(decide("auditor", "d-other"), (Denied, Denied));
        assert_eq!(decide("agent", "d-alice"), (Allowed(Scope::Tenant), Denied));
        assert_eq!(
            decide("agent", "d-agent"),
            (Allowed(Scope::Own), Allowed(Scope::Own))
        );
        assert_eq!(
            decide("alice", "d-alice"),
            (Allowed(Scope::Own), Allowed(Scope::Own))
        );
        // Without read-only scopes, writing is decided as reading.
        let plain = AccessPolicy::new().with_role("auditor", [Scope::Tenant]);
        assert!(!plain.has_read_only());
        let auditor = population.identity("auditor").expect("exists");
        let alice_doc = population.record("d-alice").expect("exists");
        assert_eq!(
            plain.may_write(&population, auditor, alice_doc),
            Allowed(Scope::Tenant)
        );
    }

    #[test]
    fn a_kind_with_scopes_of_its_own_decides_for_its_records_and_only_them() {
        let note = |key: &str, person: &str, case: &str| Record {
            kind: RecordKind::Note,
            ..record(key, "75", person, case)
        };
        let population = Population::new(
            vec![
                identity("alice", "applicant", "75", Some("p-alice")),
                identity("agent", "agent", "75", None),
            ],
            vec![
                record("d-alice", "75", "p-alice", "c-alice"),
                note("n-alice", "p-alice", "c-alice"),
            ],
        )
        .expect("unique keys");
        // Applicants see their own records but not the agents' notes on them; agents read notes and
        // change none.
        let policy = AccessPolicy::new()
            .with_role("applicant", [Scope::Own])
            .with_role("agent", [Scope::Tenant])
            .with_kind_role(RecordKind::Note, "applicant", [Scope::Nothing])
            .with_kind_read_only(RecordKind::Note, "agent", [Scope::Tenant]);
        let alice = population.identity("alice").expect("exists");
        let agent = population.identity("agent").expect("exists");
        let doc = population.record("d-alice").expect("exists");
        let memo = population.record("n-alice").expect("exists");
        use Decision::{Allowed, Denied};
        assert_eq!(policy.may_see(&population, alice, doc), Allowed(Scope::Own));
        assert_eq!(policy.may_see(&population, alice, memo), Denied);
        assert_eq!(
            policy.may_see(&population, agent, memo),
            Allowed(Scope::Tenant)
        );
        assert_eq!(policy.may_write(&population, agent, memo), Denied);
        assert_eq!(
            policy.may_write(&population, agent, doc),
            Allowed(Scope::Tenant)
        );
        // A canary of the note (its text), found in a response, is decided by the note's scopes; the
        // person's own data (their surname, no kind) by the role's.
        let note_text = DataOwner::of_record(memo);
        assert_eq!(note_text.kind, Some(RecordKind::Note));
        assert_eq!(policy.decide(&population, alice, &note_text), Denied);
        let surname = DataOwner {
            kind: None,
            ..note_text
        };
        assert_eq!(
            policy.decide(&population, alice, &surname),
            Allowed(Scope::Own)
        );
        assert_eq!(
            policy.scopes_for(RecordKind::Note, "applicant"),
            Some(&[Scope::Nothing][..])
        );
        assert_eq!(
            policy.scopes_for(RecordKind::Case, "applicant"),
            Some(&[Scope::Own][..])
        );
        assert_eq!(policy.kinds().collect::<Vec<_>>(), vec![RecordKind::Note]);
    }

    #[test]
    fn each_scope_grants_exactly_its_data() {
        let mut parent = identity("parent", "representative", "75", Some("p-parent"));
        parent.represents.insert("p-child".into());
        let mut evaluator = identity("eval", "evaluator", "75", None);
        evaluator.assigned_cases.insert("c-child".into());
        let case_child = Record {
            kind: RecordKind::Case,
            ..record("c-child", "75", "p-child", "c-child")
        };
        let population = Population::new(
            vec![
                identity("alice", "applicant", "75", Some("p-alice")),
                parent.clone(),
                evaluator.clone(),
                identity("agent", "agent", "75", None),
                identity("admin", "operator", "75", None),
            ],
            vec![
                record("d-alice", "75", "p-alice", "c-alice"),
                case_child,
                record("d-child", "75", "p-child", "c-child"),
            ],
        )
        .expect("unique keys");
        let policy = AccessPolicy::new()
            .with_role("applicant", [Scope::Own])
            .with_role("representative", [Scope::Own, Scope::Represented])
            .with_role("evaluator", [Scope::Assigned])
            .with_role("agent", [Scope::Tenant])
            .with_role("operator", [Scope::Nothing]);
        policy.covers(&population).expect("all roles named");
        let alice_doc = population.record("d-alice").expect("exists");
        let child_doc = population.record("d-child").expect("exists");
        let check = |who: &str, rec: &Record, expected: Decision| {
            let id = population.identity(who).expect("exists");
            assert_eq!(
                policy.may_see(&population, id, rec),
                expected,
                "{who} -> {}",
                rec.key
            );
        };
        check("alice", alice_doc, Decision::Allowed(Scope::Own));
        check("alice", child_doc, Decision::Denied);
        check("parent", child_doc, Decision::Allowed(Scope::Represented));
        check("parent", alice_doc, Decision::Denied);
        check("eval", child_doc, Decision::Allowed(Scope::Assigned));
        check("eval", alice_doc, Decision::Denied);
        check("agent", alice_doc, Decision::Allowed(Scope::Tenant));
        check("admin", alice_doc, Decision::Denied);
        // Data known only by its person: `assigned` goes through the person's case files.
        let person_only = DataOwner {
            tenant: "75".into(),
            person: Some("p-child".into()),
            case: None,
            kind: None,
        };
        assert_eq!(
            policy.decide(&population, &evaluator, &person_only),
            Decision::Allowed(Scope::Assigned)
        );
        // A letter to the parent filed in the child's case file is the child's file's data too.
        let in_child_case = DataOwner {
            tenant: "75".into(),
            person: Some("p-parent".into()),
            case: Some("c-child".into()),
            kind: None,
        };
        let child = identity("child", "applicant", "75", Some("p-child"));
        assert_eq!(
            policy.decide(&population, &child, &in_child_case),
            Decision::Allowed(Scope::Own)
        );
        let alice = population.identity("alice").expect("exists");
        assert_eq!(
            policy.decide(&population, alice, &in_child_case),
            Decision::Denied
        );
        // Another tenant's agent sees nothing of tenant 75.
        let other_agent = identity("agent-13", "agent", "13", None);
        assert_eq!(
            policy.may_see(&population, &other_agent, alice_doc),
            Decision::Denied
        );
    }

    #[test]
    fn unknown_roles_fail_closed_and_are_reported() {
        let population = Population::new(vec![identity("x", "partner", "75", Some("p"))], vec![])
            .expect("unique");
        let policy = AccessPolicy::new().with_role("applicant", [Scope::Own]);
        let err = policy
            .covers(&population)
            .expect_err("partner is not named");
        assert!(err.to_string().contains("\"partner\""), "{err}");
        let rec = record("r", "75", "p", "c");
        assert_eq!(
            policy.may_see(&population, &population.identities()[0], &rec),
            Decision::Denied
        );
    }
}
