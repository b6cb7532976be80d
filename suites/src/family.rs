//! The probe families: each names a class of authorization flaw, what it needs from the target's profile,
//! and the weaknesses it maps to (CWE, OWASP API Security Top 10 2023).
//!
//! A family is data: the planner ([`crate::planner`]) reads [`Family::needs`] against the target's
//! [`crate::surface::Surface`] to decide whether it applies, plans its probes from the world and the policy,
//! and the verdict functions ([`crate::verdict`]) judge them.

use serde::{Deserialize, Serialize};

/// A class of probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Identities read data they may see: it must be served, with its own canaries (not a finding family:
    /// a failed control makes the run inconclusive).
    Control,
    /// Read, download or list another identity's record directly by its identifier.
    DirectRead,
    /// Reads the policy allows, scanned for data the caller may not see.
    AllowedRead,
    /// Update or delete another identity's record directly by its identifier, judged by read-backs.
    DirectWrite,
    /// Collections (lists) scanned for foreign data; an identity's own records must be in them.
    Collection,
    /// Searches by other persons' identifying values.
    Search,
    /// Exports (CSV, JSON, archives) scanned for foreign data.
    Export,
    /// Functions a role is not granted, called by that role.
    FunctionLevel,
    /// Owner, tenant or role fields slipped into an identity's own update.
    MassAssignment,
    /// Headers, query parameters or body fields that name another tenant.
    TenantSelector,
    /// Identifiers next to the caller's own, and missing identifiers compared with forbidden ones.
    IdentifierGuessing,
    /// Every endpoint without credentials.
    Anonymous,
    /// Sequences of transitions (logout, transfer, end of a representation, deletion, role change) after
    /// which every identity's view must match the reference model.
    Stateful,
    /// Child records (documents, notes, traces) created under a parent record the caller may not write,
    /// judged by the parent's owner's list of its children.
    ForeignCreate,
    /// Role, admin and permission fields sent at sign-up and in an identity's own profile update; the
    /// identity logs in again and reads what its old role may not.
    PrivilegeEscalation,
    /// Credential changes (a password) called on another identity's account; proven by logging in as it.
    AccountTakeover,
    /// Credentials forged from an attacker's own JSON Web Token (signature unchecked, `alg: none`, a weak
    /// signing key), claims swapped to a victim, reading the victim's records.
    ForgedCredential,
    /// The platform's audit trail reconciled with what the run did: every access to another's record and
    /// every change has an entry naming actor and record, refusals appear as denied events, and the trail
    /// holds none of the processing's special-category content.
    AuditTrail,
}

/// What a family needs from the target's profile to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// An endpoint that reads a record by its identifier (read, download, or a list nested under a record).
    RecordRead,
    /// An endpoint that updates or deletes a record by its identifier.
    RecordWrite,
    /// An update endpoint whose JSON or form body can carry extra fields.
    UpdateBody,
    /// A collection endpoint (a list with no record in its path).
    Collection,
    /// A search endpoint.
    Search,
    /// An export endpoint.
    Export,
    /// Functions declared with the roles they are granted to, at least one not granted to some role.
    Functions,
    /// A platform with tenants (its profile does not say `[tenants] mode = "none"`).
    Tenancy,
    /// More than one tenant in the world.
    Tenants,
    /// Records whose identifiers the platform gave (every seeded record has one).
    Identifiers,
    /// At least one transition the target offers (login and logout, transfer, representation end, delete,
    /// role change) and a case file it can create.
    Transitions,
    /// A `create` of child records under a case file (its path or body names the case) that writes the
    /// probe's marker, and a list of those children nested under the case.
    ChildCreate,
    /// A sign-up ([accounts.register]) or an identity's own profile update ([accounts.update]).
    RoleRoute,
    /// An account credential change templated on the target account ([accounts.password]).
    CredentialChange,
    /// Accounts cloison creates (provisioned or signed up): it never changes the role or credential of an
    /// account that existed before the run.
    OwnAccounts,
    /// Identities that log in and get a session credential (a token or a cookie), not a fixed key.
    SessionLogin,
    /// A way to read the platform's audit trail after the probes (`[audit]`).
    AuditTrail,
}

