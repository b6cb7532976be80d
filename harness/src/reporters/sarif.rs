//! SARIF 2.1.0 (with `serde-sarif`): one rule per family (its summary as help text, CWE tags and the OWASP
//! API Security Top 10 category as properties), one result per finding (a missing check: family and
//! endpoint, with every caller that got through), with a stable fingerprint that code-scanning dashboards
//! track across runs: a SHA-256 of the missing check (the endpoint key, which names the operation; a
//! caller; a selector; refusal answers) and its tier, never of reproducers, identifiers, seeds or times. A proven leak or tampering is an `error`, a status-only finding a
//! `warning` (whatever `--fail-on` says). The location is the endpoint key (logical) in the profile file
//! (physical). With `--baseline`, each result has its `baselineState` (`new`, `unchanged`; the baseline's
//! findings this run does not show, in cells it sent probes to, are `absent` results of kind `pass`); an active accepted risk
//! (`--accept`) is an external, accepted suppression with its justification.

use std::collections::BTreeMap;

use cloison_suites::Family;
use serde_json::Value;
use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, ReportingDescriptor, Result as SarifResult, ResultKind,
    ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};

use super::ReportError;
use crate::report::group::callers;
use crate::report::regress::AbsentFinding;
use crate::report::{Evidence, Group, Report};
use cloison_suites::baseline::AcceptanceState;

pub use crate::report::regress::{FINGERPRINT_KEY, fingerprint};

fn rule(family: Family) -> ReportingDescriptor {
    let mut tags: Vec<String> = vec!["security".into()];
    tags.extend(
        family
            .cwe()
            .iter()
            .map(|c| format!("external/cwe/{}", c.to_lowercase())),
    );
    let mut extra = BTreeMap::new();
    extra.insert(
        "cwe".to_string(),
        Value::from(
            family
                .cwe()
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
        ),
    );
    extra.insert("owasp-api-top10".to_string(), Value::from(family.owasp()));
    extra.insert("security-severity".to_string(), Value::from("8.0"));
    ReportingDescriptor::builder()
        .id(family.name())
        .name(family.name())
        .short_description(
            MultiformatMessageString::builder()
                .text(family.summary())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!(
                    "{} ({}; {})",
                    family.summary(),
                    family.cwe().join(", "),
                    family.owasp()
                ))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build()
}

fn result(report: &Report, group: &Group) -> SarifResult {
    let cause = report.root_causes.get(group.root_cause);
    let explanation = cause.map_or("", |c| c.reproducer.explanation.as_str());
    let victim = cause
        .and_then(|c| c.reproducer.victim.as_ref())
        .map_or_else(String::new, |v| {
            format!(
                " reached data of {} ({}, tenant {})",
                v.identity, v.role, v.tenant
            )
        });
    let curl = cause
        .and_then(|c| c.reproducer.request.as_ref())
        .map_or("-", |q| q.curl.as_str());
    let text = format!(
        "{}: {}: {} caller(s) got through: {}; {} instance(s). {explanation}{victim}. Reproduce: {curl}. Replay: {}",
        group.evidence.label(),
        group.check(),
        group.cells.len(),
        callers(group).join(", "),
        group.instances,
        report.replay
    );
    let level = match group.evidence {
        Evidence::ProvenLeak | Evidence::ProvenTampering | Evidence::ProvenUntraced => {
            ResultLevel::Error
        }
        Evidence::Suspicious => ResultLevel::Warning,
    };
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(report.profile.as_str())
                        .build(),
                )
                .build(),
        )
        .logical_locations(vec![
            LogicalLocation::builder()
                .name(group.endpoint.as_str())
                .fully_qualified_name(group.endpoint.as_str())
                .kind("endpoint")
                .build(),
        ])
        .build();
    let mut fingerprints = BTreeMap::new();
    let print = if group.fingerprint.is_empty() {
        fingerprint(group)
    } else {
        group.fingerprint.clone()
    };
    fingerprints.insert(FINGERPRINT_KEY.to_string(), print);
    let mut extra = BTreeMap::new();
    for (key, value) in [
        (
            "evidence",
            serde_json::to_value(group.evidence).unwrap_or_default(),
        ),
        ("tier", Value::from(group.tier.name())),
        ("fails", Value::from(group.fails)),
        ("callers", Value::from(callers(group))),
        ("instances", Value::from(group.instances)),
        ("seed", Value::from(report.seed)),
    ] {
        extra.insert(key.to_string(), value);
    }
    if let Some(label) = crate::report::regress::state_label(group) {
        extra.insert("regression".to_string(), Value::from(label));
    }
    let mut result = SarifResult::builder()
        .rule_id(group.family.name())
        .level(level)
        .message(Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(PropertyBag::builder().additional_properties(extra).build())
        .build();
    result.baseline_state = group.baseline.map(|b| Value::from(b.name()));
    // An active acceptance is an external suppression, accepted, with its justification; an expired one
    // suppresses nothing (the finding fails the run again), it stays in the properties.
    result.suppressions = (group.accepted.as_ref())
        .filter(|a| a.state == AcceptanceState::Active)
        .map(|a| {
            vec![
                Suppression::builder()
                    .kind(Value::from("external"))
                    .status(Value::from("accepted"))
                    .justification(format!(
                        "{} (owner {}, until {})",
                        a.reason, a.owner, a.expires
                    ))
                    .build(),
            ]
        });
    result
}

/// A finding of the baseline this run does not show: a result whose `baselineState` is `absent`, of kind
/// `pass` (the check holds now), with its fingerprint.
fn absent(report: &Report, finding: &AbsentFinding) -> SarifResult {
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), finding.fingerprint.clone());
    let mut result = SarifResult::builder()
        .rule_id(finding.family.name())
        .kind(ResultKind::Pass)
        .level(ResultLevel::None)
        .message(
            Message::builder()
                .text(format!(
                    "absent since the baseline: {} on {} no longer shows",
                    finding.family, finding.endpoint
                ))
                .build(),
        )
        .locations(vec![
            Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(
                            ArtifactLocation::builder()
                                .uri(report.profile.as_str())
                                .build(),
                        )
                        .build(),
                )
                .build(),
        ])
        .partial_fingerprints(fingerprints)
        .build();
    result.baseline_state = Some(Value::from("absent"));
    result
}

/// The report as SARIF 2.1.0.
pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    let rules: Vec<ReportingDescriptor> = Family::ALL.into_iter().map(rule).collect();
    let results: Vec<SarifResult> = (report.groups.iter())
        .map(|group| result(report, group))
        .chain((report.absent.iter().filter(|a| a.retested)).map(|a| absent(report, a)))
        .collect();
    let driver = ToolComponent::builder()
        .name("cloison")
        .version(report.cloison_version.as_str())
        .semantic_version(report.cloison_version.as_str())
        .information_uri("https://example.org/cloison")
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let sarif = Sarif::builder()
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .version(Value::from("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_vec_pretty(&sarif).map_err(|e| ReportError::Serialise {
        format: "SARIF",
        message: e.to_string(),
    })
}
