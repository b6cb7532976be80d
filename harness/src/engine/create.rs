//! Creating one record on the target: the steps of its create, made by the same identity, the values each
//! step extracts (usable by the later steps and, as `{{KIND.NAME}}`, by every later endpoint of the
//! record), and its identifier: extracted from an answer, chosen by the client (and read back when the
//! platform rewrites it), or found afterwards by listing the collection and matching the record's own
//! canaries.
//!
//! An identifier that is not a string or a number, or that two records share (a pointer at a status such
//! as `/status`, which gives every record the same "identifier"), is the profile's fault: the run stops
//! with exit 2 before any probe relies on it.

use std::collections::BTreeSet;

use cloison_suites::RecordKind;
use cloison_suites::session::MAX_RENEWALS;
use serde_json::{Map, Value};

use super::blame::Blaming;
use super::executor::Executor;
use super::{EngineError, transport};
use crate::event::Judged;
use crate::http::Exchange;
use crate::profile::{Create, Endpoint, IdSource, KeyPath};
use crate::render::SendError;

/// A record created on the target.
pub(super) struct Created {
    /// The platform's identifier of the record.
    pub id: String,
    /// The named values its create's steps extracted.
    pub values: Map<String, Value>,
    /// Foreign data in the answers (a leak even to an allowed request), boxed: the seeding holds every
    /// record's `Created` of a kind at once, and a judged probe is large.
    pub event: Option<Box<Judged>>,
    /// The last request of the create (credentials not yet redacted).
    pub curl: Option<String>,
}

/// A value of an answer usable as an identifier or a named value: a string or a number. `Ok(None)` when
/// the answer has nothing there; `Err` with what is there instead.
pub(super) fn scalar_at(json: &Value, pointer: &str) -> Result<Option<String>, String> {
    match json.pointer(pointer) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::String(_)) => Err("an empty string".into()),
        Some(Value::Null) => Err("null".into()),
        Some(Value::Bool(b)) => Err(format!("the boolean {b}")),
        Some(Value::Array(_)) => Err("a list".into()),
        Some(Value::Object(_)) => Err("an object".into()),
    }
}

/// Why a step's answer cannot give what the step extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unusable {
    /// Nothing at the pointer.
    Missing { name: String, pointer: String },
    /// Something that is not a string or a number.
    NotScalar {
        name: String,
        pointer: String,
        found: String,
    },
}

impl Unusable {
    fn name(&self) -> &str {
        match self {
            Unusable::Missing { name, .. } | Unusable::NotScalar { name, .. } => name,
        }
    }
}

/// Take what `step` extracts from its answer `json`: each named value goes into `values` and into the
/// record's root of `ctx` (for the later steps), and `id` into `id` and `ctx` by the create's identifier
/// source (an extracted identifier is required; a key the client chose is replaced by the answer's, when
/// it carries one).
pub(super) fn take_extracts(
    create: &Create,
    step: &Endpoint,
    json: &Value,
    root: &str,
    ctx: &mut Value,
    id: &mut Option<String>,
    values: &mut Map<String, Value>,
) -> Result<(), Unusable> {
    for (name, pointer) in &step.extract {
        let value = scalar_at(json, pointer).map_err(|found| Unusable::NotScalar {
            name: name.clone(),
            pointer: pointer.clone(),
            found,
        })?;
        let missing = || Unusable::Missing {
            name: name.clone(),
            pointer: pointer.clone(),
        };
        if name == "id" {
            match (&create.id, value) {
                // The key as the platform keeps it wins over the one it was given.
                (_, Some(found)) => *id = Some(found),
                (IdSource::Chosen { .. }, None) => {}
                (_, None) => return Err(missing()),
            }
            if let Some(id) = id {
                ctx[root]["id"] = id.clone().into();
            }
            continue;
        }
        let value = value.ok_or_else(missing)?;
        ctx[root][name.as_str()] = value.clone().into();
        values.insert(name.clone(), value.into());
    }
    Ok(())
}

impl Create {
    /// Where the identifier comes from, in the profile (for errors about it).
    pub(super) fn id_origin(&self) -> KeyPath {
        match &self.id {
            IdSource::Extracted(step) => self.steps[*step].origin.key("extract").key("id"),
            IdSource::Chosen { origin, .. } | IdSource::Found { origin, .. } => origin.clone(),
        }
    }
}

