//! The `[deploy]` table: what validates, and every mistake located (insta snapshots).

use cloison_harness::profile::{Profile, REFERENCE_PORTAL};

use super::parse;

/// The reference profile with its `[deploy]` table replaced by `deploy`.
fn with_deploy(deploy: &str) -> String {
    let start = REFERENCE_PORTAL
        .find("[deploy]\n")
        .expect("the reference profile has a [deploy] table");
    // The last table of the file.
    let end = REFERENCE_PORTAL.len();
    format!(
        "{}{deploy}{}",
        &REFERENCE_PORTAL[..start],
        &REFERENCE_PORTAL[end..]
    )
}

/// An application with a database service, every key of `[deploy]` used.
const APP_AND_DATABASE: &str = r#"[deploy]
image = "care-portal:2.3"
port = 8000
command = ["serve", "--port", "8000"]
environment = { ADMIN_TOKEN = "{{secrets.operator_token}}", DATABASE_URL = "postgres://app:{{secrets.db_password}}@db:5432/app", DEBUG_FLAWS = "{{options.flaws}}" }
health = { path = "/ready", statuses = [200, 204], timeout = 90 }

[[deploy.services]]
name = "db"
image = "postgres:16"
environment = { POSTGRES_PASSWORD = "{{secrets.db_password}}" }

[[deploy.services]]
name = "search"
image = "search-engine:1"
port = 9200
health = { path = "/" }"#;

#[test]
fn deploy_tables_validate_into_an_application_and_its_services() {
    let profile = parse(&with_deploy(APP_AND_DATABASE)).expect("valid");
    let deploy = profile.deploy.expect("a [deploy] table");
    assert_eq!(deploy.app.image, "care-portal:2.3");
    assert_eq!(deploy.app.port, Some(8000));
    assert_eq!(deploy.app.name, None);
    assert_eq!(
        deploy.app.command.as_ref().map(Vec::len),
        Some(3),
        "the command's arguments"
    );
    let health = deploy.app.health.as_ref().expect("a health check");
    assert_eq!(health.path, "/ready");
    assert_eq!(
        health.statuses.iter().copied().collect::<Vec<_>>(),
        [200, 204]
    );
    assert_eq!(health.timeout.as_secs(), 90);
    let names: Vec<_> = deploy.services.iter().map(|s| s.name.as_deref()).collect();
    assert_eq!(names, [Some("db"), Some("search")]);
    assert_eq!(deploy.services[0].port, None);
    assert_eq!(deploy.services[0].image, "postgres:16");
    // Defaults: 200, 60 s.
    let search = deploy.services[1].health.as_ref().expect("a health check");
    assert_eq!(search.statuses.iter().copied().collect::<Vec<_>>(), [200]);
    assert_eq!(search.timeout.as_secs(), 60);
    // The secrets a run generates unless the secrets file gives them, and the options read.
    assert_eq!(
        deploy.secrets().into_iter().collect::<Vec<_>>(),
        ["db_password", "operator_token"]
    );
    assert!(deploy.uses_option("flaws"));
    let ctx = serde_json::json!({
        "secrets": { "operator_token": "t", "db_password": "p" },
        "options": { "flaws": "x,y" },
    });
    assert_eq!(
        deploy.app.render_environment(&ctx).expect("rendered"),
        [
            "ADMIN_TOKEN=t",
            "DATABASE_URL=postgres://app:p@db:5432/app",
            "DEBUG_FLAWS=x,y"
        ]
    );
    // The reference portal's contract is its profile's, not the harness's.
    let reference = Profile::reference_portal()
        .expect("valid")
        .deploy
        .expect("the reference profile has a [deploy] table");
    assert_eq!(reference.app.port, Some(8080));
    assert!(reference.uses_option("flaws"));
    assert!(reference.services.is_empty());
    // A profile without [deploy] is valid (url: and embedded targets need none).
    assert!(parse(&with_deploy("")).expect("valid").deploy.is_none());
}

/// Every `[deploy]` mistake is an error at its file, line and column, saying what was expected.
#[test]
fn deploy_mistakes_name_file_line_column_and_expectation() {
    let cases: &[(&str, &str, &str)] = &[
        ("deploy_missing_port", "port = 8000\n", ""),
        ("deploy_port_zero", "port = 8000", "port = 0"),
        ("deploy_port_too_large", "port = 8000", "port = 80000"),
        ("deploy_unknown_key", "command = [", "cmd = ["),
        (
            "deploy_empty_command",
            "command = [\"serve\", \"--port\", \"8000\"]",
            "command = []",
        ),
        ("deploy_bad_image", "\"care-portal:2.3\"", "\"care portal\""),
        (
            "deploy_unknown_option",
            "{{options.flaws}}",
            "{{options.flaw}}",
        ),
        (
            "deploy_unknown_root",
            "{{secrets.db_password}}@db",
            "{{identity.password}}@db",
        ),
        ("deploy_bad_variable", "DEBUG_FLAWS =", "\"DEBUG FLAWS\" ="),
        (
            "deploy_health_path",
            "path = \"/ready\"",
            "path = \"ready\"",
        ),
        (
            "deploy_health_status",
            "statuses = [200, 204]",
            "statuses = [200, 2040]",
        ),
        (
            "deploy_health_empty_statuses",
            "statuses = [200, 204]",
            "statuses = []",
        ),
        ("deploy_health_timeout", "timeout = 90", "timeout = 0"),
        ("deploy_service_name", "name = \"db\"", "name = \"Db_1\""),
        (
            "deploy_service_duplicate",
            "name = \"search\"",
            "name = \"db\"",
        ),
        ("deploy_service_health_without_port", "port = 9200\n", ""),
        (
            "deploy_service_without_image",
            "image = \"postgres:16\"\n",
            "",
        ),
    ];
    for (name, from, to) in cases {
        assert!(APP_AND_DATABASE.contains(from), "{name}: {from:?}");
        let text = with_deploy(&APP_AND_DATABASE.replacen(from, to, 1));
        let err = parse(&text).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}

/// The `[deploy]` worked example of docs/profile-format.md validates (in the reference profile's place).
#[test]
fn the_documented_deploy_example_validates() {
    let doc = include_str!("../../../../docs/profile-format.md");
    let start = doc
        .find("```text\n[deploy]\n")
        .expect("the doc has a [deploy] example")
        + "```text\n".len();
    let end = start
        + doc[start..]
            .find("\n\n[provisioning]")
            .expect("the example goes on with [provisioning]");
    let profile = parse(&with_deploy(&doc[start..end])).expect("the documented example validates");
    let deploy = profile.deploy.expect("a [deploy] table");
    assert_eq!(deploy.services.len(), 1);
    assert_eq!(
        deploy.secrets().into_iter().collect::<Vec<_>>(),
        ["db_password", "operator_token"]
    );
}
