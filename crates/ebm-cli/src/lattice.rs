//! `ebm lattice`: write the periodic Ising model on a square lattice.

use crate::model_io::{self, Pairwise};
use ebm_core::SquareLattice;
use std::path::PathBuf;

/// Options of `ebm lattice`.
#[derive(clap::Args)]
pub struct LatticeArgs {
    /// Number of rows.
    #[arg(long)]
    rows: usize,
    /// Number of columns (default: as many as rows).
    #[arg(long)]
    cols: Option<usize>,
    /// Coupling J (> 0 ferromagnetic).
    #[arg(short = 'J', long, default_value_t = 1.0)]
    coupling: f32,
    /// External field h.
    #[arg(long, default_value_t = 0.0)]
    field: f32,
    /// Output path: JSON if it ends in `.json`, a binary model file otherwise.
    #[arg(short, long)]
    output: PathBuf,
}

/// Runs `ebm lattice`.
pub fn run(args: &LatticeArgs) -> anyhow::Result<()> {
    let cols = args.cols.unwrap_or(args.rows);
    let model = SquareLattice::new(args.rows, cols).coupling(args.coupling).field(args.field).build()?;
    Pairwise::Sparse(model).save(&args.output, model_io::is_json_path(&args.output))?;
    println!("wrote the {}×{cols} Ising lattice to {}", args.rows, args.output.display());
    Ok(())
}
