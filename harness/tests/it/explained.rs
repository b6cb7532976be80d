//! Failures that say what happened: a credential from the secrets file that the target refuses is named as
//! such (not blamed on the profile key that sent it), a run that fails while seeding keeps what setup made
//! in its summary, and a server error quotes its cause, or says that the target's log has it. Each fault is
//! made by a proxy in front of the real portal, or by the portal itself.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use cloison_harness::cli::EXIT_TARGET;
use cloison_harness::report::Outcome;
use cloison_harness::run::{RunResult, execute};

use crate::support::proxy::{forward, portal, portal_args, secrets_file};
use crate::support::serve;

/// The operator token of the secrets file is not the portal's (a stale one): the error names the secret
/// (its key and the file, never its value) and does not blame `[provisioning]`'s endpoints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_secret_is_named_not_the_profile_key_that_sent_it() {
    let portal = portal("the-current-operator-token").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = secrets_file(&dir, "a-stale-operator-token");
    let addr: std::net::SocketAddr = portal
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let err = execute(&portal_args(addr, &secrets))
        .await
        .expect_err("a refused secret is a configuration error (exit 2)");
    let message = format!("{err:#}");
    for part in [
        "refused the credential from the secrets file",
        &secrets.display().to_string(),
        "`operator_token`",
        "answered 401",
    ] {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
    assert!(
        !message.contains("a-stale-operator-token"),
        "the secret's value is never shown: {message}"
    );
    assert!(
        !message.contains("provisioning.tenant:") && !message.contains("provisioning.identity:"),
        "the profile's endpoint is not blamed: {message}"
    );
    portal.shutdown().await;
}

/// A run through a proxy that answers every case file's create (the first records seeded, after the
/// identities) with `answer`.
async fn run_failing_seeds(name: &str, answer: fn() -> Response) -> RunResult {
    let token = format!("{name}-operator");
    let portal = portal(&token).await;
    let upstream = portal.base_url();
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream) = (client.clone(), upstream.clone());
        async move {
            if request.method() == "POST" && request.uri().path() == "/api/v1/cases" {
                return answer();
            }
            forward(&client, &upstream, request).await
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let args = portal_args(serve(proxy).await.0, &secrets_file(&dir, &token));
    let result = execute(&args)
        .await
        .expect("a server error while seeding is a target failure, not a usage error");
    portal.shutdown().await;
    result
}

fn failures(result: &RunResult) -> String {
    (result.report.failures.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Seeding fails with a server error that states its cause: the failure quotes it, and the summary keeps
/// the identities and objects setup made before it (not "0 identities").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeding_failure_quotes_its_cause_and_keeps_what_setup_made() {
    let result = run_failing_seeds("locked", || {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "application/json")],
            r#"{"detail": "database is locked"}"#,
        )
            .into_response()
    })
    .await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_TARGET, "{}", report.summary());
    assert_eq!(report.outcome, Outcome::TargetFailure);
    let failure = failures(&result);
    assert!(
        failure.contains("answered 500: database is locked"),
        "{failure}"
    );
    assert!(!failure.contains("target's log"), "{failure}");
    assert!(
        report.stats.identities > 0 && report.stats.objects_created >= report.stats.identities,
        "what setup made is kept: {:?}",
        report.stats
    );
    assert_eq!(report.stats.records_seeded, 0, "{:?}", report.stats);
    let summary = report.summary();
    assert!(
        summary.contains(&format!(
            "{} identities, 0 records seeded",
            report.stats.identities
        )),
        "{summary}"
    );
}

/// A server error that says nothing of its cause: the failure says to look in the target's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_that_says_nothing_points_at_the_targets_log() {
    let result = run_failing_seeds("mute", || {
        (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
    })
    .await;
    assert_eq!(result.exit, EXIT_TARGET, "{}", result.report.summary());
    let failure = failures(&result);
    assert!(
        failure.contains(
            "answered 500: Internal Server Error (the answer does not say why: look in the target's log)"
        ),
        "{failure}"
    );
    let empty = run_failing_seeds("empty", || StatusCode::BAD_GATEWAY.into_response()).await;
    let failure = failures(&empty);
    assert!(
        failure.contains(
            "answered 502: an empty answer (the answer does not say why: look in the target's log)"
        ),
        "{failure}"
    );
}
