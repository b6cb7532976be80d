//! A platform of another shape than the reference portal: "Dossiers 360", an in-memory axum mock with French
//! routes, numeric identifiers, its own JSON field names, refusals as 403 only, a login that answers its token
//! in a header, and provisioning behind an operator key header. cloison knows it only through the profile
//! below. The mock is hardened by default; each planted flaw of [`Flaws`] removes one check, and each test
//! shows that the flawed mock is caught by the expected family (exit 1) while its hardened twin is clean
//! (exit 0) with every family run. Quirks that are not flaws (refusal pages that echo the request, sessions
//! that expire, server errors on forbidden writes) must not change a hardened verdict. Some are
//! regression tests of engine bugs the mock found (sessions expiring while seeding, refused writes that share
//! the record with the writer, server errors on writes that changed nothing).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_INCONCLUSIVE, EXIT_OK};
use cloison_harness::report::{Evidence, Outcome, Report};
use cloison_harness::run::{RunArgs, RunResult, execute};
use cloison_harness::target::TargetSpec;
use serde_json::{Value, json};

const OPERATOR_KEY: &str = "cle-operateur-maquette";

/// Checks the mock can drop (flaws), and behaviours of a real platform that are not flaws (quirks).
#[derive(Debug, Clone, Copy, Default)]
struct Flaws {
    /// Flaw (anonymous): a download without any token is served (the auth middleware is optional there).
    anonymous_download: bool,
    /// Flaw (allowed-read): a staff read of a case of its tenant embeds "similar cases" of any tenant.
    similar_cases: bool,
    /// Flaw (collection): `/api/mes-dossiers` of a person lists every case of its tenant.
    list_whole_tenant: bool,
    /// Flaw (identifier-guessing): a missing object answers 404, a forbidden one 403.
    missing_is_404: bool,
    /// Flaw (direct-write): a forbidden update moves the case to the writer (its tenant and holder).
    reparent_on_write: bool,
    /// Flaw (direct-write, quietly): a forbidden update answers 403 but shares the case with the writer; the
    /// owner keeps it unchanged, the writer now reads it.
    share_on_refused_write: bool,
    /// Quirk: a forbidden update answers 500 and changes nothing.
    write_500: bool,
    /// Flaw (stateful): logging out answers 204 but the token keeps working.
    logout_keeps_token: bool,
    /// Quirk: a holder may have one case file only (a second create answers 409).
    one_case_per_holder: bool,
    /// Quirk: a session token expires after this many requests (401).
    expire_after: Option<u32>,
    /// Quirk: a session token expires after this many reads (GET requests; 401).
    reads_expire_after: Option<u32>,
    /// Quirk: a login already taken is refused (409), as on any real platform: a second run against the
    /// same instance needs the profile's `[[reset]]`.
    unique_logins: bool,
    /// Quirk: instructors read their departement's cases and change none (the policy of a profile that
    /// says `agent = ["tenant:read"]`); without it they may change any case they see.
    read_only_instructors: bool,
    /// Flaw (direct-write): a `controleur` (an auditor, a role of the platform's own that reads its
    /// departement's cases and changes none) may change them.
    controleurs_write: bool,
}

#[derive(Debug)]
struct User {
    id: u64,
    secret: String,
    login: String,
    profil: String,
    departement: String,
}

#[derive(Debug)]
struct Mandat {
    mandataire: u64,
    usager: u64,
    fini: bool,
}

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
struct Db {
    departements: Vec<String>,
    users: Vec<User>,
    mandats: Vec<Mandat>,
    dossiers: Vec<Dossier>,
    pieces: Vec<Piece>,
    /// token -> (user id, requests made with it, reads made with it)
    jetons: HashMap<String, (u64, u32, u32)>,
    issued: u64,
    /// 403 pages that echoed a searched surname.
    echoed_searches: usize,
    /// Forbidden updates answered 500.
    writes_500: usize,
    /// Tokens refused as expired.
    expired: usize,
    /// Times the operator reset the platform.
    resets: usize,
}

#[derive(Debug)]
struct Mock {
    db: Mutex<Db>,
    flaws: Flaws,
}

type Shared = State<Arc<Mock>>;

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

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
    ["instructeur", "gestionnaire", "controleur"].contains(&user.profil.as_str())
}

