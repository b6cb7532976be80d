//! "Comptoir": a platform of dossiers as small web applications are deployed, in two shapes that a 16-way
//! burst overwhelms. Anyone signs up (`POST /api/accounts`), opens a session (`POST /api/sessions`, a key
//! sent back in `X-Session`), files dossiers and reads their own.
//!
//! 1. **One worker** (uvicorn with one worker and `--limit-concurrency`): every request is served one at a
//!    time behind a global lock, a sign-up or a login hashes its password slowly, and a request that finds
//!    [`QUEUE`] others already inside is answered `503` at once.
//! 2. **Locked writes** (SQLite behind a threaded server): two writes that overlap fail, the second
//!    answered `500 {"detail": "database is locked"}`.
//!
//! Each has a planted flaw (a dossier served by its reference to anyone signed in) and its fixed twin, run
//! at cloison's default flags: the flaw is found (exit 1), the twin is clean (exit 0). Neither shape needs
//! `--concurrency` or `--timeout`: the adaptive pace starts gently, sends POSTs one at a time and backs
//! off on 503s.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::support::answer::{Upload, file_answer, reply, text, upload};
use crate::support::{BinaryRun, RunSpec, run_binary, serve};

/// Requests inside the one-worker shape (served or waiting) beyond which it answers 503.
const QUEUE: usize = 4;

/// How the platform is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One request at a time, slow password hashing, a short queue.
    OneWorker,
    /// Overlapping writes fail with `database is locked`.
    LockedWrites,
}

#[derive(Debug)]
struct Account {
    reference: String,
    email: String,
    secret: String,
}

#[derive(Debug)]
struct Dossier {
    reference: String,
    owner: String,
    /// Who filed it (a representative files for the person, never reads it).
    filer: String,
    title: Value,
    content: Value,
}

#[derive(Default)]
struct Db {
    accounts: Vec<Account>,
    /// Session key, account reference.
    sessions: Vec<(String, String)>,
    dossiers: Vec<Dossier>,
    /// Files attached to dossiers: dossier reference, upload.
    pieces: Vec<(String, Upload)>,
}

struct Comptoir {
    shape: Shape,
    /// The planted flaw: a dossier is served by its reference to anyone signed in.
    dossier_by_reference: bool,
    db: Mutex<Db>,
    /// The one worker.
    worker: tokio::sync::Mutex<()>,
    /// Requests inside the one-worker shape.
    inside: AtomicUsize,
    /// A write is in progress (locked-writes shape).
    writing: AtomicBool,
    /// Requests answered 503 because the queue was full.
    shed: AtomicUsize,
    /// Writes answered 500 because another was in progress.
    locked: AtomicUsize,
}

type Shared = State<Arc<Comptoir>>;

impl Comptoir {
    fn new(shape: Shape, dossier_by_reference: bool) -> Self {
        Comptoir {
            shape,
            dossier_by_reference,
            db: Mutex::new(Db::default()),
            worker: tokio::sync::Mutex::new(()),
            inside: AtomicUsize::new(0),
            writing: AtomicBool::new(false),
            shed: AtomicUsize::new(0),
            locked: AtomicUsize::new(0),
        }
    }

    /// Hash a password: slow on the one worker (which holds its lock meanwhile), instant otherwise.
    async fn hash(&self) {
        if self.shape == Shape::OneWorker {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Begin a write: `None` (the answer is a 500) if another is in progress in the locked-writes shape.
    /// The write takes a few milliseconds to commit, as a database's does.
    async fn write(self: &Arc<Self>) -> Option<WriteGuard> {
        if self.shape != Shape::LockedWrites {
            return Some(WriteGuard(None));
        }
        if self.writing.swap(true, Ordering::SeqCst) {
            self.locked.fetch_add(1, Ordering::SeqCst);
            return None;
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
        Some(WriteGuard(Some(self.clone())))
    }

    /// The account of the request's session.
    fn caller(&self, db: &Db, headers: &HeaderMap) -> Option<String> {
        let key = headers.get("x-session")?.to_str().ok()?;
        db.sessions
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, account)| account.clone())
    }
}

/// The write in progress, ended when dropped.
struct WriteGuard(Option<Arc<Comptoir>>);

impl Drop for WriteGuard {
    fn drop(&mut self) {
        if let Some(comptoir) = &self.0 {
            comptoir.writing.store(false, Ordering::SeqCst);
        }
    }
}

fn locked() -> Response {
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({ "detail": "database is locked" }),
    )
}

fn who_are_you() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "detail": "no session" }))
}

/// The one worker: a request waits for the worker's lock, unless the queue is full (503 at once).
async fn one_worker(State(m): Shared, request: Request, next: Next) -> Response {
    if m.shape != Shape::OneWorker {
        return next.run(request).await;
    }
    let _inside = Inside::enter(&m.inside);
    if m.inside.load(Ordering::SeqCst) > QUEUE {
        m.shed.fetch_add(1, Ordering::SeqCst);
        return reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "detail": "too many requests in progress" }),
        );
    }
    let _worker = m.worker.lock().await;
    next.run(request).await
}

