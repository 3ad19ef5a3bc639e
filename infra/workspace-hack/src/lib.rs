//! Empty on purpose: this crate exists for its `Cargo.toml`, which `cargo hakari` fills with the
//! workspace's unified dependency features so that building one member alone reuses the
//! workspace build (see the comment at the top of that file).
