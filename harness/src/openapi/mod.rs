//! OpenAPI 3.x documents: what a platform says it offers, read once and used three ways.
//!
//! - [`init`]: `cloison init --openapi FILE|URL` writes a starting profile from a document;
//! - [`reach`]: at run time, the operations the profile does not declare are exercised generically
//!   (anonymous calls to every operation; reads filled with other identities' identifiers; collections and
//!   searches scanned), judged by the canary oracle;
//! - [`coverage`]: the report's `coverage.operations`, every operation of the document with the families
//!   that probed it.
//!
//! Only the document is read here: nothing names a platform's routes. The model keeps what cloison needs
//! (methods, path templates, parameters, request bodies, security requirements, response types), with
//! local `$ref`s resolved. JSON only: a YAML document is refused with a hint to convert it.
//!
//! Modules: `load` (a file or a URL), `parse` (the JSON read into [`Operation`]s, local `$ref`s followed),
//! `error` (what is wrong, with its line and column or its JSON pointer), `schema` (properties, types and
//! enums through `$ref`, `allOf` and alternatives), `paths` (path segments and template matching);
//! for [`reach`]: `withhold` (operations never called), `fill` (paths filled as documented, parents from
//! the caller's own scope), `budget` (probes per operation and family).

pub mod coverage;
pub mod init;
pub mod reach;
pub mod vocab;
pub mod withhold;

mod budget;
mod error;
mod fill;
mod load;
mod parse;
mod paths;
#[cfg(test)]
mod reach_tests;
mod schema;

use std::collections::BTreeMap;

use serde_json::Value;

pub use error::OpenApiError;
pub use fill::OWN;
pub use load::{fetch, load};
pub use paths::{is_param, param_name, segments};

/// Largest document read (large APIs describe hundreds of operations).
pub const MAX_DOCUMENT_BYTES: u64 = 32 * 1024 * 1024;

/// How deep `$ref`s and nested schemas are followed (cycles end there).
const MAX_DEPTH: usize = 24;

/// The HTTP methods an OpenAPI path item may hold, in the order operations are listed.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A path segment (`{name}`).
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Its name.
    pub name: String,
    /// Where it goes.
    pub location: In,
    /// Whether the operation needs it.
    pub required: bool,
    /// Its schema, `$ref`s resolved at the top.
    pub schema: Value,
}

/// The request body of an operation (its first media type).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBody {
    /// Media type (`application/json`, `multipart/form-data`...).
    pub media: String,
    /// Its schema, `$ref`s resolved at the top.
    pub schema: Value,
    /// Whether the body is required.
    pub required: bool,
}

/// One documented response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status code or pattern (`200`, `4XX`, `default`).
    pub status: String,
    /// Media types.
    pub media: Vec<String>,
    /// Schema of the first media type, if any.
    pub schema: Option<Value>,
}

/// One operation: a method on a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Upper-case method.
    pub method: String,
    /// Path template below the target's base URL, the document's server path included (`/api/cases/{id}`).
    pub path: String,
    /// `operationId`, if any.
    pub operation_id: Option<String>,
    /// `summary` (or the start of `description`).
    pub summary: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Parameters (path item and operation, the operation's winning).
    pub parameters: Vec<Parameter>,
    /// Request body.
    pub body: Option<RequestBody>,
    /// Security requirements in force (the operation's, else the document's): alternatives, each a list of
    /// scheme names; `None` when the document says nothing.
    pub security: Option<Vec<Vec<String>>>,
    /// Responses.
    pub responses: Vec<Response>,
}

#[cfg(test)]
impl Operation {
    /// An operation with only a method and a path (the tests' shorthand).
    pub(crate) fn bare(method: &str, path: &str) -> Self {
        Operation {
            method: method.into(),
            path: path.into(),
            operation_id: None,
            summary: String::new(),
            tags: Vec::new(),
            parameters: Vec::new(),
            body: None,
            security: None,
            responses: Vec::new(),
        }
    }
}

impl Operation {
    /// `METHOD /path`, the operation's name in reports.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether the document says the operation needs credentials (a requirement in force, none of whose
    /// alternatives is empty).
    pub fn secured(&self) -> bool {
        self.security
            .as_ref()
            .is_some_and(|alts| !alts.is_empty() && alts.iter().all(|a| !a.is_empty()))
    }

    /// Whether the method leaves data unchanged.
    pub fn safe(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD")
    }

    /// The parameters of one location.
    pub fn params(&self, location: In) -> impl Iterator<Item = &Parameter> {
        self.parameters
            .iter()
            .filter(move |p| p.location == location)
    }

