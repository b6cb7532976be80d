//! "Relais": a platform whose session tokens live two seconds. Members register themselves (`POST
//! /api/register`), log in for a short-lived token (`POST /api/session`, sent back as `Authorization: Token
//! ...`), and keep folders, each held by one member. A dead token is answered 401, a folder the caller may
//! not see 404, and the profile lists both as refusals: a dead session's answer looks like a refusal. Each
//! request takes a few milliseconds, and logging in a little longer (a password hash), so that tokens die
//! throughout the run. Run at default flags: the planted flaw (any folder readable by its number) is found
//! (exit 1) with the same root causes and instances as with tokens of an hour, and its fixed twin is clean
//! (exit 0).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::{Evidence, Report};
use cloison_harness::run::execute;
use serde_json::{Value, json};

use crate::support::answer::{Upload, credential, file_answer, not_found, reply, text, upload};
use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

#[derive(Debug)]
struct Member {
    uid: u64,
    username: String,
    passphrase: String,
}

#[derive(Debug)]
struct Folder {
    id: u64,
    holder: u64,
    label: Value,
    text: Value,
}

/// A file filed in a folder.
#[derive(Debug)]
struct Page {
    id: u64,
    folder: u64,
    name: String,
    mime: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Db {
    members: Vec<Member>,
    folders: Vec<Folder>,
    pages: Vec<Page>,
    /// Each token issued, the member it signs in and until when.
    tokens: HashMap<String, (u64, Instant)>,
}

#[derive(Debug)]
struct Relais {
    db: Mutex<Db>,
    /// How long a token lives.
    life: Duration,
    /// Flaw (direct-read): a folder is served by its number to anyone signed in.
    open_folders: bool,
    /// Requests answered 401 because their token had expired.
    expired: AtomicUsize,
    /// Logins.
    logins: AtomicUsize,
}

type Shared = State<Arc<Relais>>;

fn signed_out(why: &str) -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "detail": why }))
}

/// Every request takes a little time, as on a real server: tokens die while the run goes on.
async fn work() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

impl Relais {
    fn new(life: Duration, open_folders: bool) -> Self {
        Relais {
            db: Mutex::new(Db::default()),
            life,
            open_folders,
            expired: AtomicUsize::new(0),
            logins: AtomicUsize::new(0),
        }
    }

    /// The member a live token signs in.
    fn caller(&self, db: &Db, headers: &HeaderMap) -> Result<u64, &'static str> {
        let token = credential(headers, "Token ").ok_or("no token")?;
        let &(member, until) = db.tokens.get(token).ok_or("unknown token")?;
        if Instant::now() > until {
            self.expired.fetch_add(1, Ordering::SeqCst);
            return Err("token expired");
        }
        Ok(member)
    }
}

async fn register(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    work().await;
    let mut db = m.db.lock().expect("db");
    let (username, passphrase) = (text(&body, "username"), text(&body, "passphrase"));
    if username.is_empty() || passphrase.is_empty() {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "detail": "username and passphrase" }),
        );
    }
    if db.members.iter().any(|u| u.username == username) {
        return reply(StatusCode::CONFLICT, json!({ "detail": "taken" }));
    }
    let uid = db.members.len() as u64 + 500;
    db.members.push(Member {
        uid,
        username,
        passphrase,
    });
    reply(StatusCode::CREATED, json!({ "member": { "uid": uid } }))
}

async fn session(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    // Hashing the passphrase.
    tokio::time::sleep(Duration::from_millis(300)).await;
    m.logins.fetch_add(1, Ordering::SeqCst);
    let mut db = m.db.lock().expect("db");
    let Some(uid) = db
        .members
        .iter()
        .find(|u| {
            u.username == text(&body, "username") && u.passphrase == text(&body, "passphrase")
        })
        .map(|u| u.uid)
    else {
        return signed_out("wrong username or passphrase");
    };
    let n = m.logins.load(Ordering::SeqCst) as u64;
    let token = format!("rl{uid}x{:x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ uid);
    db.tokens
        .insert(token.clone(), (uid, Instant::now() + m.life));
    reply(
        StatusCode::OK,
        json!({ "auth": { "jwt": token, "expires_in": m.life.as_secs() } }),
    )
}

fn folder_json(folder: &Folder) -> Value {
    json!({ "folder_id": folder.id, "label": folder.label, "text": folder.text })
}

async fn create_folder(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    work().await;
    let mut db = m.db.lock().expect("db");
    if let Err(refused) = m.caller(&db, &headers) {
        return signed_out(refused);
    }
    // A folder is held by a member: the caller, or the person a representative files for.
    let holder = match &body["holder"] {
        Value::String(s) => s.parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    };
    let Some(holder) = holder.filter(|h| db.members.iter().any(|u| u.uid == *h)) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "detail": "holder" }),
        );
    };
    let id = db.folders.len() as u64 + 1;
    db.folders.push(Folder {
        id,
        holder,
        label: body["label"].clone(),
        text: body["text"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "data": { "folder_id": id } }))
}

