//! One HTTP exchange with the gateway: URL and query building (secret first, PHP array
//! form for lists), sending, and sorting transport failures into "not sent" and "unknown".
//! Logs carry the method and path only, never the query (it holds the secret).

use std::time::Instant;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use url::Url;

use super::Client;
use super::envelope::Answer;
use super::error::{Error, redact, snippet};

/// A request body.
pub(crate) enum Body {
    None,
    /// JSON text, sent with `Content-Type: application/json`.
    Json(String),
    /// `multipart/form-data`.
    Multipart(reqwest::multipart::Form),
}

/// Query parameters after `secret`. Keys are our own constants (written as they are, so
/// `name[]` keeps its brackets as in PHP's array form); values are form-urlencoded.
#[derive(Default)]
pub(crate) struct Query(Vec<(&'static str, String)>);

impl Query {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.push((key, value.into()));
        self
    }

    pub fn push_opt(&mut self, key: &'static str, value: Option<impl Into<String>>) -> &mut Self {
        if let Some(v) = value {
            self.0.push((key, v.into()));
        }
        self
    }

    fn encode(&self, secret: Option<&str>) -> String {
        let mut pairs: Vec<String> = Vec::with_capacity(self.0.len() + 1);
        if let Some(s) = secret {
            pairs.push(format!("secret={}", form_encode(s)));
        }
        pairs.extend(
            self.0
                .iter()
                .map(|(k, v)| format!("{k}={}", form_encode(v))),
        );
        pairs.join("&")
    }
}

fn form_encode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// Characters escaped in a path segment we substitute (`{wallet_type}`): all but
/// unreserved ones, so a value can never add a segment or a query.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Fills `{name}` in a path template with a percent-encoded segment.
pub(crate) fn fill(template: &str, name: &str, value: &str) -> Result<String, Error> {
    if value.trim().is_empty() || value == "." || value == ".." {
        return Err(Error::Request(format!(
            "{name} is not a valid path segment"
        )));
    }
    Ok(template.replace(
        &format!("{{{name}}}"),
        &utf8_percent_encode(value, SEGMENT).to_string(),
    ))
}

/// Appends `path` to `base`'s path (keeping a prefix like `/gw`) and sets the query.
fn endpoint_url(base: &Url, path: &str, query: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url.set_query(if query.is_empty() { None } else { Some(query) });
    url.set_fragment(None);
    url
}

impl Client {
    /// Sends one request and returns the answer of any status below 500. `with_secret`
    /// puts `secret=` first in the query.
    pub(crate) async fn exchange(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Body,
        with_secret: bool,
    ) -> Result<Answer, Error> {
        let secret = with_secret.then(|| self.config.secret.expose());
        let url = endpoint_url(&self.config.api_base, path, &query.encode(secret));
        let logged_path = url.path().to_string();
        let mut request = self.http.request(method.clone(), url);
        request = match body {
            Body::None => request,
            Body::Json(json) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(json),
            Body::Multipart(form) => request.multipart(form),
        };
        let mut request = request.header(reqwest::header::ACCEPT, "application/json");
        if let Some(left) = super::deadline::remaining() {
            if left < super::deadline::MIN_CALL {
                return Err(Error::Unreachable {
                    reason: format!(
                        "not sent: {} ms left of the caller's time budget",
                        left.as_millis()
                    ),
                });
            }
            request = request.timeout(left.min(self.config.timeout));
        }
        let started = Instant::now();
        tracing::debug!(%method, path = %logged_path, "paykassma request");
        let response = request.send().await.map_err(|e| {
            let e = self.transport_error(e);
            tracing::debug!(%method, path = %logged_path, error = %e, "paykassma request failed");
            e
        })?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?
            .to_vec();
        tracing::debug!(
            %method,
            path = %logged_path,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "paykassma answer"
        );
        if status >= 500 {
            return Err(Error::Unknown {
                reason: format!("HTTP {status}: {}", snippet(&body, 200)),
                http_status: Some(status),
            });
        }
        Ok(Answer { status, body })
    }

    /// Sorts a reqwest failure: a failed connect never sent anything; every other failure
    /// (timeout, reset, truncated answer) happened after the request may have been read.
    fn transport_error(&self, e: reqwest::Error) -> Error {
        // reqwest errors print their URL, which carries `?secret=`.
        let e = e.without_url();
        let reason = self.redact(&error_chain(&e));
        if e.is_connect() {
            Error::Unreachable { reason }
        } else if e.is_builder() {
            Error::Request(reason)
        } else {
            Error::Unknown {
                reason,
                http_status: None,
            }
        }
    }

    /// Removes both secrets from a text bound for an error.
    pub(crate) fn redact(&self, text: &str) -> String {
        let text = redact(text, self.config.secret.expose());
        redact(&text, self.config.withdrawal_private_key.expose())
    }
}

/// An error with its sources, on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_prefix_and_php_arrays() {
        let mut q = Query::new();
        q.push("type", "deposit")
            .push("id[]", "a b")
            .push("id[]", "x&y");
        let base = Url::parse("http://127.0.0.1:9/gw/").unwrap();
        let url = endpoint_url(&base, "/api/v1/pullpostbacks", &q.encode(Some("s/+=")));
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/gw/api/v1/pullpostbacks?secret=s%2F%2B%3D&type=deposit&id[]=a+b&id[]=x%26y"
        );
        let base = Url::parse("https://api.example.test").unwrap();
        assert_eq!(
            endpoint_url(&base, "/v2/withdrawal/create", "").as_str(),
            "https://api.example.test/v2/withdrawal/create"
        );
    }

    #[test]
    fn path_values_are_one_segment() {
        assert_eq!(fill("/a/{w}", "w", "upi_l").unwrap(), "/a/upi_l");
        assert_eq!(
            fill("/a/{w}", "w", "x/../y?z").unwrap(),
            "/a/x%2F..%2Fy%3Fz"
        );
        assert!(fill("/a/{w}", "w", " ").is_err());
        assert!(fill("/a/{w}", "w", "..").is_err());
    }
}
