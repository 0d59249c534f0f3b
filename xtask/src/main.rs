//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! - `verify`: numerical checks that the mathematics of the library holds.
//! - `docs`: builds the mdBook site and the API documentation.

mod docs;

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
    /// Build the docs site (mdBook) and the API docs into `target/docs`.
    Docs(docs::DocsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Docs(args) => docs::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
