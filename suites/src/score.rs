//! Scoring a tool against a benchmark case's ground truth, as the OWASP Benchmark scores static analysers:
//! each expectation of a case is a unit, vulnerable (it must be found) or safe (it must not be); a tool's
//! detections are matched onto them, and the counts give a true-positive rate, a false-positive rate and
//! their difference.
//!
//! Plain data in, counts out: no I/O, no knowledge of any platform. The harness turns cloison's root causes,
//! or another tool's SARIF results, into [`Detection`]s, and a case's ground truth into [`Expectation`]s.
//!
//! Matching ([`Expectation::matches`]): a field is compared only when both sides have it (a SARIF result
//! names no profile endpoint, cloison's root cause no URL template); at least one *location* (the endpoint,
//! or the method and the path) must be compared and agree, unless the expectation names no location at all
//! (a whole platform: any detection matches it). A path template's `{name}` segments match any segment.
//!
//! A case whose platform isolates correctly ([`CaseTruth::isolates`]: a fixed twin, a hardened seed) counts
//! every detection that matches none of its expectations as a false positive too (one per distinct
//! detection key): on such a platform, every finding is false.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The family under which an expectation or a detection that names none is counted.
pub const ANY_FAMILY: &str = "any";

/// One unit of ground truth: what must be found (`vulnerable`) or must not be.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Probe family (`direct-read`), or none: any family.
    #[serde(default)]
    pub family: Option<String>,
    /// Endpoint key of the case's profile (`case.read`), which names the operation.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// HTTP method of the operation (`PUT`), for tools that do not read the profile.
    #[serde(default)]
    pub method: Option<String>,
    /// Path template of the operation (`/members/{id}/password`).
    #[serde(default)]
    pub path: Option<String>,
    /// Caller role that gets through (`applicant`).
    #[serde(default)]
    pub role: Option<String>,
    /// How that caller relates to the data (`other-tenant`).
    #[serde(default)]
    pub relation: Option<String>,
}

/// One thing a tool reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Family (cloison's), or the rule of another tool when it names a family.
    pub family: Option<String>,
    /// Endpoint key of the profile.
    pub endpoint: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Concrete path or path template (a query string and an origin are ignored).
    pub path: Option<String>,
    /// Caller role.
    pub role: Option<String>,
    /// Relation of the caller to the data.
    pub relation: Option<String>,
    /// The tool's rule, as it named it.
    pub rule: Option<String>,
    /// Probes sent before it was found, when the tool says.
    pub probes: Option<usize>,
    /// Seconds before it was found, when the tool says.
    pub seconds: Option<f64>,
}

impl Detection {
    /// Its family, or [`ANY_FAMILY`].
    pub fn family_name(&self) -> &str {
        self.family.as_deref().unwrap_or(ANY_FAMILY)
    }

    /// What tells two detections apart for counting false positives.
    fn key(&self) -> String {
        let field = |v: &Option<String>| v.clone().unwrap_or_default();
        format!(
            "{}|{}|{}|{}|{}|{}",
            field(&self.family),
            field(&self.endpoint),
            field(&self.method).to_ascii_uppercase(),
            self.path.as_deref().map(path_only).unwrap_or_default(),
            field(&self.role),
            field(&self.relation)
        )
    }
}

/// The ground truth of one case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseTruth {
    /// What must be found.
    #[serde(default)]
    pub vulnerable: Vec<Expectation>,
    /// What must not be found.
    #[serde(default)]
    pub safe: Vec<Expectation>,
    /// Whether the platform isolates correctly: every unmatched detection is then a false positive.
    #[serde(default)]
    pub isolates: bool,
}

impl Expectation {
    /// Its family, or [`ANY_FAMILY`].
    pub fn family_name(&self) -> &str {
        self.family.as_deref().unwrap_or(ANY_FAMILY)
    }

    /// Whether it names where the flaw is (an endpoint, a method, a path).
    fn locates(&self) -> bool {
        self.endpoint.is_some() || self.method.is_some() || self.path.is_some()
    }

    /// Whether `detection` is a report of this expectation (see the module documentation).
    pub fn matches(&self, detection: &Detection) -> bool {
        let agree = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => true,
        };
        if !agree(&self.family, &detection.family)
            || !agree(&self.role, &detection.role)
            || !agree(&self.relation, &detection.relation)
            || !agree(&self.method, &detection.method)
        {
            return false;
        }
        if !self.locates() {
            return true;
        }
        let endpoint = match (&self.endpoint, &detection.endpoint) {
            (Some(a), Some(b)) => Some(a == b),
            _ => None,
        };
        let path = match (&self.path, &detection.path) {
            (Some(template), Some(path)) => Some(path_matches(template, path)),
            _ => None,
        };
        match (endpoint, path) {
            (Some(false), _) | (_, Some(false)) => false,
            (Some(true), _) | (_, Some(true)) => true,
            (None, None) => false,
        }
    }
}

