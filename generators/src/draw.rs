//! The hot core of the generator: drawing one case file as plain data (indices, dates, flags; no strings,
//! no allocation) from its own random stream. Strings are rendered later from this draw, either into typed
//! records ([`crate::bundle`]) or straight into JSONL/CSV buffers ([`crate::emit`]); both use the same
//! rendering functions ([`crate::render`]), so the two paths cannot disagree.

use crate::birth::{BirthPlan, NirPlace};
use crate::config::GenConfig;
use crate::date::{Date, days_in_month};
use crate::geo::geo;
use crate::ident::BANK_CODES;
use crate::model::{
    AgentFunction, AppealOutcome, Audience, CaseStatus, DocumentKind, IncapacityBand, Outcome,
    Protection, RepresentationKind, RequestKind, Right,
};
use crate::plan::{Plan, TenantPlan};
use crate::rng::{Domain, Stream, StreamFactory};
use crate::text;

/// Most documents a case file can have.
pub const MAX_DOCS: usize = 16;
/// Most notes a case file can have.
pub const MAX_NOTES: usize = 4;
/// Most status events a case file can have.
pub const MAX_STATUS: usize = 8;

/// Email domains by person slot (applicant, first representative, second parent): distinct domains keep
/// `first.surname` logins unique even when a parent and an adult child share first name and surname.
pub const EMAIL_DOMAINS: [&str; 3] = ["example.org", "example.net", "portail-usagers.test"];

/// A person as drawn.
#[derive(Debug, Clone, Copy)]
pub struct PersonDraw {
    /// Whether this slot holds a person.
    pub present: bool,
    /// Global person index `3g + slot`.
    pub p: u64,
    /// Person index whose surname this person carries (a parent of a minor carries the child's).
    pub surname_of: u64,
    /// Person index of the household whose address line this person has.
    pub address_of: u64,
    /// 1 male, 2 female (from the NIR identity of `p`).
    pub sex: u8,
    /// Flat index of the first name ([`crate::text::first_name_at`]), chosen once the birth date is known.
    pub first_name: u16,
    /// Random bits that choose the first name among those of the decade.
    pub name_seed: u32,
    /// Birth date.
    pub birth: Date,
    /// Place of birth: index into the departements, then [`crate::ident::BIRTH_COUNTRIES`].
    pub place: u16,
    /// NIR order number.
    pub order: u16,
    /// Range of the NIR place part (see [`crate::birth`]).
    pub nir_place: NirPlace,
    /// Real commune code index for the NIR (opt-in), else `u32::MAX`.
    pub nir_commune: u32,
    /// Commune index of the address.
    pub commune: u32,
    /// Index into the commune's usable postcodes.
    pub postcode: u8,
    /// Phone prefix (6, 7, 1-5, 9), 0 for none.
    pub phone_prefix: u8,
    /// Whether the person has an email (and a portal account).
    pub account: bool,
    /// Bank index into [`BANK_CODES`], 255 for no IBAN.
    pub bank: u8,
    /// Branch code.
    pub branch: u32,
    /// Protection measure.
    pub protection: Protection,
    /// The surname, rendered once per draw.
    pub surname: [u8; 16],
    /// Length of `surname`.
    pub surname_len: u8,
}

impl PersonDraw {
    const EMPTY: PersonDraw = PersonDraw {
        present: false,
        p: 0,
        surname_of: 0,
        address_of: 0,
        sex: 1,
        first_name: 0,
        name_seed: 0,
        birth: Date(0),
        place: 0,
        order: 0,
        nir_place: NirPlace::Departement,
        nir_commune: u32::MAX,
        commune: 0,
        postcode: 0,
        phone_prefix: 0,
        account: false,
        bank: 255,
        branch: 0,
        protection: Protection::None,
        surname: [0; 16],
        surname_len: 0,
    };

    /// Slot of this person in its case file.
    pub fn slot(&self) -> usize {
        (self.p % 3) as usize
    }
}

