//! Regression mode: a finding compared with the last release's report (`--baseline`) and with the risks a
//! team accepted (`--accept`), and whether it fails the run. Pure decisions on fingerprints and dates,
//! table-tested; the harness reads the files and writes the states into the report.
//!
//! - [`BaselineState`]: a finding of this run is `new` (its fingerprint is not in the baseline) or
//!   `unchanged`; a finding of the baseline whose fingerprint this run does not show is `absent` (fixed).
//!   A fingerprint names a missing check, which a minimum vertex cover chooses (an endpoint, or a caller
//!   on several endpoints); a world that shows fewer cells may choose otherwise, so [`Baseline::state`] and
//!   [`is_absent`] also compare the cells under a finding ([`Edge`]s): the same cells grouped otherwise
//!   are the same finding.
//! - [`Acceptance`]: an accepted fingerprint holds until its expiry date, inclusive; the day after, it is
//!   expired and the finding fails the run again.
//! - [`fails`]: without a baseline, a finding fails when its tier does (`--fail-on`); with one, only a new
//!   finding does (an unchanged one was there at the last release); an active acceptance never fails, an
//!   expired one fails whatever the baseline says.

use std::collections::BTreeSet;

use cloison_generators::date::Date;
use serde::{Deserialize, Serialize};

use crate::outcome::{FailOn, Tier};

/// How a finding compares with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineState {
    /// Not in the baseline: it appeared since.
    New,
    /// In the baseline too.
    Unchanged,
    /// In the baseline, not in this run: fixed (or no longer reached).
    Absent,
}

impl BaselineState {
    /// Its name in reports (`new`, `unchanged`, `absent`); SARIF's `baselineState` uses the same words.
    pub fn name(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Absent => "absent",
        }
    }
}

/// One caller that got through one endpoint, at one tier: an edge of the graph whose vertex cover makes
/// the findings (endpoint, caller role, relation to the data, tier).
pub type Edge = (String, String, String, Tier);

/// What a baseline report showed: its findings' fingerprints and the edges (cells with a finding) under
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Fingerprints of its findings.
    pub fingerprints: BTreeSet<String>,
    /// Its cells with a finding, as edges.
    pub edges: BTreeSet<Edge>,
}

impl Baseline {
    /// The state of a finding of this run, from its fingerprint and its edges: `unchanged` when the
    /// baseline has its fingerprint, or when every one of its edges was a finding there already (the same
    /// cells grouped otherwise: a world where the minimum cover chose a caller instead of an endpoint);
    /// `new` otherwise (a caller got through where it did not).
    pub fn state(&self, fingerprint: &str, edges: &[Edge]) -> BaselineState {
        let regrouped = !edges.is_empty() && edges.iter().all(|e| self.edges.contains(e));
        if self.fingerprints.contains(fingerprint) || regrouped {
            BaselineState::Unchanged
        } else {
            BaselineState::New
        }
    }
}

/// Whether a finding of the baseline is absent from this run: its fingerprint is not among the run's and
/// none of its edges is a finding of the run (else it is the same missing check, grouped otherwise).
pub fn is_absent(
    fingerprint: &str,
    edges: &[Edge],
    current: &BTreeSet<String>,
    current_edges: &BTreeSet<Edge>,
) -> bool {
    !current.contains(fingerprint) && !edges.iter().any(|e| current_edges.contains(e))
}

/// Whether an acceptance still holds on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AcceptanceState {
    /// Until its expiry date, inclusive.
    Active,
    /// After its expiry date: the finding fails the run again.
    Expired,
}

/// One accepted risk: a fingerprint, why, who owns the decision, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Why the risk is accepted.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// The last day it holds.
    pub expires: Date,
}

impl Acceptance {
    /// Whether it holds on `today`.
    pub fn state(&self, today: Date) -> AcceptanceState {
        if today <= self.expires {
            AcceptanceState::Active
        } else {
            AcceptanceState::Expired
        }
    }
}

/// The acceptance of a fingerprint, if any (the first one listed, when a file lists it twice).
pub fn accepted<'a>(fingerprint: &str, acceptances: &'a [Acceptance]) -> Option<&'a Acceptance> {
    acceptances.iter().find(|a| a.fingerprint == fingerprint)
}

/// The acceptances that match no finding of the run (a warning each: a fixed finding, or a typo).
pub fn unmatched<'a>(
    acceptances: &'a [Acceptance],
    fingerprints: &BTreeSet<String>,
) -> Vec<&'a Acceptance> {
    (acceptances.iter())
        .filter(|a| !fingerprints.contains(&a.fingerprint))
        .collect()
}

