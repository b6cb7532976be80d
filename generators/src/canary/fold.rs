//! The one canonical form canaries are matched in: letters with diacritics folded to their base letters,
//! typographic apostrophes to `'`, and the escapes a JSON, HTML or XML body writes characters with undone
//! (`\u00e9`, `\uD83D\uDE00`, `\/`, `\n`, `&#233;`, `&#x27;`). A canary is one pattern in this form, whatever
//! escaping a response uses, so the matcher does not grow with the forms (issue 23).

/// A text in the form canaries are matched in, with what is needed to find offsets in the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    /// The folded bytes.
    pub bytes: Vec<u8>,
    /// Each replaced character or escape: its range in the folded bytes and in the original.
    replaced: Vec<(usize, usize, usize, usize)>,
    /// How many escapes were undone.
    pub escapes: usize,
}

impl Folded {
    /// The offset in the original text of offset `at` of the folded one (`end`: the end of a range, rounded
    /// up inside a replaced character).
    pub fn original(&self, at: usize, end: bool) -> usize {
        let i = self.replaced.partition_point(|r| r.0 <= at);
        let Some(&(f_start, f_end, o_start, o_end)) = i.checked_sub(1).map(|i| &self.replaced[i])
        else {
            return at;
        };
        if at >= f_end {
            o_end + (at - f_end)
        } else if at == f_start || !end {
            o_start
        } else {
            o_end
        }
    }
}

/// The ASCII form of a letter with diacritics (`é` -> `e`, `Œ` -> `OE`, `ß` -> `ss`), `'` for typographic
/// apostrophes; `None` for ASCII and for every other character (kept as it is).
fn fold_char(c: char) -> Option<&'static str> {
    /// U+00C0 to U+00FF, the letters of French and its neighbours (`×` and `÷` are no letters).
    const LATIN1: [&str; 64] = [
        "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I", "D", "N",
        "O", "O", "O", "O", "O", "", "O", "U", "U", "U", "U", "Y", "TH", "ss", "a", "a", "a", "a",
        "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o",
        "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    ];
    match c {
        '\u{c0}'..='\u{ff}' => Some(LATIN1[c as usize - 0xc0]).filter(|s| !s.is_empty()),
        '\u{2018}' | '\u{2019}' | '\u{02bc}' => Some("'"),
        c if c.is_alphabetic() && !c.is_ascii() => deunicode::deunicode_char(c)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic())),
        _ => None,
    }
}

/// The value of `n` hex digits at the start of `bytes`.
fn hex(bytes: &[u8], n: usize) -> Option<u32> {
    let digits = bytes.get(..n)?;
    digits
        .iter()
        .try_fold(0u32, |v, &b| Some(v * 16 + char::from(b).to_digit(16)?))
}

/// The JSON escape at the start of `bytes` (which starts with `\`): the character and the escape's length.
/// `\uXXXX` (a surrogate pair as two escapes), `\/`, `\n`, `\r`, `\t`; `None` for anything else (`\\`
/// is left alone, so that a doubly escaped `\\u00e9` still gives `é`).
fn json_escape(bytes: &[u8]) -> Option<(char, usize)> {
    match bytes.get(1)? {
        b'/' => Some(('/', 2)),
        b'n' => Some(('\n', 2)),
        b'r' => Some(('\r', 2)),
        b't' => Some(('\t', 2)),
        b'u' => {
            let unit = hex(&bytes[2..], 4)?;
            if (0xd800..0xdc00).contains(&unit) {
                let low = bytes
                    .get(6..8)
                    .filter(|s| *s == b"\\u")
                    .and_then(|_| hex(&bytes[8..], 4))
                    .filter(|low| (0xdc00..0xe000).contains(low))?;
                let c = char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))?;
                return Some((c, 12));
            }
            Some((char::from_u32(unit)?, 6))
        }
        _ => None,
    }
}

/// The numeric character reference at the start of `bytes` (which starts with `&`): `&#233;`, `&#xE9;`.
fn numeric_reference(bytes: &[u8]) -> Option<(char, usize)> {
    let rest = bytes.strip_prefix(b"&#")?;
    let (radix, digits) = match rest.first()? {
        b'x' | b'X' => (16, &rest[1..]),
        _ => (10, rest),
    };
    let len = digits.iter().take(8).position(|&b| b == b';')?;
    let text = std::str::from_utf8(&digits[..len]).ok()?;
    let value = u32::from_str_radix(text, radix).ok()?;
    if len == 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((char::from_u32(value)?, bytes.len() - digits.len() + len + 1))
}

/// Whether `text` may hold an escape: a `\` or a `&`.
pub fn may_hold_escapes(text: &[u8]) -> bool {
    text.contains(&b'\\') || text.contains(&b'&')
}

/// Fold a text for matching: letters with diacritics to their base letters, typographic apostrophes to `'`,
/// everything else (ASCII, other characters, bytes that are not UTF-8) unchanged. `None` when nothing
/// changes, so that ASCII text is never copied. Case is left alone (matching ignores ASCII case).
/// Escapes are left as they are: see [`fold_unescaped`].
pub fn fold(text: &[u8]) -> Option<Folded> {
    if text.is_ascii() {
        return None;
    }
    fold_with(text, false)
}

/// [`fold`], with JSON escapes (`\u00e9`, `\/`, `\n`) and numeric character references (`&#39;`,
/// `&#xE9;`) also undone to the character they stand for (folded in turn). `None` when no escape is undone:
/// the text is then matched as [`fold`] gives it. A text is matched in both forms, so that a literal
/// backslash before a canary (`C:\\nom`, where undoing `\n` would eat the canary's first letter) does not
/// hide it.
pub fn fold_unescaped(text: &[u8]) -> Option<Folded> {
    if !holds_escape(text) {
        return None;
    }
    fold_with(text, true).filter(|f| f.escapes > 0)
}

