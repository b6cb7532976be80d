//! Integration tests of the cloison harness: one test binary, one module per area.

mod container;
mod failing;
mod profile;
mod run;
