//! `cloison run --report DIR` (and `--junit`, `--sarif`, `--html`, `--json -`): every format written from a
//! real run of the embedded portal, parsed back, the JSON validated against the published schema, no
//! credential in any of them; and the HTML rendered in headless Chromium (skipped without one).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cloison_generators::{GenConfig, LazyWorld};
use cloison_harness::plan::Plan;
use cloison_harness::profile::Profile;

fn cloison(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cloison")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every password and token of the accounts of the default world (seed 1, 2 tenants, 16 case files).
fn credentials() -> Vec<String> {
    let world = LazyWorld::new(&GenConfig::new(1, 2, 16)).expect("world");
    let profile = Profile::reference_portal().expect("reference profile");
    let plan = Plan::new(world, &profile, &serde_json::json!({})).expect("plan");
    let secrets: Vec<String> = plan
        .accounts
        .iter()
        .flat_map(|a| std::iter::once(a.password.clone()).chain(a.token.clone()))
        .filter(|s| s.len() >= 8)
        .collect();
    assert!(secrets.len() > 10, "the world has accounts with passwords");
    secrets
}

/// No credential of the run in a report: no bearer token, no password, no session cookie value.
fn assert_no_credentials(name: &str, text: &str, secrets: &[String]) {
    assert!(!text.contains("Bearer "), "{name}: a bearer token is shown");
    assert!(
        !text.contains("Authorization: Bearer"),
        "{name}: an Authorization header is not redacted"
    );
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{name}: a password or token of the run appears"
        );
    }
}

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&read(&path)).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("the schema is a valid draft 2020-12 schema")
}

/// The JSON report validates against docs/report.schema.json.
pub fn assert_valid(json: &serde_json::Value) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not validate: {errors:#?}"
    );
}

struct Reports {
    junit: quick_junit::Report,
    junit_text: String,
    sarif: serde_json::Value,
    json: serde_json::Value,
    html: String,
}

fn reports(dir: &Path) -> Reports {
    let junit_text = read(&dir.join("report.junit.xml"));
    let junit = quick_junit::Report::deserialize_from_str(&junit_text).expect("JUnit XML parses");
    let sarif = serde_json::from_str(&read(&dir.join("report.sarif"))).expect("SARIF is JSON");
    let json = serde_json::from_str(&read(&dir.join("report.json"))).expect("report.json is JSON");
    Reports {
        junit,
        junit_text,
        sarif,
        json,
        html: read(&dir.join("report.html")),
    }
}

fn failures(junit: &quick_junit::Report) -> usize {
    junit
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter(|c| {
            !matches!(
                c.status,
                quick_junit::TestCaseStatus::Success { .. }
                    | quick_junit::TestCaseStatus::Skipped { .. }
            )
        })
        .count()
}

fn fingerprints(sarif: &serde_json::Value) -> BTreeSet<String> {
    sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r["partialFingerprints"]["cloisonFinding/v1"]
                .as_str()
                .expect("a fingerprint")
                .to_string()
        })
        .collect()
}

/// JUnit: one suite per family plus the operations and the verdict; one test case per finding, per cell
/// that showed nothing and per operation of the OpenAPI document; failures with reproducers.
fn assert_junit_of_a_leaking_run(
    r: &Reports,
    cells: &[serde_json::Value],
    groups: usize,
    operations: &[serde_json::Value],
) {
    let cases: usize = r.junit.test_suites.iter().map(|s| s.test_cases.len()).sum();
    let quiet = cells.iter().filter(|c| c["finding"].is_null()).count();
    assert_eq!(
        cases,
        quiet + groups + operations.len() + 1,
        "one test case per finding, per cell without one, per operation, and the verdict"
    );
    let suite = r
        .junit
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "operations")
        .expect("an operations suite");
    for (case, operation) in suite.test_cases.iter().zip(operations) {
        assert_eq!(
            case.name.as_str(),
            format!(
                "{} {}",
                operation["method"].as_str().expect("method"),
                operation["path"].as_str().expect("path")
            )
        );
        let tried = operation["tried"].as_array().expect("tried");
        assert_eq!(
            matches!(case.status, quick_junit::TestCaseStatus::Skipped { .. }),
            tried.is_empty(),
            "an operation no family reached is skipped, never passed: {}",
            case.name.as_str()
        );
    }
    let failed = failures(&r.junit);
    assert!(failed >= 2, "failing findings and the verdict: {failed}");
    assert_eq!(failed, r.junit_text.matches("<failure").count());
    assert!(
        r.junit_text.contains("reproduce"),
        "failures carry the reproducer"
    );
    assert!(
        r.junit_text.contains("replay: cloison run"),
        "failures carry the replay command"
    );
    assert!(
        r.junit
            .test_suites
            .iter()
            .any(|s| s.name.as_str() == "direct-read")
    );
}

