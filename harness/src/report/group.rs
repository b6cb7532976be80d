//! Findings as a reader counts bugs: one per missing check. Root causes are per cell (family, endpoint,
//! caller role, relation, kind, variation): one unchecked route gives one root cause per caller that got
//! through. [`group`] gathers them into one finding per missing check ([`Scope`]): the fewest endpoints
//! (the key names the operation, `resources.document.download`) and callers (a role on a relation, such
//! as a former representative everywhere) whose missing checks explain every root cause of a tier (a
//! minimum vertex cover, see [`cover`]); one endpoint's finding may gather several families. Two checks
//! span endpoints by nature: a tenant
//! selector the platform trusts (a header or parameter: one finding per selector, whatever the endpoint),
//! and refusals that carry the refused data (a proven leak in a 4xx answer: the access check worked, the
//! error answer leaks; one finding for every such answer, whatever the endpoint and family). It lists the callers (role and relation, the access-matrix row) with their instances, and
//! keeps one minimal reproducer, that of its strongest, smallest root cause. The root causes and their
//! instances stay in the report; a group names them by index.
//!
//! Pure: root causes in, groups out.

use std::collections::BTreeMap;

use cloison_suites::Family;
use cloison_suites::outcome::{FailOn, Tally, Tier};
use serde::{Deserialize, Serialize};

use super::{Evidence, RootCause};

/// What one missing check spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// One endpoint, whatever the family and the caller.
    Endpoint,
    /// One caller (role and relation to the data) that got through on several endpoints: the check of that
    /// relation is missing wherever it is made.
    Caller,
    /// One tenant selector (header or query parameter) the platform trusts, on every endpoint.
    Selector,
    /// Refusals (4xx answers) that carry the refused data, on every endpoint and family.
    RefusalAnswers,
    /// Forged session credentials the platform accepts (the verification of its tokens), on every
    /// endpoint.
    Credential,
}

/// The missing check of a root cause.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Check<'a> {
    RefusalAnswers,
    Credential,
    Selector(&'a str),
    Endpoint(Tier, &'a str),
    Caller(Tier, &'a str, &'a str),
}

impl Check<'_> {
    fn scope(&self) -> Scope {
        match self {
            Check::RefusalAnswers => Scope::RefusalAnswers,
            Check::Credential => Scope::Credential,
            Check::Selector(_) => Scope::Selector,
            Check::Endpoint(..) => Scope::Endpoint,
            Check::Caller(..) => Scope::Caller,
        }
    }
}

/// The checks that span endpoints by nature: refusals that carry data, a trusted selector, forged
/// credentials accepted (one check: the verification of the platform's tokens); `None` for the
/// others, which [`cover`] assigns to an endpoint or a caller.
fn spanning(cause: &RootCause) -> Option<Check<'_>> {
    let refused = (400..500).contains(&cause.reproducer.status);
    match (&cause.via, cause.family) {
        _ if cause.evidence == Evidence::ProvenLeak && refused => Some(Check::RefusalAnswers),
        (Some(via), Family::TenantSelector) => Some(Check::Selector(via)),
        (_, Family::ForgedCredential) => Some(Check::Credential),
        _ => None,
    }
}

