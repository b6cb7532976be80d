//! Setup: provision tenants, identities and representations, and log every identity in.

use super::*;

impl Engine<'_> {
    /// A session with the operator credential of `[provisioning]`, if the profile has one.
    fn operator_session(&self) -> Result<Option<Session>, EngineError> {
        let Some(provisioning) = &self.profile.provisioning else {
            return Ok(None);
        };
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
            header: Some((provisioning.operator.name.clone(), value.clone())),
            basic: None,
            secrets: vec![value],
        };
        Ok(Some(operator))
    }

    /// `[[reset]]`: bring the platform back to a blank state before provisioning, call by call, with the
    /// operator credential when the profile has one. An answer the call does not accept stops the run
    /// before anything is created, blamed like any setup answer.
    pub(super) async fn reset(&mut self) -> Result<(), EngineError> {
        if self.profile.reset.is_empty() {
            return Ok(());
        }
        let session = match self.operator_session()? {
            Some(operator) => operator,
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

    pub(super) async fn provision(&mut self) -> Result<(), EngineError> {
        let Some(provisioning) = &self.profile.provisioning else {
            return Ok(());
        };
        let Some(operator) = self.operator_session()? else {
            return Ok(());
        };
        // Tenants of the accounts to provision.
        let mut tenants: Vec<_> = self
            .plan
            .accounts
            .iter()
            .filter(|a| a.provision)
            .map(|a| a.tenant_id)
            .collect();
        tenants.sort();
        tenants.dedup();
        let bar = self.bar(tenants.len(), "tenants");
        for tenant_id in tenants {
            let tenant = self.plan.world.tenant(tenant_id).map_or(Value::Null, |t| {
                serde_json::to_value(t).unwrap_or(Value::Null)
            });
            let ctx = json!({ "tenant": tenant, "secrets": self.secrets });
            let ex = operator
                .send(&self.settings, &provisioning.tenant, &ctx, None)
                .await
                .map_err(|e| transport(&e, self.profile))?;
            self.setup_status(&provisioning.tenant, &ex, "creating a tenant")?;
            self.objects += 1;
            bar.inc(1);
        }
        bar.finish_and_clear();
        // Identities.
        let to_create: Vec<&PlannedAccount> =
            self.plan.accounts.iter().filter(|a| a.provision).collect();
        let bar = self.bar(to_create.len(), "identities");
        let this = &*self;
        let results: Vec<Result<(String, String), EngineError>> =
            futures_util::stream::iter(to_create)
                .map(|account| {
                    let operator = &operator;
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
                        let ex = operator
                            .send(&this.settings, &provisioning.identity, &ctx, None)
                            .await
                            .map_err(|e| EngineError::Target(e.to_string()))?;
                        this.setup_status(
                            &provisioning.identity,
                            &ex,
                            &format!("creating identity {}", account.key),
                        )?;
                        let id =
                            Self::extract(&ex, &provisioning.identity, "id").ok_or_else(|| {
                                this.missing_in_answer(
                                    &ex,
                                    &provisioning.identity.origin.key("extract").key("id"),
                                    &format!("creating identity {}", account.key),
                                    "the new identity's identifier",
                                )
                            })?;
                        bar.inc(1);
                        Ok((account.key.clone(), id))
                    }
                })
                .buffer_unordered(self.options.concurrency)
                .collect()
                .await;
        bar.finish_and_clear();
        for result in results {
            let (key, id) = result?;
            self.account_ids.insert(key, id);
            self.objects += 1;
        }
        for account in &self.plan.accounts {
            if let Some(id) = &account.known_id {
                self.account_ids
                    .entry(account.key.clone())
                    .or_insert_with(|| id.clone());
            }
        }
        // Representations (and the end of those that ended before the world's reference date).
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
        let identity = self.plan.identity_context(
            self.profile,
            account,
            self.account_ids.get(&account.key).map(String::as_str),
        );
        let mut secrets = vec![account.password.clone()];
        secrets.extend(account.token.clone());
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
        let header = match &auth.send {
            Some(send) => {
                let ctx = json!({ "identity": identity, "token": token, "secrets": self.secrets });
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
                Some((send.name.clone(), value))
            }
            None => cookie,
        };
        secrets.extend(token);
        session.credential = Credential {
            who: account.login.clone(),
            header,
            basic: (auth.scheme == AuthScheme::Basic)
                .then(|| (account.login.clone(), account.password.clone())),
            secrets,
        };
        Ok((session, id, exchange))
    }
}
