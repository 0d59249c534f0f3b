//! `cargo xtask verify`: a registry of named numerical checks that the
//! mathematics of the library holds.
//!
//! Each check prints one row — name, what it measured, the bound, PASS or
//! FAIL — and the whole run is written as JSON to `target/verify/report.json`.
//! The exit status is non-zero if any check fails. `--quick` is the CI mode;
//! `--only PREFIX` runs the checks whose name starts with a prefix.
//!
//! A measurement that is not finite (NaN, ±∞) fails its check whatever the
//! bound, with a message that says so: it means the computation broke down.
//!
//! `--seeds K` runs every check under K seeds (the run seed and the K − 1
//! after it) and reports each check's pass rate and the spread of its
//! measurement — how the bounds in `docs/src/verify.md` were set.

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
    /// Run every check under this many seeds (`--seed` and the ones after
    /// it) and report pass rates and the spread of each measurement.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    seeds: u64,
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

/// The JSON form of one check's outcome under one seed.
#[derive(Serialize)]
struct Row {
    name: &'static str,
    claim: &'static str,
    seed: u64,
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
    seeds: u64,
    passed: bool,
    checks: Vec<Row>,
    /// One entry per check when `--seeds` is above 1.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    spread: Vec<Spread>,
}

/// A check's outcomes over several seeds.
#[derive(Serialize)]
struct Spread {
    name: &'static str,
    runs: usize,
    passed: usize,
    bound: Option<Bound>,
    /// Smallest, median and largest finite measurement.
    min: Option<f64>,
    median: Option<f64>,
    max: Option<f64>,
    /// The smallest distance to the bound on the passing side (negative: some run failed).
    worst_margin: Option<f64>,
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
    let seeds: Vec<u64> = (0..args.seeds).map(|k| args.seed.wrapping_add(k)).collect();
    println!("{:<40} {:<75} {:>12} {:>12}  result", "check", "measured", "value", "bound");
    let mut rows = Vec::with_capacity(selected.len() * seeds.len());
    for &seed in &seeds {
        if seeds.len() > 1 {
            println!("— seed {seed}");
        }
        rows.extend(selected.iter().map(|check| run_one(check, args.quick, seed)));
    }
    let spread = if seeds.len() > 1 { summarise(&selected, &rows) } else { Vec::new() };
    let report = Report {
        mode: if args.quick { "quick" } else { "full" },
        seed: args.seed,
        seeds: args.seeds,
        passed: rows.iter().all(|r| r.passed),
        checks: rows,
        spread,
    };
    if !report.spread.is_empty() {
        print_spread(&report.spread);
    }
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

/// Each check's pass count and the spread of its measurement over the seeds.
fn summarise(checks: &[Check], rows: &[Row]) -> Vec<Spread> {
    checks
        .iter()
        .map(|check| {
            let runs: Vec<&Row> = rows.iter().filter(|r| r.name == check.name).collect();
            let bound = runs.iter().find_map(|r| r.bound);
            let mut values: Vec<f64> =
                runs.iter().filter_map(|r| r.measured).filter(|v| v.is_finite()).collect();
            values.sort_by(f64::total_cmp);
            let all_finite = values.len() == runs.len();
            let worst_margin = bound
                .filter(|_| all_finite)
                .and_then(|b| values.iter().map(|&v| b.margin(v)).min_by(f64::total_cmp));
            Spread {
                name: check.name,
                runs: runs.len(),
                passed: runs.iter().filter(|r| r.passed).count(),
                bound,
                min: values.first().copied(),
                median: values.get(values.len() / 2).copied(),
                max: values.last().copied(),
                worst_margin,
            }
        })
        .collect()
}

/// Prints the multi-seed table: pass rate, spread and the worst margin.
fn print_spread(spread: &[Spread]) {
    let show = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| format!("{v:.3e}"));
    println!();
    println!(
        "{:<40} {:>7} {:>11} {:>11} {:>11} {:>12} {:>12}",
        "check", "passed", "min", "median", "max", "bound", "worst margin"
    );
    for s in spread {
        println!(
            "{:<40} {:>7} {:>11} {:>11} {:>11} {:>12} {:>12}",
            s.name,
            format!("{}/{}", s.passed, s.runs),
            show(s.min),
            show(s.median),
            show(s.max),
            s.bound.map_or_else(|| "—".to_string(), |b| b.to_string()),
            show(s.worst_margin),
        );
    }
}

