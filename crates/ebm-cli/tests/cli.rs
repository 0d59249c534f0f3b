//! End-to-end tests of the `ebm` binary: real processes, real files.

mod common;

use common::{ebm, eval_by_ais, json_of, path_str, write};
use std::path::Path;

#[test]
fn built_in_lattice_agrees_with_kaufman() {
    let report = json_of(&ebm(&["exact", "--json"]));
    let (log_z, kaufman) = (report["log_z"].as_f64().unwrap(), report["log_z_kaufman"].as_f64().unwrap());
    assert!((log_z - kaufman).abs() < 1e-10, "{log_z} vs {kaufman}");
    assert_eq!(report["units"], 16);
    assert_eq!(report["ground_state_count"], 2);
}

#[test]
fn two_spin_model_from_json_matches_the_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("pair.json");
    write(&model, r#"{"domain": "spin", "couplings": [[0, 1], [1, 0]], "bias": [0.25, 0]}"#);
    let report = json_of(&ebm(&["exact", path_str(&model), "-t", "0.5", "--correlations", "--json"]));
    // E(s) = −s₁s₂ − ¼s₁; at T = ½ the Boltzmann weights are exp(−2E).
    let weights = [(1, 1, 1.25f64), (1, -1, -0.75), (-1, 1, -1.25), (-1, -1, 0.75)];
    let z: f64 = weights.iter().map(|&(_, _, minus_e)| (2.0 * minus_e).exp()).sum();
    let mean_first: f64 =
        weights.iter().map(|&(a, _, minus_e)| f64::from(a) * (2.0 * minus_e).exp()).sum::<f64>() / z;
    let correlation: f64 =
        weights.iter().map(|&(a, b, minus_e)| f64::from(a * b) * (2.0 * minus_e).exp()).sum::<f64>() / z;
    assert!((report["log_z"].as_f64().unwrap() - z.ln()).abs() < 1e-12);
    assert!((report["means"][0].as_f64().unwrap() - mean_first).abs() < 1e-12);
    assert!((report["correlations"][0][1].as_f64().unwrap() - correlation).abs() < 1e-12);
    assert_eq!(report["ground_states"], serde_json::json!([[1, 1]]));
}

#[test]
fn lattice_and_convert_round_trip_through_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("ising.ebm");
    let json = dir.path().join("ising.json");
    let back = dir.path().join("back.ebm");
    let made = ebm(&[
        "lattice",
        "--rows",
        "3",
        "--cols",
        "4",
        "-J",
        "0.5",
        "--field",
        "0.1",
        "-o",
        path_str(&binary),
    ]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(ebm(&["convert", path_str(&binary), path_str(&json)]).status.success());
    assert!(ebm(&["convert", path_str(&json), path_str(&back)]).status.success());
    assert_eq!(std::fs::read(&binary).unwrap(), std::fs::read(&back).unwrap());
    let from_binary = json_of(&ebm(&["exact", path_str(&binary), "--json"]));
    let from_json = json_of(&ebm(&["exact", path_str(&json), "--json"]));
    assert_eq!(from_binary["log_z"], from_json["log_z"]);
    assert_eq!(from_binary["means"], from_json["means"]);
}

