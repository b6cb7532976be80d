//! The preflight: before seeding, what identities can already see. One identity of each role and tenant
//! sends the profile's safe reads that need no seeded record (`GET` endpoints of its resources whose templates fill from the
//! identity alone: lists, searches, exports of its own scope), and the answers are scanned for
//!
//! - values of this run's world (its canary registry) that setup did not put there (records: NIRs,
//!   phones, IBANs, address lines, case, document, note and decision references; not the logins and
//!   names provisioning sent): the target kept the records of a run of the same seed and tag;
//! - values cloison makes in any run ([`cloison_generators::recognise`]): records left by an earlier run.
//!
//! Either means the target is not clean: the run ends with exit 2 and the `[[reset]]` advice, unless
//! `--allow-dirty` (then a warning). Values not of this run's world are never proof: the oracle scans with
//! this run's registry only, and a tagged world shares no value with another tag's
//! ([`cloison_generators::tag`]). Runs after `[[reset]]` and the logins; sends no write.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use cloison_generators::canary::CanaryKind;
use cloison_generators::recognise::recognise;
use futures_util::future::join_all;
use reqwest::Method;

use super::executor::Executor;
use super::login::Sessions;
use super::seed::Seeded;
use super::setup::Provisioned;
use super::{EngineError, Inputs};
use crate::decode::{Limits, each_view};
use crate::event::{Event, Sink};
use crate::http::Exchange;
use crate::profile::Endpoint;
use crate::render::Tweak;

/// Where values found before seeding come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Origin {
    /// This run's world: a run of the same seed and tag left its records.
    ThisRun,
    /// A run of another seed or tag (recognised by shape, of no known owner).
    EarlierRun,
}

/// Values one answer of the preflight held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leftover {
    /// Who read them.
    pub(crate) who: String,
    /// The profile endpoint and the request (`resources.case.list: GET http://...`).
    pub(crate) through: String,
    /// Where they come from.
    pub(crate) origin: Origin,
    /// The values (kind and value), in order.
    pub(crate) values: Vec<(String, String)>,
}

/// What the preflight found: nothing, or the answers that held values.
#[derive(Debug, Default)]
pub(crate) struct Found(pub(crate) Vec<Leftover>);

/// Values shown per answer in a message.
const SHOWN: usize = 3;

impl Found {
    /// Whether the target showed nothing of a run.
    pub(crate) fn is_clean(&self) -> bool {
        self.0.is_empty()
    }

    /// The sentence the run ends with (or warns with under `--allow-dirty`).
    pub(crate) fn message(&self, allowed: bool) -> String {
        let mut out = String::from(
            "the target is not clean: before seeding, the preflight read records cloison did not seed in this run",
        );
        for l in &self.0 {
            let origin = match l.origin {
                Origin::ThisRun => {
                    "values of this run's own world (a replay on a target that kept the records of a run of the same seed and tag)"
                }
                Origin::EarlierRun => {
                    "values made by an earlier cloison run (of another seed or run tag)"
                }
            };
            let shown: Vec<String> = l
                .values
                .iter()
                .take(SHOWN)
                .map(|(kind, value)| format!("{kind} {value}"))
                .collect();
            let more = l.values.len().saturating_sub(SHOWN);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            out.push_str(&format!(
                "\n  - {} read, through {}, {origin}: {}{more}",
                l.who,
                l.through,
                shown.join(", ")
            ));
        }
        if allowed {
            out.push_str(
                "\n  --allow-dirty: the run went on; these values are not this run's canaries and proved nothing",
            );
        } else {
            out.push_str(
                "\nDeclare the profile's [[reset]] calls (they run before provisioning, see docs/profile-format.md) or clean the target, \
                 then run again; or pass --allow-dirty to run anyway (values not of this run's world are never proof)",
            );
        }
        out
    }
}

/// The preflight of a run, after the logins and before seeding: `Ok(None)` on a clean target, `Ok(Some)`
/// the warning under `--allow-dirty`, else [`EngineError::Dirty`].
pub(super) async fn check(
    inputs: &Inputs<'_>,
    provisioned: &Provisioned,
    sessions: &Sessions,
    sink: &dyn Sink,
) -> Result<Option<String>, EngineError> {
    let seeded = Seeded::default();
    let none = BTreeSet::new();
    let executor = Executor::new(inputs, provisioned, sessions, &seeded, &none, sink);
    let found = executor.preflight().await;
    if found.is_clean() {
        Ok(None)
    } else if inputs.options.allow_dirty {
        Ok(Some(found.message(true)))
    } else {
        Err(EngineError::Dirty(found.message(false)))
    }
}

/// The profile's endpoints the preflight reads: `GET`s of its resources and views, once each.
fn safe_reads<'p>(executor: &Executor<'p>) -> Vec<&'p Endpoint> {
    let profile: &'p crate::profile::Profile = executor.profile;
    let mut seen = BTreeSet::new();
    cloison_suites::RecordKind::ALL
        .into_iter()
        .flat_map(|kind| profile.endpoints_of(kind).map(|(_, e)| e))
        .filter(|e| e.method == Method::GET || e.method == Method::HEAD)
        .filter(|e| seen.insert(e.origin.to_string()))
        .collect()
}

