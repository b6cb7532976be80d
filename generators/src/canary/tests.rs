use super::*;
use crate::World;
use crate::config::GenConfig;
use std::collections::HashMap;

fn world(cases: u64) -> World {
    World::generate(&GenConfig::new(11, 3, cases)).unwrap()
}

#[test]
fn a_kind_is_named_as_it_is_serialized_and_read_back() {
    for kind in CanaryKind::ALL {
        let json = serde_json::to_value(kind).unwrap();
        assert_eq!(json.as_str(), Some(kind.name()));
        assert_eq!(CanaryKind::from_name(kind.name()), Some(kind));
        assert_eq!(serde_json::from_value::<CanaryKind>(json).unwrap(), kind);
    }
    assert_eq!(CanaryKind::from_name("display_name"), None);
}

#[test]
fn canaries_are_unique_across_a_few_thousand_case_files() {
    let w = world(3000);
    let reg = w.canaries();
    let mut owners: HashMap<&str, CanaryOwner> = HashMap::new();
    for c in reg.canaries() {
        assert!(
            owners.insert(c.value, c.owner).is_none(),
            "{} registered twice",
            c.value
        );
    }
    // Values are unique as matched too (folded, any case): no two owners' values match alike.
    let mut keys: HashMap<String, &str> = HashMap::new();
    for c in reg.canaries() {
        if let Some(other) = keys.insert(match_key(c.value), c.value) {
            panic!("{other} and {} match alike", c.value);
        }
    }
    // Every sensitive value of every record is registered, and values shared between two persons only
    // ever are within one case file (a parent carrying the child's surname and address).
    let mut seen: HashMap<String, CaseId> = HashMap::new();
    for case in &w.cases {
        let id = case.case_file.id;
        let mut values: Vec<String> = vec![case.case_file.case_number.clone()];
        for p in &case.persons {
            values.extend([p.surname.clone(), p.nir.clone(), p.address_line.clone()]);
            values.extend(p.phone.iter().chain(&p.email).chain(&p.iban).cloned());
        }
        values.extend(
            case.documents
                .iter()
                .flat_map(|d| [d.reference.clone(), d.file_name.clone()]),
        );
        values.extend(
            case.decisions
                .iter()
                .flat_map(|d| [d.number.clone(), d.text.clone()]),
        );
        values.extend(case.notes.iter().map(|n| n.text.clone()));
        for v in values {
            assert!(owners.contains_key(v.as_str()), "{v} is not registered");
            if let Some(other) = seen.insert(v.clone(), id) {
                assert_eq!(other, id, "{v} appears in two case files");
            }
        }
    }
}

fn registry(values: &[&str]) -> CanaryRegistry {
    let mut b = Builder::default();
    for (i, v) in values.iter().enumerate() {
        let person = PersonId(i as u64 + 1);
        let owner = CanaryOwner {
            tenant: TenantId(1),
            person: Some(person),
            record: RecordRef::Person(person),
            case: None,
        };
        b.add(v, CanaryKind::AddressLine, owner, &[]);
    }
    b.build()
}

fn found(reg: &CanaryRegistry, text: &str) -> Vec<String> {
    reg.scan(text.as_bytes())
        .into_iter()
        .map(|h| h.value)
        .collect()
}

#[test]
fn matching_ignores_ascii_case() {
    let reg = registry(&["Dupont"]);
    for text in ["DUPONT", "dupont", "Mme DuPont."] {
        assert_eq!(found(&reg, text), ["Dupont"], "{text}");
    }
}

#[test]
fn matching_ignores_accents_and_their_case() {
    let reg = registry(&["Hélène Jaurès", "Noel"]);
    for text in [
        "HELENE JAURES",
        "Helene Jaures",
        "HÉLÈNE JAURÈS",
        "hélène jaurès",
    ] {
        assert_eq!(found(&reg, text), ["Hélène Jaurès"], "{text}");
    }
    // A value without accents is found where the text has them.
    assert_eq!(found(&reg, "M. NOËL"), ["Noel"]);
}

#[test]
fn typographic_apostrophes_match_plain_ones_and_ligatures_their_letters() {
    let reg = registry(&["12 rue de l'Église", "Cœur"]);
    assert_eq!(found(&reg, "12 rue de l’Église"), ["12 rue de l'Église"]);
    assert_eq!(found(&reg, "12 RUE DE L'EGLISE"), ["12 rue de l'Église"]);
    assert_eq!(found(&reg, "COEUR"), ["Cœur"]);
    assert_eq!(found(&reg, "CŒUR"), ["Cœur"]);
}

