//! Template contexts of a world's records: the values behind `{{case.*}}`, `{{document.*}}`, `{{person.*}}`
//! and the other record placeholders, as the generated world holds them. A leaf over the generators: the
//! plan builds them for the run, and the profile's validation builds them over a small world to learn which
//! fields a placeholder may name.

use std::collections::HashMap;

use cloison_generators::{CaseBundle, Cases, PersonId, Tenant};
use cloison_suites::population::{Key, case_key, document_key, note_key, person_key};
use serde_json::{Value, json};

/// Template contexts of a world's records, without the platform's identifiers (the seeding adds `id` as it
/// learns them). Built on demand from the world itself, which the run holds anyway: only where each
/// record's key points is kept (at 10,000 case files a copy of every context, even as compact JSON text,
/// was 73 MB of the run's peak; issue 23).
#[derive(Debug)]
pub struct Contexts<'w> {
    world: &'w dyn Cases,
    person_account: &'w HashMap<PersonId, String>,
    at: HashMap<Key, At>,
}

/// Where a record's context comes from: a case file's position in the world, and the record's own there.
#[derive(Debug, Clone, Copy)]
enum At {
    /// A case file: its tenant, applicant and own values.
    Case(usize),
    /// The case file's applicant as a record of its own: the case file's context.
    Person(usize),
    /// A document, note or decision of the case file (position in its list), with the case file's context.
    Document(usize, usize),
    Note(usize, usize),
    Decision(usize, usize),
    /// An account of the case file (position in its accounts): its own person, no case file.
    Account(usize, usize),
}

/// A serializable record as a template value (null if it cannot be: it always can).
fn value_of<T: serde::Serialize>(record: &T) -> Value {
    serde_json::to_value(record).unwrap_or(Value::Null)
}

impl Contexts<'_> {
    /// The context of a record (a case file, document, note or decision), or `None` if the world has no
    /// such record.
    pub fn get(&self, key: &str) -> Option<Value> {
        let case_ctx = |c: usize| -> Option<(Value, std::borrow::Cow<'_, CaseBundle>)> {
            let bundle = self.world.case_at(c)?;
            Some((self.case_context(&bundle), bundle))
        };
        Some(match *self.at.get(key)? {
            At::Case(c) => case_ctx(c)?.0,
            // The applicant as a record: the case file's context, whose `person` it is.
            At::Person(c) => case_ctx(c)?.0,
            At::Document(c, i) => {
                let (mut ctx, bundle) = case_ctx(c)?;
                ctx["document"] = value_of(bundle.documents.get(i)?);
                ctx
            }
            At::Note(c, i) => {
                let (mut ctx, bundle) = case_ctx(c)?;
                ctx["note"] = value_of(bundle.notes.get(i)?);
                ctx
            }
            At::Decision(c, i) => {
                let (mut ctx, bundle) = case_ctx(c)?;
                ctx["decision"] = value_of(bundle.decisions.get(i)?);
                ctx
            }
            At::Account(c, i) => self.account_context(&*self.world.case_at(c)?, i)?,
        })
    }

    /// Every record's context, assembled (for validation on small worlds).
    pub fn all(&self) -> impl Iterator<Item = Value> + '_ {
        self.at.keys().filter_map(|key| self.get(key))
    }

    /// The tenant of a case file, as a template value.
    fn tenant(&self, bundle: &CaseBundle) -> Option<Value> {
        self.world
            .tenant_by_id(bundle.case_file.tenant_id)
            .map(|t: &Tenant| value_of(t))
    }

    /// A person as a template value, with the key of their own account.
    fn person(&self, person: Option<&cloison_generators::Person>) -> Value {
        let Some(person) = person else {
            return Value::Null;
        };
        let mut value = value_of(person);
        if let Value::Object(map) = &mut value {
            map.insert(
                "key".into(),
                self.person_account.get(&person.id).cloned().into(),
            );
        }
        value
    }

    /// A case file's context: its tenant, its applicant and its own values.
    fn case_context(&self, bundle: &CaseBundle) -> Value {
        let applicant = (bundle.persons.iter()).find(|p| p.id == bundle.case_file.person_id);
        json!({
            "tenant": self.tenant(bundle),
            "person": self.person(applicant),
            "case": case_value(bundle),
        })
    }

    /// The context of a case file's account as a record: about the account's own person (a
    /// representative's account is not about the applicant), without the case file.
    fn account_context(&self, bundle: &CaseBundle, i: usize) -> Option<Value> {
        let account = bundle.accounts.get(i)?;
        let person =
            (account.person_id).and_then(|id| bundle.persons.iter().find(|p| p.id == id))?;
        Some(json!({
            "tenant": self.tenant(bundle),
            "person": self.person(Some(person)),
            "account": {
                "key": account.login,
                "login": account.login,
                "display_name": account.display_name,
            },
        }))
    }
}

