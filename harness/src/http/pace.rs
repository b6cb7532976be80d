//! The adaptive pace of a run: how many requests are in flight at once, and how long one may take, shared
//! by every phase (setup, logins, seeding, probes) through the one [`Pacer`] of the run's settings.
//!
//! - **The window** of requests in flight starts at [`INITIAL_WINDOW`] and grows by one per answered
//!   request until the first sign of pressure, then by one per window's worth of answers (additive
//!   increase); an answer slower than half the timeout in force does not grow it. A timeout, a dropped
//!   connection, a 429 or 503, or a burst of 5xx ([`BURST`] of the last [`RECENT`] answers) halves it
//!   (multiplicative decrease), once per episode: requests sent before the last decrease do not shrink
//!   it again. `--concurrency` is its ceiling.
//! - **Requests that cannot be sent again** (POST, PATCH: a create whose answer was lost may have landed)
//!   go one at a time, whatever the window: a platform that fails overlapping writes (`database is
//!   locked`) never sees two of cloison's, and none is lost to a burst.
//! - **The timeout of a request that may be sent again** (GET, HEAD, PUT, DELETE) follows the latencies
//!   observed: [`TIMEOUT_FACTOR`] times their 95th percentile, at least [`TIMEOUT_FLOOR`], doubled at
//!   each retry, never over `--timeout`; other requests wait the whole `--timeout`.
//!
//! A hand-written controller rather than a crate: the crates that do AIMD (`tower`'s load shedding,
//! `aimd`-style limiters) limit a service, not requests shared across phases with their own timeouts,
//! and the rules here are a few lines. [`Controller`] is the pure logic, table-tested; [`Pacer`] is its
//! async face.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The window at the start of a run.
pub const INITIAL_WINDOW: usize = 2;
/// Latencies kept for the timeout.
const SAMPLES: usize = 64;
/// Latencies needed before the timeout follows them (until then, `--timeout`).
const MIN_SAMPLES: usize = 16;
/// The shortest timeout the latencies may bring.
pub const TIMEOUT_FLOOR: Duration = Duration::from_secs(3);
/// The timeout is this many times the 95th percentile of the latencies.
pub const TIMEOUT_FACTOR: u32 = 4;
/// Answers looked at for a burst of server errors.
pub const RECENT: usize = 10;
/// Server errors (5xx other than 503) among the last [`RECENT`] answers that make a burst.
pub const BURST: usize = 3;

/// What one request came to, as the pace sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// An answer with this status, `latency` after the request was sent.
    Answered {
        /// The status.
        status: u16,
        /// From sending to the end of the body.
        latency: Duration,
    },
    /// No answer within the timeout.
    TimedOut,
    /// The connection was refused, reset or broken.
    Dropped,
}

/// Why the window shrank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A request timed out.
    TimedOut,
    /// A connection was refused, reset or broken.
    Dropped,
    /// The target answered 429 or 503.
    Busy,
    /// A burst of 5xx.
    ServerErrors,
}

/// How many times the window shrank, per cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shrinks {
    /// After a timeout.
    pub timeouts: usize,
    /// After a refused, reset or broken connection.
    pub resets: usize,
    /// After a 429 or 503.
    pub busy: usize,
    /// After a burst of 5xx.
    pub server_errors: usize,
}

impl Shrinks {
    /// Every shrink.
    pub fn total(&self) -> usize {
        self.timeouts + self.resets + self.busy + self.server_errors
    }

    fn count(&mut self, cause: Cause) {
        match cause {
            Cause::TimedOut => self.timeouts += 1,
            Cause::Dropped => self.resets += 1,
            Cause::Busy => self.busy += 1,
            Cause::ServerErrors => self.server_errors += 1,
        }
    }
}

/// The pace a run used, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaceReport {
    /// The ceiling of the window (`--concurrency`).
    pub concurrency: usize,
    /// The ceiling of requests started per second (`--rate`), if any.
    pub rate: Option<u32>,
    /// The ceiling of one request's timeout, in seconds (`--timeout`).
    pub timeout_ceiling_seconds: f64,
    /// The window at the start.
    pub initial_window: usize,
    /// The window at the end.
    pub final_window: usize,
    /// The smallest window of the run.
    pub min_window: usize,
    /// The largest window of the run.
    pub max_window: usize,
    /// Requests that cannot be sent again (POST, PATCH) in flight at once.
    pub writes_in_flight: usize,
    /// The timeout of a request that may be sent again at the end of the run, in seconds.
    pub timeout_seconds: f64,
    /// Requests that got an answer or failed.
    pub requests: usize,
    /// Shrinks of the window, per cause.
    pub shrinks: Shrinks,
}

impl PaceReport {
    /// One line for the terminal summary.
    pub fn line(&self) -> String {
        let mut line = format!(
            "pace: {} request(s) in flight at the end (from {}, between {} and {}; ceiling --concurrency {}), writes one at a time, timeout {:.1} s (ceiling --timeout {:.0})",
            self.final_window,
            self.initial_window,
            self.min_window,
            self.max_window,
            self.concurrency,
            self.timeout_seconds,
            self.timeout_ceiling_seconds
        );
        if let Some(rate) = self.rate {
            line.push_str(&format!(", at most {rate}/s (--rate)"));
        }
        line.push_str(&format!("; {}", self.shrinks_text()));
        line
    }

