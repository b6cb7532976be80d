//! The cloison harness: the only layer that touches the outside world (files, terminal, HTTP, Docker).
//!
//! - [`cli`]: argument definitions and dispatch for the `cloison` binary, and its exit codes;
//! - [`generate`]: `cloison generate`, writing a synthetic world to disk;
//! - [`profile`]: target profiles (TOML): parsing, validation with precise errors, compiled templates.

pub mod cli;
pub mod generate;
pub mod profile;
