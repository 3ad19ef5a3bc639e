//! What can go wrong with a gateway call, sorted by what the caller may conclude:
//! the gateway said no ([`Error::Refused`], [`Error::NotFound`]), nothing was sent
//! ([`Error::Request`], [`Error::Unreachable`]), nobody knows ([`Error::Unknown`]), or the
//! answer could not be read ([`Error::Unreadable`]). No variant ever carries the secret.

use std::collections::BTreeMap;

/// A failed gateway call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The gateway refused the request: `{"status":"fail","message":...}` or
    /// `{"status":"error",...}`. Nothing was done; the request may be corrected and retried.
    #[error("the gateway refused the request (HTTP {http_status}): {message}")]
    Refused {
        /// The text message, or the field errors joined into one line.
        message: String,
        /// Field errors (`{"message":{"key1":["..."]}}`, or `errors.target` of the newer
        /// error shape), empty for a plain text message.
        fields: BTreeMap<String, Vec<String>>,
        /// The newer shape's `code` (e.g. `30228`), when given.
        code: Option<i64>,
        http_status: u16,
    },
    /// HTTP 404 without a readable refusal: the documents' answer to a missing or wrong
    /// secret (and to an IP that is not allow-listed, or a wrong path). Nothing was done.
    #[error("the gateway answered 404 Not found (wrong secret, IP not allow-listed or wrong path)")]
    NotFound,
    /// The request was never sent: a bad URL or parameter, or a signing failure.
    #[error("request not sent: {0}")]
    Request(String),
    /// The connection could not be established (refused, DNS, TLS handshake, connect
    /// timeout): no byte of the request reached the gateway, so it definitely did not act
    /// on it. Safe to retry.
    #[error("gateway unreachable, request not sent: {reason}")]
    Unreachable { reason: String },
    /// The request may or may not have been acted upon: a timeout after sending, a
    /// connection reset, or an HTTP 5xx. The caller must not assume failure: find out
    /// (postback lookup / pullpostbacks) before refunding or re-sending with new ids.
    #[error("outcome unknown: {reason}")]
    Unknown {
        reason: String,
        http_status: Option<u16>,
    },
    /// The gateway answered (2xx/3xx/4xx) with a body we cannot read: not JSON, or JSON of
    /// an unexpected shape. For a state-changing call the outcome is unknown too.
    #[error("unreadable answer (HTTP {http_status}): {reason}")]
    Unreadable { http_status: u16, reason: String },
}

impl Error {
    /// True when the gateway may have acted on the request although we got no clear
    /// answer ([`Error::Unknown`], and [`Error::Unreadable`] since an unreadable answer
    /// says nothing about what happened).
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. } | Self::Unreadable { .. })
    }

    /// True when the gateway definitely did nothing: it refused, or the request never
    /// left.
    pub fn is_definitely_not_done(&self) -> bool {
        !self.is_outcome_unknown()
    }

    /// True for the documented answers to a missing or wrong secret: HTTP 404, or the
    /// newer `errors.target = "secret"` refusal.
    pub fn is_wrong_secret(&self) -> bool {
        match self {
            Self::NotFound => true,
            Self::Refused { fields, .. } => fields.contains_key("secret"),
            _ => false,
        }
    }

    /// The field errors of a refusal (empty for other errors).
    pub fn field_errors(&self) -> Option<&BTreeMap<String, Vec<String>>> {
        match self {
            Self::Refused { fields, .. } => Some(fields),
            _ => None,
        }
    }
}

/// Removes every occurrence of `secret` from `text`: error reasons quote transport errors
/// and bodies, which could echo the request URL.
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, "***")
    }
}

/// The first `max` characters of a body, for error reasons.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let unknown = Error::Unknown {
            reason: "timeout".into(),
            http_status: None,
        };
        assert!(unknown.is_outcome_unknown());
        assert!(!Error::NotFound.is_outcome_unknown());
        assert!(Error::NotFound.is_wrong_secret());
        assert!(
            !Error::Unreachable {
                reason: "refused".into()
            }
            .is_outcome_unknown()
        );
        assert_eq!(redact("a?secret=xyz&b", "xyz"), "a?secret=***&b");
        assert_eq!(redact("abc", ""), "abc");
        assert_eq!(snippet("héllo".as_bytes(), 2), "hé…");
    }
}
