//! How a generic probe fills an operation's path, which is kept exactly as the document writes it (its
//! trailing slash, its literal pieces): each parameter gets what its name or the segment before it says
//! it names ([`vocab::param_role`]).
//!
//! The last parameter is the one probed: it names the record the probe aims at (the victim's identifier,
//! every kind of record's in turn when the name says nothing, the victim's tenant when it names nothing and
//! a collection follows it). For a call as an identity, the parameters
//! before it are the caller's own context: its tenant (`{{own.tenant.code}}`) and its own parent records
//! (`{{own.case.id}}`), so that `/orgs/{org}/cases/{case}/notes/{id}` asks for another's note inside a scope
//! the caller can reach. A parameter that names nothing known stands for a scope, and gets the tenant's
//! code. A call without credentials has no context of its own: every parameter comes from the victim's.

use cloison_suites::RecordKind;

use super::vocab::{self, ParamRole};
use super::{Operation, is_param};

/// The root of the caller's own context in a generic endpoint's templates (the engine adds it).
pub const OWN: &str = "own";

/// One way of filling an operation's path: the kind of record whose identifiers go in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    /// The path template of a call without credentials: every parameter from the victim's context.
    pub anonymous: String,
    /// The path template of a call as an identity: the last parameter from the victim's context, those
    /// before it from the caller's own (`{{own.*}}`); `None` when the parents name records of two kinds
    /// that one own record cannot give.
    pub caller: Option<String>,
    /// The kind of the record that fills it (`None`: no parameter needs a record).
    pub kind: Option<RecordKind>,
    /// The kind tried when the document does not say what the last parameter names (suffix of its key).
    pub guess: Option<RecordKind>,
    /// The kind of the caller's own record its parents name (`None`: at most its tenant).
    pub own: Option<RecordKind>,
}

/// The names of the parameters of one path segment (`{name}.{ext}` has two).
fn names(segment: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = segment;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push(&rest[start + 1..start + end]);
        rest = &rest[start + end + 1..];
    }
    out
}

/// The path with each parameter replaced by `value(position, role)`, everything else kept as written.
fn substitute(
    path: &str,
    roles: &[Option<ParamRole>],
    value: impl Fn(usize, Option<ParamRole>) -> String,
) -> String {
    let mut out = String::new();
    let mut at = 0;
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&value(at, roles.get(at).copied().flatten()));
        at += 1;
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// What each path parameter names, in order.
fn roles(op: &Operation) -> Vec<Option<ParamRole>> {
    let mut roles = Vec::new();
    let mut previous: Option<&str> = None;
    for segment in op.segments() {
        if is_param(segment) {
            roles.extend(
                names(segment)
                    .into_iter()
                    .map(|n| vocab::param_role(n, previous)),
            );
        } else {
            previous = Some(segment);
        }
    }
    roles
}

/// [`fillings`] without a hint from the profile.
#[cfg(test)]
fn plain(op: &Operation) -> Vec<Filled> {
    fillings(op, None)
}

