//! Setup: the target is healthy, `[[reset]]`, then tenants, identities and representations are provisioned
//! (with the operator, or signed up anonymously): the result is a [`Provisioned`].

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};

use super::blame::Blaming;
use super::{EngineError, Inputs, extract, transport};
use crate::event::{Event, Sink};
use crate::http::{Credential, Exchange, RetryPolicy, Session};
use crate::plan::PlannedAccount;
use crate::profile::{Endpoint, KeyPath, Profile, Provisioning};
use crate::redact::Secrets;
use crate::render::{RenderError, SendError};

/// What provisioning learnt: the platform's identifiers, codes, credentials and tokens.
#[derive(Debug, Default)]
pub(crate) struct Provisioned {
    /// The platform's identifiers of identities, by identity key (`{{identity.id}}`).
    pub(crate) account_ids: HashMap<String, String>,
    /// Tokens the sign-up answers gave, by identity key (`{{identity.token}}` at login).
    pub(crate) account_tokens: HashMap<String, String>,
    /// The platform's identifiers of tenants, by code (`{{tenant.id}}`).
    pub(crate) tenant_ids: HashMap<String, String>,
    /// The platform's code of a tenant where it rewrote the one it was given (a slug), by world code:
    /// `{{tenant.code}}` and tenant selectors use it once known.
    pub(crate) tenant_codes: HashMap<String, String>,
    /// Tenants' credentials, by code (`{{tenant.credential}}`), shared by their members.
    pub(crate) tenant_credentials: HashMap<String, String>,
    /// Objects created (tenants, identities, representations).
    pub(crate) objects: usize,
}

impl Provisioned {
    /// What the profile gives before any call (existing accounts and tenants), whatever the source:
    /// `{{person.account_id}}`, `{{identity.id}}`, `{{tenant.id}}` and `{{tenant.credential}}`.
    fn known(inputs: &Inputs<'_>) -> Self {
        let mut known = Self::default();
        for account in &inputs.plan.accounts {
            if let Some(id) = &account.known_id {
                known.account_ids.insert(account.key.clone(), id.clone());
            }
        }
        for tenant in &inputs.plan.tenants {
            if let Some(id) = &tenant.id {
                known.tenant_ids.insert(tenant.code.clone(), id.clone());
            }
            if let Some(credential) = &tenant.credential {
                // A credential of the run's from the start (the profile may spell it out).
                inputs.options.redact.add(credential.clone());
                known
                    .tenant_credentials
                    .insert(tenant.code.clone(), credential.clone());
            }
        }
        known
    }

    /// A tenant's code as the platform knows it: the one its create answered, else the world's.
    pub(crate) fn platform_tenant_code<'c>(&'c self, code: &'c str) -> &'c str {
        self.tenant_codes.get(code).map_or(code, String::as_str)
    }

    /// The `tenant` context of an account: the world's tenant, with the platform's identifier and the
    /// tenant's credential once known.
    pub(crate) fn tenant_ctx(&self, inputs: &Inputs<'_>, account: &PlannedAccount) -> Value {
        let mut tenant = inputs
            .plan
            .world
            .tenant(account.tenant_id)
            .map_or(Value::Null, |t| {
                serde_json::to_value(t).unwrap_or(Value::Null)
            });
        if let Value::Object(map) = &mut tenant {
            if let Some(id) = self.tenant_ids.get(&account.tenant) {
                map.insert("id".into(), id.clone().into());
            }
            if let Some(credential) = self.tenant_credentials.get(&account.tenant) {
                map.insert("credential".into(), credential.clone().into());
            }
            if let Some(code) = self.tenant_codes.get(&account.tenant) {
                map.insert("code".into(), code.clone().into());
            }
        }
        tenant
    }
}

/// The world's person of an account, as a template value (null when it has none).
pub(crate) fn person_value(inputs: &Inputs<'_>, account: &PlannedAccount) -> Value {
    account
        .person
        .and_then(|p| inputs.plan.person(p))
        .map_or(Value::Null, |p| {
            serde_json::to_value(p).unwrap_or(Value::Null)
        })
}

