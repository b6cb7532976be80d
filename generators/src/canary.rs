//! The canary registry: every sensitive value of a world, with its owner, and a scanner that tells which
//! tenants, persons and records any bytes reveal.
//!
//! Canary values are unique in the world by construction (see [`crate::ident`] and [`crate::render`]).
//! Their distinctive parts are ASCII (surnames, NIR, phone, IBAN, email, case, decision, document and note
//! references), so an escaped JSON or CSV body still contains them verbatim; values with accents or slashes
//! (address lines, decision and note texts, document references) are also registered in their common
//! escaped forms (`\u00e9`, `\/`, `&#39;`). Printed forms are registered too (NIR and phone with spaces,
//! IBAN in groups of four, phone in international form). Matching is ASCII case-insensitive and only at
//! word boundaries (the bytes around a hit are not ASCII letters or digits), so a canary inside a longer
//! word is not reported.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::ident::{iban_spaced, nir_spaced, phone_spaced};
use crate::model::*;
use crate::world::World;

/// What kind of sensitive value a canary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CanaryKind {
    /// A person's surname.
    Surname,
    /// A NIR (social security number).
    Nir,
    /// A street address line.
    AddressLine,
    /// An email (also the account login).
    Email,
    /// A phone number.
    Phone,
    /// An IBAN.
    Iban,
    /// A case number.
    CaseNumber,
    /// The unique reference printed in a document.
    DocumentReference,
    /// A document file name.
    DocumentFileName,
    /// A decision number.
    DecisionNumber,
    /// The text of a decision.
    DecisionText,
    /// The unique reference of a note.
    NoteReference,
    /// The text of a note.
    NoteText,
    /// An agent's surname.
    AgentSurname,
    /// An agent's login.
    AgentLogin,
}

/// The record a canary belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RecordRef {
    /// A person.
    Person(PersonId),
    /// An account.
    Account(AccountId),
    /// A case file.
    CaseFile(CaseId),
    /// A document.
    Document(DocumentId),
    /// A decision.
    Decision(DecisionId),
    /// A note.
    Note(NoteId),
}

/// Who a canary belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CanaryOwner {
    /// The tenant.
    pub tenant: TenantId,
    /// The person whose data it is (the case file's person for case records; none for agents).
    pub person: Option<PersonId>,
    /// The record it belongs to.
    pub record: RecordRef,
}

/// One registered canary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Canary {
    /// The canonical value, as in the record.
    pub value: String,
    /// Kind.
    pub kind: CanaryKind,
    /// Owner.
    pub owner: CanaryOwner,
}

/// A canary found in scanned bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CanaryHit {
    /// The canonical value of the canary.
    pub value: String,
    /// Kind.
    pub kind: CanaryKind,
    /// Owner.
    pub owner: CanaryOwner,
    /// Byte range of the match in the scanned bytes.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
}

/// All canaries of a world, ready to scan bytes.
#[derive(Debug, Clone)]
pub struct CanaryRegistry {
    canaries: Vec<Canary>,
    /// For each pattern of the automaton, the canary it stands for.
    pattern_owner: Vec<usize>,
    automaton: AhoCorasick,
}

