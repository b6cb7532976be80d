//! "Journal": a home-care service whose audit trail is a log stream. Caregivers (staff of an agency, a
//! tenant) read their agency's care files; families (representatives) read those of the persons they act
//! for; a person reads their own. Tokens in `Authorization: Care ...`, identifiers like `CF-3`, refusals as
//! 403 or 404. Every access is written as one JSON line to a log file the platform writes (the shape of a
//! container's standard output): `{"ts": <epoch ms>, "user": {"login": ...}, "event": ..., "object": ...,
//! "result": "ok" | "refused"}`. cloison knows it only through the profile below (`[audit] file`).
//!
//! The planted gap: care-file reads by anyone but their own person are not logged (a caregiver reads a
//! file without a trace). The fixed twin logs every read, download and refusal. Run at default flags: the
//! gap is a proven `audit-trail` finding (exit 1); the twin is clean with every access logged.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;
use serde_json::{Value, json};

use crate::support::answer::{
    Upload, credential, file_answer, header_is, not_found, reply, text, upload,
};
use crate::support::directory::{Account, Directory};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

const OPS_KEY: &str = "journal-ops-key";

struct CareFile {
    id: String,
    agency: String,
    holder: String,
    content: Value,
}

#[derive(Default)]
struct Db {
    directory: Directory<String>,
    files: Vec<CareFile>,
    papers: Vec<(String, String, Upload)>,
    tokens: Vec<(String, String)>,
    /// Reads served that were not logged.
    unlogged: usize,
}

impl Db {
    fn caller(&self, headers: &HeaderMap) -> Option<&Account<String>> {
        let token = credential(headers, "Care ")?;
        let id = self
            .tokens
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, m)| m)?;
        self.directory.account(id.as_str())
    }

    fn may_see(&self, member: &Account<String>, file: &CareFile) -> bool {
        if member.role == "caregiver" || member.role == "coordinator" {
            return member.tenant == file.agency;
        }
        self.directory.acts_for(member, file.holder.as_str())
    }
}

struct Journal {
    db: Mutex<Db>,
    log: PathBuf,
    /// The gap: reads of a care file by anyone but its person are not logged.
    gap: bool,
    /// A log shipper: each line reaches the file this long after the request (its time is the request's).
    late: Option<std::time::Duration>,
}

impl Journal {
    /// One line of the log stream.
    fn log(&self, login: &str, event: &str, object: &str, result: &str) {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let line = json!({ "ts": ts, "level": "info", "user": { "login": login }, "event": event, "object": object, "result": result });
        let (path, late) = (self.log.clone(), self.late);
        let write = move || {
            if let Some(late) = late {
                std::thread::sleep(late);
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .expect("the log file");
            // One write per line: lines written by concurrent threads do not interleave.
            file.write_all(format!("{line}\n").as_bytes())
                .expect("a log line");
        };
        if late.is_some() {
            std::thread::spawn(write);
        } else {
            write();
        }
    }
}

type Shared = State<Arc<Journal>>;

fn unauthorized() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "error": "sign in" }))
}

async fn create_agency(
    headers: HeaderMap,
    State(j): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Ops", OPS_KEY) {
        return not_found();
    }
    j.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(text(&body, "code"));
    reply(StatusCode::CREATED, json!({ "ok": true }))
}

async fn create_member(
    headers: HeaderMap,
    State(j): Shared,
    Path(code): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Ops", OPS_KEY) {
        return not_found();
    }
    let mut db = j.db.lock().expect("db");
    let id = format!("u{}", db.directory.accounts.len() + 1);
    db.directory
        .enrol(id.clone(), code, &body, ["login", "pw", "role"]);
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn create_mandate(
    headers: HeaderMap,
    State(j): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Ops", OPS_KEY) {
        return not_found();
    }
    let mut db = j.db.lock().expect("db");
    let number = db
        .directory
        .represent(text(&body, "rep"), text(&body, "holder"));
    reply(
        StatusCode::CREATED,
        json!({ "mandate": number.to_string() }),
    )
}

