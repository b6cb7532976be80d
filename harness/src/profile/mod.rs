//! Target profiles: how cloison's abstract operations map to one platform's HTTP API.
//!
//! A profile is a TOML file (format in `docs/profile-format.md`). [`Profile::load`] parses and validates
//! it; every error names the file, the line, the column and what was expected. The validated
//! [`Profile`] holds compiled templates, ready for the HTTP layer.

mod deploy;
mod error;
mod raw;
pub mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use cloison_suites::Refusals;
use cloison_suites::surface::{
    DEFAULT_OWNER_FIELDS, DEFAULT_TENANT_FIELDS, DEFAULT_TENANT_HEADERS, DEFAULT_TENANT_QUERY,
};
use cloison_suites::{
    AccessPolicy, Creator, EndpointRef, Op, Param, RecordKind, Scope, Selector, Surface,
    TransitionKind,
};

pub use deploy::{
    ContainerSpec, DEFAULT_HEALTH_TIMEOUT, DEPLOY_OPTIONS, Deploy, DeployHealth, RenderError,
    image_reference,
};
pub use error::{KeyPath, ProfileError, ProfileErrorDetail, Seg, Source};
pub use raw::{AccountSource, AuthScheme, TenantMode};
use raw::{RawEndpoint, RawHeader, RawOperation, RawPolicyEntry, RawProfile, RawRefusals, RawRole};
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

/// A validated target profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Display name of the platform.
    pub name: String,
    /// Where the profile came from (for messages).
    pub file: PathBuf,
    /// Its text (to locate errors found at run time).
    pub text: String,
    /// The secrets file, resolved relative to the profile.
    pub secrets_file: Option<PathBuf>,
    /// Health check, waited for after deployment.
    pub health: Option<Endpoint>,
    /// `[[reset]]`: calls that bring the platform back to a blank state before provisioning, in order
    /// (with the operator credential when there is one).
    pub reset: Vec<Endpoint>,
    /// cloison role -> the platform's role name (`{{identity.role}}`); a role of the platform's own maps to
    /// itself.
    pub roles: BTreeMap<String, String>,
    /// Roles of the platform's own (`[roles] NAME = { staff = true }`): staff of a tenant, one identity per
    /// tenant each, with no person.
    pub staff_roles: Vec<String>,
    /// What each cloison role may see.
    pub policy: AccessPolicy,
    /// Where accounts come from.
    pub accounts: Accounts,
    /// Whether the platform has tenants, and how they come to exist.
    pub tenants: Tenants,
    /// How tenants and identities are created (when `accounts.source = "provision"`).
    pub provisioning: Option<Provisioning>,
    /// How identities authenticate.
    pub auth: Auth,
    /// What a refusal looks like, unless an endpoint says otherwise.
    pub refusals: Refusals,
    /// Per record kind, the operations the platform offers (a create's first step under `create`).
    pub resources: BTreeMap<RecordKind, BTreeMap<String, Endpoint>>,
    /// Per record kind, how a record is created: its steps and where its identifier comes from.
    pub creates: BTreeMap<RecordKind, Create>,
    /// Per record kind, the name of its main resource in the profile (`[resources.order]` holding case
    /// files); see [`Profile::kind_name`].
    pub kind_names: BTreeMap<RecordKind, String>,
    /// Other resources holding the same entity as a main one, by name: more routes to the same records
    /// (`[resources.order_pdf]` beside `[resources.order]`), probed like the main one's, never creating.
    pub views: BTreeMap<String, (RecordKind, BTreeMap<String, Endpoint>)>,
    /// Named functions of the platform, with the roles granted to call them.
    pub functions: BTreeMap<String, Endpoint>,
    /// Candidates of the tenant-selector and mass-assignment families.
    pub probing: Probing,
    /// `[transitions]`: the stateful suite's changes of state.
    pub transitions: Transitions,
    /// The platform's OpenAPI document (`openapi`).
    pub openapi: Option<OpenApiSource>,
    /// Endpoints cloison made at run time for operations of that document the profile does not describe
    /// (keys `openapi METHOD /path...`; see `crate::openapi::reach`). Empty after loading.
    pub generic: BTreeMap<String, Endpoint>,
    /// `[deploy]`: the containers `--target deploy` and `--target image:` start.
    pub deploy: Option<Deploy>,
}

/// `[probing]`, validated (defaults filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probing {
    /// Tenant selectors to try.
    pub tenant_selectors: Vec<Selector>,
    /// Body fields that may name a record's owner.
    pub owner_fields: Vec<String>,
    /// Body fields that may name a tenant.
    pub tenant_fields: Vec<String>,
    /// Probes drawn per cell (default 3).
    pub per_cell: Option<usize>,
    /// Hosts besides the target's own that redirects may lead to (`host` or `host:port`).
    pub follow_hosts: Vec<String>,
    /// Redirect hops followed at most (default 5; 0 follows none).
    pub max_redirects: usize,
}

/// `[accounts]`, validated.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// Provisioned by cloison or already present.
    pub source: AccountSource,
    /// Every case file must belong to an account of its own person: cloison creates a holder account for
    /// persons the world gives none (children, adults under guardianship).
    pub holders: bool,
    /// Accounts already present (source `existing`).
    pub existing: Vec<ExistingAccount>,
    /// The sign-up call every identity makes itself (source `register`).
    pub register: Option<Endpoint>,
}

/// `[tenants]`, validated.
#[derive(Debug, Clone)]
pub struct Tenants {
    /// How tenants come to exist (default: `provision` with provisioned accounts, `existing` otherwise).
    pub mode: TenantMode,
    /// `[tenants.create]`: the anonymous call that creates a tenant (mode `register`), made for the first
    /// identity of each tenant; its answer may give the tenant's `id` and `credential`.
    pub create: Option<Endpoint>,
    /// `[[tenants.existing]]` (mode `existing`): bound in order to the world's tenants.
    pub existing: Vec<ExistingTenant>,
}

impl Tenants {
    /// Whether the platform has tenants at all.
    pub fn exist(&self) -> bool {
        self.mode != TenantMode::None
    }

    /// The departement codes the profile asks the world to be generated for, if it names them.
    pub fn codes(&self) -> Option<Vec<String>> {
        if self.existing.is_empty() {
            return None;
        }
        self.existing.iter().map(|t| t.code.clone()).collect()
    }
}

/// A tenant that exists on the platform before the run, bound to the world's tenant of the same position.
#[derive(Debug, Clone)]
pub struct ExistingTenant {
    /// The departement code the world should give this tenant (optional: by position otherwise).
    pub code: Option<String>,
    /// The platform's identifier of the tenant (`{{tenant.id}}`).
    pub id: Option<String>,
    /// The tenant's credential (`{{tenant.credential}}`), shared by its members.
    pub credential: Option<Template>,
    /// Where it is in the profile.
    pub origin: KeyPath,
}

/// How an existing account names its tenant.
pub use raw::RawTenantRef as TenantRef;

/// An account that exists on the platform before the run.
#[derive(Debug, Clone)]
pub struct ExistingAccount {
    /// Its tenant: a departement code or a position among the world's tenants (none: the platform has no
    /// tenants).
    pub tenant: Option<TenantRef>,
    /// cloison role.
    pub role: String,
    /// Login.
    pub login: String,
    /// Password template (usually `{{secrets.NAME}}`).
    pub password: Option<Template>,
    /// Static token template (scheme `header`).
    pub token: Option<Template>,
    /// The platform's identifier of the account, if known.
    pub id: Option<String>,
    /// Per-account values the profile uses as `{{identity.attributes.NAME}}`.
    pub attributes: BTreeMap<String, Template>,
    /// Where it is in the profile.
    pub origin: KeyPath,
}

/// `[provisioning]`, validated.
#[derive(Debug, Clone)]
pub struct Provisioning {
    /// The operator credential header.
    pub operator: HeaderTemplate,
    /// Create a tenant (tenant mode `provision`).
    pub tenant: Option<Endpoint>,
    /// Create an identity (source `provision`).
    pub identity: Option<Endpoint>,
    /// Create a legal representation.
    pub representation: Option<Endpoint>,
    /// End a legal representation.
    pub end_representation: Option<Endpoint>,
}

/// `[transitions]`, validated: changes of state the stateful suite makes after setup.
#[derive(Debug, Clone, Default)]
pub struct Transitions {
    /// Move a case file to another tenant, called by staff of its current tenant (`{{case.id}}`,
    /// `{{to.code}}`, `{{to.name}}`).
    pub transfer: Option<Endpoint>,
    /// Give an identity another role, called with the operator credential (`{{identity.id}}`,
    /// `{{role}}`: the platform's name of the new role).
    pub change_role: Option<Endpoint>,
}

/// A header name and a value template.
#[derive(Debug, Clone)]
pub struct HeaderTemplate {
    /// Header name.
    pub name: String,
    /// Value template.
    pub value: Template,
}

/// `[auth]`, validated.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The scheme.
    pub scheme: AuthScheme,
    /// The login call (schemes `token` and `cookie`).
    pub login: Option<Endpoint>,
    /// Where the token is (scheme `token`).
    pub token: Option<TokenSource>,
    /// The headers that carry the credential (schemes `token` and `header`; any scheme but `basic` may
    /// send some): every request of an identity carries each of them.
    pub send: Vec<HeaderTemplate>,
    /// The logout call.
    pub logout: Option<Endpoint>,
}

/// Where a login call's token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// At this JSON pointer of the response body.
    Json(String),
    /// In this response header.
    Header(String),
}

/// Where the platform's OpenAPI document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenApiSource {
    /// A path on the target, fetched once it is deployed (`/openapi.json`).
    Target(String),
    /// An http(s) URL.
    Url(String),
    /// A file (`file:PATH`, or a relative path: relative to the profile's directory).
    File(PathBuf),
}

/// Who performs a create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The record's steward: its person's own account, or their representative.
    Owner,
    /// An agent of the record's tenant.
    Agent,
}

/// How a record comes to exist on the platform: one call or several, and where its identifier comes from.
#[derive(Debug, Clone)]
pub struct Create {
    /// The calls, in order, made by the same identity; the first is `resources.KIND.create`. The values a
    /// step extracts (other than `id`) are `{{KIND.NAME}}` in the later steps and in every later endpoint
    /// of the record.
    pub steps: Vec<Endpoint>,
    /// Where the new record's identifier comes from.
    pub id: IdSource,
}

/// Where a created record's identifier comes from.
#[derive(Debug, Clone)]
pub enum IdSource {
    /// From the answer of a step (`extract = { id = "/pointer" }`): the index of that step.
    Extracted(usize),
    /// Chosen by the client (`id = "{{case.case_number}}"`), known before the first step. When a step
    /// also extracts `id` (a key the platform rewrites, such as a slug of the one it was given), the value
    /// in its answer wins.
    Chosen {
        /// The identifier's template.
        template: Template,
        /// Where it is in the profile.
        origin: KeyPath,
        /// The step whose answer may carry the key as the platform keeps it.
        read_back: Option<usize>,
    },
    /// Found after the create (`find = { items, id }`): the kind's `list` endpoint is called as the creator
    /// and the item that carries the record's own canaries gives the identifier.
    Found {
        /// Where the list is in the list endpoint's answer (JSON pointer; `""` for the whole body).
        items: String,
        /// Where an item's identifier is (JSON pointer into the item).
        id: String,
        /// Where it is in the profile.
        origin: KeyPath,
    },
}

impl Create {
    /// The values the steps extract besides `id`: the names usable as `{{KIND.NAME}}`, with the step
    /// that extracts each.
    pub fn named_extracts(&self) -> impl Iterator<Item = (usize, &str, &str)> {
        self.steps.iter().enumerate().flat_map(|(i, step)| {
            step.extract
                .iter()
                .filter(|(name, _)| name != "id")
                .map(move |(name, pointer)| (i, name.as_str(), pointer.as_str()))
        })
    }
}

