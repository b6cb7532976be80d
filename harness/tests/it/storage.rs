//! A platform whose downloads are redirects to object storage: "Vault", an in-memory axum mock with English
//! routes, string references, a JSON login that sets a session cookie, refusals as 403 or 404, and
//! unauthenticated requests sent to its login page with a `302`. A download answers `302` to a second server
//! (another host and port, standing in for object storage) with a one-time grant in the URL; the storage
//! serves the object gzip-encoded. cloison knows it only through the profile below, which lists the storage
//! host in `[probing] follow_hosts`.
//!
//! The planted flaw: the storage serves any object by its key and checks nothing, so a stranger who asks the
//! platform for a download leaks it. Its fixed twin checks that the grant was issued to someone who may see
//! the object. The flaw is found (exit 1), the twin is clean (exit 0), both through the `cloison` binary with
//! `run --target url:...`; a storage host the profile does not list is never contacted.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use serde_json::{Value, json};

use crate::support::answer::{
    Upload, cookie, file_answer, header_is, not_found, reply, text, upload,
};
use crate::support::directory::{Account, Directory};
use crate::support::serve::StorageHost;
use crate::support::{BinaryRun, RunSpec, run_binary, serve};

const OPS_KEY: &str = "vault-ops-key";

/// A user: its reference, its email as login, its org as tenant.
type User = Account<String>;

#[derive(Debug)]
struct File {
    reference: String,
    org: String,
    holder: String,
    content: Value,
}

#[derive(Debug)]
struct Attachment {
    reference: String,
    file: String,
    key: String,
    name: String,
    mime: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Db {
    /// Orgs, users and delegations.
    directory: Directory<String>,
    files: Vec<File>,
    attachments: Vec<Attachment>,
    /// session cookie -> user reference
    sessions: HashMap<String, String>,
    /// grant -> (user reference, attachment key)
    grants: HashMap<String, (String, String)>,
    counter: u64,
    /// Objects the storage served, and requests it refused.
    served: usize,
    refused: usize,
}

impl Db {
    /// An opaque token, unique in the mock.
    fn token(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!(
            "{prefix}{:016x}",
            self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        )
    }

    fn user(&self, reference: &str) -> Option<&User> {
        self.directory.account(reference)
    }

    /// May `user` see `file`: staff of its org, its holder, or an active delegate of its holder.
    fn may_see(&self, user: &User, file: &File) -> bool {
        if user.role == "clerk" || user.role == "manager" {
            return user.tenant == file.org;
        }
        self.directory.acts_for(user, &file.holder)
    }
}

#[derive(Debug)]
struct Vault {
    db: Mutex<Db>,
    /// The planted flaw: the storage serves any key, whatever the grant.
    open_storage: bool,
    /// Where the storage is, as the platform names it in its redirects.
    storage: String,
}

type Shared = State<Arc<Vault>>;

/// Unauthenticated: to the login page, as a browser application does.
fn to_login(uri: &Uri) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/login?next={}", uri.path()))],
    )
        .into_response()
}

fn ops(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Ops-Key", OPS_KEY)
}

/// The caller's user reference, from the session cookie.
fn caller(db: &Db, headers: &HeaderMap) -> Option<String> {
    db.sessions.get(cookie(headers, "vault_session=")?).cloned()
}

async fn create_org(
    State(v): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let slug = text(&body, "slug");
    v.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(slug.clone());
    reply(StatusCode::CREATED, json!({ "org": { "slug": slug } }))
}

async fn create_user(
    State(v): Shared,
    headers: HeaderMap,
    Path(slug): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let mut db = v.db.lock().expect("db");
    if !db.directory.tenants.contains(&slug) {
        return reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": "org" }));
    }
    let reference = format!("u-{}", db.directory.accounts.len() + 1);
    db.directory.enrol(
        reference.clone(),
        slug,
        &body,
        ["email", "password", "role"],
    );
    reply(StatusCode::CREATED, json!({ "user": { "ref": reference } }))
}

async fn create_delegation(
    State(v): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let mut db = v.db.lock().expect("db");
    let number = db
        .directory
        .represent(text(&body, "delegate"), text(&body, "principal"));
    let reference = format!("d-{number}");
    reply(
        StatusCode::CREATED,
        json!({ "delegation": { "ref": reference } }),
    )
}

