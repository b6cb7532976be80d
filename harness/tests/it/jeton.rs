//! "Jeton": a notes service whose identity lives only in its tokens. Members sign up (`POST /api/members`),
//! exchange their password for a JSON Web Token (`POST /api/token`, HS256, `sub` the member's number and
//! `name` their login, valid ten seconds) and keep notes, each held by one member. There is no session
//! table: a token whose signature and expiry verify is the member it names. The planted flaw signs the
//! tokens with `changeme`, a key of every list of common secrets; its fixed twin draws a random key at
//! startup. A third shape hands out opaque tokens (a session table): there is nothing to forge, and the
//! forged-credential family is skipped with its reason. Run at default flags.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

use crate::support::answer::{Upload, credential, file_answer, not_found, reply, text, upload};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

/// How Jeton signs who a caller is.
#[derive(Debug, Clone)]
enum Tokens {
    /// JWTs signed with this key.
    Signed(Vec<u8>),
    /// Random opaque tokens, looked up in a session table.
    Opaque,
}

#[derive(Default)]
struct Db {
    /// (number, login, password).
    members: Vec<(u64, String, String)>,
    /// (id, holder, title, body).
    notes: Vec<(u64, u64, Value, Value)>,
    /// (id, note, upload) files attached to notes.
    files: Vec<(u64, u64, Upload)>,
    /// The signed tokens Jeton issued (only to count the forged ones it accepts: it never looks them up).
    issued: std::collections::HashSet<String>,
    /// Opaque tokens and the member each signs in.
    sessions: HashMap<String, u64>,
}

struct Jeton {
    db: Mutex<Db>,
    tokens: Tokens,
    /// Requests whose token named another member than the one it was issued to, and was accepted.
    forged_accepted: AtomicUsize,
}

type Shared = State<Arc<Jeton>>;

const LIFE_SECS: u64 = 10;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn signed_out() -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "error": "invalid token" }),
    )
}

impl Jeton {
    fn new(tokens: Tokens) -> Self {
        Jeton {
            db: Mutex::new(Db::default()),
            tokens,
            forged_accepted: AtomicUsize::new(0),
        }
    }

    /// The member the request's token names, if it verifies.
    fn caller(&self, db: &Db, headers: &HeaderMap) -> Option<u64> {
        let token = credential(headers, "Bearer ")?;
        match &self.tokens {
            Tokens::Opaque => db.sessions.get(token).copied(),
            Tokens::Signed(key) => {
                let mut validation = Validation::new(Algorithm::HS256);
                validation.leeway = 0;
                let claims = jsonwebtoken::decode::<Value>(
                    token,
                    &DecodingKey::from_secret(key),
                    &validation,
                )
                .ok()?
                .claims;
                let member = claims["sub"].as_str()?.parse::<u64>().ok()?;
                let known = db.members.iter().any(|m| m.0 == member);
                if known && !db.issued.contains(token) {
                    self.forged_accepted.fetch_add(1, Ordering::SeqCst);
                }
                known.then_some(member)
            }
        }
    }
}

async fn sign_up(State(j): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = j.db.lock().expect("db");
    let (login, password) = (text(&body, "login"), text(&body, "password"));
    if login.is_empty() || password.is_empty() || db.members.iter().any(|m| m.1 == login) {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "login" }),
        );
    }
    let number = db.members.len() as u64 + 7001;
    db.members.push((number, login, password));
    reply(StatusCode::CREATED, json!({ "number": number }))
}

