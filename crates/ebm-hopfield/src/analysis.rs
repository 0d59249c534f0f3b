//! What a Hopfield network's final states are: overlaps with the stored
//! patterns, classification (stored, reversed, mixture, spurious), and
//! basins of attraction.

use crate::network::{Hopfield, RecallOptions};
use ebm_core::{Domain, Error, PairwiseEnergy, Result};
use ebm_mcmc::rng::stream;
use rayon::prelude::*;

/// Checks that every pattern is a ±1 vector of `units` entries.
fn check_patterns(patterns: &[Vec<i8>], units: usize) -> Result<()> {
    patterns.iter().try_for_each(|p| Domain::Spin.check(p, units))
}

/// The overlaps m_μ = (1/N) Σ_i ξ_i^μ σ_i of `state` with each pattern:
/// 1 for the pattern itself, −1 for its reverse, about ±1/√N for an unrelated one.
pub fn overlaps(state: &[i8], patterns: &[Vec<i8>]) -> Result<Vec<f64>> {
    Domain::Spin.check(state, state.len())?;
    check_patterns(patterns, state.len())?;
    let n = state.len().max(1) as f64;
    Ok(patterns
        .iter()
        .map(|p| p.iter().zip(state).map(|(&a, &b)| i32::from(a * b)).sum::<i32>() as f64 / n)
        .collect())
}

/// What kind of state a network ended in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateClass {
    /// Stored pattern μ.
    Stored(usize),
    /// The reverse −ξ^μ of stored pattern μ (a minimum whenever ξ^μ is, since E(−s) = E(s) without bias).
    Reversed(usize),
    /// The symmetric mixture sign(±ξ^a ± ξ^b ± ξ^c) of three patterns, with the given signs.
    Mixture {
        /// The three patterns.
        patterns: [usize; 3],
        /// The sign of each in the mixture.
        signs: [i8; 3],
    },
    /// None of the above.
    Spurious,
}

/// Number of units where `a` and `b` differ.
fn distance(a: &[i8], b: impl Iterator<Item = i8>) -> usize {
    a.iter().zip(b).filter(|(x, y)| **x != *y).count()
}

/// Classifies `state` against `patterns`, allowing up to `tolerance` (a
/// fraction of the units) to differ. Mixtures are looked for among the three
/// patterns with the largest |overlap|, as a symmetric three-pattern mixture
/// has overlap about ½ with each of its components.
pub fn classify(state: &[i8], patterns: &[Vec<i8>], tolerance: f64) -> Result<StateClass> {
    if !(0.0..=1.0).contains(&tolerance) {
        return Err(Error::Invalid {
            what: "tolerance".into(),
            reason: format!("{tolerance} is not in [0, 1]"),
        });
    }
    let m = overlaps(state, patterns)?;
    let allowed = (tolerance * state.len() as f64).floor() as usize;
    for (mu, p) in patterns.iter().enumerate() {
        if distance(state, p.iter().copied()) <= allowed {
            return Ok(StateClass::Stored(mu));
        }
        if distance(state, p.iter().map(|&v| -v)) <= allowed {
            return Ok(StateClass::Reversed(mu));
        }
    }
    if patterns.len() >= 3 {
        let mut order: Vec<usize> = (0..patterns.len()).collect();
        order.sort_by(|&a, &b| m[b].abs().total_cmp(&m[a].abs()));
        let chosen = [order[0], order[1], order[2]];
        let signs = chosen.map(|mu| if m[mu] < 0.0 { -1i8 } else { 1 });
        let mixture = (0..state.len())
            .map(|i| chosen.iter().zip(&signs).map(|(&mu, &s)| s * patterns[mu][i]).sum::<i8>().signum());
        if distance(state, mixture) <= allowed {
            return Ok(StateClass::Mixture { patterns: chosen, signs });
        }
    }
    Ok(StateClass::Spurious)
}

/// One point of a basin-of-attraction curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BasinPoint {
    /// Fraction of units flipped in each probe.
    pub flipped: f64,
    /// Fraction of probes that recalled their pattern exactly.
    pub retrieval_rate: f64,
    /// Mean final overlap with the pattern.
    pub mean_overlap: f64,
}

