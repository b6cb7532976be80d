//! OpenAPI reach on the reference portal: `cloison init --openapi` on the document the portal serves writes a
//! profile that, completed with the policy and the roles granted each function only, catches the same flaws
//! as the built-in profile; and the default run probes at least 90 % of the portal's operations.

use std::path::Path;

use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK, UsageError};
use cloison_harness::openapi::coverage::share;
use cloison_harness::openapi::init::{InitArgs, run as init};
use cloison_harness::report::Outcome;
use cloison_harness::run::{RunArgs, execute};
use futures_util::StreamExt;

/// What a user completes in the written profile: who may see what, and who may call each function. The
/// login the document describes is kept as written.
fn complete(text: &str) -> String {
    let policy_start = text.find("[policy]\n").expect("a [policy] table");
    let policy_end = policy_start + text[policy_start..].find("\n\n").expect("its end");
    let mut out = format!(
        "{}[policy]\napplicant = [\"own\"]\nrepresentative = [\"own\", \"represented\"]\nagent = [\"tenant\"]\ntenant_admin = [\"tenant\"]{}",
        &text[..policy_start],
        &text[policy_end..]
    );
    for (function, granted) in [
        ("list_tenant_cases", "[\"agent\", \"tenant_admin\"]"),
        ("audit_log", "[\"tenant_admin\"]"),
    ] {
        let header = format!("[functions.{function}]\n");
        let at = out.find(&header).expect("the function is written") + header.len();
        let line = at + out[at..].find("granted = ").expect("its granted roles");
        let end = line + out[line..].find('\n').expect("line end");
        out.replace_range(line..end, &format!("granted = {granted}"));
    }
    out
}

/// Flaws caught through account calls (`[accounts.update]`, `[accounts.password]`) that `cloison init` does
/// not write from a document yet: the built-in profile declares them by hand.
const NOT_FROM_A_DOCUMENT: [&str; 2] = ["role-self-assign", "password-change-idor"];
/// Flaws whose proof needs what no document says, so a profile written by `init` leaves it to be declared
/// (it does not find them, and raises no false alarm either): records the platform owns, proven by a
/// function's effect read back (`setup` and `effect`), and children filed under a foreign parent, proven by
/// the marker the create writes (`{{probe.marker || ...}}` in one of its fields), and the audit trail, read
/// where `[audit]` says.
const NEEDS_AN_EFFECT: &[&str] = &[
    "reference-data-open",
    "foreign-create",
    "audit-gaps",
    "audit-content",
];

