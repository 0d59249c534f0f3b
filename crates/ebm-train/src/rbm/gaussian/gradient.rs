//! The gradient statistics of a Gaussian–Bernoulli RBM, and the exact
//! log-likelihood gradient of a small one by enumerating its hidden layer.

use ebm_boltzmann::GaussianRbm;
use ebm_boltzmann::rbm::gaussian::partition::{average_log_likelihood, log_marginal_hidden, log_partition};
use ebm_core::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// The largest hidden layer whose states [`exact_gradient`] enumerates.
pub const MAX_EXACT_HIDDEN: usize = 16;

/// A gradient (or average statistics) of the parameters (W, a, b, z), in f64.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaussianGradient {
    /// ∂/∂W (visible × hidden).
    pub weights: DMatrix<f64>,
    /// ∂/∂a.
    pub visible_bias: DVector<f64>,
    /// ∂/∂b.
    pub hidden_bias: DVector<f64>,
    /// ∂/∂z, z = log σ².
    pub log_variance: DVector<f64>,
}

impl GaussianGradient {
    /// `self − other`, entry by entry.
    pub(crate) fn minus(mut self, other: &Self) -> Self {
        self.weights -= &other.weights;
        self.visible_bias -= &other.visible_bias;
        self.hidden_bias -= &other.hidden_bias;
        self.log_variance -= &other.log_variance;
        self
    }
}

/// The averages over the rows of `visible` of −∂E(v, h)/∂θ with h replaced
/// by the matching row of `hidden` (P(h = 1 | v) for the data term, or 0/1
/// samples): ⟨(v/σ) hᵀ⟩, ⟨(v − a)/σ²⟩, ⟨h⟩ and ⟨½ (v − a)²/σ² − ½ (v/σ) ⊙ Wh⟩.
/// The products (V/σ)ᵀH and HWᵀ are f32 matrix products; the sums are f64.
pub fn statistics(
    rbm: &GaussianRbm,
    visible: &DMatrix<f32>,
    hidden: &DMatrix<f32>,
) -> Result<GaussianGradient> {
    let (n, m) = (rbm.visible(), rbm.hidden());
    if visible.ncols() != n || hidden.ncols() != m || visible.nrows() != hidden.nrows() {
        return Err(Error::shape(
            "visible and hidden statistics (columns)",
            n + m,
            visible.ncols() + hidden.ncols(),
        ));
    }
    let rows = visible.nrows();
    if rows == 0 {
        return Err(Error::invalid("statistics", "no rows"));
    }
    let inverse: Vec<f32> = rbm.log_variance().iter().map(|&z| (-0.5 * z).exp()).collect();
    let scaled = DMatrix::from_fn(rows, n, |r, i| visible[(r, i)] * inverse[i]);
    let weights = (scaled.transpose() * hidden).map(|x| f64::from(x) / rows as f64);
    let input = hidden * rbm.weights().transpose();
    let (mut visible_bias, mut log_variance) = (DVector::zeros(n), DVector::zeros(n));
    for i in 0..n {
        let (a, inv) = (f64::from(rbm.visible_bias()[i]), f64::from(inverse[i]));
        for r in 0..rows {
            let d = (f64::from(visible[(r, i)]) - a) * inv;
            visible_bias[i] += d * inv;
            log_variance[i] += 0.5 * d * d - 0.5 * f64::from(scaled[(r, i)]) * f64::from(input[(r, i)]);
        }
    }
    let hidden_bias =
        DVector::from_iterator(m, hidden.column_iter().map(|c| c.iter().map(|&h| f64::from(h)).sum::<f64>()));
    Ok(GaussianGradient {
        weights,
        visible_bias: visible_bias / rows as f64,
        hidden_bias: hidden_bias / rows as f64,
        log_variance: log_variance / rows as f64,
    })
}

/// The model term E_{p(v,h)}[−∂E/∂θ], exactly: over each hidden state h
/// (weight P(h)), v | h ~ N(a + σc, σ²) with c = Wh gives
/// E[(v/σ) hᵀ | h] = (a/σ + c) hᵀ, E[(v − a)/σ² | h] = c/σ and
/// E[½ (v − a)²/σ² − ½ (v/σ) c | h] = ½ (1 + c²) − ½ (ac/σ + c²) = ½ − ½ ac/σ.
fn model_statistics(rbm: &GaussianRbm) -> Result<GaussianGradient> {
    let (n, m) = (rbm.visible(), rbm.hidden());
    let states = DMatrix::from_fn(1 << m, m, |s, j| (s >> j & 1) as f32);
    let log_z = log_partition(rbm)?;
    let p: Vec<f64> = log_marginal_hidden(rbm, &states)?.iter().map(|l| (l - log_z).exp()).collect();
    let w = rbm.weights().map(f64::from);
    let sigma = rbm.std_dev().map(f64::from);
    let alpha = DVector::from_fn(n, |i, _| f64::from(rbm.visible_bias()[i]) / sigma[i]);
    let mut stats = GaussianGradient {
        weights: DMatrix::zeros(n, m),
        visible_bias: DVector::zeros(n),
        hidden_bias: DVector::zeros(m),
        log_variance: DVector::from_element(n, 0.5),
    };
    for (s, &ps) in p.iter().enumerate() {
        let h = DVector::from_fn(m, |j, _| f64::from(states[(s, j)]));
        let c = &w * &h;
        stats.weights += (&alpha + &c) * (ps * &h).transpose();
        stats.visible_bias += ps * c.component_div(&sigma);
        stats.hidden_bias += ps * &h;
        stats.log_variance -= 0.5 * ps * alpha.component_mul(&c);
    }
    Ok(stats)
}

