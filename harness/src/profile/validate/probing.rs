//! `[probing]`: the candidates of the tenant-selector and mass-assignment families, redirects, and the
//! operations of the OpenAPI document never called (`exclude`).

use cloison_suites::Selector;
use cloison_suites::surface::{
    DEFAULT_OWNER_FIELDS, DEFAULT_ROLE_FIELDS, DEFAULT_TENANT_FIELDS, DEFAULT_TENANT_HEADERS,
    DEFAULT_TENANT_QUERY,
};

use super::Validator;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::Probing;
use crate::profile::raw;

impl Validator<'_> {
    /// `[probing]`, defaults filled in; each mistake recorded.
    pub(super) fn probing(&self, raw: raw::RawProbing) -> Result<Probing, ProfileError> {
        let at = KeyPath::root("probing");
        let mark = self.mark();
        let owned = |list: Option<Vec<String>>, default: &[&str]| {
            list.unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
        };
        let headers = owned(raw.tenant_headers, &DEFAULT_TENANT_HEADERS);
        for (i, header) in headers.iter().enumerate() {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                self.report(self.err(
                    &at.key("tenant_headers").index(i),
                    format!("`{header}` is not a valid header name"),
                ));
            }
        }
        if raw.per_cell == Some(0) {
            self.report(self.err(
                &at.key("per_cell"),
                "0 probes per cell would test nothing: expected at least 1",
            ));
        }
        let mut tenant_selectors: Vec<Selector> =
            headers.into_iter().map(Selector::Header).collect();
        tenant_selectors.extend(
            owned(raw.tenant_query, &DEFAULT_TENANT_QUERY)
                .into_iter()
                .map(Selector::Query),
        );
        for (i, field) in raw.role_fields.iter().flatten().enumerate() {
            if field.trim().is_empty() {
                self.report(self.err(
                    &at.key("role_fields").index(i),
                    "an empty field name: expected a body field such as `role`",
                ));
            }
        }
        let follow_hosts = raw.follow_hosts.unwrap_or_default();
        for (i, host) in follow_hosts.iter().enumerate() {
            if let Err(why) = check_host(host) {
                self.report(self.err(&at.key("follow_hosts").index(i), why));
            }
        }
        let max_redirects = raw.max_redirects.unwrap_or(5);
        if max_redirects > 20 {
            self.report(self.err(
                &at.key("max_redirects"),
                format!("{max_redirects} redirects: expected at most 20"),
            ));
        }
        let mut exclude = Vec::new();
        for (i, entry) in raw.exclude.unwrap_or_default().iter().enumerate() {
            match crate::profile::Exclusion::parse(entry) {
                Ok(exclusion) => exclude.push(exclusion),
                Err(why) => self.report(self.err(&at.key("exclude").index(i), why)),
            }
        }
        self.since(mark)?;
        Ok(Probing {
            tenant_selectors,
            owner_fields: owned(raw.owner_fields, &DEFAULT_OWNER_FIELDS),
            tenant_fields: owned(raw.tenant_fields, &DEFAULT_TENANT_FIELDS),
            role_fields: owned(raw.role_fields, &DEFAULT_ROLE_FIELDS),
            per_cell: raw.per_cell,
            follow_hosts,
            max_redirects,
            exclude,
        })
    }
}

/// A `[probing] follow_hosts` entry: a host name or address, with a port or not, nothing else.
fn check_host(entry: &str) -> Result<(), String> {
    let expected = "expected a host such as `files.example.net` or `127.0.0.1:9000`";
    let parsed = reqwest::Url::parse(&format!("http://{entry}/"))
        .ok()
        .filter(|url| {
            url.username().is_empty()
                && url.path() == "/"
                && url.host_str().is_some()
                && !entry.contains(['/', '?', '#', '@'])
        });
    match parsed {
        Some(_) if !entry.is_empty() => Ok(()),
        _ => Err(format!("`{entry}` is not a host: {expected}")),
    }
}
