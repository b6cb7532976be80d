//! Writes: what the owner's read-back shows, and the verdict of a forbidden update or delete.

use super::{Evidence, Observed, Refusals, SoftDelete, Verdict};

/// What the owner's read-back of a record shows after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBack {
    /// The record reads as before the write.
    Unchanged,
    /// The write probe's marker is at the field the profile names.
    Marked,
    /// A platform whose deletes keep the record: the owner reads it back holding the declared "deleted"
    /// field (`soft`).
    SoftDeleted,
    /// A platform whose deletes keep the record: the owner reads it back without some of its values it
    /// read before the write (a delete that blanked the record).
    Emptied,
    /// The owner can no longer read it (refused or missing): deleted, or moved out of the owner's reach.
    Gone,
    /// The read-back itself failed (5xx, transport): nothing can be concluded.
    Unknown,
}

impl ReadBack {
    /// What a read-back shows: `read` is its answer (`None` when it could not be sent), `refusals` how the
    /// read-back endpoint refuses, `marker` the write's marker and the field (JSON pointer) it would be at,
    /// `kept` what a delete leaves on a platform whose deletes keep the record (`None` elsewhere).
    ///
    /// - a success: the marker at its field; a declared refusal body, gone; else, where deletes keep the record, the "deleted" field set
    ///   (soft-deleted) or some of the record's values lost (emptied); else unchanged;
    /// - a refusal that is not a lost session, a 404 or a 410: gone from the owner's reach;
    /// - anything else (a server error, a lost session, no answer): unknown.
    pub fn classify(
        read: Option<&Observed>,
        refusals: &Refusals,
        marker: Option<(&str, &str)>,
        kept: Option<Kept<'_>>,
    ) -> ReadBack {
        let Some(back) = read else {
            return ReadBack::Unknown;
        };
        if back.is_success() {
            // A read-back cut at the size limit is not parsed (its JSON is incomplete).
            if let Some((pointer, marker)) = marker
                && !back.truncated
                && marker_at(&back.body, pointer, marker)
            {
                return ReadBack::Marked;
            }
            // A success whose body the profile declares a refusal: the owner is refused its record.
            if refusals.is_body_refusal(back) {
                return ReadBack::Gone;
            }
            if let Some(kept) = kept {
                if kept.soft.shows_deleted(back) {
                    return ReadBack::SoftDeleted;
                }
                if kept.lost > 0 && !back.truncated {
                    return ReadBack::Emptied;
                }
            }
            return ReadBack::Unchanged;
        }
        if refusals.is_refusal(back) && !refusals.is_unauthenticated(back)
            || matches!(back.status, 404 | 410)
        {
            return ReadBack::Gone;
        }
        ReadBack::Unknown
    }
}

/// What is known of a record a delete may have kept (a platform whose deletes keep the record readable by
/// its owner, with a field that says it is deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept<'a> {
    /// The declared "deleted" field.
    pub soft: &'a SoftDelete,
    /// How many of the record's own values (canaries) the owner read before the write and no longer reads.
    pub lost: usize,
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
/// - the marker at the named field, the record gone from its owner's reach, or (where deletes keep the
///   record) marked deleted or emptied of its values: proven tampering, whatever the write's status;
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
        ReadBack::SoftDeleted => {
            return Verdict::Tampering(format!(
                "the owner reads the record back marked deleted after the {what} (answered {})",
                write.status
            ));
        }
        ReadBack::Emptied => {
            return Verdict::Tampering(format!(
                "the owner reads the record back without some of its values after the {what} (answered {})",
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

/// Judge a child record created under a case file the caller may not write, by the create's answer and the
/// owner's list of the case's children afterwards (`read_back`, classified with the create's marker; `kind`
/// names the child records).
///
/// - the marker in the owner's list: proven tampering, whatever the create's status;
/// - foreign data in the create's answer: a proven leak;
/// - a refusal: passes;
/// - the owner's list unreadable afterwards (refused, failed): nothing can be concluded (a warning);
/// - a server error, no marker: a warning; another client error: rejected, passes;
/// - a success without the marker in the owner's list: suspicious (the record may have been filed
///   elsewhere, or be listed where the owner's list does not show it).
pub fn judge_create(
    evidence: &Evidence,
    refusals: &Refusals,
    create: &Observed,
    read_back: ReadBack,
    kind: &str,
) -> Verdict {
    if read_back == ReadBack::Marked {
        return Verdict::Tampering(format!(
            "the owner's list of the case file's {kind}s shows the create's marker (the create answered {})",
            create.status
        ));
    }
    if !evidence.proof.is_empty() {
        return Verdict::Leak(evidence.proof.clone());
    }
    if refusals.is_unauthenticated(create) && !refusals.is_refusal(create) {
        return Verdict::Unauthenticated;
    }
    if refusals.is_refusal(create) {
        return Verdict::Pass;
    }
    if !matches!(read_back, ReadBack::Unchanged) {
        return Verdict::ServerError(format!(
            "the create answered {} and the owner's list of the case file's {kind}s could not be read afterwards: nothing can be concluded",
            create.status
        ));
    }
    if create.is_server_error() {
        return Verdict::RefusedWithError(format!(
            "the create answered {} and the owner's list of the case file's {kind}s shows no marker",
            create.status
        ));
    }
    if (400..500).contains(&create.status) {
        return Verdict::Pass;
    }
    Verdict::Suspicious(format!(
        "{} to a create under a case file it may not write, but the owner's list of the case file's {kind}s shows no marker",
        create.status
    ))
}
