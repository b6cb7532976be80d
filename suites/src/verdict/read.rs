//! The rules of probes judged by one answer (reads, lists, searches, exports, functions, controls, tenant
//! selectors, neighbouring identifiers, anonymous calls), and of existence checks (an object and a missing
//! twin compared).

use super::judge::{leak_sentence, who};
use super::observations::{Judgement, Need, Observations};
use super::{Observed, Verdict, judge_control, judge_existence, judge_forbidden, judge_visible};
use crate::family::Family;
use crate::population::Identity;
use crate::probes::{Expect, Probe, Variant};

/// The verdict of the answer by what the policy expects, before any comparison with the plain request.
fn answer_verdict(probe: &Probe, seen: &Observations) -> Verdict {
    let answer = seen.answer;
    match probe.expect {
        Expect::Refusal => {
            let verdict = judge_forbidden(answer.evidence, seen.refusals, answer.observed);
            // An anonymous caller is refused by being told it is not signed in.
            // Without credentials, or with forged ones, "signed out" is the refusal expected.
            if (probe.actor.is_none() || is_forged(probe)) && verdict == Verdict::Unauthenticated {
                Verdict::Pass
            } else {
                verdict
            }
        }
        Expect::Visible => {
            let verdict = judge_visible(answer.evidence, answer.observed);
            if verdict == Verdict::Pass && seen.refusals.is_unauthenticated(answer.observed) {
                Verdict::Unauthenticated
            } else if verdict == Verdict::Pass && probe.family == Family::Collection {
                list_control(probe, seen)
            } else {
                verdict
            }
        }
        Expect::Control => judge_control(answer.evidence, answer.observed, own_canaries(seen)),
        Expect::Existence => judge_forbidden(answer.evidence, seen.refusals, answer.observed),
    }
}

/// How many of the probe's record's canaries (its person's or its case file's) the answer carries.
fn own_canaries(seen: &Observations) -> usize {
    let (Some(record), Some(hits)) = (seen.record, seen.own_data) else {
        return 0;
    };
    hits.iter()
        .filter(|h| {
            h.owner.person.as_deref() == Some(record.person.as_str())
                || h.owner.case.as_deref() == Some(record.case.as_str())
        })
        .count()
}

/// Whose own records a list must show: the actor's person's, when the actor has records of the list's
/// kind and the list answered a success.
fn list_owner<'a>(seen: &Observations<'a>) -> Option<(&'a Identity, &'a str)> {
    let actor = seen.actor?;
    let person = actor.person.as_deref()?;
    (seen.actor_owns_listed && seen.answer.observed.is_success()).then_some((actor, person))
}

/// A list must show an identity its own records of the list's kind.
fn list_control(probe: &Probe, seen: &Observations) -> Verdict {
    let Some((actor, person)) = list_owner(seen) else {
        return Verdict::Pass;
    };
    let hits = seen.own_data.unwrap_or_default();
    if hits
        .iter()
        .any(|h| h.owner.person.as_deref() == Some(person))
    {
        Verdict::Pass
    } else {
        Verdict::ControlFailed(format!(
            "the list answered {} without any of {}'s own {} records",
            seen.answer.observed.status, actor.key, probe.cell.kind
        ))
    }
}

/// Statuses that say a request is malformed (a body the platform cannot take), not who sends it.
fn is_malformed_status(status: u16) -> bool {
    matches!(status, 400 | 422)
}

/// A forbidden call answered "malformed" (400 or 422, not a listed refusal, no foreign data): a finding
/// only if a caller the policy allows gets past it with the same request ([`Need::AllowedTwin`]).
fn malformed(probe: &Probe, seen: &Observations) -> bool {
    let answer = seen.answer;
    probe.expect == Expect::Refusal
        && is_malformed_status(answer.observed.status)
        && answer.evidence.proof.is_empty()
        && !seen.refusals.is_refusal(answer.observed)
        && !seen.refusals.is_unauthenticated(answer.observed)
}

fn is_selector(probe: &Probe) -> bool {
    matches!(probe.variant, Variant::Selector { .. })
}

/// A probe sent with a forged credential ([`crate::forge`]).
fn is_forged(probe: &Probe) -> bool {
    matches!(probe.variant, Variant::Forged { .. })
}

/// A probe whose finding stands only if the plain request, as the actor itself, shows nothing: a selector
/// that names another tenant, a forged credential (what the actor's own session already reads is another
/// family's finding, not the forgery's).
fn compared_with_plain(probe: &Probe) -> bool {
    is_selector(probe) || is_forged(probe)
}

