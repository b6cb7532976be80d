//! Who and what exists in a world, reduced to what access decisions need.
//!
//! A [`Population`] holds every portal identity (its role, tenant, own person, represented persons and
//! assigned cases) and every record that can leak (its kind, tenant, subject person and case). It is built
//! from a generated world by [`Population::from_world`], or by hand in tests; the policy and the probe
//! families only ever look at this view, never at the generator's full records.

use std::collections::{BTreeMap, BTreeSet};

use cloison_generators::Cases;
use serde::{Deserialize, Serialize};

/// The kinds of record a probe can aim at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// A case file (dossier).
    Case,
    /// A document attached to a case file (form, certificate, supporting document).
    Document,
    /// An agent's case note.
    Note,
    /// A CDAPH decision.
    Decision,
    /// A person's portal account itself (a user profile such as `/users/{id}`): its record is the account,
    /// about the account's person. Only where a profile declares it (see
    /// [`Population::with_account_records`]); never created by cloison, it exists once the identity does.
    Account,
    /// A person as a record of their own (a beneficiary, a patient: `/people/{id}`), the parent of their
    /// case files on platforms that create the person first. Only where a profile declares it (see
    /// [`Population::with_person_records`]).
    Person,
}

impl RecordKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Case,
        RecordKind::Document,
        RecordKind::Note,
        RecordKind::Decision,
        RecordKind::Account,
        RecordKind::Person,
    ];

    /// The lower-case name used in profiles and reports.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Case => "case",
            RecordKind::Document => "document",
            RecordKind::Note => "note",
            RecordKind::Decision => "decision",
            RecordKind::Account => "account",
            RecordKind::Person => "person",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A portal identity (an account) and the facts that decide what it may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Stable key of the identity in the generated world (its login, unique in the world).
    pub key: String,
    /// Role name, as the platform's access policy names it (for example `applicant`, `agent`).
    pub role: String,
    /// Tenant key (the departement code of its MDPH).
    pub tenant: String,
    /// The person this identity is, if it is a person's own account.
    pub person: Option<String>,
    /// Persons this identity legally represents (a parent, a tutor).
    pub represents: BTreeSet<String>,
    /// Persons this identity used to represent: the representation has ended. The policy grants nothing
    /// through them; probes aim at them, since platforms forget to check the end of a representation.
    #[serde(default)]
    pub formerly_represents: BTreeSet<String>,
    /// Case files assigned to this identity (an evaluator's workload).
    pub assigned_cases: BTreeSet<String>,
}

/// A key of a population (a record's, its tenant's, person's or case file's): held inline up to 24 bytes,
/// as every generated key is, so that a record costs no allocation of its own (a world of 50,000 case
/// files has 550,000 records; four `String`s each were 128 bytes of allocations more; issue 23).
pub type Key = compact_str::CompactString;

/// A record that carries sensitive data, reduced to its place in the world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Stable key of the record in the generated world (unique in the world).
    pub key: Key,
    /// What kind of record it is.
    pub kind: RecordKind,
    /// Tenant key the record belongs to.
    pub tenant: Key,
    /// The person the record is about.
    pub person: Key,
    /// The case file the record belongs to (a case file's own key for a case).
    pub case: Key,
}

/// Every identity and record of a world, with indexes for fast decisions.
#[derive(Debug, Clone, Default)]
pub struct Population {
    identities: Vec<Identity>,
    records: Vec<Record>,
    record_index: BTreeMap<Key, usize>,
    identity_index: BTreeMap<String, usize>,
    /// The identities whose own person each person is, in world order.
    person_index: BTreeMap<String, Vec<usize>>,
    /// The identities that represent each person, in world order.
    representative_index: BTreeMap<String, Vec<usize>>,
    /// The identities of each tenant, in world order.
    tenant_index: BTreeMap<String, Vec<usize>>,
}

/// A population that breaks an invariant the decisions rely on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PopulationError {
    /// Two identities share a key.
    #[error("two identities share the key {0:?}")]
    DuplicateIdentity(String),
    /// Two records share a key.
    #[error("two records share the key {0:?}")]
    DuplicateRecord(String),
}

