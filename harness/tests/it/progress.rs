//! Off a terminal (standard error is a pipe here, as in a CI log), a run prints a line when each phase
//! starts and every few seconds while it runs: the phase, what is done out of the total, and the findings
//! so far. `--quiet` prints none.

use std::process::Command;

fn run_cloison(extra: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["run", "--cases", "6", "--flaw", "case-idor"])
        .args(extra)
        .output()
        .expect("run cloison");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_run_off_a_terminal_prints_progress_lines() {
    let (code, stderr) = run_cloison(&[]);
    assert_eq!(code, Some(1), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with('[') && l.contains(" s] "))
        .collect();
    for phase in [
        "identities:",
        "case:",
        "controls:",
        "probes:",
        "controls again:",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(&format!("] {phase} 0/"))),
            "no line for {phase}: {stderr}"
        );
    }
    // The second half of the probes starts after findings were made in the first.
    let probes: Vec<&&str> = lines.iter().filter(|l| l.contains("] probes: ")).collect();
    assert_eq!(probes.len(), 2, "{stderr}");
    assert!(probes[0].ends_with("0 findings so far"), "{stderr}");
    assert!(!probes[1].ends_with(" 0 findings so far"), "{stderr}");
}

#[test]
fn quiet_runs_print_no_progress() {
    let (code, stderr) = run_cloison(&["--quiet"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains(" so far"), "{stderr}");
}
