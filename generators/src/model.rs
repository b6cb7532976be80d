//! The typed records of a world. Every record has a stable internal id (a plain number, never a canary) and
//! the id of its tenant. Records are flat (scalars only) so that JSONL and CSV have the same columns; field
//! order is the column order of the streamed files and of the JSON Schema ([`crate::schema`]).

use serde::Serialize;

use crate::date::Date;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Id of a tenant (an MDPH): 1 + the departement's index in code order.
    TenantId
);
id_type!(
    /// Id of a person: `3 * case index + slot + 1` (slot 0 applicant, 1 first representative, 2 second parent).
    PersonId
);
id_type!(
    /// Id of a portal account: the person's id for applicants and representatives; agents from 2^40.
    AccountId
);
id_type!(
    /// Id of a legal representation.
    RepresentationId
);
id_type!(
    /// Id of a case file: 1 + its global index.
    CaseId
);
id_type!(
    /// Id of a status event.
    StatusEventId
);
id_type!(
    /// Id of a requested right.
    RequestId
);
id_type!(
    /// Id of a document.
    DocumentId
);
id_type!(
    /// Id of an evaluation.
    EvaluationId
);
id_type!(
    /// Id of a decision.
    DecisionId
);
id_type!(
    /// Id of an appeal.
    AppealId
);
id_type!(
    /// Id of an agent's case note.
    NoteId
);

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The serialised form.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(
    /// Sex as recorded in the NIR.
    Sex { Male => "M", Female => "F" }
);
str_enum!(
    /// Legal protection of an adult.
    Protection {
        /// No measure.
        None => "none",
        /// Guardianship: the tutor acts for the person.
        Tutelle => "tutelle",
        /// Curatorship: the curator assists the person.
        Curatelle => "curatelle",
        /// Family empowerment.
        HabilitationFamiliale => "habilitation_familiale",
    }
);
str_enum!(
    /// Kind of legal representation.
    RepresentationKind {
        /// A parent of a minor (ends at the 18th birthday).
        Parent => "parent",
        /// A tutor (tutelle).
        Tuteur => "tuteur",
        /// A curator (curatelle).
        Curateur => "curateur",
        /// A family member empowered by a judge.
        HabilitationFamiliale => "habilitation_familiale",
    }
);
str_enum!(
    /// Role of a portal account.
    Role {
        /// The person themselves.
        Applicant => "applicant",
        /// A legal representative of a person.
        Representative => "representative",
        /// An agent of the MDPH (see [`AgentFunction`]).
        Agent => "agent",
        /// The departement-level administrator of the MDPH.
        TenantAdmin => "tenant_admin",
    }
);
str_enum!(
    /// Function of an agent.
    AgentFunction {
        /// Reception and instruction of case files.
        Instruction => "instruction",
        /// The multidisciplinary evaluation team.
        Evaluation => "evaluation",
        /// CDAPH secretariat.
        Secretariat => "secretariat",
    }
);
str_enum!(
    /// Adult (20 and over) or child (under 20) case file.
    Audience { Adult => "adult", Child => "child" }
);
str_enum!(
    /// First request or renewal.
    RequestKind { First => "first", Renewal => "renewal" }
);
str_enum!(
    /// Status of a case file.
    CaseStatus {
        /// Filed (deposee).
        Deposee => "deposee",
        /// Admissible (recevable).
        Recevable => "recevable",
        /// Not admissible (irrecevable).
        Irrecevable => "irrecevable",
        /// Being evaluated.
        EnEvaluation => "en_evaluation",
        /// Proposal sent (PPC, 15 days for remarks).
        Proposition => "proposition",
        /// CDAPH decision taken.
        Decision => "decision",
        /// Decision notified.
        Notifiee => "notifiee",
    }
);
str_enum!(
    /// A right that can be requested.
    Right {
        /// Adult disability allowance.
        Aah => "AAH",
        /// Education allowance for a disabled child.
        Aeeh => "AEEH",
        /// Compensation benefit.
        Pch => "PCH",
        /// Mobility inclusion card.
        Cmi => "CMI",
        /// Disabled worker status and vocational orientation.
        Rqth => "RQTH",
        /// Medico-social orientation.
        Esms => "ESMS",
        /// Schooling plan.
        Pps => "PPS",
        /// Old-age insurance of a family carer.
        Avpf => "AVPF",
    }
);
str_enum!(
    /// Incapacity band of an evaluation.
    IncapacityBand {
        /// Under 50 %.
        Under50 => "under_50",
        /// 50 to 79 %.
        From50To79 => "50_79",
        /// 80 % and over.
        AtLeast80 => "80_plus",
    }
);
str_enum!(
    /// Outcome of a CDAPH decision.
    Outcome {
        /// Granted.
        Accord => "accord",
        /// Refused.
        Refus => "refus",
        /// Deferred.
        Sursis => "sursis",
        /// Not admissible.
        Irrecevable => "irrecevable",
        /// Implicit rejection (silence after 4 months).
        RejetImplicite => "rejet_implicite",
    }
);
str_enum!(
    /// Kind of an appeal.
    AppealKind {
        /// Mandatory prior administrative appeal (recours administratif prealable obligatoire).
        Rapo => "rapo",
    }
);
str_enum!(
    /// Outcome of an appeal.
    AppealOutcome {
        /// Not decided yet.
        Pending => "pending",
        /// Decision maintained.
        Maintained => "maintained",
        /// Decision reformed.
        Reformed => "reformed",
        /// Two months of silence.
        ImplicitRejection => "implicit_rejection",
    }
);
str_enum!(
    /// Kind of a document.
    DocumentKind {
        /// Request form, Cerfa 15692.
        RequestForm => "request_form",
        /// Medical certificate, Cerfa 15695.
        MedicalCertificate => "medical_certificate",
        /// Identity document of the person.
        IdentityDocument => "identity_document",
        /// Proof of address.
        ProofOfAddress => "proof_of_address",
        /// Family record book (minors).
        FamilyRecordBook => "family_record_book",
        /// Court judgment of a protection measure.
        CourtJudgment => "court_judgment",
        /// Identity document of the legal representative.
        RepresentativeIdentity => "representative_identity",
        /// Psychological assessment.
        PsychologicalAssessment => "psychological_assessment",
        /// Speech therapy assessment.
        SpeechAssessment => "speech_assessment",
        /// Occupational therapy assessment.
        OccupationalAssessment => "occupational_assessment",
        /// Hospital report.
        HospitalReport => "hospital_report",
        /// Eye annex to the medical certificate.
        VisionAnnex => "vision_annex",
        /// Hearing annex to the medical certificate.
        HearingAnnex => "hearing_annex",
        /// School assessment (GEVA-Sco).
        SchoolAssessment => "school_assessment",
        /// Notification letter of the CDAPH decisions.
        DecisionNotification => "decision_notification",
    }
);

