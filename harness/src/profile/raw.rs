//! The profile file as written: serde structures that mirror the TOML, before validation.
//!
//! Every table refuses unknown keys, so a misspelt key is an error at its line, not a silent default.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub format: u32,
    pub name: String,
    #[serde(default)]
    pub secrets_file: Option<String>,
    #[serde(default)]
    pub openapi: Option<String>,
    #[serde(default)]
    pub health: Option<RawEndpoint>,
    #[serde(default)]
    pub reset: Vec<RawEndpoint>,
    #[serde(default)]
    pub roles: BTreeMap<String, RawRole>,
    pub policy: BTreeMap<String, RawPolicyEntry>,
    pub accounts: RawAccounts,
    #[serde(default)]
    pub tenants: Option<RawTenants>,
    #[serde(default)]
    pub provisioning: Option<RawProvisioning>,
    pub auth: RawAuth,
    pub refusals: RawRefusals,
    pub resources: BTreeMap<String, BTreeMap<String, RawOperation>>,
    #[serde(default)]
    pub maps: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub functions: BTreeMap<String, RawEndpoint>,
    #[serde(default)]
    pub probing: Option<RawProbing>,
    #[serde(default)]
    pub transitions: Option<RawTransitions>,
    #[serde(default)]
    pub deploy: Option<RawDeploy>,
    #[serde(default)]
    pub audit: Option<RawAudit>,
}

/// `[audit]`: how to read the platform's audit trail after the probes, and where an entry's values are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// A paginated endpoint (`{{page.offset}}`, `{{page.number}}`, `{{page.size}}`).
    #[serde(default)]
    pub endpoint: Option<RawEndpoint>,
    /// Who calls the endpoint: `operator` (the `[provisioning] operator` credential) or a role.
    #[serde(default, rename = "as")]
    pub caller: Option<String>,
    /// Where the entries are in a page (default: the whole body).
    #[serde(default)]
    pub items: Option<String>,
    /// Entries per page (default 200).
    #[serde(default)]
    pub page_size: Option<usize>,
    /// `true`: the JSON lines the application container of `[deploy]` writes to its logs.
    #[serde(default)]
    pub logs: Option<bool>,
    /// A JSON-lines file the platform writes to (relative to the profile).
    #[serde(default)]
    pub file: Option<String>,
    pub actor: String,
    pub record: String,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub denied: Option<Vec<String>>,
    #[serde(default)]
    pub window: Option<f64>,
    #[serde(default)]
    pub actions: BTreeMap<String, Vec<String>>,
}

/// `[deploy]`: the containers that make up the platform (`--target deploy`, `--target image:`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeploy {
    pub image: String,
    pub port: u16,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub health: Option<RawDeployHealth>,
    #[serde(default)]
    pub services: Vec<RawService>,
}

/// One `[[deploy.services]]` entry: a container the application needs, started first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub name: String,
    pub image: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub health: Option<RawDeployHealth>,
}

/// A container's HTTP health check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeployHealth {
    pub path: String,
    #[serde(default)]
    pub statuses: Option<Vec<u16>>,
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// One entry of `[policy]`: a role's scopes, or a record kind's table of roles and scopes (or, under
/// `[policy.public]`, kinds of values and the roles they are public to).
#[derive(Debug)]
pub enum RawPolicyEntry {
    /// `ROLE = ["scope", ...]`.
    Scopes(Vec<String>),
    /// `[policy.KIND]` with `ROLE = ["scope", ...]`; `[policy.public]` with `VALUE_KIND = ["role", ...]`.
    Kind(BTreeMap<String, Vec<String>>),
}

impl<'de> Deserialize<'de> for RawPolicyEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = RawPolicyEntry;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a role's list of scopes (`[\"own\"]`) or, under a record kind (`[policy.note]`), a table of roles",
                )
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(RawPolicyEntry::Scopes)
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawPolicyEntry::Kind)
            }
        }
        deserializer.deserialize_any(Entry)
    }
}

/// `[transitions]`: changes of state the stateful suite makes after setup.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransitions {
    #[serde(default)]
    pub transfer: Option<RawEndpoint>,
    #[serde(default)]
    pub change_role: Option<RawEndpoint>,
}

/// `[probing]`: candidates for the tenant-selector and mass-assignment families.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProbing {
    #[serde(default)]
    pub tenant_headers: Option<Vec<String>>,
    #[serde(default)]
    pub tenant_query: Option<Vec<String>>,
    #[serde(default)]
    pub owner_fields: Option<Vec<String>>,
    #[serde(default)]
    pub tenant_fields: Option<Vec<String>>,
    #[serde(default)]
    pub role_fields: Option<Vec<String>>,
    #[serde(default)]
    pub per_cell: Option<usize>,
    #[serde(default)]
    pub follow_hosts: Option<Vec<String>>,
    #[serde(default)]
    pub max_redirects: Option<usize>,
    #[serde(default)]
    pub exclude: Option<Vec<String>>,
}

