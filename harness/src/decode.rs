//! The decoding chain: the forms a response may carry a canary in, undone before the oracle scans it.
//!
//! Two stages, both bounded by [`Limits`]:
//!
//! - **Content encodings** ([`content_decode`]), when the body is read: `gzip`, `deflate` (zlib, or raw
//!   deflate as some servers send it), `br` (brotli) and `zstd`, in the order the `Content-Encoding` header
//!   lists them. The body the engine sees (JSON for extracts, lists for refusals) is the decoded one.
//! - **Views** ([`each_view`]), when the oracle scans: besides the body itself, every form decoded from it or
//!   from another view, to a bounded depth:
//!   - compressed data recognised by its magic number: gzip, zlib, zstd;
//!   - zip archives (so also xlsx, docx, ODS and ODT files): each member, up to `max_members`;
//!   - percent-encoding (`%C3%A9`, `+` as a space), where the text has a `%XX` escape;
//!   - base64 blocks of at least `min_base64` characters (standard or URL-safe alphabet, padding optional,
//!     lines of MIME or PEM joined), decoded at each of the four alignments, so that a block glued to a
//!     path (`/files/SGVs...`) is found as well;
//!   - HTML and XML character references: numeric (`&#233;`, `&#xE9;`) and the named entities of Latin-1
//!     and French typography (`&eacute;`, `&rsquo;`, `&oelig;`...);
//!   - a character set other than UTF-8: the `charset` of the `Content-Type` (any label of the Encoding
//!     Standard), or Windows-1252 (a superset of Latin-1) for a text that is not valid UTF-8;
//!   - PDF files: each stream (inflated where compressed), up to `max_members`; and in a content stream
//!     (one that draws text with `Tj` or `TJ`), the string operands with their escapes undone (`\351`,
//!     `\(`, hex strings), the pieces of a kerned `TJ` array joined, read as Windows-1252 (PDFDocEncoding
//!     and WinAnsiEncoding agree with it on letters). Text drawn with embedded fonts of their own encoding
//!     (glyph ids, mapped back only by a `ToUnicode` table) is not read.
//!
//! Every byte a decoder produces counts against `max_bytes` for the whole response: a zip bomb, a gzip bomb
//! or a deeply nested archive stops there, with what was decoded so far still scanned and the walk marked
//! `truncated`. Accents and case are the matcher's business (`cloison_generators::canary::fold`), not a view.

use std::io::{Cursor, Read};

/// Bounds of the decoding of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes decoded in all for one body: its content decoding, then all its views together.
    pub max_bytes: usize,
    /// Decodings nested one in another (base64 in a zip member in a gzip file is 3).
    pub max_depth: usize,
    /// Members read from one zip archive.
    pub max_members: usize,
    /// Shortest run of base64 characters that is decoded.
    pub min_base64: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024 * 1024,
            max_depth: 4,
            max_members: 1_000,
            min_base64: 16,
        }
    }
}

/// One decoding of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// gzip data.
    Gzip,
    /// zlib data (or raw deflate, as a content encoding).
    Deflate,
    /// brotli data (a content encoding only: brotli has no magic number).
    Brotli,
    /// zstd data.
    Zstd,
    /// A member of a zip archive.
    Zip,
    /// Percent-encoding.
    Percent,
    /// A base64 block.
    Base64,
    /// HTML or XML character references.
    Entities,
    /// A text in a character set other than UTF-8, as UTF-8.
    Charset,
    /// The content of a PDF stream (inflated where it is zlib data, as `FlateDecode` streams are).
    PdfStream,
    /// The text a PDF content stream draws: its string operands, escapes undone, as UTF-8.
    PdfText,
}

/// Why a content encoding could not be undone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// An encoding cloison does not know.
    #[error("unknown content encoding `{0}`")]
    Unknown(String),
    /// The data is not what its encoding says, from its first byte.
    #[error("{encoding} data is corrupt: {reason}")]
    Corrupt {
        /// The encoding.
        encoding: &'static str,
        /// What the decoder said.
        reason: String,
    },
}

