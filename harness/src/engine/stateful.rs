//! The stateful suite against the target: sequences of transitions (logout, transfer, end and start of a
//! representation, deletion, role change) chosen and judged by `cloison_suites::stateful`'s reference model.
//!
//! Each sequence works on a fresh *subject*: a case file created for the scene's person through the
//! profile's case `create` (with the values of one of their world case files), so that sequences never
//! depend on one another. Every session of the scene reads the subject before the first step (access is
//! used) and after every step; a read the model denies that returns the subject's canaries is a proven
//! leak, a read it allows that is refused makes the family inconclusive. A failing sequence is shrunk with
//! proptest against the target, down to the fewest steps that still fail the same way.
//!
//! It runs after every static probe and control: its transfers and deletions change what the world's
//! identities may see, and nothing static is judged after it.

use std::collections::{BTreeMap, BTreeSet};

use cloison_suites::stateful::{
    Action, Model, Scene, Step, TransitionKind, first_sequences, steps_strategy,
};
use cloison_suites::verdict::{judge_control, judge_forbidden, split_reflected};
use cloison_suites::{Cell, Expect, Family, Relation, Variant};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

use super::*;
use crate::http::Tweak;
use crate::oracle;
use crate::report::TraceStep;

/// Random sequences tried after the first ones (one per transition kind).
const RANDOM_SEQUENCES: usize = 12;
/// Steps per random sequence, at most.
const MAX_STEPS: usize = 6;
/// Sequences re-run while shrinking one failure, at most.
const MAX_SHRINK_RUNS: usize = 24;

/// What the stateful suite covered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatefulCoverage {
    /// The scene: who took part, around whose case files.
    pub scene: Option<String>,
    /// Sequences run (shrinking runs included).
    pub sequences: usize,
    /// Transitions the target accepted, per kind.
    pub transitions: BTreeMap<String, usize>,
    /// Transitions the target refused (they did not happen, the model followed), per kind: how many and
    /// the first answer.
    pub refused: BTreeMap<String, (usize, String)>,
    /// Transitions not exercised, with the reason.
    pub skipped: BTreeMap<String, String>,
    /// Reads judged against the model.
    pub checks: usize,
    /// Seconds the suite took.
    pub seconds: f64,
    /// Seconds from the start of the suite to its first failing check, if any.
    pub first_failure_seconds: Option<f64>,
    /// Why the suite did not run at all, if it did not.
    pub not_run: Option<String>,
    /// Why the suite stopped before its last sequence, if it did (the run is then inconclusive).
    #[serde(default)]
    pub stopped: Option<String>,
    /// The profile endpoints its transitions called.
    #[serde(default)]
    pub endpoints: BTreeSet<String>,
}

/// A failing check: the judged read, and the cell it belongs to.
struct Failure {
    judged: Judged,
}

/// One sequence's result.
enum Ran {
    /// Every check matched the model.
    Passed,
    /// A check did not: the first one.
    Failed(Box<Failure>),
    /// The sequence could not run (the subject could not be created, the target failed).
    Broken(String),
}

/// The sessions of a sequence, parallel to the model's.
struct Live {
    sessions: Vec<Session>,
    representation: Option<String>,
}

