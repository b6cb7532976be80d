//! What a probe's verdict rests on: the observations a probe needs ([`Needs`], [`Need`]), the observations
//! the harness gathered ([`Observations`]) and what the verdict path concludes of them ([`Judgement`]).

use super::effect::EffectReads;
use super::{Evidence, Hit, Observed, Refusals, SoftDelete, Verdict};
use crate::family::Family;
use crate::population::{Identity, Record};
use crate::probes::{Expect, Named, Probe, Variant};
use crate::surface::Op;

/// How a probe is carried out, and so which observations its verdict rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs<'p> {
    /// One request whose answer is judged (a read, list, search, export, function, control, tenant selector,
    /// neighbouring identifier, anonymous call). A server error is sent once more when `resend_server_error`
    /// (controls: the second answer decides). Then, as [`next_need`](super::next_need) asks: every canary of
    /// the answer ([`Need::OwnData`], controls and lists) and the plain request ([`Need::Baseline`], a tenant
    /// selector whose answer is a finding).
    Answer {
        /// Send the request once more after a server error.
        resend_server_error: bool,
    },
    /// A forbidden object's answer, then an identifier that names nothing ([`Need::MissingTwin`]) unless the
    /// object itself leaks.
    Existence,
    /// A forbidden update or delete: the owner's read before (it must succeed), the writer's view before, the
    /// write's answer, the owner's read-back, then the writer's view ([`Need::WriterView`]).
    Write,
    /// The owner's own update carrying `field` naming someone else: the owner's read before (it must
    /// succeed), the named reader's view before (it must show nothing), the write's answer, the owner's
    /// read-back, then the named reader's view ([`Need::NamedReaderView`]).
    Assignment {
        /// The slipped field.
        field: &'p str,
        /// Who it names.
        named: &'p Named,
    },
    /// A child record created under a case file the caller may not write: the owner's list of the case's
    /// children before (it must succeed), the create's answer, and the owner's list afterwards, where the
    /// create's marker is looked for.
    ForeignCreate,
    /// A function whose effect the profile declares, called by a role not granted it: a granted role sets a
    /// record aside for the probe (the profile's `setup`) and reads it back before and after the call
    /// ([`Observations::effect`]); the read-back decides.
    Effect,
}

impl<'p> Needs<'p> {
    /// What `probe` needs (a mass assignment, a write, an existence check, or one answer).
    pub fn of(probe: &'p Probe) -> Self {
        match (probe.family, &probe.variant) {
            (Family::MassAssignment, Variant::Assign { field, named }) => {
                Needs::Assignment { field, named }
            }
            (Family::DirectWrite, _) => Needs::Write,
            (Family::ForeignCreate, _) => Needs::ForeignCreate,
            (Family::FunctionLevel, Variant::Effect) => Needs::Effect,
            (_, Variant::Missing) => Needs::Existence,
            _ => Needs::Answer {
                resend_server_error: probe.expect == Expect::Control,
            },
        }
    }
}

/// An observation gathered only once those before it call for it (see [`next_need`](super::next_need)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Every canary of the answer, not only the foreign ones: the caller's own data (controls, lists).
    OwnData,
    /// The same request without the tenant selector: a selector's finding counts only if the plain request
    /// is refused or shows nothing foreign.
    Baseline,
    /// The same request for an identifier of the same shape that names nothing.
    MissingTwin,
    /// The writer's view of the record after a write, when it saw nothing before.
    WriterView,
    /// The view of the identity (or tenant) the slipped field named, after the assignment.
    NamedReaderView,
    /// The same request sent by an identity the policy allows (a role granted the function, the record's
    /// owner): a forbidden call answered 400 or 422, which the profile does not list as a refusal, may be
    /// the profile's malformed body rather than a refusal of the caller.
    AllowedTwin,
}

/// One answer and its foreign canaries.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The response.
    pub observed: &'a Observed,
    /// Its foreign canaries, split into proof and reflection.
    pub evidence: &'a Evidence,
}

