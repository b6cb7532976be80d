//! The executor: what acts on the target once identities are logged in, over the phases' results (the
//! records seeded so far while seeding, every seeded record while probing). It runs the planned probes
//! (the writes, controls, the safe probes, controls again), shrinks the failing cells and runs the stateful
//! suite, reporting every probe as an event to its sink.

use std::collections::BTreeSet;
use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::time::Instant;

use cloison_suites::{Planned, Probe};
use serde_json::{Value, json};

use super::blame::Blaming;
use super::login::{Login, Sessions, account_id};
use super::renew::LivenessReads;
use super::seed::Seeded;
use super::setup::Provisioned;
use super::{EngineError, Inputs, Laps};
use crate::event::{Collector, Event, Sink, Stats};
use crate::http::Session;
use crate::plan::PlannedAccount;
use crate::profile::Profile;

/// The phases' results, as one view (cheap to build: references only).
pub(crate) struct Executor<'a> {
    pub(crate) inputs: &'a Inputs<'a>,
    pub(crate) provisioned: &'a Provisioned,
    pub(crate) sessions: &'a Sessions,
    pub(crate) seeded: &'a Seeded,
    /// Case files set aside for the probes that change data.
    pub(crate) pool: &'a BTreeSet<String>,
    pub(crate) sink: &'a dyn Sink,
    /// The start of the probe phase.
    pub(crate) started: Instant,
    /// The record each identity reads to learn whether its session lives (see [`super::renew`]).
    pub(crate) liveness_reads: LivenessReads,
    /// Case files the proven findings of the writes changed: their data in later answers is not evidence.
    pub(crate) changed: std::sync::Mutex<BTreeSet<String>>,
    /// The requests on records sent so far, for the audit-trail family (when the profile reads a trail).
    pub(crate) accesses: std::sync::Mutex<Vec<super::audit::Sent>>,
}

/// The run's inputs (`self.profile`, `self.plan`, `self.settings`...) read through the executor.
impl<'a> Deref for Executor<'a> {
    type Target = Inputs<'a>;

    fn deref(&self) -> &Inputs<'a> {
        self.inputs
    }
}

impl Blaming for Executor<'_> {
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

impl<'a> Executor<'a> {
    /// A view over the phases' results; the probe phase starts now.
    pub(crate) fn new(
        inputs: &'a Inputs<'a>,
        provisioned: &'a Provisioned,
        sessions: &'a Sessions,
        seeded: &'a Seeded,
        pool: &'a BTreeSet<String>,
        sink: &'a dyn Sink,
    ) -> Self {
        Self {
            inputs,
            provisioned,
            sessions,
            seeded,
            pool,
            sink,
            started: Instant::now(),
            liveness_reads: LivenessReads::default(),
            changed: Default::default(),
            accesses: Default::default(),
        }
    }

    /// The session of an identity (a cheap clone: the client is shared).
    pub(crate) fn session(&self, key: &str) -> Option<Session> {
        self.sessions.get(key)
    }

    pub(crate) fn has_session(&self, key: &str) -> bool {
        self.sessions.has(key)
    }

    pub(crate) fn set_session(&self, key: String, session: Session) {
        self.sessions.set(key, session);
    }

