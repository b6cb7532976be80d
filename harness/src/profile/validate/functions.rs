//! `[functions.NAME]`: the platform's named functions and the roles granted to call them.

use std::collections::BTreeMap;

use cloison_suites::RecordKind;

use super::{Validator, quoted, record_roots};
use crate::profile::error::{KeyPath, ProfileError};
use cloison_suites::verdict::Shows;

use crate::profile::model::{Effect, Endpoint};
use crate::profile::raw::{RawEffect, RawEndpoint};

impl Validator<'_> {
    /// `[functions]`: each function checked, each mistake recorded.
    pub(super) fn functions(
        &self,
        raw: &BTreeMap<String, RawEndpoint>,
    ) -> Result<BTreeMap<String, Endpoint>, ProfileError> {
        let mark = self.mark();
        let out = raw
            .iter()
            .filter_map(|(name, raw_endpoint)| {
                let endpoint = self.keep(self.function(name, raw_endpoint))?;
                Some((name.clone(), endpoint))
            })
            .collect();
        self.since(mark)?;
        Ok(out)
    }

    /// `[functions.NAME]`: the roles granted to call it, the kind of record it touches, the call.
    fn function(&self, name: &str, raw_endpoint: &RawEndpoint) -> Result<Endpoint, ProfileError> {
        let key = KeyPath::root("functions").key(name);
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
        if raw_endpoint.soft.is_some() {
            return Err(self.err(&key.key("soft"), "`soft` says what a deleted record holds: it belongs to a [resources.KIND.delete] endpoint"));
        }
        let roots = record_roots(kind.unwrap_or(RecordKind::Case));
        let mut call = raw_endpoint.clone();
        let (raw_effect, raw_setup) = (call.effect.take(), call.setup.take());
        let mut endpoint = self.endpoint(&key, &call, roots)?;
        endpoint.granted = Some(granted.clone());
        endpoint.kind = kind;
        endpoint.effect = match (raw_effect, raw_setup) {
            (None, None) => None,
            (Some(effect), Some(setup)) => {
                Some(Box::new(self.effect(&key, &endpoint, &effect, &setup, roots)?))
            }
            (Some(_), None) => return Err(self.err(&key.key("effect"), "a function whose effect is read back changes a record the platform owns: expected `setup`, a call as a role granted the function that sets a record aside for each probe (its `extract` names become `{{probe.NAME}}`, which the function's path or body aims at), so that the probe never touches data the platform needs")),
            (None, Some(_)) => return Err(self.err(&key.key("setup"), "`setup` sets a record aside for a function whose effect is read back: expected `effect = { read = { path = \"...\" }, shows = \"gone\" }` beside it")),
        };
        Ok(endpoint)
    }

    /// `setup` and `effect` of a function: the call that sets a record aside (as a granted role), what
    /// it extracts (`{{probe.NAME}}`, which the function must aim at), the read and how the effect shows.
    fn effect(
        &self,
        key: &KeyPath,
        function: &Endpoint,
        raw: &RawEffect,
        raw_setup: &RawEndpoint,
        roots: &[&str],
    ) -> Result<Effect, ProfileError> {
        let at = key.key("effect");
        let setup_at = key.key("setup");
        if function.granted.as_ref().is_none_or(Vec::is_empty) {
            return Err(self.err(&at, "a function whose effect is read back must be granted to a role: an identity of that role sets the record aside and reads it back"));
        }
        if raw_setup.id.is_some()
            || raw_setup.find.is_some()
            || raw_setup.effect.is_some()
            || raw_setup.setup.is_some()
        {
            return Err(self.err(&setup_at, "`setup` is one call: expected method, path, body and `extract` (what it gives the function as `{{probe.NAME}}`)"));
        }
        let setup = self.endpoint_of(&setup_at, raw_setup, roots, true)?;
        let names: Vec<String> = setup
            .extract
            .iter()
            .map(|(name, _)| format!("probe.{name}"))
            .collect();
        if names.is_empty() {
            return Err(self.err(&setup_at, "`setup` must say what it sets aside: expected `extract = { NAME = \"/pointer\" }`, and `{{probe.NAME}}` in the function's path or body"));
        }
        if names.iter().any(|n| n == "probe.marker" || n == "probe.id") {
            return Err(self.err(
                &setup_at.key("extract"),
                "`marker` and `id` are cloison's own `{{probe.*}}` values: expected another name",
            ));
        }
        let aims = function.placeholders();
        if !names.iter().any(|n| aims.contains(n)) {
            return Err(self.err(key, format!("the function must aim at the record its `setup` sets aside: expected {} in its path or body", names.iter().map(|n| format!("`{{{{{n}}}}}`")).collect::<Vec<_>>().join(" or "))));
        }
        let read = self.endpoint(&at.key("read"), &raw.read, roots)?;
        let read_aims = read.placeholders();
        if !names.iter().any(|n| read_aims.contains(n)) {
            return Err(self.err(&at.key("read"), "the read must look at the record `setup` sets aside: expected one of its `{{probe.NAME}}` in its path, query or body"));
        }
        let pointer = |needed: bool| -> Result<Option<String>, ProfileError> {
            match &raw.at {
                Some(p) => Ok(Some(self.pointer(&at.key("at"), p)?)),
                None if needed => Err(self.err(&at, format!("`shows = \"{}\"` needs where to look: expected `at = \"/field\"` (a JSON pointer into the read's answer)", raw.shows))),
                None => Ok(None),
            }
        };
        let shows = match raw.shows.as_str() {
            "gone" => Shows::Gone {
                at: pointer(false)?,
            },
            "marker" => {
                if !aims.contains("probe.marker") {
                    return Err(self.err(&at.key("shows"), "`shows = \"marker\"` looks for the call's marker: expected `{{probe.marker}}` in the function's body"));
                }
                Shows::Marker {
                    at: pointer(true)?.unwrap_or_default(),
                }
            }
            "changed" => Shows::Changed {
                at: pointer(true)?.unwrap_or_default(),
            },
            other => {
                return Err(self.err(&at.key("shows"), format!("unknown effect `{other}`: expected one of \"gone\" (the record is gone: the read answers 404 or 410, or the value at `at` disappears), \"marker\" (the value at `at` is the call's `{{{{probe.marker}}}}`), \"changed\" (the value at `at` differs from before)")));
            }
        };
        Ok(Effect { setup, read, shows })
    }
}
