//! The judge phase of a run: from what the engine observed to the report (root causes, coverage, warnings)
//! and its outcome, decided by [`cloison_suites::outcome::classify`].

use std::collections::{BTreeMap, BTreeSet};

use cloison_suites::outcome::{
    Classification, Failure, FamilyFacts, GiveUp, RunFacts, SignedOutProbes, Skip, StopReason,
    classify,
};
use cloison_suites::{Family, UnsentKind, Verdict};

use super::RunArgs;
use super::phases::{Prepared, Probing};
use crate::engine::Outcome as Observed;
use crate::plan::Plan;
use crate::profile::Profile;
use crate::report::{self, Coverage, Describe, Party, Report};

/// A report with the run's identity and outcome, and nothing observed (the report of a run that did not
/// get to judging).
pub(super) fn report_of(
    args: &RunArgs,
    profile: &Profile,
    tenants: usize,
    classification: Classification,
) -> Report {
    Report {
        schema_version: report::SCHEMA_VERSION.into(),
        profile: profile_name(args),
        profile_digest: profile_digest(profile),
        cloison_version: env!("CARGO_PKG_VERSION").into(),
        shard: args.shard.map(|s| s.to_string()),
        target: args.target.to_string(),
        deployment: String::new(),
        platform: profile.name.clone(),
        seed: args.seed,
        run_tag: args.tag().get(),
        replay: args.replay_command(),
        tenants,
        cases: args.cases,
        outcome: classification.outcome,
        reasons: classification.reasons,
        stats: Default::default(),
        coverage: Default::default(),
        fail_on: args.fail_on,
        groups: Vec::new(),
        baseline: None,
        absent: Vec::new(),
        root_causes: Vec::new(),
        findings: Vec::new(),
        warnings: Vec::new(),
        failures: classification.failures,
        pace: None,
        audit: None,
    }
}

/// What the run's events show beyond findings.
#[derive(Default)]
struct Events {
    /// Failed controls, in order.
    failed_controls: Vec<Failure>,
    /// The stateful suite's refused reads the model allows, once per cell.
    stateful_refusals: Vec<String>,
    /// Probes answered as unauthenticated, per (endpoint, caller role).
    unauthenticated: BTreeMap<(String, String), usize>,
    /// Server errors (refused with an error included) per endpoint.
    server_errors: BTreeMap<String, usize>,
    /// What the first server error of each endpoint said (or that it said nothing), credentials redacted.
    server_causes: BTreeMap<String, String>,
    /// Server errors per family.
    family_errors: BTreeMap<&'static str, usize>,
}

fn events(observed: &Observed, secrets: &crate::redact::Secrets) -> Events {
    let mut out = Events::default();
    let mut stateful_cells = BTreeSet::new();
    for event in &observed.events {
        match &event.verdict {
            // The stateful suite's allowed reads that were refused: the target does not follow the model
            // where it should grant access; not a failure of the target, but nothing can be claimed.
            Verdict::ControlFailed(_) if event.probe.family == Family::Stateful => {
                // Once per cell: every later sequence meets the same refusal.
                let first = stateful_cells.insert(event.probe.cell.clone());
                if first {
                    out.stateful_refusals.push(event.explanation.clone());
                }
            }
            Verdict::ControlFailed(reason) => out.failed_controls.push(Failure::Control {
                actor: event.probe.actor.clone(),
                role: event.probe.cell.role.clone(),
                endpoint: event.probe.endpoint.clone(),
                reason: reason.clone(),
                curl: event.exchange.as_ref().map(|e| e.request.curl.clone()),
            }),
            Verdict::Unauthenticated => {
                let role = match &event.probe.actor {
                    Some(_) => event.probe.cell.role.clone(),
                    None => "anonymous".to_string(),
                };
                *out.unauthenticated
                    .entry((event.probe.endpoint.clone(), role))
                    .or_default() += 1;
            }
            Verdict::ServerError(_) | Verdict::RefusedWithError(_) => {
                *out.server_errors
                    .entry(event.probe.endpoint.clone())
                    .or_default() += 1;
                if let Some(ex) = event.exchange.as_ref().filter(|e| e.observed.status >= 500) {
                    out.server_causes
                        .entry(event.probe.endpoint.clone())
                        .or_insert_with(|| ex.failure_answer(200, secrets));
                }
            }
            _ => {}
        }
        if matches!(event.verdict, Verdict::ServerError(_)) {
            *out.family_errors
                .entry(event.probe.family.name())
                .or_default() += 1;
        }
    }
    out
}

