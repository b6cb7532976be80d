//! Generic probing of a document's operations: what the profile does not describe is still tried.
//!
//! - every operation no planned anonymous probe reaches is called **without credentials** (family
//!   `anonymous`): a canary in the answer is a proven leak; an operation the document secures must refuse
//!   (any 3xx or 4xx; a 2xx without data is suspicious); a public one is judged by its data only. Calls that
//!   change data aim at the pool of case files set aside for writes, after the planner's writes;
//! - every `GET` the profile does not describe is called **as every role**: with path parameters, filled
//!   with the identifiers of records the caller may not see (family `direct-read`); without, as a
//!   collection (family `collection`), and, when its query parameters name a person's value, as a search
//!   for other persons (family `search`). No refusal is known for an operation the profile does not
//!   describe, so only data decides: foreign canaries (by the policy) are a proven leak, anything else
//!   passes;
//! - writes the profile does not describe are never sent with credentials.
//!
//! Each generic endpoint is a profile [`Endpoint`] under a key `openapi METHOD /path...`, so the engine
//! sends and judges these probes like any other. The probes are planned here (seeded, per cell), the
//! verdicts are `cloison_suites::verdict`'s.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use cloison_suites::{
    AccessPolicy, Cell, Expect, Family, Planned, Population, Probe, Record, RecordKind, Refusals,
    Relation, Variant,
};
use serde_json::{Map, Value};

pub use super::budget::PER_OPERATION;
use super::budget::{self, Rng};
use super::fill::{Filled, fillings};
use super::vocab;
pub use super::withhold::Withheld;
use super::{Document, In};
use crate::profile::{Body, Endpoint, JsonTemplate, KeyPath, OpenApiSource, Profile, Template};

/// The prefix of generic endpoint keys.
pub const PREFIX: &str = "openapi ";

/// What the generic probing adds to a run.
#[derive(Debug, Default)]
pub struct Reach {
    /// The generic endpoints, by key.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// The operation (index in the document) of each generic key.
    pub operation_of: BTreeMap<String, usize>,
    /// Probes that change nothing.
    pub probes: Vec<Probe>,
    /// Anonymous calls of methods that change data (after the planner's writes).
    pub mutating: Vec<Probe>,
    /// The operations never called, and why.
    pub withheld: BTreeMap<usize, Withheld>,
}

/// How probing is sampled.
#[derive(Debug, Clone, Copy)]
pub struct ReachConfig {
    /// The run's seed.
    pub seed: u64,
    /// Probes per operation and family ([`PER_OPERATION`] by default).
    pub per_operation: usize,
}

/// Why a run has no document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The user's file or flag is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The document could not be had from the target or a URL: the run goes on without it.
    #[error("{0}")]
    Unavailable(String),
}

/// The document of a run: `--openapi` (a file or a URL), else the profile's `openapi` (a path on the target,
/// a URL, or a file). Files that cannot be read are usage errors; a document the target or a URL does not
/// serve leaves the run without one. A target that has just started is asked again until `startup`.
pub async fn document(
    flag: Option<&str>,
    declared: Option<&OpenApiSource>,
    base_url: &str,
    timeout: Duration,
    startup: Duration,
) -> Result<Option<Document>, DocumentError> {
    let (spec, file) = match (flag, declared) {
        (Some(flag), _) => {
            let url = flag.starts_with("http://") || flag.starts_with("https://");
            (flag.to_string(), !url)
        }
        (None, Some(OpenApiSource::File(path))) => (path.display().to_string(), true),
        (None, Some(OpenApiSource::Url(url))) => (url.clone(), false),
        (None, Some(OpenApiSource::Target(path))) => {
            (format!("{}{path}", base_url.trim_end_matches('/')), false)
        }
        (None, None) => return Ok(None),
    };
    if file {
        return super::load(&spec, timeout)
            .await
            .map(Some)
            .map_err(|e| DocumentError::Usage(e.to_string()));
    }
    let deadline = std::time::Instant::now() + startup;
    loop {
        match super::load(&spec, timeout).await {
            Ok(doc) => return Ok(Some(doc)),
            Err(super::OpenApiError::Fetch { .. }) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(err) => return Err(DocumentError::Unavailable(err.to_string())),
        }
    }
}

/// Which operation each profile endpoint (`resources.case.read`, `auth.login`...) is, by method and path.
pub fn profile_operations(doc: &Document, profile: &Profile) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for endpoint in profile.endpoints() {
        if let Some(op) = doc.find(endpoint.method.as_str(), &endpoint.path.text())
            && let Some(index) = doc.operations.iter().position(|o| std::ptr::eq(o, op))
        {
            out.insert(endpoint.origin.to_string(), index);
        }
    }
    out
}

