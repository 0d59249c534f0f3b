//! `ebm hopfield store` and `ebm hopfield recall --network`: a Hopfield
//! network of pictures kept in a model file (kind `hopfield`, see
//! [`ebm_hopfield::file::NetworkFile`]) and recall of new probe images from it.

use super::{RecallSettings, RuleArg, display, store};
use crate::output::{check_output_directory, print_result, say};
use crate::render;
use anyhow::{Context, anyhow, bail};
use ebm_core::Domain;
use ebm_data::patterns::{Occlusion, occlude};
use ebm_hopfield::RecallOptions;
use ebm_hopfield::file::NetworkFile;
use ebm_mcmc::rng::stream;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The largest image side: 100 × 100 = 10⁴ units, a 400 MB weight matrix.
const MAX_SIDE: usize = 100;

/// Options of `ebm hopfield store`.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// PNG images to store (resized to --size × --size; dark pixels are on, +1).
    #[arg(value_name = "IMAGES")]
    images: Vec<PathBuf>,
    /// The storage rule (dense has no pairwise weights and cannot be stored).
    #[arg(long, value_enum, default_value_t = RuleArg::PseudoInverse)]
    rule: RuleArg,
    /// Side of the square grid the images are resized to.
    #[arg(long, default_value_t = 32)]
    size: usize,
    /// The network file to write (atomically).
    #[arg(short, long, value_name = "NET")]
    out: PathBuf,
    /// Seed (of the contrastive rule's negative phase).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// The rule's name as the command line spells it, kept in the file as metadata.
fn rule_name(rule: RuleArg) -> String {
    clap::ValueEnum::to_possible_value(&rule)
        .map_or_else(|| format!("{rule:?}"), |v| v.get_name().to_string())
}

/// An image read as ±1 pixels, and the (width, height) it had if it had to be resized.
type Read = (Vec<i8>, Option<(usize, usize)>);

/// Reads `path` as ±1 pixels of a `width × height` grid (dark = +1).
fn read_image(path: &Path, width: usize, height: usize) -> anyhow::Result<Read> {
    let image = ebm_data::png_io::read(path)?;
    let original = (image.width, image.height);
    let small = image.resized(height, width);
    let state = small.pixels.iter().map(|&p| if p < 0.5 { 1 } else { -1 }).collect();
    Ok((state, (original != (width, height)).then_some(original)))
}

fn check_side(size: usize) -> anyhow::Result<()> {
    if !(1..=MAX_SIDE).contains(&size) {
        bail!("--size {size}: the side must be between 1 and {MAX_SIDE} pixels");
    }
    Ok(())
}

/// Reads the images to store, each resized to `size × size`.
pub(super) fn read_images(paths: &[PathBuf], size: usize) -> anyhow::Result<Vec<Vec<i8>>> {
    if paths.is_empty() {
        bail!("no images given: name one or more PNG files");
    }
    check_side(size)?;
    paths.iter().map(|path| Ok(read_image(path, size, size)?.0)).collect()
}

/// Checks `--noise` and parses `--occlude`.
pub(super) fn corruption(noise: f64, occlude: Option<&str>) -> anyhow::Result<Option<Occlusion>> {
    if !(0.0..=1.0).contains(&noise) {
        bail!("--noise {noise}: the fraction of flipped units must lie in [0, 1]");
    }
    occlude.map(|spec| spec.parse::<Occlusion>().with_context(|| format!("--occlude {spec}"))).transpose()
}

/// `state` (a `width × height` ±1 image) with round(noise · N) units flipped,
/// then the `occlusion` blanked.
pub(super) fn corrupt(
    state: &[i8],
    (width, height): (usize, usize),
    noise: f64,
    occlusion: Option<Occlusion>,
    rng: &mut impl rand::Rng,
) -> anyhow::Result<Vec<i8>> {
    let noisy = ebm_data::patterns::corrupt(state, Domain::Spin, noise, rng)?;
    Ok(match occlusion {
        Some(region) => occlude(&noisy, Domain::Spin, width, height, region)?,
        None => noisy,
    })
}

/// Runs `ebm hopfield store`.
pub fn store_command(args: &StoreArgs) -> anyhow::Result<()> {
    if args.rule == RuleArg::Dense {
        bail!(
            "--rule dense: the dense associative memory has no pairwise weights to store; use it with `capacity`"
        );
    }
    check_output_directory(&args.out)?;
    let patterns = read_images(&args.images, args.size)?;
    let network = store(args.rule, &patterns, args.seed)?;
    let names = args.images.iter().map(|p| p.display().to_string()).collect();
    let file = NetworkFile::new(network, args.size, args.size, rule_name(args.rule), patterns, names)?;
    ebm_core::file::save(&args.out, &file)?;
    let (count, units, load) = (file.patterns().len(), file.units(), file.load());
    let fixed = file.fixed_points()?;
    if args.json {
        let value = json!({
            "network": display(&args.out), "rule": file.rule(), "patterns": count, "units": units,
            "width": file.width(), "height": file.height(), "load": load, "fixed_points": fixed,
            "hebbian_capacity": (args.rule == RuleArg::Hebbian).then_some(0.138 * units as f64),
        });
        return print_result(&serde_json::to_string(&value)?);
    }
    let guide = if args.rule == RuleArg::Hebbian {
        format!(" (Hebbian storage holds about 0.138 N = {:.0} patterns)", 0.138 * units as f64)
    } else {
        String::new()
    };
    print_result(&format!(
        "stored {count} patterns of {side}×{side} = {units} units by the {} rule, load α = P/N = {load:.4}{guide}; \
         {fixed} of {count} are fixed points; wrote {}",
        file.rule(),
        display(&args.out),
        side = args.size,
    ))
}

