//! Target profiles: the shipped profile and the other platform shapes validate; every kind of mistake gives
//! an error with file, line, column and what was expected (insta snapshots).

use std::path::Path;

use cloison_harness::profile::{AccountSource, AuthScheme, Profile, REFERENCE_PORTAL, TokenSource};

mod accounts;
mod audit;
mod deploy;
mod effect;
mod exceptions;
mod reads;
mod refusals;

/// The shipped reference profile's text.
pub(super) const REFERENCE_PORTAL_TEXT: &str = REFERENCE_PORTAL;

pub(super) fn parse(text: &str) -> Result<Profile, String> {
    Profile::parse(Path::new("profile.toml"), text, None).map_err(|e| e.to_string())
}

/// The reference profile with `from` replaced by `to` (which must occur).
pub(super) fn mutate(from: &str, to: &str) -> String {
    assert!(
        REFERENCE_PORTAL.contains(from),
        "the reference profile no longer contains {from:?}"
    );
    REFERENCE_PORTAL.replacen(from, to, 1)
}

#[test]
fn the_reference_portal_profile_is_valid() {
    let profile = Profile::reference_portal().expect("the shipped profile validates");
    assert_eq!(profile.auth.scheme, AuthScheme::Token);
    assert_eq!(profile.auth.token, Some(TokenSource::Json("/token".into())));
    assert_eq!(profile.accounts.source, AccountSource::Provision);
    assert_eq!(profile.roles["tenant_admin"], "admin");
    assert!(profile.refusals.statuses.contains(&404));
}

#[test]
fn a_format_1_profile_loads_as_format_2() {
    let one = parse(cloison_harness::profile::REFERENCE_PORTAL).expect("format 1 loads");
    let two = parse(&mutate("format = 1", "format = 2")).expect("format 2 loads");
    assert_eq!(one.endpoint_keys(), two.endpoint_keys());
    assert_eq!(one.policy, two.policy);
}

