//! The stateful suite against the embedded reference portal: the flaws that live in transitions (a session
//! that still works after logout, a transfer that leaves the old tenant's staff their access) are found
//! with a shrunk sequence; the hardened portal follows the model; a profile without a transition's
//! endpoint skips it with the reason.

use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::report::{Outcome, Report};
use cloison_suites::Family;

use crate::run::{args, run};

/// The transitions of a root cause's reproducer (setup and the final check excluded).
fn steps(report: &Report) -> Vec<String> {
    report
        .root_causes
        .iter()
        .find(|c| c.family == Family::Stateful)
        .map(|c| {
            c.reproducer
                .steps
                .iter()
                .filter(|s| s.phase == "step")
                .map(|s| s.step.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_stateful_flaw_is_found_with_a_shrunk_sequence_of_at_most_four_steps() {
    for (flaw, via, transition) in [
        ("logout-no-revoke", "after logout", "logs out"),
        (
            "transfer-keeps-access",
            "after transfer",
            "transfers the case file",
        ),
    ] {
        let result = run(&args(&[flaw], 1, 16)).await;
        let report = &result.report;
        assert_eq!(result.exit, EXIT_FINDINGS, "{flaw}: {}", report.summary());
        let cause = report
            .root_causes
            .iter()
            .find(|c| c.family == Family::Stateful)
            .unwrap_or_else(|| panic!("{flaw}: no stateful root cause: {}", report.summary()));
        assert_eq!(cause.via.as_deref(), Some(via), "{flaw}");
        assert!(
            cause.shrunk,
            "{flaw}: the sequence is shrunk against the target"
        );
        let steps = steps(report);
        assert!(
            (1..=4).contains(&steps.len()),
            "{flaw}: {} steps: {steps:?}",
            steps.len()
        );
        assert!(
            steps.last().is_some_and(|s| s.contains(transition)),
            "{flaw}: the last step is the transition: {steps:?}"
        );
        // The last check is the reproducer's request, without credentials.
        let check = cause.reproducer.steps.last().expect("a check");
        assert_eq!(check.phase, "check");
        assert!(check.step.contains("the model says refused"), "{check:?}");
        let curl = &cause.reproducer.request.as_ref().expect("a request").curl;
        assert!(
            curl.starts_with("curl ") && !curl.contains("Bearer "),
            "{curl}"
        );
        for step in &cause.reproducer.steps {
            if let Some(curl) = &step.curl {
                assert!(!curl.contains("Bearer "), "no credential in a step: {curl}");
            }
        }
        // Only the stateful family can see a transition.
        assert!(
            report
                .root_causes
                .iter()
                .all(|c| c.family == Family::Stateful),
            "{flaw}: {}",
            report.summary()
        );
        assert!(report.summary().contains("sequence (shrunk)"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hardened_portal_follows_the_model_through_every_transition() {
    let result = run(&args(&[], 2, 16)).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_OK, "{}", report.summary());
    assert_eq!(report.outcome, Outcome::Clean);
    let stateful = &report.coverage.stateful;
    assert!(stateful.not_run.is_none(), "{stateful:?}");
    for kind in [
        "login",
        "logout",
        "transfer",
        "end-representation",
        "add-representation",
        "delete",
        "change-role",
    ] {
        assert!(
            stateful.transitions.get(kind).is_some_and(|n| *n > 0),
            "{kind} was exercised: {stateful:?}"
        );
    }
    assert!(stateful.refused.is_empty(), "{stateful:?}");
    assert!(stateful.skipped.is_empty(), "{stateful:?}");
    assert!(stateful.checks > 50, "{stateful:?}");
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.contains("transitions.") || w.contains("auth.logout")),
        "the transitions' endpoints count as used: {:?}",
        report.warnings
    );
}

/// The reference profile without some tables (a platform that offers less).
fn profile_without(dir: &std::path::Path, tables: &[&str]) -> std::path::PathBuf {
    let text = include_str!("../../../fixtures/profiles/reference-portal.toml");
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with('[') {
            let name = line.trim_matches(|c| c == '[' || c == ']');
            skipping = tables.contains(&name);
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    let path = dir.join("profile.toml");
    std::fs::write(&path, out).expect("write the profile");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transition_the_profile_lacks_is_skipped_with_the_reason_and_its_flaw_is_not_claimed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = args(&["transfer-keeps-access"], 1, 16);
    a.profile = Some(profile_without(dir.path(), &["transitions.transfer"]));
    let result = run(&a).await;
    let report = &result.report;
    let stateful = &report.coverage.stateful;
    let reason = stateful
        .skipped
        .get("transfer")
        .unwrap_or_else(|| panic!("transfer is skipped: {stateful:?}"));
    assert!(reason.contains("[transitions.transfer]"), "{reason}");
    assert!(stateful.transitions.contains_key("logout"), "{stateful:?}");
    assert!(!stateful.transitions.contains_key("transfer"));
    assert!(report.summary().contains("transfer not exercised"));

    // With no transition at all, the family is not applicable, and says why.
    let mut a = args(&[], 1, 16);
    a.profile = Some(profile_without(
        dir.path(),
        &[
            "transitions.transfer",
            "transitions.change_role",
            "auth.logout",
            "provisioning.end_representation",
            "resources.case.delete",
        ],
    ));
    let result = run(&a).await;
    let family = result
        .report
        .coverage
        .families
        .iter()
        .find(|f| f.family == "stateful")
        .expect("the family is listed");
    assert_eq!(family.probes, 0);
    assert!(
        family
            .skipped
            .as_deref()
            .is_some_and(|s| s.starts_with("not applicable") && s.contains("no transition")),
        "{family:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_sequences_and_the_same_reproducer() {
    let first = run(&args(&["transfer-keeps-access"], 3, 12)).await.report;
    let second = run(&args(&["transfer-keeps-access"], 3, 12)).await.report;
    assert!(!steps(&first).is_empty(), "{}", first.summary());
    assert_eq!(steps(&first), steps(&second));
    assert_eq!(
        first.coverage.stateful.transitions,
        second.coverage.stateful.transitions
    );
    assert_eq!(
        first.coverage.stateful.sequences,
        second.coverage.stateful.sequences
    );
    assert_eq!(
        first.coverage.stateful.checks,
        second.coverage.stateful.checks
    );
}
