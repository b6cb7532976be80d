//! Findings, grouped by class; the JSON report; the terminal summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::http::RequestSummary;
use crate::oracle::Hit;

/// How strong the evidence of a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// Foreign data reached the caller: a proven leak.
    ProvenLeak,
    /// The data was changed by someone who may not (proven by reading it back as its owner).
    ProvenTampering,
    /// A success where a refusal was expected, without foreign data: status-only evidence.
    Suspicious,
}

impl Evidence {
    fn label(self) -> &'static str {
        match self {
            Evidence::ProvenLeak => "PROVEN LEAK",
            Evidence::ProvenTampering => "PROVEN TAMPERING",
            Evidence::Suspicious => "SUSPICIOUS",
        }
    }
}

/// One side of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// Identity key (login).
    pub identity: String,
    /// cloison role.
    pub role: String,
    /// Tenant code.
    pub tenant: String,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The class it is grouped under (family and target of the probe).
    pub class: String,
    /// Strength of the evidence.
    pub evidence: Evidence,
    /// Probe identifier (family/actor/record).
    pub probe: String,
    /// Who acted.
    pub actor: Party,
    /// Whose record was aimed at (its steward), when the probe aimed at one.
    pub victim: Option<Party>,
    /// The record aimed at.
    pub record: Option<String>,
    /// The request (curl reproducer inside, credentials redacted).
    pub request: RequestSummary,
    /// Response status.
    pub status: u16,
    /// Response excerpt (credentials redacted).
    pub excerpt: String,
    /// Foreign canaries received, with their owners.
    pub leaked: Vec<Hit>,
    /// Why it is a finding.
    pub explanation: String,
}

/// Counts and rates of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Identities on the target.
    pub identities: usize,
    /// Records of the world seeded on the target.
    pub records_seeded: usize,
    /// Objects created over HTTP (tenants, identities, representations, records).
    pub objects_created: usize,
    /// Seconds spent provisioning and seeding (logins included).
    pub seed_seconds: f64,
    /// Objects per second while seeding.
    pub seed_rate: f64,
    /// Control reads (owners reading their own records).
    pub controls: usize,
    /// Probes sent.
    pub probes: usize,
    /// Seconds spent probing.
    pub probe_seconds: f64,
    /// Probes per second.
    pub probe_rate: f64,
    /// Write probes (each followed by the owner's read-back).
    pub writes: usize,
    /// Seconds spent in each setup phase (health, provision, login, seed).
    pub phases: Vec<(String, f64)>,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every probe was refused; the controls passed.
    Clean,
    /// At least one finding.
    Findings,
    /// The target failed: the run proves nothing about what was not probed.
    TargetFailure,
}

/// The whole report (`--json FILE`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// cloison version.
    pub cloison_version: &'static str,
    /// The target.
    pub target: String,
    /// What was deployed (and whether cloison writes to a remote deployment).
    pub deployment: String,
    /// The profile's platform name.
    pub platform: String,
    /// World seed.
    pub seed: u64,
    /// The command line that replays this run (same seed, same probes, same verdict).
    pub replay: String,
    /// Tenants.
    pub tenants: usize,
    /// Case files.
    pub cases: u64,
    /// Outcome.
    pub outcome: Outcome,
    /// Counts and rates.
    pub stats: Stats,
    /// Number of findings per class.
    pub classes: BTreeMap<String, usize>,
    /// Findings, in probe order.
    pub findings: Vec<Finding>,
    /// Target failures (5xx, transport errors, failed controls).
    pub failures: Vec<String>,
}

impl Report {
    /// Group counts by class.
    pub fn count_classes(findings: &[Finding]) -> BTreeMap<String, usize> {
        let mut classes = BTreeMap::new();
        for f in findings {
            *classes
                .entry(format!("{}: {}", f.evidence.label(), f.class))
                .or_insert(0) += 1;
        }
        classes
    }

