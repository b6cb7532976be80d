//! The audit-trail family's decisions: the platform's trail reconciled with what the run did.
//!
//! The run knows every request it sent, who sent it, which record it touched and what came back
//! ([`Access`]); the harness reads the platform's trail and hands its entries over as [`Entry`]s (the
//! values at the profile's JSON pointers, nothing parsed back from text). [`reconcile`] decides, per
//! access, whether the trail holds an entry naming its actor and its record within a time window:
//!
//! - a record another identity than its owner read and was served (agents' allowed reads,
//!   representatives' reads, and every proven leak), and every create, update and delete that was served,
//!   must have one: a missing entry is an [`Gap::Unlogged`] (a proven finding: cloison sent the request
//!   and was served, and the trail, read whole, does not name it);
//! - a refused attempt on another identity's record should appear as a denied event: a missing one is a
//!   [`Gap::DeniedUnlogged`], a recommendation (platforms differ in what they log of refusals).
//!
//! [`HEALTH_KINDS`] are the canary kinds the trail may not hold: each found in it is a proven finding
//! (*health data in logs*), whoever reads the trail. What it cannot conclude: an entry is matched by actor,
//! record and time, not by the platform's meaning of its action (unless the profile lists the actions of
//! each operation), and a platform that logs elsewhere than what the profile reads is not seen.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::generators::canary::CanaryKind;
use crate::population::RecordKind;
use crate::probes::Relation;

/// The canary kinds a trail may not hold: identifiers of the person (NIR), bank details, and the texts of
/// the processing's special-category content (decisions, notes, document names).
pub const HEALTH_KINDS: [CanaryKind; 5] = [
    CanaryKind::Nir,
    CanaryKind::Iban,
    CanaryKind::DecisionText,
    CanaryKind::NoteText,
    CanaryKind::DocumentFileName,
];

/// Whether a canary of this kind in the trail is special-category content.
pub fn is_health_data(kind: CanaryKind) -> bool {
    HEALTH_KINDS.contains(&kind)
}

/// What a request did to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// A read or a download.
    Read,
    /// A create.
    Create,
    /// An update.
    Update,
    /// A delete.
    Delete,
}

impl Operation {
    /// Every operation, in a fixed order.
    pub const ALL: [Operation; 4] = [
        Operation::Read,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
    ];

    /// Its name in profiles and reports.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// One request of the run on a record, as the run knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    /// The identity that sent it (its key).
    pub actor: String,
    /// The names the platform may give the actor in its trail (its login, its identifier).
    pub actor_names: Vec<String>,
    /// The record (its key in the world).
    pub record: String,
    /// The record's identifiers on the platform.
    pub record_ids: Vec<String>,
    /// Its kind.
    pub kind: RecordKind,
    /// What the request did.
    pub operation: Operation,
    /// How the actor relates to the record.
    pub relation: Relation,
    /// Whether the platform refused it (else it was served).
    pub refused: bool,
    /// When the request was sent and its answer came, in seconds since the Unix epoch.
    pub span: (f64, f64),
}

impl Access {
    /// Whether the trail must name it: a served read of another's record, or a served change.
    pub fn must_be_logged(&self) -> bool {
        !self.refused && (self.operation != Operation::Read || self.relation != Relation::Own)
    }

    /// Whether it should appear as a denied event: a refused attempt on another's record.
    pub fn should_be_denied(&self) -> bool {
        self.refused && !matches!(self.relation, Relation::Own | Relation::Collection)
    }
}

/// One entry of the trail: the values at the profile's pointers (a number or a string, as text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// Who acted.
    pub actor: Option<String>,
    /// What was done.
    pub action: Option<String>,
    /// On which record.
    pub record: Option<String>,
    /// When, in seconds since the Unix epoch (see [`parse_time`]).
    pub time: Option<f64>,
    /// How it ended.
    pub outcome: Option<String>,
}

/// How entries are matched (the profile's `[audit]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Seconds an entry's time may lie before the request or after its answer.
    pub window: f64,
    /// Outcome or action values that mean a denied or security event (compared without case).
    pub denied: Vec<String>,
    /// Per operation, the action values that name it; an operation not listed matches any action.
    pub actions: BTreeMap<Operation, Vec<String>>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            window: 120.0,
            denied: ["denied", "refused", "forbidden", "failure", "unauthorized"]
                .map(String::from)
                .to_vec(),
            actions: BTreeMap::new(),
        }
    }
}

