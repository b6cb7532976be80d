//! Deployment of the target: the reference portal in-process, the containers a profile's `[deploy]`
//! describes, or an existing URL.
//!
//! Containers (`container`) are the `containers` cargo feature (on by default); without it, `deploy` and
//! `image:` targets are a usage error and about fifty crates (bollard, its protocol buffers and TLS stack)
//! are not compiled.
//!
//! Every container and network cloison starts carries labels naming the run and the process that started
//! it ([`Owner`]); a later container run removes those of processes that are gone (a run killed with
//! SIGKILL, a crashed CI job): see [`remove_orphans`].
//!
//! The harness knows no platform's contract: what a container needs (port, environment, health check,
//! services) is the profile's `[deploy]`, and `--flaw` reaches a container only through a profile that reads
//! `{{options.flaws}}`. Only the embedded target passes flaws to the in-process reference portal.

#[cfg(feature = "containers")]
mod container;
mod owner;

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value};

#[cfg(feature = "containers")]
pub use container::remove_orphans;
pub use owner::{LABEL_HOST, LABEL_PID, LABEL_PID_START, LABEL_RUN, Owner};

use crate::profile::{Deploy, Profile};

/// Where the target comes from (`--target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// The reference portal, in-process.
    Embedded,
    /// The reference portal, in-process, with its realism knobs on (`--target embedded:realistic`): few
    /// workers, slow password checks, short sessions, overlapping writes that fail (see [`embedded_realism`]).
    EmbeddedRealistic,
    /// The containers of the profile's `[deploy]` (`--target deploy`).
    Deploy,
    /// The profile's `[deploy]` with this application image (`--target image:NAME[:TAG]`).
    Image {
        /// Image name.
        name: String,
        /// Image tag.
        tag: String,
    },
    /// An existing deployment.
    Url(reqwest::Url),
}

impl FromStr for TargetSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "embedded" {
            return Ok(TargetSpec::Embedded);
        }
        if text == "embedded:realistic" {
            return Ok(TargetSpec::EmbeddedRealistic);
        }
        if text == "deploy" {
            return Ok(TargetSpec::Deploy);
        }
        if let Some(image) = text.strip_prefix("image:") {
            let (name, tag) = match image.rsplit_once(':') {
                Some((name, tag)) if !tag.contains('/') => (name, tag),
                _ => (image, "latest"),
            };
            if name.is_empty() || tag.is_empty() {
                return Err(format!("`{text}`: expected image:NAME[:TAG]"));
            }
            return Ok(TargetSpec::Image {
                name: name.into(),
                tag: tag.into(),
            });
        }
        if let Some(url) = text.strip_prefix("url:") {
            let url = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(format!(
                    "`{url}`: expected an http:// or https:// URL with a host"
                ));
            }
            return Ok(TargetSpec::Url(url));
        }
        Err(format!(
            "`{text}`: expected `embedded`, `embedded:realistic`, `deploy` (the profile's [deploy]), `image:NAME[:TAG]` or `url:URL`"
        ))
    }
}

impl std::fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Embedded => f.write_str("embedded"),
            TargetSpec::EmbeddedRealistic => f.write_str("embedded:realistic"),
            TargetSpec::Deploy => f.write_str("deploy"),
            TargetSpec::Image { name, tag } => write!(f, "image:{name}:{tag}"),
            TargetSpec::Url(url) => write!(f, "url:{url}"),
        }
    }
}

/// Whether a URL's host is on this machine (the loopback range, `localhost`).
pub fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    // A name is loopback only if it resolves, and every address it resolves to is: a name is never trusted
    // by its spelling (`x.localhost` can resolve anywhere).
    use std::net::ToSocketAddrs as _;
    let port = url.port_or_known_default().unwrap_or(80);
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// Why a target could not be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The request itself is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The environment failed (exit 3).
    #[error("{0}")]
    Failed(String),
    /// A signal (Ctrl-C, SIGTERM) arrived while deploying; what was started is removed (exit 130).
    #[error("interrupted while deploying the target")]
    Interrupted,
}

