//! Targets that fail are reported as target failures (exit 3), never as clean: a target that answers 5xx,
//! one that answers bursts of 503, one that hangs, one that drops connections, and one that breaks in the
//! middle of the probes. Usage mistakes exit 2 before any request.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use cloison_harness::cli::{EXIT_TARGET, EXIT_USAGE};
use cloison_harness::report::Outcome;
use cloison_harness::run::{RunArgs, execute};

use crate::support;
use crate::support::proxy::{forward, portal, portal_args, read, secrets_file};

/// Serve a fault proxy (or a failing target) until the runtime ends.
async fn serve(router: Router) -> SocketAddr {
    support::serve(router).await.0
}

async fn expect_target_failure(args: &RunArgs, what: &str) {
    let result = execute(args)
        .await
        .expect("a target failure is a result, not a usage error");
    assert_eq!(
        result.exit,
        EXIT_TARGET,
        "{what}: {}",
        result.report.summary()
    );
    assert_eq!(result.report.outcome, Outcome::TargetFailure, "{what}");
    assert!(
        !result.report.failures.is_empty(),
        "{what}: the failure is explained"
    );
    assert!(result.report.summary().contains("TARGET FAILURE"), "{what}");
    crate::reports::assert_valid(&serde_json::to_value(&result.report).expect("serialises"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_targets_exit_3_and_are_never_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = secrets_file(&dir, "op");

    // Healthy, then 500 on everything else.
    let errors = Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .fallback(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") });
    expect_target_failure(&portal_args(serve(errors).await, &secrets), "5xx").await;

    // Bursts of 503 that outlast the retries.
    let unavailable = Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .fallback(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "0")],
                "busy",
            )
        });
    expect_target_failure(
        &portal_args(serve(unavailable).await, &secrets),
        "503 bursts",
    )
    .await;

    // Accepts connections and never answers.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hang_addr = hang.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hang.accept().await {
            held.push(socket);
        }
    });
    expect_target_failure(&portal_args(hang_addr, &secrets), "hang").await;

    // Drops every connection at once (a crashed process behind a listening socket).
    let drop_all = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let drop_addr = drop_all.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((socket, _)) = drop_all.accept().await {
            drop(socket);
        }
    });
    expect_target_failure(&portal_args(drop_addr, &secrets), "dropped connections").await;

    // Nothing listens at all.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    expect_target_failure(&portal_args(gone, &secrets), "nothing listening").await;
}

/// A proxy in front of the real portal that starts answering 500 after `healthy` requests: the portal
/// breaks in the middle of the probes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_breaks_mid_run_is_a_target_failure() {
    let portal = portal("mid-run-operator").await;
    let upstream = portal.base_url();
    let count = Arc::new(AtomicUsize::new(0));
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream, count) = (client.clone(), upstream.clone(), count.clone());
        async move {
            // Setup takes a few hundred requests for this world; the probes come after.
            if count.fetch_add(1, Ordering::SeqCst) > 400 {
                return (StatusCode::INTERNAL_SERVER_ERROR, "crashed").into_response();
            }
            forward(&client, &upstream, request).await
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = secrets_file(&dir, "mid-run-operator");
    let mut a = portal_args(serve(proxy).await, &secrets);
    a.cases = 12;
    let result = execute(&a).await.expect("a result");
    assert_eq!(result.exit, EXIT_TARGET, "{}", result.report.summary());
    assert!(
        result.report.stats.probes > 0,
        "the break came during the probes: {:?}",
        result.report.failures.first()
    );
    portal.shutdown().await;
}

#[test]
fn usage_mistakes_exit_2_before_any_request() {
    let check = |args: &[&str], says: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_cloison"))
            .args(args)
            .output()
            .expect("run cloison");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(i32::from(EXIT_USAGE)),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    };
    // A documentation address (RFC 5737): never contacted, refused before any request.
    check(
        &["run", "--target", "url:http://192.0.2.1:8080"],
        "--allow-remote",
    );
    check(&["run", "--flaw", "no-such-flaw"], "no-such-flaw");
    check(&["run", "--flaw", ""], "expected a flaw name");
    // Durations and counts are bounded: no overflow, no empty world.
    check(
        &["run", "--startup-timeout", "18446744073709551615"],
        "not in 1..=3600",
    );
    check(&["run", "--cases", "0"], "not in 1..=1000000");
    check(&["run", "--tenants", "0"], "not between 1 and 101");
    check(
        &["run", "--tenants", "102"],
        "unknown departement code \"102\"",
    );
    check(&["run", "--concurrency", "0"], "not in 1..=1024");
    // Input files are regular, small, UTF-8 files: never read until memory runs out, never a hang.
    check(&["run", "--profile", "/dev/zero"], "must be a regular file");
    check(&["run", "--secrets", "/dev/zero"], "must be a regular file");
    check(&["run", "--target", "ftp:x"], "expected `embedded`");
    check(
        &["run", "--keep-target", "--target", "url:http://127.0.0.1:9"],
        "--keep-target applies to the embedded portal and to containers cloison starts",
    );
    check(
        &["run", "--profile", "/nonexistent/profile.toml"],
        "cannot read the profile",
    );
    check(
        &[
            "run",
            "--target",
            "url:http://127.0.0.1:9",
            "--flaw",
            "case-idor",
        ],
        "--flaw applies",
    );
}

/// What the fault proxy does with the n-th request (0-based).
#[derive(Clone, Copy)]
enum Fault {
    Forward,
    Delay(u64),
    Hang,
}

