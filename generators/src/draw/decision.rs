//! The decision side of a case file: the evaluation (incapacity band and the AAH outcome), the timeline
//! (admissibility, evaluation, CDAPH sitting, decision and notification), the requested rights with their
//! outcomes and validity, and the appeal.

use crate::config::Weights;
use crate::date::{Calendar, Date};
use crate::geo::geo;
use crate::model::{
    AgentFunction, AppealOutcome, CaseStatus, IncapacityBand, Outcome, RepresentationKind, Right,
};
use crate::plan::TenantPlan;
use crate::rng::Stream;
use crate::text;

use super::types::{AppealDraw, CaseDraw, RepDraw, RightDraw};
use super::{Basis, Drawer};

/// The outcome of an AAH request drawn with the evaluation: outcome and refusal reason.
pub(super) type AahOutcome = Option<(Outcome, Option<&'static str>)>;

/// How a case file is instructed, as the later steps need it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeline {
    /// Declared irrecevable at admissibility.
    irrecevable: bool,
    /// Rejected implicitly (no decision within four months).
    pub(super) implicit: bool,
    /// The tenant's working days.
    pub(super) cal: Calendar,
    /// The date of the decision (reached or not at the reference date).
    decision_date: Date,
    /// The outcome of every right, when the case file is not decided right by right.
    outcome_all: Option<Outcome>,
}

impl Timeline {
    /// The CDAPH sitting that decides the case file, if it has sat.
    pub(super) fn decisive_sitting(&self, d: &CaseDraw) -> Option<Date> {
        d.decision_date
            .filter(|_| !self.implicit && !self.irrecevable)
    }
}

/// Evaluation band and the AAH outcome, drawn together (AAH rates are configured weights); then whether
/// an improvement is expected and the PCH age exception.
pub(super) fn evaluation(s: &mut Stream, d: &mut CaseDraw, w: &Weights, b: &Basis) -> AahOutcome {
    let mut aah_outcome = None;
    if b.has(Right::Aah) {
        let approve = s.chance(if b.first {
            w.aah_approval_first
        } else {
            w.aah_approval_renewal
        });
        if approve {
            if s.chance(w.aah_granted_80_plus) {
                d.band = IncapacityBand::AtLeast80;
                d.work_restriction = s.chance(0.5);
            } else {
                d.band = IncapacityBand::From50To79;
                d.work_restriction = true;
            }
            aah_outcome = Some((Outcome::Accord, None));
        } else {
            let r = s.unit();
            if r < w.aah_refusal_under_50 {
                d.band = IncapacityBand::Under50;
                d.work_restriction = false;
                aah_outcome = Some((Outcome::Refus, Some(text::REASON_UNDER_50)));
            } else if r < w.aah_refusal_under_50 + w.aah_refusal_50_79_no_restriction {
                d.band = IncapacityBand::From50To79;
                d.work_restriction = false;
                aah_outcome = Some((Outcome::Refus, Some(text::REASON_NO_RESTRICTION)));
            } else {
                d.band = IncapacityBand::From50To79;
                d.work_restriction = true;
                aah_outcome = Some((Outcome::Refus, Some(text::REASON_ADMINISTRATIVE)));
            }
        }
    } else {
        d.band = match s.below(20) {
            0..=4 => IncapacityBand::Under50,
            5..=12 => IncapacityBand::From50To79,
            _ => IncapacityBand::AtLeast80,
        };
        d.work_restriction = d.band == IncapacityBand::From50To79 && !b.child && s.chance(0.5);
    }
    d.improvement_expected = d.band != IncapacityBand::AtLeast80 || s.chance(0.6);
    d.pch_exception = b.has(Right::Pch) && b.first && b.age >= 60;
    aah_outcome
}

