//! Setup: provision tenants, identities and representations, and log every identity in.

use super::*;

impl Engine<'_> {
    pub(super) async fn provision(&mut self) -> Result<(), EngineError> {
        let profile = self.profile;
        // What the profile gives before any call (existing accounts and tenants), whatever the source:
        // `{{person.account_id}}`, `{{identity.id}}`, `{{tenant.id}}` and `{{tenant.credential}}`.
        for account in &self.plan.accounts {
            if let Some(id) = &account.known_id {
                self.account_ids.insert(account.key.clone(), id.clone());
            }
        }
        for tenant in &self.plan.tenants {
            if let Some(id) = &tenant.id {
                self.tenant_ids.insert(tenant.code.clone(), id.clone());
            }
            if let Some(credential) = &tenant.credential {
                self.tenant_credentials
                    .insert(tenant.code.clone(), credential.clone());
            }
        }
        let operator = match &self.profile.provisioning {
            Some(provisioning) => Some(self.operator_session(provisioning)?),
            None => None,
        };
        // Tenants of the run's identities (created only in modes `provision` and `register`).
        let mut tenants: Vec<_> = self.plan.accounts.iter().map(|a| a.tenant_id).collect();
        tenants.sort();
        tenants.dedup();
        let provision_tenant = profile
            .provisioning
            .as_ref()
            .and_then(|p| p.tenant.as_ref());
        if let (Some(endpoint), Some(operator)) = (provision_tenant, &operator) {
            let bar = self.bar(tenants.len(), "tenants");
            for tenant_id in &tenants {
                let tenant = self.plan.world.tenant(*tenant_id).map_or(Value::Null, |t| {
                    serde_json::to_value(t).unwrap_or(Value::Null)
                });
                let code = tenant["code"].as_str().unwrap_or_default().to_string();
                let ctx = json!({ "tenant": tenant, "secrets": self.secrets });
                let ex = operator
                    .send(&self.settings, endpoint, &ctx, None)
                    .await
                    .map_err(|e| transport(&e, self.profile))?;
                self.setup_status(endpoint, &ex, "creating a tenant")?;
                if let Some(id) = Self::extract(&ex, endpoint, "id") {
                    self.tenant_ids.insert(code.clone(), id);
                }
                self.read_tenant_code(&ex, endpoint, &code, "creating a tenant")?;
                self.objects += 1;
                bar.inc(1);
            }
            bar.finish_and_clear();
        }
        if let Some(endpoint) = &profile.tenants.create {
            self.register_tenants(endpoint, &tenants).await?;
        }
        // Identities.
        let to_create: Vec<&PlannedAccount> =
            self.plan.accounts.iter().filter(|a| a.provision).collect();
        let identity = profile
            .provisioning
            .as_ref()
            .and_then(|p| p.identity.as_ref());
        let (endpoint, sender, anonymous) = match (identity, &operator, &profile.accounts.register)
        {
            (Some(endpoint), Some(operator), _) => (endpoint, operator.clone(), false),
            (None, _, Some(register)) => (register, self.anonymous.clone(), true),
            // Nothing creates identities (existing accounts): representations only.
            _ => return self.representations(operator.as_ref()).await,
        };
        let bar = self.bar(to_create.len(), "identities");
        let this = &*self;
        type Created = Result<(String, Option<String>, Option<String>), EngineError>;
        let results: Vec<Created> = futures_util::stream::iter(to_create)
            .map(|account| {
                let sender = &sender;
                let bar = &bar;
                async move {
                    let person = account
                        .person
                        .and_then(|p| this.plan.world.persons().find(|x| x.id == p))
                        .map_or(Value::Null, |p| {
                            serde_json::to_value(p).unwrap_or(Value::Null)
                        });
                    let ctx = json!({
                        "tenant": this.tenant_ctx(account),
                        "identity": this.plan.identity_context(this.profile, account, None),
                        "person": person,
                        "secrets": this.secrets,
                    });
                    let what = if anonymous {
                        format!("signing up identity {}", account.key)
                    } else {
                        format!("creating identity {}", account.key)
                    };
                    let ex = sender
                        .send(&this.settings, endpoint, &ctx, None)
                        .await
                        .map_err(|e| transport(&e, this.profile))?;
                    this.setup_status(endpoint, &ex, &what)?;
                    let mut taken = Vec::new();
                    for (name, expected) in [
                        ("id", "the new identity's identifier"),
                        ("token", "the new identity's token"),
                    ] {
                        if !endpoint.extract.iter().any(|(n, _)| n == name) {
                            taken.push(None);
                            continue;
                        }
                        let value = Self::extract(&ex, endpoint, name).ok_or_else(|| {
                            this.missing_in_answer(
                                &ex,
                                &endpoint.origin.key("extract").key(name),
                                &what,
                                expected,
                            )
                        })?;
                        taken.push(Some(value));
                    }
                    bar.inc(1);
                    let token = taken.pop().flatten();
                    let id = taken.pop().flatten();
                    Ok((account.key.clone(), id, token))
                }
            })
            .buffer_unordered(self.options.concurrency)
            .collect()
            .await;
        bar.finish_and_clear();
        for result in results {
            let (key, id, token) = result?;
            if let Some(id) = id {
                self.account_ids.insert(key.clone(), id);
            }
            if let Some(token) = token {
                self.account_tokens.insert(key, token);
            }
            self.objects += 1;
        }
        self.representations(operator.as_ref()).await
    }

    /// The operator's session (`[provisioning] operator`); a value that cannot be filled is the profile's
    /// fault.
    /// `[[reset]]`: bring the platform back to a blank state before provisioning, call by call, with the
    /// operator credential when the profile has one. An answer the call does not accept stops the run
    /// before anything is created, blamed like any setup answer.
    pub(super) async fn reset(&mut self) -> Result<(), EngineError> {
        if self.profile.reset.is_empty() {
            return Ok(());
        }
        let session = match &self.profile.provisioning {
            Some(provisioning) => self.operator_session(provisioning)?,
            None => Session::new(&self.settings).map_err(|e| EngineError::Target(e.to_string()))?,
        };
        let ctx = self.secrets_ctx();
        for (i, endpoint) in self.profile.reset.iter().enumerate() {
            let ex = session
                .send(&self.settings, endpoint, &ctx, None)
                .await
                .map_err(|e| transport(&e, self.profile))?;
            self.setup_status(endpoint, &ex, &format!("resetting the target (reset[{i}])"))?;
        }
        Ok(())
    }

    fn operator_session(
        &self,
        provisioning: &crate::profile::Provisioning,
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
                            &crate::profile::KeyPath::root("provisioning").key("operator"),
                            e.to_string(),
                        )
                        .to_string(),
                )
            })?;
        operator.credential = Credential {
            who: "the operator".into(),
            headers: vec![(provisioning.operator.name.clone(), value.clone())],
            basic: None,
            secrets: vec![value],
        };
        Ok(operator)
    }

    /// `[tenants.create]`: each tenant created anonymously for its first identity (its administrator when
    /// it has one); the answer may give the tenant's identifier and credential.
    async fn register_tenants(
        &mut self,
        endpoint: &Endpoint,
        tenants: &[cloison_generators::TenantId],
    ) -> Result<(), EngineError> {
        let bar = self.bar(tenants.len(), "tenants");
        for tenant_id in tenants {
            let members: Vec<&PlannedAccount> = self
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
            let person = first
                .person
                .and_then(|p| self.plan.world.persons().find(|x| x.id == p))
                .map_or(Value::Null, |p| {
                    serde_json::to_value(p).unwrap_or(Value::Null)
                });
            let ctx = json!({
                "tenant": self.tenant_ctx(first),
                "identity": self.plan.identity_context(self.profile, first, None),
                "person": person,
                "secrets": self.secrets,
            });
            let what = format!("creating tenant {} for {}", first.tenant, first.key);
            let ex = self
                .anonymous
                .send(&self.settings, endpoint, &ctx, None)
                .await
                .map_err(|e| transport(&e, self.profile))?;
            self.setup_status(endpoint, &ex, &what)?;
            for (name, expected) in [
                ("id", "the new tenant's identifier"),
                ("credential", "the new tenant's credential"),
            ] {
                if !endpoint.extract.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let value = Self::extract(&ex, endpoint, name).ok_or_else(|| {
                    self.missing_in_answer(
                        &ex,
                        &endpoint.origin.key("extract").key(name),
                        &what,
                        expected,
                    )
                })?;
                let map = if name == "id" {
                    &mut self.tenant_ids
                } else {
                    &mut self.tenant_credentials
                };
                map.insert(first.tenant.clone(), value);
            }
            self.read_tenant_code(&ex, endpoint, &first.tenant, &what)?;
            self.objects += 1;
            bar.inc(1);
        }
        bar.finish_and_clear();
        Ok(())
    }

    /// `extract = { code = ... }` on a tenant's create: the code the platform gave the tenant (a slug of the
    /// one sent), used from then on wherever `{{tenant.code}}` is. Missing from the answer: the target's
    /// answer does not match the profile.
    fn read_tenant_code(
        &mut self,
        ex: &crate::http::Exchange,
        endpoint: &Endpoint,
        world_code: &str,
        what: &str,
    ) -> Result<(), EngineError> {
        if !endpoint.extract.iter().any(|(n, _)| n == "code") {
            return Ok(());
        }
        let code = Self::extract(ex, endpoint, "code").ok_or_else(|| {
            self.missing_in_answer(
                ex,
                &endpoint.origin.key("extract").key("code"),
                what,
                "the tenant's code as the platform keeps it",
            )
        })?;
        if code != world_code {
            self.tenant_codes.insert(world_code.to_string(), code);
        }
        Ok(())
    }

    /// Representations (and the end of those that ended before the world's reference date), created with
    /// the operator credential.
    async fn representations(&mut self, operator: Option<&Session>) -> Result<(), EngineError> {
        let (Some(operator), Some(provisioning)) = (operator, &self.profile.provisioning) else {
            return Ok(());
        };
        if let Some(endpoint) = &provisioning.representation {
            let reference = self.plan.world.config().reference_date;
            let mut created = 0;
            for bundle in &self.plan.world.cases {
                for rep in &bundle.representations {
                    let Some(rep_key) = self.plan.person_account.get(&rep.representative_id) else {
                        continue;
                    };
                    let Some(person_key) = self.plan.person_account.get(&rep.person_id) else {
                        continue;
                    };
                    let (Some(rep_id), Some(person_id)) = (
                        self.account_ids.get(rep_key),
                        self.account_ids.get(person_key),
                    ) else {
                        continue;
                    };
                    let mut representation = serde_json::to_value(rep).unwrap_or(Value::Null);
                    let ctx = json!({
                        "tenant": self.plan.world.tenant(rep.tenant_id).map_or(Value::Null, |t| serde_json::to_value(t).unwrap_or(Value::Null)),
                        "representation": representation,
                        "representative": { "id": rep_id, "key": rep_key },
                        "represented": { "id": person_id, "key": person_key },
                        "secrets": self.secrets,
                    });
                    let ex = operator
                        .send(&self.settings, endpoint, &ctx, None)
                        .await
                        .map_err(|e| transport(&e, self.profile))?;
                    self.setup_status(endpoint, &ex, "creating a representation")?;
                    created += 1;
                    let ended = rep.end_date.is_some_and(|end| end <= reference);
                    if ended && let Some(end) = &provisioning.end_representation {
                        if let (Value::Object(map), Some(id)) =
                            (&mut representation, Self::extract(&ex, endpoint, "id"))
                        {
                            map.insert("id".into(), id.into());
                        }
                        let mut ctx = ctx;
                        ctx["representation"] = representation;
                        let ex = operator
                            .send(&self.settings, end, &ctx, None)
                            .await
                            .map_err(|e| transport(&e, self.profile))?;
                        self.setup_status(end, &ex, "ending a representation")?;
                        created += 1;
                    }
                }
            }
            self.objects += created;
        }
        Ok(())
    }

    pub(super) async fn login_all(&mut self) -> Result<(), EngineError> {
        let bar = self.bar(self.plan.accounts.len(), "logins");
        let this = &*self;
        let results: Vec<LoginResult> = futures_util::stream::iter(&self.plan.accounts)
            .map(|account| {
                let bar = &bar;
                async move {
                    let result = this.login(account).await;
                    bar.inc(1);
                    result.map(|(session, id)| (account.key.clone(), session, id))
                }
            })
            .buffer_unordered(self.options.concurrency)
            .collect()
            .await;
        bar.finish_and_clear();
        for result in results {
            let (key, session, id) = result?;
            if let Some(id) = id {
                self.account_ids.entry(key.clone()).or_insert(id);
            }
            self.set_session(key, session);
        }
        Ok(())
    }

    pub(super) async fn login(
        &self,
        account: &PlannedAccount,
    ) -> Result<(Session, Option<String>), EngineError> {
        self.login_traced(account)
            .await
            .map(|(session, id, _)| (session, id))
    }

    /// [`Engine::login`], with the login call's exchange (none for schemes without one).
    pub(super) async fn login_traced(
        &self,
        account: &PlannedAccount,
    ) -> Result<(Session, Option<String>, Option<Exchange>), EngineError> {
        let auth = &self.profile.auth;
        let mut exchange = None;
        let mut session =
            Session::new(&self.settings).map_err(|e| EngineError::Target(e.to_string()))?;
        let mut identity = self.plan.identity_context(
            self.profile,
            account,
            self.account_ids.get(&account.key).map(String::as_str),
        );
        let mut secrets = vec![account.password.clone()];
        secrets.extend(account.token.clone());
        // The token the sign-up answer gave, and the tenant's credential: credentials like the others.
        if let Some(token) = self.account_tokens.get(&account.key) {
            identity["token"] = token.clone().into();
            secrets.push(token.clone());
        }
        secrets.extend(self.tenant_credentials.get(&account.tenant).cloned());
        let mut id = None;
        let mut token = None;
        let mut cookie = None;
        if let Some(login) = &auth.login {
            let ctx = json!({ "tenant": self.tenant_ctx(account), "identity": identity, "secrets": self.secrets });
            let ex = session
                .send(&self.settings, login, &ctx, None)
                .await
                .map_err(|e| EngineError::Target(e.to_string()))?;
            self.setup_status(login, &ex, &format!("logging in as {}", account.login))?;
            id = Self::extract(&ex, login, "id");
            exchange = Some(ex.clone());
            if auth.scheme == AuthScheme::Cookie {
                // The session cookies the login sets are the identity's credential, sent per request.
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
                        self.profile
                            .error_at(
                                &crate::profile::KeyPath::root("auth").key("scheme"),
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
                cookie = Some(("Cookie".to_string(), pairs.join("; ")));
            }
            if let Some(source) = &auth.token {
                // A login response without the token the profile points at: the profile does not fit,
                // unless the target answered nothing or the request itself.
                let no_token = |what: &str| {
                    if blame::unusable_answer(&ex).is_some() {
                        return self.missing_in_answer(
                            &ex,
                            &crate::profile::KeyPath::root("auth").key("token"),
                            &format!("logging in as {}", account.login),
                            "the session token",
                        );
                    }
                    EngineError::Setup(
                        self.profile
                            .error_at(
                                &crate::profile::KeyPath::root("auth").key("token"),
                                format!("the login response of {} has {what}", account.login),
                            )
                            .to_string(),
                    )
                };
                token = Some(match source {
                    TokenSource::Json(pointer) => ex
                        .json()
                        .and_then(|j| {
                            j.pointer(pointer)
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .ok_or_else(|| no_token("no token there"))?,
                    TokenSource::Header(name) => ex
                        .observed
                        .headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| no_token(&format!("no {name} header")))?,
                });
            }
        }
        // The session cookie (scheme `cookie`), then every header of `auth.send` (a CSRF token beside the
        // cookie, an API key beside a bearer token).
        let mut headers: Vec<(String, String)> = cookie.into_iter().collect();
        if !auth.send.is_empty() {
            let ctx = json!({ "tenant": self.tenant_ctx(account), "identity": identity, "token": token, "secrets": self.secrets });
            for send in &auth.send {
                let value = send.value.render(&ctx).map_err(|e| {
                    EngineError::Setup(format!(
                        "{}",
                        self.profile.error_at(
                            &crate::profile::KeyPath::root("auth").key("send"),
                            e.to_string()
                        )
                    ))
                })?;
                secrets.push(value.clone());
                headers.push((send.name.clone(), value));
            }
        }
        secrets.extend(token);
        session.credential = Credential {
            who: account.login.clone(),
            headers,
            basic: (auth.scheme == AuthScheme::Basic)
                .then(|| (account.login.clone(), account.password.clone())),
            secrets,
        };
        Ok((session, id, exchange))
    }
}
