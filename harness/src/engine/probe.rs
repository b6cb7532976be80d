//! Executing probes: build each request through the profile (with the probe's variation), send it as the
//! probe's actor, scan the answer, and hand everything to the verdict functions of `cloison_suites`. Writes
//! are followed by read-backs as the owner and as the writer; mass assignments by reads as the identity or
//! tenant the slipped field named. Every planned probe is reported as events: planned, sent, then judged,
//! not sent (and why) or failed.

use std::sync::atomic::Ordering;
use std::time::Instant;

use cloison_suites::verdict::{
    self, Evidence, ReadBack, judge_control, judge_existence, judge_forbidden, judge_visible,
    judge_write, split_reflected,
};
use cloison_suites::{
    Expect, Family, Identity, Named, Op, Probe, RecordKind, Relation, Selector, Variant, Verdict,
};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::GIVE_UP_AFTER;
use super::executor::Executor;
use crate::event::{Event, Judged, NotSent, ProbeState};
use crate::http::Exchange;
use crate::oracle;
use crate::profile::{Endpoint, Profile};
use crate::render::Tweak;

/// The outcome of one probe before it becomes an event.
struct Tried {
    verdict: Verdict,
    exchange: Option<Exchange>,
    explanation: String,
}

impl Tried {
    fn new(verdict: Verdict, exchange: Option<Exchange>, explanation: impl Into<String>) -> Self {
        Self {
            verdict,
            exchange,
            explanation: explanation.into(),
        }
    }
}

/// Why a probe does not apply (it is then not sent).
pub(super) struct NotApplicable(pub(super) String);

impl From<NotApplicable> for NotSent {
    fn from(na: NotApplicable) -> Self {
        NotSent::NotApplicable(na.0)
    }
}

/// A probe judged, not sent, or a failure of the target.
pub(super) type Attempt = Result<Result<Judged, NotSent>, String>;

impl<'a> Executor<'a> {
    /// Execute probes concurrently, as the phase `what`; each one's events carry its index.
    pub(super) async fn execute(&self, probes: &[Probe], what: &str) {
        self.plan_phase(probes, what);
        futures_util::stream::iter(probes.iter().enumerate())
            .map(|(index, probe)| async move {
                let result = self.attempt(index, probe).await;
                self.settle(index, probe, &result);
            })
            .buffer_unordered(self.options.concurrency)
            .collect::<Vec<()>>()
            .await;
        self.sink.event(&Event::PhaseEnd);
    }

    /// Execute probes one at a time (they change data).
    pub(super) async fn execute_sequentially(&self, probes: &[Probe]) {
        self.plan_phase(probes, "writes");
        for (index, probe) in probes.iter().enumerate() {
            let result = self.attempt(index, probe).await;
            self.settle(index, probe, &result);
        }
        self.sink.event(&Event::PhaseEnd);
    }

    /// A phase of probes starts: each is planned.
    fn plan_phase(&self, probes: &[Probe], what: &str) {
        self.sink.event(&Event::Phase {
            name: what,
            steps: probes.len(),
        });
        for (index, probe) in probes.iter().enumerate() {
            self.sink.event(&Event::Probe {
                index,
                probe,
                state: ProbeState::Planned,
            });
        }
    }

    /// Send a planned probe unless the run stopped, reporting it as sent first.
    async fn attempt(&self, index: usize, probe: &Probe) -> Attempt {
        if let Some(reason) = self.stop_reason() {
            return Ok(Err(reason));
        }
        self.sink.event(&Event::Probe {
            index,
            probe,
            state: ProbeState::Sent,
        });
        self.judge_sent(probe).await
    }

    /// Report what a probe came to.
    fn settle(&self, index: usize, probe: &Probe, result: &Attempt) {
        let state = match result {
            Ok(Ok(judged)) => ProbeState::Judged(judged),
            Ok(Err(reason)) => ProbeState::NotSent(reason),
            Err(failure) => ProbeState::Failed(failure),
        };
        self.sink.event(&Event::Probe {
            index,
            probe,
            state,
        });
    }

