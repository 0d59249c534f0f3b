//! `cargo xtask mutants`: planted-bug (mutation) testing with cargo-mutants
//! over the files that carry the mathematics.
//!
//! cargo-mutants changes one thing at a time in the source — a `+` into a
//! `-`, a `<` into a `<=`, a function body into `Default::default()` — and
//! runs the tests against each such *mutant*. A mutant the tests fail on is
//! *caught*; one they pass on is *missed*: either the change is equivalent
//! (no observable difference), or no test looks at what it broke. Mutants
//! that do not compile are *unviable*; those that hang past the timeout are
//! counted apart. The kill rate is caught / (caught + missed + timeout).
//!
//! The tool is installed, pinned, into `target/tools` like the docs tools.
//! It copies the tree into a scratch directory and mutates only the copy
//! (never `--in-place`: the working tree is left alone). Each mutant is
//! tested with the unit and integration tests of the package that owns the
//! mutated file (`--test-workspace=false`, `cargo test --tests`: no doctests,
//! no other package). With one job the builds share the cargo target
//! directory `target/mutants/build`, so the dependencies are compiled once
//! and not again on each run. The outcome files go to
//! `target/mutants/mutants.out`, and the counts, per file and in total, to
//! `target/mutants/summary.json`.

use crate::tools::{Tool, ensure_tools};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// cargo-mutants, pinned.
const CARGO_MUTANTS: Tool = Tool {
    name: "cargo-mutants",
    version: "27.1.0",
    install_args: &[],
    version_args: &["mutants", "--version"],
};

/// The files whose mutants are tested, in order of importance (a run visits
/// them in the order cargo-mutants finds them; run `--file` by `--file` to
/// follow this order).
const FILES: &[&str] = &[
    // Exact enumeration: log Z, probabilities, moments and ground states by
    // summing over every state — the reference every sampler is checked against.
    "crates/ebm-core/src/exact.rs",
    // Annealing: the temperature schedules and the simulated-annealing driver.
    "crates/ebm-mcmc/src/anneal.rs",
    // Parallel tempering: the replica exchange, its acceptance
    // min(1, exp(Δβ ΔE)) over any states, and the tempering driver.
    "crates/ebm-mcmc/src/exchange.rs",
    "crates/ebm-mcmc/src/tempering.rs",
    // Acceptance rules: the one Metropolis rule min(1, exp(log r)); Gibbs
    // σ((on − off) h / T) and Metropolis min(1, exp(−ΔE/T)) for pairwise
    // models, the generic single-flip Metropolis, and the chain that keeps
    // the local fields up to date.
    "crates/ebm-mcmc/src/metropolis.rs",
    "crates/ebm-mcmc/src/single_site.rs",
    "crates/ebm-mcmc/src/flip.rs",
    "crates/ebm-mcmc/src/chain.rs",
    // Annealed importance sampling: the estimate from the log weights, the
    // driver and the schedule, then the Bernoulli-RBM, Gaussian–Bernoulli-RBM
    // and DBM paths; with the RBM's exact log Z they are checked against.
    "crates/ebm-boltzmann/src/ais/estimate.rs",
    "crates/ebm-boltzmann/src/ais/driver.rs",
    "crates/ebm-boltzmann/src/ais/schedule.rs",
    "crates/ebm-boltzmann/src/rbm/ais.rs",
    "crates/ebm-boltzmann/src/rbm/partition.rs",
    "crates/ebm-boltzmann/src/rbm/gaussian/ais.rs",
    "crates/ebm-boltzmann/src/dbm/ais.rs",
    // Stable mathematics: sigmoid, softplus, log-sum-exp and their kin.
    "crates/ebm-core/src/math.rs",
    // Pairwise models: the energy, the local fields h_i = Σ_j W_ij s_j + b_i
    // and the flip energies; the unit domains, whose `on_probability` is the
    // one Gibbs conditional σ((high − low) h / T) — σ(2h/T) or σ(h/T).
    "crates/ebm-core/src/pairwise.rs",
    "crates/ebm-core/src/state.rs",
    // RBM gradients: the exact gradient, the data and model terms of the
    // sampled one and its update, the negative phases (CD, PCD, tempering),
    // and the Gaussian–Bernoulli gradient.
    "crates/ebm-train/src/rbm/exact.rs",
    // Boltzmann machines and continuous energies: the step of each learner.
    "crates/ebm-train/src/boltzmann/learner.rs",
    "crates/ebm-train/src/density/learner.rs",
    // The training loop every learner runs on: the momentum step applied
    // whole or not at all, the divergence guard, epochs and batches.
    "crates/ebm-train/src/sgd.rs",
    "crates/ebm-train/src/fit/guard.rs",
    "crates/ebm-train/src/fit/driver.rs",
    "crates/ebm-train/src/rbm/trainer.rs",
    "crates/ebm-train/src/rbm/negatives.rs",
    "crates/ebm-train/src/rbm/gaussian/gradient.rs",
    // DBM gradient: mean-field data term, persistent-chain model term, the update.
    "crates/ebm-train/src/dbm/trainer.rs",
    // Hopfield storage rules: the shared pattern input and the closed-form
    // rules (Hebbian, Storkey, pseudo-inverse) beside the model, stabilities,
    // then the iterative rules (perceptron, the contrastive optimisation).
    "crates/ebm-hopfield/src/storage/patterns.rs",
    "crates/ebm-hopfield/src/storage/hebbian.rs",
    "crates/ebm-hopfield/src/storage/storkey.rs",
    "crates/ebm-hopfield/src/storage/pseudo_inverse.rs",
    "crates/ebm-hopfield/src/stability.rs",
    "crates/ebm-train/src/hopfield/perceptron.rs",
    "crates/ebm-train/src/hopfield/contrastive.rs",
];