    /// The segments of the path (without the empty first one).
    pub fn segments(&self) -> Vec<&str> {
        segments(&self.path)
    }

    /// The success response's schema (the first 2xx with one).
    pub fn success_schema(&self) -> Option<&Value> {
        self.responses
            .iter()
            .filter(|r| r.status.starts_with('2'))
            .find_map(|r| r.schema.as_ref())
    }

    /// Whether a success answers JSON (or says nothing of its type).
    pub fn answers_json(&self) -> bool {
        let media: Vec<&String> = self
            .responses
            .iter()
            .filter(|r| r.status.starts_with('2'))
            .flat_map(|r| &r.media)
            .collect();
        media.is_empty() || media.iter().any(|m| m.contains("json"))
    }

    /// The statuses the document lists.
    pub fn documents_status(&self, status: u16) -> bool {
        self.responses
            .iter()
            .any(|r| r.status == status.to_string())
    }
}

/// A security scheme of `components.securitySchemes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// HTTP authentication: `bearer`, `basic`...
    Http(String),
    /// An API key in a header.
    HeaderKey(String),
    /// An API key in a query parameter.
    QueryKey(String),
    /// An API key in a cookie.
    CookieKey(String),
    /// OAuth 2 or OpenID Connect (a bearer token obtained elsewhere).
    OAuth,
}

/// A parsed document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Where it came from (file or URL).
    pub source: String,
    /// `info.title`.
    pub title: String,
    /// Every operation: paths sorted, methods in [`METHODS`] order within a path.
    pub operations: Vec<Operation>,
    /// Security schemes by name.
    pub schemes: BTreeMap<String, Scheme>,
    /// The whole JSON, for `$ref`s.
    root: Value,
}

impl Document {
    /// The `tokenUrl` of the OAuth 2 password flow of the security scheme `name`, as a path below the
    /// target's base URL (a relative URL is read against the document's server path).
    pub fn password_token_url(&self, name: &str) -> Option<String> {
        let pointer = format!(
            "/components/securitySchemes/{}/flows/password/tokenUrl",
            name.replace('~', "~0").replace('/', "~1")
        );
        let url = self.root.pointer(&pointer)?.as_str()?.trim();
        if url.is_empty() {
            return None;
        }
        if let Ok(parsed) = reqwest::Url::parse(url) {
            return Some(parsed.path().to_string());
        }
        if url.starts_with('/') {
            return Some(url.to_string());
        }
        let base = parse::base_path(self.root.get("servers"));
        Some(format!("{}/{url}", base.trim_end_matches('/')))
    }
}

impl Document {
    /// The prefix an API key in `Authorization` takes, when the scheme's description names one (Django REST
    /// framework's `Token-based authentication with required prefix "Token"`); `Bearer` for such a key
    /// whose description says nothing.
    pub fn scheme_prefix(&self, name: &str) -> Option<String> {
        let scheme = self.root.pointer(&format!(
            "/components/securitySchemes/{}",
            name.replace('~', "~0").replace('/', "~1")
        ))?;
        let header = scheme.get("name").and_then(Value::as_str)?;
        if !header.eq_ignore_ascii_case("authorization") {
            return None;
        }
        let description = scheme
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let after = description
            .to_ascii_lowercase()
            .find("prefix")
            .map(|at| &description[at..]);
        let quoted = after.and_then(|text| {
            let start = text.find(['"', '`', '\''])? + 1;
            let end = start + text[start..].find(['"', '`', '\''])?;
            Some(text[start..end].trim().to_string())
        });
        Some(
            quoted
                .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
                .unwrap_or_else(|| "Bearer".to_string()),
        )
    }
}

/// A small document the tests of several modules read.
#[cfg(test)]
const SMALL: &str = r##"{
  "openapi": "3.0.3",
  "info": {"title": "Shop", "version": "1"},
  "servers": [{"url": "https://shop.example.test/v2/"}],
  "security": [{"key": []}],
  "components": {
    "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
    "parameters": {"Id": {"name": "order_id", "in": "path", "required": true, "schema": {"type": "integer"}}},
    "schemas": {"Order": {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}, "note": {"$ref": "#/components/schemas/Note"}}},
                "Note": {"type": ["string", "null"]}}
  },
  "paths": {
    "/orders/{order_id}": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}}},
      "put": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}, "responses": {}}
    },
    "/orders/mine": {"get": {"responses": {}}},
    "/ping": {"get": {"security": [], "responses": {}}}
  }
}"##;
