//! The report's `coverage.operations`: every operation of the document, and the families whose probes
//! reached it. A probe's endpoint is mapped to an operation by its method and path template (a profile
//! endpoint), or is one (a generic endpoint of [`super::reach`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Document;

/// One operation of the document and what was tried on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationCoverage {
    /// Upper-case method.
    pub method: String,
    /// Path template, as the document writes it (with its server's base path).
    pub path: String,
    /// The profile endpoint that describes it (`resources.case.read`), or `null`.
    pub described_by: Option<String>,
    /// The families whose probes reached it, sorted (`anonymous`, `direct-read`...): empty when none did.
    pub tried: Vec<String>,
    /// Why the generic probing never called it (the profile's reset, setup or session calls,
    /// `[probing] exclude`, a name that says it wipes data), when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
}

/// Every operation of `doc` with the families of `executed` (family, endpoint key) that reached it;
/// `described` maps profile endpoint keys to operations, `generic` the generic keys; `withheld` the
/// operations never called on purpose.
pub fn operations(
    doc: &Document,
    described: &BTreeMap<String, usize>,
    generic: &BTreeMap<String, usize>,
    withheld: &BTreeMap<usize, super::withhold::Withheld>,
    executed: &BTreeSet<(String, String)>,
) -> Vec<OperationCoverage> {
    let mut tried: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for (family, endpoint) in executed {
        if let Some(index) = generic.get(endpoint).or_else(|| described.get(endpoint)) {
            tried.entry(*index).or_default().insert(family.as_str());
        }
        // A function whose effect is read back also sends its setup and its read, as a granted role.
        for part in ["setup", "effect.read"] {
            if let Some(index) = described.get(&format!("{endpoint}.{part}")) {
                tried.entry(*index).or_default().insert(family.as_str());
            }
        }
    }
    let mut described_by: BTreeMap<usize, &str> = BTreeMap::new();
    for (key, index) in described {
        // Resources and functions before setup steps, the first in key order.
        let rank = |k: &str| !(k.starts_with("resources.") || k.starts_with("functions."));
        match described_by.get(index) {
            Some(existing) if (rank(existing), *existing) <= (rank(key), key.as_str()) => {}
            _ => {
                described_by.insert(*index, key);
            }
        }
    }
    doc.operations
        .iter()
        .enumerate()
        .map(|(index, op)| OperationCoverage {
            method: op.method.clone(),
            path: op.path.clone(),
            described_by: described_by.get(&index).map(|k| k.to_string()),
            tried: tried
                .get(&index)
                .map(|f| f.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
            withheld: withheld.get(&index).map(ToString::to_string),
        })
        .collect()
}

/// Operations reached, of all those cloison may call (an operation never called on purpose, and not
/// reached by a probe of the profile's, is not counted), and the share in percent (rounded down, so that
/// 89.9 % never shows as 90).
pub fn share(operations: &[OperationCoverage]) -> (usize, usize, u32) {
    let reached = operations.iter().filter(|o| !o.tried.is_empty()).count();
    let total = operations
        .iter()
        .filter(|o| !o.tried.is_empty() || o.withheld.is_none())
        .count();
    let percent = (reached * 100).checked_div(total).unwrap_or(0) as u32;
    (reached, total, percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_reach_operations_through_profile_and_generic_keys() {
        let doc = Document::parse(
            "d.json",
            r#"{"openapi": "3.0.0", "paths": {"/a/{id}": {"get": {}, "delete": {}}, "/b": {"get": {}}}}"#,
        )
        .expect("parses");
        let described = BTreeMap::from([("resources.case.read".to_string(), 0)]);
        let generic = BTreeMap::from([("openapi GET /b".to_string(), 2)]);
        let executed = BTreeSet::from([
            ("direct-read".to_string(), "resources.case.read".to_string()),
            ("anonymous".to_string(), "resources.case.read".to_string()),
            ("collection".to_string(), "openapi GET /b".to_string()),
            ("control".to_string(), "resources.note.list".to_string()),
        ]);
        let ops = operations(&doc, &described, &generic, &BTreeMap::new(), &executed);
        assert_eq!(ops[0].tried, ["anonymous", "direct-read"]);
        assert_eq!(ops[0].described_by.as_deref(), Some("resources.case.read"));
        assert!(ops[1].tried.is_empty());
        assert_eq!(ops[2].tried, ["collection"]);
        assert_eq!(share(&ops), (2, 3, 66));
        // An operation never called on purpose is listed with why, and not counted as missed.
        let withheld = BTreeMap::from([(1, super::super::withhold::Withheld::Excluded)]);
        let ops = operations(&doc, &described, &generic, &withheld, &executed);
        assert_eq!(
            ops[1].withheld.as_deref(),
            Some("named by [probing] exclude")
        );
        assert_eq!(share(&ops), (2, 2, 100));
    }

    #[test]
    fn a_function_whose_effect_is_read_back_reaches_its_setup_and_read_operations() {
        let doc = Document::parse(
            "d.json",
            r#"{"openapi": "3.0.0", "paths": {"/k/{id}": {"get": {}, "delete": {}}, "/k": {"post": {}}}}"#,
        )
        .expect("parses");
        let described = BTreeMap::from([
            ("functions.remove.effect.read".to_string(), 0),
            ("functions.remove".to_string(), 1),
            ("functions.remove.setup".to_string(), 2),
        ]);
        let executed =
            BTreeSet::from([("function-level".to_string(), "functions.remove".to_string())]);
        let ops = operations(
            &doc,
            &described,
            &BTreeMap::new(),
            &BTreeMap::new(),
            &executed,
        );
        for op in &ops {
            assert_eq!(op.tried, ["function-level"], "{} {}", op.method, op.path);
        }
    }
}
