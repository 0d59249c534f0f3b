//! Samplers for continuous energies (being written).
