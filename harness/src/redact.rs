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
        // A phase that panicked holding the set does not make cloison forget a credential.
        let mut set = (self.0.write()).unwrap_or_else(std::sync::PoisonError::into_inner);
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

    /// How many values are held (escaped forms included).
    pub fn len(&self) -> usize {
        (self.0.read())
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `text` with every held value and every header-shaped credential hidden.
    pub fn redact(&self, text: &str) -> String {
        header_shaped(&self.hide(text))
    }
}

/// What hides credential values in a text: the run's [`Secrets`], or a short list of values (one
/// credential's).
pub trait Hide {
    /// `text` with every value held replaced by [`REDACTED`] (where two overlap or touch, their union).
    fn hide(&self, text: &str) -> String;
}

impl Hide for Secrets {
    /// Each position of `text` is looked up in the set (no value is gathered or copied): the values that
    /// are a prefix of the text there are found by descending the sorted set, so a text costs a few
    /// lookups per character however many credentials the run holds (issue 23: ~300,000 forms at 50,000
    /// case files).
    fn hide(&self, text: &str) -> String {
        let set = (self.0.read()).unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut spans = Vec::new();
        for (at, _) in text.char_indices() {
            prefixes_held(&set, &text[at..], |len| spans.push((at, at + len)));
        }
        splice(text, spans)
    }
}

impl<S: AsRef<str>> Hide for [S] {
    /// Only the values whose first four bytes occur in `text` are searched for, so that a short text is
    /// not searched once per value.
    fn hide(&self, text: &str) -> String {
        let heads: std::collections::HashSet<&[u8]> = text.as_bytes().windows(4).collect();
        let mut spans = Vec::new();
        for value in self.iter().map(AsRef::as_ref).filter(|s| s.len() >= 4) {
            if heads.contains(&value.as_bytes()[..4]) {
                let found = text.match_indices(value);
                spans.extend(found.map(|(at, v)| (at, at + v.len())));
            }
        }
        splice(text, spans)
    }
}

impl<S: AsRef<str>> Hide for Vec<S> {
    fn hide(&self, text: &str) -> String {
        self.as_slice().hide(text)
    }
}

impl<S: AsRef<str>, const N: usize> Hide for [S; N] {
    fn hide(&self, text: &str) -> String {
        self.as_slice().hide(text)
    }
}

/// Call `found` with the length of every value of `set` that `text` starts with. The greatest value not
/// after `text` shares with it the longest prefix any value does, so every value that is a prefix of
/// `text` is a prefix of that common part: look again at or below it, until fewer bytes are left than a
/// held value has ([`SHORTEST`]).
fn prefixes_held(set: &BTreeSet<String>, text: &str, mut found: impl FnMut(usize)) {
    use std::ops::Bound::{Excluded, Included, Unbounded};
    let mut query = text;
    let mut upper = Included(query);
    while query.len() >= SHORTEST {
        let Some(below) = set.range::<str, _>((Unbounded, upper)).next_back() else {
            return;
        };
        let common = (below.bytes().zip(query.bytes()))
            .take_while(|(a, b)| a == b)
            .count();
        if common == below.len() {
            found(below.len());
            // Shorter values may be prefixes too: they sort before this one.
            query = &query[..common];
            upper = Excluded(query);
        } else {
            let mut cut = common;
            while !query.is_char_boundary(cut) {
                cut -= 1;
            }
            query = &query[..cut];
            upper = Included(query);
        }
    }
}

