//! "Agora": a platform with no operator and, in its first shape, no tenants. Anyone signs up (`POST /signup`
//! answers the new account's id and a token), writes private notes with attachments, and reads their own.
//! In its second shape ("workspaces"), a workspace is created anonymously and answers its own key; the key
//! is the only credential, shared by every member of the workspace, and a workspace's notes are its own.
//! cloison knows it only through the profiles below: `[accounts] source = "register"` with `[tenants]
//! mode = "none"`, existing accounts with per-account attributes, and `source = "none"` with tenants
//! created by registration or listed as existing, each with its credential. The mock is hardened by
//! default; the planted flaw (a note readable by id whoever asks) is found (exit 1) and its twin is clean
//! (exit 0). Creates answer the new note's id (client-chosen keys and creates that answer no id are not
//! exercised here).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use cloison_harness::cli::{CliError, EXIT_FINDINGS};
use cloison_harness::report::{Evidence, Report};
use cloison_harness::run::{RunArgs, RunResult, execute};
use serde_json::{Value, json};

use crate::support::answer::{Upload, credential, file_answer, not_found, reply, upload};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, curl, url_args};
use crate::support::serve;

/// How callers are told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Personal accounts from open sign-up, a bearer token each; no tenants.
    Open,
    /// Workspaces created anonymously; the workspace key is the only credential.
    Workspaces,
}

#[derive(Debug)]
struct User {
    id: u64,
    handle: String,
    /// The name shown on the member's page.
    display: String,
    token: String,
}

#[derive(Debug)]
struct Workspace {
    id: u64,
    key: String,
}

#[derive(Debug)]
struct Note {
    id: u64,
    /// The user (open shape: its author) or the workspace (workspaces shape) that owns it.
    owner: u64,
    /// Who filed it (a representative may file and attach for the person it is about, never read it).
    filer: u64,
    title: Value,
    body: Value,
}

#[derive(Debug)]
struct Attachment {
    id: u64,
    note: u64,
    name: String,
    mime: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Db {
    users: Vec<User>,
    workspaces: Vec<Workspace>,
    notes: Vec<Note>,
    attachments: Vec<Attachment>,
    /// Creates refused because the note's `author` or `signature` was not the caller's.
    wrong_author: usize,
}

#[derive(Debug)]
struct Agora {
    db: Mutex<Db>,
    shape: Shape,
    /// Flaw (direct-read): a note is served by id to anyone authenticated, whoever owns it.
    note_by_id: bool,
    /// Flaw (direct-read on accounts): a member's page (`/members/{id}`, handle and name) is served to
    /// anyone authenticated, not only to the member.
    member_by_id: bool,
    /// A project key every signed-in request must carry in an `apikey` header beside its token (as
    /// PostgREST-style gateways ask): without it, the caller is nobody.
    api_key: Option<&'static str>,
    /// Quirk: a note's answer carries a preview of its body, base64-encoded six times over (deeper than
    /// cloison decodes): the run must say that it scanned it only so far.
    nested_preview: bool,
}

type Shared = State<Arc<Agora>>;

fn unauthenticated() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "error": "who are you?" }))
}

impl Agora {
    /// A hardened Agora of this shape: no flaw, no project key, plain answers.
    fn hardened(shape: Shape) -> Self {
        Agora {
            db: Mutex::new(Db::default()),
            shape,
            note_by_id: false,
            member_by_id: false,
            api_key: None,
            nested_preview: false,
        }
    }

    /// The caller: a user id (open shape, bearer token) or a workspace id (workspaces shape, key header).
    fn caller(&self, db: &Db, headers: &HeaderMap) -> Option<u64> {
        if let Some(key) = self.api_key
            && headers.get("apikey").and_then(|v| v.to_str().ok()) != Some(key)
        {
            return None;
        }
        match self.shape {
            Shape::Open => {
                let token = credential(headers, "Bearer ")?;
                db.users.iter().find(|u| u.token == token).map(|u| u.id)
            }
            Shape::Workspaces => {
                let key = headers.get("x-workspace-key")?.to_str().ok()?;
                db.workspaces.iter().find(|w| w.key == key).map(|w| w.id)
            }
        }
    }
}