#[test]
fn folded_matches_keep_word_boundaries() {
    let reg = registry(&["Hélène"]);
    assert!(found(&reg, "Hélènes").is_empty());
    assert!(found(&reg, "éHELENE").is_empty(), "é folds to a letter");
    assert_eq!(found(&reg, "«Hélène»"), ["Hélène"], "« is no letter");
}

#[test]
fn offsets_of_a_folded_match_are_those_of_the_original_bytes() {
    let reg = registry(&["Hélène"]);
    let text = "Œuvre de HÉLÈNE, née";
    let hits = reg.scan(text.as_bytes());
    assert_eq!(hits.len(), 1);
    assert_eq!(&text[hits[0].start..hits[0].end], "HÉLÈNE");
    // Bytes that are not UTF-8 are kept as they are, and offsets still point into the original.
    let mut bytes = b"\xff\xfe ".to_vec();
    bytes.extend_from_slice("à Hélène".as_bytes());
    let hits = reg.scan(&bytes);
    assert_eq!(hits.len(), 1);
    assert_eq!(&bytes[hits[0].start..hits[0].end], "Hélène".as_bytes());
}

#[test]
fn values_that_match_alike_keep_their_first_owner() {
    let reg = registry(&["Hélène", "HELENE"]);
    assert_eq!(reg.canaries().len(), 1);
    assert_eq!(found(&reg, "helene"), ["Hélène"]);
}

