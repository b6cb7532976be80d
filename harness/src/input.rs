//! Reading the user's input files safely: only regular files, at most a size limit, and text that is UTF-8,
//! with the line and column of the first byte that is not.

use std::io::Read;
use std::path::Path;

/// Profiles, secrets files and other TOML inputs are small: anything larger is a mistake.
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read the {what}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// What it was meant to be.
        what: &'static str,
        /// The operating system's reason.
        reason: String,
    },
    /// Not a regular file (a directory, a FIFO, a device such as /dev/zero).
    #[error("{path}: the {what} must be a regular file, not {kind}")]
    NotAFile {
        /// The file.
        path: String,
        /// What it was meant to be.
        what: &'static str,
        /// What it is.
        kind: &'static str,
    },
    /// Larger than [`MAX_INPUT_BYTES`].
    #[error("{path}: the {what} is larger than {limit} bytes: expected a small text file")]
    TooLarge {
        /// The file.
        path: String,
        /// What it was meant to be.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// Not UTF-8.
    #[error("{path}:{line}:{column}: the {what} is not UTF-8 text (invalid byte 0x{byte:02x})")]
    NotUtf8 {
        /// The file.
        path: String,
        /// What it was meant to be.
        what: &'static str,
        /// Line of the first invalid byte (1-based).
        line: usize,
        /// Column of the first invalid byte (1-based, in bytes).
        column: usize,
        /// The byte.
        byte: u8,
    },
}

impl InputError {
    /// The reason without the file's name and position (for errors that name them themselves).
    pub fn reason(&self) -> String {
        match self {
            InputError::Unreadable { what, reason, .. } => {
                format!("cannot read the {what}: {reason}")
            }
            InputError::NotAFile { what, kind, .. } => {
                format!("the {what} must be a regular file, not {kind}")
            }
            InputError::TooLarge { what, limit, .. } => {
                format!("the {what} is larger than {limit} bytes: expected a small text file")
            }
            InputError::NotUtf8 { what, byte, .. } => {
                format!("the {what} is not UTF-8 text (invalid byte 0x{byte:02x})")
            }
        }
    }
}

/// Read a small text file given by the user: a regular file, at most [`MAX_INPUT_BYTES`], UTF-8.
pub fn read_text(path: &Path, what: &'static str) -> Result<String, InputError> {
    read_text_up_to(path, what, MAX_INPUT_BYTES)
}

/// [`read_text`] with another size limit (reports are larger than profiles).
pub fn read_text_up_to(path: &Path, what: &'static str, limit: u64) -> Result<String, InputError> {
    let shown = path.display().to_string();
    let unreadable = |err: std::io::Error| InputError::Unreadable {
        path: shown.clone(),
        what,
        reason: err.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "a device, pipe or socket"
        };
        return Err(InputError::NotAFile {
            path: shown,
            what,
            kind,
        });
    }
    if meta.len() > limit {
        return Err(InputError::TooLarge {
            path: shown,
            what,
            limit,
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(unreadable)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: shown,
            what,
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        let before = &bytes[..valid];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        InputError::NotUtf8 {
            path: shown,
            what,
            line,
            column,
            byte: bytes.get(valid).copied().unwrap_or(0),
        }
    })
}

/// Check that an output path can be written without blocking: it does not exist yet, or it is a regular
/// file or a character device (`/dev/null`). A FIFO would block the run until a reader opens it (and lose
/// the report when the check's own write closes it), a socket cannot be opened, a directory is not a file.
pub fn check_output(path: &Path) -> Result<(), std::io::Error> {
    use std::os::unix::fs::FileTypeExt as _;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let kind = meta.file_type();
    let what = if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        return Ok(());
    };
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {what}: expected a regular file or a path that does not exist yet"),
    ))
}

/// A value echoed in an error message, cut to at most `max` characters.
pub fn capped(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max).collect();
        out.push_str(&format!("... ({} characters)", text.chars().count()));
        out
    }
}

