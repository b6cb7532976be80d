//! Cells none of whose probes was sent: the HTML matrix shows them as "not sent" (never "denied"), JUnit
//! skips them with the reasons.

use cloison_suites::{Family, UnsentKind};

use crate::report::{CellCoverage, CellNotSent, Coverage, Outcome, Report, SCHEMA_VERSION};

fn cell(endpoint: &str, sent: usize, not_sent: &[(UnsentKind, usize)]) -> CellCoverage {
    CellCoverage {
        family: Family::DirectWrite,
        endpoint: endpoint.into(),
        role: "applicant".into(),
        relation: "other-tenant".into(),
        kind: "case".into(),
        via: None,
        expect: "refusal".into(),
        planned: sent + not_sent.iter().map(|(_, n)| n).sum::<usize>(),
        finding: None,
        sent,
        not_sent: not_sent
            .iter()
            .map(|&(reason, probes)| CellNotSent { reason, probes })
            .collect(),
    }
}

fn report(cells: Vec<CellCoverage>) -> Report {
    Report {
        schema_version: SCHEMA_VERSION.into(),
        cloison_version: "0.1.0".into(),
        shard: None,
        target: "embedded".into(),
        deployment: String::new(),
        platform: "p".into(),
        profile: "p.toml".into(),
        profile_digest: String::new(),
        seed: 1,
        run_tag: 1,
        replay: "cloison run --seed 1".into(),
        tenants: 2,
        cases: 16,
        outcome: Outcome::Inconclusive,
        reasons: Vec::new(),
        stats: Default::default(),
        coverage: Coverage {
            cells,
            ..Coverage::default()
        },
        fail_on: Default::default(),
        groups: Vec::new(),
        baseline: None,
        absent: Vec::new(),
        root_causes: Vec::new(),
        findings: Vec::new(),
        warnings: Vec::new(),
        failures: Vec::new(),
        pace: None,
        audit: None,
    }
}

#[test]
fn a_cell_none_of_whose_probes_was_sent_is_never_shown_as_denied() {
    let rows = [
        ("every probe refused", cell("case.update", 3, &[]), "denied"),
        (
            "some refused, one not sent",
            cell("case.update", 2, &[(UnsentKind::RecordsUsedUp, 1)]),
            "denied",
        ),
        (
            "none sent",
            cell("case.update", 0, &[(UnsentKind::NoRecordLeft, 3)]),
            "not sent",
        ),
    ];
    for (name, cell, label) in rows {
        let html = super::html::render(&report(vec![cell]));
        let square = html
            .split("<span class=\"c ")
            .nth(1)
            .and_then(|s| s.split("</span>").next())
            .expect("one square");
        assert!(square.ends_with(&format!(": {label}")), "{name}: {square}");
        assert!(
            html.contains("not sent: planned, but no probe was sent"),
            "the legend"
        );
    }
}

#[test]
fn junit_skips_a_cell_none_of_whose_probes_was_sent_with_the_reasons() {
    let xml = super::junit::render(&report(vec![
        cell("case.update", 0, &[(UnsentKind::NoRecordLeft, 3)]),
        cell("case.delete", 3, &[]),
    ]))
    .expect("renders");
    let xml = String::from_utf8(xml).expect("utf-8");
    let skipped: Vec<&str> = xml
        .match_indices("<skipped")
        .map(|(i, _)| &xml[i..])
        .collect();
    assert_eq!(skipped.len(), 1, "{xml}");
    assert!(
        skipped[0].contains("not sent: no record left to reserve (3 probe(s))"),
        "{xml}"
    );
}
