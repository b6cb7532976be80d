//! A platform whose exports are prepared in the background and whose back office has functions that name no
//! record: "Officine", an in-memory axum mock with tokens in `Authorization: Token ...`, string member
//! identifiers and refusals as 403 or 404. cloison knows it only through the profile below.
//!
//! - `GET /dossiers/export` answers `202 Accepted` with a `Location` to poll: the job answers `202` while it
//!   is being prepared (the first look), then the CSV of the dossiers, to the member who asked only.
//! - `POST /admin/purge` (granted to leads) deletes the dossiers of the caller's org: a function that
//!   changes state and names no record.
//! - `GET /internal/metrics` is granted to nobody: every member is refused.
//!
//! The planted flaws, one at a time: the purge checks only that the caller is signed in (found: a function
//! a role is not granted answers a success; the first call accepted is the only one, the calls after it are
//! not sent), and the export lists every dossier of the caller's org (found: the polled download carries
//! other members' canaries). The fixed twin is clean (exit 0): every export is polled to its result, which
//! carries the caller's own dossiers only, and every purge is refused. All at default flags.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_INCONCLUSIVE};
use serde_json::{Value, json};

use crate::support::answer::{
    Upload, credential, file_answer, header_is, not_found, reply, text, upload,
};
use crate::support::directory::{Account, Directory};
use crate::support::{BinaryRun, RunSpec, run_binary, serve};

const OPS_KEY: &str = "officine-ops-key";

#[derive(Debug, Clone, Copy, Default)]
struct Flaws {
    /// The purge lets any signed-in member through.
    open_purge: bool,
    /// An export lists every dossier of the caller's org.
    export_all: bool,
    /// A decision on a dossier is taken from any signed-in member (clerks of its org only, fixed).
    open_decide: bool,
}

#[derive(Debug)]
struct Dossier {
    id: String,
    org: String,
    holder: String,
    content: Value,
}

struct Piece {
    id: String,
    dossier: String,
    upload: Upload,
}

#[derive(Debug)]
struct Job {
    owner: String,
    /// Looks before the result is ready.
    pending: usize,
    csv: String,
}

#[derive(Default)]
struct Db {
    directory: Directory<String>,
    dossiers: Vec<Dossier>,
    pieces: Vec<Piece>,
    /// token -> member id
    tokens: HashMap<String, String>,
    jobs: Vec<Job>,
    /// Exports delivered, purges done, purges refused.
    delivered: usize,
    purged: usize,
    purges_refused: usize,
    /// Decisions taken, and decisions whose body was malformed.
    decided: usize,
    malformed: usize,
}

impl Db {
    fn caller(&self, headers: &HeaderMap) -> Option<&Account<String>> {
        let id = self.tokens.get(credential(headers, "Token ")?)?;
        self.directory.account(id.as_str())
    }

    fn staff(member: &Account<String>) -> bool {
        member.role == "clerk" || member.role == "lead"
    }

    fn may_see(&self, member: &Account<String>, dossier: &Dossier) -> bool {
        if Self::staff(member) {
            return member.tenant == dossier.org;
        }
        self.directory.acts_for(member, dossier.holder.as_str())
    }
}

struct Officine {
    db: Mutex<Db>,
    flaws: Flaws,
}

type Shared = State<Arc<Officine>>;

fn unauthorized() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "error": "sign in" }))
}

fn forbidden() -> Response {
    reply(StatusCode::FORBIDDEN, json!({ "error": "forbidden" }))
}

fn ops(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Ops", OPS_KEY)
}

async fn create_org(
    headers: HeaderMap,
    State(c): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let slug = text(&body, "slug");
    c.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(slug.clone());
    reply(StatusCode::CREATED, json!({ "org": slug }))
}

async fn create_member(
    headers: HeaderMap,
    State(c): Shared,
    Path(slug): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let mut db = c.db.lock().expect("db");
    let id = format!("mb-{}", db.directory.accounts.len() + 1);
    db.directory
        .enrol(id.clone(), slug, &body, ["login", "pw", "role"]);
    reply(StatusCode::CREATED, json!({ "member": { "id": id } }))
}

async fn create_mandate(
    headers: HeaderMap,
    State(c): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let mut db = c.db.lock().expect("db");
    let number = db
        .directory
        .represent(text(&body, "rep"), text(&body, "holder"));
    reply(
        StatusCode::CREATED,
        json!({ "mandate": number.to_string() }),
    )
}

