//! A platform of another shape than the reference portal: "Dossiers 360", an in-memory axum mock with French
//! routes, numeric identifiers, its own JSON field names, refusals as 403 only, a login that answers its token
//! in a header, and provisioning behind an operator key header. cloison knows it only through the profile
//! below. The mock is hardened by default; each planted flaw of [`Flaws`] removes one check, and each test
//! shows that the flawed mock is caught by the expected family (exit 1) while its hardened twin is clean
//! (exit 0) with every family run. Quirks that are not flaws (refusal pages that echo the request, sessions
//! that expire, server errors on forbidden writes) must not change a hardened verdict. Some are
//! regression tests of engine bugs the mock found (sessions expiring while seeding, refused writes that share
//! the record with the writer, server errors on writes that changed nothing).

mod flaws;
mod platform;
mod policy;
mod quirks;

use std::sync::Arc;

use cloison_harness::cli::{CliError, EXIT_FINDINGS};
use cloison_harness::report::{Evidence, Outcome};
use cloison_harness::run::{RunArgs, RunResult, execute};
use cloison_suites::outcome::FailOn;

use self::platform::{Flaws, Mock, OPERATOR_KEY, router};
use crate::support::files::ProfileFiles;
use crate::support::library::{self, curl, url_args};
use crate::support::serve;

/// cloison's description of the mock: nothing in it is shared with the reference portal's profile.
const PROFILE: &str = r#"
format = 1
name = "Dossiers 360 (maquette)"
secrets_file = "maquette.secrets.toml"

[health]
path = "/sante"

[roles]
applicant = "usager"
representative = "mandataire"
agent = "instructeur"
tenant_admin = "gestionnaire"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["tenant"]
tenant_admin = ["tenant"]

[maps.mandat]
parent = "autorite_parentale"
tuteur = "tutelle"
curateur = "curatelle"
habilitation_familiale = "habilitation"

[accounts]
source = "provision"
holders = true

[provisioning]
operator = { header = "X-Cle-Operateur", value = "{{secrets.cle_operateur}}" }

[provisioning.tenant]
method = "POST"
path = "/api/admin/departements"
json = { code = "{{tenant.code}}", libelle = "{{tenant.name}}" }

[provisioning.identity]
method = "POST"
path = "/api/admin/departements/{{tenant.code}}/comptes"
json = { identifiant = "{{identity.login}}", secret = "{{identity.password}}", profil = "{{identity.role}}" }
extract = { id = "/compte/id" }

[provisioning.representation]
method = "POST"
path = "/api/admin/mandats"
json = { mandataire = "{{representative.id}}", usager = "{{represented.id}}", nature = "{{representation.kind | mandat}}" }
extract = { id = "/mandat" }

[provisioning.end_representation]
method = "POST"
path = "/api/admin/mandats/{{representation.id}}/fin"

[auth]
scheme = "token"
token = { header = "X-Jeton-Session" }
send = { header = "Authorization", value = "Jeton {{token}}" }

[auth.login]
method = "POST"
path = "/api/connexion"
json = { identifiant = "{{identity.login}}", mot_de_passe = "{{identity.password}}" }

[auth.logout]
method = "POST"
path = "/api/deconnexion"

# Refusals are 403 only: a 401 means the session is gone, never "refused".
[refusals]
statuses = [403]

[probing]
owner_fields = ["titulaire"]
tenant_fields = ["departement"]

[resources.case.create]
as = "owner"
method = "POST"
path = "/api/dossiers"
extract = { id = "/numero" }

[resources.case.create.json]
titulaire = "{{person.account_id}}"
droits = "{{case.requested_rights}}"
objet = "Dossier {{case.case_number}} du {{case.filing_date}}"

[resources.case.create.json.etat_civil]
nom = "{{person.surname}}"
prenom = "{{person.first_name}}"
nir = "{{person.nir}}"
naissance = "{{person.birth_date}}"
adresse = "{{person.address_line}}"
code_postal = "{{person.postcode}}"
commune = "{{person.commune}}"
courriel = "{{person.email?}}"
telephone = "{{person.phone?}}"
iban = "{{person.iban?}}"

[resources.case.read]
path = "/api/dossiers/{{case.id}}"

[resources.case.update]
method = "PATCH"
path = "/api/dossiers/{{case.id}}"
json = { observations = "{{probe.marker}}" }
marker = "/observations"

[resources.case.list]
path = "/api/mes-dossiers"

[resources.case.search]
path = "/api/recherche"
query = { nom = "{{person.surname}}" }

[resources.case.export]
path = "/api/export"

[resources.document.create]
as = "owner"
method = "POST"
path = "/api/dossiers/{{case.id}}/pieces"
extract = { id = "/piece/id" }
multipart = [
  { name = "fichier", file = "document" },
  { name = "nature", value = "{{document.kind}}" },
]

[resources.document.download]
path = "/api/pieces/{{document.id}}/contenu"

[functions.instruction]
path = "/api/instruction/dossiers"
granted = ["agent", "tenant_admin"]
"#;

/// A finished run against a mock, and the mock's state afterwards.
type MockRun = library::MockRun<Mock>;