/// SARIF 2.1.0: rules with CWE, one result per finding, errors, stable fingerprints.
fn assert_sarif_of_a_leaking_run(r: &Reports, groups: usize) {
    assert_eq!(r.sarif["version"], "2.1.0");
    let results = r.sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), groups);
    assert!(results.iter().any(|x| x["level"] == "error"));
    assert!(
        results
            .iter()
            .all(|x| x["locations"][0]["logicalLocations"][0]["name"].is_string())
    );
    let rules = r.sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let direct = rules
        .iter()
        .find(|x| x["id"] == "direct-read")
        .expect("a direct-read rule");
    assert!(direct["properties"]["tags"].to_string().contains("cwe-639"));
    assert!(
        direct["properties"]["owasp-api-top10"]
            .as_str()
            .is_some_and(|s| s.starts_with("API1"))
    );
    assert_eq!(
        fingerprints(&r.sarif).len(),
        groups,
        "one fingerprint per finding"
    );
}

#[test]
fn a_leaking_run_writes_every_format_with_its_findings_and_no_credential() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("reports");
    let run = cloison(&[
        "run",
        "--flaw",
        "document-idor",
        "--report",
        out.to_str().expect("utf-8 path"),
        "--quiet",
    ]);
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = reports(&out);
    let secrets = credentials();

    // JSON: versioned, valid against the published schema, cells with their findings.
    assert_eq!(r.json["schema_version"], "2");
    assert_valid(&r.json);
    let root_causes = r.json["root_causes"].as_array().expect("root causes").len();
    let groups = r.json["groups"].as_array().expect("findings").len();
    assert!(
        groups > 0 && groups <= root_causes,
        "{groups} of {root_causes}"
    );
    assert_eq!(r.json["fail_on"], "proven");
    let digest = r.json["profile_digest"].as_str().expect("digest");
    assert_eq!(digest.len(), 64);
    let cells = r.json["coverage"]["cells"].as_array().expect("cells");
    assert!(cells.iter().any(|c| c["finding"] == "proven-leak"));

    let operations = r.json["coverage"]["operations"]
        .as_array()
        .expect("operations");
    assert_junit_of_a_leaking_run(&r, cells, groups, operations);
    assert_sarif_of_a_leaking_run(&r, groups);

    // HTML: self-contained, the verdict and a reproducer with a copy button.
    assert!(r.html.starts_with("<!DOCTYPE html>"));
    assert!(r.html.contains("FINDINGS") && r.html.contains("PROVEN LEAK"));
    assert!(r.html.contains("class=\"copy\""));
    assert!(r.html.contains(digest));
    assert!(
        r.html.contains("Operations of the OpenAPI document")
            && operations.iter().all(|o| r.html.contains(&format!(
                "<code>{} {}</code>",
                o["method"].as_str().unwrap_or_default(),
                o["path"].as_str().unwrap_or_default()
            ))),
        "the HTML report lists every operation"
    );
    for external in ["<link", " src=", "@import", "url("] {
        assert!(
            !r.html.contains(external),
            "the HTML loads something: {external}"
        );
    }

    for (name, text) in [
        ("json", r.json.to_string()),
        ("junit", r.junit_text.clone()),
        ("sarif", r.sarif.to_string()),
        ("html", r.html.clone()),
    ] {
        assert_no_credentials(name, &text, &secrets);
    }
    // The reproducers are redacted, not missing.
    assert!(
        r.html.contains("&lt;redacted"),
        "redacted credentials are shown as such"
    );

    // The same run again: other object identifiers and timings, the same fingerprints.
    let again = dir.path().join("again.sarif");
    let run = cloison(&[
        "run",
        "--flaw",
        "document-idor",
        "--sarif",
        again.to_str().expect("utf-8 path"),
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&read(&again)).expect("SARIF");
    assert_eq!(fingerprints(&sarif), fingerprints(&r.sarif));
}

