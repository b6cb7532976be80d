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

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Instant;

use cloison_suites::stateful::{
    Action, Model, Scene, Step, TransitionKind, first_sequences, steps_strategy,
};
use cloison_suites::{Cell, RecordKind};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::executor::Executor;
use crate::event::{Event, Judged, StatefulCoverage, TraceStep};
use crate::http::{Exchange, Session};
use crate::profile::Create;

/// Random sequences tried after the first ones (one per transition kind).
const RANDOM_SEQUENCES: usize = 12;
/// Steps per random sequence, at most.
const MAX_STEPS: usize = 6;
/// Sequences re-run while shrinking one failure, at most.
const MAX_SHRINK_RUNS: usize = 24;

/// A failing check: the judged read, and the cell it belongs to.
pub(super) struct Failure {
    pub(super) judged: Judged,
}

/// One sequence's result.
pub(super) enum Ran {
    /// Every check matched the model.
    Passed,
    /// A check did not: the first one.
    Failed(Box<Failure>),
    /// The sequence could not run (the subject could not be created, the target failed).
    Broken(String),
}

/// The sessions of a sequence, parallel to the model's.
pub(super) struct Live {
    pub(super) sessions: Vec<Session>,
    pub(super) representation: Option<String>,
}

/// What the sequences of the suite share: the scene, the case `create`, and what is counted.
struct Suite<'s> {
    scene: Scene,
    create: &'s Create,
    coverage: StatefulCoverage,
    /// Sequences numbered so far (each one's subject is `stateful-N`).
    number: usize,
}

/// The sequences tried: the first ones (one per transition kind), then random ones with the value trees
/// that shrink them.
struct Sequences {
    first: Vec<Vec<Step>>,
    random: Vec<(Vec<Step>, Tree)>,
}

/// The value tree of a random sequence.
type Tree = <proptest::strategy::BoxedStrategy<Vec<Step>> as Strategy>::Tree;

