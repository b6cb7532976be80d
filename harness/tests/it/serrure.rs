//! "Serrure": a tenants' association portal. Members register themselves (`POST /members`), log in (`POST
//! /sessions`, a session token in `X-Session`) and keep notes, each held by one member. A member changes a
//! password with `PUT /members/{id}/password`. The planted flaw: the change is accepted for any member's
//! account, not only the caller's (account takeover). The fixed twin answers 403 for another's account.
//! Run at default flags: the flaw is a proven account takeover (logging in as the victim with the secret the
//! attacker chose succeeds, exit 1); the twin is clean (exit 0), its control (a member changing its own
//! password and logging in with it) having passed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;
use serde_json::{Value, json};

use crate::support::answer::{file_answer, not_found, reply, text, upload};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

#[derive(Debug, Default)]
struct Db {
    /// (id, login, password)
    members: Vec<(u64, String, String)>,
    /// (id, holder, text)
    notes: Vec<(u64, u64, Value)>,
    /// (token, member)
    sessions: Vec<(String, u64)>,
    /// (id, note, type, name, bytes)
    files: Vec<(u64, u64, String, String, Vec<u8>)>,
}

#[derive(Debug, Default)]
struct Serrure {
    db: Mutex<Db>,
    /// The flaw: any member's password may be changed by any signed-in member.
    any_account: bool,
    /// Passwords changed on another member's account.
    taken_over: AtomicUsize,
    /// Passwords changed by their own member.
    own_changes: AtomicUsize,
}

type Shared = State<Arc<Serrure>>;

fn signed_out() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "message": "no session" }))
}

fn caller(db: &Db, headers: &HeaderMap) -> Option<u64> {
    let token = headers.get("x-session")?.to_str().ok()?;
    db.sessions
        .iter()
        .find(|(t, _)| t == token)
        .map(|(_, m)| *m)
}

async fn register(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let (login, password) = (text(&body, "login"), text(&body, "password"));
    if login.is_empty() || password.is_empty() || db.members.iter().any(|u| u.1 == login) {
        return reply(StatusCode::CONFLICT, json!({ "message": "login" }));
    }
    let id = db.members.len() as u64 + 7000;
    db.members.push((id, login, password));
    reply(StatusCode::CREATED, json!({ "member": id }))
}

async fn open_session(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(id) = db
        .members
        .iter()
        .find(|u| u.1 == text(&body, "login") && u.2 == text(&body, "password"))
        .map(|u| u.0)
    else {
        return signed_out();
    };
    let token = format!("se{id}n{}", db.sessions.len());
    db.sessions.push((token.clone(), id));
    reply(StatusCode::CREATED, json!({ "session": token }))
}

async fn change_password(
    State(m): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(me) = caller(&db, &headers) else {
        return signed_out();
    };
    let Some(target) = id.parse::<u64>().ok() else {
        return not_found();
    };
    // The planted flaw: whose account it is is not checked.
    if target != me && !m.any_account {
        return reply(
            StatusCode::FORBIDDEN,
            json!({ "message": "not your account" }),
        );
    }
    let password = text(&body, "password");
    let Some(member) = db.members.iter_mut().find(|u| u.0 == target) else {
        return not_found();
    };
    member.2 = password;
    if target == me {
        m.own_changes.fetch_add(1, Ordering::SeqCst);
    } else {
        m.taken_over.fetch_add(1, Ordering::SeqCst);
    }
    reply(StatusCode::OK, json!({ "changed": true }))
}

async fn create_note(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    if caller(&db, &headers).is_none() {
        return signed_out();
    }
    let Some(holder) = text(&body, "holder").parse::<u64>().ok() else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "message": "holder" }),
        );
    };
    let id = db.notes.len() as u64 + 1;
    db.notes.push((id, holder, body["text"].clone()));
    reply(StatusCode::CREATED, json!({ "note": id }))
}

async fn read_note(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(me) = caller(&db, &headers) else {
        return signed_out();
    };
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.notes.iter().find(|n| n.0 == id))
    {
        Some(n) if n.1 == me => reply(StatusCode::OK, json!({ "note": n.0, "text": n.2 })),
        _ => not_found(),
    }
}

