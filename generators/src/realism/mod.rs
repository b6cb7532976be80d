//! The eleven realism checks of the domain reference (`mdph.md`) and seven more, as reusable functions over
//! typed records, and a [`Verifier`] that runs them all over any number of case files (in memory or
//! streamed) and reports.
//!
//! | # | check |
//! |---|---|
//! | 1 | every NIR has a valid key; its sex, year and month agree with the person |
//! | 2 | AEEH only under 20; AAH only from 20; PCH first request before 60 unless excepted |
//! | 3 | AAH granted implies >= 50 %; 50-79 % implies the work restriction; no time limit implies >= 80 % and no expected improvement; CMI invalidite implies >= 80 % |
//! | 4 | decision >= admissibility >= filing; medical certificate not older than 12 months at filing; RAPO within 2 months of notification |
//! | 5 | validity never exceeds the legal maximum of its right; AEEH ends by the 20th birthday |
//! | 6 | minors have a representative; protected adults have a judgment document |
//! | 7 | address postcode, commune and departement agree with each other and with the tenant |
//! | 8 | every document, decision, note and notification has the tenant of its case file |
//! | 9 | same seed and version give byte-identical output whatever the thread count ([`check_determinism`]) |
//! | 10 | aggregate shares (rights, outcomes, child/adult) within 2 points of the weights ([`Stats::check_shares`]) |
//! | 11 | IBANs and RIB keys valid; emails only under reserved domains |
//!
//! Checks beyond the domain reference's eleven (issue 11: what a domain expert or a safety review sees):
//!
//! | # | check |
//! |---|---|
//! | 12 | every NIR is in a range no real person has ([`crate::ident::nir_place_is_reserved`]), unless real birth communes were opted in |
//! | 13 | the place of birth is coded as INSEE coded it at the birth date (Corsica `20` before 1976, `2A`/`2B` since) and the NIR's place part agrees with it |
//! | 14 | each decision is notified to whom the representation in force on its date says: a minor's parents, a tutor or empowered family member alone; a person under curatelle and the curator; an adult without a measure (18-19-year-olds included) alone |
//! | 15 | a schooling plan (PPS) only from school age (3 at filing); every representative of age when the representation starts |
//! | 16 | CDAPH decisions on working days of the tenant (no weekend, no public holiday); in notes, a commission date is a working day after the note and not after the case file's decision, and a past event is dated between the filing and the note |
//! | 17 | values shared within a case file are shared as documented ([`crate::canary`]): a surname and an address line only by a child's household (the child and its parents); NIR, phone, email and IBAN never |
//! | 18 | population: shares born abroad, of the first seven countries of birth, of residents of their departement of birth, and of each first name in its decade, within 2 points of the cited figures ([`Stats::check_population`]); no first name outside its decade's list |
//!
//! The checks live by subject: `person` (1, 7, 11, 12, 13), `decision` (2-5), `case` (6, 8, 14-17) and
//! `stats` (10, 18); this module runs them all ([`Verifier`]) and reports.

mod case;
mod decision;
mod person;
mod stats;

pub use case::{
    check_ages_and_roles, check_calendar, check_notification, check_representation,
    check_shared_values, check_tenant,
};
pub use decision::{check_dates, check_eligibility, check_rates, check_validity};
pub use person::{
    check_accounts, check_address, check_birthplace, check_identifiers, check_nir,
    check_nir_reserved, is_reserved_email,
};
pub use stats::{MIN_OBSERVATIONS, Stats};

use crate::config::{GenConfig, Weights};
use crate::date::Date;
use crate::model::{Account, CaseBundle, IncapacityBand};

/// Result of one check on one record: `Err` says what is wrong.
pub type CheckResult = Result<(), String>;

fn fail(msg: String) -> CheckResult {
    Err(msg)
}

fn band_of(c: &CaseBundle) -> Option<IncapacityBand> {
    c.evaluation.as_ref().map(|e| e.band)
}

