//! `cloison bench`: run the suites against the embedded reference portal with each of its flaws switched on
//! alone, then hardened over several seeds, and print what was caught, by which families, how fast, and
//! whether the hardened portal stayed clean.
//!
//! By default it does all of that twice: against the plain portal, then against the portal with its realism
//! knobs on (`--target embedded:realistic`: few workers, slow password checks, short sessions, overlapping
//! writes that fail), where every flaw must still be caught at default flags.
//!
//! Every run is an ordinary `cloison run` ([`crate::run::execute`]); the bench only reads the reports (root
//! causes, first detections, reproducers, findings). Nothing here knows the portal's routes or JSON shapes;
//! only the flaw names of `cloison_fixtures::Flaw` are used.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use clap::builder::TypedValueParser as _;
use cloison_fixtures::Flaw;
use serde::Serialize;

use crate::exit::{CliError, EXIT_FINDINGS, EXIT_OK};

/// The most findings one flaw may give: each is one missing check, so a reader counting findings as bugs
/// is at most this far off.
pub const MAX_FINDINGS: usize = 3;
use crate::report::{Finding, Outcome, Report};
use crate::run::{RunArgs, execute};
use crate::target::TargetSpec;

/// Against which portal a bench runs its flaws and hardened seeds (`--realism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RealismRows {
    /// The plain portal, then the portal with its realism knobs on.
    Both,
    /// The plain portal only.
    Off,
    /// The portal with its realism knobs on only.
    Only,
}

impl RealismRows {
    /// The row sets, in order: `false` the plain portal, `true` the realistic one.
    fn sets(self) -> &'static [bool] {
        match self {
            RealismRows::Both => &[false, true],
            RealismRows::Off => &[false],
            RealismRows::Only => &[true],
        }
    }
}

/// Arguments of `cloison bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Hardened runs: seeds 1 to N, each of which must be clean.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub seeds: u64,
    /// Seed of the world of the flawed runs.
    #[arg(long, default_value_t = RunArgs::default().seed)]
    pub seed: u64,
    /// Number of case files of every run.
    #[arg(long, default_value_t = RunArgs::default().cases)]
    pub cases: u64,
    /// Number of tenants (MDPH) of every run.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=101).map(|n| n as usize))]
    pub tenants: usize,
    /// Bench only this flaw (repeatable; default: every flaw of fixtures/FLAWS.md).
    #[arg(long = "flaw", value_name = "NAME")]
    pub flaws: Vec<String>,
    /// Which portal: `both` (the plain one, then the same flaws and hardened seeds with its realism knobs
    /// on, as `--target embedded:realistic`), `off` (the plain one only) or `only` (the realistic one only).
    #[arg(long, value_enum, default_value_t = RealismRows::Both)]
    pub realism: RealismRows,
    /// Hardened runs of the realistic portal: seeds 1 to N, each of which must be clean.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub realistic_seeds: u64,
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Run the isolation corpus instead (docs/benchmark.md): the portal's flaws and hardened seeds and the
    /// platforms of other shapes, each scored against its ground truth, with a scorecard.
    #[arg(long)]
    pub corpus: bool,
    /// With --corpus: only this case, or the cases under a prefix ending in `/` (repeatable).
    #[arg(long = "case", value_name = "NAME", requires = "corpus")]
    pub case_names: Vec<String>,
    /// With --corpus: write the scorecard as an HTML page (with the TPR/FPR plot) to this file.
    #[arg(long, value_name = "FILE", requires = "corpus")]
    pub html: Option<PathBuf>,
    /// With --corpus: cases run at the same time, each against its own target (most of a case's time is
    /// spent waiting on its target: slow logins, short sessions).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=16).map(|n| n as usize), requires = "corpus")]
    pub jobs: usize,
}

/// `cloison bench` and its subcommands.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchCli {
    /// `score` or `serve`; none: the bench itself.
    #[command(subcommand)]
    pub action: Option<BenchAction>,
    /// The bench's own arguments.
    #[command(flatten)]
    pub args: BenchArgs,
}

