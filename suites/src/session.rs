//! Sessions that die while a run goes on (tokens that expire, a platform that revokes them or restarts):
//! which read tells whether an identity's session is still accepted, and what is done with an answer that
//! says the caller is not signed in. Such an answer is never judged as it came: it is either shown to come
//! from a live session (then it is the platform's answer, judged like any other) or discarded, and the
//! request sent again once the identity has logged in again.
//!
//! The harness sends and logs in; [`after_signed_out`] decides, and [`liveness_record`] picks the read.

use crate::policy::AccessPolicy;
use crate::population::{Identity, Population, Record, RecordKind};

/// Renewals (a new login, or a re-send with a session another request renewed) one request may cost before
/// its answer is said to prove nothing (enough for a platform whose sessions serve a handful of requests,
/// shared by many requests at once).
pub const MAX_RENEWALS: usize = 8;

/// New logins an identity with nothing of its own to read gets before the answer to a session opened for
/// the request stands: a platform that revokes every session now and then may revoke the new one too
/// before the request is sent again (seen: one probe in about ten runs of a proxy revoking every 150
/// requests), and that identity has no read to tell a revoked session from a genuine 401.
pub const UNCHECKABLE_RELOGINS: usize = 3;

/// What is known of the session an answer was given to, when that answer says the caller is not signed in
/// (a 401, or a redirect to the login page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Nothing yet: no read made after that answer says whether the session is accepted.
    Unchecked,
    /// A read of the identity's own data, sent after that answer, was accepted: the session was alive
    /// when the answer was given (a session never comes back to life).
    Alive,
    /// That read was not accepted either: the session is dead.
    Dead,
    /// The identity has nothing of its own to read (see [`liveness_record`]): only a new login tells.
    Uncheckable,
}

/// What to do with an answer that says the caller is not signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// The identity logged in again since the request was sent: discard the answer, send the request again
    /// with the new session.
    Resend,
    /// Read the identity's own data to learn whether the session is alive.
    Check,
    /// Discard the answer, log the identity in again (once for every request waiting on that session), and
    /// send the request again.
    Relogin,
    /// The session is alive: the answer is the platform's, judged as it is.
    Genuine,
    /// The session is proven alive (or, for an identity with nothing of its own to read, was opened by a
    /// login made for this request) and the endpoint's refusals say a `401` means "not yours": the answer
    /// is a refusal (judged as one), not a signed-out caller.
    Refused,
    /// The session is not accepted even right after new logins: the answer proves nothing, and the probe
    /// is not judged from it.
    GiveUp,
}

/// What to do with an answer that says the caller is not signed in: `current` is whether the session it
/// was given to is still the identity's (no new login since), `liveness` what is known of that session,
/// `renewals` how many renewals this request already cost, `refuses` whether the endpoint's refusals let a
/// `401` mean "not yours" (`Refusals::unauthenticated_refuses`).
///
/// - the session was replaced: the request is sent again with the new one;
/// - alive: the answer is genuine, and a refusal where a `401` may mean "not yours";
/// - not yet checked: check;
/// - dead: a new login, up to [`MAX_RENEWALS`];
/// - uncheckable: a new login, up to [`UNCHECKABLE_RELOGINS`] times; then the answer given to a session
///   that was just opened, for a request already sent again that many times, is taken as the platform's (the login made for it is the only proof of
///   life such an identity has), and a refusal where a `401` may mean "not yours".
pub fn after_signed_out(
    current: bool,
    liveness: Liveness,
    renewals: usize,
    refuses: bool,
) -> Renewal {
    let spent = renewals >= MAX_RENEWALS;
    if !current {
        return if spent {
            Renewal::GiveUp
        } else {
            Renewal::Resend
        };
    }
    match liveness {
        Liveness::Alive if refuses => Renewal::Refused,
        Liveness::Alive => Renewal::Genuine,
        Liveness::Unchecked => Renewal::Check,
        Liveness::Dead if spent => Renewal::GiveUp,
        Liveness::Dead => Renewal::Relogin,
        Liveness::Uncheckable if renewals < UNCHECKABLE_RELOGINS => Renewal::Relogin,
        Liveness::Uncheckable if refuses => Renewal::Refused,
        Liveness::Uncheckable => Renewal::Genuine,
    }
}

