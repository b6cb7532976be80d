//! `cloison diff`: the access matrices of two runs side by side (caller role and relation x endpoint:
//! allowed, denied, suspicious, leaked, not sent) and the cells that changed, with the findings that are
//! new and absent. A cell that went from denied to answered (status-level, without a canary: suspicious;
//! or leaked) is *widened access*: a build that opens an endpoint to a new role is noticed before data
//! leaks through it. Widened cells and new findings fail the diff.
//!
//! Pure: two reports' cells and findings in, changes and their text, JSON and HTML out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cloison_generators::date::Date;
use cloison_suites::baseline::BaselineState;
use cloison_suites::outcome::{FailOn, Tier};
use serde::Serialize;

use super::matrix::{self, State};
use super::regress::{self, Prior};
use super::{CellCoverage, Evidence};

/// How one cell changed between the two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Denied before, answered now (suspicious or leaked), or suspicious before and leaked now.
    Widened,
    /// Answered where it should not be before, denied now (or leaked before and only suspicious now).
    Narrowed,
    /// Another change: not sent on one side, or an expectation that changed (allowed and denied).
    Changed,
    /// A cell only the new run has (a new endpoint, role or relation).
    Added,
    /// A cell only the old run has.
    Removed,
}

impl Change {
    /// Its label in the terminal.
    pub fn label(self) -> &'static str {
        match self {
            Change::Widened => "WIDENED",
            Change::Narrowed => "narrowed",
            Change::Changed => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// How much a caller got where the policy forbids it: denied, status only, data. `None` for the states a
/// comparison of access cannot rank (allowed by the policy, not sent).
fn access(state: State) -> Option<u8> {
    match state {
        State::Refused => Some(0),
        State::Suspicious => Some(1),
        State::Leak => Some(2),
        State::Allowed | State::NotSent => None,
    }
}

/// The change between two states of a cell, if any.
pub fn change(old: Option<State>, new: Option<State>) -> Option<Change> {
    match (old, new) {
        (None, None) => None,
        (None, Some(_)) => Some(Change::Added),
        (Some(_), None) => Some(Change::Removed),
        (Some(old), Some(new)) if old == new => None,
        (Some(old), Some(new)) => Some(match (access(old), access(new)) {
            (Some(a), Some(b)) if b > a => Change::Widened,
            (Some(a), Some(b)) if b < a => Change::Narrowed,
            _ => Change::Changed,
        }),
    }
}

/// One cell of the matrix (endpoint x caller) that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    /// How.
    pub change: Change,
    /// Endpoint key.
    pub endpoint: String,
    /// Caller role.
    pub role: String,
    /// How the caller relates to the data.
    pub relation: String,
    /// In the old run (`null`: not planned there).
    pub old: Option<State>,
    /// In the new run (`null`: not planned there).
    pub new: Option<State>,
}

/// A finding that is new in the new run, or absent from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingChange {
    /// `new` or `absent`.
    pub state: BaselineState,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Its evidence.
    pub evidence: Evidence,
    /// Its tier.
    pub tier: Tier,
    /// Its missing check, in words.
    pub check: String,
}

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// Its report file.
    pub file: String,
    /// The version that wrote it.
    pub cloison_version: String,
    /// Its seed.
    pub seed: u64,
    /// Its case files.
    pub cases: u64,
}

/// The diff of two runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The old run.
    pub old: Side,
    /// The new run.
    pub new: Side,
    /// The cells that changed, widened first, then by endpoint and caller.
    pub cells: Vec<CellChange>,
    /// Cells in both runs, in the same state.
    pub unchanged_cells: usize,
    /// Findings new in the new run, then those absent from it.
    pub findings: Vec<FindingChange>,
    /// Findings in both.
    pub unchanged_findings: usize,
    /// Whether the diff fails (exit 1): a cell widened, or a finding is new.
    pub fails: bool,
}

/// Every cell of a matrix, by endpoint and caller.
fn squares(cells: &[CellCoverage]) -> BTreeMap<(String, String, String), State> {
    matrix::sections(cells)
        .into_iter()
        .flat_map(|s| s.rows)
        .flat_map(|row| {
            row.squares
                .into_iter()
                .map(move |sq| ((row.endpoint.clone(), sq.role, sq.relation), sq.state))
        })
        .collect()
}

fn side(prior: &Prior) -> Side {
    Side {
        file: prior.file.clone(),
        cloison_version: prior.cloison_version.clone(),
        seed: prior.seed,
        cases: prior.cases,
    }
}

