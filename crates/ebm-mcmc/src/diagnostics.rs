//! Chain diagnostics (being written).
