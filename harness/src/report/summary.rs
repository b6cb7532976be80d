//! The terminal summary of a report: what ran, the findings (root causes grouped by missing check) with
//! their callers and one reproducer each, the access matrix where something got through, warnings, the
//! verdict and its reasons.

use std::fmt::Write as _;

use super::group::{Group, callers, tally};
use super::{FamilyCoverage, Outcome, Paint, Report, RootCause, outcome_tone, unsent};

impl Report {
    /// The human summary: what ran, the findings and warnings, the access matrix where something got
    /// through, problems, the verdict and its reasons.
    pub fn summary(&self) -> String {
        self.summary_painted(&|_, text| text.to_string())
    }

    /// The summary, with the verdict line and the evidence labels painted by `paint`.
    pub fn summary_painted(&self, paint: Paint<'_>) -> String {
        let mut out = String::new();
        self.write_header(&mut out);
        self.write_coverage(&mut out);
        super::matrix::write_terminal(&mut out, &self.coverage.cells);
        let numbered: Vec<(usize, &Group)> = self.groups.iter().enumerate().collect();
        let (failing, rest): (Vec<_>, Vec<_>) = numbered.into_iter().partition(|(_, g)| g.fails);
        let (known, warnings): (Vec<_>, Vec<_>) = rest
            .into_iter()
            .partition(|(_, g)| !super::regress::counts(g));
        if !failing.is_empty() {
            let _ = writeln!(
                out,
                "\nfindings ({}; one per missing check, with the callers that got through):",
                failing.len()
            );
            for (i, group) in failing {
                self.write_group(&mut out, i, group, paint);
            }
        }
        if !warnings.is_empty() {
            let _ = writeln!(
                out,
                "\nwarnings, status-only ({}): a success where a refusal was expected, nothing proven\n  (no foreign data, no change read back); they fail the run only with --fail-on suspicious",
                warnings.len()
            );
            for (i, group) in warnings {
                self.write_group(&mut out, i, group, paint);
            }
        }
        if !known.is_empty() {
            let _ = writeln!(
                out,
                "\nknown findings ({}): unchanged since the baseline, or accepted risks; they do not fail the run",
                known.len()
            );
            for (i, group) in known {
                self.write_group(&mut out, i, group, paint);
            }
        }
        self.write_regression(&mut out);
        self.write_problems(&mut out);
        let verdict = self.verdict();
        let verdict = match outcome_tone(self.outcome) {
            Some(tone) => paint(tone, &verdict),
            None => verdict,
        };
        let _ = writeln!(out, "\n{verdict}");
        for reason in &self.reasons {
            let _ = writeln!(out, "  - {reason}");
        }
        if self.outcome != Outcome::Clean || self.groups.iter().any(|g| !g.fails) {
            let _ = writeln!(
                out,
                "seed {}, run tag {}; replay: {}",
                self.seed, self.run_tag, self.replay
            );
        }
        out
    }

    /// The status-only findings that do not fail the run (known ones aside).
    pub fn warning_findings(&self) -> usize {
        (self.groups.iter())
            .filter(|g| !g.fails && super::regress::counts(g))
            .count()
    }

    /// The findings that do not fail the run because the baseline had them or a risk is accepted.
    pub fn known_findings(&self) -> usize {
        (self.groups.iter())
            .filter(|g| !super::regress::counts(g))
            .count()
    }

    /// With `--baseline`: what was compared, and the baseline's findings this run does not show.
    fn write_regression(&self, out: &mut String) {
        let Some(baseline) = &self.baseline else {
            return;
        };
        let _ = writeln!(
            out,
            "\nbaseline {} (cloison {}, seed {}, {} case files): {} new, {} unchanged, {} absent, {} not re-tested",
            baseline.file,
            baseline.cloison_version,
            baseline.seed,
            baseline.cases,
            baseline.new,
            baseline.unchanged,
            baseline.absent,
            baseline.not_retested
        );
        for absent in &self.absent {
            let what = match (&absent.caller, &absent.via) {
                (Some(caller), _) => format!("{caller} got through"),
                (None, Some(via)) => format!("{} through {via}", absent.family),
                (None, None) => format!("{} on {}", absent.family, absent.endpoint),
            };
            let _ = writeln!(
                out,
                "  {}: {} {what} ({})",
                if absent.retested {
                    "absent"
                } else {
                    "not re-tested (no probe sent in its cells)"
                },
                absent.evidence.label(),
                absent.fingerprint.get(..12).unwrap_or(&absent.fingerprint)
            );
        }
    }

