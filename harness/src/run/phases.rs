//! The phases of a run before judging: prepare (profile, secrets, world), deploy (the target), then plan
//! the probes and drive the engine over the deployed target. None of them tears the target down: that is
//! done once, by [`super::execute`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cloison_generators::LazyWorld;
use cloison_suites::outcome::{Failure, StopReason};
use cloison_suites::{PlanConfig, Planned};
use serde_json::{Map, Value};

use super::RunArgs;
use crate::engine::{Engine, EngineError, EngineOptions};
use crate::exit::CliError;
use crate::http::HttpSettings;
use crate::openapi::Document;
use crate::plan::Plan;
use crate::profile::Profile;
use crate::target::{self, DeployError, TargetSpec};

/// Why a run ends before judging.
pub(super) enum Halt {
    /// Bad usage or configuration, or a failure of the environment: no report.
    Error(CliError),
    /// The target failed, or a signal came, before anything could be judged: a report says which, with
    /// what setup made until then.
    Report(Box<Stopped>),
}

/// A run that stopped before judging: why, and what setup made until then.
pub(super) struct Stopped {
    /// The target's failure, or the signal.
    pub why: Result<Failure, StopReason>,
    /// What setup made.
    pub made: crate::event::Stats,
}

impl Halt {
    fn report(why: Result<Failure, StopReason>, made: crate::event::Stats) -> Self {
        Halt::Report(Box::new(Stopped { why, made }))
    }
}

impl From<CliError> for Halt {
    fn from(err: CliError) -> Self {
        Halt::Error(err)
    }
}

/// What a run starts from: its profile, secrets and world.
pub(super) struct Prepared {
    /// The profile (its generic endpoints added once the OpenAPI document is read).
    pub profile: Profile,
    /// The secrets of the secrets file (the deployment's added by [`deploy`]; the plan then takes them).
    pub secrets: Map<String, Value>,
    /// Tenants of the world.
    pub tenants: usize,
    /// The secrets file read, and its keys.
    pub secrets_file: Option<crate::engine::SecretsFile>,
    /// Every credential of the run, to redact from its report and its errors (see [`crate::redact`]).
    pub redact: crate::redact::Secrets,
    /// The baseline and accepted risks the findings are compared with.
    pub regression: super::regression::Regression,
}

/// Load the profile and the secrets, check the flags, generate the world: every mistake here is a usage
/// error, found before anything is deployed.
pub(super) fn prepare(
    args: &RunArgs,
    redact: &crate::redact::Secrets,
) -> Result<(Prepared, LazyWorld), CliError> {
    let profile = match &args.profile {
        Some(path) => Profile::load(path),
        None => Profile::reference_portal(),
    }
    .map_err(|e| CliError::usage(e.to_string()))?;
    if let Some(flaw) = args.flaws.iter().find(|f| f.trim().is_empty()) {
        return Err(CliError::usage(format!(
            "--flaw {flaw:?}: expected a flaw name (see fixtures/FLAWS.md)"
        )));
    }
    if args.keep_target && matches!(args.target, TargetSpec::Url(_)) {
        return Err(CliError::usage(format!(
            "--keep-target applies to the embedded portal and to containers cloison starts, not to {}",
            args.target
        )));
    }
    if args.concurrency == 0 {
        return Err(CliError::usage("--concurrency must be at least 1"));
    }
    let regression = super::regression::load(args)?;
    let mut secrets = Map::new();
    let mut secrets_file = None;
    if let Some(path) = args.secrets.as_ref().or(profile.secrets_file.as_ref()) {
        secrets = super::secrets::load_secrets(path)?;
        redact.extend(
            secrets
                .values()
                .filter_map(|v| v.as_str().map(str::to_string)),
        );
        secrets_file = Some(crate::engine::SecretsFile {
            path: path.clone(),
            keys: secrets.keys().cloned().collect(),
        });
    }
    let mut config = args.gen_config();
    // A platform without tenants has a world of one departement; existing tenants decide how many.
    config.tenants = crate::plan::tenant_selection(&config.tenants, &profile.tenants)
        .map_err(CliError::Usage)?;
    let world = LazyWorld::new(&config)
        .map_err(|e| CliError::usage(format!("cannot generate the world: {e}")))?;
    let prepared = Prepared {
        profile,
        secrets,
        tenants: world.tenants.len(),
        secrets_file,
        redact: redact.clone(),
        regression,
    };
    Ok((prepared, world))
}

