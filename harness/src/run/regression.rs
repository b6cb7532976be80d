//! Regression mode of a run (`--baseline`, `--accept`): the files read before anything is deployed (a
//! mistake in them is a usage error, exit 2), and the day acceptances are checked against (`--today`, else
//! the clock, read here only).

use cloison_generators::date::Date;
use cloison_suites::baseline::Acceptance;

use super::RunArgs;
use crate::exit::CliError;
use crate::report::regress::{Prior, read_prior};

/// What a run is compared with.
#[derive(Debug, Clone)]
pub(super) struct Regression {
    /// The baseline report, if any.
    pub prior: Option<Prior>,
    /// The accepted risks.
    pub acceptances: Vec<Acceptance>,
    /// The day acceptances are checked against.
    pub today: Date,
}

/// Read `--baseline` and `--accept`.
pub(super) fn load(args: &RunArgs) -> Result<Regression, CliError> {
    let prior = match &args.baseline {
        Some(path) => {
            let text = crate::input::read_text_up_to(path, "baseline report", 1 << 30)
                .map_err(|e| CliError::usage(e.to_string()))?;
            Some(
                read_prior(&path.display().to_string(), &text)
                    .map_err(|e| CliError::usage(e.to_string()))?,
            )
        }
        None => None,
    };
    let acceptances = match &args.accept {
        Some(path) => crate::accept::load(path)?,
        None => Vec::new(),
    };
    Ok(Regression {
        prior,
        acceptances,
        today: args.today.unwrap_or_else(today_utc),
    })
}

/// Today in UTC, from the system clock.
fn today_utc() -> Date {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date(i32::try_from(seconds / 86_400).unwrap_or(i32::MAX))
}
