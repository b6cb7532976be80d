//! "Jeton" (`cloison_fixtures::corpus::jeton`, a benchmark platform): a notes service whose identity lives
//! only in its tokens (HS256 JSON Web Tokens, no session table). The planted flaw signs the tokens with
//! `changeme`, a key of every list of common secrets; its fixed twin draws a strong key. A third shape hands
//! out opaque tokens (a session table): there is nothing to forge, and the forged-credential family is
//! skipped with its reason. Run at default flags.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cloison_fixtures::corpus::jeton::{Jeton, PROFILE, Tokens, router};
use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::report::Evidence;
use cloison_harness::run::execute;

use crate::support::files::ProfileFiles;
use crate::support::library::{MockRun, assert_clean, url_args};
use crate::support::serve;

async fn run_jeton(tokens: Tokens) -> MockRun<Jeton> {
    let jeton = Arc::new(Jeton::new(tokens));
    let (addr, server) = serve(router(jeton.clone())).await;
    let files = ProfileFiles::write("jeton", PROFILE, "");
    let args = url_args(addr, &files, 5, 1, 8);
    let result = execute(&args).await.expect("the run completes");
    server.abort();
    MockRun {
        result,
        mock: jeton,
    }
}

fn forged_family(run: &MockRun<Jeton>) -> (usize, Option<String>) {
    let family = run
        .report()
        .coverage
        .families
        .iter()
        .find(|f| f.family == "forged-credential")
        .expect("the family is listed");
    (family.sent, family.skipped.clone())
}

/// Tokens signed with a common weak key: a token forged from a member's own, signed again with the key
/// found offline and naming another member, reads that member's note (PROVEN); no key, no signature and
/// `alg: none` are refused. The fixed twin (a random key) is clean, its forgeries all refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jeton_weak_signing_key_forged_credential_proven_and_random_key_twin_clean() {
    let flawed = run_jeton(Tokens::Signed(b"changeme".to_vec())).await;
    let report = flawed.report();
    assert_eq!(flawed.result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        flawed.mock.forged_accepted.load(Ordering::SeqCst) > 0,
        "a forged token was accepted: {}",
        report.summary()
    );
    let forged: Vec<_> = report
        .root_causes
        .iter()
        .filter(|c| c.family.name() == "forged-credential")
        .collect();
    assert!(
        forged.iter().any(|c| c.evidence == Evidence::ProvenLeak
            && c.endpoint == "resources.case.read"
            && c.via.as_deref() == Some("a token forged: weak-key")),
        "{}",
        report.summary()
    );
    assert!(
        forged
            .iter()
            .all(|c| c.via.as_deref() == Some("a token forged: weak-key")),
        "only the weak key gets through (no alg none, no expired token): {}",
        report.summary()
    );
    // Nothing but the forgery: the members' own sessions read nothing of others.
    assert!(
        report
            .root_causes
            .iter()
            .all(|c| c.family.name() == "forged-credential"),
        "{}",
        report.summary()
    );
    // The key and the forged tokens are credentials: the report shows neither.
    let json = serde_json::to_string(report).expect("json");
    assert!(!json.contains("changeme"), "the weak key is redacted");
    assert!(
        json.contains("forged from"),
        "the reproducer says how the token was made"
    );

    let twin = run_jeton(Tokens::Signed(
        (0..32).map(|i| (i * 37 + 11) as u8).collect(),
    ))
    .await;
    assert_clean(&twin.result, "Jeton with a strong key");
    assert_eq!(twin.mock.forged_accepted.load(Ordering::SeqCst), 0);
    let (sent, skipped) = forged_family(&twin);
    assert!(sent > 0 && skipped.is_none(), "{sent} {skipped:?}");
}

/// Opaque tokens: nothing to forge; the family is skipped with its reason and the run is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jeton_opaque_tokens_skip_the_forged_credential_family_with_the_reason() {
    let opaque = run_jeton(Tokens::Opaque).await;
    assert_clean(&opaque.result, "Jeton with opaque tokens");
    let (sent, skipped) = forged_family(&opaque);
    assert_eq!(sent, 0);
    let skipped = skipped.expect("skipped");
    assert!(
        skipped.contains("not JSON Web Tokens"),
        "{skipped}: {}",
        opaque.report().summary()
    );
    assert!(
        opaque.report().summary().contains("forged-credential"),
        "{}",
        opaque.report().summary()
    );
}
