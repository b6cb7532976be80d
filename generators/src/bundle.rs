//! Typed records from a draw: the in-memory path ([`crate::World`], realism checks). Every string comes from
//! [`crate::render`], exactly as in the streamed files.

use crate::draw::{CaseDraw, Drawer};
use crate::geo::geo;
use crate::model::*;
use crate::pdf;
use crate::plan::TenantPlan;
use crate::render;

/// Render with a scratch buffer into a `String`.
pub(crate) fn string(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut b = Vec::new();
    f(&mut b);
    String::from_utf8(b).expect("renderers write UTF-8")
}

fn opt_string(f: impl FnOnce(&mut Vec<u8>) -> bool) -> Option<String> {
    let mut b = Vec::new();
    if f(&mut b) {
        Some(String::from_utf8(b).expect("renderers write UTF-8"))
    } else {
        None
    }
}

/// Id helpers shared with the streaming writer.
pub(crate) mod ids {
    use crate::draw::{MAX_DOCS, MAX_NOTES, MAX_STATUS};
    use crate::model::{
        AppealId, CaseId, DecisionId, DocumentId, EvaluationId, NoteId, PersonId, RepresentationId,
        RequestId, StatusEventId,
    };

    pub fn case(g: u64) -> CaseId {
        CaseId(g + 1)
    }
    pub fn person(p: u64) -> PersonId {
        PersonId(p + 1)
    }
    pub fn representation(g: u64, k: usize) -> RepresentationId {
        RepresentationId(g * 2 + k as u64 + 1)
    }
    pub fn status(g: u64, k: usize) -> StatusEventId {
        StatusEventId(g * MAX_STATUS as u64 + k as u64 + 1)
    }
    pub fn request(g: u64, k: usize) -> RequestId {
        RequestId(g * 8 + k as u64 + 1)
    }
    pub fn decision(g: u64, k: usize) -> DecisionId {
        DecisionId(g * 8 + k as u64 + 1)
    }
    pub fn document(g: u64, k: usize) -> DocumentId {
        DocumentId(g * MAX_DOCS as u64 + k as u64 + 1)
    }
    pub fn note(g: u64, k: usize) -> NoteId {
        NoteId(g * MAX_NOTES as u64 + k as u64 + 1)
    }
    pub fn evaluation(g: u64) -> EvaluationId {
        EvaluationId(g + 1)
    }
    pub fn appeal(g: u64) -> AppealId {
        AppealId(g + 1)
    }
}

/// The tenant record of a plan entry.
pub fn tenant(tp: &TenantPlan) -> Tenant {
    let d = &geo().departements[tp.dept];
    Tenant {
        id: tp.id,
        code: d.code.to_string(),
        name: tp.name.clone(),
        departement: d.name.to_string(),
        region: d.region_name.to_string(),
        population: d.population,
        request_rate_per_1000: tp.request_rate,
        mean_processing_days: tp.mean_days,
    }
}

/// The account of agent `k` of a tenant.
pub fn agent(seed: u64, tp: &TenantPlan, k: u32) -> Account {
    let id = tp.agent_account(k);
    let (role, function) = tp.agent_role(k);
    Account {
        id,
        tenant_id: tp.id,
        login: string(|b| render::agent_login(b, seed, tp, k)),
        password: string(|b| render::password(b, seed, id.0)),
        role,
        function,
        display_name: string(|b| render::agent_display_name(b, seed, tp, k)),
        person_id: None,
        represented_person_id: None,
    }
}

/// The typed records of a drawn case file.
pub fn bundle(drawer: &Drawer, d: &CaseDraw) -> CaseBundle {
    let tp = drawer.tenant(d);
    let seed = drawer.config.seed;
    CaseBundle {
        persons: persons(tp, d),
        representations: representations(tp, d),
        accounts: accounts(seed, tp, d),
        case_file: case_file(tp, d),
        status_events: status_events(tp, d),
        requests: requests(tp, d),
        documents: documents(tp, d),
        evaluation: evaluation(tp, d),
        decisions: decisions(tp, d),
        appeals: appeals(tp, d),
        notes: notes(tp, d),
    }
}

/// The persons of a drawn case file.
fn persons(tp: &TenantPlan, d: &CaseDraw) -> Vec<Person> {
    let g = geo();
    d.persons()
        .map(|pd| {
            let commune = &g.communes[pd.commune as usize];
            Person {
                id: ids::person(pd.p),
                tenant_id: tp.id,
                sex: if pd.sex == 2 { Sex::Female } else { Sex::Male },
                first_name: render::first_name(pd).to_string(),
                surname: string(|b| render::surname(b, pd)),
                birth_date: pd.birth,
                birth_place_code: string(|b| render::birth_place_code(b, pd)),
                birth_place: render::birth_place_name(pd).to_string(),
                nir: string(|b| render::nir(b, pd)),
                address_line: string(|b| render::address_line(b, pd)),
                postcode: render::postcode(pd).to_string(),
                commune_code: commune.code.to_string(),
                commune: commune.name.to_string(),
                departement: g.departements[commune.departement].code.to_string(),
                phone: opt_string(|b| render::phone(b, pd)),
                email: opt_string(|b| render::email(b, pd)),
                iban: opt_string(|b| render::iban(b, pd)),
                protection: pd.protection,
            }
        })
        .collect()
}

/// The legal representations of the applicant.
fn representations(tp: &TenantPlan, d: &CaseDraw) -> Vec<Representation> {
    let applicant = ids::person(d.persons[0].p);
    d.reps
        .iter()
        .enumerate()
        .filter_map(|(k, r)| r.map(|r| (k, r)))
        .map(|(k, r)| Representation {
            id: ids::representation(d.g, k),
            tenant_id: tp.id,
            person_id: applicant,
            representative_id: ids::person(d.persons[r.slot as usize].p),
            kind: r.kind,
            start_date: r.start,
            end_date: r.end,
        })
        .collect()
}

