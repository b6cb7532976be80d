//! A function's effect read back (`setup` and `effect` of `[functions.NAME]`): what validates, and every
//! mistake located (insta snapshots).

use cloison_suites::verdict::Shows;

use super::{mutate, parse};

const RENAME: &str = "[functions.reference_rename]\n";

/// The reference profile's `reference_rename` function with its `setup` and `effect` lines replaced by
/// `lines`.
fn rename_with(lines: &str) -> String {
    let start = super::REFERENCE_PORTAL_TEXT
        .find(RENAME)
        .expect("the reference profile declares reference_rename");
    let end = start
        + super::REFERENCE_PORTAL_TEXT[start..]
            .find("\n\n")
            .expect("the function's table ends");
    let table = &super::REFERENCE_PORTAL_TEXT[start..end];
    let kept: Vec<&str> = table
        .lines()
        .filter(|l| !l.starts_with("setup =") && !l.starts_with("effect ="))
        .collect();
    mutate(table, &format!("{}\n{lines}", kept.join("\n")))
}

const SETUP: &str = r#"setup = { method = "POST", path = "/api/v1/reference/rights", json = { label = "x {{probe.id}}" }, extract = { right = "/id" } }"#;

#[test]
fn the_reference_portal_declares_its_reference_functions_effects() {
    let profile = parse(super::REFERENCE_PORTAL_TEXT).expect("valid");
    let rename = profile.functions["reference_rename"]
        .effect
        .as_deref()
        .expect("an effect");
    assert_eq!(
        rename.shows,
        Shows::Marker {
            at: "/label".into()
        }
    );
    assert_eq!(
        rename.setup.extract,
        [("right".to_string(), "/id".to_string())]
    );
    let delete = profile.functions["reference_delete"]
        .effect
        .as_deref()
        .expect("an effect");
    assert_eq!(delete.shows, Shows::Gone { at: None });
    let changed = parse(&rename_with(&format!(
        "{SETUP}\neffect = {{ read = {{ path = \"/api/v1/reference/rights/{{{{probe.right}}}}\" }}, shows = \"changed\", at = \"/label\" }}"
    )))
    .expect("valid");
    assert_eq!(
        changed.functions["reference_rename"]
            .effect
            .as_deref()
            .map(|e| &e.shows),
        Some(&Shows::Changed {
            at: "/label".into()
        })
    );
}

#[test]
fn effect_mistakes_are_located() {
    let read = r#"read = { path = "/api/v1/reference/rights/{{probe.right}}" }"#;
    let cases: &[(&str, String)] = &[
        (
            "effect_without_setup",
            rename_with(&format!("effect = {{ {read}, shows = \"gone\" }}")),
        ),
        ("setup_without_effect", rename_with(SETUP)),
        (
            "effect_unknown_shows",
            rename_with(&format!(
                "{SETUP}\neffect = {{ {read}, shows = \"vanished\" }}"
            )),
        ),
        (
            "effect_marker_without_at",
            rename_with(&format!(
                "{SETUP}\neffect = {{ {read}, shows = \"marker\" }}"
            )),
        ),
        (
            "effect_read_not_aimed",
            rename_with(&format!(
                "{SETUP}\neffect = {{ read = {{ path = \"/api/v1/reference/rights\" }}, shows = \"gone\" }}"
            )),
        ),
        (
            "setup_without_extract",
            rename_with(&format!(
                "setup = {{ method = \"POST\", path = \"/api/v1/reference/rights\" }}\neffect = {{ {read}, shows = \"gone\" }}"
            )),
        ),
        (
            "effect_setup_names_an_unknown_probe_value",
            rename_with(&format!(
                "{}\neffect = {{ read = {{ path = \"/api/v1/reference/rights/{{{{probe.right}}}}\", query = {{ x = \"{{{{probe.rights}}}}\" }} }}, shows = \"gone\" }}",
                SETUP
            )),
        ),
        (
            "effect_on_a_resource",
            mutate(
                "[resources.case.read]\npath = \"/api/v1/cases/{{case.id}}\"\n",
                "[resources.case.read]\npath = \"/api/v1/cases/{{case.id}}\"\neffect = { read = { path = \"/x\" }, shows = \"gone\" }\n",
            ),
        ),
    ];
    for (name, text) in cases {
        let err = parse(text).expect_err(name);
        insta::assert_snapshot!(*name, err);
    }
}
