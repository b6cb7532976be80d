//! The budget of the generic probing: a fixed number of probes per operation and family, drawn from the
//! seed, spread over the operation's ways of filling its path and its cells (role and relation) before any
//! one is drawn twice. A document of hundreds of operations then costs a few probes each: at most
//! `1 + 2 × PER_OPERATION` for a collection with a search parameter, `1 + PER_OPERATION` for a read by
//! identifier, 1 for anything else (its call without credentials).

use cloison_suites::Relation;

/// Probes per operation and family (the call without credentials is one per operation).
pub const PER_OPERATION: usize = 3;

/// SplitMix64, seeded per operation: the same seed gives the same probes.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64, salt: &str) -> Self {
        Rng(salt.bytes().fold(seed ^ 0xD1B5_4A32_D192_ED03, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
        }))
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % n.max(1) as u64) as usize
    }

    /// Up to `k` distinct items, in the order drawn.
    pub(super) fn sample<T: Clone>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut left: Vec<usize> = (0..items.len()).collect();
        let mut out = Vec::new();
        while out.len() < k && !left.is_empty() {
            let at = self.below(left.len());
            out.push(items[left.remove(at)].clone());
        }
        out
    }
}

/// Up to `budget` items out of `groups` (the fillings of an operation, each a list of cells in the order
/// they should be tried, each a list of candidates): the groups in turn (in an order drawn from `rng`),
/// within a group its cells in order, one candidate drawn per cell, before any cell gives a second.
/// Returns (group, cell, candidate) indexes.
pub(super) fn draw<T>(
    groups: &[Vec<Vec<T>>],
    budget: usize,
    rng: &mut Rng,
) -> Vec<(usize, usize, usize)> {
    // The groups in a drawn order: a budget smaller than their number leaves out a different one per seed.
    let group_order = rng.sample(&(0..groups.len()).collect::<Vec<_>>(), groups.len());
    // Each cell's candidates in a drawn order.
    let candidates: Vec<Vec<Vec<usize>>> = groups
        .iter()
        .map(|cells| {
            cells
                .iter()
                .map(|c| rng.sample(&(0..c.len()).collect::<Vec<_>>(), c.len()))
                .collect()
        })
        .collect();
    let longest = groups.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::new();
    let mut round = 0;
    loop {
        let mut any = false;
        // Round `round`: the `round`-th candidate of every cell, cells of all groups interleaved.
        for position in 0..longest {
            for &g in &group_order {
                let Some(drawn) = candidates[g].get(position) else {
                    continue;
                };
                if let Some(&i) = drawn.get(round) {
                    any = true;
                    if out.len() == budget {
                        return out;
                    }
                    out.push((g, position, i));
                }
            }
        }
        if !any {
            return out;
        }
        round += 1;
    }
}

/// Cells keyed by role and relation, in the order they should be tried: every role once (in an order drawn
/// from `rng`) before any role twice, and within a role another tenant's records first, the others in the
/// order of [`Relation::ALL`]. Isolation between tenants is what a small budget must not miss.
pub(super) fn prioritise<T>(
    cells: std::collections::BTreeMap<(String, Relation), Vec<T>>,
    rng: &mut Rng,
) -> Vec<Vec<T>> {
    let mut by_role: std::collections::BTreeMap<String, Vec<(Relation, Vec<T>)>> =
        std::collections::BTreeMap::new();
    for ((role, relation), candidates) in cells {
        by_role
            .entry(role)
            .or_default()
            .push((relation, candidates));
    }
    let mut roles: Vec<Vec<(Relation, Vec<T>)>> = by_role.into_values().collect();
    for relations in &mut roles {
        relations.sort_by_key(|(relation, _)| {
            (
                *relation != Relation::OtherTenant,
                Relation::ALL.iter().position(|r| r == relation),
            )
        });
        relations.reverse();
    }
    let order = rng.sample(&(0..roles.len()).collect::<Vec<_>>(), roles.len());
    let mut out = Vec::new();
    loop {
        let before = out.len();
        for &r in &order {
            if let Some((_, candidates)) = roles[r].pop() {
                out.push(candidates);
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_deterministic() {
        let items: Vec<usize> = (0..50).collect();
        let a = Rng::new(7, "x").sample(&items, 5);
        assert_eq!(a, Rng::new(7, "x").sample(&items, 5));
        assert_ne!(a, Rng::new(8, "x").sample(&items, 5));
        assert_eq!(a.iter().collect::<std::collections::BTreeSet<_>>().len(), 5);
    }

    #[test]
    fn the_budget_spreads_over_groups_and_cells_before_repeating_one() {
        // Four fillings of two cells of ten candidates each: the budget takes one of three fillings.
        let groups: Vec<Vec<Vec<u8>>> = vec![vec![vec![0; 10], vec![0; 10]]; 4];
        let drawn = draw(&groups, 3, &mut Rng::new(1, "op"));
        assert_eq!(drawn.len(), 3);
        let fillings: std::collections::BTreeSet<usize> = drawn.iter().map(|d| d.0).collect();
        assert_eq!(
            fillings.len(),
            3,
            "three fillings, one probe each: {drawn:?}"
        );
        assert!(
            drawn.iter().all(|d| d.1 == 0),
            "their first cells: {drawn:?}"
        );
        // One group: its cells in order, then second candidates; never more than the candidates.
        let one = vec![vec![vec![0u8; 2], vec![0u8; 1]]];
        let drawn = draw(&one, 10, &mut Rng::new(1, "op"));
        assert_eq!(
            drawn.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>(),
            [(0, 0), (0, 1), (0, 0)]
        );
        assert_eq!(
            draw(&one, 10, &mut Rng::new(1, "op")),
            drawn,
            "deterministic"
        );
        assert!(draw::<u8>(&[], 3, &mut Rng::new(1, "op")).is_empty());
    }

    #[test]
    fn every_role_comes_before_any_role_twice_and_other_tenants_first() {
        let cell = |role: &str, relation| {
            (
                (role.to_string(), relation),
                vec![(role.to_string(), relation)],
            )
        };
        let cells = std::collections::BTreeMap::from([
            cell("applicant", Relation::SameTenant),
            cell("applicant", Relation::OtherTenant),
            cell("representative", Relation::FormerlyRepresented),
            cell("representative", Relation::SameTenant),
            cell("representative", Relation::OtherTenant),
            cell("agent", Relation::OtherTenant),
        ]);
        for seed in 0..20 {
            let order: Vec<(String, Relation)> =
                prioritise(cells.clone(), &mut Rng::new(seed, "op"))
                    .into_iter()
                    .map(|c| c[0].clone())
                    .collect();
            assert_eq!(order.len(), 6);
            let first: std::collections::BTreeSet<&str> =
                order[..3].iter().map(|(role, _)| role.as_str()).collect();
            assert_eq!(first.len(), 3, "every role first: {order:?}");
            assert!(
                order[..3].iter().all(|(_, r)| *r == Relation::OtherTenant),
                "{order:?}"
            );
        }
    }
}
