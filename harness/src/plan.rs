//! What a run creates on the target: the accounts of the generated world (bound to existing accounts when
//! the platform has them), the population the policy judges, the template contexts of every record, and the
//! canary scanner over the world's registry.

use std::collections::{BTreeMap, HashMap};

use cloison_generators::canary::{CanaryHit, CanaryRegistry, RecordRef};
use cloison_generators::{
    CaseBundle, Document, DocumentId, LazyWorld, PersonId, Role, TenantId, TenantSelection,
};
use cloison_suites::population::{Key, case_key, document_key, holder_key, person_key};
use cloison_suites::{DataOwner, Population, RecordKind};
use serde_json::{Value, json};

pub use crate::contexts::{Contexts, record_contexts};
use crate::oracle::{CanaryScanner, Hit};
use crate::profile::{AccountSource, Profile, TenantMode, TenantRef, Tenants};

/// What an identity of the plan is, as the plan made it (never read back from its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    /// A person's own generated account (an applicant).
    Applicant,
    /// A representative's generated account.
    Representative,
    /// A generated agent of a tenant.
    Agent,
    /// A tenant's generated administrator.
    Administrator,
    /// The account cloison adds for a case file's person who has none of their own (`holder-N`, as the
    /// applicant): a representative acts for that person where there is one.
    Holder,
    /// The identity of a role of the platform's own, one per tenant, with no person.
    Staff,
}

impl IdentityKind {
    /// The kind of a generated account of a role.
    pub fn of(role: Role) -> Self {
        match role {
            Role::Applicant => IdentityKind::Applicant,
            Role::Representative => IdentityKind::Representative,
            Role::Agent => IdentityKind::Agent,
            Role::TenantAdmin => IdentityKind::Administrator,
        }
    }
}

/// An account the run logs in with.
#[derive(Debug, Clone)]
pub struct PlannedAccount {
    /// Identity key in the population.
    pub key: String,
    /// What the identity is.
    pub kind: IdentityKind,
    /// Login.
    pub login: String,
    /// Password.
    pub password: String,
    /// Static token (existing accounts, scheme `header`).
    pub token: Option<String>,
    /// cloison role.
    pub role: String,
    /// Tenant code.
    pub tenant: String,
    /// Tenant id in the world.
    pub tenant_id: TenantId,
    /// The person it is, if any.
    pub person: Option<PersonId>,
    /// Display name.
    pub display_name: String,
    /// The platform's identifier, when known before the run (existing accounts).
    pub known_id: Option<String>,
    /// Whether cloison creates it (through the operator or by signing it up).
    pub provision: bool,
    /// Per-account values of existing accounts (`{{identity.attributes.NAME}}`).
    pub attributes: BTreeMap<String, String>,
}

/// A tenant that exists on the platform before the run (`[[tenants.existing]]`), bound to a world tenant.
#[derive(Debug, Clone)]
pub struct PlannedTenant {
    /// The world tenant's code.
    pub code: String,
    /// The platform's identifier of the tenant (`{{tenant.id}}`).
    pub id: Option<String>,
    /// The tenant's credential, shared by its members (`{{tenant.credential}}`).
    pub credential: Option<String>,
}

