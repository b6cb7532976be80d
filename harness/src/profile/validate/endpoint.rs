//! One HTTP call of the profile: method, path, query, headers, body, what it extracts, what counts as
//! success; and the values inside it (header names, JSON pointers).

use super::{Validator, quoted};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Actor, Endpoint, HeaderTemplate};
use crate::profile::raw::{RawEndpoint, RawHeader};

impl Validator<'_> {
    /// An endpoint whose answer gives more than an identifier: `allowed` names what `extract` may take
    /// (`token` of a sign-up, `credential` of a tenant).
    pub(super) fn endpoint_extracting(
        &self,
        at: &KeyPath,
        raw: &RawEndpoint,
        roots: &[&str],
        allowed: &[&str],
    ) -> Result<Endpoint, ProfileError> {
        let mut plain = raw.clone();
        let mut extra = Vec::new();
        for (name, pointer) in &raw.extract {
            let key = at.key("extract").key(name);
            if !allowed.contains(&name.as_str()) {
                return Err(self.err(
                    &key,
                    format!(
                        "`{name}` would be extracted and never used: expected one of {}",
                        quoted(allowed)
                    ),
                ));
            }
            if name != "id" {
                plain.extract.remove(name);
                extra.push((name.clone(), self.pointer(&key, pointer)?));
            }
        }
        let mut endpoint = self.endpoint(at, &plain, roots)?;
        endpoint.extract.extend(extra);
        Ok(endpoint)
    }

    pub(super) fn header(
        &self,
        at: &KeyPath,
        raw: &RawHeader,
        roots: &[&str],
    ) -> Result<HeaderTemplate, ProfileError> {
        if reqwest::header::HeaderName::from_bytes(raw.header.as_bytes()).is_err() {
            return Err(self.err(
                &at.key("header"),
                format!("`{}` is not a valid header name", raw.header),
            ));
        }
        Ok(HeaderTemplate {
            name: raw.header.clone(),
            value: self.template(&at.key("value"), &raw.value, roots)?,
        })
    }

    pub(super) fn pointer(&self, at: &KeyPath, pointer: &str) -> Result<String, ProfileError> {
        let bad_escape = pointer
            .split('~')
            .skip(1)
            .any(|rest| !(rest.starts_with('0') || rest.starts_with('1')));
        if bad_escape {
            return Err(self.err(at, format!("`{}` has an invalid escape: in a JSON pointer `~` is followed by `0` (for `~`) or `1` (for `/`)", crate::input::capped(pointer, 80))));
        }
        if pointer.is_empty() || pointer.starts_with('/') {
            Ok(pointer.to_string())
        } else {
            Err(self.err(at, format!("`{pointer}` is not a JSON pointer: expected a path such as `/id` or `/user/id` (RFC 6901)")))
        }
    }

    pub(super) fn endpoint(
        &self,
        at: &KeyPath,
        raw: &RawEndpoint,
        roots: &[&str],
    ) -> Result<Endpoint, ProfileError> {
        self.endpoint_of(at, raw, roots, false)
    }

    /// An endpoint; `create`: a step of a create, which may extract named values and say where the
    /// record's identifier comes from (`id`, `find`).
    pub(super) fn endpoint_of(
        &self,
        at: &KeyPath,
        raw: &RawEndpoint,
        roots: &[&str],
        create: bool,
    ) -> Result<Endpoint, ProfileError> {
        if !create {
            if raw.id.is_some() {
                return Err(self.err(&at.key("id"), "`id` says where a created record's identifier comes from: it belongs to a [resources.KIND.create] endpoint"));
            }
            if raw.find.is_some() {
                return Err(self.err(&at.key("find"), "`find` says how a created record's identifier is looked up: it belongs to a [resources.KIND.create] endpoint"));
            }
        }
        // A function takes `effect` and `setup` out before it gets here.
        if raw.effect.is_some() {
            return Err(self.err(&at.key("effect"), "`effect` says how a function's effect is read back: it belongs to a [functions.NAME] entry"));
        }
        if raw.setup.is_some() {
            return Err(self.err(&at.key("setup"), "`setup` sets a record aside for a function's probes: it belongs to a [functions.NAME] entry with an `effect`"));
        }
        // A resource's operations other than its create take `narrow` out before they get here.
        if raw.narrow.is_some() {
            return Err(self.err(&at.key("narrow"), "`narrow` names roles a resource's operation refuses although the policy lets them see its records: it belongs to a [resources.NAME.OPERATION] endpoint other than `create`"));
        }
        let method = self.method(at, raw)?;
        if !raw.path.starts_with('/') {
            return Err(self.err(
                &at.key("path"),
                format!(
                    "`{}` does not start with `/`: expected a path below the target's base URL",
                    raw.path
                ),
            ));
        }
        self.one_body(at, raw)?;
        let body = self.body(at, raw, roots)?;
        let extract = self.extracts(at, raw, create)?;
        let actor = self.actor(at, raw)?;
        let refusals = raw
            .refusals
            .as_ref()
            .map(|r| self.refusals(&at.key("refusals"), r))
            .transpose()?;
        self.ok_statuses(at, raw)?;
        let endpoint = Endpoint {
            origin: at.clone(),
            method,
            path: self.template(&at.key("path"), &raw.path, roots)?,
            query: raw
                .query
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.template(&at.key("query").key(k), v, roots)?)))
                .collect::<Result<_, ProfileError>>()?,
            headers: raw
                .headers
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        self.template(&at.key("headers").key(k), v, roots)?,
                    ))
                })
                .collect::<Result<_, ProfileError>>()?,
            body,
            extract,
            ok: raw.ok.as_ref().map(|ok| ok.iter().copied().collect()),
            actor,
            refusals,
            marker: raw
                .marker
                .as_deref()
                .map(|p| self.pointer(&at.key("marker"), p))
                .transpose()?,
            soft: raw
                .soft
                .as_ref()
                .map(|soft| self.soft_delete(&at.key("soft"), soft))
                .transpose()?,
            granted: None,
            kind: None,
            poll: self.poll(&at.key("poll"), raw.poll.as_ref())?,
            read: false,
            effect: None,
        };
        for (key, template) in endpoint.templates() {
            template
                .check_roots(roots)
                .map_err(|e| self.err(&key, e.to_string()))?;
        }
        Ok(endpoint)
    }

    /// The HTTP method (default `GET`).
    fn method(&self, at: &KeyPath, raw: &RawEndpoint) -> Result<reqwest::Method, ProfileError> {
        let method_name = raw.method.as_deref().unwrap_or("GET");
        Ok(match method_name.to_ascii_uppercase().as_str() {
            "GET" => reqwest::Method::GET,
            "POST" => reqwest::Method::POST,
            "PUT" => reqwest::Method::PUT,
            "PATCH" => reqwest::Method::PATCH,
            "DELETE" => reqwest::Method::DELETE,
            "HEAD" => reqwest::Method::HEAD,
            _ => return Err(self.err(
                &at.key("method"),
                format!(
                    "unknown method `{method_name}`: expected GET, POST, PUT, PATCH, DELETE or HEAD"
                ),
            )),
        })
    }

    /// At most one body, and a `content_type` only with a raw `body`.
    fn one_body(&self, at: &KeyPath, raw: &RawEndpoint) -> Result<(), ProfileError> {
        let bodies = usize::from(raw.json.is_some())
            + usize::from(raw.form.is_some())
            + usize::from(raw.multipart.is_some())
            + usize::from(raw.body.is_some());
        if bodies > 1 {
            let given: Vec<&str> = [
                ("json", raw.json.is_some()),
                ("form", raw.form.is_some()),
                ("multipart", raw.multipart.is_some()),
                ("body", raw.body.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, set)| set.then_some(name))
            .collect();
            return Err(self.err(
                at,
                format!(
                    "{} bodies ({}): expected at most one of `json`, `form`, `multipart` and `body`",
                    given.len(),
                    quoted(&given)
                ),
            ));
        }
        if raw.content_type.is_some() && raw.body.is_none() {
            return Err(self.err(&at.key("content_type"), "`content_type` is the type of a raw `body`: JSON, form and multipart bodies set their own (a multipart file part has a `content_type` of its own)"));
        }
        Ok(())
    }

    /// `extract`: what the answer gives, by name (`id` only, but in a create's steps).
    fn extracts(
        &self,
        at: &KeyPath,
        raw: &RawEndpoint,
        create: bool,
    ) -> Result<Vec<(String, String)>, ProfileError> {
        let mut extract = Vec::new();
        for (name, pointer) in &raw.extract {
            if name != "id" && !create {
                return Err(self.err(
                    &at.key("extract").key(name),
                    format!("`{name}` would be extracted and never used: cloison reads only `id` here (the platform's identifier of what the call creates or logs in); a create's steps may extract other values for later use"),
                ));
            }
            if create && parse_name(name).is_none() {
                return Err(self.err(
                    &at.key("extract").key(name),
                    format!("`{name}` is not a name: expected letters, digits, `_` or `-`"),
                ));
            }
            extract.push((
                name.clone(),
                self.pointer(&at.key("extract").key(name), pointer)?,
            ));
        }
        Ok(extract)
    }

    /// `as`: who performs a create.
    fn actor(&self, at: &KeyPath, raw: &RawEndpoint) -> Result<Option<Actor>, ProfileError> {
        Ok(match raw.actor.as_deref() {
            None => None,
            Some("owner") => Some(Actor::Owner),
            Some("agent") => Some(Actor::Agent),
            Some(other) => {
                return Err(self.err(
                    &at.key("as"),
                    format!("unknown actor `{other}`: expected `owner` or `agent`"),
                ));
            }
        })
    }

    /// `ok`: the statuses that count as success, if not any 2xx.
    fn ok_statuses(&self, at: &KeyPath, raw: &RawEndpoint) -> Result<(), ProfileError> {
        if let Some(ok) = &raw.ok {
            if ok.is_empty() {
                return Err(self.err(
                    &at.key("ok"),
                    "an empty list: expected the statuses that count as success, such as [200, 201]",
                ));
            }
            for (i, status) in ok.iter().enumerate() {
                if !(100..=599).contains(status) {
                    return Err(self.err(
                        &at.key("ok").index(i),
                        format!("{status} is not an HTTP status: expected 100 to 599"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A name usable as a placeholder's last segment.
fn parse_name(name: &str) -> Option<&str> {
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(name)
}
