//! Identifiers that are valid in form and unique by construction: NIR (French social security number),
//! IBAN/RIB, phone numbers, surnames. Uniqueness never relies on probability: each value is a bijective
//! encoding of a global index (a person's index, a name id) through a keyed permutation, so two different
//! indices can never give the same value, while consecutive indices do not look sequential.

/// A keyed bijection of `[0, m)`: a 4-round Feistel network on the smallest even-bit power of two that
/// covers `m`, with cycle walking back into `[0, m)`. Panics never; `m` must be at least 1.
pub fn permute(x: u64, m: u64, key: u64) -> u64 {
    debug_assert!(x < m);
    let bits = 64 - (m.max(2) - 1).leading_zeros();
    let half = bits.div_ceil(2).max(1);
    let mask = (1u64 << half) - 1;
    let mut y = x;
    loop {
        let mut l = y >> half;
        let mut r = y & mask;
        for round in 0..4u64 {
            let f = mix(r ^ key.wrapping_add(round.wrapping_mul(0x9E37_79B9_7F4A_7C15))) & mask;
            let nl = r;
            r = l ^ f;
            l = nl;
        }
        y = (l << half) | r;
        if y < m {
            return y;
        }
    }
}

/// SplitMix64 finaliser: a fast, well-mixing 64-bit hash.
pub const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------------------------------------
// NIR

/// Countries of birth abroad: INSEE country code (`99` + 3 digits), French name and share among persons
/// born abroad, in percent. The code is the person's place of birth; it never appears in a generated NIR
/// (see [`nir_place_is_reserved`]). The first seven shares are INSEE's for the countries of birth of
/// immigrants (2023); the others stand for every other country, in proportion to rough estimates
/// \[est.\] scaled to the remaining 53 % (see `data/README.md`).
pub const BIRTH_COUNTRIES: &[(&str, &str, f64)] = &[
    ("99352", "Algérie", 12.2),
    ("99350", "Maroc", 11.7),
    ("99139", "Portugal", 7.9),
    ("99351", "Tunisie", 4.7),
    ("99127", "Italie", 3.9),
    ("99208", "Turquie", 3.3),
    ("99134", "Espagne", 3.3),
    ("99132", "Royaume-Uni", 2.0 * OTHERS),
    ("99109", "Allemagne", 2.0 * OTHERS),
    ("99131", "Belgique", 1.6 * OTHERS),
    ("99114", "Roumanie", 2.0 * OTHERS),
    ("99122", "Pologne", 1.0 * OTHERS),
    ("99216", "Chine", 1.5 * OTHERS),
    ("99243", "Viêt Nam", 1.0 * OTHERS),
    ("99341", "Sénégal", 1.9 * OTHERS),
    ("99326", "Côte d'Ivoire", 1.8 * OTHERS),
    ("99335", "Mali", 1.3 * OTHERS),
    ("99322", "Cameroun", 1.5 * OTHERS),
    ("99123", "Russie", 0.6 * OTHERS),
    ("99223", "Inde", 0.5 * OTHERS),
    ("99205", "Liban", 0.6 * OTHERS),
    ("99140", "Suisse", 0.5 * OTHERS),
    ("99135", "Pays-Bas", 0.3 * OTHERS),
    ("99136", "Irlande", 0.1 * OTHERS),
    ("99137", "Luxembourg", 0.1 * OTHERS),
    ("99110", "Autriche", 0.2 * OTHERS),
    ("99112", "Hongrie", 0.2 * OTHERS),
    ("99126", "Grèce", 0.2 * OTHERS),
    ("99101", "Danemark", 0.1 * OTHERS),
    ("99401", "Canada", 0.3 * OTHERS),
    ("99404", "États-Unis", 0.6 * OTHERS),
];

/// Scale of the estimated shares of the other countries: their estimates sum to 21.9 and stand for the
/// 53 % of immigrants born outside the first seven countries.
const OTHERS: f64 = 53.0 / 21.9;

/// Whether a country of birth (INSEE code) is in the Maghreb or Turkey (first names, see
/// [`crate::text::FIRST_NAMES_MAGHREB`]).
pub fn maghreb_or_turkey(code: &str) -> bool {
    matches!(code, "99350" | "99351" | "99352" | "99208")
}