/// A request inside the one worker, counted out when it ends (or its client goes away).
struct Inside<'a>(&'a AtomicUsize);

impl<'a> Inside<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Inside(count)
    }
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn sign_up(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let Some(_write) = m.write().await else {
        return locked();
    };
    m.hash().await;
    let (email, secret) = (text(&body, "email"), text(&body, "secret"));
    if email.is_empty() || secret.is_empty() {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "detail": "email and secret" }),
        );
    }
    let mut db = m.db.lock().expect("db");
    if db.accounts.iter().any(|a| a.email == email) {
        return reply(StatusCode::CONFLICT, json!({ "detail": "email taken" }));
    }
    let reference = format!("acc-{}", db.accounts.len() + 1);
    db.accounts.push(Account {
        reference: reference.clone(),
        email,
        secret,
    });
    reply(
        StatusCode::CREATED,
        json!({ "account": { "ref": reference } }),
    )
}

async fn open_session(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    // A login writes its session: a write like any other.
    let Some(_write) = m.write().await else {
        return locked();
    };
    m.hash().await;
    let mut db = m.db.lock().expect("db");
    let Some(account) = db
        .accounts
        .iter()
        .find(|a| a.email == text(&body, "email") && a.secret == text(&body, "secret"))
        .map(|a| a.reference.clone())
    else {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": "bad credentials" }),
        );
    };
    let key = format!("cpt-{}-{account}", db.sessions.len() + 7);
    db.sessions.push((key.clone(), account));
    reply(StatusCode::OK, json!({ "session": { "key": key } }))
}

async fn file_dossier(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let Some(_write) = m.write().await else {
        return locked();
    };
    let mut db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return who_are_you();
    };
    // A dossier is filed for its holder (the caller, or the person a representative files for).
    let holder = text(&body, "holder");
    let owner = if db.accounts.iter().any(|a| a.reference == holder) {
        holder
    } else {
        caller.clone()
    };
    let reference = format!("dos-{}", db.dossiers.len() + 1);
    db.dossiers.push(Dossier {
        reference: reference.clone(),
        owner,
        filer: caller,
        title: body["title"].clone(),
        content: body["content"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "ref": reference }))
}

fn dossier_json(dossier: &Dossier) -> Value {
    json!({ "ref": dossier.reference, "title": dossier.title, "content": dossier.content })
}

async fn read_dossier(
    State(m): Shared,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return who_are_you();
    };
    let found = db.dossiers.iter().find(|d| d.reference == reference);
    match found {
        // The planted flaw: the owner is not checked.
        Some(dossier) if dossier.owner == caller || m.dossier_by_reference => {
            reply(StatusCode::OK, dossier_json(dossier))
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            json!({ "detail": "no such dossier" }),
        ),
    }
}

async fn my_dossiers(State(m): Shared, headers: HeaderMap) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return who_are_you();
    };
    let results: Vec<Value> = db
        .dossiers
        .iter()
        .filter(|d| d.owner == caller)
        .map(dossier_json)
        .collect();
    reply(StatusCode::OK, json!({ "results": results }))
}

async fn attach_piece(
    State(m): Shared,
    headers: HeaderMap,
    Path(reference): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "piece", "piece").await else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "detail": "a file in `piece`" }),
        );
    };
    let Some(_write) = m.write().await else {
        return locked();
    };
    let mut db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return who_are_you();
    };
    if !db
        .dossiers
        .iter()
        .any(|d| d.reference == reference && (d.owner == caller || d.filer == caller))
    {
        return reply(
            StatusCode::NOT_FOUND,
            json!({ "detail": "no such dossier" }),
        );
    }
    db.pieces.push((reference, file));
    reply(StatusCode::CREATED, json!({ "piece": db.pieces.len() }))
}

async fn download_piece(State(m): Shared, headers: HeaderMap, Path(n): Path<usize>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = m.caller(&db, &headers) else {
        return who_are_you();
    };
    let piece = n.checked_sub(1).and_then(|i| db.pieces.get(i));
    match piece {
        Some((reference, file))
            if db
                .dossiers
                .iter()
                .any(|d| &d.reference == reference && d.owner == caller) =>
        {
            file_answer(file.mime.clone(), &file.name, file.bytes.clone())
        }
        _ => reply(StatusCode::NOT_FOUND, json!({ "detail": "no such piece" })),
    }
}

