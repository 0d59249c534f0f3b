//! Checks of `ebm-boltzmann` and its training algorithms: the RBM's free
//! energy and conditionals, exact and AIS partition functions, the exact
//! gradient, and what CD-1, persistent CD and parallel tempering learn on
//! bars and stripes.

use super::{Check, Context, Measurement, fail};
use ebm_boltzmann::BernoulliRbm;
use ebm_boltzmann::ais::AisOptions;
use ebm_boltzmann::rbm::ais::{ais_log_partition, base_rate_bias};
use ebm_boltzmann::rbm::partition::log_partition;
use ebm_core::Domain;
use ebm_core::math::{LogSumExp, sigmoid, softplus};
use ebm_core::worst::{Worst, max_abs, nan_max};
use ebm_mcmc::rng::seeded;
use ebm_train::SgdBuilder;
use ebm_train::rbm::{
    LearningRate, LikelihoodCurve, Negatives, RbmTrainer, exact_average_log_likelihood, exact_gradient,
};
use nalgebra::DMatrix;
use rand::{Rng, RngExt};
use rayon::prelude::*;

/// The checks of this layer. The 4×4 bars-and-stripes comparison runs only
/// in full mode.
pub fn checks(quick: bool) -> Vec<Check> {
    let mut checks = vec![
        Check {
            name: "boltzmann.rbm.free-energy",
            claim: "F(v) = −log Σ_h e^{−E(v,h)} and P(h_j = 1 | v) = σ(b_j + (vᵀW)_j), read off the joint",
            run: free_energy,
        },
        Check {
            name: "boltzmann.rbm.exact-logz",
            claim: "log Z by enumerating the smaller layer equals brute force over both layers",
            run: exact_log_z,
        },
        Check {
            name: "boltzmann.rbm.ais",
            claim: "AIS from the base-rate RBM estimates log Z within 0.1 nats (random, 20 hidden; trained)",
            run: ais,
        },
        Check {
            name: "boltzmann.rbm.gradient",
            claim: "the exact gradient ⟨v h⟩_data − ⟨v h⟩_model equals finite differences of the log-likelihood",
            run: gradient,
        },
        Check {
            name: "boltzmann.rbm.bars3",
            claim: "3×3 bars and stripes: CD-1, PCD and PT each raise the exact log-likelihood, PT ends best",
            run: bars3,
        },
    ];
    if !quick {
        checks.push(Check {
            name: "boltzmann.rbm.bars4",
            claim: "4×4 bars and stripes: CD-1, PCD and PT each raise the exact log-likelihood, PT ends best",
            run: bars4,
        });
    }
    checks
}

/// An RBM with N(0, σ²) weights and biases uniform in (−1, 1).
fn random_rbm(visible: usize, hidden: usize, std: f32, rng: &mut impl Rng) -> Result<BernoulliRbm, String> {
    let mut rbm = BernoulliRbm::random(visible, hidden, std, rng).map_err(fail)?;
    let (a, b) = rbm.biases_mut();
    a.iter_mut().chain(b.iter_mut()).for_each(|x| *x = rng.random_range(-1.0..1.0));
    Ok(rbm)
}

/// Unit `i` of state `s` as 0/1, for the `n` units of a layer.
fn bits(s: u32, n: usize) -> Vec<f32> {
    (0..n).map(|i| (s >> i & 1) as f32).collect()
}

