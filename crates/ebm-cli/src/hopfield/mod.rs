//! `ebm hopfield`: store glyphs or images, corrupt and recall them, and
//! measure capacity; store images in a network file and recall from it
//! ([`files`]).

mod files;

use crate::output::say;
use crate::progress::Progress;
use crate::render;
use anyhow::Context;
use ebm_core::{DensePairwise, Domain, Result as CoreResult};
use ebm_hopfield::analysis::{classify, overlaps};
use ebm_hopfield::capacity::{CapacityPoint, Experiment, Memory};
use ebm_hopfield::dense::{DenseMemory, Interaction};
use ebm_hopfield::{Hopfield, RecallOptions, Update};
use ebm_mcmc::rng::stream;
use ebm_train::hopfield::contrastive::ContrastiveHopfield;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The storage rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RuleArg {
    /// w_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ.
    Hebbian,
    /// Storkey's incremental rule.
    Storkey,
    /// The projection rule W = Ξ(ΞᵀΞ)⁻¹Ξᵀ, diagonal removed.
    PseudoInverse,
    /// The note's training as optimisation (contrastive energy descent).
    Contrastive,
    /// Dense associative memory with F(x) = x³ (capacity only).
    Dense,
}

/// The update order of recall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UpdateArg {
    /// Units in order.
    Sequential,
    /// A fresh random order each sweep.
    Random,
    /// All units at once.
    Synchronous,
}

impl From<UpdateArg> for Update {
    fn from(u: UpdateArg) -> Update {
        match u {
            UpdateArg::Sequential => Update::Sequential,
            UpdateArg::Random => Update::RandomOrder,
            UpdateArg::Synchronous => Update::Synchronous,
        }
    }
}

/// Subcommands of `ebm hopfield`.
#[derive(clap::Subcommand)]
pub enum HopfieldCommand {
    /// Store the 12 built-in 16×16 letters, corrupt and recall them; write a PNG sheet and an energy plot.
    Demo(DemoArgs),
    /// Store PNG images (resized to --size², dark = on) in a network file.
    Store(files::StoreArgs),
    /// With --network NET: recall each PROBE.png from a stored network. Without it:
    /// store the IMAGES (resized to --size², dark = on), corrupt and recall them, as `demo` does.
    Recall(RecallArgs),
    /// Retrieval against load for N units and a rule, and the critical load.
    Capacity(CapacityArgs),
}

/// Options shared by `demo` and `recall`.
#[derive(clap::Args)]
pub struct RecallSettings {
    /// The storage rule.
    #[arg(long, value_enum, default_value_t = RuleArg::PseudoInverse)]
    rule: RuleArg,
    /// Fraction of units flipped in each probe [default: 0.15, or 0 with --network].
    #[arg(long)]
    noise: Option<f64>,
    /// Blank a part of each probe (its units set to off, i.e. white), after the noise:
    /// bottom:F, top:F, left:F or right:F (that fraction of the rows or columns),
    /// box:X,Y,W,H (fractions of the width and height), or a bare F for bottom:F.
    #[arg(long, value_name = "SPEC")]
    occlude: Option<String>,
    /// The update order.
    #[arg(long, value_enum, default_value_t = UpdateArg::Random)]
    update: UpdateArg,
    /// Directory for the pictures: hopfield-sheet.png and hopfield-energy.png
    /// (with --network: hopfield-recall.png).
    #[arg(short, long, default_value = ".")]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON (each pattern's probe, recalled state, overlap, sweeps,
    /// flips and energy per sweep; with --network each probe as read, corrupted
    /// and recalled, the nearest stored pattern and the overlaps with all of
    /// them) instead of the table; the pictures are still written.
    #[arg(long)]
    json: bool,
}

/// Options of `ebm hopfield demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    settings: RecallSettings,
}

/// Options of `ebm hopfield recall`.
#[derive(clap::Args)]
pub struct RecallArgs {
    /// PNG images: the probes with --network, otherwise the images to store.
    #[arg(value_name = "IMAGES")]
    images: Vec<PathBuf>,
    /// A network file written by `ebm hopfield store`: recall the probes from it
    /// (they are resized to its side; --rule and --size do not apply).
    #[arg(long, value_name = "NET", conflicts_with_all = ["size", "rule"])]
    network: Option<PathBuf>,
    /// Side of the square grid the images are resized to.
    #[arg(long, default_value_t = 32)]
    size: usize,
    #[command(flatten)]
    settings: RecallSettings,
}

