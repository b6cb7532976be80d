//! The eleven realism checks of the domain reference (`mdph.md`) and seven more, as reusable functions over
//! typed records, and a [`Verifier`] that runs them all over any number of case files (in memory or
//! streamed) and reports.
//!
//! | # | check |
//! |---|---|
//! | 1 | every NIR has a valid key; its sex, year and month agree with the person |
//! | 2 | AEEH only under 20; AAH only from 20; PCH first request before 60 unless excepted |
//! | 3 | AAH granted implies >= 50 %; 50-79 % implies the work restriction; no time limit implies >= 80 % and no expected improvement; CMI invalidite implies >= 80 % |
//! | 4 | decision >= admissibility >= filing; medical certificate not older than 12 months at filing; RAPO within 2 months of notification |
//! | 5 | validity never exceeds the legal maximum of its right; AEEH ends by the 20th birthday |
//! | 6 | minors have a representative; protected adults have a judgment document |
//! | 7 | address postcode, commune and departement agree with each other and with the tenant |
//! | 8 | every document, decision, note and notification has the tenant of its case file |
//! | 9 | same seed and version give byte-identical output whatever the thread count ([`check_determinism`]) |
//! | 10 | aggregate shares (rights, outcomes, child/adult) within 2 points of the weights ([`Stats::check_shares`]) |
//! | 11 | IBANs and RIB keys valid; emails only under reserved domains |
//!
//! Checks beyond the domain reference's eleven (issue 11: what a domain expert or a safety review sees):
//!
//! | # | check |
//! |---|---|
//! | 12 | every NIR is in a range no real person has ([`crate::ident::nir_place_is_reserved`]), unless real birth communes were opted in |
//! | 13 | the place of birth is coded as INSEE coded it at the birth date (Corsica `20` before 1976, `2A`/`2B` since) and the NIR's place part agrees with it |
//! | 14 | each decision is notified to whom the representation in force on its date says: a minor's parents, a tutor or empowered family member alone; a person under curatelle and the curator; an adult without a measure (18-19-year-olds included) alone |
//! | 15 | a schooling plan (PPS) only from school age (3 at filing); every representative of age when the representation starts |
//! | 16 | CDAPH decisions on working days of the tenant (no weekend, no public holiday); in notes, a commission date is a working day after the note and not after the case file's decision, and a past event is dated between the filing and the note |
//! | 17 | values shared within a case file are shared as documented ([`crate::canary`]): a surname and an address line only by a child's household (the child and its parents); NIR, phone, email and IBAN never |
//! | 18 | population: shares born abroad, of the first seven countries of birth, of residents of their departement of birth, and of each first name in its decade, within 2 points of the cited figures ([`Stats::check_population`]); no first name outside its decade's list |

use crate::config::{GenConfig, Weights};
use crate::date::Date;
use crate::draw::legal_max_months;
use crate::geo::{geo, postcode_prefix};
use crate::ident::{iban_is_valid, nir_is_valid, nir_place_is_reserved};
use crate::model::*;
use crate::text::CMI_INVALIDITE;

/// Result of one check on one record: `Err` says what is wrong.
pub type CheckResult = Result<(), String>;

fn fail(msg: String) -> CheckResult {
    Err(msg)
}

fn band_of(c: &CaseBundle) -> Option<IncapacityBand> {
    c.evaluation.as_ref().map(|e| e.band)
}

/// Check 1: the NIR has a valid key and agrees with sex, birth year and month.
pub fn check_nir(p: &Person) -> CheckResult {
    if !nir_is_valid(&p.nir) {
        return fail(format!("person {}: NIR {} has an invalid key", p.id, p.nir));
    }
    let b = p.nir.as_bytes();
    let sex = if p.sex == Sex::Male { b'1' } else { b'2' };
    let (y, m, _) = p.birth_date.ymd();
    let yy = format!("{:02}", y % 100);
    let mm = format!("{m:02}");
    if b[0] != sex || p.nir[1..3] != yy || p.nir[3..5] != mm {
        return fail(format!(
            "person {}: NIR {} disagrees with sex {} / birth {}",
            p.id, p.nir, p.sex, p.birth_date
        ));
    }
    Ok(())
}

