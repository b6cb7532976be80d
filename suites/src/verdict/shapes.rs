//! Refusals that are not status codes, and deletes that keep the record: what a declared answer body means
//! ([`RefusalBody`]) and what a soft-deleted record looks like when read back ([`FieldEquals`]).
//!
//! A body is judged only when it is whole: an answer cut at the size limit is never a refusal by its body,
//! and never shows a field it might have held further on.

use serde_json::Value;

use super::Observed;

/// A JSON value at a JSON pointer: `{ pointer = "/active", equals = false }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldEquals {
    /// Where the value is (a JSON pointer; `""` for the whole body).
    pub pointer: String,
    /// The value it must equal.
    pub equals: Value,
}

impl FieldEquals {
    /// Whether a whole JSON body holds `equals` at `pointer`.
    pub fn holds(&self, body: &[u8]) -> bool {
        serde_json::from_slice::<Value>(body)
            .ok()
            .is_some_and(|json| json.pointer(&self.pointer) == Some(&self.equals))
    }
}

/// An answer body that means "refused", on a platform that refuses with a success or with a status the
/// profile does not list (`200 true`, `{"ok": false}`, `{"status": "denied"}`, `not allowed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalBody {
    /// The whole body is this JSON value (compared as JSON: spacing and key order do not matter).
    Exact(Value),
    /// The body's JSON holds this value at this pointer.
    Field(FieldEquals),
    /// The body contains this text (case-sensitive).
    Text(String),
}

impl RefusalBody {
    /// Whether a body (whole, not cut at the size limit) is this refusal.
    pub fn matches(&self, body: &[u8]) -> bool {
        match self {
            RefusalBody::Exact(value) => {
                serde_json::from_slice::<Value>(body).is_ok_and(|json| &json == value)
            }
            RefusalBody::Field(field) => field.holds(body),
            RefusalBody::Text(text) => {
                !text.is_empty() && body.windows(text.len()).any(|w| w == text.as_bytes())
            }
        }
    }
}

/// Whether an answer is a refusal by one of `bodies`: a success or a client error (never a redirect or a
/// server error) whose whole body matches.
pub(super) fn is_body_refusal(bodies: &[RefusalBody], observed: &Observed) -> bool {
    let judged = observed.is_success() || (400..500).contains(&observed.status);
    judged && !observed.truncated && bodies.iter().any(|b| b.matches(&observed.body))
}

/// What a delete leaves on a platform whose deletes keep the record readable by its owner: the field that
/// says it is deleted (`soft = { pointer = "/active", equals = false }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftDelete {
    /// The field and the value a deleted record holds.
    pub field: FieldEquals,
}

impl SoftDelete {
    /// Whether an answer shows the record deleted: a success whose whole body holds the field.
    pub fn shows_deleted(&self, observed: &Observed) -> bool {
        observed.is_success() && !observed.truncated && self.field.holds(&observed.body)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::verdict::Refusals;

    fn answer(status: u16, body: &str, truncated: bool) -> Observed {
        Observed {
            status,
            body: body.as_bytes().to_vec(),
            truncated,
            ..Observed::default()
        }
    }

    fn field(pointer: &str, equals: Value) -> FieldEquals {
        FieldEquals {
            pointer: pointer.into(),
            equals,
        }
    }

    #[test]
    fn refusals_by_body() {
        let refusals = Refusals {
            statuses: [403].into(),
            bodies: vec![
                RefusalBody::Exact(json!(false)),
                RefusalBody::Exact(json!({ "ok": false })),
                RefusalBody::Field(field("/status", json!("denied"))),
                RefusalBody::Text("not allowed".into()),
            ],
            ..Refusals::default()
        };
        // (status, body, cut at the size limit) -> a refusal
        let table = [
            // Exact values, compared as JSON.
            (200, "false", false, true),
            (200, " false\n", false, true),
            (200, "true", false, false),
            (200, r#"{ "ok" : false }"#, false, true),
            (200, r#"{"ok": false, "id": 3}"#, false, false),
            (200, r#"{"ok": true}"#, false, false),
            (200, r#""false""#, false, false),
            // A value at a pointer, whatever else the body holds.
            (200, r#"{"status": "denied", "id": 3}"#, false, true),
            (200, r#"{"status": "granted"}"#, false, false),
            (200, r#"{"status": ["denied"]}"#, false, false),
            // A text anywhere in the body, JSON or not.
            (200, "<p>You are not allowed here</p>", false, true),
            (200, "Not Allowed", false, false),
            // A client error the statuses do not list, with a refusal body.
            (422, r#"{"ok": false}"#, false, true),
            (422, r#"{"error": "bad date"}"#, false, false),
            // Never a body cut at the size limit, a redirect or a server error.
            (200, "false", true, false),
            (200, "not allowed", true, false),
            (302, "not allowed", false, false),
            (500, r#"{"ok": false}"#, false, false),
            // The statuses still refuse whatever the body.
            (403, "anything", false, true),
        ];
        for (status, body, truncated, expected) in table {
            assert_eq!(
                refusals.is_refusal(&answer(status, body, truncated)),
                expected,
                "{status} {body:?} cut: {truncated}"
            );
        }
        // Without declared bodies, none of these successes is a refusal.
        let plain = Refusals {
            statuses: [403].into(),
            ..Refusals::default()
        };
        assert!(!plain.is_refusal(&answer(200, "false", false)));
        assert!(!plain.is_refusal(&answer(200, r#"{"ok": false}"#, false)));
    }

    #[test]
    fn a_soft_deleted_record_is_a_whole_success_holding_the_field() {
        let soft = SoftDelete {
            field: field("/active", json!(false)),
        };
        // (status, body, cut) -> shows the record deleted
        let table = [
            (200, r#"{"id": 1, "active": false}"#, false, true),
            (200, r#"{"id": 1, "active": true}"#, false, false),
            (200, r#"{"id": 1}"#, false, false),
            (200, r#"{"id": 1, "active": "false"}"#, false, false),
            (200, r#"{"id": 1, "active": false"#, true, false),
            (404, r#"{"active": false}"#, false, false),
            (200, "active: false", false, false),
        ];
        for (status, body, truncated, expected) in table {
            assert_eq!(
                soft.shows_deleted(&answer(status, body, truncated)),
                expected,
                "{status} {body:?}"
            );
        }
    }
}
