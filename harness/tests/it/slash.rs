//! A safe OpenAPI reach on a trailing-slash platform: "Atelier", an in-memory axum mock shaped like a
//! Django REST Framework application. Every route ends in `/`, and a request without it answers `301` to
//! the slashed path (counted); tokens go in `Authorization: Token ...`; tenants are workspaces named in
//! the URL (`/api/workspaces/{workspace}/cases/{id}/`); refusals are 403 and 404. Its OpenAPI document
//! lists two unauthenticated `GET`s that wipe the database: `/api/reset/` (the profile's `[[reset]]`) and
//! `/api/demo/` ("load the demo data", named by the profile's `[probing] exclude` only). Both are counted.
//!
//! The profile describes what seeding needs (workspaces, members, mandates, case files and their read).
//! Left out: a case file's summary, whose planted flaw checks the caller's membership of the workspace in
//! the URL and then serves any case file by its identifier to the workspace's staff. Only a caller that
//! names its own workspace and another's case file reaches it: with `--openapi`, cloison finds it (exit 1),
//! its fixed twin is clean (exit 0); the reset route is called once, by the reset step; the demo route
//! never; no request goes to a path without its slash.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::report::{Evidence, Outcome};
use cloison_harness::run::{RunResult, execute};
use serde_json::{Value, json};

use crate::support::answer::{Upload, credential, header_is, reply, text, upload};
use crate::support::directory::{Account, Directory};
use crate::support::files::ProfileFiles;
use crate::support::library::url_args;
use crate::support::serve;

const ADMIN_KEY: &str = "atelier-admin-key";

/// A member: its number, its workspace as tenant.
type Member = Account<u64>;

#[derive(Debug)]
struct Case {
    id: u64,
    workspace: String,
    holder: u64,
    person: Value,
}

#[derive(Debug, Default)]
struct Db {
    directory: Directory<u64>,
    cases: Vec<Case>,
    /// (id, case file, bytes, content type)
    documents: Vec<(u64, u64, Vec<u8>, String)>,
    tokens: HashMap<String, u64>,
}

impl Db {
    fn caller(&self, headers: &HeaderMap) -> Option<&Member> {
        let id = self.tokens.get(credential(headers, "Token ")?)?;
        self.directory.account(id)
    }

    fn staff(member: &Member) -> bool {
        matches!(member.role.as_str(), "staff" | "owner")
    }

    fn visible(&self, caller: &Member, case: &Case) -> bool {
        if Self::staff(caller) {
            return caller.tenant == case.workspace;
        }
        self.directory.acts_for(caller, &case.holder)
    }
}

/// What the mock counts.
#[derive(Debug, Default)]
struct Counts {
    /// Calls of `GET /api/reset/`.
    resets: AtomicUsize,
    /// Calls of `GET /api/demo/`.
    demos: AtomicUsize,
    /// Requests to a path without its trailing slash.
    slashless: AtomicUsize,
}

struct Mock {
    db: Mutex<Db>,
    /// The summary serves any case file to the staff of the workspace in the URL.
    flawed: bool,
    counts: Counts,
}

type Shared = State<Arc<Mock>>;

fn refused(status: StatusCode) -> Response {
    reply(
        status,
        json!({ "detail": "You do not have permission to perform this action." }),
    )
}

fn not_found() -> Response {
    reply(StatusCode::NOT_FOUND, json!({ "detail": "Not found." }))
}

fn unauthenticated() -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": "Authentication credentials were not provided." }),
    )
}

fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// `GET /api/reset/`: a development route that wipes the database, unauthenticated.
async fn reset(State(m): Shared) -> Response {
    m.counts.resets.fetch_add(1, Ordering::SeqCst);
    *m.db.lock().expect("db") = Db::default();
    reply(StatusCode::OK, json!({ "reset": true }))
}

/// `GET /api/demo/`: "load the demo data", which wipes the database first.
async fn demo(State(m): Shared) -> Response {
    m.counts.demos.fetch_add(1, Ordering::SeqCst);
    *m.db.lock().expect("db") = Db::default();
    reply(StatusCode::OK, json!({ "loaded": 0 }))
}

