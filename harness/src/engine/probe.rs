//! Executing probes: send each one (in [`super::observe`] and [`super::write`], which gather what
//! `cloison_suites::verdict::Needs` names), have `cloison_suites::verdict::judge` decide, and report every
//! planned probe as events: planned, sent, then judged, not sent (and why) or failed.

use std::sync::atomic::Ordering;
use std::time::Instant;

use cloison_suites::reserve::{Reserve, Victims, changes_its_record};
use cloison_suites::verdict::{Exhibit, Needs};
use cloison_suites::{Probe, Unsent, Verdict};
use futures_util::StreamExt;

use super::executor::Executor;
use super::renew::Unanswered;
use crate::event::{Event, Judged, NotSent, ProbeState, TraceStep};
use crate::http::Exchange;

/// The outcome of one probe before it becomes an event.
struct Tried {
    verdict: Verdict,
    exchange: Option<Exchange>,
    explanation: String,
    /// The requests that show it, in order, when one request does not (a foreign create and the owner's
    /// list afterwards).
    steps: Vec<TraceStep>,
    /// The decisive answer, exhibited or not (for the audit-trail family).
    answer: Option<Exchange>,
}

impl Tried {
    fn new(verdict: Verdict, exchange: Option<Exchange>, explanation: impl Into<String>) -> Self {
        Self {
            verdict,
            exchange,
            explanation: explanation.into(),
            steps: Vec::new(),
            answer: None,
        }
    }
}

/// Why a probe does not apply (it is then not sent).
pub(super) struct NotApplicable(pub(super) Unsent);

