//! "Dossier partagé" (`cloison_fixtures::corpus::dossier`, a benchmark platform): reads are all `POST`
//! queries (a GraphQL-like `POST /graphql`, `POST /search`), `GET` answered 405. Two planted flaws, each
//! with its fixed twin, run at default flags: traces accepted under any dossier (the foreign-create family
//! proves it: the dossier's holder lists the attacker's marker), and the GraphQL query serving any dossier
//! (the direct-read family proves it through the `POST` read).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cloison_fixtures::corpus::dossier::{Flaws, PROFILE, Platform, router};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;

use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

/// Serve Dossier partagé with `flaws` and run cloison at default flags.
async fn run_dossier(flaws: Flaws) -> MockRun<Platform> {
    let platform = Arc::new(Platform::new(flaws));
    let (addr, server) = serve(router(platform.clone())).await;
    let files = ProfileFiles::write("dossier", PROFILE, "");
    let args = url_args(addr, &files, 5, 1, 10);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: platform,
    }
}

/// Whether the report holds a proven root cause of `family` on `endpoint`.
fn proven(run: &MockRun<Platform>, family: &str, endpoint: &str, evidence: Evidence) -> bool {
    run.report()
        .root_causes
        .iter()
        .any(|c| c.family.name() == family && c.endpoint == endpoint && c.evidence == evidence)
}

/// Traces accepted under any dossier: the holder's `POST /search` shows the attacker's marker, proven
/// tampering by the foreign-create family (exit 1); the fixed twin refuses them and is clean (exit 0),
/// its `POST` reads probed and never sent as `GET`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dossier_traces_under_foreign_dossiers_proven_and_twin_clean() {
    let flawed = run_dossier(Flaws {
        open_traces: true,
        ..Flaws::default()
    })
    .await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(flawed.mock.foreign_traces.load(Ordering::SeqCst) > 0);
    assert!(
        proven(
            &flawed,
            "foreign-create",
            "resources.note.create",
            Evidence::ProvenTampering
        ),
        "{}",
        report.summary()
    );
    // Only the planted flaw: every other family's probes were refused.
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() == "foreign-create"),
        "{}",
        report.summary()
    );

    let twin = run_dossier(Flaws::default()).await;
    assert_clean(
        &twin.result,
        "Dossier partagé, traces refused under foreign dossiers",
    );
    // `{"data": {"dossier": null}}` is a declared refusal: no status-only warning either.
    assert!(
        twin.report().findings.is_empty(),
        "{}",
        twin.report().summary()
    );
    assert_eq!(twin.mock.foreign_traces.load(Ordering::SeqCst), 0);
    assert_eq!(
        twin.mock.gets.load(Ordering::SeqCst),
        0,
        "reads sent as POST"
    );
    let coverage = &twin.report().coverage;
    let sent = |family: &str, endpoint: &str| {
        coverage
            .cells
            .iter()
            .filter(|c| c.family.name() == family && c.endpoint == endpoint)
            .map(|c| c.sent)
            .sum::<usize>()
    };
    assert!(sent("foreign-create", "resources.note.create") > 0);
    assert!(
        sent("direct-read", "resources.case.read") > 0,
        "POST reads probed"
    );
    assert!(
        sent("collection", "resources.case.list") > 0,
        "POST lists probed"
    );
}

/// The GraphQL query serving any dossier: another's dossier read through the `POST` query is a proven
/// leak of the direct-read family (exit 1); the twin answers `null` (a declared refusal) and is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dossier_post_query_serving_others_proven_by_direct_read() {
    let flawed = run_dossier(Flaws {
        open_query: true,
        ..Flaws::default()
    })
    .await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        proven(
            &flawed,
            "direct-read",
            "resources.case.read",
            Evidence::ProvenLeak
        ),
        "{}",
        report.summary()
    );
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.starts_with("resources.") && w.contains("declared but no probe used it")),
        "{:?}",
        report.warnings
    );
}
