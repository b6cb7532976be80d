//! The coverage of probes not sent: per family and per cell, how many planned probes were sent and how
//! many were not, grouped by kind of reason (`cloison_suites::UnsentKind`), each with its sentence.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cloison_suites::outcome::UnsentFacts;
use cloison_suites::{Cell, UnsentKind};
use serde::{Deserialize, Serialize};

use super::{CellCoverage, Coverage, FamilyCoverage};
use crate::event::{CellTally, UnsentTally};

/// Probes of a family not sent for one kind of reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotSentReason {
    /// The kind of reason.
    pub reason: UnsentKind,
    /// Probes not sent for it.
    pub probes: usize,
    /// Cells those probes belong to.
    pub cells: usize,
    /// The first reason given, as a sentence.
    pub first: String,
}

/// Probes of a cell not sent for one kind of reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellNotSent {
    /// The kind of reason.
    pub reason: UnsentKind,
    /// Probes not sent for it.
    pub probes: usize,
}

impl CellCoverage {
    /// Planned probes of the cell that were not sent, whatever the reason.
    pub fn unsent(&self) -> usize {
        self.not_sent.iter().map(|n| n.probes).sum()
    }

    /// Whether the cell was planned and none of its probes was sent.
    pub fn none_sent(&self) -> bool {
        self.planned > 0 && self.sent == 0 && self.unsent() > 0
    }
}

/// Fill the sent and not-sent counts of a coverage block's families from what the run tallied (its cells
/// get theirs in `reporters::cells`).
pub fn count(
    coverage: &mut Coverage,
    not_sent: &BTreeMap<String, BTreeMap<UnsentKind, UnsentTally>>,
    cells: &BTreeMap<Cell, CellTally>,
) {
    let mut sent: BTreeMap<&str, usize> = BTreeMap::new();
    for (cell, tally) in cells {
        *sent.entry(cell.family.name()).or_default() += tally.sent;
    }
    for family in &mut coverage.families {
        family.sent = sent
            .get(family.family.as_str())
            .copied()
            .unwrap_or(family.probes);
        family.not_sent_reasons = not_sent
            .get(&family.family)
            .into_iter()
            .flatten()
            .map(|(kind, tally)| NotSentReason {
                reason: *kind,
                probes: tally.probes,
                cells: tally.cells.len(),
                first: tally.first.clone(),
            })
            .collect();
        family.not_sent = family.not_sent_reasons.iter().map(|r| r.probes).sum();
    }
}

/// A cell's probes not sent, per kind of reason.
pub fn cell_not_sent(tally: Option<&CellTally>) -> Vec<CellNotSent> {
    tally
        .into_iter()
        .flat_map(|t| &t.not_sent)
        .map(|(kind, probes)| CellNotSent {
            reason: *kind,
            probes: *probes,
        })
        .collect()
}

/// Under a family's coverage line: its planned probes not sent, per reason.
pub fn write_family(out: &mut String, family: &FamilyCoverage) {
    if family.not_sent == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "  {:<20} {} of {} planned probes not sent:",
        "", family.not_sent, family.planned
    );
    for reason in &family.not_sent_reasons {
        let _ = writeln!(
            out,
            "  {:<20}   {} in {} cell(s): {}",
            "", reason.probes, reason.cells, reason.first
        );
    }
}

/// A family's probes not sent, as the run's classification reads them.
pub fn facts(reasons: &[NotSentReason]) -> Vec<UnsentFacts> {
    reasons
        .iter()
        .map(|r| UnsentFacts {
            kind: r.reason,
            probes: r.probes,
            cells: r.cells,
            first: r.first.clone(),
        })
        .collect()
}

/// Merged shards: a shard's reasons added to those so far (probes and cells summed per kind).
pub fn merge_reasons(into: &mut Vec<NotSentReason>, these: &[NotSentReason]) {
    for reason in these {
        match into.iter_mut().find(|r| r.reason == reason.reason) {
            Some(r) => {
                r.probes += reason.probes;
                r.cells += reason.cells;
            }
            None => into.push(reason.clone()),
        }
    }
    into.sort_by_key(|r| r.reason);
}

/// Merged shards: a cell's probes not sent in a shard added to those so far.
pub fn merge_cell(into: &mut Vec<CellNotSent>, these: &[CellNotSent]) {
    for n in these {
        match into.iter_mut().find(|m| m.reason == n.reason) {
            Some(m) => m.probes += n.probes,
            None => into.push(n.clone()),
        }
    }
    into.sort_by_key(|n| n.reason);
}
