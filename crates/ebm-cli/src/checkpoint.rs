//! Checkpoints of the `train` commands: the flags, where the file goes, and
//! Ctrl-C, which stops training after the current batch and saves it.

use ebm_core::Result;
use ebm_train::fit::{Control, Every, Moment, Observer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit status after an interrupted run was saved (128 + SIGINT, as a
/// shell reports a process that SIGINT ended).
pub const INTERRUPTED: i32 = 130;

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

/// The checkpoint file beside the model file `out`: `DIR/STEM.ckpt`.
pub fn path_beside(out: &Path) -> PathBuf {
    out.with_extension("ckpt")
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
pub struct Interrupt {
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the Ctrl-C handler (once per process).
    pub fn install() -> Self {
        Self { flag: Arc::clone(interrupted()) }
    }

    /// Whether Ctrl-C was pressed.
    pub fn triggered(&self) -> bool {
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
