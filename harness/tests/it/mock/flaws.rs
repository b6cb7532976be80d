//! Each planted flaw of the mock is found by its family; its hardened twin is clean.

use cloison_harness::report::Evidence;

use super::platform::Flaws;
use super::{assert_found, flaw_and_twin, run_mock};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_403_for_forbidden_and_404_for_missing_is_found_by_identifier_guessing() {
    let flaws = Flaws {
        missing_is_404: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        4,
        "identifier-guessing",
        "resources.case.read",
        &[Evidence::Suspicious],
    )
    .await;
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
