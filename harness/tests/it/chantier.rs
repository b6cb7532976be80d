//! "Chantier" (`cloison_fixtures::corpus::chantier`, a benchmark platform): projects, each with its own
//! identifier and key; every request names the caller's own project in its URL and carries that project's
//! key. Planted flaw: an update looks its item up by identifier alone and files it under the project of the
//! URL (a cross-project write). The fixed twin crashes on that request (500) and changes nothing. Flaw
//! found (exit 1, proven), twin clean (exit 0).

use std::sync::Arc;

use cloison_fixtures::corpus::chantier::{Chantier, PROFILE, router};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;

use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, curl, url_args};
use crate::support::serve;

/// Serve Chantier and run cloison against it at default flags.
async fn run_chantier(update_moves: bool) -> MockRun<Chantier> {
    let chantier = Arc::new(Chantier::new(update_moves));
    let (addr, server) = serve(router(chantier.clone())).await;
    let files = ProfileFiles::write("chantier", PROFILE, "");
    let result = execute(&url_args(addr, &files, 1, 2, 12))
        .await
        .expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: chantier,
    }
}

/// Every request names the caller's own project and carries its key: no probe is sent to another
/// project's URL (the record's tenant), and no anonymous probe is left unfilled.
fn assert_probes_name_their_callers_project(run: &MockRun<Chantier>, what: &str) {
    let report = run.report();
    assert!(report.failures.is_empty(), "{what}: {:?}", report.failures);
    assert_eq!(
        run.mock.wrong_project(),
        0,
        "{what}: every request named the project of its key"
    );
    assert!(
        run.mock.cross_project_updates() > 0,
        "{what}: updates of another project's items were tried"
    );
    let anonymous = report
        .coverage
        .cells
        .iter()
        .filter(|c| c.family.name() == "anonymous" && c.endpoint == "resources.item.read")
        .collect::<Vec<_>>();
    assert!(
        anonymous
            .iter()
            .any(|c| c.via.as_deref() == Some("a user's own URL")),
        "{what}: an anonymous read borrows a user's URL: {anonymous:?}"
    );
}

/// A cross-project update that moves the victim's item into the caller's project is proven tampering (the
/// owner's read-back no longer finds it); the fixed twin answers 500 to the same request and changes
/// nothing, which is a refusal with an error (a warning), not a finding nor a target failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chantier_per_project_keys_flaw_found_and_twin_clean() {
    let flawed = run_chantier(true).await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-write"
                && c.endpoint == "resources.item.update"
                && c.evidence == Evidence::ProvenTampering),
        "{}",
        report.summary()
    );
    assert!(flawed.mock.moved() > 0);
    for cause in &report.root_causes {
        assert!(
            !curl(cause).contains("pk-"),
            "no project key in a reproducer: {}",
            curl(cause)
        );
    }
    assert_probes_name_their_callers_project(&flawed, "flawed");

    let twin = run_chantier(false).await;
    assert_clean(&twin.result, "fixed twin");
    assert_probes_name_their_callers_project(&twin, "twin");
    let report = twin.report();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("server error(s) on resources.item.update")),
        "the twin's 500s are reported: {:?}",
        report.warnings
    );
    assert_eq!(twin.mock.moved(), 0);
}