/// Runs `ebm hopfield recall --network NET PROBE…`.
pub fn recall_command(network: &Path, probes: &[PathBuf], settings: &RecallSettings) -> anyhow::Result<()> {
    if probes.is_empty() {
        bail!("no probe images given: ebm hopfield recall --network {} PROBE.png…", display(network));
    }
    let noise = settings.noise.unwrap_or(0.0);
    let occlusion = corruption(noise, settings.occlude.as_deref())?;
    let file: NetworkFile = ebm_core::file::load(network).map_err(|e| {
        let kind = ebm_core::file::peek_header(network).map(|h| h.kind).unwrap_or_default();
        if kind.is_empty() || kind == "hopfield" {
            anyhow!(e)
        } else {
            anyhow!(e).context(format!(
                "{} holds a {kind} model, not a Hopfield network (write one with `ebm hopfield store`)",
                display(network)
            ))
        }
    })?;
    let shape = (file.width(), file.height());
    let options = RecallOptions { update: settings.update.into(), max_sweeps: 1000, trace_energy: false };
    let mut rows: [Vec<Vec<i8>>; 4] = Default::default();
    let mut reports = Vec::new();
    if !settings.json {
        say!(
            "{:<24} {:<24} {:>9} {:>7} {:>7}  outcome",
            "probe",
            "nearest stored",
            "overlap",
            "sweeps",
            "flips"
        );
    }
    for (k, path) in probes.iter().enumerate() {
        let (probe, resized) = read_image(path, shape.0, shape.1)?;
        if let Some((w, h)) = resized {
            eprintln!(
                "ebm: note: {} is {w}×{h}; resized to the network's {}×{}",
                display(path),
                shape.0,
                shape.1
            );
        }
        let mut rng = stream(settings.seed, k as u64);
        let corrupted = corrupt(&probe, shape, noise, occlusion, &mut rng)?;
        let recall = file.network().recall(&corrupted, &options, &mut rng)?;
        let (nearest, overlaps) = file.nearest(&recall.state)?;
        let name = display(path);
        if settings.json {
            reports.push(json!({
                "name": name, "resized_from": resized.map(|(w, h)| [w, h]),
                "probe": probe, "corrupted": corrupted, "state": recall.state,
                "nearest": nearest, "nearest_name": file.names()[nearest], "overlap": overlaps[nearest],
                "overlaps": overlaps, "sweeps": recall.sweeps, "flips": recall.flips,
                "outcome": format!("{:?}", recall.outcome), "energy": recall.energy,
            }));
        } else {
            say!(
                "{name:<24} {:<24} {:>9.3} {:>7} {:>7}  {:?}",
                file.names()[nearest],
                overlaps[nearest],
                recall.sweeps,
                recall.flips,
                recall.outcome
            );
        }
        rows[0].push(probe);
        rows[1].push(corrupted);
        rows[2].push(recall.state);
        rows[3].push(file.patterns()[nearest].clone());
    }
    std::fs::create_dir_all(&settings.out).with_context(|| settings.out.display().to_string())?;
    let sheet = settings.out.join("hopfield-recall.png");
    // +1 is black ink on white paper; the probes fill the columns, one row per stage.
    let grey = |s: &Vec<i8>| s.iter().map(|&v| if v > 0 { 0.0 } else { 1.0 }).collect::<Vec<f32>>();
    let images: Vec<Vec<f32>> = rows.iter().flatten().map(grey).collect();
    render::write_grey_grid(&sheet, &images, (shape.1, shape.0), probes.len(), 4)?;
    if settings.json {
        let value = json!({
            "network": display(network), "rule": file.rule(), "units": file.units(),
            "width": shape.0, "height": shape.1, "stored": file.names(),
            "noise": noise, "occlude": occlusion.map(|o| o.to_string()),
            "update": format!("{:?}", settings.update), "seed": settings.seed, "probes": reports,
        });
        return print_result(&serde_json::to_string(&value)?);
    }
    say!("wrote {} (rows: probe, corrupted, recalled, nearest stored)", display(&sheet));
    Ok(())
}
