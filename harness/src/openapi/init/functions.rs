//! `[transitions]` and `[functions]`: the stateful suite's writes guessed by vocabulary (a case file's
//! transfer, an account's role), and the other reads users call on case files, as functions whose granted
//! roles are a TODO.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use cloison_suites::RecordKind;

use super::table::{Item, key, write_table};
use super::{Audiences, Builder, comment, path_words};
use crate::openapi::vocab::{self, Context, ParamRole};
use crate::openapi::{Operation, is_param, param_name};

impl Builder<'_> {
    /// The stateful suite's transitions, guessed by vocabulary: a write on a case file whose last segment
    /// says it moves the file (`transfer`, `transfert`, `move`, `reassign`), and an operator's write on an
    /// account whose last segment is its role.
    pub(super) fn transitions(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        self.transfer(&mut out);
        self.change_role(&mut out, audiences);
        out
    }

    /// `[transitions.transfer]`, the destination tenant in the body's first field.
    fn transfer(&mut self, out: &mut String) {
        let transfer = self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                && matches!(
                    last_word(op).as_str(),
                    "transfer" | "transfert" | "move" | "reassign" | "mutation"
                )
                && op.segments().iter().any(|s| {
                    is_param(s)
                        && (previous_is_case(op, s)
                            || param_name(s).is_some_and(|n| {
                                matches!(
                                    vocab::param_role(n, None),
                                    Some(ParamRole::Record(RecordKind::Case))
                                )
                            }))
                })
        });
        let Some((i, _)) = transfer else {
            return;
        };
        self.take(i, "transitions.transfer");
        let op = &self.doc.operations[i];
        let mut t = self.endpoint(op, Context::Record(RecordKind::Case));
        t.entries.retain(|(k, _, _)| k != "json" && k != "form");
        if let Some(field) = self.first_body_field(op) {
            t.commented(
                "json",
                Item::Raw(format!("{{ {} = \"{{{{to.code}}}}\" }}", key(&field))),
                "TODO: the field that names the destination tenant",
            );
        }
        let _ = writeln!(
            out,
            "# The stateful suite moves case files with it, as staff of their tenant ({} {}).",
            op.method, op.path
        );
        write_table(out, "transitions.transfer", &t);
        out.push('\n');
    }

    /// `[transitions.change_role]`, the role in the body's first field.
    fn change_role(&mut self, out: &mut String, audiences: &Audiences) {
        let role = self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                && matches!(last_word(op).as_str(), "role" | "roles" | "profil")
                && self.operator_only(op, audiences)
        });
        let Some((i, _)) = role else {
            return;
        };
        self.take(i, "transitions.change_role");
        let op = &self.doc.operations[i];
        let mut t = self.endpoint(op, Context::Identity);
        t.entries.retain(|(k, _, _)| k != "json" && k != "form");
        if let Some(field) = self.first_body_field(op) {
            t.raw("json", format!("{{ {} = \"{{{{role}}}}\" }}", key(&field)));
        }
        let _ = writeln!(
            out,
            "# The stateful suite changes staff roles with it, as the operator ({} {}).",
            op.method, op.path
        );
        write_table(out, "transitions.change_role", &t);
        out.push('\n');
    }

    /// The name of the first property of `op`'s body.
    fn first_body_field(&self, op: &Operation) -> Option<String> {
        op.body
            .as_ref()
            .and_then(|b| self.doc.properties(&b.schema).into_iter().next())
            .map(|(name, _, _)| name)
    }

    /// `[functions.NAME]`: the GETs users call, not described yet, whose parameters are case files.
    pub(super) fn functions(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        let mut names = BTreeSet::new();
        let candidates: Vec<usize> = self
            .ops()
            .filter(|(i, op)| {
                !self.used.contains(i)
                    && op.method == "GET"
                    && !self.operator_only(op, audiences)
                    && (self.nouns.is_empty() || names_a_record_kind(op))
                    && op.segments().iter().filter(|s| is_param(s)).all(|s| {
                        param_name(s).is_some_and(|n| {
                            matches!(
                                vocab::param_role(n, None),
                                Some(ParamRole::Record(RecordKind::Case))
                            )
                        }) || previous_is_case(op, s)
                    })
            })
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            return out;
        }
        out.push_str(
            "# Other operations users call, as functions. TODO: keep in `granted` only the roles allowed to call\n\
             # each: every other role then calls it and must be refused (family function-level). With every role\n\
             # granted, a function is only scanned for foreign data.\n",
        );
        for i in candidates {
            let name = function_name(&self.doc.operations[i], &mut names);
            let what = format!("functions.{name}");
            self.take(i, &what);
            let op = &self.doc.operations[i];
            let mut t = self.endpoint(op, Context::Record(RecordKind::Case));
            t.commented(
                "granted",
                Item::Raw(
                    "[\"applicant\", \"representative\", \"agent\", \"tenant_admin\"]".into(),
                ),
                "TODO: the roles allowed to call it",
            );
            out.push_str(&comment(op));
            write_table(&mut out, &what, &t);
            out.push('\n');
        }
        out
    }
}

/// Whether a word of `op`'s path names a record kind: where the document's own nouns name the records, a
/// `GET` on anything else (a catalogue, the caller's profile) is no function of theirs, and answers none of
/// the caller's records.
fn names_a_record_kind(op: &Operation) -> bool {
    path_words(op).iter().any(|w| vocab::kind_word(w).is_some())
}

/// The words of the last segment of `op`'s path joined by `_`, if it is not a parameter.
fn last_word(op: &Operation) -> String {
    op.segments()
        .last()
        .filter(|s| !is_param(s))
        .map(|s| vocab::words(s).join("_"))
        .unwrap_or_default()
}

/// A function's name: its `operationId`'s words, else its path's, numbered when taken already.
fn function_name(op: &Operation, names: &mut BTreeSet<String>) -> String {
    let base = op
        .operation_id
        .as_deref()
        .map(|id| vocab::words(id).join("_"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| path_words(op).join("_"));
    let mut name = if base.is_empty() {
        "function".to_string()
    } else {
        base
    };
    let mut n = 2;
    while !names.insert(name.clone()) {
        name = format!("{name}_{n}");
        n += 1;
    }
    name
}

/// Whether the path parameter `segment` of `op` follows a segment that names case files.
fn previous_is_case(op: &Operation, segment: &str) -> bool {
    let segments = op.segments();
    let Some(at) = segments.iter().position(|s| *s == segment) else {
        return false;
    };
    at > 0
        && param_name(segment).is_some_and(|n| {
            vocab::param_role(n, Some(segments[at - 1]))
                == Some(ParamRole::Record(RecordKind::Case))
        })
}
