//! `cloison`: the command-line entry point. Parsing and dispatch only; the work lives in the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cloison_harness::cli::Cli::parse();
    cloison_harness::cli::run(cli)
}
