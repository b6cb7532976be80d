//! What each probe needs observed before it is judged, read-backs classified, seeding and the profile's
//! own body mistakes: the second half of the verdict table tests.

use super::*;

#[test]
fn probes_say_what_they_need() {
    let plain = |family, variant| Case::new(family, Expect::Refusal, variant, Some("alice")).probe;
    let assign = Variant::Assign {
        field: "owner_id".into(),
        named: Named::Tenant("13".into()),
    };
    let rows: Vec<(&str, Probe, &str)> = vec![
        (
            "a mass assignment with a field to slip is an assignment",
            plain(Family::MassAssignment, assign.clone()),
            "Assignment",
        ),
        (
            "a mass assignment without one is judged by its answer",
            plain(Family::MassAssignment, Variant::Plain),
            "Answer { resend_server_error: false }",
        ),
        (
            "a direct write is a write whatever its variant",
            plain(Family::DirectWrite, Variant::Missing),
            "Write",
        ),
        (
            "a missing identifier is an existence check",
            plain(Family::IdentifierGuessing, Variant::Missing),
            "Existence",
        ),
        (
            "a control is sent again after a server error",
            Case::control().probe,
            "Answer { resend_server_error: true }",
        ),
        (
            "any other probe is judged by its answer",
            plain(Family::DirectRead, Variant::Plain),
            "Answer { resend_server_error: false }",
        ),
    ];
    for (rule, probe, expected) in rows {
        let got = format!("{:?}", Needs::of(&probe));
        assert!(got.starts_with(expected), "rule: {rule}: {got}");
    }
}

#[test]
fn reads_gather_only_what_their_verdict_calls_for() {
    let rows: Vec<(&str, Case, Option<Need>)> = vec![
        (
            "a control of a record needs its own data",
            Case::control(),
            Some(Need::OwnData),
        ),
        (
            "a control of no known record needs nothing",
            Case::control().without_record(),
            None,
        ),
        (
            "a control with its own data needs nothing more",
            Case::control().own_data(&[]),
            None,
        ),
        (
            "a list of a caller with records needs its own data",
            Case::visible(Family::Collection).owns_listed(),
            Some(Need::OwnData),
        ),
        (
            "a list of a caller without records needs nothing",
            Case::visible(Family::Collection),
            None,
        ),
        (
            "a list that leaks needs nothing more",
            Case::visible(Family::Collection)
                .owns_listed()
                .answer(200, &["N1"]),
            None,
        ),
        (
            "a list whose session was not accepted needs nothing more",
            Case::visible(Family::Collection)
                .owns_listed()
                .answer(401, &[]),
            None,
        ),
        (
            "a selector's finding needs the plain request",
            Case::selector(Expect::Refusal).answer(200, &["N1"]),
            Some(Need::Baseline),
        ),
        (
            "a selector refused needs nothing more",
            Case::selector(Expect::Refusal).answer(403, &[]),
            None,
        ),
        (
            "a forbidden read needs nothing more",
            Case::forbidden(Some("alice")),
            None,
        ),
        (
            "an existence check needs its missing twin",
            Case::existence().answer(404, &[]),
            Some(Need::MissingTwin),
        ),
        (
            "an object that leaks needs no missing twin",
            Case::existence().answer(200, &["N1"]),
            None,
        ),
    ];
    for (rule, case, expected) in rows {
        check_need(rule, case, expected);
    }
}

#[test]
fn changes_gather_only_what_their_verdict_calls_for() {
    let assignment = |back, reader: Option<&'static str>| {
        Case::assignment(
            Named::Tenant("13".into()),
            ChangeCase {
                named_reader: reader,
                ..ChangeCase::update(back, false)
            },
        )
    };
    let rows: Vec<(&str, Case, Option<Need>)> = vec![
        (
            "a write not yet proven needs the writer's view",
            Case::write(ChangeCase::update(Some(200), false)),
            Some(Need::WriterView),
        ),
        (
            "a proven tampering needs no writer's view",
            Case::write(ChangeCase::update(Some(200), true)),
            None,
        ),
        (
            "a writer who saw the record before needs no view after",
            Case::write(ChangeCase {
                writer_saw_before: true,
                ..ChangeCase::update(Some(200), false)
            }),
            None,
        ),
        (
            "an assignment needs the named reader's view",
            assignment(Some(200), Some("agent-13")),
            Some(Need::NamedReaderView),
        ),
        (
            "an assignment without a reader needs nothing more",
            assignment(Some(200), None),
            None,
        ),
        (
            "a record gone from its owner's reach needs no named reader",
            assignment(Some(404), Some("agent-13")),
            None,
        ),
    ];
    for (rule, case, expected) in rows {
        check_need(rule, case, expected);
    }
}

