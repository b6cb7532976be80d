//! The engine of a run: provision the plan's tenants and identities, log every identity in, seed the
//! world's records, read each record back as its owner (controls), then send the probes and judge every
//! response by its data.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::time::Instant;

use cloison_suites::{Probe, RecordKind};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::http::{Credential, Exchange, HttpError, HttpSettings, Session};
use crate::oracle::{self, CanaryScanner, Verdict};
use crate::plan::{Plan, PlannedAccount, record_contexts};
use crate::profile::{Actor, AuthScheme, Endpoint, Profile, TokenSource};
use crate::report::{Evidence, Finding, Party, Stats};

/// Why a run stopped before judging.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The profile does not fit the platform or the world (exit 2).
    #[error("{0}")]
    Setup(String),
    /// The target failed (exit 3).
    #[error("{0}")]
    Target(String),
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Show progress bars (only drawn on a terminal).
    pub progress: bool,
    /// How long to wait for the health check.
    pub startup_timeout: std::time::Duration,
}

/// What the engine found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, in a deterministic order.
    pub findings: Vec<Finding>,
    /// Target failures met while probing.
    pub failures: Vec<String>,
    /// Counts and rates.
    pub stats: Stats,
}

/// A run in progress.
pub struct Engine<'a> {
    profile: &'a Profile,
    plan: &'a Plan,
    settings: HttpSettings,
    secrets: Value,
    scanner: &'a dyn CanaryScanner,
    options: EngineOptions,
    account_ids: HashMap<String, String>,
    sessions: HashMap<String, Session>,
    record_ids: HashMap<String, String>,
    contexts: BTreeMap<String, Value>,
    findings: Vec<(String, Finding)>,
    objects: usize,
}

/// An identity's key, session and (when the login names it) platform identifier.
type LoginResult = Result<(String, Session, Option<String>), EngineError>;

/// What happened to one request of a phase.
enum Step {
    Done {
        key: String,
        id: Option<String>,
        finding: Option<Box<Finding>>,
    },
    Stopped(EngineError),
}

fn transport(err: &HttpError, profile: &Profile) -> EngineError {
    match err {
        HttpError::Template { key, error } => {
            EngineError::Setup(profile.error_at(key, error.to_string()).to_string())
        }
        HttpError::Transport { .. } => {
            EngineError::Target(format!("the target stopped answering: {err}"))
        }
    }
}

impl<'a> Engine<'a> {
    /// A new engine over a plan; `secrets` is the object behind `{{secrets.*}}`.
    pub fn new(
        profile: &'a Profile,
        plan: &'a Plan,
        settings: HttpSettings,
        secrets: Value,
        scanner: &'a dyn CanaryScanner,
        options: EngineOptions,
    ) -> Self {
        let contexts = record_contexts(&plan.world, &plan.person_account);
        Self {
            profile,
            plan,
            settings,
            secrets,
            scanner,
            options,
            account_ids: HashMap::new(),
            sessions: HashMap::new(),
            record_ids: HashMap::new(),
            contexts,
            findings: Vec::new(),
            objects: 0,
        }
    }

    fn bar(&self, len: usize, what: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
        if !self.options.progress || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(what.to_string());
        bar
    }