async fn revoke_delegation(
    State(v): Shared,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let mut db = v.db.lock().expect("db");
    let number = reference
        .strip_prefix("d-")
        .and_then(|n| n.parse::<usize>().ok());
    if number.is_some_and(|n| db.directory.end(n)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn login_page() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html")],
        "<html><body><form method=post action=/v2/session>Sign in</form></body></html>",
    )
        .into_response()
}

async fn session(State(v): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = v.db.lock().expect("db");
    let (email, password) = (
        body["email"].as_str().unwrap_or_default(),
        body["password"].as_str().unwrap_or_default(),
    );
    let Some(reference) = db
        .directory
        .signed_in(email, password)
        .map(|u| u.id.clone())
    else {
        return reply(StatusCode::UNAUTHORIZED, json!({ "error": "credentials" }));
    };
    let cookie = db.token("s");
    db.sessions.insert(cookie.clone(), reference.clone());
    (
        StatusCode::OK,
        [(
            header::SET_COOKIE,
            format!("vault_session={cookie}; Path=/; HttpOnly"),
        )],
        axum::Json(json!({ "user": { "ref": reference } })),
    )
        .into_response()
}

async fn create_file(
    State(v): Shared,
    headers: HeaderMap,
    uri: Uri,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = v.db.lock().expect("db");
    let Some(me) = caller(&db, &headers) else {
        return to_login(&uri);
    };
    let holder = body["holder"].as_str().unwrap_or_default().to_string();
    let (Some(user), Some(owner)) = (db.user(&me), db.user(&holder)) else {
        return not_found();
    };
    if !db.directory.acts_for(user, &holder) {
        return reply(StatusCode::FORBIDDEN, json!({ "error": "forbidden" }));
    }
    let org = owner.tenant.clone();
    let reference = format!("f-{}", db.files.len() + 1);
    db.files.push(File {
        reference: reference.clone(),
        org,
        holder,
        content: body,
    });
    reply(StatusCode::CREATED, json!({ "file": { "ref": reference } }))
}

async fn read_file(
    State(v): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(reference): Path<String>,
) -> Response {
    let db = v.db.lock().expect("db");
    let Some(me) = caller(&db, &headers) else {
        return to_login(&uri);
    };
    let (Some(user), Some(file)) = (
        db.user(&me),
        db.files.iter().find(|f| f.reference == reference),
    ) else {
        return not_found();
    };
    if !db.may_see(user, file) {
        return not_found();
    }
    reply(
        StatusCode::OK,
        json!({ "ref": file.reference, "org": file.org, "content": file.content }),
    )
}

async fn attach(
    State(v): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(reference): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(blob) = upload(&mut multipart, "blob", "blob").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "blob" }));
    };
    let mut db = v.db.lock().expect("db");
    let Some(me) = caller(&db, &headers) else {
        return to_login(&uri);
    };
    let Some(Upload { name, mime, bytes }) = blob else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "no blob" }));
    };
    let visible = match (
        db.user(&me),
        db.files.iter().find(|f| f.reference == reference),
    ) {
        (Some(user), Some(file)) => db.may_see(user, file),
        _ => false,
    };
    if !visible {
        return not_found();
    }
    let key = db.token("k");
    let attachment = format!("a-{}", db.attachments.len() + 1);
    db.attachments.push(Attachment {
        reference: attachment.clone(),
        file: reference,
        key,
        name,
        mime,
        bytes,
    });
    reply(
        StatusCode::CREATED,
        json!({ "attachment": { "ref": attachment } }),
    )
}

/// A download: a grant for the caller and a redirect to the object in storage. The platform leaves the
/// access decision to the storage, which must check the grant.
async fn download(
    State(v): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(reference): Path<String>,
) -> Response {
    let mut db = v.db.lock().expect("db");
    let Some(me) = caller(&db, &headers) else {
        return to_login(&uri);
    };
    let Some(key) = db
        .attachments
        .iter()
        .find(|a| a.reference == reference)
        .map(|a| a.key.clone())
    else {
        return not_found();
    };
    let grant = db.token("g");
    db.grants.insert(grant.clone(), (me, key.clone()));
    (
        StatusCode::FOUND,
        [(
            header::LOCATION,
            format!("{}/blobs/{key}?grant={grant}", v.storage),
        )],
    )
        .into_response()
}

