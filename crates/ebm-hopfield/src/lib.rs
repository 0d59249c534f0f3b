//! `ebm-hopfield`: Hopfield networks and associative memories.
//!
//! This layer will hold the classical network on ±1 units (asynchronous,
//! random-order and synchronous updates over the `ebm-core` pairwise energy
//! E(s) = −½ sᵀWs − bᵀs), recall and its analysis, dense associative memory
//! and the continuous modern Hopfield network. The crate is empty until the
//! Hopfield issue fills it.
