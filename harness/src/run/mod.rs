//! `cloison run`: deploy a target, provision and seed it, run the suites, judge, report.
//!
//! [`execute`] runs the phases in order: [`phases::prepare`] (profile, secrets, world: usage errors),
//! [`phases::deploy`] (the target), [`phases::plan_probes`] and [`phases::drive`] (the engine over the
//! target), then the target is torn down (in one place, unless kept with `--keep-target`), and
//! [`judge::judge`] makes the report, whose outcome `cloison_suites::outcome::classify` decides. [`run`]
//! prints and writes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cloison_suites::outcome::classify_setup;

use crate::exit::{self, CliError};
use crate::report::{self, Report};
use crate::reporters::Outputs;

mod args;
pub mod dry;
mod judge;
mod keep;
mod phases;
mod regression;
mod secrets;

pub use args::{RunArgs, parse_fail_on};
pub use keep::KeptTarget;
pub use secrets::load_secrets as load_secrets_file;

/// The result of a run: its report and its exit code.
#[derive(Debug)]
pub struct RunResult {
    /// The report.
    pub report: Report,
    /// Exit code (0 clean, 1 findings, 3 target failure, 4 inconclusive, 130 interrupted).
    pub exit: u8,
    /// With `--keep-target`: the embedded portal or the containers, still up, and what replaying needs.
    pub kept: Option<KeptTarget>,
}

impl RunResult {
    fn of(report: Report, kept: Option<KeptTarget>) -> Self {
        Self {
            exit: exit::code(report.outcome),
            report,
            kept,
        }
    }
}

/// Entry point of `cloison run`: print the summary, write the reports; the outcome is the exit code.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    if args.dry_run {
        return dry_run(args);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::Failed(anyhow::Error::new(e).context("starting the async runtime"))
        })?;
    let to_stdout = args.outputs.json_to_stdout();
    if let Some(path) = args.outputs.json.as_ref().filter(|_| !to_stdout) {
        // Check the output before running: a report that cannot be written is a usage error now, not a
        // target failure after minutes of probing.
        crate::input::check_output(path)
            .and_then(|()| std::fs::write(path, b"{}"))
            .map_err(|e| {
                CliError::usage(format!(
                    "{}: cannot write the JSON report: {e}",
                    path.display()
                ))
            })?;
    }
    let outputs = Outputs::new(&args.outputs);
    outputs
        .check()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let result = match runtime.block_on(execute(args)) {
        Ok(result) => result,
        Err(err) => {
            outputs.discard();
            write_error(args, &err);
            return Err(err);
        }
    };
    write(args, &outputs, &result.report)?;
    if let Some(kept) = result.kept {
        runtime.block_on(kept.serve_until_signal(to_stdout));
    }
    CliError::check(result.report.outcome)
}

/// `--dry-run`: the profile loaded, the world generated and the probes planned as a run would, then the
/// plan printed; nothing is deployed and no request is sent.
fn dry_run(args: &RunArgs) -> Result<(), CliError> {
    let redact = crate::redact::Secrets::default();
    let (prepared, world) = phases::prepare(args, &redact)?;
    let secrets = serde_json::Value::Object(prepared.secrets.clone());
    let per_cell = args.per_cell.map(|n| n as usize);
    let offline = dry::plan_offline(&prepared.profile, &secrets, world, args.seed, per_cell)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{}", dry::describe(&prepared.profile, &offline));
    Ok(())
}

/// The short error form of the JSON report, wherever a JSON report was asked for (`--report DIR`
/// included).
fn write_error(args: &RunArgs, err: &CliError) {
    let json = serde_json::json!({
        "schema_version": report::SCHEMA_VERSION,
        "cloison_version": env!("CARGO_PKG_VERSION"),
        "outcome": if matches!(err, CliError::Usage(_)) { "usage-error" } else { "error" },
        "error": crate::input::bounded(&format!("{err:#}")),
        "seed": args.seed,
        "replay": args.replay_command(),
    });
    let to_stdout = args.outputs.json_to_stdout();
    let report_json = args
        .outputs
        .report
        .as_ref()
        .map(|dir| dir.join("report.json"));
    for path in args.outputs.json.iter().chain(&report_json) {
        if to_stdout && args.outputs.json.as_ref() == Some(path) {
            println!("{json}");
        } else {
            let _ = std::fs::write(path, json.to_string());
        }
    }
}

/// Print the summary (to standard error when the JSON report goes to standard output), then write the
/// JSON report and every other format asked for.
fn write(args: &RunArgs, outputs: &Outputs, report: &Report) -> Result<(), CliError> {
    let to_stdout = args.outputs.json_to_stdout();
    let failed = |e: anyhow::Error| CliError::Failed(e);
    let summary = crate::term::paint(report, to_stdout);
    if to_stdout {
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }
    if let Some(path) = &args.outputs.json {
        let json = serde_json::to_string_pretty(report)
            .map_err(|e| failed(anyhow::Error::new(e).context("serialising the report")))?;
        if to_stdout {
            println!("{json}");
        } else {
            std::fs::write(path, json).map_err(|e| {
                failed(
                    anyhow::Error::new(e)
                        .context(format!("writing the JSON report to {}", path.display())),
                )
            })?;
            println!("report written to {}", path.display());
        }
    }
    let written = outputs
        .write(report)
        .map_err(|e| failed(anyhow::Error::new(e)))?;
    for path in written {
        if to_stdout {
            eprintln!("report written to {}", path.display());
        } else {
            println!("report written to {}", path.display());
        }
    }
    Ok(())
}

