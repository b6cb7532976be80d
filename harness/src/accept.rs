//! The accepted-risks file of a run (`--accept FILE`): TOML, one `[[accept]]` table per accepted finding,
//! with its fingerprint (SARIF's `cloisonFinding/v1`, the JSON report's `groups[].fingerprint`), a reason,
//! an owner and an expiry date:
//!
//! ```toml
//! [[accept]]
//! fingerprint = "3f2a...64 hexadecimal digits"
//! reason = "documents are public to agents of the MDPH until the ACL rework (TICKET-123)"
//! owner = "security@vendor.example"
//! expires = 2027-03-31
//! ```
//!
//! Every mistake is reported at once, with file, line and column (exit 2). Parsing is pure: text in,
//! acceptances out.

use std::path::Path;

use cloison_generators::date::Date;
use cloison_suites::baseline::Acceptance;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::profile::ProfileError;
use crate::profile::{KeyPath, Source};

/// The keys of one acceptance.
const KEYS: [&str; 4] = ["fingerprint", "reason", "owner", "expires"];

/// Read an accepted-risks file: its acceptances, or every mistake in it.
pub fn parse(file: &Path, text: &str) -> Result<Vec<Acceptance>, ProfileError> {
    let source = Source { file, text };
    let doc = DeTable::parse(text).map_err(|e| source.from_toml(&e))?;
    let mut errors: Vec<ProfileError> = Vec::new();
    let mut out = Vec::new();
    for (key, value) in doc.get_ref() {
        if key.get_ref() != "accept" {
            errors.push(source.error_at(
                Some(key.span()),
                None,
                format!(
                    "unknown key `{}`: expected `[[accept]]` tables only",
                    key.get_ref()
                ),
            ));
        }
        let _ = value;
    }
    match doc.get_ref().get("accept").map(|v| (v.span(), v.get_ref())) {
        None => {}
        Some((_, DeValue::Array(entries))) => {
            for (index, entry) in entries.iter().enumerate() {
                let path = KeyPath::root("accept").index(index);
                match entry.get_ref() {
                    DeValue::Table(table) => {
                        if let Some(acceptance) =
                            one(&source, &path, entry.span(), table, &mut errors)
                        {
                            out.push(acceptance);
                        }
                    }
                    _ => errors.push(source.error_at(
                        Some(entry.span()),
                        Some(&path),
                        "expected a table with fingerprint, reason, owner and expires",
                    )),
                }
            }
        }
        Some((span, _)) => errors.push(source.error_at(
            Some(span),
            Some(&KeyPath::root("accept")),
            "expected `[[accept]]` tables (an array of tables)",
        )),
    }
    match ProfileError::several(errors) {
        Some(errors) => Err(errors),
        None => Ok(out),
    }
}

/// One acceptance, its mistakes pushed.
fn one(
    source: &Source<'_>,
    path: &KeyPath,
    span: std::ops::Range<usize>,
    table: &DeTable<'_>,
    errors: &mut Vec<ProfileError>,
) -> Option<Acceptance> {
    for key in table.keys() {
        if !KEYS.contains(&key.get_ref().as_ref()) {
            errors.push(source.error_at(
                Some(key.span()),
                Some(&path.key(key.get_ref())),
                format!(
                    "unknown key `{}`: expected fingerprint, reason, owner and expires",
                    key.get_ref()
                ),
            ));
        }
    }
    let text = |key: &str, errors: &mut Vec<ProfileError>| -> Option<String> {
        let at = path.key(key);
        match table.get(key).map(|v| (v.span(), v.get_ref())) {
            None => {
                errors.push(source.error_at(
                    Some(span.clone()),
                    Some(&at),
                    format!("missing `{key}`"),
                ));
                None
            }
            Some((_, DeValue::String(s))) if !s.trim().is_empty() => Some(s.to_string()),
            Some((span, _)) => {
                errors.push(source.error_at(
                    Some(span),
                    Some(&at),
                    format!("expected a non-empty string for `{key}`"),
                ));
                None
            }
        }
    };
    let fingerprint = text("fingerprint", errors).and_then(|f| {
        let valid = f.len() == 64 && f.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            let at = table.get("fingerprint").map(Spanned::span);
            errors.push(source.error_at(
                at,
                Some(&path.key("fingerprint")),
                format!(
                    "`{f}` is not a fingerprint: expected 64 lower-case hexadecimal digits (a finding's `fingerprint` in the JSON report, `cloisonFinding/v1` in SARIF)"
                ),
            ));
        }
        valid.then_some(f)
    });
    let reason = text("reason", errors);
    let owner = text("owner", errors);
    let expires = expiry(source, path, span, table, errors);
    Some(Acceptance {
        fingerprint: fingerprint?,
        reason: reason?,
        owner: owner?,
        expires: expires?,
    })
}

