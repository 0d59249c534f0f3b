//! Deep belief nets (Hinton, Osindero and Teh, 2006): a stack of RBMs read
//! as a generative model whose top two layers form an RBM and whose lower
//! layers are directed sigmoid belief layers.
//!
//! With layers x₀ = v, x₁, …, x_L and the stack's RBMs R_l over (x_{l−1}, x_l),
//!
//! P(v, x₁, …, x_L) = P_top(x_{L−1}, x_L) · Π_{l=1}^{L−1} P(x_{l−1} | x_l),
//! P(x_{l−1} = 1 | x_l) = σ(W_l x_l + a_l),
//!
//! with W_l and a_l the weights and visible biases of R_l and P_top the
//! joint distribution of the top RBM R_L. Inference goes up with each RBM's
//! recognition conditional Q(x_l = 1 | x_{l−1}) = σ(x_{l−1} W_l + b_l). Adding
//! a layer this way never lowers the variational bound
//!
//! log P(v) ≥ E_Q[Σ_{l=1}^{L−1} (log P(x_{l−1} | x_l) − log Q(x_l | x_{l−1})) + log P_top(x_{L−1})]
//!
//! when the new RBM starts as the transpose of the one below (Hinton et al.,
//! 2006); [`likelihood_bound`] estimates that bound by sampling the Q chain.

use crate::BernoulliRbm;
use crate::rbm::draw_units;
use crate::rbm::partition::log_partition;
use ebm_core::math::{LogSumExp, softplus};
use ebm_core::{Error, Result};
use ebm_mcmc::block::BlockChains;
use nalgebra::DMatrix;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// Largest layer [`DeepBeliefNet::exact_log_likelihood`] enumerates.
pub const MAX_ENUMERATED_LAYER: usize = 16;

/// A deep belief net: the RBMs of its greedy stack, bottom first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawDbn")]
pub struct DeepBeliefNet {
    rbms: Vec<BernoulliRbm>,
}

#[derive(Deserialize)]
struct RawDbn {
    rbms: Vec<BernoulliRbm>,
}

impl TryFrom<RawDbn> for DeepBeliefNet {
    type Error = Error;
    fn try_from(raw: RawDbn) -> Result<Self> {
        Self::new(raw.rbms)
    }
}

impl ebm_core::file::ModelFile for DeepBeliefNet {
    const KIND: &'static str = "dbn-bernoulli";
}

impl DeepBeliefNet {
    /// A net from its stack of RBMs, bottom first: at least one, each one's
    /// visible layer the size of the previous one's hidden layer.
    pub fn new(rbms: Vec<BernoulliRbm>) -> Result<Self> {
        if rbms.is_empty() {
            return Err(Error::invalid("deep belief net", "needs at least one RBM"));
        }
        for (l, pair) in rbms.windows(2).enumerate() {
            if pair[1].visible() != pair[0].hidden() {
                return Err(Error::shape(
                    format!("visible units of RBM {}", l + 2),
                    pair[0].hidden(),
                    pair[1].visible(),
                ));
            }
        }
        Ok(Self { rbms })
    }

    /// The RBMs, bottom first.
    pub fn rbms(&self) -> &[BernoulliRbm] {
        &self.rbms
    }