/// A legal representation as drawn.
#[derive(Debug, Clone, Copy)]
pub struct RepDraw {
    /// Kind.
    pub kind: RepresentationKind,
    /// Slot of the representative.
    pub slot: u8,
    /// Start.
    pub start: Date,
    /// End.
    pub end: Option<Date>,
}

/// A representation forced on a case file by its index in its tenant, so that every world offers the
/// security harness, by construction, the identities it needs (see [`forced_representation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedRepresentation {
    /// The applicant has a representation still active at the reference date, and its representative a
    /// portal account: a minor represented by their parents, or an adult under a protection measure.
    Active,
    /// The applicant had a representation that ended at or before the reference date, and its
    /// representative still has a portal account: a child filed for at 17 by their parents, whose parental
    /// authority ended at their 18th birthday, or an adult whose curatelle the judge lifted (mainlevee)
    /// after the filing, whose former curator keeps the account.
    Ended,
}

/// The representation forced on the case file of index `index` (from 0) in its tenant's own case order:
/// [`ForcedRepresentation::Active`] for the first, [`ForcedRepresentation::Ended`] for the second, none for
/// the others. A fixed per-tenant index, so it depends neither on the thread count nor on chunking. The
/// audience (adult or child) stays as drawn, so the configured child share is untouched.
pub fn forced_representation(index: u64) -> Option<ForcedRepresentation> {
    match index {
        0 => Some(ForcedRepresentation::Active),
        1 => Some(ForcedRepresentation::Ended),
        _ => None,
    }
}

/// A requested right and its decision, as drawn.
#[derive(Debug, Clone, Copy)]
pub struct RightDraw {
    /// Right.
    pub right: Right,
    /// Detail (PCH element, CMI mention...).
    pub detail: &'static str,
    /// Outcome (meaningful once decided).
    pub outcome: Outcome,
    /// Validity start (granted).
    pub start: Option<Date>,
    /// Validity end (granted with a limit).
    pub end: Option<Date>,
    /// Granted with no time limit.
    pub no_time_limit: bool,
    /// Refusal reason.
    pub reason: Option<&'static str>,
    /// Who is notified.
    pub notified_to: &'static str,
}

/// A document as drawn.
#[derive(Debug, Clone, Copy)]
pub struct DocDraw {
    /// Kind.
    pub kind: DocumentKind,
    /// Date issued.
    pub issued: Date,
    /// Slot of the person it is about.
    pub slot: u8,
    /// Padding of the PDF content stream (gives the size).
    pub pad: u16,
}

/// A note as drawn.
#[derive(Debug, Clone, Copy)]
pub struct NoteDraw {
    /// Template index.
    pub template: u8,
    /// Date.
    pub date: Date,
    /// Date mentioned in the text.
    pub mentioned: Date,
    /// Author: agent index within the tenant.
    pub author: u32,
}

/// An appeal as drawn.
#[derive(Debug, Clone, Copy)]
pub struct AppealDraw {
    /// Index of the appealed right/decision.
    pub right: u8,
    /// Filing date.
    pub filed: Date,
    /// Outcome.
    pub outcome: AppealOutcome,
    /// Outcome date.
    pub outcome_date: Option<Date>,
}