impl Need {
    /// How to satisfy the need, for the coverage block.
    pub fn explain(self) -> &'static str {
        match self {
            Need::RecordRead => "no `read`, `download` or nested `list` endpoint in [resources]",
            Need::RecordWrite => "no `update` or `delete` endpoint in [resources]",
            Need::UpdateBody => "no `update` endpoint with a JSON or form body",
            Need::Collection => {
                "no `list` endpoint without a record in its path, and no `GET` [functions] entry without one that a role of the world is granted"
            }
            Need::Search => "no `search` endpoint in [resources]",
            Need::Export => "no `export` endpoint in [resources]",
            Need::Functions => "no [functions] entry that some role is not granted",
            Need::Tenancy => "the platform has no tenants ([tenants] mode = \"none\")",
            Need::Tenants => "the world has a single tenant",
            Need::Identifiers => "no record was seeded",
            Need::Transitions => {
                "no transition: a case `create` and `read` endpoint and one of [auth.logout], [transitions.transfer], [provisioning.end_representation], a case `delete` or [transitions.change_role]"
            }
            Need::ChildCreate => {
                "no `create` of records under a case file (`{{case.id}}` in its path or body) that writes `{{probe.marker || ...}}` in a field, with a `list` of those records nested under the case"
            }
            Need::RoleRoute => {
                "no sign-up ([accounts.register]) and no own profile update ([accounts.update])"
            }
            Need::CredentialChange => "no account credential change ([accounts.password])",
            Need::OwnAccounts => {
                "the accounts existed before the run ([accounts] source = \"existing\" or \"none\"): cloison changes no role or credential it cannot restore"
            }
            Need::SessionLogin => {
                "no [auth.login]: identities send fixed keys, not session credentials a platform signs"
            }
            Need::AuditTrail => {
                "no [audit] section: the profile does not say how to read the platform's audit trail (an endpoint, the application container's logs or a JSON-lines file)"
            }
        }
    }
}

impl Family {
    /// Every finding family, in planning order (the control is not a finding family).
    pub const ALL: [Family; 17] = [
        Family::DirectRead,
        Family::AllowedRead,
        Family::Collection,
        Family::Search,
        Family::Export,
        Family::FunctionLevel,
        Family::TenantSelector,
        Family::IdentifierGuessing,
        Family::Anonymous,
        Family::DirectWrite,
        Family::MassAssignment,
        Family::Stateful,
        Family::ForeignCreate,
        Family::PrivilegeEscalation,
        Family::AccountTakeover,
        Family::ForgedCredential,
        Family::AuditTrail,
    ];