async fn revoke_mandate(
    headers: HeaderMap,
    State(c): Shared,
    Path(number): Path<usize>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    if c.db.lock().expect("db").directory.end(number) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn session(State(c): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = c.db.lock().expect("db");
    let Some(id) = db
        .directory
        .signed_in(&text(&body, "login"), &text(&body, "pw"))
        .map(|m| m.id.clone())
    else {
        return unauthorized();
    };
    let token = format!("tk-{}-{id}", db.tokens.len() + 1);
    db.tokens.insert(token.clone(), id);
    reply(StatusCode::OK, json!({ "token": token }))
}

async fn create_dossier(
    headers: HeaderMap,
    State(c): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let holder = text(&body, "holder");
    let Some(owner) = db.directory.account(holder.as_str()) else {
        return not_found();
    };
    if !db.directory.acts_for(me, holder.as_str()) {
        return forbidden();
    }
    let org = owner.tenant.clone();
    let id = format!("DOS-{}", db.dossiers.len() + 1);
    db.dossiers.push(Dossier {
        id: id.clone(),
        org,
        holder,
        content: body,
    });
    reply(StatusCode::CREATED, json!({ "dossier": id }))
}

async fn read_dossier(headers: HeaderMap, State(c): Shared, Path(id): Path<String>) -> Response {
    let db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    match db.dossiers.iter().find(|d| d.id == id) {
        Some(d) if db.may_see(me, d) => {
            reply(StatusCode::OK, json!({ "id": d.id, "content": d.content }))
        }
        _ => not_found(),
    }
}

/// A piece (a document) attached to a dossier the caller may see.
async fn attach(
    headers: HeaderMap,
    State(c): Shared,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "blob", "piece").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "blob" }));
    };
    let mut db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    if !db.dossiers.iter().any(|d| d.id == id && db.may_see(me, d)) {
        return not_found();
    }
    let piece = format!("PC-{}", db.pieces.len() + 1);
    db.pieces.push(Piece {
        id: piece.clone(),
        dossier: id,
        upload: file,
    });
    reply(StatusCode::CREATED, json!({ "piece": piece }))
}

async fn piece(headers: HeaderMap, State(c): Shared, Path(id): Path<String>) -> Response {
    let db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(p) = db.pieces.iter().find(|p| p.id == id) else {
        return not_found();
    };
    if !db
        .dossiers
        .iter()
        .any(|d| d.id == p.dossier && db.may_see(me, d))
    {
        return not_found();
    }
    file_answer(
        p.upload.mime.clone(),
        &p.upload.name,
        p.upload.bytes.clone(),
    )
}

/// An export: prepared in the background, to be fetched at the job's location.
async fn export(headers: HeaderMap, State(c): Shared) -> Response {
    let mut db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let listed: Vec<&Dossier> = db
        .dossiers
        .iter()
        .filter(|d| {
            if c.flaws.export_all {
                d.org == me.tenant
            } else {
                db.may_see(me, d)
            }
        })
        .collect();
    let mut csv = String::from("id;surname;first_name;nir\n");
    for d in listed {
        let person = &d.content["person"];
        csv.push_str(&format!(
            "{};{};{};{}\n",
            d.id,
            text(person, "surname"),
            text(person, "first_name"),
            text(person, "nir")
        ));
    }
    let job = Job {
        owner: me.id.clone(),
        pending: 1,
        csv,
    };
    db.jobs.push(job);
    let location = format!("/jobs/{}", db.jobs.len());
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location.clone())],
        axum::Json(json!({ "job": location, "state": "queued" })),
    )
        .into_response()
}

/// A job: `202` while it is prepared, then the CSV, to the member who asked only.
async fn job(headers: HeaderMap, State(c): Shared, Path(number): Path<usize>) -> Response {
    let mut db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers).map(|m| m.id.clone()) else {
        return unauthorized();
    };
    let Some(job) = number.checked_sub(1).and_then(|i| db.jobs.get_mut(i)) else {
        return not_found();
    };
    if job.owner != me {
        return not_found();
    }
    if job.pending > 0 {
        job.pending -= 1;
        return reply(StatusCode::ACCEPTED, json!({ "state": "running" }));
    }
    let csv = job.csv.clone();
    db.delivered += 1;
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv,
    )
        .into_response()
}

/// Purge the caller's org: leads only (any signed-in member under the flaw).
async fn purge(headers: HeaderMap, State(c): Shared) -> Response {
    let mut db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let (role, org) = (me.role.clone(), me.tenant.clone());
    if role != "lead" && !c.flaws.open_purge {
        db.purges_refused += 1;
        return forbidden();
    }
    let before = db.dossiers.len();
    db.dossiers.retain(|d| d.org != org);
    db.purged += 1;
    reply(
        StatusCode::OK,
        json!({ "purged": before - db.dossiers.len() }),
    )
}

