//! `--shard K/N`: a deterministic split of the probe space over N runs. A probe belongs to shard
//! `fnv1a64(Probe::id()) % N + 1`: the identifier names the family, endpoint, actor, record and variation, so
//! the split depends only on the seed's plan, never on the order of execution or the machine. Controls run in
//! every shard (each shard must show that the target serves its data). `cloison report merge`
//! ([`crate::merge`]) combines the shards' reports.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use cloison_suites::{Cell, Planned, Probe};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    /// At least 1.
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || format!("`{text}`: expected K/N with 1 <= K <= N, for example 2/4");
        let (k, n) = text.split_once('/').ok_or_else(err)?;
        let index: u64 = k.trim().parse().map_err(|_| err())?;
        let count: u64 = n.trim().parse().map_err(|_| err())?;
        if count == 0 || index == 0 || index > count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a (64 bits): a small hash whose value is fixed by its definition (unlike `std`'s `DefaultHasher`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl Shard {
    /// Whether a probe (not a control) belongs to this shard.
    pub fn keeps(&self, probe: &Probe) -> bool {
        fnv1a64(probe.id().as_bytes()) % self.count == self.index - 1
    }

    /// Keep only this shard's probes (controls all stay) and make each family's planned counts those of the
    /// shard. A family whose probes all fall in other shards is planned with no probe here, and so is not
    /// a reason for an inconclusive shard; its skip reason says so.
    pub fn apply(&self, planned: &mut Planned) {
        planned.probes.retain(|p| self.keeps(p));
        planned.mutating.retain(|p| self.keeps(p));
        planned.last.retain(|p| self.keeps(p));
        planned.accounts.retain(|p| self.keeps(p));
        let mut probes: BTreeMap<cloison_suites::Family, usize> = BTreeMap::new();
        let mut cells: BTreeMap<cloison_suites::Family, BTreeSet<&Cell>> = BTreeMap::new();
        for probe in planned
            .probes
            .iter()
            .chain(&planned.mutating)
            .chain(&planned.last)
            .chain(&planned.accounts)
        {
            *probes.entry(probe.family).or_default() += 1;
            cells.entry(probe.family).or_default().insert(&probe.cell);
        }
        for family in &mut planned.coverage {
            if family.skipped.is_some() {
                continue;
            }
            let before = family.probes;
            family.probes = probes.get(&family.family).copied().unwrap_or(0);
            family.cells = cells.get(&family.family).map_or(0, BTreeSet::len);
            if before > 0 && family.probes == 0 {
                family.skipped = Some(format!(
                    "not applicable in shard {self}: its {before} probe(s) fall in other shards"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_print() {
        let shard: Shard = "2/4".parse().expect("valid");
        assert_eq!(shard, Shard { index: 2, count: 4 });
        assert_eq!(shard.to_string(), "2/4");
        for bad in ["0/4", "5/4", "1/0", "4", "a/b", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_fixed_by_its_definition() {
        // Reference values of FNV-1a 64.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
