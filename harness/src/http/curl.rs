//! Curl reproducers: a command that replays a request, with credentials redacted.

use super::exchange::RequestSummary;
use super::request::{RenderedBody, RenderedPart, RenderedRequest};
use super::session::Credential;
use crate::redact::Hide;

/// Replace every secret value in `text`: a credential's few values, or the run's whole set (see
/// [`Hide`]; a run holds hundreds of thousands of credential forms at 50,000 case files, issue 23).
pub fn redact(text: &str, secrets: &(impl Hide + ?Sized)) -> String {
    secrets.hide(text)
}

/// Quote for a POSIX shell.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

impl RenderedRequest {
    /// The request as sent, for reports: method, full URL and a curl command that replays it, with the
    /// credential's headers, password and secrets redacted. `file` is the document a file part or a raw
    /// body sends (only its size is printed).
    pub fn summary(&self, credential: &Credential, file: Option<&[u8]>) -> RequestSummary {
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
        curl_body(&mut curl, &self.body, file.map_or(0, <[u8]>::len));
        RequestSummary {
            method: self.method.to_string(),
            url,
            curl: redact(&curl, &credential.secrets),
        }
    }
}

/// Append the curl options that send `body`; `size` is the document's size, for a file part or raw body.
fn curl_body(curl: &mut String, body: &RenderedBody, size: usize) {
    match body {
        RenderedBody::None => {}
        RenderedBody::Json(value) => {
            curl.push_str(" -H 'content-type: application/json' --data-raw ");
            curl.push_str(&shell_quote(&value.to_string()));
        }
        RenderedBody::Form(fields) => {
            for (k, v) in fields {
                curl.push_str(&format!(
                    " --data-urlencode {}",
                    shell_quote(&format!("{k}={v}"))
                ));
            }
        }
        RenderedBody::Multipart(parts) => {
            for (name, part) in parts {
                match part {
                    RenderedPart::Text(text) => {
                        curl.push_str(&format!(" -F {}", shell_quote(&format!("{name}={text}"))))
                    }
                    RenderedPart::File {
                        filename,
                        content_type,
                    } => {
                        curl.push_str(&format!(
                            " -F {}",
                            shell_quote(&format!(
                                "{name}=@FILE;filename={filename};type={content_type}"
                            ))
                        ));
                        curl.push_str(&format!(" # FILE: the generated document ({size} bytes)"));
                    }
                }
            }
        }
        RenderedBody::Raw { text, content_type } => {
            curl.push_str(&format!(
                " -H {}",
                shell_quote(&format!("content-type: {content_type}"))
            ));
            match text {
                Some(text) => {
                    curl.push_str(" --data-binary ");
                    curl.push_str(&shell_quote(text));
                }
                None => curl.push_str(&format!(
                    " --data-binary @FILE # FILE: the generated document ({size} bytes)"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_redaction() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(
            redact("token abcd1234 here", &["abcd1234"]),
            "token <redacted> here"
        );
    }

    #[test]
    fn every_secret_among_thousands_is_redacted_wherever_it_is() {
        let mut secrets: Vec<String> = (0..20_000).map(|i| format!("Hold-{i:016x}-Cl")).collect();
        secrets.push("abc".into()); // too short to be a secret
        secrets.push("zz-at-the-end".into());
        let text = format!(
            "{}&password={}&x=abc&y=zz-at-the-end",
            secrets[7], secrets[19_999]
        );
        assert_eq!(
            redact(&text, &secrets),
            "<redacted>&password=<redacted>&x=abc&y=<redacted>"
        );
        assert_eq!(redact("no secret", &secrets), "no secret");
        // A secret at the very start, of exactly four bytes.
        assert_eq!(redact("wxyz-", &["wxyz"]), "<redacted>-");
    }

    #[test]
    fn a_reproducer_redacts_the_credential_and_its_secrets() {
        let request = RenderedRequest {
            method: reqwest::Method::POST,
            url: "http://127.0.0.1:9/api/notes".into(),
            query: vec![("q".into(), "a b".into())],
            headers: vec![("X-Trace".into(), "it's s3cr3t-token".into())],
            body: RenderedBody::Form(vec![("texte".into(), "bonjour".into())]),
            anonymous: false,
            login_redirect: None,
            read: false,
        };
        let credential = Credential {
            who: "ana@a.test".into(),
            headers: vec![("Authorization".into(), "Bearer s3cr3t-token".into())],
            basic: Some(("ana".into(), "pw".into())),
            secrets: vec!["s3cr3t-token".into()],
        };
        assert_eq!(
            request.summary(&credential, None).curl,
            "curl -sS -X POST 'http://127.0.0.1:9/api/notes?q=a+b' -H 'X-Trace: it'\\''s <redacted>' \
             -H 'Authorization: <redacted: credential of ana@a.test>' -u 'ana:<redacted>' \
             --data-urlencode 'texte=bonjour'"
        );
    }
}
