//! The gateway's answer envelopes: success (`{"status":"ok",...}` or
//! `{"status":"success","code":20000,"data":...}`) and refusal (`{"status":"fail","message":
//! "TEXT" | {"field":["text"]}}` or `{"status":"error","code":30228,"errors":{...},
//! "error_message":"..."}`), plus the HTTP 404 of a wrong secret.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::error::{Error, snippet};
use super::read::{integer, items, text};
use crate::php::{self, PhpValue};

/// A received answer, after transport errors and 5xx were sorted out.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON. A 404 that is not JSON is the wrong-secret answer.
    pub fn json(&self) -> Result<PhpValue<'_>, Error> {
        match php::parse(&self.body) {
            Ok(v) => Ok(v),
            Err(_) if self.status == 404 => Err(Error::NotFound),
            Err(e) => Err(self.unreadable(format!("not JSON ({e}): {}", snippet(&self.body, 120)))),
        }
    }

    pub fn unreadable(&self, reason: impl Into<String>) -> Error {
        Error::Unreadable {
            http_status: self.status,
            reason: reason.into(),
        }
    }

    /// The `status` field as text (`"ok"`, `"fail"`, ...), when it is a string.
    pub fn status_field<'v>(v: &'v PhpValue<'_>) -> Option<&'v str> {
        v.get("status").and_then(PhpValue::as_str)
    }

    /// Parses the body and accepts it when it is a success envelope; turns a refusal into
    /// [`Error::Refused`] and anything else into [`Error::Unreadable`] or
    /// [`Error::NotFound`].
    pub fn success(&self) -> Result<PhpValue<'_>, Error> {
        let v = self.json()?;
        self.check_success(v)
    }

    /// Like [`Answer::success`] on an already parsed body.
    pub fn check_success<'v>(&self, v: PhpValue<'v>) -> Result<PhpValue<'v>, Error> {
        match Self::status_field(&v) {
            Some("ok" | "success") if self.is_success() => Ok(v),
            Some("fail" | "error") => Err(self.refusal(&v)),
            _ if self.status == 404 => Err(Error::NotFound),
            Some(other) => Err(self.unreadable(format!(
                "unexpected status {other:?}: {}",
                snippet(&self.body, 120)
            ))),
            None => Err(self.unreadable(format!("no status field: {}", snippet(&self.body, 120)))),
        }
    }

    /// Reads a refusal body in either of its shapes.
    pub fn refusal(&self, v: &PhpValue) -> Error {
        let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut parts: Vec<String> = Vec::new();
        match v.get("message") {
            Some(PhpValue::Map(map)) => collect_fields(map, &mut fields),
            Some(other) => parts.extend(text(Some(other))),
            None => {}
        }
        // The newer shape: `errors` is `{target, code, message}` or a list of those, or a
        // Laravel-style `{field: [texts]}`.
        match v.get("errors") {
            Some(e @ PhpValue::Map(_))
                if e.get("target").is_some() || e.get("message").is_some() =>
            {
                add_target_error(e, &mut fields, &mut parts);
            }
            Some(PhpValue::Map(map)) => collect_fields(map, &mut fields),
            Some(PhpValue::List(list)) => list
                .iter()
                .for_each(|e| add_target_error(e, &mut fields, &mut parts)),
            _ => {}
        }
        if let Some(m) = text(v.get("error_message")) {
            parts.insert(0, m);
        }
        for (field, texts) in &fields {
            parts.push(format!("{field}: {}", texts.join(", ")));
        }
        parts.dedup();
        let message = if parts.is_empty() {
            "no message".to_string()
        } else {
            parts.join("; ")
        };
        Error::Refused {
            message,
            fields,
            code: integer(v.get("code")),
            http_status: self.status,
        }
    }
}

fn collect_fields(
    map: &[(Cow<'_, str>, PhpValue<'_>)],
    fields: &mut BTreeMap<String, Vec<String>>,
) {
    for (field, texts) in map {
        let list: Vec<String> = match texts {
            PhpValue::List(_) | PhpValue::Map(_) => items(Some(texts))
                .into_iter()
                .filter_map(|t| text(Some(t)))
                .collect(),
            other => text(Some(other)).into_iter().collect(),
        };
        fields.entry(field.to_string()).or_default().extend(list);
    }
}

fn add_target_error(
    e: &PhpValue,
    fields: &mut BTreeMap<String, Vec<String>>,
    parts: &mut Vec<String>,
) {
    let message = text(e.get("message"));
    match text(e.get("target")) {
        Some(target) => fields.entry(target).or_default().extend(message),
        None => parts.extend(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn refusals_in_every_shape() {
        let a = answer(200, r#"{"status":"fail","message":"MESSAGE"}"#);
        let Err(Error::Refused {
            message,
            fields,
            code,
            http_status,
        }) = a.success()
        else {
            panic!()
        };
        assert_eq!(
            (message.as_str(), fields.len(), code, http_status),
            ("MESSAGE", 0, None, 200)
        );

        let a = answer(
            422,
            r#"{"status":"fail","message":{"key1":["Transaction field has wrong length"]}}"#,
        );
        let Err(Error::Refused {
            message, fields, ..
        }) = a.success()
        else {
            panic!()
        };
        assert_eq!(
            fields["key1"],
            vec!["Transaction field has wrong length".to_string()]
        );
        assert_eq!(message, "key1: Transaction field has wrong length");

        let a = answer(
            200,
            r#"{"status":"error","code":30228,"errors":{"target":"secret","code":36205,"message":"Wrong secret"},"error_message":"Data validation error"}"#,
        );
        let err = a.success().unwrap_err();
        assert!(err.is_wrong_secret(), "{err:?}");
        let Error::Refused { message, code, .. } = err else {
            panic!()
        };
        assert_eq!(code, Some(30228));
        assert_eq!(message, "Data validation error; secret: Wrong secret");
    }

    #[test]
    fn not_found_and_unreadable() {
        assert_eq!(
            answer(404, "Not found").success().unwrap_err(),
            Error::NotFound
        );
        assert_eq!(
            answer(404, r#"{"message":"Not found"}"#)
                .success()
                .unwrap_err(),
            Error::NotFound
        );
        assert!(matches!(
            answer(200, "<html>").success(),
            Err(Error::Unreadable {
                http_status: 200,
                ..
            })
        ));
        assert!(matches!(
            answer(200, r#"{"x":1}"#).success(),
            Err(Error::Unreadable { .. })
        ));
        assert!(matches!(
            answer(400, r#"{"status":"ok"}"#).success(),
            Err(Error::Unreadable { .. })
        ));
        assert!(
            answer(200, r#"{"status":"success","code":20000,"data":[]}"#)
                .success()
                .is_ok()
        );
    }
}
