//! `ebm-train`: the algorithms that change a model's parameters.
//!
//! This layer will hold Hopfield storage rules (Hebbian, Storkey,
//! pseudo-inverse, training as optimisation), Boltzmann-machine learning
//! (contrastive divergence, persistent CD, exact gradients for small models)
//! and training of continuous energy models. Models know what they are;
//! algorithms that change them live here. The crate is empty until later
//! issues fill it.
