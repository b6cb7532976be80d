//! The events of a run: what the engine emits as it goes (phases, and every planned probe from plan to
//! verdict, passes included), and the sinks that consume them: the report builder's [`Collector`] (which
//! accumulates the [`Outcome`] the report is built from) and the terminal progress. A leaf: it imports
//! neither the engine nor the report, and both import it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use cloison_suites::{Cell, Family, Probe, Unsent, UnsentKind, Verdict};
use serde::{Deserialize, Serialize};

use crate::http::Exchange;

/// One judged probe: the event the reports are built from.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The probe.
    pub probe: Probe,
    /// What the oracle concluded.
    pub verdict: Verdict,
    /// The decisive exchange (kept for findings, failures and warnings only).
    pub exchange: Option<Exchange>,
    /// Seconds since the start of the probe phase.
    pub at: f64,
    /// Position of the probe in the probe phase (1-based; controls count).
    pub sequence: usize,
    /// A sentence on what happened, for findings.
    pub explanation: String,
    /// For the stateful suite: the sequence of steps that led to it (empty otherwise).
    pub steps: Vec<TraceStep>,
}

/// One step of a stateful sequence, as it was sent (a reproducer replays them in order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// `setup` (the subject's creation, the scene's representation), `step` (a transition of the
    /// sequence) or `check` (the read that did not match the model).
    pub phase: String,
    /// What the step did.
    pub step: String,
    /// The target's answer, if the step was a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A curl command that replays it (credentials redacted), if the step was a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

/// Counts and rates of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Identities on the target.
    pub identities: usize,
    /// Records of the world seeded on the target.
    pub records_seeded: usize,
    /// Objects created over HTTP (tenants, identities, representations, records).
    pub objects_created: usize,
    /// Seconds spent provisioning and seeding (logins included).
    pub seed_seconds: f64,
    /// Objects per second while seeding.
    pub seed_rate: f64,
    /// Control reads (before and after the probes).
    pub controls: usize,
    /// Probes sent (controls included).
    pub probes: usize,
    /// Seconds spent probing.
    pub probe_seconds: f64,
    /// Probes per second in the concurrent probe phase (reads, lists, searches, exports...).
    pub probe_rate: f64,
    /// Probes that change data (each followed by read-backs).
    pub writes: usize,
    /// Reads the preflight sent before seeding (what each identity already saw).
    #[serde(default)]
    pub preflight_reads: usize,
    /// Seconds spent in each phase.
    pub phases: Vec<(String, f64)>,
}

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

/// The report's audit section: the platform's trail reconciled with what the run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditCoverage {
    /// Where the trail was read (`endpoint GET /path as operator`, `file PATH`, `logs of the application
    /// container`).
    pub source: String,
    /// Entries read (lines that are JSON objects).
    pub entries: usize,
    /// Lines that were not JSON objects (skipped).
    #[serde(default)]
    pub unreadable: usize,
    /// Per record kind, operation and answer: accesses that should be in the trail, and those it holds.
    pub shares: Vec<AuditShare>,
    /// The share of served accesses logged, in percent (100 when there were none).
    pub logged_percent: f64,
    /// The accesses the trail does not show as it should, with their request (the first 100).
    pub unlogged: Vec<AuditGap>,
    /// Special-category values found in the trail (the first 100).
    pub data_found: Vec<AuditData>,
    /// Why the trail was not read, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
}

/// Accesses of one record kind, operation and answer, and how many the trail holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditShare {
    /// Record kind.
    pub kind: String,
    /// `read`, `create`, `update` or `delete`.
    pub operation: String,
    /// Refused attempts (logged means a denied event), else served accesses.
    pub refused: bool,
    /// Accesses that should be in the trail.
    pub accesses: usize,
    /// Those it holds.
    pub logged: usize,
}

/// An access the trail does not show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditGap {
    /// Who sent it (identity key).
    pub actor: String,
    /// The record (its key).
    pub record: String,
    /// Record kind.
    pub kind: String,
    /// `read`, `create`, `update` or `delete`.
    pub operation: String,
    /// Whether it was refused (then a denied event is missing).
    pub refused: bool,
    /// The request (curl inside, credentials redacted).
    pub request: String,
}