#[test]
fn the_hardened_portal_writes_every_format_without_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = cloison(&[
        "run",
        "--report",
        dir.path().to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    let r = reports(dir.path());
    assert_valid(&r.json);
    assert_eq!(r.json["outcome"], "clean");
    assert_eq!(failures(&r.junit), 0);
    assert!(!r.junit_text.contains("<failure"));
    assert!(
        r.junit.tests > 50,
        "every cell is a test case: {}",
        r.junit.tests
    );
    assert_eq!(r.sarif["version"], "2.1.0");
    assert_eq!(
        r.sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(0)
    );
    assert!(r.html.contains("CLEAN"));
    let secrets = credentials();
    assert_no_credentials("html", &r.html, &secrets);
    assert_no_credentials("json", &r.json.to_string(), &secrets);
}

#[test]
fn json_to_stdout_keeps_the_summary_on_stderr_and_unwritable_outputs_fail_first() {
    let run = cloison(&["run", "--json", "-", "--quiet"]);
    assert_eq!(run.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&run.stdout).expect("standard output is the JSON report alone");
    assert_eq!(json["outcome"], "clean");
    assert_valid(&json);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("CLEAN"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colour off a terminal");

    let started = std::time::Instant::now();
    let run = cloison(&[
        "run",
        "--sarif",
        "/nonexistent-dir/x/report.sarif",
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot write the SARIF report"));
    assert!(started.elapsed().as_secs() < 5, "checked before the run");

    // A usage error leaves the short error form as the JSON report, and no empty file of another format.
    let dir = tempfile::tempdir().expect("tempdir");
    let run = cloison(&[
        "run",
        "--flaw",
        "no-such-flaw",
        "--report",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.status.code(), Some(2));
    let json: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("report.json"))).expect("the error form");
    assert_eq!(json["outcome"], "usage-error");
    assert_valid(&json);
    assert!(!dir.path().join("report.sarif").exists());
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

#[test]
fn the_html_report_renders_in_a_headless_browser_without_errors() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED: no chromium on PATH (apt-get install chromium); the HTML report was not rendered"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("report.html");
    let run = cloison(&[
        "run",
        "--flaw",
        "document-idor",
        "--html",
        html.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let url = format!("file://{}", html.display());
    let common = [
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
    ];
    let profile_dir = dir.path().join("chromium-profile");
    let user_data = format!("--user-data-dir={}", profile_dir.display());
    let screenshot = dir.path().join("report.png");
    let shot = Command::new(&browser)
        .args(common)
        .arg(&user_data)
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
        ])
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(&url)
        .output()
        .expect("run chromium");
    let log = String::from_utf8_lossy(&shot.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "the page wrote to the console (a script or CSP error): {console:#?}"
    );
    let size = std::fs::metadata(&screenshot)
        .unwrap_or_else(|e| panic!("no screenshot ({e}): {log}"))
        .len();
    assert!(
        size > 20_000,
        "the screenshot is nearly empty: {size} bytes"
    );

    let dom = Command::new(&browser)
        .args(common)
        .arg(&user_data)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("data-cloison-ready=\"1\""),
        "the report's script did not run to its end"
    );
    assert!(dom.contains("PROVEN LEAK"));
    assert_no_credentials("rendered html", &dom, &credentials());
}