#[test]
fn read_backs_are_classified() {
    let marker = Some(("/summary", "cloison-write-probe-1"));
    let back = |status: u16, body: &str| Observed {
        status,
        body: body.as_bytes().to_vec(),
        ..Observed::default()
    };
    let redirect = Observed {
        status: 302,
        headers: vec![("Location".into(), "/login".into())],
        ..Observed::default()
    };
    let rows: Vec<(&str, Option<Observed>, ReadBack)> = vec![
        (
            "a success with the marker at its field is marked",
            Some(back(200, r#"{"summary":"cloison-write-probe-1"}"#)),
            ReadBack::Marked,
        ),
        (
            "a success without the marker is unchanged",
            Some(back(200, r#"{"summary":"x"}"#)),
            ReadBack::Unchanged,
        ),
        ("a refusal is gone", Some(back(403, "")), ReadBack::Gone),
        ("a 404 is gone", Some(back(404, "")), ReadBack::Gone),
        (
            "a 410 not listed as a refusal is gone",
            Some(back(410, "")),
            ReadBack::Gone,
        ),
        (
            "a lost session is unknown",
            Some(redirect),
            ReadBack::Unknown,
        ),
        (
            "a server error is unknown",
            Some(back(500, "")),
            ReadBack::Unknown,
        ),
        ("no answer is unknown", None, ReadBack::Unknown),
        (
            "a success whose body is a declared refusal is gone",
            Some(back(200, "false")),
            ReadBack::Gone,
        ),
    ];
    // (Deletes that keep the record are classified in `writes_are_judged_by_the_read_backs`.)
    let refusals = Refusals {
        statuses: BTreeSet::from([302, 403, 404]),
        bodies: vec![RefusalBody::Exact(serde_json::Value::Bool(false))],
        ..refusals()
    };
    for (rule, read, expected) in rows {
        assert_eq!(
            ReadBack::classify(read.as_ref(), &refusals, marker, None),
            expected,
            "rule: {rule}"
        );
    }
}

#[test]
fn foreign_data_met_while_seeding_is_a_leak() {
    let alice = identity("alice", "applicant", Some("1"));
    assert_eq!(judge_seeding(&alice, &[], 201), None);
    let judgement = judge_seeding(&alice, &[hit("N1", "2")], 201).expect("a leak");
    assert_eq!(
        judgement.explanation,
        "1 canary of person 2 of tenant 75 reached alice (applicant) with status 201"
    );
    assert!(matches!(judgement.verdict, Verdict::Leak(hits) if hits.len() == 1));
}

/// A forbidden call answered 400 or 422 (not a listed refusal) is judged with the same request sent by a
/// caller the policy allows: rejected for both, the profile's body is at fault (not a finding); accepted
/// for the allowed caller, the forbidden one's answer stays suspicious; a listed refusal, foreign data or a
/// success needs no twin.
#[test]
fn a_body_rejected_for_allowed_and_forbidden_callers_alike_is_the_profiles() {
    let function = || {
        Case::new(
            Family::FunctionLevel,
            Expect::Refusal,
            Variant::Plain,
            Some("alice"),
        )
    };
    let needs: Vec<(&str, Case, Option<Need>)> = vec![
        (
            "a 422 to a forbidden call needs the allowed twin",
            function().answer(422, &[]),
            Some(Need::AllowedTwin),
        ),
        (
            "a 400 to a forbidden call needs the allowed twin",
            Case::forbidden(Some("alice")).answer(400, &[]),
            Some(Need::AllowedTwin),
        ),
        (
            "the twin gathered, nothing more",
            function().answer(422, &[]).allowed_twin(422),
            None,
        ),
        (
            "a listed refusal needs no twin",
            function().answer(403, &[]),
            None,
        ),
        (
            "foreign data in a 422 is a leak, no twin",
            function().answer(422, &["N1"]),
            None,
        ),
        (
            "a success to a forbidden call needs no twin",
            function().answer(200, &[]),
            None,
        ),
        (
            "a 409 is not a malformed body",
            function().answer(409, &[]),
            None,
        ),
        (
            "an allowed call needs no twin",
            Case::visible(Family::AllowedRead).answer(422, &[]),
            None,
        ),
    ];
    for (rule, case, expected) in needs {
        check_need(rule, case, expected);
    }
    let rows: Vec<(&str, Case, &str)> = vec![
        (
            "rejected for the allowed caller too: the profile's body",
            function().answer(422, &[]).allowed_twin(400),
            "body-rejected: the profile's request was answered 422 to alice (applicant) and 400 to a caller \
             the policy allows: the platform rejects the body the profile builds, whoever sends it",
        ),
        (
            "accepted for the allowed caller: the forbidden caller's 422 stays suspicious",
            function().answer(422, &[]).allowed_twin(200),
            "suspicious: alice (applicant): 422, which the profile does not list as a refusal",
        ),
        (
            "refused to the allowed caller by a listed refusal: still suspicious (a failed twin proves nothing)",
            function().answer(422, &[]).allowed_twin(403),
            "suspicious: alice (applicant): 422, which the profile does not list as a refusal",
        ),
        (
            "no twin could be sent: suspicious",
            function().answer(422, &[]),
            "suspicious: alice (applicant): 422, which the profile does not list as a refusal",
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, expected);
    }
}
