//! The operations of a document that the generic probing never calls, and why: the profile's `[[reset]]`
//! (a call that wipes the platform, made once by setup), its setup calls (tenants, identities,
//! representations, sign-up) and its login and logout, the operations `[probing] exclude` names, and those
//! whose name says they wipe data (`reset`, `wipe`, `purge`, `flush`, `truncate`...; a password reset is not
//! one). A profile operation is matched to the document's by method and path template, as
//! [`Document::find`] does for every endpoint.

use std::collections::BTreeMap;
use std::fmt;

use super::{Document, Operation, vocab};
use crate::profile::{Endpoint, Profile};

/// Why the generic probing never calls an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Withheld {
    /// The profile's `[[reset]]`: called once, by setup, before anything is created.
    Reset,
    /// A setup call of the profile: tenants, identities or representations, or the sign-up.
    Setup,
    /// The profile's login or logout.
    Session,
    /// Named by `[probing] exclude`.
    Excluded,
    /// Its operationId, summary or path says it wipes data.
    Destructive,
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Withheld::Reset => "the profile's [[reset]]: called by setup only",
            Withheld::Setup => "a setup call of the profile (tenants, identities, sign-up)",
            Withheld::Session => "the profile's login or logout",
            Withheld::Excluded => "named by [probing] exclude",
            Withheld::Destructive => {
                "its name says it wipes data (reset, wipe, purge, flush...): add it to the profile to probe it"
            }
        })
    }
}

impl Withheld {
    /// A few words, for counts (`2 setup`).
    pub fn short(self) -> &'static str {
        match self {
            Withheld::Reset => "reset",
            Withheld::Setup => "setup",
            Withheld::Session => "login or logout",
            Withheld::Excluded => "excluded",
            Withheld::Destructive => "named as wiping data",
        }
    }
}

/// Words of an operation that wipes data.
fn wipe_word(word: &str) -> bool {
    matches!(
        word,
        "reset" | "wipe" | "purge" | "flush" | "truncate" | "nuke" | "erase" | "drop" | "reinit"
    )
}

/// Whether an operation's name says it wipes data: a word of its operationId, summary or literal path
/// segments. A password reset names a password too, and is not one.
pub fn destructive(op: &Operation) -> bool {
    let mut words: Vec<String> = op
        .segments()
        .into_iter()
        .filter(|s| !super::is_param(s))
        .flat_map(vocab::words)
        .collect();
    words.extend(op.operation_id.iter().flat_map(|id| vocab::words(id)));
    words.extend(vocab::words(&op.summary));
    words.iter().any(|w| wipe_word(w))
        && !words
            .iter()
            .any(|w| matches!(w.as_str(), "password" | "passwd" | "pwd" | "motdepasse"))
}

/// The profile's endpoints that the generic probing must leave alone, with why.
fn profile_calls(profile: &Profile) -> Vec<(&Endpoint, Withheld)> {
    let mut out: Vec<(&Endpoint, Withheld)> =
        profile.reset.iter().map(|e| (e, Withheld::Reset)).collect();
    let setup = profile
        .tenants
        .create
        .iter()
        .chain(profile.accounts.register.iter());
    out.extend(setup.map(|e| (e, Withheld::Setup)));
    if let Some(p) = &profile.provisioning {
        let calls = [
            &p.tenant,
            &p.identity,
            &p.representation,
            &p.end_representation,
        ];
        out.extend(calls.into_iter().flatten().map(|e| (e, Withheld::Setup)));
    }
    let session = profile.auth.login.iter().chain(profile.auth.logout.iter());
    out.extend(session.map(|e| (e, Withheld::Session)));
    out
}

/// Every operation of `doc` the generic probing never calls, by index, with the first reason that applies
/// (in the order of [`Withheld`]).
pub fn withheld(doc: &Document, profile: &Profile) -> BTreeMap<usize, Withheld> {
    let mut out: BTreeMap<usize, Withheld> = BTreeMap::new();
    for (endpoint, why) in profile_calls(profile) {
        if let Some(op) = doc.find(endpoint.method.as_str(), &endpoint.path.text())
            && let Some(index) = doc.operations.iter().position(|o| std::ptr::eq(o, op))
        {
            let entry = out.entry(index).or_insert(why);
            *entry = (*entry).min(why);
        }
    }
    for (index, op) in doc.operations.iter().enumerate() {
        if out.contains_key(&index) {
            continue;
        }
        let excluded = profile
            .probing
            .exclude
            .iter()
            .any(|e| e.matches(&op.method, &op.path, op.operation_id.as_deref()));
        if excluded {
            out.insert(index, Withheld::Excluded);
        } else if destructive(op) {
            out.insert(index, Withheld::Destructive);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, path: &str, id: Option<&str>, summary: &str) -> Operation {
        Operation {
            operation_id: id.map(str::to_string),
            summary: summary.into(),
            ..Operation::bare(method, path)
        }
    }

    #[test]
    fn names_that_say_they_wipe_data_are_destructive_and_ordinary_ones_are_not() {
        assert!(destructive(&op("GET", "/api/reset/", None, "")));
        assert!(destructive(&op(
            "POST",
            "/admin/db",
            Some("wipeDatabase"),
            ""
        )));
        assert!(destructive(&op(
            "DELETE",
            "/cache",
            None,
            "Flush every cache"
        )));
        assert!(destructive(&op(
            "POST",
            "/tables/{name}/truncate",
            None,
            ""
        )));
        // A password reset is not one; nor are ordinary operations, whose words merely contain these.
        assert!(!destructive(&op("POST", "/auth/password/reset/", None, "")));
        assert!(!destructive(&op(
            "POST",
            "/users/{id}/reset-password",
            None,
            ""
        )));
        for (m, p, s) in [
            ("GET", "/api/dropdowns/", "Dropdown values"),
            ("DELETE", "/cases/{id}/", "Delete a case"),
            ("GET", "/resettlement/{id}", "Resettlement file"),
            ("POST", "/items/{id}/archive", "Archive an item"),
            ("GET", "/reports/purchases", "Purchases"),
        ] {
            assert!(!destructive(&op(m, p, None, s)), "{m} {p}");
        }
    }
}