/// Django's `APPEND_SLASH`: a path without its slash is redirected to the slashed one.
async fn fallback(State(m): Shared, uri: Uri) -> Response {
    let path = uri.path();
    if path.ends_with('/') {
        return not_found();
    }
    m.counts.slashless.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, format!("{path}/"))],
    )
        .into_response()
}

async fn create_workspace(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Api-Key", ADMIN_KEY) {
        return unauthenticated();
    }
    let slug = text(&body, "slug");
    m.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(slug.clone());
    reply(StatusCode::CREATED, json!({ "slug": slug }))
}

async fn create_member(
    State(m): Shared,
    headers: HeaderMap,
    Path(workspace): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Api-Key", ADMIN_KEY) {
        return unauthenticated();
    }
    let mut db = m.db.lock().expect("db");
    let id = db.directory.accounts.len() as u64 + 1;
    db.directory
        .enrol(id, workspace, &body, ["username", "password", "role"]);
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn create_mandate(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Api-Key", ADMIN_KEY) {
        return unauthenticated();
    }
    let (Some(agent), Some(principal)) = (number(&body["agent"]), number(&body["principal"]))
    else {
        return reply(StatusCode::BAD_REQUEST, json!({ "agent": ["required"] }));
    };
    let n =
        m.db.lock()
            .expect("db")
            .directory
            .represent(agent, principal);
    reply(StatusCode::CREATED, json!({ "id": n }))
}

async fn end_mandate(State(m): Shared, headers: HeaderMap, Path(n): Path<usize>) -> Response {
    if !header_is(&headers, "X-Api-Key", ADMIN_KEY) {
        return unauthenticated();
    }
    if m.db.lock().expect("db").directory.end(n) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn token(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(id) = db
        .directory
        .signed_in(&text(&body, "username"), &text(&body, "password"))
        .map(|a| a.id)
    else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "non_field_errors": ["Unable to log in with provided credentials."] }),
        );
    };
    let token = format!("tok{}x{id}", db.tokens.len());
    db.tokens.insert(token.clone(), id);
    reply(StatusCode::OK, json!({ "token": token }))
}

async fn create_case(
    State(m): Shared,
    headers: HeaderMap,
    Path(workspace): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    if caller.tenant != workspace {
        return not_found();
    }
    let Some(holder) = number(&body["holder"]) else {
        return reply(StatusCode::BAD_REQUEST, json!({ "holder": ["required"] }));
    };
    let id = db.cases.len() as u64 + 1;
    db.cases.push(Case {
        id,
        workspace,
        holder,
        person: body["person"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "id": id }))
}

fn case_json(case: &Case) -> Value {
    json!({ "id": case.id, "workspace": case.workspace, "person": case.person })
}

/// The described read: the case file of the workspace in the URL, if the caller may see it.
async fn read_case(
    State(m): Shared,
    headers: HeaderMap,
    Path((workspace, id)): Path<(String, u64)>,
) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    match db
        .cases
        .iter()
        .find(|c| c.id == id && c.workspace == workspace)
    {
        Some(case) if db.visible(caller, case) => reply(StatusCode::OK, case_json(case)),
        _ => not_found(),
    }
}

/// Undescribed in the profile: the workspace's case files the caller may see.
async fn list_cases(
    State(m): Shared,
    headers: HeaderMap,
    Path(workspace): Path<String>,
) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    if caller.tenant != workspace {
        return refused(StatusCode::FORBIDDEN);
    }
    let cases: Vec<Value> = db
        .cases
        .iter()
        .filter(|c| c.workspace == workspace && db.visible(caller, c))
        .map(case_json)
        .collect();
    reply(
        StatusCode::OK,
        json!({ "count": cases.len(), "results": cases }),
    )
}

