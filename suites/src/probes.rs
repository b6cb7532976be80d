//! Probes as data: who acts, through which endpoint, on which record, with what variation, and what the
//! policy expects; the cell a probe belongs to (the unit of coverage and of root causes); and proptest
//! strategies that shrink a failing cell to its minimal counterexample.

use std::sync::Arc;

use proptest::prelude::*;
use serde::Serialize;

use crate::family::Family;
use crate::forge::Forgery;
use crate::population::{Identity, Population, Record, RecordKind};
use crate::surface::{RoleRoute, Selector};

/// How an actor relates to the record a probe aims at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// The record is about the actor's own person.
    Own,
    /// The actor represents the record's person.
    Represented,
    /// The actor used to represent the record's person; the representation has ended.
    FormerlyRepresented,
    /// The record's case file is assigned to the actor.
    Assigned,
    /// Another person's record in the actor's tenant.
    SameTenant,
    /// A record of another tenant.
    OtherTenant,
    /// No record: a collection, an export or a function, seen as the actor.
    Collection,
}

impl Relation {
    /// Every relation, in a fixed order.
    pub const ALL: [Relation; 7] = [
        Relation::Own,
        Relation::Represented,
        Relation::FormerlyRepresented,
        Relation::Assigned,
        Relation::SameTenant,
        Relation::OtherTenant,
        Relation::Collection,
    ];

    /// The kebab-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Relation::Own => "own",
            Relation::Represented => "represented",
            Relation::FormerlyRepresented => "formerly-represented",
            Relation::Assigned => "assigned",
            Relation::SameTenant => "same-tenant",
            Relation::OtherTenant => "other-tenant",
            Relation::Collection => "collection",
        }
    }

    /// How `actor` relates to `record`.
    pub fn of(actor: &Identity, record: &Record) -> Relation {
        if actor.person.as_deref() == Some(record.person.as_str()) {
            Relation::Own
        } else if actor.represents.contains(record.person.as_str()) {
            Relation::Represented
        } else if actor.formerly_represents.contains(record.person.as_str()) {
            Relation::FormerlyRepresented
        } else if actor.assigned_cases.contains(record.case.as_str()) {
            Relation::Assigned
        } else if actor.tenant == record.tenant {
            Relation::SameTenant
        } else {
            Relation::OtherTenant
        }
    }
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the policy expects of a probe, and so how it is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// The policy forbids it: a refusal is expected ([`crate::verdict::judge_forbidden`]).
    Refusal,
    /// The policy allows the call; only data the caller may not see in its answer matters
    /// ([`crate::verdict::judge_visible`]).
    Visible,
    /// The caller reads its own data, which must be served ([`crate::verdict::judge_control`]).
    Control,
    /// A forbidden object and a missing one must answer alike ([`crate::verdict::judge_existence`]).
    Existence,
}

/// Who a mass-assignment field names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "key")]
pub enum Named {
    /// Another identity (its key).
    Identity(String),
    /// Another tenant (its code).
    Tenant(String),
}

/// How a probe's request differs from the endpoint's plain request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "variant")]
pub enum Variant {
    /// The endpoint as the profile declares it.
    Plain,
    /// A tenant selector naming another tenant.
    Selector {
        /// Where the selector goes.
        selector: Selector,
        /// The tenant it names (code).
        tenant: String,
    },
    /// An extra body field naming someone else.
    Assign {
        /// The field.
        field: String,
        /// Who it names.
        named: Named,
    },
    /// The caller's own record's identifier, shifted by this much (numeric identifiers).
    Neighbour {
        /// The offset.
        offset: i64,
    },
    /// An identifier of the same shape that names no record.
    Missing,
    /// Sent without credentials, the caller's values of the request (`{{caller.*}}`, `{{identity.*}}` in a
    /// path that names the caller) taken from this identity: an anonymous caller who guessed a user's own
    /// URL. The identity's credentials are never sent.
    UserUrl {
        /// The identity whose values fill the request (its key).
        identity: String,
    },
    /// A role field sent through a sign-up or the actor's own update; then the actor, logged in again,
    /// reads the probe's record (one its old role may not see) through `read`.
    Escalate {
        /// Where the field is sent.
        route: RoleRoute,
        /// The field.
        field: String,
        /// What it is set to.
        value: RoleValue,
        /// The endpoint of the read afterwards (its key).
        read: String,
    },
    /// The actor changes the credential of another identity's account through the probe's endpoint, then
    /// logs in as that identity with the new secret.
    Takeover {
        /// The victim (its key).
        victim: String,
    },
    /// Sent with a credential forged from the actor's own token, its claims swapped to the victim's.
    Forged {
        /// How the token was forged.
        forgery: Forgery,
        /// The identity the forged claims name (its key).
        victim: String,
    },
    /// A function whose effect the profile declares, aimed at a record a granted role set aside for the
    /// probe, and read back before and after the call.
    Effect,
}

/// The value a privilege-escalation field is set to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "role")]
pub enum RoleValue {
    /// `true` (a flag such as `is_admin`).
    Flag,
    /// The platform's name of a wider role.
    Role(String),
    /// A list holding it (`roles`, `permissions`, `groups`).
    Roles(String),
}

