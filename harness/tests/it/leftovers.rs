//! A target that keeps its records between runs: "Registre", an in-memory axum mock of another shape.
//! Agencies are tenants (created again without complaint), staff and clients are members with string
//! identifiers (`M3`), tokens go in `Authorization: Bearer`, the caller's agency is implied by its token
//! (`/files`, `/files/{ref}`), refusals are 404, and `POST /ops/wipe` (the operator's) empties it.
//!
//! The same instance serves two runs. Run 1 (seed 1) is clean. Run 2 (seed 2) finds run 1's case files in
//! what its agents already see: without a reset it stops before seeding with exit 2, the reset advice and no
//! finding; with the reset declared (the mock wipes) or with `--allow-dirty` it is clean, which proves the
//! worlds of the two runs share no value (the agents list run 1's records all along). The planted flaw (a
//! case file read by its reference alone) is still a proven leak on the dirty instance.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use cloison_harness::cli::{CliError, EXIT_FINDINGS, EXIT_USAGE};
use cloison_harness::report::Evidence;
use cloison_harness::run::{RunArgs, RunResult, execute};
use serde_json::{Value, json};

use crate::support::answer::{credential, header_is, not_found, reply, text};
use crate::support::directory::{Account, Directory};
use crate::support::files::ProfileFiles;
use crate::support::library::{assert_clean, url_args};
use crate::support::serve;

const OPERATOR: &str = "registre-operator";

type Member = Account<String>;

#[derive(Debug)]
struct File {
    reference: String,
    agency: String,
    owner: String,
    subject: Value,
}

#[derive(Debug, Default)]
struct Db {
    directory: Directory<String>,
    files: Vec<File>,
    tokens: Vec<(String, String)>,
    /// Papers of files: (id, file reference, body).
    papers: Vec<(String, String, Value)>,
    /// Files ever created: references are never reused, as in a database sequence.
    created: usize,
}

impl Db {
    fn caller(&self, headers: &HeaderMap) -> Option<&Member> {
        let token = credential(headers, "Bearer ")?;
        let (_, id) = self.tokens.iter().find(|(t, _)| t == token)?;
        self.directory.account(id.as_str())
    }

    fn visible(&self, caller: &Member, file: &File) -> bool {
        match caller.role.as_str() {
            "clerk" | "director" => caller.tenant == file.agency,
            _ => self.directory.acts_for(caller, file.owner.as_str()),
        }
    }
}

struct Mock {
    db: Mutex<Db>,
    /// `GET /files/{ref}` serves any file to any member.
    flawed: bool,
    wipes: AtomicUsize,
}

type Shared = State<Arc<Mock>>;

fn unauthenticated() -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "error": "login required" }),
    )
}

fn operator(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Operator", OPERATOR)
}

async fn wipe(State(m): Shared, headers: HeaderMap) -> Response {
    if !operator(&headers) {
        return unauthenticated();
    }
    m.wipes.fetch_add(1, Ordering::SeqCst);
    *m.db.lock().expect("db") = Db::default();
    StatusCode::NO_CONTENT.into_response()
}

/// An agency that exists already is answered as created: the instance keeps them between runs.
async fn agency(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operator(&headers) {
        return unauthenticated();
    }
    let code = text(&body, "code");
    let mut db = m.db.lock().expect("db");
    if !db.directory.tenants.contains(&code) {
        db.directory.tenants.push(code.clone());
    }
    reply(StatusCode::CREATED, json!({ "agency": code }))
}

async fn member(
    State(m): Shared,
    headers: HeaderMap,
    Path(agency): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operator(&headers) {
        return unauthenticated();
    }
    let mut db = m.db.lock().expect("db");
    if db
        .directory
        .accounts
        .iter()
        .any(|a| a.login == text(&body, "email"))
    {
        return reply(StatusCode::CONFLICT, json!({ "error": "email taken" }));
    }
    let id = format!("M{}", db.directory.accounts.len() + 1);
    db.directory
        .enrol(id.clone(), agency, &body, ["email", "secret", "kind"]);
    reply(StatusCode::CREATED, json!({ "member": id }))
}

async fn mandate(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operator(&headers) {
        return unauthenticated();
    }
    let n =
        m.db.lock()
            .expect("db")
            .directory
            .represent(text(&body, "agent"), text(&body, "principal"));
    reply(StatusCode::CREATED, json!({ "mandate": n }))
}

async fn end_mandate(State(m): Shared, headers: HeaderMap, Path(n): Path<usize>) -> Response {
    if !operator(&headers) {
        return unauthenticated();
    }
    if m.db.lock().expect("db").directory.end(n) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn login(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(id) = db
        .directory
        .signed_in(&text(&body, "email"), &text(&body, "secret"))
        .map(|a| a.id.clone())
    else {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "bad credentials" }),
        );
    };
    let token = format!("rg{}{id}", db.tokens.len());
    db.tokens.push((token.clone(), id));
    reply(StatusCode::OK, json!({ "access": token }))
}

