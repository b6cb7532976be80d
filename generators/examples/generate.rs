//! `cloison generate` without the harness: stream a world to JSONL files, optionally with the realism
//! checks, and print the rate. Used to measure and verify the generator on its own:
//!
//! ```sh
//! cargo run --release -p cloison-generators --example generate -- OUT_DIR CASES [THREADS] [--verify]
//! ```
//!
//! Always 101 tenants and seed 1, like `scripts/bench-generate.sh`.

use std::time::Instant;

use cloison_generators::stream::{StreamOptions, write_world};
use cloison_generators::{GenConfig, TenantSelection};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: generate OUT_DIR CASES [THREADS] [--verify]";
    let out = std::path::PathBuf::from(args.first().ok_or(usage)?);
    let cases: u64 = args.get(1).ok_or(usage)?.parse()?;
    let threads: usize = match args.get(2).filter(|a| !a.starts_with("--")) {
        Some(t) => t.parse()?,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let verify = args.iter().any(|a| a == "--verify");
    let config = GenConfig {
        tenants: TenantSelection::All,
        ..GenConfig::new(1, 101, cases)
    };
    std::fs::create_dir_all(&out)?;
    let opts = StreamOptions {
        threads,
        verify,
        ..StreamOptions::default()
    };
    let started = Instant::now();
    let summary = write_world(&config, &out, &opts, &|_| {})?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {cases} case files ({} MB) in {secs:.2} s: {:.0} case files/s",
        summary.bytes / 1_000_000,
        cases as f64 / secs.max(1e-9)
    );
    if let Some(report) = summary.report {
        print!("{}", report.summary());
        if !report.passed() {
            return Err("realism checks failed".into());
        }
        println!("all realism checks pass");
    }
    Ok(())
}
