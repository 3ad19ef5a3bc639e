//! Section 8: looking postbacks up, one (`postback`) or many (`pullpostbacks`, paginated).
//! Each found postback is kept twice: typed ([`Postback`], exact amounts) and raw
//! ([`PhpValue`]), so the merchant can apply it through the same path as a webhook.

use std::collections::{HashSet, VecDeque};

use reqwest::Method;

use super::envelope::Answer;
use super::read::{entries, integer, items, text};
use super::transport::{Body, Query};
use super::{Client, Error};
use crate::php::PhpValue;
use crate::postback::Postback;

/// Which postbacks `pullpostbacks` looks up (the `type` parameter; not the store's
/// `payments::store::PostbackKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PullKind {
    Deposit,
    Withdrawal,
}

impl PullKind {
    /// The `type` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
        }
    }

    /// The field naming an item: `plugin_custom_order_id` (our `custom_transaction_id`) or
    /// `withdrawal_id`.
    pub fn id_field(self) -> &'static str {
        match self {
            Self::Deposit => "plugin_custom_order_id",
            Self::Withdrawal => "withdrawal_id",
        }
    }

    fn id_array(self) -> &'static str {
        match self {
            Self::Deposit => "plugin_custom_order_id[]",
            Self::Withdrawal => "withdrawal_id[]",
        }
    }

    fn list_field(self) -> &'static str {
        match self {
            Self::Deposit => "transactions",
            Self::Withdrawal => "withdrawals",
        }
    }
}

/// The key of a single postback lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostbackQuery {
    /// `type=deposit&transaction_id=`: the gateway's transaction number.
    DepositByTransactionId(String),
    /// `type=deposit&custom_id=`: our `custom_transaction_id`.
    DepositByCustomId(String),
    /// `type=withdrawal&withdrawal_id=`.
    Withdrawal(String),
}

/// A postback read from a lookup answer.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundPostback {
    pub postback: Postback,
    /// The postback object as received (number text and key order kept).
    pub raw: PhpValue<'static>,
}

/// What `pullpostbacks` says about one id.
#[derive(Clone, Debug, PartialEq)]
pub enum PullOutcome {
    Found(Box<FoundPostback>),
    /// No postback (yet): `message` is the gateway's, e.g. "Postback not found".
    NotFound {
        message: String,
    },
    /// A postback object we could not read as a postback (kept for the record).
    Malformed {
        raw: PhpValue<'static>,
        reason: String,
    },
}

/// One item of a `pullpostbacks` answer.
#[derive(Clone, Debug, PartialEq)]
pub struct PulledPostback {
    /// `plugin_custom_order_id` or `withdrawal_id`.
    pub id: String,
    pub outcome: PullOutcome,
}

/// `paginate` of a `pullpostbacks` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paginate {
    pub offset: u64,
    pub total: u64,
    pub limit: u64,
}

/// One page of a `pullpostbacks` answer.
#[derive(Clone, Debug, PartialEq)]
pub struct PullPage {
    pub items: Vec<PulledPostback>,
    pub paginate: Option<Paginate>,
}

fn found(answer: &Answer, raw: &PhpValue) -> Result<FoundPostback, Error> {
    match Postback::from_php(raw) {
        Ok(postback) => Ok(FoundPostback {
            postback,
            raw: raw.clone().into_owned(),
        }),
        Err(e) => Err(answer.unreadable(format!("the postback cannot be read: {e}"))),
    }
}

fn pulled(kind: PullKind, item: &PhpValue) -> Option<PulledPostback> {
    let id = text(item.get(kind.id_field()))?;
    let outcome = match item.get("postback") {
        Some(raw @ PhpValue::Map(_)) => match Postback::from_php(raw) {
            Ok(postback) => PullOutcome::Found(Box::new(FoundPostback {
                postback,
                raw: raw.clone().into_owned(),
            })),
            Err(e) => PullOutcome::Malformed {
                raw: raw.clone().into_owned(),
                reason: e.to_string(),
            },
        },
        _ => PullOutcome::NotFound {
            message: text(item.get("message")).unwrap_or_default(),
        },
    };
    Some(PulledPostback { id, outcome })
}

fn paginate(v: &PhpValue) -> Option<Paginate> {
    let p = v
        .get("paginate")
        .or_else(|| v.get("data").and_then(|d| d.get("paginate")))?;
    let num = |k: &str| integer(p.get(k)).and_then(|n| u64::try_from(n).ok());
    Some(Paginate {
        offset: num("offset").unwrap_or(0),
        total: num("total")?,
        limit: num("limit").unwrap_or(0),
    })
}