impl Drawer {
    /// Case kind and timeline: form, certificate and doctor, then the statuses up to the decision and its
    /// notification, as far as the reference date.
    pub(super) fn timeline(
        &self,
        s: &mut Stream,
        d: &mut CaseDraw,
        tp: &TenantPlan,
        b: &Basis,
    ) -> Timeline {
        let w = &self.config.weights;
        let reference = b.reference;
        let no_aah = !b.has(Right::Aah);
        let irrecevable = no_aah && s.chance(w.irrecevable_share);
        let implicit = no_aah && !irrecevable && s.chance(w.implicit_rejection_share);
        d.form_date = d.filing.add_days(-(s.below(21) as i32));
        d.certificate_date = d.filing.add_days(-(s.below(330) as i32));
        d.doctor = (
            s.below(text::staff_first_names().len() as u32) as u16,
            s.below(text::doctor_surnames().len() as u32) as u16,
        );
        let mean = f64::from(tp.mean_days) * if b.child { 4.3 / 4.4 } else { 4.5 / 4.4 };
        let proc_days = ((mean * (0.6 + 0.8 * s.unit())) as i32).clamp(30, 300);
        // Agents' acts and CDAPH sittings fall on working days of the tenant (no weekend, no public
        // holiday); the implicit rejection is a legal date and falls on any day.
        let cal = Calendar::of(geo().departements[tp.dept].code);
        let admissibility = cal.add_working(d.filing, s.between(2, 21) as u32);
        d.push_status(CaseStatus::Deposee, d.filing, reference);
        let mut outcome_all = None;
        let decision_date;
        if irrecevable {
            d.push_status(CaseStatus::Irrecevable, admissibility, reference);
            decision_date = admissibility;
            outcome_all = Some(Outcome::Irrecevable);
        } else {
            if admissibility <= reference {
                d.admissibility = Some(admissibility);
            }
            d.push_status(CaseStatus::Recevable, admissibility, reference);
            let eval_start = admissibility.add_days(s.between(1, 7));
            d.push_status(CaseStatus::EnEvaluation, eval_start, reference);
            if implicit {
                decision_date = d.filing.add_months(4);
                outcome_all = Some(Outcome::RejetImplicite);
            } else {
                decision_date = self.sitting(s, d, tp, &cal, eval_start, proc_days, reference);
            }
        }
        let notification = if implicit {
            None
        } else {
            Some(cal.add_working(decision_date, s.between(2, 8) as u32))
        };
        if decision_date <= reference {
            d.decision_date = Some(decision_date);
            if !irrecevable {
                d.push_status(CaseStatus::Decision, decision_date, reference);
            }
            if let Some(n) = notification.filter(|n| *n <= reference) {
                d.notification = Some(n);
                d.push_status(CaseStatus::Notifiee, n, reference);
            }
        }
        Timeline {
            irrecevable,
            implicit,
            cal,
            decision_date,
            outcome_all,
        }
    }

    /// The CDAPH sitting that decides an evaluated case file (each MDPH's CDAPH sits on one weekday, its
    /// own, from the seed), with the evaluation and the proposition before it.
    #[allow(clippy::too_many_arguments)]
    fn sitting(
        &self,
        s: &mut Stream,
        d: &mut CaseDraw,
        tp: &TenantPlan,
        cal: &Calendar,
        eval_start: Date,
        proc_days: i32,
        reference: Date,
    ) -> Date {
        let sitting_day = (crate::ident::mix(self.config.seed ^ tp.dept as u64) % 5) as i32;
        let earliest = d.filing.add_days(proc_days).max(eval_start.add_days(25));
        let to_sitting = (sitting_day - earliest.weekday() as i32).rem_euclid(7);
        let dec = cal.next_working(earliest.add_days(to_sitting));
        let eval_date = eval_start.add_days((dec.0 - eval_start.0) / 3);
        let proposition = dec
            .add_days(-(15 + s.below(8) as i32))
            .max(eval_date.add_days(1));
        let evaluator = tp.agent_with(AgentFunction::Evaluation, s.u32());
        if eval_date <= reference {
            d.evaluation = Some((eval_date, evaluator));
        }
        d.push_status(CaseStatus::Proposition, proposition, reference);
        dec
    }

