//! OpenAPI reach on a platform of another shape: "Carnet", an in-memory axum mock with organisations
//! (`/ops/orgs`), members, files and attachments, a JWT-like token in a custom `Authorization: JWT ...`
//! header, 404 refusals, and an OpenAPI document at `/openapi.json`. Its profile describes only what
//! seeding needs (files and attachments); three operations are left out of it: a digest of a file by its
//! identifier, a board of recent files, and an archive action. With `openapi` set, cloison calls them
//! anyway: the flaw planted in each undescribed read is found, its fixed twin is clean, the undescribed
//! write is only ever sent without credentials, the profile's setup and session calls are never probed,
//! and the report lists every operation with what tried it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::report::{Evidence, Outcome};
use cloison_harness::run::{RunResult, execute};
use serde_json::{Value, json};

use crate::support::answer::{Upload, credential, header_is, reply, text, upload};
use crate::support::directory::{Account, Directory};
use crate::support::files::ProfileFiles;
use crate::support::library::url_args;
use crate::support::serve;

const ADMIN_KEY: &str = "carnet-admin-key";

/// Checks the mock can drop.
#[derive(Debug, Clone, Copy, Default)]
struct Flaws {
    /// The digest of a file checks the token, not who may see the file.
    digest_unchecked: bool,
    /// The board answers callers without a token with every organisation's recent files.
    board_public: bool,
}

/// A member: its number, its org as tenant.
type Member = Account<u64>;

#[derive(Debug)]
struct File {
    id: u64,
    org: String,
    holder: u64,
    creator: u64,
    person: Value,
}

#[derive(Debug, Default)]
struct Db {
    /// Orgs, members and mandates.
    directory: Directory<u64>,
    files: Vec<File>,
    /// (id, file, bytes, content type)
    attachments: Vec<(u64, u64, Vec<u8>, String)>,
    tokens: HashMap<String, u64>,
    /// Archive calls that carried a token.
    archive_with_token: usize,
}

impl Db {
    fn member(&self, id: u64) -> Option<&Member> {
        self.directory.account(&id)
    }

    fn visible(&self, caller: &Member, file: &File) -> bool {
        if matches!(caller.role.as_str(), "worker" | "lead") {
            return caller.tenant == file.org;
        }
        file.creator == caller.id || self.directory.acts_for(caller, &file.holder)
    }

    fn caller(&self, headers: &HeaderMap) -> Option<u64> {
        self.tokens.get(credential(headers, "JWT ")?).copied()
    }
}

struct Mock {
    db: Mutex<Db>,
    flaws: Flaws,
}

type Shared = State<Arc<Mock>>;

fn not_found() -> Response {
    reply(StatusCode::NOT_FOUND, json!({ "problem": "not found" }))
}

fn unauthorized() -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "problem": "token required" }),
    )
}

fn admin(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Admin-Key", ADMIN_KEY)
}

fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

async fn create_org(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    let slug = text(&body, "slug");
    m.db.lock().expect("db").directory.tenants.push(slug);
    reply(StatusCode::CREATED, json!({}))
}

async fn create_member(
    State(m): Shared,
    headers: HeaderMap,
    Path(org): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    let mut db = m.db.lock().expect("db");
    let id = db.directory.accounts.len() as u64 + 1;
    db.directory.enrol(id, org, &body, ["login", "pw", "role"]);
    reply(StatusCode::CREATED, json!({ "member": { "id": id } }))
}

async fn create_mandate(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    let (Some(rep), Some(holder)) = (number(&body["rep"]), number(&body["holder"])) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "problem": "mandate" }),
        );
    };
    let mut db = m.db.lock().expect("db");
    let number = db.directory.represent(rep, holder);
    reply(StatusCode::CREATED, json!({ "mandate": number }))
}

async fn revoke_mandate(State(m): Shared, headers: HeaderMap, Path(n): Path<usize>) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    let mut db = m.db.lock().expect("db");
    if db.directory.end(n) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn login(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(id) = body["login"]
        .as_str()
        .zip(body["pw"].as_str())
        .and_then(|(login, pw)| db.directory.signed_in(login, pw))
        .map(|u| u.id)
    else {
        return unauthorized();
    };
    let token = format!("t{}-{id}", db.tokens.len());
    db.tokens.insert(token.clone(), id);
    reply(StatusCode::OK, json!({ "jwt": token }))
}