/// The path of a URL or a path: its origin, query and fragment dropped.
fn path_only(text: &str) -> String {
    let rest = match text.find("://") {
        Some(i) => {
            let after = &text[i + 3..];
            after.find('/').map_or("/", |j| &after[j..])
        }
        None => text,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = rest[..end].trim_end_matches('/');
    if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    }
}

/// Whether `path` (a concrete path, a URL or a template) fits `template`, whose `{name}` segments match
/// any one segment.
pub fn path_matches(template: &str, path: &str) -> bool {
    let (template, path) = (path_only(template), path_only(path));
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            let wild = |s: &str| s.starts_with('{') && s.ends_with('}');
            wild(t) || wild(p) || t == p
        })
}

/// True and false positives and negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Vulnerable expectations found.
    pub tp: usize,
    /// Safe expectations reported, and detections on a platform that isolates that match nothing.
    pub fp: usize,
    /// Vulnerable expectations missed.
    pub r#fn: usize,
    /// Safe expectations not reported.
    pub tn: usize,
}

impl Counts {
    /// Add `other` to these.
    pub fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.r#fn += other.r#fn;
        self.tn += other.tn;
    }

    /// True-positive rate, TP / (TP + FN); `None` without vulnerable units.
    pub fn tpr(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.r#fn)
    }

    /// False-positive rate, FP / (FP + TN); `None` without safe units.
    pub fn fpr(&self) -> Option<f64> {
        ratio(self.fp, self.fp + self.tn)
    }

    /// The OWASP Benchmark's score: TPR minus FPR, each taken as 0 when it has no units.
    pub fn score(&self) -> f64 {
        self.tpr().unwrap_or(0.0) - self.fpr().unwrap_or(0.0)
    }
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// How one case scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseScore {
    /// Over the whole case.
    pub counts: Counts,
    /// Per family (of the expectation, or of an unmatched detection), in name order.
    pub families: BTreeMap<String, Counts>,
    /// For each vulnerable expectation, in order: whether it was found.
    pub found: Vec<bool>,
    /// For each safe expectation, in order: whether it was reported.
    pub reported: Vec<bool>,
    /// Detections that matched no expectation (distinct keys), false positives when the platform isolates.
    pub unmatched: usize,
    /// The fewest probes to a true positive, when the tool says.
    pub probes_to_detection: Option<usize>,
    /// The fewest seconds to a true positive, when the tool says.
    pub seconds_to_detection: Option<f64>,
}

