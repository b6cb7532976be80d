//! The cases of the corpus: the reference portal (each flaw alone, plain and with its realism knobs, and
//! hardened seeds) and every platform of `cloison_fixtures::corpus` (each variant its truth file names),
//! each with its ground truth as plain data ([`CaseTruth`]).
//!
//! The portal's flaws come from `Flaw::ALL`, whatever they are: each case's truth is "a finding, anywhere"
//! (the flaw is on), and a hardened seed's is "no finding" (the portal isolates). A platform's truth is its
//! `truth.toml`, read here; nothing in this module knows a platform's routes.

use cloison_fixtures::Flaw;
use cloison_fixtures::corpus::{PLATFORMS, Platform};
use cloison_suites::score::{CaseTruth, Expectation};
use serde::Deserialize;

/// Hardened seeds of the plain portal in the corpus.
pub const PORTAL_HARDENED_SEEDS: u64 = 3;
/// Hardened seeds of the realistic portal in the corpus.
pub const REALISTIC_HARDENED_SEEDS: u64 = 1;
/// World seed of the portal's flawed cases.
pub const PORTAL_SEED: u64 = 1;

/// What a case runs against.
#[derive(Debug, Clone)]
pub enum CaseTarget {
    /// The embedded reference portal.
    Portal {
        /// The flaw switched on, or none (hardened).
        flaw: Option<Flaw>,
        /// With its realism knobs on.
        realistic: bool,
        /// World seed.
        seed: u64,
    },
    /// A platform of the corpus, one variant.
    Platform {
        /// The platform.
        platform: &'static Platform,
        /// Its variant.
        variant: String,
        /// The world the truth file asks for.
        world: World,
    },
}

/// The world of a platform's runs (`[run]` of its truth file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// World seed.
    pub seed: u64,
    /// Tenants.
    pub tenants: usize,
    /// Case files.
    pub cases: u64,
}

/// One benchmark case.
#[derive(Debug, Clone)]
pub struct Case {
    /// `portal/FLAW`, `portal-realistic/FLAW`, `portal/hardened-N`, `PLATFORM/VARIANT`.
    pub name: String,
    /// What it holds, in a few words.
    pub summary: String,
    /// What it runs against.
    pub target: CaseTarget,
    /// Its ground truth.
    pub truth: CaseTruth,
}

/// A truth file (`fixtures/corpus/NAME/truth.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TruthFile {
    run: World,
    case: Vec<TruthCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TruthCase {
    variant: String,
    summary: String,
    #[serde(default)]
    isolates: bool,
    #[serde(default)]
    vulnerable: Vec<Expectation>,
    #[serde(default)]
    safe: Vec<Expectation>,
}

/// A truth file that does not parse, or names a variant its platform does not have.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    /// Not the format of docs/benchmark.md.
    #[error("fixtures/corpus/{platform}/truth.toml: {message}")]
    Format { platform: String, message: String },
    /// A variant the platform does not build.
    #[error("fixtures/corpus/{platform}/truth.toml: no variant {variant:?} in the platform")]
    Variant { platform: String, variant: String },
    /// A case that can be neither found nor missed.
    #[error("fixtures/corpus/{platform}/truth.toml: variant {variant:?} has no expectation")]
    Empty { platform: String, variant: String },
}