async fn create_file(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(holder) = number(&body["holder"]) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "problem": "holder" }),
        );
    };
    let Some(org) = db.member(holder).map(|h| h.tenant.clone()) else {
        return not_found();
    };
    let id = db.files.len() as u64 + 1;
    db.files.push(File {
        id,
        org,
        holder,
        creator: caller,
        person: body["person"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "file_id": id }))
}

/// Why a file is not served.
#[derive(Debug)]
enum Refused {
    Unauthorized,
    NotFound,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Unauthorized => unauthorized(),
            Refused::NotFound => not_found(),
        }
    }
}

/// The file `id` if `headers` name a caller who may see it.
fn visible_file(db: &Db, headers: &HeaderMap, id: u64) -> Result<usize, Refused> {
    let caller = db.caller(headers).ok_or(Refused::Unauthorized)?;
    let member = db.member(caller).ok_or(Refused::Unauthorized)?;
    let at = db
        .files
        .iter()
        .position(|f| f.id == id)
        .ok_or(Refused::NotFound)?;
    if db.visible(member, &db.files[at]) {
        Ok(at)
    } else {
        Err(Refused::NotFound)
    }
}

async fn read_file(State(m): Shared, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let db = m.db.lock().expect("db");
    match visible_file(&db, &headers, id) {
        Ok(at) => {
            let f = &db.files[at];
            reply(
                StatusCode::OK,
                json!({ "id": f.id, "org": f.org, "person": f.person }),
            )
        }
        Err(refused) => refused.into_response(),
    }
}

/// Undescribed in the profile: the file's digest (its person's surname and NIR).
async fn digest(State(m): Shared, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let db = m.db.lock().expect("db");
    let at = if m.flaws.digest_unchecked {
        // Missing check: the token is checked, not who may see the file.
        if db.caller(&headers).is_none() {
            return unauthorized();
        }
        match db.files.iter().position(|f| f.id == id) {
            Some(at) => at,
            None => return not_found(),
        }
    } else {
        match visible_file(&db, &headers, id) {
            Ok(at) => at,
            Err(refused) => return refused.into_response(),
        }
    };
    let person = &db.files[at].person;
    reply(
        StatusCode::OK,
        json!({ "file": id, "who": format!("{} {}", person["surname"].as_str().unwrap_or(""), person["nir"].as_str().unwrap_or("")) }),
    )
}

/// Undescribed in the profile: the caller's recent files.
async fn board(State(m): Shared, headers: HeaderMap) -> Response {
    let db = m.db.lock().expect("db");
    let caller = db.caller(&headers).and_then(|c| db.member(c));
    let files: Vec<Value> = match caller {
        Some(member) => db
            .files
            .iter()
            .filter(|f| db.visible(member, f))
            .map(|f| json!({ "id": f.id, "surname": f.person["surname"] }))
            .collect(),
        // Missing check: the board was meant for logged-in members only.
        None if m.flaws.board_public => db
            .files
            .iter()
            .map(|f| json!({ "id": f.id, "surname": f.person["surname"] }))
            .collect(),
        None => return unauthorized(),
    };
    reply(StatusCode::OK, json!({ "recent": files }))
}

/// Undescribed in the profile: archive a file (staff).
async fn archive(State(m): Shared, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    let mut db = m.db.lock().expect("db");
    if headers.contains_key(header::AUTHORIZATION) {
        db.archive_with_token += 1;
    }
    match visible_file(&db, &headers, id) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn attach(
    State(m): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    let blob = upload(&mut multipart, "blob", "blob").await.ok().flatten();
    let mut db = m.db.lock().expect("db");
    if let Err(refused) = visible_file(&db, &headers, id) {
        return refused.into_response();
    }
    let Some(Upload { bytes, mime, .. }) = blob else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "problem": "blob" }),
        );
    };
    let n = db.attachments.len() as u64 + 1;
    db.attachments.push((n, id, bytes, mime));
    reply(StatusCode::CREATED, json!({ "attachment_id": n }))
}

async fn raw(State(m): Shared, headers: HeaderMap, Path(n): Path<u64>) -> Response {
    let db = m.db.lock().expect("db");
    let Some((_, file, bytes, mime)) = db.attachments.iter().find(|a| a.0 == n) else {
        return not_found();
    };
    match visible_file(&db, &headers, *file) {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mime.clone())],
            bytes.clone(),
        )
            .into_response(),
        Err(refused) => refused.into_response(),
    }
}

