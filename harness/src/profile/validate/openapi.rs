//! `openapi`: where the platform's OpenAPI document is.

use std::path::Path;

use super::Validator;
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::OpenApiSource;

impl Validator<'_> {
    /// `openapi`: a path on the target, an http(s) URL, or a file relative to the profile's directory.
    pub(super) fn openapi(
        &self,
        raw: Option<String>,
        base: Option<&Path>,
    ) -> Result<Option<OpenApiSource>, ProfileError> {
        let Some(text) = raw else {
            return Ok(None);
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(self.err(
                &KeyPath::root("openapi"),
                "empty: expected a path on the target (`/openapi.json`), an http(s) URL, or a file (`file:PATH`)",
            ));
        }
        if text.starts_with('/') {
            return Ok(Some(OpenApiSource::Target(text.to_string())));
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(Some(OpenApiSource::Url(text.to_string())));
        }
        let file = Path::new(text.strip_prefix("file:").unwrap_or(text));
        Ok(Some(OpenApiSource::File(match base {
            Some(base) if file.is_relative() => base.join(file),
            _ => file.to_path_buf(),
        })))
    }
}
