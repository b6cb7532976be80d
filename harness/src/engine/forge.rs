//! Forged credentials on the wire: the actor's own session credential, its JSON Web Token forged as the
//! probe's [`Forgery`] says (claims swapped to the victim by `cloison_suites::forge`, signed again with a
//! common weak key found offline by [`crate::jwt`]), in a session of its own that is never renewed: an
//! answer "signed out" to a forged token is the refusal expected, not a session to log in again.
//!
//! The forged token and any key found join the run's secrets: reports show neither, only how the token was
//! forged (in the reproducer's redaction note).

use cloison_suites::Unsent;
use cloison_suites::forge::{self, Forgery, Jwt, Swap};
use serde_json::{Map, Value};

use super::executor::Executor;
use super::probe::NotApplicable;
use super::renew::Unanswered;
use crate::http::{Exchange, Session};
use crate::profile::Endpoint;
use crate::render::Tweak;

/// Fields of an identity's context that are secrets, never identifying values.
const NOT_IDENTIFYING: [&str; 2] = ["password", "token"];

/// The scalar leaves of a context object, by path (`identity.login`, `tenant.id`...).
fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (name, v) in map {
                if !NOT_IDENTIFYING.contains(&name.as_str()) {
                    leaves(&format!("{prefix}.{name}"), v, out);
                }
            }
        }
        Value::String(s) if !s.is_empty() => out.push((prefix.to_string(), s.clone())),
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        _ => {}
    }
}

impl Executor<'_> {
    /// The identifying values of an identity (its login, platform id, role, display name, attributes,
    /// tenant), by path.
    fn identifying_values(&self, key: &str) -> Vec<(String, String)> {
        let ctx = self.identity_ctx(key);
        let mut out = Vec::new();
        leaves("identity", &ctx["identity"], &mut out);
        leaves("tenant", &ctx["tenant"], &mut out);
        out
    }

    /// The JSON Web Token an identity's session credential carries, with where it sits.
    fn session_jwt(&self, key: &str) -> Option<(Session, usize, std::ops::Range<usize>, Jwt)> {
        let session = self.session(key)?;
        let found = session
            .credential
            .headers
            .iter()
            .enumerate()
            .find_map(|(i, (_, value))| forge::find(value).map(|range| (i, range)));
        let (header, range) = found?;
        let jwt = Jwt::parse(&session.credential.headers[header].1[range.clone()])?;
        Some((session, header, range, jwt))
    }

    /// The actor's session with its token forged to name `victim`, or why the forgery cannot be made.
    pub(super) fn forged_session(
        &self,
        actor: &str,
        victim: &str,
        forgery: Forgery,
    ) -> Result<Session, NotApplicable> {
        let not_jwt = || {
            NotApplicable(Unsent::CredentialNotJwt {
                actor: self.who(actor),
            })
        };
        let (session, header, range, jwt) = self.session_jwt(actor).ok_or_else(not_jwt)?;
        let victim_claims = self
            .session_jwt(victim)
            .map_or_else(Map::new, |(.., jwt)| jwt.claims);
        let theirs = self.identifying_values(victim);
        let swaps: Vec<Swap> = (self.identifying_values(actor).into_iter())
            .filter_map(|(path, attacker)| {
                let victim = theirs.iter().find(|(p, _)| *p == path)?.1.clone();
                Some(Swap { attacker, victim })
            })
            .collect();
        let (claims, swapped) = forge::swap_claims(&jwt.claims, &victim_claims, &swaps);
        if swapped.is_empty() {
            return Err(NotApplicable(Unsent::NoClaimToSwap {
                actor: self.who(actor),
            }));
        }
        let token = if forgery.needs_key() {
            let key = crate::jwt::weak_key(&jwt).ok_or(NotApplicable(Unsent::NoWeakKey))?;
            // The key is a credential of the platform: it is never shown.
            self.options.redact.extend([key.to_string()]);
            let claims = match forgery {
                Forgery::WeakKeyExpired => forge::expired(&claims),
                _ => claims,
            };
            crate::jwt::resign(&jwt, &claims, key).ok_or(NotApplicable(Unsent::NoWeakKey))?
        } else {
            forge::unsigned(&jwt, &claims, forgery).ok_or_else(not_jwt)?
        };
        let mut credential = session.credential.clone();
        let value = &mut credential.headers[header].1;
        value.replace_range(range, &token);
        credential.who = format!(
            "{} forged from {}'s own ({}; claims {} swapped to {}'s)",
            "a token",
            credential.who,
            forgery.describe(),
            swapped.join(", "),
            self.who(victim)
        );
        credential.secrets.push(token.clone());
        self.options.redact.extend([token]);
        Ok(session.with_credential(credential))
    }

    /// Send a probe's request with a forged credential: one answer, never renewed.
    pub(super) async fn send_forged(
        &self,
        session: &Session,
        endpoint: &Endpoint,
        ctx: &Value,
        tweak: &Tweak,
    ) -> Result<Exchange, Unanswered> {
        if self.target_gone() {
            return Err(String::from("not sent: the target stopped answering").into());
        }
        Ok(session
            .send_with(&self.settings, endpoint, ctx, None, tweak)
            .await
            .map_err(|e| e.to_string())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifying_values_leave_secrets_out() {
        let mut out = Vec::new();
        let ctx = json!({"login": "ann", "password": "pw", "token": "t", "id": 17,
                         "attributes": {"email": "a@x.test"}, "display_name": null});
        leaves("identity", &ctx, &mut out);
        out.sort();
        assert_eq!(
            out,
            [
                (
                    "identity.attributes.email".to_string(),
                    "a@x.test".to_string()
                ),
                ("identity.id".into(), "17".into()),
                ("identity.login".into(), "ann".into()),
            ]
        );
    }
}
