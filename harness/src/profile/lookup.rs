//! What the planner and the engine ask of a valid profile: endpoints by record kind and by key, the keys
//! of every endpoint, and the surface in the planner's terms.

use std::collections::{BTreeMap, BTreeSet};

use cloison_suites::{
    Creator, EndpointRef, Op, Param, RecordKind, Refusals, Surface, TransitionKind,
};

use super::model::{Actor, Body, Create, Endpoint, Profile};
use super::template::JsonTemplate;

impl Profile {
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
            (Some("accounts"), Some("register"), None) => self.accounts.register.as_ref(),
            (Some("accounts"), Some("update"), None) => self.accounts.update.as_ref(),
            (Some("accounts"), Some("password"), None) => self.accounts.password.as_ref(),
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
        if self.accounts.update.is_some() {
            out.push("accounts.update".into());
        }
        if self.accounts.password.is_some() {
            out.push("accounts.password".into());
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
                    // A create of one call (a create of several steps is not sent as a probe).
                    "create"
                        if self
                            .creates
                            .get(&kind)
                            .is_some_and(|create| create.steps.len() == 1) =>
                    {
                        Op::Create
                    }
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
            role_fields: self.probing.role_fields.clone(),
            transitions: self.transitions_offered(),
            no_tenants: !self.tenants.exist(),
            accounts: self.account_surface(),
            session_login: self.auth.login.is_some(),
            audit_trail: self.audit.is_some(),
        }
    }

    /// The account calls the privilege-escalation and account-takeover families may make.
    pub fn account_surface(&self) -> cloison_suites::AccountSurface {
        use cloison_suites::RoleRoute;
        let accounts = &self.accounts;
        let mut role_routes = Vec::new();
        if accounts.register.is_some() {
            role_routes.push(RoleRoute::SignUp);
        }
        if accounts.update.is_some() {
            role_routes.push(RoleRoute::OwnUpdate);
        }
        cloison_suites::AccountSurface {
            role_routes,
            platform_roles: self.roles.clone(),
            credential_changes: accounts
                .password
                .iter()
                .map(|_| "accounts.password".to_string())
                .collect(),
            own_accounts: matches!(
                accounts.source,
                crate::profile::AccountSource::Provision | crate::profile::AccountSource::Register
            ),
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
        out.extend(self.accounts.update.iter());
        out.extend(self.accounts.password.iter());
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
            self.functions
                .values()
                .filter_map(|f| f.effect.as_deref())
                .flat_map(|e| [&e.setup, &e.read]),
        );
        out.extend(
            self.transitions
                .transfer
                .iter()
                .chain(self.transitions.change_role.iter()),
        );
        out
    }
}

impl Endpoint {
    /// The endpoint in the planner's terms. `record_names`: the placeholders that name one record of its
    /// kind (`document.id`, and the values the kind's create extracts, such as `document.blob`); `case_names`
    /// likewise for case files.
    pub(super) fn reference(
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
            safe: self.is_read(),
            granted: self.granted.clone(),
            open_body,
            caller: self.caller_use(param == Param::None),
            marked: placeholders.contains("probe.marker"),
            effect: self.effect.is_some(),
        }
    }
}
