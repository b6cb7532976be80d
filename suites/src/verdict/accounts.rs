//! The rules of the families that change accounts: a privilege escalation is proven by what the identity
//! reads after logging in again, an account takeover by logging in as the victim. Each is a sequence
//! (the change, a new login, a read or a login as the victim) that the harness runs and describes here as
//! plain observations; these functions decide.
//!
//! Evidence before alarm: an accepted change alone is status-only (suspicious); the proof is what the
//! change made possible, and a read that was already served before the change proves nothing (the harness
//! does not send the change then, see [`crate::Unsent::ServedBefore`]).

use super::{Hit, Judgement, Verdict};

/// A read of the sequence, as judged by the profile's refusals and the policy of the identity's old role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Refused (a status or body the profile lists as a refusal).
    Refused,
    /// Served: the canaries the old role may not see that the answer carried (none is no proof).
    Served {
        /// The answer's status.
        status: u16,
        /// Foreign canaries (by the old role's policy) the request did not carry.
        proof: Vec<Hit>,
    },
    /// Not signed in (a 401 from a fresh session, a login redirect): proves nothing.
    Unauthenticated,
}

/// What the privilege-escalation sequence observed after the read before the change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation<'a> {
    /// The field and the value sent (for the sentence).
    pub field: &'a str,
    /// The status of the sign-up or update that carried the field.
    pub change: u16,
    /// Whether the change was a refusal by the profile's rules.
    pub change_refused: bool,
    /// The read after a new login; `None` when the identity could not log in again.
    pub after: Option<Seen>,
}

/// Judge a privilege escalation: foreign canaries in the read after the change (refused before) are a
/// proven escalation; an accepted change whose read is not refused but shows nothing is status-only.
pub fn judge_escalation(seen: &Escalation<'_>) -> Judgement {
    let field = seen.field;
    match &seen.after {
        Some(Seen::Served { proof, status }) if !proof.is_empty() => Judgement::shown(
            Verdict::Leak(proof.clone()),
            format!(
                "after `{field}` was sent (answered {}), the identity logged in again and read data its old role may not see ({status}); the same read was refused before",
                seen.change
            ),
        ),
        Some(Seen::Served { status, .. }) if !seen.change_refused => Judgement::shown(
            Verdict::Suspicious(format!(
                "`{field}` accepted ({}) and the read refused before answered {status} after a new login, with no data of another",
                seen.change
            )),
            "status only: the read was not refused after the change, but showed nothing",
        ),
        None if !seen.change_refused && (200..300).contains(&seen.change) => Judgement::shown(
            Verdict::Unauthenticated,
            format!(
                "`{field}` accepted ({}) but the identity could not log in again: nothing was read",
                seen.change
            ),
        ),
        Some(Seen::Unauthenticated) => Judgement::shown(
            Verdict::Unauthenticated,
            "the read after the new login was answered as signed out: nothing is proven",
        ),
        _ => Judgement::shown(Verdict::Pass, ""),
    }
}

/// What the account-takeover sequence observed, once the control (the attacker changed its own
/// credential and logged in with it) succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeover<'a> {
    /// The victim (its key), for the sentence.
    pub victim: &'a str,
    /// The status of the change called on the victim's account.
    pub change: u16,
    /// Whether it was a refusal by the profile's rules.
    pub change_refused: bool,
    /// Whether logging in as the victim with the attacker's new secret succeeded.
    pub victim_login: bool,
}