/// Runs `ebm exact` on `path`, expects a failure whose message contains `needle`.
fn refused(path: &Path, needle: &str) {
    let output = ebm(&["exact", path_str(path)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_models_and_files_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let asymmetric = dir.path().join("asymmetric.json");
    write(&asymmetric, r#"{"domain": "spin", "couplings": [[0, 1], [2, 0]], "bias": [0, 0]}"#);
    refused(&asymmetric, "not symmetric");
    let diagonal = dir.path().join("diagonal.json");
    write(&diagonal, r#"{"domain": "bit", "couplings": [[1, 0], [0, 0]], "bias": [0, 0]}"#);
    refused(&diagonal, "self-coupling");
    let not_a_model = dir.path().join("list.json");
    write(&not_a_model, "[1, 2, 3]");
    refused(&not_a_model, "expected a JSON object");
    refused(&dir.path().join("missing.json"), "missing.json");

    let binary = dir.path().join("m.ebm");
    assert!(ebm(&["lattice", "--rows", "2", "-o", path_str(&binary)]).status.success());
    let bytes = std::fs::read(&binary).unwrap();
    let truncated = dir.path().join("truncated.ebm");
    std::fs::write(&truncated, &bytes[..bytes.len() - 3]).unwrap();
    refused(&truncated, "truncated");
    let mut flipped = bytes.clone();
    let middle = bytes.len() / 2;
    flipped[middle] ^= 0x10;
    let corrupt = dir.path().join("corrupt.ebm");
    std::fs::write(&corrupt, &flipped).unwrap();
    refused(&corrupt, "checksum");
}

#[test]
fn models_too_large_to_enumerate_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.ebm");
    assert!(ebm(&["lattice", "--rows", "6", "--cols", "6", "-o", path_str(&big)]).status.success());
    refused(&big, "too large");
    let bad_t = ebm(&["exact", "--temperature", "0"]);
    assert_eq!(bad_t.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_t.stderr).contains("temperature"));
}

#[test]
fn ising_estimates_agree_with_enumeration_for_every_sampler() {
    let model = ebm_core::SquareLattice::square(4).build().unwrap();
    let t = 2.5;
    let exact =
        ebm_core::exact::summarize(&model, &ebm_core::exact::ExactOptions::new().temperature(t)).unwrap();
    let exact_energy = exact.mean_energy / 16.0;
    for sampler in ["gibbs", "metropolis", "cluster", "swendsen-wang"] {
        let output =
            ebm(&["ising", "-L", "4", "-t", "2.5", "--sampler", sampler, "--sweeps", "20000", "--json"]);
        let report = json_of(&output);
        let energy = &report["energy_per_spin"];
        let (mean, error) = (energy["mean"].as_f64().unwrap(), energy["standard_error"].as_f64().unwrap());
        assert!(error > 0.0 && error < 0.01, "{sampler}: standard error {error}");
        assert!(
            (mean - exact_energy).abs() < 5.0 * error,
            "{sampler}: {mean} ± {error} vs exact {exact_energy}"
        );
        let m = report["abs_magnetisation_per_spin"]["mean"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&m));
    }
    let refused = ebm(&["ising", "-L", "4", "--field", "0.2", "--sampler", "cluster"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(ebm(&["ising", "-L", "1"]).status.code(), Some(1));
}

#[test]
fn hopfield_demo_recalls_every_glyph_and_writes_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let output = ebm(&["hopfield", "demo", "--out", path_str(dir.path()), "--noise", "0.1"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // 12 glyphs, each recalled exactly by the default pseudo-inverse rule.
    assert_eq!(stdout.matches("Stored(").count(), 12, "{stdout}");
    for picture in ["hopfield-sheet.png", "hopfield-energy.png"] {
        let image = ebm_data::png_io::read(dir.path().join(picture)).unwrap();
        assert!(image.width > 100 && image.height > 50, "{picture}");
    }
}

#[test]
fn hopfield_recall_stores_user_images() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for k in 0..3usize {
        // Three 8 × 8 images: a vertical bar at column 2k, a horizontal bar at row 2k, a dot.
        let pixels: Vec<u8> = (0..64)
            .map(|i| {
                if (k == 0 && i % 8 == 2) || (k == 1 && i / 8 == 3) || (k == 2 && i == 27) { 0 } else { 255 }
            })
            .collect();
        let path = dir.path().join(format!("image{k}.png"));
        ebm_data::png_io::write(&path, 8, 8, &pixels).unwrap();
        paths.push(path);
    }
    let mut args = vec!["hopfield", "recall", "--size", "8", "--noise", "0.0", "--out"];
    args.push(path_str(dir.path()));
    args.extend(paths.iter().map(|p| path_str(p)));
    let output = ebm(&args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).matches("Stored(").count(), 3);
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, b"not a png").unwrap();
    let refused = ebm(&["hopfield", "recall", path_str(&broken)]);
    assert_eq!(refused.status.code(), Some(1));
}

#[test]
fn rbm_train_eval_sample_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bars.ebm");
    let trained = ebm(&[
        "rbm",
        "train",
        "--data",
        "bars:3",
        "--hidden",
        "10",
        "--algo",
        "pcd",
        "--chains",
        "14",
        "--epochs",
        "300",
        "--lr",
        "0.1",
        "--batch",
        "2",
        "--ais-every",
        "100",
        "--ais-betas",
        "500",
        "--ais-runs",
        "16",
        "--out",
        path_str(&model),
    ]);
    let stdout = String::from_utf8_lossy(&trained.stdout);
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let likelihood = |line: &str| -> f64 {
        line.split("log-likelihood").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
    };
    let epochs: Vec<&str> = stdout.lines().filter(|l| l.starts_with("epoch")).collect();
    let (first, last) = (likelihood(epochs[0]), likelihood(epochs[epochs.len() - 1]));
    assert!(last > first + 1.0, "log-likelihood {first} → {last}");
    for picture in ["bars-filters.png", "bars-samples.png", "bars-metrics.png"] {
        assert!(dir.path().join(picture).exists(), "{picture}");
    }
    let exact = json_of(&ebm(&["rbm", "eval", path_str(&model), "--data", "bars:3", "--json"]));
    let value = exact["average_log_likelihood"].as_f64().unwrap();
    assert!((value - last).abs() < 1e-3, "eval {value} vs training {last} (printed to 4 decimals)");
    // The metrics log: a header and one row per epoch; AIS estimates in epochs 100, 200 and 300.
    let log = std::fs::read_to_string(dir.path().join("bars-metrics.csv")).unwrap();
    let rows: Vec<Vec<&str>> = log.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 300);
    let with_ais: Vec<usize> = (0..300).filter(|&r| rows[r][5] != "NaN").map(|r| r + 1).collect();
    assert_eq!(with_ais, [100, 200, 300]);
    // With 500 βs and 16 runs the error bar is about ±0.2 nats: the exact
    // value must lie within the reported bounds, and the estimate near it.
    let ais_last: Vec<f64> = rows[299][5..8].iter().map(|x| x.parse().unwrap()).collect();
    assert!((ais_last[0] - value).abs() < 0.4, "AIS during training {ais_last:?} vs exact {value}");
    assert!(ais_last[1] <= value && value <= ais_last[2], "AIS bounds {ais_last:?} vs exact {value}");
    let ais = eval_by_ais("rbm", &model, "bars:3", "2000");
    assert!((ais["log_z"].as_f64().unwrap() - exact["log_z"].as_f64().unwrap()).abs() < 0.1);
    let samples = dir.path().join("samples.png");
    assert!(
        ebm(&["rbm", "sample", path_str(&model), "--chains", "4", "--steps", "10", "-o", path_str(&samples)])
            .status
            .success()
    );
    assert!(samples.exists());
    let exported = ebm(&["rbm", "export", path_str(&model)]);
    let json: serde_json::Value = serde_json::from_slice(&exported.stdout).unwrap();
    assert!(json["weights"].is_object() || json["weights"].is_array());
    assert_eq!(ebm(&["rbm", "train", "--data", "cifar:x", "--out", path_str(&model)]).status.code(), Some(1));
    assert_eq!(
        ebm(&["rbm", "eval", path_str(&dir.path().join("none.ebm")), "--data", "bars:3"]).status.code(),
        Some(1)
    );
}

