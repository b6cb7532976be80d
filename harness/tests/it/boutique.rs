//! A shop whose catalogue belongs to the shop, not to its customers: "Boutique", an in-memory axum mock
//! with tokens in `Authorization: Shop ...`, string member identifiers and refusals as 403 or 404. cloison
//! knows it only through the profile below.
//!
//! - Customers (and those who shop for them) keep orders (`/orders`, the world's case files).
//! - `GET /catalogue/{id}` is read by every signed-in member of the shop; `POST /catalogue` (add an item),
//!   `PATCH /catalogue/{id}` (rename) and `DELETE /catalogue/{id}` (remove) are for staff only. The items
//!   are the platform's records, not a customer's: the profile declares the rename and the removal as
//!   functions granted to staff, each with a `setup` (a staff member adds an item for each probe) and an
//!   `effect` read back (the item gone, its name the probe's marker).
//!
//! The shapes, one at a time: the catalogue open to customers (found: a customer removes and renames items,
//! proven by the read-back: exit 1 at default flags); the fixed twin refuses (exit 0); and a twin that
//! answers `200 {"ok": true}` to a customer's change but does nothing (exit 0, not even a warning: the
//! read-back shows no effect, and a status alone proves nothing).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloison_harness::cli::EXIT_FINDINGS;
use serde_json::{Value, json};

use crate::support::answer::{
    Upload, credential, file_answer, header_is, not_found, reply, text, upload,
};
use crate::support::directory::{Account, Directory};
use crate::support::{BinaryRun, RunSpec, run_binary, serve};

const OPS_KEY: &str = "boutique-ops-key";

/// How the shop treats a customer's change of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Refused (403).
    Fixed,
    /// Done: the catalogue is open to every signed-in member.
    Open,
    /// Answered `200 {"ok": true}`, and nothing done.
    Pretends,
}

struct Item {
    id: String,
    shop: String,
    name: String,
}

struct Order {
    id: String,
    shop: String,
    holder: String,
    content: Value,
}

struct Receipt {
    id: String,
    order: String,
    upload: Upload,
}

#[derive(Default)]
struct Db {
    directory: Directory<String>,
    orders: Vec<Order>,
    receipts: Vec<Receipt>,
    items: Vec<Item>,
    /// token -> member id
    tokens: HashMap<String, String>,
    /// Items added; changes by customers done, and answered without being done.
    added: usize,
    customer_changes: usize,
    pretended: usize,
}

impl Db {
    fn caller(&self, headers: &HeaderMap) -> Option<&Account<String>> {
        let id = self.tokens.get(credential(headers, "Shop ")?)?;
        self.directory.account(id.as_str())
    }

    fn staff(member: &Account<String>) -> bool {
        member.role == "clerk" || member.role == "manager"
    }

    fn may_see(&self, member: &Account<String>, order: &Order) -> bool {
        if Self::staff(member) {
            return member.tenant == order.shop;
        }
        self.directory.acts_for(member, order.holder.as_str())
    }
}

struct Boutique {
    db: Mutex<Db>,
    shape: Shape,
}

type Shared = State<Arc<Boutique>>;

fn unauthorized() -> Response {
    reply(StatusCode::UNAUTHORIZED, json!({ "error": "sign in" }))
}

fn forbidden() -> Response {
    reply(StatusCode::FORBIDDEN, json!({ "error": "staff only" }))
}

fn ops(headers: &HeaderMap) -> bool {
    header_is(headers, "X-Ops", OPS_KEY)
}

async fn create_shop(
    headers: HeaderMap,
    State(b): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let code = text(&body, "code");
    b.db.lock()
        .expect("db")
        .directory
        .tenants
        .push(code.clone());
    reply(StatusCode::CREATED, json!({ "shop": code }))
}