    /// The requested rights and their decisions.
    pub(super) fn rights(
        &self,
        s: &mut Stream,
        d: &mut CaseDraw,
        b: &Basis,
        aah_outcome: AahOutcome,
        t: &Timeline,
    ) {
        d.n_rights = 0;
        let twentieth = d.persons[0].birth.add_years(20).add_days(-1);
        let addressees = addressees(d.reps[0], t.decision_date);
        for r in Right::ALL.iter().copied().filter(|r| b.has(*r)) {
            let detail = self.detail(s, r, b.child, d.band);
            let (outcome, reason) = match (t.outcome_all, r) {
                (Some(o), _) => (o, None),
                (None, Right::Aah) => {
                    aah_outcome.unwrap_or((Outcome::Refus, Some(text::REASON_CRITERIA)))
                }
                (None, _) => other_outcome(s, r, d.band, detail),
            };
            let (mut start, mut end, mut no_limit) = (None, None, false);
            if outcome == Outcome::Accord {
                let st = t.decision_date;
                let (months, unlimited) = validity(s, r, d.band, d.improvement_expected, detail);
                start = Some(st);
                if unlimited {
                    no_limit = true;
                } else {
                    let mut e = st.add_months(months).add_days(-1);
                    if r == Right::Aeeh
                        && (e > twentieth
                            || (d.band == IncapacityBand::AtLeast80 && !d.improvement_expected))
                    {
                        e = twentieth;
                    }
                    end = Some(e);
                }
            }
            let partner = match (r, outcome == Outcome::Accord) {
                (Right::Aah | Right::Aeeh, true) => 1,
                (Right::Pch, true) => 2,
                (Right::Pps, true) => 3,
                _ => 0,
            };
            let notified_to = if t.implicit {
                ""
            } else {
                NOTIFIED[addressees][partner]
            };
            d.rights[d.n_rights] = RightDraw {
                right: r,
                detail,
                outcome,
                start,
                end,
                no_time_limit: no_limit,
                reason,
                notified_to,
            };
            d.n_rights += 1;
        }
    }

    fn detail(&self, s: &mut Stream, r: Right, child: bool, band: IncapacityBand) -> &'static str {
        match r {
            Right::Aah => "AAH",
            Right::Avpf => "AVPF",
            Right::Aeeh => text::AEEH_DETAILS[s.below(text::AEEH_DETAILS.len() as u32) as usize],
            Right::Pch => text::PCH_ELEMENTS[s.below(text::PCH_ELEMENTS.len() as u32) as usize],
            Right::Cmi => match band {
                IncapacityBand::AtLeast80 if s.chance(0.9) => text::CMI_INVALIDITE,
                IncapacityBand::AtLeast80 => text::CMI_STATIONNEMENT,
                _ if s.chance(0.6) => text::CMI_PRIORITE,
                _ => text::CMI_STATIONNEMENT,
            },
            Right::Rqth => text::RQTH_DETAILS[s.below(text::RQTH_DETAILS.len() as u32) as usize],
            Right::Esms if child => {
                text::ESMS_CHILD[s.below(text::ESMS_CHILD.len() as u32) as usize]
            }
            Right::Esms => text::ESMS_ADULT[s.below(text::ESMS_ADULT.len() as u32) as usize],
            Right::Pps => text::PPS_DETAILS[s.below(text::PPS_DETAILS.len() as u32) as usize],
        }
    }
}

/// The appeal (RAPO within two months of notification) of the first refused right, if any.
pub(super) fn appeal(s: &mut Stream, d: &mut CaseDraw, w: &Weights, reference: Date) {
    if let Some(n) = d.notification
        && let Some(i) = d.rights().iter().position(|r| r.outcome == Outcome::Refus)
        && s.chance(w.appeal_share)
    {
        let filed = n.add_days(s.between(1, 59)).min(n.add_months(2));
        if filed <= reference {
            let (outcome, outcome_date) = if filed.add_months(2) <= reference {
                match s.below(20) {
                    0..=10 => (
                        AppealOutcome::Maintained,
                        Some(filed.add_days(s.between(20, 59))),
                    ),
                    11..=15 => (
                        AppealOutcome::Reformed,
                        Some(filed.add_days(s.between(20, 59))),
                    ),
                    _ => (AppealOutcome::ImplicitRejection, Some(filed.add_months(2))),
                }
            } else {
                (AppealOutcome::Pending, None)
            };
            d.appeal = Some(AppealDraw {
                right: i as u8,
                filed,
                outcome,
                outcome_date,
            });
        }
    }
}

/// Who a decision is notified to, by addressees ([`addressees`]) and partner (none, the CAF for AAH and
/// AEEH, the departement council for PCH, the school authority for a schooling plan; partners only for a
/// granted right).
pub const NOTIFIED: [[&str; 4]; 3] = [
    [
        "usager",
        "usager|caf",
        "usager|departement",
        "usager|education_nationale",
    ],
    [
        "representant",
        "representant|caf",
        "representant|departement",
        "representant|education_nationale",
    ],
    [
        "usager|representant",
        "usager|representant|caf",
        "usager|representant|departement",
        "usager|representant|education_nationale",
    ],
];

