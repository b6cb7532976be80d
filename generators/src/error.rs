//! Errors of the generator: invalid configurations, and I/O failures of the streaming writer.

/// What can go wrong when generating a world.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The configuration is invalid (a weight out of range, an unknown departement, too many cases...).
    #[error("invalid generator configuration: {0}")]
    Config(String),
    /// Writing the streamed output failed.
    #[error("could not write {what}: {source}")]
    Io {
        /// What was being written (a file name).
        what: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}
