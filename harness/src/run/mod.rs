//! `cloison run`: deploy a target, provision and seed it, run the direct-read suite, report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use clap::builder::TypedValueParser as _;
use cloison_generators::{GenConfig, TenantSelection, World};
use cloison_suites::{PlanConfig, Verdict};
use serde_json::{Map, Value};

use crate::cli::{
    EXIT_FINDINGS, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED, EXIT_OK, EXIT_TARGET, UsageError,
};
use crate::engine::{Engine, EngineError, EngineOptions};
use crate::http::{HttpSettings, shell_quote};
use crate::plan::Plan;
use crate::profile::Profile;
use crate::report::{self, Describe, Outcome, Party, Report};
use crate::target::{self, DeployError, TargetSpec};

/// Arguments of `cloison run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Target: `embedded` (the reference portal in-process), `deploy` (the containers of the profile's
    /// [deploy]), `image:NAME[:TAG]` (the profile's [deploy] with this application image), or `url:URL` (an
    /// existing deployment; a non-loopback host needs --allow-remote).
    #[arg(long, default_value = "embedded", value_parser = parse_target)]
    pub target: TargetSpec,
    /// Target profile (TOML); default: the reference portal's, embedded.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// The platform's OpenAPI 3.x document (JSON file or http(s) URL); overrides the profile's `openapi`.
    /// Every operation of it is then probed generically and reported in `coverage.operations`.
    #[arg(long, value_name = "FILE|URL")]
    pub openapi: Option<String>,
    /// Secrets file (TOML strings) for `{{secrets.NAME}}`; overrides the profile's `secrets_file`.
    #[arg(long)]
    pub secrets: Option<PathBuf>,
    /// Seed of the world: the same seed gives the same data, probes and verdict.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tenants (MDPH), as `cloison generate --tenants` reads them: a count (1-101, no leading zero) or
    /// departement codes separated by commas (`75,2A,971`; `01` is the Ain, `13,` the Bouches-du-Rhone).
    #[arg(long, default_value = "2", value_parser = parse_tenants)]
    pub tenants: TenantSelection,
    /// Number of case files, 1 to 1,000,000.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub cases: u64,
    /// Authorization flaw to switch on (repeatable): in the embedded reference portal (see fixtures/FLAWS.md),
    /// or in containers whose profile's [deploy] reads `{{options.flaws}}` (the values, comma-separated).
    #[arg(long = "flaw", value_name = "NAME")]
    pub flaws: Vec<String>,
    /// Allow a url: target that is not on this machine (cloison writes synthetic data there).
    #[arg(long)]
    pub allow_remote: bool,
    /// Write the full report as JSON to this file (`-`: to standard output, the summary then goes to
    /// standard error).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write every report format into this directory: report.json, report.junit.xml, report.sarif,
    /// report.html.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write a JUnit XML report (one test case per cell) to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a SARIF 2.1.0 report (one result per root cause) to this file.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Write a self-contained HTML evidence report to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Requests in flight at once, 1 to 1024.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024).map(|n| n as usize))]
    pub concurrency: usize,
    /// At most this many requests per second (1 to 100000), redirect hops and retries included, shared by
    /// every identity: a steady pace for fragile, rate-limited or remote targets. Default: no limit.
    #[arg(long, value_name = "PER_SECOND", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: Option<u32>,
    /// Timeout of one request, in seconds (1 to 3600).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Retries on 429 and 503 (and transport errors of idempotent requests), 0 to 20.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// How long to wait for the target's health check after deployment, in seconds (1 to 3600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub startup_timeout: u64,
    /// Probes drawn per cell (family x endpoint x caller role x relation x kind x variation); default: the
    /// profile's `[probing] per_cell`, else 3.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub per_cell: Option<u32>,
    /// Overall deadline of the run, in seconds (1 to 86400): past it, no more probe is sent and the run
    /// reports what it could not cover; setup that hangs past it (plus a minute) ends the run as a target
    /// failure.
    #[arg(long, default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub deadline: u64,
    /// Do not shrink failing cells to minimal reproducers (saves the extra requests).
    #[arg(long)]
    pub no_shrink: bool,
    /// Keep the embedded portal up after the run, and print its URL and the credentials that replaying the
    /// reproducers needs, until Ctrl-C (or SIGTERM).
    #[arg(long)]
    pub keep_target: bool,
    /// Print no progress: no bars on a terminal, no progress lines (one per phase and every 5 s) off one.
    #[arg(long)]
    pub quiet: bool,
    /// Run only shard K of N of the probe space (by a stable hash of each probe's identifier; controls
    /// run in every shard); `cloison report merge` combines the shards' JSON reports.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::shard::Shard>,
}

