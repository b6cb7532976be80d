//! `cloison profile check FILE`: load and validate a profile without touching a target. Every mistake is
//! printed at once with its file, line and column (exit 2); a profile that loads gets a summary of what a
//! run would probe: its resources and their operations, its functions, the roles and what each may see,
//! and the families that apply and those that would be skipped, with the reason (exit 0).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::{AccountSource, Profile};
use crate::exit::CliError;
use crate::plan::PlanError;

/// Arguments of `cloison profile check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The profile (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Secrets file for `{{secrets.NAME}}`; default: the profile's `secrets_file`, when it exists. Only
    /// existing accounts need them to plan; their values are never printed.
    #[arg(long)]
    pub secrets: Option<PathBuf>,
}

/// Entry point of `cloison profile check`.
pub fn run(args: &CheckArgs) -> Result<(), CliError> {
    let text = check(args)?;
    print!("{text}");
    Ok(())
}

/// The check: the summary of a profile that loads, or every mistake as a usage error (exit 2).
pub fn check(args: &CheckArgs) -> Result<String, CliError> {
    let profile = Profile::load(&args.file).map_err(|e| CliError::usage(e.to_string()))?;
    let mut out = format!("{}: the profile loads.\n\n", args.file.display());
    out.push_str(&summary(&profile));
    let secrets_path = args
        .secrets
        .clone()
        .or_else(|| profile.secrets_file.clone().filter(|p| p.exists()));
    let secrets = match &secrets_path {
        Some(path) => Value::Object(crate::run::load_secrets_file(path)?),
        None => Value::Object(Default::default()),
    };
    let config = cloison_generators::GenConfig {
        cases: 16,
        tenants: cloison_generators::TenantSelection::Count(2),
        ..Default::default()
    };
    let world = crate::run::dry::world_for(&profile, &config).map_err(CliError::usage)?;
    out.push('\n');
    match crate::run::dry::plan_offline(&profile, &secrets, world, 1, None) {
        Ok(offline) => {
            out.push_str(&crate::run::dry::families(&offline.planned));
            let _ = writeln!(
                out,
                "\nA run plans {} probes on a world of 16 case files in 2 tenants (`cloison run --dry-run` lists them by endpoint).",
                offline.planned.controls.len()
                    + offline.planned.probes.len()
                    + offline.planned.mutating.len()
                    + offline.planned.last.len()
                    + offline.planned.accounts.len()
            );
        }
        Err(PlanError::Secret(message)) => {
            let _ = writeln!(
                out,
                "families: not planned until the secrets are given ({message}): fill the secrets file, or pass --secrets FILE."
            );
        }
        Err(err) => return Err(CliError::usage(format!("{}: {err}", args.file.display()))),
    }
    Ok(out)
}

/// What the profile describes: accounts, authentication, roles and policy, resources, functions.
fn summary(profile: &Profile) -> String {
    let mut out = String::new();
    let accounts = match profile.accounts.source {
        AccountSource::Provision => "provisioned by cloison with the operator credential",
        AccountSource::Register => "signed up by cloison (open registration)",
        AccountSource::Existing => "existing accounts listed in the profile",
        AccountSource::None => "none: identities act with their tenant's credential",
    };
    let _ = writeln!(out, "platform: {}", profile.name);
    let _ = writeln!(out, "accounts: {accounts}");
    let _ = writeln!(out, "authentication: {:?}", profile.auth.scheme);
    out.push_str("roles and what each may see:\n");
    for (role, scopes) in profile.policy.roles() {
        let names: Vec<&str> = scopes.iter().map(|s| s.name()).collect();
        let _ = writeln!(out, "  {role:<16} {}", names.join(", "));
    }
    let keys = profile.endpoint_keys();
    let resources: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with("resources."))
        .collect();
    let _ = writeln!(out, "resource operations ({}):", resources.len());
    for key in resources {
        if let Some(e) = profile.endpoint_by_key(key) {
            let _ = writeln!(out, "  {key:<40} {} {}", e.method, e.path.text());
        }
    }
    let functions: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with("functions."))
        .collect();
    let _ = writeln!(out, "functions: {}", functions.len());
    for key in functions {
        if let Some(e) = profile.endpoint_by_key(key) {
            let _ = writeln!(out, "  {key:<40} {} {}", e.method, e.path.text());
        }
    }
    if let Some(openapi) = &profile.openapi {
        let _ = writeln!(
            out,
            "openapi: {openapi:?} (the operations it lists and the profile does not describe are probed generically)"
        );
    }
    out
}
