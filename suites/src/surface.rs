//! What a target offers, in cloison's abstract terms: the endpoints its profile declares (what kind of
//! record each touches, what it does, what its path needs), the functions and the roles they are granted
//! to, and the candidate tenant selectors and assignable fields. The harness builds a [`Surface`] from a
//! profile; the planner reads it. Nothing here names a particular platform's routes or shapes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::population::RecordKind;

/// What an endpoint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Read a record (its JSON).
    Read,
    /// Download a record's content.
    Download,
    /// List records (a collection, or a list nested under a record).
    List,
    /// Update a record.
    Update,
    /// Delete a record.
    Delete,
    /// Search records.
    Search,
    /// Export records.
    Export,
    /// A named function of the platform.
    Call,
    /// Create a record (a child under a case file: the foreign-create family).
    Create,
}

impl Op {
    /// The lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Download => "download",
            Op::List => "list",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::Search => "search",
            Op::Export => "export",
            Op::Call => "call",
            Op::Create => "create",
        }
    }
}

/// What an endpoint's templates need from a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Param {
    /// Nothing: a collection, the caller's own view.
    None,
    /// The record itself (its identifier).
    Record,
    /// The record's case file (a list nested under the case).
    Case,
    /// The values of the person a record is about (a search term).
    Person,
}

/// What an endpoint's request takes from the identity that sends it (`{{caller.*}}`, `{{identity.*}}` in
/// its path, query, headers or body), beyond the credential the authentication sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallerUse {
    /// Nothing: the request is the same whoever sends it.
    #[default]
    Nothing,
    /// The caller's values (its login, identifier, tenant): a request without credentials borrows an
    /// identity's, as a caller who guessed a user's own URL would.
    Values,
    /// The caller's credential (its password, token or tenant credential) in its path or body: no request
    /// to it is without credentials.
    Credential,
}

/// One endpoint of the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointRef {
    /// Stable name in reports (the profile key, such as `resources.document.download`).
    pub key: String,
    /// The kind of record it touches.
    pub kind: RecordKind,
    /// What it does.
    pub op: Op,
    /// What its path and body need.
    pub param: Param,
    /// Whether it leaves the target's data unchanged (GET or HEAD).
    pub safe: bool,
    /// For functions: the roles (cloison's names) granted to call it. `None`: the data policy decides.
    pub granted: Option<Vec<String>>,
    /// Whether its body can carry extra fields (a JSON object or a form).
    pub open_body: bool,
    /// What its request takes from the identity that sends it.
    pub caller: CallerUse,
    /// Its request writes the probe's marker (`{{probe.marker}}`): what it wrote can be read back.
    pub marked: bool,
    /// A function whose effect is read back (the profile's `effect` and `setup`): it aims at a record a
    /// granted role sets aside for each probe, so it is confined even when it names no record of the world.
    pub effect: bool,
}

impl EndpointRef {
    /// Whether it changes state without naming a record (`POST /admin/purge`, `DELETE /users/{login}` named
    /// by the caller): what it changes is not confined to the case files set aside for writes, so its probes
    /// run after every other (see [`crate::planner::Planned::last`]).
    pub fn is_unconfined_write(&self) -> bool {
        !self.safe && self.param == Param::None && !self.effect
    }
}

/// Where a tenant selector goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "in", content = "name")]
pub enum Selector {
    /// A request header.
    Header(String),
    /// A query parameter.
    Query(String),
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Header(name) => write!(f, "header {name}"),
            Selector::Query(name) => write!(f, "query parameter {name}"),
        }
    }
}

/// Who creates the records of a kind on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Creator {
    /// The record's steward (its person's own account, or their representative).
    Owner,
    /// An agent of the record's tenant.
    Agent,
}

/// Everything the planner needs to know about a target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Surface {
    /// The endpoints, in profile order.
    pub endpoints: Vec<EndpointRef>,
    /// Who creates each kind of record.
    pub creators: BTreeMap<RecordKind, Creator>,
    /// Candidate tenant selectors.
    pub tenant_selectors: Vec<Selector>,
    /// Candidate body fields that name a record's owner.
    pub owner_fields: Vec<String>,
    /// Candidate body fields that name a tenant.
    pub tenant_fields: Vec<String>,
    /// Candidate body fields that name a role.
    pub role_fields: Vec<String>,
    /// The transitions the target offers (the stateful suite).
    pub transitions: std::collections::BTreeSet<crate::stateful::TransitionKind>,
    /// The platform has no tenants: the families that need several tenants do not apply.
    pub no_tenants: bool,
    /// What the privilege-escalation and account-takeover families may call.
    pub accounts: AccountSurface,
    /// Identities log in and get a session credential (the forged-credential family forges from it).
    pub session_login: bool,
    /// The profile says how to read the platform's audit trail (`[audit]`).
    pub audit_trail: bool,
}

