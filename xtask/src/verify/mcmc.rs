//! Checks of `ebm-mcmc`: samplers against exact enumeration and Kaufman's
//! formula, annealing against exact ground states, determinism of parallel
//! tempering.

use super::{Check, Context, Measurement, fail};
use ebm_core::planted::PlantedLoops;
use ebm_core::spin_glass::SpinGlass;
use ebm_core::worst::{Worst, nan_max};
use ebm_core::{DensePairwise, DiscreteEnergy, Domain, Quadratic, SquareLattice, exact, kaufman};
use ebm_mcmc::anneal::{Annealer, Schedule};
use ebm_mcmc::cluster::{SwendsenWang, Wolff};
use ebm_mcmc::continuous::{ContinuousSampler, Draws, Hmc, Mala, RandomWalk};
use ebm_mcmc::diagnostics::{integrated_time, mcse};
use ebm_mcmc::histogram::{StateHistogram, expected_total_variation};
use ebm_mcmc::lattice::LatticeSweeper;
use ebm_mcmc::rng::{seeded, stream};
use ebm_mcmc::tempering::{Ladder, ParallelTempering};
use ebm_mcmc::{PairwiseChain, Rule, Scan, SingleSite};
use nalgebra::DMatrix;
use rand::RngExt;

/// The checks of this layer.
pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "mcmc.single-site.exact",
            claim: "Gibbs and Metropolis, both scans, reach the exact Boltzmann distribution at T = 0.5 and 2, ±1 and 0/1 units",
            run: single_site_exact,
        },
        Check {
            name: "mcmc.tempering.rungs",
            claim: "parallel tempering samples the exact distribution at every rung",
            run: tempering_rungs,
        },
        Check {
            name: "mcmc.tempering.threads",
            claim: "parallel tempering gives the same replicas on 1 and 2 threads",
            run: tempering_threads,
        },
        Check {
            name: "mcmc.anneal.ground-state",
            claim: "annealing ends in the planted ground state of 64-spin frustrated-loop glasses far more often than any constant temperature",
            run: anneal_ground_states,
        },
        Check {
            name: "mcmc.cluster.exact",
            claim: "Wolff and Swendsen–Wang updates reach the exact distribution of a ferromagnet",
            run: cluster_exact,
        },
        Check {
            name: "mcmc.diagnostics.ar1",
            claim: "the integrated autocorrelation time of AR(1) series is (1 + φ)/(1 − φ)",
            run: ar1_autocorrelation,
        },
        Check {
            name: "mcmc.continuous.gaussian",
            claim: "random-walk Metropolis, MALA and HMC recover the mean and covariance of a correlated Gaussian",
            run: continuous_gaussian,
        },
        Check {
            name: "mcmc.lattice.kaufman",
            claim: "the lattice sweeper's mean energy equals T² ∂log Z/∂T from Kaufman's formula",
            run: lattice_mean_energy,
        },
    ]
}

fn spin_glass(ctx: &Context, units: usize, coupling: f64) -> Result<DensePairwise, String> {
    SpinGlass::new(units).coupling_std(coupling).field_std(0.4).sample(&mut ctx.rng()).map_err(fail)
}

/// Sweeps from a uniform start before a chain's state counts as an exact draw.
const SWEEPS: usize = 200;

fn single_site_exact(ctx: &Context) -> Result<Measurement, String> {
    let chains = ctx.size(2_000, 20_000);
    let mut worst = Worst::new();
    // T and 1/T both differ from 1 (a sampler that confuses them fails), in
    // both unit domains (σ(2h/T) for spins, σ(h/T) for bits). The parameters
    // scale with T so that every case mixes within the sweeps: with σ_J = 0.7
    // T the spin glasses of some seeds are glassy enough that all four
    // samplers stay ~5× the sampling TV after 100 sweeps (and pass after 1,000).
    for (domain, t) in [(Domain::Spin, 0.5), (Domain::Bit, 2.0), (Domain::Spin, 2.0), (Domain::Bit, 0.5)] {
        let model = SpinGlass::new(8)
            .domain(domain)
            .coupling_std(0.5 * t)
            .field_std(0.4 * t)
            .sample(&mut ctx.rng())
            .map_err(fail)?;
        let exact = exact::probabilities(&model, t).map_err(fail)?;
        for rule in [Rule::Gibbs, Rule::Metropolis] {
            for scan in [Scan::Sequential, Scan::Random] {
                let sampler = SingleSite::new(rule).scan(scan);
                let mut histogram = StateHistogram::new(8, domain).map_err(fail)?;
                for c in 0..chains as u64 {
                    let mut rng = stream(ctx.rng().random(), c);
                    let mut chain = PairwiseChain::random(&model, &mut rng);
                    sampler.run(&mut chain, t, SWEEPS, &mut rng).map_err(fail)?;
                    histogram.add(chain.state());
                }
                let tv = histogram.total_variation(&exact).map_err(fail)?;
                worst.add(tv / expected_total_variation(&exact, chains as f64));
            }
        }
    }
    Ok(Measurement::at_most(
        format!(
            "max TV / TV of {chains} exact draws, 4 samplers × (±1, 0/1) × T ∈ {{0.5, 2}}, N = 8, {SWEEPS} sweeps"
        ),
        worst,
        2.0,
    ))
}

