//! The `[audit]` table: what validates, and every mistake located at once (insta snapshots).

use cloison_harness::profile::{Profile, REFERENCE_PORTAL, TrailSource};

use super::parse;

/// The reference profile with its `[audit]` tables (the last of the file) replaced by `audit`.
fn with_audit(audit: &str) -> String {
    let start = REFERENCE_PORTAL
        .find("[audit]\n")
        .expect("the reference profile has an [audit] table");
    format!("{}{audit}", &REFERENCE_PORTAL[..start])
}

#[test]
fn the_reference_portal_reads_its_trail_from_the_operators_endpoint() {
    let profile = Profile::reference_portal().expect("valid");
    let audit = profile.audit.expect("an [audit] table");
    assert!(
        matches!(
            &audit.source,
            TrailSource::Endpoint {
                role: None,
                page_size: 1000,
                ..
            }
        ),
        "{:?}",
        audit.source
    );
    assert_eq!(audit.actor, "/actor_id");
    assert_eq!(audit.rules.denied, ["denied"]);
}

#[test]
fn a_file_trail_validates_with_its_actions() {
    let profile = parse(&with_audit(
        "[audit]\nfile = \"trail.jsonl\"\nactor = \"/user/login\"\nrecord = \"/object\"\naction = \"/event\"\ntime = \"/ts\"\nwindow = 30\nactions = { read = [\"view\", \"download\"] }\n",
    ))
    .expect("valid");
    let audit = profile.audit.expect("an [audit] table");
    assert!(
        matches!(audit.source, TrailSource::File(_)),
        "{:?}",
        audit.source
    );
    assert_eq!(audit.rules.window, 30.0);
    assert_eq!(audit.rules.actions.len(), 1);
}

#[test]
fn audit_mistakes_are_all_located() {
    let cases: &[(&str, &str)] = &[
        (
            "two_sources_and_bad_pointers",
            "[audit]\nfile = \"trail.jsonl\"\nlogs = true\nactor = \"actor\"\nrecord = \"/object\"\nwindow = -1\nactions = { read = [\"view\"], peek = [\"x\"] }\ndenied = []\n",
        ),
        (
            "endpoint_keys_without_an_endpoint",
            "[audit]\nfile = \"trail.jsonl\"\npage_size = 10\nactor = \"/a\"\nrecord = \"/r\"\n",
        ),
        (
            "unknown_caller_and_placeholder",
            "[audit]\nas = \"auditor\"\nactor = \"/a\"\nrecord = \"/r\"\n\n[audit.endpoint]\npath = \"/audit?page={{page.cursor}}&x={{case.id}}\"\n",
        ),
    ];
    for (name, audit) in cases {
        let err = parse(&with_audit(audit)).expect_err(name);
        insta::assert_snapshot!(format!("audit_{name}"), err);
    }
}