/// The tenants the world is generated for: the platform has none (one departement), or the profile lists
/// the existing ones (their codes, or as many as it lists). `--tenants` is kept when it agrees, or when it
/// is the default (`2`) and the profile decides.
pub fn tenant_selection(
    asked: &TenantSelection,
    tenants: &Tenants,
) -> Result<TenantSelection, String> {
    let default = TenantSelection::Count(2);
    match tenants.mode {
        TenantMode::None => Ok(match asked {
            TenantSelection::Codes(codes) if !codes.is_empty() => {
                TenantSelection::Codes(codes[..1].to_vec())
            }
            _ => TenantSelection::Count(1),
        }),
        TenantMode::Existing if !tenants.existing.is_empty() => {
            let listed = tenants.existing.len();
            let wanted = match tenants.codes() {
                Some(codes) => TenantSelection::Codes(codes),
                None => TenantSelection::Count(listed),
            };
            match asked {
                a if *a == default || *a == wanted => Ok(wanted),
                TenantSelection::Codes(codes)
                    if codes.len() == listed && tenants.codes().is_none() =>
                {
                    Ok(asked.clone())
                }
                _ => Err(format!(
                    "--tenants {asked}: the profile's [[tenants.existing]] lists {listed} tenant(s) ({wanted}): \
                     expected --tenants {wanted}, or no --tenants"
                )),
            }
        }
        _ => Ok(asked.clone()),
    }
}

