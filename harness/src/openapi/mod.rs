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

pub mod coverage;
pub mod init;
pub mod reach;
pub mod vocab;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

/// Largest document read (large APIs describe hundreds of operations).
pub const MAX_DOCUMENT_BYTES: u64 = 32 * 1024 * 1024;

/// How deep `$ref`s and nested schemas are followed (cycles end there).
const MAX_DEPTH: usize = 24;

/// The HTTP methods an OpenAPI path item may hold, in the order operations are listed.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// The file could not be read.
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// The URL could not be fetched.
    #[error("{url}: cannot fetch the OpenAPI document: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Not JSON.
    #[error("{source_name}:{line}:{column}: the OpenAPI document is not valid JSON: {message}")]
    Json {
        /// File or URL.
        source_name: String,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// YAML, which this version does not read.
    #[error(
        "{0}: the OpenAPI document looks like YAML: cloison reads JSON documents; convert it first (for example `yq -o=json . FILE > FILE.json`)"
    )]
    Yaml(String),
    /// Not an OpenAPI 3.x document.
    #[error("{source_name}: {message}")]
    Version {
        /// File or URL.
        source_name: String,
        /// What was found.
        message: String,
    },
    /// A part of the document does not have the shape OpenAPI gives it.
    #[error("{source_name}: at {at}: {expected}")]
    Shape {
        /// File or URL.
        source_name: String,
        /// JSON pointer of the offending value.
        at: String,
        /// What was expected.
        expected: String,
    },
}

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

/// Split a path into its segments.
pub fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether a segment of a document path is (or holds) a parameter.
pub fn is_param(segment: &str) -> bool {
    segment.contains('{')
}

/// The name of a path parameter segment (`{id}` -> `id`), if it is exactly one parameter.
pub fn param_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Read a document from a file, or from an `http(s)://` URL.
pub async fn load(spec: &str, timeout: Duration) -> Result<Document, OpenApiError> {
    if spec.starts_with("http://") || spec.starts_with("https://") {
        let text = fetch(spec, timeout).await?;
        Document::parse(spec, &text)
    } else {
        let text =
            crate::input::read_text_up_to(Path::new(spec), "OpenAPI document", MAX_DOCUMENT_BYTES)?;
        Document::parse(spec, &text)
    }
}

/// Fetch a document over HTTP (any 2xx).
pub async fn fetch(url: &str, timeout: Duration) -> Result<String, OpenApiError> {
    let failed = |reason: String| OpenApiError::Fetch {
        url: url.to_string(),
        reason,
    };
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!("answered {status}")));
    }
    let bytes = response.bytes().await.map_err(|e| failed(e.to_string()))?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(failed(format!("larger than {MAX_DOCUMENT_BYTES} bytes")));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| failed("not UTF-8 text".into()))
}

/// Reads values of a document, naming where a value has the wrong shape.
struct Reader<'a> {
    source: &'a str,
    root: &'a Value,
}

impl<'a> Reader<'a> {
    fn shape(&self, at: &str, expected: impl Into<String>) -> OpenApiError {
        OpenApiError::Shape {
            source_name: self.source.to_string(),
            at: if at.is_empty() { "/".into() } else { at.into() },
            expected: expected.into(),
        }
    }

