//! Accounts and tenants (open registration, existing accounts, registered tenants) and `{{caller.*}}`:
//! what validates, and every mistake located (insta snapshots).

use cloison_harness::profile::AccountSource;

use super::parse;

/// A platform with open registration and no tenants, the base of the account and tenant mistakes below.
const OPEN: &str = r#"format = 1
name = "open platform"

[policy]
applicant = ["own"]
representative = ["own"]
agent = ["nothing"]
tenant_admin = ["nothing"]

[accounts]
source = "register"

[accounts.register]
method = "POST"
path = "/signup"
json = { handle = "{{identity.login}}", password = "{{identity.password}}" }
extract = { id = "/user/id", token = "/token" }

[tenants]
mode = "none"

[auth]
scheme = "header"
send = { header = "Authorization", value = "Bearer {{identity.token}}" }

[refusals]
statuses = [404]

[resources.case.create]
as = "owner"
method = "POST"
path = "/notes"
extract = { id = "/id" }
json = { author = "{{person.account_id}}", body = "{{person.nir}}" }

[resources.case.read]
path = "/notes/{{case.id}}"

[resources.document.create]
as = "owner"
method = "POST"
path = "/notes/{{case.id}}/files"
extract = { id = "/id" }
multipart = [{ name = "file", file = "document" }]

[resources.document.download]
path = "/files/{{document.id}}"
"#;

const REGISTER: &str = "[accounts.register]\nmethod = \"POST\"\npath = \"/signup\"\njson = { handle = \"{{identity.login}}\", password = \"{{identity.password}}\" }\nextract = { id = \"/user/id\", token = \"/token\" }\n";

/// Workspaces created anonymously, whose key is the members' only credential.
const WORKSPACES: &str = "[tenants]\nmode = \"register\"\n\n[tenants.create]\nmethod = \"POST\"\npath = \"/workspaces\"\njson = { name = \"{{tenant.name}}\" }\nextract = { id = \"/id\", credential = \"/key\" }\n";

/// `OPEN` with `from` replaced by `to` (which must occur).
fn open_with(from: &str, to: &str) -> String {
    assert!(OPEN.contains(from), "the base no longer contains {from:?}");
    OPEN.replacen(from, to, 1)
}

/// `accounts` (existing ones) on the platform without tenants, instead of open registration.
fn existing(accounts: &str) -> String {
    open_with(REGISTER, "").replace(
        "source = \"register\"",
        &format!("source = \"existing\"\n{accounts}"),
    )
}

/// The accounts and tenants modes validate in their worked shapes.
#[test]
fn accounts_and_tenants_modes_validate() {
    use cloison_harness::profile::TenantMode;
    let open = parse(OPEN).expect("open registration without tenants");
    assert_eq!(open.accounts.source, AccountSource::Register);
    assert_eq!(open.tenants.mode, TenantMode::None);
    assert!(open.provisioning.is_none());
    assert!(open.surface().no_tenants);

    let keys = open_with("source = \"register\"", "source = \"none\"")
        .replacen(REGISTER, "", 1)
        .replacen("[tenants]\nmode = \"none\"\n", WORKSPACES, 1)
        .replace("Bearer {{identity.token}}", "{{tenant.credential}}")
        .replace("author = \"{{person.account_id}}\", ", "");
    let keys = parse(&keys).expect("tenant keys from registration");
    assert_eq!(keys.tenants.mode, TenantMode::Register);
    assert!(!keys.surface().no_tenants);

    let listed = existing(
        "existing = [\n  { role = \"applicant\", login = \"ada\", token = \"{{secrets.ada}}\", id = \"7\", attributes = { handle = \"ada\" } },\n]",
    )
    .replace("body = \"{{person.nir}}\"", "body = \"{{identity.attributes.handle}}\"");
    let listed = parse(&listed).expect("existing accounts with attributes");
    assert_eq!(listed.accounts.existing[0].attributes.len(), 1);
}

