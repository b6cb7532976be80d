//! Isolation properties for cloison: who may see what, the adversarial probes that test it, and the verdicts
//! that judge what a target answered.
//!
//! This crate decides *what* to probe and *what counts as a violation*; it performs no I/O. The harness
//! executes the probes it plans against a target and asks the verdict functions about every answer.
//!
//! - [`population`]: the identities and records of a world, reduced to what access decisions need;
//! - [`policy`]: the access-policy vocabulary (per role: own records, represented persons, assigned cases,
//!   whole tenant, nothing) and the decision "may identity X see data of owner Y";
//! - [`family`]: the probe families as data (what each needs, CWE and OWASP references);
//! - [`surface`]: what a target offers, in abstract terms (built by the harness from a profile);
//! - [`probes`]: probes, cells and relations, and the proptest strategies that shrink a failing cell;
//! - [`outcome`]: how a run ends (clean, findings, inconclusive, target failure), from what it observed,
//!   with typed reasons;
//! - [`planner`]: the seeded, per-cell sampling of every family that applies, and its coverage;
//! - [`session`]: sessions that die during a run: the read that tells whether one lives, and what is done
//!   with an answer that says the caller is not signed in;
//! - [`stateful`]: the reference model of who may see what as rights change (logout, transfer, end of a
//!   representation, deletion, role change) and the strategies over sequences of transitions;
//! - [`score`]: ground truth x detections -> true and false positives and negatives, rates (the bench);
//! - [`verdict`]: pure functions from what was observed to a verdict (refusal, proven leak, proven
//!   tampering, suspicious, server error, control failed).

pub use cloison_generators as generators;

pub mod audit;
pub mod baseline;
pub mod family;
pub mod forge;
pub mod outcome;
pub mod planner;
pub mod policy;
pub mod population;
pub mod probes;
pub mod reserve;
pub mod score;
pub mod session;
pub mod stateful;
pub mod surface;
pub mod unsent;
pub mod verdict;

pub use family::{Family, Need};
pub use forge::{Forgery, NoneSpelling};
pub use planner::{FamilyPlan, PlanConfig, Planned, plan};
pub use policy::{AccessPolicy, DataOwner, Decision, PolicyError, Scope};
pub use population::{Identity, Population, PopulationError, Record, RecordKind};
pub use probes::{Cell, Expect, Named, Probe, Relation, RoleValue, Variant};
pub use reserve::{Reserve, Victims};
pub use stateful::{Action, Model, Scene, Step, TransitionKind};
pub use surface::{
    AccountSurface, CallerUse, Creator, EndpointRef, Op, Param, RoleRoute, Selector, Surface,
};
pub use unsent::{Unsent, UnsentKind};
pub use verdict::{
    Evidence, FieldEquals, Hit, Judgement, Needs, Observations, Observed, ReadBack, RefusalBody,
    Refusals, SoftDelete, Verdict,
};
