//! The report of a run: root causes (one per failing cell, with its instances and a minimal reproducer),
//! grouped into findings by missing check ([`group`]), the coverage block (families run or skipped with the reason, endpoints exercised against declared),
//! warnings, the verdict and its reasons; the JSON report and the terminal summary.

use std::collections::BTreeMap;

use cloison_suites::outcome::{FailOn, Failure, Inconclusive, Skip};
use cloison_suites::{Cell, Family, FamilyPlan, Hit, Verdict};
use serde::{Deserialize, Serialize};

use crate::event::Judged;
pub use crate::event::{StatefulCoverage, Stats, TraceStep};
pub use group::{Group, GroupCell};
pub use unsent::{CellNotSent, NotSentReason};

pub mod diff;
pub mod group;
pub mod matrix;
pub mod regress;
mod summary;
pub mod unsent;
use crate::http::RequestSummary;

/// How strong the evidence of a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// Foreign data reached the caller: a proven leak.
    ProvenLeak,
    /// The data was changed, destroyed or moved out of its owner's reach by someone who may not (proven by
    /// reading it back).
    ProvenTampering,
    /// The platform's audit trail does not show an access or a change the run made and was served
    /// (proven by the run's own request against the trail read whole).
    ProvenUntraced,
    /// A success where a refusal was expected, without foreign data: status-only evidence.
    Suspicious,
}

impl Evidence {
    /// The label in the terminal.
    pub fn label(self) -> &'static str {
        match self {
            Evidence::ProvenLeak => "PROVEN LEAK",
            Evidence::ProvenTampering => "PROVEN TAMPERING",
            Evidence::ProvenUntraced => "PROVEN UNTRACED",
            Evidence::Suspicious => "SUSPICIOUS",
        }
    }

    /// The evidence of a verdict, when it is a finding.
    pub fn of(verdict: &Verdict) -> Option<Evidence> {
        match verdict {
            Verdict::Leak(_) => Some(Evidence::ProvenLeak),
            Verdict::Tampering(_) => Some(Evidence::ProvenTampering),
            Verdict::Untraced(_) => Some(Evidence::ProvenUntraced),
            Verdict::Suspicious(_) => Some(Evidence::Suspicious),
            _ => None,
        }
    }
}

/// One side of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Identity key (login), or `anonymous`.
    pub identity: String,
    /// cloison role.
    pub role: String,
    /// Tenant code.
    pub tenant: String,
}

/// One finding: an instance of a root cause.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// The root cause it belongs to (index in `root_causes`).
    pub root_cause: usize,
    /// Strength of the evidence.
    pub evidence: Evidence,
    /// Probe identifier.
    pub probe: String,
    /// Who acted.
    pub actor: Party,
    /// Whose record was aimed at (its steward), when the probe aimed at one.
    pub victim: Option<Party>,
    /// The record aimed at.
    pub record: Option<String>,
    /// The request (curl reproducer inside, credentials redacted).
    pub request: Option<RequestSummary>,
    /// Response status.
    pub status: u16,
    /// Response excerpt (credentials redacted).
    pub excerpt: String,
    /// Foreign canaries received, with their owners.
    pub leaked: Vec<Hit>,
    /// Why it is a finding.
    pub explanation: String,
    /// For the stateful family: the steps that lead to it, in order (replayed by the run's replay
    /// command, same seed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<TraceStep>,
}

/// When a root cause was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Probes sent in the probe phase up to and including the first instance (controls count).
    pub probes: usize,
    /// Seconds from the start of the probe phase.
    pub seconds: f64,
}

/// One root cause: a failing cell (family, endpoint, caller role, relation to the data, kind, variation)
/// with the strength of its evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootCause {
    /// Family.
    pub family: Family,
    /// Endpoint key in the profile.
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
    /// First detection.
    pub first_detection: Detection,
    /// A minimal reproducer: two identities, one object, one request.
    pub reproducer: Finding,
    /// Whether the reproducer was shrunk against the target (else it is the first instance).
    pub shrunk: bool,
    /// CWE references of the family.
    pub cwe: Vec<String>,
    /// OWASP API Security Top 10 (2023) category of the family.
    pub owasp: String,
}

