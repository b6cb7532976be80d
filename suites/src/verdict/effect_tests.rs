//! Table tests of a function whose effect is read back: one row per rule, named for it.

use std::collections::BTreeSet;

use super::*;
use crate::family::Family;
use crate::population::{Identity, RecordKind};
use crate::probes::{Cell, Expect, Probe, Relation, Variant};

const MARKER: &str = "cloison-write-probe-1-00ff";

fn probe() -> Probe {
    Probe {
        family: Family::FunctionLevel,
        actor: Some("alice".into()),
        endpoint: "functions.delete_item".into(),
        record: None,
        variant: Variant::Effect,
        expect: Expect::Refusal,
        cell: Cell {
            family: Family::FunctionLevel,
            endpoint: "functions.delete_item".into(),
            role: "customer".into(),
            relation: Relation::Collection,
            kind: RecordKind::Case,
            via: Variant::Effect.via(),
        },
    }
}

fn alice() -> Identity {
    Identity {
        key: "alice".into(),
        role: "customer".into(),
        tenant: "75".into(),
        person: None,
        represents: BTreeSet::new(),
        formerly_represents: BTreeSet::new(),
        assigned_cases: BTreeSet::new(),
    }
}

fn answer(status: u16, body: &str) -> Observed {
    Observed {
        status,
        body: body.as_bytes().to_vec(),
        ..Observed::default()
    }
}

fn refusals() -> Refusals {
    Refusals {
        statuses: BTreeSet::from([403]),
        ..Refusals::default()
    }
}

/// One row: how the effect shows, the call's answer, the reads before and after (`None`: not made), the
/// answer's proof, and the expected `kind: explanation`.
struct Row {
    rule: &'static str,
    shows: Shows,
    call: Observed,
    before: Option<Observed>,
    after: Option<Observed>,
    proof: bool,
    expected: &'static str,
}

fn kind(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Leak(_) => "leak",
        Verdict::Tampering(_) => "tampering",
        Verdict::Suspicious(_) => "suspicious",
        Verdict::ServerError(_) => "server-error",
        Verdict::RefusedWithError(_) => "refused-with-error",
        Verdict::Unauthenticated => "unauthenticated",
        Verdict::ControlFailed(_) => "control-failed",
        Verdict::BodyRejected(_) => "body-rejected",
        Verdict::Untraced(_) => "untraced",
    }
}

fn check(row: &Row) {
    let probe = probe();
    let actor = alice();
    let refusals = refusals();
    let evidence = Evidence {
        proof: if row.proof {
            vec![Hit {
                canary: "1234".into(),
                field: crate::generators::canary::CanaryKind::Nir,
                owner: crate::policy::DataOwner {
                    tenant: "75".into(),
                    person: Some("2".into()),
                    case: None,
                    kind: None,
                },
            }]
        } else {
            Vec::new()
        },
        reflected: Vec::new(),
    };
    let mut seen = Observations::of_answer(
        Some(&actor),
        None,
        &refusals,
        Answer {
            observed: &row.call,
            evidence: &evidence,
        },
    );
    seen.effect = Some(EffectReads {
        reader: "bob (staff)",
        shows: &row.shows,
        marker: MARKER,
        before: row.before.as_ref(),
        after: row.after.as_ref(),
    });
    assert_eq!(Needs::of(&probe), Needs::Effect, "{}", row.rule);
    assert_eq!(next_need(&probe, &seen), None, "{}", row.rule);
    let judged = judge(&probe, &seen);
    let got = format!("{}: {}", kind(&judged.verdict), judged.explanation);
    assert_eq!(got, row.expected, "{}", row.rule);
}

fn gone() -> Shows {
    Shows::Gone { at: None }
}

fn marker() -> Shows {
    Shows::Marker { at: "/name".into() }
}

const ITEM: &str = r#"{"id":"i1","name":"Teapot"}"#;
const MARKED: &str = r#"{"id":"i1","name":"cloison-write-probe-1-00ff"}"#;

