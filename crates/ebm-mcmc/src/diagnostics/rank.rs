//! Rank-normalised split-R̂ and bulk ESS (Vehtari et al. 2021).
//!
//! The classic R̂ and ESS use means and variances, so they fail for heavy
//! tails (a Cauchy chain has no variance) and miss chains that differ in
//! scale but not location. Rank normalisation replaces every draw by the
//! normal score of its rank among all S draws of all chains,
//!
//! z = Φ⁻¹((r − 3/8) / (S + 1/4))  (Blom's offsets; ties get their average rank),
//!
//! which leaves a monotone transformation of the draws, finite moments
//! whatever the tails, and the same estimators applied to z.

use super::multichain::{ess_of, rhat_of, split_halves};
use super::{check_chains, zero_variance};
use ebm_core::Result;

/// Φ⁻¹(p), the standard normal quantile, for 0 < p < 1, by Wichura's
/// algorithm AS 241 (PPND16, *Applied Statistics* 37, 1988): rational
/// approximations of degree 7 with relative error about 10⁻¹⁶.
fn normal_quantile(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * rational(
            r,
            &[
                3.387_132_872_796_366_5,
                133.141_667_891_784_38,
                1_971.590_950_306_551_3,
                13_731.693_765_509_46,
                45_921.953_931_549_87,
                67_265.770_927_008_7,
                33_430.575_583_588_13,
                2_509.080_928_730_122_7,
            ],
            &[
                1.0,
                42.313_330_701_600_91,
                687.187_007_492_057_9,
                5_394.196_021_424_751,
                21_213.794_301_586_597,
                39_307.895_800_092_71,
                28_729.085_735_721_943,
                5_226.495_278_852_545,
            ],
        );
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let value = if r <= 5.0 {
        rational(
            r - 1.6,
            &[
                1.423_437_110_749_683_5,
                4.630_337_846_156_545,
                5.769_497_221_460_691,
                3.647_848_324_763_204_5,
                1.270_458_252_452_368_4,
                0.241_780_725_177_450_6,
                0.022_723_844_989_269_184,
                7.745_450_142_783_414e-4,
            ],
            &[
                1.0,
                2.053_191_626_637_759,
                1.676_384_830_183_803_8,
                0.689_767_334_985_1,
                0.148_103_976_427_480_08,
                0.015_198_666_563_616_457,
                5.475_938_084_995_345e-4,
                1.050_750_071_644_416_8e-9,
            ],
        )
    } else {
        rational(
            r - 5.0,
            &[
                6.657_904_643_501_103,
                5.463_784_911_164_114,
                1.784_826_539_917_291_3,
                0.296_560_571_828_504_9,
                0.026_532_189_526_576_124,
                0.001_242_660_947_388_078_4,
                2.711_555_568_743_487_6e-5,
                2.010_334_399_292_288_1e-7,
            ],
            &[
                1.0,
                0.599_832_206_555_888,
                0.136_929_880_922_735_8,
                0.014_875_361_290_850_615,
                7.868_691_311_456_133e-4,
                1.846_318_317_510_054_8e-5,
                1.421_511_758_316_446e-7,
                2.044_263_103_389_939_7e-15,
            ],
        )
    };
    if q < 0.0 { -value } else { value }
}

/// Σ a_k x^k / Σ b_k x^k by Horner's rule.
fn rational(x: f64, numerator: &[f64; 8], denominator: &[f64; 8]) -> f64 {
    let horner = |c: &[f64; 8]| c.iter().rev().fold(0.0, |acc, &ck| acc * x + ck);
    horner(numerator) / horner(denominator)
}

/// Replaces every draw by the normal score of its rank among all draws of
/// all chains (average ranks for ties), keeping the chains' shapes.
fn rank_normalize(chains: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut order: Vec<(f64, usize, usize)> = chains
        .iter()
        .enumerate()
        .flat_map(|(k, c)| c.iter().enumerate().map(move |(i, &x)| (x, k, i)))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = order.len() as f64;
    let mut scores: Vec<Vec<f64>> = chains.iter().map(|c| vec![0.0; c.len()]).collect();
    let mut start = 0;
    while start < order.len() {
        let end = start + order[start..].iter().take_while(|d| d.0 == order[start].0).count();
        // Ranks start..end (0-based) share the average 1-based rank.
        let rank = (start + end + 1) as f64 / 2.0;
        let z = normal_quantile((rank - 0.375) / (total + 0.25));
        for &(_, k, i) in &order[start..end] {
            scores[k][i] = z;
        }
        start = end;
    }
    scores
}