/// One HTTP call, compiled.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Where it is in the profile.
    pub origin: KeyPath,
    /// HTTP method.
    pub method: reqwest::Method,
    /// Path template (appended to the target's base URL).
    pub path: Template,
    /// Query parameters.
    pub query: Vec<(String, Template)>,
    /// Extra headers.
    pub headers: Vec<(String, Template)>,
    /// Body.
    pub body: Body,
    /// Values to take from the JSON response: name -> JSON pointer.
    pub extract: Vec<(String, String)>,
    /// Statuses that count as success (default: any 2xx).
    pub ok: Option<BTreeSet<u16>>,
    /// Who performs it (creates).
    pub actor: Option<Actor>,
    /// Refusals of this endpoint, if they differ from the profile's.
    pub refusals: Option<Refusals>,
    /// Where a write probe's marker lands in the record as read back (JSON pointer; updates).
    pub marker: Option<String>,
    /// The roles granted to call it (functions).
    pub granted: Option<Vec<String>>,
    /// The kind of record it touches (functions; default `case`).
    pub kind: Option<RecordKind>,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    None,
    /// JSON built from a template.
    Json(JsonTemplate),
    /// URL-encoded form; a field listed several times is sent several times (`name=a&name=b`).
    Form(Vec<(String, Template)>),
    /// Multipart form.
    Multipart(Vec<Part>),
    /// A raw body: a text template or the record's generated file, with its content type.
    Raw {
        /// What the body is.
        content: RawContent,
        /// The `Content-Type` header's template.
        content_type: Template,
    },
}

/// What a raw body carries.
#[derive(Debug, Clone)]
pub enum RawContent {
    /// A text template, sent as written.
    Text(Template),
    /// The generated bytes of the record (a document).
    File,
}

/// One multipart part.
#[derive(Debug, Clone)]
pub struct Part {
    /// Part name.
    pub name: String,
    /// Its content.
    pub content: PartContent,
}

/// What a multipart part carries.
#[derive(Debug, Clone)]
pub enum PartContent {
    /// A text value.
    Text(Template),
    /// The generated bytes of the record (a document), with a file name and content type.
    File {
        /// File name template.
        filename: Template,
        /// Content type template.
        content_type: Template,
    },
}

impl Endpoint {
    /// Every placeholder path of the endpoint's templates (`case.id`, `person.nir`...).
    pub fn placeholders(&self) -> BTreeSet<String> {
        self.templates()
            .into_iter()
            .flat_map(|(_, t)| t.placeholders().collect::<Vec<_>>())
            .collect()
    }

    /// The endpoint in the planner's terms. `record_names`: the placeholders that name one record of its
    /// kind (`document.id`, and the values the kind's create extracts, such as `document.blob`); `case_names`
    /// likewise for case files.
    fn reference(
        &self,
        key: String,
        kind: RecordKind,
        op: Op,
        names: &BTreeMap<RecordKind, BTreeSet<String>>,
    ) -> EndpointRef {
        let placeholders = self.placeholders();
        let names_one = |kind: RecordKind| {
            names
                .get(&kind)
                .is_some_and(|n| n.iter().any(|name| placeholders.contains(name)))
        };
        let param = if names_one(kind) {
            Param::Record
        } else if names_one(RecordKind::Case) {
            Param::Case
        } else if op == Op::Search || placeholders.iter().any(|p| p.starts_with("person.")) {
            Param::Person
        } else {
            Param::None
        };
        let open_body = match &self.body {
            Body::Json(JsonTemplate::Object(_)) | Body::Form(_) => true,
            Body::None => matches!(self.method, reqwest::Method::PATCH | reqwest::Method::PUT),
            _ => false,
        };
        EndpointRef {
            key,
            kind,
            op,
            param,
            safe: matches!(self.method, reqwest::Method::GET | reqwest::Method::HEAD),
            granted: self.granted.clone(),
            open_body,
        }
    }

    /// Whether a status counts as success.
    pub fn is_ok(&self, status: u16) -> bool {
        match &self.ok {
            Some(ok) => ok.contains(&status),
            None => (200..300).contains(&status),
        }
    }

    /// Every template of the endpoint with its key path, for validation.
    pub(crate) fn templates(&self) -> Vec<(KeyPath, &Template)> {
        let mut out = vec![(self.origin.key("path"), &self.path)];
        for (name, t) in &self.query {
            out.push((self.origin.key("query").key(name), t));
        }
        for (name, t) in &self.headers {
            out.push((self.origin.key("headers").key(name), t));
        }
        match &self.body {
            Body::None => {}
            Body::Json(json) => {
                for (at, t) in json.templates() {
                    let mut key = self.origin.key("json");
                    for seg in at {
                        key = match seg.parse::<usize>() {
                            Ok(i) => key.index(i),
                            Err(_) => key.key(&seg),
                        };
                    }
                    out.push((key, t));
                }
            }
            Body::Form(fields) => {
                for (i, (name, t)) in fields.iter().enumerate() {
                    out.push((form_key(&self.origin, fields, i, name), t));
                }
            }
            Body::Raw {
                content,
                content_type,
            } => {
                if let RawContent::Text(t) = content {
                    out.push((self.origin.key("body"), t));
                }
                out.push((self.origin.key("content_type"), content_type));
            }
            Body::Multipart(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    let key = self.origin.key("multipart").index(i);
                    match &part.content {
                        PartContent::Text(t) => out.push((key.key("value"), t)),
                        PartContent::File {
                            filename,
                            content_type,
                        } => {
                            out.push((key.key("filename"), filename));
                            out.push((key.key("content_type"), content_type));
                        }
                    }
                }
            }
        }
        out
    }
}

/// The key path of the `i`th field of a form: `form.NAME`, or `form.NAME[k]` for a repeated field.
pub(crate) fn form_key(
    origin: &KeyPath,
    fields: &[(String, Template)],
    i: usize,
    name: &str,
) -> KeyPath {
    let same: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| n == name)
        .map(|(j, _)| j)
        .collect();
    let key = origin.key("form").key(name);
    if same.len() > 1 {
        key.index(same.iter().position(|j| *j == i).unwrap_or(0))
    } else {
        key
    }
}

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
    /// `secrets_file`.
    pub fn parse(file: &Path, text: &str, base: Option<&Path>) -> Result<Self, ProfileError> {
        let source = Source { file, text };
        let raw: RawProfile = toml::from_str(text).map_err(|err| source.from_toml(&err))?;
        let maps = raw
            .maps
            .iter()
            .map(|(name, map)| (name.clone(), std::sync::Arc::new(map.clone())))
            .collect();
        let mut validator = Validator {
            source: &source,
            maps,
            kinds: BTreeMap::new(),
            aliases: BTreeMap::new(),
            staff: Vec::new(),
        };
        validator.staff = validator.own_roles(&raw.roles)?;
        validator.kinds = validator.resource_kinds(&raw.resources)?;
        validator.aliases = validator
            .kinds
            .iter()
            .filter(|(name, kind)| name.as_str() != kind.name())
            .map(|(name, kind)| (name.clone(), kind.name().to_string()))
            .collect();
        validator.profile(raw, base)
    }

    /// Locate a key path of this profile in an error (for problems found at run time).
    pub fn error_at(&self, key: &KeyPath, message: impl Into<String>) -> ProfileError {
        Source {
            file: &self.file,
            text: &self.text,
        }
        .error_at_key(key, message)
    }

    /// How records of a kind are created.
    pub fn create(&self, kind: RecordKind) -> Option<&Create> {
        self.creates.get(&kind)
    }

    /// An operation on records of a kind: the main resource's, else the first view's that offers it.
    pub fn endpoint(&self, kind: RecordKind, operation: &str) -> Option<&Endpoint> {
        self.resources
            .get(&kind)
            .and_then(|ops| ops.get(operation))
            .or_else(|| {
                self.views
                    .values()
                    .filter(|(k, _)| *k == kind)
                    .find_map(|(_, ops)| ops.get(operation))
            })
    }

    /// The profile's name for a record kind: its resource's (`order`), else the entity's (`case`).
    pub fn kind_name(&self, kind: RecordKind) -> &str {
        self.kind_names
            .get(&kind)
            .map_or(kind.name(), String::as_str)
    }

    /// Every endpoint on records of a kind, by operation: the main resource's and its views'.
    pub fn endpoints_of(&self, kind: RecordKind) -> impl Iterator<Item = (&str, &Endpoint)> {
        self.resources
            .get(&kind)
            .into_iter()
            .chain(
                self.views
                    .values()
                    .filter(move |(k, _)| *k == kind)
                    .map(|(_, ops)| ops),
            )
            .flat_map(|ops| ops.iter().map(|(op, e)| (op.as_str(), e)))
    }

    /// A record kind by its resource's name in the profile.
    pub fn kind_named(&self, name: &str) -> Option<RecordKind> {
        self.kind_names
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(kind, _)| *kind)
            .or_else(|| self.views.get(name).map(|(kind, _)| *kind))
            .or_else(|| RecordKind::ALL.into_iter().find(|k| k.name() == name))
    }

    /// An endpoint by its key in the surface: `resources.KIND.OPERATION` or `functions.NAME`.
    pub fn endpoint_by_key(&self, key: &str) -> Option<&Endpoint> {
        if key.starts_with("openapi ") {
            return self.generic.get(key);
        }
        let mut parts = key.splitn(3, '.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("resources"), Some(name), Some(op)) => {
                if let Some((_, ops)) = self.views.get(name) {
                    return ops.get(op);
                }
                let kind = self.kind_named(name)?;
                self.endpoint(kind, op)
            }
            (Some("functions"), Some(name), None) => self.functions.get(name),
            _ => None,
        }
    }

    /// The key of every endpoint the profile declares (`health`, `auth.logout`, `resources.case.read`...).
    pub fn endpoint_keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.health.is_some() {
            out.push("health".to_string());
        }
        out.extend((0..self.reset.len()).map(|i| format!("reset[{i}]")));
        if self.tenants.create.is_some() {
            out.push("tenants.create".into());
        }
        if self.accounts.register.is_some() {
            out.push("accounts.register".into());
        }
        if let Some(p) = &self.provisioning {
            if p.tenant.is_some() {
                out.push("provisioning.tenant".into());
            }
            if p.identity.is_some() {
                out.push("provisioning.identity".into());
            }
            if p.representation.is_some() {
                out.push("provisioning.representation".into());
            }
            if p.end_representation.is_some() {
                out.push("provisioning.end_representation".into());
            }
        }
        if self.auth.login.is_some() {
            out.push("auth.login".into());
        }
        if self.auth.logout.is_some() {
            out.push("auth.logout".into());
        }
        for (kind, ops) in &self.resources {
            for op in ops.keys() {
                out.push(format!("resources.{}.{op}", self.kind_name(*kind)));
            }
        }
        for (name, (_, ops)) in &self.views {
            for op in ops.keys() {
                out.push(format!("resources.{name}.{op}"));
            }
        }
        for name in self.functions.keys() {
            out.push(format!("functions.{name}"));
        }
        if self.transitions.transfer.is_some() {
            out.push("transitions.transfer".into());
        }
        if self.transitions.change_role.is_some() {
            out.push("transitions.change_role".into());
        }
        out
    }

    /// The placeholders that name one record of each kind: `KIND.id`, and the values its create extracts.
    fn record_names(&self) -> BTreeMap<RecordKind, BTreeSet<String>> {
        RecordKind::ALL
            .into_iter()
            .map(|kind| {
                let mut names: BTreeSet<String> = [format!("{}.id", kind.name())].into();
                if let Some(create) = self.creates.get(&kind) {
                    names.extend(
                        create
                            .named_extracts()
                            .map(|(_, name, _)| format!("{}.{name}", kind.name())),
                    );
                }
                (kind, names)
            })
            .collect()
    }

    /// What the target offers, in the planner's terms.
    pub fn surface(&self) -> Surface {
        let names = self.record_names();
        let mut endpoints = Vec::new();
        let resources = self
            .resources
            .iter()
            .map(|(kind, ops)| (self.kind_name(*kind), *kind, ops))
            .chain(
                self.views
                    .iter()
                    .map(|(name, (kind, ops))| (name.as_str(), *kind, ops)),
            );
        for (name, kind, ops) in resources {
            for (op_name, endpoint) in ops {
                let op = match op_name.as_str() {
                    "read" => Op::Read,
                    "download" => Op::Download,
                    "list" => Op::List,
                    "update" => Op::Update,
                    "delete" => Op::Delete,
                    "search" => Op::Search,
                    "export" => Op::Export,
                    _ => continue,
                };
                endpoints.push(endpoint.reference(
                    format!("resources.{name}.{op_name}"),
                    kind,
                    op,
                    &names,
                ));
            }
        }
        for (name, endpoint) in &self.functions {
            let kind = endpoint.kind.unwrap_or(RecordKind::Case);
            endpoints.push(endpoint.reference(format!("functions.{name}"), kind, Op::Call, &names));
        }
        let creators = self
            .resources
            .iter()
            .filter_map(|(kind, ops)| {
                let create = ops.get("create")?;
                Some((
                    *kind,
                    match create.actor {
                        Some(Actor::Agent) => Creator::Agent,
                        _ => Creator::Owner,
                    },
                ))
            })
            .collect();
        Surface {
            endpoints,
            creators,
            tenant_selectors: self.probing.tenant_selectors.clone(),
            owner_fields: self.probing.owner_fields.clone(),
            tenant_fields: self.probing.tenant_fields.clone(),
            role_fields: Vec::new(),
            transitions: self.transitions_offered(),
            no_tenants: !self.tenants.exist(),
        }
    }

    /// The transitions of the stateful suite this profile offers. Every one needs a case file to be created
    /// and read (the subject of each sequence).
    pub fn transitions_offered(&self) -> BTreeSet<TransitionKind> {
        let mut out = BTreeSet::new();
        if self.endpoint(RecordKind::Case, "create").is_none()
            || self.endpoint(RecordKind::Case, "read").is_none()
        {
            return out;
        }
        if self.auth.login.is_some() {
            out.insert(TransitionKind::Login);
            if self.auth.logout.is_some() {
                out.insert(TransitionKind::Logout);
            }
        }
        if self.transitions.transfer.is_some() {
            out.insert(TransitionKind::Transfer);
        }
        if let Some(p) = &self.provisioning
            && p.representation.is_some()
            && p.end_representation.is_some()
        {
            out.insert(TransitionKind::EndRepresentation);
            out.insert(TransitionKind::AddRepresentation);
        }
        if self.endpoint(RecordKind::Case, "delete").is_some() {
            out.insert(TransitionKind::Delete);
        }
        if self.transitions.change_role.is_some() {
            out.insert(TransitionKind::ChangeRole);
        }
        // A login alone changes nothing anybody may see: it is not a transition worth a sequence.
        if out.iter().all(|k| *k == TransitionKind::Login) {
            out.clear();
        }
        out
    }

    /// The refusals that apply to an endpoint.
    pub fn refusals_for<'a>(&'a self, endpoint: &'a Endpoint) -> &'a Refusals {
        endpoint.refusals.as_ref().unwrap_or(&self.refusals)
    }

    /// Every endpoint of the profile.
    pub fn endpoints(&self) -> Vec<&Endpoint> {
        let mut out: Vec<&Endpoint> = Vec::new();
        out.extend(self.health.iter());
        out.extend(self.reset.iter());
        out.extend(self.tenants.create.iter());
        out.extend(self.accounts.register.iter());
        if let Some(p) = &self.provisioning {
            out.extend(p.tenant.iter().chain(p.identity.iter()));
            out.extend(p.representation.iter().chain(p.end_representation.iter()));
        }
        out.extend(self.auth.login.iter().chain(self.auth.logout.iter()));
        for ops in self.resources.values() {
            out.extend(ops.values());
        }
        for (_, ops) in self.views.values() {
            out.extend(ops.values());
        }
        for create in self.creates.values() {
            out.extend(create.steps.iter().skip(1));
        }
        out.extend(self.functions.values());
        out.extend(
            self.transitions
                .transfer
                .iter()
                .chain(self.transitions.change_role.iter()),
        );
        out
    }
}

