//! `cloison`: the command-line entry point. Parsing and dispatch only; the work lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    match cloison_harness::cli::parse() {
        Ok(cli) => cloison_harness::cli::run(cli),
        Err(code) => code,
    }
}