/// Decide a dossier: clerks of its org only (any signed-in member under the flaw). The body is validated
/// before the caller's rights, as many frameworks do: a malformed body is a 422 to anyone.
async fn decide(
    headers: HeaderMap,
    State(c): Shared,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = c.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let (role, org) = (me.role.clone(), me.tenant.clone());
    let outcome = body["outcome"].as_str().unwrap_or_default().to_string();
    if !matches!(outcome.as_str(), "granted" | "refused") {
        db.malformed += 1;
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "outcome: expected granted or refused" }),
        );
    }
    let Some(dossier_org) = db
        .dossiers
        .iter()
        .find(|d| d.id == id)
        .map(|d| d.org.clone())
    else {
        return not_found();
    };
    let clerk_of_its_org = role == "clerk" && org == dossier_org;
    if !clerk_of_its_org && !c.flaws.open_decide {
        return forbidden();
    }
    db.decided += 1;
    reply(StatusCode::OK, json!({ "dossier": id, "outcome": outcome }))
}

/// Granted to nobody: the platform's own monitoring reads it from inside.
async fn metrics(headers: HeaderMap, State(c): Shared) -> Response {
    if c.db.lock().expect("db").caller(&headers).is_none() {
        return unauthorized();
    }
    forbidden()
}

fn router(officine: Arc<Officine>) -> Router {
    Router::new()
        .route("/ping", get(|| async { "pong" }))
        .route("/ops/orgs", post(create_org))
        .route("/ops/orgs/{slug}/members", post(create_member))
        .route("/ops/mandates", post(create_mandate))
        .route("/ops/mandates/{number}/revoke", post(revoke_mandate))
        .route("/sessions", post(session))
        .route("/dossiers", post(create_dossier))
        .route("/dossiers/export", get(export))
        .route("/dossiers/{id}", get(read_dossier))
        .route("/dossiers/{id}/pieces", post(attach))
        .route("/pieces/{id}", get(piece))
        .route("/jobs/{number}", get(job))
        .route("/admin/purge", post(purge))
        .route("/dossiers/{id}/decision", post(decide))
        .route("/internal/metrics", get(metrics))
        .with_state(officine)
}

const PROFILE: &str = r#"
format = 1
name = "Officine (mock)"
secrets_file = "officine.secrets.toml"

[health]
path = "/ping"

[roles]
applicant = "member"
representative = "proxy"
agent = "clerk"
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
operator = { header = "X-Ops", value = "{{secrets.ops_key}}" }

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
token = { json = "/token" }
send = { header = "Authorization", value = "Token {{token}}" }

[auth.login]
method = "POST"
path = "/sessions"
json = { login = "{{identity.login}}", pw = "{{identity.password}}" }

[refusals]
statuses = [403, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/dossiers"
extract = { id = "/dossier" }
json = { holder = "{{person.account_id}}", person = { surname = "{{person.surname}}", first_name = "{{person.first_name}}", nir = "{{person.nir}}" } }

[resources.case.read]
path = "/dossiers/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/dossiers/{{case.id}}/pieces"
extract = { id = "/piece" }
multipart = [{ name = "blob", file = "document" }]

[resources.document.download]
path = "/pieces/{{document.id}}"

# Prepared in the background: a 202 whose Location is polled until the CSV is ready.
[resources.case.export]
path = "/dossiers/export"

[functions.purge]
method = "POST"
path = "/admin/purge"
granted = ["tenant_admin"]

[functions.metrics]
path = "/internal/metrics"
granted = []
"#;

/// A decision on a dossier, granted to agents (clerks); its body as the platform takes it.
const DECIDE: &str = r#"
[functions.decide]
method = "POST"
path = "/dossiers/{{case.id}}/decision"
granted = ["agent"]
json = { outcome = "granted" }
"#;

/// A finished run against Officine, and what the platform counted.
struct OfficineRun {
    run: BinaryRun,
    delivered: usize,
    purged: usize,
    purges_refused: usize,
    decided: usize,
    malformed: usize,
}

async fn run_officine(flaws: Flaws) -> OfficineRun {
    run_officine_with(flaws, PROFILE).await
}

async fn run_officine_with(flaws: Flaws, profile: &str) -> OfficineRun {
    let officine = Arc::new(Officine {
        db: Mutex::new(Db::default()),
        flaws,
    });
    let (addr, server) = serve(router(officine.clone())).await;
    let run = run_binary(
        addr,
        RunSpec {
            profile,
            name: "officine",
            secrets: &format!("ops_key = \"{OPS_KEY}\"\n"),
            seed: 3,
            tenants: 2,
            cases: 8,
        },
    )
    .await;
    server.abort();
    let db = officine.db.lock().expect("db");
    OfficineRun {
        run,
        delivered: db.delivered,
        purged: db.purged,
        purges_refused: db.purges_refused,
        decided: db.decided,
        malformed: db.malformed,
    }
}

/// The fixed twin: every export is polled to its CSV (the caller's own dossiers only), every purge and every
/// metrics call is refused, and the run is clean: the function granted to nobody is probed (every role,
/// refused), not an inconclusive run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_officine_is_clean_with_its_exports_polled_and_its_functions_probed() {
    let fixed = run_officine(Flaws::default()).await;
    fixed.run.assert_clean();
    assert!(fixed.delivered > 0, "exports were polled to their result");
    assert_eq!(fixed.purged, 0);
    assert!(
        fixed.purges_refused >= 3,
        "every role but leads tried the purge"
    );
    let families = fixed.run.report["coverage"]["families"]
        .as_array()
        .expect("families");
    let probes = |name: &str| {
        families
            .iter()
            .find(|f| f["family"] == name)
            .and_then(|f| f["probes"].as_u64())
            .unwrap_or(0)
    };
    assert!(
        probes("function-level") > 0 && probes("export") > 0,
        "{families:?}"
    );
}

