//! What the `train` commands share: checkpoint flags and files, Ctrl-C
//! (which stops training after the current batch and saves the run), the
//! run itself, and the metrics log.

use crate::output::say;
use ebm_core::Result;
use ebm_train::fit::{Checkpointed, Control, EpochReport, Every, Fit, Learner, Moment, Observer, Outcome};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit status after an interrupted run was saved (128 + SIGINT, as a
/// shell reports a process that SIGINT ended).
const INTERRUPTED: i32 = 130;

/// Checkpoint flags of a `train` command.
#[derive(clap::Args, Clone, Debug)]
pub struct CheckpointArgs {
    /// Save the whole run — model, velocities, chains, random state, epoch —
    /// to OUT's stem + `.ckpt` every N epochs and at the end (0: only when
    /// interrupted by Ctrl-C, which always saves it).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub checkpoint_every: usize,
    /// Continue the run saved in FILE: its settings and data shape are kept,
    /// --epochs sets the total number of epochs to reach, and the result is
    /// the same as a run never stopped.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
}

/// The checkpoint file beside the model file `out`: `DIR/STEM.ckpt`, or
/// `DIR/STEM.run.ckpt` when the model file itself is named `….ckpt`, so the
/// two never share a path.
fn path_beside(out: &Path) -> PathBuf {
    if out.extension().is_some_and(|e| e == "ckpt") {
        out.with_extension("run.ckpt")
    } else {
        out.with_extension("ckpt")
    }
}

/// Set by Ctrl-C; read by [`Interrupt`] after each batch.
fn interrupted() -> &'static Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let handler_flag = Arc::clone(&flag);
        // A first Ctrl-C asks training to stop and save; a second one, while
        // it does, ends the process at once.
        let installed = ctrlc::set_handler(move || {
            if handler_flag.swap(true, Ordering::SeqCst) {
                std::process::exit(INTERRUPTED);
            }
        });
        if let Err(error) = installed {
            eprintln!("ebm: warning: Ctrl-C will not save the run ({error})");
        }
        flag
    })
}

/// An observer that stops the run after the batch during which Ctrl-C was
/// pressed.
struct Interrupt {
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the Ctrl-C handler (once per process).
    fn install() -> Self {
        Self { flag: Arc::clone(interrupted()) }
    }

    /// Whether Ctrl-C was pressed.
    fn triggered(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl<M> Observer<M> for Interrupt {
    fn every(&self) -> Every {
        Every::Batch
    }

    fn observe(&mut self, _: Moment<'_>, _: &M) -> Result<Control> {
        Ok(if self.triggered() { Control::Stop } else { Control::Continue })
    }
}

/// A training run from the command line: its checkpoint file, the schedule
/// of checkpoints and the Ctrl-C handler.
pub struct Session {
    interrupt: Interrupt,
    checkpoint: PathBuf,
    every: usize,
    workers_awake: bool,
}

impl Session {
    /// A session writing its checkpoints beside the model file `out`.
    pub fn new(args: &CheckpointArgs, out: &Path) -> Self {
        Self {
            interrupt: Interrupt::install(),
            checkpoint: path_beside(out),
            every: args.checkpoint_every,
            workers_awake: false,
        }
    }

    /// Reads the run to resume, if `--resume` was given, and sets it to
    /// train to `epochs` in all (the same model as a run never stopped when
    /// `epochs` is the run's own; a schedule over the epochs otherwise
    /// stretches to the new total).
    pub fn resume<L>(args: &CheckpointArgs, epochs: usize) -> anyhow::Result<Option<Fit<L>>>
    where
        L: Checkpointed,
        L::Model: Serialize + DeserializeOwned,
    {
        let Some(path) = &args.resume else {
            return Ok(None);
        };
        let mut fit = Fit::<L>::load(path)?;
        let planned = std::mem::replace(&mut fit.plan_mut().epochs, epochs);
        if planned != epochs {
            say!(
                "note: the run was planned for {planned} epochs; a learning rate that changes over the run now spans {epochs}"
            );
        }
        say!(
            "resuming {} after {} epochs and {} batches; training to epoch {epochs}",
            path.display(),
            fit.epochs_done(),
            fit.batches_done(),
        );
        Ok(Some(fit))
    }

    /// The pool's other threads wait for the steps awake while the run
    /// trains (for the Bernoulli RBM's short parallel steps; a learner whose
    /// steps run on one thread would only keep the other cores busy).
    pub fn keep_workers_awake(mut self) -> Self {
        self.workers_awake = true;
        self
    }

    /// Trains `fit` on `data`, calling `observers`, saving checkpoints on
    /// schedule and on Ctrl-C.
    pub fn run<L>(
        &mut self,
        fit: &mut Fit<L>,
        data: &L::Data,
        observers: &mut [&mut dyn Observer<L::Model>],
    ) -> ebm_core::Result<Outcome>
    where
        L: Checkpointed + Send,
        L::Model: Serialize + DeserializeOwned + Send,
        L::Data: Sync,
    {
        let (checkpoint, every, interrupt) = (&self.checkpoint, self.every, &mut self.interrupt);
        let mut run = move || {
            let mut all: Vec<&mut dyn Observer<L::Model>> = Vec::with_capacity(observers.len() + 1);
            for observer in observers.iter_mut() {
                all.push(&mut **observer);
            }
            all.push(interrupt);
            fit.run_with_checkpoints(data, &mut all, checkpoint, every)
        };
        if self.workers_awake { ebm_kernels::workers::with_workers_awake(run) } else { run() }
    }

    /// After the model and logs are written: says where the checkpoint is
    /// and, if Ctrl-C stopped the run, ends the process with status 130.
    pub fn finish<L: Learner>(&self, outcome: Outcome, fit: &Fit<L>) {
        if outcome == Outcome::Stopped && self.interrupt.triggered() {
            say!(
                "interrupted after {} epochs and {} batches; wrote {} — continue with --resume {}",
                fit.epochs_done(),
                fit.batches_done(),
                self.checkpoint.display(),
                self.checkpoint.display()
            );
            std::process::exit(INTERRUPTED);
        }
        if self.every > 0 {
            say!("wrote {} (the run, to continue with --resume)", self.checkpoint.display());
        }
    }
}

/// The metrics log: a header, then one row per epoch — its number (from 1),
/// seconds, learning rate and the metrics `columns` (empty where an epoch
/// has none).
pub fn metrics_csv(history: &[EpochReport], columns: &[String]) -> String {
    let mut csv = format!("epoch,seconds,learning_rate,{}\n", columns.join(","));
    for report in history {
        let values: Vec<String> =
            columns.iter().map(|c| report.metric(c).map_or(String::new(), |v| v.to_string())).collect();
        csv.push_str(&format!(
            "{},{:.6},{},{}\n",
            report.epoch + 1,
            report.seconds,
            report.learning_rate,
            values.join(",")
        ));
    }
    csv
}

/// The values of metric `name` in each epoch of `history` (NaN where missing).
pub fn series(history: &[EpochReport], name: &str) -> Vec<f64> {
    history.iter().map(|r| r.metric(name).unwrap_or(f64::NAN)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpoint_never_takes_the_model_file_s_path() {
        assert_eq!(path_beside(Path::new("out/rbm.ebm")), Path::new("out/rbm.ckpt"));
        assert_eq!(path_beside(Path::new("rbm")), Path::new("rbm.ckpt"));
        assert_eq!(path_beside(Path::new("run.ckpt")), Path::new("run.run.ckpt"));
    }
}
