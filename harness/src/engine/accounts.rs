//! The families that change accounts, against the target: each probe of `Planned::accounts` is a sequence
//! on identities set aside for it (see `cloison_suites::planner`), run one at a time after the stateful
//! suite, and judged by `cloison_suites::verdict::{judge_escalation, judge_takeover}`.
//!
//! - Privilege escalation: the identity's read of a record its role may not see is refused first; then a
//!   role field goes into its own update (or into the sign-up of a new account like it), it logs in again
//!   (a fresh session, so a role re-read at login shows), and reads the record again.
//! - Account takeover: the attacker changes its own credential and logs in with it (the control: the call
//!   works at all), then calls the change on the victim's account with another new secret, and logs in as
//!   the victim with it.
//!
//! Every step is kept as the finding's reproducer; every new secret joins the run's credentials first.

use cloison_suites::verdict::{self, Escalation, Judgement, Seen, Takeover};
use cloison_suites::{Family, Probe, RoleRoute, Unsent, Variant};
use serde_json::{Value, json};

use super::executor::Executor;
use super::probe::Attempt;
use super::renew::Unanswered;
use crate::event::{Event, Judged, NotSent, ProbeState, TraceStep};
use crate::http::{Exchange, Session};
use crate::plan::PlannedAccount;
use crate::profile::Endpoint;
use crate::render::Tweak;

/// A sequence's outcome before it becomes an event: judged with its steps, or not sent and why, or the
/// target failed.
enum Ran {
    Judged(Box<(Judgement, Option<Exchange>, Vec<TraceStep>)>),
    NotSent(Unsent),
    Failed(String),
}