/// A problem with the world or the profile's accounts.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The population is inconsistent.
    #[error(transparent)]
    Population(#[from] cloison_suites::PopulationError),
    /// The policy does not cover the population.
    #[error(transparent)]
    Policy(#[from] cloison_suites::PolicyError),
    /// A secret a template needs is missing.
    #[error("{0}")]
    Secret(String),
}

/// The accounts, population and contexts of a run.
#[derive(Debug)]
pub struct Plan {
    /// The generated world: its tenants and agents held, its case files drawn when asked.
    pub world: LazyWorld,
    /// Every account, in world order.
    pub accounts: Vec<PlannedAccount>,
    /// Who may see what.
    pub population: Population,
    /// The tenants that exist before the run (`[[tenants.existing]]`), bound to the world's.
    pub tenants: Vec<PlannedTenant>,
    /// Account index by identity key.
    pub account_index: HashMap<String, usize>,
    /// Identity key of each person's own account (or holder).
    pub person_account: HashMap<PersonId, String>,
    /// Per identity with a person, the values of that person that other persons share (a surname shared with
    /// a child, a household's address line): the registry names one owner for a shared value, but seeing
    /// one's own surname or address is never a leak.
    pub own_values: HashMap<String, Vec<String>>,
    /// The generated document of each document record key.
    pub document_ids: HashMap<Key, DocumentId>,
    /// Where each person is in the world: its case file's position and its own in that case file.
    person_at: HashMap<PersonId, (usize, usize)>,
}

/// The login of a role of the platform's own in a tenant: under a reserved domain, never a canary; with the
/// run tag, so that a run of another tag on a target that kept an earlier run's accounts makes its own.
fn staff_login(role: &str, tenant: &str, tag: cloison_generators::RunTag) -> String {
    format!(
        "{}.{}.t{tag}@roles.cloison.test",
        crate::profile::template::slug(role),
        tenant.to_ascii_lowercase()
    )
}

/// A deterministic password for an account of a role of the platform's own.
fn staff_password(seed: u64, login: &str) -> String {
    let mut x = seed;
    for b in login.bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    format!("Staff-{x:016x}-Cl")
}

/// A deterministic password for a holder account.
fn holder_password(seed: u64, person: PersonId) -> String {
    let mut x = seed ^ person.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    format!("Hold-{x:016x}-Cl")
}

impl Plan {
    /// Plan a run of `profile` over `world`. `secrets` fills the passwords and tokens of existing accounts.
    pub fn new(world: LazyWorld, profile: &Profile, secrets: &Value) -> Result<Plan, PlanError> {
        let mut accounts = world_accounts(&world, profile.accounts.holders);
        let (staff, staff_accounts) = staff_accounts(&world, profile);
        accounts.extend(staff_accounts);
        let mut population = population(&world, profile, staff)?;
        let ctx = json!({ "secrets": secrets });
        let tenants = existing_tenants(&world, profile, &ctx)?;
        if profile.accounts.source == AccountSource::Existing {
            accounts = bind_existing(accounts, &world, profile, &tenants, &ctx)?;
            let keys: std::collections::HashSet<String> =
                accounts.iter().map(|a| a.key.clone()).collect();
            population = population.retain(|identity| keys.contains(&identity.key))?;
        }
        if profile.accounts.source == AccountSource::None {
            // Nothing creates them: they act with their tenant's credential.
            for account in &mut accounts {
                account.provision = false;
            }
        }
        profile.policy.covers(&population)?;
        let account_index = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.key.clone(), i))
            .collect();
        let person_account: HashMap<PersonId, String> = accounts
            .iter()
            .filter_map(|a| a.person.map(|p| (p, a.key.clone())))
            .collect();
        let mut own_values = HashMap::new();
        let mut document_ids = HashMap::new();
        let mut person_at = HashMap::new();
        for (c, bundle) in world.each_case().enumerate() {
            index_case(c, &bundle, &person_account, &mut own_values, &mut person_at);
            for d in &bundle.documents {
                document_ids.insert(Key::from(document_key(d.id)), d.id);
            }
        }
        Ok(Plan {
            person_at,
            world,
            accounts,
            population,
            tenants,
            account_index,
            person_account,
            own_values,
            document_ids,
        })
    }

    /// The generated document of a document record.
    pub fn document(&self, key: &str) -> Option<Document> {
        let id = self.document_ids.get(key)?;
        self.world.document(*id)
    }

    /// A person of the world.
    pub fn person(&self, id: PersonId) -> Option<cloison_generators::Person> {
        let &(case, i) = self.person_at.get(&id)?;
        let mut persons = self.world.case_at(case)?.persons;
        (i < persons.len()).then(|| persons.swap_remove(i))
    }

    /// The representation of the person of `owner_key` by the person of `rep_key`, from the represented
    /// person's case file (where the world puts a person's representations).
    pub fn representation(
        &self,
        rep_key: &str,
        owner_key: &str,
    ) -> Option<cloison_generators::Representation> {
        let matches = |rep: &cloison_generators::Representation| {
            self.person_account
                .get(&rep.representative_id)
                .map(String::as_str)
                == Some(rep_key)
                && self.person_account.get(&rep.person_id).map(String::as_str) == Some(owner_key)
        };
        let owner = self.account(owner_key)?.person?;
        let &(case, _) = self.person_at.get(&owner)?;
        let in_case = self
            .world
            .case_at(case)?
            .representations
            .into_iter()
            .find(matches);
        // A person is the applicant of one case file; a search of the world only if the world says otherwise.
        in_case.or_else(|| {
            (self.world.each_case()).find_map(|b| b.representations.into_iter().find(matches))
        })
    }

    /// The account of an identity key.
    pub fn account(&self, key: &str) -> Option<&PlannedAccount> {
        self.account_index.get(key).map(|&i| &self.accounts[i])
    }

    /// The `identity` context of an account, with its platform role and, when known, its identifier.
    pub fn identity_context(
        &self,
        profile: &Profile,
        account: &PlannedAccount,
        target_id: Option<&str>,
    ) -> Value {
        json!({
            "key": account.key,
            "login": account.login,
            "password": account.password,
            "token": account.token,
            "role": profile.roles.get(&account.role).cloned().unwrap_or_else(|| account.role.clone()),
            "display_name": account.display_name,
            "id": target_id.or(account.known_id.as_deref()),
            "attributes": account.attributes,
        })
    }

    /// The canary scanner over the world's registry.
    pub fn scanner(&self) -> WorldCanaries {
        WorldCanaries::new(&self.world)
    }
}

/// A planned account, created by cloison (until bound to an existing one).
struct Account<'s> {
    key: &'s str,
    kind: IdentityKind,
    password: String,
    role: &'s str,
    tenant: (String, TenantId),
    person: Option<PersonId>,
    display_name: String,
}

