//! Progress off a terminal: where progress bars are not drawn (standard error is a CI log or a file), a
//! line when each phase starts and one every few seconds while it runs (phase, done out of total, findings
//! so far), instead of minutes of silence.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

/// How often a line is printed while a phase runs.
pub const EVERY: Duration = Duration::from_secs(5);

/// The progress of a run, shared by the engine (which reports phases and findings) and a ticker (which
/// prints).
#[derive(Debug)]
pub struct ProgressLog {
    started: Instant,
    current: Mutex<Option<ProgressBar>>,
    findings: AtomicUsize,
}

impl Default for ProgressLog {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressLog {
    /// A log starting now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            current: Mutex::new(None),
            findings: AtomicUsize::new(0),
        }
    }

    /// A phase starts, counted by `bar` (its prefix names it): print its first line.
    pub fn phase(&self, bar: &ProgressBar) {
        if let Ok(mut current) = self.current.lock() {
            *current = Some(bar.clone());
        }
        eprintln!("{}", self.line(bar));
    }

    /// A probe showed a finding.
    pub fn finding(&self) {
        self.findings.fetch_add(1, Ordering::Relaxed);
    }

    /// The line for the phase in progress, if one is.
    pub fn current_line(&self) -> Option<String> {
        let current = self.current.lock().ok()?;
        let bar = current.as_ref().filter(|bar| !bar.is_finished())?;
        Some(self.line(bar))
    }

    fn line(&self, bar: &ProgressBar) -> String {
        let findings = self.findings.load(Ordering::Relaxed);
        let message = bar.message();
        format!(
            "[{:>5} s] {}: {}/{}, {findings} finding{} so far{}",
            self.started.elapsed().as_secs(),
            bar.prefix().trim(),
            bar.position(),
            bar.length().unwrap_or(0),
            if findings == 1 { "" } else { "s" },
            if message.is_empty() {
                String::new()
            } else {
                format!("; {message}")
            }
        )
    }

    /// Print the phase in progress every `every` until the task is aborted.
    pub async fn tick(self: std::sync::Arc<Self>, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate: the phase's own first line says the same.
        interval.tick().await;
        loop {
            interval.tick().await;
            if let Some(line) = self.current_line() {
                eprintln!("{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_the_phase_what_is_done_and_the_findings() {
        let log = ProgressLog::new();
        assert_eq!(log.current_line(), None);
        let bar = ProgressBar::hidden();
        bar.set_length(1200);
        bar.set_prefix("      probes");
        log.phase(&bar);
        bar.inc(340);
        log.finding();
        log.finding();
        let line = log.current_line().expect("a phase runs");
        assert!(
            line.ends_with("] probes: 340/1200, 2 findings so far"),
            "{line}"
        );
        bar.finish_and_clear();
        assert_eq!(
            log.current_line(),
            None,
            "nothing is printed between phases"
        );
    }
}