/// The statuses a generic probe counts as refusals: for an anonymous call of a secured operation every 3xx
/// and 4xx (a 2xx is then suspicious); otherwise every status, so that only data decides.
fn refusals(profile: &Profile, anonymous_secured: bool) -> Refusals {
    let statuses = if anonymous_secured {
        (300..500).collect()
    } else {
        (100..600).collect()
    };
    Refusals {
        statuses,
        empty_list: profile.refusals.empty_list,
        list_pointer: profile.refusals.list_pointer.clone(),
        login_redirect: profile.refusals.login_redirect.clone(),
        bodies: profile.refusals.bodies.clone(),
    }
}

/// A value of a schema's type that names nothing cloison made (bodies of anonymous calls).
fn dummy(doc: &Document, schema: &Value, depth: usize) -> Value {
    if let Some(first) = doc.enum_values(schema).first() {
        return Value::String(first.clone());
    }
    let resolved = doc.resolve(schema);
    match doc.type_of(schema) {
        Some("object") if depth < 4 => Value::Object(
            doc.properties(schema)
                .into_iter()
                .map(|(name, prop, _)| (name, dummy(doc, prop, depth + 1)))
                .filter(|(_, v)| !v.is_null())
                .collect::<Map<String, Value>>(),
        ),
        Some("array") if depth < 4 => Value::Array(
            doc.items(schema)
                .map(|items| vec![dummy(doc, items, depth + 1)])
                .unwrap_or_default(),
        ),
        Some("integer" | "number") => Value::from(1),
        Some("boolean") => Value::Bool(false),
        Some("string") => Value::String(
            match resolved.get("format").and_then(Value::as_str) {
                Some("date") => "2000-01-01",
                Some("date-time") => "2000-01-01T00:00:00Z",
                Some("email") => "probe@example.org",
                Some("uuid") => "00000000-0000-0000-0000-000000000000",
                _ => "cloison-probe",
            }
            .to_string(),
        ),
        _ => Value::Null,
    }
}

/// Plans the generic probes of a run.
struct Planner<'a> {
    doc: &'a Document,
    profile: &'a Profile,
    population: &'a Population,
    policy: &'a AccessPolicy,
    config: ReachConfig,
    /// Non-pool records by kind, and pool records by kind.
    records: BTreeMap<RecordKind, Vec<&'a Record>>,
    pool: BTreeMap<RecordKind, Vec<&'a Record>>,
    /// The pool's case files (keys).
    pool_cases: &'a BTreeSet<String>,
    reach: Reach,
}

impl<'a> Planner<'a> {
    fn endpoint(
        &mut self,
        index: usize,
        key: &str,
        path: &str,
        query: Vec<(String, Template)>,
        anonymous_secured: bool,
    ) {
        let op = &self.doc.operations[index];
        let body = match &op.body {
            Some(b) if b.media.contains("json") => {
                Body::Json(JsonTemplate::Literal(dummy(self.doc, &b.schema, 0)))
            }
            Some(b) if b.media.contains("x-www-form-urlencoded") => Body::Form(
                self.doc
                    .properties(&b.schema)
                    .into_iter()
                    .map(|(name, prop, _)| {
                        let text = match dummy(self.doc, prop, 1) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (name, Template::literal(&text))
                    })
                    .collect(),
            ),
            _ => Body::None,
        };
        let mut query = query;
        for param in op.params(In::Query).filter(|p| p.required) {
            if !query.iter().any(|(n, _)| n == &param.name) {
                let text = match dummy(self.doc, &param.schema, 1) {
                    Value::String(s) => s,
                    Value::Null => "1".into(),
                    other => other.to_string(),
                };
                query.push((param.name.clone(), Template::literal(&text)));
            }
        }
        let endpoint = Endpoint {
            origin: KeyPath::root("openapi").key(key),
            method: reqwest::Method::from_bytes(op.method.as_bytes())
                .unwrap_or(reqwest::Method::GET),
            path: Template::parse(path).unwrap_or_else(|_| Template::literal(&op.path)),
            query,
            headers: Vec::new(),
            body,
            extract: Vec::new(),
            ok: None,
            actor: None,
            refusals: Some(refusals(self.profile, anonymous_secured)),
            marker: None,
            soft: None,
            granted: None,
            kind: None,
            poll: Default::default(),
            read: false,
            effect: None,
        };
        self.reach.endpoints.insert(key.to_string(), endpoint);
        self.reach.operation_of.insert(key.to_string(), index);
    }

