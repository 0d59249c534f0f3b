//! Checks of `ebm-core`: enumeration, conditionals, flip energies, the change
//! of variables, low-temperature stability, determinism, the file format and
//! Kaufman's formula.

use super::{Check, Context, Measurement, fail};
use ebm_core::math::{log_sum_exp, sigmoid};
use ebm_core::spin_glass::SpinGlass;
use ebm_core::worst::{Worst, nan_min};
use ebm_core::{
    DensePairwise, DiscreteEnergy, Domain, PairwiseEnergy, SparseCouplings, SparsePairwise, SquareLattice,
    exact, file, kaufman,
};
use ebm_mcmc::{PairwiseChain, Rule, SingleSite};
use rand::RngExt;
use rand_pcg::Pcg64Mcg;

/// The checks of this layer.
pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "core.enumeration.normalisation",
            claim: "Σ_s P(s) = 1 and log Z equals the log-sum-exp of −E/T over all states",
            run: normalisation,
        },
        Check {
            name: "core.conditional.spin",
            claim: "±1 units: P(s_i = +1 | rest) = σ(2 h_i / T), h_i = Σ_j w_ij s_j + b_i",
            run: spin_conditional,
        },
        Check {
            name: "core.conditional.note-formula",
            claim: "the note's σ((Σ_j w_ij s_j + 2 b_i) / T) is not the ±1 conditional",
            run: note_conditional_is_wrong,
        },
        Check {
            name: "core.conditional.bit",
            claim: "0/1 units: P(x_i = 1 | rest) = σ(h_i / T)",
            run: bit_conditional,
        },
        Check {
            name: "core.flip-energy",
            claim: "flip energies (O(degree)) equal energy differences, dense and sparse",
            run: flip_energy,
        },
        Check {
            name: "core.change-of-variables",
            claim: "the ±1 model and its 0/1 form (s = 2x − 1) give the same distribution",
            run: change_of_variables,
        },
        Check {
            name: "core.low-temperature",
            claim: "at T = gap/50 and gap/10⁴, with |w| up to ~50, enumeration stays finite and puts all mass on the ground states",
            run: low_temperature,
        },
        Check {
            name: "core.determinism.threads",
            claim: "exact summaries are bit-identical on 1, 2 and 3 threads",
            run: thread_determinism,
        },
        Check {
            name: "core.file.corruption",
            claim: "model files round-trip, and every truncation or flipped bit is refused",
            run: file_corruption,
        },
        Check {
            name: "core.kaufman",
            claim: "Kaufman's exact log Z of the periodic Ising model equals enumeration",
            run: kaufman_formula,
        },
    ]
}

/// A fully connected model with N(0, 1) couplings and N(0, 0.5²) biases.
fn random_model(rng: &mut Pcg64Mcg, units: usize, domain: Domain) -> Result<DensePairwise, String> {
    SpinGlass::new(units).domain(domain).coupling_std(1.0).field_std(0.5).sample(rng).map_err(fail)
}

/// [`random_model`] over ±1 or 0/1 units, with equal chance.
fn model_of_either_domain(rng: &mut Pcg64Mcg, units: usize) -> Result<DensePairwise, String> {
    let domain = if rng.random::<bool>() { Domain::Spin } else { Domain::Bit };
    random_model(rng, units, domain)
}

/// The state with index `index` in enumeration order.
fn state(domain: Domain, units: usize, index: u64) -> Vec<i8> {
    let mut s = vec![0; units];
    domain.state_from_index(index, &mut s);
    s
}

const TEMPERATURES: [f64; 5] = [0.1, 0.3, 1.0, 2.5, 8.0];

fn normalisation(ctx: &Context) -> Result<Measurement, String> {
    let (count, max_units) = (ctx.size(40, 200), ctx.size(12, 18));
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for _ in 0..count {
        let units = rng.random_range(1..=max_units);
        let model = model_of_either_domain(&mut rng, units)?;
        let t = TEMPERATURES[rng.random_range(0..TEMPERATURES.len())];
        let total: f64 = exact::probabilities(&model, t).map_err(fail)?.iter().sum();
        let direct: Vec<f64> =
            (0..1u64 << units).map(|k| -model.energy(&state(model.domain(), units, k)) / t).collect();
        let expected = log_sum_exp(&direct);
        let log_z = exact::log_partition(&model, t).map_err(fail)?;
        worst = worst.with((total - 1.0).abs()).with((log_z - expected).abs() / expected.abs().max(1.0));
    }
    Ok(Measurement::at_most(
        format!("max(|Σp−1|, rel.|Δlog Z|), {count} models, N ≤ {max_units}"),
        worst,
        1e-10,
    ))
}

