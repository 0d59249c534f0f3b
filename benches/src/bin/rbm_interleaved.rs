//! The RBM updates against their matrix products, interleaved: each round
//! times one epoch of the five products (`baseline` of `benches/rbm.rs`)
//! and, right after it, one epoch of an update, and takes the ratio of the
//! two. On a machine shared with other jobs, whose speed drifts from one
//! minute to the next, criterion's measurements of the two, made one after
//! the other over tens of seconds each, can see different machines; a round
//! here lasts about 40 ms, so both of its times see the same one. Prints,
//! for each update, the quartiles of the per-round ratio update / products
//! and the median throughput of each.
//!
//! `cargo xtask bench --interleaved` runs it after the criterion benchmarks;
//! alone: `cargo run --release -p ebm-benches --bin rbm_interleaved [ROUNDS]`.

use ebm_benches::rbm::{BATCH, BATCHES, data_and_model, epoch_states, sparse_products, trainer, updates};
use ebm_kernels::panels::Panels;
use ebm_kernels::workers::with_workers_awake;
use std::hint::black_box;
use std::time::Instant;

/// Rounds per update when no count is given.
const DEFAULT_ROUNDS: usize = 40;

/// The value at quantile q of sorted values (the nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let rounds = match std::env::args().nth(1).map(|count| count.parse::<usize>()) {
        None => DEFAULT_ROUNDS,
        Some(Ok(count)) if count > 0 => count,
        Some(_) => {
            eprintln!("usage: rbm_interleaved [ROUNDS > 0]");
            std::process::exit(2);
        }
    };
    let (data, rbm) = data_and_model();
    let states = epoch_states(&rbm, &data);
    let samples = (BATCH * BATCHES) as f64;
    let mut out: [Panels; 5] = Default::default();
    println!("{rounds} rounds of (products epoch, update epoch); ratio = update time / products time");
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>17} {:>17}",
        "update", "ratio q1", "median", "q3", "update samples/s", "products samples/s"
    );
    for (name, negatives, track) in updates() {
        let trainer = trainer(negatives, track);
        let mut measured: Vec<(f64, f64, f64)> = (0..rounds)
            .map(|_| {
                // Timed inside, as the trainer times its epoch: both start with the workers awake.
                let products = with_workers_awake(|| {
                    let start = Instant::now();
                    states.iter().for_each(|s| sparse_products(black_box(&rbm), s, &mut out));
                    start.elapsed().as_secs_f64()
                });
                let mut model = rbm.clone();
                let reports = with_workers_awake(|| trainer.train(&mut model, black_box(&data), &mut []))
                    .expect("finite parameters");
                let update: f64 = reports.iter().map(|report| report.seconds).sum();
                (update / products, products, update)
            })
            .collect();
        measured.sort_by(|a, b| a.0.total_cmp(&b.0));
        let ratios: Vec<f64> = measured.iter().map(|round| round.0).collect();
        let median_of = |pick: fn(&(f64, f64, f64)) -> f64| {
            let mut values: Vec<f64> = measured.iter().map(pick).collect();
            values.sort_by(f64::total_cmp);
            quantile(&values, 0.5)
        };
        println!(
            "{name:<28} {:>8.2} {:>8.2} {:>8.2} {:>17.0} {:>17.0}",
            quantile(&ratios, 0.25),
            quantile(&ratios, 0.5),
            quantile(&ratios, 0.75),
            samples / median_of(|round| round.2),
            samples / median_of(|round| round.1),
        );
    }
}