/// `cloison bench score` and `cloison bench serve`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchAction {
    /// Score another tool's SARIF results on one case of the corpus, as cloison is scored.
    Score(crate::corpus::ScoreArgs),
    /// Keep one case's target up for another tool; print its URL, OpenAPI document, profile and
    /// credentials; stop on Ctrl-C.
    Serve(crate::corpus::ServeArgs),
}

/// Entry point of `cloison bench` and its subcommands.
pub fn dispatch(cli: &BenchCli) -> Result<(), CliError> {
    match &cli.action {
        Some(BenchAction::Score(args)) => crate::corpus::run_score(args),
        Some(BenchAction::Serve(args)) => crate::corpus::run_serve(args),
        None if cli.args.corpus => crate::corpus::run_corpus(
            &cli.args.case_names,
            cli.args.jobs,
            &cli.args.json,
            &cli.args.html,
            cli.args.quiet,
        ),
        None => run(&cli.args),
    }
}

/// The result of one flawed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlawResult {
    /// Flaw name (fixtures/FLAWS.md).
    pub flaw: String,
    /// Whether the portal had its realism knobs on (`--target embedded:realistic`).
    pub realistic: bool,
    /// Whether the run found at least one root cause.
    pub caught: bool,
    /// The family of the first (most severe) root cause, or `null`.
    pub family: Option<String>,
    /// Families of the root causes, each once, in the order of the root causes.
    pub families: Vec<String>,
    /// Probes of the probe phase up to the first detection (the earliest over the root causes).
    pub probes_to_detection: Option<usize>,
    /// Seconds from the start of the probe phase to the first detection (the earliest over the root
    /// causes).
    pub seconds_to_detection: Option<f64>,
    /// Root causes found.
    pub root_causes: usize,
    /// Findings: root causes grouped by missing check (family and endpoint), of every tier; at most
    /// [`MAX_FINDINGS`] for a flaw, which is one missing check.
    pub findings: usize,
    /// Of `findings`, the proven ones.
    pub proven: usize,
    /// Identities and objects the smallest reproducer involves (actor, victim, record), or `null`.
    pub reproducer_size: Option<usize>,
    /// Exit code of the run (as `cloison run` would exit).
    pub exit: u8,
    /// Wall-clock seconds of the whole run (deploy, seed, probe, judge).
    pub seconds: f64,
    /// Why a flaw that was not caught was missed: the run's first failure, else its first reason for not
    /// being clean or complete; `null` when caught or when the run said nothing.
    pub why: Option<String>,
    /// Outcome of the run (for the table; the exit code carries it in the JSON).
    #[serde(skip)]
    pub outcome: Outcome,
}

impl FlawResult {
    /// Read a flawed run's report.
    pub fn from_report(
        flaw: Flaw,
        realistic: bool,
        report: &Report,
        exit: u8,
        seconds: f64,
    ) -> Self {
        let causes = &report.root_causes;
        let mut families: Vec<String> = Vec::new();
        for cause in causes {
            let name = cause.family.name().to_string();
            if !families.contains(&name) {
                families.push(name);
            }
        }
        let why = match (report.failures.first(), report.reasons.first()) {
            _ if !causes.is_empty() => None,
            (Some(failure), _) => Some(failure.to_string()),
            (None, Some(reason)) => Some(reason.to_string()),
            (None, None) => None,
        };
        Self {
            flaw: flaw.name().to_string(),
            realistic,
            caught: !causes.is_empty(),
            family: families.first().cloned(),
            probes_to_detection: causes.iter().map(|c| c.first_detection.probes).min(),
            seconds_to_detection: causes
                .iter()
                .map(|c| c.first_detection.seconds)
                .min_by(f64::total_cmp),
            root_causes: causes.len(),
            findings: report.groups.len(),
            proven: crate::report::group::tally(&report.groups).proven,
            reproducer_size: causes.iter().map(|c| reproducer_size(&c.reproducer)).min(),
            families,
            exit,
            seconds,
            why,
            outcome: report.outcome,
        }
    }

    /// Whether this result fails the bench: the flaw was not caught, or it reads as more than
    /// [`MAX_FINDINGS`] bugs.
    pub fn fails(&self) -> bool {
        !self.caught || self.too_many()
    }

