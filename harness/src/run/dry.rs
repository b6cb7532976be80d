//! `cloison run --dry-run` and the summary of `cloison profile check`: the plan of a run made offline (the
//! profile, a world, the suites' planner), and what it would do, printed for review before any request is
//! sent: the families that apply and those skipped with why, cells and probes per endpoint, and the writes
//! and deletes it would send.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cloison_generators::{GenConfig, LazyWorld};
use cloison_suites::{PlanConfig, Planned, Probe};
use serde_json::Value;

use crate::plan::Plan;
use crate::profile::{AccountSource, Profile};

/// A run's plan made without a target.
pub struct Offline {
    /// The world on the target, as planned.
    pub plan: Plan,
    /// Every probe, in execution order.
    pub planned: Planned,
}

/// The world of `config` for `profile` (a platform without tenants has one departement).
pub fn world_for(profile: &Profile, config: &GenConfig) -> Result<LazyWorld, String> {
    let mut config = config.clone();
    config.tenants = crate::plan::tenant_selection(&config.tenants, &profile.tenants)?;
    LazyWorld::new(&config).map_err(|e| format!("cannot generate the world: {e}"))
}

/// Plan a run of `profile` over `world`, without deploying or sending anything. `secrets` fill existing
/// accounts (their values are never printed).
pub fn plan_offline(
    profile: &Profile,
    secrets: &Value,
    world: LazyWorld,
    seed: u64,
    per_cell: Option<usize>,
) -> Result<Offline, crate::plan::PlanError> {
    let plan = Plan::new(world, profile, secrets)?;
    let planned = cloison_suites::plan(
        &plan.population,
        &profile.policy,
        &profile.surface(),
        PlanConfig {
            seed,
            per_cell: per_cell.or(profile.probing.per_cell).unwrap_or(3),
        },
    );
    Ok(Offline { plan, planned })
}

/// `METHOD path` of an endpoint key, as the profile writes it.
fn route(profile: &Profile, key: &str) -> String {
    profile
        .endpoint_by_key(key)
        .map_or_else(String::new, |e| format!("{} {}", e.method, e.path.text()))
}

/// The families of a plan: those that apply with their cells and probes, then those skipped and why.
pub fn families(planned: &Planned) -> String {
    let mut out = String::new();
    let (applied, skipped): (Vec<_>, Vec<_>) =
        planned.coverage.iter().partition(|f| f.skipped.is_none());
    let _ = writeln!(out, "families that apply ({}):", applied.len());
    for f in applied {
        let _ = writeln!(
            out,
            "  {:<28} {:>5} cells {:>6} probes",
            f.family.name(),
            f.cells,
            f.probes
        );
    }
    let _ = writeln!(out, "families skipped ({}):", skipped.len());
    for f in skipped {
        let _ = writeln!(
            out,
            "  {:<28} {}",
            f.family.name(),
            f.skipped.as_deref().unwrap_or_default()
        );
    }
    out
}

/// The whole dry-run plan, as printed.
pub fn describe(profile: &Profile, offline: &Offline) -> String {
    let (plan, planned) = (&offline.plan, &offline.planned);
    let mut out = String::from("dry run: nothing deployed, no request sent.\n\n");
    let made = plan.accounts.iter().filter(|a| a.provision).count();
    let how = match profile.accounts.source {
        AccountSource::Provision => "provisioned with the operator credential",
        AccountSource::Register => "signed up through [accounts.register]",
        AccountSource::Existing => "existing accounts, nothing created",
        AccountSource::None => "tenant credentials, nothing created",
    };
    let cases = plan.world.case_count();
    let documents: usize = if profile
        .create(cloison_suites::RecordKind::Document)
        .is_some()
    {
        plan.world.each_case().map(|c| c.documents.len()).sum()
    } else {
        0
    };
    let _ = writeln!(
        out,
        "setup: {} identities ({made} {how}), {} tenants, {cases} case files and {documents} documents written through the profile's creates",
        plan.accounts.len(),
        plan.world.tenants.len(),
    );
    let _ = writeln!(
        out,
        "controls: {} (identities reading their own records, before and after the probes)\n",
        planned.controls.len()
    );
    out.push_str(&families(planned));
    out.push_str("\nprobes per endpoint (reads | changes):\n");
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for p in &planned.probes {
        per.entry(p.endpoint.as_str()).or_default().0 += 1;
    }
    let writes: Vec<&Probe> = planned
        .mutating
        .iter()
        .chain(&planned.last)
        .chain(&planned.accounts)
        .collect();
    for p in &writes {
        per.entry(p.endpoint.as_str()).or_default().1 += 1;
    }
    for (endpoint, (reads, changes)) in &per {
        let _ = writeln!(
            out,
            "  {endpoint:<40} {reads:>5} | {changes:<5} {}",
            route(profile, endpoint)
        );
    }
    let deletes = writes
        .iter()
        .filter(|p| route(profile, &p.endpoint).starts_with("DELETE"))
        .count();
    let _ = writeln!(
        out,
        "\nwrites it would send: {} probes that change data ({deletes} deletes), aimed at {} case files set aside:",
        writes.len(),
        planned.pool.len()
    );
    let mut by_endpoint: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for p in &writes {
        *by_endpoint
            .entry((p.endpoint.as_str(), p.family.name()))
            .or_default() += 1;
    }
    for ((endpoint, family), n) in by_endpoint {
        let _ = writeln!(
            out,
            "  {n:>5} x {endpoint} ({family}) {}",
            route(profile, endpoint)
        );
    }
    let _ = writeln!(
        out,
        "\nin all: {} probes; operations of an OpenAPI document the profile does not describe are planned once the target serves it.",
        planned.controls.len() + planned.probes.len() + writes.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference portal's plan: families that apply, the deletes it would send, nothing deployed.
    #[test]
    fn the_portal_plan_lists_families_probes_and_deletes() {
        let profile = Profile::reference_portal().expect("loads");
        let config = GenConfig {
            cases: 8,
            tenants: cloison_generators::TenantSelection::Count(2),
            ..GenConfig::default()
        };
        let world = world_for(&profile, &config).expect("a world");
        let offline = plan_offline(&profile, &Value::Null, world, 1, None).expect("plans");
        let text = describe(&profile, &offline);
        assert!(text.contains("families that apply"), "{text}");
        assert!(text.contains("direct-read"), "{text}");
        assert!(text.contains("deletes)"), "{text}");
        assert!(text.contains("DELETE /"), "{text}");
    }
}
