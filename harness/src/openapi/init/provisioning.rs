//! `[accounts]` and `[provisioning]`: the operations only the operator's scheme opens, read as the calls
//! that create tenants, accounts and representations; without one that creates accounts, accounts must
//! already exist.

use std::fmt::Write as _;

use cloison_suites::RecordKind;
use serde_json::Value;

use super::resources::{Shape, shape};
use super::table::{Item, Table, quote, write_table};
use super::{Audiences, Builder, path_words};
use crate::openapi::vocab::{self, Context};
use crate::openapi::{Operation, Scheme, is_param};

/// The profile's accounts when no operation creates them and no sign-up is open: two placeholder accounts
/// that load, to be replaced (their passwords in the secrets file).
const EXISTING_ACCOUNTS: &str = "# No operation creates accounts with an operator credential and no sign-up is open: accounts must\n\
                 # already exist. TODO: one entry per account cloison may use (cloison role, login, password from the\n\
                 # secrets file); these two load as written and log in once their logins and secrets are the platform's.\n\
                 [accounts]\n\
                 source = \"existing\"\n\n\
                 [[accounts.existing]]\n\
                 role = \"applicant\"\n\
                 login = \"first-user@example.test\"  # TODO: an account of the platform\n\
                 password = \"{{secrets.first_user_password}}\"\n\n\
                 [[accounts.existing]]\n\
                 role = \"applicant\"\n\
                 login = \"second-user@example.test\"  # TODO: another account of the platform\n\
                 password = \"{{secrets.second_user_password}}\"\n\n\
                 # TODO: tenants, if the platform has them (see docs/profile-format.md, Tenants).\n\
                 [tenants]\n\
                 mode = \"none\"\n\n";

/// The operator's operations recognised, by index in the document.
struct Calls {
    /// Creates an account (a POST whose body has a password).
    identity: usize,
    /// Creates a tenant.
    tenant: Option<usize>,
    /// Creates a representation.
    representation: Option<usize>,
    /// Ends a representation.
    ending: Option<usize>,
}

