//! `cloison bench` as an isolation benchmark, through the binary: `--corpus` runs cases of the corpus and
//! scores them against their ground truth (a scorecard as a table, JSON valid against
//! docs/bench-scorecard.schema.json, and an HTML page with the TPR/FPR plot); `bench score` scores another
//! tool's SARIF results on a case; `bench serve` keeps a case's target up until Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cloison_harness::cli::EXIT_OK;
use serde_json::Value;

fn cloison() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cloison"))
}

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/bench-scorecard.schema.json");
    let text = std::fs::read_to_string(&path).expect("the schema is there");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("a valid draft 2020-12 schema")
}

fn assert_valid(json: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "the scorecard does not validate: {errors:#?}"
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("written")).expect("JSON")
}

fn case<'a>(card: &'a Value, name: &str) -> &'a Value {
    (card["cases"].as_array().expect("cases"))
        .iter()
        .find(|c| c["case"] == name)
        .unwrap_or_else(|| panic!("no case {name}: {card:#}"))
}

/// `bench --corpus` on a platform's flaw and twin and on the portal's flaw and hardened seed: every flaw
/// found, nothing on the twins, TPR 1 and FPR 0, the JSON valid and the page plotted.
#[test]
fn bench_corpus_scores_cloison_with_no_miss_and_no_false_positive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (json, html) = (dir.path().join("card.json"), dir.path().join("card.html"));
    let output = cloison()
        .args([
            "bench",
            "--corpus",
            "--case",
            "serrure/",
            "--case",
            "portal/document-idor",
            "--case",
            "portal/hardened-1",
            "--json",
        ])
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(i32::from(EXIT_OK)),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("PASS: TPR 1.00, FPR 0.00"), "{stdout}");
    let card = read_json(&json);
    assert_valid(&card);
    assert_eq!(card["overall"]["tpr"], 1.0, "{card:#}");
    assert_eq!(card["overall"]["fpr"], 0.0, "{card:#}");
    assert_eq!(card["cases"].as_array().map(Vec::len), Some(4));
    let flawed = case(&card, "serrure/flawed");
    assert_eq!(
        (flawed["tp"].as_u64(), flawed["fn"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(flawed["tn"], 2, "the notes and files are not reported");
    assert!(
        flawed["probes_to_detection"]
            .as_u64()
            .is_some_and(|p| p > 0)
    );
    let twin = case(&card, "serrure/fixed");
    assert_eq!(
        (twin["fp"].as_u64(), twin["tn"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(twin["outcome"], "clean");
    assert_eq!(case(&card, "portal/document-idor")["tp"], 1);
    assert_eq!(case(&card, "portal/hardened-1")["tn"], 1);
    let families: Vec<&str> = (card["families"].as_array().expect("families"))
        .iter()
        .filter_map(|f| f["family"].as_str())
        .collect();
    assert!(families.contains(&"account-takeover"), "{families:?}");
    let page = std::fs::read_to_string(&html).expect("the page is written");
    assert!(page.contains("<svg") && page.contains("account-takeover: TPR 1.00, FPR 0.00"));
}

/// A SARIF file written by hand for `dossier/both`: the query's leak reported (a true positive), the
/// foreign traces not (a miss), the pieces reported although they are served to their holder only (a
/// false positive), a note on another path matching nothing, and a `pass` left out.
#[test]
fn a_hand_written_sarif_is_scored_with_its_hit_its_miss_and_its_false_positive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("card.json");
    let sarif = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dossier-both.sarif");
    let output = cloison()
        .args(["bench", "score", "--case", "dossier/both", "--sarif"])
        .arg(&sarif)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let card = read_json(&json);
    assert_valid(&card);
    assert_eq!(card["tool"], "hand-written scanner");
    let scored = case(&card, "dossier/both");
    let counts = ["tp", "fp", "fn", "tn", "detections", "unmatched"].map(|k| scored[k].as_u64());
    assert_eq!(counts, [1, 1, 1, 0, 3, 1].map(Some), "{scored:#}");
    assert_eq!(card["overall"]["tpr"], 0.5);
    assert_eq!(card["overall"]["fpr"], 1.0);
    assert_eq!(card["overall"]["score"], -0.5);
    assert!(stdout.contains("MISSED FALSE POSITIVE"), "{stdout}");

    // On the fixed twin, every result is false: the two that match its safe expectations, and the note
    // that matches nothing (the platform isolates).
    let output = cloison()
        .args(["bench", "score", "--case", "dossier/fixed", "--sarif"])
        .arg(&sarif)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run cloison");
    assert_eq!(output.status.code(), Some(0));
    let twin = read_json(&json);
    let scored = case(&twin, "dossier/fixed");
    assert_eq!(
        ["tp", "fp", "fn", "tn"].map(|k| scored[k].as_u64()),
        [0, 3, 0, 1].map(Some),
        "{scored:#}"
    );

    let output = cloison()
        .args(["bench", "score", "--case", "no/such", "--sarif"])
        .arg(&sarif)
        .output()
        .expect("run cloison");
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unknown case is a usage error"
    );
}

/// A plain HTTP GET; the status line, or `None` when nothing answers.
fn get(url: &str, path: &str) -> Option<String> {
    let host = url.strip_prefix("http://")?;
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.lines().next().map(str::to_string)
}

/// `bench serve serrure/flawed` prints the URL, the platform answers there until SIGINT; then the process
/// exits 0 and nothing listens on the port any more.
#[test]
fn bench_serve_keeps_a_case_up_until_ctrl_c() {
    let mut child = cloison()
        .args(["bench", "serve", "serrure/flawed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cloison");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next().expect("a url line").expect("utf-8");
        printed.push(line.clone());
        if let Some(url) = line.strip_prefix("url: ") {
            break url.to_string();
        }
    };
    for _ in 0..3 {
        let line = lines.next().expect("more lines").expect("utf-8");
        printed.push(line);
    }
    assert!(
        printed.iter().any(|l| l.starts_with("profile: ")),
        "{printed:?}"
    );
    assert!(
        printed.iter().any(|l| l.starts_with("openapi: none")),
        "{printed:?}"
    );
    let status = get(&url, "/health").expect("the case answers");
    assert!(status.contains(" 200 "), "{status}");

    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "bench serve did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert!(get(&url, "/health").is_none(), "the port is closed");
}

/// `cloison bench serve` on a portal case never prints its credentials: they are in a file only its owner
/// can read, which goes with the target.
#[test]
fn bench_serve_writes_the_portal_credentials_to_a_private_file_not_the_terminal() {
    use std::os::unix::fs::PermissionsExt as _;
    let mut child = cloison()
        .args(["bench", "serve", "portal/hardened-1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cloison");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    loop {
        let line = lines.next().expect("a line").expect("utf-8");
        let last = line.starts_with("press Ctrl-C");
        printed.push(line);
        if last {
            break;
        }
    }
    let path = printed
        .iter()
        .find_map(|l| l.strip_prefix("credentials: "))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("a credentials line: {printed:?}"));
    let mode = std::fs::metadata(&path)
        .expect("the file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    let text = std::fs::read_to_string(&path).expect("read the credentials");
    let values: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(_, v)| v.trim_matches('"'))
        .collect();
    assert!(!values.is_empty(), "{text}");
    for value in &values {
        assert!(
            printed.iter().all(|l| !l.contains(value)),
            "a credential was printed: {printed:?}"
        );
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "bench serve did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert!(!path.exists(), "the credentials go with the target");
}

/// The whole corpus at default flags, as `cloison bench --corpus` runs it: no miss, no false positive,
/// within ten minutes. Minutes long: run with `--run-ignored` (docs/benchmark.md).
#[test]
#[ignore = "the whole corpus: several minutes"]
fn the_whole_corpus_scores_tpr_1_fpr_0_within_ten_minutes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("card.json");
    let started = Instant::now();
    let output = cloison()
        .args(["bench", "--corpus", "--quiet", "--json"])
        .arg(&json)
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(600));
    let card = read_json(&json);
    assert_valid(&card);
    assert_eq!(
        (
            card["overall"]["tpr"].as_f64(),
            card["overall"]["fpr"].as_f64()
        ),
        (Some(1.0), Some(0.0))
    );
}