/// The cases of one platform, from its truth file.
pub fn platform_cases(platform: &'static Platform) -> Result<Vec<Case>, Vec<TruthError>> {
    let file: TruthFile = toml::from_str(platform.truth).map_err(|e| {
        vec![TruthError::Format {
            platform: platform.name.into(),
            message: e.to_string(),
        }]
    })?;
    let mut errors = Vec::new();
    let mut cases = Vec::new();
    for case in file.case {
        if platform.router(&case.variant).is_none() {
            errors.push(TruthError::Variant {
                platform: platform.name.into(),
                variant: case.variant.clone(),
            });
        }
        if case.vulnerable.is_empty() && case.safe.is_empty() {
            errors.push(TruthError::Empty {
                platform: platform.name.into(),
                variant: case.variant.clone(),
            });
        }
        cases.push(Case {
            name: format!("{}/{}", platform.name, case.variant),
            summary: case.summary,
            target: CaseTarget::Platform {
                platform,
                variant: case.variant,
                world: file.run,
            },
            truth: CaseTruth {
                vulnerable: case.vulnerable,
                safe: case.safe,
                isolates: case.isolates,
            },
        });
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// The reference portal's cases: each flaw alone (plain, then realistic), then the hardened seeds.
pub fn portal_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for realistic in [false, true] {
        let prefix = if realistic {
            "portal-realistic"
        } else {
            "portal"
        };
        for flaw in Flaw::ALL {
            cases.push(Case {
                name: format!("{prefix}/{flaw}"),
                summary: format!(
                    "reference portal{}, flaw {flaw} alone",
                    if realistic { " with realism knobs" } else { "" }
                ),
                target: CaseTarget::Portal {
                    flaw: Some(flaw),
                    realistic,
                    seed: PORTAL_SEED,
                },
                truth: CaseTruth {
                    vulnerable: vec![Expectation::default()],
                    ..CaseTruth::default()
                },
            });
        }
        let seeds = if realistic {
            REALISTIC_HARDENED_SEEDS
        } else {
            PORTAL_HARDENED_SEEDS
        };
        for seed in 1..=seeds {
            cases.push(Case {
                name: format!("{prefix}/hardened-{seed}"),
                summary: format!(
                    "hardened reference portal{}, seed {seed}",
                    if realistic { " with realism knobs" } else { "" }
                ),
                target: CaseTarget::Portal {
                    flaw: None,
                    realistic,
                    seed,
                },
                truth: CaseTruth {
                    safe: vec![Expectation::default()],
                    isolates: true,
                    ..CaseTruth::default()
                },
            });
        }
    }
    cases
}

/// Every case of the corpus: the portal's, then each platform's.
pub fn all_cases() -> Result<Vec<Case>, Vec<TruthError>> {
    let mut cases = portal_cases();
    let mut errors = Vec::new();
    for platform in PLATFORMS {
        match platform_cases(platform) {
            Ok(more) => cases.extend(more),
            Err(more) => errors.extend(more),
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// The case named `name`.
pub fn find_case(name: &str) -> Option<Case> {
    all_cases().ok()?.into_iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_truth_file_parses_and_names_variants_its_platform_has() {
        let cases = all_cases().unwrap_or_else(|e| panic!("{e:#?}"));
        let names: std::collections::BTreeSet<&str> =
            cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), cases.len(), "case names are unique");
        for platform in PLATFORMS {
            let of: Vec<&Case> = (cases.iter())
                .filter(|c| c.name.starts_with(&format!("{}/", platform.name)))
                .collect();
            assert!(
                of.iter().any(|c| !c.truth.vulnerable.is_empty())
                    && of.iter().any(|c| c.truth.isolates),
                "{}: a flaw and a twin that isolates",
                platform.name
            );
        }
        assert!(names.contains("portal/hardened-1"));
        assert_eq!(
            cases
                .iter()
                .filter(|c| c.name.starts_with("portal/"))
                .count(),
            Flaw::ALL.len() + PORTAL_HARDENED_SEEDS as usize
        );
    }

    #[test]
    fn a_truth_file_with_a_mistake_is_refused_with_its_path() {
        static BAD: Platform = Platform {
            name: "bad",
            summary: "",
            profile: "",
            truth: "[run]\nseed = 1\n",
            build: |_| None,
        };
        let err = platform_cases(&BAD).expect_err("no tenants, no case");
        assert!(
            err[0]
                .to_string()
                .starts_with("fixtures/corpus/bad/truth.toml: "),
            "{err:?}"
        );
    }
}
