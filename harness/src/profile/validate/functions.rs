//! `[functions.NAME]`: the platform's named functions and the roles granted to call them.

use std::collections::BTreeMap;

use cloison_suites::RecordKind;

use super::{Validator, quoted, record_roots};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::Endpoint;
use crate::profile::raw::RawEndpoint;

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
        let mut endpoint = self.endpoint(&key, raw_endpoint, roots)?;
        endpoint.granted = Some(granted.clone());
        endpoint.kind = kind;
        Ok(endpoint)
    }
}
