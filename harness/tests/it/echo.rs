//! "Écho": a platform that sends every request back. Every answer (errors included) starts with the request
//! as it came (`echo`: its headers, `Authorization` and the project key among them, and its body); the
//! planted flaw, a note served by id to anyone signed in, also answers a debug journal of the requests
//! before it (the first login's body, a password in it, and the last requests' `Authorization` headers,
//! other identities' among them). Accounts sign themselves up (the answer gives a token), then log in (the answer gives another
//! token and sets a session cookie).
//!
//! The mock keeps every credential it issued or was given (tokens, cookie values, passwords, the project
//! key): none may appear in anything the run writes, in any format (JSON, HTML, JUnit, SARIF, the terminal
//! and the progress lines). The flaw is found (exit 1); its twin, which answers no journal, is clean.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use serde_json::{Value, json};

use crate::support::answer::{credential, not_found, reply};
use crate::support::files::ProfileFiles;
use crate::support::serve;

const PROJECT_KEY: &str = "echo-project-key-7f3a9c";

#[derive(Debug)]
struct User {
    id: u64,
    handle: String,
    tokens: Vec<String>,
}

#[derive(Debug)]
struct Note {
    id: u64,
    owner: u64,
    /// Who filed it (a representative files for the person, and may attach to it).
    filer: u64,
    title: Value,
    body: Value,
}

/// A file attached to a note (a document): its values only.
#[derive(Debug)]
struct Attachment {
    id: u64,
    note: u64,
    values: Value,
}

#[derive(Debug, Default)]
struct Db {
    users: Vec<User>,
    notes: Vec<Note>,
    files: Vec<Attachment>,
    /// The first login's body (a password in it), then the last requests' `Authorization` headers, for the
    /// flaw's journal.
    first_login: Option<Value>,
    journal: VecDeque<Value>,
    /// Every credential issued or received: tokens, cookie values, passwords.
    credentials: BTreeSet<String>,
    issued: u64,
}

impl Db {
    fn token(&mut self, kind: &str) -> String {
        self.issued += 1;
        let token = format!(
            "{kind}{:016x}",
            self.issued.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        );
        self.credentials.insert(token.clone());
        token
    }

    fn caller(&self, headers: &HeaderMap) -> Option<u64> {
        if headers.get("x-echo-key").and_then(|v| v.to_str().ok()) != Some(PROJECT_KEY) {
            return None;
        }
        let token = credential(headers, "Bearer ")?;
        (self.users.iter())
            .find(|u| u.tokens.iter().any(|t| t == token))
            .map(|u| u.id)
    }
}

#[derive(Debug)]
struct Echo {
    db: Mutex<Db>,
    /// The planted flaw: a note by id to anyone signed in, with the debug journal.
    open_notes: bool,
}

type Shared = State<Arc<Echo>>;

fn unauthenticated() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "error": "who are you?" }))
}

async fn signup(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let (Some(handle), Some(password)) = (body["handle"].as_str(), body["password"].as_str())
    else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "error": "handle and password" }),
        );
    };
    if db.users.iter().any(|u| u.handle == handle) {
        return reply(StatusCode::CONFLICT, json!({ "error": "taken" }));
    }
    db.credentials.insert(password.to_string());
    let id = db.users.len() as u64 + 1;
    let token = db.token("sig");
    db.users.push(User {
        id,
        handle: handle.to_string(),
        tokens: vec![token.clone()],
    });
    reply(
        StatusCode::CREATED,
        json!({ "user": { "id": id, "handle": handle }, "token": token }),
    )
}

async fn login(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let handle = body["handle"].as_str().unwrap_or_default();
    let Some(index) = db.users.iter().position(|u| u.handle == handle) else {
        return reply(StatusCode::FORBIDDEN, json!({ "error": "no such account" }));
    };
    let token = db.token("acc");
    let cookie = db.token("sid");
    db.users[index].tokens.push(token.clone());
    (
        StatusCode::OK,
        [(
            header::SET_COOKIE,
            format!("echo_sid={cookie}; Path=/; HttpOnly"),
        )],
        axum::Json(json!({ "access_token": token })),
    )
        .into_response()
}

