//! The scorecard of a tool on the corpus: one row per case, per family and overall, true and false
//! positives and negatives against the ground truth, true- and false-positive rates and their difference
//! (the OWASP Benchmark's score), probes and seconds to detection. As a terminal table, JSON
//! (docs/bench-scorecard.schema.json) and HTML ([`super::html`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cloison_suites::score::{CaseScore, Counts};
use serde::Serialize;

use super::cases::Case;

/// How one case scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// Case name (`serrure/flawed`).
    pub case: String,
    /// What it holds.
    pub summary: String,
    /// Whether its platform isolates correctly (a fixed twin, a hardened seed).
    pub isolates: bool,
    /// Vulnerable expectations of its ground truth.
    pub vulnerable: usize,
    /// Safe expectations of its ground truth.
    pub safe: usize,
    /// Against the ground truth.
    pub tp: usize,
    /// Against the ground truth.
    pub fp: usize,
    /// Against the ground truth.
    pub r#fn: usize,
    /// Against the ground truth.
    pub tn: usize,
    /// What the tool reported (root causes, or SARIF results).
    pub detections: usize,
    /// Of those, the distinct ones that matched no expectation.
    pub unmatched: usize,
    /// The fewest probes to a true positive, or `null`.
    pub probes_to_detection: Option<usize>,
    /// The fewest seconds to a true positive, or `null`.
    pub seconds_to_detection: Option<f64>,
    /// The run's outcome (`clean`, `findings`...), or `null` for another tool's results.
    pub outcome: Option<String>,
    /// The run's exit code, or `null`.
    pub exit: Option<u8>,
    /// Wall-clock seconds of the run, or `null`.
    pub seconds: Option<f64>,
    /// Per family.
    #[serde(skip)]
    pub families: BTreeMap<String, Counts>,
}

impl CaseResult {
    /// A case's score, without a run's facts.
    pub fn new(case: &Case, score: &CaseScore, detections: usize) -> Self {
        Self {
            case: case.name.clone(),
            summary: case.summary.clone(),
            isolates: case.truth.isolates,
            vulnerable: case.truth.vulnerable.len(),
            safe: case.truth.safe.len(),
            tp: score.counts.tp,
            fp: score.counts.fp,
            r#fn: score.counts.r#fn,
            tn: score.counts.tn,
            detections,
            unmatched: score.unmatched,
            probes_to_detection: score.probes_to_detection,
            seconds_to_detection: score.seconds_to_detection,
            outcome: None,
            exit: None,
            seconds: None,
            families: score.families.clone(),
        }
    }

    fn counts(&self) -> Counts {
        Counts {
            tp: self.tp,
            fp: self.fp,
            r#fn: self.r#fn,
            tn: self.tn,
        }
    }
}

/// Counts and rates of a family, or of the whole corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    /// Family name (`any`: an expectation that names none, as the portal's), absent overall.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub r#fn: usize,
    /// True negatives.
    pub tn: usize,
    /// TP / (TP + FN), 0 without vulnerable units.
    pub tpr: f64,
    /// FP / (FP + TN), 0 without safe units.
    pub fpr: f64,
    /// TPR minus FPR (the OWASP Benchmark's score).
    pub score: f64,
}

impl Rates {
    fn of(family: Option<String>, c: Counts) -> Self {
        Self {
            family,
            tp: c.tp,
            fp: c.fp,
            r#fn: c.r#fn,
            tn: c.tn,
            tpr: c.tpr().unwrap_or(0.0),
            fpr: c.fpr().unwrap_or(0.0),
            score: c.score(),
        }
    }
}

/// A tool's scorecard on (part of) the corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// The tool scored (`cloison 0.1.0`, or the SARIF's driver).
    pub tool: String,
    /// One per case, in corpus order.
    pub cases: Vec<CaseResult>,
    /// Per family, in name order.
    pub families: Vec<Rates>,
    /// Over every case.
    pub overall: Rates,
    /// Wall-clock seconds of the whole bench, or `null`.
    pub seconds: Option<f64>,
}

impl Scorecard {
    /// The scorecard of `cases`.
    pub fn new(tool: String, cases: Vec<CaseResult>, seconds: Option<f64>) -> Self {
        let mut families: BTreeMap<String, Counts> = BTreeMap::new();
        let mut overall = Counts::default();
        for case in &cases {
            overall.add(case.counts());
            for (family, counts) in &case.families {
                families.entry(family.clone()).or_default().add(*counts);
            }
        }
        Self {
            tool,
            families: (families.into_iter())
                .map(|(f, c)| Rates::of(Some(f), c))
                .collect(),
            overall: Rates::of(None, overall),
            cases,
            seconds,
        }
    }

    /// Every vulnerable unit found and no false positive.
    pub fn perfect(&self) -> bool {
        self.overall.r#fn == 0 && self.overall.fp == 0
    }

