//! Table tests of the verdict path: one row per rule, named for it. A row is a probe and what was
//! observed; [`check`] judges it and compares `kind: explanation` (and `(unshown)` when no answer shows
//! the verdict) with the expected text; [`check_need`] compares what the probe still needs.

use std::collections::BTreeSet;

use super::*;
use crate::family::Family;
use crate::population::{Identity, Record, RecordKind};
use crate::probes::{Cell, Expect, Named, Probe, Relation, Variant};
use crate::surface::{Op, Selector};

/// An owned answer: the response and its foreign canaries.
struct Seen {
    observed: Observed,
    evidence: Evidence,
}

impl Seen {
    fn answer(&self) -> Answer<'_> {
        Answer {
            observed: &self.observed,
            evidence: &self.evidence,
        }
    }
}

/// A response of `status` whose foreign canaries (proof) are `proof`, owned by person 1 of tenant 75.
fn seen(status: u16, proof: &[&str]) -> Seen {
    Seen {
        observed: Observed {
            status,
            ..Observed::default()
        },
        evidence: Evidence {
            proof: proof.iter().map(|c| hit(c, "1")).collect(),
            reflected: Vec::new(),
        },
    }
}

fn hit(canary: &str, person: &str) -> Hit {
    Hit {
        canary: canary.into(),
        field: crate::generators::canary::CanaryKind::Nir,
        owner: DataOwner {
            tenant: "75".into(),
            person: Some(person.into()),
            case: None,
            kind: None,
        },
    }
}

fn identity(key: &str, role: &str, person: Option<&str>) -> Identity {
    Identity {
        key: key.into(),
        role: role.into(),
        tenant: "75".into(),
        person: person.map(Into::into),
        represents: BTreeSet::new(),
        formerly_represents: BTreeSet::new(),
        assigned_cases: BTreeSet::new(),
    }
}

fn refusals() -> Refusals {
    Refusals {
        statuses: BTreeSet::from([403, 404]),
        login_redirect: Some("/login".into()),
        ..Refusals::default()
    }
}

/// A probe and everything observed for it, owned; [`Case::observations`] lends it to the verdict path.
struct Case {
    probe: Probe,
    actor: Option<Identity>,
    record: Option<Record>,
    refusals: Refusals,
    answer: Seen,
    own_data: Option<Vec<Hit>>,
    actor_owns_listed: bool,
    baseline: Option<Seen>,
    missing: Option<Observed>,
    change: Option<ChangeCase>,
    allowed_twin: Option<Observed>,
}

/// What followed a write or an assignment, owned.
struct ChangeCase {
    op: Op,
    read_back: Option<Observed>,
    marker: Option<(&'static str, &'static str)>,
    writer_saw_before: bool,
    writer_view: Option<Seen>,
    named_reader: Option<&'static str>,
    named_reader_view: Option<Seen>,
    soft: Option<SoftDelete>,
    lost: usize,
}

impl ChangeCase {
    /// An update whose owner reads back `status` (a body with the marker when `marked`).
    fn update(status: Option<u16>, marked: bool) -> Self {
        let body = if marked {
            br#"{"summary":"cloison-write-probe-1"}"#.to_vec()
        } else {
            br#"{"summary":"as before"}"#.to_vec()
        };
        Self {
            op: Op::Update,
            read_back: status.map(|status| Observed {
                status,
                body,
                ..Observed::default()
            }),
            marker: Some(("/summary", "cloison-write-probe-1")),
            writer_saw_before: false,
            writer_view: None,
            named_reader: None,
            named_reader_view: None,
            soft: None,
            lost: 0,
        }
    }

    /// A delete on a platform whose deletes keep the record (`active = false`): the owner reads back
    /// `status` with `body`, and no longer reads `lost` of the record's values.
    fn soft_delete(status: u16, body: &str, lost: usize) -> Self {
        Self {
            op: Op::Delete,
            read_back: Some(Observed {
                status,
                body: body.as_bytes().to_vec(),
                ..Observed::default()
            }),
            marker: None,
            soft: Some(SoftDelete {
                field: FieldEquals {
                    pointer: "/active".into(),
                    equals: serde_json::Value::Bool(false),
                },
            }),
            lost,
            ..Self::update(None, false)
        }
    }
}

