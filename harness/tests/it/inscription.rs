//! "Inscription": a club's member portal with open registration. Members sign up themselves (`POST
//! /join`), log in (`POST /login`, a bearer token) and keep entries, each held by one member; an
//! administrator reads every member's entries. The planted flaw: the sign-up takes `admin: true` from the
//! body, so anyone can register as an administrator and read everything (privilege escalation at sign-up).
//! The fixed twin ignores the field. Run at default flags: the flaw is a proven privilege escalation (exit
//! 1) whose reproducer holds the sign-up, the login and the read; the twin is clean (exit 0).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;
use cloison_suites::UnsentKind;
use serde_json::{Value, json};

use crate::support::answer::{credential, file_answer, not_found, reply, text, upload};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

#[derive(Debug)]
struct Member {
    id: u64,
    name: String,
    password: String,
    admin: bool,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    holder: u64,
    body: Value,
}

/// A file attached to an entry: (id, entry, type, name, bytes).
type Attachment = (u64, u64, String, String, Vec<u8>);

#[derive(Debug, Default)]
struct Db {
    members: Vec<Member>,
    entries: Vec<Entry>,
    attachments: Vec<Attachment>,
    tokens: Vec<(String, u64)>,
}

#[derive(Debug, Default)]
struct Inscription {
    db: Mutex<Db>,
    /// The flaw: `admin` in the sign-up body is applied.
    takes_admin: bool,
    /// Another flaw (for the test that an escalation is never claimed where reads already leak): every
    /// member reads every entry.
    open_entries: bool,
    /// Members who signed up as administrators.
    admins: AtomicUsize,
}

type Shared = State<Arc<Inscription>>;

fn signed_out() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "error": "sign in" }))
}

impl Inscription {
    fn caller(&self, db: &Db, headers: &HeaderMap) -> Option<u64> {
        let token = credential(headers, "Bearer ")?;
        db.tokens.iter().find(|(t, _)| t == token).map(|(_, m)| *m)
    }
}

async fn join(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let (name, password) = (text(&body, "name"), text(&body, "password"));
    if name.is_empty() || password.is_empty() {
        return reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": "name" }));
    }
    if db.members.iter().any(|u| u.name == name) {
        return reply(StatusCode::CONFLICT, json!({ "error": "taken" }));
    }
    // The planted flaw: the body decides whether the new member is an administrator.
    let admin = m.takes_admin && body["admin"] == Value::Bool(true);
    if admin {
        m.admins.fetch_add(1, Ordering::SeqCst);
    }
    let id = db.members.len() as u64 + 100;
    db.members.push(Member {
        id,
        name,
        password,
        admin,
    });
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn login(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(id) = db
        .members
        .iter()
        .find(|u| u.name == text(&body, "name") && u.password == text(&body, "password"))
        .map(|u| u.id)
    else {
        return signed_out();
    };
    let token = format!("in{id}t{}", db.tokens.len());
    db.tokens.push((token.clone(), id));
    reply(StatusCode::OK, json!({ "token": token }))
}

async fn create_entry(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    if m.caller(&db, &headers).is_none() {
        return signed_out();
    }
    let holder = text(&body, "holder").parse::<u64>().ok();
    let Some(holder) = holder.filter(|h| db.members.iter().any(|u| u.id == *h)) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "holder" }),
        );
    };
    let id = db.entries.len() as u64 + 1;
    db.entries.push(Entry {
        id,
        holder,
        body: body["body"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn read_entry(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return signed_out();
    };
    let admin = db.members.iter().any(|u| u.id == caller && u.admin);
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.entries.iter().find(|e| e.id == id))
    {
        Some(e) if e.holder == caller || admin || m.open_entries => {
            reply(StatusCode::OK, json!({ "id": e.id, "body": e.body }))
        }
        _ => not_found(),
    }
}

async fn my_entries(State(m): Shared, headers: HeaderMap) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return signed_out();
    };
    let mine: Vec<Value> = db
        .entries
        .iter()
        .filter(|e| e.holder == caller)
        .map(|e| json!({ "id": e.id, "body": e.body }))
        .collect();
    reply(StatusCode::OK, json!(mine))
}

async fn attach(
    State(m): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "file", "file").await else {
        return reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": "file" }));
    };
    let mut db = m.db.lock().expect("db");
    if m.caller(&db, &headers).is_none() {
        return signed_out();
    }
    if !db.entries.iter().any(|e| e.id == id) {
        return not_found();
    }
    let n = db.attachments.len() as u64 + 1;
    db.attachments
        .push((n, id, file.mime, file.name, file.bytes));
    reply(StatusCode::CREATED, json!({ "id": n }))
}

async fn read_attachment(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return signed_out();
    };
    let admin = db.members.iter().any(|u| u.id == caller && u.admin);
    let Some((_, entry, mime, name, bytes)) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.attachments.iter().find(|a| a.0 == id))
    else {
        return not_found();
    };
    if !admin
        && !db
            .entries
            .iter()
            .any(|e| e.id == *entry && e.holder == caller)
    {
        return not_found();
    }
    file_answer(mime.clone(), name, bytes.clone())
}