    /// The terminal table: the cases, the families, the total.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} on the isolation corpus: {} case(s)",
            self.tool,
            self.cases.len()
        );
        let header = [
            "case", "TP", "FP", "FN", "TN", "found", "probes", "seconds", "run s", "note",
        ];
        let rows: Vec<Vec<String>> = self.cases.iter().map(case_row).collect();
        write_table(&mut out, &header, &rows, &[1, 2, 3, 4, 5, 6, 7, 8]);
        let _ = writeln!(out, "\nper family:");
        let header = ["family", "TP", "FP", "FN", "TN", "TPR", "FPR", "score"];
        let rows: Vec<Vec<String>> = (self.families.iter().chain([&self.overall]))
            .map(rates_row)
            .collect();
        write_table(&mut out, &header, &rows, &[1, 2, 3, 4, 5, 6, 7]);
        let _ = writeln!(
            out,
            "  TPR = TP/(TP+FN), FPR = FP/(FP+TN), score = TPR - FPR (the OWASP Benchmark's);\n  \
             found: what the tool reported (distinct unmatched ones in brackets); probes, seconds: to the first \
             true positive"
        );
        let verdict = if self.perfect() { "PASS" } else { "FAIL" };
        let _ = write!(
            out,
            "\n{verdict}: TPR {:.2}, FPR {:.2}, score {:.2}",
            self.overall.tpr, self.overall.fpr, self.overall.score
        );
        if let Some(seconds) = self.seconds {
            let _ = write!(out, " ({seconds:.1} s)");
        }
        out.push('\n');
        out
    }
}

fn case_row(c: &CaseResult) -> Vec<String> {
    let dash = || "-".to_string();
    let mut note = Vec::new();
    if c.r#fn > 0 {
        note.push("MISSED".to_string());
    }
    if c.fp > 0 {
        note.push("FALSE POSITIVE".to_string());
    }
    if let (Some(outcome), false) = (&c.outcome, note.is_empty()) {
        note.push(format!(
            "(run {outcome}, exit {})",
            c.exit.unwrap_or_default()
        ));
    }
    vec![
        c.case.clone(),
        c.tp.to_string(),
        c.fp.to_string(),
        c.r#fn.to_string(),
        c.tn.to_string(),
        if c.unmatched > 0 {
            format!("{} ({})", c.detections, c.unmatched)
        } else {
            c.detections.to_string()
        },
        c.probes_to_detection.map_or_else(dash, |p| p.to_string()),
        (c.seconds_to_detection).map_or_else(dash, |s| format!("{s:.2}")),
        c.seconds.map_or_else(dash, |s| format!("{s:.2}")),
        note.join(" "),
    ]
}

fn rates_row(r: &Rates) -> Vec<String> {
    vec![
        r.family.clone().unwrap_or_else(|| "OVERALL".to_string()),
        r.tp.to_string(),
        r.fp.to_string(),
        r.r#fn.to_string(),
        r.tn.to_string(),
        format!("{:.2}", r.tpr),
        format!("{:.2}", r.fpr),
        format!("{:.2}", r.score),
    ]
}

/// A table: text columns left-aligned, the `numeric` ones right-aligned, the last one not padded.
fn write_table(out: &mut String, header: &[&str], rows: &[Vec<String>], numeric: &[usize]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        let mut text = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            text.push(' ');
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else if numeric.contains(&i) {
                let _ = write!(text, "{cell:>w$}", w = widths[i]);
            } else {
                let _ = write!(text, "{cell:<w$}", w = widths[i]);
            }
        }
        text.trim_end().to_string()
    };
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "{}", line(&header));
    for row in rows {
        let _ = writeln!(out, "{}", line(row));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::corpus::cases::{CaseTarget, PORTAL_SEED};
    use cloison_suites::score::{CaseTruth, Detection, Expectation, score};

    fn case(name: &str, truth: CaseTruth) -> Case {
        Case {
            name: name.into(),
            summary: format!("{name} summary"),
            target: CaseTarget::Portal {
                flaw: None,
                realistic: false,
                seed: PORTAL_SEED,
            },
            truth,
        }
    }

    pub(crate) fn sample() -> Scorecard {
        let flaw = Expectation {
            family: Some("direct-read".into()),
            endpoint: Some("note.read".into()),
            ..Expectation::default()
        };
        let flawed = case(
            "notes/flawed",
            CaseTruth {
                vulnerable: vec![flaw.clone()],
                ..CaseTruth::default()
            },
        );
        let fixed = case(
            "notes/fixed",
            CaseTruth {
                safe: vec![flaw],
                isolates: true,
                ..CaseTruth::default()
            },
        );
        let found = Detection {
            family: Some("direct-read".into()),
            endpoint: Some("note.read".into()),
            probes: Some(9),
            seconds: Some(0.25),
            ..Detection::default()
        };
        let stray = Detection {
            family: Some("stateful".into()),
            endpoint: Some("session.logout".into()),
            ..Detection::default()
        };
        let mut first = CaseResult::new(&flawed, &score(&flawed.truth, &[found]), 1);
        first.outcome = Some("findings".into());
        first.exit = Some(1);
        first.seconds = Some(1.5);
        let second = CaseResult::new(&fixed, &score(&fixed.truth, &[stray]), 1);
        Scorecard::new("cloison 0.1.0".into(), vec![first, second], Some(3.0))
    }

    #[test]
    fn the_scorecard_sums_cases_per_family_and_overall() {
        let card = sample();
        assert_eq!(card.overall.tp, 1);
        assert_eq!(card.overall.fp, 1, "the stray finding on the twin");
        assert_eq!(card.overall.tn, 1);
        assert_eq!((card.overall.tpr, card.overall.fpr), (1.0, 0.5));
        assert!(!card.perfect());
        let families: Vec<&str> = (card.families.iter())
            .filter_map(|f| f.family.as_deref())
            .collect();
        assert_eq!(families, ["direct-read", "stateful"]);
        insta::assert_snapshot!("scorecard", card.table());
        let json = serde_json::to_value(&card).expect("json");
        assert_eq!(json["overall"]["tpr"], 1.0);
        assert_eq!(json["cases"][0]["case"], "notes/flawed");
        assert_eq!(json["cases"][1]["outcome"], serde_json::Value::Null);
        assert!(json["overall"].get("family").is_none());
    }
}
