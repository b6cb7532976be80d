//! "Annuaire": an association platform whose member directory (`GET /directory`) shows every member of the
//! caller's association by name, to every member, by design. Case files ("dossiers") are opened by staff
//! for a member (`POST /dossiers`, HTTP Basic), their pieces uploaded by the member or whoever acts for
//! them. Staff read their association's dossiers through the list (`GET /dossiers`), and the single-dossier
//! route (`GET /dossiers/{id}`) is for the member and their representatives only: it refuses staff.
//!
//! cloison knows it only through the profile below, written from docs/profile-format.md: the directory is a
//! resource of accounts (`entity = "account"`), the names it shows are declared public to every role
//! (`[policy.public] surname = ["*"]`), and the single-dossier route narrows staff to nothing (`narrow = {
//! staff = ["nothing"] }`).
//!
//! The fixed twin is clean (exit 0). Without `[policy.public]`, the names the directory shows by design
//! are proven leaks; without `narrow`, the refusals of the single-dossier route to staff fail their
//! controls: both declarations are needed, and neither hides anything else. The planted flaw (the
//! directory also shows each member's e-mail, their login) is a proven leak naming the e-mail (exit 1).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_TARGET};
use cloison_harness::report::{Evidence, Report};
use cloison_harness::run::{RunResult, execute};
use serde_json::{Value, json};

use crate::support::answer::{
    Upload, base64_decode, credential, file_answer, header_is, not_found, reply, text, upload,
};
use crate::support::directory::{Account, Directory, numbered};
use crate::support::files::ProfileFiles;
use crate::support::library::{assert_clean, url_args};
use crate::support::serve;

const ADMIN_KEY: &str = "annuaire-admin-key";

type Member = Account<String>;

#[derive(Debug)]
struct Dossier {
    id: String,
    association: String,
    /// The member it is about.
    holder: String,
    title: Value,
    subject: Value,
}

struct Piece {
    id: String,
    dossier: String,
    upload: Upload,
}

#[derive(Default)]
struct Db {
    /// Associations, members and mandates (`md1`, `md2`, ...).
    directory: Directory<String>,
    /// Member id -> the name it was enrolled with.
    names: HashMap<String, String>,
    dossiers: Vec<Dossier>,
    pieces: Vec<Piece>,
}

impl Db {
    /// The caller, from HTTP Basic.
    fn caller(&self, headers: &HeaderMap) -> Option<&Member> {
        let decoded = base64_decode(credential(headers, "Basic ")?)?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (login, password) = decoded.split_once(':')?;
        self.directory.signed_in(login, password)
    }

    fn is_staff(member: &Member) -> bool {
        member.role == "staff" || member.role == "tenant_admin"
    }

    /// Staff see their association; members what is about them or whom they act for.
    fn may_see(&self, me: &Member, holder: &str, association: &str) -> bool {
        if Self::is_staff(me) {
            return me.tenant == association;
        }
        self.directory.acts_for(me, holder)
    }

    fn dossier(&self, id: &str) -> Option<&Dossier> {
        self.dossiers.iter().find(|d| d.id == id)
    }

    /// The name the directory shows: the surname of the member's own dossier when it has one (members
    /// enrolled for someone else's file carry only a first name), else the name it was enrolled with.
    fn shown_name(&self, member: &Member) -> String {
        self.dossiers
            .iter()
            .find(|d| d.holder == member.id)
            .and_then(|d| d.subject["surname"].as_str())
            .map(str::to_string)
            .or_else(|| self.names.get(&member.id).cloned())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Annuaire {
    db: Mutex<Db>,
    /// The planted flaw: the directory also shows each member's login (their e-mail).
    directory_shows_logins: bool,
    /// Single-dossier reads refused to staff of the dossier's own association.
    staff_refused: AtomicUsize,
}

type Shared = State<Arc<Annuaire>>;

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"annuaire\"")],
        "",
    )
        .into_response()
}

fn forbidden() -> Response {
    reply(StatusCode::FORBIDDEN, json!({ "error": "forbidden" }))
}

async fn create_association(
    headers: HeaderMap,
    State(a): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Annuaire-Admin", ADMIN_KEY) {
        return unauthorized();
    }
    let code = text(&body, "code");
    a.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(code.clone());
    reply(StatusCode::CREATED, json!({ "association": code }))
}

