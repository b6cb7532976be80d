//! Bounded reads and bounded failure: a huge answer costs cloison no more than its decoding limit, and the
//! run still ends with its report. Each fault is made by a proxy in front of the real portal, and the
//! `cloison` binary is measured from outside (its peak resident memory, read from `/proc`).

use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::support;
use crate::support::proxy::{forward, portal, secrets_file};

/// 64 KiB of JSON-looking filler (no canary, no escape, no long base64 run).
static FILLER: [u8; 64 * 1024] = {
    let unit = b"{\"id\": 12, \"note\": \"rien a signaler\"}, ";
    let mut out = [b' '; 64 * 1024];
    let mut i = 0;
    while i + unit.len() <= out.len() {
        let mut j = 0;
        while j < unit.len() {
            out[i + j] = unit[j];
            j += 1;
        }
        i += unit.len();
    }
    out
};

/// A body of `bytes` bytes, made as it is sent (the proxy never holds it).
fn huge_body(bytes: usize) -> Body {
    let chunks = bytes / FILLER.len();
    let head = futures_util::stream::once(async {
        Ok::<_, std::convert::Infallible>(Bytes::from_static(b"["))
    });
    let filler = futures_util::stream::iter(
        std::iter::repeat_n(Bytes::from_static(&FILLER), chunks)
            .map(Ok::<_, std::convert::Infallible>),
    );
    Body::from_stream(futures_util::StreamExt::chain(head, filler))
}

/// The peak resident memory of a child process (`VmHWM`, in KiB), sampled until it exits, and how it
/// exited. The high-water mark only grows, so any sample after the peak reads it.
fn wait_measuring(child: &mut Child) -> (ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The portal behind a proxy that answers the first anonymous GET of the probes (after setup, past
/// `after` requests) with 256 MB of JSON; every other request reaches the portal. `sent` is set once the
/// huge answer was started.
async fn huge_answer_proxy(upstream: String, after: usize, sent: Arc<AtomicBool>) -> SocketAddr {
    let count = Arc::new(AtomicUsize::new(0));
    let client = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let proxy = Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream, count, sent) = (
            client.clone(),
            upstream.clone(),
            count.clone(),
            sent.clone(),
        );
        async move {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let anonymous = !request.headers().contains_key("authorization")
                && !request.headers().contains_key("cookie");
            if n > after
                && request.method() == "GET"
                && anonymous
                && !sent.swap(true, Ordering::SeqCst)
            {
                let response: Response = (
                    StatusCode::FORBIDDEN,
                    [("content-type", "application/json")],
                    huge_body(256 * 1024 * 1024),
                )
                    .into_response();
                return response;
            }
            forward(&client, &upstream, request).await
        }
    });
    support::serve(proxy).await.0
}

/// A run of 6 cases against the portal behind the proxy: whether the huge answer was sent, how the run
/// exited, its peak resident memory (KiB) and its report. `huge`: the proxy sends its 256 MB answer, else
/// every request reaches the portal (the baseline).
fn run_behind_the_proxy(huge: bool) -> (bool, ExitStatus, u64, Value) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sent = Arc::new(AtomicBool::new(false));
    let after = if huge { 50 } else { usize::MAX };
    let (portal, addr) = runtime.block_on(async {
        let portal = portal("huge-operator").await;
        let addr = huge_answer_proxy(portal.base_url(), after, sent.clone()).await;
        (portal, addr)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = secrets_file(&dir, "huge-operator");
    let json = dir.path().join("report.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["run", "--quiet", "--no-shrink", "--cases", "6", "--target"])
        .arg(format!("url:http://{addr}"))
        .arg("--secrets")
        .arg(&secrets)
        .arg("--json")
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cloison");
    let (status, peak_kib) = wait_measuring(&mut child);
    runtime.block_on(portal.shutdown());
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the report is written"))
            .expect("it parses");
    (sent.load(Ordering::SeqCst), status, peak_kib, report)
}

/// A 256 MB answer to a probe: cloison reads it only up to its decoding limit (32 MiB), so the answer
/// costs the run at most three times that limit (the body as read, its decoded form, and the copy the
/// canary scan folds) over the same run without it; the report counts the response as decoded only up to
/// the limits, and the run ends with it.
#[test]
fn a_huge_answer_is_read_up_to_the_limit_and_the_run_ends_with_its_report() {
    let (_, _, baseline_kib, _) = run_behind_the_proxy(false);
    let (sent, status, peak_kib, report) = run_behind_the_proxy(true);
    eprintln!(
        "peak resident memory: {} MiB with the huge answer, {} MiB without",
        peak_kib / 1024,
        baseline_kib / 1024
    );
    assert!(sent, "the huge answer was sent");
    assert!(
        report["outcome"].is_string(),
        "the report is complete: {report}"
    );
    assert!(
        matches!(status.code(), Some(0 | 1 | 3 | 4)),
        "the run ends with an outcome's exit code, not a crash: {status:?}, {}",
        report["failures"]
    );
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("decoded only up to cloison's limits"),
        "the cut answer is counted: {warnings}"
    );
    let limit_kib = (cloison_harness::decode::Limits::default().max_bytes / 1024) as u64;
    let extra_kib = peak_kib.saturating_sub(baseline_kib);
    assert!(
        extra_kib <= 3 * limit_kib,
        "the 256 MB answer cost {} MiB over the run without it: more than three decoding limits",
        extra_kib / 1024
    );
}

/// What a fault proxy does with the n-th request (0-based).
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
                Fault::Delay(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                Fault::Hang => std::future::pending::<()>().await,
            }
            forward(&client, &upstream, request).await
        }
    });
    support::serve(proxy).await.0
}

