//! Seeding: create the world's records on the target as their owners (or their agents).

use super::create::Created;
use super::*;
use crate::profile::Create;

impl Engine<'_> {
    /// The identity that creates a record: its person's own account, unless that is a holder account and
    /// an active representative can act for them; or an agent of its tenant.
    pub(super) fn creator(&self, record_key: &str, actor: Actor) -> Option<String> {
        let record = self.plan.population.record(record_key)?;
        match actor {
            Actor::Owner => {
                let own = self.plan.population.owners_of(record).next();
                let representative =
                    self.plan.population.identities().iter().find(|i| {
                        i.represents.contains(&record.person) && self.has_session(&i.key)
                    });
                match (own, representative) {
                    (Some(own), Some(rep)) if own.key.starts_with("holder-") => {
                        Some(rep.key.clone())
                    }
                    (Some(own), _) => Some(own.key.clone()),
                    (None, Some(rep)) => Some(rep.key.clone()),
                    (None, None) => None,
                }
            }
            Actor::Agent => self
                .plan
                .population
                .identities()
                .iter()
                .find(|i| i.role == "agent" && i.tenant == record.tenant)
                .map(|i| i.key.clone()),
        }
    }

    /// The template context of a record for an identity, with every identifier learnt so far.
    pub(super) fn record_ctx(&self, record_key: &str, actor: &str) -> Value {
        let mut ctx = self.contexts.get(record_key).unwrap_or_else(|| json!({}));
        let record = self.plan.population.record(record_key);
        if let Some(record) = record {
            // The values the creates extracted, then the identifiers: `{{case.NAME}}`, `{{document.id}}`...
            let root = record.kind.name();
            // The person's own record, where persons are a resource: its id and values are
            // `{{person.id}}` and `{{person.NAME}}` for every record about that person.
            let person = cloison_suites::population::person_record_key(&record.person);
            for (at, key) in [
                ("person", &person),
                ("case", &record.case),
                (root, &record.key),
            ] {
                if let Some(values) = self.record_values.get(key.as_str()) {
                    for (name, value) in values {
                        ctx[at][name.as_str()] = value.clone();
                    }
                }
            }
            if let Some(id) = self.record_ids.get(&person) {
                ctx["person"]["id"] = id.clone().into();
            }
            if record.kind != RecordKind::Account
                && let Some(id) = self.record_ids.get(&record.case)
            {
                ctx["case"]["id"] = id.clone().into();
            }
            if let Some(id) = self.record_ids.get(record_key) {
                ctx[root]["id"] = id.clone().into();
            }
            let owner = self.plan.population.owners_of(record).next();
            if let Some(id) = owner.and_then(|o| self.account_ids.get(&o.key)) {
                ctx["person"]["account_id"] = id.clone().into();
            }
        }
        if let Some(account) = self.plan.account(actor) {
            ctx["identity"] = self.plan.identity_context(
                self.profile,
                account,
                self.account_ids.get(actor).map(String::as_str),
            );
        }
        if let Some(code) = ctx["tenant"]["code"]
            .as_str()
            .and_then(|code| self.tenant_codes.get(code))
        {
            ctx["tenant"]["code"] = code.clone().into();
        }
        ctx["secrets"] = self.secrets.clone();
        ctx
    }

    /// Accounts as a resource: each account record's identifier is its identity's, learnt at setup (none
    /// is created). A profile whose account endpoints need `{{account.id}}` while setup learnt none is at
    /// fault, before any probe relies on it.
    fn bind_account_records(&mut self) -> Result<(), EngineError> {
        let needs_id = self
            .profile
            .endpoints_of(RecordKind::Account)
            .find(|(_, e)| e.placeholders().contains("account.id"));
        for record in self.plan.population.records() {
            if record.kind != RecordKind::Account {
                continue;
            }
            let identity = self.plan.population.owners_of(record).next();
            match identity.and_then(|i| self.account_ids.get(&i.key)) {
                Some(id) => {
                    self.record_ids.insert(record.key.clone(), id.clone());
                }
                None => {
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
            }
        }
        Ok(())
    }

    pub(super) async fn seed(&mut self) -> Result<(), EngineError> {
        self.bind_account_records()?;
        for kind in [
            RecordKind::Person,
            RecordKind::Case,
            RecordKind::Document,
            RecordKind::Note,
            RecordKind::Decision,
        ] {
            let Some(create) = self.profile.create(kind) else {
                continue;
            };
            let records: Vec<String> = self
                .plan
                .population
                .records()
                .iter()
                .filter(|r| {
                    r.kind == kind
                        && (matches!(kind, RecordKind::Person | RecordKind::Case)
                            || self.record_ids.contains_key(&r.case))
                })
                .map(|r| r.key.clone())
                .collect();
            let bar = self.bar(records.len(), kind.name());
            let this = &*self;
            let results: Vec<(String, Result<Created, EngineError>)> =
                futures_util::stream::iter(records)
                    .map(|key| {
                        let bar = &bar;
                        async move {
                            let created = this.create(&key, kind, create, None).await;
                            bar.inc(1);
                            (key, created)
                        }
                    })
                    .buffer_unordered(self.options.concurrency)
                    .collect()
                    .await;
            bar.finish_and_clear();
            // An identifier two records share is no identifier (a pointer at a status such as `/status`
            // gives every record the same one): the profile's fault, before any probe relies on it.
            let mut results = results;
            results.sort_by(|a, b| a.0.cmp(&b.0));
            let mut owners: HashMap<String, String> = HashMap::new();
            for (key, created) in results {
                let created = created?;
                if let Some(first) = owners.insert(created.id.clone(), key.clone()) {
                    return Err(EngineError::Setup(
                        self.profile
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
                if !created.values.is_empty() {
                    self.record_values.insert(key.clone(), created.values);
                }
                self.record_ids.insert(key, created.id);
                if let Some(event) = created.event {
                    self.seeding_events.push(event);
                }
                self.objects += 1;
            }
        }
        Ok(())
    }

    /// Create one record as the identity the profile's `as` names (see [`Engine::creator`]).
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
