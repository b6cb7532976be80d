//! A platform of two-step uploads: "Depot", an in-memory axum mock with HTTP Basic on every request,
//! records as JSON, and files uploaded as a raw body (`PUT /blobs`, the file name in a `Content-Disposition`
//! header), then attached to a record in a second step (`POST /records/{id}/attachments {blob}`). A
//! download answers `302` to a second server (object storage, another host and port) with a signed URL.
//! The blob's identifier, from the first step, names the file later too (`GET /blobs/{blob}`: its
//! metadata). cloison knows Depot only through the profile below: a two-step create, a raw body, a value of
//! the first step used by the second and by a later read, and the storage host in `[probing]
//! follow_hosts`.
//!
//! The planted flaw: the download signs a URL for anyone who asks, without checking that the caller may see
//! the record the attachment belongs to. Its fixed twin checks. The flaw is found (exit 1) on the download
//! endpoint, the twin is clean (exit 0), both through the `cloison` binary with `run --target url:...`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use serde_json::{Value, json};

use crate::support::answer::{
    base64_decode, credential, file_answer, header_is, not_found, reply, text,
};
use crate::support::directory::{Account, Directory, numbered};
use crate::support::serve::StorageHost;
use crate::support::{BinaryRun, RunSpec, run_binary, serve};

const ADMIN_KEY: &str = "depot-admin-key";

/// A member: its id (`m1`), its email as login, its space as tenant.
type Member = Account<String>;

#[derive(Debug)]
struct Record {
    id: String,
    space: String,
    holder: String,
    body: Value,
}

#[derive(Debug)]
struct Blob {
    id: String,
    uploader: String,
    name: String,
    mime: String,
    bytes: Vec<u8>,
    /// The attachment it became, if any.
    attachment: Option<String>,
}

#[derive(Debug)]
struct Attachment {
    id: String,
    record: String,
    blob: String,
}

#[derive(Debug, Default)]
struct Db {
    /// Spaces, members and proxies (`px1`, `px2`, ...).
    directory: Directory<String>,
    records: Vec<Record>,
    /// Persons filed before their records (`POST /people`), shaped as records: holder, space, body.
    people: Vec<Record>,
    /// Records filed with `person`, the id of one of their holder's persons.
    records_with_person: usize,
    blobs: Vec<Blob>,
    attachments: Vec<Attachment>,
    /// signature -> blob id
    signatures: HashMap<String, String>,
    counter: u64,
    /// Uploads refused for want of a file name, and objects the storage served.
    unnamed_uploads: usize,
    served: usize,
}

impl Db {
    fn token(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!(
            "{prefix}{:012x}",
            self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15) & 0xffff_ffff_ffff
        )
    }

    fn member(&self, id: &str) -> Option<&Member> {
        self.directory.account(id)
    }

    /// The caller, from HTTP Basic.
    fn caller(&self, headers: &HeaderMap) -> Option<&Member> {
        let decoded = base64_decode(credential(headers, "Basic ")?)?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (email, password) = decoded.split_once(':')?;
        self.directory.signed_in(email, password)
    }

    fn acts_for(&self, member: &Member, holder: &str) -> bool {
        self.directory.acts_for(member, holder)
    }

    /// Staff see their space; others their own records and those of whom they act for.
    fn may_see(&self, member: &Member, record: &Record) -> bool {
        if member.role == "staff" || member.role == "manager" {
            return member.tenant == record.space;
        }
        self.acts_for(member, &record.holder)
    }

    /// Who a record or a person is filed for (`holder` in the body, whom the caller must act for) and the
    /// space it goes in; else the answer refusing it.
    fn filing(&self, headers: &HeaderMap, body: &Value) -> Result<(String, String), Box<Response>> {
        let Some(member) = self.caller(headers) else {
            return Err(Box::new(unauthorized()));
        };
        let holder = body["holder"].as_str().unwrap_or_default().to_string();
        let Some(owner) = self.member(&holder) else {
            return Err(Box::new(reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "holder" }),
            )));
        };
        if !self.acts_for(member, &holder) {
            return Err(Box::new(reply(
                StatusCode::FORBIDDEN,
                json!({ "error": "forbidden" }),
            )));
        }
        Ok((holder, owner.tenant.clone()))
    }

    fn record(&self, id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }
}