/// Whether `text` holds a JSON escape or a numeric character reference that [`fold_unescaped`] undoes.
fn holds_escape(text: &[u8]) -> bool {
    if !may_hold_escapes(text) {
        return false;
    }
    text.iter().enumerate().any(|(i, &b)| match b {
        b'\\' => json_escape(&text[i..]).is_some(),
        b'&' => numeric_reference(&text[i..]).is_some(),
        _ => false,
    })
}

fn fold_with(text: &[u8], unescape: bool) -> Option<Folded> {
    let mut out = Folded {
        bytes: Vec::with_capacity(text.len()),
        replaced: Vec::new(),
        escapes: 0,
    };
    let mut offset = 0;
    for chunk in text.utf8_chunks() {
        let valid = chunk.valid();
        let bytes = valid.as_bytes();
        let mut last = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii() && !(unescape && (b == b'\\' || b == b'&')) {
                i += 1;
                continue;
            }
            let Some(c) = valid[i..].chars().next() else {
                break;
            };
            let escaped = match c {
                '\\' => json_escape(&bytes[i..]),
                '&' => numeric_reference(&bytes[i..]),
                _ => None,
            };
            out.escapes += usize::from(escaped.is_some());
            let (decoded, len) = escaped.unwrap_or((c, c.len_utf8()));
            let mut buf = [0u8; 4];
            let replacement = match fold_char(decoded) {
                Some(ascii) => Some(ascii),
                None if escaped.is_some() => Some(&*decoded.encode_utf8(&mut buf)),
                None => None,
            };
            if let Some(replacement) = replacement {
                out.bytes.extend_from_slice(&bytes[last..i]);
                let f_start = out.bytes.len();
                out.bytes.extend_from_slice(replacement.as_bytes());
                let o_start = offset + i;
                out.replaced
                    .push((f_start, out.bytes.len(), o_start, o_start + len));
                last = i + len;
            }
            i += len;
        }
        out.bytes.extend_from_slice(&bytes[last..]);
        out.bytes.extend_from_slice(chunk.invalid());
        offset += valid.len() + chunk.invalid().len();
    }
    if out.replaced.is_empty() {
        return None;
    }
    Some(out)
}

/// The folded bytes of a value (the value itself when folding changes nothing); escapes are not undone: a
/// value holds none.
pub(super) fn folded_bytes(value: &str) -> Vec<u8> {
    fold(value.as_bytes()).map_or_else(|| value.as_bytes().to_vec(), |f| f.bytes)
}

/// A value as matched: folded, and in lower case (the key under which folded values are unique).
pub fn match_key(value: &str) -> String {
    String::from_utf8_lossy(&folded_bytes(value)).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> String {
        let f = fold_unescaped(text.as_bytes()).or_else(|| fold(text.as_bytes()));
        String::from_utf8(f.map_or_else(|| text.as_bytes().to_vec(), |f| f.bytes)).unwrap()
    }

    #[test]
    fn folding_leaves_ascii_alone_and_is_not_a_copy() {
        assert_eq!(fold(b"DUPONT 12 rue"), None);
        assert_eq!(fold("€ 12".as_bytes()), None, "no letter to fold");
        assert_eq!(fold(b"a \\u00e9 &#39;"), None, "escapes are another fold's");
        assert_eq!(
            fold_unescaped(b"a & b \\\\ c \\x"),
            None,
            "no escape to undo"
        );
        let folded = fold("Ça coûte".as_bytes()).map(|f| f.bytes);
        assert_eq!(folded.as_deref(), Some(&b"Ca coute"[..]));
    }

    #[test]
    fn escapes_are_undone_and_folded() {
        for (text, expected) in [
            ("H\\u00e9l\\u00E8ne", "Helene"),
            ("l\\u0027\\u00c9glise", "l'Eglise"),
            ("l\\u2019eglise", "l'eglise"),
            ("12\\/34", "12/34"),
            ("a\\nDupont\\tb\\r", "a\nDupont\tb\r"),
            ("l&#39;&#xC9;glise &#X27; &#233;", "l'Eglise ' e"),
            ("\\uD83D\\uDE00", "\u{1f600}"),
            ("\\u20ac", "€"),
            // Doubly escaped (a JSON document in a JSON string): the inner escape is still undone.
            ("H\\\\u00e9l\\\\u00e8ne", "H\\el\\ene"),
        ] {
            assert_eq!(folded(text), expected, "{text}");
        }
        // Not escapes: left as they are.
        for text in [
            "\\u00g9",
            "\\uD83D",
            "\\uD83Dx",
            "&#;",
            "&#x;",
            "&#12",
            "&#xZZ;",
            "\\q",
            "&#-1;",
            "&#1114112;",
        ] {
            assert_eq!(folded(text), text, "{text}");
        }
    }

    #[test]
    fn offsets_of_escapes_are_those_of_the_original() {
        let text = "x \\u00c9glise &#233;t\\u00e9";
        let f = fold_unescaped(text.as_bytes()).unwrap();
        assert_eq!(f.bytes, b"x Eglise ete");
        let at = |s: &str| {
            f.bytes
                .windows(s.len())
                .position(|w| w == s.as_bytes())
                .unwrap()
        };
        let (s, e) = (at("Eglise"), at("Eglise") + 6);
        assert_eq!(
            &text[f.original(s, false)..f.original(e, true)],
            "\\u00c9glise"
        );
        let (s, e) = (at("ete"), at("ete") + 3);
        assert_eq!(
            &text[f.original(s, false)..f.original(e, true)],
            "&#233;t\\u00e9"
        );
    }
}
