//! Compressed data: the content encodings of a body (`gzip`, `deflate`, `br`, `zstd`), and the bounded
//! decompression the views of gzip, zlib and zstd data use too.

use std::io::Read;

use super::{Limits, Step};

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
    // The body is borrowed until a decoding makes new bytes: a large body is not copied for nothing.
    let mut bytes = std::borrow::Cow::Borrowed(body);
    let mut complete = true;
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
        let (decoded, whole) = decompress(step, &bytes, limits.max_bytes)?;
        bytes = std::borrow::Cow::Owned(decoded);
        complete &= whole;
    }
    Ok(Decoded {
        bytes: bytes.into_owned(),
        complete,
    })
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

/// The compression `input` starts with, by its magic number (brotli has none).
pub(super) fn compressed(input: &[u8]) -> Option<Step> {
    if input.starts_with(&[0x1f, 0x8b]) {
        Some(Step::Gzip)
    } else if input.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Step::Zstd)
    } else if is_zlib(input) {
        Some(Step::Deflate)
    } else {
        None
    }
}

/// Decompress `input` with `step`'s decoder, producing at most `limit` bytes: the output and whether it is
/// complete. An error only when not a byte could be decoded.
pub(super) fn decompress(
    step: Step,
    input: &[u8],
    limit: usize,
) -> Result<(Vec<u8>, bool), DecodeError> {
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
pub(super) fn read_bounded(mut reader: impl Read, limit: usize) -> Result<(Vec<u8>, bool), String> {
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

/// A zlib header: deflate method, a window of at most 32 KiB, and the header checksum.
pub(super) fn is_zlib(input: &[u8]) -> bool {
    match input {
        [cmf, flg, _, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::decode::testing::{SECRET, found, gzip, zlib};

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
}
