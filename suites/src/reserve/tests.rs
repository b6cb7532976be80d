use std::collections::BTreeSet;

use super::*;
use crate::population::{Identity, Record, RecordKind};
use crate::probes::{Expect, Relation, Variant};
use crate::unsent::UnsentKind;

/// Three case files (`c0`, `c1`, `c2`), each with a document.
fn population() -> Population {
    let mut identities = Vec::new();
    let mut records = Vec::new();
    for n in 0..3 {
        identities.push(Identity {
            key: format!("u{n}"),
            role: "applicant".into(),
            tenant: "13".into(),
            person: Some(format!("p{n}")),
            represents: BTreeSet::new(),
            formerly_represents: BTreeSet::new(),
            assigned_cases: BTreeSet::new(),
        });
        for (key, kind) in [
            (format!("c{n}"), RecordKind::Case),
            (format!("d{n}"), RecordKind::Document),
        ] {
            records.push(Record {
                key: key.into(),
                kind,
                tenant: "13".into(),
                person: format!("p{n}").into(),
                case: format!("c{n}").into(),
            });
        }
    }
    Population::new(identities, records).expect("unique keys")
}

fn probe(family: Family, role: &str, record: Option<&str>) -> Probe {
    Probe {
        family,
        actor: Some(format!("{role}-actor")),
        endpoint: "case.update".into(),
        record: record.map(str::to_string),
        variant: Variant::Plain,
        expect: Expect::Refusal,
        cell: Cell {
            family,
            endpoint: "case.update".into(),
            role: role.into(),
            relation: Relation::OtherTenant,
            kind: RecordKind::Case,
            via: None,
        },
    }
}

fn write(role: &str, record: &str) -> Probe {
    probe(Family::DirectWrite, role, Some(record))
}

#[test]
fn a_proven_write_uses_up_its_victim_and_its_cell_never_the_pool() {
    let population = population();
    let mut victims = Victims::new(&population);
    let (a0, a1) = (write("applicant", "c0"), write("applicant", "c1"));
    let alternates = [write("agent", "c1"), write("agent", "c2")];
    // Nothing used: each probe is sent as planned.
    assert_eq!(victims.choose(&a0, &[]), Ok(a0.clone()));
    victims.judged(&a0, true);
    // The cell with a proven finding sends no more: it has its verdict, the pool is left to others.
    assert_eq!(victims.choose(&a1, &[]), Err(Unsent::CellProven));
    // Another cell aimed at the used record falls back on the next one; the document of the used case
    // file is used up with it.
    assert_eq!(
        victims.choose(&write("agent", "c0"), &alternates),
        Ok(alternates[0].clone())
    );
    assert_eq!(
        victims.choose(&write("agent", "d0"), &[]),
        Err(Unsent::RecordsUsedUp {
            by: Some(a0.cell.clone())
        })
    );
    // A refused write (or a suspicious one: nothing changed) uses nothing up.
    victims.judged(&alternates[0], false);
    assert_eq!(
        victims.choose(&alternates[0], &[]),
        Ok(alternates[0].clone())
    );
}

/// A case: its name, the planned probe, its alternates, and the probe sent or why none is.
type Row<'a> = (&'a str, Probe, Vec<Probe>, Result<Probe, Unsent>);

#[test]
fn every_reason_a_probe_is_not_sent() {
    let population = population();
    let mut victims = Victims::new(&population);
    let used = write("agent", "c2");
    victims.unusable(&used);
    let function = probe(Family::FunctionLevel, "agent", Some("c1"));
    let cases: Vec<Row> = vec![
        (
            "a write planned without a record: the world was too small",
            probe(Family::DirectWrite, "agent", None),
            vec![],
            Err(Unsent::NoRecordLeft),
        ),
        (
            "a mass assignment planned without a record",
            probe(Family::MassAssignment, "agent", None),
            vec![],
            Err(Unsent::NoRecordLeft),
        ),
        (
            "a record its owner could not read any more, and no alternate",
            used.clone(),
            vec![],
            Err(Unsent::RecordsUsedUp { by: None }),
        ),
        (
            "alternates skip what is used up",
            used.clone(),
            vec![write("agent", "d2"), write("agent", "c0")],
            Ok(write("agent", "c0")),
        ),
        (
            "a probe that changes no record of its own is sent as planned",
            function.clone(),
            vec![],
            Ok(function.clone()),
        ),
    ];
    for (name, planned, alternates, expected) in cases {
        assert_eq!(victims.choose(&planned, &alternates), expected, "{name}");
    }
    // A proven function call uses up its record but leaves its cell open (every instance counts).
    victims.judged(&function, true);
    let next = probe(Family::FunctionLevel, "agent", Some("c0"));
    assert_eq!(victims.choose(&next, &[]), Ok(next.clone()));
}

#[test]
fn reasons_read_as_sentences_and_only_some_keep_a_run_from_clean() {
    assert_eq!(
        Unsent::NoRecordLeft.to_string(),
        "no record left to reserve: the world has too few case files for every cell that changes data to have one of its own (--cases)"
    );
    let benign = [
        UnsentKind::CellProven,
        UnsentKind::IdentifiersNotNumbers,
        UnsentKind::NoIdentifierBelow,
        UnsentKind::NamedIdentityUnknown,
    ];
    for kind in benign {
        assert!(!kind.blocks_clean(), "{kind:?}");
    }
    for kind in [
        UnsentKind::NoRecordLeft,
        UnsentKind::RecordsUsedUp,
        UnsentKind::OwnerCannotRead,
        UnsentKind::NotSeeded,
        UnsentKind::AfterAcceptedFunction,
        UnsentKind::NoGrantedCaller,
        UnsentKind::SetupFailed,
    ] {
        assert!(kind.blocks_clean(), "{kind:?}");
    }
}

#[test]
fn alternates_are_kept_by_probe() {
    let mut reserve = Reserve::default();
    let primary = write("agent", "c0");
    reserve.add(&primary, vec![write("agent", "c1")]);
    assert_eq!(reserve.alternates(&primary), &[write("agent", "c1")]);
    assert!(reserve.alternates(&write("agent", "c2")).is_empty());
}