    /// The kebab-case name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Family::Control => "control",
            Family::DirectRead => "direct-read",
            Family::AllowedRead => "allowed-read",
            Family::DirectWrite => "direct-write",
            Family::Collection => "collection",
            Family::Search => "search",
            Family::Export => "export",
            Family::FunctionLevel => "function-level",
            Family::MassAssignment => "mass-assignment",
            Family::TenantSelector => "tenant-selector",
            Family::IdentifierGuessing => "identifier-guessing",
            Family::Anonymous => "anonymous",
            Family::Stateful => "stateful",
            Family::ForeignCreate => "foreign-create",
            Family::PrivilegeEscalation => "privilege-escalation",
            Family::AccountTakeover => "account-takeover",
            Family::ForgedCredential => "forged-credential",
            Family::AuditTrail => "audit-trail",
        }
    }

    /// Parse a family from its name.
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL
            .into_iter()
            .chain([Family::Control])
            .find(|f| f.name() == name)
    }

    /// One sentence on what the family tries.
    pub fn summary(self) -> &'static str {
        match self {
            Family::Control => "identities read their own data, which must be served",
            Family::DirectRead => {
                "every role reads, downloads and lists records of others by their identifiers"
            }
            Family::AllowedRead => {
                "reads the policy allows, scanned for data the caller may not see"
            }
            Family::DirectWrite => {
                "every role updates and deletes records of others; owners and writers read back"
            }
            Family::Collection => "every identity's lists are scanned for foreign data",
            Family::Search => "identities search for other persons by their identifying values",
            Family::Export => "every identity's exports are scanned for foreign data",
            Family::FunctionLevel => "every role calls the functions it is not granted",
            Family::MassAssignment => {
                "owner, tenant and role fields naming someone else, slipped into an identity's own update"
            }
            Family::TenantSelector => {
                "headers, query parameters and fields that name another tenant"
            }
            Family::IdentifierGuessing => {
                "identifiers next to the caller's own; forbidden and missing objects compared"
            }
            Family::Anonymous => "every endpoint called without credentials",
            Family::ForgedCredential => {
                "tokens forged from an identity's own JWT (signature kept or stripped, alg none, a common weak key, expiry moved), claims swapped to a victim, read the victim's records"
            }
            Family::Stateful => {
                "sequences of logouts, transfers, ends of representations, deletions and role changes, after each of which every identity's view must match the model"
            }
            Family::ForeignCreate => {
                "every role creates child records under case files it may not write; the parent's owner lists them back"
            }
            Family::PrivilegeEscalation => {
                "role and admin fields sent at sign-up and in an identity's own update; it logs in again and reads what its old role may not"
            }
            Family::AccountTakeover => {
                "an identity changes another's password; logging in as the victim with the new one proves it"
            }
            Family::AuditTrail => {
                "the platform's audit trail read after the probes: every access to another's record and every change logged with actor and record, refusals logged, no special-category data in it"
            }
        }
    }

    /// What the family needs from the profile (all of them).
    pub fn needs(self) -> &'static [Need] {
        match self {
            Family::Control | Family::DirectRead | Family::AllowedRead => &[Need::RecordRead],
            Family::DirectWrite => &[Need::RecordWrite],
            Family::Collection => &[Need::Collection],
            Family::Search => &[Need::Search],
            Family::Export => &[Need::Export],
            Family::FunctionLevel => &[Need::Functions],
            Family::MassAssignment => &[Need::UpdateBody],
            Family::TenantSelector => &[Need::Tenancy, Need::Tenants],
            Family::IdentifierGuessing => &[Need::RecordRead, Need::Identifiers],
            Family::Anonymous => &[],
            Family::Stateful => &[Need::RecordRead, Need::Transitions],
            Family::ForeignCreate => &[Need::ChildCreate],
            Family::PrivilegeEscalation => &[Need::RecordRead, Need::RoleRoute, Need::OwnAccounts],
            Family::AccountTakeover => &[Need::CredentialChange, Need::OwnAccounts],
            Family::ForgedCredential => &[Need::RecordRead, Need::SessionLogin],
            Family::AuditTrail => &[Need::AuditTrail],
        }
    }

    /// The CWE entries the family's flaws map to.
    pub fn cwe(self) -> &'static [&'static str] {
        match self {
            Family::Control => &[],
            Family::DirectRead | Family::AllowedRead => &["CWE-639", "CWE-200"],
            Family::DirectWrite => &["CWE-639", "CWE-284"],
            Family::Collection | Family::Search => &["CWE-863", "CWE-200"],
            Family::Export => &["CWE-863", "CWE-359"],
            Family::FunctionLevel => &["CWE-285"],
            Family::MassAssignment => &["CWE-915"],
            Family::TenantSelector => &["CWE-807", "CWE-639"],
            Family::IdentifierGuessing => &["CWE-203", "CWE-340"],
            Family::Anonymous => &["CWE-306"],
            Family::Stateful => &["CWE-613", "CWE-284"],
            Family::ForeignCreate => &["CWE-639", "CWE-862"],
            Family::PrivilegeEscalation => &["CWE-269", "CWE-915"],
            Family::AccountTakeover => &["CWE-639", "CWE-620"],
            Family::ForgedCredential => &["CWE-347", "CWE-287"],
            Family::AuditTrail => &["CWE-778", "CWE-532"],
        }
    }

    /// The OWASP API Security Top 10 (2023) category.
    pub fn owasp(self) -> &'static str {
        match self {
            Family::Control => "",
            Family::DirectRead
            | Family::AllowedRead
            | Family::DirectWrite
            | Family::Collection
            | Family::Search
            | Family::TenantSelector
            | Family::IdentifierGuessing
            | Family::Stateful
            | Family::ForeignCreate => "API1:2023 Broken Object Level Authorization",
            Family::Export | Family::MassAssignment => {
                "API3:2023 Broken Object Property Level Authorization"
            }
            Family::FunctionLevel => "API5:2023 Broken Function Level Authorization",
            Family::PrivilegeEscalation => {
                "API3:2023 Broken Object Property Level Authorization; API5:2023 Broken Function Level Authorization"
            }
            Family::AccountTakeover => {
                "API1:2023 Broken Object Level Authorization; API2:2023 Broken Authentication"
            }
            Family::Anonymous | Family::ForgedCredential => "API2:2023 Broken Authentication",
            Family::AuditTrail => "API8:2023 Security Misconfiguration",
        }
    }

    /// Whether the family's probes change the target's data (they run last).
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Family::DirectWrite | Family::MassAssignment | Family::ForeignCreate
        )
    }

    /// Whether the family changes identities' roles or credentials: its probes run on identities set
    /// aside for them, after the stateful suite, each a sequence of its own (see `planner::accounts`).
    pub fn changes_accounts(self) -> bool {
        matches!(self, Family::PrivilegeEscalation | Family::AccountTakeover)
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_finding_family_is_mapped() {
        for family in Family::ALL {
            assert_eq!(Family::from_name(family.name()), Some(family));
            assert!(!family.cwe().is_empty(), "{family}");
            assert!(family.owasp().starts_with("API"), "{family}");
            assert!(!family.summary().is_empty());
        }
        assert_eq!(Family::from_name("control"), Some(Family::Control));
        assert_eq!(Family::from_name("nope"), None);
    }
}