fn parse_target(text: &str) -> Result<TargetSpec, String> {
    text.parse()
}

/// `--tenants`, read as `cloison generate` reads it, and checked (a count in range, known codes).
fn parse_tenants(text: &str) -> Result<TenantSelection, String> {
    let tenants = TenantSelection::parse(text);
    let config = GenConfig {
        tenants: tenants.clone(),
        cases: 1,
        ..GenConfig::default()
    };
    config.resolve_tenants().map_err(|e| e.to_string())?;
    Ok(tenants)
}

impl RunArgs {
    /// The generator's configuration of this run's world.
    pub fn gen_config(&self) -> GenConfig {
        GenConfig {
            seed: self.seed,
            tenants: self.tenants.clone(),
            cases: self.cases,
            ..GenConfig::default()
        }
    }

    /// The command line that replays this run: the same target, profile, world and flaws give the same
    /// probes and the same verdict.
    pub fn replay_command(&self) -> String {
        let mut command = format!(
            "cloison run --target {} --seed {} --tenants {} --cases {}",
            shell_quote(&self.target.to_string()),
            self.seed,
            self.tenants,
            self.cases
        );
        if let Some(profile) = &self.profile {
            command.push_str(" --profile ");
            command.push_str(&shell_quote(&profile.display().to_string()));
        }
        if let Some(openapi) = &self.openapi {
            command.push_str(" --openapi ");
            command.push_str(&shell_quote(openapi));
        }
        if let Some(secrets) = &self.secrets {
            command.push_str(" --secrets ");
            command.push_str(&shell_quote(&secrets.display().to_string()));
        }
        for flaw in &self.flaws {
            command.push_str(" --flaw ");
            command.push_str(&shell_quote(flaw));
        }
        if let Some(per_cell) = self.per_cell {
            command.push_str(&format!(" --per-cell {per_cell}"));
        }
        // What can change which probes run or how the target answers them (a cell ending in a timeout or a
        // 429, a session expiring under load, a deadline reached): kept when not the default.
        let default = RunArgs::default();
        if self.concurrency != default.concurrency {
            command.push_str(&format!(" --concurrency {}", self.concurrency));
        }
        if let Some(rate) = self.rate {
            command.push_str(&format!(" --rate {rate}"));
        }
        if self.timeout != default.timeout {
            command.push_str(&format!(" --timeout {}", self.timeout));
        }
        if self.retries != default.retries {
            command.push_str(&format!(" --retries {}", self.retries));
        }
        if self.deadline != default.deadline {
            command.push_str(&format!(" --deadline {}", self.deadline));
        }
        if self.no_shrink {
            command.push_str(" --no-shrink");
        }
        if self.allow_remote {
            command.push_str(" --allow-remote");
        }
        if let Some(shard) = self.shard {
            command.push_str(&format!(" --shard {shard}"));
        }
        command
    }
}

impl Default for RunArgs {
    fn default() -> Self {
        Self {
            target: TargetSpec::Embedded,
            profile: None,
            openapi: None,
            secrets: None,
            seed: 1,
            tenants: TenantSelection::Count(2),
            cases: 16,
            flaws: Vec::new(),
            allow_remote: false,
            json: None,
            report: None,
            junit: None,
            sarif: None,
            html: None,
            concurrency: 16,
            rate: None,
            timeout: 10,
            retries: 3,
            startup_timeout: 30,
            per_cell: None,
            deadline: 1800,
            keep_target: false,
            no_shrink: false,
            quiet: true,
            shard: None,
        }
    }
}

/// The result of a run: its report and its exit code.
#[derive(Debug)]
pub struct RunResult {
    /// The report.
    pub report: Report,
    /// Exit code (0 clean, 1 findings, 3 target failure, 4 inconclusive).
    pub exit: u8,
    /// With `--keep-target`: the embedded portal or the containers, still up, and what replaying needs.
    pub kept: Option<KeptTarget>,
}

/// The embedded portal or the containers of a deployment kept up after a run (`--keep-target`).
#[derive(Debug)]
pub struct KeptTarget {
    /// The portal.
    pub deployed: target::Deployed,
    /// Its URL and the credentials of the reproducers' identities, to print.
    pub notes: String,
}

impl KeptTarget {
    /// Print the notes to `out` and keep the target up until SIGINT or SIGTERM; then stop it (the
    /// containers and their network removed).
    pub async fn serve_until_signal(self, to_stderr: bool) {
        if to_stderr {
            eprint!("{}", self.notes);
        } else {
            print!("{}", self.notes);
        }
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
        }
        if self.deployed.is_embedded() {
            eprintln!("stopping the embedded portal");
        } else {
            eprintln!("removing the deployment's containers and network");
        }
        self.deployed.teardown().await;
    }
}

