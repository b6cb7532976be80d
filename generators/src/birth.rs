//! Places of birth and NIR identities, unique by construction whatever the distribution of birthplaces.
//!
//! The NIR (`sex YY MM place order key`) of a generated person must agree with the person (sex, birth year
//! and month, place of birth), lie in a range no real person has, and be unique in the world. The old
//! encoding drew the place of birth *from* a bijection of the person index, which made birthplaces uniform
//! (as many people born in Lozère as in Paris, a quarter of the population born abroad). Here the place is
//! drawn first, with realistic weights that depend on where the person lives, and uniqueness comes from a
//! dense index *per place*:
//!
//! 1. Each tenant (departement of residence) has three pools of person slots, one per slot of its case
//!    files: applicants, first and second representatives (absent persons keep their slot). The plan
//!    splits each pool between places of birth and sexes in exact proportion to the weights
//!    ([`birth_weights`], [`FEMALE_SHARE`]: applicants half women, first representatives women, second
//!    representatives men, so that a child's two parents are a mother and a father), by largest remainder.
//! 2. A person's slot is permuted within its pool (a keyed bijection), and the rank it lands on names its
//!    place, its sex and its index among the pool's persons of that place and sex. Adding the pool's
//!    offset gives a dense index among *all* persons of that sex born in that place (or group of places).
//! 3. That index is turned, by a keyed affine bijection, into the NIR's month and order number:
//!    - born in a departement (Corsica's 2A and 2B are one group, since both were `20` before 1976): the
//!      first 11,988 indices per sex (12 months x 999 orders) get the departement's code and commune part
//!      `000`, so the NIR agrees with the birthplace; beyond that (only the most populous departements of
//!      worlds of a few hundred thousand case files and more) the place part is `00` and three digits, no
//!      departement, which keeps the NIR unique and reserved without naming another departement;
//!    - born abroad: `990` and two digits (the country is in the person's record, not in the NIR).
//!
//! Two persons of the same sex born in the same group have distinct indices, hence distinct (month, order);
//! persons of different sexes differ in the NIR's first digit, of different groups in the place part. The
//! birth year is never needed for uniqueness.
//!
//! Across worlds of different run tags ([`crate::tag`]), each of the three ranges is cut into
//! [`crate::tag::RUN_TAGS`] equal parts and a world uses only its tag's: 119 identities per departement
//! group and sex with the departement's own code (beyond them, the `00` range), 119,880 per sex in the
//! `00` range and 11,988 per sex abroad, enough for [`crate::tag::TAG_CAPACITY_CASES`] case files. A world
//! beyond that capacity uses the ranges whole.

use crate::geo::geo;
use crate::ident::{BIRTH_COUNTRIES, permute};
use crate::tag::Slice;

/// NIR identities per departement group and sex with the departement's own code: 12 months x 999 orders
/// (23,976 per departement for both sexes).
pub const GROUP_CAPACITY: u64 = 12 * 999;
/// NIR identities per sex with place part `00` and three digits (overflow of the populous departements).
pub const OVERFLOW_CAPACITY: u64 = GROUP_CAPACITY * 1000;
/// NIR identities per sex of persons born abroad: place part `990` and two digits.
pub const ABROAD_CAPACITY: u64 = GROUP_CAPACITY * 100;

/// Share of women in each pool of person slots: applicants (0.5 \[est.\]), first representatives (the mother
/// of a child, a female representative of an adult), second representatives (the father, a male
/// representative). Two parents are a mother and a father; which slot represents an adult is drawn.
pub const FEMALE_SHARE: [f64; 3] = [0.5, 1.0, 0.0];

const SLOT_KEY: u64 = 0x4249_5254_485F_534C;
const NIR_KEY: u64 = 0x4E49_525F_6B65_7921;

