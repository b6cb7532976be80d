//! `cloison bench` as a user meets it: the binary runs the chosen flaws and the hardened portal, prints the
//! table, writes the JSON results and exits 0 when every flaw a static run must catch was caught.

use std::process::Command;

use cloison_harness::cli::EXIT_OK;
use serde_json::Value;

#[test]
fn bench_catches_document_idor_and_logout_no_revoke_and_finds_the_hardened_portal_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("bench.json");
    let output = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args([
            "bench",
            "--seeds",
            "2",
            "--flaw",
            "document-idor",
            "--flaw",
            "logout-no-revoke",
            "--realism",
            "off",
            "--json",
        ])
        .arg(&json)
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(i32::from(EXIT_OK)),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("PASS"), "{stdout}");
    assert!(stdout.contains("caught 2 of the 2 flaw(s)"), "{stdout}");
    assert!(
        stderr.contains("bench: [1/2] document-idor: caught by direct-read"),
        "progress on stderr: {stderr}"
    );

    let bench: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON results are written"))
            .expect("the JSON results parse");
    assert_eq!(bench["cloison_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(bench["seed"], 1);
    assert_eq!(bench["cases"], 16);
    assert_eq!(bench["tenants"], 2);
    let flaws = bench["flaws"].as_array().expect("flaws is a list");
    assert_eq!(flaws.len(), 2, "{bench:#}");

    let idor = &flaws[0];
    assert_eq!(idor["flaw"], "document-idor");
    assert_eq!(idor["caught"], true);
    assert_eq!(idor["family"], "direct-read");
    assert_eq!(idor["families"], serde_json::json!(["direct-read"]));
    let probes = idor["probes_to_detection"]
        .as_u64()
        .expect("probes to detection");
    assert!((1..=200).contains(&probes), "{idor}");
    let seconds = idor["seconds_to_detection"]
        .as_f64()
        .expect("seconds to detection");
    assert!(seconds >= 0.0, "{idor}");
    assert!(
        idor["root_causes"].as_u64().is_some_and(|n| n >= 1),
        "{idor}"
    );
    // A direct read: the actor, the victim and the record.
    assert_eq!(idor["reproducer_size"], 3, "{idor}");
    assert_eq!(idor["exit"], 1);
    assert!(idor["seconds"].as_f64().is_some_and(|s| s > 0.0), "{idor}");

    let logout = &flaws[1];
    assert_eq!(logout["flaw"], "logout-no-revoke");
    assert_eq!(logout["caught"], true);
    assert_eq!(logout["family"], "stateful");
    assert_eq!(logout["families"], serde_json::json!(["stateful"]));
    assert!(logout["probes_to_detection"].as_u64().is_some(), "{logout}");
    assert_eq!(logout["root_causes"], 1);
    assert_eq!(logout["exit"], 1);

    assert_eq!(bench["hardened_findings"], 0);
    let hardened = bench["hardened_runs"].as_array().expect("hardened runs");
    assert_eq!(hardened.len(), 2);
    for (run, seed) in hardened.iter().zip([1, 2]) {
        assert_eq!(run["seed"], seed);
        assert_eq!(run["outcome"], "clean", "{run}");
        assert_eq!(run["findings"], 0);
        assert_eq!(run["exit"], 0);
    }
}

/// One realistic row (the portal with its realism knobs on) and one realistic hardened seed: the rows say
/// they had the knobs on, and a flaw the run did not catch says why.
#[test]
fn bench_runs_a_realistic_row_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("bench.json");
    let output = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args([
            "bench",
            "--realism",
            "only",
            "--realistic-seeds",
            "1",
            "--flaw",
            "document-idor",
            "--json",
        ])
        .arg(&json)
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains(
            "one flaw at a time, realistic portal (2 workers, 100 ms per password hash or check"
        ),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("hardened realistic portal, 1 run(s), seed 1:"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("\none flaw at a time, seed"),
        "no plain rows: {stdout}"
    );
    assert!(
        stderr.contains("bench: realistic [1/1] document-idor: "),
        "progress on stderr: {stderr}"
    );
    let bench: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON results are written"))
            .expect("the JSON results parse");
    assert!(
        bench["realism"]
            .as_str()
            .is_some_and(|r| r.contains("sessions of 4 s")),
        "{bench:#}"
    );
    let flaws = bench["flaws"].as_array().expect("flaws is a list");
    assert_eq!(flaws.len(), 1, "{bench:#}");
    let row = &flaws[0];
    assert_eq!(row["flaw"], "document-idor");
    assert_eq!(row["realistic"], true);
    let caught = row["caught"].as_bool().expect("caught");
    assert_eq!(
        row["why"].is_null(),
        caught,
        "a missed flaw says why: {row}"
    );
    let hardened = bench["hardened_runs"].as_array().expect("hardened runs");
    assert_eq!(hardened.len(), 1, "{bench:#}");
    assert_eq!(hardened[0]["realistic"], true);
    let passed = caught && hardened[0]["outcome"] == "clean";
    let expected = if passed {
        EXIT_OK
    } else {
        cloison_harness::cli::EXIT_FINDINGS
    };
    assert_eq!(
        output.status.code(),
        Some(i32::from(expected)),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn bench_rejects_an_unknown_flaw_as_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["bench", "--flaw", "no-such-flaw"])
        .output()
        .expect("run cloison");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(i32::from(cloison_harness::cli::EXIT_USAGE)),
        "{stderr}"
    );
    assert!(stderr.contains("unknown flaw \"no-such-flaw\""), "{stderr}");
}
