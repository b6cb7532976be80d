//! Integration tests of the cloison harness: one test binary, one module per area.

mod bench;
mod container;
mod existing;
mod failing;
mod generate;
mod mock;
mod profile;
mod reports;
mod run;
mod shards;
mod storage;