impl Case {
    /// A probe of `family` expecting `expect`, as `actor` (`None`: anonymous) on person 1's case file.
    fn new(family: Family, expect: Expect, variant: Variant, actor: Option<&str>) -> Self {
        let probe = Probe {
            family,
            actor: actor.map(Into::into),
            endpoint: "cases.read".into(),
            record: Some("case-1".into()),
            expect,
            cell: Cell {
                family,
                endpoint: "cases.read".into(),
                role: "applicant".into(),
                relation: Relation::OtherTenant,
                kind: RecordKind::Case,
                via: variant.via(),
            },
            variant,
        };
        let actor = match actor {
            Some("bob") => Some(identity("bob", "agent", None)),
            Some(key) => Some(identity(key, "applicant", Some("1"))),
            None => None,
        };
        Self {
            probe,
            actor,
            record: Some(Record {
                key: "case-1".into(),
                kind: RecordKind::Case,
                tenant: "75".into(),
                person: "1".into(),
                case: "case-1".into(),
            }),
            refusals: refusals(),
            answer: seen(200, &[]),
            own_data: None,
            actor_owns_listed: false,
            baseline: None,
            missing: None,
            change: None,
            allowed_twin: None,
        }
    }

    fn forbidden(actor: Option<&str>) -> Self {
        Self::new(Family::DirectRead, Expect::Refusal, Variant::Plain, actor)
    }

    fn visible(family: Family) -> Self {
        Self::new(family, Expect::Visible, Variant::Plain, Some("alice"))
    }

    fn control() -> Self {
        Self::new(
            Family::Control,
            Expect::Control,
            Variant::Plain,
            Some("alice"),
        )
    }

    fn selector(expect: Expect) -> Self {
        let variant = Variant::Selector {
            selector: Selector::Header("X-Tenant".into()),
            tenant: "13".into(),
        };
        Self::new(Family::TenantSelector, expect, variant, Some("alice"))
    }

    fn forged(forgery: crate::forge::Forgery) -> Self {
        let variant = Variant::Forged {
            forgery,
            victim: "carol".into(),
        };
        Self::new(
            Family::ForgedCredential,
            Expect::Refusal,
            variant,
            Some("alice"),
        )
    }

    fn existence() -> Self {
        Self::new(
            Family::IdentifierGuessing,
            Expect::Existence,
            Variant::Missing,
            Some("alice"),
        )
    }

    fn write(change: ChangeCase) -> Self {
        Self::new(
            Family::DirectWrite,
            Expect::Refusal,
            Variant::Plain,
            Some("bob"),
        )
        .with_change(change)
    }

    fn assignment(named: Named, change: ChangeCase) -> Self {
        let variant = Variant::Assign {
            field: "owner_id".into(),
            named,
        };
        Self::new(
            Family::MassAssignment,
            Expect::Refusal,
            variant,
            Some("alice"),
        )
        .with_change(ChangeCase {
            marker: None,
            ..change
        })
    }

    fn answer(mut self, status: u16, proof: &[&str]) -> Self {
        self.answer = seen(status, proof);
        self
    }

    fn own_data(mut self, persons: &[&str]) -> Self {
        self.own_data = Some(persons.iter().map(|p| hit("OWN", p)).collect());
        self
    }

    /// The answer is `status` with `body` and no canary.
    fn answer_body(mut self, status: u16, body: &str) -> Self {
        self.answer = seen(status, &[]);
        self.answer.observed.body = body.as_bytes().to_vec();
        self
    }

    /// The endpoint also refuses with these bodies.
    fn refusing_bodies(mut self, bodies: Vec<RefusalBody>) -> Self {
        self.refusals.bodies = bodies;
        self
    }

    fn owns_listed(mut self) -> Self {
        self.actor_owns_listed = true;
        self
    }

    fn baseline(mut self, status: u16, proof: &[&str]) -> Self {
        self.baseline = Some(seen(status, proof));
        self
    }

