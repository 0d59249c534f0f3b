//! Random streams: one seed, many independent, reproducible generators.
//!
//! Parallel code (replicas, chains, batches) must give the same result for
//! a seed whatever the number of threads. It does so by giving work item k
//! its own generator, [`stream`]`(seed, k)`, that depends on nothing but the
//! seed and k, never on which thread runs it or in what order.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// The generator every sampler in this crate is tested with: PCG-64 with a
/// multiplicative congruential step (fast, 128-bit state, good statistics).
pub type SamplerRng = Pcg64Mcg;

/// SplitMix64's finaliser: a bijection on u64 that scatters nearby inputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generator of work item `index` under `seed`: streams of different
/// indices are seeded far apart, and the same (seed, index) always gives the
/// same stream.
pub fn stream(seed: u64, index: u64) -> SamplerRng {
    let state = (u128::from(mix(seed)) << 64)
        | u128::from(mix(seed ^ mix(index.wrapping_add(0x9e37_79b9_7f4a_7c15))));
    Pcg64Mcg::new(state | 1)
}

/// A generator seeded from one u64.
pub fn seeded(seed: u64) -> SamplerRng {
    SamplerRng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |seed, index| stream(seed, index).random::<u64>();
        assert_eq!(draw(1, 2), draw(1, 2));
        let firsts: std::collections::HashSet<u64> = (0..1000).map(|k| draw(7, k)).collect();
        assert_eq!(firsts.len(), 1000);
        assert_ne!(draw(1, 0), draw(2, 0));
    }
}
