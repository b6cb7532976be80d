//! The canary registry: every sensitive value of a world, with its owner, and a scanner that tells which
//! tenants, persons and records any bytes reveal.
//!
//! What is unique and what is shared, exactly:
//!
//! - **Unique in the world, one owner each**, by construction (bijective encodings of global indices, see
//!   [`crate::ident`], [`crate::birth`] and [`crate::render`]): every person's NIR, phone, email (their
//!   login) and IBAN; case numbers; decision numbers and texts; document references and file names; note
//!   texts and references; agents' surnames and logins. A hit on one of them names its one owner.
//! - **Unique across runs**: every one of these values, the shared ones below included, comes from the
//!   world's run-tag slice of its value space ([`crate::tag`]): no value of a world appears in the world of
//!   another tag, within the capacity of [`crate::tag::TAG_CAPACITY_CASES`] case files. A registry
//!   therefore never recognises another run's records as its own.
//! - **Shared by design, within one case file only**: a child's surname is also their parents' (a mother
//!   and a father using the family name), and the address line of a child's household is the child's and
//!   each parent's. Such a value is registered once, owned by the applicant (the child). It proves a leak to anyone who may not see the child's data, but not to the
//!   parent, whose own name or address it also is: after the parents' authority ended (the child came of
//!   age), a former parent who is shown their own surname or address line sees the child's value without
//!   any leak. Judge such a hit against the parent as "their own value", never as proof.
//! - **Not canaries** (common values, never registered): first names and full names (a child and a parent
//!   may also share a first name), communes, postcodes, birth dates and places.
//!
//! Checked on every case file by [`crate::realism::check_shared_values`] (check 17).
//!
//! Each canary is **one pattern** in one canonical form (issue 23: the registry used to hold every escaped
//! form, 797,622 patterns and a 428 MiB automaton at 10,000 case files). Patterns and scanned bytes are both
//! [folded](fold): letters with diacritics to their base letters (`Église` and `EGLISE` alike to `Eglise`),
//! typographic apostrophes to `'`; matching ignores ASCII case. The escapes a JSON, HTML or XML body
//! writes characters with (`\u00e9`, `\u00E9`, `\/`, `\u0027`, `&#39;`, `&#xE9;`, `\n`) are undone in the
//! scanned text ([`fold::fold_unescaped`]) instead of registered: a text that holds one is scanned as it is
//! and with its escapes undone, and the hits of both are merged, so nothing the escaped patterns found is
//! lost (a literal backslash before a canary included). Printed forms are registered besides (NIR and phone
//! with spaces, IBAN in groups of four, phone in international form). Matching is only at word boundaries
//! (the bytes around a hit are not ASCII letters or digits), so a canary inside a longer word is not
//! reported. A scanned text that is pure ASCII without escapes is not copied. The matcher is an
//! index of word runs (`index`, no automaton): a scan hashes the text's words and compares the few patterns
//! a run of them stands for.
//!
//! Long texts (decisions' and notes', 56 % of the canary bytes) have no pattern of their own: each contains a
//! unique canary of its record, its *anchor* (the decision number, the note reference), and a text is
//! reported where a hit of its anchor is surrounded by the text's bytes, compared in the same canonical
//! form. The hit names the text, with its own range, exactly as a pattern of the whole text would; a text
//! without such an anchor keeps a pattern.

mod fold;
mod index;
pub use fold::{Folded, fold, match_key};
use index::{IndexBuilder, WordIndex, at_boundaries};

use crate::ident::{iban_spaced, nir_spaced, phone_spaced};
use crate::lazy::Cases;
use crate::model::*;

/// What kind of sensitive value a canary is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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