/// `[resources]`, validated: per entity, its main resource (the one that creates its records) and its
/// create; the other resources holding the same entity (views); and the main resources' names.
struct Resources {
    main: BTreeMap<RecordKind, BTreeMap<String, Endpoint>>,
    creates: BTreeMap<RecordKind, Create>,
    views: BTreeMap<String, (RecordKind, BTreeMap<String, Endpoint>)>,
    names: BTreeMap<RecordKind, String>,
}

struct Validator<'a> {
    source: &'a Source<'a>,
    maps: template::Maps,
    /// Each `[resources.NAME]` with the generated entity behind it.
    kinds: BTreeMap<String, RecordKind>,
    /// Roles of the platform's own (`[roles] auditor = { staff = true }`), beside cloison's four.
    staff: Vec<String>,
    /// Resource names that differ from their entity's, as placeholder roots to read as the entity's
    /// (`{{order.id}}` is `{{case.id}}` where `[resources.order]` holds case files).
    aliases: BTreeMap<String, String>,
}

/// Placeholder roots other than the entities': a resource the profile names may not take one of them.
const RESERVED_ROOTS: &[&str] = &[
    "tenant",
    "identity",
    "probe",
    "secrets",
    "token",
    "to",
    "role",
    "representation",
    "representative",
    "represented",
];

const ROOTS_SECRETS: &[&str] = &["secrets"];
const ROOTS_TENANT: &[&str] = &["tenant", "secrets"];
const ROOTS_IDENTITY: &[&str] = &["tenant", "identity", "person", "secrets"];
const ROOTS_REPRESENTATION: &[&str] = &[
    "tenant",
    "representation",
    "representative",
    "represented",
    "secrets",
];
const ROOTS_SEND: &[&str] = &["tenant", "identity", "token", "secrets"];
const ROOTS_TENANT_CREATE: &[&str] = &["tenant", "identity", "person", "secrets"];
const ROOTS_TRANSFER: &[&str] = &["tenant", "identity", "person", "case", "to", "secrets"];
const ROOTS_CHANGE_ROLE: &[&str] = &["tenant", "identity", "role", "secrets"];

fn record_roots(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Case => &["tenant", "identity", "person", "case", "probe", "secrets"],
        RecordKind::Document => &[
            "tenant", "identity", "person", "case", "document", "probe", "secrets",
        ],
        RecordKind::Note => &[
            "tenant", "identity", "person", "case", "note", "probe", "secrets",
        ],
        RecordKind::Decision => &[
            "tenant", "identity", "person", "case", "decision", "probe", "secrets",
        ],
        RecordKind::Account => &[
            "tenant", "identity", "person", "account", "probe", "secrets",
        ],
        RecordKind::Person => &["tenant", "identity", "person", "probe", "secrets"],
    }
}