impl Inputs<'_> {
    /// The secrets as a template context.
    pub(crate) fn secrets_ctx(&self) -> Value {
        json!({ "secrets": self.secrets })
    }

    /// The operator's session (`[provisioning] operator`); a value that cannot be filled is the profile's
    /// fault.
    pub(crate) fn operator_session(
        &self,
        provisioning: &Provisioning,
    ) -> Result<Session, EngineError> {
        let mut operator =
            Session::new(&self.settings).map_err(|e| EngineError::Target(e.to_string()))?;
        let value = provisioning
            .operator
            .value
            .render(&self.secrets_ctx())
            .map_err(|e| {
                EngineError::Setup(
                    self.profile
                        .error_at(
                            &KeyPath::root("provisioning").key("operator"),
                            e.to_string(),
                        )
                        .to_string(),
                )
            })?;
        operator.credential = Credential {
            who: "the operator".into(),
            headers: vec![(provisioning.operator.name.clone(), value.clone())],
            basic: None,
            secrets: vec![value.clone()],
        };
        self.options.redact.add(value);
        Ok(operator)
    }
}

impl Blaming for Inputs<'_> {
    fn profile(&self) -> &Profile {
        self.profile
    }

    fn secrets_file(&self) -> Option<&super::blame::SecretsFile> {
        self.options.secrets_file.as_ref()
    }

    fn credentials(&self) -> &Secrets {
        &self.options.redact
    }
}

/// The setup phases, before any record exists.
pub(super) struct Setup<'s> {
    pub(super) inputs: &'s Inputs<'s>,
    pub(super) sink: &'s dyn Sink,
}

impl<'s> Setup<'s> {
    pub(super) fn new(inputs: &'s Inputs<'s>, sink: &'s dyn Sink) -> Self {
        Self { inputs, sink }
    }

    /// Wait for the profile's health check to answer 2xx, until the startup deadline (at least one try).
    pub(super) async fn wait_healthy(&self) -> Result<(), EngineError> {
        let inputs = self.inputs;
        let Some(health) = &inputs.profile.health else {
            return Ok(());
        };
        let session =
            Session::new(&inputs.settings).map_err(|e| EngineError::Target(e.to_string()))?;
        let ctx = inputs.secrets_ctx();
        let deadline = inputs.options.startup_deadline;
        let mut quick = inputs.settings.clone();
        quick.retry = RetryPolicy::none();
        // A target that is still starting refuses connections: not a sign of overload for the run's pace.
        quick.pacer = std::sync::Arc::new(crate::http::Pacer::new(1, quick.timeout, None));
        loop {
            match session.send(&quick, health, &ctx, None).await {
                Ok(ex) if (200..300).contains(&ex.observed.status) => return Ok(()),
                Err(SendError::Template(RenderError { key, error })) => {
                    return Err(EngineError::Setup(
                        inputs.profile.error_at(&key, error.to_string()).to_string(),
                    ));
                }
                Ok(ex) if Instant::now() > deadline => {
                    return Err(EngineError::Target(format!(
                        "the target is not healthy: {} answered {}",
                        ex.request.url, ex.observed.status
                    )));
                }
                Err(err) if Instant::now() > deadline => {
                    return Err(EngineError::Target(format!(
                        "the target never became healthy (--startup-timeout): {err}"
                    )));
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
    }

    /// `[[reset]]`: bring the platform back to a blank state before provisioning, call by call, with the
    /// operator credential when the profile has one. An answer the call does not accept stops the run
    /// before anything is created, blamed like any setup answer.
    pub(super) async fn reset(&self) -> Result<(), EngineError> {
        let inputs = self.inputs;
        if inputs.profile.reset.is_empty() {
            return Ok(());
        }
        let operator = inputs.profile.provisioning.is_some();
        let session = match &inputs.profile.provisioning {
            Some(provisioning) => inputs.operator_session(provisioning)?,
            None => {
                Session::new(&inputs.settings).map_err(|e| EngineError::Target(e.to_string()))?
            }
        };
        let ctx = inputs.secrets_ctx();
        for (i, endpoint) in inputs.profile.reset.iter().enumerate() {
            let ex = session
                .send(&inputs.settings, endpoint, &ctx, None)
                .await
                .map_err(|e| transport(&e, inputs.profile))?;
            let what = format!("resetting the target (reset[{i}])");
            if operator {
                inputs.operator_status(endpoint, &ex, &what)?;
            } else {
                inputs.setup_status(endpoint, &ex, &what)?;
            }
        }
        Ok(())
    }

    /// Provision tenants, identities and representations.
    pub(super) async fn provision(&self) -> Result<Provisioned, EngineError> {
        let mut provisioning = ProvisioningRun {
            inputs: self.inputs,
            sink: self.sink,
            made: Provisioned::known(self.inputs),
        };
        provisioning.run().await?;
        Ok(provisioning.made)
    }
}

/// Provisioning in progress: what it learnt so far.
struct ProvisioningRun<'s> {
    inputs: &'s Inputs<'s>,
    sink: &'s dyn Sink,
    made: Provisioned,
}

impl Blaming for ProvisioningRun<'_> {
    fn profile(&self) -> &Profile {
        self.inputs.profile
    }

    fn secrets_file(&self) -> Option<&super::blame::SecretsFile> {
        self.inputs.options.secrets_file.as_ref()
    }

    fn credentials(&self) -> &Secrets {
        &self.inputs.options.redact
    }
}

/// An identity created: its key, and the identifier and token its create's answer gave.
type Created = Result<(String, Option<String>, Option<String>), EngineError>;

impl ProvisioningRun<'_> {
    async fn run(&mut self) -> Result<(), EngineError> {
        let inputs = self.inputs;
        let profile = inputs.profile;
        let operator = match &profile.provisioning {
            Some(provisioning) => Some(inputs.operator_session(provisioning)?),
            None => None,
        };
        // Tenants of the run's identities (created only in modes `provision` and `register`).
        let mut tenants: Vec<_> = inputs.plan.accounts.iter().map(|a| a.tenant_id).collect();
        tenants.sort();
        tenants.dedup();
        let provision_tenant = profile
            .provisioning
            .as_ref()
            .and_then(|p| p.tenant.as_ref());
        if let (Some(endpoint), Some(operator)) = (provision_tenant, &operator) {
            self.provision_tenants(endpoint, operator, &tenants).await?;
        }
        if let Some(endpoint) = &profile.tenants.create {
            self.register_tenants(endpoint, &tenants).await?;
        }
        // Identities.
        let identity = profile
            .provisioning
            .as_ref()
            .and_then(|p| p.identity.as_ref());
        match (identity, &operator, &profile.accounts.register) {
            (Some(endpoint), Some(operator), _) => {
                self.identities(endpoint, operator, false).await?;
            }
            (None, _, Some(register)) => {
                self.identities(register, &inputs.anonymous, true).await?;
            }
            // Nothing creates identities (existing accounts): representations only.
            _ => {}
        }
        self.representations(operator.as_ref()).await
    }

