//! The RBM benchmark's shape and fixtures, shared by the criterion benchmark
//! `benches/rbm.rs` and the interleaved comparison `rbm-interleaved`: an
//! RBM of 784 × 500 units trained in f32 on batches of 100 rows with 20%
//! ones, MNIST's shape.

use ebm_boltzmann::BernoulliRbm;
use ebm_kernels::binary::BinaryRows;
use ebm_kernels::panels::{Panels, sum_selected_columns};
use ebm_mcmc::rng::seeded;
use ebm_train::SgdBuilder;
use ebm_train::rbm::{LearningRate, Negatives, RbmTrainer};
use nalgebra::DMatrix;
use rand::RngExt;

/// Visible units.
pub const VISIBLE: usize = 784;
/// Hidden units.
pub const HIDDEN: usize = 500;
/// Rows per batch.
pub const BATCH: usize = 100;
/// Batches per epoch.
pub const BATCHES: usize = 10;

/// Data with 20% ones and an RBM with small random weights whose visible
/// biases match the data's base rates, the usual starting point of training.
pub fn data_and_model() -> (DMatrix<f32>, BernoulliRbm) {
    let mut rng = seeded(1);
    let data =
        DMatrix::from_fn(BATCH * BATCHES, VISIBLE, |_, _| f32::from(u8::from(rng.random::<f32>() < 0.2)));
    let mut rbm = BernoulliRbm::random(VISIBLE, HIDDEN, 0.01, &mut rng).expect("valid");
    RbmTrainer::initialise_visible_bias(&mut rbm, &data).expect("binary data");
    (data, rbm)
}

/// The states and probabilities of one CD-1 step on one batch, drawn from the model.
pub struct Cd1States {
    /// The batch, V₀.
    pub v0: BinaryRows,
    /// H₀ ~ P(h | V₀).
    pub h0: BinaryRows,
    /// V₁ ~ P(v | H₀).
    pub v1: BinaryRows,
    /// P₀ = P(h | V₀), hidden × samples.
    pub p0: Panels,
    /// P₁ = P(h | V₁), hidden × samples.
    pub p1: Panels,
}

/// One CD-1 step from `batch`, drawn with the stream of `seed`.
pub fn cd1_states(rbm: &BernoulliRbm, batch: BinaryRows, seed: u64) -> Cd1States {
    let mut rng = seeded(seed);
    let (mut p0, mut reconstruction, mut p1) = (Panels::default(), Panels::default(), Panels::default());
    let h0 = rbm.sample_hidden_of(&batch, 1.0, &mut rng, &mut p0);
    let v1 = rbm.sample_visible_of(&h0, 1.0, &mut rng, &mut reconstruction);
    rbm.map_hidden_probabilities(&v1, 1.0, &mut p1);
    Cd1States { v0: batch, h0, v1, p0, p1 }
}

/// The CD-1 states of every batch of `data`, in order.
pub fn epoch_states(rbm: &BernoulliRbm, data: &DMatrix<f32>) -> Vec<Cd1States> {
    let rows = BinaryRows::from_matrix(data).expect("binary data");
    (0..data.nrows() / BATCH)
        .map(|b| cd1_states(rbm, rows.select(&(b * BATCH..(b + 1) * BATCH).collect::<Vec<_>>()), b as u64))
        .collect()
}

/// The five products of one CD-1 update (V₀W, H₀Wᵀ, V₁W, V₀ᵀP₀, V₁ᵀP₁), as
/// the update computes them.
pub fn sparse_products(rbm: &BernoulliRbm, s: &Cd1States, out: &mut [Panels; 5]) {
    let identity = |_, x| x;
    rbm.map_hidden_inputs(&s.v0, identity, &mut out[0]);
    rbm.map_visible_inputs(&s.h0, identity, &mut out[1]);
    rbm.map_hidden_inputs(&s.v1, identity, &mut out[2]);
    sum_selected_columns(&s.p0, &s.v0.transpose(), &mut out[3], |_, _| {});
    sum_selected_columns(&s.p1, &s.v1.transpose(), &mut out[4], |_, _| {});
}

/// The benchmark's trainer of one epoch: η = 0.01, no momentum or decay,
/// batches of [`BATCH`], reconstruction error tracked or not.
pub fn trainer(negatives: Negatives, track_reconstruction_error: bool) -> RbmTrainer {
    RbmTrainer::new(negatives)
        .track_reconstruction_error(track_reconstruction_error)
        .learning_rate(LearningRate::Constant(0.01))
        .batch_size(BATCH)
        .epochs(1)
}

/// The updates the benchmarks time: a name, the negative phase and whether
/// the reconstruction error is tracked.
pub fn updates() -> [(&'static str, Negatives, bool); 3] {
    let (cd1, pcd1) =
        (Negatives::ContrastiveDivergence { steps: 1 }, Negatives::Persistent { steps: 1, chains: BATCH });
    [
        ("ebm-cd1-update", cd1, true),
        ("ebm-pcd1-update", pcd1.clone(), true),
        ("ebm-pcd1-update-untracked", pcd1, false),
    ]
}