/// A tenant: the MDPH of one departement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenant {
    /// Stable id.
    pub id: TenantId,
    /// Departement code.
    pub code: String,
    /// Name of the MDPH, e.g. `MDPH du Val-d'Oise`.
    pub name: String,
    /// Departement name.
    pub departement: String,
    /// Region name.
    pub region: String,
    /// Population of the departement.
    pub population: u64,
    /// Requests per 1,000 inhabitants (drawn between 11 and 107).
    pub request_rate_per_1000: u32,
    /// Mean processing time in days.
    pub mean_processing_days: u32,
}

/// A person: an applicant or a legal representative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    /// Stable id.
    pub id: PersonId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Sex.
    pub sex: Sex,
    /// First name (not a canary: not unique).
    pub first_name: String,
    /// Surname (canary: unique by construction, shared only with a parent in the same case file).
    pub surname: String,
    /// Birth date.
    pub birth_date: Date,
    /// Birth place: departement code, or INSEE country code for births abroad.
    pub birth_place_code: String,
    /// Birth place name.
    pub birth_place: String,
    /// NIR, 15 characters with a valid key (canary).
    pub nir: String,
    /// Street address (canary).
    pub address_line: String,
    /// Postcode of the commune.
    pub postcode: String,
    /// INSEE code of the commune.
    pub commune_code: String,
    /// Commune name.
    pub commune: String,
    /// Departement code of the address (the tenant's).
    pub departement: String,
    /// Phone, ten digits (canary).
    pub phone: Option<String>,
    /// Email under a reserved domain (canary).
    pub email: Option<String>,
    /// IBAN (canary).
    pub iban: Option<String>,
    /// Legal protection.
    pub protection: Protection,
}

/// A legal representation of a person by another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Representation {
    /// Stable id.
    pub id: RepresentationId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// The represented person.
    pub person_id: PersonId,
    /// The representative.
    pub representative_id: PersonId,
    /// Kind.
    pub kind: RepresentationKind,
    /// Start date.
    pub start_date: Date,
    /// End date (a parent's representation ends at the child's 18th birthday; a lifted curatelle ends on
    /// its lifting).
    pub end_date: Option<Date>,
}

/// A portal account (identity).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    /// Stable id.
    pub id: AccountId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Login: an email under a reserved domain.
    pub login: String,
    /// Deterministic strong password (20 characters).
    pub password: String,
    /// Role.
    pub role: Role,
    /// Function, for agents.
    pub function: Option<AgentFunction>,
    /// Display name.
    pub display_name: String,
    /// The person this account is (applicants and representatives).
    pub person_id: Option<PersonId>,
    /// The person this account represents (representatives).
    pub represented_person_id: Option<PersonId>,
}