/// The fewest checks that explain root causes of one tier: each root cause is an edge between its
/// endpoint and its caller (role, relation); a minimum vertex cover of that bipartite graph (König's
/// theorem, from a maximum matching) is the fewest endpoints and callers whose missing checks explain
/// every root cause. Each root cause goes to its endpoint when the cover holds it, else to its caller.
fn cover<'a>(tier: Tier, causes: &[&'a RootCause]) -> Vec<Check<'a>> {
    let mut endpoints: Vec<&str> = causes.iter().map(|c| c.endpoint.as_str()).collect();
    endpoints.sort_unstable();
    endpoints.dedup();
    let mut callers: Vec<(&str, &str)> = (causes.iter())
        .map(|c| (c.role.as_str(), c.relation.as_str()))
        .collect();
    callers.sort_unstable();
    callers.dedup();
    let left = |c: &RootCause| endpoints.binary_search(&c.endpoint.as_str()).unwrap_or(0);
    let right = |c: &RootCause| {
        callers
            .binary_search(&(c.role.as_str(), c.relation.as_str()))
            .unwrap_or(0)
    };
    let mut adjacent: Vec<Vec<usize>> = vec![Vec::new(); endpoints.len()];
    for c in causes {
        adjacent[left(c)].push(right(c));
    }
    for list in &mut adjacent {
        list.sort_unstable();
        list.dedup();
    }
    // Maximum matching by augmenting paths (Kuhn).
    let mut matched_right: Vec<Option<usize>> = vec![None; callers.len()];
    let mut matched_left: Vec<Option<usize>> = vec![None; endpoints.len()];
    for l in 0..endpoints.len() {
        let mut seen = vec![false; callers.len()];
        augment(
            l,
            &adjacent,
            &mut seen,
            &mut matched_right,
            &mut matched_left,
        );
    }
    // König: Z = vertices reachable from unmatched left vertices by alternating paths; the cover is
    // (left not in Z) and (right in Z).
    let (mut left_z, mut right_z) = (vec![false; endpoints.len()], vec![false; callers.len()]);
    let mut stack: Vec<usize> = (0..endpoints.len())
        .filter(|&l| matched_left[l].is_none())
        .collect();
    while let Some(l) = stack.pop() {
        if std::mem::replace(&mut left_z[l], true) {
            continue;
        }
        for &r in &adjacent[l] {
            if !std::mem::replace(&mut right_z[r], true)
                && let Some(next) = matched_right[r]
            {
                stack.push(next);
            }
        }
    }
    causes
        .iter()
        .map(|c| {
            if left_z[left(c)] {
                Check::Caller(tier, &c.role, &c.relation)
            } else {
                Check::Endpoint(tier, &c.endpoint)
            }
        })
        .collect()
}

/// One augmenting path from left vertex `l`, if there is one.
fn augment(
    l: usize,
    adjacent: &[Vec<usize>],
    seen: &mut [bool],
    matched_right: &mut [Option<usize>],
    matched_left: &mut [Option<usize>],
) -> bool {
    for &r in &adjacent[l] {
        if std::mem::replace(&mut seen[r], true) {
            continue;
        }
        let free = match matched_right[r] {
            None => true,
            Some(other) => augment(other, adjacent, seen, matched_right, matched_left),
        };
        if free {
            matched_right[r] = Some(l);
            matched_left[l] = Some(r);
            return true;
        }
    }
    false
}

/// The missing check of each root cause, in order.
fn checks(causes: &[RootCause]) -> Vec<Check<'_>> {
    let mut out: Vec<Option<Check<'_>>> = causes.iter().map(spanning).collect();
    for tier in [Tier::Proven, Tier::Suspicious] {
        let rest: Vec<usize> = (0..causes.len())
            .filter(|&i| out[i].is_none() && causes[i].evidence.tier() == tier)
            .collect();
        let these: Vec<&RootCause> = rest.iter().map(|&i| &causes[i]).collect();
        for (i, check) in rest.into_iter().zip(cover(tier, &these)) {
            out[i] = Some(check);
        }
    }
    out.into_iter()
        .map(|c| c.unwrap_or(Check::RefusalAnswers))
        .collect()
}

/// One caller that got through a group's missing check: a root cause of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCell {
    /// Family.
    pub family: Family,
    /// Endpoint key.
    pub endpoint: String,
    /// Caller role.
    pub role: String,
    /// How the caller relates to the data.
    pub relation: String,
    /// Record kind.
    pub kind: String,
    /// How the request was varied.
    pub via: Option<String>,
    /// Strength of the evidence.
    pub evidence: Evidence,
    /// Instances found.
    pub instances: usize,
    /// The root cause (index in `root_causes`).
    pub root_cause: usize,
}