impl From<NotApplicable> for NotSent {
    fn from(na: NotApplicable) -> Self {
        NotSent::Skipped(na.0)
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

    /// Execute probes one at a time (they change data), each on a record of the pool that is not used up
    /// (`cloison_suites::reserve`): a proven finding uses up its record, a record its owner can no longer
    /// read is dropped for the next one, and a probe left with none is not sent, with the reason.
    pub(super) async fn execute_sequentially(&self, probes: &[Probe], reserve: &Reserve) {
        self.plan_phase(probes, "writes");
        let mut victims = Victims::new(&self.plan.population);
        for (index, planned) in probes.iter().enumerate() {
            let alternates = reserve.alternates(planned);
            let (probe, result) = loop {
                let probe = match victims.choose(planned, alternates) {
                    Ok(probe) => probe,
                    Err(unsent) => break (planned.clone(), Ok(Err(NotSent::Skipped(unsent)))),
                };
                let result = self.attempt(index, &probe).await;
                if let Ok(Err(NotSent::Skipped(Unsent::OwnerCannotRead { .. }))) = &result
                    && changes_its_record(&probe)
                {
                    victims.unusable(&probe);
                    if victims.choose(planned, alternates).is_ok() {
                        continue;
                    }
                }
                break (probe, result);
            };
            if let Ok(Ok(judged)) = &result {
                victims.judged(
                    &probe,
                    matches!(judged.verdict, Verdict::Leak(_) | Verdict::Tampering(_)),
                );
            }
            self.settle(index, &probe, &result);
        }
        if let Ok(mut changed) = self.changed.lock() {
            *changed = victims.changed();
        }
        self.sink.event(&Event::PhaseEnd);
    }

    /// A phase of probes starts: each is planned.
    pub(super) fn plan_phase(&self, probes: &[Probe], what: &str) {
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
    pub(super) async fn attempt(&self, index: usize, probe: &Probe) -> Attempt {
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
    pub(super) fn settle(&self, index: usize, probe: &Probe, result: &Attempt) {
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
        } else if self.target_gone() {
            Some(NotSent::TargetGone)
        } else {
            None
        }
    }

    /// Send one probe and judge it, unless the run stopped. Its requests are sent with live sessions (see
    /// [`super::renew`]): an identity whose session is lost logs in again and the request is sent again,
    /// within the same probe, judged once.
    pub(super) async fn judge(&self, probe: &Probe) -> Attempt {
        match self.stop_reason() {
            Some(reason) => Ok(Err(reason)),
            None => self.judge_sent(probe).await,
        }
    }

    /// [`Executor::judge`] once the run is known to go on.
    async fn judge_sent(&self, probe: &Probe) -> Attempt {
        let started = super::audit::epoch_now();
        let tried = match self.try_probe(probe).await {
            Err(Unanswered::Target(failure)) => {
                self.counters
                    .failures_in_a_row
                    .fetch_add(1, Ordering::SeqCst);
                return Err(failure);
            }
            Err(Unanswered::Session(why)) => {
                self.counters.failures_in_a_row.store(0, Ordering::SeqCst);
                // Nothing is judged from a session that is not accepted: the probe proves nothing.
                Tried::new(Verdict::Unauthenticated, None, why)
            }
            Ok(Err(na)) => {
                self.counters.failures_in_a_row.store(0, Ordering::SeqCst);
                return Ok(Err(na.into()));
            }
            Ok(Ok(mut tried)) => {
                self.counters.failures_in_a_row.store(0, Ordering::SeqCst);
                if tried.verdict == Verdict::Unauthenticated
                    && let Some(actor) = &probe.actor
                {
                    tried.explanation = format!(
                        "{} is answered as signed out while its session is alive (the profile does not list that answer among its refusals): the probe proves nothing",
                        self.who(actor)
                    );
                }
                tried
            }
        };
        let sequence = self.counters.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(answer) = &tried.answer
            && tried.verdict != Verdict::Unauthenticated
        {
            self.note_access(probe, answer, started);
        }
        let keep = tried.verdict != Verdict::Pass;
        Ok(Ok(Judged {
            probe: probe.clone(),
            verdict: tried.verdict,
            exchange: if keep {
                tried.exchange.as_ref().map(Exchange::kept)
            } else {
                None
            },
            at: self.started.elapsed().as_secs_f64(),
            sequence,
            explanation: tried.explanation,
            steps: if keep { tried.steps } else { Vec::new() },
        }))
    }

    /// Gather what a probe needs (`cloison_suites::verdict::Needs`) and have it judged.
    async fn try_probe(&self, probe: &Probe) -> Result<Result<Tried, NotApplicable>, Unanswered> {
        let Some(endpoint) = self.profile.endpoint_by_key(&probe.endpoint) else {
            return Err(format!("{}: no such endpoint", probe.endpoint).into());
        };
        if let Some(record) = &probe.record
            && !self.seeded.record_ids.contains_key(record.as_str())
            && self
                .plan
                .population
                .record(record)
                .is_none_or(|r| !self.seeded.record_ids.contains_key(r.case.as_str()))
        {
            return Ok(Err(NotApplicable(Unsent::NotSeeded {
                record: record.clone(),
            })));
        }
        let mut steps = Vec::new();
        let gathered = match Needs::of(probe) {
            Needs::Answer {
                resend_server_error,
            } => self.read_like(probe, endpoint, resend_server_error).await,
            Needs::Existence => self.existence(probe, endpoint).await,
            Needs::Write => self.write(probe, endpoint).await,
            Needs::Assignment { field, named } => {
                self.mass_assignment(probe, endpoint, field, named).await
            }
            Needs::ForeignCreate => self.foreign_create(probe, endpoint, &mut steps).await,
            Needs::Effect => self.effect(probe, endpoint).await,
        };
        Ok(gathered?.map(|(judgement, answer)| {
            let exchange = match judgement.exhibit {
                Exhibit::Answer => Some(answer.clone()),
                Exhibit::Nothing => None,
            };
            Tried {
                steps,
                answer: Some(answer),
                ..Tried::new(judgement.verdict, exchange, judgement.explanation)
            }
        }))
    }
}