/// A case file (dossier).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseFile {
    /// Stable id.
    pub id: CaseId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// The person the case is about.
    pub person_id: PersonId,
    /// Case number `{departement}-{year}-{sequence}` (canary).
    pub case_number: String,
    /// Adult or child.
    pub audience: Audience,
    /// First request or renewal.
    pub request_kind: RequestKind,
    /// Filing date.
    pub filing_date: Date,
    /// Admissibility date (none while filed, or when not admissible).
    pub admissibility_date: Option<Date>,
    /// Current status at the reference date.
    pub status: CaseStatus,
    /// Date the request form (Cerfa 15692) was signed.
    pub form_signed_date: Date,
    /// Date of the medical certificate (Cerfa 15695), less than 12 months before filing.
    pub medical_certificate_date: Date,
    /// Doctor who signed the certificate (not a canary).
    pub medical_certificate_doctor: String,
    /// PCH requested at 60 or later as a first request under the legal exception (onset before 60).
    pub pch_age_exception: bool,
}

/// A status change of a case file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusEvent {
    /// Stable id.
    pub id: StatusEventId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Case file.
    pub case_id: CaseId,
    /// New status.
    pub status: CaseStatus,
    /// Date.
    pub date: Date,
}

/// A right requested in a case file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RightRequest {
    /// Stable id.
    pub id: RequestId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Case file.
    pub case_id: CaseId,
    /// Right.
    pub right: Right,
    /// Detail: PCH element, CMI mention, orientation...
    pub detail: String,
}

/// A document of a case file (metadata; bytes on demand, see [`crate::World::document_bytes`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// Stable id.
    pub id: DocumentId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Case file.
    pub case_id: CaseId,
    /// The person it is about.
    pub person_id: PersonId,
    /// Kind.
    pub kind: DocumentKind,
    /// File name (canary).
    pub file_name: String,
    /// MIME type (`application/pdf`).
    pub content_type: String,
    /// Size in bytes of the PDF.
    pub size: u64,
    /// Unique reference printed in the document (canary).
    pub reference: String,
    /// Date issued or received.
    pub issued_date: Date,
}

/// The evaluation of a case file by the multidisciplinary team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Stable id.
    pub id: EvaluationId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Case file.
    pub case_id: CaseId,
    /// The evaluating agent.
    pub evaluator_id: AccountId,
    /// Date.
    pub date: Date,
    /// Incapacity band.
    pub band: IncapacityBand,
    /// Lasting and substantial restriction on access to work (meaningful at 50-79 %).
    pub work_restriction: bool,
    /// Whether an improvement is expected.
    pub improvement_expected: bool,
}

/// One CDAPH decision on a requested right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Stable id.
    pub id: DecisionId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Case file.
    pub case_id: CaseId,
    /// The request decided.
    pub request_id: RequestId,
    /// Right.
    pub right: Right,
    /// Decision number `{case number}-{right}` (canary).
    pub number: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Date of the decision.
    pub decision_date: Date,
    /// Start of validity (granted rights).
    pub start_date: Option<Date>,
    /// End of validity (none when granted with no time limit).
    pub end_date: Option<Date>,
    /// Granted with no time limit.
    pub no_time_limit: bool,
    /// Reason of a refusal.
    pub refusal_reason: Option<String>,
    /// Who is notified, `|`-separated (`usager`, `representant`, `caf`, `departement`...).
    pub notified_to: String,
    /// Notification date.
    pub notification_date: Option<Date>,
    /// Text of the decision (canary).
    pub text: String,
}

/// An appeal against a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appeal {
    /// Stable id.
    pub id: AppealId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Case file.
    pub case_id: CaseId,
    /// Decision appealed.
    pub decision_id: DecisionId,
    /// Kind.
    pub kind: AppealKind,
    /// Filing date (within 2 months of notification).
    pub filed_date: Date,
    /// Outcome.
    pub outcome: AppealOutcome,
    /// Outcome date.
    pub outcome_date: Option<Date>,
}

/// A case note written by an agent: free text, the most sensitive field in practice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// Stable id.
    pub id: NoteId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Case file.
    pub case_id: CaseId,
    /// Author (an agent account).
    pub author_id: AccountId,
    /// Date.
    pub date: Date,
    /// Text (canary).
    pub text: String,
}

/// Everything generated for one case file: the applicant, representatives and their accounts, the case file
/// and its records. The unit of generation, of streaming and of the realism checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseBundle {
    /// The applicant first, then representatives.
    pub persons: Vec<Person>,
    /// Legal representations of the applicant.
    pub representations: Vec<Representation>,
    /// Portal accounts of the applicant and representatives.
    pub accounts: Vec<Account>,
    /// The case file.
    pub case_file: CaseFile,
    /// Status history, in date order.
    pub status_events: Vec<StatusEvent>,
    /// Requested rights.
    pub requests: Vec<RightRequest>,
    /// Documents.
    pub documents: Vec<Document>,
    /// Evaluation, once done.
    pub evaluation: Option<Evaluation>,
    /// Decisions, once taken.
    pub decisions: Vec<Decision>,
    /// Appeals.
    pub appeals: Vec<Appeal>,
    /// Agent notes.
    pub notes: Vec<Note>,
}
