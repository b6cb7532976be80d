//! "Inscription" (`cloison_fixtures::corpus::inscription`, a benchmark platform): a club's member portal
//! with open registration whose planted flaw takes `admin: true` from the sign-up body, so anyone can
//! register as an administrator and read everything (privilege escalation at sign-up). The fixed twin
//! ignores the field. Run at default flags: the flaw is a proven privilege escalation (exit 1) whose
//! reproducer holds the sign-up, the login and the read; the twin is clean (exit 0).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cloison_fixtures::corpus::inscription::{Inscription, PROFILE, router};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;
use cloison_suites::UnsentKind;

use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

async fn run_inscription(takes_admin: bool, open_entries: bool) -> MockRun<Inscription> {
    let mock = Arc::new(Inscription::new(takes_admin, open_entries));
    let (addr, server) = serve(router(mock.clone())).await;
    let files = ProfileFiles::write("inscription", PROFILE, "");
    let args = url_args(addr, &files, 5, 1, 8);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun { result, mock }
}

/// The flaw: a member signed up with `admin: true` reads another's entry (refused to the same role
/// before): a proven privilege escalation at sign-up, with the whole sequence as reproducer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inscription_admin_at_sign_up_is_a_proven_escalation() {
    let run = run_inscription(true, false).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_FINDINGS, "{}", report.summary());
    let cause = report
        .root_causes
        .iter()
        .find(|c| {
            c.family.name() == "privilege-escalation"
                && c.endpoint == "accounts.register"
                && c.evidence == Evidence::ProvenLeak
        })
        .unwrap_or_else(|| panic!("a proven escalation at sign-up: {}", report.summary()));
    assert!(
        cause.via.as_deref().is_some_and(|v| v.contains("admin")),
        "{cause:?}"
    );
    let steps = &cause.reproducer.steps;
    assert!(
        steps.len() >= 3
            && steps.iter().any(|s| s.step.contains("signs up"))
            && steps.iter().any(|s| s.step.contains("logs in"))
            && steps.iter().any(|s| s.phase == "check"),
        "the reproducer holds the sign-up, the login and the read: {steps:?}"
    );
    assert!(run.mock.admins.load(Ordering::SeqCst) > 0);
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() == "privilege-escalation"),
        "nothing else is found: {}",
        report.summary()
    );
}

/// The fixed twin ignores the field: clean, the family having run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inscription_fixed_twin_is_clean() {
    let run = run_inscription(false, false).await;
    assert_clean(&run.result, "Inscription ignoring `admin` at sign-up");
    let report = run.report();
    let family = report
        .coverage
        .families
        .iter()
        .find(|f| f.family == "privilege-escalation")
        .expect("the family is in the coverage");
    assert!(family.skipped.is_none() && family.probes > 0, "{family:?}");
}

/// Entries readable by every member (a direct-read flaw), no escalation: the reads before the sign-ups are
/// not refused, so no escalation is claimed; the probes are not sent, with their reason, and the leak is the
/// direct-read family's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inscription_reads_open_to_all_are_never_taken_for_an_escalation() {
    let run = run_inscription(false, true).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-read"),
        "{}",
        report.summary()
    );
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() != "privilege-escalation"),
        "{}",
        report.summary()
    );
    let family = report
        .coverage
        .families
        .iter()
        .find(|f| f.family == "privilege-escalation")
        .expect("the family is in the coverage");
    assert!(
        family.not_sent > 0
            && family
                .not_sent_reasons
                .iter()
                .any(|r| r.reason == UnsentKind::ServedBefore),
        "{family:?}"
    );
}