    /// The human summary.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let s = &self.stats;
        let _ = writeln!(
            out,
            "cloison {} against {} ({})",
            self.cloison_version, self.platform, self.target
        );
        if !self.deployment.is_empty() {
            let _ = writeln!(out, "target: {}", self.deployment);
        }
        let _ = writeln!(
            out,
            "world: seed {}, {} tenants, {} case files; {} identities, {} records seeded ({} objects in {:.2} s, {:.0}/s)",
            self.seed,
            self.tenants,
            self.cases,
            s.identities,
            s.records_seeded,
            s.objects_created,
            s.seed_seconds,
            s.seed_rate
        );
        let _ = writeln!(
            out,
            "probes: {} direct reads and {} owner controls in {:.2} s ({:.0} probes/s); {} direct writes read back by their owners",
            s.probes, s.controls, s.probe_seconds, s.probe_rate, s.writes
        );
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nfindings by class:");
            let mut by_class: BTreeMap<(Evidence, &str), Vec<&Finding>> = BTreeMap::new();
            for f in &self.findings {
                by_class
                    .entry((f.evidence, f.class.as_str()))
                    .or_default()
                    .push(f);
            }
            for ((evidence, class), findings) in &by_class {
                let _ = writeln!(
                    out,
                    "  {} {}: {} finding(s)",
                    evidence.label(),
                    class,
                    findings.len()
                );
                for f in findings.iter().take(3) {
                    let victim = f.victim.as_ref().map_or_else(String::new, |v| {
                        format!(" -> {} ({}, {})", v.identity, v.role, v.tenant)
                    });
                    let _ = writeln!(
                        out,
                        "    {} ({}, {}){}: {}",
                        f.actor.identity, f.actor.role, f.actor.tenant, victim, f.explanation
                    );
                    for hit in f.leaked.iter().take(3) {
                        let person = hit.owner.person.as_deref().unwrap_or("-");
                        let _ = writeln!(
                            out,
                            "      leaked {} {:?} of person {} in tenant {}",
                            hit.field, hit.canary, person, hit.owner.tenant
                        );
                    }
                }
                if let Some(first) = findings.first() {
                    let _ = writeln!(out, "    reproduce: {}", first.request.curl);
                }
            }
        }
        if !self.failures.is_empty() {
            let _ = writeln!(out, "\ntarget failures ({}):", self.failures.len());
            for failure in self.failures.iter().take(5) {
                let _ = writeln!(out, "  {failure}");
            }
        }
        let verdict = match self.outcome {
            Outcome::Clean => {
                "CLEAN: every probe was refused and no foreign data reached anyone".to_string()
            }
            Outcome::Findings => format!(
                "FINDINGS: {} ({} classes)",
                self.findings.len(),
                self.classes.len()
            ),
            Outcome::TargetFailure => {
                "TARGET FAILURE: the target did not answer properly; this run proves nothing clean"
                    .to_string()
            }
        };
        let _ = writeln!(out, "\n{verdict}");
        if self.outcome != Outcome::Clean {
            let _ = writeln!(out, "seed {}; replay: {}", self.seed, self.replay);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use cloison_suites::DataOwner;

    use super::*;

    fn finding(actor: &str, record: &str, evidence: Evidence, class: &str) -> Finding {
        Finding {
            class: class.into(),
            evidence,
            probe: format!("direct-read/{actor}/{record}"),
            actor: Party { identity: actor.into(), role: "applicant".into(), tenant: "13".into() },
            victim: Some(Party { identity: "owner@example.org".into(), role: "applicant".into(), tenant: "13".into() }),
            record: Some(record.into()),
            request: RequestSummary {
                method: "GET".into(),
                url: "http://127.0.0.1:8080/api/v1/documents/d1/content".into(),
                curl: "curl -sS -X GET 'http://127.0.0.1:8080/api/v1/documents/d1/content' -H 'Authorization: <redacted: credential of a@example.org>'".into(),
            },
            status: 200,
            excerpt: "%PDF-1.4 ...".into(),
            leaked: vec![Hit {
                canary: "13-2024-000002/D1".into(),
                field: "document_reference".into(),
                owner: DataOwner { tenant: "13".into(), person: Some("4".into()), case: Some("case-2".into()) },
            }],
            explanation: "1 canary of person 4 of tenant 13 reached a@example.org (applicant) with status 200".into(),
        }
    }

    #[test]
    fn summary_groups_findings_by_class() {
        let findings = vec![
            finding(
                "a@example.org",
                "document-1",
                Evidence::ProvenLeak,
                "direct-read: download document",
            ),
            finding(
                "b@example.org",
                "document-1",
                Evidence::ProvenLeak,
                "direct-read: download document",
            ),
            Finding {
                leaked: Vec::new(),
                explanation: "200 where a refusal was expected, without foreign data".into(),
                ..finding(
                    "a@example.org",
                    "case-2",
                    Evidence::Suspicious,
                    "direct-read: read case",
                )
            },
        ];
        let report = Report {
            cloison_version: "0.1.0",
            target: "embedded".into(),
            deployment: "embedded reference portal with flaws document-idor".into(),
            platform: "cloison reference portal".into(),
            seed: 1,
            replay:
                "cloison run --target embedded --seed 1 --tenants 2 --cases 16 --flaw document-idor"
                    .into(),
            tenants: 2,
            cases: 16,
            outcome: Outcome::Findings,
            stats: Stats {
                identities: 35,
                probes: 3715,
                controls: 127,
                writes: 62,
                ..Stats::default()
            },
            classes: Report::count_classes(&findings),
            findings,
            failures: Vec::new(),
        };
        insta::assert_snapshot!(report.summary());
        insta::assert_json_snapshot!(report.classes);
    }
}