/// The outcomes cargo-mutants writes one file of mutants for, in report order.
const OUTCOMES: [&str; 4] = ["caught", "missed", "timeout", "unviable"];

/// Options of `cargo xtask mutants`.
#[derive(clap::Args)]
pub struct MutantsArgs {
    /// Only the listed files whose path contains PATTERN (repeatable), e.g.
    /// `--file anneal.rs` or `--file ebm-hopfield/src/storage`.
    #[arg(long = "file", value_name = "PATTERN")]
    files: Vec<String>,
    /// Only list the mutants (and count them per file); build and test nothing.
    #[arg(long)]
    list: bool,
    /// Build and test this many mutants at once (each in its own copy of the
    /// tree and its own target directory).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Test timeout per mutant in seconds (default: five times the baseline
    /// test time, at least 20 s).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Fail instead of installing cargo-mutants when it is missing.
    #[arg(long)]
    no_install: bool,
    /// Run nothing: summarise the outcome files of the last run again (also
    /// of one that was stopped part way).
    #[arg(long)]
    summary_only: bool,
    /// Print the listed files and exit.
    #[arg(long)]
    files_only: bool,
    /// Extra arguments for cargo-mutants, after `--` (e.g. `-- --shard 1/4`,
    /// or `-- -- --test-threads 1` for the test binaries).
    #[arg(last = true, value_name = "CARGO_MUTANTS_ARGS")]
    extra: Vec<String>,
}

/// Where the outcome files, the summary and the shared build go.
fn output_dir() -> PathBuf {
    PathBuf::from("target/mutants")
}

/// The listed files that match any of `patterns` (all of them when there are none).
fn select_files(patterns: &[String]) -> Result<Vec<&'static str>, String> {
    if let Some(unmatched) = patterns.iter().find(|p| !FILES.iter().any(|f| f.contains(p.as_str()))) {
        return Err(format!(
            "--file {unmatched} matches none of the files `cargo xtask mutants --files-only` lists"
        ));
    }
    Ok(FILES
        .iter()
        .copied()
        .filter(|f| patterns.is_empty() || patterns.iter().any(|p| f.contains(p.as_str())))
        .collect())
}

/// The file of a mutant as cargo-mutants names it (`path:line:column: replace …`).
fn mutant_file(line: &str) -> &str {
    line.split(':').next().unwrap_or(line)
}

