//! Table tests of regression mode: fingerprints that ignore everything but the missing check, states
//! against a baseline, acceptances and their expiry, and baselines an older version wrote.

use cloison_suites::Family;

use super::*;
use crate::report::group::GroupCell;

fn cell(endpoint: &str, role: &str, evidence: Evidence, instances: usize) -> GroupCell {
    GroupCell {
        family: Family::DirectRead,
        endpoint: endpoint.into(),
        role: role.into(),
        relation: "other-tenant".into(),
        kind: "document".into(),
        via: None,
        evidence,
        instances,
        root_cause: 0,
    }
}

fn group(scope: Scope, endpoint: &str, cells: Vec<GroupCell>) -> Group {
    let evidence = cells
        .iter()
        .map(|c| c.evidence)
        .min()
        .unwrap_or(Evidence::Suspicious);
    let mut group = Group {
        scope,
        family: Family::DirectRead,
        endpoint: endpoint.into(),
        via: None,
        caller: (scope == Scope::Caller).then(|| "agent on other-tenant".to_string()),
        endpoints: vec![endpoint.into()],
        evidence,
        tier: evidence.tier(),
        fails: true,
        instances: cells.iter().map(|c| c.instances).sum(),
        cells,
        root_cause: 0,
        fingerprint: String::new(),
        baseline: None,
        accepted: None,
    };
    group.fingerprint = fingerprint(&group);
    group
}

fn doc_idor() -> Group {
    group(
        Scope::Endpoint,
        "resources.document.read",
        vec![cell(
            "resources.document.read",
            "agent",
            Evidence::ProvenLeak,
            3,
        )],
    )
}

fn date(s: &str) -> Date {
    Date::parse_iso(s).expect("date")
}

fn prior(groups: Vec<Group>) -> Prior {
    Prior {
        file: "old.json".into(),
        groups,
        ..Prior::default()
    }
}

#[test]
fn a_fingerprint_is_the_missing_check_and_its_tier_only() {
    let base = doc_idor();
    // Another reproducer, family, instances, callers, root cause: the same missing check.
    let mut other = base.clone();
    other.family = Family::IdentifierGuessing;
    other.instances = 40;
    other.root_cause = 7;
    other.cells.push(cell(
        "resources.document.read",
        "applicant",
        Evidence::ProvenLeak,
        9,
    ));
    assert_eq!(fingerprint(&other), fingerprint(&base));
    // Another endpoint, another tier, another scope: another finding.
    let mut moved = base.clone();
    moved.endpoint = "resources.document.download".into();
    assert_ne!(fingerprint(&moved), fingerprint(&base));
    let mut weaker = base.clone();
    weaker.tier = Tier::Suspicious;
    assert_ne!(fingerprint(&weaker), fingerprint(&base));
    let caller = group(Scope::Caller, "resources.document.read", base.cells.clone());
    assert_ne!(caller.fingerprint, base.fingerprint);
    assert_eq!(base.fingerprint.len(), 64);
}

/// A row: why, the baseline's findings, the run's, their states, whether each fails, how many absent.
type Row = (
    &'static str,
    Vec<Group>,
    Vec<Group>,
    Vec<Option<BaselineState>>,
    Vec<bool>,
    usize,
);

#[test]
fn states_against_a_baseline_and_what_fails() {
    let today = date("2027-01-15");
    let rows: [Row; 4] = [
        (
            "the same flaw",
            vec![doc_idor()],
            vec![doc_idor()],
            vec![Some(BaselineState::Unchanged)],
            vec![false],
            0,
        ),
        (
            "a hardened baseline",
            vec![],
            vec![doc_idor()],
            vec![Some(BaselineState::New)],
            vec![true],
            0,
        ),
        (
            "the reverse: fixed",
            vec![doc_idor()],
            vec![],
            vec![],
            vec![],
            1,
        ),
        (
            "the same cells grouped by caller",
            vec![doc_idor()],
            vec![group(
                Scope::Caller,
                "resources.document.read",
                doc_idor().cells,
            )],
            vec![Some(BaselineState::Unchanged)],
            vec![false],
            0,
        ),
    ];
    for (why, old, mut new, states, fails, absent) in rows {
        let compared = compare(&mut new, &[], Some(&prior(old)), &[], today, FailOn::Proven);
        let got: Vec<Option<BaselineState>> = new.iter().map(|g| g.baseline).collect();
        assert_eq!(got, states, "{why}");
        let got: Vec<bool> = new.iter().map(|g| g.fails).collect();
        assert_eq!(got, fails, "{why}");
        assert_eq!(compared.absent.len(), absent, "{why}");
        let info = compared.baseline.expect("a baseline");
        // No cell of this run was sent: an absent finding is not re-tested, never "fixed".
        assert_eq!((info.absent, info.not_retested), (0, absent), "{why}");
        assert_eq!(info.new + info.unchanged, new.len(), "{why}");
    }
    // Without a baseline, nothing is compared.
    let mut groups = vec![doc_idor()];
    let compared = compare(&mut groups, &[], None, &[], today, FailOn::Proven);
    assert_eq!(
        (groups[0].baseline, groups[0].fails, compared.baseline),
        (None, true, None)
    );
}

