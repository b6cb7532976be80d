//! Rendering of drawn values to text, appended to byte buffers. The single source of every string of a
//! world: typed records and streamed files both call these functions.

use std::sync::OnceLock;

use crate::birth::NirPlace;
use crate::date::Date;
use crate::draw::{CaseDraw, Drawer, EMAIL_DOMAINS, PersonDraw};
use crate::geo::geo;
use crate::ident::{
    BANK_CODES, BIRTH_COUNTRIES, account_number, permute, phone_suffix, push2, write_agent_surname,
    write_iban, write_nir, write_phone,
};
use crate::model::{CaseStatus, DocumentKind, Outcome, Right};
use crate::plan::TenantPlan;
use crate::rng::{Domain, StreamFactory};
use crate::text;

const ADDRESS_KEY: u64 = 0x4144_4452_4553_5321;

fn road_types_lower() -> &'static [String] {
    static ROADS: OnceLock<Vec<String>> = OnceLock::new();
    ROADS.get_or_init(|| {
        text::road_types()
            .iter()
            .map(|r| r.to_lowercase())
            .collect()
    })
}

/// How many distinct address lines exist.
pub fn address_space() -> u64 {
    199 * road_types_lower().len() as u64 * text::STREET_NAMES.len() as u64 * 8 * 60
}

/// Append a decimal number.
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// First name of a drawn person (chosen by the draw from the names of their decade of birth, sex and
/// origin: see [`crate::text::first_name_list`]).
pub fn first_name(pd: &PersonDraw) -> &'static str {
    text::first_name_at(usize::from(pd.first_name))
}

/// `Mme` or `M.`.
pub fn civility(pd: &PersonDraw) -> &'static str {
    if pd.sex == 2 { "Mme" } else { "M." }
}

/// Surname of a drawn person.
#[inline]
pub fn surname(out: &mut Vec<u8>, pd: &PersonDraw) {
    out.extend_from_slice(&pd.surname[..usize::from(pd.surname_len)]);
}

/// `First Surname`.
pub fn display_name(out: &mut Vec<u8>, pd: &PersonDraw) {
    out.extend_from_slice(first_name(pd).as_bytes());
    out.push(b' ');
    surname(out, pd);
}

/// Corsica's two departements, 2A and 2B, exist since this date; INSEE codes a birth in Corsica before it
/// with departement `20` (commune codes `20xxx`, NIR place part `20`).
pub const CORSICA_SPLIT: Date = Date::from_ymd(1976, 1, 1);

/// Whether a drawn person was born in Corsica before 2A and 2B existed.
fn born_in_old_corsica(pd: &PersonDraw) -> bool {
    pd.birth < CORSICA_SPLIT
        && geo()
            .departements
            .get(pd.place as usize)
            .is_some_and(|d| d.code == "2A" || d.code == "2B")
}

/// The place part of the person's NIR (5 characters; see [`crate::birth`]).
pub fn nir_place(pd: &PersonDraw) -> [u8; 5] {
    let g = geo();
    let mut place = [b'0'; 5];
    match pd.nir_place {
        NirPlace::Abroad(x) => {
            place[..3].copy_from_slice(b"990");
            place[3] = b'0' + x / 10 % 10;
            place[4] = b'0' + x % 10;
        }
        NirPlace::Overflow(x) => {
            let x = u32::from(x);
            place[2] = b'0' + (x / 100 % 10) as u8;
            place[3] = b'0' + (x / 10 % 10) as u8;
            place[4] = b'0' + (x % 10) as u8;
        }
        NirPlace::Departement => {
            if pd.nir_commune != u32::MAX {
                place.copy_from_slice(g.communes[pd.nir_commune as usize].code.as_bytes());
            } else if let Some(d) = g.departements.get(pd.place as usize) {
                place[..d.code.len()].copy_from_slice(d.code.as_bytes());
            }
            if born_in_old_corsica(pd) {
                place[..2].copy_from_slice(b"20");
            }
        }
    }
    place
}

