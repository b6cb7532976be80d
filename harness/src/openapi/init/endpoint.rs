//! An operation as an endpoint table: the path as a template of the values it names, required query
//! parameters, and a body whose properties are filled with generated values where their names match.

use cloison_generators::schema::{Entity, Ty};
use cloison_suites::RecordKind;
use serde_json::Value;

use super::table::{Item, Table, quote};
use super::{Builder, ValueMap};
use crate::openapi::vocab::{self, Context, ParamRole};
use crate::openapi::{In, Operation, is_param};

impl Builder<'_> {
    /// The path as a template: each parameter becomes the value it names in `context`, or a `{{TODO...}}`
    /// placeholder that stops the profile from loading until it is filled.
    fn path(&mut self, op: &Operation, context: Context) -> String {
        let segments = op.segments();
        let mut out = String::new();
        let mut previous: Option<&str> = None;
        for segment in segments {
            out.push('/');
            if !is_param(segment) {
                out.push_str(segment);
                previous = Some(segment);
                continue;
            }
            let mut rest = segment;
            while let Some(start) = rest.find('{') {
                out.push_str(&rest[..start]);
                let Some(end) = rest[start..].find('}') else {
                    break;
                };
                let name = &rest[start + 1..start + end];
                out.push_str(&self.placeholder(name, previous, context));
                rest = &rest[start + end + 1..];
            }
            out.push_str(rest);
        }
        // Paths are kept exactly: a framework that routes `/files/` answers `/files` with a redirect.
        if out.is_empty() || (op.path.ends_with('/') && !out.ends_with('/')) {
            out.push('/');
        }
        out
    }

    /// Whether every path parameter of `op` names a value cloison has in a record's context (a record, an
    /// account, a tenant): an operation with another parameter is not described (it would not load).
    pub(super) fn params_known(&self, op: &Operation) -> bool {
        let mut previous: Option<&str> = None;
        for segment in op.segments() {
            if !is_param(segment) {
                previous = Some(segment);
                continue;
            }
            let known = crate::openapi::param_name(segment).is_some_and(|name| {
                matches!(
                    vocab::param_role(name, previous),
                    Some(ParamRole::Record(_) | ParamRole::Tenant | ParamRole::Account)
                )
            });
            if !known {
                return false;
            }
        }
        true
    }

    /// The template of the path parameter `name` (after the segment `previous`) in `context`.
    fn placeholder(&mut self, name: &str, previous: Option<&str>, context: Context) -> String {
        match (vocab::param_role(name, previous), context) {
            (Some(ParamRole::Record(kind)), Context::Record(_)) => {
                format!("{{{{{}.id}}}}", kind.name())
            }
            (Some(ParamRole::Tenant), _) => "{{tenant.code}}".into(),
            (Some(ParamRole::Account), Context::Record(_)) => "{{person.account_id}}".into(),
            (Some(ParamRole::Account), Context::Identity) => "{{identity.id}}".into(),
            (Some(ParamRole::Representation), Context::Representation) => {
                "{{representation.id}}".into()
            }
            _ => {
                format!("{{{{TODO.{}}}}}", vocab::words(name).join("_"))
            }
        }
    }

    /// An endpoint table: method, path, required query parameters, body.
    pub(super) fn endpoint(&mut self, op: &Operation, context: Context) -> Table {
        let mut t = Table::default();
        if op.method != "GET" {
            t.str("method", op.method.clone());
        }
        t.str("path", self.path(op, context));
        let required: Vec<String> = op
            .params(In::Query)
            .filter(|p| p.required)
            .map(|p| p.name.clone())
            .collect();
        if !required.is_empty() {
            let mut query = Table::default();
            for name in required {
                let todo = "TODO";
                query.commented(
                    &name,
                    Item::Str(todo.into()),
                    "TODO: a value for this required parameter",
                );
            }
            t.entries.push(("query".into(), Item::Table(query), None));
        }
        if let Some(body) = &op.body {
            self.body(&mut t, &body.media, &body.schema, context);
        }
        t
    }

    /// The body of `t` for its media type: multipart parts, a form, or a JSON object.
    fn body(&mut self, t: &mut Table, media: &str, schema: &Value, context: Context) {
        if media.contains("multipart") {
            let mut parts = Vec::new();
            for (name, prop, required) in self.doc.properties(schema) {
                let binary = prop
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f == "binary" || f == "byte")
                    || self.doc.type_of(prop).is_none() && vocab::squash(&name) == "file";
                if binary && context == Context::Record(RecordKind::Document) {
                    parts.push(format!(
                        "  {{ name = {}, file = \"document\", filename = \"{{{{document.file_name}}}}\", content_type = \"{{{{document.content_type}}}}\" }},",
                        quote(&name)
                    ));
                } else if let Some(fill) = vocab::fill(context, &vocab::squash(&name), required) {
                    let value = self.with_map(&fill, prop);
                    parts.push(format!(
                        "  {{ name = {}, value = {} }},",
                        quote(&name),
                        quote(&value)
                    ));
                } else if required {
                    let todo = "TODO";
                    parts.push(format!(
                        "  {{ name = {}, value = \"{todo}\" }},  # TODO: a value for this part",
                        quote(&name)
                    ));
                }
            }
            t.raw("multipart", format!("[\n{}\n]", parts.join("\n")));
        } else if media.contains("x-www-form-urlencoded") {
            let mut form = Table::default();
            for (name, prop, required) in self.doc.properties(schema) {
                match vocab::fill(context, &vocab::squash(&name), required) {
                    Some(fill) => {
                        let value = self.with_map(&fill, prop);
                        form.str(&name, value);
                    }
                    None if required => {
                        let todo = "TODO";
                        form.commented(
                            &name,
                            Item::Str(todo.into()),
                            "TODO: no generated value matches this field",
                        );
                    }
                    None => {}
                }
            }
            t.entries.push(("form".into(), Item::Table(form), None));
        } else {
            match self.doc.type_of(schema) {
                Some("object") | None => {
                    let (json, skipped) = self.object(schema, context, 0);
                    let comment = (!skipped.is_empty())
                        .then(|| format!("not filled (optional): {}", skipped.join(", ")));
                    t.entries.push(("json".into(), Item::Table(json), comment));
                }
                Some(other) => {
                    let todo = "TODO";
                    t.commented(
                        "json",
                        Item::Str(todo.into()),
                        format!("TODO: the body is a JSON {other}"),
                    );
                }
            }
        }
    }

    /// A JSON object body: known properties filled, required unknown ones marked, optional ones listed.
    pub(super) fn object(
        &mut self,
        schema: &Value,
        context: Context,
        depth: usize,
    ) -> (Table, Vec<String>) {
        let mut t = Table::default();
        let mut skipped = Vec::new();
        let mut carried = false;
        for (name, prop, required) in self.doc.properties(schema) {
            if prop.get("readOnly") == Some(&Value::Bool(true)) {
                continue;
            }
            let squashed = vocab::squash(&name);
            let ty = self.doc.type_of(prop);
            let fill = vocab::fill(context, &squashed, required).filter(|f| match ty {
                Some("array") => f.list,
                Some("object") => false,
                Some("integer" | "number" | "boolean") => false,
                _ => !f.list,
            });
            if let Some(fill) = fill {
                let value = self.with_map(&fill, prop);
                t.str(&name, value);
                continue;
            }
            if ty == Some("object") && depth < 6 {
                let (sub, sub_skipped) = self.object(prop, context, depth + 1);
                skipped.extend(sub_skipped.into_iter().map(|s| format!("{name}.{s}")));
                if !sub.entries.is_empty() || required {
                    t.entries.push((name, Item::Table(sub), None));
                }
                continue;
            }
            if let Some(text) = carrier(context)
                .filter(|_| !carried && depth == 0 && self.free_text(&name, prop, ty))
            {
                // The generated values the oracle recognises, in the record's first free text.
                t.commented(
                    &name,
                    Item::Str(text.into()),
                    "the generated values a leak shows",
                );
                carried = true;
                continue;
            }
            if !required {
                skipped.push(name);
                continue;
            }
            let values = self.doc.enum_values(prop);
            if let Some(first) = values.first() {
                t.commented(
                    &name,
                    Item::Str(first.clone()),
                    format!("TODO: one of {}", values.join(", ")),
                );
                continue;
            }
            let (item, what) = match ty {
                Some("integer" | "number") => (Item::Raw("0".into()), "a number"),
                Some("boolean") => (Item::Raw("false".into()), "a boolean"),
                Some("array") => (Item::Raw("[]".into()), "a list"),
                _ => (Item::Str("TODO".into()), "a text"),
            };
            t.commented(
                &name,
                item,
                format!("TODO: {what}; no generated value matches `{name}`"),
            );
        }
        (t, skipped)
    }

    /// Whether a property is free text: a string of no enum and no format, not an identifier.
    fn free_text(&self, name: &str, prop: &Value, ty: Option<&str>) -> bool {
        let squashed = vocab::squash(name);
        matches!(ty, Some("string") | None)
            && self.doc.enum_values(prop).is_empty()
            && prop.get("format").is_none()
            && prop.get("pattern").is_none()
            && !vocab::id_property(name)
            && !squashed.ends_with("id")
            && !squashed.ends_with("url")
    }

    /// The fill's template, through a `[maps.NAME]` table when the platform's enum spells cloison's values
    /// differently.
    fn with_map(&mut self, fill: &vocab::Fill, prop: &Value) -> String {
        let Some((root, field)) = fill.field else {
            return fill.template.clone();
        };
        if (root, field) == ("identity", "role") {
            self.role_values = self.doc.enum_values(prop);
            return fill.template.clone();
        }
        let options = if fill.list {
            self.doc
                .items(prop)
                .map(|i| self.doc.enum_values(i))
                .unwrap_or_default()
        } else {
            self.doc.enum_values(prop)
        };
        if options.is_empty() {
            return fill.template.clone();
        }
        let generated = generated_values(root, field);
        if generated.is_empty() || generated.iter().all(|g| options.iter().any(|o| o == g)) {
            return fill.template.clone();
        }
        let name = format!("{root}_{field}");
        if !self.maps.iter().any(|m| m.name == name) {
            let entries = generated
                .iter()
                .map(|g| match vocab::fuzzy(g, &options) {
                    Some(o) => (g.to_string(), o.clone(), false),
                    None => (g.to_string(), options[0].clone(), true),
                })
                .collect();
            self.maps.push(ValueMap {
                name: name.clone(),
                entries,
            });
        }
        if fill.list {
            // A list cannot go through a map: the platform must accept cloison's values.
            return fill.template.clone();
        }
        fill.template.replacen("}}", &format!(" | {name}}}}}"), 1)
    }
}