/// Escaped forms of a value that a JSON, CSV or HTML body may contain instead of the raw value.
pub fn escaped_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    let unicode = |upper: bool| {
        let mut s = String::with_capacity(value.len() + 16);
        for c in value.chars() {
            if c.is_ascii() {
                s.push(c);
            } else {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    if upper {
                        s.push_str(&format!("\\u{unit:04X}"));
                    } else {
                        s.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        s
    };
    if !value.is_ascii() {
        forms.push(unicode(false));
        forms.push(unicode(true));
    }
    for f in forms.clone() {
        if f.contains('/') {
            forms.push(f.replace('/', "\\/"));
        }
        if f.contains('\'') {
            forms.push(f.replace('\'', "&#39;"));
            forms.push(f.replace('\'', "&#x27;"));
            forms.push(f.replace('\'', "\\u0027"));
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

impl CanaryRegistry {
    /// Every canary of `world`.
    pub fn from_world(world: &World) -> CanaryRegistry {
        let mut b = Builder::default();
        for a in &world.agents {
            let owner = CanaryOwner { tenant: a.tenant_id, person: None, record: RecordRef::Account(a.id) };
            if let Some(surname) = a.display_name.split(' ').next_back() {
                b.add(surname, CanaryKind::AgentSurname, owner, &[]);
            }
            b.add(&a.login, CanaryKind::AgentLogin, owner, &[]);
        }
        for c in &world.cases {
            let cf = &c.case_file;
            let applicant = Some(cf.person_id);
            for p in &c.persons {
                let owner = CanaryOwner { tenant: p.tenant_id, person: Some(p.id), record: RecordRef::Person(p.id) };
                b.add(&p.surname, CanaryKind::Surname, owner, &[]);
                b.add(&p.nir, CanaryKind::Nir, owner, &[nir_spaced(&p.nir)]);
                b.add(&p.address_line, CanaryKind::AddressLine, owner, &[]);
                if let Some(phone) = &p.phone {
                    let intl = format!("+33{}", &phone[1..]);
                    let intl_spaced = format!("+33 {} {}", &phone[1..2], phone_spaced(&phone[2..]));
                    b.add(phone, CanaryKind::Phone, owner, &[phone_spaced(phone), phone_spaced(phone).replace(' ', "."), intl, intl_spaced]);
                }
                if let Some(email) = &p.email {
                    b.add(email, CanaryKind::Email, owner, &[]);
                }
                if let Some(iban) = &p.iban {
                    b.add(iban, CanaryKind::Iban, owner, &[iban_spaced(iban)]);
                }
            }
            let case_owner = CanaryOwner { tenant: cf.tenant_id, person: applicant, record: RecordRef::CaseFile(cf.id) };
            b.add(&cf.case_number, CanaryKind::CaseNumber, case_owner, &[]);
            for d in &c.documents {
                let owner = CanaryOwner { tenant: d.tenant_id, person: Some(d.person_id), record: RecordRef::Document(d.id) };
                b.add(&d.reference, CanaryKind::DocumentReference, owner, &[]);
                b.add(&d.file_name, CanaryKind::DocumentFileName, owner, &[]);
            }
            for d in &c.decisions {
                let owner = CanaryOwner { tenant: d.tenant_id, person: applicant, record: RecordRef::Decision(d.id) };
                b.add(&d.number, CanaryKind::DecisionNumber, owner, &[]);
                b.add(&d.text, CanaryKind::DecisionText, owner, &[]);
            }
            for n in &c.notes {
                let owner = CanaryOwner { tenant: n.tenant_id, person: applicant, record: RecordRef::Note(n.id) };
                if let Some(r) = n.text.rsplit("Réf. ").next().and_then(|r| r.strip_suffix('.')) {
                    b.add(r, CanaryKind::NoteReference, owner, &[]);
                }
                b.add(&n.text, CanaryKind::NoteText, owner, &[]);
            }
        }
        b.build()
    }

    /// The registered canaries.
    pub fn canaries(&self) -> &[Canary] {
        &self.canaries
    }

    /// Every canary occurrence in `bytes` (overlapping: a case number inside a document reference gives both).
    pub fn scan(&self, bytes: &[u8]) -> Vec<CanaryHit> {
        let boundary = |i: Option<&u8>| i.is_none_or(|c| !c.is_ascii_alphanumeric());
        let mut hits = Vec::new();
        for m in self.automaton.find_overlapping_iter(bytes) {
            let (start, end) = (m.start(), m.end());
            let before = start.checked_sub(1).and_then(|i| bytes.get(i));
            if !boundary(before) || !boundary(bytes.get(end)) {
                continue;
            }
            let c = &self.canaries[self.pattern_owner[m.pattern().as_usize()]];
            hits.push(CanaryHit { value: c.value.clone(), kind: c.kind, owner: c.owner, start, end });
        }
        hits
    }
}

#[derive(Default)]
struct Builder {
    canaries: Vec<Canary>,
    seen: std::collections::HashMap<String, usize>,
    patterns: Vec<String>,
    pattern_owner: Vec<usize>,
}

impl Builder {
    /// Register a canary with its printed forms; a value already registered (a surname or address shared
    /// by a parent and child of the same case file) keeps its first owner.
    fn add(&mut self, value: &str, kind: CanaryKind, owner: CanaryOwner, printed: &[String]) {
        if value.is_empty() || self.seen.contains_key(value) {
            return;
        }
        let idx = self.canaries.len();
        self.seen.insert(value.to_string(), idx);
        self.canaries.push(Canary { value: value.to_string(), kind, owner });
        let mut forms = escaped_forms(value);
        forms.extend(printed.iter().cloned());
        forms.sort();
        forms.dedup();
        for f in forms {
            self.patterns.push(f);
            self.pattern_owner.push(idx);
        }
    }

    fn build(self) -> CanaryRegistry {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&self.patterns)
            .expect("canary patterns are small literals");
        CanaryRegistry { canaries: self.canaries, pattern_owner: self.pattern_owner, automaton }
    }
}
