//! The partition function of an RBM, exact by enumerating the smaller
//! layer, and the average log-likelihood it gives (for an estimate by
//! annealed importance sampling see [`super::ais`]).
//!
//! Summing out one layer leaves an energy over the other: with
//! the visible layer summed out, log Z = log Σ_h exp(bᵀh + Σ_i softplus(a_i + (Wh)_i)),
//! and symmetrically over v with −F(v). Enumerating the smaller layer costs
//! 2^k·m softplus evaluations (k the smaller, m the larger layer): the states
//! are visited in Gray-code order so each step updates the m pre-activations
//! by one row of W, in blocks run in parallel and merged in a fixed order.

use super::BernoulliRbm;
use ebm_core::math::{LogSumExp, softplus};
use ebm_core::{Error, Result};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// The largest layer [`log_partition`] enumerates.
pub const MAX_ENUMERATED_UNITS: usize = 30;

/// States per enumeration block (2¹²).
const BLOCK_BITS: usize = 12;

/// log Σ_s exp(eᵀs + Σ_l softplus(c_l + (sᵀC)_l)) over s ∈ {0,1}^k, for C of
/// shape k × m — the smaller layer s summed in closed form over the other.
fn enumerate(coupling: &DMatrix<f64>, own_bias: &[f64], other_bias: &[f64]) -> f64 {
    let k = coupling.nrows();
    let low_bits = k.min(BLOCK_BITS);
    let blocks = 1u64 << (k - low_bits);
    let per_block = |block: u64| {
        // The block fixes the high bits; the low bits run through a Gray code.
        let mut state = vec![false; k];
        let mut input: Vec<f64> = other_bias.to_vec();
        let mut linear = 0.0;
        for bit in low_bits..k {
            if block >> (bit - low_bits) & 1 == 1 {
                state[bit] = true;
                linear += own_bias[bit];
                input.iter_mut().zip(coupling.row(bit).iter()).for_each(|(x, &c)| *x += c);
            }
        }
        let mut acc = LogSumExp::new();
        let log_weight =
            |linear: f64, input: &[f64]| linear + input.iter().map(|&x| softplus(x)).sum::<f64>();
        acc.add(log_weight(linear, &input));
        for step in 1u64..1 << low_bits {
            let bit = step.trailing_zeros() as usize;
            let sign = if state[bit] { -1.0 } else { 1.0 };
            state[bit] = !state[bit];
            linear += sign * own_bias[bit];
            input.iter_mut().zip(coupling.row(bit).iter()).for_each(|(x, &c)| *x += sign * c);
            acc.add(log_weight(linear, &input));
        }
        acc
    };
    let partials: Vec<LogSumExp> = (0..blocks).into_par_iter().map(per_block).collect();
    let mut total = LogSumExp::new();
    partials.iter().for_each(|p| total.merge(p));
    total.value()
}

fn to_f64(values: impl Iterator<Item = f32>) -> Vec<f64> {
    values.map(f64::from).collect()
}

/// Exact log Z, enumerating whichever layer is smaller (at most
/// [`MAX_ENUMERATED_UNITS`] units).
pub fn log_partition(rbm: &BernoulliRbm) -> Result<f64> {
    let (nv, nh) = (rbm.visible(), rbm.hidden());
    let smaller = nv.min(nh);
    if smaller > MAX_ENUMERATED_UNITS {
        return Err(Error::TooLarge {
            what: "RBM layer to enumerate".into(),
            limit: MAX_ENUMERATED_UNITS as u64,
            found: smaller as u64,
        });
    }
    let w = rbm.weights().map(f64::from);
    let (a, b) = (to_f64(rbm.visible_bias().iter().copied()), to_f64(rbm.hidden_bias().iter().copied()));
    Ok(if nh <= nv { enumerate(&w.transpose(), &b, &a) } else { enumerate(&w, &a, &b) })
}

/// The average log-likelihood (1/n) Σ_n log P(v_n) = −mean F(v_n) − log Z of a
/// batch of visible rows, given log Z.
pub fn average_log_likelihood(rbm: &BernoulliRbm, data: &DMatrix<f32>, log_z: f64) -> Result<f64> {
    if data.nrows() == 0 {
        return Err(Error::Invalid { what: "data".into(), reason: "no examples".into() });
    }
    let free = rbm.free_energy(data)?;
    Ok(-free.iter().sum::<f64>() / free.len() as f64 - log_z)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ebm_mcmc::rng::seeded;
    use rand::RngExt;

    /// log Z by brute force over both layers.
    fn brute_force(rbm: &BernoulliRbm) -> f64 {
        let (nv, nh) = (rbm.visible(), rbm.hidden());
        let mut acc = LogSumExp::new();
        for vs in 0u32..1 << nv {
            let v: Vec<f32> = (0..nv).map(|i| (vs >> i & 1) as f32).collect();
            for hs in 0u32..1 << nh {
                let h: Vec<f32> = (0..nh).map(|j| (hs >> j & 1) as f32).collect();
                acc.add(-rbm.energy(&v, &h).unwrap());
            }
        }
        acc.value()
    }

    pub(crate) fn random_rbm(seed: u64, nv: usize, nh: usize, std: f32) -> BernoulliRbm {
        let mut rng = seeded(seed);
        let mut rbm = BernoulliRbm::random(nv, nh, std, &mut rng).unwrap();
        let (a, b) = rbm.biases_mut();
        a.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
        b.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
        rbm
    }

    #[test]
    fn exact_log_partition_matches_brute_force_over_both_layers() {
        for (seed, nv, nh) in [(1, 5, 3), (2, 3, 6), (3, 6, 6), (4, 1, 7), (5, 14, 2)] {
            let rbm = random_rbm(seed, nv, nh, 1.0);
            let (fast, slow) = (log_partition(&rbm).unwrap(), brute_force(&rbm));
            assert!((fast - slow).abs() < 1e-9 * slow.abs().max(1.0), "{nv}×{nh}: {fast} vs {slow}");
        }
        // More than one enumeration block.
        let rbm = random_rbm(6, 40, 15, 0.3);
        let by_hidden = log_partition(&rbm).unwrap();
        let transposed = BernoulliRbm::new(
            rbm.weights().transpose(),
            rbm.hidden_bias().clone(),
            rbm.visible_bias().clone(),
        )
        .unwrap();
        assert!((by_hidden - log_partition(&transposed).unwrap()).abs() < 1e-9 * by_hidden.abs());
        assert!(log_partition(&BernoulliRbm::zeros(40, 40)).is_err());
    }
}