/// A target that stops answering after setup (it accepts connections and never answers), at default
/// timeouts and retries: the run ends well within a minute and a half (it went on past 600 s when only
/// failures in a row counted), as a target failure that says the target answered nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_stops_answering_ends_a_default_run_within_a_minute() {
    let portal = portal("silent-operator").await;
    let addr = fault_proxy(portal.base_url(), |n| {
        if n > 400 { Fault::Hang } else { Fault::Forward }
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let args = cloison_harness::run::RunArgs {
        target: crate::support::library::url_target(addr),
        secrets: Some(secrets_file(&dir, "silent-operator")),
        cases: 12,
        ..cloison_harness::run::RunArgs::default()
    };
    let started = std::time::Instant::now();
    let result = cloison_harness::run::execute(&args)
        .await
        .expect("a result");
    let elapsed = started.elapsed();
    assert_eq!(
        result.exit,
        cloison_harness::cli::EXIT_TARGET,
        "{}",
        result.report.summary()
    );
    let failures: Vec<String> = result
        .report
        .failures
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        failures.iter().any(|f| f.contains("answered nothing for")),
        "{failures:?}"
    );
    assert!(elapsed < Duration::from_secs(90), "{elapsed:?}");
    portal.shutdown().await;
}

/// A target that answers 500 to everything, its health check included: it is called unhealthy after one
/// startup wait, not two (the OpenAPI document's wait and the health check's were each the whole
/// `--startup-timeout`): the health check is tried only once its share of the wait is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_target_is_waited_for_once() {
    let health_checks = Arc::new(AtomicUsize::new(0));
    let counted = health_checks.clone();
    let broken = Router::new().fallback(move |request: Request<Body>| {
        let counted = counted.clone();
        async move {
            if request.uri().path() == "/healthz" {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            (StatusCode::INTERNAL_SERVER_ERROR, "down")
        }
    });
    let addr = support::serve(broken).await.0;
    let dir = tempfile::tempdir().expect("tempdir");
    let args = cloison_harness::run::RunArgs {
        target: crate::support::library::url_target(addr),
        secrets: Some(secrets_file(&dir, "op")),
        cases: 6,
        startup_timeout: 3,
        ..cloison_harness::run::RunArgs::default()
    };
    let result = cloison_harness::run::execute(&args)
        .await
        .expect("a result");
    assert_eq!(
        result.exit,
        cloison_harness::cli::EXIT_TARGET,
        "{}",
        result.report.summary()
    );
    let failures: Vec<String> = result
        .report
        .failures
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        failures
            .iter()
            .any(|f| f.contains("the target is not healthy")),
        "{failures:?}"
    );
    // The OpenAPI document was waited for during the whole startup timeout: the health check then gets one
    // try (every 100 ms for 3 s more was the second wait).
    assert_eq!(health_checks.load(Ordering::SeqCst), 1);
}

/// SIGINT while a slow target is being set up: the run stops within seconds (it went on for every planned
/// setup request), and its report is written, marked interrupted, with what setup made.
#[test]
fn a_signal_during_setup_stops_the_run_at_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (portal, addr) = runtime.block_on(async {
        let portal = portal("setup-signal-operator").await;
        // Past the health check and the OpenAPI document, every request takes two seconds.
        let addr = fault_proxy(portal.base_url(), |n| {
            if n > 2 {
                Fault::Delay(2_000)
            } else {
                Fault::Forward
            }
        })
        .await;
        (portal, addr)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = secrets_file(&dir, "setup-signal-operator");
    let json = dir.path().join("report.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["run", "--quiet", "--cases", "12", "--target"])
        .arg(format!("url:http://{addr}"))
        .arg("--secrets")
        .arg(&secrets)
        .arg("--json")
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cloison");
    std::thread::sleep(Duration::from_secs(5));
    let signalled = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // Setting this world up takes minutes at this pace: a run that ends within 10 s of the signal stopped.
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("the run did not stop within 10 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.code(),
        Some(i32::from(cloison_harness::cli::EXIT_INTERRUPTED))
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the partial report is written"))
            .expect("it parses");
    assert_eq!(report["outcome"], "interrupted");
    crate::reports::assert_valid(&report);
    assert!(
        report["reasons"]
            .to_string()
            .contains("while setting the target up"),
        "{}",
        report["reasons"]
    );
    runtime.block_on(portal.shutdown());
}
