//! The corpus's OpenAPI documents, written for the tests in the shapes four frameworks give them, each with
//! the routes its mock serves ([`super::Shape`]): FastAPI (an OAuth2 password flow whose `tokenUrl` is
//! relative, collections with a trailing slash), connexion (a JSON login answering a JWT, HTTP bearer),
//! Django REST framework as drf-spectacular writes it (a `Token` header, a `servers` prefix, children nested
//! under their parent, 300+ operations generated), Express (a session cookie).

use serde_json::{Value, json};

use super::{Login, Shape};

fn object(props: &[(&str, &str)], required: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|(name, ty)| ((*name).to_string(), json!({ "type": ty })))
        .collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn body(media: &str, schema: Value) -> Value {
    json!({ "required": true, "content": { media: { "schema": schema } } })
}

fn answer(status: &str, schema: Value) -> Value {
    json!({ status: { "description": "ok", "content": { "application/json": { "schema": schema } } },
            "404": { "description": "not found" }, "401": { "description": "signed out" } })
}

fn op(summary: &str, responses: Value) -> Value {
    json!({ "summary": summary, "responses": responses })
}

fn with(mut op: Value, key: &str, value: Value) -> Value {
    op[key] = value;
    op
}

fn open(op: Value) -> Value {
    with(op, "security", json!([]))
}

