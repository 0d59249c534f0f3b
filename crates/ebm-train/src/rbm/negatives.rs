//! Where the model term of the gradient comes from.

use super::data::BernoulliData;
use ebm_boltzmann::BernoulliRbm;
use ebm_boltzmann::rbm::draw_columns;
use ebm_core::{Error, Result};
use ebm_kernels::binary::BinaryRows;
use ebm_kernels::panels::Panels;
use ebm_mcmc::block::BlockChains;
use ebm_mcmc::exchange::{SwapStats, attempt};
use ebm_mcmc::rng::SamplerRng;
use nalgebra::DMatrix;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The negative phase of RBM training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Negatives {
    /// CD-k (Hinton, 2002): k block-Gibbs steps from each data row of the batch.
    ContrastiveDivergence {
        /// Gibbs steps k ≥ 1.
        steps: usize,
    },
    /// Persistent CD (Tieleman, 2008): `chains` fantasy particles carried
    /// from update to update, advanced `steps` Gibbs steps each time.
    Persistent {
        /// Gibbs steps per update.
        steps: usize,
        /// Number of persistent chains.
        chains: usize,
    },
    /// Parallel tempering (Desjardins et al., 2010): persistent chains at
    /// temperatures 1 = T₀ < T₁ < … exchanging states with the Metropolis
    /// rule on the joint energy; the T = 1 chains give the statistics.
    Tempering {
        /// Gibbs steps per update at every temperature.
        steps: usize,
        /// Chains per temperature.
        chains: usize,
        /// The temperatures, starting at 1 and increasing.
        temperatures: Vec<f64>,
    },
}

impl Negatives {
    /// Checks the settings; returns the chains per set and the sets of
    /// persistent chains kept (CD: 1 and 0, PCD: `chains` and 1, tempering:
    /// `chains` and one per temperature).
    fn check(&self) -> Result<(usize, usize)> {
        let invalid = |reason: &str| Err(Error::invalid("negative phase", reason));
        let (steps, chains, rungs) = match self {
            Negatives::ContrastiveDivergence { steps } => (*steps, 1, 0),
            Negatives::Persistent { steps, chains } => (*steps, *chains, 1),
            Negatives::Tempering { steps, chains, temperatures } => {
                let increasing = temperatures.windows(2).all(|w| w[1] > w[0])
                    && temperatures.iter().all(|t| t.is_finite());
                if temperatures.first() != Some(&1.0) || !increasing || temperatures.len() < 2 {
                    return invalid("tempering needs temperatures 1 = T₀ < T₁ < … (at least two)");
                }
                (*steps, *chains, temperatures.len())
            }
        };
        if steps == 0 || chains == 0 {
            return invalid("needs at least one Gibbs step and one chain");
        }
        Ok((chains, rungs))
    }
}

/// The state of a negative phase across updates.
#[derive(Serialize, Deserialize)]
pub(crate) struct NegativeSampler {
    kind: Negatives,
    /// P(h | ṽ) of the last negative samples ṽ (one column per sample): the
    /// model statistic of the update. For PCD it is also the state of the
    /// persistent chains: drawing h from it completes the previous update's
    /// last Gibbs step; then v ~ P(v | h) and P(h | v) under the current
    /// parameters, `steps` times. So PCD-1 costs two products per update
    /// besides those every update shares (CD-1's chain also costs two).
    hidden: Panels,
    /// PT's persistent chains, one set per temperature.
    rungs: Vec<BlockChains>,
    /// The exchanges per neighbouring pair of temperatures since the
    /// trainer last took them.
    pub swaps: Vec<SwapStats>,
    /// P(v | h) of the CD or PCD chains' current step, reused from update to update.
    #[serde(skip)]
    scratch: Panels,
}

