//! The checks across sections: every placeholder of every template names a value the run will have, a
//! tenant's identifier and credential are used only where cloison knows them, and what a create extracts
//! is used, by later steps only.

use cloison_suites::RecordKind;

use super::{Sections, Validator, quoted};
use crate::profile::caller::CALLER;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Accounts, Auth, Create, Endpoint, IdSource, Tenants};
use crate::profile::raw::{AccountSource, TenantMode};
use crate::profile::template::Template;

impl Validator<'_> {
    /// Every placeholder must name a field that exists: a misspelt field is an error at load, never an
    /// empty value or a failure mid-run. So must every fallback; a field of a single value (`{{role.x}}`)
    /// names nothing; and a list or a table can only be the whole value of a `json` field (`whole`: the
    /// template is one, a sole placeholder without filters), never text.
    pub(super) fn check_fields(
        &self,
        at: &KeyPath,
        template: &Template,
        sample: &serde_json::Value,
        whole: bool,
    ) -> Result<(), ProfileError> {
        for path in template.paths() {
            let Some(root) = path.first() else { continue };
            // Secrets come from a file read at run time.
            if root == "secrets" {
                continue;
            }
            let shown = path.join(".");
            // A token is a single value.
            if root == "token" {
                if path.len() > 1 {
                    return Err(self.err(at, format!("`{{{{{shown}}}}}` names no value: the token is a single value, `{{{{token}}}}`")));
                }
                continue;
            }
            let Some(node) = self.walk(at, &path, &sample[root.as_str()])? else {
                continue;
            };
            if !whole && (node.is_array() || node.is_object()) {
                return Err(self.err(at, format!("`{{{{{shown}}}}}` is a list or a table, which cannot be written as text: expected a single value, or this placeholder alone as the whole value of a `json` field")));
            }
        }
        Ok(())
    }

    /// The sample value at `path` from the root's `node`; `None` past a list or a value of unknown shape
    /// (absent from the sample), where nothing more can be checked.
    fn walk<'s>(
        &self,
        at: &KeyPath,
        path: &[String],
        mut node: &'s serde_json::Value,
    ) -> Result<Option<&'s serde_json::Value>, ProfileError> {
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
                serde_json::Value::String(_)
                | serde_json::Value::Number(_)
                | serde_json::Value::Bool(_) => {
                    return Err(self.err(
                        at,
                        format!(
                            "`{{{{{}}}}}` names no value: `{}` is a single value, with no field `{segment}`",
                            path.join("."),
                            path[..depth].join("."),
                        ),
                    ));
                }
                serde_json::Value::Array(_) | serde_json::Value::Null => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    /// A step of a create may only use what earlier steps extracted (`{{KIND.NAME}}`).
    fn check_extract_order(&self, kind: RecordKind, create: &Create) -> Result<(), ProfileError> {
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
        Ok(())
    }

    /// A value a create extracts must be used: by a later step or by another endpoint of the record, as
    /// `{{KIND.NAME}}`.
    fn check_extracts_used(
        &self,
        kind: RecordKind,
        create: &Create,
        all: &[&Endpoint],
    ) -> Result<(), ProfileError> {
        for (j, name, _) in create.named_extracts() {
            let wanted = format!("{}.{name}", kind.name());
            let used = all.iter().any(|e| e.placeholders().contains(&wanted));
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
        Ok(())
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
            // `{{caller.tenant.*}}`: the caller's own tenant, whose identifier and credential cloison knows
            // wherever the caller is (every request it sends).
            let (tenant_path, setup) = match path.first().map(String::as_str) {
                Some("tenant") => (&path[..], setup),
                Some(CALLER) if path.get(1).is_some_and(|f| f == "tenant") => (&path[1..], true),
                _ => continue,
            };
            let shown = path.join(".");
            if !tenants.exist() {
                return Err(self.err(at, format!("`{{{{{shown}}}}}`: the platform has no tenants (`[tenants] mode = \"none\"`)")));
            }
            let Some(field) = tenant_path
                .get(1)
                .map(String::as_str)
                .filter(|f| ["id", "credential"].contains(f))
            else {
                continue;
            };
            if !setup {
                return Err(self.err(at, format!("`{{{{{shown}}}}}` is known to the setup only: expected it in [accounts.register], [provisioning.identity], [auth.login], [auth.logout] or `auth.send`, or `{{{{caller.{shown}}}}}`, the {field} of the tenant of the identity that sends the request")));
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
}

/// The endpoints whose templates may read `{{tenant.id}}` and `{{tenant.credential}}`.
const SETUP_KEYS: [&str; 4] = [
    "accounts.register",
    "provisioning.identity",
    "auth.login",
    "auth.logout",
];

impl Sections {
    /// Every endpoint of the sections without mistakes.
    fn endpoints(&self) -> Vec<&Endpoint> {
        let mut all: Vec<&Endpoint> = Vec::new();
        all.extend(self.health.iter().flatten());
        all.extend(self.reset.iter().flatten());
        all.extend(self.tenants.iter().flat_map(|t| t.create.iter()));
        all.extend(self.accounts.iter().flat_map(|a| a.register.iter()));
        if let Some(Some(p)) = &self.provisioning {
            all.extend(p.tenant.iter().chain(p.identity.iter()));
            all.extend(p.representation.iter().chain(p.end_representation.iter()));
        }
        all.extend(
            self.auth
                .iter()
                .flat_map(|a| a.login.iter().chain(a.logout.iter())),
        );
        if let Some(r) = &self.resources {
            all.extend(
                r.main
                    .values()
                    .chain(r.views.values().map(|(_, ops)| ops))
                    .flat_map(|ops| ops.values()),
            );
            all.extend(r.creates.values().flat_map(|c| c.steps.iter().skip(1)));
        }
        all.extend(self.functions.iter().flat_map(|f| f.values()));
        all.extend(
            self.functions
                .iter()
                .flat_map(|f| f.values())
                .filter_map(|f| f.effect.as_deref())
                .flat_map(|e| [&e.setup, &e.read]),
        );
        all.extend(
            self.transitions
                .iter()
                .flat_map(|t| t.transfer.iter().chain(t.change_role.iter())),
        );
        all
    }

    /// Whether every section with endpoints had no mistake (so that every use of a value is known).
    fn complete(&self) -> bool {
        self.health.is_some()
            && self.reset.is_some()
            && self.accounts.is_some()
            && self.tenants.is_some()
            && self.provisioning.is_some()
            && self.auth.is_some()
            && self.resources.is_some()
            && self.functions.is_some()
            && self.transitions.is_some()
    }
}

impl Validator<'_> {
    /// The fields every placeholder root offers (computed once).
    pub(super) fn sample(&self) -> &serde_json::Value {
        self.sample.get_or_init(sample_fields)
    }

    /// The checks across sections, on the sections without mistakes; each mistake recorded.
    pub(super) fn across(&self, s: &Sections) {
        let endpoints = s.endpoints();
        // The values creates extract and accounts declare: known when those sections had no mistake.
        let sample = match (&s.resources, &s.accounts) {
            (Some(resources), Some(accounts)) => {
                let mut sample = self.sample().clone();
                for (kind, create) in &resources.creates {
                    for (_, name, _) in create.named_extracts() {
                        sample[kind.name()][name] = serde_json::Value::String(String::new());
                    }
                }
                // What functions' setups set aside: `{{probe.NAME}}`.
                for effect in s
                    .functions
                    .iter()
                    .flat_map(|f| f.values())
                    .filter_map(|f| f.effect.as_deref())
                {
                    for (name, _) in &effect.setup.extract {
                        sample["probe"][name] = serde_json::Value::String(String::new());
                    }
                }
                Some(with_attributes(sample, accounts))
            }
            _ => None,
        };
        let tenancy = match (&s.tenants, &s.provisioning) {
            // `[provisioning.tenant]` may give `{{tenant.id}}`.
            (Some(tenants), Some(provisioning)) => Some(Tenancy {
                tenants,
                provisioned_id: provisioning
                    .as_ref()
                    .and_then(|p| p.tenant.as_ref())
                    .is_some_and(|t| t.extract.iter().any(|(n, _)| n == "id")),
            }),
            _ => None,
        };
        let check = |key: &KeyPath, template: &Template, whole: bool, setup: bool| {
            if let Some(sample) = &sample {
                self.check_fields(key, template, sample, whole)?;
            }
            match &tenancy {
                Some(t) => {
                    self.check_tenant_fields(key, template, t.tenants, t.provisioned_id, setup)
                }
                None => Ok(()),
            }
        };
        for endpoint in &endpoints {
            let setup = SETUP_KEYS.contains(&endpoint.origin.to_string().as_str());
            let json = endpoint.origin.key("json");
            for (key, template) in endpoint.templates() {
                let whole = key.0.starts_with(&json.0) && template.keeps_type();
                self.keep(check(&key, template, whole, setup));
            }
        }
        if let (Some(sample), Some(resources)) = (&sample, &s.resources) {
            for create in resources.creates.values() {
                if let IdSource::Chosen {
                    template, origin, ..
                } = &create.id
                {
                    self.keep(self.check_fields(origin, template, sample, false));
                }
            }
        }
        if let Some(resources) = &s.resources {
            for (kind, create) in &resources.creates {
                if self.keep(self.check_extract_order(*kind, create)).is_some() && s.complete() {
                    self.keep(self.check_extracts_used(*kind, create, &endpoints));
                }
            }
        }
        if let Some(auth) = &s.auth {
            for (i, send) in auth.send.iter().enumerate() {
                let key = if auth.send.len() == 1 {
                    KeyPath::root("auth").key("send").key("value")
                } else {
                    KeyPath::root("auth").key("send").index(i).key("value")
                };
                self.keep(check(&key, &send.value, false, true));
            }
        }
        if let (Some(accounts), Some(auth)) = (&s.accounts, &s.auth) {
            self.keep(self.check_credential(accounts, auth));
        }
        if let Some(accounts) = &s.accounts {
            self.check_attributes(accounts);
        }
    }

    /// With `source = "none"`, the tenant's credential must be sent.
    fn check_credential(&self, accounts: &Accounts, auth: &Auth) -> Result<(), ProfileError> {
        if accounts.source != AccountSource::None {
            return Ok(());
        }
        let uses_credential = auth
            .send
            .iter()
            .map(|s| &s.value)
            .chain(
                auth.login
                    .iter()
                    .flat_map(|l| l.templates().into_iter().map(|(_, t)| t)),
            )
            .any(|t| {
                t.placeholders()
                    .any(|p| p == "tenant.credential" || p == "caller.tenant.credential")
            });
        if uses_credential {
            Ok(())
        } else {
            Err(self.err(&KeyPath::root("accounts").key("source"), "with `source = \"none\"` identities have no credential of their own: expected `{{tenant.credential}}` (or `{{caller.tenant.credential}}`) in `auth.send` or [auth.login] (a tenant's key shared by its members); the caller without any credential is always probed by the `anonymous` family"))
        }
    }
}

/// What `{{tenant.id}}` and `{{tenant.credential}}` may be read from.
struct Tenancy<'a> {
    tenants: &'a Tenants,
    provisioned_id: bool,
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
        "probe": { "marker": "", "id": "", "secret": "" },
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
        for ctx in crate::contexts::record_contexts(&world, &Default::default()).all() {
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
    // The caller: the identity that sends the request, and its own tenant.
    let mut caller = sample["identity"].clone();
    caller["tenant"] = sample["tenant"].clone();
    sample[CALLER] = caller;
    sample
}

/// The sample of placeholder fields, with the attributes existing accounts declare under `identity`.
fn with_attributes(mut sample: serde_json::Value, accounts: &Accounts) -> serde_json::Value {
    let attributes: serde_json::Map<String, serde_json::Value> = accounts
        .existing
        .iter()
        .flat_map(|a| a.attributes.keys())
        .map(|name| (name.clone(), serde_json::Value::String(String::new())))
        .collect();
    sample["identity"]["attributes"] = serde_json::Value::Object(attributes.clone());
    sample[CALLER]["attributes"] = serde_json::Value::Object(attributes);
    sample
}
