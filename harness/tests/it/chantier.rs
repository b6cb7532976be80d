//! "Chantier": a platform of projects, each with its own identifier and key. A project is created
//! anonymously and answers both; the key is the only credential, shared by every member of the project;
//! every request names the caller's own project in its URL (`/projects/{project}/items/{item}`) and carries
//! that project's key (`X-Project-Key`). cloison knows it only through the profile below, written from
//! docs/profile-format.md: `source = "none"`, the key sent as `{{caller.tenant.credential}}` and every path
//! naming `{{caller.tenant.id}}`, the caller's project, whatever record it is about.
//!
//! Planted flaw: an update looks its item up by identifier alone and files it under the project of the
//! URL, so a project's `PUT /projects/{mine}/items/{theirs}` with its own key moves another project's item
//! into its own (and rewrites it). The fixed twin, as a real buggy-but-safe platform might, crashes on that
//! request (500) and changes nothing. Flaw found (exit 1, proven), twin clean (exit 0).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;
use serde_json::{Value, json};

use crate::support::answer::{Upload, file_answer, not_found, reply, upload};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, curl, url_args};
use crate::support::serve;

#[derive(Debug)]
struct Project {
    id: String,
    key: String,
}

#[derive(Debug)]
struct Item {
    id: u64,
    /// The project it is filed under.
    project: String,
    title: Value,
    holder: Value,
    note: Value,
}

#[derive(Debug)]
struct File {
    id: u64,
    item: u64,
    name: String,
    mime: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Db {
    projects: Vec<Project>,
    items: Vec<Item>,
    files: Vec<File>,
    /// Updates of an item of another project than the URL's (each a cross-project write).
    cross_project_updates: usize,
    /// Items moved into another project by such an update.
    moved: usize,
    /// Requests whose URL named no project or another project than the key's.
    wrong_project: usize,
}

#[derive(Debug, Default)]
struct Chantier {
    db: Mutex<Db>,
    /// Flaw: an update files the item under the URL's project, whichever project it was in.
    update_moves: bool,
}

type Shared = State<Arc<Chantier>>;

/// Why a request names no project it may act in.
enum Refused {
    /// No key, or a key of no project.
    Unauthenticated,
    /// A key of another project than the URL's.
    Forbidden,
}

impl Refused {
    fn answer(self) -> Response {
        match self {
            Refused::Unauthenticated => {
                reply(StatusCode::UNAUTHORIZED, json!({ "error": "project key" }))
            }
            Refused::Forbidden => reply(StatusCode::FORBIDDEN, json!({ "error": "not yours" })),
        }
    }
}

/// The project of the URL, when the request carries its key.
fn project_of(db: &mut Db, headers: &HeaderMap, project: &str) -> Result<String, Refused> {
    let key = headers
        .get("x-project-key")
        .and_then(|v| v.to_str().ok())
        .ok_or(Refused::Unauthenticated)?;
    let own = db
        .projects
        .iter()
        .find(|p| p.key == key)
        .ok_or(Refused::Unauthenticated)?;
    if own.id != project {
        db.wrong_project += 1;
        return Err(Refused::Forbidden);
    }
    Ok(own.id.clone())
}

fn item_json(item: &Item) -> Value {
    json!({ "id": item.id, "title": item.title, "holder": item.holder, "note": item.note })
}

async fn create_project(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    if body["name"].as_str().is_none_or(str::is_empty) {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "name" }));
    }
    let n = db.projects.len() as u64 + 1;
    let project = Project {
        id: format!("prj-{n}"),
        key: format!("pk-{n}-{:x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    };
    let answer = json!({ "project": { "id": project.id, "key": project.key } });
    db.projects.push(project);
    reply(StatusCode::CREATED, answer)
}

async fn create_item(
    State(m): Shared,
    headers: HeaderMap,
    Path(project): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let project = match project_of(&mut db, &headers, &project) {
        Ok(project) => project,
        Err(refused) => return refused.answer(),
    };
    let id = db.items.len() as u64 + 1;
    db.items.push(Item {
        id,
        project,
        title: body["title"].clone(),
        holder: body["holder"].clone(),
        note: Value::Null,
    });
    reply(StatusCode::CREATED, json!({ "item": { "id": id } }))
}

async fn list_items(State(m): Shared, headers: HeaderMap, Path(project): Path<String>) -> Response {
    let mut db = m.db.lock().expect("db");
    let project = match project_of(&mut db, &headers, &project) {
        Ok(project) => project,
        Err(refused) => return refused.answer(),
    };
    let items: Vec<Value> = db
        .items
        .iter()
        .filter(|i| i.project == project)
        .map(item_json)
        .collect();
    reply(StatusCode::OK, json!({ "items": items }))
}

async fn read_item(
    State(m): Shared,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let project = match project_of(&mut db, &headers, &project) {
        Ok(project) => project,
        Err(refused) => return refused.answer(),
    };
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.items.iter().find(|i| i.id == id && i.project == project))
    {
        Some(item) => reply(StatusCode::OK, item_json(item)),
        None => not_found(),
    }
}

