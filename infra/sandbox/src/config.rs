//! The sandbox's configuration: keys, the payment systems it offers, and every behaviour the
//! documents leave open (retry schedule, savings minimums, suspect rule, settlement delay).
//! Everything has a default, so `SandboxConfig::default()` is a working gateway; a JSON file
//! with any subset of the fields overrides it (`--config file.json`).

use std::collections::BTreeMap;
use std::time::Duration;

use paykassma::Secret;
use paykassma::signature::{PostbackKeys, Scheme};
use rust_decimal::Decimal;
use serde::Deserialize;

/// How a payment system takes deposits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositKind {
    /// `transaction/create` + activation by the user's transaction number (UPI P2P, paytm, ...).
    Activation,
    /// `payment/create/upi_s`: a QR order.
    UpiQr,
    /// `payment/create/{ps}`: the user is redirected and pays there.
    Redirect,
}

/// Minimum and maximum deposit for one currency.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Limit {
    pub min: Decimal,
    pub max: Decimal,
}

/// One payment system offered for deposits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletConfig {
    /// `wallet_type`, e.g. `upi_l`.
    #[serde(rename = "type")]
    pub wallet_type: String,
    pub name: String,
    pub kind: DepositKind,
    #[serde(default)]
    pub is_manual: bool,
    /// Limits per currency; the currencies the method accepts are these keys.
    pub limits: BTreeMap<String, Limit>,
    /// Savings ("stockpiling") minimum per currency: payments below it accumulate per label.
    #[serde(default)]
    pub minimum_deposit: BTreeMap<String, Decimal>,
    /// Whether `transaction/activate` requires `amount` (UPI P2P, PhonePe: yes; bKash, Nagad: no).
    #[serde(default = "yes")]
    pub activation_requires_amount: bool,
    /// When set, `key1` must be exactly this many digits (UPI UTR: 12).
    #[serde(default)]
    pub key1_digits: Option<usize>,
    /// The wallet identifier `transaction/create` hands out (VPA or wallet number).
    #[serde(default)]
    pub identifier: Option<String>,
}

fn yes() -> bool {
    true
}

/// Postback retry schedule: exponential backoff from `initial` to `max`, at most
/// `max_attempts` deliveries in all (0 = unlimited).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub max_attempts: u32,
    /// Per-attempt HTTP timeout.
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            max_attempts: 20,
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Short delays for tests.
    pub fn fast() -> Self {
        Self {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            max_attempts: 10,
            attempt_timeout: Duration::from_secs(2),
        }
    }
}

/// A gateway balance row of `accounts-balance`. The amount keeps its scale on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BalanceConfig {
    pub wallet_type: String,
    pub currency_code: String,
    pub amount: Decimal,
}

