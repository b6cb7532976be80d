//! Regression mode over a run's findings: their stable fingerprints, their state against a baseline report
//! (`--baseline`: `new`, `unchanged`, and the baseline's `absent` ones) and the risks accepted for them
//! (`--accept`), and whether each still fails the run (`cloison_suites::baseline::fails`).
//!
//! A fingerprint is a SHA-256 of the missing check and its tier only: the endpoint key (which names the
//! operation) of an endpoint's finding, the caller (role on relation) of a caller's, the selector of a
//! trusted tenant selector, or "refusal answers"; never of identifiers, values, seeds, world sizes, the
//! reproducer's family or times. The minimum cover that chooses the missing checks may choose a caller in
//! one world and an endpoint in another (a smaller world shows fewer cells): the baseline's cells under its
//! findings ([`Edge`]s) are compared too, so the same cells grouped otherwise stay `unchanged`.
//!
//! Pure: groups and a prior report in, states out.

use std::collections::BTreeSet;

use cloison_generators::date::Date;
use cloison_suites::Family;
use cloison_suites::baseline::{self, Acceptance, AcceptanceState, Baseline, BaselineState, Edge};
use cloison_suites::outcome::{FailOn, Tier};
use serde::{Deserialize, Serialize};

use super::group::Scope;
use super::{CellCoverage, Evidence, Group};
use crate::reporters::sha256_hex;

/// The key of cloison's fingerprint in SARIF's `partialFingerprints` (versioned: a new recipe gets a new
/// key; the per-cell `cloisonCell/v1` of earlier versions became this per-finding one).
pub const FINGERPRINT_KEY: &str = "cloisonFinding/v1";

/// The stable fingerprint of a finding: its missing check and tier (an endpoint; a caller; a selector;
/// refusal answers; forged credentials accepted), not its reproducer, identities, records, seed or timing.
pub fn fingerprint(group: &Group) -> String {
    let text = match group.scope {
        Scope::Endpoint => ["endpoint", group.endpoint.as_str(), group.tier.name()].join("\u{1f}"),
        Scope::Caller => [
            "caller",
            group.caller.as_deref().unwrap_or(""),
            group.tier.name(),
        ]
        .join("\u{1f}"),
        Scope::Selector => ["selector", group.via.as_deref().unwrap_or("")].join("\u{1f}"),
        Scope::RefusalAnswers => ["refusal-answers", group.tier.name()].join("\u{1f}"),
        Scope::Credential => ["forged-credential", group.tier.name()].join("\u{1f}"),
    };
    sha256_hex(text.as_bytes())
}

/// The cells under a finding the minimum cover chose (an endpoint's or a caller's), as edges (endpoint,
/// role, relation, tier); none for a selector's or refusal answers' finding, whose fingerprint does not
/// depend on the cover (and whose cells another selector's finding may share: a second trusted selector
/// on the same cells is a new finding).
pub fn edges(group: &Group) -> Vec<Edge> {
    if matches!(
        group.scope,
        Scope::Selector | Scope::RefusalAnswers | Scope::Credential
    ) {
        return Vec::new();
    }
    let mut edges: Vec<Edge> = (group.cells.iter())
        .map(|c| {
            (
                c.endpoint.clone(),
                c.role.clone(),
                c.relation.clone(),
                c.evidence.tier(),
            )
        })
        .collect();
    edges.sort();
    edges.dedup();
    edges
}

/// The accepted risk that covers a finding (`--accept`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedRisk {
    /// Why the risk is accepted.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// The last day it holds (`YYYY-MM-DD`).
    pub expires: String,
    /// `active` until then, `expired` after: an expired acceptance fails the run again.
    pub state: AcceptanceState,
}

/// A finding of the baseline that this run does not show: fixed, or no longer reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsentFinding {
    /// Its fingerprint.
    pub fingerprint: String,
    /// What its missing check spanned.
    pub scope: Scope,
    /// Its family.
    pub family: Family,
    /// Its endpoint key.
    pub endpoint: String,
    /// Its caller, for a caller's finding.
    pub caller: Option<String>,
    /// Its selector, for a selector's finding.
    pub via: Option<String>,
    /// Its evidence.
    pub evidence: Evidence,
    /// Its tier.
    pub tier: Tier,
    /// Whether this run sent probes in at least one of its cells (endpoint, role, relation): if not (records
    /// used up, a smaller world, another shard), it is not shown, but not proven fixed either.
    pub retested: bool,
}

