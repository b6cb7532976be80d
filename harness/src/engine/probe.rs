//! Executing probes: send each one (in [`super::observe`] and [`super::write`], which gather what
//! `cloison_suites::verdict::Needs` names), have `cloison_suites::verdict::judge` decide, and report every
//! planned probe as events: planned, sent, then judged, not sent (and why) or failed.

use std::sync::atomic::Ordering;
use std::time::Instant;

use cloison_suites::verdict::{Exhibit, Needs};
use cloison_suites::{Probe, Verdict};
use futures_util::StreamExt;

use super::GIVE_UP_AFTER;
use super::executor::Executor;
use crate::event::{Event, Judged, NotSent, ProbeState};
use crate::http::Exchange;

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

    /// Gather what a probe needs (`cloison_suites::verdict::Needs`) and have it judged.
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
        let gathered = match Needs::of(probe) {
            Needs::Answer {
                resend_server_error,
            } => self.read_like(probe, endpoint, resend_server_error).await,
            Needs::Existence => self.existence(probe, endpoint).await,
            Needs::Write => self.write(probe, endpoint).await,
            Needs::Assignment { field, named } => {
                self.mass_assignment(probe, endpoint, field, named).await
            }
        };
        Ok(gathered?.map(|(judgement, answer)| {
            let exchange = match judgement.exhibit {
                Exhibit::Answer => Some(answer),
                Exhibit::Nothing => None,
            };
            Tried::new(judgement.verdict, exchange, judgement.explanation)
        }))
    }
}