/// The largest |P(unit on | rest) − predicted(model, state, unit, T)| over
/// random models of `domain`, with the conditional read off the exact
/// distribution as P(on) / (P(on) + P(off)).
fn conditional_discrepancy(
    ctx: &Context,
    domain: Domain,
    predicted: fn(&DensePairwise, &[i8], usize, f64) -> f64,
) -> Result<(Worst, String), String> {
    let (count, max_units) = (ctx.size(12, 60), ctx.size(10, 14));
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for _ in 0..count {
        let units = rng.random_range(1..=max_units);
        let model = random_model(&mut rng, units, domain)?;
        let t = TEMPERATURES[rng.random_range(1..TEMPERATURES.len())];
        let p = exact::probabilities(&model, t).map_err(fail)?;
        for off in 0..1u64 << units {
            for unit in (0..units).filter(|&i| off >> i & 1 == 0) {
                let on = off | 1 << unit;
                let exact = p[on as usize] / (p[on as usize] + p[off as usize]);
                let s = state(domain, units, on);
                worst.add((exact - predicted(&model, &s, unit, t)).abs());
            }
        }
    }
    Ok((worst, format!("{count} models, N ≤ {max_units}, T ∈ [0.3, 8], every state and unit")))
}

/// The library's conditional, as the Gibbs samplers use it.
fn library_conditional(model: &DensePairwise, state: &[i8], unit: usize, t: f64) -> f64 {
    model.conditional_on_probability(state, unit, t)
}

fn spin_conditional(ctx: &Context) -> Result<Measurement, String> {
    let (worst, scope) = conditional_discrepancy(ctx, Domain::Spin, library_conditional)?;
    Ok(Measurement::at_most(format!("max |P(+1|rest) − library's σ(2h/T)|, {scope}"), worst, 1e-9))
}

/// The library's single-site Gibbs update, run `trials` times on one unit
/// from one state, against the correct σ(2h/T) and the note's
/// σ((Σ_j w_ij s_j + 2 b_i)/T): the measured frequency of +1 must sit within
/// a few binomial standard errors of the first and far from the second.
fn note_conditional_is_wrong(ctx: &Context) -> Result<Measurement, String> {
    let (cases, trials) = (ctx.size(8, 32), ctx.size(20_000, 100_000));
    let mut rng = ctx.rng();
    let gibbs = SingleSite::new(Rule::Gibbs);
    let (mut nearest_to_note, mut from_correct) = (f64::INFINITY, Worst::new());
    let mut case = 0;
    while case < cases {
        let units = rng.random_range(2..=8);
        let model = random_model(&mut rng, units, Domain::Spin)?;
        let t = TEMPERATURES[rng.random_range(1..TEMPERATURES.len())];
        let start: Vec<i8> = (0..units).map(|_| Domain::Spin.value(rng.random())).collect();
        let unit = rng.random_range(0..units);
        let field = model.local_field(&start, unit);
        let bias = f64::from(model.bias(unit));
        let (correct, note) = (sigmoid(2.0 * field / t), sigmoid((field - bias + 2.0 * bias) / t));
        if (correct - note).abs() < 0.05 {
            continue; // the two formulas agree too closely here to tell apart
        }
        case += 1;
        let mut ups = 0usize;
        let mut chain = PairwiseChain::new(&model, start.clone()).map_err(fail)?;
        for _ in 0..trials {
            chain.set_state(&start).map_err(fail)?;
            gibbs.update(&mut chain, unit, 1.0 / t, &mut rng);
            ups += usize::from(chain.state()[unit] == 1);
        }
        let frequency = ups as f64 / trials as f64;
        let standard_error = |p: f64| (p * (1.0 - p) / trials as f64).sqrt().max(1.0 / trials as f64);
        from_correct.add((frequency - correct).abs() / standard_error(correct));
        nearest_to_note = nan_min(nearest_to_note, (frequency - note).abs() / standard_error(note));
    }
    if !from_correct.is_within(5.0) {
        return Err(format!(
            "the Gibbs update's frequency of +1 is {:.1} standard errors from σ(2h/T)",
            from_correct.value()
        ));
    }
    Ok(Measurement::at_least(
        format!(
            "min distance (s.e.) of the Gibbs update's P(+1) from the note's σ((Σwy+2b)/T), {cases} cases × {trials} (≤ {:.1} s.e. from σ(2h/T))",
            from_correct.value()
        ),
        nearest_to_note,
        10.0,
    ))
}

