//! Gathering what the verdicts of probes that change data need: a forbidden write is followed by the
//! owner's read-back and the writer's view, a mass assignment by the owner's read-back and a read as the
//! identity or tenant the slipped field named. `cloison_suites::verdict::judge` decides.

use cloison_suites::verdict::{self, Answer, Change, Evidence, Need, Observations, Refusals};
use cloison_suites::{Named, Op, Probe, Scope, Unsent};
use serde_json::{Value, json};

use super::executor::Executor;
use super::observe::Gathered;
use super::probe::NotApplicable;
use super::renew::Unanswered;
use crate::http::Exchange;
use crate::profile::Endpoint;
use crate::render::Tweak;

impl<'a> Executor<'a> {
    /// How the endpoint `reader` reads a record back through refuses (the profile's refusals when none
    /// reads it).
    fn read_back_refusals(&self, reader: &str, record: &str) -> &'a Refusals {
        let profile = self.profile;
        self.read_back_endpoint_as(reader, record)
            .map_or(&profile.refusals, |e| profile.refusals_for(e))
    }

    /// The owner's read-back after a write: `None` when the target failed to answer it (nothing can be
    /// concluded from it); a session not accepted even after new logins leaves the probe unjudged.
    async fn read_back(&self, owner: &str, record: &str) -> Result<Option<Exchange>, Unanswered> {
        match self.read_as(owner, record).await {
            Ok(back) => Ok(Some(back)),
            Err(lost @ Unanswered::Session(_)) => Err(lost),
            Err(Unanswered::Target(_)) => Ok(None),
        }
    }

    /// How many of the record's own values (canaries of its person) the owner read `before` and no longer
    /// reads in `back` (a read-back that is not a whole success loses nothing: it is judged otherwise).
    fn lost(&self, record: &cloison_suites::Record, before: &Exchange, back: &Exchange) -> usize {
        if !back.observed.is_success() || back.observed.truncated || before.observed.truncated {
            return 0;
        }
        let own = |ex: &Exchange| -> std::collections::BTreeSet<String> {
            self.scan(&ex.observed)
                .into_iter()
                .filter(|h| h.owner.person.as_deref() == Some(record.person.as_str()))
                .map(|h| h.canary)
                .collect()
        };
        let after = own(back);
        own(before).difference(&after).count()
    }

    pub(super) fn marker(&self, probe: &Probe) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in probe.id().bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!(
            "cloison-write-probe-{}-{h:016x}",
            self.plan.world.config().seed
        )
    }

    /// The record's values as `actor` writes them, with the probe's marker and identifier.
    fn write_ctx(&self, probe: &Probe, record: &str, actor: &str, marker: &str) -> Value {
        let mut ctx = self.record_ctx(record, actor);
        ctx["probe"] = json!({ "marker": marker, "id": probe.id() });
        ctx
    }

    /// A forbidden update or delete: the owner's read before (it must succeed), the writer's view before,
    /// the write, the owner's read-back, and the writer's view afterwards when the verdict path asks.
    pub(super) async fn write(&self, probe: &Probe, endpoint: &Endpoint) -> Gathered {
        let (Some(actor_key), Some(record_key)) = (probe.actor.as_deref(), probe.record.as_deref())
        else {
            return Ok(Err(NotApplicable(Unsent::NoActorOrRecord)));
        };
        let population = &self.plan.population;
        let Some(record) = population.record(record_key) else {
            return Err(format!("{record_key} is not in the population").into());
        };
        let Some(owner) = population.steward_of(record) else {
            return Ok(Err(NotApplicable(Unsent::NoSteward {
                record: record_key.to_string(),
            })));
        };
        let owner = owner.key.as_str();
        // The owner must read the record before, or its absence afterwards proves nothing.
        let before = self.read_as(owner, record_key).await?;
        let refused = self
            .read_back_refusals(owner, record_key)
            .is_body_refusal(&before.observed);
        if !before.observed.is_success() || refused {
            return Ok(Err(NotApplicable(Unsent::OwnerCannotRead {
                owner: owner.to_string(),
                record: record_key.to_string(),
                status: before.observed.status,
            })));
        }
        let actor = population.identity(actor_key);
        // The writer's view before: what it may already see is not the write's doing.
        let writer_saw_before = self
            .read_as(actor_key, record_key)
            .await
            .map(|view| !self.evidence(actor, &view).proof.is_empty())
            .unwrap_or(true);
        let marker = self.marker(probe);
        let ctx = self.write_ctx(probe, record_key, actor_key, &marker);
        let write = self
            .send(Some(actor_key), endpoint, &ctx, &Tweak::default())
            .await?;
        let evidence = self.evidence(actor, &write);
        let back = self.read_back(owner, record_key).await?;
        let op = if endpoint.method == reqwest::Method::DELETE {
            Op::Delete
        } else {
            Op::Update
        };
        // A delete that keeps the record: the "deleted" field, and the values the owner no longer reads (a
        // record already marked deleted before the write proves nothing by being marked after it).
        let soft = (endpoint.soft.as_ref())
            .filter(|soft| op == Op::Delete && !soft.shows_deleted(&before.observed));
        let lost = match (soft, &back) {
            (Some(_), Some(back)) => self.lost(record, &before, back),
            _ => 0,
        };
        let (view, view_evidence);
        let answer = Answer {
            observed: &write.observed,
            evidence: &evidence,
        };
        let refusals = self.profile.refusals_for(endpoint);
        let mut seen = Observations::of_answer(actor, Some(record), refusals, answer);
        seen.change = Some(Change {
            owner,
            // Not `Profile::surface()`: that rebuilds every endpoint's description, once per write.
            op,
            read_back: back.as_ref().map(|b| &b.observed),
            read_back_refusals: self.read_back_refusals(owner, record_key),
            marker: endpoint.marker.as_deref().map(|p| (p, marker.as_str())),
            soft,
            lost,
            writer_saw_before,
            writer_view: None,
            named_reader: None,
            named_reader_view: None,
        });
        // The writer's own view afterwards, whatever the write answered: a write that re-parented the record
        // (or shared it with the writer) shows it to the writer, who could not see it before.
        if verdict::next_need(probe, &seen) == Some(Need::WriterView)
            && let Ok(read) = self.read_as(actor_key, record_key).await
            && let Some(change) = seen.change.as_mut()
        {
            view = read;
            view_evidence = self.evidence(actor, &view);
            change.writer_view = Some(Answer {
                observed: &view.observed,
                evidence: &view_evidence,
            });
        }
        let judgement = verdict::judge(probe, &seen);
        Ok(Ok((judgement, write)))
    }

    /// The value a slipped field carries, and who reads afterwards to see whether it took effect: the named
    /// identity, or an identity of the named tenant, with a session, whose role reads the whole tenant.
    fn named_reader(
        &self,
        named: &Named,
        record_key: &str,
    ) -> Result<(String, Option<String>), NotApplicable> {
        match named {
            Named::Identity(key) => {
                let Some(id) = self.account_id(key) else {
                    return Err(NotApplicable(Unsent::NamedIdentityUnknown {
                        identity: key.clone(),
                    }));
                };
                Ok((id.to_string(), Some(key.clone())))
            }
            Named::Tenant(code) => {
                let population = &self.plan.population;
                let policy = &self.profile.policy;
                let reader = population
                    .identities()
                    .iter()
                    .filter(|i| &i.tenant == code && self.has_session(&i.key))
                    .find(|i| {
                        let scopes = match population.record(record_key) {
                            Some(record) => policy.scopes_for(record.kind, &i.role),
                            None => policy.scopes(&i.role),
                        };
                        scopes.is_some_and(|s| s.contains(&Scope::Tenant))
                    })
                    .map(|i| i.key.clone());
                Ok((code.clone(), reader))
            }
        }
    }

    /// The owner's own update, carrying a field that names someone else: the owner's read before (it must
    /// succeed), the named reader's view before (it must show nothing), the write, the owner's read-back,
    /// and the named reader's view afterwards when the verdict path asks.
    pub(super) async fn mass_assignment(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
        field: &str,
        named: &Named,
    ) -> Gathered {
        let (Some(actor_key), Some(record_key)) = (probe.actor.as_deref(), probe.record.as_deref())
        else {
            return Ok(Err(NotApplicable(Unsent::NoActorOrRecord)));
        };
        let before = self.read_as(actor_key, record_key).await?;
        if !before.observed.is_success() {
            return Ok(Err(NotApplicable(Unsent::OwnerCannotRead {
                owner: actor_key.to_string(),
                record: record_key.to_string(),
                status: before.observed.status,
            })));
        }
        let (value, reader) = match self.named_reader(named, record_key) {
            Ok(named) => named,
            Err(not_applicable) => return Ok(Err(not_applicable)),
        };
        // The named reader must not see the record before: a reader who already does shows another flaw.
        if let Some(reader) = &reader {
            let view = self.read_as(reader, record_key).await?;
            let seen = self.evidence(self.plan.population.identity(reader), &view);
            if !seen.proof.is_empty() {
                return Ok(Err(NotApplicable(Unsent::NamedReaderAlreadySees {
                    reader: reader.clone(),
                    record: record_key.to_string(),
                })));
            }
        }
        let ctx = self.write_ctx(probe, record_key, actor_key, &self.marker(probe));
        let tweak = Tweak {
            fields: vec![(field.to_string(), Value::String(value))],
            ..Tweak::default()
        };
        let write = self.send(Some(actor_key), endpoint, &ctx, &tweak).await?;
        let back = self.read_back(actor_key, record_key).await?;
        self.assignment_read_backs(probe, endpoint, write, back, reader.as_deref())
            .await
    }

    /// An assignment's observations, with a read as the named reader when the verdict path asks, judged.
    async fn assignment_read_backs(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
        write: Exchange,
        back: Option<Exchange>,
        reader: Option<&str>,
    ) -> Gathered {
        let population = &self.plan.population;
        let record_key = probe.record.as_deref().unwrap_or_default();
        let actor_key = probe.actor.as_deref().unwrap_or_default();
        // An assignment's answer is not scanned: only the read-backs decide.
        let evidence = Evidence::default();
        let (view, view_evidence);
        let answer = Answer {
            observed: &write.observed,
            evidence: &evidence,
        };
        let refusals = self.profile.refusals_for(endpoint);
        let actor = population.identity(actor_key);
        let mut seen =
            Observations::of_answer(actor, population.record(record_key), refusals, answer);
        seen.change = Some(Change {
            owner: actor_key,
            op: Op::Update,
            read_back: back.as_ref().map(|b| &b.observed),
            read_back_refusals: self.read_back_refusals(actor_key, record_key),
            marker: None,
            soft: None,
            lost: 0,
            writer_saw_before: false,
            writer_view: None,
            named_reader: reader,
            named_reader_view: None,
        });
        if verdict::next_need(probe, &seen) == Some(Need::NamedReaderView)
            && let Some(reader) = reader
        {
            view = self.read_as(reader, record_key).await?;
            view_evidence = self.evidence(population.identity(reader), &view);
            if let Some(change) = seen.change.as_mut() {
                change.named_reader_view = Some(Answer {
                    observed: &view.observed,
                    evidence: &view_evidence,
                });
            }
        }
        let judgement = verdict::judge(probe, &seen);
        Ok(Ok((judgement, write)))
    }
}
