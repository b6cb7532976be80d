//! Integration tests of the cloison harness: one test binary, one module per area.

mod agora;
mod bench;
mod blame;
mod chantier;
mod comptoir;
#[cfg(feature = "containers")]
mod container;
mod depot;
mod existing;
mod failing;
mod fuzz;
mod generate;
mod guichet;
mod mock;
mod openapi;
mod profile;
mod progress;
mod reach;
mod reports;
mod run;
mod shards;
mod slash;
mod stateful;
mod storage;
mod support;
