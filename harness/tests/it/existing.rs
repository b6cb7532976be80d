//! A platform whose accounts already exist (created here through the portal's operator API, standing in for
//! an admin console), listed in the profile with their passwords in a separate secrets file, and a session
//! cookie instead of a bearer token: the run binds generated identities to these accounts and judges as
//! usual.

use cloison_harness::cli::{EXIT_FINDINGS, EXIT_OK};
use cloison_harness::profile::REFERENCE_PORTAL;
use cloison_harness::run::{RunArgs, execute};
use cloison_harness::target::TargetSpec;
use serde_json::json;

use crate::support::files::ProfileFiles;

/// Accounts of the console, by tenant and role. The world of seed 1 with 12 case files has one adult
/// applicant with an account in Paris (75) and six in Marseille (13); generated identities beyond these
/// accounts are left out of the run.
const ACCOUNTS: &[(&str, &str, &str)] = &[
    ("75", "applicant", "a75-1"),
    ("13", "applicant", "a13-1"),
    ("13", "applicant", "a13-2"),
    ("13", "applicant", "a13-3"),
    ("75", "agent", "g75-1"),
    ("13", "agent", "g13-1"),
];

/// The reference profile turned into an existing-accounts, cookie-session profile.
fn profile_text() -> String {
    let start = REFERENCE_PORTAL
        .find("[provisioning]\n")
        .expect("provisioning table");
    let end = REFERENCE_PORTAL.find("[auth]\n").expect("auth table");
    let mut text = format!("{}{}", &REFERENCE_PORTAL[..start], &REFERENCE_PORTAL[end..]);
    // Without an operator there is no role change (it is called with the operator credential).
    if let Some(start) = text.find("[transitions.change_role]\n") {
        let end = text[start..]
            .find("\n\n")
            .map_or(text.len(), |i| start + i + 2);
        text.replace_range(start..end, "");
    }
    // No administrator among the existing accounts: nobody sets a reference right aside for the functions
    // whose effect is read back (they would not be sent, and the run would be inconclusive).
    if let Some(start) = text.find("# The reference table of rights") {
        text.truncate(start);
    }
    let mut existing = String::from("existing = [\n");
    for (tenant, role, login) in ACCOUNTS {
        existing.push_str(&format!(
            "  {{ tenant = \"{tenant}\", role = \"{role}\", login = \"{login}\", password = \"{{{{secrets.{}}}}}\" }},\n",
            login.replace('-', "_")
        ));
    }
    existing.push_str("]\n");
    text = text.replace(
        "source = \"provision\"\nholders = true\n",
        &format!("source = \"existing\"\n{existing}"),
    );
    text = text.replace(
        "scheme = \"token\"\ntoken = { json = \"/token\" }\nsend = { header = \"Authorization\", value = \"Bearer {{token}}\" }\n",
        "scheme = \"cookie\"\n",
    );
    text.replace(
        "json = { username = \"{{identity.login}}\", password = \"{{identity.password}}\" }\n",
        "json = { username = \"{{identity.login}}\", password = \"{{identity.password}}\" }\nextract = { id = \"/user/id\" }\n",
    )
}

async fn run_against(flaws: &str) -> cloison_harness::run::RunResult {
    let flaw_set = flaws.parse().expect("valid flaws");
    let portal = cloison_fixtures::spawn(cloison_fixtures::PortalConfig {
        operator_token: "console".into(),
        flaws: flaw_set,
        argon2: cloison_fixtures::Argon2Params::CHEAP,
        ..Default::default()
    })
    .await
    .expect("portal");
    let base = portal.base_url();
    let http = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client");
    let op = |path: String, body: serde_json::Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth("console")
            .json(&body)
            .send()
    };
    let mut secrets = String::new();
    for code in ["75", "13"] {
        let answer = op("/api/v1/admin/tenants".into(), json!({ "code": code }))
            .await
            .expect("tenant");
        assert_eq!(answer.status(), 201);
    }
    for (tenant, role, login) in ACCOUNTS {
        let password = format!("console password of {login}");
        let answer = op(
            format!("/api/v1/admin/tenants/{tenant}/users"),
            json!({ "username": login, "password": password, "role": role }),
        )
        .await
        .expect("user");
        assert_eq!(answer.status(), 201);
        secrets.push_str(&format!("{} = \"{password}\"\n", login.replace('-', "_")));
    }
    let files = ProfileFiles::write("console", &profile_text(), &secrets);
    let args = RunArgs {
        target: TargetSpec::Url(base.parse().expect("url")),
        profile: Some(files.profile.clone()),
        secrets: Some(files.secrets.clone()),
        cases: 12,
        ..RunArgs::default()
    };
    let result = execute(&args).await.expect("the run completes");
    portal.shutdown().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_accounts_with_cookie_sessions() {
    let hardened = run_against("").await;
    assert_eq!(hardened.exit, EXIT_OK, "{}", hardened.report.summary());
    assert_eq!(hardened.report.stats.identities, ACCOUNTS.len());
    assert!(
        hardened.report.stats.probes > 20 && hardened.report.stats.controls > 5,
        "{:?}",
        hardened.report.stats
    );

    let flawed = run_against("case-idor").await;
    assert_eq!(flawed.exit, EXIT_FINDINGS, "{}", flawed.report.summary());
    assert!(
        flawed
            .report
            .root_causes
            .iter()
            .any(|f| f.family == cloison_suites::Family::DirectRead
                && f.endpoint == "resources.case.read")
    );
}