/// Entry point of `cloison run`: print the summary, write the JSON report, return the exit code.
pub fn run(args: &RunArgs) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let json_to_stdout = args.json.as_deref() == Some(std::path::Path::new("-"));
    if let Some(path) = args.json.as_ref().filter(|_| !json_to_stdout) {
        // Check the output before running: a report that cannot be written is a usage error now, not a
        // target failure after minutes of probing.
        crate::input::check_output(path)
            .and_then(|()| std::fs::write(path, b"{}"))
            .map_err(|e| {
                UsageError(format!(
                    "{}: cannot write the JSON report: {e}",
                    path.display()
                ))
            })?;
    }
    let outputs = crate::reporters::Outputs::new(args);
    outputs.check().map_err(|e| UsageError(e.to_string()))?;
    let result = match runtime.block_on(execute(args)) {
        Ok(result) => result,
        Err(err) => {
            outputs.discard();
            let usage = err.chain().any(|c| c.is::<UsageError>());
            let json = serde_json::json!({
                "schema_version": report::SCHEMA_VERSION,
                "cloison_version": env!("CARGO_PKG_VERSION"),
                "outcome": if usage { "usage-error" } else { "error" },
                "error": crate::input::bounded(&format!("{err:#}")),
                "seed": args.seed,
                "replay": args.replay_command(),
            });
            // The short error form goes wherever a JSON report was asked for (--report DIR included).
            let report_json = args.report.as_ref().map(|dir| dir.join("report.json"));
            for path in args.json.iter().chain(&report_json) {
                if json_to_stdout && args.json.as_ref() == Some(path) {
                    println!("{json}");
                } else {
                    let _ = std::fs::write(path, json.to_string());
                }
            }
            return Err(err);
        }
    };
    let summary = crate::term::paint(&result.report.summary(), json_to_stdout);
    if json_to_stdout {
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }
    if let Some(path) = &args.json {
        let json =
            serde_json::to_string_pretty(&result.report).context("serialising the report")?;
        if json_to_stdout {
            println!("{json}");
        } else {
            std::fs::write(path, json)
                .with_context(|| format!("writing the JSON report to {}", path.display()))?;
            println!("report written to {}", path.display());
        }
    }
    for path in outputs.write(&result.report)? {
        if json_to_stdout {
            eprintln!("report written to {}", path.display());
        } else {
            println!("report written to {}", path.display());
        }
    }
    if let Some(kept) = result.kept {
        runtime.block_on(kept.serve_until_signal(json_to_stdout));
    }
    Ok(result.exit)
}

fn load_secrets(path: &std::path::Path) -> anyhow::Result<Map<String, Value>> {
    let text =
        crate::input::read_text(path, "secrets file").map_err(|e| UsageError(e.to_string()))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| UsageError(format!("{}: {}", path.display(), e.message().trim())))?;
    let mut out = Map::new();
    for (name, value) in table {
        match value {
            toml::Value::String(s) => {
                out.insert(name, s.into());
            }
            other => {
                return Err(UsageError(format!(
                    "{}: `{name}` is a {}: expected a string",
                    path.display(),
                    other.type_str()
                ))
                .into());
            }
        }
    }
    Ok(out)
}

