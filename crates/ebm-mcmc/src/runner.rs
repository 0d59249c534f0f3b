//! Running a chain: burn-in, thinning, observables recorded as a [`Trace`],
//! and an [`Observer`] told of progress (for progress bars and logs).
//!
//! The runner is independent of the sampler: [`run_sweeps`] drives any
//! [`Sweep`] implementor — single-site, lattice or cluster — over its state,
//! and [`run`] calls a `sweep` closure, for anything else (tempering rounds,
//! several chains at once).

use crate::sweep::Sweep;
use ebm_core::{Error, Result};
use rand::Rng;

/// Most values a trace records (observables × samples), so that a mistaken
/// length fails cleanly instead of exhausting memory.
pub const MAX_TRACE_VALUES: usize = 1 << 28;

/// How long a chain runs: `burn_in` sweeps discarded, then `samples` values
/// of each observable recorded, one every `thin` sweeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLength {
    burn_in: usize,
    samples: usize,
    thin: usize,
}

impl RunLength {
    /// Validates the lengths: at least one sample, thinning at least 1.
    pub fn new(burn_in: usize, samples: usize, thin: usize) -> Result<Self> {
        if samples == 0 || thin == 0 {
            return Err(Error::Invalid {
                what: "run length".into(),
                reason: format!("samples ({samples}) and thinning ({thin}) must be at least 1"),
            });
        }
        samples.checked_mul(thin).and_then(|s| s.checked_add(burn_in)).ok_or_else(|| Error::TooLarge {
            what: format!("run of {burn_in} + {samples} × {thin} sweeps"),
            limit: usize::MAX as u64,
            found: u64::MAX,
        })?;
        Ok(Self { burn_in, samples, thin })
    }

    /// Sweeps in all: burn-in + samples × thin.
    pub fn total_sweeps(&self) -> usize {
        self.burn_in + self.samples * self.thin
    }

    /// Recorded samples.
    pub fn samples(&self) -> usize {
        self.samples
    }
}

/// Told of a run's progress; every method has a do-nothing default.
pub trait Observer {
    /// Called after each sweep with the sweeps done and the total.
    fn progress(&mut self, _done: usize, _total: usize) {}

    /// Called with each recorded sample (one value per observable).
    fn sample(&mut self, _index: usize, _values: &[f64]) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Observer for Silent {}

/// The recorded values of named observables, one series per observable.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    names: Vec<String>,
    series: Vec<Vec<f64>>,
}

impl Trace {
    /// The observables' names, in recording order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The series of observable `name`.
    pub fn series(&self, name: &str) -> Option<&[f64]> {
        self.names.iter().position(|n| n == name).map(|k| self.series[k].as_slice())
    }

    /// Every series, in the order of [`Trace::names`].
    pub fn all(&self) -> &[Vec<f64>] {
        &self.series
    }
}

/// Runs a chain for `length`: `sweep` advances it by one sweep; after the
/// burn-in, every `thin`-th sweep `measure` fills one value per name.
pub fn run(
    length: &RunLength,
    names: &[&str],
    mut sweep: impl FnMut() -> Result<()>,
    mut measure: impl FnMut(&mut [f64]),
    observer: &mut impl Observer,
) -> Result<Trace> {
    drive(length, names, &mut (), |_| sweep(), |_, row| measure(row), observer)
}

/// Runs `sampler` on `state` for `length`, drawing from `rng`: after the
/// burn-in, every `thin`-th sweep `measure` reads the state and fills one
/// value per name. Returns the trace and the sweeps' total statistics.
pub fn run_sweeps<S, K, R>(
    length: &RunLength,
    names: &[&str],
    sampler: &mut K,
    state: &mut S,
    rng: &mut R,
    mut measure: impl FnMut(&S, &mut [f64]),
    observer: &mut impl Observer,
) -> Result<(Trace, K::Stats)>
where
    S: ?Sized,
    K: Sweep<S> + ?Sized,
    R: Rng + ?Sized,
{
    let mut totals = K::Stats::default();
    let trace = drive(
        length,
        names,
        state,
        |state| {
            totals += sampler.sweep(state, rng)?;
            Ok(())
        },
        |state, row| measure(state, row),
        observer,
    )?;
    Ok((trace, totals))
}