async fn revoke_mandate(
    headers: HeaderMap,
    State(j): Shared,
    Path(number): Path<usize>,
) -> Response {
    if !header_is(&headers, "X-Ops", OPS_KEY) {
        return not_found();
    }
    if j.db.lock().expect("db").directory.end(number) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn session(State(j): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = j.db.lock().expect("db");
    let Some(id) = (db
        .directory
        .signed_in(&text(&body, "login"), &text(&body, "pw")))
    .map(|m| m.id.clone()) else {
        return unauthorized();
    };
    let token = format!("cj-{}-{id}", db.tokens.len() + 1);
    db.tokens.push((token.clone(), id));
    reply(StatusCode::OK, json!({ "token": token }))
}

async fn create_file(
    headers: HeaderMap,
    State(j): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = j.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let holder = text(&body, "holder");
    if !db.directory.acts_for(me, holder.as_str()) {
        return reply(StatusCode::FORBIDDEN, json!({ "error": "not yours" }));
    }
    let Some(agency) = db
        .directory
        .account(holder.as_str())
        .map(|a| a.tenant.clone())
    else {
        return not_found();
    };
    let login = me.login.clone();
    let id = format!("CF-{}", db.files.len() + 1);
    db.files.push(CareFile {
        id: id.clone(),
        agency,
        holder,
        content: body,
    });
    j.log(&login, "carefile.create", &id, "ok");
    reply(StatusCode::CREATED, json!({ "file": id }))
}

async fn read_file(headers: HeaderMap, State(j): Shared, Path(id): Path<String>) -> Response {
    let mut db = j.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let login = me.login.clone();
    let Some(file) = db.files.iter().find(|f| f.id == id) else {
        j.log(&login, "carefile.view", &id, "refused");
        return not_found();
    };
    if !db.may_see(me, file) {
        j.log(&login, "carefile.view", &id, "refused");
        return not_found();
    }
    let own = file.holder == me.id;
    let answer = json!({ "id": file.id, "content": file.content });
    if own || !j.gap {
        j.log(&login, "carefile.view", &id, "ok");
    } else {
        db.unlogged += 1;
    }
    reply(StatusCode::OK, answer)
}

async fn attach(
    headers: HeaderMap,
    State(j): Shared,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "blob", "paper").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "blob" }));
    };
    let mut db = j.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    if !db.files.iter().any(|f| f.id == id && db.may_see(me, f)) {
        return not_found();
    }
    let login = me.login.clone();
    let paper = format!("PA-{}", db.papers.len() + 1);
    db.papers.push((paper.clone(), id, file));
    j.log(&login, "paper.create", &paper, "ok");
    reply(StatusCode::CREATED, json!({ "paper": paper }))
}

async fn paper(headers: HeaderMap, State(j): Shared, Path(id): Path<String>) -> Response {
    let db = j.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let login = me.login.clone();
    let seen = (db.papers.iter().find(|p| p.0 == id))
        .filter(|p| db.files.iter().any(|f| f.id == p.1 && db.may_see(me, f)));
    let Some((_, _, upload)) = seen else {
        j.log(&login, "paper.download", &id, "refused");
        return not_found();
    };
    j.log(&login, "paper.download", &id, "ok");
    file_answer(upload.mime.clone(), &upload.name, upload.bytes.clone())
}

fn router(journal: Arc<Journal>) -> Router {
    Router::new()
        .route("/up", get(|| async { "up" }))
        .route("/ops/agencies", post(create_agency))
        .route("/ops/agencies/{code}/members", post(create_member))
        .route("/ops/mandates", post(create_mandate))
        .route("/ops/mandates/{number}/revoke", post(revoke_mandate))
        .route("/sessions", post(session))
        .route("/carefiles", post(create_file))
        .route("/carefiles/{id}", get(read_file))
        .route("/carefiles/{id}/papers", post(attach))
        .route("/papers/{id}", get(paper))
        .with_state(journal)
}

const PROFILE: &str = r#"
format = 2
name = "Journal (home care, a log-stream audit trail)"
secrets_file = "journal.secrets.toml"

[health]
path = "/up"

[roles]
applicant = "person"
representative = "family"
agent = "caregiver"
tenant_admin = "coordinator"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Ops", value = "{{secrets.ops_key}}" }

[provisioning.tenant]
method = "POST"
path = "/ops/agencies"
json = { code = "{{tenant.code}}" }

[provisioning.identity]
method = "POST"
path = "/ops/agencies/{{tenant.code}}/members"
json = { login = "{{identity.login}}", pw = "{{identity.password}}", role = "{{identity.role}}" }
extract = { id = "/id" }

[provisioning.representation]
method = "POST"
path = "/ops/mandates"
json = { rep = "{{representative.id}}", holder = "{{represented.id}}" }
extract = { id = "/mandate" }

[provisioning.end_representation]
method = "POST"
path = "/ops/mandates/{{representation.id}}/revoke"

[auth]
scheme = "token"
token = { json = "/token" }
send = { header = "Authorization", value = "Care {{token}}" }

[auth.login]
method = "POST"
path = "/sessions"
json = { login = "{{identity.login}}", pw = "{{identity.password}}" }