async fn token(State(j): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = j.db.lock().expect("db");
    let Some((number, login)) = db
        .members
        .iter()
        .find(|m| m.1 == text(&body, "login") && m.2 == text(&body, "password"))
        .map(|m| (m.0, m.1.clone()))
    else {
        return signed_out();
    };
    let token = match &j.tokens {
        Tokens::Opaque => {
            let token = format!("op{number}{:016x}", db.sessions.len() as u64 * 0x9E37_79B9);
            db.sessions.insert(token.clone(), number);
            token
        }
        Tokens::Signed(key) => {
            let iat = now();
            let jti = format!("t{}", db.issued.len());
            let claims = json!({"sub": number.to_string(), "name": login, "iat": iat, "exp": iat + LIFE_SECS, "jti": jti});
            let token = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(key),
            )
            .expect("signed");
            db.issued.insert(token.clone());
            token
        }
    };
    reply(StatusCode::OK, json!({ "access_token": token }))
}

fn note_json(note: &(u64, u64, Value, Value)) -> Value {
    json!({ "id": note.0, "title": note.2, "body": note.3 })
}

async fn create_note(
    State(j): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = j.db.lock().expect("db");
    if j.caller(&db, &headers).is_none() {
        return signed_out();
    }
    let holder = text(&body, "holder").parse::<u64>().ok();
    let Some(holder) = holder.filter(|h| db.members.iter().any(|m| m.0 == *h)) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "holder" }),
        );
    };
    let id = db.notes.len() as u64 + 1;
    db.notes
        .push((id, holder, body["title"].clone(), body["body"].clone()));
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn read_note(State(j): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = j.db.lock().expect("db");
    let Some(caller) = j.caller(&db, &headers) else {
        return signed_out();
    };
    let note = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.notes.iter().find(|n| n.0 == id));
    match note {
        Some(note) if note.1 == caller => reply(StatusCode::OK, note_json(note)),
        _ => not_found(),
    }
}

async fn my_notes(State(j): Shared, headers: HeaderMap) -> Response {
    let db = j.db.lock().expect("db");
    let Some(caller) = j.caller(&db, &headers) else {
        return signed_out();
    };
    let notes: Vec<Value> = db
        .notes
        .iter()
        .filter(|n| n.1 == caller)
        .map(note_json)
        .collect();
    reply(StatusCode::OK, json!({ "notes": notes }))
}

async fn attach(
    State(j): Shared,
    headers: HeaderMap,
    Path(note): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "file", "file").await else {
        return reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": "file" }));
    };
    let mut db = j.db.lock().expect("db");
    let Some(caller) = j.caller(&db, &headers) else {
        return signed_out();
    };
    if !db.notes.iter().any(|n| n.0 == note && n.1 == caller) {
        return not_found();
    }
    let id = db.files.len() as u64 + 1;
    db.files.push((id, note, file));
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn read_file(State(j): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = j.db.lock().expect("db");
    let Some(caller) = j.caller(&db, &headers) else {
        return signed_out();
    };
    let file = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.files.iter().find(|f| f.0 == id))
        .filter(|f| db.notes.iter().any(|n| n.0 == f.1 && n.1 == caller));
    match file {
        Some((_, _, file)) => file_answer(file.mime.clone(), &file.name, file.bytes.clone()),
        None => not_found(),
    }
}

fn router(jeton: Arc<Jeton>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/api/members", post(sign_up))
        .route("/api/token", post(token))
        .route("/api/notes", post(create_note).get(my_notes))
        .route("/api/notes/{id}", get(read_note))
        .route("/api/notes/{id}/files", post(attach))
        .route("/api/files/{id}", get(read_file))
        .with_state(jeton)
}

const PROFILE: &str = r#"
format = 1
name = "Jeton (identity in signed tokens only)"

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
path = "/api/members"
json = { login = "{{identity.login}}", password = "{{identity.password}}" }
extract = { id = "/number" }

[tenants]
mode = "none"

[auth]
scheme = "token"
token = { json = "/access_token" }
send = { header = "Authorization", value = "Bearer {{token}}" }

[auth.login]
method = "POST"
path = "/api/token"
json = { login = "{{identity.login}}", password = "{{identity.password}}" }

[health]
path = "/health"

