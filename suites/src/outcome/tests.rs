use super::*;
use crate::unsent::UnsentKind;

/// A rule: its name, the facts, and the outcome, reasons and failures they give.
type Row<F> = (
    &'static str,
    F,
    Outcome,
    Vec<&'static str>,
    Vec<&'static str>,
);

fn signed_out(endpoint: &str, role: &str, probes: usize) -> SignedOutProbes {
    SignedOutProbes {
        endpoint: endpoint.into(),
        role: role.into(),
        probes,
    }
}

#[test]
fn the_unauthenticated_reason_names_its_probes_and_caps_the_list() {
    let many: Vec<SignedOutProbes> = (0..10)
        .map(|i| signed_out(&format!("resources.r{i}.read"), "applicant", 1))
        .collect();
    let sentence = Inconclusive::Unauthenticated { probes: many }.to_string();
    assert!(
        sentence.starts_with("10 probe(s) were answered as unauthenticated"),
        "{sentence}"
    );
    assert!(
        sentence.contains("resources.r7.read as applicant: 1, and 2 more)"),
        "{sentence}"
    );
    assert!(!sentence.contains("resources.r8.read"), "{sentence}");
}

/// A clean run's facts: one control, one family that ran.
fn clean() -> RunFacts {
    RunFacts {
        controls_run: 4,
        families: vec![family("direct-read", 10, 10, None, 0)],
        ..RunFacts::default()
    }
}

fn family(
    name: &str,
    planned: usize,
    probes: usize,
    skipped: Option<Skip>,
    server_errors: usize,
) -> FamilyFacts {
    FamilyFacts {
        family: name.into(),
        planned,
        probes,
        skipped,
        server_errors,
        unsent: Vec::new(),
    }
}

/// A family that ran `probes` probes, with probes not sent for `kind`.
fn unsent(name: &str, probes: usize, kind: UnsentKind, not_sent: usize) -> FamilyFacts {
    FamilyFacts {
        unsent: vec![UnsentFacts {
            kind,
            probes: not_sent,
            cells: 1,
            first: "why".into(),
        }],
        ..family(name, probes + not_sent, probes, None, 0)
    }
}

#[test]
fn classify_probes_not_sent() {
    let with = |f: FamilyFacts| RunFacts {
        families: vec![family("direct-read", 10, 10, None, 0), f],
        ..clean()
    };
    let rows: Vec<Row<RunFacts>> = vec![
        (
            "probes whose cell already has a proven finding: the run has findings, nothing else to say",
            RunFacts {
                root_causes: 1,
                ..with(unsent("direct-write", 3, UnsentKind::CellProven, 2))
            },
            Outcome::Findings,
            vec![],
            vec![],
        ),
        (
            "neighbours that cannot exist on this target are not missing coverage",
            with(unsent(
                "identifier-guessing",
                4,
                UnsentKind::IdentifiersNotNumbers,
                6,
            )),
            Outcome::Clean,
            vec![],
            vec![],
        ),
        (
            "a world too small to reserve a record for every cell is inconclusive",
            with(unsent("direct-write", 6, UnsentKind::NoRecordLeft, 2)),
            Outcome::Inconclusive,
            vec![
                "family direct-write: 2 planned probe(s) in 1 cell(s) were not sent: no record left to reserve (first: why)",
            ],
            vec![],
        ),
        (
            "records used up by other cells' findings: findings all the same, with the reason",
            RunFacts {
                root_causes: 1,
                ..with(unsent("mass-assignment", 4, UnsentKind::RecordsUsedUp, 5))
            },
            Outcome::Findings,
            vec![
                "family mass-assignment: 5 planned probe(s) in 1 cell(s) were not sent: the records set aside for it were used up (first: why)",
            ],
            vec![],
        ),
        (
            "a family that sent nothing says so once",
            with(unsent("direct-write", 0, UnsentKind::OwnerCannotRead, 3)),
            Outcome::Inconclusive,
            vec!["family direct-write applies but ran no probe: no probe was executed"],
            vec![],
        ),
    ];
    for (rule, facts, outcome, reasons, failures) in rows {
        check(rule, facts, outcome, &reasons, &failures);
    }
}