/// The mock's OpenAPI document: every route, its security, its parameters.
fn document() -> Value {
    let id =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let admin = json!([{ "admin": [] }]);
    json!({
        "openapi": "3.0.3",
        "info": { "title": "Carnet", "version": "1" },
        "security": [{ "jwt": [] }],
        "components": { "securitySchemes": {
            "jwt": { "type": "apiKey", "in": "header", "name": "Authorization" },
            "admin": { "type": "apiKey", "in": "header", "name": "X-Admin-Key" }
        }},
        "paths": {
            "/up": { "get": { "security": [], "responses": { "200": { "description": "up" } } } },
            "/ops/orgs": { "post": { "security": admin, "requestBody": { "content": { "application/json": { "schema": {
                "type": "object", "properties": { "slug": { "type": "string" } } } } } }, "responses": {} } },
            "/ops/orgs/{org}/members": { "post": { "security": admin,
                "parameters": [{ "name": "org", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "content": { "application/json": { "schema": { "type": "object",
                    "properties": { "login": { "type": "string" }, "pw": { "type": "string" }, "role": { "type": "string" } } } } } },
                "responses": {} } },
            "/ops/mandates": { "post": { "security": admin, "responses": {} } },
            "/ops/mandates/{id}/revoke": { "post": { "security": admin, "parameters": id, "responses": {} } },
            "/sessions": { "post": { "security": [], "requestBody": { "content": { "application/json": { "schema": {
                "type": "object", "properties": { "login": { "type": "string" }, "pw": { "type": "string" } } } } } }, "responses": {} } },
            "/files": { "post": { "responses": {} } },
            "/files/{id}": { "get": { "parameters": id, "responses": {} } },
            "/files/{id}/digest": { "get": { "parameters": id, "responses": {} } },
            "/files/{id}/archive": { "delete": { "parameters": id, "responses": {} } },
            "/files/{id}/attachments": { "post": { "parameters": id, "responses": {} } },
            "/attachments/{id}/raw": { "get": { "parameters": id, "responses": {} } },
            "/board": { "get": { "responses": {} } }
        }
    })
}

fn router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/up", get(|| async { "up" }))
        .route("/openapi.json", get(|| async { axum::Json(document()) }))
        .route("/ops/orgs", post(create_org))
        .route("/ops/orgs/{org}/members", post(create_member))
        .route("/ops/mandates", post(create_mandate))
        .route("/ops/mandates/{id}/revoke", post(revoke_mandate))
        .route("/sessions", post(login))
        .route("/files", post(create_file))
        .route("/files/{id}", get(read_file))
        .route("/files/{id}/digest", get(digest))
        .route("/files/{id}/archive", delete(archive))
        .route("/files/{id}/attachments", post(attach))
        .route("/attachments/{id}/raw", get(raw))
        .route("/board", get(board))
        .with_state(mock)
}

/// cloison's description of Carnet: only what seeding needs, and where its document is.
const PROFILE: &str = r#"
format = 1
name = "Carnet (mock)"
secrets_file = "carnet.secrets.toml"
openapi = "/openapi.json"

[health]
path = "/up"

[roles]
applicant = "person"
representative = "proxy"
agent = "worker"
tenant_admin = "lead"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Admin-Key", value = "{{secrets.admin_key}}" }

[provisioning.tenant]
method = "POST"
path = "/ops/orgs"
json = { slug = "{{tenant.code}}" }

[provisioning.identity]
method = "POST"
path = "/ops/orgs/{{tenant.code}}/members"
json = { login = "{{identity.login}}", pw = "{{identity.password}}", role = "{{identity.role}}" }
extract = { id = "/member/id" }

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
token = { json = "/jwt" }
send = { header = "Authorization", value = "JWT {{token}}" }

[auth.login]
method = "POST"
path = "/sessions"
json = { login = "{{identity.login}}", pw = "{{identity.password}}" }