[refusals]
statuses = [401, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/api/notes"
extract = { id = "/id" }
json = { holder = "{{person.account_id}}", title = "{{person.first_name}} {{person.surname}}", body = "NIR {{person.nir}}, {{person.address_line}}, dossier {{case.case_number}}" }

[resources.case.read]
path = "/api/notes/{{case.id}}"

[resources.case.list]
path = "/api/notes"

[resources.document.create]
as = "owner"
method = "POST"
path = "/api/notes/{{case.id}}/files"
extract = { id = "/id" }
multipart = [{ name = "file", file = "document" }]

[resources.document.download]
path = "/api/files/{{document.id}}"
"#;

async fn run_jeton(tokens: Tokens) -> MockRun<Jeton> {
    let jeton = Arc::new(Jeton::new(tokens));
    let (addr, server) = serve(router(jeton.clone())).await;
    let files = ProfileFiles::write("jeton", PROFILE, "");
    let args = url_args(addr, &files, 5, 1, 8);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: jeton,
    }
}

fn forged_family(run: &MockRun<Jeton>) -> (usize, Option<String>) {
    let family = run
        .report()
        .coverage
        .families
        .iter()
        .find(|f| f.family == "forged-credential")
        .expect("the family is listed");
    (family.sent, family.skipped.clone())
}

/// Tokens signed with a common weak key: a token forged from a member's own, signed again with the key
/// found offline and naming another member, reads that member's note (PROVEN); no key, no signature and
/// `alg: none` are refused. The fixed twin (a random key) is clean, its forgeries all refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jeton_weak_signing_key_forged_credential_proven_and_random_key_twin_clean() {
    let flawed = run_jeton(Tokens::Signed(b"changeme".to_vec())).await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        flawed.mock.forged_accepted.load(Ordering::SeqCst) > 0,
        "a forged token was accepted: {}",
        report.summary()
    );
    let forged: Vec<_> = report
        .root_causes
        .iter()
        .filter(|c| c.family.name() == "forged-credential")
        .collect();
    assert!(
        forged.iter().any(|c| c.evidence == Evidence::ProvenLeak
            && c.endpoint == "resources.case.read"
            && c.via.as_deref() == Some("a token forged: weak-key")),
        "{}",
        report.summary()
    );
    assert!(
        forged
            .iter()
            .all(|c| c.via.as_deref() == Some("a token forged: weak-key")),
        "only the weak key gets through (no alg none, no expired token): {}",
        report.summary()
    );
    // Nothing but the forgery: the members' own sessions read nothing of others.
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() == "forged-credential"),
        "{}",
        report.summary()
    );
    // The key and the forged tokens are credentials: the report shows neither.
    let json = serde_json::to_string(report).expect("json");
    assert!(!json.contains("changeme"), "the weak key is redacted");
    assert!(
        json.contains("forged from"),
        "the reproducer says how the token was made"
    );

    let twin = run_jeton(Tokens::Signed(
        (0..32).map(|i| (i * 37 + 11) as u8).collect(),
    ))
    .await;
    assert_clean(&twin.result, "Jeton with a strong key");
    assert_eq!(twin.mock.forged_accepted.load(Ordering::SeqCst), 0);
    let (sent, skipped) = forged_family(&twin);
    assert!(sent > 0 && skipped.is_none(), "{sent} {skipped:?}");
}

/// Opaque tokens: nothing to forge; the family is skipped with its reason and the run is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jeton_opaque_tokens_skip_the_forged_credential_family_with_the_reason() {
    let opaque = run_jeton(Tokens::Opaque).await;
    assert_clean(&opaque.result, "Jeton with opaque tokens");
    let (sent, skipped) = forged_family(&opaque);
    assert_eq!(sent, 0);
    let skipped = skipped.expect("skipped");
    assert!(
        skipped.contains("not JSON Web Tokens"),
        "{skipped}: {}",
        opaque.report().summary()
    );
    assert!(
        opaque.report().summary().contains("forged-credential"),
        "{}",
        opaque.report().summary()
    );
}
