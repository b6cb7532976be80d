//! The report of a run in the formats other tools read, each a pure function from the [`Report`] to bytes:
//! [`junit`] (one test case per finding and per cell that showed nothing, for CI test views), [`sarif`]
//! (SARIF 2.1.0, one result per finding with a stable fingerprint, for code-scanning dashboards) and [`html`] (one self-contained evidence file
//! for people). The JSON report is the [`Report`] itself (`docs/report.schema.json`).
//!
//! [`Outputs`] is where `cloison run` writes them (`--report DIR`, `--junit`, `--sarif`, `--html`), checked
//! before the run starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cloison_suites::{Cell, Expect, Planned};
use sha2::{Digest as _, Sha256};

use crate::engine::Judged;
use crate::event::CellTally;
use crate::report::{CellCoverage, Evidence, Report};

pub mod html;
pub mod junit;
pub mod sarif;

/// Why a report could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An output file cannot be written.
    #[error("{path}: cannot write the {format} report: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Which format.
        format: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A format could not be serialised.
    #[error("cannot serialise the {format} report: {message}")]
    Serialise {
        /// Which format.
        format: &'static str,
        /// Why.
        message: String,
    },
}

/// SHA-256 of some bytes, in lower-case hexadecimal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The name of an expectation in reports.
pub fn expect_name(expect: Expect) -> &'static str {
    match expect {
        Expect::Refusal => "refusal",
        Expect::Visible => "visible",
        Expect::Control => "control",
        Expect::Existence => "existence",
    }
}

/// Every planned cell (controls included), with its planned probe count, those sent and not sent (from
/// the run's `tallies`), what the policy expects of it, and the strongest evidence its events showed (findings only; a failed control is a target failure, not
/// a cell finding). Cells come in their natural order (family, endpoint, role, relation, kind, via).
pub fn cells(
    planned: &Planned,
    events: &[Judged],
    tallies: &BTreeMap<Cell, CellTally>,
) -> Vec<CellCoverage> {
    let mut cells: BTreeMap<&Cell, (Expect, usize)> = BTreeMap::new();
    for probe in planned
        .controls
        .iter()
        .chain(&planned.probes)
        .chain(&planned.mutating)
        .chain(&planned.last)
    {
        cells.entry(&probe.cell).or_insert((probe.expect, 0)).1 += 1;
    }
    // Cells found while running (the stateful suite generates its sequences as it goes): listed with the
    // probes generated and sent in them (at least the events that show them).
    let mut found: BTreeMap<&Cell, (Expect, usize)> = BTreeMap::new();
    for event in events {
        if Evidence::of(&event.verdict).is_some() && !cells.contains_key(&event.probe.cell) {
            found
                .entry(&event.probe.cell)
                .or_insert((event.probe.expect, 0))
                .1 += 1;
        }
    }
    for (cell, (expect, shown)) in found {
        let sent = tallies.get(cell).map_or(0, |t| t.sent);
        cells.insert(cell, (expect, shown.max(sent)));
    }
    let mut worst: BTreeMap<&Cell, Evidence> = BTreeMap::new();
    for event in events {
        if let Some(evidence) = Evidence::of(&event.verdict) {
            let entry = worst.entry(&event.probe.cell).or_insert(evidence);
            // Evidence orders from the strongest (a proven leak) to the weakest.
            *entry = (*entry).min(evidence);
        }
    }
    cells
        .into_iter()
        .map(|(cell, (expect, planned))| CellCoverage {
            family: cell.family,
            endpoint: cell.endpoint.clone(),
            role: cell.role.clone(),
            relation: cell.relation.name().to_string(),
            kind: cell.kind.name().to_string(),
            via: cell.via.clone(),
            expect: expect_name(expect).to_string(),
            planned,
            finding: worst.get(cell).copied(),
            sent: tallies.get(cell).map_or(0, |t| t.sent),
            not_sent: crate::report::unsent::cell_not_sent(tallies.get(cell)),
        })
        .collect()
}

/// One report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
    /// Self-contained HTML.
    Html,
    /// The JSON report (only through `--report DIR`; `--json FILE` is written by `cloison run` itself).
    Json,
}

