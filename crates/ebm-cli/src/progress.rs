//! A progress bar on standard error for long runs (hidden when standard
//! error is not a terminal, as in CI or when piped).

use crate::output::say;
use ebm_mcmc::runner::Observer;
use indicatif::{ProgressBar, ProgressStyle};

/// Shows a bar for runs of at least this many unit updates.
const MINIMUM_WORK: u64 = 50_000_000;

/// A progress bar that observes a chain run.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` steps labelled `what`, shown only when the run does
    /// at least [`MINIMUM_WORK`] unit updates (`work_per_step` each).
    pub fn new(total: u64, work_per_step: u64, what: &str) -> Self {
        let bar = (total.saturating_mul(work_per_step) >= MINIMUM_WORK).then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) =
                ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} [{elapsed_precise}, eta {eta}]")
            {
                bar.set_style(style);
            }
            bar.set_message(what.to_string());
            bar
        });
        Self { bar }
    }

    /// Advances the bar to `done` steps.
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Prints a line above the bar, or plainly without a visible one (a
    /// hidden bar would drop the line, for instance when output is piped).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(line),
            // A closed pipe (`ebm … | head`) must not end a training run.
            _ => say!("{line}"),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn progress(&mut self, done: usize, _total: usize) {
        if done.is_multiple_of(64) {
            self.set(done as u64);
        }
    }
}
