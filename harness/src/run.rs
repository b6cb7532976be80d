//! `cloison run`: deploy a target, provision and seed it, run the direct-read suite, report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use clap::builder::TypedValueParser as _;
use cloison_generators::{GenConfig, World};
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
    /// Target: `embedded` (the reference portal in-process), `image:NAME[:TAG]` (a container), or `url:URL`
    /// (an existing deployment; a non-loopback host needs --allow-remote).
    #[arg(long, default_value = "embedded", value_parser = parse_target)]
    pub target: TargetSpec,
    /// Target profile (TOML); default: the reference portal's, embedded.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Secrets file (TOML strings) for `{{secrets.NAME}}`; overrides the profile's `secrets_file`.
    #[arg(long)]
    pub secrets: Option<PathBuf>,
    /// Seed of the world: the same seed gives the same data, probes and verdict.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of tenants (MDPH), 1 to 101.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=101).map(|n| n as usize))]
    pub tenants: usize,
    /// Number of case files, 1 to 1,000,000.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub cases: u64,
    /// Authorization flaw to switch on in the embedded portal or image (repeatable; see fixtures/FLAWS.md).
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
    /// Do not draw progress bars.
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

impl RunArgs {
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
            secrets: None,
            seed: 1,
            tenants: 2,
            cases: 16,
            flaws: Vec::new(),
            allow_remote: false,
            json: None,
            report: None,
            junit: None,
            sarif: None,
            html: None,
            concurrency: 16,
            timeout: 10,
            retries: 3,
            startup_timeout: 30,
            per_cell: None,
            deadline: 1800,
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
        std::fs::write(path, b"{}").map_err(|e| {
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
                "error": format!("{err:#}"),
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
    let profile = match &args.profile {
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
    if args.concurrency == 0 {
        return Err(UsageError("--concurrency must be at least 1".into()).into());
    }
    let mut secrets = Map::new();
    if let Some(path) = args.secrets.as_ref().or(profile.secrets_file.as_ref()) {
        secrets = load_secrets(path)?;
    }
    let config = GenConfig::new(args.seed, args.tenants, args.cases);
    let world = World::generate(&config)
        .map_err(|e| UsageError(format!("cannot generate the world: {e}")))?;
    let tenants = world.tenants.len();

    let deployed = match target::deploy(&args.target, &args.flaws, args.allow_remote).await {
        Ok(deployed) => deployed,
        Err(DeployError::Usage(message)) => return Err(UsageError(message).into()),
        Err(DeployError::Failed(message)) => {
            return Ok(failure(
                args,
                &profile,
                tenants,
                format!("could not deploy {}: {message}", args.target),
            ));
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
    let plan = Plan::new(world, &profile, &secrets).map_err(|e| UsageError(e.to_string()))?;
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
    if let Some(shard) = args.shard {
        shard.apply(&mut planned);
    }
    let settings = HttpSettings::new(
        deployed.base_url.clone(),
        Duration::from_secs(args.timeout.max(1)),
        args.retries,
        Duration::from_millis(50),
    )
    .map_err(|e| anyhow::anyhow!("cannot set up TLS: {e}"))?;
    let settings = HttpSettings {
        redirects: crate::http::Redirects {
            max_hops: profile.probing.max_redirects,
            hosts: profile.probing.follow_hosts.clone(),
            login: profile.refusals.login_redirect.clone(),
        },
        ..settings
    };
    let started = std::time::Instant::now();
    let deadline = Duration::from_secs(args.deadline);
    let interrupt = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = tokio::spawn(watch_signals(interrupt.clone()));
    let options = EngineOptions {
        concurrency: args.concurrency,
        progress: !args.quiet,
        startup_timeout: Duration::from_secs(args.startup_timeout),
        shrink: !args.no_shrink,
        deadline: Some(started + deadline),
        interrupt: interrupt.clone(),
    };
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
            deployed.teardown().await;
            return Ok(failure(args, &profile, tenants, err.to_string()));
        }
    };
    // Setup that hangs is cut a minute after the deadline; probes stop at the deadline itself.
    let bounded =
        tokio::time::timeout(deadline + Duration::from_secs(60), engine.run(&planned)).await;
    watcher.abort();
    deployed.teardown().await;
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
    for event in &outcome.events {
        match &event.verdict {
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
    if unauthenticated > 0 {
        reasons.push(format!(
            "{unauthenticated} probe(s) were answered as unauthenticated even after a new login: their refusals prove nothing"
        ));
    }
    let mut used: std::collections::BTreeSet<String> = outcome.endpoints.keys().cloned().collect();
    used.extend(["health", "provisioning", "auth.login"].map(String::from));
    let unused: Vec<String> = profile
        .endpoint_keys()
        .into_iter()
        .filter(|key| {
            !used
                .iter()
                .any(|u| key == u || key.starts_with(&format!("{u}.")))
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
    Ok(RunResult { report, exit })
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
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn replay_command_parses_back_to_the_same_run() {
        let args = RunArgs {
            target: "image:cloison-portal:dev".parse().expect("valid target"),
            profile: Some(PathBuf::from("profiles/my-platform.toml")),
            seed: 42,
            tenants: 3,
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
}
