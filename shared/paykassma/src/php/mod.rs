//! PHP emulation for the gateway's signatures: a JSON tree that keeps number text and key
//! order ([`PhpValue`]) and borrows from the text it was parsed from, `json_encode`'s output
//! computed from received text without a tree (`canonical`), PHP's float formatting,
//! `json_encode`'s escaping, and the `ksort` + `multiImplode` preimage of request signatures.

pub mod canonical;
mod encode;
pub mod float;
mod grammar;
mod implode;
mod parse;
mod value;

pub use encode::{JsonFlags, encode};
pub use implode::{ImplodeError, php_string, sorted_implode};
pub use parse::{MAX_DEPTH, ParseError, Spanned, parse, parse_spanned};
pub use value::{PhpNumber, PhpValue, RawNumber};
