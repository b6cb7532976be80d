//! The terminal progress as a sink of events: a bar per phase (drawn on a terminal only), and off a
//! terminal the phases and the findings so far for `crate::progress`'s lines.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::event::{Event, ProbeState, Sink};
use crate::progress::ProgressLog;

/// The bar of the phase in progress.
pub(super) struct Bars {
    draw: bool,
    log: Option<Arc<ProgressLog>>,
    current: Mutex<Option<ProgressBar>>,
    /// The OpenAPI operations of the phase in progress (its message).
    operations: Mutex<super::operations::Operations>,
}

impl Bars {
    /// Bars drawn when `progress` is asked and standard error is a terminal; `log` counts the phases and
    /// findings elsewhere.
    pub(super) fn new(progress: bool, log: Option<Arc<ProgressLog>>) -> Self {
        Self {
            draw: progress,
            log,
            current: Mutex::new(None),
            operations: Mutex::default(),
        }
    }

    fn start(&self, len: usize, what: &str) {
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
        if !self.draw || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(what.to_string());
        if let Ok(mut operations) = self.operations.lock() {
            operations.reset();
        }
        if let Some(log) = &self.log {
            log.phase(&bar);
        }
        if let Ok(mut current) = self.current.lock() {
            *current = Some(bar);
        }
    }

    /// Count a generic probe of the phase (planned, or done), and show the operations done.
    fn operation(&self, endpoint: &str, done: bool) {
        let Ok(mut operations) = self.operations.lock() else {
            return;
        };
        if done {
            operations.done(endpoint);
            if let Some(message) = operations.message() {
                self.with_bar(|bar| bar.set_message(message));
            }
        } else {
            operations.planned(endpoint);
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(current) = self.current.lock()
            && let Some(bar) = current.as_ref()
        {
            f(bar);
        }
    }
}

impl Sink for Bars {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Phase { name, steps } => self.start(*steps, name),
            Event::Step => self.with_bar(|bar| bar.inc(1)),
            Event::PhaseEnd => self.with_bar(ProgressBar::finish_and_clear),
            Event::Probe { state, probe, .. } => match state {
                ProbeState::Planned => self.operation(&probe.endpoint, false),
                ProbeState::Sent => {}
                ProbeState::Judged(judged) => {
                    self.operation(&probe.endpoint, true);
                    self.with_bar(|bar| bar.inc(1));
                    if let Some(log) = &self.log
                        && judged.verdict.is_finding()
                    {
                        log.finding();
                    }
                }
                ProbeState::NotSent(_) | ProbeState::Failed(_) => {
                    self.operation(&probe.endpoint, true);
                    self.with_bar(|bar| bar.inc(1));
                }
            },
            Event::SetupLeak(_)
            | Event::StatefulFailure(_)
            | Event::Reproducer(_)
            | Event::StatefulCovered { .. }
            | Event::Audited { .. }
            | Event::Finished { .. } => {}
        }
    }
}
