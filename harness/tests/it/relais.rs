//! "Relais" (`cloison_fixtures::corpus::relais`, a benchmark platform): session tokens that live two
//! seconds, a dead token answered 401, a folder the caller may not see 404, both refusals in the profile.
//! Run at default flags: the planted flaw (any folder readable by its number) is found (exit 1) with the
//! same root causes and instances as with tokens of an hour, and its fixed twin is clean (exit 0).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cloison_fixtures::corpus::relais::{PROFILE, Relais, router};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::{Evidence, Report};
use cloison_harness::run::execute;

use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

/// Serve Relais with tokens of `life` (and the flaw when `open_folders`) and run cloison at default flags.
async fn run_relais(life: Duration, open_folders: bool) -> MockRun<Relais> {
    let relais = Arc::new(Relais::new(life, open_folders));
    let (addr, server) = serve(router(relais.clone())).await;
    let files = ProfileFiles::write("relais", PROFILE, "");
    let args = url_args(addr, &files, 3, 1, 12);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: relais,
    }
}

/// The root causes of a report, by what makes them one (family, endpoint, role, relation, kind, via,
/// evidence), with their instances.
fn root_causes(report: &Report) -> BTreeMap<String, usize> {
    report
        .root_causes
        .iter()
        .map(|c| {
            (
                format!(
                    "{} {} {} {} {} {:?} {:?}",
                    c.family.name(),
                    c.endpoint,
                    c.role,
                    c.relation,
                    c.kind,
                    c.via,
                    c.evidence
                ),
                c.instances,
            )
        })
        .collect()
}

/// Tokens of two seconds, at default flags: the flaw is found with the same root causes and instances as
/// with tokens of an hour (no probe is lost to an expired session), and the fixed twin is clean (no expired
/// session's 401 is taken for a refusal, nor compared with one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relais_two_second_tokens_flaw_found_as_with_long_tokens_and_twin_clean() {
    let short = run_relais(Duration::from_secs(2), true).await;
    let report = short.report();
    assert!(
        short.mock.expired.load(Ordering::SeqCst) > 0,
        "tokens expired during the run: {}",
        report.summary()
    );
    assert_eq!(short.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.family.name() == "direct-read"
                && c.endpoint == "resources.case.read"
                && c.evidence == Evidence::ProvenLeak),
        "{}",
        report.summary()
    );
    let long = run_relais(Duration::from_secs(3600), true).await;
    assert_eq!(long.mock.expired.load(Ordering::SeqCst), 0);
    assert_eq!(
        long.result.exit,
        EXIT_FINDINGS,
        "{}",
        long.report().summary()
    );
    // The same root causes, and the same instances wherever they do not depend on which identifier the
    // target gave which record: a neighbouring identifier's owner follows the order of the creates, which
    // concurrent seeding does not fix from one run to the next.
    let (short_causes, long_causes) = (root_causes(report), root_causes(long.report()));
    assert_eq!(
        short_causes.keys().collect::<Vec<_>>(),
        long_causes.keys().collect::<Vec<_>>(),
        "two-second tokens find what tokens of an hour find"
    );
    let by_record = |causes: &BTreeMap<String, usize>| -> Vec<(String, usize)> {
        causes
            .iter()
            .filter(|(cause, _)| !cause.starts_with("identifier-guessing "))
            .map(|(cause, n)| (cause.clone(), *n))
            .collect()
    };
    assert_eq!(
        by_record(&short_causes),
        by_record(&long_causes),
        "two-second tokens find as many instances as tokens of an hour"
    );
    // Every probe is sent once, as with tokens of an hour (a re-sent probe is not counted twice), cell by
    // cell; neighbouring identifiers again excepted (whether a neighbour exists follows the creates' order).
    let sent = |report: &Report| -> Vec<(String, usize, usize)> {
        report
            .coverage
            .cells
            .iter()
            .filter(|c| c.family.name() != "identifier-guessing")
            .map(|c| {
                (
                    format!(
                        "{} {} {} {} {:?}",
                        c.family.name(),
                        c.endpoint,
                        c.role,
                        c.relation,
                        c.via
                    ),
                    c.planned,
                    c.sent,
                )
            })
            .collect()
    };
    assert_eq!(
        sent(report),
        sent(long.report()),
        "every probe is sent once, as with tokens of an hour"
    );

    // The twin's run is shorter (no findings to shrink): whether its tokens expire depends on the machine's
    // pace, so only the flawed run above is required to meet expired tokens.
    let twin = run_relais(Duration::from_secs(2), false).await;
    assert_clean(&twin.result, "hardened Relais with two-second tokens");
}
