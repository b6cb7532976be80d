//! `cloison run --shard K/N` and `cloison report merge`: a run split in 4 shards and merged gives the same
//! root causes (cells and evidence), instance counts and verdict as the run in one piece, with a flaw and
//! on the hardened portal.

use std::collections::BTreeMap;
use std::process::Command;

use cloison_harness::merge::merge;
use cloison_harness::report::{Outcome, Report};
use cloison_harness::run::{RunArgs, execute};

type Cause = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);

fn causes(report: &Report) -> BTreeMap<Cause, usize> {
    report
        .root_causes
        .iter()
        .map(|c| {
            (
                (
                    c.family.name().to_string(),
                    c.endpoint.clone(),
                    c.role.clone(),
                    c.relation.clone(),
                    c.kind.clone(),
                    c.via.clone(),
                    c.evidence.label().to_string(),
                ),
                c.instances,
            )
        })
        .collect()
}

async fn split_and_merge(flaws: &[&str]) -> (Report, Report, Vec<Report>) {
    let base = RunArgs {
        flaws: flaws.iter().map(|f| f.to_string()).collect(),
        per_cell: Some(3),
        ..RunArgs::default()
    };
    let whole = execute(&base).await.expect("the whole run").report;
    let mut shards = Vec::new();
    for k in 1..=4 {
        let args = RunArgs {
            shard: Some(format!("{k}/4").parse().expect("shard")),
            ..base.clone()
        };
        let report = execute(&args).await.expect("a shard").report;
        assert_eq!(report.shard.as_deref(), Some(format!("{k}/4").as_str()));
        // Through the JSON file format, as `cloison report merge` reads it.
        crate::reports::assert_valid(&serde_json::to_value(&report).expect("serialises"));
        let json = serde_json::to_string(&report).expect("serialises");
        shards.push(serde_json::from_str::<Report>(&json).expect("reads back"));
    }
    let merged = merge(&shards, Default::default()).expect("merges");
    (whole, merged, shards)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_shards_merged_find_what_one_run_finds() {
    let (whole, merged, shards) = split_and_merge(&["document-idor"]).await;
    assert_eq!(whole.outcome, Outcome::Findings);
    assert_eq!(merged.outcome, whole.outcome);
    assert_eq!(causes(&merged), causes(&whole), "{}", merged.summary());
    assert_eq!(merged.findings.len(), whole.findings.len());
    // Every family's probes are split between the shards without overlap or loss.
    for family in &whole.coverage.families {
        let in_shards: usize = shards
            .iter()
            .flat_map(|s| &s.coverage.families)
            .filter(|f| f.family == family.family)
            .map(|f| f.probes)
            .sum();
        if family.family == "audit-trail" {
            // The trail is checked against what each shard sent, its controls included (every shard runs
            // them): the shards check at least what the whole run checks, each its own share.
            assert!(
                in_shards >= family.probes,
                "{in_shards} < {}",
                family.probes
            );
            continue;
        }
        assert_eq!(in_shards, family.probes, "{}", family.family);
    }
    assert_eq!(merged.coverage.cells.len(), whole.coverage.cells.len());
    assert!(!merged.replay.contains("--shard"));
    for f in &merged.findings {
        let cause = &merged.root_causes[f.root_cause];
        assert_eq!(
            cause.evidence, f.evidence,
            "findings point at their merged root cause"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_shards_of_the_hardened_portal_merge_clean() {
    let (whole, merged, shards) = split_and_merge(&[]).await;
    assert_eq!(whole.outcome, Outcome::Clean);
    for shard in &shards {
        assert_eq!(shard.outcome, Outcome::Clean, "{}", shard.summary());
    }
    assert_eq!(merged.outcome, Outcome::Clean, "{}", merged.summary());
    assert!(merged.root_causes.is_empty() && merged.findings.is_empty());
}

#[test]
fn report_merge_reads_shard_files_and_writes_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for k in 1..=4 {
        let file = dir.path().join(format!("shard-{k}.json"));
        let run = Command::new(env!("CARGO_BIN_EXE_cloison"))
            .args(["run", "--flaw", "document-idor", "--quiet", "--shard"])
            .arg(format!("{k}/4"))
            .arg("--json")
            .arg(&file)
            .output()
            .expect("run cloison");
        assert!(
            matches!(run.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        files.push(file);
    }
    let out = dir.path().join("merged");
    let merge = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["report", "merge", "--report"])
        .arg(&out)
        .args(&files)
        .output()
        .expect("run cloison");
    assert_eq!(
        merge.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&merge.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("merged JSON"))
            .expect("JSON");
    assert_eq!(json["outcome"], "findings");
    crate::reports::assert_valid(&json);
    assert!(json["shard"].is_null());
    for name in ["report.junit.xml", "report.sarif", "report.html"] {
        assert!(
            std::fs::metadata(out.join(name)).is_ok_and(|m| m.len() > 100),
            "{name}"
        );
    }
    // Two copies of one shard are refused.
    let twice = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["report", "merge"])
        .args([&files[0], &files[0]])
        .output()
        .expect("run cloison");
    assert_eq!(twice.status.code(), Some(2));
}
