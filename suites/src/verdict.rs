//! Verdicts: what one response, or a write and the read-backs that follow it, proves.
//!
//! These are pure functions over what the harness observed (status, headers, body), the canaries it found
//! in the response and in the request, and the profile's description of a refusal. The harness executes;
//! this module decides. Data comes before status: a foreign canary that reaches an identity is a proven
//! leak whatever the status code, a canary the request itself carried proves nothing, and a status code
//! alone is only ever suspicious.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::policy::DataOwner;

/// A response as the oracle sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// HTTP status.
    pub status: u16,
    /// Response headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (already decoded from its `Content-Encoding`).
    pub body: Vec<u8>,
    /// The responses that redirected to this one, the first first (each without redirects of its own):
    /// their headers and bodies reached the caller too.
    pub redirects: Vec<Observed>,
}

impl Observed {
    /// Whether the status is a success (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the status is a server error (5xx).
    pub fn is_server_error(&self) -> bool {
        (500..600).contains(&self.status)
    }
}

/// One canary found in a response, and whose data it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hit {
    /// The canary value as registered.
    pub canary: String,
    /// What field of the world it comes from (`surname`, `nir`, `document reference`...).
    pub field: String,
    /// Whose data it is.
    pub owner: DataOwner,
}

/// What a refusal looks like on a platform (from its profile).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refusals {
    /// Statuses that mean "refused".
    pub statuses: BTreeSet<u16>,
    /// A 2xx whose list is empty is a refusal.
    pub empty_list: bool,
    /// Where the list is in the JSON body (JSON pointer; the whole body when absent).
    pub list_pointer: Option<String>,
    /// A redirect whose `Location` contains this is a refusal (a login page).
    pub login_redirect: Option<String>,
}

impl Refusals {
    /// Whether a response is a refusal by these rules.
    pub fn is_refusal(&self, observed: &Observed) -> bool {
        if self.statuses.contains(&observed.status) {
            return true;
        }
        if (300..400).contains(&observed.status)
            && let Some(login) = &self.login_redirect
        {
            let location = observed
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("location"));
            if location.is_some_and(|(_, value)| value.contains(login.as_str())) {
                return true;
            }
        }
        if observed.is_success() && self.empty_list {
            return self.is_empty_list(observed);
        }
        false
    }

    /// Whether a 2xx body is an empty list at the profile's list pointer.
    pub fn is_empty_list(&self, observed: &Observed) -> bool {
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&observed.body) else {
            return false;
        };
        let list = match &self.list_pointer {
            Some(pointer) => json.pointer(pointer),
            None => Some(&json),
        };
        matches!(list, Some(serde_json::Value::Array(items)) if items.is_empty())
    }

    /// Whether a response says the caller is not (or no longer) authenticated: a 401, or a redirect to
    /// the login page. Such an answer proves nothing about authorization while the caller's own session
    /// may have expired.
    pub fn is_unauthenticated(&self, observed: &Observed) -> bool {
        if observed.status == 401 {
            return true;
        }
        (300..400).contains(&observed.status)
            && self.login_redirect.as_ref().is_some_and(|login| {
                observed.headers.iter().any(|(name, value)| {
                    name.eq_ignore_ascii_case("location") && value.contains(login.as_str())
                })
            })
    }
}

/// The canaries of a response split into proof and reflection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Foreign canaries the request did not carry: proof that data reached the caller.
    pub proof: Vec<Hit>,
    /// Foreign canaries the request itself carried (a case number in the URL echoed by an error page, a
    /// searched name): never proof.
    pub reflected: Vec<Hit>,
}

/// Split foreign hits into proof and reflection: a canary present in the request (`carried`, the canary
/// values found in the request's URL, headers and body) is reflected, never proof.
pub fn split_reflected(foreign: Vec<Hit>, carried: &BTreeSet<String>) -> Evidence {
    let (reflected, proof) = foreign
        .into_iter()
        .partition(|hit| carried.contains(&hit.canary));
    Evidence { proof, reflected }
}

