//! Storing patterns by optimisation, as the study note proposes: lower the
//! energy of each pattern and raise the energy of the states the network
//! drifts to from it.
//!
//! For patterns ξ^μ and "negatives" x̃^μ — the states reached by running the
//! network's own dynamics a few sweeps from ξ^μ (optionally from a corrupted
//! copy) — the loss
//!
//! L(W, b) = Σ_μ [E(ξ^μ) − E(x̃^μ)],  E(s) = −½ sᵀWs − bᵀs,
//!
//! has gradient ∂L/∂w_ij = −(ξ_i ξ_j − x̃_i x̃_j) for i ≠ j and
//! ∂L/∂b_i = −(ξ_i − x̃_i), so gradient descent adds (η/N)(ξξᵀ − x̃x̃ᵀ) to W and
//! (η/N)(ξ − x̃) to b (the step is scaled by 1/N, as in Hebbian storage). The update is symmetric and, since s_i² = 1 for spins, has
//! a zero diagonal: the weights stay a valid Hopfield network. When a pattern
//! is a fixed point whose basin holds the corrupted probe, x̃ = ξ and it
//! contributes nothing; training stops once every pattern is.

use ebm_core::{DenseCouplings, DensePairwise, Domain, Error, Result};
use ebm_hopfield::storage::Patterns;
use ebm_hopfield::{Hopfield, RecallOptions, Update};
use ebm_mcmc::rng::seeded;
use nalgebra::DMatrix;
use rand::seq::SliceRandom;

/// Whether the gradient is taken over all patterns or one at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Descent {
    /// Sum the gradient over every pattern, then update.
    FullBatch,
    /// Update after each pattern, in a fresh random order each epoch.
    Stochastic,
}

/// Settings of contrastive Hopfield training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContrastiveHopfield {
    /// Step size η (the gradient is divided by N).
    pub learning_rate: f64,
    /// The most epochs.
    pub epochs: usize,
    /// Sweeps of random-order dynamics that produce each negative.
    pub negative_sweeps: usize,
    /// Fraction of units flipped in the pattern before the dynamics runs (0: start at the pattern).
    pub corruption: f64,
    /// Full-batch or stochastic descent.
    pub descent: Descent,
    /// Whether the biases are trained too (otherwise they stay zero).
    pub train_bias: bool,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for ContrastiveHopfield {
    fn default() -> Self {
        Self {
            learning_rate: 1.0,
            epochs: 200,
            negative_sweeps: 2,
            corruption: 0.05,
            descent: Descent::Stochastic,
            train_bias: false,
            seed: 0,
        }
    }
}

/// What training did.
#[derive(Clone, Debug, PartialEq)]
pub struct ContrastiveReport {
    /// Epochs run.
    pub epochs: usize,
    /// How many patterns are fixed points at the end
    /// ([`Hopfield::is_fixed_point`]: no unit would flip; a zero field keeps its unit).
    pub fixed_points: usize,
    /// Sum over patterns of E(ξ) − E(x̃) after each epoch (the loss, ≤ 0 for good storage).
    pub losses: Vec<f64>,
}

/// W += scale (a aᵀ − c cᵀ) off the diagonal, b += scale (a − c).
fn add_contrast(
    w: &mut DMatrix<f64>,
    b: &mut [f64],
    pattern: &[i8],
    negative: &[i8],
    scale: f64,
    train_bias: bool,
) {
    let n = pattern.len();
    for i in 0..n {
        for j in 0..n {
            if i != j {
                w[(i, j)] += scale * f64::from(pattern[i] * pattern[j] - negative[i] * negative[j]);
            }
        }
        if train_bias {
            b[i] += scale * f64::from(pattern[i] - negative[i]);
        }
    }
}

fn network(w: &DMatrix<f64>, b: &[f64]) -> Result<Hopfield<DensePairwise>> {
    let couplings = DenseCouplings::new(w.map(|x| x as f32))?;
    Hopfield::new(DensePairwise::new(Domain::Spin, couplings, b.iter().map(|&x| x as f32).collect())?)
}

