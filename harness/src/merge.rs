//! `cloison report merge`: combine the JSON reports of the shards of one run (`--shard K/N`) into the
//! report a single run gives: root causes merged by cell and evidence (instances summed, the earliest
//! detection and a shrunk reproducer kept), findings renumbered, coverage summed, and the outcome
//! recomputed: findings if any root cause; clean only if every shard is clean; otherwise a target failure
//! if any shard failed, else inconclusive.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::{EXIT_FINDINGS, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_TARGET, UsageError};
use crate::report::{CellCoverage, Coverage, FamilyCoverage, Outcome, Report, RootCause, Stats};
use crate::reporters::{Format, Outputs};

/// Arguments of `cloison report merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`cloison run --shard K/N --json FILE`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write every format of the merged report into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write the merged JSON report to this file (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the merged JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the merged SARIF 2.1.0 report to this file.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Write the merged HTML report to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no report to merge")]
    Empty,
    /// The reports are not shards of one run.
    #[error("{0}")]
    Mismatch(String),
}

/// Merge the reports of the shards of one run.
pub fn merge(shards: &[Report]) -> Result<Report, MergeError> {
    let first = shards.first().ok_or(MergeError::Empty)?;
    for (i, shard) in shards.iter().enumerate() {
        let same = shard.schema_version == first.schema_version
            && shard.seed == first.seed
            && shard.target == first.target
            && shard.profile_digest == first.profile_digest
            && shard.tenants == first.tenants
            && shard.cases == first.cases;
        if !same {
            return Err(MergeError::Mismatch(format!(
                "report {} is not a shard of the same run as report 1 (schema, seed, target, profile and world must match)",
                i + 1
            )));
        }
    }
    let mut counts: BTreeSet<String> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for shard in shards {
        if let Some(s) = &shard.shard {
            if !seen.insert(s.clone()) {
                return Err(MergeError::Mismatch(format!("shard {s} is given twice")));
            }
            counts.insert(
                s.split_once('/')
                    .map_or(String::new(), |(_, n)| n.to_string()),
            );
        }
    }
    if counts.len() > 1 {
        return Err(MergeError::Mismatch(
            "the reports come from different splits (K/N with different N)".into(),
        ));
    }

    // Root causes, by cell and evidence.
    type Key = (
        crate::report::Evidence,
        cloison_suites::Family,
        String,
        String,
        String,
        String,
        Option<String>,
    );
    let key = |c: &RootCause| -> Key {
        (
            c.evidence,
            c.family,
            c.endpoint.clone(),
            c.role.clone(),
            c.relation.clone(),
            c.kind.clone(),
            c.via.clone(),
        )
    };
    let mut causes: BTreeMap<Key, RootCause> = BTreeMap::new();
    // (shard index, old root-cause index) -> key, to renumber findings.
    let mut owners: BTreeMap<(usize, usize), Key> = BTreeMap::new();
    for (s, shard) in shards.iter().enumerate() {
        for (i, cause) in shard.root_causes.iter().enumerate() {
            let k = key(cause);
            owners.insert((s, i), k.clone());
            match causes.get_mut(&k) {
                None => {
                    causes.insert(k, cause.clone());
                }
                Some(merged) => {
                    merged.instances += cause.instances;
                    let earlier = (cause.first_detection.seconds, cause.first_detection.probes)
                        < (
                            merged.first_detection.seconds,
                            merged.first_detection.probes,
                        );
                    if earlier {
                        merged.first_detection = cause.first_detection;
                    }
                    if (cause.shrunk && !merged.shrunk)
                        || (cause.shrunk == merged.shrunk && earlier)
                    {
                        merged.reproducer = cause.reproducer.clone();
                        merged.shrunk = cause.shrunk;
                    }
                }
            }
        }
    }
    let index: BTreeMap<Key, usize> = causes
        .keys()
        .cloned()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    let mut root_causes: Vec<RootCause> = causes.into_values().collect();
    for (i, cause) in root_causes.iter_mut().enumerate() {
        cause.reproducer.root_cause = i;
    }
    let mut findings = Vec::new();
    for (s, shard) in shards.iter().enumerate() {
        for finding in &shard.findings {
            let mut f = finding.clone();
            if let Some(i) = owners.get(&(s, f.root_cause)).and_then(|k| index.get(k)) {
                f.root_cause = *i;
            }
            findings.push(f);
        }
    }
    findings.sort_by(|a, b| a.probe.cmp(&b.probe));

    let coverage = merge_coverage(shards);
    let stats = merge_stats(shards);
    let mut reasons: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for shard in shards {
        let tag = shard
            .shard
            .as_deref()
            .map_or_else(String::new, |s| format!("shard {s}: "));
        reasons.extend(shard.reasons.iter().map(|r| format!("{tag}{r}")));
        for w in &shard.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        failures.extend(shard.failures.iter().map(|f| format!("{tag}{f}")));
    }
    for family in &coverage.families {
        if family.planned > 0 && family.probes == 0 {
            reasons.push(format!(
                "family {} applies but ran no probe in any shard",
                family.family
            ));
        }
    }
    let outcome = if !root_causes.is_empty() {
        Outcome::Findings
    } else if shards.iter().all(|s| s.outcome == Outcome::Clean) && reasons.is_empty() {
        Outcome::Clean
    } else if shards.iter().any(|s| s.outcome == Outcome::TargetFailure) || !failures.is_empty() {
        Outcome::TargetFailure
    } else {
        Outcome::Inconclusive
    };
    Ok(Report {
        schema_version: first.schema_version.clone(),
        cloison_version: first.cloison_version.clone(),
        shard: None,
        target: first.target.clone(),
        deployment: first.deployment.clone(),
        platform: first.platform.clone(),
        profile: first.profile.clone(),
        profile_digest: first.profile_digest.clone(),
        seed: first.seed,
        replay: unsharded(&first.replay),
        tenants: first.tenants,
        cases: first.cases,
        outcome,
        reasons,
        stats,
        coverage,
        root_causes,
        findings,
        warnings,
        failures,
    })
}

