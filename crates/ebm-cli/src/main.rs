//! `ebm`: energy-based models from the shell.
//!
//! Each subcommand lives in its own module; later layers add theirs
//! (sampling, Hopfield recall, training) beside these.

mod convert;
mod dbm;
mod density;
mod exact;
mod gaussian;
mod hopfield;
mod ising;
mod labels;
mod lattice;
mod likelihood;
mod model_io;
mod output;
mod progress;
mod rbm;
mod render;
mod shapes;
mod training;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ebm",
    version,
    about = "Energy-based models: Hopfield networks, Boltzmann machines, samplers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Exact log Z, marginals, correlations and ground states of a small pairwise model.
    Exact(exact::ExactArgs),
    /// Hopfield networks: store, corrupt and recall glyphs or images; capacity experiments.
    #[command(subcommand)]
    Hopfield(hopfield::HopfieldCommand),
    /// Monte Carlo of the periodic square-lattice Ising model: energy and |m| per spin with errors.
    Ising(ising::IsingArgs),
    /// Restricted Boltzmann machines: train, evaluate (exact or AIS), sample, export.
    #[command(subcommand)]
    Rbm(rbm::RbmCommand),
    /// Deep Boltzmann machines: pretrain and train, evaluate (exact or AIS bound), sample, export.
    #[command(subcommand)]
    Dbm(dbm::DbmCommand),
    /// Write the periodic Ising model on a square lattice as a model file or JSON.
    Lattice(lattice::LatticeArgs),
    /// Convert a pairwise model between JSON and the binary model-file format.
    Convert(convert::ConvertArgs),
    /// General energy-based models on 2-D data: train, sample, evaluate by quadrature.
    #[command(subcommand)]
    Density(density::DensityCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Exact(args) => exact::run(&args),
        Command::Hopfield(command) => hopfield::run(&command),
        Command::Ising(args) => ising::run_ising(&args),
        Command::Lattice(args) => lattice::run(&args),
        Command::Rbm(command) => rbm::run(&command),
        Command::Dbm(command) => dbm::run(&command),
        Command::Convert(args) => convert::run(&args),
        Command::Density(command) => density::run(&command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ebm: {error:#}");
            ExitCode::FAILURE
        }
    }
}
