//! The exact log-likelihood gradient of a small RBM, by enumerating the
//! visible layer: ⟨v_i h_j⟩_model = Σ_v P(v) v_i σ(b_j + (vᵀW)_j).

use crate::fit::{Control, Moment, Observer};
use ebm_boltzmann::BernoulliRbm;
use ebm_boltzmann::rbm::partition::{average_log_likelihood, log_partition};
use ebm_core::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// Largest visible layer whose states [`exact_gradient`] enumerates.
pub const MAX_EXACT_VISIBLE: usize = 20;

/// A gradient (or any update) of the RBM's parameters, in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient {
    /// ∂/∂W (visible × hidden).
    pub weights: DMatrix<f64>,
    /// ∂/∂a.
    pub visible_bias: DVector<f64>,
    /// ∂/∂b.
    pub hidden_bias: DVector<f64>,
}

impl Gradient {
    /// A zero gradient for `visible × hidden` units.
    pub fn zeros(visible: usize, hidden: usize) -> Self {
        Self {
            weights: DMatrix::zeros(visible, hidden),
            visible_bias: DVector::zeros(visible),
            hidden_bias: DVector::zeros(hidden),
        }
    }

    /// Adds w·⟨v hᵀ⟩ statistics of the rows of `visible` with hidden
    /// probabilities (or samples) `hidden`, each row weighted by `weights[r]`.
    pub(crate) fn accumulate(&mut self, visible: &DMatrix<f32>, hidden: &DMatrix<f32>, weights: &[f64]) {
        for (r, &w) in weights.iter().enumerate() {
            for i in 0..visible.ncols() {
                let v = w * f64::from(visible[(r, i)]);
                self.visible_bias[i] += v;
                if v != 0.0 {
                    for j in 0..hidden.ncols() {
                        self.weights[(i, j)] += v * f64::from(hidden[(r, j)]);
                    }
                }
            }
            for j in 0..hidden.ncols() {
                self.hidden_bias[j] += w * f64::from(hidden[(r, j)]);
            }
        }
    }
}

/// The data term ⟨v P(h|v)ᵀ⟩ averaged over the rows of `data`.
fn data_statistics(rbm: &BernoulliRbm, data: &DMatrix<f32>) -> Result<Gradient> {
    let hidden = rbm.hidden_probabilities(data)?;
    let mut stats = Gradient::zeros(rbm.visible(), rbm.hidden());
    stats.accumulate(data, &hidden, &vec![1.0 / data.nrows() as f64; data.nrows()]);
    Ok(stats)
}

/// The exact gradient of the average log-likelihood of `data` (rows of 0/1).
pub fn exact_gradient(rbm: &BernoulliRbm, data: &DMatrix<f32>) -> Result<Gradient> {
    let nv = rbm.visible();
    if nv > MAX_EXACT_VISIBLE {
        return Err(Error::TooLarge {
            what: "visible layer to enumerate".into(),
            limit: MAX_EXACT_VISIBLE as u64,
            found: nv as u64,
        });
    }
    if data.nrows() == 0 {
        return Err(Error::Invalid { what: "data".into(), reason: "no examples".into() });
    }
    let log_z = log_partition(rbm)?;
    let states = DMatrix::from_fn(1 << nv, nv, |s, i| (s >> i & 1) as f32);
    let free = rbm.free_energy(&states)?;
    let probabilities: Vec<f64> = free.iter().map(|f| (-f - log_z).exp()).collect();
    let hidden = rbm.hidden_probabilities(&states)?;
    let mut model = Gradient::zeros(nv, rbm.hidden());
    model.accumulate(&states, &hidden, &probabilities);
    let mut gradient = data_statistics(rbm, data)?;
    gradient.weights -= &model.weights;
    gradient.visible_bias -= &model.visible_bias;
    gradient.hidden_bias -= &model.hidden_bias;
    Ok(gradient)
}

/// The exact average log-likelihood (1/n) Σ log P(v_n) (log Z by enumeration).
pub fn exact_average_log_likelihood(rbm: &BernoulliRbm, data: &DMatrix<f32>) -> Result<f64> {
    average_log_likelihood(rbm, data, log_partition(rbm)?)
}

