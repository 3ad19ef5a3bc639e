//! The application's behaviour settings (not secrets, not infrastructure), part of the one
//! [`Config`](crate::config::Config) read at cold start; a bad value is a startup error naming
//! the variable.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use paykassma::signature::Scheme;
use url::Url;

use crate::config::ConfigError;
use crate::http::{AdminPrincipal, AdminPrincipals};

/// Reconciliation: what counts as stale, when things expire, how big the batches are.
#[derive(Clone, Debug)]
pub struct ReconcileSettings {
    /// Open deposits older than this are looked up with `pullpostbacks`.
    pub deposit_min_age: Duration,
    /// Open deposits older than this, with no postback at the gateway, expire.
    pub deposit_lifetime: Duration,
    /// Submitted or unknown withdrawals older than this are looked up.
    pub withdrawal_min_age: Duration,
    /// `WITHDRAWAL_RESEND_GRACE_SECONDS` (900): how long an `unknown` withdrawal waits before
    /// it goes to an operator, and the least time between the two "not found" lookups that
    /// allow a re-send.
    pub withdrawal_resend_grace: Duration,
    /// `WITHDRAWAL_RESEND`: whether reconciliation may re-send an `unknown` withdrawal.
    pub withdrawal_resend: ResendPolicy,
    /// `DEPOSIT_REVIEW_WINDOW_SECONDS` (7 days): deposits the gateway is reviewing
    /// (`processing`, `possible`) are looked up this long before they expire.
    pub deposit_review_window: Duration,
    /// `DEPOSIT_REVIEW_LOOKUP_SECONDS` (3600): past `deposit_lifetime`, deposits under review
    /// are looked up at most this often.
    pub deposit_review_lookup_every: Duration,
    /// Ids per `pullpostbacks` request.
    pub batch_size: usize,
    /// How long the gateway keeps a redirect-URL hash (`HASH_URL_LIFETIME_SECONDS`, 1 day).
    pub hash_url_lifetime: Duration,
    /// Reconciliation re-requests the hashes when less than this is left
    /// (`HASH_URL_REFRESH_BEFORE_SECONDS`, 2 hours).
    pub hash_url_refresh_before: Duration,
}

/// When reconciliation may send an `unknown` withdrawal again. The gateway's documents never
/// say a repeated `withdrawal_id` is refused, so a re-send may be a second payout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ResendPolicy {
    /// `off` (default): never; an unknown outcome past its grace goes to an operator.
    #[default]
    Off,
    /// `after-not-found`: at most once, after the lookup said "Withdrawal with this ID not
    /// found" on two runs at least the grace apart. Only once the gateway's support confirmed
    /// that a repeated `withdrawal_id` is refused.
    AfterNotFound,
}

/// `LIMITS_UNIT`: the unit of the numbers in the gateway's `limits`. The documents do not say
/// (their example has Paytm INR min "100000", which reads as 1,000.00 in paise or a large
/// minimum in rupees), so it is a setting; the merchant's account manager can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LimitsUnit {
    /// `major` (default): rupees, taka: "100" is 100.00.
    #[default]
    Major,
    /// `minor`: paise, poisha: "100" is 1.00.
    Minor,
}

