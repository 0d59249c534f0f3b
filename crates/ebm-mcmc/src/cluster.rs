//! Cluster updates for ferromagnetic pairwise models (being written).
