//! A French platform of client-chosen keys: "Guichet", an in-memory axum mock with French routes, a form
//! login (`POST /connexion`) that answers `303` and sets a session cookie, unauthenticated requests sent
//! back to `/connexion`, and refusals answered `200` with an empty list (`{"resultats": []}`).
//!
//! - A dossier's number is chosen by the client (`numero`, the generated case number) and the create
//!   answers it as the platform keeps it, with a prefix (`dos-75-2024-000123`): the profile chooses the key
//!   (`id = "{{case.case_number}}"`) and reads it back from the answer (`extract.id`), which wins.
//! - A piece (a document) is a form with a repeated field (`mots=...&mots=...`); its create answers no
//!   identifier at all: the profile finds it afterwards in the dossier's list of pieces, by its own values
//!   (`find`).
//!
//! The planted flaw: a piece is served (`GET /pieces/{cote}`) to anyone logged in. Its fixed twin checks who
//! may see the dossier. The flaw is found (exit 1) on the piece endpoint, the twin is clean (exit 0), both
//! through the `cloison` binary with `run --target url:...`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, RawForm, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use cloison_harness::cli::EXIT_FINDINGS;
use serde_json::{Value, json};

use crate::support::answer::{cookie, header_is, reply, text};
use crate::support::directory::{Account, Directory, numbered};
use crate::support::{BinaryRun, RunSpec, run_binary, serve};

const CLE: &str = "guichet-cle-operateur";

/// An account: its number (`C1`), its email as login, its departement as tenant.
type Compte = Account<String>;

#[derive(Debug)]
struct Dossier {
    numero: String,
    departement: String,
    usager: String,
    champs: Vec<(String, String)>,
}

#[derive(Debug)]
struct Piece {
    cote: String,
    dossier: String,
    intitule: String,
    mots: Vec<String>,
}

#[derive(Debug, Default)]
struct Base {
    /// Departements, accounts and mandates (`M1`, `M2`, ...).
    annuaire: Directory<String>,
    dossiers: Vec<Dossier>,
    pieces: Vec<Piece>,
    /// cookie -> account number
    sessions: HashMap<String, String>,
    compteur: u64,
    /// Pieces refused for want of two `mots`, dossiers refused as duplicates.
    sans_mots: usize,
    doublons: usize,
}

impl Base {
    fn jeton(&mut self) -> String {
        self.compteur += 1;
        format!(
            "g{:016x}",
            self.compteur.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        )
    }

    fn compte(&self, numero: &str) -> Option<&Compte> {
        self.annuaire.account(numero)
    }

    fn appelant(&self, headers: &HeaderMap) -> Option<&Compte> {
        self.compte(self.sessions.get(cookie(headers, "guichet=")?)?)
    }

    fn peut_voir(&self, compte: &Compte, dossier: &Dossier) -> bool {
        if compte.role == "instructeur" || compte.role == "gestionnaire" {
            return compte.tenant == dossier.departement;
        }
        self.annuaire.acts_for(compte, dossier.usager.as_str())
    }

    fn dossier(&self, numero: &str) -> Option<&Dossier> {
        self.dossiers.iter().find(|d| d.numero == numero)
    }
}

#[derive(Debug)]
struct Guichet {
    base: Mutex<Base>,
    /// The planted flaw: pieces served to anyone logged in.
    pieces_ouvertes: bool,
}

type Etat = State<Arc<Guichet>>;

fn json_ok(body: Value) -> Response {
    reply(StatusCode::OK, body)
}

/// A refusal, as Guichet says it: nothing to show.
fn rien() -> Response {
    json_ok(json!({ "resultats": [] }))
}

fn vers_connexion() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/connexion")]).into_response()
}

fn operateur(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Cle-Operateur", CLE)
}

/// A URL-encoded form, repeated fields kept in order.
fn champs(form: &[u8]) -> Vec<(String, String)> {
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    String::from_utf8_lossy(form)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn champ<'a>(champs: &'a [(String, String)], nom: &str) -> &'a str {
    champs
        .iter()
        .find(|(k, _)| k == nom)
        .map_or("", |(_, v)| v.as_str())
}

async fn creer_departement(
    State(g): Etat,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operateur(&headers) {
        return vers_connexion();
    }
    let code = text(&body, "code");
    g.base.lock().expect("base").annuaire.tenants.push(code);
    StatusCode::CREATED.into_response()
}

async fn creer_compte(
    State(g): Etat,
    headers: HeaderMap,
    Path(departement): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operateur(&headers) {
        return vers_connexion();
    }
    let mut base = g.base.lock().expect("base");
    if !base.annuaire.tenants.contains(&departement) {
        return (StatusCode::UNPROCESSABLE_ENTITY, "departement inconnu").into_response();
    }
    let numero = format!("C{}", base.annuaire.accounts.len() + 1);
    base.annuaire.enrol(
        numero.clone(),
        departement,
        &body,
        ["courriel", "mot_de_passe", "profil"],
    );
    (
        StatusCode::CREATED,
        axum::Json(json!({ "compte": { "numero": numero } })),
    )
        .into_response()
}