    /// The layer sizes n₀ (visible), n₁, …, n_L.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.rbms[0].visible()).chain(self.rbms.iter().map(BernoulliRbm::hidden)).collect()
    }

    /// The top RBM.
    fn top(&self) -> &BernoulliRbm {
        self.rbms.last().expect("at least one RBM")
    }

    /// Recognition: Q(x_l = 1 | x_{l−1}) for l = 1 … L−1 computed from the
    /// probabilities of the layer below (a deterministic upward pass).
    pub fn recognise(&self, visible: &DMatrix<f32>) -> Result<Vec<DMatrix<f32>>> {
        let mut layers = vec![visible.clone()];
        for rbm in &self.rbms[..self.rbms.len() - 1] {
            let next = rbm.hidden_probabilities(layers.last().expect("non-empty"))?;
            layers.push(next);
        }
        Ok(layers)
    }

    /// Generates `count` visible configurations: `steps` block-Gibbs steps in
    /// the top RBM from random states, then one draw down each directed layer.
    /// Returns P(v = 1 | x₁) of the last pass, the usual way to show samples.
    pub fn sample(&self, count: usize, steps: usize, rng: &mut (impl Rng + ?Sized)) -> Result<DMatrix<f32>> {
        let top = self.top();
        let start = DMatrix::from_fn(count, top.visible(), |_, _| f32::from(u8::from(rng.random::<bool>())));
        let mut chains = BlockChains::from_visible(top, start)?;
        for _ in 0..steps.max(1) {
            chains.step(top, 1.0, rng)?;
        }
        let mut layer = chains.visible;
        for (k, rbm) in self.rbms[..self.rbms.len() - 1].iter().enumerate().rev() {
            let p = rbm.visible_probabilities(&layer)?;
            layer = if k == 0 { p } else { draw_units(&p, rng) };
        }
        Ok(layer)
    }

    /// The average exact log-likelihood (1/n) Σ log P(v) of the rows of
    /// `data`, by passing the top RBM's marginal of x_{L−1} down the directed
    /// layers as tables over all states (each layer at most
    /// [`MAX_ENUMERATED_LAYER`] units; tiny nets only).
    pub fn exact_log_likelihood(&self, data: &DMatrix<f32>) -> Result<f64> {
        let sizes = self.sizes();
        if data.nrows() == 0 {
            return Err(Error::invalid("data", "no examples"));
        }
        if data.ncols() != sizes[0] {
            return Err(Error::shape("data columns", sizes[0], data.ncols()));
        }
        if let Some(&n) = sizes[1..sizes.len() - 1].iter().find(|&&n| n > MAX_ENUMERATED_LAYER) {
            return Err(Error::TooLarge {
                what: "DBN layer to enumerate (units)".into(),
                limit: MAX_ENUMERATED_LAYER as u64,
                found: n as u64,
            });
        }
        let top = self.top();
        let log_z = log_partition(top)?;
        if self.rbms.len() == 1 {
            let free = top.free_energy(data)?;
            return Ok(-free.iter().sum::<f64>() / data.nrows() as f64 - log_z);
        }
        // log p(x_{L−1}) for every state of the top RBM's visible layer.
        let mut log_p: Vec<f64> =
            top.free_energy(&all_states(top.visible()))?.iter().map(|f| -f - log_z).collect();
        // Down the directed layers to x₁: log p(y) = log Σ_x P(y | x) p(x).
        let directed = &self.rbms[..self.rbms.len() - 1];
        for rbm in directed[1..].iter().rev() {
            log_p = log_marginal(rbm, &log_p, &all_states(rbm.visible()));
        }
        let per_row = log_marginal(&directed[0], &log_p, data);
        Ok(per_row.iter().sum::<f64>() / data.nrows() as f64)
    }
}

/// All 2ⁿ states of n 0/1 units as rows, state k with unit i on when bit i of k is set.
fn all_states(n: usize) -> DMatrix<f32> {
    DMatrix::from_fn(1 << n, n, |k, i| f32::from(u8::from(k >> i & 1 == 1)))
}

/// The logits of the lower layer given each row of `upper`: X Wᵀ + 1aᵀ.
fn downward_logits(rbm: &BernoulliRbm, upper: &DMatrix<f32>) -> DMatrix<f32> {
    let mut logits = upper * rbm.weights().transpose();
    for mut row in logits.row_iter_mut() {
        row += rbm.visible_bias().transpose();
    }
    logits
}

/// The logits of the upper layer given each row of `lower`: X W + 1bᵀ.
fn upward_logits(rbm: &BernoulliRbm, lower: &DMatrix<f32>) -> DMatrix<f32> {
    let mut logits = lower * rbm.weights();
    for mut row in logits.row_iter_mut() {
        row += rbm.hidden_bias().transpose();
    }
    logits
}

/// log P(x | u) = Σ_i x_i u_i − softplus(u_i) of independent 0/1 units with logits u.
fn log_bernoulli<'a>(x: impl Iterator<Item = &'a f32>, logits: impl Iterator<Item = &'a f32>) -> f64 {
    x.zip(logits).map(|(&x, &u)| f64::from(x) * f64::from(u) - softplus(f64::from(u))).sum()
}

