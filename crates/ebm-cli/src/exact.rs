//! `ebm exact`: exact statistics of a small pairwise model by enumeration.

use crate::model_io::{self, Pairwise};
use ebm_core::{SquareLattice, exact, kaufman};
use serde_json::json;
use std::path::PathBuf;

/// The embedded default: a 4 × 4 periodic Ising lattice with J = 1.
const DEFAULT_SIDE: usize = 4;

/// Options of `ebm exact`.
#[derive(clap::Args)]
pub struct ExactArgs {
    /// A pairwise model: a model file or JSON. Without it, a 4×4 periodic
    /// Ising lattice (J = 1) at its critical temperature, checked against
    /// Kaufman's exact formula.
    model: Option<PathBuf>,
    /// Temperature T (default: 1, or T_c = 2/ln(1+√2) for the built-in lattice).
    #[arg(short, long)]
    temperature: Option<f64>,
    /// Also compute the correlations ⟨s_i s_j⟩.
    #[arg(long)]
    correlations: bool,
    /// How many ground states to list.
    #[arg(long, default_value_t = 4)]
    ground_states: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// T_c = 2J / ln(1 + √2) of the square-lattice Ising model.
fn critical_temperature() -> f64 {
    2.0 / (1.0 + 2f64.sqrt()).ln()
}

/// Runs `ebm exact`.
pub fn run(args: &ExactArgs) -> anyhow::Result<()> {
    let (model, description, default_temperature) = match &args.model {
        Some(path) => (model_io::load(path)?, path.display().to_string(), 1.0),
        None => {
            let lattice = SquareLattice::square(DEFAULT_SIDE).build()?;
            let description = format!("built-in {DEFAULT_SIDE}×{DEFAULT_SIDE} periodic Ising lattice, J = 1");
            (Pairwise::Sparse(lattice), description, critical_temperature())
        }
    };
    let temperature = args.temperature.unwrap_or(default_temperature);
    let options = exact::ExactOptions::new()
        .temperature(temperature)
        .correlations(args.correlations)
        .max_ground_states(args.ground_states);
    let summary = exact::summarize(model.energy(), &options)?;
    // For the built-in lattice, the same log Z from Kaufman's closed form.
    let kaufman = match args.model {
        None => Some(kaufman::ising_log_partition(DEFAULT_SIDE, DEFAULT_SIDE, 1.0, temperature)?),
        Some(_) => None,
    };
    if args.json {
        print_json(&description, &summary, kaufman)
    } else {
        print_text(&description, &summary, kaufman);
        Ok(())
    }
}

/// `x`, or 0 when it would print as −0.0000000000 (a rounding error below the printed precision).
fn without_rounding_sign(x: f64) -> f64 {
    if x.abs() < 5e-11 { 0.0 } else { x }
}

fn format_state(state: &[i8]) -> String {
    state
        .iter()
        .map(|&v| {
            if v > 0 {
                '+'
            } else if v < 0 {
                '-'
            } else {
                '0'
            }
        })
        .collect()
}

fn print_text(description: &str, s: &exact::ExactSummary, kaufman: Option<f64>) {
    let t = s.temperature;
    println!("model        {description}: {} {} units", s.means.len(), s.domain);
    println!("temperature  T = {t}");
    println!("log Z        {:.12}", s.log_z);
    if let Some(k) = kaufman {
        println!("  Kaufman    {k:.12}  (closed form; difference {:.2e})", (k - s.log_z).abs());
    }
    println!("free energy  F = −T log Z = {:.10}", s.free_energy());
    println!("⟨E⟩          {:.10}", s.mean_energy);
    println!(
        "Var E        {:.10}  (heat capacity Var E / T² = {:.10})",
        s.energy_variance,
        s.energy_variance / (t * t)
    );
    println!("entropy      S = (⟨E⟩ − F)/T = {:.10} nats", s.entropy());
    println!("ground       E₀ = {} ({} state(s))", s.ground_energy, s.ground_state_count);
    for state in &s.ground_states {
        println!("             {}", format_state(state));
    }
    println!("unit   P(on)          ⟨s_i⟩");
    for (i, mean) in s.means.iter().enumerate() {
        println!("{i:<6} {:<14.10} {:.10}", s.prob_on(i), without_rounding_sign(*mean));
    }
    if let Some(c) = &s.correlations {
        println!("⟨s_i s_j⟩");
        for i in 0..c.nrows() {
            let row: Vec<String> = (0..c.ncols()).map(|j| format!("{:>8.5}", c[(i, j)])).collect();
            println!("{}", row.join(" "));
        }
    }
}

fn print_json(description: &str, s: &exact::ExactSummary, kaufman: Option<f64>) -> anyhow::Result<()> {
    let correlations = s
        .correlations
        .as_ref()
        .map(|c| (0..c.nrows()).map(|i| c.row(i).iter().copied().collect::<Vec<f64>>()).collect::<Vec<_>>());
    let value = json!({
        "model": description,
        "domain": s.domain,
        "units": s.means.len(),
        "temperature": s.temperature,
        "log_z": s.log_z,
        "log_z_kaufman": kaufman,
        "free_energy": s.free_energy(),
        "mean_energy": s.mean_energy,
        "energy_variance": s.energy_variance,
        "entropy": s.entropy(),
        "means": s.means,
        "prob_on": (0..s.means.len()).map(|i| s.prob_on(i)).collect::<Vec<_>>(),
        "correlations": correlations,
        "ground_energy": s.ground_energy,
        "ground_state_count": s.ground_state_count,
        "ground_states": s.ground_states,
    });
    crate::output::print_result(&serde_json::to_string_pretty(&value)?)?;
    Ok(())
}