    fn probe(
        family: Family,
        key: &str,
        actor: Option<&cloison_suites::Identity>,
        record: Option<&Record>,
        relation: Relation,
        kind: RecordKind,
    ) -> Probe {
        Probe {
            family,
            actor: actor.map(|a| a.key.clone()),
            endpoint: key.to_string(),
            record: record.map(|r| r.key.to_string()),
            variant: Variant::Plain,
            expect: Expect::Refusal,
            cell: Cell {
                family,
                endpoint: key.to_string(),
                role: actor.map_or_else(|| "anonymous".to_string(), |a| a.role.clone()),
                relation,
                kind,
                via: None,
            },
        }
    }

    /// One call without credentials.
    fn anonymous(&mut self, index: usize, filled: &Filled) {
        let op = &self.doc.operations[index];
        let secured = op.secured();
        // Apart from the calls as an identity when its path differs (they name the caller's own scope).
        let apart = filled.caller.as_ref() != Some(&filled.anonymous);
        let key = if secured || apart {
            format!("{PREFIX}{} {} (no credentials)", op.method, op.path)
        } else {
            format!("{PREFIX}{} {}", op.method, op.path)
        };
        let mut rng = Rng::new(self.config.seed, &format!("anonymous/{key}"));
        let record = match filled.kind {
            None => None,
            Some(kind) => {
                let from = if op.safe() { &self.records } else { &self.pool };
                let Some(candidates) = from.get(&kind).filter(|c| !c.is_empty()) else {
                    return;
                };
                Some(candidates[rng.below(candidates.len())])
            }
        };
        self.endpoint(index, &key, &filled.anonymous, Vec::new(), secured);
        let relation = if record.is_some() {
            Relation::OtherTenant
        } else {
            Relation::Collection
        };
        let probe = Self::probe(
            Family::Anonymous,
            &key,
            None,
            record,
            relation,
            filled.kind.unwrap_or(RecordKind::Case),
        );
        if op.safe() {
            self.reach.probes.push(probe);
        } else {
            self.reach.mutating.push(probe);
        }
    }

    /// The cells of reads as every role of records of `kind` the caller may not see (each cell its
    /// (actor, record) candidates), in the order [`budget::prioritise`] gives; only callers that have an own
    /// record of the kind the path's parents name.
    fn read_cells(
        &self,
        kind: RecordKind,
        own: Option<RecordKind>,
        rng: &mut Rng,
    ) -> Vec<Vec<(usize, usize)>> {
        let Some(records) = self.records.get(&kind) else {
            return Vec::new();
        };
        let mut cells: BTreeMap<(String, Relation), Vec<(usize, usize)>> = BTreeMap::new();
        for (a, actor) in self.population.identities().iter().enumerate() {
            if let Some(own) = own
                && own_record(self.population, self.policy, self.pool_cases, actor, own).is_none()
            {
                continue;
            }
            for (r, record) in records.iter().enumerate() {
                if self
                    .policy
                    .may_see(self.population, actor, record)
                    .is_allowed()
                {
                    continue;
                }
                cells
                    .entry((actor.role.clone(), Relation::of(actor, record)))
                    .or_default()
                    .push((a, r));
            }
        }
        budget::prioritise(cells, rng)
    }

    /// Reads by identifier as every role, of records the caller may not see, inside the caller's own
    /// scope: at most the budget, over every filling and cell.
    fn reads(&mut self, index: usize, fillings: &[Filled]) {
        let op = &self.doc.operations[index];
        let usable: Vec<(&Filled, String, &str, RecordKind)> = fillings
            .iter()
            .filter_map(|f| Some((f, f.caller.as_deref()?, f.kind?)))
            .map(|(f, path, kind)| {
                let key = match f.guess {
                    Some(guess) => {
                        format!("{PREFIX}{} {} ({} ids)", op.method, op.path, guess.name())
                    }
                    None => format!("{PREFIX}{} {}", op.method, op.path),
                };
                (f, key, path, kind)
            })
            .collect();
        let mut rng = Rng::new(self.config.seed, &format!("direct-read/{}", op.name()));
        let groups: Vec<Vec<Vec<(usize, usize)>>> = usable
            .iter()
            .map(|(f, _, _, kind)| self.read_cells(*kind, f.own, &mut rng))
            .collect();
        let drawn = budget::draw(&groups, self.config.per_operation, &mut rng);
        let mut made = BTreeSet::new();
        for (g, c, i) in drawn {
            let (_, key, path, kind) = &usable[g];
            if made.insert(g) {
                self.endpoint(index, key, path, Vec::new(), false);
            }
            let (a, r) = groups[g][c][i];
            let actor = &self.population.identities()[a];
            let record = self.records[kind][r];
            self.reach.probes.push(Self::probe(
                Family::DirectRead,
                key,
                Some(actor),
                Some(record),
                Relation::of(actor, record),
                *kind,
            ));
        }
    }

