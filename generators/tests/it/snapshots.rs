//! Reviewed snapshots: a tiny world and the JSON Schemas.

use cloison_generators::{GenConfig, World, schema};

#[test]
fn tiny_world() {
    let world = World::generate(&GenConfig::new(1, 1, 2)).unwrap();
    insta::assert_json_snapshot!(
        "tiny_world",
        serde_json::json!({
            "tenants": world.tenants,
            "agents": world.agents,
            "cases": world.cases,
        })
    );
}

#[test]
fn json_schemas() {
    insta::assert_json_snapshot!("schemas", schema::all_schemas());
}
