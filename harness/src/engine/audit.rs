//! The audit-trail family's I/O: every probe's decisive request on a record is noted as it is answered
//! ([`Executor::note_access`]); after everything else the platform's trail is read (`[audit]`: a paginated
//! endpoint, or JSON lines from a file the platform writes), each entry's values taken at the profile's
//! pointers and each line scanned for canaries; `cloison_suites::audit` decides, and the findings and the
//! report's audit section go out as one [`Event::Audited`].

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use cloison_suites::audit::{self, Access, Entry, Gap, Operation, Reconciliation};
use cloison_suites::{Cell, Family, Hit, Op, Probe, Relation, Verdict};
use serde_json::{Value, json};

use super::executor::Executor;
use crate::event::{AuditCoverage, AuditData, AuditGap, AuditShare, Event, Judged};
use crate::http::{Exchange, Session};
use crate::profile::{Audit, TrailSource};

/// The most bytes a trail file is read to.
const MAX_TRAIL_BYTES: u64 = 256 * 1024 * 1024;
/// The most pages an endpoint is read to.
const MAX_PAGES: usize = 2_000;
/// The most gaps and values the report lists, and findings of each kind.
const LISTED: usize = 100;

/// A request on a record the run sent, and what came back.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    probe: Probe,
    refused: bool,
    exchange: Exchange,
    span: (f64, f64),
}

/// Seconds since the Unix epoch, now.
pub(super) fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The trail as read: its lines (JSON values), and the page each came with (endpoint sources).
struct Trail {
    source: String,
    /// Who read it (`operator`, an identity's key, `log`).
    reader: String,
    lines: Vec<(Value, Option<usize>)>,
    pages: Vec<Exchange>,
    unreadable: usize,
    /// Whether the whole trail was read: a trail cut at cloison's limits (pages, bytes) may lack the
    /// entries of this run, so what it lacks proves nothing.
    complete: bool,
}

/// How long to wait before reading the trail a second time, when the first read lacks entries: a platform
/// may write its trail a moment after it answers (a queue, a log shipper).
const SECOND_READ_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