/// Run without printing: deploy, seed, probe, judge. Usage errors come back as errors wrapping
/// [`UsageError`]; target failures as a report with exit code 3.
pub async fn execute(args: &RunArgs) -> anyhow::Result<RunResult> {
    let mut profile = match &args.profile {
        Some(path) => Profile::load(path),
        None => Profile::reference_portal(),
    }
    .map_err(|e| UsageError(e.to_string()))?;
    if let Some(flaw) = args.flaws.iter().find(|f| f.trim().is_empty()) {
        return Err(UsageError(format!(
            "--flaw {flaw:?}: expected a flaw name (see fixtures/FLAWS.md)"
        ))
        .into());
    }
    if args.keep_target && matches!(args.target, TargetSpec::Url(_)) {
        return Err(UsageError(format!(
            "--keep-target applies to the embedded portal and to containers cloison starts, not to {}",
            args.target
        ))
        .into());
    }
    if args.concurrency == 0 {
        return Err(UsageError("--concurrency must be at least 1".into()).into());
    }
    let mut secrets = Map::new();
    if let Some(path) = args.secrets.as_ref().or(profile.secrets_file.as_ref()) {
        secrets = load_secrets(path)?;
    }
    let mut config = args.gen_config();
    // A platform without tenants has a world of one departement; existing tenants decide how many.
    config.tenants =
        crate::plan::tenant_selection(&config.tenants, &profile.tenants).map_err(UsageError)?;
    let world = World::generate(&config)
        .map_err(|e| UsageError(format!("cannot generate the world: {e}")))?;
    let tenants = world.tenants.len();

    // Signals are watched from before the deployment: a Ctrl-C while containers start removes them.
    let interrupt = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = tokio::spawn(watch_signals(interrupt.clone()));
    let request = target::DeployRequest {
        profile: &profile,
        secrets: &secrets,
        flaws: &args.flaws,
        allow_remote: args.allow_remote,
        interrupt: &interrupt,
    };
    let deployed = match target::deploy(&args.target, &request).await {
        Ok(deployed) => deployed,
        Err(DeployError::Usage(message)) => {
            watcher.abort();
            return Err(UsageError(message).into());
        }
        Err(DeployError::Failed(message)) => {
            watcher.abort();
            return Ok(failure(
                args,
                &profile,
                tenants,
                format!("could not deploy --target {}: {message}", args.target),
            ));
        }
        Err(DeployError::Interrupted) => {
            watcher.abort();
            let mut result = failure(args, &profile, tenants, String::new());
            result.report.failures.clear();
            result.report.outcome = Outcome::Interrupted;
            result.report.reasons = vec![format!(
                "interrupted by a signal while deploying {}: what was started is removed; nothing was probed",
                args.target
            )];
            result.exit = EXIT_INTERRUPTED;
            return Ok(result);
        }
    };
    let description = deployed.description.clone();
    if matches!(&args.target, TargetSpec::Url(url) if !target::is_loopback(url)) {
        eprintln!(
            "warning: {description}: synthetic tenants, accounts and case files are written now"
        );
    }
    for (name, value) in &deployed.secrets {
        secrets.entry(name.clone()).or_insert(value.clone());
    }
    let secrets = Value::Object(secrets);
    let plan = match Plan::new(world, &profile, &secrets) {
        Ok(plan) => plan,
        Err(e) => {
            // Containers are removed before the error is returned, not left to a background task.
            watcher.abort();
            deployed.teardown().await;
            return Err(UsageError(e.to_string()).into());
        }
    };
    let scanner = Arc::new(plan.scanner());
    let surface = profile.surface();
    let per_cell = args
        .per_cell
        .map(|n| n as usize)
        .or(profile.probing.per_cell)
        .unwrap_or(3);
    let mut planned = cloison_suites::plan(
        &plan.population,
        &profile.policy,
        &surface,
        PlanConfig {
            seed: args.seed,
            per_cell,
        },
    );
    // The OpenAPI document, when there is one: its operations the profile does not describe are probed
    // generically, and the report lists every operation with the families that reached it.
    let mut openapi_warnings = Vec::new();
    let document = match crate::openapi::reach::document(
        args.openapi.as_deref(),
        profile.openapi.as_ref(),
        &deployed.base_url,
        Duration::from_secs(args.timeout.max(1)),
        Duration::from_secs(args.startup_timeout),
    )
    .await
    {
        Ok(document) => document,
        Err(crate::openapi::reach::DocumentError::Usage(message)) => {
            watcher.abort();
            deployed.teardown().await;
            return Err(UsageError(message).into());
        }
        Err(crate::openapi::reach::DocumentError::Unavailable(message)) => {
            openapi_warnings.push(format!(
                "{message}: the operations the profile does not describe were not probed, and the report has no operation coverage"
            ));
            None
        }
    };
    let mut described = std::collections::BTreeMap::new();
    let mut generic = std::collections::BTreeMap::new();
    if let Some(doc) = &document {
        let reach = crate::openapi::reach::plan(
            doc,
            &profile,
            &plan.population,
            &planned,
            crate::openapi::reach::ReachConfig {
                seed: args.seed,
                per_cell,
            },
        );
        reach.apply(&mut planned);
        described = crate::openapi::reach::profile_operations(doc, &profile);
        generic = reach.operation_of;
        profile.generic = reach.endpoints;
    }
    if let Some(shard) = args.shard {
        shard.apply(&mut planned);
    }
    let settings = match HttpSettings::new(
        deployed.base_url.clone(),
        Duration::from_secs(args.timeout.max(1)),
        args.retries,
        Duration::from_millis(50),
    ) {
        Ok(settings) => settings,
        Err(e) => {
            watcher.abort();
            deployed.teardown().await;
            return Err(anyhow::anyhow!("cannot set up TLS: {e}"));
        }
    };
    let settings = HttpSettings {
        redirects: crate::http::Redirects {
            max_hops: profile.probing.max_redirects,
            hosts: profile.probing.follow_hosts.clone(),
            login: profile.refusals.login_redirect.clone(),
        },
        pace: args
            .rate
            .map(|rate| std::sync::Arc::new(crate::http::Pace::new(rate))),
        ..settings
    };
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
        startup_timeout: Duration::from_secs(args.startup_timeout),
        shrink: !args.no_shrink,
        deadline: Some(started + deadline),
        interrupt: interrupt.clone(),
        stateful: args.shard.is_none_or(|s| s.index == 1),
        log,
    };
    // What --keep-target prints after the run (the engine takes its own).
    let (kept_settings, secrets_shown) = (settings.clone(), secrets.clone());
    let engine = match Engine::new(
        &profile,
        &plan,
        settings,
        secrets,
        scanner.as_ref(),
        options,
    ) {
        Ok(engine) => engine,
        Err(err) => {
            watcher.abort();
            deployed.teardown().await;
            return Ok(failure(args, &profile, tenants, err.to_string()));
        }
    };
    // Setup that hangs is cut a minute after the deadline; probes stop at the deadline itself.
    let bounded =
        tokio::time::timeout(deadline + Duration::from_secs(60), engine.run(&planned)).await;
    watcher.abort();
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    // Kept up for the user (--keep-target) once the run has a report; torn down otherwise.
    let mut deployed = Some(deployed);
    let keep = args.keep_target && matches!(bounded, Ok(Ok(_)));
    if !keep && let Some(deployed) = deployed.take() {
        deployed.teardown().await;
    }
    let outcome = match bounded {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(EngineError::Setup(message))) => return Err(UsageError(message).into()),
        Ok(Err(EngineError::Target(message))) => {
            return Ok(failure(args, &profile, tenants, message));
        }
        Err(_) => {
            return Ok(failure(
                args,
                &profile,
                tenants,
                format!(
                    "the run did not finish setting up within its deadline of {} s (--deadline)",
                    args.deadline
                ),
            ));
        }
    };
    let describe = RunDescription {
        plan: &plan,
        secrets: plan_secrets(&plan),
    };
    let (root_causes, findings) =
        report::root_causes(&outcome.events, &outcome.reproducers, &describe);
    let mut failures = outcome.failures.clone();
    let mut warnings = Vec::new();
    let mut reasons = Vec::new();
    let controls_run = outcome.stats.controls;
    let mut controls_failed = 0;
    let mut unauthenticated = 0;
    let mut server_errors: std::collections::BTreeMap<String, usize> = Default::default();
    let mut stateful_refusals = std::collections::BTreeSet::new();
    for event in &outcome.events {
        match &event.verdict {
            // The stateful suite's allowed reads that were refused: the target does not follow the model
            // where it should grant access; not a failure of the target, but nothing can be claimed.
            Verdict::ControlFailed(_) if event.probe.family == cloison_suites::Family::Stateful => {
                // Once per cell: every later sequence meets the same refusal.
                let first = stateful_refusals.insert(event.probe.cell.clone());
                if first {
                    reasons.push(format!(
                        "stateful: the target refused a read the model allows: {}",
                        event.explanation
                    ));
                }
            }
            Verdict::ControlFailed(reason) => {
                controls_failed += 1;
                failures.push(format!(
                    "control: {} ({}) on {}: {reason}{}",
                    event.probe.actor.as_deref().unwrap_or("anonymous"),
                    event.probe.cell.role,
                    event.probe.endpoint,
                    event
                        .exchange
                        .as_ref()
                        .map_or_else(String::new, |e| format!(" ({})", e.request.curl))
                ));
            }
            Verdict::Unauthenticated => unauthenticated += 1,
            Verdict::ServerError(_) | Verdict::RefusedWithError(_) => {
                *server_errors
                    .entry(event.probe.endpoint.clone())
                    .or_default() += 1;
            }
            _ => {}
        }
    }
    for (endpoint, count) in &server_errors {
        warnings.push(format!(
            "{count} server error(s) on {endpoint} with no foreign data and, for writes, no change seen by the owner: reported, not counted as leaks"
        ));
    }
    if outcome.relogins > 0 {
        warnings.push(format!(
            "{} session(s) were not accepted during the run and were renewed by logging in again (sessions that expire are re-checked, never counted as refusals)",
            outcome.relogins
        ));
    }
    if outcome.decode_limited > 0 {
        warnings.push(format!(
            "{} response(s) were decoded only up to cloison's limits (size, nesting or archive members): they were scanned up to there, and canaries past that point were not looked for",
            outcome.decode_limited
        ));
    }
    if unauthenticated > 0 {
        reasons.push(format!(
            "{unauthenticated} probe(s) were answered as unauthenticated even after a new login: their refusals prove nothing"
        ));
    }
    let mut used: std::collections::BTreeSet<String> = outcome.endpoints.keys().cloned().collect();
    used.extend(["health", "reset", "provisioning", "auth.login"].map(String::from));
    let unused: Vec<String> = profile
        .endpoint_keys()
        .into_iter()
        .filter(|key| {
            !used.iter().any(|u| {
                key == u || key.starts_with(&format!("{u}.")) || key.starts_with(&format!("{u}["))
            })
        })
        .filter(|key| !key.ends_with(".create"))
        .collect();
    for key in &unused {
        warnings.push(format!("{key} is declared but no probe used it"));
    }
    let mut coverage = report::coverage(
        &planned.coverage,
        &outcome.executed,
        &outcome.not_applicable,
        outcome.endpoints.clone(),
        unused,
        (controls_run.saturating_sub(controls_failed), controls_run),
    );
    coverage.cells = crate::reporters::cells(&planned, &outcome.events);
    coverage.stateful = outcome.stateful.clone();
    if args.shard.is_some_and(|s| s.index != 1) {
        for family in coverage
            .families
            .iter_mut()
            .filter(|f| f.family == cloison_suites::Family::Stateful.name() && f.probes == 0)
        {
            family.skipped = Some(
                "not applicable in this shard: the stateful suite runs in shard 1 only".into(),
            );
        }
    }
    if let Some(why) = &outcome.stateful.stopped {
        reasons.push(format!("the stateful suite stopped early: {why}"));
    }
    for (kind, (count, status)) in &outcome.stateful.refused {
        if !outcome.stateful.transitions.contains_key(kind) {
            reasons.push(format!(
                "stateful: the target refused every {kind} ({count}, first answer {status}): the transition was never exercised"
            ));
        }
    }
    if let Some(doc) = &document {
        coverage.operations = Some(crate::openapi::coverage::operations(
            doc,
            &described,
            &generic,
            &outcome.tried,
        ));
    }
    warnings.extend(openapi_warnings);
    for family in &coverage.families {
        let applicable = family.planned > 0
            || family
                .skipped
                .as_deref()
                .is_some_and(|s| !s.starts_with("not applicable"));
        if applicable && family.probes == 0 {
            reasons.push(format!(
                "family {} applies but ran no probe: {}",
                family.family,
                family.skipped.as_deref().unwrap_or("no probe was executed")
            ));
        }
        if let Some(errors) = (family.probes > 0).then(|| {
            outcome
                .events
                .iter()
                .filter(|e| {
                    e.probe.family.name() == family.family
                        && matches!(e.verdict, Verdict::ServerError(_))
                })
                .count()
        }) && errors * 2 > family.probes
        {
            reasons.push(format!(
                "family {}: {errors} of {} probes got server errors",
                family.family, family.probes
            ));
        }
    }
    if controls_run == 0 {
        reasons.push(
            "no control could be planned: nothing shows the target serves its data at all".into(),
        );
    }
    if outcome.past_deadline > 0 {
        reasons.push(format!(
            "the deadline of {} s passed: {} probe(s) were not sent (--deadline)",
            args.deadline, outcome.past_deadline
        ));
    }
    if outcome.abandoned > 0 {
        failures.push(format!(
            "the target failed {} times in a row: cloison gave up, {} probe(s) were not sent",
            crate::engine::GIVE_UP_AFTER,
            outcome.abandoned
        ));
    }
    let interrupted = interrupt.load(std::sync::atomic::Ordering::SeqCst);
    if interrupted {
        reasons.push(format!(
            "interrupted by a signal: {} probe(s) were not sent; this report is partial",
            outcome.interrupted
        ));
    }
    let status = if interrupted {
        Outcome::Interrupted
    } else if !root_causes.is_empty() {
        Outcome::Findings
    } else if !failures.is_empty() {
        Outcome::TargetFailure
    } else if !reasons.is_empty() {
        Outcome::Inconclusive
    } else {
        Outcome::Clean
    };
    let exit = match status {
        Outcome::Clean => EXIT_OK,
        Outcome::Findings => EXIT_FINDINGS,
        Outcome::TargetFailure => EXIT_TARGET,
        Outcome::Inconclusive => EXIT_INCONCLUSIVE,
        Outcome::Interrupted => EXIT_INTERRUPTED,
    };
    let report = Report {
        schema_version: report::SCHEMA_VERSION.into(),
        profile: profile_name(args),
        profile_digest: profile_digest(&profile),
        cloison_version: env!("CARGO_PKG_VERSION").into(),
        shard: args.shard.map(|s| s.to_string()),
        target: args.target.to_string(),
        deployment: description,
        platform: profile.name.clone(),
        seed: args.seed,
        replay: args.replay_command(),
        tenants,
        cases: args.cases,
        outcome: status,
        reasons,
        stats: outcome.stats,
        coverage,
        root_causes,
        findings,
        warnings,
        failures,
    };
    // Still deployed here only when kept (`--keep-target`, which a URL target refuses).
    let kept = match deployed {
        Some(deployed) if args.keep_target => {
            let notes = kept_notes(
                &deployed,
                &kept_settings,
                &profile,
                &plan,
                &report,
                &secrets_shown,
            );
            Some(KeptTarget { deployed, notes })
        }
        Some(deployed) => {
            deployed.teardown().await;
            None
        }
        None => None,
    };
    Ok(RunResult { report, exit, kept })
}