/// What was covered for one family.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FamilyCoverage {
    /// Family name.
    pub family: String,
    /// Probes executed.
    pub probes: usize,
    /// Probes planned.
    pub planned: usize,
    /// Cells planned.
    pub cells: usize,
    /// Planned probes that could not be applied to this target (for example neighbours of identifiers
    /// that are not numbers).
    pub not_applicable: usize,
    /// Why the family did not run, or `null`.
    pub skipped: Option<String>,
    /// Planned probes sent (judged, or failed on the target's side).
    #[serde(default)]
    pub sent: usize,
    /// Planned probes not sent, whatever the reason.
    #[serde(default)]
    pub not_sent: usize,
    /// Why they were not sent, per kind of reason.
    #[serde(default)]
    pub not_sent_reasons: Vec<NotSentReason>,
}

/// One planned cell (family x endpoint x caller role x relation x kind x variation): how many probes were
/// planned in it, what the policy expects of them, and the strongest finding it showed, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellCoverage {
    /// Family.
    pub family: Family,
    /// Endpoint key in the profile.
    pub endpoint: String,
    /// Caller role.
    pub role: String,
    /// How the caller relates to the data.
    pub relation: String,
    /// Record kind.
    pub kind: String,
    /// How the request was varied.
    pub via: Option<String>,
    /// What the policy expects of the cell's probes: `refusal`, `visible`, `control` or `existence`.
    pub expect: String,
    /// Probes planned in the cell.
    pub planned: usize,
    /// The strongest finding of the cell, or `null` when it passed.
    pub finding: Option<Evidence>,
    /// Probes of the cell sent (controls are sent more than once).
    #[serde(default)]
    pub sent: usize,
    /// Probes of the cell not sent, per kind of reason.
    #[serde(default)]
    pub not_sent: Vec<CellNotSent>,
}

/// The coverage block.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Coverage {
    /// Per family.
    pub families: Vec<FamilyCoverage>,
    /// Probes per endpoint key.
    pub endpoints: BTreeMap<String, usize>,
    /// Endpoints the profile declares that no probe and no setup step used.
    pub unused_endpoints: Vec<String>,
    /// Controls that passed, of those run.
    pub controls_passed: usize,
    /// Controls run.
    pub controls_run: usize,
    /// Every planned cell, with its probe count and its finding (see `reporters::cells`).
    pub cells: Vec<CellCoverage>,
    /// What the stateful suite covered: its scene, sequences, transitions accepted, refused and skipped.
    #[serde(default)]
    pub stateful: StatefulCoverage,
    /// With an OpenAPI document: every operation of it, and the families that probed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<crate::openapi::coverage::OperationCoverage>>,
    /// Cells of a family that applies that the planner left out, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unplanned: Vec<UnplannedCoverage>,
}

/// Cells the planner left out on an endpoint although their family applies, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnplannedCoverage {
    /// Family.
    pub family: Family,
    /// Endpoint key in the profile.
    pub endpoint: String,
    /// The caller role of the cells left out.
    pub role: String,
    /// Why, as a sentence.
    pub reason: String,
}

impl From<&cloison_suites::planner::Unplanned> for UnplannedCoverage {
    fn from(unplanned: &cloison_suites::planner::Unplanned) -> Self {
        Self {
            family: unplanned.family,
            endpoint: unplanned.endpoint.clone(),
            role: unplanned.role.clone(),
            reason: unplanned.reason.to_string(),
        }
    }
}

pub use cloison_suites::outcome::Outcome;

/// Version of the JSON report's schema (`docs/report.schema.json`): bumped when a field changes meaning or
/// disappears; fields may be added within a version.
pub const SCHEMA_VERSION: &str = "2";