/// Kinds of this run's canaries that provisioning itself sends (logins, names): seen before seeding
/// without anything left over.
fn provisioned_kind(kind: CanaryKind) -> bool {
    matches!(
        kind,
        CanaryKind::Surname | CanaryKind::Email | CanaryKind::AgentSurname | CanaryKind::AgentLogin
    )
}

impl Executor<'_> {
    /// Read, as the first identity with a session of each role and tenant, what it sees before seeding,
    /// and scan it (the others of its role see the same scope: the preflight stays small in large worlds).
    pub(super) async fn preflight(&self) -> Found {
        let endpoints = safe_reads(self);
        let mut requests = Vec::new();
        let mut readers = BTreeSet::new();
        for account in &self.plan.accounts {
            if !self.has_session(&account.key)
                || !readers.insert((account.role.as_str(), account.tenant.as_str()))
            {
                continue;
            }
            let ctx = self.identity_ctx(&account.key);
            for endpoint in &endpoints {
                // An endpoint that needs a record (`{{case.id}}`) cannot be filled yet: not read.
                if crate::render::render(&self.settings, endpoint, &ctx, &Tweak::default()).is_ok()
                {
                    requests.push((account.key.as_str(), *endpoint, ctx.clone()));
                }
            }
        }
        self.sink.event(&Event::Phase {
            name: "preflight",
            steps: requests.len(),
        });
        let answers = join_all(requests.iter().map(|(key, endpoint, ctx)| async move {
            let answer = self.send(Some(key), endpoint, ctx, &Tweak::default()).await;
            self.counters.preflight.fetch_add(1, Ordering::SeqCst);
            self.sink.event(&Event::Step);
            (*key, *endpoint, answer)
        }))
        .await;
        self.sink.event(&Event::PhaseEnd);
        let mut found = Vec::new();
        for (key, endpoint, answer) in answers {
            // An answer that did not come is the probes' business, not the preflight's.
            let Ok(ex) = answer else { continue };
            found.extend(self.leftovers(key, endpoint, &ex));
        }
        Found(found)
    }

    /// What one answer holds of this run's world and of earlier runs.
    fn leftovers(&self, key: &str, endpoint: &Endpoint, ex: &Exchange) -> Vec<Leftover> {
        // The URL without its query, which may carry a credential.
        let url = ex.request.url.split('?').next().unwrap_or_default();
        let through = format!("{} ({} {url})", endpoint.origin, ex.request.method);
        let mut out = Vec::new();
        let ours: BTreeSet<(String, String)> = self
            .scan(&ex.observed)
            .into_iter()
            .filter(|hit| !provisioned_kind(hit.field))
            .map(|hit| (hit.field.name().replace('_', " "), hit.canary))
            .collect();
        if !ours.is_empty() {
            out.push(Leftover {
                who: self.who(key),
                through: through.clone(),
                origin: Origin::ThisRun,
                values: ours.into_iter().collect(),
            });
        }
        let earlier: Vec<(String, String)> = recognised(&ex.observed)
            .into_iter()
            // A value this run's registry knows (its own logins, its own records) is not an earlier run's.
            .filter(|r| self.scanner.scan(r.value.as_bytes()).is_empty())
            .map(|r| (r.kind.name().to_string(), r.value))
            .collect();
        if !earlier.is_empty() {
            out.push(Leftover {
                who: self.who(key),
                through,
                origin: Origin::EarlierRun,
                values: earlier,
            });
        }
        out
    }
}

/// The generated values of a response (its body and every decoded view of it, its redirects').
fn recognised(
    observed: &crate::oracle::Observed,
) -> BTreeSet<cloison_generators::recognise::Recognised> {
    let limits = Limits::default();
    let mut out = BTreeSet::new();
    for response in observed.redirects.iter().chain([observed]) {
        let content_type = response
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.as_str());
        out.extend(recognise(&response.body));
        each_view(&response.body, content_type, &limits, &mut |_, view| {
            out.extend(recognise(view));
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_who_where_what_and_the_way_out() {
        let found = Found(vec![Leftover {
            who: "agent-75 (login a@b, agent)".into(),
            through: "resources.case.list (GET http://t/cases)".into(),
            origin: Origin::EarlierRun,
            values: (0..5)
                .map(|i| ("reference".to_string(), format!("75-2024-00000{i}/D1")))
                .collect(),
        }]);
        let refused = found.message(false);
        assert!(refused.contains("agent-75 (login a@b, agent) read, through resources.case.list (GET http://t/cases), values made by an earlier cloison run"), "{refused}");
        assert!(refused.contains("reference 75-2024-000000/D1, reference 75-2024-000001/D1, reference 75-2024-000002/D1 and 2 more"));
        assert!(refused.contains("[[reset]]") && refused.contains("--allow-dirty"));
        assert!(found.message(true).contains("proved nothing"));
        assert!(Found::default().is_clean() && !found.is_clean());
    }
}
