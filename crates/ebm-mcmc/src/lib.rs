//! `ebm-mcmc`: Markov-chain Monte Carlo over the energies of `ebm-core`.
//!
//! This layer will hold the samplers every model above it uses — single-site
//! and block Gibbs, Metropolis–Hastings, Langevin/MALA, HMC, cluster updates,
//! simulated annealing, parallel tempering — and the chain diagnostics
//! (integrated autocorrelation time, effective sample size, split-R̂).
//! Samplers see models only through the `ebm-core` traits, with P(s) ∝ exp(−E(s)/T).
//! The crate is empty until the sampler issue fills it.
