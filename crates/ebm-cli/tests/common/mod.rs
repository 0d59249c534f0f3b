//! Helpers shared by the end-to-end tests: run the `ebm` binary, read its JSON.
// Each test binary uses a part of these helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `ebm` binary with `args`.
pub fn ebm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ebm")).args(args).output().expect("the ebm binary runs")
}

/// The JSON that a successful run printed on standard output.
pub fn json_of(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "ebm failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("valid JSON on stdout")
}

/// Writes `text` to `path`.
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// `path` as a command-line argument.
pub fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The JSON of `ebm KIND eval MODEL --data DATA --ais --betas BETAS --runs 32`
/// (`kind` is `rbm` or `dbm`).
pub fn eval_by_ais(kind: &str, model: &Path, data: &str, betas: &str) -> serde_json::Value {
    let args = [kind, "eval", path_str(model), "--data", data, "--ais", "--betas", betas, "--runs", "32"];
    json_of(&ebm(&[&args[..], &["--json"]].concat()))
}