async fn read_folder(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    work().await;
    let db = m.db.lock().expect("db");
    let caller = match m.caller(&db, &headers) {
        Ok(caller) => caller,
        Err(refused) => return signed_out(refused),
    };
    let Some(folder) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.folders.iter().find(|f| f.id == id))
    else {
        return not_found();
    };
    // The planted flaw: the holder is not checked.
    if folder.holder != caller && !m.open_folders {
        return not_found();
    }
    reply(StatusCode::OK, json!({ "data": folder_json(folder) }))
}

async fn my_folders(State(m): Shared, headers: HeaderMap) -> Response {
    work().await;
    let db = m.db.lock().expect("db");
    let caller = match m.caller(&db, &headers) {
        Ok(caller) => caller,
        Err(refused) => return signed_out(refused),
    };
    let data: Vec<Value> = db
        .folders
        .iter()
        .filter(|f| f.holder == caller)
        .map(folder_json)
        .collect();
    reply(StatusCode::OK, json!({ "data": data }))
}

async fn add_page(
    State(m): Shared,
    headers: HeaderMap,
    Path(id): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    work().await;
    let Ok(Some(Upload { name, mime, bytes })) = upload(&mut multipart, "page", "page").await
    else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "detail": "page" }),
        );
    };
    let mut db = m.db.lock().expect("db");
    if let Err(refused) = m.caller(&db, &headers) {
        return signed_out(refused);
    }
    if !db.folders.iter().any(|f| f.id == id) {
        return not_found();
    }
    let page = db.pages.len() as u64 + 1;
    db.pages.push(Page {
        id: page,
        folder: id,
        name,
        mime,
        bytes,
    });
    reply(StatusCode::CREATED, json!({ "data": { "page_id": page } }))
}

async fn read_page(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    work().await;
    let db = m.db.lock().expect("db");
    let caller = match m.caller(&db, &headers) {
        Ok(caller) => caller,
        Err(refused) => return signed_out(refused),
    };
    let Some(page) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| db.pages.iter().find(|p| p.id == id))
    else {
        return not_found();
    };
    if !db
        .folders
        .iter()
        .any(|f| f.id == page.folder && f.holder == caller)
    {
        return not_found();
    }
    file_answer(page.mime.clone(), &page.name, page.bytes.clone())
}

fn router(relais: Arc<Relais>) -> Router {
    Router::new()
        .route("/status", get(|| async { "up" }))
        .route("/api/register", post(register))
        .route("/api/session", post(session))
        .route("/api/folders", post(create_folder).get(my_folders))
        .route("/api/folders/{id}", get(read_folder))
        .route("/api/folders/{id}/pages", post(add_page))
        .route("/api/pages/{id}", get(read_page))
        .with_state(relais)
}

const PROFILE: &str = r#"
format = 1
name = "Relais (tokens of two seconds)"

# Each member sees the folders they hold; staff roles of cloison's worlds have no rights here.
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
path = "/api/register"
json = { username = "{{identity.login}}", passphrase = "{{identity.password}}" }
extract = { id = "/member/uid" }

[tenants]
mode = "none"

[auth]
scheme = "token"
token = { json = "/auth/jwt" }
send = { header = "Authorization", value = "Token {{token}}" }

[auth.login]
method = "POST"
path = "/api/session"
json = { username = "{{identity.login}}", passphrase = "{{identity.password}}" }

[health]
path = "/status"