/// Every mistake of `[accounts]` and `[tenants]`, and the error it must give (file, line, column).
#[test]
fn account_and_tenant_errors_name_file_line_column_and_expectation() {
    let none_source = open_with("source = \"register\"", "source = \"none\"")
        .replacen(REGISTER, "", 1)
        .replacen("[tenants]\nmode = \"none\"\n", WORKSPACES, 1)
        .replace("author = \"{{person.account_id}}\", ", "");
    let ada = "existing = [\n  { role = \"applicant\", login = \"ada\", token = \"{{secrets.ada}}\", attributes = { handle = \"ada\" } },\n  { role = \"agent\", login = \"bo\", token = \"{{secrets.bo}}\" },\n]";
    let cases: Vec<(&str, String)> = vec![
        ("register_without_endpoint", open_with(REGISTER, "")),
        (
            "register_without_tenant_mode",
            open_with("[tenants]\nmode = \"none\"\n", ""),
        ),
        (
            "unknown_account_source",
            open_with("source = \"register\"", "source = \"signup\""),
        ),
        (
            "register_extracts_unknown",
            open_with("token = \"/token\" }", "token = \"/token\", session = \"/s\" }"),
        ),
        (
            "header_scheme_without_register_token",
            open_with(", token = \"/token\" }", " }"),
        ),
        (
            "tenant_placeholder_without_tenants",
            open_with("body = \"{{person.nir}}\"", "body = \"{{tenant.code}}\""),
        ),
        (
            "provisioning_tenant_without_tenants",
            format!(
                "{OPEN}\n[provisioning]\noperator = {{ header = \"X-Op\", value = \"k\" }}\n\n[provisioning.tenant]\nmethod = \"POST\"\npath = \"/t\"\n"
            ),
        ),
        (
            "none_source_without_tenant_credential",
            none_source.clone(),
        ),
        (
            "tenant_credential_given_by_nothing",
            none_source
                .replace("Bearer {{identity.token}}", "{{tenant.credential}}")
                .replace(", credential = \"/key\"", ""),
        ),
        (
            "tenant_credential_in_resources",
            none_source
                .replace("Bearer {{identity.token}}", "{{tenant.credential}}")
                .replace("body = \"{{person.nir}}\"", "body = \"{{tenant.credential}}\""),
        ),
        (
            "anonymous_sees_something",
            open_with("tenant_admin = [\"nothing\"]\n", "tenant_admin = [\"nothing\"]\nanonymous = [\"own\"]\n"),
        ),
        (
            "existing_account_names_a_tenant_without_tenants",
            existing("existing = [{ tenant = \"75\", role = \"applicant\", login = \"ada\", token = \"{{secrets.ada}}\" }]"),
        ),
        (
            "existing_account_position_beyond_the_tenants",
            existing("existing = [{ tenant = 2, role = \"applicant\", login = \"ada\", token = \"{{secrets.ada}}\" }]")
                .replace("mode = \"none\"\n", "mode = \"existing\"\n\n[[tenants.existing]]\ncredential = \"{{secrets.key}}\"\n"),
        ),
        (
            "attribute_not_declared",
            existing(ada).replace("body = \"{{person.nir}}\"", "body = \"{{identity.attributes.team}}\""),
        ),
        ("attribute_missing_on_an_account", existing(ada)),
    ];
    for (name, text) in cases {
        let err = parse(&text).expect_err(name);
        insta::assert_snapshot!(name, err);
    }
}

/// `{{caller.*}}` (the identity that sends a request, and its own tenant with its identifier and credential)
/// validates where an identity calls; each of its mistakes is located, with what was expected.
#[test]
fn caller_placeholders_validate_and_their_mistakes_are_located() {
    let projects = open_with("source = \"register\"", "source = \"none\"")
        .replacen(REGISTER, "", 1)
        .replacen("[tenants]\nmode = \"none\"\n", WORKSPACES, 1)
        .replace("Bearer {{identity.token}}", "{{caller.tenant.credential}}")
        .replace("author = \"{{person.account_id}}\", ", "")
        .replace(
            "path = \"/notes/{{case.id}}\"",
            "path = \"/projects/{{caller.tenant.id}}/notes/{{case.id}}\"",
        );
    let profile = parse(&projects).expect("per-project URLs and keys");
    assert_eq!(
        profile
            .surface()
            .endpoint("resources.case.read")
            .map(|e| e.caller),
        Some(cloison_harness::profile::caller::CallerUse::Values)
    );
    let cases: Vec<(&str, String)> = vec![
        (
            "caller_unknown_field",
            projects.replace("{{caller.tenant.id}}", "{{caller.x}}"),
        ),
        (
            "caller_tenant_unknown_field",
            projects.replace("{{caller.tenant.id}}", "{{caller.tenant.idd}}"),
        ),
        (
            "caller_tenant_id_given_by_nothing",
            projects.replace("extract = { id = \"/id\", ", "extract = { "),
        ),
        (
            "caller_in_registration",
            open_with(
                "handle = \"{{identity.login}}\"",
                "handle = \"{{caller.login}}\"",
            ),
        ),
        (
            "caller_tenant_without_tenants",
            open_with(
                "body = \"{{person.nir}}\"",
                "body = \"{{caller.tenant.code}}\"",
            ),
        ),
    ];
    for (name, text) in cases {
        let err = parse(&text).expect_err(name);
        insta::assert_snapshot!(name, err);
    }
}