/// An observer that records the exact average log-likelihood of `data`
/// after every `every`-th epoch (counted from 1), and the exchange
/// acceptance rates of the last epoch (empty unless training tempers).
pub struct LikelihoodCurve<'a> {
    data: &'a DMatrix<f32>,
    every: usize,
    /// The log-likelihoods recorded, in order.
    pub likelihoods: Vec<f64>,
    /// The swap rates of the last epoch, coldest pair first.
    pub swap_rates: Vec<f64>,
}

impl<'a> LikelihoodCurve<'a> {
    /// A curve of the log-likelihood of `data` every `every` epochs.
    pub fn new(data: &'a DMatrix<f32>, every: usize) -> Self {
        Self { data, every, likelihoods: Vec::new(), swap_rates: Vec::new() }
    }
}

impl Observer<BernoulliRbm> for LikelihoodCurve<'_> {
    fn observe(&mut self, moment: Moment<'_>, rbm: &BernoulliRbm) -> Result<Control> {
        if let Moment::Epoch(report) = moment {
            self.swap_rates = super::swap_rates(report);
            if (report.epoch + 1).is_multiple_of(self.every) {
                self.likelihoods.push(exact_average_log_likelihood(rbm, self.data)?);
            }
        }
        Ok(Control::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_mcmc::rng::seeded;
    use rand::RngExt;

    #[test]
    fn the_exact_gradient_matches_finite_differences() {
        let mut rng = seeded(1);
        let mut rbm = BernoulliRbm::random(5, 3, 0.8, &mut rng).unwrap();
        {
            let (a, b) = rbm.biases_mut();
            a.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
            b.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
        }
        let data = DMatrix::from_fn(7, 5, |_, _| f32::from(u8::from(rng.random::<bool>())));
        let gradient = exact_gradient(&rbm, &data).unwrap();
        let h = 1e-2f32;
        let ll = |m: &BernoulliRbm| exact_average_log_likelihood(m, &data).unwrap();
        let check = |analytic: f64, bump: &dyn Fn(&mut BernoulliRbm, f32)| {
            let (mut plus, mut minus) = (rbm.clone(), rbm.clone());
            bump(&mut plus, h);
            bump(&mut minus, -h);
            let numeric = (ll(&plus) - ll(&minus)) / (2.0 * f64::from(h));
            // Central differences in f32 parameters: error O(h²) plus rounding.
            assert!((numeric - analytic).abs() < 2e-3, "numeric {numeric} vs analytic {analytic}");
        };
        for i in 0..5 {
            for j in 0..3 {
                check(gradient.weights[(i, j)], &|m, d| m.update_weights(|w| w[(i, j)] += d).unwrap());
            }
            check(gradient.visible_bias[i], &|m, d| m.biases_mut().0[i] += d);
        }
        for j in 0..3 {
            check(gradient.hidden_bias[j], &|m, d| m.biases_mut().1[j] += d);
        }
        assert!(exact_gradient(&BernoulliRbm::zeros(21, 2), &DMatrix::zeros(1, 21)).is_err());
    }

    #[test]
    fn the_exact_gradient_reaches_its_limit_of_visible_units() {
        // With every parameter 0 the model is uniform: ⟨v_i⟩ = ⟨h_j⟩ = ½ and
        // ⟨v_i h_j⟩ = ¼, so the gradient is the data's statistics minus those.
        let n = MAX_EXACT_VISIBLE;
        let data = DMatrix::from_fn(2, n, |r, i| f32::from(u8::from((r + i) % 3 == 0)));
        let gradient = exact_gradient(&BernoulliRbm::zeros(n, 1), &data).unwrap();
        for i in 0..n {
            let mean = f64::from(data.column(i).mean());
            assert!((gradient.visible_bias[i] - (mean - 0.5)).abs() < 1e-9, "a_{i}");
            assert!((gradient.weights[(i, 0)] - (mean / 2.0 - 0.25)).abs() < 1e-9, "W_{i}0");
        }
        assert!(gradient.hidden_bias[0].abs() < 1e-9);
        let error = exact_gradient(&BernoulliRbm::zeros(n + 1, 1), &DMatrix::zeros(1, n + 1)).unwrap_err();
        assert!(
            matches!(error, Error::TooLarge { limit, found, .. } if limit == n as u64 && found == n as u64 + 1)
        );
    }
}