async fn create_member(
    headers: HeaderMap,
    State(b): Shared,
    Path(code): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let mut db = b.db.lock().expect("db");
    let id = format!("m-{}", db.directory.accounts.len() + 1);
    db.directory
        .enrol(id.clone(), code, &body, ["login", "pw", "role"]);
    reply(StatusCode::CREATED, json!({ "member": { "id": id } }))
}

async fn create_mandate(
    headers: HeaderMap,
    State(b): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    let mut db = b.db.lock().expect("db");
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
    State(b): Shared,
    Path(number): Path<usize>,
) -> Response {
    if !ops(&headers) {
        return not_found();
    }
    if b.db.lock().expect("db").directory.end(number) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn session(State(b): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut db = b.db.lock().expect("db");
    let Some(id) = db
        .directory
        .signed_in(&text(&body, "login"), &text(&body, "pw"))
        .map(|m| m.id.clone())
    else {
        return unauthorized();
    };
    let token = format!("sh-{}-{id}", db.tokens.len() + 1);
    db.tokens.insert(token.clone(), id);
    reply(StatusCode::OK, json!({ "token": token }))
}

async fn create_order(
    headers: HeaderMap,
    State(b): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = b.db.lock().expect("db");
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
    let shop = owner.tenant.clone();
    let id = format!("ORD-{}", db.orders.len() + 1);
    db.orders.push(Order {
        id: id.clone(),
        shop,
        holder,
        content: body,
    });
    reply(StatusCode::CREATED, json!({ "order": id }))
}

async fn read_order(headers: HeaderMap, State(b): Shared, Path(id): Path<String>) -> Response {
    let db = b.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    match db.orders.iter().find(|o| o.id == id) {
        Some(o) if db.may_see(me, o) => {
            reply(StatusCode::OK, json!({ "id": o.id, "content": o.content }))
        }
        _ => not_found(),
    }
}

/// A receipt (a document) attached to an order the caller may see.
async fn attach(
    headers: HeaderMap,
    State(b): Shared,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(file)) = upload(&mut multipart, "blob", "receipt").await else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "blob" }));
    };
    let mut db = b.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    if !db.orders.iter().any(|o| o.id == id && db.may_see(me, o)) {
        return not_found();
    }
    let receipt = format!("RC-{}", db.receipts.len() + 1);
    db.receipts.push(Receipt {
        id: receipt.clone(),
        order: id,
        upload: file,
    });
    reply(StatusCode::CREATED, json!({ "receipt": receipt }))
}

async fn receipt(headers: HeaderMap, State(b): Shared, Path(id): Path<String>) -> Response {
    let db = b.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    let Some(r) = db.receipts.iter().find(|r| r.id == id) else {
        return not_found();
    };
    if !db
        .orders
        .iter()
        .any(|o| o.id == r.order && db.may_see(me, o))
    {
        return not_found();
    }
    file_answer(
        r.upload.mime.clone(),
        &r.upload.name,
        r.upload.bytes.clone(),
    )
}

/// Add an item to the caller's shop: staff only.
async fn add_item(
    headers: HeaderMap,
    State(b): Shared,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = b.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    if !Db::staff(me) {
        return forbidden();
    }
    let shop = me.tenant.clone();
    let id = format!("it-{}", db.items.len() + 1);
    db.items.push(Item {
        id: id.clone(),
        shop,
        name: text(&body, "name"),
    });
    db.added += 1;
    reply(StatusCode::CREATED, json!({ "item": { "id": id } }))
}

async fn read_item(headers: HeaderMap, State(b): Shared, Path(id): Path<String>) -> Response {
    let db = b.db.lock().expect("db");
    let Some(me) = db.caller(&headers) else {
        return unauthorized();
    };
    match db.items.iter().find(|i| i.id == id && i.shop == me.tenant) {
        Some(i) => reply(
            StatusCode::OK,
            json!({ "item": { "id": i.id, "name": i.name } }),
        ),
        None => not_found(),
    }
}

