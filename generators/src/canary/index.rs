//! The matcher behind the registry: every pattern found through a run of its *words*, by hash (issue 23).
//!
//! A canary is matched only at word boundaries (the bytes around a hit are not ASCII letters or digits), so
//! each of its words, its maximal runs of ASCII letters and digits, is a whole word of the scanned text
//! wherever it matches. Each pattern is indexed under one *gram*, a run of one to [`GRAM`] consecutive words
//! of it, the rarest among all patterns' grams (the words of phones, case numbers and addresses are shared by
//! thousands of patterns; four in a row seldom are), with the gram's offset in the pattern. A scan hashes
//! the grams that end at each word of the text, looks each up behind two bitsets (the words that end a key,
//! then the keys) that turn most away without touching the table, and compares each candidate pattern whole at the place its gram says, ignoring ASCII
//! case.
//!
//! Memory is a few words per pattern plus the patterns' bytes, built without an intermediate automaton:
//! at 10,000 case files the Aho-Corasick automaton this replaces held 36.6 MiB and its build peaked near
//! 220 MiB above the world (its noncontiguous NFA alive beside the result).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The longest run of words a pattern is indexed under.
const GRAM: usize = 4;

/// Patterns (folded, lower case), found at word boundaries through an index of one gram each.
#[derive(Debug, Clone, Default)]
pub(super) struct WordIndex {
    /// Every pattern's bytes, end to end.
    bytes: Vec<u8>,
    /// Each pattern: where its bytes start in `bytes`, and its length.
    spans: Vec<(u32, u32)>,
    /// Index entries grouped by gram hash: (pattern, offset of the gram's first word in the pattern).
    entries: Vec<(u32, u32)>,
    /// Gram hash -> the range of its entries.
    table: HashMap<u64, (u32, u32), BuildHasherDefault<Identity>>,
    /// The key grams: a gram of the text that is not in it is no key, found without touching the table.
    keys: Bits,
    /// The last words of key grams (as one-word grams): grams that end at a word not in it are not looked at.
    /// Few words end keys (the rare words of unique values, the last words of phones and streets), so most
    /// words of a text cost one bit.
    ends: Bits,
    /// Patterns without a word (no ASCII letter or digit): compared at every offset (none in a generated
    /// world; kept so that no pattern is ever dropped).
    wordless: Vec<u32>,
}

/// Patterns gathered for a [`WordIndex`], end to end (not one allocation each: a world of 50,000 case files
/// has 1.6 million).
#[derive(Debug, Default)]
pub(super) struct IndexBuilder {
    bytes: Vec<u8>,
    spans: Vec<(u32, u32)>,
}

/// How many patterns hold a gram, estimated in fixed memory (a count-min sketch of two rows of saturating
/// counters): never under the true count, over it only where grams share counters. Exact counts need an
/// entry per distinct gram (millions at 50,000 case files, alive beside everything else the build holds); a
/// pattern only needs to tell its rare grams from its common ones, which the estimate does.
struct GramCounts {
    rows: [Vec<u8>; 2],
    mask: u64,
}

impl GramCounts {
    /// Counters for about `grams` gram occurrences: one per occurrence and row, at least 2^16.
    fn new(grams: usize) -> GramCounts {
        let size = grams.next_power_of_two().max(1 << 16);
        GramCounts {
            rows: [vec![0; size], vec![0; size]],
            mask: size as u64 - 1,
        }
    }

    fn slots(&self, h: u64) -> [usize; 2] {
        [
            (h & self.mask) as usize,
            ((h >> 32).rotate_left(7) & self.mask) as usize,
        ]
    }

    fn add(&mut self, h: u64) {
        for (row, slot) in self.slots(h).into_iter().enumerate() {
            self.rows[row][slot] = self.rows[row][slot].saturating_add(1);
        }
    }

    fn get(&self, h: u64) -> u8 {
        let [a, b] = self.slots(h);
        self.rows[0][a].min(self.rows[1][b])
    }
}

