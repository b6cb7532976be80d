//! Sessions that die during a run (tokens that expire, revoked sessions, a target that restarts). Every
//! request a probe makes as an identity (the probe, its missing twin, its plain request, read-backs as the
//! owner, the writer or a named reader) goes through [`Executor::send_live`]: an answer that says the caller is
//! not signed in (a 401, or a redirect to the login page) is never judged as it came. Whether the session
//! is alive is learnt from a read of the identity's own data sent after that answer; a dead session's
//! answer is discarded, the identity logs in again and the request is sent again. One identity is checked
//! and renewed by one request at a time (a lock per identity): requests that were answered by the same dead
//! session wait, then are sent again with the new one, so that many requests cost one login. What to do at
//! each step is `cloison_suites::session::after_signed_out`'s decision.
//!
//! While seeding, [`Executor::renew`] logs an identity in again when a create is not accepted; a login that
//! fails after setup is the target's failure, naming the identity.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cloison_suites::session::{self, Liveness, Renewal};
use serde_json::Value;

use super::EngineError;
use super::executor::Executor;
use crate::http::{Exchange, Session};
use crate::profile::Endpoint;
use crate::render::Tweak;

/// An identity's session and how it stands.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub(crate) session: Session,
    /// How many times the identity logged in again before this session was opened.
    pub(crate) generation: u64,
    /// When the latest read that found this session accepted started: answers given before then were
    /// given to a live session.
    pub(crate) alive_at: Option<Instant>,
}

impl Held {
    pub(crate) fn new(session: Session, generation: u64) -> Self {
        Self {
            session,
            generation,
            alive_at: None,
        }
    }
}

/// A lock per identity, taken while its session is checked or renewed.
#[derive(Debug, Default)]
pub(crate) struct Renewing(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl Renewing {
    pub(crate) fn of(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.0.lock() {
            Ok(mut locks) => locks.entry(key.to_string()).or_default().clone(),
            // A poisoned map: a lock of its own (no sharing, never a panic).
            Err(_) => Arc::default(),
        }
    }
}

/// The record each identity reads to learn whether its session lives (`None`: it has none), found once.
#[derive(Debug, Default)]
pub(crate) struct LivenessReads(Mutex<HashMap<String, Option<String>>>);

/// Why a request sent as an identity has no answer to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unanswered {
    /// The target failed: no answer after the retries, or a new login it refused (a target failure).
    Target(String),
    /// The identity's session was not accepted even right after new logins: nothing can be judged.
    Session(String),
}

impl From<String> for Unanswered {
    fn from(failure: String) -> Self {
        Unanswered::Target(failure)
    }
}

