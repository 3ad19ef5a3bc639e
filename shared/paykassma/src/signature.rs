//! The gateway's two signature algorithms, byte for byte as its PHP computes them.
//!
//! - (W) request signing, used for withdrawal requests:
//!   `sha1($privateKey . md5(multiImplode(':', ksort($data))))`, `signature` left out.
//! - (P) postback signing: `sha1($accessKey . $privateKey . md5(json_encode($additional_data,
//!   JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)))`.
//!
//! Postbacks are verified from the raw body bytes: the received text is re-encoded the way the
//! gateway hashed it (number text and key order kept), never through a lossy typed model.

use md5::Md5;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::Secret;
use crate::php::{self, ImplodeError, JsonFlags, ParseError, PhpValue};

/// Which algorithm signs postbacks. The gateway's postback page documents (P); some
/// installations sign postbacks like requests (W), so it is configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// (P): access key + private key + md5 of `additional_data` as unescaped JSON.
    #[default]
    Postback,
    /// (W): private key + md5 of the sorted, imploded body.
    Request,
}

impl std::str::FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "postback" | "p" | "P" => Ok(Self::Postback),
            "request" | "w" | "W" => Ok(Self::Request),
            other => Err(format!(
                "unknown signature scheme {other:?} (expected postback or request)"
            )),
        }
    }
}

/// The merchant's postback keys (plugin settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostbackKeys {
    /// `postback_access_key`: also expected in the body's `access_key`.
    pub access_key: Secret,
    /// `postback_private_key` (the "private access key").
    pub private_key: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Json(#[from] ParseError),
    #[error(transparent)]
    Implode(#[from] ImplodeError),
}

/// Why a postback was refused. `Malformed` is bad input (HTTP 400 / exit 2); the others are
/// authentication failures (HTTP 401 / exit 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed postback: {0}")]
    Malformed(String),
    #[error("the postback has no signature")]
    MissingSignature,
    #[error("the postback's access_key is missing or is not ours")]
    AccessKeyMismatch,
    #[error("the postback's signature does not match")]
    SignatureMismatch,
}

impl VerifyError {
    /// True for input that is not a postback at all, false for a postback that fails
    /// authentication.
    pub fn is_malformed(&self) -> bool {
        matches!(self, Self::Malformed(_))
    }
}

