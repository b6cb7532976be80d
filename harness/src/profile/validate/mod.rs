//! Validation of a parsed profile, one module per section of the file, into the compiled [`Profile`].
//!
//! Every section's checks record their mistakes in one list and go on, so a profile with several
//! independent mistakes reports them all in one run (`(T, Vec<Error>)`, as rust-analyzer parses). A
//! section whose mistakes make later checks meaningless stops what depends on it: the roles and the
//! resources' names (every section reads them), an unsupported format, the accounts (the tenants,
//! provisioning and authentication follow from them). The checks that read several sections at once
//! (`fields`: every placeholder names a value) run on the sections that had no mistake.

mod accounts;
mod audit;
mod auth;
mod body;
mod creates;
mod endpoint;
mod fields;
mod functions;
mod openapi;
mod policy;
mod poll;
mod probing;
mod refusals;
mod resources;
mod tenants;
mod transitions;

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cloison_suites::RecordKind;

use super::error::{KeyPath, ProfileError, Source};
use super::model::{Endpoint, Profile};
use super::raw::RawProfile;
use super::template::{self, Template};

use resources::Resources;

/// Validate a parsed profile: every mistake, located, or the compiled profile.
pub(super) fn profile(
    source: &Source<'_>,
    raw: RawProfile,
    base: Option<&Path>,
) -> Result<Profile, ProfileError> {
    let maps = raw
        .maps
        .iter()
        .map(|(name, map)| (name.clone(), std::sync::Arc::new(map.clone())))
        .collect();
    let mut validator = Validator {
        source,
        maps,
        kinds: BTreeMap::new(),
        aliases: BTreeMap::new(),
        staff: Vec::new(),
        errors: RefCell::default(),
        sample: OnceCell::new(),
    };
    // Every other section reads the roles and the resources' names: their mistakes stop here.
    validator.staff = validator.own_roles(&raw.roles);
    validator.kinds = validator.resource_kinds(&raw.resources);
    validator.since(0)?;
    validator.aliases = validator
        .kinds
        .iter()
        .filter(|(name, kind)| name.as_str() != kind.name())
        .map(|(name, kind)| (name.clone(), kind.name().to_string()))
        .collect();
    validator.compile(raw, base)
}

pub(in crate::profile) struct Validator<'a> {
    source: &'a Source<'a>,
    maps: template::Maps,
    /// Each `[resources.NAME]` with the generated entity behind it.
    kinds: BTreeMap<String, RecordKind>,
    /// Roles of the platform's own (`[roles] auditor = { staff = true }`), beside cloison's four.
    staff: Vec<String>,
    /// Resource names that differ from their entity's, as placeholder roots to read as the entity's
    /// (`{{order.id}}` is `{{case.id}}` where `[resources.order]` holds case files).
    aliases: BTreeMap<String, String>,
    /// The mistakes found so far.
    errors: RefCell<Vec<ProfileError>>,
    /// The fields every placeholder root offers, from a small generated world (see `fields`).
    sample: OnceCell<serde_json::Value>,
}

/// Placeholder roots other than the entities': a resource the profile names may not take one of them.
const RESERVED_ROOTS: &[&str] = &[
    "tenant",
    "identity",
    "caller",
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
const ROOTS_LOGIN: &[&str] = &["tenant", "identity", "caller", "person", "secrets"];
const ROOTS_REPRESENTATION: &[&str] = &[
    "tenant",
    "representation",
    "representative",
    "represented",
    "secrets",
];
const ROOTS_SEND: &[&str] = &["tenant", "identity", "caller", "token", "secrets"];
const ROOTS_TENANT_CREATE: &[&str] = &["tenant", "identity", "person", "secrets"];
const ROOTS_TRANSFER: &[&str] = &[
    "tenant", "identity", "caller", "person", "case", "to", "secrets",
];
const ROOTS_CHANGE_ROLE: &[&str] = &["tenant", "identity", "role", "secrets"];
const ROOTS_OWN_UPDATE: &[&str] = &["tenant", "identity", "caller", "person", "secrets"];
const ROOTS_CREDENTIAL: &[&str] = &["tenant", "identity", "caller", "probe", "secrets"];

/// The roots of the endpoints of a record kind: the record's values, the identity that sends the request
/// (`identity`, `caller`), the probe's, the secrets.
fn record_roots(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Case => &[
            "tenant", "identity", "caller", "person", "case", "probe", "secrets",
        ],
        RecordKind::Document => &[
            "tenant", "identity", "caller", "person", "case", "document", "probe", "secrets",
        ],
        RecordKind::Note => &[
            "tenant", "identity", "caller", "person", "case", "note", "probe", "secrets",
        ],
        RecordKind::Decision => &[
            "tenant", "identity", "caller", "person", "case", "decision", "probe", "secrets",
        ],
        RecordKind::Account => &[
            "tenant", "identity", "caller", "person", "account", "probe", "secrets",
        ],
        RecordKind::Person => &["tenant", "identity", "caller", "person", "probe", "secrets"],
    }
}