    /// `N finding(s) (M proven, K warning(s))`: every finding, by tier.
    pub fn findings_line(&self) -> String {
        let t = tally(&self.groups);
        let status = if self.warning_findings() > 0 || t.suspicious == 0 {
            format!("{} warning(s)", t.suspicious)
        } else {
            format!(
                "{} status-only, failing with --fail-on suspicious",
                t.suspicious
            )
        };
        format!(
            "{} finding(s) ({} proven, {status})",
            self.groups.len(),
            t.proven
        )
    }

    /// The verdict line.
    pub fn verdict(&self) -> String {
        let warnings = self.warning_findings();
        let noted = if warnings > 0 {
            format!("; {warnings} warning(s) (status-only) listed above")
        } else {
            String::new()
        };
        let known = self.known_findings();
        match self.outcome {
            Outcome::Clean if known > 0 => format!(
                "CLEAN OF NEW FINDINGS: {known} known finding(s) listed above (unchanged since the baseline, or accepted risks){noted}; every applicable family ran and every control passed"
            ),
            Outcome::Clean if warnings > 0 => format!(
                "CLEAN, {warnings} warning(s) (status-only): every applicable family ran, every control passed, and no foreign data reached anyone"
            ),
            Outcome::Clean => "CLEAN: every applicable family ran, every control passed, and no foreign data reached anyone".to_string(),
            Outcome::Findings => format!(
                "FINDINGS: {}; {} root cause(s), {} instance(s)",
                self.findings_line(),
                self.root_causes.len(),
                self.findings.len()
            ),
            Outcome::Inconclusive => {
                format!("INCONCLUSIVE: nothing proven was found, but the run cannot say clean{noted}")
            }
            Outcome::TargetFailure => format!(
                "TARGET FAILURE: the target did not answer properly; this run proves nothing clean{noted}"
            ),
            Outcome::Interrupted => {
                let sent: usize = self.coverage.families.iter().map(|f| f.sent).sum();
                let planned: usize = self.coverage.families.iter().map(|f| f.planned).sum();
                let found = if self.groups.is_empty() {
                    String::new()
                } else {
                    format!(" and found {} so far", self.findings_line())
                };
                format!(
                    "INTERRUPTED by a signal: {sent} of {planned} planned probes were sent{found}; the rest of the report is partial"
                )
            }
        }
    }

    /// What ran against what: the target, the world, the probes.
    fn write_header(&self, out: &mut String) {
        let s = &self.stats;
        let _ = writeln!(
            out,
            "cloison {} against {} ({})",
            self.cloison_version, self.platform, self.target
        );
        if !self.deployment.is_empty() {
            let _ = writeln!(out, "target: {}", self.deployment);
        }
        let _ = writeln!(
            out,
            "world: seed {}, {} tenants, {} case files; {} identities, {} records seeded ({} objects in {:.2} s, {:.0}/s)",
            self.seed,
            self.tenants,
            self.cases,
            s.identities,
            s.records_seeded,
            s.objects_created,
            s.seed_seconds,
            s.seed_rate
        );
        let _ = writeln!(
            out,
            "probes: {} in {:.2} s ({:.0}/s), of which {} controls and {} writes read back",
            s.probes, s.probe_seconds, s.probe_rate, s.controls, s.writes
        );
        if let Some(pace) = &self.pace {
            let _ = writeln!(out, "{}", pace.line());
        }
    }

