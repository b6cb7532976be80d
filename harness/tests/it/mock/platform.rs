//! The Dossiers 360 mock itself: its records, its planted flaws and quirks, its routes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::support::answer::{Upload, credential, file_answer, header_is, reply, text, upload};
use crate::support::directory::{Account, Directory};

pub(super) const OPERATOR_KEY: &str = "cle-operateur-maquette";

/// Checks the mock can drop (flaws), and behaviours of a real platform that are not flaws (quirks).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Flaws {
    /// Flaw (anonymous): a download without any token is served (the auth middleware is optional there).
    pub(super) anonymous_download: bool,
    /// Flaw (allowed-read): a staff read of a case of its tenant embeds "similar cases" of any tenant.
    pub(super) similar_cases: bool,
    /// Flaw (collection): `/api/mes-dossiers` of a person lists every case of its tenant.
    pub(super) list_whole_tenant: bool,
    /// Flaw (identifier-guessing): a missing object answers 404, a forbidden one 403.
    pub(super) missing_is_404: bool,
    /// Flaw (direct-write): a forbidden update moves the case to the writer (its tenant and holder).
    pub(super) reparent_on_write: bool,
    /// Flaw (direct-write, quietly): a forbidden update answers 403 but shares the case with the writer; the
    /// owner keeps it unchanged, the writer now reads it.
    pub(super) share_on_refused_write: bool,
    /// Quirk: a forbidden update answers 500 and changes nothing.
    pub(super) write_500: bool,
    /// Flaw (stateful): logging out answers 204 but the token keeps working.
    pub(super) logout_keeps_token: bool,
    /// Quirk: a holder may have one case file only (a second create answers 409).
    pub(super) one_case_per_holder: bool,
    /// Quirk: a session token expires after this many requests (401).
    pub(super) expire_after: Option<u32>,
    /// Quirk: a session token expires after this many reads (GET requests; 401).
    pub(super) reads_expire_after: Option<u32>,
    /// Quirk: a login already taken is refused (409), as on any real platform: a second run against the
    /// same instance needs the profile's `[[reset]]`.
    pub(super) unique_logins: bool,
    /// Quirk: instructors read their departement's cases and change none (the policy of a profile that
    /// says `agent = ["tenant:read"]`); without it they may change any case they see.
    pub(super) read_only_instructors: bool,
    /// Flaw (direct-write): a `controleur` (an auditor, a role of the platform's own that reads its
    /// departement's cases and changes none) may change them.
    pub(super) controleurs_write: bool,
}

/// An account: its number, its `profil` as role, its departement as tenant.
type User = Account<u64>;

#[derive(Debug)]
struct Dossier {
    numero: u64,
    departement: String,
    titulaire: u64,
    objet: Value,
    droits: Value,
    etat_civil: Value,
    observations: Value,
    /// Accounts the case was shared with.
    partage: Vec<u64>,
}

#[derive(Debug)]
struct Piece {
    id: u64,
    dossier: u64,
    nom: String,
    type_mime: String,
    octets: Vec<u8>,
}

#[derive(Debug, Default)]
pub(super) struct Db {
    /// Departements, accounts and mandates.
    pub(super) annuaire: Directory<u64>,
    dossiers: Vec<Dossier>,
    pieces: Vec<Piece>,
    /// token -> (user id, requests made with it, reads made with it)
    jetons: HashMap<String, (u64, u32, u32)>,
    issued: u64,
    /// 403 pages that echoed a searched surname.
    pub(super) echoed_searches: usize,
    /// Forbidden updates answered 500.
    pub(super) writes_500: usize,
    /// Tokens refused as expired.
    pub(super) expired: usize,
    /// Times the operator reset the platform.
    pub(super) resets: usize,
}

#[derive(Debug)]
pub(super) struct Mock {
    pub(super) db: Mutex<Db>,
    flaws: Flaws,
}

type Shared = State<Arc<Mock>>;