/// Judge an account takeover: the victim's login with the secret the attacker chose is proof; an accepted
/// change without it is status-only; a server error without it is a warning.
pub fn judge_takeover(seen: &Takeover<'_>) -> Judgement {
    let victim = seen.victim;
    if seen.victim_login {
        return Judgement::shown(
            Verdict::Tampering(format!(
                "{victim}'s credential was changed by another identity (answered {}): logging in as {victim} with the secret it chose succeeded",
                seen.change
            )),
            format!("account takeover: {victim} logged in with the attacker's secret"),
        );
    }
    if seen.change_refused {
        return Judgement::shown(Verdict::Pass, "");
    }
    if (500..600).contains(&seen.change) {
        return Judgement::shown(
            Verdict::ServerError(format!(
                "the change of {victim}'s credential answered {}; the old one still works",
                seen.change
            )),
            "",
        );
    }
    if (200..300).contains(&seen.change) {
        return Judgement::shown(
            Verdict::Suspicious(format!(
                "the change of {victim}'s credential was answered {} but logging in with the new secret failed",
                seen.change
            )),
            "status only: accepted, not proven",
        );
    }
    Judgement::shown(Verdict::Pass, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::canary::CanaryKind;
    use crate::policy::DataOwner;

    /// A rule, the verdict it gave, and what that verdict must be.
    type Row = (&'static str, Verdict, fn(&Verdict) -> bool);

    fn hit() -> Hit {
        Hit {
            canary: "DUPONT".into(),
            field: CanaryKind::Surname,
            owner: DataOwner {
                tenant: "75".into(),
                person: Some("p1".into()),
                case: None,
                kind: None,
            },
        }
    }

    fn escalation(change: u16, refused: bool, after: Option<Seen>) -> Verdict {
        judge_escalation(&Escalation {
            field: "role",
            change,
            change_refused: refused,
            after,
        })
        .verdict
    }

    #[test]
    fn escalation_rules() {
        let served = |proof: Vec<Hit>| Some(Seen::Served { status: 200, proof });
        // (rule, observed, verdict)
        let rows: Vec<Row> = vec![
            (
                "foreign canaries after the change: proven",
                escalation(200, false, served(vec![hit()])),
                |v| matches!(v, Verdict::Leak(h) if h.len() == 1),
            ),
            (
                "even when the change answered a refusal status, data is proof",
                escalation(400, true, served(vec![hit()])),
                |v| matches!(v, Verdict::Leak(_)),
            ),
            (
                "the read still refused: pass",
                escalation(200, false, Some(Seen::Refused)),
                |v| *v == Verdict::Pass,
            ),
            (
                "served without foreign data after an accepted change: status only",
                escalation(200, false, served(vec![])),
                |v| matches!(v, Verdict::Suspicious(_)),
            ),
            (
                "a refused sign-up that cannot log in: pass",
                escalation(422, true, None),
                |v| *v == Verdict::Pass,
            ),
            (
                "an accepted change that cannot log in again proves nothing",
                escalation(200, false, None),
                |v| *v == Verdict::Unauthenticated,
            ),
            (
                "signed out after the new login proves nothing",
                escalation(200, false, Some(Seen::Unauthenticated)),
                |v| *v == Verdict::Unauthenticated,
            ),
        ];
        for (rule, verdict, ok) in rows {
            assert!(ok(&verdict), "{rule}: {verdict:?}");
        }
    }

    fn takeover(change: u16, refused: bool, login: bool) -> Verdict {
        judge_takeover(&Takeover {
            victim: "v",
            change,
            change_refused: refused,
            victim_login: login,
        })
        .verdict
    }

    #[test]
    fn takeover_rules() {
        let rows: Vec<Row> = vec![
            (
                "the victim logs in with the new secret: proven",
                takeover(200, false, true),
                |v| matches!(v, Verdict::Tampering(_)),
            ),
            (
                "a 200 body refusal whose login still works: proven",
                takeover(200, true, true),
                |v| matches!(v, Verdict::Tampering(_)),
            ),
            ("refused: pass", takeover(403, true, false), |v| {
                *v == Verdict::Pass
            }),
            (
                "accepted without proof: suspicious",
                takeover(204, false, false),
                |v| matches!(v, Verdict::Suspicious(_)),
            ),
            (
                "a server error without proof: a warning",
                takeover(500, false, false),
                |v| matches!(v, Verdict::ServerError(_)),
            ),
        ];
        for (rule, verdict, ok) in rows {
            assert!(ok(&verdict), "{rule}: {verdict:?}");
        }
    }
}
