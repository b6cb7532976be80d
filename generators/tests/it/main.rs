//! Integration tests of cloison-generators: one test binary, one module per area.

mod consistency;
mod determinism;
mod guarantees;
mod realism;
mod runs;
mod snapshots;
