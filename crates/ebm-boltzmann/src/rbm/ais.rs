//! log Z of a Bernoulli RBM by annealed importance sampling, from a
//! base-rate RBM (Salakhutdinov and Murray, 2008); the driver and the
//! estimate are [`crate::ais`]'s.
//!
//! **Base model.** A: the RBM with W = 0, b = 0 and visible biases a_A
//! (usually the data's log-odds, [`base_rate_bias`]), so its units are
//! independent and Z_A = 2^{nh} Π_i (1 + e^{a_A,i}).
//!
//! **Path.** p_β(v, h) ∝ exp((1−β) a_Aᵀv + β (vᵀWh + aᵀv + bᵀh)) for
//! 0 ≤ β ≤ 1; summing h out leaves, over v,
//!
//! f_β(v) = exp((1−β) a_Aᵀv + β aᵀv) · Π_j (1 + e^{β x_j}),  x = vᵀW + b,
//!
//! with f₀ = Z_A p_A (at β = 0 the product is 2^{nh}) and f₁ the model's
//! e^{−F(v)}. Between β and β′ a run's log weight gains
//!
//! log f_{β′}(v) − log f_β(v) = (β′ − β) Σ_i v_i (a_i − a_A,i)
//!                              + Σ_j [softplus(β′ x_j) − softplus(β x_j)].
//!
//! **Transition.** One Gibbs step of p_β: h_j ~ Bernoulli(σ(β x_j)), then
//! v_i ~ Bernoulli(σ((1 − β) a_A,i + β (a_i + (Wh)_i))). The hidden inputs
//! x serve both the increment and the step, and a batch of runs moves with
//! two matrix products.

use super::{BernoulliRbm, draw_columns, draw_units};
use crate::ais::{AisEstimate, AisOptions, AnnealingPath, run};
use ebm_core::math::{sigmoid_f32, softplus};
use ebm_core::{Error, Result};
use ebm_kernels::binary::BinaryRows;
use ebm_kernels::panels::Panels;
use ebm_mcmc::rng::SamplerRng;
use nalgebra::{DMatrix, DVector};

/// Visible biases of the base-rate RBM: a_A,i = log(p_i / (1 − p_i)) with
/// p_i the mean of visible unit i over `data`, smoothed by `pseudo_count`
/// (p = (Σ v + c)/(n + 2c)) so that no bias is infinite.
pub fn base_rate_bias(data: &DMatrix<f32>, pseudo_count: f64) -> Result<DVector<f32>> {
    if data.nrows() == 0 || !(pseudo_count.is_finite() && pseudo_count > 0.0) {
        return Err(Error::Invalid {
            what: "base-rate estimate".into(),
            reason: format!(
                "needs data and a positive pseudo-count, got {} rows, c = {pseudo_count}",
                data.nrows()
            ),
        });
    }
    let n = data.nrows() as f64;
    Ok(DVector::from_iterator(
        data.ncols(),
        data.column_iter().map(|col| {
            let p =
                (col.iter().map(|&v| f64::from(v)).sum::<f64>() + pseudo_count) / (n + 2.0 * pseudo_count);
            (p / (1.0 - p)).ln() as f32
        }),
    ))
}

/// The path from the base-rate RBM with visible biases `base` to `rbm`.
struct BaseRatePath<'a> {
    rbm: &'a BernoulliRbm,
    base: &'a DVector<f32>,
}

/// The visible states of a batch of runs, and room for the probabilities of
/// their Gibbs steps.
struct Runs {
    visible: BinaryRows,
    probabilities: Panels,
}