/// The loop of [`run`] and [`run_sweeps`]: `sweep` and `measure` take turns
/// with the chain's state.
fn drive<S: ?Sized>(
    length: &RunLength,
    names: &[&str],
    state: &mut S,
    mut sweep: impl FnMut(&mut S) -> Result<()>,
    mut measure: impl FnMut(&S, &mut [f64]),
    observer: &mut impl Observer,
) -> Result<Trace> {
    let values = length.samples.saturating_mul(names.len());
    if values > MAX_TRACE_VALUES {
        return Err(Error::TooLarge {
            what: "trace (samples × observables)".into(),
            limit: MAX_TRACE_VALUES as u64,
            found: values as u64,
        });
    }
    let total = length.total_sweeps();
    let mut series = vec![Vec::with_capacity(length.samples); names.len()];
    let mut row = vec![0.0; names.len()];
    for done in 1..=total {
        sweep(state)?;
        observer.progress(done, total);
        if done > length.burn_in && (done - length.burn_in).is_multiple_of(length.thin) {
            measure(state, &mut row);
            if let Some(k) = row.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    what: format!("observable {}", names[k]),
                    index: done,
                    value: row[k],
                });
            }
            observer.sample(series.first().map_or(0, Vec::len), &row);
            series.iter_mut().zip(&row).for_each(|(s, &v)| s.push(v));
        }
    }
    Ok(Trace { names: names.iter().map(|n| n.to_string()).collect(), series })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        last_progress: (usize, usize),
        samples: usize,
    }

    impl Observer for Recorder {
        fn progress(&mut self, done: usize, total: usize) {
            self.last_progress = (done, total);
        }
        fn sample(&mut self, index: usize, _values: &[f64]) {
            assert_eq!(index, self.samples);
            self.samples += 1;
        }
    }

    #[test]
    fn burn_in_and_thinning_pick_the_right_sweeps() {
        let length = RunLength::new(5, 4, 3).unwrap();
        let counter = std::cell::Cell::new(0.0);
        let mut recorder = Recorder::default();
        let trace = run(
            &length,
            &["sweep", "square"],
            || {
                counter.set(counter.get() + 1.0);
                Ok(())
            },
            |row| {
                row[0] = counter.get();
                row[1] = counter.get() * counter.get();
            },
            &mut recorder,
        )
        .unwrap();
        assert_eq!(trace.series("sweep").unwrap(), &[8.0, 11.0, 14.0, 17.0]);
        assert_eq!(trace.series("square").unwrap()[0], 64.0);
        assert_eq!(recorder.last_progress, (17, 17));
        assert_eq!(recorder.samples, 4);
        assert!(trace.series("missing").is_none());
    }

    /// `run_sweeps` is the sampler's own chain: the same states and totals as
    /// sweeping by hand on the same random stream, measured at the same sweeps.
    #[test]
    fn run_sweeps_is_the_chain_of_the_sampler() {
        use crate::Sweep;
        use crate::lattice::LatticeSweeper;
        use crate::rng::seeded;
        let mut sweeper = LatticeSweeper::new(4, 4, 0.7, 0.1, crate::Rule::Metropolis, 2.0).unwrap();
        let length = RunLength::new(3, 5, 2).unwrap();
        let (mut spins, mut rng) = (vec![1i8; 16], seeded(8));
        let mut recorder = Recorder::default();
        let magnetisation = |s: &[i8]| s.iter().map(|&x| f64::from(x)).sum::<f64>();
        let (trace, totals) = run_sweeps(
            &length,
            &["m"],
            &mut sweeper,
            &mut spins[..],
            &mut rng,
            |s, row| row[0] = magnetisation(s),
            &mut recorder,
        )
        .unwrap();
        let (mut by_hand, mut hand_rng) = (vec![1i8; 16], seeded(8));
        let mut expected = (Vec::new(), crate::SweepStats::default());
        for done in 1..=13 {
            expected.1 += Sweep::sweep(&mut sweeper, &mut by_hand[..], &mut hand_rng).unwrap();
            if done > 3 && (done - 3) % 2 == 0 {
                expected.0.push(magnetisation(&by_hand));
            }
        }
        assert_eq!((trace.series("m").unwrap(), totals), (&expected.0[..], expected.1));
        assert_eq!((spins, totals.updates), (by_hand, 13 * 16));
        assert_eq!((recorder.last_progress, recorder.samples), ((13, 13), 5));
    }

    #[test]
    fn bad_lengths_and_values_are_refused() {
        assert!(RunLength::new(0, 0, 1).is_err());
        assert!(RunLength::new(0, 1, 0).is_err());
        assert!(RunLength::new(1, usize::MAX, 2).is_err());
        let length = RunLength::new(0, 2, 1).unwrap();
        assert!(run(&length, &["x"], || Ok(()), |row| row[0] = f64::NAN, &mut Silent).is_err());
        let huge = RunLength::new(0, MAX_TRACE_VALUES, 1).unwrap();
        assert!(run(&huge, &["a", "b"], || Ok(()), |_| {}, &mut Silent).is_err());
    }
}