    /// `[provisioning.tenant]`: each tenant created with the operator credential.
    async fn provision_tenants(
        &mut self,
        endpoint: &Endpoint,
        operator: &Session,
        tenants: &[cloison_generators::TenantId],
    ) -> Result<(), EngineError> {
        let inputs = self.inputs;
        self.sink.event(&Event::Phase {
            name: "tenants",
            steps: tenants.len(),
        });
        for tenant_id in tenants {
            let tenant = inputs
                .plan
                .world
                .tenant(*tenant_id)
                .map_or(Value::Null, |t| {
                    serde_json::to_value(t).unwrap_or(Value::Null)
                });
            let code = tenant["code"].as_str().unwrap_or_default().to_string();
            let ctx = json!({ "tenant": tenant, "secrets": inputs.secrets });
            let ex = operator
                .send(&inputs.settings, endpoint, &ctx, None)
                .await
                .map_err(|e| transport(&e, inputs.profile))?;
            self.operator_status(endpoint, &ex, "creating a tenant")?;
            if let Some(id) = extract(&ex, endpoint, "id") {
                self.made.tenant_ids.insert(code.clone(), id);
            }
            self.read_tenant_code(&ex, endpoint, &code, "creating a tenant")?;
            self.made.objects += 1;
            inputs.made(0, 0, 1);
            self.sink.event(&Event::Step);
        }
        self.sink.event(&Event::PhaseEnd);
        Ok(())
    }