    /// A collection as every role (at most the budget, one per role first); a search for other persons
    /// when its parameters name a person's value.
    fn collection(&mut self, index: usize, filled: &Filled) {
        let op = &self.doc.operations[index];
        let key = format!("{PREFIX}{} {}", op.method, op.path);
        let path = filled
            .caller
            .clone()
            .unwrap_or_else(|| filled.anonymous.clone());
        self.endpoint(index, &key, &path, Vec::new(), false);
        let mut by_role: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (a, identity) in self.population.identities().iter().enumerate() {
            by_role.entry(identity.role.as_str()).or_default().push(a);
        }
        let mut rng = Rng::new(self.config.seed, &format!("collection/{key}"));
        let roles: Vec<Vec<usize>> = by_role.into_values().collect();
        let cells: Vec<Vec<usize>> = rng.sample(&roles, roles.len());
        for (_, c, i) in budget::draw(
            std::slice::from_ref(&cells),
            self.config.per_operation,
            &mut rng,
        ) {
            let actor = &self.population.identities()[cells[c][i]];
            self.reach.probes.push(Self::probe(
                Family::Collection,
                &key,
                Some(actor),
                None,
                Relation::Collection,
                RecordKind::Case,
            ));
        }
        let best = op
            .params(In::Query)
            .filter_map(|p| vocab::search_fill(&p.name).map(|(rank, value)| (rank, p, value)))
            .max_by_key(|(rank, _, _)| *rank);
        let Some((_, param, value)) = best else {
            return;
        };
        let key = format!(
            "{PREFIX}{} {} (search by {})",
            op.method, op.path, param.name
        );
        let query = vec![(
            param.name.clone(),
            Template::parse(value).unwrap_or_else(|_| Template::literal(value)),
        )];
        let mut rng = Rng::new(self.config.seed, &format!("search/{key}"));
        let cells = self.read_cells(RecordKind::Case, None, &mut rng);
        if cells.is_empty() {
            return;
        }
        self.endpoint(index, &key, &path, query, false);
        let cases = self.records[&RecordKind::Case].clone();
        for (_, c, i) in budget::draw(
            std::slice::from_ref(&cells),
            self.config.per_operation,
            &mut rng,
        ) {
            let (a, r) = cells[c][i];
            let actor = &self.population.identities()[a];
            self.reach.probes.push(Self::probe(
                Family::Search,
                &key,
                Some(actor),
                Some(cases[r]),
                Relation::of(actor, cases[r]),
                RecordKind::Case,
            ));
        }
    }
}

/// The caller's own record of a kind, whose identifiers fill the parents of a generic read's path: the
/// first of the world's records of that kind in the caller's tenant that the caller may see, outside the
/// pool of case files set aside for writes (`pool`: their keys), which writes may change or delete. The
/// planner and the engine ask the same question, so they agree.
pub fn own_record<'p>(
    population: &'p Population,
    policy: &AccessPolicy,
    pool: &BTreeSet<String>,
    actor: &cloison_suites::Identity,
    kind: RecordKind,
) -> Option<&'p Record> {
    population.records().iter().find(|r| {
        r.kind == kind
            && r.tenant == actor.tenant
            && !pool.contains(r.case.as_str())
            && policy.may_see(population, actor, r).is_allowed()
    })
}

