//! The checks of the decisions of a case file: age eligibility (2), incapacity rates (3), dates (4) and
//! validity (5).

use crate::draw::legal_max_months;
use crate::model::*;
use crate::text::CMI_INVALIDITE;

use super::{CheckResult, band_of, fail};

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
