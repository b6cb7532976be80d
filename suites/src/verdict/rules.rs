//! The rules of one answer: a forbidden try, an allowed one, a control, an existing object against a
//! missing one.

use super::{Evidence, Observed, Refusals, Verdict};

/// Judge a try the policy forbids: refusal expected.
pub fn judge_forbidden(evidence: &Evidence, refusals: &Refusals, observed: &Observed) -> Verdict {
    if !evidence.proof.is_empty() {
        return Verdict::Leak(evidence.proof.clone());
    }
    if refusals.is_unauthenticated(observed) && !refusals.is_refusal(observed) {
        return Verdict::Unauthenticated;
    }
    if refusals.is_refusal(observed) {
        return Verdict::Pass;
    }
    match observed.status {
        500..=599 => Verdict::ServerError(format!(
            "{} to a forbidden request, without foreign data",
            observed.status
        )),
        200..=299 if !evidence.reflected.is_empty() => Verdict::Suspicious(format!(
            "{} where a refusal was expected; the only canaries in it were carried by the request",
            observed.status
        )),
        200..=299 => Verdict::Suspicious(format!(
            "{} where a refusal was expected, without foreign data",
            observed.status
        )),
        status => Verdict::Suspicious(format!(
            "{status}, which the profile does not list as a refusal"
        )),
    }
}

/// Judge a try the policy allows (an allowed read, a list, a search, an export by an identity that may call
/// it): only foreign data in the answer matters.
pub fn judge_visible(evidence: &Evidence, observed: &Observed) -> Verdict {
    if !evidence.proof.is_empty() {
        return Verdict::Leak(evidence.proof.clone());
    }
    if observed.is_server_error() {
        return Verdict::ServerError(format!("{} to an allowed request", observed.status));
    }
    Verdict::Pass
}

/// Judge a control: an identity reads data it may see. It must succeed and carry its own canaries
/// (`own_canaries`: how many of the record's canaries were found), and no foreign data.
pub fn judge_control(evidence: &Evidence, observed: &Observed, own_canaries: usize) -> Verdict {
    if !evidence.proof.is_empty() {
        return Verdict::Leak(evidence.proof.clone());
    }
    if observed.status == 401 {
        return Verdict::Unauthenticated;
    }
    if !observed.is_success() {
        let location = observed
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"))
            .filter(|_| (300..400).contains(&observed.status));
        let redirect = match location {
            Some((_, to)) => format!(" (a redirect to {to}, not followed)"),
            None => String::new(),
        };
        return Verdict::ControlFailed(format!(
            "answered {}{redirect} to an identity reading its own data; refusals would prove nothing",
            observed.status
        ));
    }
    if own_canaries == 0 {
        return Verdict::ControlFailed(format!(
            "answered {} without any of the record's canaries: the endpoint does not return the record",
            observed.status
        ));
    }
    Verdict::Pass
}

/// Judge two answers to the same forbidden read: one for an object that exists (`existing`) and one for an
/// identifier that names nothing (`missing`). A platform that answers them differently tells a caller which
/// identifiers exist: an existence leak (status-only evidence).
pub fn judge_existence(existing: &Observed, missing: &Observed) -> Verdict {
    if existing.is_server_error() || missing.is_server_error() {
        return Verdict::ServerError(format!(
            "answered {} and {} to the existing and the missing object",
            existing.status, missing.status
        ));
    }
    if existing.status != missing.status {
        return Verdict::Suspicious(format!(
            "an object the caller may not see answers {} where a missing one answers {}: identifiers can be confirmed",
            existing.status, missing.status
        ));
    }
    if existing.body.len().abs_diff(missing.body.len()) > 32 {
        return Verdict::Suspicious(format!(
            "an object the caller may not see answers {} bytes where a missing one answers {}: identifiers can be confirmed",
            existing.body.len(),
            missing.body.len()
        ));
    }
    Verdict::Pass
}