impl AnnealingPath for BaseRatePath<'_> {
    type State = Runs;
    /// The hidden inputs x = vᵀW + b, one column per run.
    type Inputs = Panels;

    /// log Z_A = Σ_i softplus(a_A,i) + nh log 2.
    fn log_base_partition(&self) -> f64 {
        self.base.iter().map(|&a| softplus(f64::from(a))).sum::<f64>()
            + self.rbm.hidden() as f64 * std::f64::consts::LN_2
    }

    /// v_i ~ Bernoulli(σ(a_A,i)), independently.
    fn sample_base(&self, runs: usize, rng: &mut SamplerRng) -> Runs {
        let start = DMatrix::from_fn(runs, self.rbm.visible(), |_, i| sigmoid_f32(self.base[i]));
        let visible = BinaryRows::from_matrix(&draw_units(&start, rng)).expect("draws are 0 or 1");
        Runs { visible, probabilities: Panels::default() }
    }

    fn inputs(&self, runs: &Runs, inputs: &mut Panels) {
        self.rbm.map_hidden_inputs(&runs.visible, |_, x| x, inputs);
    }

    /// (β′ − β) Σ_i v_i (a_i − a_A,i) + Σ_j [softplus(β′ x_j) − softplus(β x_j)] per run.
    fn log_weight_increments(&self, runs: &Runs, inputs: &Panels, beta: f64, next: f64) -> Vec<f64> {
        let (visible, bias) = (&runs.visible, self.rbm.visible_bias());
        (0..visible.rows())
            .map(|r| {
                let linear: f64 = visible
                    .row(r)
                    .iter()
                    .map(|&i| f64::from(bias[i as usize]) - f64::from(self.base[i as usize]))
                    .sum();
                let hidden: f64 = inputs
                    .column(r)
                    .map(|x| softplus(next * f64::from(x)) - softplus(beta * f64::from(x)))
                    .sum();
                (next - beta) * linear + hidden
            })
            .collect()
    }

    /// h ~ P_β(h | v), then v ~ P_β(v | h), where v's input mixes the base
    /// and the model: (1 − β) a_A + β (Wh + a).
    fn transition(&self, runs: &mut Runs, inputs: &Panels, beta: f64, rng: &mut SamplerRng) {
        let (beta32, probabilities) = (beta as f32, &mut runs.probabilities);
        probabilities.reshape(inputs.rows(), inputs.cols());
        probabilities
            .as_mut_slice()
            .iter_mut()
            .zip(inputs.as_slice())
            .for_each(|(p, &x)| *p = sigmoid_f32(beta32 * x));
        let hidden = draw_columns(probabilities, rng);
        let base = self.base;
        let mixed =
            |i: usize, y: f32| sigmoid_f32(((1.0 - beta) * f64::from(base[i]) + beta * f64::from(y)) as f32);
        self.rbm.map_visible_inputs(&hidden, mixed, probabilities);
        runs.visible = draw_columns(probabilities, rng);
    }
}

/// Estimates log Z of `rbm` by AIS from the base-rate RBM with visible biases
/// `base` (see the module documentation).
pub fn ais_log_partition(
    rbm: &BernoulliRbm,
    base: &DVector<f32>,
    options: &AisOptions,
) -> Result<AisEstimate> {
    if base.len() != rbm.visible() {
        return Err(Error::ShapeMismatch {
            what: "base-rate biases".into(),
            expected: rbm.visible(),
            found: base.len(),
        });
    }
    ebm_core::error::check_finite("base-rate biases", base.as_slice())?;
    run(&BaseRatePath { rbm, base }, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbm::partition::log_partition;
    use crate::rbm::partition::tests::random_rbm;

    #[test]
    fn ais_agrees_with_the_exact_value_for_20_hidden_units() {
        let rbm = random_rbm(7, 30, 20, 0.5);
        let exact = log_partition(&rbm).unwrap();
        let base = DVector::from_element(30, 0.0f32);
        let estimate = ais_log_partition(&rbm, &base, &AisOptions::staged(3000, 64, 11)).unwrap();
        assert!((estimate.log_z - exact).abs() < 0.1, "AIS {} vs exact {exact}", estimate.log_z);
        assert!(estimate.log_z_low <= estimate.log_z && estimate.log_z <= estimate.log_z_high);
        let again = ais_log_partition(&rbm, &base, &AisOptions::staged(3000, 64, 11)).unwrap();
        assert_eq!(estimate, again);
    }

    #[test]
    fn ais_gives_the_same_estimate_on_one_thread_and_on_two() {
        let rbm = random_rbm(8, 37, 21, 0.3);
        let base = DVector::from_fn(37, |i, _| (i % 5) as f32 * 0.2 - 0.4);
        let estimate = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| ais_log_partition(&rbm, &base, &AisOptions::staged(50, 40, 3)).unwrap())
        };
        assert_eq!(estimate(1), estimate(2));
    }

    #[test]
    fn base_rates_and_bad_options() {
        let data = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        let base = base_rate_bias(&data, 0.5).unwrap();
        // p = (3 + 0.5)/(4 + 1) = 0.7 and (1 + 0.5)/5 = 0.3.
        assert!((base[0] - (0.7f32 / 0.3).ln()).abs() < 1e-6 && (base[1] + base[0]).abs() < 1e-6);
        assert!(base_rate_bias(&DMatrix::zeros(0, 2), 1.0).is_err());
        let rbm = BernoulliRbm::zeros(2, 2);
        let bad = AisOptions { betas: vec![0.0, 0.5], runs: 3, seed: 0 };
        assert!(ais_log_partition(&rbm, &base, &bad).is_err());
        let good = AisOptions { betas: vec![0.0, 1.0], runs: 3, seed: 0 };
        assert!(ais_log_partition(&rbm, &DVector::zeros(3), &good).is_err());
        // A zero RBM is its own base: every weight is exactly 1.
        let exact = ais_log_partition(&rbm, &DVector::zeros(2), &good).unwrap();
        assert!((exact.log_z - 4.0 * std::f64::consts::LN_2).abs() < 1e-12);
    }
}