impl Executor<'_> {
    /// Run the stateful suite: its failures and reproducers go to the sink as they come, then what it
    /// covered. When it cannot run, the reason is the family's (it applies, but ran nothing: the run is
    /// inconclusive).
    pub(super) async fn stateful(&self) {
        let coverage = self.stateful_suite().await;
        let read = self.read_subject_endpoint().map(|e| e.origin.to_string());
        self.sink.event(&Event::StatefulCovered {
            coverage: &coverage,
            read: read.as_deref(),
        });
    }

    async fn stateful_suite(&self) -> StatefulCoverage {
        let started = Instant::now();
        let mut coverage = StatefulCoverage::default();
        let Some((scene, create, kinds)) = self.stateful_scene(&mut coverage) else {
            return coverage;
        };
        let mut suite = Suite {
            scene,
            create,
            coverage,
            number: 0,
        };
        let mut known: BTreeSet<Cell> = BTreeSet::new();
        let sequences = self.sequences(&kinds);
        let first = sequences.first.into_iter().map(|steps| (steps, None));
        let random = sequences
            .random
            .into_iter()
            .map(|(steps, tree)| (steps, Some(tree)));
        for (steps, tree) in first.chain(random) {
            if self.stopped() {
                break;
            }
            let failure = match self.run_sequence(&mut suite, &steps).await {
                Ran::Passed => continue,
                Ran::Broken(why) => {
                    // Not a finding and not proof the target failed (a platform may refuse a second case
                    // file for a person): the family stops, and the run cannot claim it covered it.
                    suite.coverage.stopped = Some(format!(
                        "after {} sequence(s): {why}",
                        suite.coverage.sequences
                    ));
                    break;
                }
                Ran::Failed(failure) => failure,
            };
            let cell = failure.judged.probe.cell.clone();
            if known.contains(&cell) {
                self.sink.event(&Event::StatefulFailure(&failure.judged));
                continue;
            }
            suite
                .coverage
                .first_failure_seconds
                .get_or_insert(started.elapsed().as_secs_f64());
            let best = match tree {
                Some(tree) => self.shrink_tree(&mut suite, tree, &failure.judged).await,
                None => self.shrink_steps(&mut suite, steps, &failure.judged).await,
            };
            known.insert(cell);
            self.sink.event(&Event::StatefulFailure(&failure.judged));
            self.sink.event(&Event::Reproducer(&best));
        }
        suite.coverage.seconds = started.elapsed().as_secs_f64();
        suite.coverage
    }

    /// The suite's scene, the case `create` and the transitions the scene allows; `None` (with the reason
    /// in `coverage.not_run`) when the suite cannot run.
    fn stateful_scene<'p>(
        &'p self,
        coverage: &mut StatefulCoverage,
    ) -> Option<(Scene, &'p Create, BTreeSet<TransitionKind>)> {
        let offered = self.profile.transitions_offered();
        for kind in TransitionKind::ALL {
            if !offered.contains(&kind) && kind != TransitionKind::Login {
                coverage
                    .skipped
                    .insert(kind.name().into(), format!("it needs {}", kind.needs()));
            }
        }
        let not_run = |coverage: &mut StatefulCoverage, why: String| {
            coverage.not_run = Some(why);
            None
        };
        if offered.is_empty() {
            return not_run(
                coverage,
                "the profile offers no transition (see the family's coverage entry)".to_string(),
            );
        }
        let Some(create) = self.profile.create(RecordKind::Case) else {
            return not_run(coverage, "no case `create` endpoint".into());
        };
        if self.read_subject_endpoint().is_none() {
            return not_run(
                coverage,
                "no endpoint reads a case file by its identifier".into(),
            );
        }
        let eligible = |r: &cloison_suites::Record| {
            self.seeded.record_ids.contains_key(r.key.as_str())
                && !self.pool.contains(r.case.as_str())
        };
        let scene = match Scene::choose(
            &self.plan.population,
            &self.profile.policy,
            &eligible,
            self.plan.world.config().seed,
        ) {
            Ok(scene) => scene,
            Err(why) => return not_run(coverage, why.to_string()),
        };
        if let Some(m) = scene.members.iter().find(|m| !self.has_session(&m.key)) {
            return not_run(coverage, format!("{} has no session", m.key));
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
        Some((scene, create, kinds))
    }

    /// The first sequences, then [`RANDOM_SEQUENCES`] drawn from the world's seed.
    fn sequences(&self, kinds: &BTreeSet<TransitionKind>) -> Sequences {
        let first = first_sequences(kinds);
        let strategy = steps_strategy(kinds, MAX_STEPS);
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
        let mut random = Vec::new();
        for _ in 0..RANDOM_SEQUENCES {
            match strategy.new_tree(&mut runner) {
                Ok(tree) => random.push((tree.current(), tree)),
                Err(_) => break,
            }
        }
        Sequences { first, random }
    }

    /// Run one more sequence of the suite, counted.
    async fn run_sequence(&self, suite: &mut Suite<'_>, steps: &[Step]) -> Ran {
        suite.number += 1;
        let ran = self
            .sequence(
                &suite.scene,
                suite.create,
                steps,
                suite.number,
                &mut suite.coverage,
            )
            .await;
        suite.coverage.sequences += 1;
        ran
    }

    /// Shrink a random sequence's failure with its value tree: fewer steps, lower indexes, the same failing
    /// cell. The smallest failing check found.
    async fn shrink_tree(&self, suite: &mut Suite<'_>, mut tree: Tree, failed: &Judged) -> Judged {
        let cell = &failed.probe.cell;
        let mut best = failed.clone();
        let mut runs = 0;
        let mut more = tree.simplify();
        while more && runs < MAX_SHRINK_RUNS && !self.stopped() {
            runs += 1;
            match self.run_sequence(suite, &tree.current()).await {
                Ran::Failed(f) if f.judged.probe.cell == *cell => {
                    best = f.judged;
                    more = tree.simplify();
                }
                _ => more = tree.complicate(),
            }
        }
        best
    }

    /// Shrink a first sequence's failure: try it without each of its steps.
    async fn shrink_steps(
        &self,
        suite: &mut Suite<'_>,
        steps: Vec<Step>,
        failed: &Judged,
    ) -> Judged {
        let cell = &failed.probe.cell;
        let mut best = failed.clone();
        let mut runs = 0;
        let mut current = steps;
        'outer: while current.len() > 1 && runs < MAX_SHRINK_RUNS {
            for skip in 0..current.len() {
                let mut shorter = current.clone();
                shorter.remove(skip);
                runs += 1;
                if let Ran::Failed(f) = self.run_sequence(suite, &shorter).await
                    && f.judged.probe.cell == *cell
                {
                    best = f.judged;
                    current = shorter;
                    continue 'outer;
                }
            }
            break;
        }
        best
    }

    /// Whether the run stopped (interrupted, past its deadline, the target gone).
    fn stopped(&self) -> bool {
        self.options.interrupt.load(Ordering::SeqCst)
            || self.options.deadline.is_some_and(|d| Instant::now() > d)
            || self.target_gone()
    }

    /// Run one sequence on a fresh subject. Checks run before the first step and after every step.
    async fn sequence(
        &self,
        scene: &Scene,
        create: &Create,
        steps: &[Step],
        number: usize,
        coverage: &mut StatefulCoverage,
    ) -> Ran {
        let secrets = self.all_secrets();
        let mut trace: Vec<TraceStep> = Vec::new();
        let started = self
            .start_sequence(scene, create, number, secrets, &mut trace)
            .await;
        let (id, operator, mut live, mut model) = match started {
            Ok(started) => started,
            Err(why) => return Ran::Broken(why),
        };
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
                Ok(performed) => {
                    let step = Stepped {
                        action: &action,
                        performed,
                        secrets,
                    };
                    self.follow(step, &mut model, &mut trace, coverage);
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
        match self
            .teardown(scene, &model, &mut live, &id, operator.as_ref())
            .await
        {
            Ok(()) => result,
            Err(why) => Ran::Broken(why),
        }
    }

    /// The subject (a case file created for the scene's person), the operator's session, the scene's
    /// representation when the target can add and end one, and every member's session.
    async fn start_sequence(
        &self,
        scene: &Scene,
        create: &Create,
        number: usize,
        secrets: &crate::redact::Secrets,
        trace: &mut Vec<TraceStep>,
    ) -> Result<(String, Option<Session>, Live, Model), String> {
        // A key the client chooses gets the sequence's number: the seeded record holds the template's own.
        let suffix = format!("-s{number}");
        let (id, create_curl) = match self
            .create(&scene.template, RecordKind::Case, create, Some(&suffix))
            .await
        {
            Ok(created) => (created.id, created.curl),
            Err(err) => return Err(format!("the subject case file cannot be created: {err}")),
        };
        let subject_key = format!("stateful-{number}");
        trace.push(TraceStep {
            phase: "setup".into(),
            step: format!(
                "create a case file for person {} (values of {}) as its owner: id {id}",
                scene.person, scene.template
            ),
            status: None,
            curl: create_curl.map(|c| crate::http::redact(&c, secrets)),
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
            let (rep_id, ex) = self.add_representation(scene, operator.as_ref()).await?;
            trace.push(TraceStep {
                phase: "setup".into(),
                step: "the operator adds the representation".into(),
                status: Some(ex.observed.status),
                curl: Some(crate::http::redact(&ex.request.curl, secrets)),
            });
            live.representation = rep_id;
        }
        let model = Model::new(scene, &self.profile.policy, &subject_key, can_represent);
        for s in model.sessions() {
            let Some(member) = scene.members.get(s.member) else {
                return Err("a session without a member".into());
            };
            match self.session(&member.key) {
                Some(session) => live.sessions.push(session),
                None => return Err(format!("{} has no session", member.key)),
            }
        }
        Ok((id, operator, live, model))
    }

    /// What a performed step changes: the trace, the model (when the target accepted it) and the coverage.
    fn follow(
        &self,
        step: Stepped<'_>,
        model: &mut Model,
        trace: &mut Vec<TraceStep>,
        coverage: &mut StatefulCoverage,
    ) {
        let (accepted, description, ex) = step.performed;
        let status = ex.as_ref().map(|e| e.observed.status);
        trace.push(TraceStep {
            phase: "step".into(),
            step: if accepted {
                description
            } else {
                format!("{description} (refused: nothing changed)")
            },
            status,
            curl: ex
                .as_ref()
                .map(|ex| crate::http::redact(&ex.request.curl, step.secrets)),
        });
        let action = step.action;
        let kind = action.kind().name().to_string();
        if let Some(key) = self.transition_endpoint(action) {
            coverage.endpoints.insert(key);
        }
        if accepted {
            model.commit(action);
            *coverage.transitions.entry(kind).or_default() += 1;
        } else {
            let entry = coverage
                .refused
                .entry(kind)
                .or_insert_with(|| (0, status.map_or("no answer".into(), |s| s.to_string())));
            entry.0 += 1;
            model.refused.push(action.kind());
        }
    }

    /// Teardown: roles come back and the representation ends with the sequence, so that the next one
    /// starts alike.
    async fn teardown(
        &self,
        scene: &Scene,
        model: &Model,
        live: &mut Live,
        id: &str,
        operator: Option<&Session>,
    ) -> Result<(), String> {
        for (i, member) in scene.members.iter().enumerate() {
            if model.member(i).is_some_and(|m| m.role != member.role) {
                let back = Action::ChangeRole {
                    member: i,
                    role: member.role.clone(),
                };
                match self
                    .perform(scene, model, live, id, &back, operator)
                    .await?
                {
                    (true, _, _) => {}
                    (false, what, ex) => {
                        return Err(format!(
                            "{what}: refused ({}), the next sequences cannot start alike",
                            ex.map_or(0, |e| e.observed.status)
                        ));
                    }
                }
            }
        }
        if model.represented() {
            self.end_representation(scene, live, operator).await?;
        }
        Ok(())
    }
}

/// A step the target answered, with what its trace needs.
struct Stepped<'s> {
    action: &'s Action,
    performed: (bool, String, Option<Exchange>),
    secrets: &'s crate::redact::Secrets,
}