#[test]
fn a_forbidden_function_is_judged_by_its_effect_read_back() {
    let rows = [
        Row {
            rule: "the item gone after and there before: proven whatever the status",
            shows: gone(),
            call: answer(403, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(404, "")),
            proof: false,
            expected: "tampering: alice (customer) may not call functions.delete_item, yet it answered 403 and bob (staff)'s read-back shows its effect: the record set aside for the probe is gone",
        },
        Row {
            rule: "a 410 is gone too",
            shows: gone(),
            call: answer(204, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(410, "")),
            proof: false,
            expected: "tampering: alice (customer) may not call functions.delete_item, yet it answered 204 and bob (staff)'s read-back shows its effect: the record set aside for the probe is gone",
        },
        Row {
            rule: "the value at the pointer disappeared",
            shows: Shows::Gone {
                at: Some("/name".into()),
            },
            call: answer(200, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, r#"{"id":"i1","name":null}"#)),
            proof: false,
            expected: "tampering: alice (customer) may not call functions.delete_item, yet it answered 200 and bob (staff)'s read-back shows its effect: the record set aside for the probe is gone",
        },
        Row {
            rule: "the marker at the pointer after, not before",
            shows: marker(),
            call: answer(200, "{}"),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, MARKED)),
            proof: false,
            expected: "tampering: alice (customer) may not call functions.delete_item, yet it answered 200 and bob (staff)'s read-back shows its effect: the call's marker is at /name",
        },
        Row {
            rule: "a value changed from what it was",
            shows: Shows::Changed { at: "/name".into() },
            call: answer(200, "{}"),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, r#"{"name":"Kettle"}"#)),
            proof: false,
            expected: "tampering: alice (customer) may not call functions.delete_item, yet it answered 200 and bob (staff)'s read-back shows its effect: the value at /name changed",
        },
        Row {
            rule: "a 200 that did nothing is refused in fact, not a finding, and says so",
            shows: gone(),
            call: answer(200, r#"{"deleted":true}"#),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, ITEM)),
            proof: false,
            expected: "pass: alice (customer) called functions.delete_item (answered 200), yet bob (staff)'s read-back shows no effect: refused in fact, not a finding",
        },
        Row {
            rule: "a refusal with no effect passes quietly",
            shows: marker(),
            call: answer(403, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, ITEM)),
            proof: false,
            expected: "pass: ",
        },
        Row {
            rule: "a value unchanged is no effect",
            shows: Shows::Changed { at: "/name".into() },
            call: answer(200, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, ITEM)),
            proof: false,
            expected: "pass: alice (customer) called functions.delete_item (answered 200), yet bob (staff)'s read-back shows no effect: refused in fact, not a finding",
        },
        Row {
            rule: "a server error with no effect is refused with an error",
            shows: gone(),
            call: answer(500, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, ITEM)),
            proof: false,
            expected: "refused-with-error: alice (customer) called functions.delete_item: answered 500, and bob (staff)'s read-back shows no effect",
        },
        Row {
            rule: "the marker already there before proves nothing: status only",
            shows: marker(),
            call: answer(200, ""),
            before: Some(answer(200, MARKED)),
            after: Some(answer(200, MARKED)),
            proof: false,
            expected: "suspicious: alice (customer) called functions.delete_item, not granted to its role: 200 where a refusal was expected, without foreign data; its effect could not be read back",
        },
        Row {
            rule: "no read before: status only",
            shows: gone(),
            call: answer(200, ""),
            before: Some(answer(404, "")),
            after: Some(answer(404, "")),
            proof: false,
            expected: "suspicious: alice (customer) called functions.delete_item, not granted to its role: 200 where a refusal was expected, without foreign data; its effect could not be read back",
        },
        Row {
            rule: "a read after that failed: status only",
            shows: marker(),
            call: answer(403, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(503, "")),
            proof: false,
            expected: "pass: ",
        },
        Row {
            rule: "a read-back not sent: status only",
            shows: gone(),
            call: answer(204, ""),
            before: Some(answer(200, ITEM)),
            after: None,
            proof: false,
            expected: "suspicious: alice (customer) called functions.delete_item, not granted to its role: 204 where a refusal was expected, without foreign data; its effect could not be read back",
        },
        Row {
            rule: "foreign data in the call's answer is a leak first",
            shows: gone(),
            call: answer(200, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, ITEM)),
            proof: true,
            expected: "leak: 1 canary of person 2 of tenant 75 reached alice (customer) with status 200",
        },
        Row {
            rule: "a 401 that did nothing says the session must be checked",
            shows: gone(),
            call: answer(401, ""),
            before: Some(answer(200, ITEM)),
            after: Some(answer(200, ITEM)),
            proof: false,
            expected: "unauthenticated: ",
        },
    ];
    for row in &rows {
        check(row);
    }
}

