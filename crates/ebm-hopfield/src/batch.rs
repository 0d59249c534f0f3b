//! Recall of many probes at once.
//!
//! Asynchronous recall runs the probes in parallel, each with its own
//! random stream, so the result depends on the seed and not on the number
//! of threads. Synchronous recall of a batch with dense couplings is one
//! matrix product per step, H = S W + 1bᵀ (rows are probes).

use crate::network::{Hopfield, Outcome, Recall, RecallOptions};
use ebm_core::{DensePairwise, DiscreteEnergy, Error, PairwiseEnergy, Result};
use ebm_mcmc::rng::stream;
use nalgebra::DMatrix;
use rayon::prelude::*;

impl<M: PairwiseEnergy> Hopfield<M> {
    /// Recalls every probe (in parallel); probe k orders its units, for
    /// [`crate::Update::RandomOrder`], with the stream `(seed, k)`.
    pub fn recall_all(&self, probes: &[Vec<i8>], options: &RecallOptions, seed: u64) -> Result<Vec<Recall>> {
        probes
            .par_iter()
            .enumerate()
            .map(|(k, probe)| self.recall(probe, options, &mut stream(seed, k as u64)))
            .collect()
    }
}

/// The outcome of synchronous batch recall.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRecall {
    /// Final states, one row per probe.
    pub states: Vec<Vec<i8>>,
    /// How each probe's dynamics ended.
    pub outcomes: Vec<Outcome>,
    /// Steps each probe took (the last, unchanging one included).
    pub steps: Vec<usize>,
}

/// Synchronous recall of all `probes` on a dense network, one matrix
/// product per step for the whole batch: S_{t+1} = sign(S_t W + 1bᵀ), each
/// unit with a zero field keeping its state. A probe stops at a fixed point
/// or a two-cycle; the others continue, up to `max_steps`. Gives the same
/// states as [`Hopfield::recall`] with [`crate::Update::Synchronous`].
pub fn synchronous_batch(
    net: &Hopfield<DensePairwise>,
    probes: &[Vec<i8>],
    max_steps: usize,
) -> Result<BatchRecall> {
    let model = net.model();
    let n = model.num_units();
    for probe in probes {
        model.check_state(probe)?;
    }
    let count = probes.len();
    if count.saturating_mul(n) > 1 << 28 {
        return Err(Error::TooLarge {
            what: "batch of probes".into(),
            limit: 1 << 28,
            found: (count * n) as u64,
        });
    }
    let w = model.couplings().matrix().map(f64::from);
    let bias = nalgebra::RowDVector::from_iterator(n, model.biases().iter().map(|&b| f64::from(b)));
    let mut s = DMatrix::from_fn(count, n, |k, i| f64::from(probes[k][i]));
    let mut before_last: Option<DMatrix<f64>> = None;
    let mut outcomes = vec![Outcome::SweepLimit; count];
    let mut steps = vec![0; count];
    for step in 1..=max_steps {
        let mut fields = &s * &w;
        for mut row in fields.row_iter_mut() {
            row += &bias;
        }
        let previous = s.clone();
        for k in 0..count {
            if outcomes[k] != Outcome::SweepLimit {
                continue;
            }
            let mut changed = false;
            for i in 0..n {
                let h = fields[(k, i)];
                if h * s[(k, i)] < 0.0 {
                    s[(k, i)] = -s[(k, i)];
                    changed = true;
                }
            }
            steps[k] = step;
            if !changed {
                outcomes[k] = Outcome::FixedPoint;
            } else if before_last.as_ref().is_some_and(|b| b.row(k) == s.row(k)) {
                outcomes[k] = Outcome::TwoCycle;
            }
        }
        before_last = Some(previous);
        if outcomes.iter().all(|&o| o != Outcome::SweepLimit) {
            break;
        }
    }
    let states = (0..count).map(|k| s.row(k).iter().map(|&v| v as i8).collect()).collect();
    Ok(BatchRecall { states, outcomes, steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Update;
    use ebm_core::Spins;
    use ebm_core::spin_glass::SpinGlass;
    use ebm_mcmc::rng::seeded;

    #[test]
    fn batch_recall_matches_one_by_one_recall() {
        let model = SpinGlass::new(30).field_std(0.3).sample(&mut seeded(1)).unwrap();
        let net = Hopfield::new(model).unwrap();
        let mut rng = seeded(2);
        let probes: Vec<Vec<i8>> = (0..25).map(|_| Spins::random(30, &mut rng).into_vec()).collect();
        let options = RecallOptions::with(Update::Synchronous);
        let batch = synchronous_batch(&net, &probes, options.max_sweeps).unwrap();
        for (k, probe) in probes.iter().enumerate() {
            let single = net.recall(probe, &options, &mut seeded(0)).unwrap();
            assert_eq!(batch.states[k], single.state, "probe {k}");
            assert_eq!(batch.outcomes[k], single.outcome, "probe {k}");
            assert_eq!(batch.steps[k], single.sweeps, "probe {k}");
        }
    }

    #[test]
    fn parallel_recall_depends_on_the_seed_only() {
        let model = SpinGlass::new(40).sample(&mut seeded(3)).unwrap();
        let net = Hopfield::new(model).unwrap();
        let mut rng = seeded(4);
        let probes: Vec<Vec<i8>> = (0..16).map(|_| Spins::random(40, &mut rng).into_vec()).collect();
        let options = RecallOptions::with(Update::RandomOrder);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| net.recall_all(&probes, &options, 9).unwrap())
        };
        assert_eq!(run(1), run(3));
        assert!(synchronous_batch(&net, &[vec![1; 39]], 10).is_err());
    }
}
