//! The training loop from the command line: Ctrl-C saves the run and
//! `--resume` finishes it with the model of a run never interrupted; a
//! blow-up is a divergence error; held-out scores and early stopping.

mod common;

use common::{ebm, path_str};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[cfg(unix)]
#[test]
fn sigint_saves_a_checkpoint_and_resuming_gives_the_uninterrupted_model() {
    let dir = tempfile::tempdir().unwrap();
    let (interrupted, resumed, straight) =
        (dir.path().join("run.ebm"), dir.path().join("resumed.ebm"), dir.path().join("straight.ebm"));
    let train = ["rbm", "train", "--data", "shapes:400", "--hidden", "24", "--batch", "10", "--seed", "3"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_ebm"))
        .args(train)
        .args(["--epochs", "1000000", "-o", path_str(&interrupted)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map(Result::unwrap);
    // Interrupt once training has reported its first epoch.
    lines.by_ref().find(|line| line.starts_with("epoch")).expect("an epoch line");
    let signalled = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(signalled.success());
    let rest: Vec<String> = lines.collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    let summary = rest.iter().find(|l| l.starts_with("interrupted after")).expect("a summary line");
    let epochs_done: usize = summary.split_whitespace().nth(2).unwrap().parse().unwrap();
    let checkpoint = dir.path().join("run.ckpt");
    assert!(checkpoint.exists() && interrupted.exists(), "{rest:?}");
    // Two more epochs from the checkpoint, against a run of that many from the start.
    let total = (epochs_done + 2).to_string();
    let resume = ebm(&[
        &train[..],
        &["--epochs", &total, "--resume", path_str(&checkpoint), "-o", path_str(&resumed)],
    ]
    .concat());
    assert!(resume.status.success(), "{}", String::from_utf8_lossy(&resume.stderr));
    let uninterrupted = ebm(&[&train[..], &["--epochs", &total, "-o", path_str(&straight)]].concat());
    assert!(uninterrupted.status.success());
    assert_eq!(std::fs::read(&resumed).unwrap(), std::fs::read(&straight).unwrap());
    // The metrics log of the resumed run covers every epoch.
    let log = std::fs::read_to_string(dir.path().join("resumed-metrics.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + epochs_done + 2);
}

#[test]
fn a_learning_rate_of_1e30_is_a_divergence_error_and_the_start_model_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("rbm.ebm");
    let run =
        ebm(&["rbm", "train", "--data", "bars:3", "--lr", "1e30", "--epochs", "5", "-o", path_str(&model)]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("diverged at batch 0 of epoch 0") && stderr.contains("divergence bound"),
        "{stderr}"
    );
    // The model written is the last good one: the start, whose weights are N(0, 0.01²).
    let json = ebm(&["rbm", "export", path_str(&model)]);
    let exported: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // nalgebra writes a matrix as [values, rows, columns].
    let values = exported["weights"][0].as_array().unwrap();
    let largest = values.iter().map(|x| x.as_f64().unwrap().abs()).fold(0.0, f64::max);
    assert!(largest > 0.0 && largest < 0.1, "largest |w| = {largest}");
}

#[test]
fn validation_reports_held_out_scores_and_patience_keeps_the_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("rbm.ebm");
    let args = ["rbm", "train", "--data", "shapes:200", "--hidden", "8", "--lr", "0.2", "--epochs", "60"];
    let run =
        ebm(&[&args[..], &["--validation", "0.25", "--patience", "2", "-o", path_str(&model)]].concat());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("50 examples held out"), "{stdout}");
    let log = std::fs::read_to_string(dir.path().join("rbm-metrics.csv")).unwrap();
    let header: Vec<&str> = log.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|&c| c == "validation_log_likelihood").expect("a held-out column");
    let scores: Vec<f64> =
        log.lines().skip(1).map(|l| l.split(',').nth(column).unwrap().parse().unwrap()).collect();
    assert!(scores.iter().all(|s| s.is_finite() && *s < 0.0), "{scores:?}");
    // The model written is the best epoch's: its held-out score is the best
    // in the log, and if training stopped early, it did so `patience` epochs later.
    let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let best_epoch = scores.iter().position(|&s| s == best).unwrap() + 1;
    assert!(stdout.contains(&format!("after epoch {best_epoch}")), "{stdout}");
    if stdout.contains("stopped early") {
        assert_eq!(scores.len(), best_epoch + 2);
    }
    // Bad fractions are refused.
    for fraction in ["0", "1", "-0.5", "NaN"] {
        let refused = ebm(&[&args[..], &["--validation", fraction, "-o", path_str(&model)]].concat());
        assert!(!refused.status.success(), "--validation {fraction}");
    }
}

#[test]
fn a_reader_that_stops_reading_does_not_cost_the_trained_model() {
    // `ebm rbm train … | head -1`: the pipe closes after the first line.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("rbm.ebm");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ebm"))
        .args(["rbm", "train", "--data", "bars:3", "--epochs", "300", "-o", path_str(&model)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("examples"), "{first}");
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for file in ["rbm.ebm", "rbm-metrics.csv", "rbm-metrics.png"] {
        assert!(dir.path().join(file).exists(), "{file}");
    }
    let log = std::fs::read_to_string(dir.path().join("rbm-metrics.csv")).unwrap();
    assert_eq!(log.lines().count(), 301);
}
