//! Run tags: values unique across runs, not only within a world.
//!
//! Every canary is a bijective encoding of a global index ([`crate::ident`], [`crate::birth`],
//! [`crate::render`]), so two worlds that use the same indices share values: a second run with another
//! seed against a target that kept the first run's records would find "its" canaries in records that are
//! not its own. A world therefore carries a **run tag**, one of [`RUN_TAGS`], and uses only its tag's
//! slice of every value space: index' = tag x capacity + index, where the capacity is what the largest
//! tagged world needs ([`TAG_CAPACITY_CASES`] case files: [`PERSONS_PER_TAG`] person indices,
//! [`AGENTS_PER_TAG`] agents). Two worlds of different tags, each within the capacity, share no canary
//! value: surnames, e-mails (they carry the surname), address lines, phones, IBANs, NIRs (their
//! departement's own range, the `00` and `990` ranges are split between tags, see [`crate::birth`]),
//! case numbers (their sequence starts at tag x [`TAG_CAPACITY_CASES`]) and everything that carries a
//! case number (decision, document and note references and texts, file names), agents' surnames and
//! logins.
//!
//! The tag is `seed mod RUN_TAGS` unless fixed ([`crate::GenConfig::run_tag`]): seeds 1 to 100 have
//! distinct tags; seeds that differ by a multiple of [`RUN_TAGS`] share one (fix the tag to keep them
//! apart). A world of more than [`TAG_CAPACITY_CASES`] case files (volume tests of `cloison generate`)
//! uses every value space whole, as if its tag were 0, and is unique within itself only.

use crate::error::GenError;

/// How many distinct run tags exist: `0` to `RUN_TAGS - 1`.
pub const RUN_TAGS: u16 = 100;

/// The most case files a world may have and stay disjoint from the worlds of other tags.
pub const TAG_CAPACITY_CASES: u64 = 25_000;

/// Person indices per tag: three person slots per case file.
pub const PERSONS_PER_TAG: u64 = 3 * TAG_CAPACITY_CASES;

/// Agents per tag. A tenant of `c` case files has `3 (1 + c / 6000) + 1` agents, so 101 tenants and
/// [`TAG_CAPACITY_CASES`] case files have at most `4 x 101 + 3 x 25000 / 6000 = 416`.
pub const AGENTS_PER_TAG: u64 = 600;

/// A run tag: which slice of each value space a world uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunTag(u16);

impl RunTag {
    /// A tag, if it is below [`RUN_TAGS`].
    pub fn new(tag: u16) -> Result<RunTag, GenError> {
        if tag < RUN_TAGS {
            Ok(RunTag(tag))
        } else {
            Err(GenError::Config(format!(
                "run tag {tag} is not between 0 and {}",
                RUN_TAGS - 1
            )))
        }
    }

    /// The default tag of a seed: `seed mod RUN_TAGS`.
    pub const fn for_seed(seed: u64) -> RunTag {
        RunTag((seed % RUN_TAGS as u64) as u16)
    }

    /// The tag's number.
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl std::fmt::Display for RunTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for RunTag {
    type Err = GenError;

    fn from_str(s: &str) -> Result<RunTag, GenError> {
        let n: u16 = s.trim().parse().map_err(|_| {
            GenError::Config(format!(
                "run tag {s:?} is not a number between 0 and {}",
                RUN_TAGS - 1
            ))
        })?;
        RunTag::new(n)
    }
}

/// The slice of the value spaces a world uses: its tag's, or every space whole for a world beyond the
/// capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// Which slice (the tag, or 0).
    pub slot: u64,
    /// How many slices each space is cut into ([`RUN_TAGS`], or 1).
    pub slots: u64,
}

impl Slice {
    /// The slice of a world of `cases` case files with tag `tag`.
    pub fn of(tag: RunTag, cases: u64) -> Slice {
        if cases <= TAG_CAPACITY_CASES {
            Slice {
                slot: u64::from(tag.get()),
                slots: u64::from(RUN_TAGS),
            }
        } else {
            Slice { slot: 0, slots: 1 }
        }
    }

    /// The value index of person index `p` (surnames, address lines, phones, IBANs).
    pub fn person(self, p: u64) -> u64 {
        self.slot * PERSONS_PER_TAG + p
    }

    /// The value index of agent `a` (surnames, logins).
    pub fn agent(self, a: u64) -> u64 {
        self.slot * AGENTS_PER_TAG + a
    }

    /// The first case sequence number of the slice, less one: case numbers count from here.
    pub fn case_base(self) -> u64 {
        self.slot * TAG_CAPACITY_CASES
    }

    /// The part of a capacity that is this slice's: `(offset, size)`.
    pub fn part(self, capacity: u64) -> (u64, u64) {
        let size = capacity / self.slots;
        (self.slot * size, size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_and_default_from_the_seed() {
        assert_eq!("7".parse::<RunTag>().unwrap().get(), 7);
        assert!("100".parse::<RunTag>().is_err());
        assert!("x".parse::<RunTag>().is_err());
        assert_eq!(RunTag::for_seed(1).get(), 1);
        assert_eq!(RunTag::for_seed(101).get(), 1);
        assert_eq!(RunTag::for_seed(u64::MAX).get(), (u64::MAX % 100) as u16);
    }

    #[test]
    fn every_space_holds_every_tag_at_capacity() {
        let last = Slice::of(RunTag(RUN_TAGS - 1), TAG_CAPACITY_CASES);
        assert!(last.person(PERSONS_PER_TAG - 1) < crate::ident::person_surnames());
        assert!(last.person(PERSONS_PER_TAG - 1) < crate::render::address_space());
        assert!(last.person(PERSONS_PER_TAG - 1) < 100_000_000, "phones");
        assert!(last.agent(AGENTS_PER_TAG - 1) < crate::ident::agent_surnames());
        assert_eq!(
            Slice::of(RunTag(5), TAG_CAPACITY_CASES + 1),
            Slice { slot: 0, slots: 1 }
        );
        // The most agents a world within the capacity can have.
        let config = crate::GenConfig {
            tenants: crate::TenantSelection::All,
            ..crate::GenConfig::new(1, 101, TAG_CAPACITY_CASES)
        };
        let plan = crate::plan::Plan::new(&config).unwrap();
        let agents: u64 = plan.tenants.iter().map(|t| u64::from(t.agents)).sum();
        assert!(agents <= AGENTS_PER_TAG, "{agents}");
        let one = crate::plan::Plan::new(&crate::GenConfig::new(1, 1, TAG_CAPACITY_CASES)).unwrap();
        assert!(u64::from(one.tenants[0].agents) <= AGENTS_PER_TAG);
    }
}