fn target(message: &str) -> Failure {
    Failure::Target(message.into())
}

/// `classify` of `facts` gives `outcome`, with these reasons and failures (as reports write them).
fn check(rule: &str, facts: RunFacts, outcome: Outcome, reasons: &[&str], failures: &[&str]) {
    let got = classify(&facts);
    assert_eq!(got.outcome, outcome, "{rule}: {got:?}");
    let reasons_got: Vec<String> = got.reasons.iter().map(ToString::to_string).collect();
    let failures_got: Vec<String> = got.failures.iter().map(ToString::to_string).collect();
    assert_eq!(reasons_got, reasons, "{rule}: reasons");
    assert_eq!(failures_got, failures, "{rule}: failures");
}

#[test]
fn classify_ranks_interruption_findings_failures_reasons() {
    let rows: Vec<Row<RunFacts>> = vec![
        (
            "nothing wrong is clean",
            clean(),
            Outcome::Clean,
            vec![],
            vec![],
        ),
        (
            "a root cause is findings",
            RunFacts {
                root_causes: 1,
                ..clean()
            },
            Outcome::Findings,
            vec![],
            vec![],
        ),
        (
            "a finding wins over a target failure and a reason",
            RunFacts {
                root_causes: 2,
                failures: vec![target("the target stopped answering: reset")],
                unauthenticated: vec![
                    signed_out("resources.case.read", "applicant", 2),
                    signed_out("resources.note.list", "agent", 1),
                ],
                ..clean()
            },
            Outcome::Findings,
            vec![
                "3 probe(s) were answered as unauthenticated even after a new login: their refusals prove nothing (resources.case.read as applicant: 2, resources.note.list as agent: 1); if the platform answers 401 for records that are not the caller's, list 401 among those endpoints' refusal statuses",
            ],
            vec!["the target stopped answering: reset"],
        ),
        (
            "a target failure wins over a reason",
            RunFacts {
                failures: vec![target("seeding failed")],
                controls_run: 0,
                ..clean()
            },
            Outcome::TargetFailure,
            vec!["no control could be planned: nothing shows the target serves its data at all"],
            vec!["seeding failed"],
        ),
        (
            "an interruption wins over a finding",
            RunFacts {
                root_causes: 1,
                stops: vec![StopReason::Interrupted { unsent: 0 }],
                ..clean()
            },
            Outcome::Interrupted,
            vec!["interrupted by a signal: 0 probe(s) were not sent; this report is partial"],
            vec![],
        ),
        (
            "a failed control is a target failure",
            RunFacts {
                failures: vec![Failure::Control {
                    actor: None,
                    role: "applicant".into(),
                    endpoint: "resources.case.read".into(),
                    reason: "status 500".into(),
                    curl: Some("curl -sS 'http://x/cases/1'".into()),
                }],
                ..clean()
            },
            Outcome::TargetFailure,
            vec![],
            vec![
                "control: anonymous (applicant) on resources.case.read: status 500 (curl -sS 'http://x/cases/1')",
            ],
        ),
    ];
    for (rule, facts, outcome, reasons, failures) in rows {
        check(rule, facts, outcome, &reasons, &failures);
    }
}