/// Payment-window defaults (`payment_url_*_id` registered with the gateway's support).
#[derive(Clone, Debug, Default)]
pub struct WindowSettings {
    pub success_url_id: Option<u32>,
    pub fail_url_id: Option<u32>,
    pub pending_url_id: Option<u32>,
    /// `WINDOW_SUCCESS_URL`, `WINDOW_FAIL_URL`, `WINDOW_PENDING_URL`: the redirect URLs whose
    /// hashes (section 2) the payment window takes; reconciliation keeps the hashes fresh.
    pub success_url: Option<Url>,
    pub fail_url: Option<Url>,
    pub pending_url: Option<Url>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// `AUTH_CLAIM`: the JWT claim that names the user (default `sub`).
    pub auth_claim: String,
    /// `POSTBACK_SCHEME`: `postback` (P, default) or `request` (W).
    pub postback_scheme: Scheme,
    /// `POSTBACK_ALLOWED_IPS`: comma-separated source IPs allowed to post postbacks; empty
    /// allows any (the signature is the real check).
    pub postback_allowed_ips: Vec<IpAddr>,
    /// `PUBLIC_BASE_URL`: where this API is reachable, for absolute links (QR images). When
    /// unset, links are relative (`/v1/deposits/{id}/qr.svg`).
    pub public_base_url: Option<Url>,
    /// `ADMIN_PRINCIPAL_ARNS`: comma-separated IAM role/user ARNs allowed on the admin routes
    /// (a role admits its assumed-role sessions); empty admits any IAM-authorized caller.
    pub admin_principals: AdminPrincipals,
    /// `METHODS_ENABLED_BY_DEFAULT`: whether a method nobody switched is offered (default true).
    pub methods_enabled_by_default: bool,
    /// `PAYOUTS_ENABLED_BY_DEFAULT`: whether a payout method nobody switched is offered
    /// (default true).
    pub payouts_enabled_by_default: bool,
    /// `WITHDRAWAL_LEGACY_SYSTEMS`: payout methods whose withdrawals go as the documents' older
    /// request (`wallet_type`, `wallet_recipient`, `wallet_sender`, ...) to the same path,
    /// comma-separated (default none: every method gets the current request). Kept with each
    /// withdrawal when it is created, so a re-send signs the same request.
    pub withdrawal_legacy_systems: BTreeSet<String>,
    /// `METHODS_CACHE_SECONDS`: how long the gateway's method list of one user in one currency
    /// is cached (default 60; the list takes the user's `label`, so it is cached per user).
    pub methods_cache_ttl: Duration,
    /// `LIMITS_UNIT`: `major` (default) or `minor`.
    pub limits_unit: LimitsUnit,
    pub window: WindowSettings,
    pub reconcile: ReconcileSettings,
}

impl Default for Settings {
    /// Every setting at its default (nothing read from the environment).
    fn default() -> Self {
        // An empty lookup leaves every value at its constant default, which parses: a failure
        // here is a programming error, caught by `defaults_apply_when_unset`.
        Self::from_lookup(|_| None).unwrap_or_else(|e| panic!("default settings: {e}"))
    }
}

