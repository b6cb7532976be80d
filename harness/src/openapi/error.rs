//! Why a document could not be read: each error names the document, and where in it (a line and column
//! for JSON syntax, a JSON pointer for a value of the wrong shape).

use serde_json::Value;

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// The file could not be read.
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// The URL could not be fetched.
    #[error("{url}: cannot fetch the OpenAPI document: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Not JSON.
    #[error("{source_name}:{line}:{column}: the OpenAPI document is not valid JSON: {message}")]
    Json {
        /// File or URL.
        source_name: String,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// YAML, which this version does not read.
    #[error(
        "{0}: the OpenAPI document looks like YAML: cloison reads JSON documents; convert it first (for example `yq -o=json . FILE > FILE.json`)"
    )]
    Yaml(String),
    /// Not an OpenAPI 3.x document.
    #[error("{source_name}: {message}")]
    Version {
        /// File or URL.
        source_name: String,
        /// What was found.
        message: String,
    },
    /// A part of the document does not have the shape OpenAPI gives it.
    #[error("{source_name}: at {at}: {expected}")]
    Shape {
        /// File or URL.
        source_name: String,
        /// JSON pointer of the offending value.
        at: String,
        /// What was expected.
        expected: String,
    },
}

/// The error for a text that is not JSON: YAML (refused with a hint), else the position of the mistake.
pub(super) fn not_json(source: &str, text: &str, err: &serde_json::Error) -> OpenApiError {
    let trimmed = text.trim_start();
    let yaml = trimmed.starts_with("openapi:")
        || trimmed.starts_with("swagger:")
        || trimmed.starts_with("---")
        || (!trimmed.starts_with('{') && trimmed.contains("\npaths:"));
    if yaml {
        return OpenApiError::Yaml(source.to_string());
    }
    OpenApiError::Json {
        source_name: source.to_string(),
        line: err.line(),
        column: err.column(),
        message: err
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or("")
            .to_string(),
    }
}

/// What a JSON value is, in an error message.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
