//! The rules of probes that change data: a forbidden write (update or delete) judged by the owner's
//! read-back and the writer's view afterwards, and a mass assignment (the owner's own update carrying a
//! field that names someone else) judged by the owner's read-back and the named reader's view.

use super::judge::{leak_sentence, who};
use super::observations::{Change, Judgement, Need, Observations};
use super::{Kept, ReadBack, Verdict, judge_create, judge_forbidden, judge_write};
use crate::probes::{Named, Probe};

/// The verdict of a write by its answer and the owner's read-back, before the writer's view.
fn write_verdict(seen: &Observations, change: &Change) -> Verdict {
    let kept = change.soft.map(|soft| Kept {
        soft,
        lost: change.lost,
    });
    let back = ReadBack::classify(
        change.read_back,
        change.read_back_refusals,
        change.marker,
        kept,
    );
    let answer = seen.answer;
    judge_write(
        answer.evidence,
        seen.refusals,
        answer.observed,
        back,
        change.op.name(),
    )
}

/// Whether the writer's view afterwards may still decide: it saw nothing before, and the write is not
/// already proven.
fn writer_view_decides(change: &Change, verdict: &Verdict) -> bool {
    !change.writer_saw_before && !matches!(verdict, Verdict::Tampering(_) | Verdict::Leak(_))
}

/// A write needs the writer's view afterwards when it may still decide.
pub(super) fn write_need(seen: &Observations) -> Option<Need> {
    let change = seen.change.as_ref()?;
    let wants =
        change.writer_view.is_none() && writer_view_decides(change, &write_verdict(seen, change));
    wants.then_some(Need::WriterView)
}

/// Judge a forbidden write (see [`judge_write`]); and, whatever the write answered, a writer who could not
/// see the record before and reads it afterwards has been shown it by the write (re-parented, or shared
/// with the writer): a leak.
pub(super) fn judge_write_probe(probe: &Probe, seen: &Observations) -> Judgement {
    let actor_key = probe.actor.as_deref().unwrap_or_default();
    let who = who(seen.actor, actor_key);
    let answer = seen.answer;
    let Some(change) = &seen.change else {
        // Nothing followed the write: only its answer can be judged.
        let verdict = judge_forbidden(answer.evidence, seen.refusals, answer.observed);
        return Judgement::shown(verdict, String::new());
    };
    let verdict = write_verdict(seen, change);
    let owner = change.owner;
    let kind = seen.record.map_or(probe.cell.kind, |r| r.kind);
    let status = answer.observed.status;
    if writer_view_decides(change, &verdict)
        && let Some(view) = change.writer_view
        && !view.evidence.proof.is_empty()
    {
        let explanation = format!(
            "after a forbidden {} of {owner}'s {kind} (answered {status}), {who} reads it: {}",
            change.op.name(),
            leak_sentence(&who, &view.evidence.proof, view.observed.status)
        );
        return Judgement::shown(Verdict::Leak(view.evidence.proof.clone()), explanation);
    }
    let explanation = match &verdict {
        Verdict::Tampering(reason) => format!("{who} may not touch {owner}'s {kind}, yet {reason}"),
        Verdict::Leak(hits) => leak_sentence(&who, hits, status),
        Verdict::Suspicious(reason)
        | Verdict::ServerError(reason)
        | Verdict::RefusedWithError(reason) => format!("{who}: {reason}"),
        _ => String::new(),
    };
    Judgement::shown(verdict, explanation)
}

/// An assignment needs the named reader's view unless the record already left its owner's reach.
pub(super) fn assignment_need(seen: &Observations) -> Option<Need> {
    let change = seen.change.as_ref()?;
    let wants = change.named_reader.is_some()
        && change.named_reader_view.is_none()
        && assignment_read_back(change) != ReadBack::Gone;
    wants.then_some(Need::NamedReaderView)
}

/// The owner's read-back after an assignment (no marker: the assignment's own field is not looked for).
fn assignment_read_back(change: &Change) -> ReadBack {
    ReadBack::classify(change.read_back, change.read_back_refusals, None, None)
}

/// Judge a mass assignment: the record gone from its owner's reach is tampering; the named reader reading
/// it afterwards is a leak; anything else passes.
pub(super) fn judge_assignment(
    probe: &Probe,
    seen: &Observations,
    field: &str,
    named: &Named,
) -> Judgement {
    let Some(change) = &seen.change else {
        return Judgement::shown(Verdict::Pass, String::new());
    };
    let who = probe.actor.as_deref().unwrap_or_default();
    let described = match named {
        Named::Identity(key) => format!("identity {key}"),
        Named::Tenant(code) => format!("tenant {code}"),
    };
    let status = seen.answer.observed.status;
    if assignment_read_back(change) == ReadBack::Gone {
        let explanation = format!(
            "{who} updated its own record with `{field}` naming {described} (answered {status}): the record left its owner's reach"
        );
        return Judgement::shown(Verdict::Tampering(explanation.clone()), explanation);
    }
    if let (Some(reader), Some(view)) = (change.named_reader, change.named_reader_view)
        && !view.evidence.proof.is_empty()
    {
        let explanation = format!(
            "{who} updated its own record with `{field}` naming {described} (answered {status}); {reader} now reads it: {} canaries of {who}'s data",
            view.evidence.proof.len()
        );
        return Judgement::shown(Verdict::Leak(view.evidence.proof.clone()), explanation);
    }
    Judgement::shown(Verdict::Pass, String::new())
}

/// Judge a child record created under a case file the caller may not write (see [`judge_create`]): the
/// create's marker in the owner's list of the case's children afterwards is proven tampering.
pub(super) fn judge_foreign_create(probe: &Probe, seen: &Observations) -> Judgement {
    let actor_key = probe.actor.as_deref().unwrap_or_default();
    let who = who(seen.actor, actor_key);
    let answer = seen.answer;
    let Some(change) = &seen.change else {
        let verdict = judge_forbidden(answer.evidence, seen.refusals, answer.observed);
        return Judgement::shown(verdict, String::new());
    };
    let back = ReadBack::classify(
        change.read_back,
        change.read_back_refusals,
        change.marker,
        None,
    );
    // The record is the parent case file; the cell names the kind created under it.
    let kind = probe.cell.kind;
    let status = answer.observed.status;
    let verdict = judge_create(
        answer.evidence,
        seen.refusals,
        answer.observed,
        back,
        kind.name(),
    );
    let owner = change.owner;
    let explanation = match &verdict {
        Verdict::Tampering(reason) => {
            format!("{who} may not write under {owner}'s case file, yet {reason}")
        }
        Verdict::Leak(hits) => leak_sentence(&who, hits, status),
        Verdict::Suspicious(reason)
        | Verdict::ServerError(reason)
        | Verdict::RefusedWithError(reason) => format!("{who}: {reason}"),
        _ => String::new(),
    };
    Judgement::shown(verdict, explanation)
}