/// Check 12: the NIR's place part is in a range no real person has (commune part `000`, or `990` and two
/// digits for a birth abroad), so a generated NIR can never be a real person's.
pub fn check_nir_reserved(p: &Person) -> CheckResult {
    if nir_place_is_reserved(&p.nir) {
        Ok(())
    } else {
        fail(format!(
            "person {}: NIR {} has a place part {} that a real person may have",
            p.id,
            p.nir,
            p.nir.get(5..10).unwrap_or("?")
        ))
    }
}

/// Check 13: the place of birth is coded as INSEE coded it at the birth date (Corsica: departement `20`
/// before 1976, `2A` or `2B` since), and the NIR's place part agrees with it: the same departement (or the
/// reserved `00` of a departement whose own range is full), or the reserved `990` range for a birth abroad.
pub fn check_birthplace(p: &Person) -> CheckResult {
    let code = p.birth_place_code.as_str();
    let nir_place = p.nir.get(5..10).unwrap_or("");
    let bad = |why: &str| {
        fail(format!(
            "person {} born {} in {code} ({}), NIR {}: {why}",
            p.id, p.birth_date, p.birth_place, p.nir
        ))
    };
    if code.starts_with("99") {
        if code.len() != 5 || !nir_place.starts_with("990") {
            return bad("a birth abroad needs a country code and a NIR place part 990xx");
        }
        return Ok(());
    }
    let dept = match code.len() {
        5 if code.starts_with("97") => &code[..3],
        5 => &code[..2],
        _ => code,
    };
    let corsica = matches!(dept, "20" | "2A" | "2B");
    let before_split = p.birth_date < crate::render::CORSICA_SPLIT;
    if corsica && (dept == "20") != before_split {
        return bad("Corsica is 20 for births before 1976 and 2A/2B since");
    }
    if dept == "20" && p.birth_place != "Corse" {
        return bad("departement 20 is Corse");
    }
    if !(nir_place.starts_with(dept) || nir_place.starts_with("00")) {
        return bad("the NIR's departement of birth disagrees");
    }
    Ok(())
}

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

