//! JUnit XML (with `quick-junit`): one test suite per family; in it, one test case per finding (a missing
//! check: an endpoint, a caller, a selector or refusal answers, with every caller that got through), failed when the finding fails the run
//! (proven; status-only too under `--fail-on suspicious`), and one test case per planned cell that showed
//! nothing (family x endpoint x caller role x relation x kind x variation), passed. A failure carries the
//! callers, the evidence, the minimal reproducer (a curl command, credentials redacted) and the replay
//! command. A status-only finding that does not fail the run is a passed test case whose system-out says
//! `WARNING (status-only)` with the same text: it was tested, and nothing was proven; CI views keep it
//! visible without failing. With `--baseline` or `--accept`, a finding's test case has its `baseline`
//! state (`new`, `unchanged`) and its acceptance as properties, a known one (unchanged, accepted) passes
//! with `KNOWN (...)` in system-out, and the baseline's absent findings are passed test cases. A cell none of whose probes was sent is skipped, with the reasons (never passed). With an OpenAPI document, the `operations` suite holds one test case per operation of it,
//! skipped when no family reached it (what the run did not cover shows in CI as skipped, not as passed). A
//! last suite, `cloison`, holds one test case for the verdict: it fails when the run is not clean (target
//! failures and inconclusive runs too, with their reasons).

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{ReportError, cell_name};
use cloison_suites::baseline::AcceptanceState;

use crate::report::group::callers;
use crate::report::regress;
use crate::report::{CellCoverage, Group, Outcome, Report, RootCause};

/// The report as JUnit XML.
pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut junit = quick_junit::Report::new(format!("cloison {}", report.platform));
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    for cell in &report.coverage.cells {
        let family = cell.family.name().to_string();
        let suite = suites.entry(family.clone()).or_insert_with(|| {
            let mut suite = TestSuite::new(family.clone());
            suite.add_property(Property::new("summary", cell.family.summary()));
            suite
        });
        // A cell that showed a finding is one caller of its group's test case.
        if cell.finding.is_some() {
            continue;
        }
        let status = if cell.none_sent() {
            // A cell none of whose probes was sent proves nothing: skipped, with why.
            let mut status = TestCaseStatus::skipped();
            status.set_message(not_sent_message(cell));
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(cell_name(cell), status);
        case.set_classname(format!("cloison.{family}"));
        case.add_property(Property::new("expect", cell.expect.as_str()));
        case.add_property(Property::new("probes", cell.planned.to_string()));
        if cell.unsent() > 0 {
            case.add_property(Property::new("not_sent", not_sent_message(cell)));
        }
        suite.add_test_case(case);
    }
    for group in &report.groups {
        let family = group.family.name().to_string();
        let suite = suites.entry(family.clone()).or_insert_with(|| {
            let mut suite = TestSuite::new(family.clone());
            suite.add_property(Property::new("summary", group.family.summary()));
            suite
        });
        suite.add_test_case(group_case(report, group));
    }
    absent_cases(report, &mut suites);
    junit.add_test_suites(suites.into_values());
    if let Some(suite) = operations_suite(report) {
        junit.add_test_suite(suite);
    }
    junit.add_test_suite(verdict_suite(report));
    junit
        .to_string()
        .map(String::into_bytes)
        .map_err(|e| ReportError::Serialise {
            format: "JUnit",
            message: e.to_string(),
        })
}