fn tempering_rungs(ctx: &Context) -> Result<Measurement, String> {
    let model = spin_glass(ctx, 8, 1.5)?;
    let ladder = Ladder::geometric(0.4, 3.0, 5).map_err(fail)?;
    let mut pt = ParallelTempering::new(&model, ladder.clone(), ctx.rng().random()).sweeps_per_round(5);
    pt.run(200, |_| {}).map_err(fail)?;
    let rounds = ctx.size(40_000, 400_000);
    let mut histograms = (0..ladder.len())
        .map(|_| StateHistogram::new(8, model.domain()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    let mut energies = vec![Vec::with_capacity(rounds); ladder.len()];
    pt.run(rounds, |replicas| {
        for ((h, e), r) in histograms.iter_mut().zip(&mut energies).zip(replicas) {
            h.add(r.state());
            e.push(r.energy());
        }
    })
    .map_err(fail)?;
    // Successive rounds are correlated, by how much depends on the rung and
    // the model (τ of a few rounds to ten at the middle rungs of glassy
    // seeds), so each rung's TV is compared with that of as many exact draws
    // as its effective sample size n/τ, τ from its energy series. Moves
    // between states of equal energy are slower than τ_E shows, so the ratio
    // still reaches 3 on some seeds (0.75–3.1 over 12): the bound is 4. A
    // biased sampler's ratio grows like √n; a correct one's does not.
    let mut worst = Worst::new();
    let mut largest_tau = 1f64;
    for ((h, e), &t) in histograms.iter().zip(&energies).zip(ladder.temperatures()) {
        let p = exact::probabilities(&model, t).map_err(fail)?;
        let tau = integrated_time(e).map_err(fail)?.tau.max(1.0);
        largest_tau = nan_max(largest_tau, tau);
        worst.add(h.total_variation(&p).map_err(fail)? / expected_total_variation(&p, rounds as f64 / tau));
    }
    Ok(Measurement::at_most(
        format!("max over 5 rungs of TV / TV of n/τ exact draws, n = {rounds} rounds, τ ≤ {largest_tau:.1}"),
        worst,
        4.0,
    ))
}

fn tempering_threads(ctx: &Context) -> Result<Measurement, String> {
    let model = spin_glass(ctx, 64, 1.0)?;
    let seed = ctx.rng().random();
    let run = |threads: usize| -> Result<Vec<Vec<i8>>, String> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| e.to_string())?;
        pool.install(|| {
            let mut pt = ParallelTempering::new(&model, Ladder::geometric(0.5, 4.0, 8).map_err(fail)?, seed);
            pt.run(ctx.size(100, 1000), |_| {}).map_err(fail)?;
            Ok((0..8).map(|k| pt.replica(k).state().to_vec()).collect())
        })
    };
    let (one, two) = (run(1)?, run(2)?);
    let differing = one.iter().zip(&two).filter(|(a, b)| a != b).count();
    Ok(Measurement::at_most("replicas differing between 1 and 2 threads, 8 rungs", differing as f64, 0.0))
}

/// Frustrated-loop instances on the periodic 16×16 lattice (N = 256, 2²⁵⁶
/// states): the ground energy is known by construction and no search by luck
/// finds it.
const ANNEAL_SIDE: usize = 16;

/// Cycles per spin of the planted instances. Measured at 24 instances: with
/// 0.3 even annealing rarely succeeds in ~3,500 sweeps, with 1.0 the couplings
/// are so strong that a constant T = 3 ends in the ground state half the
/// time; at 0.7 annealing solved 0.88 and the best constant T 0.21.
const ANNEAL_LOOPS_PER_UNIT: f64 = 0.7;

/// Sweeps at each temperature of the schedule.
const ANNEAL_SWEEPS: usize = 20;