/// The refusal page: it echoes the path and the decoded query parameters (a searched surname included).
fn refusal(uri: &Uri) -> Response {
    let url = reqwest::Url::parse(&format!("http://maquette{uri}")).ok();
    let parametres: serde_json::Map<String, Value> = url
        .iter()
        .flat_map(|u| u.query_pairs().into_owned().collect::<Vec<_>>())
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    reply(
        StatusCode::FORBIDDEN,
        json!({ "erreur": "acces refuse", "chemin": uri.path(), "parametres": parametres }),
    )
}

fn unauthenticated(message: &str) -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "erreur": message }))
}

fn id_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn is_staff(user: &User) -> bool {
    ["instructeur", "gestionnaire", "controleur"].contains(&user.role.as_str())
}

impl Db {
    fn user(&self, id: u64) -> Option<&User> {
        self.annuaire.account(&id)
    }

    /// May `user` act for the holder `titulaire` (itself, or an active representation)?
    fn acts_for(&self, user: &User, titulaire: u64) -> bool {
        self.annuaire.acts_for(user, &titulaire)
    }

    fn visible(&self, user: &User, dossier: &Dossier) -> bool {
        if dossier.partage.contains(&user.id) {
            return true;
        }
        if is_staff(user) {
            user.tenant == dossier.departement
        } else {
            self.acts_for(user, dossier.titulaire)
        }
    }

    fn view(dossier: &Dossier) -> Value {
        json!({
            "numero": dossier.numero,
            "departement": dossier.departement,
            "titulaire": dossier.titulaire,
            "objet": dossier.objet,
            "droits": dossier.droits,
            "etat_civil": dossier.etat_civil,
            "observations": dossier.observations,
        })
    }

    /// The cases `user` sees in its own lists (or, under the collection flaw, its whole tenant's).
    fn listed(&self, user: &User, whole_tenant: bool) -> Vec<Value> {
        self.dossiers
            .iter()
            .filter(|d| self.visible(user, d) || (whole_tenant && d.departement == user.tenant))
            .map(Db::view)
            .collect()
    }
}

impl Mock {
    /// A blank platform with `flaws`.
    pub(super) fn new(flaws: Flaws) -> Self {
        Mock {
            db: Mutex::new(Db::default()),
            flaws,
        }
    }

    /// The caller's user id from `Authorization: Jeton ...`, or the message of the 401 to answer.
    fn authenticate(&self, db: &mut Db, headers: &HeaderMap) -> Result<u64, &'static str> {
        self.authenticate_for(db, headers, false)
    }

    /// [`Mock::authenticate`] for a read (GET), which counts against `reads_expire_after`.
    fn authenticate_read(&self, db: &mut Db, headers: &HeaderMap) -> Result<u64, &'static str> {
        self.authenticate_for(db, headers, true)
    }

    fn authenticate_for(
        &self,
        db: &mut Db,
        headers: &HeaderMap,
        read: bool,
    ) -> Result<u64, &'static str> {
        let token = credential(headers, "Jeton ")
            .ok_or("authentification requise")?
            .to_string();
        let Some(entry) = db.jetons.get_mut(&token) else {
            return Err("jeton inconnu");
        };
        entry.1 += 1;
        if read {
            entry.2 += 1;
        }
        let (user, uses, reads) = *entry;
        if self.flaws.expire_after.is_some_and(|n| uses > n)
            || self.flaws.reads_expire_after.is_some_and(|n| reads > n)
        {
            db.jetons.remove(&token);
            db.expired += 1;
            return Err("jeton expire");
        }
        Ok(user)
    }

    /// A missing object: 404 under the existence flaw, else the same refusal as a forbidden one.
    fn missing(&self, uri: &Uri) -> Response {
        if self.flaws.missing_is_404 {
            reply(StatusCode::NOT_FOUND, json!({ "erreur": "introuvable" }))
        } else {
            refusal(uri)
        }
    }
}

fn operator(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Cle-Operateur", OPERATOR_KEY)
}

async fn creer_departement(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operator(&headers) {
        return refusal(&uri);
    }
    let code = text(&body, "code");
    let mut db = m.db.lock().expect("db");
    if !db.annuaire.tenants.contains(&code) {
        db.annuaire.tenants.push(code.clone());
    }
    reply(StatusCode::CREATED, json!({ "code": code }))
}