fn free_energy(ctx: &Context) -> Result<Measurement, String> {
    let models = ctx.size(10, 50);
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for _ in 0..models {
        let (nv, nh) = (rng.random_range(1..8), rng.random_range(1..8));
        let rbm = random_rbm(nv, nh, 1.5, &mut rng)?;
        let visible = DMatrix::from_fn(1 << nv, nv, |s, i| (s >> i & 1) as f32);
        let free = rbm.free_energy(&visible).map_err(fail)?;
        let conditional = rbm.hidden_probabilities(&visible).map_err(fail)?;
        for (s, &f) in free.iter().enumerate() {
            let v = bits(s as u32, nv);
            // −E(v, h) for every h; F(v) and each P(h_j = 1 | v) are log-sum-exps of them.
            let minus_energies: Vec<f64> = (0..1u32 << nh)
                .map(|t| rbm.energy(&v, &bits(t, nh)).map(|e| -e))
                .collect::<Result<_, _>>()
                .map_err(fail)?;
            let mut all = LogSumExp::new();
            minus_energies.iter().for_each(|&e| all.add(e));
            worst.add((f + all.value()).abs() / (1.0 + f.abs()));
            for j in 0..nh {
                let mut on = LogSumExp::new();
                let with_j_on = minus_energies.iter().enumerate().filter(|(t, _)| t >> j & 1 == 1);
                with_j_on.for_each(|(_, &e)| on.add(e));
                let p = (on.value() - all.value()).exp();
                let field = f64::from(rbm.hidden_bias()[j])
                    + (0..nv).map(|i| f64::from(v[i]) * f64::from(rbm.weights()[(i, j)])).sum::<f64>();
                worst =
                    worst.with((p - sigmoid(field)).abs()).with((p - f64::from(conditional[(s, j)])).abs());
            }
        }
    }
    // The library's products and conditionals are in f32.
    Ok(Measurement::at_most(
        format!("max of rel.|ΔF(v)|, |ΔP(h_j = 1 | v)|, {models} RBMs up to 7×7, every v"),
        worst,
        1e-5,
    ))
}

/// log Z summing e^{−E(v,h)} over every (v, h).
fn brute_force_log_z(rbm: &BernoulliRbm) -> Result<f64, String> {
    let (nv, nh) = (rbm.visible(), rbm.hidden());
    let hidden: Vec<Vec<f32>> = (0..1u32 << nh).map(|t| bits(t, nh)).collect();
    let mut total = LogSumExp::new();
    for s in 0..1u32 << nv {
        let v = bits(s, nv);
        for h in &hidden {
            total.add(-rbm.energy(&v, h).map_err(fail)?);
        }
    }
    Ok(total.value())
}

/// log Z summing e^{−F(v)} over every visible state, with the hidden layer
/// summed out in f64 by hand: F(v) = −aᵀv − Σ_j softplus(b_j + (vᵀW)_j).
fn visible_sum_log_z(rbm: &BernoulliRbm) -> f64 {
    let (nv, nh) = (rbm.visible(), rbm.hidden());
    let mut total = LogSumExp::new();
    for s in 0..1u32 << nv {
        let v = bits(s, nv);
        let linear: f64 = (0..nv).map(|i| f64::from(v[i]) * f64::from(rbm.visible_bias()[i])).sum();
        let hidden: f64 = (0..nh)
            .map(|j| {
                let field = f64::from(rbm.hidden_bias()[j])
                    + (0..nv).map(|i| f64::from(v[i]) * f64::from(rbm.weights()[(i, j)])).sum::<f64>();
                softplus(field)
            })
            .sum();
        total.add(linear + hidden);
    }
    total.value()
}

fn exact_log_z(ctx: &Context) -> Result<Measurement, String> {
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    // Brute force over both layers, either layer the smaller one.
    let mut shapes = vec![(1, 1), (2, 9), (9, 2), (6, 6), (4, 11), (11, 4)];
    for _ in 0..ctx.size(6, 30) {
        shapes.push((rng.random_range(1..10), rng.random_range(1..10)));
    }
    for &(nv, nh) in &shapes {
        let rbm = random_rbm(nv, nh, rng.random_range(0.1..2.0), &mut rng)?;
        let (fast, slow) = (log_partition(&rbm).map_err(fail)?, brute_force_log_z(&rbm)?);
        worst = worst.with((fast - slow).abs() / slow.abs().max(1.0));
    }
    // Layers of 13 and more: the enumeration runs in several blocks of 2¹² states
    // (Gray code inside each), against a plain sum over the visible states.
    let large = [(13, 14), (14, 13), (15, 20)];
    for &(nv, nh) in &large {
        let rbm = random_rbm(nv, nh, rng.random_range(0.1..1.0), &mut rng)?;
        let (fast, slow) = (log_partition(&rbm).map_err(fail)?, visible_sum_log_z(&rbm));
        worst = worst.with((fast - slow).abs() / slow.abs().max(1.0));
    }
    Ok(Measurement::at_most(
        format!(
            "max rel.|log Z − brute force|, {} RBMs up to 9×9 (both layers summed) + 13×14, 14×13, 15×20",
            shapes.len()
        ),
        worst,
        1e-10,
    ))
}