impl RoleValue {
    /// The value for `field`: a list for plural names, `true` for flags (`is_*`, `admin`, `staff`,
    /// `superuser`), else the role's name.
    pub fn for_field(field: &str, role: &str) -> RoleValue {
        let lower = field.to_ascii_lowercase();
        if lower.starts_with("is_")
            || lower.starts_with("is-")
            || matches!(lower.as_str(), "admin" | "staff" | "superuser")
        {
            RoleValue::Flag
        } else if lower.ends_with('s') {
            RoleValue::Roles(role.to_string())
        } else {
            RoleValue::Role(role.to_string())
        }
    }

    /// As JSON.
    pub fn json(&self) -> serde_json::Value {
        match self {
            RoleValue::Flag => serde_json::Value::Bool(true),
            RoleValue::Role(role) => serde_json::Value::String(role.clone()),
            RoleValue::Roles(role) => serde_json::json!([role]),
        }
    }
}

impl Variant {
    /// A short description for cells and reports (`None` for the plain request).
    pub fn via(&self) -> Option<String> {
        match self {
            Variant::Plain => None,
            Variant::Selector { selector, .. } => Some(selector.to_string()),
            Variant::Assign { field, named } => Some(match named {
                Named::Identity(_) => format!("field {field} naming another identity"),
                Named::Tenant(_) => format!("field {field} naming another tenant"),
            }),
            Variant::Neighbour { .. } => Some("neighbouring identifier".into()),
            Variant::Missing => Some("missing identifier".into()),
            Variant::UserUrl { .. } => Some("a user's own URL".into()),
            Variant::Escalate { route, field, .. } => Some(match route {
                RoleRoute::SignUp => format!("field {field} at sign-up"),
                RoleRoute::OwnUpdate => format!("field {field} in the own update"),
            }),
            Variant::Takeover { .. } => Some("another identity's account".into()),
            Variant::Forged { forgery, .. } => Some(format!("a token forged: {}", forgery.name())),
            Variant::Effect => Some("its effect read back".into()),
        }
    }
}

/// The unit of coverage and of root causes: a family, an endpoint, a caller role, a relation to the data,
/// a record kind, and how the request was varied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cell {
    /// Family.
    pub family: Family,
    /// Endpoint key.
    pub endpoint: String,
    /// The caller's role (`anonymous` without credentials).
    pub role: String,
    /// How the caller relates to the data.
    pub relation: Relation,
    /// The kind of record at stake.
    pub kind: RecordKind,
    /// How the request was varied, when it was.
    pub via: Option<String>,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} as {} on {} {}",
            self.family, self.endpoint, self.role, self.relation, self.kind
        )?;
        if let Some(via) = &self.via {
            write!(f, " via {via}")?;
        }
        Ok(())
    }
}

/// One try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// Family.
    pub family: Family,
    /// The identity that acts (its key), or `None` without credentials.
    pub actor: Option<String>,
    /// The endpoint (its key in the surface).
    pub endpoint: String,
    /// The record whose values fill the request (the victim, or the caller's own record).
    pub record: Option<String>,
    /// How the request is varied.
    pub variant: Variant,
    /// What the policy expects.
    pub expect: Expect,
    /// The cell it covers.
    pub cell: Cell,
}

impl Probe {
    /// A stable identifier: family, endpoint, actor, record and variant. The same seed gives the same ids.
    pub fn id(&self) -> String {
        let mut id = format!(
            "{}/{}/{}/{}",
            self.family,
            self.endpoint,
            self.actor.as_deref().unwrap_or("anonymous"),
            self.record.as_deref().unwrap_or("-")
        );
        match &self.variant {
            Variant::Plain => {}
            Variant::Selector { selector, tenant } => id.push_str(&format!("/{selector}={tenant}")),
            Variant::Assign { field, named } => id.push_str(&format!("/{field}={named:?}")),
            Variant::Neighbour { offset } => id.push_str(&format!("/{offset:+}")),
            Variant::Missing => id.push_str("/missing"),
            Variant::UserUrl { identity } => id.push_str(&format!("/url-of={identity}")),
            Variant::Escalate { field, read, .. } => id.push_str(&format!("/{field}/then={read}")),
            Variant::Takeover { victim } => id.push_str(&format!("/victim={victim}")),
            Variant::Forged { forgery, victim } => {
                id.push_str(&format!("/forged-{}-as={victim}", forgery.name()))
            }
            Variant::Effect => id.push_str("/effect"),
        }
        id
    }
}

/// A strategy over a cell's candidate probes, in world order. Shrinking lowers the index, so a property
/// that fails on some candidates shrinks to the earliest failing one: the minimal counterexample of the
/// cell (the first identity and the first record, in world order, that still show the flaw).
pub fn cell_strategy(candidates: Arc<Vec<Probe>>) -> impl Strategy<Value = Probe> {
    let len = candidates.len().max(1);
    (0..len).prop_filter_map("an empty cell", move |i| candidates.get(i).cloned())
}

/// A generated world (2-3 tenants, 2-24 case files, any seed; holder accounts for persons without one) as a
/// population. Shrinking makes the world smaller (fewer tenants and case files, seed toward 0).
pub fn population_strategy() -> impl Strategy<Value = Arc<Population>> {
    cloison_generators::strategy::world_with(2..=3, 2..=24)
        .prop_filter_map("a world whose population is inconsistent", |world| {
            Population::from_world(&world, true).ok().map(Arc::new)
        })
}

/// The record kinds of a population that have at least one record.
pub fn kinds_present(population: &Population) -> Vec<RecordKind> {
    RecordKind::ALL
        .into_iter()
        .filter(|k| population.records().iter().any(|r| r.kind == *k))
        .collect()
}
