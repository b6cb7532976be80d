//! Isolation properties for cloison: who may see what, and the adversarial probes that test it.
//!
//! This crate decides *what* to probe and *what counts as a violation*; it performs no I/O. The harness
//! executes the probes it describes against a target. Its contents arrive with the harness core (access
//! policy vocabulary, probe families as proptest strategies); until then it only re-exports the generator
//! it builds on, so that the dependency direction `generators <- suites <- harness` is fixed from day one.

pub use cloison_generators as generators;
