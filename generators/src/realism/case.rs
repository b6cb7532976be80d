//! The checks of a case file as a whole: representation (6), tenant (8), notification (14), ages and
//! roles (15), calendar (16) and shared values (17).

use crate::date::Date;
use crate::model::*;

use super::{CheckResult, fail};

/// Check 14: each notified decision goes to whom the representation in force on its date says. Parents of
/// a minor, a tutor, a family member empowered to represent: the representative, not the person (they act
/// for the person); a curator: the person and the curator (civil code art. 467); no representation in
/// force (an adult, a child of 18 or more whose parents' authority ended, a lifted measure): the person
/// alone. A minor on the decision date always has a representative in force. Implicit rejections are not
/// notified.
pub fn check_notification(c: &CaseBundle) -> CheckResult {
    let id = c.case_file.id;
    let applicant = &c.persons[0];
    for d in &c.decisions {
        if d.outcome == Outcome::RejetImplicite {
            if !d.notified_to.is_empty() {
                return fail(format!("case {id}: an implicit rejection is notified"));
            }
            continue;
        }
        let date = d.decision_date;
        let rep = c.representations.iter().find(|r| {
            r.person_id == applicant.id
                && r.start_date <= date
                && r.end_date.is_none_or(|e| e > date)
        });
        let to: Vec<&str> = d.notified_to.split('|').collect();
        let (usager, representant) = (to.contains(&"usager"), to.contains(&"representant"));
        let expected = match rep.map(|r| r.kind) {
            None => (true, false),
            Some(RepresentationKind::Curateur) => (true, true),
            Some(_) => (false, true),
        };
        if applicant.birth_date.age_on(date) < 18 && rep.is_none() {
            return fail(format!(
                "case {id}: decision {} of {date} for a minor without a representative in force",
                d.number
            ));
        }
        if (usager, representant) != expected {
            return fail(format!(
                "case {id}: decision {} of {date} notified to {:?} under {:?}",
                d.number,
                d.notified_to,
                rep.map(|r| r.kind)
            ));
        }
    }
    Ok(())
}

/// Check 15: ages and roles. A schooling plan (PPS) is requested for a child of school age (3 or more at
/// filing); every representative (parent, tutor, curator, empowered family member) is 18 or more when the
/// representation starts.
pub fn check_ages_and_roles(c: &CaseBundle) -> CheckResult {
    let cf = &c.case_file;
    let applicant = &c.persons[0];
    let age = applicant.birth_date.age_on(cf.filing_date);
    if age < 3 && c.requests.iter().any(|r| r.right == Right::Pps) {
        return fail(format!(
            "case {}: schooling plan (PPS) requested at {age}",
            cf.id
        ));
    }
    for r in &c.representations {
        let Some(rep) = c.persons.iter().find(|p| p.id == r.representative_id) else {
            return fail(format!(
                "case {}: representative not in the case file",
                cf.id
            ));
        };
        let at = rep.birth_date.age_on(r.start_date);
        if at < 18 {
            return fail(format!(
                "case {}: {} {} aged {at} when the representation started on {}",
                cf.id, r.kind, rep.id, r.start_date
            ));
        }
    }
    Ok(())
}

/// The `DD/MM/YYYY` dates in a text, with the byte offset where each starts.
fn french_dates(text: &str) -> Vec<(usize, Date)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
    };
    let mut i = 0;
    while i + 10 <= b.len() {
        let shape = digit(i)
            && digit(i + 1)
            && b[i + 2] == b'/'
            && digit(i + 3)
            && digit(i + 4)
            && b[i + 5] == b'/'
            && (i + 6..i + 10).all(digit)
            && !digit(i + 10)
            && (i == 0 || !digit(i - 1));
        if shape {
            let (d, m, y) = (num(i..i + 2), num(i + 3..i + 5), num(i + 6..i + 10));
            if let Some(date) = Date::parse_iso(&format!("{y:04}-{m:02}-{d:02}")) {
                out.push((i, date));
            }
            i += 10;
        } else {
            i += 1;
        }
    }
    out
}

/// Check 16: the calendar. CDAPH decisions (granted, refused, deferred) are taken at a sitting, on a working
/// day of the tenant: no weekend, no public holiday ([`crate::date::is_public_holiday`]). In notes, a
/// commission date (`en commission du DD/MM/YYYY`) is a working day after the note and not after the case
/// file's decision (not after the reference date if undecided); any other date reports a past event: not
/// after the note, not before the filing.
pub fn check_calendar(c: &CaseBundle, tenant_code: &str, reference: Date) -> CheckResult {
    let cf = &c.case_file;
    let id = cf.id;
    let mut sitting = None;
    for d in &c.decisions {
        if matches!(
            d.outcome,
            Outcome::Accord | Outcome::Refus | Outcome::Sursis
        ) {
            if !d.decision_date.is_working_day(tenant_code) {
                return fail(format!(
                    "case {id}: CDAPH decision {} on {} (weekday {}), not a working day in {tenant_code}",
                    d.number,
                    d.decision_date,
                    d.decision_date.weekday() + 1
                ));
            }
            sitting = Some(d.decision_date);
        }
    }
    for n in &c.notes {
        for (at, date) in french_dates(&n.text) {
            let commission = n.text[..at].ends_with("commission du ");
            if commission {
                let latest = sitting.unwrap_or(reference);
                if date <= n.date || date > latest || !date.is_working_day(tenant_code) {
                    return fail(format!(
                        "case {id}: note of {} mentions a commission on {date} (decision {:?})",
                        n.date, sitting
                    ));
                }
            } else if date > n.date || date < cf.filing_date {
                return fail(format!(
                    "case {id}: note of {} reports an event of {date} (filing {})",
                    n.date, cf.filing_date
                ));
            }
        }
    }
    Ok(())
}

