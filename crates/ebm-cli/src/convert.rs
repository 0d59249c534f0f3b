//! `ebm convert`: a pairwise model between JSON and the binary model file.

use crate::model_io;
use std::path::PathBuf;

/// Options of `ebm convert`.
#[derive(clap::Args)]
pub struct ConvertArgs {
    /// The model to read (model file or JSON, recognised by content).
    input: PathBuf,
    /// Where to write it: JSON if it ends in `.json`, a binary model file otherwise.
    output: PathBuf,
}

/// Runs `ebm convert`.
pub fn run(args: &ConvertArgs) -> anyhow::Result<()> {
    let model = model_io::load(&args.input)?;
    let json = model_io::is_json_path(&args.output);
    model.save(&args.output, json)?;
    let format = if json { "JSON" } else { "model file" };
    println!("wrote {} as a {format} to {}", args.input.display(), args.output.display());
    Ok(())
}
