//! The access matrix as a reader scans it: endpoints grouped by the kind of record they serve, the ones
//! that leaked first, and for each endpoint the callers (role and relation to the data) by what they got.
//! The terminal shows the endpoints where something got through (about 100 columns wide); the HTML report
//! every endpoint, in the same order, its callers wrapping inside their column.
//!
//! Pure: the report's cells in, sections out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{CellCoverage, Evidence};

/// What a caller got from an endpoint: the strongest state of its cells, from the weakest signal to the
/// strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum State {
    /// The policy allows the call; nothing foreign came back.
    #[serde(rename = "allowed")]
    Allowed,
    /// The policy forbids it; nothing foreign came back.
    #[serde(rename = "denied")]
    Refused,
    /// Planned, and none of its probes was sent: never shown as refused.
    #[serde(rename = "not-sent")]
    NotSent,
    /// A status-only finding.
    #[serde(rename = "suspicious")]
    Suspicious,
    /// A proven leak or tampering.
    #[serde(rename = "leaked")]
    Leak,
}

impl State {
    /// The state of one cell.
    pub fn of(cell: &CellCoverage) -> State {
        match cell.finding {
            Some(Evidence::ProvenLeak | Evidence::ProvenTampering) => State::Leak,
            // An access the trail does not show: the access itself was allowed or refused as it was.
            Some(Evidence::ProvenUntraced) => State::Allowed,
            Some(Evidence::Suspicious) => State::Suspicious,
            None if cell.none_sent() => State::NotSent,
            None if matches!(cell.expect.as_str(), "visible" | "control") => State::Allowed,
            None => State::Refused,
        }
    }

    /// Its CSS class in the HTML report.
    pub fn class(self) -> &'static str {
        match self {
            State::Allowed => "allowed",
            State::Refused => "refused",
            State::NotSent => "unsent",
            State::Suspicious => "suspicious",
            State::Leak => "leak",
        }
    }

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            State::Allowed => "ok",
            State::Refused => "denied",
            State::NotSent => "not sent",
            State::Suspicious => "suspicious",
            State::Leak => "LEAK",
        }
    }

    /// Every state, the strongest first.
    pub const STRONGEST_FIRST: [State; 5] = [
        State::Leak,
        State::Suspicious,
        State::NotSent,
        State::Refused,
        State::Allowed,
    ];
}

/// One caller of an endpoint: every cell of that role and relation (families, kinds, variations) summed,
/// the strongest state winning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Square {
    /// Caller role.
    pub role: String,
    /// How the caller relates to the data.
    pub relation: String,
    /// The strongest state of its cells.
    pub state: State,
    /// Probes planned.
    pub probes: usize,
    /// Cells.
    pub cells: usize,
    /// Probes not sent.
    pub unsent: usize,
}

/// One endpoint and its callers, the strongest state first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Endpoint key.
    pub endpoint: String,
    /// Its strongest state.
    pub worst: State,
    /// Its callers.
    pub squares: Vec<Square>,
}

impl Row {
    /// The callers in one state.
    pub fn in_state(&self, state: State) -> impl Iterator<Item = &Square> {
        self.squares.iter().filter(move |s| s.state == state)
    }
}

/// The endpoints that serve one kind of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The record kind (the resource).
    pub resource: String,
    /// Its strongest state.
    pub worst: State,
    /// Its endpoints, those that leaked first.
    pub rows: Vec<Row>,
}

/// The matrix of a report's cells: sections by resource, rows by endpoint, each ordered by its strongest
/// state (leaks first), then by name. An endpoint belongs to the kind most of its cells are about.
pub fn sections(cells: &[CellCoverage]) -> Vec<Section> {
    let mut squares: BTreeMap<&str, BTreeMap<(&str, &str), Square>> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for cell in cells {
        *kinds
            .entry(cell.endpoint.as_str())
            .or_default()
            .entry(cell.kind.as_str())
            .or_default() += 1;
        let state = State::of(cell);
        let square = squares
            .entry(cell.endpoint.as_str())
            .or_default()
            .entry((cell.role.as_str(), cell.relation.as_str()))
            .or_insert_with(|| Square {
                role: cell.role.clone(),
                relation: cell.relation.clone(),
                state,
                probes: 0,
                cells: 0,
                unsent: 0,
            });
        square.state = square.state.max(state);
        square.probes += cell.planned;
        square.cells += 1;
        square.unsent += cell.unsent();
    }
    let mut by_resource: BTreeMap<&str, Vec<Row>> = BTreeMap::new();
    for (endpoint, callers) in squares {
        let resource = kinds
            .get(endpoint)
            .and_then(|k| {
                k.iter()
                    .max_by_key(|(name, n)| (**n, std::cmp::Reverse(**name)))
            })
            .map_or("", |(name, _)| *name);
        let mut squares: Vec<Square> = callers.into_values().collect();
        squares
            .sort_by(|a, b| (b.state, &a.role, &a.relation).cmp(&(a.state, &b.role, &b.relation)));
        let worst = squares
            .iter()
            .map(|s| s.state)
            .max()
            .unwrap_or(State::Allowed);
        by_resource.entry(resource).or_default().push(Row {
            endpoint: endpoint.to_string(),
            worst,
            squares,
        });
    }
    let mut sections: Vec<Section> = by_resource
        .into_iter()
        .map(|(resource, mut rows)| {
            rows.sort_by(|a, b| (b.worst, &a.endpoint).cmp(&(a.worst, &b.endpoint)));
            Section {
                resource: resource.to_string(),
                worst: rows.iter().map(|r| r.worst).max().unwrap_or(State::Allowed),
                rows,
            }
        })
        .collect();
    sections.sort_by(|a, b| (b.worst, &a.resource).cmp(&(a.worst, &b.resource)));
    sections
}