fn file_json(file: &File) -> Value {
    json!({ "ref": file.reference, "agency": file.agency, "subject": file.subject })
}

async fn create_file(
    State(m): Shared,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let agency = caller.tenant.clone();
    db.created += 1;
    let reference = format!("F{}", db.created);
    db.files.push(File {
        reference: reference.clone(),
        agency,
        owner: text(&body, "owner"),
        subject: body["subject"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "ref": reference }))
}

async fn read_file(
    State(m): Shared,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    match db.files.iter().find(|f| f.reference == reference) {
        // The planted flaw: the file is served by its reference alone.
        Some(file) if m.flawed || db.visible(caller, file) => {
            reply(StatusCode::OK, file_json(file))
        }
        _ => not_found(),
    }
}

async fn attach_paper(
    State(m): Shared,
    headers: HeaderMap,
    Path(reference): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    if !db
        .files
        .iter()
        .any(|f| f.reference == reference && db.visible(caller, f))
    {
        return not_found();
    }
    let id = format!("P{}", db.papers.len() + 1);
    db.papers.push((id.clone(), reference, body));
    reply(StatusCode::CREATED, json!({ "paper": id }))
}

async fn read_paper(State(m): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let Some((_, file, body)) = db.papers.iter().find(|p| p.0 == id) else {
        return not_found();
    };
    match db.files.iter().find(|f| &f.reference == file) {
        Some(f) if db.visible(caller, f) => reply(StatusCode::OK, body.clone()),
        _ => not_found(),
    }
}

async fn list_files(State(m): Shared, headers: HeaderMap) -> Response {
    let db = m.db.lock().expect("db");
    let Some(caller) = db.caller(&headers) else {
        return unauthenticated();
    };
    let files: Vec<Value> = db
        .files
        .iter()
        .filter(|f| db.visible(caller, f))
        .map(file_json)
        .collect();
    reply(StatusCode::OK, json!({ "items": files }))
}

fn router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/status", get(|| async { "up" }))
        .route("/ops/wipe", post(wipe))
        .route("/ops/agencies", post(agency))
        .route("/ops/agencies/{agency}/members", post(member))
        .route("/ops/mandates", post(mandate))
        .route("/ops/mandates/{n}", delete(end_mandate))
        .route("/login", post(login))
        .route("/files", get(list_files).post(create_file))
        .route("/files/{reference}", get(read_file))
        .route("/files/{reference}/papers", post(attach_paper))
        .route("/papers/{id}", get(read_paper))
        .with_state(mock)
}

/// cloison's description of Registre; `RESET` is replaced by a `[[reset]]` or nothing.
const PROFILE: &str = r#"
format = 1
name = "Registre (mock)"
secrets_file = "registre.secrets.toml"

[health]
path = "/status"

RESET

[roles]
applicant = "client"
representative = "proxy"
agent = "clerk"
tenant_admin = "director"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Operator", value = "{{secrets.operator}}" }

[provisioning.tenant]
method = "POST"
path = "/ops/agencies"
json = { code = "{{tenant.code}}" }

[provisioning.identity]
method = "POST"
path = "/ops/agencies/{{tenant.code}}/members"
json = { email = "{{identity.login}}", secret = "{{identity.password}}", kind = "{{identity.role}}" }
extract = { id = "/member" }

[provisioning.representation]
method = "POST"
path = "/ops/mandates"
json = { agent = "{{representative.id}}", principal = "{{represented.id}}" }
extract = { id = "/mandate" }

[provisioning.end_representation]
method = "DELETE"
path = "/ops/mandates/{{representation.id}}"

[auth]
scheme = "token"
token = { json = "/access" }
send = { header = "Authorization", value = "Bearer {{token}}" }

[auth.login]
method = "POST"
path = "/login"
json = { email = "{{identity.login}}", secret = "{{identity.password}}" }

