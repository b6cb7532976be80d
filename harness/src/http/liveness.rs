//! Whether the target still answers: when it last answered anything (any status, any identity), shared by
//! every session of a run. The engine's give-up rule (`cloison_suites::outcome::give_up`) reads it: a target
//! that has answered nothing for a while and whose requests fail is taken as gone.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// When the target last answered, counted from the start of the run.
#[derive(Debug)]
pub struct Liveness {
    started: Instant,
    /// Milliseconds from `started` to the last answer (0: none yet).
    last_answer_ms: AtomicU64,
    /// Attempts that got no answer since the last answer.
    unanswered: AtomicUsize,
}

impl Default for Liveness {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            last_answer_ms: AtomicU64::new(0),
            unanswered: AtomicUsize::new(0),
        }
    }
}

impl Liveness {
    /// The target answered (any status): now.
    pub fn answered(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_answer_ms.fetch_max(ms, Ordering::SeqCst);
        self.unanswered.store(0, Ordering::SeqCst);
    }

    /// An attempt got no answer (a timeout, a refused or dropped connection).
    pub fn unanswered_attempt(&self) {
        self.unanswered.fetch_add(1, Ordering::SeqCst);
    }

    /// Attempts that got no answer since the target last answered.
    pub fn unanswered(&self) -> usize {
        self.unanswered.load(Ordering::SeqCst)
    }

    /// How long the target has answered nothing (since the start of the run when it never answered).
    pub fn silent_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_answer_ms.load(Ordering::SeqCst));
        self.started.elapsed().saturating_sub(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_ends_the_silence() {
        let liveness = Liveness {
            started: Instant::now() - Duration::from_secs(40),
            ..Liveness::default()
        };
        assert!(liveness.silent_for() >= Duration::from_secs(40));
        liveness.unanswered_attempt();
        assert_eq!(liveness.unanswered(), 1);
        liveness.answered();
        assert!(liveness.silent_for() < Duration::from_secs(5));
        assert_eq!(liveness.unanswered(), 0);
    }
}