/// The baseline a run was compared with (`--baseline`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// The baseline report's file.
    pub file: String,
    /// The cloison version that wrote it.
    pub cloison_version: String,
    /// Its seed.
    pub seed: u64,
    /// Its case files.
    pub cases: u64,
    /// Findings of this run that are new.
    pub new: usize,
    /// Findings of this run that the baseline had.
    pub unchanged: usize,
    /// Findings of the baseline this run does not show, in cells it sent probes to: fixed.
    pub absent: usize,
    /// Findings of the baseline this run does not show, in cells it sent no probe to: not re-tested.
    #[serde(default)]
    pub not_retested: usize,
}

/// What a baseline report holds that the comparison needs (the report of an earlier run, read back).
#[derive(Debug, Clone, Default)]
pub struct Prior {
    /// Its file.
    pub file: String,
    /// The version that wrote it.
    pub cloison_version: String,
    /// Its seed.
    pub seed: u64,
    /// Its case files.
    pub cases: u64,
    /// Its findings.
    pub groups: Vec<Group>,
    /// Its cells.
    pub cells: Vec<CellCoverage>,
}

impl Prior {
    /// Its fingerprints and edges.
    pub fn baseline(&self) -> Baseline {
        Baseline {
            fingerprints: self.groups.iter().map(|g| g.fingerprint.clone()).collect(),
            edges: self.groups.iter().flat_map(edges).collect(),
        }
    }
}

/// Why a report cannot be read as a baseline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriorError {
    /// Not JSON, or not a cloison run report.
    #[error("{file}: not a cloison run report (--json): {why}")]
    NotAReport {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
    /// The report of a run that ended in an error: it holds no finding.
    #[error(
        "{file}: the report of a run that ended in an error ({outcome}): it holds no finding to compare with; use the report of a run that finished"
    )]
    Error {
        /// The file.
        file: String,
        /// Its outcome.
        outcome: String,
    },
    /// Written by a version whose reports lack what a comparison needs.
    #[error(
        "{file}: written by cloison {version} (report schema {schema}), whose reports carry no finding fingerprints: run that build again with this cloison (report schema {current}) to make a baseline"
    )]
    Older {
        /// The file.
        file: String,
        /// The version that wrote it.
        version: String,
        /// Its schema.
        schema: String,
        /// This version's schema.
        current: &'static str,
    },
    /// Written by a newer version.
    #[error(
        "{file}: report schema {schema}; this cloison reads schema {current}: compare with the cloison that wrote it, or a newer one"
    )]
    Newer {
        /// The file.
        file: String,
        /// Its schema.
        schema: String,
        /// This version's schema.
        current: &'static str,
    },
}

/// The part of a JSON report a comparison reads.
#[derive(Deserialize)]
struct PriorReport {
    #[serde(default)]
    cloison_version: String,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    cases: u64,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    coverage: PriorCoverage,
}

#[derive(Deserialize, Default)]
struct PriorCoverage {
    #[serde(default)]
    cells: Vec<CellCoverage>,
}

/// Read a JSON report (`--baseline`, `cloison diff`): its findings and cells, or why it cannot serve.
pub fn read_prior(file: &str, text: &str) -> Result<Prior, PriorError> {
    let not = |why: String| PriorError::NotAReport {
        file: file.to_string(),
        why,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| not(e.to_string()))?;
    let field = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let schema = field("schema_version").ok_or_else(|| not("no `schema_version`".into()))?;
    let version = field("cloison_version").unwrap_or_default();
    if let Some(outcome) = field("outcome").filter(|o| o == "error" || o == "usage-error") {
        return Err(PriorError::Error {
            file: file.to_string(),
            outcome,
        });
    }
    let current = super::SCHEMA_VERSION;
    match schema.parse::<u32>().ok().zip(current.parse::<u32>().ok()) {
        Some((old, now)) if old < now => {
            return Err(PriorError::Older {
                file: file.to_string(),
                version,
                schema,
                current,
            });
        }
        Some((old, now)) if old == now => {}
        _ => {
            return Err(PriorError::Newer {
                file: file.to_string(),
                schema,
                current,
            });
        }
    }
    let report: PriorReport = serde_json::from_value(value).map_err(|e| not(e.to_string()))?;
    if let Some(group) = report.groups.iter().find(|g| g.fingerprint.is_empty()) {
        return Err(not(format!(
            "the finding on {} has no fingerprint",
            group.endpoint
        )));
    }
    Ok(Prior {
        file: file.to_string(),
        cloison_version: report.cloison_version,
        seed: report.seed,
        cases: report.cases,
        groups: report.groups,
        cells: report.coverage.cells,
    })
}