impl Settings {
    /// Reads the settings through `lookup` (the process environment in production; a map in
    /// tests, so they never mutate global state).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let secs =
            |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
                match get(name) {
                    None => Ok(Duration::from_secs(default)),
                    Some(v) => v.parse::<u64>().map(Duration::from_secs).map_err(|_| {
                        ConfigError::Invalid {
                            var: name,
                            problem: format!("{v:?} is not a whole number of seconds"),
                        }
                    }),
                }
            };
        let id = |name: &'static str| -> Result<Option<u32>, ConfigError> {
            get(name)
                .map(|v| {
                    v.parse::<u32>().map_err(|_| ConfigError::Invalid {
                        var: name,
                        problem: format!("{v:?} is not an id"),
                    })
                })
                .transpose()
        };
        let url = |name: &'static str| -> Result<Option<Url>, ConfigError> {
            get(name)
                .map(|v| {
                    Url::parse(&v).map_err(|e| ConfigError::Invalid {
                        var: name,
                        problem: format!("{v:?}: {e}"),
                    })
                })
                .transpose()
        };
        let postback_scheme = match get("POSTBACK_SCHEME") {
            None => Scheme::Postback,
            Some(v) => v.parse().map_err(|problem| ConfigError::Invalid {
                var: "POSTBACK_SCHEME",
                problem,
            })?,
        };
        let postback_allowed_ips = get("POSTBACK_ALLOWED_IPS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<IpAddr>().map_err(|_| ConfigError::Invalid {
                            var: "POSTBACK_ALLOWED_IPS",
                            problem: format!("{s:?} is not an IP address"),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let admin_principals = AdminPrincipals(
            get("ADMIN_PRINCIPAL_ARNS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| {
                            AdminPrincipal::parse(s).map_err(|e| ConfigError::Invalid {
                                var: "ADMIN_PRINCIPAL_ARNS",
                                problem: e.to_string(),
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default(),
        );
        let public_base_url = get("PUBLIC_BASE_URL")
            .map(|v| {
                Url::parse(&v).map_err(|e| ConfigError::Invalid {
                    var: "PUBLIC_BASE_URL",
                    problem: format!("{v:?}: {e}"),
                })
            })
            .transpose()?;
        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).as_deref() {
                None => Ok(default),
                Some("true" | "1" | "yes") => Ok(true),
                Some("false" | "0" | "no") => Ok(false),
                Some(other) => Err(ConfigError::Invalid {
                    var: name,
                    problem: format!("{other:?} is not true or false"),
                }),
            }
        };
        let methods_enabled_by_default = flag("METHODS_ENABLED_BY_DEFAULT", true)?;
        let payouts_enabled_by_default = flag("PAYOUTS_ENABLED_BY_DEFAULT", true)?;
        let withdrawal_legacy_systems = get("WITHDRAWAL_LEGACY_SYSTEMS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| match crate::withdrawals::rules::rules_for(s) {
                        Some(_) => Ok(s.to_string()),
                        None => Err(ConfigError::Invalid {
                            var: "WITHDRAWAL_LEGACY_SYSTEMS",
                            problem: format!("{s:?} is not a payout method we offer"),
                        }),
                    })
                    .collect::<Result<BTreeSet<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let limits_unit = match get("LIMITS_UNIT").as_deref() {
            None | Some("major") => LimitsUnit::Major,
            Some("minor") => LimitsUnit::Minor,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: "LIMITS_UNIT",
                    problem: format!("{other:?} is not major or minor"),
                });
            }
        };
        let batch_size = match get("RECONCILE_BATCH_SIZE") {
            None => 50,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=500).contains(&n) => n,
                _ => {
                    return Err(ConfigError::Invalid {
                        var: "RECONCILE_BATCH_SIZE",
                        problem: format!("{v:?} is not 1-500"),
                    });
                }
            },
        };
        let withdrawal_resend = match get("WITHDRAWAL_RESEND").as_deref() {
            None | Some("off") => ResendPolicy::Off,
            Some("after-not-found") => ResendPolicy::AfterNotFound,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: "WITHDRAWAL_RESEND",
                    problem: format!("{other:?} is not off or after-not-found"),
                });
            }
        };
        Ok(Self {
            auth_claim: get("AUTH_CLAIM").unwrap_or_else(|| "sub".into()),
            postback_scheme,
            postback_allowed_ips,
            admin_principals,
            public_base_url,
            methods_enabled_by_default,
            payouts_enabled_by_default,
            withdrawal_legacy_systems,
            methods_cache_ttl: secs("METHODS_CACHE_SECONDS", 60)?,
            limits_unit,
            window: WindowSettings {
                success_url_id: id("WINDOW_SUCCESS_URL_ID")?,
                fail_url_id: id("WINDOW_FAIL_URL_ID")?,
                pending_url_id: id("WINDOW_PENDING_URL_ID")?,
                success_url: url("WINDOW_SUCCESS_URL")?,
                fail_url: url("WINDOW_FAIL_URL")?,
                pending_url: url("WINDOW_PENDING_URL")?,
            },
            reconcile: ReconcileSettings {
                deposit_min_age: secs("RECONCILE_DEPOSIT_MIN_AGE_SECONDS", 600)?,
                deposit_lifetime: secs("DEPOSIT_LIFETIME_SECONDS", 86_400)?,
                withdrawal_min_age: secs("RECONCILE_WITHDRAWAL_MIN_AGE_SECONDS", 300)?,
                withdrawal_resend_grace: secs("WITHDRAWAL_RESEND_GRACE_SECONDS", 900)?,
                withdrawal_resend,
                deposit_review_window: secs("DEPOSIT_REVIEW_WINDOW_SECONDS", 7 * 86_400)?,
                deposit_review_lookup_every: secs("DEPOSIT_REVIEW_LOOKUP_SECONDS", 3_600)?,
                batch_size,
                hash_url_lifetime: secs("HASH_URL_LIFETIME_SECONDS", 86_400)?,
                hash_url_refresh_before: secs("HASH_URL_REFRESH_BEFORE_SECONDS", 7_200)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn payout_settings_name_their_variable() {
        let s = from(&[]).unwrap();
        assert!(s.payouts_enabled_by_default && s.withdrawal_legacy_systems.is_empty());
        let s = from(&[
            ("PAYOUTS_ENABLED_BY_DEFAULT", "false"),
            ("WITHDRAWAL_LEGACY_SYSTEMS", " paytm , bkash,"),
        ])
        .unwrap();
        assert!(!s.payouts_enabled_by_default);
        assert_eq!(
            s.withdrawal_legacy_systems.iter().collect::<Vec<_>>(),
            ["bkash", "paytm"]
        );
        for (var, value) in [
            ("WITHDRAWAL_LEGACY_SYSTEMS", "paytm,upi_l"),
            ("PAYOUTS_ENABLED_BY_DEFAULT", "maybe"),
        ] {
            match from(&[(var, value)]) {
                Err(ConfigError::Invalid { var: named, .. }) => assert_eq!(named, var),
                other => panic!("{var}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn defaults_apply_when_unset() {
        let s = from(&[]).unwrap();
        assert_eq!(Settings::default().auth_claim, s.auth_claim);
        assert_eq!(s.auth_claim, "sub");
        assert_eq!(s.postback_scheme, Scheme::Postback);
        assert!(s.postback_allowed_ips.is_empty() && s.methods_enabled_by_default);
        assert_eq!(s.reconcile.deposit_lifetime, Duration::from_secs(86_400));
        assert_eq!(s.reconcile.batch_size, 50);
        assert_eq!(s.reconcile.withdrawal_resend, ResendPolicy::Off);
        assert_eq!(s.limits_unit, LimitsUnit::Major);
        assert_eq!(s.methods_cache_ttl, Duration::from_secs(60));
        let minor = from(&[("LIMITS_UNIT", "minor")]).unwrap();
        assert_eq!(minor.limits_unit, LimitsUnit::Minor);
        assert_eq!(
            s.reconcile.deposit_review_window,
            Duration::from_secs(7 * 86_400)
        );
        let on = from(&[("WITHDRAWAL_RESEND", "after-not-found")]).unwrap();
        assert_eq!(on.reconcile.withdrawal_resend, ResendPolicy::AfterNotFound);
        assert!(from(&[("WITHDRAWAL_RESEND", "always")]).is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("POSTBACK_SCHEME", "md5"),
            ("POSTBACK_ALLOWED_IPS", "1.2.3.4, nope"),
            ("PUBLIC_BASE_URL", "not a url"),
            ("METHODS_CACHE_SECONDS", "-5"),
            ("RECONCILE_BATCH_SIZE", "0"),
            ("WINDOW_FAIL_URL_ID", "x"),
            ("METHODS_ENABLED_BY_DEFAULT", "maybe"),
            ("LIMITS_UNIT", "paise"),
            (
                "ADMIN_PRINCIPAL_ARNS",
                "arn:aws:iam::123456789012:role/ops, ops",
            ),
        ] {
            let err = from(&[(name, value)]).unwrap_err();
            assert_eq!(err.var(), Some(name), "{err}");
        }
        let s = from(&[
            ("POSTBACK_ALLOWED_IPS", "1.2.3.4, ::1"),
            ("POSTBACK_SCHEME", "request"),
        ])
        .unwrap();
        assert_eq!(s.postback_allowed_ips.len(), 2);
        assert_eq!(s.postback_scheme, Scheme::Request);
    }

    #[test]
    fn admin_principals_are_read_from_the_comma_list() {
        assert_eq!(
            from(&[]).unwrap().admin_principals,
            AdminPrincipals::default()
        );
        let s = from(&[(
            "ADMIN_PRINCIPAL_ARNS",
            " arn:aws:iam::123456789012:role/ops ,, arn:aws:iam::123456789012:user/alice",
        )])
        .unwrap();
        assert_eq!(s.admin_principals.0.len(), 2);
        assert!(
            s.admin_principals
                .admits("arn:aws:sts::123456789012:assumed-role/ops/alice")
        );
        assert!(
            !s.admin_principals
                .admits("arn:aws:sts::123456789012:assumed-role/dev/alice")
        );
    }

    #[test]
    fn window_urls_and_hash_refresh_are_read() {
        let s = from(&[]).unwrap();
        assert!(s.window.success_url.is_none() && s.window.fail_url.is_none());
        assert_eq!(s.reconcile.hash_url_lifetime, Duration::from_secs(86_400));
        assert_eq!(
            s.reconcile.hash_url_refresh_before,
            Duration::from_secs(7_200)
        );
        let s = from(&[
            ("WINDOW_SUCCESS_URL", "https://shop.example/ok"),
            ("WINDOW_PENDING_URL", "https://shop.example/wait"),
            ("HASH_URL_REFRESH_BEFORE_SECONDS", "60"),
        ])
        .unwrap();
        assert_eq!(
            s.window.success_url.as_ref().map(Url::as_str),
            Some("https://shop.example/ok")
        );
        assert!(s.window.fail_url.is_none() && s.window.pending_url.is_some());
        assert_eq!(s.reconcile.hash_url_refresh_before, Duration::from_secs(60));
        for name in ["WINDOW_FAIL_URL", "HASH_URL_LIFETIME_SECONDS"] {
            assert_eq!(from(&[(name, "nope")]).unwrap_err().var(), Some(name));
        }
    }
}