/// The person's NIR.
pub fn nir(out: &mut Vec<u8>, pd: &PersonDraw) {
    let (y, m, _) = pd.birth.ymd();
    write_nir(
        out,
        pd.sex,
        (y % 100) as u8,
        m as u8,
        &nir_place(pd),
        pd.order,
    );
}

/// The person's place of birth as INSEE codes it at the birth date: the departement (`20` for Corsica
/// before 1976), the commune with real birth communes opted in, or the country's code abroad.
pub fn birth_place_code(out: &mut Vec<u8>, pd: &PersonDraw) {
    let g = geo();
    let start = out.len();
    match g.departements.get(pd.place as usize) {
        Some(_) if pd.nir_commune != u32::MAX && pd.nir_place == NirPlace::Departement => {
            out.extend_from_slice(g.communes[pd.nir_commune as usize].code.as_bytes());
        }
        Some(d) => out.extend_from_slice(d.code.as_bytes()),
        None => {
            let (code, _, _) = BIRTH_COUNTRIES[pd.place as usize - g.departements.len()];
            out.extend_from_slice(code.as_bytes());
        }
    }
    if born_in_old_corsica(pd) {
        out[start..start + 2].copy_from_slice(b"20");
    }
}

/// The name of the person's place of birth at the birth date (`Corse` before 1976).
pub fn birth_place_name(pd: &PersonDraw) -> &'static str {
    let g = geo();
    if born_in_old_corsica(pd) {
        return "Corse";
    }
    match g.departements.get(pd.place as usize) {
        Some(d) => d.name,
        None => BIRTH_COUNTRIES[pd.place as usize - g.departements.len()].1,
    }
}

/// The person's street address: unique per household by construction (and across tags: `address_of` is
/// a value index in the world's slice, see [`crate::tag`]).
pub fn address_line(out: &mut Vec<u8>, pd: &PersonDraw) {
    let roads = road_types_lower();
    let mut x = permute(pd.address_of, address_space(), ADDRESS_KEY);
    let number = x % 199 + 1;
    x /= 199;
    let road = &roads[(x % roads.len() as u64) as usize];
    x /= roads.len() as u64;
    let street = text::STREET_NAMES[(x % text::STREET_NAMES.len() as u64) as usize];
    x /= text::STREET_NAMES.len() as u64;
    let building = b'A' + (x % 8) as u8;
    let flat = x / 8 + 1;
    push_u64(out, number);
    out.push(b' ');
    out.extend_from_slice(road.as_bytes());
    out.push(b' ');
    out.extend_from_slice(street.as_bytes());
    out.extend_from_slice(", bât. ".as_bytes());
    out.push(building);
    out.extend_from_slice(b", appt ");
    push_u64(out, flat);
}

/// The person's postcode.
pub fn postcode(pd: &PersonDraw) -> &'static str {
    let c = &geo().communes[pd.commune as usize];
    c.usable_postcodes[pd.postcode as usize % c.usable_postcodes.len()]
}

/// The person's phone, if any.
pub fn phone(out: &mut Vec<u8>, pd: &PersonDraw) -> bool {
    if pd.phone_prefix == 0 {
        return false;
    }
    write_phone(out, pd.phone_prefix, phone_suffix(pd.value_of));
    true
}

/// The person's email (their login), if they have an account.
pub fn email(out: &mut Vec<u8>, pd: &PersonDraw) -> bool {
    if !pd.account {
        return false;
    }
    text::push_ascii_lower(out, first_name(pd));
    out.push(b'.');
    let start = out.len();
    surname(out, pd);
    out[start..].make_ascii_lowercase();
    out.push(b'@');
    out.extend_from_slice(EMAIL_DOMAINS[pd.slot()].as_bytes());
    true
}