fn router(mock: Arc<Inscription>) -> Router {
    Router::new()
        .route("/up", get(|| async { "up" }))
        .route("/join", post(join))
        .route("/login", post(login))
        .route("/entries", post(create_entry).get(my_entries))
        .route("/entries/{id}", get(read_entry))
        .route("/entries/{id}/files", post(attach))
        .route("/files/{id}", get(read_attachment))
        .with_state(mock)
}

const PROFILE: &str = r#"
format = 1
name = "Inscription (open registration)"

# Members see the entries they hold; cloison's staff roles have no rights here. The platform's
# administrators (who read everything) are not a role of cloison's world.
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
path = "/join"
json = { name = "{{identity.login}}", password = "{{identity.password}}" }
extract = { id = "/id" }

[tenants]
mode = "none"

[auth]
scheme = "token"
token = { json = "/token" }
send = { header = "Authorization", value = "Bearer {{token}}" }

[auth.login]
method = "POST"
path = "/login"
json = { name = "{{identity.login}}", password = "{{identity.password}}" }

[health]
path = "/up"

[refusals]
statuses = [401, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/entries"
extract = { id = "/id" }
json = { holder = "{{person.account_id}}", body = "{{person.first_name}} {{person.surname}}, NIR {{person.nir}}, dossier {{case.case_number}}" }

[resources.case.read]
path = "/entries/{{case.id}}"

[resources.case.list]
path = "/entries"

[resources.document.create]
as = "owner"
method = "POST"
path = "/entries/{{case.id}}/files"
extract = { id = "/id" }
multipart = [{ name = "file", file = "document" }]

[resources.document.download]
path = "/files/{{document.id}}"
"#;

async fn run_inscription(takes_admin: bool, open_entries: bool) -> MockRun<Inscription> {
    let mock = Arc::new(Inscription {
        takes_admin,
        open_entries,
        ..Inscription::default()
    });
    let (addr, server) = serve(router(mock.clone())).await;
    let files = ProfileFiles::write("inscription", PROFILE, "");
    let args = url_args(addr, &files, 5, 1, 8);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun { result, mock }
}

/// The flaw: a member signed up with `admin: true` reads another's entry (refused to the same role
/// before): a proven privilege escalation at sign-up, with the whole sequence as reproducer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inscription_admin_at_sign_up_is_a_proven_escalation() {
    let run = run_inscription(true, false).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_FINDINGS, "{}", report.summary());
    let cause = report
        .root_causes
        .iter()
        .find(|c| {
            c.family.name() == "privilege-escalation"
                && c.endpoint == "accounts.register"
                && c.evidence == Evidence::ProvenLeak
        })
        .unwrap_or_else(|| panic!("a proven escalation at sign-up: {}", report.summary()));
    assert!(
        cause.via.as_deref().is_some_and(|v| v.contains("admin")),
        "{cause:?}"
    );
    let steps = &cause.reproducer.steps;
    assert!(
        steps.len() >= 3
            && steps.iter().any(|s| s.step.contains("signs up"))
            && steps.iter().any(|s| s.step.contains("logs in"))
            && steps.iter().any(|s| s.phase == "check"),
        "the reproducer holds the sign-up, the login and the read: {steps:?}"
    );
    assert!(run.mock.admins.load(Ordering::SeqCst) > 0);
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() == "privilege-escalation"),
        "nothing else is found: {}",
        report.summary()
    );
}

/// The fixed twin ignores the field: clean, the family having run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inscription_fixed_twin_is_clean() {
    let run = run_inscription(false, false).await;
    assert_clean(&run.result, "Inscription ignoring `admin` at sign-up");
    let report = run.report();
    let family = report
        .coverage
        .families
        .iter()
        .find(|f| f.family == "privilege-escalation")
        .expect("the family is in the coverage");
    assert!(family.skipped.is_none() && family.probes > 0, "{family:?}");
}

/// Entries readable by every member (a direct-read flaw), no escalation: the reads before the sign-ups are
/// not refused, so no escalation is claimed; the probes are not sent, with their reason, and the leak is the
/// direct-read family's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inscription_reads_open_to_all_are_never_taken_for_an_escalation() {
    let run = run_inscription(false, true).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-read"),
        "{}",
        report.summary()
    );
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() != "privilege-escalation"),
        "{}",
        report.summary()
    );
    let family = report
        .coverage
        .families
        .iter()
        .find(|f| f.family == "privilege-escalation")
        .expect("the family is in the coverage");
    assert!(
        family.not_sent > 0
            && family
                .not_sent_reasons
                .iter()
                .any(|r| r.reason == UnsentKind::ServedBefore),
        "{family:?}"
    );
}
