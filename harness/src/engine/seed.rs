//! Seeding: create the world's records on the target as their owners (or their agents).

use super::*;

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
            if let Some(id) = self.record_ids.get(&record.case) {
                ctx["case"]["id"] = id.clone().into();
            }
            if let Some(id) = self.record_ids.get(record_key) {
                let root = record.kind.name();
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
        ctx["secrets"] = self.secrets.clone();
        ctx
    }

    pub(super) async fn seed(&mut self) -> Result<(), EngineError> {
        for kind in [
            RecordKind::Case,
            RecordKind::Document,
            RecordKind::Note,
            RecordKind::Decision,
        ] {
            let Some(endpoint) = self.profile.endpoint(kind, "create") else {
                continue;
            };
            let actor = endpoint.actor.unwrap_or(Actor::Owner);
            let records: Vec<String> = self
                .plan
                .population
                .records()
                .iter()
                .filter(|r| {
                    r.kind == kind
                        && (kind == RecordKind::Case || self.record_ids.contains_key(&r.case))
                })
                .map(|r| r.key.clone())
                .collect();
            let bar = self.bar(records.len(), kind.name());
            let this = &*self;
            let results: Vec<Step> = futures_util::stream::iter(records)
                .map(|key| {
                    let bar = &bar;
                    async move {
                        let step = this.create(&key, kind, endpoint, actor).await;
                        bar.inc(1);
                        step
                    }
                })
                .buffer_unordered(self.options.concurrency)
                .collect()
                .await;
            bar.finish_and_clear();
            for step in results {
                match step {
                    Step::Done { key, id, event, .. } => {
                        if let Some(id) = id {
                            self.record_ids.insert(key.clone(), id);
                        }
                        if let Some(event) = event {
                            self.seeding_events.push(*event);
                        }
                        self.objects += 1;
                    }
                    Step::Stopped(err) => return Err(err),
                }
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        &self,
        key: &str,
        kind: RecordKind,
        endpoint: &Endpoint,
        actor: Actor,
    ) -> Step {
        let Some(creator) = self.creator(key, actor) else {
            return Step::Stopped(EngineError::Setup(format!(
                "no identity can create {key} ({})",
                kind.name()
            )));
        };
        let Some(session) = self.session(&creator) else {
            return Step::Stopped(EngineError::Setup(format!("{creator} has no session")));
        };
        let ctx = self.record_ctx(key, &creator);
        let bytes = match (
            kind,
            key.strip_prefix("document-")
                .and_then(|n| n.parse::<u64>().ok()),
        ) {
            (RecordKind::Document, Some(n)) => self
                .plan
                .world
                .documents()
                .find(|d| d.id.0 == n)
                .map(|d| self.plan.world.document_bytes(d)),
            _ => None,
        };
        let mut session = session;
        // Other creates by the same identity run at once and may use up a short-lived session again.
        let mut renewals = 0;
        let ex = loop {
            let ex = match session
                .send(&self.settings, endpoint, &ctx, bytes.as_deref())
                .await
            {
                Ok(ex) => ex,
                Err(err @ HttpError::Template { .. }) => {
                    return Step::Stopped(EngineError::Setup(format!(
                        "{}",
                        transport(&err, self.profile)
                    )));
                }
                Err(err) => {
                    return Step::Stopped(EngineError::Target(format!(
                        "the target stopped answering while seeding: {err}"
                    )));
                }
            };
            // A session that expired while seeding: log in again (nothing was created with a 401).
            if renewals < 3 && self.profile.refusals.is_unauthenticated(&ex.observed) {
                renewals += 1;
                if self.relogin(&creator).await.is_ok()
                    && let Some(fresh) = self.session(&creator)
                {
                    session = fresh;
                    continue;
                }
            }
            break ex;
        };
        if let Err(message) =
            self.setup_status(endpoint, &ex, &format!("creating {key} as {creator}"))
        {
            return Step::Stopped(message);
        }
        let event = self.judge_allowed(
            &creator,
            &ex,
            &format!("resources.{}.create", kind.name()),
            key,
        );
        let Some(id) = Self::extract(&ex, endpoint, "id") else {
            return Step::Stopped(self.missing_in_answer(
                &ex,
                &endpoint.origin.key("extract").key("id"),
                &format!("creating {key} as {creator}"),
                "the new record's identifier",
            ));
        };
        Step::Done {
            key: key.to_string(),
            id: Some(id),
            event: event.map(Box::new),
            curl: Some(ex.request.curl),
        }
    }
}
