//! The audit copy of a postback body: what arrived, without what would let a reader replay it.
//! `access_key` (a secret) and `signature` (with the body, a replayable credential) are
//! replaced; the sha256 of the bytes as received is kept in their place as proof of arrival.

use paykassma::php::{JsonFlags, PhpValue, encode};
use sha2::{Digest, Sha256};

use super::Source;

pub const REDACTED: &str = "<redacted>";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `body` re-encoded (number text and key order as received) with its secrets replaced.
pub fn audit_copy(body: &PhpValue, source: &Source) -> String {
    let PhpValue::Map(fields) = body else {
        return encode(body, JsonFlags::UNESCAPED);
    };
    let digest = match source {
        Source::Webhook { body_sha256 } => body_sha256.clone(),
        Source::Gateway => sha256_hex(encode(body, JsonFlags::UNESCAPED).as_bytes()),
        // Already an audit copy.
        Source::Stored => return encode(body, JsonFlags::UNESCAPED),
    };
    let fields = fields
        .iter()
        .map(|(k, v)| match k.as_ref() {
            "access_key" => (k.clone(), PhpValue::string(REDACTED)),
            "signature" => (
                k.clone(),
                PhpValue::string(format!("{REDACTED} body sha256 {digest}")),
            ),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    encode(&PhpValue::Map(fields), JsonFlags::UNESCAPED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paykassma::php::parse;

    #[test]
    fn secrets_are_replaced_and_the_rest_kept() {
        let raw = br#"{"signature":"abc123","amount":100.50,"access_key":"secret-key","additional_data":[{"amount":"100.50"}]}"#;
        let body = parse(raw).unwrap();
        let source = Source::Webhook {
            body_sha256: sha256_hex(raw),
        };
        let copy = audit_copy(&body, &source);
        assert!(
            !copy.contains("secret-key") && !copy.contains("abc123"),
            "{copy}"
        );
        assert!(copy.contains(&sha256_hex(raw)));
        assert!(
            copy.contains(r#""amount":100.50"#),
            "number text kept: {copy}"
        );
        assert!(copy.contains(r#""additional_data":[{"amount":"100.50"}]"#));
    }
}