impl Builder<'_> {
    /// `[accounts]` and, when the operator creates accounts, `[provisioning]` with its calls.
    pub(super) fn provisioning(&mut self, audiences: &Audiences) -> String {
        let Some(calls) = self.operator_calls(audiences) else {
            return match self.signup() {
                Some(i) => self.register(i),
                None => EXISTING_ACCOUNTS.to_string(),
            };
        };
        // Holder accounts: a case file that names its person's account needs one per person.
        let mut out = String::from("[accounts]\nsource = \"provision\"\n");
        if self.holders() {
            out.push_str("# Case files name their person's account: every person gets one (children, adults under guardianship).\nholders = true\n");
        }
        out.push('\n');
        self.operator_credential(&mut out, audiences);
        self.tenant_table(&mut out, calls.tenant);
        out.push('\n');
        self.take(calls.identity, "provisioning.identity");
        let op = &self.doc.operations[calls.identity];
        let mut t = self.endpoint(op, Context::Identity);
        self.extract_id(&mut t, op);
        write_table(&mut out, "provisioning.identity", &t);
        out.push('\n');
        if let Some(i) = calls.representation {
            self.take(i, "provisioning.representation");
            let op = &self.doc.operations[i];
            let mut t = self.endpoint(op, Context::Representation);
            self.extract_id(&mut t, op);
            write_table(&mut out, "provisioning.representation", &t);
            out.push('\n');
            if let Some(i) = calls.ending {
                self.take(i, "provisioning.end_representation");
                let op = &self.doc.operations[i];
                let t = self.endpoint(op, Context::Representation);
                write_table(&mut out, "provisioning.end_representation", &t);
                out.push('\n');
            }
        }
        out
    }

    /// `[accounts.register]`: open registration, every identity signing itself up.
    fn register(&mut self, i: usize) -> String {
        self.take(i, "accounts.register");
        self.registered = true;
        let op = &self.doc.operations[i];
        let mut out = format!(
            "# Open registration ({} {}): every identity signs itself up; a record belongs to who filed it (a\n\
             # child's, to its representative). TODO: `holders = true` if the platform files records for a person's\n\
             # own account (a create naming `{{{{person.account_id}}}}`).\n\
             [accounts]\nsource = \"register\"\n\n",
            op.method, op.path
        );
        let mut t = self.endpoint(op, Context::Identity);
        self.extract_id(&mut t, op);
        write_table(&mut out, "accounts.register", &t);
        out.push_str(
            "\n# TODO: the document names no tenant: identities are not split between organisations. If the\n\
             # platform has tenants, see docs/profile-format.md (Tenants).\n[tenants]\nmode = \"none\"\n\n",
        );
        out
    }

    /// Among the operations only the operator opens, the calls of provisioning; `None` without one that
    /// creates accounts.
    fn operator_calls(&self, audiences: &Audiences) -> Option<Calls> {
        let operator_ops: Vec<usize> = self
            .ops()
            .filter(|(_, op)| self.operator_only(op, audiences))
            .map(|(i, _)| i)
            .collect();
        let find = |pred: &dyn Fn(&Operation) -> bool| {
            operator_ops
                .iter()
                .copied()
                .find(|i| pred(&self.doc.operations[*i]))
        };
        let identity = find(&|op: &Operation| {
            op.method == "POST"
                && self.body_has(op, &|n| {
                    matches!(
                        n,
                        "password" | "passwd" | "pass" | "pwd" | "secret" | "motdepasse"
                    )
                })
        })?;
        let tenant = find(&|op: &Operation| {
            op.method == "POST"
                && !op.segments().iter().any(|s| is_param(s))
                && path_words(op).last().is_some_and(|w| vocab::tenant_word(w))
        });
        let representation = find(&|op: &Operation| {
            op.method == "POST"
                && !op.segments().iter().any(|s| is_param(s))
                && path_words(op).iter().any(|w| vocab::representation_word(w))
        });
        let ending = find(&ends_representation);
        Some(Calls {
            identity,
            tenant,
            representation,
            ending,
        })
    }

    /// Whether a property of `op`'s body, squashed, passes `test`.
    fn body_has(&self, op: &Operation, test: &dyn Fn(&str) -> bool) -> bool {
        op.body.as_ref().is_some_and(|b| {
            self.doc
                .properties(&b.schema)
                .iter()
                .any(|(n, _, _)| test(&vocab::squash(n)))
        })
    }

    /// Whether case files name their person's account: a POST on the case collection with such a field.
    fn holders(&self) -> bool {
        self.doc.operations.iter().any(|op| {
            op.method == "POST"
                && op.body.as_ref().is_some_and(|b| {
                    self.doc.properties(&b.schema).iter().any(|(n, _, _)| {
                        vocab::fill(Context::Record(RecordKind::Case), &vocab::squash(n), false)
                            .is_some_and(|f| f.field == Some(("person", "account_id")))
                    })
                })
                && matches!(shape(op), Shape::Collection(RecordKind::Case))
        })
    }

    /// `[provisioning]` with the operator's credential, sent as its scheme says.
    fn operator_credential(&self, out: &mut String, audiences: &Audiences) {
        let operator = audiences.operator.as_deref().unwrap_or("");
        let (header, value) = match self.doc.schemes.get(operator) {
            Some(Scheme::HeaderKey(name)) => {
                (name.clone(), "{{secrets.operator_token}}".to_string())
            }
            Some(Scheme::Http(s)) if s == "basic" => {
                ("Authorization".to_string(), "Basic TODO".to_string())
            }
            _ => (
                "Authorization".to_string(),
                "Bearer {{secrets.operator_token}}".to_string(),
            ),
        };
        let _ = writeln!(
            out,
            "# Operations secured by `{operator}` only: the operator's credential (secrets file; embedded and\n\
             # container targets supply `operator_token`).\n\
             [provisioning]\noperator = {{ header = {}, value = {} }}\n",
            quote(&header),
            quote(&value)
        );
    }

    /// `[provisioning.tenant]`: the call found, or a TODO.
    fn tenant_table(&mut self, out: &mut String, tenant: Option<usize>) {
        match tenant {
            Some(i) => {
                self.take(i, "provisioning.tenant");
                let op = &self.doc.operations[i];
                let mut t = self.endpoint(op, Context::Tenant);
                if op.documents_status(409) {
                    t.commented(
                        "ok",
                        Item::Raw("[201, 409]".into()),
                        "409: the tenant exists already",
                    );
                }
                write_table(out, "provisioning.tenant", &t);
            }
            None => {
                out.push_str("# TODO: the call that creates a tenant.\n[provisioning.tenant]\nmethod = \"POST\"\npath = \"TODO\"\n");
            }
        }
    }

    /// `extract = { id = "/pointer" }` from the success answer's schema, or a TODO.
    pub(super) fn extract_id(&mut self, t: &mut Table, op: &Operation) {
        let pointer = op
            .success_schema()
            .and_then(|schema| self.pointer_to(schema, vocab::id_property));
        match pointer {
            Some(pointer) => t.raw("extract", format!("{{ id = {} }}", quote(&pointer))),
            None => {
                t.commented(
                    "extract",
                    Item::Raw("{ id = \"/id\" }".into()),
                    "TODO: guessed: the answer's schema names no identifier",
                );
            }
        }
    }

    /// The JSON pointer of the first property of `schema` whose name passes `test`, or else of the first
    /// such property one level down (`{"data": {"id": ...}}`).
    pub(super) fn pointer_to(&self, schema: &Value, test: fn(&str) -> bool) -> Option<String> {
        let props = self.doc.properties(schema);
        if let Some((name, _, _)) = props.iter().find(|(n, _, _)| test(n)) {
            return Some(format!("/{name}"));
        }
        props.iter().find_map(|(outer, prop, _)| {
            self.doc
                .properties(prop)
                .iter()
                .find(|(n, _, _)| test(n))
                .map(|(n, _, _)| format!("/{outer}/{n}"))
        })
    }
}

/// Whether `op` ends a representation: a DELETE of one, or a write on a word that says it ends.
fn ends_representation(op: &Operation) -> bool {
    let segs = op.segments();
    let represented = path_words(op).iter().any(|w| vocab::representation_word(w));
    let last_is_param = segs.last().is_some_and(|s| is_param(s));
    represented
        && ((op.method == "DELETE" && last_is_param)
            || (!last_is_param
                && matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                && segs.len() >= 2
                && is_param(segs[segs.len() - 2])
                && segs
                    .last()
                    .is_some_and(|s| vocab::words(s).iter().any(|w| vocab::ending_word(w)))))
}