/// The NIR key (`97 - n mod 97`) of the first 13 characters, reading `2A` as 19 and `2B` as 18.
pub fn nir_key(first13: &[u8]) -> Option<u8> {
    if first13.len() != 13 {
        return None;
    }
    let mut n: u64 = 0;
    for (i, &c) in first13.iter().enumerate() {
        let digits: &[u8] =
            if i == 5 && first13[5] == b'2' && (first13[6] == b'A' || first13[6] == b'B') {
                if first13[6] == b'A' { b"19" } else { b"18" }
            } else if i == 6 && first13[5] == b'2' && (c == b'A' || c == b'B') {
                b""
            } else if c.is_ascii_digit() {
                std::slice::from_ref(&first13[i])
            } else {
                return None;
            };
        for &d in digits {
            n = (n * 10 + u64::from(d - b'0')) % 97;
        }
    }
    Some(97 - n as u8)
}

/// Whether `nir` (15 characters, no spaces) is well formed with a valid key.
pub fn nir_is_valid(nir: &str) -> bool {
    let b = nir.as_bytes();
    if b.len() != 15 || !b[13].is_ascii_digit() || !b[14].is_ascii_digit() {
        return false;
    }
    let key = (b[13] - b'0') * 10 + (b[14] - b'0');
    nir_key(&b[..13]) == Some(key)
}

/// Whether the place part of `nir` (characters 6 to 10) is in a range no real person's NIR has:
///
/// - a departement (`01`-`95`, `2A`, `2B`, or `20` for Corsica before 1976) with commune part `000`: INSEE
///   numbers the communes of a departement from `001`, so no commune has `000`;
/// - an overseas departement (`971`-`976`) with commune part `00`, for the same reason;
/// - `00` and three digits: no departement has code `00` (used beyond a departement's own range, see
///   [`crate::birth`]);
/// - `990` and two digits for a birth abroad: a real NIR has `99` and the INSEE country code's last three
///   digits, a continent digit from 1 (Europe) to 5 (Oceania) and two digits (`99352` Algeria, `99101`
///   Denmark, `99100` France itself); continent digit 0 is no continent, so `99000`-`99099` is no country.
///
/// Real commune or country codes (the explicit opt-in of [`crate::GenConfig::real_birth_communes`]) are
/// refused.
pub fn nir_place_is_reserved(nir: &str) -> bool {
    let b = nir.as_bytes();
    if b.len() != 15 {
        return false;
    }
    let p = &b[5..10];
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match p {
        [b'9', b'9', b'0', x, y] => digits(&[*x, *y]),
        [b'0', b'0', x, y, z] => digits(&[*x, *y, *z]),
        [b'9', b'7', x, b'0', b'0'] => (b'1'..=b'6').contains(x),
        [b'2', b'A' | b'B', b'0', b'0', b'0'] => true,
        [x, y, b'0', b'0', b'0'] if digits(&[*x, *y]) => {
            let dept = u32::from(x - b'0') * 10 + u32::from(y - b'0');
            (1..=95).contains(&dept)
        }
        _ => false,
    }
}

/// Write a 15-character NIR from its parts; `place5` is the 5-character place of birth.
pub fn write_nir(out: &mut Vec<u8>, sex: u8, yy: u8, month: u8, place5: &[u8; 5], order: u16) {
    let start = out.len();
    out.push(b'0' + sex);
    push2(out, u32::from(yy));
    push2(out, u32::from(month));
    out.extend_from_slice(place5);
    push3(out, u32::from(order));
    let key =
        nir_key(&out[start..start + 13]).expect("a NIR built from digits and 2A/2B has a key");
    push2(out, u32::from(key));
}

/// The NIR with spaces between its parts, as printed on a card: `1 85 05 75 000 123 45`.
pub fn nir_spaced(nir: &str) -> String {
    let b = nir.as_bytes();
    if b.len() != 15 {
        return nir.to_string();
    }
    let s = |r: std::ops::Range<usize>| String::from_utf8_lossy(&b[r]).into_owned();
    format!(
        "{} {} {} {} {} {} {}",
        s(0..1),
        s(1..3),
        s(3..5),
        s(5..7),
        s(7..10),
        s(10..13),
        s(13..15)
    )
}

// ---------------------------------------------------------------------------------------------------------
// IBAN / RIB

