//! Command-line interface of `cloison`: subcommands, and the mapping from outcomes to exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code: the run completed and found nothing.
pub const EXIT_OK: u8 = 0;
/// Exit code: the run completed and found at least one finding.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad usage or configuration (flags, profile, input files).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the target failed (could not deploy, crashed, stopped answering), or an I/O failure.
pub const EXIT_TARGET: u8 = 3;
/// Exit code: nothing was found, but the run does not cover enough to say clean (a family that applies ran
/// no probe, sessions were not accepted, too many server errors).
pub const EXIT_INCONCLUSIVE: u8 = 4;
/// Exit code: interrupted by SIGINT or SIGTERM (128 + 2, as shells report Ctrl-C); the report is partial.
pub const EXIT_INTERRUPTED: u8 = 130;

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
    /// hardened over several seeds, and print what was caught, by which families and how fast.
    Bench(crate::bench::BenchArgs),
    /// Write a starting target profile from the platform's OpenAPI document (then complete its TODOs).
    Init(crate::openapi::init::InitArgs),
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

/// Run a parsed command line and return the process exit code. Errors are printed with their context.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Generate(args) => crate::generate::run(&args).map(|()| EXIT_OK),
        Command::Run(args) => crate::run::run(&args),
        Command::Bench(args) => crate::bench::run(&args),
        Command::Init(args) => crate::openapi::init::run(&args),
        Command::Report(ReportCommand::Merge(args)) => crate::merge::run(&args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // Bounded: an error may echo a value given by the user or by a target (a 1 MB string).
            eprintln!("error: {}", crate::input::bounded(&format!("{err:#}")));
            ExitCode::from(exit_code_for(&err))
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

/// Usage and configuration errors exit with [`EXIT_USAGE`]; anything else with [`EXIT_TARGET`].
fn exit_code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        EXIT_USAGE
    } else {
        EXIT_TARGET
    }
}

/// An error caused by what the user asked for (flags, files), as opposed to a failure of the environment.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
