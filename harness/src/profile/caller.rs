//! `{{caller.*}}`: the identity that sends a request, apart from the record the request is about.
//!
//! In the endpoints an identity calls (resources, functions, `[auth]`, the transfer transition),
//! `{{caller.NAME}}` is that identity (`login`, `id`, `key`, `role`, `display_name`, `attributes`, and its
//! `password` and `token`), and `{{caller.tenant.NAME}}` its own tenant (`code`, `name`, ..., `id` and
//! `credential`), whatever record the request names: `{{tenant.*}}` stays the record's tenant. A request
//! without credentials (the anonymous family) never carries a caller's credential: the headers and query
//! parameters that read one are left out, and a path or body that reads one is not probed anonymously.

pub use cloison_suites::CallerUse;

use super::model::Endpoint;
use super::template::Template;

/// The placeholder root of the caller.
pub const CALLER: &str = "caller";

/// Whether a placeholder path names the identity that sends the request (`{{caller.*}}`, or
/// `{{identity.*}}`, which is the same identity in the endpoints it calls).
pub fn names_caller(path: &[String]) -> bool {
    matches!(path.first().map(String::as_str), Some(CALLER | "identity"))
}

/// Whether a placeholder path reads a credential: the caller's password or token, its tenant's
/// credential, the login's token.
pub fn is_credential(path: &[String]) -> bool {
    let field = |i: usize| path.get(i).map(String::as_str);
    match field(0) {
        Some("token") => true,
        Some("tenant") => field(1) == Some("credential"),
        Some(CALLER | "identity") => match field(1) {
            Some("password" | "token") => true,
            Some("tenant") => field(2) == Some("credential"),
            _ => false,
        },
        _ => false,
    }
}

/// Whether a template reads a credential ([`is_credential`]), fallbacks included.
pub fn reads_credential(template: &Template) -> bool {
    template.paths().iter().any(|path| is_credential(path))
}

impl Endpoint {
    /// What the endpoint's request takes from the identity that sends it: its credential in the path or
    /// the body (headers and query parameters that read one are left out of requests without credentials),
    /// else its values anywhere, else nothing. For a `collection` (no record in its templates),
    /// `{{tenant.*}}` is the caller's own tenant too.
    pub fn caller_use(&self, collection: bool) -> CallerUse {
        let unsent = [self.origin.key("headers"), self.origin.key("query")];
        let mut out = CallerUse::Nothing;
        for (key, template) in self.templates() {
            let dropped = unsent.iter().any(|prefix| key.0.starts_with(&prefix.0));
            for path in template.paths() {
                if is_credential(&path) && !dropped {
                    return CallerUse::Credential;
                }
                let own_tenant = collection && path.first().is_some_and(|r| r == "tenant");
                if (names_caller(&path) || own_tenant) && !is_credential(&path) {
                    out = CallerUse::Values;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Body, KeyPath};

    fn endpoint(path: &str, headers: &[(&str, &str)]) -> Endpoint {
        Endpoint {
            origin: KeyPath::root("resources").key("item").key("read"),
            method: reqwest::Method::GET,
            path: Template::parse(path).expect("valid"),
            query: Vec::new(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), Template::parse(v).expect("valid")))
                .collect(),
            body: Body::None,
            extract: Vec::new(),
            ok: None,
            actor: None,
            refusals: None,
            marker: None,
            soft: None,
            granted: None,
            kind: None,
            poll: Default::default(),
            read: false,
            effect: None,
        }
    }

    /// What an endpoint takes from its caller: nothing, its values (a path naming its project), or its
    /// credential where a request without credentials cannot leave it out (the path).
    #[test]
    fn an_endpoint_says_what_it_takes_from_its_caller() {
        let key = [("X-Project-Key", "{{caller.tenant.credential}}")];
        let cases = [
            ("/items/{{case.id}}", &[][..], CallerUse::Nothing),
            (
                "/projects/{{caller.tenant.id}}/items/{{case.id}}",
                &key[..],
                CallerUse::Values,
            ),
            (
                "/users/{{identity.login}}/items",
                &[][..],
                CallerUse::Values,
            ),
            ("/items/{{case.id}}", &key[..], CallerUse::Nothing),
            (
                "/projects/{{caller.tenant.credential}}/items",
                &[][..],
                CallerUse::Credential,
            ),
            ("/me/{{identity.token}}", &[][..], CallerUse::Credential),
            ("/items/{{tenant.code}}", &[][..], CallerUse::Nothing),
        ];
        for (path, headers, expected) in cases {
            assert_eq!(
                endpoint(path, headers).caller_use(false),
                expected,
                "{path}"
            );
        }
        // A collection's `{{tenant.*}}` is its caller's own tenant.
        let collection = endpoint("/tenants/{{tenant.code}}/items", &[]);
        assert_eq!(collection.caller_use(true), CallerUse::Values);
        assert_eq!(collection.caller_use(false), CallerUse::Nothing);
    }

    #[test]
    fn credentials_are_the_passwords_tokens_and_tenant_credentials() {
        let path = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
        for credential in [
            "caller.password",
            "caller.token",
            "caller.tenant.credential",
            "identity.password",
            "identity.token",
            "tenant.credential",
            "token",
        ] {
            assert!(is_credential(&path(credential)), "{credential}");
        }
        for value in [
            "caller.login",
            "caller.tenant.id",
            "caller.tenant.code",
            "identity.id",
            "tenant.id",
            "case.id",
            "secrets.key",
        ] {
            assert!(!is_credential(&path(value)), "{value}");
        }
    }
}