/// Runs one check under `seed`, prints its row and returns it.
fn run_one(check: &Check, quick: bool, seed: u64) -> Row {
    let start = Instant::now();
    let outcome = (check.run)(&Context::new(quick, seed, check.name));
    let seconds = start.elapsed().as_secs_f64();
    let row = match outcome {
        Ok(m) => Row {
            name: check.name,
            claim: check.claim,
            seed,
            passed: m.bound.admits(m.value),
            error: (!m.value.is_finite()).then(|| format!("the measurement is not finite ({})", m.value)),
            quantity: m.quantity,
            measured: Some(m.value),
            bound: Some(m.bound),
            seconds,
        },
        Err(error) => Row {
            name: check.name,
            claim: check.claim,
            seed,
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
        (Some(value), Some(bound), error) => {
            let note = error.as_deref().map(|e| format!(" — {e}")).unwrap_or_default();
            println!(
                "{:<40} {:<75} {:>12.3e} {:>12}  {verdict} ({seconds:.1}s){note}",
                row.name, row.quantity, value, bound
            )
        }
        (_, _, error) => println!("{:<40} error: {}  {verdict}", row.name, error.as_deref().unwrap_or("")),
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::CheckFn;

    fn always(_: &Context) -> Result<Measurement, String> {
        Ok(Measurement::at_most("x", 1.0, 2.0))
    }

    fn nan(_: &Context) -> Result<Measurement, String> {
        Ok(Measurement::at_least("x", f64::NAN, f64::NEG_INFINITY))
    }

    fn infinite(_: &Context) -> Result<Measurement, String> {
        Ok(Measurement::at_most("x", f64::INFINITY, f64::INFINITY))
    }

    fn seed_dependent(ctx: &Context) -> Result<Measurement, String> {
        Ok(Measurement::at_most("seed parity", (ctx.seed() % 2) as f64, 0.5))
    }

    fn check(name: &'static str, run: CheckFn) -> Check {
        Check { name, claim: "", run }
    }

    #[test]
    fn non_finite_measurements_fail_whatever_the_bound() {
        for run in [nan as CheckFn, infinite] {
            let row = run_one(&check("t.nan", run), true, 1);
            assert!(!row.passed);
            assert!(row.error.as_deref().is_some_and(|e| e.contains("not finite")), "{:?}", row.error);
        }
        assert!(run_one(&check("t.ok", always), true, 1).passed);
    }

    #[test]
    fn spread_counts_passes_and_the_worst_margin() {
        let checks = [check("t.ok", always), check("t.seed", seed_dependent)];
        let rows: Vec<Row> =
            (10..14).flat_map(|seed| checks.iter().map(move |c| run_one(c, true, seed))).collect();
        let spread = summarise(&checks, &rows);
        assert_eq!((spread[0].runs, spread[0].passed), (4, 4));
        assert_eq!(spread[0].worst_margin, Some(1.0));
        assert_eq!((spread[1].runs, spread[1].passed), (4, 2));
        assert_eq!((spread[1].min, spread[1].max), (Some(0.0), Some(1.0)));
        assert_eq!(spread[1].worst_margin, Some(-0.5));
    }

    #[test]
    fn a_nan_run_leaves_no_margin() {
        let checks = [check("t.nan", nan)];
        let rows = vec![run_one(&checks[0], true, 1)];
        let spread = summarise(&checks, &rows);
        assert_eq!(spread[0].passed, 0);
        assert_eq!(spread[0].worst_margin, None);
    }
}
