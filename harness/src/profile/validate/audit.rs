//! `[audit]`: where the platform's audit trail is read after the probes (a paginated endpoint, the
//! application container's logs, or a JSON-lines file), and the JSON pointers of an entry's values.

use std::path::{Path, PathBuf};

use cloison_suites::audit::{Operation, Rules};

use super::Validator;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Audit, TrailSource};
use crate::profile::raw::RawAudit;

/// The roots an audit endpoint's templates may use.
const ROOTS_AUDIT: &[&str] = &["secrets", "page"];

/// The longest window a profile may give, in seconds.
const MAX_WINDOW_SECONDS: f64 = 3600.0;

impl Validator<'_> {
    /// `[audit]`, every mistake recorded before returning.
    pub(super) fn audit(
        &self,
        raw: Option<RawAudit>,
        base: Option<&Path>,
        roles: Option<&std::collections::BTreeMap<String, String>>,
    ) -> Result<Option<Audit>, ProfileError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let at = KeyPath::root("audit");
        let mark = self.mark();
        let source = self.keep(self.trail_source(&at, &raw, base, roles));
        let pointer = |key: &str, value: &str| self.keep(self.pointer(&at.key(key), value));
        let actor = pointer("actor", &raw.actor);
        let record = pointer("record", &raw.record);
        let optional =
            |key: &str, value: &Option<String>| value.as_deref().and_then(|v| pointer(key, v));
        let (action, time, outcome) = (
            optional("action", &raw.action),
            optional("time", &raw.time),
            optional("outcome", &raw.outcome),
        );
        let mut rules = Rules::default();
        if let Some(denied) = raw.denied {
            if denied.is_empty() {
                self.report(self.err(
                    &at.key("denied"),
                    "an empty list: expected the outcome or action values of a denied event",
                ));
            }
            rules.denied = denied;
        }
        match raw.window {
            None => {}
            Some(w) if (0.0..=MAX_WINDOW_SECONDS).contains(&w) => rules.window = w,
            Some(w) => self.report(self.err(
                &at.key("window"),
                format!(
                    "`{w}` seconds: expected a number of seconds from 0 to {MAX_WINDOW_SECONDS}"
                ),
            )),
        }
        for (name, actions) in raw.actions {
            match Operation::ALL.into_iter().find(|op| op.name() == name) {
                Some(op) => {
                    rules.actions.insert(op, actions);
                }
                None => self.report(self.err(
                    &at.key("actions").key(&name),
                    format!("unknown operation `{name}`: expected `read`, `create`, `update` or `delete`"),
                )),
            }
        }
        if raw.action.is_none() && !rules.actions.is_empty() {
            self.report(self.err(
                &at.key("actions"),
                "actions are listed but no `action` pointer says where an entry's action is",
            ));
        }
        self.since(mark)?;
        let (Some(source), Some(actor), Some(record)) = (source, actor, record) else {
            return Err(self.taken(mark));
        };
        Ok(Some(Audit {
            source,
            actor,
            record,
            action,
            time,
            outcome,
            rules,
        }))
    }

    /// Exactly one of `endpoint`, `logs = true` and `file`.
    fn trail_source(
        &self,
        at: &KeyPath,
        raw: &RawAudit,
        base: Option<&Path>,
        roles: Option<&std::collections::BTreeMap<String, String>>,
    ) -> Result<TrailSource, ProfileError> {
        let logs = raw.logs == Some(true);
        let given = usize::from(raw.endpoint.is_some())
            + usize::from(logs)
            + usize::from(raw.file.is_some());
        if given != 1 {
            return Err(self.err(
                at,
                "expected exactly one source of the trail: `endpoint` (a paginated call), `logs = true` (the application container's JSON lines) or `file` (a JSON-lines file)",
            ));
        }
        let endpoint_only = [
            ("as", raw.caller.is_some()),
            ("items", raw.items.is_some()),
            ("page_size", raw.page_size.is_some()),
        ];
        if raw.endpoint.is_none()
            && let Some((key, _)) = endpoint_only.iter().find(|(_, set)| *set)
        {
            return Err(self.err(
                &at.key(key),
                format!("`{key}` applies to an `endpoint` source only"),
            ));
        }
        if let Some(file) = &raw.file {
            return Ok(TrailSource::File(match base {
                Some(base) => base.join(file),
                None => PathBuf::from(file),
            }));
        }
        let Some(endpoint) = &raw.endpoint else {
            return Ok(TrailSource::Logs);
        };
        let at_endpoint = at.key("endpoint");
        if endpoint.actor.is_some() {
            return Err(self.err(
                &at_endpoint.key("as"),
                "the trail's caller is `[audit] as` (`operator` or a role), not the endpoint's `as`",
            ));
        }
        let role = match raw.caller.as_deref() {
            None | Some("operator") => None,
            Some(role)
                if roles.is_none_or(|r| r.contains_key(role))
                    || self.staff.iter().any(|s| s == role) =>
            {
                Some(role.to_string())
            }
            Some(role) => {
                // Reported, and the endpoint is still checked: every mistake at once.
                self.report(self.err(
                    &at.key("as"),
                    format!("unknown caller `{role}`: expected `operator` or a role of [roles] or the policy"),
                ));
                None
            }
        };
        let items = raw
            .items
            .as_deref()
            .map(|p| self.pointer(&at.key("items"), p))
            .transpose()?;
        let page_size = match raw.page_size {
            None => 200,
            Some(n) if (1..=10_000).contains(&n) => n,
            Some(n) => {
                return Err(self.err(
                    &at.key("page_size"),
                    format!("`{n}`: expected entries per page from 1 to 10000"),
                ));
            }
        };
        Ok(TrailSource::Endpoint {
            endpoint: Box::new(self.endpoint(&at_endpoint, endpoint, ROOTS_AUDIT)?),
            role,
            items,
            page_size,
        })
    }
}
