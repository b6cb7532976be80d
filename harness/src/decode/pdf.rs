//! PDF files: each stream (inflated where it is zlib data, as `FlateDecode` streams are), and the text a
//! content stream draws with `Tj` or `TJ`: its string operands with their escapes undone, read as
//! Windows-1252 (PDFDocEncoding and WinAnsiEncoding agree with it on letters).

use super::Step;
use super::content::{decompress, is_zlib};
use super::walk::Walker;

impl Walker<'_> {
    /// Each stream of a PDF file, inflated where it is zlib data.
    pub(super) fn pdf(&mut self, input: &[u8]) {
        let mut at = 0;
        let mut streams = 0;
        while let Some(found) = find(&input[at..], b"stream") {
            let start = at + found;
            at = start + b"stream".len();
            if input[..start].ends_with(b"end") {
                continue;
            }
            let data_start = if input[at..].starts_with(b"\r\n") {
                at + 2
            } else if input[at..].starts_with(b"\n") || input[at..].starts_with(b"\r") {
                at + 1
            } else {
                continue;
            };
            let Some(length) = find(&input[data_start..], b"endstream") else {
                return;
            };
            at = data_start + length + b"endstream".len();
            let mut data = &input[data_start..data_start + length];
            while let [rest @ .., b'\r' | b'\n'] = data {
                data = rest;
            }
            if streams == self.limits.max_members {
                self.walk.truncated = true;
                return;
            }
            streams += 1;
            let room = self.room();
            if room == 0 {
                self.walk.truncated = true;
                return;
            }
            let (bytes, complete) = if is_zlib(data) {
                match decompress(Step::Deflate, data, room) {
                    Ok(decoded) => decoded,
                    Err(_) => continue,
                }
            } else {
                (data[..data.len().min(room)].to_vec(), data.len() <= room)
            };
            self.emit(Step::PdfStream, bytes, complete);
        }
    }
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `input` looks like a PDF content stream that draws text: a text operator and a string.
pub(super) fn has_pdf_text(input: &[u8]) -> bool {
    (find(input, b"Tj").is_some() || find(input, b"TJ").is_some())
        && input.iter().any(|&b| b == b'(' || b == b'<')
}

/// The text a PDF content stream draws: every string operand (`(literal)` with its escapes undone, or
/// `<hex>`), the pieces of one `[...]` array (a kerned `TJ`) joined, other strings separated by a space,
/// read as Windows-1252 and returned as UTF-8.
pub(super) fn pdf_text(input: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut in_array = false;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'[' => in_array = true,
            b']' => {
                in_array = false;
                raw.push(b' ');
            }
            b'(' => {
                i = literal(input, i + 1, &mut raw);
                if !in_array {
                    raw.push(b' ');
                }
            }
            b'<' if input.get(i + 1) == Some(&b'<') => i += 1,
            b'<' => {
                let end = input[i..].iter().position(|&b| b == b'>').map(|e| i + e);
                if let Some(end) = end {
                    if hex_string(&input[i + 1..end], &mut raw) && !in_array {
                        raw.push(b' ');
                    }
                    i = end;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&raw);
    text.trim().as_bytes().to_vec()
}

/// The bytes of a literal string starting at `i` (just after its `(`), escapes undone and balanced
/// parentheses kept, pushed to `raw`: the position of its closing `)` (or the end of `input`).
fn literal(input: &[u8], mut i: usize, raw: &mut Vec<u8>) -> usize {
    let mut depth = 1;
    while i < input.len() {
        match input[i] {
            b'\\' if i + 1 < input.len() => i = escape(input, i + 1, raw),
            b'(' => {
                depth += 1;
                raw.push(b'(');
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                raw.push(b')');
            }
            other => raw.push(other),
        }
        i += 1;
    }
    i
}

/// The escape whose character (after the backslash) is at `i`, undone into `raw`: the position of its
/// last character.
fn escape(input: &[u8], mut i: usize, raw: &mut Vec<u8>) -> usize {
    match input[i] {
        b'n' => raw.push(b'\n'),
        b'r' => raw.push(b'\r'),
        b't' => raw.push(b'\t'),
        b'b' => raw.push(0x08),
        b'f' => raw.push(0x0c),
        d @ b'0'..=b'7' => {
            let mut value = u32::from(d - b'0');
            for _ in 0..2 {
                match input.get(i + 1) {
                    Some(&d @ b'0'..=b'7') => {
                        value = value * 8 + u32::from(d - b'0');
                        i += 1;
                    }
                    _ => break,
                }
            }
            raw.push((value & 0xff) as u8);
        }
        // A backslash at the end of a line continues the string.
        b'\r' => {
            if input.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        }
        b'\n' => {}
        other => raw.push(other),
    }
    i
}

/// The bytes of a hex string's digits (between `<` and `>`, white space ignored, an odd last digit
/// followed by 0), pushed to `raw`; false, and nothing pushed, when it holds something else.
fn hex_string(inner: &[u8], raw: &mut Vec<u8>) -> bool {
    let digits: Vec<u8> = inner
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .copied()
        .collect();
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let hex = |b: u8| (b as char).to_digit(16).map_or(0, |d| d as u8);
    for pair in digits.chunks(2) {
        let high = hex(pair[0]) << 4;
        raw.push(high | pair.get(1).map_or(0, |&b| hex(b)));
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::decode::Step;
    use crate::decode::testing::{found, zlib};

    /// A PDF whose text is drawn from a compressed content stream, with octal escapes, a kerned `TJ` array
    /// and a hex string: the drawn text is a view.
    #[test]
    fn text_drawn_in_a_pdf_is_read_from_its_compressed_streams() {
        let content = b"BT /F1 12 Tf 72 700 Td [(DUBOIS-CA) -20 (NARY Andr\\351)] TJ ET\nBT (Dossier \\(13\\)) Tj <4E495220313835> Tj ET";
        let stream = zlib(content);
        let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length ".to_vec();
        pdf.extend_from_slice(stream.len().to_string().as_bytes());
        pdf.extend_from_slice(b" /Filter /FlateDecode >>\nstream\r\n");
        pdf.extend_from_slice(&stream);
        pdf.extend_from_slice(b"\r\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
        assert!(
            !pdf.windows(6).any(|w| w == b"DUBOIS"),
            "the text is compressed"
        );
        let steps = [Step::PdfStream, Step::PdfText];
        assert!(found(&pdf, None, &steps, "DUBOIS-CANARY André"));
        assert!(found(&pdf, None, &steps, "Dossier (13)"));
        assert!(found(&pdf, None, &steps, "NIR 185"));
        // An uncompressed stream is a view too, and its text is read the same way.
        let plain = b"%PDF-1.4\n1 0 obj\n<< /Length 20 >>\nstream\nBT (Gis\\350le) Tj ET\nendstream\nendobj\n";
        assert!(found(plain, None, &steps, "Gisèle"));
    }
}
