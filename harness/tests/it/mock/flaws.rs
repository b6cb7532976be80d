//! Each planted flaw of the mock is found by its family; its hardened twin is clean.

use std::sync::Arc;

use cloison_harness::cli::EXIT_OK;
use cloison_harness::report::{Evidence, Outcome};
use cloison_suites::outcome::{FailOn, Tier};

use super::platform::{Flaws, Mock};
use super::{
    MockRun, PROFILE, assert_clean, assert_found, flaw_and_twin, run_failing_on, run_mock,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_token_that_survives_logout_is_found_by_the_stateful_family() {
    let flaws = Flaws {
        logout_keeps_token: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        1,
        "stateful",
        "resources.case.read",
        &[Evidence::ProvenLeak],
    )
    .await;
}

/// A platform that refuses a second case file per person: the stateful suite cannot create its subjects,
/// so it stops, and the run says so (inconclusive), neither a finding nor a target failure.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_anonymous_download_is_found_by_the_anonymous_family() {
    let flaws = Flaws {
        anonymous_download: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        1,
        "anonymous",
        "resources.document.download",
        &[Evidence::ProvenLeak],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_similar_cases_of_another_tenant_are_found_by_the_allowed_read_family() {
    let flaws = Flaws {
        similar_cases: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        2,
        "allowed-read",
        "resources.case.read",
        &[Evidence::ProvenLeak],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_own_list_showing_the_whole_tenant_is_found_by_the_collection_family() {
    let flaws = Flaws {
        list_whole_tenant: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        3,
        "collection",
        "resources.case.list",
        &[Evidence::ProvenLeak],
    )
    .await;
}

/// A 403 for a forbidden record against a 404 for a missing one is status-only evidence: by default a
/// warning (exit 0, clean, listed with its callers), one finding for the one missing check however many
/// callers got through; with `--fail-on suspicious` a finding (exit 1). The hardened twin has no warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_403_for_forbidden_and_404_for_missing_is_a_warning_unless_failing_on_suspicious() {
    let flaws = Flaws {
        missing_is_404: true,
        ..Flaws::default()
    };
    let warned = run_mock(flaws, 4).await;
    let report = warned.report();
    let summary = report.summary();
    assert_eq!(warned.result.exit, EXIT_OK, "{summary}");
    assert_eq!(report.outcome, Outcome::Clean, "{summary}");
    assert!(!report.groups.is_empty(), "{summary}");
    assert!(
        report
            .groups
            .iter()
            .all(|g| g.tier == Tier::Suspicious && !g.fails),
        "{summary}"
    );
    let guessing: Vec<_> = (report.groups.iter())
        .filter(|g| g.family.name() == "identifier-guessing" && g.endpoint == "resources.case.read")
        .collect();
    assert_eq!(
        guessing.len(),
        1,
        "one finding for one missing check: {summary}"
    );
    assert!(report.root_causes.len() >= report.groups.len(), "{summary}");
    assert!(
        summary.contains("warnings, status-only") && summary.contains("CLEAN, "),
        "{summary}"
    );
    assert!(summary.contains("warning(s) (status-only)"), "{summary}");

    let mock = Arc::new(Mock::new(flaws));
    let strict = MockRun {
        result: run_failing_on(&mock, 4, 2, 12, PROFILE, FailOn::Suspicious)
            .await
            .expect("the run completes"),
        mock,
    };
    assert_found(
        &strict,
        "identifier-guessing",
        "resources.case.read",
        &[Evidence::Suspicious],
        "--fail-on suspicious",
    );
    let hardened = run_mock(Flaws::default(), 4).await;
    assert_clean(&hardened, "hardened twin");
    assert!(hardened.report().groups.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_forbidden_write_that_reparents_the_case_is_found_by_direct_write() {
    let flaws = Flaws {
        reparent_on_write: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        5,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering, Evidence::ProvenLeak],
    )
    .await;
}

/// The hardened mock's refusal page echoes the URL's path and query: a person's search for other persons'
/// surnames is refused with those surnames in the body. Canaries the request carried are reflected, never
/// proof: the run is clean, although the mock did echo searched surnames.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_refused_write_that_shares_the_case_with_its_writer_is_found_by_direct_write() {
    let run = run_mock(
        Flaws {
            share_on_refused_write: true,
            ..Flaws::default()
        },
        5,
    )
    .await;
    assert_found(
        &run,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering, Evidence::ProvenLeak],
        "refused write that shared the case",
    )
}
