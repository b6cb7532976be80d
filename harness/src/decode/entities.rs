//! HTML and XML character references: numeric (`&#233;`, `&#xE9;`) and the named entities of XML, Latin-1
//! and French typography (`&eacute;`, `&rsquo;`, `&oelig;`...).
//!
//! Hand-written on purpose: the kept crates (`html-escape`, `htmlize`) decode the whole HTML5 set of names
//! (`&hearts;`), refuse control characters (`&#1;`) and signs (`&#+65;`), accept references of any length,
//! and `htmlize` also decodes names without their `;` (`&amp`): each would change what the oracle finds.
//! The table test below pins today's behaviour on those cases.

pub(super) fn has_entity(input: &[u8]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Step;
    use crate::decode::testing::found;

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

    /// What is decoded and what stays, case by case (the cases where a kept crate would differ included).
    #[test]
    fn references_decoded_and_left_as_they_are() {
        let table: &[(&str, &str)] = &[
            // Named: XML's five, Latin-1's, French typography; case-sensitive; `;` required.
            ("&amp;&lt;&gt;&quot;&apos;", "&<>\"'"),
            ("&eacute;&Eacute;&ccedil;&yuml;&nbsp;", "éÉçÿ\u{a0}"),
            ("&rsquo;&oelig;&OElig;&euro;&hellip;&ndash;", "’œŒ€…–"),
            (
                "&EACUTE; &eacute &unknown; &notit;",
                "&EACUTE; &eacute &unknown; &notit;",
            ),
            // Outside the table: HTML5 names stay.
            ("&hearts; &Alpha;", "&hearts; &Alpha;"),
            // Numeric: decimal, hex (either `x`), a sign accepted, control characters decoded.
            ("&#233;&#xE9;&#XE9;&#xe9;", "éééé"),
            ("&#65;&#+65;&#x+41;", "AAA"),
            ("&#1;&#9;&#13;", "\u{1}\t\r"),
            // Not characters: NUL, beyond Unicode, surrogates, empty, no `;`.
            (
                "&#0; &#x110000; &#xD800; &#; &#x; &; &#233",
                "&#0; &#x110000; &#xD800; &#; &#x; &; &#233",
            ),
            // At most eleven characters between `&` and `;`.
            ("&#0000000233; &#00000000233;", "é &#00000000233;"),
            // One pass: a decoded `&` starts nothing.
            ("&amp;lt; &&amp;", "&lt; &&"),
        ];
        for (input, decoded) in table {
            assert_eq!(
                String::from_utf8_lossy(&decode_entities(input.as_bytes())),
                *decoded,
                "{input}"
            );
        }
    }

    #[test]
    fn a_text_has_entities_when_a_reference_starts_and_a_semicolon_follows() {
        assert!(has_entity(b"H&eacute;"));
        assert!(has_entity(b"&#233;"));
        assert!(!has_entity(b"a & b;"));
        assert!(!has_entity(b"&#233"));
    }
}