#[derive(Debug)]
struct Depot {
    db: Mutex<Db>,
    /// The planted flaw: downloads are signed for anyone.
    sign_for_anyone: bool,
    /// Another planted flaw: a person's page is served to anyone signed in.
    people_for_anyone: bool,
    /// The storage's origin, as the platform names it in its redirects.
    storage: String,
}

type Shared = State<Arc<Depot>>;

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"depot\"")],
        "",
    )
        .into_response()
}

fn admin(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Depot-Admin", ADMIN_KEY)
}

async fn create_space(
    State(d): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    // The platform keeps its own form of the code it is given, and answers it: later calls name that one.
    let code = format!(
        "space-{}",
        body["code"].as_str().unwrap_or_default().to_lowercase()
    );
    d.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(code.clone());
    reply(StatusCode::CREATED, json!({ "space": code }))
}

async fn create_member(
    State(d): Shared,
    headers: HeaderMap,
    Path(space): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    let mut db = d.db.lock().expect("db");
    if !db.directory.tenants.contains(&space) {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "space" }),
        );
    }
    let id = format!("m{}", db.directory.accounts.len() + 1);
    db.directory
        .enrol(id.clone(), space, &body, ["email", "password", "role"]);
    reply(StatusCode::CREATED, json!({ "member": { "id": id } }))
}

async fn create_proxy(
    State(d): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    let mut db = d.db.lock().expect("db");
    let id = format!(
        "px{}",
        db.directory
            .represent(text(&body, "agent"), text(&body, "principal"))
    );
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn end_proxy(State(d): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !admin(&headers) {
        return unauthorized();
    }
    let mut db = d.db.lock().expect("db");
    if numbered(&id, "px").is_some_and(|n| db.directory.end(n)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn create_record(
    State(d): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = d.db.lock().expect("db");
    let (holder, space) = match db.filing(&headers, &body) {
        Ok(filing) => filing,
        Err(refused) => return *refused,
    };
    // A record may name its person, filed before it by the same holder.
    if let Some(person) = body.get("person") {
        let known = person
            .as_str()
            .is_some_and(|p| db.people.iter().any(|x| x.id == p && x.holder == holder));
        if !known {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "person" }),
            );
        }
        db.records_with_person += 1;
    }
    let id = format!("r{}", db.records.len() + 1);
    db.records.push(Record {
        id: id.clone(),
        space,
        holder,
        body,
    });
    reply(StatusCode::CREATED, json!({ "record": { "id": id } }))
}

async fn read_record(State(d): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = d.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    match db.record(&id) {
        Some(record) if db.may_see(me, record) => reply(
            StatusCode::OK,
            json!({ "id": record.id, "space": record.space, "data": record.body }),
        ),
        _ => not_found(),
    }
}

/// A person filed for a holder (the caller, or whom it acts for).
async fn create_person(
    State(d): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = d.db.lock().expect("db");
    let (holder, space) = match db.filing(&headers, &body) {
        Ok(filing) => filing,
        Err(refused) => return *refused,
    };
    let id = db.token("p");
    db.people.push(Record {
        id: id.clone(),
        space,
        holder,
        body,
    });
    reply(StatusCode::CREATED, json!({ "person": { "id": id } }))
}

async fn read_person(State(d): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = d.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    match db.people.iter().find(|p| p.id == id) {
        Some(person) if d.people_for_anyone || db.may_see(me, person) => reply(
            StatusCode::OK,
            json!({ "id": person.id, "data": person.body }),
        ),
        _ => not_found(),
    }
}