async fn signup(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let (Some(handle), Some(_password)) = (body["handle"].as_str(), body["password"].as_str())
    else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "error": "handle and password" }),
        );
    };
    if db.users.iter().any(|u| u.handle == handle) {
        return reply(StatusCode::CONFLICT, json!({ "error": "taken" }));
    }
    let id = db.users.len() as u64 + 100;
    let token = format!("agora-{id}-{:x}", id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    db.users.push(User {
        id,
        handle: handle.to_string(),
        display: body["display"].as_str().unwrap_or_default().to_string(),
        token: token.clone(),
    });
    reply(
        StatusCode::CREATED,
        json!({ "user": { "id": id, "handle": handle }, "token": token }),
    )
}

async fn create_workspace(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    if body["name"].as_str().is_none_or(str::is_empty) {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "name" }));
    }
    let id = db.workspaces.len() as u64 + 1;
    let key = format!("wk-{id}-{:x}", id.wrapping_mul(0xff51_afd7_ed55_8ccd));
    db.workspaces.push(Workspace {
        id,
        key: key.clone(),
    });
    reply(StatusCode::CREATED, json!({ "id": id, "join_key": key }))
}

async fn create_note(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return unauthenticated();
    };
    let mut owner = caller;
    if m.shape == Shape::Open {
        // A note is filed for its author (an account: the caller, or the person a representative files
        // for), who owns it; it may be signed with the caller's handle.
        let author = match &body["author"] {
            Value::String(s) => s.parse::<u64>().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        };
        let handle = db
            .users
            .iter()
            .find(|u| u.id == caller)
            .map(|u| u.handle.clone());
        let signed_wrong = body
            .get("signature")
            .is_some_and(|s| s.as_str() != handle.as_deref());
        let Some(author) = author.filter(|a| db.users.iter().any(|u| u.id == *a)) else {
            db.wrong_author += 1;
            return reply(
                StatusCode::BAD_REQUEST,
                json!({ "error": "a note's author is an account" }),
            );
        };
        if signed_wrong {
            db.wrong_author += 1;
            return reply(
                StatusCode::BAD_REQUEST,
                json!({ "error": "a note is signed with its caller's handle" }),
            );
        }
        owner = author;
    }
    let id = db.notes.len() as u64 + 1;
    db.notes.push(Note {
        id,
        owner,
        filer: caller,
        title: body["title"].clone(),
        body: body["body"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "id": id }))
}

fn note_json(note: &Note) -> Value {
    json!({ "id": note.id, "title": note.title, "body": note.body })
}

async fn read_note(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return unauthenticated();
    };
    let Some(note) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.notes.iter().find(|n| n.id == id))
    else {
        return not_found();
    };
    // The planted flaw: the ownership check is skipped.
    if note.owner != caller && !m.note_by_id {
        return not_found();
    }
    let mut answer = note_json(note);
    if m.nested_preview {
        let mut preview = note.body.to_string();
        for _ in 0..6 {
            preview = cloison_harness::profile::template::base64(preview.as_bytes());
        }
        answer["preview"] = preview.into();
    }
    reply(StatusCode::OK, answer)
}

async fn read_member(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return unauthenticated();
    };
    let Some(user) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.users.iter().find(|u| u.id == id))
    else {
        return not_found();
    };
    // The planted flaw: any member's page, to anyone signed in.
    if user.id != caller && !m.member_by_id {
        return not_found();
    }
    reply(
        StatusCode::OK,
        json!({ "id": user.id, "handle": user.handle, "display": user.display }),
    )
}

async fn my_notes(State(m): Shared, headers: HeaderMap) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return unauthenticated();
    };
    let items: Vec<Value> = db
        .notes
        .iter()
        .filter(|n| n.owner == caller)
        .map(note_json)
        .collect();
    reply(StatusCode::OK, json!({ "items": items }))
}

