//! `[auth]`: how identities log in, and the headers that carry their credentials.

use super::{ROOTS_LOGIN, ROOTS_SEND, Validator};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Accounts, Auth, HeaderTemplate, TokenSource};
use crate::profile::raw::{self, AuthScheme};

impl Validator<'_> {
    /// `[auth]`: the login and logout calls, the headers sent, where the token is; then what the scheme
    /// needs of them.
    pub(super) fn auth(
        &self,
        raw: raw::RawAuth,
        accounts: &Accounts,
    ) -> Result<Auth, ProfileError> {
        let at = KeyPath::root("auth");
        let mark = self.mark();
        let login = self.keep(
            raw.login
                .as_ref()
                .map(|e| self.endpoint(&at.key("login"), e, ROOTS_LOGIN))
                .transpose(),
        );
        let logout = self.keep(
            raw.logout
                .as_ref()
                .map(|e| self.endpoint(&at.key("logout"), e, ROOTS_SEND))
                .transpose(),
        );
        let send = self.keep(self.send(raw.send.as_ref()));
        let token = self.keep(self.token(raw.token.as_ref()));
        let (Some(login), Some(logout), Some(send), Some(token)) = (login, logout, send, token)
        else {
            return Err(self.taken(mark));
        };
        let auth = Auth {
            scheme: raw.scheme,
            login,
            token,
            send,
            logout,
        };
        self.scheme(&auth, accounts)?;
        Ok(auth)
    }

    /// `auth.send`: one header or a list of them, each sent once.
    fn send(&self, raw: Option<&raw::RawSend>) -> Result<Vec<HeaderTemplate>, ProfileError> {
        let at = KeyPath::root("auth");
        Ok(match raw {
            None => Vec::new(),
            Some(raw::RawSend::One(h)) => vec![self.header(&at.key("send"), h, ROOTS_SEND)?],
            Some(raw::RawSend::Many(headers)) => {
                if headers.is_empty() {
                    return Err(self.err(
                        &at.key("send"),
                        "an empty list: expected at least one `{ header = \"...\", value = \"...\" }`",
                    ));
                }
                let mut out: Vec<HeaderTemplate> = Vec::new();
                for (i, h) in headers.iter().enumerate() {
                    let header = self.header(&at.key("send").index(i), h, ROOTS_SEND)?;
                    if out
                        .iter()
                        .any(|o| o.name.eq_ignore_ascii_case(&header.name))
                    {
                        return Err(self.err(
                            &at.key("send").index(i).key("header"),
                            format!("`{}` is sent twice: each header once", header.name),
                        ));
                    }
                    out.push(header);
                }
                out
            }
        })
    }

    /// `auth.token`: where a login call's answer gives the token.
    fn token(&self, raw: Option<&raw::RawToken>) -> Result<Option<TokenSource>, ProfileError> {
        let at = KeyPath::root("auth").key("token");
        let Some(t) = raw else {
            return Ok(None);
        };
        Ok(Some(match (&t.json, &t.header) {
            (Some(pointer), None) => TokenSource::Json(self.pointer(&at.key("json"), pointer)?),
            (None, Some(header)) => TokenSource::Header(header.clone()),
            _ => {
                return Err(self.err(
                    &at,
                    "expected exactly one of `json = \"/pointer\"` or `header = \"Name\"`",
                ));
            }
        }))
    }

    /// What the scheme needs of the rest of `[auth]` and of the accounts.
    fn scheme(&self, auth: &Auth, accounts: &Accounts) -> Result<(), ProfileError> {
        let Auth {
            login, token, send, ..
        } = auth;
        let at = KeyPath::root("auth");
        let scheme_key = at.key("scheme");
        match auth.scheme {
            AuthScheme::Token => {
                if login.is_none() {
                    return Err(self.err(
                        &scheme_key,
                        "scheme `token` needs [auth.login]: the call that returns the token",
                    ));
                }
                if token.is_none() {
                    return Err(self.err(&scheme_key, "scheme `token` needs `token = { json = \"/token\" }` or `token = { header = \"Name\" }`"));
                }
                if send.is_empty() {
                    return Err(self.err(&scheme_key, "scheme `token` needs `send = { header = \"Authorization\", value = \"Bearer {{token}}\" }`"));
                }
            }
            AuthScheme::Cookie => {
                if login.is_none() {
                    return Err(self.err(
                        &scheme_key,
                        "scheme `cookie` needs [auth.login]: the call that sets the session cookie",
                    ));
                }
            }
            AuthScheme::Basic => {
                if !send.is_empty() || token.is_some() {
                    return Err(self.err(&scheme_key, "scheme `basic` sends the login and password itself: remove `send` and `token`"));
                }
            }
            AuthScheme::Header => {
                if send.is_empty() {
                    return Err(self.err(&scheme_key, "scheme `header` needs `send = { header = \"X-Api-Key\", value = \"{{identity.token}}\" }`"));
                }
                if let Some(account) = accounts.existing.iter().find(|a| a.token.is_none()) {
                    return Err(self.err(
                        &account.origin,
                        "scheme `header` needs a `token` for every existing account",
                    ));
                }
                if let Some(register) = &accounts.register
                    && !register.extract.iter().any(|(name, _)| name == "token")
                {
                    return Err(self.err(&register.origin, "scheme `header` sends each identity's token: expected `extract = { token = \"/token\" }`, where the sign-up answer gives it"));
                }
            }
        }
        Ok(())
    }
}
