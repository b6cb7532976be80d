//! Reading a document: from a file, or fetched from an `http(s)://` URL, within [`MAX_DOCUMENT_BYTES`].

use std::path::Path;
use std::time::Duration;

use super::{Document, MAX_DOCUMENT_BYTES, OpenApiError};

/// Read a document from a file, or from an `http(s)://` URL.
pub async fn load(spec: &str, timeout: Duration) -> Result<Document, OpenApiError> {
    if spec.starts_with("http://") || spec.starts_with("https://") {
        let text = fetch(spec, timeout).await?;
        Document::parse(spec, &text)
    } else {
        let text =
            crate::input::read_text_up_to(Path::new(spec), "OpenAPI document", MAX_DOCUMENT_BYTES)?;
        Document::parse(spec, &text)
    }
}

/// Fetch a document over HTTP (any 2xx).
pub async fn fetch(url: &str, timeout: Duration) -> Result<String, OpenApiError> {
    let failed = |reason: String| OpenApiError::Fetch {
        url: url.to_string(),
        reason,
    };
    let client = crate::http::client_builder()
        .timeout(timeout)
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!("answered {status}")));
    }
    // Read as it comes, and no further than the limit: a huge answer is never held.
    let too_large = || failed(format!("larger than {MAX_DOCUMENT_BYTES} bytes"));
    if response
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if (bytes.len() + chunk.len()) as u64 > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| failed("not UTF-8 text".into()))
}
