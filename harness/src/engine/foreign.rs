//! Gathering what a foreign create's verdict needs: the owner's list of the parent case file's children
//! before (it must succeed), the create sent by an identity that may not write under that case file, with
//! the probe's marker in the field the profile names (`{{probe.marker || ...}}`), and the owner's list
//! afterwards. `cloison_suites::verdict::judge` decides.

use cloison_suites::verdict::{self, Answer, Change, Observations};
use cloison_suites::{Op, Probe, RecordKind, Unsent};
use serde_json::json;

use super::executor::Executor;
use super::observe::Gathered;
use super::probe::NotApplicable;
use super::renew::Unanswered;
use crate::event::TraceStep;
use crate::http::Exchange;
use crate::profile::{Endpoint, Profile};
use crate::render::Tweak;

impl<'a> Executor<'a> {
    /// The list of `kind`'s records nested under their case file (`{{case.id}}` in its templates), as
    /// `reader` reads the children of `case`: the first that does not narrow the reader's role away.
    fn child_list_as(&self, reader: &str, case: &str, kind: RecordKind) -> Option<&'a Endpoint> {
        let population = &self.plan.population;
        let case = population.record(case)?;
        let identity = population.identity(reader)?;
        let profile: &'a Profile = self.profile;
        profile
            .endpoints_of(kind)
            .filter(|(op, e)| *op == "list" && e.is_read() && e.placeholders().contains("case.id"))
            .map(|(_, e)| e)
            .find(|e| {
                !profile
                    .policy
                    .refused_through(&e.origin.to_string(), population, identity, case)
            })
    }

    /// The owner's list of the children of the case file `case`.
    async fn list_children(
        &self,
        owner: &str,
        case: &str,
        list: &Endpoint,
    ) -> Result<Exchange, Unanswered> {
        let ctx = self.record_ctx(case, owner);
        self.send(Some(owner), list, &ctx, &Tweak::default()).await
    }

    /// The seeded record of `kind` whose values fill a create under `case`: one of the case file's own
    /// children, else the first of the world.
    fn child_template(&self, case: &str, kind: RecordKind) -> Option<&'a str> {
        let records = self.plan.population.records();
        let seeded = |r: &&cloison_suites::Record| {
            r.kind == kind && self.seeded.record_ids.contains_key(r.key.as_str())
        };
        records
            .iter()
            .filter(seeded)
            .find(|r| r.case == case)
            .or_else(|| records.iter().find(seeded))
            .map(|r| r.key.as_str())
    }

    /// A child record created under the case file `probe.record` by an identity that may not write there,
    /// filled with the values of a seeded record of the kind (its case file's replaced by the parent's);
    /// the owner's lists before and after. The create and the owner's list afterwards go into `steps`
    /// (the reproducer).
    pub(super) async fn foreign_create(
        &self,
        probe: &Probe,
        endpoint: &Endpoint,
        steps: &mut Vec<TraceStep>,
    ) -> Gathered {
        let (Some(actor_key), Some(case_key)) = (probe.actor.as_deref(), probe.record.as_deref())
        else {
            return Ok(Err(NotApplicable(Unsent::NoActorOrRecord)));
        };
        let population = &self.plan.population;
        let Some(case) = population.record(case_key) else {
            return Err(format!("{case_key} is not in the population").into());
        };
        let Some(owner) = population.steward_of(case) else {
            return Ok(Err(NotApplicable(Unsent::NoSteward {
                record: case_key.to_string(),
            })));
        };
        let owner = owner.key.as_str();
        let kind = probe.cell.kind;
        let cannot_read = |status: u16| {
            Ok(Err(NotApplicable(Unsent::OwnerCannotRead {
                owner: owner.to_string(),
                record: case_key.to_string(),
                status,
            })))
        };
        let Some(list) = self.child_list_as(owner, case_key, kind) else {
            return cannot_read(0);
        };
        let Some(template) = self.child_template(case_key, kind) else {
            return Ok(Err(NotApplicable(Unsent::NotSeeded {
                record: format!("a {kind} to fill the create"),
            })));
        };
        let list_refusals = self.profile.refusals_for(list);
        // The owner must list the case file's children before, or a list without the marker proves nothing.
        let before = self.list_children(owner, case_key, list).await?;
        if !before.observed.is_success() || list_refusals.is_body_refusal(&before.observed) {
            return cannot_read(before.observed.status);
        }
        let marker = self.marker(probe);
        let mut ctx = self.record_ctx(template, actor_key);
        ctx["case"] = self.record_ctx(case_key, actor_key)["case"].clone();
        ctx["probe"] = json!({ "marker": marker, "id": probe.id() });
        let bytes = match kind {
            RecordKind::Document => self
                .plan
                .document(template)
                .map(|d| self.plan.world.document_bytes(&d)),
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
        let back = match self.list_children(owner, case_key, list).await {
            Ok(back) => Some(back),
            Err(lost @ Unanswered::Session(_)) => return Err(lost),
            Err(Unanswered::Target(_)) => None,
        };
        let name = self.profile.kind_name(kind);
        steps.push(TraceStep {
            phase: "step".into(),
            step: format!(
                "{actor_key} creates a {name} under {owner}'s case file, marked {marker}"
            ),
            status: Some(create.observed.status),
            curl: Some(create.request.curl.clone()),
        });
        if let Some(back) = &back {
            steps.push(TraceStep {
                phase: "check".into(),
                step: format!(
                    "{owner} lists the case file's {name}s afterwards (the marker must not be there)"
                ),
                status: Some(back.observed.status),
                curl: Some(back.request.curl.clone()),
            });
        }
        let answer = Answer {
            observed: &create.observed,
            evidence: &evidence,
        };
        let refusals = self.profile.refusals_for(endpoint);
        let mut seen = Observations::of_answer(actor, Some(case), refusals, answer);
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