/// Everything the sandbox needs to run.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Interface to bind (default 127.0.0.1).
    pub host: String,
    /// `pluginapi_secret`, checked on every `/api/v1` call.
    pub secret: Secret,
    /// Key of the (W) withdrawal signature.
    pub withdrawal_private_key: Secret,
    /// Keys the postbacks are signed with.
    pub postback_keys: PostbackKeys,
    /// (P) by default, (W) by option.
    pub postback_scheme: Scheme,
    /// Where postbacks go; settable later through the handle or `POST /_sandbox/config`.
    pub postback_url: Option<String>,
    pub retry: RetryPolicy,
    pub wallets: Vec<WalletConfig>,
    /// Withdrawal payment systems and the fields each requires (dotted for nested ones).
    pub withdrawal_methods: BTreeMap<String, Vec<String>>,
    /// A `key1` starting with this prefix is a suspect transaction (answer `pending`).
    pub suspect_key1_prefix: String,
    /// After this delay a new withdrawal is processed on its own; `None`: only by control route.
    pub withdrawal_auto_settle: Option<Duration>,
    /// Lifetime of `hash-url` hashes (1 day at the gateway).
    pub hash_lifetime: Duration,
    /// Gateway balances the merchant starts with.
    pub balances: Vec<BalanceConfig>,
    /// Gateway time zone offset for `created_datetime` (hours east of UTC).
    pub gateway_utc_offset_hours: i8,
    /// HTTP status of `{"status":"fail"}` and `{"status":"pending"}` answers.
    pub error_http_status: u16,
    /// How long the `timeout` fault holds a request before dropping it.
    pub fault_hold: Duration,
    /// The VPA in `upi_s` QR data.
    pub upi_payee_vpa: String,
    /// The payee name in `upi_s` QR data.
    pub upi_payee_name: String,
    /// Most entries one `pullpostbacks` page returns.
    pub pullpostbacks_max_limit: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            port: 0,
            host: "127.0.0.1".into(),
            secret: Secret::new("sandbox-secret"),
            withdrawal_private_key: Secret::new("sandbox-withdrawal-key"),
            postback_keys: PostbackKeys {
                access_key: Secret::new("sandbox-access-key"),
                private_key: Secret::new("sandbox-private-key"),
            },
            postback_scheme: Scheme::Postback,
            postback_url: None,
            retry: RetryPolicy::default(),
            wallets: default_wallets(),
            withdrawal_methods: default_withdrawal_methods(),
            suspect_key1_prefix: "9999".into(),
            withdrawal_auto_settle: None,
            hash_lifetime: Duration::from_secs(24 * 3600),
            balances: vec![
                BalanceConfig {
                    wallet_type: "upi_l".into(),
                    currency_code: "INR".into(),
                    amount: Decimal::new(100_000_000, 2),
                },
                BalanceConfig {
                    wallet_type: "bkash".into(),
                    currency_code: "BDT".into(),
                    amount: Decimal::new(50_000_000, 2),
                },
            ],
            gateway_utc_offset_hours: 8,
            error_http_status: 400,
            fault_hold: Duration::from_secs(60),
            upi_payee_vpa: "sandbox@upi".into(),
            upi_payee_name: "Paykassma Sandbox".into(),
            pullpostbacks_max_limit: 100,
        }
    }
}

fn limits(cur: &str, min: i64, max: i64) -> BTreeMap<String, Limit> {
    BTreeMap::from([(
        cur.to_string(),
        Limit {
            min: Decimal::from(min),
            max: Decimal::from(max),
        },
    )])
}

fn activation(wallet_type: &str, name: &str, cur: &str, min: i64, max: i64) -> WalletConfig {
    WalletConfig {
        wallet_type: wallet_type.into(),
        name: name.into(),
        kind: DepositKind::Activation,
        is_manual: false,
        limits: limits(cur, min, max),
        minimum_deposit: BTreeMap::new(),
        activation_requires_amount: true,
        key1_digits: None,
        identifier: None,
    }
}