/// `[accounts]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccounts {
    pub source: AccountSource,
    #[serde(default)]
    pub holders: bool,
    #[serde(default)]
    pub existing: Vec<RawExistingAccount>,
    #[serde(default)]
    pub register: Option<RawEndpoint>,
    #[serde(default)]
    pub update: Option<RawEndpoint>,
    #[serde(default)]
    pub password: Option<RawEndpoint>,
}

/// `[tenants]`: whether the platform has tenants, and how they come to exist.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTenants {
    #[serde(default)]
    pub mode: Option<TenantMode>,
    #[serde(default)]
    pub create: Option<RawEndpoint>,
    #[serde(default)]
    pub existing: Vec<RawExistingTenant>,
}

/// How tenants come to exist on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantMode {
    /// The platform has no tenants: the world is one departement's, and the families that need several
    /// tenants do not apply.
    None,
    /// Created by cloison with the operator credential (`[provisioning.tenant]`).
    Provision,
    /// Created anonymously by the first identity of each tenant (`[tenants.create]`).
    Register,
    /// Already present on the platform (`[[tenants.existing]]`, bound to the world's tenants in order).
    Existing,
}

/// One `[[tenants.existing]]` entry, bound to the world's tenant of the same position.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExistingTenant {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub credential: Option<String>,
}

/// How an existing account names its tenant: a departement code, or a position among the world's tenants
/// (1-based, as `[[tenants.existing]]` lists them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RawTenantRef {
    /// A position (1 is the first tenant).
    Position(usize),
    /// A departement code.
    Code(String),
}

/// Where accounts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountSource {
    /// Created by cloison through `[provisioning]`, with an operator credential.
    Provision,
    /// Already present on the platform, listed in `[[accounts.existing]]`.
    Existing,
    /// Every identity signs itself up through `[accounts.register]` (open registration, no operator).
    Register,
    /// Identities have no account of their own: they act with their tenant's credential
    /// (`{{tenant.credential}}` in `[auth]`).
    None,
}

/// One `[[accounts.existing]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExistingAccount {
    #[serde(default)]
    pub tenant: Option<RawTenantRef>,
    pub role: String,
    pub login: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// `[provisioning]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvisioning {
    pub operator: RawHeader,
    #[serde(default)]
    pub tenant: Option<RawEndpoint>,
    #[serde(default)]
    pub identity: Option<RawEndpoint>,
    #[serde(default)]
    pub representation: Option<RawEndpoint>,
    #[serde(default)]
    pub end_representation: Option<RawEndpoint>,
}

/// A header to send: name and value template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    pub header: String,
    pub value: String,
}

/// `[auth]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    pub scheme: AuthScheme,
    #[serde(default)]
    pub login: Option<RawEndpoint>,
    #[serde(default)]
    pub token: Option<RawToken>,
    #[serde(default)]
    pub send: Option<RawSend>,
    #[serde(default)]
    pub logout: Option<RawEndpoint>,
}

/// `send`: one header (`send = { header = ..., value = ... }`) or several (`send = [{...}, {...}]`).
#[derive(Debug, Clone)]
pub enum RawSend {
    /// One header.
    One(RawHeader),
    /// Several headers, each sent on every request.
    Many(Vec<RawHeader>),
}

impl<'de> Deserialize<'de> for RawSend {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawSend;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a header (`{ header = \"...\", value = \"...\" }`) or a list of them")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawSend, A::Error> {
                RawHeader::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawSend::One)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawSend, A::Error> {
                Vec::<RawHeader>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(RawSend::Many)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// How identities authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// A login call returns a token (in its JSON or a header), sent in a header afterwards.
    Token,
    /// A login call sets a session cookie, sent back afterwards.
    Cookie,
    /// HTTP Basic with the identity's login and password on every request.
    Basic,
    /// A static token per identity in a header of the platform's choosing, no login call.
    Header,
}

/// Where a login token is found.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawToken {
    #[serde(default)]
    pub json: Option<String>,
    #[serde(default)]
    pub header: Option<String>,
}

/// `[refusals]`, also allowed per endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefusals {
    pub statuses: Vec<u16>,
    #[serde(default)]
    pub empty_list: bool,
    #[serde(default)]
    pub list_pointer: Option<String>,
    #[serde(default)]
    pub login_redirect: Option<String>,
    /// Whole answer bodies that mean "refused" (any JSON values; checked by the validator).
    #[serde(default)]
    pub body: Option<Vec<toml::Value>>,
    /// With `equals`: an answer whose JSON holds that value at this pointer is a refusal.
    #[serde(default)]
    pub pointer: Option<String>,
    #[serde(default)]
    pub equals: Option<toml::Value>,
    /// With `pointer`, instead of `equals`: an answer whose JSON holds `null` there is a refusal (TOML has
    /// no null: `null = true`).
    #[serde(default)]
    pub null: bool,
    /// An answer whose body contains this text is a refusal.
    #[serde(default)]
    pub text: Option<String>,
}