    /// Follow a local `$ref` (several in a row), or return the value itself.
    fn deref<'v>(&self, value: &'v Value, at: &str) -> Result<&'v Value, OpenApiError>
    where
        'a: 'v,
    {
        let mut current = value;
        for _ in 0..MAX_DEPTH {
            let Some(reference) = current.get("$ref") else {
                return Ok(current);
            };
            let Some(reference) = reference.as_str() else {
                return Err(self.shape(at, "`$ref` must be a string"));
            };
            let Some(pointer) = reference.strip_prefix('#') else {
                return Err(self.shape(
                    at,
                    format!("`$ref` {reference:?} points outside the document: only local references (`#/...`) are read"),
                ));
            };
            current = self.root.pointer(pointer).ok_or_else(|| {
                self.shape(
                    at,
                    format!("`$ref` {reference:?} names nothing in the document"),
                )
            })?;
        }
        Err(self.shape(at, "`$ref`s loop"))
    }

    fn object<'v>(
        &self,
        value: &'v Value,
        at: &str,
    ) -> Result<&'v Map<String, Value>, OpenApiError> {
        value
            .as_object()
            .ok_or_else(|| self.shape(at, format!("expected an object, found {}", kind(value))))
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Document {
    /// Parse a document's text; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<Self, OpenApiError> {
        let root: Value = match serde_json::from_str(text) {
            Ok(root) => root,
            Err(err) => {
                let trimmed = text.trim_start();
                let yaml = trimmed.starts_with("openapi:")
                    || trimmed.starts_with("swagger:")
                    || trimmed.starts_with("---")
                    || (!trimmed.starts_with('{') && trimmed.contains("\npaths:"));
                if yaml {
                    return Err(OpenApiError::Yaml(source.to_string()));
                }
                return Err(OpenApiError::Json {
                    source_name: source.to_string(),
                    line: err.line(),
                    column: err.column(),
                    message: err
                        .to_string()
                        .split(" at line")
                        .next()
                        .unwrap_or("")
                        .to_string(),
                });
            }
        };
        let reader = Reader {
            source,
            root: &root,
        };
        let top = reader.object(&root, "")?;
        match top.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.") => {}
            Some(v) => {
                return Err(OpenApiError::Version {
                    source_name: source.into(),
                    message: format!("`openapi` is {v:?}: expected a 3.x version"),
                });
            }
            None if top.contains_key("swagger") => {
                return Err(OpenApiError::Version {
                    source_name: source.into(),
                    message: "a Swagger 2.0 document: expected OpenAPI 3.x (convert it, for example with swagger2openapi)".into(),
                });
            }
            None => {
                return Err(OpenApiError::Version {
                    source_name: source.into(),
                    message: "no `openapi` field: expected an OpenAPI 3.x document".into(),
                });
            }
        }
        let title = root
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let base = base_path(top.get("servers"));
        let global_security = match top.get("security") {
            Some(sec) => Some(reader.security(sec, "/security")?),
            None => None,
        };
        let mut schemes = BTreeMap::new();
        if let Some(found) = root.pointer("/components/securitySchemes") {
            for (name, scheme) in reader.object(found, "/components/securitySchemes")? {
                let at = format!("/components/securitySchemes/{}", escape_pointer(name));
                let scheme = reader.deref(scheme, &at)?;
                schemes.insert(name.clone(), reader.scheme(scheme, &at)?);
            }
        }
        let mut operations = Vec::new();
        if let Some(paths) = top.get("paths") {
            for (path, item) in reader.object(paths, "/paths")? {
                if path.starts_with("x-") {
                    continue;
                }
                let at = format!("/paths/{}", escape_pointer(path));
                if !path.starts_with('/') {
                    return Err(reader.shape(&at, format!("the path {path:?} must start with `/`")));
                }
                let item = reader.deref(item, &at)?;
                let item_map = reader.object(item, &at)?;
                let shared = match item_map.get("parameters") {
                    Some(p) => reader.parameters(p, &format!("{at}/parameters"))?,
                    None => Vec::new(),
                };
                for method in METHODS {
                    let Some(op) = item_map.get(method) else {
                        continue;
                    };
                    let op_at = format!("{at}/{method}");
                    let op_map = reader.object(op, &op_at)?;
                    let mut parameters = shared.clone();
                    if let Some(p) = op_map.get("parameters") {
                        for param in reader.parameters(p, &format!("{op_at}/parameters"))? {
                            parameters.retain(|q: &Parameter| {
                                !(q.name == param.name && q.location == param.location)
                            });
                            parameters.push(param);
                        }
                    }
                    let body = match op_map.get("requestBody") {
                        Some(b) => reader.body(b, &format!("{op_at}/requestBody"))?,
                        None => None,
                    };
                    let security = match op_map.get("security") {
                        Some(sec) => Some(reader.security(sec, &format!("{op_at}/security"))?),
                        None => global_security.clone(),
                    };
                    let responses = match op_map.get("responses") {
                        Some(r) => reader.responses(r, &format!("{op_at}/responses"))?,
                        None => Vec::new(),
                    };
                    let text =
                        |key: &str| op_map.get(key).and_then(Value::as_str).map(str::to_string);
                    let summary = text("summary")
                        .or_else(|| {
                            text("description").map(|d| d.lines().next().unwrap_or("").to_string())
                        })
                        .unwrap_or_default();
                    let tags = op_map
                        .get("tags")
                        .and_then(Value::as_array)
                        .map(|t| {
                            t.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    operations.push(Operation {
                        method: method.to_ascii_uppercase(),
                        path: join_path(&base, path),
                        operation_id: text("operationId"),
                        summary,
                        tags,
                        parameters,
                        body,
                        security,
                        responses,
                    });
                }
            }
        }
        Ok(Document {
            source: source.to_string(),
            title,
            operations,
            schemes,
            root,
        })
    }

    /// A schema with `$ref`s resolved at its top (a dangling reference stays as it is).
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let reader = Reader {
            source: &self.source,
            root: &self.root,
        };
        reader.deref(schema, "").unwrap_or(schema)
    }

    /// The properties of an object schema (through `$ref`, `allOf`, and the first non-null alternative of
    /// `oneOf`/`anyOf`), with their resolved schemas and whether each is required.
    pub fn properties<'a>(&'a self, schema: &'a Value) -> Vec<(String, &'a Value, bool)> {
        let mut out: Vec<(String, &'a Value, bool)> = Vec::new();
        self.collect_properties(schema, &mut out, 0);
        out
    }

    fn collect_properties<'a>(
        &'a self,
        schema: &'a Value,
        out: &mut Vec<(String, &'a Value, bool)>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let schema = self.resolve(schema);
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.collect_properties(part, out, depth + 1);
            }
        }
        if let Some(alt) = self.alternative(schema) {
            self.collect_properties(alt, out, depth + 1);
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let prop = self.resolve(prop);
                let is_required = required.contains(&name.as_str());
                match out.iter_mut().find(|(n, _, _)| n == name) {
                    Some(existing) => existing.2 |= is_required,
                    None => out.push((name.clone(), prop, is_required)),
                }
            }
        }
    }

    /// The first alternative of a `oneOf`/`anyOf` that is not `null`.
    pub fn alternative<'a>(&'a self, schema: &'a Value) -> Option<&'a Value> {
        let alts = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)?;
        alts.iter()
            .map(|a| self.resolve(a))
            .find(|a| a.get("type").and_then(Value::as_str) != Some("null"))
    }

    /// The main type of a schema (`string`, `object`, `array`...), looking through `$ref`, nullable type
    /// lists and `oneOf`/`anyOf`.
    pub fn type_of<'a>(&'a self, schema: &'a Value) -> Option<&'a str> {
        let schema = self.resolve(schema);
        match schema.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null"),
            _ => {
                if schema.get("properties").is_some() || schema.get("allOf").is_some() {
                    Some("object")
                } else if schema.get("enum").is_some() {
                    Some("string")
                } else {
                    self.alternative(schema)
                        .and_then(|alt| (alt != schema).then(|| self.type_of(alt)).flatten())
                }
            }
        }
    }

    /// The enum values of a schema (through `$ref` and `oneOf`), as text.
    pub fn enum_values(&self, schema: &Value) -> Vec<String> {
        let schema = self.resolve(schema);
        let direct = schema.get("enum").and_then(Value::as_array);
        let values = match direct {
            Some(values) => values,
            None => match self.alternative(schema) {
                Some(alt) if alt != schema => return self.enum_values(alt),
                _ => return Vec::new(),
            },
        };
        values
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Whether a schema admits null (a nullable type, `nullable: true`, or a null alternative).
    pub fn nullable(&self, schema: &Value) -> bool {
        let schema = self.resolve(schema);
        schema.get("nullable") == Some(&Value::Bool(true))
            || schema
                .get("type")
                .and_then(Value::as_array)
                .is_some_and(|t| t.iter().any(|v| v == "null"))
            || schema
                .get("oneOf")
                .or_else(|| schema.get("anyOf"))
                .and_then(Value::as_array)
                .is_some_and(|alts| {
                    alts.iter().any(|a| {
                        self.resolve(a).get("type").and_then(Value::as_str) == Some("null")
                    })
                })
    }

    /// The items schema of an array schema.
    pub fn items<'a>(&'a self, schema: &'a Value) -> Option<&'a Value> {
        let schema = self.resolve(schema);
        schema
            .get("items")
            .or_else(|| self.alternative(schema).and_then(|a| a.get("items")))
            .map(|i| self.resolve(i))
    }

    /// The operation a method and a path template (the profile's, `{{...}}` placeholders) or a concrete
    /// path name. A literal segment matches the same literal, or a parameter; a placeholder segment matches
    /// only a parameter. Among several, the one with the most literal matches wins.
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let wanted = segments(path.split('?').next().unwrap_or(path));
        let mut best: Option<(usize, &Operation)> = None;
        for op in &self.operations {
            if !op.method.eq_ignore_ascii_case(method) {
                continue;
            }
            let have = op.segments();
            if have.len() != wanted.len() {
                continue;
            }
            let mut literal = 0;
            let matched = have.iter().zip(&wanted).all(|(doc, want)| {
                if is_param(doc) {
                    segment_fits(doc, want)
                } else if want.contains("{{") {
                    false
                } else if *doc == *want {
                    literal += 1;
                    true
                } else {
                    false
                }
            });
            if matched && best.is_none_or(|(score, _)| literal > score) {
                best = Some((literal, op));
            }
        }
        best.map(|(_, op)| op)
    }
}