#[test]
fn dbm_train_eval_sample_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("deep.ebm");
    let args = [
        "dbm", "train", "--data", "bars:3", "--layers", "8,4", "--epochs", "300", "--lr", "0.1", "--batch",
        "2",
    ];
    let trained = ebm(&[&args[..], &["--out", path_str(&model)]].concat());
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let stdout = String::from_utf8_lossy(&trained.stdout);
    let likelihood = |line: &str| -> f64 {
        line.split("log-likelihood").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
    };
    let epochs: Vec<&str> = stdout.lines().filter(|l| l.starts_with("epoch")).collect();
    assert_eq!(epochs.len(), 300);
    let last = likelihood(epochs[299]);
    // Nine pixels: a uniform model has ℓ = −9 log 2 ≈ −6.24; the 14 patterns −log 14 ≈ −2.64.
    assert!(last > -5.0, "final log-likelihood {last}");
    for picture in ["deep-filters.png", "deep-samples.png", "deep-metrics.png", "deep-metrics.csv"] {
        assert!(dir.path().join(picture).exists(), "{picture}");
    }
    let exact = json_of(&ebm(&["dbm", "eval", path_str(&model), "--data", "bars:3", "--json"]));
    let value = exact["average_log_likelihood"].as_f64().unwrap();
    assert!((value - last).abs() < 1e-3, "eval {value} vs training {last}");
    let ais = eval_by_ais("dbm", &model, "bars:3", "2000");
    assert!((ais["log_z"].as_f64().unwrap() - exact["log_z"].as_f64().unwrap()).abs() < 0.1);
    let bound = ais["average_log_likelihood_lower_bound"].as_f64().unwrap();
    assert!(bound < value + 0.1, "mean-field bound {bound} vs exact {value}");
    let samples = dir.path().join("samples.png");
    let sampled =
        ebm(&["dbm", "sample", path_str(&model), "--chains", "4", "--steps", "10", "-o", path_str(&samples)]);
    assert!(sampled.status.success() && samples.exists());
    let exported: serde_json::Value =
        serde_json::from_slice(&ebm(&["dbm", "export", path_str(&model)]).stdout).unwrap();
    assert_eq!(exported["biases"].as_array().map(Vec::len), Some(3));
    let pretrained = dir.path().join("pretrained.ebm");
    let quick =
        ["dbm", "train", "--data", "bars:3", "--layers", "4,2", "--epochs", "2", "--pretrain-epochs", "5"];
    assert!(ebm(&[&quick[..], &["--out", path_str(&pretrained)]].concat()).status.success());
    let rbm_model = dir.path().join("not-a-dbm.ebm");
    std::fs::write(&rbm_model, b"garbage").unwrap();
    assert_eq!(ebm(&["dbm", "eval", path_str(&rbm_model), "--data", "bars:3"]).status.code(), Some(1));
    assert_eq!(
        ebm(&["dbm", "train", "--data", "bars:3", "--layers", "0", "--out", path_str(&model)]).status.code(),
        Some(1)
    );
}

