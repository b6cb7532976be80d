//! `[roles]` and `[policy]`: the platform's names of cloison's roles, its own staff roles, and what each
//! role may see.

use std::collections::BTreeMap;

use cloison_suites::generators::canary::CanaryKind;
use cloison_suites::policy::Audience;
use cloison_suites::{AccessPolicy, Scope};

use super::{Validator, quoted};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::raw::{RawOperation, RawPolicyEntry, RawRole};
use crate::profile::{ANONYMOUS, CLOISON_ROLES};

/// `[policy.public]`: the kinds of values public by design, and who may see them.
const PUBLIC: &str = "public";
/// In `[policy.public]`, every role.
const EVERY_ROLE: &str = "*";

impl Validator<'_> {
    /// Roles of the platform's own: `[roles] NAME = { staff = true }`, each a tenant's staff with one
    /// identity per tenant and no person, named by the platform (its `{{identity.role}}` is NAME). Each
    /// mistake is recorded; the roles without one are returned.
    pub(super) fn own_roles(&self, raw: &BTreeMap<String, RawRole>) -> Vec<String> {
        raw.iter()
            .filter_map(|(name, role)| match role {
                RawRole::Own(own) => self.keep(self.own_role(raw, name, own.staff)),
                RawRole::Name(_) => None,
            })
            .collect()
    }

    fn own_role(
        &self,
        raw: &BTreeMap<String, RawRole>,
        name: &str,
        staff: bool,
    ) -> Result<String, ProfileError> {
        let at = KeyPath::root("roles");
        if CLOISON_ROLES.contains(&name) {
            return Err(self.err(&at.key(name), format!("`{name}` is one of cloison's roles: give the platform's name of it as a string (`{name} = \"...\"`)")));
        }
        if name == ANONYMOUS {
            return Err(self.err(
                &at.key(name),
                "`anonymous` is the caller without credentials: give this role another name",
            ));
        }
        if !staff {
            return Err(self.err(&at.key(name).key("staff"), "a role of the platform's own is a tenant's staff: expected `staff = true` (persons' roles are cloison's `applicant` and `representative`)"));
        }
        let named = raw
            .iter()
            .find(|(_, r)| matches!(r, RawRole::Name(n) if n == name));
        if let Some((role, _)) = named {
            return Err(self.err(&at.key(name), format!("`{name}` is already the platform's name of `{role}`: a role of the platform's own needs a name of its own")));
        }
        Ok(name.to_string())
    }

    /// Every role a policy, a function or an account may name: cloison's, then the platform's own.
    pub(super) fn role_names(&self) -> Vec<&str> {
        CLOISON_ROLES
            .iter()
            .copied()
            .chain(self.staff.iter().map(String::as_str))
            .collect()
    }

    pub(super) fn is_role(&self, name: &str) -> bool {
        CLOISON_ROLES.contains(&name) || self.staff.iter().any(|s| s == name)
    }

    pub(super) fn roles(
        &self,
        raw: BTreeMap<String, RawRole>,
    ) -> Result<BTreeMap<String, String>, ProfileError> {
        let mark = self.mark();
        let mut roles = BTreeMap::new();
        for role in self.role_names() {
            roles.insert(role.to_string(), role.to_string());
        }
        for (role, platform) in raw {
            let RawRole::Name(platform) = platform else {
                continue;
            };
            if !CLOISON_ROLES.contains(&role.as_str()) {
                self.report(self.err(
                    &KeyPath::root("roles").key(&role),
                    format!(
                        "unknown role `{role}`: expected one of {}",
                        quoted(&CLOISON_ROLES)
                    ),
                ));
                continue;
            }
            roles.insert(role, platform);
        }
        self.since(mark)?;
        Ok(roles)
    }

    /// `[policy]`: keys are cloison's roles or the platform's names of them (`[roles]`).
    pub(super) fn policy(
        &self,
        raw: &BTreeMap<String, RawPolicyEntry>,
        platform_roles: &BTreeMap<String, String>,
    ) -> Result<AccessPolicy, ProfileError> {
        let at = KeyPath::root("policy");
        let mark = self.mark();
        let mut policy = AccessPolicy::new();
        let roles = self.policy_roles(raw, platform_roles);
        for (role, (name, names)) in &roles {
            let Some((scopes, read_only)) = self.keep(self.scopes(&at.key(name), names)) else {
                continue;
            };
            policy = policy.with_role(role.clone(), scopes);
            if !read_only.is_empty() {
                policy = policy.with_read_only(role.clone(), read_only);
            }
        }
        // A misspelt key would also leave its role unsaid: one mistake, said once.
        if self.mark() == mark {
            for role in self.role_names() {
                if !roles.contains_key(role) {
                    self.report(self.err(&at, format!("the policy says nothing about role `{role}`: expected `{role} = [...]` (`[\"nothing\"]` if it sees no record)")));
                }
            }
        }
        // `[policy.KIND]`: other scopes for some roles on records of one kind; `[policy.public]`: values
        // public by design.
        for (kind_name, entry) in raw {
            if let RawPolicyEntry::Kind(table) = entry {
                policy = if kind_name == PUBLIC {
                    self.public_values(policy, table, platform_roles)
                } else {
                    self.kind_policy(policy, kind_name, table, platform_roles)
                };
            }
        }
        self.since(mark)?;
        Ok(policy)
    }

    /// The `ROLE = [scopes]` entries of `[policy]`, by cloison role, each mistake recorded.
    fn policy_roles<'r>(
        &self,
        raw: &'r BTreeMap<String, RawPolicyEntry>,
        platform_roles: &BTreeMap<String, String>,
    ) -> BTreeMap<String, (&'r String, &'r Vec<String>)> {
        let at = KeyPath::root("policy");
        let mut roles: BTreeMap<String, (&String, &Vec<String>)> = BTreeMap::new();
        for (name, entry) in raw {
            let RawPolicyEntry::Scopes(names) = entry else {
                continue;
            };
            // The anonymous caller (the `anonymous` family's, with no credential at all) sees nothing.
            if name == ANONYMOUS {
                if names.as_slice() != ["nothing"] {
                    self.report(self.err(&at.key(name), "an anonymous caller (no credential) may see no record: expected `anonymous = [\"nothing\"]` (public records are not modelled)"));
                }
                continue;
            }
            let Some(role) = self.keep(self.policy_role(&at, name, platform_roles)) else {
                continue;
            };
            if let Some((earlier, _)) = roles.get(&role) {
                self.report(self.err(
                    &at.key(name),
                    format!("role `{role}` is given twice: as `{earlier}` and as `{name}`"),
                ));
                continue;
            }
            roles.insert(role, (name, names));
        }
        roles
    }

    /// `[policy.KIND]`: other scopes for some roles on records of one kind, each mistake recorded.
    fn kind_policy(
        &self,
        mut policy: AccessPolicy,
        kind_name: &str,
        table: &BTreeMap<String, Vec<String>>,
        platform_roles: &BTreeMap<String, String>,
    ) -> AccessPolicy {
        let at = KeyPath::root("policy");
        let Some(kind) = self.kind_named(kind_name) else {
            self.report(self.err(
                &at.key(kind_name),
                format!(
                    "`{kind_name}` is neither a role (with a list of scopes) nor a record kind (with a table of roles): expected a role among {} or a kind among {}",
                    quoted(&self.role_names()),
                    quoted(&self.kind_choices())
                ),
            ));
            return policy;
        };
        let at = at.key(kind_name);
        for (name, names) in table {
            let Some(role) = self.keep(self.policy_role(&at, name, platform_roles)) else {
                continue;
            };
            let Some((scopes, read_only)) = self.keep(self.scopes(&at.key(name), names)) else {
                continue;
            };
            policy = policy.with_kind_role(kind, role.clone(), scopes);
            if !read_only.is_empty() {
                policy = policy.with_kind_read_only(kind, role.clone(), read_only);
            }
        }
        policy
    }

    /// `[policy.public]`: `VALUE_KIND = ["role", ...]` (or `["*"]`, every role), each mistake recorded.
    fn public_values(
        &self,
        mut policy: AccessPolicy,
        table: &BTreeMap<String, Vec<String>>,
        platform_roles: &BTreeMap<String, String>,
    ) -> AccessPolicy {
        let at = KeyPath::root("policy").key(PUBLIC);
        for (name, roles) in table {
            let Some(kind) = CanaryKind::from_name(name) else {
                self.report(self.err(
                    &at.key(name),
                    format!(
                        "unknown kind of value `{name}`: expected one of {}",
                        quoted(&CanaryKind::ALL.map(CanaryKind::name))
                    ),
                ));
                continue;
            };
            if let Some(audience) = self.keep(self.audience(&at.key(name), roles, platform_roles)) {
                policy = policy.with_public(kind, audience);
            }
        }
        policy
    }

    /// Who a public kind of value is public to: `["*"]`, or roles (cloison's or the platform's names).
    fn audience(
        &self,
        at: &KeyPath,
        names: &[String],
        platform_roles: &BTreeMap<String, String>,
    ) -> Result<Audience, ProfileError> {
        if names.is_empty() {
            return Err(self.err(at, "empty list: expected the roles that may see this kind of value whoever it is about (`[\"*\"]` for every role), or no entry"));
        }
        if names.iter().any(|n| n == EVERY_ROLE) {
            if names.len() > 1 {
                return Err(self.err(
                    at,
                    "`*` is every role already: expected `[\"*\"]` alone, or a list of roles",
                ));
            }
            return Ok(Audience::Everyone);
        }
        let mut roles = std::collections::BTreeSet::new();
        for (i, name) in names.iter().enumerate() {
            if name == ANONYMOUS {
                return Err(self.err(&at.index(i), "a caller without credentials sees no record: values public to `anonymous` are not modelled (`*` is every role of the policy)"));
            }
            let role = self
                .policy_role(at, name, platform_roles)
                .map_err(|_| self.unknown_role(&at.index(i), name, platform_roles))?;
            if !roles.insert(role.clone()) {
                return Err(self.err(&at.index(i), format!("role `{role}` given twice")));
            }
        }
        Ok(Audience::Roles(roles))
    }

    /// `narrow = { ROLE = [scopes] }` on resources' operations: through that endpoint, the role reaches only
    /// what those scopes grant (`["nothing"]`: it is refused there). Each mistake recorded.
    pub(super) fn narrowing(
        &self,
        mut policy: AccessPolicy,
        resources: &BTreeMap<String, BTreeMap<String, RawOperation>>,
        platform_roles: &BTreeMap<String, String>,
    ) -> AccessPolicy {
        for (name, ops) in resources {
            for (op, operation) in ops {
                let RawOperation::One(endpoint) = operation else {
                    continue;
                };
                let Some(narrow) = &endpoint.narrow else {
                    continue;
                };
                // A create's `narrow` is refused with its endpoint (`Validator::endpoint_of`).
                if op == "create" {
                    continue;
                }
                let key = KeyPath::root("resources").key(name).key(op);
                let at = key.key("narrow");
                if narrow.is_empty() {
                    self.report(self.err(&at, "empty table: expected `ROLE = [scopes]` for each role this endpoint narrows (`[\"nothing\"]` if it refuses the role outright)"));
                }
                for (role_name, names) in narrow {
                    let Some(role) = self.keep(self.policy_role(&at, role_name, platform_roles))
                    else {
                        continue;
                    };
                    let Some((scopes, read_only)) =
                        self.keep(self.scopes(&at.key(role_name), names))
                    else {
                        continue;
                    };
                    if !read_only.is_empty() {
                        self.report(self.err(&at.key(role_name), "`:read` means nothing here: an endpoint does one thing, so `narrow` lists plain scopes (`[\"own\"]`, `[\"nothing\"]`)"));
                        continue;
                    }
                    policy = policy.with_narrowed(key.to_string(), role, scopes);
                }
            }
        }
        policy
    }

    /// The error of an unknown role at `at` (an element of a list).
    fn unknown_role(
        &self,
        at: &KeyPath,
        name: &str,
        platform_roles: &BTreeMap<String, String>,
    ) -> ProfileError {
        let named: Vec<&str> = platform_roles
            .iter()
            .filter(|(role, platform)| role != platform)
            .map(|(_, platform)| platform.as_str())
            .collect();
        let also = if named.is_empty() {
            String::new()
        } else {
            format!(
                " or the platform's name of one in [roles] ({})",
                quoted(&named)
            )
        };
        self.err(
            at,
            format!(
                "unknown role `{name}`: expected `*` (every role), one of {}{also}",
                quoted(&self.role_names())
            ),
        )
    }

    /// The cloison role a policy key names: itself, or the role the platform calls so in `[roles]`.
    pub(super) fn policy_role(
        &self,
        at: &KeyPath,
        name: &str,
        platform_roles: &BTreeMap<String, String>,
    ) -> Result<String, ProfileError> {
        if self.is_role(name) {
            return Ok(name.to_string());
        }
        if let Some((role, _)) = platform_roles
            .iter()
            .find(|(role, platform)| *platform == name && role != platform)
        {
            return Ok(role.clone());
        }
        let named: Vec<&str> = platform_roles
            .iter()
            .filter(|(role, platform)| role != platform)
            .map(|(_, platform)| platform.as_str())
            .collect();
        let also = if named.is_empty() {
            String::new()
        } else {
            format!(
                " or the platform's name of one in [roles] ({})",
                quoted(&named)
            )
        };
        Err(self.err(
            &at.key(name),
            format!(
                "unknown role `{name}`: expected one of {}{also}",
                quoted(&self.role_names())
            ),
        ))
    }

    /// A role's list of scopes: each `SCOPE` (reading and changing) or `SCOPE:read` (reading only).
    /// Returns every scope, and those that grant reading only.
    pub(super) fn scopes(
        &self,
        at: &KeyPath,
        names: &[String],
    ) -> Result<(Vec<Scope>, Vec<Scope>), ProfileError> {
        let mut scopes = Vec::new();
        let mut read_only = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let (base, only_read) = match name.split_once(':') {
                Some((base, "read")) => (base, true),
                Some((_, suffix)) => {
                    return Err(self.err(
                        &at.index(i),
                        format!("unknown suffix `:{suffix}` in `{name}`: expected `SCOPE` or `SCOPE:read` (reading only)"),
                    ));
                }
                None => (name.as_str(), false),
            };
            let Some(scope) = Scope::from_name(base) else {
                return Err(self.err(
                    &at.index(i),
                    format!(
                        "unknown scope `{base}`: expected one of {} (each may end in `:read` for reading only)",
                        quoted(&Scope::ALL.map(Scope::name))
                    ),
                ));
            };
            if scope == Scope::Nothing && only_read {
                return Err(self.err(
                    &at.index(i),
                    "`nothing:read` means nothing: expected `nothing`",
                ));
            }
            if scopes.contains(&scope) {
                return Err(self.err(&at.index(i), format!("scope `{base}` given twice")));
            }
            scopes.push(scope);
            if only_read {
                read_only.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(self.err(
                at,
                "empty list: expected at least one scope (`nothing` if the role sees no record)",
            ));
        }
        if scopes.contains(&Scope::Nothing) && scopes.len() > 1 {
            return Err(self.err(at, "`nothing` cannot be combined with other scopes"));
        }
        Ok((scopes, read_only))
    }
}
