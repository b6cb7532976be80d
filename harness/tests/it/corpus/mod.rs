//! The first-hour corpus: OpenAPI documents of other shapes than the reference portal's, written for the
//! tests (`docs`), each served by a mock platform of that shape with a planted flaw and its fixed twin. One
//! mock engine serves all four: open registration, a login of the document's kind (an OAuth2 password form
//! to the `tokenUrl`, a JSON login answering a JWT, Django REST framework's `Token` header, an Express
//! session cookie), records held by the member who created them (`records`, under the document's own noun),
//! children under them (`children`), and a health route. Paths are served exactly as the document writes
//! them: a collection documented as `/items/` is not served at `/items`.

pub(crate) mod docs;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::support::answer::{cookie, not_found, reply};

/// How identities log in and send their credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Login {
    /// `POST tokenUrl` as a form (`username`, `password`), `{"access_token"}`, `Authorization: Bearer`.
    OAuthForm,
    /// `POST` JSON, `{"token": "<a JWT>"}`, `Authorization: Bearer`.
    JwtJson,
    /// `POST` JSON, `{"token"}`, `Authorization: Token`.
    DrfToken,
    /// `POST` JSON, a `Set-Cookie: connect.sid=...`.
    Cookie,
}

/// The planted flaw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flaw {
    /// A record is read by anyone signed in who names it (IDOR).
    ReadAnyRecord,
    /// The list answers every member's records.
    ListEveryone,
    /// A child is read by anyone signed in who names it and its parent (IDOR on a nested route).
    ReadAnyChild,
}

/// The routes of one platform: every path as its document writes it (parameters as `{name}`).
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub name: &'static str,
    pub login: Login,
    pub login_path: String,
    pub signup_path: String,
    pub health_path: String,
    /// The record collection (`/items/`) and one record (`/items/{item_id}`).
    pub records: String,
    pub record: String,
    /// The children of a record (`/projects/{project_pk}/tasks/`), and one child.
    pub children: Option<(String, String)>,
    /// The document, served at `/openapi.json`.
    pub document: Value,
}

#[derive(Debug, Default)]
struct Db {
    /// (id, login, password)
    members: Vec<(u64, String, String)>,
    /// (credential, member)
    sessions: Vec<(String, u64)>,
    /// (id, owner, body)
    records: Vec<(u64, u64, Value)>,
    /// (id, parent record, owner, body)
    children: Vec<(u64, u64, u64, Value)>,
}

pub(crate) struct Mock {
    shape: Shape,
    flaw: Option<Flaw>,
    db: Mutex<Db>,
}

/// A path template matched against a concrete path: the parameters' values, in order.
fn matches(template: &str, path: &str) -> Option<Vec<String>> {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut values = Vec::new();
    for (a, b) in t.iter().zip(&p) {
        if a.starts_with('{') {
            if b.is_empty() {
                return None;
            }
            values.push((*b).to_string());
        } else if a != b {
            return None;
        }
    }
    Some(values)
}

fn form_or_json(headers: &HeaderMap, body: &[u8]) -> Value {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form {
        Value::Object(
            form_urlencoded::parse(body)
                .into_owned()
                .map(|(k, v)| (k, v.into()))
                .collect(),
        )
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    }
}

fn signed_out() -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": "not authenticated" }),
    )
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

impl Mock {
    fn caller(&self, db: &Db, headers: &HeaderMap) -> Option<u64> {
        let credential = match self.shape.login {
            Login::OAuthForm | Login::JwtJson => {
                crate::support::answer::credential(headers, "Bearer ")?
            }
            Login::DrfToken => crate::support::answer::credential(headers, "Token ")?,
            Login::Cookie => cookie(headers, "connect.sid=")?,
        };
        db.sessions
            .iter()
            .find(|(c, _)| c == credential)
            .map(|(_, m)| *m)
    }