/// |x − median| of every draw, the median taken over all draws of all chains.
fn fold(chains: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut pooled: Vec<f64> = chains.concat();
    pooled.sort_by(f64::total_cmp);
    let s = pooled.len();
    let median = 0.5 * (pooled[(s - 1) / 2] + pooled[s / 2]);
    chains.iter().map(|c| c.iter().map(|x| (x - median).abs()).collect()).collect()
}

fn as_slices(chains: &[Vec<f64>]) -> Vec<&[f64]> {
    chains.iter().map(Vec::as_slice).collect()
}

/// The rank-normalised split-R̂ of Vehtari et al. (2021): the larger of
///
/// - the bulk R̂, [`super::split_rhat`] of the rank-normalised split chains
///   (sensitive to chains that differ in location), and
/// - the tail R̂, the same for the folded draws |x − median(x)| (sensitive
///   to chains that differ in scale or in their tails).
///
/// This is `rhat()` of the R package posterior; the recommended threshold
/// is R̂ < 1.01. Errors as [`super::split_rhat`]; heavy tails are fine.
pub fn rank_normalized_split_rhat<C: AsRef<[f64]>>(chains: &[C]) -> Result<f64> {
    let chains = check_chains(chains)?;
    let bulk = rank_normalize(&split_halves(&chains));
    let folded = fold(&chains);
    let tail = rank_normalize(&split_halves(&as_slices(&folded)));
    let bulk = rhat_of(&as_slices(&bulk)).map_err(|_| zero_variance("chains (every draw equal)"))?;
    // Folded draws can be constant when the chains take two values symmetric about the median.
    Ok(rhat_of(&as_slices(&tail)).map_or(bulk, |tail| bulk.max(tail)))
}

