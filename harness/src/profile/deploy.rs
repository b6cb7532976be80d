//! `[deploy]`: the containers that make up a platform, validated.
//!
//! The application container (image, port, environment, command, health check) and the services it needs
//! (`[[deploy.services]]`, such as a database), each reachable by the others on a private network under its
//! name. Environment values and command arguments are templates over `secrets` (a secret the secrets file
//! does not give is generated for the run, so the container and the profile's requests share it) and
//! `options` (`{{options.flaws}}`: the values of `--flaw`, comma-separated). Nothing here names a
//! platform: the reference portal's contract is its profile's `[deploy]` table. `{{options.flaws}}`
//! holds the values of `--flaw`, comma-separated.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use super::raw::{RawDeploy, RawDeployHealth, RawService};
use super::validate::Validator;
use super::{KeyPath, ProfileError, Template, TemplateError};

/// The options of a run that `[deploy]` templates may read (`{{options.NAME}}`).
pub const DEPLOY_OPTIONS: [&str; 1] = ["flaws"];

/// The roots of `[deploy]` templates.
const ROOTS_DEPLOY: &[&str] = &["secrets", "options"];

/// Default health-check timeout, in seconds.
pub const DEFAULT_HEALTH_TIMEOUT: u64 = 60;

/// `[deploy]`, validated.
#[derive(Debug, Clone)]
pub struct Deploy {
    /// The application: the container cloison probes, its port published on 127.0.0.1.
    pub app: ContainerSpec,
    /// The services the application needs, started first, in the order of the profile.
    pub services: Vec<ContainerSpec>,
}

/// One container of a deployment.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    /// Where it is in the profile (`deploy`, `deploy.services[0]`).
    pub origin: KeyPath,
    /// Its name on the private network (services; the application has none).
    pub name: Option<String>,
    /// Image reference (`name:tag`), a local image: nothing is pulled.
    pub image: String,
    /// The container port published on 127.0.0.1 (required for the application).
    pub port: Option<u16>,
    /// Environment variables: name and value template.
    pub environment: Vec<(String, Template)>,
    /// The command (arguments after the image's entrypoint), when it is not the image's own.
    pub command: Option<Vec<Template>>,
    /// HTTP health check on the published port, waited for after start.
    pub health: Option<DeployHealth>,
}

/// An HTTP health check of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployHealth {
    /// Path (below the container's published address).
    pub path: String,
    /// Statuses that mean healthy (default 200).
    pub statuses: BTreeSet<u16>,
    /// How long to wait for them (default 60 s).
    pub timeout: Duration,
}

/// A `[deploy]` template that could not be rendered at run time (a map that has no entry for a value).
#[derive(Debug)]
pub struct RenderError {
    /// Where the template is.
    pub at: KeyPath,
    /// Why.
    pub error: TemplateError,
}

impl Deploy {
    /// Every container: the services first, then the application.
    pub fn containers(&self) -> impl Iterator<Item = &ContainerSpec> {
        self.services.iter().chain(std::iter::once(&self.app))
    }

    /// The secrets the templates name (`{{secrets.NAME}}`).
    pub fn secrets(&self) -> BTreeSet<String> {
        self.paths()
            .filter(|p| p.first().is_some_and(|r| r == "secrets"))
            .filter_map(|p| p.get(1).cloned())
            .collect()
    }

    /// Whether a template reads `{{options.NAME}}`.
    pub fn uses_option(&self, name: &str) -> bool {
        self.paths().any(|p| {
            p.first().is_some_and(|r| r == "options") && p.get(1).is_some_and(|n| n == name)
        })
    }

    /// The same deployment with another application image (`--target image:NAME:TAG`).
    pub fn with_image(&self, image: String) -> Deploy {
        let mut out = self.clone();
        out.app.image = image;
        out
    }

    fn paths(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        self.containers()
            .flat_map(|c| c.templates().into_iter().map(|(_, t)| t))
            .flat_map(Template::paths)
    }
}

impl ContainerSpec {
    /// Every template with its key path.
    pub fn templates(&self) -> Vec<(KeyPath, &Template)> {
        let mut out: Vec<(KeyPath, &Template)> = self
            .environment
            .iter()
            .map(|(name, t)| (self.origin.key("environment").key(name), t))
            .collect();
        for (i, t) in self.command.iter().flatten().enumerate() {
            out.push((self.origin.key("command").index(i), t));
        }
        out
    }