/// What the shop does with a change of the catalogue by the caller.
enum Change {
    /// Go ahead.
    Do,
    /// Answer a success and do nothing.
    Pretend,
    /// Not signed in.
    SignIn,
    /// Refused.
    Refuse,
}

fn may_change(b: &Boutique, db: &mut Db, headers: &HeaderMap) -> Change {
    let Some(me) = db.caller(headers) else {
        return Change::SignIn;
    };
    if Db::staff(me) {
        return Change::Do;
    }
    match b.shape {
        Shape::Fixed => Change::Refuse,
        Shape::Open => {
            db.customer_changes += 1;
            Change::Do
        }
        Shape::Pretends => {
            db.pretended += 1;
            Change::Pretend
        }
    }
}

/// Whether to act, or the refusal to answer.
fn act(change: Change) -> Result<bool, Box<Response>> {
    match change {
        Change::Do => Ok(true),
        Change::Pretend => Ok(false),
        Change::SignIn => Err(Box::new(unauthorized())),
        Change::Refuse => Err(Box::new(forbidden())),
    }
}

async fn rename_item(
    headers: HeaderMap,
    State(b): Shared,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut db = b.db.lock().expect("db");
    let act = match act(may_change(&b, &mut db, &headers)) {
        Ok(act) => act,
        Err(refused) => return *refused,
    };
    let Some(shop) = db.caller(&headers).map(|m| m.tenant.clone()) else {
        return unauthorized();
    };
    let Some(item) = db.items.iter_mut().find(|i| i.id == id && i.shop == shop) else {
        return not_found();
    };
    if act {
        item.name = text(&body, "name");
    }
    reply(StatusCode::OK, json!({ "ok": true }))
}

async fn remove_item(headers: HeaderMap, State(b): Shared, Path(id): Path<String>) -> Response {
    let mut db = b.db.lock().expect("db");
    let act = match act(may_change(&b, &mut db, &headers)) {
        Ok(act) => act,
        Err(refused) => return *refused,
    };
    let Some(shop) = db.caller(&headers).map(|m| m.tenant.clone()) else {
        return unauthorized();
    };
    if !db.items.iter().any(|i| i.id == id && i.shop == shop) {
        return not_found();
    }
    if act {
        db.items.retain(|i| i.id != id);
    }
    reply(StatusCode::OK, json!({ "ok": true }))
}

fn router(boutique: Arc<Boutique>) -> Router {
    Router::new()
        .route("/ping", get(|| async { "pong" }))
        .route("/ops/shops", post(create_shop))
        .route("/ops/shops/{code}/members", post(create_member))
        .route("/ops/mandates", post(create_mandate))
        .route("/ops/mandates/{number}/revoke", post(revoke_mandate))
        .route("/sessions", post(session))
        .route("/orders", post(create_order))
        .route("/orders/{id}", get(read_order))
        .route("/orders/{id}/receipts", post(attach))
        .route("/receipts/{id}", get(receipt))
        .route("/catalogue", post(add_item))
        .route(
            "/catalogue/{id}",
            get(read_item).patch(rename_item).delete(remove_item),
        )
        .with_state(boutique)
}

const PROFILE: &str = r#"
format = 1
name = "Boutique (mock)"
secrets_file = "boutique.secrets.toml"

[health]
path = "/ping"

[roles]
applicant = "customer"
representative = "shopper"
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
operator = { header = "X-Ops", value = "{{secrets.ops_key}}" }

[provisioning.tenant]
method = "POST"
path = "/ops/shops"
json = { code = "{{tenant.code}}" }

[provisioning.identity]
method = "POST"
path = "/ops/shops/{{tenant.code}}/members"
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
send = { header = "Authorization", value = "Shop {{token}}" }

[auth.login]
method = "POST"
path = "/sessions"
json = { login = "{{identity.login}}", pw = "{{identity.password}}" }

