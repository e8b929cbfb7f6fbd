//! The `podmark` command line.
fn main() {}