/// One case file as drawn: everything needed to render its records.
#[derive(Debug, Clone)]
pub struct CaseDraw {
    /// Global case index.
    pub g: u64,
    /// Index of the tenant in the plan.
    pub tenant: usize,
    /// Sequence number within the tenant, from 1.
    pub seq: u64,
    /// Adult or child.
    pub audience: Audience,
    /// First or renewal.
    pub request_kind: RequestKind,
    /// Applicant (0), first representative (1), second parent (2).
    pub persons: [PersonDraw; 3],
    /// Representations of the applicant.
    pub reps: [Option<RepDraw>; 2],
    /// Filing date.
    pub filing: Date,
    /// Admissibility date (recevable cases, once reached).
    pub admissibility: Option<Date>,
    /// Status history.
    pub statuses: [(CaseStatus, Date); MAX_STATUS],
    /// Number of statuses.
    pub n_statuses: usize,
    /// Form signature date.
    pub form_date: Date,
    /// Medical certificate date.
    pub certificate_date: Date,
    /// Doctor first name index and surname index (fake's fr_FR lists).
    pub doctor: (u16, u16),
    /// PCH age exception.
    pub pch_exception: bool,
    /// Incapacity band.
    pub band: IncapacityBand,
    /// Work restriction.
    pub work_restriction: bool,
    /// Improvement expected.
    pub improvement_expected: bool,
    /// Evaluation date and evaluator agent index, once done.
    pub evaluation: Option<(Date, u32)>,
    /// Decision date, once taken.
    pub decision_date: Option<Date>,
    /// Notification date, once notified.
    pub notification: Option<Date>,
    /// Requested rights and their decisions.
    pub rights: [RightDraw; 8],
    /// Number of rights.
    pub n_rights: usize,
    /// Documents.
    pub docs: [DocDraw; MAX_DOCS],
    /// Number of documents.
    pub n_docs: usize,
    /// Notes.
    pub notes: [NoteDraw; MAX_NOTES],
    /// Number of notes.
    pub n_notes: usize,
    /// Appeal.
    pub appeal: Option<AppealDraw>,
    /// Slot of the person agents talk to and the decision notification is addressed to (a parent for a
    /// minor, the tutor or empowered family member of a protected adult, else the person).
    pub contact: u8,
    /// The case number, rendered once per draw (see [`crate::render::case_number`]).
    pub case_number: [u8; 32],
    /// Length of `case_number`.
    pub case_number_len: usize,
}

const EMPTY_RIGHT: RightDraw = RightDraw {
    right: Right::Aah,
    detail: "",
    outcome: Outcome::Accord,
    start: None,
    end: None,
    no_time_limit: false,
    reason: None,
    notified_to: "",
};
const EMPTY_DOC: DocDraw = DocDraw {
    kind: DocumentKind::RequestForm,
    issued: Date(0),
    slot: 0,
    pad: 0,
};
const EMPTY_NOTE: NoteDraw = NoteDraw {
    template: 0,
    date: Date(0),
    mentioned: Date(0),
    author: 0,
};

impl Default for CaseDraw {
    fn default() -> CaseDraw {
        CaseDraw {
            g: 0,
            tenant: 0,
            seq: 0,
            audience: Audience::Adult,
            request_kind: RequestKind::First,
            persons: [PersonDraw::EMPTY; 3],
            reps: [None; 2],
            filing: Date(0),
            admissibility: None,
            statuses: [(CaseStatus::Deposee, Date(0)); MAX_STATUS],
            n_statuses: 0,
            form_date: Date(0),
            certificate_date: Date(0),
            doctor: (0, 0),
            pch_exception: false,
            band: IncapacityBand::Under50,
            work_restriction: false,
            improvement_expected: true,
            evaluation: None,
            decision_date: None,
            notification: None,
            rights: [EMPTY_RIGHT; 8],
            n_rights: 0,
            docs: [EMPTY_DOC; MAX_DOCS],
            n_docs: 0,
            notes: [EMPTY_NOTE; MAX_NOTES],
            n_notes: 0,
            appeal: None,
            contact: 0,
            case_number: [0; 32],
            case_number_len: 0,
        }
    }
}

impl CaseDraw {
    /// The present persons.
    pub fn persons(&self) -> impl Iterator<Item = &PersonDraw> {
        self.persons.iter().filter(|p| p.present)
    }

    /// The requested rights.
    pub fn rights(&self) -> &[RightDraw] {
        &self.rights[..self.n_rights]
    }

    /// The documents.
    pub fn docs(&self) -> &[DocDraw] {
        &self.docs[..self.n_docs]
    }

    /// The notes.
    pub fn notes(&self) -> &[NoteDraw] {
        &self.notes[..self.n_notes]
    }

    /// The status history.
    pub fn statuses(&self) -> &[(CaseStatus, Date)] {
        &self.statuses[..self.n_statuses]
    }