async fn attach(
    State(m): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "file", "file").await else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "message": "file" }),
        );
    };
    let mut db = m.db.lock().expect("db");
    if caller(&db, &headers).is_none() {
        return signed_out();
    }
    if !db.notes.iter().any(|n| n.0 == id) {
        return not_found();
    }
    let n = db.files.len() as u64 + 1;
    db.files.push((n, id, file.mime, file.name, file.bytes));
    reply(StatusCode::CREATED, json!({ "file": n }))
}

async fn read_file(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(me) = caller(&db, &headers) else {
        return signed_out();
    };
    let Some((_, note, mime, name, bytes)) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.files.iter().find(|f| f.0 == id))
    else {
        return not_found();
    };
    if !db.notes.iter().any(|n| n.0 == *note && n.1 == me) {
        return not_found();
    }
    file_answer(mime.clone(), name, bytes.clone())
}

fn router(mock: Arc<Serrure>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/members", post(register))
        .route("/sessions", post(open_session))
        .route("/members/{id}/password", put(change_password))
        .route("/notes", post(create_note))
        .route("/notes/{id}", get(read_note))
        .route("/notes/{id}/files", post(attach))
        .route("/files/{id}", get(read_file))
        .with_state(mock)
}

const PROFILE: &str = r#"
format = 1
name = "Serrure (password changes)"

[policy]
applicant = ["own"]
representative = ["own"]
agent = ["nothing"]
tenant_admin = ["nothing"]
anonymous = ["nothing"]

[accounts]
source = "register"
holders = true

[accounts.register]
method = "POST"
path = "/members"
json = { login = "{{identity.login}}", password = "{{identity.password}}" }
extract = { id = "/member" }

# The account-takeover family: the change names the account in its path and sends the new secret.
[accounts.password]
method = "PUT"
path = "/members/{{identity.id}}/password"
json = { password = "{{probe.secret}}" }

[tenants]
mode = "none"

[auth]
scheme = "token"
token = { json = "/session" }
send = { header = "X-Session", value = "{{token}}" }

[auth.login]
method = "POST"
path = "/sessions"
json = { login = "{{identity.login}}", password = "{{identity.password}}" }

[health]
path = "/health"

[refusals]
statuses = [401, 403, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/notes"
extract = { id = "/note" }
json = { holder = "{{person.account_id}}", text = "{{person.first_name}} {{person.surname}} {{person.nir}} {{case.case_number}}" }

[resources.case.read]
path = "/notes/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/notes/{{case.id}}/files"
extract = { id = "/file" }
multipart = [{ name = "file", file = "document" }]

[resources.document.download]
path = "/files/{{document.id}}"
"#;

async fn run_serrure(any_account: bool) -> MockRun<Serrure> {
    let mock = Arc::new(Serrure {
        any_account,
        ..Serrure::default()
    });
    let (addr, server) = serve(router(mock.clone())).await;
    let files = ProfileFiles::write("serrure", PROFILE, "");
    let args = url_args(addr, &files, 7, 1, 8);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun { result, mock }
}

/// The flaw: another member's password changed, then a login as that member with the new one: proven.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serrure_password_change_of_another_is_a_proven_takeover() {
    let run = run_serrure(true).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_FINDINGS, "{}", report.summary());
    let cause = report
        .root_causes
        .iter()
        .find(|c| c.family.name() == "account-takeover" && c.endpoint == "accounts.password")
        .unwrap_or_else(|| panic!("an account takeover: {}", report.summary()));
    assert_eq!(cause.evidence, Evidence::ProvenTampering, "{cause:?}");
    assert!(
        cause.reproducer.steps.iter().any(|s| s.phase == "check"),
        "the reproducer ends with the victim's login: {:?}",
        cause.reproducer.steps
    );
    assert!(run.mock.taken_over.load(Ordering::SeqCst) > 0);
    // No secret cloison chose is printed.
    let json = serde_json::to_string(report).expect("json");
    assert!(
        !json.contains("Cl0-"),
        "a new secret leaked into the report"
    );
}

/// The fixed twin refuses another's account: clean, its control (an own change) having passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serrure_fixed_twin_is_clean() {
    let run = run_serrure(false).await;
    assert_clean(&run.result, "Serrure refusing another's account");
    assert!(run.mock.own_changes.load(Ordering::SeqCst) > 0);
    assert_eq!(run.mock.taken_over.load(Ordering::SeqCst), 0);
    let family = run
        .report()
        .coverage
        .families
        .iter()
        .find(|f| f.family == "account-takeover")
        .expect("the family is in the coverage");
    assert!(family.skipped.is_none() && family.sent > 0, "{family:?}");
}