/// Options of `ebm hopfield capacity`.
#[derive(clap::Args)]
pub struct CapacityArgs {
    /// Number of units N.
    #[arg(short, long, default_value_t = 200)]
    n: usize,
    /// The storage rule.
    #[arg(long, value_enum, default_value_t = RuleArg::Hebbian)]
    rule: RuleArg,
    /// Pattern sets per load.
    #[arg(long, default_value_t = 5)]
    trials: usize,
    /// Fraction of units flipped in each probe.
    #[arg(long, default_value_t = 0.05)]
    noise: f64,
    /// The mean recalled overlap below which retrieval counts as lost.
    #[arg(long, default_value_t = 0.9)]
    threshold: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write hopfield-capacity.png (mean recalled overlap in blue,
    /// fraction of fixed points in red, exact retrieval in green, against load).
    #[arg(short, long, default_value = ".")]
    out: PathBuf,
    /// Print JSON (the curve and the critical load) instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs `ebm hopfield`.
pub fn run(command: &HopfieldCommand) -> anyhow::Result<()> {
    match command {
        HopfieldCommand::Demo(args) => {
            let glyphs = ebm_data::glyphs::letters(2, Domain::Spin)?;
            let patterns = glyphs.to_states(Domain::Spin)?;
            let names: Vec<String> = ebm_data::glyphs::names().iter().map(char::to_string).collect();
            store_and_recall(&patterns, &names, 16, &args.settings)
        }
        HopfieldCommand::Store(args) => files::store_command(args),
        HopfieldCommand::Recall(args) => {
            if let Some(network) = &args.network {
                return files::recall_command(network, &args.images, &args.settings);
            }
            let patterns = files::read_images(&args.images, args.size)?;
            let names = args.images.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
            store_and_recall(&patterns, &names, args.size, &args.settings)
        }
        HopfieldCommand::Capacity(args) => capacity(args),
    }
}

/// Stores `patterns` with a pairwise rule.
fn store(rule: RuleArg, patterns: &[Vec<i8>], seed: u64) -> CoreResult<Hopfield<DensePairwise>> {
    let model = match rule {
        RuleArg::Hebbian => ebm_hopfield::storage::hebbian(patterns)?,
        RuleArg::Storkey => ebm_hopfield::storage::storkey(patterns)?,
        RuleArg::PseudoInverse => ebm_hopfield::storage::pseudo_inverse(patterns)?,
        RuleArg::Contrastive => {
            return Ok(ContrastiveHopfield { seed, ..ContrastiveHopfield::default() }.train(patterns)?.0);
        }
        RuleArg::Dense => {
            return Err(ebm_core::Error::Invalid {
                what: "rule".into(),
                reason: "the dense memory has no pairwise weights; use it with `capacity`".into(),
            });
        }
    };
    Hopfield::new(model)
}

fn store_and_recall(
    patterns: &[Vec<i8>],
    names: &[String],
    side: usize,
    settings: &RecallSettings,
) -> anyhow::Result<()> {
    let noise = settings.noise.unwrap_or(0.15);
    let occlusion = files::corruption(noise, settings.occlude.as_deref())?;
    let net = store(settings.rule, patterns, settings.seed)?;
    let options = RecallOptions { update: settings.update.into(), max_sweeps: 1000, trace_energy: true };
    let (mut corrupted, mut recalled, mut traces) = (Vec::new(), Vec::new(), Vec::new());
    let mut reports = Vec::new();
    if !settings.json {
        say!("{:<24} {:>9} {:>7} {:>7}  final state", "pattern", "overlap", "sweeps", "flips");
    }
    for (k, pattern) in patterns.iter().enumerate() {
        let mut rng = stream(settings.seed, k as u64);
        let probe = files::corrupt(pattern, (side, side), noise, occlusion, &mut rng)?;
        let recall = net.recall(&probe, &options, &mut rng)?;
        let overlap = overlaps(&recall.state, std::slice::from_ref(pattern))?[0];
        let class = classify(&recall.state, patterns, 0.0)?;
        let trace = recall.energy_trace.unwrap_or_default();
        if settings.json {
            reports.push(json!({
                "name": names[k], "pattern": pattern, "probe": probe, "state": recall.state,
                "overlap": overlap, "sweeps": recall.sweeps, "flips": recall.flips,
                "outcome": format!("{:?}", recall.outcome), "class": format!("{class:?}"),
                "energy": recall.energy, "energy_trace": trace,
            }));
        } else {
            say!(
                "{:<24} {overlap:>9.3} {:>7} {:>7}  {class:?} ({:?})",
                names[k],
                recall.sweeps,
                recall.flips,
                recall.outcome
            );
        }
        corrupted.push(probe);
        traces.push(trace);
        recalled.push(recall.state);
    }
    std::fs::create_dir_all(&settings.out).with_context(|| settings.out.display().to_string())?;
    let sheet = settings.out.join("hopfield-sheet.png");
    render::write_sheet(&sheet, &[patterns.to_vec(), corrupted, recalled], side, 4)?;
    let plot = settings.out.join("hopfield-energy.png");
    let series: Vec<&[f64]> = traces.iter().take(render::COLOURS.len()).map(Vec::as_slice).collect();
    render::write_line_plot(&plot, &series, None)?;
    if settings.json {
        let value = json!({
            "rule": format!("{:?}", settings.rule), "update": format!("{:?}", settings.update),
            "noise": noise, "occlude": occlusion.map(|o| o.to_string()), "seed": settings.seed, "units": side * side, "patterns": reports,
        });
        return crate::output::print_result(&serde_json::to_string(&value)?);
    }
    say!("wrote {} (rows: stored, corrupted, recalled)", display(&sheet));
    let colours: Vec<&str> = render::COLOURS.iter().map(|c| c.0).collect();
    say!(
        "wrote {} (energy per sweep of the first {} patterns: {})",
        display(&plot),
        series.len(),
        colours[..series.len()].join(", ")
    );
    Ok(())
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn capacity(args: &CapacityArgs) -> anyhow::Result<()> {
    let experiment = Experiment { units: args.n, trials: args.trials, noise: args.noise, seed: args.seed };
    let rule_arg = args.rule;
    let rule = move |p: &[Vec<i8>]| -> CoreResult<Box<dyn Memory>> {
        match rule_arg {
            RuleArg::Dense => Ok(Box::new(DenseMemory::new(p, Interaction::Polynomial(3))?)),
            other => Ok(Box::new(store(other, p, 0)?)),
        }
    };
    let loads: Vec<f64> = (1..=12).map(|k| 0.025 * f64::from(k)).collect();
    let progress = Progress::new(loads.len() as u64, u64::MAX, "loads");
    if !args.json {
        say!(
            "N = {}, rule {:?}, {} trials, {:.0}% noise",
            args.n,
            args.rule,
            args.trials,
            100.0 * args.noise
        );
        say!("{:>7} {:>5} {:>14} {:>14} {:>10}", "α", "K", "fixed points", "mean overlap", "retrieved");
    }
    let mut curve = Vec::with_capacity(loads.len());
    for (k, &load) in loads.iter().enumerate() {
        let point = experiment.curve(&[load], &rule)?[0];
        curve.push(point);
        progress.set(k as u64 + 1);
        if !args.json {
            say!(
                "{:>7.3} {:>5} {:>14.3} {:>14.3} {:>10.3}",
                point.load,
                point.patterns,
                point.fixed_fraction,
                point.mean_overlap,
                point.retrieval_rate
            );
        }
    }
    progress.finish();
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let plot = args.out.join("hopfield-capacity.png");
    let series = |f: fn(&CapacityPoint) -> f64| curve.iter().map(f).collect::<Vec<f64>>();
    let (overlap, fixed, retrieved) =
        (series(|p| p.mean_overlap), series(|p| p.fixed_fraction), series(|p| p.retrieval_rate));
    let range = (loads[0], loads[loads.len() - 1]);
    render::write_line_plot(&plot, &[&overlap, &fixed, &retrieved], Some(range))?;
    let critical = experiment.critical_load(args.threshold, args.n, &rule);
    if args.json {
        let point = |p: &CapacityPoint| {
            json!({
                "load": p.load, "patterns": p.patterns, "fixed_fraction": p.fixed_fraction,
                "mean_overlap": p.mean_overlap, "retrieval_rate": p.retrieval_rate,
            })
        };
        let (last_good, first_bad, reason) = match &critical {
            Ok((good, bad)) => (Some(point(good)), Some(point(bad)), None),
            Err(e) => (None, None, Some(e.to_string())),
        };
        let value = json!({
            "units": args.n, "rule": format!("{:?}", args.rule), "trials": args.trials,
            "noise": args.noise, "threshold": args.threshold, "seed": args.seed,
            "curve": curve.iter().map(point).collect::<Vec<_>>(),
            "critical": { "last_good": last_good, "first_bad": first_bad, "not_found": reason },
        });
        return crate::output::print_result(&serde_json::to_string_pretty(&value)?);
    }
    say!(
        "wrote {} (against the load α; blue: mean recalled overlap, red: fixed points, green: exactly retrieved)",
        display(&plot)
    );
    match critical {
        Ok((good, bad)) => say!(
            "critical load: between α = {:.4} (overlap {:.3}) and α = {:.4} (overlap {:.3})",
            good.load,
            good.mean_overlap,
            bad.load,
            bad.mean_overlap
        ),
        Err(e) => say!("critical load: {e}"),
    }
    Ok(())
}