impl Population {
    /// Build a population, checking that keys are unique.
    pub fn new(identities: Vec<Identity>, records: Vec<Record>) -> Result<Self, PopulationError> {
        let mut identity_index = BTreeMap::new();
        for (i, identity) in identities.iter().enumerate() {
            if identity_index.insert(identity.key.clone(), i).is_some() {
                return Err(PopulationError::DuplicateIdentity(identity.key.clone()));
            }
        }
        let mut record_index = BTreeMap::new();
        for (i, record) in records.iter().enumerate() {
            if record_index.insert(record.key.clone(), i).is_some() {
                return Err(PopulationError::DuplicateRecord(record.key.to_string()));
            }
        }
        let mut person_index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut representative_index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut tenant_index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, identity) in identities.iter().enumerate() {
            tenant_index
                .entry(identity.tenant.clone())
                .or_default()
                .push(i);
            if let Some(person) = &identity.person {
                person_index.entry(person.clone()).or_default().push(i);
            }
            for person in &identity.represents {
                representative_index
                    .entry(person.clone())
                    .or_default()
                    .push(i);
            }
        }
        Ok(Self {
            identities,
            records,
            record_index,
            identity_index,
            person_index,
            representative_index,
            tenant_index,
        })
    }

    /// Every identity, in world order.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// Every record, in world order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The record with this key.
    pub fn record(&self, key: &str) -> Option<&Record> {
        self.record_index.get(key).map(|&i| &self.records[i])
    }

    /// The identity with this key.
    pub fn identity(&self, key: &str) -> Option<&Identity> {
        self.identity_index.get(key).map(|&i| &self.identities[i])
    }

    /// The identities whose own person a record is about: the record's owners. Empty when the person has
    /// no account of their own (a child, whose representative holds the account).
    pub fn owners_of<'a>(&'a self, record: &'a Record) -> impl Iterator<Item = &'a Identity> + 'a {
        self.indexed(&self.person_index, &record.person)
    }

    /// The identities that represent `person` (active representations), in world order.
    pub fn representatives_of<'a>(
        &'a self,
        person: &str,
    ) -> impl Iterator<Item = &'a Identity> + 'a {
        self.indexed(&self.representative_index, person)
    }

    /// The identities of a tenant, in world order.
    pub fn in_tenant<'a>(&'a self, tenant: &str) -> impl Iterator<Item = &'a Identity> + 'a {
        self.indexed(&self.tenant_index, tenant)
    }

    fn indexed<'a>(
        &'a self,
        index: &'a BTreeMap<String, Vec<usize>>,
        key: &str,
    ) -> impl Iterator<Item = &'a Identity> + 'a {
        index
            .get(key)
            .into_iter()
            .flatten()
            .map(|&i| &self.identities[i])
    }

    /// The identity that stands for a record's person on the portal: their own account if they have
    /// one, else the first identity that represents them. Read-backs and seeding act as this identity.
    pub fn steward_of<'a>(&'a self, record: &'a Record) -> Option<&'a Identity> {
        self.owners_of(record)
            .next()
            .or_else(move || self.representatives_of(&record.person).next())
    }
}

/// Key of a person in populations and canary owners: the generator's person id as text.
pub fn person_key(id: cloison_generators::PersonId) -> String {
    id.0.to_string()
}

/// Key of a case file record.
pub fn case_key(id: cloison_generators::CaseId) -> String {
    format!("case-{}", id.0)
}

/// Key of a document record.
pub fn document_key(id: cloison_generators::DocumentId) -> String {
    format!("document-{}", id.0)
}

/// Key of a note record.
pub fn note_key(id: cloison_generators::NoteId) -> String {
    format!("note-{}", id.0)
}

/// Key of a decision record.
pub fn decision_key(id: cloison_generators::DecisionId) -> String {
    format!("decision-{}", id.0)
}

/// Key of a person's own record (the person as a resource), from the person's key ([`person_key`]).
pub fn person_record_key(person: &str) -> String {
    format!("person-{person}")
}

/// Key of an account's own record (the account as a resource).
pub fn account_key(id: cloison_generators::AccountId) -> String {
    format!("account-{}", id.0)
}

/// Key of the holder account cloison creates for a person the world gives no account (a child, an adult
/// under guardianship), on platforms where every case file must belong to an account of its own person.
pub fn holder_key(id: cloison_generators::PersonId) -> String {
    format!("holder-{}", id.0)
}

