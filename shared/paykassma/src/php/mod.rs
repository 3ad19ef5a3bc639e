//! PHP emulation for the gateway's signatures: a JSON tree that keeps number text and key
//! order ([`PhpValue`]), a scan that reads JSON without building one (`scan`), PHP's float
//! formatting, `json_encode`'s escaping, and the `ksort` + `multiImplode` preimage of request
//! signatures.

mod encode;
pub mod float;
mod grammar;
mod implode;
mod parse;
pub mod scan;
mod value;

pub use encode::{JsonFlags, encode};
pub use implode::{ImplodeError, php_string, sorted_implode};
pub use parse::{MAX_DEPTH, ParseError, parse};
pub use value::{PhpNumber, PhpValue, RawNumber};