    /// Whether the flaw gave more than [`MAX_FINDINGS`] findings.
    pub fn too_many(&self) -> bool {
        self.findings > MAX_FINDINGS
    }
}

/// The identities and objects a reproducer involves: the actor (unless anonymous), the victim (the steward
/// of the record aimed at, when it is another identity) and the record. A probe that aimed at no record (a
/// list, an export, a function) involves the owner of a leaked value and its case file instead: one
/// foreign value is enough to prove the leak, however many the response carried.
pub fn reproducer_size(finding: &Finding) -> usize {
    let mut identities = BTreeSet::new();
    if finding.actor.role != "anonymous" {
        identities.insert(format!("identity {}", finding.actor.identity));
    }
    let leaked = finding.leaked.first().map(|hit| &hit.owner);
    match (
        &finding.victim,
        leaked.and_then(|owner| owner.person.as_ref()),
    ) {
        (Some(victim), _) => {
            identities.insert(format!("identity {}", victim.identity));
        }
        (None, Some(person)) => {
            identities.insert(format!("person {person}"));
        }
        (None, None) => {}
    }
    let record = finding.record.is_some() || leaked.is_some_and(|owner| owner.case.is_some());
    identities.len() + usize::from(record)
}

/// The result of one hardened run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HardenedRun {
    /// World seed.
    pub seed: u64,
    /// Whether the portal had its realism knobs on (`--target embedded:realistic`).
    pub realistic: bool,
    /// Outcome (must be `clean`).
    pub outcome: Outcome,
    /// Findings (instances).
    pub findings: usize,
    /// Exit code of the run.
    pub exit: u8,
    /// The command line that replays the run.
    #[serde(skip)]
    pub replay: String,
}

impl HardenedRun {
    /// Clean, without even a status-only warning.
    pub fn clean(&self) -> bool {
        self.outcome == Outcome::Clean && self.findings == 0
    }
}

/// Everything a bench measured (`--json FILE`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bench {
    /// cloison version.
    pub cloison_version: &'static str,
    /// Seed of the flawed runs.
    pub seed: u64,
    /// Case files of every run.
    pub cases: u64,
    /// Tenants of every run.
    pub tenants: usize,
    /// What the realism knobs of the realistic rows were, in words, or `null` when no row had them on.
    pub realism: Option<String>,
    /// One result per flaw, in the order of FLAWS.md: the plain portal's, then the realistic portal's.
    pub flaws: Vec<FlawResult>,
    /// Findings over every hardened run.
    pub hardened_findings: usize,
    /// One result per hardened seed: the plain portal's, then the realistic portal's.
    pub hardened_runs: Vec<HardenedRun>,
    /// Wall-clock seconds of the whole bench.
    #[serde(skip)]
    pub seconds: f64,
}

impl Bench {
    /// Whether every flaw the static suites must catch was caught and every hardened run was clean.
    pub fn passed(&self) -> bool {
        !self.flaws.iter().any(FlawResult::fails)
            && self.hardened_runs.iter().all(HardenedRun::clean)
    }

    /// Exit code: 0 when [`Bench::passed`], 1 otherwise.
    pub fn exit(&self) -> u8 {
        if self.passed() {
            EXIT_OK
        } else {
            EXIT_FINDINGS
        }
    }

