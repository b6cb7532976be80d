//! The aggregate counters of a world (checks 10 and 18): shares of rights, outcomes and audiences against
//! the weights, and population figures against the cited ones.

use crate::config::Weights;
use crate::model::*;

/// Counters for the aggregate shares of check 10.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Case files by audience: adult, child.
    pub cases: [u64; 2],
    /// Requests per right, by audience (adult, child).
    pub requests: [[u64; 8]; 2],
    /// AAH decisions (accord or refus) by request kind (first, renewal): (granted, total).
    pub aah: [(u64, u64); 2],
    /// AAH refusals by band (under 50, 50-79 without restriction, other).
    pub aah_refusals: [u64; 3],
    /// AAH grants by band (80+, 50-79).
    pub aah_grants: [u64; 2],
    /// Persons, and those born abroad.
    pub persons: [u64; 2],
    /// Persons born abroad, by row of [`crate::ident::BIRTH_COUNTRIES`].
    pub countries: Vec<u64>,
    /// Persons born in France, and those living in their departement of birth.
    pub born_in_france: [u64; 2],
    /// First names by flat index ([`crate::text::first_name_at`]).
    pub first_names: Vec<u64>,
    /// Persons whose first name is not in the list of their decade, sex and origin.
    pub first_names_elsewhere: u64,
}

/// The departement part of a birthplace code (`75`, `2A`, `20`, `971`; a commune code's departement), or
/// `None` for a country.
fn birth_departement(code: &str) -> Option<&str> {
    if code.starts_with("99") {
        return None;
    }
    Some(match code.len() {
        5 if code.starts_with("97") => &code[..3],
        5 => &code[..2],
        _ => code,
    })
}

/// Below this many observations a share is not compared (check 10 only makes sense at scale).
pub const MIN_OBSERVATIONS: u64 = 2_000;

impl Stats {
    /// Count the population figures of one case file's persons.
    fn observe_persons(&mut self, c: &CaseBundle) {
        use crate::ident::{BIRTH_COUNTRIES, maghreb_or_turkey};
        use crate::text::{FIRST_NAME_LISTS, first_name_list};
        if self.countries.is_empty() {
            self.countries = vec![0; BIRTH_COUNTRIES.len()];
            self.first_names = vec![0; FIRST_NAME_LISTS * 10];
        }
        for p in &c.persons {
            self.persons[0] += 1;
            let code = p.birth_place_code.as_str();
            match birth_departement(code) {
                None => {
                    self.persons[1] += 1;
                    if let Some(k) = BIRTH_COUNTRIES.iter().position(|x| x.0 == code) {
                        self.countries[k] += 1;
                    }
                }
                Some(dept) => {
                    self.born_in_france[0] += 1;
                    let home = p.departement.as_str();
                    let corsica = |d: &str| matches!(d, "20" | "2A" | "2B");
                    if dept == home || (dept == "20" && corsica(home)) {
                        self.born_in_france[1] += 1;
                    }
                }
            }
            let sex = if p.sex == Sex::Female { 2 } else { 1 };
            let (list, names) = first_name_list(p.birth_date.year(), sex, maghreb_or_turkey(code));
            match names.iter().position(|n| *n == p.first_name) {
                Some(r) => self.first_names[list * 10 + r] += 1,
                None => self.first_names_elsewhere += 1,
            }
        }
    }

    /// Check 18: the population figures within `tolerance` of the cited ones (the share born abroad, of
    /// each of the first seven countries among them, of residents of their departement of birth among
    /// those born in France, of each first name in the list of its decade and sex), and no first name
    /// outside its list. Returns the comparisons and the failures, like [`Stats::check_shares`].
    pub fn check_population(&self, tolerance: f64) -> (Vec<(String, f64, f64)>, Vec<String>) {
        use crate::birth::{BORN_ABROAD, NATIVE};
        use crate::ident::BIRTH_COUNTRIES;
        use crate::text::{FIRST_NAME_LISTS, first_name_at, first_name_weight};
        let mut compared = Vec::new();
        let mut failures = Vec::new();
        let mut cmp = |name: String, num: u64, den: u64, expected: f64| {
            if den < MIN_OBSERVATIONS {
                return;
            }
            let observed = num as f64 / den as f64;
            if (observed - expected).abs() > tolerance {
                failures.push(format!(
                    "{name}: {:.2} % observed, {:.2} % expected",
                    observed * 100.0,
                    expected * 100.0
                ));
            }
            compared.push((name, observed, expected));
        };
        cmp(
            "born abroad".into(),
            self.persons[1],
            self.persons[0],
            BORN_ABROAD,
        );
        let shares: f64 = BIRTH_COUNTRIES.iter().map(|c| c.2).sum();
        for (k, (_, name, share)) in BIRTH_COUNTRIES.iter().enumerate().take(7) {
            let n = self.countries.get(k).copied().unwrap_or(0);
            cmp(
                format!("born in {name}, of those born abroad"),
                n,
                self.persons[1],
                share / shares,
            );
        }
        cmp(
            "living in their departement of birth, of those born in France".into(),
            self.born_in_france[1],
            self.born_in_france[0],
            NATIVE,
        );
        for list in 0..FIRST_NAME_LISTS {
            let counts = self
                .first_names
                .get(list * 10..list * 10 + 10)
                .unwrap_or(&[]);
            let total: u64 = counts.iter().sum();
            for (r, n) in counts.iter().enumerate() {
                let decade = crate::text::FIRST_NAMES_BY_DECADE
                    .get(list / 2)
                    .map_or_else(|| "Maghreb/Turkey".to_string(), |d| format!("{}s", d.0));
                cmp(
                    format!(
                        "first name {} ({decade}, {})",
                        first_name_at(list * 10 + r),
                        ["F", "M"][list % 2]
                    ),
                    *n,
                    total,
                    first_name_weight(r),
                );
            }
        }
        if self.first_names_elsewhere > 0 {
            failures.push(format!(
                "{} persons have a first name outside the list of their decade, sex and origin",
                self.first_names_elsewhere
            ));
        }
        (compared, failures)
    }