/// Whether a document segment with parameters (`{id}`, `{name}.{ext}`, `v{version}`) can stand for a
/// wanted segment: its literal pieces appear in order.
fn segment_fits(doc: &str, want: &str) -> bool {
    let mut pieces = Vec::new();
    let mut text = doc;
    while let Some(start) = text.find('{') {
        pieces.push(&text[..start]);
        match text[start..].find('}') {
            Some(end) => text = &text[start + end + 1..],
            None => return false,
        }
    }
    pieces.push(text);
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    let Some(mut rest) = want.strip_prefix(first) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        if piece.is_empty() {
            continue;
        }
        match rest.find(piece) {
            Some(at) if at > 0 => rest = &rest[at + piece.len()..],
            _ => return false,
        }
    }
    rest.len() > last.len() && rest.ends_with(last)
}

fn base_path(servers: Option<&Value>) -> String {
    let url = servers
        .and_then(Value::as_array)
        .and_then(|s| s.first())
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let path = match url.find("://") {
        Some(at) => {
            let after = &url[at + 3..];
            after.find('/').map_or("", |slash| &after[slash..])
        }
        None => url,
    };
    // Server variables (`/{basePath}`) are not resolved: such a base is ignored.
    if path.contains('{') {
        return String::new();
    }
    path.trim_end_matches('/').to_string()
}