/// The fraction of `instances` planted instances whose *final* state after
/// `schedule` ([`ANNEAL_SWEEPS`] a temperature, no closing quench) has the ground energy.
fn anneal_solved_fraction(ctx: &Context, instances: usize, schedule: &Schedule) -> Result<f64, String> {
    let annealer = Annealer::new(schedule.clone()).sweeps_per_temperature(ANNEAL_SWEEPS).quench(false);
    let mut rng = ctx.rng();
    let mut solved = 0;
    for k in 0..instances as u64 {
        let instance = PlantedLoops::new(ANNEAL_SIDE, ANNEAL_SIDE)
            .loops_per_unit(ANNEAL_LOOPS_PER_UNIT)
            .sample(&mut rng)
            .map_err(fail)?;
        let mut chain_rng = stream(rng.random(), k);
        let mut chain = PairwiseChain::random(&instance.model, &mut chain_rng);
        let outcome = annealer.run(&mut chain, &mut chain_rng).map_err(fail)?;
        let final_energy = instance.model.energy(&outcome.final_state);
        if final_energy < instance.ground_energy - 1e-9 {
            return Err(format!(
                "a state below the planted ground energy {}: {final_energy}",
                instance.ground_energy
            ));
        }
        solved += usize::from(final_energy - instance.ground_energy < 1e-9);
    }
    Ok(solved as f64 / instances as f64)
}

fn anneal_ground_states(ctx: &Context) -> Result<Measurement, String> {
    let instances = ctx.size(24, 96);
    let cooling = Schedule::Geometric { start: 10.0, factor: 0.97, end: 0.05 };
    let length = cooling.temperatures().map_err(fail)?.len();
    let annealed = anneal_solved_fraction(ctx, instances, &cooling)?;
    // The same instances, starts and number of sweeps at each of several
    // constant temperatures; annealing must beat the best of them.
    let mut best_constant = (0.0, CONSTANT_TEMPERATURES[0]);
    for t in CONSTANT_TEMPERATURES {
        let rate = anneal_solved_fraction(ctx, instances, &Schedule::Custom(vec![t; length]))?;
        if rate > best_constant.0 {
            best_constant = (rate, t);
        }
    }
    Ok(Measurement::at_least(
        format!(
            "solved fraction annealed ({annealed:.2}) − best at constant T ({:.2} at T = {}), {instances} planted {ANNEAL_SIDE}×{ANNEAL_SIDE} instances, {} sweeps, final state",
            best_constant.0,
            best_constant.1,
            length * ANNEAL_SWEEPS
        ),
        annealed - best_constant.0,
        // 0.54–0.75 over 12 seeds in quick mode; a schedule that does not cool scores ≤ 0.
        0.3,
    ))
}

/// The constant temperatures annealing must beat.
const CONSTANT_TEMPERATURES: [f64; 7] = [0.05, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0];

fn cluster_exact(ctx: &Context) -> Result<Measurement, String> {
    let model = SquareLattice::new(3, 3).coupling(1.0).build().map_err(fail)?;
    let t = 2.5;
    let exact = exact::probabilities(&model, t).map_err(fail)?;
    let chains = ctx.size(5_000, 50_000);
    let seed: u64 = ctx.rng().random();
    let mut worst = Worst::new();
    for wolff in [true, false] {
        let mut histogram = StateHistogram::new(9, model.domain()).map_err(fail)?;
        let (mut w, mut sw) =
            (Wolff::new(&model, t).map_err(fail)?, SwendsenWang::new(&model, t).map_err(fail)?);
        for c in 0..chains as u64 {
            let mut rng = stream(seed, c);
            let mut state: Vec<i8> = (0..9).map(|_| if rng.random() { 1 } else { -1 }).collect();
            if wolff {
                w.run(&mut state, &mut rng, 20).map_err(fail)?;
            } else {
                sw.run(&mut state, &mut rng, 10).map_err(fail)?;
            }
            histogram.add(&state);
        }
        worst.add(
            histogram.total_variation(&exact).map_err(fail)?
                / expected_total_variation(&exact, chains as f64),
        );
    }
    Ok(Measurement::at_most(
        format!("max TV / TV of {chains} exact draws, Wolff and SW, 3×3 at T = 2.5"),
        worst,
        2.0,
    ))
}

fn ar1_autocorrelation(ctx: &Context) -> Result<Measurement, String> {
    let n = ctx.size(200_000, 2_000_000);
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for phi in [0.0, 0.5, 0.9] {
        let scale = (1.0f64 - phi * phi).sqrt();
        let mut x = 0.0;
        let series: Vec<f64> = (0..n)
            .map(|_| {
                // A standard normal from two uniforms (Box–Muller).
                let (u, v): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
                x = phi * x + scale * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                x
            })
            .collect();
        let tau = integrated_time(&series).map_err(fail)?.tau;
        let exact = (1.0 + phi) / (1.0 - phi);
        worst.add((tau - exact).abs() / exact);
    }
    // The relative standard error of τ̂ with a window of M lags is about
    // √(2(2M + 1)/n) (Sokal); at φ = 0.9 (τ = 19, M ≈ 5τ) that is 0.044 for
    // n = 2·10⁵ and 0.014 for 2·10⁶. The bound is five of them.
    let bound = 5.0 * (2.0 * (2.0 * 95.0 + 1.0) / n as f64).sqrt();
    Ok(Measurement::at_most(format!("max relative error of τ̂, φ ∈ {{0, 0.5, 0.9}}, n = {n}"), worst, bound))
}