/// The run's warnings: server errors, renewed sessions, decoding limits, unused endpoints.
fn warnings(observed: &Observed, events: &Events, unused: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    for (endpoint, count) in &events.server_errors {
        let first = events
            .server_causes
            .get(endpoint)
            .map(|cause| format!(" (the first said: {cause})"))
            .unwrap_or_default();
        warnings.push(format!(
            "{count} server error(s) on {endpoint} with no foreign data and, for writes, no change seen by the owner: reported, not counted as leaks{first}"
        ));
    }
    if observed.relogins > 0 {
        warnings.push(format!(
            "{} session(s) were not accepted during the run and were renewed by logging in again (sessions that expire are re-checked, never counted as refusals)",
            observed.relogins
        ));
    }
    if observed.decode_limited > 0 {
        warnings.push(format!(
            "{} response(s) were decoded only up to cloison's limits (size, nesting or archive members): they were scanned up to there, and canaries past that point were not looked for",
            observed.decode_limited
        ));
    }
    for key in unused {
        warnings.push(format!("{key} is declared but no probe used it"));
    }
    if let Some(leftovers) = &observed.leftovers {
        warnings.push(leftovers.clone());
    }
    warnings
}

/// Endpoints the profile declares that no probe and no setup step used (creates excepted).
fn unused_endpoints(profile: &Profile, observed: &Observed) -> Vec<String> {
    let mut used: BTreeSet<String> = observed.endpoints.keys().cloned().collect();
    used.extend(["health", "reset", "provisioning", "auth.login"].map(String::from));
    profile
        .endpoint_keys()
        .into_iter()
        .filter(|key| {
            !used.iter().any(|u| {
                key == u || key.starts_with(&format!("{u}.")) || key.starts_with(&format!("{u}["))
            })
        })
        .filter(|key| !key.ends_with(".create"))
        .collect()
}

/// The coverage block, and why each family did not run (typed, in the order of the block's families).
fn coverage(
    args: &RunArgs,
    probing: &Probing,
    observed: &Observed,
    unused: Vec<String>,
    controls_failed: usize,
) -> (Coverage, Vec<Option<Skip>>) {
    let planned = &probing.planned;
    let controls_run = observed.stats.controls;
    let mut skips = report::skips(
        &planned.coverage,
        &observed.executed,
        &observed.not_applicable,
    );
    let mut coverage = report::coverage(
        &planned.coverage,
        &observed.executed,
        &observed.not_applicable,
        observed.endpoints.clone(),
        unused,
        (controls_run.saturating_sub(controls_failed), controls_run),
    );
    coverage.cells = crate::reporters::cells(planned, &observed.events, &observed.cells);
    report::unsent::count(&mut coverage, &observed.not_sent, &observed.cells);
    coverage.stateful = observed.stateful.clone();
    coverage.unplanned = planned.unplanned.iter().map(Into::into).collect();
    if args.shard.is_some_and(|s| s.index != 1) {
        for (family, skip) in coverage.families.iter_mut().zip(&mut skips) {
            if family.family == Family::Stateful.name() && family.probes == 0 {
                *skip = Some(Skip::OtherShard);
                family.skipped = Some(Skip::OtherShard.to_string());
            }
        }
    }
    // Whether credentials are JWTs is known only once identities log in: a forged-credential family none
    // of whose probes was sent, for that reason, does not apply.
    for (family, skip) in coverage.families.iter_mut().zip(&mut skips) {
        if family.family == Family::ForgedCredential.name()
            && family.sent == 0
            && observed
                .not_sent
                .get(family.family.as_str())
                .is_some_and(|kinds| kinds.contains_key(&UnsentKind::CredentialNotJwt))
        {
            *skip = Some(Skip::CredentialsNotJwt);
            family.skipped = Some(Skip::CredentialsNotJwt.to_string());
        }
    }
    if let Some(doc) = &probing.openapi.document {
        coverage.operations = Some(crate::openapi::coverage::operations(
            doc,
            &probing.openapi.described,
            &probing.openapi.generic,
            &probing.openapi.withheld,
            &observed.tried,
        ));
    }
    (coverage, skips)
}

/// What stopped the probes early, in the order reports give it: the deadline, giving up, a signal.
fn stops(args: &RunArgs, observed: &Observed, interrupted: bool) -> Vec<StopReason> {
    let mut stops = Vec::new();
    if observed.past_deadline > 0 {
        stops.push(StopReason::Deadline {
            seconds: args.deadline,
            unsent: observed.past_deadline,
        });
    }
    if observed.abandoned > 0 {
        stops.push(StopReason::GaveUp {
            why: observed
                .gave_up
                .unwrap_or(GiveUp::FailuresInARow(crate::engine::GIVE_UP_AFTER)),
            unsent: observed.abandoned,
        });
    }
    if interrupted {
        stops.push(StopReason::Interrupted {
            unsent: observed.interrupted,
        });
    }
    stops
}