/// The expiry date: a TOML date (`2027-03-31`) or a string of one.
fn expiry(
    source: &Source<'_>,
    path: &KeyPath,
    span: std::ops::Range<usize>,
    table: &DeTable<'_>,
    errors: &mut Vec<ProfileError>,
) -> Option<Date> {
    let at = path.key("expires");
    let Some(value) = table.get("expires") else {
        errors.push(source.error_at(Some(span), Some(&at), "missing `expires`"));
        return None;
    };
    let date = match value.get_ref() {
        DeValue::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            dt.date.map(|d| d.to_string())
        }
        DeValue::String(s) => Some(s.to_string()),
        _ => None,
    };
    let parsed = date.as_deref().and_then(Date::parse_iso);
    if parsed.is_none() {
        errors.push(source.error_at(
            Some(value.span()),
            Some(&at),
            "expected a date, `expires = 2027-03-31` (the last day the acceptance holds)",
        ));
    }
    parsed
}

/// The acceptances of a file, or a usage error (exit 2) listing every mistake.
pub fn load(path: &Path) -> Result<Vec<Acceptance>, crate::exit::CliError> {
    let text = crate::input::read_text(path, "accepted-risks file")
        .map_err(|e| crate::exit::CliError::usage(e.to_string()))?;
    parse(path, &text).map_err(|e| crate::exit::CliError::usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRINT: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_valid_file() {
        let text = format!(
            "[[accept]]\nfingerprint = \"{PRINT}\"\nreason = \"known\"\nowner = \"sec\"\nexpires = 2027-03-31\n\n[[accept]]\nfingerprint = \"{PRINT}\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2027-01-01\"\n"
        );
        let list = parse(Path::new("a.toml"), &text).expect("valid");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].expires.to_string(), "2027-03-31");
        assert_eq!(list[1].expires.to_string(), "2027-01-01");
        assert_eq!(list[0].owner, "sec");
        assert!(parse(Path::new("a.toml"), "").expect("empty").is_empty());
    }

    #[test]
    fn every_mistake_at_once_with_line_and_column() {
        let text = format!(
            "[[accept]]\nfingerprint = \"nope\"\nreason = \"\"\nowner = \"o\"\nexpires = 2027-02-03T10:00:00\ncolour = 1\n\n[[accept]]\nfingerprint = \"{PRINT}\"\nexpires = 12\n\n[other]\n"
        );
        let err = parse(Path::new("a.toml"), &text).expect_err("invalid");
        let shown: Vec<String> = err
            .all()
            .map(|e| {
                format!(
                    "{}:{} {}",
                    e.line.unwrap_or(0),
                    e.column.unwrap_or(0),
                    e.message
                )
            })
            .collect();
        let expect = [
            "2:15 `nope` is not a fingerprint",
            "3:10 expected a non-empty string for `reason`",
            "5:11 expected a date",
            "6:1 unknown key `colour`",
            "8:1 missing `reason`",
            "8:1 missing `owner`",
            "10:11 expected a date",
            "12:2 unknown key `other`",
        ];
        assert_eq!(shown.len(), expect.len(), "{shown:#?}");
        for (got, want) in shown.iter().zip(expect) {
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
        assert!(err.to_string().starts_with("a.toml:2:15: "), "{err}");
    }

    #[test]
    fn a_syntax_error_is_located() {
        let err = parse(Path::new("a.toml"), "[[accept]\n").expect_err("invalid");
        assert!(err.to_string().starts_with("a.toml:1:"), "{err}");
    }
}