/// A body with its content encodings undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded bytes (a prefix, if not `complete`).
    pub bytes: Vec<u8>,
    /// False when decoding stopped at the limit or at corrupt data after some output.
    pub complete: bool,
}

/// Undo the content encodings of a body (`Content-Encoding: gzip, br` was gzip first, so brotli is undone
/// first), producing at most `limits.max_bytes`.
pub fn content_decode(
    content_encoding: &str,
    body: &[u8],
    limits: &Limits,
) -> Result<Decoded, DecodeError> {
    let mut out = Decoded {
        bytes: body.to_vec(),
        complete: true,
    };
    for coding in content_encoding.rsplit(',') {
        let coding = coding.trim().to_ascii_lowercase();
        let step = match coding.as_str() {
            "" | "identity" => continue,
            "gzip" | "x-gzip" => Step::Gzip,
            "deflate" => Step::Deflate,
            "br" => Step::Brotli,
            "zstd" => Step::Zstd,
            _ => return Err(DecodeError::Unknown(coding)),
        };
        let (bytes, complete) = decompress(step, &out.bytes, limits.max_bytes)?;
        out = Decoded {
            bytes,
            complete: out.complete && complete,
        };
    }
    Ok(out)
}

fn name(step: Step) -> &'static str {
    match step {
        Step::Gzip => "gzip",
        Step::Deflate => "deflate",
        Step::Brotli => "brotli",
        Step::Zstd => "zstd",
        Step::Zip => "zip",
        Step::Percent => "percent-encoded",
        Step::Base64 => "base64",
        Step::Entities => "HTML",
        Step::Charset => "text",
        Step::PdfStream => "PDF stream",
        Step::PdfText => "PDF text",
    }
}

/// Decompress `input` with `step`'s decoder, producing at most `limit` bytes: the output and whether it is
/// complete. An error only when not a byte could be decoded.
fn decompress(step: Step, input: &[u8], limit: usize) -> Result<(Vec<u8>, bool), DecodeError> {
    let corrupt = |reason: String| DecodeError::Corrupt {
        encoding: name(step),
        reason,
    };
    let result = match step {
        Step::Gzip => read_bounded(flate2::read::MultiGzDecoder::new(input), limit),
        Step::Deflate => match read_bounded(flate2::read::ZlibDecoder::new(input), limit) {
            Ok(out) => Ok(out),
            // `deflate` is zlib by the standard, raw deflate on some servers.
            Err(_) => read_bounded(flate2::read::DeflateDecoder::new(input), limit),
        },
        Step::Brotli => read_bounded(brotli_decompressor::Decompressor::new(input, 4096), limit),
        Step::Zstd => {
            // RFC 9659: a zstd content coding's window is at most 8 MiB.
            let decoder = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
                input,
                8 * 1024 * 1024,
            )
            .map_err(|e| corrupt(e.to_string()))?;
            read_bounded(decoder, limit)
        }
        _ => return Err(corrupt("not a compression".into())),
    };
    result.map_err(corrupt)
}

/// Read at most `limit` bytes: the bytes and whether the reader ended cleanly within the limit. An error
/// only when nothing could be read.
fn read_bounded(mut reader: impl Read, limit: usize) -> Result<(Vec<u8>, bool), String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let want = buf
            .len()
            .min(limit.saturating_add(1) - out.len().min(limit));
        match reader.read(&mut buf[..want]) {
            Ok(0) => return Ok((out, true)),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > limit {
                    out.truncate(limit);
                    return Ok((out, false));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if out.is_empty() => return Err(e.to_string()),
            Err(_) => return Ok((out, false)),
        }
    }
}

/// What the walk over a body's views did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// Views produced.
    pub views: usize,
    /// Bytes produced, over every view.
    pub bytes: usize,
    /// A limit was reached (bytes, depth or members): some content may not have been decoded.
    pub truncated: bool,
}

