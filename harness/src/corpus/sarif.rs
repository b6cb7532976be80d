//! Another tool's SARIF 2.1.0 results as [`Detection`]s, to score them on a case's ground truth as cloison
//! is scored (`cloison bench score --sarif FILE --case NAME`).
//!
//! Of each result (`runs[].results[]`, results of kind `pass`, `notApplicable` and `informational` left
//! out) it reads: the rule (`ruleId`, or `rule.id`), a family when the rule names one of cloison's; the
//! method and the path from `webRequest` (`method`, `target`), else the result's `properties` (`method`,
//! `path` or `url`), else a logical location (`name` or `fullyQualifiedName`) or the message's text of the
//! form `METHOD /path`, else the physical location's `uri` for the path; and an endpoint key from a
//! logical location of kind `endpoint` (as cloison writes its own SARIF).

use cloison_suites::Family;
use cloison_suites::score::Detection;
use serde_json::Value;

/// A SARIF file that cannot be read as one.
#[derive(Debug, thiserror::Error)]
pub enum SarifError {
    /// Not JSON.
    #[error("{path}:{line}:{column}: not JSON: {message}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not SARIF's shape.
    #[error("{path}: not SARIF 2.1.0: {message}")]
    Shape { path: String, message: String },
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// `METHOD /path` at the start of `text` (or anywhere in it, the first such pair).
fn method_and_path(text: &str) -> Option<(String, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        let method = w[0].trim_matches(|c: char| !c.is_ascii_alphabetic());
        let target = w[1].trim_end_matches([',', '.', ';', ':', ')']);
        (METHODS.contains(&method.to_ascii_uppercase().as_str())
            && (target.starts_with('/') || target.contains("://")))
        .then(|| (method.to_ascii_uppercase(), target.to_string()))
    })
}

fn string(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// One result as a detection.
fn detection(result: &Value) -> Detection {
    let rule = string(result, "/ruleId").or_else(|| string(result, "/rule/id"));
    let family = (rule.as_deref())
        .and_then(|r| Family::from_name(r.rsplit('/').next().unwrap_or(r)))
        .map(|f| f.name().to_string());
    let logical: Vec<&Value> = (result.pointer("/locations").and_then(Value::as_array))
        .into_iter()
        .flatten()
        .filter_map(|l| l.pointer("/logicalLocations").and_then(Value::as_array))
        .flatten()
        .collect();
    let endpoint = logical
        .iter()
        .find(|l| l.get("kind").and_then(Value::as_str) == Some("endpoint"))
        .and_then(|l| string(l, "/name"));
    let mut method =
        string(result, "/webRequest/method").or_else(|| string(result, "/properties/method"));
    let mut path = string(result, "/webRequest/target")
        .or_else(|| string(result, "/properties/path"))
        .or_else(|| string(result, "/properties/url"));
    let texts = logical
        .iter()
        .flat_map(|l| [string(l, "/name"), string(l, "/fullyQualifiedName")])
        .chain([string(result, "/message/text")])
        .flatten();
    for text in texts {
        if method.is_some() && path.is_some() {
            break;
        }
        if let Some((m, p)) = method_and_path(&text) {
            method.get_or_insert(m);
            path.get_or_insert(p);
        }
    }
    if path.is_none() {
        path = (result.pointer("/locations").and_then(Value::as_array))
            .into_iter()
            .flatten()
            .filter_map(|l| string(l, "/physicalLocation/artifactLocation/uri"))
            .find(|uri| uri.starts_with('/') || uri.starts_with("http"));
    }
    Detection {
        family,
        endpoint,
        method,
        path,
        rule,
        ..Detection::default()
    }
}

/// The detections of a SARIF document read from `path` (named in errors), and its tool's name.
pub fn read(path: &str, text: &str) -> Result<(String, Vec<Detection>), SarifError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| SarifError::Json {
        path: path.into(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let shape = |message: &str| SarifError::Shape {
        path: path.into(),
        message: message.into(),
    };
    let runs =
        (doc.get("runs").and_then(Value::as_array)).ok_or_else(|| shape("no `runs` array"))?;
    let mut tool = None;
    let mut detections = Vec::new();
    for run in runs {
        tool = tool.or_else(|| string(run, "/tool/driver/name"));
        let results = (run.get("results").and_then(Value::as_array))
            .ok_or_else(|| shape("a run without a `results` array"))?;
        for result in results {
            let kind = result.get("kind").and_then(Value::as_str).unwrap_or("fail");
            if matches!(kind, "pass" | "notApplicable" | "informational") {
                continue;
            }
            detections.push(detection(result));
        }
    }
    Ok((tool.unwrap_or_else(|| "unnamed tool".into()), detections))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_give_their_rule_method_path_and_endpoint() {
        let doc = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "zap"}}, "results": [
            {"ruleId": "10202", "webRequest": {"method": "PUT", "target": "http://127.0.0.1:9/members/7001/password"}},
            {"ruleId": "bola", "message": {"text": "GET /notes/3 served another user's note"}},
            {"ruleId": "x", "properties": {"method": "delete", "path": "/notes/{id}"}},
            {"ruleId": "direct-read", "locations": [{"logicalLocations": [{"name": "note.read", "kind": "endpoint"}]}]},
            {"ruleId": "y", "locations": [{"physicalLocation": {"artifactLocation": {"uri": "/files/2"}}}]},
            {"ruleId": "z", "kind": "pass", "message": {"text": "GET /ok"}}
        ]}]});
        let (tool, found) = read("t.sarif", &doc.to_string()).expect("sarif");
        assert_eq!(tool, "zap");
        assert_eq!(found.len(), 5, "the pass is left out");
        assert_eq!(found[0].method.as_deref(), Some("PUT"));
        assert_eq!(found[0].rule.as_deref(), Some("10202"));
        assert_eq!(found[0].family, None);
        assert_eq!(found[1].path.as_deref(), Some("/notes/3"));
        assert_eq!(found[2].path.as_deref(), Some("/notes/{id}"));
        assert_eq!(found[3].family.as_deref(), Some("direct-read"));
        assert_eq!(found[3].endpoint.as_deref(), Some("note.read"));
        assert_eq!(found[4].path.as_deref(), Some("/files/2"));
        let err = read("t.sarif", "{\n  \"runs\": [").expect_err("bad json");
        assert!(err.to_string().starts_with("t.sarif:2:"), "{err}");
        let err = read("t.sarif", "{}").expect_err("no runs");
        assert!(err.to_string().contains("no `runs`"), "{err}");
    }
}
