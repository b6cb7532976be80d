//! Integration tests of the cloison harness: one test binary, one module per area.

mod agora;
mod annuaire;
mod bench;
mod blame;
mod bounded;
mod chantier;
mod comptoir;
#[cfg(feature = "containers")]
mod container;
mod coverage;
mod depot;
mod echo;
mod existing;
mod explained;
mod failing;
mod fuzz;
mod generate;
mod greffe;
mod guichet;
mod leftovers;
mod mock;
mod officine;
mod openapi;
mod profile;
mod progress;
mod reach;
mod relais;
mod reports;
mod run;
mod schema;
mod sessions;
mod shards;
mod slash;
mod stateful;
mod storage;
mod support;
