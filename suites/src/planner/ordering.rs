//! The execution order of a plan. Safe probes are interleaved: round after round, each cell gives its next
//! probe, and within a round the families take turns, so that every family, then every cell, gets its
//! first probe early. Probes that change data aim at the pool only; they run one at a time, deletes last
//! of them. Functions that change state and name no record change what no pool confines: they run after
//! everything else.

use std::collections::{BTreeMap, VecDeque};

use crate::family::Family;
use crate::probes::{Cell, Probe};
use crate::surface::{Op, Surface};

/// The probes of a plan in execution order.
pub(super) struct Ordered {
    /// Probes that leave the target's data unchanged, interleaved.
    pub(super) probes: Vec<Probe>,
    /// Probes that change data: functions, then mass assignment, then the others, deletes last.
    pub(super) mutating: Vec<Probe>,
    /// Calls of functions that change state and name no record, in plan order.
    pub(super) last: Vec<Probe>,
}

/// Put the planned cells in execution order.
pub(super) fn order(
    mut cells: BTreeMap<Family, BTreeMap<Cell, Vec<Probe>>>,
    surface: &Surface,
) -> Ordered {
    let mut mutating = Vec::new();
    let mut deletes = Vec::new();
    let mut last = Vec::new();
    let mut families: Vec<Vec<VecDeque<Probe>>> = Vec::new();
    for family in Family::ALL {
        let Some(cells) = cells.remove(&family) else {
            continue;
        };
        let mut queues = Vec::new();
        for (_, list) in cells {
            let (safe, unsafe_): (Vec<Probe>, Vec<Probe>) = list
                .into_iter()
                .partition(|p| surface.endpoint(&p.endpoint).is_some_and(|e| e.safe));
            for p in unsafe_ {
                let endpoint = surface.endpoint(&p.endpoint);
                if endpoint.is_some_and(|e| e.granted.is_some() && e.is_unconfined_write()) {
                    last.push(p);
                } else if endpoint.is_some_and(|e| e.op == Op::Delete) {
                    deletes.push(p);
                } else {
                    mutating.push(p);
                }
            }
            if !safe.is_empty() {
                queues.push(VecDeque::from(safe));
            }
        }
        if !queues.is_empty() {
            families.push(endpoints_take_turns(queues));
        }
    }
    let probes = interleave(families);
    mutating.sort_by_key(|p| match p.family {
        Family::FunctionLevel => 0,
        Family::MassAssignment => 1,
        // A foreign create adds a record under its case file: after the writes that need the case as it was.
        Family::ForeignCreate => 3,
        _ => 2,
    });
    mutating.extend(deletes);
    Ordered {
        probes,
        mutating,
        last,
    }
}

/// Within a family, endpoints take turns: the cells' queues reordered so that each endpoint gives one cell
/// per round.
fn endpoints_take_turns(queues: Vec<VecDeque<Probe>>) -> Vec<VecDeque<Probe>> {
    let mut by_endpoint: BTreeMap<String, Vec<VecDeque<Probe>>> = BTreeMap::new();
    for q in queues {
        let key = q.front().map(|p| p.endpoint.clone()).unwrap_or_default();
        by_endpoint.entry(key).or_default().push(q);
    }
    let mut groups: Vec<std::vec::IntoIter<VecDeque<Probe>>> =
        by_endpoint.into_values().map(Vec::into_iter).collect();
    let mut ordered = Vec::new();
    loop {
        let before = ordered.len();
        for g in &mut groups {
            if let Some(q) = g.next() {
                ordered.push(q);
            }
        }
        if ordered.len() == before {
            break;
        }
    }
    ordered
}

/// Round after round, the next probe of every cell, families taking turns within a round.
fn interleave(mut families: Vec<Vec<VecDeque<Probe>>>) -> Vec<Probe> {
    let mut probes = Vec::new();
    loop {
        let mut round: Vec<Vec<Probe>> = families
            .iter_mut()
            .map(|cells| cells.iter_mut().filter_map(|q| q.pop_front()).collect())
            .collect();
        if round.iter().all(Vec::is_empty) {
            break;
        }
        let longest = round.iter().map(Vec::len).max().unwrap_or(0);
        let mut iters: Vec<std::vec::IntoIter<Probe>> =
            round.drain(..).map(Vec::into_iter).collect();
        for _ in 0..longest {
            for it in &mut iters {
                if let Some(p) = it.next() {
                    probes.push(p);
                }
            }
        }
    }
    probes
}