    /// The shrinks and their causes, as text.
    fn shrinks_text(&self) -> String {
        let s = &self.shrinks;
        if s.total() == 0 {
            return "the window never shrank".into();
        }
        let parts: Vec<String> = [
            (s.timeouts, "timeout(s)"),
            (s.resets, "dropped connection(s)"),
            (s.busy, "429/503"),
            (s.server_errors, "burst(s) of 5xx"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        format!("shrank {} time(s): {}", s.total(), parts.join(", "))
    }

    /// For a run that failed: the pace it used and which flag to change, when the target showed signs of
    /// pressure (none otherwise: the flags are not in question).
    pub fn advice(&self) -> Option<String> {
        let s = &self.shrinks;
        if s.total() == 0 {
            return None;
        }
        let mut flags = Vec::new();
        if s.timeouts > 0 {
            let longer = (self.timeout_ceiling_seconds * 3.0).clamp(60.0, 3600.0);
            flags.push(format!(
                "a longer --timeout (used: {:.0}; e.g. --timeout {longer:.0})",
                self.timeout_ceiling_seconds
            ));
        }
        if s.timeouts > 0 || s.resets > 0 || s.server_errors > 0 {
            flags.push(format!(
                "fewer requests at once (used: --concurrency {}, the window went down to {}; e.g. --concurrency 1)",
                self.concurrency, self.min_window
            ));
        }
        if s.busy > 0 || s.resets > 0 {
            let rate = match self.rate {
                Some(rate) => format!("used: --rate {rate}; e.g. --rate {}", (rate / 2).max(1)),
                None => "none was set; e.g. --rate 5".into(),
            };
            flags.push(format!("a lower --rate ({rate})"));
        }
        Some(format!(
            "the target showed signs of overload ({}); try {}",
            self.shrinks_text(),
            flags.join(", ")
        ))
    }
}

/// The pure logic of the pace: the window and the timeout, from what requests came to.
#[derive(Debug, Clone)]
pub struct Controller {
    ceiling: usize,
    timeout_ceiling: Duration,
    window: usize,
    /// Answers counted toward the next increase.
    credit: usize,
    /// No shrink yet: the window grows by one per answer.
    ramping: bool,
    /// Bumped at each shrink: a request sent before it does not shrink the window again.
    epoch: u64,
    /// The latest latencies of answers.
    latencies: VecDeque<Duration>,
    /// The latest answers: whether each was a server error.
    recent: VecDeque<bool>,
    min: usize,
    max: usize,
    requests: usize,
    shrinks: Shrinks,
}

impl Controller {
    /// A controller under these ceilings (`--concurrency`, `--timeout`).
    pub fn new(ceiling: usize, timeout_ceiling: Duration) -> Self {
        let ceiling = ceiling.max(1);
        let window = INITIAL_WINDOW.min(ceiling);
        Self {
            ceiling,
            timeout_ceiling,
            window,
            credit: 0,
            ramping: true,
            epoch: 0,
            latencies: VecDeque::with_capacity(SAMPLES),
            recent: VecDeque::with_capacity(RECENT),
            min: window,
            max: window,
            requests: 0,
            shrinks: Shrinks::default(),
        }
    }

    /// Requests allowed in flight now.
    pub fn window(&self) -> usize {
        self.window
    }

    /// The current episode: a request remembers it when it is sent.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The timeout of a request's attempt (`retry` retries before it): the whole `--timeout` for a request
    /// that cannot be sent again, or before enough latencies are known.
    pub fn timeout(&self, idempotent: bool, retry: u32) -> Duration {
        if !idempotent || self.latencies.len() < MIN_SAMPLES {
            return self.timeout_ceiling;
        }
        let mut sorted: Vec<Duration> = self.latencies.iter().copied().collect();
        sorted.sort_unstable();
        let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
        let base = (p95 * TIMEOUT_FACTOR).max(TIMEOUT_FLOOR);
        let doubled = base.saturating_mul(1u32 << retry.min(16));
        doubled.min(self.timeout_ceiling)
    }

    /// Take what a request sent in `epoch` came to; the cause, when the window shrank.
    pub fn observe(&mut self, epoch: u64, signal: Signal) -> Option<Cause> {
        self.requests += 1;
        let pressure = match signal {
            Signal::TimedOut => Some(Cause::TimedOut),
            Signal::Dropped => Some(Cause::Dropped),
            Signal::Answered { status, latency } => self.answered(status, latency),
        };
        let cause = pressure.filter(|_| epoch == self.epoch)?;
        self.window = (self.window / 2).max(1);
        self.ramping = false;
        self.credit = 0;
        self.epoch += 1;
        self.min = self.min.min(self.window);
        self.shrinks.count(cause);
        Some(cause)
    }

    /// An answer: pressure if it asks to come back later or ends a burst of server errors; otherwise its
    /// latency is kept and, if it is not slow, the window grows.
    fn answered(&mut self, status: u16, latency: Duration) -> Option<Cause> {
        if status == 429 || status == 503 {
            return Some(Cause::Busy);
        }
        let server_error = status >= 500;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(server_error);
        if server_error {
            let errors = self.recent.iter().filter(|e| **e).count();
            return (errors >= BURST).then_some(Cause::ServerErrors);
        }
        let slow = latency > self.timeout(true, 0) / 2;
        if self.latencies.len() == SAMPLES {
            self.latencies.pop_front();
        }
        self.latencies.push_back(latency);
        if !slow {
            self.grow();
        }
        None
    }

    /// One more answer without pressure: by one per answer while ramping, by one per window's worth of
    /// answers after.
    fn grow(&mut self) {
        if self.window >= self.ceiling {
            return;
        }
        self.credit += 1;
        if self.ramping || self.credit >= self.window {
            self.window += 1;
            self.credit = 0;
            self.max = self.max.max(self.window);
        }
    }

    /// What the pace was, for the report (`rate`: the `--rate` ceiling, reported as is).
    pub fn report(&self, rate: Option<u32>) -> PaceReport {
        PaceReport {
            concurrency: self.ceiling,
            rate,
            timeout_ceiling_seconds: self.timeout_ceiling.as_secs_f64(),
            initial_window: INITIAL_WINDOW.min(self.ceiling),
            final_window: self.window,
            min_window: self.min,
            max_window: self.max,
            writes_in_flight: 1,
            timeout_seconds: self.timeout(true, 0).as_secs_f64(),
            requests: self.requests,
            shrinks: self.shrinks,
        }
    }
}

/// The window and the in-flight count, under one lock.
#[derive(Debug)]
struct State {
    controller: Controller,
    in_flight: usize,
}

/// The pace of a run, shared by every request: each waits for a [`Slot`] before it is sent, and tells it
/// what it came to.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    /// Woken when a slot frees or the window changes.
    freed: Notify,
    /// Requests that cannot be sent again, one at a time.
    writes: Semaphore,
    rate: Option<u32>,
}

impl Pacer {
    /// The pace under these ceilings: `--concurrency`, `--timeout`, and `--rate` (reported only: the rate is
    /// kept by [`super::Pace`]).
    pub fn new(concurrency: usize, timeout: Duration, rate: Option<u32>) -> Self {
        Self {
            state: Mutex::new(State {
                controller: Controller::new(concurrency, timeout),
                in_flight: 0,
            }),
            freed: Notify::new(),
            writes: Semaphore::new(1),
            rate,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Wait for a slot in the window (and, for a request that cannot be sent again, for the previous one
    /// of its kind to end).
    pub async fn slot(&self, idempotent: bool) -> Slot<'_> {
        let write = if idempotent {
            None
        } else {
            self.writes.acquire().await.ok()
        };
        loop {
            let freed = std::pin::pin!(self.freed.notified());
            let mut freed = freed;
            freed.as_mut().enable();
            {
                let mut state = self.lock();
                if state.in_flight < state.controller.window() {
                    state.in_flight += 1;
                    return Slot {
                        pacer: self,
                        epoch: state.controller.epoch(),
                        sent: Instant::now(),
                        signal: None,
                        _write: write,
                    };
                }
            }
            freed.await;
        }
    }

    /// The timeout of an attempt (see [`Controller::timeout`]).
    pub fn timeout(&self, idempotent: bool, retry: u32) -> Duration {
        self.lock().controller.timeout(idempotent, retry)
    }

    /// The pace so far, for the report.
    pub fn report(&self) -> PaceReport {
        self.lock().controller.report(self.rate)
    }

    fn release(&self, epoch: u64, signal: Option<Signal>) {
        {
            let mut state = self.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
            if let Some(signal) = signal {
                state.controller.observe(epoch, signal);
            }
        }
        self.freed.notify_waiters();
    }
}

/// A request's place in the window, given back when dropped (with what the request came to, if told).
#[derive(Debug)]
pub struct Slot<'p> {
    pacer: &'p Pacer,
    epoch: u64,
    sent: Instant,
    signal: Option<Signal>,
    _write: Option<SemaphorePermit<'p>>,
}

impl Slot<'_> {
    /// Time since the request was sent.
    pub fn elapsed(&self) -> Duration {
        self.sent.elapsed()
    }

    /// The request was answered with `status`.
    pub fn answered(&mut self, status: u16) {
        self.signal = Some(Signal::Answered {
            status,
            latency: self.elapsed(),
        });
    }

    /// The request got no answer: it timed out, or its connection was refused, reset or broken.
    pub fn failed(&mut self, timed_out: bool) {
        self.signal = Some(if timed_out {
            Signal::TimedOut
        } else {
            Signal::Dropped
        });
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.pacer.release(self.epoch, self.signal.take());
    }
}

#[cfg(test)]
#[path = "pace_tests.rs"]
mod tests;
