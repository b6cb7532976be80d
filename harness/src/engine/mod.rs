//! The engine of a run, as phases that hand each other immutable results:
//!
//! 1. [`setup`]: the target is healthy, `[[reset]]`, then tenants, identities and representations are
//!    provisioned: a [`Provisioned`](setup::Provisioned) (the platform's ids, rewritten tenant codes,
//!    credentials, tokens);
//! 2. [`login`]: every identity logs in: the [`Sessions`](login::Sessions); then [`preflight`]: what each
//!    identity already sees is scanned for values of this or an earlier run (a target that is not clean);
//! 3. [`seed`]: the world's records are created: a [`Seeded`](seed::Seeded) (their ids and extracted
//!    values, the identifiers claimed by listing);
//! 4. [`executor`]: what the planner of `cloison_suites` planned is executed (the writes, controls, the safe
//!    probes of every family, controls again, shrinking, the stateful suite, then [`last`] the functions
//!    that change state and name no record), every probe reported as an
//!    [`Event`](crate::event::Event) to a sink: the report's [`Collector`] and the terminal [`bars`].
//!
//! The engine executes; `cloison_suites::verdict` decides. [`Engine`] is the entry: `new`, then `run`.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use cloison_suites::outcome::{GiveUp, give_up};
use cloison_suites::{Cell, Planned};
use serde_json::Value;

use crate::event::{Collector, Fanout};
use crate::http::{Exchange, HttpSettings, Session};
use crate::oracle::CanaryScanner;
use crate::plan::{Contexts, Plan, record_contexts};
use crate::profile::{Endpoint, Profile};
use crate::render::{RenderError, SendError};

mod accounts;
mod audit;
mod bars;
mod batch;
mod blame;
mod caller;
mod check;
mod create;
mod effect;
mod executor;
mod foreign;
mod forge;
mod last;
mod login;
mod observe;
mod operations;
mod own;
mod poll;
mod preflight;
mod probe;
mod renew;
mod seed;
mod setup;
mod shrink;
mod stateful;
mod transition;
mod write;

pub use crate::event::{Judged, Outcome, StatefulCoverage};
pub use blame::SecretsFile;
use executor::Executor;

/// Why a run stopped before judging.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The profile does not fit the platform or the world (exit 2).
    #[error("{0}")]
    Setup(String),
    /// The target failed (exit 3).
    #[error("{0}")]
    Target(String),
    /// A signal came while the target was being set up (exit 130).
    #[error("interrupted while setting the target up")]
    Interrupted,
    /// The preflight found records on the target before seeding (exit 2 unless `--allow-dirty`).
    #[error("{0}")]
    Dirty(String),
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Show progress bars (only drawn on a terminal).
    pub progress: bool,
    /// Until when to wait for the health check: the run's one startup wait (`--startup-timeout`), shared
    /// with the wait for the OpenAPI document, from the moment the target is deployed.
    pub startup_deadline: Instant,
    /// Shrink each root cause's cell to a minimal reproducer (extra requests).
    pub shrink: bool,
    /// When to stop sending probes (the rest are reported as not run).
    pub deadline: Option<Instant>,
    /// Set from outside (a signal) to stop sending probes.
    pub interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Run the stateful suite (off for every shard but the first).
    pub stateful: bool,
    /// Where bars are not drawn (standard error is not a terminal): the phases and findings, for a line
    /// every few seconds (`crate::progress`).
    pub log: Option<std::sync::Arc<crate::progress::ProgressLog>>,
    /// The secrets file the run read (`--secrets` or the profile's `secrets_file`): a credential from it
    /// that the target refuses is named as such.
    pub secrets_file: Option<SecretsFile>,
    /// The run's one set of credentials to redact: the engine adds every credential it holds or receives
    /// (the plan's, the secrets', provisioning's tokens, every login's, re-logins included), for the report
    /// and the errors.
    pub redact: crate::redact::Secrets,
    /// Go on when the preflight finds records on the target before seeding (`--allow-dirty`).
    pub allow_dirty: bool,
    /// The application container of a `[deploy]` run: `[audit] logs = true` reads the trail there.
    pub app_logs: Option<crate::target::ContainerLogs>,
}

