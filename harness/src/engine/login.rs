//! Logging in: every identity's session, built from the login call's answer (its cookies, its token) and
//! the headers of `auth.send`. The result is the [`Sessions`]; a session renewed later (a re-login, see
//! [`super::renew`]) replaces its identity's behind the lock, as a new generation.

use std::collections::HashMap;
use std::sync::RwLock;

use serde_json::{Value, json};

use super::blame::{self, Blaming};
use super::renew::{Held, Renewing};
use super::setup::{Provisioned, Setup};
use super::{EngineError, Inputs, extract};
use crate::event::Event;
use crate::http::{Credential, Exchange, Session};
use crate::plan::PlannedAccount;
use crate::profile::{AuthScheme, KeyPath, Profile, TokenSource};

/// The logged-in identities.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    /// The session of each identity, by key (renewed by re-logins, see [`super::renew`]).
    by_identity: RwLock<HashMap<String, Held>>,
    /// One lock per identity, held while its session is checked or renewed.
    renewing: Renewing,
    /// The platform's identifiers the logins answered, for identities provisioning did not learn one of.
    learnt_ids: HashMap<String, String>,
}

impl Sessions {
    /// The session of an identity (a cheap clone: the client is shared).
    pub(crate) fn get(&self, key: &str) -> Option<Session> {
        self.held(key).map(|held| held.session)
    }

    /// An identity's session and how it stands.
    pub(crate) fn held(&self, key: &str) -> Option<Held> {
        self.by_identity
            .read()
            .ok()
            .and_then(|sessions| sessions.get(key).cloned())
    }

    /// Whether an identity has a session.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.by_identity
            .read()
            .is_ok_and(|sessions| sessions.contains_key(key))
    }

    /// Replace an identity's session (a re-login): a new generation.
    pub(crate) fn set(&self, key: String, session: Session) {
        if let Ok(mut sessions) = self.by_identity.write() {
            let generation = sessions.get(&key).map_or(0, |held| held.generation + 1);
            sessions.insert(key, Held::new(session, generation));
        }
    }

    /// Note that a read started at `at` found the session of `generation` accepted.
    pub(crate) fn mark_alive(&self, key: &str, generation: u64, at: std::time::Instant) {
        if let Ok(mut sessions) = self.by_identity.write()
            && let Some(held) = sessions.get_mut(key)
            && held.generation == generation
        {
            held.alive_at = Some(held.alive_at.map_or(at, |before| before.max(at)));
        }
    }

    /// The lock held while an identity's session is checked or renewed.
    pub(crate) fn renewal_lock(&self, key: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        self.renewing.of(key)
    }

    /// How many identities have a session.
    pub(crate) fn len(&self) -> usize {
        self.by_identity.read().map_or(0, |s| s.len())
    }
}

/// The platform's identifier of an identity: provisioning's, else the one its login answered.
pub(crate) fn account_id<'x>(
    provisioned: &'x Provisioned,
    sessions: Option<&'x Sessions>,
    key: &str,
) -> Option<&'x str> {
    provisioned
        .account_ids
        .get(key)
        .or_else(|| sessions.and_then(|s| s.learnt_ids.get(key)))
        .map(String::as_str)
}

/// An identity's key, session and (when the login names it) platform identifier.
type LoginResult = Result<(String, Session, Option<String>), EngineError>;

impl Setup<'_> {
    /// Log every identity of the plan in.
    pub(super) async fn login_all(
        &self,
        provisioned: &Provisioned,
    ) -> Result<Sessions, EngineError> {
        let inputs = self.inputs;
        let login = Login {
            inputs,
            provisioned,
            sessions: None,
        };
        self.sink.event(&Event::Phase {
            name: "logins",
            steps: inputs.plan.accounts.len(),
        });
        let login = &login;
        let results: Vec<LoginResult> = super::batch::until_failure(
            &inputs.plan.accounts,
            inputs.options.concurrency,
            |account| async move {
                let result = login.login(account).await;
                self.sink.event(&Event::Step);
                result.map(|(session, id)| (account.key.clone(), session, id))
            },
            Result::is_err,
        )
        .await;
        self.sink.event(&Event::PhaseEnd);
        let mut sessions = Sessions::default();
        for result in results {
            let (key, session, id) = result?;
            if let Some(id) = id
                && !provisioned.account_ids.contains_key(&key)
            {
                sessions.learnt_ids.entry(key.clone()).or_insert(id);
            }
            sessions.set(key, session);
        }
        Ok(sessions)
    }
}