    /// Whether the decisions are taken (at the reference date).
    pub fn decided(&self) -> bool {
        self.decision_date.is_some()
    }

    fn push_status(&mut self, s: CaseStatus, d: Date, reference: Date) {
        if d <= reference && self.n_statuses < MAX_STATUS {
            self.statuses[self.n_statuses] = (s, d);
            self.n_statuses += 1;
        }
    }

    fn push_doc(&mut self, kind: DocumentKind, issued: Date, slot: u8, s: &mut Stream) {
        if self.n_docs < MAX_DOCS {
            self.docs[self.n_docs] = DocDraw {
                kind,
                issued,
                slot,
                pad: s.below(1024) as u16,
            };
            self.n_docs += 1;
        }
    }
}

/// Everything shared by the draws of one world: config, plan and stream factories.
#[derive(Debug, Clone)]
pub struct Drawer {
    /// The config.
    pub config: GenConfig,
    /// The plan.
    pub plan: Plan,
    cases: StreamFactory,
    births: BirthPlan,
}

impl Drawer {
    /// A drawer for `config`.
    pub fn new(config: &GenConfig) -> Result<Drawer, crate::GenError> {
        let plan = Plan::new(config)?;
        let tenants: Vec<(usize, u64)> = plan.tenants.iter().map(|t| (t.dept, t.cases)).collect();
        let births = BirthPlan::new(config.seed, &tenants).map_err(crate::GenError::Config)?;
        Ok(Drawer {
            config: config.clone(),
            plan,
            cases: StreamFactory::new(config.seed, Domain::Case),
            births,
        })
    }

    /// The tenant plan of a draw.
    pub fn tenant(&self, d: &CaseDraw) -> &TenantPlan {
        &self.plan.tenants[d.tenant]
    }