/// An update, looked up by identifier alone: the flaw files the item under the URL's project; the twin
/// fails on an item of another project (its lookup of the item among the project's own finds nothing, and
/// it does not say so: a 500) and changes nothing.
async fn update_item(
    State(m): Shared,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let project = match project_of(&mut db, &headers, &project) {
        Ok(project) => project,
        Err(refused) => return refused.answer(),
    };
    let update_moves = m.update_moves;
    let Some(index) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.items.iter().position(|i| i.id == id))
    else {
        return not_found();
    };
    if db.items[index].project != project {
        db.cross_project_updates += 1;
        if !update_moves {
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "internal error" }),
            );
        }
        db.moved += 1;
    }
    let item = &mut db.items[index];
    item.project = project;
    if let Some(note) = body.get("note") {
        item.note = note.clone();
    }
    reply(StatusCode::OK, item_json(item))
}

async fn attach(
    State(m): Shared,
    headers: HeaderMap,
    Path((project, id)): Path<(String, u64)>,
    mut multipart: Multipart,
) -> Response {
    let Ok(file) = upload(&mut multipart, "file", "file").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "file" }));
    };
    let mut db = m.db.lock().expect("db");
    let project = match project_of(&mut db, &headers, &project) {
        Ok(project) => project,
        Err(refused) => return refused.answer(),
    };
    let Some(Upload { name, mime, bytes }) = file else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "no file" }));
    };
    if !db.items.iter().any(|i| i.id == id && i.project == project) {
        return not_found();
    }
    let file = db.files.len() as u64 + 1;
    db.files.push(File {
        id: file,
        item: id,
        name,
        mime,
        bytes,
    });
    reply(StatusCode::CREATED, json!({ "file": { "id": file } }))
}

async fn download(
    State(m): Shared,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let project = match project_of(&mut db, &headers, &project) {
        Ok(project) => project,
        Err(refused) => return refused.answer(),
    };
    let Some(file) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.files.iter().find(|f| f.id == id))
    else {
        return not_found();
    };
    if !db
        .items
        .iter()
        .any(|i| i.id == file.item && i.project == project)
    {
        return not_found();
    }
    file_answer(file.mime.clone(), &file.name, file.bytes.clone())
}

fn router(chantier: Arc<Chantier>) -> Router {
    Router::new()
        .route("/ping", get(|| async { "pong" }))
        .route("/projects", post(create_project))
        .route(
            "/projects/{project}/items",
            post(create_item).get(list_items),
        )
        .route(
            "/projects/{project}/items/{id}",
            get(read_item).put(update_item),
        )
        .route("/projects/{project}/items/{id}/files", post(attach))
        .route("/projects/{project}/files/{id}", get(download))
        .with_state(chantier)
}

/// The profile, as a user writes it from docs/profile-format.md's worked example of a platform whose URLs
/// and keys are per project.
const PROFILE: &str = r#"
format = 2
name = "Chantier (a key per project, URLs that name the caller's project)"

[health]
path = "/ping"

# The key is the project's: every member sees and changes every item of the project.
[policy]
applicant = ["tenant"]
representative = ["tenant"]
agent = ["tenant"]
tenant_admin = ["tenant"]
anonymous = ["nothing"]

