//! `cargo xtask bench`: runs the criterion benchmarks and prints each
//! measurement beside the baseline of its group, measured in the same run.
//!
//! Every benchmark group holds a function named `baseline` and the library's
//! own functions, each for some parameters (sizes). The table gives the mean
//! time of each and the speed-up t_baseline / t, so that a claim of speed is a
//! ratio taken on one machine at one moment, never an absolute time.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::SystemTime;

/// Options of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Only the benchmark target with this name (a file in `benches/benches`).
    #[arg(long)]
    bench: Option<String>,
    /// Criterion's quick mode: fewer samples, for a first look.
    #[arg(long)]
    quick: bool,
    /// Also time scikit-learn's BernoulliRBM at the RBM benchmark's shape
    /// (`benches/python/sklearn_rbm.py`; needs `pip install scikit-learn`)
    /// and print the RBM updates' throughput as a ratio to it.
    #[arg(long)]
    sklearn: bool,
    /// Also time the RBM updates and their products in alternation
    /// (`benches/src/bin/rbm_interleaved.rs`), for a ratio that the
    /// machine's drift between criterion's measurements does not move.
    #[arg(long)]
    interleaved: bool,
    /// Only benchmarks whose id contains this filter.
    filter: Option<String>,
}

/// The identity criterion records beside each measurement.
#[derive(Deserialize)]
struct BenchmarkId {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    /// Work per iteration when declared, e.g. `{"Elements": 65536}`.
    throughput: Option<serde_json::Value>,
}

/// The part of criterion's `estimates.json` this report reads.
#[derive(Deserialize)]
struct Estimates {
    mean: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// Runs the benchmarks and prints the ratio table.
pub fn run(args: &BenchArgs) -> Result<ExitCode, String> {
    let started = SystemTime::now();
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(["bench", "--package", "ebm-benches"]);
    if let Some(bench) = &args.bench {
        command.args(["--bench", bench]);
    }
    command.arg("--");
    if args.quick {
        command.arg("--quick");
    }
    command.args(&args.filter);
    let status = command.status().map_err(|e| format!("cannot run cargo bench: {e}"))?;
    if !status.success() {
        return Ok(ExitCode::FAILURE);
    }
    let mut results = Vec::new();
    collect(Path::new("target/criterion"), started, &mut results)?;
    print_table(&results);
    if args.sklearn {
        compare_with_sklearn(&results)?;
    }
    if args.interleaved {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["run", "--release", "--quiet", "--package", "ebm-benches", "--bin", "rbm_interleaved"])
            .status()
            .map_err(|e| format!("cannot run the interleaved RBM comparison: {e}"))?;
        if !status.success() {
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The RBM benchmark group whose updates are compared with scikit-learn.
const RBM_GROUP: &str = "rbm/cd_784x500_batch100";

/// Runs the scikit-learn timing script and prints, for each of its cases
/// (precision × threads), the samples per second of each ebm RBM update of
/// this run divided by scikit-learn's.
fn compare_with_sklearn(results: &[Measured]) -> Result<(), String> {
    let output = Command::new("python3")
        .arg("benches/python/sklearn_rbm.py")
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "benches/python/sklearn_rbm.py failed (is scikit-learn installed?): {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let sklearn: BTreeMap<String, f64> = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("sklearn_rbm.py printed no JSON object of rates: {e}"))?;
    let updates: Vec<(&str, f64)> = results
        .iter()
        .filter(|m| m.group == RBM_GROUP && m.function.starts_with("ebm-"))
        .filter_map(|m| Some((m.function.as_str(), m.elements? as f64 / m.mean_ns * 1e9)))
        .collect();
    if updates.is_empty() {
        return Err(format!("no `{RBM_GROUP}` measurements in this run to compare (run with --bench rbm)"));
    }
    println!("\n{:<20} {:>14} {:<18} {:>14} {:>9}", "ebm", "samples/s", "scikit-learn", "samples/s", "ratio");
    for (function, rate) in &updates {
        for (case, theirs) in &sklearn {
            println!("{function:<20} {rate:>14.0} {case:<18} {theirs:>14.0} {:>8.2}×", rate / theirs);
        }
    }
    println!("ratio = ebm samples per second / scikit-learn's, both from this run");
    Ok(())
}

/// One measurement of this run.
struct Measured {
    group: String,
    parameter: String,
    function: String,
    /// Mean time per iteration in nanoseconds.
    mean_ns: f64,
    /// Elements processed per iteration, if declared.
    elements: Option<u64>,
}

/// Finds every `new/benchmark.json` under `dir` written after `since`.
fn collect(dir: &Path, since: SystemTime, out: &mut Vec<Measured>) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, since, out)?;
        } else if path.file_name().is_some_and(|n| n == "benchmark.json")
            && path.parent().is_some_and(|p| p.ends_with("new"))
            && modified_after(&path, since)
        {
            out.push(read_measurement(&path)?);
        }
    }
    Ok(())
}

fn modified_after(path: &Path, since: SystemTime) -> bool {
    std::fs::metadata(path).and_then(|m| m.modified()).is_ok_and(|t| t >= since)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_measurement(benchmark_json: &Path) -> Result<Measured, String> {
    let id: BenchmarkId = read_json(benchmark_json)?;
    let estimates: Estimates = read_json(&benchmark_json.with_file_name("estimates.json"))?;
    let elements = id.throughput.as_ref().and_then(|t| t.get("Elements")).and_then(serde_json::Value::as_u64);
    Ok(Measured {
        group: id.group_id,
        parameter: id.value_str.unwrap_or_default(),
        function: id.function_id.unwrap_or_default(),
        mean_ns: estimates.mean.point_estimate,
        elements,
    })
}

fn print_table(results: &[Measured]) {
    let mut groups: BTreeMap<(&str, &str), Vec<&Measured>> = BTreeMap::new();
    for m in results {
        groups.entry((m.group.as_str(), m.parameter.as_str())).or_default().push(m);
    }
    println!(
        "{:<28} {:>9} {:<16} {:>12} {:>16} {:>9}",
        "group", "parameter", "function", "mean", "elements/s", "speed-up"
    );
    for ((group, parameter), functions) in &groups {
        let baseline = functions.iter().find(|m| m.function == "baseline").map(|m| m.mean_ns);
        for m in functions {
            let ratio = baseline.map_or("—".to_string(), |b| format!("{:.2}×", b / m.mean_ns));
            let rate = m.elements.map_or("—".to_string(), |n| format!("{:.0}", n as f64 / m.mean_ns * 1e9));
            println!(
                "{group:<28} {parameter:>9} {:<16} {:>12} {rate:>16} {ratio:>9}",
                m.function,
                format_ns(m.mean_ns)
            );
        }
    }
    println!("speed-up = mean time of `baseline` / mean time, both from this run");
}

fn format_ns(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.3} s", n / 1e9),
        n if n >= 1e6 => format!("{:.3} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.3} µs", n / 1e3),
        n => format!("{n:.1} ns"),
    }
}