/// Real French bank codes (the account numbers drawn with them are fake).
pub const BANK_CODES: &[&str] = &[
    "30002", "30003", "30004", "30006", "10278", "20041", "11315", "10907", "16006", "18206",
    "17515", "13335",
];

fn rib_letter_value(c: u8) -> Option<u64> {
    Some(match c {
        b'0'..=b'9' => u64::from(c - b'0'),
        b'A' | b'J' => 1,
        b'B' | b'K' | b'S' => 2,
        b'C' | b'L' | b'T' => 3,
        b'D' | b'M' | b'U' => 4,
        b'E' | b'N' | b'V' => 5,
        b'F' | b'O' | b'W' => 6,
        b'G' | b'P' | b'X' => 7,
        b'H' | b'Q' | b'Y' => 8,
        b'I' | b'R' | b'Z' => 9,
        _ => return None,
    })
}

fn rib_number(s: &[u8]) -> Option<u64> {
    s.iter()
        .try_fold(0u64, |acc, &c| Some(acc * 10 + rib_letter_value(c)?))
}

/// The RIB key `97 - ((89 bank + 15 branch + 3 account) mod 97)`; letters of the account are mapped to digits.
pub fn rib_key(bank: &[u8], branch: &[u8], account: &[u8]) -> Option<u8> {
    if bank.len() != 5 || branch.len() != 5 || account.len() != 11 {
        return None;
    }
    let sum = 89 * rib_number(bank)? + 15 * rib_number(branch)? + 3 * (rib_number(account)? % 97);
    Some((97 - sum % 97) as u8)
}

/// `98 - (BBAN + "FR00" mod 97)`, letters counted as 10..35.
pub fn iban_check(bban: &[u8]) -> Option<u8> {
    let mut n: u64 = 0;
    for &c in bban.iter().chain(b"FR00") {
        let v = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'A'..=b'Z' => u64::from(c - b'A') + 10,
            _ => return None,
        };
        n = if v >= 10 {
            (n * 100 + v) % 97
        } else {
            (n * 10 + v) % 97
        };
    }
    Some((98 - n) as u8)
}

/// Write a French IBAN (27 characters) for a bank, branch and 11-digit account number.
pub fn write_iban(out: &mut Vec<u8>, bank: &[u8; 5], branch: u32, account: u64) {
    let mut bban = [0u8; 23];
    bban[..5].copy_from_slice(bank);
    put_digits(&mut bban[5..10], u64::from(branch));
    put_digits(&mut bban[10..21], account);
    let key =
        rib_key(&bban[..5], &bban[5..10], &bban[10..21]).expect("digits always have a RIB key");
    put_digits(&mut bban[21..23], u64::from(key));
    let check = iban_check(&bban).expect("digits always have an IBAN check");
    out.extend_from_slice(b"FR");
    push2(out, u32::from(check));
    out.extend_from_slice(&bban);
}

/// Whether `iban` is a valid French IBAN: RIB key and IBAN check digits.
pub fn iban_is_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if b.len() != 27 || &b[..2] != b"FR" || !b[2].is_ascii_digit() || !b[3].is_ascii_digit() {
        return false;
    }
    let bban = &b[4..];
    let Some(key) = rib_key(&bban[..5], &bban[5..10], &bban[10..21]) else {
        return false;
    };
    if !bban[21..].iter().all(u8::is_ascii_digit) || u32::from(key) != parse_digits(&bban[21..]) {
        return false;
    }
    iban_check(bban).map(u32::from) == Some(parse_digits(&b[2..4]))
}

/// The IBAN in groups of four, as printed: `FR76 3000 6000 0112 3456 7890 189`.
pub fn iban_spaced(iban: &str) -> String {
    let mut s = String::with_capacity(34);
    for (i, c) in iban.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            s.push(' ');
        }
        s.push(c);
    }
    s
}

/// Key used to permute person indices into account numbers.
const ACCOUNT_KEY: u64 = 0x4942_414E_5F6B_6579;

/// The 11-digit account number of person index `p`, unique per index.
pub fn account_number(p: u64) -> u64 {
    permute(p, 100_000_000_000, ACCOUNT_KEY)
}

// ---------------------------------------------------------------------------------------------------------
// Phones

/// Key used to permute person indices into phone numbers.
const PHONE_KEY: u64 = 0x5048_4F4E_455F_6B65;