impl CanaryKind {
    /// Every kind, in a fixed order.
    pub const ALL: [CanaryKind; 15] = [
        CanaryKind::Surname,
        CanaryKind::Nir,
        CanaryKind::AddressLine,
        CanaryKind::Email,
        CanaryKind::Phone,
        CanaryKind::Iban,
        CanaryKind::CaseNumber,
        CanaryKind::DocumentReference,
        CanaryKind::DocumentFileName,
        CanaryKind::DecisionNumber,
        CanaryKind::DecisionText,
        CanaryKind::NoteReference,
        CanaryKind::NoteText,
        CanaryKind::AgentSurname,
        CanaryKind::AgentLogin,
    ];

    /// The snake_case name used in profiles and reports (as serialized).
    pub fn name(self) -> &'static str {
        match self {
            CanaryKind::Surname => "surname",
            CanaryKind::Nir => "nir",
            CanaryKind::AddressLine => "address_line",
            CanaryKind::Email => "email",
            CanaryKind::Phone => "phone",
            CanaryKind::Iban => "iban",
            CanaryKind::CaseNumber => "case_number",
            CanaryKind::DocumentReference => "document_reference",
            CanaryKind::DocumentFileName => "document_file_name",
            CanaryKind::DecisionNumber => "decision_number",
            CanaryKind::DecisionText => "decision_text",
            CanaryKind::NoteReference => "note_reference",
            CanaryKind::NoteText => "note_text",
            CanaryKind::AgentSurname => "agent_surname",
            CanaryKind::AgentLogin => "agent_login",
        }
    }

    /// The kind a profile names (`surname`, `document_file_name`...).
    pub fn from_name(name: &str) -> Option<CanaryKind> {
        CanaryKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl std::fmt::Display for CanaryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    /// The case file whose data it is (the case file of the record, or of the person: an applicant or a
    /// representative in it); none for agents.
    pub case: Option<CaseId>,
}

/// One registered canary, as the registry lends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Canary<'r> {
    /// The canonical value, as in the record.
    pub value: &'r str,
    /// Kind.
    pub kind: CanaryKind,
    /// Owner.
    pub owner: CanaryOwner,
}

/// A canary as the registry holds it: its value is a range of the registry's one buffer of values (a
/// `String` each cost a header and an allocation per canary: millions at 50,000 case files, issue 23), and
/// its owner a position in the registry's owners (the canaries of one record are registered in a row and
/// share theirs: 24 bytes a canary where a copy of the owner made 80).
#[derive(Debug, Clone, Copy)]
struct Held {
    start: usize,
    end: usize,
    owner: u32,
    kind: CanaryKind,
}

/// Canaries and their values, end to end in one buffer, and their owners, each once per run of canaries.
#[derive(Debug, Clone, Default)]
struct Canaries {
    held: Vec<Held>,
    values: String,
    owners: Vec<CanaryOwner>,
}

impl Canaries {
    fn len(&self) -> usize {
        self.held.len()
    }

    fn push(&mut self, value: &str, kind: CanaryKind, owner: CanaryOwner) {
        if self.owners.last() != Some(&owner) {
            self.owners.push(owner);
        }
        // Fewer owners than canaries, and 2^32 canaries would need 100 GiB for this list alone.
        let owner = u32::try_from(self.owners.len() - 1).expect("fewer than 2^32 owners");
        let start = self.values.len();
        self.values.push_str(value);
        self.held.push(Held {
            start,
            end: self.values.len(),
            owner,
            kind,
        });
    }

    fn value(&self, idx: usize) -> &str {
        let held = &self.held[idx];
        &self.values[held.start..held.end]
    }

    fn get(&self, idx: usize) -> Canary<'_> {
        let held = &self.held[idx];
        Canary {
            value: &self.values[held.start..held.end],
            kind: held.kind,
            owner: self.owners[held.owner as usize],
        }
    }

    fn shrink_to_fit(&mut self) {
        self.held.shrink_to_fit();
        self.values.shrink_to_fit();
        self.owners.shrink_to_fit();
    }
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
    canaries: Canaries,
    /// For each pattern of the index, the canary it stands for.
    pattern_owner: Vec<u32>,
    /// Long texts found through the unique canary they contain, sorted by that canary.
    anchored: Vec<Anchored>,
    index: WordIndex,
}

