//! `[auth]` and `[refusals]`: how identities log in (the unsecured POST with a password, the token in its
//! answer, how the users' scheme sends it), the logout call, and what a refusal looks like.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::table::{quote, write_table};
use super::{Audiences, Builder};
use crate::openapi::vocab::{self, Context};
use crate::openapi::{Operation, Scheme, is_param};

impl<'d> Builder<'d> {
    /// `[auth]` with its login and logout calls, then `[refusals]`.
    pub(super) fn auth(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        let user_scheme = audiences
            .user
            .as_ref()
            .and_then(|u| self.doc.schemes.get(u))
            .cloned();
        let login = self.login();
        let token = login.and_then(|(_, op)| {
            let schema = op.success_schema()?;
            self.pointer_to(schema, vocab::token_property)
        });
        let scheme = match (&user_scheme, &token) {
            (Some(Scheme::Http(s)), _) if s == "basic" => "basic",
            (Some(Scheme::CookieKey(_)), None) => "cookie",
            (_, Some(_)) => "token",
            (_, None) => "cookie",
        };
        let _ = writeln!(
            out,
            "# How identities log in{}: check the login body and where the token is.",
            audiences
                .user
                .as_ref()
                .map_or_else(String::new, |u| format!(" (security scheme `{u}`)"))
        );
        let _ = writeln!(out, "[auth]\nscheme = {}", quote(scheme));
        if scheme == "token" {
            if let Some(pointer) = &token {
                let _ = writeln!(out, "token = {{ json = {} }}", quote(pointer));
            }
            if let Some((header, value)) = send(user_scheme.as_ref()) {
                let _ = writeln!(
                    out,
                    "send = {{ header = {}, value = {} }}",
                    quote(&header),
                    quote(&value)
                );
            }
        }
        out.push('\n');
        if scheme != "basic" {
            self.login_table(&mut out, login);
        }
        self.logout_table(&mut out);
        out.push_str(&self.refusals());
        out
    }

    /// The login call: an unsecured POST, not described yet, whose body has a password.
    fn login(&self) -> Option<(usize, &'d Operation)> {
        self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && op.method == "POST"
                && !op.secured()
                && op.body.as_ref().is_some_and(|b| {
                    let props = self.doc.properties(&b.schema);
                    props.iter().any(|(n, _, _)| {
                        vocab::fill(Context::Login, &vocab::squash(n), true)
                            .is_some_and(|f| f.field == Some(("identity", "password")))
                    })
                })
        })
    }

    /// `[auth.login]`: the call found, or a TODO.
    fn login_table(&mut self, out: &mut String, login: Option<(usize, &Operation)>) {
        match login {
            Some((i, op)) => {
                self.take(i, "auth.login");
                let t = self.endpoint(op, Context::Login);
                write_table(out, "auth.login", &t);
            }
            None => {
                out.push_str("# TODO: the login call (no unsecured POST with a password was found).\n[auth.login]\nmethod = \"POST\"\npath = \"TODO\"\n");
            }
        }
        out.push('\n');
    }

    /// `[auth.logout]`, when a POST or DELETE without parameters says it logs out.
    fn logout_table(&mut self, out: &mut String) {
        let logout = self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && matches!(op.method.as_str(), "POST" | "DELETE")
                && op
                    .segments()
                    .iter()
                    .flat_map(|s| vocab::words(s))
                    .any(|w| vocab::logout_word(&w))
                && !op.segments().iter().any(|s| is_param(s))
        });
        if let Some((i, op)) = logout {
            self.take(i, "auth.logout");
            let t = self.endpoint(op, Context::Login);
            write_table(out, "auth.logout", &t);
            out.push('\n');
        }
    }

    /// Refusals: what the document lists for reads of a record by its identifier.
    fn refusals(&self) -> String {
        let mut statuses: BTreeSet<u16> = BTreeSet::new();
        for op in &self.doc.operations {
            if op.method == "GET" && op.segments().iter().any(|s| is_param(s)) {
                for status in [401, 403, 404, 410] {
                    if op.documents_status(status) {
                        statuses.insert(status);
                    }
                }
            }
        }
        if statuses.is_empty() {
            statuses.extend([401, 403, 404]);
        }
        let list: Vec<String> = statuses.iter().map(u16::to_string).collect();
        format!(
            "# What a refusal looks like (from the statuses the document lists for reads by identifier).\n[refusals]\nstatuses = [{}]\n\n",
            list.join(", ")
        )
    }
}

/// How the users' scheme sends a token: a header and its value.
fn send(user_scheme: Option<&Scheme>) -> Option<(String, String)> {
    match user_scheme {
        Some(Scheme::HeaderKey(name)) => Some((name.clone(), "{{token}}".to_string())),
        Some(Scheme::Http(s)) if s == "bearer" => {
            Some(("Authorization".into(), "Bearer {{token}}".into()))
        }
        Some(Scheme::OAuth) | None => Some(("Authorization".into(), "Bearer {{token}}".into())),
        _ => None,
    }
}