[refusals]
statuses = [403, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/carefiles"
extract = { id = "/file" }
json = { holder = "{{person.account_id}}", person = { surname = "{{person.surname}}", nir = "{{person.nir}}" } }

[resources.case.read]
path = "/carefiles/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/carefiles/{{case.id}}/papers"
extract = { id = "/paper" }
multipart = [{ name = "blob", file = "document" }]

[resources.document.download]
path = "/papers/{{document.id}}"

# The trail: the JSON lines the platform writes to its log stream.
[audit]
file = "journal.log"
actor = "/user/login"
record = "/object"
action = "/event"
time = "/ts"
outcome = "/result"
denied = ["refused"]
"#;

async fn run_journal(gap: bool) -> MockRun<Journal> {
    run_journal_with(gap, PROFILE, None).await
}

async fn run_journal_with(
    gap: bool,
    profile: &str,
    late: Option<std::time::Duration>,
) -> MockRun<Journal> {
    let files = ProfileFiles::write("journal", profile, &format!("ops_key = \"{OPS_KEY}\"\n"));
    // The platform's log file exists from its start, before any line is written.
    std::fs::write(files.path("journal.log"), "").expect("the log file");
    let journal = Arc::new(Journal {
        db: Mutex::new(Db::default()),
        log: files.path("journal.log"),
        gap,
        late,
    });
    let (addr, server) = serve(router(journal.clone())).await;
    let args = url_args(addr, &files, 11, 2, 8);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: journal,
    }
}

/// Reads by caregivers and families not logged: a proven audit-trail finding naming the read, at default
/// flags; the audit section lists the unlogged reads with their request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_reads_without_a_trace_are_a_proven_audit_gap() {
    let run = run_journal(true).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(run.mock.db.lock().expect("db").unlogged > 0);
    let cause = (report.root_causes.iter())
        .find(|c| c.family.name() == "audit-trail" && c.endpoint == "resources.case.read")
        .unwrap_or_else(|| panic!("an unlogged read: {}", report.summary()));
    assert_eq!(cause.evidence, Evidence::ProvenUntraced, "{cause:?}");
    for cause in &report.root_causes {
        assert_eq!(cause.family.name(), "audit-trail", "{}", report.summary());
        assert_ne!(
            cause.relation, "own",
            "a person's own read needs no entry: {cause:?}"
        );
    }
    let audit = report.audit.as_ref().expect("an audit section");
    assert!(audit.logged_percent < 100.0, "{audit:?}");
    assert!(
        audit
            .unlogged
            .iter()
            .all(|g| g.request.starts_with("curl ")),
        "{audit:?}"
    );
    assert!(audit.data_found.is_empty(), "{audit:?}");
}

/// The twin logs every read, download and refusal: clean, every access logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_fixed_twin_logs_every_access_and_is_clean() {
    let run = run_journal(false).await;
    assert_clean(&run.result, "Journal logging every access");
    let report = run.report();
    let audit = report.audit.as_ref().expect("an audit section");
    assert_eq!(audit.logged_percent, 100.0, "{audit:?}");
    assert!(audit.unlogged.is_empty(), "{audit:?}");
    assert!(
        audit.shares.iter().any(|s| !s.refused && s.accesses > 0),
        "{audit:?}"
    );
    assert!(
        audit.shares.iter().any(|s| s.refused && s.accesses > 0),
        "refusals were checked: {audit:?}"
    );
    let family = (report.coverage.families.iter())
        .find(|f| f.family == "audit-trail")
        .expect("the family is in the coverage");
    assert!(family.skipped.is_none() && family.sent > 0, "{family:?}");
}

/// The twin behind a log shipper that writes each line a second after the request: what the first read of
/// the trail lacks is there on the second, so nothing is proven untraced and the run is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_whose_trail_arrives_a_second_late_is_clean() {
    let late = Some(std::time::Duration::from_millis(1_000));
    let run = run_journal_with(false, PROFILE, late).await;
    assert_clean(&run.result, "Journal logging every access a second late");
    let report = run.report();
    let audit = report.audit.as_ref().expect("an audit section");
    assert_eq!(audit.logged_percent, 100.0, "{audit:?}");
}

/// The same platform described without `[audit]`: the family is skipped, and the coverage says why; the
/// run is still clean (a family that does not apply leaves nothing unproven).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_without_an_audit_section_skips_the_family_and_says_why() {
    let profile = PROFILE.split("# The trail:").next().expect("the profile");
    let run = run_journal_with(true, profile, None).await;
    assert_clean(&run.result, "Journal described without [audit]");
    let report = run.report();
    assert!(report.audit.is_none());
    let family = (report.coverage.families.iter())
        .find(|f| f.family == "audit-trail")
        .expect("the family is in the coverage");
    let skipped = family.skipped.as_deref().unwrap_or_default();
    assert!(
        skipped.starts_with("not applicable") && skipped.contains("no [audit] section"),
        "{family:?}"
    );
}