impl Account<'_> {
    fn planned(self) -> PlannedAccount {
        PlannedAccount {
            key: self.key.to_string(),
            kind: self.kind,
            login: self.key.to_string(),
            password: self.password,
            token: None,
            role: self.role.to_string(),
            tenant: self.tenant.0,
            tenant_id: self.tenant.1,
            person: self.person,
            display_name: self.display_name,
            known_id: None,
            provision: true,
            attributes: BTreeMap::new(),
        }
    }
}

/// The accounts of the generated world, in world order: each case file's accounts (and, with `holders`,
/// an applicant account for a person who has none), then the agents.
fn world_accounts(world: &LazyWorld, holders: bool) -> Vec<PlannedAccount> {
    let tenant = |id: TenantId| {
        let code = world
            .tenant(id)
            .map(|t| t.code.clone())
            .unwrap_or_else(|| id.0.to_string());
        (code, id)
    };
    let mut accounts = Vec::new();
    for bundle in world.each_case() {
        for account in &bundle.accounts {
            accounts.push(
                Account {
                    key: &account.login,
                    kind: IdentityKind::of(account.role),
                    password: account.password.clone(),
                    role: account.role.as_str(),
                    tenant: tenant(account.tenant_id),
                    person: account.person_id,
                    display_name: account.display_name.clone(),
                }
                .planned(),
            );
        }
        let person = bundle.case_file.person_id;
        if holders && !bundle.accounts.iter().any(|a| a.person_id == Some(person)) {
            let first_name = bundle
                .persons
                .first()
                .map(|p| p.first_name.as_str())
                .unwrap_or("Titulaire");
            let key = holder_key(person);
            let mut holder = Account {
                key: &key,
                kind: IdentityKind::Holder,
                password: holder_password(world.config().seed, person),
                role: "applicant",
                tenant: tenant(bundle.case_file.tenant_id),
                person: Some(person),
                display_name: format!("{first_name} (titulaire)"),
            }
            .planned();
            // The run tag in the login: person identifiers repeat from run to run, logins must not.
            holder.login = format!("{key}-t{}", world.config().tag());
            accounts.push(holder);
        }
    }
    for agent in &world.agents {
        accounts.push(
            Account {
                key: &agent.login,
                kind: IdentityKind::of(agent.role),
                password: agent.password.clone(),
                role: agent.role.as_str(),
                tenant: tenant(agent.tenant_id),
                person: None,
                display_name: agent.display_name.clone(),
            }
            .planned(),
        );
    }
    accounts
}

/// Roles of the platform's own: one staff identity per tenant each, with no person.
fn staff_accounts(
    world: &LazyWorld,
    profile: &Profile,
) -> (Vec<cloison_suites::Identity>, Vec<PlannedAccount>) {
    let mut staff = Vec::new();
    let mut accounts = Vec::new();
    for tenant in &world.tenants {
        for role in &profile.staff_roles {
            let login = staff_login(role, &tenant.code, world.config().tag());
            staff.push(cloison_suites::Identity {
                key: login.clone(),
                role: role.clone(),
                tenant: tenant.code.clone(),
                person: None,
                represents: Default::default(),
                formerly_represents: Default::default(),
                assigned_cases: Default::default(),
            });
            accounts.push(
                Account {
                    key: &login,
                    kind: IdentityKind::Staff,
                    password: staff_password(world.config().seed, &login),
                    role,
                    tenant: (tenant.code.clone(), tenant.id),
                    person: None,
                    display_name: format!("{role} {}", tenant.code),
                }
                .planned(),
            );
        }
    }
    (staff, accounts)
}

/// The population of the world, with the staff identities and, where the profile makes them resources,
/// persons and accounts as records.
fn population(
    world: &LazyWorld,
    profile: &Profile,
    staff: Vec<cloison_suites::Identity>,
) -> Result<Population, PlanError> {
    let mut population = Population::from_world(world, profile.accounts.holders)?;
    if !staff.is_empty() {
        population = population.with_identities(staff)?;
    }
    if profile.endpoints_of(RecordKind::Person).next().is_some() {
        population = population.with_person_records()?;
    }
    if profile.endpoints_of(RecordKind::Account).next().is_some() {
        population = population.with_account_records(world)?;
    }
    Ok(population)
}