    /// The table printed on stdout.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "cloison {} bench: embedded reference portal, {} tenants, {} case files",
            self.cloison_version, self.tenants, self.cases
        );
        self.write_flaws(&mut out);
        for realistic in [false, true] {
            self.write_hardened(&mut out, realistic);
        }
        let mut problems = Vec::new();
        for (realistic, label) in [(false, "not caught"), (true, "not caught with realism")] {
            let missed: Vec<&str> = self
                .flaws
                .iter()
                .filter(|f| f.realistic == realistic && !f.caught)
                .map(|f| f.flaw.as_str())
                .collect();
            if !missed.is_empty() {
                problems.push(format!("{label}: {}", missed.join(", ")));
            }
        }
        let scattered: Vec<String> = (self.flaws.iter())
            .filter(|f| f.caught && f.too_many())
            .map(|f| {
                format!(
                    "{}{} ({})",
                    f.flaw,
                    if f.realistic { " realistic" } else { "" },
                    f.findings
                )
            })
            .collect();
        if !scattered.is_empty() {
            problems.push(format!(
                "more than {MAX_FINDINGS} findings for one flaw: {}",
                scattered.join(", ")
            ));
        }
        for (realistic, label) in [(false, "hardened"), (true, "hardened realistic")] {
            let unclean = self
                .hardened_runs
                .iter()
                .filter(|r| r.realistic == realistic && !r.clean())
                .count();
            if unclean > 0 {
                problems.push(format!("{unclean} {label} run(s) not clean"));
            }
        }
        if problems.is_empty() {
            let _ = writeln!(
                out,
                "\nPASS: every flaw was caught, and every hardened run was clean ({:.1} s)",
                self.seconds
            );
        } else {
            let _ = writeln!(
                out,
                "\nFAIL: {} ({:.1} s)",
                problems.join("; "),
                self.seconds
            );
        }
        out
    }

    /// The tables of the flawed runs, one row per flaw: the plain portal's, then the realistic portal's.
    fn write_flaws(&self, out: &mut String) {
        if self.flaws.is_empty() {
            return;
        }
        for realistic in [false, true] {
            let flaws: Vec<&FlawResult> = self
                .flaws
                .iter()
                .filter(|f| f.realistic == realistic)
                .collect();
            if flaws.is_empty() {
                continue;
            }
            if realistic {
                let _ = writeln!(
                    out,
                    "\none flaw at a time, realistic portal ({}), seed {}:",
                    self.realism.as_deref().unwrap_or("realism knobs on"),
                    self.seed
                );
            } else {
                let _ = writeln!(out, "\none flaw at a time, seed {}:", self.seed);
            }
            write_flaw_table(out, &flaws);
        }
        let _ = writeln!(
            out,
            "  probes, seconds: to the first detection, from the start of the probe phase; causes: root causes;\n  \
             findings: root causes grouped by missing check (proven first; at most {MAX_FINDINGS} per flaw);\n  \
             repro: identities and objects of the smallest reproducer (actor, victim, record), one request each;\n  \
             run s: the whole run (deploy, seed, probe, judge)"
        );
    }

    /// The hardened runs of one portal: counts by outcome, and each run that is not clean.
    fn write_hardened(&self, out: &mut String, realistic: bool) {
        let runs: Vec<&HardenedRun> = self
            .hardened_runs
            .iter()
            .filter(|r| r.realistic == realistic)
            .collect();
        if runs.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nhardened {}portal, {} run(s), {}:",
            if realistic { "realistic " } else { "" },
            runs.len(),
            seed_range(&runs)
        );
        let mut counts = Vec::new();
        for outcome in [
            Outcome::Clean,
            Outcome::Findings,
            Outcome::Inconclusive,
            Outcome::TargetFailure,
        ] {
            let n = runs.iter().filter(|r| r.outcome == outcome).count();
            counts.push(format!("{n} {}", outcome_label(outcome)));
        }
        let findings: usize = runs.iter().map(|r| r.findings).sum();
        let _ = writeln!(
            out,
            "  {}; {findings} finding(s) in total",
            counts.join(", ")
        );
        for run in runs.iter().filter(|r| !r.clean()) {
            let _ = writeln!(
                out,
                "  seed {}: {}, {} finding(s), exit {}; replay: {}",
                run.seed,
                outcome_label(run.outcome),
                run.findings,
                run.exit,
                run.replay
            );
        }
    }
}

/// One table of flawed runs, and how many were caught.
fn write_flaw_table(out: &mut String, flaws: &[&FlawResult]) {
    let header = [
        "flaw", "caught", "families", "probes", "seconds", "repro", "causes", "findings", "run s",
        "note",
    ];
    let rows: Vec<[String; 10]> = flaws.iter().map(|f| flaw_row(f)).collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    // Text columns are left-aligned, numbers right-aligned; the last column is not padded.
    let numeric = [
        false, false, false, true, true, true, true, true, true, false,
    ];
    let line = |cells: &[String]| {
        let mut text = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            text.push(' ');
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else if numeric[i] {
                let _ = write!(text, "{cell:>w$}", w = widths[i]);
            } else {
                let _ = write!(text, "{cell:<w$}", w = widths[i]);
            }
        }
        text.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    let caught = flaws.iter().filter(|f| f.caught).count();
    let _ = writeln!(out, "  caught {caught} of the {} flaw(s)", flaws.len());
}

