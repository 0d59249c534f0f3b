//! `ebm hopfield store` and `ebm hopfield recall --network`: a network of
//! pictures saved in a file, and recall of new probe images from it.

mod common;

use common::{ebm, json_of, path_str};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Walsh pattern `mask` on 8 × 8 pixels: unit i = 8r + c is (−1)^popcount(i & mask).
/// Distinct non-zero masks give exactly orthogonal patterns.
fn walsh(mask: usize) -> Vec<i8> {
    (0..64).map(|i: usize| if (i & mask).count_ones().is_multiple_of(2) { 1 } else { -1 }).collect()
}

/// The three stored pictures. Their masks avoid bit 5 (the top bit of the
/// row), so that each is balanced in the bottom half of the picture.
const MASKS: [usize; 3] = [0b00100, 0b01010, 0b10001];

/// Writes `pattern` (±1, `side_in` × `side_in`) as a PNG scaled up by `zoom`: +1 dark.
fn write_png(path: &Path, pattern: &[i8], side_in: usize, zoom: usize) {
    let side = side_in * zoom;
    let pixels: Vec<u8> = (0..side * side)
        .map(|k| if pattern[(k / side / zoom) * side_in + (k % side) / zoom] > 0 { 0 } else { 255 })
        .collect();
    ebm_data::png_io::write(path, side, side, &pixels).unwrap();
}

fn stored_images(dir: &Path) -> Vec<PathBuf> {
    MASKS
        .iter()
        .enumerate()
        .map(|(k, &mask)| {
            let path = dir.join(format!("walsh{k}.png"));
            write_png(&path, &walsh(mask), 8, 1);
            path
        })
        .collect()
}

fn states(value: &Value) -> Vec<i8> {
    serde_json::from_value(value.clone()).unwrap()
}

fn store(dir: &Path, rule: &str) -> (PathBuf, Value) {
    let net = dir.join(format!("{rule}.ebm"));
    let images = stored_images(dir);
    let mut args = vec!["hopfield", "store", "--rule", rule, "--size", "8", "-o", path_str(&net), "--json"];
    args.extend(images.iter().map(|p| path_str(p)));
    (net.clone(), json_of(&ebm(&args)))
}

