//! A perceptron-style storage rule with a margin and symmetric updates.

use ebm_core::{DenseCouplings, DensePairwise, Domain, Error, Result};
use ebm_hopfield::stability::min_stability;
use ebm_hopfield::storage::Patterns;
use nalgebra::DMatrix;
use rand::Rng;
use rand::seq::SliceRandom;

/// Settings of the symmetric perceptron rule: margin κ, learning rate η and
/// an epoch limit.
///
/// **The rule.** Start from W = 0. Each epoch visits the K patterns in a
/// random order (drawn from the caller's generator, so a seed fixes the
/// result) and, within pattern ξ, the units i = 1 … N in order. With the
/// field h_i = Σ_{j≠i} w_ij ξ_j of the current weights, whenever the
/// stability is not above the margin,
///
/// ξ_i h_i ≤ κ,  every j ≠ i gets  w_ij += η ξ_i ξ_j / N  and  w_ji += η ξ_i ξ_j / N,
///
/// so W stays exactly symmetric with zero diagonal and zero bias. This raises
/// ξ_i h_i by η(N − 1)/N (and every other ξ_j h_j of the same pattern by
/// η/N). Training stops after the first epoch without an update (then every
/// stability of every pattern is above κ: each pattern is a fixed point with
/// margin κ) or after [`Perceptron::max_epochs`] epochs.
///
/// **Units of κ.** η = 1 adds one Hebbian term per update, so κ is measured
/// in the units of the Hebbian signal ((N − 1)/N ≈ 1 for one pattern).
/// Stabilities scale with W, so only κ/η matters: a larger κ/η gives larger
/// weights relative to the crosstalk and wider basins, after more epochs.
///
/// **Convergence.** Write θ = (w_ij)_{i<j}. The stability of unit i in
/// pattern μ is linear in θ: ξ_i^μ h_i^μ = θ·x^{μi} with x^{μi}_{jk} =
/// ξ_j^μ ξ_k^μ when i ∈ {j, k} and 0 otherwise, ‖x^{μi}‖² = N − 1, and the
/// update is θ += (η/N) x^{μi}. This is the classical perceptron in
/// N(N − 1)/2 dimensions, so by Novikoff's argument (in exact arithmetic) it
/// stops after at most
/// (N − 1 + 2κN/η)/γ² updates whenever some unit vector u has u·x^{μi} ≥ γ > 0
/// for all μ, i. Such a u exists for every K < N linearly independent
/// patterns with no basis vector e_i in their span: the zero-diagonal
/// projection weights of [`PseudoInverse`](ebm_hopfield::storage::PseudoInverse) give every stability
/// 1 − P_ii > 0. It cannot exist when two stored patterns differ in one unit
/// only (that unit sees the same field in both); then training runs to the
/// epoch limit and reports `converged: false`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Perceptron {
    margin: f64,
    learning_rate: f64,
    max_epochs: usize,
}

impl Default for Perceptron {
    fn default() -> Self {
        Self { margin: 0.0, learning_rate: 1.0, max_epochs: 1000 }
    }
}

/// How training went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerceptronReport {
    /// Epochs run (passes over all patterns), the last one included.
    pub epochs: usize,
    /// Weight updates made, one per (pattern, unit) below the margin.
    pub updates: u64,
    /// Whether the last epoch made no update: every stability exceeds κ.
    pub converged: bool,
    /// min_{μ,i} ξ_i^μ h_i^μ in the returned model (> κ when converged).
    pub min_stability: f64,
}

impl Perceptron {
    /// The defaults: κ = 0 (plain fixed points), η = 1, at most 1000 epochs.
    pub fn new() -> Self {
        Self::default()
    }

    /// The margin κ ≥ 0 every stability must exceed.
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    /// The learning rate η > 0 (each update moves w_ij by η/N).
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// The most epochs to run (≥ 1).
    pub fn max_epochs(mut self, max_epochs: usize) -> Self {
        self.max_epochs = max_epochs;
        self
    }

    /// Trains on `patterns` with the rule above, drawing the pattern order
    /// from `rng`. Errors: invalid settings, or the input errors of
    /// [`Patterns::new`].
    pub fn store<P: AsRef<[i8]>, R: Rng + ?Sized>(
        &self,
        patterns: &[P],
        rng: &mut R,
    ) -> Result<(DensePairwise, PerceptronReport)> {
        self.check()?;
        let patterns = Patterns::new(patterns)?;
        let n = patterns.units();
        let step = (self.learning_rate / n as f64) as f32;
        let mut w = DMatrix::<f32>::zeros(n, n);
        let mut order: Vec<usize> = (0..patterns.count()).collect();
        let (mut epochs, mut updates, mut converged) = (0, 0u64, false);
        while epochs < self.max_epochs && !converged {
            order.shuffle(rng);
            let before = updates;
            for &mu in &order {
                let xi = patterns.get(mu);
                for i in 0..n {
                    if stability(&w, xi, i) <= self.margin {
                        reinforce(&mut w, xi, i, step);
                        updates += 1;
                    }
                }
            }
            epochs += 1;
            converged = updates == before;
        }
        let model = DensePairwise::without_bias(Domain::Spin, DenseCouplings::new(w)?);
        let min_stability = min_stability(&model, &patterns.iter().collect::<Vec<_>>())?;
        Ok((model, PerceptronReport { epochs, updates, converged, min_stability }))
    }