/// A special-category value found in the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditData {
    /// The value's kind (`nir`, `document_file_name`...).
    pub field: String,
    /// The value.
    pub canary: String,
    /// The entry it was found in (1-based, in the order read).
    pub entry: usize,
}

/// Why a planned probe was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// The run's deadline passed.
    Deadline,
    /// The run was interrupted (a signal).
    Interrupted,
    /// The target failed too many times in a row: it is taken as gone.
    TargetGone,
    /// The probe does not apply to what was seeded or declared, or has no record left to change, and why.
    Skipped(Unsent),
}

impl NotSent {
    /// The kind of reason, as reports group them.
    pub fn kind(&self) -> UnsentKind {
        match self {
            NotSent::Deadline => UnsentKind::Deadline,
            NotSent::Interrupted => UnsentKind::Interrupted,
            NotSent::TargetGone => UnsentKind::TargetGone,
            NotSent::Skipped(unsent) => unsent.kind(),
        }
    }
}

impl std::fmt::Display for NotSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotSent::Skipped(unsent) => write!(f, "{unsent}"),
            other => f.write_str(other.kind().label()),
        }
    }
}

/// The probes of a family, or of a cell, not sent for one kind of reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnsentTally {
    /// Probes not sent.
    pub probes: usize,
    /// The cells they belong to.
    pub cells: BTreeSet<Cell>,
    /// The first reason, as a sentence.
    pub first: String,
}

/// What became of the planned probes of one cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellTally {
    /// Probes sent (judged, or failed on the target's side).
    pub sent: usize,
    /// Probes not sent, per kind of reason.
    pub not_sent: BTreeMap<UnsentKind, usize>,
}