/// The diff of two reports.
pub fn diff(old: &Prior, new: &Prior) -> Diff {
    let (before, after) = (squares(&old.cells), squares(&new.cells));
    let mut keys: Vec<&(String, String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut cells: Vec<CellChange> = Vec::new();
    let mut unchanged_cells = 0;
    for key in keys {
        let (o, n) = (before.get(key).copied(), after.get(key).copied());
        match change(o, n) {
            Some(change) => cells.push(CellChange {
                change,
                endpoint: key.0.clone(),
                role: key.1.clone(),
                relation: key.2.clone(),
                old: o,
                new: n,
            }),
            None => unchanged_cells += 1,
        }
    }
    cells.sort_by(|a, b| {
        (a.change, &a.endpoint, &a.role, &a.relation).cmp(&(
            b.change,
            &b.endpoint,
            &b.role,
            &b.relation,
        ))
    });
    // The findings of the new run against the old as a baseline (no acceptance, no clock).
    let mut groups = new.groups.clone();
    let compared = regress::compare(
        &mut groups,
        &new.cells,
        Some(old),
        &[],
        Date(0),
        FailOn::Suspicious,
    );
    let unchanged_findings = (groups.iter())
        .filter(|g| g.baseline == Some(BaselineState::Unchanged))
        .count();
    let mut findings: Vec<FindingChange> = (groups.iter())
        .filter(|g| g.baseline == Some(BaselineState::New))
        .map(|g| FindingChange {
            state: BaselineState::New,
            fingerprint: g.fingerprint.clone(),
            evidence: g.evidence,
            tier: g.tier,
            check: g.check(),
        })
        .collect();
    findings.extend(
        compared
            .absent
            .iter()
            .filter(|a| a.retested)
            .map(|a| FindingChange {
                state: BaselineState::Absent,
                fingerprint: a.fingerprint.clone(),
                evidence: a.evidence,
                tier: a.tier,
                check: match (&a.caller, &a.via) {
                    (Some(caller), _) => format!("{caller} got through"),
                    (None, Some(via)) => format!("{} through {via}", a.family),
                    (None, None) => format!("{} on {}", a.family, a.endpoint),
                },
            }),
    );
    let fails = cells.iter().any(|c| c.change == Change::Widened)
        || findings.iter().any(|f| f.state == BaselineState::New);
    Diff {
        old: side(old),
        new: side(new),
        cells,
        unchanged_cells,
        findings,
        unchanged_findings,
        fails,
    }
}

fn state_label(state: Option<State>) -> &'static str {
    state.map_or("-", State::label)
}

impl Diff {
    /// How many cells changed this way.
    pub fn count(&self, change: Change) -> usize {
        self.cells.iter().filter(|c| c.change == change).count()
    }

