//! `[refusals]` (and an endpoint's own): what a refusal looks like.

use cloison_suites::Refusals;

use super::Validator;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::raw::RawRefusals;

impl Validator<'_> {
    pub(super) fn refusals(
        &self,
        at: &KeyPath,
        raw: &RawRefusals,
    ) -> Result<Refusals, ProfileError> {
        for (i, status) in raw.statuses.iter().enumerate() {
            if !(100..=599).contains(status) {
                return Err(self.err(
                    &at.key("statuses").index(i),
                    format!("{status} is not an HTTP status: expected 100 to 599"),
                ));
            }
            if (200..300).contains(status) {
                return Err(self.err(
                    &at.key("statuses").index(i),
                    format!(
                        "{status} is a success: a 2xx refusal is declared with `empty_list = true`"
                    ),
                ));
            }
            if (300..400).contains(status) {
                return Err(self.err(
                    &at.key("statuses").index(i),
                    format!(
                        "{status} is a redirect: a redirect is a refusal only towards the login page, declared with `login_redirect = \"/login\"`"
                    ),
                ));
            }
        }
        if raw.statuses.is_empty() && !raw.empty_list && raw.login_redirect.is_none() {
            return Err(self.err(
                at,
                "no way to refuse: expected `statuses`, `empty_list = true` or `login_redirect`",
            ));
        }
        let list_pointer = raw
            .list_pointer
            .as_deref()
            .map(|p| self.pointer(&at.key("list_pointer"), p))
            .transpose()?;
        Ok(Refusals {
            statuses: raw.statuses.iter().copied().collect(),
            empty_list: raw.empty_list,
            list_pointer,
            login_redirect: raw.login_redirect.clone(),
        })
    }
}