/// Deploy the target; its secrets join the run's.
pub(super) async fn deploy(
    args: &RunArgs,
    prepared: &mut Prepared,
    interrupt: &Arc<AtomicBool>,
) -> Result<target::Deployed, Halt> {
    let request = target::DeployRequest {
        profile: &prepared.profile,
        secrets: &prepared.secrets,
        flaws: &args.flaws,
        allow_remote: args.allow_remote,
        interrupt,
    };
    let deployed = match target::deploy(&args.target, &request).await {
        Ok(deployed) => deployed,
        Err(DeployError::Usage(message)) => return Err(Halt::Error(CliError::Usage(message))),
        Err(DeployError::Failed(message)) => {
            return Err(Halt::report(
                Ok(Failure::Deploy {
                    target: args.target.to_string(),
                    message,
                }),
                Default::default(),
            ));
        }
        Err(DeployError::Interrupted) => {
            return Err(Halt::report(
                Err(StopReason::InterruptedDeploying {
                    target: args.target.to_string(),
                }),
                Default::default(),
            ));
        }
    };
    if matches!(&args.target, TargetSpec::Url(url) if !target::is_loopback(url)) {
        eprintln!(
            "warning: {}: synthetic tenants, accounts and case files are written now",
            deployed.description
        );
    }
    for (name, value) in &deployed.secrets {
        if let Some(value) = value.as_str() {
            prepared.redact.add(value);
        }
        prepared
            .secrets
            .entry(name.clone())
            .or_insert(value.clone());
    }
    Ok(deployed)
}

/// The OpenAPI side of a run: the document, the operations the profile describes, those probed
/// generically, and why there is no document when it could not be read.
#[derive(Default)]
pub(super) struct OpenApi {
    pub document: Option<Document>,
    pub described: BTreeMap<String, usize>,
    pub generic: BTreeMap<String, usize>,
    /// The operations the generic probing never calls, and why.
    pub withheld: BTreeMap<usize, crate::openapi::withhold::Withheld>,
    pub warnings: Vec<String>,
}

/// What the probes run over: the plan of the world on the target, the probes, the secrets.
pub(super) struct Probing {
    pub plan: Plan,
    pub planned: Planned,
    pub secrets: Value,
    pub openapi: OpenApi,
}

/// Plan the world's accounts and records on the target, and the probes (with the OpenAPI document's
/// generic ones, and only this shard's).
pub(super) async fn plan_probes(
    args: &RunArgs,
    prepared: &mut Prepared,
    world: LazyWorld,
    base_url: &str,
    startup: Instant,
) -> Result<Probing, Halt> {
    let secrets = Value::Object(std::mem::take(&mut prepared.secrets));
    let profile = &mut prepared.profile;
    let plan = Plan::new(world, profile, &secrets).map_err(|e| CliError::usage(e.to_string()))?;
    let per_cell = args
        .per_cell
        .map(|n| n as usize)
        .or(profile.probing.per_cell)
        .unwrap_or(3);
    let mut planned = cloison_suites::plan(
        &plan.population,
        &profile.policy,
        &profile.surface(),
        PlanConfig {
            seed: args.seed,
            per_cell,
        },
    );
    // The OpenAPI document, when there is one: its operations the profile does not describe are probed
    // generically, and the report lists every operation with the families that reached it.
    let mut openapi = OpenApi::default();
    openapi.document = match crate::openapi::reach::document(
        args.openapi.as_deref(),
        profile.openapi.as_ref(),
        base_url,
        Duration::from_secs(args.timeout.max(1)),
        // The one startup wait, shared with the health check: a broken target is not waited for twice.
        startup.saturating_duration_since(Instant::now()),
    )
    .await
    {
        Ok(document) => document,
        Err(crate::openapi::reach::DocumentError::Usage(message)) => {
            return Err(Halt::Error(CliError::Usage(message)));
        }
        Err(crate::openapi::reach::DocumentError::Unavailable(message)) => {
            openapi.warnings.push(format!(
                "{message}: the operations the profile does not describe were not probed, and the report has no operation coverage"
            ));
            None
        }
    };
    if let Some(doc) = &openapi.document {
        let reach = crate::openapi::reach::plan(
            doc,
            profile,
            &plan.population,
            &planned,
            crate::openapi::reach::ReachConfig {
                seed: args.seed,
                per_operation: crate::openapi::reach::PER_OPERATION,
            },
        );
        reach.apply(&mut planned);
        openapi.described = crate::openapi::reach::profile_operations(doc, profile);
        if !args.quiet {
            let described: std::collections::BTreeSet<usize> =
                openapi.described.values().copied().collect();
            eprintln!("{}", reach.summary(doc, described.len()));
        }
        openapi.withheld = reach.withheld.clone();
        openapi.generic = reach.operation_of;
        profile.generic = reach.endpoints;
    }
    if let Some(shard) = args.shard {
        shard.apply(&mut planned);
    }
    Ok(Probing {
        plan,
        planned,
        secrets,
        openapi,
    })
}