/// What the oracle concludes of one try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Refused, as the policy expects (or an allowed answer with no foreign data).
    Pass,
    /// Foreign data reached the caller: a proven leak.
    Leak(Vec<Hit>),
    /// Someone's data was changed, destroyed or moved out of its owner's reach by someone who may not:
    /// proven by reading it back.
    Tampering(String),
    /// Not refused, but no foreign data seen: status-only evidence.
    Suspicious(String),
    /// The target answered a server error and nothing shows that it did what was asked: reported as a
    /// warning, the probe proves neither isolation nor a leak.
    ServerError(String),
    /// A forbidden write answered a server error, and the owner's read-back shows nothing changed: refused,
    /// with an error (a warning, not a voided probe).
    RefusedWithError(String),
    /// The caller's session was not accepted (401 or a login redirect): the try proves nothing until the
    /// session is known alive.
    Unauthenticated,
    /// A control failed: the target did not serve an identity its own data, so refusals prove nothing.
    ControlFailed(String),
}

impl Verdict {
    /// Whether this verdict is a finding (a leak, tampering or a suspicion).
    pub fn is_finding(&self) -> bool {
        matches!(
            self,
            Verdict::Leak(_) | Verdict::Tampering(_) | Verdict::Suspicious(_)
        )
    }
}

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

/// What the owner's read-back of a record shows after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBack {
    /// The record reads as before the write.
    Unchanged,
    /// The write probe's marker is at the field the profile names.
    Marked,
    /// The owner can no longer read it (refused or missing): deleted, or moved out of the owner's reach.
    Gone,
    /// The read-back itself failed (5xx, transport): nothing can be concluded.
    Unknown,
}

/// Whether `marker` is the value at `pointer` of a JSON body (or, for a non-JSON body and the empty
/// pointer, the body contains it).
pub fn marker_at(body: &[u8], pointer: &str, marker: &str) -> bool {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => match json.pointer(pointer) {
            Some(serde_json::Value::String(text)) => text.contains(marker),
            Some(other) => other.to_string().contains(marker),
            None => false,
        },
        Err(_) => {
            pointer.is_empty()
                && body
                    .windows(marker.len().max(1))
                    .any(|w| w == marker.as_bytes())
        }
    }
}

