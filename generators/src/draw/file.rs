//! The papers of a case file: its documents (form, certificate, identity, assessments, notification...)
//! and the notes agents wrote on it.

use crate::date::{Calendar, Date};
use crate::model::{AgentFunction, DocumentKind, RepresentationKind};
use crate::plan::TenantPlan;
use crate::rng::Stream;
use crate::text;

use super::decision::Timeline;
use super::types::{CaseDraw, NoteDraw};

/// The documents of a case file, in the order they are drawn.
pub(super) fn documents(s: &mut Stream, d: &mut CaseDraw, child: bool, pps: bool) {
    d.push_doc(DocumentKind::RequestForm, d.form_date, 0, s);
    d.push_doc(DocumentKind::MedicalCertificate, d.certificate_date, 0, s);
    let f = d.filing;
    let before = |s: &mut Stream, n: u32| f.add_days(-(s.below(n) as i32));
    let dt = before(s, 30);
    d.push_doc(DocumentKind::IdentityDocument, dt, 0, s);
    let dt = before(s, 60);
    d.push_doc(DocumentKind::ProofOfAddress, dt, 0, s);
    if child {
        let dt = before(s, 30);
        d.push_doc(DocumentKind::FamilyRecordBook, dt, 0, s);
    }
    if let Some(rep) = d.reps[0]
        && rep.kind != RepresentationKind::Parent
    {
        d.push_doc(DocumentKind::CourtJudgment, rep.start.min(f), 0, s);
        let dt = before(s, 30);
        d.push_doc(DocumentKind::RepresentativeIdentity, dt, rep.slot, s);
    }
    for _ in 0..s.below(3) {
        let kind = *s.pick(&[
            DocumentKind::PsychologicalAssessment,
            DocumentKind::SpeechAssessment,
            DocumentKind::OccupationalAssessment,
            DocumentKind::HospitalReport,
        ]);
        let dt = before(s, 300);
        d.push_doc(kind, dt, 0, s);
    }
    if s.chance(0.06) {
        let kind = if s.chance(0.5) {
            DocumentKind::VisionAnnex
        } else {
            DocumentKind::HearingAnnex
        };
        d.push_doc(kind, d.certificate_date, 0, s);
    }
    if pps {
        let dt = before(s, 90);
        d.push_doc(DocumentKind::SchoolAssessment, dt, 0, s);
    }
    if let Some(n) = d.notification {
        d.push_doc(DocumentKind::DecisionNotification, n, d.contact, s);
    }
}

/// The agents' notes of a case file, sorted by date, between the filing and the last act.
pub(super) fn notes(
    s: &mut Stream,
    d: &mut CaseDraw,
    tp: &TenantPlan,
    t: &Timeline,
    reference: Date,
) {
    let f = d.filing;
    let last = d
        .notification
        .or(d.decision_date)
        .unwrap_or(reference)
        .min(reference);
    let n_notes = s.below(4) as usize;
    let sitting = t.decisive_sitting(d);
    for k in 0..n_notes {
        d.notes[k] = note(s, tp, &t.cal, f, last, sitting);
    }
    d.notes[..n_notes].sort_by_key(|n| n.date);
    d.n_notes = n_notes;
}

/// One note, dated between the filing `f` and `last`; `sitting` is the CDAPH sitting that decides the
/// case file, if it has sat.
fn note(
    s: &mut Stream,
    tp: &TenantPlan,
    cal: &Calendar,
    f: Date,
    last: Date,
    sitting: Option<Date>,
) -> NoteDraw {
    let span = (last.0 - f.0).max(0) as u32 + 1;
    let templates = text::NOTE_TEMPLATES.len();
    // Agents write on working days (the filing itself, online, may be on any day): a day off is drawn
    // again (at most three times, then moved to a working day).
    let mut raw = f.add_days(s.below(span) as i32);
    for _ in 0..3 {
        if cal.is_working(raw) {
            break;
        }
        raw = f.add_days(s.below(span) as i32);
    }
    let date = match cal.next_working(raw) {
        n if n <= last => n,
        _ => Some(cal.previous_working(raw))
            .filter(|p| *p >= f)
            .unwrap_or(raw),
    };
    let author = tp.agent_with(AgentFunction::ALL[s.below(3) as usize], s.u32());
    let mut template = s.below(templates as u32) as usize;
    let mut back = s.below(15) as i32;
    for _ in 0..3 {
        if cal.is_working(date.add_days(-back)) {
            break;
        }
        back = s.below(15) as i32;
    }
    // A past event (documents received, a letter sent) is dated at or before the note, not before the
    // filing; a commission to come is the sitting that decides the case file.
    let past = {
        let p = date.add_days(-back).max(f);
        Some(cal.previous_working(p))
            .filter(|w| *w >= f)
            .unwrap_or(p)
    };
    let mentioned = match text::NOTE_DATES[template] {
        text::NoteDate::Commission => match sitting.filter(|dec| *dec > date) {
            Some(dec) => dec,
            None => {
                template = (template + 1) % templates;
                past
            }
        },
        _ => past,
    };
    NoteDraw {
        template: template as u8,
        date,
        mentioned,
        author,
    }
}