#[test]
fn init_from_the_portal_document_catches_the_same_flaws_as_the_built_in_profile() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let portal = runtime
        .block_on(cloison_fixtures::spawn(cloison_fixtures::PortalConfig {
            operator_token: "op".into(),
            argon2: cloison_fixtures::Argon2Params::CHEAP,
            ..Default::default()
        }))
        .expect("the portal starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("portal.toml");
    let args = InitArgs {
        openapi: format!("{}/openapi.json", portal.base_url()),
        out: Some(out.clone()),
        force: false,
        timeout: 10,
    };
    assert_eq!(init(&args).expect("init writes a profile"), EXIT_OK);
    let written = std::fs::read_to_string(&out).expect("the profile");
    assert!(written.contains("openapi = \"/openapi.json\""), "{written}");
    assert!(written.contains("[transitions.transfer]"), "{written}");
    assert!(written.contains("[transitions.change_role]"), "{written}");
    assert!(
        written.contains("TODO"),
        "what a document cannot say is marked"
    );
    // The profile loads as written; a second init does not overwrite it.
    cloison_harness::profile::Profile::load(&out).expect("the written profile loads");
    let again = init(&args).expect_err("the file exists");
    assert!(again.chain().any(|c| c.is::<UsageError>()), "{again:#}");
    let completed = dir.path().join("completed.toml");
    std::fs::write(&completed, complete(&written)).expect("write");

    let mut runs = Vec::new();
    for flaw in cloison_fixtures::Flaw::ALL
        .map(|f| f.name())
        .into_iter()
        .filter(|f| !NOT_FROM_A_DOCUMENT.contains(f))
        .map(Some)
        .chain([None])
    {
        for profile in [None, Some(completed.clone())] {
            runs.push((flaw, profile));
        }
    }
    let results: Vec<(Option<&str>, bool, u8, Vec<String>)> = runtime.block_on(
        futures_util::stream::iter(runs)
            .map(|(flaw, profile)| async move {
                let builtin = profile.is_none();
                let args = RunArgs {
                    profile,
                    flaws: flaw.map(String::from).into_iter().collect(),
                    quiet: true,
                    ..RunArgs::default()
                };
                let result = execute(&args).await.expect("the run completes");
                let mut families: Vec<String> = result
                    .report
                    .root_causes
                    .iter()
                    .map(|c| c.family.name().to_string())
                    .collect();
                families.sort();
                families.dedup();
                (flaw, builtin, result.exit, families)
            })
            .buffer_unordered(4)
            .collect(),
    );
    let mut caught_by_both = 0;
    for flaw in cloison_fixtures::Flaw::ALL
        .map(|f| f.name())
        .into_iter()
        .filter(|f| !NOT_FROM_A_DOCUMENT.contains(f))
        .map(Some)
        .chain([None])
    {
        let of = |builtin: bool| {
            results
                .iter()
                .find(|(f, b, _, _)| *f == flaw && *b == builtin)
                .expect("both profiles ran")
        };
        let (builtin, init) = (of(true), of(false));
        if flaw.is_some_and(|f| NEEDS_AN_EFFECT.contains(&f)) {
            assert_eq!(
                builtin.2, EXIT_FINDINGS,
                "{flaw:?}: the built-in profile finds it"
            );
            assert_eq!(
                init.2, EXIT_OK,
                "{flaw:?}: without its declaration, no false alarm: {:?}",
                init.3
            );
            continue;
        }
        assert_eq!(
            builtin.2, init.2,
            "{flaw:?}: the built-in profile exits {} ({:?}), the init profile {} ({:?})",
            builtin.2, builtin.3, init.2, init.3
        );
        match flaw {
            None => assert_eq!(init.2, EXIT_OK, "hardened: clean"),
            Some(_) if init.2 == EXIT_FINDINGS => {
                assert_eq!(builtin.3, init.3, "{flaw:?}: the same families find it");
                caught_by_both += 1;
            }
            Some(_) => {}
        }
    }
    // Every flaw, those that need a state change after setup included (the init profile has the
    // transitions the document offers).
    assert_eq!(
        caught_by_both,
        cloison_fixtures::Flaw::ALL.len() - NOT_FROM_A_DOCUMENT.len() - NEEDS_AN_EFFECT.len()
    );
    drop(portal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_run_probes_at_least_90_percent_of_the_portal_operations() {
    let result = execute(&RunArgs::default())
        .await
        .expect("the run completes");
    let report = &result.report;
    assert_eq!(report.outcome, Outcome::Clean, "{}", report.summary());
    let operations = report
        .coverage
        .operations
        .as_ref()
        .expect("the profile declares the document");
    let (reached, total, percent) = share(operations);
    assert!(
        total >= 25,
        "the portal's document lists its operations: {total}"
    );
    assert!(
        percent >= 90,
        "{reached} of {total} operations probed: {}",
        report.summary()
    );
    // Reads are reached by more than anonymous calls: every GET by an authenticated family too.
    for op in operations
        .iter()
        .filter(|o| o.method == "GET" && o.path != "/healthz")
    {
        assert!(
            op.tried.iter().any(|f| f != "anonymous"),
            "{} {} is probed as an identity too: {:?}",
            op.method,
            op.path,
            op.tried
        );
    }
}

#[test]
fn init_refuses_documents_it_cannot_read_with_where_and_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {\n    \"/x\": [}\n}\n",
    )
    .expect("write");
    let args = |path: &Path| InitArgs {
        openapi: path.display().to_string(),
        out: Some(dir.path().join("out.toml")),
        force: false,
        timeout: 5,
    };
    let err = init(&args(&bad)).expect_err("not JSON");
    assert!(err.chain().any(|c| c.is::<UsageError>()));
    assert!(
        format!("{err:#}").contains(&format!(
            "{}:4:12: the OpenAPI document is not valid JSON",
            bad.display()
        )),
        "{err:#}"
    );
    let shapeless = dir.path().join("shapeless.json");
    std::fs::write(
        &shapeless,
        r#"{"openapi": "3.1.0", "paths": {"/x": {"get": {"parameters": {}}}}}"#,
    )
    .expect("write");
    let err = init(&args(&shapeless)).expect_err("bad shape");
    assert!(
        format!("{err:#}").contains(
            "at /paths/~1x/get/parameters: expected an array of parameters, found an object"
        ),
        "{err:#}"
    );
    assert!(
        !dir.path().join("out.toml").exists(),
        "nothing written on an error"
    );
}

#[test]
fn the_profile_names_its_document_on_the_target_at_a_url_or_beside_it() {
    use cloison_harness::profile::{OpenApiSource, Profile, REFERENCE_PORTAL};
    let with = |value: &str| {
        let text = REFERENCE_PORTAL.replace(
            "openapi = \"/openapi.json\"",
            &format!("openapi = \"{value}\""),
        );
        Profile::parse(Path::new("dir/p.toml"), &text, Some(Path::new("dir")))
    };
    let source = |value: &str| with(value).expect("loads").openapi;
    assert_eq!(
        source("/openapi.json"),
        Some(OpenApiSource::Target("/openapi.json".into()))
    );
    assert_eq!(
        source("https://api.example.test/v3/openapi.json"),
        Some(OpenApiSource::Url(
            "https://api.example.test/v3/openapi.json".into()
        ))
    );
    assert_eq!(
        source("specs/api.json"),
        Some(OpenApiSource::File("dir/specs/api.json".into()))
    );
    assert_eq!(
        source("file:/srv/api.json"),
        Some(OpenApiSource::File("/srv/api.json".into()))
    );
    let err = with(" ").expect_err("empty");
    assert!(
        err.to_string()
            .starts_with("dir/p.toml:4:11: `openapi`: empty"),
        "{err}"
    );
}
