//! `poll`: how an endpoint's answer `202 Accepted` is followed until ready (where it says to look, how
//! often, for how long).

use std::time::Duration;

use super::Validator;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::Poll;
use crate::profile::raw::RawPoll;

/// The longest budget a profile may give: a run's probes must end.
const MAX_BUDGET_SECONDS: f64 = 600.0;

impl Validator<'_> {
    /// `poll`, or the defaults (the `Location` header, one look a second for 30 seconds).
    pub(super) fn poll(&self, at: &KeyPath, raw: Option<&RawPoll>) -> Result<Poll, ProfileError> {
        let Some(raw) = raw else {
            return Ok(Poll::default());
        };
        let location = raw
            .location
            .as_deref()
            .map(|p| self.pointer(&at.key("location"), p))
            .transpose()?;
        let seconds = |key: &str, value: Option<f64>, default: Duration| {
            match value {
            None => Ok(default),
            Some(s) if s.is_finite() && s > 0.0 && s <= MAX_BUDGET_SECONDS => {
                Ok(Duration::from_secs_f64(s))
            }
            Some(s) => Err(self.err(
                &at.key(key),
                format!("`{s}` seconds: expected a number of seconds above 0 and at most {MAX_BUDGET_SECONDS}"),
            )),
        }
        };
        let interval = seconds("interval", raw.interval, Poll::DEFAULT_INTERVAL)?;
        let budget = seconds("budget", raw.budget, Poll::DEFAULT_BUDGET)?;
        if budget < interval {
            return Err(self.err(
                &at.key("budget"),
                format!(
                    "a budget of {} s is shorter than the interval of {} s: expected room for at least one look",
                    budget.as_secs_f64(),
                    interval.as_secs_f64()
                ),
            ));
        }
        Ok(Poll {
            location,
            interval,
            budget,
        })
    }
}
