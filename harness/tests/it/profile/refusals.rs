//! Refusal shapes and soft deletes in a profile: refusal bodies (`body`, `pointer` and `equals`, `text`),
//! in `[refusals]` and an endpoint's own table, and a delete's `soft` field; what validates, and every
//! mistake located (insta snapshots).

use cloison_harness::profile::Profile;
use cloison_suites::{FieldEquals, RefusalBody, SoftDelete};
use serde_json::json;

use super::{mutate, parse};

/// The reference profile's `[refusals]` with `extra` lines added.
fn refusals_with(extra: &str) -> String {
    mutate(
        "[refusals]\nstatuses = [401, 403, 404]\n",
        &format!("[refusals]\nstatuses = [401, 403, 404]\n{extra}\n"),
    )
}

/// The reference profile's case delete with `extra` lines added.
fn delete_with(extra: &str) -> String {
    mutate(
        "[resources.case.delete]\nmethod = \"DELETE\"\npath = \"/api/v1/cases/{{case.id}}\"\n",
        &format!(
            "[resources.case.delete]\nmethod = \"DELETE\"\npath = \"/api/v1/cases/{{{{case.id}}}}\"\n{extra}\n"
        ),
    )
}

#[test]
fn refusal_bodies_and_soft_deletes_validate() {
    let profile = parse(&refusals_with(
        "body = [false, { ok = false }]\npointer = \"/status\"\nequals = \"denied\"\ntext = \"not allowed\"",
    ))
    .expect("valid");
    assert_eq!(
        profile.refusals.bodies,
        [
            RefusalBody::Exact(json!(false)),
            RefusalBody::Exact(json!({ "ok": false })),
            RefusalBody::Field(FieldEquals {
                pointer: "/status".into(),
                equals: json!("denied"),
            }),
            RefusalBody::Text("not allowed".into()),
        ]
    );
    let profile = parse(&delete_with(
        "soft = { pointer = \"/active\", equals = false }\nrefusals = { statuses = [403, 404], body = [true] }",
    ))
    .expect("valid");
    let delete = profile
        .endpoint(cloison_suites::RecordKind::Case, "delete")
        .expect("a delete");
    assert_eq!(
        delete.soft,
        Some(SoftDelete {
            field: FieldEquals {
                pointer: "/active".into(),
                equals: json!(false),
            }
        })
    );
    let own = delete.refusals.as_ref().expect("the delete's own refusals");
    assert_eq!(own.bodies, [RefusalBody::Exact(json!(true))]);
    // TOML has no null: `null = true` stands for `equals = null` (a GraphQL `data` holding `null`).
    let profile = parse(&refusals_with("pointer = \"/data/case\"\nnull = true")).expect("valid");
    assert_eq!(
        profile.refusals.bodies,
        [RefusalBody::Field(FieldEquals {
            pointer: "/data/case".into(),
            equals: serde_json::Value::Null,
        })]
    );
    let null = &profile.refusals.bodies[0];
    assert!(null.matches(br#"{"data": {"case": null}, "errors": [{"message": "forbidden"}]}"#));
    assert!(!null.matches(br#"{"data": {"case": {"id": "1"}}}"#));
    assert!(
        !null.matches(br#"{"data": {}}"#),
        "a missing key is not null"
    );
    // Everywhere else, the profile's refusals: no body.
    assert!(
        Profile::reference_portal()
            .expect("valid")
            .refusals
            .bodies
            .is_empty()
    );
}

/// Every mistake of the new keys, and the error it must give (all of one table's at once).
#[test]
fn refusal_body_and_soft_delete_mistakes_are_located() {
    let cases: &[(&str, String)] = &[
        ("refusal_body_empty", refusals_with("body = []")),
        (
            "refusal_body_date",
            refusals_with("body = [false, 2024-01-01]"),
        ),
        (
            "refusal_pointer_without_equals",
            refusals_with("pointer = \"/status\""),
        ),
        (
            "refusal_equals_without_pointer",
            refusals_with("equals = \"denied\""),
        ),
        (
            "refusal_pointer_not_a_pointer",
            refusals_with("pointer = \"status\"\nequals = \"denied\""),
        ),
        ("refusal_text_empty", refusals_with("text = \" \"")),
        (
            "refusal_null_and_equals",
            refusals_with("pointer = \"/data/case\"\nnull = true\nequals = 1"),
        ),
        ("refusal_null_without_pointer", refusals_with("null = true")),
        (
            "refusal_several_mistakes_at_once",
            refusals_with("body = []\ntext = \"\"\nequals = 1"),
        ),
        (
            "refusal_body_on_an_endpoint",
            delete_with("refusals = { statuses = [200], body = [] }"),
        ),
        (
            "soft_not_a_pointer",
            delete_with("soft = { pointer = \"active\", equals = false }"),
        ),
        (
            "soft_whole_record",
            delete_with("soft = { pointer = \"\", equals = false }"),
        ),
        (
            "soft_without_equals",
            delete_with("soft = { pointer = \"/active\" }"),
        ),
        (
            "soft_on_a_read",
            mutate(
                "[resources.case.read]\npath = \"/api/v1/cases/{{case.id}}\"\n",
                "[resources.case.read]\npath = \"/api/v1/cases/{{case.id}}\"\nsoft = { pointer = \"/active\", equals = false }\n",
            ),
        ),
    ];
    for (name, text) in cases {
        let err = parse(text).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}