    /// The environment as `NAME=value`, rendered over `ctx` (`secrets`, `options`).
    pub fn render_environment(&self, ctx: &Value) -> Result<Vec<String>, RenderError> {
        self.environment
            .iter()
            .map(|(name, t)| {
                t.render(ctx)
                    .map(|value| format!("{name}={value}"))
                    .map_err(|error| RenderError {
                        at: self.origin.key("environment").key(name),
                        error,
                    })
            })
            .collect()
    }

    /// The command, rendered over `ctx`.
    pub fn render_command(&self, ctx: &Value) -> Result<Option<Vec<String>>, RenderError> {
        let Some(command) = &self.command else {
            return Ok(None);
        };
        command
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.render(ctx).map_err(|error| RenderError {
                    at: self.origin.key("command").index(i),
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// How the container is named in messages: `service db (postgres:16)` or `application (app:1)`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("service {name} ({})", self.image),
            None => format!("application ({})", self.image),
        }
    }
}

/// Whether `text` is an image reference cloison accepts: `name[:tag]` or `name@digest`, no spaces. A name
/// without a tag means `:latest`, as Docker reads it.
pub fn image_reference(text: &str) -> Result<String, String> {
    let expected = "expected a local image such as `my-platform:1.4` (nothing is pulled)";
    if text.trim().is_empty() {
        return Err(format!("an empty image: {expected}"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) || text.starts_with('-') {
        return Err(format!("`{text}` is not an image reference: {expected}"));
    }
    let last = text.rsplit('/').next().unwrap_or(text);
    if text.contains('@') || last.contains(':') {
        Ok(text.to_string())
    } else {
        Ok(format!("{text}:latest"))
    }
}

/// A service's name on the network: a DNS label (lowercase letters, digits and `-`, 1 to 63 characters, not
/// at either end).
fn check_service_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a service name: expected a DNS label (lowercase letters, digits and `-`, at most 63), \
             the name the other containers reach it by"
        ))
    }
}