/// The text that carries a record's generated values, in the first free-text field of its create.
fn carrier(context: Context) -> Option<&'static str> {
    match context {
        Context::Record(RecordKind::Case) => Some(
            "{{person.first_name}} {{person.surname}}, NIR {{person.nir}}, {{case.case_number}}",
        ),
        Context::Record(RecordKind::Document) => Some("{{document.reference}}"),
        Context::Record(RecordKind::Note) => Some("{{note.text}}"),
        Context::Record(RecordKind::Decision) => Some("{{decision.text}}"),
        _ => None,
    }
}

/// The values cloison generates for a field, when they are an enum (`representation.kind`, `person.sex`).
fn generated_values(root: &str, field: &str) -> Vec<&'static str> {
    let (entity, field) = match (root, field) {
        ("person", f) => (Entity::Persons, f),
        ("case", "requested_rights") => (Entity::Requests, "right"),
        ("case", f) => (Entity::CaseFiles, f),
        ("document", f) => (Entity::Documents, f),
        ("note", f) => (Entity::Notes, f),
        ("decision", f) => (Entity::Decisions, f),
        ("representation", f) => (Entity::Representations, f),
        ("tenant", f) => (Entity::Tenants, f),
        _ => return Vec::new(),
    };
    entity
        .fields()
        .into_iter()
        .find(|f| f.name == field)
        .and_then(|f| match f.ty {
            Ty::Enum(values) => Some(values),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_enums_are_known() {
        assert_eq!(generated_values("person", "sex"), ["M", "F"]);
        assert!(generated_values("representation", "kind").contains(&"tuteur"));
        assert!(generated_values("person", "surname").is_empty());
    }
}
