//! The checks of the stateful suite: after every step, every session of the scene reads the subject, and
//! each read is judged against `cloison_suites::stateful::Model` (a read the model denies that returns the
//! subject's canaries is a proven leak; a read it allows that is refused, a control that failed).

use std::sync::atomic::Ordering;

use cloison_suites::stateful::{Model, Scene};
use cloison_suites::verdict::{judge_control, judge_forbidden, split_reflected};
use cloison_suites::{Cell, Expect, Family, Probe, RecordKind, Relation, Variant, Verdict};

use super::executor::Executor;
use super::stateful::{Failure, Live, Ran};
use crate::event::{Judged, StatefulCoverage, TraceStep};
use crate::http::Exchange;
use crate::oracle;
use crate::profile::Endpoint;
use crate::render::Tweak;

/// How many times a stateful check logs a member in again when its live session is not accepted.
const RELOGINS: usize = 3;

impl Executor<'_> {
    /// Every session reads the subject; the first read that does not match the model fails the sequence.
    pub(super) async fn check(
        &self,
        scene: &Scene,
        model: &Model,
        live: &mut Live,
        subject_id: &str,
        trace: &[TraceStep],
        coverage: &mut StatefulCoverage,
    ) -> Ran {
        let Some(read) = self.read_subject_endpoint() else {
            return Ran::Broken("no read endpoint".into());
        };
        let answers = self
            .read_subject(scene, model, live, subject_id, read)
            .await;
        for (i, answer) in answers.into_iter().enumerate() {
            coverage.checks += 1;
            let sequence = self.counters.sequence.fetch_add(1, Ordering::SeqCst) + 1;
            let ex = match answer {
                Ok(ex) => {
                    self.counters.failures_in_a_row.store(0, Ordering::SeqCst);
                    ex
                }
                Err(e) => {
                    self.counters
                        .failures_in_a_row
                        .fetch_add(1, Ordering::SeqCst);
                    return Ran::Broken(format!("reading the subject: {e}"));
                }
            };
            let checked = Checked {
                scene,
                model,
                read,
                trace,
                session: i,
                sequence,
            };
            if let Some(judged) = self.judge_check(&checked, ex) {
                // A refused read the model allows is not a finding, but a control that failed: the run
                // cannot claim it covered this sequence.
                return Ran::Failed(Box::new(Failure { judged }));
            }
        }
        Ran::Passed
    }

    /// Every session's read of the subject. A session the model holds live that is not accepted may have
    /// expired (platforms end sessions on their own): its member logs in again and reads once more, up to
    /// [`RELOGINS`] times while the new session is not accepted either.
    async fn read_subject(
        &self,
        scene: &Scene,
        model: &Model,
        live: &mut Live,
        subject_id: &str,
        read: &Endpoint,
    ) -> Vec<Result<Exchange, String>> {
        let reads = model.sessions().iter().enumerate().map(|(i, s)| {
            let key = scene
                .members
                .get(s.member)
                .map_or(String::new(), |m| m.key.clone());
            let ctx = self.subject_ctx(scene, &key, subject_id);
            let session = live.sessions.get(i).cloned();
            async move {
                match session {
                    Some(session) => session
                        .send_with(&self.settings, read, &ctx, None, &Tweak::default())
                        .await
                        .map_err(|e| e.to_string()),
                    None => Err("no session".into()),
                }
            }
        });
        let mut answers = futures_util::future::join_all(reads).await;
        let refusals = self.profile.refusals_for(read);
        for (i, answer) in answers.iter_mut().enumerate() {
            let expired = matches!(answer, Ok(ex) if refusals.is_unauthenticated(&ex.observed));
            if !expired || !model.may_read(i) {
                continue;
            }
            let Some(member) = model
                .sessions()
                .get(i)
                .and_then(|s| scene.members.get(s.member))
            else {
                continue;
            };
            let Some(account) = self.plan.account(&member.key) else {
                continue;
            };
            // A platform that ends sessions on its own may end the new one before it is used (one that
            // revokes every session each N requests, while other identities' requests run): a few tries.
            for _ in 0..RELOGINS {
                let Ok((session, _)) = self.login(account).await else {
                    break;
                };
                self.counters.relogins.fetch_add(1, Ordering::SeqCst);
                if let Some(slot) = live.sessions.get_mut(i) {
                    *slot = session.clone();
                }
                if !model.sessions()[i].extra {
                    self.set_session(member.key.clone(), session.clone());
                }
                let ctx = self.subject_ctx(scene, &member.key, subject_id);
                *answer = session
                    .send_with(&self.settings, read, &ctx, None, &Tweak::default())
                    .await
                    .map_err(|e| e.to_string());
                if !matches!(answer, Ok(ex) if refusals.is_unauthenticated(&ex.observed)) {
                    break;
                }
            }
        }
        answers
    }

    /// Judge one session's read against the model: the judged check when it does not match.
    fn judge_check(&self, checked: &Checked<'_>, ex: Exchange) -> Option<Judged> {
        let Checked {
            scene,
            model,
            read,
            session: i,
            ..
        } = *checked;
        let session = &model.sessions()[i];
        let member = model.member(session.member)?;
        let ours: Vec<_> = self
            .scan(&ex.observed)
            .into_iter()
            .filter(|h| h.owner.person.as_deref() == Some(scene.person.as_str()))
            .collect();
        let allowed = model.may_read(i);
        let policy = &self.profile.policy;
        // The read endpoint narrows the member's role away (`narrow`): its refusal is declared.
        if allowed && policy.shut_to(&read.origin.to_string(), &member.role) {
            return None;
        }
        // A soft delete: the subject deleted by its owner, read by one who could read it before and shown
        // marked deleted, is deleted as the profile describes it.
        let kept = model.may_read_kept(i)
            && self
                .profile
                .endpoint(RecordKind::Case, "delete")
                .and_then(|delete| delete.soft.as_ref())
                .is_some_and(|soft| soft.shows_deleted(&ex.observed));
        if kept {
            return None;
        }
        // Values public to the member's role in its tenant prove nothing (`[policy.public]`).
        let foreign: Vec<_> = ours
            .iter()
            .filter(|h| {
                !(policy.is_public(h.field, &member.role) && h.owner.tenant == member.tenant)
            })
            .cloned()
            .collect();
        let evidence = split_reflected(foreign, &oracle::carried(self.scanner, &ex.sent));
        let verdict = if allowed {
            match judge_control(&Default::default(), &ex.observed, ours.len()) {
                Verdict::Unauthenticated => Verdict::ControlFailed(format!(
                    "answered {} to a session the model holds live",
                    ex.observed.status
                )),
                v => v,
            }
        } else {
            match judge_forbidden(&evidence, self.profile.refusals_for(read), &ex.observed) {
                // A logged-out session that is not accepted is what the model expects.
                Verdict::Unauthenticated => Verdict::Pass,
                v => v,
            }
        };
        if verdict == Verdict::Pass {
            return None;
        }
        Some(self.check_failure(checked, member, allowed, verdict, ex))
    }

    /// The judged probe of a check that did not match the model, with the sequence that led to it.
    fn check_failure(
        &self,
        checked: &Checked<'_>,
        member: &cloison_suites::Identity,
        allowed: bool,
        verdict: Verdict,
        ex: Exchange,
    ) -> Judged {
        let Checked {
            scene,
            model,
            read,
            trace,
            session: i,
            sequence,
        } = *checked;
        let via = via(checked, allowed);
        let cell = Cell {
            family: Family::Stateful,
            endpoint: read.origin.to_string(),
            role: member.role.clone(),
            relation: Relation::of(member, model.subject()),
            kind: RecordKind::Case,
            via: Some(if allowed {
                "allowed read refused".to_string()
            } else {
                via.clone()
            }),
        };
        let mut steps = trace.to_vec();
        steps.push(TraceStep {
            phase: "check".into(),
            step: format!(
                "session {i} of {} reads the case file: the model says {}",
                member.key,
                if allowed { "allowed" } else { "refused" }
            ),
            status: Some(ex.observed.status),
            curl: None,
        });
        let explanation = explain(checked, member, &via, &verdict, &ex, &steps);
        Judged {
            probe: Probe {
                family: Family::Stateful,
                actor: Some(member.key.clone()),
                endpoint: read.origin.to_string(),
                record: Some(scene.template.clone()),
                variant: Variant::Plain,
                expect: if allowed {
                    Expect::Control
                } else {
                    Expect::Refusal
                },
                cell,
            },
            verdict,
            exchange: Some(ex.kept()),
            at: self.started.elapsed().as_secs_f64(),
            sequence,
            explanation,
            steps,
        }
    }
}

