//! What the decoding tests share: bodies compressed, archived and encoded, and the views found in them.

use std::io::Write;

use super::escapes::base64_decode;
use super::{Limits, Step, Walk, each_view};

/// A view: the steps that made it and its bytes.
pub(crate) type View = (Vec<Step>, Vec<u8>);

/// Every view of `body`.
pub(crate) fn views(body: &[u8], content_type: Option<&str>, limits: &Limits) -> (Vec<View>, Walk) {
    let mut out = Vec::new();
    let walk = each_view(body, content_type, limits, &mut |steps, bytes| {
        out.push((steps.to_vec(), bytes.to_vec()))
    });
    (out, walk)
}

/// Whether some view made by `steps` contains `needle`.
pub(crate) fn found(body: &[u8], content_type: Option<&str>, steps: &[Step], needle: &str) -> bool {
    let (views, _) = views(body, content_type, &Limits::default());
    views
        .iter()
        .any(|(s, bytes)| s == steps && bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

pub(crate) fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("zlib");
    e.finish().expect("zlib")
}

/// A zip archive of stored or deflated members, written by hand (cloison has no zip writer).
pub(crate) fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
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

pub(crate) const SECRET: &str = "Hélène DUBOIS-CANARY, 12 rue de l'Église";

/// Base64 of `bytes` (standard alphabet, unpadded), checked to decode back.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let out = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    assert_eq!(base64_decode(out.as_bytes()), bytes);
    out
}
