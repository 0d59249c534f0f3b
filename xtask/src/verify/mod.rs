//! `cargo xtask verify`: a registry of named numerical checks that the
//! mathematics of the library holds.
//!
//! Each check prints one row — name, what it measured, the bound, PASS or
//! FAIL — and the whole run is written as JSON to `target/verify/report.json`.
//! The exit status is non-zero if any check fails. `--quick` is the CI mode;
//! `--only PREFIX` runs the checks whose name starts with a prefix.

mod boltzmann;
mod check;
mod core;
mod dbm;
mod density;
mod gaussian;
mod hopfield;
mod labels;
mod machine;
mod mcmc;

pub use check::{Bound, Check, Context, Measurement, fail};

use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Options of `cargo xtask verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Smaller sizes and fewer repetitions (what CI runs, well under 3 minutes).
    #[arg(long)]
    quick: bool,
    /// Run only the checks whose name starts with one of these prefixes.
    #[arg(long, value_name = "PREFIX")]
    only: Vec<String>,
    /// List the registered checks (of the quick mode with `--quick`) and exit.
    #[arg(long)]
    list: bool,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 20_261_125)]
    seed: u64,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/verify/report.json")]
    report: PathBuf,
}

/// Every check of the mode, in the order they run: one list per layer.
fn registry(quick: bool) -> Vec<Check> {
    [
        core::checks(),
        mcmc::checks(),
        hopfield::checks(),
        boltzmann::checks(quick),
        machine::checks(),
        labels::checks(),
        dbm::checks(),
        gaussian::checks(),
        density::checks(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The JSON form of one check's outcome.
#[derive(Serialize)]
struct Row {
    name: &'static str,
    claim: &'static str,
    quantity: String,
    measured: Option<f64>,
    bound: Option<Bound>,
    passed: bool,
    error: Option<String>,
    seconds: f64,
}

/// The JSON report.
#[derive(Serialize)]
struct Report {
    mode: &'static str,
    seed: u64,
    passed: bool,
    checks: Vec<Row>,
}

/// Runs the selected checks, prints a table and writes the report.
pub fn run(args: &VerifyArgs) -> Result<ExitCode, String> {
    let selected: Vec<Check> = registry(args.quick)
        .into_iter()
        .filter(|c| args.only.is_empty() || args.only.iter().any(|p| c.name.starts_with(p.as_str())))
        .collect();
    if args.list {
        for check in &selected {
            println!("{:<40} {}", check.name, check.claim);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if selected.is_empty() {
        return Err(format!("no check matches {:?}; see `cargo xtask verify --list`", args.only));
    }
    println!("{:<40} {:<75} {:>12} {:>12}  result", "check", "measured", "value", "bound");
    let rows: Vec<Row> = selected.iter().map(|check| run_one(check, args)).collect();
    let report = Report {
        mode: if args.quick { "quick" } else { "full" },
        seed: args.seed,
        passed: rows.iter().all(|r| r.passed),
        checks: rows,
    };
    let failed = report.checks.iter().filter(|r| !r.passed).count();
    println!("{} checks, {} passed, {} failed", report.checks.len(), report.checks.len() - failed, failed);
    let json = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
    if let Some(dir) = args.report.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    ebm_core::file::write_atomic(&args.report, &json).map_err(|e| e.to_string())?;
    println!("report: {}", args.report.display());
    Ok(if report.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs one check, prints its row and returns it.
fn run_one(check: &Check, args: &VerifyArgs) -> Row {
    let start = Instant::now();
    let outcome = (check.run)(&Context::new(args.quick, args.seed, check.name));
    let seconds = start.elapsed().as_secs_f64();
    let row = match outcome {
        Ok(m) => Row {
            name: check.name,
            claim: check.claim,
            passed: m.bound.admits(m.value),
            quantity: m.quantity,
            measured: Some(m.value),
            bound: Some(m.bound),
            error: None,
            seconds,
        },
        Err(error) => Row {
            name: check.name,
            claim: check.claim,
            quantity: String::new(),
            measured: None,
            bound: None,
            passed: false,
            error: Some(error),
            seconds,
        },
    };
    let verdict = if row.passed { "PASS" } else { "FAIL" };
    match (&row.measured, &row.bound, &row.error) {
        (Some(value), Some(bound), _) => {
            println!(
                "{:<40} {:<75} {:>12.3e} {:>12}  {verdict} ({seconds:.1}s)",
                row.name, row.quantity, value, bound
            )
        }
        (_, _, error) => println!("{:<40} error: {}  {verdict}", row.name, error.as_deref().unwrap_or("")),
    }
    row
}