    fn missing(mut self, status: u16) -> Self {
        self.missing = Some(Observed {
            status,
            ..Observed::default()
        });
        self
    }

    fn allowed_twin(mut self, status: u16) -> Self {
        self.allowed_twin = Some(Observed {
            status,
            ..Observed::default()
        });
        self
    }

    fn without_record(mut self) -> Self {
        self.record = None;
        self
    }

    fn with_change(mut self, change: ChangeCase) -> Self {
        self.change = Some(change);
        self
    }

    fn observations(&self) -> Observations<'_> {
        Observations {
            own_data: self.own_data.as_deref(),
            actor_owns_listed: self.actor_owns_listed,
            baseline: self.baseline.as_ref().map(Seen::answer),
            missing: self.missing.as_ref(),
            allowed_twin: self.allowed_twin.as_ref(),
            effect: None,
            change: self.change.as_ref().map(|c| Change {
                owner: "carol",
                op: c.op,
                read_back: c.read_back.as_ref(),
                read_back_refusals: &self.refusals,
                marker: c.marker,
                writer_saw_before: c.writer_saw_before,
                writer_view: c.writer_view.as_ref().map(Seen::answer),
                named_reader: c.named_reader,
                named_reader_view: c.named_reader_view.as_ref().map(Seen::answer),
                soft: c.soft.as_ref(),
                lost: c.lost,
            }),
            ..Observations::of_answer(
                self.actor.as_ref(),
                self.record.as_ref(),
                &self.refusals,
                self.answer.answer(),
            )
        }
    }
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

/// Judge `case` and compare `kind[ (unshown)]: explanation` with `expected`.
fn check(rule: &str, case: Case, expected: &str) {
    let judgement = judge(&case.probe, &case.observations());
    let unshown = match judgement.exhibit {
        Exhibit::Answer => "",
        Exhibit::Nothing => " (unshown)",
    };
    let got = format!(
        "{}{unshown}: {}",
        kind(&judgement.verdict),
        judgement.explanation
    );
    assert_eq!(got, expected, "rule: {rule}");
}

/// Compare what `case` still needs with `expected`.
fn check_need(rule: &str, case: Case, expected: Option<Need>) {
    assert_eq!(
        next_need(&case.probe, &case.observations()),
        expected,
        "rule: {rule}"
    );
}

const ALICE_LEAK: &str = "1 canary of person 1 of tenant 75 reached alice (applicant) with status";

#[test]
fn forbidden_answers_are_judged_by_data_before_status() {
    let rows: Vec<(&str, Case, String)> = vec![
        (
            "a forbidden answer with foreign data is a leak whatever its status",
            Case::forbidden(Some("alice")).answer(404, &["N1"]),
            format!("leak: {ALICE_LEAK} 404"),
        ),
        (
            "a forbidden answer refused passes",
            Case::forbidden(Some("alice")).answer(403, &[]),
            "pass: ".into(),
        ),
        (
            "an anonymous caller told it is not signed in is refused",
            Case::forbidden(None).answer(401, &[]),
            "pass: ".into(),
        ),
        (
            "a signed-in caller whose session was not accepted proves nothing",
            Case::forbidden(Some("alice")).answer(401, &[]),
            "unauthenticated: alice (applicant): the session was not accepted".into(),
        ),
        (
            "a forbidden success without foreign data is suspicious",
            Case::forbidden(Some("alice")),
            "suspicious: alice (applicant): 200 where a refusal was expected, without foreign data"
                .into(),
        ),
        (
            "an anonymous caller's leak is told as an anonymous caller's",
            Case::forbidden(None).answer(200, &["N1"]),
            "leak: 1 canary of person 1 of tenant 75 reached an anonymous caller with status 200"
                .into(),
        ),
        (
            "an existence expectation on a plain request is judged as forbidden",
            Case::new(
                Family::IdentifierGuessing,
                Expect::Existence,
                Variant::Plain,
                Some("alice"),
            )
            .answer(410, &[]),
            "suspicious: alice (applicant): 410, which the profile does not list as a refusal"
                .into(),
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, &expected);
    }
}

