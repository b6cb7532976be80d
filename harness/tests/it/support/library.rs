//! Running cloison through the library (`run::execute`) against a mock at a URL, and checking its report.

use std::net::SocketAddr;
use std::sync::Arc;

use cloison_harness::cli::EXIT_OK;
use cloison_harness::report::{Outcome, Report, RootCause};
use cloison_harness::run::{RunArgs, RunResult};
use cloison_harness::target::TargetSpec;

use super::files::ProfileFiles;

/// A finished run against a mock, and the mock (its state afterwards).
pub(crate) struct MockRun<M> {
    pub result: RunResult,
    pub mock: Arc<M>,
}

impl<M> MockRun<M> {
    pub fn report(&self) -> &Report {
        &self.result.report
    }
}

/// `--target url:http://ADDR`.
pub(crate) fn url_target(addr: SocketAddr) -> TargetSpec {
    TargetSpec::Url(format!("http://{addr}").parse().expect("url"))
}

/// A quiet run of the profile in `files` against the mock at `addr` (its secrets found through the
/// profile's `secrets_file`).
pub(crate) fn url_args(
    addr: SocketAddr,
    files: &ProfileFiles,
    seed: u64,
    tenants: usize,
    cases: u64,
) -> RunArgs {
    RunArgs {
        target: url_target(addr),
        profile: Some(files.profile.clone()),
        seed,
        tenants: cloison_generators::TenantSelection::Count(tenants),
        cases,
        quiet: true,
        ..RunArgs::default()
    }
}

/// Exit 0, outcome clean, no failure, and every control run passed (at least one ran).
pub(crate) fn assert_clean(result: &RunResult, what: &str) {
    let report = &result.report;
    assert_eq!(result.exit, EXIT_OK, "{what}: {}", report.summary());
    assert_eq!(report.outcome, Outcome::Clean, "{what}");
    assert!(report.failures.is_empty(), "{what}: {:?}", report.failures);
    assert!(report.coverage.controls_run > 0, "{what}");
    assert_eq!(
        report.coverage.controls_passed, report.coverage.controls_run,
        "{what}"
    );
}

/// The `curl` command a root cause's reproducer replays.
pub(crate) fn curl(cause: &RootCause) -> &str {
    &cause
        .reproducer
        .request
        .as_ref()
        .expect("a reproducer carries its request")
        .curl
}