/// Check 17: what the canary registry says is shared is the only sharing ([`crate::canary`]). Within a case
/// file, two persons share a surname or an address line only if they are a child applicant and its
/// parents (a household); no two persons share a NIR, a phone, an email or an IBAN. (Across case files every one of these values is unique by construction.)
pub fn check_shared_values(c: &CaseBundle) -> CheckResult {
    let id = c.case_file.id;
    let applicant = c.persons[0].id;
    let parent = |p: PersonId| {
        c.representations.iter().any(|r| {
            r.kind == RepresentationKind::Parent
                && r.person_id == applicant
                && r.representative_id == p
        })
    };
    // Persons of a household: the applicant and their parents.
    let household = |a: &Person, b: &Person| {
        (a.id == applicant && parent(b.id))
            || (b.id == applicant && parent(a.id))
            || (parent(a.id) && parent(b.id))
    };
    for (i, a) in c.persons.iter().enumerate() {
        for b in &c.persons[i + 1..] {
            if a.surname == b.surname && !household(a, b) {
                return fail(format!(
                    "case {id}: persons {} and {} share the surname {}",
                    a.id, b.id, a.surname
                ));
            }
            if a.address_line == b.address_line && !household(a, b) {
                return fail(format!(
                    "case {id}: persons {} and {} share the address line {}",
                    a.id, b.id, a.address_line
                ));
            }
            let same = |x: &Option<String>, y: &Option<String>| x.is_some() && x == y;
            if a.nir == b.nir
                || same(&a.phone, &b.phone)
                || same(&a.email, &b.email)
                || same(&a.iban, &b.iban)
            {
                return fail(format!(
                    "case {id}: persons {} and {} share a NIR, phone, email or IBAN",
                    a.id, b.id
                ));
            }
        }
    }
    Ok(())
}

/// Check 6: minors have an active representative; protected adults a judgment document.
pub fn check_representation(c: &CaseBundle, reference: Date) -> CheckResult {
    let id = c.case_file.id;
    let applicant = &c.persons[0];
    if applicant.birth_date.age_on(reference) < 18
        && !c
            .representations
            .iter()
            .any(|r| r.person_id == applicant.id && r.end_date.is_none_or(|e| e > reference))
    {
        return fail(format!("case {id}: minor without an active representative"));
    }
    if applicant.protection != Protection::None {
        if !c
            .documents
            .iter()
            .any(|d| d.kind == DocumentKind::CourtJudgment)
        {
            return fail(format!(
                "case {id}: protected adult without a judgment document"
            ));
        }
        if !c
            .representations
            .iter()
            .any(|r| r.kind != RepresentationKind::Parent)
        {
            return fail(format!(
                "case {id}: protected adult without a protection representative"
            ));
        }
    }
    Ok(())
}

/// Check 8: every record of a case file has its tenant (and its case id).
pub fn check_tenant(c: &CaseBundle) -> CheckResult {
    let cf = &c.case_file;
    let t = cf.tenant_id;
    let bad = |what: &str| {
        fail(format!(
            "case {}: a {what} has another tenant or case",
            cf.id
        ))
    };
    if c.persons.iter().any(|x| x.tenant_id != t) {
        return bad("person");
    }
    if c.representations.iter().any(|x| x.tenant_id != t)
        || c.accounts.iter().any(|x| x.tenant_id != t)
    {
        return bad("representation or account");
    }
    if c.documents
        .iter()
        .any(|x| x.tenant_id != t || x.case_id != cf.id)
    {
        return bad("document");
    }
    if c.decisions
        .iter()
        .any(|x| x.tenant_id != t || x.case_id != cf.id)
    {
        return bad("decision or notification");
    }
    if c.notes
        .iter()
        .any(|x| x.tenant_id != t || x.case_id != cf.id)
    {
        return bad("note");
    }
    if c.status_events
        .iter()
        .any(|x| x.tenant_id != t || x.case_id != cf.id)
        || c.requests
            .iter()
            .any(|x| x.tenant_id != t || x.case_id != cf.id)
        || c.appeals
            .iter()
            .any(|x| x.tenant_id != t || x.case_id != cf.id)
        || c.evaluation
            .as_ref()
            .is_some_and(|x| x.tenant_id != t || x.case_id != cf.id)
    {
        return bad("status, request, appeal or evaluation");
    }
    Ok(())
}