impl Client {
    /// `GET postback` (section 8): the postback sent for one deposit or withdrawal.
    /// `Ok(None)` when the answer is a success without a postback (`null`, `[]` or
    /// absent); the gateway's "not found" refusal is [`Error::Refused`].
    pub async fn postback(&self, query: &PostbackQuery) -> Result<Option<FoundPostback>, Error> {
        self.guarded(async {
            let mut q = Query::new();
            match query {
                PostbackQuery::DepositByTransactionId(id) => {
                    q.push("type", "deposit").push("transaction_id", id)
                }
                PostbackQuery::DepositByCustomId(id) => {
                    q.push("type", "deposit").push("custom_id", id)
                }
                PostbackQuery::Withdrawal(id) => {
                    q.push("type", "withdrawal").push("withdrawal_id", id)
                }
            };
            let answer = self
                .exchange(
                    Method::GET,
                    &self.config.paths.postback,
                    &q,
                    Body::None,
                    true,
                )
                .await?;
            let v = answer.success()?;
            let raw = v
                .get("postback")
                .or_else(|| v.get("data").and_then(|d| d.get("postback")));
            match raw {
                None | Some(PhpValue::Null) => Ok(None),
                Some(PhpValue::List(items)) if items.is_empty() => Ok(None),
                Some(raw) => found(&answer, raw).map(Some),
            }
        })
        .await
    }

    /// `GET pullpostbacks` (section 8): one page for the given ids
    /// (`type=deposit&plugin_custom_order_id[]=a&plugin_custom_order_id[]=b`, or
    /// `withdrawal_id[]=`), with optional `offset`/`limit`.
    pub async fn pullpostbacks(
        &self,
        kind: PullKind,
        ids: &[String],
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> Result<PullPage, Error> {
        self.guarded(async {
            if ids.is_empty() {
                return Err(Error::Request("pullpostbacks needs at least one id".into()));
            }
            let mut q = Query::new();
            q.push("type", kind.as_str());
            for id in ids {
                q.push(kind.id_array(), id.clone());
            }
            q.push_opt("offset", offset.map(|o| o.to_string()))
                .push_opt("limit", limit.map(|l| l.to_string()));
            let answer = self
                .exchange(
                    Method::GET,
                    &self.config.paths.pullpostbacks,
                    &q,
                    Body::None,
                    true,
                )
                .await?;
            let v = answer.success()?;
            let data = v.get("data");
            // Lenient: take the list named for the kind, else whichever list is there.
            let list = data.and_then(|d| d.get(kind.list_field())).or_else(|| {
                entries(data)
                    .iter()
                    .map(|(_, l)| l)
                    .find(|l| matches!(l, PhpValue::List(_)))
            });
            let items = items(list)
                .into_iter()
                .filter_map(|item| pulled(kind, item))
                .collect();
            Ok(PullPage {
                items,
                paginate: paginate(&v),
            })
        })
        .await
    }

    /// Looks up every id, at most `batch_size` ids per request. The documents define only the
    /// answer's `paginate` block, not request parameters, so this works whether or not the
    /// gateway honours `offset`/`limit`: it follows `paginate` (stopping when
    /// `offset + count >= total`, when a page repeats, or when a page brings nothing new), and
    /// once a page shows the gateway pages at fewer ids than were asked, it asks at most that
    /// many at a time and asks the ids it has not heard about again. Returns one item per
    /// reported id (first report wins); ids the gateway never mentions are absent: "not
    /// reported", which is not "not found".
    pub async fn pull_all_postbacks(
        &self,
        kind: PullKind,
        ids: &[String],
        batch_size: usize,
    ) -> Result<Vec<PulledPostback>, Error> {
        let mut out = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        let mut queued: HashSet<&str> = HashSet::new();
        for id in ids {
            if queued.insert(id.as_str()) {
                queue.push_back(id.clone());
            }
        }
        let mut size = batch_size.max(1);
        while !queue.is_empty() {
            let batch: Vec<String> = queue.drain(..size.min(queue.len())).collect();
            let wanted: HashSet<&str> = batch.iter().map(String::as_str).collect();
            let mut offset: Option<u64> = None;
            let mut limit: Option<u64> = None;
            let mut page_limit: Option<u64> = None;
            let mut previous: Option<Vec<String>> = None;
            // Each page must report something new; the bound stops a gateway that pages
            // forever.
            for _ in 0..=batch.len() {
                let page = self.pullpostbacks(kind, &batch, offset, limit).await?;
                let on_page: Vec<String> = page.items.iter().map(|i| i.id.clone()).collect();
                if previous.as_ref() == Some(&on_page) {
                    break; // the same page again: `offset` is not honoured
                }
                let count = page.items.len() as u64;
                let mut new = 0;
                for item in page.items {
                    if wanted.contains(item.id.as_str()) && seen.insert(item.id.clone()) {
                        new += 1;
                        out.push(item);
                    }
                }
                previous = Some(on_page);
                if new == 0 || wanted.iter().all(|id| seen.contains(*id)) {
                    break;
                }
                let Some(p) = page.paginate else { break };
                if p.limit > 0 {
                    page_limit = Some(p.limit);
                }
                let step = if p.limit > 0 { p.limit } else { count };
                if step == 0 || p.offset + count >= p.total {
                    break;
                }
                offset = Some(p.offset + step);
                limit = (p.limit > 0).then_some(p.limit);
            }
            let unseen: Vec<String> = batch
                .iter()
                .filter(|id| !seen.contains(id.as_str()))
                .cloned()
                .collect();
            if let Some(l) = page_limit.and_then(|l| usize::try_from(l).ok())
                && l < batch.len()
            {
                size = size.min(l).max(1);
                // Asked again only after progress, so this ends.
                if !unseen.is_empty() && unseen.len() < batch.len() {
                    for id in unseen.into_iter().rev() {
                        queue.push_front(id);
                    }
                }
            }
        }
        Ok(out)
    }
}
