//! Checks of `ebm-hopfield`: monotone energy under asynchronous dynamics,
//! the synchronous two-cycle the note overlooks, and dense-memory capacity.

use super::{Check, Context, Measurement, fail};
use ebm_core::spin_glass::SpinGlass;
use ebm_core::worst::{Worst, nan_max};
use ebm_core::{DenseCouplings, DensePairwise, Domain, Spins};
use ebm_hopfield::capacity::{Experiment, Memory, Rule};
use ebm_hopfield::dense::{DenseMemory, Interaction};
use ebm_hopfield::{Hopfield, Outcome, RecallOptions, Update};
use ebm_mcmc::rng::stream;
use nalgebra::DMatrix;
use rand::RngExt;

/// The checks of this layer.
pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "hopfield.energy.monotone",
            claim: "asynchronous updates never raise the energy and end in a fixed point",
            run: energy_monotone,
        },
        Check {
            name: "hopfield.synchronous.two-cycle",
            claim: "synchronous updates can cycle: w₁₂ = −1 from (+1, +1) alternates with period 2",
            run: two_cycle,
        },
        Check {
            name: "hopfield.hebbian.critical-load",
            claim: "the Hebbian network stops retrieving near α_c ≈ 0.14 (N = 500; finite-size value a little above)",
            run: hebbian_critical_load,
        },
        Check {
            name: "hopfield.rules.ordering",
            claim: "at α = 0.25 Storkey, pseudo-inverse and the note's optimisation hold patterns that Hebbian storage loses",
            run: rule_ordering,
        },
        Check {
            name: "hopfield.dense.capacity",
            claim: "a cubic dense associative memory retrieves 0.5 N patterns, far above 0.14 N",
            run: dense_capacity,
        },
    ]
}

fn energy_monotone(ctx: &Context) -> Result<Measurement, String> {
    let networks = ctx.size(200, 2000);
    let mut rng = ctx.rng();
    let (mut worst_rise, mut not_fixed) = (Worst::new(), 0usize);
    for k in 0..networks as u64 {
        let units = rng.random_range(2..80);
        let model =
            SpinGlass::new(units).field_std(rng.random_range(0.0..1.0)).sample(&mut rng).map_err(fail)?;
        let net = Hopfield::new(model).map_err(fail)?;
        let mut probe_rng = stream(rng.random(), k);
        let probe = Spins::random(units, &mut probe_rng).into_vec();
        let update = if k % 2 == 0 { Update::Sequential } else { Update::RandomOrder };
        let options = RecallOptions { update, max_sweeps: 100_000, trace_energy: true };
        let recall = net.recall(&probe, &options, &mut probe_rng).map_err(fail)?;
        let trace =
            recall.energy_trace.ok_or("recall returned no energy trace although one was asked for")?;
        if trace.len() < 2 {
            return Err(format!(
                "an energy trace of {} value(s): it must hold the start and every sweep",
                trace.len()
            ));
        }
        worst_rise.extend(trace.windows(2).map(|w| w[1] - w[0]));
        not_fixed += usize::from(
            recall.outcome != Outcome::FixedPoint || !net.is_fixed_point(&recall.state).map_err(fail)?,
        );
    }
    Ok(Measurement::at_most(
        format!("largest energy rise in a sweep + runs not ending at a fixed point, {networks} networks"),
        worst_rise.value() + not_fixed as f64,
        1e-9,
    ))
}

fn two_cycle(_ctx: &Context) -> Result<Measurement, String> {
    let w = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, -1.0, 0.0]);
    let model = DensePairwise::new(Domain::Spin, DenseCouplings::new(w).map_err(fail)?, vec![0.0; 2])
        .map_err(fail)?;
    let net = Hopfield::new(model).map_err(fail)?;
    let recall =
        net.recall(&[1, 1], &RecallOptions::with(Update::Synchronous), &mut stream(0, 0)).map_err(fail)?;
    let cycled = recall.outcome == Outcome::TwoCycle && recall.state == [1, 1] && recall.sweeps == 2;
    Ok(Measurement::at_least(
        "1 if synchronous recall returns to (+1, +1) after 2 steps",
        f64::from(u8::from(cycled)),
        1.0,
    ))
}

/// The model of a pairwise storage rule as a capacity-experiment memory.
fn pairwise(model: ebm_core::Result<DensePairwise>) -> ebm_core::Result<Box<dyn Memory>> {
    Ok(Box::new(Hopfield::new(model?)?))
}

fn hebbian_critical_load(ctx: &Context) -> Result<Measurement, String> {
    let experiment = Experiment { units: 500, trials: ctx.size(2, 8), noise: 0.05, seed: ctx.rng().random() };
    let rule = |p: &[Vec<i8>]| pairwise(ebm_hopfield::storage::hebbian(p));
    let (_, lost) = experiment.critical_load(0.9, 150, &rule).map_err(fail)?;
    // The measured value must lie in [0.12, 0.17]: reported as the distance outside it.
    let outside = nan_max(nan_max(0.12 - lost.load, lost.load - 0.17), 0.0);
    Ok(Measurement::at_most(
        format!("α_c = {:.3} (mean overlap < 0.9), distance outside [0.12, 0.17], N = 500", lost.load),
        outside,
        0.0,
    ))
}

fn rule_ordering(ctx: &Context) -> Result<Measurement, String> {
    let experiment = Experiment { units: 100, trials: ctx.size(3, 12), noise: 0.0, seed: ctx.rng().random() };
    let fixed = |rule: Rule<'_>| experiment.point(25, rule).map(|p| p.fixed_fraction).map_err(fail);
    let hebbian = fixed(&|p: &[Vec<i8>]| pairwise(ebm_hopfield::storage::hebbian(p)))?;
    let storkey = fixed(&|p: &[Vec<i8>]| pairwise(ebm_hopfield::storage::storkey(p)))?;
    let projection = fixed(&|p: &[Vec<i8>]| pairwise(ebm_hopfield::storage::pseudo_inverse(p)))?;
    let contrastive = fixed(&|p: &[Vec<i8>]| {
        let (net, _) = ebm_train::hopfield::contrastive::ContrastiveHopfield::default().train(p)?;
        Ok(Box::new(net) as Box<dyn Memory>)
    })?;
    let lead = (storkey - hebbian).min(projection - hebbian).min(contrastive - hebbian);
    Ok(Measurement::at_least(
        format!(
            "smallest lead over Hebbian ({hebbian:.2}) in fixed patterns: Storkey {storkey:.2}, pseudo-inverse {projection:.2}, optimisation {contrastive:.2}"
        ),
        lead,
        0.3,
    ))
}

fn dense_capacity(ctx: &Context) -> Result<Measurement, String> {
    let experiment =
        Experiment { units: 100, trials: ctx.size(2, 10), noise: 0.05, seed: ctx.rng().random() };
    let rule = |p: &[Vec<i8>]| -> ebm_core::Result<Box<dyn Memory>> {
        Ok(Box::new(DenseMemory::new(p, Interaction::Polynomial(3))?))
    };
    let point = experiment.point(50, &rule).map_err(fail)?;
    Ok(Measurement::at_least(
        format!("exact-retrieval rate at K = 0.5 N, N = 100, 5% noise, {} trials", experiment.trials),
        point.retrieval_rate,
        0.99,
    ))
}