impl IndexBuilder {
    /// Add a pattern (folded, lower case): the next pattern number.
    pub(super) fn push(&mut self, pattern: &[u8]) {
        let narrow = |n: usize| u32::try_from(n).expect("patterns hold less than 4 GiB");
        self.spans
            .push((narrow(self.bytes.len()), narrow(pattern.len())));
        self.bytes.extend_from_slice(pattern);
    }

    fn pattern(&self, p: usize) -> &[u8] {
        let (at, len) = self.spans[p];
        &self.bytes[at as usize..(at + len) as usize]
    }

    /// The index: each pattern under its rarest gram.
    pub(super) fn build(mut self) -> WordIndex {
        let narrow = |n: usize| u32::try_from(n).expect("fewer than 4 billion patterns");
        let patterns = self.spans.len();
        // How many patterns hold each gram (each gram once per pattern).
        let occurrences: usize = (0..patterns)
            .map(|p| words(self.pattern(p)).count() * GRAM)
            .sum();
        let mut counts = GramCounts::new(occurrences);
        let mut mine = Vec::new();
        for p in 0..patterns {
            mine.clear();
            mine.extend(pattern_grams(self.pattern(p)).into_iter().map(|g| g.hash));
            mine.sort_unstable();
            mine.dedup();
            for &h in &mine {
                counts.add(h);
            }
        }
        // (gram hash, pattern, offset), and the hashes of the keys' last words.
        let mut keyed: Vec<(u64, u32, u32)> = Vec::with_capacity(patterns);
        let mut ends: Vec<u64> = Vec::with_capacity(patterns);
        let mut wordless = Vec::new();
        for p in 0..patterns {
            // The rarest gram; the shortest among equally rare ones (fewer words to hash), then the first.
            let best = pattern_grams(self.pattern(p))
                .into_iter()
                .min_by_key(|g| (counts.get(g.hash), g.words, g.offset));
            match best {
                Some(g) => {
                    keyed.push((g.hash, narrow(p), narrow(g.offset)));
                    ends.push(g.end);
                }
                None => wordless.push(narrow(p)),
            }
        }
        drop(counts);
        keyed.sort_unstable();
        ends.sort_unstable();
        ends.dedup();
        let distinct = keyed.windows(2).filter(|w| w[0].0 != w[1].0).count() + 1;
        self.bytes.shrink_to_fit();
        self.spans.shrink_to_fit();
        let mut index = WordIndex {
            bytes: self.bytes,
            spans: self.spans,
            entries: keyed.iter().map(|&(_, p, o)| (p, o)).collect(),
            table: HashMap::with_capacity_and_hasher(distinct, Default::default()),
            // Measured at 10,000 case files: 8 bits per key gram, 16 per end word (a smaller set, hit by
            // every word of a text) scan fastest.
            keys: Bits::new(distinct, 8),
            ends: Bits::new(ends.len(), 16),
            wordless,
        };
        for h in ends {
            index.ends.insert(h);
        }
        let mut start = 0;
        while start < keyed.len() {
            let h = keyed[start].0;
            let end = start + keyed[start..].iter().take_while(|k| k.0 == h).count();
            index.table.insert(h, (narrow(start), narrow(end)));
            index.keys.insert(h);
            start = end;
        }
        index
    }
}

/// A bitset over hashes (a Bloom filter with one hash): no false negative; a hash that is not in the set
/// passes once in `bits per key` or less.
#[derive(Debug, Clone, Default)]
struct Bits {
    words: Vec<u64>,
    /// The number of high hash bits that address a bit.
    shift: u32,
}

impl Bits {
    /// A filter for `keys` distinct hashes, `per_key` bits each (rounded up to a power of two).
    fn new(keys: usize, per_key: usize) -> Bits {
        let bits = (keys.max(1) * per_key)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(12, 32);
        Bits {
            words: vec![0; 1 << (bits - 6)],
            shift: 64 - bits,
        }
    }

    fn bit(&self, h: u64) -> (usize, u64) {
        let bit = (h >> self.shift) as usize;
        (bit / 64, 1 << (bit % 64))
    }