/// The cells of one flaw's row.
fn flaw_row(f: &FlawResult) -> [String; 10] {
    let number = |n: Option<usize>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    let mut note = if f.caught {
        String::new()
    } else {
        match f.outcome {
            Outcome::TargetFailure | Outcome::Inconclusive | Outcome::Interrupted => {
                format!("MISSED ({}, exit {})", outcome_label(f.outcome), f.exit)
            }
            Outcome::Clean | Outcome::Findings => "MISSED".to_string(),
        }
    };
    if let Some(why) = &f.why {
        let _ = write!(note, ": {why}");
    }
    if f.caught && f.too_many() {
        note = format!("TOO MANY FINDINGS (at most {MAX_FINDINGS})");
    }
    [
        f.flaw.clone(),
        if f.caught { "yes" } else { "no" }.to_string(),
        if f.families.is_empty() {
            "-".to_string()
        } else {
            f.families.join(", ")
        },
        number(f.probes_to_detection),
        f.seconds_to_detection
            .map_or_else(|| "-".to_string(), |s| format!("{s:.2}")),
        number(f.reproducer_size),
        f.root_causes.to_string(),
        if f.findings == f.proven {
            f.findings.to_string()
        } else {
            format!("{} ({} proven)", f.findings, f.proven)
        },
        format!("{:.2}", f.seconds),
        note,
    ]
}

/// `seed 1`, `seeds 1-20`, or the seeds one by one when they do not follow each other.
fn seed_range(runs: &[&HardenedRun]) -> String {
    let seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    match seeds.as_slice() {
        [] => "no seed".to_string(),
        [seed] => format!("seed {seed}"),
        [first, .., last]
            if seeds.len() > 2 && seeds.windows(2).all(|w| w[0].checked_add(1) == Some(w[1])) =>
        {
            format!("seeds {first}-{last}")
        }
        _ => {
            let list: Vec<String> = seeds.iter().map(u64::to_string).collect();
            format!("seeds {}", list.join(", "))
        }
    }
}

/// The outcome in the table.
fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Clean => "clean",
        Outcome::Findings => "with findings",
        Outcome::Inconclusive => "inconclusive",
        Outcome::TargetFailure => "target failure",
        Outcome::Interrupted => "interrupted",
    }
}

/// The flaws to bench: those named (each once, unknown names are usage errors), else every flaw; in the
/// order of FLAWS.md.
pub fn selected_flaws(names: &[String]) -> Result<Vec<Flaw>, CliError> {
    if names.is_empty() {
        return Ok(Flaw::ALL.to_vec());
    }
    let mut wanted = BTreeSet::new();
    for name in names {
        let flaw: Flaw = name
            .parse()
            .map_err(|e| CliError::usage(format!("--flaw: {e}")))?;
        wanted.insert(flaw);
    }
    Ok(Flaw::ALL
        .into_iter()
        .filter(|f| wanted.contains(f))
        .collect())
}