/// Run without printing: prepare, deploy, drive, tear down, judge. Usage errors and failures of the
/// environment come back as errors; a target that fails, or a signal, as a report (exit code 3 or 130).
pub async fn execute(args: &RunArgs) -> Result<RunResult, CliError> {
    // One set of credentials for the whole run: every phase adds what it holds or receives; the report
    // (every format is made from it) and any error are redacted with it.
    let redact = crate::redact::Secrets::default();
    execute_with(args, &redact)
        .await
        .map_err(|err| err.redacted(&redact))
}

/// [`execute`], with the run's set of credentials.
async fn execute_with(
    args: &RunArgs,
    redact: &crate::redact::Secrets,
) -> Result<RunResult, CliError> {
    let (mut prepared, world) = phases::prepare(args, redact)?;
    // Signals are watched from before the deployment: a Ctrl-C while containers start removes them.
    let interrupt = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(keep::watch_signals(interrupt.clone()));
    let deployed = match phases::deploy(args, &mut prepared, &interrupt).await {
        Ok(deployed) => deployed,
        Err(halt) => {
            watcher.abort();
            return halted(args, &prepared, halt);
        }
    };
    let description = deployed.description.clone();
    let driven = drive(args, &mut prepared, world, &deployed, &interrupt).await;
    watcher.abort();
    // The one teardown: the target stays up only for the user (--keep-target) once the run has a report.
    let kept = match &driven {
        Ok(_) if args.keep_target => Some(deployed),
        _ => {
            deployed.teardown().await;
            None
        }
    };
    let (probing, settings, observed) = match driven {
        Ok(driven) => driven,
        Err(halt) => return halted(args, &prepared, halt),
    };
    // A body the platform rejects whoever sends it is the profile's mistake: a profile error, no report.
    if let Some(err) = judge::bodies_rejected(&prepared.profile, &observed) {
        return Err(err);
    }
    let interrupted = interrupt.load(Ordering::SeqCst);
    let mut report = judge::judge(
        args,
        &prepared,
        &probing,
        observed,
        description,
        interrupted,
    );
    paced(&mut report, settings.pacer.report());
    // The one choke point of the report: every reporter, and the kept target's notes, read it redacted.
    let report = crate::redact::report(report, redact);
    let kept = kept.map(|deployed| KeptTarget {
        notes: keep::kept_notes(
            &deployed,
            &settings,
            &prepared.profile,
            &probing.plan,
            &report,
            &probing.secrets,
        ),
        deployed,
    });
    Ok(RunResult::of(report, kept))
}

/// Plan the probes over the deployed target and drive the engine; the HTTP settings are kept for what
/// `--keep-target` prints.
async fn drive(
    args: &RunArgs,
    prepared: &mut phases::Prepared,
    world: cloison_generators::LazyWorld,
    deployed: &crate::target::Deployed,
    interrupt: &Arc<AtomicBool>,
) -> Result<
    (
        phases::Probing,
        crate::http::HttpSettings,
        crate::engine::Outcome,
    ),
    phases::Halt,
> {
    // One startup wait from here, for the OpenAPI document and the health check together.
    let startup = std::time::Instant::now() + std::time::Duration::from_secs(args.startup_timeout);
    let probing = phases::plan_probes(args, prepared, world, &deployed.base_url, startup).await?;
    let settings = phases::http_settings(args, &prepared.profile, &deployed.base_url)?;
    let observed = phases::drive(
        args,
        prepared,
        &probing,
        settings.clone(),
        interrupt,
        (startup, deployed.app_logs()),
    )
    .await?;
    Ok((probing, settings, observed))
}

/// The end of a run that did not get to judging: an error, or a report of a target failure or an
/// interruption.
fn halted(
    args: &RunArgs,
    prepared: &phases::Prepared,
    halt: phases::Halt,
) -> Result<RunResult, CliError> {
    match halt {
        phases::Halt::Error(err) => Err(err),
        phases::Halt::Report(stopped) => {
            let phases::Stopped { why, made } = *stopped;
            let classification = classify_setup(why);
            let mut report =
                judge::report_of(args, &prepared.profile, prepared.tenants, classification);
            // What setup made before it stopped: the report says so, not "0 identities".
            report.stats = made;
            Ok(RunResult::of(
                crate::redact::report(report, &prepared.redact),
                None,
            ))
        }
    }
}

/// The pace the run used, in its report; a run that ended as a target failure after signs of overload also
/// says which flag to change.
fn paced(report: &mut Report, pace: crate::http::PaceReport) {
    if report.outcome == report::Outcome::TargetFailure
        && let Some(advice) = pace.advice()
    {
        report.warnings.push(advice);
    }
    report.pace = Some(pace);
}