/// The sections of a profile, each validated or `None` where it had mistakes (recorded).
struct Sections {
    name: Option<String>,
    roles: Option<BTreeMap<String, String>>,
    policy: Option<cloison_suites::AccessPolicy>,
    refusals: Option<cloison_suites::Refusals>,
    health: Option<Option<Endpoint>>,
    reset: Option<Vec<Endpoint>>,
    accounts: Option<super::model::Accounts>,
    tenants: Option<super::model::Tenants>,
    provisioning: Option<Option<super::model::Provisioning>>,
    auth: Option<super::model::Auth>,
    resources: Option<Resources>,
    functions: Option<BTreeMap<String, Endpoint>>,
    probing: Option<super::model::Probing>,
    transitions: Option<super::model::Transitions>,
    openapi: Option<Option<super::model::OpenApiSource>>,
    deploy: Option<Option<super::deploy::Deploy>>,
    audit: Option<Option<super::model::Audit>>,
}

impl Validator<'_> {
    /// A mistake at a key path.
    pub(in crate::profile) fn err(
        &self,
        key: &KeyPath,
        message: impl Into<String>,
    ) -> ProfileError {
        self.source.error_at_key(key, message)
    }

    /// Record a mistake and go on.
    fn report(&self, error: ProfileError) {
        self.errors.borrow_mut().push(error);
    }

    /// The value, or `None` with its mistakes recorded.
    fn keep<T>(&self, result: Result<T, ProfileError>) -> Option<T> {
        result.map_err(|error| self.report(error)).ok()
    }

    /// A mark in the list of mistakes, for [`Validator::since`].
    fn mark(&self) -> usize {
        self.errors.borrow().len()
    }

    /// The mistakes recorded since `mark`, taken back as one error (for a caller that cannot go on
    /// without what they concern).
    fn taken(&self, mark: usize) -> ProfileError {
        let taken: Vec<ProfileError> = self.errors.borrow_mut().drain(mark..).collect();
        ProfileError::several(taken).unwrap_or_else(|| {
            self.err(
                &KeyPath::default(),
                "this profile could not be validated (a section gave no value and no reason)",
            )
        })
    }

    /// `Err` with the mistakes recorded since `mark`, if there are any.
    fn since(&self, mark: usize) -> Result<(), ProfileError> {
        if self.mark() > mark {
            Err(self.taken(mark))
        } else {
            Ok(())
        }
    }

    /// Validate every section, then the checks across sections; assemble the profile if nothing is wrong.
    fn compile(&self, raw: RawProfile, base: Option<&Path>) -> Result<Profile, ProfileError> {
        // Format 2 adds keys to format 1 and changes none: a format 1 file loads as it is. Another format
        // may mean anything: nothing more is checked.
        if !(1..=2).contains(&raw.format) {
            return Err(self.err(
                &KeyPath::root("format"),
                format!("unsupported format {}: expected 1 or 2", raw.format),
            ));
        }
        let secrets_file = raw.secrets_file.clone().map(|f| match base {
            Some(base) => base.join(f),
            None => PathBuf::from(f),
        });
        let sections = self.sections(raw, base);
        self.across(&sections);
        self.assemble(sections, secrets_file)
    }

    fn sections(&self, raw: RawProfile, base: Option<&Path>) -> Sections {
        let name = if raw.name.trim().is_empty() {
            self.report(self.err(
                &KeyPath::root("name"),
                "empty name: expected the platform's name",
            ));
            None
        } else {
            Some(raw.name)
        };
        let roles = self.keep(self.roles(raw.roles));
        // The endpoints' narrowing is checked even when the rest of the policy has mistakes: all at once.
        let policy = roles.as_ref().and_then(|roles| {
            let policy = self.keep(self.policy(&raw.policy, roles));
            let narrowed =
                self.narrowing(policy.clone().unwrap_or_default(), &raw.resources, roles);
            policy.map(|_| narrowed)
        });
        let accounts = self.keep(self.accounts(raw.accounts));
        let tenants = accounts
            .as_ref()
            .and_then(|accounts| self.keep(self.tenants(raw.tenants, accounts)));
        let provisioning = match (&accounts, &tenants) {
            (Some(accounts), Some(tenants)) => {
                self.keep(self.provisioning(raw.provisioning.as_ref(), accounts, tenants))
            }
            _ => None,
        };
        let auth = accounts
            .as_ref()
            .and_then(|accounts| self.keep(self.auth(raw.auth, accounts)));
        let transitions =
            self.keep(self.transitions(raw.transitions.unwrap_or_default(), provisioning.as_ref()));
        let audit = self.keep(self.audit(raw.audit, base, roles.as_ref()));
        Sections {
            name,
            roles,
            policy,
            refusals: self.keep(self.refusals(&KeyPath::root("refusals"), &raw.refusals)),
            health: self.keep(self.health(raw.health.as_ref())),
            reset: self.keep(self.reset(&raw.reset)),
            accounts,
            tenants,
            provisioning,
            auth,
            resources: self.keep(self.resources(&raw.resources)),
            functions: self.keep(self.functions(&raw.functions)),
            probing: self.keep(self.probing(raw.probing.unwrap_or_default())),
            transitions,
            openapi: self.keep(self.openapi(raw.openapi, base)),
            deploy: self.keep(self.deploy(raw.deploy)),
            audit,
        }
    }

    /// The compiled profile, or every mistake found.
    fn assemble(
        &self,
        sections: Sections,
        secrets_file: Option<PathBuf>,
    ) -> Result<Profile, ProfileError> {
        self.since(0)?;
        let Sections {
            name: Some(name),
            roles: Some(roles),
            policy: Some(policy),
            refusals: Some(refusals),
            health: Some(health),
            reset: Some(reset),
            accounts: Some(accounts),
            tenants: Some(tenants),
            provisioning: Some(provisioning),
            auth: Some(auth),
            resources: Some(resources),
            functions: Some(functions),
            probing: Some(probing),
            transitions: Some(transitions),
            openapi: Some(openapi),
            deploy: Some(deploy),
            audit: Some(audit),
        } = sections
        else {
            return Err(self.taken(0));
        };
        let Resources {
            main: resources,
            creates,
            views,
            names: kind_names,
        } = resources;
        Ok(Profile {
            name,
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
            audit,
        })
    }

    /// `[health]`: called with no identity.
    fn health(
        &self,
        raw: Option<&super::raw::RawEndpoint>,
    ) -> Result<Option<Endpoint>, ProfileError> {
        raw.map(|e| self.endpoint(&KeyPath::root("health"), e, ROOTS_SECRETS))
            .transpose()
    }

    /// `[[reset]]`: each call checked.
    fn reset(&self, raw: &[super::raw::RawEndpoint]) -> Result<Vec<Endpoint>, ProfileError> {
        let mark = self.mark();
        let reset: Vec<Option<Endpoint>> = raw
            .iter()
            .enumerate()
            .map(|(i, e)| {
                self.keep(self.endpoint(&KeyPath::root("reset").index(i), e, ROOTS_SECRETS))
            })
            .collect();
        self.since(mark)?;
        Ok(reset.into_iter().flatten().collect())
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

    /// A template of the profile, parsed, its roots renamed and checked against `roots`.
    pub(in crate::profile) fn template(
        &self,
        at: &KeyPath,
        text: &str,
        roots: &[&str],
    ) -> Result<Template, ProfileError> {
        let mut template =
            Template::parse_with(text, &self.maps).map_err(|e| self.err(at, e.to_string()))?;
        template.rename_roots(&self.aliases);
        template
            .check_roots(roots)
            .map_err(|e| self.err(at, e.to_string()))?;
        Ok(template)
    }
}

/// Items as `` `a`, `b` ``, for messages.
fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
