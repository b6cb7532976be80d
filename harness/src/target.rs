//! Deployment of the target: the reference portal in-process, a container image, or an existing URL.
//!
//! Container images are driven through the Docker engine API of `bollard` (the client testcontainers is
//! built on, re-exported by it) with API version negotiation: testcontainers 0.28 itself speaks API 1.53
//! without negotiating, which engines that answer at most 1.41 refuse.
//!
//! Container support is the `containers` cargo feature (on by default); without it, `image:` targets are a
//! usage error and about fifty crates (bollard, its protocol buffers and TLS stack) are not compiled.
//!
//! Every container cloison starts carries labels naming the run and the process that started it
//! ([`Owner`]); a later `image:` run removes the containers of processes that are gone (a run killed with
//! SIGKILL, a crashed CI job): see [`remove_orphans`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
#[cfg(feature = "containers")]
use std::time::Duration;

use serde_json::{Map, Value};
#[cfg(feature = "containers")]
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
    #[cfg(feature = "containers")]
    Container {
        docker: bollard::Docker,
        id: String,
    },
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

impl Deployed {
    /// Whether this is the embedded portal (which `--keep-target` may keep up after the run).
    pub fn is_embedded(&self) -> bool {
        matches!(self.guard, Guard::Embedded(Some(_)))
    }

    /// Stop what the run started (the embedded portal, the container).
    pub async fn teardown(mut self) {
        match std::mem::replace(&mut self.guard, Guard::None) {
            Guard::Embedded(Some(handle)) => handle.shutdown().await,
            #[cfg(feature = "containers")]
            Guard::Container { docker, id } => {
                let _ = remove_container(&docker, &id).await;
            }
            Guard::Embedded(None) | Guard::None => {}
        }
    }
}

#[cfg(feature = "containers")]
impl Drop for Deployed {
    fn drop(&mut self) {
        if let Guard::Container { docker, id } = std::mem::replace(&mut self.guard, Guard::None) {
            // Teardown was not awaited (an early error): remove the container in the background if a
            // runtime is still there.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = remove_container(&docker, &id).await;
                });
            }
        }
    }
}

/// Label of every container cloison starts: the run that started it.
pub const LABEL_RUN: &str = "org.cloison.run";
/// Label: the process id of the cloison that started the container.
pub const LABEL_PID: &str = "org.cloison.pid";
/// Label: that process's start time (clock ticks since boot, from `/proc/PID/stat`), so that a process id
/// reused by another program is not taken for the run.
pub const LABEL_PID_START: &str = "org.cloison.pid-start";
/// Label: the host (its name) that process runs on; only this host can tell whether it is alive.
pub const LABEL_HOST: &str = "org.cloison.host";

/// The cloison process that owns a container, as its labels say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Process id.
    pub pid: u32,
    /// Start time of the process (`/proc/PID/stat`, field 22), when known.
    pub start: Option<String>,
    /// Host name.
    pub host: String,
}

impl Owner {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Owner {
            pid,
            start: process_start(pid),
            host: host_name(),
        }
    }

    /// The labels of a container this owner starts for run `run`.
    pub fn labels(&self, run: &str) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (LABEL_RUN.to_string(), run.to_string()),
            (LABEL_PID.to_string(), self.pid.to_string()),
            (LABEL_HOST.to_string(), self.host.clone()),
        ]);
        if let Some(start) = &self.start {
            labels.insert(LABEL_PID_START.to_string(), start.clone());
        }
        labels
    }

    /// The owner named by a container's labels (None: not a container of cloison's).
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Self> {
        Some(Owner {
            pid: labels.get(LABEL_PID)?.parse().ok()?,
            start: labels.get(LABEL_PID_START).cloned(),
            host: labels.get(LABEL_HOST)?.clone(),
        })
    }

    /// Whether this owner is certainly gone: it ran on this host, and no process has its id, or the one that
    /// has it started at another time. Unknown (no `/proc`, another host) is not gone.
    pub fn is_gone(&self) -> bool {
        if self.host != host_name() || !std::path::Path::new("/proc/self/stat").exists() {
            return false;
        }
        match process_start(self.pid) {
            None => true,
            Some(start) => self.start.as_ref().is_some_and(|s| *s != start),
        }
    }
}

/// The start time of a process (field 22 of `/proc/PID/stat`, after the command name in parentheses).
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after) = stat.rsplit_once(')')?;
    // After the name: state (field 3) ... starttime (field 22), i.e. the 20th field from here.
    after.split_whitespace().nth(19).map(str::to_string)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(feature = "containers")]
/// Remove the containers that runs killed before their teardown left behind: every container labelled
/// [`LABEL_PID`] whose owner [`is gone`](Owner::is_gone). Returns the identifiers removed.
pub async fn remove_orphans(
    docker: &bollard::Docker,
) -> Result<Vec<String>, bollard::errors::Error> {
    let options = bollard::query_parameters::ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![LABEL_PID.to_string()],
        )])),
        ..Default::default()
    };
    let mut removed = Vec::new();
    for container in docker.list_containers(Some(options)).await? {
        let (Some(id), Some(labels)) = (container.id, container.labels) else {
            continue;
        };
        if Owner::from_labels(&labels).is_some_and(|owner| owner.is_gone()) {
            remove_container(docker, &id).await?;
            removed.push(id);
        }
    }
    Ok(removed)
}