/// Which range the NIR place part of a person comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NirPlace {
    /// The departement of birth with commune part `000` (`00` overseas); `20` for Corsica before 1976.
    Departement,
    /// `00` and these three digits: born in a departement whose own range is full.
    Overflow(u16),
    /// `990` and these two digits: born abroad.
    Abroad(u8),
}

/// The birth identity of one person slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthIdentity {
    /// Place of birth: index into the departements, then [`BIRTH_COUNTRIES`].
    pub place: u16,
    /// 1 (male) or 2 (female).
    pub sex: u8,
    /// Birth month, 1-12.
    pub month: u8,
    /// NIR order number, 1-999.
    pub order: u16,
    /// NIR place range.
    pub nir_place: NirPlace,
}

/// Number of places of birth: departements, then countries.
pub fn places() -> usize {
    geo().departements.len() + BIRTH_COUNTRIES.len()
}

/// The departement group of a place of birth (Corsica's two departements are one group), or `None` abroad.
pub fn group_of(place: usize) -> Option<usize> {
    let g = geo();
    let d = g.departements.get(place)?;
    if d.code == "2B" {
        g.departement_index("2A")
    } else {
        Some(place)
    }
}

/// Share of residents born abroad: 13 % (INSEE, 2023: 10.7 % of residents are immigrants, and about
/// 2.5 % more were born French abroad; see `data/README.md`).
pub const BORN_ABROAD: f64 = 0.13;

/// Share of the residents born in France who live in their departement of birth: 50 % \[est.\] (about one
/// in two, INSEE census; see `data/README.md`).
pub const NATIVE: f64 = 0.50;

/// Weights of the places of birth of the residents of departement `dept` (index), indexed like
/// [`BirthIdentity::place`]: [`NATIVE`] of those born in France in `dept` itself, the others in the other
/// departements in proportion to their population \[est.: migration flows are not in the embedded
/// data\]; [`BORN_ABROAD`] abroad, split by [`BIRTH_COUNTRIES`]' shares.
pub fn birth_weights(dept: usize) -> Vec<f64> {
    let g = geo();
    let mut w = vec![0.0; places()];
    let others: f64 = g
        .departements
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != dept)
        .map(|(_, d)| d.population as f64)
        .sum();
    for (i, d) in g.departements.iter().enumerate() {
        w[i] = if i == dept {
            (1.0 - BORN_ABROAD) * NATIVE
        } else {
            (1.0 - BORN_ABROAD) * (1.0 - NATIVE) * d.population as f64 / others.max(1.0)
        };
    }
    let shares: f64 = BIRTH_COUNTRIES.iter().map(|c| c.2).sum();
    for (k, c) in BIRTH_COUNTRIES.iter().enumerate() {
        w[g.departements.len() + k] = BORN_ABROAD * c.2 / shares;
    }
    w
}

/// The birth plan of a world: for every pool of person slots (each tenant's applicants, first and second
/// representatives), how many are born in each place, of each sex, and where the pool's block starts in
/// the dense index of that place (group) and sex.
#[derive(Debug, Clone)]
pub struct BirthPlan {
    /// Cells per pool: places x 2 sexes (cell `2 x place + 0` women, `+ 1` men).
    cells: usize,
    key: u64,
    /// Per pool (`3 x tenant + slot`): person slots.
    slots: Vec<u64>,
    /// Per pool, per cell: first rank of the cell among the pool's permuted slots (cumulative counts,
    /// `cells + 1` entries each).
    starts: Vec<u64>,
    /// Per pool, per cell: offset of the pool's block in the cell's group and sex index.
    bases: Vec<u64>,
    /// Per departement group and sex: offset of its overflow in the `00` range (`2 x group + sex`).
    overflow_bases: Vec<u64>,
    /// The world's part of each range, `(offset, size)`: a departement's own, `00`, abroad.
    own: (u64, u64),
    overflow: (u64, u64),
    abroad: (u64, u64),
}