impl Validator<'_> {
    pub(super) fn deploy(&self, raw: Option<RawDeploy>) -> Result<Option<Deploy>, ProfileError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let at = KeyPath::root("deploy");
        let app = self.container(
            &at,
            None,
            &raw.image,
            Some(raw.port),
            &raw.environment,
            raw.command.as_deref(),
            raw.health.as_ref(),
        )?;
        let mut services = Vec::new();
        let mut names = BTreeMap::new();
        for (i, service) in raw.services.iter().enumerate() {
            let origin = at.key("services").index(i);
            let RawService {
                name,
                image,
                port,
                environment,
                command,
                health,
            } = service;
            check_service_name(name).map_err(|why| self.err(&origin.key("name"), why))?;
            if let Some(first) = names.insert(name.clone(), i) {
                return Err(self.err(
                    &origin.key("name"),
                    format!("service `{name}` is already deploy.services[{first}]: expected a name of its own"),
                ));
            }
            if health.is_some() && port.is_none() {
                return Err(self.err(
                    &origin.key("health"),
                    "a service's health check is sent to its published port: expected `port` (the container's port)",
                ));
            }
            services.push(self.container(
                &origin,
                Some(name.clone()),
                image,
                *port,
                environment,
                command.as_deref(),
                health.as_ref(),
            )?);
        }
        Ok(Some(Deploy { app, services }))
    }

    #[allow(clippy::too_many_arguments)] // one per key of a container table
    fn container(
        &self,
        at: &KeyPath,
        name: Option<String>,
        image: &str,
        port: Option<u16>,
        environment: &BTreeMap<String, String>,
        command: Option<&[String]>,
        health: Option<&RawDeployHealth>,
    ) -> Result<ContainerSpec, ProfileError> {
        let image = image_reference(image).map_err(|why| self.err(&at.key("image"), why))?;
        if port == Some(0) {
            return Err(self.err(
                &at.key("port"),
                "port 0: expected the port the container listens on (1 to 65535)",
            ));
        }
        let mut env = Vec::new();
        for (variable, value) in environment {
            let key = at.key("environment").key(variable);
            let valid = !variable.is_empty()
                && !variable.contains('=')
                && !variable
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control());
            if !valid {
                return Err(self.err(
                    &key,
                    format!("`{variable}` is not an environment variable name: expected letters, digits and `_`, without `=` or spaces"),
                ));
            }
            env.push((variable.clone(), self.deploy_template(&key, value)?));
        }
        let command = match command {
            None => None,
            Some([]) => {
                return Err(self.err(
                    &at.key("command"),
                    "an empty command: expected its arguments, or no `command` to run the image's own",
                ));
            }
            Some(args) => Some(
                args.iter()
                    .enumerate()
                    .map(|(i, arg)| self.deploy_template(&at.key("command").index(i), arg))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let health = health
            .map(|h| self.deploy_health(&at.key("health"), h))
            .transpose()?;
        Ok(ContainerSpec {
            origin: at.clone(),
            name,
            image,
            port,
            environment: env,
            command,
            health,
        })
    }

    fn deploy_template(&self, at: &KeyPath, text: &str) -> Result<Template, ProfileError> {
        let template = self.template(at, text, ROOTS_DEPLOY)?;
        for path in template.paths() {
            if path.first().is_some_and(|r| r == "options") {
                let known = path.len() == 2 && DEPLOY_OPTIONS.contains(&path[1].as_str());
                if !known {
                    return Err(self.err(
                        at,
                        format!(
                            "`{{{{{}}}}}` names no option: expected one of {}",
                            path.join("."),
                            DEPLOY_OPTIONS
                                .map(|o| format!("`{{{{options.{o}}}}}`"))
                                .join(", ")
                        ),
                    ));
                }
            }
            if path.first().is_some_and(|r| r == "secrets") && path.len() != 2 {
                return Err(self.err(
                    at,
                    format!(
                        "`{{{{{}}}}}`: a secret is a single value, expected `{{{{secrets.NAME}}}}`",
                        path.join(".")
                    ),
                ));
            }
        }
        Ok(template)
    }

    fn deploy_health(
        &self,
        at: &KeyPath,
        raw: &RawDeployHealth,
    ) -> Result<DeployHealth, ProfileError> {
        if !raw.path.starts_with('/') {
            return Err(self.err(
                &at.key("path"),
                format!("`{}` does not start with `/`: expected a path on the container, such as `/healthz`", raw.path),
            ));
        }
        let statuses = match &raw.statuses {
            None => BTreeSet::from([200]),
            Some(list) if list.is_empty() => {
                return Err(self.err(
                    &at.key("statuses"),
                    "an empty list: expected the statuses that mean healthy, such as [200]",
                ));
            }
            Some(list) => {
                for (i, status) in list.iter().enumerate() {
                    if !(100..=599).contains(status) {
                        return Err(self.err(
                            &at.key("statuses").index(i),
                            format!("{status} is not an HTTP status: expected 100 to 599"),
                        ));
                    }
                }
                list.iter().copied().collect()
            }
        };
        let timeout = raw.timeout.unwrap_or(DEFAULT_HEALTH_TIMEOUT);
        if !(1..=3600).contains(&timeout) {
            return Err(self.err(
                &at.key("timeout"),
                format!("{timeout} s: expected 1 to 3600 seconds"),
            ));
        }
        Ok(DeployHealth {
            path: raw.path.clone(),
            statuses,
            timeout: Duration::from_secs(timeout),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(image_reference("app:1.4").as_deref(), Ok("app:1.4"));
        assert_eq!(image_reference("app").as_deref(), Ok("app:latest"));
        assert_eq!(
            image_reference("localhost:5000/app").as_deref(),
            Ok("localhost:5000/app:latest")
        );
        assert_eq!(
            image_reference("app@sha256:abc").as_deref(),
            Ok("app@sha256:abc")
        );
        assert!(image_reference("").is_err());
        assert!(image_reference("my app").is_err());
        assert!(image_reference("--privileged").is_err());
    }

    #[test]
    fn service_names_are_dns_labels() {
        for good in ["db", "cache-1", "a"] {
            assert_eq!(check_service_name(good), Ok(()), "{good}");
        }
        for bad in ["", "DB", "-db", "db-", "d_b", "d.b", &"x".repeat(64)] {
            assert!(check_service_name(bad).is_err(), "{bad}");
        }
    }
}