/// A long text (a decision's or a note's) that has no pattern of its own: it is found where its anchor, a
/// unique canary it contains (the decision number, the note reference), is found and the bytes around that
/// hit are the text's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Anchored {
    /// The canary whose hits are checked.
    anchor: usize,
    /// The text's canary.
    text: usize,
    /// Where the anchor starts in the folded text.
    offset: usize,
}

/// Escaped forms of a value that a JSON, CSV or HTML body may contain instead of the raw value (the forms the
/// registry once registered as patterns; it now undoes them in the scanned text, and its tests check each).
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
    pub fn from_world<W: Cases + ?Sized>(world: &W) -> CanaryRegistry {
        let mut b = Builder::default();
        for a in world.agents() {
            let owner = CanaryOwner {
                tenant: a.tenant_id,
                person: None,
                record: RecordRef::Account(a.id),
                case: None,
            };
            if let Some(surname) = a.display_name.split(' ').next_back() {
                b.add(surname, CanaryKind::AgentSurname, owner, &[]);
            }
            b.add(&a.login, CanaryKind::AgentLogin, owner, &[]);
        }
        for c in world.each_case() {
            for p in &c.persons {
                add_person(&mut b, p, c.case_file.id);
            }
            add_case_records(&mut b, &c);
        }
        b.build()
    }

    /// The registered canaries.
    pub fn canaries(&self) -> impl ExactSizeIterator<Item = Canary<'_>> + '_ {
        (0..self.canaries.len()).map(|idx| self.canaries.get(idx))
    }

    /// The number of patterns (every canary's printed forms).
    pub fn pattern_count(&self) -> usize {
        self.index.len()
    }

    /// The heap memory of the matcher (patterns and their index), in bytes.
    pub fn memory_usage(&self) -> usize {
        self.index.memory_usage() + self.pattern_owner.capacity() * 4
    }

    /// Every canary occurrence in `bytes` (overlapping: a case number inside a document reference gives both),
    /// whatever the case and accents of the text and the escapes of JSON (`\u00e9`, `\/`) and numeric
    /// character references (`&#39;`) it is written with; `start` and `end` are offsets in `bytes`.
    pub fn scan(&self, bytes: &[u8]) -> Vec<CanaryHit> {
        let mut found = Vec::new();
        self.scan_folded(bytes, fold(bytes).as_ref(), &mut found);
        if let Some(unescaped) = fold::fold_unescaped(bytes) {
            // The same text with its escapes undone: hits already found (same canary, same bytes) once.
            self.scan_folded(bytes, Some(&unescaped), &mut found);
        }
        // In the order of the bytes, each (canary, range) once.
        found.sort_unstable_by_key(|&(idx, start, end)| (start, end, idx));
        found.dedup();
        found
            .into_iter()
            .map(|(idx, start, end)| {
                let c = self.canaries.get(idx);
                CanaryHit {
                    value: c.value.to_string(),
                    kind: c.kind,
                    owner: c.owner,
                    start,
                    end,
                }
            })
            .collect()
    }

    /// The hits in `bytes` as folded (`folded`, or `bytes` themselves when `None`), as (canary, start, end)
    /// in `bytes`.
    fn scan_folded(
        &self,
        bytes: &[u8],
        folded: Option<&Folded>,
        found: &mut Vec<(usize, usize, usize)>,
    ) {
        let haystack = folded.map_or(bytes, |f| f.bytes.as_slice());
        let mut push = |idx: usize, start: usize, end: usize| {
            found.push(match folded {
                Some(f) => (idx, f.original(start, false), f.original(end, true)),
                None => (idx, start, end),
            });
        };
        self.index.find(haystack, |pattern, start, end| {
            let idx = self.pattern_owner[pattern as usize] as usize;
            push(idx, start, end);
            let first = self.anchored.partition_point(|a| a.anchor < idx);
            for a in self.anchored[first..]
                .iter()
                .take_while(|a| a.anchor == idx)
            {
                let text = fold::folded_bytes(self.canaries.value(a.text));
                let Some(text_start) = start.checked_sub(a.offset) else {
                    continue;
                };
                let text_end = text_start + text.len();
                let here = haystack.get(text_start..text_end);
                if here.is_some_and(|h| h.eq_ignore_ascii_case(&text))
                    && at_boundaries(haystack, text_start, text_end)
                {
                    push(a.text, text_start, text_end);
                }
            }
        });
    }
}