/// Largest-remainder split of `total` by `weights` (ties go to the lower index).
fn split(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || total == 0 {
        return vec![0; weights.len()];
    }
    let mut out: Vec<u64> = Vec::with_capacity(weights.len());
    let mut rest: Vec<(f64, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total as f64 * w / sum;
        out.push(exact.floor() as u64);
        rest.push((exact - exact.floor(), i));
    }
    let assigned: u64 = out.iter().sum();
    rest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in rest
        .iter()
        .cycle()
        .take(total.saturating_sub(assigned) as usize)
    {
        out[i] += 1;
    }
    out
}

/// A cheap keyed bijection of `[0, m)`: `x -> (x * 7919 + b) mod m`. 7919 is prime and divides none of
/// the capacities (whose prime factors are 2, 3, 5 and 37), so the map is one to one. The index it is
/// applied to is already a permuted rank, so nothing more is needed to hide the order.
fn affine(x: u64, m: u64, b: u64) -> u64 {
    (x % m * 7919 + b % m) % m
}

impl BirthPlan {
    /// The plan of world `seed` for tenants (departement index, case files), in plan order, in the world's
    /// slice of the ranges. Fails when a range would be exhausted (worlds far beyond the supported size).
    pub fn new(seed: u64, slice: Slice, tenants: &[(usize, u64)]) -> Result<BirthPlan, String> {
        let (own, overflow_part, abroad_part) = (
            slice.part(GROUP_CAPACITY),
            slice.part(OVERFLOW_CAPACITY),
            slice.part(ABROAD_CAPACITY),
        );
        let n = places();
        let cells = 2 * n;
        let n_depts = geo().departements.len();
        // Three pools per tenant, one per slot of its case files: applicants (always a person), first and
        // second representatives (often empty).
        let pools: Vec<(usize, u64, usize)> = tenants
            .iter()
            .flat_map(|&(dept, cases)| (0..3).map(move |slot| (dept, cases, slot)))
            .collect();
        let mut slots = Vec::with_capacity(pools.len());
        let mut counts = Vec::with_capacity(pools.len() * cells);
        let mut starts = Vec::with_capacity(pools.len() * (cells + 1));
        for &(dept, s, slot) in &pools {
            slots.push(s);
            let f = FEMALE_SHARE[slot];
            let w: Vec<f64> = birth_weights(dept)
                .into_iter()
                .flat_map(|w| [w * f, w * (1.0 - f)])
                .collect();
            let c = split(s, &w);
            let mut acc = 0;
            for &x in &c {
                starts.push(acc);
                acc += x;
            }
            starts.push(acc);
            counts.extend(c);
        }
        let mut bases = vec![0u64; pools.len() * cells];
        // Departement groups, for each sex: applicants before representatives (so that when a range is
        // full, the overflow falls on slots that are mostly empty), and within each slot the tenants living
        // there first (the most numerous born there), then the others in plan order; within a pool, the
        // group's places in index order.
        let mut group_totals = vec![0u64; 2 * n_depts];
        let mut order: Vec<usize> = (0..pools.len()).collect();
        for group in (0..n_depts).filter(|&p| group_of(p) == Some(p)) {
            let members: Vec<usize> = (0..n_depts)
                .filter(|&p| group_of(p) == Some(group))
                .collect();
            order.sort_by_key(|&u| (pools[u].2, !members.contains(&pools[u].0), u));
            for sex in 0..2 {
                let mut acc = 0u64;
                for &u in &order {
                    for &p in &members {
                        bases[u * cells + 2 * p + sex] = acc;
                        acc += counts[u * cells + 2 * p + sex];
                    }
                }
                group_totals[2 * group + sex] = acc;
            }
        }
        let mut overflow_bases = vec![0u64; 2 * n_depts];
        let mut overflow = [0u64; 2];
        for (i, &total) in group_totals.iter().enumerate() {
            overflow_bases[i] = overflow[i % 2];
            overflow[i % 2] += total.saturating_sub(own.1);
        }
        let mut abroad = [0u64; 2];
        for u in 0..pools.len() {
            for p in n_depts..n {
                for sex in 0..2 {
                    bases[u * cells + 2 * p + sex] = abroad[sex];
                    abroad[sex] += counts[u * cells + 2 * p + sex];
                }
            }
        }
        if overflow.iter().any(|&o| o > overflow_part.1)
            || abroad.iter().any(|&a| a > abroad_part.1)
        {
            return Err(format!(
                "too many persons for the reserved NIR ranges ({overflow:?} beyond the departements' own, \
                 {abroad:?} born abroad, women and men)"
            ));
        }
        Ok(BirthPlan {
            cells,
            key: crate::ident::mix(seed ^ SLOT_KEY),
            slots,
            starts,
            bases,
            overflow_bases,
            own,
            overflow: overflow_part,
            abroad: abroad_part,
        })
    }

