//! The oracle: every response is judged by its data, not its status code.
//!
//! A [`CanaryScanner`] finds the canaries of the world in any bytes (body or headers, decompressed) and names
//! their owners; the access policy says whether the caller may see each owner's data. A foreign canary that
//! reaches an identity is a proven leak whatever the status; a canary the request itself carried is not.
//! The verdicts themselves are pure functions of `cloison_suites::verdict`.

use std::collections::BTreeSet;
use std::io::Read;

use cloison_suites::{AccessPolicy, Identity, Population};
pub use cloison_suites::{Hit, Observed};

/// Finds the world's canaries in bytes. Implemented over the generator's canary registry.
pub trait CanaryScanner: Send + Sync {
    /// Every canary occurring in `haystack`, with its owner.
    fn scan(&self, haystack: &[u8]) -> Vec<Hit>;
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

/// The canary values a request carried (its URL, headers and body as sent): what a response may echo
/// without proving anything.
pub fn carried(scanner: &dyn CanaryScanner, sent: &[u8]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = scanner.scan(sent).into_iter().map(|h| h.canary).collect();
    // A percent-encoded query or form value: scan it decoded too.
    if sent.contains(&b'%') || sent.contains(&b'+') {
        let decoded = percent_decode(sent);
        out.extend(scanner.scan(&decoded).into_iter().map(|h| h.canary));
    }
    out
}

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_of_carried_values() {
        assert_eq!(percent_decode(b"a+b%26c%2"), b"a b&c%2".to_vec());
        assert_eq!(percent_decode(b"%C3%A9"), "\u{e9}".as_bytes().to_vec());
    }
}