#[test]
fn scan_finds_every_kind_raw_escaped_and_printed() {
    let w = world(120);
    let reg = w.canaries();
    let mut kinds = std::collections::HashSet::new();
    for c in reg.canaries() {
        kinds.insert(c.kind);
        // Raw, inside JSON.
        let body = serde_json::to_vec(&serde_json::json!({"data": [c.value]})).unwrap();
        let hits = reg.scan(&body);
        assert!(
            hits.iter()
                .any(|h| h.value == c.value && h.owner == c.owner),
            "{:?} {}",
            c.kind,
            c.value
        );
        // ASCII-escaped JSON (Python's ensure_ascii), with escaped slashes (PHP).
        let mut escaped = String::new();
        for ch in c.value.chars() {
            match ch {
                '/' => escaped.push_str("\\/"),
                c if c.is_ascii() => escaped.push(c),
                c => {
                    let mut buf = [0u16; 2];
                    for u in c.encode_utf16(&mut buf) {
                        escaped.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
        let body = format!("{{\"x\":\"{escaped}\"}}");
        assert!(
            reg.scan(body.as_bytes()).iter().any(|h| h.value == c.value),
            "escaped {:?} {escaped}",
            c.kind
        );
    }
    for k in [
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
    ] {
        assert!(kinds.contains(&k), "no canary of kind {k:?}");
    }
}

/// Every way a body may write `value` that the scan must see through: raw, upper case, without
/// accents, the escaped forms the registry used to register, JSON with every character escaped, HTML
/// numeric references (decimal and hex) for every character that is not ASCII or is an apostrophe.
fn written_forms(value: &str) -> Vec<String> {
    let mut forms = escaped_forms(value);
    forms.push(value.to_uppercase());
    forms.push(String::from_utf8(fold::folded_bytes(value)).unwrap());
    let mut all_escaped = String::new();
    let mut decimal = String::new();
    let mut hex = String::new();
    for ch in value.chars() {
        let mut buf = [0u16; 2];
        for unit in ch.encode_utf16(&mut buf) {
            all_escaped.push_str(&format!("\\u{unit:04X}"));
        }
        if ch.is_ascii() && ch != '\'' {
            decimal.push(ch);
            hex.push(ch);
        } else {
            decimal.push_str(&format!("&#{};", ch as u32));
            hex.push_str(&format!("&#x{:x};", ch as u32));
        }
    }
    forms.extend([all_escaped, decimal, hex]);
    forms.sort();
    forms.dedup();
    forms
}

#[test]
fn every_canary_is_found_in_every_escaped_form_at_its_bytes() {
    let w = world(40);
    let reg = w.canaries();
    let mut kinds = std::collections::HashSet::new();
    let mut checked = 0;
    for c in reg.canaries() {
        for form in written_forms(c.value) {
            for (before, after) in [("{\"x\":\"", "\"}"), ("<td>", "</td>"), ("C:\\", " ")] {
                let body = format!("{before}{form}{after}");
                let hits = reg.scan(body.as_bytes());
                let hit = hits
                    .iter()
                    .find(|h| h.value == c.value && h.owner == c.owner);
                let Some(hit) = hit else {
                    panic!("{:?} {} not found in {body}", c.kind, c.value);
                };
                assert_eq!(
                    &body[hit.start..hit.end],
                    form,
                    "{:?} {}: the hit's range is the written form",
                    c.kind,
                    c.value
                );
                checked += 1;
            }
        }
        kinds.insert(c.kind);
    }
    assert_eq!(kinds.len(), CanaryKind::ALL.len(), "every kind checked");
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn a_long_text_is_found_whole_through_its_anchor_and_not_from_its_anchor_alone() {
    let mut b = Builder::default();
    let owner = |i: u64| CanaryOwner {
        tenant: TenantId(1),
        person: Some(PersonId(1)),
        record: RecordRef::Note(NoteId(i)),
        case: None,
    };
    b.add("75-2026-0001/N1", CanaryKind::NoteReference, owner(1), &[]);
    let text = "Entretien avec Mme Hélène : pièces reçues. Réf. 75-2026-0001/N1.";
    b.add_text(text, CanaryKind::NoteText, owner(1), "75-2026-0001/N1");
    // An anchor that is no whole word of its text: the text keeps a pattern of its own.
    b.add("AB12", CanaryKind::NoteReference, owner(2), &[]);
    let other = "Note sans référence propre XAB12.";
    b.add_text(other, CanaryKind::NoteText, owner(2), "AB12");
    let reg = b.build();
    assert_eq!(reg.pattern_count(), 3, "the first text has no pattern");
    let kinds = |body: &str| -> Vec<(CanaryKind, String)> {
        let hits = reg.scan(body.as_bytes());
        let mut found: Vec<(CanaryKind, String)> = hits
            .iter()
            .map(|h| (h.kind, body[h.start..h.end].to_string()))
            .collect();
        found.sort();
        found
    };
    let json = format!("{{\"text\":\"{text}\"}}");
    assert_eq!(
        kinds(&json),
        [
            (CanaryKind::NoteReference, "75-2026-0001/N1".to_string()),
            (CanaryKind::NoteText, text.to_string())
        ]
    );
    let upper = text.to_uppercase();
    assert_eq!(kinds(&upper)[1], (CanaryKind::NoteText, upper.clone()));
    // Escaped (the reference's slash too): the whole escaped text is the hit.
    let escaped = written_forms(text);
    for form in &escaped {
        assert!(
            kinds(form).contains(&(CanaryKind::NoteText, form.clone())),
            "{form}"
        );
    }
    // The anchor alone, the text changed by a letter, cut short or glued to a word: not the text.
    for body in [
        "Réf. 75-2026-0001/N1.".to_string(),
        text.replace("Hélène", "Helena"),
        text[1..].to_string(),
        format!("x{text}"),
    ] {
        assert!(
            kinds(&body).iter().all(|(k, _)| *k != CanaryKind::NoteText),
            "{body}"
        );
    }
    assert!(kinds(other).contains(&(CanaryKind::NoteText, other.to_string())));
}

#[test]
fn a_literal_backslash_before_a_canary_does_not_hide_it() {
    let reg = registry(&["Nadal", "Uabcd", "Tessier"]);
    assert_eq!(found(&reg, "C:\\Nadal\\Uabcd"), ["Nadal", "Uabcd"]);
    assert_eq!(
        found(&reg, "{\"p\":\"C:\\\\nadal\\\\uabcd\\\\tessier\"}"),
        ["Nadal", "Uabcd", "Tessier"]
    );
    // An escaped newline before a canary is a word boundary once undone.
    assert_eq!(found(&reg, "ligne\\nTessier"), ["Tessier"]);
}

#[test]
fn the_registry_grows_by_one_pattern_per_canary_and_its_printed_forms() {
    let w = world(200);
    let reg = w.canaries();
    let texts = reg
        .canaries()
        .filter(|c| matches!(c.kind, CanaryKind::DecisionText | CanaryKind::NoteText))
        .count();
    let printed: usize = w
        .persons()
        .map(|p| 1 + usize::from(p.iban.is_some()) + 4 * usize::from(p.phone.is_some()))
        .sum();
    assert!(texts > 0);
    assert!(
        reg.pattern_count() <= reg.canaries().len() - texts + printed,
        "{} patterns for {} canaries",
        reg.pattern_count(),
        reg.canaries().len()
    );
}

#[test]
fn partial_and_printed_leaks_are_found_and_words_inside_words_are_not() {
    let w = world(60);
    let reg = w.canaries();
    let p = w
        .persons()
        .find(|p| p.phone.is_some() && p.iban.is_some())
        .unwrap();
    let phone = p.phone.clone().unwrap();
    let iban = p.iban.clone().unwrap();
    let body = format!(
        "<td>{}</td><td>{}</td><td>+33 {} {}</td><td>{}</td><td>{}</td>",
        crate::ident::nir_spaced(&p.nir),
        phone_spaced(&phone),
        &phone[1..2],
        phone_spaced(&phone[2..]),
        iban_spaced(&iban),
        p.surname.to_uppercase()
    );
    let kinds: Vec<CanaryKind> = reg.scan(body.as_bytes()).iter().map(|h| h.kind).collect();
    for k in [
        CanaryKind::Nir,
        CanaryKind::Phone,
        CanaryKind::Iban,
        CanaryKind::Surname,
    ] {
        assert!(kinds.contains(&k), "{k:?} not found in {body}");
    }
    assert!(kinds.iter().filter(|k| **k == CanaryKind::Phone).count() >= 2);
    assert!(reg.scan(format!("x{}y", p.surname).as_bytes()).is_empty());
    assert!(
        reg.scan(p.nir.as_bytes())
            .iter()
            .all(|h| h.owner.person == Some(p.id))
    );
}

#[test]
fn world_documents_are_valid_pdfs_of_the_announced_size_with_their_canaries() {
    let w = world(30);
    let reg = w.canaries();
    for d in w.documents() {
        let pdf = w.document_bytes(d);
        assert_eq!(pdf.len() as u64, d.size, "{}", d.file_name);
        crate::pdf::check_structure(&pdf).unwrap();
        assert_eq!(pdf, w.document_bytes(d), "deterministic");
        let hits = reg.scan(&pdf);
        assert!(
            hits.iter()
                .any(|h| h.kind == CanaryKind::DocumentReference && h.value == d.reference)
        );
        let person = w.persons().find(|p| p.id == d.person_id).unwrap();
        assert!(
            hits.iter()
                .any(|h| h.kind == CanaryKind::Surname && h.value == person.surname)
        );
        assert!(
            hits.iter().all(|h| h.owner.tenant == d.tenant_id),
            "a document reveals only its tenant"
        );
    }
    assert_eq!(
        crate::world::document_bytes(w.config(), DocumentId(u64::MAX)).unwrap(),
        None
    );
}
#[test]
fn each_pattern_has_a_key_of_its_own_or_nearly() {
    // The words of phones, case numbers and addresses are shared by thousands of patterns: a pattern is
    // indexed under a run of its words that few others have, so a hit costs a few comparisons, not thousands.
    let world = crate::World::generate(&crate::GenConfig::new(1, 20, 2000)).expect("world");
    let registry = world.canaries();
    assert!(registry.pattern_count() > 50_000);
    assert!(
        registry.index.largest_key() <= 8,
        "{} patterns under one key",
        registry.index.largest_key()
    );
}

/// A canary costs its value's bytes and 24 bytes; owners are held once per run of canaries that share one,
/// and every canary still answers with its own.
#[test]
fn canaries_share_their_owners_and_each_answers_with_its_own() {
    assert!(std::mem::size_of::<Held>() <= 24);
    let world = world(40);
    let registry = CanaryRegistry::from_world(&world);
    assert!(registry.canaries.owners.len() * 2 < registry.canaries.len());
    for person in world.persons() {
        let hits = registry.scan(person.nir.as_bytes());
        assert!(
            hits.iter().any(|h| h.owner.person == Some(person.id)
                && h.owner.record == RecordRef::Person(person.id)),
            "{}",
            person.nir
        );
    }
    for d in world.decisions() {
        let hits = registry.scan(d.number.as_bytes());
        assert!(
            hits.iter()
                .any(|h| h.owner.record == RecordRef::Decision(d.id))
        );
    }
}