/// The operator's reset: every record gone, the counter of resets kept.
async fn remise_a_zero(State(m): Shared, headers: HeaderMap, uri: Uri) -> Response {
    if !operator(&headers) {
        return refusal(&uri);
    }
    let mut db = m.db.lock().expect("db");
    let resets = db.resets + 1;
    *db = Db {
        resets,
        ..Db::default()
    };
    StatusCode::NO_CONTENT.into_response()
}

async fn creer_compte(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(code): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operator(&headers) {
        return refusal(&uri);
    }
    let mut db = m.db.lock().expect("db");
    if !db.annuaire.tenants.contains(&code) {
        return reply(StatusCode::BAD_REQUEST, json!({ "erreur": "departement" }));
    }
    let login = text(&body, "identifiant");
    if m.flaws.unique_logins && db.annuaire.accounts.iter().any(|u| u.login == login) {
        return reply(
            StatusCode::CONFLICT,
            json!({ "erreur": { "message": format!("identifiant {login} deja pris") } }),
        );
    }
    let id = db.annuaire.accounts.len() as u64 + 1;
    db.annuaire
        .enrol(id, code, &body, ["identifiant", "secret", "profil"]);
    reply(StatusCode::CREATED, json!({ "compte": { "id": id } }))
}

async fn creer_mandat(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !operator(&headers) {
        return refusal(&uri);
    }
    let (Some(mandataire), Some(usager)) = (id_of(&body["mandataire"]), id_of(&body["usager"]))
    else {
        return reply(StatusCode::BAD_REQUEST, json!({ "erreur": "mandat" }));
    };
    let mut db = m.db.lock().expect("db");
    let numero = db.annuaire.represent(mandataire, usager);
    reply(StatusCode::CREATED, json!({ "mandat": numero }))
}

async fn finir_mandat(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<usize>,
) -> Response {
    if !operator(&headers) {
        return refusal(&uri);
    }
    let mut db = m.db.lock().expect("db");
    if db.annuaire.end(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        reply(StatusCode::BAD_REQUEST, json!({ "erreur": "mandat" }))
    }
}

async fn connexion(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let login = body["identifiant"].as_str().unwrap_or_default();
    let secret = body["mot_de_passe"].as_str().unwrap_or_default();
    let Some(id) = db.annuaire.signed_in(login, secret).map(|u| u.id) else {
        return unauthenticated("identifiants invalides");
    };
    db.issued += 1;
    let token = format!(
        "jt{:016x}",
        db.issued.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ id
    );
    db.jetons.insert(token.clone(), (id, 0, 0));
    (
        StatusCode::OK,
        [("X-Jeton-Session", token)],
        axum::Json(json!({ "utilisateur": { "id": id } })),
    )
        .into_response()
}