/// Score `detections` against `truth`.
pub fn score(truth: &CaseTruth, detections: &[Detection]) -> CaseScore {
    let mut out = CaseScore::default();
    let mut matched = vec![false; detections.len()];
    let tally = |family: &str, counts: Counts, out: &mut CaseScore| {
        out.counts.add(counts);
        out.families
            .entry(family.to_string())
            .or_default()
            .add(counts);
    };
    for expectation in &truth.vulnerable {
        let mut found = false;
        for (i, detection) in detections.iter().enumerate() {
            if expectation.matches(detection) {
                found = true;
                matched[i] = true;
                out.probes_to_detection = min_some(out.probes_to_detection, detection.probes);
                out.seconds_to_detection = match (out.seconds_to_detection, detection.seconds) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        out.found.push(found);
        let counts = if found {
            Counts {
                tp: 1,
                ..Counts::default()
            }
        } else {
            Counts {
                r#fn: 1,
                ..Counts::default()
            }
        };
        tally(expectation.family_name(), counts, &mut out);
    }
    for expectation in &truth.safe {
        let mut reported = false;
        for (i, detection) in detections.iter().enumerate() {
            if expectation.matches(detection) {
                reported = true;
                matched[i] = true;
            }
        }
        out.reported.push(reported);
        let counts = if reported {
            Counts {
                fp: 1,
                ..Counts::default()
            }
        } else {
            Counts {
                tn: 1,
                ..Counts::default()
            }
        };
        tally(expectation.family_name(), counts, &mut out);
    }
    let mut unmatched: BTreeMap<String, &Detection> = BTreeMap::new();
    for (detection, _) in detections.iter().zip(&matched).filter(|(_, m)| !**m) {
        unmatched.entry(detection.key()).or_insert(detection);
    }
    out.unmatched = unmatched.len();
    if truth.isolates {
        for detection in unmatched.values() {
            let counts = Counts {
                fp: 1,
                ..Counts::default()
            };
            tally(detection.family_name(), counts, &mut out);
        }
    }
    out
}

fn min_some(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(family: &str, endpoint: &str, method: &str, path: &str) -> Expectation {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Expectation {
            family: some(family),
            endpoint: some(endpoint),
            method: some(method),
            path: some(path),
            ..Expectation::default()
        }
    }

    fn det(family: &str, endpoint: &str, method: &str, path: &str) -> Detection {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Detection {
            family: some(family),
            endpoint: some(endpoint),
            method: some(method),
            path: some(path),
            ..Detection::default()
        }
    }

    #[test]
    fn matching_compares_what_both_sides_name() {
        let truth = exp(
            "account-takeover",
            "accounts.password",
            "PUT",
            "/members/{id}/password",
        );
        let table = [
            // cloison: family and endpoint
            (det("account-takeover", "accounts.password", "", ""), true),
            (det("account-takeover", "case.read", "", ""), false),
            (det("direct-read", "accounts.password", "", ""), false),
            // another tool: method and path, concrete or as a URL, no family
            (det("", "", "PUT", "/members/7003/password"), true),
            (
                det(
                    "",
                    "",
                    "put",
                    "http://127.0.0.1:8080/members/7003/password?x=1",
                ),
                true,
            ),
            (det("", "", "GET", "/members/7003/password"), false),
            (det("", "", "PUT", "/members/7003"), false),
            // a family alone locates nothing
            (det("account-takeover", "", "", ""), false),
        ];
        for (detection, expected) in table {
            assert_eq!(truth.matches(&detection), expected, "{detection:?}");
        }
        // An expectation that names no location (a whole platform) matches any detection of its family.
        let whole = Expectation::default();
        assert!(whole.matches(&det("stateful", "", "", "")));
        assert!(path_matches("/a/{x}/b/", "/a/1/b"));
        assert!(!path_matches("/a/{x}", "/a/1/b"));
    }

    #[test]
    fn a_case_counts_hits_misses_and_false_alarms() {
        let flaw = exp("direct-read", "note.read", "GET", "/notes/{id}");
        let other = exp("foreign-create", "trace.create", "POST", "/traces");
        let safe = exp("direct-read", "file.read", "GET", "/files/{id}");
        let truth = CaseTruth {
            vulnerable: vec![flaw, other],
            safe: vec![safe],
            isolates: false,
        };
        let mut hit = det("", "", "GET", "/notes/4");
        hit.probes = Some(12);
        hit.seconds = Some(0.5);
        let detections = [
            hit,
            det("", "", "GET", "/files/9"),
            det("", "", "GET", "/x"),
        ];
        let s = score(&truth, &detections);
        assert_eq!(
            s.counts,
            Counts {
                tp: 1,
                fp: 1,
                r#fn: 1,
                tn: 0
            }
        );
        assert_eq!(s.found, [true, false]);
        assert_eq!(s.reported, [true]);
        assert_eq!(
            s.unmatched, 1,
            "/x matches nothing, not counted: the platform is flawed"
        );
        assert_eq!(s.probes_to_detection, Some(12));
        assert_eq!(
            s.families["direct-read"],
            Counts {
                tp: 1,
                fp: 1,
                r#fn: 0,
                tn: 0
            }
        );
        assert_eq!(s.families["foreign-create"].r#fn, 1);
        assert_eq!(s.counts.tpr(), Some(0.5));
        assert_eq!(s.counts.fpr(), Some(1.0));
        assert!((s.counts.score() + 0.5).abs() < 1e-9);
    }

    #[test]
    fn on_a_platform_that_isolates_every_unmatched_detection_is_false() {
        let truth = CaseTruth {
            vulnerable: vec![],
            safe: vec![exp("account-takeover", "accounts.password", "", "")],
            isolates: true,
        };
        assert_eq!(
            score(&truth, &[]).counts,
            Counts {
                tn: 1,
                ..Counts::default()
            }
        );
        let twice = det("direct-read", "note.read", "", "");
        let s = score(&truth, &[twice.clone(), twice]);
        assert_eq!(
            s.counts,
            Counts {
                tn: 1,
                fp: 1,
                ..Counts::default()
            },
            "one per distinct detection"
        );
        assert_eq!(s.families["direct-read"].fp, 1);
        // A whole-platform negative (a hardened seed): any detection is its false positive.
        let hardened = CaseTruth {
            safe: vec![Expectation::default()],
            isolates: true,
            ..CaseTruth::default()
        };
        let s = score(&hardened, &[det("stateful", "", "", "")]);
        assert_eq!(
            s.counts,
            Counts {
                fp: 1,
                ..Counts::default()
            }
        );
        assert_eq!(Counts::default().tpr(), None);
        assert_eq!(Counts::default().score(), 0.0);
    }
}