    /// The platform's identifier of an identity, once known.
    pub(crate) fn account_id(&self, key: &str) -> Option<&'a str> {
        account_id(self.provisioned, Some(self.sessions), key)
    }

    /// A tenant's code as the platform knows it: the one its create answered, else the world's.
    pub(crate) fn platform_tenant_code<'c>(&'c self, code: &'c str) -> &'c str {
        self.provisioned.platform_tenant_code(code)
    }

    /// The `tenant` context of an account (see [`Provisioned::tenant_ctx`]).
    pub(crate) fn tenant_ctx(&self, account: &PlannedAccount) -> Value {
        self.provisioned.tenant_ctx(self.inputs, account)
    }

    /// Logging in with everything known so far.
    pub(crate) fn login_with(&self) -> Login<'a> {
        Login {
            inputs: self.inputs,
            provisioned: self.provisioned,
            sessions: Some(self.sessions),
        }
    }

    /// Log an identity in again (a new session, not yet stored).
    pub(crate) async fn login(
        &self,
        account: &PlannedAccount,
    ) -> Result<(Session, Option<String>), EngineError> {
        self.login_with().login(account).await
    }

    /// Every credential value cloison holds (operator, passwords, tokens, in the forms a target may echo
    /// them in): redacted from every excerpt.
    pub(crate) fn all_secrets(&self) -> &crate::redact::Secrets {
        Blaming::credentials(self)
    }

    /// The canaries of a response and its decoded views, counting the responses whose decoding reached
    /// cloison's limits (reported: what lies past them was not looked at).
    pub(crate) fn scan(&self, observed: &crate::oracle::Observed) -> Vec<crate::oracle::Hit> {
        let (hits, limited) = crate::oracle::scan_response_bounded(self.scanner, observed);
        if limited {
            self.counters.decode_limited.fetch_add(1, Ordering::SeqCst);
        }
        hits
    }

    /// The context of an identity alone: itself, its tenant, the secrets.
    pub(crate) fn identity_ctx(&self, key: &str) -> Value {
        let mut ctx = json!({ "secrets": self.secrets });
        if let Some(account) = self.plan.account(key) {
            ctx["identity"] =
                self.plan
                    .identity_context(self.profile, account, self.account_id(key));
            ctx["tenant"] = self.tenant_ctx(account);
            ctx["caller"] = self.caller_ctx(key);
        }
        ctx
    }

    /// Run what was planned: one control per endpoint and tenant first (the target serves its data at all),
    /// the writes, the probes in two halves with those controls in between, every control again, then
    /// shrinking and the stateful suite; the run's counts last.
    pub(super) async fn run(
        &self,
        planned: &Planned,
        collector: &Collector,
        mut laps: Laps,
        seed_seconds: f64,
    ) {
        let probing = Instant::now();
        let first_controls = self.first_controls(planned);
        // Probes that change data aim at case files no other probe uses; one at a time, first (each write is
        // judged by read-backs of its own, before and after).
        self.execute_sequentially(&planned.mutating, &planned.reserve)
            .await;
        laps.mark("writes");
        self.execute(&first_controls, "controls").await;
        let concurrent = Instant::now();
        let before = self.counters.sequence.load(Ordering::SeqCst);
        // The probes in two halves, with the first controls again in between: a target that loses its
        // sessions or its data while it is being probed is caught while it happens, not only at the end.
        let half = planned.probes.len() / 2;
        self.execute(&planned.probes[..half], "probes").await;
        self.execute(&first_controls, "controls").await;
        self.execute(&planned.probes[half..], "probes").await;
        let concurrent_probes = self.counters.sequence.load(Ordering::SeqCst) - before;
        let concurrent_seconds = concurrent.elapsed().as_secs_f64();
        // Controls again: a target that lost its sessions or its data during the probes is not clean.
        self.execute(&planned.controls, "controls again").await;
        laps.mark("probes");
        if self.options.shrink {
            // Shrinking reads the findings collected so far and emits nothing until it is done (the
            // collector is locked meanwhile).
            for reproducer in collector.with_findings(|findings| self.shrink(findings)) {
                self.sink.event(&Event::Reproducer(&reproducer));
            }
            laps.mark("shrink");
        }
        // Last: the stateful suite changes what identities may see (transfers, deletions, role changes).
        if self.options.stateful {
            self.stateful().await;
            laps.mark("stateful");
        }
        // Then the families that change identities' roles and credentials, on identities set aside for
        // them (no identity that acts in the last phase).
        if !planned.accounts.is_empty() {
            self.execute_accounts(&planned.accounts).await;
            laps.mark("accounts");
        }
        // After everything: functions that change state and name no record (see `super::last`).
        if !planned.last.is_empty() {
            self.execute_last(&planned.last).await;
            laps.mark("functions");
        }
        // After everything: the platform's audit trail, reconciled with what the run did.
        if self.profile.audit.is_some() {
            self.audit().await;
            laps.mark("audit");
        }
        let objects = self.provisioned.objects + self.seeded.objects;
        let stats = Stats {
            identities: self.sessions.len(),
            records_seeded: self.seeded.record_ids.len(),
            objects_created: objects,
            seed_seconds,
            seed_rate: objects as f64 / seed_seconds.max(1e-9),
            controls: 2 * first_controls.len() + planned.controls.len(),
            probes: self.counters.sequence.load(Ordering::SeqCst),
            probe_seconds: probing.elapsed().as_secs_f64(),
            probe_rate: concurrent_probes as f64 / concurrent_seconds.max(1e-9),
            writes: planned.mutating.len() + planned.last.len(),
            preflight_reads: self.counters.preflight.load(Ordering::SeqCst),
            phases: laps.phases,
        };
        self.sink.event(&Event::Finished {
            stats: &stats,
            relogins: self.counters.relogins.load(Ordering::SeqCst),
            decode_limited: self.counters.decode_limited.load(Ordering::SeqCst),
            gave_up: self.gave_up(),
        });
    }

    /// The first control of each endpoint and tenant.
    fn first_controls(&self, planned: &Planned) -> Vec<Probe> {
        let mut seen = BTreeSet::new();
        planned
            .controls
            .iter()
            .filter(|c| {
                let tenant = c
                    .record
                    .as_deref()
                    .and_then(|r| self.plan.population.record(r))
                    .map(|r| r.tenant.clone());
                seen.insert((c.endpoint.clone(), tenant))
            })
            .cloned()
            .collect()
    }
}
