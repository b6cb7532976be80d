//! The last phase of a run: functions that change state and name no record (a purge, a year closed, a user
//! deleted by a name the caller gives), called by the roles not granted them (`Planned::last`). What such a
//! call changes is not confined to the pool set aside for writes, so nothing is judged after them: they run
//! after every other probe, the stateful suite included, one at a time; and once one of them is not
//! refused (`cloison_suites::planner::last_may_go_on`), the others are not sent, each saying why.

use cloison_suites::planner::last_may_go_on;
use cloison_suites::{Probe, Unsent};

use super::executor::Executor;
use crate::event::{Event, NotSent};

impl Executor<'_> {
    /// Call the functions of `probes` one at a time, until one is not refused.
    pub(super) async fn execute_last(&self, probes: &[Probe]) {
        if probes.is_empty() {
            return;
        }
        self.plan_phase(probes, "functions that change state");
        let mut unknown: Option<Unsent> = None;
        for (index, probe) in probes.iter().enumerate() {
            let result = match &unknown {
                Some(why) => Ok(Err(NotSent::Skipped(why.clone()))),
                None => self.attempt(index, probe).await,
            };
            if unknown.is_none()
                && let Ok(Ok(judged)) = &result
                && !last_may_go_on(&judged.verdict)
            {
                unknown = Some(Unsent::AfterAcceptedFunction {
                    endpoint: probe.endpoint.clone(),
                    actor: probe.actor.clone(),
                    status: judged.exchange.as_ref().map(|e| e.observed.status),
                });
            }
            self.settle(index, probe, &result);
        }
        self.sink.event(&Event::PhaseEnd);
    }
}
