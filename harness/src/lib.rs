//! The cloison harness: the only layer that touches the outside world (files, terminal, HTTP, Docker).
//!
//! - [`cli`]: argument definitions and dispatch for the `cloison` binary, and its exit codes;
//! - [`generate`]: `cloison generate`, writing a synthetic world to disk;
//! - [`profile`]: target profiles (TOML): parsing, validation with precise errors, compiled templates;
//! - [`run`]: `cloison run`, over [`target`] (deployment), [`plan`] (the world's accounts and records),
//!   [`engine`] (provision, seed, controls, probes), [`http`] (clients, retries, curl reproducers),
//!   [`oracle`] (canary scanning and verdicts) and [`report`] (findings, JSON, summary);
//! - [`reporters`]: the report in other formats (JUnit XML, SARIF 2.1.0, a self-contained HTML evidence
//!   file), each a pure function of the report; [`term`]: colour on a terminal only;
//! - [`bench`]: `cloison bench`, every flaw of the reference portal alone and the hardened portal over
//!   several seeds, in one table.

pub mod bench;
pub mod cli;
pub mod decode;
pub mod engine;
pub mod generate;
pub mod http;
pub mod input;
pub mod merge;
pub mod oracle;
pub mod plan;
pub mod profile;
pub mod report;
pub mod reporters;
pub mod run;
pub mod shard;
pub mod target;
pub mod term;