/// Runs `ebm` and returns its standard error, checking it failed with exit code 1.
fn refused(args: &[&str]) -> String {
    let output = ebm(args);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn store_summarises_and_recall_from_the_file_restores_occluded_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let (net, summary) = store(dir.path(), "pseudo-inverse");
    assert_eq!(summary["patterns"], 3);
    assert_eq!(summary["units"], 64);
    assert_eq!(summary["rule"], "pseudo-inverse");
    assert_eq!(summary["load"].as_f64(), Some(3.0 / 64.0));
    assert_eq!(summary["fixed_points"], 3);
    assert!(summary["hebbian_capacity"].is_null());
    // The file is a model file of kind `hopfield`.
    assert_eq!(ebm_core::file::peek_header(&net).unwrap().kind, "hopfield");

    // Probe k is stored picture k drawn at twice the size (resized back to 8 × 8).
    let probes: Vec<PathBuf> = MASKS
        .iter()
        .enumerate()
        .map(|(k, &mask)| {
            let path = dir.path().join(format!("probe{k}.png"));
            write_png(&path, &walsh(mask), 8, 2);
            path
        })
        .collect();
    let out = dir.path().join("pictures");
    // Hiding the bottom half leaves overlap ½ with the probe's own pattern and
    // exactly 0 with the others (orthogonal, balanced in the bottom half); the
    // projection rule's field is then h = ½ ξ − (3/64) s, whose sign is ξ at every
    // unit: one synchronous step restores the picture. Asynchronous orders get there too.
    for update in ["synchronous", "random", "sequential"] {
        let mut args = vec!["hopfield", "recall", "--network", path_str(&net), "--occlude", "bottom:0.5"];
        args.extend(["--update", update, "--json", "-o", path_str(&out)]);
        args.extend(probes.iter().map(|p| path_str(p)));
        let output = ebm(&args);
        assert!(String::from_utf8_lossy(&output.stderr).contains("is 16×16; resized to the network's 8×8"));
        let report = json_of(&output);
        assert_eq!((report["width"].as_u64(), report["height"].as_u64()), (Some(8), Some(8)));
        assert_eq!(report["occlude"], "bottom:0.5");
        assert_eq!(report["noise"].as_f64(), Some(0.0));
        let reports = report["probes"].as_array().unwrap();
        assert_eq!(reports.len(), 3);
        for (k, probe) in reports.iter().enumerate() {
            let pattern = walsh(MASKS[k]);
            assert_eq!(probe["resized_from"], serde_json::json!([16, 16]));
            assert_eq!(states(&probe["probe"]), pattern, "{update}: probe {k} as read");
            let corrupted = states(&probe["corrupted"]);
            assert_eq!(&corrupted[..32], &pattern[..32], "{update}: top half kept");
            assert!(corrupted[32..].iter().all(|&s| s == -1), "{update}: bottom half blanked");
            assert_eq!(states(&probe["state"]), pattern, "{update}: probe {k} recalled");
            assert_eq!(probe["nearest"], k);
            assert!(probe["nearest_name"].as_str().unwrap().ends_with(&format!("walsh{k}.png")));
            assert_eq!(probe["overlap"].as_f64(), Some(1.0));
            let overlaps: Vec<f64> = serde_json::from_value(probe["overlaps"].clone()).unwrap();
            assert_eq!(overlaps.iter().filter(|&&m| m == 0.0).count(), 2, "{update}: {overlaps:?}");
            assert_eq!(probe["outcome"], "FixedPoint");
        }
        if update == "synchronous" {
            // The one step that restores the picture, then the step that changes nothing.
            assert!(reports.iter().all(|p| p["sweeps"] == 2), "{reports:?}");
            assert!(reports.iter().all(|p| p["flips"] == 16), "16 hidden units were off wrongly");
        }
    }
    let sheet = ebm_data::png_io::read(out.join("hopfield-recall.png")).unwrap();
    // Three columns and four rows of 8 × 8 pictures at zoom 4, gutters of 4.
    assert_eq!((sheet.width, sheet.height), (3 * 36 + 4, 4 * 36 + 4));

    // The text table names the nearest stored picture.
    let output = ebm(&[
        "hopfield",
        "recall",
        "--network",
        path_str(&net),
        "--occlude",
        "right:0.25",
        "-o",
        path_str(&out),
        path_str(&probes[1]),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("walsh1.png") && stdout.contains("1.000"), "{stdout}");
}

#[test]
fn hebbian_store_reports_the_capacity_guide() {
    let dir = tempfile::tempdir().unwrap();
    let (_, summary) = store(dir.path(), "hebbian");
    assert!((summary["hebbian_capacity"].as_f64().unwrap() - 0.138 * 64.0).abs() < 1e-12);
    // Orthogonal patterns are fixed points of Hebbian storage too.
    assert_eq!(summary["fixed_points"], 3);
    let images = stored_images(dir.path());
    let net = dir.path().join("h.ebm");
    let mut args = vec!["hopfield", "store", "--rule", "hebbian", "--size", "8", "-o", path_str(&net)];
    args.extend(images.iter().map(|p| path_str(p)));
    let output = ebm(&args);
    let line = String::from_utf8_lossy(&output.stdout);
    assert!(line.contains("0.138 N = 9 patterns") && line.contains("3 of 3 are fixed points"), "{line}");
}

#[test]
fn store_and_recall_in_one_go_takes_occlude() {
    let dir = tempfile::tempdir().unwrap();
    let images = stored_images(dir.path());
    let mut args =
        vec!["hopfield", "recall", "--size", "8", "--noise", "0", "--occlude", "top:0.5", "--json"];
    args.extend(["--update", "synchronous", "-o", path_str(dir.path())]);
    args.extend(images.iter().map(|p| path_str(p)));
    let report = json_of(&ebm(&args));
    for (k, recall) in report["patterns"].as_array().unwrap().iter().enumerate() {
        let pattern = walsh(MASKS[k]);
        let probe = states(&recall["probe"]);
        assert!(probe[..32].iter().all(|&s| s == -1) && probe[32..] == pattern[32..], "probe {k}");
        assert_eq!(states(&recall["state"]), pattern);
    }
    assert_eq!(report["occlude"], "top:0.5");
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let (net, _) = store(dir.path(), "pseudo-inverse");
    let image = dir.path().join("walsh0.png");
    let (net, image) = (path_str(&net), path_str(&image));
    let missing = dir.path().join("absent.png");
    let not_png = dir.path().join("notes.png");
    std::fs::write(&not_png, b"these are notes, not a picture").unwrap();
    let out = path_str(dir.path());

    assert!(refused(&["hopfield", "store", "-o", net]).contains("no images given"));
    assert!(refused(&["hopfield", "recall", "--network", net]).contains("no probe images"));
    assert!(
        refused(&["hopfield", "recall", "--network", net, path_str(&missing), "-o", out])
            .contains("absent.png")
    );
    assert!(refused(&["hopfield", "store", "-o", net, image, path_str(&missing)]).contains("absent.png"));
    assert!(
        refused(&["hopfield", "recall", "--network", net, path_str(&not_png)]).contains("not a readable PNG")
    );
    assert!(
        refused(&["hopfield", "recall", "--network", net, "--noise", "1.5", image]).contains("--noise 1.5")
    );
    assert!(refused(&["hopfield", "recall", "--network", net, "--noise=-0.1", image]).contains("[0, 1]"));
    for spec in ["middle:0.5", "bottom:2", "box:0.5,0.5,0.6,0.1", "box:1,2", "half"] {
        let stderr = refused(&["hopfield", "recall", "--network", net, "--occlude", spec, image]);
        assert!(stderr.contains(&format!("--occlude {spec}")), "{spec}: {stderr}");
    }
    assert!(refused(&["hopfield", "demo", "--occlude", "left:x", "-o", out]).contains("not a number"));
    let stderr = refused(&["hopfield", "store", "--rule", "dense", "-o", net, image]);
    assert!(stderr.contains("no pairwise weights"), "{stderr}");
    let stderr = refused(&["hopfield", "store", "--size", "0", "-o", net, image]);
    assert!(stderr.contains("--size 0"), "{stderr}");
    let nowhere = dir.path().join("absent").join("net.ebm");
    assert!(refused(&["hopfield", "store", "-o", path_str(&nowhere), image]).contains("does not exist"));

    // A model file of another kind.
    let pairwise = dir.path().join("pairwise.ebm");
    let ising = ebm(&["lattice", "--rows", "3", "-o", path_str(&pairwise)]);
    assert!(ising.status.success(), "{}", String::from_utf8_lossy(&ising.stderr));
    let stderr = refused(&["hopfield", "recall", "--network", path_str(&pairwise), image]);
    assert!(stderr.contains("not a Hopfield network") && stderr.contains("expected `hopfield`"), "{stderr}");
    // A truncated and a corrupted network file; a PNG given as the network.
    let bytes = std::fs::read(net).unwrap();
    let truncated = dir.path().join("truncated.ebm");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(refused(&["hopfield", "recall", "--network", path_str(&truncated), image]).contains("truncated"));
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x10;
    let corrupt = dir.path().join("corrupt.ebm");
    std::fs::write(&corrupt, &flipped).unwrap();
    assert!(refused(&["hopfield", "recall", "--network", path_str(&corrupt), image]).contains("checksum"));
    assert!(refused(&["hopfield", "recall", "--network", image, image]).contains("bad magic"));
    // Nothing was overwritten by the refused stores.
    assert_eq!(std::fs::read(net).unwrap(), bytes);
}