/// A replay command without its `--shard K/N`: the whole run.
fn unsharded(replay: &str) -> String {
    let words: Vec<&str> = replay.split(' ').collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut skip = false;
    for word in words {
        if skip {
            skip = false;
        } else if word == "--shard" {
            skip = true;
        } else {
            out.push(word);
        }
    }
    out.join(" ")
}

fn merge_coverage(shards: &[Report]) -> Coverage {
    let mut families: Vec<FamilyCoverage> = Vec::new();
    let mut endpoints: BTreeMap<String, usize> = BTreeMap::new();
    let mut unused: Option<BTreeSet<String>> = None;
    type CellKey = (
        cloison_suites::Family,
        String,
        String,
        String,
        String,
        Option<String>,
    );
    let mut cells: BTreeMap<CellKey, CellCoverage> = BTreeMap::new();
    let (mut passed, mut run) = (0, 0);
    let mut operations: Option<Vec<crate::openapi::coverage::OperationCoverage>> = None;
    for shard in shards {
        let c = &shard.coverage;
        if let Some(these) = &c.operations {
            match &mut operations {
                None => operations = Some(these.clone()),
                Some(merged) => {
                    for (m, o) in merged.iter_mut().zip(these) {
                        m.tried.extend(o.tried.iter().cloned());
                        m.tried.sort();
                        m.tried.dedup();
                    }
                }
            }
        }
        for f in &c.families {
            match families.iter_mut().find(|m| m.family == f.family) {
                Some(m) => {
                    m.probes += f.probes;
                    m.planned += f.planned;
                    m.not_applicable += f.not_applicable;
                    if m.skipped.is_none() || f.skipped.is_none() {
                        m.skipped = None;
                    }
                }
                None => families.push(f.clone()),
            }
        }
        for (endpoint, n) in &c.endpoints {
            *endpoints.entry(endpoint.clone()).or_default() += n;
        }
        let these: BTreeSet<String> = c.unused_endpoints.iter().cloned().collect();
        unused = Some(match unused {
            None => these,
            Some(u) => u.intersection(&these).cloned().collect(),
        });
        passed += c.controls_passed;
        run += c.controls_run;
        for cell in &c.cells {
            let k = (
                cell.family,
                cell.endpoint.clone(),
                cell.role.clone(),
                cell.relation.clone(),
                cell.kind.clone(),
                cell.via.clone(),
            );
            match cells.get_mut(&k) {
                Some(m) => {
                    m.planned += cell.planned;
                    m.finding = match (m.finding, cell.finding) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                None => {
                    cells.insert(k, cell.clone());
                }
            }
        }
    }
    let cells: Vec<CellCoverage> = cells.into_values().collect();
    for family in &mut families {
        family.cells = cells
            .iter()
            .filter(|c| c.family.name() == family.family)
            .count();
        if family.probes > 0 {
            family.skipped = None;
        }
    }
    Coverage {
        families,
        endpoints,
        unused_endpoints: unused.unwrap_or_default().into_iter().collect(),
        controls_passed: passed,
        controls_run: run,
        cells,
        // The stateful suite runs in the first shard only.
        stateful: shards
            .iter()
            .map(|s| &s.coverage.stateful)
            .find(|s| s.sequences > 0 || s.not_run.is_some())
            .cloned()
            .unwrap_or_default(),
        operations,
    }
}

fn merge_stats(shards: &[Report]) -> Stats {
    let mut stats = Stats::default();
    let mut phases: Vec<(String, f64)> = Vec::new();
    for shard in shards {
        let s = &shard.stats;
        stats.identities = stats.identities.max(s.identities);
        stats.records_seeded = stats.records_seeded.max(s.records_seeded);
        stats.objects_created += s.objects_created;
        stats.seed_seconds += s.seed_seconds;
        stats.controls += s.controls;
        stats.probes += s.probes;
        stats.probe_seconds += s.probe_seconds;
        stats.writes += s.writes;
        for (name, seconds) in &s.phases {
            match phases.iter_mut().find(|(n, _)| n == name) {
                Some((_, total)) => *total += seconds,
                None => phases.push((name.clone(), *seconds)),
            }
        }
    }
    let rate = |n: usize, seconds: f64| {
        if seconds > 0.0 {
            n as f64 / seconds
        } else {
            0.0
        }
    };
    stats.seed_rate = rate(stats.objects_created, stats.seed_seconds);
    stats.probe_rate = rate(stats.probes, stats.probe_seconds);
    stats.phases = phases;
    stats
}

/// The exit code of a report's outcome (as `cloison run`'s).
pub fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Clean => EXIT_OK,
        Outcome::Findings => EXIT_FINDINGS,
        Outcome::TargetFailure => EXIT_TARGET,
        Outcome::Inconclusive => EXIT_INCONCLUSIVE,
        Outcome::Interrupted => crate::cli::EXIT_INTERRUPTED,
    }
}