/// The ways of filling an operation's path parameters: one, or one per kind of record when the last
/// parameter names nothing known (or a representation). `hint`: the kind of record the profile names at
/// the last parameter, where one of its paths is the operation's up to there (it wins over the words).
pub fn fillings(op: &Operation, hint: Option<RecordKind>) -> Vec<Filled> {
    let mut roles = roles(op);
    let leaf = roles.len().checked_sub(1);
    if let (Some(l), Some(kind)) = (leaf, hint)
        && !matches!(roles[l], Some(ParamRole::Tenant | ParamRole::Account))
    {
        roles[l] = Some(ParamRole::Record(kind));
    }
    // A last parameter that names nothing known, with literal segments after it, is a scope: a
    // collection inside another's (`/projects/{project}/items/`) is tried with the victim's tenant.
    let after = op.path.rsplit_once('}').map_or("", |(_, rest)| rest);
    if let Some(l) = leaf
        && roles[l].is_none()
        && after.split('/').any(|s| !s.is_empty())
    {
        roles[l] = Some(ParamRole::Tenant);
    }
    let parents = &roles[..leaf.unwrap_or(0)];
    let free = leaf.is_some_and(|l| matches!(roles[l], None | Some(ParamRole::Representation)));
    let known_kind = roles.iter().rev().find_map(|r| match r {
        Some(ParamRole::Record(kind)) => Some(*kind),
        _ => None,
    });
    let parent_kinds: Vec<RecordKind> = parents
        .iter()
        .filter_map(|r| match r {
            Some(ParamRole::Record(kind)) => Some(*kind),
            _ => None,
        })
        .collect();
    // The deepest parent record is the caller's own; the others must be in its context (its case file).
    let own = parent_kinds.last().copied();
    let reachable = parent_kinds
        .iter()
        .all(|k| Some(*k) == own || *k == RecordKind::Case);
    let variants: Vec<Option<RecordKind>> = if free {
        RecordKind::ALL
            .into_iter()
            .filter(|k| !matches!(k, RecordKind::Account | RecordKind::Person))
            .map(Some)
            .collect()
    } else {
        vec![None]
    };
    variants
        .into_iter()
        .map(|guess| {
            let leaf_kind = match leaf.and_then(|l| roles[l]) {
                Some(ParamRole::Record(k)) => Some(k),
                _ => guess,
            };
            let kind = leaf_kind
                .or(known_kind)
                .or(leaf.is_some().then_some(RecordKind::Case));
            let victim = |role: Option<ParamRole>| match role {
                Some(ParamRole::Record(k)) => format!("{{{{{}.id}}}}", k.name()),
                Some(ParamRole::Account) => "{{person.account_id || case.id}}".into(),
                Some(ParamRole::Tenant) => "{{tenant.code}}".into(),
                _ => format!("{{{{{}.id}}}}", guess.unwrap_or(RecordKind::Case).name()),
            };
            let anonymous = substitute(&op.path, &roles, |at, role| {
                if Some(at) == leaf {
                    victim(role)
                } else {
                    match role {
                        Some(ParamRole::Record(k)) => format!("{{{{{}.id}}}}", k.name()),
                        Some(ParamRole::Account) => "{{person.account_id || case.id}}".into(),
                        _ => "{{tenant.code}}".into(),
                    }
                }
            });
            let caller = reachable.then(|| {
                substitute(&op.path, &roles, |at, role| {
                    if Some(at) == leaf {
                        return victim(role);
                    }
                    match role {
                        Some(ParamRole::Record(k)) => format!("{{{{{OWN}.{}.id}}}}", k.name()),
                        Some(ParamRole::Account) => "{{identity.id || identity.login}}".into(),
                        _ => format!("{{{{{OWN}.tenant.code}}}}"),
                    }
                })
            });
            Filled {
                anonymous: if anonymous.is_empty() {
                    "/".into()
                } else {
                    anonymous
                },
                caller,
                kind,
                guess,
                own,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, path: &str) -> Operation {
        Operation::bare(method, path)
    }

    #[test]
    fn paths_are_kept_as_documented_trailing_slash_and_all() {
        let f = &plain(&op("GET", "/api/v1/items/{id}/"))[0];
        assert_eq!(f.anonymous, "/api/v1/items/{{case.id}}/");
        assert_eq!(f.caller.as_deref(), Some("/api/v1/items/{{case.id}}/"));
        assert_eq!(plain(&op("GET", "/api/board/"))[0].anonymous, "/api/board/");
        assert_eq!(plain(&op("GET", "/"))[0].anonymous, "/");
        assert_eq!(
            plain(&op("GET", "/exports/{name}.{ext}"))[0].anonymous,
            "/exports/{{tenant.code}}.{{case.id}}"
        );
    }

    #[test]
    fn the_last_parameter_is_the_victims_and_the_parents_are_the_callers_own() {
        let f = plain(&op("GET", "/orgs/{org}/cases/{case_id}/notes/{id}/"));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].caller.as_deref(),
            Some("/orgs/{{own.tenant.code}}/cases/{{own.case.id}}/notes/{{note.id}}/")
        );
        assert_eq!(
            f[0].anonymous,
            "/orgs/{{tenant.code}}/cases/{{case.id}}/notes/{{note.id}}/"
        );
        assert_eq!(
            (f[0].kind, f[0].own),
            (Some(RecordKind::Note), Some(RecordKind::Case))
        );
        // A parent that names nothing known is a scope: the caller's tenant; the unknown leaf is tried as
        // every kind of record's identifier.
        let f = plain(&op("GET", "/orgs/{org}/projects/{project}/items/{id}"));
        let callers: Vec<_> = f.iter().filter_map(|f| f.caller.clone()).collect();
        assert_eq!(
            callers,
            [
                "/orgs/{{own.tenant.code}}/projects/{{own.tenant.code}}/items/{{case.id}}",
                "/orgs/{{own.tenant.code}}/projects/{{own.tenant.code}}/items/{{document.id}}",
                "/orgs/{{own.tenant.code}}/projects/{{own.tenant.code}}/items/{{note.id}}",
                "/orgs/{{own.tenant.code}}/projects/{{own.tenant.code}}/items/{{decision.id}}",
            ]
        );
        assert!(f.iter().all(|f| f.own.is_none()));
        // A lone parameter is the victim's, whatever it names.
        let f = &plain(&op("GET", "/orgs/{org}/dossiers/{dossierId}/pieces"))[0];
        assert_eq!(
            f.caller.as_deref(),
            Some("/orgs/{{own.tenant.code}}/dossiers/{{case.id}}/pieces")
        );
        assert_eq!(f.own, None);
        assert_eq!(
            plain(&op("GET", "/users/{id}"))[0].caller.as_deref(),
            Some("/users/{{person.account_id || case.id}}")
        );
        assert_eq!(plain(&op("GET", "/me"))[0].kind, None);
    }
}