    /// Draw case file `g` (whose tenant is `tenant` in the plan) into `d`, overwriting it.
    pub fn draw(&self, g: u64, tenant: usize, d: &mut CaseDraw) {
        let w = &self.config.weights;
        let reference = self.config.reference_date;
        let tp = &self.plan.tenants[tenant];
        let mut s = self.cases.stream(g);
        d.g = g;
        d.tenant = tenant;
        d.seq = g - tp.first_case + 1;
        d.n_statuses = 0;
        d.n_docs = 0;
        d.n_notes = 0;
        d.appeal = None;
        d.reps = [None; 2];
        d.admissibility = None;
        d.evaluation = None;
        d.decision_date = None;
        d.notification = None;
        d.pch_exception = false;
        d.persons = [PersonDraw::EMPTY; 3];
        let forced = forced_representation(d.seq - 1);
        let ended = forced == Some(ForcedRepresentation::Ended);

        let child = s.chance(w.child_share);
        d.audience = if child {
            Audience::Child
        } else {
            Audience::Adult
        };
        d.request_kind = if s.chance(w.first_request_share) {
            RequestKind::First
        } else {
            RequestKind::Renewal
        };
        let first = d.request_kind == RequestKind::First;

        // Requested rights: independent inclusion with probability share x mean count keeps every right's
        // expected share of requests equal to its weight.
        let shares = if child {
            &w.child_rights
        } else {
            &w.adult_rights
        };
        let mut requested = [false; 8];
        for r in Right::ALL {
            let p = shares.get(*r) * w.rights_per_case;
            requested[*r as usize] = p > 0.0 && s.chance(p);
        }
        if !requested.iter().any(|x| *x) {
            requested[s.weighted(&shares.0)] = true;
        }
        let has = |r: Right| requested[r as usize];

        // Dates and age. A forced ended representation needs its end (an 18th birthday, a lifted measure)
        // between the filing and the reference date: such a case file was filed at least a year before.
        let min_back = if ended { 366 } else { 0 };
        d.filing = reference.add_days(-(min_back + s.below(3 * 365 - min_back as u32) as i32));
        // A schooling plan (PPS) is for a child of school age: from 3 (compulsory instruction, code de
        // l'education art. L131-1).
        let school = if has(Right::Pps) { 3 } else { 0 };
        let age = if child {
            match forced {
                // Under 15 at filing, so still a minor at the reference date (at most 3 years later).
                Some(ForcedRepresentation::Active) => school + s.below(15 - school as u32) as i32,
                // 17 at filing, a year or more before the reference date: 18 by then.
                Some(ForcedRepresentation::Ended) => 17,
                None => school + s.below(19 - school as u32) as i32,
            }
        } else if s.chance(w.adult_60_plus_share) {
            let max = if has(Right::Rqth) { 62 } else { 95 };
            60 + (s.unit().powf(1.6) * f64::from(max - 60 + 1)) as i32
        } else {
            20 + s.below(40) as i32
        };
        let age = if has(Right::Rqth) { age.min(62) } else { age };

        // Applicant.
        let p0 = 3 * g;
        self.person(&mut s, &mut d.persons[0], p0, p0, p0, tenant, None);
        d.persons[0].birth = birth_for_age(d.filing, age, d.persons[0].birth.0 as u32);
        let birth = d.persons[0].birth;
        let age_now = birth.age_on(reference);
        let adult_now = age_now >= 18;

        // Protection and representatives.
        if !child && (forced.is_some() || s.chance(w.protected_adult_share)) {
            let (prot, kind) = match s.below(20) {
                // A forced ended representation is a curatelle that the judge lifted (mainlevee) after
                // the filing: the person, who acted with the curator's assistance, now acts alone.
                _ if ended => (Protection::Curatelle, RepresentationKind::Curateur),
                0..=8 => (Protection::Tutelle, RepresentationKind::Tuteur),
                9..=17 => (Protection::Curatelle, RepresentationKind::Curateur),
                _ => (
                    Protection::HabilitationFamiliale,
                    RepresentationKind::HabilitationFamiliale,
                ),
            };
            // The representative is a woman (slot 1) or a man (slot 2) \[est.: half and half\]: slots have a
            // sex (see `birth::FEMALE_SHARE`).
            let rs: usize = if s.chance(0.5) { 1 } else { 2 };
            let pr = p0 + rs as u64;
            self.person(&mut s, &mut d.persons[rs], pr, pr, pr, tenant, None);
            let rep_age = 30 + s.below(40) as i32;
            d.persons[rs].birth = birth_for_age(d.filing, rep_age, d.persons[rs].birth.0 as u32);
            // The measure started once both the protected person and the representative were of age.
            let earliest = birth.add_years(18).max(d.persons[rs].birth.add_years(18));
            let start = d.filing.add_days(-(s.between(60, 15 * 365)));
            // The curatelle of a forced ended representation was lifted between the filing and the
            // reference date (the filing is at least a year back): the person is no longer protected.
            let end = ended.then(|| d.filing.add_days(s.between(1, reference.0 - d.filing.0)));
            d.persons[0].protection = if ended { Protection::None } else { prot };
            d.reps[0] = Some(RepDraw {
                kind,
                slot: rs as u8,
                start: start.max(earliest),
                end,
            });
            // Agents deal with whoever acts for the person: the tutor or the empowered family member (they
            // represent the person); under curatelle, the person, assisted.
            d.contact = match prot {
                Protection::Tutelle | Protection::HabilitationFamiliale if !ended => rs as u8,
                _ => 0,
            };
        } else if child {
            let two = s.chance(0.65);
            let household = p0;
            let c0 = d.persons[0].commune;
            self.person(
                &mut s,
                &mut d.persons[1],
                p0 + 1,
                household,
                household,
                tenant,
                Some(c0),
            );
            d.persons[1].postcode = d.persons[0].postcode;
            let parent_age = age + 20 + s.below(22) as i32;
            d.persons[1].birth = birth_for_age(d.filing, parent_age, d.persons[1].birth.0 as u32);
            let end = if adult_now {
                Some(birth.add_years(18))
            } else {
                None
            };
            d.reps[0] = Some(RepDraw {
                kind: RepresentationKind::Parent,
                slot: 1,
                start: birth,
                end,
            });
            if two {
                // The second parent (the father: slots have a sex) carries the child's surname too.
                self.person(
                    &mut s,
                    &mut d.persons[2],
                    p0 + 2,
                    household,
                    household,
                    tenant,
                    Some(c0),
                );
                d.persons[2].postcode = d.persons[0].postcode;
                let parent_age = age + 20 + s.below(24) as i32;
                d.persons[2].birth =
                    birth_for_age(d.filing, parent_age, d.persons[2].birth.0 as u32);
                d.reps[1] = Some(RepDraw {
                    kind: RepresentationKind::Parent,
                    slot: 2,
                    start: birth,
                    end,
                });
            }
            d.contact = if adult_now { 0 } else { 1 };
        } else {
            d.contact = 0;
        }

        // Contact details and accounts.
        for slot in 0..3 {
            let pd = &mut d.persons[slot];
            if !pd.present {
                continue;
            }
            let age_ref = pd.birth.age_on(reference);
            pd.account = if slot == 0 {
                age_ref >= 18 && matches!(pd.protection, Protection::None | Protection::Curatelle)
            } else {
                true
            };
            if age_ref >= 15 {
                pd.phone_prefix = match s.below(20) {
                    0..=8 => 6,
                    9..=14 => 7,
                    15..=18 => region_phone_prefix(geo().departements[tp.dept].region_code),
                    _ => 9,
                };
            }
            let iban_p = match slot {
                0 if age_ref >= 18 => 0.7,
                1 if child => 0.8,
                1 | 2 if !child => 0.3,
                _ => 0.0,
            };
            if s.chance(iban_p) {
                pd.bank = s.below(BANK_CODES.len() as u32) as u8;
                pd.branch = s.below(100_000);
            }
        }

        // Evaluation band and the AAH outcome, drawn together (AAH rates are configured weights).
        let mut aah_outcome = None;
        if has(Right::Aah) {
            let approve = s.chance(if first {
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
            d.work_restriction = d.band == IncapacityBand::From50To79 && !child && s.chance(0.5);
        }
        d.improvement_expected = d.band != IncapacityBand::AtLeast80 || s.chance(0.6);
        d.pch_exception = has(Right::Pch) && first && age >= 60;

        // Case kind and timeline.
        let no_aah = !has(Right::Aah);
        let irrecevable = no_aah && s.chance(w.irrecevable_share);
        let implicit = no_aah && !irrecevable && s.chance(w.implicit_rejection_share);
        d.form_date = d.filing.add_days(-(s.below(21) as i32));
        d.certificate_date = d.filing.add_days(-(s.below(330) as i32));
        d.doctor = (
            s.below(text::staff_first_names().len() as u32) as u16,
            s.below(text::doctor_surnames().len() as u32) as u16,
        );
        let mean = f64::from(tp.mean_days) * if child { 4.3 / 4.4 } else { 4.5 / 4.4 };
        let proc_days = ((mean * (0.6 + 0.8 * s.unit())) as i32).clamp(30, 300);
        // Agents' acts and CDAPH sittings fall on working days of the tenant (no weekend, no public
        // holiday); the implicit rejection is a legal date and falls on any day.
        let cal = crate::date::Calendar::of(geo().departements[tp.dept].code);
        let admissibility = cal.add_working(d.filing, s.between(2, 21) as u32);
        // Each MDPH's CDAPH sits on one weekday (its own, from the seed).
        let sitting_day = (crate::ident::mix(self.config.seed ^ tp.dept as u64) % 5) as i32;
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
                decision_date = dec;
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

        // Rights and their decisions.
        d.n_rights = 0;
        let twentieth = birth.add_years(20).add_days(-1);
        let addressees = addressees(d.reps[0], decision_date);
        for r in Right::ALL.iter().copied().filter(|r| has(*r)) {
            let detail = self.detail(&mut s, r, child, d.band);
            let (outcome, reason) = match (outcome_all, r) {
                (Some(o), _) => (o, None),
                (None, Right::Aah) => {
                    aah_outcome.unwrap_or((Outcome::Refus, Some(text::REASON_CRITERIA)))
                }
                (None, _) => other_outcome(&mut s, r, d.band, detail),
            };
            let (mut start, mut end, mut no_limit) = (None, None, false);
            if outcome == Outcome::Accord {
                let st = decision_date;
                let (months, unlimited) =
                    validity(&mut s, r, d.band, d.improvement_expected, detail);
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
            let notified_to = if implicit {
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

        // Appeal (RAPO within two months of notification).
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

        // Documents.
        d.push_doc(DocumentKind::RequestForm, d.form_date, 0, &mut s);
        d.push_doc(
            DocumentKind::MedicalCertificate,
            d.certificate_date,
            0,
            &mut s,
        );
        let f = d.filing;
        let before = |s: &mut Stream, n: u32| f.add_days(-(s.below(n) as i32));
        let dt = before(&mut s, 30);
        d.push_doc(DocumentKind::IdentityDocument, dt, 0, &mut s);
        let dt = before(&mut s, 60);
        d.push_doc(DocumentKind::ProofOfAddress, dt, 0, &mut s);
        if child {
            let dt = before(&mut s, 30);
            d.push_doc(DocumentKind::FamilyRecordBook, dt, 0, &mut s);
        }
        if let Some(rep) = d.reps[0]
            && rep.kind != RepresentationKind::Parent
        {
            d.push_doc(DocumentKind::CourtJudgment, rep.start.min(f), 0, &mut s);
            let dt = before(&mut s, 30);
            d.push_doc(DocumentKind::RepresentativeIdentity, dt, rep.slot, &mut s);
        }
        for _ in 0..s.below(3) {
            let kind = *s.pick(&[
                DocumentKind::PsychologicalAssessment,
                DocumentKind::SpeechAssessment,
                DocumentKind::OccupationalAssessment,
                DocumentKind::HospitalReport,
            ]);
            let dt = before(&mut s, 300);
            d.push_doc(kind, dt, 0, &mut s);
        }
        if s.chance(0.06) {
            let kind = if s.chance(0.5) {
                DocumentKind::VisionAnnex
            } else {
                DocumentKind::HearingAnnex
            };
            d.push_doc(kind, d.certificate_date, 0, &mut s);
        }
        if has(Right::Pps) {
            let dt = before(&mut s, 90);
            d.push_doc(DocumentKind::SchoolAssessment, dt, 0, &mut s);
        }
        if let Some(n) = d.notification {
            d.push_doc(DocumentKind::DecisionNotification, n, d.contact, &mut s);
        }

        // Notes.
        let last = d
            .notification
            .or(d.decision_date)
            .unwrap_or(reference)
            .min(reference);
        let span = (last.0 - f.0).max(0) as u32 + 1;
        let n_notes = s.below(4) as usize;
        // The CDAPH sitting that decides the case file, if it has sat.
        let sitting = d.decision_date.filter(|_| !implicit && !irrecevable);
        let templates = text::NOTE_TEMPLATES.len();
        for k in 0..n_notes {
            // Agents write on working days (the filing itself, online, may be on any day): a day off is
            // drawn again (at most three times, then moved to a working day).
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
            // A past event (documents received, a letter sent) is dated at or before the note, not before
            // the filing; a commission to come is the sitting that decides the case file.
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
            d.notes[k] = NoteDraw {
                template: template as u8,
                date,
                mentioned,
                author,
            };
        }
        d.notes[..n_notes].sort_by_key(|n| n.date);
        d.n_notes = n_notes;

        let mut name = Vec::with_capacity(16);
        for pd in d.persons.iter_mut().filter(|p| p.present) {
            pd.first_name = first_name_index(pd);
            name.clear();
            crate::ident::write_person_surname(&mut name, pd.surname_of);
            pd.surname_len = name.len().min(16) as u8;
            pd.surname[..usize::from(pd.surname_len)]
                .copy_from_slice(&name[..usize::from(pd.surname_len)]);
        }
        let mut number = Vec::with_capacity(32);
        crate::render::write_case_number(&mut number, tp, d);
        d.case_number_len = number.len().min(32);
        d.case_number[..d.case_number_len].copy_from_slice(&number[..d.case_number_len]);
    }

    /// Draw a person: place of birth and NIR identity from the birth plan ([`crate::birth`]), address in the
    /// tenant (the household's commune when given). The birth date is set by the caller; here `birth.0`
    /// carries a day seed.
    #[allow(clippy::too_many_arguments)]
    fn person(
        &self,
        s: &mut Stream,
        pd: &mut PersonDraw,
        p: u64,
        surname_of: u64,
        address_of: u64,
        t: usize,
        commune: Option<u32>,
    ) {
        let g = geo();
        let tp = &self.plan.tenants[t];
        let seq = p / 3 - tp.first_case;
        let id = self.births.identity(t, 3 * seq + p % 3);
        pd.present = true;
        pd.p = p;
        pd.surname_of = surname_of;
        pd.address_of = address_of;
        pd.sex = id.sex;
        pd.place = id.place;
        pd.order = id.order;
        pd.nir_place = id.nir_place;
        pd.name_seed = s.u32();
        // Month of birth from the NIR; the day is drawn here and used by `birth_for_age`.
        let day_seed = s.u32() & 0xFFFF;
        pd.birth = Date(((u32::from(id.month)) << 16 | day_seed) as i32);
        pd.commune = match commune {
            Some(c) => c,
            None => g.commune_index_at(tp.dept, s.below_u64(g.drawable_population(tp.dept))) as u32,
        };
        let usable = g.communes[pd.commune as usize].usable_postcodes.len();
        pd.postcode = if usable > 1 {
            s.below(usable as u32) as u8
        } else {
            0
        };
        pd.nir_commune = u32::MAX;
        if self.config.real_birth_communes && usize::from(id.place) < g.departements.len() {
            let d = usize::from(id.place);
            pd.nir_commune = g.commune_index_at(d, s.below_u64(g.drawable_population(d))) as u32;
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

/// The first name of a drawn person whose birth date is known: a name of their decade of birth and sex
/// (of the Maghreb and Turkey for persons born there), drawn with the weights of
/// [`text::first_name_weight`].
fn first_name_index(pd: &PersonDraw) -> u16 {
    let maghreb = usize::from(pd.place)
        .checked_sub(geo().departements.len())
        .and_then(|k| crate::ident::BIRTH_COUNTRIES.get(k))
        .is_some_and(|c| crate::ident::maghreb_or_turkey(c.0));
    let (list, _) = text::first_name_list(pd.birth.year(), pd.sex, maghreb);
    let mut r = f64::from(pd.name_seed) / 4_294_967_296.0;
    let mut rank = 9;
    for k in 0..10 {
        let w = text::first_name_weight(k);
        if r < w {
            rank = k;
            break;
        }
        r -= w;
    }
    (list * 10 + rank) as u16
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

/// A birth date giving exactly `age` whole years on `on`, in the NIR's month (`seed` packs month and a day
/// seed, see [`Drawer::person`]).
fn birth_for_age(on: Date, age: i32, seed: u32) -> Date {
    let month = seed >> 16;
    let (y, _, _) = on.ymd();
    let mut year = y - age;
    let days = if month == 2 {
        28
    } else {
        days_in_month(year, month)
    };
    let day = 1 + (seed & 0xFFFF) % days;
    let mut b = Date::from_ymd(year, month, day);
    if b.age_on(on) < age {
        year -= 1;
        b = Date::from_ymd(year, month, day);
    }
    b
}

/// Phone prefix of a region's landlines (01 Ile-de-France, 02 north-west, 03 north-east, 04 south-east,
/// 05 south-west); overseas numbers are mobile.
fn region_phone_prefix(region: &str) -> u8 {
    match region {
        "11" => 1,
        "24" | "28" | "52" | "53" => 2,
        "27" | "32" | "44" => 3,
        "84" | "93" | "94" => 4,
        "75" | "76" => 5,
        _ => 6,
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