#[cfg(feature = "containers")]
async fn remove_container(
    docker: &bollard::Docker,
    id: &str,
) -> Result<(), bollard::errors::Error> {
    let options = bollard::query_parameters::RemoveContainerOptions {
        force: true,
        v: true,
        ..Default::default()
    };
    match docker.remove_container(id, Some(options)).await {
        // Already gone (removed by another run at the same time): what was asked.
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        other => other,
    }
}

fn operator_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("cloison-operator-{:x}{:x}", nanos, std::process::id())
}

#[cfg(feature = "containers")]
/// The container of an `image:` run: port 8080 published on 127.0.0.1, the portal contract's environment,
/// and the labels of this process and run.
fn container_body(
    image: &str,
    token: &str,
    flaws: &[String],
    run: &str,
) -> bollard::models::ContainerCreateBody {
    let mut bindings = bollard::models::PortMap::new();
    bindings.insert(
        "8080/tcp".into(),
        Some(vec![bollard::models::PortBinding {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(String::new()),
        }]),
    );
    bollard::models::ContainerCreateBody {
        image: Some(image.to_string()),
        env: Some(vec![
            format!("PORTAL_OPERATOR_TOKEN={token}"),
            format!("PORTAL_FLAWS={}", flaws.join(",")),
        ]),
        host_config: Some(bollard::models::HostConfig {
            port_bindings: Some(bindings),
            ..Default::default()
        }),
        labels: Some(Owner::current().labels(run)),
        ..Default::default()
    }
}

#[cfg(feature = "containers")]
/// An identifier of this run, for container labels.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{}", nanos, std::process::id())
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
        #[cfg(feature = "containers")]
        TargetSpec::Image { name, tag } => deploy_image(name, tag, flaws).await,
        #[cfg(not(feature = "containers"))]
        TargetSpec::Image { .. } => Err(DeployError::Usage(
            "this cloison was built without container support (cargo's --no-default-features): image: targets need \
             the `containers` feature (the default)"
                .into(),
        )),
    }
}

#[cfg(feature = "containers")]
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
    // Containers of runs that were killed before their teardown (SIGKILL, a crashed job): removed now.
    match remove_orphans(&docker).await {
        Ok(removed) if !removed.is_empty() => eprintln!(
            "removed {} container(s) left by cloison runs that were killed before their teardown",
            removed.len()
        ),
        Ok(_) => {}
        Err(e) => {
            eprintln!("warning: containers left by killed runs could not be listed or removed: {e}")
        }
    }
    let image = format!("{name}:{tag}");
    docker
        .inspect_image(&image)
        .await
        .map_err(|e| failed(&format!("image {image} is not available locally (nothing is pulled; for the reference portal run scripts/build-portal-image.sh)"), &e))?;
    let token = operator_token();
    let run = run_id();
    let body = container_body(&image, &token, flaws, &run);
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
    let started = async {
        docker
            .start_container(&created.id, None)
            .await
            .map_err(|e| failed("the container did not start", &e))?;
        let inspected = docker
            .inspect_container(&created.id, None)
            .await
            .map_err(|e| failed("the container vanished", &e))?;
        inspected
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|p| p.get("8080/tcp").cloned().flatten())
            .and_then(|b| b.into_iter().find_map(|b| b.host_port))
            .ok_or_else(|| DeployError::Failed("the container's port 8080 is not published".into()))
    };
    let port = match started.await {
        Ok(port) => port,
        Err(err) => {
            // Removed before the error is returned, not in the background.
            deployed.teardown().await;
            return Err(err);
        }
    };
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
    fn owners_round_trip_through_labels_and_only_dead_local_ones_are_gone() {
        let me = Owner::current();
        let labels = me.labels("run-1");
        assert_eq!(labels.get(LABEL_RUN).map(String::as_str), Some("run-1"));
        assert_eq!(Owner::from_labels(&labels), Some(me.clone()));
        assert!(!me.is_gone(), "this process is alive");
        // A process that has exited: its id names no process (or another one, started later).
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        child.wait().expect("wait");
        let dead = Owner {
            pid: child.id(),
            start: Some("1".into()),
            ..me.clone()
        };
        assert!(dead.is_gone());
        // This process's id with another start time: the id was reused, the owner is gone.
        let reused = Owner {
            start: Some("0".into()),
            ..me.clone()
        };
        assert!(reused.is_gone());
        // Another host's process cannot be checked from here: never taken as gone.
        let elsewhere = Owner {
            host: "another-host".into(),
            ..dead
        };
        assert!(!elsewhere.is_gone());
        assert_eq!(Owner::from_labels(&HashMap::new()), None);
    }

    #[cfg(feature = "containers")]
    #[test]
    fn containers_are_labelled_with_their_run_and_process() {
        let body = container_body("portal:dev", "token", &["case-idor".into()], "run-7");
        let labels = body.labels.expect("labels");
        assert_eq!(labels.get(LABEL_RUN).map(String::as_str), Some("run-7"));
        assert_eq!(Owner::from_labels(&labels), Some(Owner::current()));
    }

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