async fn attach(
    State(m): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    let Ok(file) = upload(&mut multipart, "file", "file").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "file" }));
    };
    let mut db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return unauthenticated();
    };
    let Some(Upload { name, mime, bytes }) = file else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "no file" }));
    };
    if !db
        .notes
        .iter()
        .any(|n| n.id == id && (n.owner == caller || n.filer == caller))
    {
        return not_found();
    }
    let attachment = db.attachments.len() as u64 + 1;
    db.attachments.push(Attachment {
        id: attachment,
        note: id,
        name,
        mime,
        bytes,
    });
    reply(StatusCode::CREATED, json!({ "id": attachment }))
}

async fn download(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return unauthenticated();
    };
    let Some(attachment) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.attachments.iter().find(|a| a.id == id))
    else {
        return not_found();
    };
    if !db
        .notes
        .iter()
        .any(|n| n.id == attachment.note && n.owner == caller)
    {
        return not_found();
    }
    file_answer(
        attachment.mime.clone(),
        &attachment.name,
        attachment.bytes.clone(),
    )
}

fn router(agora: Arc<Agora>) -> Router {
    Router::new()
        .route("/up", get(|| async { "ok" }))
        .route("/signup", post(signup))
        .route("/workspaces", post(create_workspace))
        .route("/notes", post(create_note).get(my_notes))
        .route("/notes/{id}", get(read_note))
        .route("/notes/{id}/files", post(attach))
        .route("/files/{id}", get(download))
        .route("/members/{id}", get(read_member))
        .with_state(agora)
}

/// What every Agora profile shares: the policy of a platform where each sees their own notes, the notes as
/// case files and their attachments as documents.
const COMMON: &str = r#"
[health]
path = "/up"

[refusals]
statuses = [404]

[resources.case.read]
path = "/notes/{{case.id}}"

[resources.case.list]
path = "/notes"

[resources.document.create]
as = "owner"
method = "POST"
path = "/notes/{{case.id}}/files"
extract = { id = "/id" }
multipart = [{ name = "file", file = "document" }]

[resources.document.download]
path = "/files/{{document.id}}"
"#;

/// Open registration, no tenants: every identity signs itself up and gets its token from the answer.
const OPEN: &str = r#"
format = 1
name = "Agora (open registration, no tenants)"

# Each sees their own notes; staff roles of cloison's worlds have no special rights here.
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
path = "/signup"
json = { handle = "{{identity.login}}", password = "{{identity.password}}", display = "{{identity.display_name}}" }
extract = { id = "/user/id", token = "/token" }

[tenants]
mode = "none"

[auth]
scheme = "header"
send = { header = "Authorization", value = "Bearer {{identity.token}}" }

[resources.case.create]
as = "owner"
method = "POST"
path = "/notes"
extract = { id = "/id" }
json = { author = "{{person.account_id}}", title = "{{person.first_name}} {{person.surname}}", body = "NIR {{person.nir}}, {{person.address_line}}, dossier {{case.case_number}}" }
"#;

/// Workspaces created anonymously, each answering its key; members act with their workspace's key only.
const WORKSPACES: &str = r#"
format = 1
name = "Agora (workspaces, a key per workspace)"