/// What `--keep-target` prints: the portal's URL, the operator token, and, for each identity of the
/// reproducers (or a few identities when there is none), its login, password and a login command.
fn kept_notes(
    deployed: &target::Deployed,
    settings: &HttpSettings,
    profile: &Profile,
    plan: &Plan,
    report: &Report,
    secrets: &Value,
) -> String {
    let what = if deployed.is_embedded() {
        "the embedded portal".to_string()
    } else {
        format!("the deployment ({})", deployed.description)
    };
    let mut out = format!(
        "\n--keep-target: {what} stays up at {}\n",
        deployed.base_url
    );
    for (name, value) in &deployed.secrets {
        if let Some(value) = value.as_str() {
            out.push_str(&format!("  {name}: {value}\n"));
        }
    }
    let mut keys: Vec<&str> = Vec::new();
    for cause in &report.root_causes {
        let finding = &cause.reproducer;
        for key in std::iter::once(&finding.actor).chain(&finding.victim) {
            if !keys.contains(&key.identity.as_str()) {
                keys.push(&key.identity);
            }
        }
    }
    if keys.is_empty() {
        out.push_str("  no reproducer to replay; a few identities to explore with:\n");
        keys.extend(plan.accounts.iter().take(3).map(|a| a.key.as_str()));
    } else {
        out.push_str(
            "  the identities of the reproducers: log in, then put what the login gives where a reproducer \
             says <redacted: credential of LOGIN> (see the profile's [auth]):\n",
        );
    }
    for key in keys {
        let Some(account) = plan.account(key) else {
            continue;
        };
        out.push_str(&format!(
            "  {} ({}, tenant {}): login {} password {}\n",
            account.key, account.role, account.tenant, account.login, account.password
        ));
        if let Some(login) = &profile.auth.login {
            let tenant = plan
                .world
                .tenant(account.tenant_id)
                .map_or(Value::Null, |t| {
                    serde_json::to_value(t).unwrap_or(Value::Null)
                });
            let ctx = serde_json::json!({
                "tenant": tenant,
                "identity": plan.identity_context(profile, account, None),
                "secrets": secrets,
            });
            if let Ok(curl) = crate::http::curl_in_clear(settings, login, &ctx) {
                out.push_str(&format!("    {curl}\n"));
            }
        }
    }
    out.push_str(if deployed.is_embedded() {
        "Ctrl-C (or SIGTERM) stops the portal.\n"
    } else {
        "Ctrl-C (or SIGTERM) stops the deployment and removes its containers and network.\n"
    });
    out
}