    fn insert(&mut self, h: u64) {
        let (word, mask) = self.bit(h);
        self.words[word] |= mask;
    }

    fn contains(&self, h: u64) -> bool {
        let (word, mask) = self.bit(h);
        self.words[word] & mask != 0
    }

    fn memory_usage(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
pub(super) struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The hash of a word, ignoring ASCII case.
fn word_hash(word: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in word {
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The hash of a gram: the hash of its words but the last, and its last word's hash.
fn gram_hash(before: u64, word: u64) -> u64 {
    let mut h = before.rotate_left(23) ^ word;
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

/// The grams that end at the last of `window` (at most [`GRAM`] words: start, end, hash), as (hash, index
/// in `window` of the gram's first word), from the one-word gram to the longest.
fn grams_ending(window: &[(usize, usize, u64)], mut each: impl FnMut(u64, usize)) {
    let Some(last) = window.len().checked_sub(1) else {
        return;
    };
    let mut h = gram_hash(0, window[last].2);
    each(h, last);
    for first in (last.saturating_sub(GRAM - 1)..last).rev() {
        h = gram_hash(window[first].2, h);
        each(h, first);
    }
}

/// The words of a pattern (start, end, hash).
fn pattern_words(p: &[u8]) -> Vec<(usize, usize, u64)> {
    words(p).map(|(s, e)| (s, e, word_hash(&p[s..e]))).collect()
}

/// A gram of a pattern.
#[derive(Debug, Clone, Copy)]
struct Gram {
    hash: u64,
    /// The offset of its first word in the pattern.
    offset: usize,
    /// How many words it has.
    words: usize,
    /// The hash of its last word, as a one-word gram.
    end: u64,
}

/// Every gram of a pattern.
fn pattern_grams(p: &[u8]) -> Vec<Gram> {
    let words = pattern_words(p);
    let mut out = Vec::new();
    for last in 0..words.len() {
        let from = (last + 1).saturating_sub(GRAM);
        grams_ending(&words[from..=last], |hash, first| {
            out.push(Gram {
                hash,
                offset: words[from + first].0,
                words: last - from - first + 1,
                end: gram_hash(0, words[last].2),
            });
        });
    }
    out
}

/// The words of `bytes`: (start, end) of each maximal run of ASCII letters and digits.
fn words(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        Some((start, i))
    })
}

/// Whether `start..end` of `haystack` is a whole word: the bytes around it are not ASCII letters or digits.
pub(super) fn at_boundaries(haystack: &[u8], start: usize, end: usize) -> bool {
    let boundary = |i: Option<&u8>| i.is_none_or(|c| !c.is_ascii_alphanumeric());
    let before = start.checked_sub(1).and_then(|i| haystack.get(i));
    boundary(before) && boundary(haystack.get(end))
}

impl WordIndex {
    /// The index of `patterns` (folded, lower case); pattern `i` is reported as `i`.
    #[cfg(test)]
    pub(super) fn new(patterns: &[Vec<u8>]) -> WordIndex {
        let mut builder = IndexBuilder::default();
        for p in patterns {
            builder.push(p);
        }
        builder.build()
    }

    /// The number of patterns.
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The heap memory of the index, in bytes.
    pub(super) fn memory_usage(&self) -> usize {
        self.bytes.capacity()
            + self.spans.capacity() * 8
            + self.entries.capacity() * 8
            // hashbrown: a key, a value and a control byte per bucket.
            + self.table.capacity() * (8 + 8 + 1)
            + self.keys.memory_usage()
            + self.ends.memory_usage()
            + self.wordless.capacity() * 4
    }

    /// The most patterns one key gram stands for (each a comparison wherever the gram is in a text).
    #[cfg(test)]
    pub(super) fn largest_key(&self) -> usize {
        self.table
            .values()
            .map(|&(from, to)| (to - from) as usize)
            .max()
            .unwrap_or(0)
    }

    /// The bytes of pattern `p`.
    fn pattern(&self, p: u32) -> &[u8] {
        let (at, len) = self.spans[p as usize];
        &self.bytes[at as usize..(at + len) as usize]
    }

    /// Whether pattern `p` is at `start` of `haystack`, ignoring ASCII case, at word boundaries; its end.
    fn matches_at(&self, haystack: &[u8], p: u32, start: usize) -> Option<usize> {
        let pattern = self.pattern(p);
        let end = start + pattern.len();
        let here = haystack.get(start..end)?;
        (here.eq_ignore_ascii_case(pattern) && at_boundaries(haystack, start, end)).then_some(end)
    }

    /// Every occurrence of every pattern in `haystack` at word boundaries, overlapping ones included, as
    /// (pattern, start, end), in the order of the words their grams end at.
    pub(super) fn find(&self, haystack: &[u8], mut hit: impl FnMut(u32, usize, usize)) {
        // The last words of the text: a gram is at most GRAM of them.
        let mut window = [(0usize, 0usize, 0u64); GRAM];
        let mut seen = 0usize;
        for (s, e) in words(haystack) {
            if seen == GRAM {
                window.rotate_left(1);
            } else {
                seen += 1;
            }
            let word = word_hash(&haystack[s..e]);
            window[seen - 1] = (s, e, word);
            if !self.ends.contains(gram_hash(0, word)) {
                continue;
            }
            grams_ending(&window[..seen], |h, first| {
                if !self.keys.contains(h) {
                    return;
                }
                let Some(&(from, to)) = self.table.get(&h) else {
                    return;
                };
                let gram_start = window[first].0;
                for &(p, offset) in &self.entries[from as usize..to as usize] {
                    let Some(start) = gram_start.checked_sub(offset as usize) else {
                        continue;
                    };
                    if let Some(end) = self.matches_at(haystack, p, start) {
                        hit(p, start, end);
                    }
                }
            });
        }
        for &p in &self.wordless {
            for start in 0..haystack.len() {
                if let Some(end) = self.matches_at(haystack, p, start) {
                    hit(p, start, end);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(patterns: &[&str], haystack: &str) -> Vec<(u32, usize, usize)> {
        let patterns: Vec<Vec<u8>> = patterns.iter().map(|p| p.as_bytes().to_vec()).collect();
        let index = WordIndex::new(&patterns);
        let mut out = Vec::new();
        index.find(haystack.as_bytes(), |p, s, e| out.push((p, s, e)));
        out.sort_unstable();
        out
    }

    #[test]
    fn patterns_are_found_whole_at_word_boundaries_ignoring_case() {
        let patterns = [
            "12 rue des lilas",
            "dupont",
            "75-2024-000123",
            "doc-75-2024-000123-1",
        ];
        let text =
            "DUPONT, 12 Rue des Lilas; ref DOC-75-2024-000123-1 xdupont dupontx 12 rue des lilasx";
        assert_eq!(
            found(&patterns, text),
            vec![(0, 8, 24), (1, 0, 6), (2, 34, 48), (3, 30, 50)],
            "a case number inside a document reference is found too; never inside a longer word"
        );
    }

    #[test]
    fn a_pattern_is_found_through_its_rarest_word_wherever_it_is() {
        // "rue" and "des" are in every address: each address is indexed under its own word.
        let patterns = ["3 rue des ormes", "5 rue des pins", "rue"];
        let text = "x 5 rue des pins; 3 rue des ormes; rue";
        assert_eq!(
            found(&patterns, text),
            vec![(0, 18, 33), (1, 2, 16), (2, 4, 7), (2, 20, 23), (2, 35, 38)]
        );
    }

    #[test]
    fn a_pattern_without_a_word_is_still_found() {
        assert_eq!(found(&["--", "ab"], "x -- ab"), vec![(0, 2, 4), (1, 5, 7)]);
    }

    #[test]
    fn a_word_at_the_start_of_a_pattern_cannot_reach_before_the_text() {
        assert_eq!(found(&["ab cd"], "cd ab"), vec![]);
        assert_eq!(found(&["ab cd"], "ab cd"), vec![(0, 0, 5)]);
    }
}
