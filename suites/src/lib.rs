//! Isolation properties for cloison: who may see what, and the adversarial probes that test it.
//!
//! This crate decides *what* to probe and *what counts as a violation*; it performs no I/O. The harness
//! executes the probes it describes against a target and asks the policy about every canary it sees.
//!
//! - [`population`]: the identities and records of a world, reduced to what access decisions need;
//! - [`policy`]: the access-policy vocabulary (per role: own records, represented persons, assigned cases,
//!   whole tenant, nothing) and the decision "may identity X see data of owner Y";
//! - [`probes`]: probe families as data and as proptest strategies.

pub use cloison_generators as generators;

pub mod policy;
pub mod population;
pub mod probes;

pub use policy::{AccessPolicy, DataOwner, Decision, PolicyError, Scope};
pub use population::{Identity, Population, PopulationError, Record, RecordKind};
pub use probes::{Operation, Probe};
