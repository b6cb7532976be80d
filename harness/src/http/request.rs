//! A request with every template already filled: what the session sends, and what it carried (for the
//! oracle: canaries sent and echoed back are reflected, not proof).

use serde_json::Value;

use super::session::Credential;

/// A request ready to send: method, URL, headers, body, whether it goes without credentials and where its
/// redirects stop. Built by [`crate::render`] from a profile endpoint; the HTTP layer knows nothing else
/// of profiles.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedRequest {
    /// Method.
    pub method: reqwest::Method,
    /// The full URL without its query: the target's base URL and the filled path.
    pub url: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Headers other than credentials, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: RenderedBody,
    /// Sent without the identity's credentials.
    pub anonymous: bool,
    /// A redirect whose `Location` contains this text leads to the login page: the chain stops there.
    pub login_redirect: Option<String>,
    /// Declared as a read by the profile (a `POST` search or GraphQL query): safe to send again whatever
    /// its method.
    pub read: bool,
}

/// A request's body.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderedBody {
    /// None.
    None,
    /// A JSON value.
    Json(Value),
    /// An `application/x-www-form-urlencoded` form: fields in order, a name possibly repeated.
    Form(Vec<(String, String)>),
    /// A `multipart/form-data` body: named parts in order.
    Multipart(Vec<(String, RenderedPart)>),
    /// A raw body: text, or the record's file (`None`), with its content type.
    Raw {
        /// The text, or `None` for the file's bytes.
        text: Option<String>,
        /// Its content type.
        content_type: String,
    },
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderedPart {
    /// A text field.
    Text(String),
    /// The record's file, under this name and content type.
    File {
        /// The file name.
        filename: String,
        /// The content type.
        content_type: String,
    },
}

