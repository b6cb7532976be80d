//! Who is at fault when a setup answer (provisioning, login, seeding) cannot be used: the profile (exit 2:
//! it does not describe the platform) or the target (exit 3: it failed while being set up).
//!
//! - A 5xx is the target's (after the retries of 503 and 429).
//! - A 4xx to a request that was sent again because the earlier attempt got no answer (a lost response, a
//!   dropped connection) is the target's: the first attempt may have been applied (a 409 "already exists"),
//!   and nothing says the profile is wrong.
//! - A 401 or 403 to a request that carried a credential from the secrets file (the operator's token, a key
//!   an endpoint sends) names that secret (its key, never its value): it is stale or wrong; the endpoint's
//!   profile key is not in question.
//! - Any other status the endpoint does not accept is the profile's.
//! - An accepted answer without what the profile points at is the target's when the body is empty or is
//!   the request sent back (an echo); otherwise the profile's (a pointer that does not fit the answers).

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::EngineError;
use crate::http::Exchange;
use crate::profile::{Endpoint, KeyPath, Profile};

/// The secrets file of a run: where it is and the keys it holds (its values are never kept here).
#[derive(Debug, Clone, Default)]
pub struct SecretsFile {
    /// The file.
    pub path: PathBuf,
    /// Its keys (`operator_token`...).
    pub keys: BTreeSet<String>,
}

/// The keys of the secrets file that `templates` name (`{{secrets.KEY}}`), in order.
pub(crate) fn secrets_named(
    file: &SecretsFile,
    placeholders: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let mut keys: Vec<String> = placeholders
        .into_iter()
        .filter_map(|p| p.strip_prefix("secrets.").map(str::to_string))
        .filter(|key| file.keys.contains(key))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The party a setup failure is blamed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blame {
    /// The profile does not fit the platform (exit 2).
    Profile,
    /// The target failed (exit 3).
    Target,
}

/// Who is at fault for a status the endpoint does not accept.
pub(crate) fn status_blame(ex: &Exchange) -> Blame {
    let status = ex.observed.status;
    if status >= 500 || (ex.retried_after.is_some() && (400..500).contains(&status)) {
        Blame::Target
    } else {
        Blame::Profile
    }
}

/// Why an accepted answer without the expected value is the target's fault, if it is.
pub(crate) fn unusable_answer(ex: &Exchange) -> Option<&'static str> {
    if ex.observed.body.iter().all(u8::is_ascii_whitespace) {
        Some("an empty body")
    } else if ex.echoed {
        Some("the request's own body sent back (an echo, not an answer)")
    } else {
        None
    }
}

/// A phase that sends setup requests: it knows the profile (to point at the key at fault) and the
/// credentials to redact from the excerpts of its errors.
pub(super) trait Blaming {
    /// The profile of the run.
    fn profile(&self) -> &Profile;

    /// The run's credentials: every one known at this point of the run (each joins the set as it is
    /// learnt).
    fn credentials(&self) -> &crate::redact::Secrets;

    /// The run's secrets file, if it has one.
    fn secrets_file(&self) -> Option<&SecretsFile>;

    /// [`Blaming::setup_status`] for a request sent with the operator credential (`[provisioning]
    /// operator`): a refusal names the secrets its value came from.
    fn operator_status(
        &self,
        endpoint: &Endpoint,
        ex: &Exchange,
        what: &str,
    ) -> Result<(), EngineError> {
        let operator = (self.profile().provisioning.as_ref())
            .map(|p| p.operator.value.placeholders().collect::<Vec<_>>())
            .unwrap_or_default();
        self.status_with_secrets(endpoint, ex, what, operator)
    }

    /// Check a setup response: 2xx (or the endpoint's `ok`) passes; 5xx, or a 4xx to a retry after a lost
    /// answer, is a target failure; anything else means the profile does not fit the platform.
    fn setup_status(
        &self,
        endpoint: &Endpoint,
        ex: &Exchange,
        what: &str,
    ) -> Result<(), EngineError> {
        self.status_with_secrets(endpoint, ex, what, Vec::new())
    }

