//! `[probing] exclude`: operations of the OpenAPI document that cloison's generic probing must never
//! call (a maintenance route, a reset the profile does not list, an expensive report). An entry is an
//! operation by method and path template (`"GET /api/reset/"`, `"* /admin/*"`), by path alone (any
//! method), or by its `operationId` (`"wipeDatabase"`).
//!
//! Paths are compared as templates: parameter names do not matter (`{id}` matches `{pk}`), a trailing slash
//! is not needed to match (`/api/reset` matches `/api/reset/`), and `*` stands for any run of characters,
//! `/` included.

/// One `[probing] exclude` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// A method (`None`: any) and a path pattern.
    Operation {
        /// Upper-case method, or `None` for `*` or a bare path.
        method: Option<String>,
        /// The path pattern, as written.
        path: String,
    },
    /// An `operationId`, exactly.
    OperationId(String),
}

/// The HTTP methods an entry may name.
const METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
];

impl Exclusion {
    /// Parse an entry; the error says what was expected.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let expected = "expected `METHOD /path` (`GET /api/reset/`, `* /admin/*`), a path (`/api/reset/`) or an operationId";
        let text = entry.trim();
        if text.is_empty() {
            return Err(format!("empty: {expected}"));
        }
        if text.contains("{{") {
            return Err(format!(
                "`{text}` holds a placeholder: an entry is a path of the OpenAPI document (`/items/{{id}}/`), not a profile template; {expected}"
            ));
        }
        if text.starts_with('/') {
            return Ok(Exclusion::Operation {
                method: None,
                path: text.to_string(),
            });
        }
        match text.split_once(char::is_whitespace) {
            Some((method, path)) => {
                let path = path.trim();
                if !path.starts_with('/') {
                    return Err(format!(
                        "`{text}`: the path must start with `/`; {expected}"
                    ));
                }
                let method = method.to_ascii_uppercase();
                if method == "*" {
                    return Ok(Exclusion::Operation {
                        method: None,
                        path: path.to_string(),
                    });
                }
                if !METHODS.contains(&method.as_str()) {
                    return Err(format!(
                        "`{text}`: `{method}` is not an HTTP method; {expected}"
                    ));
                }
                Ok(Exclusion::Operation {
                    method: Some(method),
                    path: path.to_string(),
                })
            }
            None if text.contains('/') => Err(format!("`{text}`: {expected}")),
            None => Ok(Exclusion::OperationId(text.to_string())),
        }
    }

    /// Whether the entry names the operation `method path` (a document's path template) of `operation_id`.
    pub fn matches(&self, method: &str, path: &str, operation_id: Option<&str>) -> bool {
        match self {
            Exclusion::OperationId(id) => operation_id == Some(id.as_str()),
            Exclusion::Operation { method: m, path: p } => {
                m.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
                    && glob(&normalize(p), &normalize(path))
            }
        }
    }
}

/// A path template with its parameters unnamed (`{}`) and without a trailing slash.
fn normalize(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.split('?').next().unwrap_or(path).chars() {
        match c {
            '{' => {
                inside = true;
                out.push('{');
            }
            '}' if inside => {
                inside = false;
                out.push('}');
            }
            _ if inside => {}
            _ => out.push(c),
        }
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// Whether `text` matches `pattern`, where `*` is any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    if pieces.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_operations_by_method_and_template_path_or_operation_id() {
        let e = |s: &str| Exclusion::parse(s).expect(s);
        let reset = e("GET /api/reset/");
        assert!(reset.matches("GET", "/api/reset/", None));
        assert!(
            reset.matches("get", "/api/reset", None),
            "the trailing slash is not needed"
        );
        assert!(!reset.matches("POST", "/api/reset/", None));
        assert!(!reset.matches("GET", "/api/reset/all/", None));
        assert!(
            e("/api/reset").matches("DELETE", "/api/reset/", None),
            "any method"
        );
        let admin = e("* /admin/*");
        assert!(admin.matches("POST", "/admin/users/{id}/", None));
        assert!(!admin.matches("POST", "/api/admin/x", None));
        // Parameter names do not matter.
        assert!(e("DELETE /items/{pk}/").matches("DELETE", "/items/{item_id}/", None));
        assert!(!e("DELETE /items/{pk}/").matches("DELETE", "/items/mine/", None));
        let id = e("wipeDatabase");
        assert!(id.matches("GET", "/x", Some("wipeDatabase")));
        assert!(!id.matches("GET", "/x", Some("wipe")) && !id.matches("GET", "/x", None));
    }

    #[test]
    fn entries_that_name_no_operation_are_refused_with_what_was_expected() {
        for bad in ["", "FETCH /x", "GET x", "a/b", "GET /items/{{case.id}}"] {
            let err = Exclusion::parse(bad).expect_err(bad);
            assert!(err.contains("expected `METHOD /path`"), "{bad}: {err}");
        }
    }
}
