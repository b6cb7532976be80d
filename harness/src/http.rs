//! The HTTP layer: one client per identity (its own cookie jar and connection pool), requests built from
//! profile endpoints, retries with exponential backoff on 429, 503 and transport errors, and a curl
//! reproducer for every request, with credentials redacted.

use std::time::Duration;

use serde_json::Value;

use crate::decode::{Limits, content_decode};
use crate::oracle::Observed;
use crate::profile::{Body, Endpoint, KeyPath, PartContent, RawContent, TemplateError};

/// How redirects are followed: only for safe methods (GET, HEAD), at most `max_hops` hops, to the target's
/// own origin or to one of `hosts`; never to the login page (that is a refusal, judged as such).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirects {
    /// Hops followed at most (0: none).
    pub max_hops: usize,
    /// Hosts other than the target's own a redirect may lead to: `host` (any port) or `host:port`.
    pub hosts: Vec<String>,
    /// A redirect whose `Location` contains this text leads to the login page: it is not followed. An
    /// endpoint with refusals of its own uses theirs.
    pub login: Option<String>,
}

impl Default for Redirects {
    fn default() -> Self {
        Self {
            max_hops: 5,
            hosts: Vec::new(),
            login: None,
        }
    }
}

impl Redirects {
    /// Whether `url`, on another origin than the target's, is on a listed host.
    pub fn allows(&self, url: &reqwest::Url) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        matches!(url.scheme(), "http" | "https")
            && self.hosts.iter().any(|entry| {
                match entry
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
                {
                    Some((h, p)) => h.eq_ignore_ascii_case(host) && p == port,
                    None => entry.eq_ignore_ascii_case(host),
                }
            })
    }
}

/// Whether two URLs share an origin (scheme, host and port).
fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Settings shared by every client of a run.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The target's base URL, without a trailing slash.
    pub base_url: String,
    /// Timeout of one attempt (connect and whole request).
    pub timeout: Duration,
    /// Retries after the first attempt, on 429, 503 and transport errors.
    pub retries: u32,
    /// First backoff delay; doubled at each retry.
    pub backoff: Duration,
    /// One TLS connector shared by every client: building one per client (OpenSSL loads the system's
    /// certificates each time) costs about 100 ms per identity.
    pub tls: Option<native_tls::TlsConnector>,
    /// One HTTP client (connection pool) shared by every identity: credentials, cookies included, are
    /// added per request, so that memory does not grow with the number of identities.
    pub client: Option<reqwest::Client>,
    /// Which redirects are followed.
    pub redirects: Redirects,
    /// The pace of requests (`--rate`): none by default.
    pub pace: Option<std::sync::Arc<Pace>>,
}

/// A ceiling on the requests sent per second, shared by every session of a run (`--rate`): each request,
/// redirect hops and retries included, waits for the next free slot. Fragile or remote targets get a steady
/// pace instead of bursts of `--concurrency` requests.
#[derive(Debug)]
pub struct Pace {
    interval: Duration,
    next: std::sync::Mutex<tokio::time::Instant>,
}