/// Check 2: age eligibility of the requested rights (age at filing).
pub fn check_eligibility(c: &CaseBundle) -> CheckResult {
    let cf = &c.case_file;
    let applicant = &c.persons[0];
    let age = applicant.birth_date.age_on(cf.filing_date);
    for r in &c.requests {
        match r.right {
            Right::Aeeh if age >= 20 => {
                return fail(format!("case {}: AEEH requested at {age}", cf.id));
            }
            Right::Aah if age < 20 => {
                return fail(format!("case {}: AAH requested at {age}", cf.id));
            }
            Right::Pch
                if age >= 60 && cf.request_kind == RequestKind::First && !cf.pch_age_exception =>
            {
                return fail(format!(
                    "case {}: first PCH request at {age} without the exception",
                    cf.id
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Check 3: decisions agree with the incapacity rate.
pub fn check_rates(c: &CaseBundle) -> CheckResult {
    let id = c.case_file.id;
    for d in c.decisions.iter().filter(|d| d.outcome == Outcome::Accord) {
        let band =
            band_of(c).ok_or_else(|| format!("case {id}: granted decision without evaluation"))?;
        let ev = c
            .evaluation
            .as_ref()
            .ok_or_else(|| format!("case {id}: no evaluation"))?;
        if d.right == Right::Aah {
            if band == IncapacityBand::Under50 {
                return fail(format!("case {id}: AAH granted under 50 %"));
            }
            if band == IncapacityBand::From50To79 && !ev.work_restriction {
                return fail(format!(
                    "case {id}: AAH granted at 50-79 % without the work restriction"
                ));
            }
        }
        if d.no_time_limit && (band != IncapacityBand::AtLeast80 || ev.improvement_expected) {
            return fail(format!(
                "case {id}: {} granted with no time limit at {band}",
                d.right
            ));
        }
        let detail = c
            .requests
            .iter()
            .find(|r| r.id == d.request_id)
            .map(|r| r.detail.as_str());
        if d.right == Right::Cmi
            && detail == Some(CMI_INVALIDITE)
            && band != IncapacityBand::AtLeast80
        {
            return fail(format!("case {id}: CMI invalidite granted at {band}"));
        }
    }
    Ok(())
}

/// Check 4: dates in order; certificate less than 12 months old at filing; RAPO within 2 months.
pub fn check_dates(c: &CaseBundle) -> CheckResult {
    let cf = &c.case_file;
    let id = cf.id;
    if cf.medical_certificate_date > cf.filing_date
        || cf.medical_certificate_date.add_months(12) < cf.filing_date
    {
        return fail(format!(
            "case {id}: certificate {} not within 12 months before filing {}",
            cf.medical_certificate_date, cf.filing_date
        ));
    }
    if let Some(a) = cf.admissibility_date
        && a < cf.filing_date
    {
        return fail(format!(
            "case {id}: admissibility {a} before filing {}",
            cf.filing_date
        ));
    }
    for d in &c.decisions {
        let floor = cf.admissibility_date.unwrap_or(cf.filing_date);
        if d.decision_date < floor {
            return fail(format!(
                "case {id}: decision {} before admissibility/filing {floor}",
                d.decision_date
            ));
        }
        if let Some(n) = d.notification_date
            && n < d.decision_date
        {
            return fail(format!(
                "case {id}: notification {n} before decision {}",
                d.decision_date
            ));
        }
    }
    for a in &c.appeals {
        let d = c
            .decisions
            .iter()
            .find(|d| d.id == a.decision_id)
            .ok_or_else(|| format!("case {id}: appeal of an unknown decision"))?;
        let n = d
            .notification_date
            .ok_or_else(|| format!("case {id}: appeal of an unnotified decision"))?;
        if a.filed_date < n || a.filed_date > n.add_months(2) {
            return fail(format!(
                "case {id}: RAPO filed {} not within 2 months of notification {n}",
                a.filed_date
            ));
        }
    }
    if c.status_events.windows(2).any(|w| w[1].date < w[0].date) {
        return fail(format!("case {id}: status history out of order"));
    }
    Ok(())
}

/// Check 5: validity within the legal maximum; AEEH ends by the 20th birthday.
pub fn check_validity(c: &CaseBundle) -> CheckResult {
    let id = c.case_file.id;
    let birth = c.persons[0].birth_date;
    let band = band_of(c).unwrap_or(IncapacityBand::Under50);
    for d in c.decisions.iter().filter(|d| d.outcome == Outcome::Accord) {
        let (Some(start), end) = (d.start_date, d.end_date) else {
            return fail(format!(
                "case {id}: granted {} without a start date",
                d.right
            ));
        };
        let Some(end) = end else {
            if d.no_time_limit {
                continue;
            }
            return fail(format!(
                "case {id}: granted {} without end date nor 'no time limit'",
                d.right
            ));
        };
        let until_20 = d.right == Right::Aeeh
            && band == IncapacityBand::AtLeast80
            && c.evaluation
                .as_ref()
                .is_some_and(|e| !e.improvement_expected);
        let max = legal_max_months(d.right, band) as i32;
        if end < start || (!until_20 && end > start.add_months(max).add_days(-1)) {
            return fail(format!(
                "case {id}: {} valid {start}..{end}, beyond {max} months",
                d.right
            ));
        }
        if d.right == Right::Aeeh && end > birth.add_years(20).add_days(-1) {
            return fail(format!(
                "case {id}: AEEH ends {end}, after the 20th birthday"
            ));
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

/// Check 7: the address agrees with itself and with the tenant.
pub fn check_address(p: &Person, tenant_code: &str) -> CheckResult {
    let g = geo();
    let commune = g.commune_by_code(&p.commune_code);
    let Some(commune) = commune else {
        return fail(format!(
            "person {}: unknown commune {}",
            p.id, p.commune_code
        ));
    };
    let dept = g.departements[commune.departement].code;
    if commune.name != p.commune || !commune.postcodes.contains(&p.postcode.as_str()) {
        return fail(format!(
            "person {}: postcode {} / commune {} disagree",
            p.id, p.postcode, p.commune
        ));
    }
    if dept != p.departement
        || dept != tenant_code
        || !p.postcode.starts_with(postcode_prefix(dept))
    {
        return fail(format!(
            "person {}: commune {} ({dept}) not in tenant {tenant_code}",
            p.id, p.commune
        ));
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

/// Whether an email is under a reserved domain (RFC 2606/6761: example.org, example.net, .test).
pub fn is_reserved_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && (domain == "example.org"
            || domain == "example.net"
            || domain.ends_with(".example.org")
            || domain.ends_with(".example.net")
            || domain.ends_with(".test"))
}

/// Check 11: IBAN valid; emails and logins under reserved domains.
pub fn check_identifiers(c: &CaseBundle) -> CheckResult {
    for p in &c.persons {
        if let Some(iban) = &p.iban
            && !iban_is_valid(iban)
        {
            return fail(format!("person {}: invalid IBAN {iban}", p.id));
        }
        if let Some(email) = &p.email
            && !is_reserved_email(email)
        {
            return fail(format!(
                "person {}: email {email} not under a reserved domain",
                p.id
            ));
        }
    }
    check_accounts(&c.accounts)
}

/// Check 11 for accounts: logins under reserved domains.
pub fn check_accounts(accounts: &[Account]) -> CheckResult {
    match accounts.iter().find(|a| !is_reserved_email(&a.login)) {
        Some(a) => fail(format!(
            "account {}: login {} not under a reserved domain",
            a.id, a.login
        )),
        None => Ok(()),
    }
}

/// Check 9: the streamed output of `config` is byte-identical with `threads_a` and `threads_b` threads
/// (compared through per-file digests of the JSONL output).
pub fn check_determinism(
    config: &GenConfig,
    threads_a: usize,
    threads_b: usize,
) -> Result<(), String> {
    let digest = |threads| {
        crate::stream::digest_world(config, crate::emit::Format::Jsonl, threads)
            .map_err(|e| e.to_string())
    };
    let (a, b) = (digest(threads_a)?, digest(threads_b)?);
    if a == b {
        Ok(())
    } else {
        Err(format!(
            "output differs between {threads_a} and {threads_b} threads"
        ))
    }
}

/// Counters for the aggregate shares of check 10.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Case files by audience: adult, child.
    pub cases: [u64; 2],
    /// Requests per right, by audience (adult, child).
    pub requests: [[u64; 8]; 2],
    /// AAH decisions (accord or refus) by request kind (first, renewal): (granted, total).
    pub aah: [(u64, u64); 2],
    /// AAH refusals by band (under 50, 50-79 without restriction, other).
    pub aah_refusals: [u64; 3],
    /// AAH grants by band (80+, 50-79).
    pub aah_grants: [u64; 2],
    /// Persons, and those born abroad.
    pub persons: [u64; 2],
    /// Persons born abroad, by row of [`crate::ident::BIRTH_COUNTRIES`].
    pub countries: Vec<u64>,
    /// Persons born in France, and those living in their departement of birth.
    pub born_in_france: [u64; 2],
    /// First names by flat index ([`crate::text::first_name_at`]).
    pub first_names: Vec<u64>,
    /// Persons whose first name is not in the list of their decade, sex and origin.
    pub first_names_elsewhere: u64,
}

/// The departement part of a birthplace code (`75`, `2A`, `20`, `971`; a commune code's departement), or
/// `None` for a country.
fn birth_departement(code: &str) -> Option<&str> {
    if code.starts_with("99") {
        return None;
    }
    Some(match code.len() {
        5 if code.starts_with("97") => &code[..3],
        5 => &code[..2],
        _ => code,
    })
}

/// Below this many observations a share is not compared (check 10 only makes sense at scale).
pub const MIN_OBSERVATIONS: u64 = 2_000;

impl Stats {
    /// Count the population figures of one case file's persons.
    fn observe_persons(&mut self, c: &CaseBundle) {
        use crate::ident::{BIRTH_COUNTRIES, maghreb_or_turkey};
        use crate::text::{FIRST_NAME_LISTS, first_name_list};
        if self.countries.is_empty() {
            self.countries = vec![0; BIRTH_COUNTRIES.len()];
            self.first_names = vec![0; FIRST_NAME_LISTS * 10];
        }
        for p in &c.persons {
            self.persons[0] += 1;
            let code = p.birth_place_code.as_str();
            match birth_departement(code) {
                None => {
                    self.persons[1] += 1;
                    if let Some(k) = BIRTH_COUNTRIES.iter().position(|x| x.0 == code) {
                        self.countries[k] += 1;
                    }
                }
                Some(dept) => {
                    self.born_in_france[0] += 1;
                    let home = p.departement.as_str();
                    let corsica = |d: &str| matches!(d, "20" | "2A" | "2B");
                    if dept == home || (dept == "20" && corsica(home)) {
                        self.born_in_france[1] += 1;
                    }
                }
            }
            let sex = if p.sex == Sex::Female { 2 } else { 1 };
            let (list, names) = first_name_list(p.birth_date.year(), sex, maghreb_or_turkey(code));
            match names.iter().position(|n| *n == p.first_name) {
                Some(r) => self.first_names[list * 10 + r] += 1,
                None => self.first_names_elsewhere += 1,
            }
        }
    }

    /// Check 18: the population figures within `tolerance` of the cited ones (the share born abroad, of
    /// each of the first seven countries among them, of residents of their departement of birth among
    /// those born in France, of each first name in the list of its decade and sex), and no first name
    /// outside its list. Returns the comparisons and the failures, like [`Stats::check_shares`].
    pub fn check_population(&self, tolerance: f64) -> (Vec<(String, f64, f64)>, Vec<String>) {
        use crate::birth::{BORN_ABROAD, NATIVE};
        use crate::ident::BIRTH_COUNTRIES;
        use crate::text::{FIRST_NAME_LISTS, first_name_at, first_name_weight};
        let mut compared = Vec::new();
        let mut failures = Vec::new();
        let mut cmp = |name: String, num: u64, den: u64, expected: f64| {
            if den < MIN_OBSERVATIONS {
                return;
            }
            let observed = num as f64 / den as f64;
            if (observed - expected).abs() > tolerance {
                failures.push(format!(
                    "{name}: {:.2} % observed, {:.2} % expected",
                    observed * 100.0,
                    expected * 100.0
                ));
            }
            compared.push((name, observed, expected));
        };
        cmp(
            "born abroad".into(),
            self.persons[1],
            self.persons[0],
            BORN_ABROAD,
        );
        let shares: f64 = BIRTH_COUNTRIES.iter().map(|c| c.2).sum();
        for (k, (_, name, share)) in BIRTH_COUNTRIES.iter().enumerate().take(7) {
            let n = self.countries.get(k).copied().unwrap_or(0);
            cmp(
                format!("born in {name}, of those born abroad"),
                n,
                self.persons[1],
                share / shares,
            );
        }
        cmp(
            "living in their departement of birth, of those born in France".into(),
            self.born_in_france[1],
            self.born_in_france[0],
            NATIVE,
        );
        for list in 0..FIRST_NAME_LISTS {
            let counts = self
                .first_names
                .get(list * 10..list * 10 + 10)
                .unwrap_or(&[]);
            let total: u64 = counts.iter().sum();
            for (r, n) in counts.iter().enumerate() {
                let decade = crate::text::FIRST_NAMES_BY_DECADE
                    .get(list / 2)
                    .map_or_else(|| "Maghreb/Turkey".to_string(), |d| format!("{}s", d.0));
                cmp(
                    format!(
                        "first name {} ({decade}, {})",
                        first_name_at(list * 10 + r),
                        ["F", "M"][list % 2]
                    ),
                    *n,
                    total,
                    first_name_weight(r),
                );
            }
        }
        if self.first_names_elsewhere > 0 {
            failures.push(format!(
                "{} persons have a first name outside the list of their decade, sex and origin",
                self.first_names_elsewhere
            ));
        }
        (compared, failures)
    }

    /// Count one case file.
    pub fn observe(&mut self, c: &CaseBundle) {
        self.observe_persons(c);
        let a = usize::from(c.case_file.audience == Audience::Child);
        self.cases[a] += 1;
        for r in &c.requests {
            self.requests[a][r.right as usize] += 1;
        }
        let k = usize::from(c.case_file.request_kind == RequestKind::Renewal);
        for d in c.decisions.iter().filter(|d| d.right == Right::Aah) {
            let ev = c.evaluation.as_ref();
            match d.outcome {
                Outcome::Accord => {
                    self.aah[k].0 += 1;
                    self.aah[k].1 += 1;
                    let at80 = ev.is_some_and(|e| e.band == IncapacityBand::AtLeast80);
                    self.aah_grants[usize::from(!at80)] += 1;
                }
                Outcome::Refus => {
                    self.aah[k].1 += 1;
                    let i = match ev.map(|e| (e.band, e.work_restriction)) {
                        Some((IncapacityBand::Under50, _)) => 0,
                        Some((IncapacityBand::From50To79, false)) => 1,
                        _ => 2,
                    };
                    self.aah_refusals[i] += 1;
                }
                _ => {}
            }
        }
    }

    /// Add another counter set.
    pub fn merge(&mut self, o: &Stats) {
        for i in 0..2 {
            self.cases[i] += o.cases[i];
            for r in 0..8 {
                self.requests[i][r] += o.requests[i][r];
            }
            self.aah[i].0 += o.aah[i].0;
            self.aah[i].1 += o.aah[i].1;
            self.aah_grants[i] += o.aah_grants[i];
        }
        for i in 0..3 {
            self.aah_refusals[i] += o.aah_refusals[i];
        }
        for i in 0..2 {
            self.persons[i] += o.persons[i];
            self.born_in_france[i] += o.born_in_france[i];
        }
        for (mine, theirs) in [
            (&mut self.countries, &o.countries),
            (&mut self.first_names, &o.first_names),
        ] {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        self.first_names_elsewhere += o.first_names_elsewhere;
    }

    /// Check 10: every observed share within `tolerance` (0.02 = 2 points) of its weight. Returns the
    /// comparisons made (name, observed, expected) and the failures; shares with fewer than
    /// [`MIN_OBSERVATIONS`] observations are skipped.
    pub fn check_shares(
        &self,
        w: &Weights,
        tolerance: f64,
    ) -> (Vec<(String, f64, f64)>, Vec<String>) {
        let mut compared = Vec::new();
        let mut failures = Vec::new();
        let mut cmp = |name: String, num: u64, den: u64, expected: f64| {
            if den < MIN_OBSERVATIONS {
                return;
            }
            let observed = num as f64 / den as f64;
            if (observed - expected).abs() > tolerance {
                failures.push(format!(
                    "{name}: {:.2} % observed, {:.2} % expected",
                    observed * 100.0,
                    expected * 100.0
                ));
            }
            compared.push((name, observed, expected));
        };
        let total_cases = self.cases[0] + self.cases[1];
        cmp(
            "child case files".into(),
            self.cases[1],
            total_cases,
            w.child_share,
        );
        for (a, shares, label) in [(0, &w.adult_rights, "adult"), (1, &w.child_rights, "child")] {
            let total: u64 = self.requests[a].iter().sum();
            for r in Right::ALL {
                cmp(
                    format!("{label} requests {r}"),
                    self.requests[a][*r as usize],
                    total,
                    shares.get(*r),
                );
            }
        }
        let (g0, t0) = self.aah[0];
        let (g1, t1) = self.aah[1];
        cmp(
            "AAH approval, first requests".into(),
            g0,
            t0,
            w.aah_approval_first,
        );
        cmp(
            "AAH approval, renewals".into(),
            g1,
            t1,
            w.aah_approval_renewal,
        );
        cmp(
            "AAH approval overall".into(),
            g0 + g1,
            t0 + t1,
            w.aah_approval(),
        );
        let refusals: u64 = self.aah_refusals.iter().sum();
        cmp(
            "AAH refusals under 50 %".into(),
            self.aah_refusals[0],
            refusals,
            w.aah_refusal_under_50,
        );
        cmp(
            "AAH refusals 50-79 % without restriction".into(),
            self.aah_refusals[1],
            refusals,
            w.aah_refusal_50_79_no_restriction,
        );
        let grants = self.aah_grants[0] + self.aah_grants[1];
        cmp(
            "AAH grants at 80 % and over".into(),
            self.aah_grants[0],
            grants,
            w.aah_granted_80_plus,
        );
        (compared, failures)
    }
}

/// Number of checks.
pub const CHECKS: usize = 18;

/// Names of the checks, indexed from 1.
pub const CHECK_NAMES: [&str; CHECKS] = [
    "NIR key, sex, year and month",
    "age eligibility (AEEH, AAH, PCH)",
    "decisions agree with the incapacity rate",
    "dates in order, certificate < 12 months, RAPO within 2 months",
    "validity within the legal maximum, AEEH by 20",
    "minors represented, protected adults with a judgment",
    "postcode, commune, departement and tenant agree",
    "every record has the tenant of its case file",
    "byte-identical output whatever the thread count",
    "aggregate shares within 2 points of the weights",
    "valid IBANs, emails under reserved domains",
    "NIRs in a range no real person has",
    "birthplace coded as at the birth date (Corsica 20 before 1976), NIR agrees",
    "decisions notified as the representation in force on their date says",
    "schooling plans from 3, representatives of age when appointed",
    "CDAPH sittings on working days; note dates consistent",
    "values shared within a case file only as documented",
    "population: births abroad, countries, departement of birth, first names by decade",
];

/// Outcome of one check over a world.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckTally {
    /// Records checked.
    pub checked: u64,
    /// Records that failed.
    pub failed: u64,
    /// A few failure messages.
    pub examples: Vec<String>,
}

impl CheckTally {
    fn record(&mut self, r: CheckResult) {
        self.checked += 1;
        if let Err(e) = r {
            self.failed += 1;
            if self.examples.len() < 5 {
                self.examples.push(e);
            }
        }
    }
}

/// Runs every per-record check (1-8, 11-17) and gathers the statistics of checks 10 and 18 over a world,
/// case by case.
#[derive(Debug, Clone)]
pub struct Verifier {
    reference: Date,
    real_birth_communes: bool,
    /// Tallies of checks 1..=[`CHECKS`] (index 0 is check 1; 9 and 10 are filled by [`Verifier::finish`]).
    pub tallies: [CheckTally; CHECKS],
    /// Check 10 counters.
    pub stats: Stats,
}

impl Verifier {
    /// A verifier for worlds with this reference date (and safe NIRs).
    pub fn new(reference: Date) -> Verifier {
        Verifier {
            reference,
            real_birth_communes: false,
            tallies: Default::default(),
            stats: Stats::default(),
        }
    }

    /// A verifier for the worlds of `config` (check 12 is skipped when real birth communes were opted in).
    pub fn for_config(config: &GenConfig) -> Verifier {
        Verifier {
            real_birth_communes: config.real_birth_communes,
            ..Verifier::new(config.reference_date)
        }
    }

    /// Check one case file of tenant `tenant_code`.
    pub fn observe(&mut self, tenant_code: &str, c: &CaseBundle) {
        for p in &c.persons {
            self.tallies[0].record(check_nir(p));
            self.tallies[6].record(check_address(p, tenant_code));
            if !self.real_birth_communes {
                self.tallies[11].record(check_nir_reserved(p));
            }
            self.tallies[12].record(check_birthplace(p));
        }
        self.tallies[1].record(check_eligibility(c));
        self.tallies[2].record(check_rates(c));
        self.tallies[3].record(check_dates(c));
        self.tallies[4].record(check_validity(c));
        self.tallies[5].record(check_representation(c, self.reference));
        self.tallies[7].record(check_tenant(c));
        self.tallies[10].record(check_identifiers(c));
        self.tallies[13].record(check_notification(c));
        self.tallies[14].record(check_ages_and_roles(c));
        self.tallies[15].record(check_calendar(c, tenant_code, self.reference));
        self.tallies[16].record(check_shared_values(c));
        self.stats.observe(c);
    }

    /// Check agent and administrator accounts (check 11).
    pub fn observe_agents(&mut self, agents: &[Account]) {
        for a in agents {
            self.tallies[10].record(check_accounts(std::slice::from_ref(a)));
        }
    }

    /// Add another verifier's results (parallel verification).
    pub fn merge(&mut self, o: &Verifier) {
        for (a, b) in self.tallies.iter_mut().zip(&o.tallies) {
            a.checked += b.checked;
            a.failed += b.failed;
            for e in &b.examples {
                if a.examples.len() < 5 {
                    a.examples.push(e.clone());
                }
            }
        }
        self.stats.merge(&o.stats);
    }

    /// Complete with check 10 (shares against `weights`) and check 9 (the given determinism result), and
    /// return the report.
    pub fn finish(mut self, weights: &Weights, determinism: Option<Result<(), String>>) -> Report {
        let (mut compared, failures) = self.stats.check_shares(weights, 0.02);
        let t = &mut self.tallies[9];
        t.checked = compared.len() as u64;
        t.failed = failures.len() as u64;
        t.examples = failures;
        let (population, failures) = self.stats.check_population(0.02);
        let t = &mut self.tallies[17];
        t.checked = population.len() as u64 + 1;
        t.failed = failures.len() as u64;
        t.examples = failures.into_iter().take(5).collect();
        compared.extend(population);
        if let Some(det) = determinism {
            self.tallies[8].record(det);
        }
        Report {
            tallies: self.tallies,
            shares: compared,
        }
    }
}

/// The realism report of a world.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Tallies of checks 1..=[`CHECKS`].
    pub tallies: [CheckTally; CHECKS],
    /// Check 10 comparisons: name, observed, expected.
    pub shares: Vec<(String, f64, f64)>,
}

impl Report {
    /// Record the outcome of check 9 (determinism across thread counts).
    pub fn set_determinism(&mut self, result: Result<(), String>) {
        self.tallies[8] = CheckTally::default();
        self.tallies[8].record(result);
    }

    /// Whether every check that ran passed.
    pub fn passed(&self) -> bool {
        self.tallies.iter().all(|t| t.failed == 0)
    }

    /// A human-readable summary, one line per check.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (i, t) in self.tallies.iter().enumerate() {
            let verdict = if t.checked == 0 {
                "not run"
            } else if t.failed == 0 {
                "pass"
            } else {
                "FAIL"
            };
            s.push_str(&format!(
                "check {:>2} {verdict:<7} {:>10} checked {:>6} failed  {}\n",
                i + 1,
                t.checked,
                t.failed,
                CHECK_NAMES[i]
            ));
            for e in &t.examples {
                s.push_str(&format!("           {e}\n"));
            }
        }
        for (name, observed, expected) in &self.shares {
            s.push_str(&format!(
                "  share {name}: {:.2} % (weight {:.2} %)\n",
                observed * 100.0,
                expected * 100.0
            ));
        }
        s
    }
}

/// Run every check but 9 over an in-memory world (shares are compared from [`MIN_OBSERVATIONS`] on).
pub fn verify_world(world: &crate::World) -> Report {
    let mut v = Verifier::for_config(world.config());
    v.observe_agents(&world.agents);
    for c in &world.cases {
        let code = world
            .tenant(c.case_file.tenant_id)
            .map_or("", |t| t.code.as_str());
        v.observe(code, c);
    }
    v.finish(&world.config().weights, None)
}
