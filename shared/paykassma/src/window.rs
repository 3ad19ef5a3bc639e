//! The payment window ("plugin") URL: `https://plugin.{server}/?label=...&currency_code=...`.
//!
//! The user pays inside the gateway's window; we learn of the payment by postback only. Every
//! parameter but `label` is optional. Values are validated here, before the user is sent off,
//! because the window reports bad parameters to the user, not to us.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use url::Url;

/// Longest `label` the gateway stores.
pub const MAX_LABEL_LEN: usize = 190;
/// Longest `custom_transaction_id` we send (the gateway's tables say 190 in one place and 64 in
/// another: the smaller one is safe for both).
pub const MAX_CUSTOM_ID_LEN: usize = 64;
/// Longest `wallet_type` the gateway stores.
pub const MAX_WALLET_TYPE_LEN: usize = 190;

/// Why a window URL cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("invalid base URL: {0}")]
    BaseUrl(String),
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} must not start or end with whitespace")]
    Spaces { field: &'static str },
    #[error("{field} is {len} characters long, at most {max} allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} contains a control character")]
    Control { field: &'static str },
    #[error("currency_code must be 3 capital letters, got {0:?}")]
    Currency(String),
    #[error("unsupported window language {0:?} (expected en or hi)")]
    Lang(String),
    #[error("fixed_amount must be positive, got {0}")]
    Amount(Decimal),
    #[error("{field} must be a URL hash from the hash-url endpoint (letters and digits)")]
    Hash { field: &'static str },
}

/// The window's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Hi,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }
}

impl FromStr for Lang {
    type Err = WindowError;
    fn from_str(s: &str) -> Result<Self, WindowError> {
        match s {
            "en" => Ok(Lang::En),
            "hi" => Ok(Lang::Hi),
            other => Err(WindowError::Lang(other.to_string())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builder of a payment window URL. Setters take values as given; [`PluginUrl::build`]
/// validates them all and reports the first problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginUrl {
    base: Url,
    label: String,
    currency_code: Option<String>,
    lang: Option<Lang>,
    wallet_type: Option<String>,
    custom_transaction_id: Option<String>,
    fixed_amount: Option<Decimal>,
    payment_url_success_id: Option<u64>,
    payment_url_pending_id: Option<u64>,
    payment_url_fail_id: Option<u64>,
    success_url: Option<String>,
    fail_url: Option<String>,
    pending_url: Option<String>,
}

impl PluginUrl {
    /// A window URL on `base` (e.g. `https://plugin.example.com/`) for the user `label`.
    /// Query parameters already in `base` are kept, ours are appended.
    pub fn new(base: Url, label: impl Into<String>) -> Self {
        Self {
            base,
            label: label.into(),
            currency_code: None,
            lang: None,
            wallet_type: None,
            custom_transaction_id: None,
            fixed_amount: None,
            payment_url_success_id: None,
            payment_url_pending_id: None,
            payment_url_fail_id: None,
            success_url: None,
            fail_url: None,
            pending_url: None,
        }
    }

    /// The window of white-label `server` (`example.com` -> `https://plugin.example.com/`).
    pub fn for_server(server: &str, label: impl Into<String>) -> Result<Self, WindowError> {
        let server = server.trim_end_matches('/');
        if server.is_empty() || server.contains(['/', '?', '#', '@', ' ']) {
            return Err(WindowError::BaseUrl(format!(
                "{server:?} is not a host name"
            )));
        }
        let base = Url::parse(&format!("https://plugin.{server}/"))
            .map_err(|e| WindowError::BaseUrl(e.to_string()))?;
        Ok(Self::new(base, label))
    }

    pub fn currency_code(mut self, code: impl Into<String>) -> Self {
        self.currency_code = Some(code.into());
        self
    }
    pub fn lang(mut self, lang: Lang) -> Self {
        self.lang = Some(lang);
        self
    }
    pub fn wallet_type(mut self, wallet_type: impl Into<String>) -> Self {
        self.wallet_type = Some(wallet_type.into());
        self
    }
    pub fn custom_transaction_id(mut self, id: impl Into<String>) -> Self {
        self.custom_transaction_id = Some(id.into());
        self
    }
    pub fn fixed_amount(mut self, amount: Decimal) -> Self {
        self.fixed_amount = Some(amount);
        self
    }
    /// Id of a success redirect URL registered with the gateway's support.
    pub fn payment_url_success_id(mut self, id: u64) -> Self {
        self.payment_url_success_id = Some(id);
        self
    }
    pub fn payment_url_pending_id(mut self, id: u64) -> Self {
        self.payment_url_pending_id = Some(id);
        self
    }
    pub fn payment_url_fail_id(mut self, id: u64) -> Self {
        self.payment_url_fail_id = Some(id);
        self
    }
    /// Hash of a success redirect URL from `payment-plugin/hash-url`.
    pub fn success_url(mut self, hash: impl Into<String>) -> Self {
        self.success_url = Some(hash.into());
        self
    }
    pub fn fail_url(mut self, hash: impl Into<String>) -> Self {
        self.fail_url = Some(hash.into());
        self
    }
    pub fn pending_url(mut self, hash: impl Into<String>) -> Self {
        self.pending_url = Some(hash.into());
        self
    }

    /// Validates every value and returns the URL, parameters in the documented order,
    /// values form-urlencoded.
    pub fn build(&self) -> Result<Url, WindowError> {
        if !matches!(self.base.scheme(), "https" | "http") || self.base.cannot_be_a_base() {
            return Err(WindowError::BaseUrl(format!(
                "{} is not an http(s) URL",
                self.base.scheme()
            )));
        }
        let mut pairs: Vec<(&str, String)> = Vec::with_capacity(12);
        text("label", &self.label, MAX_LABEL_LEN)?;
        pairs.push(("label", self.label.clone()));
        if let Some(code) = &self.currency_code {
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(WindowError::Currency(code.clone()));
            }
            pairs.push(("currency_code", code.clone()));
        }
        if let Some(lang) = self.lang {
            pairs.push(("lang", lang.as_str().to_string()));
        }
        if let Some(wallet_type) = &self.wallet_type {
            text("wallet_type", wallet_type, MAX_WALLET_TYPE_LEN)?;
            pairs.push(("wallet_type", wallet_type.clone()));
        }
        if let Some(id) = &self.custom_transaction_id {
            text("custom_transaction_id", id, MAX_CUSTOM_ID_LEN)?;
            pairs.push(("custom_transaction_id", id.clone()));
        }
        if let Some(amount) = self.fixed_amount {
            if amount <= Decimal::ZERO {
                return Err(WindowError::Amount(amount));
            }
            // `Decimal`'s Display is plain digits with the value's own scale: never an exponent.
            pairs.push(("fixed_amount", amount.to_string()));
        }
        for (name, id) in [
            ("payment_url_success_id", self.payment_url_success_id),
            ("payment_url_pending_id", self.payment_url_pending_id),
            ("payment_url_fail_id", self.payment_url_fail_id),
        ] {
            if let Some(id) = id {
                pairs.push((name, id.to_string()));
            }
        }
        for (name, hash) in [
            ("success_url", &self.success_url),
            ("fail_url", &self.fail_url),
            ("pending_url", &self.pending_url),
        ] {
            if let Some(hash) = hash {
                if hash.is_empty()
                    || hash.len() > MAX_LABEL_LEN
                    || !hash.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(WindowError::Hash { field: name });
                }
                pairs.push((name, hash.clone()));
            }
        }
        let mut url = self.base.clone();
        url.query_pairs_mut().extend_pairs(pairs);
        Ok(url)
    }
}

/// The gateway's rule for free text: present, no surrounding whitespace, bounded length
/// (in characters, as PHP's validators count them), no control characters.
fn text(field: &'static str, value: &str, max: usize) -> Result<(), WindowError> {
    if value.is_empty() {
        return Err(WindowError::Empty { field });
    }
    if value.trim() != value {
        return Err(WindowError::Spaces { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(WindowError::TooLong { field, len, max });
    }
    if value.chars().any(char::is_control) {
        return Err(WindowError::Control { field });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_S: &str = "1f2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff001";
    const HASH_F: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    const HASH_P: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn base() -> Url {
        Url::parse("https://plugin.example.com/").unwrap()
    }

    #[test]
    fn every_parameter_in_documented_order() {
        let url = PluginUrl::new(base(), "55")
            .currency_code("INR")
            .lang(Lang::En)
            .wallet_type("upi_l")
            .custom_transaction_id("dep-123")
            .fixed_amount(Decimal::new(50050, 2))
            .payment_url_success_id(2)
            .payment_url_pending_id(3)
            .payment_url_fail_id(1)
            .success_url(HASH_S)
            .fail_url(HASH_F)
            .pending_url(HASH_P)
            .build()
            .unwrap();
        assert_eq!(
            url.as_str(),
            format!(
                "https://plugin.example.com/?label=55&currency_code=INR&lang=en&wallet_type=upi_l\
                 &custom_transaction_id=dep-123&fixed_amount=500.50&payment_url_success_id=2\
                 &payment_url_pending_id=3&payment_url_fail_id=1&success_url={HASH_S}&fail_url={HASH_F}\
                 &pending_url={HASH_P}"
            )
        );
    }

    #[test]
    fn only_label_is_required() {
        assert_eq!(
            PluginUrl::new(base(), "user-1").build().unwrap().as_str(),
            "https://plugin.example.com/?label=user-1"
        );
        let url = PluginUrl::for_server("pay.example.org", "7")
            .unwrap()
            .lang(Lang::Hi)
            .build()
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://plugin.pay.example.org/?label=7&lang=hi"
        );
    }

    #[test]
    fn special_characters_are_encoded_and_round_trip() {
        let label = "user@mail.com&x=1 é/?#+%";
        let url = PluginUrl::new(base(), label)
            .custom_transaction_id("a b&c=d")
            .build()
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://plugin.example.com/?label=user%40mail.com%26x%3D1+%C3%A9%2F%3F%23%2B%25&custom_transaction_id=a+b%26c%3Dd"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("label".to_string(), label.to_string()),
                ("custom_transaction_id".to_string(), "a b&c=d".to_string())
            ]
        );
    }

    #[test]
    fn amounts_are_exact_and_never_exponential() {
        for (amount, text) in [
            (Decimal::new(1, 2), "0.01"),
            (Decimal::from_str("1000000000000").unwrap(), "1000000000000"),
            (Decimal::from_scientific("1.5e3").unwrap(), "1500"),
            (Decimal::from_str("100.10").unwrap(), "100.10"),
            (Decimal::from_str("0.000000001").unwrap(), "0.000000001"),
        ] {
            let url = PluginUrl::new(base(), "1")
                .fixed_amount(amount)
                .build()
                .unwrap();
            let got = url
                .query_pairs()
                .find(|(k, _)| k == "fixed_amount")
                .unwrap()
                .1
                .into_owned();
            assert_eq!(got, text);
        }
        for bad in [Decimal::ZERO, Decimal::new(-1, 0)] {
            assert_eq!(
                PluginUrl::new(base(), "1").fixed_amount(bad).build(),
                Err(WindowError::Amount(bad))
            );
        }
    }

    #[test]
    fn base_url_query_and_path_are_kept() {
        let base = Url::parse("http://127.0.0.1:8080/window/?merchant=9").unwrap();
        let url = PluginUrl::new(base, "5").build().unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/window/?merchant=9&label=5"
        );
    }

    #[test]
    fn invalid_values_are_refused() {
        let b = || PluginUrl::new(base(), "55");
        assert_eq!(
            PluginUrl::new(base(), "").build(),
            Err(WindowError::Empty { field: "label" })
        );
        assert_eq!(
            PluginUrl::new(base(), " 55").build(),
            Err(WindowError::Spaces { field: "label" })
        );
        assert_eq!(
            PluginUrl::new(base(), "55\n").build(),
            Err(WindowError::Spaces { field: "label" })
        );
        assert_eq!(
            PluginUrl::new(base(), "a\u{0}b").build(),
            Err(WindowError::Control { field: "label" })
        );
        assert!(PluginUrl::new(base(), "д".repeat(190)).build().is_ok());
        assert_eq!(
            PluginUrl::new(base(), "д".repeat(191)).build(),
            Err(WindowError::TooLong {
                field: "label",
                len: 191,
                max: 190
            })
        );
        assert!(b().custom_transaction_id("x".repeat(64)).build().is_ok());
        assert_eq!(
            b().custom_transaction_id("x".repeat(65)).build(),
            Err(WindowError::TooLong {
                field: "custom_transaction_id",
                len: 65,
                max: 64
            })
        );
        assert_eq!(
            b().custom_transaction_id("id ").build(),
            Err(WindowError::Spaces {
                field: "custom_transaction_id"
            })
        );
        assert_eq!(
            b().wallet_type("").build(),
            Err(WindowError::Empty {
                field: "wallet_type"
            })
        );
        for bad in ["inr", "IN", "INRR", "I1R"] {
            assert_eq!(
                b().currency_code(bad).build(),
                Err(WindowError::Currency(bad.into()))
            );
        }
        assert_eq!(
            b().success_url("not a hash").build(),
            Err(WindowError::Hash {
                field: "success_url"
            })
        );
        assert_eq!(
            b().pending_url("").build(),
            Err(WindowError::Hash {
                field: "pending_url"
            })
        );
        let ftp = PluginUrl::new(Url::parse("ftp://plugin.example.com/").unwrap(), "1");
        assert!(matches!(ftp.build(), Err(WindowError::BaseUrl(_))));
        for server in ["", "a/b", "x y", "u@h"] {
            assert!(
                matches!(
                    PluginUrl::for_server(server, "1"),
                    Err(WindowError::BaseUrl(_))
                ),
                "{server:?}"
            );
        }
    }

    #[test]
    fn lang_is_validated() {
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert_eq!("hi".parse::<Lang>(), Ok(Lang::Hi));
        assert_eq!("ru".parse::<Lang>(), Err(WindowError::Lang("ru".into())));
        assert_eq!("EN".parse::<Lang>(), Err(WindowError::Lang("EN".into())));
    }
}
