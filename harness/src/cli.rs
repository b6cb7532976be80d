//! Command-line interface of `cloison`: subcommands and dispatch; each ends with a [`CliError`] whose
//! exit code the process exits with.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The exit codes and the usage error live in the leaf `exit` (the subcommands use it, not this module);
// re-exported here, where the binary's users have always found them.
pub use crate::exit::{
    CliError, EXIT_FINDINGS, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED, EXIT_OK, EXIT_TARGET, EXIT_USAGE,
    UsageError,
};

/// cloison: security regression tests for multi-tenant social-care platforms, on synthetic data.
#[derive(Debug, Parser)]
#[command(name = "cloison", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process: the size of a variant does not matter
pub enum Command {
    /// Generate a synthetic world of disability case files (one file per entity, and a manifest).
    Generate(crate::generate::GenerateArgs),
    /// Deploy a target (the embedded reference portal by default), seed it with a synthetic world, have
    /// every identity try to read every other identity's case files and documents, and report every leak.
    Run(crate::run::RunArgs),
    /// Run the suites against the embedded reference portal with each of its flaws switched on alone, then
    /// hardened over several seeds, and print what was caught, by which families and how fast; with
    /// --corpus, score cloison on the isolation corpus; `score` and `serve` for other tools.
    Bench(crate::bench::BenchCli),
    /// Write a starting target profile from the platform's OpenAPI document (then complete its TODOs).
    Init(crate::openapi::init::InitArgs),
    /// Compare the JSON reports of two runs: the access matrix cells that changed (widened access: a caller
    /// denied before and answered now) and the findings new and absent; exit 1 when a cell widened or a
    /// finding is new.
    Diff(crate::diff::DiffArgs),
    /// Work on profiles: `check` loads and validates one without touching a target, and says what a run
    /// would probe.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Work on reports: `merge` combines the JSON reports of a sharded run (`run --shard K/N`).
    #[command(subcommand)]
    Report(ReportCommand),
}

/// `cloison report ...`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the JSON reports of the shards of one run into one report (and write its other formats).
    Merge(crate::merge::MergeArgs),
}

/// `cloison profile ...`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Load and validate a profile (every mistake with its file, line and column; exit 2), and print what
    /// a run would probe: resources and operations, roles, the families that apply and those skipped, why.
    Check(crate::profile::check::CheckArgs),
}

/// Run a parsed command line and return the process exit code. Errors are printed with their context.
pub fn run(cli: Cli) -> ExitCode {
    let ended = match cli.command {
        Command::Generate(args) => crate::generate::run(&args),
        Command::Run(args) => crate::run::run(&args),
        Command::Bench(cli) => crate::bench::dispatch(&cli),
        Command::Init(args) => crate::openapi::init::run(&args)
            .map(|_| ())
            .map_err(CliError::from_anyhow),
        Command::Report(ReportCommand::Merge(args)) => crate::merge::run(&args),
        Command::Profile(ProfileCommand::Check(args)) => crate::profile::check::run(&args),
        Command::Diff(args) => crate::diff::run(&args),
    };
    match ended {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(err) => {
            if let Some(message) = err.message() {
                // Bounded: an error may echo a value given by the user or by a target (a 1 MB string).
                eprintln!("error: {}", crate::input::bounded(&message));
            }
            ExitCode::from(err.process_exit_code())
        }
    }
}

/// Parse the command line. Errors print bounded (clap echoes the values it refuses, which may be huge) and
/// exit with [`EXIT_USAGE`]; `--help` and `--version` print and exit 0.
pub fn parse() -> Result<Cli, ExitCode> {
    parse_from(std::env::args_os())
}

/// [`parse`] over given arguments.
pub fn parse_from<I, T>(args: I) -> Result<Cli, ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(args).map_err(|err| {
        if err.use_stderr() {
            eprint!("{}", crate::input::bounded(&err.render().to_string()));
            ExitCode::from(EXIT_USAGE)
        } else {
            // Help and version: printed whole, to standard output.
            let _ = err.print();
            ExitCode::from(EXIT_OK)
        }
    })
}