/// Set `flag` on SIGINT (Ctrl-C) or SIGTERM: the engine stops sending probes, the target is torn down, and the
/// partial report is written.
async fn watch_signals(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    eprintln!(
        "interrupted: stopping the probes, tearing the target down, writing a partial report"
    );
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// The profile file of a run, as reports name it.
fn profile_name(args: &RunArgs) -> String {
    args.profile.as_ref().map_or_else(
        || "fixtures/profiles/reference-portal.toml".to_string(),
        |p| p.display().to_string(),
    )
}

/// SHA-256 of the profile's text, as loaded for the run (the file is not read again).
fn profile_digest(profile: &Profile) -> String {
    crate::reporters::sha256_hex(profile.text.as_bytes())
}

/// Every credential of a plan's accounts.
fn plan_secrets(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = plan
        .accounts
        .iter()
        .flat_map(|a| std::iter::once(a.password.clone()).chain(a.token.clone()))
        .filter(|s| s.len() >= 4)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Parties and secrets of a run, for findings.
struct RunDescription<'a> {
    plan: &'a Plan,
    secrets: Vec<String>,
}

impl Describe for RunDescription<'_> {
    fn party(&self, key: &str) -> Option<Party> {
        self.plan.population.identity(key).map(|i| Party {
            identity: i.key.clone(),
            role: i.role.clone(),
            tenant: i.tenant.clone(),
        })
    }

    fn victim(&self, record: &str) -> Option<Party> {
        let record = self.plan.population.record(record)?;
        let steward = self.plan.population.steward_of(record)?;
        self.party(&steward.key)
    }

    fn secrets(&self) -> Vec<String> {
        self.secrets.clone()
    }
}