async fn enrol(
    headers: HeaderMap,
    State(a): Shared,
    Path(code): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Annuaire-Admin", ADMIN_KEY) {
        return unauthorized();
    }
    let mut db = a.db.lock().expect("db");
    if !db.directory.tenants.contains(&code) {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": "association" }),
        );
    }
    let id = format!("mb{}", db.directory.accounts.len() + 1);
    db.directory
        .enrol(id.clone(), code, &body, ["email", "password", "role"]);
    db.names.insert(id.clone(), text(&body, "name"));
    reply(StatusCode::CREATED, json!({ "member": { "id": id } }))
}

async fn mandate(
    headers: HeaderMap,
    State(a): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !header_is(&headers, "X-Annuaire-Admin", ADMIN_KEY) {
        return unauthorized();
    }
    let mut db = a.db.lock().expect("db");
    let n = db
        .directory
        .represent(text(&body, "agent"), text(&body, "principal"));
    reply(StatusCode::CREATED, json!({ "id": format!("md{n}") }))
}

async fn end_mandate(headers: HeaderMap, State(a): Shared, Path(id): Path<String>) -> Response {
    if !header_is(&headers, "X-Annuaire-Admin", ADMIN_KEY) {
        return unauthorized();
    }
    let mut db = a.db.lock().expect("db");
    if numbered(&id, "md").is_some_and(|n| db.directory.end(n)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

/// Every member of the caller's association, by name, and the caller's own login (with the flaw, every
/// member's login).
async fn directory(headers: HeaderMap, State(a): Shared) -> Response {
    let db = a.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let members: Vec<Value> = db
        .directory
        .accounts
        .iter()
        .filter(|m| m.tenant == me.tenant)
        .map(|m| {
            let mut entry = json!({ "id": m.id, "name": db.shown_name(m) });
            // The caller's own entry shows its login too (its e-mail); the flaw shows everyone's.
            if a.directory_shows_logins || m.id == me.id {
                entry["email"] = json!(m.login);
            }
            entry
        })
        .collect();
    reply(StatusCode::OK, json!({ "members": members }))
}

/// A member's page: their name, login and role, for themselves, whoever acts for them, and staff.
async fn member_page(headers: HeaderMap, State(a): Shared, Path(id): Path<String>) -> Response {
    let db = a.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    match db.directory.account(id.as_str()) {
        Some(m) if db.may_see(me, &m.id, &m.tenant) => reply(
            StatusCode::OK,
            json!({ "id": m.id, "name": db.shown_name(m), "email": m.login, "role": m.role }),
        ),
        _ => not_found(),
    }
}

/// Staff open a dossier for a member of their association.
async fn open_dossier(
    headers: HeaderMap,
    State(a): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = a.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let holder = text(&body, "holder");
    let association = match db.directory.account(holder.as_str()) {
        Some(h) if Db::is_staff(me) && h.tenant == me.tenant => h.tenant.clone(),
        Some(_) => return forbidden(),
        None => {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "error": "holder" }),
            );
        }
    };
    let id = format!("d{}", db.dossiers.len() + 1);
    db.dossiers.push(Dossier {
        id: id.clone(),
        association,
        holder,
        title: body["title"].clone(),
        subject: body["subject"].clone(),
    });
    reply(StatusCode::CREATED, json!({ "dossier": { "id": id } }))
}

fn dossier_json(d: &Dossier) -> Value {
    json!({ "id": d.id, "title": d.title, "subject": d.subject })
}

/// The dossiers the caller may see.
async fn list_dossiers(headers: HeaderMap, State(a): Shared) -> Response {
    let db = a.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let items: Vec<Value> = db
        .dossiers
        .iter()
        .filter(|d| db.may_see(me, &d.holder, &d.association))
        .map(dossier_json)
        .collect();
    reply(StatusCode::OK, json!({ "dossiers": items }))
}

/// One dossier, for its member and whoever acts for them: staff are refused here by design.
async fn read_dossier(headers: HeaderMap, State(a): Shared, Path(id): Path<String>) -> Response {
    let db = a.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    if me.role == "staff" {
        let theirs = db.dossier(&id).is_some_and(|d| d.association == me.tenant);
        a.staff_refused
            .fetch_add(usize::from(theirs), Ordering::SeqCst);
        return forbidden();
    }
    match db.dossier(&id) {
        Some(d) if db.may_see(me, &d.holder, &d.association) => {
            reply(StatusCode::OK, dossier_json(d))
        }
        _ => not_found(),
    }
}

