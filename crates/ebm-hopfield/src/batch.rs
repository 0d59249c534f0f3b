//! Recall of many probes at once.
//!
//! Asynchronous recall runs the probes in parallel, each with its own
//! random stream, so the result depends on the seed and not on the number
//! of threads. Synchronous recall of a batch with dense couplings is one
//! matrix product per step, H = S W + 1bᵀ (rows are probes).

use crate::network::{Hopfield, Outcome, Recall, RecallOptions, Update, opposes};
use ebm_core::{DensePairwise, DiscreteEnergy, Error, PairwiseEnergy, Result};
use ebm_mcmc::rng::stream;
use nalgebra::DMatrix;
use rayon::prelude::*;

impl<M: PairwiseEnergy> Hopfield<M> {
    /// Recalls every probe (in parallel); probe k orders its units, for
    /// [`Update::RandomOrder`], with the stream `(seed, k)`.
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
/// states as [`Hopfield::recall`] with [`Update::Synchronous`].
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
                if opposes(s[(k, i)], fields[(k, i)]) {
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

/// Asynchronous recall of many probes on a dense network, the fast path of
/// [`Hopfield::recall_all`] for [`Update::Sequential`] and
/// [`Update::RandomOrder`]: the initial fields of all probes are one matrix
/// product, H = W Sᵀ + b1ᵀ (W is symmetric, so column k holds probe k's
/// fields contiguously), and each flip of unit i adds 2 s_i W_{·i} to the
/// probe's fields — a vectorised f32 update of N values. Probes run in
/// parallel; probe k orders its units with the stream (seed, k).
///
/// The fields are kept in f32, so a unit whose field is within rounding of
/// zero may be decided differently than by [`Hopfield::recall`], which keeps
/// them in f64; the final energy, −½ Σ_i s_i (h_i + b_i), carries the fields'
/// f32 rounding.
pub fn asynchronous_batch(
    net: &Hopfield<DensePairwise>,
    probes: &[Vec<i8>],
    options: &RecallOptions,
    seed: u64,
) -> Result<Vec<Recall>> {
    let model = net.model();
    let n = model.num_units();
    if options.update == Update::Synchronous {
        return Err(Error::Invalid {
            what: "asynchronous batch recall".into(),
            reason: "use `synchronous_batch` for synchronous updates".into(),
        });
    }
    for probe in probes {
        model.check_state(probe)?;
    }
    if probes.len().saturating_mul(n) > 1 << 28 {
        return Err(Error::TooLarge {
            what: "batch of probes".into(),
            limit: 1 << 28,
            found: (probes.len() * n) as u64,
        });
    }
    let w = model.couplings().matrix();
    // Chunks of probes run in parallel, each starting with its own matrix
    // product; probe k's stream depends on k alone, so the chunking (which
    // follows the thread count) does not change the result.
    let per_chunk = probes.len().div_ceil(2 * rayon::current_num_threads()).clamp(1, MAX_PROBES_PER_CHUNK);
    let chunks: Vec<Vec<Result<Recall>>> = probes
        .par_chunks(per_chunk)
        .enumerate()
        .map(|(c, chunk)| {
            let states_t = DMatrix::from_fn(n, chunk.len(), |i, k| f32::from(chunk[k][i]));
            let fields = w * states_t;
            chunk
                .iter()
                .enumerate()
                .map(|(k, probe)| {
                    let mut h: Vec<f32> =
                        fields.column(k).iter().zip(model.biases()).map(|(&x, &b)| x + b).collect();
                    recall_one(w, model.biases(), probe, &mut h, options, seed, (c * per_chunk + k) as u64)
                })
                .collect()
        })
        .collect();
    chunks.into_iter().flatten().collect()
}

/// The most probes that share one matrix product in [`asynchronous_batch`].
const MAX_PROBES_PER_CHUNK: usize = 256;

/// Asynchronous recall of one probe whose fields `h` are given, probe index `k` for the random stream.
fn recall_one(
    w: &DMatrix<f32>,
    biases: &[f32],
    probe: &[i8],
    h: &mut [f32],
    options: &RecallOptions,
    seed: u64,
    k: u64,
) -> Result<Recall> {
    let n = probe.len();
    let mut rng = stream(seed, k);
    let mut state = probe.to_vec();
    let mut order: Vec<usize> = (0..n).collect();
    let (mut sweeps, mut flips) = (0, 0);
    let outcome = loop {
        if sweeps == options.max_sweeps {
            break Outcome::SweepLimit;
        }
        if options.update == Update::RandomOrder {
            rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
        }
        sweeps += 1;
        let mut changed = 0;
        for &i in &order {
            if opposes(f64::from(state[i]), f64::from(h[i])) {
                state[i] = -state[i];
                let delta = 2.0 * f32::from(state[i]);
                // Column i of the column-major W is contiguous: a vectorised update.
                let column = &w.as_slice()[i * n..(i + 1) * n];
                h.iter_mut().zip(column).for_each(|(x, &wij)| *x += delta * wij);
                changed += 1;
            }
        }
        flips += changed;
        if changed == 0 {
            break Outcome::FixedPoint;
        }
    };
    // E = −½ sᵀWs − bᵀs = −½ Σ_i s_i (h_i + b_i), from the fields in O(N).
    let energy = -0.5
        * state
            .iter()
            .zip(h.iter().zip(biases))
            .map(|(&s, (&h, &b))| f64::from(s) * (f64::from(h) + f64::from(b)))
            .sum::<f64>();
    Ok(Recall { state, outcome, sweeps, flips, energy_trace: None, energy })
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn the_dense_fast_path_agrees_with_generic_recall() {
        // Hebbian weights are multiples of 1/N: the f32 fields are exact, so the paths agree exactly.
        let n = 128;
        let patterns =
            ebm_data::patterns::random(10, n, 0.5, ebm_core::Domain::Spin, &mut seeded(5)).unwrap();
        let net = crate::test_support::hebbian_network(&patterns);
        let mut rng = seeded(6);
        let probes: Vec<Vec<i8>> = patterns
            .iter()
            .map(|p| ebm_data::patterns::corrupt(p, ebm_core::Domain::Spin, 0.2, &mut rng).unwrap())
            .collect();
        for update in [Update::Sequential, Update::RandomOrder] {
            let options = RecallOptions::with(update);
            let fast = asynchronous_batch(&net, &probes, &options, 3).unwrap();
            let generic = net.recall_all(&probes, &options, 3).unwrap();
            for (f, g) in fast.iter().zip(&generic) {
                assert_eq!(
                    (&f.state, f.sweeps, f.flips, f.outcome),
                    (&g.state, g.sweeps, g.flips, g.outcome)
                );
                assert!((f.energy - g.energy).abs() < 1e-6 * g.energy.abs());
            }
        }
        assert!(asynchronous_batch(&net, &probes, &RecallOptions::with(Update::Synchronous), 0).is_err());
    }

    #[test]
    fn the_dense_fast_path_does_not_depend_on_the_thread_count() {
        let model = SpinGlass::new(50).sample(&mut seeded(7)).unwrap();
        let net = Hopfield::new(model).unwrap();
        let mut rng = seeded(8);
        let probes: Vec<Vec<i8>> = (0..37).map(|_| Spins::random(50, &mut rng).into_vec()).collect();
        let options = RecallOptions::with(Update::RandomOrder);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| asynchronous_batch(&net, &probes, &options, 4).unwrap())
        };
        assert_eq!(run(1), run(3));
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
