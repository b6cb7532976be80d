//! How a run ends, decided from what it observed: typed reasons and one pure classification.
//!
//! The harness gathers [`RunFacts`] (root causes found, target failures, what each family ran, what stopped
//! the run early) and [`classify`] decides the [`Outcome`] with its reasons, in one place, in this order:
//! an interrupted run is [`Outcome::Interrupted`]; else any finding that fails the run makes
//! [`Outcome::Findings`]; else any target failure makes [`Outcome::TargetFailure`]; else any reason makes
//! [`Outcome::Inconclusive`]; else the run is [`Outcome::Clean`]. [`classify_merge`] does the same for the
//! shards of one run.
//!
//! Findings come in two [`Tier`]s: proven (foreign data received, a change read back) and status-only
//! (a success where a refusal was expected, nothing proven). Which tiers fail the run is [`FailOn`]
//! (`--fail-on`): by default only proven findings; status-only ones are then warnings, counted in
//! [`Classification::warnings`], and the outcome is what it would be without them.
//!
//! Reasons render (through `Display`, and in the JSON report through serde) to the sentences reports have
//! always carried; read back from a report, a reason is the text it was ([`Inconclusive::Recorded`],
//! [`Failure::Recorded`]): merging shards wraps it with its shard, it never parses it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod give_up;

use crate::unsent::UnsentKind;
pub use give_up::{GIVE_UP_AFTER, GiveUp, SILENT_FOR, give_up};

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every applicable family ran, every probe was refused or showed nothing foreign, every control
    /// passed.
    Clean,
    /// At least one finding.
    Findings,
    /// Nothing was found, but the run does not cover enough to say clean (see `reasons`).
    Inconclusive,
    /// The target failed: the run proves nothing about what was not probed.
    TargetFailure,
    /// Interrupted by a signal: the report is partial.
    Interrupted,
}

/// How strong a finding's evidence is, as far as failing a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Foreign data reached the caller, or a change was read back: a proven finding.
    Proven,
    /// A success where a refusal was expected, and nothing proven: status-only, a warning by default.
    Suspicious,
}

impl Tier {
    /// Its name (`proven`, `suspicious`).
    pub fn name(self) -> &'static str {
        match self {
            Tier::Proven => "proven",
            Tier::Suspicious => "suspicious",
        }
    }
}

/// Which findings fail a run (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Proven findings only (the default): status-only findings are warnings.
    #[default]
    Proven,
    /// Every finding, status-only ones too.
    Suspicious,
}

impl FailOn {
    /// Whether a finding of this tier fails the run.
    pub fn fails(self, tier: Tier) -> bool {
        match self {
            FailOn::Proven => tier == Tier::Proven,
            FailOn::Suspicious => true,
        }
    }

    /// Its name on the command line (`proven`, `suspicious`).
    pub fn name(self) -> &'static str {
        match self {
            FailOn::Proven => "proven",
            FailOn::Suspicious => "suspicious",
        }
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "proven" => Ok(FailOn::Proven),
            "suspicious" => Ok(FailOn::Suspicious),
            other => Err(format!(
                "`{other}` is not a tier: expected `proven` (the default) or `suspicious`"
            )),
        }
    }
}

impl std::fmt::Display for FailOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How many findings of each tier (findings: root causes grouped by missing check).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Proven findings.
    pub proven: usize,
    /// Status-only findings.
    pub suspicious: usize,
}

impl Tally {
    /// The findings that fail the run under `fail_on`, and those that are only warnings.
    pub fn split(self, fail_on: FailOn) -> (usize, usize) {
        if fail_on.fails(Tier::Suspicious) {
            (self.proven + self.suspicious, 0)
        } else {
            (self.proven, self.suspicious)
        }
    }
}

/// Why a family did not run (a report's `coverage.families[].skipped`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The target lacks what the family needs (the planner's `not applicable: ...`, or a shard's).
    NotApplicable(String),
    /// The family applies, but the planner could plan no probe from this world and policy.
    Unplanned(String),
    /// The family was planned, but every planned probe was inapplicable to this target (the first reason,
    /// when one was given).
    Inapplicable(Option<String>),
    /// The stateful suite runs in the first shard only.
    OtherShard,
    /// The forged-credential family: no identity's session credential is a JSON Web Token (known once
    /// identities log in), so there are no claims to forge without the platform's secret.
    CredentialsNotJwt,
}