/// What an answer-judged probe still needs: every canary of a control's answer (when it names a record) or
/// of a list that must show the caller's own records; the plain request for a selector's finding.
pub(super) fn answer_need(probe: &Probe, seen: &Observations) -> Option<Need> {
    if seen.own_data.is_none() {
        let answer = seen.answer;
        let wants = match probe.expect {
            Expect::Control => seen.record.is_some(),
            Expect::Visible => {
                probe.family == Family::Collection
                    && list_owner(seen).is_some()
                    && judge_visible(answer.evidence, answer.observed) == Verdict::Pass
                    && !seen.refusals.is_unauthenticated(answer.observed)
            }
            Expect::Refusal | Expect::Existence => false,
        };
        if wants {
            return Some(Need::OwnData);
        }
    }
    if seen.allowed_twin.is_none() && !compared_with_plain(probe) && malformed(probe, seen) {
        return Some(Need::AllowedTwin);
    }
    (seen.baseline.is_none()
        && compared_with_plain(probe)
        && answer_verdict(probe, seen).is_finding())
    .then_some(Need::Baseline)
}

/// Judge a probe by its answer. A tenant selector's finding counts only if the same request without the
/// selector is refused or shows nothing foreign: otherwise the flaw is not the selector's.
pub(super) fn judge_answer(probe: &Probe, seen: &Observations) -> Judgement {
    let verdict = answer_verdict(probe, seen);
    if let Some(twin) = seen.allowed_twin.filter(|_| malformed(probe, seen))
        && is_malformed_status(twin.status)
        && !seen.refusals.is_refusal(twin)
    {
        let reason = format!(
            "the profile's request was answered {} to {} and {} to a caller the policy allows: the \
             platform rejects the body the profile builds, whoever sends it",
            seen.answer.observed.status,
            who(seen.actor, "an anonymous caller"),
            twin.status
        );
        return Judgement::shown(Verdict::BodyRejected(reason.clone()), reason);
    }
    if verdict.is_finding()
        && compared_with_plain(probe)
        && let Some(plain) = seen.baseline
    {
        let plain_verdict = match probe.expect {
            Expect::Refusal => judge_forbidden(plain.evidence, seen.refusals, plain.observed),
            _ => judge_visible(plain.evidence, plain.observed),
        };
        if plain_verdict.is_finding() {
            return Judgement::unshown(Verdict::Pass);
        }
    }
    let who = who(seen.actor, "an anonymous caller");
    let status = seen.answer.observed.status;
    let explanation = match &verdict {
        Verdict::Leak(hits) if is_selector(probe) => format!(
            "{}; without the {} the same request shows nothing foreign",
            leak_sentence(&who, hits, status),
            probe.cell.via.as_deref().unwrap_or("selector")
        ),
        Verdict::Leak(hits) if is_forged(probe) => format!(
            "{}, with a token forged from its own to name the victim ({}); its own session reads nothing of it",
            leak_sentence(&who, hits, status),
            probe.cell.via.as_deref().unwrap_or("forged")
        ),
        Verdict::Leak(hits) => leak_sentence(&who, hits, status),
        Verdict::Suspicious(reason)
        | Verdict::ServerError(reason)
        | Verdict::RefusedWithError(reason)
        | Verdict::ControlFailed(reason)
        | Verdict::Tampering(reason)
        | Verdict::Untraced(reason) => format!("{who}: {reason}"),
        Verdict::Unauthenticated => format!("{who}: the session was not accepted"),
        Verdict::BodyRejected(reason) => reason.clone(),
        Verdict::Pass => String::new(),
    };
    Judgement::shown(verdict, explanation)
}

/// An existence check needs the missing twin unless the object itself leaks.
pub(super) fn existence_need(seen: &Observations) -> Option<Need> {
    (seen.answer.evidence.proof.is_empty() && seen.missing.is_none()).then_some(Need::MissingTwin)
}

/// Judge an existence check: a forbidden object and a missing one must answer alike.
///
/// - the object itself leaks: that is the direct-read family's finding, and whether its existence can be
///   told apart no longer matters (a pass);
/// - either answer says the session was lost: unauthenticated (the caller logs in again and the probe is
///   sent anew);
/// - otherwise [`judge_existence`].
pub(super) fn judge_existence_check(seen: &Observations) -> Judgement {
    if !seen.answer.evidence.proof.is_empty() {
        return Judgement::unshown(Verdict::Pass);
    }
    let Some(missing) = seen.missing else {
        return Judgement::unshown(Verdict::Pass);
    };
    let refusals = seen.refusals;
    let signed_out = |observed: &Observed| {
        refusals.is_unauthenticated(observed) && !refusals.is_refusal(observed)
    };
    if signed_out(seen.answer.observed) || signed_out(missing) {
        return Judgement::unshown(Verdict::Unauthenticated);
    }
    let verdict = judge_existence(seen.answer.observed, missing);
    let explanation = match &verdict {
        Verdict::Suspicious(reason) | Verdict::ServerError(reason) => reason.clone(),
        _ => String::new(),
    };
    Judgement::shown(verdict, explanation)
}