impl Executor<'_> {
    /// Note a probe's decisive request, when the profile reads a trail: an identity's request on a record,
    /// in its own name (a forged credential, a borrowed URL, a neighbouring or missing identifier do not
    /// name the actor or the record as the trail would), served or refused. An answer that says the
    /// caller is not signed in, or that the request is malformed, names no access.
    pub(super) fn note_access(&self, probe: &Probe, answer: &Exchange, started: f64) {
        use cloison_suites::Variant;
        if self.profile.audit.is_none() || probe.actor.is_none() || probe.record.is_none() {
            return;
        }
        if !matches!(
            probe.variant,
            Variant::Plain | Variant::Selector { .. } | Variant::Assign { .. }
        ) {
            return;
        }
        let observed = &answer.observed;
        if matches!(observed.status, 400 | 401 | 422) {
            return;
        }
        let refusals = (self.profile.endpoint_by_key(&probe.endpoint))
            .and_then(|e| e.refusals.as_ref())
            .unwrap_or(&self.profile.refusals);
        let refused = refusals.is_refusal(observed) || (400..500).contains(&observed.status);
        if !refused && !observed.is_success() {
            return;
        }
        if let Ok(mut accesses) = self.accesses.lock() {
            accesses.push(Sent {
                probe: probe.clone(),
                refused,
                exchange: answer.kept(),
                span: (started, epoch_now()),
            });
        }
    }

    /// Read the trail, reconcile it with the accesses noted, and report.
    pub(super) async fn audit(&self) {
        let Some(audit) = &self.profile.audit else {
            return;
        };
        self.sink.event(&Event::Phase {
            name: "audit trail",
            steps: 1,
        });
        let mut judged = self
            .read_trail(audit)
            .await
            .map(|t| self.judge_trail(audit, &t));
        let untraced = |(_, findings): &(AuditCoverage, Vec<Judged>)| {
            findings
                .iter()
                .any(|f| matches!(f.verdict, Verdict::Untraced(_)))
        };
        if judged.as_ref().is_ok_and(untraced) {
            // Only what the trail still lacks a moment later is a gap.
            tokio::time::sleep(SECOND_READ_AFTER).await;
            judged = self
                .read_trail(audit)
                .await
                .map(|t| self.judge_trail(audit, &t));
        }
        let (coverage, findings) = match judged {
            Ok(judged) => judged,
            Err(why) => (
                AuditCoverage {
                    not_run: Some(why),
                    logged_percent: 0.0,
                    ..Default::default()
                },
                Vec::new(),
            ),
        };
        self.sink.event(&Event::Audited {
            coverage: &coverage,
            findings: &findings,
        });
        self.sink.event(&Event::PhaseEnd);
    }

    async fn read_trail(&self, audit: &Audit) -> Result<Trail, String> {
        match &audit.source {
            TrailSource::File(path) => {
                let text = crate::input::read_text_up_to(path, "audit trail", MAX_TRAIL_BYTES)
                    .map_err(|e| format!("the audit trail could not be read: {e}"))?;
                let (lines, unreadable) = json_lines(&text);
                Ok(Trail {
                    source: format!("file {}", path.display()),
                    reader: "log".into(),
                    lines: lines.into_iter().map(|v| (v, None)).collect(),
                    pages: Vec::new(),
                    unreadable,
                    complete: true,
                })
            }
            TrailSource::Logs => {
                let logs = self.options.app_logs.as_ref().ok_or(
                    "`[audit] logs = true` reads the application container's logs, and this target was not deployed from `[deploy]` by this run (`--target deploy` or `image:`)",
                )?;
                let text = logs.read(MAX_TRAIL_BYTES as usize).await?;
                let complete = text.len() <= MAX_TRAIL_BYTES as usize;
                let (lines, unreadable) = json_lines(&text);
                Ok(Trail {
                    source: "logs of the application container".into(),
                    reader: "log".into(),
                    lines: lines.into_iter().map(|v| (v, None)).collect(),
                    pages: Vec::new(),
                    unreadable,
                    complete,
                })
            }
            TrailSource::Endpoint {
                endpoint,
                role,
                items,
                page_size,
            } => {
                self.read_pages(endpoint, role.as_deref(), items.as_deref(), *page_size)
                    .await
            }
        }
    }

    /// The trail's endpoint, page after page, until a short page.
    async fn read_pages(
        &self,
        endpoint: &crate::profile::Endpoint,
        role: Option<&str>,
        items: Option<&str>,
        size: usize,
    ) -> Result<Trail, String> {
        let (session, who) = self.trail_session(role)?;
        let mut trail = Trail {
            source: format!("{} {} as {who}", endpoint.method, endpoint.path.text()),
            reader: role.map_or_else(|| "operator".to_string(), |_| who.clone()),
            lines: Vec::new(),
            pages: Vec::new(),
            unreadable: 0,
            // Until a short or empty page (or a repeated one) ends it.
            complete: false,
        };
        let mut previous_first: Option<Value> = None;
        for number in 0..MAX_PAGES {
            let mut ctx = json!({ "secrets": self.secrets });
            ctx["page"] = json!({ "offset": number * size, "number": number + 1, "size": size });
            let ex = session
                .send(&self.settings, endpoint, &ctx, None)
                .await
                .map_err(|e| format!("the audit trail could not be read: {e}"))?;
            if !ex.observed.is_success() {
                return Err(format!(
                    "the audit trail's endpoint answered {} to {who}: the trail was not read",
                    ex.observed.status
                ));
            }
            let page = ex
                .json()
                .ok_or("the audit trail's endpoint answered no JSON")?;
            let list = match items {
                Some(pointer) => page.pointer(pointer).cloned(),
                None => Some(page),
            };
            let Some(Value::Array(list)) = list else {
                return Err("the audit trail's page holds no list at `items`".into());
            };
            // An endpoint that ignores the page asks the same entries again: the end.
            if list.is_empty() || previous_first.as_ref() == list.first() {
                trail.complete = true;
                break;
            }
            previous_first = list.first().cloned();
            let short = list.len() < size;
            let page_index = trail.pages.len();
            trail.pages.push(ex.kept());
            trail
                .lines
                .extend(list.into_iter().map(|v| (v, Some(page_index))));
            if short {
                trail.complete = true;
                break;
            }
        }
        Ok(trail)
    }

    /// The session that reads the trail: the operator's, or the first identity of a role.
    fn trail_session(&self, role: Option<&str>) -> Result<(Session, String), String> {
        match role {
            None => {
                let provisioning = (self.profile.provisioning.as_ref())
                    .ok_or("`[audit]` reads as the operator, but the profile has no [provisioning] operator")?;
                let session = self
                    .operator_session(provisioning)
                    .map_err(|e| e.to_string())?;
                Ok((session, "the operator".into()))
            }
            Some(role) => {
                let key = (self.plan.accounts.iter())
                    .find(|a| a.role == role && self.has_session(&a.key))
                    .map(|a| a.key.clone())
                    .ok_or_else(|| {
                        format!("no identity of role {role} is logged in to read the audit trail")
                    })?;
                let session = self.session(&key).ok_or("no session")?;
                Ok((session, key))
            }
        }
    }

    /// The entries, the reconciliation, the data found, and the findings.
    fn judge_trail(&self, audit: &Audit, trail: &Trail) -> (AuditCoverage, Vec<Judged>) {
        let entries: Vec<Entry> = (trail.lines.iter()).map(|(v, _)| entry(audit, v)).collect();
        let sent = self.accesses.lock().map(|a| a.clone()).unwrap_or_default();
        let (accesses, origin) = self.accesses_of(&sent);
        let reconciled = audit::reconcile(&accesses, &entries, &audit.rules);
        let mut findings = self.gap_findings(&reconciled, &accesses, &origin, &sent, audit);
        if !trail.complete {
            // A trail read only in part may hold the entries it seems to lack: say less.
            for f in &mut findings {
                if let Verdict::Untraced(reason) = &f.verdict {
                    f.verdict = Verdict::Suspicious(format!(
                        "{reason}; but the trail was read only up to cloison's limits ({MAX_PAGES} pages, {} MiB), so the entry may lie beyond",
                        MAX_TRAIL_BYTES / (1024 * 1024)
                    ));
                }
            }
        }
        let (data, content) = self.content_findings(trail);
        findings.extend(content);
        (
            coverage(trail, &reconciled, &accesses, &origin, &sent, data),
            findings,
        )
    }

    /// The accesses to reconcile (reads and downloads, updates and deletes of a record), with the index of
    /// the request each came from.
    fn accesses_of(&self, sent: &[Sent]) -> (Vec<Access>, Vec<usize>) {
        let ops: BTreeMap<String, Op> = (self.profile.surface().endpoints.into_iter())
            .map(|e| (e.key, e.op))
            .collect();
        let mut accesses = Vec::new();
        let mut origin = Vec::new();
        for (i, s) in sent.iter().enumerate() {
            let operation = match ops.get(&s.probe.endpoint) {
                Some(Op::Read | Op::Download) => Operation::Read,
                Some(Op::Update) => Operation::Update,
                Some(Op::Delete) => Operation::Delete,
                _ => continue,
            };
            let (Some(actor), Some(record)) = (&s.probe.actor, &s.probe.record) else {
                continue;
            };
            let Some(id) = self.seeded.record_ids.get(record.as_str()) else {
                continue;
            };
            let mut actor_names = vec![actor.clone()];
            actor_names.extend(self.plan.account(actor).map(|a| a.login.clone()));
            actor_names.extend(self.account_id(actor).map(str::to_string));
            accesses.push(Access {
                actor: actor.clone(),
                actor_names,
                record: record.clone(),
                record_ids: vec![id.clone()],
                kind: s.probe.cell.kind,
                operation,
                relation: s.probe.cell.relation,
                refused: s.refused,
                span: s.span,
            });
            origin.push(i);
        }
        (accesses, origin)
    }

    fn gap_findings(
        &self,
        reconciled: &Reconciliation,
        accesses: &[Access],
        origin: &[usize],
        sent: &[Sent],
        audit: &Audit,
    ) -> Vec<Judged> {
        let mut out = Vec::new();
        for gap in &reconciled.gaps {
            let (Gap::Unlogged(i) | Gap::DeniedUnlogged(i)) = *gap;
            let (access, s) = (&accesses[i], &sent[origin[i]]);
            let who = self.who(&access.actor);
            let (via, verdict) = match gap {
                Gap::Unlogged(_) => (
                    format!("{} not in the trail", access.operation.name()),
                    Verdict::Untraced(format!(
                        "the platform served this {} of {} {} ({}), and its audit trail holds no entry naming the actor and the record within {} s",
                        access.operation.name(),
                        access.kind,
                        access.record,
                        access.relation,
                        audit.rules.window
                    )),
                ),
                Gap::DeniedUnlogged(_) => (
                    "refusal not in the trail".to_string(),
                    Verdict::Suspicious(format!(
                        "the platform refused this {} of {} {} ({}), and its audit trail holds no denied or security event of the actor within {} s (a recommendation: refused attempts should be traced)",
                        access.operation.name(),
                        access.kind,
                        access.record,
                        access.relation,
                        audit.rules.window
                    )),
                ),
            };
            let explanation = match &verdict {
                Verdict::Untraced(r) | Verdict::Suspicious(r) => format!("{who}: {r}"),
                _ => String::new(),
            };
            let probe = Probe {
                family: Family::AuditTrail,
                cell: Cell {
                    family: Family::AuditTrail,
                    via: Some(via),
                    ..s.probe.cell.clone()
                },
                ..s.probe.clone()
            };
            out.push(Judged {
                probe,
                verdict,
                exchange: Some(s.exchange.clone()),
                at: self.started.elapsed().as_secs_f64(),
                sequence: self
                    .counters
                    .sequence
                    .load(std::sync::atomic::Ordering::SeqCst)
                    .max(1),
                explanation,
                steps: Vec::new(),
            });
        }
        out
    }

    /// Special-category values in the trail: each entry that holds some is a proven finding.
    fn content_findings(&self, trail: &Trail) -> (Vec<AuditData>, Vec<Judged>) {
        let mut data = Vec::new();
        let mut findings = Vec::new();
        let reader = trail.reader.clone();
        for (n, (line, page)) in trail.lines.iter().enumerate() {
            let text = line.to_string();
            let hits: Vec<Hit> = (self.scanner.scan(text.as_bytes()).into_iter())
                .filter(|h| audit::is_health_data(h.field))
                .collect();
            if hits.is_empty() {
                continue;
            }
            for hit in &hits {
                if data.len() < LISTED {
                    data.push(AuditData {
                        field: hit.field.name().to_string(),
                        canary: hit.canary.clone(),
                        entry: n + 1,
                    });
                }
            }
            if findings.len() >= LISTED {
                continue;
            }
            let kinds: Vec<&str> = hits.iter().map(|h| h.field.name()).collect();
            let probe = Probe {
                family: Family::AuditTrail,
                actor: Some(reader.clone()),
                endpoint: "audit".into(),
                record: None,
                variant: cloison_suites::Variant::Plain,
                expect: cloison_suites::Expect::Refusal,
                cell: Cell {
                    family: Family::AuditTrail,
                    endpoint: "audit".into(),
                    role: reader.clone(),
                    relation: Relation::Collection,
                    kind: cloison_suites::RecordKind::Case,
                    via: Some("health data in the trail".into()),
                },
            };
            findings.push(Judged {
                probe,
                verdict: Verdict::Leak(hits.clone()),
                exchange: page.and_then(|p| trail.pages.get(p).cloned()),
                at: self.started.elapsed().as_secs_f64(),
                sequence: self.counters.sequence.load(std::sync::atomic::Ordering::SeqCst).max(1),
                explanation: format!(
                    "health data in logs: entry {} of the audit trail ({}) holds {} (special-category content; a trail should name records by pseudonymous identifiers): {}",
                    n + 1,
                    trail.source,
                    kinds.join(", "),
                    crate::input::capped(&text, 300)
                ),
                steps: Vec::new(),
            });
        }
        (data, findings)
    }
}