    /// The birth identity of person slot `q` (`3 x (sequence - 1) + slot`) of tenant `t` (plan order).
    pub fn identity(&self, t: usize, q: u64) -> BirthIdentity {
        let cells = self.cells;
        let u = 3 * t + (q % 3) as usize;
        let slots = self.slots[u].max(1);
        let rank = permute(
            q / 3 % slots,
            slots,
            self.key ^ (u as u64).wrapping_mul(0x9E37_79B9),
        );
        let starts = &self.starts[u * (cells + 1)..(u + 1) * (cells + 1)];
        // The cell (place and sex) whose range of ranks holds `rank`.
        let cell = (starts.partition_point(|&s| s <= rank) - 1).min(cells - 1);
        let (place, sex) = (cell / 2, cell % 2);
        let index = self.bases[u * cells + cell] + (rank - starts[cell]);
        let salt = NIR_KEY ^ (sex as u64) << 40;
        let (mut x, nir_place) = match group_of(place) {
            None => {
                let x = affine(self.abroad.0 + index, ABROAD_CAPACITY, salt ^ 0xAB);
                (
                    x % GROUP_CAPACITY,
                    NirPlace::Abroad((x / GROUP_CAPACITY) as u8),
                )
            }
            Some(group) if index < self.own.1 => (
                affine(self.own.0 + index, GROUP_CAPACITY, salt ^ group as u64),
                NirPlace::Departement,
            ),
            Some(group) => {
                let o = self.overflow_bases[2 * group + sex] + index - self.own.1;
                let x = affine(self.overflow.0 + o, OVERFLOW_CAPACITY, salt ^ 0x00F);
                (
                    x % GROUP_CAPACITY,
                    NirPlace::Overflow((x / GROUP_CAPACITY) as u16),
                )
            }
        };
        let month = (x % 12) as u8 + 1;
        x /= 12;
        BirthIdentity {
            place: place as u16,
            sex: if sex == 0 { 2 } else { 1 },
            month,
            order: x as u16 + 1,
            nir_place,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn affine_maps_are_bijections_of_every_capacity() {
        for m in [GROUP_CAPACITY, ABROAD_CAPACITY, OVERFLOW_CAPACITY] {
            assert!(m % 7919 != 0);
            let step = (m / 50_000).max(1);
            let seen: HashSet<u64> = (0..m)
                .step_by(step as usize)
                .map(|x| affine(x, m, 12345))
                .collect();
            assert_eq!(seen.len() as u64, m.div_ceil(step));
        }
        let all: HashSet<u64> = (0..GROUP_CAPACITY)
            .map(|x| affine(x, GROUP_CAPACITY, 99))
            .collect();
        assert_eq!(all.len() as u64, GROUP_CAPACITY);
    }

    #[test]
    fn the_largest_world_fits_the_reserved_ranges() {
        let config = crate::GenConfig {
            tenants: crate::TenantSelection::All,
            ..crate::GenConfig::new(1, 101, crate::max_cases())
        };
        let plan = crate::plan::Plan::new(&config).unwrap();
        let tenants: Vec<(usize, u64)> = plan.tenants.iter().map(|t| (t.dept, t.cases)).collect();
        BirthPlan::new(1, config.slice(), &tenants).unwrap();
        // One departement alone with the largest world still fits (everything overflows into `00`).
        let paris = geo().departement_index("75").unwrap();
        BirthPlan::new(1, config.slice(), &[(paris, crate::max_cases())]).unwrap();
        // So does the largest tagged world, in the last tag's part of each range.
        let last = crate::RunTag::new(crate::RUN_TAGS - 1).unwrap();
        let slice = Slice::of(last, crate::TAG_CAPACITY_CASES);
        assert_eq!(slice.slots, u64::from(crate::RUN_TAGS));
        BirthPlan::new(1, slice, &[(paris, crate::TAG_CAPACITY_CASES)]).unwrap();
        let all = crate::GenConfig {
            tenants: crate::TenantSelection::All,
            ..crate::GenConfig::new(1, 101, crate::TAG_CAPACITY_CASES)
        };
        let plan = crate::plan::Plan::new(&all).unwrap();
        let tenants: Vec<(usize, u64)> = plan.tenants.iter().map(|t| (t.dept, t.cases)).collect();
        BirthPlan::new(1, slice, &tenants).unwrap();
    }

    #[test]
    fn splits_are_exact() {
        assert_eq!(split(10, &[1.0, 1.0, 1.0]), [4, 3, 3]);
        assert_eq!(split(0, &[1.0, 2.0]), [0, 0]);
        assert_eq!(split(7, &[0.0, 1.0]), [0, 7]);
    }

    #[test]
    fn identities_are_unique_across_tenants_even_when_a_departement_overflows() {
        let g = geo();
        let paris = g.departement_index("75").unwrap();
        let corse_a = g.departement_index("2A").unwrap();
        let corse_b = g.departement_index("2B").unwrap();
        // Enough persons for Paris's own range to overflow into `00`.
        let tenants = [(paris, 40_000u64), (corse_a, 300), (corse_b, 300)];
        let (mut women, mut first_women, mut second_men) = (0, 0, 0);
        let plan = BirthPlan::new(1, Slice { slot: 0, slots: 1 }, &tenants).unwrap();
        let mut seen = HashSet::new();
        let mut overflow = 0;
        for (t, &(_, cases)) in tenants.iter().enumerate() {
            for q in 0..3 * cases {
                let id = plan.identity(t, q);
                assert!((1..=2).contains(&id.sex) && (1..=12).contains(&id.month));
                assert!((1..=999).contains(&id.order));
                // The NIR's varying parts: the place part as rendered (Corsica as one group) and the rest.
                let place = match id.nir_place {
                    NirPlace::Departement => group_of(id.place as usize).map_or(9999, |g| g as u32),
                    NirPlace::Overflow(x) => 10_000 + u32::from(x),
                    NirPlace::Abroad(x) => 20_000 + u32::from(x),
                };
                if matches!(id.nir_place, NirPlace::Overflow(_)) {
                    overflow += 1;
                    assert_eq!(group_of(id.place as usize), Some(id.place as usize));
                }
                assert!(
                    seen.insert((place, id.sex, id.month, id.order)),
                    "{t} {q} {id:?}"
                );
                women += u32::from(id.sex == 2 && q % 3 == 0);
                first_women += u32::from(id.sex == 2 && q % 3 == 1);
                second_men += u32::from(id.sex == 1 && q % 3 == 2);
            }
        }
        assert!(overflow > 0, "the test is meant to overflow a departement");
        // Applicants half women; first representatives women, second men.
        assert!((20_200..=20_400).contains(&women), "{women}");
        assert_eq!((first_women, second_men), (40_600, 40_600));
    }
}