# The key is the workspace's: every member sees every note of the workspace.
[policy]
applicant = ["tenant"]
representative = ["tenant"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "none"
holders = true

[tenants]
mode = "register"

[tenants.create]
method = "POST"
path = "/workspaces"
json = { name = "{{tenant.name}}" }
extract = { id = "/id", credential = "/join_key" }

[auth]
scheme = "header"
send = { header = "X-Workspace-Key", value = "{{tenant.credential}}" }

[resources.case.create]
as = "owner"
method = "POST"
path = "/notes"
extract = { id = "/id" }
json = { title = "{{person.first_name}} {{person.surname}}", body = "NIR {{person.nir}}, {{person.address_line}}, dossier {{case.case_number}}" }
"#;

/// A finished run against Agora, and the mock's state afterwards.
type AgoraRun = MockRun<Agora>;

/// Serve Agora, let `prepare` create what exists before the run (it returns the secrets file's text), run
/// cloison with `profile`, and return the result.
async fn run_agora<F, Fut>(
    shape: Shape,
    note_by_id: bool,
    profile: &str,
    tenants: usize,
    prepare: F,
) -> AgoraRun
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let agora = Agora {
        note_by_id,
        ..Agora::hardened(shape)
    };
    run_mock(agora, profile, tenants, prepare).await
}

/// Serve this Agora, let `prepare` create what exists before the run, run cloison with `profile`.
async fn run_mock<F, Fut>(agora: Agora, profile: &str, tenants: usize, prepare: F) -> AgoraRun
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let agora = Arc::new(agora);
    let result = try_run_mock(&agora, profile, tenants, prepare)
        .await
        .expect("the run completes");
    AgoraRun {
        result,
        mock: agora,
    }
}

/// Serve this Agora and run cloison with `profile`: the run's result, or why it could not complete.
async fn try_run_mock<F, Fut>(
    agora: &Arc<Agora>,
    profile: &str,
    tenants: usize,
    prepare: F,
) -> Result<RunResult, CliError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let (addr, server) = serve(router(agora.clone())).await;
    let secrets = prepare(format!("http://{addr}")).await;
    let files = ProfileFiles::write("agora", &format!("{profile}\n{COMMON}"), &secrets);
    let args = RunArgs {
        secrets: Some(files.secrets.clone()),
        ..url_args(addr, &files, 1, tenants, 12)
    };
    let result = execute(&args).await;
    server.abort();
    result
}

async fn nothing_before(_base: String) -> String {
    String::new()
}

/// The family's coverage entry.
fn skipped<'a>(report: &'a Report, family: &str) -> Option<&'a str> {
    report
        .coverage
        .families
        .iter()
        .find(|f| f.family == family)
        .and_then(|f| f.skipped.as_deref())
}

fn assert_direct_read_found(run: &AgoraRun, what: &str) {
    let report = run.report();
    assert_eq!(
        run.result.exit,
        EXIT_FINDINGS,
        "{what}: {}",
        report.summary()
    );
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-read"
                && c.endpoint == "resources.case.read"
                && c.evidence == Evidence::ProvenLeak),
        "{what}: {}",
        report.summary()
    );
    for cause in &report.root_causes {
        let curl = curl(cause);
        assert!(
            !curl.contains("Bearer agora-") && !curl.contains(": wk-"),
            "no credential in a reproducer: {curl}"
        );
    }
}

/// Open registration without tenants: identities sign themselves up (the answer gives their id, used as
/// `{{person.account_id}}`, and their token); the world is one departement's, and the tenant-selector
/// family does not apply, saying why. The planted flaw is found; its twin is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_open_registration_without_tenants_flaw_found_and_twin_clean() {
    let flawed = run_agora(Shape::Open, true, OPEN, 2, nothing_before).await;
    assert_direct_read_found(&flawed, "note readable by id");

    let twin = run_agora(Shape::Open, false, OPEN, 2, nothing_before).await;
    assert_clean(&twin.result, "hardened twin");
    let report = twin.report();
    assert_eq!(
        report.tenants, 1,
        "a platform without tenants: one departement"
    );
    let why = skipped(report, "tenant-selector").expect("tenant-selector does not apply");
    assert!(
        why.starts_with("not applicable") && why.contains("the platform has no tenants"),
        "{why}"
    );
    for family in ["direct-read", "allowed-read", "collection", "anonymous"] {
        assert!(
            skipped(report, family).is_none(),
            "{family} runs: {}",
            report.summary()
        );
    }
    let db = twin.mock.db.lock().expect("db");
    assert_eq!(db.wrong_author, 0, "every note named its author's id");
    // Every identity signed itself up; so did, at most, one new account per privilege-escalation probe
    // (a sign-up with a role field).
    let escalations = report
        .coverage
        .families
        .iter()
        .find(|f| f.family == "privilege-escalation")
        .map_or(0, |f| f.sent);
    assert!(
        (report.stats.identities..=report.stats.identities + escalations).contains(&db.users.len()),
        "every identity signed itself up: {} accounts, {} identities, {escalations} escalations",
        db.users.len(),
        report.stats.identities
    );
}