/// The methods of the seeds: UPI P2P (12-digit UTR), Paytm with savings (minimum 148 INR, as in
/// the `deposit-info` example), PhonePe, bKash and Nagad (no amount on activation), a manual
/// UPI method, `upi_s`, and a redirect method.
pub fn default_wallets() -> Vec<WalletConfig> {
    let mut out = Vec::new();
    for (t, name) in [
        ("upi_l", "UPI L"),
        ("upi_ib", "UPI IB"),
        ("upi_hb", "UPI HB"),
        ("upi_in", "UPI IN"),
        ("upi_w", "UPI W"),
        ("upi_m", "UPI M"),
    ] {
        let mut w = activation(t, name, "INR", 100, 50_000);
        w.key1_digits = Some(12);
        w.identifier = Some(format!("{t}.sandbox@upi"));
        out.push(w);
    }
    let mut paytm = activation("paytm", "PayTM", "INR", 100, 20_000);
    paytm.minimum_deposit = BTreeMap::from([("INR".into(), Decimal::from(148))]);
    paytm.identifier = Some("6234234234".into());
    out.push(paytm);
    let mut phone_pe = activation("phone_pe", "PhonePe", "INR", 100, 8_000);
    phone_pe.identifier = Some("sandbox@ybl".into());
    out.push(phone_pe);
    for (t, name, wallet) in [
        ("bkash", "bKash", "01712345678"),
        ("nagad", "Nagad", "01812345678"),
    ] {
        let mut w = activation(t, name, "BDT", 100, 25_000);
        w.activation_requires_amount = false;
        w.identifier = Some(wallet.into());
        out.push(w);
    }
    let mut manual = activation("upi_ml", "UPI manual", "INR", 100, 50_000);
    manual.is_manual = true;
    manual.key1_digits = Some(12);
    manual.identifier = Some("upi_ml.sandbox@upi".into());
    out.push(manual);
    out.push(WalletConfig {
        wallet_type: "upi_s".into(),
        name: "UPI S".into(),
        kind: DepositKind::UpiQr,
        is_manual: false,
        limits: limits("INR", 100, 50_000),
        minimum_deposit: BTreeMap::new(),
        activation_requires_amount: true,
        key1_digits: None,
        identifier: None,
    });
    let mut redirect = WalletConfig {
        wallet_type: "help2pay".into(),
        name: "Help2Pay".into(),
        kind: DepositKind::Redirect,
        is_manual: false,
        limits: limits("USD", 10, 10_000),
        minimum_deposit: BTreeMap::new(),
        activation_requires_amount: true,
        key1_digits: None,
        identifier: None,
    };
    redirect.limits.insert(
        "MYR".into(),
        Limit {
            min: Decimal::from(50),
            max: Decimal::from(50_000),
        },
    );
    out.push(redirect);
    out
}

/// Required fields per withdrawal payment system, from the documents' tables (`account_name` for
/// imps_ib/upi_ib, `receiver_name` for imps, `account_email` for bkash, IFSC for Indian banks).
pub fn default_withdrawal_methods() -> BTreeMap<String, Vec<String>> {
    let m = |fields: &[&str]| fields.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    BTreeMap::from([
        (
            "imps".into(),
            m(&["account_number", "receiver_name", "bank_details.bank_code"]),
        ),
        (
            "imps_ib".into(),
            m(&["account_number", "account_name", "bank_details.bank_code"]),
        ),
        ("upi_ib".into(), m(&["account_number", "account_name"])),
        ("paytm".into(), m(&["account_number"])),
        ("paytm_api".into(), m(&["account_number"])),
        ("bkash".into(), m(&["account_number", "account_email"])),
        ("bkash_api".into(), m(&["account_number"])),
        ("nagad".into(), m(&["account_number"])),
        ("nagad_api".into(), m(&["account_number"])),
        ("easypaisa_api".into(), m(&["account_number"])),
    ])
}

/// The JSON configuration file: every field optional, durations in milliseconds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    pub port: Option<u16>,
    pub host: Option<String>,
    pub secret: Option<Secret>,
    pub withdrawal_private_key: Option<Secret>,
    pub postback_access_key: Option<Secret>,
    pub postback_private_key: Option<Secret>,
    pub postback_scheme: Option<Scheme>,
    pub postback_url: Option<String>,
    pub retry_initial_ms: Option<u64>,
    pub retry_max_ms: Option<u64>,
    pub retry_max_attempts: Option<u32>,
    pub retry_attempt_timeout_ms: Option<u64>,
    pub wallets: Option<Vec<WalletConfig>>,
    pub withdrawal_methods: Option<BTreeMap<String, Vec<String>>>,
    pub suspect_key1_prefix: Option<String>,
    pub withdrawal_auto_settle_ms: Option<u64>,
    pub hash_lifetime_secs: Option<u64>,
    pub balances: Option<Vec<BalanceConfig>>,
    pub gateway_utc_offset_hours: Option<i8>,
    pub error_http_status: Option<u16>,
    pub fault_hold_ms: Option<u64>,
    pub upi_payee_vpa: Option<String>,
    pub upi_payee_name: Option<String>,
    pub pullpostbacks_max_limit: Option<usize>,
}

