//! `cloison bench --corpus`, `bench score` and `bench serve`: cloison as an isolation benchmark.
//!
//! - [`cases`]: the corpus (the reference portal's flaws and hardened seeds, and the platforms of
//!   `cloison_fixtures::corpus` with their truth files) as cases with ground truth as plain data;
//! - [`runner`]: one case run at default flags, its root causes read as detections;
//! - [`sarif`]: another tool's SARIF results read as detections;
//! - [`scorecard`] and [`html`]: the scores (`cloison_suites::score` decides them) as a table, JSON and a
//!   page with the TPR/FPR plot;
//! - [`serve`]: a case's target kept up for another tool.

pub mod cases;
pub mod html;
pub mod runner;
pub mod sarif;
pub mod scorecard;
pub mod serve;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use cloison_suites::score::score;

use crate::exit::CliError;
use cases::{Case, all_cases, find_case};
use scorecard::{CaseResult, Scorecard};

/// Arguments of `cloison bench score`.
#[derive(Debug, Clone, Args)]
pub struct ScoreArgs {
    /// Another tool's SARIF 2.1.0 results on the case's target.
    #[arg(long, value_name = "FILE")]
    pub sarif: PathBuf,
    /// The case its results are scored on (`cloison bench serve --list` names them).
    #[arg(long, value_name = "NAME")]
    pub case: String,
    /// Write the scorecard as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the scorecard as an HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Arguments of `cloison bench serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The case whose target to keep up (`portal/case-idor`, `serrure/flawed`...).
    #[arg(value_name = "CASE", required_unless_present = "list")]
    pub case: Option<String>,
    /// List the cases of the corpus and exit.
    #[arg(long)]
    pub list: bool,
}

/// The cases named (each a case name, or a prefix ending in `/`: `serrure/`), else every case; unknown
/// names are usage errors, all at once.
pub fn selected_cases(names: &[String]) -> Result<Vec<Case>, CliError> {
    let cases = all_cases().map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        CliError::Failed(anyhow::anyhow!(list.join("\n")))
    })?;
    if names.is_empty() {
        return Ok(cases);
    }
    let wanted = |case: &Case| {
        names
            .iter()
            .any(|n| case.name == *n || (n.ends_with('/') && case.name.starts_with(n.as_str())))
    };
    let unknown: Vec<&str> = (names.iter())
        .filter(|n| {
            !cases
                .iter()
                .any(|c| c.name == **n || (n.ends_with('/') && c.name.starts_with(n.as_str())))
        })
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(CliError::usage(format!(
            "--case: no case {} (`cloison bench serve --list` names them)",
            unknown.join(", ")
        )));
    }
    Ok(cases.into_iter().filter(wanted).collect())
}

fn failed(what: String) -> impl FnOnce(std::io::Error) -> CliError {
    move |e| CliError::Failed(anyhow::Error::new(e).context(what))
}

/// Check now that `path` can be written (not after minutes of runs).
fn check_writable(path: &Option<PathBuf>, what: &str) -> Result<(), CliError> {
    if let Some(path) = path {
        crate::input::check_output(path)
            .and_then(|()| std::fs::write(path, b""))
            .map_err(|e| {
                CliError::usage(format!("{}: cannot write the {what}: {e}", path.display()))
            })?;
    }
    Ok(())
}

/// Write the scorecard's JSON and HTML where asked.
fn write_outputs(
    card: &Scorecard,
    json: &Option<PathBuf>,
    html: &Option<PathBuf>,
) -> Result<(), CliError> {
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(card).map_err(|e| {
            CliError::Failed(anyhow::Error::new(e).context("serialising the scorecard"))
        })?;
        std::fs::write(path, text).map_err(failed(format!("writing {}", path.display())))?;
        println!("scorecard written to {}", path.display());
    }
    if let Some(path) = html {
        std::fs::write(path, html::render(card))
            .map_err(failed(format!("writing {}", path.display())))?;
        println!("scorecard page written to {}", path.display());
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(failed("starting the async runtime".into()))
}