/// Members' pages as a resource of their own, under the platform's name (`[resources.member]` holding the
/// accounts themselves, their id the one sign-up answered): a page any member may open is found by
/// direct-read with a member's name as the proof; its twin, where only the member opens it, is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_members_pages_are_a_resource_flaw_found_and_twin_clean() {
    const MEMBERS: &str = r#"
[resources.member]
entity = "account"

[resources.member.read]
path = "/members/{{member.id}}"
"#;
    let profile = format!("{OPEN}\n{MEMBERS}");
    let agora = |member_by_id| Agora {
        member_by_id,
        ..Agora::hardened(Shape::Open)
    };
    let flawed = run_mock(agora(true), &profile, 2, nothing_before).await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    let causes: Vec<_> = report.root_causes.iter().collect();
    assert!(!causes.is_empty());
    for cause in &causes {
        assert_eq!(
            (cause.endpoint.as_str(), cause.kind.as_str()),
            ("resources.member.read", "account"),
            "only members' pages leak: {}",
            report.summary()
        );
    }
    assert!(
        causes
            .iter()
            .any(|c| c.family.name() == "direct-read" && c.evidence == Evidence::ProvenLeak),
        "{}",
        report.summary()
    );
    // The proof is a surname of another member, shown on their page.
    let finding = report
        .findings
        .first()
        .expect("a finding on members' pages");
    assert!(
        finding
            .leaked
            .iter()
            .any(|hit| hit.field.name() == "surname"),
        "{finding:?}"
    );

    let twin = run_mock(agora(false), &profile, 2, nothing_before).await;
    assert_clean(&twin.result, "members' pages for the member only");
    // Sign-up that does not say where the new account's id is: the pages cannot be named, and the run
    // stops before any probe, as the profile's fault, naming the resource's placeholder.
    let no_ids = profile.replacen(
        "extract = { id = \"/user/id\", token = \"/token\" }",
        "extract = { token = \"/token\" }",
        1,
    );
    assert_ne!(no_ids, profile);
    let failed = try_run_mock(&Arc::new(agora(false)), &no_ids, 2, nothing_before).await;
    let error = format!("{:#}", failed.expect_err("no account ids"));
    assert!(
        error.contains("`{{member.id}}` is the id of") && error.contains("agora.toml:"),
        "{error}"
    );
    let probes = twin
        .report()
        .coverage
        .endpoints
        .get("resources.member.read");
    assert!(
        probes.is_some_and(|n| *n > 0),
        "members' pages were probed: {:?}",
        twin.report().coverage.endpoints
    );
}