/// Step one: the file as a raw body, its name in `Content-Disposition`.
async fn upload(State(d): Shared, headers: HeaderMap, bytes: Bytes) -> Response {
    let mut db = d.db.lock().expect("db");
    let Some(me) = db.caller(&headers).map(|m| m.id.clone()) else {
        return unauthorized();
    };
    let name = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once("filename=\""))
        .and_then(|(_, rest)| rest.strip_suffix('"'))
        .filter(|name| !name.is_empty())
        .map(str::to_string);
    let Some(name) = name else {
        db.unnamed_uploads += 1;
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "error": "Content-Disposition with a filename is required" }),
        );
    };
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let id = db.token("b");
    db.blobs.push(Blob {
        id: id.clone(),
        uploader: me,
        name,
        mime,
        bytes: bytes.to_vec(),
        attachment: None,
    });
    reply(
        StatusCode::CREATED,
        json!({ "blob": id, "size": bytes.len() }),
    )
}

/// Step two: the uploaded blob attached to a record the caller may see.
async fn attach(
    State(d): Shared,
    headers: HeaderMap,
    Path(record): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = d.db.lock().expect("db");
    let Some(me) = db.caller(&headers).map(|m| m.id.clone()) else {
        return unauthorized();
    };
    let visible = match (db.member(&me), db.record(&record)) {
        (Some(member), Some(r)) => db.may_see(member, r),
        _ => false,
    };
    if !visible {
        return not_found();
    }
    let blob = body["blob"].as_str().unwrap_or_default().to_string();
    let Some(index) = db
        .blobs
        .iter()
        .position(|b| b.id == blob && b.uploader == me && b.attachment.is_none())
    else {
        return reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": "blob" }));
    };
    let id = format!("at{}", db.attachments.len() + 1);
    db.blobs[index].attachment = Some(id.clone());
    db.attachments.push(Attachment {
        id: id.clone(),
        record,
        blob,
    });
    reply(
        StatusCode::CREATED,
        json!({ "status": "success", "attachment": { "id": id } }),
    )
}

/// May the caller see the record an attachment belongs to.
fn may_see_attachment(db: &Db, me: &Member, attachment: &Attachment) -> bool {
    db.record(&attachment.record)
        .is_some_and(|r| db.may_see(me, r))
}

/// A blob's metadata, by the blob's own identifier (named by the first step of the upload).
async fn blob_metadata(State(d): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = d.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(blob) = db.blobs.iter().find(|b| b.id == id) else {
        return not_found();
    };
    let attachment = blob
        .attachment
        .as_ref()
        .and_then(|a| db.attachments.iter().find(|x| &x.id == a));
    match attachment {
        Some(a) if may_see_attachment(&db, me, a) => reply(
            StatusCode::OK,
            json!({ "blob": blob.id, "name": blob.name, "type": blob.mime, "size": blob.bytes.len() }),
        ),
        _ => not_found(),
    }
}

/// A download: a signed URL in object storage (for anyone, under the flaw).
async fn download(State(d): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut db = d.db.lock().expect("db");
    let Some(me) = db.caller(&headers).map(|m| m.id.clone()) else {
        return unauthorized();
    };
    let Some(attachment) = db.attachments.iter().find(|a| a.id == id) else {
        return not_found();
    };
    let allowed = d.sign_for_anyone
        || db
            .member(&me)
            .is_some_and(|m| may_see_attachment(&db, m, attachment));
    if !allowed {
        return not_found();
    }
    let blob = attachment.blob.clone();
    let signature = db.token("sig");
    db.signatures.insert(signature.clone(), blob.clone());
    (
        StatusCode::FOUND,
        [(
            header::LOCATION,
            format!("{}/objects/{blob}?signature={signature}", d.storage),
        )],
    )
        .into_response()
}