#[test]
fn classify_reasons_from_sessions_and_the_stateful_suite() {
    let rows: Vec<Row<RunFacts>> = vec![
        (
            "a refused read the stateful model allows is inconclusive",
            RunFacts {
                stateful_refusals: vec!["agent-1 read case-2: 403".into()],
                ..clean()
            },
            Outcome::Inconclusive,
            vec!["stateful: the target refused a read the model allows: agent-1 read case-2: 403"],
            vec![],
        ),
        (
            "a stateful suite that stopped early is inconclusive",
            RunFacts {
                stateful_stopped: Some("after 3 sequence(s): no second case file".into()),
                ..clean()
            },
            Outcome::Inconclusive,
            vec!["the stateful suite stopped early: after 3 sequence(s): no second case file"],
            vec![],
        ),
        (
            "a transition refused every time is inconclusive",
            RunFacts {
                transitions_refused: vec![("transfer".into(), 4, "403".into())],
                ..clean()
            },
            Outcome::Inconclusive,
            vec![
                "stateful: the target refused every transfer (4, first answer 403): the transition was never exercised",
            ],
            vec![],
        ),
        (
            "a planned family that ran no probe is inconclusive",
            RunFacts {
                families: vec![family(
                    "search",
                    6,
                    0,
                    Some(Skip::Inapplicable(Some("ids are not numbers".into()))),
                    0,
                )],
                ..clean()
            },
            Outcome::Inconclusive,
            vec![
                "family search applies but ran no probe: every planned probe was inapplicable to this target: ids are not numbers",
            ],
            vec![],
        ),
    ];
    for (rule, facts, outcome, reasons, failures) in rows {
        check(rule, facts, outcome, &reasons, &failures);
    }
}

#[test]
fn classify_reasons_from_families_and_controls() {
    let rows: Vec<Row<RunFacts>> = vec![
        (
            "a planned family that ran no probe, with no reason given",
            RunFacts {
                families: vec![family("search", 6, 0, None, 0)],
                ..clean()
            },
            Outcome::Inconclusive,
            vec!["family search applies but ran no probe: no probe was executed"],
            vec![],
        ),
        (
            "a family the planner could not plan, though it applies, is inconclusive",
            RunFacts {
                families: vec![family(
                    "mass-assignment",
                    0,
                    0,
                    Some(Skip::planned("no identity owns a record it could update")),
                    0,
                )],
                ..clean()
            },
            Outcome::Inconclusive,
            vec![
                "family mass-assignment applies but ran no probe: no identity owns a record it could update",
            ],
            vec![],
        ),
        (
            "a family that does not apply is clean",
            RunFacts {
                families: vec![family(
                    "search",
                    0,
                    0,
                    Some(Skip::planned(
                        "not applicable: no `search` endpoint in [resources]",
                    )),
                    0,
                )],
                ..clean()
            },
            Outcome::Clean,
            vec![],
            vec![],
        ),
        (
            "the stateful family in another shard is clean",
            RunFacts {
                families: vec![family("stateful", 0, 0, Some(Skip::OtherShard), 0)],
                ..clean()
            },
            Outcome::Clean,
            vec![],
            vec![],
        ),
        (
            "server errors on more than half a family's probes are inconclusive",
            RunFacts {
                families: vec![family("direct-read", 10, 9, None, 5)],
                ..clean()
            },
            Outcome::Inconclusive,
            vec!["family direct-read: 5 of 9 probes got server errors"],
            vec![],
        ),
        (
            "server errors on half a family's probes are not",
            RunFacts {
                families: vec![family("direct-read", 10, 10, None, 5)],
                ..clean()
            },
            Outcome::Clean,
            vec![],
            vec![],
        ),
        (
            "no control is inconclusive",
            RunFacts {
                controls_run: 0,
                ..clean()
            },
            Outcome::Inconclusive,
            vec!["no control could be planned: nothing shows the target serves its data at all"],
            vec![],
        ),
    ];
    for (rule, facts, outcome, reasons, failures) in rows {
        check(rule, facts, outcome, &reasons, &failures);
    }
}

