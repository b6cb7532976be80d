//! Sessions lost while a run goes on never make a finding and never lose a probe: the reference portal behind
//! a proxy that revokes every session it saw issued, every so many requests (answering 401 to the old
//! tokens until a new login), or once while the world is being seeded (a restart that loses the sessions).
//! The hardened portal stays clean, a flaw is still found, identities log in again once per lost session,
//! and a login the target refuses after setup is the target's failure, naming the identity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloison_fixtures::{Flaw, FlawSet, PortalConfig, PortalHandle};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_TARGET};
use cloison_harness::report::{Evidence, Outcome};
use cloison_harness::run::{RunResult, execute};
use serde_json::{Value, json};

use crate::support::library::assert_clean;
use crate::support::proxy::{portal_args, read, secrets_file};
use crate::support::serve;

/// When the proxy takes the sessions it saw issued as lost.
#[derive(Debug, Clone, Copy)]
enum Loss {
    /// At every `n`-th request made with a session, every session issued so far is revoked.
    Every(usize),
    /// Once, at the `n`-th request made with a session: the target restarted and lost them all.
    Once(usize),
}

/// What the proxy saw and did.
#[derive(Debug, Default)]
struct Seen {
    /// Each token a login answered, and the loss it was issued after (0: before any).
    issued: Mutex<HashMap<String, u64>>,
    /// Losses so far.
    losses: AtomicU64,
    /// Requests made with a session.
    requests: AtomicUsize,
    /// Requests the proxy answered 401 because their session was lost.
    refused: AtomicUsize,
    /// Logins after the first loss.
    logins_after: AtomicUsize,
}

/// The portal's own answer to a request without a valid session.
fn signed_out(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": "unauthorized", "message": message })),
    )
        .into_response()
}

/// The reference portal, hardened or with `flaws`.
async fn portal_with(token: &str, flaws: &[Flaw]) -> PortalHandle {
    let mut set = FlawSet::none();
    for flaw in flaws {
        set.insert(*flaw);
    }
    cloison_fixtures::spawn(PortalConfig {
        operator_token: token.into(),
        argon2: cloison_fixtures::Argon2Params::CHEAP,
        flaws: set,
        ..Default::default()
    })
    .await
    .expect("portal")
}

/// Forward a request to the portal; the answer's status, headers and body.
async fn pass(
    client: &reqwest::Client,
    upstream: &str,
    parts: &axum::http::request::Parts,
    body: axum::body::Bytes,
) -> (StatusCode, axum::http::HeaderMap, axum::body::Bytes) {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut forwarded = client
        .request(parts.method.clone(), format!("{upstream}{path}"))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" {
            forwarded = forwarded.header(name, value);
        }
    }
    let Ok(answer) = forwarded.send().await else {
        return (
            StatusCode::BAD_GATEWAY,
            Default::default(),
            "upstream".into(),
        );
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    (status, headers, answer.bytes().await.unwrap_or_default())
}

/// One request through the proxy: logins are watched (and refused after a loss when `refuse_logins`),
/// requests with a lost session answered 401, everything else forwarded.
async fn through(
    seen: &Seen,
    loss: Loss,
    refuse_logins: bool,
    client: &reqwest::Client,
    upstream: &str,
    request: Request<Body>,
) -> Response {
    let (parts, body) = read(request).await;
    if parts.method == "POST" && parts.uri.path().ends_with("/auth/login") {
        let losses = seen.losses.load(Ordering::SeqCst);
        if losses > 0 {
            seen.logins_after.fetch_add(1, Ordering::SeqCst);
            if refuse_logins {
                return signed_out("invalid credentials");
            }
        }
        let (status, headers, bytes) = pass(client, upstream, &parts, body).await;
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        if let Some(token) = answer["token"].as_str() {
            seen.issued
                .lock()
                .expect("issued")
                .insert(token.to_string(), losses);
        }
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        return response;
    }
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let issued_after = token.and_then(|t| seen.issued.lock().expect("issued").get(&t).copied());
    if let Some(issued_after) = issued_after {
        let n = seen.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let lost = match loss {
            Loss::Every(every) => n.is_multiple_of(every),
            Loss::Once(at) => n == at,
        };
        if lost {
            seen.losses.fetch_add(1, Ordering::SeqCst);
        }
        if issued_after < seen.losses.load(Ordering::SeqCst) {
            seen.refused.fetch_add(1, Ordering::SeqCst);
            return signed_out("authentication required");
        }
    }
    let (status, headers, bytes) = pass(client, upstream, &parts, body).await;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A run of the reference profile against the portal (with `flaws`) behind a proxy that loses sessions as
/// `loss` says; the result and what the proxy saw.
async fn run_losing(
    name: &str,
    flaws: &[Flaw],
    loss: Loss,
    refuse_logins: bool,
) -> (RunResult, Arc<Seen>) {
    let token = format!("{name}-operator");
    let portal = portal_with(&token, flaws).await;
    let upstream = portal.base_url();
    let seen = Arc::new(Seen::default());
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let watched = seen.clone();
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream, seen) = (client.clone(), upstream.clone(), watched.clone());
        async move { through(&seen, loss, refuse_logins, &client, &upstream, request).await }
    });
    let (addr, server) = serve(proxy).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = portal_args(addr, &secrets_file(&dir, &token));
    args.timeout = 10;
    args.cases = 12;
    let result = execute(&args)
        .await
        .expect("a run through the proxy completes");
    server.abort();
    portal.shutdown().await;
    (result, seen)
}