/// The last eight digits of the phone number of person index `p`, unique per index (so the ten-digit
/// number is unique whatever its two-digit prefix).
pub fn phone_suffix(p: u64) -> u32 {
    permute(p, 100_000_000, PHONE_KEY) as u32
}

/// Write a phone number `0P XX XX XX XX` compact: ten digits.
pub fn write_phone(out: &mut Vec<u8>, prefix: u8, suffix: u32) {
    push2(out, u32::from(prefix));
    let mut d = [0u8; 8];
    put_digits(&mut d, u64::from(suffix));
    out.extend_from_slice(&d);
}

/// The phone number in pairs, as printed: `06 12 34 56 78`.
pub fn phone_spaced(phone: &str) -> String {
    let mut s = String::with_capacity(14);
    for (i, c) in phone.chars().enumerate() {
        if i > 0 && i % 2 == 0 {
            s.push(' ');
        }
        s.push(c);
    }
    s
}

// ---------------------------------------------------------------------------------------------------------
// Surnames

const ONSETS: &[u8; 13] = b"bcdfglmnprstv";
const VOWELS: &[u8; 5] = b"aeiou";
/// Endings of person surnames: each starts with a consonant, so the name is CV CV CV + ending.
const PERSON_ENDINGS: &[&str] = &[
    "rd", "t", "n", "l", "s", "x", "ud", "rt", "nd", "nt", "ux", "lle", "tte", "rre", "nne", "ssy",
    "rin", "rot", "llet", "det", "lin", "non", "ron", "vet", "zet", "chet", "rand", "land", "mont",
    "ville", "court",
];
/// Endings of agent surnames: each starts with two consonants, so the name is CV CV + ending and can never
/// equal a person surname (whose fifth character is a consonant and sixth a vowel).
const AGENT_ENDINGS: &[&str] = &[
    "rtier", "ndier", "scot", "ltin", "rvec", "rbier", "stel", "rdan", "rgues", "lvy", "squet",
    "rnay", "mbert", "stier", "ntaz", "rcq",
];

const SYLLABLES: u64 = 65;

/// Size of the person surname shape space (CV CV CV + ending).
const PERSON_SHAPES: u64 = SYLLABLES * SYLLABLES * SYLLABLES * PERSON_ENDINGS.len() as u64;
/// Size of the agent surname shape space (CV CV + ending).
const AGENT_SHAPES: u64 = SYLLABLES * SYLLABLES * AGENT_ENDINGS.len() as u64;

const SURNAME_KEY: u64 = 0x5355_524E_414D_4531;

/// Shapes that spell a word of the embedded vocabularies (first names, streets, communes, templates, fake's
/// name lists...): removed from the image of the surname bijection, so a surname canary can never be
/// confused with an ordinary word of a world.
struct Blocked {
    person: Vec<u64>,
    agent: Vec<u64>,
}

fn blocked() -> &'static Blocked {
    static BLOCKED: std::sync::OnceLock<Blocked> = std::sync::OnceLock::new();
    BLOCKED.get_or_init(|| {
        let mut person = Vec::new();
        let mut agent = Vec::new();
        crate::text::for_each_vocabulary_word(|w| {
            if let Some(x) = person_shape_of(w) {
                person.push(x);
            }
            if let Some(x) = agent_shape_of(w) {
                agent.push(x);
            }
        });
        for v in [&mut person, &mut agent] {
            v.sort_unstable();
            v.dedup();
        }
        Blocked { person, agent }
    })
}

/// The `y`-th value of `[0, space)` that is not blocked (`blocked` sorted): a bijection from
/// `[0, space - blocked.len())` onto the unblocked values.
fn skip_blocked(y: u64, blocked: &[u64]) -> u64 {
    // x = y + #(blocked <= x), found by iterating to the fixed point (at most blocked.len() steps, usually 1-2).
    let mut x = y;
    loop {
        let next = y + blocked.partition_point(|&b| b <= x) as u64;
        if next == x {
            return x;
        }
        x = next;
    }
}

/// How many distinct person surnames exist.
pub fn person_surnames() -> u64 {
    PERSON_SHAPES - blocked().person.len() as u64
}

/// How many distinct agent surnames exist.
pub fn agent_surnames() -> u64 {
    AGENT_SHAPES - blocked().agent.len() as u64
}

