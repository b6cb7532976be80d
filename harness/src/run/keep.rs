//! What outlives a run: the target kept up for replaying (`--keep-target`), and the signals that stop one.

use serde_json::Value;

use crate::http::HttpSettings;
use crate::plan::Plan;
use crate::profile::Profile;
use crate::report::Report;
use crate::target;

/// The embedded portal or the containers of a deployment kept up after a run (`--keep-target`).
#[derive(Debug)]
pub struct KeptTarget {
    /// The portal.
    pub deployed: target::Deployed,
    /// Its URL and the credentials of the reproducers' identities, to print.
    pub notes: String,
}

impl KeptTarget {
    /// Print the notes to `out` and keep the target up until SIGINT or SIGTERM; then stop it (the
    /// containers and their network removed).
    pub async fn serve_until_signal(self, to_stderr: bool) {
        if to_stderr {
            eprint!("{}", self.notes);
        } else {
            print!("{}", self.notes);
        }
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
        if self.deployed.is_embedded() {
            eprintln!("stopping the embedded portal");
        } else {
            eprintln!("removing the deployment's containers and network");
        }
        self.deployed.teardown().await;
    }
}

/// What `--keep-target` prints: the portal's URL, the operator token, and, for each identity of the
/// reproducers (or a few identities when there is none), its login, password and a login command.
pub(super) fn kept_notes(
    deployed: &target::Deployed,
    settings: &HttpSettings,
    profile: &Profile,
    plan: &Plan,
    report: &Report,
    secrets: &Value,
) -> String {
    let what = if deployed.is_embedded() {
        "the embedded portal".to_string()
    } else {
        format!("the deployment ({})", deployed.description)
    };
    let mut out = format!(
        "\n--keep-target: {what} stays up at {}\n",
        deployed.base_url
    );
    for (name, value) in &deployed.secrets {
        if let Some(value) = value.as_str() {
            out.push_str(&format!("  {name}: {value}\n"));
        }
    }
    let mut keys: Vec<&str> = Vec::new();
    for cause in &report.root_causes {
        let finding = &cause.reproducer;
        for key in std::iter::once(&finding.actor).chain(&finding.victim) {
            if !keys.contains(&key.identity.as_str()) {
                keys.push(&key.identity);
            }
        }
    }
    if keys.is_empty() {
        out.push_str("  no reproducer to replay; a few identities to explore with:\n");
        keys.extend(plan.accounts.iter().take(3).map(|a| a.key.as_str()));
    } else {
        out.push_str(
            "  the identities of the reproducers: log in, then put what the login gives where a reproducer \
             says <redacted: credential of LOGIN> (see the profile's [auth]):\n",
        );
    }
    for key in keys {
        let Some(account) = plan.account(key) else {
            continue;
        };
        out.push_str(&format!(
            "  {} ({}, tenant {}): login {} password {}\n",
            account.key, account.role, account.tenant, account.login, account.password
        ));
        if let Some(login) = &profile.auth.login {
            let tenant = plan
                .world
                .tenant(account.tenant_id)
                .map_or(Value::Null, |t| {
                    serde_json::to_value(t).unwrap_or(Value::Null)
                });
            let identity = plan.identity_context(profile, account, None);
            let mut caller = identity.clone();
            caller["tenant"] = tenant.clone();
            let ctx = serde_json::json!({
                "tenant": tenant,
                "identity": identity,
                "caller": caller,
                "secrets": secrets,
            });
            if let Ok(curl) = crate::render::curl_in_clear(settings, login, &ctx) {
                out.push_str(&format!("    {curl}\n"));
            }
        }
    }
    out.push_str(if deployed.is_embedded() {
        "Ctrl-C (or SIGTERM) stops the portal.\n"
    } else {
        "Ctrl-C (or SIGTERM) stops the deployment and removes its containers and network.\n"
    });
    out
}

/// Set `flag` on SIGINT (Ctrl-C) or SIGTERM: the engine stops sending probes, the target is torn down, and the
/// partial report is written.
pub(super) async fn watch_signals(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
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
    eprintln!(
        "interrupted: stopping the probes, tearing the target down, writing a partial report"
    );
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
}
