//! The canary registry at scale: the world of a run (seed 1, 101 tenants), its registry, the automaton's
//! heap and a scan of every document's bytes and of every case file as JSON. Used to measure what a change to matching costs, before and
//! after, without building the harness:
//!
//! ```sh
//! /usr/bin/time -v cargo run --release -p cloison-generators --example canaries -- 10000
//! ```
//!
//! Prints the number of canaries and automaton patterns, the automaton's heap (`memory_usage`), and the
//! hits found in the world's documents; `/usr/bin/time -v` gives the peak resident memory of the process.

use std::time::Instant;

use cloison_generators::{GenConfig, TenantSelection, World};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cases: u64 = std::env::args()
        .nth(1)
        .ok_or("usage: canaries CASES")?
        .parse()?;
    let config = GenConfig {
        tenants: TenantSelection::All,
        ..GenConfig::new(1, 101, cases)
    };
    let world = World::generate(&config)?;
    let started = Instant::now();
    let registry = world.canaries();
    let built = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut hits = 0usize;
    let mut bytes = 0usize;
    for d in world.documents() {
        let pdf = world.document_bytes(d);
        bytes += pdf.len();
        hits += registry.scan(&pdf).len();
    }
    for case in &world.cases {
        let json = serde_json::to_vec(case)?;
        bytes += json.len();
        hits += registry.scan(&json).len();
    }
    let scanned = started.elapsed().as_secs_f64();
    println!(
        "{cases} case files: {} canaries, {} patterns, automaton heap {:.1} MiB, built in {built:.2} s; \
         {hits} hits in {} documents and the case files as JSON ({:.1} MB) scanned in {scanned:.2} s",
        registry.canaries().len(),
        registry.pattern_count(),
        registry.memory_usage() as f64 / (1024.0 * 1024.0),
        world.documents().count(),
        bytes as f64 / 1e6,
    );
    Ok(())
}