fn join_path(base: &str, path: &str) -> String {
    if base.is_empty() || base == "/" {
        path.to_string()
    } else {
        format!("{base}{path}")
    }
}

impl Reader<'_> {
    fn security(&self, value: &Value, at: &str) -> Result<Vec<Vec<String>>, OpenApiError> {
        let Some(alts) = value.as_array() else {
            return Err(self.shape(
                at,
                format!(
                    "expected an array of security requirements, found {}",
                    kind(value)
                ),
            ));
        };
        alts.iter()
            .enumerate()
            .map(|(i, alt)| {
                Ok(self
                    .object(alt, &format!("{at}/{i}"))?
                    .keys()
                    .cloned()
                    .collect())
            })
            .collect()
    }

    fn scheme(&self, value: &Value, at: &str) -> Result<Scheme, OpenApiError> {
        let map = self.object(value, at)?;
        let text = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or("");
        Ok(match text("type") {
            "http" => Scheme::Http(text("scheme").to_ascii_lowercase()),
            "apiKey" => {
                let name = text("name").to_string();
                match text("in") {
                    "header" => Scheme::HeaderKey(name),
                    "query" => Scheme::QueryKey(name),
                    "cookie" => Scheme::CookieKey(name),
                    other => {
                        return Err(self.shape(
                            &format!("{at}/in"),
                            format!("an apiKey is `in` header, query or cookie, not {other:?}"),
                        ));
                    }
                }
            }
            "oauth2" | "openIdConnect" | "mutualTLS" => Scheme::OAuth,
            other => {
                return Err(self.shape(
                    &format!("{at}/type"),
                    format!("expected a security scheme type (http, apiKey, oauth2, openIdConnect, mutualTLS), found {other:?}"),
                ));
            }
        })
    }

    fn parameters(&self, value: &Value, at: &str) -> Result<Vec<Parameter>, OpenApiError> {
        let Some(items) = value.as_array() else {
            return Err(self.shape(
                at,
                format!("expected an array of parameters, found {}", kind(value)),
            ));
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{at}/{i}");
            let item = self.deref(item, &at)?;
            let map = self.object(item, &at)?;
            let Some(name) = map.get("name").and_then(Value::as_str) else {
                return Err(self.shape(&at, "a parameter needs a `name` (a string)"));
            };
            let location = match map.get("in").and_then(Value::as_str) {
                Some("path") => In::Path,
                Some("query") => In::Query,
                Some("header") => In::Header,
                Some("cookie") => In::Cookie,
                other => {
                    return Err(self.shape(
                        &format!("{at}/in"),
                        format!(
                            "expected `in` to be path, query, header or cookie, found {other:?}"
                        ),
                    ));
                }
            };
            let schema = match map.get("schema") {
                Some(s) => self.deref(s, &format!("{at}/schema"))?.clone(),
                None => Value::Object(Map::new()),
            };
            out.push(Parameter {
                name: name.to_string(),
                required: location == In::Path
                    || map
                        .get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                location,
                schema,
            });
        }
        Ok(out)
    }

    fn body(&self, value: &Value, at: &str) -> Result<Option<RequestBody>, OpenApiError> {
        let value = self.deref(value, at)?;
        let map = self.object(value, at)?;
        let Some(content) = map.get("content") else {
            return Ok(None);
        };
        let content = self.object(content, &format!("{at}/content"))?;
        // JSON first, then forms, then whatever comes first.
        let pick = content
            .keys()
            .find(|m| m.contains("json"))
            .or_else(|| content.keys().find(|m| m.contains("form")))
            .or_else(|| content.keys().next());
        let Some(media) = pick else {
            return Ok(None);
        };
        let media_at = format!("{at}/content/{}", escape_pointer(media));
        let schema = match content[media].get("schema") {
            Some(s) => self.deref(s, &format!("{media_at}/schema"))?.clone(),
            None => Value::Object(Map::new()),
        };
        Ok(Some(RequestBody {
            media: media.clone(),
            schema,
            required: map
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }))
    }

    fn responses(&self, value: &Value, at: &str) -> Result<Vec<Response>, OpenApiError> {
        let mut out = Vec::new();
        for (status, response) in self.object(value, at)? {
            let r_at = format!("{at}/{}", escape_pointer(status));
            let response = self.deref(response, &r_at)?;
            let map = self.object(response, &r_at)?;
            let mut media = Vec::new();
            let mut schema = None;
            if let Some(content) = map.get("content").and_then(Value::as_object) {
                for (m, body) in content {
                    media.push(m.clone());
                    if schema.is_none()
                        && let Some(s) = body.get("schema")
                    {
                        schema = Some(self.deref(s, &r_at)?.clone());
                    }
                }
            }
            out.push(Response {
                status: status.clone(),
                media,
                schema,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn operations_come_with_their_base_path_parameters_and_security() {
        let doc = Document::parse("shop.json", SMALL).expect("parses");
        let names: Vec<String> = doc.operations.iter().map(Operation::name).collect();
        assert_eq!(
            names,
            [
                "GET /v2/orders/mine",
                "GET /v2/orders/{order_id}",
                "PUT /v2/orders/{order_id}",
                "GET /v2/ping"
            ]
        );
        let get = &doc.operations[1];
        assert_eq!(
            get.params(In::Path).next().map(|p| p.name.as_str()),
            Some("order_id")
        );
        assert!(get.secured());
        assert!(
            !doc.operations[3].secured(),
            "an empty requirement makes it public"
        );
        assert_eq!(doc.schemes["key"], Scheme::HeaderKey("X-Key".into()));
        let body = doc.operations[2].body.as_ref().expect("a body");
        let props = doc.properties(&body.schema);
        assert_eq!(props.len(), 2);
        assert_eq!((props[0].0.as_str(), props[0].2), ("label", true));
        assert!(doc.nullable(props[1].1));
    }

    #[test]
    fn profile_templates_and_paths_find_their_operation() {
        let doc = Document::parse("shop.json", SMALL).expect("parses");
        let found = |m: &str, p: &str| doc.find(m, p).map(Operation::name);
        assert_eq!(
            found("GET", "/v2/orders/{{order.id}}").as_deref(),
            Some("GET /v2/orders/{order_id}")
        );
        // A literal prefers the literal route; a placeholder never matches a literal segment.
        assert_eq!(
            found("GET", "/v2/orders/mine").as_deref(),
            Some("GET /v2/orders/mine")
        );
        assert_eq!(
            found("GET", "/v2/orders/42").as_deref(),
            Some("GET /v2/orders/{order_id}")
        );
        assert_eq!(found("DELETE", "/v2/orders/42"), None);
        assert_eq!(found("GET", "/v2/orders"), None);
        assert!(segment_fits("{name}.{ext}", "report.csv"));
        assert!(!segment_fits("{name}.csv", "report.pdf"));
        assert!(segment_fits("v{n}", "v2"));
    }

    #[test]
    fn bad_documents_say_where_and_what() {
        let err = Document::parse(
            "a.json",
            "{\n  \"openapi\": \"3.1.0\",\n  \"paths\": {,}\n}",
        )
        .expect_err("bad JSON");
        assert!(
            err.to_string()
                .starts_with("a.json:3:13: the OpenAPI document is not valid JSON"),
            "{err}"
        );
        let err = Document::parse("a.yaml", "openapi: 3.0.0\npaths: {}\n").expect_err("YAML");
        assert!(matches!(err, OpenApiError::Yaml(_)), "{err}");
        let err = Document::parse("a.json", r#"{"swagger": "2.0"}"#).expect_err("Swagger");
        assert!(err.to_string().contains("Swagger 2.0"), "{err}");
        let err = Document::parse(
            "a.json",
            r#"{"openapi": "3.0.0", "paths": {"/x": {"get": {"parameters": [{"in": "path"}]}}}}"#,
        )
        .expect_err("nameless parameter");
        assert_eq!(
            err.to_string(),
            "a.json: at /paths/~1x/get/parameters/0: a parameter needs a `name` (a string)"
        );
        let err = Document::parse(
            "a.json",
            r##"{"openapi": "3.0.0", "paths": {"/x": {"get": {"requestBody": {"$ref": "#/nope"}}}}}"##,
        )
        .expect_err("dangling ref");
        assert!(err.to_string().contains("names nothing"), "{err}");
    }
}
