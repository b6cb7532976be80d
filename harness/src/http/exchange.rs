//! What a request brought back: the response, the request as sent (for reports), what it carried.

use serde_json::Value;

use super::curl::redact;
use crate::oracle::Observed;
use crate::redact::Hide;

/// The bytes of a body an exchange kept for the report still holds: the report shows an excerpt and a
/// cause, both from the head of the answer.
const KEPT_BODY: usize = 64 * 1024;

/// A request as it was sent, for reports.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RequestSummary {
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// A curl command that replays it (credentials redacted).
    pub curl: String,
}

/// A response and the request that produced it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request.
    pub request: RequestSummary,
    /// The response.
    pub observed: Observed,
    /// What the request carried (URL, extra headers, body text, credentials excluded): canaries found here
    /// and echoed by the response are reflected, not proof.
    pub sent: Vec<u8>,
    /// When this answer came to a retry: why the earlier attempt got none (a create answered 409 on a
    /// retry may have been applied by the attempt whose answer was lost).
    pub retried_after: Option<String>,
    /// The response body is the request's own body sent back (an echo), not an answer to it.
    pub echoed: bool,
}

impl Exchange {
    /// This exchange as a report keeps it (a finding's or a failure's evidence): the head of its body
    /// only, and its redirects without bodies, so that the evidence of many probes never holds their
    /// whole answers.
    pub fn kept(&self) -> Self {
        let head = |observed: &Observed, max: usize| Observed {
            status: observed.status,
            headers: observed.headers.clone(),
            body: observed.body[..observed.body.len().min(max)].to_vec(),
            redirects: Vec::new(),
            truncated: observed.truncated || observed.body.len() > max,
        };
        let mut observed = head(&self.observed, KEPT_BODY);
        observed.redirects = (self.observed.redirects.iter())
            .map(|hop| head(hop, 0))
            .collect();
        Self {
            request: self.request.clone(),
            observed,
            sent: self.sent.clone(),
            retried_after: self.retried_after.clone(),
            echoed: self.echoed,
        }
    }

    /// The response body as JSON, if it is JSON (a body cut at the size limit is not, and is not parsed).
    pub fn json(&self) -> Option<Value> {
        if self.observed.truncated {
            return None;
        }
        serde_json::from_slice(&self.observed.body).ok()
    }

    /// What the answer says, for a message: an error answer (4xx, 5xx) that states its cause gives the
    /// cause (see [`crate::cause`]), anything else its [`Exchange::excerpt`].
    pub fn answer(&self, max: usize, secrets: &(impl Hide + ?Sized)) -> String {
        if self.observed.status >= 400
            && let Some(cause) = crate::cause::cause(&self.observed.body, max)
        {
            return redact(&cause, secrets);
        }
        self.excerpt(max, secrets)
    }

    /// [`Exchange::answer`] for a message about a failure: a server error (5xx) whose answer states no
    /// cause (an empty body, `Internal Server Error`) says where the cause is, the target's log.
    pub fn failure_answer(&self, max: usize, secrets: &(impl Hide + ?Sized)) -> String {
        let answer = self.answer(max, secrets);
        let states = crate::cause::cause(&self.observed.body, max)
            .is_some_and(|cause| !crate::cause::says_nothing(&cause));
        if self.observed.status < 500 || states {
            return answer;
        }
        let shown = if answer.trim().is_empty() {
            "an empty answer".to_string()
        } else {
            answer
        };
        format!("{shown} (the answer does not say why: look in the target's log)")
    }

    /// A printable excerpt of the body (at most `max` characters), with `secrets` redacted. Only the head
    /// of the body is looked at.
    pub fn excerpt(&self, max: usize, secrets: &(impl Hide + ?Sized)) -> String {
        let body = &self.observed.body;
        let head = &body[..body.len().min(max.saturating_mul(4).saturating_add(4))];
        let text = String::from_utf8_lossy(head);
        let mut out: String = text.chars().take(max).collect();
        if head.len() < body.len() || text.chars().count() > max {
            out.push_str("...");
        }
        redact(&out, secrets)
    }
}