    /// The coverage: each family, the controls, the OpenAPI operations.
    fn write_coverage(&self, out: &mut String) {
        let _ = writeln!(out, "\ncoverage:");
        for family in &self.coverage.families {
            self.write_family(out, family);
        }
        let _ = writeln!(
            out,
            "  controls: {} of {} passed; {} endpoints exercised",
            self.coverage.controls_passed,
            self.coverage.controls_run,
            self.coverage.endpoints.len()
        );
        if let Some(operations) = &self.coverage.operations {
            write_operations(out, operations);
        }
    }

    /// One family's coverage line (the stateful suite's with its transitions).
    fn write_family(&self, out: &mut String, family: &FamilyCoverage) {
        match &family.skipped {
            None if family.family == cloison_suites::Family::Stateful.name() => {
                let st = &self.coverage.stateful;
                let accepted: Vec<String> = st
                    .transitions
                    .iter()
                    .map(|(kind, n)| format!("{kind} {n}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {:<20} {:>5} checks over {} sequences; transitions: {}",
                    family.family,
                    family.probes,
                    st.sequences,
                    if accepted.is_empty() {
                        "none".to_string()
                    } else {
                        accepted.join(", ")
                    }
                );
                for (kind, why) in &st.skipped {
                    let _ = writeln!(out, "  {:<20} {kind} not exercised: {why}", "");
                }
            }
            None if family.family == cloison_suites::Family::AuditTrail.name()
                && let Some(audit) = &self.audit =>
            {
                self.write_audit(out, &family.family, audit);
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {:<20} {:>5} probes over {} cells",
                    family.family, family.probes, family.cells
                );
                unsent::write_family(out, family);
            }
            Some(reason) => {
                let _ = writeln!(out, "  {:<20} skipped: {reason}", family.family);
            }
        }
    }

    /// The audit trail's line: accesses checked, the share logged, the gaps and the values found.
    fn write_audit(&self, out: &mut String, name: &str, audit: &crate::event::AuditCoverage) {
        let checked: usize = audit.shares.iter().map(|s| s.accesses).sum();
        let _ = writeln!(
            out,
            "  {name:<20} {checked:>5} accesses checked against {} entries ({}): {:.0} % of served accesses logged",
            audit.entries, audit.source, audit.logged_percent
        );
        for share in audit.shares.iter().filter(|s| s.logged < s.accesses) {
            let _ = writeln!(
                out,
                "  {:<20} {} {} {}: {} of {} logged",
                "",
                share.kind,
                share.operation,
                if share.refused {
                    "refused (denied events)"
                } else {
                    "served"
                },
                share.logged,
                share.accesses
            );
        }
        if !audit.data_found.is_empty() {
            let mut fields: Vec<&str> = audit.data_found.iter().map(|d| d.field.as_str()).collect();
            fields.sort_unstable();
            fields.dedup();
            let _ = writeln!(
                out,
                "  {:<20} special-category data in the trail: {}",
                "",
                fields.join(", ")
            );
        }
    }

    /// Warnings and target failures (the first few of each).
    fn write_problems(&self, out: &mut String) {
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "\nwarnings ({}):", self.warnings.len());
            for warning in self.warnings.iter().take(8) {
                let _ = writeln!(out, "  {warning}");
            }
        }
        if !self.failures.is_empty() {
            let _ = writeln!(out, "\ntarget failures ({}):", self.failures.len());
            for failure in self.failures.iter().take(5) {
                let _ = writeln!(out, "  {failure}");
            }
        }
    }
}

