//! The canary registry at scale: the world of a run (seed 1, 101 tenants), its registry, the matcher's
//! heap and a scan of every document's bytes and of every case file as JSON. Used to measure what a change to matching costs, before and
//! after, without building the harness:
//!
//! ```sh
//! /usr/bin/time -v cargo run --release -p cloison-generators --example canaries -- 10000
//! ```
//!
//! Prints the number of canaries and patterns, the matcher's heap (`memory_usage`), and the
//! hits found in the world's documents; `/usr/bin/time -v` gives the peak resident memory of the process.

use std::hash::{Hash, Hasher};
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
    let with_world = peak_mib();
    let started = Instant::now();
    let registry = world.canaries();
    let built = started.elapsed().as_secs_f64();
    println!(
        "peak resident memory: {with_world:.0} MiB with the world, {:.0} MiB with its registry",
        peak_mib()
    );
    // The corpus is made item by item (not held: it would weigh on the peak); only the scans are timed.
    let documents = world.documents().map(|d| world.document_bytes(d));
    let case_bodies = world.cases.iter().flat_map(|case| {
        let json = serde_json::to_string(case).unwrap_or_default();
        // The same case file as an ASCII-only JSON body with escaped slashes (Python, PHP).
        let escaped = ascii_escaped(&json);
        [json.into_bytes(), escaped.into_bytes()]
    });
    let mut scanned = 0.0f64;
    let mut hits = 0usize;
    let mut bytes = 0usize;
    // An order-free digest of the distinct hits (item, value, kind, range): equal before and after a
    // change that finds the same canaries at the same places.
    let mut digest = 0u64;
    for (i, item) in documents.chain(case_bodies).enumerate() {
        bytes += item.len();
        let started = Instant::now();
        let found = registry.scan(&item);
        scanned += started.elapsed().as_secs_f64();
        let mut found: Vec<_> = found
            .into_iter()
            .map(|h| (h.value, h.kind, h.start, h.end))
            .collect();
        found.sort();
        found.dedup();
        hits += found.len();
        for h in found {
            let mut hasher = std::hash::DefaultHasher::new();
            (i, h).hash(&mut hasher);
            digest = digest.wrapping_add(hasher.finish());
        }
    }
    println!(
        "{cases} case files: {} canaries, {} patterns, matcher heap {:.1} MiB, built in {built:.2} s; \
         {hits} distinct hits (digest {digest:016x}) in {} documents and the case files as JSON, raw and \
         ASCII-escaped ({:.1} MB) scanned in {scanned:.2} s ({:.1} MB/s)",
        registry.canaries().len(),
        registry.pattern_count(),
        registry.memory_usage() as f64 / (1024.0 * 1024.0),
        world.documents().count(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / scanned,
    );
    Ok(())
}

/// `json` with every character that is not ASCII as `\uXXXX` (UTF-16 units) and `/` as `\/`.
fn ascii_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 8);
    for c in json.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

/// The peak resident memory of this process so far (`VmHWM`, Linux), in MiB; 0 elsewhere.
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
