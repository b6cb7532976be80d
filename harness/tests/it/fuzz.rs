//! Fuzzing with proptest: mutations of the reference profile (lines deleted, keys duplicated, values
//! swapped, the file truncated, garbage bytes inserted, huge strings) and command lines built from cloison's
//! own flags and hostile values. Never a panic, never a hang; always an exit code of the documented set
//! (0-4) with a message under 8 KiB.
//!
//! Cheap by construction, to run in CI within about a minute: the profile mutations are loaded and planned
//! through the library (hundreds of cases), and a few dozen go through the real `cloison` binary against
//! the embedded portal with a small world. The cases are the same on every run (a fixed seed); set
//! `PROPTEST_RNG_SEED` to explore others, `PROPTEST_CASES` for more.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cloison_harness::profile::Profile;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const REFERENCE: &str = include_str!("../../../fixtures/profiles/reference-portal.toml");
/// The most a failing invocation may write to standard error.
const MAX_STDERR: usize = 8 * 1024;
/// Exit codes of `cloison` without a signal (README, "Exit codes").
const DOCUMENTED: [i32; 5] = [0, 1, 2, 3, 4];
/// An invocation that takes longer is taken as hung.
const HANG: Duration = Duration::from_secs(120);

fn config(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config.max_shrink_iters = 200;
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0xc10150);
    }
    config
}

/// One change to a profile's text.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    /// The line again right after itself: a duplicate key (or table).
    DuplicateLine(usize),
    /// The values of two `key = value` lines exchanged.
    SwapValues(usize, usize),
    /// Everything from this byte on removed.
    Truncate(usize),
    /// Bytes inserted at an offset (any bytes: invalid UTF-8, NUL, control characters).
    Insert(usize, Vec<u8>),
    /// A line's value replaced by a string this long.
    HugeValue(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..16),
                Just(b"\xff\xfe".to_vec()),
                Just(b"[[".to_vec()),
                Just(b"\"\"\"".to_vec()),
                Just(b"{{".to_vec()),
                Just(b"\n[resources.case.read]\n".to_vec()),
                Just(b" = ".to_vec()),
            ]
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), prop_oneof![Just(10_000), Just(1_000_000)])
            .prop_map(|(line, len)| Mutation::HugeValue(line, len)),
    ]
}

fn apply(text: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len();
    let value_of = |line: &[u8]| line.windows(3).position(|w| w == b" = ").map(|at| at + 3);
    match mutation {
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let line = lines[i % n].clone();
            lines.insert(i % n, line);
        }
        Mutation::SwapValues(a, b) => {
            let (a, b) = (a % n, b % n);
            if let (Some(va), Some(vb)) = (value_of(&lines[a]), value_of(&lines[b])) {
                let (left, right) = (lines[a][va..].to_vec(), lines[b][vb..].to_vec());
                lines[a].truncate(va);
                lines[a].extend(right);
                lines[b].truncate(vb);
                lines[b].extend(left);
            }
        }
        Mutation::Truncate(at) => {
            let mut out = text.to_vec();
            out.truncate(at % (text.len() + 1));
            return out;
        }
        Mutation::Insert(at, bytes) => {
            let mut out = text.to_vec();
            let at = at % (text.len() + 1);
            out.splice(at..at, bytes.iter().copied());
            return out;
        }
        Mutation::HugeValue(i, len) => {
            let line = &mut lines[i % n];
            let huge = format!("\"{}\"", "x".repeat(*len));
            match value_of(line) {
                Some(at) => {
                    line.truncate(at);
                    line.extend(huge.bytes());
                }
                None => line.extend(format!("\nhuge = {huge}").bytes()),
            }
        }
    }
    lines.join(&b'\n')
}

fn mutated_profile() -> impl Strategy<Value = (Vec<Mutation>, Vec<u8>)> {
    proptest::collection::vec(mutation(), 1..4).prop_map(|mutations| {
        let mut text = REFERENCE.as_bytes().to_vec();
        for m in &mutations {
            text = apply(&text, m);
        }
        (mutations, text)
    })
}