impl Executor<'_> {
    /// Send `endpoint` as the identity `key`. An answer that says the caller is not signed in is returned
    /// only once the session is known to have been alive when it was given; otherwise it is discarded and
    /// the request sent again after a new login.
    pub(super) async fn send_live(
        &self,
        key: &str,
        endpoint: &Endpoint,
        ctx: &Value,
        tweak: &Tweak,
        file: Option<&[u8]>,
    ) -> Result<Exchange, Unanswered> {
        let refusals = self.profile.refusals_for(endpoint);
        let mut renewals = 0;
        loop {
            let held = self
                .sessions
                .held(key)
                .ok_or_else(|| format!("{key} has no session"))?;
            let ex = held
                .session
                .send_with(&self.settings, endpoint, ctx, file, tweak)
                .await
                .map_err(|e| e.to_string())?;
            if !refusals.is_unauthenticated(&ex.observed) {
                return Ok(ex);
            }
            let answered = Instant::now();
            let refuses = refusals.unauthenticated_refuses();
            match self
                .signed_out(key, held.generation, answered, renewals, refuses)
                .await?
            {
                // A refusal where a 401 means "not yours": the judge counts it among the refusals.
                Renewal::Genuine | Renewal::Refused => return Ok(ex),
                Renewal::GiveUp => {
                    return Err(Unanswered::Session(format!(
                        "{}'s requests are not accepted even right after a new login ({} {} answered {}): the probe proves nothing",
                        self.who(key),
                        ex.request.method,
                        ex.request.url,
                        ex.observed.status
                    )));
                }
                Renewal::Resend | Renewal::Relogin | Renewal::Check => renewals += 1,
            }
        }
    }

    /// Under the identity's lock, what is done with an answer given at `answered` to its session of
    /// `generation`: the session checked, renewed (the new one stored), or the answer taken as genuine (a
    /// refusal, where `refuses`: a 401 may mean "not yours" on that endpoint).
    async fn signed_out(
        &self,
        key: &str,
        generation: u64,
        answered: Instant,
        renewals: usize,
        refuses: bool,
    ) -> Result<Renewal, Unanswered> {
        let lock = self.sessions.renewal_lock(key);
        let _renewing = lock.lock().await;
        let mut liveness = Liveness::Unchecked;
        loop {
            let held = self
                .sessions
                .held(key)
                .ok_or_else(|| format!("{key} has no session"))?;
            let current = held.generation == generation;
            if current && held.alive_at.is_some_and(|at| at >= answered) {
                liveness = Liveness::Alive;
            }
            match session::after_signed_out(current, liveness, renewals, refuses) {
                Renewal::Check => liveness = self.liveness(key, &held).await?,
                Renewal::Relogin => {
                    self.relogin(key).await.map_err(Unanswered::Target)?;
                    return Ok(Renewal::Relogin);
                }
                decided => return Ok(decided),
            }
        }
    }

    /// Whether `held` is accepted: the identity reads a record of its own (see
    /// `cloison_suites::session::liveness_record`); an answer that does not say it is signed out shows
    /// the session alive.
    async fn liveness(&self, key: &str, held: &Held) -> Result<Liveness, Unanswered> {
        let Some((record, endpoint)) = self.liveness_read(key) else {
            return Ok(Liveness::Uncheckable);
        };
        let started = Instant::now();
        let ctx = self.record_ctx(&record, key);
        let ex = held
            .session
            .send_with(&self.settings, endpoint, &ctx, None, &Tweak::default())
            .await
            .map_err(|e| e.to_string())?;
        if self
            .profile
            .refusals_for(endpoint)
            .is_unauthenticated(&ex.observed)
        {
            return Ok(Liveness::Dead);
        }
        self.sessions.mark_alive(key, held.generation, started);
        Ok(Liveness::Alive)
    }

    /// The record `key` reads to learn whether its session lives, and the endpoint that reads it.
    fn liveness_read(&self, key: &str) -> Option<(String, &Endpoint)> {
        let known = self
            .liveness_reads
            .0
            .lock()
            .ok()
            .and_then(|reads| reads.get(key).cloned());
        let record = match known {
            Some(record) => record,
            None => {
                let found = self.find_liveness_record(key);
                if let Ok(mut reads) = self.liveness_reads.0.lock() {
                    reads.insert(key.to_string(), found.clone());
                }
                found
            }
        }?;
        let endpoint = self.read_back_endpoint_as(key, &record)?;
        Some((record, endpoint))
    }

    /// A record the identity may see, seeded, readable back, out of the pool set aside for writes if it
    /// has one, else in it (a pooled record a write removed answers as missing: alive where a missing record
    /// answers 404, and taken for a dead session, never for a live one, where it answers 401).
    fn find_liveness_record(&self, key: &str) -> Option<String> {
        let population = &self.plan.population;
        let identity = population.identity(key)?;
        let readable = |record: &cloison_suites::Record, pooled: bool| {
            self.seeded.record_ids.contains_key(record.key.as_str())
                && (pooled || !self.pool.contains(record.case.as_str()))
                && self.read_back_endpoint_as(key, &record.key).is_some()
        };
        let policy = &self.profile.policy;
        session::liveness_record(population, policy, identity, |r| readable(r, false))
            .or_else(|| {
                session::liveness_record(population, policy, identity, |r| readable(r, true))
            })
            .map(|record| record.key.to_string())
    }

    /// Log the identity in again and keep the new session (a new generation). A login that fails now,
    /// after it succeeded during setup, is the target's failure, named by the identity and its role.
    pub(super) async fn relogin(&self, key: &str) -> Result<(), String> {
        let Some(account) = self.plan.account(key) else {
            return Err(format!("{key} has no account"));
        };
        let (session, _) = self.login(account).await.map_err(|e| {
            format!(
                "{} logged in during setup, but its new login after its session was lost failed: {e}",
                self.who(key)
            )
        })?;
        self.set_session(key.to_string(), session);
        self.counters.relogins.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Seeding: the identity's session of `generation` was not accepted; log it in again unless another
    /// request did since. A failed login is a target failure naming the identity.
    pub(super) async fn renew(&self, key: &str, generation: u64) -> Result<(), EngineError> {
        let lock = self.sessions.renewal_lock(key);
        let _renewing = lock.lock().await;
        if self
            .sessions
            .held(key)
            .is_some_and(|held| held.generation != generation)
        {
            return Ok(());
        }
        self.relogin(key).await.map_err(EngineError::Target)
    }

    /// An identity as messages name it: its key, its login when the platform knows it by another, and its
    /// role (never a credential).
    pub(super) fn who(&self, key: &str) -> String {
        let login = self
            .plan
            .account(key)
            .map(|a| a.login.as_str())
            .filter(|login| *login != key);
        let role = self.plan.population.identity(key).map(|i| i.role.as_str());
        match (login, role) {
            (Some(login), Some(role)) => format!("{key} (login {login}, {role})"),
            (None, Some(role)) => format!("{key} ({role})"),
            (Some(login), None) => format!("{key} (login {login})"),
            (None, None) => key.to_string(),
        }
    }
}