impl Engine<'_> {
    /// Run the stateful suite; its events go to `outcome`. When it cannot run, the reason is the family's
    /// (it applies, but ran nothing: the run is inconclusive).
    pub(super) async fn stateful(&self, outcome: &mut Outcome) -> StatefulCoverage {
        let coverage = self.stateful_suite(outcome).await;
        if let Some(why) = &coverage.not_run {
            outcome
                .not_applicable
                .insert(Family::Stateful.name().to_string(), (1, why.clone()));
        }
        coverage
    }

    async fn stateful_suite(&self, outcome: &mut Outcome) -> StatefulCoverage {
        let started = Instant::now();
        let mut coverage = StatefulCoverage::default();
        let offered = self.profile.transitions_offered();
        for kind in TransitionKind::ALL {
            if !offered.contains(&kind) && kind != TransitionKind::Login {
                coverage
                    .skipped
                    .insert(kind.name().into(), format!("it needs {}", kind.needs()));
            }
        }
        if offered.is_empty() {
            coverage.not_run = Some(
                "the profile offers no transition (see the family's coverage entry)".to_string(),
            );
            return coverage;
        }
        let Some(create) = self.profile.create(RecordKind::Case) else {
            coverage.not_run = Some("no case `create` endpoint".into());
            return coverage;
        };
        if self.read_subject_endpoint().is_none() {
            coverage.not_run = Some("no endpoint reads a case file by its identifier".into());
            return coverage;
        }
        let eligible = |r: &cloison_suites::Record| {
            self.record_ids.contains_key(&r.key) && !self.pool.contains(&r.case)
        };
        let scene = match Scene::choose(
            &self.plan.population,
            &self.profile.policy,
            &eligible,
            self.plan.world.config().seed,
        ) {
            Ok(scene) => scene,
            Err(why) => {
                coverage.not_run = Some(why.to_string());
                return coverage;
            }
        };
        if let Some(m) = scene.members.iter().find(|m| !self.has_session(&m.key)) {
            coverage.not_run = Some(format!("{} has no session", m.key));
            return coverage;
        }
        let kinds = scene.transitions(&offered);
        for kind in offered.difference(&kinds) {
            coverage.skipped.insert(
                kind.name().into(),
                format!("the world gives the scene no {}", kind.needs()),
            );
        }
        coverage.scene = Some(format!(
            "case files created for person {} (values of {}) in tenant {}, read by {}",
            scene.person,
            scene.template,
            scene.home,
            scene
                .members
                .iter()
                .map(|m| format!("{} ({}, {})", m.key, m.role, m.tenant))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let mut known: BTreeSet<Cell> = BTreeSet::new();
        let mut number = 0usize;
        let mut sequences: Vec<Vec<Step>> = first_sequences(&kinds);
        let fixed = sequences.len();
        let strategy = steps_strategy(&kinds, MAX_STEPS);
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.plan.world.config().seed.to_le_bytes());
        seed[8..16].copy_from_slice(b"stateful");
        let mut runner = TestRunner::new_with_rng(
            Config {
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        );
        let mut trees = Vec::new();
        for _ in 0..RANDOM_SEQUENCES {
            match strategy.new_tree(&mut runner) {
                Ok(tree) => {
                    sequences.push(tree.current());
                    trees.push(tree);
                }
                Err(_) => break,
            }
        }
        let mut trees = trees.into_iter();
        for (i, steps) in sequences.into_iter().enumerate() {
            let tree = if i >= fixed { trees.next() } else { None };
            if self.stopped() {
                break;
            }
            number += 1;
            let ran = self
                .sequence(&scene, create, &steps, number, &mut coverage)
                .await;
            coverage.sequences += 1;
            let failure = match ran {
                Ran::Passed => continue,
                Ran::Broken(why) => {
                    // Not a finding and not proof the target failed (a platform may refuse a second case
                    // file for a person): the family stops, and the run cannot claim it covered it.
                    coverage.stopped =
                        Some(format!("after {} sequence(s): {why}", coverage.sequences));
                    break;
                }
                Ran::Failed(failure) => failure,
            };
            let cell = failure.judged.probe.cell.clone();
            if known.contains(&cell) {
                outcome.events.push(failure.judged);
                continue;
            }
            coverage
                .first_failure_seconds
                .get_or_insert(started.elapsed().as_secs_f64());
            // Shrink: fewer steps, lower indexes, the same failing cell.
            let mut best = failure.judged.clone();
            let mut runs = 0;
            match tree {
                Some(mut tree) => {
                    let mut more = tree.simplify();
                    while more && runs < MAX_SHRINK_RUNS && !self.stopped() {
                        runs += 1;
                        number += 1;
                        let ran = self
                            .sequence(&scene, create, &tree.current(), number, &mut coverage)
                            .await;
                        coverage.sequences += 1;
                        match ran {
                            Ran::Failed(f) if f.judged.probe.cell == cell => {
                                best = f.judged;
                                more = tree.simplify();
                            }
                            _ => more = tree.complicate(),
                        }
                    }
                }
                None => {
                    // A first sequence: try it without each of its steps.
                    let mut current = steps;
                    'outer: while current.len() > 1 && runs < MAX_SHRINK_RUNS {
                        for skip in 0..current.len() {
                            let mut shorter = current.clone();
                            shorter.remove(skip);
                            runs += 1;
                            number += 1;
                            let ran = self
                                .sequence(&scene, create, &shorter, number, &mut coverage)
                                .await;
                            coverage.sequences += 1;
                            if let Ran::Failed(f) = ran
                                && f.judged.probe.cell == cell
                            {
                                best = f.judged;
                                current = shorter;
                                continue 'outer;
                            }
                        }
                        break;
                    }
                }
            }
            known.insert(cell);
            outcome.events.push(failure.judged);
            outcome.reproducers.push(best);
        }
        coverage.seconds = started.elapsed().as_secs_f64();
        for key in &coverage.endpoints {
            *outcome.endpoints.entry(key.clone()).or_default() += 1;
            outcome
                .tried
                .insert((Family::Stateful.name().to_string(), key.clone()));
        }
        *outcome
            .executed
            .entry(Family::Stateful.name().to_string())
            .or_default() += coverage.checks;
        if let Some(read) = self.read_subject_endpoint()
            && coverage.checks > 0
        {
            *outcome
                .endpoints
                .entry(read.origin.to_string())
                .or_default() += coverage.checks;
            outcome
                .tried
                .insert((Family::Stateful.name().to_string(), read.origin.to_string()));
        }
        coverage
    }

    /// The profile key of the endpoint an action calls.
    fn transition_endpoint(&self, action: &Action) -> Option<String> {
        match action {
            Action::Login { .. } => Some("auth.login".into()),
            Action::Logout { .. } => Some("auth.logout".into()),
            Action::Transfer { .. } => Some("transitions.transfer".into()),
            Action::EndRepresentation => Some("provisioning.end_representation".into()),
            Action::AddRepresentation => Some("provisioning.representation".into()),
            Action::Delete { .. } => self
                .profile
                .endpoint(RecordKind::Case, "delete")
                .map(|e| e.origin.to_string()),
            Action::ChangeRole { .. } => Some("transitions.change_role".into()),
        }
    }

    fn stopped(&self) -> bool {
        self.options.interrupt.load(Ordering::SeqCst)
            || self.options.deadline.is_some_and(|d| Instant::now() > d)
            || self.failures_in_a_row.load(Ordering::SeqCst) >= GIVE_UP_AFTER
    }

    fn read_subject_endpoint(&self) -> Option<&Endpoint> {
        self.profile
            .endpoint(RecordKind::Case, "read")
            .filter(|e| e.placeholders().contains("case.id"))
    }

    /// The operator's session (provisioning calls), if the profile provisions.
    fn operator(&self) -> Option<Session> {
        let provisioning = self.profile.provisioning.as_ref()?;
        let mut operator = Session::new(&self.settings).ok()?;
        let value = provisioning
            .operator
            .value
            .render(&self.secrets_ctx())
            .ok()?;
        operator.credential = Credential {
            who: "the operator".into(),
            headers: vec![(provisioning.operator.name.clone(), value.clone())],
            basic: None,
            secrets: vec![value],
        };
        Some(operator)
    }

    /// The context of the scene's representation (as provisioning has it), with its identifier if known.
    fn representation_ctx(&self, scene: &Scene, id: Option<&str>) -> Option<Value> {
        let r = scene.representative?;
        let rep_key = &scene.members.get(r)?.key;
        let owner_key = &scene.members.first()?.key;
        let rep = self
            .plan
            .world
            .cases
            .iter()
            .flat_map(|b| &b.representations)
            .find(|rep| {
                self.plan.person_account.get(&rep.representative_id) == Some(rep_key)
                    && self.plan.person_account.get(&rep.person_id) == Some(owner_key)
            })?;
        let mut representation = serde_json::to_value(rep).ok()?;
        if let (Value::Object(map), Some(id)) = (&mut representation, id) {
            map.insert("id".into(), id.into());
        }
        Some(json!({
            "tenant": self.plan.world.tenant(rep.tenant_id).map_or(Value::Null, |t| serde_json::to_value(t).unwrap_or(Value::Null)),
            "representation": representation,
            "representative": { "id": self.account_ids.get(rep_key), "key": rep_key },
            "represented": { "id": self.account_ids.get(owner_key), "key": owner_key },
            "secrets": self.secrets,
        }))
    }

    fn tenant_by_code(&self, code: &str) -> Value {
        let mut tenant = self
            .plan
            .world
            .tenants
            .iter()
            .find(|t| t.code == code)
            .map_or(Value::Null, |t| {
                serde_json::to_value(t).unwrap_or(Value::Null)
            });
        if let (Value::Object(map), Some(platform)) = (&mut tenant, self.tenant_codes.get(code)) {
            map.insert("code".into(), platform.clone().into());
        }
        tenant
    }

    /// Run one sequence on a fresh subject. Checks run before the first step and after every step.
    async fn sequence(
        &self,
        scene: &Scene,
        create: &crate::profile::Create,
        steps: &[Step],
        number: usize,
        coverage: &mut StatefulCoverage,
    ) -> Ran {
        let secrets = self.all_secrets();
        let curl = |ex: &Exchange| crate::http::redact(&ex.request.curl, &secrets);
        let mut trace: Vec<TraceStep> = Vec::new();
        // The subject.
        // A key the client chooses gets the sequence's number: the seeded record holds the template's own.
        let suffix = format!("-s{number}");
        let (id, create_curl) = match self
            .create(&scene.template, RecordKind::Case, create, Some(&suffix))
            .await
        {
            Ok(created) => (created.id, created.curl),
            Err(err) => {
                return Ran::Broken(format!("the subject case file cannot be created: {err}"));
            }
        };
        let subject_key = format!("stateful-{number}");
        trace.push(TraceStep {
            phase: "setup".into(),
            step: format!(
                "create a case file for person {} (values of {}) as its owner: id {id}",
                scene.person, scene.template
            ),
            status: None,
            curl: create_curl.map(|c| crate::http::redact(&c, &secrets)),
        });
        let operator = self.operator();
        // The scene's representation starts with the sequence, when the target can add and end one.
        let mut live = Live {
            sessions: Vec::new(),
            representation: None,
        };
        let can_represent = self
            .profile
            .transitions_offered()
            .contains(&TransitionKind::AddRepresentation)
            && scene.representative.is_some();
        if can_represent {
            match self.add_representation(scene, operator.as_ref()).await {
                Ok((rep_id, ex)) => {
                    trace.push(TraceStep {
                        phase: "setup".into(),
                        step: "the operator adds the representation".into(),
                        status: Some(ex.observed.status),
                        curl: Some(curl(&ex)),
                    });
                    live.representation = rep_id;
                }
                Err(why) => return Ran::Broken(why),
            }
        }
        let mut model = Model::new(scene, &self.profile.policy, &subject_key, can_represent);
        for s in model.sessions() {
            let Some(member) = scene.members.get(s.member) else {
                return Ran::Broken("a session without a member".into());
            };
            match self.session(&member.key) {
                Some(session) => live.sessions.push(session),
                None => return Ran::Broken(format!("{} has no session", member.key)),
            }
        }
        let mut result = self
            .check(scene, &model, &mut live, &id, &trace, coverage)
            .await;
        for step in steps {
            if !matches!(result, Ran::Passed) {
                break;
            }
            let Some(action) = model.action(step) else {
                continue;
            };
            match self
                .perform(scene, &model, &mut live, &id, &action, operator.as_ref())
                .await
            {
                Ok((accepted, description, ex)) => {
                    let status = ex.as_ref().map(|e| e.observed.status);
                    trace.push(TraceStep {
                        phase: "step".into(),
                        step: if accepted {
                            description
                        } else {
                            format!("{description} (refused: nothing changed)")
                        },
                        status,
                        curl: ex.as_ref().map(&curl),
                    });
                    let kind = action.kind().name().to_string();
                    if let Some(key) = self.transition_endpoint(&action) {
                        coverage.endpoints.insert(key);
                    }
                    if accepted {
                        model.commit(&action);
                        *coverage.transitions.entry(kind).or_default() += 1;
                    } else {
                        let entry = coverage.refused.entry(kind).or_insert_with(|| {
                            (0, status.map_or("no answer".into(), |s| s.to_string()))
                        });
                        entry.0 += 1;
                        model.refused.push(action.kind());
                    }
                }
                Err(why) => {
                    result = Ran::Broken(why);
                    break;
                }
            }
            result = self
                .check(scene, &model, &mut live, &id, &trace, coverage)
                .await;
        }
        // Teardown: roles come back and the representation ends with the sequence, so that the next one
        // starts alike.
        for (i, member) in scene.members.iter().enumerate() {
            if model.member(i).is_some_and(|m| m.role != member.role) {
                let back = Action::ChangeRole {
                    member: i,
                    role: member.role.clone(),
                };
                match self
                    .perform(scene, &model, &mut live, &id, &back, operator.as_ref())
                    .await
                {
                    Ok((true, _, _)) => {}
                    Ok((false, what, ex)) => {
                        return Ran::Broken(format!(
                            "{what}: refused ({}), the next sequences cannot start alike",
                            ex.map_or(0, |e| e.observed.status)
                        ));
                    }
                    Err(why) => return Ran::Broken(why),
                }
            }
        }
        if model.represented()
            && let Err(why) = self
                .end_representation(scene, &live, operator.as_ref())
                .await
        {
            return Ran::Broken(why);
        }
        result
    }

    async fn add_representation(
        &self,
        scene: &Scene,
        operator: Option<&Session>,
    ) -> Result<(Option<String>, Exchange), String> {
        let endpoint = self
            .profile
            .provisioning
            .as_ref()
            .and_then(|p| p.representation.as_ref())
            .ok_or("no representation endpoint")?;
        let operator = operator.ok_or("no operator credential")?;
        let ctx = self
            .representation_ctx(scene, None)
            .ok_or("the scene's representation is not in the world")?;
        let ex = operator
            .send(&self.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| format!("adding a representation: {e}"))?;
        if !endpoint.is_ok(ex.observed.status) {
            return Err(format!(
                "adding a representation answered {}: {}",
                ex.observed.status,
                ex.answer(200, &self.all_secrets())
            ));
        }
        Ok((Self::extract(&ex, endpoint, "id"), ex))
    }

    async fn end_representation(
        &self,
        scene: &Scene,
        live: &Live,
        operator: Option<&Session>,
    ) -> Result<Exchange, String> {
        let endpoint = self
            .profile
            .provisioning
            .as_ref()
            .and_then(|p| p.end_representation.as_ref())
            .ok_or("no end_representation endpoint")?;
        let operator = operator.ok_or("no operator credential")?;
        let ctx = self
            .representation_ctx(scene, live.representation.as_deref())
            .ok_or("the scene's representation is not in the world")?;
        operator
            .send(&self.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| format!("ending a representation: {e}"))
    }

    /// Do an action on the target: whether it was accepted, a description, and the exchange.
    async fn perform(
        &self,
        scene: &Scene,
        model: &Model,
        live: &mut Live,
        subject_id: &str,
        action: &Action,
        operator: Option<&Session>,
    ) -> Result<(bool, String, Option<Exchange>), String> {
        let key_of = |member: usize| {
            scene
                .members
                .get(member)
                .map_or("?".to_string(), |m| m.key.clone())
        };
        let subject_ctx = |actor: &str| {
            let mut ctx = self.record_ctx(&scene.template, actor);
            ctx["case"]["id"] = subject_id.into();
            ctx
        };
        match action {
            Action::Login { member } => {
                let key = key_of(*member);
                let account = self
                    .plan
                    .account(&key)
                    .ok_or_else(|| format!("{key} has no account"))?;
                let (session, _, ex) = self
                    .login_traced(account)
                    .await
                    .map_err(|e| format!("logging {key} in: {e}"))?;
                live.sessions.push(session);
                Ok((
                    true,
                    format!("{key} logs in again: session {}", live.sessions.len() - 1),
                    ex,
                ))
            }
            Action::Logout { session } => {
                let logout = self
                    .profile
                    .auth
                    .logout
                    .as_ref()
                    .ok_or("no logout endpoint")?;
                let s = live
                    .sessions
                    .get(*session)
                    .ok_or("no such session")?
                    .clone();
                let member = model.sessions().get(*session).map_or(0, |s| s.member);
                let key = key_of(member);
                let ctx = self.identity_ctx(&key);
                let ex = s
                    .send(&self.settings, logout, &ctx, None)
                    .await
                    .map_err(|e| format!("logging out: {e}"))?;
                Ok((
                    logout.is_ok(ex.observed.status),
                    format!("session {session} of {key} logs out"),
                    Some(ex),
                ))
            }
            Action::Transfer { by, to } => {
                let endpoint = self
                    .profile
                    .transitions
                    .transfer
                    .as_ref()
                    .ok_or("no transfer endpoint")?;
                let key = key_of(*by);
                let mut ctx = subject_ctx(&key);
                ctx["to"] = self.tenant_by_code(to);
                let ex = self.send_as(&key, endpoint, &ctx, "transferring").await?;
                Ok((
                    endpoint.is_ok(ex.observed.status),
                    format!("{key} transfers the case file to tenant {to}"),
                    Some(ex),
                ))
            }
            Action::EndRepresentation => {
                let ex = self.end_representation(scene, live, operator).await?;
                let ok = self
                    .profile
                    .provisioning
                    .as_ref()
                    .and_then(|p| p.end_representation.as_ref())
                    .is_some_and(|e| e.is_ok(ex.observed.status));
                Ok((ok, "the operator ends the representation".into(), Some(ex)))
            }
            Action::AddRepresentation => {
                let (id, ex) = self.add_representation(scene, operator).await?;
                live.representation = id;
                Ok((
                    true,
                    "the operator adds the representation again".into(),
                    Some(ex),
                ))
            }
            Action::Delete { by } => {
                let endpoint = self
                    .profile
                    .endpoint(RecordKind::Case, "delete")
                    .ok_or("no delete endpoint")?;
                let key = key_of(*by);
                let ex = self
                    .send_as(&key, endpoint, &subject_ctx(&key), "deleting")
                    .await?;
                Ok((
                    endpoint.is_ok(ex.observed.status),
                    format!("{key} deletes the case file"),
                    Some(ex),
                ))
            }
            Action::ChangeRole { member, role } => {
                let endpoint = self
                    .profile
                    .transitions
                    .change_role
                    .as_ref()
                    .ok_or("no change_role endpoint")?;
                let operator = operator.ok_or("no operator credential")?;
                let key = key_of(*member);
                let mut ctx = self.identity_ctx(&key);
                ctx["role"] = self
                    .profile
                    .roles
                    .get(role)
                    .cloned()
                    .unwrap_or_else(|| role.clone())
                    .into();
                let ex = operator
                    .send(&self.settings, endpoint, &ctx, None)
                    .await
                    .map_err(|e| format!("changing a role: {e}"))?;
                Ok((
                    endpoint.is_ok(ex.observed.status),
                    format!("the operator makes {key} {role}"),
                    Some(ex),
                ))
            }
        }
    }

    /// Send `endpoint` as `key` with its current session.
    async fn send_as(
        &self,
        key: &str,
        endpoint: &Endpoint,
        ctx: &Value,
        what: &str,
    ) -> Result<Exchange, String> {
        let session = self
            .session(key)
            .ok_or_else(|| format!("{key} has no session"))?;
        session
            .send(&self.settings, endpoint, ctx, None)
            .await
            .map_err(|e| format!("{what}: {e}"))
    }

    /// The context of an identity alone: itself, its tenant, the secrets.
    pub(super) fn identity_ctx(&self, key: &str) -> Value {
        let mut ctx = json!({ "secrets": self.secrets });
        if let Some(account) = self.plan.account(key) {
            ctx["identity"] = self.plan.identity_context(
                self.profile,
                account,
                self.account_ids.get(key).map(String::as_str),
            );
            ctx["tenant"] = self.tenant_ctx(account);
        }
        ctx
    }

    /// Every session reads the subject; the first read that does not match the model fails the sequence.
    async fn check(
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
        let reads = model.sessions().iter().enumerate().map(|(i, s)| {
            let key = scene
                .members
                .get(s.member)
                .map_or(String::new(), |m| m.key.clone());
            let mut ctx = self.record_ctx(&scene.template, &key);
            ctx["case"]["id"] = subject_id.into();
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
        // A session the model holds live that is not accepted may have expired (platforms end sessions on
        // their own): log its member in again and read once more before judging.
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
            if let Ok((session, _)) = self.login(account).await {
                self.relogins.fetch_add(1, Ordering::SeqCst);
                if let Some(slot) = live.sessions.get_mut(i) {
                    *slot = session.clone();
                }
                if !model.sessions()[i].extra {
                    self.set_session(member.key.clone(), session.clone());
                }
                let mut ctx = self.record_ctx(&scene.template, &member.key);
                ctx["case"]["id"] = subject_id.into();
                *answer = session
                    .send_with(&self.settings, read, &ctx, None, &Tweak::default())
                    .await
                    .map_err(|e| e.to_string());
            }
        }
        for (i, answer) in answers.into_iter().enumerate() {
            coverage.checks += 1;
            let sequence = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
            let ex = match answer {
                Ok(ex) => {
                    self.failures_in_a_row.store(0, Ordering::SeqCst);
                    ex
                }
                Err(e) => {
                    self.failures_in_a_row.fetch_add(1, Ordering::SeqCst);
                    return Ran::Broken(format!("reading the subject: {e}"));
                }
            };
            let session = &model.sessions()[i];
            let Some(member) = model.member(session.member) else {
                continue;
            };
            let ours: Vec<_> = self
                .scan(&ex.observed)
                .into_iter()
                .filter(|h| h.owner.person.as_deref() == Some(scene.person.as_str()))
                .collect();
            let allowed = model.may_read(i);
            let evidence = split_reflected(ours.clone(), &oracle::carried(self.scanner, &ex.sent));
            let verdict = if allowed {
                match judge_control(&Default::default(), &ex.observed, ours.len()) {
                    Verdict::Unauthenticated => Verdict::ControlFailed(format!(
                        "answered {} to a session the model holds live",
                        ex.observed.status
                    )),
                    v => v,
                }
            } else {
                match judge_forbidden(&evidence, refusals, &ex.observed) {
                    // A logged-out session that is not accepted is what the model expects.
                    Verdict::Unauthenticated => Verdict::Pass,
                    v => v,
                }
            };
            if verdict == Verdict::Pass {
                continue;
            }
            let last = trace.iter().rev().find(|t| t.phase == "step");
            let via = match (session.lost_by, allowed) {
                (Some(kind), false) => format!("after {kind}"),
                (None, false) => "from the start".to_string(),
                (_, true) => match model.refused.last() {
                    Some(kind) => format!("after a refused {kind}"),
                    None => format!(
                        "after {}",
                        last.map_or("the start".to_string(), |t| t.step.clone())
                    ),
                },
            };
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
            let explanation = match &verdict {
                Verdict::Leak(hits) => format!(
                    "{} ({}) read a case file of person {} {via}: {} answered {} with {} of its canaries. Sequence: {}",
                    member.key,
                    member.role,
                    scene.person,
                    read.origin,
                    ex.observed.status,
                    hits.len(),
                    describe_steps(&steps)
                ),
                other => format!(
                    "{} ({}) on a case file of person {}: {other:?}. Sequence: {}",
                    member.key,
                    member.role,
                    scene.person,
                    describe_steps(&steps)
                ),
            };
            let judged = Judged {
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
                exchange: Some(ex),
                at: self.started.elapsed().as_secs_f64(),
                sequence,
                explanation,
                steps,
            };
            // A refused read the model allows is not a finding, but a control that failed: the run cannot
            // claim it covered this sequence.
            return Ran::Failed(Box::new(Failure { judged }));
        }
        Ran::Passed
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
