//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! - `verify`: numerical checks that the mathematics of the library holds.
//! - `bench`: criterion benchmarks, each as a ratio to a baseline of the same run.
//! - `docs`: builds the mdBook site and the API documentation.
//! - `mutants`: planted-bug testing (cargo-mutants) of the files that carry the mathematics.

mod bench;
mod docs;
mod mutants;
mod tools;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "xtask", about = "ebm project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the numerical checks of the mathematics; writes `target/verify/report.json`.
    Verify(verify::VerifyArgs),
    /// Run the criterion benchmarks and print each against its baseline.
    Bench(bench::BenchArgs),
    /// Build the docs site (mdBook) and the API docs into `target/docs`.
    Docs(docs::DocsArgs),
    /// Plant bugs (cargo-mutants) in the mathematical core and count those the tests miss;
    /// writes `target/mutants/summary.json`.
    Mutants(mutants::MutantsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every path the tasks use is relative to the workspace root, wherever cargo was started.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(std::path::Path::new("."));
    if let Err(e) = std::env::set_current_dir(root) {
        eprintln!("xtask: cannot enter the workspace root {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let outcome = match cli.command {
        Command::Verify(args) => verify::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Docs(args) => docs::run(&args),
        Command::Mutants(args) => mutants::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