async fn create_note(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let author = match &body["author"] {
        Value::String(s) => s.parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    };
    let Some(owner) = author.filter(|a| db.users.iter().any(|u| u.id == *a)) else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "author" }));
    };
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
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let Some(note) = (id.parse::<u64>().ok()).and_then(|id| db.notes.iter().find(|n| n.id == id))
    else {
        return not_found();
    };
    if note.owner != caller && !m.open_notes {
        return not_found();
    }
    let mut answer = note_json(note);
    if m.open_notes {
        let journal = db.first_login.iter().chain(&db.journal).cloned();
        answer["journal"] = Value::Array(journal.collect());
    }
    reply(StatusCode::OK, answer)
}

/// Attach a file to a note the caller owns.
async fn attach(
    State(m): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    if !(db.notes.iter()).any(|n| n.id == id && (n.owner == caller || n.filer == caller)) {
        return not_found();
    }
    let file = db.files.len() as u64 + 1;
    db.files.push(Attachment {
        id: file,
        note: id,
        values: body,
    });
    reply(StatusCode::CREATED, json!({ "id": file }))
}

/// A file, to its note's owner only.
async fn read_file(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let file = (id.parse::<u64>().ok()).and_then(|id| db.files.iter().find(|f| f.id == id));
    match file {
        Some(f) if db.notes.iter().any(|n| n.id == f.note && n.owner == caller) => {
            reply(StatusCode::OK, json!({ "id": f.id, "values": f.values }))
        }
        _ => not_found(),
    }
}

async fn my_notes(State(m): Shared, headers: HeaderMap) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let items: Vec<Value> = (db.notes.iter())
        .filter(|n| n.owner == caller)
        .map(note_json)
        .collect();
    reply(StatusCode::OK, json!({ "items": items }))
}