impl Population {
    /// The population of a generated world. Identities are the world's accounts, keyed by login: persons'
    /// own accounts, representatives (representing only while their representation is active at the world's
    /// reference date), agents (assigned the case files they evaluated) and administrators. With
    /// `holders`, every case file's person without an account gets a holder identity ([`holder_key`]) with
    /// the role `applicant`. Records are case files, documents, notes and decisions.
    pub fn from_world<W: Cases + ?Sized>(
        world: &W,
        holders: bool,
    ) -> Result<Self, PopulationError> {
        let tenant_code = |id: cloison_generators::TenantId| {
            world
                .tenant_by_id(id)
                .map(|t| t.code.clone())
                .unwrap_or_else(|| id.0.to_string())
        };
        let relations = Relations::of(world);
        let mut identities = Vec::new();
        let mut records = Vec::new();
        for bundle in world.each_case() {
            let tenant = tenant_code(bundle.case_file.tenant_id);
            let person = bundle.case_file.person_id;
            let has_account = bundle.accounts.iter().any(|a| a.person_id == Some(person));
            for account in &bundle.accounts {
                identities.push(relations.identity(account, tenant_code(account.tenant_id)));
            }
            if holders && !has_account {
                identities.push(Identity {
                    key: holder_key(person),
                    role: "applicant".into(),
                    tenant: tenant.clone(),
                    person: Some(person_key(person)),
                    represents: BTreeSet::new(),
                    formerly_represents: BTreeSet::new(),
                    assigned_cases: BTreeSet::new(),
                });
            }
            push_records(&mut records, &bundle, tenant);
        }
        for agent in world.agents() {
            identities.push(Identity {
                key: agent.login.clone(),
                role: agent.role.as_str().to_string(),
                tenant: tenant_code(agent.tenant_id),
                person: None,
                represents: BTreeSet::new(),
                formerly_represents: BTreeSet::new(),
                assigned_cases: relations
                    .assigned
                    .get(&agent.id.0)
                    .cloned()
                    .unwrap_or_default(),
            });
        }
        Population::new(identities, records)
    }
}

/// Who represents, represented and was assigned what in a world, by person or account id.
struct Relations {
    /// Persons represented at the reference date, by representative person id.
    represents: BTreeMap<u64, BTreeSet<String>>,
    /// Persons whose representation ended by the reference date, by representative person id.
    formerly: BTreeMap<u64, BTreeSet<String>>,
    /// Case files evaluated, by agent account id.
    assigned: BTreeMap<u64, BTreeSet<String>>,
}

impl Relations {
    /// The relations of `world` at its reference date.
    fn of<W: Cases + ?Sized>(world: &W) -> Relations {
        let reference = world.config().reference_date;
        let mut relations = Relations {
            represents: BTreeMap::new(),
            formerly: BTreeMap::new(),
            assigned: BTreeMap::new(),
        };
        for bundle in world.each_case() {
            for rep in &bundle.representations {
                let map = if rep.end_date.is_none_or(|end| end > reference) {
                    &mut relations.represents
                } else {
                    &mut relations.formerly
                };
                map.entry(rep.representative_id.0)
                    .or_default()
                    .insert(person_key(rep.person_id));
            }
            if let Some(evaluation) = &bundle.evaluation {
                relations
                    .assigned
                    .entry(evaluation.evaluator_id.0)
                    .or_default()
                    .insert(case_key(bundle.case_file.id));
            }
        }
        relations
    }

    /// The identity of a person's account (an applicant or a representative) of tenant `tenant`.
    fn identity(&self, account: &cloison_generators::Account, tenant: String) -> Identity {
        Identity {
            key: account.login.clone(),
            role: account.role.as_str().to_string(),
            tenant,
            person: account.person_id.map(person_key),
            represents: account
                .person_id
                .and_then(|p| self.represents.get(&p.0).cloned())
                .unwrap_or_default(),
            formerly_represents: account
                .person_id
                .and_then(|p| self.formerly.get(&p.0).cloned())
                .unwrap_or_default()
                .into_iter()
                .filter(|p| {
                    // Still represented through another, active representation: not former.
                    !account
                        .person_id
                        .and_then(|me| self.represents.get(&me.0))
                        .is_some_and(|active| active.contains(p))
                })
                .collect(),
            assigned_cases: BTreeSet::new(),
        }
    }
}

/// The records of a case file: the case file, its documents, notes and decisions.
fn push_records(
    records: &mut Vec<Record>,
    bundle: &cloison_generators::CaseBundle,
    tenant: String,
) {
    let person = bundle.case_file.person_id;
    let case = case_key(bundle.case_file.id);
    let record = |key: String, kind: RecordKind| Record {
        key: key.into(),
        kind,
        tenant: tenant.as_str().into(),
        person: person_key(person).into(),
        case: case.as_str().into(),
    };
    records.push(record(case.clone(), RecordKind::Case));
    records.extend(
        bundle
            .documents
            .iter()
            .map(|d| record(document_key(d.id), RecordKind::Document)),
    );
    records.extend(
        bundle
            .notes
            .iter()
            .map(|n| record(note_key(n.id), RecordKind::Note)),
    );
    records.extend(
        bundle
            .decisions
            .iter()
            .map(|d| record(decision_key(d.id), RecordKind::Decision)),
    );
}

