//! The engine of a run: provision the plan's tenants and identities, log every identity in, seed the
//! world's records, read each record back as its owner (controls), then send the probes and judge every
//! response by its data.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::time::Instant;

use cloison_suites::{Probe, RecordKind};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::http::{Credential, Exchange, HttpError, HttpSettings, Session};
use crate::oracle::{self, CanaryScanner, Verdict};
use crate::plan::{Plan, PlannedAccount, record_contexts};
use crate::profile::{Actor, AuthScheme, Endpoint, Profile, TokenSource};
use crate::report::{Evidence, Finding, Party, Stats};

mod probe;
mod seed;
mod setup;

/// Why a run stopped before judging.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The profile does not fit the platform or the world (exit 2).
    #[error("{0}")]
    Setup(String),
    /// The target failed (exit 3).
    #[error("{0}")]
    Target(String),
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Show progress bars (only drawn on a terminal).
    pub progress: bool,
    /// How long to wait for the health check.
    pub startup_timeout: std::time::Duration,
}

/// What the engine found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, in a deterministic order.
    pub findings: Vec<Finding>,
    /// Target failures met while probing.
    pub failures: Vec<String>,
    /// Counts and rates.
    pub stats: Stats,
}

/// A run in progress.
pub struct Engine<'a> {
    profile: &'a Profile,
    plan: &'a Plan,
    settings: HttpSettings,
    secrets: Value,
    scanner: &'a dyn CanaryScanner,
    options: EngineOptions,
    account_ids: HashMap<String, String>,
    sessions: HashMap<String, Session>,
    record_ids: HashMap<String, String>,
    contexts: BTreeMap<String, Value>,
    findings: Vec<(String, Finding)>,
    objects: usize,
}

/// An identity's key, session and (when the login names it) platform identifier.
type LoginResult = Result<(String, Session, Option<String>), EngineError>;

/// What happened to one request of a phase.
enum Step {
    Done {
        key: String,
        id: Option<String>,
        finding: Option<Box<Finding>>,
    },
    Stopped(EngineError),
}

fn transport(err: &HttpError, profile: &Profile) -> EngineError {
    match err {
        HttpError::Template { key, error } => {
            EngineError::Setup(profile.error_at(key, error.to_string()).to_string())
        }
        HttpError::Transport { .. } => {
            EngineError::Target(format!("the target stopped answering: {err}"))
        }
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
    ) -> Self {
        let contexts = record_contexts(&plan.world, &plan.person_account);
        Self {
            profile,
            plan,
            settings,
            secrets,
            scanner,
            options,
            account_ids: HashMap::new(),
            sessions: HashMap::new(),
            record_ids: HashMap::new(),
            contexts,
            findings: Vec::new(),
            objects: 0,
        }
    }

    fn bar(&self, len: usize, what: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
        if !self.options.progress || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(what.to_string());
        bar
    }

    /// Run everything: provision, log in, seed, controls, probes.
    pub async fn run(
        mut self,
        probes: Vec<Probe>,
        controls: Vec<Probe>,
        writes: Vec<Probe>,
    ) -> Result<Outcome, EngineError> {
        let seeding = Instant::now();
        let mut phases = Vec::new();
        let mut lap = Instant::now();
        let mut mark = |name: &str, phases: &mut Vec<(String, f64)>| {
            phases.push((name.to_string(), lap.elapsed().as_secs_f64()));
            lap = Instant::now();
        };
        self.wait_healthy().await?;
        mark("health", &mut phases);
        self.provision().await?;
        mark("provision", &mut phases);
        self.login_all().await?;
        mark("login", &mut phases);
        self.seed().await?;
        mark("seed", &mut phases);
        let seed_seconds = seeding.elapsed().as_secs_f64();
        let probing = Instant::now();
        let mut failures = Vec::new();
        let control_failures = self.execute(&controls, true).await;
        failures.extend(control_failures);
        let probe_failures = self.execute(&probes, false).await;
        failures.extend(probe_failures);
        let probe_seconds = probing.elapsed().as_secs_f64();
        // Writes come last: they change the target's data.
        let writes = if self.profile.endpoint(RecordKind::Case, "update").is_some() {
            writes
        } else {
            Vec::new()
        };
        let write_failures = self.execute_writes(&writes).await;
        failures.extend(write_failures);
        mark("writes", &mut phases);
        let mut findings = std::mem::take(&mut self.findings);
        findings.sort_by(|a, b| a.0.cmp(&b.0));
        let sent = probes.len() + controls.len();
        let stats = Stats {
            identities: self.sessions.len(),
            records_seeded: self.record_ids.len(),
            objects_created: self.objects,
            seed_seconds,
            seed_rate: self.objects as f64 / seed_seconds.max(1e-9),
            controls: controls.len(),
            probes: probes.len(),
            probe_seconds,
            probe_rate: sent as f64 / probe_seconds.max(1e-9),
            writes: writes.len(),
            phases,
        };
        Ok(Outcome {
            findings: findings.into_iter().map(|(_, f)| f).collect(),
            failures,
            stats,
        })
    }

    async fn wait_healthy(&self) -> Result<(), EngineError> {
        let Some(health) = &self.profile.health else {
            return Ok(());
        };
        let session =
            Session::new(&self.settings, false).map_err(|e| EngineError::Target(e.to_string()))?;
        let ctx = json!({ "secrets": self.secrets });
        let deadline = Instant::now() + self.options.startup_timeout;
        let mut quick = self.settings.clone();
        quick.retries = 0;
        loop {
            match session.send(&quick, health, &ctx, None).await {
                Ok(ex) if (200..300).contains(&ex.observed.status) => return Ok(()),
                Err(HttpError::Template { key, error }) => {
                    return Err(EngineError::Setup(
                        self.profile.error_at(&key, error.to_string()).to_string(),
                    ));
                }
                Ok(ex) if Instant::now() > deadline => {
                    return Err(EngineError::Target(format!(
                        "the target is not healthy: {} answered {}",
                        ex.request.url, ex.observed.status
                    )));
                }
                Err(err) if Instant::now() > deadline => {
                    return Err(EngineError::Target(format!(
                        "the target never became healthy ({:?}): {err}",
                        self.options.startup_timeout
                    )));
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
    }

    fn secrets_ctx(&self) -> Value {
        json!({ "secrets": self.secrets })
    }

    fn tenant_ctx(&self, account: &PlannedAccount) -> Value {
        self.plan
            .world
            .tenant(account.tenant_id)
            .map_or(Value::Null, |t| {
                serde_json::to_value(t).unwrap_or(Value::Null)
            })
    }

    /// Check a setup response: 2xx (or the endpoint's `ok`) passes; 5xx is a target failure; anything
    /// else means the profile does not fit the platform.
    fn setup_status(
        &self,
        endpoint: &Endpoint,
        ex: &Exchange,
        what: &str,
    ) -> Result<(), EngineError> {
        let status = ex.observed.status;
        if endpoint.is_ok(status) {
            return Ok(());
        }
        let excerpt = ex.excerpt(300, &[]);
        let message = format!(
            "{what}: {} {} answered {status}: {excerpt}",
            ex.request.method, ex.request.url
        );
        if status >= 500 {
            Err(EngineError::Target(message))
        } else {
            Err(EngineError::Setup(
                self.profile.error_at(&endpoint.origin, message).to_string(),
            ))
        }
    }

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
}