#[test]
fn rbm_compare_plots_three_algorithms_and_checks_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("compare.png");
    let common = ["rbm", "compare", "--data", "bars:2", "--hidden", "3", "--chains", "6", "--batch", "2"];
    let run = |extra: &[&str]| ebm(&[&common[..], extra].concat());
    let out = run(&["--epochs", "40", "--seeds", "2", "--every", "4", "-o", path_str(&plot)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Two runs and a mean per algorithm; PT reports its swap rates.
    for name in ["CD ", "PCD", "PT "] {
        assert_eq!(
            stdout.lines().filter(|l| l.starts_with(name) && l.contains("seed")).count(),
            2,
            "{stdout}"
        );
        assert!(stdout.lines().any(|l| l.starts_with(name) && l.contains("mean final")), "{stdout}");
    }
    assert_eq!(stdout.lines().filter(|l| l.contains("swap rates")).count(), 2, "{stdout}");
    assert!(stdout.contains("PT temperatures [1.000, 1.305, 1.703, 2.222, 2.900]"), "{stdout}");
    assert!(plot.exists());
    // A ladder needs two temperatures and a hottest one above 1; the record interval must fit.
    assert_eq!(run(&["--rungs", "1"]).status.code(), Some(1));
    assert_eq!(run(&["--max-temperature", "0.5"]).status.code(), Some(1));
    assert_eq!(run(&["--epochs", "3", "--every", "4"]).status.code(), Some(1));
}

#[test]
fn rbm_with_labels_trains_classifies_and_samples_a_class() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("labelled.ebm");
    let args =
        ["rbm", "train", "--data", "bars:4", "--labels", "--hidden", "20", "--epochs", "200", "--batch", "5"];
    let trained = ebm(&[&args[..], &["--out", path_str(&model)]].concat());
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    assert!(dir.path().join("labelled-classes.png").exists());
    let report = json_of(&ebm(&["rbm", "classify", path_str(&model), "--data", "bars:4", "--json"]));
    // Chance is 14/30 (always "bars"); the two blank/full patterns are the rare third class.
    assert!(report["accuracy"].as_f64().unwrap() > 0.8, "{report}");
    assert_eq!(report["confusion"].as_array().map(Vec::len), Some(3));
    let samples = dir.path().join("stripes.png");
    let sampled =
        ebm(&["rbm", "sample", path_str(&model), "--class", "1", "--chains", "4", "-o", path_str(&samples)]);
    assert!(sampled.status.success() && samples.exists());
    assert_eq!(
        ebm(&["rbm", "sample", path_str(&model), "--class", "7", "-o", path_str(&samples)]).status.code(),
        Some(1)
    );
    assert_eq!(ebm(&["rbm", "classify", path_str(&model), "--data", "bars:3"]).status.code(), Some(1));
}

