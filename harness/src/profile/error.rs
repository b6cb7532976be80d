//! Profile errors that name the file, the line, the column and what was expected.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// A segment of a key path inside a profile: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A key of a table.
    Key(String),
    /// An index in an array.
    Index(usize),
}

/// A key path, e.g. `resources.case.create.json.identity`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The path of top-level key `key`.
    pub fn root(key: &str) -> Self {
        KeyPath(vec![Seg::Key(key.into())])
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.into()));
        KeyPath(segs)
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        KeyPath(segs)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(key) if i == 0 => write!(f, "{key}")?,
                Seg::Key(key) => write!(f, ".{key}")?,
                Seg::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A profile that cannot be used, with where and why (boxed: errors stay small on the happy path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub Box<ProfileErrorDetail>);

impl std::ops::Deref for ProfileError {
    type Target = ProfileErrorDetail;

    fn deref(&self) -> &ProfileErrorDetail {
        &self.0
    }
}

impl From<ProfileErrorDetail> for ProfileError {
    fn from(detail: ProfileErrorDetail) -> Self {
        ProfileError(Box::new(detail))
    }
}

/// Where a profile error is and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileErrorDetail {
    /// The profile file (or a name such as `<embedded reference-portal.toml>`).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// The key path concerned, when known.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
    /// The offending line of the file, for display.
    pub excerpt: Option<String>,
}

impl fmt::Display for ProfileErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": ")?;
        // Keys and messages may echo the profile's values (a 1 MB string): bounded.
        if let Some(key) = &self.key {
            write!(f, "`{}`: ", crate::input::bounded(key))?;
        }
        write!(f, "{}", crate::input::bounded(&self.message))?;
        if let (Some(excerpt), Some(line), Some(column)) = (&self.excerpt, self.line, self.column) {
            let (excerpt, column) = window(excerpt, column);
            let gutter = line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{line} | {excerpt}\n{:gutter$} | {:>column$}",
                "", "", "^"
            )?;
        }
        Ok(())
    }
}

/// A line up to this long is shown whole.
const EXCERPT_WHOLE: usize = crate::input::MAX_ECHOED_WORD;
/// Characters of a longer line shown before and after the error's column.
const EXCERPT_BEFORE: usize = 80;
const EXCERPT_AFTER: usize = 80;

/// The part of a long line around `column` (1-based, in characters), marked `...` where it is cut, and the
/// column in that part.
fn window(line: &str, column: usize) -> (String, usize) {
    let count = line.chars().count();
    if count <= EXCERPT_WHOLE {
        return (line.to_string(), column);
    }
    let at = column.saturating_sub(1).min(count);
    let start = at.saturating_sub(EXCERPT_BEFORE);
    let end = (at + EXCERPT_AFTER).min(count);
    let mut out = String::new();
    let mut column = at - start + 1;
    if start > 0 {
        out.push_str("...");
        column += 3;
    }
    out.extend(line.chars().skip(start).take(end - start));
    if end < count {
        out.push_str("...");
    }
    (out, column)
}

/// Source text of a profile, to turn byte offsets and key paths into lines and columns.
pub struct Source<'a> {
    /// The file name shown in errors.
    pub file: &'a Path,
    /// The text.
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at a byte span (or at no position).
    pub fn error_at(
        &self,
        span: Option<Range<usize>>,
        key: Option<&KeyPath>,
        message: impl Into<String>,
    ) -> ProfileError {
        let (line, column, excerpt) = match span {
            Some(span) => {
                let start = span.start.min(self.text.len());
                let before = &self.text[..start];
                let line = before.matches('\n').count() + 1;
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                let column = self.text[line_start..start].chars().count() + 1;
                let line_end = self.text[line_start..]
                    .find('\n')
                    .map_or(self.text.len(), |i| line_start + i);
                (
                    Some(line),
                    Some(column),
                    Some(self.text[line_start..line_end].trim_end().to_string()),
                )
            }
            None => (None, None, None),
        };
        ProfileErrorDetail {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.map(ToString::to_string),
            message: message.into(),
            excerpt,
        }
        .into()
    }

    /// An error at a key path: located at the value (or the deepest existing parent) of that path.
    pub fn error_at_key(&self, key: &KeyPath, message: impl Into<String>) -> ProfileError {
        self.error_at(self.locate(key), Some(key), message)
    }

    /// The byte span of the value at `key`, or of its deepest existing ancestor.
    pub fn locate(&self, key: &KeyPath) -> Option<Range<usize>> {
        let doc = DeTable::parse(self.text).ok()?;
        let mut span = doc.span();
        let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
        for (depth, seg) in key.0.iter().enumerate() {
            let next = match (seg, value) {
                (Seg::Key(k), None) if depth == 0 => doc.get_ref().get(k.as_str()),
                (Seg::Key(k), Some(v)) => v.get_ref().as_table().and_then(|t| t.get(k.as_str())),
                (Seg::Index(i), Some(v)) => v.get_ref().as_array().and_then(|a| a.get(*i)),
                _ => None,
            };
            match next {
                Some(v) => {
                    span = v.span();
                    value = Some(v);
                }
                None => break,
            }
        }
        Some(span)
    }

    /// Convert a TOML parse or deserialisation error.
    pub fn from_toml(&self, err: &toml::de::Error) -> ProfileError {
        self.error_at(err.span(), None, err.message().trim_end().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_about_huge_values_print_a_bounded_message_and_excerpt() {
        let huge = "x".repeat(1_000_000);
        let text = format!("format = 1\nname = \"{huge}\"\n");
        let source = Source {
            file: Path::new("p.toml"),
            text: &text,
        };
        let at = text.find("xxx").expect("value") + 500_000;
        let err = source.error_at(
            Some(at..at + 1),
            Some(&KeyPath::root("name")),
            format!("`{huge}` is not a name: expected a short name"),
        );
        let shown = err.to_string();
        assert!(shown.len() < 1500, "{} bytes", shown.len());
        assert!(shown.starts_with("p.toml:2:"), "{shown}");
        assert!(shown.contains("(1000002 characters)"), "{shown}");
        assert!(shown.contains("expected a short name"), "{shown}");
        // The caret still points under the column, in the window of the line that is shown.
        let lines: Vec<&str> = shown.lines().collect();
        let excerpt = lines[2].split_once(" | ").expect("excerpt").1;
        let caret = lines[3].split_once(" | ").expect("caret").1;
        assert!(
            excerpt.starts_with("...") && excerpt.ends_with("..."),
            "{excerpt}"
        );
        assert_eq!(caret.len(), EXCERPT_BEFORE + 4, "{caret:?}");
        // Printed through the edge's bound, the excerpt and its caret are unchanged.
        assert_eq!(crate::input::bounded(&shown), shown);
    }

    #[test]
    fn short_lines_are_shown_whole() {
        assert_eq!(window("name = 1", 8), ("name = 1".to_string(), 8));
        let line = format!("k = \"{}\"", "y".repeat(200));
        let (shown, column) = window(&line, 1);
        assert_eq!(column, 1);
        assert!(
            shown.starts_with("k = ") && shown.ends_with("..."),
            "{shown}"
        );
    }
}