#[test]
fn allowed_answers_lists_and_controls_are_judged_by_whose_data_they_show() {
    let rows: Vec<(&str, Case, String)> = vec![
        (
            "an allowed answer with foreign data is a leak",
            Case::visible(Family::Search).answer(200, &["N1", "N2"]),
            "leak: 2 canaries of person 1 of tenant 75 reached alice (applicant) with status 200"
                .into(),
        ),
        (
            "an allowed answer whose session was not accepted proves nothing",
            Case::visible(Family::Search).answer(401, &[]),
            "unauthenticated: alice (applicant): the session was not accepted".into(),
        ),
        (
            "an allowed answer with a server error is a warning",
            Case::visible(Family::Search).answer(500, &[]),
            "server-error: alice (applicant): 500 to an allowed request".into(),
        ),
        (
            "an allowed answer without foreign data passes",
            Case::visible(Family::Search),
            "pass: ".into(),
        ),
        (
            "a list showing the caller its own records passes",
            Case::visible(Family::Collection)
                .owns_listed()
                .own_data(&["1"]),
            "pass: ".into(),
        ),
        (
            "a list without the caller's own records is a failed control",
            Case::visible(Family::Collection)
                .owns_listed()
                .own_data(&["2"]),
            "control-failed: alice (applicant): the list answered 200 without any of alice's own case records"
                .into(),
        ),
        (
            "a list need not show records the caller does not have",
            Case::visible(Family::Collection).own_data(&[]),
            "pass: ".into(),
        ),
        (
            "a list that is refused is not a failed control",
            Case::visible(Family::Collection).owns_listed().answer(403, &[]),
            "pass: ".into(),
        ),
        (
            "a control that serves the record's own canaries passes",
            Case::control().own_data(&["1"]),
            "pass: ".into(),
        ),
        (
            "a control without the record's canaries is a failed control",
            Case::control().own_data(&["2"]),
            "control-failed: alice (applicant): answered 200 without any of the record's canaries: the endpoint does not return the record"
                .into(),
        ),
        (
            "a control of no known record counts no canaries",
            Case::control().without_record(),
            "control-failed: alice (applicant): answered 200 without any of the record's canaries: the endpoint does not return the record"
                .into(),
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, &expected);
    }
}

#[test]
fn a_selector_is_judged_against_the_plain_request() {
    let rows: Vec<(&str, Case, String)> = vec![
        (
            "a control whose session was not accepted proves nothing",
            Case::control().answer(401, &[]),
            "unauthenticated: alice (applicant): the session was not accepted".into(),
        ),
        (
            "a selector's leak the plain request does not show is the selector's",
            Case::selector(Expect::Refusal)
                .answer(200, &["N1"])
                .baseline(403, &[]),
            format!(
                "leak: {ALICE_LEAK} 200; without the header X-Tenant the same request shows nothing foreign"
            ),
        ),
        (
            "a selector's leak the plain request shows too is not the selector's",
            Case::selector(Expect::Refusal)
                .answer(200, &["N1"])
                .baseline(200, &["N1"]),
            "pass (unshown): ".into(),
        ),
        (
            "a selector on an allowed call is compared with the plain call judged as allowed",
            Case::selector(Expect::Visible)
                .answer(200, &["N1"])
                .baseline(200, &[]),
            format!(
                "leak: {ALICE_LEAK} 200; without the header X-Tenant the same request shows nothing foreign"
            ),
        ),
        (
            "a selector's suspicion the plain request shares is not the selector's",
            Case::selector(Expect::Refusal).baseline(200, &[]),
            "pass (unshown): ".into(),
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, &expected);
    }
}