/// The person's IBAN, if any.
pub fn iban(out: &mut Vec<u8>, pd: &PersonDraw) -> bool {
    if pd.bank == 255 {
        return false;
    }
    let bank: &[u8; 5] = BANK_CODES[pd.bank as usize]
        .as_bytes()
        .try_into()
        .expect("bank codes have 5 digits");
    write_iban(out, bank, pd.branch, account_number(pd.value_of));
    true
}

/// Case number `{departement}-{filing year}-{sequence:06}` (as rendered once by the draw); the sequence
/// counts from the world's slice ([`crate::tag`]).
#[inline]
pub fn case_number(out: &mut Vec<u8>, _tp: &TenantPlan, d: &CaseDraw) {
    out.extend_from_slice(&d.case_number[..d.case_number_len]);
}

/// Render the case number of a draw.
pub fn write_case_number(out: &mut Vec<u8>, tp: &TenantPlan, d: &CaseDraw) {
    out.extend_from_slice(geo().departements[tp.dept].code.as_bytes());
    out.push(b'-');
    push_u64(out, d.filing.year() as u64);
    out.push(b'-');
    let mut digits = [b'0'; 20];
    let s = itoa::Buffer::new()
        .format(tp.case_base + d.seq)
        .as_bytes()
        .to_vec();
    let width = s.len().max(6);
    digits[width - s.len()..width].copy_from_slice(&s);
    out.extend_from_slice(&digits[..width]);
}

/// Decision number `{case number}-{right}`.
pub fn decision_number(out: &mut Vec<u8>, tp: &TenantPlan, d: &CaseDraw, r: Right) {
    case_number(out, tp, d);
    out.push(b'-');
    out.extend_from_slice(r.as_str().as_bytes());
}

/// Unique reference of document `k`: `{case number}/D{k+1}`.
pub fn document_reference(out: &mut Vec<u8>, tp: &TenantPlan, d: &CaseDraw, k: usize) {
    case_number(out, tp, d);
    out.extend_from_slice(b"/D");
    push_u64(out, k as u64 + 1);
}

/// File name of document `k`: `{slug}_{case number}_{k+1}.pdf`.
pub fn document_file_name(out: &mut Vec<u8>, tp: &TenantPlan, d: &CaseDraw, k: usize) {
    out.extend_from_slice(text::document_slug(d.docs[k].kind).as_bytes());
    out.push(b'_');
    case_number(out, tp, d);
    out.push(b'_');
    push_u64(out, k as u64 + 1);
    out.extend_from_slice(b".pdf");
}

/// `Dr First Last`, the doctor of the medical certificate.
pub fn doctor(out: &mut Vec<u8>, d: &CaseDraw) {
    out.extend_from_slice(b"Dr ");
    out.extend_from_slice(text::staff_first_names()[d.doctor.0 as usize].as_bytes());
    out.push(b' ');
    out.extend_from_slice(text::doctor_surnames()[d.doctor.1 as usize].as_bytes());
}

