//! What a request brought back: the response, the request as sent (for reports), what it carried.

use serde_json::Value;

use super::curl::redact;
use crate::oracle::Observed;

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
    /// The response body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.observed.body).ok()
    }

    /// What the answer says, for a message: an error answer (4xx, 5xx) that states its cause gives the
    /// cause (see [`crate::cause`]), anything else its [`Exchange::excerpt`].
    pub fn answer(&self, max: usize, secrets: &[String]) -> String {
        if self.observed.status >= 400
            && let Some(cause) = crate::cause::cause(&self.observed.body, max)
        {
            return redact(&cause, secrets);
        }
        self.excerpt(max, secrets)
    }

    /// A printable excerpt of the body (at most `max` characters), with `secrets` redacted.
    pub fn excerpt(&self, max: usize, secrets: &[String]) -> String {
        let text = String::from_utf8_lossy(&self.observed.body);
        let mut out: String = text.chars().take(max).collect();
        if text.chars().count() > max {
            out.push_str("...");
        }
        redact(&out, secrets)
    }
}
