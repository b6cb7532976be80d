//! Regression mode on the embedded reference portal (`cloison run --baseline`, `--accept`, `cloison diff`):
//! a `document-idor` report as the baseline of a run with the same flaw (another seed and world size)
//! exits 0 with its findings `unchanged`; a hardened report as baseline makes them `new` (exit 1); the
//! reverse shows them `absent`; an accepted fingerprint passes until its expiry date (a fixed clock) with a
//! SARIF suppression; `cloison diff` between a hardened run and an `agent-functions-open` run exits 1 and
//! names the widened cells. The CI recipes of docs/ci.md parse, and so do the cloison commands they run.
//! The runs share one directory, and run two at a time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cloison_harness::cli::{Command as Sub, parse_from};

fn cloison(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cloison")
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("JSON")
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Each run's command line, all of them on the embedded portal.
fn run_args(dir: &Path, name: &str, flaw: Option<&str>, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["run", "--quiet", "--json"]
        .into_iter()
        .map(String::from)
        .collect();
    args.push(dir.join(format!("{name}.json")).display().to_string());
    if let Some(flaw) = flaw {
        args.extend(["--flaw".to_string(), flaw.to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Run several command lines, two at a time (CI has two cores).
fn runs(lines: Vec<Vec<String>>) -> Vec<Output> {
    let mut out = Vec::new();
    for pair in lines.chunks(2) {
        let handles: Vec<_> = pair
            .iter()
            .cloned()
            .map(|line| {
                std::thread::spawn(move || {
                    let refs: Vec<&str> = line.iter().map(String::as_str).collect();
                    cloison(&refs)
                })
            })
            .collect();
        out.extend(handles.into_iter().map(|h| h.join().expect("run")));
    }
    out
}

fn states(report: &serde_json::Value) -> Vec<String> {
    report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["baseline"].as_str().unwrap_or("-").to_string())
        .collect()
}

fn fingerprints(report: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            g["fingerprint"]
                .as_str()
                .expect("a fingerprint")
                .to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn baselines_acceptances_and_the_access_matrix_diff_on_the_reference_portal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let path = |name: &str| d.join(name).display().to_string();
    // The document-idor release: the baseline of every later run.
    let first = runs(vec![
        run_args(d, "idor", Some("document-idor"), &[]),
        run_args(d, "functions", Some("agent-functions-open"), &[]),
    ]);
    assert_eq!(code(&first[0]), 1, "{}", text(&first[0]));
    assert_eq!(code(&first[1]), 1, "{}", text(&first[1]));
    let idor = json(&d.join("idor.json"));
    assert_eq!(idor["schema_version"], "2");
    let prints = fingerprints(&idor);
    assert!(!prints.is_empty());
    super::reports::assert_valid(&idor);

    let accept = d.join("accepted.toml");
    let mut accepted = String::new();
    for print in &prints {
        accepted.push_str(&format!(
            "[[accept]]\nfingerprint = \"{print}\"\nreason = \"documents reviewed\"\nowner = \"security@vendor.example\"\nexpires = 2027-01-31\n\n"
        ));
    }
    std::fs::write(&accept, accepted).expect("write");
    let sarif = path("accepted.sarif");
    let idor_json = path("idor.json");
    let accept_file = accept.display().to_string();
    let later = runs(vec![
        // The same flaw, another seed and world size: unchanged, exit 0.
        run_args(
            d,
            "same",
            Some("document-idor"),
            &["--baseline", &idor_json, "--seed", "2", "--cases", "24"],
        ),
        // The hardened build against the flawed release: the findings are absent, exit 0.
        run_args(d, "hardened", None, &["--baseline", &idor_json]),
        // Accepted until 2027-01-31, the day itself: exit 0, SARIF suppressions.
        run_args(
            d,
            "accepted",
            Some("document-idor"),
            &[
                "--accept",
                &accept_file,
                "--today",
                "2027-01-31",
                "--sarif",
                &sarif,
            ],
        ),
        // The day after: expired, exit 1.
        run_args(
            d,
            "expired",
            Some("document-idor"),
            &["--accept", &accept_file, "--today", "2027-02-01"],
        ),
    ]);
    let [same, hardened, accepted, expired] = &later[..] else {
        panic!("four runs")
    };
    assert_eq!(code(same), 0, "{}", text(same));
    let report = json(&d.join("same.json"));
    assert_eq!(fingerprints(&report), prints, "the same fingerprints");
    assert!(
        states(&report).iter().all(|s| s == "unchanged"),
        "{}",
        text(same)
    );
    assert!(text(same).contains("[unchanged]"), "{}", text(same));
    assert!(
        text(same).contains("CLEAN OF NEW FINDINGS"),
        "{}",
        text(same)
    );
    super::reports::assert_valid(&report);

    assert_eq!(code(hardened), 0, "{}", text(hardened));
    let report = json(&d.join("hardened.json"));
    let absent: Vec<String> = (report["absent"].as_array().expect("absent").iter())
        .map(|a| a["fingerprint"].as_str().expect("fingerprint").to_string())
        .collect();
    assert_eq!(absent, prints, "the release's findings are absent");
    assert!(
        text(hardened).contains("absent: PROVEN LEAK"),
        "{}",
        text(hardened)
    );
    super::reports::assert_valid(&report);

    assert_eq!(code(accepted), 0, "{}", text(accepted));
    let sarif = json(Path::new(&sarif));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for result in results {
        let suppression = &result["suppressions"][0];
        assert_eq!(suppression["kind"], "external");
        assert_eq!(suppression["status"], "accepted");
        assert!(
            suppression["justification"]
                .as_str()
                .is_some_and(|j| j.contains("documents reviewed") && j.contains("2027-01-31")),
            "{suppression}"
        );
    }
    assert_eq!(code(expired), 1, "{}", text(expired));
    assert!(
        text(expired).contains("acceptance expired on 2027-01-31"),
        "{}",
        text(expired)
    );

    // A hardened baseline: the findings are new, exit 1; SARIF says so.
    let hardened_json = path("hardened.json");
    let sarif_new = path("new.sarif");
    let new = runs(vec![run_args(
        d,
        "new",
        Some("document-idor"),
        &["--baseline", &hardened_json, "--sarif", &sarif_new],
    )]);
    assert_eq!(code(&new[0]), 1, "{}", text(&new[0]));
    assert!(
        states(&json(&d.join("new.json")))
            .iter()
            .all(|s| s == "new")
    );
    let sarif = json(Path::new(&sarif_new));
    assert!(
        (sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter())
        .all(|r| r["baselineState"] == "new")
    );

    // The access matrix: agent-functions-open widens cells of the hardened build.
    let html = path("diff.html");
    let diff_json = path("diff.json");
    let diff = cloison(&[
        "diff",
        &hardened_json,
        &path("functions.json"),
        "--json",
        &diff_json,
        "--html",
        &html,
    ]);
    assert_eq!(code(&diff), 1, "{}", text(&diff));
    let widened = json(Path::new(&diff_json));
    let cells: Vec<String> = (widened["cells"].as_array().expect("cells").iter())
        .filter(|c| c["change"] == "widened")
        .map(|c| c["endpoint"].as_str().expect("endpoint").to_string())
        .collect();
    assert!(!cells.is_empty(), "{}", text(&diff));
    assert!(
        text(&diff).contains(&format!("WIDENED  {}", cells[0])),
        "{}",
        text(&diff)
    );
    assert!(
        std::fs::read_to_string(&html)
            .expect("html")
            .contains("widened")
    );
    // Against itself, nothing changed: exit 0. A report of schema 1: exit 2, with what to do.
    let same = cloison(&["diff", &hardened_json, &hardened_json]);
    assert_eq!(code(&same), 0, "{}", text(&same));
    let old = d.join("old.json");
    let mut v1 = json(&d.join("hardened.json"));
    v1["schema_version"] = "1".into();
    std::fs::write(&old, v1.to_string()).expect("write");
    let refused = cloison(&["diff", &old.display().to_string(), &hardened_json]);
    assert_eq!(code(&refused), 2, "{}", text(&refused));
    assert!(
        text(&refused).contains("no finding fingerprints"),
        "{}",
        text(&refused)
    );
}

#[test]
fn a_malformed_acceptance_file_is_a_usage_error_with_every_mistake_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("accepted.toml");
    std::fs::write(
        &file,
        "[[accept]]\nfingerprint = \"abc\"\nowner = \"o\"\nexpires = \"soon\"\n",
    )
    .expect("write");
    let out = cloison(&["run", "--accept", &file.display().to_string()]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let shown = text(&out);
    let name = file.display().to_string();
    for expected in [
        format!("{name}:2:15: "),
        format!("{name}:1:1: `accept[0].reason`: missing"),
        format!("{name}:4:11: "),
    ] {
        assert!(shown.contains(&expected), "{expected:?} in {shown}");
    }
}

/// The recipes of docs/ci.md: YAML that parses (when python3 has PyYAML), and cloison commands that this
/// cloison's command line accepts.
#[test]
fn the_ci_recipes_parse_and_run_tested_commands() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/ci.md")).expect("docs/ci.md");
    for file in ["github-regression.yml", "gitlab-regression.yml"] {
        let path = root.join("examples/ci").join(file);
        let text = std::fs::read_to_string(&path).expect("recipe");
        assert!(
            doc.contains(&format!("examples/ci/{file}")),
            "docs/ci.md names {file}"
        );
        let python = Command::new("python3")
            .args(["-c", "import sys, yaml; yaml.safe_load(open(sys.argv[1]))"])
            .arg(&path)
            .output();
        match python {
            Ok(out) if !String::from_utf8_lossy(&out.stderr).contains("No module named") => {
                assert!(
                    out.status.success(),
                    "{file}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            _ => eprintln!(
                "{file}: YAML not parsed (python3 with PyYAML not found); commands checked"
            ),
        }
        let commands = commands(&text);
        assert!(commands.len() >= 2, "{file}: {commands:?}");
        let mut baseline = false;
        for words in commands {
            let cli =
                parse_from(&words).unwrap_or_else(|_| panic!("{file}: {words:?} does not parse"));
            if let Sub::Run(args) = cli.command {
                baseline |= args.baseline.is_some() && args.accept.is_some();
            }
        }
        assert!(baseline, "{file} runs with --baseline and --accept");
    }
}

/// The `./target/release/cloison ...` commands of a recipe, as words, shell variables given sample values.
fn commands(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find("./target/release/cloison ") else {
            continue;
        };
        let command = line[at..].split(" || ").next().unwrap_or("");
        let words: Vec<String> = command
            .split_whitespace()
            .map(|w| match w.trim_matches('"') {
                "$CI_NODE_INDEX/$CI_NODE_TOTAL" => "1/4".to_string(),
                other if other.starts_with('$') => "value".to_string(),
                other => other.replace("${{ matrix.shard }}", "1"),
            })
            .collect();
        out.push(words);
    }
    out
}