/// A JSON value at a JSON pointer: `{ pointer = "/active", equals = false }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFieldEquals {
    pub pointer: String,
    pub equals: toml::Value,
}

/// One HTTP call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    #[serde(default)]
    pub method: Option<String>,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub json: Option<toml::Value>,
    #[serde(default)]
    pub form: Option<BTreeMap<String, toml::Value>>,
    #[serde(default)]
    pub multipart: Option<Vec<RawPart>>,
    /// A raw body: a template, or `{ file = "document" }` (checked by the validator, with its position).
    #[serde(default)]
    pub body: Option<toml::Value>,
    /// The content type of a raw body.
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub extract: BTreeMap<String, String>,
    /// A create's identifier chosen by the client: a template (`"{{case.case_number}}"`).
    #[serde(default)]
    pub id: Option<String>,
    /// A create's identifier found by listing: `{ items = "/items", id = "/uuid" }`.
    #[serde(default)]
    pub find: Option<RawFind>,
    #[serde(default)]
    pub ok: Option<Vec<u16>>,
    #[serde(default, rename = "as")]
    pub actor: Option<String>,
    #[serde(default)]
    pub refusals: Option<RawRefusals>,
    #[serde(default)]
    pub marker: Option<String>,
    /// A delete that keeps the record: the field a deleted record holds.
    #[serde(default)]
    pub soft: Option<RawFieldEquals>,
    #[serde(default)]
    pub granted: Option<Vec<String>>,
    #[serde(default)]
    pub kind: Option<String>,
    /// How an answer `202 Accepted` is followed until ready.
    #[serde(default)]
    pub poll: Option<RawPoll>,
    /// Roles this resource operation narrows, with the scopes they keep through it (`narrow = {
    /// tenant_admin = ["nothing"] }`).
    #[serde(default)]
    pub narrow: Option<BTreeMap<String, Vec<String>>>,
    /// A function's effect read back (`effect = { read = {...}, shows = "gone", at = "/name" }`).
    #[serde(default)]
    pub effect: Option<RawEffect>,
    /// A call, as a role granted the function, that sets a record aside for each of its probes.
    #[serde(default)]
    pub setup: Option<Box<RawEndpoint>>,
}

/// `effect`: the read whose answer shows what a function did, and how it shows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    pub read: Box<RawEndpoint>,
    pub shows: String,
    #[serde(default)]
    pub at: Option<String>,
}

/// `poll = { location = "/pointer", interval = 1, budget = 30 }`: where an answer `202` says to look
/// (default: its `Location` header), seconds between looks, and seconds before giving up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPoll {
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub interval: Option<f64>,
    #[serde(default)]
    pub budget: Option<f64>,
}

/// One part of a multipart body: a text value, or the generated file of the record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPart {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
}

/// `find`: after a create that answers no identifier, the collection is listed and the record found by its
/// own canaries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFind {
    /// Where the list is in the list endpoint's answer (default: the whole body).
    #[serde(default)]
    pub items: Option<String>,
    /// Where an item's identifier is.
    pub id: String,
}

/// A `[roles]` entry: the platform's name of one of cloison's roles (`agent = "caseworker"`), or a role of
/// the platform's own (`auditor = { staff = true }`).
#[derive(Debug, Clone)]
pub enum RawRole {
    /// The platform's name of a cloison role.
    Name(String),
    /// A role of the platform's own.
    Own(RawOwnRole),
}

/// A role of the platform's own: staff of a tenant, one identity per tenant, with no person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOwnRole {
    pub staff: bool,
}

impl<'de> Deserialize<'de> for RawRole {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawRole;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "the platform's name of the role (a string), or `{ staff = true }` for a role of the platform's own",
                )
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawRole, E> {
                Ok(RawRole::Name(text.to_string()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawRole, A::Error> {
                RawOwnRole::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawRole::Own)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A resource operation: one call (`[resources.KIND.OP]`) or, for a create, a list of steps
/// (`[[resources.KIND.create]]`); or the resource's `entity`.
#[derive(Debug, Clone)]
pub enum RawOperation {
    /// One call.
    One(Box<RawEndpoint>),
    /// Steps run in order.
    Steps(Vec<RawEndpoint>),
    /// A string where an operation is expected: `entity = "case"`, which binds a resource the profile
    /// names to a generated entity (any other key with a string is refused by the validator).
    Text(String),
}

impl<'de> Deserialize<'de> for RawOperation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawOperation;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a table (one call), an array of tables (the steps of a create) or, for `entity`, a string",
                )
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawOperation, A::Error> {
                RawEndpoint::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|endpoint| RawOperation::One(Box::new(endpoint)))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawOperation, E> {
                Ok(RawOperation::Text(text.to_string()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<RawOperation, A::Error> {
                Vec::<RawEndpoint>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(RawOperation::Steps)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