fn router(comptoir: Arc<Comptoir>) -> Router {
    Router::new()
        .route("/status", get(|| async { "ok" }))
        .route("/api/accounts", post(sign_up))
        .route("/api/sessions", post(open_session))
        .route("/api/dossiers", post(file_dossier).get(my_dossiers))
        .route("/api/dossiers/{reference}", get(read_dossier))
        .route("/api/dossiers/{reference}/pieces", post(attach_piece))
        .route("/api/pieces/{n}", get(download_piece))
        .layer(axum::middleware::from_fn_with_state(
            comptoir.clone(),
            one_worker,
        ))
        .with_state(comptoir)
}

/// cloison's description of Comptoir, written from its routes alone.
const PROFILE: &str = r#"
format = 1
name = "Comptoir"

[health]
path = "/status"

# Each sees their own dossiers; no role sees anyone else's.
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
path = "/api/accounts"
json = { email = "{{identity.login}}", secret = "{{identity.password}}" }
extract = { id = "/account/ref" }

[tenants]
mode = "none"

[auth]
scheme = "token"
token = { json = "/session/key" }
send = { header = "X-Session", value = "{{token}}" }

[auth.login]
method = "POST"
path = "/api/sessions"
json = { email = "{{identity.login}}", secret = "{{identity.password}}" }

[refusals]
statuses = [404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/api/dossiers"
extract = { id = "/ref" }
json = { holder = "{{person.account_id}}", title = "{{person.first_name}} {{person.surname}}", content = "NIR {{person.nir}}, {{person.address_line}}, dossier {{case.case_number}}" }

[resources.case.read]
path = "/api/dossiers/{{case.id}}"

[resources.case.list]
path = "/api/dossiers"

[resources.document.create]
as = "owner"
method = "POST"
path = "/api/dossiers/{{case.id}}/pieces"
extract = { id = "/piece" }
multipart = [{ name = "piece", file = "document" }]

[resources.document.download]
path = "/api/pieces/{{document.id}}"
"#;

/// Serve Comptoir in `shape` and run cloison against it at its default flags (a small world).
async fn run_comptoir(shape: Shape, flaw: bool) -> (BinaryRun, Arc<Comptoir>) {
    let comptoir = Arc::new(Comptoir::new(shape, flaw));
    let (addr, server) = serve(router(comptoir.clone())).await;
    let run = run_binary(
        addr,
        RunSpec {
            profile: PROFILE,
            name: "comptoir",
            secrets: "",
            seed: 1,
            tenants: 1,
            cases: 4,
        },
    )
    .await;
    server.abort();
    (run, comptoir)
}

/// The flaw is a proven leak on the dossier read, and no reproducer carries a session key.
fn assert_flaw_found(run: &BinaryRun) {
    run.assert_exit(cloison_harness::cli::EXIT_FINDINGS);
    run.cause("a proven leak on the dossier read", |c| {
        c["family"] == "direct-read"
            && c["endpoint"] == "resources.case.read"
            && c["evidence"] == "proven-leak"
    });
    let report = run.report.to_string();
    assert!(!report.contains("cpt-"), "no session key in the report");
}

/// The pace is in the report: a ceiling of 16 (the default), writes one at a time.
fn assert_pace_reported(run: &BinaryRun) {
    let pace = &run.report["pace"];
    assert_eq!(pace["concurrency"], 16, "{}", run.summary());
    assert_eq!(pace["writes_in_flight"], 1);
    assert!(pace["requests"].as_u64().unwrap_or_default() > 0);
}

/// One worker, slow hashing and a queue of four: a 16-way burst of sign-ups would be answered 503 past
/// every retry (exit 3); at the default flags the pace keeps under the queue, the flaw is found and the
/// twin is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comptoir_one_worker_with_slow_hashing_flaw_found_and_twin_clean_at_default_flags() {
    let (flawed, comptoir) = run_comptoir(Shape::OneWorker, true).await;
    let shed = comptoir.shed.load(Ordering::SeqCst);
    assert_flaw_found(&flawed);
    assert_pace_reported(&flawed);

    let (twin, comptoir) = run_comptoir(Shape::OneWorker, false).await;
    let shed = shed + comptoir.shed.load(Ordering::SeqCst);
    assert_eq!(
        twin.exit,
        0,
        "{shed} request(s) answered 503: {}",
        twin.summary()
    );
    twin.assert_clean();
    assert_pace_reported(&twin);
}

/// Overlapping writes fail with `database is locked`: cloison never overlaps two of its own writes (the
/// platform never had to refuse one), the flaw is found and the twin is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comptoir_locked_writes_flaw_found_and_twin_clean_at_default_flags() {
    let (flawed, comptoir) = run_comptoir(Shape::LockedWrites, true).await;
    assert_flaw_found(&flawed);
    assert_eq!(
        comptoir.locked.load(Ordering::SeqCst),
        0,
        "no two writes overlapped: {}",
        flawed.summary()
    );

    let (twin, comptoir) = run_comptoir(Shape::LockedWrites, false).await;
    twin.assert_clean();
    assert_eq!(comptoir.locked.load(Ordering::SeqCst), 0);
    assert_pace_reported(&twin);
}
