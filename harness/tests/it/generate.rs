//! `cloison generate`: files and manifest, schemas, determinism across thread counts, and clear usage
//! errors (exit 2).

use std::process::{Command, Output};

fn cloison(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(args)
        .output()
        .expect("the cloison binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const ENTITIES: [&str; 12] = [
    "tenants",
    "persons",
    "representations",
    "accounts",
    "case_files",
    "status_events",
    "requests",
    "documents",
    "evaluations",
    "decisions",
    "appeals",
    "notes",
];

#[test]
fn writes_one_file_per_entity_and_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("world");
    let o = cloison(&[
        "generate",
        "--seed",
        "3",
        "--tenants",
        "75,2A",
        "--cases",
        "120",
        "--out",
        out.to_str().unwrap(),
        "--verify",
        "--documents",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("all realism checks pass"), "{stdout}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 3);
    assert_eq!(manifest["cases"], 120);
    assert_eq!(manifest["reference_date"], "2025-06-30");
    assert_eq!(manifest["tenants"], serde_json::json!(["2A", "75"]));
    assert!(manifest["version"].is_string());
    for e in ENTITIES {
        let text = std::fs::read_to_string(out.join(format!("{e}.jsonl"))).unwrap();
        assert_eq!(
            text.lines().count() as u64,
            manifest["counts"][e].as_u64().unwrap(),
            "{e}"
        );
    }
    let docs = manifest["documents"].as_u64().unwrap();
    assert_eq!(docs, manifest["counts"]["documents"].as_u64().unwrap());
    let pdfs: usize = ["2A", "75"]
        .iter()
        .map(|d| {
            std::fs::read_dir(out.join("documents").join(d))
                .unwrap()
                .count()
        })
        .sum();
    assert_eq!(pdfs as u64, docs);
}

#[test]
fn output_does_not_depend_on_threads_and_csv_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "3"] {
        let out = dir.path().join(threads);
        let o = cloison(&[
            "generate",
            "--seed",
            "9",
            "--tenants",
            "4",
            "--cases",
            "3000",
            "--threads",
            threads,
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        files.push(ENTITIES.map(|e| std::fs::read(out.join(format!("{e}.csv"))).unwrap()));
    }
    assert_eq!(files[0], files[1]);
    assert!(
        String::from_utf8_lossy(&files[0][1]).starts_with("id,tenant_id,sex,first_name,surname,")
    );
}

#[test]
fn schema_prints_a_json_schema_per_entity() {
    let o = cloison(&["generate", "--schema"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for e in ENTITIES {
        assert_eq!(v[e]["type"], "object", "{e}");
        assert!(v[e]["properties"]["id"].is_object(), "{e}");
    }
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = dir.path().join("o");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["generate", "--tenants", "20,2A", "--out", out],
            "unknown departement code \"20\"",
        ),
        (
            &["generate", "--tenants", "0", "--out", out],
            "tenant count 0",
        ),
        (
            &["generate", "--cases", "99999999", "--out", out],
            "at most",
        ),
        (
            &["generate", "--reference-date", "2025-13-01", "--out", out],
            "expected a date YYYY-MM-DD",
        ),
        (
            &["generate", "--out", file.to_str().unwrap()],
            "cannot create output directory",
        ),
        (
            &["generate", "--format", "xml", "--out", out],
            "invalid value 'xml'",
        ),
    ];
    for (args, message) in cases {
        let o = cloison(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
}
