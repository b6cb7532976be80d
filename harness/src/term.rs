//! The terminal: colour only when the output is a terminal and `NO_COLOR` is unset (<https://no-color.org>).

use std::io::IsTerminal as _;

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

/// The summary, coloured when the stream it goes to (standard error when `to_stderr`) is a terminal.
pub fn paint(summary: &str, to_stderr: bool) -> String {
    if colour_enabled(to_stderr) {
        colour(summary)
    } else {
        summary.to_string()
    }
}

/// Colour the verdict line and the evidence labels of a summary.
pub fn colour(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len() + 64);
    for line in summary.split_inclusive('\n') {
        let (text, end) = match line.strip_suffix('\n') {
            Some(text) => (text, "\n"),
            None => (line, ""),
        };
        let painted = if text.starts_with("CLEAN") {
            format!("{GREEN}{text}{RESET}")
        } else if text.starts_with("FINDINGS") || text.starts_with("TARGET FAILURE") {
            format!("{RED}{text}{RESET}")
        } else if text.starts_with("INCONCLUSIVE") {
            format!("{YELLOW}{text}{RESET}")
        } else {
            text.replace("PROVEN LEAK", &format!("{RED}PROVEN LEAK{RESET}"))
                .replace("PROVEN TAMPERING", &format!("{RED}PROVEN TAMPERING{RESET}"))
                .replace("SUSPICIOUS", &format!("{YELLOW}SUSPICIOUS{RESET}"))
        };
        out.push_str(&painted);
        out.push_str(end);
    }
    out
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
        let text = "probes: 3\n  [1] PROVEN LEAK direct-read\nFINDINGS: 1 root cause(s)\n";
        let painted = colour(text);
        assert!(painted.contains("\x1b[1;31mFINDINGS: 1 root cause(s)\x1b[0m\n"));
        assert!(painted.contains("\x1b[1;31mPROVEN LEAK\x1b[0m direct-read"));
        assert!(painted.starts_with("probes: 3\n"));
    }
}