/// What a deployment needs besides the target: the profile (its `[deploy]`), the secrets the user gave,
/// `--flaw`, `--allow-remote`, and the flag a signal sets.
#[derive(Debug, Clone, Copy)]
pub struct DeployRequest<'a> {
    /// The run's profile.
    pub profile: &'a Profile,
    /// Secrets from the secrets file: a secret `[deploy]` names and these lack is generated for the run.
    pub secrets: &'a Map<String, Value>,
    /// `--flaw` values.
    pub flaws: &'a [String],
    /// Permit a URL that is not on this machine.
    pub allow_remote: bool,
    /// Set by a signal: deployment stops and removes what it started.
    pub interrupt: &'a Arc<AtomicBool>,
}

/// A deployed target; dropping it stops what the run started.
pub struct Deployed {
    /// Base URL, without a trailing slash.
    pub base_url: String,
    /// Secrets the deployment provides (generated for the run: the embedded portal's `operator_token`,
    /// those `[deploy]` names that the secrets file does not give).
    pub secrets: Map<String, Value>,
    /// Human description.
    pub description: String,
    guard: Guard,
}

enum Guard {
    Embedded(Option<cloison_fixtures::PortalHandle>),
    #[cfg(feature = "containers")]
    Containers(container::Started),
    None,
}

impl std::fmt::Debug for Deployed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployed")
            .field("base_url", &self.base_url)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// The application container of a `[deploy]` run, whose logs the audit trail may be read from.
#[derive(Clone)]
pub struct ContainerLogs {
    #[cfg(feature = "containers")]
    docker: testcontainers::bollard::Docker,
    #[cfg(feature = "containers")]
    id: String,
}

impl std::fmt::Debug for ContainerLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerLogs").finish_non_exhaustive()
    }
}

impl ContainerLogs {
    /// What the application container wrote to its standard output so far, up to `limit` bytes.
    pub async fn read(&self, limit: usize) -> Result<String, String> {
        #[cfg(feature = "containers")]
        {
            container::all_logs(&self.docker, &self.id, limit).await
        }
        #[cfg(not(feature = "containers"))]
        {
            let _ = limit;
            Err("this build has no container support".into())
        }
    }
}

impl Deployed {
    /// The application container, when the run deployed `[deploy]`'s containers (its logs may hold the
    /// audit trail).
    pub fn app_logs(&self) -> Option<ContainerLogs> {
        match &self.guard {
            #[cfg(feature = "containers")]
            Guard::Containers(started) => started.app_logs(),
            _ => None,
        }
    }

    /// Whether this is the embedded portal (which `--keep-target` may keep up after the run).
    pub fn is_embedded(&self) -> bool {
        matches!(self.guard, Guard::Embedded(Some(_)))
    }

    /// Stop what the run started (the embedded portal; the containers, then their network).
    pub async fn teardown(mut self) {
        match std::mem::replace(&mut self.guard, Guard::None) {
            Guard::Embedded(Some(handle)) => handle.shutdown().await,
            #[cfg(feature = "containers")]
            Guard::Containers(started) => started.remove().await,
            Guard::Embedded(None) | Guard::None => {}
        }
    }
}

#[cfg(feature = "containers")]
impl Drop for Deployed {
    fn drop(&mut self) {
        if let Guard::Containers(started) = std::mem::replace(&mut self.guard, Guard::None) {
            // Teardown was not awaited (an early error): remove the containers and the network in the
            // background if a runtime is still there; the next run removes what this misses.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(started.remove());
            }
        }
    }
}

/// A secret generated for a run: 128 random bits, hexadecimal, behind a recognisable prefix
/// (`cloison-`, then `kind-` if given).
fn generated_secret(kind: Option<&str>) -> Result<String, DeployError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        DeployError::Failed(format!(
            "the operating system's random generator failed: {e}"
        ))
    })?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(match kind {
        Some(kind) => format!("cloison-{kind}-{hex}"),
        None => format!("cloison-{hex}"),
    })
}

