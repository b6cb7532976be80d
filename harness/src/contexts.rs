//! Template contexts of a world's records: the values behind `{{case.*}}`, `{{document.*}}`, `{{person.*}}`
//! and the other record placeholders, as the generated world holds them. A leaf over the generators: the
//! plan builds them for the run, and the profile's validation builds them over a small world to learn which
//! fields a placeholder may name.

use std::collections::HashMap;

use cloison_generators::{PersonId, World};
use cloison_suites::population::{case_key, document_key, note_key, person_key};
use serde_json::{Value, json};

/// Template contexts of a world's records, without the platform's identifiers (the seeding adds `id` as it
/// learns them). Each case file's context (tenant, person, case) is held once; a record's context is its
/// case file's plus its own object, assembled on demand, so that memory stays proportional to the world.
/// Held as compact JSON text, parsed on demand: a `Value` tree weighs several times its text, and at
/// 10,000 case files the trees were the run's largest allocation (issue 23).
#[derive(Debug, Default)]
pub struct Contexts {
    cases: HashMap<String, Box<str>>,
    records: HashMap<String, (String, &'static str, Box<str>)>,
}

/// A context as held: its compact JSON text.
fn compact(value: &Value) -> Box<str> {
    value.to_string().into_boxed_str()
}

/// A held context, parsed back (it was written by [`compact`]: it always parses).
fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

impl Contexts {
    /// The context of a record (a case file, document, note or decision), or `None` if the world has no
    /// such record.
    pub fn get(&self, key: &str) -> Option<Value> {
        if let Some(base) = self.cases.get(key) {
            return Some(parse(base));
        }
        let (case, root, own) = self.records.get(key)?;
        let mut ctx = parse(self.cases.get(case)?);
        ctx[*root] = parse(own);
        Some(ctx)
    }

    /// Every record's context, assembled (for validation on small worlds).
    pub fn all(&self) -> impl Iterator<Item = Value> + '_ {
        self.cases
            .keys()
            .chain(self.records.keys())
            .filter_map(|key| self.get(key))
    }
}

/// The template contexts of a world's records.
pub fn record_contexts(world: &World, plan_person_account: &HashMap<PersonId, String>) -> Contexts {
    let mut out = Contexts::default();
    for bundle in &world.cases {
        let tenant = world
            .tenant(bundle.case_file.tenant_id)
            .map(|t| serde_json::to_value(t).unwrap_or(Value::Null));
        let person = bundle
            .persons
            .iter()
            .find(|p| p.id == bundle.case_file.person_id);
        let mut person = person
            .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
            .unwrap_or(Value::Null);
        if let Value::Object(map) = &mut person {
            map.insert(
                "key".into(),
                plan_person_account
                    .get(&bundle.case_file.person_id)
                    .cloned()
                    .into(),
            );
        }
        let case = case_value(bundle);
        let case_key = case_key(bundle.case_file.id);
        // The person as a record of its own (where a profile makes persons a resource).
        out.records.insert(
            cloison_suites::population::person_record_key(&person_key(bundle.case_file.person_id)),
            (case_key.clone(), "person", compact(&person)),
        );
        out.cases.insert(
            case_key.clone(),
            compact(&json!({ "tenant": tenant, "person": person, "case": case })),
        );
        for d in &bundle.documents {
            let own = serde_json::to_value(d).unwrap_or(Value::Null);
            out.records.insert(
                document_key(d.id),
                (case_key.clone(), "document", compact(&own)),
            );
        }
        for n in &bundle.notes {
            let own = serde_json::to_value(n).unwrap_or(Value::Null);
            out.records
                .insert(note_key(n.id), (case_key.clone(), "note", compact(&own)));
        }
        for d in &bundle.decisions {
            let own = serde_json::to_value(d).unwrap_or(Value::Null);
            out.records.insert(
                cloison_suites::population::decision_key(d.id),
                (case_key.clone(), "decision", compact(&own)),
            );
        }
        account_contexts(bundle, tenant.as_ref(), plan_person_account, &mut out);
    }
    out
}

/// A case file's own values, with the rights its requests ask for (`{{case.requested_rights}}`).
fn case_value(bundle: &cloison_generators::CaseBundle) -> Value {
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

/// The contexts of a case file's accounts as records.
fn account_contexts(
    bundle: &cloison_generators::CaseBundle,
    tenant: Option<&Value>,
    plan_person_account: &HashMap<PersonId, String>,
    out: &mut Contexts,
) {
    // An account's record is about the account's own person (a representative's account is not
    // about the applicant): a context of its own, without the case file.
    for account in &bundle.accounts {
        let Some(person) = account
            .person_id
            .and_then(|id| bundle.persons.iter().find(|p| p.id == id))
        else {
            continue;
        };
        let key = plan_person_account.get(&person.id).cloned();
        let mut person = serde_json::to_value(person).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut person {
            map.insert("key".into(), key.into());
        }
        out.cases.insert(
            cloison_suites::population::account_key(account.id),
            compact(&json!({
                "tenant": tenant,
                "person": person,
                "account": {
                    "key": account.login,
                    "login": account.login,
                    "display_name": account.display_name,
                },
            })),
        );
    }
}
