//! The compiled profile: what the planner, the engine and the HTTP layer read once a profile is valid.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use cloison_suites::{AccessPolicy, RecordKind, Refusals, Selector};

use super::deploy::Deploy;
use super::error::KeyPath;
use super::raw::{AccountSource, AuthScheme, TenantMode};
use super::template::{JsonTemplate, Template};

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
    /// `[audit]`: how to read the platform's audit trail.
    pub audit: Option<Audit>,
}

/// Where the audit trail is read from.
#[derive(Debug, Clone)]
pub enum TrailSource {
    /// A paginated endpoint, called by the operator (`None`) or an identity of a role.
    Endpoint {
        /// The call (`{{page.*}}` in its templates).
        endpoint: Box<Endpoint>,
        /// The role whose identity calls it; `None`: the operator credential.
        role: Option<String>,
        /// Where the entries are in a page.
        items: Option<String>,
        /// Entries per page.
        page_size: usize,
    },
    /// The JSON lines of the application container's logs (`[deploy]`).
    Logs,
    /// A JSON-lines file the platform writes to.
    File(PathBuf),
}

/// `[audit]`, validated.
#[derive(Debug, Clone)]
pub struct Audit {
    /// Where the trail is.
    pub source: TrailSource,
    /// JSON pointers of an entry's actor, record, action, time and outcome.
    pub actor: String,
    /// The record's pointer.
    pub record: String,
    /// The action's pointer.
    pub action: Option<String>,
    /// The time's pointer.
    pub time: Option<String>,
    /// The outcome's pointer.
    pub outcome: Option<String>,
    /// How entries are matched.
    pub rules: cloison_suites::audit::Rules,
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
    /// Role, admin and permission fields the privilege-escalation family sends.
    pub role_fields: Vec<String>,
    /// Probes drawn per cell (default 3).
    pub per_cell: Option<usize>,
    /// Hosts besides the target's own that redirects may lead to (`host` or `host:port`).
    pub follow_hosts: Vec<String>,
    /// Redirect hops followed at most (default 5; 0 follows none).
    pub max_redirects: usize,
    /// Operations of the OpenAPI document the generic probing never calls.
    pub exclude: Vec<super::exclude::Exclusion>,
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
    /// The identity's own profile update (`[accounts.update]`): the privilege-escalation family adds role
    /// fields to its body.
    pub update: Option<Endpoint>,
    /// A password change templated on the target account (`{{identity.*}}`) and the new secret
    /// (`{{probe.secret}}`), sent by the caller (`[accounts.password]`): the account-takeover family.
    pub password: Option<Endpoint>,
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
pub use super::raw::RawTenantRef as TenantRef;

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
    /// A delete that keeps the record readable by its owner: the field a deleted record holds (deletes).
    pub soft: Option<cloison_suites::SoftDelete>,
    /// The roles granted to call it (functions).
    pub granted: Option<Vec<String>>,
    /// The kind of record it touches (functions; default `case`).
    pub kind: Option<RecordKind>,
    /// How an answer `202 Accepted` with a location to poll is followed until ready.
    pub poll: Poll,
    /// Declared as a read (a resource's `read`, `download`, `list`, `search` or `export`): it changes
    /// nothing whatever its method (a `POST` search or GraphQL query), so it is probed like a `GET` read,
    /// resent after a transport error, and never sent as a write.
    pub read: bool,
    /// A function whose effect is read back: the record set aside for each probe, the read, how it shows.
    pub effect: Option<Box<Effect>>,
}

/// A function's effect read back (`setup` and `effect` of `[functions.NAME]`): a granted role sets a record
/// aside for each probe (its extracts become `{{probe.NAME}}`) and reads it back before and after the
/// forbidden call.
#[derive(Debug, Clone)]
pub struct Effect {
    /// The call that sets the record aside, sent as an identity of a role granted the function.
    pub setup: Endpoint,
    /// The read whose answer shows the function's effect, sent as the same identity.
    pub read: Endpoint,
    /// How the effect shows in the read's answer.
    pub shows: cloison_suites::verdict::Shows,
}

/// How an answer `202 Accepted` with a location to poll is followed (`poll`): `GET`s of the location, with
/// the caller's credentials, until an answer other than `202` (the result) or the budget runs out.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// Where the `202`'s JSON body gives the location (a JSON pointer); `None`: its `Location` header.
    pub location: Option<String>,
    /// The wait between two looks, unless the answer says `Retry-After`.
    pub interval: std::time::Duration,
    /// The longest wait for the result, from the first `202`.
    pub budget: std::time::Duration,
}

impl Poll {
    /// One look a second, for at most 30 seconds.
    pub const DEFAULT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
    /// See [`Poll::DEFAULT_INTERVAL`].
    pub const DEFAULT_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);
}

impl Default for Poll {
    fn default() -> Self {
        Self {
            location: None,
            interval: Self::DEFAULT_INTERVAL,
            budget: Self::DEFAULT_BUDGET,
        }
    }
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
    /// Whether it changes nothing: a `GET` or `HEAD`, or an endpoint declared as a read whatever its method.
    pub fn is_read(&self) -> bool {
        self.read || matches!(self.method, reqwest::Method::GET | reqwest::Method::HEAD)
    }

    /// Every placeholder path of the endpoint's templates (`case.id`, `person.nir`...).
    pub fn placeholders(&self) -> BTreeSet<String> {
        self.templates()
            .into_iter()
            .flat_map(|(_, t)| t.placeholders().collect::<Vec<_>>())
            .collect()
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