/// Register the canaries of a person: surname, NIR, address line, phone, email and IBAN.
fn add_person(b: &mut Builder, p: &Person, case: CaseId) {
    let owner = CanaryOwner {
        tenant: p.tenant_id,
        person: Some(p.id),
        record: RecordRef::Person(p.id),
        case: Some(case),
    };
    b.add(&p.surname, CanaryKind::Surname, owner, &[]);
    b.add(&p.nir, CanaryKind::Nir, owner, &[nir_spaced(&p.nir)]);
    b.add(&p.address_line, CanaryKind::AddressLine, owner, &[]);
    if let Some(phone) = &p.phone {
        let intl = format!("+33{}", &phone[1..]);
        let intl_spaced = format!("+33 {} {}", &phone[1..2], phone_spaced(&phone[2..]));
        b.add(
            phone,
            CanaryKind::Phone,
            owner,
            &[
                phone_spaced(phone),
                phone_spaced(phone).replace(' ', "."),
                intl,
                intl_spaced,
            ],
        );
    }
    if let Some(email) = &p.email {
        b.add(email, CanaryKind::Email, owner, &[]);
    }
    if let Some(iban) = &p.iban {
        b.add(iban, CanaryKind::Iban, owner, &[iban_spaced(iban)]);
    }
}

/// Register the canaries of a case file's records: case number, documents, decisions and notes.
fn add_case_records(b: &mut Builder, c: &CaseBundle) {
    let cf = &c.case_file;
    let applicant = Some(cf.person_id);
    let case_owner = CanaryOwner {
        tenant: cf.tenant_id,
        person: applicant,
        record: RecordRef::CaseFile(cf.id),
        case: Some(cf.id),
    };
    b.add(&cf.case_number, CanaryKind::CaseNumber, case_owner, &[]);
    for d in &c.documents {
        let owner = CanaryOwner {
            tenant: d.tenant_id,
            person: Some(d.person_id),
            record: RecordRef::Document(d.id),
            case: Some(cf.id),
        };
        b.add(&d.reference, CanaryKind::DocumentReference, owner, &[]);
        b.add(&d.file_name, CanaryKind::DocumentFileName, owner, &[]);
    }
    for d in &c.decisions {
        let owner = CanaryOwner {
            tenant: d.tenant_id,
            person: applicant,
            record: RecordRef::Decision(d.id),
            case: Some(cf.id),
        };
        b.add(&d.number, CanaryKind::DecisionNumber, owner, &[]);
        b.add_text(&d.text, CanaryKind::DecisionText, owner, &d.number);
    }
    for n in &c.notes {
        let owner = CanaryOwner {
            tenant: n.tenant_id,
            person: applicant,
            record: RecordRef::Note(n.id),
            case: Some(cf.id),
        };
        let reference = n
            .text
            .rsplit("Réf. ")
            .next()
            .and_then(|r| r.strip_suffix('.'));
        match reference {
            Some(r) => {
                b.add(r, CanaryKind::NoteReference, owner, &[]);
                b.add_text(&n.text, CanaryKind::NoteText, owner, r);
            }
            None => b.add(&n.text, CanaryKind::NoteText, owner, &[]),
        }
    }
}