/// Retrieval against corruption: for each fraction, `trials` probes per
/// pattern, each with exactly round(fraction·N) units flipped, are recalled;
/// a probe counts as retrieved when it ends exactly on its pattern. Probe k
/// of pattern μ uses the random stream (seed, μ·trials + k) whatever the
/// thread count.
pub fn basin_curve<M: PairwiseEnergy>(
    net: &Hopfield<M>,
    patterns: &[Vec<i8>],
    fractions: &[f64],
    trials: usize,
    options: &RecallOptions,
    seed: u64,
) -> Result<Vec<BasinPoint>> {
    check_patterns(patterns, net.len())?;
    fractions
        .iter()
        .map(|&fraction| {
            let outcomes: Vec<(bool, f64)> = (0..patterns.len() * trials)
                .into_par_iter()
                .map(|job| {
                    let pattern = &patterns[job / trials.max(1)];
                    let mut rng = stream(seed, job as u64);
                    let probe = ebm_data::patterns::corrupt(pattern, Domain::Spin, fraction, &mut rng)?;
                    let state = net.recall(&probe, options, &mut rng)?.state;
                    let overlap = overlaps(&state, std::slice::from_ref(pattern))?[0];
                    Ok((state == *pattern, overlap))
                })
                .collect::<Result<_>>()?;
            let count = outcomes.len().max(1) as f64;
            Ok(BasinPoint {
                flipped: fraction,
                retrieval_rate: outcomes.iter().filter(|o| o.0).count() as f64 / count,
                mean_overlap: outcomes.iter().map(|o| o.1).sum::<f64>() / count,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::hebbian_network;
    use ebm_mcmc::rng::seeded;

    #[test]
    fn classification_recognises_each_kind() {
        let mut rng = seeded(1);
        let patterns = ebm_data::patterns::random(4, 101, 0.5, Domain::Spin, &mut rng).unwrap();
        assert_eq!(classify(&patterns[2], &patterns, 0.0).unwrap(), StateClass::Stored(2));
        let reversed: Vec<i8> = patterns[1].iter().map(|&v| -v).collect();
        assert_eq!(classify(&reversed, &patterns, 0.0).unwrap(), StateClass::Reversed(1));
        let mixture: Vec<i8> =
            (0..101).map(|i| (patterns[0][i] - patterns[1][i] + patterns[3][i]).signum()).collect();
        match classify(&mixture, &patterns, 0.0).unwrap() {
            StateClass::Mixture { patterns, signs } => {
                let mut by_pattern: Vec<(usize, i8)> = patterns.into_iter().zip(signs).collect();
                by_pattern.sort();
                assert_eq!(by_pattern, vec![(0, 1), (1, -1), (3, 1)]);
            }
            other => panic!("expected a mixture, got {other:?}"),
        }
        let random = ebm_core::Spins::random(101, &mut rng).into_vec();
        assert_eq!(classify(&random, &patterns, 0.0).unwrap(), StateClass::Spurious);
        let m = overlaps(&patterns[0], &patterns).unwrap();
        assert_eq!(m[0], 1.0);
        assert!(m[1].abs() < 0.4);
        assert!(classify(&random, &patterns, 1.5).is_err());
        assert!(overlaps(&[1, 1], &patterns).is_err());
    }

    #[test]
    fn basins_shrink_with_corruption_at_low_load() {
        let mut rng = seeded(2);
        let patterns = ebm_data::patterns::random(5, 200, 0.5, Domain::Spin, &mut rng).unwrap();
        let net = hebbian_network(&patterns);
        let curve =
            basin_curve(&net, &patterns, &[0.0, 0.1, 0.45], 10, &RecallOptions::default(), 3).unwrap();
        // Load 5/200 = 0.025: every pattern is an attractor with a wide basin.
        assert_eq!(curve[0].retrieval_rate, 1.0);
        assert!(curve[1].retrieval_rate > 0.95, "{curve:?}");
        assert!(curve[2].retrieval_rate < curve[1].retrieval_rate, "{curve:?}");
        assert!(curve[2].mean_overlap < curve[1].mean_overlap);
    }
}