/// Text of the decision on right `i`.
pub fn decision_text(out: &mut Vec<u8>, tp: &TenantPlan, d: &CaseDraw, i: usize) {
    let r = &d.rights[i];
    let pd = &d.persons[0];
    let date = d.decision_date.unwrap_or(d.filing);
    let who = |out: &mut Vec<u8>| {
        out.extend_from_slice(civility(pd).as_bytes());
        out.push(b' ');
        display_name(out, pd);
    };
    let label = text::right_label(r.right).as_bytes();
    match r.outcome {
        Outcome::Accord | Outcome::Refus | Outcome::Sursis => {
            out.extend_from_slice(b"La CDAPH de la ");
            out.extend_from_slice(tp.name.as_bytes());
            out.extend_from_slice(", réunie le ".as_bytes());
            date.write_fr(out);
            out.extend_from_slice(if r.outcome == Outcome::Accord {
                ", accorde à ".as_bytes()
            } else {
                ", refuse à ".as_bytes()
            });
            who(out);
            out.extend_from_slice(b" : ");
            out.extend_from_slice(label);
            if r.detail != r.right.as_str() {
                out.extend_from_slice(b" (");
                out.extend_from_slice(r.detail.as_bytes());
                out.push(b')');
            }
            if r.outcome == Outcome::Accord {
                out.extend_from_slice(b", du ");
                r.start.unwrap_or(date).write_fr(out);
                match r.end {
                    Some(e) => {
                        out.extend_from_slice(b" au ");
                        e.write_fr(out);
                    }
                    None => out.extend_from_slice(b", sans limitation de dur\xc3\xa9e"),
                }
                out.push(b'.');
            } else {
                out.extend_from_slice(b". Motif : ");
                out.extend_from_slice(r.reason.unwrap_or(text::REASON_CRITERIA).as_bytes());
                out.push(b'.');
            }
        }
        Outcome::Irrecevable => {
            out.extend_from_slice(b"La demande de ");
            out.extend_from_slice(label);
            out.extend_from_slice(b" de ");
            who(out);
            out.extend_from_slice(" est déclarée irrecevable le ".as_bytes());
            date.write_fr(out);
            out.extend_from_slice(" : dossier incomplet malgré relance.".as_bytes());
        }
        Outcome::RejetImplicite => {
            out.extend_from_slice("Sans réponse de la CDAPH de la ".as_bytes());
            out.extend_from_slice(tp.name.as_bytes());
            out.extend_from_slice(" dans un délai de quatre mois, la demande de ".as_bytes());
            out.extend_from_slice(label);
            out.extend_from_slice(b" de ");
            who(out);
            out.extend_from_slice(" est implicitement rejetée le ".as_bytes());
            date.write_fr(out);
            out.push(b'.');
        }
    }
    out.extend_from_slice(" Décision n° ".as_bytes());
    decision_number(out, tp, d, r.right);
    out.push(b'.');
}

/// Unique reference of note `k`: `{case number}/N{k+1}`.
pub fn note_reference(out: &mut Vec<u8>, tp: &TenantPlan, d: &CaseDraw, k: usize) {
    case_number(out, tp, d);
    out.extend_from_slice(b"/N");
    push_u64(out, k as u64 + 1);
}

/// Text of note `k`.
pub fn note_text(out: &mut Vec<u8>, tp: &TenantPlan, d: &CaseDraw, k: usize) {
    let n = &d.notes[k];
    let contact = &d.persons[d.contact as usize];
    let mut rest = text::NOTE_TEMPLATES[n.template as usize % text::NOTE_TEMPLATES.len()];
    while let Some(i) = rest.find('{') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let after = &rest[i..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        match &after[..end] {
            "{c}" => out.extend_from_slice(civility(contact).as_bytes()),
            "{s}" => surname(out, contact),
            "{r}" => out.extend_from_slice(text::right_label(d.rights[0].right).as_bytes()),
            "{d}" => n.mentioned.write_fr(out),
            "{ref}" => note_reference(out, tp, d, k),
            other => out.extend_from_slice(other.as_bytes()),
        }
        rest = &after[end..];
    }
    out.extend_from_slice(rest.as_bytes());
}

/// A deterministic strong password for an account: 20 characters from upper, lower, digits and symbols,
/// with at least one of each class.
pub fn password(out: &mut Vec<u8>, seed: u64, account: u64) {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"!#%*+-=?@_";
    let mut s = StreamFactory::new(seed, Domain::Password).stream(account);
    for i in 0..20 {
        let class = match i {
            0 => UPPER,
            7 => DIGIT,
            13 => SYMBOL,
            19 => LOWER,
            _ => [UPPER, LOWER, LOWER, DIGIT, SYMBOL][s.below(5) as usize],
        };
        out.push(*s.pick(class));
    }
}

