//! How `cloison` ends: its exit codes, and the one error every subcommand ends with ([`CliError`], whose
//! [`CliError::process_exit_code`] is the process's exit code). A leaf: the subcommands and `cli` use it,
//! it uses none of them.

use cloison_suites::outcome::Outcome;

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

/// The exit code of a run's outcome.
pub fn code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Clean => EXIT_OK,
        Outcome::Findings => EXIT_FINDINGS,
        Outcome::TargetFailure => EXIT_TARGET,
        Outcome::Inconclusive => EXIT_INCONCLUSIVE,
        Outcome::Interrupted => EXIT_INTERRUPTED,
    }
}

/// An error caused by what the user asked for (flags, files), as opposed to a failure of the environment.
/// Kept for the commands that still end with an [`anyhow::Error`] (see [`CliError::from_anyhow`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Why a command did not end with exit code 0.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or configuration: flags, profile, input files (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The target or the environment failed (exit 3).
    #[error(transparent)]
    Failed(anyhow::Error),
    /// The command ran and reported an outcome that is not clean (its exit code; nothing more to print).
    #[error("the outcome is {0:?}")]
    Outcome(Outcome),
    /// The preflight found records on the target before seeding: what, by whom, through which endpoint,
    /// and the `[[reset]]` advice (exit 2; `--allow-dirty` runs anyway).
    #[error("{0}")]
    DirtyTarget(String),
    /// `cloison bench`: a flaw was missed or a hardened run was not clean (exit 1; the table says which).
    #[error("the bench failed")]
    BenchFailed,
}

impl CliError {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// The same error, its message prefixed with what was being done (`flaw X: ...`).
    pub fn context(self, what: impl std::fmt::Display) -> Self {
        match self {
            CliError::Usage(message) => CliError::Usage(format!("{what}: {message}")),
            CliError::Failed(err) => CliError::Failed(err.context(what.to_string())),
            other => other,
        }
    }

    /// The end of a command whose outcome is `outcome`: nothing when it is clean.
    pub fn check(outcome: Outcome) -> Result<(), CliError> {
        match outcome {
            Outcome::Clean => Ok(()),
            other => Err(CliError::Outcome(other)),
        }
    }

    /// An error of a command that still ends with [`anyhow::Error`] (`cloison init`): a usage error when
    /// its chain holds a [`UsageError`], else a failure.
    pub fn from_anyhow(err: anyhow::Error) -> Self {
        if err.chain().any(|c| c.is::<UsageError>()) {
            CliError::Usage(format!("{err:#}"))
        } else {
            CliError::Failed(err)
        }
    }

    /// The same error with every credential of `secrets` (and every header-shaped one) hidden in its
    /// message.
    pub fn redacted(self, secrets: &crate::redact::Secrets) -> Self {
        match self {
            CliError::Usage(message) => CliError::Usage(secrets.redact(&message)),
            CliError::Failed(err) => {
                let message = format!("{err:#}");
                let redacted = secrets.redact(&message);
                if redacted == message {
                    CliError::Failed(err)
                } else {
                    CliError::Failed(anyhow::anyhow!(redacted))
                }
            }
            other => other,
        }
    }

    /// The process's exit code.
    pub fn process_exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::DirtyTarget(_) => EXIT_USAGE,
            CliError::Failed(_) => EXIT_TARGET,
            CliError::Outcome(outcome) => code(*outcome),
            CliError::BenchFailed => EXIT_FINDINGS,
        }
    }

    /// Whether the error has a message to print (an outcome was already reported).
    pub fn message(&self) -> Option<String> {
        match self {
            CliError::Usage(_) | CliError::Failed(_) | CliError::DirtyTarget(_) => {
                Some(format!("{self:#}"))
            }
            CliError::Outcome(_) | CliError::BenchFailed => None,
        }
    }
}

impl From<UsageError> for CliError {
    fn from(err: UsageError) -> Self {
        CliError::Usage(err.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ending_has_its_exit_code() {
        let rows: [(CliError, u8); 9] = [
            (CliError::usage("--flaw"), 2),
            (CliError::DirtyTarget("records left".into()), 2),
            (CliError::Failed(anyhow::anyhow!("no TLS")), 3),
            (CliError::Outcome(Outcome::Findings), 1),
            (CliError::Outcome(Outcome::TargetFailure), 3),
            (CliError::Outcome(Outcome::Inconclusive), 4),
            (CliError::Outcome(Outcome::Interrupted), 130),
            (CliError::BenchFailed, 1),
            (
                CliError::from_anyhow(anyhow::Error::new(UsageError("exists".into()))),
                2,
            ),
        ];
        for (err, code) in rows {
            assert_eq!(err.process_exit_code(), code, "{err:?}");
        }
        assert!(CliError::check(Outcome::Clean).is_ok());
        assert_eq!(code(Outcome::Clean), EXIT_OK);
    }

    #[test]
    fn context_keeps_the_kind_and_prefixes_the_message() {
        let usage = CliError::usage("unknown flaw").context("flaw x");
        assert_eq!(usage.message().as_deref(), Some("flaw x: unknown flaw"));
        assert_eq!(usage.process_exit_code(), EXIT_USAGE);
        let failed = CliError::Failed(anyhow::anyhow!("down")).context("flaw x");
        assert_eq!(failed.message().as_deref(), Some("flaw x: down"));
        assert_eq!(CliError::Outcome(Outcome::Findings).message(), None);
    }
}