/// The test case of a finding: failed when it fails the run, else passed with a warning in system-out.
fn group_case(report: &Report, group: &Group) -> TestCase {
    let cause = report.root_causes.get(group.root_cause);
    let explanation = cause.map_or("", |c| c.reproducer.explanation.as_str());
    let message = format!(
        "{}: {} caller(s) got through: {}",
        group.evidence.label(),
        group.cells.len(),
        callers(group).join(", ")
    );
    let text = format!(
        "{message}\n{}",
        failure_text(report, &cause.into_iter().collect::<Vec<_>>())
    );
    let status = if group.fails {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_type(group.evidence.label())
            .set_message(format!("{}: {explanation}", group.evidence.label()))
            .set_description(text.clone());
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(
        format!(
            "{} (finding: {} caller(s))",
            group.check(),
            group.cells.len()
        ),
        status,
    );
    case.set_classname(format!("cloison.{}", group.family.name()));
    case.add_property(Property::new("tier", group.tier.name()));
    case.add_property(Property::new("instances", group.instances.to_string()));
    case.add_property(Property::new("fingerprint", group.fingerprint.as_str()));
    if let Some(state) = group.baseline {
        case.add_property(Property::new("baseline", state.name()));
    }
    if let Some(accepted) = &group.accepted {
        case.add_property(Property::new(
            "accepted",
            format!(
                "{} (owner {}, until {}; {})",
                accepted.reason,
                accepted.owner,
                accepted.expires,
                if accepted.state == AcceptanceState::Active {
                    "active"
                } else {
                    "expired"
                }
            ),
        ));
    }
    if !group.fails {
        match regress::state_label(group).filter(|_| !regress::counts(group)) {
            Some(label) => case.set_system_out(format!("KNOWN ({label}): {text}")),
            None => case.set_system_out(format!("WARNING (status-only): {text}")),
        };
    }
    case
}

/// The test cases of the baseline's findings this run does not show: passed, `absent`.
fn absent_cases(report: &Report, suites: &mut BTreeMap<String, TestSuite>) {
    for absent in &report.absent {
        let family = absent.family.name().to_string();
        let suite = suites
            .entry(family.clone())
            .or_insert_with(|| TestSuite::new(family.clone()));
        let status = if absent.retested {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::skipped();
            status.set_message("not re-tested: no probe was sent in its cells");
            status
        };
        let mut case = TestCase::new(
            format!(
                "{} on {} (absent since the baseline)",
                absent.family, absent.endpoint
            ),
            status,
        );
        case.set_classname(format!("cloison.{family}"));
        case.add_property(Property::new(
            "baseline",
            if absent.retested {
                "absent"
            } else {
                "not-retested"
            },
        ));
        case.add_property(Property::new("fingerprint", absent.fingerprint.as_str()));
        suite.add_test_case(case);
    }
}

/// Why a cell's probes were not sent: each kind of reason and its probes.
fn not_sent_message(cell: &CellCoverage) -> String {
    let reasons: Vec<String> = cell
        .not_sent
        .iter()
        .map(|n| format!("{} ({} probe(s))", n.reason.label(), n.probes))
        .collect();
    format!("not sent: {}", reasons.join("; "))
}

/// What a failed cell says: each root cause's evidence, whose data, the reproducer and the replay command.
fn failure_text(report: &Report, causes: &[&RootCause]) -> String {
    let mut text = String::new();
    for cause in causes {
        let r = &cause.reproducer;
        text.push_str(&format!(
            "{} ({} instance(s), CWE {}, {})\n",
            cause.evidence.label(),
            cause.instances,
            cause.cwe.join(", "),
            cause.owasp
        ));
        text.push_str(&format!(
            "actor: {} ({}, tenant {})\n",
            r.actor.identity, r.actor.role, r.actor.tenant
        ));
        if let Some(victim) = &r.victim {
            text.push_str(&format!(
                "victim: {} ({}, tenant {})\n",
                victim.identity, victim.role, victim.tenant
            ));
        }
        for hit in &r.leaked {
            text.push_str(&format!(
                "leaked: {} of person {} in tenant {}\n",
                hit.field,
                hit.owner.person.as_deref().unwrap_or("-"),
                hit.owner.tenant
            ));
        }
        if let Some(request) = &r.request {
            text.push_str(&format!(
                "reproduce{}: {}\n",
                if cause.shrunk { " (minimal)" } else { "" },
                request.curl
            ));
        }
    }
    text.push_str(&format!("replay: {}\n", report.replay));
    text
}

/// The `operations` suite: one test case per operation of the OpenAPI document, passed with the families
/// that probed it, skipped when none did.
fn operations_suite(report: &Report) -> Option<TestSuite> {
    let operations = report.coverage.operations.as_ref()?;
    let mut suite = TestSuite::new("operations");
    let (reached, total, percent) = crate::openapi::coverage::share(operations);
    suite.add_property(Property::new(
        "summary",
        format!("operations of the OpenAPI document probed: {reached} of {total} ({percent} %)"),
    ));
    for operation in operations {
        let status = if operation.tried.is_empty() {
            let mut status = TestCaseStatus::skipped();
            status.set_message("no probe family reached this operation");
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(format!("{} {}", operation.method, operation.path), status);
        case.set_classname("cloison.operations");
        case.add_property(Property::new("tried", operation.tried.join(",")));
        if let Some(endpoint) = &operation.described_by {
            case.add_property(Property::new("described_by", endpoint.as_str()));
        }
        suite.add_test_case(case);
    }
    Some(suite)
}

/// The `cloison` suite: one test case, the verdict of the run.
fn verdict_suite(report: &Report) -> TestSuite {
    let mut suite = TestSuite::new("cloison");
    let status = if report.outcome == Outcome::Clean {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let mut lines: Vec<String> = (report.reasons.iter().map(ToString::to_string))
            .chain(report.failures.iter().map(ToString::to_string))
            .collect();
        lines.push(format!("replay: {}", report.replay));
        status
            .set_type(outcome_name(report.outcome))
            .set_message(format!(
                "{}: {}; {} root cause(s), {} instance(s)",
                outcome_name(report.outcome),
                report.findings_line(),
                report.root_causes.len(),
                report.findings.len()
            ))
            .set_description(lines.join("\n"));
        status
    };
    let mut case = TestCase::new("verdict", status);
    case.set_classname("cloison.run");
    if report.warning_findings() > 0 {
        case.set_system_out(format!(
            "{}: status-only findings are warnings (--fail-on {})",
            report.findings_line(),
            report.fail_on
        ));
    }
    suite.add_property(Property::new("seed", report.seed.to_string()));
    suite.add_property(Property::new("replay", report.replay.as_str()));
    suite.add_property(Property::new(
        "profile_digest",
        report.profile_digest.as_str(),
    ));
    suite.add_test_case(case);
    suite
}

/// The kebab-case name of an outcome.
pub fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Clean => "clean",
        Outcome::Findings => "findings",
        Outcome::Inconclusive => "inconclusive",
        Outcome::TargetFailure => "target-failure",
        Outcome::Interrupted => "interrupted",
    }
}
