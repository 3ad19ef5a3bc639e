//! The gateway credentials from one Secrets Manager secret, cached in memory for a TTL.
//!
//! Our own small cache over `aws-sdk-secretsmanager` rather than AWS's caching crate: that crate
//! depends on the SDK with its default features and so compiles a second TLS and HTTP stack.
//! The rules are the same: a value is served from memory until its TTL passes, one caller
//! refreshes it while the others wait (no stampede on a cold or expired entry), and a refresh
//! that fails for a transient reason serves the last good value rather than refusing postbacks.
//! A secret that is gone or malformed is an error at once: serving stale keys then would hide
//! a misconfiguration.

use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
use paykassma::credentials::{GatewaySecrets, SecretsError, SecretsProvider};
use tokio::sync::Mutex;

/// [`SecretsProvider`] on Secrets Manager. One secret per process.
pub struct SecretsManagerProvider {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    cache: TtlCache<GatewaySecrets>,
}

impl std::fmt::Debug for SecretsManagerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerProvider")
            .field("secret_id", &self.secret_id)
            .field("ttl", &self.cache.ttl)
            .finish_non_exhaustive()
    }
}

impl SecretsManagerProvider {
    /// From the standard AWS environment; `endpoint` overrides the service URL (moto locally).
    pub async fn new(
        secret_id: impl Into<String>,
        ttl: Duration,
        endpoint: Option<&str>,
    ) -> Result<Self, SecretsError> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        Ok(Self::from_builder(
            aws_sdk_secretsmanager::config::Builder::from(&sdk),
            secret_id,
            ttl,
        ))
    }

    /// From a prepared client configuration (region, credentials, endpoint).
    pub fn from_builder(
        builder: aws_sdk_secretsmanager::config::Builder,
        secret_id: impl Into<String>,
        ttl: Duration,
    ) -> Self {
        Self {
            client: aws_sdk_secretsmanager::Client::from_conf(builder.build()),
            secret_id: secret_id.into(),
            cache: TtlCache::new(ttl),
        }
    }

    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    async fn fetch(&self) -> Result<GatewaySecrets, SecretsError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| self.map_error(e))?;
        let text = out.secret_string().ok_or_else(|| SecretsError::Malformed {
            secret_id: self.secret_id.clone(),
            problem: "no string value (binary secrets are not supported)".into(),
        })?;
        GatewaySecrets::from_json(&self.secret_id, text)
    }

    fn map_error<E, R>(&self, e: SdkError<E, R>) -> SecretsError
    where
        E: std::error::Error + IsNotFound + 'static,
        R: std::fmt::Debug,
    {
        if e.as_service_error().is_some_and(IsNotFound::is_not_found) {
            return SecretsError::NotFound {
                secret_id: self.secret_id.clone(),
            };
        }
        SecretsError::Backend(format!(
            "get {}: {}",
            self.secret_id,
            DisplayErrorContext(&e)
        ))
    }
}

/// The one service error that is not transient.
trait IsNotFound {
    fn is_not_found(&self) -> bool;
}

impl IsNotFound for aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError {
    fn is_not_found(&self) -> bool {
        self.is_resource_not_found_exception()
    }
}

#[async_trait]
impl SecretsProvider for SecretsManagerProvider {
    async fn gateway_secrets(&self) -> Result<GatewaySecrets, SecretsError> {
        self.cache.get(|| self.fetch()).await
    }
}

/// One value kept for `ttl`; see the module's rules.
struct TtlCache<T> {
    ttl: Duration,
    slot: Mutex<Option<(Instant, T)>>,
}

impl<T: Clone> TtlCache<T> {
    fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slot: Mutex::new(None),
        }
    }

    /// The cached value while fresh; else `fetch`'s, kept. The lock is held across the fetch so
    /// concurrent callers wait for one refresh instead of each calling the service.
    async fn get<F, Fut>(&self, fetch: F) -> Result<T, SecretsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, SecretsError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((at, value)) = slot.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(value.clone());
        }
        match fetch().await {
            Ok(value) => {
                *slot = Some((Instant::now(), value.clone()));
                Ok(value)
            }
            Err(SecretsError::Backend(problem)) => match slot.as_ref() {
                Some((_, stale)) => {
                    // Retried on the next call: the stale entry keeps its old timestamp.
                    tracing::warn!(%problem, "secret refresh failed; serving the cached value");
                    Ok(stale.clone())
                }
                None => Err(SecretsError::Backend(problem)),
            },
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting(
        calls: &Arc<AtomicUsize>,
        answer: Result<u32, SecretsError>,
    ) -> impl Future<Output = Result<u32, SecretsError>> {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            answer
        }
    }

    #[tokio::test]
    async fn serves_from_memory_within_the_ttl_and_refreshes_after() {
        let cache = TtlCache::new(Duration::from_millis(200));
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(cache.get(|| counting(&calls, Ok(1))).await.unwrap(), 1);
        assert_eq!(cache.get(|| counting(&calls, Ok(2))).await.unwrap(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(cache.get(|| counting(&calls, Ok(2))).await.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_transient_failure_serves_the_last_value_and_retries_next_time() {
        let cache = TtlCache::new(Duration::ZERO);
        let calls = Arc::new(AtomicUsize::new(0));
        cache.get(|| counting(&calls, Ok(1))).await.unwrap();
        let stale = cache
            .get(|| counting(&calls, Err(SecretsError::Backend("timeout".into()))))
            .await;
        assert_eq!(stale.unwrap(), 1);
        assert_eq!(cache.get(|| counting(&calls, Ok(3))).await.unwrap(), 3);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_cold_failure_and_a_vanished_secret_are_errors() {
        let cache: TtlCache<u32> = TtlCache::new(Duration::ZERO);
        let calls = Arc::new(AtomicUsize::new(0));
        let cold = cache
            .get(|| counting(&calls, Err(SecretsError::Backend("down".into()))))
            .await;
        assert!(matches!(cold, Err(SecretsError::Backend(_))));
        cache.get(|| counting(&calls, Ok(1))).await.unwrap();
        let gone = cache
            .get(|| {
                counting(
                    &calls,
                    Err(SecretsError::NotFound {
                        secret_id: "s".into(),
                    }),
                )
            })
            .await;
        assert!(
            matches!(gone, Err(SecretsError::NotFound { .. })),
            "{gone:?}"
        );
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(TtlCache::new(Duration::from_secs(60)));
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (cache, calls) = (cache.clone(), calls.clone());
                tokio::spawn(async move {
                    cache
                        .get(|| async {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            counting(&calls, Ok(7)).await
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