    /// Why no more probe is sent, once the run stops: interrupted, past its deadline, or the target gone.
    pub(super) fn stop_reason(&self) -> Option<NotSent> {
        if self.options.interrupt.load(Ordering::SeqCst) {
            Some(NotSent::Interrupted)
        } else if self.options.deadline.is_some_and(|d| Instant::now() > d) {
            Some(NotSent::Deadline)
        } else if self.counters.failures_in_a_row.load(Ordering::SeqCst) >= GIVE_UP_AFTER {
            Some(NotSent::TargetGone)
        } else {
            None
        }
    }

    /// Send one probe (re-logging its actor in once if its session was not accepted) and judge it, unless
    /// the run stopped.
    pub(super) async fn judge(&self, probe: &Probe) -> Attempt {
        match self.stop_reason() {
            Some(reason) => Ok(Err(reason)),
            None => self.judge_sent(probe).await,
        }
    }

    /// [`Executor::judge`] once the run is known to go on.
    async fn judge_sent(&self, probe: &Probe) -> Attempt {
        let first = self.try_probe(probe).await;
        match &first {
            Err(_) => {
                self.counters
                    .failures_in_a_row
                    .fetch_add(1, Ordering::SeqCst);
            }
            Ok(_) => self.counters.failures_in_a_row.store(0, Ordering::SeqCst),
        }
        let mut tried = match first? {
            Ok(tried) => tried,
            Err(na) => return Ok(Err(na.into())),
        };
        // A session may expire again before the retry is sent (short-lived sessions shared by concurrent
        // probes of the same identity): a few fresh logins before the probe is said to prove nothing.
        if let Some(actor) = &probe.actor {
            let mut renewals = 0;
            while tried.verdict == Verdict::Unauthenticated && renewals < 3 {
                renewals += 1;
                self.relogin(actor).await?;
                tried = match self.try_probe(probe).await? {
                    Ok(tried) => tried,
                    Err(na) => return Ok(Err(na.into())),
                };
            }
            if tried.verdict == Verdict::Unauthenticated {
                tried.explanation = format!(
                    "{actor}'s requests are not accepted even right after a new login: the probe proves nothing"
                );
            }
        }
        let sequence = self.counters.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        let keep = tried.verdict != Verdict::Pass;
        Ok(Ok(Judged {
            probe: probe.clone(),
            verdict: tried.verdict,
            exchange: if keep { tried.exchange } else { None },
            at: self.started.elapsed().as_secs_f64(),
            sequence,
            explanation: tried.explanation,
            steps: Vec::new(),
        }))
    }

    /// Log an identity in again and keep its new session.
    pub(super) async fn relogin(&self, key: &str) -> Result<(), String> {
        let Some(account) = self.plan.account(key) else {
            return Err(format!("{key} has no account"));
        };
        let (session, _) = self
            .login(account)
            .await
            .map_err(|e| format!("logging {key} in again: {e}"))?;
        self.set_session(key.to_string(), session);
        self.counters.relogins.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// The context of a probe: the record's values (or the actor's own tenant for collections), the actor's
    /// identity, the secrets.
    fn probe_ctx(&self, probe: &Probe) -> Value {
        let actor = probe.actor.as_deref().unwrap_or("");
        match &probe.record {
            Some(record) => self.record_ctx(record, actor),
            None => self.identity_ctx(actor),
        }
    }

    /// Foreign canaries of a response for `reader` (everything is foreign to an anonymous caller), split
    /// into proof and reflection against what the request carried.
    fn evidence(&self, reader: Option<&Identity>, ex: &Exchange) -> Evidence {
        let hits = self.scan(&ex.observed);
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
        split_reflected(foreign, &oracle::carried(self.scanner, &ex.sent))
    }

    async fn send(
        &self,
        actor: Option<&str>,
        endpoint: &Endpoint,
        ctx: &Value,
        tweak: &Tweak,
    ) -> Result<Exchange, String> {
        let session = match actor {
            Some(key) => self
                .session(key)
                .ok_or_else(|| format!("{key} has no session"))?,
            None => self.anonymous.clone(),
        };
        let mut tweak = tweak.clone();
        tweak.anonymous |= actor.is_none();
        session
            .send_with(&self.settings, endpoint, ctx, None, &tweak)
            .await
            .map_err(|e| e.to_string())
    }

    /// The endpoint that reads a record of a kind back (read, else download, else a nested list).
    fn read_back_endpoint(&self, kind: RecordKind) -> Option<&'a Endpoint> {
        let profile: &'a Profile = self.profile;
        ["read", "download", "list"]
            .into_iter()
            .filter_map(|op| profile.endpoint(kind, op))
            .find(|e| {
                let p = e.placeholders();
                p.contains(&format!("{}.id", kind.name())) || p.contains("case.id")
            })
    }