/// The object storage: the object gzip-encoded, if the grant allows it (or always, under the flaw).
async fn blob(
    State(v): Shared,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut db = v.db.lock().expect("db");
    let Some(index) = db.attachments.iter().position(|a| a.key == key) else {
        return (StatusCode::NOT_FOUND, "NoSuchKey").into_response();
    };
    if !v.open_storage {
        let granted = query
            .get("grant")
            .and_then(|g| db.grants.get(g))
            .filter(|(_, granted_key)| *granted_key == key)
            .and_then(|(user, _)| db.user(user))
            .is_some_and(|user| {
                let attachment = &db.attachments[index];
                db.files
                    .iter()
                    .find(|f| f.reference == attachment.file)
                    .is_some_and(|f| db.may_see(user, f))
            });
        if !granted {
            // As "no such key": a 403 here, where a missing attachment is a 404 at the platform, would tell
            // strangers which references exist (cloison's identifier-guessing family says so).
            db.refused += 1;
            return (StatusCode::NOT_FOUND, "NoSuchKey").into_response();
        }
    }
    db.served += 1;
    let attachment = &db.attachments[index];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let encoded = gz
        .write_all(&attachment.bytes)
        .and_then(|()| gz.finish())
        .expect("gzip in memory");
    let mut answer = file_answer(attachment.mime.clone(), &attachment.name, encoded);
    answer.headers_mut().insert(
        header::CONTENT_ENCODING,
        header::HeaderValue::from_static("gzip"),
    );
    answer
}

fn platform(vault: Arc<Vault>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(login_page))
        .route("/ops/orgs", post(create_org))
        .route("/ops/orgs/{slug}/users", post(create_user))
        .route("/ops/delegations", post(create_delegation))
        .route(
            "/ops/delegations/{reference}/revoke",
            post(revoke_delegation),
        )
        .route("/v2/session", post(session))
        .route("/v2/files", post(create_file))
        .route("/v2/files/{reference}", get(read_file))
        .route("/v2/files/{reference}/attachments", post(attach))
        .route("/v2/attachments/{reference}/download", get(download))
        .with_state(vault)
}

fn storage(vault: Arc<Vault>) -> Router {
    Router::new()
        .route("/blobs/{key}", get(blob))
        .with_state(vault)
}

/// cloison's description of Vault; `STORAGE` is replaced by the storage's host and port.
const PROFILE: &str = r#"
format = 1
name = "Vault (mock with object storage)"
secrets_file = "vault.secrets.toml"

[health]
path = "/healthz"

[roles]
applicant = "member"
representative = "proxy"
agent = "clerk"
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
operator = { header = "X-Ops-Key", value = "{{secrets.ops_key}}" }

[provisioning.tenant]
method = "POST"
path = "/ops/orgs"
json = { slug = "{{tenant.code}}", title = "{{tenant.name}}" }

[provisioning.identity]
method = "POST"
path = "/ops/orgs/{{tenant.code}}/users"
json = { email = "{{identity.login}}", password = "{{identity.password}}", role = "{{identity.role}}" }
extract = { id = "/user/ref" }

[provisioning.representation]
method = "POST"
path = "/ops/delegations"
json = { delegate = "{{representative.id}}", principal = "{{represented.id}}" }
extract = { id = "/delegation/ref" }

[provisioning.end_representation]
method = "POST"
path = "/ops/delegations/{{representation.id}}/revoke"

[auth]
scheme = "cookie"

[auth.login]
method = "POST"
path = "/v2/session"
json = { email = "{{identity.login}}", password = "{{identity.password}}" }

# Refusals are 403 or 404; a redirect to the login page is a refusal too, never a hop to follow.
[refusals]
statuses = [403, 404]
login_redirect = "/login"

[probing]
follow_hosts = ["STORAGE"]

[resources.case.create]
as = "owner"
method = "POST"
path = "/v2/files"
extract = { id = "/file/ref" }
json = { holder = "{{person.account_id}}", title = "{{case.case_number}}", subject = { surname = "{{person.surname}}", nir = "{{person.nir}}", address = "{{person.address_line}}" } }

[resources.case.read]
path = "/v2/files/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/v2/files/{{case.id}}/attachments"
extract = { id = "/attachment/ref" }
multipart = [{ name = "blob", file = "document" }]

[resources.document.download]
path = "/v2/attachments/{{document.id}}/download"
"#;

/// A finished `cloison run` against Vault, and the storage's counters.
struct VaultRun {
    run: BinaryRun,
    served: usize,
    refused: usize,
}