/// Longest word (a run of characters without white space) an error message echoes whole: as long as the
/// longest profile line an error shows whole, so that the caret under it stays in place.
pub const MAX_ECHOED_WORD: usize = 200;
/// Longest error message printed (characters).
pub const MAX_MESSAGE: usize = 4000;

/// An error message fit to print: every word longer than [`MAX_ECHOED_WORD`] (a value the user or a target
/// gave, echoed) is cut, and the whole is cut at [`MAX_MESSAGE`] characters. Each cut says how long the
/// original was. Short messages are returned unchanged.
pub fn bounded(text: &str) -> String {
    if text.len() <= MAX_ECHOED_WORD {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE + 64));
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().count() > MAX_ECHOED_WORD {
            // The cut word with its `...` is no longer than the limit: bounding twice changes nothing.
            out.push_str(&capped(word, MAX_ECHOED_WORD - 3));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
        if out.len() > 4 * MAX_MESSAGE {
            break;
        }
    }
    flush(&mut word, &mut out);
    if out.chars().count() <= MAX_MESSAGE {
        return out;
    }
    let mut cut: String = out.chars().take(MAX_MESSAGE).collect();
    cut.push_str(&format!("... ({} characters)", text.chars().count()));
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_utf8_files_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = dir.path().join("ok.toml");
        std::fs::write(&ok, "a = 1\n").expect("write");
        assert_eq!(read_text(&ok, "profile").expect("read"), "a = 1\n");
        assert!(matches!(
            read_text(dir.path(), "profile"),
            Err(InputError::NotAFile { .. })
        ));
        assert!(matches!(
            read_text(Path::new("/dev/zero"), "profile"),
            Err(InputError::NotAFile { .. })
        ));
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, b"a = 1\nname = \"caf\xe9\"\n").expect("write");
        let err = read_text(&bad, "profile").expect_err("not UTF-8");
        assert_eq!(
            err.to_string(),
            format!(
                "{}:2:12: the profile is not UTF-8 text (invalid byte 0xe9)",
                bad.display()
            )
        );
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; (MAX_INPUT_BYTES + 1) as usize]).expect("write");
        assert!(matches!(
            read_text(&big, "profile"),
            Err(InputError::TooLarge { .. })
        ));
        assert!(matches!(
            read_text(&dir.path().join("missing"), "profile"),
            Err(InputError::Unreadable { .. })
        ));
    }

    #[test]
    fn long_words_and_long_messages_are_cut() {
        assert_eq!(bounded("short message"), "short message");
        let value = "v".repeat(1_000_000);
        let message = bounded(&format!("unknown variant `{value}`, expected `a` or `b`"));
        assert!(message.len() < 300, "{}", message.len());
        assert!(message.starts_with("unknown variant `vvv"));
        // The word cut is the value with its quotes and comma; what follows it is kept.
        assert!(message.contains("... (1000003 characters)"), "{message}");
        assert!(message.ends_with(" expected `a` or `b`"), "{message}");
        assert_eq!(bounded(&message), message, "bounding twice changes nothing");
        let many = "word ".repeat(10_000);
        let message = bounded(&many);
        assert!(
            message.chars().count() <= MAX_MESSAGE + 40,
            "{}",
            message.len()
        );
        assert!(message.ends_with("characters)"), "{message}");
    }

    #[test]
    fn outputs_that_would_block_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(check_output(&dir.path().join("new.json")).is_ok());
        let file = dir.path().join("old.json");
        std::fs::write(&file, "{}").expect("write");
        assert!(check_output(&file).is_ok());
        assert!(check_output(Path::new("/dev/null")).is_ok());
        let err = check_output(dir.path()).expect_err("a directory");
        assert!(err.to_string().contains("a directory"), "{err}");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let err = check_output(&fifo).expect_err("a FIFO");
        assert!(err.to_string().contains("FIFO"), "{err}");
    }

    #[test]
    fn echoed_values_are_capped() {
        assert_eq!(capped("abc", 5), "abc");
        assert_eq!(capped(&"x".repeat(10), 3), "xxx... (10 characters)");
    }
}
