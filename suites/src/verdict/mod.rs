//! Verdicts: what a probe's answer, or a write and the read-backs that follow it, proves.
//!
//! One path: a probe says which observations it needs ([`Needs::of`], then [`next_need`] as they come in),
//! the harness gathers them into [`Observations`] (HTTP, scanning, read-backs) and calls [`judge`] once,
//! which gives a [`Judgement`]: a verdict and the sentence that explains it. The harness executes; this
//! module decides. Data comes before status: a foreign canary that reaches an identity is a proven leak
//! whatever the status code, a canary the request itself carried proves nothing, and a status code alone is
//! only ever suspicious.
//!
//! - this module: what was observed ([`Observed`], [`Hit`], [`Evidence`]), what a refusal looks like
//!   ([`Refusals`]) and the verdicts;
//! - `observations`: [`Needs`], [`Need`], [`Observations`], [`Judgement`];
//! - `judge`: [`judge`], [`next_need`] and the sentences; `read` and `change`: the rules of each kind of
//!   probe; `rules` and `write`: the rules of one answer and of a write's read-back.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::generators::canary::CanaryKind;
use crate::policy::DataOwner;

mod accounts;
mod change;
mod effect;
mod judge;
mod observations;
mod read;
mod rules;
mod shapes;
mod write;

#[cfg(test)]
mod effect_tests;
#[cfg(test)]
mod judge_tests;
#[cfg(test)]
mod tests;

pub use accounts::{Escalation, Seen, Takeover, judge_escalation, judge_takeover};
pub use effect::{EffectReads, EffectSeen, Shows};
pub use judge::{judge, judge_seeding, leak_sentence, next_need};
pub use observations::{Answer, Change, Exhibit, Judgement, Need, Needs, Observations};
pub use rules::{judge_control, judge_existence, judge_forbidden, judge_visible};
pub use shapes::{FieldEquals, RefusalBody, SoftDelete};
pub use write::{Kept, ReadBack, judge_create, judge_write, marker_at};

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
    /// The body was cut at the reader's size limit: only what came before was read (and can be judged).
    pub truncated: bool,
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
    /// What kind of value of the world it is (`surname`, `nir`, `document_reference`...).
    pub field: CanaryKind,
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
    /// Answer bodies that mean "refused" (judged on a whole success or client error).
    pub bodies: Vec<RefusalBody>,
}

impl Refusals {
    /// Whether a response is a refusal by these rules.
    pub fn is_refusal(&self, observed: &Observed) -> bool {
        if self.statuses.contains(&observed.status) {
            return true;
        }
        if shapes::is_body_refusal(&self.bodies, observed) {
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

    /// Whether an answer is a refusal by one of the declared bodies (whole, a success or a client error).
    pub fn is_body_refusal(&self, observed: &Observed) -> bool {
        shapes::is_body_refusal(&self.bodies, observed)
    }

    /// Whether a 2xx body is an empty list at the profile's list pointer (a body cut at the size limit is
    /// not one, and is not parsed).
    pub fn is_empty_list(&self, observed: &Observed) -> bool {
        if observed.truncated {
            return false;
        }
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&observed.body) else {
            return false;
        };
        let list = match &self.list_pointer {
            Some(pointer) => json.pointer(pointer),
            None => Some(&json),
        };
        matches!(list, Some(serde_json::Value::Array(items)) if items.is_empty())
    }

    /// Whether a `401` from a live session means "refused" here (`401` among the statuses): a platform
    /// that answers `401` for a record that exists but is not the caller's. It is a refusal only once the
    /// caller's session is proven alive (see `crate::session::after_signed_out`).
    pub fn unauthenticated_refuses(&self) -> bool {
        self.statuses.contains(&401)
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
    /// The body the profile builds for this endpoint was answered as malformed (400 or 422) for the
    /// forbidden caller and for a caller the policy allows alike: the profile's mistake, not a finding and
    /// not a refusal (the run ends with a profile error at the endpoint's line).
    BodyRejected(String),
    /// The audit trail does not show what the run did (an access or a change served with no entry naming
    /// its actor and record): proven by the run's own request against the trail read whole.
    Untraced(String),
}

impl Verdict {
    /// Whether this verdict is a finding (a leak, tampering or a suspicion).
    pub fn is_finding(&self) -> bool {
        matches!(
            self,
            Verdict::Leak(_)
                | Verdict::Tampering(_)
                | Verdict::Suspicious(_)
                | Verdict::Untraced(_)
        )
    }
}