async fn add_piece(
    headers: HeaderMap,
    State(a): Shared,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(file) = upload(&mut multipart, "file", "piece").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "file" }));
    };
    let mut db = a.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let visible = db
        .dossier(&id)
        .is_some_and(|d| db.may_see(me, &d.holder, &d.association));
    if !visible {
        return not_found();
    }
    let Some(file) = file else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "no file" }));
    };
    let piece = format!("p{}", db.pieces.len() + 1);
    db.pieces.push(Piece {
        id: piece.clone(),
        dossier: id,
        upload: file,
    });
    reply(StatusCode::CREATED, json!({ "piece": { "id": piece } }))
}

async fn download(headers: HeaderMap, State(a): Shared, Path(id): Path<String>) -> Response {
    let db = a.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(piece) = db.pieces.iter().find(|p| p.id == id) else {
        return not_found();
    };
    match db.dossier(&piece.dossier) {
        Some(d) if db.may_see(me, &d.holder, &d.association) => file_answer(
            piece.upload.mime.clone(),
            &piece.upload.name,
            piece.upload.bytes.clone(),
        ),
        _ => not_found(),
    }
}

fn router(annuaire: Arc<Annuaire>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/admin/associations", post(create_association))
        .route("/admin/associations/{code}/members", post(enrol))
        .route("/admin/mandates", post(mandate))
        .route("/admin/mandates/{id}", delete(end_mandate))
        .route("/directory", get(directory))
        .route("/members/{id}", get(member_page))
        .route("/dossiers", post(open_dossier).get(list_dossiers))
        .route("/dossiers/{id}", get(read_dossier))
        .route("/dossiers/{id}/pieces", post(add_piece))
        .route("/pieces/{id}", get(download))
        .with_state(annuaire)
}

/// Names public to every member, by design.
const PUBLIC: &str = r#"
[policy.public]
surname = ["*"]
"#;

/// The single-dossier route refuses staff, by design.
const NARROW: &str = "narrow = { staff = [\"nothing\"] }\n";

/// cloison's description of Annuaire, with `{{NARROW}}` where the single-dossier route's narrowing goes.
const PROFILE: &str = r#"
format = 2
name = "Annuaire (a member directory, names public by design)"
secrets_file = "annuaire.secrets.toml"

[health]
path = "/health"

[roles]
agent = "staff"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
staff = ["tenant"]
tenant_admin = ["tenant"]
anonymous = ["nothing"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Annuaire-Admin", value = "{{secrets.admin_key}}" }

[provisioning.tenant]
method = "POST"
path = "/admin/associations"
json = { code = "{{tenant.code}}", name = "{{tenant.name}}" }

[provisioning.identity]
method = "POST"
path = "/admin/associations/{{tenant.code}}/members"
json = { email = "{{identity.login}}", password = "{{identity.password}}", role = "{{identity.role}}", name = "{{identity.display_name}}" }
extract = { id = "/member/id" }

[provisioning.representation]
method = "POST"
path = "/admin/mandates"
json = { agent = "{{representative.id}}", principal = "{{represented.id}}" }
extract = { id = "/id" }

[provisioning.end_representation]
method = "DELETE"
path = "/admin/mandates/{{representation.id}}"

[auth]
scheme = "basic"

[refusals]
statuses = [401, 403, 404]

[resources.member]
entity = "account"

[resources.member.list]
path = "/directory"

[resources.member.read]
path = "/members/{{member.id}}"

[resources.dossier]
entity = "case"

[resources.dossier.create]
as = "agent"
method = "POST"
path = "/dossiers"
json = { holder = "{{person.account_id}}", title = "{{dossier.case_number}}", subject = { surname = "{{person.surname}}", nir = "{{person.nir}}" } }
extract = { id = "/dossier/id" }

[resources.dossier.read]
path = "/dossiers/{{dossier.id}}"
{{NARROW}}
[resources.dossier.list]
path = "/dossiers"

[resources.piece]
entity = "document"

[resources.piece.create]
as = "owner"
method = "POST"
path = "/dossiers/{{dossier.id}}/pieces"
extract = { id = "/piece/id" }
multipart = [{ name = "file", file = "document" }]

[resources.piece.download]
path = "/pieces/{{piece.id}}"
"#;

/// The profile, with or without each declaration.
fn profile(public: bool, narrow: bool) -> String {
    let text = PROFILE.replace("{{NARROW}}", if narrow { NARROW } else { "" });
    if public {
        format!("{text}{PUBLIC}")
    } else {
        text
    }
}

/// Serve Annuaire and run cloison against it at default flags.
async fn run_annuaire(directory_shows_logins: bool, profile: &str) -> (RunResult, Arc<Annuaire>) {
    let annuaire = Arc::new(Annuaire {
        directory_shows_logins,
        ..Annuaire::default()
    });
    let (addr, server) = serve(router(annuaire.clone())).await;
    let files = ProfileFiles::write(
        "annuaire",
        profile,
        &format!("admin_key = \"{ADMIN_KEY}\"\n"),
    );
    let result = execute(&url_args(addr, &files, 1, 2, 12))
        .await
        .expect("the run completes");
    server.abort();
    (result, annuaire)
}

/// The kinds of value the proven leaks on `endpoint` carried.
fn leaked_fields(report: &Report, endpoint: &str) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| {
            report
                .root_causes
                .get(f.root_cause)
                .is_some_and(|c| c.endpoint == endpoint)
        })
        .flat_map(|f| f.leaked.iter().map(|hit| hit.field.name().to_string()))
        .collect()
}