impl ConfigFile {
    /// Applies the fields present in the file over `base`.
    pub fn apply(self, mut base: SandboxConfig) -> SandboxConfig {
        let ms = Duration::from_millis;
        macro_rules! set {
            ($field:ident => $target:expr) => {
                if let Some(v) = self.$field {
                    $target = v;
                }
            };
        }
        set!(port => base.port);
        set!(host => base.host);
        set!(secret => base.secret);
        set!(withdrawal_private_key => base.withdrawal_private_key);
        set!(postback_access_key => base.postback_keys.access_key);
        set!(postback_private_key => base.postback_keys.private_key);
        set!(postback_scheme => base.postback_scheme);
        if self.postback_url.is_some() {
            base.postback_url = self.postback_url;
        }
        if let Some(v) = self.retry_initial_ms {
            base.retry.initial = ms(v);
        }
        if let Some(v) = self.retry_max_ms {
            base.retry.max = ms(v);
        }
        set!(retry_max_attempts => base.retry.max_attempts);
        if let Some(v) = self.retry_attempt_timeout_ms {
            base.retry.attempt_timeout = ms(v);
        }
        set!(wallets => base.wallets);
        set!(withdrawal_methods => base.withdrawal_methods);
        set!(suspect_key1_prefix => base.suspect_key1_prefix);
        if let Some(v) = self.withdrawal_auto_settle_ms {
            base.withdrawal_auto_settle = Some(ms(v));
        }
        if let Some(v) = self.hash_lifetime_secs {
            base.hash_lifetime = Duration::from_secs(v);
        }
        set!(balances => base.balances);
        set!(gateway_utc_offset_hours => base.gateway_utc_offset_hours);
        set!(error_http_status => base.error_http_status);
        if let Some(v) = self.fault_hold_ms {
            base.fault_hold = ms(v);
        }
        set!(upi_payee_vpa => base.upi_payee_vpa);
        set!(upi_payee_name => base.upi_payee_name);
        set!(pullpostbacks_max_limit => base.pullpostbacks_max_limit);
        base
    }
}

impl SandboxConfig {
    pub fn wallet(&self, wallet_type: &str) -> Option<&WalletConfig> {
        self.wallets.iter().find(|w| w.wallet_type == wallet_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_only_what_it_names() {
        let file: ConfigFile = serde_json::from_str(
            r#"{"port":3100,"secret":"s3","retry_initial_ms":5,"withdrawal_auto_settle_ms":250,
                "wallets":[{"type":"upi_l","name":"UPI","kind":"activation","limits":{"INR":{"min":"100","max":"500"}},"key1_digits":12}]}"#,
        )
        .unwrap();
        let cfg = file.apply(SandboxConfig::default());
        assert_eq!(cfg.port, 3100);
        assert!(cfg.secret.ct_eq("s3"));
        assert_eq!(cfg.retry.initial, Duration::from_millis(5));
        assert_eq!(cfg.retry.max, RetryPolicy::default().max);
        assert_eq!(cfg.withdrawal_auto_settle, Some(Duration::from_millis(250)));
        assert_eq!(cfg.wallets.len(), 1);
        assert_eq!(cfg.wallets[0].key1_digits, Some(12));
        assert!(cfg.wallets[0].activation_requires_amount);
        assert_eq!(cfg.suspect_key1_prefix, "9999");
    }

    #[test]
    fn debug_output_hides_the_keys() {
        let cfg = SandboxConfig {
            secret: Secret::new("plugin-secret-xyz"),
            withdrawal_private_key: Secret::new("withdrawal-key-xyz"),
            ..SandboxConfig::default()
        };
        let text = format!("{cfg:?}");
        for secret in [
            "plugin-secret-xyz",
            "withdrawal-key-xyz",
            "sandbox-access-key",
            "sandbox-private-key",
        ] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<ConfigFile>(r#"{"prot":1}"#).is_err());
    }
}