fn load(path: &Path) -> anyhow::Result<Report> {
    let text = crate::input::read_text_up_to(path, "shard report", 1 << 30)
        .map_err(|e| UsageError(e.to_string()))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}: not a cloison run report (schema {}): {e}",
            path.display(),
            crate::report::SCHEMA_VERSION
        ))
    })?;
    if report.schema_version != crate::report::SCHEMA_VERSION {
        return Err(UsageError(format!(
            "{}: schema version {} (this cloison reads {})",
            path.display(),
            report.schema_version,
            crate::report::SCHEMA_VERSION
        ))
        .into());
    }
    Ok(report)
}

/// Entry point of `cloison report merge`: read, merge, print the summary, write the formats asked for.
pub fn run(args: &MergeArgs) -> anyhow::Result<u8> {
    let shards = args
        .files
        .iter()
        .map(|p| load(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let merged = merge(&shards).map_err(|e| UsageError(e.to_string()))?;
    let to_stdout = args.json.as_deref() == Some(Path::new("-"));
    let mut outputs = Outputs::default();
    if let Some(dir) = &args.report {
        outputs.dir = Some(dir.clone());
        for format in [Format::Json, Format::Junit, Format::Sarif, Format::Html] {
            outputs.files.push((dir.join(format.file_name()), format));
        }
    }
    for (path, format) in [
        (&args.json, Format::Json),
        (&args.junit, Format::Junit),
        (&args.sarif, Format::Sarif),
        (&args.html, Format::Html),
    ] {
        if let Some(path) = path.as_ref().filter(|p| p.as_path() != Path::new("-")) {
            outputs.files.push((path.clone(), format));
        }
    }
    outputs.check().map_err(|e| UsageError(e.to_string()))?;
    let summary = crate::term::paint(&merged.summary(), to_stdout);
    if to_stdout {
        eprint!("{summary}");
        let json = Format::Json.render(&merged)?;
        println!("{}", String::from_utf8_lossy(&json));
    } else {
        print!("{summary}");
    }
    for path in outputs.write(&merged)? {
        if to_stdout {
            eprintln!("report written to {}", path.display());
        } else {
            println!("report written to {}", path.display());
        }
    }
    Ok(exit_code(merged.outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merged_replay_command_runs_the_whole() {
        assert_eq!(
            unsharded("cloison run --target 'embedded' --seed 1 --shard 2/4 --per-cell 3"),
            "cloison run --target 'embedded' --seed 1 --per-cell 3"
        );
    }
}