/// E(v, h) = −vᵀWh − aᵀv − bᵀh for each row, in f64: with x = vW + b the
/// hidden inputs, −E = xᵀh + aᵀv.
fn joint_energies(rbm: &BernoulliRbm, chains: &BlockChains) -> Vec<f64> {
    let (visible, hidden) = (ones_of(&chains.visible), ones_of(&chains.hidden));
    let mut inputs = Panels::default();
    rbm.map_hidden_inputs(&visible, |_, x| x, &mut inputs);
    let a = rbm.visible_bias();
    (0..chains.batch())
        .map(|r| {
            let coupling: f64 = hidden.row(r).iter().map(|&j| f64::from(inputs.get(j as usize, r))).sum();
            let linear: f64 = visible.row(r).iter().map(|&i| f64::from(a[i as usize])).sum();
            -coupling - linear
        })
        .collect()
}

/// The ones of a matrix of chain states, which the block sampler keeps at 0 and 1.
fn ones_of(states: &DMatrix<f32>) -> BinaryRows {
    BinaryRows::from_matrix(states).expect("Bernoulli chains hold only 0s and 1s")
}

impl NegativeSampler {
    /// Validates `kind` and starts persistent chains at random rows of `data`
    /// (for intensities, at 0/1 states drawn with P(v_i = 1) = v_i).
    pub fn new(
        kind: Negatives,
        rbm: &BernoulliRbm,
        data: &BernoulliData,
        rng: &mut SamplerRng,
    ) -> Result<Self> {
        let (chains, rungs) = kind.check()?;
        if data.examples() == 0 {
            return Err(Error::invalid("negative phase", "no data to start the chains from"));
        }
        let mut starts: Vec<BinaryRows> = (0..rungs)
            .map(|_| {
                let rows: Vec<usize> = (0..chains).map(|_| rng.random_range(0..data.examples())).collect();
                data.states(&rows, rng)
            })
            .collect();
        let mut hidden = Panels::default();
        if let Negatives::Persistent { .. } = kind {
            let start = starts.pop().unwrap_or_default();
            rbm.map_hidden_probabilities(&start, 1.0, &mut hidden);
        }
        let rungs = starts
            .iter()
            .map(|start| BlockChains::from_visible(rbm, start.to_matrix()))
            .collect::<Result<Vec<_>>>()?;
        let pairs = rungs.len().saturating_sub(1);
        Ok(Self { kind, hidden, rungs, swaps: vec![SwapStats::default(); pairs], scratch: Panels::default() })
    }

    /// Checks that a sampler read back from a checkpoint fits `rbm`: the
    /// chains' shapes and counts, states 0 or 1 and probabilities in [0, 1].
    pub fn check_state(&self, rbm: &BernoulliRbm) -> Result<()> {
        let bad =
            |reason: String| Err(Error::Invalid { what: "negative phase of the checkpoint".into(), reason });
        let (chains, sets) = self.kind.check()?;
        // PCD keeps its one set of chains as P(h | ṽ), tempering one set per temperature.
        let rungs = if let Negatives::Tempering { .. } = self.kind { sets } else { 0 };
        if self.rungs.len() != rungs || self.swaps.len() != rungs.saturating_sub(1) {
            return bad(format!("{} sets of chains for {rungs} temperatures", self.rungs.len()));
        }
        if let Negatives::Persistent { .. } = self.kind
            && (self.hidden.rows(), self.hidden.cols()) != (rbm.hidden(), chains)
        {
            return bad(format!("chain probabilities of {} × {}", self.hidden.rows(), self.hidden.cols()));
        }
        if !self.hidden.as_slice().iter().all(|p| (0.0..=1.0).contains(p)) {
            return bad("a chain probability outside [0, 1]".into());
        }
        for chains in &self.rungs {
            let shapes = (chains.visible.ncols(), chains.hidden.ncols(), chains.hidden.nrows());
            if shapes != (rbm.visible(), rbm.hidden(), chains.batch()) {
                return bad(format!("chains of {} visible and {} hidden units", shapes.0, shapes.1));
            }
            if !chains.visible.iter().chain(chains.hidden.iter()).all(|&x| x == 0.0 || x == 1.0) {
                return bad("a chain state other than 0 or 1".into());
            }
        }
        Ok(())
    }

