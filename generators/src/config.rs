//! Configuration of a world: seed, tenants, size, reference date and the realism weights of the domain
//! reference (`mdph.md`), all with documented defaults.

use crate::date::Date;
use crate::error::GenError;
use crate::geo::geo;
use crate::model::Right;
use crate::tag::{RunTag, Slice};

/// The default reference date ("today" of every world): 2025-06-30.
pub const DEFAULT_REFERENCE_DATE: Date = Date::from_ymd(2025, 6, 30);

/// Which tenants (departements) a world has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSelection {
    /// All 101 departements.
    All,
    /// The first `n` of a fixed showcase order: Paris, Bouches-du-Rhone, Corse-du-Sud (the 2A rule),
    /// Guadeloupe (overseas), then the others by decreasing population.
    Count(usize),
    /// These departement codes (`75`, `2A`, `971`...).
    Codes(Vec<String>),
}

impl TenantSelection {
    /// Parse what a user writes: a count is written without a leading zero and is at most 101 (`3`: Paris,
    /// Bouches-du-Rhone and Corse-du-Sud); anything else is departement codes separated by commas: `01`..`09`
    /// (a leading zero), `971` (above 101), `2A`, lists (`75,2A,971`), and a single code written `13,`.
    /// Codes are checked when the config is resolved ([`GenConfig::resolve_tenants`]).
    pub fn parse(text: &str) -> TenantSelection {
        let t = text.trim();
        let count = t
            .parse::<usize>()
            .ok()
            .filter(|n| !(t.len() > 1 && t.starts_with('0')) && *n <= 101);
        match count {
            Some(n) => TenantSelection::Count(n),
            None => TenantSelection::Codes(
                t.split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
            ),
        }
    }
}

/// Written so that [`TenantSelection::parse`] reads it back: a count, or codes (a single code that would
/// read as a count, such as `13`, is written `13,`).
impl std::fmt::Display for TenantSelection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TenantSelection::All => write!(f, "{}", geo().departements.len()),
            TenantSelection::Count(n) => write!(f, "{n}"),
            TenantSelection::Codes(codes) => {
                let text = codes.join(",");
                if matches!(TenantSelection::parse(&text), TenantSelection::Count(_)) {
                    write!(f, "{text},")
                } else {
                    f.write_str(&text)
                }
            }
        }
    }
}

/// Shares of requested rights for one audience; they must sum to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RightShares(pub [f64; 8]);

impl RightShares {
    /// The share of a right.
    pub fn get(&self, right: Right) -> f64 {
        self.0[right as usize]
    }
}

/// Realism weights. Defaults come from `mdph.md` (CNSA figures); those marked \[est.\] there are estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Share of child case files (under 20): 0.23.
    pub child_share: f64,
    /// Share of first requests: 0.51.
    pub first_request_share: f64,
    /// Mean number of rights requested per case file: 2.5.
    pub rights_per_case: f64,
    /// Adults: CMI 36 %, vocational/RQTH 28 %, AAH 15 %, PCH 8, ESMS 7, other (AVPF) 6 \[est.\].
    pub adult_rights: RightShares,
    /// Children: AEEH 28 %, ESMS 28 %, school support 16 %, CMI 13 %, PCH 4 %, other (AVPF) 11 %.
    pub child_rights: RightShares,
    /// AAH approval rate on first requests: 0.45.
    pub aah_approval_first: f64,
    /// AAH approval rate on renewals: 0.90.
    pub aah_approval_renewal: f64,
    /// Share of AAH refusals at a rate under 50 %: 0.63.
    pub aah_refusal_under_50: f64,
    /// Share of AAH refusals at 50-79 % without the work restriction: 0.30.
    pub aah_refusal_50_79_no_restriction: f64,
    /// Share of AAH grants at 80 % and over: 0.47.
    pub aah_granted_80_plus: f64,
    /// Share of adults aged 60 or more among adult applicants (about a third of AAH, PCH, CMI requests).
    pub adult_60_plus_share: f64,
    /// Share of adults under a protection measure \[est.\]: 0.12.
    pub protected_adult_share: f64,
    /// Share of case files with a refusal whose decision is appealed (RAPO) \[est.\]: 0.08.
    pub appeal_share: f64,
    /// Share of case files (without AAH) found not admissible \[est.\]: 0.02.
    pub irrecevable_share: f64,
    /// Share of case files (without AAH) left unanswered for 4 months \[est.\]: 0.01.
    pub implicit_rejection_share: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        let mut adult = [0.0; 8];
        adult[Right::Cmi as usize] = 0.36;
        adult[Right::Rqth as usize] = 0.28;
        adult[Right::Aah as usize] = 0.15;
        adult[Right::Pch as usize] = 0.08;
        adult[Right::Esms as usize] = 0.07;
        adult[Right::Avpf as usize] = 0.06;
        let mut child = [0.0; 8];
        child[Right::Aeeh as usize] = 0.28;
        child[Right::Esms as usize] = 0.28;
        child[Right::Pps as usize] = 0.16;
        child[Right::Cmi as usize] = 0.13;
        child[Right::Pch as usize] = 0.04;
        child[Right::Avpf as usize] = 0.11;
        Weights {
            child_share: 0.23,
            first_request_share: 0.51,
            rights_per_case: 2.5,
            adult_rights: RightShares(adult),
            child_rights: RightShares(child),
            aah_approval_first: 0.45,
            aah_approval_renewal: 0.90,
            aah_refusal_under_50: 0.63,
            aah_refusal_50_79_no_restriction: 0.30,
            aah_granted_80_plus: 0.47,
            adult_60_plus_share: 0.33,
            protected_adult_share: 0.12,
            appeal_share: 0.08,
            irrecevable_share: 0.02,
            implicit_rejection_share: 0.01,
        }
    }
}

