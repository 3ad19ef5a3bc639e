//! The payment window's redirect-URL hashes (PAYKASSMA.md section 2): the gateway hashes our
//! success/fail/pending URLs and a hash lives one day. They are kept in the store's cache with
//! their expiry; reconciliation re-requests them before they lapse, so building a window URL
//! (`POST /v1/deposits` with `"mode":"window"`, through [`usable`]) rarely waits for the
//! gateway. Nothing to do when no URL is configured.

use paykassma::client::{HashUrlRequest, OrderedUrl};
use serde::{Deserialize, Serialize};

use crate::Deps;
use crate::http::ApiError;

/// The cache key of the hashes.
pub const CACHE_KEY: &str = "hashurl";

/// The hashes for the configured URLs, with when they were fetched and when they lapse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowHashes {
    /// The URLs these hashes are for (a changed configuration refetches).
    pub urls: [Option<String>; 3],
    pub success_url: Option<String>,
    pub fail_url: Option<String>,
    pub pending_url: Option<String>,
    /// Unix seconds.
    pub fetched_at: i64,
    pub expires_at: i64,
}

/// What a refresh check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashRefresh {
    /// No window URL is configured.
    Skipped,
    /// The cached hashes are valid for longer than the refresh margin.
    Fresh,
    /// New hashes were fetched and cached.
    Refreshed,
}

impl HashRefresh {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skipped => "skipped",
            Self::Fresh => "fresh",
            Self::Refreshed => "refreshed",
        }
    }
}

fn configured(deps: &Deps) -> [Option<String>; 3] {
    let w = &deps.settings.window;
    [&w.success_url, &w.fail_url, &w.pending_url].map(|u| u.as_ref().map(|u| u.to_string()))
}

fn one(url: &Option<String>) -> Vec<OrderedUrl> {
    url.iter()
        .map(|u| OrderedUrl {
            order: 1,
            url: u.clone(),
        })
        .collect()
}

fn first(list: &[OrderedUrl]) -> Option<String> {
    list.iter().min_by_key(|u| u.order).map(|u| u.url.clone())
}

async fn cached(deps: &Deps) -> Result<Option<WindowHashes>, ApiError> {
    let Some(text) = deps.store.get_cache(CACHE_KEY).await? else {
        return Ok(None);
    };
    match serde_json::from_str::<WindowHashes>(&text) {
        Ok(h) => Ok(Some(h)),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable hash-url cache; refetching");
            Ok(None)
        }
    }
}

/// The hashes a window URL may carry now: refreshed first when due (a failed refresh is
/// logged, not fatal), then only hashes for the configured URLs that have not lapsed. `None`
/// when there are none, and the window URL falls back to the `payment_url_*_id` settings: a
/// lapsed hash is never handed out.
pub async fn usable(deps: &Deps) -> Result<Option<WindowHashes>, ApiError> {
    if let Err(e) = refresh_if_due(deps).await {
        tracing::warn!(error = %e, "window URL hashes not refreshed; using what is still valid");
    }
    let now = deps.clock.now().unix_timestamp();
    Ok(cached(deps)
        .await?
        .filter(|h| h.urls == configured(deps) && h.expires_at > now))
}

/// The current hashes: cached ones while they have more than the refresh margin left, else
/// fetched now. `None` when no window URL is configured.
pub async fn current(deps: &Deps) -> Result<Option<WindowHashes>, ApiError> {
    refresh_if_due(deps).await?;
    cached(deps).await
}

/// Re-requests the hashes when they are missing, for other URLs, or lapse within
/// `HASH_URL_REFRESH_BEFORE_SECONDS`.
pub async fn refresh_if_due(deps: &Deps) -> Result<HashRefresh, ApiError> {
    let urls = configured(deps);
    if urls.iter().all(Option::is_none) {
        return Ok(HashRefresh::Skipped);
    }
    let now = deps.clock.now();
    let margin = deps.settings.reconcile.hash_url_refresh_before.as_secs() as i64;
    if let Some(h) = cached(deps).await?
        && h.urls == urls
        && h.expires_at - now.unix_timestamp() > margin
    {
        return Ok(HashRefresh::Fresh);
    }
    let [success, fail, pending] = &urls;
    let hashed = deps
        .gateway
        .hash_url(&HashUrlRequest {
            success_urls: one(success),
            fail_urls: one(fail),
            pending_urls: one(pending),
        })
        .await?;
    let lifetime = deps.settings.reconcile.hash_url_lifetime;
    let expires_at = now + lifetime;
    let value = WindowHashes {
        urls: urls.clone(),
        success_url: first(&hashed.success_url),
        fail_url: first(&hashed.fail_url),
        pending_url: first(&hashed.pending_url),
        fetched_at: now.unix_timestamp(),
        expires_at: expires_at.unix_timestamp(),
    };
    let text = serde_json::to_string(&value)
        .map_err(|e| ApiError::Internal(format!("cannot encode hashes: {e}")))?;
    deps.store.put_cache(CACHE_KEY, &text, expires_at).await?;
    tracing::info!(expires_at = value.expires_at, "window URL hashes refreshed");
    Ok(HashRefresh::Refreshed)
}
