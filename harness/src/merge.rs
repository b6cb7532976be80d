//! `cloison report merge`: combine the JSON reports of the shards of one run (`--shard K/N`) into the
//! report a single run gives: root causes merged by cell and evidence (instances summed, the earliest
//! detection and a shrunk reproducer kept), findings renumbered, coverage summed, and the outcome
//! recomputed by `cloison_suites::outcome::classify_merge`: findings if any finding fails the merged run
//! (`--fail-on`, as `cloison run`'s); clean only if every shard is clean; otherwise a target failure if any
//! shard failed, else inconclusive. Findings (groups by missing check) are regrouped from the merged root
//! causes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;
use cloison_suites::outcome::{FailOn, MergeFacts, ShardVerdict, classify_merge};

use crate::exit::CliError;
use crate::report::{
    CellCoverage, Coverage, Evidence, FamilyCoverage, Finding, Report, RootCause, Stats,
};
use crate::reporters::{Format, OutputArgs, Outputs};

/// Arguments of `cloison report merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`cloison run --shard K/N --json FILE`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where the merged report goes, in which formats.
    #[command(flatten)]
    pub outputs: OutputArgs,
    /// Which findings fail the merged run (exit 1): `proven` (the default; status-only findings are
    /// warnings) or `suspicious` (every finding).
    #[arg(long, value_name = "TIER", default_value = "proven", value_parser = crate::run::parse_fail_on)]
    pub fail_on: FailOn,
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

/// Merge the reports of the shards of one run; `fail_on` says which findings fail the merged run.
pub fn merge(shards: &[Report], fail_on: FailOn) -> Result<Report, MergeError> {
    let first = same_run(shards)?;
    let (root_causes, findings) = merge_causes(shards);
    let groups = crate::report::group::group(&root_causes, fail_on);
    let coverage = merge_coverage(shards);
    let stats = merge_stats(shards);
    let mut warnings: Vec<String> = Vec::new();
    for w in shards.iter().flat_map(|s| &s.warnings) {
        if !warnings.contains(w) {
            warnings.push(w.clone());
        }
    }
    let facts = MergeFacts {
        root_causes: groups.len(),
        suspicious: crate::report::group::tally(&groups).suspicious,
        fail_on,
        shards: shards
            .iter()
            .map(|s| ShardVerdict {
                shard: s.shard.clone(),
                outcome: s.outcome,
                reasons: s.reasons.clone(),
                failures: s.failures.clone(),
            })
            .collect(),
        unrun_families: coverage
            .families
            .iter()
            .filter(|f| f.planned > 0 && f.probes == 0)
            .map(|f| f.family.clone())
            .collect(),
    };
    let verdict = classify_merge(&facts);
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
        run_tag: first.run_tag,
        replay: unsharded(&first.replay),
        tenants: first.tenants,
        cases: first.cases,
        outcome: verdict.outcome,
        reasons: verdict.reasons,
        stats,
        coverage,
        fail_on,
        groups,
        baseline: None,
        absent: Vec::new(),
        root_causes,
        findings,
        warnings,
        failures: verdict.failures,
        pace: None,
        audit: None,
    })
}

/// The first report, when every report is a shard of the same run, each shard given once, of one split.
fn same_run(shards: &[Report]) -> Result<&Report, MergeError> {
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
    Ok(first)
}

/// A root cause's cell and evidence: what merges it with another shard's.
type CauseKey = (
    Evidence,
    cloison_suites::Family,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn cause_key(c: &RootCause) -> CauseKey {
    (
        c.evidence,
        c.family,
        c.endpoint.clone(),
        c.role.clone(),
        c.relation.clone(),
        c.kind.clone(),
        c.via.clone(),
    )
}

/// Add a shard's instance of a root cause to the merged one: instances summed, the earliest detection, a
/// shrunk reproducer (else the earliest).
fn absorb(merged: &mut RootCause, cause: &RootCause) {
    merged.instances += cause.instances;
    let earlier = (cause.first_detection.seconds, cause.first_detection.probes)
        < (
            merged.first_detection.seconds,
            merged.first_detection.probes,
        );
    if earlier {
        merged.first_detection = cause.first_detection;
    }
    if (cause.shrunk && !merged.shrunk) || (cause.shrunk == merged.shrunk && earlier) {
        merged.reproducer = cause.reproducer.clone();
        merged.shrunk = cause.shrunk;
    }
}

/// Root causes merged by cell and evidence, and every finding renumbered to its merged root cause.
fn merge_causes(shards: &[Report]) -> (Vec<RootCause>, Vec<Finding>) {
    let mut causes: BTreeMap<CauseKey, RootCause> = BTreeMap::new();
    // (shard index, old root-cause index) -> key, to renumber findings.
    let mut owners: BTreeMap<(usize, usize), CauseKey> = BTreeMap::new();
    for (s, shard) in shards.iter().enumerate() {
        for (i, cause) in shard.root_causes.iter().enumerate() {
            let k = cause_key(cause);
            owners.insert((s, i), k.clone());
            match causes.get_mut(&k) {
                None => {
                    causes.insert(k, cause.clone());
                }
                Some(merged) => absorb(merged, cause),
            }
        }
    }
    let index: BTreeMap<CauseKey, usize> = causes
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
    (root_causes, findings)
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
    let (mut passed, mut run) = (0, 0);
    for c in shards.iter().map(|s| &s.coverage) {
        merge_families(&mut families, &c.families);
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
    }
    let cells = merge_cells(shards);
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
        operations: merge_operations(shards),
        // Every shard plans the same: its first's.
        unplanned: shards
            .first()
            .map(|s| s.coverage.unplanned.clone())
            .unwrap_or_default(),
    }
}