/// The HTTP settings of the run: timeout, retries, redirects, and the pace under its ceilings
/// (`--concurrency`, `--timeout`, `--rate`).
pub(super) fn http_settings(
    args: &RunArgs,
    profile: &Profile,
    base_url: &str,
) -> Result<HttpSettings, Halt> {
    let settings = HttpSettings::new(
        base_url.to_string(),
        Duration::from_secs(args.timeout.max(1)),
        args.retries,
        Duration::from_millis(50),
    )
    .map_err(|e| CliError::Failed(anyhow::anyhow!("cannot set up TLS: {e}")))?;
    Ok(HttpSettings {
        redirects: crate::http::Redirects {
            max_hops: profile.probing.max_redirects,
            hosts: profile.probing.follow_hosts.clone(),
            login: profile.refusals.login_redirect.clone(),
        },
        pace: args.rate.map(|rate| Arc::new(crate::http::Pace::new(rate))),
        pacer: Arc::new(crate::http::Pacer::new(
            args.concurrency,
            Duration::from_secs(args.timeout.max(1)),
            args.rate,
        )),
        ..settings
    })
}

/// Provision, seed and probe the target through the engine, within the run's deadline.
pub(super) async fn drive(
    args: &RunArgs,
    prepared: &Prepared,
    probing: &Probing,
    settings: HttpSettings,
    interrupt: &Arc<AtomicBool>,
    (startup, app_logs): (Instant, Option<crate::target::ContainerLogs>),
) -> Result<crate::engine::Outcome, Halt> {
    let started = std::time::Instant::now();
    let deadline = Duration::from_secs(args.deadline);
    // Off a terminal (a CI log), bars are not drawn: a line per phase and every few seconds instead.
    let log = (!args.quiet && !std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| Arc::new(crate::progress::ProgressLog::new()));
    let ticker = log
        .clone()
        .map(|log| tokio::spawn(log.tick(crate::progress::EVERY)));
    let options = EngineOptions {
        concurrency: args.concurrency,
        progress: !args.quiet,
        startup_deadline: startup,
        shrink: !args.no_shrink,
        deadline: Some(started + deadline),
        interrupt: interrupt.clone(),
        stateful: args.shard.is_none_or(|s| s.index == 1),
        log,
        secrets_file: prepared.secrets_file.clone(),
        redact: prepared.redact.clone(),
        allow_dirty: args.allow_dirty,
        app_logs,
    };
    let scanner = probing.plan.scanner();
    let pacer = settings.pacer.clone();
    let engine = Engine::new(
        &prepared.profile,
        &probing.plan,
        settings,
        probing.secrets.clone(),
        &scanner,
        options,
    );
    // Setup that hangs is cut a minute after the deadline; probes stop at the deadline itself.
    let engine = match engine {
        Ok(engine) => engine,
        Err(err) => {
            if let Some(ticker) = ticker {
                ticker.abort();
            }
            return Err(halt(err, Default::default(), &pacer.report()));
        }
    };
    let ran = tokio::time::timeout(
        deadline + Duration::from_secs(60),
        engine.run(&probing.planned),
    )
    .await;
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    let made = || engine.setup_stats(started.elapsed().as_secs_f64());
    match ran {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(err)) => Err(halt(err, made(), &pacer.report())),
        Err(_) => Err(Halt::report(
            Ok(Failure::SetupDeadline {
                seconds: args.deadline,
            }),
            made(),
        )),
    }
}

/// How an engine error ends the run: a usage error, or a report of a target failure or an interruption
/// with what setup made until then (a target failure with the flag to change when the target showed
/// signs of overload).
fn halt(err: EngineError, made: crate::event::Stats, pace: &crate::http::PaceReport) -> Halt {
    match err {
        EngineError::Setup(message) => Halt::Error(CliError::Usage(message)),
        EngineError::Target(message) => {
            Halt::report(Ok(Failure::Target(with_advice(message, pace))), made)
        }
        EngineError::Interrupted => Halt::report(Err(StopReason::InterruptedSettingUp), made),
        EngineError::Dirty(message) => Halt::Error(CliError::DirtyTarget(message)),
    }
}

/// A target failure's message, with the pace the run used and which flag to change when the target showed
/// signs of overload (timeouts, dropped connections, 429/503, bursts of 5xx).
fn with_advice(message: String, pace: &crate::http::PaceReport) -> String {
    match pace.advice() {
        Some(advice) => format!("{message}; {advice}"),
        None => message,
    }
}
