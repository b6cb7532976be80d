//! The coverage of a plan: per family, what was planned, or why it was skipped.

use crate::family::{Family, Need};

use super::FamilyPlan;
use super::builder::Builder;

/// What was planned for every family, in [`Family::ALL`] order.
pub(super) fn coverage(b: &Builder<'_>) -> Vec<FamilyPlan> {
    let mut coverage = Vec::new();
    for family in Family::ALL {
        let mut unmet: Vec<&str> = family
            .needs()
            .iter()
            .filter(|n| !b.need_met(**n))
            .map(|n| n.explain())
            .collect();
        // Without tenants, a world of a single tenant is not another reason: it follows.
        if !b.need_met(Need::Tenancy) {
            unmet.retain(|n| *n != Need::Tenants.explain());
        }
        let cells = b.cells.get(&family);
        let probes = cells.map_or(0, |c| c.values().map(Vec::len).sum());
        let skipped = if !unmet.is_empty() {
            Some(format!("not applicable: {}", unmet.join("; ")))
        } else if probes == 0 && !matches!(family, Family::Stateful | Family::AuditTrail) {
            // The stateful family's sequences are generated while it runs (`crate::stateful`); the audit
            // trail is read once everything else ran (`crate::audit`).
            Some(unplanned(family).to_string())
        } else {
            None
        };
        coverage.push(FamilyPlan {
            family,
            probes,
            cells: cells.map_or(0, |c| c.len()),
            skipped,
        });
    }
    coverage
}

/// Why a family whose needs are met has no probe.
fn unplanned(family: Family) -> &'static str {
    match family {
        Family::DirectRead | Family::DirectWrite => {
            "no identity is denied any record: the policy grants everything, or the world has a single identity"
        }
        Family::MassAssignment => "no identity owns a record it could update",
        _ => "no probe could be planned from this world and policy",
    }
}
