//! Pinned command-line tools that the tasks install for themselves.
//!
//! The tools go to `target/tools` (`cargo install --root`), so a task never
//! depends on what else is on the machine's PATH, and each is pinned to one
//! exact version so every machine runs the same one.

use std::path::PathBuf;
use std::process::Command;

/// A command-line tool a task needs, pinned to one version.
pub struct Tool {
    /// The crate and binary name.
    pub name: &'static str,
    /// The exact version to install.
    pub version: &'static str,
    /// Extra `cargo install` arguments.
    pub install_args: &'static [&'static str],
    /// The arguments that make the binary print its version (a cargo
    /// subcommand such as `cargo-mutants` wants its subcommand name first).
    pub version_args: &'static [&'static str],
}

impl Tool {
    /// The installed binary.
    pub fn binary(&self) -> PathBuf {
        tools_root().join("bin").join(self.name)
    }
}

/// Where the pinned tools are installed.
pub fn tools_root() -> PathBuf {
    PathBuf::from("target/tools")
}

/// The cargo that runs this xtask (so the same toolchain builds everything).
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `command`, turning a failure to start or a non-zero exit into an error.
pub fn run_command(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

/// Whether `tool` at the pinned version is installed under the tools root.
fn is_installed(tool: &Tool) -> bool {
    Command::new(tool.binary())
        .args(tool.version_args)
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).contains(tool.version))
}

/// Installs every missing tool of `tools`, unless `no_install` (then a missing tool is an error).
pub fn ensure_tools(tools: &[Tool], no_install: bool) -> Result<(), String> {
    for tool in tools {
        if is_installed(tool) {
            continue;
        }
        if no_install {
            return Err(format!(
                "{} {} is not installed in {}",
                tool.name,
                tool.version,
                tools_root().display()
            ));
        }
        println!("installing {} {} into {} (once)", tool.name, tool.version, tools_root().display());
        run_command(
            Command::new(cargo())
                .args(["install", "--locked", tool.name, "--version", tool.version, "--root"])
                .arg(tools_root())
                .args(tool.install_args),
            &format!("cargo install {}", tool.name),
        )?;
    }
    Ok(())
}
