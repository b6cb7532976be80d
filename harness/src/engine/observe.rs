//! Gathering what a probe's verdict needs: build each request through the profile (with the probe's
//! variation), send it as the probe's actor, scan the answer, and fetch the further observations
//! `cloison_suites::verdict::next_need` asks for. The engine gathers; `cloison_suites::verdict::judge`
//! decides. Writes and mass assignments are gathered in [`super::write`].

use cloison_suites::verdict::{self, Answer, Evidence, Judgement, Need, Observations};
use cloison_suites::{
    Cell, Expect, Family, Identity, Probe, RecordKind, Relation, Selector, Unsent, Variant,
};
use serde_json::Value;

use super::executor::Executor;
use super::probe::NotApplicable;
use super::renew::Unanswered;
use crate::event::Judged;
use crate::http::Exchange;
use crate::oracle;
use crate::profile::{Endpoint, Profile};
use crate::render::Tweak;

/// A probe judged, with the answer to its request; or why it was not sent; `Err`: no answer to judge (the
/// target failed, or a session was not accepted even after new logins).
pub(super) type Gathered = Result<Result<(Judgement, Exchange), NotApplicable>, Unanswered>;

impl<'a> Executor<'a> {
    /// The context of a probe: the record's values (or the actor's own tenant for collections), the actor's
    /// identity, the secrets; for a generic probe, the actor's own scope (`own`).
    pub(super) fn probe_ctx(&self, probe: &Probe) -> Value {
        let actor = probe.actor.as_deref().unwrap_or("");
        let mut ctx = match &probe.record {
            Some(record) => self.record_ctx(record, actor),
            None => self.identity_ctx(actor),
        };
        self.add_own_ctx(probe, &mut ctx);
        if let cloison_suites::Variant::UserUrl { identity } = &probe.variant {
            self.lend_caller(&mut ctx, identity);
        }
        ctx
    }

    /// Foreign canaries of a response for `reader` (everything is foreign to an anonymous caller), split
    /// into proof and reflection against what the request carried.
    pub(super) fn evidence(&self, reader: Option<&Identity>, ex: &Exchange) -> Evidence {
        let mut hits = self.scan(&ex.observed);
        // A record a proven write moved or re-owned shows up where the world does not put it: the write's
        // finding, not this probe's.
        if let Ok(changed) = self.changed.lock()
            && !changed.is_empty()
        {
            hits.retain(|hit| hit.owner.case.as_ref().is_none_or(|c| !changed.contains(c)));
        }
        let foreign = match reader {
            Some(identity) => {
                let own = self.plan.own_values.get(&identity.key);
                oracle::foreign(&self.plan.population, &self.profile.policy, identity, hits)
                    .into_iter()
                    .filter(|hit| !own.is_some_and(|values| values.contains(&hit.canary)))
                    .collect()
            }
            None => hits,
        };
        verdict::split_reflected(foreign, &oracle::carried(self.scanner, &ex.sent))
    }

    /// Send a request of a probe as `actor` (anonymously for `None`); as an identity, only a live session's
    /// answer comes back (see [`Executor::send_live`]).
    pub(super) async fn send(
        &self,
        actor: Option<&str>,
        endpoint: &Endpoint,
        ctx: &Value,
        tweak: &Tweak,
    ) -> Result<Exchange, Unanswered> {
        self.send_carrying(actor, endpoint, ctx, tweak, None).await
    }

    /// [`Executor::send`] with `file` as the bytes of a multipart file part or a raw file body.
    pub(super) async fn send_carrying(
        &self,
        actor: Option<&str>,
        endpoint: &Endpoint,
        ctx: &Value,
        tweak: &Tweak,
        file: Option<&[u8]>,
    ) -> Result<Exchange, Unanswered> {
        // A target taken as gone gets no more request, even in the middle of a probe.
        if self.target_gone() {
            return Err(String::from("not sent: the target stopped answering").into());
        }
        if let Some(key) = actor {
            return self.send_live(key, endpoint, ctx, tweak, file).await;
        }
        let mut tweak = tweak.clone();
        tweak.anonymous = true;
        Ok(self
            .anonymous
            .send_with(&self.settings, endpoint, ctx, file, &tweak)
            .await
            .map_err(|e| e.to_string())?)
    }