    /// Read a record as `reader`: the exchange, or why it could not be sent.
    async fn read_as(&self, reader: &str, record: &str) -> Result<Exchange, String> {
        let kind = self
            .plan
            .population
            .record(record)
            .map(|r| r.kind)
            .ok_or_else(|| format!("{record} is not in the population"))?;
        let endpoint = self
            .read_back_endpoint(kind)
            .ok_or_else(|| format!("no endpoint reads a {kind} back"))?;
        let ctx = self.record_ctx(record, reader);
        self.send(Some(reader), endpoint, &ctx, &Tweak::default())
            .await
    }

    /// [`Engine::read_as`], logging the reader in again once if its session was not accepted.
    async fn read_as_alive(&self, reader: &str, record: &str) -> Result<Exchange, String> {
        let first = self.read_as(reader, record).await?;
        if !self.profile.refusals.is_unauthenticated(&first.observed) {
            return Ok(first);
        }
        self.relogin(reader).await?;
        self.read_as(reader, record).await
    }

    async fn try_probe(&self, probe: &Probe) -> Result<Result<Tried, NotApplicable>, String> {
        let Some(endpoint) = self.profile.endpoint_by_key(&probe.endpoint) else {
            return Err(format!("{}: no such endpoint", probe.endpoint));
        };
        if let Some(record) = &probe.record
            && !self.seeded.record_ids.contains_key(record)
            && self
                .plan
                .population
                .record(record)
                .is_none_or(|r| !self.seeded.record_ids.contains_key(&r.case))
        {
            return Ok(Err(NotApplicable(format!("{record} was not seeded"))));
        }
        match (probe.family, &probe.variant) {
            (Family::MassAssignment, Variant::Assign { field, named }) => {
                self.mass_assignment(probe, endpoint, field, named).await
            }
            (Family::DirectWrite, _) => self.write(probe, endpoint).await,
            (_, Variant::Missing) => self.existence(probe, endpoint).await,
            _ => self.read_like(probe, endpoint).await,
        }
    }

