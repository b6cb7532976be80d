//! Seeding: create the world's records on the target as their owners (or their agents), kind by kind (persons
//! first, then case files and what belongs to them). Each kind's creates see the records seeded before it;
//! the result is a [`Seeded`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use cloison_suites::RecordKind;
use cloison_suites::population::Key;
use serde_json::{Map, Value, json};

use super::create::Created;
use super::executor::Executor;
use super::login::Sessions;
use super::setup::Provisioned;
use super::{EngineError, Inputs};
use crate::event::{Event, Sink};
use crate::plan::IdentityKind;
use crate::profile::{Actor, Create};

/// The records seeded on the target.
#[derive(Debug, Default)]
pub(crate) struct Seeded {
    /// The platform's identifier of each record, by record key.
    pub(crate) record_ids: HashMap<Key, String>,
    /// The named values each record's create extracted (`{{document.blob}}`).
    pub(crate) record_values: HashMap<Key, Map<String, Value>>,
    /// Identifiers found by listing (`find`), so that a later copy of the same values (the stateful
    /// suite's subjects) is told apart from the records found before it.
    pub(crate) claimed: Mutex<HashSet<String>>,
    /// Objects created.
    pub(crate) objects: usize,
}

/// The kinds created, in order: a record's parents before it.
const ORDER: [RecordKind; 5] = [
    RecordKind::Person,
    RecordKind::Case,
    RecordKind::Document,
    RecordKind::Note,
    RecordKind::Decision,
];

/// Seed the world's records; foreign data in the answers is reported as [`Event::SetupLeak`].
pub(super) async fn seed(
    inputs: &Inputs<'_>,
    provisioned: &Provisioned,
    sessions: &Sessions,
    sink: &dyn Sink,
) -> Result<Seeded, EngineError> {
    let mut seeded = Seeded::default();
    let none = BTreeSet::new();
    let accounts =
        Executor::new(inputs, provisioned, sessions, &seeded, &none, sink).account_records()?;
    seeded
        .record_ids
        .extend(accounts.into_iter().map(|(key, id)| (Key::from(key), id)));
    for kind in ORDER {
        let Some(create) = inputs.profile.create(kind) else {
            continue;
        };
        let results = {
            let executor = Executor::new(inputs, provisioned, sessions, &seeded, &none, sink);
            executor.seed_kind(kind, create).await
        };
        keep(inputs, create, results, &mut seeded, sink)?;
    }
    Ok(seeded)
}

/// Keep a kind's created records, in key order. An identifier two records share is no identifier (a
/// pointer at a status such as `/status` gives every record the same one): the profile's fault, before
/// any probe relies on it.
fn keep(
    inputs: &Inputs<'_>,
    create: &Create,
    mut results: Vec<(Key, Result<Created, EngineError>)>,
    seeded: &mut Seeded,
    sink: &dyn Sink,
) -> Result<(), EngineError> {
    results.sort_by(|a, b| a.0.cmp(&b.0));
    // Identifiers first, borrowed (a copy of every key and identifier of a kind would double them), up to
    // the first failure, which the second pass returns in its turn.
    let mut owners: HashMap<&str, &str> = HashMap::with_capacity(results.len());
    for (key, created) in &results {
        let Ok(created) = created else { break };
        if let Some(first) = owners.insert(&created.id, key.as_str()) {
            return Err(EngineError::Setup(
                inputs
                    .profile
                    .error_at(
                        &create.id_origin(),
                        format!(
                            "`{}` is the identifier of both {first} and {key}: this cannot be where the new record's identifier is (every record needs its own; a status such as `/status` is the same for all)",
                            crate::input::capped(&created.id, 80)
                        ),
                    )
                    .to_string(),
            ));
        }
    }
    drop(owners);
    for (key, created) in results {
        let created = created?;
        if !created.values.is_empty() {
            seeded.record_values.insert(key.clone(), created.values);
        }
        seeded.record_ids.insert(key, created.id);
        if let Some(event) = &created.event {
            sink.event(&Event::SetupLeak(event));
        }
        seeded.objects += 1;
    }
    Ok(())
}

