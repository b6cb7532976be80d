//! Small, valid, single-page PDF files with real text (Helvetica, WinAnsi encoding). The content stream is
//! padded to a length that depends only on the document kind and a drawn padding, so the file size is known
//! without rendering (document metadata streams fast) and the bytes are a pure function of the document.

use std::sync::OnceLock;

use crate::model::DocumentKind;

/// Length of the content stream of a document: a base by kind plus the drawn padding (< 1024).
pub fn content_len(kind: DocumentKind, pad: u16) -> usize {
    let base = if kind == DocumentKind::DecisionNotification {
        5000
    } else {
        2200
    };
    base + usize::from(pad % 1024)
}

/// Size in bytes of the PDF of a document of this kind and padding.
pub fn size(kind: DocumentKind, pad: u16) -> u64 {
    (overhead() + content_len(kind, pad)) as u64
}

fn overhead() -> usize {
    static OVERHEAD: OnceLock<usize> = OnceLock::new();
    *OVERHEAD.get_or_init(|| {
        let content = vec![b' '; 2200];
        let mut out = Vec::new();
        assemble(&mut out, &content);
        out.len() - content.len()
    })
}

/// Append the PDF escaping of UTF-8 text as a WinAnsi literal string body.
fn push_pdf_text(out: &mut Vec<u8>, text: &[u8]) {
    let s = String::from_utf8_lossy(text);
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            ' '..='~' => out.push(c as u8),
            '\u{a0}'..='\u{ff}' => {
                let v = c as u32;
                out.extend_from_slice(&[
                    b'\\',
                    b'0' + (v >> 6) as u8,
                    b'0' + ((v >> 3) & 7) as u8,
                    b'0' + (v & 7) as u8,
                ]);
            }
            'œ' => out.extend_from_slice(b"\\234"),
            '’' => out.push(b'\''),
            _ => out.push(b'?'),
        }
    }
}

/// Split a line into pieces of at most `width` bytes at spaces.
fn wrap(line: &[u8], width: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = line;
    while rest.len() > width {
        let cut = rest[..width]
            .iter()
            .rposition(|&c| c == b' ')
            .filter(|&i| i > 0)
            .unwrap_or(width);
        // Never cut inside a UTF-8 sequence.
        let mut cut = cut;
        while cut < rest.len() && (rest[cut] & 0xC0) == 0x80 {
            cut += 1;
        }
        out.push(&rest[..cut]);
        rest = rest[cut..].strip_prefix(b" ").unwrap_or(&rest[cut..]);
    }
    out.push(rest);
    out
}

/// Render a PDF whose page shows `lines` (the first as a title), with a content stream of exactly `len`
/// bytes (lines that would not fit are dropped, never the structure).
pub fn render(lines: &[Vec<u8>], len: usize) -> Vec<u8> {
    let mut content = Vec::with_capacity(len);
    content.extend_from_slice(b"BT\n/F1 14 Tf\n50 790 Td\n16 TL\n");
    let mut y = 790;
    for (i, line) in lines.iter().enumerate() {
        for piece in wrap(line, 90) {
            let mut op = Vec::with_capacity(piece.len() + 16);
            op.push(b'(');
            push_pdf_text(&mut op, piece);
            op.extend_from_slice(b") Tj T*\n");
            if i == 0 {
                op.extend_from_slice(b"/F1 10 Tf\n");
            }
            if content.len() + op.len() + 4 > len || y < 60 {
                break;
            }
            content.extend_from_slice(&op);
            y -= 16;
        }
    }
    content.extend_from_slice(b"ET\n");
    content.resize(len, b' ');
    let mut out = Vec::with_capacity(len + 700);
    assemble(&mut out, &content);
    out
}

