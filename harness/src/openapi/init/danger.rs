//! Operations `init` never describes and the written profile excludes from generic probing: those that reset,
//! seed, migrate, wipe or flush the platform, and deletes of a whole collection (a bulk delete), whatever
//! their method (a `GET` that wipes the database included).

use crate::openapi::vocab::words;
use crate::openapi::{Operation, is_param};

/// Whether a word of a path or an `operationId` says the call resets or rebuilds the platform.
pub(super) fn dangerous_word(word: &str) -> bool {
    matches!(
        word,
        "reset"
            | "resetdb"
            | "seed"
            | "seeds"
            | "seeding"
            | "migrate"
            | "migration"
            | "migrations"
            | "wipe"
            | "purge"
            | "truncate"
            | "drop"
            | "flush"
            | "nuke"
            | "destroy"
            | "reinit"
            | "reinitialize"
            | "factory"
            | "teardown"
            | "cleanup"
            | "clear"
    )
}

/// Why `op` is dangerous, if it is.
pub(super) fn why(op: &Operation) -> Option<&'static str> {
    let path_words = op
        .segments()
        .iter()
        .filter(|s| !is_param(s))
        .flat_map(|s| words(s))
        .collect::<Vec<_>>();
    let id_words = op.operation_id.as_deref().map(words).unwrap_or_default();
    if path_words
        .iter()
        .chain(&id_words)
        .any(|w| dangerous_word(w))
    {
        return Some("resets, seeds, migrates or wipes data");
    }
    let bulk = op.method == "DELETE" && op.segments().last().is_some_and(|s| !is_param(s));
    bulk.then_some("deletes a whole collection")
}

/// Whether `op` is dangerous.
pub(super) fn dangerous(op: &Operation) -> bool {
    why(op).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_seeds_migrations_and_bulk_deletes_are_dangerous() {
        for (method, path) in [
            ("GET", "/admin/reset-db"),
            ("POST", "/api/seed/"),
            ("POST", "/migrate"),
            ("DELETE", "/items/"),
        ] {
            assert!(dangerous(&Operation::bare(method, path)), "{method} {path}");
        }
        for (method, path) in [("DELETE", "/items/{id}/"), ("GET", "/items/")] {
            assert!(
                !dangerous(&Operation::bare(method, path)),
                "{method} {path}"
            );
        }
    }
}