/// Run every flawed and hardened run, one after the other, in the current runtime: against the plain
/// portal, then against the realistic one (as `--realism` says).
pub async fn measure(args: &BenchArgs) -> Result<Bench, CliError> {
    let flaws = selected_flaws(&args.flaws)?;
    let started = Instant::now();
    let progress = |line: String| {
        if !args.quiet {
            eprintln!("bench: {line}");
        }
    };
    let mut results = Vec::new();
    let mut hardened = Vec::new();
    for &realistic in args.realism.sets() {
        let base = RunArgs {
            target: if realistic {
                TargetSpec::EmbeddedRealistic
            } else {
                TargetSpec::Embedded
            },
            tenants: cloison_generators::TenantSelection::Count(args.tenants),
            cases: args.cases,
            quiet: true,
            ..RunArgs::default()
        };
        let portal = if realistic { "realistic " } else { "" };
        for (i, flaw) in flaws.iter().enumerate() {
            let result = run_flaw(&base, args.seed, *flaw).await?;
            progress(format!(
                "{portal}[{}/{}] {flaw}: {} ({:.2} s)",
                i + 1,
                flaws.len(),
                if result.caught {
                    format!("caught by {}", result.families.join(", "))
                } else {
                    format!(
                        "not caught ({}, exit {}{})",
                        outcome_label(result.outcome),
                        result.exit,
                        result
                            .why
                            .as_deref()
                            .map(|why| format!(": {why}"))
                            .unwrap_or_default()
                    )
                },
                result.seconds
            ));
            results.push(result);
        }
        let seeds = if realistic {
            args.realistic_seeds
        } else {
            args.seeds
        };
        for seed in 1..=seeds {
            let run_started = Instant::now();
            let run = run_hardened(&base, seed).await?;
            progress(format!(
                "hardened {portal}portal, seed {seed} of {seeds}: {}, {} finding(s) ({:.2} s)",
                outcome_label(run.outcome),
                run.findings,
                run_started.elapsed().as_secs_f64()
            ));
            hardened.push(run);
        }
    }
    Ok(Bench {
        cloison_version: env!("CARGO_PKG_VERSION"),
        seed: args.seed,
        cases: args.cases,
        tenants: args.tenants,
        realism: args
            .realism
            .sets()
            .contains(&true)
            .then(crate::target::embedded_realism),
        flaws: results,
        hardened_findings: hardened.iter().map(|r| r.findings).sum(),
        hardened_runs: hardened,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One flawed run on `base`'s portal.
async fn run_flaw(base: &RunArgs, seed: u64, flaw: Flaw) -> Result<FlawResult, CliError> {
    let realistic = base.target == TargetSpec::EmbeddedRealistic;
    let run_args = RunArgs {
        seed,
        flaws: vec![flaw.name().to_string()],
        ..base.clone()
    };
    let run_started = Instant::now();
    let run = execute(&run_args).await.map_err(|e| {
        e.context(format!(
            "flaw {flaw}{}",
            if realistic { ", realistic portal" } else { "" }
        ))
    })?;
    Ok(FlawResult::from_report(
        flaw,
        realistic,
        &run.report,
        run.exit,
        run_started.elapsed().as_secs_f64(),
    ))
}

/// One hardened run on `base`'s portal.
async fn run_hardened(base: &RunArgs, seed: u64) -> Result<HardenedRun, CliError> {
    let realistic = base.target == TargetSpec::EmbeddedRealistic;
    let run_args = RunArgs {
        seed,
        ..base.clone()
    };
    let run = execute(&run_args).await.map_err(|e| {
        e.context(format!(
            "hardened {}portal, seed {seed}",
            if realistic { "realistic " } else { "" }
        ))
    })?;
    Ok(HardenedRun {
        seed,
        realistic,
        outcome: run.report.outcome,
        findings: run.report.findings.len(),
        exit: run.exit,
        replay: run.report.replay.clone(),
    })
}

/// Entry point of `cloison bench`: print the table, write the JSON; a missed flaw or a hardened run that
/// is not clean ends with [`CliError::BenchFailed`].
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    // Unknown flaws and an unwritable output are usage errors now, not after minutes of runs.
    selected_flaws(&args.flaws)?;
    if let Some(path) = &args.json {
        crate::input::check_output(path)
            .and_then(|()| std::fs::write(path, b"{}"))
            .map_err(|e| {
                CliError::usage(format!(
                    "{}: cannot write the JSON results: {e}",
                    path.display()
                ))
            })?;
    }
    let failed = |what: String| {
        move |e: std::io::Error| CliError::Failed(anyhow::Error::new(e).context(what))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(failed("starting the async runtime".into()))?;
    let bench = runtime.block_on(measure(args))?;
    print!("{}", bench.table());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&bench).map_err(|e| {
            CliError::Failed(anyhow::Error::new(e).context("serialising the results"))
        })?;
        std::fs::write(path, json).map_err(failed(format!(
            "writing the JSON results to {}",
            path.display()
        )))?;
        println!("results written to {}", path.display());
    }
    match bench.exit() {
        EXIT_OK => Ok(()),
        _ => Err(CliError::BenchFailed),
    }
}

#[cfg(test)]
mod tests;