/// The planned accounts bound to `[[accounts.existing]]` (by role, and tenant when the entry names one),
/// in order; the others are dropped.
fn bind_existing(
    accounts: Vec<PlannedAccount>,
    world: &LazyWorld,
    profile: &Profile,
    tenants: &[PlannedTenant],
    ctx: &Value,
) -> Result<Vec<PlannedAccount>, PlanError> {
    // An account's tenant: a code, or a position among the listed (else the world's) tenants.
    let tenant_of = |tenant: &Option<TenantRef>| -> Option<String> {
        match tenant {
            None => None,
            Some(TenantRef::Code(code)) => Some(code.clone()),
            Some(TenantRef::Position(n)) => match tenants.get(n.wrapping_sub(1)) {
                Some(t) => Some(t.code.clone()),
                None => world.tenants.get(n.wrapping_sub(1)).map(|t| t.code.clone()),
            },
        }
    };
    let wanted: Vec<Option<String>> = profile
        .accounts
        .existing
        .iter()
        .map(|e| tenant_of(&e.tenant))
        .collect();
    let mut used = vec![false; profile.accounts.existing.len()];
    let mut bound = Vec::new();
    for mut account in accounts {
        let slot = profile.accounts.existing.iter().enumerate().find(|(i, e)| {
            !used[*i]
                && e.role == account.role
                && wanted[*i]
                    .as_ref()
                    .is_none_or(|code| *code == account.tenant)
        });
        let Some((i, existing)) = slot else { continue };
        used[i] = true;
        let fill = |t: &crate::profile::Template, what: &str| {
            t.render(ctx).map_err(|e| {
                PlanError::Secret(
                    profile
                        .error_at(&existing.origin.key(what), e.to_string())
                        .to_string(),
                )
            })
        };
        account.login = existing.login.clone();
        account.password = existing
            .password
            .as_ref()
            .map(|t| fill(t, "password"))
            .transpose()?
            .unwrap_or_default();
        account.token = existing
            .token
            .as_ref()
            .map(|t| fill(t, "token"))
            .transpose()?;
        account.known_id = existing.id.clone();
        account.provision = false;
        for (name, template) in &existing.attributes {
            account
                .attributes
                .insert(name.clone(), fill(template, "attributes")?);
        }
        bound.push(account);
    }
    Ok(bound)
}

/// What the plan indexes of case file `c`: where each of its persons is, and, per identity with a person,
/// the values of that person others share (surname, address line).
fn index_case(
    c: usize,
    bundle: &CaseBundle,
    person_account: &HashMap<PersonId, String>,
    own_values: &mut HashMap<String, Vec<String>>,
    person_at: &mut HashMap<PersonId, (usize, usize)>,
) {
    for (i, person) in bundle.persons.iter().enumerate() {
        person_at.insert(person.id, (c, i));
        if let Some(key) = person_account.get(&person.id) {
            own_values.insert(
                key.clone(),
                vec![person.surname.clone(), person.address_line.clone()],
            );
        }
    }
}

