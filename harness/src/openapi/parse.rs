//! The JSON of a document read into [`Document`]: its operations (path-item parameters merged, security
//! inherited), security schemes and base path, with local `$ref`s followed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{kind, not_json};
use super::{
    Document, In, MAX_DEPTH, METHODS, OpenApiError, Operation, Parameter, RequestBody, Response,
    Scheme,
};

/// Security requirements: alternatives, each a list of scheme names.
type Security = Vec<Vec<String>>;

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Reads values of a document, naming where a value has the wrong shape.
pub(super) struct Reader<'a> {
    pub(super) source: &'a str,
    pub(super) root: &'a Value,
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
    pub(super) fn deref<'v>(&self, value: &'v Value, at: &str) -> Result<&'v Value, OpenApiError>
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

impl Document {
    /// Parse a document's text; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<Self, OpenApiError> {
        let root: Value = serde_json::from_str(text).map_err(|err| not_json(source, text, &err))?;
        let reader = Reader {
            source,
            root: &root,
        };
        let top = reader.object(&root, "")?;
        check_version(source, top)?;
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
        let schemes = reader.schemes()?;
        let operations = match top.get("paths") {
            Some(paths) => reader.paths(paths, &base, global_security.as_ref())?,
            None => Vec::new(),
        };
        Ok(Document {
            source: source.to_string(),
            title,
            operations,
            schemes,
            root,
        })
    }
}

/// An OpenAPI 3.x document, or the error that says what it is instead.
fn check_version(source: &str, top: &Map<String, Value>) -> Result<(), OpenApiError> {
    let message = match top.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") => return Ok(()),
        Some(v) => format!("`openapi` is {v:?}: expected a 3.x version"),
        None if top.contains_key("swagger") => "a Swagger 2.0 document: expected OpenAPI 3.x (convert it, for example with swagger2openapi)".into(),
        None => "no `openapi` field: expected an OpenAPI 3.x document".into(),
    };
    Err(OpenApiError::Version {
        source_name: source.into(),
        message,
    })
}

pub(super) fn base_path(servers: Option<&Value>) -> String {
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

/// What the operations of a path item inherit: its parameters, the document's security.
struct Inherited<'p> {
    parameters: &'p [Parameter],
    security: Option<&'p Security>,
}

impl Reader<'_> {
    /// `components.securitySchemes`, by name.
    fn schemes(&self) -> Result<BTreeMap<String, Scheme>, OpenApiError> {
        let mut schemes = BTreeMap::new();
        if let Some(found) = self.root.pointer("/components/securitySchemes") {
            for (name, scheme) in self.object(found, "/components/securitySchemes")? {
                let at = format!("/components/securitySchemes/{}", escape_pointer(name));
                let scheme = self.deref(scheme, &at)?;
                schemes.insert(name.clone(), self.scheme(scheme, &at)?);
            }
        }
        Ok(schemes)
    }

    /// Every operation of `paths`: paths in the document's order, methods in [`METHODS`] order.
    fn paths(
        &self,
        paths: &Value,
        base: &str,
        security: Option<&Security>,
    ) -> Result<Vec<Operation>, OpenApiError> {
        let mut operations = Vec::new();
        for (path, item) in self.object(paths, "/paths")? {
            if path.starts_with("x-") {
                continue;
            }
            let at = format!("/paths/{}", escape_pointer(path));
            if !path.starts_with('/') {
                return Err(self.shape(&at, format!("the path {path:?} must start with `/`")));
            }
            let item = self.deref(item, &at)?;
            let item_map = self.object(item, &at)?;
            let shared = match item_map.get("parameters") {
                Some(p) => self.parameters(p, &format!("{at}/parameters"))?,
                None => Vec::new(),
            };
            let inherited = Inherited {
                parameters: &shared,
                security,
            };
            for method in METHODS {
                let Some(op) = item_map.get(method) else {
                    continue;
                };
                let op_at = format!("{at}/{method}");
                let mut operation = self.operation(op, &op_at, &inherited)?;
                operation.method = method.to_ascii_uppercase();
                operation.path = join_path(base, path);
                operations.push(operation);
            }
        }
        Ok(operations)
    }

    /// One operation, its method and path left empty for the caller.
    fn operation(
        &self,
        op: &Value,
        op_at: &str,
        inherited: &Inherited<'_>,
    ) -> Result<Operation, OpenApiError> {
        let op_map = self.object(op, op_at)?;
        let mut parameters = inherited.parameters.to_vec();
        if let Some(p) = op_map.get("parameters") {
            for param in self.parameters(p, &format!("{op_at}/parameters"))? {
                parameters.retain(|q: &Parameter| {
                    !(q.name == param.name && q.location == param.location)
                });
                parameters.push(param);
            }
        }
        let body = match op_map.get("requestBody") {
            Some(b) => self.body(b, &format!("{op_at}/requestBody"))?,
            None => None,
        };
        let security = match op_map.get("security") {
            Some(sec) => Some(self.security(sec, &format!("{op_at}/security"))?),
            None => inherited.security.cloned(),
        };
        let responses = match op_map.get("responses") {
            Some(r) => self.responses(r, &format!("{op_at}/responses"))?,
            None => Vec::new(),
        };
        let text = |key: &str| op_map.get(key).and_then(Value::as_str).map(str::to_string);
        let summary = text("summary")
            .or_else(|| text("description").map(|d| d.lines().next().unwrap_or("").to_string()))
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
        Ok(Operation {
            method: String::new(),
            path: String::new(),
            operation_id: text("operationId"),
            summary,
            tags,
            parameters,
            body,
            security,
            responses,
        })
    }

    fn security(&self, value: &Value, at: &str) -> Result<Security, OpenApiError> {
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
    use crate::openapi::SMALL;

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
