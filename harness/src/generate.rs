//! `cloison generate`: write a synthetic world to a directory (one file per entity and a manifest), or print
//! the JSON Schema of every entity.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use cloison_generators::stream::{StreamOptions, write_world};
use cloison_generators::{Date, Format, GenConfig, GenError, TenantSelection, schema};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::CliError;

/// Output format of `cloison generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header line.
    Csv,
}

/// Arguments of `cloison generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Seed of the world: the same seed and version give byte-identical output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tenants: a count (1-101, no leading zero; 3 gives Paris, Bouches-du-Rhone and Corse-du-Sud) or
    /// departement codes separated by commas (`75,2A,971`; `01` is the Ain, `13,` the Bouches-du-Rhone alone).
    #[arg(long, default_value = "3")]
    pub tenants: String,
    /// Number of case files.
    #[arg(long, default_value_t = 1000)]
    pub cases: u64,
    /// Output directory (created if missing; existing entity files are overwritten).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    pub format: OutputFormat,
    /// Worker threads (default: the number of cores). The output does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also write every document's PDF under `documents/{departement}/`.
    #[arg(long)]
    pub documents: bool,
    /// Run the realism checks of the domain reference on the whole world and fail if one does not hold.
    #[arg(long)]
    pub verify: bool,
    /// Reference date ("today" of the world), YYYY-MM-DD.
    #[arg(long, default_value = "2025-06-30")]
    pub reference_date: String,
    /// Opt-in: real INSEE commune codes in NIRs instead of the safe `000`.
    #[arg(long)]
    pub real_birth_communes: bool,
    /// Run tag, 0 to 99: which slice of every value space the world uses (default: the seed's, `seed mod
    /// 100`); the world of `cloison run --seed S --run-tag T` is the world of the same flags here.
    #[arg(long, value_name = "TAG", value_parser = parse_run_tag)]
    pub run_tag: Option<cloison_generators::RunTag>,
    /// Print the JSON Schema of every entity and exit.
    #[arg(long)]
    pub schema: bool,
}

/// `--run-tag`: 0 to 99.
fn parse_run_tag(text: &str) -> Result<cloison_generators::RunTag, String> {
    text.parse()
        .map_err(|e: cloison_generators::GenError| e.to_string())
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::usage(msg)
}

/// A failure of the environment (exit 3), with what was being done.
fn failed(err: impl Into<anyhow::Error>, what: impl std::fmt::Display) -> CliError {
    CliError::Failed(err.into().context(what.to_string()))
}

/// The generator config of the arguments.
pub fn config(args: &GenerateArgs) -> Result<GenConfig, CliError> {
    // The same reading as `cloison run --tenants`: a count without a leading zero up to 101, else codes.
    let tenants = TenantSelection::parse(&args.tenants);
    let reference_date = Date::parse_iso(&args.reference_date).ok_or_else(|| {
        usage(format!(
            "--reference-date {:?}: expected a date YYYY-MM-DD",
            args.reference_date
        ))
    })?;
    let config = GenConfig {
        seed: args.seed,
        tenants,
        cases: args.cases,
        reference_date,
        real_birth_communes: args.real_birth_communes,
        run_tag: args.run_tag,
        ..GenConfig::default()
    };
    config.resolve_tenants().map_err(|e| {
        usage(format!(
            "{e} (--tenants {:?}, --cases {})",
            args.tenants, args.cases
        ))
    })?;
    Ok(config)
}

/// Generate the world described by `args`.
pub fn run(args: &GenerateArgs) -> Result<(), CliError> {
    if args.schema {
        let text = serde_json::to_string_pretty(&schema::all_schemas())
            .map_err(|e| failed(e, "serialising the schemas"))?;
        println!("{text}");
        return Ok(());
    }
    let config = config(args)?;
    let threads = match args.threads {
        Some(0) => return Err(usage("--threads must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    std::fs::create_dir_all(&args.out).map_err(|e| {
        usage(format!(
            "cannot create output directory {}: {e}",
            args.out.display()
        ))
    })?;
    let opts = StreamOptions {
        format: match args.format {
            OutputFormat::Jsonl => Format::Jsonl,
            OutputFormat::Csv => Format::Csv,
        },
        threads,
        documents: args.documents,
        verify: args.verify,
        ..StreamOptions::default()
    };
    let bar = if std::io::stderr().is_terminal() && args.cases >= 50_000 {
        ProgressBar::new(args.cases)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} case files ({per_sec}, eta {eta})",
        )
        .map_err(|e| failed(e, "progress bar template"))?
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let summary = write_world(&config, &args.out, &opts, &|done| bar.set_position(done)).map_err(
        |e| match e {
            GenError::Io { what, source }
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                usage(format!(
                    "cannot write {what} in {}: {source}",
                    args.out.display()
                ))
            }
            GenError::Config(m) => usage(m),
            other => failed(
                other,
                format!("writing the world to {}", args.out.display()),
            ),
        },
    )?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let records: u64 = summary.counts.iter().map(|(_, n)| n).sum();
    let mut text = format!(
        "wrote {} case files ({records} records, {} MB) to {} in {secs:.2} s: {:.0} case files/s\n",
        args.cases,
        summary.bytes / 1_000_000,
        args.out.display(),
        args.cases as f64 / secs.max(1e-9)
    );
    for (entity, n) in &summary.counts {
        text.push_str(&format!("  {:<16} {n}\n", entity.name()));
    }
    if args.documents {
        text.push_str(&format!(
            "  {:<16} {}\n",
            "documents (PDF)", summary.documents_written
        ));
    }
    let passed = summary.report.as_ref().is_none_or(|r| r.passed());
    if let Some(report) = &summary.report {
        text.push_str(&report.summary());
        if passed {
            text.push_str("all realism checks pass\n");
        }
    }
    print_out(&text)?;
    if !passed {
        return Err(CliError::Failed(anyhow::anyhow!(
            "realism checks failed (see above)"
        )));
    }
    Ok(())
}

/// Print to stdout; a closed pipe (`| head`) is not an error.
fn print_out(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(failed(e, "writing to stdout")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn tenants(value: &str) -> TenantSelection {
        let cli = Cli::try_parse_from(["cloison", "generate", "--tenants", value]).expect("parses");
        let Command::Generate(args) = cli.command else {
            panic!("a generate command");
        };
        config(&args).expect("a config").tenants
    }

    #[test]
    fn tenant_counts_and_codes_are_unambiguous() {
        assert_eq!(tenants("3"), TenantSelection::Count(3));
        assert_eq!(tenants("101"), TenantSelection::Count(101));
        // A leading zero is a departement code: the Ain, not one tenant.
        assert_eq!(tenants("01"), TenantSelection::Codes(vec!["01".into()]));
        assert_eq!(tenants("971"), TenantSelection::Codes(vec!["971".into()]));
        assert_eq!(tenants("13,"), TenantSelection::Codes(vec!["13".into()]));
        assert_eq!(
            tenants("75, 2A"),
            TenantSelection::Codes(vec!["75".into(), "2A".into()])
        );
    }
}