/// Profile mutations through the library: load, validate and plan. Errors name the file and stay small.
#[test]
fn mutated_profiles_load_or_fail_with_a_short_located_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mutated.toml");
    let world = cloison_generators::LazyWorld::new(&cloison_generators::GenConfig::new(1, 2, 4))
        .expect("world");
    let secrets = serde_json::json!({ "operator_token": "fuzz-operator" });
    let loaded = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = TestRunner::new(config(400));
    runner
        .run(&mutated_profile(), |(_, text)| {
            std::fs::write(&path, &text).expect("write the profile");
            match Profile::load(&path) {
                Err(err) => {
                    let shown = err.to_string();
                    prop_assert!(shown.len() <= MAX_STDERR, "{} bytes", shown.len());
                    prop_assert!(shown.starts_with(&path.display().to_string()), "{shown}");
                }
                Ok(profile) => {
                    loaded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // What a run does with a profile before sending anything: no panic either.
                    if let Ok(plan) =
                        cloison_harness::plan::Plan::new(world.clone(), &profile, &secrets)
                    {
                        let _ = cloison_suites::plan(
                            &plan.population,
                            &profile.policy,
                            &profile.surface(),
                            cloison_suites::PlanConfig {
                                seed: 1,
                                per_cell: 1,
                            },
                        );
                    }
                }
            }
            Ok(())
        })
        .expect("no mutated profile panics or prints a long error");
    // Some mutants are valid profiles (a comment deleted, a value swapped for one of its kind): the fuzz
    // reaches validation and planning, not only the TOML parser.
    let loaded = loaded.into_inner();
    println!("{loaded} of the mutated profiles loaded");
    assert!(loaded > 0, "no mutated profile loaded");
}

/// Run `cloison` with `args` in `dir`: its exit code and standard error. Fails on a hang or a signal.
fn cloison(dir: &Path, args: &[String]) -> Result<(i32, String), String> {
    let child = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(HANG) {
        Ok(output) => output.map_err(|e| format!("wait: {e}"))?,
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            return Err(format!("hung for {HANG:?}: {args:?}"));
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output
        .status
        .code()
        .ok_or_else(|| format!("killed by a signal: {args:?}: {stderr}"))?;
    Ok((code, stderr))
}

fn check(dir: &Path, args: &[String]) -> Result<(), TestCaseError> {
    let (code, stderr) = cloison(dir, args).map_err(TestCaseError::fail)?;
    prop_assert!(
        DOCUMENTED.contains(&code),
        "exit {code} for {args:?}: {stderr}"
    );
    prop_assert!(
        !stderr.contains("panicked at"),
        "a panic for {args:?}: {stderr}"
    );
    prop_assert!(
        stderr.len() <= MAX_STDERR,
        "{} bytes of stderr for {args:?}: {}",
        stderr.len(),
        stderr.chars().take(2000).collect::<String>()
    );
    Ok(())
}

/// Mutated profiles through the real binary against the embedded portal.
#[test]
fn the_binary_runs_mutated_profiles_without_panics_in_the_documented_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mutated.toml");
    let mut runner = TestRunner::new(config(24));
    runner
        .run(&mutated_profile(), |(_, text)| {
            std::fs::File::create(&path)
                .and_then(|mut f| f.write_all(&text))
                .expect("write the profile");
            let args = [
                "run",
                "--quiet",
                "--cases",
                "4",
                "--deadline",
                "60",
                "--profile",
                "mutated.toml",
            ]
            .map(String::from);
            check(dir.path(), &args)
        })
        .expect("every mutated profile ends in a documented exit code, without a panic");
}

/// Values for a flag: mostly of the kind it takes (paths for files, numbers for counts), else any.
fn value_for(flag: &'static str) -> BoxedStrategy<String> {
    let of = |values: &[&'static str]| {
        prop::sample::select(values.to_vec())
            .prop_map(String::from)
            .boxed()
    };
    let typed = match flag {
        "--profile" | "--secrets" => of(&[
            "profile.toml",
            "fifo",
            "/dev/zero",
            "/dev/null",
            ".",
            "/nonexistent/x",
            "",
        ]),
        "--json" | "--junit" | "--sarif" | "--html" | "--report" | "--out" => of(&[
            "fifo",
            "out",
            "out/report.json",
            "/dev/null",
            "/dev/full",
            ".",
            "-",
            "/nonexistent/x",
            "",
        ]),
        "--target" => of(&[
            "embedded",
            "image:nothing-here:x",
            "image:",
            "url:http://127.0.0.1:9",
            "url:http://192.0.2.1",
            "url:ftp://x",
            "url:",
            "url:http://[::1",
        ]),
        "--tenants" => of(&[
            "1", "2", "0", "01", "2A", "971", "75,2A", "13,", ",", "101", "102",
        ]),
        "--shard" => of(&[
            "1/2",
            "3/2",
            "0/0",
            "2/0",
            "1/1",
            "/",
            "1/18446744073709551616",
        ]),
        _ => of(&[
            "1",
            "2",
            "3",
            "0",
            "-1",
            "101",
            "1000001",
            "18446744073709551616",
            "1.5",
        ]),
    };
    prop_oneof![3 => typed, 1 => value()].boxed()
}

