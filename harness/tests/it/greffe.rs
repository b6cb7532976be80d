//! Refusals that are not status codes, and deletes that keep the record: "Greffe", an in-memory axum mock
//! with tokens in `Authorization: Jeton ...`, files (`fiches`) owned by members of registries (tenants),
//! and three shapes a switch picks, each a platform of its own as met in the field:
//!
//! - [`Shape::TrueOnDelete`]: `DELETE /fiches/{id}` answers `200 true` whatever it did; a delete the caller
//!   may not make deletes nothing. Its profile declares `body = [true]` among the delete's refusals.
//! - [`Shape::NotYours401`]: a fiche that exists but is not the caller's answers `401`, as a signed-out
//!   caller would. Its profile lists 401 among the refusal statuses.
//! - [`Shape::SoftDelete`]: a delete keeps the fiche, readable by its owner and the registry's staff with
//!   `"active": false`; a foreign delete is refused with 404. Its profile declares
//!   `soft = { pointer = "/active", equals = false }` on the delete.
//!
//! The planted flaw of each shape (its fixed twin has none): a foreign delete that really deletes (found:
//! PROVEN TAMPERING, the owner lost the fiche, whatever the `200 true`); a fiche served to any signed-in
//! member (found: PROVEN LEAK, whatever the 401s around it); a foreign delete that deactivates the fiche
//! (found: PROVEN TAMPERING, the owner reads it back marked deleted). Each fixed twin is clean at default
//! flags with its declaration, and is not clean without it: the declaration is what makes the difference.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_INCONCLUSIVE};
use serde_json::{Value, json};

use crate::support::answer::{
    Upload, credential, file_answer, header_is, not_found, reply, text, upload,
};
use crate::support::directory::{Account, Directory};
use crate::support::{BinaryRun, RunSpec, run_binary, serve};

const ADMIN_KEY: &str = "greffe-admin-key";

/// Which platform Greffe is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Deletes answer `200 true`, done or not.
    TrueOnDelete,
    /// Another's fiche answers `401`.
    NotYours401,
    /// Deletes keep the fiche, `"active": false`.
    SoftDelete,
}

#[derive(Debug)]
struct Fiche {
    id: String,
    registry: String,
    holder: String,
    active: bool,
    content: Value,
}

struct Annexe {
    id: String,
    fiche: String,
    upload: Upload,
}

#[derive(Default)]
struct Db {
    directory: Directory<String>,
    fiches: Vec<Fiche>,
    annexes: Vec<Annexe>,
    /// token -> member id
    tokens: HashMap<String, String>,
    /// Deletes by someone who may not make them, and of those, the ones that changed something.
    foreign_deletes: usize,
    foreign_changes: usize,
}

impl Db {
    fn caller(&self, headers: &HeaderMap) -> Option<&Account<String>> {
        let id = self.tokens.get(credential(headers, "Jeton ")?)?;
        self.directory.account(id.as_str())
    }

    fn may_see(&self, member: &Account<String>, fiche: &Fiche) -> bool {
        if member.role == "greffier" || member.role == "chef" {
            return member.tenant == fiche.registry;
        }
        self.directory.acts_for(member, fiche.holder.as_str())
    }
}

struct Greffe {
    db: Mutex<Db>,
    shape: Shape,
    flawed: bool,
}

type Shared = State<Arc<Greffe>>;

fn unauthorized() -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "erreur": "non autorisé" }),
    )
}

fn admin(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Greffe-Admin", ADMIN_KEY)
}

impl Greffe {
    /// What a fiche that exists but is not the caller's answers, and one that does not exist: the same, so
    /// that no answer tells which identifiers exist.
    fn not_yours(&self) -> Response {
        match self.shape {
            Shape::NotYours401 => unauthorized(),
            Shape::TrueOnDelete | Shape::SoftDelete => not_found(),
        }
    }
}