/// One session's read of the subject, in its sequence.
#[derive(Clone, Copy)]
struct Checked<'c> {
    scene: &'c Scene,
    model: &'c Model,
    read: &'c Endpoint,
    trace: &'c [TraceStep],
    /// The session's index in the model.
    session: usize,
    /// The read's sequence number in the run.
    sequence: usize,
}

/// How the session came to read as it did: what lost it its access, or what came before a refused read.
fn via(checked: &Checked<'_>, allowed: bool) -> String {
    let Checked {
        model,
        trace,
        session: i,
        ..
    } = *checked;
    let session = &model.sessions()[i];
    let last = trace.iter().rev().find(|t| t.phase == "step");
    match (session.lost_by, allowed) {
        (Some(kind), false) => format!("after {kind}"),
        (None, false) => "from the start".to_string(),
        (_, true) => match model.refused.last() {
            Some(kind) => format!("after a refused {kind}"),
            None => format!(
                "after {}",
                last.map_or("the start".to_string(), |t| t.step.clone())
            ),
        },
    }
}

/// The sentence of a failing check, with its sequence.
fn explain(
    checked: &Checked<'_>,
    member: &cloison_suites::Identity,
    via: &str,
    verdict: &Verdict,
    ex: &Exchange,
    steps: &[TraceStep],
) -> String {
    let Checked { scene, read, .. } = *checked;
    match verdict {
        Verdict::Leak(hits) => format!(
            "{} ({}) read a case file of person {} {via}: {} answered {} with {} of its canaries. Sequence: {}",
            member.key,
            member.role,
            scene.person,
            read.origin,
            ex.observed.status,
            hits.len(),
            describe_steps(steps)
        ),
        other => format!(
            "{} ({}) on a case file of person {}: {other:?}. Sequence: {}",
            member.key,
            member.role,
            scene.person,
            describe_steps(steps)
        ),
    }
}

/// The steps of a sequence as one line: `1. ...; 2. ...`.
fn describe_steps(steps: &[TraceStep]) -> String {
    let mut n = 0;
    steps
        .iter()
        .map(|s| {
            let label = if s.phase == "step" {
                n += 1;
                format!("{n}.")
            } else {
                format!("{}:", s.phase)
            };
            match s.status {
                Some(status) => format!("{label} {} [{status}]", s.step),
                None => format!("{label} {}", s.step),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
