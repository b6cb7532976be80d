//! The HTML evidence report: one self-contained file (inline CSS and script, no external asset, nothing
//! fetched), printable (a print stylesheet drops the buttons and keeps colours). It shows the verdict and
//! its reasons; the target, platform, profile digest, seed, cloison's version and the replay command; the
//! access matrix (endpoints grouped by the kind of record they serve, those that leaked first, each with
//! its callers, role on relation, coloured by what they got: it wraps, it is never wider than the page);
//! each finding (one per missing check) with the callers that got through, what leaked and whose data it
//! was, its minimal reproducer with a copy button, then the status-only warnings the same way; the coverage
//! per family and per endpoint; warnings, failures and timings.
//!
//! Every text goes through [`escape`]. Reproducers and excerpts come from the report, where credentials are
//! already redacted.

use std::fmt::Write as _;

use super::junit::outcome_name;
use crate::report::matrix::{self, State};
use crate::report::{Evidence, Group, Report, RootCause};

/// Escape text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --leak: #c62828; --susp: #ef8f00; --ok: #2e7d32; --allowed: #1565c0; --muted: #666; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1.5em; color: #1a1a1a; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { font-size: 1.25em; margin: 1.6em 0 .5em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.verdict { padding: .8em 1em; border-radius: 6px; color: #fff; font-weight: 600; font-size: 1.15em; }
.verdict.clean { background: var(--ok); } .verdict.findings, .verdict.target-failure { background: var(--leak); }
.verdict.inconclusive { background: var(--susp); } .verdict.interrupted { background: #37474f; }
table { border-collapse: collapse; margin: .4em 0; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.meta th { width: 12em; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: .6em; white-space: pre-wrap; word-break: break-all; margin: .3em 0; }
.matrix { width: 100%; } .matrix th.ep { width: 16em; font-weight: normal; word-break: break-all; }
.matrix span.c { display: inline-block; margin: .1em .15em; padding: 0 .4em; border-radius: 3px; font-size: 12px; white-space: nowrap; }
.leak { background: var(--leak); color: #fff; } .suspicious { background: var(--susp); color: #000; }
.refused { background: #c8e6c9; color: #1b5e20; } .unsent { background: #e0e0e0; color: #424242; font-style: italic; } .allowed { background: #bbdefb; color: #0d47a1; }
.none { background: #fafafa; color: #bbb; }
.legend span { display: inline-block; padding: .1em .6em; margin-right: .5em; border-radius: 3px; }
.cause { border: 1px solid #ddd; border-left: 6px solid var(--leak); padding: .4em 1em .8em; margin: 1em 0; border-radius: 4px; }
.cause.suspicious-cause { border-left-color: var(--susp); }
.muted { color: var(--muted); }
button.copy { font: inherit; font-size: 12px; padding: .2em .7em; cursor: pointer; }
@media print {
  button.copy { display: none; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .cause, table { page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

const SCRIPT: &str = r#"
(function () {
  function fallbackCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'absolute';
    area.style.left = '-9999px';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  function done(button, ok) {
    var label = button.textContent;
    button.textContent = ok ? 'copied' : 'select and copy by hand';
    setTimeout(function () { button.textContent = label; }, 1500);
  }
  var buttons = document.querySelectorAll('button.copy');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener('click', function (event) {
      var button = event.currentTarget;
      var source = document.getElementById(button.getAttribute('data-target'));
      if (!source) { return; }
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(button, true); },
          function () { done(button, fallbackCopy(text)); });
      } else {
        done(button, fallbackCopy(text));
      }
    });
  }
  document.documentElement.setAttribute('data-cloison-ready', '1');
})();
"#;

/// A block of code with a copy button.
fn copyable(out: &mut String, id: &str, text: &str) {
    let _ = write!(
        out,
        "<div><button class=\"copy\" type=\"button\" data-target=\"{id}\">copy</button>\
         <pre id=\"{id}\">{}</pre></div>",
        escape(text)
    );
}

/// The access matrix: per resource, its endpoints (those that leaked first), each with its callers as
/// coloured labels that wrap within the page.
fn matrix(out: &mut String, report: &Report) {
    let sections = matrix::sections(&report.coverage.cells);
    if sections.is_empty() {
        out.push_str("<p class=\"muted\">No cell was planned.</p>");
        return;
    }
    out.push_str(
        "<p class=\"legend\"><span class=\"leak\">LEAK: proven leak or tampering</span>\
         <span class=\"suspicious\">suspicious: status only</span>\
         <span class=\"unsent\">not sent: planned, but no probe was sent (the coverage says why)</span>\
         <span class=\"refused\">denied: the policy forbids it; nothing foreign came back</span>\
         <span class=\"allowed\">ok: the policy allows the call; nothing foreign came back</span></p>",
    );
    for section in &sections {
        let _ = write!(
            out,
            "<h3>{}</h3><table class=\"matrix\"><thead><tr><th>endpoint</th><th>callers (role on relation to the data)</th></tr></thead><tbody>",
            escape(&section.resource)
        );
        for row in &section.rows {
            let _ = write!(
                out,
                "<tr><th class=\"ep\"><code>{}</code></th><td>",
                escape(&row.endpoint)
            );
            for state in State::STRONGEST_FIRST {
                for square in row.in_state(state) {
                    let _ = write!(
                        out,
                        "<span class=\"c {}\" title=\"{} as {} on {}: {} probe(s) over {} cell(s), {} not sent\">{} on {}: {}</span>",
                        state.class(),
                        escape(&row.endpoint),
                        escape(&square.role),
                        escape(&square.relation),
                        square.probes,
                        square.cells,
                        square.unsent,
                        escape(&square.role),
                        escape(&square.relation),
                        state.label()
                    );
                }
            }
            out.push_str("</td></tr>");
        }
        out.push_str("</tbody></table>");
    }
}

/// The audit trail: the share of accesses logged per kind, operation and answer, the unlogged ones with
/// their request, and the values found in it.
fn audit_section(out: &mut String, audit: &crate::event::AuditCoverage) {
    let _ = write!(
        out,
        "<h3 id=\"audit\">Audit trail</h3><p>{} entries read ({}); {:.0} % of served accesses logged.{}</p>\
         <table><thead><tr><th>kind</th><th>operation</th><th>answer</th><th>accesses</th><th>logged</th></tr></thead><tbody>",
        audit.entries,
        escape(&audit.source),
        audit.logged_percent,
        audit
            .not_run
            .as_deref()
            .map(|w| format!(" Not read: {}", escape(w)))
            .unwrap_or_default()
    );
    for s in &audit.shares {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.kind),
            escape(&s.operation),
            if s.refused { "refused" } else { "served" },
            s.accesses,
            s.logged
        );
    }
    out.push_str("</tbody></table>");
    if !audit.unlogged.is_empty() {
        out.push_str("<p>Not in the trail:</p><ul>");
        for gap in &audit.unlogged {
            let _ = write!(
                out,
                "<li>{} {} of {} {}: <pre>{}</pre></li>",
                escape(&gap.actor),
                escape(&gap.operation),
                escape(&gap.kind),
                escape(&gap.record),
                escape(&gap.request)
            );
        }
        out.push_str("</ul>");
    }
    if !audit.data_found.is_empty() {
        out.push_str("<p>Special-category data in the trail:</p><ul>");
        for d in &audit.data_found {
            let _ = write!(
                out,
                "<li>entry {}: {} <code>{}</code></li>",
                d.entry,
                escape(&d.field),
                escape(&d.canary)
            );
        }
        out.push_str("</ul>");
    }
}

fn coverage(out: &mut String, report: &Report) {
    let c = &report.coverage;
    out.push_str("<h3>Families</h3><table><thead><tr><th>family</th><th>probes run</th><th>planned</th><th>cells</th><th>not sent (why)</th><th>skipped</th></tr></thead><tbody>");
    for f in &c.families {
        let why: Vec<String> = f
            .not_sent_reasons
            .iter()
            .map(|r| format!("{} in {} cell(s): {}", r.probes, r.cells, escape(&r.first)))
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
            escape(&f.family),
            f.probes,
            f.planned,
            f.cells,
            f.not_sent,
            if why.is_empty() {
                String::new()
            } else {
                format!(": {}", why.join("; "))
            },
            escape(f.skipped.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>");
    let _ = write!(
        out,
        "<p>Controls: {} of {} passed.</p>",
        c.controls_passed, c.controls_run
    );
    if let Some(audit) = &report.audit {
        audit_section(out, audit);
    }
    out.push_str(
        "<h3>Endpoints</h3><table><thead><tr><th>endpoint</th><th>probes</th></tr></thead><tbody>",
    );
    for (endpoint, probes) in &c.endpoints {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{probes}</td></tr>",
            escape(endpoint)
        );
    }
    for endpoint in &c.unused_endpoints {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=\"muted\">declared, never used</td></tr>",
            escape(endpoint)
        );
    }
    out.push_str("</tbody></table>");
    if let Some(operations) = &c.operations {
        let (reached, total, percent) = crate::openapi::coverage::share(operations);
        let _ = write!(
            out,
            "<h3 id=\"operations\">Operations of the OpenAPI document</h3><p>Probed: {reached} of {total} ({percent} %).</p>\
             <table><thead><tr><th>operation</th><th>described by</th><th>families that probed it</th></tr></thead><tbody>"
        );
        for operation in operations {
            let tried = if operation.tried.is_empty() {
                "<span class=\"muted\">none: not covered</span>".to_string()
            } else {
                escape(&operation.tried.join(", "))
            };
            let _ = write!(
                out,
                "<tr><td><code>{} {}</code></td><td>{}</td><td>{tried}</td></tr>",
                escape(&operation.method),
                escape(&operation.path),
                operation.described_by.as_deref().map_or_else(
                    || "<span class=\"muted\">generic</span>".to_string(),
                    |d| format!("<code>{}</code>", escape(d))
                )
            );
        }
        out.push_str("</tbody></table>");
    }
}

/// One finding: its missing check, the callers that got through with their instances, then the
/// reproducer of its chosen root cause.
fn group(out: &mut String, report: &Report, index: usize, group: &Group) {
    let class = if group.evidence == Evidence::Suspicious {
        "cause suspicious-cause"
    } else {
        "cause"
    };
    let _ = write!(
        out,
        "<section class=\"{class}\" id=\"finding-{}\"><h3>[{}] {} &mdash; {}{}</h3>\
         <p>{} caller(s) got through, {} instance(s):</p>\
         <table><thead><tr><th>endpoint</th><th>caller role</th><th>relation to the data</th><th>record kind</th><th>variation</th><th>evidence</th><th>instances</th></tr></thead><tbody>",
        index + 1,
        index + 1,
        escape(group.evidence.label()),
        escape(&group.check()),
        crate::report::regress::state_label(group)
            .map(|label| format!(" <span class=\"baseline\">[{}]</span>", escape(&label)))
            .unwrap_or_default(),
        group.cells.len(),
        group.instances,
    );
    for cell in &group.cells {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&cell.endpoint),
            escape(&cell.role),
            escape(&cell.relation),
            escape(&cell.kind),
            escape(cell.via.as_deref().unwrap_or("-")),
            escape(cell.evidence.label()),
            cell.instances
        );
    }
    out.push_str("</tbody></table>");
    if let Some(accepted) = &group.accepted {
        let _ = write!(
            out,
            "<p class=\"accepted\">Accepted risk: {} (owner {}, until {}).</p>",
            escape(&accepted.reason),
            escape(&accepted.owner),
            escape(&accepted.expires)
        );
    }
    let _ = write!(
        out,
        "<p class=\"muted\">Fingerprint <code>{}</code></p>",
        escape(&group.fingerprint)
    );
    if let Some(c) = report.root_causes.get(group.root_cause) {
        cause(out, index, c);
    }
    out.push_str("</section>");
}

/// The reproducer of a root cause: its cell, what it showed, whose data, what leaked, the request.
fn cause(out: &mut String, index: usize, cause: &RootCause) {
    let r = &cause.reproducer;
    let via = cause
        .via
        .as_deref()
        .map_or_else(String::new, |v| format!(" via {}", escape(v)));
    let _ = write!(
        out,
        "<h4>Reproducer: {} <code>{}</code> as {} on {} {}{via}</h4>",
        escape(cause.family.name()),
        escape(&cause.endpoint),
        escape(&cause.role),
        escape(&cause.relation),
        escape(&cause.kind),
    );
    let _ = write!(
        out,
        "<p>{}</p><table class=\"meta\"><tbody>\
         <tr><th>references</th><td>{} &middot; {}</td></tr>\
         <tr><th>instances</th><td>{}</td></tr>\
         <tr><th>first detection</th><td>after {} probe(s), {:.2} s into the probe phase</td></tr>\
         <tr><th>actor</th><td>{} ({}, tenant {})</td></tr>",
        escape(&r.explanation),
        escape(&cause.cwe.join(", ")),
        escape(&cause.owasp),
        cause.instances,
        cause.first_detection.probes,
        cause.first_detection.seconds,
        escape(&r.actor.identity),
        escape(&r.actor.role),
        escape(&r.actor.tenant),
    );
    if let Some(victim) = &r.victim {
        let _ = write!(
            out,
            "<tr><th>whose data</th><td>{} ({}, tenant {})</td></tr>",
            escape(&victim.identity),
            escape(&victim.role),
            escape(&victim.tenant)
        );
    }
    if let Some(record) = &r.record {
        let _ = write!(
            out,
            "<tr><th>record</th><td><code>{}</code></td></tr>",
            escape(record)
        );
    }
    let _ = write!(
        out,
        "<tr><th>response status</th><td>{}</td></tr>",
        r.status
    );
    out.push_str("</tbody></table>");
    if !r.leaked.is_empty() {
        out.push_str("<p>What leaked:</p><table><thead><tr><th>field</th><th>value (synthetic canary)</th><th>tenant</th><th>person</th><th>case file</th></tr></thead><tbody>");
        for hit in &r.leaked {
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(hit.field.name()),
                escape(&hit.canary),
                escape(&hit.owner.tenant),
                escape(hit.owner.person.as_deref().unwrap_or("-")),
                escape(hit.owner.case.as_deref().unwrap_or("-")),
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(request) = &r.request {
        let _ = write!(
            out,
            "<p>{} reproducer (credentials redacted):</p>",
            if cause.shrunk { "Minimal" } else { "First" }
        );
        copyable(out, &format!("repro-{}", index + 1), &request.curl);
    }
    if !r.excerpt.is_empty() {
        let _ = write!(
            out,
            "<details><summary>response excerpt</summary><pre>{}</pre></details>",
            escape(&r.excerpt)
        );
    }
}

/// The findings that fail the run, then the status-only warnings; each with its callers and reproducer.
fn findings(out: &mut String, report: &Report) {
    let failing: Vec<(usize, &Group)> = (report.groups.iter().enumerate())
        .filter(|(_, g)| g.fails)
        .collect();
    let warnings: Vec<(usize, &Group)> = (report.groups.iter().enumerate())
        .filter(|(_, g)| !g.fails && crate::report::regress::counts(g))
        .collect();
    let known: Vec<(usize, &Group)> = (report.groups.iter().enumerate())
        .filter(|(_, g)| !crate::report::regress::counts(g))
        .collect();
    let _ = write!(
        out,
        "<h2>Findings ({})</h2><p class=\"muted\">One per missing check (an endpoint, a caller everywhere, a trusted selector, or refusal answers), with every caller that got through; the {} root cause(s) and {} instance(s) they gather are in the JSON report.</p>",
        failing.len(),
        report.root_causes.len(),
        report.findings.len()
    );
    if failing.is_empty() {
        out.push_str("<p>None.</p>");
    }
    for (index, g) in failing {
        group(out, report, index, g);
    }
    if !warnings.is_empty() {
        let _ = write!(
            out,
            "<h2>Warnings: status-only findings ({})</h2><p class=\"muted\">A success where a refusal was expected, with no foreign data and no change read back. They do not fail the run unless it runs with <code>--fail-on suspicious</code>.</p>",
            warnings.len()
        );
        for (index, g) in warnings {
            group(out, report, index, g);
        }
    }
    if !known.is_empty() {
        let _ = write!(
            out,
            "<h2>Known findings ({})</h2><p class=\"muted\">Unchanged since the baseline, or accepted risks: they do not fail the run.</p>",
            known.len()
        );
        for (index, g) in known {
            group(out, report, index, g);
        }
    }
    baseline(out, report);
}

/// With `--baseline`: what was compared, and the baseline's findings this run does not show.
fn baseline(out: &mut String, report: &Report) {
    let Some(b) = &report.baseline else {
        return;
    };
    let _ = write!(
        out,
        "<h2 id=\"baseline\">Baseline</h2><p>Compared with <code>{}</code> (cloison {}, seed {}, {} case files): {} new, {} unchanged, {} absent, {} not re-tested (no probe sent in their cells).</p>",
        escape(&b.file),
        escape(&b.cloison_version),
        b.seed,
        b.cases,
        b.new,
        b.unchanged,
        b.absent,
        b.not_retested
    );
    if !report.absent.is_empty() {
        out.push_str("<table><thead><tr><th>absent since the baseline</th><th>re-tested</th><th>evidence</th><th>fingerprint</th></tr></thead><tbody>");
        for a in &report.absent {
            let _ = write!(
                out,
                "<tr><td>{} on <code>{}</code>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(a.family.name()),
                escape(&a.endpoint),
                a.caller
                    .as_ref()
                    .map(|c| format!(" ({})", escape(c)))
                    .unwrap_or_default(),
                if a.retested { "yes" } else { "no: not sent" },
                escape(a.evidence.label()),
                escape(&a.fingerprint)
            );
        }
        out.push_str("</tbody></table>");
    }
}

/// The run's identity: target, profile, seed, world, versions, and the replay command.
fn run_table(out: &mut String, report: &Report) {
    out.push_str("<h2>Run</h2><table class=\"meta\"><tbody>");
    for (name, value) in [
        ("target", report.target.clone()),
        ("deployment", report.deployment.clone()),
        ("platform", report.platform.clone()),
        ("profile", report.profile.clone()),
        ("profile SHA-256", report.profile_digest.clone()),
        ("seed", report.seed.to_string()),
        (
            "world",
            format!("{} tenants, {} case files", report.tenants, report.cases),
        ),
        ("cloison version", report.cloison_version.to_string()),
        ("report schema", report.schema_version.to_string()),
    ] {
        let _ = write!(
            out,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(name),
            escape(&value)
        );
    }
    out.push_str(
        "</tbody></table><p>Replay (same seed, same world, same probes, same verdict):</p>",
    );
    copyable(out, "replay", &report.replay);
}

/// Target failures, then warnings.
fn problems(out: &mut String, report: &Report) {
    if !report.warnings.is_empty() || !report.failures.is_empty() {
        out.push_str("<h2>Warnings and failures</h2><ul>");
        for failure in &report.failures {
            let _ = write!(
                out,
                "<li><strong>failure:</strong> {}</li>",
                escape(&failure.to_string())
            );
        }
        for warning in &report.warnings {
            let _ = write!(out, "<li>{}</li>", escape(warning));
        }
        out.push_str("</ul>");
    }
}

/// Counts and timings of the run.
fn timings(out: &mut String, report: &Report) {
    let s = &report.stats;
    let _ = write!(
        out,
        "<h2>Timings</h2><table><tbody>\
         <tr><th>identities</th><td>{}</td></tr>\
         <tr><th>records seeded</th><td>{} ({} objects in {:.2} s, {:.0}/s)</td></tr>\
         <tr><th>probes</th><td>{} in {:.2} s ({:.0}/s), of which {} controls and {} writes read back</td></tr>",
        s.identities,
        s.records_seeded,
        s.objects_created,
        s.seed_seconds,
        s.seed_rate,
        s.probes,
        s.probe_seconds,
        s.probe_rate,
        s.controls,
        s.writes
    );
    for (phase, seconds) in &s.phases {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{seconds:.2} s</td></tr>",
            escape(phase)
        );
    }
    out.push_str("</tbody></table>");
}

/// The report as one self-contained HTML document.
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let outcome = outcome_name(report.outcome);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\
         <title>cloison evidence report: {} ({})</title><style>{STYLE}</style></head><body>",
        escape(&report.platform),
        outcome
    );
    let _ = write!(
        out,
        "<h1>cloison evidence report</h1><p class=\"muted\">Authorization tests of {} on synthetic data: no identity may reach another's data.</p>\
         <div class=\"verdict {outcome}\" id=\"verdict\">{}</div>",
        escape(&report.platform),
        escape(&report.verdict())
    );
    if !report.reasons.is_empty() {
        out.push_str("<ul>");
        for reason in &report.reasons {
            let _ = write!(out, "<li>{}</li>", escape(&reason.to_string()));
        }
        out.push_str("</ul>");
    }
    run_table(&mut out, report);

    out.push_str("<h2>Access matrix</h2><p class=\"muted\">By resource, the endpoints where something got through first; for each endpoint, its callers (role on relation to the data), strongest signal first. Each label sums the cells (families, record kinds, variations) of that caller and endpoint; the strongest signal wins.</p>");
    matrix(&mut out, report);

    findings(&mut out, report);

    out.push_str("<h2>Coverage</h2>");
    coverage(&mut out, report);

    problems(&mut out, report);

    timings(&mut out, report);
    let _ = writeln!(
        out,
        "<p class=\"muted\">Generated by cloison {}. Every record is synthetic; credentials are redacted from every request shown.</p>\
         <script>{SCRIPT}</script></body></html>",
        escape(&report.cloison_version)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