impl Format {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Junit => "JUnit",
            Format::Sarif => "SARIF",
            Format::Html => "HTML",
            Format::Json => "JSON",
        }
    }

    /// Its file name inside a `--report DIR`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Junit => "report.junit.xml",
            Format::Sarif => "report.sarif",
            Format::Html => "report.html",
            Format::Json => "report.json",
        }
    }

    /// The report in this format.
    pub fn render(self, report: &Report) -> Result<Vec<u8>, ReportError> {
        match self {
            Format::Junit => junit::render(report),
            Format::Sarif => sarif::render(report),
            Format::Html => Ok(html::render(report).into_bytes()),
            Format::Json => serde_json::to_vec_pretty(report).map_err(|e| ReportError::Serialise {
                format: "JSON",
                message: e.to_string(),
            }),
        }
    }
}

/// The output flags of `cloison run` and `cloison report merge`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputArgs {
    /// Write the JSON report to this file (`-`: to standard output, the summary then goes to standard
    /// error).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write every report format into this directory: report.json, report.junit.xml, report.sarif,
    /// report.html.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write a JUnit XML report (one test case per finding, and per cell that showed nothing) to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a SARIF 2.1.0 report (one result per finding) to this file.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Write a self-contained HTML evidence report to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl OutputArgs {
    /// Whether the JSON report goes to standard output (`--json -`).
    pub fn json_to_stdout(&self) -> bool {
        self.json.as_deref() == Some(Path::new("-"))
    }
}

/// Where the reports of a run go.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// Each file and its format.
    pub files: Vec<(PathBuf, Format)>,
    /// The `--report` directory, created if missing.
    pub dir: Option<PathBuf>,
}

impl Outputs {
    /// The outputs `cloison run` writes through this type: every format of `--report DIR`, then
    /// `--junit`, `--sarif`, `--html` (`--json FILE` it writes itself, before them).
    pub fn new(args: &OutputArgs) -> Self {
        let mut files = Self::report_dir(args);
        for (path, format) in [
            (&args.junit, Format::Junit),
            (&args.sarif, Format::Sarif),
            (&args.html, Format::Html),
        ] {
            if let Some(path) = path {
                files.push((path.clone(), format));
            }
        }
        Self {
            files,
            dir: args.report.clone(),
        }
    }

    /// The outputs of `cloison report merge`: every format of `--report DIR`, then `--json`, `--junit`,
    /// `--sarif`, `--html`, each unless `-`.
    pub fn with_json(args: &OutputArgs) -> Self {
        let mut files = Self::report_dir(args);
        for (path, format) in [
            (&args.json, Format::Json),
            (&args.junit, Format::Junit),
            (&args.sarif, Format::Sarif),
            (&args.html, Format::Html),
        ] {
            if let Some(path) = path.as_ref().filter(|p| p.as_path() != Path::new("-")) {
                files.push((path.clone(), format));
            }
        }
        Self {
            files,
            dir: args.report.clone(),
        }
    }

    /// Every format inside `--report DIR`.
    fn report_dir(args: &OutputArgs) -> Vec<(PathBuf, Format)> {
        let Some(dir) = &args.report else {
            return Vec::new();
        };
        [Format::Json, Format::Junit, Format::Sarif, Format::Html]
            .into_iter()
            .map(|format| (dir.join(format.file_name()), format))
            .collect()
    }

    /// Check that every output can be written (creating the report directory and empty files), so that a
    /// report that cannot be written is a usage error before the run, not a failure after it.
    pub fn check(&self) -> Result<(), ReportError> {
        if let Some(dir) = &self.dir {
            std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
                path: dir.clone(),
                format: "--report",
                source,
            })?;
        }
        for (path, format) in &self.files {
            crate::input::check_output(path)
                .and_then(|()| std::fs::write(path, b""))
                .map_err(|source| ReportError::Write {
                    path: path.clone(),
                    format: format.name(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Remove the empty files [`Outputs::check`] made (the run stopped before it had a report).
    pub fn discard(&self) {
        for (path, _) in &self.files {
            if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// Write every format; returns the files written.
    pub fn write(&self, report: &Report) -> Result<Vec<PathBuf>, ReportError> {
        let mut written = Vec::new();
        for (path, format) in &self.files {
            let bytes = format.render(report)?;
            write_file(path, *format, &bytes)?;
            written.push(path.clone());
        }
        Ok(written)
    }
}

fn write_file(path: &Path, format: Format, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        format: format.name(),
        source,
    })
}

/// A cell's name within its family: `endpoint as role on relation kind [via ...]`.
pub fn cell_name(cell: &CellCoverage) -> String {
    let mut name = format!(
        "{} as {} on {} {}",
        cell.endpoint, cell.role, cell.relation, cell.kind
    );
    if let Some(via) = &cell.via {
        name.push_str(" via ");
        name.push_str(via);
    }
    name
}

#[cfg(test)]
mod unsent_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