/// An entry's values at the profile's pointers.
fn entry(audit: &Audit, line: &Value) -> Entry {
    let text = |pointer: &Option<String>| -> Option<String> {
        match line.pointer(pointer.as_deref()?)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    Entry {
        actor: text(&Some(audit.actor.clone())),
        action: text(&audit.action),
        record: text(&Some(audit.record.clone())),
        time: (audit.time.as_deref())
            .and_then(|p| line.pointer(p))
            .and_then(audit::parse_time),
        outcome: text(&audit.outcome),
    }
}

/// The JSON objects of a text, one a line (the JSON part of a line that starts with something else, such
/// as a container's timestamp, is found at its first `{`), and how many lines held none.
pub(crate) fn json_lines(text: &str) -> (Vec<Value>, usize) {
    let mut lines = Vec::new();
    let mut unreadable = 0;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let value = line
            .find('{')
            .and_then(|start| serde_json::from_str::<Value>(&line[start..]).ok());
        match value {
            Some(v @ Value::Object(_)) => lines.push(v),
            _ => unreadable += 1,
        }
    }
    (lines, unreadable)
}

/// The report's audit section.
fn coverage(
    trail: &Trail,
    reconciled: &Reconciliation,
    accesses: &[Access],
    origin: &[usize],
    sent: &[Sent],
    data_found: Vec<AuditData>,
) -> AuditCoverage {
    let (served, logged) = (reconciled.shares.iter())
        .filter(|s| !s.refused)
        .fold((0, 0), |(a, l), s| (a + s.accesses, l + s.logged));
    AuditCoverage {
        source: trail.source.clone(),
        entries: trail.lines.len(),
        unreadable: trail.unreadable,
        shares: (reconciled.shares.iter())
            .map(|s| AuditShare {
                kind: s.kind.name().to_string(),
                operation: s.operation.name().to_string(),
                refused: s.refused,
                accesses: s.accesses,
                logged: s.logged,
            })
            .collect(),
        logged_percent: if served == 0 {
            100.0
        } else {
            100.0 * logged as f64 / served as f64
        },
        unlogged: (reconciled.gaps.iter().take(LISTED))
            .map(|gap| {
                let (Gap::Unlogged(i) | Gap::DeniedUnlogged(i)) = *gap;
                let access = &accesses[i];
                AuditGap {
                    actor: access.actor.clone(),
                    record: access.record.clone(),
                    kind: access.kind.name().to_string(),
                    operation: access.operation.name().to_string(),
                    refused: access.refused,
                    request: sent[origin[i]].exchange.request.curl.clone(),
                }
            })
            .collect(),
        data_found,
        not_run: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_skip_what_is_not_an_object_and_find_it_after_a_prefix() {
        let text = "{\"a\":1}\n\nplain text\n2026-12-07T15:00:00Z {\"b\":2}\n[1,2]\n";
        let (lines, unreadable) = json_lines(text);
        assert_eq!(lines, vec![json!({"a": 1}), json!({"b": 2})]);
        assert_eq!(unreadable, 2);
    }
}