    /// Run everything: provision, log in, seed, controls, probes.
    pub async fn run(
        mut self,
        probes: Vec<Probe>,
        controls: Vec<Probe>,
        writes: Vec<Probe>,
    ) -> Result<Outcome, EngineError> {
        let seeding = Instant::now();
        let mut phases = Vec::new();
        let mut lap = Instant::now();
        let mut mark = |name: &str, phases: &mut Vec<(String, f64)>| {
            phases.push((name.to_string(), lap.elapsed().as_secs_f64()));
            lap = Instant::now();
        };
        self.wait_healthy().await?;
        mark("health", &mut phases);
        self.provision().await?;
        mark("provision", &mut phases);
        self.login_all().await?;
        mark("login", &mut phases);
        self.seed().await?;
        mark("seed", &mut phases);
        let seed_seconds = seeding.elapsed().as_secs_f64();
        let probing = Instant::now();
        let mut failures = Vec::new();
        let control_failures = self.execute(&controls, true).await;
        failures.extend(control_failures);
        let probe_failures = self.execute(&probes, false).await;
        failures.extend(probe_failures);
        let probe_seconds = probing.elapsed().as_secs_f64();
        // Writes come last: they change the target's data.
        let writes = if self.profile.endpoint(RecordKind::Case, "update").is_some() {
            writes
        } else {
            Vec::new()
        };
        let write_failures = self.execute_writes(&writes).await;
        failures.extend(write_failures);
        mark("writes", &mut phases);
        let mut findings = std::mem::take(&mut self.findings);
        findings.sort_by(|a, b| a.0.cmp(&b.0));
        let sent = probes.len() + controls.len();
        let stats = Stats {
            identities: self.sessions.len(),
            records_seeded: self.record_ids.len(),
            objects_created: self.objects,
            seed_seconds,
            seed_rate: self.objects as f64 / seed_seconds.max(1e-9),
            controls: controls.len(),
            probes: probes.len(),
            probe_seconds,
            probe_rate: sent as f64 / probe_seconds.max(1e-9),
            writes: writes.len(),
            phases,
        };
        Ok(Outcome {
            findings: findings.into_iter().map(|(_, f)| f).collect(),
            failures,
            stats,
        })
    }