/// Every mistake (its snapshot's name, the text of the reference profile it changes, and what it changes
/// it into).
const MISTAKES: &[(&str, &str, &str)] = &[
    (
        "syntax",
        "name = \"cloison reference portal\"",
        "name = \"cloison reference portal",
    ),
    (
        "unknown_key",
        "[resources.case.read]\npath =",
        "[resources.case.read]\npth =",
    ),
    (
        "unknown_scope",
        "applicant = [\"own\"]",
        "applicant = [\"everything\"]",
    ),
    (
        "unknown_scope_suffix",
        "applicant = [\"own\"]",
        "applicant = [\"own:write\"]",
    ),
    (
        "scope_twice",
        "applicant = [\"own\"]",
        "applicant = [\"own\", \"own:read\"]",
    ),
    ("missing_policy_role", "tenant_admin = [\"tenant\"]\n", ""),
    ("unsupported_format", "format = 1", "format = 3"),
    (
        "policy_not_a_list",
        "applicant = [\"own\"]",
        "applicant = \"own\"",
    ),
    (
        "role_given_twice",
        "tenant_admin = [\"tenant\"]\n",
        "tenant_admin = [\"tenant\"]\nadmin = [\"own\"]\n",
    ),
    (
        "unknown_policy_kind",
        "tenant_admin = [\"tenant\"]\n",
        "tenant_admin = [\"tenant\"]\n\n[policy.team]\nagent = [\"own\"]\n",
    ),
    (
        "unknown_role_of_a_kind",
        "tenant_admin = [\"tenant\"]\n",
        "tenant_admin = [\"tenant\"]\n\n[policy.note]\nauditor = [\"tenant:read\"]\n",
    ),
    (
        "unknown_placeholder_root",
        "/api/v1/cases/{{case.id}}\"",
        "/api/v1/cases/{{cse.id}}\"",
    ),
    (
        "unclosed_placeholder",
        "/api/v1/documents/{{document.id}}/content",
        "/api/v1/documents/{{document.id/content",
    ),
    (
        "not_a_json_pointer",
        "token = { json = \"/token\" }",
        "token = { json = \"token\" }",
    ),
    (
        "unknown_resource",
        "[resources.note.create]",
        "[resources.dossier.create]",
    ),
    (
        "unknown_operation",
        "[resources.case.list]",
        "[resources.case.browse]",
    ),
    (
        "token_without_send",
        "send = { header = \"Authorization\", value = \"Bearer {{token}}\" }\n",
        "",
    ),
    (
        "success_as_refusal",
        "statuses = [401, 403, 404]",
        "statuses = [401, 200, 404]",
    ),
    (
        "unknown_map",
        "{{representation.kind | representation_kind}}",
        "{{representation.kind | kinds}}",
    ),
    (
        "create_without_id",
        "path = \"/api/v1/cases\"\nextract = { id = \"/id\" }",
        "path = \"/api/v1/cases\"",
    ),
    ("wrong_type", "ok = [201, 409]", "ok = \"201\""),
    (
        "unknown_field",
        "last_name = \"{{person.surname}}\"",
        "last_name = \"{{person.surnam}}\"",
    ),
    ("update_without_marker", "marker = \"/summary\"\n", "\n"),
    ("empty_ok", "ok = [201, 409]", "ok = []"),
    ("ok_not_a_status", "ok = [201, 409]", "ok = [0]"),
    (
        "redirect_refusal",
        "statuses = [401, 403, 404]",
        "statuses = [301, 404]",
    ),
    (
        "bad_pointer_escape",
        "token = { json = \"/token\" }",
        "token = { json = \"/~2\" }",
    ),
    (
        "unused_extract",
        "extract = { id = \"/id\" }\nmultipart",
        "extract = { id = \"/id\", number = \"/number\" }\nmultipart",
    ),
    (
        "bad_method",
        "method = \"POST\"\npath = \"/api/v1/auth/login\"",
        "method = \"FETCH\"\npath = \"/api/v1/auth/login\"",
    ),
    (
        "no_download",
        "[resources.document.read]\npath = \"/api/v1/documents/{{document.id}}\"\n\n[resources.document.list]\npath = \"/api/v1/cases/{{case.id}}/documents\"\n\n[resources.document.download]",
        "[resources.document.list]\npath = \"/x\"\n\n[resources.document.search]\npath = \"/y\"\n\n[resources.document.export]",
    ),
    (
        "provision_without_provisioning",
        "[provisioning]\n",
        "[unused]\n",
    ),
    (
        "poll_interval_zero",
        "path = \"/api/v1/audit\"",
        "path = \"/api/v1/audit\"\npoll = { interval = 0 }",
    ),
    (
        "poll_budget_below_interval",
        "path = \"/api/v1/audit\"",
        "path = \"/api/v1/audit\"\npoll = { location = \"/job\", interval = 5, budget = 2 }",
    ),
    (
        "poll_unknown_key",
        "path = \"/api/v1/audit\"",
        "path = \"/api/v1/audit\"\npoll = { every = 5 }",
    ),
];

