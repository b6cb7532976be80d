//! The streamed files, the typed records and the JSON Schemas agree: every streamed JSON line is exactly
//! serde's serialisation of the same typed record, validates against its entity's schema, with keys in the
//! schema's order; CSV headers and rows have the schema's columns.

use cloison_generators::stream::{StreamOptions, write_world};
use cloison_generators::{Entity, Format, GenConfig, World};
use serde::Serialize;

fn lines(dir: &std::path::Path, e: Entity, ext: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(format!("{}.{ext}", e.name())))
        .expect("entity file written")
        .lines()
        .map(str::to_string)
        .collect()
}

fn json<T: Serialize>(records: impl Iterator<Item = T>) -> Vec<String> {
    records
        .map(|r| serde_json::to_string(&r).expect("records serialise"))
        .collect()
}

/// Keys of a flat JSON object, in order.
fn keys(line: &str) -> Vec<String> {
    // serde_json's Map is sorted: walk the text instead.
    let mut out = Vec::new();
    {
        let bytes = line.as_bytes();
        let (mut i, mut in_str, mut start, mut depth) = (0, false, 0, 0);
        while i < bytes.len() {
            match (in_str, bytes[i]) {
                (true, b'\\') => i += 1,
                (true, b'"') => {
                    in_str = false;
                    if depth == 1 && bytes.get(i + 1) == Some(&b':') {
                        out.push(line[start..i].to_string());
                    }
                }
                (false, b'"') => {
                    in_str = true;
                    start = i + 1;
                }
                (false, b'{') => depth += 1,
                (false, b'}') => depth -= 1,
                _ => {}
            }
            i += 1;
        }
    }
    out
}

#[test]
fn streamed_jsonl_equals_typed_records_and_matches_the_schemas() {
    let config = GenConfig::new(5, 3, 400);
    let world = World::generate(&config).unwrap();
    let dir = std::env::temp_dir().join(format!("cloison-consistency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_world(&config, &dir, &StreamOptions::default(), &|_| {}).unwrap();
    let expected: Vec<(Entity, Vec<String>)> = vec![
        (Entity::Tenants, json(world.tenants.iter())),
        (Entity::Persons, json(world.persons())),
        (Entity::Representations, json(world.representations())),
        (Entity::Accounts, json(world.accounts())),
        (Entity::CaseFiles, json(world.case_files())),
        (Entity::StatusEvents, json(world.status_events())),
        (Entity::Requests, json(world.requests())),
        (Entity::Documents, json(world.documents())),
        (Entity::Evaluations, json(world.evaluations())),
        (Entity::Decisions, json(world.decisions())),
        (Entity::Appeals, json(world.appeals())),
        (Entity::Notes, json(world.notes())),
    ];
    assert_eq!(expected.len(), Entity::ALL.len());
    for (entity, want) in expected {
        let got = lines(&dir, entity, "jsonl");
        assert!(!got.is_empty(), "{} is empty", entity.name());
        assert_eq!(
            got,
            want,
            "{} differs from the typed records",
            entity.name()
        );
        let names: Vec<String> = entity.fields().iter().map(|f| f.name.to_string()).collect();
        for line in &got {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            entity.validate(&v).unwrap();
            assert_eq!(keys(line), names, "{} key order", entity.name());
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["case_files"], 400);
    assert_eq!(manifest["seed"], 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_has_the_schema_columns_on_every_row() {
    let config = GenConfig::new(6, 2, 150);
    let dir = std::env::temp_dir().join(format!("cloison-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = StreamOptions {
        format: Format::Csv,
        ..StreamOptions::default()
    };
    write_world(&config, &dir, &opts, &|_| {}).unwrap();
    for e in Entity::ALL {
        let rows = lines(&dir, *e, "csv");
        assert_eq!(format!("{}\n", rows[0]), e.csv_header());
        let columns = e.fields().len();
        for row in &rows[1..] {
            // Strings are always quoted and never contain quotes: count commas outside quotes.
            let mut n = 1;
            let mut quoted = false;
            for c in row.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => n += 1,
                    _ => {}
                }
            }
            assert_eq!(n, columns, "{}: {row}", e.name());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn world_records_reference_each_other() {
    let w = World::generate(&GenConfig::new(12, 3, 150)).unwrap();
    let persons: std::collections::HashSet<_> = w.persons().map(|p| p.id).collect();
    let accounts: std::collections::HashSet<_> = w.accounts().map(|a| a.id).collect();
    assert_eq!(
        accounts.len(),
        w.accounts().count(),
        "account ids are unique"
    );
    for r in w.representations() {
        assert!(persons.contains(&r.person_id) && persons.contains(&r.representative_id));
    }
    for n in w.notes() {
        assert!(accounts.contains(&n.author_id));
    }
    for a in w.accounts() {
        assert!(a.person_id.is_none_or(|p| persons.contains(&p)));
        assert!(a.password.len() == 20 && a.password.chars().any(|c| c.is_ascii_digit()));
    }
    assert!(
        w.representations().any(|r| r.end_date.is_some()),
        "some representation has ended (a child who came of age)"
    );
    for role in cloison_generators::Role::ALL {
        assert!(
            w.accounts().any(|a| a.role == *role),
            "no account with role {role}"
        );
    }
}
