use super::*;

fn refusals() -> Refusals {
    Refusals {
        statuses: BTreeSet::from([401, 403, 404]),
        empty_list: true,
        list_pointer: Some("/items".into()),
        login_redirect: Some("/login".into()),
        bodies: Vec::new(),
    }
}

fn observed(status: u16, headers: &[(&str, &str)], body: &str) -> Observed {
    Observed {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
        redirects: Vec::new(),
        truncated: false,
    }
}

fn hit(canary: &str) -> Hit {
    Hit {
        canary: canary.into(),
        field: crate::generators::canary::CanaryKind::Nir,
        owner: DataOwner {
            tenant: "75".into(),
            person: Some("1".into()),
            case: None,
            kind: None,
        },
    }
}

fn proof(hits: &[&str]) -> Evidence {
    Evidence {
        proof: hits.iter().map(|h| hit(h)).collect(),
        reflected: Vec::new(),
    }
}

#[test]
fn refusal_shapes() {
    let r = refusals();
    let check = |o: Observed, expected: bool| assert_eq!(r.is_refusal(&o), expected, "{o:?}");
    check(observed(404, &[], ""), true);
    check(observed(410, &[], ""), false);
    check(observed(302, &[("Location", "/login?next=/x")], ""), true);
    check(observed(302, &[("Location", "/home")], ""), false);
    check(observed(200, &[], r#"{"items": []}"#), true);
    check(observed(200, &[], r#"{"items": [1]}"#), false);
    check(observed(200, &[], "not json"), false);
}

#[test]
fn forbidden_tries_put_data_before_status() {
    let r = refusals();
    let table: &[(Evidence, Observed, &str)] = &[
        // A leak in a 404 body (an error that echoes the object) is still a leak.
        (proof(&["N1"]), observed(404, &[], ""), "leak"),
        (Evidence::default(), observed(404, &[], ""), "pass"),
        (Evidence::default(), observed(200, &[], "{}"), "suspicious"),
        (Evidence::default(), observed(410, &[], ""), "suspicious"),
        (Evidence::default(), observed(503, &[], ""), "server-error"),
        (
            Evidence::default(),
            observed(302, &[("Location", "/login")], ""),
            "pass",
        ),
    ];
    for (evidence, obs, expected) in table {
        let verdict = judge_forbidden(evidence, &r, obs);
        let got = match verdict {
            Verdict::Leak(_) => "leak",
            Verdict::Pass => "pass",
            Verdict::Suspicious(_) => "suspicious",
            Verdict::ServerError(_) => "server-error",
            Verdict::Unauthenticated => "unauthenticated",
            _ => "other",
        };
        assert_eq!(got, *expected, "{obs:?}");
    }
}

#[test]
fn a_401_is_unauthenticated_unless_the_profile_calls_it_a_refusal() {
    let mut r = refusals();
    assert_eq!(
        judge_forbidden(&Evidence::default(), &r, &observed(401, &[], "")),
        Verdict::Pass
    );
    r.statuses.remove(&401);
    assert_eq!(
        judge_forbidden(&Evidence::default(), &r, &observed(401, &[], "")),
        Verdict::Unauthenticated
    );
}

#[test]
fn reflected_canaries_are_never_proof() {
    let carried = BTreeSet::from(["75-2025-000001".to_string()]);
    let evidence = split_reflected(vec![hit("75-2025-000001"), hit("N1")], &carried);
    assert_eq!(evidence.proof, vec![hit("N1")]);
    assert_eq!(evidence.reflected, vec![hit("75-2025-000001")]);
    // A 404 page that echoes the case number the URL carried is a refusal, not a leak.
    let only_reflected = split_reflected(vec![hit("75-2025-000001")], &carried);
    assert_eq!(
        judge_forbidden(&only_reflected, &refusals(), &observed(404, &[], "")),
        Verdict::Pass
    );
    assert!(matches!(
        judge_forbidden(&only_reflected, &refusals(), &observed(200, &[], "{}")),
        Verdict::Suspicious(_)
    ));
}

#[test]
fn allowed_answers_are_judged_by_foreign_data_only() {
    assert_eq!(
        judge_visible(&Evidence::default(), &observed(200, &[], "[]")),
        Verdict::Pass
    );
    assert_eq!(
        judge_visible(&Evidence::default(), &observed(403, &[], "")),
        Verdict::Pass
    );
    assert!(matches!(
        judge_visible(&proof(&["N1"]), &observed(200, &[], "")),
        Verdict::Leak(_)
    ));
    assert!(matches!(
        judge_visible(&Evidence::default(), &observed(500, &[], "")),
        Verdict::ServerError(_)
    ));
}

#[test]
fn controls_need_success_and_own_data() {
    let e = Evidence::default();
    assert_eq!(judge_control(&e, &observed(200, &[], ""), 3), Verdict::Pass);
    assert!(matches!(
        judge_control(&e, &observed(200, &[], ""), 0),
        Verdict::ControlFailed(_)
    ));
    assert!(matches!(
        judge_control(&e, &observed(404, &[], ""), 0),
        Verdict::ControlFailed(_)
    ));
    assert_eq!(
        judge_control(&e, &observed(401, &[], ""), 0),
        Verdict::Unauthenticated
    );
}

#[test]
fn a_control_answered_by_a_redirect_left_unfollowed_says_where_it_led() {
    let e = Evidence::default();
    let moved = observed(302, &[("Location", "https://files.example.net/b/1")], "");
    match judge_control(&e, &moved, 0) {
        Verdict::ControlFailed(why) => assert!(
            why.contains("302 (a redirect to https://files.example.net/b/1, not followed)"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_marker_counts_only_at_the_named_field() {
    let body = br#"{"summary":"cloison-write-probe-1","history":["cloison-write-probe-2"]}"#;
    assert!(marker_at(body, "/summary", "cloison-write-probe-1"));
    // The marker of another write, elsewhere in the body, proves nothing about this one.
    assert!(!marker_at(body, "/summary", "cloison-write-probe-2"));
    assert!(!marker_at(body, "/missing", "cloison-write-probe-1"));
    assert!(marker_at(
        b"plain cloison-write-probe-1",
        "",
        "cloison-write-probe-1"
    ));
}

#[test]
fn writes_are_judged_by_the_read_back() {
    let r = refusals();
    let e = Evidence::default();
    let w = |status| observed(status, &[], "");
    let kind = |v: Verdict| match v {
        Verdict::Pass => "pass",
        Verdict::Leak(_) => "leak",
        Verdict::Tampering(_) => "tampering",
        Verdict::Suspicious(_) => "suspicious",
        Verdict::ServerError(_) => "server-error",
        Verdict::RefusedWithError(_) => "refused-with-error",
        Verdict::Unauthenticated => "unauthenticated",
        Verdict::ControlFailed(_) => "control",
        Verdict::BodyRejected(_) => "body-rejected",
        Verdict::Untraced(_) => "untraced",
    };
    let table: &[(u16, ReadBack, &str)] = &[
        (200, ReadBack::Marked, "tampering"),
        // A 404 to the write does not hide a change the owner can see.
        (404, ReadBack::Marked, "tampering"),
        // A write that moved the record out of its owner's reach.
        (200, ReadBack::Gone, "tampering"),
        (404, ReadBack::Unchanged, "pass"),
        (422, ReadBack::Unchanged, "pass"),
        // A server error that changed nothing is a refusal with an error, not a voided run.
        (500, ReadBack::Unchanged, "refused-with-error"),
        (200, ReadBack::Unchanged, "suspicious"),
        (200, ReadBack::Unknown, "server-error"),
        // Where deletes keep the record: marked deleted, or emptied of its values, whatever the answer.
        (200, ReadBack::SoftDeleted, "tampering"),
        (403, ReadBack::SoftDeleted, "tampering"),
        (200, ReadBack::Emptied, "tampering"),
    ];
    for (status, read_back, expected) in table {
        assert_eq!(
            kind(judge_write(&e, &r, &w(*status), *read_back, "update")),
            *expected,
            "{status} {read_back:?}"
        );
    }
}

#[test]
fn foreign_creates_are_judged_by_the_owners_list_afterwards() {
    let r = refusals();
    let kind = |v: Verdict| match v {
        Verdict::Pass => "pass",
        Verdict::Leak(_) => "leak",
        Verdict::Tampering(_) => "tampering",
        Verdict::Suspicious(_) => "suspicious",
        Verdict::ServerError(_) => "server-error",
        Verdict::RefusedWithError(_) => "refused-with-error",
        Verdict::Unauthenticated => "unauthenticated",
        Verdict::ControlFailed(_) => "control",
        Verdict::BodyRejected(_) => "body-rejected",
        Verdict::Untraced(_) => "untraced",
    };
    let marker = "cloison-write-probe-1-00ff";
    // The owner's list afterwards, classified with the marker anywhere in it.
    let list = |body: &str| {
        ReadBack::classify(
            Some(&observed(200, &[], body)),
            &r,
            Some(("", marker)),
            None,
        )
    };
    let with_marker = list(
        r#"[{"id":"d1","filename":"a.pdf"},{"id":"d2","filename":"cloison-write-probe-1-00ff"}]"#,
    );
    let without = list(r#"[{"id":"d1","filename":"a.pdf"}]"#);
    assert_eq!(with_marker, ReadBack::Marked);
    assert_eq!(without, ReadBack::Unchanged);
    let refused_list =
        ReadBack::classify(Some(&observed(404, &[], "")), &r, Some(("", marker)), None);
    // (create status, what the owner's list shows, the create's answer carries foreign data) -> verdict
    let table: &[(u16, ReadBack, bool, &str)] = &[
        // The marker in the owner's list: proven, whatever the create answered.
        (201, with_marker, false, "tampering"),
        (404, with_marker, false, "tampering"),
        (201, without, true, "leak"),
        (404, without, false, "pass"),
        (403, without, false, "pass"),
        // A client error the profile does not list, nothing filed: rejected.
        (422, without, false, "pass"),
        (500, without, false, "refused-with-error"),
        // A success the owner's list does not show: status only (filed elsewhere, or hidden).
        (201, without, false, "suspicious"),
        // The owner's list unreadable afterwards: nothing can be concluded; never tampering.
        (201, refused_list, false, "server-error"),
        (201, ReadBack::Unknown, false, "server-error"),
        (404, refused_list, false, "pass"),
    ];
    for (status, read_back, leaks, expected) in table {
        let e = if *leaks {
            proof(&["1850775001001"])
        } else {
            Evidence::default()
        };
        assert_eq!(
            kind(judge_create(
                &e,
                &r,
                &observed(*status, &[], ""),
                *read_back,
                "document"
            )),
            *expected,
            "{status} {read_back:?} leaks={leaks}"
        );
    }
}

#[test]
fn existence_is_leaked_by_a_different_answer() {
    let missing = observed(404, &[], r#"{"error":"not_found"}"#);
    assert_eq!(
        judge_existence(&observed(404, &[], r#"{"error":"not_found"}"#), &missing),
        Verdict::Pass
    );
    assert!(matches!(
        judge_existence(&observed(403, &[], r#"{"error":"forbidden"}"#), &missing),
        Verdict::Suspicious(_)
    ));
}
