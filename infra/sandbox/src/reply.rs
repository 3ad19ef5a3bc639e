//! Answers as the gateway's PHP writes them: bodies built as ordered [`PhpValue`] trees and
//! encoded with `json_encode`'s default flags (`\/`, `\uXXXX`), plus the documented error shapes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paykassma::php::{self, JsonFlags, PhpValue};
use rust_decimal::Decimal;

/// An object with keys in the given order.
pub fn obj<const N: usize>(fields: [(&str, PhpValue<'static>); N]) -> PhpValue<'static> {
    PhpValue::Map(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string().into(), v))
            .collect(),
    )
}

pub fn s(text: impl Into<String>) -> PhpValue<'static> {
    PhpValue::string(text)
}

/// A decimal as a JSON number keeping its scale (`-324324.00`), as the balance endpoint shows.
pub fn number_text(d: Decimal) -> PhpValue<'static> {
    php::parse(d.to_string().as_bytes())
        .map(PhpValue::into_owned)
        .unwrap_or_else(|_| PhpValue::decimal(d))
}

/// A JSON body with the given status.
pub fn json(status: StatusCode, body: &PhpValue) -> Response {
    let mut resp = (status, php::encode(body, JsonFlags::DEFAULT)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

pub fn ok(body: &PhpValue) -> Response {
    json(StatusCode::OK, body)
}

/// Field errors, Laravel style: `{"field":["message", ...]}` in the order found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(String, Vec<String>)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, msgs)) => msgs.push(message.into()),
            None => self.0.push((field.to_string(), vec![message.into()])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn to_php(&self) -> PhpValue<'static> {
        PhpValue::Map(
            self.0
                .iter()
                .map(|(f, msgs)| {
                    (
                        f.clone().into(),
                        PhpValue::List(msgs.iter().map(|m| s(m.as_str())).collect()),
                    )
                })
                .collect(),
        )
    }
}

/// A refused request, in one of the documented shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    /// `{"status":"fail","message":"TEXT"}`.
    Message(String),
    /// `{"status":"fail","message":{"field":["text"]}}`.
    Fields(FieldErrors),
}

impl Fail {
    pub fn msg(text: impl Into<String>) -> Self {
        Self::Message(text.into())
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, message);
        Self::Fields(e)
    }

    pub fn body(&self) -> PhpValue<'static> {
        let message = match self {
            Self::Message(m) => s(m.as_str()),
            Self::Fields(f) => f.to_php(),
        };
        obj([("status", s("fail")), ("message", message)])
    }

    pub fn into_response_with(self, status: StatusCode) -> Response {
        json(status, &self.body())
    }
}

impl From<FieldErrors> for Fail {
    fn from(e: FieldErrors) -> Self {
        Self::Fields(e)
    }
}

/// The answer to a missing or wrong `secret`: 404 "Not found" on the older endpoints, 404 with
/// the newer JSON error on the `status/code/data` endpoints.
pub fn not_found(newer: bool) -> Response {
    if newer {
        let body = obj([
            ("status", s("error")),
            ("code", PhpValue::int(30228)),
            (
                "errors",
                obj([
                    ("target", s("secret")),
                    ("code", PhpValue::int(36205)),
                    ("message", s("Wrong secret")),
                ]),
            ),
            ("error_message", s("Data validation error")),
        ]);
        json(StatusCode::NOT_FOUND, &body)
    } else {
        (StatusCode::NOT_FOUND, "Not found").into_response()
    }
}

/// The newer success envelope: `{"status":"success","message":"","code":20000,"data":...}`.
pub fn success(data: PhpValue<'static>, paginate: Option<PhpValue<'static>>) -> PhpValue<'static> {
    let mut body = obj([
        ("status", s("success")),
        ("message", s("")),
        ("code", PhpValue::int(20000)),
        ("data", data),
    ]);
    if let Some(p) = paginate {
        body.insert("paginate", p);
    }
    body
}

/// Currency symbols of the `currency` blocks (the code itself when unknown).
pub fn currency_symbol(code: &str) -> &str {
    match code {
        "INR" => "₹",
        "BDT" => "৳",
        "PKR" => "₨",
        "USD" => "$",
        "EUR" => "€",
        "MYR" => "RM",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_bodies_have_the_documented_shapes() {
        assert_eq!(
            php::encode(&Fail::msg("Invalid signature").body(), JsonFlags::DEFAULT),
            r#"{"status":"fail","message":"Invalid signature"}"#
        );
        let f = Fail::field("withdrawals_sum_amount", "Insufficient balance");
        assert_eq!(
            php::encode(&f.body(), JsonFlags::DEFAULT),
            r#"{"status":"fail","message":{"withdrawals_sum_amount":["Insufficient balance"]}}"#
        );
    }

    #[test]
    fn number_text_keeps_the_scale() {
        assert_eq!(
            php::encode(&number_text(Decimal::new(-32432400, 2)), JsonFlags::DEFAULT),
            "-324324.00"
        );
        assert_eq!(
            php::encode(&number_text(Decimal::new(187239195, 3)), JsonFlags::DEFAULT),
            "187239.195"
        );
    }
}
