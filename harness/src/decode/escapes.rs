//! Escapes of text: percent-encoding (`%C3%A9`, `+` as a space) and base64 blocks (standard or URL-safe
//! alphabet, padding optional, lines of MIME or PEM joined). Finding them is cloison's; decoding them is
//! the `percent-encoding` and `base64` crates'.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Whether a text holds a `%XX` escape.
pub(super) fn has_percent_escape(input: &[u8]) -> bool {
    input
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// Decode `%XX` escapes and `+` (a space in forms and queries); a `%` not followed by two hex digits stays.
pub fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    // `+` first: a `%2B` decodes to a `+` that stays one.
    let spaced: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced).collect()
}

fn base64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Runs of base64 characters (either alphabet) of at least `min` characters, with the line breaks of MIME
/// or PEM (after a line of 60 characters or more) removed.
pub(super) fn base64_blocks(input: &[u8], min: usize) -> Vec<Vec<u8>> {
    let mut blocks = Vec::new();
    let mut block = Vec::new();
    let mut line = 0;
    let mut i = 0;
    while i <= input.len() {
        let b = input.get(i).copied();
        match b {
            Some(b) if base64_value(b).is_some() => {
                block.push(b);
                line += 1;
            }
            Some(b'\r' | b'\n') if line >= 60 => line = 0,
            Some(b'\r' | b'\n') if line == 0 && !block.is_empty() => {}
            _ => {
                if block.len() >= min.max(4) {
                    blocks.push(std::mem::take(&mut block));
                }
                block.clear();
                line = 0;
            }
        }
        i += 1;
    }
    blocks
}

/// The standard alphabet, padding optional, the unused bits of a last partial group ignored.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decode a run of base64 characters of either alphabet (as [`base64_blocks`] gives them): a trailing group
/// of two or three characters gives its one or two bytes, a trailing lone character nothing.
pub(super) fn base64_decode(chars: &[u8]) -> Vec<u8> {
    // One alphabet for both: the URL-safe `-` and `_` are the standard `+` and `/`.
    let standard: Vec<u8> = chars
        .iter()
        .map(|&b| match b {
            b'-' => b'+',
            b'_' => b'/',
            b => b,
        })
        .collect();
    let whole = standard.len() - usize::from(standard.len() % 4 == 1);
    LENIENT.decode(&standard[..whole]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::testing::{SECRET, base64_encode, found, views};
    use crate::decode::{Limits, Step};

    #[test]
    fn percent_encoding() {
        let body = b"{\"next\":\"/dossiers?nom=H%C3%A9l%C3%A8ne+DUBOIS-CANARY%2C+12\"}";
        assert!(found(
            body,
            None,
            &[Step::Percent],
            "Hélène DUBOIS-CANARY, 12"
        ));
        assert_eq!(percent_decode(b"a+b%26c%2"), b"a b&c%2".to_vec());
        assert_eq!(percent_decode(b"%C3%A9"), "\u{e9}".as_bytes().to_vec());
        // Latin-1 percent-encoding (`%E9`) is not UTF-8: its charset view follows.
        assert!(found(
            b"nom=H%E9l%E8ne",
            None,
            &[Step::Percent, Step::Charset],
            "Hélène"
        ));
    }

    /// What percent-decoding makes of escapes, broken escapes and `+`, case by case.
    #[test]
    fn percent_escapes_decoded_and_left_as_they_are() {
        let table: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"%41%62", b"Ab"),
            (b"%e9%E9", b"\xe9\xe9"),
            (b"%2B+%20", b"+  "),
            (b"%", b"%"),
            (b"100%", b"100%"),
            (b"%4", b"%4"),
            (b"%zz%4g", b"%zz%4g"),
            (b"%%41", b"%A"),
            (b"%4%41", b"%4A"),
            (b"\xff%C3", b"\xff\xc3"),
        ];
        for (input, decoded) in table {
            assert_eq!(
                percent_decode(input),
                decoded.to_vec(),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// What base64-decoding makes of runs of either alphabet, of every length, case by case.
    #[test]
    fn base64_runs_of_either_alphabet_and_any_length() {
        let table: &[(&str, &[u8])] = &[
            ("", b""),
            ("S", b""),
            ("QUJD", b"ABC"),
            ("SGVsbG8", b"Hello"),
            ("SGVsbA", b"Hell"),
            ("SGVsb", b"Hel"),
            // The unused bits of a last partial group are ignored.
            ("SGVsbH", b"Hell"),
            ("SGVsbG9", b"Hello"),
            // Either alphabet, even mixed in one run.
            ("-_-_", b"\xfb\xff\xbf"),
            ("+/+/", b"\xfb\xff\xbf"),
            ("+_-/", b"\xfb\xff\xbf"),
        ];
        for (chars, decoded) in table {
            assert_eq!(base64_decode(chars.as_bytes()), decoded.to_vec(), "{chars}");
        }
    }

    #[test]
    fn base64_blocks_in_json_in_paths_and_across_lines() {
        let encoded = "SMOpbMOobmUgRFVCT0lTLUNBTkFSWSwgMTIgcnVlIGRlIGwnw4lnbGlzZQ==";
        let json = format!("{{\"content\":\"{encoded}\"}}");
        assert!(found(json.as_bytes(), None, &[Step::Base64], SECRET));
        // Glued to a path: found at another alignment.
        let path = format!("/files/{encoded}");
        assert!(found(
            path.as_bytes(),
            None,
            &[Step::Base64],
            "DUBOIS-CANARY"
        ));
        // URL-safe, unpadded, as in a token.
        let url_safe = encoded
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_");
        assert!(found(url_safe.as_bytes(), None, &[Step::Base64], SECRET));
        // MIME lines of 76 characters.
        let long: String = std::iter::repeat_n(SECRET, 4).collect::<Vec<_>>().join(" ");
        let b64 = base64_encode(long.as_bytes());
        let wrapped: Vec<&str> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect();
        assert!(found(
            wrapped.join("\r\n").as_bytes(),
            None,
            &[Step::Base64],
            &long
        ));
        // Short runs are words, not base64.
        let (views, _) = views(b"{\"nom\":\"DUPONT\"}", None, &Limits::default());
        assert!(views.is_empty());
    }
}
