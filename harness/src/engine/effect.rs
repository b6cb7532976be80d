//! Gathering what a function whose effect is read back needs: an identity of a role granted the function
//! sets a record aside for the probe (the profile's `setup`, whose extracts become `{{probe.NAME}}`) and reads
//! it back (`effect.read`) before the forbidden call and after it. What the function deletes or changes is
//! that record, made for this probe alone, never one the platform or the world needs.
//! `cloison_suites::verdict::judge` decides.

use cloison_suites::verdict::{self, Answer, EffectReads, Observations};
use cloison_suites::{Probe, Unsent};
use serde_json::{Value, json};

use super::create::scalar_at;
use super::executor::Executor;
use super::observe::Gathered;
use super::probe::NotApplicable;
use super::renew::Unanswered;
use crate::http::Exchange;
use crate::profile::{Effect, Endpoint};
use crate::render::Tweak;

impl Executor<'_> {
    /// An identity of a role granted `endpoint` with a session, of the actor's tenant when there is one.
    fn granted_caller(&self, probe: &Probe, endpoint: &Endpoint) -> Option<String> {
        let population = &self.plan.population;
        let granted = endpoint.granted.as_deref().unwrap_or_default();
        let tenant = probe
            .actor
            .as_deref()
            .and_then(|a| population.identity(a))
            .map(|a| a.tenant.clone());
        let candidates = || {
            population
                .identities()
                .iter()
                .filter(|i| granted.contains(&i.role) && self.sessions.has(&i.key))
        };
        candidates()
            .find(|i| tenant.as_deref().is_none_or(|t| i.tenant == t))
            .or_else(|| candidates().next())
            .map(|i| i.key.clone())
    }

    /// The setup's answer as `{{probe.*}}` values: the marker, the probe's identifier and what the setup
    /// extracts; `None` when it was not a success or misses a value.
    fn set_aside(&self, effect: &Effect, answer: &Exchange, probe: &Value) -> Option<Value> {
        if !answer.observed.is_success() || answer.observed.truncated {
            return None;
        }
        let body: Value = serde_json::from_slice(&answer.observed.body).ok()?;
        let mut values = probe.clone();
        for (name, pointer) in &effect.setup.extract {
            let value = scalar_at(&body, pointer).ok().flatten()?;
            values[name] = Value::String(value);
        }
        Some(values)
    }

    /// A read of the record set aside, as `reader`: `None` when the target gave no answer (a lost session
    /// leaves the probe unjudged).
    async fn effect_read(
        &self,
        reader: &str,
        read: &Endpoint,
        ctx: &Value,
    ) -> Result<Option<Exchange>, Unanswered> {
        match self.send(Some(reader), read, ctx, &Tweak::default()).await {
            Ok(ex) => Ok(Some(ex)),
            Err(lost @ Unanswered::Session(_)) => Err(lost),
            Err(Unanswered::Target(_)) => Ok(None),
        }
    }

    /// A forbidden call of a function whose effect is read back: the setup and the read before as a granted
    /// identity, the call as the probe's actor, the read after.
    pub(super) async fn effect(&self, probe: &Probe, endpoint: &Endpoint) -> Gathered {
        let Some(effect) = endpoint.effect.as_deref() else {
            // Planned for an effect the profile no longer declares: judged by its answer alone.
            return self.read_like(probe, endpoint, false).await;
        };
        let Some(reader) = self.granted_caller(probe, endpoint) else {
            return Ok(Err(NotApplicable(Unsent::NoGrantedCaller {
                endpoint: probe.endpoint.clone(),
            })));
        };
        let marker = self.marker(probe);
        let probe_values = json!({ "marker": marker, "id": probe.id() });
        let mut granted_ctx = self.identity_ctx(&reader);
        granted_ctx["probe"] = probe_values.clone();
        let setup = self
            .send(
                Some(&reader),
                &effect.setup,
                &granted_ctx,
                &Tweak::default(),
            )
            .await;
        let setup_status = setup.as_ref().ok().map(|ex| ex.observed.status);
        let values = match &setup {
            Ok(ex) => self.set_aside(effect, ex, &probe_values),
            Err(Unanswered::Session(_)) => None,
            Err(Unanswered::Target(_)) => None,
        };
        let Some(values) = values else {
            if let Err(lost @ Unanswered::Session(_)) = setup {
                return Err(lost);
            }
            return Ok(Err(NotApplicable(Unsent::SetupFailed {
                endpoint: probe.endpoint.clone(),
                status: setup_status,
            })));
        };
        granted_ctx["probe"] = values.clone();
        let before = self
            .effect_read(&reader, &effect.read, &granted_ctx)
            .await?;
        let actor_key = probe.actor.as_deref();
        let mut ctx = self.probe_ctx(probe);
        ctx["probe"] = values;
        let call = self
            .send(actor_key, endpoint, &ctx, &Tweak::default())
            .await?;
        let after = self
            .effect_read(&reader, &effect.read, &granted_ctx)
            .await?;
        let population = &self.plan.population;
        let actor = actor_key.and_then(|a| population.identity(a));
        let evidence = self.evidence(actor, &call);
        let answer = Answer {
            observed: &call.observed,
            evidence: &evidence,
        };
        let refusals = self.profile.refusals_for(endpoint);
        let mut seen = Observations::of_answer(actor, None, refusals, answer);
        let reader_name = population
            .identity(&reader)
            .map_or_else(|| reader.clone(), |i| format!("{} ({})", i.key, i.role));
        seen.effect = Some(EffectReads {
            reader: &reader_name,
            shows: &effect.shows,
            marker: &marker,
            before: before.as_ref().map(|ex| &ex.observed),
            after: after.as_ref().map(|ex| &ex.observed),
        });
        let judgement = verdict::judge(probe, &seen);
        Ok(Ok((judgement, call)))
    }
}