fn ais(ctx: &Context) -> Result<Measurement, String> {
    let mut rng = ctx.rng();
    let options = |seed: u64| AisOptions::staged(ctx.size(10_000, 20_000), ctx.size(64, 256), seed);
    let mut errors = Vec::new();
    let mut covered = 0;
    // Random RBMs with 20 hidden units: exact log Z enumerates the 20 hidden units
    // (or the visible layer when it is smaller); the base rate is the model's own
    // visible bias.
    for _ in 0..ctx.size(1, 4) {
        let rbm = random_rbm(24, 20, 0.5, &mut rng)?;
        let exact = log_partition(&rbm).map_err(fail)?;
        let estimate = ais_log_partition(&rbm, rbm.visible_bias(), &options(rng.random())).map_err(fail)?;
        covered += usize::from((estimate.log_z_low..=estimate.log_z_high).contains(&exact));
        errors.push(estimate.log_z - exact);
    }
    // A trained model: 4×4 bars and stripes, 20 hidden units, parallel tempering.
    // Its distribution has 30 sharp modes; the base rate is the data's.
    let data = ebm_data::bars_stripes::all(4, Domain::Bit).map_err(fail)?.to_matrix();
    let mut rbm = BernoulliRbm::random(16, 20, 0.01, &mut rng).map_err(fail)?;
    RbmTrainer::initialise_visible_bias(&mut rbm, &data).map_err(fail)?;
    RbmTrainer::new(tempering(30))
        .learning_rate(LearningRate::Constant(0.05))
        .momentum(0.5)
        .batch_size(2)
        .epochs(ctx.size(200, 500))
        .seed(rng.random())
        .train(&mut rbm, &data, &mut [])
        .map_err(fail)?;
    let exact = log_partition(&rbm).map_err(fail)?;
    let base = base_rate_bias(&data, 1.0).map_err(fail)?;
    let estimate = ais_log_partition(&rbm, &base, &options(rng.random())).map_err(fail)?;
    covered += usize::from((estimate.log_z_low..=estimate.log_z_high).contains(&exact));
    errors.push(estimate.log_z - exact);
    let worst = max_abs(errors.iter().copied());
    let trained_ll = exact_average_log_likelihood(&rbm, &data).map_err(fail)?;
    Ok(Measurement::at_most(
        format!(
            "max |AIS − exact log Z|, {} random 24×20 + trained 16×20 (LL {trained_ll:.2}); errors {}; exact within ±3 s.e. in {covered}/{}",
            errors.len() - 1,
            errors.iter().map(|e| format!("{e:+.3}")).collect::<Vec<_>>().join(" "),
            errors.len()
        ),
        worst,
        0.1,
    ))
}