/// `[[tenants.existing]]` bound to the world's tenants: by code when the entries name codes, else in order.
fn existing_tenants(
    world: &LazyWorld,
    profile: &Profile,
    ctx: &Value,
) -> Result<Vec<PlannedTenant>, PlanError> {
    let listed = &profile.tenants.existing;
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    if world.tenants.len() != listed.len() {
        return Err(PlanError::Secret(format!(
            "the world has {} tenant(s) but [[tenants.existing]] lists {}: run with --tenants {}",
            world.tenants.len(),
            listed.len(),
            listed.len()
        )));
    }
    let mut out = Vec::new();
    for (i, entry) in listed.iter().enumerate() {
        let tenant = match &entry.code {
            Some(code) => world.tenants.iter().find(|t| &t.code == code),
            None => world.tenants.get(i),
        };
        let Some(tenant) = tenant else {
            return Err(PlanError::Secret(
                profile
                    .error_at(&entry.origin, "no tenant of the world has this code")
                    .to_string(),
            ));
        };
        let credential = entry
            .credential
            .as_ref()
            .map(|t| {
                t.render(ctx).map_err(|e| {
                    PlanError::Secret(
                        profile
                            .error_at(&entry.origin.key("credential"), e.to_string())
                            .to_string(),
                    )
                })
            })
            .transpose()?;
        out.push(PlannedTenant {
            code: tenant.code.clone(),
            id: entry.id.clone(),
            credential,
        });
    }
    Ok(out)
}

/// The generator's canary registry, answering with the population's keys.
pub struct WorldCanaries {
    registry: CanaryRegistry,
    tenant_codes: HashMap<TenantId, String>,
}

impl WorldCanaries {
    /// Index every canary of `world`.
    pub fn new(world: &LazyWorld) -> Self {
        Self {
            registry: world.canaries(),
            tenant_codes: world
                .tenants
                .iter()
                .map(|t| (t.id, t.code.clone()))
                .collect(),
        }
    }

    fn owner(&self, hit: &CanaryHit) -> DataOwner {
        DataOwner {
            tenant: self
                .tenant_codes
                .get(&hit.owner.tenant)
                .cloned()
                .unwrap_or_else(|| hit.owner.tenant.0.to_string()),
            person: hit.owner.person.map(person_key),
            // A person's data is part of their case file (a child shares a surname with the parent who
            // represents them); an agent's is no case file's.
            case: hit.owner.case.map(case_key),
            kind: match hit.owner.record {
                RecordRef::CaseFile(_) => Some(RecordKind::Case),
                RecordRef::Document(_) => Some(RecordKind::Document),
                RecordRef::Note(_) => Some(RecordKind::Note),
                RecordRef::Decision(_) => Some(RecordKind::Decision),
                // A person's values are the person's wherever they appear, and an agent's login or name
                // appears in case files they work on: neither is decided by `[policy.account]`.
                RecordRef::Person(_) | RecordRef::Account(_) => None,
            },
        }
    }
}

