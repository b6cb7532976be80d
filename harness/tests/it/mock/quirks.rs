//! Behaviours of a real platform that are not flaws (echoing refusals, expiring sessions, server errors on
//! forbidden writes, a case file per person, logins taken by an earlier run) never change a verdict.

use std::sync::Arc;

use cloison_harness::cli::{EXIT_INCONCLUSIVE, EXIT_OK};
use cloison_harness::report::{Evidence, Outcome};

use super::platform::{Flaws, Mock};
use super::{MockRun, PROFILE, assert_clean, assert_found, run_mock, run_on, try_run_mock};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_refusing_a_second_case_file_stops_the_stateful_suite_and_the_run_is_inconclusive() {
    let flaws = Flaws {
        one_case_per_holder: true,
        ..Flaws::default()
    };
    let run = run_mock(flaws, 1).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_INCONCLUSIVE, "{}", report.summary());
    assert!(report.root_causes.is_empty() && report.failures.is_empty());
    let stopped = report
        .coverage
        .stateful
        .stopped
        .as_deref()
        .expect("the suite says why it stopped");
    assert!(stopped.contains("409"), "{stopped}");
    assert!(
        report.reasons.iter().any(|r| r
            .to_string()
            .starts_with("the stateful suite stopped early")),
        "{:?}",
        report.reasons
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_refusals_that_echo_the_searched_surname_are_not_leaks() {
    let run = run_mock(Flaws::default(), 6).await;
    assert_clean(&run, "hardened with echoing refusals");
    let echoed = run.mock.db.lock().expect("db").echoed_searches;
    assert!(
        echoed > 0,
        "the search family sent persons' searches that the mock refused with an echo"
    );
}

/// Sessions expire after 30 requests, in the hardened and in a flawed build. A 401 from an expired token is
/// never a refusal: the engine logs in again, the hardened run stays clean, the flawed one still shows its
/// leak, and both reports say sessions were renewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_expiring_sessions_are_renewed_and_never_count_as_refusals() {
    let renewed = |run: &MockRun| {
        let expired = run.mock.db.lock().expect("db").expired;
        assert!(expired > 0, "tokens did expire during the run");
        assert!(
            run.report()
                .warnings
                .iter()
                .any(|w| w.contains("renewed by logging in again")),
            "{:?}",
            run.report().warnings
        );
    };
    let flawed = run_mock(
        Flaws {
            list_whole_tenant: true,
            expire_after: Some(30),
            ..Flaws::default()
        },
        7,
    )
    .await;
    assert_found(
        &flawed,
        "collection",
        "resources.case.list",
        &[Evidence::ProvenLeak],
        "flawed, expiring sessions",
    );
    renewed(&flawed);
    let hardened = run_mock(
        Flaws {
            expire_after: Some(30),
            ..Flaws::default()
        },
        7,
    )
    .await;
    assert_clean(&hardened, "hardened, expiring sessions");
    renewed(&hardened);
}

/// The hardened mock answers 500 to forbidden updates and changes nothing: the owners' read-backs show the
/// case unchanged, so the run is not voided: no target failure, no finding, and a warning names the update
/// endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_server_errors_on_forbidden_writes_are_warnings_not_failures() {
    let run = run_mock(
        Flaws {
            write_500: true,
            ..Flaws::default()
        },
        8,
    )
    .await;
    let report = run.report();
    assert!(run.mock.db.lock().expect("db").writes_500 > 0);
    assert_ne!(
        report.outcome,
        Outcome::TargetFailure,
        "{}",
        report.summary()
    );
    assert!(
        report.failures.is_empty() && report.root_causes.is_empty(),
        "{}",
        report.summary()
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("server error") && w.contains("resources.case.update")),
        "{:?}",
        report.warnings
    );
    assert!(
        [EXIT_OK, EXIT_INCONCLUSIVE].contains(&run.result.exit),
        "{}",
        report.summary()
    );
}

/// The same run, held to "exit 0 with a warning": every forbidden write was read back unchanged by its owner
/// and shown nothing to its writer, which is what the direct-write family exists to prove.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_server_errors_on_forbidden_writes_with_no_change_leave_the_run_clean() {
    let run = run_mock(
        Flaws {
            write_500: true,
            ..Flaws::default()
        },
        8,
    )
    .await;
    assert_clean(&run, "forbidden writes answered 500, nothing changed");
}

/// A policy that grants every role its whole tenant leaves nothing to deny in a one-tenant world: the
/// direct-read family applies but cannot plan a probe, and the run says so instead of saying clean.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_a_session_expiring_inside_an_existence_probe_is_not_an_existence_leak() {
    for seed in [1, 2, 3] {
        let run = run_mock(
            Flaws {
                reads_expire_after: Some(2),
                ..Flaws::default()
            },
            seed,
        )
        .await;
        let report = run.report();
        assert!(run.mock.db.lock().expect("db").expired > 0);
        assert!(
            report.root_causes.is_empty(),
            "seed {seed}: a hardened platform whose sessions expire: {}",
            report.summary()
        );
    }
}

/// Sessions that expire after 5 requests expire while the world is being seeded (an owner creates its case
/// file and uploads its documents). A 401 there is an expired session, not a profile that does not fit the
/// platform: the run must log in again and go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_sessions_expiring_while_seeding_are_renewed() {
    let (result, mock) = try_run_mock(
        Flaws {
            expire_after: Some(5),
            ..Flaws::default()
        },
        1,
        2,
        12,
        PROFILE,
    )
    .await;
    assert!(mock.db.lock().expect("db").expired > 0);
    let result = result.expect("an expired session while seeding is not a usage error");
    assert_eq!(result.exit, EXIT_OK, "{}", result.report.summary());
}

/// A forbidden update answered 403 that still shared the case with its writer: the owner reads it unchanged,
/// but the writer now reads it. The write's effect is proven by the writer's view, whatever the status; the
/// direct-write family must name it (other families may see the shared case in the writer's lists too).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_instance_needs_the_profiles_reset() {
    let mock = Arc::new(Mock::new(Flaws {
        unique_logins: true,
        ..Flaws::default()
    }));
    // Without [[reset]], the first run is clean and the second finds every login taken.
    let first = run_on(&mock, 11, 2, 12, PROFILE).await.expect("first run");
    assert_eq!(first.exit, EXIT_OK, "{}", first.report.summary());
    let failure = run_on(&mock, 11, 2, 12, PROFILE)
        .await
        .expect_err("the second run stops at provisioning")
        .to_string();
    assert!(
        failure.contains("answered 409") && failure.contains("deja pris"),
        "the failure names the answer and what it said: {failure}"
    );
    assert!(failure.contains("[[reset]]"), "and the way out: {failure}");
    // With [[reset]], every run starts from a blank platform and is clean again.
    let profile = format!(
        "{PROFILE}\n[[reset]]\nmethod = \"DELETE\"\npath = \"/api/admin/remise-a-zero\"\nok = [204]\n"
    );
    for run in 0..2 {
        let result = run_on(&mock, 11, 2, 12, &profile).await.expect("run");
        assert_eq!(
            result.exit,
            EXIT_OK,
            "run {run}: {}",
            result.report.summary()
        );
    }
    assert_eq!(mock.db.lock().expect("db").resets, 2);
}