fn failure(args: &RunArgs, profile: &Profile, tenants: usize, message: String) -> RunResult {
    RunResult {
        report: Report {
            schema_version: report::SCHEMA_VERSION.into(),
            profile: profile_name(args),
            profile_digest: profile_digest(profile),
            cloison_version: env!("CARGO_PKG_VERSION").into(),
            shard: args.shard.map(|s| s.to_string()),
            target: args.target.to_string(),
            deployment: String::new(),
            platform: profile.name.clone(),
            seed: args.seed,
            replay: args.replay_command(),
            tenants,
            cases: args.cases,
            outcome: Outcome::TargetFailure,
            reasons: Vec::new(),
            stats: Default::default(),
            coverage: Default::default(),
            root_causes: Vec::new(),
            findings: Vec::new(),
            warnings: Vec::new(),
            failures: vec![message],
        },
        exit: EXIT_TARGET,
        kept: None,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn run_reads_tenants_as_generate_does() {
        let run_tenants =
            |text: &str| match Cli::try_parse_from(["cloison", "run", "--tenants", text]) {
                Ok(Cli {
                    command: Command::Run(args),
                }) => Ok(args.tenants),
                Ok(_) => Err("not a run".to_string()),
                Err(e) => Err(e.to_string()),
            };
        for text in ["3", "101", "01", "2A", "971", "13,", "75,2A,971"] {
            let generate = crate::generate::GenerateArgs {
                tenants: text.into(),
                ..Cli::try_parse_from(["cloison", "generate"])
                    .ok()
                    .and_then(|c| match c.command {
                        Command::Generate(g) => Some(g),
                        _ => None,
                    })
                    .expect("generate's defaults")
            };
            let generated = crate::generate::config(&generate).expect("generate reads it");
            assert_eq!(run_tenants(text), Ok(generated.tenants), "{text}");
        }
        // `01` is the Ain alone, not one tenant; `13,` is the Bouches-du-Rhone, not 13 tenants.
        assert_eq!(
            run_tenants("01"),
            Ok(TenantSelection::Codes(vec!["01".into()]))
        );
        assert_eq!(
            run_tenants("13,"),
            Ok(TenantSelection::Codes(vec!["13".into()]))
        );
        for refused in ["0", "102", "2A,2A", "", "ZZ"] {
            assert!(run_tenants(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn replay_command_parses_back_to_the_same_run() {
        let args = RunArgs {
            target: "image:cloison-portal:dev".parse().expect("valid target"),
            profile: Some(PathBuf::from("profiles/my-platform.toml")),
            seed: 42,
            tenants: TenantSelection::Count(3),
            cases: 40,
            flaws: vec!["document-idor".into(), "case-idor".into()],
            ..RunArgs::default()
        };
        let replay = args.replay_command();
        assert_eq!(
            replay,
            "cloison run --target 'image:cloison-portal:dev' --seed 42 --tenants 3 --cases 40 \
             --profile 'profiles/my-platform.toml' --flaw 'document-idor' --flaw 'case-idor'"
        );
        // No argument here contains a space, so unquoting word by word is what a shell would do.
        let words = replay.split(' ').map(|w| w.trim_matches('\''));
        let Command::Run(parsed) = Cli::try_parse_from(words).expect("replay parses").command
        else {
            panic!("replay is not a run command");
        };
        assert_eq!(parsed.target.to_string(), args.target.to_string());
        assert_eq!(parsed.profile, args.profile);
        assert_eq!(
            (parsed.seed, parsed.tenants, parsed.cases),
            (args.seed, args.tenants, args.cases)
        );
        assert_eq!(parsed.flaws, args.flaws);
    }

    #[test]
    fn replay_keeps_the_pace_and_limits_that_change_what_the_target_answers() {
        let args = RunArgs {
            concurrency: 4,
            rate: Some(50),
            timeout: 30,
            retries: 0,
            deadline: 600,
            no_shrink: true,
            ..RunArgs::default()
        };
        let replay = args.replay_command();
        for flag in [
            " --concurrency 4",
            " --rate 50",
            " --timeout 30",
            " --retries 0",
            " --deadline 600",
            " --no-shrink",
        ] {
            assert!(replay.contains(flag), "{flag} missing from {replay}");
        }
        let words = replay.split(' ').map(|w| w.trim_matches('\''));
        let Command::Run(parsed) = Cli::try_parse_from(words).expect("replay parses").command
        else {
            panic!("replay is not a run command");
        };
        assert_eq!(
            (
                parsed.concurrency,
                parsed.rate,
                parsed.timeout,
                parsed.retries
            ),
            (4, Some(50), 30, 0)
        );
        assert_eq!((parsed.deadline, parsed.no_shrink), (600, true));
        // Defaults stay out of the command line.
        let plain = RunArgs::default().replay_command();
        assert!(
            !plain.contains("--concurrency") && !plain.contains("--rate"),
            "{plain}"
        );
    }
}
