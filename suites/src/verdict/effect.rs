//! Functions whose effect is read back: a record the platform owns (an item of a catalogue, a row of a
//! reference table), set aside for the probe by a granted role, read before the forbidden call and after
//! it. The read-back, not the status, decides: the effect visible after and not before is proven tampering;
//! no effect is a refusal whatever the status; a read-back that could not be made leaves the status alone to
//! judge (status-only, as for any function).

use serde_json::Value;

use super::judge::{leak_sentence, who};
use super::observations::{Judgement, Observations};
use super::{Observed, Verdict, judge_forbidden};
use crate::probes::Probe;

/// How a function's effect shows in its read-back (`effect.shows` in a profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shows {
    /// The item is gone: the read answers 404 or 410, or (with a pointer) the value there disappears.
    Gone {
        /// Where the item's value is in the read's answer (JSON pointer); `None`: the read itself is refused.
        at: Option<String>,
    },
    /// The value at the pointer equals the marker the function's body carried (`{{probe.marker}}`).
    Marker {
        /// Where the marker lands (JSON pointer).
        at: String,
    },
    /// The value at the pointer differs from what it was before the call.
    Changed {
        /// Where the changed value is (JSON pointer).
        at: String,
    },
}

impl Shows {
    /// The keyword of the profile (`gone`, `marker`, `changed`).
    pub fn name(&self) -> &'static str {
        match self {
            Shows::Gone { .. } => "gone",
            Shows::Marker { .. } => "marker",
            Shows::Changed { .. } => "changed",
        }
    }
}

/// What the read-backs around a call showed of the function's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectSeen {
    /// Not there before, there after: the call did it.
    Shown,
    /// Not there before, not there after: the call did nothing the read can see.
    NotShown,
    /// The read-back before or after could not be made or read (not a success before, a server error or no
    /// answer after, a body cut at the size limit): nothing is known of the effect.
    Unreadable,
}

/// The value at `pointer` of a JSON body (`None`: not JSON, or nothing there; `null` counts as nothing).
fn value_at(body: &[u8], pointer: &str) -> Option<Value> {
    let json: Value = serde_json::from_slice(body).ok()?;
    json.pointer(pointer).filter(|v| !v.is_null()).cloned()
}

/// Whether `value` is the marker (a string equal to it).
fn is_marker(value: Option<&Value>, marker: &str) -> bool {
    value.and_then(Value::as_str) == Some(marker)
}

impl EffectSeen {
    /// Compare the read before the call with the read after it, by how the effect shows; `marker` is the
    /// marker the call carried. The read before must be a whole success that does not already show the
    /// effect (else the effect after would prove nothing).
    pub fn classify(
        shows: &Shows,
        marker: &str,
        before: Option<&Observed>,
        after: Option<&Observed>,
    ) -> EffectSeen {
        let (Some(before), Some(after)) = (before, after) else {
            return EffectSeen::Unreadable;
        };
        if !before.is_success() || before.truncated {
            return EffectSeen::Unreadable;
        }
        let shown = match shows {
            Shows::Gone { at } => {
                if matches!(after.status, 404 | 410) {
                    return match at {
                        // The item was there before: its value read at the pointer.
                        Some(at) if value_at(&before.body, at).is_none() => EffectSeen::Unreadable,
                        _ => EffectSeen::Shown,
                    };
                }
                if !after.is_success() || after.truncated {
                    return EffectSeen::Unreadable;
                }
                let Some(at) = at else {
                    return EffectSeen::NotShown;
                };
                if value_at(&before.body, at).is_none() {
                    return EffectSeen::Unreadable;
                }
                value_at(&after.body, at).is_none()
            }
            Shows::Marker { at } => {
                if is_marker(value_at(&before.body, at).as_ref(), marker) {
                    return EffectSeen::Unreadable;
                }
                if !after.is_success() || after.truncated {
                    return EffectSeen::Unreadable;
                }
                is_marker(value_at(&after.body, at).as_ref(), marker)
            }
            Shows::Changed { at } => {
                let Some(was) = value_at(&before.body, at) else {
                    return EffectSeen::Unreadable;
                };
                if !after.is_success() || after.truncated {
                    return EffectSeen::Unreadable;
                }
                value_at(&after.body, at).is_some_and(|now| now != was)
            }
        };
        if shown {
            EffectSeen::Shown
        } else {
            EffectSeen::NotShown
        }
    }
}

