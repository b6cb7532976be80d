//! `cloison generate`: write a synthetic world to a directory.

use clap::Args;

/// Arguments of `cloison generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Seed of the world: the same seed and version give byte-identical output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Generate the world described by `args`.
pub fn run(_args: &GenerateArgs) -> anyhow::Result<()> {
    Err(crate::cli::UsageError("cloison generate is not implemented yet".into()).into())
}