/// Judge a run: root causes, coverage, warnings, and the outcome with its reasons.
pub(super) fn judge(
    args: &RunArgs,
    prepared: &Prepared,
    probing: &Probing,
    observed: Observed,
    deployment: String,
    interrupted: bool,
) -> Report {
    let (plan, profile) = (&probing.plan, &prepared.profile);
    let describe = RunDescription {
        plan,
        secrets: &prepared.redact,
    };
    let (root_causes, findings) =
        report::root_causes(&observed.events, &observed.reproducers, &describe);
    let mut groups = report::group::group(&root_causes, args.fail_on);
    let events = events(&observed, describe.secrets);
    let unused = unused_endpoints(profile, &observed);
    let mut warnings = warnings(&observed, &events, &unused);
    let (coverage, skips) = coverage(
        args,
        probing,
        &observed,
        unused,
        events.failed_controls.len(),
    );
    warnings.extend(probing.openapi.warnings.iter().cloned());
    let regression = &prepared.regression;
    let compared = report::regress::compare(
        &mut groups,
        &coverage.cells,
        regression.prior.as_ref(),
        &regression.acceptances,
        regression.today,
        args.fail_on,
    );
    warnings.extend(compared.warnings);
    // Findings the baseline had, or an active acceptance covers, do not count toward the outcome.
    let counted: Vec<report::Group> = (groups.iter())
        .filter(|g| report::regress::counts(g))
        .cloned()
        .collect();
    let tally = report::group::tally(&counted);
    let stateful = &observed.stateful;
    let facts = RunFacts {
        root_causes: counted.len(),
        suspicious: tally.suspicious,
        fail_on: args.fail_on,
        failures: (observed.failures.iter().cloned().map(Failure::Target))
            .chain(events.failed_controls)
            .collect(),
        stateful_refusals: events.stateful_refusals,
        unauthenticated: (events.unauthenticated.into_iter())
            .map(|((endpoint, role), probes)| SignedOutProbes {
                endpoint,
                role,
                probes,
            })
            .collect(),
        stateful_stopped: stateful.stopped.clone(),
        transitions_refused: (stateful.refused.iter())
            .filter(|(kind, _)| !stateful.transitions.contains_key(*kind))
            .map(|(kind, (count, status))| (kind.clone(), *count, status.clone()))
            .collect(),
        families: (coverage.families.iter().zip(skips))
            .map(|(family, skip)| FamilyFacts {
                family: family.family.clone(),
                planned: family.planned,
                probes: family.probes,
                skipped: skip,
                server_errors: events
                    .family_errors
                    .get(family.family.as_str())
                    .copied()
                    .unwrap_or(0),
                unsent: report::unsent::facts(&family.not_sent_reasons),
            })
            .collect(),
        controls_run: observed.stats.controls,
        stops: stops(args, &observed, interrupted),
    };
    Report {
        deployment,
        audit: observed.audit.clone(),
        stats: observed.stats,
        coverage,
        groups,
        baseline: compared.baseline,
        absent: compared.absent,
        root_causes,
        findings,
        warnings,
        ..report_of(args, profile, prepared.tenants, classify(&facts))
    }
}

/// The profile file of a run, as reports name it.
pub(super) fn profile_name(args: &RunArgs) -> String {
    args.profile.as_ref().map_or_else(
        || "fixtures/profiles/reference-portal.toml".to_string(),
        |p| p.display().to_string(),
    )
}

/// SHA-256 of the profile's text, as loaded for the run (the file is not read again).
pub(super) fn profile_digest(profile: &Profile) -> String {
    crate::reporters::sha256_hex(profile.text.as_bytes())
}

/// Parties and secrets of a run, for findings.
struct RunDescription<'a> {
    plan: &'a Plan,
    /// The run's credentials (the plan's passwords and tokens among them).
    secrets: &'a crate::redact::Secrets,
}

impl Describe for RunDescription<'_> {
    fn party(&self, key: &str) -> Option<Party> {
        self.plan.population.identity(key).map(|i| Party {
            identity: i.key.clone(),
            role: i.role.clone(),
            tenant: i.tenant.clone(),
        })
    }

    fn victim(&self, record: &str) -> Option<Party> {
        let record = self.plan.population.record(record)?;
        let steward = self.plan.population.steward_of(record)?;
        self.party(&steward.key)
    }

    fn secrets(&self) -> &dyn crate::redact::Hide {
        self.secrets
    }
}

/// The endpoints whose body the platform rejected as malformed for a caller the policy allows as for the
/// forbidden one (`Verdict::BodyRejected`): a usage error (exit 2) at each endpoint's line of the profile,
/// once per endpoint, with what the platform answered. `None` when there is none.
pub(super) fn bodies_rejected(
    profile: &Profile,
    observed: &Observed,
) -> Option<crate::exit::CliError> {
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for event in &observed.events {
        let Verdict::BodyRejected(reason) = &event.verdict else {
            continue;
        };
        if !seen.insert(event.probe.endpoint.as_str()) {
            continue;
        }
        let Some(endpoint) = profile.endpoint_by_key(&event.probe.endpoint) else {
            continue;
        };
        let said = (event.exchange.as_ref())
            .map(|ex| format!(" (it said: {})", ex.answer(200, &[] as &[&str])))
            .unwrap_or_default();
        errors.push(
            profile
                .error_at(
                    &endpoint.origin,
                    format!(
                        "`{}`: {reason}{said}; fix the request this line describes (a profile error found during the run, not a finding)",
                        event.probe.endpoint
                    ),
                )
                .to_string(),
        );
    }
    (!errors.is_empty()).then(|| crate::exit::CliError::Usage(errors.join("\n")))
}
