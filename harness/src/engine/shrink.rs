//! Minimal reproducers: a failing cell is shrunk with proptest over its candidates in world order (the
//! strategy of `cloison_suites::probes::cell_strategy`), re-sending each candidate to the target, down to
//! the earliest identity and record that still show the flaw: two identities, one object, one request.

use std::sync::Arc;

use cloison_suites::planner::cell_candidates;
use cloison_suites::probes::cell_strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use cloison_suites::Verdict;

use super::executor::Executor;
use crate::event::Judged;

/// Candidates tried at most per failing cell.
const CANDIDATES: usize = 64;

impl Executor<'_> {
    /// Whether a judged probe's cell can be shrunk: a leak of a plain, record-aimed read that changes
    /// nothing.
    fn shrinkable(&self, event: &Judged) -> bool {
        let probe = &event.probe;
        matches!(event.verdict, Verdict::Leak(_))
            && probe.variant == cloison_suites::Variant::Plain
            && probe.record.is_some()
            && probe.actor.is_some()
            && !probe.family.mutates()
            && self
                .profile
                .endpoint_by_key(&probe.endpoint)
                .is_some_and(crate::profile::Endpoint::is_read)
    }

    /// Shrink each failing cell of `events` (leaks of plain, record-aimed probes that change nothing) to its
    /// minimal reproducer. Returns, per cell, the judged minimal probe. Needs a multi-threaded runtime (it
    /// drives the target from proptest's synchronous runner); elsewhere it returns nothing.
    pub(super) fn shrink(&self, events: &[Judged]) -> Vec<Judged> {
        if tokio::runtime::Handle::try_current()
            .map(|h| h.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread)
            .unwrap_or(true)
        {
            return Vec::new();
        }
        let mut done = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for event in events {
            let probe = &event.probe;
            let shrinkable = self.shrinkable(event);
            if !shrinkable || !done.insert(probe.cell.clone()) {
                continue;
            }
            let candidates = Arc::new(
                cell_candidates(
                    &self.plan.population,
                    &self.profile.policy,
                    probe,
                    CANDIDATES,
                )
                .into_iter()
                .filter(|c| {
                    c.record
                        .as_deref()
                        .is_some_and(|r| self.seeded.record_ids.contains_key(r))
                })
                .collect::<Vec<_>>(),
            );
            if candidates.is_empty() {
                continue;
            }
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&self.plan.world.config().seed.to_le_bytes());
            let mut runner = TestRunner::new_with_rng(
                Config {
                    cases: 24,
                    max_shrink_iters: 64,
                    failure_persistence: None,
                    ..Config::default()
                },
                TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
            );
            let handle = tokio::runtime::Handle::current();
            let found = std::sync::Mutex::new(None::<Judged>);
            let result = runner.run(&cell_strategy(candidates), |candidate| {
                let judged =
                    tokio::task::block_in_place(|| handle.block_on(self.judge(&candidate)));
                if let Ok(Ok(judged)) = judged
                    && matches!(judged.verdict, Verdict::Leak(_))
                {
                    let id = candidate.id();
                    if let Ok(mut slot) = found.lock() {
                        *slot = Some(judged);
                    }
                    return Err(proptest::test_runner::TestCaseError::fail(id));
                }
                Ok(())
            });
            // The last failing candidate proptest reported is the minimal one; judge it once more so the
            // reproducer is the minimal probe's own exchange.
            if let Err(TestError::Fail(_, minimal)) = result {
                let judged = tokio::task::block_in_place(|| handle.block_on(self.judge(&minimal)));
                match judged {
                    Ok(Ok(judged)) if matches!(judged.verdict, Verdict::Leak(_)) => {
                        out.push(judged)
                    }
                    _ => {
                        if let Some(last) = found.lock().ok().and_then(|mut s| s.take()) {
                            out.push(last);
                        }
                    }
                }
            }
        }
        out
    }
}
