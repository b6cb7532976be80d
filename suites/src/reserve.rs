//! Records reserved for the probes that change data, and their use while the probes run.
//!
//! The planner gives every probe that changes a record (a forbidden update or delete, a mass assignment) a
//! victim of its own among the case files set aside (the pool), spreading the cells over the pool, and the
//! other records of the pool it could aim at instead ([`Reserve`]). While the probes run, one at a time,
//! [`Victims`] decides which record each probe aims at: a proven finding uses up its victim (the record
//! may have changed or gone) and no later probe aims at it; a cell with a proven finding sends no more
//! probes (it has its verdict, and the pool is left to other cells); a probe whose records are all used up
//! is not sent, and says why. A successful write uses up one record, never the pool.

use std::collections::{BTreeMap, BTreeSet};

use crate::family::Family;
use crate::population::Population;
use crate::probes::{Cell, Probe};
use crate::unsent::Unsent;

/// Per probe that changes a record (by its identifier), the other probes of the same cell and actor role
/// it may become when its own record is used up, in order of preference.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reserve {
    alternates: BTreeMap<String, Vec<Probe>>,
}

impl Reserve {
    /// Keep `alternates` for `probe`.
    pub fn add(&mut self, probe: &Probe, alternates: Vec<Probe>) {
        if !alternates.is_empty() {
            self.alternates.insert(probe.id(), alternates);
        }
    }

    /// The alternates of a probe (none for a probe the planner gave none).
    pub fn alternates(&self, probe: &Probe) -> &[Probe] {
        self.alternates.get(&probe.id()).map_or(&[], Vec::as_slice)
    }
}

/// Whether a probe changes the record it names (and so needs a record of the pool of its own): a foreign
/// create files a child into the record's case file.
pub fn changes_its_record(probe: &Probe) -> bool {
    matches!(
        probe.family,
        Family::DirectWrite | Family::MassAssignment | Family::ForeignCreate
    )
}

/// The records used up so far, and the cells that already have a proven finding.
#[derive(Debug, Default)]
pub struct Victims<'a> {
    population: Option<&'a Population>,
    /// Case files used up, and the cell whose proven finding used each up (`None`: found unreadable).
    used: BTreeMap<String, Option<Cell>>,
    proven: BTreeSet<Cell>,
}

impl<'a> Victims<'a> {
    /// Nothing used up yet, over the records of `population`.
    pub fn new(population: &'a Population) -> Self {
        Self {
            population: Some(population),
            used: BTreeMap::new(),
            proven: BTreeSet::new(),
        }
    }

    /// The case file a record belongs to (the record itself when it is unknown).
    fn case_of(&self, record: &str) -> String {
        match self.population.and_then(|p| p.record(record)) {
            Some(r) => r.case.to_string(),
            None => record.to_string(),
        }
    }

    fn usable(&self, probe: &Probe) -> bool {
        probe
            .record
            .as_deref()
            .is_none_or(|r| !self.used.contains_key(&self.case_of(r)))
    }

    /// What `planned` is sent as: itself, or the first of its `alternates` whose record is not used up; or
    /// why it is not sent.
    pub fn choose(&self, planned: &Probe, alternates: &[Probe]) -> Result<Probe, Unsent> {
        if changes_its_record(planned) && planned.record.is_none() {
            return Err(Unsent::NoRecordLeft);
        }
        if self.proven.contains(&planned.cell) {
            return Err(Unsent::CellProven);
        }
        if let Some(probe) = std::iter::once(planned)
            .chain(alternates)
            .find(|p| self.usable(p))
        {
            return Ok(probe.clone());
        }
        let by = planned
            .record
            .as_deref()
            .and_then(|r| self.used.get(&self.case_of(r)).cloned().flatten());
        Err(Unsent::RecordsUsedUp { by })
    }

    /// A probe was judged: a proven finding uses up its record's case file, and closes its cell when the
    /// probe changes its record (other cells keep all their instances).
    pub fn judged(&mut self, probe: &Probe, proven: bool) {
        if !proven {
            return;
        }
        if changes_its_record(probe) {
            self.proven.insert(probe.cell.clone());
        }
        if let Some(record) = probe.record.as_deref() {
            let case = self.case_of(record);
            self.used.insert(case, Some(probe.cell.clone()));
        }
    }

    /// The case files proven findings changed (moved, re-owned or deleted): what other probes meet of them
    /// afterwards is the finding's doing, not theirs.
    pub fn changed(&self) -> BTreeSet<String> {
        self.used
            .iter()
            .filter(|(_, by)| by.is_some())
            .map(|(case, _)| case.clone())
            .collect()
    }

    /// The probe's record could not be used (its owner could no longer read it): no later probe aims at it.
    pub fn unusable(&mut self, probe: &Probe) {
        if let Some(record) = probe.record.as_deref() {
            let case = self.case_of(record);
            self.used.entry(case).or_insert(None);
        }
    }
}

#[cfg(test)]
mod tests;