#[test]
fn a_forged_credential_is_judged_by_the_victims_data_against_the_actors_own_session() {
    use crate::forge::{Forgery, NoneSpelling};
    let none = Forgery::AlgNone(NoneSpelling::Lower);
    check_need(
        "a forged credential's leak is compared with the actor's own session",
        Case::forged(none).answer(200, &["N1"]),
        Some(Need::Baseline),
    );
    check_need(
        "a forged credential refused needs nothing more",
        Case::forged(none).answer(401, &[]),
        None,
    );
    let rows: Vec<(&str, Case, String)> = vec![
        (
            "a forged credential answered signed out is refused, not a lost session",
            Case::forged(none).answer(401, &[]),
            "pass: ".into(),
        ),
        (
            "the victim's data through a forged credential the actor's own session does not read is proven",
            Case::forged(Forgery::WeakKey)
                .answer(200, &["N1"])
                .baseline(404, &[]),
            format!(
                "leak: {ALICE_LEAK} 200, with a token forged from its own to name the victim (a token forged: weak-key); its own session reads nothing of it"
            ),
        ),
        (
            "what the actor's own session already reads is not the forgery's",
            Case::forged(Forgery::Tampered)
                .answer(200, &["N1"])
                .baseline(200, &["N1"]),
            "pass (unshown): ".into(),
        ),
        (
            "a forged credential merely accepted is suspicious at most",
            Case::forged(Forgery::Stripped).baseline(404, &[]),
            "suspicious: alice (applicant): 200 where a refusal was expected, without foreign data"
                .into(),
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, &expected);
    }
}

#[test]
fn existence_is_judged_against_a_missing_twin() {
    let rows: Vec<(&str, Case, &str)> = vec![
        (
            "alike answers to an object and a missing one pass",
            Case::existence().answer(404, &[]).missing(404),
            "pass: ",
        ),
        (
            "different statuses confirm identifiers",
            Case::existence().answer(403, &[]).missing(404),
            "suspicious: an object the caller may not see answers 403 where a missing one answers 404: identifiers can be confirmed",
        ),
        (
            "a server error to either proves nothing",
            Case::existence().answer(500, &[]).missing(404),
            "server-error: answered 500 and 404 to the existing and the missing object",
        ),
        (
            "an object that leaks is the direct read's finding",
            Case::existence().answer(200, &["N1"]),
            "pass (unshown): ",
        ),
        (
            "a session lost before either answer proves nothing",
            Case::existence().answer(404, &[]).missing(401),
            "unauthenticated (unshown): ",
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, expected);
    }
}