/// log Σ_x P(y | x) p(x) for each row y of `targets`, where x runs over all
/// states of the upper layer of `rbm` with log probabilities `log_p`, and
/// P(y | x) is the directed layer Π_i σ(±(W x + a)_i).
fn log_marginal(rbm: &BernoulliRbm, log_p: &[f64], targets: &DMatrix<f32>) -> Vec<f64> {
    let logits = downward_logits(rbm, &all_states(rbm.hidden()));
    targets
        .row_iter()
        .map(|y| {
            let mut acc = LogSumExp::new();
            for (x, &lp) in log_p.iter().enumerate() {
                acc.add(lp + log_bernoulli(y.iter(), logits.row(x).iter()));
            }
            acc.value()
        })
        .collect()
}

/// A stochastic estimate of the variational lower bound on the average
/// log-likelihood of `data` (see the module documentation): `samples` draws
/// of the recognition chain per row, with the top RBM's log Z given (exact
/// or from AIS). Returns the mean bound and its standard error.
pub fn likelihood_bound(
    dbn: &DeepBeliefNet,
    data: &DMatrix<f32>,
    log_z_top: f64,
    samples: usize,
    rng: &mut (impl Rng + ?Sized),
) -> Result<(f64, f64)> {
    if data.nrows() == 0 || samples == 0 {
        return Err(Error::invalid("likelihood bound", "needs data and at least one sample"));
    }
    if data.ncols() != dbn.sizes()[0] {
        return Err(Error::shape("data columns", dbn.sizes()[0], data.ncols()));
    }
    ebm_core::error::check_finite("log Z of the top RBM", &[log_z_top])?;
    let mut values = Vec::with_capacity(data.nrows() * samples);
    for _ in 0..samples {
        let mut terms = vec![0.0; data.nrows()];
        let mut below = data.clone();
        for rbm in &dbn.rbms[..dbn.rbms.len() - 1] {
            let up = upward_logits(rbm, &below);
            let x = draw_units(&up.map(ebm_core::math::sigmoid_f32), rng);
            let down = downward_logits(rbm, &x);
            // log P(below | x) − log Q(x | below).
            for (r, term) in terms.iter_mut().enumerate() {
                *term += log_bernoulli(below.row(r).iter(), down.row(r).iter())
                    - log_bernoulli(x.row(r).iter(), up.row(r).iter());
            }
            below = x;
        }
        let free = dbn.top().free_energy(&below)?;
        values.extend(terms.iter().zip(&free).map(|(t, f)| t - f - log_z_top));
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    Ok((mean, (variance / n).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::math::log_sum_exp;
    use ebm_mcmc::rng::seeded;

    fn random_dbn(seed: u64, sizes: &[usize]) -> DeepBeliefNet {
        let mut rng = seeded(seed);
        let rbms = sizes
            .windows(2)
            .map(|p| {
                let mut rbm = BernoulliRbm::random(p[0], p[1], 1.0, &mut rng).unwrap();
                let (a, b) = rbm.biases_mut();
                a.iter_mut().chain(b.iter_mut()).for_each(|x| *x = rng.random_range(-1.0..1.0));
                rbm
            })
            .collect();
        DeepBeliefNet::new(rbms).unwrap()
    }

    /// log P(v) for every v by summing the joint over every state of every layer.
    fn brute_force(dbn: &DeepBeliefNet) -> Vec<f64> {
        let sizes = dbn.sizes();
        let top = dbn.top();
        let log_z = log_partition(top).unwrap();
        let total: usize = sizes.iter().sum();
        let mut per_v = vec![Vec::new(); 1 << sizes[0]];
        for k in 0..1u64 << total {
            let mut offset = 0;
            let layers: Vec<Vec<f32>> = sizes
                .iter()
                .map(|&n| {
                    let layer = (0..n).map(|i| f32::from(u8::from(k >> (offset + i) & 1 == 1))).collect();
                    offset += n;
                    layer
                })
                .collect();
            let last = sizes.len() - 1;
            let mut log_joint = -top.energy(&layers[last - 1], &layers[last]).unwrap() - log_z;
            for (l, rbm) in dbn.rbms[..dbn.rbms.len() - 1].iter().enumerate() {
                let upper = DMatrix::from_row_slice(1, sizes[l + 1], &layers[l + 1]);
                let logits = downward_logits(rbm, &upper);
                log_joint += log_bernoulli(layers[l].iter(), logits.iter());
            }
            per_v[(k & ((1 << sizes[0]) - 1)) as usize].push(log_joint);
        }
        per_v.iter().map(|terms| log_sum_exp(terms)).collect()
    }

    #[test]
    fn exact_likelihood_matches_the_sum_over_every_layer() {
        for (seed, sizes) in [(1, vec![3, 2, 2]), (2, vec![2, 3, 2, 2]), (3, vec![4, 3])] {
            let dbn = random_dbn(seed, &sizes);
            let exact = brute_force(&dbn);
            let total: f64 = exact.iter().map(|l| l.exp()).sum();
            assert!((total - 1.0).abs() < 1e-9, "{sizes:?}: Σ P(v) = {total}");
            let all = all_states(sizes[0]);
            for (k, &log_p) in exact.iter().enumerate() {
                let row = all.rows(k, 1).into_owned();
                let fast = dbn.exact_log_likelihood(&row).unwrap();
                assert!((fast - log_p).abs() < 1e-5, "{sizes:?} v{k}: {fast} vs {log_p}");
            }
        }
    }

    #[test]
    fn the_sampled_bound_lies_below_the_likelihood_and_is_exact_for_one_rbm() {
        let mut rng = seeded(4);
        let dbn = random_dbn(5, &[4, 3, 3]);
        let data = all_states(4);
        let log_z = log_partition(dbn.top()).unwrap();
        let (bound, se) = likelihood_bound(&dbn, &data, log_z, 2_000, &mut rng).unwrap();
        let exact = dbn.exact_log_likelihood(&data).unwrap();
        assert!(bound < exact + 4.0 * se, "bound {bound} ± {se} vs ℓ = {exact}");
        let single = random_dbn(6, &[4, 3]);
        let (bound, se) =
            likelihood_bound(&single, &data, log_partition(single.top()).unwrap(), 3, &mut rng).unwrap();
        let exact = single.exact_log_likelihood(&data).unwrap();
        assert!((bound - exact).abs() < 1e-5 && se >= 0.0, "one RBM: {bound} vs {exact}");
    }

    #[test]
    fn samples_files_and_bad_input() {
        let dbn = random_dbn(7, &[4, 3, 2]);
        let samples = dbn.sample(5, 10, &mut seeded(8)).unwrap();
        assert_eq!(samples.shape(), (5, 4));
        assert!(samples.iter().all(|p| (0.0..=1.0).contains(p)));
        assert_eq!(samples, dbn.sample(5, 10, &mut seeded(8)).unwrap(), "same seed, same samples");
        let bytes = ebm_core::file::encode(&dbn).unwrap();
        assert_eq!(ebm_core::file::decode::<DeepBeliefNet>(&bytes).unwrap(), dbn);
        assert!(ebm_core::file::decode::<DeepBeliefNet>(&bytes[..bytes.len() - 2]).is_err());
        let mismatched = vec![BernoulliRbm::zeros(4, 3), BernoulliRbm::zeros(2, 2)];
        assert!(DeepBeliefNet::new(mismatched).is_err());
        assert!(DeepBeliefNet::new(Vec::new()).is_err());
        assert!(dbn.exact_log_likelihood(&DMatrix::zeros(1, 3)).is_err());
        assert!(dbn.exact_log_likelihood(&DMatrix::zeros(0, 4)).is_err());
        assert!(likelihood_bound(&dbn, &DMatrix::zeros(1, 4), f64::NAN, 1, &mut seeded(1)).is_err());
        assert!(likelihood_bound(&dbn, &DMatrix::zeros(1, 4), 0.0, 0, &mut seeded(1)).is_err());
        let wide = DeepBeliefNet::new(vec![BernoulliRbm::zeros(3, 20), BernoulliRbm::zeros(20, 2)]).unwrap();
        assert!(
            wide.exact_log_likelihood(&DMatrix::zeros(1, 3)).is_err(),
            "a 20-unit middle layer is too wide"
        );
    }
}