/// The values `[deploy]` templates are rendered over, and the secrets generated for them: every
/// `{{secrets.NAME}}` the secrets file does not give gets a fresh value, which the rest of the profile (an
/// operator header, say) then reads too.
pub fn deploy_context(
    deploy: &Deploy,
    secrets: &Map<String, Value>,
    flaws: &[String],
) -> Result<(Value, Map<String, Value>), DeployError> {
    let mut generated = Map::new();
    for name in deploy.secrets() {
        if !secrets.contains_key(&name) {
            generated.insert(name, generated_secret(None)?.into());
        }
    }
    let mut all = secrets.clone();
    all.extend(generated.clone());
    let ctx = serde_json::json!({
        "secrets": all,
        "options": { "flaws": flaws.join(",") },
    });
    Ok((ctx, generated))
}

/// The embedded portal's configuration: hardened unless `flaws`, cheap password hashes, realistic or not.
fn embedded_config(
    flaws: &[String],
    operator_token: String,
    realistic: bool,
) -> Result<cloison_fixtures::PortalConfig, DeployError> {
    let flaws: cloison_fixtures::FlawSet = flaws
        .join(",")
        .parse()
        .map_err(|e: cloison_fixtures::UnknownFlaw| DeployError::Usage(e.to_string()))?;
    let config = cloison_fixtures::PortalConfig {
        operator_token,
        flaws,
        argon2: cloison_fixtures::Argon2Params::CHEAP,
        ..Default::default()
    };
    Ok(if realistic {
        config.realistic()
    } else {
        config
    })
}

/// What `--target embedded:realistic` switches on in the reference portal, in words (the portal's own
/// preset: `cloison-portal --realistic`).
pub fn embedded_realism() -> String {
    cloison_fixtures::PortalConfig::default()
        .realistic()
        .realism_summary()
}

/// Start the reference portal in-process.
pub(crate) async fn deploy_embedded(
    flaws: &[String],
    realistic: bool,
) -> Result<Deployed, DeployError> {
    let token = generated_secret(Some("operator"))?;
    let config = embedded_config(flaws, token.clone(), realistic)?;
    let handle = cloison_fixtures::spawn(config)
        .await
        .map_err(|e| DeployError::Failed(format!("the embedded portal did not start: {e}")))?;
    let mut secrets = Map::new();
    secrets.insert("operator_token".into(), token.into());
    let mut description = if flaws.is_empty() {
        "embedded reference portal (hardened)".to_string()
    } else {
        format!("embedded reference portal with flaws {}", flaws.join(", "))
    };
    if realistic {
        description.push_str(&format!(", realistic: {}", embedded_realism()));
    }
    Ok(Deployed {
        base_url: handle.base_url(),
        secrets,
        description,
        guard: Guard::Embedded(Some(handle)),
    })
}

/// Deploy `spec` as `request` says.
pub async fn deploy(
    spec: &TargetSpec,
    request: &DeployRequest<'_>,
) -> Result<Deployed, DeployError> {
    let flaws = request.flaws;
    match spec {
        TargetSpec::Embedded => deploy_embedded(flaws, false).await,
        TargetSpec::EmbeddedRealistic => deploy_embedded(flaws, true).await,
        TargetSpec::Url(url) => {
            if !flaws.is_empty() {
                return Err(DeployError::Usage(
                    "--flaw applies to the embedded portal and to a profile's [deploy] that reads {{options.flaws}}, \
                     not to url: targets (cloison does not change a deployment it did not start)"
                        .into(),
                ));
            }
            if !is_loopback(url) && !request.allow_remote {
                return Err(DeployError::Usage(format!(
                    "{url} is not on this machine: pass --allow-remote to run against it (cloison will write synthetic \
                     tenants, accounts and case files there)"
                )));
            }
            let base_url = url.as_str().trim_end_matches('/').to_string();
            let description = if is_loopback(url) {
                format!("existing deployment at {base_url}")
            } else {
                format!("REMOTE deployment at {base_url}: cloison writes synthetic data there")
            };
            Ok(Deployed {
                base_url,
                secrets: Map::new(),
                description,
                guard: Guard::None,
            })
        }
        TargetSpec::Deploy | TargetSpec::Image { .. } => {
            let deploy = profile_deploy(spec, request)?;
            deploy_containers(&deploy, request).await
        }
    }
}

