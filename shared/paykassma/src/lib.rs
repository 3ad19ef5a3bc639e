//! `paykassma`: a merchant-side client for the Paykassma payment gateway.
//!
//! - [`signature`]: the gateway's request (W) and postback (P) signatures, byte-exact with PHP.
//! - [`php`]: the PHP value model and JSON emulation those signatures rest on.
//! - [`postback`]: typed postbacks read leniently from verified bodies.
//! - [`money`]: exact amounts from numbers or strings.
//! - [`credentials`]: the merchant's four gateway keys and the port that provides them.
//!
//! No AWS code lives here: the crate can be published on its own.

pub mod client;
pub mod credentials;
pub mod money;
pub mod php;
pub mod postback;
pub mod qr;
pub mod secret;
pub mod signature;
pub mod upi;
pub mod window;

pub use secret::Secret;
