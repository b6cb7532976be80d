//! The generic probing's plan on synthetic documents: what is never called, paths as documented, parents
//! from the caller's own scope, and the budget.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cloison_generators::{GenConfig, LazyWorld};
use cloison_suites::{Family, PlanConfig, Planned, RecordKind};
use serde_json::{Value, json};

use super::Document;
use super::reach::{PER_OPERATION, Reach, ReachConfig, Withheld, own_record};
use crate::plan::Plan;
use crate::profile::{Profile, REFERENCE_PORTAL};

/// The reference portal's profile with a reset, an exclusion, and what `extra` adds.
fn profile(extra: &str) -> Profile {
    let text = format!(
        "{REFERENCE_PORTAL}\n[[reset]]\nmethod = \"GET\"\npath = \"/api/reset/\"\n\n[probing]\nexclude = [\"* /api/maintenance/*\", \"rebuildIndex\"]\n{extra}"
    );
    Profile::parse(Path::new("p.toml"), &text, None).expect("valid profile")
}

/// A document of `paths` (path -> method -> operation object), every operation secured.
fn document(paths: Value) -> Document {
    let doc = json!({
        "openapi": "3.0.3",
        "info": { "title": "t", "version": "1" },
        "security": [{ "key": [] }],
        "components": { "securitySchemes": { "key": { "type": "apiKey", "in": "header", "name": "X-Key" } } },
        "paths": paths,
    });
    Document::parse("t.json", &doc.to_string()).expect("parses")
}

fn planned(profile: &Profile) -> (Plan, Planned) {
    let world = LazyWorld::new(&GenConfig::new(1, 2, 16)).expect("world");
    let plan = Plan::new(world, profile, &json!({})).expect("plan");
    let planned = cloison_suites::plan(
        &plan.population,
        &profile.policy,
        &profile.surface(),
        PlanConfig {
            seed: 7,
            per_cell: 3,
        },
    );
    (plan, planned)
}

fn reach(doc: &Document, profile: &Profile, seed: u64) -> (Plan, Reach) {
    let (plan, planned) = planned(profile);
    let reach = plan_with(doc, profile, &plan, &planned, seed);
    (plan, reach)
}

fn plan_with(
    doc: &Document,
    profile: &Profile,
    plan: &Plan,
    planned: &Planned,
    seed: u64,
) -> Reach {
    super::reach::plan(
        doc,
        profile,
        &plan.population,
        planned,
        ReachConfig {
            seed,
            per_operation: PER_OPERATION,
        },
    )
}

/// The operations (`METHOD /path`) some probe of the plan calls.
fn called(doc: &Document, reach: &Reach) -> BTreeSet<String> {
    reach
        .probes
        .iter()
        .chain(&reach.mutating)
        .map(|p| doc.operations[reach.operation_of[&p.endpoint]].name())
        .collect()
}

#[test]
fn reset_setup_login_excluded_and_wiping_operations_are_never_called() {
    let profile = profile("");
    let op = json!({ "responses": {} });
    let doc = document(json!({
        "/api/reset/": { "get": op },
        "/api/v1/auth/login": { "post": op },
        "/api/v1/admin/tenants": { "post": op },
        "/api/v1/admin/tenants/{code}/users": { "post": op },
        "/api/maintenance/reindex/": { "post": op, "get": op },
        "/api/search-index/": { "put": { "operationId": "rebuildIndex", "responses": {} } },
        "/api/cache/": { "delete": { "summary": "Flush the cache", "responses": {} } },
        "/api/password/reset/": { "post": op },
        "/api/board/": { "get": op },
        "/api/things/{id}/": { "delete": op },
    }));
    let (_, reach) = reach(&doc, &profile, 7);
    let why = |name: &str| {
        let index = doc
            .operations
            .iter()
            .position(|o| o.name() == name)
            .expect(name);
        reach.withheld.get(&index).copied()
    };
    assert_eq!(why("GET /api/reset/"), Some(Withheld::Reset));
    assert_eq!(why("POST /api/v1/auth/login"), Some(Withheld::Session));
    assert_eq!(why("POST /api/v1/admin/tenants"), Some(Withheld::Setup));
    assert_eq!(
        why("POST /api/v1/admin/tenants/{code}/users"),
        Some(Withheld::Setup)
    );
    assert_eq!(
        why("GET /api/maintenance/reindex/"),
        Some(Withheld::Excluded)
    );
    assert_eq!(
        why("POST /api/maintenance/reindex/"),
        Some(Withheld::Excluded)
    );
    assert_eq!(why("PUT /api/search-index/"), Some(Withheld::Excluded));
    assert_eq!(why("DELETE /api/cache/"), Some(Withheld::Destructive));
    let called = called(&doc, &reach);
    assert_eq!(
        called,
        BTreeSet::from([
            "GET /api/board/".to_string(),
            "POST /api/password/reset/".to_string(),
            "DELETE /api/things/{id}/".to_string(),
        ]),
        "only what may be called is"
    );
    let summary = reach.summary(&doc, 0);
    assert!(summary.contains("8 never called (1 reset, 2 setup, 1 login or logout, 3 excluded, 1 named as wiping data)"), "{summary}");
}

