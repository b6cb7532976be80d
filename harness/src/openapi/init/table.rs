//! The TOML of the written profile: tables with their keys in order and a comment each, strings quoted,
//! keys bare when they can be.

use std::fmt::Write as _;

/// A TOML value as written.
#[derive(Debug, Clone)]
pub(super) enum Item {
    /// A string.
    Str(String),
    /// TOML written as is (numbers, arrays, inline tables).
    Raw(String),
    /// A sub-table.
    Table(Table),
}

/// A TOML table: keys in order, each with an optional trailing comment.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    pub(super) entries: Vec<(String, Item, Option<String>)>,
}

impl Table {
    pub(super) fn str(&mut self, key: &str, value: impl Into<String>) {
        self.entries
            .push((key.into(), Item::Str(value.into()), None));
    }

    pub(super) fn raw(&mut self, key: &str, value: impl Into<String>) {
        self.entries
            .push((key.into(), Item::Raw(value.into()), None));
    }

    pub(super) fn commented(&mut self, key: &str, item: Item, comment: impl Into<String>) {
        self.entries.push((key.into(), item, Some(comment.into())));
    }
}

/// A TOML basic string.
pub(super) fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be.
pub(super) fn key(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        text.to_string()
    } else {
        quote(text)
    }
}

/// A table under its `[header]`: its values, then its sub-tables, each under its own header.
pub(super) fn write_table(out: &mut String, header: &str, table: &Table) {
    let _ = writeln!(out, "[{header}]");
    for (k, item, comment) in &table.entries {
        let value = match item {
            Item::Str(s) => quote(s),
            Item::Raw(r) => r.clone(),
            Item::Table(_) => continue,
        };
        let comment = comment
            .as_ref()
            .map_or_else(String::new, |c| format!("  # {c}"));
        let _ = writeln!(out, "{} = {value}{comment}", key(k));
    }
    for (k, item, comment) in &table.entries {
        if let Item::Table(sub) = item {
            out.push('\n');
            if let Some(c) = comment {
                let _ = writeln!(out, "# {c}");
            }
            write_table(out, &format!("{header}.{}", key(k)), sub);
        }
    }
}
