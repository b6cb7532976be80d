//! Target profiles: how cloison's abstract operations map to one platform's HTTP API.
//!
//! A profile is a TOML file (format in `docs/profile-format.md`). [`Profile::load`] parses and validates
//! it; every error names the file, the line, the column and what was expected, and a profile with several
//! independent mistakes reports them all at once (up to [`MAX_ERRORS`]). The validated [`Profile`] holds
//! compiled templates, ready for the HTTP layer: every placeholder of every template is checked at load.
//!
//! The compiled types are in `model`; the questions the planner and the engine ask of a profile
//! (`endpoint_by_key`, `surface`...) in `lookup`; the checks, one module per section of the file, in
//! `validate`.

pub mod caller;
pub mod check;
mod deploy;
mod error;
mod exclude;
mod lookup;
mod model;
mod raw;
pub mod template;
mod validate;

use std::path::Path;

pub use cloison_suites::Refusals;

pub use deploy::{
    ContainerSpec, DEFAULT_HEALTH_TIMEOUT, DEPLOY_OPTIONS, Deploy, DeployHealth, RenderError,
    image_reference,
};
pub use error::{KeyPath, MAX_ERRORS, ProfileError, ProfileErrorDetail, Seg, Source};
pub use exclude::Exclusion;
pub(crate) use model::form_key;
pub use model::{
    Accounts, Actor, Auth, Body, Create, Effect, Endpoint, ExistingAccount, ExistingTenant,
    HeaderTemplate, IdSource, OpenApiSource, Part, PartContent, Poll, Probing, Profile,
    Provisioning, RawContent, TenantRef, Tenants, TokenSource, Transitions,
};
pub use model::{Audit, TrailSource};
pub use raw::{AccountSource, AuthScheme, TenantMode};
pub use template::{JsonTemplate, Template, TemplateError};

/// The reference portal's profile, shipped in `fixtures/profiles/` and embedded as the default.
pub const REFERENCE_PORTAL: &str = include_str!("../../../fixtures/profiles/reference-portal.toml");

/// The name under which the embedded profile appears in messages.
pub const REFERENCE_PORTAL_NAME: &str = "<embedded fixtures/profiles/reference-portal.toml>";

/// The roles of cloison's generated worlds, which `[policy]` and `[roles]` speak of.
pub const CLOISON_ROLES: [&str; 4] = ["applicant", "representative", "agent", "tenant_admin"];

/// The caller without any credential, which `[policy]` may name (it sees nothing): the `anonymous`
/// family's identity.
pub const ANONYMOUS: &str = "anonymous";

/// The operations a resource can declare.
pub const OPERATIONS: [&str; 8] = [
    "create", "read", "update", "delete", "list", "search", "export", "download",
];

impl Profile {
    /// Read and validate a profile file.
    pub fn load(path: &Path) -> Result<Self, ProfileError> {
        let text = crate::input::read_text(path, "profile").map_err(|err| {
            let (line, column) = match &err {
                crate::input::InputError::NotUtf8 { line, column, .. } => {
                    (Some(*line), Some(*column))
                }
                _ => (None, None),
            };
            ProfileError::from(ProfileErrorDetail {
                file: path.to_path_buf(),
                line,
                column,
                key: None,
                message: err.reason(),
                excerpt: None,
            })
        })?;
        Self::parse(path, &text, path.parent())
    }

    /// The embedded reference-portal profile.
    pub fn reference_portal() -> Result<Self, ProfileError> {
        Self::parse(Path::new(REFERENCE_PORTAL_NAME), REFERENCE_PORTAL, None)
    }

    /// Parse and validate profile text. `file` names it in errors; `base` resolves a relative
    /// `secrets_file`. A TOML error stops there; past it, every independent mistake is reported.
    pub fn parse(file: &Path, text: &str, base: Option<&Path>) -> Result<Self, ProfileError> {
        let source = Source { file, text };
        let raw: raw::RawProfile = toml::from_str(text).map_err(|err| source.from_toml(&err))?;
        validate::profile(&source, raw, base)
    }

    /// Locate a key path of this profile in an error (for problems found at run time).
    pub fn error_at(&self, key: &KeyPath, message: impl Into<String>) -> ProfileError {
        Source {
            file: &self.file,
            text: &self.text,
        }
        .error_at_key(key, message)
    }
}