/// One finding: a missing check on one endpoint against one family of attacks, with every caller that got
/// through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// What the missing check spans: one endpoint (the default), a selector, or refusal answers.
    pub scope: Scope,
    /// Family (of its reproducer, when the finding spans several).
    pub family: Family,
    /// Endpoint key in the profile, which names the operation (of its reproducer, when the check spans
    /// several).
    pub endpoint: String,
    /// The variation of a selector's finding (`header X-Tenant`), else `null`.
    pub via: Option<String>,
    /// The caller of a caller's finding (`representative on formerly-represented`), else `null`.
    pub caller: Option<String>,
    /// Every endpoint its callers got through, in order.
    pub endpoints: Vec<String>,
    /// The strongest evidence of its root causes.
    pub evidence: Evidence,
    /// Proven, or status-only.
    pub tier: Tier,
    /// Whether it fails the run (proven, or status-only under `--fail-on suspicious`).
    pub fails: bool,
    /// Instances over its root causes.
    pub instances: usize,
    /// The callers that got through (its root causes), strongest evidence first.
    pub cells: Vec<GroupCell>,
    /// The root cause whose reproducer is the group's (index in `root_causes`): the strongest evidence,
    /// shrunk if any was, the smallest, the earliest.
    pub root_cause: usize,
    /// Its stable identity across seeds, world sizes and builds (see `regress::fingerprint`): SARIF's
    /// `cloisonFinding/v1`, what `--baseline` and `--accept` match.
    #[serde(default)]
    pub fingerprint: String,
    /// Against the baseline (`--baseline`): `new` or `unchanged`; `null` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<cloison_suites::baseline::BaselineState>,
    /// The accepted risk that covers it (`--accept`), active or expired; `null` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<super::regress::AcceptedRisk>,
}

impl Evidence {
    /// The tier of this evidence.
    pub fn tier(self) -> Tier {
        match self {
            Evidence::ProvenLeak | Evidence::ProvenTampering | Evidence::ProvenUntraced => {
                Tier::Proven
            }
            Evidence::Suspicious => Tier::Suspicious,
        }
    }
}

/// The root causes grouped by missing check ([`Scope`]), most severe first (proven first, then by
/// scope and endpoint); whether each fails the run is `fail_on`'s.
pub fn group(causes: &[RootCause], fail_on: FailOn) -> Vec<Group> {
    let mut by_check: BTreeMap<Check<'_>, Vec<usize>> = BTreeMap::new();
    for (index, check) in checks(causes).into_iter().enumerate() {
        by_check.entry(check).or_default().push(index);
    }
    let mut groups: Vec<Group> = by_check
        .into_iter()
        .filter_map(|(check, members)| {
            let best = *members
                .iter()
                .min_by_key(|&&i| representative_rank(&causes[i], i))?;
            let evidence = causes[best].evidence;
            let mut endpoints: Vec<String> = members
                .iter()
                .map(|&i| causes[i].endpoint.clone())
                .collect();
            endpoints.sort();
            endpoints.dedup();
            let mut cells: Vec<GroupCell> = members
                .iter()
                .map(|&i| {
                    let c = &causes[i];
                    GroupCell {
                        family: c.family,
                        endpoint: c.endpoint.clone(),
                        role: c.role.clone(),
                        relation: c.relation.clone(),
                        kind: c.kind.clone(),
                        via: c.via.clone(),
                        evidence: c.evidence,
                        instances: c.instances,
                        root_cause: i,
                    }
                })
                .collect();
            cells.sort_by(|a, b| {
                (
                    a.evidence,
                    &a.role,
                    &a.relation,
                    &a.kind,
                    &a.via,
                    a.family,
                    &a.endpoint,
                )
                    .cmp(&(
                        b.evidence,
                        &b.role,
                        &b.relation,
                        &b.kind,
                        &b.via,
                        b.family,
                        &b.endpoint,
                    ))
            });
            Some(Group {
                scope: check.scope(),
                family: causes[best].family,
                endpoint: causes[best].endpoint.clone(),
                via: match check {
                    Check::Selector(via) => Some(via.to_string()),
                    _ => None,
                },
                caller: match check {
                    Check::Caller(_, role, relation) => Some(format!("{role} on {relation}")),
                    _ => None,
                },
                endpoints,
                evidence,
                tier: evidence.tier(),
                fails: fail_on.fails(evidence.tier()),
                instances: cells.iter().map(|c| c.instances).sum(),
                cells,
                root_cause: best,
                fingerprint: String::new(),
                baseline: None,
                accepted: None,
            })
        })
        .collect();
    groups.sort_by(|a, b| {
        (a.evidence, a.scope, a.family, &a.endpoint, &a.via).cmp(&(
            b.evidence,
            b.scope,
            b.family,
            &b.endpoint,
            &b.via,
        ))
    });
    for group in &mut groups {
        group.fingerprint = super::regress::fingerprint(group);
    }
    groups
}

