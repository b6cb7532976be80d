//! The terminal: colour only when the output is a terminal and `NO_COLOR` is unset (<https://no-color.org>).

use std::io::IsTerminal as _;

use crate::report::{Report, Tone};

/// Whether to colour what goes to standard output (or to standard error when `to_stderr`).
pub fn colour_enabled(to_stderr: bool) -> bool {
    let terminal = if to_stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    terminal && no_color_allows(std::env::var_os("NO_COLOR").as_deref())
}

/// `NO_COLOR` set to any non-empty value turns colour off.
fn no_color_allows(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_none_or(|v| v.is_empty())
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const GREEN: &str = "\x1b[1;32m";
const RESET: &str = "\x1b[0m";

/// A report's summary, coloured when the stream it goes to (standard error when `to_stderr`) is a
/// terminal.
pub fn paint(report: &Report, to_stderr: bool) -> String {
    if colour_enabled(to_stderr) {
        colour(report)
    } else {
        report.summary()
    }
}

/// A report's summary with its verdict line and evidence labels coloured, by the report's outcome and each
/// root cause's evidence.
pub fn colour(report: &Report) -> String {
    report.summary_painted(&|tone, text| {
        let code = match tone {
            Tone::Alarm => RED,
            Tone::Caution => YELLOW,
            Tone::Good => GREEN,
        };
        format!("{code}{text}{RESET}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_set_to_anything_turns_colour_off() {
        assert!(no_color_allows(None));
        assert!(no_color_allows(Some(std::ffi::OsStr::new(""))));
        assert!(!no_color_allows(Some(std::ffi::OsStr::new("1"))));
    }

    #[test]
    fn colour_marks_the_verdict_and_labels_only() {
        let mut report: Report = serde_json::from_str(REPORT).expect("a report");
        report.groups = crate::report::group::group(&report.root_causes, report.fail_on);
        let painted = colour(&report);
        assert!(painted.contains(
            "\x1b[1;31mFINDINGS: 1 finding(s) (1 proven, 0 warning(s)); 1 root cause(s), 1 instance(s)\x1b[0m\n"
        ), "{painted}");
        assert!(
            painted
                .contains("  [1] \x1b[1;31mPROVEN LEAK\x1b[0m direct-read on resources.case.read:")
        );
        assert!(painted.starts_with("cloison 0.1.0 against portal (embedded)\n"));
        // Without colour, the same text.
        let plain = painted.replace(RED, "").replace(RESET, "");
        assert_eq!(plain, report.summary());
        let clean = Report {
            outcome: crate::report::Outcome::Clean,
            root_causes: Vec::new(),
            groups: Vec::new(),
            ..report
        };
        assert!(colour(&clean).contains("\x1b[1;32mCLEAN: "));
    }

    /// A report with one root cause (a proven leak).
    const REPORT: &str = r#"{
        "schema_version": "1", "cloison_version": "0.1.0", "shard": null, "target": "embedded",
        "deployment": "", "platform": "portal", "profile": "p.toml", "profile_digest": "", "seed": 1,
        "replay": "cloison run", "tenants": 2, "cases": 16, "outcome": "findings", "reasons": [],
        "stats": {"identities": 1, "records_seeded": 1, "objects_created": 1, "seed_seconds": 0.0,
          "seed_rate": 0.0, "controls": 1, "probes": 3, "probe_seconds": 0.0, "probe_rate": 0.0,
          "writes": 0, "phases": []},
        "coverage": {"families": [], "endpoints": {}, "unused_endpoints": [], "controls_passed": 1,
          "controls_run": 1, "cells": []},
        "root_causes": [{"family": "direct-read", "endpoint": "resources.case.read", "role": "applicant",
          "relation": "other-tenant", "kind": "case", "via": null, "evidence": "proven-leak",
          "instances": 1, "first_detection": {"probes": 1, "seconds": 0.1},
          "reproducer": {"root_cause": 0, "evidence": "proven-leak", "probe": "p1",
            "actor": {"identity": "a", "role": "applicant", "tenant": "75"}, "victim": null,
            "record": null, "request": null, "status": 200, "excerpt": "", "leaked": [],
            "explanation": "SUSPICIOUS words stay plain"},
          "shrunk": false, "cwe": [], "owasp": ""}],
        "findings": [{"root_cause": 0, "evidence": "proven-leak", "probe": "p1",
            "actor": {"identity": "a", "role": "applicant", "tenant": "75"}, "victim": null,
            "record": null, "request": null, "status": 200, "excerpt": "", "leaked": [],
            "explanation": "x"}],
        "warnings": [], "failures": []
    }"#;
}
