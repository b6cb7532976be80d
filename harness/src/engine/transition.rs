//! The transitions of the stateful suite against the target: each [`Action`] of the reference model sent
//! through the profile (login, logout, transfer, end and start of the scene's representation, deletion,
//! role change), with the operator's session for provisioning calls.

use cloison_suites::RecordKind;
use cloison_suites::stateful::{Action, Model, Scene};
use serde_json::{Value, json};

use super::executor::Executor;
use super::extract;
use super::stateful::Live;
use crate::http::{Exchange, Session};
use crate::profile::Endpoint;

/// What an action came to: whether the target accepted it, a description, and the exchange.
pub(super) type Performed = Result<(bool, String, Option<Exchange>), String>;

impl Executor<'_> {
    /// The profile key of the endpoint an action calls.
    pub(super) fn transition_endpoint(&self, action: &Action) -> Option<String> {
        match action {
            Action::Login { .. } => Some("auth.login".into()),
            Action::Logout { .. } => Some("auth.logout".into()),
            Action::Transfer { .. } => Some("transitions.transfer".into()),
            Action::EndRepresentation => Some("provisioning.end_representation".into()),
            Action::AddRepresentation => Some("provisioning.representation".into()),
            Action::Delete { .. } => self
                .profile
                .endpoint(RecordKind::Case, "delete")
                .map(|e| e.origin.to_string()),
            Action::ChangeRole { .. } => Some("transitions.change_role".into()),
        }
    }

    /// The endpoint that reads the subject case file by its identifier.
    pub(super) fn read_subject_endpoint(&self) -> Option<&Endpoint> {
        self.profile
            .endpoint(RecordKind::Case, "read")
            .filter(|e| e.placeholders().contains("case.id"))
    }

    /// The operator's session (provisioning calls), if the profile provisions.
    pub(super) fn operator(&self) -> Option<Session> {
        let provisioning = self.profile.provisioning.as_ref()?;
        self.operator_session(provisioning).ok()
    }

    /// The context of the scene's representation (as provisioning has it), with its identifier if known.
    fn representation_ctx(&self, scene: &Scene, id: Option<&str>) -> Option<Value> {
        let r = scene.representative?;
        let rep_key = &scene.members.get(r)?.key;
        let owner_key = &scene.members.first()?.key;
        let rep = self.plan.representation(rep_key, owner_key)?;
        let mut representation = serde_json::to_value(&rep).ok()?;
        if let (Value::Object(map), Some(id)) = (&mut representation, id) {
            map.insert("id".into(), id.into());
        }
        Some(json!({
            "tenant": self.plan.world.tenant(rep.tenant_id).map_or(Value::Null, |t| serde_json::to_value(t).unwrap_or(Value::Null)),
            "representation": representation,
            "representative": { "id": self.account_id(rep_key), "key": rep_key },
            "represented": { "id": self.account_id(owner_key), "key": owner_key },
            "secrets": self.secrets,
        }))
    }

    fn tenant_by_code(&self, code: &str) -> Value {
        let mut tenant = self
            .plan
            .world
            .tenants
            .iter()
            .find(|t| t.code == code)
            .map_or(Value::Null, |t| {
                serde_json::to_value(t).unwrap_or(Value::Null)
            });
        if let (Value::Object(map), Some(platform)) =
            (&mut tenant, self.provisioned.tenant_codes.get(code))
        {
            map.insert("code".into(), platform.clone().into());
        }
        tenant
    }

    pub(super) async fn add_representation(
        &self,
        scene: &Scene,
        operator: Option<&Session>,
    ) -> Result<(Option<String>, Exchange), String> {
        let endpoint = self
            .profile
            .provisioning
            .as_ref()
            .and_then(|p| p.representation.as_ref())
            .ok_or("no representation endpoint")?;
        let operator = operator.ok_or("no operator credential")?;
        let ctx = self
            .representation_ctx(scene, None)
            .ok_or("the scene's representation is not in the world")?;
        let ex = operator
            .send(&self.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| format!("adding a representation: {e}"))?;
        if !endpoint.is_ok(ex.observed.status) {
            return Err(format!(
                "adding a representation answered {}: {}",
                ex.observed.status,
                ex.answer(200, self.all_secrets())
            ));
        }
        Ok((extract(&ex, endpoint, "id"), ex))
    }

    pub(super) async fn end_representation(
        &self,
        scene: &Scene,
        live: &Live,
        operator: Option<&Session>,
    ) -> Result<Exchange, String> {
        let endpoint = self
            .profile
            .provisioning
            .as_ref()
            .and_then(|p| p.end_representation.as_ref())
            .ok_or("no end_representation endpoint")?;
        let operator = operator.ok_or("no operator credential")?;
        let ctx = self
            .representation_ctx(scene, live.representation.as_deref())
            .ok_or("the scene's representation is not in the world")?;
        operator
            .send(&self.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| format!("ending a representation: {e}"))
    }

    /// Do an action on the target: whether it was accepted, a description, and the exchange.
    pub(super) async fn perform(
        &self,
        scene: &Scene,
        model: &Model,
        live: &mut Live,
        subject_id: &str,
        action: &Action,
        operator: Option<&Session>,
    ) -> Performed {
        let key_of = |member: usize| {
            scene
                .members
                .get(member)
                .map_or("?".to_string(), |m| m.key.clone())
        };
        match action {
            Action::Login { member } => self.log_in_again(&key_of(*member), live).await,
            Action::Logout { session } => {
                let member = model.sessions().get(*session).map_or(0, |s| s.member);
                self.log_out(*session, &key_of(member), live).await
            }
            Action::Transfer { by, to } => {
                let endpoint = self
                    .profile
                    .transitions
                    .transfer
                    .as_ref()
                    .ok_or("no transfer endpoint")?;
                let key = key_of(*by);
                let mut ctx = self.subject_ctx(scene, &key, subject_id);
                ctx["to"] = self.tenant_by_code(to);
                let ex = self.send_as(&key, endpoint, &ctx, "transferring").await?;
                Ok((
                    endpoint.is_ok(ex.observed.status),
                    format!("{key} transfers the case file to tenant {to}"),
                    Some(ex),
                ))
            }
            Action::EndRepresentation => {
                let ex = self.end_representation(scene, live, operator).await?;
                let ok = self
                    .profile
                    .provisioning
                    .as_ref()
                    .and_then(|p| p.end_representation.as_ref())
                    .is_some_and(|e| e.is_ok(ex.observed.status));
                Ok((ok, "the operator ends the representation".into(), Some(ex)))
            }
            Action::AddRepresentation => {
                let (id, ex) = self.add_representation(scene, operator).await?;
                live.representation = id;
                Ok((
                    true,
                    "the operator adds the representation again".into(),
                    Some(ex),
                ))
            }
            Action::Delete { by } => {
                let endpoint = self
                    .profile
                    .endpoint(RecordKind::Case, "delete")
                    .ok_or("no delete endpoint")?;
                let key = key_of(*by);
                let ctx = self.subject_ctx(scene, &key, subject_id);
                let ex = self.send_as(&key, endpoint, &ctx, "deleting").await?;
                Ok((
                    endpoint.is_ok(ex.observed.status),
                    format!("{key} deletes the case file"),
                    Some(ex),
                ))
            }
            Action::ChangeRole { member, role } => {
                self.change_role(&key_of(*member), role, operator).await
            }
        }
    }

    /// The subject's context for `actor`: the template record's, with the subject's identifier.
    pub(super) fn subject_ctx(&self, scene: &Scene, actor: &str, subject_id: &str) -> Value {
        let mut ctx = self.record_ctx(&scene.template, actor);
        ctx["case"]["id"] = subject_id.into();
        ctx
    }

    /// A member logs in again: a new session of theirs, beside the ones they hold.
    async fn log_in_again(&self, key: &str, live: &mut Live) -> Performed {
        let account = self
            .plan
            .account(key)
            .ok_or_else(|| format!("{key} has no account"))?;
        let (session, _, ex) = self
            .login_with()
            .login_traced(account)
            .await
            .map_err(|e| format!("logging {key} in: {e}"))?;
        live.sessions.push(session);
        Ok((
            true,
            format!("{key} logs in again: session {}", live.sessions.len() - 1),
            ex,
        ))
    }

    /// A session of `key` logs out.
    async fn log_out(&self, session: usize, key: &str, live: &Live) -> Performed {
        let logout = self
            .profile
            .auth
            .logout
            .as_ref()
            .ok_or("no logout endpoint")?;
        let s = live.sessions.get(session).ok_or("no such session")?.clone();
        let ctx = self.identity_ctx(key);
        let ex = s
            .send(&self.settings, logout, &ctx, None)
            .await
            .map_err(|e| format!("logging out: {e}"))?;
        Ok((
            logout.is_ok(ex.observed.status),
            format!("session {session} of {key} logs out"),
            Some(ex),
        ))
    }

    /// The operator gives `key` the cloison role `role` (as the platform names it).
    async fn change_role(&self, key: &str, role: &str, operator: Option<&Session>) -> Performed {
        let endpoint = self
            .profile
            .transitions
            .change_role
            .as_ref()
            .ok_or("no change_role endpoint")?;
        let operator = operator.ok_or("no operator credential")?;
        let mut ctx = self.identity_ctx(key);
        ctx["role"] = self
            .profile
            .roles
            .get(role)
            .cloned()
            .unwrap_or_else(|| role.to_string())
            .into();
        let ex = operator
            .send(&self.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| format!("changing a role: {e}"))?;
        Ok((
            endpoint.is_ok(ex.observed.status),
            format!("the operator makes {key} {role}"),
            Some(ex),
        ))
    }

    /// Send `endpoint` as `key` with its current session.
    async fn send_as(
        &self,
        key: &str,
        endpoint: &Endpoint,
        ctx: &Value,
        what: &str,
    ) -> Result<Exchange, String> {
        let session = self
            .session(key)
            .ok_or_else(|| format!("{key} has no session"))?;
        session
            .send(&self.settings, endpoint, ctx, None)
            .await
            .map_err(|e| format!("{what}: {e}"))
    }
}
