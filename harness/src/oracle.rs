//! The oracle: every response is judged by its data, not its status code.
//!
//! A [`CanaryScanner`] finds the canaries of the world in any bytes and names their owners; the access policy
//! says whether the caller may see each owner's data. A foreign canary that reaches an identity is a proven
//! leak whatever the status; a canary the request itself carried is not. Every response is scanned whole:
//! its headers, its body, every view the decoding chain makes of them ([`crate::decode`]: archives,
//! compressed data, percent-encoding, base64, HTML entities, other charsets), and the responses that
//! redirected to it. The verdicts themselves are pure functions of `cloison_suites::verdict`.

use std::collections::BTreeSet;

use cloison_suites::{AccessPolicy, Identity, Population};
pub use cloison_suites::{Hit, Observed};

use crate::decode::{Limits, each_view};

/// Finds the world's canaries in bytes. Implemented over the generator's canary registry.
pub trait CanaryScanner: Send + Sync {
    /// Every canary occurring in `haystack`, with its owner.
    fn scan(&self, haystack: &[u8]) -> Vec<Hit>;
}

/// Scan a response: its headers and body, every decoded view of them, and the same for each response that
/// redirected to it.
pub fn scan_response(scanner: &dyn CanaryScanner, observed: &Observed) -> Vec<Hit> {
    scan_response_bounded(scanner, observed).0
}

/// [`scan_response`], and whether decoding stopped at cloison's [`Limits`] somewhere (bytes, depth or
/// archive members): what lies past them was not looked at.
pub fn scan_response_bounded(scanner: &dyn CanaryScanner, observed: &Observed) -> (Vec<Hit>, bool) {
    let limits = Limits::default();
    let mut hits = Vec::new();
    let mut limited = false;
    for response in observed.redirects.iter().chain([observed]) {
        let content_type = response
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.as_str());
        // A body cut where it was read or decoded (see `crate::http`: reading stops at the limit).
        limited |= response.truncated;
        limited |= scan_decoded(scanner, &response.body, content_type, &limits, &mut hits);
        let mut headers = Vec::new();
        for (name, value) in &response.headers {
            headers.extend_from_slice(name.as_bytes());
            headers.extend_from_slice(b": ");
            headers.extend_from_slice(value.as_bytes());
            headers.push(b'\n');
        }
        limited |= scan_decoded(scanner, &headers, None, &limits, &mut hits);
    }
    hits.sort();
    hits.dedup();
    (hits, limited)
}

/// Scan `bytes` and every view of them; whether decoding reached a limit.
fn scan_decoded(
    scanner: &dyn CanaryScanner,
    bytes: &[u8],
    content_type: Option<&str>,
    limits: &Limits,
    hits: &mut Vec<Hit>,
) -> bool {
    hits.extend(scanner.scan(bytes));
    each_view(bytes, content_type, limits, &mut |_, view| {
        hits.extend(scanner.scan(view))
    })
    .truncated
}

/// The hits `actor` may not see, by the policy (a kind of value the policy declares public to the actor's
/// role, in its tenant, is never counted: see `AccessPolicy::decide_value`).
pub fn foreign(
    population: &Population,
    policy: &AccessPolicy,
    actor: &Identity,
    hits: Vec<Hit>,
) -> Vec<Hit> {
    hits.into_iter()
        .filter(|hit| {
            !policy
                .decide_value(population, actor, &hit.owner, hit.field)
                .is_allowed()
        })
        .collect()
}

/// The canary values a request carried (its URL, headers and body as sent, and every view the decoding
/// chain makes of them: a percent-encoded query, a base64 value): what a response may echo without proving
/// anything.
pub fn carried(scanner: &dyn CanaryScanner, sent: &[u8]) -> BTreeSet<String> {
    let mut hits = Vec::new();
    scan_decoded(scanner, sent, None, &Limits::default(), &mut hits);
    hits.into_iter().map(|h| h.canary).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloison_suites::policy::DataOwner;

    /// A scanner of one canary, `DUBOIS-CANARY`, matched case-insensitively.
    struct One;

    impl CanaryScanner for One {
        fn scan(&self, haystack: &[u8]) -> Vec<Hit> {
            let text = String::from_utf8_lossy(haystack).to_ascii_uppercase();
            text.matches("DUBOIS-CANARY")
                .map(|_| Hit {
                    canary: "DUBOIS-CANARY".into(),
                    field: cloison_suites::generators::canary::CanaryKind::Surname,
                    owner: DataOwner {
                        tenant: "75".into(),
                        person: Some("person-1".into()),
                        case: None,
                        kind: None,
                    },
                })
                .collect()
        }
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Observed {
        Observed {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
            redirects: Vec::new(),
            truncated: false,
        }
    }

    #[test]
    fn percent_encoded_values_a_request_carried_are_carried() {
        let sent = b"http://x/search?nom=dubois%2Dcanary";
        assert!(carried(&One, sent).contains("DUBOIS-CANARY"));
        assert!(carried(&One, b"http://x/search?nom=durand").is_empty());
    }

    #[test]
    fn every_hop_of_a_redirect_and_every_header_is_scanned() {
        let hop = response(302, &[("Location", "/files/DUBOIS-CANARY.pdf")], b"");
        let mut last = response(200, &[], b"nothing here");
        assert!(scan_response(&One, &last).is_empty());
        last.redirects.push(hop);
        assert_eq!(scan_response(&One, &last).len(), 1);
        let hop_body = response(302, &[], b"<a href=\"/x\">DUBOIS-CANARY</a>");
        let last = Observed {
            redirects: vec![hop_body],
            ..response(200, &[], b"")
        };
        assert_eq!(scan_response(&One, &last).len(), 1);
    }

    #[test]
    fn decoded_views_of_a_body_and_of_its_headers_are_scanned() {
        let body = response(200, &[], b"{\"file\":\"RFVCT0lTLUNBTkFSWSBjb250cmF0\"}");
        assert_eq!(scan_response(&One, &body).len(), 1, "base64 in a JSON body");
        let header = response(
            200,
            &[(
                "Content-Disposition",
                "attachment; filename*=UTF-8''dubois%2Dcanary.pdf",
            )],
            b"",
        );
        assert_eq!(
            scan_response(&One, &header).len(),
            1,
            "percent-encoded file name"
        );
    }

    #[test]
    fn a_response_decoded_only_up_to_the_limits_says_so() {
        let plain = response(200, &[], b"{\"file\":\"RFVCT0lTLUNBTkFSWSBjb250cmF0\"}");
        assert!(!scan_response_bounded(&One, &plain).1);
        // A value base64-encoded more times than the chain decodes: the last layer is not looked into.
        let mut nested = b"DUBOIS-CANARY in a file".to_vec();
        for _ in 0..6 {
            nested = crate::profile::template::base64(&nested).into_bytes();
        }
        let deep = response(200, &[], &nested);
        let (hits, limited) = scan_response_bounded(&One, &deep);
        assert!(limited, "the depth limit was reached");
        assert!(hits.is_empty(), "{hits:?}");
        // A body the reader cut at the limit says so; as large a body read whole does not.
        let full = vec![b' '; 1024];
        let cut = Observed {
            truncated: true,
            ..response(200, &[("Content-Encoding", "gzip")], &full)
        };
        assert!(scan_response_bounded(&One, &cut).1, "cut at the limit");
        let plain = response(200, &[], &full);
        assert!(
            !scan_response_bounded(&One, &plain).1,
            "a body read whole is whole"
        );
    }
}