    /// Whether [`NegativeSampler::sample`] reads the reconstruction P(v | h₀):
    /// CD-k starts its chains there; the persistent phases ignore it.
    pub fn reads_reconstruction(&self) -> bool {
        matches!(self.kind, Negatives::ContrastiveDivergence { .. })
    }

    /// Visible states ṽ from the model for the current batch, and P(h | ṽ)
    /// (one column per sample) for the model statistics. `reconstruction`
    /// holds P(v | h₀) for the batch, h₀ drawn from P(h | data) by the
    /// trainer: CD-k draws v₁ from it and continues; the persistent phases
    /// ignore it.
    pub fn sample(
        &mut self,
        rbm: &BernoulliRbm,
        reconstruction: &Panels,
        rng: &mut SamplerRng,
    ) -> Result<(BinaryRows, &Panels)> {
        let visible = match &self.kind {
            &Negatives::ContrastiveDivergence { steps } => {
                // k − 1 further steps h ~ P(h | v), v ~ P(v | h) after v₁.
                let mut visible = draw_columns(reconstruction, rng);
                for _ in 1..steps {
                    let hidden = rbm.sample_hidden_of(&visible, 1.0, rng, &mut self.hidden);
                    visible = rbm.sample_visible_of(&hidden, 1.0, rng, &mut self.scratch);
                }
                rbm.map_hidden_probabilities(&visible, 1.0, &mut self.hidden);
                visible
            }
            &Negatives::Persistent { steps, .. } => {
                // h ~ P(h | v) from the stored probabilities, v ~ P(v | h), repeated.
                let mut visible = BinaryRows::default();
                for _ in 0..steps {
                    let hidden = draw_columns(&self.hidden, rng);
                    visible = rbm.sample_visible_of(&hidden, 1.0, rng, &mut self.scratch);
                    rbm.map_hidden_probabilities(&visible, 1.0, &mut self.hidden);
                }
                visible
            }
            Negatives::Tempering { steps, temperatures, .. } => {
                for _ in 0..*steps {
                    for (chains, &t) in self.rungs.iter_mut().zip(temperatures) {
                        chains.step(rbm, t, rng)?;
                    }
                }
                self.exchange(rbm, temperatures.clone(), rng);
                let visible = ones_of(&self.rungs[0].visible);
                rbm.map_hidden_probabilities(&visible, 1.0, &mut self.hidden);
                visible
            }
        };
        Ok((visible, &self.hidden))
    }

    /// Exchanges states between neighbouring temperatures, chain by chain,
    /// with probability min(1, exp((β_k − β_{k+1})(E_k − E_{k+1}))).
    fn exchange(&mut self, rbm: &BernoulliRbm, temperatures: Vec<f64>, rng: &mut SamplerRng) {
        for k in 0..self.rungs.len() - 1 {
            let betas = (1.0 / temperatures[k], 1.0 / temperatures[k + 1]);
            let (lower, upper) = self.rungs.split_at_mut(k + 1);
            let (a, b) = (&mut lower[k], &mut upper[0]);
            let (ea, eb) = (joint_energies(rbm, a), joint_energies(rbm, b));
            for r in 0..a.batch() {
                if attempt(betas, (ea[r], eb[r]), &mut self.swaps[k], rng) {
                    a.visible.swap_rows_with(&mut b.visible, r);
                    a.hidden.swap_rows_with(&mut b.hidden, r);
                }
            }
        }
    }
}

/// Swapping one row between two matrices of the same width.
trait SwapRows {
    fn swap_rows_with(&mut self, other: &mut Self, row: usize);
}

impl SwapRows for DMatrix<f32> {
    fn swap_rows_with(&mut self, other: &mut Self, row: usize) {
        for c in 0..self.ncols() {
            std::mem::swap(&mut self[(row, c)], &mut other[(row, c)]);
        }
    }
}