/// Check 9: the streamed output of `config` is byte-identical with `threads_a` and `threads_b` threads
/// (compared through per-file digests of the JSONL output).
pub fn check_determinism(
    config: &GenConfig,
    threads_a: usize,
    threads_b: usize,
) -> Result<(), String> {
    let digest = |threads| {
        crate::stream::digest_world(config, crate::emit::Format::Jsonl, threads)
            .map_err(|e| e.to_string())
    };
    let (a, b) = (digest(threads_a)?, digest(threads_b)?);
    if a == b {
        Ok(())
    } else {
        Err(format!(
            "output differs between {threads_a} and {threads_b} threads"
        ))
    }
}

/// Number of checks.
pub const CHECKS: usize = 18;

/// Names of the checks, indexed from 1.
pub const CHECK_NAMES: [&str; CHECKS] = [
    "NIR key, sex, year and month",
    "age eligibility (AEEH, AAH, PCH)",
    "decisions agree with the incapacity rate",
    "dates in order, certificate < 12 months, RAPO within 2 months",
    "validity within the legal maximum, AEEH by 20",
    "minors represented, protected adults with a judgment",
    "postcode, commune, departement and tenant agree",
    "every record has the tenant of its case file",
    "byte-identical output whatever the thread count",
    "aggregate shares within 2 points of the weights",
    "valid IBANs, emails under reserved domains",
    "NIRs in a range no real person has",
    "birthplace coded as at the birth date (Corsica 20 before 1976), NIR agrees",
    "decisions notified as the representation in force on their date says",
    "schooling plans from 3, representatives of age when appointed",
    "CDAPH sittings on working days; note dates consistent",
    "values shared within a case file only as documented",
    "population: births abroad, countries, departement of birth, first names by decade",
];

/// Outcome of one check over a world.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckTally {
    /// Records checked.
    pub checked: u64,
    /// Records that failed.
    pub failed: u64,
    /// A few failure messages.
    pub examples: Vec<String>,
}

impl CheckTally {
    fn record(&mut self, r: CheckResult) {
        self.checked += 1;
        if let Err(e) = r {
            self.failed += 1;
            if self.examples.len() < 5 {
                self.examples.push(e);
            }
        }
    }
}

/// Runs every per-record check (1-8, 11-17) and gathers the statistics of checks 10 and 18 over a world,
/// case by case.
#[derive(Debug, Clone)]
pub struct Verifier {
    reference: Date,
    real_birth_communes: bool,
    /// Tallies of checks 1..=[`CHECKS`] (index 0 is check 1; 9 and 10 are filled by [`Verifier::finish`]).
    pub tallies: [CheckTally; CHECKS],
    /// Check 10 counters.
    pub stats: Stats,
}

impl Verifier {
    /// A verifier for worlds with this reference date (and safe NIRs).
    pub fn new(reference: Date) -> Verifier {
        Verifier {
            reference,
            real_birth_communes: false,
            tallies: Default::default(),
            stats: Stats::default(),
        }
    }

    /// A verifier for the worlds of `config` (check 12 is skipped when real birth communes were opted in).
    pub fn for_config(config: &GenConfig) -> Verifier {
        Verifier {
            real_birth_communes: config.real_birth_communes,
            ..Verifier::new(config.reference_date)
        }
    }

    /// Check one case file of tenant `tenant_code`.
    pub fn observe(&mut self, tenant_code: &str, c: &CaseBundle) {
        for p in &c.persons {
            self.tallies[0].record(check_nir(p));
            self.tallies[6].record(check_address(p, tenant_code));
            if !self.real_birth_communes {
                self.tallies[11].record(check_nir_reserved(p));
            }
            self.tallies[12].record(check_birthplace(p));
        }
        self.tallies[1].record(check_eligibility(c));
        self.tallies[2].record(check_rates(c));
        self.tallies[3].record(check_dates(c));
        self.tallies[4].record(check_validity(c));
        self.tallies[5].record(check_representation(c, self.reference));
        self.tallies[7].record(check_tenant(c));
        self.tallies[10].record(check_identifiers(c));
        self.tallies[13].record(check_notification(c));
        self.tallies[14].record(check_ages_and_roles(c));
        self.tallies[15].record(check_calendar(c, tenant_code, self.reference));
        self.tallies[16].record(check_shared_values(c));
        self.stats.observe(c);
    }

