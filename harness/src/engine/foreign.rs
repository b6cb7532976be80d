//! Gathering what a foreign create's verdict needs: the owner's list of the parent case file's children
//! before (it must succeed), the create sent by an identity that may not write under that case file, with
//! the probe's marker in the field the profile names (`{{probe.marker || ...}}`), and the owner's list
//! afterwards. `cloison_suites::verdict::judge` decides.

use cloison_suites::verdict::{self, Answer, Change, Observations};
use cloison_suites::{Op, Probe, RecordKind, Unsent};

use super::executor::Executor;
use super::observe::Gathered;
use super::probe::NotApplicable;
use super::renew::Unanswered;
use crate::http::Exchange;
use crate::profile::{Endpoint, Profile};
use crate::render::Tweak;

impl<'a> Executor<'a> {
    /// The list of `record`'s kind nested under its case file (`{{case.id}}` in its templates), as `reader`
    /// reads it: the first that does not narrow the reader's role away from the record.
    fn child_list_as(&self, reader: &str, record: &str) -> Option<&'a Endpoint> {
        let population = &self.plan.population;
        let record = population.record(record)?;
        let identity = population.identity(reader)?;
        let profile: &'a Profile = self.profile;
        profile
            .endpoints_of(record.kind)
            .filter(|(op, e)| *op == "list" && e.is_read() && e.placeholders().contains("case.id"))
            .map(|(_, e)| e)
            .find(|e| {
                !profile
                    .policy
                    .refused_through(&e.origin.to_string(), population, identity, record)
            })
    }

    /// The owner's list of the children of `record`'s case file.
    async fn list_children(
        &self,
        owner: &str,
        record: &str,
        list: &Endpoint,
    ) -> Result<Exchange, Unanswered> {
        let ctx = self.record_ctx(record, owner);
        self.send(Some(owner), list, &ctx, &Tweak::default()).await
    }

    /// A child record created under the case file of `probe.record` (a child of that case, whose values
    /// fill the request) by an identity that may not write there; the owner's lists before and after.
    pub(super) async fn foreign_create(&self, probe: &Probe, endpoint: &Endpoint) -> Gathered {
        let (Some(actor_key), Some(record_key)) = (probe.actor.as_deref(), probe.record.as_deref())
        else {
            return Ok(Err(NotApplicable(Unsent::NoActorOrRecord)));
        };
        let population = &self.plan.population;
        let Some(record) = population.record(record_key) else {
            return Err(format!("{record_key} is not in the population").into());
        };
        let Some(owner) = population.steward_of(record) else {
            return Ok(Err(NotApplicable(Unsent::NoSteward {
                record: record_key.to_string(),
            })));
        };
        let owner = owner.key.as_str();
        let cannot_read = |status: u16| {
            Ok(Err(NotApplicable(Unsent::OwnerCannotRead {
                owner: owner.to_string(),
                record: record_key.to_string(),
                status,
            })))
        };
        let Some(list) = self.child_list_as(owner, record_key) else {
            return cannot_read(0);
        };
        let list_refusals = self.profile.refusals_for(list);
        // The owner must list the case file's children before, or a list without the marker proves nothing.
        let before = self.list_children(owner, record_key, list).await?;
        if !before.observed.is_success() || list_refusals.is_body_refusal(&before.observed) {
            return cannot_read(before.observed.status);
        }
        let marker = self.marker(probe);
        let ctx = self.write_ctx(probe, record_key, actor_key, &marker);
        let bytes = match record.kind {
            RecordKind::Document => self
                .plan
                .document(record_key)
                .map(|d| self.plan.world.document_bytes(d)),
            _ => None,
        };
        let create = self
            .send_carrying(
                Some(actor_key),
                endpoint,
                &ctx,
                &Tweak::default(),
                bytes.as_deref(),
            )
            .await?;
        let actor = population.identity(actor_key);
        let evidence = self.evidence(actor, &create);
        let back = match self.list_children(owner, record_key, list).await {
            Ok(back) => Some(back),
            Err(lost @ Unanswered::Session(_)) => return Err(lost),
            Err(Unanswered::Target(_)) => None,
        };
        let answer = Answer {
            observed: &create.observed,
            evidence: &evidence,
        };
        let refusals = self.profile.refusals_for(endpoint);
        let mut seen = Observations::of_answer(actor, Some(record), refusals, answer);
        seen.change = Some(Change {
            owner,
            op: Op::Create,
            read_back: back.as_ref().map(|b| &b.observed),
            read_back_refusals: list_refusals,
            // Anywhere in the owner's list: the marker is unique to this probe.
            marker: Some(("", marker.as_str())),
            soft: None,
            lost: 0,
            writer_saw_before: false,
            writer_view: None,
            named_reader: None,
            named_reader_view: None,
        });
        let judgement = verdict::judge(probe, &seen);
        Ok(Ok((judgement, create)))
    }
}
