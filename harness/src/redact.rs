//! Redaction: no credential leaves cloison. One [`Secrets`] set per run collects every credential the run
//! holds or receives (passwords, tokens from sign-ups and logins, session cookies and `Set-Cookie` values,
//! values extracted from login answers, operators' keys, generated secrets, the secrets file's values),
//! whoever they belong to; [`report`] applies it to every string of a report before any reporter sees it,
//! and [`Secrets::redact`] to any text that leaves earlier (errors). A second line of defence,
//! [`header_shaped`], hides the value after a credential-shaped name (`authorization`, `cookie`,
//! `set-cookie`, `x-api-key`, `..._token`, `password`...) in echoed JSON or text, whether or not the run
//! knew the value.
//!
//! A leaf: it imports nothing of the crate but the report's type.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Values shorter than this are not redacted by value (they would hide ordinary words); the header-shaped
/// rule still hides them after a credential's name.
const SHORTEST: usize = 4;

/// Every credential of a run: one set, shared by every phase that learns one (cheap clones).
#[derive(Debug, Clone, Default)]
pub struct Secrets(Arc<RwLock<BTreeSet<String>>>);

impl Secrets {
    /// A set holding `values`.
    pub fn of<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let secrets = Self::default();
        secrets.extend(values);
        secrets
    }

    /// Add one credential (too short a value is ignored).
    pub fn add(&self, value: impl Into<String>) {
        self.extend(std::iter::once(value));
    }

    /// Add credentials (too short values are ignored), and the forms a target may echo them in: JSON-escaped
    /// and URL-encoded.
    pub fn extend<I, S>(&self, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let Ok(mut set) = self.0.write() else { return };
        for value in values {
            let value: String = value.into();
            let value = value.trim();
            if value.chars().count() < SHORTEST {
                continue;
            }
            for form in forms(value) {
                set.insert(form);
            }
        }
    }

    /// Every value held, longest first (so that a value containing another is hidden whole).
    pub fn values(&self) -> Vec<String> {
        let mut values: Vec<String> = self
            .0
            .read()
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values
    }

    /// How many values are held (escaped forms included).
    pub fn len(&self) -> usize {
        self.0.read().map_or(0, |set| set.len())
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `text` with every held value and every header-shaped credential hidden.
    pub fn redact(&self, text: &str) -> String {
        Redactor::new(self).text(text)
    }
}

/// The forms a credential may be echoed in: as is, JSON-escaped, URL-encoded.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json[1..json.len() - 1].to_string());
    }
    out.push(form_urlencoded::byte_serialize(value.as_bytes()).collect());
    out.push(
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    );
    out.sort();
    out.dedup();
    out
}

/// The values of a [`Secrets`], taken once, applied to many strings.
struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    fn new(secrets: &Secrets) -> Self {
        Self {
            values: secrets.values(),
        }
    }

    fn text(&self, text: &str) -> String {
        let mut out = None::<String>;
        for value in &self.values {
            let current = out.as_deref().unwrap_or(text);
            if value.len() <= current.len() && current.contains(value.as_str()) {
                out = Some(current.replace(value.as_str(), REDACTED));
            }
        }
        header_shaped(out.as_deref().unwrap_or(text))
    }

    fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                let redacted = self.text(s);
                if redacted != *s {
                    *s = redacted;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => (map.iter_mut())
                .filter(|(key, _)| !TYPED.contains(&key.as_str()))
                .for_each(|(_, v)| self.value(v)),
            _ => {}
        }
    }
}

/// Fields of a report that hold a typed name (a family, an evidence, a relation...), never a credential:
/// left as they are, so that a secret that happens to spell a word never breaks the report's types.
const TYPED: &[&str] = &[
    "family",
    "evidence",
    "outcome",
    "relation",
    "kind",
    "expect",
    "reason",
    "finding",
    "schema_version",
    "cloison_version",
    "profile_digest",
    "fingerprint",
    "baseline",
];

/// Redact every string of `value` (a report as JSON, say) with `secrets` and the header-shaped rule.
pub fn json(value: &mut Value, secrets: &Secrets) {
    Redactor::new(secrets).value(value);
}

/// The report with every string redacted: what every reporter (JSON, terminal, JUnit, SARIF, HTML) and
/// `--keep-target`'s notes are made from. A report that would not read back (it always does: the
/// round trip is tested) loses its findings' evidence rather than keep a credential.
pub fn report(report: crate::report::Report, secrets: &Secrets) -> crate::report::Report {
    let Ok(mut value) = serde_json::to_value(&report) else {
        return stripped(report);
    };
    json(&mut value, secrets);
    serde_json::from_value(value).unwrap_or_else(|_| stripped(report))
}

/// A report without any evidence text (the fallback of [`report`]).
fn stripped(mut report: crate::report::Report) -> crate::report::Report {
    report.findings.clear();
    for cause in &mut report.root_causes {
        cause.reproducer.excerpt = REDACTED.into();
        cause.reproducer.request = None;
        cause.reproducer.steps.clear();
    }
    report
}

/// Names whose value is a credential, whatever the value: a header or a field whose lowercase name is one
/// of these, or ends with one of the suffixes.
const NAMES: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "apikey",
    "api-key",
    "api_key",
    "password",
    "passwd",
    "secret",
    "client_secret",
];
const SUFFIXES: &[&str] = &[
    "-token",
    "_token",
    "-api-key",
    "_api_key",
    "-apikey",
    "_apikey",
    "-secret",
    "_secret",
    "-password",
    "_password",
    "token",
];