/// The object storage: an object by a signature issued for it.
async fn object(
    State(d): Shared,
    Path(blob): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut db = d.db.lock().expect("db");
    let signed = query
        .get("signature")
        .and_then(|s| db.signatures.get(s))
        .is_some_and(|b| *b == blob);
    let Some(index) = db
        .blobs
        .iter()
        .position(|b| b.id == blob)
        .filter(|_| signed)
    else {
        return (StatusCode::FORBIDDEN, "SignatureDoesNotMatch").into_response();
    };
    db.served += 1;
    let b = &db.blobs[index];
    file_answer(b.mime.clone(), &b.name, b.bytes.clone())
}

fn platform(depot: Arc<Depot>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/admin/spaces", post(create_space))
        .route("/admin/spaces/{space}/members", post(create_member))
        .route("/admin/proxies", post(create_proxy))
        .route("/admin/proxies/{id}", delete(end_proxy))
        .route("/records", post(create_record))
        .route("/people", post(create_person))
        .route("/people/{id}", get(read_person))
        .route("/records/{id}", get(read_record))
        .route("/records/{id}/attachments", post(attach))
        .route("/blobs", put(upload))
        .route("/blobs/{id}", get(blob_metadata))
        .route("/attachments/{id}/download", get(download))
        .with_state(depot)
}

fn storage(depot: Arc<Depot>) -> Router {
    Router::new()
        .route("/objects/{blob}", get(object))
        .with_state(depot)
}

/// cloison's description of Depot; `STORAGE` is replaced by the storage's host and port.
pub(crate) const PROFILE: &str = r#"
format = 1
name = "Depot (mock with two-step uploads)"
secrets_file = "depot.secrets.toml"

[health]
path = "/health"

[roles]
applicant = "person"
representative = "proxy"
agent = "staff"
tenant_admin = "manager"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Depot-Admin", value = "{{secrets.admin_key}}" }

[provisioning.tenant]
method = "POST"
path = "/admin/spaces"
json = { code = "{{tenant.code}}", name = "{{tenant.name}}" }
extract = { code = "/space" }

[provisioning.identity]
method = "POST"
path = "/admin/spaces/{{tenant.code}}/members"
json = { email = "{{identity.login}}", password = "{{identity.password}}", role = "{{identity.role}}" }
extract = { id = "/member/id" }

[provisioning.representation]
method = "POST"
path = "/admin/proxies"
json = { agent = "{{representative.id}}", principal = "{{represented.id}}" }
extract = { id = "/id" }

[provisioning.end_representation]
method = "DELETE"
path = "/admin/proxies/{{representation.id}}"

[auth]
scheme = "basic"

[refusals]
statuses = [401, 403, 404]

[probing]
follow_hosts = ["STORAGE"]

[resources.case.create]
as = "owner"
method = "POST"
path = "/records"
extract = { id = "/record/id" }
json = { holder = "{{person.account_id}}", title = "{{case.case_number}}", subject = { surname = "{{person.surname}}", nir = "{{person.nir}}" } }

[resources.case.read]
path = "/records/{{case.id}}"

# Step 1: the file as a raw body; the answer's blob identifier is {{document.blob}} from here on.
[[resources.document.create]]
as = "owner"
method = "PUT"
path = "/blobs"
body = { file = "document" }
content_type = "{{document.content_type}}"
headers = { Content-Disposition = 'attachment; filename="{{document.file_name}}"' }
extract = { blob = "/blob" }

# Step 2: the blob attached to the case file; this answer names the document.
[[resources.document.create]]
method = "POST"
path = "/records/{{case.id}}/attachments"
json = { blob = "{{document.blob}}" }
extract = { id = "/attachment/id" }

[resources.document.read]
path = "/blobs/{{document.blob}}"

[resources.document.download]
path = "/attachments/{{document.id}}/download"
"#;

struct DepotRun {
    run: BinaryRun,
    records: usize,
    records_with_person: usize,
    served: usize,
    unnamed_uploads: usize,
    attachments: usize,
}