/// Every mistake, and the error it must give.
#[test]
fn validation_errors_name_file_line_column_and_expectation() {
    for (name, from, to) in MISTAKES {
        let err = parse(&mutate(from, to)).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}

/// A platform with accounts created in an admin console (credentials in a secrets file), HTTP Basic,
/// refusals as a 200 with an empty list or a redirect to the login page.
#[test]
fn other_platform_shapes_validate() {
    let basic_existing = r#"
format = 1
name = "legacy console platform"
secrets_file = "legacy.secrets.toml"

[policy]
applicant = ["own"]
representative = ["own", "represented"]
agent = ["assigned"]
tenant_admin = ["nothing"]

[accounts]
source = "existing"
existing = [
  { tenant = "75", role = "applicant", login = "alice", password = "{{secrets.alice}}" },
  { tenant = "75", role = "agent", login = "bob", password = "{{secrets.bob}}", id = "u-2" },
]

[auth]
scheme = "basic"

[refusals]
statuses = [400, 410]
empty_list = true
list_pointer = "/items"
login_redirect = "/login"

[resources.case.create]
as = "owner"
method = "PUT"
path = "/dossiers/{{case.case_number}}"
form = { nom = "{{person.surname}}", notes = "{{case.case_number}}" }
extract = { id = "" }

[resources.case.read]
path = "/dossiers"
query = { id = "{{case.id}}" }

[resources.document.create]
as = "owner"
method = "POST"
path = "/dossiers/{{case.id}}/pieces"
multipart = [{ name = "piece", file = "document" }]
extract = { id = "/data/0/id" }

[resources.document.read]
path = "/pieces/{{document.id}}"
"#;
    let profile = Profile::parse(
        Path::new("/etc/cloison/legacy.toml"),
        basic_existing,
        Some(Path::new("/etc/cloison")),
    )
    .expect("valid");
    assert_eq!(profile.auth.scheme, AuthScheme::Basic);
    assert_eq!(profile.accounts.existing.len(), 2);
    assert_eq!(
        profile.secrets_file.as_deref(),
        Some(Path::new("/etc/cloison/legacy.secrets.toml"))
    );
    assert!(profile.refusals.empty_list);
    assert_eq!(profile.refusals.login_redirect.as_deref(), Some("/login"));

    let cookie = basic_existing
        .replace("scheme = \"basic\"", "scheme = \"cookie\"\n[auth.login]\nmethod = \"POST\"\npath = \"/login\"\nform = { user = \"{{identity.login}}\", pass = \"{{identity.password}}\" }");
    assert_eq!(
        parse(&cookie)
            .expect("cookie sessions validate")
            .auth
            .scheme,
        AuthScheme::Cookie
    );

    let header = basic_existing
        .replace("password = \"{{secrets.alice}}\"", "token = \"{{secrets.alice}}\"")
        .replace("password = \"{{secrets.bob}}\"", "token = \"{{secrets.bob}}\"")
        .replace("scheme = \"basic\"", "scheme = \"header\"\nsend = { header = \"X-Api-Key\", value = \"{{identity.token}}\" }");
    assert_eq!(
        parse(&header)
            .expect("static API tokens validate")
            .auth
            .scheme,
        AuthScheme::Header
    );

    let token_header = REFERENCE_PORTAL.replace(
        "token = { json = \"/token\" }",
        "token = { header = \"X-Session\" }",
    );
    assert_eq!(
        parse(&token_header).expect("token in a header").auth.token,
        Some(TokenSource::Header("X-Session".into()))
    );

    let missing_token = header.replace(
        "token = \"{{secrets.bob}}\"",
        "password = \"{{secrets.bob}}\"",
    );
    insta::assert_snapshot!(
        "header_scheme_needs_tokens",
        parse(&missing_token).expect_err("bob has no token")
    );
}

/// The worked example of docs/profile-format.md is a valid profile.
#[test]
fn the_documented_example_validates() {
    let doc = include_str!("../../../../docs/profile-format.md");
    let start = doc.find("```toml\n").expect("the doc has a TOML example") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed code block");
    parse(&doc[start..end]).expect("the documented example validates");
}

/// `[probing] follow_hosts` and `max_redirects`: hosts (with a port or not) validate; a URL, a path or too
/// many hops are errors at their line and column.
#[test]
fn redirect_settings_validate_and_mistakes_are_located() {
    let with = |probing: &str| format!("{REFERENCE_PORTAL}\n[probing]\n{probing}\n");
    let profile = parse(&with(
        "follow_hosts = [\"files.example.net\", \"127.0.0.1:9000\"]\nmax_redirects = 3",
    ))
    .expect("hosts validate");
    assert_eq!(
        profile.probing.follow_hosts,
        ["files.example.net", "127.0.0.1:9000"]
    );
    assert_eq!(profile.probing.max_redirects, 3);
    assert_eq!(
        Profile::reference_portal()
            .expect("valid")
            .probing
            .max_redirects,
        5,
        "the default"
    );
    let err = parse(&with(
        "follow_hosts = [\"files.example.net\", \"https://s3.example.net/bucket\"]",
    ))
    .expect_err("a URL is no host");
    insta::assert_snapshot!("follow_hosts_url", err);
    let err = parse(&with("max_redirects = 50")).expect_err("too many hops");
    insta::assert_snapshot!("max_redirects_too_many", err);
}

/// `[probing] exclude`: operations by method and path, by path, or by operationId validate; an entry that
/// names no operation is an error at its line and column.
#[test]
fn exclusions_validate_and_mistakes_are_located() {
    let with = |probing: &str| format!("{REFERENCE_PORTAL}\n[probing]\n{probing}\n");
    let profile = parse(&with(
        "exclude = [\"GET /api/reset/\", \"* /admin/*\", \"/api/flush/\", \"wipeDatabase\"]",
    ))
    .expect("exclusions validate");
    assert_eq!(profile.probing.exclude.len(), 4);
    assert!(profile.probing.exclude[0].matches("GET", "/api/reset/", None));
    assert!(profile.probing.exclude[3].matches("POST", "/x", Some("wipeDatabase")));
    let err = parse(&with(
        "exclude = [\"GET /api/reset/\", \"FETCH /api/reset/\"]",
    ))
    .expect_err("not a method");
    insta::assert_snapshot!("exclude_not_a_method", err);
}

/// The profiles of the mock platforms of other shapes (two-step raw uploads, client-chosen keys, records
/// found by listing) validate, and compile to the create each describes.
#[test]
fn two_step_creates_chosen_keys_and_found_identifiers_validate() {
    use cloison_harness::profile::{Body, IdSource, RawContent};
    use cloison_suites::RecordKind;

    let depot = parse(crate::depot::PROFILE).expect("Depot's profile validates");
    let upload = depot
        .create(RecordKind::Document)
        .expect("a document create");
    assert_eq!(upload.steps.len(), 2);
    assert!(matches!(upload.id, IdSource::Extracted(1)));
    assert!(matches!(
        upload.steps[0].body,
        Body::Raw {
            content: RawContent::File,
            ..
        }
    ));
    assert_eq!(
        upload
            .named_extracts()
            .map(|(step, name, pointer)| (step, name.to_string(), pointer.to_string()))
            .collect::<Vec<_>>(),
        [(0, "blob".to_string(), "/blob".to_string())]
    );

    let guichet = parse(crate::guichet::PROFILE).expect("Guichet's profile validates");
    let dossier = guichet.create(RecordKind::Case).expect("a case create");
    assert!(matches!(
        dossier.id,
        IdSource::Chosen {
            read_back: Some(0),
            ..
        }
    ));
    let piece = guichet
        .create(RecordKind::Document)
        .expect("a document create");
    assert!(
        matches!(&piece.id, IdSource::Found { items, id, .. } if items == "/resultats" && id == "/cote")
    );
    let Body::Form(fields) = &piece.steps[0].body else {
        panic!("a form");
    };
    let mots: Vec<String> = fields
        .iter()
        .filter(|(name, _)| name == "mots")
        .map(|(_, t)| t.text())
        .collect();
    assert_eq!(mots, ["{{document.kind}}", "{{document.reference}}"]);
}

/// Mistakes in raw bodies, repeated fields, filters, steps and identifiers: each at its line and column,
/// saying what was expected.
#[test]
fn shape_mistakes_are_located() {
    let depot = crate::depot::PROFILE;
    let guichet = crate::guichet::PROFILE;
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "two_bodies",
            depot,
            "body = { file = \"document\" }",
            "body = { file = \"document\" }\njson = { a = 1 }",
        ),
        (
            "raw_body_wrong_type",
            depot,
            "body = { file = \"document\" }",
            "body = 3",
        ),
        (
            "raw_body_unknown_file",
            depot,
            "body = { file = \"document\" }",
            "body = { file = \"photo\" }",
        ),
        (
            "content_type_without_body",
            depot,
            "path = \"/records\"\n",
            "path = \"/records\"\ncontent_type = \"text/plain\"\n",
        ),
        (
            "repeated_field_not_text",
            guichet,
            "mots = [\"{{document.kind}}\", \"{{document.reference}}\"]",
            "mots = [\"{{document.kind}}\", 3]",
        ),
        (
            "unknown_filter",
            guichet,
            "nom = \"{{person.surname}}\"",
            "nom = \"{{person.surname | slug | majuscules}}\"",
        ),
        (
            "extract_never_used",
            depot,
            "extract = { blob = \"/blob\" }",
            "extract = { blob = \"/blob\", length = \"/size\" }",
        ),
        (
            "extract_used_too_early",
            depot,
            "path = \"/blobs\"\n",
            "path = \"/blobs/{{document.blob}}\"\n",
        ),
        (
            "as_on_a_later_step",
            depot,
            "method = \"POST\"\npath = \"/records/{{case.id}}/attachments\"",
            "as = \"owner\"\nmethod = \"POST\"\npath = \"/records/{{case.id}}/attachments\"",
        ),
        (
            "find_without_list",
            guichet,
            "[resources.document.list]\npath = \"/dossiers/{{case.id}}/pieces\"\n",
            "",
        ),
        (
            "id_on_a_read",
            guichet,
            "[resources.case.read]\npath = \"/dossiers/{{case.id}}\"",
            "[resources.case.read]\npath = \"/dossiers/{{case.id}}\"\nid = \"x\"",
        ),
        (
            "extract_shadows_a_value",
            depot,
            "extract = { blob = \"/blob\" }",
            "extract = { reference = \"/blob\" }",
        ),
        (
            "steps_for_a_read",
            depot,
            "[resources.case.read]",
            "[[resources.case.read]]",
        ),
        (
            "two_identifiers",
            depot,
            "extract = { blob = \"/blob\" }",
            "extract = { blob = \"/blob\", id = \"/blob\" }",
        ),
        (
            "chosen_id_unknown_field",
            guichet,
            "id = \"{{case.case_number}}\"",
            "id = \"{{case.case_numbr}}\"",
        ),
    ];
    for (name, profile, from, to) in cases {
        assert!(
            profile.contains(from),
            "{name}: {from:?} not in the profile"
        );
        let err = parse(&profile.replacen(from, to, 1)).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}