async fn create_registry(
    headers: HeaderMap,
    State(g): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return not_found();
    }
    let code = text(&body, "code");
    g.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(code.clone());
    reply(StatusCode::CREATED, json!({ "code": code }))
}

async fn create_member(
    headers: HeaderMap,
    State(g): Shared,
    Path(code): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return not_found();
    }
    let mut db = g.db.lock().expect("db");
    let id = format!("m{}", db.directory.accounts.len() + 1);
    db.directory.enrol(
        id.clone(),
        code,
        &body,
        ["identifiant", "secret", "fonction"],
    );
    reply(StatusCode::CREATED, json!({ "id": id }))
}

async fn create_proxy(
    headers: HeaderMap,
    State(g): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !admin(&headers) {
        return not_found();
    }
    let mut db = g.db.lock().expect("db");
    let number = db
        .directory
        .represent(text(&body, "mandataire"), text(&body, "mandant"));
    reply(StatusCode::CREATED, json!({ "numero": number }))
}

async fn end_proxy(headers: HeaderMap, State(g): Shared, Path(number): Path<usize>) -> Response {
    if !admin(&headers) {
        return not_found();
    }
    if g.db.lock().expect("db").directory.end(number) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn connexion(State(g): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = g.db.lock().expect("db");
    let Some(id) = db
        .directory
        .signed_in(&text(&body, "identifiant"), &text(&body, "secret"))
        .map(|m| m.id.clone())
    else {
        return unauthorized();
    };
    let token = format!("j{}-{id}", db.tokens.len() + 1);
    db.tokens.insert(token.clone(), id);
    reply(StatusCode::OK, json!({ "jeton": token }))
}

async fn create_fiche(
    headers: HeaderMap,
    State(g): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = g.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let holder = text(&body, "titulaire");
    let Some(owner) = db.directory.account(holder.as_str()) else {
        return not_found();
    };
    if !db.directory.acts_for(me, holder.as_str()) {
        return g.not_yours();
    }
    let registry = owner.tenant.clone();
    let id = format!("F{}", db.fiches.len() + 1);
    db.fiches.push(Fiche {
        id: id.clone(),
        registry,
        holder,
        active: true,
        content: body,
    });
    reply(StatusCode::CREATED, json!({ "fiche": { "id": id } }))
}

async fn read_fiche(headers: HeaderMap, State(g): Shared, Path(id): Path<String>) -> Response {
    let db = g.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(fiche) = db.fiches.iter().find(|f| f.id == id) else {
        return g.not_yours();
    };
    // The flaw of the 401 shape: any signed-in member is served the fiche.
    let served = db.may_see(me, fiche) || (g.flawed && g.shape == Shape::NotYours401);
    if !served {
        return g.not_yours();
    }
    reply(
        StatusCode::OK,
        json!({ "id": fiche.id, "active": fiche.active, "contenu": fiche.content }),
    )
}

async fn delete_fiche(headers: HeaderMap, State(g): Shared, Path(id): Path<String>) -> Response {
    let mut db = g.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(i) = db.fiches.iter().position(|f| f.id == id) else {
        return match g.shape {
            Shape::TrueOnDelete => reply(StatusCode::OK, json!(true)),
            Shape::NotYours401 | Shape::SoftDelete => g.not_yours(),
        };
    };
    let allowed = db.may_see(me, &db.fiches[i]);
    if !allowed {
        db.foreign_deletes += 1;
    }
    let done = allowed || g.flawed;
    if done && !allowed {
        db.foreign_changes += 1;
    }
    match g.shape {
        // Done or not, the answer is `200 true`.
        Shape::TrueOnDelete => {
            if done {
                db.fiches.remove(i);
            }
            reply(StatusCode::OK, json!(true))
        }
        Shape::SoftDelete if done => {
            db.fiches[i].active = false;
            StatusCode::NO_CONTENT.into_response()
        }
        Shape::SoftDelete | Shape::NotYours401 => g.not_yours(),
    }
}

/// An annexe (a document) of a fiche the caller may see.
async fn attach(
    headers: HeaderMap,
    State(g): Shared,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "fichier", "annexe").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "erreur": "fichier" }));
    };
    let mut db = g.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    if !db.fiches.iter().any(|f| f.id == id && db.may_see(me, f)) {
        return g.not_yours();
    }
    let annexe = format!("A{}", db.annexes.len() + 1);
    db.annexes.push(Annexe {
        id: annexe.clone(),
        fiche: id,
        upload: file,
    });
    reply(StatusCode::CREATED, json!({ "annexe": annexe }))
}