/// Undescribed in the profile: a case file's summary (its person's surname and NIR).
async fn summary(
    State(m): Shared,
    headers: HeaderMap,
    Path((workspace, id)): Path<(String, u64)>,
) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    if caller.tenant != workspace {
        return refused(StatusCode::FORBIDDEN);
    }
    let found = if m.flawed {
        // Missing check: the case file is looked up by its identifier alone, and the staff of the
        // workspace in the URL may see every case file "of" it.
        db.cases
            .iter()
            .find(|c| c.id == id)
            .filter(|c| Db::staff(caller) || db.visible(caller, c))
    } else {
        db.cases
            .iter()
            .find(|c| c.id == id && c.workspace == workspace)
            .filter(|c| db.visible(caller, c))
    };
    match found {
        Some(case) => reply(
            StatusCode::OK,
            json!({ "id": case.id, "who": format!("{} {}", case.person["surname"].as_str().unwrap_or(""), case.person["nir"].as_str().unwrap_or("")) }),
        ),
        None => not_found(),
    }
}

/// Undescribed in the profile: archive a case file (its staff).
async fn archive(
    State(m): Shared,
    headers: HeaderMap,
    Path((workspace, id)): Path<(String, u64)>,
) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    match db
        .cases
        .iter()
        .find(|c| c.id == id && c.workspace == workspace)
    {
        Some(case) if Db::staff(caller) && db.visible(caller, case) => {
            StatusCode::NO_CONTENT.into_response()
        }
        _ => not_found(),
    }
}

/// A document of a case file of the workspace, uploaded by someone who may see the case file.
async fn attach(
    State(m): Shared,
    headers: HeaderMap,
    Path((workspace, id)): Path<(String, u64)>,
    mut multipart: Multipart,
) -> Response {
    let file = upload(&mut multipart, "file", "file").await.ok().flatten();
    let mut db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let visible = db
        .cases
        .iter()
        .any(|c| c.id == id && c.workspace == workspace && db.visible(caller, c));
    if !visible {
        return not_found();
    }
    let Some(Upload { bytes, mime, .. }) = file else {
        return reply(StatusCode::BAD_REQUEST, json!({ "file": ["required"] }));
    };
    let n = db.documents.len() as u64 + 1;
    db.documents.push((n, id, bytes, mime));
    reply(StatusCode::CREATED, json!({ "id": n }))
}

async fn download(State(m): Shared, headers: HeaderMap, Path(n): Path<u64>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let Some((_, case, bytes, mime)) = db.documents.iter().find(|d| d.0 == n) else {
        return not_found();
    };
    match db.cases.iter().find(|c| c.id == *case) {
        Some(c) if db.visible(caller, c) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mime.clone())],
            bytes.clone(),
        )
            .into_response(),
        _ => not_found(),
    }
}

/// The mock's OpenAPI document (as drf-spectacular writes it: every path with its trailing slash).
fn document() -> Value {
    let ws = json!({ "name": "workspace", "in": "path", "required": true, "schema": { "type": "string" } });
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let admin = json!([{ "ApiKey": [] }]);
    let open = json!([]);
    let body = |props: Value| json!({ "content": { "application/json": { "schema": { "type": "object", "properties": props } } } });
    json!({
        "openapi": "3.0.3",
        "info": { "title": "Atelier", "version": "1.0.0" },
        "security": [{ "tokenAuth": [] }],
        "components": { "securitySchemes": {
            "tokenAuth": { "type": "apiKey", "in": "header", "name": "Authorization" },
            "ApiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" }
        }},
        "paths": {
            "/health/": { "get": { "operationId": "health_retrieve", "security": open, "responses": { "200": { "description": "" } } } },
            "/api/reset/": { "get": { "operationId": "reset_retrieve", "security": open, "responses": { "200": { "description": "" } } } },
            "/api/demo/": { "get": { "operationId": "demo_retrieve", "summary": "Load the demo data", "security": open, "responses": { "200": { "description": "" } } } },
            "/api/auth/token/": { "post": { "operationId": "auth_token_create", "security": open,
                "requestBody": body(json!({ "username": { "type": "string" }, "password": { "type": "string" } })), "responses": {} } },
            "/api/admin/workspaces/": { "post": { "security": admin, "requestBody": body(json!({ "slug": { "type": "string" } })), "responses": {} } },
            "/api/admin/workspaces/{workspace}/members/": { "post": { "security": admin, "parameters": [ws],
                "requestBody": body(json!({ "username": { "type": "string" }, "password": { "type": "string" }, "role": { "type": "string" } })), "responses": {} } },
            "/api/admin/mandates/": { "post": { "security": admin, "requestBody": body(json!({ "agent": { "type": "integer" }, "principal": { "type": "integer" } })), "responses": {} } },
            "/api/admin/mandates/{id}/end/": { "post": { "security": admin, "parameters": [id], "responses": {} } },
            "/api/workspaces/{workspace}/cases/": {
                "get": { "operationId": "workspaces_cases_list", "parameters": [ws], "responses": {} },
                "post": { "operationId": "workspaces_cases_create", "parameters": [ws], "responses": {} }
            },
            "/api/workspaces/{workspace}/cases/{id}/": { "get": { "operationId": "workspaces_cases_retrieve", "parameters": [ws, id], "responses": {} } },
            "/api/workspaces/{workspace}/cases/{id}/summary/": { "get": { "operationId": "workspaces_cases_summary_retrieve", "parameters": [ws, id], "responses": {} } },
            "/api/workspaces/{workspace}/cases/{id}/archive/": { "post": { "operationId": "workspaces_cases_archive_create", "parameters": [ws, id], "responses": {} } },
            "/api/workspaces/{workspace}/cases/{id}/documents/": { "post": { "operationId": "workspaces_cases_documents_create", "parameters": [ws, id], "responses": {} } },
            "/api/documents/{id}/download/": { "get": { "operationId": "documents_download_retrieve", "parameters": [id], "responses": {} } }
        }
    })
}