    /// The endpoint that reads a record of a kind back (read, else download, else a nested list).
    pub(super) fn read_back_endpoint(&self, kind: RecordKind) -> Option<&'a Endpoint> {
        self.read_back_endpoints(kind).next()
    }

    /// The endpoints that read a record of a kind back, in the order they are preferred.
    fn read_back_endpoints(&self, kind: RecordKind) -> impl Iterator<Item = &'a Endpoint> {
        let profile: &'a Profile = self.profile;
        ["read", "download", "list"]
            .into_iter()
            .filter_map(move |op| profile.endpoint(kind, op))
            .filter(move |e| {
                let p = e.placeholders();
                p.contains(&format!("{}.id", kind.name())) || p.contains("case.id")
            })
    }

    /// The endpoint `reader` reads `record` back through: the first of [`Executor::read_back_endpoint`]'s
    /// that does not narrow the reader's role away from it (`narrow` in the profile: a refusal there is
    /// declared, and would say nothing of the record).
    pub(super) fn read_back_endpoint_as(&self, reader: &str, record: &str) -> Option<&'a Endpoint> {
        let population = &self.plan.population;
        let record = population.record(record)?;
        let Some(identity) = population.identity(reader) else {
            return self.read_back_endpoint(record.kind);
        };
        let policy = &self.profile.policy;
        self.read_back_endpoints(record.kind)
            .find(|e| !policy.refused_through(&e.origin.to_string(), population, identity, record))
    }

    /// Read a record as `reader` (a read-back): the exchange, or why it could not be sent.
    pub(super) async fn read_as(&self, reader: &str, record: &str) -> Result<Exchange, Unanswered> {
        let kind = self
            .plan
            .population
            .record(record)
            .map(|r| r.kind)
            .ok_or_else(|| format!("{record} is not in the population"))?;
        let endpoint = self
            .read_back_endpoint_as(reader, record)
            .ok_or_else(|| format!("no endpoint reads a {kind} back as {reader}"))?;
        let ctx = self.record_ctx(record, reader);
        self.send(Some(reader), endpoint, &ctx, &Tweak::default())
            .await
    }

    /// The probe's variation of the request: a tenant selector in a header or the query, or a neighbouring
    /// identifier in the context.
    fn vary(&self, probe: &Probe, ctx: &mut Value) -> Result<Tweak, NotApplicable> {
        let mut tweak = Tweak::default();
        match &probe.variant {
            Variant::Selector { selector, tenant } => {
                let tenant = self.platform_tenant_code(tenant).to_string();
                match selector {
                    Selector::Header(name) => tweak.headers.push((name.clone(), tenant)),
                    Selector::Query(name) => tweak.query.push((name.clone(), tenant)),
                }
            }
            Variant::Neighbour { offset } => {
                let kind = probe.cell.kind.name();
                let own = ctx[kind]["id"]
                    .as_str()
                    .and_then(|id| id.parse::<i64>().ok());
                let Some(own) = own else {
                    return Err(NotApplicable(Unsent::IdentifiersNotNumbers));
                };
                let guess = own + offset;
                if guess <= 0 {
                    return Err(NotApplicable(Unsent::NoIdentifierBelow));
                }
                ctx[kind]["id"] = guess.to_string().into();
            }
            _ => {}
        }
        Ok(tweak)
    }

    /// The victim looks at their record just before the attacker asks for the same URL: a response cache
    /// keyed without the caller then serves the victim's answer (the attack needs no guessing of time).
    /// Once per cell: the first probe of every cell comes early, and the others need not pay for it.
    async fn warm_cache(&self, probe: &Probe, endpoint: &Endpoint) {
        let first_of_cell = probe.family == Family::DirectRead
            && self
                .counters
                .warmed
                .lock()
                .is_ok_and(|mut warmed| warmed.insert(probe.cell.clone()));
        if first_of_cell
            && let Some(record_key) = probe.record.as_deref()
            && let Some(steward) = self
                .plan
                .population
                .record(record_key)
                .and_then(|r| self.plan.population.steward_of(r))
            && Some(steward.key.as_str()) != probe.actor.as_deref()
        {
            let warm = self.record_ctx(record_key, &steward.key);
            let _ = self
                .send(Some(&steward.key), endpoint, &warm, &Tweak::default())
                .await;
        }
    }

    /// Whether the actor has records of the probe's kind outside the pool set aside for writes: a list must
    /// show them.
    fn owns_listed(&self, actor: Option<&Identity>, probe: &Probe) -> bool {
        let Some(person) = actor.and_then(|a| a.person.as_deref()) else {
            return false;
        };
        self.plan.population.records().iter().any(|r| {
            r.kind == probe.cell.kind && r.person == person && !self.pool.contains(r.case.as_str())
        })
    }

    /// Reads, lists, searches, exports, functions, controls, selectors, neighbours, anonymous calls: the
    /// answer, then its own data and the plain request when the verdict path asks for them.
    pub(super) async fn read_like(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
        resend_server_error: bool,
    ) -> Gathered {
        let mut ctx = self.probe_ctx(probe);
        let tweak = match self.vary(probe, &mut ctx) {
            Ok(tweak) => tweak,
            Err(not_applicable) => return Ok(Err(not_applicable)),
        };
        self.warm_cache(probe, endpoint).await;
        let actor_key = probe.actor.as_deref();
        let forged = match (&probe.variant, actor_key) {
            (Variant::Forged { forgery, victim }, Some(actor)) => {
                match self.forged_session(actor, victim, *forgery) {
                    Ok(session) => Some(session),
                    Err(not_applicable) => return Ok(Err(not_applicable)),
                }
            }
            _ => None,
        };
        let mut ex = match &forged {
            Some(session) => self.send_forged(session, endpoint, &ctx, &tweak).await?,
            None => self.send(actor_key, endpoint, &ctx, &tweak).await?,
        };
        // One server error does not void a run: a control answered 5xx is sent once more, and the second
        // answer decides (docs/run.md, "Server errors").
        if resend_server_error && ex.observed.is_server_error() {
            tokio::time::sleep(self.settings.retry.backoff).await;
            ex = self.send(actor_key, endpoint, &ctx, &tweak).await?;
        }
        // Accepted for later (an export prepared in the background): its result is the answer.
        let ex = self.follow_pending(actor_key, endpoint, ex).await?;
        let population = &self.plan.population;
        let actor = actor_key.and_then(|a| population.identity(a));
        let record = probe.record.as_deref().and_then(|r| population.record(r));
        let evidence = self.evidence(actor, &ex);
        let (own_data, plain, plain_evidence, twin);
        let answer = Answer {
            observed: &ex.observed,
            evidence: &evidence,
        };
        let refusals = self.profile.refusals_for(endpoint);
        let mut seen = Observations::of_answer(actor, record, refusals, answer);
        seen.actor_owns_listed =
            probe.family == Family::Collection && self.owns_listed(actor, probe);
        if verdict::next_need(probe, &seen) == Some(Need::OwnData) {
            own_data = self.scan(&ex.observed);
            seen.own_data = Some(&own_data);
        }
        if verdict::next_need(probe, &seen) == Some(Need::Baseline) {
            let sent = self
                .send(actor_key, endpoint, &ctx, &Tweak::default())
                .await?;
            plain = self.follow_pending(actor_key, endpoint, sent).await?;
            plain_evidence = self.evidence(actor, &plain);
            seen.baseline = Some(Answer {
                observed: &plain.observed,
                evidence: &plain_evidence,
            });
        }
        if verdict::next_need(probe, &seen) == Some(Need::AllowedTwin)
            && let Some(allowed) = self.allowed_caller(probe, endpoint)
        {
            let twin_probe = Probe {
                actor: Some(allowed.clone()),
                ..probe.clone()
            };
            let twin_ctx = self.probe_ctx(&twin_probe);
            let sent = self
                .send(Some(&allowed), endpoint, &twin_ctx, &Tweak::default())
                .await?;
            twin = self.follow_pending(Some(&allowed), endpoint, sent).await?;
            seen.allowed_twin = Some(&twin.observed);
        }
        let judgement = verdict::judge(probe, &seen);
        Ok(Ok((judgement, ex)))
    }

    /// An identity the policy allows to make the probe's request, for its allowed twin: for a function, an
    /// identity of a role granted it, of the record's tenant (else the actor's) and allowed to see the
    /// record; otherwise the record's steward. `None` when there is none with a session.
    fn allowed_caller(&self, probe: &Probe, endpoint: &Endpoint) -> Option<String> {
        let population = &self.plan.population;
        let record = probe.record.as_deref().and_then(|r| population.record(r));
        let actor = probe.actor.as_deref().and_then(|a| population.identity(a));
        let tenant = record
            .map(|r| r.tenant.as_str())
            .or(actor.map(|a| a.tenant.as_str()));
        let allowed = match &endpoint.granted {
            Some(granted) => population.identities().iter().find(|i| {
                granted.contains(&i.role)
                    && tenant.is_none_or(|t| i.tenant == t)
                    && record
                        .is_none_or(|r| self.profile.policy.may_see(population, i, r).is_allowed())
                    && self.sessions.has(&i.key)
            }),
            None => record
                .and_then(|r| population.steward_of(r))
                .filter(|steward| self.sessions.has(&steward.key)),
        };
        allowed
            .map(|i| i.key.clone())
            .filter(|key| probe.actor.as_deref() != Some(key.as_str()))
    }

    /// A forbidden object, then (unless it leaks) an identifier of the same shape that names nothing.
    pub(super) async fn existence(&self, probe: &Probe, endpoint: &Endpoint) -> Gathered {
        let ctx = self.probe_ctx(probe);
        let kind = probe.cell.kind.name();
        let Some(id) = ctx[kind]["id"].as_str().map(str::to_string) else {
            return Ok(Err(NotApplicable(Unsent::NoIdentifier)));
        };
        let actor_key = probe.actor.as_deref();
        let existing = self
            .send(actor_key, endpoint, &ctx, &Tweak::default())
            .await?;
        let population = &self.plan.population;
        let actor = actor_key.and_then(|a| population.identity(a));
        let record = probe.record.as_deref().and_then(|r| population.record(r));
        let evidence = self.evidence(actor, &existing);
        let missing;
        let answer = Answer {
            observed: &existing.observed,
            evidence: &evidence,
        };
        let refusals = self.profile.refusals_for(endpoint);
        let mut seen = Observations::of_answer(actor, record, refusals, answer);
        if verdict::next_need(probe, &seen) == Some(Need::MissingTwin) {
            let mut missing_ctx = ctx.clone();
            missing_ctx[kind]["id"] = missing_identifier(&id).into();
            missing = self
                .send(actor_key, endpoint, &missing_ctx, &Tweak::default())
                .await?;
            seen.missing = Some(&missing.observed);
        }
        let judgement = verdict::judge(probe, &seen);
        Ok(Ok((judgement, existing)))
    }

    /// Scan a response to an allowed request (seeding): foreign data in it is still a leak.
    pub(super) fn judge_allowed(
        &self,
        actor_key: &str,
        ex: &Exchange,
        endpoint_key: &str,
        record: &str,
    ) -> Option<Judged> {
        let actor = self.plan.population.identity(actor_key)?;
        let evidence = self.evidence(Some(actor), ex);
        let judgement = verdict::judge_seeding(actor, &evidence.proof, ex.observed.status)?;
        let record_ref = self.plan.population.record(record)?;
        let probe = Probe {
            family: Family::AllowedRead,
            actor: Some(actor_key.to_string()),
            endpoint: endpoint_key.to_string(),
            record: Some(record.to_string()),
            variant: Variant::Plain,
            expect: Expect::Visible,
            cell: Cell {
                family: Family::AllowedRead,
                endpoint: endpoint_key.to_string(),
                role: actor.role.clone(),
                relation: Relation::of(actor, record_ref),
                kind: record_ref.kind,
                via: None,
            },
        };
        Some(Judged {
            probe,
            explanation: judgement.explanation,
            verdict: judgement.verdict,
            exchange: Some(ex.kept()),
            at: 0.0,
            sequence: 0,
            steps: Vec::new(),
        })
    }
}

/// An identifier of the same shape as `id` that names nothing: digits become 9s past the real range, letters
/// and hex digits become zeros, separators stay.
pub(crate) fn missing_identifier(id: &str) -> String {
    if let Ok(n) = id.parse::<u64>() {
        return (n.saturating_mul(1000).saturating_add(999_999)).to_string();
    }
    let candidate: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { '0' } else { c })
        .collect();
    if candidate == id {
        format!("{id}1")
    } else {
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_identifiers_keep_the_shape() {
        assert_eq!(missing_identifier("42"), "1041999");
        assert_eq!(
            missing_identifier("3f2a9c00-1b2c-4d5e-8f90-1a2b3c4d5e6f"),
            "00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(missing_identifier("ab-c"), "00-0");
        assert_eq!(missing_identifier("--"), "--1");
    }
}
