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
//! `truncated`. Accents, case, JSON escapes (`\u00e9`, `\/`) and numeric character references are the matcher's
//! business (`cloison_generators::canary::fold`), not a view.
//!
//! Modules: `content` (content encodings and bounded decompression), `walk` (the chain: which decoder
//! applies, the limits), `archive` (zip), `pdf` (streams and drawn text), `escapes` (percent-encoding and
//! base64), `entities` (character references), `charset` (other character sets).

mod archive;
mod charset;
mod content;
mod entities;
mod escapes;
mod pdf;
#[cfg(test)]
mod testing;
mod walk;

pub use content::{DecodeError, Decoded, content_decode};
pub use entities::decode_entities;
pub use escapes::percent_decode;
pub use walk::{Walk, each_view};

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