    async fn wait_healthy(&self) -> Result<(), EngineError> {
        let Some(health) = &self.profile.health else {
            return Ok(());
        };
        let session =
            Session::new(&self.settings, false).map_err(|e| EngineError::Target(e.to_string()))?;
        let ctx = json!({ "secrets": self.secrets });
        let deadline = Instant::now() + self.options.startup_timeout;
        let mut quick = self.settings.clone();
        quick.retries = 0;
        loop {
            match session.send(&quick, health, &ctx, None).await {
                Ok(ex) if (200..300).contains(&ex.observed.status) => return Ok(()),
                Err(HttpError::Template { key, error }) => {
                    return Err(EngineError::Setup(
                        self.profile.error_at(&key, error.to_string()).to_string(),
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
                        "the target never became healthy ({:?}): {err}",
                        self.options.startup_timeout
                    )));
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
    }

    fn secrets_ctx(&self) -> Value {
        json!({ "secrets": self.secrets })
    }

    fn tenant_ctx(&self, account: &PlannedAccount) -> Value {
        self.plan
            .world
            .tenant(account.tenant_id)
            .map_or(Value::Null, |t| {
                serde_json::to_value(t).unwrap_or(Value::Null)
            })
    }

    /// Check a setup response: 2xx (or the endpoint's `ok`) passes; 5xx is a target failure; anything
    /// else means the profile does not fit the platform.
    fn setup_status(
        &self,
        endpoint: &Endpoint,
        ex: &Exchange,
        what: &str,
    ) -> Result<(), EngineError> {
        let status = ex.observed.status;
        if endpoint.is_ok(status) {
            return Ok(());
        }
        let excerpt = ex.excerpt(300, &[]);
        let message = format!(
            "{what}: {} {} answered {status}: {excerpt}",
            ex.request.method, ex.request.url
        );
        if status >= 500 {
            Err(EngineError::Target(message))
        } else {
            Err(EngineError::Setup(
                self.profile.error_at(&endpoint.origin, message).to_string(),
            ))
        }
    }

    fn extract(ex: &Exchange, endpoint: &Endpoint, name: &str) -> Option<String> {
        let pointer = endpoint
            .extract
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_str())?;
        let json = ex.json()?;
        match json.pointer(pointer)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    async fn provision(&mut self) -> Result<(), EngineError> {
        let Some(provisioning) = &self.profile.provisioning else {
            return Ok(());
        };
        let mut operator =
            Session::new(&self.settings, false).map_err(|e| EngineError::Target(e.to_string()))?;
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
                                EngineError::Setup(format!(
                            "{}",
                            this.profile.error_at(
                                &provisioning.identity.origin.key("extract").key("id"),
                                format!(
                                    "the response to creating {} has no identifier there: {}",
                                    account.key,
                                    ex.excerpt(200, &[])
                                )
                            )
                        ))
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

    async fn login_all(&mut self) -> Result<(), EngineError> {
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
            self.sessions.insert(key, session);
        }
        Ok(())
    }

    async fn login(
        &self,
        account: &PlannedAccount,
    ) -> Result<(Session, Option<String>), EngineError> {
        let auth = &self.profile.auth;
        let mut session = Session::new(&self.settings, auth.scheme == AuthScheme::Cookie)
            .map_err(|e| EngineError::Target(e.to_string()))?;
        let identity = self.plan.identity_context(
            self.profile,
            account,
            self.account_ids.get(&account.key).map(String::as_str),
        );
        let mut secrets = vec![account.password.clone()];
        secrets.extend(account.token.clone());
        let mut id = None;
        let mut token = None;
        if let Some(login) = &auth.login {
            let ctx = json!({ "tenant": self.tenant_ctx(account), "identity": identity, "secrets": self.secrets });
            let ex = session
                .send(&self.settings, login, &ctx, None)
                .await
                .map_err(|e| EngineError::Target(e.to_string()))?;
            self.setup_status(login, &ex, &format!("logging in as {}", account.login))?;
            id = Self::extract(&ex, login, "id");
            if let Some(source) = &auth.token {
                token = Some(match source {
                    TokenSource::Json(pointer) => ex
                        .json()
                        .and_then(|j| {
                            j.pointer(pointer)
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .ok_or_else(|| {
                            EngineError::Setup(format!(
                                "{}",
                                self.profile.error_at(
                                    &crate::profile::KeyPath::root("auth").key("token"),
                                    format!(
                                        "the login response of {} has no token there",
                                        account.login
                                    )
                                )
                            ))
                        })?,
                    TokenSource::Header(name) => ex
                        .observed
                        .headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| {
                            EngineError::Setup(format!(
                                "{}",
                                self.profile.error_at(
                                    &crate::profile::KeyPath::root("auth").key("token"),
                                    format!(
                                        "the login response of {} has no {name} header",
                                        account.login
                                    )
                                )
                            ))
                        })?,
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
            None => None,
        };
        secrets.extend(token);
        session.credential = Credential {
            who: account.login.clone(),
            header,
            basic: (auth.scheme == AuthScheme::Basic)
                .then(|| (account.login.clone(), account.password.clone())),
            secrets,
        };
        Ok((session, id))
    }

    /// The identity that creates a record: its person's own account, unless that is a holder account and
    /// an active representative can act for them; or an agent of its tenant.
    fn creator(&self, record_key: &str, actor: Actor) -> Option<String> {
        let record = self.plan.population.record(record_key)?;
        match actor {
            Actor::Owner => {
                let own = self.plan.population.owners_of(record).next();
                let representative = self.plan.population.identities().iter().find(|i| {
                    i.represents.contains(&record.person) && self.sessions.contains_key(&i.key)
                });
                match (own, representative) {
                    (Some(own), Some(rep)) if own.key.starts_with("holder-") => {
                        Some(rep.key.clone())
                    }
                    (Some(own), _) => Some(own.key.clone()),
                    (None, Some(rep)) => Some(rep.key.clone()),
                    (None, None) => None,
                }
            }
            Actor::Agent => self
                .plan
                .population
                .identities()
                .iter()
                .find(|i| i.role == "agent" && i.tenant == record.tenant)
                .map(|i| i.key.clone()),
        }
    }

    /// The template context of a record for an identity, with every identifier learnt so far.
    fn record_ctx(&self, record_key: &str, actor: &str) -> Value {
        let mut ctx = self
            .contexts
            .get(record_key)
            .cloned()
            .unwrap_or_else(|| json!({}));
        let record = self.plan.population.record(record_key);
        if let Some(record) = record {
            if let Some(id) = self.record_ids.get(&record.case) {
                ctx["case"]["id"] = id.clone().into();
            }
            if let Some(id) = self.record_ids.get(record_key) {
                let root = record.kind.name();
                ctx[root]["id"] = id.clone().into();
            }
            let owner = self.plan.population.owners_of(record).next();
            if let Some(id) = owner.and_then(|o| self.account_ids.get(&o.key)) {
                ctx["person"]["account_id"] = id.clone().into();
            }
        }
        if let Some(account) = self.plan.account(actor) {
            ctx["identity"] = self.plan.identity_context(
                self.profile,
                account,
                self.account_ids.get(actor).map(String::as_str),
            );
        }
        ctx["secrets"] = self.secrets.clone();
        ctx
    }

    async fn seed(&mut self) -> Result<(), EngineError> {
        for kind in [
            RecordKind::Case,
            RecordKind::Document,
            RecordKind::Note,
            RecordKind::Decision,
        ] {
            let Some(endpoint) = self.profile.endpoint(kind, "create") else {
                continue;
            };
            let actor = endpoint.actor.unwrap_or(Actor::Owner);
            let records: Vec<String> = self
                .plan
                .population
                .records()
                .iter()
                .filter(|r| {
                    r.kind == kind
                        && (kind == RecordKind::Case || self.record_ids.contains_key(&r.case))
                })
                .map(|r| r.key.clone())
                .collect();
            let bar = self.bar(records.len(), kind.name());
            let this = &*self;
            let results: Vec<Step> = futures_util::stream::iter(records)
                .map(|key| {
                    let bar = &bar;
                    async move {
                        let step = this.create(&key, kind, endpoint, actor).await;
                        bar.inc(1);
                        step
                    }
                })
                .buffer_unordered(self.options.concurrency)
                .collect()
                .await;
            bar.finish_and_clear();
            for step in results {
                match step {
                    Step::Done { key, id, finding } => {
                        if let Some(id) = id {
                            self.record_ids.insert(key.clone(), id);
                        }
                        if let Some(finding) = finding {
                            self.findings.push((format!("0-seed/{key}"), *finding));
                        }
                        self.objects += 1;
                    }
                    Step::Stopped(err) => return Err(err),
                }
            }
        }
        Ok(())
    }

    async fn create(&self, key: &str, kind: RecordKind, endpoint: &Endpoint, actor: Actor) -> Step {
        let Some(creator) = self.creator(key, actor) else {
            return Step::Stopped(EngineError::Setup(format!(
                "no identity can create {key} ({})",
                kind.name()
            )));
        };
        let Some(session) = self.sessions.get(&creator) else {
            return Step::Stopped(EngineError::Setup(format!("{creator} has no session")));
        };
        let ctx = self.record_ctx(key, &creator);
        let bytes = match (
            kind,
            key.strip_prefix("document-")
                .and_then(|n| n.parse::<u64>().ok()),
        ) {
            (RecordKind::Document, Some(n)) => self
                .plan
                .world
                .documents()
                .find(|d| d.id.0 == n)
                .map(|d| self.plan.world.document_bytes(d)),
            _ => None,
        };
        let ex = match session
            .send(&self.settings, endpoint, &ctx, bytes.as_deref())
            .await
        {
            Ok(ex) => ex,
            Err(err @ HttpError::Template { .. }) => {
                return Step::Stopped(EngineError::Setup(format!(
                    "{}",
                    transport(&err, self.profile)
                )));
            }
            Err(err) => {
                return Step::Stopped(EngineError::Target(format!(
                    "the target stopped answering while seeding: {err}"
                )));
            }
        };
        if let Err(message) =
            self.setup_status(endpoint, &ex, &format!("creating {key} as {creator}"))
        {
            return Step::Stopped(message);
        }
        let finding = self.judge_allowed(&creator, &ex, "seeding", key);
        let Some(id) = Self::extract(&ex, endpoint, "id") else {
            return Step::Stopped(EngineError::Setup(format!(
                "{}",
                self.profile.error_at(
                    &endpoint.origin.key("extract").key("id"),
                    format!(
                        "the response to creating {key} has no identifier there: {}",
                        ex.excerpt(200, &[])
                    )
                )
            )));
        };
        Step::Done {
            key: key.to_string(),
            id: Some(id),
            finding: finding.map(Box::new),
        }
    }

    /// Scan a response to an allowed request: foreign data in it is still a leak.
    fn judge_allowed(
        &self,
        actor_key: &str,
        ex: &Exchange,
        family: &str,
        record: &str,
    ) -> Option<Finding> {
        let actor = self.plan.population.identity(actor_key)?;
        let hits = oracle::scan_response(self.scanner, &ex.observed);
        let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
        if foreign.is_empty() {
            return None;
        }
        Some(self.finding(
            actor_key,
            Some(record),
            family,
            "response",
            Evidence::ProvenLeak,
            ex,
            foreign,
            "foreign data in the response to an allowed request".into(),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        actor_key: &str,
        record: Option<&str>,
        family: &str,
        what: &str,
        evidence: Evidence,
        ex: &Exchange,
        leaked: Vec<oracle::Hit>,
        explanation: String,
    ) -> Finding {
        let party = |key: &str| {
            self.plan.population.identity(key).map(|i| Party {
                identity: i.key.clone(),
                role: i.role.clone(),
                tenant: i.tenant.clone(),
            })
        };
        let actor = party(actor_key).unwrap_or(Party {
            identity: actor_key.into(),
            role: String::new(),
            tenant: String::new(),
        });
        let victim = record
            .and_then(|r| self.plan.population.record(r))
            .and_then(|r| self.plan.population.steward_of(r))
            .and_then(|s| party(&s.key));
        let secrets = self
            .sessions
            .get(actor_key)
            .map(|s| s.credential.secrets.clone())
            .unwrap_or_default();
        Finding {
            class: format!("{family}: {what}"),
            evidence,
            probe: record.map_or_else(
                || family.to_string(),
                |r| format!("{family}/{actor_key}/{r}"),
            ),
            actor,
            victim,
            record: record.map(str::to_string),
            request: ex.request.clone(),
            status: ex.observed.status,
            excerpt: ex.excerpt(400, &secrets),
            leaked,
            explanation,
        }
    }

    /// Send the write probes one at a time, each followed by the owner's read-back.
    async fn execute_writes(&mut self, writes: &[Probe]) -> Vec<String> {
        let bar = self.bar(writes.len(), "writes");
        let mut failures = Vec::new();
        for (i, probe) in writes.iter().enumerate() {
            match self.write_probe(i, probe).await {
                Ok(Some(finding)) => self.findings.push((format!("3-write/{i:09}"), finding)),
                Ok(None) => {}
                Err(failure) => failures.push(failure),
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        failures
    }

    async fn write_probe(&self, index: usize, probe: &Probe) -> Result<Option<Finding>, String> {
        let (Some(update), Some(read)) = (
            self.profile.endpoint(probe.kind, "update"),
            self.profile.endpoint(probe.kind, "read"),
        ) else {
            return Ok(None);
        };
        let (Some(session), Some(actor)) = (
            self.sessions.get(&probe.actor),
            self.plan.population.identity(&probe.actor),
        ) else {
            return Err(format!("{} has no session", probe.actor));
        };
        let Some(record) = self.plan.population.record(&probe.record) else {
            return Err(format!("{} is not in the population", probe.record));
        };
        let Some(owner) = self.plan.population.steward_of(record) else {
            return Ok(None);
        };
        let Some(owner_session) = self.sessions.get(&owner.key) else {
            return Err(format!("{} has no session", owner.key));
        };
        let marker = format!(
            "cloison-write-probe-{index:06}-{}",
            self.plan.world.config().seed
        );
        let mut ctx = self.record_ctx(&probe.record, &probe.actor);
        ctx["probe"] = json!({ "marker": marker, "id": probe.id() });
        let ex = session
            .send(&self.settings, update, &ctx, None)
            .await
            .map_err(|e| e.to_string())?;
        let what = format!("{} {}", probe.operation.name(), probe.kind);
        let hits = oracle::scan_response(self.scanner, &ex.observed);
        let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
        if ex.observed.status >= 500 {
            return Err(format!(
                "{}: the target answered {} ({})",
                probe.id(),
                ex.observed.status,
                ex.request.curl
            ));
        }
        // Status codes lie: read the record back as its owner.
        let owner_ctx = self.record_ctx(&probe.record, &owner.key);
        let back = owner_session
            .send(&self.settings, read, &owner_ctx, None)
            .await
            .map_err(|e| e.to_string())?;
        if !(200..300).contains(&back.observed.status) {
            return Err(format!(
                "read-back of {} by its owner {} answered {}",
                probe.record, owner.key, back.observed.status
            ));
        }
        let tampered = back
            .observed
            .body
            .windows(marker.len())
            .any(|w| w == marker.as_bytes());
        if tampered {
            let explanation = format!(
                "{} ({}) changed {}'s record: its owner reads back the marker (write answered {})",
                actor.key, actor.role, owner.key, ex.observed.status
            );
            return Ok(Some(self.finding(
                &probe.actor,
                Some(&probe.record),
                probe.family,
                &what,
                Evidence::ProvenTampering,
                &ex,
                foreign,
                explanation,
            )));
        }
        if !foreign.is_empty() {
            let explanation = format!(
                "the answer to a forbidden {what} carried {} foreign canaries",
                foreign.len()
            );
            return Ok(Some(self.finding(
                &probe.actor,
                Some(&probe.record),
                probe.family,
                &what,
                Evidence::ProvenLeak,
                &ex,
                foreign,
                explanation,
            )));
        }
        if oracle::is_refusal(self.profile.refusals_for(update), &ex.observed) {
            return Ok(None);
        }
        let reason = format!(
            "{} to a forbidden {what}, but the owner's read-back shows no change",
            ex.observed.status
        );
        Ok(Some(self.finding(
            &probe.actor,
            Some(&probe.record),
            probe.family,
            &what,
            Evidence::Suspicious,
            &ex,
            Vec::new(),
            reason,
        )))
    }

    fn read_endpoint(
        &self,
        kind: RecordKind,
        operation: cloison_suites::Operation,
    ) -> Option<&'a Endpoint> {
        let profile: &'a Profile = self.profile;
        match operation {
            cloison_suites::Operation::Download => profile
                .endpoint(kind, "download")
                .or_else(|| profile.endpoint(kind, "read")),
            cloison_suites::Operation::Read | cloison_suites::Operation::Update => {
                profile.endpoint(kind, "read")
            }
        }
    }

    /// Send probes (or controls) and judge them. Returns the target failures.
    async fn execute(&mut self, probes: &[Probe], controls: bool) -> Vec<String> {
        let bar = self.bar(probes.len(), if controls { "controls" } else { "probes" });
        let this = &*self;
        let results: Vec<(usize, Result<Option<Finding>, String>)> =
            futures_util::stream::iter(probes.iter().enumerate())
                .map(|(i, probe)| {
                    let bar = &bar;
                    async move {
                        let result = this.probe(probe, controls).await;
                        bar.inc(1);
                        (i, result)
                    }
                })
                .buffer_unordered(self.options.concurrency)
                .collect()
                .await;
        bar.finish_and_clear();
        let mut failures = Vec::new();
        let mut ordered = results;
        ordered.sort_by_key(|(i, _)| *i);
        let prefix = if controls { "1-control" } else { "2-probe" };
        for (i, result) in ordered {
            match result {
                Ok(Some(finding)) => self.findings.push((format!("{prefix}/{i:09}"), finding)),
                Ok(None) => {}
                Err(failure) => failures.push(failure),
            }
        }
        failures
    }

    async fn probe(&self, probe: &Probe, control: bool) -> Result<Option<Finding>, String> {
        let Some(endpoint) = self.read_endpoint(probe.kind, probe.operation) else {
            return Err(format!(
                "the profile has no {} endpoint for {}",
                probe.operation.name(),
                probe.kind
            ));
        };
        let Some(session) = self.sessions.get(&probe.actor) else {
            return Err(format!("{} has no session", probe.actor));
        };
        if !self.record_ids.contains_key(&probe.record) {
            return Err(format!("{} was not seeded", probe.record));
        }
        let ctx = self.record_ctx(&probe.record, &probe.actor);
        let ex = session
            .send(&self.settings, endpoint, &ctx, None)
            .await
            .map_err(|e| e.to_string())?;
        let Some(actor) = self.plan.population.identity(&probe.actor) else {
            return Err(format!("{} is not in the population", probe.actor));
        };
        let hits = oracle::scan_response(self.scanner, &ex.observed);
        let what = format!("{} {}", probe.operation.name(), probe.kind);
        if control {
            let record = self.plan.population.record(&probe.record);
            let own = hits.iter().any(|h| {
                record.is_some_and(|r| h.owner.person.as_deref() == Some(r.person.as_str()))
            });
            let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
            if !foreign.is_empty() {
                return Ok(Some(self.finding(
                    &probe.actor,
                    Some(&probe.record),
                    "owner-read",
                    &what,
                    Evidence::ProvenLeak,
                    &ex,
                    foreign,
                    "foreign data in the owner's own read".into(),
                )));
            }
            let status = ex.observed.status;
            if !(200..300).contains(&status) {
                return Err(format!(
                    "control: {} could not {what} {} of its own ({status}); refusals would prove nothing: {}",
                    probe.actor, probe.record, ex.request.curl
                ));
            }
            if !own {
                return Err(format!(
                    "control: {}'s own {what} {} answered {status} without any of its canaries: the profile's endpoint does not return the record",
                    probe.actor, probe.record
                ));
            }
            return Ok(None);
        }
        let foreign = oracle::foreign(&self.plan.population, &self.profile.policy, actor, hits);
        let refusals = self.profile.refusals_for(endpoint);
        match oracle::judge_forbidden(foreign, refusals, &ex.observed) {
            Verdict::Refused => Ok(None),
            Verdict::Leak(hits) => {
                let owners: std::collections::BTreeSet<String> = hits
                    .iter()
                    .map(|h| {
                        format!(
                            "person {} of tenant {}",
                            h.owner.person.as_deref().unwrap_or("-"),
                            h.owner.tenant
                        )
                    })
                    .collect();
                let explanation = format!(
                    "{} canar{} of {} reached {} ({}) with status {}",
                    hits.len(),
                    if hits.len() == 1 { "y" } else { "ies" },
                    owners.into_iter().collect::<Vec<_>>().join(", "),
                    actor.key,
                    actor.role,
                    ex.observed.status
                );
                Ok(Some(self.finding(
                    &probe.actor,
                    Some(&probe.record),
                    probe.family,
                    &what,
                    Evidence::ProvenLeak,
                    &ex,
                    hits,
                    explanation,
                )))
            }
            Verdict::Suspicious(reason) => Ok(Some(self.finding(
                &probe.actor,
                Some(&probe.record),
                probe.family,
                &what,
                Evidence::Suspicious,
                &ex,
                Vec::new(),
                reason,
            ))),
            Verdict::Failure(reason) => {
                Err(format!("{}: {reason} ({})", probe.id(), ex.request.curl))
            }
        }
    }
}