fn gradient(ctx: &Context) -> Result<Measurement, String> {
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    let mut compared = 0;
    for _ in 0..ctx.size(3, 12) {
        let (nv, nh) = (rng.random_range(2..9), rng.random_range(1..7));
        let rbm = random_rbm(nv, nh, 1.0, &mut rng)?;
        let rows = rng.random_range(1..12);
        let data = DMatrix::from_fn(rows, nv, |_, _| f32::from(u8::from(rng.random::<bool>())));
        let analytic = exact_gradient(&rbm, &data).map_err(fail)?;
        let ll = |m: &BernoulliRbm| exact_average_log_likelihood(m, &data).map_err(fail);
        // Central differences over the parameters as actually stored in f32:
        // the step is the difference of the two rounded values.
        let mut numeric = |read: &dyn Fn(&BernoulliRbm) -> f32,
                           write: &dyn Fn(&mut BernoulliRbm, f32)|
         -> Result<f64, String> {
            let (mut plus, mut minus) = (rbm.clone(), rbm.clone());
            write(&mut plus, read(&rbm) + 1e-2);
            write(&mut minus, read(&rbm) - 1e-2);
            let step = f64::from(read(&plus)) - f64::from(read(&minus));
            compared += 1;
            Ok((ll(&plus)? - ll(&minus)?) / step)
        };
        for i in 0..nv {
            for j in 0..nh {
                let n = numeric(&|m| m.weights()[(i, j)], &|m, x| {
                    m.update_weights(|w| w[(i, j)] = x).expect("finite weight")
                })?;
                worst.add((n - analytic.weights[(i, j)]).abs());
            }
            let n = numeric(&|m| m.visible_bias()[i], &|m, x| m.biases_mut().0[i] = x)?;
            worst.add((n - analytic.visible_bias[i]).abs());
        }
        for j in 0..nh {
            let n = numeric(&|m| m.hidden_bias()[j], &|m, x| m.biases_mut().1[j] = x)?;
            worst.add((n - analytic.hidden_bias[j]).abs());
        }
    }
    Ok(Measurement::at_most(
        format!("max |exact gradient − central difference (step 10⁻²)|, {compared} parameters"),
        worst,
        1e-4,
    ))
}

/// The temperature ladder of the PT runs: five temperatures spaced
/// geometrically from 1 to 2.9, T_k = 2.9^{k/4} (equal ratios of β).
fn ladder() -> Vec<f64> {
    (0..5).map(|k| 2.9f64.powf(f64::from(k) / 4.0)).collect()
}

/// Parallel tempering with one Gibbs step per update and `chains` chains per temperature.
fn tempering(chains: usize) -> Negatives {
    Negatives::Tempering { steps: 1, chains, temperatures: ladder() }
}

/// The three negative phases compared on bars and stripes.
const ALGORITHMS: [&str; 3] = ["CD-1", "PCD", "PT"];

/// One bars-and-stripes experiment: the same RBM size, learning rate, batch
/// size and number of epochs for every negative phase; PCD and PT keep as
/// many persistent chains (per temperature) as there are patterns.
struct BarsSetup {
    side: usize,
    hidden: usize,
    epochs: usize,
    rate: f64,
    /// The exact log-likelihood is recorded every this many epochs.
    every: usize,
}

/// What one run measured.
struct Run {
    before: f64,
    /// The exact log-likelihood every `every` epochs; the last one is the final value.
    curve: Vec<f64>,
    swap_rates: Vec<f64>,
}

impl Run {
    fn last(&self) -> f64 {
        self.curve.last().copied().unwrap_or(f64::NAN)
    }

    fn peak(&self) -> f64 {
        self.curve.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
}

impl BarsSetup {
    /// Trains one RBM with negative phase `algorithm` (an index into [`ALGORITHMS`]).
    fn run(&self, data: &DMatrix<f32>, algorithm: usize, seed: u64) -> Result<Run, String> {
        let chains = data.nrows();
        let negatives = match algorithm {
            0 => Negatives::ContrastiveDivergence { steps: 1 },
            1 => Negatives::Persistent { steps: 1, chains },
            _ => tempering(chains),
        };
        let mut rbm =
            BernoulliRbm::random(data.ncols(), self.hidden, 0.01, &mut seeded(seed)).map_err(fail)?;
        RbmTrainer::initialise_visible_bias(&mut rbm, data).map_err(fail)?;
        let before = exact_average_log_likelihood(&rbm, data).map_err(fail)?;
        let mut curve = LikelihoodCurve::new(data, self.every);
        RbmTrainer::new(negatives)
            .learning_rate(LearningRate::Constant(self.rate))
            .momentum(0.5)
            .batch_size(2)
            .epochs(self.epochs)
            .seed(seed)
            .train(&mut rbm, data, &mut [&mut curve])
            .map_err(fail)?;
        Ok(Run { before, curve: curve.likelihoods, swap_rates: curve.swap_rates })
    }