/// Add a shard's families: probes summed, skipped only if skipped in every shard.
fn merge_families(families: &mut Vec<FamilyCoverage>, these: &[FamilyCoverage]) {
    for f in these {
        match families.iter_mut().find(|m| m.family == f.family) {
            Some(m) => {
                m.probes += f.probes;
                m.planned += f.planned;
                m.not_applicable += f.not_applicable;
                m.sent += f.sent;
                m.not_sent += f.not_sent;
                crate::report::unsent::merge_reasons(&mut m.not_sent_reasons, &f.not_sent_reasons);
                if m.skipped.is_none() || f.skipped.is_none() {
                    m.skipped = None;
                }
            }
            None => families.push(f.clone()),
        }
    }
}

/// Every shard's cells: planned probes summed, the strongest finding kept.
fn merge_cells(shards: &[Report]) -> Vec<CellCoverage> {
    type CellKey = (
        cloison_suites::Family,
        String,
        String,
        String,
        String,
        Option<String>,
    );
    let mut cells: BTreeMap<CellKey, CellCoverage> = BTreeMap::new();
    for cell in shards.iter().flat_map(|s| &s.coverage.cells) {
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
                m.sent += cell.sent;
                crate::report::unsent::merge_cell(&mut m.not_sent, &cell.not_sent);
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
    cells.into_values().collect()
}

/// The OpenAPI operations, with the families that probed each in any shard.
fn merge_operations(shards: &[Report]) -> Option<Vec<crate::openapi::coverage::OperationCoverage>> {
    let mut operations: Option<Vec<crate::openapi::coverage::OperationCoverage>> = None;
    for these in shards.iter().filter_map(|s| s.coverage.operations.as_ref()) {
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
    operations
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
        stats.preflight_reads += s.preflight_reads;
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

fn load(path: &Path) -> Result<Report, CliError> {
    let text = crate::input::read_text_up_to(path, "shard report", 1 << 30)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!(
            "{}: not a cloison run report (schema {}): {e}",
            path.display(),
            crate::report::SCHEMA_VERSION
        ))
    })?;
    if report.schema_version != crate::report::SCHEMA_VERSION {
        return Err(CliError::usage(format!(
            "{}: schema version {} (this cloison reads {})",
            path.display(),
            report.schema_version,
            crate::report::SCHEMA_VERSION
        )));
    }
    Ok(report)
}

/// Entry point of `cloison report merge`: read, merge, print the summary, write the formats asked for; the
/// merged outcome is the exit code.
pub fn run(args: &MergeArgs) -> Result<(), CliError> {
    let shards = args
        .files
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = merge(&shards, args.fail_on).map_err(|e| CliError::usage(e.to_string()))?;
    let to_stdout = args.outputs.json_to_stdout();
    let outputs = Outputs::with_json(&args.outputs);
    outputs
        .check()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let failed = |e: crate::reporters::ReportError| CliError::Failed(anyhow::Error::new(e));
    let summary = crate::term::paint(&merged, to_stdout);
    if to_stdout {
        eprint!("{summary}");
        let json = Format::Json.render(&merged).map_err(failed)?;
        println!("{}", String::from_utf8_lossy(&json));
    } else {
        print!("{summary}");
    }
    for path in outputs.write(&merged).map_err(failed)? {
        if to_stdout {
            eprintln!("report written to {}", path.display());
        } else {
            println!("report written to {}", path.display());
        }
    }
    CliError::check(merged.outcome)
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
