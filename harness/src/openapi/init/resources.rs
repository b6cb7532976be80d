//! `[resources.NAME]`: record kinds guessed from path words (`/x`, `/x/{id}`, `/x/{id}/content`, nested
//! lists), each under the platform's own word for it, with its create, read, update, delete, list, search,
//! export and download calls; what a profile needs and the document lacks is a TODO.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cloison_suites::RecordKind;

use super::table::{Item, Table, key, quote, write_table};
use super::{Audiences, Builder, comment, path_words};
use crate::openapi::vocab::{self, Context, ParamRole};
use crate::openapi::{In, Operation, is_param, param_name};

/// The operation chosen for each kind and operation (`create`, `read`...), by index in the document.
type Chosen = BTreeMap<(RecordKind, &'static str), usize>;

/// The platform's word for a kind, where it is not the entity's name.
type Names = BTreeMap<RecordKind, String>;

/// The operations of a resource, in the order they are written.
const OPERATIONS: [&str; 8] = [
    "create", "read", "update", "delete", "list", "search", "export", "download",
];

/// What an operation can be to a kind.
enum Role {
    /// One of [`OPERATIONS`] (the first operation found keeps it).
    Operation(RecordKind, &'static str),
    /// A candidate for the kind's list.
    List(RecordKind),
}

impl Builder<'_> {
    /// Every kind's resource, then a TODO for each operation a profile needs and the document lacks.
    pub(super) fn resources(&mut self, audiences: &Audiences) -> String {
        let chosen = self.choose(audiences);
        let names = self.platform_names(&chosen);
        let mut out = String::new();
        for kind in RecordKind::ALL {
            self.resource(&mut out, kind, &chosen, &names);
        }
        let mut missing: Vec<String> = [
            (RecordKind::Case, "create"),
            (RecordKind::Case, "read"),
            (RecordKind::Document, "create"),
        ]
        .into_iter()
        .filter(|(k, o)| !chosen.contains_key(&(*k, *o)))
        .map(|(k, o)| format!("resources.{}.{o}", name_of(&names, k)))
        .collect();
        let document_read = chosen.contains_key(&(RecordKind::Document, "read"))
            || chosen.contains_key(&(RecordKind::Document, "download"));
        if !document_read {
            missing.push(format!(
                "resources.{}.download",
                name_of(&names, RecordKind::Document)
            ));
        }
        for name in &missing {
            let _ = writeln!(
                out,
                "# TODO: no operation of the document looks like {name}: describe it if the platform has one.\n"
            );
        }
        out
    }

    /// The operation of each kind and operation: the first that looks like it; a kind's list is the GET
    /// on its create's path, else its first collection.
    fn choose(&self, audiences: &Audiences) -> Chosen {
        let mut chosen = Chosen::new();
        let mut lists: BTreeMap<RecordKind, Vec<usize>> = BTreeMap::new();
        for (i, op) in self.ops() {
            if self.used.contains(&i) || self.operator_only(op, audiences) || !self.params_known(op)
            {
                continue;
            }
            match role(op, &chosen) {
                Some(Role::Operation(kind, name)) => {
                    chosen.entry((kind, name)).or_insert(i);
                }
                Some(Role::List(kind)) => lists.entry(kind).or_default().push(i),
                None => {}
            }
        }
        for (kind, candidates) in &lists {
            let create_path = chosen
                .get(&(*kind, "create"))
                .map(|i| self.doc.operations[*i].path.clone());
            let pick = candidates
                .iter()
                .find(|i| Some(&self.doc.operations[**i].path) == create_path.as_ref())
                .or_else(|| candidates.first());
            if let Some(i) = pick {
                chosen.insert((*kind, "list"), *i);
            }
        }
        chosen
    }

    /// Each kind under the platform's own word for it (`[resources.dossier]` holding case files), taken
    /// from the paths of its operations; the entity's name where the platform uses it too.
    fn platform_names(&self, chosen: &Chosen) -> Names {
        let mut names = Names::new();
        for ((kind, _), &i) in chosen {
            if names.contains_key(kind) {
                continue;
            }
            let word = path_words(&self.doc.operations[i])
                .into_iter()
                .find(|w| vocab::kind_word(w) == Some(*kind))
                .map(|w| vocab::singular(&w));
            if let Some(word) = word.filter(|w| w != kind.name()) {
                names.insert(*kind, word);
            }
        }
        names
    }

    /// The tables of one kind's resource: its entity when named otherwise, then each operation chosen.
    fn resource(&mut self, out: &mut String, kind: RecordKind, chosen: &Chosen, names: &Names) {
        if let Some(name) = names.get(&kind) {
            let _ = writeln!(
                out,
                "# The platform's {name}s hold cloison's generated {}s.\n[resources.{name}]\nentity = \"{}\"\n",
                kind.name(),
                kind.name()
            );
        }
        for op_name in OPERATIONS {
            let Some(&i) = chosen.get(&(kind, op_name)) else {
                continue;
            };
            let what = format!("resources.{}.{op_name}", name_of(names, kind));
            let op = &self.doc.operations[i];
            let Some(t) = self.operation_table(op, kind, op_name, chosen) else {
                let _ = writeln!(
                    out,
                    "# {} {} looks like {what}, but names no field to plant or search by: not described.\n",
                    op.method, op.path
                );
                continue;
            };
            self.take(i, &what);
            out.push_str(&comment(op));
            write_table(out, &what, &t);
            out.push('\n');
        }
    }

    /// The table of one operation of a resource.
    fn operation_table(
        &mut self,
        op: &Operation,
        kind: RecordKind,
        op_name: &str,
        chosen: &Chosen,
    ) -> Option<Table> {
        let mut t = match op_name {
            "update" => self.update(op, kind, chosen)?,
            "search" => self.search(op)?,
            _ => self.endpoint(op, Context::Record(kind)),
        };
        if op_name == "create" {
            let staff = matches!(kind, RecordKind::Note | RecordKind::Decision)
                && !self.nouns.values().any(|k| *k == kind);
            let who = if staff { "agent" } else { "owner" };
            t.entries.insert(
                0,
                ("as".into(), Item::Str(who.into()), Some("TODO: `owner` (the record's person or representative) or `agent` (staff of its tenant)".into())),
            );
            self.extract_id(&mut t, op);
        }
        if !matches!(op_name, "create" | "update" | "search")
            && t.entries.iter().any(|(k, _, _)| k == "json")
        {
            t.entries.retain(|(k, _, _)| k != "json");
        }
        Some(t)
    }

    /// An update: a PATCH plants the marker in one text field the read shows, a PUT sends the create's
    /// body with the marker in it.
    fn update(&mut self, op: &Operation, kind: RecordKind, chosen: &Chosen) -> Option<Table> {
        let mut t = self.endpoint(op, Context::Record(kind));
        let body_props: Vec<String> = op
            .body
            .as_ref()
            .map(|b| {
                self.doc
                    .properties(&b.schema)
                    .into_iter()
                    .filter(|(_, p, _)| {
                        self.doc.type_of(p) == Some("string") && self.doc.enum_values(p).is_empty()
                    })
                    .map(|(n, _, _)| n)
                    .collect()
            })
            .unwrap_or_default();
        let read_props: Vec<String> = chosen
            .get(&(kind, "read"))
            .and_then(|i| self.doc.operations[*i].success_schema())
            .map(|s| {
                self.doc
                    .properties(s)
                    .into_iter()
                    .map(|(n, _, _)| n)
                    .collect()
            })
            .unwrap_or_default();
        let marker = body_props
            .iter()
            .filter(|n| read_props.is_empty() || read_props.contains(n))
            .filter_map(|n| vocab::marker_rank(n).map(|r| (r, n)))
            .min()
            .map(|(_, n)| n.clone());
        t.entries.retain(|(k, _, _)| k != "json");
        match marker {
            Some(field) if op.method == "PATCH" => {
                t.raw(
                    "json",
                    format!("{{ {} = \"{{{{probe.marker}}}}\" }}", key(&field)),
                );
                t.str("marker", format!("/{field}"));
            }
            Some(field) => {
                // A PUT replaces the record: the create's body, with the marker in one text field.
                if let Some(body) = &op.body {
                    let (mut json, _) = self.object(&body.schema, Context::Record(kind), 0);
                    json.entries.retain(|(k, _, _)| k != &field);
                    json.str(&field, "{{probe.marker}}");
                    t.entries.push(("json".into(), Item::Table(json), None));
                }
                t.str("marker", format!("/{field}"));
            }
            None => return None,
        }
        Some(t)
    }

    /// A search by the most identifying query parameter, filled with the victim's values.
    fn search(&mut self, op: &Operation) -> Option<Table> {
        let mut t = self.endpoint(op, Context::Record(RecordKind::Case));
        let mut params: Vec<(u8, &str, &'static str)> = op
            .params(In::Query)
            .filter_map(|p| {
                vocab::search_fill(&p.name).map(|(rank, value)| (rank, p.name.as_str(), value))
            })
            .collect();
        params.sort_by_key(|p| std::cmp::Reverse(p.0));
        t.entries.retain(|(k, _, _)| k != "query");
        match params.first() {
            Some((_, name, value)) => {
                let others: Vec<&str> = params[1..].iter().map(|(_, n, _)| *n).collect();
                let comment = if others.is_empty() {
                    "filled with the victim's values by the search family".to_string()
                } else {
                    format!(
                        "the most identifying parameter; also offered: {}",
                        others.join(", ")
                    )
                };
                t.commented(
                    "query",
                    Item::Raw(format!("{{ {} = {} }}", key(name), quote(value))),
                    comment,
                );
            }
            None => return None,
        }
        Some(t)
    }
}

/// The platform's word for `kind`, else the entity's name.
fn name_of(names: &Names, kind: RecordKind) -> String {
    names
        .get(&kind)
        .cloned()
        .unwrap_or_else(|| kind.name().to_string())
}

/// What `op` can be to a kind, by its method, its path's shape and words, and what it answers.
fn role(op: &Operation, chosen: &Chosen) -> Option<Role> {
    let words = path_words(op);
    let spreadsheet = op.segments().last().is_some_and(|s| {
        [".csv", ".xlsx", ".ods", ".xls"]
            .iter()
            .any(|ext| s.ends_with(ext))
    });
    let exported = op.method == "GET"
        && !op.segments().iter().any(|s| is_param(s))
        && (spreadsheet || !op.answers_json() || words.iter().any(|w| vocab::export_word(w)));
    if exported {
        return Some(Role::Operation(kind_of(&words), "export"));
    }
    let slot = match (shape(op), op.method.as_str()) {
        (Shape::Collection(kind), "POST") => Some((kind, "create")),
        (Shape::Collection(kind), "GET") => return Some(Role::List(kind)),
        (Shape::Record(kind), "GET") if op.answers_json() => Some((kind, "read")),
        (Shape::Record(kind), "GET") => Some((kind, "download")),
        (Shape::Record(kind), "PATCH") => Some((kind, "update")),
        (Shape::Record(kind), "PUT") if !chosen.contains_key(&(kind, "update")) => {
            Some((kind, "update"))
        }
        (Shape::Record(kind), "DELETE") => Some((kind, "delete")),
        (Shape::Sub(kind, last), "GET") if vocab::download_word(&last) || !op.answers_json() => {
            Some((kind, "download"))
        }
        (Shape::None, "GET") if !op.segments().iter().any(|s| is_param(s)) => {
            let by_person = op
                .params(In::Query)
                .filter_map(|p| vocab::search_fill(&p.name))
                .any(|(rank, _)| rank >= 2);
            (words.iter().any(|w| vocab::search_word(w)) || by_person)
                .then_some((kind_of(&words), "search"))
        }
        _ => None,
    };
    slot.map(|(kind, name)| Role::Operation(kind, name))
}

/// The kind the last word of a path names, else case files.
fn kind_of(words: &[String]) -> RecordKind {
    words
        .iter()
        .rev()
        .find_map(|w| vocab::kind_word(w))
        .unwrap_or(RecordKind::Case)
}

/// What a path looks like in terms of record kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Shape {
    /// `.../xs` (possibly under a parent record): the collection of a kind.
    Collection(RecordKind),
    /// `.../xs/{id}`: one record.
    Record(RecordKind),
    /// `.../xs/{id}/word`: something of one record (its content, an action).
    Sub(RecordKind, String),
    /// Nothing recognised.
    None,
}

/// What `op`'s path looks like.
pub(super) fn shape(op: &Operation) -> Shape {
    let segments = op.segments();
    let n = segments.len();
    let Some(last) = segments.last() else {
        return Shape::None;
    };
    if is_param(last) {
        let previous = (n >= 2).then(|| segments[n - 2]);
        return match param_name(last).and_then(|name| vocab::param_role(name, previous)) {
            Some(ParamRole::Record(kind)) => Shape::Record(kind),
            _ => Shape::None,
        };
    }
    if let Some(kind) = vocab::words(last)
        .iter()
        .rev()
        .find_map(|w| vocab::kind_word(w))
    {
        return Shape::Collection(kind);
    }
    if n >= 3 && is_param(segments[n - 2]) {
        let role = param_name(segments[n - 2])
            .and_then(|name| vocab::param_role(name, Some(segments[n - 3])));
        if let Some(ParamRole::Record(kind)) = role {
            return Shape::Sub(kind, vocab::words(last).join("_"));
        }
    }
    Shape::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::Operation;

    fn op(method: &str, path: &str) -> Operation {
        Operation::bare(method, path)
    }

    #[test]
    fn paths_are_read_as_collections_records_and_their_parts() {
        assert_eq!(
            shape(&op("GET", "/api/dossiers")),
            Shape::Collection(RecordKind::Case)
        );
        assert_eq!(
            shape(&op("GET", "/api/dossiers/{id}/pieces")),
            Shape::Collection(RecordKind::Document)
        );
        assert_eq!(
            shape(&op("GET", "/api/pieces/{pieceId}")),
            Shape::Record(RecordKind::Document)
        );
        assert_eq!(
            shape(&op("GET", "/api/pieces/{id}/download")),
            Shape::Sub(RecordKind::Document, "download".into())
        );
        assert_eq!(shape(&op("GET", "/api/widgets/{id}")), Shape::None);
    }
}