/// The whole report (`--json FILE`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Version of the report's schema ([`SCHEMA_VERSION`]).
    pub schema_version: String,
    /// cloison version.
    pub cloison_version: String,
    /// The shard of the probe space this run covered (`K/N`, see `--shard`), or `null` for the whole.
    #[serde(default)]
    pub shard: Option<String>,
    /// The target.
    pub target: String,
    /// What was deployed (and whether cloison writes to a remote deployment).
    pub deployment: String,
    /// The profile's platform name.
    pub platform: String,
    /// The profile file (or the embedded reference portal's).
    pub profile: String,
    /// SHA-256 of the profile's text, in hexadecimal.
    pub profile_digest: String,
    /// World seed.
    pub seed: u64,
    /// The world's run tag (`--run-tag`, default `seed mod 100`): which slice of every value space its
    /// canaries come from.
    #[serde(default)]
    pub run_tag: u16,
    /// The command line that replays this run (same seed, same probes, same verdict).
    pub replay: String,
    /// Tenants.
    pub tenants: usize,
    /// Case files.
    pub cases: u64,
    /// Outcome.
    pub outcome: Outcome,
    /// Why the outcome is not clean, or what limits it.
    pub reasons: Vec<Inconclusive>,
    /// Counts and rates.
    pub stats: Stats,
    /// What was covered.
    pub coverage: Coverage,
    /// Which findings fail the run (`--fail-on`): `proven` (the default; status-only findings are
    /// warnings) or `suspicious`.
    #[serde(default)]
    pub fail_on: FailOn,
    /// Findings: the root causes grouped by missing check (see `group::Scope`), most severe first, each
    /// with its tier, whether it fails the run, its callers and the root cause of its reproducer.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// With `--baseline`: the baseline report compared with, and how many findings are new, unchanged and
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<regress::BaselineInfo>,
    /// With `--baseline`: the baseline's findings this run does not show (fixed, or no longer reached).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<regress::AbsentFinding>,
    /// Root causes, most severe first.
    pub root_causes: Vec<RootCause>,
    /// Every instance, in probe order.
    pub findings: Vec<Finding>,
    /// Warnings (server errors to forbidden requests, renewed sessions, unused endpoints).
    pub warnings: Vec<String>,
    /// Target failures (transport errors, failed controls).
    pub failures: Vec<Failure>,
    /// The pace the run used (requests in flight, timeout) and why it changed; absent from a run that
    /// stopped before sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace: Option<crate::http::PaceReport>,
    /// The audit-trail family's section: the platform's trail reconciled with what the run did (share of
    /// accesses logged per kind and operation, the unlogged ones with their request, data found in it);
    /// absent when the profile has no `[audit]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::event::AuditCoverage>,
}

/// How to describe the identities and records of a run in findings.
pub trait Describe {
    /// The party of an identity key.
    fn party(&self, key: &str) -> Option<Party>;
    /// The steward of a record, as a party.
    fn victim(&self, record: &str) -> Option<Party>;
    /// Every credential value to redact.
    fn secrets(&self) -> &dyn crate::redact::Hide;
}

/// Build the finding of a judged probe.
pub fn finding(judged: &Judged, root_cause: usize, describe: &dyn Describe) -> Option<Finding> {
    let evidence = Evidence::of(&judged.verdict)?;
    let probe = &judged.probe;
    let actor = match &probe.actor {
        Some(key) => describe.party(key).unwrap_or(Party {
            identity: key.clone(),
            role: probe.cell.role.clone(),
            tenant: String::new(),
        }),
        None => Party {
            identity: "anonymous".into(),
            role: "anonymous".into(),
            tenant: String::new(),
        },
    };
    let secrets = describe.secrets();
    let leaked = match &judged.verdict {
        Verdict::Leak(hits) => hits.clone(),
        _ => Vec::new(),
    };
    Some(Finding {
        root_cause,
        evidence,
        probe: probe.id(),
        actor,
        victim: probe.record.as_deref().and_then(|r| describe.victim(r)),
        record: probe.record.clone(),
        request: judged.exchange.as_ref().map(|e| RequestSummary {
            curl: crate::http::redact(&e.request.curl, secrets),
            ..e.request.clone()
        }),
        status: judged.exchange.as_ref().map_or(0, |e| e.observed.status),
        // A leak's evidence is the body as it came; anything else (a server error, say) shows its cause.
        excerpt: judged.exchange.as_ref().map_or_else(String::new, |e| {
            if leaked.is_empty() {
                e.answer(400, secrets)
            } else {
                e.excerpt(400, secrets)
            }
        }),
        leaked,
        explanation: crate::http::redact(&judged.explanation, secrets),
        steps: judged
            .steps
            .iter()
            .map(|s| TraceStep {
                phase: s.phase.clone(),
                step: crate::http::redact(&s.step, secrets),
                status: s.status,
                curl: s.curl.as_ref().map(|c| crate::http::redact(c, secrets)),
            })
            .collect(),
    })
}