fn push_syllable(out: &mut Vec<u8>, s: u64, capital: bool) {
    let c = ONSETS[(s / 5) as usize];
    out.push(if capital { c.to_ascii_uppercase() } else { c });
    out.push(VOWELS[(s % 5) as usize]);
}

/// Write the surname of person name id `id` (< [`person_surnames`]): capitalised ASCII, e.g. `Bodelamont`.
pub fn write_person_surname(out: &mut Vec<u8>, id: u64) {
    let b = &blocked().person;
    let mut x = skip_blocked(permute(id, PERSON_SHAPES - b.len() as u64, SURNAME_KEY), b);
    let end = (x % PERSON_ENDINGS.len() as u64) as usize;
    x /= PERSON_ENDINGS.len() as u64;
    push_syllable(out, x % SYLLABLES, true);
    x /= SYLLABLES;
    push_syllable(out, x % SYLLABLES, false);
    push_syllable(out, x / SYLLABLES, false);
    out.extend_from_slice(PERSON_ENDINGS[end].as_bytes());
}

/// Write the surname of agent `id` (< [`agent_surnames`]), e.g. `Colarbier`.
pub fn write_agent_surname(out: &mut Vec<u8>, id: u64) {
    let b = &blocked().agent;
    let mut x = skip_blocked(
        permute(id, AGENT_SHAPES - b.len() as u64, SURNAME_KEY ^ 0xA6E7),
        b,
    );
    let end = (x % AGENT_ENDINGS.len() as u64) as usize;
    x /= AGENT_ENDINGS.len() as u64;
    push_syllable(out, x % SYLLABLES, true);
    push_syllable(out, x / SYLLABLES, false);
    out.extend_from_slice(AGENT_ENDINGS[end].as_bytes());
}

fn syllable_at(b: &[u8], i: usize) -> Option<u64> {
    let (first, second) = (*b.get(i)?, *b.get(i + 1)?);
    let o = ONSETS.iter().position(|&c| c == first)?;
    let v = VOWELS.iter().position(|&c| c == second)?;
    Some((o * 5 + v) as u64)
}

/// The shape value of a word if it has the shape of a person surname (any case).
fn person_shape_of(word: &str) -> Option<u64> {
    if !word.is_ascii() || word.len() < 7 {
        return None;
    }
    let w = word.to_ascii_lowercase();
    let b = w.as_bytes();
    let (s1, s2, s3) = (syllable_at(b, 0)?, syllable_at(b, 2)?, syllable_at(b, 4)?);
    let end = PERSON_ENDINGS.iter().position(|e| &w[6..] == *e)? as u64;
    Some(((s3 * SYLLABLES + s2) * SYLLABLES + s1) * PERSON_ENDINGS.len() as u64 + end)
}

/// The shape value of a word if it has the shape of an agent surname (any case).
fn agent_shape_of(word: &str) -> Option<u64> {
    if !word.is_ascii() || word.len() < 7 {
        return None;
    }
    let w = word.to_ascii_lowercase();
    let b = w.as_bytes();
    let (s1, s2) = (syllable_at(b, 0)?, syllable_at(b, 2)?);
    let end = AGENT_ENDINGS.iter().position(|e| &w[4..] == *e)? as u64;
    Some((s2 * SYLLABLES + s1) * AGENT_ENDINGS.len() as u64 + end)
}

/// Whether `word` has the shape of a generated person or agent surname (any case).
pub fn looks_like_generated_surname(word: &str) -> bool {
    person_shape_of(word).is_some() || agent_shape_of(word).is_some()
}

// ---------------------------------------------------------------------------------------------------------
// Small digit helpers

/// Push a number as exactly two digits.
pub fn push2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// Push a number as exactly three digits.
pub fn push3(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 100 % 10) as u8);
    push2(out, v % 100);
}