fn continuous_gaussian(ctx: &Context) -> Result<Measurement, String> {
    // Covariance [[2, 1.2], [1.2, 1]] (correlation 0.85) at T = 1, mean (1, −2).
    let det = 2.0 - 1.2 * 1.2;
    let precision = DMatrix::from_row_slice(2, 2, &[1.0 / det, -1.2 / det, -1.2 / det, 2.0 / det]);
    let energy = Quadratic::new(vec![1.0, -2.0], precision).map_err(fail)?;
    let (t, samples) = (1.5, ctx.size(20_000, 200_000));
    let covariance = energy.covariance(t);
    let mut worst = Worst::new();
    // Each moment as the mean of a series, compared with its exact value in
    // units of the series' own MCSE (which accounts for autocorrelation):
    // E[x_j] and E[(x_j − μ_j)(x_k − μ_k)] for j ≤ k, the off-diagonal
    // covariance included.
    let mut check = |draws: Draws| -> Result<(), String> {
        let centred: Vec<Vec<f64>> =
            (0..2).map(|j| draws.coordinate(j).iter().map(|x| x - energy.mean()[j]).collect()).collect();
        for j in 0..2 {
            worst.add((draws.mean()[j] - energy.mean()[j]).abs() / mcse(&centred[j]).map_err(fail)?);
            for k in j..2 {
                let products: Vec<f64> = centred[j].iter().zip(&centred[k]).map(|(a, b)| a * b).collect();
                let mean = products.iter().sum::<f64>() / products.len() as f64;
                worst.add((mean - covariance[(j, k)]).abs() / mcse(&products).map_err(fail)?);
            }
        }
        Ok(())
    };
    let seed: u64 = ctx.rng().random();
    let burn_in = 2000;
    let mut x = [0.0, 0.0];
    let mut random_walk = RandomWalk::new(1.0).and_then(|s| s.with_temperature(t)).map_err(fail)?;
    check(random_walk.sample(&energy, &mut x, burn_in, samples, 1, &mut stream(seed, 0)).map_err(fail)?)?;
    let mut mala = Mala::new(0.5).and_then(|s| s.with_temperature(t)).map_err(fail)?;
    check(mala.sample(&energy, &mut x, burn_in, samples, 1, &mut stream(seed, 1)).map_err(fail)?)?;
    let mut hmc = Hmc::new(0.3, 10).and_then(|s| s.with_temperature(t)).map_err(fail)?;
    check(hmc.sample(&energy, &mut x, burn_in, samples, 1, &mut stream(seed, 2)).map_err(fail)?)?;
    Ok(Measurement::at_most(
        format!(
            "max |error| / MCSE of the means and the full covariance, 3 samplers, {samples} draws, T = {t}"
        ),
        worst,
        5.0,
    ))
}

fn lattice_mean_energy(ctx: &Context) -> Result<Measurement, String> {
    let (side, t) = (16, 3.0);
    let exact_mean = kaufman::ising_mean_energy(side, side, 1.0, t).map_err(fail)?;
    let model = SquareLattice::square(side).build().map_err(fail)?;
    let sweeper = LatticeSweeper::new(side, side, 1.0, 0.0, Rule::Metropolis, t).map_err(fail)?;
    let mut rng = seeded(ctx.rng().random());
    let mut spins = vec![1i8; side * side];
    for _ in 0..500 {
        sweeper.sweep(&mut spins, &mut rng).map_err(fail)?;
    }
    let (batches, per_batch) = (40, ctx.size(250, 2500));
    let mut means = Vec::with_capacity(batches);
    for _ in 0..batches {
        let mut sum = 0.0;
        for _ in 0..per_batch {
            sweeper.sweep(&mut spins, &mut rng).map_err(fail)?;
            sum += model.energy(&spins);
        }
        means.push(sum / per_batch as f64);
    }
    let mean = means.iter().sum::<f64>() / batches as f64;
    let variance = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (batches - 1) as f64;
    let z = (mean - exact_mean).abs() / (variance / batches as f64).sqrt();
    Ok(Measurement::at_most(
        format!("|⟨E⟩ − exact| in batch-mean standard errors, 16² at T = 3, {} sweeps", batches * per_batch),
        z,
        5.0,
    ))
}