#[test]
fn a_second_trusted_selector_on_the_same_cells_is_new() {
    let selector = |via: &str| {
        let mut g = group(Scope::Selector, "resources.case.list", doc_idor().cells);
        g.via = Some(via.into());
        g.family = Family::TenantSelector;
        g.fingerprint = fingerprint(&g);
        g
    };
    let mut new = vec![
        selector("header X-Tenant"),
        selector("query parameter tenant"),
    ];
    assert_ne!(new[0].fingerprint, new[1].fingerprint);
    let old = prior(vec![selector("header X-Tenant")]);
    compare(
        &mut new,
        &[],
        Some(&old),
        &[],
        date("2027-01-01"),
        FailOn::Proven,
    );
    let got: Vec<Option<BaselineState>> = new.iter().map(|g| g.baseline).collect();
    assert_eq!(
        got,
        vec![Some(BaselineState::Unchanged), Some(BaselineState::New)]
    );
}

#[test]
fn a_finding_is_absent_only_where_this_run_sent_probes() {
    let sent = |n: usize| CellCoverage {
        family: Family::DirectRead,
        endpoint: "resources.document.read".into(),
        role: "agent".into(),
        relation: "other-tenant".into(),
        kind: "document".into(),
        via: None,
        expect: "refusal".into(),
        planned: 3,
        finding: None,
        sent: n,
        not_sent: Vec::new(),
    };
    let today = date("2027-01-15");
    for (cells, retested) in [
        (vec![sent(3)], true),
        (vec![sent(0)], false),
        (vec![], false),
    ] {
        let compared = compare(
            &mut [],
            &cells,
            Some(&prior(vec![doc_idor()])),
            &[],
            today,
            FailOn::Proven,
        );
        assert_eq!(compared.absent.len(), 1);
        assert_eq!(compared.absent[0].retested, retested, "{cells:?}");
    }
}

#[test]
fn an_acceptance_holds_until_it_expires_and_one_that_matches_nothing_warns() {
    let accept = |fingerprint: &str| Acceptance {
        fingerprint: fingerprint.into(),
        reason: "known".into(),
        owner: "sec".into(),
        expires: date("2027-01-31"),
    };
    let list = vec![accept(&doc_idor().fingerprint), accept(&"0".repeat(64))];
    for (today, fails, state) in [
        ("2027-01-31", false, AcceptanceState::Active),
        ("2027-02-01", true, AcceptanceState::Expired),
    ] {
        let mut groups = vec![doc_idor()];
        let compared = compare(&mut groups, &[], None, &list, date(today), FailOn::Proven);
        assert_eq!(groups[0].fails, fails, "{today}");
        assert_eq!(counts(&groups[0]), fails, "{today}");
        assert_eq!(groups[0].accepted.as_ref().map(|a| a.state), Some(state));
        assert_eq!(compared.warnings.len(), 1, "{:?}", compared.warnings);
        assert!(compared.warnings[0].contains(&"0".repeat(64)));
    }
    let mut groups = vec![doc_idor()];
    compare(
        &mut groups,
        &[],
        Some(&prior(vec![])),
        &list,
        date("2027-01-01"),
        FailOn::Proven,
    );
    assert_eq!(
        state_label(&groups[0]).as_deref(),
        Some("new, accepted until 2027-01-31")
    );
}

#[test]
fn baselines_an_older_version_wrote_are_refused_clearly() {
    let rows = [
        ("not json", "not a cloison run report"),
        (r#"{"cloison_version": "0.1.0"}"#, "no `schema_version`"),
        (
            r#"{"schema_version": "1", "cloison_version": "0.0.9", "groups": []}"#,
            "carry no finding fingerprints",
        ),
        (
            r#"{"schema_version": "9", "groups": []}"#,
            "this cloison reads schema 2",
        ),
        (
            r#"{"schema_version": "2", "outcome": "usage-error", "error": "x"}"#,
            "ended in an error",
        ),
    ];
    for (text, expected) in rows {
        let err = read_prior("old.json", text).expect_err(text);
        assert!(err.to_string().starts_with("old.json: "), "{err}");
        assert!(err.to_string().contains(expected), "{err}");
    }
    let json = serde_json::json!({
        "schema_version": "2", "cloison_version": "0.1.0", "seed": 3, "cases": 16,
        "groups": [doc_idor()], "coverage": {"cells": []}
    });
    let prior = read_prior("old.json", &json.to_string()).expect("a baseline");
    assert_eq!((prior.seed, prior.groups.len()), (3, 1));
    assert_eq!(prior.groups[0].fingerprint, doc_idor().fingerprint);
}
