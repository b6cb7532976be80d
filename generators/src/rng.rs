//! Deterministic random streams. Every stream is a ChaCha8 generator keyed by the world seed and a domain
//! (cases, tenants, agents, passwords) and positioned on its own 64-bit stream number (a case's global index,
//! a tenant's index): records never share a stream, so generation order and thread count cannot change
//! them. Never the wall clock or OS entropy.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ident::mix;

/// The domains of random streams.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Domain {
    /// One stream per case file (indexed by global case index).
    Case = 1,
    /// One stream per tenant (indexed by departement index).
    Tenant = 2,
    /// One stream per agent (indexed by global agent index).
    Agent = 3,
    /// One stream per account, for passwords (indexed by account id).
    Password = 4,
}

/// Makes the streams of one domain for one seed.
#[derive(Debug, Clone)]
pub struct StreamFactory {
    key: [u8; 32],
}

impl StreamFactory {
    /// The factory of `domain` for world `seed`.
    pub fn new(seed: u64, domain: Domain) -> StreamFactory {
        let mut key = [0u8; 32];
        let mut state =
            mix(seed ^ 0x636C_6F69_736F_6E00) ^ (domain as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for chunk in key.chunks_exact_mut(8) {
            state = mix(state.wrapping_add(0x9E37_79B9_7F4A_7C15));
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        StreamFactory { key }
    }

    /// Stream number `n` of this domain.
    pub fn stream(&self, n: u64) -> Stream {
        let mut rng = ChaCha8Rng::from_seed(self.key);
        rng.set_stream(n);
        Stream(rng)
    }
}

/// A deterministic random stream with the few draws the generator needs.
#[derive(Debug, Clone)]
pub struct Stream(ChaCha8Rng);

impl Stream {
    /// 32 random bits.
    #[inline]
    pub fn u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// 64 random bits.
    #[inline]
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `[0, n)` (multiply-shift; `n` >= 1).
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.u32()) * u64::from(n)) >> 32) as u32
    }

    /// A number in `[0, n)` for 64-bit bounds.
    #[inline]
    pub fn below_u64(&mut self, n: u64) -> u64 {
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `[lo, hi]`.
    #[inline]
    pub fn between(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as u32) as i32
    }

    /// A uniform number in `[0, 1)`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        f64::from(self.u32()) < p * 4_294_967_296.0
    }

    /// An index drawn with the given (non-negative) weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut r = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }

    /// A uniformly chosen element.
    #[inline]
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u32) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let f = StreamFactory::new(7, Domain::Case);
        let a: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(f.stream(3), |s, _: i32| Some(s.u32()))
            .collect();
        let b: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(f.stream(3), |s, _: i32| Some(s.u32()))
            .collect();
        let c: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(f.stream(4), |s, _: i32| Some(s.u32()))
            .collect();
        let d: Vec<u32> = (0..8)
            .map(|_| 0)
            .scan(
                StreamFactory::new(8, Domain::Case).stream(3),
                |s, _: i32| Some(s.u32()),
            )
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        let mut s = f.stream(9);
        for _ in 0..1000 {
            assert!(s.below(7) < 7);
            let v = s.between(-3, 3);
            assert!((-3..=3).contains(&v));
        }
    }
}