#[test]
fn writes_are_judged_by_the_read_backs() {
    let gone = ChangeCase {
        op: Op::Delete,
        ..ChangeCase::update(Some(404), false)
    };
    let writer_reads = ChangeCase {
        writer_view: Some(seen(200, &["N1"])),
        ..ChangeCase::update(Some(200), false)
    };
    let writer_saw_before = ChangeCase {
        writer_saw_before: true,
        ..ChangeCase::update(Some(200), false)
    };
    let rows: Vec<(&str, Case, &str)> = vec![
        (
            "the owner reading back the marker is tampering",
            Case::write(ChangeCase::update(Some(200), true)),
            "tampering: bob (agent) may not touch carol's case, yet the owner reads back the write's marker (the update answered 200)",
        ),
        (
            "the record gone from its owner's reach is tampering",
            Case::write(gone).answer(204, &[]),
            "tampering: bob (agent) may not touch carol's case, yet the record is gone from its owner's reach after the delete (answered 204)",
        ),
        (
            "a refused write that changed nothing passes",
            Case::write(ChangeCase::update(Some(200), false)).answer(403, &[]),
            "pass: ",
        ),
        (
            "an accepted write that changed nothing is suspicious",
            Case::write(ChangeCase::update(Some(200), false)),
            "suspicious: bob (agent): 200 to a forbidden update, but the owner's read-back shows no change",
        ),
        (
            "a server error that changed nothing is a refusal with an error",
            Case::write(ChangeCase::update(Some(200), false)).answer(500, &[]),
            "refused-with-error: bob (agent): the update answered 500 and the owner's read-back shows no change",
        ),
        (
            "a read-back that failed concludes nothing",
            Case::write(ChangeCase::update(None, false)),
            "server-error: bob (agent): the update answered 200 and the owner's read-back failed: nothing can be concluded",
        ),
        (
            "foreign data in the write's answer is a leak",
            Case::write(ChangeCase::update(Some(200), false)).answer(403, &["N1"]),
            "leak: 1 canary of person 1 of tenant 75 reached bob (agent) with status 403",
        ),
        (
            "a writer who reads the record after the write was shown it by the write",
            Case::write(writer_reads).answer(403, &[]),
            "leak: after a forbidden update of carol's case (answered 403), bob (agent) reads it: 1 canary of person 1 of tenant 75 reached bob (agent) with status 200",
        ),
        (
            "a writer who saw the record before proves nothing by seeing it after",
            Case::write(writer_saw_before).answer(403, &[]),
            "pass: ",
        ),
        (
            "a success whose body the profile declares a refusal, with no change, passes",
            Case::write(ChangeCase::update(Some(200), false))
                .answer_body(200, "true")
                .refusing_bodies(vec![RefusalBody::Exact(serde_json::Value::Bool(true))]),
            "pass: ",
        ),
        (
            "a declared refusal body does not hide a change the owner reads back",
            Case::write(ChangeCase::update(Some(200), true))
                .answer_body(200, "true")
                .refusing_bodies(vec![RefusalBody::Exact(serde_json::Value::Bool(true))]),
            "tampering: bob (agent) may not touch carol's case, yet the owner reads back the write's marker (the update answered 200)",
        ),
        (
            "the same success without the declaration stays suspicious",
            Case::write(ChangeCase::update(Some(200), false)).answer_body(200, "true"),
            "suspicious: bob (agent): 200 to a forbidden update, but the owner's read-back shows no change",
        ),
        (
            "a soft delete: the owner reading the record marked deleted is tampering",
            Case::write(ChangeCase::soft_delete(200, r#"{"active":false}"#, 0))
                .answer_body(200, "true"),
            "tampering: bob (agent) may not touch carol's case, yet the owner reads the record back marked deleted after the delete (answered 200)",
        ),
        (
            "a soft delete: the owner losing some of the record's values is tampering",
            Case::write(ChangeCase::soft_delete(200, r#"{"active":true}"#, 2)).answer(403, &[]),
            "tampering: bob (agent) may not touch carol's case, yet the owner reads the record back without some of its values after the delete (answered 403)",
        ),
        (
            "a soft delete: the owner losing the record is tampering",
            Case::write(ChangeCase::soft_delete(404, "", 0)).answer(204, &[]),
            "tampering: bob (agent) may not touch carol's case, yet the record is gone from its owner's reach after the delete (answered 204)",
        ),
        (
            "a soft delete: a refused delete that left the record active and whole passes",
            Case::write(ChangeCase::soft_delete(200, r#"{"active":true}"#, 0)).answer(403, &[]),
            "pass: ",
        ),
        (
            "a soft delete: the field read from a body cut at the size limit proves nothing",
            Case::write(ChangeCase {
                read_back: Some(Observed {
                    status: 200,
                    body: br#"{"active":false"#.to_vec(),
                    truncated: true,
                    ..Observed::default()
                }),
                ..ChangeCase::soft_delete(200, "", 3)
            })
            .answer(403, &[]),
            "pass: ",
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, expected);
    }
}

#[test]
fn assignments_are_judged_by_the_owner_and_the_named_reader() {
    let named_reads = ChangeCase {
        named_reader: Some("agent-13"),
        named_reader_view: Some(seen(200, &["N1", "N2"])),
        ..ChangeCase::update(Some(200), false)
    };
    let rows: Vec<(&str, Case, &str)> = vec![
        (
            "a record that left its owner's reach is tampering",
            Case::assignment(
                Named::Identity("bob".into()),
                ChangeCase::update(Some(404), false),
            ),
            "tampering: alice updated its own record with `owner_id` naming identity bob (answered 200): the record left its owner's reach",
        ),
        (
            "the named tenant's reader reading the record is a leak",
            Case::assignment(Named::Tenant("13".into()), named_reads),
            "leak: alice updated its own record with `owner_id` naming tenant 13 (answered 200); agent-13 now reads it: 2 canaries of alice's data",
        ),
        (
            "an assignment that moved nothing passes",
            Case::assignment(
                Named::Identity("bob".into()),
                ChangeCase::update(Some(200), true),
            ),
            "pass: ",
        ),
    ];
    for (rule, case, expected) in rows {
        check(rule, case, expected);
    }
}

mod needs;