/// Serve a mock with `flaws`, run cloison against it with `profile`, and return the result.
async fn run_mock_with(
    flaws: Flaws,
    seed: u64,
    tenants: usize,
    cases: u64,
    profile: &str,
) -> MockRun {
    let (result, mock) = try_run_mock(flaws, seed, tenants, cases, profile).await;
    MockRun {
        result: result.expect("the run completes"),
        mock,
    }
}

/// [`run_mock_with`], returning the run's error instead of panicking.
async fn try_run_mock(
    flaws: Flaws,
    seed: u64,
    tenants: usize,
    cases: u64,
    profile: &str,
) -> (Result<RunResult, CliError>, Arc<Mock>) {
    let mock = Arc::new(Mock::new(flaws));
    let result = run_on(&mock, seed, tenants, cases, profile).await;
    (result, mock)
}

/// Run cloison against an existing mock (its state kept from earlier runs).
async fn run_on(
    mock: &Arc<Mock>,
    seed: u64,
    tenants: usize,
    cases: u64,
    profile: &str,
) -> Result<RunResult, CliError> {
    run_failing_on(mock, seed, tenants, cases, profile, FailOn::default()).await
}

/// [`run_on`] with `--fail-on`.
async fn run_failing_on(
    mock: &Arc<Mock>,
    seed: u64,
    tenants: usize,
    cases: u64,
    profile: &str,
    fail_on: FailOn,
) -> Result<RunResult, CliError> {
    let (addr, server) = serve(router(Arc::clone(mock))).await;
    let files = ProfileFiles::write(
        "maquette",
        profile,
        &format!("cle_operateur = \"{OPERATOR_KEY}\"\n"),
    );
    let args = RunArgs {
        fail_on,
        ..url_args(addr, &files, seed, tenants, cases)
    };
    let result = execute(&args).await;
    server.abort();
    result
}

async fn run_mock(flaws: Flaws, seed: u64) -> MockRun {
    run_mock_with(flaws, seed, 2, 12, PROFILE).await
}

/// Exit 0, clean, no failure, every control passed, and every family ran (all apply to this profile).
fn assert_clean(run: &MockRun, what: &str) {
    library::assert_clean(&run.result, what);
    let report = run.report();
    assert!(report.root_causes.is_empty() && report.findings.is_empty());
    assert_eq!(
        report.coverage.families.len(),
        cloison_suites::Family::ALL.len(),
        "{what}"
    );
    // The mock has no account calls (sign-up, own update, password change), lists no record under its case
    // files (nothing reads a foreign create back) and signs in with opaque tokens (nothing to forge): those
    // families are not applicable, and say so.
    let (inapplicable, others): (Vec<_>, Vec<_>) = report.coverage.families.iter().partition(|f| {
        matches!(
            f.family.as_str(),
            "privilege-escalation"
                | "account-takeover"
                | "foreign-create"
                | "forged-credential"
                | "audit-trail"
        )
    });
    for family in inapplicable {
        assert!(
            family
                .skipped
                .as_deref()
                .is_some_and(|s| s.starts_with("not applicable")),
            "{what}: {family:?}"
        );
    }
    for family in others {
        assert!(
            family.skipped.is_none() && family.probes > 0,
            "{what}: every family applies to the mock and runs: {family:?}\n{}",
            report.summary()
        );
    }
}

/// Exit 1 with at least one root cause of `family` on `endpoint`, each of the evidence allowed.
fn assert_found(run: &MockRun, family: &str, endpoint: &str, evidence: &[Evidence], what: &str) {
    let report = run.report();
    assert_eq!(
        run.result.exit,
        EXIT_FINDINGS,
        "{what}: {}",
        report.summary()
    );
    assert_eq!(report.outcome, Outcome::Findings, "{what}");
    assert!(report.failures.is_empty(), "{what}: {:?}", report.failures);
    let causes: Vec<_> = report
        .root_causes
        .iter()
        .filter(|c| c.family.name() == family && c.endpoint == endpoint)
        .collect();
    assert!(
        !causes.is_empty(),
        "{what}: no {family} root cause on {endpoint}: {}",
        report.summary()
    );
    for cause in causes {
        assert!(
            evidence.contains(&cause.evidence),
            "{what}: {family} with evidence {:?}: {}",
            cause.evidence,
            report.summary()
        );
        let curl = curl(cause);
        assert!(curl.starts_with("curl "), "{curl}");
        assert!(
            !curl.contains("Jeton jt"),
            "no token in a reproducer: {curl}"
        );
        assert!(!curl.contains(OPERATOR_KEY), "{curl}");
    }
}

/// The flawed mock is caught by `family` on `endpoint`; its hardened twin (same seed) is clean.
async fn flaw_and_twin(
    flaws: Flaws,
    seed: u64,
    family: &str,
    endpoint: &str,
    evidence: &[Evidence],
) {
    let flawed = run_mock(flaws, seed).await;
    assert_found(&flawed, family, endpoint, evidence, "flawed");
    let hardened = run_mock(Flaws::default(), seed).await;
    assert_clean(&hardened, "hardened twin");
}