/// Run one case and score it.
async fn measure_case(
    i: usize,
    total: usize,
    case: &Case,
    quiet: bool,
) -> Result<CaseResult, CliError> {
    let run = runner::run_case(case).await?;
    if run.outcome == crate::report::Outcome::Interrupted {
        // A signal stops the whole bench, not the case alone.
        return Err(CliError::Outcome(run.outcome));
    }
    let scored = score(&case.truth, &run.detections);
    let mut result = CaseResult::new(case, &scored, run.detections.len());
    result.outcome =
        (serde_json::to_value(run.outcome).ok()).and_then(|v| v.as_str().map(str::to_string));
    result.exit = Some(run.exit);
    result.seconds = Some(run.seconds);
    if !quiet {
        eprintln!(
            "bench: [{}/{total}] {}: TP {} FP {} FN {} TN {} ({} probes, {:.2} s)",
            i + 1,
            case.name,
            result.tp,
            result.fp,
            result.r#fn,
            result.tn,
            run.probes,
            run.seconds
        );
    }
    Ok(result)
}

/// Run `cases`, `jobs` at a time (each against its own target), and score each; the scorecard keeps the
/// corpus order.
pub async fn measure(cases: &[Case], jobs: usize, quiet: bool) -> Result<Scorecard, CliError> {
    use futures_util::{StreamExt as _, TryStreamExt as _};
    let started = Instant::now();
    let total = cases.len();
    // In order; the first error (a signal) stops the bench, the cases still running dropped.
    let results: Vec<CaseResult> = futures_util::stream::iter(cases.iter().enumerate())
        .map(|(i, case)| measure_case(i, total, case, quiet))
        .buffered(jobs.max(1))
        .try_collect()
        .await?;
    Ok(Scorecard::new(
        format!("cloison {}", env!("CARGO_PKG_VERSION")),
        results,
        Some(started.elapsed().as_secs_f64()),
    ))
}

/// `cloison bench --corpus`: run the cases, print the scorecard, write it; a miss or a false positive
/// ends with [`CliError::BenchFailed`].
pub fn run_corpus(
    names: &[String],
    jobs: usize,
    json: &Option<PathBuf>,
    html: &Option<PathBuf>,
    quiet: bool,
) -> Result<(), CliError> {
    let cases = selected_cases(names)?;
    check_writable(json, "JSON scorecard")?;
    check_writable(html, "HTML scorecard")?;
    let card = runtime()?.block_on(measure(&cases, jobs, quiet))?;
    print!("{}", card.table());
    write_outputs(&card, json, html)?;
    if card.perfect() {
        Ok(())
    } else {
        Err(CliError::BenchFailed)
    }
}

/// Score a SARIF file on one case.
pub fn score_sarif(case: &Case, path: &Path, text: &str) -> Result<Scorecard, CliError> {
    let (tool, detections) = sarif::read(&path.display().to_string(), text)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let scored = score(&case.truth, &detections);
    Ok(Scorecard::new(
        tool,
        vec![CaseResult::new(case, &scored, detections.len())],
        None,
    ))
}

/// `cloison bench score`: print and write another tool's scorecard on one case (exit 0 whatever it
/// scored: the score is the result).
pub fn run_score(args: &ScoreArgs) -> Result<(), CliError> {
    let case = find_case(&args.case).ok_or_else(|| {
        CliError::usage(format!(
            "--case: no case {} (`cloison bench serve --list` names them)",
            args.case
        ))
    })?;
    let text = std::fs::read_to_string(&args.sarif)
        .map_err(|e| CliError::usage(format!("{}: cannot read: {e}", args.sarif.display())))?;
    let card = score_sarif(&case, &args.sarif, &text)?;
    check_writable(&args.json, "JSON scorecard")?;
    check_writable(&args.html, "HTML scorecard")?;
    print!("{}", card.table());
    write_outputs(&card, &args.json, &args.html)
}

/// `cloison bench serve`.
pub fn run_serve(args: &ServeArgs) -> Result<(), CliError> {
    if args.list {
        for case in selected_cases(&[])? {
            println!("{:<40} {}", case.name, case.summary);
        }
        return Ok(());
    }
    let name = args.case.clone().unwrap_or_default();
    let case = find_case(&name).ok_or_else(|| {
        CliError::usage(format!(
            "no case {name} (`cloison bench serve --list` names them)"
        ))
    })?;
    runtime()?.block_on(serve::serve(&case))
}
