//! When a request is sent again: the retry policy the session applies to every request.
//!
//! A hand-written policy rather than a retry crate (`backon`, `tokio-retry`): the rules need the failure
//! kind (a status asks for a retry, a transport error only for an idempotent method), a `Retry-After` that
//! raises the delay for the rest of the chain, the last attempt's 429 or 503 kept as the answer, and the
//! first failure remembered for the exchange; expressing that through a crate's hooks would be longer.

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// How a request is retried: up to `retries` times after the first attempt, on 429, 503 and transport
/// errors, waiting `backoff` first and twice as long at each retry (at most five seconds, at least what a
/// `Retry-After` asks). A transport error (timeout, dropped connection) is retried only for an idempotent
/// method: a create or an update may have been applied before the connection broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff delay; doubled at each retry.
    pub backoff: Duration,
}

/// Why an attempt got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The target answered 429 or 503 (asking to come back later), with its `Retry-After` if any.
    Status {
        /// The status.
        status: u16,
        /// How long the target asked to wait (at most five seconds).
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused, timeout, reset, broken body.
    Transport(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status { status, .. } => write!(f, "status {status}"),
            Self::Transport(reason) => f.write_str(reason),
        }
    }
}

/// An answer, and why the first attempt got none when it came on a retry.
#[derive(Debug)]
pub struct Retried<T> {
    /// The answer.
    pub value: T,
    /// The first attempt's failure, when there was a retry.
    pub after: Option<Failure>,
}

/// No answer after every attempt the policy allowed.
#[derive(Debug)]
pub struct Exhausted {
    /// The last failure.
    pub failure: Failure,
    /// Attempts made.
    pub attempts: u32,
}

impl RetryPolicy {
    /// `retries` retries after the first attempt, the first after `backoff`.
    pub fn new(retries: u32, backoff: Duration) -> Self {
        Self { retries, backoff }
    }

    /// A single attempt.
    pub fn none() -> Self {
        Self::new(0, Duration::ZERO)
    }

    /// Whether an answer with this status asks for a retry (when one is left).
    pub fn retries_status(status: u16) -> bool {
        status == 429 || status == 503
    }

    /// Run `attempt` until it answers or the policy allows no more. `attempt` is told whether a retry is
    /// still possible after it: the last attempt keeps a 429 or 503 as its answer.
    pub async fn run<T, F, Fut>(
        &self,
        idempotent: bool,
        mut attempt: F,
    ) -> Result<Retried<T>, Exhausted>
    where
        F: FnMut(bool) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut delay = self.backoff;
        let mut first = None;
        let mut attempts = 0;
        loop {
            let more = attempts < self.retries;
            attempts += 1;
            let failure = match attempt(more).await {
                Ok(value) => {
                    return Ok(Retried {
                        value,
                        after: first,
                    });
                }
                Err(failure) => failure,
            };
            if !self.retryable(&failure, more, idempotent) {
                return Err(Exhausted { failure, attempts });
            }
            if let Failure::Status {
                retry_after: Some(after),
                ..
            } = failure
            {
                delay = delay.max(after);
            }
            first.get_or_insert(failure);
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_DELAY);
        }
    }

    /// Whether a failed attempt is tried again: never when none is left, never a non-idempotent request
    /// after a transport error.
    fn retryable(&self, failure: &Failure, more: bool, idempotent: bool) -> bool {
        more && (idempotent || matches!(failure, Failure::Status { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `policy` over scripted attempt results; the attempts' `more` flags and the outcome.
    async fn script(
        policy: RetryPolicy,
        idempotent: bool,
        results: Vec<Result<u16, Failure>>,
    ) -> (Vec<bool>, Result<Retried<u16>, Exhausted>) {
        let mut results = results.into_iter();
        let mut seen = Vec::new();
        let outcome = policy
            .run(idempotent, |more| {
                seen.push(more);
                let next = results.next().unwrap_or(Ok(200));
                async move { next }
            })
            .await;
        (seen, outcome)
    }

    fn busy() -> Failure {
        Failure::Status {
            status: 503,
            retry_after: None,
        }
    }

    #[tokio::test]
    async fn a_retry_answer_remembers_the_first_failure() {
        let policy = RetryPolicy::new(3, Duration::from_millis(1));
        let timeout = Failure::Transport("timed out".into());
        let (seen, outcome) = script(policy, true, vec![Err(timeout), Err(busy()), Ok(201)]).await;
        assert_eq!(seen, vec![true, true, true]);
        let answered = outcome.expect("answered");
        assert_eq!(answered.value, 201);
        assert_eq!(
            answered.after.map(|f| f.to_string()).as_deref(),
            Some("timed out")
        );
    }

    #[tokio::test]
    async fn a_non_idempotent_request_is_never_sent_again_after_a_transport_error() {
        let policy = RetryPolicy::new(3, Duration::from_millis(1));
        let (seen, outcome) =
            script(policy, false, vec![Err(Failure::Transport("reset".into()))]).await;
        assert_eq!(seen, vec![true]);
        let exhausted = outcome.expect_err("no retry");
        assert_eq!(
            (exhausted.failure.to_string(), exhausted.attempts),
            ("reset".into(), 1)
        );
        // A 503 asks to come back later: it is retried whatever the method.
        let (seen, outcome) = script(policy, false, vec![Err(busy()), Ok(201)]).await;
        assert_eq!(seen, vec![true, true]);
        assert_eq!(outcome.expect("answered").value, 201);
    }

    #[tokio::test]
    async fn the_last_attempt_is_told_no_retry_is_left() {
        let policy = RetryPolicy::new(1, Duration::from_millis(1));
        let (seen, outcome) = script(policy, true, vec![Err(busy()), Err(busy())]).await;
        assert_eq!(seen, vec![true, false]);
        let exhausted = outcome.expect_err("exhausted");
        assert_eq!(
            (exhausted.failure.to_string(), exhausted.attempts),
            ("status 503".into(), 2)
        );
        assert!(RetryPolicy::retries_status(429) && !RetryPolicy::retries_status(500));
    }
}
