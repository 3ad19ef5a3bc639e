//! Section 2: hashing redirect URLs for the payment window (`success_url`, `fail_url`,
//! `pending_url`). A hash lives one day.

use reqwest::Method;

use super::envelope::Answer;
use super::read::{integer, items, text};
use super::transport::{Body, Query};
use super::{Client, Error};
use crate::php::{self, JsonFlags, PhpValue};

/// A redirect URL and its number in the list (`order`). In answers `url` is the hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderedUrl {
    pub order: i64,
    pub url: String,
}

/// The URLs to hash. One of `success_urls`/`fail_urls` may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashUrlRequest {
    pub success_urls: Vec<OrderedUrl>,
    pub fail_urls: Vec<OrderedUrl>,
    pub pending_urls: Vec<OrderedUrl>,
}

/// The hashes, by the same `order` numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashedUrls {
    pub success_url: Vec<OrderedUrl>,
    pub fail_url: Vec<OrderedUrl>,
    pub pending_url: Vec<OrderedUrl>,
}

fn url_list(urls: &[OrderedUrl]) -> PhpValue<'static> {
    PhpValue::List(
        urls.iter()
            .map(|u| {
                PhpValue::Map(vec![
                    ("order".into(), PhpValue::int(u.order)),
                    ("url".into(), PhpValue::string(u.url.clone())),
                ])
            })
            .collect(),
    )
}

fn read_list(answer: &Answer, v: Option<&PhpValue>) -> Result<Vec<OrderedUrl>, Error> {
    items(v)
        .into_iter()
        .map(|u| {
            let order = integer(u.get("order"))
                .ok_or_else(|| answer.unreadable("a hashed URL has no order"))?;
            let url =
                text(u.get("url")).ok_or_else(|| answer.unreadable("a hashed URL has no hash"))?;
            Ok(OrderedUrl { order, url })
        })
        .collect()
}

impl Client {
    /// `POST hash-url`: hashes the redirect URLs for the payment window.
    pub async fn hash_url(&self, request: &HashUrlRequest) -> Result<HashedUrls, Error> {
        self.guarded(async {
            let body = PhpValue::Map(vec![
                ("success_urls".into(), url_list(&request.success_urls)),
                ("fail_urls".into(), url_list(&request.fail_urls)),
                ("pending_urls".into(), url_list(&request.pending_urls)),
            ]);
            let json = php::encode(&body, JsonFlags::UNESCAPED);
            let answer = self
                .exchange(
                    Method::POST,
                    &self.config.paths.hash_url,
                    &Query::new(),
                    Body::Json(json),
                    true,
                )
                .await?;
            let v = answer.success()?;
            let urls = v
                .get("urls")
                .or_else(|| v.get("data").and_then(|d| d.get("urls")));
            let urls = urls.ok_or_else(|| answer.unreadable("no urls in the answer"))?;
            Ok(HashedUrls {
                success_url: read_list(&answer, urls.get("success_url"))?,
                fail_url: read_list(&answer, urls.get("fail_url"))?,
                pending_url: read_list(&answer, urls.get("pending_url"))?,
            })
        })
        .await
    }
}
