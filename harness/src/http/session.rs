//! An identity's session: the run's client and the identity's credential, sending rendered requests under
//! the retry policy, following redirects, and reading bodies within bounds.

use std::time::Duration;

use super::exchange::Exchange;
use super::request::RenderedRequest;
use super::retry::{Exhausted, Failure, RetryPolicy};
use super::settings::{HttpSettings, same_origin};
use crate::decode::{Limits, content_decode};
use crate::oracle::Observed;

/// No usable answer after every retry (connection refused, timeout, reset, or 429/503 throughout).
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// The request got no answer.
    #[error("{method} {url}: {reason}")]
    Transport {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// How an identity proves who it is on each request.
#[derive(Debug, Clone, Default)]
pub struct Credential {
    /// Who this is (a login), for redaction notes.
    pub who: String,
    /// Headers to send (name, value): the profile's `auth.send`, a session cookie, or the operator's key.
    pub headers: Vec<(String, String)>,
    /// HTTP Basic (login, password).
    pub basic: Option<(String, String)>,
    /// Values never to print (passwords, tokens).
    pub secrets: Vec<String>,
}

/// One identity's HTTP client and credential.
#[derive(Debug, Clone)]
pub struct Session {
    client: reqwest::Client,
    /// The credential, filled after login.
    pub credential: Credential,
}

impl Session {
    /// The HTTP client of a run: HTTP/1.1 only, no redirects followed by the client (the session follows
    /// them itself, see [`super::Redirects`]), no cookie store (an identity's session cookie is a
    /// credential, sent per request), no decompression by the client (bodies are decoded within bounds,
    /// see [`crate::decode`]), and every content encoding cloison decodes accepted.
    pub(super) fn client(settings: &HttpSettings) -> Result<reqwest::Client, reqwest::Error> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_ENCODING,
            reqwest::header::HeaderValue::from_static("gzip, deflate, br, zstd"),
        );
        super::tls::client_builder()
            .http1_only()
            .default_headers(headers)
            .no_gzip()
            .no_deflate()
            .no_brotli()
            .no_zstd()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
    }

    /// A session without credentials over the run's shared client.
    pub fn new(settings: &HttpSettings) -> Result<Self, reqwest::Error> {
        let client = match &settings.client {
            Some(client) => client.clone(),
            None => Self::client(settings)?,
        };
        Ok(Self {
            client,
            credential: Credential::default(),
        })
    }

    /// The same client with another credential (a forged one: see `engine::forge`).
    pub fn with_credential(&self, credential: Credential) -> Self {
        Self {
            client: self.client.clone(),
            credential,
        }
    }

    /// Send `request`, with `file` as the document's bytes (a file part or a raw body), under the run's
    /// [`RetryPolicy`] (honouring `Retry-After`), then follow its redirects.
    pub async fn send_rendered(
        &self,
        settings: &HttpSettings,
        request: &RenderedRequest,
        file: Option<&[u8]>,
    ) -> Result<Exchange, HttpError> {
        let none = Credential::default();
        let credential = if request.anonymous {
            &none
        } else {
            &self.credential
        };
        let mut retry = 0;
        let answered = settings
            .retry
            .run(request.is_idempotent(), |more| {
                retry += 1;
                self.attempt(settings, request, credential, file, (more, retry - 1))
            })
            .await;
        let answered =
            answered.map_err(|Exhausted { failure, attempts }| HttpError::Transport {
                method: request.method.to_string(),
                url: request.url.clone(),
                reason: format!("{failure} (after {attempts} attempts)"),
            })?;
        let observed = self
            .follow(settings, request, credential, answered.value)
            .await;
        let mut summary = request.summary(credential, file);
        if !observed.redirects.is_empty() {
            summary.curl = summary.curl.replacen("curl -sS", "curl -sS -L", 1);
        }
        Ok(Exchange {
            echoed: !observed.truncated && request.echoed_by(&observed.body),
            request: summary,
            observed,
            sent: request.sent(),
            retried_after: answered.after.map(|failure| failure.to_string()),
        })
    }

    /// One attempt (`retry` retries before it), within a slot of the run's [`super::Pacer`] and the timeout
    /// it gives: a 429 or 503 is a failure while a retry is left (`more`), an answer otherwise.
    async fn attempt(
        &self,
        settings: &HttpSettings,
        request: &RenderedRequest,
        credential: &Credential,
        file: Option<&[u8]>,
        (more, retry): (bool, u32),
    ) -> Result<Observed, Failure> {
        let idempotent = request.is_idempotent();
        let timeout = settings.pacer.timeout(idempotent, retry);
        let built = request
            .build(&self.client, credential, file)
            .timeout(timeout);
        if let Some(pace) = &settings.pace {
            pace.wait().await;
        }
        let mut slot = settings.pacer.slot(idempotent).await;
        let response = match built.send().await {
            Ok(response) => response,
            Err(err) => {
                settings.liveness.unanswered_attempt();
                slot.failed(err.is_timeout());
                return Err(Failure::Transport(describe_after(&err, timeout)));
            }
        };
        settings.liveness.answered();
        let status = response.status().as_u16();
        if more && RetryPolicy::retries_status(status) {
            slot.answered(status);
            return Err(Failure::Status {
                status,
                retry_after: retry_after(&response),
            });
        }
        let observed = read(response).await;
        match &observed {
            Ok(_) => slot.answered(status),
            Err(_) => slot.failed(slot.elapsed() >= timeout),
        }
        observed.map_err(Failure::Transport)
    }

    /// Follow the redirects of a safe request (GET, HEAD) by [`HttpSettings::redirects`]: the final
    /// response, with the ones that led to it. Credentials and the request's headers go to the target's own
    /// origin only; a listed host gets the bare URL (object storage authorizes by what the URL carries). A
    /// hop that cannot be followed (no `Location`, another host, the login page, a transport error) ends
    /// the chain with the redirect itself as the answer.
    async fn follow(
        &self,
        settings: &HttpSettings,
        request: &RenderedRequest,
        credential: &Credential,
        first: Observed,
    ) -> Observed {
        if !matches!(request.method, reqwest::Method::GET | reqwest::Method::HEAD) {
            return first;
        }
        let (Ok(base), Ok(mut url)) = (
            reqwest::Url::parse(&settings.base_url),
            reqwest::Url::parse(&request.full_url()),
        ) else {
            return first;
        };
        let login = request.login_redirect.as_deref();
        let mut current = first;
        let mut earlier = Vec::new();
        for _ in 0..settings.redirects.max_hops {
            if !matches!(current.status, 301 | 302 | 303 | 307 | 308) {
                break;
            }
            let Some(location) = current
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("location"))
                .map(|(_, value)| value.clone())
            else {
                break;
            };
            if login.is_some_and(|login| location.contains(login)) {
                break;
            }
            let Ok(next) = url.join(&location) else {
                break;
            };
            let own = same_origin(&next, &base);
            if !own && !settings.redirects.allows(&next) {
                break;
            }
            let timeout = settings.pacer.timeout(true, 0);
            let mut hop = self
                .client
                .request(request.method.clone(), next.clone())
                .timeout(timeout);
            if own {
                hop = authorize(hop, &request.headers, credential);
            }
            if let Some(pace) = &settings.pace {
                pace.wait().await;
            }
            let mut slot = settings.pacer.slot(true).await;
            let response = match hop.send().await {
                Ok(response) => response,
                Err(err) => {
                    slot.failed(err.is_timeout());
                    break;
                }
            };
            settings.liveness.answered();
            let status = response.status().as_u16();
            let Ok(observed) = read(response).await else {
                slot.failed(slot.elapsed() >= timeout);
                break;
            };
            slot.answered(status);
            drop(slot);
            earlier.push(std::mem::replace(&mut current, observed));
            url = next;
        }
        current.redirects = earlier;
        current
    }
}