/// The record whose read tells whether `identity`'s session is accepted: one the policy lets it see and
/// `readable` accepts (seeded, with an endpoint that reads it back, not set aside for probes that change
/// data), a case file first. `None`: the identity sees nothing of that sort.
pub fn liveness_record<'p>(
    population: &'p Population,
    policy: &AccessPolicy,
    identity: &Identity,
    readable: impl Fn(&Record) -> bool,
) -> Option<&'p Record> {
    let fits = |record: &&Record| {
        policy.may_see(population, identity, record).is_allowed() && readable(record)
    };
    let records = population.records();
    records
        .iter()
        .filter(|r| r.kind == RecordKind::Case)
        .find(fits)
        .or_else(|| {
            records
                .iter()
                .filter(|r| r.kind != RecordKind::Case)
                .find(fits)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Scope;

    #[test]
    fn what_is_done_with_an_answer_that_says_the_caller_is_not_signed_in() {
        use Liveness::*;
        use Renewal::*;
        // (the session is still the identity's, what is known of it, renewals spent) -> what is done, where a
        // 401 only means "signed out"
        let table = [
            // Another request renewed the session since this one was sent: this answer is an old session's.
            (false, Unchecked, 0, Resend),
            (false, Alive, 2, Resend),
            (false, Dead, MAX_RENEWALS, GiveUp),
            // The session's own read decides.
            (true, Unchecked, 0, Check),
            (true, Unchecked, 2, Check),
            (true, Alive, 0, Genuine),
            (true, Alive, MAX_RENEWALS, Genuine),
            (true, Dead, 0, Relogin),
            (true, Dead, MAX_RENEWALS - 1, Relogin),
            (true, Dead, MAX_RENEWALS, GiveUp),
            // Nothing to read: new logins (a fresh session may be revoked too), then the fresh session's
            // answer stands.
            (true, Uncheckable, 0, Relogin),
            (true, Uncheckable, UNCHECKABLE_RELOGINS - 1, Relogin),
            (true, Uncheckable, UNCHECKABLE_RELOGINS, Genuine),
        ];
        for (current, liveness, renewals, expected) in table {
            assert_eq!(
                after_signed_out(current, liveness, renewals, false),
                expected,
                "{current} {liveness:?} {renewals}"
            );
        }
    }

    #[test]
    fn a_401_is_a_refusal_only_from_a_session_proven_alive() {
        use Liveness::*;
        use Renewal::*;
        // Where a 401 may mean "not yours": (still the identity's, what is known, renewals) -> what is done
        let table = [
            // Proven alive by the identity's own read: the platform refused, whatever the renewals spent.
            (true, Alive, 0, Refused),
            (true, Alive, MAX_RENEWALS, Refused),
            // Not yet known: check first, never a refusal on trust.
            (true, Unchecked, 0, Check),
            // Dead: a new login and the request again, as anywhere; never a refusal.
            (true, Dead, 0, Relogin),
            (true, Dead, MAX_RENEWALS, GiveUp),
            (false, Unchecked, 0, Resend),
            (false, Alive, MAX_RENEWALS, GiveUp),
            // Nothing of its own to read: a new login first, never a refusal from the session the 401
            // came to; the answer to the session opened for this request then stands.
            (true, Uncheckable, 0, Relogin),
            (true, Uncheckable, UNCHECKABLE_RELOGINS - 1, Relogin),
            (true, Uncheckable, UNCHECKABLE_RELOGINS, Refused),
        ];
        for (current, liveness, renewals, expected) in table {
            assert_eq!(
                after_signed_out(current, liveness, renewals, true),
                expected,
                "{current} {liveness:?} {renewals}"
            );
        }
    }

    fn identity(key: &str, role: &str, person: Option<&str>) -> Identity {
        Identity {
            key: key.into(),
            role: role.into(),
            tenant: "75".into(),
            person: person.map(Into::into),
            represents: Default::default(),
            formerly_represents: Default::default(),
            assigned_cases: Default::default(),
        }
    }

    fn record(key: &str, kind: RecordKind, person: &str, case: &str) -> Record {
        Record {
            key: key.into(),
            kind,
            tenant: "75".into(),
            person: person.into(),
            case: case.into(),
        }
    }

    #[test]
    fn the_liveness_read_is_a_record_the_identity_may_see_a_case_file_first() {
        let alice = identity("alice", "applicant", Some("p1"));
        let bob = identity("bob", "applicant", Some("p2"));
        let clerk = identity("clerk", "clerk", None);
        let population = Population::new(
            vec![alice.clone(), bob.clone(), clerk.clone()],
            vec![
                record("d1", RecordKind::Document, "p1", "c1"),
                record("c2", RecordKind::Case, "p2", "c2"),
                record("c1", RecordKind::Case, "p1", "c1"),
                record("c3", RecordKind::Case, "p1", "c3"),
            ],
        )
        .expect("a population");
        let policy = AccessPolicy::new()
            .with_role("applicant", vec![Scope::Own])
            .with_role("clerk", vec![Scope::Nothing]);
        let key = |identity: &Identity, readable: &dyn Fn(&Record) -> bool| {
            liveness_record(&population, &policy, identity, readable).map(|r| r.key.clone())
        };
        let all = |_: &Record| true;
        assert_eq!(key(&alice, &all).as_deref(), Some("c1"));
        assert_eq!(key(&bob, &all).as_deref(), Some("c2"));
        // A case file set aside for writes (or not seeded) is skipped; then another kind.
        assert_eq!(key(&alice, &|r| r.key != "c1").as_deref(), Some("c3"));
        assert_eq!(
            key(&alice, &|r| r.kind == RecordKind::Document).as_deref(),
            Some("d1")
        );
        // Nothing to see: nothing tells whether the session lives.
        assert_eq!(key(&clerk, &all), None);
        assert_eq!(key(&bob, &|r| r.key != "c2"), None);
    }
}