async fn run_depot(sign_for_anyone: bool, seed: u64) -> DepotRun {
    run_depot_with(sign_for_anyone, seed, PROFILE).await
}

async fn run_depot_with(sign_for_anyone: bool, seed: u64, profile: &str) -> DepotRun {
    run_depot_full(sign_for_anyone, false, seed, profile).await
}

async fn run_depot_full(
    sign_for_anyone: bool,
    people_for_anyone: bool,
    seed: u64,
    profile: &str,
) -> DepotRun {
    let store = StorageHost::bind().await;
    let depot = Arc::new(Depot {
        db: Mutex::new(Db::default()),
        sign_for_anyone,
        people_for_anyone,
        storage: store.origin(),
    });
    let profile = profile.replace("STORAGE", &store.host);
    let storage_task = store.serve(storage(depot.clone()));
    let (addr, server) = serve(platform(depot.clone())).await;
    let run = run_binary(
        addr,
        RunSpec {
            profile: &profile,
            name: "depot",
            secrets: &format!("admin_key = \"{ADMIN_KEY}\"\n"),
            seed,
            tenants: 2,
            cases: 10,
        },
    )
    .await;
    server.abort();
    storage_task.abort();
    let db = depot.db.lock().expect("db");
    DepotRun {
        run,
        records: db.records.len(),
        records_with_person: db.records_with_person,
        served: db.served,
        unnamed_uploads: db.unnamed_uploads,
        attachments: db.attachments.len(),
    }
}

/// Downloads signed for anyone: a stranger's download, followed to the storage, carries the owner's
/// document (a proven leak on the download endpoint, of a document, and nowhere else). The fixed twin
/// (same seed) is clean: every document went through both steps (a raw upload named by its
/// `Content-Disposition`, then its attachment with the blob of the first step), the blob's metadata was read
/// by its first step's identifier, and owners' downloads reached the storage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_signed_for_anyone_are_found_and_the_twin_is_clean() {
    let flawed = run_depot(true, 5).await;
    let run = &flawed.run;
    run.assert_exit(EXIT_FINDINGS);
    assert_eq!(run.report["outcome"], "findings");
    let leak = run.cause("no proven leak on the download", |c| {
        c["endpoint"] == "resources.document.download"
            && c["family"] == "direct-read"
            && c["evidence"] == "proven-leak"
            && c["kind"] == "document"
    });
    // The reproducer names a document, downloads it by the platform's attachment identifier, and what
    // leaked is that document's owner's.
    let reproducer = &leak["reproducer"];
    assert!(
        reproducer["record"]
            .as_str()
            .is_some_and(|r| r.starts_with("document-")),
        "{reproducer}"
    );
    assert!(
        reproducer["request"]["url"]
            .as_str()
            .is_some_and(|u| u.contains("/attachments/at") && u.ends_with("/download")),
        "{reproducer}"
    );
    let victim = &reproducer["victim"];
    assert!(
        reproducer["leaked"]
            .as_array()
            .is_some_and(|l| !l.is_empty()),
        "{reproducer}"
    );
    assert_ne!(victim, &reproducer["actor"], "{reproducer}");
    run.assert_only_on("resources.document.download", "only the downloads leak");

    let fixed = run_depot(false, 5).await;
    let run = &fixed.run;
    run.assert_clean();
    let coverage = &run.report["coverage"];
    assert_eq!(fixed.unnamed_uploads, 0, "every upload named its file");
    assert!(fixed.attachments > 0, "the second step attached the blobs");
    assert!(fixed.served > 0, "owners' downloads reached the storage");
    let endpoints = coverage["endpoints"].to_string();
    assert!(
        endpoints.contains("resources.document.read"),
        "the read by the blob's identifier was probed: {endpoints}"
    );
}