impl Executor<'_> {
    /// Create every record of `kind` whose case file exists (persons and case files always).
    async fn seed_kind(
        &self,
        kind: RecordKind,
        create: &Create,
    ) -> Vec<(Key, Result<Created, EngineError>)> {
        // Keys inline (no allocation each): every record of a kind and its result are held at once.
        let records: Vec<Key> = self
            .plan
            .population
            .records()
            .iter()
            .filter(|r| {
                r.kind == kind
                    && (matches!(kind, RecordKind::Person | RecordKind::Case)
                        || self.seeded.record_ids.contains_key(r.case.as_str()))
            })
            .map(|r| r.key.clone())
            .collect();
        self.sink.event(&Event::Phase {
            name: kind.name(),
            steps: records.len(),
        });
        let results = super::batch::until_failure(
            records,
            self.options.concurrency,
            |key| async move {
                // The create's request is for reproducers of the stateful suite's subjects, not the seeding's:
                // not held for every record of the world at once.
                let created = (self.create(&key, kind, create, None).await).map(|mut created| {
                    created.curl = None;
                    created
                });
                if created.is_ok() {
                    self.inputs.made(0, 1, 1);
                }
                self.sink.event(&Event::Step);
                (key, created)
            },
            |(_, created)| created.is_err(),
        )
        .await;
        self.sink.event(&Event::PhaseEnd);
        results
    }

    /// The identity that creates a record: its person's own account, unless that is a holder account and
    /// an active representative can act for them; or an agent of its tenant.
    pub(super) fn creator(&self, record_key: &str, actor: Actor) -> Option<String> {
        let record = self.plan.population.record(record_key)?;
        match actor {
            Actor::Owner => {
                let own = self.plan.population.owners_of(record).next();
                let representative = (self.plan.population)
                    .representatives_of(&record.person)
                    .find(|i| self.has_session(&i.key));
                let holder = |key: &str| {
                    self.plan
                        .account(key)
                        .is_some_and(|a| a.kind == IdentityKind::Holder)
                };
                match (own, representative) {
                    (Some(own), Some(rep)) if holder(&own.key) => Some(rep.key.clone()),
                    (Some(own), _) => Some(own.key.clone()),
                    (None, Some(rep)) => Some(rep.key.clone()),
                    (None, None) => None,
                }
            }
            Actor::Agent => self
                .plan
                .population
                .in_tenant(&record.tenant)
                .find(|i| i.role == "agent")
                .map(|i| i.key.clone()),
        }
    }

    /// The template context of a record for an identity, with every identifier learnt so far.
    pub(crate) fn record_ctx(&self, record_key: &str, actor: &str) -> Value {
        let mut ctx = self.contexts.get(record_key).unwrap_or_else(|| json!({}));
        if let Some(record) = self.plan.population.record(record_key) {
            self.learnt_record_values(record, &mut ctx);
        }
        if let Some(account) = self.plan.account(actor) {
            ctx["identity"] =
                self.plan
                    .identity_context(self.profile, account, self.account_id(actor));
            ctx["caller"] = self.caller_ctx(actor);
        }
        if let Some(code) = ctx["tenant"]["code"]
            .as_str()
            .and_then(|code| self.provisioned.tenant_codes.get(code))
        {
            ctx["tenant"]["code"] = code.as_str().into();
        }
        ctx["secrets"] = self.secrets.clone();
        ctx
    }

    /// Into a record's context: the values the creates extracted, then the identifiers (`{{case.NAME}}`,
    /// `{{document.id}}`...).
    fn learnt_record_values(&self, record: &cloison_suites::Record, ctx: &mut Value) {
        let seeded = self.seeded;
        let root = record.kind.name();
        // The person's own record, where persons are a resource: its id and values are
        // `{{person.id}}` and `{{person.NAME}}` for every record about that person.
        let person = cloison_suites::population::person_record_key(&record.person);
        for (at, key) in [
            ("person", person.as_str()),
            ("case", record.case.as_str()),
            (root, record.key.as_str()),
        ] {
            if let Some(values) = seeded.record_values.get(key) {
                for (name, value) in values {
                    ctx[at][name.as_str()] = value.clone();
                }
            }
        }
        if let Some(id) = seeded.record_ids.get(person.as_str()) {
            ctx["person"]["id"] = id.as_str().into();
        }
        if record.kind != RecordKind::Account
            && let Some(id) = seeded.record_ids.get(record.case.as_str())
        {
            ctx["case"]["id"] = id.as_str().into();
        }
        if let Some(id) = seeded.record_ids.get(record.key.as_str()) {
            ctx[root]["id"] = id.as_str().into();
        }
        let owner = self.plan.population.owners_of(record).next();
        if let Some(id) = owner.and_then(|o| self.account_id(&o.key)) {
            ctx["person"]["account_id"] = id.into();
        }
    }

    /// Accounts as a resource: each account record's identifier is its identity's, learnt at setup (none
    /// is created). A profile whose account endpoints need `{{account.id}}` while setup learnt none is at
    /// fault, before any probe relies on it.
    fn account_records(&self) -> Result<Vec<(String, String)>, EngineError> {
        let mut bound = Vec::new();
        let needs_id = self
            .profile
            .endpoints_of(RecordKind::Account)
            .find(|(_, e)| e.placeholders().contains("account.id"));
        for record in self.plan.population.records() {
            if record.kind != RecordKind::Account {
                continue;
            }
            let identity = self.plan.population.owners_of(record).next();
            if let Some(id) = identity.and_then(|i| self.account_id(&i.key)) {
                bound.push((record.key.to_string(), id.to_string()));
                continue;
            }
            if let Some((_, endpoint)) = needs_id {
                return Err(EngineError::Setup(
                    self.profile
                        .error_at(
                            &endpoint.origin,
                            format!(
                                "`{{{{{}.id}}}}` is the id of {}'s account, which setup did not learn: expected `extract = {{ id = \"/...\" }}` on the call that creates accounts ([provisioning.identity] or [accounts.register]), or `id` on each existing account",
                                self.profile.kind_name(RecordKind::Account),
                                identity.map_or("a person", |i| i.key.as_str())
                            ),
                        )
                        .to_string(),
                ));
            }
        }
        Ok(bound)
    }

    /// Create one record as the identity the profile's `as` names (see [`Executor::creator`]).
    pub(super) async fn create(
        &self,
        key: &str,
        kind: RecordKind,
        create: &Create,
        suffix: Option<&str>,
    ) -> Result<Created, EngineError> {
        let actor = create.steps[0].actor.unwrap_or(Actor::Owner);
        let Some(creator) = self.creator(key, actor) else {
            return Err(EngineError::Setup(format!(
                "no identity can create {key} ({})",
                kind.name()
            )));
        };
        self.create_record(key, kind, create, &creator, suffix)
            .await
    }
}
