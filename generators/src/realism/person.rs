//! The checks of one person: NIR (1, 12), place of birth (13), address (7), identifiers and accounts (11).

use crate::geo::{geo, postcode_prefix};
use crate::ident::{iban_is_valid, nir_is_valid, nir_place_is_reserved};
use crate::model::*;

use super::{CheckResult, fail};

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