/// Resources under the platform's own names hold the generated entities: endpoints are keyed by the
/// platform's names, placeholders under those names read the entity's values, and the policy and functions
/// may name them.
#[test]
fn resources_the_platform_names_itself_validate() {
    use cloison_suites::RecordKind;
    let text = crate::run::renamed_resources().replace(
        "[policy]\n",
        "[policy.dossier]\ntenant_admin = [\"tenant:read\"]\n\n[policy]\n",
    );
    let profile = parse(&text).expect("renamed resources validate");
    assert_eq!(profile.kind_named("dossier"), Some(RecordKind::Case));
    assert_eq!(profile.kind_named("piece"), Some(RecordKind::Document));
    assert_eq!(profile.kind_name(RecordKind::Case), "dossier");
    assert_eq!(profile.kind_name(RecordKind::Note), "note");
    let keys = profile.endpoint_keys();
    assert!(
        keys.contains(&"resources.dossier.read".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"resources.piece.download".to_string()),
        "{keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.starts_with("resources.case.")),
        "{keys:?}"
    );
    let read = profile
        .endpoint_by_key("resources.dossier.read")
        .expect("found by the platform's name");
    assert_eq!(read.placeholders(), ["case.id".to_string()].into());
    assert_eq!(
        profile.policy.scopes_for(RecordKind::Case, "tenant_admin"),
        Some(&[cloison_suites::Scope::Tenant][..])
    );
    // Every endpoint but the renamed ones is the reference profile's.
    let reference = Profile::reference_portal().expect("valid");
    let renamed = |k: &String| {
        k.replace("resources.case.", "resources.dossier.")
            .replace("resources.document.", "resources.piece.")
    };
    let expected: Vec<String> = reference.endpoint_keys().iter().map(renamed).collect();
    let mut got = keys.clone();
    got.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(got, expected);
}

