//! `cloison bench`: run the suites against the embedded reference portal with each of its flaws switched on
//! alone, then hardened over several seeds, and print what was caught, by which families, how fast, and
//! whether the hardened portal stayed clean.
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
use crate::report::{Finding, Outcome, Report};
use crate::run::{RunArgs, execute};

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
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// The result of one flawed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlawResult {
    /// Flaw name (fixtures/FLAWS.md).
    pub flaw: String,
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
    /// Identities and objects the smallest reproducer involves (actor, victim, record), or `null`.
    pub reproducer_size: Option<usize>,
    /// Exit code of the run (as `cloison run` would exit).
    pub exit: u8,
    /// Wall-clock seconds of the whole run (deploy, seed, probe, judge).
    pub seconds: f64,
    /// Outcome of the run (for the table; the exit code carries it in the JSON).
    #[serde(skip)]
    pub outcome: Outcome,
}

impl FlawResult {
    /// Read a flawed run's report.
    pub fn from_report(flaw: Flaw, report: &Report, exit: u8, seconds: f64) -> Self {
        let causes = &report.root_causes;
        let mut families: Vec<String> = Vec::new();
        for cause in causes {
            let name = cause.family.name().to_string();
            if !families.contains(&name) {
                families.push(name);
            }
        }
        Self {
            flaw: flaw.name().to_string(),
            caught: !causes.is_empty(),
            family: families.first().cloned(),
            probes_to_detection: causes.iter().map(|c| c.first_detection.probes).min(),
            seconds_to_detection: causes
                .iter()
                .map(|c| c.first_detection.seconds)
                .min_by(f64::total_cmp),
            root_causes: causes.len(),
            reproducer_size: causes.iter().map(|c| reproducer_size(&c.reproducer)).min(),
            families,
            exit,
            seconds,
            outcome: report.outcome,
        }
    }