/// The exact gradient of the average log-likelihood (1/N) Σ log p(v⁽ᵏ⁾) of
/// the rows of `data` with respect to (W, a, b, z): the data statistics
/// minus the model's, the latter by enumerating the hidden layer (at most
/// [`MAX_EXACT_HIDDEN`] units).
pub fn exact_gradient(rbm: &GaussianRbm, data: &DMatrix<f32>) -> Result<GaussianGradient> {
    if rbm.hidden() > MAX_EXACT_HIDDEN {
        return Err(Error::TooLarge {
            what: "hidden layer to enumerate".into(),
            limit: MAX_EXACT_HIDDEN as u64,
            found: rbm.hidden() as u64,
        });
    }
    let positive = statistics(rbm, data, &rbm.hidden_probabilities(data)?)?;
    Ok(positive.minus(&model_statistics(rbm)?))
}

/// The exact average log-density of the rows of `data`, −mean F(v) − log Z,
/// with log Z by enumerating the hidden layer.
pub fn exact_average_log_likelihood(rbm: &GaussianRbm, data: &DMatrix<f32>) -> Result<f64> {
    average_log_likelihood(rbm, data, log_partition(rbm)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::worst::max_abs;
    use ebm_mcmc::rng::seeded;
    use proptest::prelude::*;
    use rand::RngExt;

    fn random_model(seed: u64, n: usize, m: usize) -> GaussianRbm {
        let mut rng = seeded(seed);
        let w = GaussianRbm::random(n, m, 0.8, &mut rng).unwrap().weights().clone();
        let mut uniform = |len: usize| DVector::from_fn(len, |_, _| rng.random_range(-1.0f32..1.0));
        let (a, b, z) = (uniform(n), uniform(m), uniform(n));
        GaussianRbm::new(w, a, b, z).unwrap()
    }

    /// Central differences of the exact average log-likelihood in every parameter.
    fn finite_differences(rbm: &GaussianRbm, data: &DMatrix<f32>) -> GaussianGradient {
        let (n, m) = (rbm.visible(), rbm.hidden());
        let eps = 1e-2f32;
        let at = |change: &dyn Fn(&mut GaussianRbm, f32)| {
            let (mut up, mut down) = (rbm.clone(), rbm.clone());
            change(&mut up, eps);
            change(&mut down, -eps);
            let (fu, fd) = (
                exact_average_log_likelihood(&up, data).unwrap(),
                exact_average_log_likelihood(&down, data).unwrap(),
            );
            (fu - fd) / (2.0 * f64::from(eps))
        };
        GaussianGradient {
            weights: DMatrix::from_fn(n, m, |i, j| at(&|r, e| r.parameters_mut().weights[(i, j)] += e)),
            visible_bias: DVector::from_fn(n, |i, _| at(&|r, e| r.parameters_mut().visible_bias[i] += e)),
            hidden_bias: DVector::from_fn(m, |j, _| at(&|r, e| r.parameters_mut().hidden_bias[j] += e)),
            log_variance: DVector::from_fn(n, |i, _| at(&|r, e| r.parameters_mut().log_variance[i] += e)),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn the_exact_gradient_matches_finite_differences(seed in any::<u64>(), n in 1usize..4, m in 1usize..4) {
            let rbm = random_model(seed, n, m);
            let mut rng = seeded(seed ^ 7);
            let data = DMatrix::from_fn(7, n, |_, _| rng.random_range(-2.0f32..2.0));
            let exact = exact_gradient(&rbm, &data).unwrap();
            let numeric = finite_differences(&rbm, &data);
            let pairs = [
                (exact.weights.as_slice(), numeric.weights.as_slice()),
                (exact.visible_bias.as_slice(), numeric.visible_bias.as_slice()),
                (exact.hidden_bias.as_slice(), numeric.hidden_bias.as_slice()),
                (exact.log_variance.as_slice(), numeric.log_variance.as_slice()),
            ];
            for (k, (e, d)) in pairs.iter().enumerate() {
                for (x, y) in e.iter().zip(d.iter()) {
                    prop_assert!((x - y).abs() < 2e-3 * (1.0 + y.abs()), "block {k}: exact {x} vs numeric {y}");
                }
            }
        }
    }

    #[test]
    fn the_gradient_vanishes_at_the_maximum_likelihood_gaussian() {
        // W = 0: p(v) = N(a, σ²), maximised by the data's mean and variance.
        let data = DMatrix::from_row_slice(4, 2, &[1.0, -1.0, 3.0, 0.0, 0.0, 2.0, 4.0, 3.0]);
        let (mean, var) = ([2.0f32, 1.0], [2.5f32, 2.5]);
        let rbm = GaussianRbm::new(
            DMatrix::zeros(2, 3),
            DVector::from_row_slice(&mean),
            DVector::zeros(3),
            DVector::from_fn(2, |i, _| var[i].ln()),
        )
        .unwrap();
        let g = exact_gradient(&rbm, &data).unwrap();
        assert!(
            max_abs(g.visible_bias.iter().copied()) < 1e-6 && max_abs(g.log_variance.iter().copied()) < 1e-6
        );
        assert!(max_abs(g.hidden_bias.iter().copied()) < 1e-9);
        assert!(max_abs(g.weights.iter().copied()) < 1e-6, "{}", g.weights);
        assert!(exact_gradient(&GaussianRbm::zeros(2, 17), &data).is_err());
        assert!(statistics(&rbm, &data, &DMatrix::zeros(3, 3)).is_err());
        assert!(statistics(&rbm, &DMatrix::zeros(0, 2), &DMatrix::zeros(0, 3)).is_err());
    }
}
