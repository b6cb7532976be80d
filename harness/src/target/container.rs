//! The containers of a profile's `[deploy]`, through the Docker engine API.
//!
//! Driven by `bollard` (the client testcontainers is built on, re-exported by it) with API version
//! negotiation: testcontainers 0.28 itself speaks API 1.53 without negotiating, which engines that answer at
//! most 1.41 refuse. Nothing is pulled: every image must be local.
//!
//! A run creates a bridge network of its own; the services start first, each attached under its name (the
//! alias the application reaches it by), then the application, whose port is published on 127.0.0.1. Every
//! container and the network carry the labels of the run and of this process ([`Owner`]); a later run
//! removes those of processes that are gone ([`remove_orphans`]). Teardown removes the containers in the
//! reverse order of their start, then the network.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::Value;
use testcontainers::bollard;

use super::DeployError;
use super::owner::{LABEL_PID, Owner};
use crate::profile::{ContainerSpec, Deploy, DeployHealth, Profile};

/// What a deployment started, removed by [`Started::remove`].
pub(super) struct Started {
    pub(super) docker: bollard::Docker,
    /// Containers, in the order they were created.
    pub(super) containers: Vec<String>,
    /// The run's network.
    pub(super) network: Option<String>,
}

impl Started {
    /// Remove the containers (the last started first), then the network. Errors are reported, not fatal:
    /// what is left is removed by the next run ([`remove_orphans`]).
    pub(super) async fn remove(self) {
        for id in self.containers.iter().rev() {
            if let Err(e) = remove_container(&self.docker, id).await {
                eprintln!("warning: container {} could not be removed: {e}", short(id));
            }
        }
        if let Some(network) = &self.network
            && let Err(e) = remove_network(&self.docker, network).await
        {
            eprintln!(
                "warning: network {} could not be removed: {e}",
                short(network)
            );
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Connect to the local engine and negotiate the API version.
pub(super) async fn engine() -> Result<bollard::Docker, DeployError> {
    let docker = bollard::Docker::connect_with_local_defaults()
        .map_err(|e| DeployError::Failed(format!("no Docker engine client: {e}")))?;
    tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
        .await
        .map_err(|_| {
            DeployError::Failed("no Docker engine answers (10 s): containers need one".into())
        })?
        .map_err(|e| {
            DeployError::Failed(format!(
                "no Docker engine answers (containers need one): {e}"
            ))
        })
}

/// Start every container of `deploy`, with templates rendered over `ctx`. Returns what was started and the
/// application's base URL; on an error or an interruption, what was started is removed first.
pub(super) async fn start(
    profile: &Profile,
    deploy: &Deploy,
    ctx: &Value,
    interrupt: &AtomicBool,
) -> Result<(Started, String), DeployError> {
    let docker = engine().await?;
    // Containers and networks of runs that were killed before their teardown (SIGKILL, a crashed job).
    match remove_orphans(&docker).await {
        Ok(removed) if !removed.is_empty() => eprintln!(
            "removed {} container(s) and network(s) left by cloison runs that were killed before their teardown",
            removed.len()
        ),
        Ok(_) => {}
        Err(e) => eprintln!("warning: what killed runs left could not be listed or removed: {e}"),
    }
    // Every image is checked before anything is created.
    for container in deploy.containers() {
        docker.inspect_image(&container.image).await.map_err(|e| {
            DeployError::Failed(format!(
                "image {} of the {} is not available locally: build or load it first (nothing is pulled): {e}",
                container.image,
                container.describe()
            ))
        })?;
    }
    let mut started = Started {
        docker,
        containers: Vec::new(),
        network: None,
    };
    match start_all(&mut started, profile, deploy, ctx, interrupt).await {
        Ok(url) => Ok((started, url)),
        Err(err) => {
            // Removed before the error is returned, not in the background.
            started.remove().await;
            Err(err)
        }
    }
}

async fn start_all(
    started: &mut Started,
    profile: &Profile,
    deploy: &Deploy,
    ctx: &Value,
    interrupt: &AtomicBool,
) -> Result<String, DeployError> {
    let run = run_id();
    let labels = Owner::current().labels(&run);
    let network_name = format!("cloison-{run}");
    let network = started
        .docker
        .create_network(bollard::models::NetworkCreateRequest {
            name: network_name.clone(),
            driver: Some("bridge".into()),
            labels: Some(labels.clone()),
            ..Default::default()
        })
        .await
        .map_err(|e| DeployError::Failed(format!("the run's network could not be created: {e}")))?;
    started.network = Some(if network.id.is_empty() {
        network_name.clone()
    } else {
        network.id
    });
    let mut app_url = None;
    for spec in deploy.containers() {
        if interrupt.load(Ordering::SeqCst) {
            return Err(DeployError::Interrupted);
        }
        let body = container_body(profile, spec, ctx, &network_name, &labels)?;
        let created = started
            .docker
            .create_container(None, body)
            .await
            .map_err(|e| {
                DeployError::Failed(format!("the {} could not be created: {e}", spec.describe()))
            })?;
        started.containers.push(created.id.clone());
        let url = run_one(&started.docker, spec, &created.id, interrupt).await?;
        if spec.name.is_none() {
            app_url = url;
        }
    }
    app_url.ok_or_else(|| DeployError::Failed("the application publishes no port".into()))
}

/// Start one container, find its published port, and wait for its health check. Returns its URL on
/// 127.0.0.1 when it publishes a port.
async fn run_one(
    docker: &bollard::Docker,
    spec: &ContainerSpec,
    id: &str,
    interrupt: &AtomicBool,
) -> Result<Option<String>, DeployError> {
    docker
        .start_container(id, None)
        .await
        .map_err(|e| DeployError::Failed(format!("the {} did not start: {e}", spec.describe())))?;
    let Some(port) = spec.port else {
        return Ok(None);
    };
    let inspected = docker
        .inspect_container(id, None)
        .await
        .map_err(|e| DeployError::Failed(format!("the {} vanished: {e}", spec.describe())))?;
    let host_port = inspected
        .network_settings
        .and_then(|n| n.ports)
        .and_then(|p| p.get(&format!("{port}/tcp")).cloned().flatten())
        .and_then(|b| b.into_iter().find_map(|b| b.host_port))
        .filter(|p| !p.is_empty());
    let Some(host_port) = host_port else {
        let logs = last_logs(docker, id).await;
        return Err(DeployError::Failed(format!(
            "the {}'s port {port} is not published (did it exit at once?){logs}",
            spec.describe()
        )));
    };
    let url = format!("http://127.0.0.1:{host_port}");
    if let Some(health) = &spec.health {
        wait_healthy(docker, spec, id, &url, health, interrupt).await?;
    }
    Ok(Some(url))
}

/// Poll the health check until it answers one of its statuses; fail as soon as the container stops, or at
/// the timeout; stop on an interruption.
async fn wait_healthy(
    docker: &bollard::Docker,
    spec: &ContainerSpec,
    id: &str,
    url: &str,
    health: &DeployHealth,
    interrupt: &AtomicBool,
) -> Result<(), DeployError> {
    let client = crate::http::client_builder()
        .timeout(Duration::from_secs(2))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| DeployError::Failed(format!("no HTTP client: {e}")))?;
    let target = format!("{url}{}", health.path);
    let started = Instant::now();
    loop {
        if interrupt.load(Ordering::SeqCst) {
            return Err(DeployError::Interrupted);
        }
        let last = match client.get(&target).send().await {
            Ok(response) if health.statuses.contains(&response.status().as_u16()) => return Ok(()),
            Ok(response) => format!("it answered {}", response.status().as_u16()),
            Err(e) => format!("it did not answer: {e}"),
        };
        let state = docker
            .inspect_container(id, None)
            .await
            .ok()
            .and_then(|c| c.state);
        if let Some(state) = state
            && state.running == Some(false)
        {
            let logs = last_logs(docker, id).await;
            return Err(DeployError::Failed(format!(
                "the {} exited (code {}) before its health check {} passed{logs}",
                spec.describe(),
                state.exit_code.unwrap_or_default(),
                health.path
            )));
        }
        if started.elapsed() >= health.timeout {
            let logs = last_logs(docker, id).await;
            return Err(DeployError::Failed(format!(
                "the {} was not healthy within {} s: GET {} expected {}, {last}{logs}",
                spec.describe(),
                health.timeout.as_secs(),
                health.path,
                health
                    .statuses
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

impl Started {
    /// The application container's logs (the last container started), for the audit trail.
    pub(super) fn app_logs(&self) -> Option<super::ContainerLogs> {
        Some(super::ContainerLogs {
            docker: self.docker.clone(),
            id: self.containers.last()?.clone(),
        })
    }
}

/// Everything a container wrote to its standard output, up to `limit` bytes.
pub(super) async fn all_logs(
    docker: &bollard::Docker,
    id: &str,
    limit: usize,
) -> Result<String, String> {
    let options = bollard::query_parameters::LogsOptions {
        stdout: true,
        stderr: false,
        tail: "all".into(),
        ..Default::default()
    };
    let mut stream = docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("the application container's logs: {e}"))?;
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        if text.len() > limit {
            break;
        }
    }
    Ok(text)
}

/// The last lines a container wrote, for an error message (empty if there are none).
async fn last_logs(docker: &bollard::Docker, id: &str) -> String {
    let options = bollard::query_parameters::LogsOptions {
        stdout: true,
        stderr: true,
        tail: "10".into(),
        ..Default::default()
    };
    let mut stream = docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        if text.len() > 4096 {
            break;
        }
    }
    let text = crate::input::capped(text.trim(), 2000);
    if text.is_empty() {
        String::new()
    } else {
        format!("; its last output:\n{text}")
    }
}

/// The body of one container: image, rendered environment and command, the published port (on 127.0.0.1),
/// the run's network with the service's name as alias, and the run's labels.
fn container_body(
    profile: &Profile,
    spec: &ContainerSpec,
    ctx: &Value,
    network: &str,
    labels: &HashMap<String, String>,
) -> Result<bollard::models::ContainerCreateBody, DeployError> {
    let located = |e: crate::profile::RenderError| {
        DeployError::Usage(profile.error_at(&e.at, e.error.to_string()).to_string())
    };
    let env = spec.render_environment(ctx).map_err(located)?;
    let cmd = spec.render_command(ctx).map_err(located)?;
    let mut bindings = bollard::models::PortMap::new();
    let mut exposed = None;
    if let Some(port) = spec.port {
        bindings.insert(
            format!("{port}/tcp"),
            Some(vec![bollard::models::PortBinding {
                host_ip: Some("127.0.0.1".into()),
                host_port: Some(String::new()),
            }]),
        );
        exposed = Some(vec![format!("{port}/tcp")]);
    }
    let endpoint = bollard::models::EndpointSettings {
        aliases: spec.name.clone().map(|name| vec![name]),
        ..Default::default()
    };
    Ok(bollard::models::ContainerCreateBody {
        image: Some(spec.image.clone()),
        env: Some(env),
        cmd,
        exposed_ports: exposed,
        host_config: Some(bollard::models::HostConfig {
            port_bindings: Some(bindings),
            network_mode: Some(network.to_string()),
            ..Default::default()
        }),
        networking_config: Some(bollard::models::NetworkingConfig {
            endpoints_config: Some(HashMap::from([(network.to_string(), endpoint)])),
        }),
        labels: Some(labels.clone()),
        ..Default::default()
    })
}

/// An identifier of this run, for labels and the network's name.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{}", nanos, std::process::id())
}

/// Remove what runs killed before their teardown left behind: every container, then every network, labelled
/// [`LABEL_PID`] whose owner [`is gone`](Owner::is_gone). Returns the identifiers removed.
pub async fn remove_orphans(
    docker: &bollard::Docker,
) -> Result<Vec<String>, bollard::errors::Error> {
    let filters = Some(HashMap::from([(
        "label".to_string(),
        vec![LABEL_PID.to_string()],
    )]));
    let options = bollard::query_parameters::ListContainersOptions {
        all: true,
        filters: filters.clone(),
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
    let options = bollard::query_parameters::ListNetworksOptions { filters };
    for network in docker.list_networks(Some(options)).await? {
        let (Some(id), Some(labels)) = (network.id, network.labels) else {
            continue;
        };
        if Owner::from_labels(&labels).is_some_and(|owner| owner.is_gone()) {
            remove_network(docker, &id).await?;
            removed.push(id);
        }
    }
    Ok(removed)
}

pub(super) async fn remove_container(
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

async fn remove_network(docker: &bollard::Docker, id: &str) -> Result<(), bollard::errors::Error> {
    match docker.remove_network(id).await {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_labelled_attached_and_published_as_the_profile_says() {
        let profile = Profile::reference_portal().expect("the reference profile");
        let deploy = profile.deploy.as_ref().expect("a [deploy] table");
        let ctx = serde_json::json!({
            "secrets": { "operator_token": "token-1" },
            "options": { "flaws": "a,b" },
        });
        let labels = Owner::current().labels("run-7");
        let body =
            container_body(&profile, &deploy.app, &ctx, "cloison-run-7", &labels).expect("a body");
        let labels = body.labels.expect("labels");
        assert_eq!(
            labels.get(super::super::LABEL_RUN).map(String::as_str),
            Some("run-7")
        );
        assert_eq!(Owner::from_labels(&labels), Some(Owner::current()));
        let env = body.env.expect("environment");
        assert!(env.iter().any(|e| e.ends_with("=token-1")), "{env:?}");
        assert!(env.iter().any(|e| e.ends_with("=a,b")), "{env:?}");
        let host = body.host_config.expect("host config");
        assert_eq!(host.network_mode.as_deref(), Some("cloison-run-7"));
        let port = format!("{}/tcp", deploy.app.port.expect("a port"));
        let binding = host
            .port_bindings
            .and_then(|b| b.get(&port).cloned().flatten())
            .expect("the port is published");
        assert_eq!(binding[0].host_ip.as_deref(), Some("127.0.0.1"));
        // The application has no alias; a service is reached by its name.
        let endpoints = body
            .networking_config
            .and_then(|n| n.endpoints_config)
            .expect("endpoints");
        assert_eq!(endpoints["cloison-run-7"].aliases, None);
        let service = ContainerSpec {
            name: Some("db".into()),
            port: None,
            health: None,
            ..deploy.app.clone()
        };
        let body =
            container_body(&profile, &service, &ctx, "net", &HashMap::new()).expect("a body");
        let endpoints = body
            .networking_config
            .and_then(|n| n.endpoints_config)
            .expect("endpoints");
        assert_eq!(endpoints["net"].aliases, Some(vec!["db".to_string()]));
        assert_eq!(body.exposed_ports, None);
    }
}
