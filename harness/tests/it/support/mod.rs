//! What the mock platforms and fault proxies share, one small module per concern: serve a router on a free
//! port ([`serve`]), answer as a platform does and read what a request carries ([`answer`]), write a profile
//! and its secrets ([`files`]), run cloison against a URL through the library ([`library`]) or the binary
//! ([`binary`]) and check what it reported, and stand a fault proxy in front of the reference portal
//! ([`proxy`]).

pub(crate) mod answer;
pub(crate) mod binary;
pub(crate) mod directory;
pub(crate) mod files;
pub(crate) mod library;
pub(crate) mod proxy;
pub(crate) mod serve;

pub(crate) use binary::{BinaryRun, RunSpec, run_binary};
pub(crate) use serve::serve;