/// Whether a finding fails the run: its tier under `fail_on`, then the baseline (only new findings fail
/// when there is one), then an acceptance (an active one never fails; an expired one fails as if there
/// were no baseline).
pub fn fails(
    tier: Tier,
    fail_on: FailOn,
    baseline: Option<BaselineState>,
    acceptance: Option<AcceptanceState>,
) -> bool {
    if !fail_on.fails(tier) {
        return false;
    }
    match (acceptance, baseline) {
        (Some(AcceptanceState::Active), _) => false,
        (Some(AcceptanceState::Expired), _) => true,
        (None, None | Some(BaselineState::New)) => true,
        (None, Some(BaselineState::Unchanged | BaselineState::Absent)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse_iso(s).expect("date")
    }

    #[test]
    fn whether_a_finding_fails_the_run() {
        use AcceptanceState::{Active, Expired};
        use BaselineState::{New, Unchanged};
        use FailOn::{Proven as P, Suspicious as S};
        use Tier::{Proven, Suspicious};
        let rows = [
            // No baseline, no acceptance: the tier decides.
            (Proven, P, None, None, true, "a proven finding fails"),
            (Suspicious, P, None, None, false, "status-only: a warning"),
            (
                Suspicious,
                S,
                None,
                None,
                true,
                "--fail-on suspicious widens",
            ),
            // A baseline: only new findings fail.
            (
                Proven,
                P,
                Some(New),
                None,
                true,
                "a new proven finding fails",
            ),
            (
                Proven,
                P,
                Some(Unchanged),
                None,
                false,
                "an unchanged one does not",
            ),
            (
                Suspicious,
                P,
                Some(New),
                None,
                false,
                "a new status-only one is a warning",
            ),
            (
                Suspicious,
                S,
                Some(New),
                None,
                true,
                "unless --fail-on suspicious",
            ),
            (
                Suspicious,
                S,
                Some(Unchanged),
                None,
                false,
                "unchanged, whatever the tier",
            ),
            // Acceptances.
            (Proven, P, None, Some(Active), false, "accepted"),
            (
                Proven,
                P,
                Some(New),
                Some(Active),
                false,
                "accepted, even if new",
            ),
            (Proven, P, None, Some(Expired), true, "expired: fails again"),
            (
                Proven,
                P,
                Some(Unchanged),
                Some(Expired),
                true,
                "expired beats unchanged",
            ),
            (
                Suspicious,
                P,
                None,
                Some(Expired),
                false,
                "expired, but a warning tier",
            ),
        ];
        for (tier, fail_on, baseline, acceptance, expected, why) in rows {
            assert_eq!(
                fails(tier, fail_on, baseline, acceptance),
                expected,
                "{why}"
            );
        }
    }

    #[test]
    fn an_acceptance_holds_until_its_expiry_date_inclusive() {
        let acceptance = Acceptance {
            fingerprint: "f".into(),
            reason: "r".into(),
            owner: "o".into(),
            expires: date("2027-01-31"),
        };
        let rows = [
            ("2026-12-31", AcceptanceState::Active),
            ("2027-01-31", AcceptanceState::Active),
            ("2027-02-01", AcceptanceState::Expired),
        ];
        for (today, expected) in rows {
            assert_eq!(acceptance.state(date(today)), expected, "{today}");
        }
    }

    fn edge(endpoint: &str, role: &str, tier: Tier) -> Edge {
        (endpoint.into(), role.into(), "other-tenant".into(), tier)
    }

    #[test]
    fn states_against_a_baseline() {
        let baseline = Baseline {
            fingerprints: ["a", "b"].map(String::from).into(),
            edges: [
                edge("doc.read", "agent", Tier::Proven),
                edge("doc.download", "agent", Tier::Proven),
            ]
            .into(),
        };
        let rows = [
            ("b", vec![], BaselineState::Unchanged, "same fingerprint"),
            (
                "z",
                vec![],
                BaselineState::New,
                "unknown fingerprint, no edge",
            ),
            (
                "caller",
                vec![
                    edge("doc.read", "agent", Tier::Proven),
                    edge("doc.download", "agent", Tier::Proven),
                ],
                BaselineState::Unchanged,
                "the same cells grouped by caller instead of endpoint",
            ),
            (
                "caller",
                vec![
                    edge("doc.read", "agent", Tier::Proven),
                    edge("case.read", "agent", Tier::Proven),
                ],
                BaselineState::New,
                "one more endpoint let the caller through",
            ),
            (
                "caller",
                vec![edge("doc.read", "agent", Tier::Suspicious)],
                BaselineState::New,
                "an edge of another tier is another finding",
            ),
        ];
        for (fingerprint, edges, expected, why) in rows {
            assert_eq!(baseline.state(fingerprint, &edges), expected, "{why}");
        }
        let current: BTreeSet<String> = ["b"].map(String::from).into();
        let current_edges: BTreeSet<Edge> = [edge("doc.read", "agent", Tier::Proven)].into();
        assert!(
            !is_absent("b", &[], &current, &current_edges),
            "still there"
        );
        assert!(is_absent("a", &[], &current, &current_edges), "gone");
        assert!(
            !is_absent(
                "a",
                &[edge("doc.read", "agent", Tier::Proven)],
                &current,
                &current_edges
            ),
            "regrouped, not gone"
        );
        assert_eq!(BaselineState::Absent.name(), "absent");
    }

    #[test]
    fn acceptances_that_match_nothing_and_the_first_of_duplicates() {
        let make = |f: &str, owner: &str| Acceptance {
            fingerprint: f.into(),
            reason: "r".into(),
            owner: owner.into(),
            expires: date("2027-01-01"),
        };
        let list = vec![make("a", "first"), make("x", "typo"), make("a", "second")];
        let current: BTreeSet<String> = ["a"].map(String::from).into();
        assert_eq!(
            accepted("a", &list).map(|a| a.owner.as_str()),
            Some("first")
        );
        assert_eq!(accepted("b", &list), None);
        let unmatched: Vec<&str> = (unmatched(&list, &current).iter())
            .map(|a| a.owner.as_str())
            .collect();
        assert_eq!(unmatched, vec!["typo"]);
    }
}