impl Weights {
    /// The overall expected AAH approval rate (first and renewal rates mixed by the first-request share).
    pub fn aah_approval(&self) -> f64 {
        self.first_request_share * self.aah_approval_first
            + (1.0 - self.first_request_share) * self.aah_approval_renewal
    }

    fn validate(&self) -> Result<(), GenError> {
        let probs = [
            ("child_share", self.child_share),
            ("first_request_share", self.first_request_share),
            ("aah_approval_first", self.aah_approval_first),
            ("aah_approval_renewal", self.aah_approval_renewal),
            ("aah_refusal_under_50", self.aah_refusal_under_50),
            (
                "aah_refusal_50_79_no_restriction",
                self.aah_refusal_50_79_no_restriction,
            ),
            ("aah_granted_80_plus", self.aah_granted_80_plus),
            ("adult_60_plus_share", self.adult_60_plus_share),
            ("protected_adult_share", self.protected_adult_share),
            ("appeal_share", self.appeal_share),
            ("irrecevable_share", self.irrecevable_share),
            ("implicit_rejection_share", self.implicit_rejection_share),
        ];
        for (name, p) in probs {
            if !(0.0..=1.0).contains(&p) {
                return Err(GenError::Config(format!(
                    "weight {name} = {p} is not a probability in [0, 1]"
                )));
            }
        }
        if self.aah_refusal_under_50 + self.aah_refusal_50_79_no_restriction > 1.0 {
            return Err(GenError::Config(
                "AAH refusal shares add up to more than 1".into(),
            ));
        }
        if !(1.0..=8.0).contains(&self.rights_per_case) {
            return Err(GenError::Config(format!(
                "rights_per_case = {} is not in [1, 8]",
                self.rights_per_case
            )));
        }
        for (audience, shares) in [("adult", &self.adult_rights), ("child", &self.child_rights)] {
            let sum: f64 = shares.0.iter().sum();
            if (sum - 1.0).abs() > 1e-6 || shares.0.iter().any(|s| *s < 0.0) {
                return Err(GenError::Config(format!(
                    "{audience} right shares must be >= 0 and sum to 1 (sum {sum})"
                )));
            }
            if let Some(s) = shares.0.iter().find(|s| **s * self.rights_per_case > 1.0) {
                return Err(GenError::Config(format!(
                    "{audience} right share {s} times rights_per_case {} exceeds 1",
                    self.rights_per_case
                )));
            }
        }
        if self.child_rights.get(Right::Aah) > 0.0 || self.adult_rights.get(Right::Aeeh) > 0.0 {
            return Err(GenError::Config(
                "AAH is for adults and AEEH for children only".into(),
            ));
        }
        if self.adult_rights.get(Right::Pps) > 0.0 {
            return Err(GenError::Config(
                "the schooling plan (PPS) is for children only".into(),
            ));
        }
        Ok(())
    }
}

/// Everything that determines a world. The same config and generator version give the same world.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    /// Seed of every random stream.
    pub seed: u64,
    /// Tenants of the world.
    pub tenants: TenantSelection,
    /// Number of case files (one applicant each).
    pub cases: u64,
    /// "Today" for the world: every date is at or before it. Default [`DEFAULT_REFERENCE_DATE`].
    pub reference_date: Date,
    /// Realism weights.
    pub weights: Weights,
    /// Opt-in: put a real INSEE commune code in NIRs instead of the safe `000` (such a NIR could then be a
    /// real person's). Off by default.
    pub real_birth_communes: bool,
    /// The run tag: which slice of every value space the world uses (see [`crate::tag`]); `None` for the
    /// seed's own, `seed mod RUN_TAGS`.
    pub run_tag: Option<RunTag>,
}

impl Default for GenConfig {
    fn default() -> GenConfig {
        GenConfig {
            seed: 1,
            tenants: TenantSelection::Count(3),
            cases: 60,
            reference_date: DEFAULT_REFERENCE_DATE,
            weights: Weights::default(),
            real_birth_communes: false,
            run_tag: None,
        }
    }
}

/// The showcase order of [`TenantSelection::Count`].
const SHOWCASE: &[&str] = &["75", "13", "2A", "971", "2B", "974"];

/// The largest number of case files a world can have. Every person slot has a distinct NIR identity in a
/// reserved range (see [`crate::birth`]); 3,000,000 case files keep every range well within its capacity
/// (the plan also checks each range exactly).
pub fn max_cases() -> u64 {
    3_000_000
}

