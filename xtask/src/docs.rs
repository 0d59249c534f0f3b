//! `cargo xtask docs`: builds the mdBook site and the API docs.

use std::process::ExitCode;

/// Options of `cargo xtask docs`.
#[derive(clap::Args)]
pub struct DocsArgs {}

/// Builds the documentation.
pub fn run(_args: &DocsArgs) -> Result<ExitCode, String> {
    Err("not yet implemented".into())
}
