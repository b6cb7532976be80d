//! The two exceptions to a role's scopes: values public by design (`[policy.public]`) and endpoints that
//! narrow a role (`narrow`). They validate into the policy; each mistake is located (insta snapshots), and
//! mistakes of both kinds are reported at once.

use cloison_suites::Scope;
use cloison_suites::generators::canary::CanaryKind;

use super::{mutate, parse};

/// The reference profile with `[policy.public]` entries (`public`, appended) and a `narrow` on the case
/// read (`narrow`, a line of its table).
fn with(public: &str, narrow: &str) -> String {
    let text = mutate(
        "[resources.case.read]\n",
        &format!("[resources.case.read]\n{narrow}"),
    );
    if public.is_empty() {
        text
    } else {
        format!("{text}\n[policy.public]\n{public}")
    }
}

#[test]
fn public_values_and_narrowed_endpoints_validate_into_the_policy() {
    let profile = parse(&with(
        "surname = [\"*\"]\nphone = [\"agent\", \"admin\"]\n",
        "narrow = { admin = [\"nothing\"], agent = [\"own\"] }\n",
    ))
    .expect("valid");
    let policy = &profile.policy;
    // (kind, role) -> public; `admin` is the platform's name of `tenant_admin`.
    let table = [
        (CanaryKind::Surname, "applicant", true),
        (CanaryKind::Surname, "tenant_admin", true),
        (CanaryKind::Phone, "agent", true),
        (CanaryKind::Phone, "tenant_admin", true),
        (CanaryKind::Phone, "applicant", false),
        (CanaryKind::Email, "agent", false),
    ];
    for (kind, role, public) in table {
        assert_eq!(policy.is_public(kind, role), public, "{kind} to {role}");
    }
    assert_eq!(
        policy.narrowed("resources.case.read", "tenant_admin"),
        Some(&[Scope::Nothing][..])
    );
    assert_eq!(
        policy.narrowed("resources.case.read", "agent"),
        Some(&[Scope::Own][..])
    );
    assert_eq!(policy.narrowed("resources.case.list", "tenant_admin"), None);
    // The reference profile declares neither.
    let reference = parse(cloison_harness::profile::REFERENCE_PORTAL).expect("valid");
    assert_eq!(reference.policy.public().count(), 0);
    assert!(!reference.policy.has_narrowed());
}

/// Every mistake of the new keys, and the error it must give.
#[test]
fn public_values_and_narrowed_endpoints_mistakes_are_located() {
    let cases: &[(&str, String)] = &[
        ("public_unknown_kind", with("display_name = [\"*\"]\n", "")),
        ("public_unknown_role", with("surname = [\"member\"]\n", "")),
        (
            "public_every_role_and_more",
            with("surname = [\"*\", \"agent\"]\n", ""),
        ),
        ("public_empty", with("surname = []\n", "")),
        ("public_anonymous", with("surname = [\"anonymous\"]\n", "")),
        (
            "public_role_twice",
            with("surname = [\"tenant_admin\", \"admin\"]\n", ""),
        ),
        (
            "narrow_unknown_role",
            with("", "narrow = { auditor = [\"nothing\"] }\n"),
        ),
        (
            "narrow_unknown_scope",
            with("", "narrow = { admin = [\"everything\"] }\n"),
        ),
        (
            "narrow_read_only",
            with("", "narrow = { admin = [\"own:read\"] }\n"),
        ),
        ("narrow_empty", with("", "narrow = {}\n")),
        (
            "narrow_on_create",
            mutate(
                "[resources.case.create]\n",
                "[resources.case.create]\nnarrow = { admin = [\"nothing\"] }\n",
            ),
        ),
        (
            "narrow_outside_resources",
            mutate(
                "[health]\n",
                "[health]\nnarrow = { admin = [\"nothing\"] }\n",
            ),
        ),
        (
            "public_and_narrow_mistakes_at_once",
            with(
                "display_name = [\"*\"]\n",
                "narrow = { auditor = [\"nothing\"] }\n",
            ),
        ),
    ];
    for (name, text) in cases {
        let err = parse(text).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}
