//! Everything a use case needs, built once per cold start and shared by reference, and the one
//! builder ([`DepsBuilder`]) that assembles it: Lambda bootstrap, the local stack and every test
//! build their [`Deps`] through it, so a new dependency is added in one place.

use std::sync::Arc;

use paykassma::client::Client;
use paykassma::credentials::{PreviousKeys, SecretsProvider};
use paykassma::signature::PostbackKeys;
use payments::Store;
use payments::clock::{Clock, SystemClock};
use payments::store::memory::MemoryStore;

use crate::settings::Settings;

/// The dependencies of every use case: the store, the gateway client (its secrets inside),
/// the postback keys, the clock and the settings.
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub gateway: Client,
    pub postback_keys: PostbackKeys,
    /// During a key rotation, the keys being replaced and until when they are accepted.
    pub previous_postback_keys: Option<PreviousKeys>,
    /// Where the keys above came from: asked again per postback (the provider caches for its
    /// TTL), so a key rotation reaches warm functions. `None`: the keys above are fixed.
    pub secrets: Option<Arc<dyn SecretsProvider>>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client and keys redact their secrets; the store is opaque.
        f.debug_struct("Deps")
            .field("gateway", &self.gateway)
            .field("postback_keys", &self.postback_keys)
            .field("previous_postback_keys", &self.previous_postback_keys)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Deps {
    /// The postback keys to verify with now, and the previous ones of a rotation: from the
    /// secrets provider (its cache, re-read after its TTL), or the keys read at cold start when
    /// there is no provider or it fails (a Secrets Manager outage must not refuse postbacks).
    pub async fn postback_key_set(&self) -> (PostbackKeys, Option<PreviousKeys>) {
        if let Some(provider) = &self.secrets {
            match provider.gateway_secrets().await {
                Ok(s) => return (s.postback_keys(), s.previous_postback_keys),
                Err(e) => tracing::warn!(
                    error = %e,
                    "cannot read the gateway secret; verifying with the keys read at start"
                ),
            }
        }
        (
            self.postback_keys.clone(),
            self.previous_postback_keys.clone(),
        )
    }

    /// Starts a builder for the gateway `client` and its postback keys. Defaults: the system
    /// clock, the settings' defaults, an in-memory store on the builder's clock.
    pub fn builder(gateway: Client, postback_keys: PostbackKeys) -> DepsBuilder {
        DepsBuilder {
            gateway,
            postback_keys,
            previous_postback_keys: None,
            secrets: None,
            store: None,
            clock: Arc::new(SystemClock),
            settings: None,
        }
    }
}

/// Builds [`Deps`]. The store is made last, from the builder's clock, unless one is given.
pub struct DepsBuilder {
    gateway: Client,
    postback_keys: PostbackKeys,
    previous_postback_keys: Option<PreviousKeys>,
    secrets: Option<Arc<dyn SecretsProvider>>,
    store: Option<StoreSource>,
    clock: Arc<dyn Clock>,
    settings: Option<Settings>,
}

/// Makes a store from the clock it must stamp records with.
type MakeStore = Box<dyn FnOnce(Arc<dyn Clock>) -> Arc<dyn Store> + Send>;

enum StoreSource {
    Given(Arc<dyn Store>),
    Make(MakeStore),
}

impl DepsBuilder {
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock the built [`Deps`] will carry (for stores built outside the builder).
    pub fn clock_handle(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The keys being replaced in a rotation, accepted until their `valid_until`.
    pub fn previous_postback_keys(mut self, previous: Option<PreviousKeys>) -> Self {
        self.previous_postback_keys = previous;
        self
    }

    /// The provider the keys came from, asked again per postback (see [`Deps::secrets`]).
    pub fn secrets_provider(mut self, provider: Arc<dyn SecretsProvider>) -> Self {
        self.secrets = Some(provider);
        self
    }

    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// A store built already (its clock is the caller's business).
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(StoreSource::Given(store));
        self
    }

    /// A store made from the builder's clock when [`Self::build`] runs, so records are
    /// stamped by the same clock the use cases read.
    pub fn store_with_clock(
        mut self,
        make: impl FnOnce(Arc<dyn Clock>) -> Arc<dyn Store> + Send + 'static,
    ) -> Self {
        self.store = Some(StoreSource::Make(Box::new(make)));
        self
    }

    pub fn build(self) -> Deps {
        let store = match self.store {
            Some(StoreSource::Given(s)) => s,
            Some(StoreSource::Make(make)) => make(self.clock.clone()),
            None => Arc::new(MemoryStore::with_clock(self.clock.clone())),
        };
        Deps {
            store,
            gateway: self.gateway,
            postback_keys: self.postback_keys,
            previous_postback_keys: self.previous_postback_keys,
            secrets: self.secrets,
            clock: self.clock,
            settings: self.settings.unwrap_or_default(),
        }
    }
}