impl Skip {
    /// The planner's reason for a family it skipped. The planner states a family that does not apply
    /// with `not applicable: ` followed by what the target lacks; any other reason is a family that
    /// applies but got no probe.
    pub fn planned(why: &str) -> Skip {
        if why.starts_with("not applicable") {
            Skip::NotApplicable(why.to_string())
        } else {
            Skip::Unplanned(why.to_string())
        }
    }

    /// Whether the family applies to the target all the same (then running no probe is inconclusive).
    pub fn applies(&self) -> bool {
        !matches!(
            self,
            Skip::NotApplicable(_) | Skip::OtherShard | Skip::CredentialsNotJwt
        )
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NotApplicable(why) | Skip::Unplanned(why) => f.write_str(why),
            Skip::Inapplicable(why) => write!(
                f,
                "every planned probe was inapplicable to this target: {}",
                why.as_deref().unwrap_or("no probe was executed")
            ),
            Skip::OtherShard => {
                f.write_str("not applicable in this shard: the stateful suite runs in shard 1 only")
            }
            Skip::CredentialsNotJwt => f.write_str(
                "not applicable: the identities' session credentials are not JSON Web Tokens (opaque tokens or cookies cannot be forged without the platform's secret)",
            ),
        }
    }
}

/// Why a run stopped sending probes before the end of its plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The run's deadline passed (`--deadline`, in seconds).
    Deadline {
        /// The deadline, in seconds.
        seconds: u64,
        /// Probes not sent.
        unsent: usize,
    },
    /// The target stopped answering: cloison gave up (see [`give_up`]).
    GaveUp {
        /// Why: the probes in a row without an answer, and how long nothing answered.
        why: GiveUp,
        /// Probes not sent.
        unsent: usize,
    },
    /// A signal (SIGINT, SIGTERM) stopped the probes.
    Interrupted {
        /// Probes not sent.
        unsent: usize,
    },
    /// A signal arrived while the target was being deployed: nothing was probed.
    InterruptedDeploying {
        /// The target, as given.
        target: String,
    },
    /// A signal arrived while the target was being set up (provisioned, logged into, seeded): nothing was
    /// probed.
    InterruptedSettingUp,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Deadline { seconds, unsent } => write!(
                f,
                "the deadline of {seconds} s passed: {unsent} probe(s) were not sent (--deadline)"
            ),
            StopReason::GaveUp { why, unsent } => write!(
                f,
                "{why}: cloison gave up, {unsent} probe(s) were not sent"
            ),
            StopReason::Interrupted { unsent } => write!(
                f,
                "interrupted by a signal: {unsent} probe(s) were not sent; this report is partial"
            ),
            StopReason::InterruptedDeploying { target } => write!(
                f,
                "interrupted by a signal while deploying {target}: what was started is removed; nothing was probed"
            ),
            StopReason::InterruptedSettingUp => f.write_str(
                "interrupted by a signal while setting the target up: nothing was probed; this report is partial",
            ),
        }
    }
}