    fn signup(&self, body: &Value) -> Response {
        let mut db = self.db.lock().expect("db");
        let login = ["username", "email"]
            .iter()
            .find_map(|k| body[k].as_str())
            .unwrap_or_default()
            .to_string();
        let password = body["password"].as_str().unwrap_or_default().to_string();
        if login.is_empty() || password.is_empty() {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "detail": "username" }),
            );
        }
        if db.members.iter().any(|m| m.1 == login) {
            return reply(StatusCode::BAD_REQUEST, json!({ "detail": "taken" }));
        }
        let id = db.members.len() as u64 + 1;
        db.members.push((id, login.clone(), password));
        reply(StatusCode::CREATED, json!({ "id": id, "username": login }))
    }

    fn login(&self, body: &Value) -> Response {
        let mut db = self.db.lock().expect("db");
        let login = ["username", "email"]
            .iter()
            .find_map(|k| body[k].as_str())
            .unwrap_or_default();
        let Some(id) = db
            .members
            .iter()
            .find(|m| m.1 == login && Some(m.2.as_str()) == body["password"].as_str())
            .map(|m| m.0)
        else {
            return signed_out();
        };
        let n = db.sessions.len();
        let credential = match self.shape.login {
            Login::JwtJson => format!(
                "{}.{}.{}",
                base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
                base64url(format!(r#"{{"sub":"{id}","n":{n}}}"#).as_bytes()),
                base64url(format!("sig{id}x{n}").as_bytes())
            ),
            _ => format!("c{id}x{n}z{}", 7 * n + 3),
        };
        db.sessions.push((credential.clone(), id));
        match self.shape.login {
            Login::OAuthForm => reply(
                StatusCode::OK,
                json!({ "access_token": credential, "token_type": "bearer" }),
            ),
            Login::JwtJson | Login::DrfToken => {
                reply(StatusCode::OK, json!({ "token": credential }))
            }
            Login::Cookie => (
                StatusCode::OK,
                [(
                    header::SET_COOKIE,
                    format!("connect.sid={credential}; Path=/; HttpOnly"),
                )],
                axum::Json(json!({ "ok": true })),
            )
                .into_response(),
        }
    }

    fn records(&self, method: &Method, caller: u64, ids: &[String], body: Value) -> Response {
        let mut db = self.db.lock().expect("db");
        let id = ids.first().and_then(|i| i.parse::<u64>().ok());
        match (method.as_str(), id) {
            ("POST", None) => {
                let n = db.records.len() as u64 + 1;
                db.records.push((n, caller, body.clone()));
                reply(StatusCode::CREATED, with_id(n, &body))
            }
            ("GET", None) => {
                let open = self.flaw == Some(Flaw::ListEveryone);
                let list: Vec<Value> = db
                    .records
                    .iter()
                    .filter(|r| open || r.1 == caller)
                    .map(|r| with_id(r.0, &r.2))
                    .collect();
                reply(StatusCode::OK, json!(list))
            }
            (method, Some(id)) => {
                let open = method == "GET" && self.flaw == Some(Flaw::ReadAnyRecord);
                let Some(at) = db
                    .records
                    .iter()
                    .position(|r| r.0 == id && (open || r.1 == caller))
                else {
                    return not_found();
                };
                match method {
                    "GET" => reply(StatusCode::OK, with_id(id, &db.records[at].2)),
                    "DELETE" => {
                        db.records.remove(at);
                        StatusCode::NO_CONTENT.into_response()
                    }
                    _ => {
                        if let (Some(old), Some(new)) =
                            (db.records[at].2.as_object_mut(), body.as_object())
                        {
                            old.extend(new.clone());
                        }
                        reply(StatusCode::OK, with_id(id, &db.records[at].2))
                    }
                }
            }
            _ => reply(StatusCode::METHOD_NOT_ALLOWED, json!({})),
        }
    }

    fn children(&self, method: &Method, caller: u64, ids: &[String], body: Value) -> Response {
        let mut db = self.db.lock().expect("db");
        let parent = ids.first().and_then(|i| i.parse::<u64>().ok()).unwrap_or(0);
        let child = ids.get(1).and_then(|i| i.parse::<u64>().ok());
        let open = self.flaw == Some(Flaw::ReadAnyChild) && method == "GET" && child.is_some();
        if !open && !db.records.iter().any(|r| r.0 == parent && r.1 == caller) {
            return not_found();
        }
        match (method.as_str(), child) {
            ("POST", None) => {
                let n = db.children.len() as u64 + 1;
                db.children.push((n, parent, caller, body.clone()));
                reply(StatusCode::CREATED, with_id(n, &body))
            }
            ("GET", None) => {
                let list: Vec<Value> = db
                    .children
                    .iter()
                    .filter(|c| c.1 == parent)
                    .map(|c| with_id(c.0, &c.3))
                    .collect();
                reply(StatusCode::OK, json!(list))
            }
            (method, Some(id)) => {
                let Some(at) = db.children.iter().position(|c| c.0 == id && c.1 == parent) else {
                    return not_found();
                };
                match method {
                    "GET" => reply(StatusCode::OK, with_id(id, &db.children[at].3)),
                    "DELETE" => {
                        db.children.remove(at);
                        StatusCode::NO_CONTENT.into_response()
                    }
                    _ => {
                        if let (Some(old), Some(new)) =
                            (db.children[at].3.as_object_mut(), body.as_object())
                        {
                            old.extend(new.clone());
                        }
                        reply(StatusCode::OK, with_id(id, &db.children[at].3))
                    }
                }
            }
            _ => reply(StatusCode::METHOD_NOT_ALLOWED, json!({})),
        }
    }
}

fn with_id(id: u64, body: &Value) -> Value {
    let mut out = body.clone();
    if let Some(map) = out.as_object_mut() {
        map.insert("id".into(), id.into());
    } else {
        out = json!({ "id": id });
    }
    out
}

/// Every request: the health route, the document, the sign-up and login, then the records and children
/// as the caller; any other route of the document answers an empty list (collections) or 404.
async fn handle(
    State(mock): State<Arc<Mock>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let shape = &mock.shape;
    if method == Method::GET && path == shape.health_path {
        return reply(StatusCode::OK, json!({ "status": "ok" }));
    }
    if method == Method::GET && path == "/openapi.json" {
        return reply(StatusCode::OK, shape.document.clone());
    }
    let body = form_or_json(&headers, &body);
    if method == Method::POST && path == shape.signup_path {
        return mock.signup(&body);
    }
    if method == Method::POST && path == shape.login_path {
        return mock.login(&body);
    }
    let caller = {
        let db = mock.db.lock().expect("db");
        mock.caller(&db, &headers)
    };
    let Some(caller) = caller else {
        return signed_out();
    };
    if let Some(ids) = matches(&shape.records, path).or_else(|| matches(&shape.record, path)) {
        return mock.records(&method, caller, &ids, body);
    }
    if let Some((list, one)) = &shape.children
        && let Some(ids) = matches(list, path).or_else(|| matches(one, path))
    {
        return mock.children(&method, caller, &ids, body);
    }
    if method == Method::GET && path.ends_with('/') {
        return reply(StatusCode::OK, json!([]));
    }
    not_found()
}

/// A platform of `shape`, with `flaw` planted (or none: the fixed twin).
pub(crate) fn router(shape: Shape, flaw: Option<Flaw>) -> Router {
    let mock = Arc::new(Mock {
        shape,
        flaw,
        db: Mutex::new(Db::default()),
    });
    Router::new().fallback(handle).with_state(mock)
}
