//! Recognisers of values cloison makes in *any* run, whatever its seed and tag: what a target holds from an
//! earlier run. A canary registry ([`crate::canary`]) knows the values of one world; these pure functions
//! know the shapes every world's values have, so that records left by another run are seen before a run
//! seeds its own (the harness's preflight). They prove nothing about a leak (the values are of no known
//! owner); they say the target is not clean.
//!
//! Recognised, each by a shape no ordinary value has:
//!
//! - NIRs with a valid key in a reserved range ([`crate::ident::nir_place_is_reserved`]): no real person's;
//! - e-mails `first.surname@domain` whose surname has a generated shape
//!   ([`crate::ident::looks_like_generated_surname`]) under the generators' domains (persons'
//!   [`crate::draw::EMAIL_DOMAINS`], agents' `mdphXX.example.org`);
//! - references that carry a case number `{departement}-{year}-{sequence}`: document references
//!   (`/D1`), note references (`/N1`), decision numbers (`-AAH`); a bare case number is not enough.
//!
//! Not recognised: a bare surname (ordinary words such as `Document` have the shape), phones and IBANs
//! (any number has their shape), address lines (`12 rue des Lilas, bât. C, appt 4` is how real French
//! addresses are written: a staging deployment's own data would read as an earlier run's).

use crate::draw::EMAIL_DOMAINS;
use crate::ident::{looks_like_generated_surname, nir_is_valid, nir_place_is_reserved};
use crate::model::Right;

/// What kind of generated value was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GeneratedKind {
    /// A NIR in a reserved range.
    Nir,
    /// A person's or agent's e-mail (login).
    Email,
    /// A document, note or decision reference.
    Reference,
}

impl GeneratedKind {
    /// The kind as a sentence names it.
    pub fn name(self) -> &'static str {
        match self {
            GeneratedKind::Nir => "NIR",
            GeneratedKind::Email => "e-mail",
            GeneratedKind::Reference => "reference",
        }
    }
}

/// A generated value found in some bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Recognised {
    /// Its kind.
    pub kind: GeneratedKind,
    /// The value as found.
    pub value: String,
}

/// Every generated value in `bytes` (any encoding that keeps ASCII as is: UTF-8 text, JSON with `\/` or
/// `\u00e2` escapes, HTML), in order, without duplicates.
pub fn recognise(bytes: &[u8]) -> Vec<Recognised> {
    let text = String::from_utf8_lossy(bytes)
        .replace("\\/", "/")
        .replace("\\u00e2", "â")
        .replace("\\u00E2", "â")
        .replace("&#226;", "â");
    let mut out = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || "._%+-@/".contains(c))) {
        let token = token.trim_matches(|c: char| c == '.' || c == '-' || c == '/');
        if let Some(kind) = token_kind(token) {
            out.push(Recognised {
                kind,
                value: token.to_string(),
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The kind of one token (ASCII letters, digits and `._%+-@/`), if it is a generated value.
fn token_kind(token: &str) -> Option<GeneratedKind> {
    if token.len() == 15 && nir_is_valid(token) && nir_place_is_reserved(token) {
        return Some(GeneratedKind::Nir);
    }
    if token.contains('@') {
        return is_generated_email(token).then_some(GeneratedKind::Email);
    }
    is_reference(token).then_some(GeneratedKind::Reference)
}

/// `first.surname@domain` with a generated surname under a generator's domain.
fn is_generated_email(token: &str) -> bool {
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    let agent_domain = domain
        .strip_prefix("mdph")
        .and_then(|d| d.strip_suffix(".example.org"))
        .is_some_and(|code| {
            (2..=3).contains(&code.len()) && code.bytes().all(|c| c.is_ascii_alphanumeric())
        });
    if !agent_domain && !EMAIL_DOMAINS.contains(&domain.as_str()) {
        return false;
    }
    local
        .rsplit_once('.')
        .is_some_and(|(first, surname)| !first.is_empty() && looks_like_generated_surname(surname))
}

/// `{departement}-{year}-{sequence}` followed by `/D{k}`, `/N{k}` or `-{RIGHT}`.
fn is_reference(token: &str) -> bool {
    let (case, rest) = match token.split_once('/') {
        Some((case, k)) => {
            let ok = k.len() >= 2
                && (k.starts_with('D') || k.starts_with('N'))
                && k[1..].bytes().all(|c| c.is_ascii_digit());
            (case, ok)
        }
        None => match token.rsplit_once('-') {
            Some((case, right)) => (case, Right::ALL.iter().any(|r| r.as_str() == right)),
            None => return false,
        },
    };
    rest && is_case_number(case)
}

/// `{departement}-{year}-{sequence of 6 or 7 digits}`.
fn is_case_number(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(dept), Some(year), Some(seq), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    let dept_ok = (dept.len() == 2 && (digits(dept) || dept == "2A" || dept == "2B"))
        || (dept.len() == 3 && dept.starts_with("97") && digits(dept));
    dept_ok && year.len() == 4 && digits(year) && (6..=7).contains(&seq.len()) && digits(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_shapes_are_recognised_and_ordinary_values_are_not() {
        let found = |text: &str| recognise(text.as_bytes());
        // A NIR of the reserved `000` commune part, with its key.
        let mut nir = Vec::new();
        crate::ident::write_nir(&mut nir, 1, 85, 5, b"75000", 123);
        let nir = String::from_utf8(nir).unwrap();
        assert_eq!(
            found(&format!("{{\"nir\":\"{nir}\"}}"))[0].kind,
            GeneratedKind::Nir
        );
        // A real commune's code is not reserved.
        let mut real = Vec::new();
        crate::ident::write_nir(&mut real, 1, 85, 5, b"75056", 123);
        assert!(found(&String::from_utf8(real).unwrap()).is_empty());
        let rows = [
            ("jean.bodelamont@example.org", Some(GeneratedKind::Email)),
            (
                "lea.colarbier@mdph2a.example.org",
                Some(GeneratedKind::Email),
            ),
            ("jean.dupont@example.org", None),
            ("jean.bodelamont@gmail.com", None),
            ("75-2024-000123/D2", Some(GeneratedKind::Reference)),
            ("75-2024-1000123\\/N1", Some(GeneratedKind::Reference)),
            ("971-2023-000001-AAH", Some(GeneratedKind::Reference)),
            ("75-2024-000123", None),
            ("75-2024-000123-XYZ", None),
            ("Document", None),
            // Real addresses are written as generated ones are: never recognised.
            ("\"12 rue des Lilas, bât. C, appt 4\"", None),
        ];
        for (text, kind) in rows {
            assert_eq!(found(text).first().map(|r| r.kind), kind, "{text}");
        }
    }

    #[test]
    fn every_recognisable_value_of_a_world_is_recognised() {
        use crate::canary::CanaryKind;
        let world = crate::World::generate(&crate::GenConfig::new(3, 3, 40)).unwrap();
        let registry = world.canaries();
        for c in registry.canaries() {
            let expected = match c.kind {
                CanaryKind::Nir => GeneratedKind::Nir,
                CanaryKind::Email | CanaryKind::AgentLogin => GeneratedKind::Email,
                CanaryKind::DocumentReference
                | CanaryKind::NoteReference
                | CanaryKind::DecisionNumber => GeneratedKind::Reference,
                _ => continue,
            };
            let json = serde_json::to_string(&c.value).unwrap();
            assert!(
                recognise(json.as_bytes())
                    .iter()
                    .any(|r| r.kind == expected && r.value == c.value),
                "{:?} {}",
                c.kind,
                c.value
            );
        }
    }
}
