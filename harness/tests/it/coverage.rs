//! Every planned cell is sent or says why not: on a platform that accepts forbidden writes, each write,
//! delete and mass-assignment probe is either sent or counted as not sent with its reason (a successful
//! write uses up its record, never the pool, so deletes are still sent); the counts add up in the JSON
//! report, and a hardened platform sends them all.

use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::report::{Evidence, Report};

use super::run::{args, run};

const CHANGING: [&str; 3] = ["direct-write", "mass-assignment", "foreign-create"];

/// For the families that change data: planned = sent + not sent, per family and per cell, every reason
/// with its sentence; the JSON report validates.
fn assert_counts_add_up(report: &Report, what: &str) {
    for family in report
        .coverage
        .families
        .iter()
        .filter(|f| CHANGING.contains(&f.family.as_str()))
    {
        assert!(family.planned > 0, "{what}: {family:?}");
        assert_eq!(
            family.planned,
            family.sent + family.not_sent,
            "{what}: {family:?}\n{}",
            report.summary()
        );
        let reasons: usize = family.not_sent_reasons.iter().map(|r| r.probes).sum();
        assert_eq!(reasons, family.not_sent, "{what}: {family:?}");
        assert!(
            family.not_sent_reasons.iter().all(|r| !r.first.is_empty()),
            "{what}: {family:?}"
        );
    }
    for cell in report
        .coverage
        .cells
        .iter()
        .filter(|c| CHANGING.contains(&c.family.name()))
    {
        assert_eq!(cell.planned, cell.sent + cell.unsent(), "{what}: {cell:?}");
    }
    let json = serde_json::to_value(report).expect("serialises");
    super::reports::assert_valid(&json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_successful_forbidden_write_every_planned_write_is_sent_or_says_why_not() {
    // A world of 32 case files: four per tenant set aside, enough for the updates' findings to use up
    // some and leave the deletes theirs.
    let result = run(&args(&["write-idor", "mass-assignment"], 1, 32)).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert_counts_add_up(report, "write-idor");
    // Deletes are sent, and found, after the updates that proved tampering used up their records.
    let deletes: Vec<_> = report
        .coverage
        .cells
        .iter()
        .filter(|c| c.endpoint == "resources.case.delete")
        .collect();
    assert!(!deletes.is_empty());
    assert!(
        deletes.iter().any(|c| c.sent > 0),
        "{deletes:?}\n{}",
        report.summary()
    );
    assert!(
        report.root_causes.iter().any(|c| {
            c.endpoint == "resources.case.delete" && c.evidence == Evidence::ProvenTampering
        }),
        "{}",
        report.summary()
    );
    assert!(
        !report.warnings.iter().any(|w| w.contains("delete")),
        "{:?}",
        report.warnings
    );
    // Every proven mass assignment and every field of it: sent or not sent with its reason.
    let assign = report
        .coverage
        .families
        .iter()
        .find(|f| f.family == "mass-assignment")
        .expect("planned");
    assert!(assign.sent > 1, "{assign:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hardened_platform_sends_every_planned_write() {
    let result = run(&args(&[], 1, 16)).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_OK, "{}", report.summary());
    assert_counts_add_up(report, "hardened");
    for family in &report.coverage.families {
        if CHANGING.contains(&family.family.as_str()) {
            assert_eq!(family.not_sent, 0, "{family:?}\n{}", report.summary());
        }
    }
}
