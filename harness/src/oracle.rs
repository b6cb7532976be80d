//! The oracle: every response is judged by its data, not its status code.
//!
//! A [`CanaryScanner`] finds the canaries of the world in any bytes (body or headers, decompressed) and names
//! their owners; the access policy says whether the caller may see each owner's data. A foreign canary that
//! reaches an identity is a proven leak whatever the status. Without foreign data, a success where a refusal
//! was expected is only suspicious.

use std::io::Read;

use cloison_suites::{AccessPolicy, DataOwner, Identity, Population};
use serde::Serialize;

use crate::profile::Refusals;

/// One canary found in a response, and whose data it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hit {
    /// The canary value as found.
    pub canary: String,
    /// What field of the world it comes from (`surname`, `nir`, `document reference`...).
    pub field: String,
    /// Whose data it is.
    pub owner: DataOwner,
}

/// Finds the world's canaries in bytes. Implemented over the generator's canary registry.
pub trait CanaryScanner: Send + Sync {
    /// Every canary occurring in `haystack`, with its owner.
    fn scan(&self, haystack: &[u8]) -> Vec<Hit>;
}

/// A response as the oracle sees it.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// HTTP status.
    pub status: u16,
    /// Response headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (already decoded from its `Content-Encoding`).
    pub body: Vec<u8>,
}

/// Scan a response's headers and body; a body that is itself gzip data is scanned decompressed too.
pub fn scan_response(scanner: &dyn CanaryScanner, observed: &Observed) -> Vec<Hit> {
    let mut hits = scanner.scan(&observed.body);
    if observed.body.starts_with(&[0x1f, 0x8b]) {
        let mut inflated = Vec::new();
        let mut decoder =
            flate2::read::GzDecoder::new(observed.body.as_slice()).take(64 * 1024 * 1024);
        if decoder.read_to_end(&mut inflated).is_ok() {
            hits.extend(scanner.scan(&inflated));
        }
    }
    for (name, value) in &observed.headers {
        hits.extend(scanner.scan(name.as_bytes()));
        hits.extend(scanner.scan(value.as_bytes()));
    }
    hits.sort();
    hits.dedup();
    hits
}

/// The hits `actor` may not see, by the policy.
pub fn foreign(
    population: &Population,
    policy: &AccessPolicy,
    actor: &Identity,
    hits: Vec<Hit>,
) -> Vec<Hit> {
    hits.into_iter()
        .filter(|hit| !policy.decide(population, actor, &hit.owner).is_allowed())
        .collect()
}

/// Whether a response is a refusal by the profile's rules.
pub fn is_refusal(refusals: &Refusals, observed: &Observed) -> bool {
    if refusals.statuses.contains(&observed.status) {
        return true;
    }
    if (300..400).contains(&observed.status)
        && let Some(login) = &refusals.login_redirect
    {
        let location = observed
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"));
        if location.is_some_and(|(_, value)| value.contains(login.as_str())) {
            return true;
        }
    }
    if (200..300).contains(&observed.status) && refusals.empty_list {
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&observed.body) else {
            return false;
        };
        let list = match &refusals.list_pointer {
            Some(pointer) => json.pointer(pointer),
            None => Some(&json),
        };
        return matches!(list, Some(serde_json::Value::Array(items)) if items.is_empty());
    }
    false
}

/// What the oracle concludes of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Refused, as expected.
    Refused,
    /// Foreign data reached the caller: a proven leak.
    Leak(Vec<Hit>),
    /// Not refused, but no foreign data seen: status-only evidence.
    Suspicious(String),
    /// The target failed to answer properly (5xx, transport error): the probe proves nothing.
    Failure(String),
}

/// Judge a probe that the policy forbids.
pub fn judge_forbidden(
    foreign_hits: Vec<Hit>,
    refusals: &Refusals,
    observed: &Observed,
) -> Verdict {
    if !foreign_hits.is_empty() {
        return Verdict::Leak(foreign_hits);
    }
    if is_refusal(refusals, observed) {
        return Verdict::Refused;
    }
    match observed.status {
        500..=599 => Verdict::Failure(format!("the target answered {}", observed.status)),
        200..=299 => Verdict::Suspicious(format!(
            "{} where a refusal was expected, without foreign data",
            observed.status
        )),
        status => Verdict::Suspicious(format!(
            "{status}, which the profile does not list as a refusal"
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn refusals() -> Refusals {
        Refusals {
            statuses: BTreeSet::from([401, 403, 404]),
            empty_list: true,
            list_pointer: Some("/items".into()),
            login_redirect: Some("/login".into()),
        }
    }

    fn observed(status: u16, headers: &[(&str, &str)], body: &str) -> Observed {
        Observed {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn refusal_shapes() {
        let r = refusals();
        let check = |o: Observed, expected: bool| assert_eq!(is_refusal(&r, &o), expected, "{o:?}");
        check(observed(404, &[], ""), true);
        check(observed(410, &[], ""), false);
        check(observed(302, &[("Location", "/login?next=/x")], ""), true);
        check(observed(302, &[("Location", "/home")], ""), false);
        check(observed(200, &[], r#"{"items": []}"#), true);
        check(observed(200, &[], r#"{"items": [1]}"#), false);
        check(observed(200, &[], "not json"), false);
    }

    #[test]
    fn verdicts_put_data_before_status() {
        let r = refusals();
        let hit = Hit {
            canary: "NIR".into(),
            field: "nir".into(),
            owner: DataOwner {
                tenant: "75".into(),
                person: Some("1".into()),
                case: None,
            },
        };
        // A leak in a 404 body (an error that echoes the object) is still a leak.
        assert_eq!(
            judge_forbidden(vec![hit.clone()], &r, &observed(404, &[], "")),
            Verdict::Leak(vec![hit])
        );
        assert_eq!(
            judge_forbidden(vec![], &r, &observed(404, &[], "")),
            Verdict::Refused
        );
        assert!(matches!(
            judge_forbidden(vec![], &r, &observed(200, &[], "{}")),
            Verdict::Suspicious(_)
        ));
        assert!(matches!(
            judge_forbidden(vec![], &r, &observed(503, &[], "")),
            Verdict::Failure(_)
        ));
    }
}
