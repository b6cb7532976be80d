//! The profile as a whole: its header, health check, roles, policy and maps, then each section (written by
//! its own module), then the operations left undescribed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::table::{key, quote};
use super::{Audiences, Builder};
use crate::openapi::{Operation, vocab};

impl Builder<'_> {
    /// The whole profile: its header, then each section in the order a reader completes them.
    pub(super) fn write(&mut self, openapi: Option<&str>) -> String {
        let audiences = self.audiences();
        let mut out = String::new();
        self.health(&mut out);
        let provisioning = self.provisioning(&audiences);
        let auth = self.auth(&audiences);
        let resources = self.resources(&audiences);
        let transitions = self.transitions(&audiences);
        let functions = self.functions(&audiences);
        self.roles(&mut out);
        self.policy(&mut out);
        self.maps(&mut out);
        out.push_str(&provisioning);
        out.push_str(&auth);
        out.push_str(&resources);
        out.push_str(&transitions);
        out.push_str(&functions);
        self.exclusions(&mut out);
        self.leftovers(&mut out, &audiences);
        let mut head = self.header();
        head.push_str("format = 2\n");
        let _ = writeln!(head, "name = {}", quote(self.title()));
        if let Some(field) = openapi {
            let _ = writeln!(
                head,
                "# The document, so that `cloison run` also calls the operations this profile does not describe.\nopenapi = {}",
                quote(field)
            );
        }
        head.push('\n');
        head + &out
    }

    fn title(&self) -> &str {
        if self.doc.title.is_empty() {
            "platform"
        } else {
            self.doc.title.as_str()
        }
    }

    /// The header: where the profile comes from, the next steps, and what was inferred from what.
    fn header(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Starting profile written by `cloison init` from {} ({} operations, {} described here).\n\
             # It loads as written: every guess is a safe default marked TODO (who may see what, the roles, the\n\
             # secrets). Next: cloison profile check THIS_FILE; cloison run --dry-run --profile THIS_FILE;\n\
             # then cloison run --target url:BASE_URL --profile THIS_FILE. Format: docs/profile-format.md.\n\
             #\n# Inferred from the document:",
            self.doc.source,
            self.doc.operations.len(),
            self.mapped.len()
        );
        for (noun, kind) in &self.nouns {
            let _ = writeln!(
                out,
                "#   the document's `{noun}` records hold cloison's {}s (its paths' own noun: a collection created and read by identifier)",
                kind.name()
            );
        }
        let mut sections: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (what, op) in &self.mapped {
            let section = what.split('.').next().unwrap_or(what);
            sections.entry(section).or_default().push(op);
        }
        for (section, ops) in &sections {
            let shown: Vec<&str> = ops.iter().take(4).copied().collect();
            let more = if ops.len() > 4 {
                format!(" and {} more", ops.len() - 4)
            } else {
                String::new()
            };
            let _ = writeln!(out, "#   [{section}] from {}{more}", shown.join(", "));
        }
        if !self.excluded.is_empty() {
            let _ = writeln!(
                out,
                "#   {} operations excluded as dangerous (listed in [probing] exclude)",
                self.excluded.len()
            );
        }
        out.push('\n');
        out
    }

    /// `[probing] exclude`: the dangerous operations, never called.
    fn exclusions(&self, out: &mut String) {
        if self.excluded.is_empty() {
            return;
        }
        out.push_str("# Never called: operations that reset, seed, migrate, wipe or bulk-delete data.\n[probing]\nexclude = [\n");
        for (name, why) in &self.excluded {
            let _ = writeln!(out, "  {},  # {why}", quote(name));
        }
        out.push_str("]\n\n");
    }

    fn health(&mut self, out: &mut String) {
        let found = self.ops().find(|(_, op)| {
            op.method == "GET"
                && !op.secured()
                && op.parameters.iter().all(|p| !p.required)
                && op
                    .segments()
                    .last()
                    .is_some_and(|s| vocab::words(s).iter().any(|w| vocab::health_word(w)))
        });
        match found {
            Some((i, op)) => {
                self.take(i, "health");
                let _ = writeln!(out, "[health]\npath = {}\n", quote(&op.path));
            }
            None => out.push_str("# No health check found in the document: add [health] with a `path` if the platform has one.\n\n"),
        }
    }

    fn roles(&mut self, out: &mut String) {
        out.push_str("# cloison's roles -> the platform's role names ({{identity.role}}).");
        if self.role_values.is_empty() {
            out.push_str(" TODO: the document names no role values.\n");
        } else {
            let _ = writeln!(out, " Guessed from: {}.", self.role_values.join(", "));
        }
        out.push_str("[roles]\n");
        for role in ["applicant", "representative", "agent", "tenant_admin"] {
            let found = vocab::role_synonyms(role)
                .iter()
                .find_map(|s| {
                    vocab::fuzzy(s, &self.role_values)
                        .filter(|v| vocab::words(v).iter().any(|w| w == s))
                })
                .or_else(|| vocab::fuzzy(role, &self.role_values));
            match found {
                Some(value) => {
                    let _ = writeln!(out, "{role} = {}", quote(value));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{role} = {}  # TODO: the platform's name of this role",
                        quote(role)
                    );
                }
            }
        }
        out.push('\n');
    }

    fn policy(&mut self, out: &mut String) {
        if self.registered {
            out.push_str(
                "# TODO: who may see what, in cloison's vocabulary (own, represented, assigned, tenant, nothing).\n\
                 # Identities sign themselves up: each is a plain user, staff included, so the safe default is that\n\
                 # each sees what it filed (a representative, what it filed for the person it represents). Widen a\n\
                 # role only where the platform grants it more: a policy wider than the platform's hides its leaks.\n\
                 [policy]\n\
                 applicant = [\"own\"]\n\
                 representative = [\"own\", \"represented\"]\n\
                 agent = [\"nothing\"]\n\
                 tenant_admin = [\"nothing\"]\n\n",
            );
            return;
        }
        out.push_str(
            "# TODO: who may see what, in cloison's vocabulary (own, represented, assigned, tenant, nothing).\n\
             # A document does not say it: these are common defaults. A policy wider than the platform's hides\n\
             # its leaks, a narrower one reports allowed reads as leaks.\n\
             [policy]\n\
             applicant = [\"own\"]\n\
             representative = [\"own\", \"represented\"]\n\
             agent = [\"tenant\"]\n\
             tenant_admin = [\"tenant\"]\n\n",
        );
    }

    /// The `[maps.NAME]` tables: cloison's values as the platform's enums spell them.
    fn maps(&self, out: &mut String) {
        for map in &self.maps {
            let _ = writeln!(
                out,
                "# cloison's values of {} as the platform spells them (guessed: check them).",
                map.name.replace('_', ".")
            );
            let _ = writeln!(out, "[maps.{}]", map.name);
            for (generated, value, todo) in &map.entries {
                let comment = if *todo {
                    "  # TODO: no close match"
                } else {
                    ""
                };
                let _ = writeln!(out, "{} = {}{comment}", key(generated), quote(value));
            }
            out.push('\n');
        }
    }

    fn leftovers(&self, out: &mut String, audiences: &Audiences) {
        let rest: Vec<&Operation> = self
            .ops()
            .filter(|(i, _)| !self.used.contains(i))
            .map(|(_, op)| op)
            .collect();
        if rest.is_empty() {
            return;
        }
        out.push_str(
            "# Not described above (with `openapi` set, `cloison run` still calls each without credentials, and\n\
             # scans the reads among them as every role). Describe any that matters, for example as a function\n\
             # with the roles granted to call it:\n",
        );
        for op in rest {
            let why = if self.operator_only(op, audiences) {
                " (operator only)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "#   {} {}{why}{}",
                op.method,
                op.path,
                if op.summary.is_empty() {
                    String::new()
                } else {
                    format!(": {}", op.summary)
                }
            );
        }
    }
}