/// The portal accounts of the persons who have one (the applicant, the representatives).
fn accounts(seed: u64, tp: &TenantPlan, d: &CaseDraw) -> Vec<Account> {
    let applicant = ids::person(d.persons[0].p);
    d.persons()
        .filter(|pd| pd.account)
        .map(|pd| {
            let pid = ids::person(pd.p);
            let rep = pd.slot() != 0;
            Account {
                id: AccountId(pid.0),
                tenant_id: tp.id,
                login: string(|b| {
                    render::email(b, pd);
                }),
                password: string(|b| render::password(b, seed, pid.0)),
                role: if rep {
                    Role::Representative
                } else {
                    Role::Applicant
                },
                function: None,
                display_name: string(|b| render::display_name(b, pd)),
                person_id: Some(pid),
                represented_person_id: if rep { Some(applicant) } else { None },
            }
        })
        .collect()
}

/// The case file itself.
fn case_file(tp: &TenantPlan, d: &CaseDraw) -> CaseFile {
    CaseFile {
        id: ids::case(d.g),
        tenant_id: tp.id,
        person_id: ids::person(d.persons[0].p),
        case_number: string(|b| render::case_number(b, tp, d)),
        audience: d.audience,
        request_kind: d.request_kind,
        filing_date: d.filing,
        admissibility_date: d.admissibility,
        status: render::current_status(d),
        form_signed_date: d.form_date,
        medical_certificate_date: d.certificate_date,
        medical_certificate_doctor: string(|b| render::doctor(b, d)),
        pch_age_exception: d.pch_exception,
    }
}

/// The status history.
fn status_events(tp: &TenantPlan, d: &CaseDraw) -> Vec<StatusEvent> {
    d.statuses()
        .iter()
        .enumerate()
        .map(|(k, (status, date))| StatusEvent {
            id: ids::status(d.g, k),
            tenant_id: tp.id,
            case_id: ids::case(d.g),
            status: *status,
            date: *date,
        })
        .collect()
}

/// The requested rights.
fn requests(tp: &TenantPlan, d: &CaseDraw) -> Vec<RightRequest> {
    d.rights()
        .iter()
        .enumerate()
        .map(|(k, r)| RightRequest {
            id: ids::request(d.g, k),
            tenant_id: tp.id,
            case_id: ids::case(d.g),
            right: r.right,
            detail: r.detail.to_string(),
        })
        .collect()
}

/// The documents (their metadata; the PDF bytes are produced on demand).
fn documents(tp: &TenantPlan, d: &CaseDraw) -> Vec<Document> {
    d.docs()
        .iter()
        .enumerate()
        .map(|(k, doc)| Document {
            id: ids::document(d.g, k),
            tenant_id: tp.id,
            case_id: ids::case(d.g),
            person_id: ids::person(d.persons[doc.slot as usize].p),
            kind: doc.kind,
            file_name: string(|b| render::document_file_name(b, tp, d, k)),
            content_type: "application/pdf".to_string(),
            size: pdf::size(doc.kind, doc.pad),
            reference: string(|b| render::document_reference(b, tp, d, k)),
            issued_date: doc.issued,
        })
        .collect()
}

/// The evaluation, once done.
fn evaluation(tp: &TenantPlan, d: &CaseDraw) -> Option<Evaluation> {
    d.evaluation.map(|(date, k)| Evaluation {
        id: ids::evaluation(d.g),
        tenant_id: tp.id,
        case_id: ids::case(d.g),
        evaluator_id: tp.agent_account(k),
        date,
        band: d.band,
        work_restriction: d.work_restriction,
        improvement_expected: d.improvement_expected,
    })
}

/// The decisions, once taken: one per requested right.
fn decisions(tp: &TenantPlan, d: &CaseDraw) -> Vec<Decision> {
    let Some(date) = d.decision_date else {
        return Vec::new();
    };
    d.rights()
        .iter()
        .enumerate()
        .map(|(k, r)| Decision {
            id: ids::decision(d.g, k),
            tenant_id: tp.id,
            case_id: ids::case(d.g),
            request_id: ids::request(d.g, k),
            right: r.right,
            number: string(|b| render::decision_number(b, tp, d, r.right)),
            outcome: r.outcome,
            decision_date: date,
            start_date: r.start,
            end_date: r.end,
            no_time_limit: r.no_time_limit,
            refusal_reason: r.reason.map(str::to_string),
            notified_to: r.notified_to.to_string(),
            notification_date: d.notification,
            text: string(|b| render::decision_text(b, tp, d, k)),
        })
        .collect()
}

/// The appeal, if any.
fn appeals(tp: &TenantPlan, d: &CaseDraw) -> Vec<Appeal> {
    d.appeal
        .iter()
        .map(|a| Appeal {
            id: ids::appeal(d.g),
            tenant_id: tp.id,
            case_id: ids::case(d.g),
            decision_id: ids::decision(d.g, a.right as usize),
            kind: AppealKind::Rapo,
            filed_date: a.filed,
            outcome: a.outcome,
            outcome_date: a.outcome_date,
        })
        .collect()
}

/// The agents' notes.
fn notes(tp: &TenantPlan, d: &CaseDraw) -> Vec<Note> {
    d.notes()
        .iter()
        .enumerate()
        .map(|(k, n)| Note {
            id: ids::note(d.g, k),
            tenant_id: tp.id,
            case_id: ids::case(d.g),
            author_id: tp.agent_account(n.author),
            date: n.date,
            text: string(|b| render::note_text(b, tp, d, k)),
        })
        .collect()
}
