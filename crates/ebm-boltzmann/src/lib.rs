//! `ebm-boltzmann`: Boltzmann machines.
//!
//! This layer will hold general Boltzmann machines with visible, hidden and
//! label units, restricted Boltzmann machines (Bernoulli and
//! Gaussian–Bernoulli), deep Boltzmann machines, free energies, and exact and
//! AIS partition functions. The crate is empty until the Boltzmann-machine
//! issues fill it.