/// How a group's reproducer is chosen, smallest first: the strongest evidence, a shrunk reproducer, one
/// without a stateful sequence, the earliest detection, then the root cause's order.
fn representative_rank(cause: &RootCause, index: usize) -> (Evidence, bool, usize, usize, usize) {
    (
        cause.evidence,
        !cause.shrunk,
        cause.reproducer.steps.len(),
        cause.first_detection.probes,
        index,
    )
}

impl Group {
    /// What the missing check is, in words: `direct-read on resources.case.read`, `tenant-selector
    /// through header X-Tenant on 5 endpoint(s)`, `refusal answers that carry the refused data on 6
    /// endpoint(s)`.
    pub fn check(&self) -> String {
        match self.scope {
            Scope::Endpoint => format!("{} on {}", self.family, self.endpoint),
            Scope::Caller => format!(
                "{} got through on {} endpoint(s)",
                self.caller.as_deref().unwrap_or("-"),
                self.endpoints.len()
            ),
            Scope::Selector => format!(
                "{} through {} on {} endpoint(s)",
                self.family,
                self.via.as_deref().unwrap_or("-"),
                self.endpoints.len()
            ),
            Scope::RefusalAnswers => format!(
                "refusal answers that carry the refused data on {} endpoint(s)",
                self.endpoints.len()
            ),
            Scope::Credential => format!(
                "forged session credentials accepted on {} endpoint(s)",
                self.endpoints.len()
            ),
        }
    }
}

/// How many groups of each tier.
pub fn tally(groups: &[Group]) -> Tally {
    Tally {
        proven: groups.iter().filter(|g| g.tier == Tier::Proven).count(),
        suspicious: groups.iter().filter(|g| g.tier == Tier::Suspicious).count(),
    }
}