/// Why a run that found nothing cannot say clean (a report's `reasons`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inconclusive {
    /// The stateful suite's read that the model allows was refused (once per cell).
    StatefulRefusal {
        /// The judged read's explanation.
        explanation: String,
    },
    /// Probes answered as unauthenticated even after a new login.
    Unauthenticated {
        /// Which, per endpoint and caller role, in report order.
        probes: Vec<SignedOutProbes>,
    },
    /// The stateful suite stopped before its last sequence.
    StatefulStopped {
        /// Why (as the engine says it).
        why: String,
    },
    /// The target refused every transition of a kind: it was never exercised.
    TransitionRefused {
        /// The transition kind.
        kind: String,
        /// How many were refused.
        count: usize,
        /// The first answer.
        status: String,
    },
    /// A family that applies ran no probe.
    FamilyRanNoProbe {
        /// The family.
        family: String,
        /// Why, when the plan says.
        skip: Option<Skip>,
    },
    /// More than half of a family's probes got server errors.
    FamilyServerErrors {
        /// The family.
        family: String,
        /// Probes that got a server error.
        errors: usize,
        /// Probes of the family.
        probes: usize,
    },
    /// Planned probes of a family that applies were not sent, for a reason that leaves the cells they
    /// belong to without a verdict.
    NotSent {
        /// The family.
        family: String,
        /// What they have in common.
        unsent: UnsentFacts,
    },
    /// No control could be planned.
    NoControl,
    /// The run stopped sending probes early (the deadline, a signal).
    Stopped(StopReason),
    /// Merged shards: a family that applies ran no probe in any shard.
    FamilyRanInNoShard {
        /// The family.
        family: String,
    },
    /// Merged shards: a reason of one shard.
    InShard {
        /// The shard (`K/N`).
        shard: String,
        /// Its reason.
        reason: Box<Inconclusive>,
    },
    /// A reason read back from a report, as it was written.
    Recorded(String),
}

impl std::fmt::Display for Inconclusive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Inconclusive::StatefulRefusal { explanation } => write!(
                f,
                "stateful: the target refused a read the model allows: {explanation}"
            ),
            Inconclusive::Unauthenticated { probes } => signed_out_sentence(f, probes),
            Inconclusive::StatefulStopped { why } => {
                write!(f, "the stateful suite stopped early: {why}")
            }
            Inconclusive::TransitionRefused {
                kind,
                count,
                status,
            } => write!(
                f,
                "stateful: the target refused every {kind} ({count}, first answer {status}): the transition was never exercised"
            ),
            Inconclusive::FamilyRanNoProbe { family, skip } => {
                write!(f, "family {family} applies but ran no probe: ")?;
                match skip {
                    Some(skip) => write!(f, "{skip}"),
                    None => f.write_str("no probe was executed"),
                }
            }
            Inconclusive::FamilyServerErrors {
                family,
                errors,
                probes,
            } => write!(
                f,
                "family {family}: {errors} of {probes} probes got server errors"
            ),
            Inconclusive::NotSent { family, unsent } => write!(
                f,
                "family {family}: {} planned probe(s) in {} cell(s) were not sent: {} (first: {})",
                unsent.probes,
                unsent.cells,
                unsent.kind.label(),
                unsent.first
            ),
            Inconclusive::NoControl => f.write_str(
                "no control could be planned: nothing shows the target serves its data at all",
            ),
            Inconclusive::Stopped(stop) => write!(f, "{stop}"),
            Inconclusive::FamilyRanInNoShard { family } => {
                write!(f, "family {family} applies but ran no probe in any shard")
            }
            Inconclusive::InShard { shard, reason } => write!(f, "shard {shard}: {reason}"),
            Inconclusive::Recorded(text) => f.write_str(text),
        }
    }
}

/// Why the target failed (a report's `failures`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The target failed while being set up, seeded or probed (transport errors, refused seeds), as the
    /// engine says it.
    Target(String),
    /// A control (an identity reading its own data) failed.
    Control {
        /// Who read (`None`: anonymous).
        actor: Option<String>,
        /// Its role.
        role: String,
        /// The endpoint key.
        endpoint: String,
        /// Why the control failed.
        reason: String,
        /// The curl reproducer, when a request was sent.
        curl: Option<String>,
    },
    /// The target could not be deployed.
    Deploy {
        /// The target, as given.
        target: String,
        /// Why.
        message: String,
    },
    /// Setting up did not finish within the run's deadline.
    SetupDeadline {
        /// The deadline, in seconds.
        seconds: u64,
    },
    /// The run stopped sending probes because the target kept failing.
    Stopped(StopReason),
    /// Merged shards: a failure of one shard.
    InShard {
        /// The shard (`K/N`).
        shard: String,
        /// Its failure.
        failure: Box<Failure>,
    },
    /// A failure read back from a report, as it was written.
    Recorded(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Target(message) | Failure::Recorded(message) => f.write_str(message),
            Failure::Control {
                actor,
                role,
                endpoint,
                reason,
                curl,
            } => {
                let actor = actor.as_deref().unwrap_or("anonymous");
                write!(f, "control: {actor} ({role}) on {endpoint}: {reason}")?;
                match curl {
                    Some(curl) => write!(f, " ({curl})"),
                    None => Ok(()),
                }
            }
            Failure::Deploy { target, message } => {
                write!(f, "could not deploy --target {target}: {message}")
            }
            Failure::SetupDeadline { seconds } => write!(
                f,
                "the run did not finish setting up within its deadline of {seconds} s (--deadline)"
            ),
            Failure::Stopped(stop) => write!(f, "{stop}"),
            Failure::InShard { shard, failure } => write!(f, "shard {shard}: {failure}"),
        }
    }
}

