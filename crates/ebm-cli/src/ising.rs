//! `ebm ising`: the periodic square-lattice Ising model by Monte Carlo.

use crate::progress::Progress;
use ebm_core::{DiscreteEnergy, SparsePairwise, SquareLattice};
use ebm_mcmc::cluster::{SwendsenWang, Wolff, WolffSweeps};
use ebm_mcmc::diagnostics::{integrated_time, mcse};
use ebm_mcmc::lattice::{LatticeSweeper, Order};
use ebm_mcmc::rng::{SamplerRng, seeded};
use ebm_mcmc::runner::{RunLength, Trace, run_sweeps};
use ebm_mcmc::{Rule, Sweep};
use rand::RngExt;
use serde_json::json;

/// The update used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Sampler {
    /// Heat-bath single-spin updates, checkerboard order.
    Gibbs,
    /// Single-spin Metropolis, checkerboard order.
    Metropolis,
    /// Wolff single-cluster updates (zero field only); a sweep is a fixed number
    /// of updates, chosen during burn-in to flip about N spins on average.
    Cluster,
    /// Swendsen–Wang updates (zero field only); one update per sweep.
    SwendsenWang,
}

/// Options of `ebm ising`.
#[derive(clap::Args)]
pub struct IsingArgs {
    /// Side L of the L × L lattice.
    #[arg(short = 'L', long, default_value_t = 32)]
    size: usize,
    /// Temperature T (default: T_c = 2/ln(1+√2) ≈ 2.269).
    #[arg(short, long)]
    temperature: Option<f64>,
    /// Coupling J.
    #[arg(short = 'J', long, default_value_t = 1.0)]
    coupling: f32,
    /// External field h (cluster samplers need h = 0).
    #[arg(long, default_value_t = 0.0)]
    field: f32,
    /// The update.
    #[arg(short, long, value_enum, default_value_t = Sampler::Cluster)]
    sampler: Sampler,
    /// Measured sweeps.
    #[arg(long, default_value_t = 10_000)]
    sweeps: usize,
    /// Sweeps discarded first (default: a tenth of the measured ones).
    #[arg(long)]
    burn_in: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// One observable's estimate.
struct Estimate {
    mean: f64,
    error: f64,
    ess: f64,
    tau: f64,
}

fn estimate(series: &[f64]) -> anyhow::Result<Estimate> {
    let tau = integrated_time(series)?;
    let error = mcse(series)?;
    Ok(Estimate {
        mean: series.iter().sum::<f64>() / series.len() as f64,
        error,
        ess: tau.effective_sample_size(),
        tau: tau.tau,
    })
}

/// The spins of a run and what it needs besides the sampler.
struct Chain<'a> {
    model: &'a SparsePairwise,
    spins: &'a mut [i8],
    rng: &'a mut SamplerRng,
    length: &'a RunLength,
}

impl Chain<'_> {
    /// Runs `sampler` over the spins, recording the energy and |magnetisation| per spin.
    fn run(&mut self, mut sampler: impl Sweep<[i8]>) -> anyhow::Result<Trace> {
        let n = self.spins.len() as f64;
        let mut progress = Progress::new(self.length.total_sweeps() as u64, n as u64, "sweeps");
        let (trace, _) = run_sweeps(
            self.length,
            &["energy", "abs_magnetisation"],
            &mut sampler,
            &mut *self.spins,
            &mut *self.rng,
            |spins, row| {
                row[0] = self.model.energy(spins) / n;
                row[1] = spins.iter().map(|&s| i64::from(s)).sum::<i64>().unsigned_abs() as f64 / n;
            },
            &mut progress,
        )?;
        progress.finish();
        Ok(trace)
    }
}

/// Runs `ebm ising`.
pub fn run_ising(args: &IsingArgs) -> anyhow::Result<()> {
    let side = args.size;
    let t = args.temperature.unwrap_or(2.0 / (1.0 + 2f64.sqrt()).ln());
    let model = SquareLattice::square(side).coupling(args.coupling).field(args.field).build()?;
    let n = side * side;
    let burn_in = args.burn_in.unwrap_or(args.sweeps / 10);
    let length = RunLength::new(burn_in, args.sweeps, 1)?;
    let mut rng = seeded(args.seed);
    let mut spins: Vec<i8> = (0..n).map(|_| if rng.random() { 1 } else { -1 }).collect();
    let mut chain = Chain { model: &model, spins: &mut spins, rng: &mut rng, length: &length };
    let trace = match args.sampler {
        Sampler::Gibbs | Sampler::Metropolis => {
            let rule = if args.sampler == Sampler::Gibbs { Rule::Gibbs } else { Rule::Metropolis };
            let sweeper = LatticeSweeper::new(side, side, args.coupling, args.field, rule, t)?;
            chain.run(sweeper.order(Order::Checkerboard))
        }
        // A sweep of Wolff updates flips about N spins, calibrated during the burn-in.
        Sampler::Cluster => chain.run(WolffSweeps::calibrated(Wolff::new(&model, t)?, burn_in)),
        Sampler::SwendsenWang => chain.run(SwendsenWang::new(&model, t)?),
    }?;
    let energy = estimate(trace.series("energy").unwrap_or_default())?;
    let magnetisation = estimate(trace.series("abs_magnetisation").unwrap_or_default())?;
    let sampler = format!("{:?}", args.sampler).to_lowercase();
    if args.json {
        let describe =
            |e: &Estimate| json!({"mean": e.mean, "standard_error": e.error, "ess": e.ess, "tau": e.tau});
        let value = json!({
            "size": side, "temperature": t, "coupling": args.coupling, "field": args.field,
            "sampler": sampler, "sweeps": args.sweeps, "burn_in": burn_in, "seed": args.seed,
            "energy_per_spin": describe(&energy),
            "abs_magnetisation_per_spin": describe(&magnetisation),
        });
        crate::output::print_result(&serde_json::to_string_pretty(&value)?)?;
    } else {
        println!(
            "Ising {side}×{side}, J = {}, h = {}, T = {t:.6}, {sampler}, {} sweeps after {burn_in}, seed {}",
            args.coupling, args.field, args.sweeps, args.seed
        );
        for (name, e) in [("energy per spin", &energy), ("|m| per spin", &magnetisation)] {
            println!(
                "{name:<16} {:>10.6} ± {:.6}   (ESS {:.0}, τ = {:.2} sweeps)",
                e.mean, e.error, e.ess, e.tau
            );
        }
    }
    Ok(())
}