/// FastAPI: `OAuth2PasswordBearer(tokenUrl="token")`, `POST /users/` signs up, items under `/items/`.
pub(crate) fn fastapi() -> Shape {
    let secured = json!([{ "OAuth2PasswordBearer": [] }]);
    let item = object(
        &[
            ("id", "integer"),
            ("title", "string"),
            ("description", "string"),
            ("owner_id", "integer"),
        ],
        &["id", "title"],
    );
    let create = object(
        &[("title", "string"), ("description", "string")],
        &["title"],
    );
    let user = object(&[("id", "integer"), ("email", "string")], &["id"]);
    let form = object(
        &[
            ("grant_type", "string"),
            ("username", "string"),
            ("password", "string"),
            ("scope", "string"),
        ],
        &["username", "password"],
    );
    let token = object(
        &[("access_token", "string"), ("token_type", "string")],
        &["access_token"],
    );
    let s = |o: Value| with(o, "security", secured.clone());
    let document = json!({
        "openapi": "3.1.0",
        "info": { "title": "Items API", "version": "0.1.0" },
        "components": { "securitySchemes": { "OAuth2PasswordBearer": {
            "type": "oauth2", "flows": { "password": { "scopes": {}, "tokenUrl": "token" } } } } },
        "paths": {
            "/health": { "get": op("Health", answer("200", object(&[("status", "string")], &[]))) },
            "/users/": { "post": with(op("Create User", answer("200", user.clone())), "requestBody",
                body("application/json", object(&[("email", "string"), ("password", "string")], &["email", "password"]))) },
            "/token": { "post": with(op("Login For Access Token", answer("200", token)), "requestBody",
                body("application/x-www-form-urlencoded", form)) },
            "/users/me/": { "get": s(op("Read Users Me", answer("200", user))) },
            "/items/": {
                "get": s(op("Read Items", answer("200", json!({ "type": "array", "items": item.clone() })))),
                "post": s(with(op("Create Item", answer("200", item.clone())), "requestBody", body("application/json", create.clone())))
            },
            "/items/{item_id}": {
                "parameters": [{ "name": "item_id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "get": s(op("Read Item", answer("200", item.clone()))),
                "put": s(with(op("Update Item", answer("200", item)), "requestBody", body("application/json", create))),
                "delete": s(op("Delete Item", answer("200", json!({}))))
            },
            "/admin/reset-db": { "post": s(op("Reset the database", answer("200", json!({})))) }
        }
    });
    Shape {
        name: "fastapi",
        login: Login::OAuthForm,
        login_path: "/token".into(),
        signup_path: "/users/".into(),
        health_path: "/health".into(),
        records: "/items/".into(),
        record: "/items/{item_id}".into(),
        children: None,
        document,
    }
}

/// connexion: HTTP bearer (JWT), `POST /auth/login` answers `{"token"}`, pets under `/pets`.
pub(crate) fn connexion() -> Shape {
    let pet = object(
        &[("id", "integer"), ("name", "string"), ("notes", "string")],
        &["id"],
    );
    let create = object(&[("name", "string"), ("notes", "string")], &["name"]);
    let credentials = object(
        &[("username", "string"), ("password", "string")],
        &["username", "password"],
    );
    let document = json!({
        "openapi": "3.0.3",
        "info": { "title": "Pet clinic", "version": "1.0" },
        "security": [{ "jwt": [] }],
        "components": { "securitySchemes": { "jwt": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } } },
        "paths": {
            "/ping": { "get": open(op("Liveness", answer("200", json!({})))) },
            "/auth/register": { "post": open(with(op("Register", answer("201", object(&[("id", "integer")], &[]))),
                "requestBody", body("application/json", credentials.clone()))) },
            "/auth/login": { "post": open(with(op("Log in", answer("200", object(&[("token", "string")], &[]))),
                "requestBody", body("application/json", credentials))) },
            "/pets": {
                "get": op("List pets", answer("200", json!({ "type": "array", "items": pet.clone() }))),
                "post": with(op("Add a pet", answer("201", pet.clone())), "requestBody", body("application/json", create.clone()))
            },
            "/pets/{pet_id}": {
                "parameters": [{ "name": "pet_id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "get": op("Get a pet", answer("200", pet.clone())),
                "patch": with(op("Update a pet", answer("200", pet)), "requestBody", body("application/json", create)),
                "delete": op("Remove a pet", answer("204", json!({})))
            }
        }
    });
    Shape {
        name: "connexion",
        login: Login::JwtJson,
        login_path: "/auth/login".into(),
        signup_path: "/auth/register".into(),
        health_path: "/ping".into(),
        records: "/pets".into(),
        record: "/pets/{pet_id}".into(),
        children: None,
        document,
    }
}

/// Nouns of the generated part of the Django REST document (each a full viewset, never bound to a record
/// kind: they hold nothing cloison creates).
const EXTRA: [&str; 12] = [
    "catalog",
    "invoice",
    "ledger",
    "position",
    "warehouse",
    "shipment",
    "supplier",
    "voucher",
    "campaign",
    "milestone",
    "inventory",
    "schedule",
];

/// Django REST framework (drf-spectacular): `Authorization: Token ...`, a `/api/v1` server prefix, tasks
/// nested under projects, and generated viewsets up to more than 300 operations.
pub(crate) fn drf() -> Shape {
    let project = object(
        &[
            ("id", "integer"),
            ("title", "string"),
            ("description", "string"),
        ],
        &["id"],
    );
    let create = object(
        &[("title", "string"), ("description", "string")],
        &["title"],
    );
    let credentials = object(
        &[("username", "string"), ("password", "string")],
        &["username", "password"],
    );
    let id = |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "integer" } });
    let viewset = |one: &Value, make: &Value| {
        json!({
            "get": op("retrieve", answer("200", one.clone())),
            "put": with(op("update", answer("200", one.clone())), "requestBody", body("application/json", make.clone())),
            "patch": with(op("partial_update", answer("200", one.clone())), "requestBody", body("application/json", make.clone())),
            "delete": op("destroy", answer("204", json!({})))
        })
    };
    let collection = |one: &Value, make: &Value| {
        json!({
            "get": op("list", answer("200", json!({ "type": "array", "items": one.clone() }))),
            "post": with(op("create", answer("201", one.clone())), "requestBody", body("application/json", make.clone()))
        })
    };
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/health/".into(),
        json!({ "get": open(op("health", answer("200", json!({})))) }),
    );
    paths.insert("/auth/register/".into(), json!({ "post": open(with(op("register", answer("201", object(&[("id", "integer"), ("username", "string")], &[]))), "requestBody", body("application/json", credentials.clone()))) }));
    paths.insert("/auth/token/".into(), json!({ "post": open(with(op("obtain auth token", answer("200", object(&[("token", "string")], &[]))), "requestBody", body("application/json", credentials))) }));
    paths.insert("/projects/".into(), collection(&project, &create));
    let mut one = viewset(&project, &create);
    one["parameters"] = json!([id("id")]);
    paths.insert("/projects/{id}/".into(), one);
    let mut tasks = collection(&project, &create);
    tasks["parameters"] = json!([id("project_pk")]);
    paths.insert("/projects/{project_pk}/tasks/".into(), tasks);
    let mut task = viewset(&project, &create);
    task["parameters"] = json!([id("project_pk"), id("id")]);
    paths.insert("/projects/{project_pk}/tasks/{id}/".into(), task);
    paths.insert(
        "/admin/reset-db/".into(),
        json!({ "post": op("reset", answer("200", json!({}))) }),
    );
    // Generated viewsets: each noun, in 13 regions, five operations each.
    for noun in EXTRA {
        for region in 0..5u8 {
            let base = format!("/{noun}s-{}/", (b'a' + region) as char);
            let plain = object(&[("id", "integer"), ("label", "string")], &["id"]);
            paths.insert(base.clone(), collection(&plain, &plain));
            let mut one = viewset(&plain, &plain);
            one.as_object_mut().map(|o| o.remove("patch"));
            one["parameters"] = json!([id("id")]);
            paths.insert(format!("{base}{{id}}/"), one);
        }
    }
    let document = json!({
        "openapi": "3.0.3",
        "info": { "title": "Projects API", "version": "1.0.0" },
        "servers": [{ "url": "https://projects.example.test/api/v1" }],
        "security": [{ "tokenAuth": [] }],
        "components": { "securitySchemes": { "tokenAuth": { "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "Token-based authentication with required prefix \"Token\"" } } },
        "paths": paths
    });
    Shape {
        name: "drf",
        login: Login::DrfToken,
        login_path: "/api/v1/auth/token/".into(),
        signup_path: "/api/v1/auth/register/".into(),
        health_path: "/api/v1/health/".into(),
        records: "/api/v1/projects/".into(),
        record: "/api/v1/projects/{id}/".into(),
        children: Some((
            "/api/v1/projects/{project_pk}/tasks/".into(),
            "/api/v1/projects/{project_pk}/tasks/{id}/".into(),
        )),
        document,
    }
}