/// `text` with the byte ranges of `spans` (on char boundaries, in any order) replaced by one [`REDACTED`]
/// per run of ranges that overlap or touch.
fn splice(text: &str, mut spans: Vec<(usize, usize)>) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < spans.len() {
        let (start, mut end) = spans[i];
        i += 1;
        while i < spans.len() && spans[i].0 <= end {
            end = end.max(spans[i].1);
            i += 1;
        }
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `values` without those that are another of them behind an authorization scheme (`Bearer <token>`,
/// `Token <key>`: ASCII letters and one space before it) or a cookie's name (`sid=<token>`, the pair a
/// `Set-Cookie` gives): hiding the credential hides the header value or cookie pair that carries it, in
/// every form (the scheme and the cookie's name are no secret), and a run holds one token per identity
/// rather than three of its forms twice over (issue 23: ~1 KiB per identity at 74,000 identities). Nothing
/// else is dropped: a value that merely contains a short one keeps its own entry.
pub fn without_schemes(mut values: Vec<String>) -> Vec<String> {
    let carried = |value: &str| {
        values.iter().any(|inner| {
            inner.chars().count() >= SHORTEST
                && value.len() > inner.len()
                && value.ends_with(inner.as_str())
                && carrier(&value[..value.len() - inner.len()])
        })
    };
    let keep: Vec<bool> = values.iter().map(|v| !carried(v)).collect();
    let mut keep = keep.into_iter();
    values.retain(|_| keep.next().unwrap_or(true));
    values
}

/// Is `prefix` an authorization scheme and its space (`Bearer `), or a cookie's name and its `=` (`sid=`:
/// the characters RFC 6265 allows in a name, no space or separator)?
fn carrier(prefix: &str) -> bool {
    let scheme = prefix.strip_suffix(' ').is_some_and(|name| {
        (1..=16).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphabetic())
    });
    let cookie = prefix.strip_suffix('=').is_some_and(|name| {
        (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    });
    scheme || cookie
}

/// What a percent-encoder leaves as is besides letters and digits: RFC 3986's unreserved marks, which the
/// encoders of PHP (`rawurlencode`), Go, .NET, Python and JavaScript all leave (a form with `-` as `%2D`
/// is no target's, and was one more copy of every token in the set).
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The forms a credential may be echoed in: as is, JSON-escaped, URL-encoded (as a form, and as a
/// component: [`UNRESERVED`]).
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json[1..json.len() - 1].to_string());
    }
    out.push(form_urlencoded::byte_serialize(value.as_bytes()).collect());
    out.push(percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string());
    out.sort();
    out.dedup();
    out
}

/// A [`Secrets`] applied to every string of a JSON tree.
struct Redactor<'s> {
    secrets: &'s Secrets,
}