/// Logging out: the token is forgotten (unless the logout flaw is on).
async fn deconnexion(State(m): Shared, headers: HeaderMap) -> Response {
    let mut db = m.db.lock().expect("db");
    if let Err(message) = m.authenticate(&mut db, &headers) {
        return unauthenticated(message);
    }
    let token = credential(&headers, "Jeton ")
        .unwrap_or_default()
        .to_string();
    if !m.flaws.logout_keeps_token {
        db.jetons.remove(&token);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn creer_dossier(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let Some(titulaire) = id_of(&body["titulaire"]) else {
        return reply(StatusCode::BAD_REQUEST, json!({ "erreur": "titulaire" }));
    };
    let (Some(user), Some(holder)) = (db.user(caller), db.user(titulaire)) else {
        return refusal(&uri);
    };
    if !db.acts_for(user, titulaire) {
        return refusal(&uri);
    }
    if m.flaws.one_case_per_holder && db.dossiers.iter().any(|d| d.titulaire == titulaire) {
        return reply(
            StatusCode::CONFLICT,
            json!({ "erreur": "un dossier est deja ouvert" }),
        );
    }
    let departement = holder.tenant.clone();
    let numero = db.dossiers.len() as u64 + 1;
    db.dossiers.push(Dossier {
        numero,
        departement,
        titulaire,
        objet: body["objet"].clone(),
        droits: body["droits"].clone(),
        etat_civil: body["etat_civil"].clone(),
        observations: Value::Null,
        partage: Vec::new(),
    });
    reply(StatusCode::CREATED, json!({ "numero": numero }))
}

async fn lire_dossier(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(numero): Path<String>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate_read(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let Some(user) = db.user(caller) else {
        return refusal(&uri);
    };
    let Some(dossier) = numero
        .parse::<u64>()
        .ok()
        .and_then(|n| db.dossiers.iter().find(|d| d.numero == n))
    else {
        return m.missing(&uri);
    };
    if !db.visible(user, dossier) {
        return refusal(&uri);
    }
    let mut view = Db::view(dossier);
    if m.flaws.similar_cases && is_staff(user) {
        // Missing check: the "similar cases" are drawn from every tenant.
        let similaires: Vec<Value> = db
            .dossiers
            .iter()
            .filter(|d| d.departement != dossier.departement)
            .take(1)
            .map(|d| d.etat_civil.clone())
            .collect();
        view["dossiers_similaires"] = similaires.into();
    }
    reply(StatusCode::OK, view)
}

async fn modifier_dossier(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(numero): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let Some(user) = db.user(caller) else {
        return refusal(&uri);
    };
    let (user_id, user_departement) = (user.id, user.tenant.clone());
    let Some(index) = numero
        .parse::<u64>()
        .ok()
        .and_then(|n| db.dossiers.iter().position(|d| d.numero == n))
    else {
        return refusal(&uri);
    };
    if m.flaws.read_only_instructors
        && user.role == "instructeur"
        && db.dossiers[index].titulaire != user_id
    {
        return refusal(&uri);
    }
    if user.role == "controleur" && !m.flaws.controleurs_write {
        return refusal(&uri);
    }
    if db.visible(user, &db.dossiers[index]) {
        // Only `observations` may change: owner and tenant fields are read-only.
        let dossier = &mut db.dossiers[index];
        if let Some(text) = body.get("observations") {
            dossier.observations = text.clone();
        }
        return reply(StatusCode::OK, Db::view(dossier));
    }
    if m.flaws.reparent_on_write {
        // Missing check: the update "adopts" the case into the writer's tenant and account.
        let dossier = &mut db.dossiers[index];
        dossier.departement = user_departement;
        dossier.titulaire = user_id;
        return reply(StatusCode::OK, json!({ "numero": dossier.numero }));
    }
    if m.flaws.share_on_refused_write {
        // Missing check: the refused update still records the writer as a collaborator on the case.
        db.dossiers[index].partage.push(user_id);
        return refusal(&uri);
    }
    if m.flaws.write_500 {
        db.writes_500 += 1;
        return reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "erreur": "erreur interne" }),
        );
    }
    refusal(&uri)
}

async fn deposer_piece(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(numero): Path<u64>,
    mut multipart: Multipart,
) -> Response {
    let Ok(fichier) = upload(&mut multipart, "fichier", "piece").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "erreur": "fichier" }));
    };
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let Some(Upload {
        name: nom,
        mime: type_mime,
        bytes: octets,
    }) = fichier
    else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "erreur": "fichier manquant" }),
        );
    };
    let (Some(user), Some(dossier)) = (
        db.user(caller),
        db.dossiers.iter().find(|d| d.numero == numero),
    ) else {
        return refusal(&uri);
    };
    if !db.visible(user, dossier) {
        return refusal(&uri);
    }
    let id = db.pieces.len() as u64 + 1;
    db.pieces.push(Piece {
        id,
        dossier: numero,
        nom,
        type_mime,
        octets,
    });
    reply(StatusCode::CREATED, json!({ "piece": { "id": id } }))
}