fn router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/health/", get(|| async { "ok" }))
        .route("/api/schema/", get(|| async { axum::Json(document()) }))
        .route("/api/reset/", get(reset))
        .route("/api/demo/", get(demo))
        .route("/api/auth/token/", post(token))
        .route("/api/admin/workspaces/", post(create_workspace))
        .route(
            "/api/admin/workspaces/{workspace}/members/",
            post(create_member),
        )
        .route("/api/admin/mandates/", post(create_mandate))
        .route("/api/admin/mandates/{id}/end/", post(end_mandate))
        .route(
            "/api/workspaces/{workspace}/cases/",
            get(list_cases).post(create_case),
        )
        .route("/api/workspaces/{workspace}/cases/{id}/", get(read_case))
        .route(
            "/api/workspaces/{workspace}/cases/{id}/summary/",
            get(summary),
        )
        .route(
            "/api/workspaces/{workspace}/cases/{id}/archive/",
            post(archive),
        )
        .route(
            "/api/workspaces/{workspace}/cases/{id}/documents/",
            post(attach),
        )
        .route("/api/documents/{id}/download/", get(download))
        .fallback(fallback)
        .with_state(mock)
}

/// cloison's description of Atelier: what seeding needs, the reset, and the demo route excluded.
const PROFILE: &str = r#"
format = 1
name = "Atelier (mock)"
secrets_file = "atelier.secrets.toml"

[health]
path = "/health/"

[[reset]]
path = "/api/reset/"

[roles]
applicant = "client"
representative = "proxy"
agent = "staff"
tenant_admin = "owner"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Api-Key", value = "{{secrets.admin_key}}" }

[provisioning.tenant]
method = "POST"
path = "/api/admin/workspaces/"
json = { slug = "{{tenant.code}}" }

[provisioning.identity]
method = "POST"
path = "/api/admin/workspaces/{{tenant.code}}/members/"
json = { username = "{{identity.login}}", password = "{{identity.password}}", role = "{{identity.role}}" }
extract = { id = "/id" }

[provisioning.representation]
method = "POST"
path = "/api/admin/mandates/"
json = { agent = "{{representative.id}}", principal = "{{represented.id}}" }
extract = { id = "/id" }

[provisioning.end_representation]
method = "POST"
path = "/api/admin/mandates/{{representation.id}}/end/"

[auth]
scheme = "token"
token = { json = "/token" }
send = { header = "Authorization", value = "Token {{token}}" }

[auth.login]
method = "POST"
path = "/api/auth/token/"
json = { username = "{{identity.login}}", password = "{{identity.password}}" }

