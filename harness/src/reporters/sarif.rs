//! SARIF 2.1.0 (with `serde-sarif`): one rule per family (its summary as help text, CWE tags and the OWASP
//! API Security Top 10 category as properties), one result per root cause, with a stable fingerprint that
//! code-scanning dashboards track across runs: a SHA-256 of the cell (family, endpoint, role, relation,
//! kind, via), never of identifiers, seeds or times. A proven leak or tampering is an `error`, a suspicious
//! answer a `warning`. The location is the endpoint key (logical) in the profile file (physical).

use std::collections::BTreeMap;

use cloison_suites::Family;
use serde_json::Value;
use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    Sarif, Tool, ToolComponent,
};

use super::{ReportError, sha256_hex};
use crate::report::{Evidence, Report, RootCause};

/// The key of cloison's fingerprint in `partialFingerprints` (versioned: a new recipe gets a new key).
pub const FINGERPRINT_KEY: &str = "cloisonCell/v1";

/// The stable fingerprint of a root cause: its cell, not its identities, records, seed or timing.
pub fn fingerprint(cause: &RootCause) -> String {
    let text = [
        cause.family.name(),
        &cause.endpoint,
        &cause.role,
        &cause.relation,
        &cause.kind,
        cause.via.as_deref().unwrap_or(""),
    ]
    .join("\u{1f}");
    sha256_hex(text.as_bytes())
}

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

fn result(report: &Report, cause: &RootCause) -> SarifResult {
    let r = &cause.reproducer;
    let victim = r.victim.as_ref().map_or_else(String::new, |v| {
        format!(
            " reached data of {} ({}, tenant {})",
            v.identity, v.role, v.tenant
        )
    });
    let via = cause
        .via
        .as_deref()
        .map_or_else(String::new, |v| format!(" via {v}"));
    let text = format!(
        "{}: {} as {} on {} {}{via}: {} ({} instance(s)){victim}. Reproduce: {}. Replay: {}",
        cause.evidence.label(),
        cause.endpoint,
        cause.role,
        cause.relation,
        cause.kind,
        r.explanation,
        cause.instances,
        r.request.as_ref().map_or("-", |q| q.curl.as_str()),
        report.replay
    );
    let level = match cause.evidence {
        Evidence::ProvenLeak | Evidence::ProvenTampering => ResultLevel::Error,
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
                .name(cause.endpoint.as_str())
                .fully_qualified_name(cause.endpoint.as_str())
                .kind("endpoint")
                .build(),
        ])
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), fingerprint(cause));
    let mut extra = BTreeMap::new();
    for (key, value) in [
        (
            "evidence",
            serde_json::to_value(cause.evidence).unwrap_or_default(),
        ),
        ("role", Value::from(cause.role.as_str())),
        ("relation", Value::from(cause.relation.as_str())),
        ("kind", Value::from(cause.kind.as_str())),
        ("instances", Value::from(cause.instances)),
        ("seed", Value::from(report.seed)),
    ] {
        extra.insert(key.to_string(), value);
    }
    SarifResult::builder()
        .rule_id(cause.family.name())
        .level(level)
        .message(Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(PropertyBag::builder().additional_properties(extra).build())
        .build()
}

/// The report as SARIF 2.1.0.
pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    let rules: Vec<ReportingDescriptor> = Family::ALL.into_iter().map(rule).collect();
    let results: Vec<SarifResult> = report
        .root_causes
        .iter()
        .map(|cause| result(report, cause))
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