/// First name of agent `a` (global index), from fake's fr_FR list.
pub fn agent_first_name(seed: u64, a: u64) -> &'static str {
    let names = text::staff_first_names();
    names[StreamFactory::new(seed, Domain::Agent)
        .stream(a)
        .below(names.len() as u32) as usize]
}

/// `First Surname` of agent `k` of a tenant.
pub fn agent_display_name(out: &mut Vec<u8>, seed: u64, tp: &TenantPlan, k: u32) {
    let a = tp.agent_base + u64::from(k);
    out.extend_from_slice(agent_first_name(seed, a).as_bytes());
    out.push(b' ');
    write_agent_surname(out, tp.agent_value_base + u64::from(k));
}

/// Login of agent `k` of a tenant: `first.surname@mdph75.example.org`.
pub fn agent_login(out: &mut Vec<u8>, seed: u64, tp: &TenantPlan, k: u32) {
    let a = tp.agent_base + u64::from(k);
    text::push_ascii_lower(out, agent_first_name(seed, a));
    out.push(b'.');
    let start = out.len();
    write_agent_surname(out, tp.agent_value_base + u64::from(k));
    out[start..].make_ascii_lowercase();
    out.push(b'@');
    out.extend_from_slice(tp.login_domain.as_bytes());
    out.extend_from_slice(b".example.org");
}

/// Lines of text printed in document `k` (title first). Used by the PDF writer.
pub fn document_lines(drawer: &Drawer, d: &CaseDraw, k: usize) -> Vec<Vec<u8>> {
    let tp = drawer.tenant(d);
    let doc = &d.docs[k];
    let pd = &d.persons[doc.slot as usize];
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(12);
    lines.push(text::document_title(doc.kind).as_bytes().to_vec());
    lines.push(tp.name.as_bytes().to_vec());
    let mut l = b"Nom : ".to_vec();
    surname(&mut l, pd);
    l.extend_from_slice(" - Prénom : ".as_bytes());
    l.extend_from_slice(first_name(pd).as_bytes());
    lines.push(l);
    let mut l = "Né(e) le : ".as_bytes().to_vec();
    pd.birth.write_fr(&mut l);
    lines.push(l);
    let mut l = b"Adresse : ".to_vec();
    address_line(&mut l, pd);
    l.push(b' ');
    l.extend_from_slice(postcode(pd).as_bytes());
    l.push(b' ');
    l.extend_from_slice(geo().communes[pd.commune as usize].name.as_bytes());
    lines.push(l);
    let mut l = "Dossier n° ".as_bytes().to_vec();
    case_number(&mut l, tp, d);
    lines.push(l);
    let mut l = "Référence du document : ".as_bytes().to_vec();
    document_reference(&mut l, tp, d, k);
    lines.push(l);
    let mut l = b"Date : ".to_vec();
    doc.issued.write_fr(&mut l);
    lines.push(l);
    if doc.kind == DocumentKind::MedicalCertificate {
        let mut l = "Médecin : ".as_bytes().to_vec();
        doctor(&mut l, d);
        lines.push(l);
    }
    for b in text::document_body(doc.kind) {
        lines.push(b.as_bytes().to_vec());
    }
    if doc.kind == DocumentKind::DecisionNotification {
        for i in 0..d.n_rights {
            let mut l = Vec::new();
            decision_text(&mut l, tp, d, i);
            lines.push(l);
        }
    }
    lines
}

/// The case status at the reference date (the last event).
pub fn current_status(d: &CaseDraw) -> CaseStatus {
    d.statuses().last().map_or(CaseStatus::Deposee, |s| s.0)
}

/// Two-digit helper re-exported for writers.
pub fn push_two(out: &mut Vec<u8>, v: u32) {
    push2(out, v);
}

/// Date helper: ISO form.
pub fn iso(out: &mut Vec<u8>, d: Date) {
    d.write_iso(out);
}