/// caught / (caught + missed + timeout), `None` when nothing was tested.
fn kill_rate(caught: usize, missed: usize, timeout: usize) -> Option<f64> {
    let tested = caught + missed + timeout;
    (tested > 0).then(|| caught as f64 / tested as f64)
}

/// Formats a kill rate as a percentage.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", 100.0 * r))
}

/// Runs cargo-mutants (or only lists its mutants) over the selected files.
pub fn run(args: &MutantsArgs) -> Result<ExitCode, String> {
    let files = select_files(&args.files)?;
    if args.files_only {
        files.iter().for_each(|f| println!("{f}"));
        return Ok(ExitCode::SUCCESS);
    }
    let out = output_dir();
    if args.summary_only {
        summarise(&out, &files)?;
        return Ok(ExitCode::SUCCESS);
    }
    ensure_tools(&[CARGO_MUTANTS], args.no_install)?;
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;

    let mut command = Command::new(CARGO_MUTANTS.binary());
    command.arg("mutants");
    for file in &files {
        command.args(["--file", file]);
    }
    command.arg("--output").arg(&out).args([
        // Each mutant is tested by its own package's tests only, …
        "--test-workspace=false",
        // … unit and integration tests, without the slow-to-build doctests; given to the build
        // (`cargo test --no-run`) too, so that it skips the library build only doctests need.
        "--cargo-arg=--tests",
        // Copy only what git tracks (not docs/book and other build output).
        "--gitignore=true",
    ]);
    if args.list {
        command.arg("--list");
    }
    if let Some(jobs) = args.jobs {
        command.arg("--jobs").arg(jobs.to_string());
    }
    if let Some(timeout) = args.timeout {
        command.arg("--timeout").arg(timeout.to_string());
    }
    if args.jobs.unwrap_or(1) <= 1 && !args.list {
        // One build at a time can share a target directory with earlier runs.
        let build = out.join("build");
        std::fs::create_dir_all(&build).map_err(|e| format!("cannot create {}: {e}", build.display()))?;
        let build = std::fs::canonicalize(&build).map_err(|e| e.to_string())?;
        command.env("CARGO_TARGET_DIR", build);
    }
    command.args(&args.extra);

    if args.list {
        let listing = command
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run cargo mutants: {e}"))?;
        let text = String::from_utf8_lossy(&listing.stdout);
        print!("{text}");
        if !listing.status.success() {
            return Err(format!("cargo mutants --list failed ({})", listing.status));
        }
        let mut counts: BTreeMap<&str, usize> = files.iter().map(|f| (*f, 0)).collect();
        for line in text.lines() {
            if let Some(count) = counts.get_mut(mutant_file(line)) {
                *count += 1;
            }
        }
        println!("\n{:<52} {:>7}", "file", "mutants");
        for file in &files {
            println!("{file:<52} {:>7}", counts[file]);
        }
        println!("{:<52} {:>7}", "total", counts.values().sum::<usize>());
        return Ok(ExitCode::SUCCESS);
    }

    let status = command.status().map_err(|e| format!("cannot run cargo mutants: {e}"))?;
    // cargo-mutants exits with 0 when every mutant was caught or unviable,
    // 2 when some were missed and 3 when some timed out; anything else means
    // it could not test (bad arguments, a failing baseline).
    match status.code() {
        Some(0) => {
            summarise(&out, &files)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(code @ (2 | 3)) => {
            summarise(&out, &files)?;
            Ok(ExitCode::from(code as u8))
        }
        _ => Err(format!("cargo mutants failed ({status}); see {}", out.join("mutants.out").display())),
    }
}

/// Counts the outcomes of the last run per file, prints them with the missed
/// mutants, and writes `summary.json` beside `mutants.out`.
fn summarise(out: &Path, files: &[&str]) -> Result<(), String> {
    let results = out.join("mutants.out");
    let read = |name: &str| -> Result<String, String> {
        let path = results.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    // Every mutant generated, to tell how far a stopped run got.
    let generated: Value = serde_json::from_str(&read("mutants.json")?)
        .map_err(|e| format!("{}: {e}", results.join("mutants.json").display()))?;
    let mut totals: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
    let mut generated_per_file: BTreeMap<String, usize> = BTreeMap::new();
    for mutant in generated.as_array().into_iter().flatten() {
        if let Some(file) = mutant.get("file").and_then(Value::as_str) {
            *generated_per_file.entry(file.to_string()).or_default() += 1;
        }
    }
    for outcome in OUTCOMES {
        // A file not yet written means no mutant had that outcome.
        let text = read(&format!("{outcome}.txt")).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Some(file) = files.iter().find(|f| **f == mutant_file(line)) else { continue };
            totals.entry(file).or_default().entry(outcome).or_default().push(line.to_string());
        }
    }
    let count = |file: &str, outcome: &str| totals.get(file).and_then(|o| o.get(outcome)).map_or(0, Vec::len);

    println!(
        "\n{:<46} {:>9} {:>6} {:>6} {:>7} {:>8} {:>9}",
        "file", "generated", "caught", "missed", "timeout", "unviable", "kill rate"
    );
    let mut rows = Vec::new();
    let mut sums = [0usize; 5];
    for file in files {
        let n = generated_per_file.get(*file).copied().unwrap_or(0);
        let [caught, missed, timeout, unviable] = OUTCOMES.map(|o| count(file, o));
        if n == 0 && caught + missed + timeout + unviable == 0 {
            continue;
        }
        for (sum, value) in sums.iter_mut().zip([n, caught, missed, timeout, unviable]) {
            *sum += value;
        }
        let rate = kill_rate(caught, missed, timeout);
        println!("{file:<46} {n:>9} {caught:>6} {missed:>6} {timeout:>7} {unviable:>8} {:>9}", percent(rate));
        let missed_list = totals.get(file).and_then(|o| o.get("missed")).cloned().unwrap_or_default();
        rows.push(json!({
            "file": file,
            "generated": n,
            "caught": caught,
            "missed": missed,
            "timeout": timeout,
            "unviable": unviable,
            "untested": n.saturating_sub(caught + missed + timeout + unviable),
            "kill_rate": rate,
            "missed_mutants": missed_list,
        }));
    }
    let [n, caught, missed, timeout, unviable] = sums;
    let rate = kill_rate(caught, missed, timeout);
    println!(
        "{:<46} {n:>9} {caught:>6} {missed:>6} {timeout:>7} {unviable:>8} {:>9}",
        "total",
        percent(rate)
    );
    let untested = n.saturating_sub(caught + missed + timeout + unviable);
    if untested > 0 {
        println!("{untested} mutants were not tested (the run stopped early)");
    }
    for file in files {
        for line in totals.get(file).and_then(|o| o.get("missed")).into_iter().flatten() {
            println!("MISSED {line}");
        }
    }
    let summary = json!({
        "cargo_mutants": CARGO_MUTANTS.version,
        "outcomes": results.display().to_string(),
        "caught": caught,
        "missed": missed,
        "timeout": timeout,
        "unviable": unviable,
        "generated": n,
        "untested": untested,
        "kill_rate": rate,
        "files": rows,
    });
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("summary: {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_file_exists_once() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for (i, file) in FILES.iter().enumerate() {
            assert!(root.join(file).is_file(), "{file} does not exist");
            assert!(!FILES[..i].contains(file), "{file} is listed twice");
        }
    }

    #[test]
    fn file_patterns_select_by_substring_and_refuse_unknown_ones() {
        assert_eq!(select_files(&[]).unwrap().len(), FILES.len());
        assert_eq!(select_files(&["anneal.rs".into()]).unwrap(), ["crates/ebm-mcmc/src/anneal.rs"]);
        assert_eq!(select_files(&["hopfield/".into()]).unwrap().len(), 7);
        assert!(select_files(&["no-such-file.rs".into()]).is_err());
    }

    #[test]
    fn mutant_lines_name_their_file_and_the_rate_ignores_unviable() {
        assert_eq!(
            mutant_file("crates/ebm-core/src/exact.rs:10:5: replace f -> f64 with 0.0"),
            "crates/ebm-core/src/exact.rs"
        );
        assert_eq!(kill_rate(3, 1, 0), Some(0.75));
        assert_eq!(kill_rate(0, 0, 0), None);
        assert_eq!(percent(Some(0.5)), "50.0%");
    }
}