fn hex_md5(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn hex_sha1(parts: &[&[u8]]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// (W) over a decoded JSON object: `sha1(key . md5(multiImplode(':', ksort($data))))`, the
/// `signature` key left out.
pub fn request_signature(private_key: &Secret, data: &PhpValue) -> Result<String, SignError> {
    let preimage = php::sorted_implode(data, "signature")?;
    Ok(hex_sha1(&[
        private_key.expose().as_bytes(),
        hex_md5(preimage.as_bytes()).as_bytes(),
    ]))
}

/// (W) over a JSON text (what the gateway will `json_decode`).
pub fn request_signature_json(private_key: &Secret, json: &[u8]) -> Result<String, SignError> {
    request_signature(private_key, &php::parse(json)?)
}

/// Signs a JSON object for sending: returns the body with `signature` set, encoded as compact
/// JSON. The signature is computed from exactly the values that are sent.
pub fn sign_request_body(private_key: &Secret, data: &PhpValue) -> Result<String, SignError> {
    let mut data = data.clone();
    data.remove("signature");
    let sig = request_signature(private_key, &data)?;
    data.insert("signature", PhpValue::string(sig));
    Ok(php::encode(&data, JsonFlags::UNESCAPED))
}

/// (P) over `additional_data` as PHP holds it.
pub fn postback_signature(keys: &PostbackKeys, additional_data: &PhpValue) -> String {
    postback_signature_of_json(
        keys,
        php::encode(additional_data, JsonFlags::UNESCAPED).as_bytes(),
    )
}

/// (P) over `additional_data` already encoded as PHP's `json_encode` prints it.
fn postback_signature_of_json(keys: &PostbackKeys, json: &[u8]) -> String {
    hex_sha1(&[
        keys.access_key.expose().as_bytes(),
        keys.private_key.expose().as_bytes(),
        hex_md5(json).as_bytes(),
    ])
}

/// Builds a signed postback body the way the gateway sends it: `signature` first, then the
/// fields of `body` (which should carry `access_key` and `additional_data`), encoded with
/// `json_encode`'s default flags (`\/` and `\uXXXX` escapes).
pub fn sign_postback_body(
    keys: &PostbackKeys,
    scheme: Scheme,
    body: &PhpValue,
) -> Result<String, SignError> {
    let mut fields = match body {
        PhpValue::Map(entries) => entries.clone(),
        _ => return Err(SignError::Implode(ImplodeError::NotAnObject)),
    };
    fields.retain(|(k, _)| k != "signature");
    let unsigned = PhpValue::Map(fields.clone());
    let sig = match scheme {
        Scheme::Postback => postback_signature(
            keys,
            unsigned
                .get("additional_data")
                .unwrap_or(&PhpValue::List(vec![])),
        ),
        Scheme::Request => request_signature(&keys.private_key, &unsigned)?,
    };
    fields.insert(0, ("signature".into(), PhpValue::string(sig)));
    Ok(php::encode(&PhpValue::Map(fields), JsonFlags::DEFAULT))
}

/// Verifies a postback from its raw body bytes and returns the decoded body: one parse
/// ([`php::parse_spanned`]), then [`check_parsed_postback`] on it.
pub fn verify_postback<'r>(
    raw: &'r [u8],
    keys: &PostbackKeys,
    scheme: Scheme,
) -> Result<PhpValue<'r>, VerifyError> {
    let body = parse_body(raw)?;
    check_parsed_postback(raw, &body, keys, scheme)?;
    Ok(body.value)
}

/// The body parsed for [`check_parsed_postback`].
pub fn parse_body(raw: &[u8]) -> Result<php::Spanned<'_>, VerifyError> {
    php::parse_spanned(raw).map_err(|e| VerifyError::Malformed(e.to_string()))
}

/// Checks a postback's signature and access key from its raw body bytes.
pub fn check_postback_signature(
    raw: &[u8],
    keys: &PostbackKeys,
    scheme: Scheme,
) -> Result<(), VerifyError> {
    check_parsed_postback(raw, &parse_body(raw)?, keys, scheme)
}

/// Checks a postback's signature and access key on its body as parsed from `raw`
/// ([`parse_body`]), so a webhook that tries several keys (a rotation) parses once. Under (P)
/// `additional_data` is hashed as PHP re-encodes it, computed from its text as received
/// ([`php::canonical::unescaped_json`]; re-encoded from the tree only for a repeated key or a large
/// object); `signature` and `access_key` are the last of a repeated key, as `json_decode`
/// keeps. The oracle tests hold both schemes to real PHP. Under (W) every value is signed.
pub fn check_parsed_postback(
    raw: &[u8],
    body: &php::Spanned<'_>,
    keys: &PostbackKeys,
    scheme: Scheme,
) -> Result<(), VerifyError> {
    let value = &body.value;
    if !matches!(value, PhpValue::Map(_)) {
        return Err(VerifyError::Malformed(
            "the body is not a JSON object".into(),
        ));
    }
    let received = received_signature(value.get("signature"))?;
    if scheme == Scheme::Request {
        match value.get("access_key") {
            None => {}
            Some(PhpValue::String(k)) if keys.access_key.ct_eq(k) => {}
            // (W) does not involve the access key; when it is sent it must still be ours.
            Some(_) => return Err(VerifyError::AccessKeyMismatch),
        }
        let expected = request_signature(&keys.private_key, value)
            .map_err(|e| VerifyError::Malformed(e.to_string()))?;
        return compare(&expected, &received);
    }
    match value.get("access_key") {
        Some(PhpValue::String(k)) if keys.access_key.ct_eq(k) => {}
        _ => return Err(VerifyError::AccessKeyMismatch),
    }
    let (data, text) = body
        .member(raw, "additional_data")
        .ok_or_else(|| VerifyError::Malformed("additional_data is missing".into()))?;
    let json = match php::canonical::unescaped_json(text) {
        Some(canonical) => canonical,
        None => php::encode(data, JsonFlags::UNESCAPED).into_bytes(),
    };
    compare(&postback_signature_of_json(keys, &json), &received)
}