#[test]
fn paths_keep_their_trailing_slash_and_parents_come_from_the_callers_own_scope() {
    let profile = profile("");
    let op = json!({ "responses": {} });
    let doc = document(json!({
        "/api/orgs/{org}/cases/{case_id}/notes/{id}/": { "get": op },
        "/api/board/": { "get": op },
    }));
    let (plan, reach) = reach(&doc, &profile, 7);
    let paths: BTreeSet<String> = reach.endpoints.values().map(|e| e.path.text()).collect();
    assert!(paths.contains("/api/board/"), "{paths:?}");
    assert!(
        paths.contains("/api/orgs/{{own.tenant.code}}/cases/{{own.case.id}}/notes/{{note.id}}/"),
        "{paths:?}"
    );
    assert!(
        paths.contains("/api/orgs/{{tenant.code}}/cases/{{case.id}}/notes/{{note.id}}/"),
        "anonymous calls fill every parameter from the victim's record: {paths:?}"
    );
    let reads: Vec<_> = reach
        .probes
        .iter()
        .filter(|p| p.family == Family::DirectRead)
        .collect();
    assert!(!reads.is_empty() && reads.len() <= PER_OPERATION);
    let (_, planned) = planned(&profile);
    for probe in reads {
        let actor = plan
            .population
            .identity(probe.actor.as_deref().expect("an identity"))
            .expect("actor");
        let victim = plan
            .population
            .record(probe.record.as_deref().expect("a record"))
            .expect("victim");
        assert_eq!(victim.kind, RecordKind::Note);
        assert!(
            !profile
                .policy
                .may_see(&plan.population, actor, victim)
                .is_allowed()
        );
        let own = own_record(
            &plan.population,
            &profile.policy,
            &planned.pool,
            actor,
            RecordKind::Case,
        )
        .expect("the caller has a case file of its own to name");
        assert_eq!(own.tenant, actor.tenant);
        assert!(
            profile
                .policy
                .may_see(&plan.population, actor, own)
                .is_allowed()
        );
    }
}

/// A document of `n` operations shaped like a large platform's: collections (some searchable), reads by
/// identifier under parents, writes, actions.
fn large_document(n: usize) -> Document {
    let op = json!({ "responses": {} });
    let search = json!({ "parameters": [{ "name": "nir", "in": "query", "schema": { "type": "string" } }], "responses": {} });
    let mut paths = serde_json::Map::new();
    let mut count = 0;
    let mut i = 0;
    while count < n {
        let base = format!("/api/v1/orgs/{{org}}/projects/{{project}}/things{i}/");
        let mut item = serde_json::Map::new();
        item.insert(
            "get".into(),
            if i % 5 == 0 {
                search.clone()
            } else {
                op.clone()
            },
        );
        item.insert("post".into(), op.clone());
        paths.insert(base.clone(), Value::Object(item));
        let mut one = serde_json::Map::new();
        one.insert("get".into(), op.clone());
        one.insert("put".into(), op.clone());
        one.insert("delete".into(), op.clone());
        paths.insert(format!("{base}{{id}}/"), Value::Object(one));
        paths.insert(format!("{base}{{id}}/publish/"), json!({ "post": op }));
        count += 6;
        i += 1;
    }
    let doc = document(Value::Object(paths));
    assert!(doc.operations.len() >= n);
    doc
}

#[test]
fn a_400_operation_document_costs_a_few_probes_per_operation() {
    let profile = profile("");
    let doc = large_document(400);
    let (plan, planned) = planned(&profile);
    let reach = plan_with(&doc, &profile, &plan, &planned, 7);
    let mut per: BTreeMap<(usize, Family), usize> = BTreeMap::new();
    for probe in reach.probes.iter().chain(&reach.mutating) {
        *per.entry((reach.operation_of[&probe.endpoint], probe.family))
            .or_default() += 1;
    }
    for ((index, family), n) in &per {
        let most = if *family == Family::Anonymous {
            1
        } else {
            PER_OPERATION
        };
        assert!(
            *n <= most,
            "{} {family}: {n} probes",
            doc.operations[*index].name()
        );
    }
    let total = reach.probes.len() + reach.mutating.len();
    // At 2 requests a second, the generic probes of 400 operations take at most a third of the default
    // deadline (1800 s), leaving the rest to setup and the profile's own probes.
    let bound = 1800 * 2 / 3;
    eprintln!(
        "{} ({} operations)",
        reach.summary(&doc, 0),
        doc.operations.len()
    );
    assert!(
        total <= bound,
        "{total} probes planned for {} operations",
        doc.operations.len()
    );
    assert!(
        total >= doc.operations.len(),
        "every operation is called: {total}"
    );
    // The same seed gives the same probes; another seed draws others.
    let again = plan_with(&doc, &profile, &plan, &planned, 7);
    let ids = |r: &Reach| r.probes.iter().map(|p| p.id()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&reach));
    assert_ne!(
        ids(&plan_with(&doc, &profile, &plan, &planned, 8)),
        ids(&reach)
    );
}