/// Call `visit` with every view of `body` (not the body itself) and the decodings that made it, first the
/// outermost. `content_type` is the body's `Content-Type`, for its charset.
pub fn each_view(
    body: &[u8],
    content_type: Option<&str>,
    limits: &Limits,
    visit: &mut dyn FnMut(&[Step], &[u8]),
) -> Walk {
    let mut walker = Walker {
        limits,
        visit,
        steps: Vec::new(),
        walk: Walk::default(),
    };
    walker.walk(body, content_type.and_then(declared_charset));
    walker.walk
}

/// The character set a `Content-Type` declares, unless it is UTF-8 (or unknown).
fn declared_charset(content_type: &str) -> Option<&'static encoding_rs::Encoding> {
    let label = content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })?;
    encoding_rs::Encoding::for_label(label.as_bytes()).filter(|e| *e != encoding_rs::UTF_8)
}

struct Walker<'a> {
    limits: &'a Limits,
    visit: &'a mut dyn FnMut(&[Step], &[u8]),
    steps: Vec<Step>,
    walk: Walk,
}

impl Walker<'_> {
    fn room(&self) -> usize {
        self.limits.max_bytes.saturating_sub(self.walk.bytes)
    }

    /// Hand a view to the visitor, then decode it further.
    fn emit(&mut self, step: Step, mut bytes: Vec<u8>, complete: bool) {
        if !complete {
            self.walk.truncated = true;
        }
        if bytes.is_empty() {
            return;
        }
        let room = self.room();
        if bytes.len() > room {
            bytes.truncate(room);
            self.walk.truncated = true;
        }
        if bytes.is_empty() {
            return;
        }
        self.walk.bytes += bytes.len();
        self.walk.views += 1;
        self.steps.push(step);
        (self.visit)(&self.steps, &bytes);
        self.walk(&bytes, None);
        self.steps.pop();
    }

    fn walk(&mut self, input: &[u8], charset: Option<&'static encoding_rs::Encoding>) {
        if self.steps.len() >= self.limits.max_depth {
            if !input.is_empty() && self.decodable(input) {
                self.walk.truncated = true;
            }
            return;
        }
        if self.room() == 0 {
            self.walk.truncated = true;
            return;
        }
        let compressed = if input.starts_with(&[0x1f, 0x8b]) {
            Some(Step::Gzip)
        } else if input.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Step::Zstd)
        } else if is_zlib(input) {
            Some(Step::Deflate)
        } else {
            None
        };
        if let Some(step) = compressed
            && let Ok((bytes, complete)) = decompress(step, input, self.room())
        {
            self.emit(step, bytes, complete);
            return;
        }
        if input.starts_with(b"PK\x03\x04") || input.starts_with(b"PK\x05\x06") {
            self.zip(input);
            return;
        }
        if input.starts_with(b"%PDF-") {
            self.pdf(input);
        }
        match std::str::from_utf8(input) {
            Ok(text) => {
                if let Some(encoding) = charset
                    && !text.is_ascii()
                {
                    self.charset(encoding, input);
                }
                self.text(text.as_bytes());
            }
            Err(_) => {
                let encoding =
                    charset.or_else(|| looks_like_text(input).then_some(encoding_rs::WINDOWS_1252));
                if let Some(encoding) = encoding {
                    self.charset(encoding, input);
                }
            }
        }
    }

    /// Whether some decoder of the chain would apply to `input` (to tell a depth cut from a leaf).
    fn decodable(&self, input: &[u8]) -> bool {
        input.starts_with(&[0x1f, 0x8b])
            || input.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            || input.starts_with(b"PK\x03\x04")
            || input.starts_with(b"%PDF-")
            || has_pdf_text(input)
            || is_zlib(input)
            || has_percent_escape(input)
            || has_entity(input)
            || !base64_blocks(input, self.limits.min_base64).is_empty()
    }

    fn charset(&mut self, encoding: &'static encoding_rs::Encoding, input: &[u8]) {
        let (text, _, _) = encoding.decode(input);
        if text.as_bytes() != input {
            let bytes = text.into_owned().into_bytes();
            self.emit(Step::Charset, bytes, true);
        }
    }

    fn zip(&mut self, input: &[u8]) {
        let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(input)) else {
            return;
        };
        if archive.len() > self.limits.max_members {
            self.walk.truncated = true;
        }
        for i in 0..archive.len().min(self.limits.max_members) {
            let room = self.room();
            if room == 0 {
                self.walk.truncated = true;
                return;
            }
            let Ok(member) = archive.by_index(i) else {
                continue;
            };
            if member.is_dir() {
                continue;
            }
            if let Ok((bytes, complete)) = read_bounded(member, room) {
                self.emit(Step::Zip, bytes, complete);
            }
        }
    }

    /// Each stream of a PDF file, inflated where it is zlib data.
    fn pdf(&mut self, input: &[u8]) {
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

    fn text(&mut self, input: &[u8]) {
        if has_pdf_text(input) {
            let text = pdf_text(input);
            if !text.is_empty() {
                self.emit(Step::PdfText, text, true);
            }
        }
        if has_percent_escape(input) {
            self.emit(Step::Percent, percent_decode(input), true);
        }
        if has_entity(input) {
            let decoded = decode_entities(input);
            if decoded != input {
                self.emit(Step::Entities, decoded, true);
            }
        }
        for block in base64_blocks(input, self.limits.min_base64) {
            // A block glued to what precedes it (a path, a word) decodes right at one of four alignments;
            // large blocks are whole values (a file in a JSON string), decoded as they stand.
            let alignments = if block.len() <= 64 * 1024 { 4 } else { 1 };
            for offset in 0..alignments {
                if block.len() - offset < self.limits.min_base64 {
                    break;
                }
                self.emit(Step::Base64, base64_decode(&block[offset..]), true);
            }
        }
    }
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `input` looks like a PDF content stream that draws text: a text operator and a string.
fn has_pdf_text(input: &[u8]) -> bool {
    (find(input, b"Tj").is_some() || find(input, b"TJ").is_some())
        && input.iter().any(|&b| b == b'(' || b == b'<')
}

/// The text a PDF content stream draws: every string operand (`(literal)` with its escapes undone, or
/// `<hex>`), the pieces of one `[...]` array (a kerned `TJ`) joined, other strings separated by a space,
/// read as Windows-1252 and returned as UTF-8.
fn pdf_text(input: &[u8]) -> Vec<u8> {
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
                let mut depth = 1;
                i += 1;
                while i < input.len() {
                    match input[i] {
                        b'\\' if i + 1 < input.len() => {
                            i += 1;
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
                        }
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
                if !in_array {
                    raw.push(b' ');
                }
            }
            b'<' if input.get(i + 1) == Some(&b'<') => i += 1,
            b'<' => {
                let end = input[i..].iter().position(|&b| b == b'>').map(|e| i + e);
                if let Some(end) = end {
                    let digits: Vec<u8> = input[i + 1..end]
                        .iter()
                        .filter(|b| !b.is_ascii_whitespace())
                        .copied()
                        .collect();
                    if digits.iter().all(u8::is_ascii_hexdigit) {
                        let hex = |b: u8| (b as char).to_digit(16).map_or(0, |d| d as u8);
                        for pair in digits.chunks(2) {
                            let high = hex(pair[0]) << 4;
                            raw.push(high | pair.get(1).map_or(0, |&b| hex(b)));
                        }
                        if !in_array {
                            raw.push(b' ');
                        }
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

/// A zlib header: deflate method, a window of at most 32 KiB, and the header checksum.
fn is_zlib(input: &[u8]) -> bool {
    match input {
        [cmf, flg, _, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// Text in a single-byte charset: no control characters but tabs and line breaks.
fn looks_like_text(input: &[u8]) -> bool {
    input
        .iter()
        .all(|&b| b >= 0x20 && b != 0x7f || matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
}

fn has_percent_escape(input: &[u8]) -> bool {
    input
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// Decode `%XX` escapes and `+` (a space in forms and queries); a `%` not followed by two hex digits stays.
pub fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn has_entity(input: &[u8]) -> bool {
    input.windows(3).any(|w| {
        w[0] == b'&' && (w[1] == b'#' || w[1].is_ascii_alphabetic()) && w[2].is_ascii_alphanumeric()
    }) && input.contains(&b';')
}

/// Named character references decoded: XML's five, Latin-1's (`&nbsp;` to `&yuml;`) and the typography of
/// French texts.
const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("iexcl", '¡'),
    ("cent", '¢'),
    ("pound", '£'),
    ("curren", '¤'),
    ("yen", '¥'),
    ("brvbar", '¦'),
    ("sect", '§'),
    ("uml", '¨'),
    ("copy", '©'),
    ("ordf", 'ª'),
    ("laquo", '«'),
    ("not", '¬'),
    ("shy", '\u{ad}'),
    ("reg", '®'),
    ("macr", '¯'),
    ("deg", '°'),
    ("plusmn", '±'),
    ("sup2", '²'),
    ("sup3", '³'),
    ("acute", '´'),
    ("micro", 'µ'),
    ("para", '¶'),
    ("middot", '·'),
    ("cedil", '¸'),
    ("sup1", '¹'),
    ("ordm", 'º'),
    ("raquo", '»'),
    ("frac14", '¼'),
    ("frac12", '½'),
    ("frac34", '¾'),
    ("iquest", '¿'),
    ("Agrave", 'À'),
    ("Aacute", 'Á'),
    ("Acirc", 'Â'),
    ("Atilde", 'Ã'),
    ("Auml", 'Ä'),
    ("Aring", 'Å'),
    ("AElig", 'Æ'),
    ("Ccedil", 'Ç'),
    ("Egrave", 'È'),
    ("Eacute", 'É'),
    ("Ecirc", 'Ê'),
    ("Euml", 'Ë'),
    ("Igrave", 'Ì'),
    ("Iacute", 'Í'),
    ("Icirc", 'Î'),
    ("Iuml", 'Ï'),
    ("ETH", 'Ð'),
    ("Ntilde", 'Ñ'),
    ("Ograve", 'Ò'),
    ("Oacute", 'Ó'),
    ("Ocirc", 'Ô'),
    ("Otilde", 'Õ'),
    ("Ouml", 'Ö'),
    ("times", '×'),
    ("Oslash", 'Ø'),
    ("Ugrave", 'Ù'),
    ("Uacute", 'Ú'),
    ("Ucirc", 'Û'),
    ("Uuml", 'Ü'),
    ("Yacute", 'Ý'),
    ("THORN", 'Þ'),
    ("szlig", 'ß'),
    ("agrave", 'à'),
    ("aacute", 'á'),
    ("acirc", 'â'),
    ("atilde", 'ã'),
    ("auml", 'ä'),
    ("aring", 'å'),
    ("aelig", 'æ'),
    ("ccedil", 'ç'),
    ("egrave", 'è'),
    ("eacute", 'é'),
    ("ecirc", 'ê'),
    ("euml", 'ë'),
    ("igrave", 'ì'),
    ("iacute", 'í'),
    ("icirc", 'î'),
    ("iuml", 'ï'),
    ("eth", 'ð'),
    ("ntilde", 'ñ'),
    ("ograve", 'ò'),
    ("oacute", 'ó'),
    ("ocirc", 'ô'),
    ("otilde", 'õ'),
    ("ouml", 'ö'),
    ("divide", '÷'),
    ("oslash", 'ø'),
    ("ugrave", 'ù'),
    ("uacute", 'ú'),
    ("ucirc", 'û'),
    ("uuml", 'ü'),
    ("yacute", 'ý'),
    ("thorn", 'þ'),
    ("yuml", 'ÿ'),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Yuml", 'Ÿ'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("hellip", '…'),
    ("euro", '€'),
];

/// Decode character references: `&#233;`, `&#xE9;` and the named ones of [`ENTITIES`]; anything else
/// (an unknown name, a missing `;`) stays as it is.
pub fn decode_entities(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'&'
            && let Some(len) = input[i + 1..].iter().take(12).position(|&b| b == b';')
            && let Some(c) = reference(&input[i + 1..i + 1 + len])
        {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            i += len + 2;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// The character a reference (between `&` and `;`) stands for.
fn reference(name: &[u8]) -> Option<char> {
    let name = std::str::from_utf8(name).ok()?;
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    ENTITIES
        .iter()
        .find(|(entity, _)| *entity == name)
        .map(|(_, c)| *c)
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
fn base64_blocks(input: &[u8], min: usize) -> Vec<Vec<u8>> {
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

/// Decode base64 characters of either alphabet, four at a time; a trailing group of two or three characters
/// gives its one or two bytes.
fn base64_decode(chars: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chars.len() / 4 * 3 + 2);
    for group in chars.chunks(4) {
        let v: Vec<u32> = group
            .iter()
            .filter_map(|&b| base64_value(b).map(u32::from))
            .collect();
        let n = v
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, x)| n | x << (18 - 6 * i));
        let bytes = n.to_be_bytes();
        match v.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A view: the steps that made it and its bytes.
    type View = (Vec<Step>, Vec<u8>);

    /// Every view of `body`.
    fn views(body: &[u8], content_type: Option<&str>, limits: &Limits) -> (Vec<View>, Walk) {
        let mut out = Vec::new();
        let walk = each_view(body, content_type, limits, &mut |steps, bytes| {
            out.push((steps.to_vec(), bytes.to_vec()))
        });
        (out, walk)
    }

    /// Whether some view made by `steps` contains `needle`.
    fn found(body: &[u8], content_type: Option<&str>, steps: &[Step], needle: &str) -> bool {
        let (views, _) = views(body, content_type, &Limits::default());
        views.iter().any(|(s, bytes)| {
            s == steps && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).expect("gzip");
        e.finish().expect("gzip")
    }

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).expect("zlib");
        e.finish().expect("zlib")
    }

    /// A zip archive of stored or deflated members, written by hand (cloison has no zip writer).
    fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in members {
            let mut deflated =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            deflated.write_all(data).expect("deflate");
            let deflated = deflated.finish().expect("deflate");
            let crc = {
                let mut h = flate2::Crc::new();
                h.update(data);
                h.sum()
            };
            let offset = out.len() as u32;
            let header = |sig: u32, central_entry: bool| {
                let mut h = Vec::new();
                h.extend_from_slice(&sig.to_le_bytes());
                if central_entry {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                h.extend_from_slice(&20u16.to_le_bytes()); // version needed
                h.extend_from_slice(&0u16.to_le_bytes()); // flags
                h.extend_from_slice(&8u16.to_le_bytes()); // deflate
                h.extend_from_slice(&0u32.to_le_bytes()); // time, date
                h.extend_from_slice(&crc.to_le_bytes());
                h.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes()); // extra
                if central_entry {
                    h.extend_from_slice(&[0u8; 6]); // comment length, disk, internal attributes
                    h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                    h.extend_from_slice(&offset.to_le_bytes());
                }
                h.extend_from_slice(name.as_bytes());
                h
            };
            out.extend_from_slice(&header(0x0403_4b50, false));
            out.extend_from_slice(&deflated);
            central.extend_from_slice(&header(0x0201_4b50, true));
        }
        let start = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0u8; 4]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    const SECRET: &str = "Hélène DUBOIS-CANARY, 12 rue de l'Église";

    #[test]
    fn content_encoding_gzip() {
        let decoded = content_decode("gzip", &gzip(SECRET.as_bytes()), &Limits::default());
        assert_eq!(decoded.map(|d| d.bytes), Ok(SECRET.as_bytes().to_vec()));
    }

    #[test]
    fn content_encoding_deflate_as_zlib_and_as_raw_deflate() {
        let limits = Limits::default();
        let zlib = zlib(SECRET.as_bytes());
        assert_eq!(
            content_decode("deflate", &zlib, &limits).map(|d| d.bytes),
            Ok(SECRET.as_bytes().to_vec())
        );
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(SECRET.as_bytes()).expect("deflate");
        let raw = raw.finish().expect("deflate");
        assert_eq!(
            content_decode("deflate", &raw, &limits).map(|d| d.bytes),
            Ok(SECRET.as_bytes().to_vec())
        );
    }

    /// `printf 'Hello, brotli: DUPONT-CANARY' | brotli -c` (brotli 1.0.9).
    const BROTLI: &[u8] = &[
        0x8f, 0x0d, 0x80, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x62, 0x72, 0x6f, 0x74, 0x6c,
        0x69, 0x3a, 0x20, 0x44, 0x55, 0x50, 0x4f, 0x4e, 0x54, 0x2d, 0x43, 0x41, 0x4e, 0x41, 0x52,
        0x59, 0x03,
    ];

    #[test]
    fn content_encoding_brotli() {
        let decoded = content_decode("br", BROTLI, &Limits::default()).expect("brotli");
        assert_eq!(decoded.bytes, b"Hello, brotli: DUPONT-CANARY".to_vec());
        assert!(decoded.complete);
    }

    #[test]
    fn content_encoding_zstd() {
        let compressed = ruzstd::encoding::compress_to_vec(
            SECRET.as_bytes(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let decoded = content_decode("zstd", &compressed, &Limits::default()).expect("zstd");
        assert_eq!(decoded.bytes, SECRET.as_bytes().to_vec());
        // And as a body that is zstd data without saying so.
        assert!(found(&compressed, None, &[Step::Zstd], "DUBOIS-CANARY"));
    }

    #[test]
    fn content_encodings_are_undone_last_first_and_unknown_ones_are_errors() {
        let twice = gzip(&zlib(SECRET.as_bytes()));
        assert_eq!(
            content_decode("deflate, gzip", &twice, &Limits::default()).map(|d| d.bytes),
            Ok(SECRET.as_bytes().to_vec())
        );
        assert_eq!(
            content_decode("compress", b"x", &Limits::default()),
            Err(DecodeError::Unknown("compress".into()))
        );
        assert!(matches!(
            content_decode("gzip", b"not gzip", &Limits::default()),
            Err(DecodeError::Corrupt { .. })
        ));
        assert_eq!(
            content_decode("identity", b"plain", &Limits::default()).map(|d| d.bytes),
            Ok(b"plain".to_vec())
        );
    }

    #[test]
    fn content_decoding_stops_at_the_limit() {
        let bomb = gzip(&vec![b'A'; 1_000_000]);
        let limits = Limits {
            max_bytes: 10_000,
            ..Limits::default()
        };
        let decoded = content_decode("gzip", &bomb, &limits).expect("gzip");
        assert_eq!(decoded.bytes.len(), 10_000);
        assert!(!decoded.complete);
    }

    #[test]
    fn gzip_and_zlib_bodies_by_their_magic() {
        assert!(found(&gzip(SECRET.as_bytes()), None, &[Step::Gzip], SECRET));
        assert!(found(
            &zlib(SECRET.as_bytes()),
            None,
            &[Step::Deflate],
            SECRET
        ));
    }

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
        let b64 = base64_decode_roundtrip(long.as_bytes());
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

    fn base64_decode_roundtrip(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut n = [0u8; 3];
            n[..chunk.len()].copy_from_slice(chunk);
            let v = u32::from(n[0]) << 16 | u32::from(n[1]) << 8 | u32::from(n[2]);
            for i in 0..=chunk.len() {
                out.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        assert_eq!(base64_decode(out.as_bytes()), bytes);
        out
    }

    #[test]
    fn html_entities() {
        let html =
            b"<td>H&eacute;l&#232;ne DUBOIS-CANARY, 12 rue de l&rsquo;&#xC9;glise &amp; co</td>";
        assert!(found(
            html,
            None,
            &[Step::Entities],
            "Hélène DUBOIS-CANARY, 12 rue de l’Église & co"
        ));
        assert_eq!(
            decode_entities(b"&unknown; &amp &#0; &#x110000;"),
            b"&unknown; &amp &#0; &#x110000;".to_vec()
        );
        assert_eq!(
            decode_entities(b"l&apos;&Eacute;cole"),
            "l'École".as_bytes().to_vec()
        );
    }

    #[test]
    fn zip_members_of_an_xlsx_and_an_ods() {
        let shared = "<sst><si><t>H&#233;l&#232;ne</t></si><si><t>DUBOIS-CANARY</t></si></sst>";
        let xlsx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/sharedStrings.xml", shared.as_bytes()),
        ]);
        assert!(found(&xlsx, None, &[Step::Zip], "DUBOIS-CANARY"));
        assert!(found(&xlsx, None, &[Step::Zip, Step::Entities], "Hélène"));
        let ods = zip(&[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            (
                "content.xml",
                "<table:table-cell><text:p>12 rue de l'Église</text:p></table:table-cell>"
                    .as_bytes(),
            ),
        ]);
        assert!(found(&ods, None, &[Step::Zip], "12 rue de l'Église"));
        // In a JSON field, base64-encoded: three steps deep.
        let json = format!("{{\"export\":\"{}\"}}", base64_decode_roundtrip(&xlsx));
        assert!(found(
            json.as_bytes(),
            None,
            &[Step::Base64, Step::Zip, Step::Entities],
            "Hélène"
        ));
    }

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

    #[test]
    fn zip_bombs_and_nesting_stop_at_the_limits() {
        let limits = Limits {
            max_bytes: 100_000,
            max_depth: 3,
            max_members: 5,
            ..Limits::default()
        };
        // A member of a million zeros, compressed to about a kilobyte.
        let zeros = vec![0u8; 1_000_000];
        let bomb = zip(&[("a.bin", zeros.as_slice()), ("b.bin", zeros.as_slice())]);
        assert!(bomb.len() < 10_000);
        let (produced, walk) = views(&bomb, None, &limits);
        assert!(walk.truncated);
        assert!(walk.bytes <= limits.max_bytes);
        assert_eq!(
            produced.iter().map(|(_, b)| b.len()).sum::<usize>(),
            walk.bytes
        );
        // More members than allowed: the first ones are read, the walk says it stopped.
        let names: Vec<String> = (0..8).map(|i| format!("m{i}.txt")).collect();
        let members: Vec<(&str, &[u8])> = names
            .iter()
            .map(|n| (n.as_str(), SECRET.as_bytes()))
            .collect();
        let (produced, walk) = views(&zip(&members), None, &limits);
        assert_eq!(produced.len(), 5);
        assert!(walk.truncated);
        // A zip in a zip in a zip in a zip: decoded three deep, then cut.
        let mut nested = zip(&[("inner.txt", SECRET.as_bytes())]);
        for _ in 0..3 {
            nested = zip(&[("nested.zip", nested.as_slice())]);
        }
        let (produced, walk) = views(&nested, None, &limits);
        assert!(produced.iter().all(|(steps, _)| steps.len() <= 3));
        assert!(walk.truncated);
        // Gzip in gzip ... to any depth costs no more than the limits either.
        let mut deep = SECRET.as_bytes().to_vec();
        for _ in 0..10 {
            deep = gzip(&deep);
        }
        let (_, walk) = views(&deep, None, &limits);
        assert!(walk.truncated && walk.views == 3);
    }

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
