//! Integration tests of cloison-generators: one test binary, one module per area.

mod consistency;
mod determinism;
mod realism;
mod snapshots;