# A dead token is answered 401, a folder of someone else's 404: both are refusals here.
[refusals]
statuses = [401, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/api/folders"
extract = { id = "/data/folder_id" }
json = { holder = "{{person.account_id}}", label = "{{person.first_name}} {{person.surname}}", text = "NIR {{person.nir}}, {{person.address_line}}, dossier {{case.case_number}}" }

[resources.case.read]
path = "/api/folders/{{case.id}}"

[resources.case.list]
path = "/api/folders"

[resources.document.create]
as = "owner"
method = "POST"
path = "/api/folders/{{case.id}}/pages"
extract = { id = "/data/page_id" }
multipart = [{ name = "page", file = "document" }]

[resources.document.download]
path = "/api/pages/{{document.id}}"
"#;

/// Serve Relais with tokens of `life` (and the flaw when `open_folders`) and run cloison at default flags.
async fn run_relais(life: Duration, open_folders: bool) -> MockRun<Relais> {
    let relais = Arc::new(Relais::new(life, open_folders));
    let (addr, server) = serve(router(relais.clone())).await;
    let files = ProfileFiles::write("relais", PROFILE, "");
    let args = url_args(addr, &files, 3, 1, 12);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: relais,
    }
}

/// The root causes of a report, by what makes them one (family, endpoint, role, relation, kind, via,
/// evidence), with their instances.
fn root_causes(report: &Report) -> BTreeMap<String, usize> {
    report
        .root_causes
        .iter()
        .map(|c| {
            (
                format!(
                    "{} {} {} {} {} {:?} {:?}",
                    c.family.name(),
                    c.endpoint,
                    c.role,
                    c.relation,
                    c.kind,
                    c.via,
                    c.evidence
                ),
                c.instances,
            )
        })
        .collect()
}

/// Tokens of two seconds, at default flags: the flaw is found with the same root causes and instances as
/// with tokens of an hour (no probe is lost to an expired session), and the fixed twin is clean (no expired
/// session's 401 is taken for a refusal, nor compared with one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relais_two_second_tokens_flaw_found_as_with_long_tokens_and_twin_clean() {
    let short = run_relais(Duration::from_secs(2), true).await;
    let report = short.report();
    assert!(
        short.mock.expired.load(Ordering::SeqCst) > 0,
        "tokens expired during the run: {}",
        report.summary()
    );
    assert_eq!(short.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-read"
                && c.endpoint == "resources.case.read"
                && c.evidence == Evidence::ProvenLeak),
        "{}",
        report.summary()
    );
    let long = run_relais(Duration::from_secs(3600), true).await;
    assert_eq!(long.mock.expired.load(Ordering::SeqCst), 0);
    assert_eq!(
        long.result.exit,
        EXIT_FINDINGS,
        "{}",
        long.report().summary()
    );
    // The same root causes, and the same instances wherever they do not depend on which identifier the
    // target gave which record: a neighbouring identifier's owner follows the order of the creates, which
    // concurrent seeding does not fix from one run to the next.
    let (short_causes, long_causes) = (root_causes(report), root_causes(long.report()));
    assert_eq!(
        short_causes.keys().collect::<Vec<_>>(),
        long_causes.keys().collect::<Vec<_>>(),
        "two-second tokens find what tokens of an hour find"
    );
    let by_record = |causes: &BTreeMap<String, usize>| -> Vec<(String, usize)> {
        causes
            .iter()
            .filter(|(cause, _)| !cause.starts_with("identifier-guessing "))
            .map(|(cause, n)| (cause.clone(), *n))
            .collect()
    };
    assert_eq!(
        by_record(&short_causes),
        by_record(&long_causes),
        "two-second tokens find as many instances as tokens of an hour"
    );
    // Every probe is sent once, as with tokens of an hour (a re-sent probe is not counted twice), cell by
    // cell; neighbouring identifiers again excepted (whether a neighbour exists follows the creates' order).
    let sent = |report: &Report| -> Vec<(String, usize, usize)> {
        report
            .coverage
            .cells
            .iter()
            .filter(|c| c.family.name() != "identifier-guessing")
            .map(|c| {
                (
                    format!(
                        "{} {} {} {} {:?}",
                        c.family.name(),
                        c.endpoint,
                        c.role,
                        c.relation,
                        c.via
                    ),
                    c.planned,
                    c.sent,
                )
            })
            .collect()
    };
    assert_eq!(
        sent(report),
        sent(long.report()),
        "every probe is sent once, as with tokens of an hour"
    );

    // The twin's run is shorter (no findings to shrink): whether its tokens expire depends on the machine's
    // pace, so only the flawed run above is required to meet expired tokens.
    let twin = run_relais(Duration::from_secs(2), false).await;
    assert_clean(&twin.result, "hardened Relais with two-second tokens");
}