impl Executor<'_> {
    /// Create the record `key` as `creator` through `create`'s steps. `suffix` is appended to the values
    /// a client-chosen identifier is made of (the stateful suite creates the same record's values again,
    /// and a chosen key must not collide with the seeded record's).
    pub(super) async fn create_record(
        &self,
        key: &str,
        kind: RecordKind,
        create: &Create,
        creator: &str,
        suffix: Option<&str>,
    ) -> Result<Created, EngineError> {
        if !self.has_session(creator) {
            return Err(EngineError::Setup(format!("{creator} has no session")));
        }
        let root = kind.name();
        let what = format!("creating {key} as {creator}");
        let mut ctx = self.record_ctx(key, creator);
        let mut id = self.chosen_id(create, &what, root, &mut ctx, suffix)?;
        let bytes = match kind {
            RecordKind::Document => self
                .plan
                .document(key)
                .map(|d| self.plan.world.document_bytes(&d)),
            _ => None,
        };
        let endpoint_key = format!("resources.{}.create", self.profile.kind_name(kind));
        let mut values = Map::new();
        let mut event = None;
        let mut curl = None;
        for step in &create.steps {
            let ex = self
                .send_renewing(creator, step, &ctx, bytes.as_deref())
                .await?;
            self.created_status(step, &ex, &what)?;
            if event.is_none() {
                event = self.judge_allowed(creator, &ex, &endpoint_key, key);
            }
            curl = Some(ex.request.curl.clone());
            let json = ex.json().unwrap_or(Value::Null);
            take_extracts(create, step, &json, root, &mut ctx, &mut id, &mut values)
                .map_err(|unusable| self.unusable(&ex, step, &what, unusable))?;
        }
        if let IdSource::Found {
            items,
            id: item_id,
            origin,
        } = &create.id
        {
            let found = Finding {
                key,
                kind,
                creator,
                items,
                item_id,
                origin,
            };
            let (found, list_event) = self.find_id(&found, &ctx).await?;
            event = event.or(list_event);
            id = Some(found);
        }
        let Some(id) = id else {
            return Err(EngineError::Setup(
                self.profile
                    .error_at(
                        &create.id_origin(),
                        format!("{what}: no step gave the record's identifier"),
                    )
                    .to_string(),
            ));
        };
        Ok(Created {
            id,
            values,
            event: event.map(Box::new),
            curl,
        })
    }

    /// A key the client chooses (`IdSource::Chosen`), rendered into the record's root of `ctx`, with
    /// `suffix` appended to the values it is made of.
    fn chosen_id(
        &self,
        create: &Create,
        what: &str,
        root: &str,
        ctx: &mut Value,
        suffix: Option<&str>,
    ) -> Result<Option<String>, EngineError> {
        let IdSource::Chosen {
            template, origin, ..
        } = &create.id
        else {
            return Ok(None);
        };
        if let Some(suffix) = suffix {
            for path in template.paths() {
                let at = format!("/{}", path.join("/"));
                if let Some(Value::String(s)) = ctx.pointer_mut(&at) {
                    s.push_str(suffix);
                }
            }
        }
        let chosen = template.render(ctx).map_err(|error| {
            EngineError::Setup(self.profile.error_at(origin, error.to_string()).to_string())
        })?;
        if chosen.trim().is_empty() {
            return Err(EngineError::Setup(
                self.profile
                    .error_at(origin, format!("{what}: the chosen identifier is empty"))
                    .to_string(),
            ));
        }
        ctx[root]["id"] = chosen.clone().into();
        Ok(Some(chosen))
    }

    /// A create step's answer: accepted (see [`Blaming::setup_status`]), and not an empty list the
    /// profile's refusals call a refusal (nothing was created).
    fn created_status(
        &self,
        step: &Endpoint,
        ex: &Exchange,
        what: &str,
    ) -> Result<(), EngineError> {
        self.setup_status(step, ex, what)?;
        let refusals = self.profile.refusals_for(step);
        if refusals.empty_list && refusals.is_empty_list(&ex.observed) {
            return Err(EngineError::Setup(
                self.profile
                    .error_at(
                        &step.origin,
                        format!(
                            "{what}: {} {} answered {} with an empty list, a refusal by the profile's refusals: nothing was created (does the path name the records as the platform keeps them?)",
                            ex.request.method, ex.request.url, ex.observed.status
                        ),
                    )
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// The error for a step's answer that cannot give what the step extracts.
    fn unusable(
        &self,
        ex: &Exchange,
        step: &Endpoint,
        what: &str,
        unusable: Unusable,
    ) -> EngineError {
        let extract_key = step.origin.key("extract").key(unusable.name());
        match unusable {
            Unusable::NotScalar { pointer, found, .. } => {
                self.not_an_identifier(ex, &extract_key, what, &pointer, &found)
            }
            Unusable::Missing { name, pointer } => self.missing_in_answer(
                ex,
                &extract_key,
                what,
                &if name == "id" {
                    format!("the new record's identifier at `{pointer}`")
                } else {
                    format!("`{name}` at `{pointer}`")
                },
            ),
        }
    }

    /// Send a setup request as `creator`. An answer that says it is not signed in means its session died
    /// (it logged in during setup, and nothing was created with a 401): it logs in again, once for every
    /// request of the same dead session (see [`Executor::renew`]), and the request is sent again. A login
    /// that then fails is the target's failure, naming the identity.
    async fn send_renewing(
        &self,
        creator: &str,
        endpoint: &Endpoint,
        ctx: &Value,
        bytes: Option<&[u8]>,
    ) -> Result<Exchange, EngineError> {
        let refusals = self.profile.refusals_for(endpoint);
        let mut renewals = 0;
        loop {
            let Some(held) = self.sessions.held(creator) else {
                return Err(EngineError::Setup(format!("{creator} has no session")));
            };
            let ex = match held
                .session
                .send(&self.settings, endpoint, ctx, bytes)
                .await
            {
                Ok(ex) => ex,
                Err(err @ SendError::Template(_)) => return Err(transport(&err, self.profile)),
                Err(err) => {
                    return Err(EngineError::Target(format!(
                        "the target stopped answering while seeding: {err}"
                    )));
                }
            };
            if renewals < MAX_RENEWALS && refusals.is_unauthenticated(&ex.observed) {
                renewals += 1;
                self.renew(creator, held.generation).await?;
                continue;
            }
            return Ok(ex);
        }
    }

    /// The values that are the record's own (its own object's canaries, less those of its case file and
    /// person: a document's reference holds its case file's number), and, for a case file, those of its
    /// person as a second choice.
    fn record_canaries(&self, key: &str, kind: RecordKind) -> (BTreeSet<String>, BTreeSet<String>) {
        let ctx = self.contexts.get(key).unwrap_or(Value::Null);
        let scan = |value: &Value| -> BTreeSet<String> {
            self.scanner
                .scan(value.to_string().as_bytes())
                .into_iter()
                .map(|hit| hit.canary)
                .collect()
        };
        let person = scan(&ctx["person"]);
        if kind == RecordKind::Person {
            return (person, BTreeSet::new());
        }
        if kind == RecordKind::Case {
            return (scan(&ctx["case"]), person);
        }
        let around: BTreeSet<String> = scan(&ctx["case"]).union(&person).cloned().collect();
        let own = scan(&ctx[kind.name()])
            .difference(&around)
            .cloned()
            .collect();
        (own, BTreeSet::new())
    }

    /// List the records of the kind as the creator and find the new one by its own canaries.
    async fn find_id(
        &self,
        finding: &Finding<'_>,
        ctx: &Value,
    ) -> Result<(String, Option<Judged>), EngineError> {
        let Finding {
            key,
            kind,
            creator,
            items,
            origin,
            ..
        } = *finding;
        let what = finding.what(self.profile);
        let Some(list) = self.profile.endpoint(kind, "list") else {
            return Err(EngineError::Setup(
                self.profile
                    .error_at(origin, format!("{what}: no list endpoint"))
                    .to_string(),
            ));
        };
        let ex = self.send_renewing(creator, list, ctx, None).await?;
        self.setup_status(list, &ex, &what)?;
        let event = self.judge_allowed(
            creator,
            &ex,
            &format!("resources.{}.list", self.profile.kind_name(kind)),
            key,
        );
        let Some(list_items) = ex
            .json()
            .and_then(|json| json.pointer(items).and_then(Value::as_array).cloned())
        else {
            return Err(self.missing_in_answer(
                &ex,
                &origin.key("items"),
                &what,
                &format!("a JSON list at `{items}`"),
            ));
        };
        let id = self.pick_item(finding, &what, &ex, &list_items)?;
        if let Ok(mut claimed) = self.seeded.claimed.lock() {
            claimed.insert(id.clone());
        }
        Ok((id, event))
    }

    /// The one item of a list that carries the record's own values (else its person's), not taken by a
    /// record found or created before: its identifier.
    fn pick_item(
        &self,
        finding: &Finding<'_>,
        what: &str,
        ex: &Exchange,
        list_items: &[Value],
    ) -> Result<String, EngineError> {
        let Finding {
            key, kind, item_id, ..
        } = *finding;
        let (own, person) = self.record_canaries(key, kind);
        // Records found or created before this one are not it, whatever values they share with it.
        let known: BTreeSet<String> = self
            .seeded
            .claimed
            .lock()
            .map(|claimed| claimed.iter().cloned().collect())
            .unwrap_or_default();
        let taken = |item: &Value| {
            scalar_at(item, item_id).ok().flatten().is_some_and(|id| {
                known.contains(&id)
                    || self
                        .seeded
                        .record_ids
                        .get(key)
                        .is_some_and(|seeded| *seeded == id)
            })
        };
        let carrying = |values: &BTreeSet<String>| -> Vec<&Value> {
            list_items
                .iter()
                .filter(|item| {
                    !values.is_empty()
                        && !taken(item)
                        && self
                            .scanner
                            .scan(item.to_string().as_bytes())
                            .iter()
                            .any(|hit| values.contains(&hit.canary))
                })
                .collect()
        };
        let mut matching = carrying(&own);
        if matching.is_empty() {
            matching = carrying(&person);
        }
        let matched = Matched {
            list_items,
            own: &own,
            person: &person,
        };
        self.the_item(finding, what, ex, &matching, &matched)
    }

    /// The identifier of the only matching item; none or several is the profile's fault.
    fn the_item(
        &self,
        finding: &Finding<'_>,
        what: &str,
        ex: &Exchange,
        matching: &[&Value],
        matched: &Matched<'_>,
    ) -> Result<String, EngineError> {
        let Finding {
            item_id, origin, ..
        } = *finding;
        let Matched {
            list_items,
            own,
            person,
        } = *matched;
        let setup = |at: &KeyPath, message: String| {
            EngineError::Setup(self.profile.error_at(at, message).to_string())
        };
        match matching {
            [item] => match scalar_at(item, item_id) {
                Ok(Some(id)) => Ok(id),
                Ok(None) => Err(setup(
                    &origin.key("id"),
                    format!(
                        "{what}: the record's item has nothing at `{item_id}`: {}",
                        crate::input::capped(&item.to_string(), 200)
                    ),
                )),
                Err(found) => {
                    Err(self.not_an_identifier(ex, &origin.key("id"), what, item_id, &found))
                }
            },
            [] => Err(setup(
                origin,
                format!(
                    "{what}: no item of the {} in the list carries a value of the record ({}): the list must show a value the create sent, such as its number or its title",
                    list_items.len(),
                    own.iter()
                        .chain(person.iter())
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            many => Err(setup(
                origin,
                format!(
                    "{what}: {} items of the list carry values of the record: it cannot be told apart; the list must show a value of the record's own (its number, its title)",
                    many.len()
                ),
            )),
        }
    }
}

/// What a list offered for a record: its items, and the record's own and its person's canaries.
#[derive(Clone, Copy)]
struct Matched<'m> {
    list_items: &'m [Value],
    own: &'m BTreeSet<String>,
    person: &'m BTreeSet<String>,
}

/// A record to find in its kind's list (`IdSource::Found`).
#[derive(Clone, Copy)]
struct Finding<'f> {
    key: &'f str,
    kind: RecordKind,
    creator: &'f str,
    /// Where the list is in the answer.
    items: &'f str,
    /// Where an item's identifier is.
    item_id: &'f str,
    origin: &'f KeyPath,
}

impl Finding<'_> {
    fn what(&self, profile: &crate::profile::Profile) -> String {
        format!(
            "finding {} in the list of {}s as {}",
            self.key,
            profile.kind_name(self.kind),
            self.creator
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::profile::Profile;

    /// The document create of a two-step profile: an upload that extracts `blob`, then an attachment that
    /// extracts `id` (or, with `chosen`, a key chosen by the client and read back from the second answer).
    fn two_steps(chosen: bool) -> Create {
        let id = if chosen {
            "id = \"{{document.reference}}\"\n"
        } else {
            ""
        };
        let text = format!(
            r#"
format = 1
name = "two steps"
[policy]
applicant = ["own"]
representative = ["own"]
agent = ["tenant"]
tenant_admin = ["nothing"]
[accounts]
source = "existing"
existing = [{{ tenant = "75", role = "applicant", login = "a", password = "p" }}]
[auth]
scheme = "basic"
[refusals]
statuses = [404]
[resources.case.create]
as = "owner"
method = "POST"
path = "/cases"
extract = {{ id = "/id" }}
[resources.case.read]
path = "/cases/{{{{case.id}}}}"
[[resources.document.create]]
as = "owner"
method = "PUT"
path = "/blobs"
body = {{ file = "document" }}
extract = {{ blob = "/blob" }}
[[resources.document.create]]
method = "POST"
path = "/cases/{{{{case.id}}}}/files"
json = {{ blob = "{{{{document.blob}}}}" }}
{id}extract = {{ id = "/file/id" }}
[resources.document.read]
path = "/files/{{{{document.id}}}}"
"#
        );
        let profile =
            Profile::parse(std::path::Path::new("p.toml"), &text, None).expect("valid profile");
        profile
            .create(RecordKind::Document)
            .expect("a document create")
            .clone()
    }

    #[test]
    fn a_steps_values_reach_the_later_steps_and_the_last_gives_the_identifier() {
        let create = two_steps(false);
        let (mut ctx, mut id, mut values) = (json!({ "document": {} }), None, Map::new());
        take_extracts(
            &create,
            &create.steps[0],
            &json!({ "blob": "b-9", "size": 3 }),
            "document",
            &mut ctx,
            &mut id,
            &mut values,
        )
        .expect("the upload's answer");
        assert_eq!(ctx["document"]["blob"], "b-9");
        assert_eq!(id, None);
        // The second step's body is filled with the first step's value.
        let crate::profile::Body::Json(body) = &create.steps[1].body else {
            panic!("a JSON body");
        };
        assert_eq!(
            body.render(&ctx).expect("renders"),
            json!({ "blob": "b-9" })
        );
        take_extracts(
            &create,
            &create.steps[1],
            &json!({ "file": { "id": 12 } }),
            "document",
            &mut ctx,
            &mut id,
            &mut values,
        )
        .expect("the attachment's answer");
        assert_eq!(id.as_deref(), Some("12"));
        assert_eq!(ctx["document"]["id"], "12");
        assert_eq!(
            values,
            json!({ "blob": "b-9" })
                .as_object()
                .cloned()
                .unwrap_or_default()
        );
        // An answer without the identifier, or with a status where it should be, is unusable.
        let mut none = None;
        assert_eq!(
            take_extracts(
                &create,
                &create.steps[1],
                &json!({ "ok": true }),
                "document",
                &mut ctx,
                &mut none,
                &mut values
            ),
            Err(Unusable::Missing {
                name: "id".into(),
                pointer: "/file/id".into()
            })
        );
        assert!(matches!(
            take_extracts(&create, &create.steps[1], &json!({ "file": { "id": { "n": 1 } } }), "document", &mut ctx, &mut none, &mut values),
            Err(Unusable::NotScalar { found, .. }) if found == "an object"
        ));
    }

    #[test]
    fn a_chosen_key_is_replaced_by_the_answers_and_kept_without_one() {
        let create = two_steps(true);
        assert!(matches!(
            create.id,
            IdSource::Chosen {
                read_back: Some(1),
                ..
            }
        ));
        let mut ctx = json!({ "document": { "id": "75-2024-000001/D1" } });
        let mut values = Map::new();
        let mut id = Some("75-2024-000001/D1".to_string());
        take_extracts(
            &create,
            &create.steps[1],
            &json!({ "file": { "id": "75-2024-000001-d1" } }),
            "document",
            &mut ctx,
            &mut id,
            &mut values,
        )
        .expect("read back");
        assert_eq!(id.as_deref(), Some("75-2024-000001-d1"));
        assert_eq!(ctx["document"]["id"], "75-2024-000001-d1");
        let mut id = Some("chosen".to_string());
        take_extracts(
            &create,
            &create.steps[1],
            &json!({}),
            "document",
            &mut ctx,
            &mut id,
            &mut values,
        )
        .expect("nothing to read back");
        assert_eq!(id.as_deref(), Some("chosen"));
    }

    #[test]
    fn identifiers_are_strings_or_numbers_and_nothing_else() {
        let answer = json!({
            "id": "f-1", "n": 42, "empty": "", "none": null, "ok": true,
            "list": [1], "object": { "id": 1 }
        });
        assert_eq!(scalar_at(&answer, "/id"), Ok(Some("f-1".into())));
        assert_eq!(scalar_at(&answer, "/n"), Ok(Some("42".into())));
        assert_eq!(scalar_at(&answer, "/missing"), Ok(None));
        assert_eq!(scalar_at(&answer, "/ok"), Err("the boolean true".into()));
        assert_eq!(scalar_at(&answer, "/list"), Err("a list".into()));
        assert_eq!(scalar_at(&answer, "/object"), Err("an object".into()));
        assert_eq!(scalar_at(&answer, "/none"), Err("null".into()));
        assert_eq!(scalar_at(&answer, "/empty"), Err("an empty string".into()));
        assert_eq!(scalar_at(&answer, "/object/id"), Ok(Some("1".into())));
    }
}
