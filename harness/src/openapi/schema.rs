//! Schemas read through `$ref`, `allOf` and `oneOf`/`anyOf`: properties, types, enums, nullability.

use serde_json::Value;

use super::parse::Reader;
use super::{Document, MAX_DEPTH};

impl Document {
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
}