    /// The identities cloison creates, through the operator or signed up anonymously (`anonymous`).
    async fn identities(
        &mut self,
        endpoint: &Endpoint,
        sender: &Session,
        anonymous: bool,
    ) -> Result<(), EngineError> {
        let inputs = self.inputs;
        let to_create: Vec<&PlannedAccount> = inputs
            .plan
            .accounts
            .iter()
            .filter(|a| a.provision)
            .collect();
        self.sink.event(&Event::Phase {
            name: "identities",
            steps: to_create.len(),
        });
        let this = &*self;
        let results: Vec<Created> = super::batch::until_failure(
            to_create,
            inputs.options.concurrency,
            |account| async move {
                let created = this.identity(endpoint, sender, anonymous, account).await;
                if created.is_ok() {
                    inputs.made(1, 0, 1);
                }
                this.sink.event(&Event::Step);
                created
            },
            Result::is_err,
        )
        .await;
        self.sink.event(&Event::PhaseEnd);
        for result in results {
            let (key, id, token) = result?;
            if let Some(id) = id {
                self.made.account_ids.insert(key.clone(), id);
            }
            if let Some(token) = token {
                self.made.account_tokens.insert(key, token);
            }
            self.made.objects += 1;
        }
        Ok(())
    }

    /// Create one identity: its key, and the identifier and token the answer gave.
    async fn identity(
        &self,
        endpoint: &Endpoint,
        sender: &Session,
        anonymous: bool,
        account: &PlannedAccount,
    ) -> Created {
        let inputs = self.inputs;
        let ctx = json!({
            "tenant": self.made.tenant_ctx(inputs, account),
            "identity": inputs.plan.identity_context(inputs.profile, account, None),
            "person": person_value(inputs, account),
            "secrets": inputs.secrets,
        });
        let what = if anonymous {
            format!("signing up identity {}", account.key)
        } else {
            format!("creating identity {}", account.key)
        };
        let ex = sender
            .send(&inputs.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| transport(&e, inputs.profile))?;
        if anonymous {
            self.setup_status(endpoint, &ex, &what)?;
        } else {
            self.operator_status(endpoint, &ex, &what)?;
        }
        let mut taken = Vec::new();
        for (name, expected) in [
            ("id", "the new identity's identifier"),
            ("token", "the new identity's token"),
        ] {
            if !endpoint.extract.iter().any(|(n, _)| n == name) {
                taken.push(None);
                continue;
            }
            let value = extract(&ex, endpoint, name).ok_or_else(|| {
                self.missing_in_answer(
                    &ex,
                    &endpoint.origin.key("extract").key(name),
                    &what,
                    expected,
                )
            })?;
            taken.push(Some(value));
        }
        let token = taken.pop().flatten();
        let id = taken.pop().flatten();
        // A credential from now on: redacted from any error that follows, this identity's or another's.
        inputs.options.redact.extend(token.iter().cloned());
        Ok((account.key.clone(), id, token))
    }

    /// `[tenants.create]`: each tenant created anonymously for its first identity (its administrator when
    /// it has one); the answer may give the tenant's identifier and credential.
    async fn register_tenants(
        &mut self,
        endpoint: &Endpoint,
        tenants: &[cloison_generators::TenantId],
    ) -> Result<(), EngineError> {
        let inputs = self.inputs;
        self.sink.event(&Event::Phase {
            name: "tenants",
            steps: tenants.len(),
        });
        for tenant_id in tenants {
            let members: Vec<&PlannedAccount> = inputs
                .plan
                .accounts
                .iter()
                .filter(|a| a.tenant_id == *tenant_id)
                .collect();
            let Some(first) = members
                .iter()
                .find(|a| a.role == "tenant_admin")
                .or(members.first())
                .copied()
            else {
                continue;
            };
            self.register_tenant(endpoint, first).await?;
            self.made.objects += 1;
            self.inputs.made(0, 0, 1);
            self.sink.event(&Event::Step);
        }
        self.sink.event(&Event::PhaseEnd);
        Ok(())
    }

    /// Create `first`'s tenant anonymously, with what the answer gives.
    async fn register_tenant(
        &mut self,
        endpoint: &Endpoint,
        first: &PlannedAccount,
    ) -> Result<(), EngineError> {
        let inputs = self.inputs;
        let ctx = json!({
            "tenant": self.made.tenant_ctx(inputs, first),
            "identity": inputs.plan.identity_context(inputs.profile, first, None),
            "person": person_value(inputs, first),
            "secrets": inputs.secrets,
        });
        let what = format!("creating tenant {} for {}", first.tenant, first.key);
        let ex = inputs
            .anonymous
            .send(&inputs.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| transport(&e, inputs.profile))?;
        self.setup_status(endpoint, &ex, &what)?;
        for (name, expected) in [
            ("id", "the new tenant's identifier"),
            ("credential", "the new tenant's credential"),
        ] {
            if !endpoint.extract.iter().any(|(n, _)| n == name) {
                continue;
            }
            let value = extract(&ex, endpoint, name).ok_or_else(|| {
                self.missing_in_answer(
                    &ex,
                    &endpoint.origin.key("extract").key(name),
                    &what,
                    expected,
                )
            })?;
            let map = if name == "id" {
                &mut self.made.tenant_ids
            } else {
                &mut self.made.tenant_credentials
            };
            if name != "id" {
                self.inputs.options.redact.add(value.clone());
            }
            map.insert(first.tenant.clone(), value);
        }
        self.read_tenant_code(&ex, endpoint, &first.tenant, &what)
    }