[refusals]
statuses = [403, 404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/orders"
extract = { id = "/order" }
json = { holder = "{{person.account_id}}", person = { surname = "{{person.surname}}", first_name = "{{person.first_name}}", nir = "{{person.nir}}" } }

[resources.case.read]
path = "/orders/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/orders/{{case.id}}/receipts"
extract = { id = "/receipt" }
multipart = [{ name = "blob", file = "document" }]

[resources.document.download]
path = "/receipts/{{document.id}}"

# The catalogue is the shop's: staff add, rename and remove items. Each probe aims at an item a staff
# member adds for it (`setup`), read back before and after the call (`effect`).
[functions.remove_item]
method = "DELETE"
path = "/catalogue/{{probe.item}}"
granted = ["agent", "tenant_admin"]
setup = { method = "POST", path = "/catalogue", json = { name = "set aside for a cloison probe" }, extract = { item = "/item/id" } }
effect = { read = { path = "/catalogue/{{probe.item}}" }, shows = "gone" }

[functions.rename_item]
method = "PATCH"
path = "/catalogue/{{probe.item}}"
json = { name = "{{probe.marker}}" }
granted = ["agent", "tenant_admin"]
setup = { method = "POST", path = "/catalogue", json = { name = "set aside for a cloison probe" }, extract = { item = "/item/id" } }
effect = { read = { path = "/catalogue/{{probe.item}}" }, shows = "marker", at = "/item/name" }
"#;

/// A finished run against Boutique, and what the shop counted.
struct BoutiqueRun {
    run: BinaryRun,
    added: usize,
    customer_changes: usize,
    pretended: usize,
}

async fn run_boutique(shape: Shape) -> BoutiqueRun {
    let boutique = Arc::new(Boutique {
        db: Mutex::new(Db::default()),
        shape,
    });
    let (addr, server) = serve(router(boutique.clone())).await;
    let run = run_binary(
        addr,
        RunSpec {
            profile: PROFILE,
            name: "boutique",
            secrets: &format!("ops_key = \"{OPS_KEY}\"\n"),
            seed: 5,
            tenants: 2,
            cases: 8,
        },
    )
    .await;
    server.abort();
    let db = boutique.db.lock().expect("db");
    BoutiqueRun {
        run,
        added: db.added,
        customer_changes: db.customer_changes,
        pretended: db.pretended,
    }
}

/// Customers remove and rename the shop's items: each proven by a staff member's read-back of an item set
/// aside for the probe (gone, or named with the probe's marker), a proven finding at default flags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalogue_open_to_customers_is_proven_by_reading_the_items_back() {
    let flawed = run_boutique(Shape::Open).await;
    flawed.run.assert_exit(EXIT_FINDINGS);
    for function in ["functions.remove_item", "functions.rename_item"] {
        flawed.run.cause(function, |c| {
            c["endpoint"] == function
                && c["family"] == "function-level"
                && c["evidence"] == "proven-tampering"
        });
    }
    assert!(flawed.customer_changes > 0);
    assert!(flawed.added > 0, "items were set aside for the probes");
}

/// The fixed shop refuses every customer's change: clean, and the function-level family ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_boutique_is_clean() {
    let fixed = run_boutique(Shape::Fixed).await;
    fixed.run.assert_clean();
    assert_eq!(fixed.customer_changes, 0);
    assert!(fixed.added > 0, "items were set aside for the probes");
    assert!(fixed.run.causes().is_empty(), "{}", fixed.run.summary());
}

/// A shop that answers `200` to a customer's change and does nothing: the read-back shows no effect, so
/// the refusal is real whatever the status: clean, not even a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boutique_that_answers_200_and_does_nothing_is_clean_without_a_warning() {
    let pretends = run_boutique(Shape::Pretends).await;
    pretends.run.assert_clean();
    assert!(
        pretends.pretended > 0,
        "customers' changes were answered 200"
    );
    assert!(
        pretends.run.causes().is_empty(),
        "no finding, no warning: {}",
        pretends.run.summary()
    );
}
