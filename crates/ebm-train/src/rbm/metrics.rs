//! Cheap training metrics for RBMs too large for exact likelihoods.

use ebm_boltzmann::BernoulliRbm;
use ebm_core::math::log_sigmoid;
use ebm_core::{Error, Result};
use nalgebra::DMatrix;
use rand::{Rng, RngExt};

fn check_data(data: &DMatrix<f32>) -> Result<()> {
    if data.nrows() == 0 {
        return Err(Error::Invalid { what: "data".into(), reason: "no examples".into() });
    }
    Ok(())
}

/// Mean squared error of the mean-field reconstruction P(v | h = P(h | v)),
/// per unit. Falls as the model learns to reproduce the data, but is not a
/// likelihood: a model can reconstruct well and still put mass elsewhere.
pub fn reconstruction_error(rbm: &BernoulliRbm, data: &DMatrix<f32>) -> Result<f64> {
    check_data(data)?;
    let hidden = rbm.hidden_probabilities(data)?;
    let reconstruction = rbm.visible_probabilities(&hidden)?;
    let squared: f64 = data.iter().zip(reconstruction.iter()).map(|(&v, &r)| f64::from(v - r).powi(2)).sum();
    Ok(squared / data.len() as f64)
}

/// A stochastic estimate of the average pseudo-log-likelihood
/// (1/n) Σ_n Σ_i log P(v_i | v_{−i}): for each row one unit i is drawn
/// uniformly and N · log σ(F(ṽ) − F(v)) is taken, ṽ being v with unit i
/// flipped — an unbiased estimate of the row's sum, since
/// P(v_i | v_{−i}) = e^{−F(v)} / (e^{−F(v)} + e^{−F(ṽ)}).
pub fn pseudo_log_likelihood(
    rbm: &BernoulliRbm,
    data: &DMatrix<f32>,
    rng: &mut (impl Rng + ?Sized),
) -> Result<f64> {
    check_data(data)?;
    let mut flipped = data.clone();
    for r in 0..data.nrows() {
        let i = rng.random_range(0..data.ncols().max(1));
        if data.ncols() > 0 {
            flipped[(r, i)] = 1.0 - flipped[(r, i)];
        }
    }
    let (original, changed) = (rbm.free_energy(data)?, rbm.free_energy(&flipped)?);
    let n = data.ncols() as f64;
    Ok(original.iter().zip(&changed).map(|(f, g)| n * log_sigmoid(g - f)).sum::<f64>() / data.nrows() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbm::exact::exact_average_log_likelihood;
    use ebm_mcmc::rng::seeded;

    #[test]
    fn pseudo_likelihood_is_exact_for_independent_units() {
        // With W = 0, units are independent and the pseudo-likelihood is the likelihood.
        let mut rbm = BernoulliRbm::zeros(6, 2);
        rbm.biases_mut().0.iter_mut().enumerate().for_each(|(i, a)| *a = i as f32 * 0.3 - 0.8);
        let mut rng = seeded(1);
        let data = DMatrix::from_fn(50, 6, |_, _| f32::from(u8::from(rng.random::<bool>())));
        let exact = exact_average_log_likelihood(&rbm, &data).unwrap();
        let runs = 400;
        let estimate: f64 =
            (0..runs).map(|_| pseudo_log_likelihood(&rbm, &data, &mut rng).unwrap()).sum::<f64>()
                / runs as f64;
        assert!((estimate - exact).abs() < 0.05, "PL {estimate} vs LL {exact}");
        let error = reconstruction_error(&rbm, &data).unwrap();
        assert!((0.0..=1.0).contains(&error));
        assert!(reconstruction_error(&rbm, &DMatrix::zeros(0, 6)).is_err());
    }
}