impl GenConfig {
    /// A config with defaults for everything but the seed, tenant count and size.
    pub fn new(seed: u64, tenants: usize, cases: u64) -> GenConfig {
        GenConfig {
            seed,
            tenants: TenantSelection::Count(tenants),
            cases,
            ..GenConfig::default()
        }
    }

    /// The world's run tag: the one fixed, else the seed's ([`RunTag::for_seed`]).
    pub fn tag(&self) -> RunTag {
        self.run_tag.unwrap_or(RunTag::for_seed(self.seed))
    }

    /// The slice of every value space the world uses.
    pub fn slice(&self) -> Slice {
        Slice::of(self.tag(), self.cases)
    }

    /// Check the config and resolve its tenants to departement indices (code order).
    pub fn resolve_tenants(&self) -> Result<Vec<usize>, GenError> {
        self.weights.validate()?;
        if self.cases > max_cases() {
            return Err(GenError::Config(format!(
                "{} case files requested; at most {} fit the safe NIR range",
                self.cases,
                max_cases()
            )));
        }
        let g = geo();
        let mut out: Vec<usize> = match &self.tenants {
            TenantSelection::All => (0..g.departements.len()).collect(),
            TenantSelection::Count(n) => {
                if *n == 0 || *n > g.departements.len() {
                    return Err(GenError::Config(format!(
                        "tenant count {n} is not between 1 and {}",
                        g.departements.len()
                    )));
                }
                let mut order: Vec<usize> = SHOWCASE
                    .iter()
                    .map(|c| g.departement_index(c).expect("showcase codes exist"))
                    .collect();
                let mut rest: Vec<usize> = (0..g.departements.len())
                    .filter(|i| !order.contains(i))
                    .collect();
                rest.sort_by_key(|&i| std::cmp::Reverse(g.departements[i].population));
                order.extend(rest);
                order.truncate(*n);
                order
            }
            TenantSelection::Codes(codes) => {
                if codes.is_empty() {
                    return Err(GenError::Config("no tenant code given".into()));
                }
                let mut v = Vec::new();
                for c in codes {
                    let i = g.departement_index(c.trim()).ok_or_else(|| {
                        GenError::Config(format!(
                            "unknown departement code {c:?} (expected 01-95, 2A, 2B, 971-976)"
                        ))
                    })?;
                    if v.contains(&i) {
                        return Err(GenError::Config(format!("departement {c} selected twice")));
                    }
                    v.push(i);
                }
                v
            }
        };
        out.sort_unstable();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_counts_and_codes_are_unambiguous_and_read_back() {
        use TenantSelection::{Codes, Count};
        let codes = |c: &[&str]| Codes(c.iter().map(|c| c.to_string()).collect());
        for (text, expected) in [
            ("3", Count(3)),
            ("101", Count(101)),
            (" 2 ", Count(2)),
            ("0", Count(0)),
            ("01", codes(&["01"])),
            ("102", codes(&["102"])),
            ("971", codes(&["971"])),
            ("2A", codes(&["2A"])),
            ("13,", codes(&["13"])),
            ("75, 2A,971", codes(&["75", "2A", "971"])),
            ("", codes(&[])),
        ] {
            let parsed = TenantSelection::parse(text);
            assert_eq!(parsed, expected, "{text:?}");
            assert_eq!(
                TenantSelection::parse(&parsed.to_string()),
                parsed,
                "{text:?} reads back"
            );
        }
        assert_eq!(codes(&["13"]).to_string(), "13,");
    }

    #[test]
    fn defaults_are_valid_and_bad_weights_rejected() {
        assert!(GenConfig::default().resolve_tenants().is_ok());
        assert!((Weights::default().aah_approval() - 0.6705).abs() < 1e-9);
        let mut c = GenConfig::default();
        c.weights.child_share = 1.5;
        assert!(
            matches!(c.resolve_tenants(), Err(GenError::Config(m)) if m.contains("child_share"))
        );
        let c = GenConfig {
            tenants: TenantSelection::Codes(vec!["20".into()]),
            ..GenConfig::default()
        };
        assert!(
            matches!(c.resolve_tenants(), Err(GenError::Config(m)) if m.contains("unknown departement"))
        );
        let c = GenConfig {
            cases: max_cases() + 1,
            ..GenConfig::default()
        };
        assert!(c.resolve_tenants().is_err());
        assert!(max_cases() >= 1_000_000);
    }

    #[test]
    fn tenant_count_follows_the_showcase_order() {
        let g = geo();
        let t = GenConfig::new(1, 3, 10).resolve_tenants().unwrap();
        let codes: Vec<&str> = t.iter().map(|&i| g.departements[i].code).collect();
        assert_eq!(codes, ["13", "2A", "75"]);
        assert_eq!(
            GenConfig {
                tenants: TenantSelection::All,
                ..GenConfig::default()
            }
            .resolve_tenants()
            .unwrap()
            .len(),
            101
        );
    }
}