async fn creer_mandat(
    State(g): Etat,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operateur(&headers) {
        return vers_connexion();
    }
    let mut base = g.base.lock().expect("base");
    let numero = format!(
        "M{}",
        base.annuaire
            .represent(text(&body, "mandataire"), text(&body, "mandant"))
    );
    (StatusCode::CREATED, axum::Json(json!({ "numero": numero }))).into_response()
}

async fn finir_mandat(State(g): Etat, headers: HeaderMap, Path(numero): Path<String>) -> Response {
    if !operateur(&headers) {
        return vers_connexion();
    }
    let mut base = g.base.lock().expect("base");
    if numbered(&numero, "M").is_some_and(|n| base.annuaire.end(n)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn page_connexion() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<form method=post action=/connexion>Courriel, mot de passe</form>",
    )
        .into_response()
}

async fn connexion(State(g): Etat, RawForm(form): RawForm) -> Response {
    let form = champs(&form);
    let mut base = g.base.lock().expect("base");
    let Some(numero) = base
        .annuaire
        .signed_in(champ(&form, "courriel"), champ(&form, "mot_de_passe"))
        .map(|c| c.id.clone())
    else {
        return (StatusCode::OK, "Identifiants incorrects").into_response();
    };
    let cookie = base.jeton();
    base.sessions.insert(cookie.clone(), numero);
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/accueil".to_string()),
            (
                header::SET_COOKIE,
                format!("guichet={cookie}; Path=/; HttpOnly"),
            ),
        ],
    )
        .into_response()
}

async fn deconnexion(State(g): Etat, headers: HeaderMap) -> Response {
    let mut base = g.base.lock().expect("base");
    if let Some(session) = cookie(&headers, "guichet=") {
        base.sessions.remove(session);
    }
    vers_connexion()
}

/// A dossier whose number the client chose; the platform keeps it with its own prefix.
async fn creer_dossier(State(g): Etat, headers: HeaderMap, RawForm(form): RawForm) -> Response {
    let form = champs(&form);
    let mut base = g.base.lock().expect("base");
    let Some(moi) = base.appelant(&headers) else {
        return vers_connexion();
    };
    let usager = champ(&form, "usager").to_string();
    let Some(departement) = base.compte(&usager).map(|c| c.tenant.clone()) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "usager inconnu").into_response();
    };
    if !base.annuaire.acts_for(moi, usager.as_str()) {
        return rien();
    }
    let choisi = champ(&form, "numero");
    if choisi.is_empty() {
        return (StatusCode::UNPROCESSABLE_ENTITY, "numero manquant").into_response();
    }
    let numero = format!("dos-{choisi}");
    if base.dossier(&numero).is_some() {
        base.doublons += 1;
        return (StatusCode::CONFLICT, "ce numero existe").into_response();
    }
    base.dossiers.push(Dossier {
        numero: numero.clone(),
        departement,
        usager,
        champs: form,
    });
    (
        StatusCode::CREATED,
        axum::Json(json!({ "dossier": { "numero": numero } })),
    )
        .into_response()
}

fn vue_dossier(d: &Dossier) -> Value {
    let champs: serde_json::Map<String, Value> = d
        .champs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({ "numero": d.numero, "departement": d.departement, "champs": champs })
}

async fn lire_dossier(State(g): Etat, headers: HeaderMap, Path(numero): Path<String>) -> Response {
    let base = g.base.lock().expect("base");
    let Some(moi) = base.appelant(&headers) else {
        return vers_connexion();
    };
    match base.dossier(&numero) {
        Some(d) if base.peut_voir(moi, d) => json_ok(json!({ "resultats": [vue_dossier(d)] })),
        _ => rien(),
    }
}

/// A piece: a form with a repeated `mots` field; the answer names nothing.
async fn deposer_piece(
    State(g): Etat,
    headers: HeaderMap,
    Path(numero): Path<String>,
    RawForm(form): RawForm,
) -> Response {
    let form = champs(&form);
    let mut base = g.base.lock().expect("base");
    let Some(moi) = base.appelant(&headers) else {
        return vers_connexion();
    };
    let visible = base
        .dossier(&numero)
        .is_some_and(|d| base.peut_voir(moi, d));
    if !visible {
        return rien();
    }
    let mots: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "mots")
        .map(|(_, v)| v.clone())
        .collect();
    if mots.len() < 2 {
        base.sans_mots += 1;
        return (StatusCode::UNPROCESSABLE_ENTITY, "deux mots au moins").into_response();
    }
    let cote = format!("P{}", base.pieces.len() + 1);
    base.pieces.push(Piece {
        cote,
        dossier: numero,
        intitule: champ(&form, "intitule").to_string(),
        mots,
    });
    (StatusCode::CREATED, axum::Json(json!({ "ok": true }))).into_response()
}