    /// The diff as text, for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let side = |s: &Side| {
            format!(
                "{} (cloison {}, seed {}, {} case files)",
                s.file, s.cloison_version, s.seed, s.cases
            )
        };
        let _ = writeln!(
            out,
            "cloison diff\n  old: {}\n  new: {}",
            side(&self.old),
            side(&self.new)
        );
        let _ = writeln!(
            out,
            "\naccess matrix (endpoint, caller: role on relation): {} cell(s) changed, {} unchanged",
            self.cells.len(),
            self.unchanged_cells
        );
        for cell in &self.cells {
            let _ = writeln!(
                out,
                "  {:<9}{}  {} on {}: {} -> {}",
                cell.change.label(),
                cell.endpoint,
                cell.role,
                cell.relation,
                state_label(cell.old),
                state_label(cell.new)
            );
        }
        let new = (self.findings.iter())
            .filter(|f| f.state == BaselineState::New)
            .count();
        let _ = writeln!(
            out,
            "\nfindings: {new} new, {} absent, {} unchanged",
            self.findings.len() - new,
            self.unchanged_findings
        );
        for finding in &self.findings {
            let _ = writeln!(
                out,
                "  {:<9}{} {} [{}]",
                finding.state.name(),
                finding.evidence.label(),
                finding.check,
                short(&finding.fingerprint)
            );
        }
        let widened = self.count(Change::Widened);
        let verdict = if self.fails {
            format!("FAIL: {widened} widened cell(s), {new} new finding(s) (exit 1)")
        } else {
            "OK: no cell widened, no new finding (exit 0)".to_string()
        };
        let _ = writeln!(out, "\n{verdict}");
        out
    }

    /// The diff as an HTML section (the page `cloison diff --html` writes around it).
    pub fn html_section(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<section id=\"diff\"><h2>Access matrix diff</h2>\n<p>old: {} &middot; new: {}</p>",
            escape(&self.old.file),
            escape(&self.new.file)
        );
        let _ = writeln!(
            out,
            "<table><thead><tr><th>change</th><th>endpoint</th><th>caller</th><th>old</th><th>new</th></tr></thead><tbody>"
        );
        for cell in &self.cells {
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td>{}</td><td><code>{}</code></td><td>{} on {}</td><td class=\"{}\">{}</td><td class=\"{}\">{}</td></tr>",
                cell.change.label().to_lowercase(),
                cell.change.label(),
                escape(&cell.endpoint),
                escape(&cell.role),
                escape(&cell.relation),
                cell.old.map_or("", State::class),
                state_label(cell.old),
                cell.new.map_or("", State::class),
                state_label(cell.new)
            );
        }
        let _ = writeln!(
            out,
            "</tbody></table>\n<p>{} cell(s) unchanged.</p>\n<h3>Findings</h3><ul>",
            self.unchanged_cells
        );
        for finding in &self.findings {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong> {} {} <code>{}</code></li>",
                finding.state.name(),
                finding.evidence.label(),
                escape(&finding.check),
                escape(&finding.fingerprint)
            );
        }
        let _ = writeln!(
            out,
            "</ul>\n<p>{} finding(s) unchanged. {}</p></section>",
            self.unchanged_findings,
            if self.fails {
                "<strong>Fails</strong>: a cell widened or a finding is new."
            } else {
                "Passes."
            }
        );
        out
    }

    /// A self-contained HTML page with the section.
    pub fn html_page(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cloison diff</title><style>{STYLE}</style></head><body>\n{}</body></html>\n",
            self.html_section()
        )
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}tr.widened{background:#fdd}tr.narrowed{background:#dfd}.leak{color:#b00;font-weight:bold}.suspicious{color:#a60}";

/// The first 12 digits of a fingerprint.
fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use cloison_suites::Family;

    use super::*;

    #[test]
    fn how_a_cell_changes() {
        use State::{Allowed, Leak, NotSent, Refused, Suspicious};
        let rows = [
            (
                Some(Refused),
                Some(Suspicious),
                Some(Change::Widened),
                "answered, no canary",
            ),
            (Some(Refused), Some(Leak), Some(Change::Widened), "leaked"),
            (
                Some(Suspicious),
                Some(Leak),
                Some(Change::Widened),
                "status to data",
            ),
            (Some(Leak), Some(Refused), Some(Change::Narrowed), "fixed"),
            (
                Some(Leak),
                Some(Suspicious),
                Some(Change::Narrowed),
                "no longer data",
            ),
            (Some(Refused), Some(Refused), None, "same"),
            (
                Some(NotSent),
                Some(Leak),
                Some(Change::Changed),
                "unknown before: not widened",
            ),
            (
                Some(Refused),
                Some(NotSent),
                Some(Change::Changed),
                "not sent is never refused",
            ),
            (
                Some(Allowed),
                Some(Refused),
                Some(Change::Changed),
                "the policy changed",
            ),
            (
                None,
                Some(Suspicious),
                Some(Change::Added),
                "a new endpoint",
            ),
            (Some(Refused), None, Some(Change::Removed), "gone"),
            (None, None, None, "nothing"),
        ];
        for (old, new, expected, why) in rows {
            assert_eq!(change(old, new), expected, "{why}");
        }
    }

    fn cell(endpoint: &str, role: &str, expect: &str, finding: Option<Evidence>) -> CellCoverage {
        CellCoverage {
            family: Family::FunctionLevel,
            endpoint: endpoint.into(),
            role: role.into(),
            relation: "same-tenant".into(),
            kind: "case".into(),
            via: None,
            expect: expect.into(),
            planned: 2,
            finding,
            sent: 2,
            not_sent: Vec::new(),
        }
    }

    fn prior(file: &str, cells: Vec<CellCoverage>) -> Prior {
        Prior {
            file: file.into(),
            cells,
            ..Prior::default()
        }
    }

    #[test]
    fn a_function_opened_to_a_role_is_widened_and_fails() {
        let old = prior(
            "old.json",
            vec![
                cell("functions.assign", "applicant", "refusal", None),
                cell("functions.assign", "agent", "visible", None),
            ],
        );
        let new = prior(
            "new.json",
            vec![
                cell(
                    "functions.assign",
                    "applicant",
                    "refusal",
                    Some(Evidence::Suspicious),
                ),
                cell("functions.assign", "agent", "visible", None),
            ],
        );
        let d = diff(&old, &new);
        assert!(d.fails);
        assert_eq!((d.cells.len(), d.unchanged_cells), (1, 1));
        assert_eq!(d.cells[0].change, Change::Widened);
        let text = d.text();
        assert!(
            text.contains(
                "WIDENED  functions.assign  applicant on same-tenant: denied -> suspicious"
            ),
            "{text}"
        );
        assert!(text.contains("exit 1"), "{text}");
        assert!(d.html_page().contains("<tr class=\"widened\">"));
        // The reverse narrows, and passes.
        let back = diff(&new, &old);
        assert!(!back.fails);
        assert_eq!(back.cells[0].change, Change::Narrowed);
        // Against itself: nothing.
        let same = diff(&old, &old);
        assert!(!same.fails && same.cells.is_empty());
        let json = serde_json::to_value(&d).expect("json");
        assert_eq!(json["cells"][0]["old"], "denied");
        assert_eq!(json["cells"][0]["new"], "suspicious");
    }
}
