//! Cargo applies a crate's `[build-dependencies]` only when it has a build script; this one lets
//! the unified build-time features (syn, proc-macro2) reach every member.
fn main() {}