impl Validator<'_> {
    fn err(&self, key: &KeyPath, message: impl Into<String>) -> ProfileError {
        self.source.error_at_key(key, message)
    }

    /// The name the profile gives a record kind: its resource's, else the entity's.
    fn resource_name(&self, kind: RecordKind) -> String {
        self.kinds
            .iter()
            .find(|(_, k)| **k == kind)
            .map_or_else(|| kind.name().to_string(), |(name, _)| name.clone())
    }

    /// A record kind by the name the profile gives it (`[resources.NAME]`), or by its entity's name.
    fn kind_named(&self, name: &str) -> Option<RecordKind> {
        self.kinds
            .get(name)
            .copied()
            .or_else(|| RecordKind::ALL.into_iter().find(|k| k.name() == name))
    }

    /// The names a record kind may be given here: the profile's resources, then the entities not bound
    /// under another name.
    fn kind_choices(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.kinds.keys().map(String::as_str).collect();
        for kind in RecordKind::ALL {
            if !self.kinds.values().any(|k| *k == kind) {
                out.push(kind.name());
            }
        }
        out
    }

    /// Each `[resources.NAME]` with the generated entity behind it: `entity = "..."`, or the name itself
    /// when it is an entity's. An entity backs one resource; a name of the profile's may not be another
    /// entity's nor a placeholder root.
    fn resource_kinds(
        &self,
        raw: &BTreeMap<String, BTreeMap<String, RawOperation>>,
    ) -> Result<BTreeMap<String, RecordKind>, ProfileError> {
        let at = KeyPath::root("resources");
        let entities = RecordKind::ALL.map(RecordKind::name);
        let mut out = BTreeMap::new();
        for (name, ops) in raw {
            let kind = match ops.get("entity") {
                Some(RawOperation::Text(entity)) => {
                    let Some(kind) = RecordKind::ALL.into_iter().find(|k| k.name() == entity)
                    else {
                        return Err(self.err(
                            &at.key(name).key("entity"),
                            format!(
                                "unknown entity `{entity}`: expected one of {}",
                                quoted(&entities)
                            ),
                        ));
                    };
                    if name != entity && entities.contains(&name.as_str()) {
                        return Err(self.err(
                            &at.key(name),
                            format!("`{name}` is the name of the generated {name}s: a resource holding {entity}s needs another name (or none: `[resources.{entity}]`)"),
                        ));
                    }
                    if RESERVED_ROOTS.contains(&name.as_str()) {
                        return Err(self.err(
                            &at.key(name),
                            format!("`{name}` is a placeholder root already (`{{{{{name}.…}}}}`): give this resource another name"),
                        ));
                    }
                    let well_formed = name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !well_formed {
                        return Err(self.err(
                            &at.key(name),
                            format!("`{name}` cannot be a placeholder root (`{{{{{name}.id}}}}`): expected ASCII letters, digits, `_` or `-`"),
                        ));
                    }
                    kind
                }
                Some(_) => {
                    return Err(self.err(
                        &at.key(name).key("entity"),
                        format!(
                            "`entity` names the generated entity this resource holds: expected a string among {}",
                            quoted(&entities)
                        ),
                    ));
                }
                None => match RecordKind::ALL.into_iter().find(|k| k.name() == name) {
                    Some(kind) => kind,
                    None => {
                        return Err(self.err(
                            &at.key(name),
                            format!(
                                "unknown resource `{name}`: expected one of {}, or `entity = \"...\"` naming which of them the platform's `{name}` holds",
                                quoted(&entities)
                            ),
                        ));
                    }
                },
            };
            out.insert(name.clone(), kind);
        }
        Ok(out)
    }

    fn profile(&self, raw: RawProfile, base: Option<&Path>) -> Result<Profile, ProfileError> {
        // Format 2 adds keys to format 1 and changes none: a format 1 file loads as it is.
        if !(1..=2).contains(&raw.format) {
            return Err(self.err(
                &KeyPath::root("format"),
                format!("unsupported format {}: expected 1 or 2", raw.format),
            ));
        }
        if raw.name.trim().is_empty() {
            return Err(self.err(
                &KeyPath::root("name"),
                "empty name: expected the platform's name",
            ));
        }
        let roles = self.roles(raw.roles)?;
        let policy = self.policy(&raw.policy, &roles)?;
        let refusals = self.refusals(&KeyPath::root("refusals"), &raw.refusals)?;
        let health = raw
            .health
            .as_ref()
            .map(|e| self.endpoint(&KeyPath::root("health"), e, ROOTS_SECRETS))
            .transpose()?;
        let reset = raw
            .reset
            .iter()
            .enumerate()
            .map(|(i, e)| self.endpoint(&KeyPath::root("reset").index(i), e, ROOTS_SECRETS))
            .collect::<Result<Vec<_>, _>>()?;
        let accounts = self.accounts(raw.accounts)?;
        let tenants = self.tenants(raw.tenants, &accounts)?;
        let provisioning = match (&raw.provisioning, accounts.source) {
            (Some(p), _) => Some(self.provisioning(p, &accounts, &tenants)?),
            (None, AccountSource::Provision) => {
                return Err(self.err(
                    &KeyPath::root("accounts").key("source"),
                    "accounts are provisioned but the profile has no [provisioning] table: expected \
                     [provisioning] with `operator`, `tenant` and `identity`, or `source = \"existing\"`",
                ));
            }
            (None, _) => None,
        };
        let auth = self.auth(raw.auth, &accounts)?;
        let Resources {
            main: resources,
            creates,
            views,
            names: kind_names,
        } = self.resources(&raw.resources)?;
        let functions = self.functions(&raw.functions)?;
        let probing = self.probing(raw.probing.unwrap_or_default())?;
        let transitions = self.transitions(raw.transitions.unwrap_or_default())?;
        if transitions.change_role.is_some() && provisioning.is_none() {
            return Err(self.err(
                &KeyPath::root("transitions").key("change_role"),
                "a role change is called with the operator credential: expected a [provisioning] table",
            ));
        }
        let mut sample = sample_fields();
        for (kind, create) in &creates {
            for (_, name, _) in create.named_extracts() {
                sample[kind.name()][name] = serde_json::Value::String(String::new());
            }
        }
        let mut all: Vec<(KeyPath, &Endpoint)> = Vec::new();
        all.extend(health.iter().map(|e| (KeyPath::root("health"), e)));
        all.extend(reset.iter().map(|e| (e.origin.clone(), e)));
        all.extend(
            tenants
                .create
                .iter()
                .chain(accounts.register.iter())
                .map(|e| (e.origin.clone(), e)),
        );
        if let Some(p) = &provisioning {
            all.extend(
                p.tenant
                    .iter()
                    .chain(p.identity.iter())
                    .map(|e| (e.origin.clone(), e)),
            );
            all.extend(
                p.representation
                    .iter()
                    .chain(p.end_representation.iter())
                    .map(|e| (e.origin.clone(), e)),
            );
        }
        all.extend(
            auth.login
                .iter()
                .chain(auth.logout.iter())
                .map(|e| (e.origin.clone(), e)),
        );
        for ops in resources.values().chain(views.values().map(|(_, ops)| ops)) {
            all.extend(ops.values().map(|e| (e.origin.clone(), e)));
        }
        for create in creates.values() {
            all.extend(create.steps.iter().skip(1).map(|e| (e.origin.clone(), e)));
        }
        all.extend(functions.values().map(|e| (e.origin.clone(), e)));
        all.extend(
            transitions
                .transfer
                .iter()
                .chain(transitions.change_role.iter())
                .map(|e| (e.origin.clone(), e)),
        );
        let sample = with_attributes(sample, &accounts);
        // `[provisioning.tenant]` may give `{{tenant.id}}`.
        let provisioned_id = provisioning
            .as_ref()
            .and_then(|p| p.tenant.as_ref())
            .is_some_and(|t| t.extract.iter().any(|(n, _)| n == "id"));
        let setup_keys = [
            "accounts.register",
            "provisioning.identity",
            "auth.login",
            "auth.logout",
        ];
        for (_, endpoint) in &all {
            let setup = setup_keys.contains(&endpoint.origin.to_string().as_str());
            for (key, template) in endpoint.templates() {
                self.check_fields(&key, template, &sample)?;
                self.check_tenant_fields(&key, template, &tenants, provisioned_id, setup)?;
            }
        }
        for create in creates.values() {
            if let IdSource::Chosen {
                template, origin, ..
            } = &create.id
            {
                self.check_fields(origin, template, &sample)?;
            }
        }
        self.check_extracts_used(&creates, &all)?;
        for (i, send) in auth.send.iter().enumerate() {
            let key = if auth.send.len() == 1 {
                KeyPath::root("auth").key("send").key("value")
            } else {
                KeyPath::root("auth").key("send").index(i).key("value")
            };
            self.check_fields(&key, &send.value, &sample)?;
            self.check_tenant_fields(&key, &send.value, &tenants, provisioned_id, true)?;
        }
        if accounts.source == AccountSource::None {
            let uses_credential = auth
                .send
                .iter()
                .map(|s| &s.value)
                .chain(
                    auth.login
                        .iter()
                        .flat_map(|l| l.templates().into_iter().map(|(_, t)| t)),
                )
                .any(|t| t.placeholders().any(|p| p == "tenant.credential"));
            if !uses_credential {
                return Err(self.err(&KeyPath::root("accounts").key("source"), "with `source = \"none\"` identities have no credential of their own: expected `{{tenant.credential}}` in `auth.send` or [auth.login] (a tenant's key shared by its members); the caller without any credential is always probed by the `anonymous` family"));
            }
        }
        self.check_attributes(&accounts)?;
        let secrets_file = raw.secrets_file.map(|f| match base {
            Some(base) => base.join(f),
            None => PathBuf::from(f),
        });
        let openapi = self.openapi(raw.openapi, base)?;
        let deploy = self.deploy(raw.deploy)?;
        Ok(Profile {
            name: raw.name,
            file: self.source.file.to_path_buf(),
            text: self.source.text.to_string(),
            secrets_file,
            health,
            reset,
            roles,
            staff_roles: self.staff.clone(),
            policy,
            accounts,
            tenants,
            provisioning,
            auth,
            refusals,
            resources,
            creates,
            kind_names,
            views,
            functions,
            probing,
            transitions,
            openapi,
            generic: BTreeMap::new(),
            deploy,
        })
    }

    /// `openapi`: a path on the target, an http(s) URL, or a file relative to the profile's directory.
    fn openapi(
        &self,
        raw: Option<String>,
        base: Option<&Path>,
    ) -> Result<Option<OpenApiSource>, ProfileError> {
        let Some(text) = raw else {
            return Ok(None);
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(self.err(
                &KeyPath::root("openapi"),
                "empty: expected a path on the target (`/openapi.json`), an http(s) URL, or a file (`file:PATH`)",
            ));
        }
        if text.starts_with('/') {
            return Ok(Some(OpenApiSource::Target(text.to_string())));
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(Some(OpenApiSource::Url(text.to_string())));
        }
        let file = Path::new(text.strip_prefix("file:").unwrap_or(text));
        Ok(Some(OpenApiSource::File(match base {
            Some(base) if file.is_relative() => base.join(file),
            _ => file.to_path_buf(),
        })))
    }

    /// Every placeholder must name a field that exists: a misspelt field is an error at load, never an
    /// empty value or a failure mid-run.
    fn check_fields(
        &self,
        at: &KeyPath,
        template: &Template,
        sample: &serde_json::Value,
    ) -> Result<(), ProfileError> {
        for path in template.paths() {
            let Some(root) = path.first() else { continue };
            // Secrets come from a file read at run time; a token is a single value.
            if root == "secrets" || root == "token" {
                continue;
            }
            let mut node = &sample[root.as_str()];
            for (depth, segment) in path.iter().enumerate().skip(1) {
                match node {
                    serde_json::Value::Object(map) => match map.get(segment) {
                        Some(next) => node = next,
                        None => {
                            let mut known: Vec<&str> = map.keys().map(String::as_str).collect();
                            known.sort_unstable();
                            return Err(self.err(
                                at,
                                format!(
                                    "`{{{{{}}}}}` names no value: `{}` has no field `{segment}`; expected one of {}",
                                    path.join("."),
                                    path[..depth].join("."),
                                    quoted(&known)
                                ),
                            ));
                        }
                    },
                    // A list or a value of unknown shape (absent from the sample): nothing more to check.
                    _ => break,
                }
            }
        }
        Ok(())
    }

    /// A value a create extracts must be used: by a later step or by another endpoint of the record, as
    /// `{{KIND.NAME}}`; a step may only use what earlier steps extracted.
    fn check_extracts_used(
        &self,
        creates: &BTreeMap<RecordKind, Create>,
        all: &[(KeyPath, &Endpoint)],
    ) -> Result<(), ProfileError> {
        for (kind, create) in creates {
            for (i, step) in create.steps.iter().enumerate() {
                for (key, template) in step.templates() {
                    for placeholder in template.placeholders() {
                        let later = create.named_extracts().find(|(j, name, _)| {
                            *j >= i && placeholder == format!("{}.{name}", kind.name())
                        });
                        if let Some((j, _, _)) = later {
                            return Err(self.err(
                                &key,
                                format!(
                                    "`{{{{{placeholder}}}}}` is extracted by {}: a step can only use what earlier steps extracted",
                                    if j == i { "this same step".to_string() } else { format!("a later step (`{}`)", create.steps[j].origin) }
                                ),
                            ));
                        }
                    }
                }
            }
            for (j, name, _) in create.named_extracts() {
                let wanted = format!("{}.{name}", kind.name());
                let used = all.iter().any(|(_, e)| e.placeholders().contains(&wanted));
                if !used {
                    return Err(self.err(
                        &create.steps[j].origin.key("extract").key(name),
                        format!(
                            "`{name}` would be extracted and never used: expected `{{{{{wanted}}}}}` in a later step or in another endpoint of the {}",
                            kind.name()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A create: one call or steps, each an endpoint with the record's roots; where the identifier comes
    /// from.
    fn create(
        &self,
        at: &KeyPath,
        kind: RecordKind,
        raw: &RawOperation,
        list: Option<&RawOperation>,
    ) -> Result<Create, ProfileError> {
        let raws: Vec<(KeyPath, &RawEndpoint)> = match raw {
            RawOperation::One(e) => vec![(at.clone(), e.as_ref())],
            RawOperation::Steps(steps) => steps
                .iter()
                .enumerate()
                .map(|(i, e)| (at.index(i), e))
                .collect(),
            RawOperation::Text(_) => Vec::new(),
        };
        if raws.is_empty() {
            return Err(self.err(
                at,
                "an empty list of steps: expected at least one [[resources.KIND.create]] table",
            ));
        }
        let sample = sample_fields();
        let mut steps = Vec::new();
        let mut id = None;
        let mut names: BTreeSet<String> = BTreeSet::new();
        for (i, (key, raw_step)) in raws.iter().enumerate() {
            if raw_step.granted.is_some() || raw_step.kind.is_some() {
                return Err(self.err(key, "`granted` and `kind` belong to [functions.NAME] entries: the access to a resource's records is stated in [policy]"));
            }
            if raw_step.marker.is_some() {
                return Err(self.err(
                    &key.key("marker"),
                    "`marker` is only read on `update` endpoints: remove it",
                ));
            }
            if i > 0 && raw_step.actor.is_some() {
                return Err(self.err(&key.key("as"), "the steps of a create are made by the same identity: `as` belongs to the first step only"));
            }
            let step = self.endpoint_of(key, raw_step, record_roots(kind), true)?;
            for (name, _) in &step.extract {
                if name == "id" {
                    continue;
                }
                if sample[kind.name()].get(name).is_some() {
                    return Err(self.err(&key.key("extract").key(name), format!("`{name}` is already a value of `{}` (`{{{{{}.{name}}}}}`): choose another name", kind.name(), kind.name())));
                }
                if !names.insert(name.clone()) {
                    return Err(self.err(
                        &key.key("extract").key(name),
                        format!(
                            "`{name}` is extracted by an earlier step already: choose another name"
                        ),
                    ));
                }
            }
            let extracts_id = step.extract.iter().any(|(name, _)| name == "id");
            let chosen = raw_step.id.as_deref();
            let found = raw_step.find.as_ref();
            let declared =
                usize::from(extracts_id || chosen.is_some()) + usize::from(found.is_some());
            if declared > 0 && id.is_some() {
                return Err(self.err(key, "an earlier step already says where the record's identifier comes from: expected `id`, `extract.id` or `find` on one step only"));
            }
            if found.is_some() && (extracts_id || chosen.is_some()) {
                return Err(self.err(&key.key("find"), "`find` looks the identifier up in a list: it cannot be combined with `id` or `extract.id`"));
            }
            if let Some(text) = chosen {
                let template = self.template(&key.key("id"), text, record_roots(kind))?;
                id = Some(IdSource::Chosen {
                    template,
                    origin: key.key("id"),
                    read_back: extracts_id.then_some(i),
                });
            } else if extracts_id {
                id = Some(IdSource::Extracted(i));
            } else if let Some(found) = found {
                if list.is_none() {
                    return Err(self.err(&key.key("find"), format!("`find` lists the records to find the new one: expected a [resources.{}.list] endpoint", kind.name())));
                }
                id = Some(IdSource::Found {
                    items: found
                        .items
                        .as_deref()
                        .map(|p| self.pointer(&key.key("find").key("items"), p))
                        .transpose()?
                        .unwrap_or_default(),
                    id: self.pointer(&key.key("find").key("id"), &found.id)?,
                    origin: key.key("find"),
                });
            }
            steps.push(step);
        }
        let Some(id) = id else {
            return Err(self.err(at, "a create must say where the new record's identifier is: expected `extract = { id = \"/id\" }` (in the answer), `id = \"{{case.case_number}}\"` (chosen by the client), or `find = { items = \"/items\", id = \"/id\" }` (looked up in the list after the create)"));
        };
        if steps[0].actor.is_none() {
            return Err(self.err(
                &raws[0].0,
                "a create must say who performs it: expected `as = \"owner\"` or `as = \"agent\"`",
            ));
        }
        Ok(Create { steps, id })
    }

    fn functions(
        &self,
        raw: &BTreeMap<String, RawEndpoint>,
    ) -> Result<BTreeMap<String, Endpoint>, ProfileError> {
        let at = KeyPath::root("functions");
        let mut out = BTreeMap::new();
        for (name, raw_endpoint) in raw {
            let key = at.key(name);
            let Some(granted) = &raw_endpoint.granted else {
                return Err(self.err(&key, "a function must say which roles may call it: expected `granted = [\"agent\", ...]` (an empty list if no role may)"));
            };
            for (i, role) in granted.iter().enumerate() {
                if !self.is_role(role) {
                    return Err(self.err(
                        &key.key("granted").index(i),
                        format!(
                            "unknown role `{role}`: expected one of {}",
                            quoted(&self.role_names())
                        ),
                    ));
                }
            }
            let kind = match raw_endpoint.kind.as_deref() {
                None => None,
                Some(kind) => Some(self.kind_named(kind).ok_or_else(|| {
                    self.err(
                        &key.key("kind"),
                        format!(
                            "unknown kind `{kind}`: expected one of {}",
                            quoted(&self.kind_choices())
                        ),
                    )
                })?),
            };
            let roots = record_roots(kind.unwrap_or(RecordKind::Case));
            let mut endpoint = self.endpoint(&key, raw_endpoint, roots)?;
            endpoint.granted = Some(granted.clone());
            endpoint.kind = kind;
            out.insert(name.clone(), endpoint);
        }
        Ok(out)
    }

    fn probing(&self, raw: raw::RawProbing) -> Result<Probing, ProfileError> {
        let at = KeyPath::root("probing");
        let owned = |list: Option<Vec<String>>, default: &[&str]| {
            list.unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
        };
        let headers = owned(raw.tenant_headers, &DEFAULT_TENANT_HEADERS);
        for (i, header) in headers.iter().enumerate() {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(self.err(
                    &at.key("tenant_headers").index(i),
                    format!("`{header}` is not a valid header name"),
                ));
            }
        }
        if raw.per_cell == Some(0) {
            return Err(self.err(
                &at.key("per_cell"),
                "0 probes per cell would test nothing: expected at least 1",
            ));
        }
        let mut tenant_selectors: Vec<Selector> =
            headers.into_iter().map(Selector::Header).collect();
        tenant_selectors.extend(
            owned(raw.tenant_query, &DEFAULT_TENANT_QUERY)
                .into_iter()
                .map(Selector::Query),
        );
        let follow_hosts = raw.follow_hosts.unwrap_or_default();
        for (i, host) in follow_hosts.iter().enumerate() {
            if let Err(why) = check_host(host) {
                return Err(self.err(&at.key("follow_hosts").index(i), why));
            }
        }
        let max_redirects = raw.max_redirects.unwrap_or(5);
        if max_redirects > 20 {
            return Err(self.err(
                &at.key("max_redirects"),
                format!("{max_redirects} redirects: expected at most 20"),
            ));
        }
        Ok(Probing {
            tenant_selectors,
            owner_fields: owned(raw.owner_fields, &DEFAULT_OWNER_FIELDS),
            tenant_fields: owned(raw.tenant_fields, &DEFAULT_TENANT_FIELDS),
            per_cell: raw.per_cell,
            follow_hosts,
            max_redirects,
        })
    }

    /// `[policy]`: keys are cloison's roles or the platform's names of them (`[roles]`).
    fn policy(
        &self,
        raw: &BTreeMap<String, RawPolicyEntry>,
        platform_roles: &BTreeMap<String, String>,
    ) -> Result<AccessPolicy, ProfileError> {
        let at = KeyPath::root("policy");
        let mut policy = AccessPolicy::new();
        let mut roles: BTreeMap<String, (&String, &Vec<String>)> = BTreeMap::new();
        let mut kinds = Vec::new();
        for (name, entry) in raw {
            match entry {
                // The anonymous caller (the `anonymous` family's, with no credential at all) sees
                // nothing.
                RawPolicyEntry::Scopes(names) if name == ANONYMOUS => {
                    if names.as_slice() != ["nothing"] {
                        return Err(self.err(&at.key(name), "an anonymous caller (no credential) may see no record: expected `anonymous = [\"nothing\"]` (public records are not modelled)"));
                    }
                }
                RawPolicyEntry::Scopes(names) => {
                    let role = self.policy_role(&at, name, platform_roles)?;
                    if let Some((earlier, _)) = roles.get(&role) {
                        return Err(self.err(
                            &at.key(name),
                            format!("role `{role}` is given twice: as `{earlier}` and as `{name}`"),
                        ));
                    }
                    roles.insert(role, (name, names));
                }
                RawPolicyEntry::Kind(table) => kinds.push((name, table)),
            }
        }
        for (role, (name, names)) in &roles {
            let (scopes, read_only) = self.scopes(&at.key(name), names)?;
            policy = policy.with_role(role.clone(), scopes);
            if !read_only.is_empty() {
                policy = policy.with_read_only(role.clone(), read_only);
            }
        }
        for role in self.role_names() {
            if !roles.contains_key(role) {
                return Err(self.err(&at, format!("the policy says nothing about role `{role}`: expected `{role} = [...]` (`[\"nothing\"]` if it sees no record)")));
            }
        }
        // `[policy.KIND]`: other scopes for some roles on records of one kind.
        for (kind_name, table) in kinds {
            let Some(kind) = self.kind_named(kind_name) else {
                return Err(self.err(
                    &at.key(kind_name),
                    format!(
                        "`{kind_name}` is neither a role (with a list of scopes) nor a record kind (with a table of roles): expected a role among {} or a kind among {}",
                        quoted(&self.role_names()),
                        quoted(&self.kind_choices())
                    ),
                ));
            };
            let at = at.key(kind_name);
            for (name, names) in table {
                let role = self.policy_role(&at, name, platform_roles)?;
                let (scopes, read_only) = self.scopes(&at.key(name), names)?;
                policy = policy.with_kind_role(kind, role.clone(), scopes);
                if !read_only.is_empty() {
                    policy = policy.with_kind_read_only(kind, role.clone(), read_only);
                }
            }
        }
        Ok(policy)
    }

    /// The cloison role a policy key names: itself, or the role the platform calls so in `[roles]`.
    fn policy_role(
        &self,
        at: &KeyPath,
        name: &str,
        platform_roles: &BTreeMap<String, String>,
    ) -> Result<String, ProfileError> {
        if self.is_role(name) {
            return Ok(name.to_string());
        }
        if let Some((role, _)) = platform_roles
            .iter()
            .find(|(role, platform)| *platform == name && role != platform)
        {
            return Ok(role.clone());
        }
        let named: Vec<&str> = platform_roles
            .iter()
            .filter(|(role, platform)| role != platform)
            .map(|(_, platform)| platform.as_str())
            .collect();
        let also = if named.is_empty() {
            String::new()
        } else {
            format!(
                " or the platform's name of one in [roles] ({})",
                quoted(&named)
            )
        };
        Err(self.err(
            &at.key(name),
            format!(
                "unknown role `{name}`: expected one of {}{also}",
                quoted(&self.role_names())
            ),
        ))
    }

    /// A role's list of scopes: each `SCOPE` (reading and changing) or `SCOPE:read` (reading only).
    /// Returns every scope, and those that grant reading only.
    fn scopes(
        &self,
        at: &KeyPath,
        names: &[String],
    ) -> Result<(Vec<Scope>, Vec<Scope>), ProfileError> {
        let mut scopes = Vec::new();
        let mut read_only = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let (base, only_read) = match name.split_once(':') {
                Some((base, "read")) => (base, true),
                Some((_, suffix)) => {
                    return Err(self.err(
                        &at.index(i),
                        format!("unknown suffix `:{suffix}` in `{name}`: expected `SCOPE` or `SCOPE:read` (reading only)"),
                    ));
                }
                None => (name.as_str(), false),
            };
            let Some(scope) = Scope::from_name(base) else {
                return Err(self.err(
                    &at.index(i),
                    format!(
                        "unknown scope `{base}`: expected one of {} (each may end in `:read` for reading only)",
                        quoted(&Scope::ALL.map(Scope::name))
                    ),
                ));
            };
            if scope == Scope::Nothing && only_read {
                return Err(self.err(
                    &at.index(i),
                    "`nothing:read` means nothing: expected `nothing`",
                ));
            }
            if scopes.contains(&scope) {
                return Err(self.err(&at.index(i), format!("scope `{base}` given twice")));
            }
            scopes.push(scope);
            if only_read {
                read_only.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(self.err(
                at,
                "empty list: expected at least one scope (`nothing` if the role sees no record)",
            ));
        }
        if scopes.contains(&Scope::Nothing) && scopes.len() > 1 {
            return Err(self.err(at, "`nothing` cannot be combined with other scopes"));
        }
        Ok((scopes, read_only))
    }

    /// Roles of the platform's own: `[roles] NAME = { staff = true }`, each a tenant's staff with one
    /// identity per tenant and no person, named by the platform (its `{{identity.role}}` is NAME).
    fn own_roles(&self, raw: &BTreeMap<String, RawRole>) -> Result<Vec<String>, ProfileError> {
        let at = KeyPath::root("roles");
        let mut out = Vec::new();
        for (name, role) in raw {
            let RawRole::Own(own) = role else { continue };
            if CLOISON_ROLES.contains(&name.as_str()) {
                return Err(self.err(&at.key(name), format!("`{name}` is one of cloison's roles: give the platform's name of it as a string (`{name} = \"...\"`)")));
            }
            if name == ANONYMOUS {
                return Err(self.err(
                    &at.key(name),
                    "`anonymous` is the caller without credentials: give this role another name",
                ));
            }
            if !own.staff {
                return Err(self.err(&at.key(name).key("staff"), "a role of the platform's own is a tenant's staff: expected `staff = true` (persons' roles are cloison's `applicant` and `representative`)"));
            }
            let named = raw
                .iter()
                .find(|(_, r)| matches!(r, RawRole::Name(n) if n == name));
            if let Some((role, _)) = named {
                return Err(self.err(&at.key(name), format!("`{name}` is already the platform's name of `{role}`: a role of the platform's own needs a name of its own")));
            }
            out.push(name.clone());
        }
        Ok(out)
    }

    /// Every role a policy, a function or an account may name: cloison's, then the platform's own.
    fn role_names(&self) -> Vec<&str> {
        CLOISON_ROLES
            .iter()
            .copied()
            .chain(self.staff.iter().map(String::as_str))
            .collect()
    }

    fn is_role(&self, name: &str) -> bool {
        CLOISON_ROLES.contains(&name) || self.staff.iter().any(|s| s == name)
    }

    fn roles(
        &self,
        raw: BTreeMap<String, RawRole>,
    ) -> Result<BTreeMap<String, String>, ProfileError> {
        let mut roles = BTreeMap::new();
        for role in self.role_names() {
            roles.insert(role.to_string(), role.to_string());
        }
        for (role, platform) in raw {
            let RawRole::Name(platform) = platform else {
                continue;
            };
            if !CLOISON_ROLES.contains(&role.as_str()) {
                return Err(self.err(
                    &KeyPath::root("roles").key(&role),
                    format!(
                        "unknown role `{role}`: expected one of {}",
                        quoted(&CLOISON_ROLES)
                    ),
                ));
            }
            roles.insert(role, platform);
        }
        Ok(roles)
    }

    fn accounts(&self, raw: raw::RawAccounts) -> Result<Accounts, ProfileError> {
        let at = KeyPath::root("accounts");
        match raw.source {
            AccountSource::Provision | AccountSource::Register | AccountSource::None
                if !raw.existing.is_empty() =>
            {
                return Err(self.err(&at.key("existing"), "existing accounts are listed but accounts are not `source = \"existing\"`: expected `source = \"existing\"`"));
            }
            AccountSource::Existing if raw.existing.is_empty() => {
                return Err(self.err(&at.key("source"), "`source = \"existing\"` but no account is listed: expected [[accounts.existing]] entries"));
            }
            AccountSource::Register if raw.register.is_none() => {
                return Err(self.err(&at.key("source"), "`source = \"register\"` but no sign-up call: expected [accounts.register], the call every identity makes to create its own account"));
            }
            AccountSource::Provision | AccountSource::Existing | AccountSource::None
                if raw.register.is_some() =>
            {
                return Err(self.err(&at.key("register"), "[accounts.register] is only called with `source = \"register\"`: remove it, or set `source = \"register\"`"));
            }
            _ => {}
        }
        let register = raw
            .register
            .as_ref()
            .map(|e| {
                self.endpoint_extracting(&at.key("register"), e, ROOTS_IDENTITY, &["id", "token"])
            })
            .transpose()?;
        let mut existing = Vec::new();
        for (i, account) in raw.existing.into_iter().enumerate() {
            let origin = at.key("existing").index(i);
            if !self.is_role(&account.role) {
                return Err(self.err(
                    &origin.key("role"),
                    format!(
                        "unknown role `{}`: expected one of {}",
                        account.role,
                        quoted(&self.role_names())
                    ),
                ));
            }
            let password = account
                .password
                .as_deref()
                .map(|t| self.template(&origin.key("password"), t, ROOTS_SECRETS))
                .transpose()?;
            let token = account
                .token
                .as_deref()
                .map(|t| self.template(&origin.key("token"), t, ROOTS_SECRETS))
                .transpose()?;
            if password.is_none() && token.is_none() {
                return Err(self.err(&origin, "an existing account needs a `password` or a `token` (usually `\"{{secrets.NAME}}\"`)"));
            }
            let mut attributes = BTreeMap::new();
            for (name, value) in &account.attributes {
                let key = origin.key("attributes").key(name);
                attributes.insert(name.clone(), self.template(&key, value, ROOTS_SECRETS)?);
            }
            existing.push(ExistingAccount {
                tenant: account.tenant,
                role: account.role,
                login: account.login,
                password,
                token,
                id: account.id,
                attributes,
                origin,
            });
        }
        Ok(Accounts {
            source: raw.source,
            holders: raw.holders,
            existing,
            register,
        })
    }

    /// `[tenants]`: the mode (defaulting from the accounts' source), and what that mode needs.
    fn tenants(
        &self,
        raw: Option<raw::RawTenants>,
        accounts: &Accounts,
    ) -> Result<Tenants, ProfileError> {
        let at = KeyPath::root("tenants");
        let raw = raw.unwrap_or_default();
        let mode = match (raw.mode, accounts.source) {
            (Some(mode), _) => mode,
            (None, AccountSource::Provision) => TenantMode::Provision,
            (None, AccountSource::Existing) => TenantMode::Existing,
            (None, _) if raw.create.is_some() => TenantMode::Register,
            (None, _) if !raw.existing.is_empty() => TenantMode::Existing,
            (None, _) => {
                return Err(self.err(&KeyPath::root("accounts").key("source"), "say how tenants come to exist: expected `[tenants] mode = \"none\"` (no tenants), `\"register\"` (with [tenants.create]), `\"existing\"` or `\"provision\"`"));
            }
        };
        let mode_key = at.key("mode");
        if accounts.source == AccountSource::Existing
            && !matches!(mode, TenantMode::Existing | TenantMode::None)
        {
            return Err(self.err(&mode_key, "existing accounts belong to tenants that exist too: expected `mode = \"existing\"` or `mode = \"none\"`"));
        }
        let create = match (&raw.create, mode) {
            (Some(e), TenantMode::Register) => Some(self.endpoint_extracting(
                &at.key("create"),
                e,
                ROOTS_TENANT_CREATE,
                &["id", "credential", "code"],
            )?),
            (None, TenantMode::Register) => {
                return Err(self.err(&mode_key, "`mode = \"register\"` but no call creates a tenant: expected [tenants.create], called anonymously for the first identity of each tenant"));
            }
            (Some(_), _) => {
                return Err(self.err(&at.key("create"), "[tenants.create] is only called with `mode = \"register\"`: remove it, or set `mode = \"register\"`"));
            }
            (None, _) => None,
        };
        if !raw.existing.is_empty() && mode != TenantMode::Existing {
            return Err(self.err(&at.key("existing"), "[[tenants.existing]] is only read with `mode = \"existing\"`: remove it, or set `mode = \"existing\"`"));
        }
        let mut existing = Vec::new();
        for (i, tenant) in raw.existing.iter().enumerate() {
            let origin = at.key("existing").index(i);
            let credential = tenant
                .credential
                .as_deref()
                .map(|t| self.template(&origin.key("credential"), t, ROOTS_SECRETS))
                .transpose()?;
            existing.push(ExistingTenant {
                code: tenant.code.clone(),
                id: tenant.id.clone(),
                credential,
                origin,
            });
        }
        let coded = existing.iter().filter(|t| t.code.is_some()).count();
        if coded != 0 && coded != existing.len() {
            let first = existing
                .iter()
                .find(|t| t.code.is_none())
                .map_or(at.clone(), |t| t.origin.clone());
            return Err(self.err(&first, "some tenants name their `code` and this one does not: expected a `code` on every [[tenants.existing]] entry, or on none (tenants are then bound by position)"));
        }
        for account in &accounts.existing {
            let key = account.origin.key("tenant");
            match (&account.tenant, mode) {
                (Some(_), TenantMode::None) => {
                    return Err(self.err(&key, "the platform has no tenants (`[tenants] mode = \"none\"`): remove `tenant`"));
                }
                (None, TenantMode::None) => {}
                (None, _) => {
                    return Err(self.err(&account.origin, "an existing account of a platform with tenants names its tenant: expected `tenant = 1` (its position among the world's tenants) or `tenant = \"75\"` (a departement code)"));
                }
                (Some(TenantRef::Position(0)), _) => {
                    return Err(self.err(
                        &key,
                        "positions start at 1: expected `tenant = 1` for the first tenant",
                    ));
                }
                (Some(TenantRef::Position(n)), _)
                    if !existing.is_empty() && *n > existing.len() =>
                {
                    return Err(self.err(&key, format!("tenant {n}, but [[tenants.existing]] lists {} tenant(s): expected 1 to {}", existing.len(), existing.len())));
                }
                (Some(TenantRef::Code(code)), _)
                    if coded > 0 && !existing.iter().any(|t| t.code.as_deref() == Some(code)) =>
                {
                    return Err(self.err(
                        &key,
                        format!("`{code}` is not the code of any [[tenants.existing]] entry"),
                    ));
                }
                _ => {}
            }
        }
        Ok(Tenants {
            mode,
            create,
            existing,
        })
    }

    fn provisioning(
        &self,
        raw: &raw::RawProvisioning,
        accounts: &Accounts,
        tenants: &Tenants,
    ) -> Result<Provisioning, ProfileError> {
        let at = KeyPath::root("provisioning");
        let identity = match (&raw.identity, accounts.source) {
            (Some(e), AccountSource::Provision) => {
                let identity = self.endpoint(&at.key("identity"), e, ROOTS_IDENTITY)?;
                if !identity.extract.iter().any(|(name, _)| name == "id") {
                    return Err(self.err(&at.key("identity"), "expected `extract = { id = \"/...\" }`: the platform's identifier of the new identity"));
                }
                Some(identity)
            }
            (None, AccountSource::Provision) => {
                return Err(self.err(&at, "accounts are provisioned: expected [provisioning.identity], the operator's call that creates an identity"));
            }
            (Some(_), _) => {
                return Err(self.err(&at.key("identity"), "[provisioning.identity] is only called with `[accounts] source = \"provision\"`: remove it"));
            }
            (None, _) => None,
        };
        let tenant = match (&raw.tenant, tenants.mode) {
            (Some(e), TenantMode::Provision) => Some(self.endpoint_extracting(
                &at.key("tenant"),
                e,
                ROOTS_TENANT,
                &["id", "code"],
            )?),
            (None, TenantMode::Provision) => {
                return Err(self.err(&at, "tenants are provisioned: expected [provisioning.tenant], or `[tenants] mode = \"none\"` for a platform without tenants"));
            }
            (Some(_), mode) => {
                let why = match mode {
                    TenantMode::None => "the platform has no tenants (`[tenants] mode = \"none\"`)",
                    TenantMode::Register => "tenants are created by [tenants.create]",
                    _ => "tenants exist already (`[tenants] mode = \"existing\"`)",
                };
                return Err(self.err(
                    &at.key("tenant"),
                    format!("[provisioning.tenant] would never be called: {why}; remove it"),
                ));
            }
            (None, _) => None,
        };
        Ok(Provisioning {
            operator: self.header(&at.key("operator"), &raw.operator, ROOTS_SECRETS)?,
            tenant,
            identity,
            representation: raw
                .representation
                .as_ref()
                .map(|e| self.endpoint(&at.key("representation"), e, ROOTS_REPRESENTATION))
                .transpose()?,
            end_representation: raw
                .end_representation
                .as_ref()
                .map(|e| self.endpoint(&at.key("end_representation"), e, ROOTS_REPRESENTATION))
                .transpose()?,
        })
    }

    fn transitions(&self, raw: raw::RawTransitions) -> Result<Transitions, ProfileError> {
        let at = KeyPath::root("transitions");
        Ok(Transitions {
            transfer: raw
                .transfer
                .as_ref()
                .map(|e| self.endpoint(&at.key("transfer"), e, ROOTS_TRANSFER))
                .transpose()?,
            change_role: raw
                .change_role
                .as_ref()
                .map(|e| self.endpoint(&at.key("change_role"), e, ROOTS_CHANGE_ROLE))
                .transpose()?,
        })
    }

    fn auth(&self, raw: raw::RawAuth, accounts: &Accounts) -> Result<Auth, ProfileError> {
        let at = KeyPath::root("auth");
        let login = raw
            .login
            .as_ref()
            .map(|e| self.endpoint(&at.key("login"), e, ROOTS_IDENTITY))
            .transpose()?;
        let logout = raw
            .logout
            .as_ref()
            .map(|e| self.endpoint(&at.key("logout"), e, ROOTS_SEND))
            .transpose()?;
        let send = match &raw.send {
            None => Vec::new(),
            Some(raw::RawSend::One(h)) => vec![self.header(&at.key("send"), h, ROOTS_SEND)?],
            Some(raw::RawSend::Many(headers)) => {
                if headers.is_empty() {
                    return Err(self.err(
                        &at.key("send"),
                        "an empty list: expected at least one `{ header = \"...\", value = \"...\" }`",
                    ));
                }
                let mut out: Vec<HeaderTemplate> = Vec::new();
                for (i, h) in headers.iter().enumerate() {
                    let header = self.header(&at.key("send").index(i), h, ROOTS_SEND)?;
                    if out
                        .iter()
                        .any(|o| o.name.eq_ignore_ascii_case(&header.name))
                    {
                        return Err(self.err(
                            &at.key("send").index(i).key("header"),
                            format!("`{}` is sent twice: each header once", header.name),
                        ));
                    }
                    out.push(header);
                }
                out
            }
        };
        let token = match &raw.token {
            None => None,
            Some(t) => Some(match (&t.json, &t.header) {
                (Some(pointer), None) => {
                    TokenSource::Json(self.pointer(&at.key("token").key("json"), pointer)?)
                }
                (None, Some(header)) => TokenSource::Header(header.clone()),
                _ => {
                    return Err(self.err(
                        &at.key("token"),
                        "expected exactly one of `json = \"/pointer\"` or `header = \"Name\"`",
                    ));
                }
            }),
        };
        let scheme_key = at.key("scheme");
        match raw.scheme {
            AuthScheme::Token => {
                if login.is_none() {
                    return Err(self.err(
                        &scheme_key,
                        "scheme `token` needs [auth.login]: the call that returns the token",
                    ));
                }
                if token.is_none() {
                    return Err(self.err(&scheme_key, "scheme `token` needs `token = { json = \"/token\" }` or `token = { header = \"Name\" }`"));
                }
                if send.is_empty() {
                    return Err(self.err(&scheme_key, "scheme `token` needs `send = { header = \"Authorization\", value = \"Bearer {{token}}\" }`"));
                }
            }
            AuthScheme::Cookie => {
                if login.is_none() {
                    return Err(self.err(
                        &scheme_key,
                        "scheme `cookie` needs [auth.login]: the call that sets the session cookie",
                    ));
                }
            }
            AuthScheme::Basic => {
                if !send.is_empty() || token.is_some() {
                    return Err(self.err(&scheme_key, "scheme `basic` sends the login and password itself: remove `send` and `token`"));
                }
            }
            AuthScheme::Header => {
                if send.is_empty() {
                    return Err(self.err(&scheme_key, "scheme `header` needs `send = { header = \"X-Api-Key\", value = \"{{identity.token}}\" }`"));
                }
                if let Some(account) = accounts.existing.iter().find(|a| a.token.is_none()) {
                    return Err(self.err(
                        &account.origin,
                        "scheme `header` needs a `token` for every existing account",
                    ));
                }
                if let Some(register) = &accounts.register
                    && !register.extract.iter().any(|(name, _)| name == "token")
                {
                    return Err(self.err(&register.origin, "scheme `header` sends each identity's token: expected `extract = { token = \"/token\" }`, where the sign-up answer gives it"));
                }
            }
        }
        Ok(Auth {
            scheme: raw.scheme,
            login,
            token,
            send,
            logout,
        })
    }

    fn resources(
        &self,
        raw: &BTreeMap<String, BTreeMap<String, RawOperation>>,
    ) -> Result<Resources, ProfileError> {
        let at = KeyPath::root("resources");
        let mut by_name: BTreeMap<String, (RecordKind, BTreeMap<String, Endpoint>)> =
            BTreeMap::new();
        let mut creates: BTreeMap<RecordKind, Create> = BTreeMap::new();
        let mut creator_names: BTreeMap<RecordKind, String> = BTreeMap::new();
        for (kind_name, ops) in raw {
            // Bound (and checked) by `resource_kinds` before anything else.
            let Some(&kind) = self.kinds.get(kind_name) else {
                continue;
            };
            let mut compiled = BTreeMap::new();
            for (op, operation) in ops {
                let key = at.key(kind_name).key(op);
                if op == "entity" {
                    continue;
                }
                if let RawOperation::Text(_) = operation {
                    return Err(self.err(
                        &key,
                        format!("an operation is a table: expected [resources.{kind_name}.{op}] with at least a `path` (only `entity` is a string)"),
                    ));
                }
                if kind == RecordKind::Account
                    && ["create", "update", "delete"].contains(&op.as_str())
                {
                    let why = if op == "create" {
                        format!(
                            "an account is not created as a record: it exists once its identity does (provisioned, signed up or existing), and its `{{{{{kind_name}.id}}}}` is the identity's id"
                        )
                    } else {
                        "accounts are read, listed, searched and exported, not changed: a probe that changed or deleted an account could lock out the identity later probes act as".to_string()
                    };
                    return Err(self.err(&key, format!("`{op}` on `{kind_name}`: {why}")));
                }
                if !OPERATIONS.contains(&op.as_str()) {
                    return Err(self.err(
                        &key,
                        format!(
                            "unknown operation `{op}`: expected one of {}",
                            quoted(&OPERATIONS)
                        ),
                    ));
                }
                if op == "create" {
                    if let Some(other) = creator_names.get(&kind) {
                        return Err(self.err(
                            &key,
                            format!("`{other}` creates the generated {kind}s already: one resource per entity creates its records, and the others (such as `{kind_name}`) reach the same records by other routes: remove this create"),
                        ));
                    }
                    let create = self.create(&key, kind, operation, ops.get("list"))?;
                    compiled.insert(op.clone(), create.steps[0].clone());
                    creates.insert(kind, create);
                    creator_names.insert(kind, kind_name.clone());
                    continue;
                }
                let endpoint = match operation {
                    RawOperation::One(endpoint) => endpoint,
                    RawOperation::Steps(_) => {
                        return Err(self.err(&key, format!("only a create may be a list of steps: expected one [resources.{kind_name}.{op}] table")));
                    }
                    RawOperation::Text(_) => continue,
                };
                if endpoint.granted.is_some() || endpoint.kind.is_some() {
                    return Err(self.err(&key, "`granted` and `kind` belong to [functions.NAME] entries: the access to a resource's records is stated in [policy]"));
                }
                let endpoint = self.endpoint(&key, endpoint, record_roots(kind))?;
                if op == "update" {
                    if endpoint.marker.is_none() {
                        return Err(self.err(&key, "an update must say where its marker lands in the record read back: expected `marker = \"/field\"` (a JSON pointer into the read endpoint's answer) and `{{probe.marker}}` in the body"));
                    }
                    if !endpoint.placeholders().contains("probe.marker") {
                        return Err(self.err(&key, "an update must write the probe's marker: expected `{{probe.marker}}` in its body (the field `marker` points at)"));
                    }
                }
                if endpoint.marker.is_some() && op != "update" {
                    return Err(self.err(
                        &key.key("marker"),
                        "`marker` is only read on `update` endpoints: remove it",
                    ));
                }
                compiled.insert(op.clone(), endpoint);
            }
            by_name.insert(kind_name.clone(), (kind, compiled));
        }
        // Each entity's main resource: the one that creates its records, else the one named after it,
        // else the first by name. The others are views: more routes to the same records.
        let mut names: BTreeMap<RecordKind, String> = creator_names;
        for (name, (kind, _)) in &by_name {
            if !creates.contains_key(kind) && (!names.contains_key(kind) || name == kind.name()) {
                names.insert(*kind, name.clone());
            }
        }
        let mut out = BTreeMap::new();
        let mut views = BTreeMap::new();
        for (name, (kind, ops)) in by_name {
            if names.get(&kind) == Some(&name) {
                out.insert(kind, ops);
            } else {
                views.insert(name, (kind, ops));
            }
        }
        let need = |kind: RecordKind, ops: &[&str]| -> Result<(), ProfileError> {
            let offers = |o: &BTreeMap<String, Endpoint>| ops.iter().any(|op| o.contains_key(*op));
            let present = out.get(&kind).is_some_and(offers)
                || views.values().any(|(k, o)| *k == kind && offers(o));
            if present {
                Ok(())
            } else {
                let name = self.resource_name(kind);
                let key = at.key(&name);
                let wanted: Vec<String> = ops
                    .iter()
                    .map(|op| format!("[resources.{name}.{op}]"))
                    .collect();
                Err(self.err(
                    &key,
                    format!("the direct-read suite needs {}", wanted.join(" or ")),
                ))
            }
        };
        need(RecordKind::Case, &["create"])?;
        need(RecordKind::Case, &["read"])?;
        need(RecordKind::Document, &["create"])?;
        need(RecordKind::Document, &["download", "read"])?;
        Ok(Resources {
            main: out,
            creates,
            views,
            names,
        })
    }

    fn refusals(&self, at: &KeyPath, raw: &RawRefusals) -> Result<Refusals, ProfileError> {
        for (i, status) in raw.statuses.iter().enumerate() {
            if !(100..=599).contains(status) {
                return Err(self.err(
                    &at.key("statuses").index(i),
                    format!("{status} is not an HTTP status: expected 100 to 599"),
                ));
            }
            if (200..300).contains(status) {
                return Err(self.err(
                    &at.key("statuses").index(i),
                    format!(
                        "{status} is a success: a 2xx refusal is declared with `empty_list = true`"
                    ),
                ));
            }
            if (300..400).contains(status) {
                return Err(self.err(
                    &at.key("statuses").index(i),
                    format!(
                        "{status} is a redirect: a redirect is a refusal only towards the login page, declared with `login_redirect = \"/login\"`"
                    ),
                ));
            }
        }
        if raw.statuses.is_empty() && !raw.empty_list && raw.login_redirect.is_none() {
            return Err(self.err(
                at,
                "no way to refuse: expected `statuses`, `empty_list = true` or `login_redirect`",
            ));
        }
        let list_pointer = raw
            .list_pointer
            .as_deref()
            .map(|p| self.pointer(&at.key("list_pointer"), p))
            .transpose()?;
        Ok(Refusals {
            statuses: raw.statuses.iter().copied().collect(),
            empty_list: raw.empty_list,
            list_pointer,
            login_redirect: raw.login_redirect.clone(),
        })
    }

    /// An endpoint whose answer gives more than an identifier: `allowed` names what `extract` may take
    /// (`token` of a sign-up, `credential` of a tenant).
    fn endpoint_extracting(
        &self,
        at: &KeyPath,
        raw: &RawEndpoint,
        roots: &[&str],
        allowed: &[&str],
    ) -> Result<Endpoint, ProfileError> {
        let mut plain = raw.clone();
        let mut extra = Vec::new();
        for (name, pointer) in &raw.extract {
            let key = at.key("extract").key(name);
            if !allowed.contains(&name.as_str()) {
                return Err(self.err(
                    &key,
                    format!(
                        "`{name}` would be extracted and never used: expected one of {}",
                        quoted(allowed)
                    ),
                ));
            }
            if name != "id" {
                plain.extract.remove(name);
                extra.push((name.clone(), self.pointer(&key, pointer)?));
            }
        }
        let mut endpoint = self.endpoint(at, &plain, roots)?;
        endpoint.extract.extend(extra);
        Ok(endpoint)
    }

    /// `{{tenant.*}}` where the platform has no tenants, and `{{tenant.id}}` / `{{tenant.credential}}` where
    /// cloison does not know them (outside setup and login) or nothing gives them.
    fn check_tenant_fields(
        &self,
        at: &KeyPath,
        template: &Template,
        tenants: &Tenants,
        provisioned_id: bool,
        setup: bool,
    ) -> Result<(), ProfileError> {
        for path in template.paths() {
            if path.first().map(String::as_str) != Some("tenant") {
                continue;
            }
            let shown = path.join(".");
            if !tenants.exist() {
                return Err(self.err(at, format!("`{{{{{shown}}}}}`: the platform has no tenants (`[tenants] mode = \"none\"`)")));
            }
            let Some(field) = path
                .get(1)
                .map(String::as_str)
                .filter(|f| ["id", "credential"].contains(f))
            else {
                continue;
            };
            if !setup {
                return Err(self.err(at, format!("`{{{{{shown}}}}}` is known to the setup only: expected it in [accounts.register], [provisioning.identity], [auth.login], [auth.logout] or `auth.send`")));
            }
            let given = match tenants.mode {
                TenantMode::Register => tenants
                    .create
                    .as_ref()
                    .is_some_and(|c| c.extract.iter().any(|(n, _)| n == field)),
                TenantMode::Existing => {
                    !tenants.existing.is_empty()
                        && tenants.existing.iter().all(|t| match field {
                            "id" => t.id.is_some(),
                            _ => t.credential.is_some(),
                        })
                }
                TenantMode::Provision => field == "id" && provisioned_id,
                TenantMode::None => false,
            };
            if !given {
                let provisioned = if field == "id" {
                    " or [provisioning.tenant]"
                } else {
                    ""
                };
                return Err(self.err(at, format!("`{{{{{shown}}}}}` is given by nothing: expected `extract = {{ {field} = \"/...\" }}` in [tenants.create] (`mode = \"register\"`){provisioned}, or `{field}` on every [[tenants.existing]] entry (`mode = \"existing\"`)")));
            }
        }
        Ok(())
    }

    /// Every `{{identity.attributes.NAME}}` a template uses must be declared by every existing account.
    fn check_attributes(&self, accounts: &Accounts) -> Result<(), ProfileError> {
        let names: BTreeSet<&String> = accounts
            .existing
            .iter()
            .flat_map(|a| a.attributes.keys())
            .collect();
        for account in &accounts.existing {
            if let Some(missing) = names.iter().find(|n| !account.attributes.contains_key(**n)) {
                return Err(self.err(&account.origin, format!("another account declares the attribute `{missing}` and this one does not: expected `attributes = {{ {missing} = \"...\" }}` on every existing account")));
            }
        }
        Ok(())
    }

    fn header(
        &self,
        at: &KeyPath,
        raw: &RawHeader,
        roots: &[&str],
    ) -> Result<HeaderTemplate, ProfileError> {
        if reqwest::header::HeaderName::from_bytes(raw.header.as_bytes()).is_err() {
            return Err(self.err(
                &at.key("header"),
                format!("`{}` is not a valid header name", raw.header),
            ));
        }
        Ok(HeaderTemplate {
            name: raw.header.clone(),
            value: self.template(&at.key("value"), &raw.value, roots)?,
        })
    }

    fn pointer(&self, at: &KeyPath, pointer: &str) -> Result<String, ProfileError> {
        let bad_escape = pointer
            .split('~')
            .skip(1)
            .any(|rest| !(rest.starts_with('0') || rest.starts_with('1')));
        if bad_escape {
            return Err(self.err(at, format!("`{}` has an invalid escape: in a JSON pointer `~` is followed by `0` (for `~`) or `1` (for `/`)", crate::input::capped(pointer, 80))));
        }
        if pointer.is_empty() || pointer.starts_with('/') {
            Ok(pointer.to_string())
        } else {
            Err(self.err(at, format!("`{pointer}` is not a JSON pointer: expected a path such as `/id` or `/user/id` (RFC 6901)")))
        }
    }

    fn template(&self, at: &KeyPath, text: &str, roots: &[&str]) -> Result<Template, ProfileError> {
        let mut template =
            Template::parse_with(text, &self.maps).map_err(|e| self.err(at, e.to_string()))?;
        template.rename_roots(&self.aliases);
        template
            .check_roots(roots)
            .map_err(|e| self.err(at, e.to_string()))?;
        Ok(template)
    }

    fn endpoint(
        &self,
        at: &KeyPath,
        raw: &RawEndpoint,
        roots: &[&str],
    ) -> Result<Endpoint, ProfileError> {
        self.endpoint_of(at, raw, roots, false)
    }

    /// An endpoint; `create`: a step of a create, which may extract named values and say where the
    /// record's identifier comes from (`id`, `find`).
    fn endpoint_of(
        &self,
        at: &KeyPath,
        raw: &RawEndpoint,
        roots: &[&str],
        create: bool,
    ) -> Result<Endpoint, ProfileError> {
        if !create {
            if raw.id.is_some() {
                return Err(self.err(&at.key("id"), "`id` says where a created record's identifier comes from: it belongs to a [resources.KIND.create] endpoint"));
            }
            if raw.find.is_some() {
                return Err(self.err(&at.key("find"), "`find` says how a created record's identifier is looked up: it belongs to a [resources.KIND.create] endpoint"));
            }
        }
        let method_name = raw.method.as_deref().unwrap_or("GET");
        let method = match method_name.to_ascii_uppercase().as_str() {
            "GET" => reqwest::Method::GET,
            "POST" => reqwest::Method::POST,
            "PUT" => reqwest::Method::PUT,
            "PATCH" => reqwest::Method::PATCH,
            "DELETE" => reqwest::Method::DELETE,
            "HEAD" => reqwest::Method::HEAD,
            _ => return Err(self.err(
                &at.key("method"),
                format!(
                    "unknown method `{method_name}`: expected GET, POST, PUT, PATCH, DELETE or HEAD"
                ),
            )),
        };
        if !raw.path.starts_with('/') {
            return Err(self.err(
                &at.key("path"),
                format!(
                    "`{}` does not start with `/`: expected a path below the target's base URL",
                    raw.path
                ),
            ));
        }
        let bodies = usize::from(raw.json.is_some())
            + usize::from(raw.form.is_some())
            + usize::from(raw.multipart.is_some())
            + usize::from(raw.body.is_some());
        if bodies > 1 {
            let given: Vec<&str> = [
                ("json", raw.json.is_some()),
                ("form", raw.form.is_some()),
                ("multipart", raw.multipart.is_some()),
                ("body", raw.body.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, set)| set.then_some(name))
            .collect();
            return Err(self.err(
                at,
                format!(
                    "{} bodies ({}): expected at most one of `json`, `form`, `multipart` and `body`",
                    given.len(),
                    quoted(&given)
                ),
            ));
        }
        if raw.content_type.is_some() && raw.body.is_none() {
            return Err(self.err(&at.key("content_type"), "`content_type` is the type of a raw `body`: JSON, form and multipart bodies set their own (a multipart file part has a `content_type` of its own)"));
        }
        let body = if let Some(json) = &raw.json {
            Body::Json(self.json(&at.key("json"), json)?)
        } else if let Some(form) = &raw.form {
            let mut fields = Vec::new();
            for (name, value) in form {
                let key = at.key("form").key(name);
                match value {
                    toml::Value::String(text) => {
                        fields.push((name.clone(), self.template(&key, text, roots)?));
                    }
                    toml::Value::Array(items) if !items.is_empty() => {
                        for (i, item) in items.iter().enumerate() {
                            let Some(text) = item.as_str() else {
                                return Err(self.err(&key.index(i), format!("{}: expected a string template (a repeated field is a list of strings)", a_type(item))));
                            };
                            fields.push((name.clone(), self.template(&key.index(i), text, roots)?));
                        }
                    }
                    other => {
                        return Err(self.err(&key, format!("{}: expected a string template, or a non-empty list of them for a field sent several times (`{name} = [\"{{{{a}}}}\", \"{{{{b}}}}\"]`)", if other.is_array() { "an empty list".to_string() } else { a_type(other) })));
                    }
                }
            }
            Body::Form(fields)
        } else if let Some(body) = &raw.body {
            let key = at.key("body");
            let content = match body {
                toml::Value::String(text) => RawContent::Text(self.template(&key, text, roots)?),
                toml::Value::Table(table) => {
                    if let Some(other) = table.keys().find(|k| *k != "file") {
                        return Err(self.err(&key.key(other), format!("unknown key `{other}`: a raw body is a template, or `{{ file = \"document\" }}`")));
                    }
                    match table.get("file") {
                        Some(toml::Value::String(file)) if file == "document" => RawContent::File,
                        Some(_) => return Err(self.err(&key.key("file"), "expected `file = \"document\"`: the generated bytes of the document")),
                        None => return Err(self.err(&key, "expected `{ file = \"document\" }` (the generated bytes of the document) or a template string")),
                    }
                }
                other => {
                    return Err(self.err(&key, format!("{}: expected a template string, or `{{ file = \"document\" }}` for the generated bytes of the document", a_type(other))));
                }
            };
            let default_type = match content {
                RawContent::File => "{{document.content_type}}",
                RawContent::Text(_) => "text/plain; charset=utf-8",
            };
            Body::Raw {
                content,
                content_type: self.template(
                    &at.key("content_type"),
                    raw.content_type.as_deref().unwrap_or(default_type),
                    roots,
                )?,
            }
        } else if let Some(parts) = &raw.multipart {
            let mut out = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let key = at.key("multipart").index(i);
                let content =
                    match (&part.value, &part.file) {
                        (Some(value), None) => {
                            PartContent::Text(self.template(&key.key("value"), value, roots)?)
                        }
                        (None, Some(file)) if file == "document" => PartContent::File {
                            filename: self.template(
                                &key.key("filename"),
                                part.filename.as_deref().unwrap_or("{{document.file_name}}"),
                                roots,
                            )?,
                            content_type: self.template(
                                &key.key("content_type"),
                                part.content_type
                                    .as_deref()
                                    .unwrap_or("{{document.content_type}}"),
                                roots,
                            )?,
                        },
                        (None, Some(_)) => return Err(self.err(
                            &key.key("file"),
                            "expected `file = \"document\"`: the generated bytes of the document",
                        )),
                        _ => {
                            return Err(self.err(
                                &key,
                                "expected exactly one of `value` (text) or `file = \"document\"`",
                            ));
                        }
                    };
                out.push(Part {
                    name: part.name.clone(),
                    content,
                });
            }
            Body::Multipart(out)
        } else {
            Body::None
        };
        let mut extract = Vec::new();
        for (name, pointer) in &raw.extract {
            if name != "id" && !create {
                return Err(self.err(
                    &at.key("extract").key(name),
                    format!("`{name}` would be extracted and never used: cloison reads only `id` here (the platform's identifier of what the call creates or logs in); a create's steps may extract other values for later use"),
                ));
            }
            if create && parse_name(name).is_none() {
                return Err(self.err(
                    &at.key("extract").key(name),
                    format!("`{name}` is not a name: expected letters, digits, `_` or `-`"),
                ));
            }
            extract.push((
                name.clone(),
                self.pointer(&at.key("extract").key(name), pointer)?,
            ));
        }
        let actor = match raw.actor.as_deref() {
            None => None,
            Some("owner") => Some(Actor::Owner),
            Some("agent") => Some(Actor::Agent),
            Some(other) => {
                return Err(self.err(
                    &at.key("as"),
                    format!("unknown actor `{other}`: expected `owner` or `agent`"),
                ));
            }
        };
        let refusals = raw
            .refusals
            .as_ref()
            .map(|r| self.refusals(&at.key("refusals"), r))
            .transpose()?;
        if let Some(ok) = &raw.ok {
            if ok.is_empty() {
                return Err(self.err(
                    &at.key("ok"),
                    "an empty list: expected the statuses that count as success, such as [200, 201]",
                ));
            }
            for (i, status) in ok.iter().enumerate() {
                if !(100..=599).contains(status) {
                    return Err(self.err(
                        &at.key("ok").index(i),
                        format!("{status} is not an HTTP status: expected 100 to 599"),
                    ));
                }
            }
        }
        let endpoint = Endpoint {
            origin: at.clone(),
            method,
            path: self.template(&at.key("path"), &raw.path, roots)?,
            query: raw
                .query
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.template(&at.key("query").key(k), v, roots)?)))
                .collect::<Result<_, ProfileError>>()?,
            headers: raw
                .headers
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        self.template(&at.key("headers").key(k), v, roots)?,
                    ))
                })
                .collect::<Result<_, ProfileError>>()?,
            body,
            extract,
            ok: raw.ok.as_ref().map(|ok| ok.iter().copied().collect()),
            actor,
            refusals,
            marker: raw
                .marker
                .as_deref()
                .map(|p| self.pointer(&at.key("marker"), p))
                .transpose()?,
            granted: None,
            kind: None,
        };
        for (key, template) in endpoint.templates() {
            template
                .check_roots(roots)
                .map_err(|e| self.err(&key, e.to_string()))?;
        }
        Ok(endpoint)
    }

    fn json(&self, at: &KeyPath, value: &toml::Value) -> Result<JsonTemplate, ProfileError> {
        Ok(match value {
            toml::Value::String(s) => {
                let mut template =
                    Template::parse_with(s, &self.maps).map_err(|e| self.err(at, e.to_string()))?;
                template.rename_roots(&self.aliases);
                JsonTemplate::Text(template)
            }
            toml::Value::Integer(i) => JsonTemplate::Literal((*i).into()),
            toml::Value::Float(f) => JsonTemplate::Literal(
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            ),
            toml::Value::Boolean(b) => JsonTemplate::Literal((*b).into()),
            toml::Value::Datetime(d) => JsonTemplate::Literal(d.to_string().into()),
            toml::Value::Array(items) => JsonTemplate::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.json(&at.index(i), v))
                    .collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(table) => JsonTemplate::Object(
                table
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.json(&at.key(k), v)?)))
                    .collect::<Result<_, ProfileError>>()?,
            ),
        })
    }
}