    /// Trains every algorithm from `seeds` seeds (in parallel; each run depends
    /// only on its seed) and measures PT's lead in mean final log-likelihood
    /// over the better of CD-1 and PCD. An algorithm whose mean final
    /// log-likelihood is not at least one nat above the mean initial one fails
    /// the check.
    fn compare(&self, seeds: usize, rng: &mut impl Rng) -> Result<Measurement, String> {
        let data = ebm_data::bars_stripes::all(self.side, Domain::Bit).map_err(fail)?.to_matrix();
        let seeds: Vec<u64> = (0..seeds).map(|_| rng.random()).collect();
        let jobs: Vec<(usize, u64)> =
            (0..ALGORITHMS.len()).flat_map(|a| seeds.iter().map(move |&s| (a, s))).collect();
        let runs: Vec<Run> =
            jobs.par_iter().map(|&(a, s)| self.run(&data, a, s)).collect::<Result<_, String>>()?;
        let by_algorithm: Vec<&[Run]> = runs.chunks(seeds.len()).collect();
        let mean = |runs: &[Run], f: fn(&Run) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        let finals: Vec<f64> = by_algorithm.iter().map(|r| mean(r, Run::last)).collect();
        for (name, runs) in ALGORITHMS.iter().zip(&by_algorithm) {
            let (before, after) = (mean(runs, |r| r.before), mean(runs, Run::last));
            let raised = after >= before + 1.0;
            if !raised {
                return Err(format!(
                    "{name}: mean exact log-likelihood {before:.3} → {after:.3} over {} seeds, not raised by a nat",
                    seeds.len()
                ));
            }
        }
        let pt_best = (0..seeds.len())
            .filter(|&s| by_algorithm[2][s].last() > by_algorithm[0][s].last().max(by_algorithm[1][s].last()))
            .count();
        let swaps = by_algorithm[2].iter().flat_map(|r| r.swap_rates.iter().copied());
        let (low, high) = swaps.fold((1f64, 0f64), |(l, h), s| (l.min(s), h.max(s)));
        Ok(Measurement::at_least(
            format!(
                "{side}×{side}, {} hidden, {} seeds: mean final LL CD-1 {:.3}, PCD {:.3} (peak {:.3}), PT {:.3} (optimum {:.3}); PT best in {pt_best}/{}; swap rates {low:.2}–{high:.2}; PT lead",
                self.hidden,
                seeds.len(),
                finals[0],
                finals[1],
                mean(by_algorithm[1], Run::peak),
                finals[2],
                -(data.nrows() as f64).ln(),
                seeds.len(),
                side = self.side,
            ),
            finals[2] - nan_max(finals[0], finals[1]),
            0.1,
        ))
    }
}

// The settings: batches of 2, momentum 0.5, a constant learning rate, and long
// enough training for the model to become sharply multimodal. Persistent chains
// that advance one Gibbs step per update then stop crossing between the modes
// while the weights keep moving, and PCD's log-likelihood falls back from its
// peak; the tempered chains keep mixing (Desjardins et al., 2010). With shorter
// training (400 epochs on 3×3) the three are closer and PT is not best in every
// seed; with a learning rate annealed to zero PCD nearly catches up.
fn bars3(ctx: &Context) -> Result<Measurement, String> {
    let setup = BarsSetup { side: 3, hidden: 12, epochs: 500, rate: 0.05, every: 1 };
    setup.compare(ctx.size(4, 8), &mut ctx.rng())
}

fn bars4(ctx: &Context) -> Result<Measurement, String> {
    let setup = BarsSetup { side: 4, hidden: 16, epochs: 1500, rate: 0.01, every: 10 };
    setup.compare(4, &mut ctx.rng())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_is_geometric_from_one() {
        let t = ladder();
        assert_eq!(t[0], 1.0);
        assert!((t[4] - 2.9).abs() < 1e-12);
        let ratios: Vec<f64> = t.windows(2).map(|w| w[1] / w[0]).collect();
        assert!(ratios.iter().all(|r| (r - ratios[0]).abs() < 1e-12 && *r > 1.0));
    }

    #[test]
    fn the_full_mode_adds_the_4x4_comparison() {
        let names = |quick| checks(quick).into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert!(!names(true).contains(&"boltzmann.rbm.bars4"));
        assert!(names(false).contains(&"boltzmann.rbm.bars4"));
    }
}
