//! Deployment of the target: the reference portal in-process, a container image, or an existing URL.
//!
//! Container images are driven through the Docker engine API of `bollard` (the client testcontainers is
//! built on, re-exported by it) with API version negotiation: testcontainers 0.28 itself speaks API 1.53
//! without negotiating, which engines that answer at most 1.41 refuse.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Map, Value};
use testcontainers::bollard;

/// Where the target comes from (`--target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// The reference portal, in-process.
    Embedded,
    /// A container image (the reference portal's image contract: HTTP on port 8080, operator token and flaws
    /// from `PORTAL_OPERATOR_TOKEN` and `PORTAL_FLAWS`).
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
            "`{text}`: expected `embedded`, `image:NAME[:TAG]` or `url:URL`"
        ))
    }
}

impl std::fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Embedded => f.write_str("embedded"),
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
}

/// A deployed target; dropping it stops what the run started.
pub struct Deployed {
    /// Base URL, without a trailing slash.
    pub base_url: String,
    /// Secrets the deployment provides (`operator_token`).
    pub secrets: Map<String, Value>,
    /// Human description.
    pub description: String,
    guard: Guard,
}

enum Guard {
    Embedded(Option<cloison_fixtures::PortalHandle>),
    Container { docker: bollard::Docker, id: String },
    None,
}

impl Deployed {
    /// Stop what the run started (the embedded portal, the container).
    pub async fn teardown(mut self) {
        match std::mem::replace(&mut self.guard, Guard::None) {
            Guard::Embedded(Some(handle)) => handle.shutdown().await,
            Guard::Container { docker, id } => {
                let options = bollard::query_parameters::RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                };
                let _ = docker.remove_container(&id, Some(options)).await;
            }
            Guard::Embedded(None) | Guard::None => {}
        }
    }
}

impl Drop for Deployed {
    fn drop(&mut self) {
        if let Guard::Container { docker, id } = std::mem::replace(&mut self.guard, Guard::None) {
            // Teardown was not awaited (an early error): remove the container in the background if a
            // runtime is still there.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let options = bollard::query_parameters::RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    };
                    let _ = docker.remove_container(&id, Some(options)).await;
                });
            }
        }
    }
}

fn operator_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("cloison-operator-{:x}{:x}", nanos, std::process::id())
}

/// Deploy `spec`. `flaws` apply to the embedded portal and images; `allow_remote` permits a non-loopback URL.
pub async fn deploy(
    spec: &TargetSpec,
    flaws: &[String],
    allow_remote: bool,
) -> Result<Deployed, DeployError> {
    match spec {
        TargetSpec::Embedded => {
            let flaw_set: cloison_fixtures::FlawSet = flaws
                .join(",")
                .parse()
                .map_err(|e: cloison_fixtures::UnknownFlaw| DeployError::Usage(e.to_string()))?;
            let token = operator_token();
            let config = cloison_fixtures::PortalConfig {
                operator_token: token.clone(),
                flaws: flaw_set,
                argon2: cloison_fixtures::Argon2Params::CHEAP,
                ..Default::default()
            };
            let handle = cloison_fixtures::spawn(config).await.map_err(|e| {
                DeployError::Failed(format!("the embedded portal did not start: {e}"))
            })?;
            let mut secrets = Map::new();
            secrets.insert("operator_token".into(), token.into());
            let description = if flaws.is_empty() {
                "embedded reference portal (hardened)".to_string()
            } else {
                format!("embedded reference portal with flaws {}", flaws.join(", "))
            };
            Ok(Deployed {
                base_url: handle.base_url(),
                secrets,
                description,
                guard: Guard::Embedded(Some(handle)),
            })
        }
        TargetSpec::Url(url) => {
            if !flaws.is_empty() {
                return Err(DeployError::Usage(
                    "--flaw applies to the embedded portal and images, not to url: targets".into(),
                ));
            }
            if !is_loopback(url) && !allow_remote {
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
        TargetSpec::Image { name, tag } => deploy_image(name, tag, flaws).await,
    }
}

async fn deploy_image(name: &str, tag: &str, flaws: &[String]) -> Result<Deployed, DeployError> {
    let failed =
        |what: &str, e: &dyn std::fmt::Display| DeployError::Failed(format!("{what}: {e}"));
    let docker = bollard::Docker::connect_with_local_defaults()
        .map_err(|e| failed("no Docker engine client", &e))?;
    let docker = tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
        .await
        .map_err(|_| {
            DeployError::Failed("no Docker engine answers (10 s): --target image: needs one".into())
        })?
        .map_err(|e| failed("no Docker engine answers (--target image: needs one)", &e))?;
    let image = format!("{name}:{tag}");
    docker
        .inspect_image(&image)
        .await
        .map_err(|e| failed(&format!("image {image} is not available locally (nothing is pulled; for the reference portal run scripts/build-portal-image.sh)"), &e))?;
    let token = operator_token();
    let mut bindings = bollard::models::PortMap::new();
    bindings.insert(
        "8080/tcp".into(),
        Some(vec![bollard::models::PortBinding {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(String::new()),
        }]),
    );
    let body = bollard::models::ContainerCreateBody {
        image: Some(image.clone()),
        env: Some(vec![
            format!("PORTAL_OPERATOR_TOKEN={token}"),
            format!("PORTAL_FLAWS={}", flaws.join(",")),
        ]),
        host_config: Some(bollard::models::HostConfig {
            port_bindings: Some(bindings),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker
        .create_container(None, body)
        .await
        .map_err(|e| failed("the container could not be created", &e))?;
    let guard = Guard::Container {
        docker: docker.clone(),
        id: created.id.clone(),
    };
    let mut deployed = Deployed {
        base_url: String::new(),
        secrets: Map::new(),
        description: format!(
            "container {image} ({})",
            if flaws.is_empty() {
                "hardened".to_string()
            } else {
                format!("flaws {}", flaws.join(", "))
            }
        ),
        guard,
    };
    docker
        .start_container(&created.id, None)
        .await
        .map_err(|e| failed("the container did not start", &e))?;
    let inspected = docker
        .inspect_container(&created.id, None)
        .await
        .map_err(|e| failed("the container vanished", &e))?;
    let port = inspected
        .network_settings
        .and_then(|n| n.ports)
        .and_then(|p| p.get("8080/tcp").cloned().flatten())
        .and_then(|b| b.into_iter().find_map(|b| b.host_port))
        .ok_or_else(|| DeployError::Failed("the container's port 8080 is not published".into()))?;
    deployed.base_url = format!("http://127.0.0.1:{port}");
    deployed
        .secrets
        .insert("operator_token".into(), token.into());
    Ok(deployed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_specs() {
        assert_eq!("embedded".parse(), Ok(TargetSpec::Embedded));
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