/// The fields every placeholder root offers, from a small generated world: the union of the keys of every
/// record's context (so that fields absent from some records, such as an IBAN, are known), and the values
/// cloison adds itself (identifiers, the identity's credentials, the probe's marker).
fn sample_fields() -> serde_json::Value {
    use serde_json::{Value, json};
    fn merge(into: &mut Value, from: &Value) {
        match (into, from) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
            (slot @ Value::Null, v) => *slot = v.clone(),
            _ => {}
        }
    }
    let mut sample = json!({
        "identity": { "key": "", "login": "", "password": "", "token": "", "role": "", "display_name": "", "id": "" },
        "tenant": { "id": "", "credential": "" },
        "probe": { "marker": "", "id": "" },
        "representative": { "id": "", "key": "" },
        "represented": { "id": "", "key": "" },
        "representation": { "id": "" },
        "person": { "account_id": "", "key": "" },
        "case": { "id": "" },
        "document": { "id": "" },
        "note": { "id": "" },
        "decision": { "id": "" },
        "account": { "id": "" },
        "to": { "code": "", "name": "" },
        "role": "",
    });
    let config = cloison_generators::GenConfig::new(1, 2, 24);
    if let Ok(world) = cloison_generators::World::generate(&config) {
        for ctx in crate::plan::record_contexts(&world, &Default::default()).all() {
            merge(&mut sample, &ctx);
        }
        for rep in world.cases.iter().flat_map(|b| &b.representations) {
            if let Ok(v) = serde_json::to_value(rep) {
                merge(&mut sample["representation"], &v);
            }
        }
        for p in world.persons() {
            if let Ok(v) = serde_json::to_value(p) {
                merge(&mut sample["person"], &v);
            }
        }
    }
    sample
}