/// What was read around a forbidden call whose effect the profile declares.
#[derive(Debug, Clone, Copy)]
pub struct EffectReads<'a> {
    /// Who read the record back (an identity of a role granted the function).
    pub reader: &'a str,
    /// How the effect shows.
    pub shows: &'a Shows,
    /// The marker the call carried.
    pub marker: &'a str,
    /// The read before the call (`None`: it could not be sent).
    pub before: Option<&'a Observed>,
    /// The read after the call (`None`: it could not be sent).
    pub after: Option<&'a Observed>,
}

/// Judge a forbidden call whose effect is read back: foreign data in its answer is a leak; its effect
/// shown is proven tampering whatever it answered; no effect is a refusal (a success that did nothing is
/// said so, never a finding; a server error that did nothing is refused with an error); a read-back that
/// could not be made leaves the answer to be judged by its status alone.
pub(super) fn judge_effect(probe: &Probe, seen: &Observations) -> Judgement {
    let answer = seen.answer;
    let observed = answer.observed;
    let actor_key = probe.actor.as_deref().unwrap_or("an anonymous caller");
    let who = who(seen.actor, actor_key);
    let function = &probe.endpoint;
    let status = observed.status;
    if !answer.evidence.proof.is_empty() {
        let explanation = leak_sentence(&who, &answer.evidence.proof, status);
        return Judgement::shown(Verdict::Leak(answer.evidence.proof.clone()), explanation);
    }
    let status_only = || {
        let mut verdict = judge_forbidden(answer.evidence, seen.refusals, observed);
        // An anonymous caller is refused by being told it is not signed in.
        if probe.actor.is_none() && verdict == Verdict::Unauthenticated {
            verdict = Verdict::Pass;
        }
        let explanation = match &verdict {
            Verdict::Suspicious(reason) | Verdict::ServerError(reason) => format!(
                "{who} called {function}, not granted to its role: {reason}; its effect could not be read back"
            ),
            _ => String::new(),
        };
        Judgement::shown(verdict, explanation)
    };
    let Some(reads) = seen.effect else {
        return status_only();
    };
    match EffectSeen::classify(reads.shows, reads.marker, reads.before, reads.after) {
        EffectSeen::Unreadable => status_only(),
        EffectSeen::Shown => {
            let what = match reads.shows {
                Shows::Gone { .. } => "the record set aside for the probe is gone".to_string(),
                Shows::Marker { at } => format!("the call's marker is at {at}"),
                Shows::Changed { at } => format!("the value at {at} changed"),
            };
            let explanation = format!(
                "{who} may not call {function}, yet it answered {status} and {}'s read-back shows its effect: {what}",
                reads.reader
            );
            Judgement::shown(Verdict::Tampering(explanation.clone()), explanation)
        }
        EffectSeen::NotShown => {
            if probe.actor.is_some()
                && seen.refusals.is_unauthenticated(observed)
                && !seen.refusals.is_refusal(observed)
            {
                return Judgement::shown(Verdict::Unauthenticated, String::new());
            }
            if observed.is_server_error() {
                let reason = format!(
                    "{who} called {function}: answered {status}, and {}'s read-back shows no effect",
                    reads.reader
                );
                return Judgement::shown(Verdict::RefusedWithError(reason.clone()), reason);
            }
            let explanation = if seen.refusals.is_refusal(observed)
                || seen.refusals.is_unauthenticated(observed)
            {
                String::new()
            } else {
                format!(
                    "{who} called {function} (answered {status}), yet {}'s read-back shows no effect: refused in fact, not a finding",
                    reads.reader
                )
            };
            Judgement::shown(Verdict::Pass, explanation)
        }
    }
}