fn vue_piece(p: &Piece) -> Value {
    json!({ "cote": p.cote, "intitule": p.intitule, "mots": p.mots })
}

async fn pieces_du_dossier(
    State(g): Etat,
    headers: HeaderMap,
    Path(numero): Path<String>,
) -> Response {
    let base = g.base.lock().expect("base");
    let Some(moi) = base.appelant(&headers) else {
        return vers_connexion();
    };
    match base.dossier(&numero) {
        Some(d) if base.peut_voir(moi, d) => json_ok(json!({
            "resultats": base.pieces.iter().filter(|p| p.dossier == numero).map(vue_piece).collect::<Vec<_>>()
        })),
        _ => rien(),
    }
}

async fn lire_piece(State(g): Etat, headers: HeaderMap, Path(cote): Path<String>) -> Response {
    let base = g.base.lock().expect("base");
    let Some(moi) = base.appelant(&headers) else {
        return vers_connexion();
    };
    let Some(piece) = base.pieces.iter().find(|p| p.cote == cote) else {
        return rien();
    };
    let visible = g.pieces_ouvertes
        || base
            .dossier(&piece.dossier)
            .is_some_and(|d| base.peut_voir(moi, d));
    if visible {
        json_ok(json!({ "resultats": [vue_piece(piece)] }))
    } else {
        rien()
    }
}

fn routes(guichet: Arc<Guichet>) -> Router {
    Router::new()
        .route("/etat", get(|| async { "ok" }))
        .route("/gestion/departements", post(creer_departement))
        .route("/gestion/departements/{code}/comptes", post(creer_compte))
        .route("/gestion/mandats", post(creer_mandat))
        .route("/gestion/mandats/{numero}", delete(finir_mandat))
        .route("/connexion", get(page_connexion).post(connexion))
        .route("/deconnexion", post(deconnexion))
        .route("/dossiers", post(creer_dossier))
        .route("/dossiers/{numero}", get(lire_dossier))
        .route(
            "/dossiers/{numero}/pieces",
            get(pieces_du_dossier).post(deposer_piece),
        )
        .route("/pieces/{cote}", get(lire_piece))
        .with_state(guichet)
}

/// cloison's description of Guichet.
pub(crate) const PROFILE: &str = r#"
format = 1
name = "Guichet (maquette a numeros choisis)"
secrets_file = "guichet.secrets.toml"

[health]
path = "/etat"

[roles]
applicant = "usager"
representative = "mandataire"
agent = "instructeur"
tenant_admin = "gestionnaire"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Cle-Operateur", value = "{{secrets.cle}}" }

[provisioning.tenant]
method = "POST"
path = "/gestion/departements"
json = { code = "{{tenant.code}}", libelle = "{{tenant.name}}" }

[provisioning.identity]
method = "POST"
path = "/gestion/departements/{{tenant.code}}/comptes"
json = { courriel = "{{identity.login}}", mot_de_passe = "{{identity.password}}", profil = "{{identity.role}}" }
extract = { id = "/compte/numero" }

[provisioning.representation]
method = "POST"
path = "/gestion/mandats"
json = { mandataire = "{{representative.id}}", mandant = "{{represented.id}}" }
extract = { id = "/numero" }

[provisioning.end_representation]
method = "DELETE"
path = "/gestion/mandats/{{representation.id}}"

[auth]
scheme = "cookie"

[auth.login]
method = "POST"
path = "/connexion"
form = { courriel = "{{identity.login}}", mot_de_passe = "{{identity.password}}" }
ok = [303]

[auth.logout]
method = "POST"
path = "/deconnexion"
ok = [303]

# A refusal is a 200 with nothing in `resultats`; without a session, back to the login page.
[refusals]
statuses = [404]
empty_list = true
list_pointer = "/resultats"
login_redirect = "/connexion"

# The client chooses the dossier's number; the platform answers it as it keeps it, which wins.
[resources.case.create]
as = "owner"
method = "POST"
path = "/dossiers"
id = "{{case.case_number}}"
extract = { id = "/dossier/numero" }
form = { numero = "{{case.case_number}}", usager = "{{person.account_id}}", nom = "{{person.surname}}", nir = "{{person.nir}}" }

[resources.case.read]
path = "/dossiers/{{case.id}}"