/// A TOML value's type with its article, for messages: "an integer", "a table".
fn a_type(value: &toml::Value) -> String {
    let name = value.type_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// A name usable as a placeholder's last segment.
fn parse_name(name: &str) -> Option<&str> {
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(name)
}

/// The sample of placeholder fields, with the attributes existing accounts declare under `identity`.
fn with_attributes(mut sample: serde_json::Value, accounts: &Accounts) -> serde_json::Value {
    let attributes: serde_json::Map<String, serde_json::Value> = accounts
        .existing
        .iter()
        .flat_map(|a| a.attributes.keys())
        .map(|name| (name.clone(), serde_json::Value::String(String::new())))
        .collect();
    sample["identity"]["attributes"] = serde_json::Value::Object(attributes);
    sample
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `[probing] follow_hosts` entry: a host name or address, with a port or not, nothing else.
fn check_host(entry: &str) -> Result<(), String> {
    let expected = "expected a host such as `files.example.net` or `127.0.0.1:9000`";
    let parsed = reqwest::Url::parse(&format!("http://{entry}/"))
        .ok()
        .filter(|url| {
            url.username().is_empty()
                && url.path() == "/"
                && url.host_str().is_some()
                && !entry.contains(['/', '?', '#', '@'])
        });
    match parsed {
        Some(_) if !entry.is_empty() => Ok(()),
        _ => Err(format!("`{entry}` is not a host: {expected}")),
    }
}