/// A proxy in front of a real portal, applying `rule` to each request by its number.
async fn fault_proxy(upstream: String, rule: fn(usize) -> Fault) -> SocketAddr {
    let count = Arc::new(AtomicUsize::new(0));
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream, count) = (client.clone(), upstream.clone(), count.clone());
        async move {
            match rule(count.fetch_add(1, Ordering::SeqCst)) {
                Fault::Forward => {}
                Fault::Delay(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
                Fault::Hang => std::future::pending::<()>().await,
            }
            forward(&client, &upstream, request).await
        }
    });
    serve(proxy).await
}

/// A target that stops answering during the probes: cloison gives up after a run of transport failures, in
/// bounded time, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_stops_answering_is_given_up_in_bounded_time() {
    let portal = portal("hang-operator").await;
    let addr = fault_proxy(portal.base_url(), |n| {
        if n > 400 { Fault::Hang } else { Fault::Forward }
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = portal_args(addr, &secrets_file(&dir, "hang-operator"));
    a.cases = 12;
    a.retries = 0;
    let started = std::time::Instant::now();
    let result = execute(&a).await.expect("a result");
    let elapsed = started.elapsed();
    assert_eq!(result.exit, EXIT_TARGET, "{}", result.report.summary());
    assert!(
        result
            .report
            .failures
            .iter()
            .any(|f| f.to_string().contains("cloison gave up")),
        "{:?}",
        result.report.failures
    );
    // Setup is ~400 requests; then 25 timeouts of 1 s, 16 at a time, and the rest skipped.
    assert!(elapsed < std::time::Duration::from_secs(60), "{elapsed:?}");
    portal.shutdown().await;
}

/// A slow target: the run stops sending probes at its deadline, and says what it could not cover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stops_at_its_deadline_and_is_inconclusive() {
    let portal = portal("slow-operator").await;
    let addr = fault_proxy(portal.base_url(), |n| {
        if n > 400 {
            Fault::Delay(300)
        } else {
            Fault::Forward
        }
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = portal_args(addr, &secrets_file(&dir, "slow-operator"));
    a.cases = 12;
    a.timeout = 5;
    a.deadline = 4;
    let started = std::time::Instant::now();
    let result = execute(&a).await.expect("a result");
    assert_eq!(
        result.exit,
        cloison_harness::cli::EXIT_INCONCLUSIVE,
        "{}",
        result.report.summary()
    );
    assert!(
        result
            .report
            .reasons
            .iter()
            .any(|r| r.to_string().contains("deadline")),
        "{:?}",
        result.report.reasons
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    crate::reports::assert_valid(&serde_json::to_value(&result.report).expect("serialises"));
    portal.shutdown().await;
}

/// SIGTERM during the probes: the run stops, writes a partial report marked interrupted, and exits 130.
#[test]
fn a_signal_stops_the_run_with_a_partial_report() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (portal, addr) = runtime.block_on(async {
        let portal = portal("signal-operator").await;
        let addr = fault_proxy(portal.base_url(), |n| {
            if n > 400 {
                Fault::Delay(200)
            } else {
                Fault::Forward
            }
        })
        .await;
        (portal, addr)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = secrets_file(&dir, "signal-operator");
    let json = dir.path().join("report.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["run", "--quiet", "--cases", "12", "--target"])
        .arg(format!("url:http://{addr}"))
        .arg("--secrets")
        .arg(&secrets)
        .arg("--json")
        .arg(&json)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn cloison");
    std::thread::sleep(std::time::Duration::from_secs(4));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(i32::from(cloison_harness::cli::EXIT_INTERRUPTED))
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the partial report is written"))
            .expect("it parses");
    assert_eq!(report["outcome"], "interrupted");
    crate::reports::assert_valid(&report);
    runtime.block_on(portal.shutdown());
}

/// A target whose errors echo the request (headers and body): no credential cloison holds (operator token,
/// passwords, tokens) reaches the error it prints, whichever setup step fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_that_echo_the_request_never_print_credentials() {
    for (step, failing_path) in [
        ("provisioning an identity", "/users"),
        ("logging in", "/api/v1/auth/login"),
    ] {
        let portal = portal("echo-operator-token").await;
        let upstream = portal.base_url();
        let client = cloison_harness::http::client_builder()
            .build()
            .expect("an HTTP client");
        let proxy = Router::new().fallback(move |request: Request<Body>| {
            let (client, upstream) = (client.clone(), upstream.clone());
            async move {
                let (parts, bytes) = read(request).await;
                let path = parts.uri.path().to_string();
                if path.ends_with(failing_path) {
                    let headers: Vec<String> = parts
                        .headers
                        .iter()
                        .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap_or("")))
                        .collect();
                    let echo = format!(
                        "bad request {} {path} {} {}",
                        parts.method,
                        headers.join(" "),
                        String::from_utf8_lossy(&bytes)
                    );
                    return (StatusCode::BAD_REQUEST, echo).into_response();
                }
                let request = Request::from_parts(parts, Body::from(bytes));
                forward(&client, &upstream, request).await
            }
        });
        let addr = serve(proxy).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let a = portal_args(addr, &secrets_file(&dir, "echo-operator-token"));
        let err = execute(&a)
            .await
            .expect_err("a setup step the profile cannot pass is a usage error");
        let message = format!("{err:#}");
        assert!(message.contains("bad request"), "{step}: {message}");
        assert!(
            !message.contains("echo-operator-token"),
            "{step}: the operator token leaked: {message}"
        );
        let world = cloison_generators::World::generate(&a.gen_config()).expect("world");
        for account in world.cases.iter().flat_map(|b| &b.accounts) {
            assert!(
                !message.contains(&account.password),
                "{step}: a password leaked: {message}"
            );
        }
        for agent in &world.agents {
            assert!(
                !message.contains(&agent.password),
                "{step}: a password leaked: {message}"
            );
        }
        assert!(message.contains("<redacted>"), "{step}: {message}");
        portal.shutdown().await;
    }
}
