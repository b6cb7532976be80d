//! When cloison takes a target as gone and stops sending: a rule on what the engine counts (probes in a row
//! that got no answer after their retries, requests without an answer) and on how long the target has
//! answered nothing at all.

use std::time::Duration;

/// Probes in a row without an answer (after their retries) after which the target is gone, however recently
/// it answered something else.
pub const GIVE_UP_AFTER: usize = 25;

/// A target that has answered nothing (no status, to any request) for this long, while a request went
/// unanswered, is gone: a hung target ends a run within about a minute, whatever the phase.
pub const SILENT_FOR: Duration = Duration::from_secs(30);

/// Why cloison gave up on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// This many probes in a row got no answer after their retries.
    FailuresInARow(usize),
    /// The target answered nothing for `seconds`, while `unanswered` requests got no answer.
    Silent {
        /// Seconds since the target last answered anything.
        seconds: u64,
        /// Requests (attempts) that got no answer since.
        unanswered: usize,
    },
}

impl std::fmt::Display for GiveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GiveUp::FailuresInARow(failures) => {
                write!(f, "the target failed {failures} times in a row")
            }
            GiveUp::Silent {
                seconds,
                unanswered,
            } => write!(
                f,
                "the target answered nothing for {seconds} s ({unanswered} request(s) got no answer)"
            ),
        }
    }
}

/// Whether to give up, after `failures` probes in a row without an answer, while the target has answered
/// nothing for `silent` and `unanswered` requests got no answer since: [`GIVE_UP_AFTER`] such probes, or
/// an unanswered request after [`SILENT_FOR`] of silence.
pub fn give_up(failures: usize, silent: Duration, unanswered: usize) -> Option<GiveUp> {
    if failures >= GIVE_UP_AFTER {
        Some(GiveUp::FailuresInARow(failures))
    } else if unanswered > 0 && silent >= SILENT_FOR {
        Some(GiveUp::Silent {
            seconds: silent.as_secs(),
            unanswered,
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_gone_after_failures_in_a_row_or_an_unanswered_request_in_a_long_silence() {
        let s = Duration::from_secs;
        let table = [
            // (probes failed in a row, silent for, requests unanswered since, gone)
            (0, s(0), 0, false),
            (0, s(600), 0, false), // nothing went unanswered: a slow answer is still awaited
            (1, s(5), 1, false),
            (24, s(29), 40, false),
            (25, s(0), 0, true),
            (0, s(30), 1, true),
            (3, s(45), 12, true),
        ];
        for (failures, silent, unanswered, gone) in table {
            assert_eq!(
                give_up(failures, silent, unanswered).is_some(),
                gone,
                "{failures} failures, {silent:?}, {unanswered} unanswered"
            );
        }
        assert_eq!(
            give_up(2, s(41), 4),
            Some(GiveUp::Silent {
                seconds: 41,
                unanswered: 4
            })
        );
        assert_eq!(give_up(25, s(41), 4), Some(GiveUp::FailuresInARow(25)));
    }
}
