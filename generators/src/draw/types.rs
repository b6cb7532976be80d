//! The plain data of a drawn case file: persons, representations, rights, documents, notes and appeal as
//! indices, dates and flags, with the bounds of its fixed-size arrays.

use crate::birth::NirPlace;
use crate::date::Date;
use crate::model::{
    AppealOutcome, Audience, CaseStatus, DocumentKind, IncapacityBand, Outcome, Protection,
    RepresentationKind, RequestKind, Right,
};
use crate::rng::Stream;

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
    /// Value index ([`crate::tag::Slice::person`]) of this person: phone and IBAN.
    pub value_of: u64,
    /// Value index of the person whose surname this person carries (a parent of a minor carries the
    /// child's).
    pub surname_of: u64,
    /// Value index of the household whose address line this person has.
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
    pub(super) const EMPTY: PersonDraw = PersonDraw {
        present: false,
        p: 0,
        value_of: 0,
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

    pub(super) fn push_status(&mut self, s: CaseStatus, d: Date, reference: Date) {
        if d <= reference && self.n_statuses < MAX_STATUS {
            self.statuses[self.n_statuses] = (s, d);
            self.n_statuses += 1;
        }
    }

    pub(super) fn push_doc(&mut self, kind: DocumentKind, issued: Date, slot: u8, s: &mut Stream) {
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
