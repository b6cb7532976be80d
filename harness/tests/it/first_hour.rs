//! A buyer's first hour, on the corpus (`corpus`): `cloison init --openapi` on each document writes a profile
//! that passes `cloison profile check` unchanged, describes at least 80 % of the document's operations (or,
//! on the 300-operation document, has the run reach them), plans with `--dry-run`, and run as written
//! against the mock finds its planted flaw (exit 1) and leaves the fixed twin clean (exit 0).

use std::path::{Path, PathBuf};

use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::openapi::Document;
use cloison_harness::openapi::coverage::share;
use cloison_harness::openapi::init::{InitArgs, draft, run as init};
use cloison_harness::profile::check::{CheckArgs, check};
use cloison_harness::run::{RunArgs, RunResult, execute};

use crate::corpus::{Flaw, Shape, docs, router};
use crate::support::library::url_target;
use crate::support::serve;

/// `cloison init --openapi http://ADDR/openapi.json --out DIR/NAME.toml`, as a user runs it (on a thread of
/// its own: init starts its own runtime).
fn init_from(addr: std::net::SocketAddr, out: &Path) -> String {
    let args = InitArgs {
        openapi: format!("http://{addr}/openapi.json"),
        out: Some(out.to_path_buf()),
        force: false,
        timeout: 10,
    };
    let code = std::thread::spawn(move || init(&args).expect("init writes a profile"))
        .join()
        .expect("init ends");
    assert_eq!(code, EXIT_OK);
    std::fs::read_to_string(out).expect("the profile")
}

/// The share of the document's operations the written profile describes, in percent.
fn described(shape: &Shape) -> (usize, usize) {
    let doc = Document::parse("doc.json", &shape.document.to_string()).expect("parses");
    let draft = draft(&doc, None);
    (draft.mapped.len(), doc.operations.len())
}

async fn run_profile(addr: std::net::SocketAddr, profile: &Path) -> RunResult {
    let args = RunArgs {
        target: url_target(addr),
        profile: Some(profile.to_path_buf()),
        cases: 24,
        tenants: cloison_generators::TenantSelection::Count(1),
        quiet: true,
        ..RunArgs::default()
    };
    execute(&args).await.expect("the run completes")
}

/// The whole first hour on one document: init, profile check, the share described, a dry run, then the
/// run against the flawed mock (the flaw found by `family`) and against its fixed twin (clean).
async fn first_hour(shape: fn() -> Shape, flaw: Flaw, family: &str, endpoint: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = shape().name;
    let profile: PathBuf = dir.path().join(format!("{name}.toml"));
    let (addr, server) = serve(router(shape(), Some(flaw))).await;
    let written = init_from(addr, &profile);
    // Loads as written, and says what would be probed.
    let summary = check(&CheckArgs {
        file: profile.clone(),
        secrets: None,
    })
    .unwrap_or_else(|e| panic!("{name}: profile check fails: {e}\n{written}"));
    assert!(summary.contains("families that apply"), "{summary}");
    // The dry run plans without a target.
    let dry = RunArgs {
        profile: Some(profile.clone()),
        dry_run: true,
        ..RunArgs::default()
    };
    cloison_harness::run::run(&dry).unwrap_or_else(|e| panic!("{name}: dry run: {e:?}"));
    let found = run_profile(addr, &profile).await;
    server.abort();
    let report = &found.report;
    assert_eq!(
        found.exit,
        EXIT_FINDINGS,
        "{name}: the flaw is found: {}\n{written}",
        report.summary()
    );
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == family && c.endpoint.contains(endpoint)),
        "{name}: found by {family} through {endpoint}: {}",
        report.summary()
    );
    // The operations the run reached, described or probed generically.
    let operations = report
        .coverage
        .operations
        .as_ref()
        .expect("the profile names the document");
    let (reached, total, percent) = share(operations);
    assert!(
        percent >= 80,
        "{name}: {reached} of {total} operations probed"
    );
    let (addr, server) = serve(router(shape(), None)).await;
    let fixed = run_profile(addr, &profile).await;
    server.abort();
    assert_eq!(
        fixed.exit,
        EXIT_OK,
        "{name}: the fixed twin is clean: {}\n{written}",
        fixed.report.summary()
    );
    written
}

#[test]
fn every_corpus_document_is_mostly_described() {
    for shape in [docs::fastapi, docs::connexion, docs::express] {
        // FastAPI: 8 of 10 (the reset excluded, `/users/me/` left to generic probing).
        let shape = shape();
        let (mapped, total) = described(&shape);
        assert!(
            mapped * 100 >= 80 * total,
            "{}: {mapped} of {total} operations described",
            shape.name
        );
    }
    let (mapped, total) = described(&docs::drf());
    assert!(
        total >= 300,
        "the Django REST document has {total} operations"
    );
    assert!(mapped >= 10, "{mapped}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fastapi_oauth2_form_and_trailing_slashes_find_the_read_idor() {
    let written = first_hour(
        docs::fastapi,
        Flaw::ReadAnyRecord,
        "direct-read",
        "item.read",
    )
    .await;
    assert!(written.contains("path = \"/token\""), "{written}");
    assert!(
        written.contains("grant_type") || written.contains("username"),
        "{written}"
    );
    assert!(
        written.contains("path = \"/items/\""),
        "trailing slash kept: {written}"
    );
    assert!(written.contains("source = \"register\""), "{written}");
    assert!(written.contains("\"POST /admin/reset-db\""), "{written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_cookie_session_finds_the_read_idor() {
    let written = first_hour(
        docs::express,
        Flaw::ReadAnyRecord,
        "direct-read",
        "order.read",
    )
    .await;
    assert!(written.contains("scheme = \"cookie\""), "{written}");
    assert!(
        written.contains("[health]\npath = \"/healthz\""),
        "{written}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connexion_jwt_finds_the_list_leak() {
    let written = first_hour(
        docs::connexion,
        Flaw::ListEveryone,
        "collection",
        "pet.list",
    )
    .await;
    assert!(
        written.contains("value = \"Bearer {{token}}\""),
        "{written}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drf_token_header_nested_children_find_the_child_idor() {
    let written = first_hour(docs::drf, Flaw::ReadAnyChild, "direct-read", "task.read").await;
    assert!(written.contains("value = \"Token {{token}}\""), "{written}");
    assert!(written.contains("/api/v1/projects/"), "{written}");
}

/// `profile check` on a profile with two independent mistakes: both, each with its file, line and column,
/// and exit 2; nothing is sent anywhere (no target is named).
#[test]
fn profile_check_reports_every_mistake_at_once_with_exit_2() {
    let doc = Document::parse("doc.json", &docs::fastapi().document.to_string()).expect("parses");
    let text = draft(&doc, None)
        .text
        .replacen("applicant = [\"own\"]", "applicant = [\"owner\"]", 1)
        .replacen("path = \"/items/\"", "path = \"items/\"", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, &text).expect("write");
    let err = check(&CheckArgs {
        file: file.clone(),
        secrets: None,
    })
    .expect_err("two mistakes");
    assert_eq!(err.process_exit_code(), cloison_harness::cli::EXIT_USAGE);
    let message = err.message().expect("a message");
    let at = format!("{}:", file.display());
    assert_eq!(message.matches(&at).count(), 2, "{message}");
    assert!(message.contains("owner"), "{message}");
    assert!(message.contains("items/"), "{message}");
}
