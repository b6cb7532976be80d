//! Character sets other than UTF-8: the `charset` of the `Content-Type` (any label of the Encoding
//! Standard), or Windows-1252 (a superset of Latin-1) for a text that is not valid UTF-8.

use super::Step;
use super::walk::Walker;

/// The character set a `Content-Type` declares, unless it is UTF-8 (or unknown).
pub(super) fn declared_charset(content_type: &str) -> Option<&'static encoding_rs::Encoding> {
    let label = content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })?;
    encoding_rs::Encoding::for_label(label.as_bytes()).filter(|e| *e != encoding_rs::UTF_8)
}

/// Text in a single-byte charset: no control characters but tabs and line breaks.
pub(super) fn looks_like_text(input: &[u8]) -> bool {
    input
        .iter()
        .all(|&b| b >= 0x20 && b != 0x7f || matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
}

impl Walker<'_> {
    /// `input` read in `encoding`, as UTF-8, when that changes it.
    pub(super) fn charset(&mut self, encoding: &'static encoding_rs::Encoding, input: &[u8]) {
        let (text, _, _) = encoding.decode(input);
        if text.as_bytes() != input {
            let bytes = text.into_owned().into_bytes();
            self.emit(Step::Charset, bytes, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Limits;
    use crate::decode::testing::{SECRET, found, views};

    #[test]
    fn latin1_by_declared_charset_and_by_invalid_utf8() {
        let latin1: &[u8] = b"H\xe9l\xe8ne DUBOIS-CANARY, 12 rue de l'\xc9glise";
        assert!(found(
            latin1,
            Some("text/csv; charset=ISO-8859-1"),
            &[Step::Charset],
            SECRET
        ));
        assert!(found(latin1, None, &[Step::Charset], SECRET));
        // Windows-1252's typographic apostrophe (0x92).
        assert!(found(
            b"l\x92\xc9glise",
            Some("text/html;charset=\"windows-1252\""),
            &[Step::Charset],
            "l’Église"
        ));
        // Binary data is not text in another charset.
        let (views, _) = views(
            &[0x00, 0xff, 0x10, 0x80, 0x01, 0xfe],
            None,
            &Limits::default(),
        );
        assert!(views.is_empty());
        assert_eq!(declared_charset("application/json; charset=utf-8"), None);
    }
}
