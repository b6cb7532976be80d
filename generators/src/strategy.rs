//! proptest strategies of small worlds for property suites. They shrink toward seed 0, one tenant and one
//! case file.

use std::ops::RangeInclusive;

use proptest::prelude::*;

use crate::config::GenConfig;
use crate::world::World;

/// Configs of 1-3 tenants and 1-40 case files with any seed.
pub fn small_config() -> impl Strategy<Value = GenConfig> {
    config_with(1..=3, 1..=40)
}

/// Configs with tenant counts and case counts in the given ranges (tenants at most 101).
pub fn config_with(
    tenants: RangeInclusive<usize>,
    cases: RangeInclusive<u64>,
) -> impl Strategy<Value = GenConfig> {
    (any::<u64>(), tenants, cases)
        .prop_map(|(seed, tenants, cases)| GenConfig::new(seed, tenants, cases))
}

/// Small worlds: 1-3 tenants, 1-40 case files.
pub fn small_world() -> impl Strategy<Value = World> {
    world_with(1..=3, 1..=40)
}

/// Worlds with tenant and case counts in the given ranges.
pub fn world_with(
    tenants: RangeInclusive<usize>,
    cases: RangeInclusive<u64>,
) -> impl Strategy<Value = World> {
    config_with(tenants, cases)
        .prop_map(|c| World::generate(&c).expect("configs of this strategy are valid"))
}
