//! The cloison harness: the only layer that touches the outside world (files, terminal, HTTP, Docker).
//!
//! - [`cli`]: argument definitions and dispatch for the `cloison` binary, and its exit codes (from `exit`,
//!   the one error every subcommand ends with);
//! - `generate`: `cloison generate`, writing a synthetic world to disk;
//! - [`profile`]: target profiles (TOML): parsing, validation with precise errors, compiled templates;
//! - [`run`]: `cloison run`, over [`target`] (deployment), [`plan`] (the world's accounts and records),
//!   [`contexts`] (the records' template contexts), [`engine`] (provision, seed, controls, probes),
//!   [`render`] (profile endpoints to plain requests),
//!   [`http`] (sends rendered requests: clients, retries, curl reproducers),
//!   [`oracle`] (canary scanning and verdicts) and [`report`] (findings, JSON, summary);
//! - `reporters`: the report in other formats (JUnit XML, SARIF 2.1.0, a self-contained HTML evidence
//!   file), each a pure function of the report; `term`: colour on a terminal only; `progress`: a
//!   line every few seconds where no bar is drawn;
//! - [`openapi`]: OpenAPI documents: `cloison init --openapi` (a starting profile), the generic probing of
//!   the operations a profile does not describe, and the report's operation coverage;
//! - `bench`: `cloison bench`, every flaw of the reference portal alone and the hardened portal over
//!   several seeds, in one table;
//! - [`corpus`]: `cloison bench --corpus`, `bench score`, `bench serve`: the isolation corpus (cases with
//!   ground truth), cloison's or another tool's scorecard, a case's target kept up.
//!
//! Public: what the binary and the integration tests use; the rest is `pub(crate)`.

pub mod accept;
pub(crate) mod bench;
pub(crate) mod cause;
pub mod cli;
pub mod contexts;
pub mod corpus;
pub mod decode;
pub mod diff;
pub mod engine;
pub mod event;
pub(crate) mod exit;
pub(crate) mod generate;
pub mod http;
pub mod input;
pub mod jwt;
pub mod merge;
pub mod openapi;
pub mod oracle;
pub mod plan;
pub mod profile;
pub(crate) mod progress;
pub mod redact;
pub mod render;
pub mod report;
pub(crate) mod reporters;
pub mod run;
pub(crate) mod shard;
pub mod target;
pub(crate) mod term;