/// Values for flags: valid and small, out of bounds, malformed, hostile.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "1", "2", "3", "0", "-1", "01", "2A", "971", "75,2A", "13,", ",", "101", "102", "1000001",
            "18446744073709551615", "18446744073709551616", "1.5", "", " ", "abc", "-", "--",
            "\u{202e}evil", "é", "/dev/zero", "/dev/null", "/nonexistent/x", ".", "fifo", "out",
            "out/report.json", "1/2", "3/2", "0/0", "2/0", "embedded", "image:nothing-here:x",
            "url:http://127.0.0.1:9", "url:http://192.0.2.1", "url:ftp://x", "url:", "case-idor",
            "no-such-flaw", "csv", "jsonl", "2025-02-30", "2025-06-30", "profile.toml",
        ])
        .prop_map(String::from),
        1 => "[ -~]{0,40}",
        1 => prop_oneof![Just(100_000usize), Just(120_000)].prop_map(|n| "y".repeat(n)),
    ]
}

const RUN_FLAGS: &[&str] = &[
    "--target",
    "--profile",
    "--secrets",
    "--seed",
    "--tenants",
    "--cases",
    "--flaw",
    "--per-cell",
    "--json",
    "--report",
    "--junit",
    "--sarif",
    "--html",
    "--shard",
    "--concurrency",
    "--timeout",
    "--retries",
    "--unknown",
];
const RUN_SWITCHES: &[&str] = &["--allow-remote", "--no-shrink", "--help", "-V"];
const GENERATE_FLAGS: &[&str] = &[
    "--seed",
    "--tenants",
    "--cases",
    "--out",
    "--format",
    "--threads",
    "--reference-date",
];
const GENERATE_SWITCHES: &[&str] = &[
    "--documents",
    "--verify",
    "--real-birth-communes",
    "--schema",
];

/// A command line: a subcommand, then flags with values, switches and stray words.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    let words = |flags: &'static [&'static str], switches: &'static [&'static str]| {
        proptest::collection::vec(
            prop_oneof![
                3 => prop::sample::select(flags)
                    .prop_flat_map(|f| value_for(f).prop_map(move |v| vec![f.to_string(), v])),
                1 => prop::sample::select(switches).prop_map(|s| vec![s.to_string()]),
                1 => value().prop_map(|v| vec![v]),
            ],
            0..5,
        )
        .prop_map(|w| w.concat())
    };
    prop_oneof![
        // Runs are bounded: a target that never answers is waited for 3 s, and a run stops at 60 s.
        4 => words(RUN_FLAGS, RUN_SWITCHES).prop_map(|w| {
            let mut args = ["run", "--quiet", "--startup-timeout", "3", "--deadline", "60"]
                .map(String::from)
                .to_vec();
            args.extend(w);
            args
        }),
        2 => words(GENERATE_FLAGS, GENERATE_SWITCHES).prop_map(|w| {
            let mut args = vec!["generate".to_string()];
            args.extend(w);
            args
        }),
        1 => proptest::collection::vec(value(), 0..4).prop_map(|w| {
            let mut args = ["report", "merge"].map(String::from).to_vec();
            args.extend(w);
            args
        }),
        1 => proptest::collection::vec(value(), 0..3),
    ]
}

/// Command lines through the real binary (run, generate, report merge, and nonsense).
#[test]
fn command_lines_end_in_a_documented_exit_code_without_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A FIFO among the files: reading it would hang.
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    std::fs::write(dir.path().join("profile.toml"), REFERENCE).expect("profile");
    let mut runner = TestRunner::new(config(48));
    runner
        .run(&command_line(), |args| check(dir.path(), &args))
        .expect("every command line ends in a documented exit code, without a panic");
}
