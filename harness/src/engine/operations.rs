//! Progress per OpenAPI operation: in a phase with generic probes (`openapi METHOD /path...`), how many of
//! their operations are done (every probe of theirs judged, not sent or failed) and which one was probed
//! last, for the bar's message and the progress log's line.

use std::collections::HashMap;

use crate::openapi::reach::PREFIX;

/// The operation a generic endpoint key probes (`GET /items/{id}/`), or `None` for a profile endpoint.
pub(super) fn operation(endpoint: &str) -> Option<&str> {
    let rest = endpoint.strip_prefix(PREFIX)?;
    Some(rest.split_once(" (").map_or(rest, |(op, _)| op))
}

/// The generic operations of the phase in progress.
#[derive(Debug, Default)]
pub(super) struct Operations {
    /// Probes not yet done, per operation.
    left: HashMap<String, usize>,
    done: usize,
    last: Option<String>,
}

impl Operations {
    /// A new phase: nothing counted.
    pub(super) fn reset(&mut self) {
        *self = Self::default();
    }

    /// A probe of the phase, planned.
    pub(super) fn planned(&mut self, endpoint: &str) {
        if let Some(op) = operation(endpoint) {
            *self.left.entry(op.to_string()).or_default() += 1;
        }
    }

    /// A probe of the phase, done (judged, not sent or failed).
    pub(super) fn done(&mut self, endpoint: &str) {
        let Some(op) = operation(endpoint) else {
            return;
        };
        if let Some(left) = self.left.get_mut(op) {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.done += 1;
            }
        }
        self.last = Some(op.to_string());
    }

    /// `OpenAPI operations 3/12, last GET /items/{id}/`, or `None` when the phase has no generic probe.
    pub(super) fn message(&self) -> Option<String> {
        if self.left.is_empty() {
            return None;
        }
        Some(format!(
            "OpenAPI operations {}/{}{}",
            self.done,
            self.left.len(),
            self.last
                .as_deref()
                .map(|op| format!(", last {op}"))
                .unwrap_or_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_done_when_every_probe_of_theirs_is() {
        let mut ops = Operations::default();
        assert_eq!(ops.message(), None);
        for key in [
            "openapi GET /items/{id}/ (case ids)",
            "openapi GET /items/{id}/ (note ids)",
            "openapi GET /board/ (no credentials)",
            "resources.case.read",
        ] {
            ops.planned(key);
        }
        ops.done("openapi GET /items/{id}/ (note ids)");
        assert_eq!(
            ops.message().as_deref(),
            Some("OpenAPI operations 0/2, last GET /items/{id}/")
        );
        ops.done("resources.case.read");
        ops.done("openapi GET /items/{id}/ (case ids)");
        ops.done("openapi GET /board/ (no credentials)");
        assert_eq!(
            ops.message().as_deref(),
            Some("OpenAPI operations 2/2, last GET /board/")
        );
        assert_eq!(operation("resources.case.read"), None);
    }
}
