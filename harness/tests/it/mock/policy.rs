//! The profile's policy decides what is a finding: a policy that grants everything, agents who may only read,
//! and a role of the platform's own.

use cloison_harness::cli::{EXIT_INCONCLUSIVE, EXIT_OK};
use cloison_harness::report::{Evidence, Outcome};

use super::platform::Flaws;
use super::{PROFILE, assert_clean, assert_found, run_mock_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_policy_that_grants_everything_is_inconclusive() {
    let everything = PROFILE.replace(
        "applicant = [\"own\"]\nrepresentative = [\"own\", \"represented\"]\n",
        "applicant = [\"tenant\"]\nrepresentative = [\"tenant\"]\n",
    );
    assert_ne!(everything, PROFILE);
    let run = run_mock_with(Flaws::default(), 9, 1, 8, &everything).await;
    let report = run.report();
    assert_eq!(run.result.exit, EXIT_INCONCLUSIVE, "{}", report.summary());
    assert_eq!(report.outcome, Outcome::Inconclusive);
    assert!(
        report
            .reasons
            .iter()
            .any(|r| r.to_string().contains("direct-read")),
        "{:?}",
        report.reasons
    );
    // With two tenants, `tenant` still forbids the other tenant's records: direct reads run, and the
    // hardened mock (stricter than this policy) is clean.
    let two = run_mock_with(Flaws::default(), 9, 2, 8, &everything).await;
    assert_eq!(two.result.exit, EXIT_OK, "{}", two.report().summary());
}

/// Sessions that expire after two reads: a session that expires between the existing and the missing
/// identifier of an existence probe answers 403 then 401. A 401 is no answer about existence: the probe must
/// log in again, not report "identifiers can be confirmed" against a hardened platform.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_instructors_who_change_what_the_policy_lets_them_only_read_are_found_by_direct_write()
{
    // The policy names the role as the platform does (`[roles] agent = "instructeur"`).
    let profile = PROFILE.replacen("agent = [\"tenant\"]", "instructeur = [\"tenant:read\"]", 1);
    assert_ne!(profile, PROFILE, "the mock's policy names agents' scope");
    // A platform whose instructors change cases the policy lets them only read: tampering.
    let writable = run_mock_with(Flaws::default(), 5, 2, 12, &profile).await;
    assert_found(
        &writable,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering],
        "instructors may write",
    );
    let report = writable.report();
    assert!(
        report
            .root_causes
            .iter()
            .filter(|c| c.family.name() == "direct-write")
            .all(|c| c.role == "agent" && c.relation == "same-tenant"),
        "only reading agents of the same tenant are in question: {}",
        report.summary()
    );
    // The same platform with read-only instructors is clean under that policy.
    let read_only = run_mock_with(
        Flaws {
            read_only_instructors: true,
            ..Flaws::default()
        },
        5,
        2,
        12,
        &profile,
    )
    .await;
    assert_clean(&read_only, "read-only instructors");
}

/// A role of the platform's own: `controleur`, an auditor who reads its departement's cases and changes
/// none (`[roles] controleur = { staff = true }`, `controleur = ["tenant:read"]`). cloison provisions one
/// per departement under that name; a platform that lets them change cases is found by direct-write, as
/// controleurs only, and the twin is clean with controleurs probed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_a_role_of_the_platforms_own_is_provisioned_and_held_to_its_policy() {
    let profile = PROFILE
        .replacen(
            "tenant_admin = \"gestionnaire\"\n",
            "tenant_admin = \"gestionnaire\"\ncontroleur = { staff = true }\n",
            1,
        )
        .replacen(
            "tenant_admin = [\"tenant\"]\n",
            "tenant_admin = [\"tenant\"]\ncontroleur = [\"tenant:read\"]\n",
            1,
        )
        // The back office's work list is theirs too.
        .replacen(
            "granted = [\"agent\", \"tenant_admin\"]",
            "granted = [\"agent\", \"tenant_admin\", \"controleur\"]",
            1,
        );
    assert_eq!(profile.matches("controleur").count(), 3, "{profile}");
    let writing = run_mock_with(
        Flaws {
            controleurs_write: true,
            ..Flaws::default()
        },
        6,
        2,
        12,
        &profile,
    )
    .await;
    assert_found(
        &writing,
        "direct-write",
        "resources.case.update",
        &[Evidence::ProvenTampering],
        "controleurs may write",
    );
    let report = writing.report();
    assert!(
        report.root_causes.iter().all(|c| c.role == "controleur"),
        "only controleurs are in question: {}",
        report.summary()
    );
    {
        let db = writing.mock.db.lock().expect("db");
        let controleurs = db
            .annuaire
            .accounts
            .iter()
            .filter(|u| u.role == "controleur")
            .count();
        assert_eq!(controleurs, 2, "one controleur per departement");
    }
    let twin = run_mock_with(Flaws::default(), 6, 2, 12, &profile).await;
    assert_clean(&twin, "read-only controleurs");
    assert!(
        twin.report()
            .coverage
            .cells
            .iter()
            .any(|c| c.role == "controleur" && c.family.name() == "direct-write"),
        "controleurs' writes were probed"
    );
}