#[test]
fn gaussian_rbm_trains_on_ring8_and_evaluates_exactly_and_by_ais() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("ring.ebm");
    let trained = ebm(&[
        "rbm",
        "train",
        "--visible",
        "gaussian",
        "--learn-variance",
        "--data",
        "ring8",
        "--hidden",
        "12",
        "--epochs",
        "15",
        "--out",
        path_str(&model),
    ]);
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    for picture in ["ring-density.png", "ring-samples.png"] {
        assert!(dir.path().join(picture).exists(), "{picture}");
    }
    // The learned density beats the single Gaussian that the text report prints beside it.
    let text = String::from_utf8_lossy(&trained.stdout);
    let value_after = |label: &str| -> f64 {
        let line =
            text.lines().rfind(|l| l.trim_start().starts_with(label)).unwrap_or_else(|| panic!("{label}"));
        line.trim_start()[label.len()..].split_whitespace().next().unwrap().parse().unwrap()
    };
    let (model_ll, gaussian_ll) = (value_after("Gaussian RBM"), value_after("single Gaussian"));
    assert!(model_ll > gaussian_ll + 0.1, "RBM {model_ll} vs single Gaussian {gaussian_ll}");
    let exact = json_of(&ebm(&["rbm", "eval", path_str(&model), "--data", "ring8", "--json"]));
    assert_eq!(exact["method"], "exact");
    let ll = exact["average_log_likelihood"].as_f64().unwrap();
    let ais = eval_by_ais("rbm", &model, "ring8", "500");
    let (low, high) = (
        ais["average_log_likelihood_low"].as_f64().unwrap(),
        ais["average_log_likelihood_high"].as_f64().unwrap(),
    );
    assert!(low - 0.02 <= ll && ll <= high + 0.02, "exact {ll} outside AIS bounds [{low}, {high}]");
    let samples = dir.path().join("samples.png");
    assert!(ebm(&["rbm", "sample", path_str(&model), "--out", path_str(&samples)]).status.success());
    assert!(samples.exists());
    let exported = json_of(&ebm(&["rbm", "export", path_str(&model)]));
    // nalgebra writes a matrix as [values, rows, columns]: W is 2 × 12.
    assert_eq!(exported["weights"][0].as_array().unwrap().len(), 24);
    assert_eq!((exported["weights"][1].as_u64(), exported["weights"][2].as_u64()), (Some(2), Some(12)));
}

#[test]
fn shapes_train_a_labelled_rbm_and_a_dbm_and_noisy_copies_are_classified() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("shapes.ebm");
    let args = [
        "rbm",
        "train",
        "--data",
        "shapes:300",
        "--labels",
        "--hidden",
        "30",
        "--epochs",
        "100",
        "--batch",
        "10",
    ];
    let trained = ebm(&[&args[..], &["--out", path_str(&model)]].concat());
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let classify = |extra: &[&str]| {
        json_of(&ebm(
            &[&["rbm", "classify", path_str(&model), "--data", "shapes-test:200", "--json"], extra].concat()
        ))
    };
    let held_out = classify(&[]);
    // Five kinds drawn uniformly: chance is about 0.2.
    assert!(held_out["accuracy"].as_f64().unwrap() > 0.5, "{held_out}");
    assert_eq!(held_out["confusion"].as_array().map(Vec::len), Some(5));
    let noisy = classify(&["--noise", "0.05", "--copies", "3"]);
    assert_eq!(noisy["examples"].as_u64(), Some(600));
    assert_ne!(noisy["confusion"], held_out["confusion"]);
    assert_eq!(
        ebm(&["rbm", "classify", path_str(&model), "--data", "shapes:5", "--copies", "0"]).status.code(),
        Some(1)
    );
    assert_eq!(ebm(&["rbm", "classify", path_str(&model), "--data", "shapes:x"]).status.code(), Some(1));
    let dbm = dir.path().join("dbm.ebm");
    let args = ["dbm", "train", "--data", "shapes:50", "--layers", "6,3", "--epochs", "2", "--chains", "10"];
    let trained = ebm(&[&args[..], &["--out", path_str(&dbm)]].concat());
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let eval = json_of(&ebm(&["dbm", "eval", path_str(&dbm), "--data", "shapes-test:20", "--json"]));
    assert!(eval.to_string().contains("exact"), "{eval}");
}
