//! "Serrure" (`cloison_fixtures::corpus::serrure`, a benchmark platform): a tenants' association portal
//! whose planted flaw accepts a password change for any member's account (account takeover); the fixed twin
//! answers 403 for another's account. Run at default flags: the flaw is a proven account takeover (logging
//! in as the victim with the secret the attacker chose succeeds, exit 1); the twin is clean (exit 0), its
//! control (a member changing its own password and logging in with it) having passed.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cloison_fixtures::corpus::serrure::{PROFILE, Serrure, router};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;

use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

async fn run_serrure(any_account: bool) -> MockRun<Serrure> {
    let mock = Arc::new(Serrure::new(any_account));
    let (addr, server) = serve(router(mock.clone())).await;
    let files = ProfileFiles::write("serrure", PROFILE, "");
    let args = url_args(addr, &files, 7, 1, 8);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun { result, mock }
}

/// The flaw: another member's password changed, then a login as that member with the new one: proven.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serrure_password_change_of_another_is_a_proven_takeover() {
    let run = run_serrure(true).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_FINDINGS, "{}", report.summary());
    let cause = report
        .root_causes
        .iter()
        .find(|c| c.family.name() == "account-takeover" && c.endpoint == "accounts.password")
        .unwrap_or_else(|| panic!("an account takeover: {}", report.summary()));
    assert_eq!(cause.evidence, Evidence::ProvenTampering, "{cause:?}");
    assert!(
        cause.reproducer.steps.iter().any(|s| s.phase == "check"),
        "the reproducer ends with the victim's login: {:?}",
        cause.reproducer.steps
    );
    assert!(run.mock.taken_over.load(Ordering::SeqCst) > 0);
    // No secret cloison chose is printed.
    let json = serde_json::to_string(report).expect("json");
    assert!(
        !json.contains("Cl0-"),
        "a new secret leaked into the report"
    );
}

/// The fixed twin refuses another's account: clean, its control (an own change) having passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serrure_fixed_twin_is_clean() {
    let run = run_serrure(false).await;
    assert_clean(&run.result, "Serrure refusing another's account");
    assert!(run.mock.own_changes.load(Ordering::SeqCst) > 0);
    assert_eq!(run.mock.taken_over.load(Ordering::SeqCst), 0);
    let family = run
        .report()
        .coverage
        .families
        .iter()
        .find(|f| f.family == "account-takeover")
        .expect("the family is in the coverage");
    assert!(family.skipped.is_none() && family.sent > 0, "{family:?}");
}