/// The `[deploy]` a `deploy` or `image:` target starts, checked against `--flaw`.
fn profile_deploy(spec: &TargetSpec, request: &DeployRequest<'_>) -> Result<Deploy, DeployError> {
    let profile = request.profile;
    let Some(deploy) = &profile.deploy else {
        return Err(DeployError::Usage(format!(
            "--target {spec}: the profile {} has no [deploy] table saying how to run the platform's containers \
             (image, port, environment, health; see docs/profile-format.md)",
            profile.file.display()
        )));
    };
    if !request.flaws.is_empty() && !deploy.uses_option("flaws") {
        return Err(DeployError::Usage(format!(
            "--flaw {} would be ignored: the [deploy] of {} does not read {{{{options.flaws}}}}",
            request.flaws.join(", "),
            profile.file.display()
        )));
    }
    Ok(match spec {
        TargetSpec::Image { name, tag } => deploy.with_image(format!("{name}:{tag}")),
        _ => deploy.clone(),
    })
}

#[cfg(feature = "containers")]
async fn deploy_containers(
    deploy: &Deploy,
    request: &DeployRequest<'_>,
) -> Result<Deployed, DeployError> {
    let (ctx, generated) = deploy_context(deploy, request.secrets, request.flaws)?;
    let (started, base_url) =
        container::start(request.profile, deploy, &ctx, request.interrupt).await?;
    let services: Vec<&str> = deploy
        .services
        .iter()
        .filter_map(|s| s.name.as_deref())
        .collect();
    let mut description = format!("container {}", deploy.app.image);
    if !services.is_empty() {
        description.push_str(&format!(" with service(s) {}", services.join(", ")));
    }
    if !request.flaws.is_empty() {
        description.push_str(&format!(" (--flaw {})", request.flaws.join(", ")));
    }
    Ok(Deployed {
        base_url,
        secrets: generated,
        description,
        guard: Guard::Containers(started),
    })
}

#[cfg(not(feature = "containers"))]
async fn deploy_containers(
    _deploy: &Deploy,
    _request: &DeployRequest<'_>,
) -> Result<Deployed, DeployError> {
    Err(DeployError::Usage(
        "this cloison was built without container support (cargo's --no-default-features): deploy and image: \
         targets need the `containers` feature (the default)"
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_specs() {
        assert_eq!("embedded".parse(), Ok(TargetSpec::Embedded));
        assert_eq!("deploy".parse(), Ok(TargetSpec::Deploy));
        assert_eq!(
            "embedded:realistic".parse(),
            Ok(TargetSpec::EmbeddedRealistic)
        );
        assert_eq!(
            TargetSpec::EmbeddedRealistic.to_string(),
            "embedded:realistic",
            "the replay command names it"
        );
        assert!("embedded:fast".parse::<TargetSpec>().is_err());
        assert_eq!(
            "image:cloison-portal:dev".parse(),
            Ok(TargetSpec::Image {
                name: "cloison-portal".into(),
                tag: "dev".into()
            })
        );
        assert_eq!(
            "image:localhost:5000/p".parse(),
            Ok(TargetSpec::Image {
                name: "localhost:5000/p".into(),
                tag: "latest".into()
            })
        );
        assert!("url:ftp://x".parse::<TargetSpec>().is_err());
        assert!("docker".parse::<TargetSpec>().is_err());
        let local: reqwest::Url = "http://127.0.0.2:8080".parse().expect("url");
        assert!(is_loopback(&local));
        let remote: reqwest::Url = "https://portal.example.org".parse().expect("url");
        assert!(!is_loopback(&remote));
        let v6: reqwest::Url = "http://[::1]:8080".parse().expect("url");
        assert!(is_loopback(&v6));
        // Names are resolved, never trusted by their spelling: one that does not resolve is not loopback.
        let unresolvable: reqwest::Url = "http://nothing.invalid:8080".parse().expect("url");
        assert!(!is_loopback(&unresolvable));
        let localhost: reqwest::Url = "http://localhost:8080".parse().expect("url");
        assert!(
            is_loopback(&localhost),
            "localhost resolves to loopback here"
        );
    }
}