# A piece answers nothing: it is found in the dossier's list by its own values.
[resources.document.create]
as = "owner"
method = "POST"
path = "/dossiers/{{case.id}}/pieces"
form = { intitule = "{{document.file_name}}", mots = ["{{document.kind}}", "{{document.reference}}"] }
find = { items = "/resultats", id = "/cote" }

[resources.document.list]
path = "/dossiers/{{case.id}}/pieces"

[resources.document.read]
path = "/pieces/{{document.id}}"
"#;

struct GuichetRun {
    run: BinaryRun,
    sans_mots: usize,
    doublons: usize,
    pieces: usize,
}

async fn run_guichet(pieces_ouvertes: bool, seed: u64) -> GuichetRun {
    run_guichet_with(pieces_ouvertes, seed, PROFILE).await
}

async fn run_guichet_with(pieces_ouvertes: bool, seed: u64, profile: &str) -> GuichetRun {
    let guichet = Arc::new(Guichet {
        base: Mutex::new(Base::default()),
        pieces_ouvertes,
    });
    let (addr, server) = serve(routes(guichet.clone())).await;
    let run = run_binary(
        addr,
        RunSpec {
            profile,
            name: "guichet",
            secrets: &format!("cle = \"{CLE}\"\n"),
            seed,
            tenants: 2,
            cases: 10,
        },
    )
    .await;
    server.abort();
    let base = guichet.base.lock().expect("base");
    GuichetRun {
        run,
        sans_mots: base.sans_mots,
        doublons: base.doublons,
        pieces: base.pieces.len(),
    }
}

/// Pieces served to anyone logged in: a stranger's read of a piece carries its owner's file name and
/// reference (a proven leak on the piece endpoint, of a document). The fixed twin (same seed) is clean:
/// dossiers were read back under the key the platform answered (not the one cloison chose), every piece
/// was sent with its repeated `mots` and found in its dossier's list, and the stateful sequences' dossiers
/// got numbers of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pieces_served_to_anyone_are_found_and_the_twin_is_clean() {
    let flawed = run_guichet(true, 7).await;
    let run = &flawed.run;
    run.assert_exit(EXIT_FINDINGS);
    let leak = run.cause("no proven leak on the pieces", |c| {
        c["endpoint"] == "resources.document.read"
            && c["evidence"] == "proven-leak"
            && c["kind"] == "document"
    });
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
            .is_some_and(|u| u.contains("/pieces/P")),
        "the piece by the identifier found in the list: {reproducer}"
    );
    run.assert_only_on("resources.document.read", "only the pieces leak");

    let fixed = run_guichet(false, 7).await;
    let run = &fixed.run;
    run.assert_clean();
    let coverage = &run.report["coverage"];
    assert_eq!(fixed.sans_mots, 0, "every piece carried its repeated field");
    assert_eq!(fixed.doublons, 0, "no dossier number was chosen twice");
    assert!(fixed.pieces > 0);
    assert!(
        coverage["stateful"]["sequences"].as_u64() > Some(0),
        "the stateful suite created dossiers of its own: {}",
        coverage["stateful"]
    );
}

/// A profile that points a piece's identifier at the answer's `/ok` (a boolean) stops at seeding with exit
/// 2 and the profile's line, saying what it found there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identifier_that_is_no_string_or_number_is_the_profiles_fault() {
    let from = "find = { items = \"/resultats\", id = \"/cote\" }";
    assert!(PROFILE.contains(from));
    let profile = PROFILE.replace(from, "extract = { id = \"/ok\" }");
    let guichet = run_guichet_with(false, 7, &profile).await;
    let run = &guichet.run;
    assert_eq!(run.exit, 2, "{}", run.summary());
    assert!(
        run.stderr.contains("guichet.toml:")
            && run
                .stderr
                .contains("`resources.document.create.extract.id`")
            && run
                .stderr
                .contains("with the boolean true at `/ok`: expected a string or a number"),
        "{}",
        run.stderr
    );
}

/// Without the read-back, cloison would name the dossiers by the number it chose, which Guichet does not
/// know (it keeps `dos-NUMBER`): the first piece sent to such a dossier is refused (a 200 with an empty
/// list), and the run stops there with exit 2, at the piece's create. What makes the twin work is the key
/// read back from the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewritten_key_not_read_back_stops_at_the_first_refused_create() {
    let from = "extract = { id = \"/dossier/numero\" }\n";
    assert!(PROFILE.contains(from));
    let guichet = run_guichet_with(false, 7, &PROFILE.replace(from, "")).await;
    let run = &guichet.run;
    assert_eq!(run.exit, 2, "{}", run.summary());
    assert!(
        run.stderr.contains("`resources.document.create`")
            && run
                .stderr
                .contains("with an empty list, a refusal by the profile's refusals"),
        "{}",
        run.stderr
    );
    assert_eq!(guichet.pieces, 0);
}
