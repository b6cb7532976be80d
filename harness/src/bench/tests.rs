use super::*;

fn flaw(name: &str, families: &[&str], detection: Option<(usize, f64)>) -> FlawResult {
    let caught = !families.is_empty();
    FlawResult {
        flaw: name.to_string(),
        realistic: false,
        caught,
        family: families.first().map(|f| f.to_string()),
        families: families.iter().map(|f| f.to_string()).collect(),
        probes_to_detection: detection.map(|d| d.0),
        seconds_to_detection: detection.map(|d| d.1),
        root_causes: families.len() * 2,
        findings: families.len(),
        proven: families.len(),
        reproducer_size: caught.then_some(3),
        exit: if caught { EXIT_FINDINGS } else { EXIT_OK },
        seconds: 0.31,
        why: None,
        outcome: if caught {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
    }
}

fn hardened(seed: u64, outcome: Outcome, findings: usize, exit: u8) -> HardenedRun {
    HardenedRun {
        seed,
        realistic: false,
        outcome,
        findings,
        exit,
        replay: format!("cloison run --target 'embedded' --seed {seed} --tenants 2 --cases 16"),
    }
}

fn bench(flaws: Vec<FlawResult>, hardened_runs: Vec<HardenedRun>) -> Bench {
    Bench {
        cloison_version: "0.1.0",
        seed: 1,
        cases: 16,
        tenants: 2,
        realism: None,
        hardened_findings: hardened_runs.iter().map(|r| r.findings).sum(),
        flaws,
        hardened_runs,
        seconds: 7.25,
    }
}

#[test]
fn the_table_shows_each_flaw_and_the_hardened_runs() {
    let mut target_failure = flaw("shared-cache", &[], None);
    target_failure.outcome = Outcome::TargetFailure;
    target_failure.exit = 3;
    let passing = bench(
        vec![
            flaw("document-idor", &["direct-read"], Some((37, 0.012))),
            flaw(
                "error-echo",
                &["direct-read", "direct-write", "identifier-guessing"],
                Some((5, 0.004)),
            ),
            flaw("logout-no-revoke", &["stateful"], Some((641, 0.34))),
        ],
        (1..=3).map(|s| hardened(s, Outcome::Clean, 0, 0)).collect(),
    );
    assert!(passing.passed());
    assert_eq!(passing.exit(), EXIT_OK);
    insta::assert_snapshot!("passing", passing.table());

    let mut scattered = flaw("error-echo", &["direct-read"], Some((5, 0.004)));
    scattered.findings = 7;
    scattered.proven = 5;
    assert!(
        scattered.fails(),
        "more than {MAX_FINDINGS} findings fail the bench"
    );
    let failing = bench(
        vec![
            flaw("case-idor", &[], None),
            target_failure,
            flaw("transfer-keeps-access", &[], None),
            scattered,
        ],
        vec![
            hardened(4, Outcome::Clean, 0, 0),
            hardened(9, Outcome::Findings, 2, 1),
        ],
    );
    assert!(!failing.passed());
    assert_eq!(failing.exit(), EXIT_FINDINGS);
    insta::assert_snapshot!("failing", failing.table());
}

#[test]
fn realistic_rows_have_their_own_tables_and_fail_the_bench_on_their_own() {
    let realistic = |mut f: FlawResult| {
        f.realistic = true;
        f
    };
    let mut missed = realistic(flaw("write-idor", &[], None));
    missed.outcome = Outcome::TargetFailure;
    missed.exit = 3;
    missed.why = Some("POST /api/v1/cases answered 500".into());
    let mut unclean = hardened(2, Outcome::Inconclusive, 0, 4);
    unclean.realistic = true;
    let mut hardened_realistic = hardened(1, Outcome::Clean, 0, 0);
    hardened_realistic.realistic = true;
    let mut b = bench(
        vec![
            flaw("case-idor", &["direct-read"], Some((12, 0.01))),
            realistic(flaw("case-idor", &["direct-read"], Some((40, 2.5)))),
            missed,
        ],
        vec![
            hardened(1, Outcome::Clean, 0, 0),
            hardened_realistic,
            unclean,
        ],
    );
    b.realism = Some("2 workers, sessions of 4 s".into());
    assert!(!b.passed(), "a flaw missed with realism fails the bench");
    insta::assert_snapshot!("realistic", b.table());
    let json = serde_json::to_value(&b).expect("serialisable");
    assert_eq!(json["realism"], "2 workers, sessions of 4 s");
    assert_eq!(json["flaws"][1]["realistic"], true);
    assert_eq!(json["flaws"][2]["why"], "POST /api/v1/cases answered 500");
    assert_eq!(json["hardened_runs"][2]["realistic"], true);
}

#[test]
fn a_reproducer_counts_its_identities_and_objects() {
    use crate::report::{Evidence, Party};
    use cloison_suites::{DataOwner, Hit};
    let party = |identity: &str, role: &str| Party {
        identity: identity.into(),
        role: role.into(),
        tenant: "75".into(),
    };
    let mut read = Finding {
        root_cause: 0,
        evidence: Evidence::ProvenLeak,
        probe: "direct-read/1".into(),
        actor: party("a@example.org", "applicant"),
        victim: Some(party("b@example.org", "applicant")),
        record: Some("case-2".into()),
        request: None,
        status: 200,
        excerpt: String::new(),
        leaked: vec![Hit {
            canary: "0650041221".into(),
            field: cloison_suites::generators::canary::CanaryKind::Phone,
            owner: DataOwner {
                tenant: "75".into(),
                person: Some("34".into()),
                case: Some("case-12".into()),
                kind: None,
            },
        }],
        explanation: String::new(),
        steps: Vec::new(),
    };
    assert_eq!(reproducer_size(&read), 3, "actor, victim, record");
    // An export names no record: the owner of a leaked value and its case file stand in.
    let export = Finding {
        victim: None,
        record: None,
        ..read.clone()
    };
    assert_eq!(reproducer_size(&export), 3);
    // A write to the actor's own record (mass assignment): one identity, one record.
    read.victim = Some(read.actor.clone());
    read.leaked.clear();
    assert_eq!(reproducer_size(&read), 2);
    let anonymous = Finding {
        actor: party("anonymous", "anonymous"),
        victim: None,
        ..read
    };
    assert_eq!(reproducer_size(&anonymous), 1);
}

#[test]
fn flaws_are_selected_in_the_order_of_flaws_md_once_each() {
    let names = ["shared-cache", "document-idor", "shared-cache"].map(String::from);
    assert_eq!(
        selected_flaws(&names).expect("known flaws"),
        vec![Flaw::DocumentIdor, Flaw::SharedCache]
    );
    assert_eq!(selected_flaws(&[]).expect("every flaw"), Flaw::ALL.to_vec());
    let err = selected_flaws(&["nope".to_string()]).expect_err("unknown flaw");
    assert!(err.to_string().contains("unknown flaw \"nope\""), "{err}");
}

#[test]
fn the_json_has_the_documented_fields() {
    let b = bench(
        vec![flaw("logout-no-revoke", &[], None)],
        vec![hardened(1, Outcome::Clean, 0, 0)],
    );
    let json = serde_json::to_value(&b).expect("serialisable");
    let keys = |v: &serde_json::Value| {
        v.as_object()
            .map(|o| {
                let mut keys: Vec<String> = o.keys().cloned().collect();
                keys.sort();
                keys
            })
            .unwrap_or_default()
    };
    assert_eq!(
        keys(&json),
        [
            "cases",
            "cloison_version",
            "flaws",
            "hardened_findings",
            "hardened_runs",
            "realism",
            "seed",
            "tenants"
        ]
    );
    assert_eq!(
        keys(&json["flaws"][0]),
        [
            "caught",
            "exit",
            "families",
            "family",
            "findings",
            "flaw",
            "probes_to_detection",
            "proven",
            "realistic",
            "reproducer_size",
            "root_causes",
            "seconds",
            "seconds_to_detection",
            "why"
        ]
    );
    assert_eq!(json["flaws"][0]["family"], serde_json::Value::Null);
    assert_eq!(
        keys(&json["hardened_runs"][0]),
        ["exit", "findings", "outcome", "realistic", "seed"]
    );
    assert_eq!(json["hardened_runs"][0]["outcome"], "clean");
}