/// The kind of record the profile names at the operation's last path parameter: one of its endpoints
/// whose path is the operation's up to there (the same literal segments, placeholders where it has
/// parameters) and names `{{KIND.…}}` at that segment (`/files/{{case.id}}` says what `/files/{id}/digest`
/// takes, whatever the word `files` suggests).
fn profile_kind(profile: &Profile, op: &super::Operation) -> Option<RecordKind> {
    let have = op.segments();
    let leaf = have.iter().rposition(|s| super::is_param(s))?;
    profile.endpoints().into_iter().find_map(|endpoint| {
        let text = endpoint.path.text();
        let want = super::segments(text.split('?').next().unwrap_or(&text));
        if want.len() <= leaf {
            return None;
        }
        let prefix = have[..leaf].iter().zip(&want).all(|(doc, mine)| {
            if super::is_param(doc) {
                mine.contains("{{")
            } else {
                doc == mine
            }
        });
        let name = want[leaf].strip_prefix("{{")?.strip_suffix("}}")?;
        let root = name.split(['.', ' ', '|']).next()?;
        prefix.then(|| profile.kind_named(root)).flatten()
    })
}

/// Plan the generic probes of a document for a run whose planner already planned `planned`: none for an
/// operation the run must never call ([`withhold`](super::withhold)), at most the budget per operation
/// and family otherwise.
pub fn plan(
    doc: &Document,
    profile: &Profile,
    population: &Population,
    planned: &Planned,
    config: ReachConfig,
) -> Reach {
    let described = profile_operations(doc, profile);
    let reached_anonymously: BTreeSet<usize> = planned
        .probes
        .iter()
        .chain(&planned.mutating)
        .filter(|p| p.family == Family::Anonymous)
        .filter_map(|p| described.get(&p.endpoint).copied())
        .collect();
    let declared: BTreeSet<usize> = described.values().copied().collect();
    let mut records: BTreeMap<RecordKind, Vec<&Record>> = BTreeMap::new();
    let mut pool: BTreeMap<RecordKind, Vec<&Record>> = BTreeMap::new();
    for record in population.records() {
        let into = if planned.pool.contains(record.case.as_str()) {
            &mut pool
        } else {
            &mut records
        };
        into.entry(record.kind).or_default().push(record);
    }
    let withheld = super::withhold::withheld(doc, profile);
    let mut planner = Planner {
        doc,
        profile,
        population,
        policy: &profile.policy,
        config,
        records,
        pool,
        pool_cases: &planned.pool,
        reach: Reach::default(),
    };
    for (index, op) in doc.operations.iter().enumerate() {
        if withheld.contains_key(&index) {
            continue;
        }
        let fillings = fillings(op, profile_kind(profile, op));
        if !reached_anonymously.contains(&index)
            && let Some(first) = fillings.first()
        {
            planner.anonymous(index, first);
        }
        if declared.contains(&index) || !op.safe() {
            continue;
        }
        match fillings.first() {
            Some(first) if first.kind.is_none() => planner.collection(index, first),
            Some(_) => planner.reads(index, &fillings),
            None => {}
        }
    }
    planner.reach.withheld = withheld;
    planner.reach
}

impl Reach {
    /// Add the probes to a plan, and count them in their families' coverage.
    pub fn apply(&self, planned: &mut Planned) {
        let mut added: BTreeMap<Family, (usize, BTreeSet<&Cell>)> = BTreeMap::new();
        for probe in self.probes.iter().chain(&self.mutating) {
            let entry = added.entry(probe.family).or_default();
            entry.0 += 1;
            entry.1.insert(&probe.cell);
        }
        for plan in &mut planned.coverage {
            if let Some((probes, cells)) = added.get(&plan.family) {
                plan.probes += probes;
                plan.cells += cells.len();
                if plan
                    .skipped
                    .as_deref()
                    .is_some_and(|s| s.starts_with("not applicable"))
                {
                    plan.skipped = None;
                }
            }
        }
        planned.probes.extend(self.probes.iter().cloned());
        planned.mutating.extend(self.mutating.iter().cloned());
    }

    /// What the generic probing planned, for a line on standard error: the operations, those the profile
    /// describes, those never called, and the probes.
    pub fn summary(&self, doc: &Document, described: usize) -> String {
        let mut never: BTreeMap<Withheld, usize> = BTreeMap::new();
        for why in self.withheld.values() {
            *never.entry(*why).or_default() += 1;
        }
        let never = if never.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = never
                .iter()
                .map(|(why, n)| format!("{n} {}", why.short()))
                .collect();
            format!(
                ", {} never called ({})",
                self.withheld.len(),
                parts.join(", ")
            )
        };
        let probed: BTreeSet<usize> = self.operation_of.values().copied().collect();
        format!(
            "OpenAPI document: {} operations, {described} described by the profile{never}; {} probes planned on {} operations (at most {} per operation and family, and one call without credentials)",
            doc.operations.len(),
            self.probes.len() + self.mutating.len(),
            probed.len(),
            PER_OPERATION,
        )
    }
}