/// `pairs` in `application/x-www-form-urlencoded`.
pub(super) fn form_encoded(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

impl RenderedRequest {
    /// The URL with its query.
    pub fn full_url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        format!("{}?{}", self.url, form_encoded(&self.query))
    }

    /// Whether sending it twice does no more than sending it once (GET, HEAD, PUT, DELETE, or a request the
    /// profile declares a read, such as a `POST` search).
    pub fn is_idempotent(&self) -> bool {
        self.read
            || matches!(
                self.method,
                reqwest::Method::GET
                    | reqwest::Method::HEAD
                    | reqwest::Method::PUT
                    | reqwest::Method::DELETE
            )
    }

    /// The request for one attempt, with the identity's `credential` and `file` as the document's bytes.
    pub(crate) fn build(
        &self,
        client: &reqwest::Client,
        credential: &Credential,
        file: Option<&[u8]>,
    ) -> reqwest::RequestBuilder {
        let request = client.request(self.method.clone(), self.full_url());
        let request = super::session::authorize(request, &self.headers, credential);
        let file_bytes = || file.map(<[u8]>::to_vec).unwrap_or_default();
        match &self.body {
            RenderedBody::None => request,
            RenderedBody::Json(value) => request.json(value),
            RenderedBody::Form(fields) => request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form_encoded(fields)),
            RenderedBody::Multipart(parts) => {
                let mut form = reqwest::multipart::Form::new();
                for (name, part) in parts {
                    form = match part {
                        RenderedPart::Text(text) => form.text(name.clone(), text.clone()),
                        RenderedPart::File {
                            filename,
                            content_type,
                        } => {
                            let part = reqwest::multipart::Part::bytes(file_bytes())
                                .file_name(filename.clone());
                            let part = match part.mime_str(content_type) {
                                Ok(part) => part,
                                Err(_) => reqwest::multipart::Part::bytes(file_bytes())
                                    .file_name(filename.clone()),
                            };
                            form.part(name.clone(), part)
                        }
                    };
                }
                request.multipart(form)
            }
            RenderedBody::Raw { text, content_type } => {
                let bytes = match text {
                    Some(text) => text.clone().into_bytes(),
                    None => file_bytes(),
                };
                request
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(bytes)
            }
        }
    }

    /// Whether `body` is this request's own body sent back: the same JSON value, the same form, or a dump of
    /// the request (its path and its body).
    pub fn echoed_by(&self, body: &[u8]) -> bool {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() {
            return false;
        }
        let path = reqwest::Url::parse(&self.url)
            .map_or_else(|_| self.url.clone(), |u| u.path().to_string());
        let dump = |sent: &str| !sent.is_empty() && text.contains(sent) && text.contains(&path);
        match &self.body {
            RenderedBody::None
            | RenderedBody::Multipart(_)
            | RenderedBody::Raw { text: None, .. } => false,
            RenderedBody::Raw {
                text: Some(sent), ..
            } => text == sent.trim() || dump(sent.trim()),
            RenderedBody::Json(value) => {
                serde_json::from_str::<Value>(text).is_ok_and(|answer| answer == *value)
                    || dump(&value.to_string())
            }
            RenderedBody::Form(fields) => {
                let encoded = form_encoded(fields);
                text == encoded || dump(&encoded)
            }
        }
    }

    /// What the request carried, as text, credentials excluded: URL, extra headers and body.
    pub fn sent(&self) -> Vec<u8> {
        let mut out = self.full_url();
        for (name, value) in &self.headers {
            out.push('\n');
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
        }
        out.push('\n');
        match &self.body {
            RenderedBody::None => {}
            RenderedBody::Json(value) => out.push_str(&value.to_string()),
            RenderedBody::Form(fields) => {
                for (k, v) in fields {
                    out.push_str(&format!("{k}={v}&"));
                }
            }
            RenderedBody::Multipart(parts) => {
                for (name, part) in parts {
                    match part {
                        RenderedPart::Text(text) => out.push_str(&format!("{name}={text}\n")),
                        RenderedPart::File { filename, .. } => {
                            out.push_str(&format!("{name}: {filename}\n"))
                        }
                    }
                }
            }
            RenderedBody::Raw { text, .. } => out.push_str(text.as_deref().unwrap_or_default()),
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_queries_are_form_urlencoded() {
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(form_encoded(&pairs(&[("q", "a b&c")])), "q=a+b%26c");
        let request = RenderedRequest {
            method: reqwest::Method::GET,
            url: "http://127.0.0.1:9/api/users".into(),
            query: pairs(&[("nom", "Lefèvre"), ("page", "2")]),
            headers: Vec::new(),
            body: RenderedBody::None,
            anonymous: false,
            login_redirect: None,
            read: false,
        };
        assert_eq!(
            request.full_url(),
            "http://127.0.0.1:9/api/users?nom=Lef%C3%A8vre&page=2"
        );
    }

    #[test]
    fn an_answer_that_sends_the_request_back_is_an_echo() {
        let json = RenderedRequest {
            method: reqwest::Method::POST,
            url: "http://127.0.0.1:9/api/users".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: RenderedBody::Json(serde_json::json!({ "login": "a@b.test", "role": "agent" })),
            anonymous: false,
            login_redirect: None,
            read: false,
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
        let form = RenderedRequest {
            body: RenderedBody::Form(vec![("user".into(), "a b".into())]),
            ..json
        };
        assert!(form.echoed_by(b"user=a+b"));
        assert!(!form.echoed_by(b"ok"));
    }

    #[test]
    fn a_post_declared_as_a_read_is_idempotent_and_a_plain_post_is_not() {
        let post = RenderedRequest {
            method: reqwest::Method::POST,
            url: "http://127.0.0.1:9/graphql".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: RenderedBody::Json(serde_json::json!({ "query": "{ x }" })),
            anonymous: false,
            login_redirect: None,
            read: false,
        };
        assert!(!post.is_idempotent());
        assert!(RenderedRequest { read: true, ..post }.is_idempotent());
    }
}