/// Express: a session cookie (`connect.sid`), `POST /api/signup` and `/api/login`, orders under `/api/orders`.
pub(crate) fn express() -> Shape {
    let order = object(
        &[
            ("id", "integer"),
            ("product", "string"),
            ("details", "string"),
        ],
        &["id"],
    );
    let create = object(
        &[("product", "string"), ("details", "string")],
        &["product"],
    );
    let credentials = object(
        &[("email", "string"), ("password", "string")],
        &["email", "password"],
    );
    let document = json!({
        "openapi": "3.0.0",
        "info": { "title": "Orders (Express)", "version": "2.3.1" },
        "security": [{ "cookieAuth": [] }],
        "components": { "securitySchemes": { "cookieAuth": { "type": "apiKey", "in": "cookie", "name": "connect.sid" } } },
        "paths": {
            "/healthz": { "get": open(op("health", answer("200", json!({})))) },
            "/api/signup": { "post": open(with(op("sign up", answer("201", object(&[("id", "integer")], &[]))), "requestBody", body("application/json", credentials.clone()))) },
            "/api/login": { "post": open(with(op("log in", answer("200", object(&[("ok", "boolean")], &[]))), "requestBody", body("application/json", credentials))) },
            "/api/orders": {
                "get": op("my orders", answer("200", json!({ "type": "array", "items": order.clone() }))),
                "post": with(op("place an order", answer("201", order.clone())), "requestBody", body("application/json", create)),
                "delete": op("cancel every order", answer("204", json!({})))
            },
            "/api/orders/{id}": {
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "get": op("one order", answer("200", order)),
                "delete": op("cancel an order", answer("204", json!({})))
            }
        }
    });
    Shape {
        name: "express",
        login: Login::Cookie,
        login_path: "/api/login".into(),
        signup_path: "/api/signup".into(),
        health_path: "/healthz".into(),
        records: "/api/orders".into(),
        record: "/api/orders/{id}".into(),
        children: None,
        document,
    }
}