/// What the harness observed for one probe: the answer to its request, and what [`Needs`] and
/// [`next_need`](super::next_need) asked for. A need not gathered counts as nothing seen.
#[derive(Debug, Clone)]
pub struct Observations<'a> {
    /// The actor as the population knows it (`None`: anonymous, or not in the population).
    pub actor: Option<&'a Identity>,
    /// The probe's record, when it names one of the population.
    pub record: Option<&'a Record>,
    /// How the probe's endpoint refuses.
    pub refusals: &'a Refusals,
    /// The answer to the probe's request (for a write or an assignment: to the write; an assignment's
    /// answer is not scanned, its evidence is empty).
    pub answer: Answer<'a>,
    /// Every canary of the answer ([`Need::OwnData`]).
    pub own_data: Option<&'a [Hit]>,
    /// The actor has records of the list's kind (outside the pool set aside for writes): a list must show
    /// them.
    pub actor_owns_listed: bool,
    /// The same request without its tenant selector ([`Need::Baseline`]).
    pub baseline: Option<Answer<'a>>,
    /// The answer to the same request for a missing identifier ([`Need::MissingTwin`]; not scanned).
    pub missing: Option<&'a Observed>,
    /// What followed a write or an assignment.
    pub change: Option<Change<'a>>,
    /// The answer to the same request sent by an identity the policy allows ([`Need::AllowedTwin`]; not
    /// scanned).
    pub allowed_twin: Option<&'a Observed>,
    /// A function whose effect is read back: the reads before and after the call (`None`: the read-back
    /// could not be made, the answer is judged by its status alone).
    pub effect: Option<EffectReads<'a>>,
}

impl<'a> Observations<'a> {
    /// The answer alone: nothing else gathered yet.
    pub fn of_answer(
        actor: Option<&'a Identity>,
        record: Option<&'a Record>,
        refusals: &'a Refusals,
        answer: Answer<'a>,
    ) -> Self {
        Self {
            actor,
            record,
            refusals,
            answer,
            own_data: None,
            actor_owns_listed: false,
            baseline: None,
            missing: None,
            change: None,
            allowed_twin: None,
            effect: None,
        }
    }
}

/// What followed a write (a forbidden update or delete) or an assignment (the owner's own update).
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// Who reads the record back: its steward after a write, the writer itself after an assignment.
    pub owner: &'a str,
    /// Update or delete.
    pub op: Op,
    /// The owner's read-back (`None`: it could not be sent).
    pub read_back: Option<&'a Observed>,
    /// How the read-back endpoint refuses.
    pub read_back_refusals: &'a Refusals,
    /// The field (JSON pointer) where the owner would read the write's marker, and the marker.
    pub marker: Option<(&'a str, &'a str)>,
    /// A delete on a platform whose deletes keep the record: the declared "deleted" field.
    pub soft: Option<&'a SoftDelete>,
    /// With `soft`: how many of the record's own values (canaries) the owner read before the write and no
    /// longer reads in its read-back.
    pub lost: usize,
    /// A write: the writer already saw foreign data in the record before (or its view could not be read).
    pub writer_saw_before: bool,
    /// A write: the writer's view afterwards ([`Need::WriterView`]; `None` when it could not be read).
    pub writer_view: Option<Answer<'a>>,
    /// An assignment: who reads as the named identity or tenant (`None`: nobody can).
    pub named_reader: Option<&'a str>,
    /// An assignment: the named reader's view afterwards ([`Need::NamedReaderView`]).
    pub named_reader_view: Option<Answer<'a>>,
}

/// What a probe proves: its verdict, the sentence that explains it, and whether its answer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// A sentence on what happened (empty for a pass, and where nothing needs saying).
    pub explanation: String,
    /// Whether the answer to the probe's request is the exchange to show.
    pub exhibit: Exhibit,
}

impl Judgement {
    /// A verdict shown by the probe's answer.
    pub fn shown(verdict: Verdict, explanation: impl Into<String>) -> Self {
        Self {
            verdict,
            explanation: explanation.into(),
            exhibit: Exhibit::Answer,
        }
    }

    /// A verdict with no explanation that no exchange shows.
    pub fn unshown(verdict: Verdict) -> Self {
        Self {
            verdict,
            explanation: String::new(),
            exhibit: Exhibit::Nothing,
        }
    }
}

/// Which exchange shows a judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhibit {
    /// The answer to the probe's request (a write's answer for writes and assignments).
    Answer,
    /// None: the verdict rests on no single answer (the object already leaks, a session was lost).
    Nothing,
}
