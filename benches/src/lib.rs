//! Criterion benchmarks over the public APIs of the ebm crates.
//!
//! Each benchmark group measures the library beside a baseline in the same
//! run (a textbook implementation, named `baseline`), so speed is stated as
//! a ratio that survives a noisy machine. Run them all with
//! `cargo xtask bench`, which prints the ratios, or one group with
//! `cargo bench -p ebm-benches --bench exact`.

pub mod rbm;