fn failures(result: &RunResult) -> String {
    (result.report.failures.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every session revoked every 150 requests: the hardened portal stays clean (a dead session's 401 is
/// never taken for a refusal, nor compared with one), and the sessions were renewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_revoked_mid_run_never_make_a_finding() {
    let (result, seen) = run_losing("revoked", &[], Loss::Every(150), false).await;
    assert!(
        seen.refused.load(Ordering::SeqCst) > 0 && seen.losses.load(Ordering::SeqCst) > 3,
        "the proxy revoked sessions during the run"
    );
    assert_clean(
        &result,
        "hardened portal, sessions revoked every 150 requests",
    );
    assert!(
        result
            .report
            .warnings
            .iter()
            .any(|w| w.contains("renewed by logging in again")),
        "{:?}",
        result.report.warnings
    );
}

/// The same revocations with a flaw on: the flaw is still found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaw_is_found_while_sessions_are_revoked() {
    let (result, seen) =
        run_losing("revoked-flaw", &[Flaw::CaseIdor], Loss::Every(150), false).await;
    assert!(seen.refused.load(Ordering::SeqCst) > 0);
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", result.report.summary());
    assert!(
        result
            .report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-read"
                && c.endpoint == "resources.case.read"
                && c.evidence == Evidence::ProvenLeak),
        "{}",
        result.report.summary()
    );
}

/// How many sessions the report says were renewed (0 when it does not warn of any).
fn renewed(result: &RunResult) -> usize {
    result
        .report
        .warnings
        .iter()
        .find(|w| w.contains("renewed by logging in again"))
        .and_then(|w| w.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The target loses every session once while the world is being seeded: not the profile's fault; no
/// identity logs in again more than once (the requests waiting on the same dead session share its new
/// login), and the run is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_restarted_while_seeding_is_not_blamed_on_the_profile() {
    let (result, seen) = run_losing("restart", &[], Loss::Once(12), false).await;
    assert_eq!(seen.losses.load(Ordering::SeqCst), 1);
    assert!(seen.refused.load(Ordering::SeqCst) > 0);
    assert_clean(&result, "hardened portal restarted while seeding");
    let renewed = renewed(&result);
    let refused = seen.refused.load(Ordering::SeqCst);
    assert!(
        renewed > 0 && renewed < refused,
        "{renewed} renewals for {refused} requests answered by lost sessions: they share new logins"
    );
}

/// After the restart, the target refuses the identities' logins: a target failure (exit 3) that names the
/// identity and its role and shows no credential, whether it happens while seeding or while probing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_refused_after_setup_is_a_target_failure_naming_the_identity() {
    for at in [12, 400] {
        let (result, seen) = run_losing(&format!("refused-{at}"), &[], Loss::Once(at), true).await;
        assert_eq!(seen.losses.load(Ordering::SeqCst), 1, "lost at {at}");
        assert!(seen.logins_after.load(Ordering::SeqCst) > 0, "lost at {at}");
        assert_eq!(result.exit, EXIT_TARGET, "{}", result.report.summary());
        assert_eq!(result.report.outcome, Outcome::TargetFailure);
        let failure = failures(&result);
        assert!(
            failure.contains("logged in during setup, but its new login")
                && failure.contains("invalid credentials"),
            "lost at {at}: {failure}"
        );
        assert!(
            ["applicant", "representative", "agent", "admin"]
                .iter()
                .any(|role| failure.contains(&format!("{role})"))),
            "the failure names the identity's role: {failure}"
        );
        assert!(!failure.contains("Bearer "), "{failure}");
    }
}
