//! Rendering: a profile [`Endpoint`] filled from a context and varied by a [`Tweak`] becomes a plain
//! [`RenderedRequest`], which [`crate::http`] sends. A template that cannot be filled is a [`RenderError`]
//! here, named by its place in the profile; the HTTP layer never sees a template.

use serde_json::Value;

use crate::http::{
    Credential, Exchange, HttpError, HttpSettings, RenderedBody, RenderedPart, RenderedRequest,
    Session,
};
use crate::profile::{Body, Endpoint, KeyPath, PartContent, RawContent, Template, TemplateError};

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

/// A template that could not be filled: a profile problem, located at its key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot fill `{key}`: {error}")]
pub struct RenderError {
    /// Where in the profile.
    pub key: KeyPath,
    /// What went wrong.
    pub error: TemplateError,
}

/// Why an endpoint got no answer: it could not be rendered, or the request got none.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// A template could not be filled.
    #[error(transparent)]
    Template(#[from] RenderError),
    /// No usable answer after every retry.
    #[error(transparent)]
    Transport(#[from] HttpError),
}

/// `endpoint` filled from `ctx` and varied by `tweak`, against the target of `settings`.
pub fn render(
    settings: &HttpSettings,
    endpoint: &Endpoint,
    ctx: &Value,
    tweak: &Tweak,
) -> Result<RenderedRequest, RenderError> {
    let fill =
        |key: KeyPath, t: &Template| t.render(ctx).map_err(|error| RenderError { key, error });
    let path = endpoint
        .path
        .render_path(ctx)
        .map_err(|error| RenderError {
            key: endpoint.origin.key("path"),
            error,
        })?;
    // A request without credentials leaves out the headers and query parameters that carry one.
    let sent = |t: &Template| !(tweak.anonymous && crate::profile::caller::reads_credential(t));
    let mut query = Vec::new();
    for (name, t) in endpoint.query.iter().filter(|(_, t)| sent(t)) {
        query.push((
            name.clone(),
            fill(endpoint.origin.key("query").key(name), t)?,
        ));
    }
    let mut headers = Vec::new();
    for (name, t) in endpoint.headers.iter().filter(|(_, t)| sent(t)) {
        headers.push((
            name.clone(),
            fill(endpoint.origin.key("headers").key(name), t)?,
        ));
    }
    headers.extend(tweak.headers.iter().cloned());
    query.extend(tweak.query.iter().cloned());
    let login_redirect = match &endpoint.refusals {
        Some(refusals) => refusals.login_redirect.clone(),
        None => settings.redirects.login.clone(),
    };
    Ok(RenderedRequest {
        method: endpoint.method.clone(),
        url: format!("{}{}", settings.base_url, path),
        query,
        headers,
        body: render_body(endpoint, ctx, tweak)?,
        anonymous: tweak.anonymous,
        login_redirect,
        read: endpoint.read,
    })
}

/// The endpoint's body filled from `ctx`, with the tweak's fields added to a JSON object or a form (a
/// bodiless endpoint given fields sends them as a JSON object).
fn render_body(
    endpoint: &Endpoint,
    ctx: &Value,
    tweak: &Tweak,
) -> Result<RenderedBody, RenderError> {
    let origin = &endpoint.origin;
    let fill =
        |key: KeyPath, t: &Template| t.render(ctx).map_err(|error| RenderError { key, error });
    Ok(match &endpoint.body {
        Body::None if tweak.fields.is_empty() => RenderedBody::None,
        Body::None => RenderedBody::Json(Value::Object(tweak.fields.iter().cloned().collect())),
        Body::Json(json) => {
            let mut value = json.render(ctx).map_err(|(at, error)| {
                let key = at.iter().fold(origin.key("json"), |key, seg| key.key(seg));
                RenderError { key, error }
            })?;
            if let Value::Object(map) = &mut value {
                for (name, field) in &tweak.fields {
                    map.insert(name.clone(), field.clone());
                }
            }
            RenderedBody::Json(value)
        }
        Body::Form(fields) => {
            let mut out = Vec::new();
            for (i, (name, t)) in fields.iter().enumerate() {
                let key = crate::profile::form_key(origin, fields, i, name);
                out.push((name.clone(), fill(key, t)?));
            }
            for (name, field) in &tweak.fields {
                let text = match field {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                out.push((name.clone(), text));
            }
            RenderedBody::Form(out)
        }
        Body::Multipart(parts) => {
            let mut out = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let key = origin.key("multipart").index(i);
                let rendered = match &part.content {
                    PartContent::Text(t) => RenderedPart::Text(fill(key.key("value"), t)?),
                    PartContent::File {
                        filename,
                        content_type,
                    } => RenderedPart::File {
                        filename: fill(key.key("filename"), filename)?,
                        content_type: fill(key.key("content_type"), content_type)?,
                    },
                };
                out.push((part.name.clone(), rendered));
            }
            RenderedBody::Multipart(out)
        }
        Body::Raw {
            content,
            content_type,
        } => RenderedBody::Raw {
            text: match content {
                RawContent::Text(t) => Some(fill(origin.key("body"), t)?),
                RawContent::File => None,
            },
            content_type: fill(origin.key("content_type"), content_type)?,
        },
    })
}

/// Sending profile endpoints: render, then send. These live here, not in [`crate::http`], so that the HTTP
/// layer knows nothing of profiles.
impl Session {
    /// Send `endpoint` filled from `ctx`, with `file` as the bytes of a multipart file part or raw body,
    /// under the run's retry policy (see [`Session::send_rendered`]).
    pub async fn send(
        &self,
        settings: &HttpSettings,
        endpoint: &Endpoint,
        ctx: &Value,
        file: Option<&[u8]>,
    ) -> Result<Exchange, SendError> {
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
    ) -> Result<Exchange, SendError> {
        let request = render(settings, endpoint, ctx, tweak)?;
        Ok(self.send_rendered(settings, &request, file).await?)
    }
}

/// A curl command for `endpoint` filled from `ctx`, with nothing redacted: for `--keep-target`, whose user
/// asked for the credentials of a target that cloison started and that holds only synthetic data.
pub fn curl_in_clear(
    settings: &HttpSettings,
    endpoint: &Endpoint,
    ctx: &Value,
) -> Result<String, RenderError> {
    let request = render(settings, endpoint, ctx, &Tweak::default())?;
    Ok(request.summary(&Credential::default(), None).curl)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::http::{Redirects, RetryPolicy};

    /// An endpoint of `body`, for building requests without a profile.
    fn endpoint(method: reqwest::Method, body: Body) -> Endpoint {
        Endpoint {
            origin: KeyPath::root("resources").key("document").key("create"),
            method,
            path: Template::parse("/blobs").expect("valid"),
            query: Vec::new(),
            headers: vec![(
                "Content-Disposition".into(),
                Template::parse("attachment; filename=\"{{document.file_name}}\"").expect("valid"),
            )],
            body,
            extract: Vec::new(),
            ok: None,
            actor: None,
            refusals: None,
            marker: None,
            soft: None,
            granted: None,
            kind: None,
            poll: Default::default(),
            read: false,
            effect: None,
        }
    }

    fn settings() -> HttpSettings {
        HttpSettings {
            base_url: "http://127.0.0.1:9".into(),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::new(0, Duration::from_millis(1)),
            client: None,
            redirects: Redirects::default(),
            pace: None,
            liveness: Default::default(),
            pacer: std::sync::Arc::new(crate::http::Pacer::new(1, Duration::from_secs(1), None)),
        }
    }

    fn built(request: &RenderedRequest, file: Option<&[u8]>) -> reqwest::Request {
        let client = crate::http::client_builder().build().expect("a client");
        request
            .build(&client, &Credential::default(), file)
            .build()
            .expect("a request")
    }

    #[test]
    fn raw_bodies_are_the_documents_bytes_or_a_filled_template() {
        let t = |text: &str| Template::parse(text).expect("valid");
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
        let rendered = render(&settings(), &file, &ctx, &Tweak::default()).expect("fills");
        let request = built(&rendered, Some(b"%PDF-1.7 bytes"));
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
        let curl = rendered
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
        let rendered = render(&settings(), &text, &ctx, &Tweak::default()).expect("fills");
        let request = built(&rendered, None);
        assert_eq!(
            request.body().and_then(|b| b.as_bytes()),
            Some(&b"note: Relu le 3 mars"[..])
        );
        assert_eq!(
            request.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert!(String::from_utf8_lossy(&rendered.sent()).contains("note: Relu le 3 mars"));
        assert!(rendered.echoed_by(b"note: Relu le 3 mars\n"));
    }

    #[test]
    fn a_repeated_form_field_is_sent_once_per_value_in_order() {
        let t = |text: &str| Template::parse(text).expect("valid");
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
        let rendered = render(&settings(), &form, &ctx, &Tweak::default()).expect("fills");
        let request = built(&rendered, None);
        assert_eq!(
            request.body().and_then(|b| b.as_bytes()),
            Some(&b"mots=certificat&intitule=CR+1.pdf&mots=75-2024-000001%2FD1"[..])
        );
        // A template error names the value's place: the second `mots` is `form.mots[1]`.
        let missing = serde_json::json!({ "document": { "file_name": "x", "kind": "k" } });
        match render(&settings(), &form, &missing, &Tweak::default()) {
            Err(RenderError { key, .. }) => {
                assert_eq!(key.to_string(), "resources.document.create.form.mots[1]")
            }
            _ => panic!("the reference is missing"),
        }
    }

    #[test]
    fn a_tweak_adds_headers_query_and_fields_and_may_drop_the_credential() {
        let t = |text: &str| Template::parse(text).expect("valid");
        let form = endpoint(
            reqwest::Method::POST,
            Body::Form(vec![("intitule".into(), t("{{document.file_name}}"))]),
        );
        let ctx = serde_json::json!({ "document": { "file_name": "CR.pdf" } });
        let tweak = Tweak {
            headers: vec![("X-Tenant".into(), "t2".into())],
            query: vec![("tenant".into(), "t2".into())],
            fields: vec![("owner".into(), serde_json::json!(7))],
            anonymous: true,
        };
        let rendered = render(&settings(), &form, &ctx, &tweak).expect("fills");
        assert_eq!(rendered.full_url(), "http://127.0.0.1:9/blobs?tenant=t2");
        assert_eq!(
            rendered.headers.last(),
            Some(&("X-Tenant".to_string(), "t2".to_string()))
        );
        assert_eq!(
            rendered.body,
            RenderedBody::Form(vec![
                ("intitule".into(), "CR.pdf".into()),
                ("owner".into(), "7".into())
            ])
        );
        assert!(rendered.anonymous);
    }
}