fn bit_conditional(ctx: &Context) -> Result<Measurement, String> {
    let (worst, scope) = conditional_discrepancy(ctx, Domain::Bit, library_conditional)?;
    Ok(Measurement::at_most(format!("max |P(1|rest) − library's σ(h/T)|, {scope}"), worst, 1e-9))
}

/// The largest |ΔE_i(s) − (E(s with i flipped) − E(s))| relative to 1 + |E(s)|.
fn flip_discrepancy<M: DiscreteEnergy>(model: &M, rng: &mut Pcg64Mcg, states: usize) -> Worst {
    let domain = model.domain();
    let mut worst = Worst::new();
    for _ in 0..states {
        let mut s: Vec<i8> = (0..model.num_units()).map(|_| domain.value(rng.random())).collect();
        let unit = rng.random_range(0..s.len());
        let before = model.energy(&s);
        let flip = model.flip_energy(&s, unit);
        s[unit] = domain.flipped(s[unit]);
        worst.add((flip - (model.energy(&s) - before)).abs() / (1.0 + before.abs()));
    }
    worst
}

fn flip_energy(ctx: &Context) -> Result<Measurement, String> {
    let (count, states) = (ctx.size(20, 100), ctx.size(200, 1000));
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for _ in 0..count {
        let units = rng.random_range(1..=64);
        let dense = model_of_either_domain(&mut rng, units)?;
        let sparse = SparsePairwise::new(
            dense.domain(),
            SparseCouplings::from_dense(dense.couplings()),
            dense.biases().to_vec(),
        )
        .map_err(fail)?;
        let side = rng.random_range(2..=12);
        let lattice = SquareLattice::new(side, side + 1)
            .coupling(rng.random_range(-1.0..1.0))
            .field(rng.random_range(-1.0..1.0))
            .build()
            .map_err(fail)?;
        for model_worst in [
            flip_discrepancy(&dense, &mut rng, states),
            flip_discrepancy(&sparse, &mut rng, states),
            flip_discrepancy(&lattice, &mut rng, states),
        ] {
            worst.add(model_worst.value());
        }
    }
    Ok(Measurement::at_most(
        format!("max |ΔE_i − (E(s') − E(s))| / (1+|E|), {count}×3 models × {states} states"),
        worst,
        1e-9,
    ))
}

fn change_of_variables(ctx: &Context) -> Result<Measurement, String> {
    let (count, max_units) = (ctx.size(30, 150), ctx.size(10, 16));
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for _ in 0..count {
        let units = rng.random_range(1..=max_units);
        let original = model_of_either_domain(&mut rng, units)?;
        let other = original.to_domain(original.domain().other());
        let t = TEMPERATURES[rng.random_range(2..TEMPERATURES.len())];
        // State k of either form is the same configuration: unit i on ⇔ s_i = +1 ⇔ x_i = 1.
        let p = exact::probabilities(&original, t).map_err(fail)?;
        let q = exact::probabilities(&other, t).map_err(fail)?;
        worst.extend(p.iter().zip(&q).map(|(a, b)| (a - b).abs()));
    }
    Ok(Measurement::at_most(format!("max |P_±1(s) − P_01(x)|, {count} models, N ≤ {max_units}"), worst, 1e-5))
}

