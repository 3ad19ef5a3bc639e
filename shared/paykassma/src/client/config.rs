//! Client configuration: hosts, credentials, timeouts and every endpoint path, with the
//! defaults of PAYKASSMA.md. Paths are data so a real capture that disagrees with the
//! documents is a configuration change, not a code change.

use std::time::Duration;

use url::Url;

use crate::Secret;

/// Everything the [`Client`](super::Client) needs. `Debug` prints the secrets as `***`.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// API host, e.g. `https://api.{server}`. A path prefix (`https://proxy/gw`) is kept:
    /// endpoint paths are appended to it.
    pub api_base: Url,
    /// Payment window host, e.g. `https://plugin.{server}` (used by window URL builders).
    pub plugin_base: Url,
    /// `pluginapi_secret`: sent as `?secret=` on every call but withdrawal creation.
    pub secret: Secret,
    /// Private key of the (W) signature on withdrawal requests.
    pub withdrawal_private_key: Secret,
    /// Whole-request deadline (connect, send, wait, read).
    pub timeout: Duration,
    /// Deadline for establishing the connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Endpoint paths.
    pub paths: Paths,
}

impl ClientConfig {
    /// A configuration with the default paths, a 30 s request timeout and a 5 s connect
    /// timeout.
    pub fn new(
        api_base: Url,
        plugin_base: Url,
        secret: Secret,
        withdrawal_private_key: Secret,
    ) -> Self {
        Self {
            api_base,
            plugin_base,
            secret,
            withdrawal_private_key,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            paths: Paths::default(),
        }
    }
}

/// Endpoint paths, appended to [`ClientConfig::api_base`]. `{wallet_type}` and
/// `{payment_system}` are replaced by the (percent-encoded) method name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// Section 2: `POST /api/v1/payment-plugin/hash-url`.
    pub hash_url: String,
    /// Section 3: `GET /api/v1/payment-systems/available`.
    pub payment_systems_available: String,
    /// Section 3: `GET /wallet-type/images/`.
    pub wallet_type_images: String,
    /// Section 4: `POST /api/v1/payment/save-transaction-custom-id`.
    pub save_transaction_custom_id: String,
    /// Section 5a.1: `POST /api/v1/transaction/create/{wallet_type}`.
    pub transaction_create: String,
    /// Section 5a.3: `POST /api/v1/transaction/activate`.
    pub transaction_activate: String,
    /// Section 5a.4: `POST /api/v1/possible-transaction/activate` (multipart).
    pub possible_transaction_activate: String,
    /// Sections 5b and 5c: `POST /api/v1/payment/create/{payment_system}` (UPI_S uses
    /// `upi_s`).
    pub payment_create: String,
    /// Section 5b: `POST /api/v1/payment/upi_s/status`.
    pub upi_s_status: String,
    /// Section 5d: `GET /api/v1/deposit-info`.
    pub deposit_info: String,
    /// Section 7: `POST /v2/withdrawal/create` (signed, no secret).
    pub withdrawal_create: String,
    /// Section 8: `GET /api/v1/postback`.
    pub postback: String,
    /// Section 8: `GET /api/v1/pullpostbacks`.
    pub pullpostbacks: String,
    /// Section 9: `GET /api/v1/accounts-balance`.
    pub accounts_balance: String,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            hash_url: "/api/v1/payment-plugin/hash-url".into(),
            payment_systems_available: "/api/v1/payment-systems/available".into(),
            wallet_type_images: "/wallet-type/images/".into(),
            save_transaction_custom_id: "/api/v1/payment/save-transaction-custom-id".into(),
            transaction_create: "/api/v1/transaction/create/{wallet_type}".into(),
            transaction_activate: "/api/v1/transaction/activate".into(),
            possible_transaction_activate: "/api/v1/possible-transaction/activate".into(),
            payment_create: "/api/v1/payment/create/{payment_system}".into(),
            upi_s_status: "/api/v1/payment/upi_s/status".into(),
            deposit_info: "/api/v1/deposit-info".into(),
            withdrawal_create: "/v2/withdrawal/create".into(),
            postback: "/api/v1/postback".into(),
            pullpostbacks: "/api/v1/pullpostbacks".into(),
            accounts_balance: "/api/v1/accounts-balance".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let cfg = ClientConfig::new(
            Url::parse("https://api.example.test").unwrap(),
            Url::parse("https://plugin.example.test").unwrap(),
            Secret::new("s3cr3t-plugin-api"),
            Secret::new("w-private-key-123"),
        );
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("s3cr3t-plugin-api"), "{dbg}");
        assert!(!dbg.contains("w-private-key-123"), "{dbg}");
        assert!(dbg.contains("/v2/withdrawal/create"));
    }
}