    /// Count one case file.
    pub fn observe(&mut self, c: &CaseBundle) {
        self.observe_persons(c);
        let a = usize::from(c.case_file.audience == Audience::Child);
        self.cases[a] += 1;
        for r in &c.requests {
            self.requests[a][r.right as usize] += 1;
        }
        let k = usize::from(c.case_file.request_kind == RequestKind::Renewal);
        for d in c.decisions.iter().filter(|d| d.right == Right::Aah) {
            let ev = c.evaluation.as_ref();
            match d.outcome {
                Outcome::Accord => {
                    self.aah[k].0 += 1;
                    self.aah[k].1 += 1;
                    let at80 = ev.is_some_and(|e| e.band == IncapacityBand::AtLeast80);
                    self.aah_grants[usize::from(!at80)] += 1;
                }
                Outcome::Refus => {
                    self.aah[k].1 += 1;
                    let i = match ev.map(|e| (e.band, e.work_restriction)) {
                        Some((IncapacityBand::Under50, _)) => 0,
                        Some((IncapacityBand::From50To79, false)) => 1,
                        _ => 2,
                    };
                    self.aah_refusals[i] += 1;
                }
                _ => {}
            }
        }
    }

    /// Add another counter set.
    pub fn merge(&mut self, o: &Stats) {
        for i in 0..2 {
            self.cases[i] += o.cases[i];
            for r in 0..8 {
                self.requests[i][r] += o.requests[i][r];
            }
            self.aah[i].0 += o.aah[i].0;
            self.aah[i].1 += o.aah[i].1;
            self.aah_grants[i] += o.aah_grants[i];
        }
        for i in 0..3 {
            self.aah_refusals[i] += o.aah_refusals[i];
        }
        for i in 0..2 {
            self.persons[i] += o.persons[i];
            self.born_in_france[i] += o.born_in_france[i];
        }
        for (mine, theirs) in [
            (&mut self.countries, &o.countries),
            (&mut self.first_names, &o.first_names),
        ] {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        self.first_names_elsewhere += o.first_names_elsewhere;
    }

    /// Check 10: every observed share within `tolerance` (0.02 = 2 points) of its weight. Returns the
    /// comparisons made (name, observed, expected) and the failures; shares with fewer than
    /// [`MIN_OBSERVATIONS`] observations are skipped.
    pub fn check_shares(
        &self,
        w: &Weights,
        tolerance: f64,
    ) -> (Vec<(String, f64, f64)>, Vec<String>) {
        let mut compared = Vec::new();
        let mut failures = Vec::new();
        let mut cmp = |name: String, num: u64, den: u64, expected: f64| {
            if den < MIN_OBSERVATIONS {
                return;
            }
            let observed = num as f64 / den as f64;
            if (observed - expected).abs() > tolerance {
                failures.push(format!(
                    "{name}: {:.2} % observed, {:.2} % expected",
                    observed * 100.0,
                    expected * 100.0
                ));
            }
            compared.push((name, observed, expected));
        };
        let total_cases = self.cases[0] + self.cases[1];
        cmp(
            "child case files".into(),
            self.cases[1],
            total_cases,
            w.child_share,
        );
        for (a, shares, label) in [(0, &w.adult_rights, "adult"), (1, &w.child_rights, "child")] {
            let total: u64 = self.requests[a].iter().sum();
            for r in Right::ALL {
                cmp(
                    format!("{label} requests {r}"),
                    self.requests[a][*r as usize],
                    total,
                    shares.get(*r),
                );
            }
        }
        let (g0, t0) = self.aah[0];
        let (g1, t1) = self.aah[1];
        cmp(
            "AAH approval, first requests".into(),
            g0,
            t0,
            w.aah_approval_first,
        );
        cmp(
            "AAH approval, renewals".into(),
            g1,
            t1,
            w.aah_approval_renewal,
        );
        cmp(
            "AAH approval overall".into(),
            g0 + g1,
            t0 + t1,
            w.aah_approval(),
        );
        let refusals: u64 = self.aah_refusals.iter().sum();
        cmp(
            "AAH refusals under 50 %".into(),
            self.aah_refusals[0],
            refusals,
            w.aah_refusal_under_50,
        );
        cmp(
            "AAH refusals 50-79 % without restriction".into(),
            self.aah_refusals[1],
            refusals,
            w.aah_refusal_50_79_no_restriction,
        );
        let grants = self.aah_grants[0] + self.aah_grants[1];
        cmp(
            "AAH grants at 80 % and over".into(),
            self.aah_grants[0],
            grants,
            w.aah_granted_80_plus,
        );
        (compared, failures)
    }
}