/// Reasons are written as their sentence, and read back as [`Inconclusive::Recorded`].
impl Serialize for Inconclusive {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Inconclusive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Inconclusive::Recorded)
    }
}

/// Failures are written as their sentence, and read back as [`Failure::Recorded`].
impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Failure {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Failure::Recorded)
    }
}

/// What one family did in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyFacts {
    /// The family's name.
    pub family: String,
    /// Probes planned.
    pub planned: usize,
    /// Probes executed.
    pub probes: usize,
    /// Why it did not run, if it did not.
    pub skipped: Option<Skip>,
    /// Probes that got a server error.
    pub server_errors: usize,
    /// Probes not sent, per reason, in the order of their kinds.
    pub unsent: Vec<UnsentFacts>,
}

/// The probes of a family not sent for one kind of reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsentFacts {
    /// The kind of reason.
    pub kind: UnsentKind,
    /// Probes not sent for it.
    pub probes: usize,
    /// Cells those probes belong to.
    pub cells: usize,
    /// The first reason given, as a sentence.
    pub first: String,
}

/// The probes of one endpoint, sent as identities of one role, answered as unauthenticated even after a
/// new login (or from a session nothing shows alive where a `401` would have counted as a refusal).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignedOutProbes {
    /// The endpoint (its key in the profile).
    pub endpoint: String,
    /// The caller's role (`anonymous` for a request with no identity).
    pub role: String,
    /// How many probes.
    pub probes: usize,
}

/// At most this many endpoint and role pairs are named in the sentence (all are counted).
const SIGNED_OUT_NAMED: usize = 8;

/// "N probe(s) were answered as unauthenticated ... (ENDPOINT as ROLE: n, ...)", with what to declare
/// when a 401 means "not yours" there.
fn signed_out_sentence(
    f: &mut std::fmt::Formatter<'_>,
    probes: &[SignedOutProbes],
) -> std::fmt::Result {
    let total: usize = probes.iter().map(|p| p.probes).sum();
    write!(
        f,
        "{total} probe(s) were answered as unauthenticated even after a new login: their refusals prove nothing ("
    )?;
    for (i, p) in probes.iter().take(SIGNED_OUT_NAMED).enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(f, "{sep}{} as {}: {}", p.endpoint, p.role, p.probes)?;
    }
    if probes.len() > SIGNED_OUT_NAMED {
        write!(f, ", and {} more", probes.len() - SIGNED_OUT_NAMED)?;
    }
    f.write_str(
        "); if the platform answers 401 for records that are not the caller's, list 401 among those endpoints' refusal statuses",
    )
}

/// What a run observed, as far as its outcome goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFacts {
    /// Findings (root causes grouped by missing check) of every tier. Read with `tiers`: the status-only
    /// ones among them are counted there.
    pub root_causes: usize,
    /// Of `root_causes`, how many are status-only ([`Tier::Suspicious`]); the rest are proven.
    pub suspicious: usize,
    /// Which tiers fail the run.
    pub fail_on: FailOn,
    /// Target failures, in the order they happened (the engine's, then the failed controls).
    pub failures: Vec<Failure>,
    /// The stateful suite's refusals of reads its model allows, once per cell, in order.
    pub stateful_refusals: Vec<String>,
    /// Probes answered as unauthenticated even after a new login, per endpoint and caller role.
    pub unauthenticated: Vec<SignedOutProbes>,
    /// Why the stateful suite stopped early, if it did.
    pub stateful_stopped: Option<String>,
    /// Transitions the target refused every time (kind, refusals, first answer), in order.
    pub transitions_refused: Vec<(String, usize, String)>,
    /// Per family, in report order.
    pub families: Vec<FamilyFacts>,
    /// Controls run.
    pub controls_run: usize,
    /// What stopped the probes early, in order (deadline, giving up, signal).
    pub stops: Vec<StopReason>,
}