/// Read a response: status, headers, and the body with its content encodings undone, both within
/// [`Limits::max_bytes`]: the body is read as it streams in and no further than the limit (the rest is never
/// received, the connection dropped), then decoded up to the limit. A body cut either way is marked
/// `truncated`; one whose encoding is unknown or corrupt is kept as it came.
async fn read(mut response: reqwest::Response) -> Result<Observed, String> {
    let limit = Limits::default().max_bytes;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let announced = response.content_length().unwrap_or(0);
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(limit).min(limit));
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(|err| describe(&err))? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let encoding = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-encoding"))
        .map(|(_, value)| value.as_str());
    let body = match encoding {
        Some(encoding) if !body.is_empty() => {
            match content_decode(encoding, &body, &Limits::default()) {
                Ok(decoded) => {
                    // Decoding stopped at the limit, or at the end of a cut body.
                    truncated |= !decoded.complete;
                    decoded.bytes
                }
                Err(_) => body,
            }
        }
        _ => body,
    };
    Ok(Observed {
        status,
        headers,
        body,
        redirects: Vec::new(),
        truncated,
    })
}

/// Add headers and an identity's credential to a request.
pub(super) fn authorize(
    mut request: reqwest::RequestBuilder,
    headers: &[(String, String)],
    credential: &Credential,
) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        request = request.header(name, value);
    }
    for (name, value) in &credential.headers {
        request = request.header(name, value);
    }
    if let Some((user, password)) = &credential.basic {
        request = request.basic_auth(user, Some(password));
    }
    request
}

/// Why a request failed, with the innermost cause.
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else if err.is_body() || err.is_decode() {
        "broken response body"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

/// Why a request failed, saying how long it waited when it timed out.
fn describe_after(err: &reqwest::Error, timeout: Duration) -> String {
    let reason = describe(err);
    if err.is_timeout() {
        format!("{reason} (after {:.1} s)", timeout.as_secs_f64())
    } else {
        reason
    }
}

/// The answer's `Retry-After` in seconds, at most five.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(5)))
}
