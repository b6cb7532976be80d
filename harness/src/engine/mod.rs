//! The engine of a run: provision the plan's tenants and identities, log every identity in, seed the
//! world's records, then execute what the planner of `cloison_suites` planned (controls, the safe probes of
//! every family, controls again, then the probes that change data) and record one event per judged probe.
//! The engine executes; `cloison_suites::verdict` decides.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use cloison_suites::{Planned, Probe, RecordKind, Verdict};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::http::{Credential, Exchange, HttpError, HttpSettings, Session};
use crate::oracle::CanaryScanner;
use crate::plan::{Contexts, Plan, PlannedAccount, record_contexts};
use crate::profile::{Actor, AuthScheme, Endpoint, Profile, TokenSource};
use crate::report::Stats;

mod blame;
mod create;
mod probe;
mod seed;
mod setup;
mod shrink;
mod stateful;

pub use stateful::StatefulCoverage;

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
}

/// Transport failures in a row after which the target is taken as gone and no more probe is sent.
pub const GIVE_UP_AFTER: usize = 25;

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
    pub steps: Vec<crate::report::TraceStep>,
}

/// What the engine observed.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every judged probe whose verdict is not a plain pass, in execution order.
    pub events: Vec<Judged>,
    /// Probes executed per family (passes included).
    pub executed: BTreeMap<String, usize>,
    /// Probes per endpoint key.
    pub endpoints: BTreeMap<String, usize>,
    /// Every (family, endpoint key) pair a probe was executed for.
    pub tried: std::collections::BTreeSet<(String, String)>,
    /// Probes that could not be applied, per family: how many, and the first reason.
    pub not_applicable: BTreeMap<String, (usize, String)>,
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
    /// What the stateful suite covered.
    pub stateful: StatefulCoverage,
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
    /// Tokens the sign-up answers gave, by identity key (`{{identity.token}}` at login).
    account_tokens: HashMap<String, String>,
    /// The platform's identifiers of tenants, by code (`{{tenant.id}}`).
    tenant_ids: HashMap<String, String>,
    /// The platform's code of a tenant where it rewrote the one it was given (a slug), by world code:
    /// `{{tenant.code}}` and tenant selectors use it once known.
    tenant_codes: HashMap<String, String>,
    /// Tenants' credentials, by code (`{{tenant.credential}}`), shared by their members.
    tenant_credentials: HashMap<String, String>,
    sessions: RwLock<HashMap<String, Session>>,
    anonymous: Session,
    record_ids: HashMap<String, String>,
    /// The named values each record's create extracted (`{{document.blob}}`).
    record_values: HashMap<String, serde_json::Map<String, Value>>,
    /// Identifiers found by listing (`find`), so that a later copy of the same values (the stateful
    /// suite's subjects) is told apart from the records found before it.
    claimed: std::sync::Mutex<std::collections::HashSet<String>>,
    contexts: Contexts,
    seeding_events: Vec<Judged>,
    pool: std::collections::BTreeSet<String>,
    objects: usize,
    relogins: AtomicUsize,
    /// Responses whose decoding stopped at cloison's limits (scanned up to there).
    decode_limited: AtomicUsize,
    sequence: AtomicUsize,
    failures_in_a_row: AtomicUsize,
    warmed: std::sync::Mutex<std::collections::HashSet<cloison_suites::Cell>>,
    started: Instant,
}