/// Serve Vault and its storage (flawed or not), and run the `cloison` binary against it with the profile
/// (`list_storage`: whether the profile lists the storage host).
async fn run_vault(open_storage: bool, list_storage: bool, seed: u64) -> VaultRun {
    let store = StorageHost::bind().await;
    let vault = Arc::new(Vault {
        db: Mutex::new(Db::default()),
        open_storage,
        storage: store.origin(),
    });
    let (addr, server) = serve(platform(vault.clone())).await;
    let profile = if list_storage {
        PROFILE.replace("STORAGE", &store.host)
    } else {
        PROFILE.replace("follow_hosts = [\"STORAGE\"]", "")
    };
    let storage_server = store.serve(storage(vault.clone()));
    let run = run_binary(
        addr,
        RunSpec {
            profile: &profile,
            name: "vault",
            secrets: &format!("ops_key = \"{OPS_KEY}\"\n"),
            seed,
            tenants: 2,
            cases: 10,
        },
    )
    .await;
    server.abort();
    storage_server.abort();
    assert!(
        run.report.is_object(),
        "the JSON report is written: {}",
        run.summary()
    );
    let db = vault.db.lock().expect("db");
    VaultRun {
        run,
        served: db.served,
        refused: db.refused,
    }
}

/// The storage checks nothing: a stranger's download, followed from the platform's redirect to the storage
/// and decoded from gzip, carries the owner's document: a proven leak on the download endpoint. The fixed
/// twin (same seed) refuses strangers at the storage and is clean, with every control passed: each owner's
/// download was followed to the storage and carried its own canaries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_that_checks_nothing_behind_redirected_downloads_is_found_and_its_twin_is_clean() {
    let flawed = run_vault(true, true, 1).await.run;
    flawed.assert_exit(EXIT_FINDINGS);
    assert_eq!(flawed.report["outcome"], "findings");
    let causes = flawed.report["root_causes"]
        .as_array()
        .expect("root causes");
    let download_leaks: Vec<&Value> = causes
        .iter()
        .filter(|c| {
            c["endpoint"] == "resources.document.download" && c["evidence"] == "proven-leak"
        })
        .collect();
    assert!(!download_leaks.is_empty(), "{}", flawed.summary());
    flawed.assert_only_on("resources.document.download", "only the downloads leak");
    for cause in download_leaks {
        let curl = cause["reproducer"]["request"]["curl"]
            .as_str()
            .expect("a reproducer");
        assert!(
            curl.starts_with("curl -sS -L "),
            "replays the redirect: {curl}"
        );
        assert!(
            !curl.contains("vault_session=s"),
            "no session cookie: {curl}"
        );
    }

    let fixed = run_vault(false, true, 1).await;
    fixed.run.assert_clean();
    let coverage = &fixed.run.report["coverage"];
    // Anonymous calls are sent to the login page: refusals, never hops (the login page answers 200).
    let anonymous = coverage["families"]
        .as_array()
        .expect("families")
        .iter()
        .find(|f| f["family"] == "anonymous")
        .expect("the anonymous family");
    assert!(anonymous["probes"].as_u64() > Some(0), "{anonymous}");
    assert!(fixed.served > 0, "owners' downloads reached the storage");
    assert!(fixed.refused > 0, "strangers' downloads were refused there");
}

/// The same platform, with a profile that does not list the storage host: the redirects are not followed
/// (the storage is never contacted), so the owners' downloads show none of their canaries, the controls of
/// the download fail saying where the redirect led, and the run cannot say CLEAN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_a_host_the_profile_does_not_list_is_not_followed() {
    let vault = run_vault(false, false, 2).await;
    assert_eq!(
        vault.served + vault.refused,
        0,
        "the storage was never contacted"
    );
    let run = &vault.run;
    assert_ne!(run.exit, i32::from(EXIT_OK), "{}", run.summary());
    assert_ne!(run.report["outcome"], "clean", "{}", run.summary());
    let failures = run.report["failures"].as_array().expect("failures");
    assert!(
        !failures.is_empty()
            && failures.iter().all(|f| {
                f.as_str().is_some_and(|f| {
                    f.contains("resources.document.download")
                        && f.contains("a redirect to http://localhost:")
                        && f.contains("not followed")
                })
            }),
        "the owners' own downloads fail their controls, saying where they led: {}",
        run.summary()
    );
}
