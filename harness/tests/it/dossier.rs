//! "Dossier partagé": a platform whose reads are all `POST` queries. Members register themselves and keep
//! dossiers; a dossier holds traces (notes). Dossiers are read through a GraphQL-like endpoint (`POST
//! /graphql` with `{query, variables}`: `{"data": {"dossier": null}}` for a dossier the caller may not
//! see, a 200), and traces are listed through `POST /search` with a JSON body; `GET` on either path is
//! answered 405. Traces are filed with `POST /api/dossiers/{id}/traces`.
//!
//! Two planted flaws, each with its fixed twin, run at default flags: traces accepted under any dossier
//! (the foreign-create family proves it: the dossier's holder lists the attacker's marker), and the
//! GraphQL query serving any dossier (the direct-read family proves it through the `POST` read).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;
use serde_json::{Value, json};

use crate::support::answer::{Upload, credential, file_answer, not_found, reply, text, upload};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

#[derive(Debug)]
struct Member {
    uid: u64,
    login: String,
    secret: String,
}

#[derive(Debug)]
struct Dossier {
    id: u64,
    holder: u64,
    titre: Value,
    resume: Value,
}

#[derive(Debug)]
struct Trace {
    id: u64,
    dossier: u64,
    texte: Value,
}

/// A file filed in a dossier.
#[derive(Debug)]
struct Piece {
    id: u64,
    dossier: u64,
    name: String,
    mime: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Db {
    members: Vec<Member>,
    dossiers: Vec<Dossier>,
    traces: Vec<Trace>,
    pieces: Vec<Piece>,
}

/// The planted flaws (both off: the fixed twin).
#[derive(Debug, Clone, Copy, Default)]
struct Flaws {
    /// Foreign create: a trace is filed under any dossier by anyone signed in.
    open_traces: bool,
    /// Direct read: the GraphQL query serves any dossier.
    open_query: bool,
}

#[derive(Debug, Default)]
struct Platform {
    db: Mutex<Db>,
    flaws: Flaws,
    /// Traces filed by someone other than the dossier's holder.
    foreign_traces: AtomicUsize,
    /// `GET` requests to the query endpoints (answered 405).
    gets: AtomicUsize,
}

type Shared = State<Arc<Platform>>;

fn token_of(uid: u64) -> String {
    format!("dp-{uid}-{:x}", uid.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl Platform {
    fn caller(&self, db: &Db, headers: &HeaderMap) -> Option<u64> {
        let token = credential(headers, "Bearer ")?;
        db.members
            .iter()
            .find(|m| token_of(m.uid) == token)
            .map(|m| m.uid)
    }
}

fn signed_out() -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "errors": [{ "message": "signed out" }] }),
    )
}

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

async fn register(State(p): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = p.db.lock().expect("db");
    let (login, secret) = (text(&body, "login"), text(&body, "secret"));
    if login.is_empty() || secret.is_empty() || db.members.iter().any(|m| m.login == login) {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "login" }),
        );
    }
    let uid = db.members.len() as u64 + 70;
    db.members.push(Member { uid, login, secret });
    reply(StatusCode::CREATED, json!({ "uid": uid }))
}

async fn login(State(p): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let db = p.db.lock().expect("db");
    match db
        .members
        .iter()
        .find(|m| m.login == text(&body, "login") && m.secret == text(&body, "secret"))
    {
        Some(m) => reply(StatusCode::OK, json!({ "access": token_of(m.uid) })),
        None => signed_out(),
    }
}

async fn create_dossier(
    State(p): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = p.db.lock().expect("db");
    if p.caller(&db, &headers).is_none() {
        return signed_out();
    }
    let Some(holder) = number(&body["holder"]).filter(|h| db.members.iter().any(|m| m.uid == *h))
    else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "holder" }),
        );
    };
    let id = db.dossiers.len() as u64 + 300;
    db.dossiers.push(Dossier {
        id,
        holder,
        titre: body["titre"].clone(),
        resume: body["resume"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "id": id }))
}

fn dossier_json(d: &Dossier) -> Value {
    json!({ "id": d.id, "titre": d.titre, "resume": d.resume })
}

/// `POST /graphql`: `dossier(id: $id)` or `mesDossiers`, as a real GraphQL server answers them: a
/// dossier the caller may not see is `null` in `data`, with a 200.
async fn graphql(
    State(p): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let db = p.db.lock().expect("db");
    let Some(caller) = p.caller(&db, &headers) else {
        return signed_out();
    };
    let query = text(&body, "query");
    if query.contains("mesDossiers") {
        let mine: Vec<Value> = db
            .dossiers
            .iter()
            .filter(|d| d.holder == caller)
            .map(dossier_json)
            .collect();
        return reply(StatusCode::OK, json!({ "data": { "mesDossiers": mine } }));
    }
    if query.contains("dossier(") {
        let found = number(&body["variables"]["id"])
            .and_then(|id| db.dossiers.iter().find(|d| d.id == id))
            .filter(|d| d.holder == caller || p.flaws.open_query)
            .map_or(Value::Null, dossier_json);
        return reply(StatusCode::OK, json!({ "data": { "dossier": found } }));
    }
    reply(
        StatusCode::BAD_REQUEST,
        json!({ "errors": [{ "message": "unknown query" }] }),
    )
}