/// Assemble the PDF objects around a content stream, with a correct cross-reference table.
fn assemble(out: &mut Vec<u8>, content: &[u8]) {
    out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    let mut offsets = [0usize; 5];
    let objects: [&[u8]; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets[i] = out.len();
        out.extend_from_slice(itoa::Buffer::new().format(i + 1).as_bytes());
        out.extend_from_slice(b" 0 obj\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    offsets[4] = out.len();
    out.extend_from_slice(b"5 0 obj\n<< /Length ");
    out.extend_from_slice(itoa::Buffer::new().format(content.len()).as_bytes());
    out.extend_from_slice(b" >>\nstream\n");
    out.extend_from_slice(content);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 6\n0000000000 65535 f \n");
    for off in offsets {
        let mut digits = [b'0'; 10];
        crate::ident::put_digits(&mut digits, off as u64);
        out.extend_from_slice(&digits);
        out.extend_from_slice(b" 00000 n \n");
    }
    out.extend_from_slice(b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n");
    out.extend_from_slice(itoa::Buffer::new().format(xref).as_bytes());
    out.extend_from_slice(b"\n%%EOF\n");
}

/// Check the structure of a PDF made by [`render`]: header, every xref offset pointing at its object,
/// `startxref` pointing at the table, and the trailer. Returns what is wrong.
pub fn check_structure(pdf: &[u8]) -> Result<(), String> {
    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }
    fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).rposition(|w| w == needle)
    }
    fn number(bytes: &[u8]) -> Option<usize> {
        let digits: Vec<u8> = bytes
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        std::str::from_utf8(&digits).ok()?.parse().ok()
    }
    if !pdf.starts_with(b"%PDF-1.") {
        return Err("no %PDF header".into());
    }
    if !pdf.ends_with(b"%%EOF\n") {
        return Err("no %%EOF".into());
    }
    let sx = rfind(pdf, b"startxref\n").ok_or("no startxref")?;
    let xref = number(&pdf[sx + 10..]).ok_or("bad startxref")?;
    if xref >= pdf.len() || !pdf[xref..].starts_with(b"xref\n0 6\n0000000000 65535 f \n") {
        return Err(format!("startxref {xref} does not point at the xref table"));
    }
    let entries = &pdf[xref + 29..];
    for i in 0..5 {
        let line = entries.get(i * 20..i * 20 + 20).ok_or("short xref table")?;
        if !line.ends_with(b" 00000 n \n") {
            return Err(format!("xref entry {} is malformed", i + 1));
        }
        let off = number(line).ok_or("bad xref offset")?;
        let expect = format!("{} 0 obj", i + 1);
        if off >= pdf.len() || !pdf[off..].starts_with(expect.as_bytes()) {
            return Err(format!(
                "xref entry {} points at {off}, not at its object",
                i + 1
            ));
        }
    }
    if find(&pdf[xref..], b"trailer\n<< /Size 6 /Root 1 0 R >>").is_none() {
        return Err("no trailer".into());
    }
    let len_at = find(pdf, b"/Length ").ok_or("no stream length")? + 8;
    let len = number(&pdf[len_at..]).ok_or("bad length")?;
    let start = find(pdf, b">>\nstream\n").ok_or("no stream")? + 10;
    if start + len > pdf.len() || !pdf[start + len..].starts_with(b"\nendstream") {
        return Err("stream length does not match".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_pdfs_are_structurally_valid_with_the_announced_size() {
        let lines = vec![
            "Certificat médical (Cerfa 15695)".as_bytes().to_vec(),
            b"Nom : Bodelamont - Prenom : (Jean)".to_vec(),
            "Référence du document : 75-2025-000123/D2"
                .as_bytes()
                .to_vec(),
            vec![b'x'; 400],
        ];
        for pad in [0u16, 1, 500, 1023] {
            let pdf = render(&lines, content_len(DocumentKind::MedicalCertificate, pad));
            assert_eq!(
                pdf.len() as u64,
                size(DocumentKind::MedicalCertificate, pad)
            );
            check_structure(&pdf).unwrap();
            assert!(pdf.windows(18).any(|w| w == b"75-2025-000123/D2)"));
            assert!(pdf.windows(10).any(|w| w == b"Bodelamont"));
            assert!(pdf.windows(8).any(|w| w == b"\\(Jean\\)"));
        }
        assert_eq!(render(&lines, 2300), render(&lines, 2300));
        let mut broken = render(&lines, 2300);
        broken[20] = b'X';
        assert!(check_structure(&broken).is_err());
    }
}
