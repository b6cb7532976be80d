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

/// A profile that cannot be used, with where and why: one located error or several (boxed: errors stay
/// small on the happy path). It reads as its first error ([`ProfileErrorDetail`]); [`ProfileError::all`]
/// gives every one, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError(Box<Errors>);

/// The errors of a profile: the first, the others kept (at most [`MAX_ERRORS`] in all), and how many more
/// were found.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Errors {
    first: ProfileErrorDetail,
    more: Vec<ProfileErrorDetail>,
    unlisted: usize,
}

/// The most errors a profile reports at once; the others are counted.
pub const MAX_ERRORS: usize = 20;

/// Bytes of errors printed at most (the rest are counted): a profile with many long mistakes still fits a
/// terminal and the documented bound on standard error.
const MAX_SHOWN_BYTES: usize = 6 * 1024;

impl ProfileError {
    /// Several errors as one, in file order (line, then column; errors without a place last), duplicates
    /// dropped, at most [`MAX_ERRORS`] kept. `None` when there is none.
    pub fn several(errors: Vec<ProfileError>) -> Option<ProfileError> {
        let mut all: Vec<ProfileErrorDetail> = Vec::new();
        let mut unlisted = 0;
        for error in errors {
            let Errors {
                first,
                more,
                unlisted: n,
            } = *error.0;
            all.push(first);
            all.extend(more);
            unlisted += n;
        }
        all.sort_by_key(|e| (e.line.is_none(), e.line, e.column));
        all.dedup();
        if all.len() > MAX_ERRORS {
            unlisted += all.len() - MAX_ERRORS;
            all.truncate(MAX_ERRORS);
        }
        let mut all = all.into_iter();
        let first = all.next()?;
        Some(ProfileError(Box::new(Errors {
            first,
            more: all.collect(),
            unlisted,
        })))
    }

    /// Every error kept, in file order.
    pub fn all(&self) -> impl Iterator<Item = &ProfileErrorDetail> {
        std::iter::once(&self.0.first).chain(&self.0.more)
    }

    /// How many errors were found (kept or not).
    pub fn count(&self) -> usize {
        1 + self.0.more.len() + self.0.unlisted
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.first.to_string();
        let mut listed = 1;
        for error in &self.0.more {
            let text = error.to_string();
            if shown.len() + text.len() > MAX_SHOWN_BYTES {
                break;
            }
            shown.push_str("\n\n");
            shown.push_str(&text);
            listed += 1;
        }
        let unlisted = self.count() - listed;
        if unlisted > 0 {
            let s = if unlisted == 1 { "" } else { "s" };
            shown.push_str(&format!(
                "\n\n... and {unlisted} more error{s} ({} in all): fix these and load the profile again",
                self.count()
            ));
        }
        f.write_str(&shown)
    }
}

impl std::error::Error for ProfileError {}

impl std::ops::Deref for ProfileError {
    type Target = ProfileErrorDetail;

    fn deref(&self) -> &ProfileErrorDetail {
        &self.0.first
    }
}

impl From<ProfileErrorDetail> for ProfileError {
    fn from(detail: ProfileErrorDetail) -> Self {
        ProfileError(Box::new(Errors {
            first: detail,
            more: Vec::new(),
            unlisted: 0,
        }))
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
    fn several_errors_print_in_file_order_each_once_capped_and_counted() {
        let text = "a = 1\nb = 2\nc = 3\n";
        let source = Source {
            file: Path::new("p.toml"),
            text,
        };
        let at = |key: &str| source.error_at_key(&KeyPath::root(key), format!("{key} is wrong"));
        let one = ProfileError::several(vec![at("a")]).expect("one");
        assert_eq!(one, at("a"), "one error is that error");
        assert_eq!(one.to_string(), at("a").to_string());
        let err = ProfileError::several(vec![at("c"), at("a"), at("b"), at("a")]).expect("three");
        assert_eq!(err.count(), 3);
        let shown = err.to_string();
        let blocks: Vec<&str> = shown.split("\n\n").collect();
        assert_eq!(blocks.len(), 3, "{shown}");
        assert!(
            blocks[0].starts_with("p.toml:1:5: `a`: a is wrong"),
            "{shown}"
        );
        assert!(blocks[1].starts_with("p.toml:2:5: `b`"), "{shown}");
        assert!(blocks[2].starts_with("p.toml:3:5: `c`"), "{shown}");
        // Nested: an error made of several flattens into the list.
        let nested = ProfileError::several(vec![err, at("b")]).expect("nested");
        assert_eq!(nested.count(), 3);
        let many: Vec<ProfileError> = (0..MAX_ERRORS + 5)
            .map(|i| source.error_at(Some(i % 5..i % 5 + 1), None, format!("mistake {i}")))
            .collect();
        let capped = ProfileError::several(many).expect("many");
        assert_eq!(capped.all().count(), MAX_ERRORS);
        assert_eq!(capped.count(), MAX_ERRORS + 5);
        assert!(
            capped.to_string().ends_with(
                "... and 5 more errors (25 in all): fix these and load the profile again"
            ),
            "{capped}"
        );
        assert!(ProfileError::several(Vec::new()).is_none());
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