    /// [`Blaming::setup_status`], for a request that also carried the secrets `sent` names
    /// (`secrets.KEY` placeholders of its credential).
    fn status_with_secrets(
        &self,
        endpoint: &Endpoint,
        ex: &Exchange,
        what: &str,
        sent: Vec<String>,
    ) -> Result<(), EngineError> {
        let status = ex.observed.status;
        if endpoint.is_ok(status) {
            return Ok(());
        }
        if matches!(status, 401 | 403)
            && let Some(file) = self.secrets_file()
        {
            let keys = secrets_named(file, endpoint.placeholders().into_iter().chain(sent));
            if !keys.is_empty() {
                return Err(EngineError::Setup(refused_secrets(
                    ex,
                    what,
                    file,
                    &keys,
                    self.credentials(),
                )));
            }
        }
        let excerpt = ex.failure_answer(300, self.credentials());
        let mut message = format!(
            "{what}: {} {} answered {status}: {excerpt}",
            ex.request.method, ex.request.url
        );
        if status_blame(ex) == Blame::Target {
            if let Some(lost) = ex.retried_after.as_ref().filter(|_| status < 500) {
                message.push_str(&format!(
                    " (to a retry: the earlier attempt got no answer ({lost}) and may have been applied)"
                ));
            }
            Err(EngineError::Target(message))
        } else {
            if status == 409 && self.profile().reset.is_empty() {
                message.push_str(
                    " (a conflict: what an earlier run created may still be there; a [[reset]] in the profile \
                     brings the platform back to a blank state before provisioning)",
                );
            }
            Err(EngineError::Setup(
                self.profile()
                    .error_at(&endpoint.origin, message)
                    .to_string(),
            ))
        }
    }

    /// The error for an accepted setup answer that lacks what the profile points at (`key`, e.g.
    /// `provisioning.identity.extract.id`; `expected`, e.g. "the new identity's identifier at `/id`").
    fn missing_in_answer(
        &self,
        ex: &Exchange,
        key: &KeyPath,
        what: &str,
        expected: &str,
    ) -> EngineError {
        let head = format!(
            "{what}: {} {} answered {}",
            ex.request.method, ex.request.url, ex.observed.status
        );
        match unusable_answer(ex) {
            Some(answer) => EngineError::Target(format!(
                "{head} with {answer}: expected {expected} (`{key}`); the target failed, the profile is not in question"
            )),
            None => EngineError::Setup(
                self.profile()
                    .error_at(
                        key,
                        format!(
                            "{head} without {expected}: {}",
                            ex.answer(200, self.credentials())
                        ),
                    )
                    .to_string(),
            ),
        }
    }

    /// The error for a value of an answer that cannot be an identifier (an object, a list, a boolean):
    /// the pointer does not fit the platform's answers, the profile's fault.
    fn not_an_identifier(
        &self,
        ex: &Exchange,
        key: &KeyPath,
        what: &str,
        pointer: &str,
        found: &str,
    ) -> EngineError {
        EngineError::Setup(
            self.profile()
                .error_at(
                    key,
                    format!(
                        "{what}: {} {} answered {} with {found} at `{pointer}`: expected a string or a number (an identifier): {}",
                        ex.request.method,
                        ex.request.url,
                        ex.observed.status,
                        ex.excerpt(200, self.credentials())
                    ),
                )
                .to_string(),
        )
    }
}

/// A credential from the secrets file refused: the secret is named (its key, never its value), and the
/// endpoint's profile key is not blamed.
fn refused_secrets(
    ex: &Exchange,
    what: &str,
    file: &SecretsFile,
    keys: &[String],
    secrets: &crate::redact::Secrets,
) -> String {
    let named: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "{what}: {} {} answered {}: {}: the target refused the credential from the secrets file {} ({}): it is stale or wrong for this target; the profile is not in question",
        ex.request.method,
        ex.request.url,
        ex.observed.status,
        ex.answer(300, secrets),
        file.path.display(),
        named.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::RequestSummary;
    use crate::oracle::Observed;

    fn exchange(status: u16, body: &[u8], retried: bool, echoed: bool) -> Exchange {
        Exchange {
            request: RequestSummary {
                method: "POST".into(),
                url: "http://127.0.0.1:9/users".into(),
                curl: String::new(),
            },
            observed: Observed {
                status,
                headers: Vec::new(),
                body: body.to_vec(),
                redirects: Vec::new(),
                truncated: false,
            },
            sent: Vec::new(),
            retried_after: retried.then(|| "timed out".to_string()),
            echoed,
        }
    }

    #[test]
    fn statuses_are_blamed_on_the_target_when_it_failed_or_lost_an_answer() {
        assert_eq!(
            status_blame(&exchange(500, b"", false, false)),
            Blame::Target
        );
        assert_eq!(
            status_blame(&exchange(400, b"", false, false)),
            Blame::Profile
        );
        assert_eq!(
            status_blame(&exchange(409, b"", false, false)),
            Blame::Profile
        );
        // The first attempt's answer was lost: the 409 may be that attempt's own record.
        assert_eq!(
            status_blame(&exchange(409, b"", true, false)),
            Blame::Target
        );
    }

    #[test]
    fn empty_and_echoed_answers_are_the_targets_fault() {
        assert!(unusable_answer(&exchange(200, b"", false, false)).is_some());
        assert!(unusable_answer(&exchange(200, b" \n", false, false)).is_some());
        assert!(unusable_answer(&exchange(200, br#"{"a":1}"#, false, true)).is_some());
        assert_eq!(
            unusable_answer(&exchange(200, br#"{"ident":"u1"}"#, false, false)),
            None
        );
    }
}