#[test]
fn classify_stops_and_the_order_of_reasons() {
    let rows: Vec<Row<RunFacts>> = vec![
        (
            "a deadline that passed is inconclusive",
            RunFacts {
                stops: vec![StopReason::Deadline {
                    seconds: 60,
                    unsent: 12,
                }],
                ..clean()
            },
            Outcome::Inconclusive,
            vec!["the deadline of 60 s passed: 12 probe(s) were not sent (--deadline)"],
            vec![],
        ),
        (
            "giving up on a failing target is a target failure",
            RunFacts {
                stops: vec![StopReason::GaveUp {
                    why: GiveUp::Silent {
                        seconds: 41,
                        unanswered: 4,
                    },
                    unsent: 7,
                }],
                ..clean()
            },
            Outcome::TargetFailure,
            vec![],
            vec![
                "the target answered nothing for 41 s (4 request(s) got no answer): cloison gave up, 7 probe(s) were not sent",
            ],
        ),
        (
            "giving up after failures in a row, however recently the target answered",
            RunFacts {
                stops: vec![StopReason::GaveUp {
                    why: GiveUp::FailuresInARow(25),
                    unsent: 7,
                }],
                ..clean()
            },
            Outcome::TargetFailure,
            vec![],
            vec!["the target failed 25 times in a row: cloison gave up, 7 probe(s) were not sent"],
        ),
        (
            "reasons keep their order: refusals, sessions, stateful, families, controls, stops",
            RunFacts {
                stateful_refusals: vec!["r".into()],
                unauthenticated: vec![signed_out("functions.audit", "anonymous", 1)],
                stateful_stopped: Some("s".into()),
                transitions_refused: vec![("logout".into(), 1, "500".into())],
                families: vec![family("search", 2, 0, None, 0)],
                controls_run: 0,
                stops: vec![
                    StopReason::Deadline {
                        seconds: 5,
                        unsent: 1,
                    },
                    StopReason::Interrupted { unsent: 1 },
                ],
                ..RunFacts::default()
            },
            Outcome::Interrupted,
            vec![
                "stateful: the target refused a read the model allows: r",
                "1 probe(s) were answered as unauthenticated even after a new login: their refusals prove nothing (functions.audit as anonymous: 1); if the platform answers 401 for records that are not the caller's, list 401 among those endpoints' refusal statuses",
                "the stateful suite stopped early: s",
                "stateful: the target refused every logout (1, first answer 500): the transition was never exercised",
                "family search applies but ran no probe: no probe was executed",
                "no control could be planned: nothing shows the target serves its data at all",
                "the deadline of 5 s passed: 1 probe(s) were not sent (--deadline)",
                "interrupted by a signal: 1 probe(s) were not sent; this report is partial",
            ],
            vec![],
        ),
    ];
    for (rule, facts, outcome, reasons, failures) in rows {
        check(rule, facts, outcome, &reasons, &failures);
    }
}

#[test]
fn a_setup_that_stops_is_a_target_failure_or_an_interruption() {
    let failed = classify_setup(Ok(Failure::Deploy {
        target: "image:portal".into(),
        message: "no such image".into(),
    }));
    assert_eq!(failed.outcome, Outcome::TargetFailure);
    assert!(failed.reasons.is_empty());
    assert_eq!(
        failed.failures[0].to_string(),
        "could not deploy --target image:portal: no such image"
    );
    let late = classify_setup(Ok(Failure::SetupDeadline { seconds: 30 }));
    assert_eq!(
        late.failures[0].to_string(),
        "the run did not finish setting up within its deadline of 30 s (--deadline)"
    );
    let setting_up = classify_setup(Err(StopReason::InterruptedSettingUp));
    assert_eq!(setting_up.outcome, Outcome::Interrupted);
    assert_eq!(
        setting_up.reasons[0].to_string(),
        "interrupted by a signal while setting the target up: nothing was probed; this report is partial"
    );
    let interrupted = classify_setup(Err(StopReason::InterruptedDeploying {
        target: "deploy".into(),
    }));
    assert_eq!(interrupted.outcome, Outcome::Interrupted);
    assert!(interrupted.failures.is_empty());
    assert_eq!(
        interrupted.reasons[0].to_string(),
        "interrupted by a signal while deploying deploy: what was started is removed; nothing was probed"
    );
}

