//! `cloison run` against the embedded reference portal: the hardened build is clean with every family run,
//! and each flaw a static world can show is found by its family, with the right owner named and a
//! reproducer without credentials.

use cloison_generators::{GenConfig, World};
use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::report::{Evidence, Outcome};
use cloison_harness::run::{RunArgs, RunResult, execute};
use cloison_suites::population::{case_key, decision_key, document_key, note_key};

pub fn args(flaws: &[&str], seed: u64, cases: u64) -> RunArgs {
    RunArgs {
        flaws: flaws.iter().map(|f| f.to_string()).collect(),
        seed,
        cases,
        tenants: cloison_generators::TenantSelection::Count(2),
        ..RunArgs::default()
    }
}

pub async fn run(args: &RunArgs) -> RunResult {
    execute(args).await.expect("the run completes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hardened_portal_is_clean_with_every_family_run() {
    for seed in [1, 2, 3] {
        let result = run(&args(&[], seed, 16)).await;
        let report = &result.report;
        assert_eq!(
            report.outcome,
            Outcome::Clean,
            "seed {seed}: {}",
            report.summary()
        );
        assert_eq!(result.exit, EXIT_OK);
        assert!(report.findings.is_empty() && report.root_causes.is_empty());
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        for family in &report.coverage.families {
            assert!(
                family.skipped.is_none() && family.probes > 0,
                "seed {seed}: every family runs on the reference portal: {family:?}"
            );
        }
        assert_eq!(
            report.coverage.controls_passed, report.coverage.controls_run,
            "seed {seed}"
        );
        assert!(report.coverage.controls_run > 20, "{:?}", report.coverage);
        assert!(report.summary().contains("CLEAN"));
        // The audit trail holds every access: 100 % of the served ones, every refusal as a denied event,
        // and none of the special-category content.
        let audit = report.audit.as_ref().expect("the audit section");
        assert_eq!(audit.logged_percent, 100.0, "seed {seed}: {audit:?}");
        assert!(
            audit.unlogged.is_empty() && audit.data_found.is_empty(),
            "seed {seed}: {audit:?}"
        );
        for share in &audit.shares {
            assert_eq!(share.logged, share.accesses, "seed {seed}: {share:?}");
        }
        assert!(
            audit
                .shares
                .iter()
                .any(|s| s.kind == "document" && !s.refused && s.accesses > 0),
            "seed {seed}: document reads were checked: {audit:?}"
        );
    }
}

/// The case file a record belongs to, in the world of a run.
fn case_of(world: &World, record: &str) -> String {
    if record.starts_with("case-") {
        return record.to_string();
    }
    world
        .cases
        .iter()
        .find(|b| {
            b.documents.iter().any(|d| document_key(d.id) == record)
                || b.notes.iter().any(|n| note_key(n.id) == record)
                || b.decisions.iter().any(|d| decision_key(d.id) == record)
        })
        .map(|b| case_key(b.case_file.id))
        .unwrap_or_else(|| panic!("{record} is a record of the world"))
}

/// Each flaw of the reference portal that a static world can show, the family that must name it (its root
/// causes all belong to the expected families), and the endpoint of at least one root cause.
const FLAWS: &[(&str, &[&str], &str)] = &[
    (
        "document-idor",
        &["direct-read"],
        "resources.document.download",
    ),
    // The stateful suite reads a new case file as identities the model denies: a flaw on case reads
    // reaches it too.
    (
        "case-idor",
        &["direct-read", "stateful"],
        "resources.case.read",
    ),
    ("write-idor", &["direct-write"], "resources.case.update"),
    (
        "tenant-header",
        &["tenant-selector"],
        "functions.tenant_cases",
    ),
    ("search-unscoped", &["search"], "resources.case.search"),
    ("export-unscoped", &["export"], "resources.case.export"),
    (
        "agent-functions-open",
        &["function-level"],
        "functions.tenant_cases",
    ),
    (
        "mass-assignment",
        &["mass-assignment"],
        "resources.case.update",
    ),
    (
        "sequential-ids",
        &["direct-read", "identifier-guessing", "stateful"],
        "resources.case.read",
    ),
    (
        "error-echo",
        &[
            "direct-read",
            "direct-write",
            "identifier-guessing",
            "stateful",
        ],
        "resources.case.read",
    ),
    (
        "shared-cache",
        &["direct-read", "stateful"],
        "resources.case.read",
    ),
    (
        "representation-kept",
        &["direct-read", "collection", "stateful"],
        "resources.case.read",
    ),
    (
        "foreign-create",
        &["foreign-create"],
        "resources.document.create",
    ),
    (
        "role-self-assign",
        &["privilege-escalation"],
        "accounts.update",
    ),
    (
        "password-change-idor",
        &["account-takeover"],
        "accounts.password",
    ),
    (
        "unsigned-token",
        &["forged-credential"],
        "resources.case.read",
    ),
    (
        "weak-signing-key",
        &["forged-credential"],
        "resources.case.read",
    ),
    (
        "reference-data-open",
        &["function-level"],
        "functions.reference_rename",
    ),
    (
        "audit-gaps",
        &["audit-trail"],
        "resources.document.download",
    ),
    ("audit-content", &["audit-trail"], "audit"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flaw_is_found_by_its_family_with_a_minimal_reproducer() {
    for &(flaw, families, endpoint) in FLAWS {
        let a = args(&[flaw], 1, 16);
        let result = run(&a).await;
        let report = &result.report;
        assert_eq!(result.exit, EXIT_FINDINGS, "{flaw}: {}", report.summary());
        assert!(report.failures.is_empty(), "{flaw}: {:?}", report.failures);
        assert!(
            report.root_causes.iter().any(|c| c.endpoint == endpoint),
            "{flaw}: no root cause on {endpoint}: {}",
            report.summary()
        );
        for cause in &report.root_causes {
            assert!(
                families.contains(&cause.family.name()),
                "{flaw} is attributed to {} ({}): {}",
                cause.family,
                cause.endpoint,
                report.summary()
            );
            assert!(cause.instances >= 1 && cause.first_detection.probes >= 1);
            let curl = &cause
                .reproducer
                .request
                .as_ref()
                .expect("a reproducer carries its request")
                .curl;
            assert!(curl.starts_with("curl "), "{curl}");
            assert!(
                !curl.contains("Bearer "),
                "no token in a reproducer: {curl}"
            );
        }
        let world = World::generate(&GenConfig::new(1, 2, 16)).expect("same world");
        for finding in &report.findings {
            if finding.evidence == Evidence::ProvenLeak {
                assert!(
                    !finding.leaked.is_empty(),
                    "{flaw}: a proven leak names what leaked"
                );
            }
            // A direct read's leaked canaries belong to the case file it aimed at, never elsewhere.
            if finding.probe.starts_with("direct-read/")
                && let Some(record) = finding.record.as_deref()
            {
                let case = case_of(&world, record);
                for hit in &finding.leaked {
                    assert_eq!(
                        hit.owner.case.as_deref(),
                        Some(case.as_str()),
                        "{flaw}: {hit:?}"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_verdict() {
    let first = run(&args(&["case-idor"], 3, 12)).await.report;
    let second = run(&args(&["case-idor"], 3, 12)).await.report;
    let probes = |r: &cloison_harness::report::Report| {
        r.findings
            .iter()
            .map(|f| f.probe.clone())
            .collect::<Vec<_>>()
    };
    let causes = |r: &cloison_harness::report::Report| {
        r.root_causes
            .iter()
            .map(|c| (c.family, c.endpoint.clone(), c.role.clone(), c.instances))
            .collect::<Vec<_>>()
    };
    assert_eq!(probes(&first), probes(&second));
    assert_eq!(causes(&first), causes(&second));
    assert!(!causes(&first).is_empty());
}

/// The binary as a user meets it: the README's first command (no flags) is clean and exits 0; a flawed run
/// exits 1, and its summary and JSON report carry the seed and a replay command that names the flaw.
#[test]
fn the_binary_exits_0_when_clean_and_1_with_a_replay_command_on_findings() {
    use std::process::Command;

    let clean = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["run", "--quiet"])
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(clean.status.code(), Some(i32::from(EXIT_OK)), "{stdout}");
    assert!(stdout.contains("CLEAN"), "{stdout}");
    assert!(!stdout.contains("replay:"), "{stdout}");

    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("report.json");
    let flawed = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args([
            "run",
            "--quiet",
            "--seed",
            "7",
            "--cases",
            "6",
            "--flaw",
            "case-idor",
        ])
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run cloison");
    let stdout = String::from_utf8_lossy(&flawed.stdout);
    assert_eq!(
        flawed.status.code(),
        Some(i32::from(EXIT_FINDINGS)),
        "{stdout}"
    );
    let replay = "cloison run --target 'embedded' --seed 7 --run-tag 7 --tenants 2 --cases 6 --flaw 'case-idor'";
    assert!(
        stdout.contains(&format!("seed 7, run tag 7; replay: {replay}")),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON report is written"))
            .expect("the JSON report parses");
    assert_eq!(report["replay"], replay);
    assert_eq!(report["outcome"], "findings");
}

/// `--keep-target`: after the run, the embedded portal stays up and its URL and the reproducers'
/// credentials are printed; the printed login works; SIGTERM stops it and the run's own exit code remains.
#[test]
fn keep_target_keeps_the_portal_up_with_working_credentials_until_a_signal() {
    use std::io::BufRead as _;
    /// Kills the child if the test fails before it is stopped: a kept portal never outlives the test.
    struct Guard(Option<std::process::Child>);
    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(child) = self.0.as_mut() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args([
            "run",
            "--quiet",
            "--cases",
            "4",
            "--flaw",
            "case-idor",
            "--keep-target",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn cloison");
    let mut guard = Guard(Some(child));
    let stdout = guard
        .0
        .as_mut()
        .and_then(|c| c.stdout.take())
        .expect("stdout");
    let mut notes = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        let last = line.starts_with("Ctrl-C (or SIGTERM) stops the portal");
        notes.push(line);
        if last {
            break;
        }
    }
    let text = notes.join("\n");
    let url = text
        .split("stays up at ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the portal's URL is printed")
        .to_string();
    assert!(text.contains("operator_token: cloison-operator-"), "{text}");
    // The first identity's login command, as printed.
    // The login commands come after the portal's URL (reproducers above may print their own requests).
    let kept = notes
        .iter()
        .position(|l| l.contains("stays up at "))
        .expect("the kept target's notes");
    let login = notes[kept..]
        .iter()
        .find_map(|l| l.trim().strip_prefix("curl -sS -X POST "))
        .expect("a login command");
    let login_url = login.split('\'').nth(1).expect("the login URL").to_string();
    let body = login
        .split("--data-raw '")
        .nth(1)
        .and_then(|b| b.strip_suffix('\''))
        .expect("the login body")
        .to_string();
    assert!(
        body.contains("\"password\":\"") && !body.contains("redacted"),
        "{body}"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (health, token) = runtime.block_on(async {
        let client = cloison_harness::http::client_builder()
            .build()
            .expect("an HTTP client");
        let health = client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .map(|r| r.status().as_u16());
        let token = client
            .post(&login_url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("login")
            .json::<serde_json::Value>()
            .await
            .expect("a JSON answer");
        (health, token)
    });
    assert_eq!(health.ok(), Some(200), "the portal is still up: {text}");
    assert!(
        token["token"].is_string(),
        "the printed login works: {token}"
    );
    let mut child = guard.0.take().expect("the child");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(i32::from(EXIT_FINDINGS)),
        "the run's exit code"
    );
    let after = runtime.block_on(
        cloison_harness::http::client_builder()
            .build()
            .expect("an HTTP client")
            .get(format!("{url}/healthz"))
            .send(),
    );
    assert!(after.is_err(), "the portal is stopped");
}

/// `--tenants` takes departement codes as `cloison generate` does: the world, the run and its replay
/// command name the departements chosen, `01` (the Ain) and `971` (Guadeloupe) here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_over_departement_codes() {
    let args = RunArgs {
        tenants: cloison_generators::TenantSelection::parse("01,971"),
        cases: 6,
        ..RunArgs::default()
    };
    let result = run(&args).await;
    let report = &result.report;
    assert_eq!(report.tenants, 2);
    assert!(report.failures.is_empty(), "{}", report.summary());
    assert!(
        report.replay.contains("--tenants 01,971"),
        "{}",
        report.replay
    );
    let world = World::generate(&args.gen_config()).expect("world");
    let codes: Vec<&str> = world.tenants.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, ["01", "971"]);
}

/// The reference profile with `extra` appended, in a temporary file, as a run's profile.
fn with_profile(args: RunArgs, extra: &str) -> (RunArgs, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profile.toml");
    let text = format!("{}\n{extra}", cloison_harness::profile::REFERENCE_PORTAL);
    std::fs::write(&path, text).expect("write the profile");
    (
        RunArgs {
            profile: Some(path),
            ..args
        },
        dir,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_of_a_record_kind_decide_for_its_data() {
    // The portal shows agents' notes to staff only: a policy that says so is met.
    let (notes_for_staff, _dir) = with_profile(
        args(&[], 3, 16),
        "[policy.note]\napplicant = [\"nothing\"]\nrepresentative = [\"nothing\"]\n",
    );
    let result = run(&notes_for_staff).await;
    assert_eq!(result.exit, EXIT_OK, "{}", result.report.summary());
    assert_eq!(result.report.outcome, Outcome::Clean);
    // A policy under which agents may not read notes (only their tenant's other records) is not: every
    // root cause is an agent reaching notes, and every leaked value is a note's.
    let (no_notes_for_agents, _dir) =
        with_profile(args(&[], 3, 16), "[policy.note]\nagent = [\"nothing\"]\n");
    let result = run(&no_notes_for_agents).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(!report.root_causes.is_empty());
    for cause in &report.root_causes {
        assert_eq!(
            (cause.role.as_str(), cause.kind.as_str()),
            ("agent", "note"),
            "{}",
            report.summary()
        );
    }
    for finding in &report.findings {
        assert!(!finding.leaked.is_empty());
        for hit in &finding.leaked {
            assert_eq!(
                hit.owner.kind,
                Some(cloison_suites::RecordKind::Note),
                "{hit:?}"
            );
        }
    }
}

/// The reference profile with its resources under the platform's own names: `dossier` holds the generated
/// case files and `piece` their documents (`entity = "..."`), and every placeholder says `{{dossier.id}}`.
pub fn renamed_resources() -> String {
    let text = cloison_harness::profile::REFERENCE_PORTAL
        .replace("resources.case.", "resources.dossier.")
        .replace("resources.document.", "resources.piece.")
        .replace("{{case.", "{{dossier.")
        .replace("{{document.", "{{piece.")
        .replace("kind = \"case\"", "kind = \"dossier\"");
    assert!(!text.contains("{{case.") && !text.contains("resources.case."));
    format!(
        "{text}\n[resources.dossier]\nentity = \"case\"\n\n[resources.piece]\nentity = \"document\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_the_platform_names_itself_hold_the_generated_entities() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("renamed.toml");
    std::fs::write(&path, renamed_resources()).expect("write the profile");
    let profile_args = |flaws: &[&str]| RunArgs {
        profile: Some(path.clone()),
        ..args(flaws, 2, 16)
    };
    // Hardened: clean, with every family run through the renamed endpoints.
    let result = run(&profile_args(&[])).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_OK, "{}", report.summary());
    assert_eq!(report.outcome, Outcome::Clean);
    for family in &report.coverage.families {
        assert!(family.skipped.is_none() && family.probes > 0, "{family:?}");
    }
    let endpoints = report.coverage.endpoints.keys().collect::<Vec<_>>();
    assert!(
        endpoints
            .iter()
            .any(|e| e.as_str() == "resources.dossier.read"),
        "{endpoints:?}"
    );
    assert!(
        !endpoints.iter().any(|e| e.starts_with("resources.case.")),
        "{endpoints:?}"
    );
    // A case file readable by anyone who has its identifier is found through the platform's name for it.
    let result = run(&profile_args(&["case-idor"])).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", report.summary());
    assert!(
        report
            .root_causes
            .iter()
            .any(|c| c.endpoint == "resources.dossier.read"),
        "{}",
        report.summary()
    );
}

/// Two resources holding the same entity: documents are created and read as `piece`, and their bytes are
/// downloaded through `contenu`, a view of the same records. A download that any identity with the id gets
/// is found through the view; the hardened portal is clean with the view probed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_resource_on_the_same_entity_is_probed_as_a_view_of_its_records() {
    let text = renamed_resources()
        .replace(
            "[resources.piece.download]",
            "[resources.contenu]\nentity = \"document\"\n\n[resources.contenu.download]",
        )
        .replace(
            "/api/v1/documents/{{piece.id}}/content",
            "/api/v1/documents/{{contenu.id}}/content",
        );
    assert!(
        text.contains("{{contenu.id}}"),
        "the profile moved its download"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("views.toml");
    std::fs::write(&path, text).expect("write the profile");
    let profile_args = |flaws: &[&str]| RunArgs {
        profile: Some(path.clone()),
        ..args(flaws, 4, 16)
    };
    let result = run(&profile_args(&[])).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_OK, "{}", report.summary());
    assert!(
        report
            .coverage
            .endpoints
            .get("resources.contenu.download")
            .is_some_and(|n| *n > 0),
        "{:?}",
        report.coverage.endpoints
    );
    let result = run(&profile_args(&["document-idor"])).await;
    let report = &result.report;
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", report.summary());
    for cause in &report.root_causes {
        assert_eq!(
            (cause.endpoint.as_str(), cause.kind.as_str()),
            ("resources.contenu.download", "document"),
            "{}",
            report.summary()
        );
    }
}