/// Depot keeps its own form of a space's code (`space-13` for `13`) and answers it: read back with
/// `extract = { code = ... }`, it is what `{{tenant.code}}` says from then on (the main test's members are
/// created under it). A profile that does not read it back stops at the first member, on the platform's
/// refusal of a space it does not know, with the call and the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_code_the_platform_rewrites_is_read_back_from_its_answer() {
    let from = "extract = { code = \"/space\" }\n";
    assert!(PROFILE.contains(from));
    let depot = run_depot_with(false, 5, &PROFILE.replace(from, "")).await;
    let run = &depot.run;
    assert_eq!(run.exit, 2, "the profile's fault: {}", run.summary());
    assert!(
        run.stderr.contains("/admin/spaces/") && run.stderr.contains("422"),
        "{}",
        run.stderr
    );
}

/// A profile that takes the attachment's `/status` ("success") for its identifier gives every document the
/// same one: the run stops at seeding with exit 2, naming the profile's line and two documents, before any
/// probe could judge a record by another's identifier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identifier_every_record_shares_stops_the_run_as_the_profiles_fault() {
    let from = "extract = { id = \"/attachment/id\" }";
    assert!(PROFILE.contains(from));
    let profile = PROFILE.replace(from, "extract = { id = \"/status\" }");
    let depot = run_depot_with(false, 5, &profile).await;
    let run = &depot.run;
    assert_eq!(run.exit, 2, "{}", run.summary());
    assert!(
        run.stderr.contains("depot.toml:")
            && run
                .stderr
                .contains("`resources.document.create[1].extract.id`")
            && run
                .stderr
                .contains("`success` is the identifier of both document-"),
        "{}",
        run.stderr
    );
}

/// Persons as a resource of their own, parent of the case files: `[resources.beneficiary]` holds the
/// generated persons, each created first by its holder (`POST /people`), and every case file names its
/// person's id (`{{beneficiary.id}}`, which the mock checks). A person's page served to anyone is found by
/// direct-read on that resource with the person's values as proof; the twin is clean with the pages probed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persons_filed_before_their_case_files_are_a_resource_flaw_found_and_twin_clean() {
    const PEOPLE: &str = r#"
[resources.beneficiary]
entity = "person"

[resources.beneficiary.create]
as = "owner"
method = "POST"
path = "/people"
extract = { id = "/person/id" }
json = { holder = "{{person.account_id}}", surname = "{{person.surname}}", nir = "{{person.nir}}", address = "{{person.address_line}}" }

[resources.beneficiary.read]
path = "/people/{{beneficiary.id}}"
"#;
    let from = "json = { holder = \"{{person.account_id}}\", title = \"{{case.case_number}}\",";
    assert!(PROFILE.contains(from));
    let profile = format!(
        "{}\n{PEOPLE}",
        PROFILE.replacen(
            from,
            "json = { holder = \"{{person.account_id}}\", person = \"{{beneficiary.id}}\", title = \"{{case.case_number}}\",",
            1
        )
    );
    let twin = run_depot_full(false, false, 7, &profile).await;
    let run = &twin.run;
    run.assert_exit(EXIT_OK);
    assert!(twin.records > 0);
    assert_eq!(
        twin.records_with_person, twin.records,
        "every case file named its person's id"
    );
    let probed = &run.report["coverage"]["endpoints"]["resources.beneficiary.read"];
    assert!(probed.as_u64().is_some_and(|n| n > 0), "{}", run.summary());

    let flawed = run_depot_full(false, true, 7, &profile).await;
    let run = &flawed.run;
    run.assert_exit(EXIT_FINDINGS);
    let causes = run.causes();
    assert!(
        causes
            .iter()
            .all(|c| c["endpoint"] == "resources.beneficiary.read" && c["kind"] == "person"),
        "only persons' pages leak: {}",
        run.summary()
    );
    assert!(
        causes
            .iter()
            .any(|c| c["family"] == "direct-read" && c["evidence"] == "proven-leak"),
        "{}",
        run.summary()
    );
}