impl Redactor<'_> {
    fn text(&self, text: &str) -> String {
        self.secrets.redact(text)
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
    Redactor { secrets }.value(value);
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
        let secrets = Secrets::of(["tok-abcdef", "p@ss w\"rd", "abc", "a.b~c_d-e/f!"]);
        let text = r#"{"echo":"tok-abcdef","pw":"p@ss w\"rd","form":"p%40ss+w%22rd","url":"p%40ss%20w%22rd","go":"a.b~c_d-e%2Ff%21","short":"abc"}"#;
        let out = secrets.redact(text);
        assert!(!out.contains("tok-abcdef"), "{out}");
        assert!(!out.contains("p@ss"), "{out}");
        assert!(!out.contains("p%40ss"), "{out}");
        assert!(!out.contains("a.b~c"), "{out}");
        assert!(
            out.contains("\"short\":\"abc\""),
            "short values are not redacted: {out}"
        );
    }

    /// Every byte of `text` that some held value covers where it occurs, found the slow way.
    fn covered(secrets: &Secrets, text: &str) -> Vec<bool> {
        let set = secrets.0.read().unwrap();
        let mut covered = vec![false; text.len()];
        for value in set.iter() {
            for (at, _) in text.char_indices() {
                if text[at..].starts_with(value.as_str()) {
                    covered[at..at + value.len()].fill(true);
                }
            }
        }
        covered
    }

    /// `text` with each run of covered bytes replaced by one `<redacted>`.
    fn expected(text: &str, covered: &[bool]) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < text.len() {
            if covered[i] {
                while i < text.len() && covered[i] {
                    i += 1;
                }
                out.push_str(REDACTED);
            } else {
                let c = text[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    }

    #[test]
    fn the_set_hides_values_that_share_prefixes_overlap_or_nest() {
        let secrets = Secrets::of([
            "eyJhbGc.AAAA",
            "eyJhbGc.AAAAB",
            "eyJhbGc.ZZZZ",
            "abcd",
            "cdefgh",
            "Hold-0001-Cl",
            "Hold-0002-Cl",
            "é-secret-ü",
        ]);
        let cases = [
            ("x eyJhbGc.AAAAB y", "x <redacted> y"),
            ("x eyJhbGc.AAAAC y", "x <redacted>C y"),
            ("eyJhbGc.ZZZ", "eyJhbGc.ZZZ"),
            ("abcdefgh!", "<redacted>!"),
            ("ab cdefg", "ab cdefg"),
            ("Hold-0002-Cl&Hold-0003-Cl", "<redacted>&Hold-0003-Cl"),
            ("«é-secret-ü»", "«<redacted>»"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(secrets.hide(text), want, "{text}");
        }
    }

    proptest::proptest! {
        /// The set's lookups hide exactly the bytes that some held value covers, however the values
        /// share prefixes, nest or overlap, in every form (escaped forms included).
        #[test]
        fn the_set_hides_exactly_what_its_values_cover(
            values in proptest::collection::vec("[ab%é-]{1,7}", 0..12),
            text in "[ab%é -]{0,40}",
        ) {
            let secrets = Secrets::of(values);
            let want = expected(&text, &covered(&secrets, &text));
            proptest::prop_assert_eq!(secrets.hide(&text), want);
        }
    }

    #[test]
    fn a_token_behind_a_scheme_is_held_once_and_nothing_else_is_dropped() {
        let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            without_schemes(values(&["Bearer tok-123456", "tok-123456", "pw-9876"])),
            values(&["tok-123456", "pw-9876"])
        );
        assert_eq!(
            without_schemes(values(&[
                "sid=tok-123456",
                "tok-123456",
                "__Host-s.id=pw-9876"
            ])),
            values(&["tok-123456", "__Host-s.id=pw-9876"])
        );
        // Not a scheme: kept whole, so that the part the short value leaves is not shown.
        for kept in [
            vec!["user tok-123456 extra", "tok-123456"],
            vec!["sid=tok-123456; Path=/", "tok-123456"],
            vec!["a sid=tok-123456", "tok-123456"],
            vec!["s;d=tok-123456", "tok-123456"],
            vec!["=tok-123456", "tok-123456"],
            vec!["Bearer  tok-123456", "tok-123456"],
            vec!["Bearer abc", "abc"],
            vec!["x1 tok-123456", "tok-123456"],
        ] {
            assert_eq!(without_schemes(values(&kept)), values(&kept), "{kept:?}");
        }
        // Whatever was dropped is still hidden wherever it occurs.
        let secrets = Secrets::of(without_schemes(values(&[
            "Bearer tok-123456",
            "sid=tok-123456",
            "tok-123456",
        ])));
        assert_eq!(secrets.len(), 1, "one token, held once");
        assert_eq!(
            secrets.redact("echo Bearer tok-123456 and Bearer%20tok-123456, sid%3Dtok-123456"),
            "echo Bearer <redacted> and Bearer%20<redacted>, sid%3D<redacted>"
        );
    }

    #[test]
    fn a_set_poisoned_by_a_panic_still_takes_and_hides_credentials() {
        let secrets = Secrets::default();
        let held = secrets.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = held.0.write().unwrap();
            panic!("a phase panics holding the set");
        })
        .join();
        assert!(panicked.is_err() && secrets.0.is_poisoned());
        secrets.add("tok-after-panic");
        assert!(!secrets.is_empty());
        assert_eq!(secrets.redact("x tok-after-panic"), "x <redacted>");
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
