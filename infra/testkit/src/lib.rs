//! The one test-support crate. Every integration test builds on it, from the lowest fixture
//! it needs to the whole stack:
//!
//! | module | what a test gets |
//! |---|---|
//! | [`values`] | money, currencies and decimals from text |
//! | [`services`] | the endpoints of DynamoDB Local and moto, or a failure saying how to start them |
//! | [`stores`] | a memory store, or one on a fresh DynamoDB Local table |
//! | [`records`] | store inputs: a new deposit, a credit, a new withdrawal |
//! | [`books`] | the books check: the ledger sums to the balance, `held` to the open withdrawals |
//! | [`gateway`] | [`service::Deps`] with a gateway that is never reachable, for tests that must not call it |
//! | [`serve`] | an axum router on an ephemeral loopback port |
//! | [`sandbox`] | a sandbox with fast retries and a postback receiver that answers as scripted |
//! | [`world`] | the use cases in process: sandbox, memory store, manual clock, the real postback path |
//! | [`stack`] | the whole local stack (every function router) on DynamoDB Local, driven over HTTP |
//! | [`reliability`] | storms: bounded concurrency, faults, delivery accounting, books of many users |
//!
//! It depends on every layer it sets up, so only test targets depend on it (dev-dependencies);
//! the gateway's own crate (`paykassma`) tests against fixtures and PHP and needs none of it.

pub mod books;
pub mod gateway;
pub mod records;
pub mod reliability;
pub mod sandbox;
pub mod serve;
pub mod services;
pub mod stack;
pub mod stores;
pub mod values;
pub mod world;

pub use serde_json::json;
pub use stack::{Answer, Harness, User};
