//! Dependencies for tests that must never reach the gateway: a postback needs only the keys,
//! an admin or account route only the store, and a reconciliation test may want a gateway
//! that refuses every connection.

use paykassma::Secret;
use paykassma::client::{Client, ClientConfig};
use paykassma::signature::PostbackKeys;
use service::{Deps, DepsBuilder};

/// A client for `http://127.0.0.1:9`: a privileged port no test server can bind, where
/// nothing listens, so any call is refused at once.
pub fn unreachable_gateway() -> Client {
    let url = url::Url::parse("http://127.0.0.1:9").expect("a fixed URL");
    Client::new(ClientConfig::new(
        url.clone(),
        url,
        Secret::new("s"),
        Secret::new("w"),
    ))
    .expect("a client for a fixed URL")
}

/// The postback keys the offline tests sign with.
pub fn keys() -> PostbackKeys {
    PostbackKeys {
        access_key: Secret::new("access-1"),
        private_key: Secret::new("private-1"),
    }
}

/// [`Deps`] on the unreachable gateway with [`keys`], a memory store and the default
/// settings, for the test to adjust before `build()`.
pub fn offline_deps() -> DepsBuilder {
    Deps::builder(unreachable_gateway(), keys())
}