    /// Whether this result fails the bench: the flaw was not caught.
    pub fn fails(&self) -> bool {
        !self.caught
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
    /// One result per flaw, in the order of FLAWS.md.
    pub flaws: Vec<FlawResult>,
    /// Findings over every hardened run.
    pub hardened_findings: usize,
    /// One result per hardened seed.
    pub hardened_runs: Vec<HardenedRun>,
    /// Wall-clock seconds of the whole bench.
    #[serde(skip)]
    pub seconds: f64,
}

impl Bench {
    /// Whether every flaw the static suites must catch was caught and every hardened run was clean.
    pub fn passed(&self) -> bool {
        !self.flaws.iter().any(FlawResult::fails)
            && self
                .hardened_runs
                .iter()
                .all(|r| r.outcome == Outcome::Clean)
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
        self.write_hardened(&mut out);
        let mut problems = Vec::new();
        let missed: Vec<&str> = self
            .flaws
            .iter()
            .filter(|f| f.fails())
            .map(|f| f.flaw.as_str())
            .collect();
        if !missed.is_empty() {
            problems.push(format!("not caught: {}", missed.join(", ")));
        }
        let unclean = self
            .hardened_runs
            .iter()
            .filter(|r| r.outcome != Outcome::Clean)
            .count();
        if unclean > 0 {
            problems.push(format!("{unclean} hardened run(s) not clean"));
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

    /// The table of the flawed runs, one row per flaw.
    fn write_flaws(&self, out: &mut String) {
        if !self.flaws.is_empty() {
            let _ = writeln!(out, "\none flaw at a time, seed {}:", self.seed);
            let header = [
                "flaw", "caught", "families", "probes", "seconds", "repro", "causes", "run s",
                "note",
            ];
            let rows: Vec<[String; 9]> = self.flaws.iter().map(flaw_row).collect();
            let mut widths = header.map(str::len);
            for row in &rows {
                for (width, cell) in widths.iter_mut().zip(row) {
                    *width = (*width).max(cell.len());
                }
            }
            // Text columns are left-aligned, numbers right-aligned; the last column is not padded.
            let numeric = [false, false, false, true, true, true, true, true, false];
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
            let caught = self.flaws.iter().filter(|f| f.caught).count();
            let _ = writeln!(out, "  caught {caught} of the {} flaw(s)", self.flaws.len());
            let _ = writeln!(
                out,
                "  probes, seconds: to the first detection, from the start of the probe phase; causes: root causes;\n  \
                 repro: identities and objects of the smallest reproducer (actor, victim, record), one request each;\n  \
                 run s: the whole run (deploy, seed, probe, judge)"
            );
        }
    }

    /// The hardened runs: counts by outcome, and each run that is not clean.
    fn write_hardened(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nhardened portal, {} run(s), {}:",
            self.hardened_runs.len(),
            seed_range(&self.hardened_runs)
        );
        let mut counts = Vec::new();
        for outcome in [
            Outcome::Clean,
            Outcome::Findings,
            Outcome::Inconclusive,
            Outcome::TargetFailure,
        ] {
            let n = self
                .hardened_runs
                .iter()
                .filter(|r| r.outcome == outcome)
                .count();
            counts.push(format!("{n} {}", outcome_label(outcome)));
        }
        let _ = writeln!(
            out,
            "  {}; {} finding(s) in total",
            counts.join(", "),
            self.hardened_findings
        );
        for run in self
            .hardened_runs
            .iter()
            .filter(|r| r.outcome != Outcome::Clean)
        {
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

/// The cells of one flaw's row.
fn flaw_row(f: &FlawResult) -> [String; 9] {
    let number = |n: Option<usize>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    let note = if f.caught {
        String::new()
    } else {
        match f.outcome {
            Outcome::TargetFailure | Outcome::Inconclusive | Outcome::Interrupted => {
                format!("MISSED ({}, exit {})", outcome_label(f.outcome), f.exit)
            }
            Outcome::Clean | Outcome::Findings => "MISSED".to_string(),
        }
    };
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
        format!("{:.2}", f.seconds),
        note,
    ]
}

/// `seed 1`, `seeds 1-20`, or the seeds one by one when they do not follow each other.
fn seed_range(runs: &[HardenedRun]) -> String {
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

/// Run every flawed and hardened run, one after the other, in the current runtime.
pub async fn measure(args: &BenchArgs) -> Result<Bench, CliError> {
    let flaws = selected_flaws(&args.flaws)?;
    let started = Instant::now();
    let progress = |line: String| {
        if !args.quiet {
            eprintln!("bench: {line}");
        }
    };
    let base = RunArgs {
        tenants: cloison_generators::TenantSelection::Count(args.tenants),
        cases: args.cases,
        quiet: true,
        ..RunArgs::default()
    };
    let mut results = Vec::with_capacity(flaws.len());
    for (i, flaw) in flaws.iter().enumerate() {
        let run_args = RunArgs {
            seed: args.seed,
            flaws: vec![flaw.name().to_string()],
            ..base.clone()
        };
        let run_started = Instant::now();
        let run = execute(&run_args)
            .await
            .map_err(|e| e.context(format!("flaw {flaw}")))?;
        let result = FlawResult::from_report(
            *flaw,
            &run.report,
            run.exit,
            run_started.elapsed().as_secs_f64(),
        );
        progress(format!(
            "[{}/{}] {flaw}: {} ({:.2} s)",
            i + 1,
            flaws.len(),
            if result.caught {
                format!("caught by {}", result.families.join(", "))
            } else {
                format!("not caught ({})", outcome_label(result.outcome))
            },
            result.seconds
        ));
        results.push(result);
    }
    let mut hardened = Vec::new();
    for seed in 1..=args.seeds {
        let run_args = RunArgs {
            seed,
            ..base.clone()
        };
        let run_started = Instant::now();
        let run = execute(&run_args)
            .await
            .map_err(|e| e.context(format!("hardened portal, seed {seed}")))?;
        let findings = run.report.findings.len();
        progress(format!(
            "hardened portal, seed {seed} of {}: {}, {findings} finding(s) ({:.2} s)",
            args.seeds,
            outcome_label(run.report.outcome),
            run_started.elapsed().as_secs_f64()
        ));
        hardened.push(HardenedRun {
            seed,
            outcome: run.report.outcome,
            findings,
            exit: run.exit,
            replay: run.report.replay.clone(),
        });
    }
    Ok(Bench {
        cloison_version: env!("CARGO_PKG_VERSION"),
        seed: args.seed,
        cases: args.cases,
        tenants: args.tenants,
        flaws: results,
        hardened_findings: hardened.iter().map(|r| r.findings).sum(),
        hardened_runs: hardened,
        seconds: started.elapsed().as_secs_f64(),
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
mod tests {
    use super::*;

    fn flaw(name: &str, families: &[&str], detection: Option<(usize, f64)>) -> FlawResult {
        let caught = !families.is_empty();
        FlawResult {
            flaw: name.to_string(),
            caught,
            family: families.first().map(|f| f.to_string()),
            families: families.iter().map(|f| f.to_string()).collect(),
            probes_to_detection: detection.map(|d| d.0),
            seconds_to_detection: detection.map(|d| d.1),
            root_causes: families.len() * 2,
            reproducer_size: caught.then_some(3),
            exit: if caught { EXIT_FINDINGS } else { EXIT_OK },
            seconds: 0.31,
            outcome: if caught {
                Outcome::Findings
            } else {
                Outcome::Clean
            },
        }
    }

    fn hardened(seed: u64, outcome: Outcome, findings: usize, exit: u8) -> HardenedRun {
        HardenedRun {
            seed,
            outcome,
            findings,
            exit,
            replay: format!("cloison run --target 'embedded' --seed {seed} --tenants 2 --cases 16"),
        }
    }

    fn bench(flaws: Vec<FlawResult>, hardened_runs: Vec<HardenedRun>) -> Bench {
        Bench {
            cloison_version: "0.1.0",
            seed: 1,
            cases: 16,
            tenants: 2,
            hardened_findings: hardened_runs.iter().map(|r| r.findings).sum(),
            flaws,
            hardened_runs,
            seconds: 7.25,
        }
    }

    #[test]
    fn the_table_shows_each_flaw_and_the_hardened_runs() {
        let mut target_failure = flaw("shared-cache", &[], None);
        target_failure.outcome = Outcome::TargetFailure;
        target_failure.exit = 3;
        let passing = bench(
            vec![
                flaw("document-idor", &["direct-read"], Some((37, 0.012))),
                flaw(
                    "error-echo",
                    &["direct-read", "direct-write", "identifier-guessing"],
                    Some((5, 0.004)),
                ),
                flaw("logout-no-revoke", &["stateful"], Some((641, 0.34))),
            ],
            (1..=3).map(|s| hardened(s, Outcome::Clean, 0, 0)).collect(),
        );
        assert!(passing.passed());
        assert_eq!(passing.exit(), EXIT_OK);
        insta::assert_snapshot!("passing", passing.table());

        let failing = bench(
            vec![
                flaw("case-idor", &[], None),
                target_failure,
                flaw("transfer-keeps-access", &[], None),
            ],
            vec![
                hardened(4, Outcome::Clean, 0, 0),
                hardened(9, Outcome::Findings, 2, 1),
            ],
        );
        assert!(!failing.passed());
        assert_eq!(failing.exit(), EXIT_FINDINGS);
        insta::assert_snapshot!("failing", failing.table());
    }

    #[test]
    fn a_reproducer_counts_its_identities_and_objects() {
        use crate::report::{Evidence, Party};
        use cloison_suites::{DataOwner, Hit};
        let party = |identity: &str, role: &str| Party {
            identity: identity.into(),
            role: role.into(),
            tenant: "75".into(),
        };
        let mut read = Finding {
            root_cause: 0,
            evidence: Evidence::ProvenLeak,
            probe: "direct-read/1".into(),
            actor: party("a@example.org", "applicant"),
            victim: Some(party("b@example.org", "applicant")),
            record: Some("case-2".into()),
            request: None,
            status: 200,
            excerpt: String::new(),
            leaked: vec![Hit {
                canary: "0650041221".into(),
                field: "phone".into(),
                owner: DataOwner {
                    tenant: "75".into(),
                    person: Some("34".into()),
                    case: Some("case-12".into()),
                    kind: None,
                },
            }],
            explanation: String::new(),
            steps: Vec::new(),
        };
        assert_eq!(reproducer_size(&read), 3, "actor, victim, record");
        // An export names no record: the owner of a leaked value and its case file stand in.
        let export = Finding {
            victim: None,
            record: None,
            ..read.clone()
        };
        assert_eq!(reproducer_size(&export), 3);
        // A write to the actor's own record (mass assignment): one identity, one record.
        read.victim = Some(read.actor.clone());
        read.leaked.clear();
        assert_eq!(reproducer_size(&read), 2);
        let anonymous = Finding {
            actor: party("anonymous", "anonymous"),
            victim: None,
            ..read
        };
        assert_eq!(reproducer_size(&anonymous), 1);
    }

    #[test]
    fn flaws_are_selected_in_the_order_of_flaws_md_once_each() {
        let names = ["shared-cache", "document-idor", "shared-cache"].map(String::from);
        assert_eq!(
            selected_flaws(&names).expect("known flaws"),
            vec![Flaw::DocumentIdor, Flaw::SharedCache]
        );
        assert_eq!(selected_flaws(&[]).expect("every flaw"), Flaw::ALL.to_vec());
        let err = selected_flaws(&["nope".to_string()]).expect_err("unknown flaw");
        assert!(err.to_string().contains("unknown flaw \"nope\""), "{err}");
    }

    #[test]
    fn the_json_has_the_documented_fields() {
        let b = bench(
            vec![flaw("logout-no-revoke", &[], None)],
            vec![hardened(1, Outcome::Clean, 0, 0)],
        );
        let json = serde_json::to_value(&b).expect("serialisable");
        let keys = |v: &serde_json::Value| {
            v.as_object()
                .map(|o| {
                    let mut keys: Vec<String> = o.keys().cloned().collect();
                    keys.sort();
                    keys
                })
                .unwrap_or_default()
        };
        assert_eq!(
            keys(&json),
            [
                "cases",
                "cloison_version",
                "flaws",
                "hardened_findings",
                "hardened_runs",
                "seed",
                "tenants"
            ]
        );
        assert_eq!(
            keys(&json["flaws"][0]),
            [
                "caught",
                "exit",
                "families",
                "family",
                "flaw",
                "probes_to_detection",
                "reproducer_size",
                "root_causes",
                "seconds",
                "seconds_to_detection"
            ]
        );
        assert_eq!(json["flaws"][0]["family"], serde_json::Value::Null);
        assert_eq!(
            keys(&json["hardened_runs"][0]),
            ["exit", "findings", "outcome", "seed"]
        );
        assert_eq!(json["hardened_runs"][0]["outcome"], "clean");
    }
}