/// Is `name` (lowercase) a credential's name?
fn credential_name(name: &str) -> bool {
    !name.is_empty()
        && (NAMES.contains(&name)
            || SUFFIXES
                .iter()
                .any(|s| name.len() > s.len() && name.ends_with(s))
            || name == "token")
}

/// Hide the value after a credential's name: `authorization: Bearer ...`, `"cookie": "sid=..."`,
/// `x-api-key=...`, `"access_token":"..."`, in JSON or text (quoted names, `:` or `=`, escaped quotes).
/// A value already redacted (`<redacted...`) and a template (`{{...}}`, a profile's line in an error) are
/// kept.
pub fn header_shaped(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if (bytes[i] == b':' || bytes[i] == b'=')
            && let Some(name_end) = name_before(bytes, i)
            && let Some((start, end)) = value_after(bytes, i + 1)
            && start >= copied
        {
            let name = text[name_end.0..name_end.1].to_ascii_lowercase();
            let value = &text[start..end];
            if credential_name(&name)
                && !value.starts_with("<redacted")
                && !value.starts_with("{{")
                && !value.trim().is_empty()
            {
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
                copied = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The name before the separator at `at` (quotes, escaped quotes and spaces skipped): its byte range.
fn name_before(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut end = at;
    while end > 0 && bytes[end - 1] == b' ' {
        end -= 1;
    }
    while end > 0 && matches!(bytes[end - 1], b'"' | b'\'' | b'\\') {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_name_byte(bytes[start - 1]) {
        start -= 1;
    }
    (start < end).then_some((start, end))
}

/// The value after a separator ending at `from`: within its quotes if quoted (a JSON string, escaped or
/// not), else up to the end of the line or the next delimiter. Its byte range.
fn value_after(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    let escaped_quote = bytes.get(i..i + 2) == Some(b"\\\"");
    if escaped_quote {
        let start = i + 2;
        let end = find(bytes, start, |b, j| {
            b[j] == b'\\' && b.get(j + 1) == Some(&b'"')
        })?;
        return Some((start, end));
    }
    if let Some(&quote @ (b'"' | b'\'')) = bytes.get(i) {
        let start = i + 1;
        let end = find(bytes, start, |b, j| {
            b[j] == quote && (j == 0 || b[j - 1] != b'\\')
        })
        .unwrap_or(bytes.len());
        return Some((start, end));
    }
    let start = i;
    let end = find(bytes, start, |b, j| {
        matches!(
            b[j],
            b'\n' | b'\r' | b'"' | b'\'' | b'&' | b',' | b'}' | b']' | b'<'
        )
    })
    .unwrap_or(bytes.len());
    (start < end).then_some((start, end))
}

/// The first index from `from` where `stop` holds.
fn find(bytes: &[u8], from: usize, stop: impl Fn(&[u8], usize) -> bool) -> Option<usize> {
    (from..bytes.len()).find(|&j| stop(bytes, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_values_are_hidden_in_every_form() {
        let secrets = Secrets::of(["tok-abcdef", "p@ss w\"rd", "abc"]);
        let text =
            r#"{"echo":"tok-abcdef","pw":"p@ss w\"rd","form":"p%40ss+w%22rd","short":"abc"}"#;
        let out = secrets.redact(text);
        assert!(!out.contains("tok-abcdef"), "{out}");
        assert!(!out.contains("p@ss"), "{out}");
        assert!(!out.contains("p%40ss"), "{out}");
        assert!(
            out.contains("\"short\":\"abc\""),
            "short values are not redacted: {out}"
        );
    }

    #[test]
    fn header_shaped_values_are_hidden() {
        let cases = [
            (
                r#"{"authorization": "Bearer zzz999"}"#,
                r#"{"authorization": "<redacted>"}"#,
            ),
            (
                "Authorization: Bearer zzz999\nAccept: */*",
                "Authorization: <redacted>\nAccept: */*",
            ),
            (
                r#"{"headers":{"cookie":"sid=1; other=2","x-api-key":"k-1"}}"#,
                r#"{"headers":{"cookie":"<redacted>","x-api-key":"<redacted>"}}"#,
            ),
            (
                r#"{\"access_token\":\"abc.def\"}"#,
                r#"{\"access_token\":\"<redacted>\"}"#,
            ),
            ("/login?token=abc&next=1", "/login?token=<redacted>&next=1"),
            (
                "-H 'authorization: <redacted: credential of x>'",
                "-H 'authorization: <redacted: credential of x>'",
            ),
            ("set-cookie: s=1; Path=/", "set-cookie: <redacted>"),
            (
                r#"{"token_type":"bearer","tokens":3}"#,
                r#"{"token_type":"bearer","tokens":3}"#,
            ),
            ("the cause: nothing", "the cause: nothing"),
        ];
        for (input, expected) in cases {
            assert_eq!(header_shaped(input), expected, "{input}");
        }
    }

    #[test]
    fn a_json_tree_is_redacted_everywhere() {
        let secrets = Secrets::of(["secret-value-1"]);
        let mut value =
            serde_json::json!({ "a": ["x secret-value-1 y", { "b": "secret-value-1" }], "n": 3 });
        json(&mut value, &secrets);
        assert_eq!(
            value,
            serde_json::json!({ "a": ["x <redacted> y", { "b": "<redacted>" }], "n": 3 })
        );
    }
}
