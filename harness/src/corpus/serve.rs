//! `cloison bench serve CASE`: keep a case's target up for another tool, print its URL, its OpenAPI
//! document (if any), its profile and credentials, and tear it down on Ctrl-C (SIGINT) or SIGTERM.

use std::io::Write as _;

use super::cases::{Case, CaseTarget};
use super::runner::ScratchDir;
use crate::exit::CliError;

/// Wait for SIGINT or SIGTERM.
async fn signalled() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

fn failed(what: String) -> impl FnOnce(std::io::Error) -> CliError {
    move |e| CliError::Failed(anyhow::Error::new(e).context(what))
}

/// Print `lines` on stdout at once (a reader waits for the `url:` line).
fn say(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// Write the target's secrets (`name = "value"`, TOML) to `credentials.toml` in `dir`, readable by its
/// owner only, and return its path.
fn write_credentials(
    dir: &ScratchDir,
    secrets: &serde_json::Map<String, serde_json::Value>,
) -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = dir.0.join("credentials.toml");
    let mut text = String::from("# generated for this target only; gone when it stops\n");
    for (name, value) in secrets {
        if let Some(value) = value.as_str() {
            // A JSON string is a TOML basic string (the same escapes).
            let quoted = serde_json::Value::String(value.to_string());
            text.push_str(&format!("{name} = {quoted}\n"));
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    file.write_all(text.as_bytes())?;
    Ok(path)
}

/// Serve `case` until a signal.
pub async fn serve(case: &Case) -> Result<(), CliError> {
    let dir = ScratchDir::create(&format!("serve-{}", case.name))
        .map_err(failed("a temporary directory".into()))?;
    let mut lines = vec![format!("case {}: {}", case.name, case.summary)];
    match &case.target {
        CaseTarget::Portal {
            flaw, realistic, ..
        } => {
            let flaws: Vec<String> = flaw.iter().map(|f| f.name().to_string()).collect();
            let deployed = crate::target::deploy_embedded(&flaws, *realistic)
                .await
                .map_err(|e| CliError::Failed(anyhow::anyhow!("{e}")))?;
            let profile = dir
                .write_profile("reference-portal", crate::profile::REFERENCE_PORTAL)
                .map_err(failed("writing the profile".into()))?;
            lines.push(format!("url: {}", deployed.base_url));
            lines.push(format!("openapi: {}/openapi.json", deployed.base_url));
            lines.push(format!("profile: {}", profile.display()));
            // Credentials never go to the terminal: they are written to a file only the user can read.
            let credentials = write_credentials(&dir, &deployed.secrets)
                .map_err(failed("writing the credentials".into()))?;
            lines.push(format!("credentials: {}", credentials.display()));
            lines.push(
                "accounts: none yet; the operator token provisions tenants and identities (fixtures/README.md)"
                    .into(),
            );
            lines.push("press Ctrl-C to stop".into());
            say(&lines);
            signalled().await;
            deployed.teardown().await;
        }
        CaseTarget::Platform {
            platform, variant, ..
        } => {
            let router = platform.router(variant).ok_or_else(|| {
                CliError::usage(format!("case {}: no variant {variant:?}", case.name))
            })?;
            let served = cloison_fixtures::corpus::kit::serve(router)
                .await
                .map_err(failed("serving the platform".into()))?;
            let profile = dir
                .write_profile(platform.name, platform.profile)
                .map_err(failed("writing the profile".into()))?;
            lines.push(format!("url: {}", served.url()));
            lines.push("openapi: none (the profile describes its API)".into());
            lines.push(format!("profile: {}", profile.display()));
            lines.push(
                "credentials: none; accounts are created as the profile's [accounts] says".into(),
            );
            lines.push("press Ctrl-C to stop".into());
            say(&lines);
            signalled().await;
            drop(served);
        }
    }
    eprintln!("stopped case {}", case.name);
    Ok(())
}
