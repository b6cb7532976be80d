//! `[auth]` and `[refusals]`: how identities log in (the unsecured POST with a password, the token in its
//! answer, how the users' scheme sends it), the logout call, and what a refusal looks like.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::table::{quote, write_table};
use super::{Audiences, Builder, path_words};
use crate::openapi::vocab::{self, Context};
use crate::openapi::{Operation, Scheme, is_param};

impl<'d> Builder<'d> {
    /// `[auth]` with its login and logout calls, then `[refusals]`.
    pub(super) fn auth(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        let user = audiences.user.clone().unwrap_or_default();
        let user_scheme = self.doc.schemes.get(&user).cloned();
        let token_url = self.doc.password_token_url(&user);
        let login = self.login(token_url.as_deref());
        let token = login
            .and_then(|(_, op)| {
                let schema = op.success_schema()?;
                self.pointer_to(schema, vocab::token_property)
            })
            .or_else(|| token_url.as_ref().map(|_| "/access_token".to_string()));
        let scheme = match (&user_scheme, &token) {
            (Some(Scheme::Http(s)), _) if s == "basic" => "basic",
            (Some(Scheme::CookieKey(_)), None) => "cookie",
            (Some(Scheme::Http(_) | Scheme::HeaderKey(_) | Scheme::OAuth), _) | (_, Some(_)) => {
                "token"
            }
            (_, None) => "cookie",
        };
        let from = match (&user_scheme, &token_url) {
            (_, Some(url)) => format!("the OAuth2 password flow of `{user}` (tokenUrl {url})"),
            (Some(s), None) => format!("the security scheme `{user}` ({})", scheme_name(s)),
            (None, None) => "the login call (the document declares no security scheme)".into(),
        };
        let _ = writeln!(out, "# How identities log in, from {from}.");
        let _ = writeln!(out, "[auth]\nscheme = {}", quote(scheme));
        if scheme == "token" {
            let pointer = token.clone().unwrap_or_else(|| "/token".into());
            let comment = if token.is_some() {
                ""
            } else {
                "  # TODO: where the login answer holds the token (guessed)"
            };
            let _ = writeln!(out, "token = {{ json = {} }}{comment}", quote(&pointer));
            let (header, value) = self.send(&user, user_scheme.as_ref());
            let _ = writeln!(
                out,
                "send = {{ header = {}, value = {} }}",
                quote(&header),
                quote(&value)
            );
        }
        out.push('\n');
        if scheme != "basic" {
            self.login_table(&mut out, login, token_url.as_deref());
        }
        self.logout_table(&mut out);
        out.push_str(&self.refusals());
        out
    }