impl Rules {
    fn is_denied(&self, entry: &Entry) -> bool {
        [&entry.outcome, &entry.action].into_iter().any(|value| {
            value
                .as_deref()
                .is_some_and(|v| self.denied.iter().any(|d| d.eq_ignore_ascii_case(v)))
        })
    }

    fn in_window(&self, access: &Access, entry: &Entry) -> bool {
        entry
            .time
            .is_none_or(|t| t >= access.span.0 - self.window && t <= access.span.1 + self.window)
    }

    fn names_actor(access: &Access, entry: &Entry) -> bool {
        entry
            .actor
            .as_deref()
            .is_some_and(|a| access.actor_names.iter().any(|n| n == a))
    }

    /// Whether `entry` logs the served `access`.
    pub fn logs(&self, access: &Access, entry: &Entry) -> bool {
        Self::names_actor(access, entry)
            && entry
                .record
                .as_deref()
                .is_some_and(|r| access.record_ids.iter().any(|id| id == r))
            && self.in_window(access, entry)
            && !self.is_denied(entry)
            && self.actions.get(&access.operation).is_none_or(|actions| {
                entry
                    .action
                    .as_deref()
                    .is_some_and(|a| actions.iter().any(|x| x.eq_ignore_ascii_case(a)))
            })
    }

    /// Whether `entry` is the denied event of the refused `access` (the record, when the entry names
    /// one, must be the access's).
    pub fn denies(&self, access: &Access, entry: &Entry) -> bool {
        Self::names_actor(access, entry)
            && self.is_denied(entry)
            && self.in_window(access, entry)
            && entry
                .record
                .as_deref()
                .is_none_or(|r| access.record_ids.iter().any(|id| id == r))
    }
}

/// An access the trail does not show as it should.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// A served access with no entry naming its actor and record (proven).
    Unlogged(usize),
    /// A refused attempt with no denied event (a recommendation).
    DeniedUnlogged(usize),
}

/// The share of accesses logged, for one record kind, operation and answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    /// Record kind.
    pub kind: RecordKind,
    /// Operation.
    pub operation: Operation,
    /// Whether these were refused attempts (then logged means a denied event).
    pub refused: bool,
    /// Accesses that should be in the trail.
    pub accesses: usize,
    /// Those it holds.
    pub logged: usize,
}

/// What the reconciliation found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reconciliation {
    /// Per record kind, operation and answer, the share logged (in that order).
    pub shares: Vec<Share>,
    /// The accesses not shown as they should be, in the order of the accesses.
    pub gaps: Vec<Gap>,
}

/// Reconcile the run's accesses with the trail's entries.
pub fn reconcile(accesses: &[Access], entries: &[Entry], rules: &Rules) -> Reconciliation {
    let mut shares: BTreeMap<(RecordKind, Operation, bool), (usize, usize)> = BTreeMap::new();
    let mut gaps = Vec::new();
    for (i, access) in accesses.iter().enumerate() {
        let (logged, gap) = if access.must_be_logged() {
            (
                entries.iter().any(|e| rules.logs(access, e)),
                Gap::Unlogged(i),
            )
        } else if access.should_be_denied() {
            (
                entries.iter().any(|e| rules.denies(access, e)),
                Gap::DeniedUnlogged(i),
            )
        } else {
            continue;
        };
        let share = shares
            .entry((access.kind, access.operation, access.refused))
            .or_default();
        share.0 += 1;
        if logged {
            share.1 += 1;
        } else {
            gaps.push(gap);
        }
    }
    Reconciliation {
        shares: shares
            .into_iter()
            .map(|((kind, operation, refused), (accesses, logged))| Share {
                kind,
                operation,
                refused,
                accesses,
                logged,
            })
            .collect(),
        gaps,
    }
}

/// A time in a trail: a number of seconds (or milliseconds, past the year 5138 in seconds) since the Unix
/// epoch, or an RFC 3339 text (`2026-12-07T15:12:24Z`, fractions and offsets allowed).
pub fn parse_time(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => {
            let n = n.as_f64()?;
            Some(if n > 1e11 { n / 1000.0 } else { n })
        }
        serde_json::Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .map(|n| if n > 1e11 { n / 1000.0 } else { n })
            .or_else(|| rfc3339(s.trim())),
        _ => None,
    }
}

fn rfc3339(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &s[19..];
    let mut fraction = 0.0;
    if let Some(after) = rest.strip_prefix('.') {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        fraction = format!("0.{}", &after[..digits]).parse().ok()?;
        rest = &after[digits..];
    }
    let offset = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let h = rest.get(1..3)?.parse::<i64>().ok()?;
            let m = rest.get(4..6)?.parse::<i64>().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(secs as f64 + fraction)
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