/// Terminal width the matrix fits in.
const WIDTH: usize = 100;

/// The terminal's matrix: each endpoint where something got through (leaks first), with its callers by
/// state, wrapped at 100 columns; then one line for the endpoints where nothing did.
pub fn write_terminal(out: &mut String, cells: &[CellCoverage]) {
    let sections = sections(cells);
    let through = |r: &Row| r.worst >= State::Suspicious;
    if !sections.iter().flat_map(|s| &s.rows).any(through) {
        return;
    }
    let _ = writeln!(
        out,
        "\naccess matrix (what got through, by resource and endpoint; caller: role on relation):"
    );
    let mut quiet = (0, 0, 0, 0);
    for section in &sections {
        let rows: Vec<&Row> = section.rows.iter().filter(|r| through(r)).collect();
        for row in &section.rows {
            if !through(row) {
                quiet.0 += 1;
            }
            for square in &row.squares {
                match square.state {
                    State::Refused => quiet.1 += 1,
                    State::Allowed => quiet.2 += 1,
                    State::NotSent => quiet.3 += 1,
                    _ => {}
                }
            }
        }
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {}:", section.resource);
        for row in rows {
            let _ = writeln!(out, "    {}", row.endpoint);
            for state in [State::Leak, State::Suspicious] {
                let callers: Vec<String> = row
                    .in_state(state)
                    .map(|s| format!("{} on {}", s.role, s.relation))
                    .collect();
                if !callers.is_empty() {
                    wrap(out, &format!("      {}: ", state.label()), &callers);
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "  elsewhere: {} endpoint(s) where nothing got through; callers denied {}, allowed {}, not sent {}",
        quiet.0, quiet.1, quiet.2, quiet.3
    );
}

/// `head` then `items` joined by commas, wrapped at [`WIDTH`] under the head's indentation.
pub(super) fn wrap(out: &mut String, head: &str, items: &[String]) {
    let indent = " ".repeat(head.len());
    let mut line = head.to_string();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if line.len() > head.len() && line.len() + 1 + piece.len() > WIDTH {
            let _ = writeln!(out, "{}", line.trim_end());
            line = indent.clone();
        } else if line.len() > head.len() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use cloison_suites::Family;

    use super::*;

    fn cell(
        endpoint: &str,
        kind: &str,
        role: &str,
        relation: &str,
        expect: &str,
        finding: Option<Evidence>,
    ) -> CellCoverage {
        CellCoverage {
            family: Family::DirectRead,
            endpoint: endpoint.into(),
            role: role.into(),
            relation: relation.into(),
            kind: kind.into(),
            via: None,
            expect: expect.into(),
            planned: 3,
            finding,
            sent: 3,
            not_sent: Vec::new(),
        }
    }

    #[test]
    fn leaks_come_first_grouped_by_resource_and_fit_the_width() {
        let cells = vec![
            cell(
                "resources.case.read",
                "case",
                "applicant",
                "own",
                "control",
                None,
            ),
            cell(
                "resources.case.read",
                "case",
                "applicant",
                "stranger",
                "refusal",
                None,
            ),
            cell(
                "resources.case.list",
                "case",
                "agent",
                "other-tenant",
                "refusal",
                Some(Evidence::Suspicious),
            ),
            cell(
                "resources.document.download",
                "document",
                "applicant",
                "stranger",
                "refusal",
                Some(Evidence::ProvenLeak),
            ),
            cell(
                "resources.document.download",
                "document",
                "applicant",
                "own",
                "control",
                None,
            ),
            cell(
                "resources.document.read",
                "document",
                "applicant",
                "stranger",
                "refusal",
                None,
            ),
        ];
        let sections = sections(&cells);
        let order: Vec<(&str, Vec<&str>)> = sections
            .iter()
            .map(|s| {
                (
                    s.resource.as_str(),
                    s.rows.iter().map(|r| r.endpoint.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            order,
            vec![
                (
                    "document",
                    vec!["resources.document.download", "resources.document.read"]
                ),
                ("case", vec!["resources.case.list", "resources.case.read"]),
            ]
        );
        // A leaking caller comes before the one allowed.
        assert_eq!(sections[0].rows[0].squares[0].state, State::Leak);
        let many: Vec<CellCoverage> = (0..40)
            .map(|i| {
                cell(
                    "resources.document.download",
                    "document",
                    &format!("role-number-{i}"),
                    "other-tenant",
                    "refusal",
                    Some(Evidence::ProvenLeak),
                )
            })
            .collect();
        let mut out = String::new();
        write_terminal(&mut out, &many);
        assert!(out.lines().all(|l| l.len() <= WIDTH), "{out}");
        assert!(out.contains("role-number-39 on other-tenant"), "{out}");
        // Nothing got through: no matrix in the terminal.
        let mut quiet = String::new();
        write_terminal(&mut quiet, &cells[..2]);
        assert!(quiet.is_empty(), "{quiet}");
    }
}