impl ContrastiveHopfield {
    /// Trains a network to store `patterns` (±1 vectors of one length), from
    /// zero weights. Errors: invalid settings, or the input errors of
    /// [`Patterns::new`].
    pub fn train(&self, patterns: &[Vec<i8>]) -> Result<(Hopfield<DensePairwise>, ContrastiveReport)> {
        let n = Patterns::new(patterns)?.units();
        let valid = self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && (0.0..=1.0).contains(&self.corruption);
        if !valid {
            return Err(Error::Invalid {
                what: "contrastive Hopfield training".into(),
                reason: format!("needs η > 0 and corruption in [0, 1]: {self:?}"),
            });
        }
        let mut rng = seeded(self.seed);
        let (mut w, mut b) = (DMatrix::<f64>::zeros(n, n), vec![0.0; n]);
        let scale = self.learning_rate / n as f64;
        let options = RecallOptions {
            update: Update::RandomOrder,
            max_sweeps: self.negative_sweeps,
            trace_energy: false,
        };
        let mut order: Vec<usize> = (0..patterns.len()).collect();
        let mut losses = Vec::new();
        let mut net = network(&w, &b)?;
        for epoch in 0..self.epochs {
            // At W = 0 every field is zero and every state a (tied) fixed point,
            // so the stopping test waits for the first epoch's update.
            if epoch > 0 && patterns.iter().all(|p| net.is_fixed_point(p).unwrap_or(false)) {
                break;
            }
            order.shuffle(&mut rng);
            let (mut dw, mut db) = (DMatrix::<f64>::zeros(n, n), vec![0.0; n]);
            let mut loss = 0.0;
            for &mu in &order {
                let probe =
                    ebm_data::patterns::corrupt(&patterns[mu], Domain::Spin, self.corruption, &mut rng)?;
                let negative = net.recall(&probe, &options, &mut rng)?.state;
                loss += net.model().energy_of(&patterns[mu])? - net.model().energy_of(&negative)?;
                match self.descent {
                    Descent::FullBatch => {
                        add_contrast(&mut dw, &mut db, &patterns[mu], &negative, scale, self.train_bias)
                    }
                    Descent::Stochastic => {
                        add_contrast(&mut w, &mut b, &patterns[mu], &negative, scale, self.train_bias);
                        net = network(&w, &b)?;
                    }
                }
            }
            if self.descent == Descent::FullBatch {
                w += dw;
                b.iter_mut().zip(&db).for_each(|(x, d)| *x += d);
                net = network(&w, &b)?;
            }
            losses.push(loss);
        }
        let fixed_points = patterns
            .iter()
            .map(|p| net.is_fixed_point(p))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|&f| f)
            .count();
        Ok((net, ContrastiveReport { epochs: losses.len(), fixed_points, losses }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_patterns_beyond_the_hebbian_capacity() {
        // α = 30/100 = 0.3, twice the Hebbian limit.
        let patterns = ebm_data::patterns::random(30, 100, 0.5, Domain::Spin, &mut seeded(1)).unwrap();
        for descent in [Descent::Stochastic, Descent::FullBatch] {
            let trainer = ContrastiveHopfield { descent, epochs: 300, ..ContrastiveHopfield::default() };
            let (net, report) = trainer.train(&patterns).unwrap();
            assert_eq!(report.fixed_points, 30, "{descent:?}: {report:?}");
            assert!(patterns.iter().all(|p| net.is_fixed_point(p).unwrap()));
            let model = net.model();
            assert!((0..100).all(|i| model.couplings().matrix()[(i, i)] == 0.0));
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let trainer = ContrastiveHopfield::default();
        assert!(trainer.train(&[]).is_err());
        assert!(trainer.train(&[vec![1, 0]]).is_err());
        assert!(trainer.train(&[vec![]]).is_err());
        assert!(trainer.train(&[vec![1, -1], vec![1]]).is_err());
        assert!(ContrastiveHopfield { learning_rate: 0.0, ..trainer }.train(&[vec![1, -1]]).is_err());
    }
}