/// Group the findings of `events` into root causes (one per cell and evidence), most severe first; the
/// reproducer of each is its shrunk probe when there is one, else its first instance.
pub fn root_causes(
    events: &[Judged],
    reproducers: &[Judged],
    describe: &dyn Describe,
) -> (Vec<RootCause>, Vec<Finding>) {
    let mut groups: BTreeMap<(Evidence, Cell), Vec<&Judged>> = BTreeMap::new();
    for event in events {
        if let Some(evidence) = Evidence::of(&event.verdict) {
            groups
                .entry((evidence, event.probe.cell.clone()))
                .or_default()
                .push(event);
        }
    }
    let mut causes = Vec::new();
    let mut findings = Vec::new();
    for (index, ((evidence, cell), instances)) in groups.into_iter().enumerate() {
        let first = instances
            .iter()
            .min_by(|a, b| (a.sequence == 0, a.sequence).cmp(&(b.sequence == 0, b.sequence)))
            .copied();
        let Some(first) = first else { continue };
        let shrunk = reproducers
            .iter()
            .find(|r| r.probe.cell == cell && Evidence::of(&r.verdict) == Some(evidence));
        let Some(reproducer) = finding(shrunk.unwrap_or(first), index, describe) else {
            continue;
        };
        for instance in &instances {
            if let Some(f) = finding(instance, index, describe) {
                findings.push(f);
            }
        }
        causes.push(RootCause {
            family: cell.family,
            endpoint: cell.endpoint.clone(),
            role: cell.role.clone(),
            relation: cell.relation.name().to_string(),
            kind: cell.kind.name().to_string(),
            via: cell.via.clone(),
            evidence,
            instances: instances.len(),
            first_detection: Detection {
                probes: first.sequence,
                seconds: first.at,
            },
            reproducer,
            shrunk: shrunk.is_some(),
            cwe: cell.family.cwe().iter().map(|c| c.to_string()).collect(),
            owasp: cell.family.owasp().to_string(),
        });
    }
    findings.sort_by(|a, b| a.probe.cmp(&b.probe));
    (causes, findings)
}

/// Why each planned family did not run, if it did not: the plan's reason, else (no probe executed) that
/// every planned probe was inapplicable, with the first reason given.
pub fn skips(
    plans: &[FamilyPlan],
    executed: &BTreeMap<String, usize>,
    not_applicable: &BTreeMap<String, (usize, String)>,
) -> Vec<Option<Skip>> {
    plans
        .iter()
        .map(|plan| {
            let name = plan.family.name();
            let probes = executed.get(name).copied().unwrap_or(0);
            match &plan.skipped {
                Some(why) => Some(Skip::planned(why)),
                None => (probes == 0)
                    .then(|| Skip::Inapplicable(not_applicable.get(name).map(|(_, r)| r.clone()))),
            }
        })
        .collect()
}

/// The coverage block of a run.
pub fn coverage(
    plans: &[FamilyPlan],
    executed: &BTreeMap<String, usize>,
    not_applicable: &BTreeMap<String, (usize, String)>,
    endpoints: BTreeMap<String, usize>,
    unused_endpoints: Vec<String>,
    controls: (usize, usize),
) -> Coverage {
    let skips = skips(plans, executed, not_applicable);
    let families = plans
        .iter()
        .zip(skips)
        .map(|(plan, skip)| {
            let name = plan.family.name();
            FamilyCoverage {
                family: name.to_string(),
                probes: executed.get(name).copied().unwrap_or(0),
                planned: plan.probes,
                cells: plan.cells,
                not_applicable: not_applicable.get(name).map_or(0, |(n, _)| *n),
                skipped: skip.map(|s| s.to_string()),
                sent: executed.get(name).copied().unwrap_or(0),
                not_sent: 0,
                not_sent_reasons: Vec::new(),
            }
        })
        .collect();
    Coverage {
        families,
        endpoints,
        unused_endpoints,
        controls_passed: controls.0,
        controls_run: controls.1,
        cells: Vec::new(),
        stateful: Default::default(),
        operations: None,
        unplanned: Vec::new(),
    }
}

