//! Credit latency benchmark (written by the payments engineer).
fn main() {}