/// Where the privilege-escalation family slips a role field in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleRoute {
    /// The sign-up call (`[accounts.register]`): a new account signed up with the field.
    SignUp,
    /// The identity's own profile update (`[accounts.update]`).
    OwnUpdate,
}

impl RoleRoute {
    /// The profile key of the route's endpoint.
    pub fn key(self) -> &'static str {
        match self {
            RoleRoute::SignUp => "accounts.register",
            RoleRoute::OwnUpdate => "accounts.update",
        }
    }
}

/// The account calls of a target: where role fields go, the platform's role names, and the credential
/// changes templated on a target account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccountSurface {
    /// The routes a role field can be sent through.
    pub role_routes: Vec<RoleRoute>,
    /// cloison role -> the platform's role name.
    pub platform_roles: BTreeMap<String, String>,
    /// Credential changes (their profile keys, such as `accounts.password`).
    pub credential_changes: Vec<String>,
    /// Whether cloison creates the accounts (provisioned or signed up): the accounts of a platform that
    /// had them before the run are never changed.
    pub own_accounts: bool,
}

/// Tenant selectors tried when a profile names none: the common spellings of headers and parameters that
/// multi-tenant platforms read.
pub const DEFAULT_TENANT_HEADERS: [&str; 4] =
    ["X-Tenant", "X-Tenant-Id", "X-Organisation", "X-Org-Id"];
/// Query parameters tried when a profile names none.
pub const DEFAULT_TENANT_QUERY: [&str; 4] = ["tenant", "tenant_id", "organisation", "org"];
/// Owner fields tried when a profile names none.
pub const DEFAULT_OWNER_FIELDS: [&str; 5] =
    ["owner_id", "owner", "user_id", "applicant_id", "created_by"];
/// Tenant fields tried when a profile names none.
pub const DEFAULT_TENANT_FIELDS: [&str; 4] =
    ["tenant", "tenant_id", "organisation", "organization_id"];
/// Role, admin and permission fields tried when a profile names none (`[probing] role_fields`).
pub const DEFAULT_ROLE_FIELDS: [&str; 7] = [
    "role",
    "is_admin",
    "admin",
    "roles",
    "permissions",
    "is_staff",
    "groups",
];

impl Surface {
    /// The endpoints with this operation.
    pub fn with_op(&self, op: Op) -> impl Iterator<Item = &EndpointRef> {
        self.endpoints.iter().filter(move |e| e.op == op)
    }

    /// The endpoint with this key.
    pub fn endpoint(&self, key: &str) -> Option<&EndpointRef> {
        self.endpoints.iter().find(|e| e.key == key)
    }

    /// Endpoints that read one record (by its identifier, or nested under its case).
    pub fn record_reads(&self) -> impl Iterator<Item = &EndpointRef> {
        self.endpoints.iter().filter(|e| {
            e.safe
                && e.granted.is_none()
                && matches!(e.op, Op::Read | Op::Download | Op::List)
                && matches!(e.param, Param::Record | Param::Case)
        })
    }

    /// Creates of child records under a case file that write the probe's marker, each with the list of its
    /// kind nested under the case that reads them back (the foreign-create family).
    pub fn child_creates(&self) -> impl Iterator<Item = &EndpointRef> {
        self.endpoints.iter().filter(|e| {
            e.op == Op::Create
                && e.param == Param::Case
                && e.kind != RecordKind::Case
                && e.marked
                && self.child_list(e.kind).is_some()
        })
    }

    /// The list of a kind's records nested under their case file, which reads back what a create filed
    /// there.
    pub fn child_list(&self, kind: RecordKind) -> Option<&EndpointRef> {
        self.endpoints.iter().find(|e| {
            e.op == Op::List && e.kind == kind && e.param == Param::Case && e.granted.is_none()
        })
    }

    /// Endpoints that show the caller a collection: lists, exports and safe functions with no record in
    /// their path.
    pub fn collections(&self) -> impl Iterator<Item = &EndpointRef> {
        self.endpoints.iter().filter(|e| {
            e.safe && e.param == Param::None && matches!(e.op, Op::List | Op::Export | Op::Call)
        })
    }
}