/// Mistakes in binding resources to entities, each at its line and column.
#[test]
fn resource_binding_mistakes_are_located() {
    let renamed = crate::run::renamed_resources();
    let cases: &[(&str, &str, &str)] = &[
        (
            "entity_unknown",
            "[resources.dossier]\nentity = \"case\"",
            "[resources.dossier]\nentity = \"order\"",
        ),
        (
            "entity_not_a_string",
            "[resources.dossier]\nentity = \"case\"",
            "[resources.dossier]\nentity = 3",
        ),
        (
            "two_creates_for_one_entity",
            "[resources.piece]\nentity = \"document\"",
            "[resources.piece]\nentity = \"case\"",
        ),
        (
            "entity_named_as_another",
            "[resources.piece]\nentity = \"document\"",
            "[resources.piece]\nentity = \"document\"\n\n[resources.note]\nentity = \"decision\"",
        ),
        (
            "entity_reserved_root",
            "[resources.piece]\nentity = \"document\"",
            "[resources.piece]\nentity = \"document\"\n\n[resources.identity]\nentity = \"decision\"",
        ),
        (
            "operation_not_a_table",
            "[resources.piece]\nentity = \"document\"",
            "[resources.piece]\nentity = \"document\"\nexport = \"/pieces\"",
        ),
        (
            "account_created",
            "[resources.piece]\nentity = \"document\"",
            "[resources.piece]\nentity = \"document\"\n\n[resources.user]\nentity = \"account\"\n\n[resources.user.create]\nmethod = \"POST\"\npath = \"/users\"",
        ),
        (
            "account_deleted",
            "[resources.piece]\nentity = \"document\"",
            "[resources.piece]\nentity = \"document\"\n\n[resources.user]\nentity = \"account\"\n\n[resources.user.delete]\nmethod = \"DELETE\"\npath = \"/users/{{user.id}}\"",
        ),
        (
            "policy_unknown_kind",
            "[policy]\n",
            "[policy.order]\nadmin = [\"tenant\"]\n\n[policy]\n",
        ),
    ];
    for (name, from, to) in cases {
        assert!(
            renamed.contains(from),
            "{name}: {from:?} not in the profile"
        );
        let err = parse(&renamed.replacen(from, to, 1)).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}

/// A role of the platform's own: accepted in `[roles]` as `{ staff = true }`, named in the policy, in
/// functions and by existing accounts; each mistake at its line and column.
#[test]
fn roles_of_the_platforms_own_validate_and_mistakes_are_located() {
    let with = |roles: &str, policy: &str| {
        mutate(
            "tenant_admin = \"admin\"\n",
            &format!("tenant_admin = \"admin\"\n{roles}"),
        )
        .replacen(
            "tenant_admin = [\"tenant\"]\n",
            &format!("tenant_admin = [\"tenant\"]\n{policy}"),
            1,
        )
    };
    let profile = parse(&with(
        "auditor = { staff = true }\n",
        "auditor = [\"tenant:read\"]\n",
    ))
    .expect("a role of the platform's own validates");
    assert_eq!(profile.staff_roles, ["auditor"]);
    assert_eq!(profile.roles["auditor"], "auditor");
    assert_eq!(
        profile
            .policy
            .scopes_for(cloison_suites::RecordKind::Case, "auditor"),
        Some(&[cloison_suites::Scope::Tenant][..])
    );
    let cases: &[(&str, String)] = &[
        (
            "own_role_not_staff",
            with("auditor = { staff = false }\n", "auditor = [\"tenant\"]\n"),
        ),
        (
            "own_role_is_cloisons",
            mutate("agent = \"agent\"", "agent = { staff = true }"),
        ),
        (
            "own_role_named_as_another",
            with("auditor = { staff = true }\n", "auditor = [\"tenant\"]\n").replacen(
                "agent = \"agent\"",
                "agent = \"auditor\"",
                1,
            ),
        ),
        (
            "own_role_without_policy",
            with("auditor = { staff = true }\n", ""),
        ),
        (
            "own_role_unknown_key",
            with(
                "auditor = { staff = true, like = \"agent\" }\n",
                "auditor = [\"tenant\"]\n",
            ),
        ),
    ];
    for (name, text) in cases {
        let err = parse(text).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}

/// `auth.send` as a list: each header sent on every request; a header twice, an empty list or a mistake
/// inside one entry is an error at its line and column.
#[test]
fn several_credential_headers_validate_and_mistakes_are_located() {
    let from = "send = { header = \"Authorization\", value = \"Bearer {{token}}\" }";
    let profile = parse(&mutate(
        from,
        "send = [\n  { header = \"Authorization\", value = \"Bearer {{token}}\" },\n  { header = \"apikey\", value = \"{{secrets.operator_token}}\" },\n]",
    ))
    .expect("two headers validate");
    let names: Vec<&str> = profile.auth.send.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["Authorization", "apikey"]);
    let cases: &[(&str, String)] = &[
        ("send_empty", mutate(from, "send = []")),
        (
            "send_twice",
            mutate(
                from,
                "send = [\n  { header = \"Authorization\", value = \"Bearer {{token}}\" },\n  { header = \"authorization\", value = \"x\" },\n]",
            ),
        ),
        (
            "send_unknown_root",
            mutate(
                from,
                "send = [\n  { header = \"Authorization\", value = \"Bearer {{token}}\" },\n  { header = \"X-Case\", value = \"{{case.id}}\" },\n]",
            ),
        ),
    ];
    for (name, text) in cases {
        let err = parse(text).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}

/// The reference profile with several independent mistakes, in different sections: `[policy]`, `[auth]`,
/// `[refusals]`, a resource's template, `[transitions]`, `[functions]` and the name.
fn with_several_mistakes() -> String {
    let mut text = REFERENCE_PORTAL.to_string();
    for (from, to) in [
        ("name = \"cloison reference portal\"", "name = \" \""),
        ("applicant = [\"own\"]", "applicant = [\"everything\"]"),
        (
            "token = { json = \"/token\" }",
            "token = { json = \"token\" }",
        ),
        (
            "statuses = [401, 403, 404]",
            "statuses = [401, 403, 404, 700]",
        ),
        (
            "json = { body = \"{{note.text}}\" }",
            "json = { body = \"{{note.txt}}\" }",
        ),
        (
            "json = { to = \"{{to.code}}\" }",
            "json = { to = \"{{to.cod}}\" }",
        ),
        ("granted = [\"tenant_admin\"]", "granted = [\"auditor\"]"),
    ] {
        assert!(
            text.contains(from),
            "the reference profile no longer contains {from:?}"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

/// A profile with several independent mistakes reports every one, in file order, each located.
#[test]
fn every_independent_mistake_is_reported_at_once() {
    let err = Profile::parse(Path::new("profile.toml"), &with_several_mistakes(), None)
        .expect_err("seven mistakes");
    assert_eq!(err.count(), 7, "{err}");
    let lines: Vec<usize> = err.all().filter_map(|e| e.line).collect();
    assert!(lines.is_sorted(), "in file order: {lines:?}");
    insta::assert_snapshot!("several_mistakes", err.to_string());
}

/// Past [`cloison_harness::profile::MAX_ERRORS`], the others are counted, not listed.
#[test]
fn many_mistakes_are_capped_and_counted() {
    let mut text = REFERENCE_PORTAL.to_string();
    for i in 0..30 {
        text.push_str(&format!(
            "\n[functions.f{i}]\npath = \"/f\"\ngranted = [\"nobody\"]\n"
        ));
    }
    let err = Profile::parse(Path::new("profile.toml"), &text, None).expect_err("30 mistakes");
    assert_eq!(err.count(), 30);
    assert_eq!(err.all().count(), cloison_harness::profile::MAX_ERRORS);
    let shown = err.to_string();
    assert!(shown.len() <= 8 * 1024, "{} bytes", shown.len());
    assert!(
        shown.ends_with("fix these and load the profile again"),
        "{shown}"
    );
    assert!(shown.contains("more errors (30 in all)"), "{shown}");
}

/// Run `cloison` with `args` in `dir`: its exit code and standard error.
fn cloison(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run cloison");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The binary loads the profile before anything else: every mistake is on standard error and the exit is 2
/// (a usage error), with nothing sent (nothing listens at the target).
#[test]
fn the_binary_reports_every_mistake_of_a_profile_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bad.toml"), with_several_mistakes()).expect("write");
    let (code, stderr) = cloison(
        dir.path(),
        &[
            "run",
            "--quiet",
            "--profile",
            "bad.toml",
            "--target",
            "url:http://127.0.0.1:9",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    let expected = Profile::parse(Path::new("bad.toml"), &with_several_mistakes(), None)
        .expect_err("mistakes");
    for error in expected.all() {
        let at = format!(
            "bad.toml:{}:{}: ",
            error.line.expect("line"),
            error.column.expect("column")
        );
        assert!(stderr.contains(&at), "{at} missing from: {stderr}");
    }
    assert!(stderr.contains("unknown scope `everything`"), "{stderr}");
    assert!(stderr.contains("`{{to.cod}}` names no value"), "{stderr}");
}

/// Every template is checked at load, bodies included: a mistake in one is exit 2 before any request,
/// never a failure mid-run. Each, through `Profile::parse`, with its located message.
#[test]
fn template_mistakes_in_bodies_are_located_at_load() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "template_unknown_filter_in_body",
            "json = { body = \"{{note.text}}\" }",
            "json = { body = \"{{note.text | upper}}\" }",
        ),
        (
            "template_unclosed_in_body",
            "json = { body = \"{{note.text}}\" }",
            "json = { body = \"{{note.text\" }",
        ),
        (
            "template_unknown_root_in_body",
            "json = { body = \"{{note.text}}\" }",
            "json = { body = \"{{document.kind}}\" }",
        ),
        (
            "template_field_of_a_single_value",
            "json = { body = \"{{note.text}}\" }",
            "json = { body = \"{{note.text.first}}\" }",
        ),
        (
            "template_field_of_a_token",
            "value = \"Bearer {{token}}\"",
            "value = \"Bearer {{token.access}}\"",
        ),
        (
            "template_list_as_text",
            "summary = \"Dossier {{case.case_number}}",
            "summary = \"Dossier {{case.requested_rights}}",
        ),
        (
            "template_list_in_a_path",
            "path = \"/api/v1/cases/{{case.id}}/notes\"",
            "path = \"/api/v1/cases/{{case.requested_rights}}/notes\"",
        ),
        (
            "template_unknown_fallback_field",
            "{{person.phone || '0100000000'}}",
            "{{person.phone || person.mobile}}",
        ),
    ];
    for (name, from, to) in cases {
        let err = parse(&mutate(from, to)).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
    // A list kept whole as a JSON field's value is not a mistake (the reference sends `requested_rights`).
    parse(REFERENCE_PORTAL).expect("the reference profile");
}

/// A template mistake in a body stops the binary at load with exit 2 and the located message: nothing is
/// sent (nothing listens at the target), so the HTTP layer never meets it.
#[test]
fn a_template_mistake_in_a_body_is_exit_2_at_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = mutate(
        "json = { body = \"{{note.text}}\" }",
        "json = { body = \"{{note.text | upper}}\" }",
    );
    std::fs::write(dir.path().join("bad.toml"), &text).expect("write");
    let (code, stderr) = cloison(
        dir.path(),
        &[
            "run",
            "--quiet",
            "--profile",
            "bad.toml",
            "--target",
            "url:http://127.0.0.1:9",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    let line = text
        .lines()
        .position(|l| l.contains("{{note.text | upper}}"))
        .expect("the line")
        + 1;
    assert!(
        stderr.contains(&format!("bad.toml:{line}:")),
        "line {line}: {stderr}"
    );
    assert!(
        stderr.contains("`resources.note.create.json.body`: unknown filter `upper`"),
        "{stderr}"
    );
}