impl CanaryScanner for WorldCanaries {
    fn scan(&self, haystack: &[u8]) -> Vec<Hit> {
        self.registry
            .scan(haystack)
            .iter()
            .map(|hit| Hit {
                canary: hit.value.clone(),
                field: hit.kind,
                owner: self.owner(hit),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use cloison_generators::GenConfig;

    use super::*;

    /// The world's tenants follow the profile: one departement without tenants, as many as the existing
    /// tenants listed (or their codes), `--tenants` kept when it agrees and refused when it does not.
    #[test]
    fn the_world_has_the_tenants_the_profile_says() {
        use crate::profile::{ExistingTenant, KeyPath};
        let tenants = |mode: TenantMode, codes: &[Option<&str>]| Tenants {
            mode,
            create: None,
            existing: codes
                .iter()
                .map(|code| ExistingTenant {
                    code: code.map(str::to_string),
                    id: None,
                    credential: None,
                    origin: KeyPath::root("tenants"),
                })
                .collect(),
        };
        let count = TenantSelection::Count;
        let codes = |c: &[&str]| TenantSelection::Codes(c.iter().map(|s| s.to_string()).collect());
        let none = tenants(TenantMode::None, &[]);
        let three = tenants(TenantMode::Existing, &[None, None, None]);
        let coded = tenants(TenantMode::Existing, &[Some("13"), Some("69")]);
        let provision = tenants(TenantMode::Provision, &[]);
        let cases: Vec<(&str, TenantSelection, &Tenants, Result<TenantSelection, ()>)> = vec![
            ("no tenants: one", count(2), &none, Ok(count(1))),
            (
                "no tenants: the first code",
                codes(&["75", "13"]),
                &none,
                Ok(codes(&["75"])),
            ),
            ("listed: as many", count(2), &three, Ok(count(3))),
            ("listed: agreeing count", count(3), &three, Ok(count(3))),
            (
                "listed: codes of the right number",
                codes(&["1", "2", "3"]),
                &three,
                Ok(codes(&["1", "2", "3"])),
            ),
            ("listed: another count", count(4), &three, Err(())),
            (
                "coded: their codes",
                count(2),
                &coded,
                Ok(codes(&["13", "69"])),
            ),
            ("coded: other codes", codes(&["75", "69"]), &coded, Err(())),
            ("provisioned: as asked", count(5), &provision, Ok(count(5))),
        ];
        for (what, asked, tenants, expected) in cases {
            assert_eq!(
                tenant_selection(&asked, tenants).map_err(|_| ()),
                expected,
                "{what}"
            );
        }
    }

    /// Every planned account says what it is without its key being read back: a holder account is the
    /// applicant account cloison adds for a person without one, the others are their generated role; and a
    /// document record names its generated document.
    #[test]
    fn accounts_carry_their_kind_and_document_records_their_document() {
        let world = LazyWorld::new(&GenConfig::new(1, 2, 16)).expect("world");
        let mut profile = Profile::reference_portal().expect("profile");
        profile.accounts.holders = true;
        let plan = Plan::new(world, &profile, &json!({})).expect("plan");
        let mut holders = 0;
        for account in &plan.accounts {
            let expected = match account.kind {
                IdentityKind::Holder => {
                    holders += 1;
                    assert_eq!(
                        Some(account.key.clone()),
                        account.person.map(holder_key),
                        "a holder is keyed by its person"
                    );
                    "applicant"
                }
                IdentityKind::Applicant => "applicant",
                IdentityKind::Representative => "representative",
                IdentityKind::Agent => "agent",
                IdentityKind::Administrator => "tenant_admin",
                IdentityKind::Staff => continue,
            };
            assert_eq!(account.role, expected, "{}", account.key);
        }
        assert!(holders > 0, "some case file's person has no account");
        let mut documents = 0;
        for d in plan.world.each_case().flat_map(|c| c.documents) {
            let found = plan.document(&document_key(d.id)).map(|found| found.id);
            assert_eq!(found, Some(d.id));
            documents += 1;
        }
        assert!(documents > 0);
        assert!(plan.document("note-1").is_none());
    }

    /// A parent shares a surname with the child they represent, and the registry names the child as its
    /// owner: the parent's own values list it, so that seeing one's own surname is never a leak.
    #[test]
    fn a_parents_own_values_include_the_surname_it_shares_with_a_child() {
        let world = LazyWorld::new(&GenConfig::new(1, 2, 16)).expect("world");
        let profile = Profile::reference_portal().expect("profile");
        let plan = Plan::new(world, &profile, &json!({})).expect("plan");
        let mut shared = 0;
        for bundle in plan.world.each_case() {
            let applicant = bundle
                .persons
                .iter()
                .find(|p| p.id == bundle.case_file.person_id);
            for rep in &bundle.representations {
                let (Some(applicant), Some(parent)) = (
                    applicant,
                    bundle
                        .persons
                        .iter()
                        .find(|p| p.id == rep.representative_id),
                ) else {
                    continue;
                };
                let Some(key) = plan.person_account.get(&parent.id) else {
                    continue;
                };
                if parent.surname == applicant.surname {
                    shared += 1;
                    assert!(
                        plan.own_values[key].contains(&applicant.surname),
                        "{key} shares {}",
                        applicant.surname
                    );
                }
            }
        }
        assert!(
            shared > 0,
            "the world has parents sharing a child's surname"
        );
    }
}
