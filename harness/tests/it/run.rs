//! `cloison run` against the embedded reference portal: the hardened build gives zero findings, and each
//! read flaw the direct-read family can reach is found, with the right owner named.

use cloison_generators::{GenConfig, World};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::report::{Evidence, Outcome};
use cloison_harness::run::{RunArgs, RunResult, execute};
use cloison_suites::population::{case_key, document_key};

pub fn args(flaws: &[&str], seed: u64, cases: u64) -> RunArgs {
    RunArgs {
        flaws: flaws.iter().map(|f| f.to_string()).collect(),
        seed,
        cases,
        tenants: 2,
        ..RunArgs::default()
    }
}

pub async fn run(args: &RunArgs) -> RunResult {
    execute(args).await.expect("the run completes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hardened_portal_gives_zero_findings() {
    let result = run(&args(&[], 1, 24)).await;
    let report = &result.report;
    assert_eq!(report.outcome, Outcome::Clean, "{}", report.summary());
    assert_eq!(result.exit, EXIT_OK);
    assert!(report.findings.is_empty());
    assert!(report.failures.is_empty());
    assert!(
        report.stats.probes > 1000,
        "the run probed: {:?}",
        report.stats
    );
    assert!(
        report.stats.controls > 50,
        "owners read their own records: {:?}",
        report.stats
    );
    assert!(report.summary().contains("CLEAN"));
}

/// A flaw, the seed of a world where it is reachable, and the classes (with their evidence) it must give.
type FlawCase = (&'static str, u64, &'static [(&'static str, Evidence)]);

/// The case file a record belongs to, in the world of a run.
fn case_of(world: &World, record: &str) -> String {
    if record.starts_with("case-") {
        return record.to_string();
    }
    world
        .cases
        .iter()
        .find(|b| b.documents.iter().any(|d| document_key(d.id) == record))
        .map(|b| case_key(b.case_file.id))
        .unwrap_or_else(|| panic!("{record} is a document of the world"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_reachable_read_flaw_is_found_with_the_right_owner() {
    // flaw, seed (a world where the flaw is reachable: representation-kept needs a representation that ended),
    // and the classes the direct-read family must report.
    const LEAK: Evidence = Evidence::ProvenLeak;
    let table: &[FlawCase] = &[
        (
            "document-idor",
            1,
            &[("direct-read: download document", LEAK)],
        ),
        ("case-idor", 1, &[("direct-read: read case", LEAK)]),
        (
            "sequential-ids",
            1,
            &[
                ("direct-read: read case", LEAK),
                ("direct-read: download document", LEAK),
            ],
        ),
        (
            "error-echo",
            1,
            &[
                ("direct-read: read case", LEAK),
                ("direct-read: download document", LEAK),
            ],
        ),
        ("shared-cache", 1, &[("direct-read: read case", LEAK)]),
        (
            "representation-kept",
            2,
            &[
                ("direct-read: read case", LEAK),
                ("direct-read: download document", LEAK),
            ],
        ),
        // The direct-write family: proven by the owner's read-back, whatever the write's status.
        (
            "write-idor",
            1,
            &[("direct-write: update case", Evidence::ProvenTampering)],
        ),
    ];
    for &(flaw, seed, classes) in table {
        let a = args(&[flaw], seed, 24);
        let result = run(&a).await;
        let report = &result.report;
        assert_eq!(result.exit, EXIT_FINDINGS, "{flaw}: {}", report.summary());
        assert!(report.failures.is_empty(), "{flaw}: {:?}", report.failures);
        for (class, evidence) in classes {
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.class == *class && f.evidence == *evidence),
                "{flaw}: no {evidence:?} of class {class}: {:?}",
                report.classes
            );
        }
        let world = World::generate(&GenConfig::new(seed, 2, 24)).expect("same world");
        for finding in &report.findings {
            assert_ne!(
                finding.evidence,
                Evidence::Suspicious,
                "{flaw}: {}",
                finding.explanation
            );
            let record = finding
                .record
                .as_deref()
                .expect("a direct read aims at a record");
            let case = case_of(&world, record);
            // Every leaked canary is named with its owner: the case file aimed at, never the actor's own.
            for hit in &finding.leaked {
                assert_eq!(
                    hit.owner.case.as_deref(),
                    Some(case.as_str()),
                    "{flaw}: {hit:?} of {record}"
                );
            }
            if finding.evidence == Evidence::ProvenLeak {
                assert!(
                    !finding.leaked.is_empty(),
                    "{flaw}: a proven leak names what leaked"
                );
            }
            let victim = finding.victim.as_ref().expect("the record has a steward");
            assert_ne!(
                victim.identity, finding.actor.identity,
                "{flaw}: {}",
                finding.probe
            );
            assert!(
                finding.request.curl.starts_with("curl "),
                "{}",
                finding.request.curl
            );
            assert!(
                finding.request.curl.contains("<redacted"),
                "credentials are redacted: {}",
                finding.request.curl
            );
            assert!(
                !finding.request.curl.contains("Bearer "),
                "no token in a reproducer: {}",
                finding.request.curl
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_verdict() {
    let first = run(&args(&["case-idor"], 3, 12)).await.report;
    let second = run(&args(&["case-idor"], 3, 12)).await.report;
    let probes = |r: &cloison_harness::report::Report| {
        r.findings
            .iter()
            .map(|f| f.probe.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(probes(&first), probes(&second));
    assert_eq!(first.classes, second.classes);
}

/// The binary as a user meets it: the README's first command (no flags) is clean and exits 0; a flawed run
/// exits 1, and its summary and JSON report carry the seed and a replay command that names the flaw.
#[test]
fn the_binary_exits_0_when_clean_and_1_with_a_replay_command_on_findings() {
    use std::process::Command;

    let clean = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["run", "--quiet"])
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(clean.status.code(), Some(i32::from(EXIT_OK)), "{stdout}");
    assert!(stdout.contains("CLEAN"), "{stdout}");
    assert!(!stdout.contains("replay:"), "{stdout}");

    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("report.json");
    let flawed = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args([
            "run",
            "--quiet",
            "--seed",
            "7",
            "--cases",
            "6",
            "--flaw",
            "case-idor",
        ])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&flawed.stdout);
    assert_eq!(
        flawed.status.code(),
        Some(i32::from(EXIT_FINDINGS)),
        "{stdout}"
    );
    let replay =
        "cloison run --target 'embedded' --seed 7 --tenants 2 --cases 6 --flaw 'case-idor'";
    assert!(
        stdout.contains(&format!("seed 7; replay: {replay}")),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON report is written"))
            .expect("the JSON report parses");
    assert_eq!(report["replay"], replay);
    assert_eq!(report["outcome"], "findings");
}