fn shard(
    name: Option<&str>,
    outcome: Outcome,
    reasons: &[&str],
    failures: &[&str],
) -> ShardVerdict {
    ShardVerdict {
        shard: name.map(String::from),
        outcome,
        reasons: reasons
            .iter()
            .map(|r| Inconclusive::Recorded((*r).into()))
            .collect(),
        failures: failures
            .iter()
            .map(|f| Failure::Recorded((*f).into()))
            .collect(),
    }
}

/// `classify_merge` of `facts` gives `outcome`, with these reasons and failures.
fn check_merge(
    rule: &str,
    facts: MergeFacts,
    outcome: Outcome,
    reasons: &[&str],
    failures: &[&str],
) {
    let got = classify_merge(&facts);
    assert_eq!(got.outcome, outcome, "{rule}: {got:?}");
    let reasons_got: Vec<String> = got.reasons.iter().map(ToString::to_string).collect();
    let failures_got: Vec<String> = got.failures.iter().map(ToString::to_string).collect();
    assert_eq!(reasons_got, reasons, "{rule}: reasons");
    assert_eq!(failures_got, failures, "{rule}: failures");
}

#[test]
fn classify_merge_rules() {
    use Outcome::*;
    let rows: Vec<Row<MergeFacts>> = vec![
        (
            "clean shards are clean",
            MergeFacts {
                shards: vec![
                    shard(Some("1/2"), Clean, &[], &[]),
                    shard(Some("2/2"), Clean, &[], &[]),
                ],
                ..MergeFacts::default()
            },
            Clean,
            vec![],
            vec![],
        ),
        (
            "a root cause is findings, whatever the shards say",
            MergeFacts {
                root_causes: 1,
                shards: vec![shard(Some("1/2"), TargetFailure, &[], &["down"])],
                ..MergeFacts::default()
            },
            Findings,
            vec![],
            vec!["shard 1/2: down"],
        ),
        (
            "a family no shard ran is inconclusive, even over clean shards",
            MergeFacts {
                shards: vec![shard(Some("1/2"), Clean, &[], &[])],
                unrun_families: vec!["search".into()],
                ..MergeFacts::default()
            },
            Inconclusive,
            vec!["family search applies but ran no probe in any shard"],
            vec![],
        ),
        (
            "a failed shard is a target failure; reasons are tagged with their shard",
            MergeFacts {
                shards: vec![
                    shard(Some("1/2"), Inconclusive, &["no control"], &[]),
                    shard(Some("2/2"), TargetFailure, &[], &[]),
                ],
                ..MergeFacts::default()
            },
            TargetFailure,
            vec!["shard 1/2: no control"],
            vec![],
        ),
        (
            "an interrupted shard makes the merge inconclusive",
            MergeFacts {
                shards: vec![
                    shard(Some("1/2"), Clean, &[], &[]),
                    shard(None, Interrupted, &["stop"], &[]),
                ],
                ..MergeFacts::default()
            },
            Inconclusive,
            vec!["stop"],
            vec![],
        ),
    ];
    for (rule, facts, outcome, reasons, failures) in rows {
        check_merge(rule, facts, outcome, &reasons, &failures);
    }
}

#[test]
fn reasons_round_trip_through_a_report_as_their_text() {
    let reason = Inconclusive::Stopped(StopReason::Deadline {
        seconds: 9,
        unsent: 2,
    });
    let json = serde_json::to_string(&reason).expect("serialises");
    assert_eq!(
        json,
        "\"the deadline of 9 s passed: 2 probe(s) were not sent (--deadline)\""
    );
    let back: Inconclusive = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back.to_string(), reason.to_string());
    let failure: Failure = serde_json::from_str("\"down\"").expect("reads back");
    assert_eq!(failure, Failure::Recorded("down".into()));
    assert_eq!(
        serde_json::to_string(&Outcome::TargetFailure).expect("serialises"),
        "\"target-failure\""
    );
}