/// The purge lets any member through: found as a function-level finding on `functions.purge`, and the
/// first call accepted is the only one (the others are not sent: what it changed is unknown). The
/// finding is status-only (a purge names no record to read back): a warning by default, and the functions
/// left unsent make the run inconclusive (exit 4), never clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_open_to_every_member_is_found_and_called_once() {
    let flawed = run_officine(Flaws {
        open_purge: true,
        ..Flaws::default()
    })
    .await;
    flawed.run.assert_exit(EXIT_INCONCLUSIVE);
    flawed
        .run
        .cause("a function-level finding on the purge", |c| {
            c["endpoint"] == "functions.purge" && c["family"] == "function-level"
        });
    flawed
        .run
        .assert_only_on("functions.purge", "only the purge is at fault");
    assert_eq!(flawed.purged, 1, "one accepted purge, none after it");
}

/// The export lists the caller's whole org: the CSV fetched by polling the job carries other members'
/// canaries, a proven leak on the export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_whose_polled_result_carries_others_dossiers_is_a_proven_leak() {
    let flawed = run_officine(Flaws {
        export_all: true,
        ..Flaws::default()
    })
    .await;
    flawed.run.assert_exit(EXIT_FINDINGS);
    flawed.run.cause("a proven leak on the export", |c| {
        c["endpoint"] == "resources.case.export" && c["evidence"] == "proven-leak"
    });
    assert!(flawed.delivered > 0);
}

/// A function's body that the platform rejects as malformed (`result` where it reads `outcome`) is the
/// profile's mistake: every role not granted it gets a 422 (not a listed refusal), and so does a clerk, whom
/// the policy allows; the run stops with exit 2 at the function's line, never a finding. With the body
/// right, the fixed platform refuses every forbidden decision (exit 0), and the flawed one, which serves any
/// member, is still found (a status-only warning).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_body_the_platform_rejects_for_everyone_is_a_profile_error() {
    let right = format!("{PROFILE}\n{DECIDE}");
    let wrong = right.replace(
        "json = { outcome = \"granted\" }",
        "json = { result = \"granted\" }",
    );
    assert_ne!(wrong, right);
    let line = wrong
        .lines()
        .position(|l| l == "[functions.decide]")
        .expect("the function's table")
        + 1;

    let rejected = run_officine_with(Flaws::default(), &wrong).await;
    let run = &rejected.run;
    run.assert_exit(2);
    assert!(
        run.stderr.contains(&format!("officine.toml:{line}:"))
            && run.stderr.contains("`functions.decide`")
            && run.stderr.contains("422"),
        "the error names the function and its line {line}: {}",
        run.stderr
    );
    assert!(rejected.malformed > 0 && rejected.decided == 0);

    let fixed = run_officine_with(Flaws::default(), &right).await;
    fixed.run.assert_clean();
    assert_eq!((fixed.malformed, fixed.decided), (0, 0));

    let flawed = run_officine_with(
        Flaws {
            open_decide: true,
            ..Flaws::default()
        },
        &right,
    )
    .await;
    // A decision names no record cloison can read back: status-only, a warning that does not fail the
    // run by default (`--fail-on suspicious` would), but is found and listed.
    flawed.run.assert_exit(0);
    flawed
        .run
        .cause("a function-level finding on the decision", |c| {
            c["endpoint"] == "functions.decide"
                && c["family"] == "function-level"
                && c["evidence"] == "suspicious"
        });
    assert!(flawed.decided > 0);
}
