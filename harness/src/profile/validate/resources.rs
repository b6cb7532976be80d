//! `[resources]`: the entity behind each resource, its operations, and which resource is each entity's main
//! one (the others are views: more routes to the same records).

use std::collections::BTreeMap;

use cloison_suites::RecordKind;

use super::{RESERVED_ROOTS, Validator, quoted, record_roots};
use crate::profile::OPERATIONS;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Create, Endpoint};
use crate::profile::raw::RawOperation;

/// The operations that read: whatever their method, they change nothing.
const READ_OPERATIONS: [&str; 5] = ["read", "download", "list", "search", "export"];

/// Per entity, the operations of its main resource.
type Main = BTreeMap<RecordKind, BTreeMap<String, Endpoint>>;
/// Other resources holding the same entities, by name.
type Views = BTreeMap<String, (RecordKind, BTreeMap<String, Endpoint>)>;

/// `[resources]`, validated: per entity, its main resource (the one that creates its records) and its
/// create; the other resources holding the same entity (views); and the main resources' names.
pub(in crate::profile) struct Resources {
    pub(super) main: Main,
    pub(super) creates: BTreeMap<RecordKind, Create>,
    pub(super) views: Views,
    pub(super) names: BTreeMap<RecordKind, String>,
}

impl Validator<'_> {
    /// Each `[resources.NAME]` with the generated entity behind it: `entity = "..."`, or the name itself
    /// when it is an entity's. An entity backs one resource; a name of the profile's may not be another
    /// entity's nor a placeholder root.
    pub(super) fn resource_kinds(
        &self,
        raw: &BTreeMap<String, BTreeMap<String, RawOperation>>,
    ) -> BTreeMap<String, RecordKind> {
        raw.iter()
            .filter_map(|(name, ops)| {
                let kind = self.keep(self.resource_kind(name, ops))?;
                Some((name.clone(), kind))
            })
            .collect()
    }

    /// The entity behind `[resources.NAME]`.
    fn resource_kind(
        &self,
        name: &str,
        ops: &BTreeMap<String, RawOperation>,
    ) -> Result<RecordKind, ProfileError> {
        let at = KeyPath::root("resources");
        let entities = RecordKind::ALL.map(RecordKind::name);
        let kind = match ops.get("entity") {
            Some(RawOperation::Text(entity)) => {
                let Some(kind) = RecordKind::ALL.into_iter().find(|k| k.name() == entity) else {
                    return Err(self.err(
                        &at.key(name).key("entity"),
                        format!(
                            "unknown entity `{entity}`: expected one of {}",
                            quoted(&entities)
                        ),
                    ));
                };
                if name != entity && entities.contains(&name) {
                    return Err(self.err(
                            &at.key(name),
                            format!("`{name}` is the name of the generated {name}s: a resource holding {entity}s needs another name (or none: `[resources.{entity}]`)"),
                        ));
                }
                if RESERVED_ROOTS.contains(&name) {
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
        Ok(kind)
    }

    /// `[resources]`: every operation of every resource, each mistake recorded; then each entity's main
    /// resource, and what the direct-read suite needs.
    pub(super) fn resources(
        &self,
        raw: &BTreeMap<String, BTreeMap<String, RawOperation>>,
    ) -> Result<Resources, ProfileError> {
        let at = KeyPath::root("resources");
        let mark = self.mark();
        let mut by_name: Views = BTreeMap::new();
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
                if op == "entity"
                    || self
                        .keep(self.operation_allowed(&key, kind_name, kind, op, operation))
                        .is_none()
                {
                    continue;
                }
                if op == "create" {
                    if let Some(other) = creator_names.get(&kind) {
                        self.report(self.err(
                            &key,
                            format!("`{other}` creates the generated {kind}s already: one resource per entity creates its records, and the others (such as `{kind_name}`) reach the same records by other routes: remove this create"),
                        ));
                        continue;
                    }
                    creator_names.insert(kind, kind_name.clone());
                    if let Some(create) =
                        self.keep(self.create(&key, kind, operation, ops.get("list")))
                    {
                        compiled.insert(op.clone(), create.steps[0].clone());
                        creates.insert(kind, create);
                    }
                    continue;
                }
                if let Some(endpoint) =
                    self.keep(self.operation(&key, kind_name, kind, op, operation))
                {
                    compiled.insert(op.clone(), endpoint);
                }
            }
            by_name.insert(kind_name.clone(), (kind, compiled));
        }
        // What is missing may be what a mistake left out: the suite's needs are checked on a clean table.
        self.since(mark)?;
        let (main, views, names) = self.main_resources(by_name, &creates, creator_names)?;
        Ok(Resources {
            main,
            creates,
            views,
            names,
        })
    }

    /// Whether `[resources.KIND.OP]` may be declared at all.
    fn operation_allowed(
        &self,
        key: &KeyPath,
        kind_name: &str,
        kind: RecordKind,
        op: &str,
        operation: &RawOperation,
    ) -> Result<(), ProfileError> {
        if let RawOperation::Text(_) = operation {
            return Err(self.err(
                key,
                format!("an operation is a table: expected [resources.{kind_name}.{op}] with at least a `path` (only `entity` is a string)"),
            ));
        }
        if kind == RecordKind::Account && ["create", "update", "delete"].contains(&op) {
            let why = if op == "create" {
                format!(
                    "an account is not created as a record: it exists once its identity does (provisioned, signed up or existing), and its `{{{{{kind_name}.id}}}}` is the identity's id"
                )
            } else {
                "accounts are read, listed, searched and exported, not changed: a probe that changed or deleted an account could lock out the identity later probes act as".to_string()
            };
            return Err(self.err(key, format!("`{op}` on `{kind_name}`: {why}")));
        }
        if !OPERATIONS.contains(&op) {
            return Err(self.err(
                key,
                format!(
                    "unknown operation `{op}`: expected one of {}",
                    quoted(&OPERATIONS)
                ),
            ));
        }
        Ok(())
    }

    /// An operation other than `create`: one endpoint on the kind's records.
    fn operation(
        &self,
        key: &KeyPath,
        kind_name: &str,
        kind: RecordKind,
        op: &str,
        operation: &RawOperation,
    ) -> Result<Endpoint, ProfileError> {
        let endpoint = match operation {
            RawOperation::One(endpoint) => endpoint,
            RawOperation::Steps(_) | RawOperation::Text(_) => {
                return Err(self.err(key, format!("only a create may be a list of steps: expected one [resources.{kind_name}.{op}] table")));
            }
        };
        if endpoint.granted.is_some() || endpoint.kind.is_some() {
            return Err(self.err(key, "`granted` and `kind` belong to [functions.NAME] entries: the access to a resource's records is stated in [policy]"));
        }
        // `narrow` is the policy's (see `Validator::narrowing`).
        let mut plain = (**endpoint).clone();
        plain.narrow = None;
        let mut endpoint = self.endpoint(key, &plain, record_roots(kind))?;
        // A read, a download, a list, a search or an export changes nothing whatever its method (a `POST`
        // search, a GraphQL query): it is probed as a read, and resent like one.
        endpoint.read = READ_OPERATIONS.contains(&op);
        if op == "update" {
            if endpoint.marker.is_none() {
                return Err(self.err(key, "an update must say where its marker lands in the record read back: expected `marker = \"/field\"` (a JSON pointer into the read endpoint's answer) and `{{probe.marker}}` in the body"));
            }
            if !endpoint.placeholders().contains("probe.marker") {
                return Err(self.err(key, "an update must write the probe's marker: expected `{{probe.marker}}` in its body (the field `marker` points at)"));
            }
        }
        if endpoint.marker.is_some() && op != "update" {
            return Err(self.err(
                &key.key("marker"),
                "`marker` is only read on `update` endpoints: remove it",
            ));
        }
        if endpoint.soft.is_some() && op != "delete" {
            return Err(self.err(
                &key.key("soft"),
                "`soft` says what a deleted record holds: it belongs to a [resources.KIND.delete] endpoint",
            ));
        }
        Ok(endpoint)
    }

    /// Each entity's main resource and the views, checked against what the direct-read suite needs.
    fn main_resources(
        &self,
        by_name: Views,
        creates: &BTreeMap<RecordKind, Create>,
        creator_names: BTreeMap<RecordKind, String>,
    ) -> Result<(Main, Views, BTreeMap<RecordKind, String>), ProfileError> {
        let at = KeyPath::root("resources");
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
        // Documents are optional (a platform may have none); a profile that names them creates and reads them.
        let documents = out.contains_key(&RecordKind::Document)
            || views.values().any(|(k, _)| *k == RecordKind::Document);
        if documents {
            need(RecordKind::Document, &["create"])?;
            need(RecordKind::Document, &["download", "read"])?;
        }
        Ok((out, views, names))
    }
}
