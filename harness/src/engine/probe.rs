//! Probes and controls: send each try, read writes back as their owners, and judge every response
//! by its data.

use super::*;

impl<'a> Engine<'a> {
    /// Scan a response to an allowed request: foreign data in it is still a leak.
    pub(super) fn judge_allowed(
        &self,
        actor_key: &str,
        ex: &Exchange,
        family: &str,
        record: &str,
    ) -> Option<Finding> {
        let actor = self.plan.population.identity(actor_key)?;
        let hits = oracle::scan_response(self.scanner, &ex.observed);
        let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
        if foreign.is_empty() {
            return None;
        }
        Some(self.finding(
            actor_key,
            Some(record),
            family,
            "response",
            Evidence::ProvenLeak,
            ex,
            foreign,
            "foreign data in the response to an allowed request".into(),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn finding(
        &self,
        actor_key: &str,
        record: Option<&str>,
        family: &str,
        what: &str,
        evidence: Evidence,
        ex: &Exchange,
        leaked: Vec<oracle::Hit>,
        explanation: String,
    ) -> Finding {
        let party = |key: &str| {
            self.plan.population.identity(key).map(|i| Party {
                identity: i.key.clone(),
                role: i.role.clone(),
                tenant: i.tenant.clone(),
            })
        };
        let actor = party(actor_key).unwrap_or(Party {
            identity: actor_key.into(),
            role: String::new(),
            tenant: String::new(),
        });
        let victim = record
            .and_then(|r| self.plan.population.record(r))
            .and_then(|r| self.plan.population.steward_of(r))
            .and_then(|s| party(&s.key));
        let secrets = self
            .sessions
            .get(actor_key)
            .map(|s| s.credential.secrets.clone())
            .unwrap_or_default();
        Finding {
            class: format!("{family}: {what}"),
            evidence,
            probe: record.map_or_else(
                || family.to_string(),
                |r| format!("{family}/{actor_key}/{r}"),
            ),
            actor,
            victim,
            record: record.map(str::to_string),
            request: ex.request.clone(),
            status: ex.observed.status,
            excerpt: ex.excerpt(400, &secrets),
            leaked,
            explanation,
        }
    }

    /// Send the write probes one at a time, each followed by the owner's read-back.
    pub(super) async fn execute_writes(&mut self, writes: &[Probe]) -> Vec<String> {
        let bar = self.bar(writes.len(), "writes");
        let mut failures = Vec::new();
        for (i, probe) in writes.iter().enumerate() {
            match self.write_probe(i, probe).await {
                Ok(Some(finding)) => self.findings.push((format!("3-write/{i:09}"), finding)),
                Ok(None) => {}
                Err(failure) => failures.push(failure),
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        failures
    }

    pub(super) async fn write_probe(
        &self,
        index: usize,
        probe: &Probe,
    ) -> Result<Option<Finding>, String> {
        let (Some(update), Some(read)) = (
            self.profile.endpoint(probe.kind, "update"),
            self.profile.endpoint(probe.kind, "read"),
        ) else {
            return Ok(None);
        };
        let (Some(session), Some(actor)) = (
            self.sessions.get(&probe.actor),
            self.plan.population.identity(&probe.actor),
        ) else {
            return Err(format!("{} has no session", probe.actor));
        };
        let Some(record) = self.plan.population.record(&probe.record) else {
            return Err(format!("{} is not in the population", probe.record));
        };
        let Some(owner) = self.plan.population.steward_of(record) else {
            return Ok(None);
        };
        let Some(owner_session) = self.sessions.get(&owner.key) else {
            return Err(format!("{} has no session", owner.key));
        };
        let marker = format!(
            "cloison-write-probe-{index:06}-{}",
            self.plan.world.config().seed
        );
        let mut ctx = self.record_ctx(&probe.record, &probe.actor);
        ctx["probe"] = json!({ "marker": marker, "id": probe.id() });
        let ex = session
            .send(&self.settings, update, &ctx, None)
            .await
            .map_err(|e| e.to_string())?;
        let what = format!("{} {}", probe.operation.name(), probe.kind);
        let hits = oracle::scan_response(self.scanner, &ex.observed);
        let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
        if ex.observed.status >= 500 {
            return Err(format!(
                "{}: the target answered {} ({})",
                probe.id(),
                ex.observed.status,
                ex.request.curl
            ));
        }
        // Status codes lie: read the record back as its owner.
        let owner_ctx = self.record_ctx(&probe.record, &owner.key);
        let back = owner_session
            .send(&self.settings, read, &owner_ctx, None)
            .await
            .map_err(|e| e.to_string())?;
        if !(200..300).contains(&back.observed.status) {
            return Err(format!(
                "read-back of {} by its owner {} answered {}",
                probe.record, owner.key, back.observed.status
            ));
        }
        let tampered = back
            .observed
            .body
            .windows(marker.len())
            .any(|w| w == marker.as_bytes());
        if tampered {
            let explanation = format!(
                "{} ({}) changed {}'s record: its owner reads back the marker (write answered {})",
                actor.key, actor.role, owner.key, ex.observed.status
            );
            return Ok(Some(self.finding(
                &probe.actor,
                Some(&probe.record),
                probe.family,
                &what,
                Evidence::ProvenTampering,
                &ex,
                foreign,
                explanation,
            )));
        }
        if !foreign.is_empty() {
            let explanation = format!(
                "the answer to a forbidden {what} carried {} foreign canaries",
                foreign.len()
            );
            return Ok(Some(self.finding(
                &probe.actor,
                Some(&probe.record),
                probe.family,
                &what,
                Evidence::ProvenLeak,
                &ex,
                foreign,
                explanation,
            )));
        }
        if oracle::is_refusal(self.profile.refusals_for(update), &ex.observed) {
            return Ok(None);
        }
        let reason = format!(
            "{} to a forbidden {what}, but the owner's read-back shows no change",
            ex.observed.status
        );
        Ok(Some(self.finding(
            &probe.actor,
            Some(&probe.record),
            probe.family,
            &what,
            Evidence::Suspicious,
            &ex,
            Vec::new(),
            reason,
        )))
    }

    pub(super) fn read_endpoint(
        &self,
        kind: RecordKind,
        operation: cloison_suites::Operation,
    ) -> Option<&'a Endpoint> {
        let profile: &'a Profile = self.profile;
        match operation {
            cloison_suites::Operation::Download => profile
                .endpoint(kind, "download")
                .or_else(|| profile.endpoint(kind, "read")),
            cloison_suites::Operation::Read | cloison_suites::Operation::Update => {
                profile.endpoint(kind, "read")
            }
        }
    }

    /// Send probes (or controls) and judge them. Returns the target failures.
    pub(super) async fn execute(&mut self, probes: &[Probe], controls: bool) -> Vec<String> {
        let bar = self.bar(probes.len(), if controls { "controls" } else { "probes" });
        let this = &*self;
        let results: Vec<(usize, Result<Option<Finding>, String>)> =
            futures_util::stream::iter(probes.iter().enumerate())
                .map(|(i, probe)| {
                    let bar = &bar;
                    async move {
                        let result = this.probe(probe, controls).await;
                        bar.inc(1);
                        (i, result)
                    }
                })
                .buffer_unordered(self.options.concurrency)
                .collect()
                .await;
        bar.finish_and_clear();
        let mut failures = Vec::new();
        let mut ordered = results;
        ordered.sort_by_key(|(i, _)| *i);
        let prefix = if controls { "1-control" } else { "2-probe" };
        for (i, result) in ordered {
            match result {
                Ok(Some(finding)) => self.findings.push((format!("{prefix}/{i:09}"), finding)),
                Ok(None) => {}
                Err(failure) => failures.push(failure),
            }
        }
        failures
    }

    pub(super) async fn probe(
        &self,
        probe: &Probe,
        control: bool,
    ) -> Result<Option<Finding>, String> {
        let Some(endpoint) = self.read_endpoint(probe.kind, probe.operation) else {
            return Err(format!(
                "the profile has no {} endpoint for {}",
                probe.operation.name(),
                probe.kind
            ));
        };
        let Some(session) = self.sessions.get(&probe.actor) else {
            return Err(format!("{} has no session", probe.actor));
        };
        if !self.record_ids.contains_key(&probe.record) {
            return Err(format!("{} was not seeded", probe.record));
        }
        let ctx = self.record_ctx(&probe.record, &probe.actor);
        let ex = session
            .send(&self.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| e.to_string())?;
        let Some(actor) = self.plan.population.identity(&probe.actor) else {
            return Err(format!("{} is not in the population", probe.actor));
        };
        let hits = oracle::scan_response(self.scanner, &ex.observed);
        let what = format!("{} {}", probe.operation.name(), probe.kind);
        if control {
            let record = self.plan.population.record(&probe.record);
            let own = hits.iter().any(|h| {
                record.is_some_and(|r| h.owner.person.as_deref() == Some(r.person.as_str()))
            });
            let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
            if !foreign.is_empty() {
                return Ok(Some(self.finding(
                    &probe.actor,
                    Some(&probe.record),
                    "owner-read",
                    &what,
                    Evidence::ProvenLeak,
                    &ex,
                    foreign,
                    "foreign data in the owner's own read".into(),
                )));
            }
            let status = ex.observed.status;
            if !(200..300).contains(&status) {
                return Err(format!(
                    "control: {} could not {what} {} of its own ({status}); refusals would prove nothing: {}",
                    probe.actor, probe.record, ex.request.curl
                ));
            }
            if !own {
                return Err(format!(
                    "control: {}'s own {what} {} answered {status} without any of its canaries: the profile's endpoint does not return the record",
                    probe.actor, probe.record
                ));
            }
            return Ok(None);
        }
        let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
        let refusals = self.profile.refusals_for(endpoint);
        match oracle::judge_forbidden(foreign, refusals, &ex.observed) {
            Verdict::Refused => Ok(None),
            Verdict::Leak(hits) => {
                let owners: std::collections::BTreeSet<String> = hits
                    .iter()
                    .map(|h| {
                        format!(
                            "person {} of tenant {}",
                            h.owner.person.as_deref().unwrap_or("-"),
                            h.owner.tenant
                        )
                    })
                    .collect();
                let explanation = format!(
                    "{} canar{} of {} reached {} ({}) with status {}",
                    hits.len(),
                    if hits.len() == 1 { "y" } else { "ies" },
                    owners.into_iter().collect::<Vec<_>>().join(", "),
                    actor.key,
                    actor.role,
                    ex.observed.status
                );
                Ok(Some(self.finding(
                    &probe.actor,
                    Some(&probe.record),
                    probe.family,
                    &what,
                    Evidence::ProvenLeak,
                    &ex,
                    hits,
                    explanation,
                )))
            }
            Verdict::Suspicious(reason) => Ok(Some(self.finding(
                &probe.actor,
                Some(&probe.record),
                probe.family,
                &what,
                Evidence::Suspicious,
                &ex,
                Vec::new(),
                reason,
            ))),
            Verdict::Failure(reason) => {
                Err(format!("{}: {reason} ({})", probe.id(), ex.request.curl))
            }
        }
    }
}