    fn check(&self) -> Result<()> {
        let problem = if !(self.margin.is_finite() && self.margin >= 0.0) {
            format!("the margin must be finite and ≥ 0, got {}", self.margin)
        } else if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            format!("the learning rate must be finite and > 0, got {}", self.learning_rate)
        } else if self.max_epochs == 0 {
            "max_epochs must be at least 1".to_string()
        } else {
            return Ok(());
        };
        Err(Error::Invalid { what: "perceptron rule".into(), reason: problem })
    }
}

/// ξ_i h_i with h_i = Σ_j w_ij ξ_j, summed in f64 in the same order as the
/// model's local field, so training and the report see identical numbers.
fn stability(w: &DMatrix<f32>, xi: &[i8], i: usize) -> f64 {
    let h: f64 = w.column(i).iter().zip(xi).map(|(&w, &s)| f64::from(w) * f64::from(s)).sum();
    f64::from(xi[i]) * h
}

/// w_ij += step ξ_i ξ_j and w_ji += step ξ_i ξ_j for all j ≠ i. Both entries
/// hold the same value before and get the same f32 addition, so W stays
/// exactly symmetric.
fn reinforce(w: &mut DMatrix<f32>, xi: &[i8], i: usize, step: f32) {
    for (j, &s) in xi.iter().enumerate() {
        if j != i {
            let delta = if s == xi[i] { step } else { -step };
            w[(i, j)] += delta;
            w[(j, i)] += delta;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_data::patterns::random;
    use ebm_hopfield::stability::stabilities;
    use ebm_mcmc::rng::seeded;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    /// K = 0.5 N random patterns at N = 64: converges, and every pattern is
    /// a fixed point with every stability above the margin.
    #[test]
    fn converges_at_half_load_with_margin() {
        let (n, k, margin) = (64, 32, 1.0);
        for seed in 0..3 {
            let patterns = random(k, n, 0.5, Domain::Spin, &mut seeded(seed)).unwrap();
            let rule = Perceptron::new().margin(margin);
            let (model, report) = rule.store(&patterns, &mut Pcg64::seed_from_u64(100 + seed)).unwrap();
            eprintln!("N = {n}, K = {k}, κ = {margin}: {report:?}");
            assert!(report.converged, "{report:?}");
            assert!(report.min_stability > margin);
            let w = model.couplings().matrix();
            assert_eq!(w, &w.transpose());
            assert!(w.diagonal().iter().all(|&d| d == 0.0));
            // Every stability of every pattern, summed afresh from W in f64.
            let w = w.map(f64::from);
            let mut smallest = f64::INFINITY;
            for xi in &patterns {
                let s = nalgebra::DVector::from_iterator(n, xi.iter().map(|&v| f64::from(v)));
                let gamma = s.component_mul(&(&w * &s));
                assert!(gamma.iter().all(|&g| g > margin), "a stability at or below κ");
                let library = stabilities(&model, xi).unwrap();
                assert!(gamma.iter().zip(&library).all(|(a, b)| (a - b).abs() < 1e-9));
                smallest = gamma.min().min(smallest);
            }
            assert!((smallest - report.min_stability).abs() < 1e-9);
        }
    }

    #[test]
    fn same_seed_same_result() {
        let patterns = random(12, 24, 0.5, Domain::Spin, &mut seeded(7)).unwrap();
        let rule = Perceptron::new().margin(0.5);
        let a = rule.store(&patterns, &mut Pcg64::seed_from_u64(1)).unwrap();
        let b = rule.store(&patterns, &mut Pcg64::seed_from_u64(1)).unwrap();
        assert_eq!(a, b);
    }

    /// Two patterns differing in unit 0 alone cannot both be fixed points.
    #[test]
    fn an_impossible_set_does_not_converge() {
        let a = vec![1, 1, -1, 1, -1, -1, 1, 1];
        let mut b = a.clone();
        b[0] = -1;
        let rule = Perceptron::new().max_epochs(50);
        let (_, report) = rule.store(&[a, b], &mut Pcg64::seed_from_u64(0)).unwrap();
        assert!(!report.converged);
        assert_eq!(report.epochs, 50);
        assert!(report.min_stability <= 0.0);
    }

    /// One unit: nothing to couple, so W stays 0 and the unit's stability 0
    /// never exceeds the margin; training runs to the epoch limit, without a panic.
    #[test]
    fn a_single_unit_never_converges() {
        let one = [vec![1i8]];
        let (model, report) =
            Perceptron::new().max_epochs(3).store(&one, &mut Pcg64::seed_from_u64(0)).unwrap();
        assert_eq!(model.couplings().matrix()[(0, 0)], 0.0);
        assert_eq!((report.epochs, report.converged, report.min_stability), (3, false, 0.0));
    }

    #[test]
    fn settings_are_validated() {
        let patterns = [vec![1, -1, 1]];
        let mut rng = Pcg64::seed_from_u64(0);
        for rule in [
            Perceptron::new().margin(-0.1),
            Perceptron::new().margin(f64::NAN),
            Perceptron::new().learning_rate(0.0),
            Perceptron::new().learning_rate(f64::INFINITY),
            Perceptron::new().max_epochs(0),
        ] {
            assert!(matches!(rule.store(&patterns, &mut rng), Err(Error::Invalid { .. })), "{rule:?}");
        }
    }
}
