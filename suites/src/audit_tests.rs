use serde_json::json;

use super::*;

fn access(operation: Operation, relation: Relation, refused: bool) -> Access {
    Access {
        actor: "agent-1".into(),
        actor_names: vec!["agent-1@x".into(), "u-17".into()],
        record: "doc-3".into(),
        record_ids: vec!["d-99".into()],
        kind: RecordKind::Document,
        operation,
        relation,
        refused,
        span: (1000.0, 1001.0),
    }
}

fn entry(actor: &str, record: &str, time: f64, outcome: Option<&str>) -> Entry {
    Entry {
        actor: Some(actor.into()),
        action: Some("download".into()),
        record: Some(record.into()),
        time: Some(time),
        outcome: outcome.map(String::from),
    }
}

/// Each row: what was done, the trail, and whether it shows as it should (`None`: not the trail's
/// business).
#[test]
fn each_access_is_matched_by_actor_record_and_time() {
    use Operation::*;
    use Relation::*;
    let rows: Vec<(&str, Access, Vec<Entry>, Option<bool>)> = vec![
        (
            "an owner's own read is not required",
            access(Read, Own, false),
            vec![],
            None,
        ),
        (
            "a represented read with its entry",
            access(Read, Represented, false),
            vec![entry("u-17", "d-99", 1000.5, None)],
            Some(true),
        ),
        (
            "an actor named by its login",
            access(Read, Assigned, false),
            vec![entry("agent-1@x", "d-99", 1000.5, Some("success"))],
            Some(true),
        ),
        (
            "no entry: unlogged",
            access(Read, Assigned, false),
            vec![],
            Some(false),
        ),
        (
            "another actor's entry",
            access(Read, Assigned, false),
            vec![entry("u-18", "d-99", 1000.5, None)],
            Some(false),
        ),
        (
            "another record's entry",
            access(Read, Assigned, false),
            vec![entry("u-17", "d-98", 1000.5, None)],
            Some(false),
        ),
        (
            "an entry long before",
            access(Read, Assigned, false),
            vec![entry("u-17", "d-99", 500.0, None)],
            Some(false),
        ),
        (
            "an entry within the window after",
            access(Read, Assigned, false),
            vec![entry("u-17", "d-99", 1100.0, None)],
            Some(true),
        ),
        (
            "a denied entry does not log a served read",
            access(Read, OtherTenant, false),
            vec![entry("u-17", "d-99", 1000.5, Some("denied"))],
            Some(false),
        ),
        (
            "an own update must be logged",
            access(Update, Own, false),
            vec![],
            Some(false),
        ),
        (
            "an own delete logged",
            access(Delete, Own, false),
            vec![entry("u-17", "d-99", 1000.5, None)],
            Some(true),
        ),
        (
            "a refused cross-tenant read with a denied event",
            access(Read, OtherTenant, true),
            vec![entry("u-17", "d-99", 1000.5, Some("DENIED"))],
            Some(true),
        ),
        (
            "a denied event that names no record",
            access(Read, SameTenant, true),
            vec![Entry {
                record: None,
                ..entry("u-17", "", 1000.5, Some("forbidden"))
            }],
            Some(true),
        ),
        (
            "a refused read without a denied event",
            access(Read, SameTenant, true),
            vec![entry("u-17", "d-99", 1000.5, None)],
            Some(false),
        ),
        (
            "a denied event of another record",
            access(Read, SameTenant, true),
            vec![entry("u-17", "d-1", 1000.5, Some("denied"))],
            Some(false),
        ),
        (
            "a refused own read is not the trail's business",
            access(Read, Own, true),
            vec![],
            None,
        ),
    ];
    for (name, access, entries, expected) in rows {
        let r = reconcile(std::slice::from_ref(&access), &entries, &Rules::default());
        let counted = r.shares.iter().map(|s| s.accesses).sum::<usize>();
        match expected {
            None => assert_eq!(counted, 0, "{name}"),
            Some(logged) => {
                assert_eq!(counted, 1, "{name}");
                assert_eq!(r.gaps.is_empty(), logged, "{name}: {:?}", r.gaps);
                if !logged {
                    let gap = if access.refused {
                        Gap::DeniedUnlogged(0)
                    } else {
                        Gap::Unlogged(0)
                    };
                    assert_eq!(r.gaps, vec![gap], "{name}");
                }
            }
        }
    }
}

#[test]
fn declared_actions_narrow_what_logs_an_operation() {
    let mut rules = Rules::default();
    rules
        .actions
        .insert(Operation::Read, vec!["read_case".into()]);
    let a = access(Operation::Read, Relation::Assigned, false);
    assert!(!rules.logs(&a, &entry("u-17", "d-99", 1000.0, None)));
    let read = Entry {
        action: Some("READ_CASE".into()),
        ..entry("u-17", "d-99", 1000.0, None)
    };
    assert!(rules.logs(&a, &read));
}

#[test]
fn shares_count_per_kind_operation_and_answer() {
    let served = access(Operation::Read, Relation::Assigned, false);
    let refused = access(Operation::Read, Relation::OtherTenant, true);
    let entries = [entry("u-17", "d-99", 1000.5, None)];
    let r = reconcile(
        &[served.clone(), served, refused],
        &entries,
        &Rules::default(),
    );
    assert_eq!(r.shares.len(), 2);
    assert_eq!(
        (
            r.shares[0].refused,
            r.shares[0].accesses,
            r.shares[0].logged
        ),
        (false, 2, 2)
    );
    assert_eq!(
        (
            r.shares[1].refused,
            r.shares[1].accesses,
            r.shares[1].logged
        ),
        (true, 1, 0)
    );
    assert_eq!(r.gaps, vec![Gap::DeniedUnlogged(2)]);
}

#[test]
fn times_parse_as_numbers_and_rfc_3339() {
    let rows = [
        (json!(1_765_120_344), Some(1_765_120_344.0)),
        (json!(1_765_120_344_500_i64), Some(1_765_120_344.5)),
        (json!("1765120344"), Some(1_765_120_344.0)),
        (json!("1970-01-01T00:00:00Z"), Some(0.0)),
        (json!("2026-12-07T15:12:24Z"), Some(1_796_656_344.0)),
        (json!("2026-12-07T16:12:24+01:00"), Some(1_796_656_344.0)),
        (json!("2026-12-07T15:12:24.25Z"), Some(1_796_656_344.25)),
        (json!("2000-02-29T00:00:00Z"), Some(951_782_400.0)),
        (json!("yesterday"), None),
        (json!(true), None),
    ];
    for (value, expected) in rows {
        assert_eq!(parse_time(&value), expected, "{value}");
    }
}

#[test]
fn health_kinds_are_the_content_not_the_pseudonyms() {
    assert!(is_health_data(CanaryKind::Nir));
    assert!(is_health_data(CanaryKind::DocumentFileName));
    assert!(!is_health_data(CanaryKind::CaseNumber));
    assert!(!is_health_data(CanaryKind::Email));
}