pub use cloison_suites::outcome::GIVE_UP_AFTER;

/// What every phase reads: the run's inputs, and the counters every phase adds to (behind atomics).
pub(crate) struct Inputs<'a> {
    pub(crate) profile: &'a Profile,
    pub(crate) plan: &'a Plan,
    pub(crate) settings: HttpSettings,
    /// The object behind `{{secrets.*}}`.
    pub(crate) secrets: Value,
    pub(crate) scanner: &'a dyn CanaryScanner,
    pub(crate) options: EngineOptions,
    /// The template context of every record of the world.
    pub(crate) contexts: Contexts<'a>,
    /// The session of anonymous calls (sign-ups, anonymous probes).
    pub(crate) anonymous: Session,
    pub(crate) counters: Counters,
}

/// What the phases count as they go.
#[derive(Default)]
pub(crate) struct Counters {
    /// Sessions renewed.
    pub(crate) relogins: AtomicUsize,
    /// Responses whose decoding stopped at cloison's limits (scanned up to there).
    pub(crate) decode_limited: AtomicUsize,
    /// Probes judged (their 1-based sequence numbers).
    pub(crate) sequence: AtomicUsize,
    /// Transport failures in a row (see [`Inputs::target_gone`]).
    pub(crate) failures_in_a_row: AtomicUsize,
    /// Why the target was taken as gone, the first time it was.
    pub(crate) gave_up: Mutex<Option<GiveUp>>,
    /// Cells whose first probe was sent.
    pub(crate) warmed: Mutex<HashSet<Cell>>,
    /// What setup made so far: identities created, records seeded, objects created (in the report even
    /// when setup fails or is interrupted).
    pub(crate) made: [AtomicUsize; 3],
    /// Reads the preflight sent.
    pub(crate) preflight: AtomicUsize,
}

impl Inputs<'_> {
    /// Whether the target is taken as gone, by `cloison_suites::outcome::give_up`: probes in a row without
    /// an answer, and how long the target has answered nothing at all while requests went unanswered.
    /// Recorded the first time.
    pub(crate) fn target_gone(&self) -> bool {
        let failures = self.counters.failures_in_a_row.load(Ordering::SeqCst);
        let liveness = &self.settings.liveness;
        let Some(why) = give_up(failures, liveness.silent_for(), liveness.unanswered()) else {
            return false;
        };
        if let Ok(mut first) = self.counters.gave_up.lock() {
            first.get_or_insert(why);
        }
        true
    }

    /// Setup made `identities` identities and `records` records, `objects` objects in all.
    pub(crate) fn made(&self, identities: usize, records: usize, objects: usize) {
        for (counter, n) in self
            .counters
            .made
            .iter()
            .zip([identities, records, objects])
        {
            counter.fetch_add(n, Ordering::SeqCst);
        }
    }

    /// Why the target was taken as gone, if it was.
    pub(crate) fn gave_up(&self) -> Option<GiveUp> {
        self.counters.gave_up.lock().ok().and_then(|why| *why)
    }
}

/// A run in progress: its inputs, until `run` takes them through the phases.
pub struct Engine<'a> {
    inputs: Inputs<'a>,
}

fn transport(err: &SendError, profile: &Profile) -> EngineError {
    match err {
        SendError::Template(RenderError { key, error }) => {
            EngineError::Setup(profile.error_at(key, error.to_string()).to_string())
        }
        SendError::Transport(_) => {
            EngineError::Target(format!("the target stopped answering: {err}"))
        }
    }
}

/// The named value `name` an endpoint extracts from an answer (a string or a number).
fn extract(ex: &Exchange, endpoint: &Endpoint, name: &str) -> Option<String> {
    let pointer = endpoint
        .extract
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.as_str())?;
    let json = ex.json()?;
    match json.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The seconds each phase took, in order.
struct Laps {
    phases: Vec<(String, f64)>,
    lap: Instant,
}

