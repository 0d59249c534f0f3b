//! [`with_workers_awake`]: runs a loop of many short parallel steps with
//! rayon's other workers kept awake between them.
//!
//! A training step is a chain of parallel steps of a few hundred
//! microseconds each (matrix products, draws, the gradient) joined by short
//! serial stretches. A rayon worker that finds no work spins only briefly,
//! then sleeps; waking it again takes the operating system a few tens of
//! microseconds, and a virtual machine often a hundred or more — as long as
//! half a step. [`with_workers_awake`] runs the loop on one worker and gives
//! every other worker a task that, until the loop ends, asks rayon for work
//! ([`rayon::yield_now`]) and, when there is none, offers its core to other
//! threads ([`std::thread::yield_now`]) and asks again; so work handed out by
//! the loop is taken at once. Like any rayon worker that waits, a waiting
//! task may also take up other jobs of the pool. Which thread computes what
//! does not change any result, so results stay the same at every thread
//! count; the price is that the waiting workers keep their cores busy while
//! the loop runs.

use std::sync::atomic::{AtomicBool, Ordering};

/// `work()`, run on a rayon worker while every other worker of the pool
/// waits for its parallel jobs awake (see the module docs).
pub fn with_workers_awake<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    let finished = &AtomicBool::new(false);
    rayon::scope(|scope| {
        let home = rayon::current_thread_index();
        for _ in 1..rayon::current_num_threads() {
            scope.spawn(move |_| wait_awake(finished, home));
        }
        // Set when `work` returns or unwinds, so that the waiting tasks end either way.
        let _finish = Finish(finished);
        work()
    })
}

/// Sets its flag when dropped.
struct Finish<'a>(&'a AtomicBool);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Runs the pool's jobs as they come until `finished`, yielding the core
/// whenever there is none. On the thread of the loop itself (which may pick
/// up this task while it waits for a job of its own) it returns at once: the
/// loop could not finish while it waits here.
fn wait_awake(finished: &AtomicBool, home: Option<usize>) {
    if rayon::current_thread_index() == home {
        return;
    }
    while !finished.load(Ordering::Acquire) {
        if rayon::yield_now() != Some(rayon::Yield::Executed) {
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn parallel_work_inside_gives_the_same_result_at_every_thread_count() {
        let sums = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                with_workers_awake(|| {
                    (0..50)
                        .map(|step| (0..10_000u64).into_par_iter().map(|i| (i * step) % 7).sum::<u64>())
                        .collect::<Vec<_>>()
                })
            })
        };
        let expected: Vec<u64> =
            (0..50u64).map(|step| (0..10_000u64).map(|i| (i * step) % 7).sum()).collect();
        for threads in [1, 2, 3] {
            assert_eq!(sums(threads), expected, "{threads} threads");
        }
    }

    #[test]
    fn a_panic_in_the_loop_reaches_the_caller() {
        let outcome = std::panic::catch_unwind(|| with_workers_awake(|| panic!("in the loop")));
        assert!(outcome.is_err());
    }

    #[test]
    fn nested_loops_finish() {
        let inner = with_workers_awake(|| with_workers_awake(|| rayon::join(|| 1, || 2)));
        assert_eq!(inner, (1, 2));
    }
}