/// An identity's key, session and (when the login names it) platform identifier.
type LoginResult = Result<(String, Session, Option<String>), EngineError>;

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
    ) -> Result<Self, EngineError> {
        let contexts = record_contexts(&plan.world, &plan.person_account);
        let anonymous = Session::new(&settings)
            .map_err(|e| EngineError::Target(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self {
            profile,
            plan,
            settings,
            secrets,
            scanner,
            options,
            account_ids: HashMap::new(),
            account_tokens: HashMap::new(),
            tenant_ids: HashMap::new(),
            tenant_codes: HashMap::new(),
            tenant_credentials: HashMap::new(),
            sessions: RwLock::new(HashMap::new()),
            anonymous,
            record_ids: HashMap::new(),
            record_values: HashMap::new(),
            claimed: std::sync::Mutex::new(Default::default()),
            contexts,
            seeding_events: Vec::new(),
            pool: Default::default(),
            objects: 0,
            relogins: AtomicUsize::new(0),
            decode_limited: AtomicUsize::new(0),
            sequence: AtomicUsize::new(0),
            failures_in_a_row: AtomicUsize::new(0),
            warmed: std::sync::Mutex::new(Default::default()),
            started: Instant::now(),
        })
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
        if let Some(log) = &self.options.log {
            log.phase(&bar);
        }
        bar
    }

    /// The session of an identity (a cheap clone: the client is shared).
    pub(crate) fn session(&self, key: &str) -> Option<Session> {
        self.sessions
            .read()
            .ok()
            .and_then(|sessions| sessions.get(key).cloned())
    }

    fn has_session(&self, key: &str) -> bool {
        self.sessions
            .read()
            .is_ok_and(|sessions| sessions.contains_key(key))
    }

    fn set_session(&self, key: String, session: Session) {
        if let Ok(mut sessions) = self.sessions.write() {
            sessions.insert(key, session);
        }
    }

    /// Run everything: provision, log in, seed, then the planned probes.
    pub async fn run(mut self, planned: &Planned) -> Result<Outcome, EngineError> {
        let seeding = Instant::now();
        let mut phases = Vec::new();
        let mut lap = Instant::now();
        let mut mark = |name: &str, phases: &mut Vec<(String, f64)>| {
            phases.push((name.to_string(), lap.elapsed().as_secs_f64()));
            lap = Instant::now();
        };
        self.wait_healthy().await?;
        mark("health", &mut phases);
        if !self.profile.reset.is_empty() {
            self.reset().await?;
            mark("reset", &mut phases);
        }
        self.provision().await?;
        mark("provision", &mut phases);
        self.login_all().await?;
        mark("login", &mut phases);
        self.seed().await?;
        mark("seed", &mut phases);
        let seed_seconds = seeding.elapsed().as_secs_f64();
        self.pool = planned.pool.clone();

        let mut outcome = Outcome {
            events: std::mem::take(&mut self.seeding_events),
            ..Outcome::default()
        };
        self.started = Instant::now();
        let probing = Instant::now();
        // One control per endpoint and tenant first (the target serves its data at all), every control again
        // after the probes (it still does).
        let mut seen = std::collections::BTreeSet::new();
        let first_controls: Vec<Probe> = planned
            .controls
            .iter()
            .filter(|c| {
                let tenant = c
                    .record
                    .as_deref()
                    .and_then(|r| self.plan.population.record(r))
                    .map(|r| r.tenant.clone());
                seen.insert((c.endpoint.clone(), tenant))
            })
            .cloned()
            .collect();
        // Probes that change data aim at case files no other probe uses; one at a time, first (each write is
        // judged by read-backs of its own, before and after).
        self.execute_sequentially(&planned.mutating, &mut outcome)
            .await;
        mark("writes", &mut phases);
        self.execute(&first_controls, "controls", &mut outcome)
            .await;
        let concurrent = Instant::now();
        let before = self.sequence.load(Ordering::SeqCst);
        // The probes in two halves, with the first controls again in between: a target that loses its
        // sessions or its data while it is being probed is caught while it happens, not only at the end.
        let half = planned.probes.len() / 2;
        self.execute(&planned.probes[..half], "probes", &mut outcome)
            .await;
        self.execute(&first_controls, "controls", &mut outcome)
            .await;
        self.execute(&planned.probes[half..], "probes", &mut outcome)
            .await;
        let concurrent_probes = self.sequence.load(Ordering::SeqCst) - before;
        let concurrent_seconds = concurrent.elapsed().as_secs_f64();
        // Controls again: a target that lost its sessions or its data during the probes is not clean.
        self.execute(&planned.controls, "controls again", &mut outcome)
            .await;
        mark("probes", &mut phases);
        if self.options.shrink {
            outcome.reproducers = self.shrink(&outcome.events);
            mark("shrink", &mut phases);
        }
        // Last: the stateful suite changes what identities may see (transfers, deletions, role changes).
        if self.options.stateful {
            outcome.stateful = self.stateful(&mut outcome).await;
            mark("stateful", &mut phases);
        }
        let probe_seconds = probing.elapsed().as_secs_f64();
        let sent = self.sequence.load(Ordering::SeqCst);
        outcome.relogins = self.relogins.load(Ordering::SeqCst);
        outcome.decode_limited = self.decode_limited.load(Ordering::SeqCst);
        outcome.stats = Stats {
            identities: self.sessions.read().map_or(0, |s| s.len()),
            records_seeded: self.record_ids.len(),
            objects_created: self.objects,
            seed_seconds,
            seed_rate: self.objects as f64 / seed_seconds.max(1e-9),
            controls: 2 * first_controls.len() + planned.controls.len(),
            probes: sent,
            probe_seconds,
            probe_rate: concurrent_probes as f64 / concurrent_seconds.max(1e-9),
            writes: planned.mutating.len(),
            phases,
        };
        Ok(outcome)
    }

    async fn wait_healthy(&self) -> Result<(), EngineError> {
        let Some(health) = &self.profile.health else {
            return Ok(());
        };
        let session =
            Session::new(&self.settings).map_err(|e| EngineError::Target(e.to_string()))?;
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

    /// A tenant's code as the platform knows it: the one its create answered, else the world's.
    pub(super) fn platform_tenant_code<'c>(&'c self, code: &'c str) -> &'c str {
        self.tenant_codes.get(code).map_or(code, String::as_str)
    }

    /// The canaries of a response and its decoded views, counting the responses whose decoding reached
    /// cloison's limits (reported: what lies past them was not looked at).
    pub(super) fn scan(&self, observed: &crate::oracle::Observed) -> Vec<crate::oracle::Hit> {
        let (hits, limited) = crate::oracle::scan_response_bounded(self.scanner, observed);
        if limited {
            self.decode_limited.fetch_add(1, Ordering::SeqCst);
        }
        hits
    }

    /// The `tenant` context of an account: the world's tenant, with the platform's identifier and the
    /// tenant's credential once known.
    fn tenant_ctx(&self, account: &PlannedAccount) -> Value {
        let mut tenant = self
            .plan
            .world
            .tenant(account.tenant_id)
            .map_or(Value::Null, |t| {
                serde_json::to_value(t).unwrap_or(Value::Null)
            });
        if let Value::Object(map) = &mut tenant {
            if let Some(id) = self.tenant_ids.get(&account.tenant) {
                map.insert("id".into(), id.clone().into());
            }
            if let Some(credential) = self.tenant_credentials.get(&account.tenant) {
                map.insert("credential".into(), credential.clone().into());
            }
            if let Some(code) = self.tenant_codes.get(&account.tenant) {
                map.insert("code".into(), code.clone().into());
            }
        }
        tenant
    }

    /// Every credential value cloison holds (operator, passwords, tokens): redacted from every excerpt.
    pub(crate) fn all_secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .plan
            .accounts
            .iter()
            .flat_map(|a| std::iter::once(a.password.clone()).chain(a.token.clone()))
            .collect();
        out.extend(self.account_tokens.values().cloned());
        out.extend(self.tenant_credentials.values().cloned());
        if let Ok(sessions) = self.sessions.read() {
            for session in sessions.values() {
                out.extend(session.credential.secrets.iter().cloned());
            }
        }
        if let Value::Object(map) = &self.secrets {
            out.extend(map.values().filter_map(|v| v.as_str().map(str::to_string)));
        }
        out.retain(|s| s.len() >= 4);
        out.sort();
        out.dedup();
        out
    }

    /// Check a setup response: 2xx (or the endpoint's `ok`) passes; 5xx, or a 4xx to a retry after a lost
    /// answer, is a target failure; anything else means the profile does not fit the platform (see
    /// `blame`).
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
        let excerpt = ex.answer(300, &self.all_secrets());
        let mut message = format!(
            "{what}: {} {} answered {status}: {excerpt}",
            ex.request.method, ex.request.url
        );
        if blame::status_blame(ex) == blame::Blame::Target {
            if let Some(lost) = ex.retried_after.as_ref().filter(|_| status < 500) {
                message.push_str(&format!(
                    " (to a retry: the earlier attempt got no answer ({lost}) and may have been applied)"
                ));
            }
            Err(EngineError::Target(message))
        } else {
            if status == 409 && self.profile.reset.is_empty() {
                message.push_str(
                    " (a conflict: what an earlier run created may still be there; a [[reset]] in the profile \
                     brings the platform back to a blank state before provisioning)",
                );
            }
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