async fn contenu_piece(
    State(m): Shared,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let mut db = m.db.lock().expect("db");
    let anonymous = !headers.contains_key(header::AUTHORIZATION);
    let caller = if m.flaws.anonymous_download && anonymous {
        // Missing check: without any token, the download route skips authentication altogether.
        None
    } else {
        match m.authenticate_read(&mut db, &headers) {
            Ok(id) => Some(id),
            Err(message) => return unauthenticated(message),
        }
    };
    let Some(piece) = id
        .parse::<u64>()
        .ok()
        .and_then(|n| db.pieces.iter().find(|p| p.id == n))
    else {
        return m.missing(&uri);
    };
    if let Some(caller) = caller {
        let allowed = db.user(caller).is_some_and(|user| {
            db.dossiers
                .iter()
                .find(|d| d.numero == piece.dossier)
                .is_some_and(|d| db.visible(user, d))
        });
        if !allowed {
            return refusal(&uri);
        }
    }
    file_answer(piece.type_mime.clone(), &piece.nom, piece.octets.clone())
}

async fn mes_dossiers(State(m): Shared, headers: HeaderMap, uri: Uri) -> Response {
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate_read(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let Some(user) = db.user(caller) else {
        return refusal(&uri);
    };
    let whole_tenant = m.flaws.list_whole_tenant && !is_staff(user);
    reply(
        StatusCode::OK,
        json!({ "dossiers": db.listed(user, whole_tenant) }),
    )
}

async fn instruction(State(m): Shared, headers: HeaderMap, uri: Uri) -> Response {
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate_read(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    match db.user(caller) {
        Some(user) if is_staff(user) => reply(
            StatusCode::OK,
            json!({ "dossiers": db.listed(user, false) }),
        ),
        _ => refusal(&uri),
    }
}

async fn recherche(State(m): Shared, headers: HeaderMap, uri: Uri) -> Response {
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate_read(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let nom = reqwest::Url::parse(&format!("http://maquette{uri}"))
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "nom")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    let staff = db.user(caller).is_some_and(is_staff);
    if !staff {
        // Only staff search; the refusal page echoes the searched surname.
        if !nom.is_empty() {
            db.echoed_searches += 1;
        }
        return refusal(&uri);
    }
    let Some(user) = db.user(caller) else {
        return refusal(&uri);
    };
    let resultats: Vec<Value> = db
        .listed(user, false)
        .into_iter()
        .filter(|d| d["etat_civil"]["nom"].as_str() == Some(nom.as_str()))
        .collect();
    reply(StatusCode::OK, json!({ "resultats": resultats }))
}

async fn export(State(m): Shared, headers: HeaderMap, uri: Uri) -> Response {
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate_read(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let Some(user) = db.user(caller) else {
        return refusal(&uri);
    };
    let mut csv = String::from("numero;departement;nom;prenom;nir\n");
    for d in db.listed(user, false) {
        let e = &d["etat_civil"];
        csv.push_str(&format!(
            "{};{};{};{};{}\n",
            d["numero"],
            d["departement"].as_str().unwrap_or_default(),
            e["nom"].as_str().unwrap_or_default(),
            e["prenom"].as_str().unwrap_or_default(),
            e["nir"].as_str().unwrap_or_default()
        ));
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv")], csv).into_response()
}

pub(super) fn router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/sante", get(|| async { "ok" }))
        .route("/api/admin/departements", post(creer_departement))
        .route(
            "/api/admin/remise-a-zero",
            axum::routing::delete(remise_a_zero),
        )
        .route("/api/admin/departements/{code}/comptes", post(creer_compte))
        .route("/api/admin/mandats", post(creer_mandat))
        .route("/api/admin/mandats/{id}/fin", post(finir_mandat))
        .route("/api/connexion", post(connexion))
        .route("/api/deconnexion", post(deconnexion))
        .route("/api/dossiers", post(creer_dossier))
        .route(
            "/api/dossiers/{numero}",
            get(lire_dossier).patch(modifier_dossier),
        )
        .route("/api/dossiers/{numero}/pieces", post(deposer_piece))
        .route("/api/pieces/{id}/contenu", get(contenu_piece))
        .route("/api/mes-dossiers", get(mes_dossiers))
        .route("/api/instruction/dossiers", get(instruction))
        .route("/api/recherche", get(recherche))
        .route("/api/export", get(export))
        .with_state(mock)
}