/// Every answer starts with the request as it came (`echo`), and, when the handler answered a `journal`,
/// with the journal first: the head of the body, what a report's excerpt shows.
async fn echo_everything(State(m): Shared, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let headers: serde_json::Map<String, Value> = (parts.headers.iter())
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_string(), Value::String(value))
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let echo = json!({ "body": text, "headers": headers, "path": parts.uri.path() });
    {
        let mut db = m.db.lock().expect("db");
        if parts.uri.path() == "/login" {
            if db.first_login.is_none() {
                db.first_login = Some(json!({ "login": text }));
            }
        } else if let Some(authorization) = headers.get("authorization") {
            db.journal
                .push_back(json!({ "authorization": authorization }));
        }
        while db.journal.len() > 3 {
            db.journal.pop_front();
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 24)
        .await
        .unwrap_or_default();
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let journal = answer.remove("journal");
    let mut text = String::from("{");
    if let Some(journal) = journal {
        text.push_str(&format!("\"journal\":{journal},"));
    }
    text.push_str(&format!("\"echo\":{echo}"));
    for (key, value) in answer {
        text.push_str(&format!(",{}:{value}", Value::String(key)));
    }
    text.push('}');
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

fn router(echo: Arc<Echo>) -> Router {
    Router::new()
        .route("/up", get(|| async { axum::Json(json!({ "ok": true })) }))
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/notes", post(create_note).get(my_notes))
        .route("/notes/{id}", get(read_note))
        .route("/notes/{id}/files", post(attach))
        .route("/files/{id}", get(read_file))
        .layer(axum::middleware::from_fn_with_state(
            echo.clone(),
            echo_everything,
        ))
        .with_state(echo)
}

const PROFILE: &str = r#"
format = 1
name = "Echo (every request sent back)"
secrets_file = "echo.secrets.toml"

[health]
path = "/up"

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
json = { handle = "{{identity.login}}", password = "{{identity.password}}" }
extract = { id = "/user/id", token = "/token" }

[tenants]
mode = "none"

[auth]
scheme = "token"
token = { json = "/access_token" }
send = [
  { header = "Authorization", value = "Bearer {{token}}" },
  { header = "X-Echo-Key", value = "{{secrets.project_key}}" },
]

[auth.login]
method = "POST"
path = "/login"
json = { handle = "{{identity.login}}", password = "{{identity.password}}" }

[refusals]
statuses = [404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/notes"
extract = { id = "/id" }
json = { author = "{{person.account_id}}", title = "{{person.first_name}} {{person.surname}}", body = "NIR {{person.nir}}, {{person.address_line}}, dossier {{case.case_number}}" }

[resources.case.read]
path = "/notes/{{case.id}}"

[resources.case.list]
path = "/notes"

[resources.document.create]
as = "owner"
method = "POST"
path = "/notes/{{case.id}}/files"
extract = { id = "/id" }
json = { name = "{{document.file_name}}", reference = "{{document.reference}}" }

[resources.document.read]
path = "/files/{{document.id}}"
"#;

/// What a run of the binary wrote, in every format, and the mock's credentials.
struct Written {
    exit: i32,
    /// Every output, by name.
    outputs: Vec<(String, String)>,
    credentials: BTreeSet<String>,
    json: Value,
}

/// Run `cloison run` at default flags against Écho, with every output format and the terminal captured
/// (standard output and standard error, progress lines included: not a terminal).
async fn run_echo(open_notes: bool) -> Written {
    let echo = Arc::new(Echo {
        db: Mutex::new(Db::default()),
        open_notes,
    });
    let (addr, server) = serve(router(echo.clone())).await;
    let files = ProfileFiles::write(
        "echo",
        PROFILE,
        &format!("project_key = \"{PROJECT_KEY}\"\n"),
    );
    let formats = ["json", "html", "junit", "sarif"];
    let mut args: Vec<String> = vec![
        "run".into(),
        "--cases".into(),
        "12".into(),
        "--target".into(),
        format!("url:http://{addr}"),
        "--profile".into(),
        files.profile.display().to_string(),
        "--report".into(),
        files.path("dir").display().to_string(),
    ];
    for format in formats {
        args.push(format!("--{format}"));
        args.push(
            files
                .path(&format!("report.{format}"))
                .display()
                .to_string(),
        );
    }
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cloison"))
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .expect("cloison runs")
    })
    .await
    .expect("the run finishes");
    server.abort();
    let mut outputs = vec![
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
        (
            "stderr".to_string(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
    ];
    for format in formats {
        let name = format!("report.{format}");
        let text = std::fs::read_to_string(files.path(&name)).unwrap_or_default();
        outputs.push((name, text));
    }
    for entry in std::fs::read_dir(files.path("dir")).expect("the report directory") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        outputs.push((path.display().to_string(), text));
    }
    let json = serde_json::from_str(&outputs[2].1).unwrap_or(Value::Null);
    let mut credentials = echo.db.lock().expect("db").credentials.clone();
    credentials.insert(PROJECT_KEY.to_string());
    Written {
        exit: output.status.code().unwrap_or(-1),
        outputs,
        credentials,
        json,
    }
}

/// No credential the mock issued or was given appears in any output.
fn assert_no_credential(run: &Written) {
    assert!(
        run.credentials.len() > 20,
        "tokens, cookies and passwords were issued: {}",
        run.credentials.len()
    );
    for (name, text) in &run.outputs {
        assert!(!text.is_empty(), "{name} was written");
        let shown: Vec<&String> = (run.credentials.iter())
            .filter(|c| text.contains(c.as_str()))
            .collect();
        assert!(
            shown.is_empty(),
            "{name} shows {} credential(s) of the run, e.g. {:?}",
            shown.len(),
            shown.first()
        );
    }
}

/// A target that echoes every request, and whose flaw answers other identities' requests too: the run finds
/// the flaw (its evidence still shows the journal, with every credential hidden) and no output of any
/// format holds a credential; the twin is clean and writes none either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoing_target_gets_no_credential_into_any_output() {
    let flawed = run_echo(true).await;
    assert_eq!(
        flawed.exit,
        i32::from(EXIT_FINDINGS),
        "{}",
        flawed.outputs[1].1
    );
    let excerpts: Vec<&str> = (flawed.json["findings"].as_array().expect("findings").iter())
        .filter_map(|f| f["excerpt"].as_str())
        .collect();
    assert!(
        excerpts
            .iter()
            .any(|e| e.contains("\"journal\"") && e.contains("<redacted>")),
        "the evidence shows the echoed journal, redacted: {excerpts:?}"
    );
    assert_no_credential(&flawed);

    let twin = run_echo(false).await;
    assert_eq!(twin.exit, i32::from(EXIT_OK), "{}", twin.outputs[1].1);
    assert_no_credential(&twin);
}
