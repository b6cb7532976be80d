//! The document's own nouns: where the domain's vocabulary names no case file (or no document), the
//! collections the document creates and reads are bound to record kinds by their shape alone, in any
//! language: the top-level collection with a create and a read by identifier and the most operations holds
//! the case files, a collection created under one of its records the documents (a multipart create) or the
//! notes. Words that name something else (tenants, accounts, logins, health, searches, exports, versions)
//! are never taken; dangerous operations do not count.

use std::collections::BTreeMap;

use cloison_suites::RecordKind;

use crate::openapi::vocab::{self, singular, words};
use crate::openapi::{Document, Operation, is_param};

/// What the document does with one noun.
#[derive(Debug, Default, Clone)]
struct Noun {
    /// A `POST` on its collection.
    create: bool,
    /// A `GET` of one of its records.
    read: bool,
    /// The create sends multipart.
    multipart: bool,
    /// The noun it is nested under (`/parents/{id}/children`).
    parent: Option<String>,
    /// Operations on it.
    operations: usize,
}

/// The noun a literal segment names (the singular of its last word), unless it names something else.
fn noun_of(segment: &str) -> Option<String> {
    let word = words(segment).pop()?;
    let noun = singular(&word);
    let taken = vocab::builtin_kind_word(&word).is_some()
        || vocab::tenant_word(&word)
        || vocab::account_word(&word)
        || vocab::representation_word(&word)
        || vocab::login_word(&word)
        || vocab::logout_word(&word)
        || vocab::health_word(&word)
        || vocab::search_word(&word)
        || vocab::export_word(&word)
        || super::danger::dangerous_word(&word)
        || matches!(
            noun.as_str(),
            "api" | "me" | "admin" | "auth" | "register" | "signup" | "join" | "rest" | "public"
        )
        || noun.len() < 2
        || noun.chars().any(|c| c.is_ascii_digit());
    (!taken).then_some(noun)
}

/// Record what `op` does to the noun of its collection or record.
fn observe(nouns: &mut BTreeMap<String, Noun>, doc: &Document, op: &Operation) {
    let segments = op.segments();
    let n = segments.len();
    let (at, record) = match segments.last() {
        Some(last) if is_param(last) && n >= 2 && !is_param(segments[n - 2]) => (n - 2, true),
        Some(last) if !is_param(last) => (n - 1, false),
        _ => return,
    };
    let Some(noun) = noun_of(segments[at]) else {
        return;
    };
    let parent = (at >= 2 && is_param(segments[at - 1]) && !is_param(segments[at - 2]))
        .then(|| noun_of(segments[at - 2]))
        .flatten();
    let entry = nouns.entry(noun).or_default();
    entry.operations += 1;
    if entry.parent.is_none() {
        entry.parent = parent;
    }
    match (record, op.method.as_str()) {
        (false, "POST") => {
            entry.create = true;
            entry.multipart |= op
                .body
                .as_ref()
                .is_some_and(|b| b.media.contains("multipart"));
        }
        (true, "GET") => entry.read = true,
        _ => {}
    }
    let _ = doc;
}

/// The document's nouns bound to the kinds the domain's words leave unnamed.
pub(super) fn bind(doc: &Document) -> BTreeMap<String, RecordKind> {
    let mut named = std::collections::BTreeSet::new();
    let mut nouns: BTreeMap<String, Noun> = BTreeMap::new();
    for op in &doc.operations {
        for segment in op.segments().iter().filter(|s| !is_param(s)) {
            if let Some(kind) = words(segment)
                .iter()
                .find_map(|w| vocab::builtin_kind_word(w))
            {
                named.insert(kind);
            }
        }
        if !super::danger::dangerous(op) {
            observe(&mut nouns, doc, op);
        }
    }
    let mut out = BTreeMap::new();
    let case = if named.contains(&RecordKind::Case) {
        None
    } else {
        nouns
            .iter()
            .filter(|(_, n)| n.create && n.read && n.parent.is_none())
            .max_by_key(|(name, n)| (n.operations, std::cmp::Reverse((*name).clone())))
            .map(|(name, _)| name.clone())
    };
    if let Some(case) = &case {
        out.insert(case.clone(), RecordKind::Case);
    }
    let children: Vec<(&String, &Noun)> = nouns
        .iter()
        .filter(|(name, n)| {
            n.create && n.parent.is_some() && n.parent == case && Some(*name) != case.as_ref()
        })
        .collect();
    for (kind, multipart) in [(RecordKind::Document, true), (RecordKind::Note, false)] {
        if named.contains(&kind) {
            continue;
        }
        let child = children
            .iter()
            .filter(|(name, n)| n.multipart == multipart && !out.contains_key(*name))
            .max_by_key(|(_, n)| n.operations);
        if let Some((name, _)) = child {
            out.insert((*name).clone(), kind);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_nouns_become_case_files_and_their_children() {
        let doc = Document::parse(
            "shop.json",
            r#"{"openapi": "3.0.0", "paths": {
              "/api/v1/orders/": {"get": {"responses": {}}, "post": {"responses": {}}},
              "/api/v1/orders/{order_pk}/": {"get": {"responses": {}}, "delete": {"responses": {}}},
              "/api/v1/orders/{order_pk}/lines/": {"post": {"responses": {}}},
              "/api/v1/orders/{order_pk}/lines/{id}/": {"get": {"responses": {}}},
              "/api/v1/tags/": {"post": {"responses": {}}},
              "/api/v1/tags/{id}/": {"get": {"responses": {}}},
              "/api/v1/admin/reset-db": {"post": {"responses": {}}}
            }}"#,
        )
        .expect("parses");
        let nouns = bind(&doc);
        assert_eq!(nouns.get("order"), Some(&RecordKind::Case), "{nouns:?}");
        assert_eq!(nouns.get("line"), Some(&RecordKind::Note), "{nouns:?}");
        assert_eq!(nouns.get("tag"), None, "{nouns:?}");
    }
}