/// `POST /search`: the traces of one dossier (`{"dossier": ID}`), for its holder.
async fn search(
    State(p): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let db = p.db.lock().expect("db");
    let Some(caller) = p.caller(&db, &headers) else {
        return signed_out();
    };
    let Some(dossier) =
        number(&body["dossier"]).and_then(|id| db.dossiers.iter().find(|d| d.id == id))
    else {
        return not_found();
    };
    if dossier.holder != caller {
        return not_found();
    }
    let found: Vec<Value> = db
        .traces
        .iter()
        .filter(|t| t.dossier == dossier.id)
        .map(|t| json!({ "id": t.id, "texte": t.texte }))
        .collect();
    reply(StatusCode::OK, json!({ "resultats": found }))
}

async fn add_trace(
    State(p): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = p.db.lock().expect("db");
    let Some(caller) = p.caller(&db, &headers) else {
        return signed_out();
    };
    let Some(holder) = db.dossiers.iter().find(|d| d.id == id).map(|d| d.holder) else {
        return not_found();
    };
    // The planted flaw: signed in is enough.
    if holder != caller && !p.flaws.open_traces {
        return not_found();
    }
    if holder != caller {
        p.foreign_traces.fetch_add(1, Ordering::SeqCst);
    }
    let trace = db.traces.len() as u64 + 9000;
    db.traces.push(Trace {
        id: trace,
        dossier: id,
        texte: body["texte"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "id": trace }))
}

async fn add_piece(
    State(p): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(Upload { name, mime, bytes })) = upload(&mut multipart, "fichier", "piece").await
    else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "fichier" }),
        );
    };
    let mut db = p.db.lock().expect("db");
    let Some(caller) = p.caller(&db, &headers) else {
        return signed_out();
    };
    if !db.dossiers.iter().any(|d| d.id == id && d.holder == caller) {
        return not_found();
    }
    let piece = db.pieces.len() as u64 + 5000;
    db.pieces.push(Piece {
        id: piece,
        dossier: id,
        name,
        mime,
        bytes,
    });
    reply(StatusCode::CREATED, json!({ "id": piece }))
}

/// `POST /api/pieces/{id}/contenu`: a piece's bytes, for its dossier's holder.
async fn piece_content(State(p): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = p.db.lock().expect("db");
    let Some(caller) = p.caller(&db, &headers) else {
        return signed_out();
    };
    let Some(piece) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.pieces.iter().find(|p| p.id == id))
    else {
        return not_found();
    };
    if !db
        .dossiers
        .iter()
        .any(|d| d.id == piece.dossier && d.holder == caller)
    {
        return not_found();
    }
    file_answer(piece.mime.clone(), &piece.name, piece.bytes.clone())
}

/// `GET` on a query endpoint: only `POST` is served.
async fn get_refused(State(p): Shared) -> Response {
    p.gets.fetch_add(1, Ordering::SeqCst);
    reply(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({ "errors": [{ "message": "POST only" }] }),
    )
}

fn router(platform: Arc<Platform>) -> Router {
    Router::new()
        .route("/up", axum::routing::get(|| async { "ok" }))
        .route("/api/inscription", post(register))
        .route("/api/connexion", post(login))
        .route("/api/dossiers", post(create_dossier))
        .route("/api/dossiers/{id}/traces", post(add_trace))
        .route("/graphql", post(graphql).get(get_refused))
        .route("/search", post(search).get(get_refused))
        .route("/api/dossiers/{id}/pieces", post(add_piece))
        .route(
            "/api/pieces/{id}/contenu",
            post(piece_content).get(get_refused),
        )
        .with_state(platform)
}

const PROFILE: &str = r#"
format = 1
name = "Dossier partagé (reads as POST queries)"

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
path = "/api/inscription"
json = { login = "{{identity.login}}", secret = "{{identity.password}}" }
extract = { id = "/uid" }

[tenants]
mode = "none"

[auth]
scheme = "token"
token = { json = "/access" }
send = { header = "Authorization", value = "Bearer {{token}}" }

[auth.login]
method = "POST"
path = "/api/connexion"
json = { login = "{{identity.login}}", secret = "{{identity.password}}" }

[health]
path = "/up"

# A dossier the caller may not see is `null` in the query's data (a 200): a refusal by its body.
[refusals]
statuses = [401, 404]
pointer = "/data/dossier"
null = true