    /// Reads, lists, searches, exports, functions, controls, selectors, neighbours, anonymous calls.
    async fn read_like(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
    ) -> Result<Result<Tried, NotApplicable>, String> {
        let mut ctx = self.probe_ctx(probe);
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
                    return Ok(Err(NotApplicable(
                        "identifiers are not numbers: no neighbour to guess".into(),
                    )));
                };
                let guess = own + offset;
                if guess <= 0 {
                    return Ok(Err(NotApplicable("no identifier below 1".into())));
                }
                ctx[kind]["id"] = guess.to_string().into();
            }
            _ => {}
        }
        // The victim looks at their record just before the attacker asks for the same URL: a response cache
        // keyed without the caller then serves the victim's answer (the attack needs no guessing of time).
        // Once per cell: the first probe of every cell comes early, and the others need not pay for it.
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
        let mut ex = self
            .send(probe.actor.as_deref(), endpoint, &ctx, &tweak)
            .await?;
        // One server error does not void a run: a control answered 5xx is sent once more, and the second
        // answer decides (docs/run.md, "Server errors").
        if probe.expect == Expect::Control && ex.observed.is_server_error() {
            tokio::time::sleep(self.settings.retry.backoff).await;
            ex = self
                .send(probe.actor.as_deref(), endpoint, &ctx, &tweak)
                .await?;
        }
        let actor = probe
            .actor
            .as_deref()
            .and_then(|a| self.plan.population.identity(a));
        let evidence = self.evidence(actor, &ex);
        let refusals = self.profile.refusals_for(endpoint);
        let who = actor.map_or_else(
            || "an anonymous caller".to_string(),
            |a| format!("{} ({})", a.key, a.role),
        );
        let verdict = match probe.expect {
            Expect::Refusal => {
                let v = judge_forbidden(&evidence, refusals, &ex.observed);
                if probe.actor.is_none() && v == Verdict::Unauthenticated {
                    Verdict::Pass
                } else {
                    v
                }
            }
            Expect::Visible => {
                let v = judge_visible(&evidence, &ex.observed);
                if v == Verdict::Pass && refusals.is_unauthenticated(&ex.observed) {
                    Verdict::Unauthenticated
                } else if v == Verdict::Pass && probe.family == Family::Collection {
                    self.collection_control(actor, probe, &ex)
                } else {
                    v
                }
            }
            Expect::Control => {
                let own = self.own_canaries(probe, &ex);
                judge_control(&evidence, &ex.observed, own)
            }
            Expect::Existence => judge_forbidden(&evidence, refusals, &ex.observed),
        };
        // A selector's finding counts only if the same request without it is refused or shows nothing
        // foreign: otherwise the flaw is not the selector's.
        if verdict.is_finding() && matches!(probe.variant, Variant::Selector { .. }) {
            let plain = self
                .send(probe.actor.as_deref(), endpoint, &ctx, &Tweak::default())
                .await?;
            let plain_evidence = self.evidence(actor, &plain);
            let plain_verdict = match probe.expect {
                Expect::Refusal => judge_forbidden(&plain_evidence, refusals, &plain.observed),
                _ => judge_visible(&plain_evidence, &plain.observed),
            };
            if plain_verdict.is_finding() {
                return Ok(Ok(Tried::new(Verdict::Pass, None, String::new())));
            }
        }
        let explanation = match &verdict {
            Verdict::Leak(hits) if matches!(probe.variant, Variant::Selector { .. }) => format!(
                "{}; without the {} the same request shows nothing foreign",
                leak_sentence(&who, hits, ex.observed.status),
                probe.cell.via.as_deref().unwrap_or("selector")
            ),
            Verdict::Leak(hits) => leak_sentence(&who, hits, ex.observed.status),
            Verdict::Suspicious(reason)
            | Verdict::ServerError(reason)
            | Verdict::RefusedWithError(reason)
            | Verdict::ControlFailed(reason)
            | Verdict::Tampering(reason) => format!("{who}: {reason}"),
            Verdict::Unauthenticated => format!("{who}: the session was not accepted"),
            Verdict::Pass => String::new(),
        };
        Ok(Ok(Tried::new(verdict, Some(ex), explanation)))
    }

    /// How many of the probe's record's canaries (its person or case file) the answer carries.
    fn own_canaries(&self, probe: &Probe, ex: &Exchange) -> usize {
        let Some(record) = probe
            .record
            .as_deref()
            .and_then(|r| self.plan.population.record(r))
        else {
            return 0;
        };
        self.scan(&ex.observed)
            .iter()
            .filter(|h| {
                h.owner.person.as_deref() == Some(record.person.as_str())
                    || h.owner.case.as_deref() == Some(record.case.as_str())
            })
            .count()
    }

    /// A list must show an identity its own records of the list's kind.
    fn collection_control(
        &self,
        actor: Option<&Identity>,
        probe: &Probe,
        ex: &Exchange,
    ) -> Verdict {
        let Some(actor) = actor else {
            return Verdict::Pass;
        };
        let Some(person) = actor.person.as_deref() else {
            return Verdict::Pass;
        };
        let owns = self.plan.population.records().iter().any(|r| {
            r.kind == probe.cell.kind && r.person == person && !self.pool.contains(&r.case)
        });
        if !owns || !ex.observed.is_success() {
            return Verdict::Pass;
        }
        let hits = self.scan(&ex.observed);
        if hits
            .iter()
            .any(|h| h.owner.person.as_deref() == Some(person))
        {
            Verdict::Pass
        } else {
            Verdict::ControlFailed(format!(
                "the list answered {} without any of {}'s own {} records",
                ex.observed.status, actor.key, probe.cell.kind
            ))
        }
    }

    /// A forbidden object and a missing one, compared.
    async fn existence(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
    ) -> Result<Result<Tried, NotApplicable>, String> {
        let ctx = self.probe_ctx(probe);
        let kind = probe.cell.kind.name();
        let Some(id) = ctx[kind]["id"].as_str().map(str::to_string) else {
            return Ok(Err(NotApplicable("the record has no identifier".into())));
        };
        let existing = self
            .send(probe.actor.as_deref(), endpoint, &ctx, &Tweak::default())
            .await?;
        let actor = probe
            .actor
            .as_deref()
            .and_then(|a| self.plan.population.identity(a));
        let evidence = self.evidence(actor, &existing);
        if !evidence.proof.is_empty() {
            // The forbidden object itself leaks: that is the direct-read family's finding, and whether its
            // existence can be told apart no longer matters.
            return Ok(Ok(Tried::new(Verdict::Pass, None, String::new())));
        }
        let mut missing_ctx = ctx.clone();
        missing_ctx[kind]["id"] = missing_identifier(&id).into();
        let missing = self
            .send(
                probe.actor.as_deref(),
                endpoint,
                &missing_ctx,
                &Tweak::default(),
            )
            .await?;
        // A session that expired before either request answers 401: that says nothing about existence;
        // the caller logs in again and the probe is sent anew.
        let refusals = self.profile.refusals_for(endpoint);
        let signed_out = |ex: &Exchange| {
            refusals.is_unauthenticated(&ex.observed) && !refusals.is_refusal(&ex.observed)
        };
        if signed_out(&existing) || signed_out(&missing) {
            return Ok(Ok(Tried::new(
                Verdict::Unauthenticated,
                None,
                String::new(),
            )));
        }
        let verdict = judge_existence(&existing.observed, &missing.observed);
        let explanation = match &verdict {
            Verdict::Suspicious(reason) | Verdict::ServerError(reason) => reason.clone(),
            _ => String::new(),
        };
        Ok(Ok(Tried::new(verdict, Some(existing), explanation)))
    }

    /// What the owner's read-back shows after a write.
    async fn read_back(&self, owner: &str, record: &str, marker: Option<(&str, &str)>) -> ReadBack {
        let Ok(back) = self.read_as_alive(owner, record).await else {
            return ReadBack::Unknown;
        };
        let kind = self
            .plan
            .population
            .record(record)
            .map_or(RecordKind::Case, |r| r.kind);
        let refusals = self
            .read_back_endpoint(kind)
            .map_or(&self.profile.refusals, |e| self.profile.refusals_for(e));
        if back.observed.is_success() {
            if let Some((pointer, marker)) = marker
                && verdict::marker_at(&back.observed.body, pointer, marker)
            {
                return ReadBack::Marked;
            }
            return ReadBack::Unchanged;
        }
        if refusals.is_refusal(&back.observed) && !refusals.is_unauthenticated(&back.observed)
            || matches!(back.observed.status, 404 | 410)
        {
            return ReadBack::Gone;
        }
        ReadBack::Unknown
    }

    fn marker(&self, probe: &Probe) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in probe.id().bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!(
            "cloison-write-probe-{}-{h:016x}",
            self.plan.world.config().seed
        )
    }

    /// A forbidden update or delete, judged by the owner's read-back and by the writer's view afterwards.
    async fn write(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
    ) -> Result<Result<Tried, NotApplicable>, String> {
        let (Some(actor_key), Some(record_key)) = (probe.actor.as_deref(), probe.record.as_deref())
        else {
            return Ok(Err(NotApplicable(
                "a write needs an actor and a record".into(),
            )));
        };
        let Some(record) = self.plan.population.record(record_key) else {
            return Err(format!("{record_key} is not in the population"));
        };
        let Some(owner) = self.plan.population.steward_of(record) else {
            return Ok(Err(NotApplicable(format!("{record_key} has no steward"))));
        };
        let owner = owner.key.clone();
        // The owner must read the record before, or its absence afterwards proves nothing.
        let before = self.read_as_alive(&owner, record_key).await?;
        if !before.observed.is_success() {
            return Ok(Err(NotApplicable(format!(
                "{owner} cannot read {record_key} before the write ({})",
                before.observed.status
            ))));
        }
        let actor = self.plan.population.identity(actor_key);
        // The writer's view before: what it may already see is not the write's doing.
        let writer_before = self
            .read_as_alive(actor_key, record_key)
            .await
            .map(|view| !self.evidence(actor, &view).proof.is_empty())
            .unwrap_or(true);
        let marker = self.marker(probe);
        let mut ctx = self.record_ctx(record_key, actor_key);
        ctx["probe"] = json!({ "marker": marker, "id": probe.id() });
        let write = self
            .send(Some(actor_key), endpoint, &ctx, &Tweak::default())
            .await?;
        let evidence = self.evidence(actor, &write);
        let pointer = endpoint.marker.as_deref();
        let back = self
            .read_back(&owner, record_key, pointer.map(|p| (p, marker.as_str())))
            .await;
        // Not `Profile::surface()`: that rebuilds every endpoint's description, once per write.
        let op = if endpoint.method == reqwest::Method::DELETE {
            Op::Delete
        } else {
            Op::Update
        };
        let refusals = self.profile.refusals_for(endpoint);
        let verdict = judge_write(&evidence, refusals, &write.observed, back, op.name());
        let who = actor.map_or(actor_key.to_string(), |a| format!("{} ({})", a.key, a.role));
        // The writer's own view afterwards, whatever the write answered: a write that re-parented the record
        // (or shared it with the writer) shows it to the writer, who could not see it before.
        if !writer_before
            && !matches!(verdict, Verdict::Tampering(_) | Verdict::Leak(_))
            && let Ok(view) = self.read_as_alive(actor_key, record_key).await
        {
            let seen = self.evidence(actor, &view);
            if !seen.proof.is_empty() {
                let explanation = format!(
                    "after a forbidden {} of {owner}'s {} (answered {}), {who} reads it: {}",
                    op.name(),
                    record.kind,
                    write.observed.status,
                    leak_sentence(&who, &seen.proof, view.observed.status)
                );
                return Ok(Ok(Tried::new(
                    Verdict::Leak(seen.proof),
                    Some(write),
                    explanation,
                )));
            }
        }
        let explanation = match &verdict {
            Verdict::Tampering(reason) => format!(
                "{who} may not touch {owner}'s {}, yet {reason}",
                record.kind
            ),
            Verdict::Leak(hits) => leak_sentence(&who, hits, write.observed.status),
            Verdict::Suspicious(reason)
            | Verdict::ServerError(reason)
            | Verdict::RefusedWithError(reason) => format!("{who}: {reason}"),
            _ => String::new(),
        };
        Ok(Ok(Tried::new(verdict, Some(write), explanation)))
    }

    /// The owner's own update, carrying a field that names someone else.
    async fn mass_assignment(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
        field: &str,
        named: &Named,
    ) -> Result<Result<Tried, NotApplicable>, String> {
        let (Some(actor_key), Some(record_key)) = (probe.actor.as_deref(), probe.record.as_deref())
        else {
            return Ok(Err(NotApplicable("needs an actor and a record".into())));
        };
        let before = self.read_as_alive(actor_key, record_key).await?;
        if !before.observed.is_success() {
            return Ok(Err(NotApplicable(format!(
                "{actor_key} cannot read its own {record_key} ({})",
                before.observed.status
            ))));
        }
        // Who the field names, and who reads afterwards to see whether it took effect.
        let (value, reader, described) = match named {
            Named::Identity(key) => {
                let Some(id) = self.account_id(key).map(str::to_string) else {
                    return Ok(Err(NotApplicable(format!(
                        "the platform's identifier of {key} is unknown"
                    ))));
                };
                (id.clone(), Some(key.clone()), format!("identity {key}"))
            }
            Named::Tenant(code) => {
                let reader = self
                    .plan
                    .population
                    .identities()
                    .iter()
                    .filter(|i| &i.tenant == code && self.has_session(&i.key))
                    .find(|i| {
                        let scopes = match self.plan.population.record(record_key) {
                            Some(record) => self.profile.policy.scopes_for(record.kind, &i.role),
                            None => self.profile.policy.scopes(&i.role),
                        };
                        scopes.is_some_and(|s| s.contains(&cloison_suites::Scope::Tenant))
                    })
                    .map(|i| i.key.clone());
                (code.clone(), reader, format!("tenant {code}"))
            }
        };
        // The named reader must not see the record before: a reader who already does shows another flaw.
        if let Some(reader) = &reader {
            let view = self.read_as_alive(reader, record_key).await?;
            let seen = self.evidence(self.plan.population.identity(reader), &view);
            if !seen.proof.is_empty() {
                return Ok(Err(NotApplicable(format!(
                    "{reader} already reads {record_key} before any assignment"
                ))));
            }
        }
        let marker = self.marker(probe);
        let mut ctx = self.record_ctx(record_key, actor_key);
        ctx["probe"] = json!({ "marker": marker, "id": probe.id() });
        let tweak = Tweak {
            fields: vec![(field.to_string(), Value::String(value))],
            ..Tweak::default()
        };
        let write = self.send(Some(actor_key), endpoint, &ctx, &tweak).await?;
        let who = actor_key.to_string();
        let back = self.read_back(actor_key, record_key, None).await;
        if back == ReadBack::Gone {
            let explanation = format!(
                "{who} updated its own record with `{field}` naming {described} (answered {}): the record left its owner's reach",
                write.observed.status
            );
            return Ok(Ok(Tried::new(
                Verdict::Tampering(explanation.clone()),
                Some(write),
                explanation,
            )));
        }
        if let Some(reader) = reader {
            let view = self.read_as_alive(&reader, record_key).await?;
            let reader_identity = self.plan.population.identity(&reader);
            let seen = self.evidence(reader_identity, &view);
            if !seen.proof.is_empty() {
                let explanation = format!(
                    "{who} updated its own record with `{field}` naming {described} (answered {}); {reader} now reads it: {} canaries of {who}'s data",
                    write.observed.status,
                    seen.proof.len()
                );
                return Ok(Ok(Tried::new(
                    Verdict::Leak(seen.proof),
                    Some(write),
                    explanation,
                )));
            }
        }
        Ok(Ok(Tried::new(Verdict::Pass, Some(write), String::new())))
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
        if evidence.proof.is_empty() {
            return None;
        }
        let who = format!("{} ({})", actor.key, actor.role);
        let record_ref = self.plan.population.record(record)?;
        let probe = Probe {
            family: Family::AllowedRead,
            actor: Some(actor_key.to_string()),
            endpoint: endpoint_key.to_string(),
            record: Some(record.to_string()),
            variant: Variant::Plain,
            expect: Expect::Visible,
            cell: cloison_suites::Cell {
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
            explanation: leak_sentence(&who, &evidence.proof, ex.observed.status),
            verdict: Verdict::Leak(evidence.proof),
            exchange: Some(ex.clone()),
            at: 0.0,
            sequence: 0,
            steps: Vec::new(),
        })
    }
}

/// "3 canaries of person 12 of tenant 75 reached alice (applicant) with status 200".
fn leak_sentence(who: &str, hits: &[cloison_suites::Hit], status: u16) -> String {
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
    format!(
        "{} canar{} of {} reached {who} with status {status}",
        hits.len(),
        if hits.len() == 1 { "y" } else { "ies" },
        owners.into_iter().collect::<Vec<_>>().join(", ")
    )
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
