//! Everything a use case needs, built once per cold start and shared by reference.

use std::sync::Arc;

use paykassma::client::Client;
use paykassma::signature::PostbackKeys;
use payments::Store;

use crate::clock::Clock;
use crate::settings::Settings;

/// The dependencies of every use case: the store, the gateway client (its secrets inside),
/// the postback keys, the clock and the settings.
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub gateway: Client,
    pub postback_keys: PostbackKeys,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client and keys redact their secrets; the store is opaque.
        f.debug_struct("Deps")
            .field("gateway", &self.gateway)
            .field("postback_keys", &self.postback_keys)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