#[test]
fn classify_tiers_status_only_findings_are_warnings_unless_failed_on() {
    // (rule, findings, of which status-only, --fail-on, extra facts, outcome, warnings)
    type TierRow = (&'static str, usize, usize, FailOn, RunFacts, Outcome, usize);
    let rows: Vec<TierRow> = vec![
        (
            "status-only findings alone leave a clean run clean, as warnings",
            2,
            2,
            FailOn::Proven,
            clean(),
            Outcome::Clean,
            2,
        ),
        (
            "with --fail-on suspicious they are findings",
            2,
            2,
            FailOn::Suspicious,
            clean(),
            Outcome::Findings,
            0,
        ),
        (
            "one proven finding among warnings fails the run",
            3,
            2,
            FailOn::Proven,
            clean(),
            Outcome::Findings,
            2,
        ),
        (
            "warnings do not hide a reason: the run is what it would be without them",
            1,
            1,
            FailOn::Proven,
            RunFacts {
                unauthenticated: vec![signed_out("resources.case.read", "agent", 2)],
                ..clean()
            },
            Outcome::Inconclusive,
            1,
        ),
        (
            "nor a target failure",
            1,
            1,
            FailOn::Proven,
            RunFacts {
                failures: vec![target("down")],
                ..clean()
            },
            Outcome::TargetFailure,
            1,
        ),
        (
            "an interruption wins over every tier",
            1,
            0,
            FailOn::Suspicious,
            RunFacts {
                stops: vec![StopReason::Interrupted { unsent: 3 }],
                ..clean()
            },
            Outcome::Interrupted,
            0,
        ),
    ];
    for (rule, findings, suspicious, fail_on, facts, outcome, warnings) in rows {
        let got = classify(&RunFacts {
            root_causes: findings,
            suspicious,
            fail_on,
            ..facts
        });
        assert_eq!(got.outcome, outcome, "{rule}: {got:?}");
        assert_eq!(got.warnings, warnings, "{rule}: warnings");
    }
}

#[test]
fn classify_merge_tiers() {
    use Outcome::*;
    // A shard whose only findings were status-only warnings is clean; one that failed on them under
    // --fail-on suspicious still reads as clean here, where the merged findings are judged.
    let rows: Vec<(&str, MergeFacts, Outcome, usize)> = vec![
        (
            "warnings only: clean, with the warnings counted",
            MergeFacts {
                root_causes: 1,
                suspicious: 1,
                shards: vec![
                    shard(Some("1/2"), Clean, &[], &[]),
                    shard(Some("2/2"), Findings, &[], &[]),
                ],
                ..MergeFacts::default()
            },
            Clean,
            1,
        ),
        (
            "warnings with --fail-on suspicious: findings",
            MergeFacts {
                root_causes: 1,
                suspicious: 1,
                fail_on: FailOn::Suspicious,
                shards: vec![shard(Some("1/2"), Clean, &[], &[])],
                ..MergeFacts::default()
            },
            Findings,
            0,
        ),
        (
            "warnings and an inconclusive shard: inconclusive",
            MergeFacts {
                root_causes: 1,
                suspicious: 1,
                shards: vec![shard(Some("1/2"), Findings, &["no control"], &[])],
                ..MergeFacts::default()
            },
            Inconclusive,
            1,
        ),
    ];
    for (rule, facts, outcome, warnings) in rows {
        let got = classify_merge(&facts);
        assert_eq!(got.outcome, outcome, "{rule}: {got:?}");
        assert_eq!(got.warnings, warnings, "{rule}");
    }
}

#[test]
fn fail_on_reads_its_names() {
    assert_eq!("proven".parse::<FailOn>(), Ok(FailOn::Proven));
    assert_eq!("suspicious".parse::<FailOn>(), Ok(FailOn::Suspicious));
    assert!("warning".parse::<FailOn>().is_err());
    assert_eq!(FailOn::default(), FailOn::Proven);
    assert!(FailOn::Proven.fails(Tier::Proven) && !FailOn::Proven.fails(Tier::Suspicious));
}