/// Logging one identity in, with what the run knows at that point (the sessions, once they exist).
pub(crate) struct Login<'x> {
    pub(crate) inputs: &'x Inputs<'x>,
    pub(crate) provisioned: &'x Provisioned,
    pub(crate) sessions: Option<&'x Sessions>,
}

impl Blaming for Login<'_> {
    fn profile(&self) -> &Profile {
        self.inputs.profile
    }

    fn secrets_file(&self) -> Option<&super::blame::SecretsFile> {
        self.inputs.options.secrets_file.as_ref()
    }

    fn credentials(&self) -> &crate::redact::Secrets {
        &self.inputs.options.redact
    }
}

/// What a login call's answer gave.
#[derive(Default)]
struct Answered {
    id: Option<String>,
    token: Option<String>,
    cookie: Option<(String, String)>,
    exchange: Option<Exchange>,
}

impl Login<'_> {
    /// Log `account` in: its session, and its platform identifier when the login answer names it.
    pub(crate) async fn login(
        &self,
        account: &PlannedAccount,
    ) -> Result<(Session, Option<String>), EngineError> {
        self.login_traced(account)
            .await
            .map(|(session, id, _)| (session, id))
    }

    /// [`Login::login`], with the login call's exchange (none for schemes without one).
    pub(crate) async fn login_traced(
        &self,
        account: &PlannedAccount,
    ) -> Result<(Session, Option<String>, Option<Exchange>), EngineError> {
        let inputs = self.inputs;
        let auth = &inputs.profile.auth;
        let mut session =
            Session::new(&inputs.settings).map_err(|e| EngineError::Target(e.to_string()))?;
        let mut identity = inputs.plan.identity_context(
            inputs.profile,
            account,
            account_id(self.provisioned, self.sessions, &account.key),
        );
        let mut secrets = vec![account.password.clone()];
        secrets.extend(account.token.clone());
        // The token the sign-up answer gave, and the tenant's credential: credentials like the others.
        if let Some(token) = self.provisioned.account_tokens.get(&account.key) {
            identity["token"] = token.clone().into();
            secrets.push(token.clone());
        }
        secrets.extend(
            self.provisioned
                .tenant_credentials
                .get(&account.tenant)
                .cloned(),
        );
        let answered = match &auth.login {
            Some(login) => {
                self.call_login(login, account, &identity, &mut session, &mut secrets)
                    .await?
            }
            None => Answered::default(),
        };
        // The session cookie (scheme `cookie`), then every header of `auth.send` (a CSRF token beside the
        // cookie, an API key beside a bearer token).
        let mut headers: Vec<(String, String)> = answered.cookie.into_iter().collect();
        if !auth.send.is_empty() {
            let tenant = self.provisioned.tenant_ctx(inputs, account);
            let caller = super::caller::caller_value(&identity, tenant.clone());
            let ctx = json!({ "tenant": tenant, "identity": identity, "caller": caller, "token": answered.token, "secrets": inputs.secrets });
            for send in &auth.send {
                let value = send.value.render(&ctx).map_err(|e| {
                    EngineError::Setup(format!(
                        "{}",
                        inputs
                            .profile
                            .error_at(&KeyPath::root("auth").key("send"), e.to_string())
                    ))
                })?;
                secrets.push(value.clone());
                headers.push((send.name.clone(), value));
            }
        }
        secrets.extend(answered.token);
        secrets.extend(headers.iter().map(|h| h.1.clone()));
        secrets.sort();
        secrets.dedup();
        let secrets = crate::redact::without_schemes(secrets);
        // Every credential of every login (re-logins included) joins the run's set, for the report.
        (inputs.options.redact).extend(secrets.iter().cloned());
        session.credential = Credential {
            who: account.login.clone(),
            headers,
            basic: (auth.scheme == AuthScheme::Basic)
                .then(|| (account.login.clone(), account.password.clone())),
            secrets,
        };
        Ok((session, answered.id, answered.exchange))
    }

    /// Send the login call and take what its answer gives: the identifier, the session cookies (scheme
    /// `cookie`) and the token (`auth.token`).
    async fn call_login(
        &self,
        login: &crate::profile::Endpoint,
        account: &PlannedAccount,
        identity: &Value,
        session: &mut Session,
        secrets: &mut Vec<String>,
    ) -> Result<Answered, EngineError> {
        let inputs = self.inputs;
        let auth = &inputs.profile.auth;
        let tenant = self.provisioned.tenant_ctx(inputs, account);
        let caller = super::caller::caller_value(identity, tenant.clone());
        let ctx = json!({ "tenant": tenant, "identity": identity, "caller": caller, "secrets": inputs.secrets });
        let ex = session
            .send(&inputs.settings, login, &ctx, None)
            .await
            .map_err(|e| EngineError::Target(e.to_string()))?;
        self.setup_status(login, &ex, &format!("logging in as {}", account.login))?;
        // Whatever cookie the login sets is a credential, whatever the scheme sends.
        secrets.extend(set_cookie_values(&ex));
        let mut answered = Answered {
            id: extract(&ex, login, "id"),
            exchange: Some(ex.clone()),
            ..Answered::default()
        };
        if auth.scheme == AuthScheme::Cookie {
            answered.cookie = Some(self.cookies(&ex, account, secrets)?);
        }
        if let Some(source) = &auth.token {
            answered.token = Some(self.token(&ex, source, account)?);
        }
        Ok(answered)
    }

    /// The session cookies the login sets: the identity's credential, sent per request.
    fn cookies(
        &self,
        ex: &Exchange,
        account: &PlannedAccount,
        secrets: &mut Vec<String>,
    ) -> Result<(String, String), EngineError> {
        let pairs: Vec<String> = ex
            .observed
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, value)| value.split(';').next())
            .map(|pair| pair.trim().to_string())
            .filter(|pair| pair.contains('=') && !pair.ends_with('='))
            .collect();
        if pairs.is_empty() {
            return Err(EngineError::Setup(
                self.inputs
                    .profile
                    .error_at(
                        &KeyPath::root("auth").key("scheme"),
                        format!(
                            "scheme `cookie`, but the login response of {} sets no cookie",
                            account.login
                        ),
                    )
                    .to_string(),
            ));
        }
        for pair in &pairs {
            if let Some((_, value)) = pair.split_once('=') {
                secrets.push(value.to_string());
            }
        }
        Ok(("Cookie".to_string(), pairs.join("; ")))
    }

    /// The session token of a login answer. A login response without the token the profile points at:
    /// the profile does not fit, unless the target answered nothing or the request itself.
    fn token(
        &self,
        ex: &Exchange,
        source: &TokenSource,
        account: &PlannedAccount,
    ) -> Result<String, EngineError> {
        let no_token = |what: &str| {
            if blame::unusable_answer(ex).is_some() {
                return self.missing_in_answer(
                    ex,
                    &KeyPath::root("auth").key("token"),
                    &format!("logging in as {}", account.login),
                    "the session token",
                );
            }
            EngineError::Setup(
                self.inputs
                    .profile
                    .error_at(
                        &KeyPath::root("auth").key("token"),
                        format!("the login response of {} has {what}", account.login),
                    )
                    .to_string(),
            )
        };
        match source {
            TokenSource::Json(pointer) => ex
                .json()
                .and_then(|j| {
                    j.pointer(pointer)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .ok_or_else(|| no_token("no token there")),
            TokenSource::Header(name) => ex
                .observed
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| no_token(&format!("no {name} header"))),
        }
    }
}

/// The values of the cookies an answer sets (`Set-Cookie: name=value; ...`).
fn set_cookie_values(ex: &Exchange) -> Vec<String> {
    (ex.observed.headers.iter())
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| {
            value
                .split(';')
                .next()?
                .split_once('=')
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|value| !value.is_empty())
        .collect()
}