/// How a part of the summary stands out on a terminal (`term` colours it; plain text ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A finding, a target failure: red.
    Alarm,
    /// A suspicion, an inconclusive run: yellow.
    Caution,
    /// A clean run: green.
    Good,
}

impl Evidence {
    /// How its label stands out.
    pub fn tone(self) -> Tone {
        match self {
            Evidence::ProvenLeak | Evidence::ProvenTampering | Evidence::ProvenUntraced => {
                Tone::Alarm
            }
            Evidence::Suspicious => Tone::Caution,
        }
    }
}

/// How the verdict line of an outcome stands out (an interrupted run's does not).
pub fn outcome_tone(outcome: Outcome) -> Option<Tone> {
    match outcome {
        Outcome::Clean => Some(Tone::Good),
        Outcome::Findings | Outcome::TargetFailure => Some(Tone::Alarm),
        Outcome::Inconclusive => Some(Tone::Caution),
        Outcome::Interrupted => None,
    }
}

/// Paints a part of the summary in a tone.
pub type Paint<'a> = &'a dyn Fn(Tone, &str) -> String;

#[cfg(test)]
mod tests {
    use cloison_suites::{DataOwner, Expect, Observed, Probe, RecordKind, Relation, Variant};

    use super::*;
    use crate::http::Exchange;

    struct Fixed;

    const SECRETS: [&str; 1] = ["s3cret-token"];

    impl Describe for Fixed {
        fn party(&self, key: &str) -> Option<Party> {
            Some(Party {
                identity: key.into(),
                role: "applicant".into(),
                tenant: "13".into(),
            })
        }
        fn victim(&self, _record: &str) -> Option<Party> {
            Some(Party {
                identity: "owner@example.org".into(),
                role: "applicant".into(),
                tenant: "75".into(),
            })
        }
        fn secrets(&self) -> &dyn crate::redact::Hide {
            &SECRETS
        }
    }

    fn judged(actor: &str, record: &str, sequence: usize, verdict: Verdict) -> Judged {
        let cell = Cell {
            family: Family::DirectRead,
            endpoint: "resources.document.download".into(),
            role: "applicant".into(),
            relation: Relation::OtherTenant,
            kind: RecordKind::Document,
            via: None,
        };
        Judged {
            probe: Probe {
                family: Family::DirectRead,
                actor: Some(actor.into()),
                endpoint: cell.endpoint.clone(),
                record: Some(record.into()),
                variant: Variant::Plain,
                expect: Expect::Refusal,
                cell,
            },
            verdict,
            exchange: Some(Exchange {
                request: RequestSummary {
                    method: "GET".into(),
                    url: format!("http://127.0.0.1:8080/files/{record}"),
                    curl: format!(
                        "curl -sS -X GET 'http://127.0.0.1:8080/files/{record}' -H 'Authorization: Bearer s3cret-token'"
                    ),
                },
                observed: Observed {
                    status: 200,
                    headers: Vec::new(),
                    body: b"%PDF-1.4 s3cret-token ...".to_vec(),
                    redirects: Vec::new(),
                    truncated: false,
                },
                sent: Vec::new(),
                retried_after: None,
                echoed: false,
            }),
            at: sequence as f64 / 1000.0,
            sequence,
            explanation: format!("1 canary of person 4 of tenant 75 reached {actor}"),
            steps: Vec::new(),
        }
    }

    fn leak() -> Verdict {
        Verdict::Leak(vec![Hit {
            canary: "75-2024-000002/D1".into(),
            field: cloison_suites::generators::canary::CanaryKind::DocumentReference,
            owner: DataOwner {
                tenant: "75".into(),
                person: Some("4".into()),
                case: Some("case-2".into()),
                kind: None,
            },
        }])
    }