/// The bulk effective sample size of Vehtari et al. (2021): [`super::split_ess`]
/// of the rank-normalised split chains. It measures how well the chains
/// estimate the centre of the distribution, and exists even when the mean
/// does not (heavy tails). Errors as [`super::split_ess`].
pub fn bulk_ess<C: AsRef<[f64]>>(chains: &[C]) -> Result<f64> {
    let chains = check_chains(chains)?;
    let z = rank_normalize(&split_halves(&chains));
    ess_of(&as_slices(&z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::split_rhat;
    use crate::diagnostics::testing::ar1;
    use crate::rng::seeded;
    use proptest::prelude::*;
    use rand::RngExt;

    #[test]
    fn normal_quantile_matches_reference_values() {
        // Φ⁻¹(p), each checked by Φ(x) = erfc(−x/√2)/2 to 10⁻¹³ relative.
        let reference = [
            (1e-300, -37.0470962993612),
            (1e-12, -7.034483825301132),
            (1e-10, -6.361340902404056),
            (0.001, -3.090232306167813),
            (0.02425, -1.9729610513118845),
            (0.05, -1.6448536269514726),
            (0.25, -0.6744897501960817),
            (0.5, 0.0),
            (0.6, 0.2533471031357998),
            (0.9, 1.2815515655446008),
            (0.975, 1.9599639845400536),
            (0.995, 2.5758293035489),
            (1.0 - 1e-9, 5.997807019601638),
        ];
        for (p, x) in reference {
            let got = normal_quantile(p);
            assert!((got - x).abs() <= 1e-13 * (1.0 + x.abs()), "Φ⁻¹({p}) = {got}, expected {x}");
        }
    }

    #[test]
    fn normal_quantile_inverts_the_integrated_density() {
        // Φ(x) − ½ = ∫₀ˣ φ by Simpson's rule with 2000 panels, at 200 points of (0.001, 0.999).
        for k in 1..200 {
            let p = 0.001 + 0.998 * k as f64 / 200.0;
            let x = normal_quantile(p);
            let h = x / 2000.0;
            let phi = |t: f64| (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let simpson: f64 = (0..2000)
                .map(|i| {
                    let a = i as f64 * h;
                    h / 6.0 * (phi(a) + 4.0 * phi(a + h / 2.0) + phi(a + h))
                })
                .sum();
            assert!((0.5 + simpson - p).abs() < 1e-12, "p = {p}: Φ(Φ⁻¹(p)) = {}", 0.5 + simpson);
        }
    }

    #[test]
    fn ranks_of_ties_are_averaged() {
        let chains: [&[f64]; 2] = [&[1.0, 2.0], &[2.0, 3.0]];
        let z = rank_normalize(&chains);
        assert_eq!(z[0][1], z[1][0]);
        assert!(z[0][0] < z[0][1] && z[0][1] < z[1][1]);
        // Symmetric ranks give antisymmetric scores, and the tied middle scores 0.
        assert!((z[0][0] + z[1][1]).abs() < 1e-15 && z[0][1].abs() < 1e-15);
    }

    #[test]
    fn tail_rhat_catches_chains_that_differ_only_in_scale() {
        let mut chains: Vec<Vec<f64>> = (0..4).map(|k| ar1(0.0, 4_000, 40 + k)).collect();
        chains[0].iter_mut().for_each(|x| *x *= 3.0);
        let classic = split_rhat(&chains).unwrap();
        let ranked = rank_normalized_split_rhat(&chains).unwrap();
        assert!(classic < 1.01, "classic {classic}");
        assert!(ranked > 1.1, "rank-normalised {ranked}");
    }

    #[test]
    fn rank_normalised_diagnostics_survive_heavy_tails() {
        // Cauchy draws: the classic estimators see a few huge values; ranks do not.
        let mut rng = seeded(11);
        let chains: Vec<Vec<f64>> = (0..4)
            .map(|_| (0..5_000).map(|_| (std::f64::consts::PI * (rng.random::<f64>() - 0.5)).tan()).collect())
            .collect();
        let r = rank_normalized_split_rhat(&chains).unwrap();
        assert!(r < 1.01, "{r}");
        let ess = bulk_ess(&chains).unwrap();
        assert!((ess / 20_000.0 - 1.0).abs() < 0.1, "{ess}");
    }

    #[test]
    fn bulk_ess_of_an_ar1_matches_theory() {
        let chains: Vec<Vec<f64>> = (0..4).map(|k| ar1(0.5, 50_000, 60 + k)).collect();
        let ess = bulk_ess(&chains).unwrap();
        // A monotone transform of a Gaussian AR(1) keeps ρ(1) close to φ: τ ≈ 3.
        assert!((ess / (200_000.0 / 3.0) - 1.0).abs() < 0.1, "{ess}");
    }

    #[test]
    fn refuses_constant_and_bad_chains() {
        assert!(rank_normalized_split_rhat(&[vec![1.0; 6], vec![1.0; 6]]).is_err());
        assert!(bulk_ess(&[vec![1.0; 6]]).is_err());
        assert!(bulk_ess(&[vec![1.0, f64::NAN, 2.0, 3.0]]).is_err());
        // Two values symmetric about the median: the folded chains are constant, the bulk R̂ remains.
        let two_valued = [vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0], vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]];
        assert!(rank_normalized_split_rhat(&two_valued).unwrap().is_finite());
    }

    proptest! {
        #[test]
        fn rank_diagnostics_are_invariant_under_increasing_maps(
            seed in any::<u64>(), n in 4usize..300, phi in -0.5f64..0.9
        ) {
            let chains: Vec<Vec<f64>> = (0..3).map(|k| ar1(phi, n, seed.wrapping_add(k))).collect();
            // exp is strictly increasing: the ranks, hence z, do not change.
            let mapped: Vec<Vec<f64>> = chains.iter().map(|c| c.iter().map(|x| x.exp()).collect()).collect();
            let (e, e2) = (bulk_ess(&chains).unwrap(), bulk_ess(&mapped).unwrap());
            prop_assert!((e - e2).abs() < 1e-9 * e);
            let scores = rank_normalize(&as_slices(&chains));
            prop_assert_eq!(&scores, &rank_normalize(&as_slices(&mapped)));
            // Normal scores of distinct ranks are strictly increasing in the draw and sum to zero.
            let total: f64 = scores.iter().flatten().sum();
            prop_assert!(total.abs() < 1e-9 * (3 * n) as f64);
        }
    }
}