impl Executor<'_> {
    /// Run the probes of the families that change accounts, one at a time.
    pub(super) async fn execute_accounts(&self, probes: &[Probe]) {
        if probes.is_empty() {
            return;
        }
        self.plan_phase(probes, "accounts");
        for (index, probe) in probes.iter().enumerate() {
            let result = self.account_attempt(index, probe).await;
            self.settle(index, probe, &result);
        }
        self.sink.event(&Event::PhaseEnd);
    }

    async fn account_attempt(&self, index: usize, probe: &Probe) -> Attempt {
        if let Some(reason) = self.stop_reason() {
            return Ok(Err(reason));
        }
        self.sink.event(&Event::Probe {
            index,
            probe,
            state: ProbeState::Sent,
        });
        let ran = match (&probe.family, &probe.variant) {
            (Family::PrivilegeEscalation, Variant::Escalate { .. }) => self.escalate(probe).await,
            (Family::AccountTakeover, Variant::Takeover { victim }) => {
                self.take_over(probe, victim).await
            }
            _ => Ran::Failed(format!("{}: not a probe of an account family", probe.id())),
        };
        let (judgement, exchange, steps) = match ran {
            Ran::Judged(judged) => *judged,
            Ran::NotSent(why) => return Ok(Err(NotSent::Skipped(why))),
            Ran::Failed(why) => return Err(why),
        };
        let sequence = self
            .counters
            .sequence
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let keep = judgement.verdict != cloison_suites::Verdict::Pass;
        Ok(Ok(Judged {
            probe: probe.clone(),
            verdict: judgement.verdict,
            exchange: exchange.filter(|_| keep).as_ref().map(Exchange::kept),
            at: self.started.elapsed().as_secs_f64(),
            sequence,
            explanation: judgement.explanation,
            steps,
        }))
    }

    /// A new secret for a probe: derived from the run's seed and the probe (the same seed gives the same
    /// run), shaped to pass common password rules, and a credential from the start.
    fn new_secret(&self, probe: &Probe, purpose: &str) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.plan.world.config().seed;
        for byte in probe.id().bytes().chain(purpose.bytes()) {
            h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut g = h;
        let mut next = || {
            g = g.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = g;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let secret = format!("Cl0-{:016x}{:016x}!", next(), next());
        self.options.redact.add(secret.clone());
        secret
    }

    /// A step of the reproducer: what was sent and answered.
    fn traced(&self, phase: &str, step: String, ex: Option<&Exchange>) -> TraceStep {
        let secrets = self.all_secrets();
        TraceStep {
            phase: phase.into(),
            step: crate::http::redact(&step, secrets),
            status: ex.map(|e| e.observed.status),
            curl: ex.map(|e| crate::http::redact(&e.request.curl, secrets)),
        }
    }

    /// What a read shows, judged by the refusals of its endpoint and the policy of `reader`'s role in the
    /// world (its old role).
    fn seen(&self, reader: &str, endpoint: &Endpoint, ex: &Exchange) -> Seen {
        let identity = self.plan.population.identity(reader);
        let proof = self.evidence(identity, ex).proof;
        let refusals = self.profile.refusals_for(endpoint);
        let status = ex.observed.status;
        if !proof.is_empty() {
            Seen::Served { status, proof }
        } else if refusals.is_refusal(&ex.observed) {
            Seen::Refused
        } else if refusals.is_unauthenticated(&ex.observed) {
            Seen::Unauthenticated
        } else {
            Seen::Served { status, proof }
        }
    }

    /// Send with a session of our own (a fresh login: no renewal with the identity's old credential).
    async fn send_fresh(
        &self,
        session: &Session,
        endpoint: &Endpoint,
        ctx: &Value,
        tweak: &Tweak,
    ) -> Result<Exchange, String> {
        if self.target_gone() {
            return Err("not sent: the target stopped answering".into());
        }
        session
            .send_with(&self.settings, endpoint, ctx, None, tweak)
            .await
            .map_err(|e| e.to_string())
    }

    /// The privilege-escalation sequence of `probe`.
    async fn escalate(&self, probe: &Probe) -> Ran {
        let Variant::Escalate {
            route,
            field,
            value,
            read,
        } = &probe.variant
        else {
            return Ran::Failed("not an escalation".into());
        };
        let (Some(actor), Some(record)) = (probe.actor.as_deref(), probe.record.as_deref()) else {
            return Ran::NotSent(Unsent::NoActorOrRecord);
        };
        if !self.seeded.record_ids.contains_key(record) {
            return Ran::NotSent(Unsent::NotSeeded {
                record: record.into(),
            });
        }
        let (Some(read_endpoint), Some(account)) =
            (self.profile.endpoint_by_key(read), self.plan.account(actor))
        else {
            return Ran::Failed(format!("{read} or {actor} is unknown"));
        };
        let route_endpoint = match route {
            RoleRoute::SignUp => self.profile.accounts.register.as_ref(),
            RoleRoute::OwnUpdate => self.profile.accounts.update.as_ref(),
        };
        let Some(route_endpoint) = route_endpoint else {
            return Ran::Failed(format!("{}: not declared", route.key()));
        };
        let mut steps = Vec::new();
        // Before: the identity (the control of its old role) is refused the record.
        let read_ctx = self.record_ctx(record, actor);
        let before = match self
            .send(Some(actor), read_endpoint, &read_ctx, &Tweak::default())
            .await
        {
            Ok(ex) => ex,
            Err(why) => return Ran::Failed(unanswered(why)),
        };
        steps.push(self.traced(
            "setup",
            format!(
                "{actor} ({}) reads {record}: refused expected",
                account.role
            ),
            Some(&before),
        ));
        if self.seen(actor, read_endpoint, &before) != Seen::Refused {
            return Ran::NotSent(Unsent::ServedBefore {
                actor: actor.into(),
                record: record.into(),
                status: before.observed.status,
            });
        }
        let tweak = Tweak {
            fields: vec![(field.clone(), value.json())],
            ..Tweak::default()
        };
        // The change, then a fresh login of the identity it made or changed.
        let (change, who) = match route {
            RoleRoute::OwnUpdate => {
                let ctx = self.identity_ctx(actor);
                match self.send(Some(actor), route_endpoint, &ctx, &tweak).await {
                    Ok(ex) => (ex, account.clone()),
                    Err(why) => return Ran::Failed(unanswered(why)),
                }
            }
            RoleRoute::SignUp => {
                let clone = signed_up_like(account, tag(probe));
                let ctx = json!({
                    "tenant": self.tenant_ctx(account),
                    "identity": self.plan.identity_context(self.profile, &clone, None),
                    "person": super::setup::person_value(self.inputs, account),
                    "secrets": self.secrets,
                });
                match self
                    .send_fresh(&self.anonymous, route_endpoint, &ctx, &tweak)
                    .await
                {
                    Ok(ex) => {
                        // What the sign-up answers (the new account's id, its token) serves its login.
                        let token = super::extract(&ex, route_endpoint, "token");
                        self.options.redact.extend(token.clone());
                        let signed_up = PlannedAccount {
                            known_id: super::extract(&ex, route_endpoint, "id"),
                            token,
                            ..clone
                        };
                        (ex, signed_up)
                    }
                    Err(why) => return Ran::Failed(why),
                }
            }
        };
        let refused = self
            .profile
            .refusals_for(route_endpoint)
            .is_refusal(&change.observed)
            || !(200..300).contains(&change.observed.status);
        steps.push(self.traced(
            "step",
            match route {
                RoleRoute::OwnUpdate => format!("{actor} sends `{field}` in its own update"),
                RoleRoute::SignUp => format!("{} signs up with `{field}`", who.login),
            },
            Some(&change),
        ));
        let after = match self.login_with().login_traced(&who).await {
            Ok((session, _, login)) => {
                steps.push(self.traced(
                    "step",
                    format!("{} logs in again", who.login),
                    login.as_ref(),
                ));
                match self
                    .send_fresh(&session, read_endpoint, &read_ctx, &Tweak::default())
                    .await
                {
                    Ok(ex) => {
                        steps.push(self.traced(
                            "check",
                            format!("{} reads {record} again", who.login),
                            Some(&ex),
                        ));
                        let seen = self.seen(actor, read_endpoint, &ex);
                        Some((seen, ex))
                    }
                    Err(why) => return Ran::Failed(why),
                }
            }
            Err(_) => None,
        };
        let judgement = verdict::judge_escalation(&Escalation {
            field,
            change: change.observed.status,
            change_refused: refused,
            after: after.as_ref().map(|(seen, _)| seen.clone()),
        });
        let exchange = after.map(|(_, ex)| ex).unwrap_or(change);
        Ran::Judged(Box::new((judgement, Some(exchange), steps)))
    }

    /// The account-takeover sequence of `probe` on `victim`.
    async fn take_over(&self, probe: &Probe, victim: &str) -> Ran {
        let Some(attacker) = probe.actor.as_deref() else {
            return Ran::NotSent(Unsent::NoActorOrRecord);
        };
        let (Some(endpoint), Some(account), Some(victim_account)) = (
            self.profile.endpoint_by_key(&probe.endpoint),
            self.plan.account(attacker),
            self.plan.account(victim),
        ) else {
            return Ran::Failed(format!("{}: unknown endpoint or identity", probe.id()));
        };
        let mut steps = Vec::new();
        // The control: the attacker's own change, then a login with it.
        let own = self.new_secret(probe, "own");
        let mut ctx = self.identity_ctx(attacker);
        ctx["probe"] = json!({ "secret": own });
        let control = match self
            .send(Some(attacker), endpoint, &ctx, &Tweak::default())
            .await
        {
            Ok(ex) => ex,
            Err(why) => return Ran::Failed(unanswered(why)),
        };
        steps.push(self.traced(
            "setup",
            format!("{attacker} changes its own credential (control)"),
            Some(&control),
        ));
        let renewed = PlannedAccount {
            password: own,
            ..account.clone()
        };
        let session = match self.login_with().login_traced(&renewed).await {
            Ok((session, _, login)) => {
                steps.push(self.traced(
                    "setup",
                    format!("{attacker} logs in with its new credential"),
                    login.as_ref(),
                ));
                session
            }
            Err(err) => {
                return Ran::NotSent(Unsent::AccountControlFailed {
                    endpoint: probe.endpoint.clone(),
                    actor: attacker.into(),
                    why: format!(
                        "the change answered {}, then the login with the new credential failed: {}",
                        control.observed.status,
                        crate::http::redact(&err.to_string(), self.all_secrets())
                    ),
                });
            }
        };
        // The attack: the victim's account, the attacker's session, another new secret.
        let theirs = self.new_secret(probe, "victim");
        let mut ctx = self.identity_ctx(victim);
        ctx["caller"] = self.caller_ctx(attacker);
        ctx["probe"] = json!({ "secret": theirs });
        let change = match self
            .send_fresh(&session, endpoint, &ctx, &Tweak::default())
            .await
        {
            Ok(ex) => ex,
            Err(why) => return Ran::Failed(why),
        };
        steps.push(self.traced(
            "step",
            format!("{attacker} changes {victim}'s credential"),
            Some(&change),
        ));
        let taken = PlannedAccount {
            password: theirs,
            ..victim_account.clone()
        };
        let victim_login = match self.login_with().login_traced(&taken).await {
            Ok((_, _, login)) => {
                steps.push(self.traced(
                    "check",
                    format!("log in as {victim} with the secret {attacker} chose: accepted"),
                    login.as_ref(),
                ));
                true
            }
            Err(_) => false,
        };
        let refused = self
            .profile
            .refusals_for(endpoint)
            .is_refusal(&change.observed);
        let judgement = verdict::judge_takeover(&Takeover {
            victim,
            change: change.observed.status,
            change_refused: refused,
            victim_login,
        });
        Ran::Judged(Box::new((judgement, Some(change), steps)))
    }
}

/// A new account like `account` (same role, tenant and person), under a login of its own.
fn signed_up_like(account: &PlannedAccount, tag: String) -> PlannedAccount {
    let login = match account.login.split_once('@') {
        Some((user, domain)) => format!("{user}+{tag}@{domain}"),
        None => format!("{}-{tag}", account.login),
    };
    PlannedAccount {
        key: format!("{}-{tag}", account.key),
        login,
        known_id: None,
        ..account.clone()
    }
}

/// A tag unique to a probe, for the login of the account it signs up.
fn tag(probe: &Probe) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for byte in probe.id().bytes() {
        h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    format!("pe{h:08x}")
}

/// Why a request as an identity got no answer, as a sentence.
fn unanswered(why: Unanswered) -> String {
    match why {
        Unanswered::Target(why) | Unanswered::Session(why) => why,
    }
}