/// The fixed twin, with both declarations, is clean at default flags: the directory's names are never
/// counted, and the single-dossier route's refusals to staff are neither controls that fail nor findings.
/// Without `[policy.public]`, the same names are proven leaks on the directory, and nothing else is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annuaire_names_public_by_design_are_declared_and_nothing_else_is() {
    let (declared, _) = run_annuaire(false, &profile(true, true)).await;
    assert_clean(&declared, "names declared public, staff narrowed");
    let report = &declared.report;
    assert!(
        report
            .coverage
            .endpoints
            .get("resources.member.list")
            .is_some_and(|n| *n > 0),
        "the directory was probed: {:?}",
        report.coverage.endpoints
    );
    // No probe expects staff to read through the single-dossier route (the stateful suite's reads are
    // still sent there, and judged as declared); the report says which cells were left out, and why.
    let read = "resources.dossier.read";
    let expecting: Vec<_> = report
        .coverage
        .cells
        .iter()
        .filter(|c| c.endpoint == read && c.role == "agent")
        .filter(|c| matches!(c.family.name(), "allowed-read" | "control"))
        .collect();
    assert!(expecting.is_empty(), "{expecting:?}");
    assert!(
        report.coverage.unplanned.iter().any(|u| u.endpoint == read
            && u.role == "agent"
            && u.reason.contains("narrows this role")),
        "{:?}",
        report.coverage.unplanned
    );
    assert!(
        report
            .coverage
            .cells
            .iter()
            .any(|c| c.endpoint == read && c.family.name() == "control"),
        "the route's controls are its members' own reads"
    );

    let (undeclared, _) = run_annuaire(false, &profile(false, true)).await;
    let report = &undeclared.report;
    assert_eq!(undeclared.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.endpoint == "resources.member.list" && c.evidence == Evidence::ProvenLeak),
        "only the directory's names: {}",
        report.summary()
    );
    let fields = leaked_fields(report, "resources.member.list");
    assert!(
        !fields.is_empty() && fields.iter().all(|f| f == "surname"),
        "{fields:?}"
    );
}

/// The planted flaw: the directory also shows each member's login, their e-mail. A surname being public
/// does not make the e-mail of the same member visible: a proven leak naming the e-mail, and only it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annuaire_a_directory_that_shows_emails_is_a_proven_leak_of_the_emails() {
    let (flawed, _) = run_annuaire(true, &profile(true, true)).await;
    let report = &flawed.report;
    assert_eq!(flawed.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.endpoint == "resources.member.list" && c.evidence == Evidence::ProvenLeak),
        "{}",
        report.summary()
    );
    let fields = leaked_fields(report, "resources.member.list");
    assert!(fields.iter().any(|f| f == "email"), "{fields:?}");
    assert!(
        fields.iter().all(|f| f != "surname"),
        "public names are never counted: {fields:?}"
    );
}

/// Without `narrow`, the single-dossier route's refusals to staff are not silently accepted: the controls
/// of staff reading the dossiers they opened fail there, and the report names the endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annuaire_a_route_that_refuses_staff_undeclared_fails_its_controls() {
    let (undeclared, annuaire) = run_annuaire(false, &profile(true, false)).await;
    let report = &undeclared.report;
    assert_eq!(undeclared.exit, EXIT_TARGET, "{}", report.summary());
    assert!(
        report.coverage.controls_passed < report.coverage.controls_run,
        "{}",
        report.summary()
    );
    let failures = format!("{:?}", report.failures);
    assert!(
        failures.contains("resources.dossier.read"),
        "the failed controls name the route: {failures}"
    );
    assert!(annuaire.staff_refused.load(Ordering::SeqCst) > 0);
}