impl Pace {
    /// At most `per_second` requests per second (at least one).
    pub fn new(per_second: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: std::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Wait for this request's slot.
    pub async fn wait(&self) {
        let slot = self.take(tokio::time::Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// The slot of a request asked for at `now`: the next free one, never in the past.
    fn take(&self, now: tokio::time::Instant) -> tokio::time::Instant {
        let mut next = match self.next.lock() {
            Ok(next) => next,
            Err(poisoned) => poisoned.into_inner(),
        };
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }
}

impl HttpSettings {
    /// Settings for a base URL, with the shared TLS connector.
    pub fn new(
        base_url: String,
        timeout: Duration,
        retries: u32,
        backoff: Duration,
    ) -> Result<Self, native_tls::Error> {
        let tls = Some(
            native_tls::TlsConnector::builder()
                .request_alpns(&["http/1.1"])
                .build()?,
        );
        let mut settings = Self {
            base_url,
            timeout,
            retries,
            backoff,
            tls,
            client: None,
            redirects: Redirects::default(),
            pace: None,
        };
        settings.client = Session::client(&settings).ok();
        Ok(settings)
    }
}

/// A failure to obtain a response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// A template could not be filled: a profile problem, located at its key.
    #[error("cannot fill `{key}`: {error}")]
    Template {
        /// Where in the profile.
        key: KeyPath,
        /// What went wrong.
        error: TemplateError,
    },
    /// No usable answer after every retry (connection refused, timeout, reset, or 429/503 throughout).
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

/// How a probe varies an endpoint's request: extra headers, query parameters and body fields, or no
/// credentials at all.
#[derive(Debug, Clone, Default)]
pub struct Tweak {
    /// Headers added to the request.
    pub headers: Vec<(String, String)>,
    /// Query parameters added to the request.
    pub query: Vec<(String, String)>,
    /// Fields added to a JSON object body or a form.
    pub fields: Vec<(String, Value)>,
    /// Send without the identity's credentials.
    pub anonymous: bool,
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

/// Replace every secret value in `text`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret.as_str(), "<redacted>");
    }
    out
}

impl Session {
    /// The HTTP client of a run: no redirects followed by the client (the session follows them itself, see
    /// [`Redirects`]), no cookie store (an identity's session cookie is a credential, sent per request), no
    /// decompression by the client (bodies are decoded within bounds, see [`crate::decode`]), and every
    /// content encoding cloison decodes accepted.
    fn client(settings: &HttpSettings) -> Result<reqwest::Client, reqwest::Error> {
        let mut builder = reqwest::Client::builder();
        if let Some(tls) = &settings.tls {
            builder = builder.tls_backend_preconfigured(tls.clone());
        }
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_ENCODING,
            reqwest::header::HeaderValue::from_static("gzip, deflate, br, zstd"),
        );
        builder
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

    /// Send `endpoint` filled from `ctx`, with `file` as the bytes of a multipart file part. Retries on 429
    /// and 503 with exponential backoff (honouring `Retry-After`); transport errors (timeouts, dropped
    /// connections) are retried only for idempotent methods, since a create or an update may have been
    /// applied before the connection broke.
    pub async fn send(
        &self,
        settings: &HttpSettings,
        endpoint: &Endpoint,
        ctx: &Value,
        file: Option<&[u8]>,
    ) -> Result<Exchange, HttpError> {
        self.send_with(settings, endpoint, ctx, file, &Tweak::default())
            .await
    }

    /// [`Session::send`], with the request varied by `tweak`.
    pub async fn send_with(
        &self,
        settings: &HttpSettings,
        endpoint: &Endpoint,
        ctx: &Value,
        file: Option<&[u8]>,
        tweak: &Tweak,
    ) -> Result<Exchange, HttpError> {
        let prepared = Prepared::new(settings, endpoint, ctx, tweak)?;
        let none = Credential::default();
        let credential = if tweak.anonymous {
            &none
        } else {
            &self.credential
        };
        let idempotent = matches!(
            prepared.method,
            reqwest::Method::GET
                | reqwest::Method::HEAD
                | reqwest::Method::PUT
                | reqwest::Method::DELETE
        );
        let mut delay = settings.backoff;
        let mut attempt = 0;
        let mut first_failure: Option<String> = None;
        loop {
            let request = prepared.build(&self.client, credential, file);
            if let Some(pace) = &settings.pace {
                pace.wait().await;
            }
            let outcome = request.send().await;
            let retry_reason = match outcome {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if (status == 429 || status == 503) && attempt < settings.retries {
                        if let Some(after) = retry_after(&response) {
                            delay = delay.max(after);
                        }
                        format!("status {status}")
                    } else {
                        match read(response).await {
                            Ok(observed) => {
                                let login = match &endpoint.refusals {
                                    Some(refusals) => refusals.login_redirect.as_deref(),
                                    None => settings.redirects.login.as_deref(),
                                };
                                let observed = self
                                    .follow(settings, &prepared, credential, login, observed)
                                    .await;
                                let mut request = prepared.summary(credential, file);
                                if !observed.redirects.is_empty() {
                                    request.curl =
                                        request.curl.replacen("curl -sS", "curl -sS -L", 1);
                                }
                                return Ok(Exchange {
                                    echoed: prepared.echoed_by(&observed.body),
                                    request,
                                    observed,
                                    sent: prepared.sent(),
                                    retried_after: first_failure,
                                });
                            }
                            Err(reason) => reason,
                        }
                    }
                }
                Err(err) => describe(&err),
            };
            let transport_failure = !retry_reason.starts_with("status ");
            if attempt >= settings.retries || (transport_failure && !idempotent) {
                return Err(HttpError::Transport {
                    method: prepared.method.to_string(),
                    url: prepared.url.clone(),
                    reason: format!("{retry_reason} (after {} attempts)", attempt + 1),
                });
            }
            first_failure.get_or_insert(retry_reason);
            attempt += 1;
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

/// A curl command for `endpoint` filled from `ctx`, with nothing redacted: for `--keep-target`, whose user
/// asked for the credentials of a target that cloison started and that holds only synthetic data.
pub fn curl_in_clear(
    settings: &HttpSettings,
    endpoint: &Endpoint,
    ctx: &Value,
) -> Result<String, HttpError> {
    let prepared = Prepared::new(settings, endpoint, ctx, &Tweak::default())?;
    Ok(prepared.summary(&Credential::default(), None).curl)
}

impl Session {
    /// Follow the redirects of a safe request (GET, HEAD) by [`HttpSettings::redirects`]: the final
    /// response, with the ones that led to it. Credentials and the request's headers go to the target's own
    /// origin only; a listed host gets the bare URL (object storage authorizes by what the URL carries). A
    /// hop that cannot be followed (no `Location`, another host, the login page, a transport error) ends
    /// the chain with the redirect itself as the answer.
    async fn follow(
        &self,
        settings: &HttpSettings,
        prepared: &Prepared,
        credential: &Credential,
        login: Option<&str>,
        first: Observed,
    ) -> Observed {
        if !matches!(
            prepared.method,
            reqwest::Method::GET | reqwest::Method::HEAD
        ) {
            return first;
        }
        let (Ok(base), Ok(mut url)) = (
            reqwest::Url::parse(&settings.base_url),
            reqwest::Url::parse(&prepared.full_url()),
        ) else {
            return first;
        };
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
            let mut request = self.client.request(prepared.method.clone(), next.clone());
            if own {
                request = authorize(request, &prepared.headers, credential);
            }
            if let Some(pace) = &settings.pace {
                pace.wait().await;
            }
            let Ok(response) = request.send().await else {
                break;
            };
            let Ok(observed) = read(response).await else {
                break;
            };
            earlier.push(std::mem::replace(&mut current, observed));
            url = next;
        }
        current.redirects = earlier;
        current
    }
}

/// Read a response: status, headers, and the body with its content encodings undone (within
/// [`Limits::max_bytes`]; a body whose encoding is unknown or corrupt is kept as it came).
async fn read(response: reqwest::Response) -> Result<Observed, String> {
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
    let body = response
        .bytes()
        .await
        .map_err(|err| describe(&err))?
        .to_vec();
    let encoding = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-encoding"))
        .map(|(_, value)| value.as_str());
    let body = match encoding {
        Some(encoding) if !body.is_empty() => {
            match content_decode(encoding, &body, &Limits::default()) {
                Ok(decoded) => decoded.bytes,
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
    })
}

/// Add headers and an identity's credential to a request.
fn authorize(
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

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(5)))
}

/// A request with every template filled, ready to be built for each attempt.
struct Prepared {
    method: reqwest::Method,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: PreparedBody,
}

enum PreparedBody {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
    Multipart(Vec<(String, PreparedPart)>),
    /// A raw body: text, or the record's file (`None`), with its content type.
    Raw {
        text: Option<String>,
        content_type: String,
    },
}

enum PreparedPart {
    Text(String),
    File {
        filename: String,
        content_type: String,
    },
}

impl Prepared {
    fn new(
        settings: &HttpSettings,
        endpoint: &Endpoint,
        ctx: &Value,
        tweak: &Tweak,
    ) -> Result<Self, HttpError> {
        let fill = |key: KeyPath, t: &crate::profile::Template| {
            t.render(ctx)
                .map_err(|error| HttpError::Template { key, error })
        };
        let path = endpoint
            .path
            .render_path(ctx)
            .map_err(|error| HttpError::Template {
                key: endpoint.origin.key("path"),
                error,
            })?;
        let mut query = Vec::new();
        for (name, t) in &endpoint.query {
            query.push((
                name.clone(),
                fill(endpoint.origin.key("query").key(name), t)?,
            ));
        }
        let mut headers = Vec::new();
        for (name, t) in &endpoint.headers {
            headers.push((
                name.clone(),
                fill(endpoint.origin.key("headers").key(name), t)?,
            ));
        }
        headers.extend(tweak.headers.iter().cloned());
        query.extend(tweak.query.iter().cloned());
        let body = match &endpoint.body {
            Body::None if tweak.fields.is_empty() => PreparedBody::None,
            Body::None => PreparedBody::Json(Value::Object(tweak.fields.iter().cloned().collect())),
            Body::Json(json) => {
                let mut value = json.render(ctx).map_err(|(at, error)| {
                    let mut key = endpoint.origin.key("json");
                    for seg in at {
                        key = key.key(&seg);
                    }
                    HttpError::Template { key, error }
                })?;
                if let Value::Object(map) = &mut value {
                    for (name, field) in &tweak.fields {
                        map.insert(name.clone(), field.clone());
                    }
                }
                PreparedBody::Json(value)
            }
            Body::Form(fields) => {
                let mut out = Vec::new();
                for (i, (name, t)) in fields.iter().enumerate() {
                    out.push((
                        name.clone(),
                        fill(
                            crate::profile::form_key(&endpoint.origin, fields, i, name),
                            t,
                        )?,
                    ));
                }
                for (name, field) in &tweak.fields {
                    let text = match field {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    out.push((name.clone(), text));
                }
                PreparedBody::Form(out)
            }
            Body::Multipart(parts) => {
                let mut out = Vec::new();
                for (i, part) in parts.iter().enumerate() {
                    let key = endpoint.origin.key("multipart").index(i);
                    let prepared = match &part.content {
                        PartContent::Text(t) => PreparedPart::Text(fill(key.key("value"), t)?),
                        PartContent::File {
                            filename,
                            content_type,
                        } => PreparedPart::File {
                            filename: fill(key.key("filename"), filename)?,
                            content_type: fill(key.key("content_type"), content_type)?,
                        },
                    };
                    out.push((part.name.clone(), prepared));
                }
                PreparedBody::Multipart(out)
            }
            Body::Raw {
                content,
                content_type,
            } => PreparedBody::Raw {
                text: match content {
                    RawContent::Text(t) => Some(fill(endpoint.origin.key("body"), t)?),
                    RawContent::File => None,
                },
                content_type: fill(endpoint.origin.key("content_type"), content_type)?,
            },
        };
        Ok(Self {
            method: endpoint.method.clone(),
            url: format!("{}{}", settings.base_url, path),
            query,
            headers,
            body,
        })
    }

    fn build(
        &self,
        client: &reqwest::Client,
        credential: &Credential,
        file: Option<&[u8]>,
    ) -> reqwest::RequestBuilder {
        let request = client.request(self.method.clone(), self.full_url());
        let request = authorize(request, &self.headers, credential);
        match &self.body {
            PreparedBody::None => request,
            PreparedBody::Json(value) => request.json(value),
            PreparedBody::Form(fields) => {
                let encoded = fields
                    .iter()
                    .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(encoded)
            }
            PreparedBody::Multipart(parts) => {
                let mut form = reqwest::multipart::Form::new();
                for (name, part) in parts {
                    form = match part {
                        PreparedPart::Text(text) => form.text(name.clone(), text.clone()),
                        PreparedPart::File {
                            filename,
                            content_type,
                        } => {
                            let bytes = file.map(<[u8]>::to_vec).unwrap_or_default();
                            let part =
                                reqwest::multipart::Part::bytes(bytes).file_name(filename.clone());
                            let part = match part.mime_str(content_type) {
                                Ok(part) => part,
                                Err(_) => reqwest::multipart::Part::bytes(
                                    file.map(<[u8]>::to_vec).unwrap_or_default(),
                                )
                                .file_name(filename.clone()),
                            };
                            form.part(name.clone(), part)
                        }
                    };
                }
                request.multipart(form)
            }
            PreparedBody::Raw { text, content_type } => {
                let bytes = match text {
                    Some(text) => text.clone().into_bytes(),
                    None => file.map(<[u8]>::to_vec).unwrap_or_default(),
                };
                request
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(bytes)
            }
        }
    }

    /// Whether `body` is this request's own body sent back: the same JSON value, the same form, or a dump of
    /// the request (its path and its body).
    fn echoed_by(&self, body: &[u8]) -> bool {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() {
            return false;
        }
        let path = reqwest::Url::parse(&self.url)
            .map_or_else(|_| self.url.clone(), |u| u.path().to_string());
        let dump = |sent: &str| !sent.is_empty() && text.contains(sent) && text.contains(&path);
        match &self.body {
            PreparedBody::None
            | PreparedBody::Multipart(_)
            | PreparedBody::Raw { text: None, .. } => false,
            PreparedBody::Raw {
                text: Some(sent), ..
            } => text == sent.trim() || dump(sent.trim()),
            PreparedBody::Json(value) => {
                serde_json::from_str::<Value>(text).is_ok_and(|answer| answer == *value)
                    || dump(&value.to_string())
            }
            PreparedBody::Form(fields) => {
                let encoded = fields
                    .iter()
                    .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                text == encoded || dump(&encoded)
            }
        }
    }

    /// The request as text, credentials excluded: URL, extra headers and body.
    fn sent(&self) -> Vec<u8> {
        let mut out = self.full_url();
        for (name, value) in &self.headers {
            out.push('\n');
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
        }
        out.push('\n');
        match &self.body {
            PreparedBody::None => {}
            PreparedBody::Json(value) => out.push_str(&value.to_string()),
            PreparedBody::Form(fields) => {
                for (k, v) in fields {
                    out.push_str(&format!("{k}={v}&"));
                }
            }
            PreparedBody::Multipart(parts) => {
                for (name, part) in parts {
                    match part {
                        PreparedPart::Text(text) => out.push_str(&format!("{name}={text}\n")),
                        PreparedPart::File { filename, .. } => {
                            out.push_str(&format!("{name}: {filename}\n"))
                        }
                    }
                }
            }
            PreparedBody::Raw { text, .. } => out.push_str(text.as_deref().unwrap_or_default()),
        }
        out.into_bytes()
    }

    fn full_url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        let q: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        format!("{}?{}", self.url, q.join("&"))
    }

    fn summary(&self, credential: &Credential, file: Option<&[u8]>) -> RequestSummary {
        let url = self.full_url();
        let mut curl = format!("curl -sS -X {} {}", self.method, shell_quote(&url));
        for (name, value) in &self.headers {
            curl.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        for (name, _) in &credential.headers {
            curl.push_str(&format!(
                " -H {}",
                shell_quote(&format!(
                    "{name}: <redacted: credential of {}>",
                    credential.who
                ))
            ));
        }
        if let Some((user, _)) = &credential.basic {
            curl.push_str(&format!(
                " -u {}",
                shell_quote(&format!("{user}:<redacted>"))
            ));
        }
        match &self.body {
            PreparedBody::None => {}
            PreparedBody::Json(value) => {
                curl.push_str(" -H 'content-type: application/json' --data-raw ");
                curl.push_str(&shell_quote(&value.to_string()));
            }
            PreparedBody::Form(fields) => {
                for (k, v) in fields {
                    curl.push_str(&format!(
                        " --data-urlencode {}",
                        shell_quote(&format!("{k}={v}"))
                    ));
                }
            }
            PreparedBody::Multipart(parts) => {
                for (name, part) in parts {
                    match part {
                        PreparedPart::Text(text) => curl
                            .push_str(&format!(" -F {}", shell_quote(&format!("{name}={text}")))),
                        PreparedPart::File {
                            filename,
                            content_type,
                        } => {
                            let size = file.map_or(0, <[u8]>::len);
                            curl.push_str(&format!(
                                " -F {}",
                                shell_quote(&format!(
                                    "{name}=@FILE;filename={filename};type={content_type}"
                                ))
                            ));
                            curl.push_str(&format!(
                                " # FILE: the generated document ({size} bytes)"
                            ));
                        }
                    }
                }
            }
            PreparedBody::Raw { text, content_type } => {
                curl.push_str(&format!(
                    " -H {}",
                    shell_quote(&format!("content-type: {content_type}"))
                ));
                match text {
                    Some(text) => {
                        curl.push_str(" --data-binary ");
                        curl.push_str(&shell_quote(text));
                    }
                    None => {
                        let size = file.map_or(0, <[u8]>::len);
                        curl.push_str(&format!(
                            " --data-binary @FILE # FILE: the generated document ({size} bytes)"
                        ));
                    }
                }
            }
        }
        RequestSummary {
            method: self.method.to_string(),
            url,
            curl: redact(&curl, &credential.secrets),
        }
    }
}

fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Quote for a POSIX shell.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pace_spreads_requests_asked_at_once_and_never_schedules_in_the_past() {
        let pace = super::Pace::new(20);
        let start = tokio::time::Instant::now();
        let slots: Vec<_> = (0..4).map(|_| pace.take(start) - start).collect();
        let ms = |n| std::time::Duration::from_millis(n);
        assert_eq!(slots, vec![ms(0), ms(50), ms(100), ms(150)]);
        // Asked long after the last slot: served at once, and the next one is an interval later.
        let later = start + std::time::Duration::from_secs(10);
        assert_eq!(pace.take(later), later);
        assert_eq!(pace.take(later), later + ms(50));
    }

    use super::*;

    #[test]
    fn quoting_and_redaction() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(
            redact("token abcd1234 here", &["abcd1234".into()]),
            "token <redacted> here"
        );
        assert_eq!(form_encode("a b&c"), "a+b%26c");
    }

    #[test]
    fn an_answer_that_sends_the_request_back_is_an_echo() {
        let json = Prepared {
            method: reqwest::Method::POST,
            url: "http://127.0.0.1:9/api/users".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: PreparedBody::Json(serde_json::json!({ "login": "a@b.test", "role": "agent" })),
        };
        assert!(json.echoed_by(br#"{"role":"agent","login":"a@b.test"}"#));
        assert!(
            json.echoed_by(
                br#"POST /api/users HTTP/1.1 host: x {"login":"a@b.test","role":"agent"}"#
            )
        );
        // An answer that carries what was sent, as a real create does, is not an echo.
        assert!(!json.echoed_by(br#"{"id":"u1","login":"a@b.test","role":"agent"}"#));
        assert!(!json.echoed_by(b""));
        let form = Prepared {
            body: PreparedBody::Form(vec![("user".into(), "a b".into())]),
            ..json
        };
        assert!(form.echoed_by(b"user=a+b"));
        assert!(!form.echoed_by(b"ok"));
    }

    /// An endpoint of `body`, for building requests without a profile.
    fn endpoint(method: reqwest::Method, body: Body) -> Endpoint {
        Endpoint {
            origin: KeyPath::root("resources").key("document").key("create"),
            method,
            path: crate::profile::Template::parse("/blobs").expect("valid"),
            query: Vec::new(),
            headers: vec![(
                "Content-Disposition".into(),
                crate::profile::Template::parse("attachment; filename=\"{{document.file_name}}\"")
                    .expect("valid"),
            )],
            body,
            extract: Vec::new(),
            ok: None,
            actor: None,
            refusals: None,
            marker: None,
            granted: None,
            kind: None,
        }
    }

    fn settings() -> HttpSettings {
        HttpSettings {
            base_url: "http://127.0.0.1:9".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Duration::from_millis(1),
            tls: None,
            client: None,
            redirects: Redirects::default(),
            pace: None,
        }
    }

    fn built(prepared: &Prepared, file: Option<&[u8]>) -> reqwest::Request {
        prepared
            .build(&reqwest::Client::new(), &Credential::default(), file)
            .build()
            .expect("a request")
    }

    #[test]
    fn raw_bodies_are_the_documents_bytes_or_a_filled_template() {
        let t = |text: &str| crate::profile::Template::parse(text).expect("valid");
        let ctx = serde_json::json!({
            "document": { "file_name": "CR-0001.pdf", "content_type": "application/pdf" },
            "note": { "text": "Relu le 3 mars" }
        });
        let file = endpoint(
            reqwest::Method::PUT,
            Body::Raw {
                content: RawContent::File,
                content_type: t("{{document.content_type}}"),
            },
        );
        let prepared = Prepared::new(&settings(), &file, &ctx, &Tweak::default()).expect("fills");
        let request = built(&prepared, Some(b"%PDF-1.7 bytes"));
        assert_eq!(request.method(), reqwest::Method::PUT);
        assert_eq!(request.headers()["content-type"], "application/pdf");
        assert_eq!(
            request.headers()["content-disposition"],
            "attachment; filename=\"CR-0001.pdf\""
        );
        assert_eq!(
            request.body().and_then(|b| b.as_bytes()),
            Some(&b"%PDF-1.7 bytes"[..])
        );
        let curl = prepared
            .summary(&Credential::default(), Some(b"%PDF-1.7 bytes"))
            .curl;
        assert!(
            curl.contains("--data-binary @FILE # FILE: the generated document (14 bytes)"),
            "{curl}"
        );
        let text = endpoint(
            reqwest::Method::POST,
            Body::Raw {
                content: RawContent::Text(t("note: {{note.text}}")),
                content_type: t("text/plain; charset=utf-8"),
            },
        );
        let prepared = Prepared::new(&settings(), &text, &ctx, &Tweak::default()).expect("fills");
        let request = built(&prepared, None);
        assert_eq!(
            request.body().and_then(|b| b.as_bytes()),
            Some(&b"note: Relu le 3 mars"[..])
        );
        assert_eq!(
            request.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert!(String::from_utf8_lossy(&prepared.sent()).contains("note: Relu le 3 mars"));
        assert!(prepared.echoed_by(b"note: Relu le 3 mars\n"));
    }

    #[test]
    fn a_repeated_form_field_is_sent_once_per_value_in_order() {
        let t = |text: &str| crate::profile::Template::parse(text).expect("valid");
        let form = endpoint(
            reqwest::Method::POST,
            Body::Form(vec![
                ("mots".into(), t("{{document.kind}}")),
                ("intitule".into(), t("{{document.file_name}}")),
                ("mots".into(), t("{{document.reference}}")),
            ]),
        );
        let ctx = serde_json::json!({
            "document": { "file_name": "CR 1.pdf", "kind": "certificat", "reference": "75-2024-000001/D1" }
        });
        let prepared = Prepared::new(&settings(), &form, &ctx, &Tweak::default()).expect("fills");
        let request = built(&prepared, None);
        assert_eq!(
            request.body().and_then(|b| b.as_bytes()),
            Some(&b"mots=certificat&intitule=CR+1.pdf&mots=75-2024-000001%2FD1"[..])
        );
        // A template error names the value's place: the second `mots` is `form.mots[1]`.
        let missing = serde_json::json!({ "document": { "file_name": "x", "kind": "k" } });
        match Prepared::new(&settings(), &form, &missing, &Tweak::default()) {
            Err(HttpError::Template { key, .. }) => {
                assert_eq!(key.to_string(), "resources.document.create.form.mots[1]")
            }
            _ => panic!("the reference is missing"),
        }
    }

    #[test]
    fn redirects_go_to_listed_hosts_by_name_or_by_name_and_port() {
        let url = |u: &str| reqwest::Url::parse(u).expect("url");
        let redirects = Redirects {
            hosts: vec!["files.example.net".into(), "127.0.0.1:9000".into()],
            ..Redirects::default()
        };
        assert!(redirects.allows(&url("https://FILES.example.net/b/1?sig=x")));
        assert!(redirects.allows(&url("http://files.example.net:8080/b/1")));
        assert!(redirects.allows(&url("http://127.0.0.1:9000/b/1")));
        assert!(!redirects.allows(&url("http://127.0.0.1:9001/b/1")));
        assert!(!redirects.allows(&url("https://evil.example.org/b/1")));
        assert!(!redirects.allows(&url("ftp://files.example.net/b/1")));
        assert!(same_origin(
            &url("http://127.0.0.1:8080/a"),
            &url("http://127.0.0.1:8080/b?c")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:8080/a"),
            &url("https://127.0.0.1:8080/a")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:8080/a"),
            &url("http://localhost:8080/a")
        ));
    }
}