/// Where one planned probe stands.
#[derive(Debug, Clone, Copy)]
pub enum ProbeState<'e> {
    /// It is part of the phase that starts.
    Planned,
    /// The run still sends: its requests go out now (it may still turn out not to apply).
    Sent,
    /// Sent and judged (passes included).
    Judged(&'e Judged),
    /// Not sent, and why.
    NotSent(&'e NotSent),
    /// It could not be judged: the target failed (a transport error, a session that cannot be renewed).
    Failed(&'e str),
}

/// What the engine reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Event<'e> {
    /// A phase starts (tenants, identities, logins, a record kind, writes, controls, probes...): its name
    /// and how many steps it plans.
    Phase {
        /// The phase's name, as the progress shows it.
        name: &'e str,
        /// Steps planned (objects, logins or probes).
        steps: usize,
    },
    /// One setup step of the phase in progress is done (an object created, an identity logged in).
    Step,
    /// The phase in progress ended.
    PhaseEnd,
    /// A probe of the phase in progress.
    Probe {
        /// Its place in the phase (the order its results are recorded in, whatever order they come in).
        index: usize,
        /// The probe.
        probe: &'e Probe,
        /// Where it stands.
        state: ProbeState<'e>,
    },
    /// Foreign data in an answer to an allowed setup request (seeding): a finding with no planned probe.
    SetupLeak(&'e Judged),
    /// The first failing check of a stateful sequence.
    StatefulFailure(&'e Judged),
    /// A failing cell's minimal reproducer (shrunk against the target).
    Reproducer(&'e Judged),
    /// The stateful suite ended: what it covered, and the endpoint its checks read with.
    StatefulCovered {
        /// What it covered.
        coverage: &'e StatefulCoverage,
        /// The endpoint key of the subject's read, when it has one.
        read: Option<&'e str>,
    },
    /// The audit trail was reconciled (or could not be read): its section and its findings.
    Audited {
        /// The report's audit section.
        coverage: &'e AuditCoverage,
        /// Findings: accesses not logged, refusals not logged, special-category data in the trail.
        findings: &'e [Judged],
    },
    /// The run ended: its counts.
    Finished {
        /// Counts and rates.
        stats: &'e Stats,
        /// Sessions renewed during the run.
        relogins: usize,
        /// Responses whose decoding stopped at cloison's limits.
        decode_limited: usize,
        /// Why the target was taken as gone, if it was.
        gave_up: Option<cloison_suites::outcome::GiveUp>,
    },
}

/// A consumer of events (the report builder's collector, the terminal progress, a live reporter). Events
/// of one probe may arrive from concurrent probes in any order; [`Event::Probe`] carries the probe's index
/// in its phase.
pub trait Sink: Sync {
    /// Take one event.
    fn event(&self, event: &Event<'_>);
}

/// Several sinks, each given every event in order.
pub struct Fanout<'s>(pub Vec<&'s dyn Sink>);

impl Sink for Fanout<'_> {
    fn event(&self, event: &Event<'_>) {
        for sink in &self.0 {
            sink.event(event);
        }
    }
}

/// What the engine observed, as the collector accumulated it from the events.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every judged probe whose verdict is not a plain pass, in execution order.
    pub events: Vec<Judged>,
    /// Probes executed per family (passes included).
    pub executed: BTreeMap<String, usize>,
    /// Probes per endpoint key.
    pub endpoints: BTreeMap<String, usize>,
    /// Every (family, endpoint key) pair a probe was executed for.
    pub tried: BTreeSet<(String, String)>,
    /// Probes that could not be applied, per family: how many, and the first reason.
    pub not_applicable: BTreeMap<String, (usize, String)>,
    /// Probes not sent, per family and kind of reason (the run's stops included).
    pub not_sent: BTreeMap<String, BTreeMap<UnsentKind, UnsentTally>>,
    /// Per cell, its probes sent and not sent.
    pub cells: BTreeMap<Cell, CellTally>,
    /// Target failures (transport errors, seeds).
    pub failures: Vec<String>,
    /// Sessions that had to be renewed during the run.
    pub relogins: usize,
    /// Responses whose decoding stopped at cloison's limits: scanned up to there only.
    pub decode_limited: usize,
    /// Per failing cell that could be shrunk, the minimal probe, judged again.
    pub reproducers: Vec<Judged>,
    /// Counts and rates.
    pub stats: Stats,
    /// Probes not sent because the run's deadline passed.
    pub past_deadline: usize,
    /// Probes not sent because the run was interrupted.
    pub interrupted: usize,
    /// Probes not sent because the target failed too many times in a row.
    pub abandoned: usize,
    /// Why the target was taken as gone, if it was.
    pub gave_up: Option<cloison_suites::outcome::GiveUp>,
    /// What the stateful suite covered.
    pub stateful: StatefulCoverage,
    /// What the preflight found on a target that was not clean, when `--allow-dirty` let the run go on.
    pub leftovers: Option<String>,
    /// The audit trail reconciled, when the profile says how to read it.
    pub audit: Option<AuditCoverage>,
}

impl Outcome {
    /// Count a probe of `cell` not sent for `reason`, in its cell and in its family.
    fn not_sent(&mut self, cell: &Cell, reason: &NotSent) {
        let kind = reason.kind();
        *self
            .cells
            .entry(cell.clone())
            .or_default()
            .not_sent
            .entry(kind)
            .or_default() += 1;
        let tally = self
            .not_sent
            .entry(cell.family.name().to_string())
            .or_default()
            .entry(kind)
            .or_default();
        if tally.probes == 0 {
            tally.first = reason.to_string();
        }
        tally.probes += 1;
        tally.cells.insert(cell.clone());
    }
}

/// What one probe of the phase in progress came to, kept until the phase ends.
enum Settled {
    /// Judged: its family and endpoint, and the judged probe when it is not a plain pass.
    Judged {
        cell: Cell,
        endpoint: String,
        kept: Option<Box<Judged>>,
    },
    /// Not sent.
    NotSent { cell: Cell, reason: NotSent },
    /// The target failed.
    Failed { cell: Cell, failure: String },
}

/// The report builder's sink: accumulates the [`Outcome`]. Probes are recorded in their phase's order when
/// the phase ends, whatever order their events came in.
#[derive(Default)]
pub struct Collector {
    state: Mutex<Collecting>,
}

#[derive(Default)]
struct Collecting {
    outcome: Outcome,
    pending: Vec<(usize, Settled)>,
}

impl Collector {
    /// The outcome accumulated so far.
    pub fn into_outcome(self) -> Outcome {
        self.state
            .into_inner()
            .map(|state| state.outcome)
            .unwrap_or_default()
    }

    /// Look at the non-pass judged probes recorded so far (in execution order).
    pub fn with_findings<T>(&self, f: impl FnOnce(&[Judged]) -> T) -> T {
        match self.state.lock() {
            Ok(state) => f(&state.outcome.events),
            Err(_) => f(&[]),
        }
    }
}

impl Collecting {
    fn settle(&mut self, probe: &Probe, state: ProbeState<'_>) -> Option<Settled> {
        Some(match state {
            ProbeState::Planned | ProbeState::Sent => return None,
            ProbeState::Judged(judged) => Settled::Judged {
                cell: probe.cell.clone(),
                endpoint: probe.endpoint.clone(),
                kept: (judged.verdict != Verdict::Pass).then(|| Box::new(judged.clone())),
            },
            ProbeState::NotSent(reason) => Settled::NotSent {
                cell: probe.cell.clone(),
                reason: reason.clone(),
            },
            ProbeState::Failed(failure) => Settled::Failed {
                cell: probe.cell.clone(),
                failure: failure.to_string(),
            },
        })
    }

    /// Record the phase's probes in their order.
    fn flush(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|(index, _)| *index);
        for (_, settled) in pending {
            self.record(settled);
        }
    }

    fn record(&mut self, settled: Settled) {
        let outcome = &mut self.outcome;
        match settled {
            Settled::Judged {
                cell,
                endpoint,
                kept,
            } => {
                let family = cell.family;
                outcome.cells.entry(cell).or_default().sent += 1;
                *outcome
                    .executed
                    .entry(family.name().to_string())
                    .or_default() += 1;
                *outcome.endpoints.entry(endpoint.clone()).or_default() += 1;
                outcome.tried.insert((family.name().to_string(), endpoint));
                outcome.events.extend(kept.map(|judged| *judged));
            }
            Settled::NotSent { reason, cell } => {
                outcome.not_sent(&cell, &reason);
                match reason {
                    NotSent::Deadline => outcome.past_deadline += 1,
                    NotSent::Interrupted => outcome.interrupted += 1,
                    NotSent::TargetGone => outcome.abandoned += 1,
                    NotSent::Skipped(reason) => {
                        let entry = outcome
                            .not_applicable
                            .entry(cell.family.name().to_string())
                            .or_insert_with(|| (0, reason.to_string()));
                        entry.0 += 1;
                    }
                }
            }
            Settled::Failed { cell, failure } => {
                outcome.cells.entry(cell).or_default().sent += 1;
                outcome.failures.push(failure);
            }
        }
    }

    /// The audit trail's section: its findings, its checks as the family's executed count, and why it was
    /// not read.
    fn audited(&mut self, coverage: &AuditCoverage, findings: &[Judged]) {
        let outcome = &mut self.outcome;
        let family = Family::AuditTrail.name().to_string();
        let checked: usize = coverage.shares.iter().map(|s| s.accesses).sum();
        if coverage.not_run.is_none() {
            *outcome.executed.entry(family.clone()).or_default() += checked.max(1);
        }
        if let Some(why) = &coverage.not_run {
            outcome.not_applicable.insert(family, (1, why.clone()));
        }
        outcome.events.extend(findings.iter().cloned());
        outcome.audit = Some(coverage.clone());
    }

    /// The stateful suite's coverage: its transitions' endpoints, its checks, and why it did not run.
    fn stateful(&mut self, coverage: &StatefulCoverage, read: Option<&str>) {
        let outcome = &mut self.outcome;
        let family = Family::Stateful.name().to_string();
        for key in &coverage.endpoints {
            *outcome.endpoints.entry(key.clone()).or_default() += 1;
            outcome.tried.insert((family.clone(), key.clone()));
        }
        *outcome.executed.entry(family.clone()).or_default() += coverage.checks;
        if let Some(read) = read
            && coverage.checks > 0
        {
            *outcome.endpoints.entry(read.to_string()).or_default() += coverage.checks;
            outcome.tried.insert((family.clone(), read.to_string()));
        }
        if let Some(why) = &coverage.not_run {
            outcome.not_applicable.insert(family, (1, why.clone()));
        }
        outcome.stateful = coverage.clone();
    }
}

impl Sink for Collector {
    fn event(&self, event: &Event<'_>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        match *event {
            Event::Phase { .. } | Event::Step => {}
            Event::PhaseEnd => state.flush(),
            Event::Probe {
                index,
                probe,
                state: probe_state,
            } => {
                if let Some(settled) = state.settle(probe, probe_state) {
                    state.pending.push((index, settled));
                }
            }
            Event::SetupLeak(judged) | Event::StatefulFailure(judged) => {
                state.outcome.events.push(judged.clone());
            }
            Event::Reproducer(judged) => state.outcome.reproducers.push(judged.clone()),
            Event::Audited { coverage, findings } => state.audited(coverage, findings),
            Event::StatefulCovered { coverage, read } => state.stateful(coverage, read),
            Event::Finished {
                stats,
                relogins,
                decode_limited,
                gave_up,
            } => {
                state.outcome.gave_up = gave_up;
                state.outcome.stats = stats.clone();
                state.outcome.relogins = relogins;
                state.outcome.decode_limited = decode_limited;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloison_suites::{Cell, Expect, RecordKind, Relation, Variant};

    fn probe(family: Family, endpoint: &str) -> Probe {
        Probe {
            family,
            actor: Some("a".into()),
            endpoint: endpoint.into(),
            record: None,
            variant: Variant::Plain,
            expect: Expect::Refusal,
            cell: Cell {
                family,
                endpoint: endpoint.into(),
                role: "applicant".into(),
                relation: Relation::SameTenant,
                kind: RecordKind::Case,
                via: None,
            },
        }
    }

    fn judged(probe: &Probe, verdict: Verdict, sequence: usize) -> Judged {
        Judged {
            probe: probe.clone(),
            verdict,
            exchange: None,
            at: 0.0,
            sequence,
            explanation: String::new(),
            steps: Vec::new(),
        }
    }

    #[test]
    fn the_collector_records_a_phase_in_its_order_and_counts_passes_and_reasons() {
        let collector = Collector::default();
        let read = probe(Family::DirectRead, "resources.case.read");
        let list = probe(Family::DirectRead, "resources.case.list");
        let (pass, leak) = (
            judged(&read, Verdict::Pass, 1),
            judged(&list, Verdict::Suspicious("200".into()), 2),
        );
        let na = NotSent::Skipped(Unsent::NotSeeded {
            record: "case-1".into(),
        });
        collector.event(&Event::Phase {
            name: "probes",
            steps: 4,
        });
        // Results come in any order; they are recorded in the phase's.
        for (index, p, state) in [
            (3, &read, ProbeState::NotSent(&NotSent::Deadline)),
            (1, &list, ProbeState::Judged(&leak)),
            (2, &read, ProbeState::NotSent(&na)),
            (0, &read, ProbeState::Judged(&pass)),
            (4, &read, ProbeState::Failed("the target stopped answering")),
        ] {
            collector.event(&Event::Probe {
                index,
                probe: p,
                state: ProbeState::Planned,
            });
            collector.event(&Event::Probe {
                index,
                probe: p,
                state,
            });
        }
        collector.with_findings(|f| assert!(f.is_empty(), "nothing before the phase ends"));
        collector.event(&Event::PhaseEnd);
        let outcome = collector.into_outcome();
        assert_eq!(outcome.executed.get(Family::DirectRead.name()), Some(&2));
        assert_eq!(outcome.endpoints.len(), 2);
        assert_eq!(outcome.events.len(), 1, "passes are counted, not kept");
        assert_eq!(outcome.events[0].sequence, 2);
        assert_eq!(outcome.past_deadline, 1);
        assert_eq!(
            outcome.not_applicable.get(Family::DirectRead.name()),
            Some(&(1, "case-1 was not seeded".to_string()))
        );
        assert_eq!(outcome.failures, vec!["the target stopped answering"]);
        // Per cell: sent (judged or failed) and not sent, by kind of reason; per family, with the first.
        let cell = outcome.cells.get(&read.cell).expect("the read's cell");
        assert_eq!(cell.sent, 2, "the pass and the failure");
        assert_eq!(
            cell.not_sent,
            BTreeMap::from([(UnsentKind::NotSeeded, 1), (UnsentKind::Deadline, 1)])
        );
        let family = &outcome.not_sent[Family::DirectRead.name()];
        assert_eq!(
            family[&UnsentKind::NotSeeded].first,
            "case-1 was not seeded"
        );
        assert_eq!(family[&UnsentKind::Deadline].first, "the deadline passed");
        assert_eq!(family[&UnsentKind::Deadline].cells.len(), 1);
    }
}
