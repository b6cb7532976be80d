//! Synthetic, deterministic disability-case worlds (French MDPH case files) with canary values.
//!
//! A world has tenants (one MDPH per departement), persons with consistent identities (NIR with a valid
//! key in a safe range, address whose postcode, commune and departement agree, phone, email under reserved
//! domains, IBAN with valid keys), legal representatives, portal accounts (applicants, representatives,
//! agents, administrators), case files with status history, requested rights, documents (small valid PDFs
//! produced on demand), evaluations, decisions, appeals and agent notes in French.
//!
//! - [`World::generate`] builds a small world in memory from a [`GenConfig`]; [`LazyWorld`] holds only its
//!   tenants and agents and draws each case file again when asked (for runs over large worlds);
//! - [`World::canaries`] gives the [`canary::CanaryRegistry`]: which tenant, person and record any bytes
//!   reveal;
//! - [`stream::write_world`] streams a large world to JSONL or CSV, in parallel, with flat memory and
//!   byte-identical output whatever the thread count;
//! - [`realism`] holds the eleven realism checks of the domain reference and seven more as reusable
//!   functions;
//! - [`strategy`] has proptest strategies of small worlds for the suites.
//!
//! Every sensitive value (surname, NIR, address line, phone, email, IBAN, case number, document reference
//! and file name, decision number and text, note text) is unique in the world by construction: a bijective
//! encoding of a global index, never a retry on collision; and, through the world's run tag ([`tag`]),
//! unique across the worlds of different tags within a documented capacity.
//!
//! Every world, whatever its seed and size, also holds by construction what the security harness needs in
//! each tenant: agents of each function and a tenant administrator (the plan gives every tenant at least
//! three agents and one administrator); an active representation whose representative has a portal account
//! (the tenant's first case file); and, in a tenant with at least two case files, an ended representation
//! (ended at or before the reference date) whose representative still has an account (its second case
//! file). See [`draw::forced_representation`].

pub mod birth;
pub mod bundle;
pub mod canary;
pub mod config;
pub mod date;
pub mod draw;
pub mod emit;
pub mod error;
pub mod geo;
pub mod ident;
pub mod lazy;
pub mod model;
pub mod pdf;
pub mod plan;
pub mod realism;
pub mod recognise;
pub mod render;
pub mod rng;
pub mod schema;
pub mod strategy;
pub mod stream;
pub mod tag;
pub mod text;
pub mod world;

pub use config::{
    DEFAULT_REFERENCE_DATE, GenConfig, RightShares, TenantSelection, Weights, max_cases,
};
pub use date::Date;
pub use emit::Format;
pub use error::GenError;
pub use lazy::{Cases, LazyWorld};
pub use model::*;
pub use schema::Entity;
pub use tag::{RUN_TAGS, RunTag, TAG_CAPACITY_CASES};
pub use world::{World, document_bytes};

/// Version of the generator: part of the determinism promise (same seed and version, same bytes).
pub const GENERATOR_VERSION: &str = env!("CARGO_PKG_VERSION");