    #[test]
    fn instances_of_a_cell_are_one_root_cause_with_its_minimal_reproducer() {
        let events = vec![
            judged("b@example.org", "document-9", 40, leak()),
            judged("a@example.org", "document-3", 12, leak()),
            judged("c@example.org", "document-5", 90, leak()),
        ];
        let (causes, findings) = root_causes(&events, &[], &Fixed);
        assert_eq!(causes.len(), 1);
        assert_eq!(findings.len(), 3);
        let cause = &causes[0];
        assert_eq!(cause.instances, 3);
        assert_eq!(cause.first_detection.probes, 12);
        assert!(!cause.shrunk);
        assert_eq!(cause.reproducer.actor.identity, "a@example.org");
        // A shrunk reproducer replaces the first instance.
        let shrunk = judged("z@example.org", "document-1", 200, leak());
        let (causes, _) = root_causes(&events, &[shrunk], &Fixed);
        assert!(causes[0].shrunk);
        assert_eq!(causes[0].reproducer.record.as_deref(), Some("document-1"));
        // Credentials never reach a finding.
        let text = serde_json::to_string(&causes).expect("serialises");
        assert!(!text.contains("s3cret-token"), "{text}");
    }

    /// A report of these events, as a run against the reference portal would write it.
    fn sample(events: &[Judged], fail_on: FailOn) -> Report {
        let (root_causes, findings) = root_causes(events, &[], &Fixed);
        let plans = [
            FamilyPlan {
                family: Family::DirectRead,
                probes: 40,
                cells: 12,
                skipped: None,
            },
            FamilyPlan {
                family: Family::Search,
                probes: 0,
                cells: 0,
                skipped: Some("not applicable: no `search` endpoint in [resources]".into()),
            },
        ];
        let executed = BTreeMap::from([("direct-read".to_string(), 40)]);
        let groups = group::group(&root_causes, fail_on);
        let (failing, _) = group::tally(&groups).split(fail_on);
        Report {
            schema_version: SCHEMA_VERSION.into(),
            profile: "fixtures/profiles/reference-portal.toml".into(),
            profile_digest: String::new(),
            cloison_version: "0.1.0".into(),
            shard: None,
            target: "embedded".into(),
            deployment: "embedded reference portal with flaws document-idor".into(),
            platform: "cloison reference portal".into(),
            seed: 1,
            run_tag: 1,
            replay: "cloison run --target 'embedded' --seed 1 --run-tag 1 --tenants 2 --cases 16 --flaw 'document-idor'"
                .into(),
            tenants: 2,
            cases: 16,
            outcome: if failing > 0 {
                Outcome::Findings
            } else {
                Outcome::Clean
            },
            reasons: Vec::new(),
            stats: Stats {
                identities: 36,
                probes: 640,
                controls: 48,
                writes: 40,
                ..Stats::default()
            },
            coverage: coverage(
                &plans,
                &executed,
                &BTreeMap::new(),
                BTreeMap::from([("resources.document.download".to_string(), 40)]),
                vec!["auth.logout".into()],
                (48, 48),
            ),
            fail_on,
            groups,
            baseline: None,
            absent: Vec::new(),
            root_causes,
            findings,
            warnings: vec!["auth.logout is declared but no probe used it".into()],
            failures: Vec::new(),
            pace: None,
            audit: None,
        }
    }

    /// `judged`, in another cell.
    fn moved(mut judged: Judged, endpoint: &str, role: &str, relation: Relation) -> Judged {
        judged.probe.cell.endpoint = endpoint.into();
        judged.probe.endpoint = endpoint.into();
        judged.probe.cell.role = role.into();
        judged.probe.cell.relation = relation;
        judged
    }

    /// The cells of a report's root causes, with their findings, and a few that showed nothing.
    fn cells_of(report: &Report) -> Vec<CellCoverage> {
        let mut cells: Vec<CellCoverage> = (report.root_causes.iter())
            .map(|c| CellCoverage {
                family: c.family,
                endpoint: c.endpoint.clone(),
                role: c.role.clone(),
                relation: c.relation.clone(),
                kind: c.kind.clone(),
                via: c.via.clone(),
                expect: "refusal".into(),
                planned: 3,
                finding: Some(c.evidence),
                sent: 3,
                not_sent: Vec::new(),
            })
            .collect();
        for (endpoint, role, relation, expect) in [
            ("resources.document.download", "applicant", "own", "control"),
            ("resources.case.read", "applicant", "same-tenant", "refusal"),
            ("resources.case.read", "applicant", "own", "control"),
        ] {
            cells.push(CellCoverage {
                endpoint: endpoint.into(),
                role: role.into(),
                relation: relation.into(),
                kind: if endpoint.contains("case") {
                    "case"
                } else {
                    "document"
                }
                .into(),
                expect: expect.into(),
                finding: None,
                ..cells[0].clone()
            });
        }
        cells
    }