[refusals]
statuses = [403, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/files"
extract = { id = "/ref" }
json = { owner = "{{person.account_id}}", subject = { surname = "{{person.surname}}", nir = "{{person.nir}}", address = "{{person.address_line}}", case_number = "{{case.case_number}}" } }

[resources.case.read]
path = "/files/{{case.id}}"

[resources.case.list]
path = "/files"

[resources.document.create]
as = "owner"
method = "POST"
path = "/files/{{case.id}}/papers"
extract = { id = "/paper" }
json = { reference = "{{document.reference}}", name = "{{document.file_name}}" }

[resources.document.read]
path = "/papers/{{document.id}}"
"#;

/// The reset, sent with the operator credential of `[provisioning]`.
const WIPE: &str = r#"[[reset]]
method = "POST"
path = "/ops/wipe""#;

/// One Registre instance, kept between runs.
struct Instance {
    mock: Arc<Mock>,
    addr: std::net::SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Instance {
    async fn start(flawed: bool) -> Instance {
        let mock = Arc::new(Mock {
            db: Mutex::new(Db::default()),
            flawed,
            wipes: AtomicUsize::new(0),
        });
        let (addr, server) = serve(router(mock.clone())).await;
        Instance { mock, addr, server }
    }

    /// A run at default flags, with or without the reset, that completes.
    async fn run(&self, seed: u64, reset: bool, allow_dirty: bool) -> RunResult {
        self.try_run(seed, reset, allow_dirty)
            .await
            .expect("the run completes")
    }

    /// A run at default flags, with or without the reset.
    async fn try_run(
        &self,
        seed: u64,
        reset: bool,
        allow_dirty: bool,
    ) -> Result<RunResult, CliError> {
        let profile = PROFILE.replace("RESET", if reset { WIPE } else { "" });
        let files = ProfileFiles::write(
            "registre",
            &profile,
            &format!("operator = \"{OPERATOR}\"\n"),
        );
        let args = RunArgs {
            allow_dirty,
            ..url_args(self.addr, &files, seed, 2, 10)
        };
        execute(&args).await
    }

    fn files(&self) -> usize {
        self.mock.db.lock().expect("db").files.len()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_an_uncleaned_instance_stops_with_the_reset_advice_and_no_finding() {
    let instance = Instance::start(false).await;
    let first = instance.run(1, false, false).await;
    assert_clean(&first, "run 1 on a fresh instance");
    assert!(first.report.stats.preflight_reads > 0, "the preflight read");
    let kept = instance.files();
    assert!(kept > 0, "run 1's case files stay on the instance");

    // Run 2 stops before seeding: exit 2, no report, hence no finding.
    let Err(refused) = instance.try_run(2, false, false).await else {
        panic!("run 2 on the uncleaned instance must stop");
    };
    assert_eq!(refused.process_exit_code(), EXIT_USAGE);
    let message = refused.message().unwrap_or_default();
    assert!(
        message.contains("not clean")
            && message.contains("earlier cloison run")
            && message.contains("resources.case.list (GET http://")
            && message.contains("[[reset]]")
            && message.contains("--allow-dirty"),
        "{message}"
    );
    assert_eq!(instance.files(), kept, "nothing seeded after the preflight");

    // The reset declared: the instance is wiped before provisioning, and run 2 is clean.
    let reset = instance.run(2, true, false).await;
    assert_clean(&reset, "run 2 after the reset");
    assert_eq!(instance.mock.wipes.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_on_a_dirty_instance_another_seed_proves_nothing_and_a_real_flaw_still_does() {
    // The fixed twin: every agent lists run 1's case files, none of which is run 2's canary.
    let instance = Instance::start(false).await;
    assert_clean(&instance.run(1, false, false).await, "run 1");
    let dirty = instance.run(2, false, true).await;
    assert_clean(&dirty, "run 2 with --allow-dirty");
    assert!(
        dirty
            .report
            .warnings
            .iter()
            .any(|w| w.contains("--allow-dirty")),
        "{:?}",
        dirty.report.warnings
    );
    assert!(
        dirty.report.replay.contains("--run-tag 2")
            && dirty.report.replay.contains("--allow-dirty"),
        "{}",
        dirty.report.replay
    );
    assert_eq!(dirty.report.run_tag, 2);

    // The flawed twin: the read by reference alone is a proven leak on the dirty instance too.
    let flawed = Instance::start(true).await;
    assert_eq!(flawed.run(1, false, false).await.exit, EXIT_FINDINGS);
    let found = flawed.run(2, false, true).await;
    assert_eq!(found.exit, EXIT_FINDINGS, "{}", found.report.summary());
    assert!(
        found
            .report
            .root_causes
            .iter()
            .any(|c| c.endpoint == "resources.case.read" && c.evidence == Evidence::ProvenLeak),
        "{}",
        found.report.summary()
    );
}

/// The reference portal as a separate server kept between two runs (its profile declares no reset): the
/// second seed's run stops at the preflight with the advice, before seeding anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_portal_kept_between_two_seeds_stops_the_second_run() {
    let portal = cloison_fixtures::spawn(cloison_fixtures::PortalConfig {
        operator_token: "kept-portal".into(),
        argon2: cloison_fixtures::Argon2Params::CHEAP,
        ..Default::default()
    })
    .await
    .expect("portal");
    let dir = tempfile::TempDir::new().expect("a temporary directory");
    let args = |seed| RunArgs {
        target: cloison_harness::target::TargetSpec::Url(portal.base_url().parse().expect("url")),
        secrets: Some(crate::support::proxy::secrets_file(&dir, "kept-portal")),
        seed,
        cases: 8,
        quiet: true,
        ..RunArgs::default()
    };
    let first = execute(&args(1)).await.expect("run 1 completes");
    assert_eq!(
        first.exit,
        cloison_harness::cli::EXIT_OK,
        "{}",
        first.report.summary()
    );
    let Err(refused) = execute(&args(2)).await else {
        panic!("run 2 on the kept portal must stop at the preflight");
    };
    assert_eq!(refused.process_exit_code(), EXIT_USAGE);
    let message = refused.message().unwrap_or_default();
    assert!(
        message.contains("earlier cloison run") && message.contains("[[reset]]"),
        "{message}"
    );
    portal.shutdown().await;
}