impl Population {
    /// The population with a record of kind [`RecordKind::Account`] for each account of a person in the
    /// world (applicants and representatives; agents' accounts are not about a person): the account as a
    /// resource of the platform (`/users/{id}`), keyed by [`account_key`], about the account's person, in
    /// the case file it came with. Kept only while its identity is (see [`Population::retain`]).
    pub fn with_account_records<W: Cases + ?Sized>(
        &self,
        world: &W,
    ) -> Result<Population, PopulationError> {
        let mut records = self.records.clone();
        for bundle in world.each_case() {
            for account in &bundle.accounts {
                let Some(person) = account.person_id else {
                    continue;
                };
                let Some(identity) = self.identity(&account.login) else {
                    continue;
                };
                records.push(Record {
                    key: account_key(account.id).into(),
                    kind: RecordKind::Account,
                    tenant: identity.tenant.as_str().into(),
                    person: person_key(person).into(),
                    case: case_key(bundle.case_file.id).into(),
                });
            }
        }
        Population::new(self.identities.clone(), records)
    }

    /// The population with a record of kind [`RecordKind::Person`] for each case file's person (the
    /// applicant), keyed by [`person_record_key`], in the first case file about them.
    pub fn with_person_records(&self) -> Result<Population, PopulationError> {
        let mut records = self.records.clone();
        let mut seen = BTreeSet::new();
        for record in &self.records {
            if record.kind == RecordKind::Case && seen.insert(record.person.clone()) {
                records.push(Record {
                    key: person_record_key(&record.person).into(),
                    kind: RecordKind::Person,
                    tenant: record.tenant.clone(),
                    person: record.person.clone(),
                    case: record.case.clone(),
                });
            }
        }
        Population::new(self.identities.clone(), records)
    }

    /// The population with more identities (roles of the platform's own, which the world does not make).
    pub fn with_identities(
        &self,
        more: impl IntoIterator<Item = Identity>,
    ) -> Result<Population, PopulationError> {
        let mut identities = self.identities.clone();
        identities.extend(more);
        Population::new(identities, self.records.clone())
    }

    /// The population restricted to the identities `keep_identity` keeps, and to the records that still
    /// have a steward among them (a record no remaining identity can stand for cannot be seeded).
    pub fn retain(
        &self,
        keep_identity: impl Fn(&Identity) -> bool,
    ) -> Result<Population, PopulationError> {
        let identities: Vec<Identity> = self
            .identities
            .iter()
            .filter(|i| keep_identity(i))
            .cloned()
            .collect();
        let kept = Population::new(identities, Vec::new())?;
        let records = self
            .records
            .iter()
            .filter(|r| kept.steward_of(r).is_some())
            .cloned()
            .collect::<Vec<Record>>();
        Population::new(kept.identities, records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(key: &str, tenant: &str, person: Option<&str>, represents: &[&str]) -> Identity {
        Identity {
            key: key.into(),
            role: "applicant".into(),
            tenant: tenant.into(),
            person: person.map(Into::into),
            represents: represents.iter().map(|p| p.to_string()).collect(),
            formerly_represents: BTreeSet::new(),
            assigned_cases: BTreeSet::new(),
        }
    }

    #[test]
    fn owners_representatives_and_tenants_are_found_through_their_indexes_in_world_order() {
        let identities = vec![
            identity("mother", "75", Some("p-mother"), &["p-child", "p-other"]),
            identity("agent", "75", None, &[]),
            identity("child", "75", Some("p-child"), &[]),
            identity("father", "13", Some("p-father"), &["p-child"]),
        ];
        let record = |key: &str, person: &str| Record {
            key: key.into(),
            kind: RecordKind::Case,
            tenant: "75".into(),
            person: person.into(),
            case: key.into(),
        };
        let records = vec![record("case-1", "p-child"), record("case-2", "p-other")];
        let population = Population::new(identities, records).expect("population");
        let keys = |ids: Vec<&Identity>| ids.iter().map(|i| i.key.clone()).collect::<Vec<_>>();
        let child_case = population.record("case-1").expect("case-1");
        assert_eq!(keys(population.owners_of(child_case).collect()), ["child"]);
        assert_eq!(
            keys(population.representatives_of("p-child").collect()),
            ["mother", "father"]
        );
        assert_eq!(
            keys(population.in_tenant("75").collect()),
            ["mother", "agent", "child"]
        );
        assert_eq!(
            keys(population.in_tenant("01").collect()),
            Vec::<String>::new()
        );
        // A person without an account of their own is stood for by their first representative.
        let other_case = population.record("case-2").expect("case-2");
        assert_eq!(
            population.steward_of(other_case).map(|i| i.key.as_str()),
            Some("mother")
        );
        assert_eq!(
            population.steward_of(child_case).map(|i| i.key.as_str()),
            Some("child")
        );
        // The indexes follow the identities a population keeps.
        let kept = population.retain(|i| i.key != "mother").expect("retained");
        assert_eq!(
            keys(kept.representatives_of("p-child").collect()),
            ["father"]
        );
        assert!(
            kept.record("case-2").is_none(),
            "no steward left for case-2"
        );
    }
}