[resources.case.create]
as = "owner"
method = "POST"
path = "/api/dossiers"
extract = { id = "/id" }
json = { holder = "{{person.account_id}}", titre = "{{person.first_name}} {{person.surname}}", resume = "NIR {{person.nir}}, {{person.address_line}}, dossier {{case.case_number}}" }

# Reads are POST queries: probed like GET reads.
[resources.case.read]
method = "POST"
path = "/graphql"
json = { query = "query Dossier($id: ID!) { dossier(id: $id) { id titre resume } }", variables = { id = "{{case.id}}" } }

[resources.case.list]
method = "POST"
path = "/graphql"
json = { query = "query { mesDossiers { id titre resume } }" }

# A trace's text carries a foreign-create probe's marker.
[resources.note.create]
as = "owner"
method = "POST"
path = "/api/dossiers/{{case.id}}/traces"
extract = { id = "/id" }
json = { texte = "{{probe.marker || note.text}}" }

[resources.note.list]
method = "POST"
path = "/search"
json = { dossier = "{{case.id}}" }

[resources.document.create]
as = "owner"
method = "POST"
path = "/api/dossiers/{{case.id}}/pieces"
extract = { id = "/id" }
multipart = [{ name = "fichier", file = "document" }]

# A download that is a POST: a read all the same.
[resources.document.download]
method = "POST"
path = "/api/pieces/{{document.id}}/contenu"
"#;

/// Serve Dossier partagé with `flaws` and run cloison at default flags.
async fn run_dossier(flaws: Flaws) -> MockRun<Platform> {
    let platform = Arc::new(Platform {
        flaws,
        ..Platform::default()
    });
    let (addr, server) = serve(router(platform.clone())).await;
    let files = ProfileFiles::write("dossier", PROFILE, "");
    let args = url_args(addr, &files, 5, 1, 10);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: platform,
    }
}

/// Whether the report holds a proven root cause of `family` on `endpoint`.
fn proven(run: &MockRun<Platform>, family: &str, endpoint: &str, evidence: Evidence) -> bool {
    run.report()
        .root_causes
        .iter()
        .any(|c| c.family.name() == family && c.endpoint == endpoint && c.evidence == evidence)
}

/// Traces accepted under any dossier: the holder's `POST /search` shows the attacker's marker, proven
/// tampering by the foreign-create family (exit 1); the fixed twin refuses them and is clean (exit 0),
/// its `POST` reads probed and never sent as `GET`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dossier_traces_under_foreign_dossiers_proven_and_twin_clean() {
    let flawed = run_dossier(Flaws {
        open_traces: true,
        ..Flaws::default()
    })
    .await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(flawed.mock.foreign_traces.load(Ordering::SeqCst) > 0);
    assert!(
        proven(
            &flawed,
            "foreign-create",
            "resources.note.create",
            Evidence::ProvenTampering
        ),
        "{}",
        report.summary()
    );
    // Only the planted flaw: every other family's probes were refused.
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() == "foreign-create"),
        "{}",
        report.summary()
    );

    let twin = run_dossier(Flaws::default()).await;
    assert_clean(
        &twin.result,
        "Dossier partagé, traces refused under foreign dossiers",
    );
    // `{"data": {"dossier": null}}` is a declared refusal: no status-only warning either.
    assert!(
        twin.report().findings.is_empty(),
        "{}",
        twin.report().summary()
    );
    assert_eq!(twin.mock.foreign_traces.load(Ordering::SeqCst), 0);
    assert_eq!(
        twin.mock.gets.load(Ordering::SeqCst),
        0,
        "reads sent as POST"
    );
    let coverage = &twin.report().coverage;
    let sent = |family: &str, endpoint: &str| {
        coverage
            .cells
            .iter()
            .filter(|c| c.family.name() == family && c.endpoint == endpoint)
            .map(|c| c.sent)
            .sum::<usize>()
    };
    assert!(sent("foreign-create", "resources.note.create") > 0);
    assert!(
        sent("direct-read", "resources.case.read") > 0,
        "POST reads probed"
    );
    assert!(
        sent("collection", "resources.case.list") > 0,
        "POST lists probed"
    );
}

/// The GraphQL query serving any dossier: another's dossier read through the `POST` query is a proven
/// leak of the direct-read family (exit 1); the twin answers `null` (a declared refusal) and is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dossier_post_query_serving_others_proven_by_direct_read() {
    let flawed = run_dossier(Flaws {
        open_query: true,
        ..Flaws::default()
    })
    .await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        proven(
            &flawed,
            "direct-read",
            "resources.case.read",
            Evidence::ProvenLeak
        ),
        "{}",
        report.summary()
    );
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.starts_with("resources.") && w.contains("declared but no probe used it")),
        "{:?}",
        report.warnings
    );
}