/// Accounts that exist already, with their ids and a per-account attribute: `{{person.account_id}}` and
/// `{{identity.attributes.handle}}` are filled from the profile (the mock refuses a note whose author or
/// signature is not the caller's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_existing_accounts_fill_account_ids_and_attributes() {
    const HANDLES: &[(&str, &str)] = &[
        ("applicant", "ada"),
        ("applicant", "bo"),
        ("applicant", "cy"),
        ("agent", "dee"),
    ];
    let accounts = std::sync::Arc::new(Mutex::new(Vec::new()));
    let prepare = {
        let accounts = accounts.clone();
        move |base: String| async move {
            let http = cloison_harness::http::client_builder()
                .build()
                .expect("an HTTP client");
            let mut secrets = String::new();
            for (_, handle) in HANDLES {
                let answer: Value = http
                    .post(format!("{base}/signup"))
                    .json(&json!({ "handle": handle, "password": "console" }))
                    .send()
                    .await
                    .expect("signup")
                    .json()
                    .await
                    .expect("json");
                let id = answer["user"]["id"].as_u64().expect("id");
                let token = answer["token"].as_str().expect("token");
                secrets.push_str(&format!("{handle} = \"{token}\"\n"));
                accounts.lock().expect("accounts").push(id);
            }
            secrets
        }
    };
    let mut profile = OPEN
        .replace(
            "source = \"register\"\nholders = true\n",
            "source = \"existing\"\nholders = true\n",
        )
        .replace(
            "author = \"{{person.account_id}}\",",
            "author = \"{{person.account_id}}\", signature = \"{{identity.attributes.handle}}\",",
        );
    let start = profile.find("[accounts.register]").expect("register");
    let end = profile.find("[tenants]").expect("tenants");
    profile.replace_range(start..end, "");
    // Accounts are created in order: ids 100, 101, ... (the mock's numbering).
    let mut listed = String::from("\n");
    for (i, (role, handle)) in HANDLES.iter().enumerate() {
        listed.push_str(&format!(
            "[[accounts.existing]]\nrole = \"{role}\"\nlogin = \"{handle}\"\ntoken = \"{{{{secrets.{handle}}}}}\"\nid = \"{}\"\nattributes = {{ handle = \"{handle}\" }}\n\n",
            100 + i
        ));
    }
    profile = profile.replace(
        "[tenants]\nmode = \"none\"\n",
        &format!("[tenants]\nmode = \"none\"\n{listed}"),
    );
    let run = run_agora(Shape::Open, false, &profile, 2, prepare).await;
    assert_eq!(
        *accounts.lock().expect("accounts"),
        [100, 101, 102, 103],
        "the mock numbers accounts from 100"
    );
    assert_clean(&run.result, "existing accounts");
    let db = run.mock.db.lock().expect("db");
    assert_eq!(db.wrong_author, 0, "every note named its author and handle");
    assert!(!db.notes.is_empty());
    assert_eq!(db.users.len(), HANDLES.len(), "nothing signed up");
}

/// Credentials per tenant: workspaces are created anonymously and answer their key, which every member
/// sends; nothing else tells members apart. The planted flaw (another workspace's note by id) is found by
/// direct-read across tenants; the twin is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_workspace_keys_created_by_registration() {
    let flawed = run_agora(Shape::Workspaces, true, WORKSPACES, 2, nothing_before).await;
    assert_direct_read_found(&flawed, "another workspace's note by id");

    let twin = run_agora(Shape::Workspaces, false, WORKSPACES, 2, nothing_before).await;
    assert_clean(&twin.result, "hardened twin");
    let db = twin.mock.db.lock().expect("db");
    assert_eq!(db.workspaces.len(), 2, "one workspace per tenant");
    assert!(db.users.is_empty(), "members have no accounts of their own");
    let owners: std::collections::BTreeSet<u64> = db.notes.iter().map(|n| n.owner).collect();
    assert_eq!(owners.len(), 2, "each tenant's notes in its own workspace");
}

