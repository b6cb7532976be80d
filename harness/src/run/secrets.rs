//! The secrets file of a run (`--secrets`, or the profile's `secrets_file`): TOML strings only.

use serde_json::{Map, Value};

use crate::exit::CliError;

/// The secrets of a file, for `{{secrets.NAME}}`; a file that is not a table of strings is a usage error.
pub fn load_secrets(path: &std::path::Path) -> Result<Map<String, Value>, CliError> {
    let text = crate::input::read_text(path, "secrets file")
        .map_err(|e| CliError::usage(e.to_string()))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| CliError::usage(format!("{}: {}", path.display(), e.message().trim())))?;
    let mut out = Map::new();
    for (name, value) in table {
        match value {
            toml::Value::String(s) => {
                out.insert(name, s.into());
            }
            other => {
                return Err(CliError::usage(format!(
                    "{}: `{name}` is a {}: expected a string",
                    path.display(),
                    other.type_str()
                )));
            }
        }
    }
    Ok(out)
}
