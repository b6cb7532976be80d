//! The bounded chain: every view of a body, each decoded further to `max_depth`, all within `max_bytes`.
//! Which decoder applies is decided here; each family (archives, PDF, charsets, escapes) decodes in its
//! own module.

use super::charset::{declared_charset, looks_like_text};
use super::content::{compressed, decompress};
use super::entities::{decode_entities, has_entity};
use super::escapes::{base64_blocks, base64_decode, has_percent_escape, percent_decode};
use super::pdf::{has_pdf_text, pdf_text};
use super::{Limits, Step};

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

/// The walk in progress: the decodings that made the current view, and what was produced so far.
pub(super) struct Walker<'a> {
    pub(super) limits: &'a Limits,
    visit: &'a mut dyn FnMut(&[Step], &[u8]),
    steps: Vec<Step>,
    pub(super) walk: Walk,
}

impl Walker<'_> {
    /// Bytes the views may still produce.
    pub(super) fn room(&self) -> usize {
        self.limits.max_bytes.saturating_sub(self.walk.bytes)
    }

    /// Hand a view to the visitor, then decode it further.
    pub(super) fn emit(&mut self, step: Step, mut bytes: Vec<u8>, complete: bool) {
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
        if let Some(step) = compressed(input)
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
        compressed(input).is_some()
            || input.starts_with(b"PK\x03\x04")
            || input.starts_with(b"%PDF-")
            || has_pdf_text(input)
            || has_percent_escape(input)
            || has_entity(input)
            || !base64_blocks(input, self.limits.min_base64).is_empty()
    }

    /// The views of a text: the text a PDF content stream draws, percent-encoding, character references,
    /// base64 blocks.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::testing::{SECRET, gzip, views, zip};

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
}