/// The body's `signature`, lowercased; missing or `null` is [`VerifyError::MissingSignature`].
fn received_signature(v: Option<&PhpValue>) -> Result<String, VerifyError> {
    match v {
        None | Some(PhpValue::Null) => Err(VerifyError::MissingSignature),
        Some(PhpValue::String(s)) => Ok(s.to_ascii_lowercase()),
        Some(_) => Err(VerifyError::Malformed("signature is not a string".into())),
    }
}

/// Constant-time comparison of the expected and received signatures.
fn compare(expected: &str, received: &str) -> Result<(), VerifyError> {
    if expected.len() == received.len()
        && bool::from(expected.as_bytes().ct_eq(received.as_bytes()))
    {
        Ok(())
    } else {
        Err(VerifyError::SignatureMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> PostbackKeys {
        PostbackKeys {
            access_key: "FQ9jMwrNSkFbyMNqYFf6Ed4xeKmjHK".into(),
            private_key: "priv-key".into(),
        }
    }

    #[test]
    fn request_signature_matches_hand_computation() {
        // ksort -> a, b; implode -> "1:x"; sha1("k" . md5("1:x")).
        let sig = request_signature_json(&"k".into(), br#"{"b":"x","a":1,"signature":"ignored"}"#)
            .unwrap();
        let want = hex_sha1(&[b"k", hex_md5(b"1:x").as_bytes()]);
        assert_eq!(sig, want);
    }

    #[test]
    fn signed_postback_verifies_and_tampering_fails() {
        let body = php::parse(
            r#"{"amount":700,"access_key":"FQ9jMwrNSkFbyMNqYFf6Ed4xeKmjHK","additional_data":[{"amount":"700","comment":"a/b é"}]}"#.as_bytes(),
        )
        .unwrap();
        for scheme in [Scheme::Postback, Scheme::Request] {
            let text = sign_postback_body(&keys(), scheme, &body).unwrap();
            assert!(text.starts_with(r#"{"signature":""#));
            assert!(
                text.contains(r#"a\/b \u00e9"#),
                "default flags on the wire: {text}"
            );
            verify_postback(text.as_bytes(), &keys(), scheme).unwrap();
            let tampered = text.replace(r#""amount":"700""#, r#""amount":"7000""#);
            assert_eq!(
                verify_postback(tampered.as_bytes(), &keys(), scheme),
                Err(VerifyError::SignatureMismatch)
            );
        }
    }

    #[test]
    fn wrong_access_key_and_missing_signature_are_refused() {
        let other = PostbackKeys {
            access_key: "other".into(),
            private_key: "priv-key".into(),
        };
        let text = sign_postback_body(
            &keys(),
            Scheme::Postback,
            &php::parse(br#"{"access_key":"FQ9jMwrNSkFbyMNqYFf6Ed4xeKmjHK","additional_data":[]}"#)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            verify_postback(text.as_bytes(), &other, Scheme::Postback),
            Err(VerifyError::AccessKeyMismatch)
        );
        assert_eq!(
            verify_postback(
                br#"{"access_key":"x","additional_data":[]}"#,
                &keys(),
                Scheme::Postback
            ),
            Err(VerifyError::MissingSignature)
        );
        assert!(
            verify_postback(b"{not json", &keys(), Scheme::Postback)
                .unwrap_err()
                .is_malformed()
        );
    }
}