/// The outcome of a run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The outcome.
    pub outcome: Outcome,
    /// Why it is not clean, or what limits it (a report's `reasons`).
    pub reasons: Vec<Inconclusive>,
    /// Target failures (a report's `failures`).
    pub failures: Vec<Failure>,
    /// Findings that do not fail the run (status-only, under `--fail-on proven`): reported as warnings.
    pub warnings: usize,
}

/// The outcome of a run from its facts (see the module's documentation for the order of precedence).
pub fn classify(facts: &RunFacts) -> Classification {
    let mut reasons: Vec<Inconclusive> = facts
        .stateful_refusals
        .iter()
        .map(|explanation| Inconclusive::StatefulRefusal {
            explanation: explanation.clone(),
        })
        .collect();
    let mut failures = facts.failures.clone();
    if !facts.unauthenticated.is_empty() {
        reasons.push(Inconclusive::Unauthenticated {
            probes: facts.unauthenticated.clone(),
        });
    }
    if let Some(why) = &facts.stateful_stopped {
        reasons.push(Inconclusive::StatefulStopped { why: why.clone() });
    }
    reasons.extend(
        facts
            .transitions_refused
            .iter()
            .map(|(kind, count, status)| Inconclusive::TransitionRefused {
                kind: kind.clone(),
                count: *count,
                status: status.clone(),
            }),
    );
    for family in &facts.families {
        reasons.extend(family_reasons(family));
    }
    if facts.controls_run == 0 {
        reasons.push(Inconclusive::NoControl);
    }
    let mut interrupted = false;
    for stop in &facts.stops {
        match stop {
            StopReason::GaveUp { .. } => failures.push(Failure::Stopped(stop.clone())),
            StopReason::Deadline { .. } => reasons.push(Inconclusive::Stopped(stop.clone())),
            StopReason::Interrupted { .. }
            | StopReason::InterruptedDeploying { .. }
            | StopReason::InterruptedSettingUp => {
                interrupted = true;
                reasons.push(Inconclusive::Stopped(stop.clone()));
            }
        }
    }
    let (failing, warnings) = tally(facts.root_causes, facts.suspicious).split(facts.fail_on);
    let outcome = if interrupted {
        Outcome::Interrupted
    } else {
        ranked(failing > 0, !failures.is_empty(), !reasons.is_empty())
    };
    Classification {
        outcome,
        reasons,
        failures,
        warnings,
    }
}

/// Findings of every tier, `suspicious` of them status-only.
fn tally(findings: usize, suspicious: usize) -> Tally {
    Tally {
        proven: findings.saturating_sub(suspicious),
        suspicious: suspicious.min(findings),
    }
}

/// The outcome of a setup that failed before any probe: a target failure, or an interruption.
pub fn classify_setup(stopped: Result<Failure, StopReason>) -> Classification {
    match stopped {
        Ok(failure) => Classification {
            outcome: Outcome::TargetFailure,
            reasons: Vec::new(),
            failures: vec![failure],
            warnings: 0,
        },
        Err(stop) => Classification {
            outcome: Outcome::Interrupted,
            reasons: vec![Inconclusive::Stopped(stop)],
            failures: Vec::new(),
            warnings: 0,
        },
    }
}

/// Findings first, then target failures, then reasons.
fn ranked(findings: bool, failed: bool, reasons: bool) -> Outcome {
    if findings {
        Outcome::Findings
    } else if failed {
        Outcome::TargetFailure
    } else if reasons {
        Outcome::Inconclusive
    } else {
        Outcome::Clean
    }
}