impl Db {
    fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// May `user` act for the holder `titulaire` (itself, or an active representation)?
    fn acts_for(&self, user: &User, titulaire: u64) -> bool {
        titulaire == user.id
            || self
                .mandats
                .iter()
                .any(|m| m.mandataire == user.id && m.usager == titulaire && !m.fini)
    }

    fn visible(&self, user: &User, dossier: &Dossier) -> bool {
        if dossier.partage.contains(&user.id) {
            return true;
        }
        if is_staff(user) {
            user.departement == dossier.departement
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
            .filter(|d| {
                self.visible(user, d) || (whole_tenant && d.departement == user.departement)
            })
            .map(Db::view)
            .collect()
    }
}

impl Mock {
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
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Jeton "))
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
    headers
        .get("X-Cle-Operateur")
        .is_some_and(|v| v.as_bytes() == OPERATOR_KEY.as_bytes())
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
    let code = body["code"].as_str().unwrap_or_default().to_string();
    let mut db = m.db.lock().expect("db");
    if !db.departements.contains(&code) {
        db.departements.push(code.clone());
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
    if !db.departements.contains(&code) {
        return reply(StatusCode::BAD_REQUEST, json!({ "erreur": "departement" }));
    }
    let login = body["identifiant"].as_str().unwrap_or_default();
    if m.flaws.unique_logins && db.users.iter().any(|u| u.login == login) {
        return reply(
            StatusCode::CONFLICT,
            json!({ "erreur": { "message": format!("identifiant {login} deja pris") } }),
        );
    }
    let id = db.users.len() as u64 + 1;
    db.users.push(User {
        id,
        login: body["identifiant"].as_str().unwrap_or_default().to_string(),
        secret: body["secret"].as_str().unwrap_or_default().to_string(),
        profil: body["profil"].as_str().unwrap_or_default().to_string(),
        departement: code,
    });
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
    db.mandats.push(Mandat {
        mandataire,
        usager,
        fini: false,
    });
    reply(StatusCode::CREATED, json!({ "mandat": db.mandats.len() }))
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
    match id.checked_sub(1).and_then(|i| db.mandats.get_mut(i)) {
        Some(mandat) => {
            mandat.fini = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => reply(StatusCode::BAD_REQUEST, json!({ "erreur": "mandat" })),
    }
}

async fn connexion(State(m): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = m.db.lock().expect("db");
    let login = body["identifiant"].as_str().unwrap_or_default();
    let secret = body["mot_de_passe"].as_str().unwrap_or_default();
    let Some(id) = db
        .users
        .iter()
        .find(|u| u.login == login && u.secret == secret)
        .map(|u| u.id)
    else {
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
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Jeton "))
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
    let departement = holder.departement.clone();
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
    let (user_id, user_departement) = (user.id, user.departement.clone());
    let Some(index) = numero
        .parse::<u64>()
        .ok()
        .and_then(|n| db.dossiers.iter().position(|d| d.numero == n))
    else {
        return refusal(&uri);
    };
    if m.flaws.read_only_instructors
        && user.profil == "instructeur"
        && db.dossiers[index].titulaire != user_id
    {
        return refusal(&uri);
    }
    if user.profil == "controleur" && !m.flaws.controleurs_write {
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
    let mut fichier = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("fichier") {
            let nom = field.file_name().unwrap_or("piece").to_string();
            let type_mime = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let Ok(octets) = field.bytes().await else {
                return reply(StatusCode::BAD_REQUEST, json!({ "erreur": "fichier" }));
            };
            fichier = Some((nom, type_mime, octets.to_vec()));
        }
    }
    let mut db = m.db.lock().expect("db");
    let caller = match m.authenticate(&mut db, &headers) {
        Ok(id) => id,
        Err(message) => return unauthenticated(message),
    };
    let Some((nom, type_mime, octets)) = fichier else {
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
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, piece.type_mime.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", piece.nom),
            ),
        ],
        piece.octets.clone(),
    )
        .into_response()
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

fn router(mock: Arc<Mock>) -> Router {
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

/// cloison's description of the mock: nothing in it is shared with the reference portal's profile.
const PROFILE: &str = r#"
format = 1
name = "Dossiers 360 (maquette)"
secrets_file = "maquette.secrets.toml"

[health]
path = "/sante"

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

[maps.mandat]
parent = "autorite_parentale"
tuteur = "tutelle"
curateur = "curatelle"
habilitation_familiale = "habilitation"

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Cle-Operateur", value = "{{secrets.cle_operateur}}" }

[provisioning.tenant]
method = "POST"
path = "/api/admin/departements"
json = { code = "{{tenant.code}}", libelle = "{{tenant.name}}" }

[provisioning.identity]
method = "POST"
path = "/api/admin/departements/{{tenant.code}}/comptes"
json = { identifiant = "{{identity.login}}", secret = "{{identity.password}}", profil = "{{identity.role}}" }
extract = { id = "/compte/id" }

[provisioning.representation]
method = "POST"
path = "/api/admin/mandats"
json = { mandataire = "{{representative.id}}", usager = "{{represented.id}}", nature = "{{representation.kind | mandat}}" }
extract = { id = "/mandat" }

[provisioning.end_representation]
method = "POST"
path = "/api/admin/mandats/{{representation.id}}/fin"

[auth]
scheme = "token"
token = { header = "X-Jeton-Session" }
send = { header = "Authorization", value = "Jeton {{token}}" }

[auth.login]
method = "POST"
path = "/api/connexion"
json = { identifiant = "{{identity.login}}", mot_de_passe = "{{identity.password}}" }

[auth.logout]
method = "POST"
path = "/api/deconnexion"

# Refusals are 403 only: a 401 means the session is gone, never "refused".
[refusals]
statuses = [403]

[probing]
owner_fields = ["titulaire"]
tenant_fields = ["departement"]

[resources.case.create]
as = "owner"
method = "POST"
path = "/api/dossiers"
extract = { id = "/numero" }

[resources.case.create.json]
titulaire = "{{person.account_id}}"
droits = "{{case.requested_rights}}"
objet = "Dossier {{case.case_number}} du {{case.filing_date}}"

[resources.case.create.json.etat_civil]
nom = "{{person.surname}}"
prenom = "{{person.first_name}}"
nir = "{{person.nir}}"
naissance = "{{person.birth_date}}"
adresse = "{{person.address_line}}"
code_postal = "{{person.postcode}}"
commune = "{{person.commune}}"
courriel = "{{person.email?}}"
telephone = "{{person.phone?}}"
iban = "{{person.iban?}}"

[resources.case.read]
path = "/api/dossiers/{{case.id}}"

[resources.case.update]
method = "PATCH"
path = "/api/dossiers/{{case.id}}"
json = { observations = "{{probe.marker}}" }
marker = "/observations"

[resources.case.list]
path = "/api/mes-dossiers"

[resources.case.search]
path = "/api/recherche"
query = { nom = "{{person.surname}}" }

[resources.case.export]
path = "/api/export"

[resources.document.create]
as = "owner"
method = "POST"
path = "/api/dossiers/{{case.id}}/pieces"
extract = { id = "/piece/id" }
multipart = [
  { name = "fichier", file = "document" },
  { name = "nature", value = "{{document.kind}}" },
]

[resources.document.download]
path = "/api/pieces/{{document.id}}/contenu"

[functions.instruction]
path = "/api/instruction/dossiers"
granted = ["agent", "tenant_admin"]
"#;

/// A finished run against a mock, and the mock's state afterwards.
struct MockRun {
    result: RunResult,
    mock: Arc<Mock>,
}

impl MockRun {
    fn report(&self) -> &Report {
        &self.result.report
    }
}

/// Serve a mock with `flaws`, run cloison against it with `profile`, and return the result.
async fn run_mock_with(
    flaws: Flaws,
    seed: u64,
    tenants: usize,
    cases: u64,
    profile: &str,
) -> MockRun {
    let (result, mock) = try_run_mock(flaws, seed, tenants, cases, profile).await;
    MockRun {
        result: result.expect("the run completes"),
        mock,
    }
}

/// [`run_mock_with`], returning the run's error instead of panicking.
async fn try_run_mock(
    flaws: Flaws,
    seed: u64,
    tenants: usize,
    cases: u64,
    profile: &str,
) -> (anyhow::Result<RunResult>, Arc<Mock>) {
    let mock = Arc::new(Mock {
        db: Mutex::new(Db::default()),
        flaws,
    });
    let result = run_on(&mock, seed, tenants, cases, profile).await;
    (result, mock)
}

/// Run cloison against an existing mock (its state kept from earlier runs).
async fn run_on(
    mock: &Arc<Mock>,
    seed: u64,
    tenants: usize,
    cases: u64,
    profile: &str,
) -> anyhow::Result<RunResult> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let app = router(Arc::clone(mock));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().expect("tempdir");
    let profile_path = dir.path().join("maquette.toml");
    std::fs::write(&profile_path, profile).expect("write profile");
    std::fs::write(
        dir.path().join("maquette.secrets.toml"),
        format!("cle_operateur = \"{OPERATOR_KEY}\"\n"),
    )
    .expect("write secrets");
    let args = RunArgs {
        target: TargetSpec::Url(format!("http://{addr}").parse().expect("url")),
        profile: Some(profile_path),
        seed,
        tenants: cloison_generators::TenantSelection::Count(tenants),
        cases,
        quiet: true,
        ..RunArgs::default()
    };
    let result = execute(&args).await;
    server.abort();
    result
}

async fn run_mock(flaws: Flaws, seed: u64) -> MockRun {
    run_mock_with(flaws, seed, 2, 12, PROFILE).await
}

/// Exit 0, clean, no failure, every control passed, and every family ran (all apply to this profile).
fn assert_clean(run: &MockRun, what: &str) {
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_OK, "{what}: {}", report.summary());
    assert_eq!(report.outcome, Outcome::Clean, "{what}");
    assert!(report.root_causes.is_empty() && report.findings.is_empty());
    assert!(report.failures.is_empty(), "{what}: {:?}", report.failures);
    assert_eq!(
        report.coverage.controls_passed, report.coverage.controls_run,
        "{what}"
    );
    assert!(report.coverage.controls_run > 0, "{what}");
    assert_eq!(report.coverage.families.len(), 12, "{what}");
    for family in &report.coverage.families {
        assert!(
            family.skipped.is_none() && family.probes > 0,
            "{what}: every family applies to the mock and runs: {family:?}\n{}",
            report.summary()
        );
    }
}

/// Exit 1 with at least one root cause of `family` on `endpoint`, each of the evidence allowed.
fn assert_found(run: &MockRun, family: &str, endpoint: &str, evidence: &[Evidence], what: &str) {
    let report = run.report();
    assert_eq!(
        run.result.exit,
        EXIT_FINDINGS,
        "{what}: {}",
        report.summary()
    );
    assert_eq!(report.outcome, Outcome::Findings, "{what}");
    assert!(report.failures.is_empty(), "{what}: {:?}", report.failures);
    let causes: Vec<_> = report
        .root_causes
        .iter()
        .filter(|c| c.family.name() == family && c.endpoint == endpoint)
        .collect();
    assert!(
        !causes.is_empty(),
        "{what}: no {family} root cause on {endpoint}: {}",
        report.summary()
    );
    for cause in causes {
        assert!(
            evidence.contains(&cause.evidence),
            "{what}: {family} with evidence {:?}: {}",
            cause.evidence,
            report.summary()
        );
        let curl = &cause
            .reproducer
            .request
            .as_ref()
            .expect("a reproducer carries its request")
            .curl;
        assert!(curl.starts_with("curl "), "{curl}");
        assert!(
            !curl.contains("Jeton jt"),
            "no token in a reproducer: {curl}"
        );
        assert!(!curl.contains(OPERATOR_KEY), "{curl}");
    }
}

/// The flawed mock is caught by `family` on `endpoint`; its hardened twin (same seed) is clean.
async fn flaw_and_twin(
    flaws: Flaws,
    seed: u64,
    family: &str,
    endpoint: &str,
    evidence: &[Evidence],
) {
    let flawed = run_mock(flaws, seed).await;
    assert_found(&flawed, family, endpoint, evidence, "flawed");
    let hardened = run_mock(Flaws::default(), seed).await;
    assert_clean(&hardened, "hardened twin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_token_that_survives_logout_is_found_by_the_stateful_family() {
    let flaws = Flaws {
        logout_keeps_token: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        1,
        "stateful",
        "resources.case.read",
        &[Evidence::ProvenLeak],
    )
    .await;
}

/// A platform that refuses a second case file per person: the stateful suite cannot create its subjects,
/// so it stops, and the run says so (inconclusive), neither a finding nor a target failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_refusing_a_second_case_file_stops_the_stateful_suite_and_the_run_is_inconclusive() {
    let flaws = Flaws {
        one_case_per_holder: true,
        ..Flaws::default()
    };
    let run = run_mock(flaws, 1).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_INCONCLUSIVE, "{}", report.summary());
    assert!(report.root_causes.is_empty() && report.failures.is_empty());
    let stopped = report
        .coverage
        .stateful
        .stopped
        .as_deref()
        .expect("the suite says why it stopped");
    assert!(stopped.contains("409"), "{stopped}");
    assert!(
        report
            .reasons
            .iter()
            .any(|r| r.starts_with("the stateful suite stopped early")),
        "{:?}",
        report.reasons
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_anonymous_download_is_found_by_the_anonymous_family() {
    let flaws = Flaws {
        anonymous_download: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        1,
        "anonymous",
        "resources.document.download",
        &[Evidence::ProvenLeak],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_similar_cases_of_another_tenant_are_found_by_the_allowed_read_family() {
    let flaws = Flaws {
        similar_cases: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        2,
        "allowed-read",
        "resources.case.read",
        &[Evidence::ProvenLeak],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_own_list_showing_the_whole_tenant_is_found_by_the_collection_family() {
    let flaws = Flaws {
        list_whole_tenant: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        3,
        "collection",
        "resources.case.list",
        &[Evidence::ProvenLeak],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_403_for_forbidden_and_404_for_missing_is_found_by_identifier_guessing() {
    let flaws = Flaws {
        missing_is_404: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        4,
        "identifier-guessing",
        "resources.case.read",
        &[Evidence::Suspicious],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_forbidden_write_that_reparents_the_case_is_found_by_direct_write() {
    let flaws = Flaws {
        reparent_on_write: true,
        ..Flaws::default()
    };
    flaw_and_twin(
        flaws,
        5,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering, Evidence::ProvenLeak],
    )
    .await;
}

/// The hardened mock's refusal page echoes the URL's path and query: a person's search for other persons'
/// surnames is refused with those surnames in the body. Canaries the request carried are reflected, never
/// proof: the run is clean, although the mock did echo searched surnames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_refusals_that_echo_the_searched_surname_are_not_leaks() {
    let run = run_mock(Flaws::default(), 6).await;
    assert_clean(&run, "hardened with echoing refusals");
    let echoed = run.mock.db.lock().expect("db").echoed_searches;
    assert!(
        echoed > 0,
        "the search family sent persons' searches that the mock refused with an echo"
    );
}

/// Sessions expire after 30 requests, in the hardened and in a flawed build. A 401 from an expired token is
/// never a refusal: the engine logs in again, the hardened run stays clean, the flawed one still shows its
/// leak, and both reports say sessions were renewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_expiring_sessions_are_renewed_and_never_count_as_refusals() {
    let renewed = |run: &MockRun| {
        let expired = run.mock.db.lock().expect("db").expired;
        assert!(expired > 0, "tokens did expire during the run");
        assert!(
            run.report()
                .warnings
                .iter()
                .any(|w| w.contains("renewed by logging in again")),
            "{:?}",
            run.report().warnings
        );
    };
    let flawed = run_mock(
        Flaws {
            list_whole_tenant: true,
            expire_after: Some(30),
            ..Flaws::default()
        },
        7,
    )
    .await;
    assert_found(
        &flawed,
        "collection",
        "resources.case.list",
        &[Evidence::ProvenLeak],
        "flawed, expiring sessions",
    );
    renewed(&flawed);
    let hardened = run_mock(
        Flaws {
            expire_after: Some(30),
            ..Flaws::default()
        },
        7,
    )
    .await;
    assert_clean(&hardened, "hardened, expiring sessions");
    renewed(&hardened);
}

/// The hardened mock answers 500 to forbidden updates and changes nothing: the owners' read-backs show the
/// case unchanged, so the run is not voided: no target failure, no finding, and a warning names the update
/// endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_server_errors_on_forbidden_writes_are_warnings_not_failures() {
    let run = run_mock(
        Flaws {
            write_500: true,
            ..Flaws::default()
        },
        8,
    )
    .await;
    let report = run.report();
    assert!(run.mock.db.lock().expect("db").writes_500 > 0);
    assert_ne!(
        report.outcome,
        Outcome::TargetFailure,
        "{}",
        report.summary()
    );
    assert!(
        report.failures.is_empty() && report.root_causes.is_empty(),
        "{}",
        report.summary()
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("server error") && w.contains("resources.case.update")),
        "{:?}",
        report.warnings
    );
    assert!(
        [EXIT_OK, EXIT_INCONCLUSIVE].contains(&run.result.exit),
        "{}",
        report.summary()
    );
}

/// The same run, held to "exit 0 with a warning": every forbidden write was read back unchanged by its owner
/// and shown nothing to its writer, which is what the direct-write family exists to prove.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_server_errors_on_forbidden_writes_with_no_change_leave_the_run_clean() {
    let run = run_mock(
        Flaws {
            write_500: true,
            ..Flaws::default()
        },
        8,
    )
    .await;
    assert_clean(&run, "forbidden writes answered 500, nothing changed");
}

/// A policy that grants every role its whole tenant leaves nothing to deny in a one-tenant world: the
/// direct-read family applies but cannot plan a probe, and the run says so instead of saying clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_policy_that_grants_everything_is_inconclusive() {
    let everything = PROFILE.replace(
        "applicant = [\"own\"]\nrepresentative = [\"own\", \"represented\"]\n",
        "applicant = [\"tenant\"]\nrepresentative = [\"tenant\"]\n",
    );
    assert_ne!(everything, PROFILE);
    let run = run_mock_with(Flaws::default(), 9, 1, 8, &everything).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_INCONCLUSIVE, "{}", report.summary());
    assert_eq!(report.outcome, Outcome::Inconclusive);
    assert!(
        report.reasons.iter().any(|r| r.contains("direct-read")),
        "{:?}",
        report.reasons
    );
    // With two tenants, `tenant` still forbids the other tenant's records: direct reads run, and the
    // hardened mock (stricter than this policy) is clean.
    let two = run_mock_with(Flaws::default(), 9, 2, 8, &everything).await;
    assert_eq!(two.result.exit, EXIT_OK, "{}", two.report().summary());
}

/// Sessions that expire after two reads: a session that expires between the existing and the missing
/// identifier of an existence probe answers 403 then 401. A 401 is no answer about existence: the probe must
/// log in again, not report "identifiers can be confirmed" against a hardened platform.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_a_session_expiring_inside_an_existence_probe_is_not_an_existence_leak() {
    for seed in [1, 2, 3] {
        let run = run_mock(
            Flaws {
                reads_expire_after: Some(2),
                ..Flaws::default()
            },
            seed,
        )
        .await;
        let report = run.report();
        assert!(run.mock.db.lock().expect("db").expired > 0);
        assert!(
            report.root_causes.is_empty(),
            "seed {seed}: a hardened platform whose sessions expire: {}",
            report.summary()
        );
    }
}

/// Sessions that expire after 5 requests expire while the world is being seeded (an owner creates its case
/// file and uploads its documents). A 401 there is an expired session, not a profile that does not fit the
/// platform: the run must log in again and go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_sessions_expiring_while_seeding_are_renewed() {
    let (result, mock) = try_run_mock(
        Flaws {
            expire_after: Some(5),
            ..Flaws::default()
        },
        1,
        2,
        12,
        PROFILE,
    )
    .await;
    assert!(mock.db.lock().expect("db").expired > 0);
    let result = result.expect("an expired session while seeding is not a usage error");
    assert_eq!(result.exit, EXIT_OK, "{}", result.report.summary());
}

/// A forbidden update answered 403 that still shared the case with its writer: the owner reads it unchanged,
/// but the writer now reads it. The write's effect is proven by the writer's view, whatever the status; the
/// direct-write family must name it (other families may see the shared case in the writer's lists too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_refused_write_that_shares_the_case_with_its_writer_is_found_by_direct_write() {
    let run = run_mock(
        Flaws {
            share_on_refused_write: true,
            ..Flaws::default()
        },
        5,
    )
    .await;
    assert_found(
        &run,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering, Evidence::ProvenLeak],
        "refused write that shared the case",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_instance_needs_the_profiles_reset() {
    let mock = Arc::new(Mock {
        db: Mutex::new(Db::default()),
        flaws: Flaws {
            unique_logins: true,
            ..Flaws::default()
        },
    });
    // Without [[reset]], the first run is clean and the second finds every login taken.
    let first = run_on(&mock, 11, 2, 12, PROFILE).await.expect("first run");
    assert_eq!(first.exit, EXIT_OK, "{}", first.report.summary());
    let failure = run_on(&mock, 11, 2, 12, PROFILE)
        .await
        .expect_err("the second run stops at provisioning")
        .to_string();
    assert!(
        failure.contains("answered 409") && failure.contains("deja pris"),
        "the failure names the answer and what it said: {failure}"
    );
    assert!(failure.contains("[[reset]]"), "and the way out: {failure}");
    // With [[reset]], every run starts from a blank platform and is clean again.
    let profile = format!(
        "{PROFILE}\n[[reset]]\nmethod = \"DELETE\"\npath = \"/api/admin/remise-a-zero\"\nok = [204]\n"
    );
    for run in 0..2 {
        let result = run_on(&mock, 11, 2, 12, &profile).await.expect("run");
        assert_eq!(
            result.exit,
            EXIT_OK,
            "run {run}: {}",
            result.report.summary()
        );
    }
    assert_eq!(mock.db.lock().expect("db").resets, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_instructors_who_change_what_the_policy_lets_them_only_read_are_found_by_direct_write()
{
    // The policy names the role as the platform does (`[roles] agent = "instructeur"`).
    let profile = PROFILE.replacen("agent = [\"tenant\"]", "instructeur = [\"tenant:read\"]", 1);
    assert_ne!(profile, PROFILE, "the mock's policy names agents' scope");
    // A platform whose instructors change cases the policy lets them only read: tampering.
    let writable = run_mock_with(Flaws::default(), 5, 2, 12, &profile).await;
    assert_found(
        &writable,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering],
        "instructors may write",
    );
    let report = writable.report();
    assert!(
        report
            .root_causes
            .iter()
            .filter(|c| c.family.name() == "direct-write")
            .all(|c| c.role == "agent" && c.relation == "same-tenant"),
        "only reading agents of the same tenant are in question: {}",
        report.summary()
    );
    // The same platform with read-only instructors is clean under that policy.
    let read_only = run_mock_with(
        Flaws {
            read_only_instructors: true,
            ..Flaws::default()
        },
        5,
        2,
        12,
        &profile,
    )
    .await;
    assert_clean(&read_only, "read-only instructors");
}

/// A role of the platform's own: `controleur`, an auditor who reads its departement's cases and changes
/// none (`[roles] controleur = { staff = true }`, `controleur = ["tenant:read"]`). cloison provisions one
/// per departement under that name; a platform that lets them change cases is found by direct-write, as
/// controleurs only, and the twin is clean with controleurs probed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_a_role_of_the_platforms_own_is_provisioned_and_held_to_its_policy() {
    let profile = PROFILE
        .replacen(
            "tenant_admin = \"gestionnaire\"\n",
            "tenant_admin = \"gestionnaire\"\ncontroleur = { staff = true }\n",
            1,
        )
        .replacen(
            "tenant_admin = [\"tenant\"]\n",
            "tenant_admin = [\"tenant\"]\ncontroleur = [\"tenant:read\"]\n",
            1,
        )
        // The back office's work list is theirs too.
        .replacen(
            "granted = [\"agent\", \"tenant_admin\"]",
            "granted = [\"agent\", \"tenant_admin\", \"controleur\"]",
            1,
        );
    assert_eq!(profile.matches("controleur").count(), 3, "{profile}");
    let writing = run_mock_with(
        Flaws {
            controleurs_write: true,
            ..Flaws::default()
        },
        6,
        2,
        12,
        &profile,
    )
    .await;
    assert_found(
        &writing,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering],
        "controleurs may write",
    );
    let report = writing.report();
    assert!(
        report.root_causes.iter().all(|c| c.role == "controleur"),
        "only controleurs are in question: {}",
        report.summary()
    );
    {
        let db = writing.mock.db.lock().expect("db");
        let controleurs = db.users.iter().filter(|u| u.profil == "controleur").count();
        assert_eq!(controleurs, 2, "one controleur per departement");
    }
    let twin = run_mock_with(Flaws::default(), 6, 2, 12, &profile).await;
    assert_clean(&twin, "read-only controleurs");
    assert!(
        twin.report()
            .coverage
            .cells
            .iter()
            .any(|c| c.role == "controleur" && c.family.name() == "direct-write"),
        "controleurs' writes were probed"
    );
}