[refusals]
statuses = [404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/files"
extract = { id = "/file_id" }
json = { holder = "{{person.account_id}}", person = { surname = "{{person.surname}}", first_name = "{{person.first_name}}", nir = "{{person.nir}}" } }

[resources.case.read]
path = "/files/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/files/{{case.id}}/attachments"
extract = { id = "/attachment_id" }
multipart = [{ name = "blob", file = "document" }]

[resources.document.download]
path = "/attachments/{{document.id}}/raw"
"#;

async fn run_carnet(flaws: Flaws, profile: &str) -> (RunResult, usize) {
    let mock = Arc::new(Mock {
        db: Mutex::new(Db::default()),
        flaws,
    });
    let (addr, server) = serve(router(mock.clone())).await;
    let files = ProfileFiles::write("carnet", profile, &format!("admin_key = \"{ADMIN_KEY}\"\n"));
    let result = execute(&url_args(addr, &files, 3, 2, 10))
        .await
        .expect("the run completes");
    server.abort();
    let archived = mock.db.lock().expect("db").archive_with_token;
    (result, archived)
}

fn assert_clean(result: &RunResult) {
    let report = &result.report;
    assert_eq!(result.exit, EXIT_OK, "{}", report.summary());
    assert_eq!(report.outcome, Outcome::Clean);
    assert!(
        report.failures.is_empty() && report.warnings.is_empty(),
        "{}",
        report.summary()
    );
}

fn assert_found(result: &RunResult, family: &str, endpoint: &str) {
    let report = &result.report;
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report.root_causes.iter().any(|c| c.family.name() == family
            && c.endpoint == endpoint
            && c.evidence == Evidence::ProvenLeak),
        "no proven {family} leak on {endpoint}: {}",
        report.summary()
    );
    assert!(
        report.root_causes.iter().all(|c| c.endpoint == endpoint),
        "only the planted flaw: {}",
        report.summary()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undescribed_read_by_identifier_is_probed_with_other_identities_identifiers() {
    let flawed = Flaws {
        digest_unchecked: true,
        ..Flaws::default()
    };
    let (found, _) = run_carnet(flawed, PROFILE).await;
    assert_found(&found, "direct-read", "openapi GET /files/{id}/digest");
    let (twin, _) = run_carnet(Flaws::default(), PROFILE).await;
    assert_clean(&twin);
    // Without the document, the flaw is where the profile author did not look: the run is clean.
    let (blind, _) = run_carnet(
        flawed,
        &PROFILE.replace("openapi = \"/openapi.json\"\n", ""),
    )
    .await;
    assert_clean(&blind);
    assert!(blind.report.coverage.operations.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undescribed_collection_served_without_credentials_is_found_by_the_anonymous_family() {
    let flawed = Flaws {
        board_public: true,
        ..Flaws::default()
    };
    let (found, _) = run_carnet(flawed, PROFILE).await;
    assert_found(&found, "anonymous", "openapi GET /board (no credentials)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_listed_with_what_tried_it_and_undescribed_writes_go_without_credentials()
 {
    let (result, archived_with_token) = run_carnet(Flaws::default(), PROFILE).await;
    assert_clean(&result);
    assert_eq!(
        archived_with_token, 0,
        "no authenticated call of an undescribed write"
    );
    let operations = result
        .report
        .coverage
        .operations
        .as_ref()
        .expect("operations");
    let tried: HashMap<String, Vec<String>> = operations
        .iter()
        .map(|o| (format!("{} {}", o.method, o.path), o.tried.clone()))
        .collect();
    assert_eq!(tried.len(), 13);
    // Every operation is called without credentials, but the profile's setup and session calls.
    let withheld: Vec<String> = operations
        .iter()
        .filter(|o| o.withheld.is_some())
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    assert_eq!(
        withheld,
        [
            "POST /ops/mandates",
            "POST /ops/mandates/{id}/revoke",
            "POST /ops/orgs",
            "POST /ops/orgs/{org}/members",
            "POST /sessions"
        ]
    );
    assert!(
        tried
            .iter()
            .filter(|(op, _)| !withheld.contains(op))
            .all(|(_, t)| t.contains(&"anonymous".to_string())),
        "{tried:?}"
    );
    assert!(
        withheld
            .iter()
            .all(|op| !tried[op].contains(&"anonymous".to_string())),
        "{tried:?}"
    );
    assert_eq!(tried["DELETE /files/{id}/archive"], ["anonymous"]);
    assert_eq!(tried["GET /board"], ["anonymous", "collection"]);
    assert_eq!(
        tried["GET /files/{id}/digest"],
        ["anonymous", "direct-read"]
    );
    assert!(tried["GET /files/{id}"].contains(&"control".to_string()));
    let described: Vec<&str> = operations
        .iter()
        .filter_map(|o| o.described_by.as_deref())
        .collect();
    assert!(described.contains(&"resources.case.read") && described.contains(&"auth.login"));
    assert!(
        result
            .report
            .summary()
            .contains("operations of the OpenAPI document probed: 11 of 11 (100 %)")
    );
}
