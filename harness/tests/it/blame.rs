//! Faults while a target is set up are blamed on the right party: an answer that cannot be used (an empty
//! body, the request echoed back, a 409 to the retry of a create whose first answer was lost) is a target
//! failure (exit 3), not a profile error (exit 2); and one server error to a control does not void a run.
//! Each fault is made by a proxy in front of the real portal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use cloison_harness::cli::EXIT_TARGET;
use cloison_harness::report::Outcome;
use cloison_harness::run::execute;

use crate::support::proxy::{body_bytes, forward, portal, portal_args, read, secrets_file};
use crate::support::serve;

fn creates_identity(parts: &Parts) -> bool {
    parts.method == "POST" && parts.uri.path().ends_with("/users")
}

/// A run through a proxy that answers the creation of identities with `answer` (given the request body);
/// everything else reaches the portal.
async fn run_with_identity_answers(
    name: &str,
    answer: fn(&[u8]) -> Response,
) -> cloison_harness::run::RunResult {
    let token = format!("{name}-operator");
    let portal = portal(&token).await;
    let upstream = portal.base_url();
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream) = (client.clone(), upstream.clone());
        async move {
            let (parts, bytes) = read(request).await;
            if creates_identity(&parts) {
                return answer(&bytes);
            }
            forward(
                &client,
                &upstream,
                Request::from_parts(parts, Body::from(bytes)),
            )
            .await
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let args = portal_args(serve(proxy).await.0, &secrets_file(&dir, &token));
    let result = execute(&args)
        .await
        .expect("a target fault is a result, not a usage error (exit 2)");
    portal.shutdown().await;
    result
}

fn assert_target_fault(result: &cloison_harness::run::RunResult, says: &[&str]) {
    assert_eq!(result.exit, EXIT_TARGET, "{}", result.report.summary());
    assert_eq!(result.report.outcome, Outcome::TargetFailure);
    let failure = (result.report.failures.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("\n");
    for part in says {
        assert!(failure.contains(part), "{part:?} not in: {failure}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_answer_to_provisioning_is_a_target_fault() {
    let result = run_with_identity_answers("empty", |_| StatusCode::OK.into_response()).await;
    assert_target_fault(
        &result,
        &[
            "answered 200 with an empty body",
            "expected the new identity's identifier",
            "provisioning.identity.extract.id",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_echoes_provisioning_requests_is_at_fault() {
    let result = run_with_identity_answers("echo", |body| {
        (
            StatusCode::OK,
            [("content-type", "application/json")],
            body.to_vec(),
        )
            .into_response()
    })
    .await;
    assert_target_fault(
        &result,
        &[
            "the request's own body sent back",
            "expected the new identity's identifier",
        ],
    );
    // The echo carried a password: the failure shows none of it.
    let failure = (result.report.failures.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!failure.contains("password"), "{failure}");
}

/// The first identity's creation reaches the portal, but its answer is lost (the proxy answers 503 instead):
/// cloison retries, and the portal answers 409 (the identity exists). That is the target's fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_after_a_lost_answer_is_not_blamed_on_the_profile() {
    let token = "lost-operator";
    let portal = portal(token).await;
    let upstream = portal.base_url();
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let lost = Arc::new(Mutex::new(false));
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream, lost) = (client.clone(), upstream.clone(), lost.clone());
        async move {
            let (parts, bytes) = read(request).await;
            let first = creates_identity(&parts)
                && lost
                    .lock()
                    .map(|mut lost| !std::mem::replace(&mut *lost, true))
                    .unwrap_or(false);
            let answer = forward(
                &client,
                &upstream,
                Request::from_parts(parts, Body::from(bytes)),
            )
            .await;
            if first {
                // Applied by the portal, answered to nobody.
                return (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "0")], "")
                    .into_response();
            }
            answer
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let args = portal_args(serve(proxy).await.0, &secrets_file(&dir, token));
    let result = execute(&args)
        .await
        .expect("a lost answer is a target fault, not a usage error");
    assert_target_fault(
        &result,
        &[
            "answered 409",
            "to a retry",
            "status 503",
            "may have been applied",
        ],
    );
    portal.shutdown().await;
}

/// Every owner's first read of each of their case files is answered 500 once: the controls among them are
/// sent again and pass; the run is not a target failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_error_to_a_control_does_not_void_the_run() {
    let token = "flaky-operator";
    let portal = portal(token).await;
    let upstream = portal.base_url();
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    // Case identifier -> the credential that created it (its owner), until its first read by that owner.
    let created: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let errors = Arc::new(Mutex::new(0usize));
    let (seen, sent) = (created.clone(), errors.clone());
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream, created, errors) = (
            client.clone(),
            upstream.clone(),
            created.clone(),
            errors.clone(),
        );
        async move {
            let (parts, bytes) = read(request).await;
            let path = parts.uri.path().to_string();
            let auth = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let method = parts.method.clone();
            if method == "GET"
                && let Some(id) = path.strip_prefix("/api/v1/cases/")
                && let Ok(mut created) = created.lock()
                && created.get(id) == Some(&auth)
            {
                created.remove(id);
                if let Ok(mut errors) = errors.lock() {
                    *errors += 1;
                }
                return (StatusCode::INTERNAL_SERVER_ERROR, "hiccup").into_response();
            }
            let answer = forward(
                &client,
                &upstream,
                Request::from_parts(parts, Body::from(bytes)),
            )
            .await;
            if method == "POST" && path == "/api/v1/cases" {
                let (parts, body) = answer.into_parts();
                let body = body_bytes(body).await;
                if let Some(id) = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|json| json["id"].as_str().map(str::to_string))
                    && let Ok(mut created) = created.lock()
                {
                    created.insert(id, auth);
                }
                return Response::from_parts(parts, Body::from(body));
            }
            answer
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let args = portal_args(serve(proxy).await.0, &secrets_file(&dir, token));
    let result = execute(&args).await.expect("a result");
    let report = &result.report;
    assert!(
        *sent.lock().expect("count") > 0,
        "the proxy answered 500 to owners' reads"
    );
    assert!(seen.lock().expect("map").is_empty(), "every case was read");
    assert_ne!(
        report.outcome,
        Outcome::TargetFailure,
        "{}",
        report.summary()
    );
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(
        report.coverage.controls_passed,
        report.coverage.controls_run,
        "{}",
        report.summary()
    );
    portal.shutdown().await;
}
