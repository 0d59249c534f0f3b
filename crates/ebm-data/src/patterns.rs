//! Random discrete patterns and their corruption: the memories and probes of
//! Hopfield-network experiments.

use crate::dataset::Dataset;
use ebm_core::{Domain, Error, Result};
use rand::{Rng, RngExt};

fn check_probability(what: &str, p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::Invalid { what: what.into(), reason: format!("must lie in [0, 1], got {p}") })
    }
}

/// `count` patterns of `units` units, each unit independently on (+1 or 1)
/// with probability `p_on` and off (−1 or 0) otherwise. `p_on = ½` gives the
/// unbiased patterns of the classical capacity analysis; the mean activity of
/// a ±1 unit is then 2·p_on − 1.
pub fn random(
    count: usize,
    units: usize,
    p_on: f64,
    domain: Domain,
    rng: &mut impl Rng,
) -> Result<Vec<Vec<i8>>> {
    check_probability("probability of an on unit", p_on)?;
    crate::check_generated("random patterns", count, units)?;
    Ok((0..count).map(|_| (0..units).map(|_| domain.value(rng.random_bool(p_on))).collect()).collect())
}

/// [`random`] patterns as a [`Dataset`].
pub fn random_dataset(
    count: usize,
    units: usize,
    p_on: f64,
    domain: Domain,
    rng: &mut impl Rng,
) -> Result<Dataset> {
    let patterns = random(count, units, p_on, domain, rng)?;
    let mut data = Dataset::from_states(&patterns, domain)?;
    if patterns.is_empty() {
        data = Dataset::from_rows(Vec::new(), units)?;
    }
    Ok(data)
}

/// A copy of `state` with exactly round(fraction · N) distinct units, chosen
/// uniformly, flipped. The overlap with the original is then
/// m = 1 − 2k/N for ±1 units.
pub fn corrupt(state: &[i8], domain: Domain, fraction: f64, rng: &mut impl Rng) -> Result<Vec<i8>> {
    check_probability("fraction of flipped units", fraction)?;
    domain.check(state, state.len())?;
    let flips = (fraction * state.len() as f64).round() as usize;
    let mut out = state.to_vec();
    for unit in rand::seq::index::sample(rng, state.len(), flips.min(state.len())) {
        out[unit] = domain.flipped(out[unit]);
    }
    Ok(out)
}

/// A copy of `state` with each unit flipped independently with probability
/// `p` (binary symmetric noise).
pub fn flip_noise(state: &[i8], domain: Domain, p: f64, rng: &mut impl Rng) -> Result<Vec<i8>> {
    check_probability("flip probability", p)?;
    domain.check(state, state.len())?;
    Ok(state.iter().map(|&v| if rng.random_bool(p) { domain.flipped(v) } else { v }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    proptest! {
        #[test]
        fn corruption_flips_exactly_the_requested_number(
            units in 1usize..200, fraction in 0.0f64..=1.0, seed in any::<u64>(), spin in any::<bool>()
        ) {
            let domain = if spin { Domain::Spin } else { Domain::Bit };
            let mut rng = Pcg64Mcg::seed_from_u64(seed);
            let state = random(1, units, 0.5, domain, &mut rng).unwrap().remove(0);
            let corrupted = corrupt(&state, domain, fraction, &mut rng).unwrap();
            let flipped = state.iter().zip(&corrupted).filter(|(a, b)| a != b).count();
            prop_assert_eq!(flipped, (fraction * units as f64).round() as usize);
            prop_assert!(domain.check(&corrupted, units).is_ok());
        }

        #[test]
        fn same_seed_same_patterns(seed in any::<u64>()) {
            let draw = || random(5, 17, 0.3, Domain::Spin, &mut Pcg64Mcg::seed_from_u64(seed)).unwrap();
            prop_assert_eq!(draw(), draw());
        }
    }

    #[test]
    fn the_bias_sets_the_mean_activity() {
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        for p in [0.1, 0.5, 0.8] {
            let patterns = random(100, 1000, p, Domain::Bit, &mut rng).unwrap();
            let mean = patterns.iter().flatten().map(|&v| f64::from(v)).sum::<f64>() / 100_000.0;
            // Standard error √(p(1−p)/10⁵) ≤ 0.0016; allow five of them.
            assert!((mean - p).abs() < 0.008, "p = {p}: mean {mean}");
        }
        let noisy_flips: usize = (0..200)
            .map(|_| {
                let s = vec![1i8; 100];
                flip_noise(&s, Domain::Spin, 0.2, &mut rng).unwrap().iter().filter(|&&v| v == -1).count()
            })
            .sum();
        assert!((noisy_flips as f64 / 20_000.0 - 0.2).abs() < 0.015, "{noisy_flips}");
    }

    #[test]
    fn bad_input_is_refused() {
        let mut rng = Pcg64Mcg::seed_from_u64(0);
        assert!(random(2, 3, 1.5, Domain::Bit, &mut rng).is_err());
        assert!(random(usize::MAX, 1 << 20, 0.5, Domain::Bit, &mut rng).is_err());
        assert!(corrupt(&[1, -1], Domain::Spin, -0.1, &mut rng).is_err());
        assert!(corrupt(&[1, 0], Domain::Spin, 0.1, &mut rng).is_err());
        assert!(flip_noise(&[0, 1], Domain::Bit, f64::NAN, &mut rng).is_err());
        assert_eq!(random_dataset(0, 7, 0.5, Domain::Bit, &mut rng).unwrap().features(), 7);
    }
}