fn low_temperature(ctx: &Context) -> Result<Measurement, String> {
    let (count, max_units) = (ctx.size(20, 100), ctx.size(12, 16));
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for k in 0..count {
        let units = rng.random_range(2..=max_units);
        // Every other model strongly coupled (σ_w = 20, so |w| reaches ~50):
        // energies of hundreds, where exp(−E/T) overflows without a shift.
        let scale = if k % 2 == 0 { 1.0 } else { 20.0 };
        let domain = if rng.random::<bool>() { Domain::Spin } else { Domain::Bit };
        let model = SpinGlass::new(units)
            .domain(domain)
            .coupling_std(scale)
            .field_std(0.5 * scale)
            .sample(&mut rng)
            .map_err(fail)?;
        let mut energies = exact::energies(&model).map_err(fail)?;
        energies.sort_by(f64::total_cmp);
        let ground = energies[0];
        let tolerance = 1e-9 * ground.abs().max(1.0);
        let degeneracy = energies.iter().take_while(|&&e| e - ground <= tolerance).count();
        let Some(&next) = energies.get(degeneracy) else { continue };
        // T = gap/50 leaves e^{−50} on excited states; gap/10⁴ would overflow exp(−E/T) without care.
        for divisor in [50.0, 1e4] {
            let t = (next - ground) / divisor;
            let summary =
                exact::summarize(&model, &exact::ExactOptions::new().temperature(t)).map_err(fail)?;
            let p = exact::probabilities(&model, t).map_err(fail)?;
            let ground_mass: f64 = (0..p.len())
                .filter(|&k| model.energy(&state(model.domain(), units, k as u64)) - ground <= tolerance)
                .map(|k| p[k])
                .sum();
            // log Z → −E₀/T + log g as T → 0.
            let limit = -ground / t + (degeneracy as f64).ln();
            worst = worst.with(1.0 - ground_mass).with((summary.log_z - limit).abs() / limit.abs().max(1.0));
        }
    }
    Ok(Measurement::at_most(
        format!("max(1 − P(ground), rel.|log Z − (−E₀/T + ln g)|), {count} models"),
        worst,
        1e-12,
    ))
}

fn thread_determinism(ctx: &Context) -> Result<Measurement, String> {
    let units = ctx.size(18, 22);
    let model =
        SpinGlass::sherrington_kirkpatrick(units).field_std(0.2).sample(&mut ctx.rng()).map_err(fail)?;
    let options = exact::ExactOptions::new().temperature(0.7).correlations(true);
    let summaries = [1, 2, 3]
        .into_iter()
        .map(|threads| {
            let pool =
                rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| e.to_string())?;
            pool.install(|| exact::summarize(&model, &options)).map_err(fail)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let differing = summaries[1..].iter().filter(|s| **s != summaries[0]).count();
    Ok(Measurement::at_most(
        format!("summaries differing from 1 thread, N = {units} with correlations"),
        differing as f64,
        0.0,
    ))
}

fn file_corruption(ctx: &Context) -> Result<Measurement, String> {
    let mut rng = ctx.rng();
    let model = random_model(&mut rng, ctx.size(5, 12), Domain::Spin)?.with_offset(0.25).map_err(fail)?;
    let bytes = file::encode(&model).map_err(fail)?;
    let decoded: DensePairwise = file::decode(&bytes).map_err(fail)?;
    if decoded != model {
        return Err("decode(encode(model)) differs from the model".into());
    }
    let accepted_truncation =
        (0..bytes.len()).filter(|&len| file::decode::<DensePairwise>(&bytes[..len]).is_ok());
    let accepted_flip = (0..bytes.len() * 8).filter(|&bit| {
        let mut corrupt = bytes.clone();
        corrupt[bit / 8] ^= 1 << (bit % 8);
        file::decode::<DensePairwise>(&corrupt).is_ok()
    });
    let accepted = accepted_truncation.count() + accepted_flip.count();
    Ok(Measurement::at_most(
        format!("corrupt files accepted of {} truncations + {} bit flips", bytes.len(), bytes.len() * 8),
        accepted as f64,
        0.0,
    ))
}

fn kaufman_formula(ctx: &Context) -> Result<Measurement, String> {
    let sizes: &[(usize, usize)] = if ctx.is_quick() { &[(3, 4), (4, 4), (4, 5)] } else { &[(4, 5), (5, 5)] };
    let mut worst = Worst::new();
    for &(rows, cols) in sizes {
        let model = SquareLattice::new(rows, cols).coupling(1.0).build().map_err(fail)?;
        for t in [1.0, 2.0, 2.269_185_314_213_022, 2.5, 5.0] {
            let enumerated = exact::log_partition(&model, t).map_err(fail)?;
            let formula = kaufman::ising_log_partition(rows, cols, 1.0, t).map_err(fail)?;
            worst.add((enumerated - formula).abs() / enumerated.abs());
        }
    }
    Ok(Measurement::at_most(
        format!("max rel.|log Z_Kaufman − log Z_enum|, lattices {sizes:?}"),
        worst,
        1e-10,
    ))
}