/// Fill `dst` with the last `dst.len()` decimal digits of `v`, zero-padded.
pub fn put_digits(dst: &mut [u8], mut v: u64) {
    for d in dst.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

fn parse_digits(s: &[u8]) -> u32 {
    s.iter()
        .fold(0, |acc, &c| acc * 10 + u32::from(c.wrapping_sub(b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn skipping_blocked_values_is_a_bijection_onto_the_rest() {
        let blocked = [0u64, 3, 4, 9];
        let image: Vec<u64> = (0..6).map(|y| skip_blocked(y, &blocked)).collect();
        assert_eq!(image, [1, 2, 5, 6, 7, 8]);
    }

    #[test]
    fn permute_is_a_bijection() {
        for m in [1u64, 2, 3, 10, 97, 1000, 4099] {
            let seen: HashSet<u64> = (0..m).map(|x| permute(x, m, 42)).collect();
            assert_eq!(seen.len() as u64, m);
            assert!(seen.iter().all(|&y| y < m));
        }
    }

    #[test]
    fn nir_key_known_values_and_corsica() {
        // 1 85 05 78 006 084 -> key 97 - (1850578006084 mod 97).
        let body = b"1850578006084";
        let expected = 97 - (1_850_578_006_084u64 % 97) as u8;
        assert_eq!(nir_key(body), Some(expected));
        // Corsica: 2A is read as 19, 2B as 18, for the key only.
        let a = b"18505" as &[u8];
        let corsica_a = [a, b"2A000123"].concat();
        let as_19 = 97 - (1_850_519_000_123u64 % 97) as u8;
        assert_eq!(nir_key(&corsica_a), Some(as_19));
        let corsica_b = [a, b"2B000123"].concat();
        let as_18 = 97 - (1_850_518_000_123u64 % 97) as u8;
        assert_eq!(nir_key(&corsica_b), Some(as_18));
        let mut out = Vec::new();
        write_nir(&mut out, 2, 7, 11, b"2B000", 42);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("207112B000042"), "{s}");
        assert!(nir_is_valid(&s));
        assert_eq!(nir_key(b"1850X78006084"), None);
    }

    #[test]
    fn rib_and_iban_worked_example() {
        assert_eq!(rib_key(b"30006", b"00001", b"12345678901"), Some(89));
        let mut out = Vec::new();
        write_iban(&mut out, b"30006", 1, 12_345_678_901);
        let iban = String::from_utf8(out).unwrap();
        assert_eq!(iban, "FR7630006000011234567890189");
        assert!(iban_is_valid(&iban));
        assert!(!iban_is_valid("FR7630006000011234567890188"));
        assert!(!iban_is_valid("FR7730006000011234567890189"));
        assert_eq!(iban_spaced(&iban), "FR76 3000 6000 0112 3456 7890 189");
        // Letters in the account are mapped (A,J -> 1 ...).
        assert_eq!(
            rib_key(b"30006", b"00001", b"1234567890A"),
            rib_key(b"30006", b"00001", b"12345678901")
        );
    }

    #[test]
    fn surnames_are_unique_and_recognisable() {
        let mut seen = HashSet::new();
        let mut vocabulary = HashSet::new();
        crate::text::for_each_vocabulary_word(|w| {
            vocabulary.insert(w.to_ascii_lowercase());
        });
        assert!(
            !blocked().person.is_empty(),
            "real words such as Nicolas have the shape and are blocked"
        );
        for id in (0..person_surnames()).step_by(97).take(100_000) {
            let mut b = Vec::new();
            write_person_surname(&mut b, id);
            let s = String::from_utf8(b).unwrap();
            assert!(s.is_ascii() && looks_like_generated_surname(&s), "{s}");
            assert!(
                !vocabulary.contains(&s.to_ascii_lowercase()),
                "{s} is an ordinary word"
            );
            assert!(seen.insert(s));
        }
        for id in 0..agent_surnames().min(20_000) {
            let mut b = Vec::new();
            write_agent_surname(&mut b, id);
            let s = String::from_utf8(b).unwrap();
            assert!(looks_like_generated_surname(&s), "{s}");
            assert!(
                !vocabulary.contains(&s.to_ascii_lowercase()),
                "{s} is an ordinary word"
            );
            assert!(seen.insert(s), "agent and person surnames are disjoint");
        }
    }

    #[test]
    fn phones_are_unique_ten_digits() {
        let mut seen = HashSet::new();
        for p in 0..50_000 {
            let mut b = Vec::new();
            write_phone(&mut b, 6, phone_suffix(p));
            assert_eq!(b.len(), 10);
            assert!(seen.insert(b));
        }
        assert_eq!(phone_spaced("0612345678"), "06 12 34 56 78");
    }
}