/// The template contexts of a world's records.
pub fn record_contexts<'w>(
    world: &'w dyn Cases,
    person_account: &'w HashMap<PersonId, String>,
) -> Contexts<'w> {
    let mut at: HashMap<Key, At> = HashMap::new();
    for (c, bundle) in world.each_case().enumerate() {
        // The person as a record of its own (where a profile makes persons a resource).
        at.insert(
            Key::from(cloison_suites::population::person_record_key(&person_key(
                bundle.case_file.person_id,
            ))),
            At::Person(c),
        );
        at.insert(Key::from(case_key(bundle.case_file.id)), At::Case(c));
        for (i, d) in bundle.documents.iter().enumerate() {
            at.insert(Key::from(document_key(d.id)), At::Document(c, i));
        }
        for (i, n) in bundle.notes.iter().enumerate() {
            at.insert(Key::from(note_key(n.id)), At::Note(c, i));
        }
        for (i, d) in bundle.decisions.iter().enumerate() {
            at.insert(
                Key::from(cloison_suites::population::decision_key(d.id)),
                At::Decision(c, i),
            );
        }
        for (i, account) in bundle.accounts.iter().enumerate() {
            let has_person =
                (account.person_id).is_some_and(|id| bundle.persons.iter().any(|p| p.id == id));
            if has_person {
                at.insert(
                    Key::from(cloison_suites::population::account_key(account.id)),
                    At::Account(c, i),
                );
            }
        }
    }
    Contexts {
        world,
        person_account,
        at,
    }
}

/// A case file's own values, with the rights its requests ask for (`{{case.requested_rights}}`).
fn case_value(bundle: &CaseBundle) -> Value {
    let mut case = serde_json::to_value(&bundle.case_file).unwrap_or(Value::Null);
    let mut rights: Vec<String> = bundle
        .requests
        .iter()
        .map(|r| r.right.as_str().to_string())
        .collect();
    rights.dedup();
    if let Value::Object(map) = &mut case {
        map.insert("requested_rights".into(), rights.into());
    }
    case
}

#[cfg(test)]
mod tests {
    use cloison_generators::{GenConfig, World};
    use cloison_suites::population::{account_key, decision_key, person_record_key};

    use super::*;

    #[test]
    fn each_record_s_context_is_its_case_file_s_with_its_own_values() {
        let world = World::generate(&GenConfig::new(2, 2, 12)).expect("world");
        let bundle = world
            .cases
            .iter()
            .find(|c| !c.documents.is_empty() && !c.notes.is_empty() && !c.decisions.is_empty())
            .expect("a case file with documents, notes and decisions");
        let applicant = bundle.case_file.person_id;
        let person_account = HashMap::from([(applicant, "applicant-key".to_string())]);
        let contexts = record_contexts(&world, &person_account);
        let case = contexts.get(&case_key(bundle.case_file.id)).expect("case");
        assert_eq!(
            case["case"]["case_number"],
            bundle.case_file.case_number.as_str()
        );
        assert_eq!(case["person"]["key"], "applicant-key");
        assert_eq!(
            case["person"]["nir"],
            world_person(bundle, applicant).nir.as_str()
        );
        assert!(case["case"]["requested_rights"].is_array());
        let tenant = world.tenant(bundle.case_file.tenant_id).expect("tenant");
        assert_eq!(case["tenant"]["code"], tenant.code.as_str());
        let document = &bundle.documents[0];
        let ctx = contexts.get(&document_key(document.id)).expect("document");
        assert_eq!(ctx["document"]["file_name"], document.file_name.as_str());
        assert_eq!(ctx["case"], case["case"]);
        let note = &bundle.notes[0];
        let ctx = contexts.get(&note_key(note.id)).expect("note");
        assert_eq!(ctx["note"]["text"], note.text.as_str());
        let decision = &bundle.decisions[0];
        let ctx = contexts.get(&decision_key(decision.id)).expect("decision");
        assert_eq!(ctx["decision"]["number"], decision.number.as_str());
        let person = contexts
            .get(&person_record_key(&person_key(applicant)))
            .expect("the applicant as a record");
        assert_eq!(person, case);
        assert_eq!(contexts.get("document-0"), None);
        assert_eq!(contexts.all().count(), contexts.at.len());
    }

    #[test]
    fn an_account_s_context_is_its_own_person_s_without_the_case_file() {
        let world = World::generate(&GenConfig::new(2, 2, 12)).expect("world");
        let (bundle, account) = world
            .cases
            .iter()
            .flat_map(|c| c.accounts.iter().map(move |a| (c, a)))
            .find(|(c, a)| a.person_id.is_some_and(|p| p != c.case_file.person_id))
            .expect("a representative's account");
        let person = account.person_id.expect("a person");
        let person_account = HashMap::new();
        let contexts = record_contexts(&world, &person_account);
        let ctx = contexts.get(&account_key(account.id)).expect("account");
        assert_eq!(ctx["account"]["login"], account.login.as_str());
        assert_eq!(
            ctx["person"]["nir"],
            world_person(bundle, person).nir.as_str()
        );
        assert!(ctx.get("case").is_none(), "{ctx}");
    }

    fn world_person(bundle: &CaseBundle, id: PersonId) -> &cloison_generators::Person {
        bundle.persons.iter().find(|p| p.id == id).expect("person")
    }
}