/// Judge a forbidden write (update or delete) by its answer and by the owner's read-back.
///
/// - the marker at the named field, or the record gone from its owner's reach: proven tampering, whatever
///   the write's status;
/// - foreign data in the write's answer: a proven leak;
/// - a refusal: passes;
/// - a server error with no change: a warning, not a voided run;
/// - a success with no change: suspicious.
pub fn judge_write(
    evidence: &Evidence,
    refusals: &Refusals,
    write: &Observed,
    read_back: ReadBack,
    what: &str,
) -> Verdict {
    match read_back {
        ReadBack::Marked => {
            return Verdict::Tampering(format!(
                "the owner reads back the write's marker (the {what} answered {})",
                write.status
            ));
        }
        ReadBack::Gone => {
            return Verdict::Tampering(format!(
                "the record is gone from its owner's reach after the {what} (answered {})",
                write.status
            ));
        }
        ReadBack::Unchanged | ReadBack::Unknown => {}
    }
    if !evidence.proof.is_empty() {
        return Verdict::Leak(evidence.proof.clone());
    }
    if refusals.is_unauthenticated(write) && !refusals.is_refusal(write) {
        return Verdict::Unauthenticated;
    }
    if refusals.is_refusal(write) {
        return Verdict::Pass;
    }
    if read_back == ReadBack::Unknown {
        return Verdict::ServerError(format!(
            "the {what} answered {} and the owner's read-back failed: nothing can be concluded",
            write.status
        ));
    }
    if write.is_server_error() {
        return Verdict::RefusedWithError(format!(
            "the {what} answered {} and the owner's read-back shows no change",
            write.status
        ));
    }
    if (400..500).contains(&write.status) {
        // A client error that the profile does not list as a refusal, and nothing changed: rejected.
        return Verdict::Pass;
    }
    Verdict::Suspicious(format!(
        "{} to a forbidden {what}, but the owner's read-back shows no change",
        write.status
    ))
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

#[cfg(test)]
mod tests {
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
            redirects: Vec::new(),
        }
    }

    fn hit(canary: &str) -> Hit {
        Hit {
            canary: canary.into(),
            field: "nir".into(),
            owner: DataOwner {
                tenant: "75".into(),
                person: Some("1".into()),
                case: None,
                kind: None,
            },
        }
    }

    fn proof(hits: &[&str]) -> Evidence {
        Evidence {
            proof: hits.iter().map(|h| hit(h)).collect(),
            reflected: Vec::new(),
        }
    }

    #[test]
    fn refusal_shapes() {
        let r = refusals();
        let check = |o: Observed, expected: bool| assert_eq!(r.is_refusal(&o), expected, "{o:?}");
        check(observed(404, &[], ""), true);
        check(observed(410, &[], ""), false);
        check(observed(302, &[("Location", "/login?next=/x")], ""), true);
        check(observed(302, &[("Location", "/home")], ""), false);
        check(observed(200, &[], r#"{"items": []}"#), true);
        check(observed(200, &[], r#"{"items": [1]}"#), false);
        check(observed(200, &[], "not json"), false);
    }

    #[test]
    fn forbidden_tries_put_data_before_status() {
        let r = refusals();
        let table: &[(Evidence, Observed, &str)] = &[
            // A leak in a 404 body (an error that echoes the object) is still a leak.
            (proof(&["N1"]), observed(404, &[], ""), "leak"),
            (Evidence::default(), observed(404, &[], ""), "pass"),
            (Evidence::default(), observed(200, &[], "{}"), "suspicious"),
            (Evidence::default(), observed(410, &[], ""), "suspicious"),
            (Evidence::default(), observed(503, &[], ""), "server-error"),
            (
                Evidence::default(),
                observed(302, &[("Location", "/login")], ""),
                "pass",
            ),
        ];
        for (evidence, obs, expected) in table {
            let verdict = judge_forbidden(evidence, &r, obs);
            let got = match verdict {
                Verdict::Leak(_) => "leak",
                Verdict::Pass => "pass",
                Verdict::Suspicious(_) => "suspicious",
                Verdict::ServerError(_) => "server-error",
                Verdict::Unauthenticated => "unauthenticated",
                _ => "other",
            };
            assert_eq!(got, *expected, "{obs:?}");
        }
    }

    #[test]
    fn a_401_is_unauthenticated_unless_the_profile_calls_it_a_refusal() {
        let mut r = refusals();
        assert_eq!(
            judge_forbidden(&Evidence::default(), &r, &observed(401, &[], "")),
            Verdict::Pass
        );
        r.statuses.remove(&401);
        assert_eq!(
            judge_forbidden(&Evidence::default(), &r, &observed(401, &[], "")),
            Verdict::Unauthenticated
        );
    }

    #[test]
    fn reflected_canaries_are_never_proof() {
        let carried = BTreeSet::from(["75-2025-000001".to_string()]);
        let evidence = split_reflected(vec![hit("75-2025-000001"), hit("N1")], &carried);
        assert_eq!(evidence.proof, vec![hit("N1")]);
        assert_eq!(evidence.reflected, vec![hit("75-2025-000001")]);
        // A 404 page that echoes the case number the URL carried is a refusal, not a leak.
        let only_reflected = split_reflected(vec![hit("75-2025-000001")], &carried);
        assert_eq!(
            judge_forbidden(&only_reflected, &refusals(), &observed(404, &[], "")),
            Verdict::Pass
        );
        assert!(matches!(
            judge_forbidden(&only_reflected, &refusals(), &observed(200, &[], "{}")),
            Verdict::Suspicious(_)
        ));
    }

    #[test]
    fn allowed_answers_are_judged_by_foreign_data_only() {
        assert_eq!(
            judge_visible(&Evidence::default(), &observed(200, &[], "[]")),
            Verdict::Pass
        );
        assert_eq!(
            judge_visible(&Evidence::default(), &observed(403, &[], "")),
            Verdict::Pass
        );
        assert!(matches!(
            judge_visible(&proof(&["N1"]), &observed(200, &[], "")),
            Verdict::Leak(_)
        ));
        assert!(matches!(
            judge_visible(&Evidence::default(), &observed(500, &[], "")),
            Verdict::ServerError(_)
        ));
    }

    #[test]
    fn controls_need_success_and_own_data() {
        let e = Evidence::default();
        assert_eq!(judge_control(&e, &observed(200, &[], ""), 3), Verdict::Pass);
        assert!(matches!(
            judge_control(&e, &observed(200, &[], ""), 0),
            Verdict::ControlFailed(_)
        ));
        assert!(matches!(
            judge_control(&e, &observed(404, &[], ""), 0),
            Verdict::ControlFailed(_)
        ));
        assert_eq!(
            judge_control(&e, &observed(401, &[], ""), 0),
            Verdict::Unauthenticated
        );
    }

    #[test]
    fn a_control_answered_by_a_redirect_left_unfollowed_says_where_it_led() {
        let e = Evidence::default();
        let moved = observed(302, &[("Location", "https://files.example.net/b/1")], "");
        match judge_control(&e, &moved, 0) {
            Verdict::ControlFailed(why) => assert!(
                why.contains("302 (a redirect to https://files.example.net/b/1, not followed)"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_marker_counts_only_at_the_named_field() {
        let body = br#"{"summary":"cloison-write-probe-1","history":["cloison-write-probe-2"]}"#;
        assert!(marker_at(body, "/summary", "cloison-write-probe-1"));
        // The marker of another write, elsewhere in the body, proves nothing about this one.
        assert!(!marker_at(body, "/summary", "cloison-write-probe-2"));
        assert!(!marker_at(body, "/missing", "cloison-write-probe-1"));
        assert!(marker_at(
            b"plain cloison-write-probe-1",
            "",
            "cloison-write-probe-1"
        ));
    }

    #[test]
    fn writes_are_judged_by_the_read_back() {
        let r = refusals();
        let e = Evidence::default();
        let w = |status| observed(status, &[], "");
        let kind = |v: Verdict| match v {
            Verdict::Pass => "pass",
            Verdict::Leak(_) => "leak",
            Verdict::Tampering(_) => "tampering",
            Verdict::Suspicious(_) => "suspicious",
            Verdict::ServerError(_) => "server-error",
            Verdict::RefusedWithError(_) => "refused-with-error",
            Verdict::Unauthenticated => "unauthenticated",
            Verdict::ControlFailed(_) => "control",
        };
        let table: &[(u16, ReadBack, &str)] = &[
            (200, ReadBack::Marked, "tampering"),
            // A 404 to the write does not hide a change the owner can see.
            (404, ReadBack::Marked, "tampering"),
            // A write that moved the record out of its owner's reach.
            (200, ReadBack::Gone, "tampering"),
            (404, ReadBack::Unchanged, "pass"),
            (422, ReadBack::Unchanged, "pass"),
            // A server error that changed nothing is a refusal with an error, not a voided run.
            (500, ReadBack::Unchanged, "refused-with-error"),
            (200, ReadBack::Unchanged, "suspicious"),
            (200, ReadBack::Unknown, "server-error"),
        ];
        for (status, read_back, expected) in table {
            assert_eq!(
                kind(judge_write(&e, &r, &w(*status), *read_back, "update")),
                *expected,
                "{status} {read_back:?}"
            );
        }
    }

    #[test]
    fn existence_is_leaked_by_a_different_answer() {
        let missing = observed(404, &[], r#"{"error":"not_found"}"#);
        assert_eq!(
            judge_existence(&observed(404, &[], r#"{"error":"not_found"}"#), &missing),
            Verdict::Pass
        );
        assert!(matches!(
            judge_existence(&observed(403, &[], r#"{"error":"forbidden"}"#), &missing),
            Verdict::Suspicious(_)
        ));
    }
}