/// The callers of a group, as a reader scans them: `applicant on other-tenant (3)`, `agent on stranger (1)`,
/// variations and kinds folded into their caller.
pub fn callers(group: &Group) -> Vec<String> {
    let mut callers: Vec<(String, usize)> = Vec::new();
    for cell in &group.cells {
        let name = format!("{} on {}", cell.role, cell.relation);
        match callers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, n)) => *n += cell.instances,
            None => callers.push((name, cell.instances)),
        }
    }
    callers
        .iter()
        .map(|(name, n)| format!("{name} ({n})"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Detection, Finding, Party};

    #[allow(clippy::too_many_arguments)]
    fn cause(
        family: Family,
        endpoint: &str,
        role: &str,
        relation: &str,
        evidence: Evidence,
        instances: usize,
        probes: usize,
        shrunk: bool,
    ) -> RootCause {
        let party = Party {
            identity: format!("{role}@example.org"),
            role: role.into(),
            tenant: "13".into(),
        };
        RootCause {
            family,
            endpoint: endpoint.into(),
            role: role.into(),
            relation: relation.into(),
            kind: "document".into(),
            via: None,
            evidence,
            instances,
            first_detection: Detection {
                probes,
                seconds: probes as f64 / 100.0,
            },
            reproducer: Finding {
                root_cause: 0,
                evidence,
                probe: format!("p{probes}"),
                actor: party,
                victim: None,
                record: None,
                request: None,
                status: 200,
                excerpt: String::new(),
                leaked: Vec::new(),
                explanation: String::new(),
                steps: Vec::new(),
            },
            shrunk,
            cwe: Vec::new(),
            owasp: String::new(),
        }
    }

    #[test]
    fn one_unchecked_route_is_one_finding_listing_every_caller() {
        use Evidence::*;
        let download = "resources.document.download";
        let causes = vec![
            cause(
                Family::DirectRead,
                download,
                "applicant",
                "other-tenant",
                ProvenLeak,
                3,
                40,
                false,
            ),
            cause(
                Family::DirectRead,
                download,
                "agent",
                "other-tenant",
                ProvenLeak,
                2,
                12,
                false,
            ),
            cause(
                Family::DirectRead,
                download,
                "applicant",
                "stranger",
                ProvenLeak,
                1,
                90,
                true,
            ),
            cause(
                Family::DirectRead,
                download,
                "applicant",
                "former",
                Suspicious,
                4,
                5,
                true,
            ),
            // Another family on the same route is another check; another route too.
            cause(
                Family::Anonymous,
                download,
                "anonymous",
                "stranger",
                ProvenLeak,
                1,
                60,
                false,
            ),
            cause(
                Family::IdentifierGuessing,
                "resources.case.read",
                "agent",
                "stranger",
                Suspicious,
                2,
                7,
                false,
            ),
        ];
        let groups = group(&causes, FailOn::Proven);
        assert_eq!(groups.len(), 3, "{groups:#?}");
        // One route: every family and caller that got through it, proven.
        let direct = &groups[0];
        assert_eq!(
            (direct.scope, direct.endpoint.as_str()),
            (Scope::Endpoint, download)
        );
        assert_eq!((direct.cells.len(), direct.instances), (4, 7));
        assert_eq!(direct.evidence, ProvenLeak);
        assert!(direct.fails);
        // The reproducer: the strongest evidence first, then a shrunk one (not the earliest).
        assert_eq!(direct.root_cause, 2);
        assert_eq!(
            callers(direct).join(", "),
            "agent on other-tenant (2), anonymous on stranger (1), applicant on other-tenant (3), applicant on stranger (1)"
        );
        // Status-only findings are their own tier: last, warnings unless --fail-on suspicious.
        assert_eq!(
            (groups[1].tier, groups[1].endpoint.as_str()),
            (Tier::Suspicious, download)
        );
        let guess = &groups[2];
        assert_eq!(
            (guess.family, guess.tier, guess.fails),
            (Family::IdentifierGuessing, Tier::Suspicious, false)
        );
        assert!(group(&causes, FailOn::Suspicious)[2].fails);
        assert_eq!(
            tally(&groups),
            Tally {
                proven: 1,
                suspicious: 2
            }
        );
        assert!(group(&[], FailOn::Proven).is_empty());
    }

    #[test]
    fn one_caller_through_every_endpoint_is_one_finding_the_fewest_checks_explain_all() {
        use Evidence::*;
        // A former representative reaches five endpoints (its check is missing everywhere); another
        // caller one of them: two findings, not five.
        let mut causes: Vec<RootCause> = [
            "case.read",
            "document.read",
            "document.download",
            "note.list",
            "decision.list",
        ]
        .iter()
        .map(|e| {
            cause(
                Family::DirectRead,
                e,
                "representative",
                "formerly-represented",
                ProvenLeak,
                1,
                10,
                false,
            )
        })
        .collect();
        causes.push(cause(
            Family::Stateful,
            "case.read",
            "representative",
            "formerly-represented",
            ProvenLeak,
            1,
            90,
            false,
        ));
        causes.push(cause(
            Family::Collection,
            "case.list",
            "representative",
            "collection",
            ProvenLeak,
            1,
            20,
            false,
        ));
        let groups = group(&causes, FailOn::Proven);
        let found: Vec<(Scope, usize, usize)> = groups
            .iter()
            .map(|g| (g.scope, g.cells.len(), g.endpoints.len()))
            .collect();
        assert_eq!(
            found,
            vec![(Scope::Endpoint, 1, 1), (Scope::Caller, 6, 5)],
            "{groups:#?}"
        );
        assert_eq!(
            groups[1].caller.as_deref(),
            Some("representative on formerly-represented")
        );
        // Three callers on three routes each: three findings (the routes), whatever the families.
        let mut grid = Vec::new();
        for endpoint in ["case.read", "document.read", "document.download"] {
            for relation in ["same-tenant", "formerly-represented", "other"] {
                grid.push(cause(
                    Family::DirectRead,
                    endpoint,
                    "applicant",
                    relation,
                    ProvenLeak,
                    1,
                    5,
                    false,
                ));
            }
        }
        grid.push(cause(
            Family::IdentifierGuessing,
            "case.read",
            "applicant",
            "own",
            ProvenLeak,
            1,
            5,
            false,
        ));
        let groups = group(&grid, FailOn::Proven);
        assert!(groups.len() <= 3, "{groups:#?}");
        assert!(
            groups.iter().all(|g| g.scope == Scope::Endpoint),
            "{groups:#?}"
        );
    }

    #[test]
    fn forged_credentials_accepted_are_one_check_across_endpoints_and_callers() {
        use Evidence::ProvenLeak;
        let mut grid = Vec::new();
        for endpoint in ["case.read", "document.download", "note.read"] {
            for role in ["applicant", "agent"] {
                grid.push(cause(
                    Family::ForgedCredential,
                    endpoint,
                    role,
                    "same-tenant",
                    ProvenLeak,
                    1,
                    5,
                    false,
                ));
            }
        }
        grid.push(cause(
            Family::DirectRead,
            "case.read",
            "applicant",
            "other-tenant",
            ProvenLeak,
            1,
            5,
            false,
        ));
        let groups = group(&grid, FailOn::Proven);
        let scopes: Vec<(Scope, usize)> = groups
            .iter()
            .map(|g| (g.scope, g.endpoints.len()))
            .collect();
        assert_eq!(scopes.len(), 2, "{groups:#?}");
        assert!(scopes.contains(&(Scope::Credential, 3)), "{scopes:?}");
        let forged = groups
            .iter()
            .find(|g| g.scope == Scope::Credential)
            .expect("one");
        assert_eq!(
            forged.check(),
            "forged session credentials accepted on 3 endpoint(s)"
        );
    }

    #[test]
    fn a_trusted_selector_and_refusals_that_carry_data_are_one_check_each_across_endpoints() {
        use Evidence::*;
        let mut causes = Vec::new();
        for endpoint in [
            "resources.case.list",
            "resources.case.export",
            "resources.document.read",
        ] {
            for via in ["header X-Tenant", "query parameter tenant"] {
                let mut c = cause(
                    Family::TenantSelector,
                    endpoint,
                    "agent",
                    "other-tenant",
                    ProvenLeak,
                    2,
                    9,
                    false,
                );
                c.via = Some(via.into());
                causes.push(c);
            }
            for (family, role) in [
                (Family::DirectRead, "applicant"),
                (Family::DirectWrite, "agent"),
            ] {
                let mut c = cause(
                    family,
                    endpoint,
                    role,
                    "other-tenant",
                    ProvenLeak,
                    1,
                    30,
                    false,
                );
                c.reproducer.status = 403;
                causes.push(c);
            }
        }
        // A status-only 403 is no leak in a refusal: its own check.
        let mut odd = cause(
            Family::IdentifierGuessing,
            "resources.case.read",
            "agent",
            "same-tenant",
            Suspicious,
            1,
            5,
            false,
        );
        odd.reproducer.status = 403;
        causes.push(odd);
        let groups = group(&causes, FailOn::Proven);
        let scopes: Vec<(Scope, Option<&str>, usize, usize)> = groups
            .iter()
            .map(|g| (g.scope, g.via.as_deref(), g.cells.len(), g.endpoints.len()))
            .collect();
        assert_eq!(
            scopes,
            vec![
                (Scope::Selector, Some("header X-Tenant"), 3, 3),
                (Scope::Selector, Some("query parameter tenant"), 3, 3),
                (Scope::RefusalAnswers, None, 6, 3),
                (Scope::Endpoint, None, 1, 1),
            ]
        );
    }
}
