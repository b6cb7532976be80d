//! `[resources.KIND.create]`: one call or several steps, and where the new record's identifier comes from.

use std::collections::BTreeSet;

use cloison_suites::RecordKind;

use super::{Validator, record_roots};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Create, Endpoint, IdSource};
use crate::profile::raw::{RawEndpoint, RawOperation};

/// A step of a create, as [`Validator::id_source`] reads it.
struct IdStep<'a> {
    key: &'a KeyPath,
    index: usize,
    kind: RecordKind,
    raw: &'a RawEndpoint,
    step: &'a Endpoint,
    /// Whether the kind has a `list` endpoint (for `find`).
    listed: bool,
    /// Whether an earlier step said where the identifier comes from.
    said: bool,
}

impl Validator<'_> {
    /// A create: one call or steps, each an endpoint with the record's roots; where the identifier comes
    /// from.
    pub(super) fn create(
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
        let mut steps = Vec::new();
        let mut id = None;
        let mut names: BTreeSet<String> = BTreeSet::new();
        for (i, (key, raw_step)) in raws.iter().enumerate() {
            let step = self.create_step(key, i, kind, raw_step, &mut names)?;
            let source = IdStep {
                key,
                index: i,
                kind,
                raw: raw_step,
                step: &step,
                listed: list.is_some(),
                said: id.is_some(),
            };
            id = self.id_source(&source)?.or(id);
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

    /// The `i`th step of a create; the names it extracts join `names` (each once, none a generated value's).
    fn create_step(
        &self,
        key: &KeyPath,
        i: usize,
        kind: RecordKind,
        raw_step: &RawEndpoint,
        names: &mut BTreeSet<String>,
    ) -> Result<Endpoint, ProfileError> {
        if raw_step.granted.is_some() || raw_step.kind.is_some() {
            return Err(self.err(key, "`granted` and `kind` belong to [functions.NAME] entries: the access to a resource's records is stated in [policy]"));
        }
        if raw_step.marker.is_some() {
            return Err(self.err(
                &key.key("marker"),
                "`marker` is only read on `update` endpoints: remove it",
            ));
        }
        if raw_step.soft.is_some() {
            return Err(self.err(
                &key.key("soft"),
                "`soft` says what a deleted record holds: it belongs to a [resources.KIND.delete] endpoint",
            ));
        }
        if i > 0 && raw_step.actor.is_some() {
            return Err(self.err(&key.key("as"), "the steps of a create are made by the same identity: `as` belongs to the first step only"));
        }
        let step = self.endpoint_of(key, raw_step, record_roots(kind), true)?;
        let sample = self.sample();
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
        Ok(step)
    }

    /// Where the record's identifier comes from, if this step says: chosen (`id`), extracted
    /// (`extract.id`) or found in the list (`find`).
    fn id_source(&self, at: &IdStep<'_>) -> Result<Option<IdSource>, ProfileError> {
        let IdStep {
            key,
            index: i,
            kind,
            raw: raw_step,
            step,
            listed,
            said,
        } = *at;
        let extracts_id = step.extract.iter().any(|(name, _)| name == "id");
        let chosen = raw_step.id.as_deref();
        let found = raw_step.find.as_ref();
        let declared = usize::from(extracts_id || chosen.is_some()) + usize::from(found.is_some());
        if declared > 0 && said {
            return Err(self.err(key, "an earlier step already says where the record's identifier comes from: expected `id`, `extract.id` or `find` on one step only"));
        }
        if found.is_some() && (extracts_id || chosen.is_some()) {
            return Err(self.err(&key.key("find"), "`find` looks the identifier up in a list: it cannot be combined with `id` or `extract.id`"));
        }
        if let Some(text) = chosen {
            let template = self.template(&key.key("id"), text, record_roots(kind))?;
            return Ok(Some(IdSource::Chosen {
                template,
                origin: key.key("id"),
                read_back: extracts_id.then_some(i),
            }));
        }
        if extracts_id {
            return Ok(Some(IdSource::Extracted(i)));
        }
        let Some(found) = found else {
            return Ok(None);
        };
        if !listed {
            return Err(self.err(&key.key("find"), format!("`find` lists the records to find the new one: expected a [resources.{}.list] endpoint", kind.name())));
        }
        Ok(Some(IdSource::Found {
            items: found
                .items
                .as_deref()
                .map(|p| self.pointer(&key.key("find").key("items"), p))
                .transpose()?
                .unwrap_or_default(),
            id: self.pointer(&key.key("find").key("id"), &found.id)?,
            origin: key.key("find"),
        }))
    }
}
