//! The `ebm` command line.
fn main() {}