[refusals]
statuses = [403, 404]

[probing]
exclude = ["GET /api/demo/"]

[resources.case.create]
as = "owner"
method = "POST"
path = "/api/workspaces/{{tenant.code}}/cases/"
extract = { id = "/id" }
json = { holder = "{{person.account_id}}", person = { surname = "{{person.surname}}", first_name = "{{person.first_name}}", nir = "{{person.nir}}" } }

[resources.case.read]
path = "/api/workspaces/{{tenant.code}}/cases/{{case.id}}/"

[resources.document.create]
as = "owner"
method = "POST"
path = "/api/workspaces/{{tenant.code}}/cases/{{case.id}}/documents/"
extract = { id = "/id" }
multipart = [{ name = "file", file = "document" }]

[resources.document.download]
path = "/api/documents/{{document.id}}/download/"
"#;

/// A run at default flags with `--openapi` pointing at the mock's schema; the mock's counts after it.
async fn run_atelier(flawed: bool, profile: &str) -> (RunResult, Arc<Mock>) {
    let mock = Arc::new(Mock {
        db: Mutex::new(Db::default()),
        flawed,
        counts: Counts::default(),
    });
    let (addr, server) = serve(router(mock.clone())).await;
    let files = ProfileFiles::write(
        "atelier",
        profile,
        &format!("admin_key = \"{ADMIN_KEY}\"\n"),
    );
    let mut args = url_args(addr, &files, 3, 2, 10);
    args.openapi = Some(format!("http://{addr}/api/schema/"));
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    (result, mock)
}

/// The reset route was called once (the reset step), the demo route never, no path lost its slash.
fn assert_safe(mock: &Mock, what: &str) {
    assert_eq!(
        mock.counts.resets.load(Ordering::SeqCst),
        1,
        "{what}: the reset route is called by the reset step only"
    );
    assert_eq!(
        mock.counts.demos.load(Ordering::SeqCst),
        0,
        "{what}: an excluded operation is never called"
    );
    assert_eq!(
        mock.counts.slashless.load(Ordering::SeqCst),
        0,
        "{what}: every request kept its trailing slash"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trailing_slash_platform_with_a_get_reset_is_probed_safely_and_its_undescribed_flaw_found()
 {
    let (found, mock) = run_atelier(true, PROFILE).await;
    let report = &found.report;
    assert_safe(&mock, "flawed");
    assert_eq!(found.exit, EXIT_FINDINGS, "{}", report.summary());
    let endpoint = "openapi GET /api/workspaces/{workspace}/cases/{id}/summary/";
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-read"
                && c.endpoint == endpoint
                && c.evidence == Evidence::ProvenLeak),
        "a proven direct read through the caller's own workspace: {}",
        report.summary()
    );
    assert!(
        report.root_causes.iter().all(|c| c.endpoint == endpoint),
        "only the planted flaw: {}",
        report.summary()
    );

    let (twin, mock) = run_atelier(false, PROFILE).await;
    assert_safe(&mock, "fixed twin");
    let report = &twin.report;
    assert_eq!(twin.exit, EXIT_OK, "{}", report.summary());
    assert_eq!(report.outcome, Outcome::Clean);
    assert!(report.failures.is_empty(), "{}", report.summary());
    assert_eq!(
        report.coverage.controls_passed, report.coverage.controls_run,
        "no control failed: the data survived the run"
    );
    // The report says which operations were never called, and why.
    let operations = report.coverage.operations.as_ref().expect("operations");
    let withheld: HashMap<String, Option<String>> = operations
        .iter()
        .map(|o| (format!("{} {}", o.method, o.path), o.withheld.clone()))
        .collect();
    assert!(
        withheld["GET /api/reset/"]
            .as_deref()
            .is_some_and(|w| w.contains("[[reset]]"))
    );
    assert!(
        withheld["GET /api/demo/"]
            .as_deref()
            .is_some_and(|w| w.contains("exclude"))
    );
    assert!(withheld["POST /api/auth/token/"].is_some());
    assert_eq!(
        withheld["GET /api/workspaces/{workspace}/cases/{id}/summary/"],
        None
    );
}
