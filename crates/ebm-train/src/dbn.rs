//! Greedy layer-wise training of deep belief nets (Hinton, Osindero and Teh, 2006).
//!
//! The first RBM learns the data; each further RBM learns the hidden
//! activity the RBM below produces from the data, as binary draws from its
//! recognition probabilities Q(x_l = 1 | x_{l−1}) = σ(x_{l−1} W_l + b_l).
//! Every RBM starts with small random weights and visible biases set to
//! the log-odds of its input's means, and is trained by the same
//! [`RbmTrainer`] (CD-k, PCD or tempering, with its schedule).

use crate::fit::Observer;
use crate::rbm::RbmTrainer;
use ebm_boltzmann::rbm::draw_units;
use ebm_boltzmann::{BernoulliRbm, DeepBeliefNet};
use ebm_core::{Error, Result};
use ebm_mcmc::rng::stream;
use nalgebra::DMatrix;

/// Trains a DBN with layer sizes `sizes` (visible first, at least one
/// hidden layer) on the rows of `data` (0/1), one RBM at a time with
/// `trainer`; `observers` see every RBM's batches and epochs in turn.
///
/// With `tied_start`, an RBM whose hidden layer is as wide as the visible
/// layer of the RBM below starts as that RBM's transpose (W ← Wᵀ, biases
/// swapped): the new net then defines exactly the distribution the old one
/// did, and training the new top RBM can only raise the variational bound
/// (Hinton et al., 2006). Other RBMs start from N(0, 0.01²) weights with
/// visible biases from their input's means. Layer l's random draws use the
/// stream (`seed`, l).
pub fn train_greedy(
    sizes: &[usize],
    data: &DMatrix<f32>,
    trainer: &RbmTrainer,
    seed: u64,
    tied_start: bool,
    draws: usize,
    observers: &mut [&mut dyn Observer<BernoulliRbm>],
) -> Result<DeepBeliefNet> {
    if draws == 0 {
        return Err(Error::invalid("draws per example", "must be at least 1"));
    }
    if sizes.len() < 2 || sizes.contains(&0) {
        return Err(Error::invalid(
            "DBN layer sizes",
            format!("{sizes:?}: need a visible and ≥ 1 hidden layer, none empty"),
        ));
    }
    if data.ncols() != sizes[0] {
        return Err(Error::shape("data columns", sizes[0], data.ncols()));
    }
    let mut input = data.clone();
    let mut rbms: Vec<BernoulliRbm> = Vec::with_capacity(sizes.len() - 1);
    for (l, pair) in sizes.windows(2).enumerate() {
        let mut rng = stream(seed, l as u64);
        let mut rbm = match rbms.last() {
            // The transpose of the RBM below: the net starts as that RBM's model.
            Some(below) if tied_start && below.visible() == pair[1] => transposed(below)?,
            _ => {
                let mut rbm = BernoulliRbm::random(pair[0], pair[1], 0.01, &mut rng)?;
                RbmTrainer::initialise_visible_bias(&mut rbm, &input)?;
                rbm
            }
        };
        trainer.train(&mut rbm, &input, observers)?;
        if l + 2 < sizes.len() {
            // `draws` binary draws of the hidden units for every input row.
            let probabilities = rbm.hidden_probabilities(&input)?;
            let rows: Vec<usize> = (0..input.nrows()).flat_map(|r| std::iter::repeat_n(r, draws)).collect();
            input = draw_units(&probabilities.select_rows(&rows), &mut rng);
        }
        rbms.push(rbm);
    }
    DeepBeliefNet::new(rbms)
}

/// The RBM with visible and hidden layers exchanged.
fn transposed(rbm: &BernoulliRbm) -> Result<BernoulliRbm> {
    BernoulliRbm::new(rbm.weights().transpose(), rbm.hidden_bias().clone(), rbm.visible_bias().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SgdBuilder;
    use crate::rbm::Negatives;
    use ebm_boltzmann::dbn::likelihood_bound;
    use ebm_boltzmann::rbm::partition::log_partition;
    use ebm_core::Domain;
    use ebm_mcmc::rng::seeded;

    fn bars() -> DMatrix<f32> {
        ebm_data::bars_stripes::all(3, Domain::Bit).unwrap().to_matrix()
    }

    #[test]
    fn a_tied_second_layer_keeps_the_distribution_and_its_bound_is_tight() {
        let data = bars();
        let trainer =
            RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 }).batch_size(2).epochs(50).seed(1);
        let one = train_greedy(&[9, 8], &data, &trainer, 1, true, 1, &mut []).unwrap();
        let rbm = one.rbms()[0].clone();
        let two = DeepBeliefNet::new(vec![rbm.clone(), transposed(&rbm).unwrap()]).unwrap();
        let ll = one.exact_log_likelihood(&data).unwrap();
        assert!((two.exact_log_likelihood(&data).unwrap() - ll).abs() < 1e-6);
        // Q(h | v) is the exact posterior of the tied net, so every sample of the bound equals ℓ.
        let log_z = log_partition(two.rbms().last().unwrap()).unwrap();
        let (bound, _) = likelihood_bound(&two, &data, log_z, 200, &mut seeded(2)).unwrap();
        assert!((bound - ll).abs() < 1e-6, "bound {bound} vs ℓ = {ll}");
    }

    #[test]
    fn greedy_training_stacks_rbms_and_refuses_bad_input() {
        let data = bars();
        let trainer =
            RbmTrainer::new(Negatives::Persistent { steps: 1, chains: 20 }).batch_size(2).epochs(30).seed(4);
        let one = train_greedy(&[9, 8], &data, &trainer, 4, true, 1, &mut []).unwrap();
        let two = train_greedy(&[9, 8, 9], &data, &trainer, 4, true, 10, &mut []).unwrap();
        let three = train_greedy(&[9, 8, 6], &data, &trainer, 4, true, 10, &mut []).unwrap();
        // The same first RBM (same stream) under every stack.
        assert_eq!(one.rbms()[0], two.rbms()[0]);
        assert_eq!(one.rbms()[0], three.rbms()[0]);
        assert_eq!(two.sizes(), [9, 8, 9]);
        // The tied second RBM was trained away from the transpose it started as.
        assert_ne!(two.rbms()[1], transposed(&one.rbms()[0]).unwrap());
        assert!(two.exact_log_likelihood(&data).unwrap().is_finite());
        assert!(train_greedy(&[9], &data, &trainer, 4, true, 1, &mut []).is_err());
        assert!(train_greedy(&[8, 4], &data, &trainer, 4, true, 1, &mut []).is_err());
        assert!(train_greedy(&[9, 4], &data, &trainer, 4, true, 0, &mut []).is_err());
    }
}