    /// The login call: the OAuth2 password flow's `tokenUrl` when the document lists it, else an unsecured
    /// POST whose body has a password, one whose path says it logs in first (a sign-up has a password too).
    fn login(&self, token_url: Option<&str>) -> Option<(usize, &'d Operation)> {
        if let Some(url) = token_url {
            let found = self.ops().find(|(_, op)| {
                op.method == "POST" && op.path.trim_end_matches('/') == url.trim_end_matches('/')
            });
            if found.is_some() {
                return found;
            }
        }
        let candidates: Vec<(usize, &'d Operation)> = self
            .ops()
            .filter(|(i, op)| !self.used.contains(i) && self.password_post(op))
            .collect();
        candidates
            .iter()
            .find(|(_, op)| path_words(op).iter().any(|w| vocab::login_word(w)))
            .or_else(|| {
                candidates
                    .iter()
                    .find(|(_, op)| !path_words(op).iter().any(|w| signup_word(w)))
            })
            .copied()
    }

    /// Whether `op` is an unsecured POST whose body has a password.
    pub(super) fn password_post(&self, op: &Operation) -> bool {
        op.method == "POST"
            && !op.secured()
            && op.body.as_ref().is_some_and(|b| {
                let props = self.doc.properties(&b.schema);
                props.iter().any(|(n, _, _)| {
                    vocab::fill(Context::Login, &vocab::squash(n), true)
                        .is_some_and(|f| f.field == Some(("identity", "password")))
                })
            })
    }

    /// Open registration: an unsecured POST with a password, other than the login, whose path says it
    /// signs up or creates users.
    pub(super) fn signup(&self) -> Option<usize> {
        let user = self.audiences().user.unwrap_or_default();
        let login = self
            .login(self.doc.password_token_url(&user).as_deref())
            .map(|(i, _)| i);
        self.ops()
            .filter(|(i, op)| Some(*i) != login && !self.used.contains(i) && self.password_post(op))
            .find(|(_, op)| {
                path_words(op)
                    .iter()
                    .any(|w| signup_word(w) || vocab::account_word(w))
                    || op
                        .operation_id
                        .as_deref()
                        .is_some_and(|id| vocab::words(id).iter().any(|w| signup_word(w)))
            })
            .map(|(i, _)| i)
    }

    /// `[auth.login]`: the call found, the OAuth2 `tokenUrl` as a form, or a guess to review.
    fn login_table(
        &mut self,
        out: &mut String,
        login: Option<(usize, &Operation)>,
        token_url: Option<&str>,
    ) {
        match (login, token_url) {
            (Some((i, op)), _) => {
                self.take(i, "auth.login");
                let mut t = self.endpoint(op, Context::Login);
                if token_url.is_some() && !t.entries.iter().any(|(k, _, _)| k == "form") {
                    t.entries.retain(|(k, _, _)| k != "json");
                    t.raw("form", OAUTH_FORM);
                }
                write_table(out, "auth.login", &t);
            }
            (None, Some(url)) => {
                self.mapped
                    .push(("auth.login".into(), format!("POST {url} (tokenUrl)")));
                let _ = writeln!(
                    out,
                    "# The OAuth2 password flow: a form to the tokenUrl (RFC 6749, section 4.3).\n[auth.login]\nmethod = \"POST\"\npath = {}\nform = {OAUTH_FORM}",
                    quote(url)
                );
            }
            (None, None) => {
                out.push_str("# TODO: the login call (no unsecured POST with a password was found); this guess loads.\n[auth.login]\nmethod = \"POST\"\npath = \"/login\"\njson = { username = \"{{identity.login}}\", password = \"{{identity.password}}\" }\n");
            }
        }
        out.push('\n');
    }

    /// How the users' scheme sends a token: a header and its value (a prefix the scheme's description
    /// names, such as Django REST framework's `Token`).
    fn send(&self, name: &str, user_scheme: Option<&Scheme>) -> (String, String) {
        match user_scheme {
            Some(Scheme::HeaderKey(header)) => {
                let value = match self.doc.scheme_prefix(name) {
                    Some(prefix) => format!("{prefix} {{{{token}}}}"),
                    None => "{{token}}".to_string(),
                };
                (header.clone(), value)
            }
            Some(Scheme::CookieKey(_) | Scheme::QueryKey(_)) | Some(Scheme::Http(_)) | None => {
                ("Authorization".into(), "Bearer {{token}}".into())
            }
            Some(Scheme::OAuth) => ("Authorization".into(), "Bearer {{token}}".into()),
        }
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

/// The form of an OAuth2 password grant.
const OAUTH_FORM: &str = "{ grant_type = \"password\", username = \"{{identity.login}}\", password = \"{{identity.password}}\" }";

/// Words of a sign-up call.
pub(super) fn signup_word(word: &str) -> bool {
    matches!(
        word,
        "register"
            | "registration"
            | "signup"
            | "join"
            | "inscription"
            | "enroll"
            | "enrol"
            | "onboard"
    )
}

/// A scheme as the document types it.
fn scheme_name(scheme: &Scheme) -> String {
    match scheme {
        Scheme::Http(s) => format!("HTTP {s}"),
        Scheme::HeaderKey(h) => format!("an API key in the header {h}"),
        Scheme::QueryKey(q) => format!("an API key in the query parameter {q}"),
        Scheme::CookieKey(c) => format!("an API key in the cookie {c}"),
        Scheme::OAuth => "OAuth 2 / OpenID Connect".into(),
    }
}
