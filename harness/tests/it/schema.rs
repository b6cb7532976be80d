//! The JSON report validates against docs/report.schema.json whatever the run's outcome. Here: a run of the
//! embedded portal with each of its flaws alone (findings of every family those flaws reach, the stateful
//! suite's among them, whose cells are found while running). Interrupted, inconclusive and target-failure
//! runs are validated where they are made (`failing`, `bounded`), clean ones in `reports`.

use std::collections::BTreeSet;

use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::run::{RunArgs, execute};

/// Every flaw of the embedded portal, alone, at default flags: exit 1, and a report that validates, with
/// every cell that holds a finding planned at least once. Together they show a finding of at least eight
/// families, the stateful suite's included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_with_each_familys_finding_validates_against_the_schema() {
    let mut families = BTreeSet::new();
    for flaw in cloison_fixtures::Flaw::ALL {
        let args = RunArgs {
            flaws: vec![flaw.name().into()],
            ..RunArgs::default()
        };
        let result = execute(&args).await.expect("a run");
        let report = &result.report;
        assert_eq!(
            result.exit,
            EXIT_FINDINGS,
            "{}: {}",
            flaw.name(),
            report.summary()
        );
        let json = serde_json::to_value(report).expect("the report serialises");
        crate::reports::assert_valid(&json);
        for cell in &report.coverage.cells {
            assert!(
                cell.finding.is_none() || cell.planned > 0,
                "{}: a cell with a finding and nothing planned: {cell:?}",
                flaw.name()
            );
        }
        families.extend(report.root_causes.iter().map(|c| c.family.name()));
    }
    assert!(families.contains("stateful"), "{families:?}");
    assert!(families.len() >= 8, "{families:?}");
}
