//! `[refusals]` (and an endpoint's own): what a refusal looks like: statuses, a login redirect, an empty
//! list, and answer bodies that mean "refused" (exact JSON values, a value at a JSON pointer, a text).
//! Also the soft-delete field of a delete (`soft = { pointer, equals }`), which has the same shape.

use cloison_suites::{FieldEquals, RefusalBody, Refusals};
use serde_json::Value;

use super::Validator;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::raw::{RawFieldEquals, RawRefusals};

impl Validator<'_> {
    /// A `[refusals]` table: every mistake in it reported at once.
    pub(super) fn refusals(
        &self,
        at: &KeyPath,
        raw: &RawRefusals,
    ) -> Result<Refusals, ProfileError> {
        let mut errors = Vec::new();
        self.refusal_statuses(at, &raw.statuses, &mut errors);
        let bodies = self.refusal_bodies(at, raw, &mut errors);
        if raw.statuses.is_empty()
            && !raw.empty_list
            && raw.login_redirect.is_none()
            && bodies.is_empty()
        {
            errors.push(self.err(
                at,
                "no way to refuse: expected `statuses`, `empty_list = true`, `login_redirect`, or a refusal body (`body`, `pointer` and `equals`, `text`)",
            ));
        }
        let list_pointer = raw
            .list_pointer
            .as_deref()
            .map(|p| self.pointer(&at.key("list_pointer"), p))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        if let Some(error) = ProfileError::several(errors) {
            return Err(error);
        }
        Ok(Refusals {
            statuses: raw.statuses.iter().copied().collect(),
            empty_list: raw.empty_list,
            list_pointer,
            login_redirect: raw.login_redirect.clone(),
            bodies,
        })
    }

    fn refusal_statuses(&self, at: &KeyPath, statuses: &[u16], errors: &mut Vec<ProfileError>) {
        for (i, status) in statuses.iter().enumerate() {
            let key = at.key("statuses").index(i);
            if !(100..=599).contains(status) {
                errors.push(self.err(
                    &key,
                    format!("{status} is not an HTTP status: expected 100 to 599"),
                ));
            } else if (200..300).contains(status) {
                errors.push(self.err(
                    &key,
                    format!(
                        "{status} is a success: a 2xx refusal is declared by its body (`body`, `pointer` and `equals`, `text`) or with `empty_list = true`"
                    ),
                ));
            } else if (300..400).contains(status) {
                errors.push(self.err(
                    &key,
                    format!(
                        "{status} is a redirect: a redirect is a refusal only towards the login page, declared with `login_redirect = \"/login\"`"
                    ),
                ));
            }
        }
    }

    /// The answer bodies that mean "refused": `body = [...]`, `pointer` with `equals`, `text`.
    fn refusal_bodies(
        &self,
        at: &KeyPath,
        raw: &RawRefusals,
        errors: &mut Vec<ProfileError>,
    ) -> Vec<RefusalBody> {
        let mut bodies = Vec::new();
        if let Some(values) = &raw.body {
            if values.is_empty() {
                errors.push(self.err(&at.key("body"), "an empty list declares no refusal body: expected the JSON values a refusal answers, such as `body = [false, { ok = false }]`"));
            }
            for (i, value) in values.iter().enumerate() {
                match json_of(value) {
                    Ok(json) => bodies.push(RefusalBody::Exact(json)),
                    Err(why) => errors.push(self.err(&at.key("body").index(i), why)),
                }
            }
        }
        // TOML has no null: `null = true` stands for `equals = null` (a GraphQL `data` that holds `null`
        // for an object the caller may not see).
        let null = toml::Value::String(String::new());
        let equals = match (&raw.equals, raw.null) {
            (Some(_), true) => {
                errors.push(self.err(&at.key("null"), "`null = true` and `equals` both say what a refusal holds at `pointer`: keep one"));
                None
            }
            (None, true) => Some(&null),
            (equals, false) => equals.as_ref(),
        };
        match (&raw.pointer, equals) {
            (Some(pointer), Some(equals)) => {
                let field = self.field_equals(at, pointer, equals);
                match field {
                    Ok(mut field) => {
                        if raw.null {
                            field.equals = Value::Null;
                        }
                        bodies.push(RefusalBody::Field(field));
                    }
                    Err(error) => errors.push(error),
                }
            }
            (Some(_), None) if raw.equals.is_none() && !raw.null => errors.push(self.err(&at.key("pointer"), "`pointer` needs `equals`: the value a refusal holds there, such as `pointer = \"/status\"` and `equals = \"denied\"` (or `null = true` for a JSON null)")),
            (Some(_), None) => {}
            (None, Some(_)) if raw.null => errors.push(self.err(&at.key("null"), "`null = true` needs `pointer`: where in the answer's JSON the null is, such as `pointer = \"/data/case\"`")),
            (None, Some(_)) => errors.push(self.err(&at.key("equals"), "`equals` needs `pointer`: where in the answer's JSON the value is, such as `pointer = \"/status\"`")),
            (None, None) => {}
        }
        if let Some(text) = &raw.text {
            if text.trim().is_empty() {
                errors.push(self.err(&at.key("text"), "an empty text is in every answer: expected the words a refusal answers, such as `text = \"not allowed\"`"));
            } else {
                bodies.push(RefusalBody::Text(text.clone()));
            }
        }
        bodies
    }

    /// A pointer and the value at it, the pointer checked at `at.pointer` and the value at `at.equals`.
    fn field_equals(
        &self,
        at: &KeyPath,
        pointer: &str,
        equals: &toml::Value,
    ) -> Result<FieldEquals, ProfileError> {
        let pointer = self.pointer(&at.key("pointer"), pointer);
        let equals = json_of(equals).map_err(|why| self.err(&at.key("equals"), why));
        match (pointer, equals) {
            (Ok(pointer), Ok(equals)) => Ok(FieldEquals { pointer, equals }),
            (pointer, equals) => {
                let errors = [pointer.err(), equals.err()]
                    .into_iter()
                    .flatten()
                    .collect();
                Err(ProfileError::several(errors)
                    .unwrap_or_else(|| self.err(at, "this field could not be validated")))
            }
        }
    }

    /// A delete's `soft = { pointer = "/active", equals = false }`: the field a record deleted but kept
    /// holds.
    pub(super) fn soft_delete(
        &self,
        at: &KeyPath,
        raw: &RawFieldEquals,
    ) -> Result<cloison_suites::SoftDelete, ProfileError> {
        let field = self.field_equals(at, &raw.pointer, &raw.equals)?;
        if field.pointer.is_empty() {
            return Err(self.err(&at.key("pointer"), "`\"\"` is the whole record: a soft delete names the field that says the record is deleted, such as `pointer = \"/active\"`"));
        }
        Ok(cloison_suites::SoftDelete { field })
    }
}

/// A TOML value as the JSON value an answer would hold (a TOML date has no JSON form).
fn json_of(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or_else(|| format!("{f} has no JSON form: expected a finite number"))?,
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => {
            return Err(format!(
                "{d} is a TOML date, which JSON does not have: write it as a string, `\"{d}\"`"
            ));
        }
        toml::Value::Array(items) => {
            Value::Array(items.iter().map(json_of).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| Ok((k.clone(), json_of(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}