#[test]
fn an_anonymous_caller_told_to_sign_in_is_refused() {
    let mut probe = probe();
    probe.actor = None;
    let refusals = refusals();
    let evidence = Evidence::default();
    let shows = gone();
    let (call, item) = (answer(401, ""), answer(200, ITEM));
    for after in [Some(&item), None] {
        let mut seen = Observations::of_answer(
            None,
            None,
            &refusals,
            Answer {
                observed: &call,
                evidence: &evidence,
            },
        );
        seen.effect = Some(EffectReads {
            reader: "bob (staff)",
            shows: &shows,
            marker: MARKER,
            before: Some(&item),
            after,
        });
        assert_eq!(judge(&probe, &seen), Judgement::shown(Verdict::Pass, ""));
    }
}

#[test]
fn without_reads_a_function_is_judged_by_its_status() {
    let probe = probe();
    let actor = alice();
    let refusals = refusals();
    let call = answer(200, "");
    let evidence = Evidence::default();
    let seen = Observations::of_answer(
        Some(&actor),
        None,
        &refusals,
        Answer {
            observed: &call,
            evidence: &evidence,
        },
    );
    assert!(matches!(
        judge(&probe, &seen).verdict,
        Verdict::Suspicious(_)
    ));
}

/// What is classified, the reads before and after, and the expected classification.
type Classified<'a> = (
    &'a str,
    Shows,
    Option<&'a Observed>,
    Option<&'a Observed>,
    EffectSeen,
);

#[test]
fn the_effect_is_classified_from_both_reads() {
    let item = answer(200, ITEM);
    let marked = answer(200, MARKED);
    let missing = answer(404, "");
    let cut = Observed {
        truncated: true,
        ..answer(200, ITEM)
    };
    let rows: [Classified; 7] = [
        (
            "gone",
            gone(),
            Some(&item),
            Some(&missing),
            EffectSeen::Shown,
        ),
        (
            "still there",
            gone(),
            Some(&item),
            Some(&item),
            EffectSeen::NotShown,
        ),
        (
            "marked",
            marker(),
            Some(&item),
            Some(&marked),
            EffectSeen::Shown,
        ),
        (
            "marked before",
            marker(),
            Some(&marked),
            Some(&marked),
            EffectSeen::Unreadable,
        ),
        (
            "cut before",
            marker(),
            Some(&cut),
            Some(&marked),
            EffectSeen::Unreadable,
        ),
        (
            "no read after",
            marker(),
            Some(&item),
            None,
            EffectSeen::Unreadable,
        ),
        (
            "the pointer names nothing before",
            Shows::Gone {
                at: Some("/price".into()),
            },
            Some(&item),
            Some(&missing),
            EffectSeen::Unreadable,
        ),
    ];
    for (what, shows, before, after, expected) in rows {
        assert_eq!(
            EffectSeen::classify(&shows, MARKER, before, after),
            expected,
            "{what}"
        );
    }
}