[accounts]
source = "none"
holders = true

[tenants]
mode = "register"

[tenants.create]
method = "POST"
path = "/projects"
json = { name = "{{tenant.name}}" }
extract = { id = "/project/id", credential = "/project/key" }

[auth]
scheme = "header"
send = { header = "X-Project-Key", value = "{{caller.tenant.credential}}" }

[refusals]
statuses = [401, 403, 404]

[resources.item]
entity = "case"

[resources.item.create]
as = "owner"
method = "POST"
path = "/projects/{{caller.tenant.id}}/items"
json = { title = "{{item.case_number}}", holder = "{{person.first_name}} {{person.surname}}, NIR {{person.nir}}" }
extract = { id = "/item/id" }

[resources.item.read]
path = "/projects/{{caller.tenant.id}}/items/{{item.id}}"

[resources.item.list]
path = "/projects/{{caller.tenant.id}}/items"

[resources.item.update]
method = "PUT"
path = "/projects/{{caller.tenant.id}}/items/{{item.id}}"
json = { note = "{{probe.marker}}" }
marker = "/note"

[resources.file]
entity = "document"

[resources.file.create]
as = "owner"
method = "POST"
path = "/projects/{{caller.tenant.id}}/items/{{item.id}}/files"
extract = { id = "/file/id" }
multipart = [{ name = "file", file = "document" }]

[resources.file.download]
path = "/projects/{{caller.tenant.id}}/files/{{file.id}}"
"#;

/// Serve Chantier and run cloison against it at default flags.
async fn run_chantier(update_moves: bool) -> MockRun<Chantier> {
    let chantier = Arc::new(Chantier {
        update_moves,
        ..Chantier::default()
    });
    let (addr, server) = serve(router(chantier.clone())).await;
    let files = ProfileFiles::write("chantier", PROFILE, "");
    let result = execute(&url_args(addr, &files, 1, 2, 12))
        .await
        .expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: chantier,
    }
}

/// Every request names the caller's own project and carries its key: no probe is sent to another
/// project's URL (the record's tenant), and no anonymous probe is left unfilled.
fn assert_probes_name_their_callers_project(run: &MockRun<Chantier>, what: &str) {
    let report = run.report();
    assert!(report.failures.is_empty(), "{what}: {:?}", report.failures);
    let db = run.mock.db.lock().expect("db");
    assert_eq!(
        db.wrong_project, 0,
        "{what}: every request named the project of its key"
    );
    assert!(
        db.cross_project_updates > 0,
        "{what}: updates of another project's items were tried"
    );
    let anonymous = report
        .coverage
        .cells
        .iter()
        .filter(|c| c.family.name() == "anonymous" && c.endpoint == "resources.item.read")
        .collect::<Vec<_>>();
    assert!(
        anonymous
            .iter()
            .any(|c| c.via.as_deref() == Some("a user's own URL")),
        "{what}: an anonymous read borrows a user's URL: {anonymous:?}"
    );
}

/// A cross-project update that moves the victim's item into the caller's project is proven tampering (the
/// owner's read-back no longer finds it); the fixed twin answers 500 to the same request and changes
/// nothing, which is a refusal with an error (a warning), not a finding nor a target failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chantier_per_project_keys_flaw_found_and_twin_clean() {
    let flawed = run_chantier(true).await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-write"
                && c.endpoint == "resources.item.update"
                && c.evidence == Evidence::ProvenTampering),
        "{}",
        report.summary()
    );
    assert!(flawed.mock.db.lock().expect("db").moved > 0);
    for cause in &report.root_causes {
        assert!(
            !curl(cause).contains("pk-"),
            "no project key in a reproducer: {}",
            curl(cause)
        );
    }
    assert_probes_name_their_callers_project(&flawed, "flawed");

    let twin = run_chantier(false).await;
    assert_clean(&twin.result, "fixed twin");
    assert_probes_name_their_callers_project(&twin, "twin");
    let report = twin.report();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("server error(s) on resources.item.update")),
        "the twin's 500s are reported: {:?}",
        report.warnings
    );
    assert_eq!(twin.mock.db.lock().expect("db").moved, 0);
}