async fn annexe(headers: HeaderMap, State(g): Shared, Path(id): Path<String>) -> Response {
    let db = g.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(a) = db.annexes.iter().find(|a| a.id == id) else {
        return g.not_yours();
    };
    if !db
        .fiches
        .iter()
        .any(|f| f.id == a.fiche && db.may_see(me, f))
    {
        return g.not_yours();
    }
    file_answer(
        a.upload.mime.clone(),
        &a.upload.name,
        a.upload.bytes.clone(),
    )
}

fn router(greffe: Arc<Greffe>) -> Router {
    let fiche = get(read_fiche).delete(delete_fiche);
    Router::new()
        .route("/etat", get(|| async { "ok" }))
        .route("/gestion/greffes", post(create_registry))
        .route("/gestion/greffes/{code}/membres", post(create_member))
        .route("/gestion/procurations", post(create_proxy))
        .route("/gestion/procurations/{number}/fin", post(end_proxy))
        .route("/connexion", post(connexion))
        .route("/fiches", post(create_fiche))
        .route("/fiches/{id}", fiche)
        .route("/fiches/{id}/annexes", post(attach))
        .route("/annexes/{id}", get(annexe))
        .with_state(greffe)
}

const PROFILE_HEAD: &str = r#"
format = 1
name = "Greffe (mock)"
secrets_file = "greffe.secrets.toml"

[health]
path = "/etat"

[roles]
applicant = "titulaire"
representative = "mandataire"
agent = "greffier"
tenant_admin = "chef"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Greffe-Admin", value = "{{secrets.admin_key}}" }

[provisioning.tenant]
method = "POST"
path = "/gestion/greffes"
json = { code = "{{tenant.code}}" }

[provisioning.identity]
method = "POST"
path = "/gestion/greffes/{{tenant.code}}/membres"
json = { identifiant = "{{identity.login}}", secret = "{{identity.password}}", fonction = "{{identity.role}}" }
extract = { id = "/id" }

[provisioning.representation]
method = "POST"
path = "/gestion/procurations"
json = { mandataire = "{{representative.id}}", mandant = "{{represented.id}}" }
extract = { id = "/numero" }

[provisioning.end_representation]
method = "POST"
path = "/gestion/procurations/{{representation.id}}/fin"

[auth]
scheme = "token"
token = { json = "/jeton" }
send = { header = "Authorization", value = "Jeton {{token}}" }

[auth.login]
method = "POST"
path = "/connexion"
json = { identifiant = "{{identity.login}}", secret = "{{identity.password}}" }

[resources.case.create]
as = "owner"
method = "POST"
path = "/fiches"
extract = { id = "/fiche/id" }
json = { titulaire = "{{person.account_id}}", personne = { nom = "{{person.surname}}", prenom = "{{person.first_name}}", nir = "{{person.nir}}" } }

[resources.case.read]
path = "/fiches/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/fiches/{{case.id}}/annexes"
extract = { id = "/annexe" }
multipart = [{ name = "fichier", file = "document" }]

[resources.document.download]
path = "/annexes/{{document.id}}"
"#;