/// Existing workspaces named by position: their keys are secrets, bound in order to the world's tenants,
/// whatever codes the world gives them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_existing_workspace_keys_bound_by_position() {
    let prepare = |base: String| async move {
        let http = cloison_harness::http::client_builder()
            .build()
            .expect("an HTTP client");
        let mut secrets = String::new();
        for n in 1..=3 {
            let answer: Value = http
                .post(format!("{base}/workspaces"))
                .json(&json!({ "name": format!("workspace {n}") }))
                .send()
                .await
                .expect("workspace")
                .json()
                .await
                .expect("json");
            let key = answer["join_key"].as_str().expect("key");
            secrets.push_str(&format!("workspace_{n} = \"{key}\"\n"));
        }
        secrets
    };
    let start = WORKSPACES.find("[tenants]").expect("tenants");
    let end = WORKSPACES.find("[auth]").expect("auth");
    let mut profile = WORKSPACES.to_string();
    profile.replace_range(
        start..end,
        "[tenants]\nmode = \"existing\"\n\n[[tenants.existing]]\ncredential = \"{{secrets.workspace_1}}\"\n\n[[tenants.existing]]\ncredential = \"{{secrets.workspace_2}}\"\n\n[[tenants.existing]]\ncredential = \"{{secrets.workspace_3}}\"\n\n",
    );
    // `--tenants` left at its default: the profile's three workspaces decide.
    let run = run_agora(Shape::Workspaces, true, &profile, 2, prepare).await;
    assert_eq!(run.report().tenants, 3, "{}", run.report().summary());
    assert_direct_read_found(&run, "another workspace's note by id");
    let db = run.mock.db.lock().expect("db");
    assert_eq!(
        db.workspaces.len(),
        3,
        "no workspace was created by the run"
    );
    let owners: std::collections::BTreeSet<u64> = db.notes.iter().map(|n| n.owner).collect();
    assert_eq!(owners.len(), 3);
}

/// Two headers on every request (`auth.send` as a list): the bearer token of the identity and the
/// project's key, without which the platform knows no caller. The planted flaw is found and the twin is
/// clean, so every probe carried both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_behind_a_gateway_needs_two_headers_on_every_request() {
    const KEY: &str = "projet-cle-publique";
    let from = "send = { header = \"Authorization\", value = \"Bearer {{identity.token}}\" }";
    assert!(OPEN.contains(from));
    let profile = OPEN.replacen(
        from,
        "send = [\n  { header = \"Authorization\", value = \"Bearer {{identity.token}}\" },\n  { header = \"apikey\", value = \"{{secrets.project_key}}\" },\n]",
        1,
    );
    let agora = |note_by_id| Agora {
        note_by_id,
        api_key: Some(KEY),
        ..Agora::hardened(Shape::Open)
    };
    let secrets = |_base: String| async { format!("project_key = \"{KEY}\"\n") };
    let flawed = run_mock(agora(true), &profile, 2, secrets).await;
    assert_direct_read_found(&flawed, "note readable by id behind the gateway");
    for cause in &flawed.report().root_causes {
        let curl = &cause.reproducer.request.as_ref().expect("request").curl;
        assert!(
            curl.contains("apikey: <redacted") && !curl.contains(KEY),
            "both headers, redacted: {curl}"
        );
    }
    let twin = run_mock(agora(false), &profile, 2, secrets).await;
    assert_clean(&twin.result, "hardened twin behind the gateway");
    // With the token alone, the platform knows no caller: the run stops at the first create, on its 401.
    let token_only = try_run_mock(&Arc::new(agora(false)), OPEN, 2, secrets).await;
    let error = format!(
        "{:#}",
        token_only.expect_err("the token alone is not enough")
    );
    assert!(error.contains("answered 401"), "{error}");
}

/// Answers nested deeper than cloison decodes: the run stays clean (the owners' own notes), and its
/// warnings say how many responses were scanned only up to the decoding limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_answers_nested_deeper_than_the_decoding_limits_are_reported() {
    let agora = |nested_preview| Agora {
        nested_preview,
        ..Agora::hardened(Shape::Open)
    };
    let limited = |run: &AgoraRun| {
        run.report()
            .warnings
            .iter()
            .find(|w| w.contains("decoded only up to cloison's limits"))
            .cloned()
    };
    let nested = run_mock(agora(true), OPEN, 2, nothing_before).await;
    assert_clean(&nested.result, "nested previews of one's own notes");
    let warning = limited(&nested).expect("the warning");
    let count: usize = warning
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count first");
    assert!(count > 0, "{warning}");
    let plain = run_mock(agora(false), OPEN, 2, nothing_before).await;
    assert_clean(&plain.result, "plain answers");
    assert_eq!(limited(&plain), None, "{:?}", plain.report().warnings);
}