impl Laps {
    fn new() -> Self {
        Self {
            phases: Vec::new(),
            lap: Instant::now(),
        }
    }

    fn mark(&mut self, name: &str) {
        self.phases
            .push((name.to_string(), self.lap.elapsed().as_secs_f64()));
        self.lap = Instant::now();
    }
}

impl<'a> Engine<'a> {
    /// A new engine over a plan; `secrets` is the object behind `{{secrets.*}}`.
    pub fn new(
        profile: &'a Profile,
        plan: &'a Plan,
        settings: HttpSettings,
        secrets: Value,
        scanner: &'a dyn CanaryScanner,
        options: EngineOptions,
    ) -> Result<Self, EngineError> {
        let contexts = record_contexts(&plan.world, &plan.person_account);
        // The plan's passwords and keys, the secrets file's and the deployment's values: credentials from
        // the start.
        options.redact.extend(
            (plan.accounts.iter())
                .flat_map(|a| std::iter::once(a.password.clone()).chain(a.token.clone())),
        );
        if let Value::Object(map) = &secrets {
            options
                .redact
                .extend(map.values().filter_map(|v| v.as_str().map(str::to_string)));
        }
        let anonymous = Session::new(&settings)
            .map_err(|e| EngineError::Target(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self {
            inputs: Inputs {
                profile,
                plan,
                settings,
                secrets,
                scanner,
                options,
                contexts,
                anonymous,
                counters: Counters::default(),
            },
        })
    }

    /// Run everything: provision, log in, seed, then the planned probes; the outcome is what the report's
    /// collector gathered from the events. A signal during setup stops it at once (what is in flight is
    /// dropped).
    pub async fn run(&self, planned: &Planned) -> Result<Outcome, EngineError> {
        let inputs = &self.inputs;
        let collector = Collector::default();
        let bars = bars::Bars::new(inputs.options.progress, inputs.options.log.clone());
        let sink = Fanout(vec![&bars, &collector]);
        let seeding = Instant::now();
        let mut laps = Laps::new();
        let setup = async {
            let setup = setup::Setup::new(inputs, &sink);
            setup.wait_healthy().await?;
            laps.mark("health");
            if !inputs.profile.reset.is_empty() {
                setup.reset().await?;
                laps.mark("reset");
            }
            let provisioned = setup.provision().await?;
            laps.mark("provision");
            let sessions = setup.login_all(&provisioned).await?;
            laps.mark("login");
            let leftovers = preflight::check(inputs, &provisioned, &sessions, &sink).await?;
            laps.mark("preflight");
            let seeded = seed::seed(inputs, &provisioned, &sessions, &sink).await?;
            laps.mark("seed");
            Ok::<_, EngineError>((provisioned, sessions, seeded, leftovers))
        };
        let (provisioned, sessions, seeded, leftovers) = tokio::select! {
            done = setup => done?,
            () = interrupted(&inputs.options.interrupt) => return Err(EngineError::Interrupted),
        };
        let seed_seconds = seeding.elapsed().as_secs_f64();
        let executor = Executor::new(
            inputs,
            &provisioned,
            &sessions,
            &seeded,
            &planned.pool,
            &sink,
        );
        executor.run(planned, &collector, laps, seed_seconds).await;
        let mut outcome = collector.into_outcome();
        outcome.leftovers = leftovers;
        Ok(outcome)
    }

    /// What setup made so far, as the report's counts (for a run whose setup failed or was interrupted).
    pub fn setup_stats(&self, seconds: f64) -> crate::event::Stats {
        let [identities, records, objects] = self
            .inputs
            .counters
            .made
            .each_ref()
            .map(|n| n.load(Ordering::SeqCst));
        crate::event::Stats {
            identities,
            records_seeded: records,
            objects_created: objects,
            seed_seconds: seconds,
            seed_rate: objects as f64 / seconds.max(1e-9),
            ..Default::default()
        }
    }
}

/// Resolves once `flag` is set (a signal came), looking every 50 ms.
async fn interrupted(flag: &std::sync::atomic::AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