/// Who receives a decision taken on `date` (a row of [`NOTIFIED`]), by the representation in force that
/// day: nobody (an adult acting alone, including a child of 18 or more whose parents' authority has ended,
/// or a person whose measure was lifted) -> the person (0); the parents of a minor, a tutor or a family
/// member empowered to represent -> the representative, who acts for the person (1); a curator, who
/// assists a person acting themselves -> the person and the curator (2; civil code art. 467: what is
/// notified to a person under curatelle must also be notified to the curator).
pub fn addressees(rep: Option<RepDraw>, date: Date) -> usize {
    match rep.filter(|r| r.start <= date && r.end.is_none_or(|e| e > date)) {
        None => 0,
        Some(r) if r.kind == RepresentationKind::Curateur => 2,
        Some(_) => 1,
    }
}

/// Outcome of a right other than AAH, given the evaluation.
fn other_outcome(
    s: &mut Stream,
    r: Right,
    band: IncapacityBand,
    detail: &str,
) -> (Outcome, Option<&'static str>) {
    use IncapacityBand::*;
    let p = match (r, band) {
        (Right::Aeeh, AtLeast80) => 1.0,
        (Right::Aeeh, From50To79) => 0.75,
        (Right::Aeeh, Under50) => 0.0,
        (Right::Cmi, AtLeast80) => 1.0,
        (Right::Cmi, From50To79) => 0.7,
        (Right::Cmi, Under50) => 0.1,
        (Right::Pch, Under50) => 0.25,
        (Right::Pch, _) => 0.6,
        (Right::Avpf, AtLeast80) => 0.8,
        (Right::Avpf, _) => 0.0,
        (Right::Rqth, _) => 0.9,
        _ => 0.85,
    };
    // CMI invalidite is only ever granted at 80 % and over.
    let p = if r == Right::Cmi && detail == text::CMI_INVALIDITE && band != AtLeast80 {
        0.0
    } else {
        p
    };
    if s.chance(p) {
        (Outcome::Accord, None)
    } else if band == Under50 {
        (Outcome::Refus, Some(text::REASON_UNDER_50))
    } else {
        (Outcome::Refus, Some(text::REASON_CRITERIA))
    }
}

/// Legal maximum validity of a granted right, in months. AEEH is further capped at the 20th birthday, and
/// granted until the 20th birthday (beyond 60 months) at 80 % and over with no expected improvement.
pub fn legal_max_months(r: Right, band: IncapacityBand) -> u32 {
    match (r, band) {
        (Right::Aah, IncapacityBand::AtLeast80) => 120,
        (Right::Aah, _) => 24,
        (Right::Aeeh, _) => 60,
        (Right::Pch, _) => 120,
        (Right::Cmi, _) => 240,
        (Right::Rqth, _) => 120,
        (Right::Esms | Right::Pps | Right::Avpf, _) => 60,
    }
}

/// Months of validity of a granted right, or no time limit.
fn validity(
    s: &mut Stream,
    r: Right,
    band: IncapacityBand,
    improvement: bool,
    detail: &str,
) -> (i32, bool) {
    let permanent_ok = band == IncapacityBand::AtLeast80 && !improvement;
    let choices: &[i32] = match (r, band) {
        (Right::Aah, IncapacityBand::AtLeast80) => &[60, 120],
        (Right::Aah, _) => &[12, 24],
        (Right::Aeeh, _) => &[24, 36, 48, 60],
        (Right::Pch, _) => &[36, 60, 120],
        (Right::Cmi, _) => &[60, 120, 240],
        (Right::Rqth, _) => &[36, 60, 120],
        (Right::Esms, _) => &[12, 24, 36, 60],
        (Right::Pps, _) => &[12, 24, 36],
        (Right::Avpf, _) => &[24, 36, 60],
    };
    let unlimited_allowed = permanent_ok
        && (matches!(r, Right::Aah | Right::Rqth)
            || (r == Right::Cmi && detail == text::CMI_INVALIDITE));
    if unlimited_allowed && s.chance(0.5) {
        (0, true)
    } else {
        (*s.pick(choices), false)
    }
}