/// A family that applies but ran no probe, or whose probes got server errors more than half the time.
fn family_reasons(family: &FamilyFacts) -> Vec<Inconclusive> {
    let mut reasons = Vec::new();
    // A family known not to apply only once the run went on (credentials that are not JWTs) had planned
    // probes all the same: its skip decides.
    let applies = family
        .skipped
        .as_ref()
        .map_or(family.planned > 0, Skip::applies);
    if applies && family.probes == 0 {
        reasons.push(Inconclusive::FamilyRanNoProbe {
            family: family.family.clone(),
            skip: family.skipped.clone(),
        });
    }
    // Probes of a family that ran, not sent for a reason that leaves their cells without a verdict (a family
    // that ran nothing says so above, with the first reason).
    if family.probes > 0 {
        reasons.extend(
            family
                .unsent
                .iter()
                .filter(|u| u.kind.blocks_clean())
                .map(|unsent| Inconclusive::NotSent {
                    family: family.family.clone(),
                    unsent: unsent.clone(),
                }),
        );
    }
    if family.probes > 0 && family.server_errors * 2 > family.probes {
        reasons.push(Inconclusive::FamilyServerErrors {
            family: family.family.clone(),
            errors: family.server_errors,
            probes: family.probes,
        });
    }
    reasons
}

/// One shard's verdict, as its report says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardVerdict {
    /// The shard (`K/N`), if the report names one.
    pub shard: Option<String>,
    /// Its outcome.
    pub outcome: Outcome,
    /// Its reasons.
    pub reasons: Vec<Inconclusive>,
    /// Its failures.
    pub failures: Vec<Failure>,
}

/// What the shards of one run say together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeFacts {
    /// Findings of the merged report, of every tier.
    pub root_causes: usize,
    /// Of `root_causes`, how many are status-only.
    pub suspicious: usize,
    /// Which tiers fail the merged run.
    pub fail_on: FailOn,
    /// Each shard's verdict, in the order given.
    pub shards: Vec<ShardVerdict>,
    /// Families planned somewhere that ran no probe in any shard.
    pub unrun_families: Vec<String>,
}

/// The outcome of merged shards: findings if any finding fails the merged run (see [`FailOn`]); clean only
/// if every shard is clean (a shard whose only fault is its findings counts as clean: they are judged
/// here, merged) and nothing new is wrong; otherwise a target failure if any shard failed, else
/// inconclusive. Each shard's reasons and failures are kept, tagged with their shard.
pub fn classify_merge(facts: &MergeFacts) -> Classification {
    let mut reasons = Vec::new();
    let mut failures = Vec::new();
    for shard in &facts.shards {
        for reason in &shard.reasons {
            reasons.push(match &shard.shard {
                Some(s) => Inconclusive::InShard {
                    shard: s.clone(),
                    reason: Box::new(reason.clone()),
                },
                None => reason.clone(),
            });
        }
        for failure in &shard.failures {
            failures.push(match &shard.shard {
                Some(s) => Failure::InShard {
                    shard: s.clone(),
                    failure: Box::new(failure.clone()),
                },
                None => failure.clone(),
            });
        }
    }
    reasons.extend(
        facts
            .unrun_families
            .iter()
            .map(|family| Inconclusive::FamilyRanInNoShard {
                family: family.clone(),
            }),
    );
    // A shard that reported findings is otherwise as clean as its reasons and failures say.
    let all_clean = facts.shards.iter().all(|s| match s.outcome {
        Outcome::Clean => true,
        Outcome::Findings => s.reasons.is_empty() && s.failures.is_empty(),
        _ => false,
    });
    let any_failed = facts
        .shards
        .iter()
        .any(|s| s.outcome == Outcome::TargetFailure);
    let (failing, warnings) = tally(facts.root_causes, facts.suspicious).split(facts.fail_on);
    let outcome = if failing > 0 {
        Outcome::Findings
    } else if all_clean && reasons.is_empty() {
        Outcome::Clean
    } else if any_failed || !failures.is_empty() {
        Outcome::TargetFailure
    } else {
        Outcome::Inconclusive
    };
    Classification {
        outcome,
        reasons,
        failures,
        warnings,
    }
}

#[cfg(test)]
mod tests;
