//! `cloison diff OLD.json NEW.json`: the access matrices and findings of two runs' JSON reports compared
//! (see `report::diff`); text on standard output, `--json FILE|-` and `--html FILE`. Exit 1 when a cell
//! widened or a finding is new, 0 otherwise, 2 when a report cannot be read (an older schema included).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::exit::CliError;
use crate::report::diff::diff;
use crate::report::regress::{Prior, read_prior};

/// Arguments of `cloison diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The old run's JSON report (the last release's, say).
    pub old: PathBuf,
    /// The new run's JSON report.
    pub new: PathBuf,
    /// Write the diff as JSON to this file (`-`: standard output, the text then going to standard error).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the diff as an HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

fn load(path: &Path) -> Result<Prior, CliError> {
    let text = crate::input::read_text_up_to(path, "JSON report", 1 << 30)
        .map_err(|e| CliError::usage(e.to_string()))?;
    read_prior(&path.display().to_string(), &text).map_err(|e| CliError::usage(e.to_string()))
}

fn write(path: &Path, bytes: &[u8], format: &str) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| {
        CliError::usage(format!(
            "{}: cannot write the {format} diff: {e}",
            path.display()
        ))
    })
}

/// Entry point of `cloison diff`.
pub fn run(args: &DiffArgs) -> Result<(), CliError> {
    let (old, new) = (load(&args.old)?, load(&args.new)?);
    let diff = diff(&old, &new);
    let to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if to_stdout {
        eprint!("{}", diff.text());
    } else {
        print!("{}", diff.text());
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&diff)
            .map_err(|e| CliError::Failed(anyhow::Error::new(e).context("serialising the diff")))?;
        if to_stdout {
            println!("{json}");
        } else {
            write(path, json.as_bytes(), "JSON")?;
        }
    }
    if let Some(path) = &args.html {
        write(path, diff.html_page().as_bytes(), "HTML")?;
    }
    if diff.fails {
        Err(CliError::Outcome(
            cloison_suites::outcome::Outcome::Findings,
        ))
    } else {
        Ok(())
    }
}
