//! How a mock answers and what it reads from a request: JSON replies, file downloads, an operator's key, a
//! credential in `Authorization`, a session cookie, a file in a multipart form, HTTP Basic.

use axum::extract::Multipart;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `status` with a JSON body.
pub(crate) fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A file served as an attachment: its type, its name in `Content-Disposition`, its bytes.
pub(crate) fn file_answer(mime: String, name: &str, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Does the header `name` carry exactly `value` (an operator's key)?
pub(crate) fn header_is(headers: &HeaderMap, name: &str, value: &str) -> bool {
    headers
        .get(name)
        .is_some_and(|v| v.as_bytes() == value.as_bytes())
}

/// The credential of `Authorization: SCHEME credential`, `scheme` given with its space (`"Bearer "`).
pub(crate) fn credential<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix(scheme)
}

/// The value of the cookie `name` (given with its `=`: `"session="`) the request carries.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(header::COOKIE)?
        .to_str()
        .ok()?
        .split(';')
        .find_map(|pair| pair.trim().strip_prefix(name))
}

/// A file sent in a multipart form.
pub(crate) struct Upload {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// The field whose bytes could not be read.
#[derive(Debug)]
pub(crate) struct UnreadableField;

/// The last file of the multipart form in the field `field` (named `unnamed` if it carries no file name,
/// typed `application/octet-stream` if it says no type), `None` if there is none.
pub(crate) async fn upload(
    multipart: &mut Multipart,
    field: &str,
    unnamed: &str,
) -> Result<Option<Upload>, UnreadableField> {
    let mut file = None;
    while let Ok(Some(part)) = multipart.next_field().await {
        if part.name() == Some(field) {
            let name = part.file_name().unwrap_or(unnamed).to_string();
            let mime = part
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = part.bytes().await.map_err(|_| UnreadableField)?;
            file = Some(Upload {
                name,
                mime,
                bytes: bytes.to_vec(),
            });
        }
    }
    Ok(file)
}

/// Decode standard base64 (padding optional); `None` for anything else. For mocks that read HTTP Basic.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = text.trim_end_matches('=').bytes().collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Some(out)
}

/// The string at `key` of a JSON body, empty if it is missing or no string.
pub(crate) fn text(body: &Value, key: &str) -> String {
    body[key].as_str().unwrap_or_default().to_string()
}

/// `404 {"error": "not found"}`.
pub(crate) fn not_found() -> Response {
    reply(
        StatusCode::NOT_FOUND,
        serde_json::json!({ "error": "not found" }),
    )
}