/// What comparing a run's findings with a baseline and acceptances gives, beyond the groups' own fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compared {
    /// The baseline's findings this run does not show.
    pub absent: Vec<AbsentFinding>,
    /// The summary of the comparison, with a baseline.
    pub baseline: Option<BaselineInfo>,
    /// Warnings: acceptances that match no finding.
    pub warnings: Vec<String>,
}

/// Set each group's baseline state, acceptance and whether it fails the run; list the baseline's absent
/// findings and the acceptances that match nothing.
pub fn compare(
    groups: &mut [Group],
    cells: &[CellCoverage],
    prior: Option<&Prior>,
    acceptances: &[Acceptance],
    today: Date,
    fail_on: FailOn,
) -> Compared {
    let base = prior.map(Prior::baseline);
    for group in groups.iter_mut() {
        group.baseline = base
            .as_ref()
            .map(|b| b.state(&group.fingerprint, &edges(group)));
        group.accepted =
            baseline::accepted(&group.fingerprint, acceptances).map(|a| AcceptedRisk {
                reason: a.reason.clone(),
                owner: a.owner.clone(),
                expires: a.expires.to_string(),
                state: a.state(today),
            });
        group.fails = baseline::fails(
            group.tier,
            fail_on,
            group.baseline,
            group.accepted.as_ref().map(|a| a.state),
        );
    }
    let current: BTreeSet<String> = groups.iter().map(|g| g.fingerprint.clone()).collect();
    let current_edges: BTreeSet<Edge> = groups.iter().flat_map(edges).collect();
    let absent: Vec<AbsentFinding> = prior
        .map(|p| p.groups.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|g| baseline::is_absent(&g.fingerprint, &edges(g), &current, &current_edges))
        .map(|g| (g, retested(g, cells)))
        .map(|(g, retested)| AbsentFinding {
            fingerprint: g.fingerprint.clone(),
            scope: g.scope,
            family: g.family,
            endpoint: g.endpoint.clone(),
            caller: g.caller.clone(),
            via: g.via.clone(),
            evidence: g.evidence,
            tier: g.tier,
            retested,
        })
        .collect();
    let count = |state: BaselineState| groups.iter().filter(|g| g.baseline == Some(state)).count();
    let baseline = prior.map(|p| BaselineInfo {
        file: p.file.clone(),
        cloison_version: p.cloison_version.clone(),
        seed: p.seed,
        cases: p.cases,
        new: count(BaselineState::New),
        unchanged: count(BaselineState::Unchanged),
        absent: absent.iter().filter(|a| a.retested).count(),
        not_retested: absent.iter().filter(|a| !a.retested).count(),
    });
    let warnings = baseline::unmatched(acceptances, &current)
        .into_iter()
        .map(|a| {
            format!(
                "the accepted risk {} (owner {}, until {}) matches no finding of this run: fixed, or a mistyped fingerprint",
                a.fingerprint, a.owner, a.expires
            )
        })
        .collect();
    Compared {
        absent,
        baseline,
        warnings,
    }
}

/// Whether a run sent probes in at least one cell under a baseline's finding.
fn retested(group: &Group, cells: &[CellCoverage]) -> bool {
    group.cells.iter().any(|g| {
        cells.iter().any(|c| {
            c.sent > 0 && c.endpoint == g.endpoint && c.role == g.role && c.relation == g.relation
        })
    })
}

/// The state of a group as reports show it: `accepted`, `accepted, expired`, `new`, `unchanged`, or
/// nothing without a baseline or an acceptance.
pub fn state_label(group: &Group) -> Option<String> {
    let accepted = group.accepted.as_ref().map(|a| match a.state {
        AcceptanceState::Active => format!("accepted until {}", a.expires),
        AcceptanceState::Expired => format!("acceptance expired on {}", a.expires),
    });
    match (group.baseline, accepted) {
        (Some(state), Some(accepted)) => Some(format!("{}, {accepted}", state.name())),
        (Some(state), None) => Some(state.name().to_string()),
        (None, accepted) => accepted,
    }
}

/// Whether a group counts toward the run's outcome: not exempted by the baseline or an active acceptance
/// (its tier then decides, under `--fail-on`, as without regression mode).
pub fn counts(group: &Group) -> bool {
    baseline::fails(
        group.tier,
        FailOn::Suspicious,
        group.baseline,
        group.accepted.as_ref().map(|a| a.state),
    )
}

#[cfg(test)]
mod tests;