    /// Check agent and administrator accounts (check 11).
    pub fn observe_agents(&mut self, agents: &[Account]) {
        for a in agents {
            self.tallies[10].record(check_accounts(std::slice::from_ref(a)));
        }
    }

    /// Add another verifier's results (parallel verification).
    pub fn merge(&mut self, o: &Verifier) {
        for (a, b) in self.tallies.iter_mut().zip(&o.tallies) {
            a.checked += b.checked;
            a.failed += b.failed;
            for e in &b.examples {
                if a.examples.len() < 5 {
                    a.examples.push(e.clone());
                }
            }
        }
        self.stats.merge(&o.stats);
    }

    /// Complete with check 10 (shares against `weights`) and check 9 (the given determinism result), and
    /// return the report.
    pub fn finish(mut self, weights: &Weights, determinism: Option<Result<(), String>>) -> Report {
        let (mut compared, failures) = self.stats.check_shares(weights, 0.02);
        let t = &mut self.tallies[9];
        t.checked = compared.len() as u64;
        t.failed = failures.len() as u64;
        t.examples = failures;
        let (population, failures) = self.stats.check_population(0.02);
        let t = &mut self.tallies[17];
        t.checked = population.len() as u64 + 1;
        t.failed = failures.len() as u64;
        t.examples = failures.into_iter().take(5).collect();
        compared.extend(population);
        if let Some(det) = determinism {
            self.tallies[8].record(det);
        }
        Report {
            tallies: self.tallies,
            shares: compared,
        }
    }
}

/// The realism report of a world.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Tallies of checks 1..=[`CHECKS`].
    pub tallies: [CheckTally; CHECKS],
    /// Check 10 comparisons: name, observed, expected.
    pub shares: Vec<(String, f64, f64)>,
}

impl Report {
    /// Record the outcome of check 9 (determinism across thread counts).
    pub fn set_determinism(&mut self, result: Result<(), String>) {
        self.tallies[8] = CheckTally::default();
        self.tallies[8].record(result);
    }

    /// Whether every check that ran passed.
    pub fn passed(&self) -> bool {
        self.tallies.iter().all(|t| t.failed == 0)
    }

    /// A human-readable summary, one line per check.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (i, t) in self.tallies.iter().enumerate() {
            let verdict = if t.checked == 0 {
                "not run"
            } else if t.failed == 0 {
                "pass"
            } else {
                "FAIL"
            };
            s.push_str(&format!(
                "check {:>2} {verdict:<7} {:>10} checked {:>6} failed  {}\n",
                i + 1,
                t.checked,
                t.failed,
                CHECK_NAMES[i]
            ));
            for e in &t.examples {
                s.push_str(&format!("           {e}\n"));
            }
        }
        for (name, observed, expected) in &self.shares {
            s.push_str(&format!(
                "  share {name}: {:.2} % (weight {:.2} %)\n",
                observed * 100.0,
                expected * 100.0
            ));
        }
        s
    }
}

/// Run every check but 9 over an in-memory world (shares are compared from [`MIN_OBSERVATIONS`] on).
pub fn verify_world(world: &crate::World) -> Report {
    let mut v = Verifier::for_config(world.config());
    v.observe_agents(&world.agents);
    for c in &world.cases {
        let code = world
            .tenant(c.case_file.tenant_id)
            .map_or("", |t| t.code.as_str());
        v.observe(code, c);
    }
    v.finish(&world.config().weights, None)
}