    /// Three callers through one route and a status-only answer elsewhere: two findings, one of them a
    /// warning; the matrix starts with the leak; the verdict counts findings by tier.
    #[test]
    fn summary_groups_root_causes_by_missing_check_and_lists_warnings() {
        let download = "resources.document.download";
        let events = vec![
            moved(
                judged("a@example.org", "document-3", 12, leak()),
                download,
                "applicant",
                Relation::OtherTenant,
            ),
            moved(
                judged("b@example.org", "document-9", 40, leak()),
                download,
                "agent",
                Relation::OtherTenant,
            ),
            moved(
                judged("c@example.org", "document-5", 41, leak()),
                download,
                "representative",
                Relation::SameTenant,
            ),
            moved(
                judged(
                    "d@example.org",
                    "document-6",
                    50,
                    Verdict::Suspicious(
                        "200 to a forbidden delete, but the owner's read-back shows no change"
                            .into(),
                    ),
                ),
                "resources.document.delete",
                "applicant",
                Relation::SameTenant,
            ),
        ];
        let mut report = sample(&events, FailOn::Proven);
        report.coverage.cells = cells_of(&report);
        assert_eq!((report.root_causes.len(), report.groups.len()), (4, 2));
        assert_eq!(report.outcome, Outcome::Findings);
        let summary = report.summary();
        assert!(
            summary
                .lines()
                .filter(|l| !l.contains("curl "))
                .all(|l| l.len() <= 130),
            "{summary}"
        );
        insta::assert_snapshot!("grouped", summary);
        // Only the status-only finding: a clean run with a warning; with --fail-on suspicious, findings.
        let mut warned = sample(&events[3..], FailOn::Proven);
        warned.coverage.cells = cells_of(&warned);
        assert_eq!(warned.outcome, Outcome::Clean);
        assert!(
            warned
                .verdict()
                .starts_with("CLEAN, 1 warning(s) (status-only): "),
            "{}",
            warned.verdict()
        );
        let strict = sample(&events[3..], FailOn::Suspicious);
        assert_eq!(strict.outcome, Outcome::Findings);
        assert_eq!(
            strict.verdict(),
            "FINDINGS: 1 finding(s) (0 proven, 1 status-only, failing with --fail-on suspicious); 1 root cause(s), 1 instance(s)"
        );
        // The HTML: the matrix by resource, leaks first, no table wider than two columns; findings, then
        // warnings.
        let html = crate::reporters::html::render(&report);
        let body = html
            .split("<h2>Access matrix</h2>")
            .nth(1)
            .unwrap_or_default();
        let body = body.split("<h2>Coverage</h2>").next().unwrap_or_default();
        assert!(
            body.find("LEAK").unwrap_or(usize::MAX) < body.find(": denied").unwrap_or(0),
            "{body}"
        );
        insta::assert_snapshot!("grouped_html", body.replace("><", ">\n<"));
    }

    /// An interrupted run's banner: one sentence, what was covered and found.
    #[test]
    fn an_interrupted_banner_says_what_was_covered() {
        let events = vec![judged("a@example.org", "document-3", 12, leak())];
        let mut report = sample(&events, FailOn::Proven);
        report.outcome = Outcome::Interrupted;
        report.coverage.families[0].sent = 25;
        assert_eq!(
            report.verdict(),
            "INTERRUPTED by a signal: 25 of 40 planned probes were sent and found 1 finding(s) (1 proven, 0 warning(s)) so far; the rest of the report is partial"
        );
        let html = crate::reporters::html::render(&report);
        assert!(html.contains(
            "<div class=\"verdict interrupted\" id=\"verdict\">INTERRUPTED by a signal: 25 of 40"
        ));
        assert!(
            html.contains(".verdict.interrupted { background:"),
            "the banner is readable: not white on white"
        );
    }

    #[test]
    fn summary_shows_root_causes_coverage_and_the_verdict() {
        let events = vec![
            judged("a@example.org", "document-3", 12, leak()),
            judged("b@example.org", "document-9", 40, leak()),
        ];
        insta::assert_snapshot!(sample(&events, FailOn::Proven).summary());
    }
}