#[derive(Default)]
struct Builder {
    canaries: Canaries,
    /// Values registered, by the hash of their [`match_key`]: values that match alike share one owner.
    seen: std::collections::HashMap<u64, usize>,
    /// Values whose key's hash another key has already (a 64-bit collision: none in practice).
    collided: std::collections::HashMap<String, usize>,
    patterns: IndexBuilder,
    pattern_owner: Vec<u32>,
    /// Per canary: registered with one pattern only (its value), so that it may anchor a text.
    single: Vec<bool>,
    anchored: Vec<Anchored>,
}

/// The hash a match key is held under.
fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl Builder {
    /// The canary registered under a match key.
    fn registered(&self, key: &str) -> Option<usize> {
        match self.seen.get(&key_hash(key)) {
            Some(&idx) if match_key(self.canaries.value(idx)) == key => Some(idx),
            Some(_) => self.collided.get(key).copied(),
            None => None,
        }
    }

    /// Record a new canary, unless a value that matches alike is registered already (a surname or address
    /// shared by a parent and child of the same case file): that one keeps its first owner.
    fn register(&mut self, value: &str, kind: CanaryKind, owner: CanaryOwner) -> Option<usize> {
        if value.is_empty() {
            return None;
        }
        let key = match_key(value);
        if self.registered(&key).is_some() {
            return None;
        }
        let idx = self.canaries.len();
        match self.seen.entry(key_hash(&key)) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(idx);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(key, idx);
            }
        }
        self.canaries.push(value, kind, owner);
        self.single.push(false);
        Some(idx)
    }

    /// Register a canary with its printed forms: one pattern each, folded (escapes are undone in the
    /// scanned text, not registered), forms equal but for ASCII case once.
    fn add(&mut self, value: &str, kind: CanaryKind, owner: CanaryOwner, printed: &[String]) {
        let Some(idx) = self.register(value, kind, owner) else {
            return;
        };
        let mut forms: Vec<Vec<u8>> = std::iter::once(value)
            .chain(printed.iter().map(String::as_str))
            .map(|form| {
                let mut f = fold::folded_bytes(form);
                f.make_ascii_lowercase();
                f
            })
            .collect();
        forms.sort();
        forms.dedup();
        self.single[idx] = forms.len() == 1;
        for f in forms {
            self.patterns.push(&f);
            self.pattern_owner.push(idx as u32);
        }
    }

    /// Register a long text that contains `anchor`, a canary registered already: found through the
    /// anchor's hits where the anchor is a whole word of the text, else with a pattern of its own.
    fn add_text(&mut self, text: &str, kind: CanaryKind, owner: CanaryOwner, anchor: &str) {
        let anchor_idx = self.registered(&match_key(anchor));
        let Some(anchor_idx) = anchor_idx.filter(|&a| self.single[a]) else {
            return self.add(text, kind, owner, &[]);
        };
        let folded = fold::folded_bytes(text);
        let needle = fold::folded_bytes(anchor);
        let offset = (0..folded.len().saturating_sub(needle.len()) + 1).find(|&at| {
            folded[at..].len() >= needle.len()
                && folded[at..at + needle.len()].eq_ignore_ascii_case(&needle)
                && at_boundaries(&folded, at, at + needle.len())
        });
        let Some(offset) = offset.filter(|_| !needle.is_empty()) else {
            return self.add(text, kind, owner, &[]);
        };
        if let Some(idx) = self.register(text, kind, owner) {
            self.anchored.push(Anchored {
                anchor: anchor_idx,
                text: idx,
                offset,
            });
        }
    }

    fn build(self) -> CanaryRegistry {
        let Builder {
            mut canaries,
            seen,
            collided,
            patterns,
            pattern_owner,
            single,
            mut anchored,
        } = self;
        drop((seen, collided, single));
        canaries.shrink_to_fit();
        anchored.sort_by_key(|a| (a.anchor, a.text));
        let index = patterns.build();
        CanaryRegistry {
            canaries,
            pattern_owner,
            anchored,
            index,
        }
    }
}

#[cfg(test)]
mod tests;