/// The rest of the profile for a shape: its refusals and its delete, with the shape's declaration
/// (`declared`) or without it.
fn profile(shape: Shape, declared: bool) -> String {
    let tail = match (shape, declared) {
        (Shape::TrueOnDelete, true) => {
            "[refusals]\nstatuses = [403, 404]\n\n[resources.case.delete]\nmethod = \"DELETE\"\npath = \"/fiches/{{case.id}}\"\n\n# `200 true` is also what a refused delete answers.\n[resources.case.delete.refusals]\nstatuses = [403, 404]\nbody = [true]\n"
        }
        (Shape::TrueOnDelete, false) => {
            "[refusals]\nstatuses = [403, 404]\n\n[resources.case.delete]\nmethod = \"DELETE\"\npath = \"/fiches/{{case.id}}\"\n"
        }
        (Shape::NotYours401, true) => "[refusals]\nstatuses = [401, 403, 404]\n",
        (Shape::NotYours401, false) => "[refusals]\nstatuses = [403, 404]\n",
        (Shape::SoftDelete, true) => {
            "[refusals]\nstatuses = [403, 404]\n\n[resources.case.delete]\nmethod = \"DELETE\"\npath = \"/fiches/{{case.id}}\"\nsoft = { pointer = \"/active\", equals = false }\n"
        }
        (Shape::SoftDelete, false) => {
            "[refusals]\nstatuses = [403, 404]\n\n[resources.case.delete]\nmethod = \"DELETE\"\npath = \"/fiches/{{case.id}}\"\n"
        }
    };
    format!("{PROFILE_HEAD}\n{tail}")
}

/// A finished run against Greffe, and the foreign deletes it counted (tried, and that changed something).
struct GreffeRun {
    run: BinaryRun,
    foreign_deletes: usize,
    foreign_changes: usize,
}

async fn run_greffe(shape: Shape, flawed: bool, declared: bool) -> GreffeRun {
    let greffe = Arc::new(Greffe {
        db: Mutex::new(Db::default()),
        shape,
        flawed,
    });
    let (addr, server) = serve(router(greffe.clone())).await;
    let profile = profile(shape, declared);
    let run = run_binary(
        addr,
        RunSpec {
            profile: &profile,
            name: "greffe",
            secrets: &format!("admin_key = \"{ADMIN_KEY}\"\n"),
            seed: 5,
            tenants: 2,
            cases: 8,
        },
    )
    .await;
    server.abort();
    let db = greffe.db.lock().expect("db");
    GreffeRun {
        run,
        foreign_deletes: db.foreign_deletes,
        foreign_changes: db.foreign_changes,
    }
}

/// The root causes on the delete endpoint with `evidence`.
fn on_delete<'r>(run: &'r BinaryRun, evidence: &str) -> Vec<&'r Value> {
    run.causes()
        .into_iter()
        .filter(|c| c["endpoint"] == "resources.case.delete" && c["evidence"] == evidence)
        .collect()
}

/// `200 true` to every delete: with `body = [true]` among the delete's refusals, the fixed twin is clean
/// with no finding at all (foreign deletes were tried, nothing changed); without it, the same platform is
/// reported SUSPICIOUS on the delete (a success where a refusal was expected): a status-only warning, which
/// does not fail the run by default (`--fail-on proven`), but is listed, never clean in silence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_refused_with_200_true_is_a_refusal_once_declared() {
    let fixed = run_greffe(Shape::TrueOnDelete, false, true).await;
    fixed.run.assert_clean();
    assert!(fixed.foreign_deletes > 0, "foreign deletes were tried");
    assert_eq!(fixed.foreign_changes, 0);
    assert!(fixed.run.causes().is_empty(), "{}", fixed.run.summary());

    let undeclared = run_greffe(Shape::TrueOnDelete, false, false).await;
    undeclared.run.assert_exit(0);
    let groups = undeclared.run.report["groups"].as_array().expect("groups");
    assert!(
        !groups.is_empty()
            && groups
                .iter()
                .all(|g| g["tier"] == "suspicious" && g["fails"] == false),
        "status-only warnings, listed: {}",
        undeclared.run.summary()
    );
    let suspicious = on_delete(&undeclared.run, "suspicious");
    assert!(!suspicious.is_empty(), "{}", undeclared.run.summary());
    assert!(
        suspicious.iter().all(|c| c["reproducer"]["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("200 to a forbidden delete"))),
        "{suspicious:?}"
    );
}

/// The flawed twin deletes another's fiche and still answers `200 true`: the declared refusal body hides
/// nothing, the owner's read-back proves the tampering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_answers_200_true_and_deletes_is_proven_tampering() {
    let flawed = run_greffe(Shape::TrueOnDelete, true, true).await;
    flawed.run.assert_exit(EXIT_FINDINGS);
    assert!(
        !on_delete(&flawed.run, "proven-tampering").is_empty(),
        "{}",
        flawed.run.summary()
    );
    assert!(flawed.foreign_changes > 0);
    flawed
        .run
        .assert_only_on("resources.case.delete", "only the delete is at fault");
}