/// The OpenAPI operations probed, and the first few not probed.
fn write_operations(out: &mut String, operations: &[crate::openapi::coverage::OperationCoverage]) {
    let (reached, total, percent) = crate::openapi::coverage::share(operations);
    let _ = writeln!(
        out,
        "  operations of the OpenAPI document probed: {reached} of {total} ({percent} %)"
    );
    let withheld = operations
        .iter()
        .filter(|o| o.tried.is_empty() && o.withheld.is_some())
        .count();
    if withheld > 0 {
        let _ = writeln!(
            out,
            "    never called on purpose: {withheld} (the profile's reset, setup and session calls, [probing] exclude, names that say they wipe data)"
        );
    }
    let missed: Vec<String> = operations
        .iter()
        .filter(|o| o.tried.is_empty() && o.withheld.is_none())
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    if !missed.is_empty() {
        let more = missed.len().saturating_sub(5);
        let _ = writeln!(
            out,
            "    not probed: {}{}",
            missed
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
}

impl Report {
    /// One finding: its missing check, the callers that got through (wrapped at 100 columns), then the
    /// reproducer of its chosen root cause.
    fn write_group(&self, out: &mut String, i: usize, group: &Group, paint: Paint<'_>) {
        let state = super::regress::state_label(group)
            .map(|label| format!(" [{label}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  [{}] {} {}: {} caller(s), {} instance(s){state}",
            i + 1,
            paint(group.evidence.tone(), group.evidence.label()),
            group.check(),
            group.cells.len(),
            group.instances,
        );
        if group.scope != super::group::Scope::Endpoint {
            super::matrix::wrap(out, "      endpoints: ", &group.endpoints);
        }
        super::matrix::wrap(out, "      got through: ", &callers(group));
        if let Some(cause) = self.root_causes.get(group.root_cause) {
            write_reproducer(out, cause);
        }
    }
}

/// A root cause's reproducer: who did what to whose data, what leaked, the sequence, the request.
fn write_reproducer(out: &mut String, cause: &RootCause) {
    let via = cause
        .via
        .as_deref()
        .map_or_else(String::new, |v| format!(" via {v}"));
    let _ = writeln!(
        out,
        "      reproducer: {} {} as {} on {} {}{via}, found after {} probes ({:.2} s)",
        cause.family,
        cause.endpoint,
        cause.role,
        cause.relation,
        cause.kind,
        cause.first_detection.probes,
        cause.first_detection.seconds
    );
    let r = &cause.reproducer;
    let victim = r.victim.as_ref().map_or_else(String::new, |v| {
        format!(" -> {} ({}, {})", v.identity, v.role, v.tenant)
    });
    // A stateful explanation ends with its sequence, shown step by step below.
    let explanation = if r.steps.is_empty() {
        r.explanation.as_str()
    } else {
        r.explanation
            .split(" Sequence: ")
            .next()
            .unwrap_or(&r.explanation)
    };
    let _ = writeln!(
        out,
        "      {} ({}, {}){}: {}",
        r.actor.identity, r.actor.role, r.actor.tenant, victim, explanation
    );
    for hit in r.leaked.iter().take(2) {
        let person = hit.owner.person.as_deref().unwrap_or("-");
        let _ = writeln!(
            out,
            "      leaked {} {:?} of person {} in tenant {}",
            hit.field, hit.canary, person, hit.owner.tenant
        );
    }
    if !r.steps.is_empty() {
        write_steps(out, cause);
    }
    if let Some(request) = &r.request {
        let _ = writeln!(
            out,
            "      reproduce{}: {}",
            if cause.shrunk { " (minimal)" } else { "" },
            request.curl
        );
    }
}

/// A stateful reproducer's sequence, step by step.
fn write_steps(out: &mut String, cause: &RootCause) {
    let _ = writeln!(
        out,
        "      sequence{} (the replay command below runs it again):",
        if cause.shrunk { " (shrunk)" } else { "" }
    );
    let mut n = 0;
    for step in &cause.reproducer.steps {
        let label = match step.phase.as_str() {
            "step" => {
                n += 1;
                format!("{n}.")
            }
            other => format!("{other}:"),
        };
        let status = step.status.map_or_else(String::new, |s| format!(" [{s}]"));
        let _ = writeln!(out, "        {label} {}{status}", step.step);
        if let Some(curl) = &step.curl {
            let _ = writeln!(out, "           {curl}");
        }
    }
}