    /// `extract = { code = ... }` on a tenant's create: the code the platform gave the tenant (a slug of the
    /// one sent), used from then on wherever `{{tenant.code}}` is. Missing from the answer: the target's
    /// answer does not match the profile.
    fn read_tenant_code(
        &mut self,
        ex: &Exchange,
        endpoint: &Endpoint,
        world_code: &str,
        what: &str,
    ) -> Result<(), EngineError> {
        if !endpoint.extract.iter().any(|(n, _)| n == "code") {
            return Ok(());
        }
        let code = extract(ex, endpoint, "code").ok_or_else(|| {
            self.missing_in_answer(
                ex,
                &endpoint.origin.key("extract").key("code"),
                what,
                "the tenant's code as the platform keeps it",
            )
        })?;
        if code != world_code {
            self.made.tenant_codes.insert(world_code.to_string(), code);
        }
        Ok(())
    }

    /// Representations (and the end of those that ended before the world's reference date), created with
    /// the operator credential.
    async fn representations(&mut self, operator: Option<&Session>) -> Result<(), EngineError> {
        let inputs = self.inputs;
        let (Some(operator), Some(provisioning)) = (operator, &inputs.profile.provisioning) else {
            return Ok(());
        };
        let Some(endpoint) = &provisioning.representation else {
            return Ok(());
        };
        let mut created = 0;
        for bundle in inputs.plan.world.each_case() {
            for rep in &bundle.representations {
                let made = self
                    .representation(operator, provisioning, endpoint, rep)
                    .await?;
                inputs.made(0, 0, made);
                created += made;
            }
        }
        self.made.objects += created;
        Ok(())
    }

    /// One representation, and its end when it ended before the reference date: the objects created.
    async fn representation(
        &self,
        operator: &Session,
        provisioning: &Provisioning,
        endpoint: &Endpoint,
        rep: &cloison_generators::Representation,
    ) -> Result<usize, EngineError> {
        let inputs = self.inputs;
        let plan = inputs.plan;
        let Some(rep_key) = plan.person_account.get(&rep.representative_id) else {
            return Ok(0);
        };
        let Some(person_key) = plan.person_account.get(&rep.person_id) else {
            return Ok(0);
        };
        let (Some(rep_id), Some(person_id)) = (
            self.made.account_ids.get(rep_key),
            self.made.account_ids.get(person_key),
        ) else {
            return Ok(0);
        };
        let mut representation = serde_json::to_value(rep).unwrap_or(Value::Null);
        let ctx = json!({
            "tenant": plan.world.tenant(rep.tenant_id).map_or(Value::Null, |t| serde_json::to_value(t).unwrap_or(Value::Null)),
            "representation": representation,
            "representative": { "id": rep_id, "key": rep_key },
            "represented": { "id": person_id, "key": person_key },
            "secrets": inputs.secrets,
        });
        let ex = operator
            .send(&inputs.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| transport(&e, inputs.profile))?;
        self.operator_status(endpoint, &ex, "creating a representation")?;
        let reference = plan.world.config().reference_date;
        let ended = rep.end_date.is_some_and(|end| end <= reference);
        let Some(end) = provisioning.end_representation.as_ref().filter(|_| ended) else {
            return Ok(1);
        };
        if let (Value::Object(map), Some(id)) = (&mut representation, extract(&ex, endpoint, "id"))
        {
            map.insert("id".into(), id.into());
        }
        let mut ctx = ctx;
        ctx["representation"] = representation;
        let ex = operator
            .send(&inputs.settings, end, &ctx, None)
            .await
            .map_err(|e| transport(&e, inputs.profile))?;
        self.operator_status(end, &ex, "ending a representation")?;
        Ok(2)
    }
}