/// `401` for a fiche that is not the caller's: with 401 among the refusal statuses, every 401 given to a
/// session its own read shows alive is a refusal, and the fixed twin is clean; without it, the run is
/// inconclusive (exit 4) and its reason names the probes it counts, by endpoint and role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_for_another_s_record_is_a_refusal_once_declared() {
    let fixed = run_greffe(Shape::NotYours401, false, true).await;
    fixed.run.assert_clean();

    let undeclared = run_greffe(Shape::NotYours401, false, false).await;
    undeclared.run.assert_exit(EXIT_INCONCLUSIVE);
    let reasons = undeclared.run.report["reasons"].to_string();
    assert!(
        reasons.contains("answered as unauthenticated even after a new login")
            && reasons.contains("resources.case.read as applicant: ")
            && reasons.contains("list 401 among those endpoints' refusal statuses"),
        "{reasons}"
    );
}

/// The flawed twin serves another's fiche to any member: a proven leak on the read, whatever the 401s
/// around it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fiche_served_to_others_behind_401s_is_a_proven_leak() {
    let flawed = run_greffe(Shape::NotYours401, true, true).await;
    flawed.run.assert_exit(EXIT_FINDINGS);
    flawed.run.cause("a proven leak on the read", |c| {
        c["endpoint"] == "resources.case.read" && c["evidence"] == "proven-leak"
    });
}

/// Deletes that keep the fiche (`"active": false`): with `soft` declared, the fixed twin is clean,
/// the owner's own delete (the stateful suite's) reading back as deleted; without it, the owner reading its
/// own deleted fiche is taken for a read after a delete (a stateful finding).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soft_delete_is_a_delete_once_declared() {
    let fixed = run_greffe(Shape::SoftDelete, false, true).await;
    fixed.run.assert_clean();
    assert!(fixed.foreign_deletes > 0, "foreign deletes were tried");
    assert_eq!(fixed.foreign_changes, 0);

    // Without `soft`, the owner reading its own deleted fiche (`"active": false`) after its delete is
    // taken for a read of a record that no longer exists: a stateful finding.
    let undeclared = run_greffe(Shape::SoftDelete, false, false).await;
    undeclared.run.assert_exit(EXIT_FINDINGS);
    undeclared
        .run
        .cause("a read after the owner's own delete", |c| {
            c["family"] == "stateful"
                && c["reproducer"]["explanation"]
                    .as_str()
                    .is_some_and(|e| e.contains("after delete"))
        });
}

/// The flawed twin deactivates another's fiche: the owner reads it back marked deleted, proven tampering
/// (the answer and the fiche's presence alone would have shown nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_delete_that_deactivates_the_record_is_proven_tampering() {
    let flawed = run_greffe(Shape::SoftDelete, true, true).await;
    flawed.run.assert_exit(EXIT_FINDINGS);
    let tampering = on_delete(&flawed.run, "proven-tampering");
    assert!(!tampering.is_empty(), "{}", flawed.run.summary());
    assert!(
        tampering.iter().all(|c| c["reproducer"]["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("marked deleted"))),
        "{tampering:?}"
    );
    assert!(flawed.foreign_changes > 0);
}
