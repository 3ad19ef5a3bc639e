//! Domain records <-> DynamoDB items. Amounts are `N` (exact decimal text, never `f64`), times
//! are fixed-width UTC strings (sortable), optional fields are left out when absent.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::table::{GSI1PK, GSI1SK, PK, SK, TTL};
use payments::money::{Currency, Money, at_scale};
use payments::store::keys::OpenShards;
use payments::store::keys::{self, META};
use payments::store::{
    Balance, Deposit, EntryKind, IdempotencyRecord, LedgerEntry, MethodSwitch, Page, PayoutLimit,
    PayoutSwitch, PostbackKind, PostbackRecord, Resolution, ResolutionOutcome, StoreError,
    UnbookedPostback, UnbookedState, Withdrawal,
};
use payments::{DepositId, DepositStatus, Label, WithdrawalId, WithdrawalStatus};

pub type Item = HashMap<String, AttributeValue>;

/// One page of a query, its items decoded into records; `next` passes through.
pub fn page_of<T>(
    items: &[Item],
    next: Option<String>,
    decode: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    Ok(Page {
        items: items.iter().map(decode).collect::<Result<_, _>>()?,
        next,
    })
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(d: Decimal) -> AttributeValue {
    AttributeValue::N(d.to_string())
}

pub fn t(at: OffsetDateTime) -> AttributeValue {
    AttributeValue::S(keys::sort_time(at))
}

fn map(m: &BTreeMap<String, String>) -> AttributeValue {
    AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), s(v.clone()))).collect())
}

pub fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

/// Reads attributes of one item, naming the item in every error.
pub struct Reader<'a> {
    item: &'a Item,
}

impl<'a> Reader<'a> {
    pub fn new(item: &'a Item) -> Self {
        Self { item }
    }

    pub fn corrupt(&self, problem: String) -> StoreError {
        let pk = self
            .item
            .get(PK)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        let sk = self
            .item
            .get(SK)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        StoreError::Corrupt {
            key: format!("{pk}/{sk}"),
            problem,
        }
    }

    pub fn opt_s(&self, name: &str) -> Result<Option<&'a str>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.as_str())),
            Some(_) => Err(self.corrupt(format!("{name} is not a string"))),
        }
    }

    pub fn s(&self, name: &str) -> Result<&'a str, StoreError> {
        self.opt_s(name)?
            .ok_or_else(|| self.corrupt(format!("{name} missing")))
    }

    pub fn opt_n(&self, name: &str) -> Result<Option<Decimal>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => Decimal::from_str(v)
                .or_else(|_| Decimal::from_scientific(v))
                .map(Some)
                .map_err(|_| self.corrupt(format!("{name} is not a decimal: {v}"))),
            Some(_) => Err(self.corrupt(format!("{name} is not a number"))),
        }
    }

    pub fn n(&self, name: &str) -> Result<Decimal, StoreError> {
        self.opt_n(name)?
            .ok_or_else(|| self.corrupt(format!("{name} missing")))
    }

    pub fn bool(&self, name: &str) -> Result<bool, StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::Bool(b)) => Ok(*b),
            _ => Err(self.corrupt(format!("{name} is not a boolean"))),
        }
    }

    pub fn time(&self, name: &str) -> Result<OffsetDateTime, StoreError> {
        let v = self.s(name)?;
        keys::parse_sort_time(v).ok_or_else(|| self.corrupt(format!("{name} is not a time: {v}")))
    }

    pub fn map(&self, name: &str) -> Result<BTreeMap<String, String>, StoreError> {
        match self.item.get(name) {
            None => Ok(BTreeMap::new()),
            Some(AttributeValue::M(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    AttributeValue::S(v) => Ok((k.clone(), v.clone())),
                    _ => Err(self.corrupt(format!("{name}.{k} is not a string"))),
                })
                .collect(),
            Some(_) => Err(self.corrupt(format!("{name} is not a map"))),
        }
    }

    pub fn label(&self) -> Result<Label, StoreError> {
        Label::parse(self.s("label")?).map_err(|e| self.corrupt(e.to_string()))
    }

    pub fn currency(&self, name: &str) -> Result<Currency, StoreError> {
        Currency::parse(self.s(name)?).map_err(|e| self.corrupt(e.to_string()))
    }

    pub fn money(&self, amount: &str, currency: &str) -> Result<Money, StoreError> {
        Money::new(self.n(amount)?, self.currency(currency)?)
            .map_err(|e| self.corrupt(e.to_string()))
    }

    pub fn opt_money(&self, amount: &str, currency: &str) -> Result<Option<Money>, StoreError> {
        if self.item.contains_key(amount) {
            self.money(amount, currency).map(Some)
        } else {
            Ok(None)
        }
    }
}

fn put_opt(item: &mut Item, name: &str, v: Option<AttributeValue>) {
    if let Some(v) = v {
        item.insert(name.to_string(), v);
    }
}

pub fn deposit_item(d: &Deposit, shards: OpenShards) -> Item {
    let mut item = key(keys::deposit_pk(&d.id), META);
    item.insert("type".into(), s("deposit"));
    item.insert("id".into(), s(d.id.as_str()));
    item.insert("label".into(), s(d.label.as_str()));
    item.insert("currency".into(), s(d.currency.code()));
    put_opt(&mut item, "amount", d.amount.map(|m| n(m.amount())));
    item.insert("wallet_type".into(), s(d.wallet_type.clone()));
    item.insert("details".into(), map(&d.details));
    item.insert("status".into(), s(d.status.as_str()));
    put_opt(
        &mut item,
        "credited_amount",
        d.credited.map(|m| n(m.amount())),
    );
    put_opt(
        &mut item,
        "credited_currency",
        d.credited.map(|m| s(m.currency().code())),
    );
    put_opt(&mut item, "postback_key", d.postback_key.clone().map(s));
    put_opt(&mut item, "activation_key", d.activation_key.clone().map(s));
    put_opt(&mut item, "message", d.message.clone().map(s));
    // Left out at 1, as items written before attempts existed are.
    put_opt(
        &mut item,
        "attempts",
        (d.attempts > 1).then(|| n(Decimal::from(d.attempts))),
    );
    item.insert("created_at".into(), t(d.created_at));
    item.insert("updated_at".into(), t(d.updated_at));
    if !d.status.is_terminal() {
        let shard = shards.of(d.id.as_str());
        item.insert(GSI1PK.into(), s(keys::open_pk(keys::OPEN_DEPOSITS, shard)));
        item.insert(GSI1SK.into(), s(keys::open_sk(d.created_at, d.id.as_str())));
    }
    item
}

pub fn deposit_from(item: &Item) -> Result<Deposit, StoreError> {
    let r = Reader::new(item);
    let bad = |e: String| StoreError::Corrupt {
        key: format!("deposit {:?}", r.s("id").unwrap_or("?")),
        problem: e,
    };
    let status = r.s("status")?;
    Ok(Deposit {
        id: DepositId::parse(r.s("id")?).map_err(|e| bad(e.to_string()))?,
        label: r.label()?,
        currency: r.currency("currency")?,
        amount: r.opt_money("amount", "currency")?,
        wallet_type: r.s("wallet_type")?.to_string(),
        details: r.map("details")?,
        status: DepositStatus::parse(status)
            .ok_or_else(|| bad(format!("unknown status {status}")))?,
        credited: r.opt_money("credited_amount", "credited_currency")?,
        postback_key: r.opt_s("postback_key")?.map(str::to_string),
        activation_key: r.opt_s("activation_key")?.map(str::to_string),
        message: r.opt_s("message")?.map(str::to_string),
        attempts: match r.opt_n("attempts")? {
            None => 1,
            Some(n) => u32::try_from(n).map_err(|e| bad(format!("attempts: {e}")))?,
        },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub fn withdrawal_item(w: &Withdrawal, shards: OpenShards) -> Item {
    let mut item = key(keys::withdrawal_pk(&w.id), META);
    item.insert("type".into(), s("withdrawal"));
    item.insert("id".into(), s(w.id.as_str()));
    item.insert("label".into(), s(w.label.as_str()));
    item.insert("amount".into(), n(w.money.amount()));
    item.insert("currency".into(), s(w.money.currency().code()));
    item.insert("payment_system".into(), s(w.payment_system.clone()));
    item.insert("details".into(), map(&w.details));
    item.insert("status".into(), s(w.status.as_str()));
    put_opt(&mut item, "message", w.message.clone().map(s));
    item.insert("created_at".into(), t(w.created_at));
    item.insert("updated_at".into(), t(w.updated_at));
    if !w.status.is_terminal() {
        let shard = shards.of(w.id.as_str());
        item.insert(
            GSI1PK.into(),
            s(keys::open_pk(keys::OPEN_WITHDRAWALS, shard)),
        );
        item.insert(GSI1SK.into(), s(keys::open_sk(w.created_at, w.id.as_str())));
    }
    item
}

pub fn withdrawal_from(item: &Item) -> Result<Withdrawal, StoreError> {
    let r = Reader::new(item);
    let bad = |e: String| StoreError::Corrupt {
        key: format!("withdrawal {:?}", r.s("id").unwrap_or("?")),
        problem: e,
    };
    let status = r.s("status")?;
    Ok(Withdrawal {
        id: WithdrawalId::parse(r.s("id")?).map_err(|e| bad(e.to_string()))?,
        label: r.label()?,
        money: r.money("amount", "currency")?,
        payment_system: r.s("payment_system")?.to_string(),
        details: r.map("details")?,
        status: WithdrawalStatus::parse(status)
            .ok_or_else(|| bad(format!("unknown status {status}")))?,
        message: r.opt_s("message")?.map(str::to_string),
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub fn ledger_item(e: &LedgerEntry) -> Item {
    let mut item = key(
        keys::user_pk(&e.label),
        &keys::ledger_sk(e.created_at, &e.id),
    );
    item.insert("type".into(), s("ledger"));
    item.insert("id".into(), s(e.id.clone()));
    item.insert("label".into(), s(e.label.as_str()));
    item.insert("currency".into(), s(e.currency.code()));
    item.insert("amount".into(), n(e.amount));
    item.insert("kind".into(), s(e.kind.as_str()));
    item.insert("reference".into(), s(e.reference.clone()));
    item.insert("created_at".into(), t(e.created_at));
    item
}

pub fn ledger_from(item: &Item) -> Result<LedgerEntry, StoreError> {
    let r = Reader::new(item);
    let kind = r.s("kind")?;
    let currency = r.currency("currency")?;
    Ok(LedgerEntry {
        id: r.s("id")?.to_string(),
        label: r.label()?,
        currency,
        amount: at_scale(r.n("amount")?, currency),
        kind: EntryKind::parse(kind).ok_or_else(|| StoreError::Corrupt {
            key: "ledger".into(),
            problem: format!("unknown kind {kind}"),
        })?,
        reference: r.s("reference")?.to_string(),
        created_at: r.time("created_at")?,
    })
}

pub fn balance_from(item: &Item) -> Result<Balance, StoreError> {
    let r = Reader::new(item);
    let currency = r.currency("currency")?;
    Ok(Balance {
        currency,
        available: at_scale(r.opt_n("available")?.unwrap_or_default(), currency),
        held: at_scale(r.opt_n("held")?.unwrap_or_default(), currency),
    })
}

pub fn postback_item(p: &PostbackRecord) -> Item {
    let mut item = key(keys::postback_pk(&p.dedupe_key), META);
    item.insert("type".into(), s("postback"));
    item.insert("dedupe_key".into(), s(p.dedupe_key.clone()));
    item.insert("kind".into(), s(p.kind.as_str()));
    put_opt(&mut item, "label", p.label.as_ref().map(|l| s(l.as_str())));
    item.insert("raw_body".into(), s(p.raw_body.clone()));
    item.insert("received_at".into(), t(p.received_at));
    item
}

pub fn postback_from(item: &Item) -> Result<PostbackRecord, StoreError> {
    let r = Reader::new(item);
    let kind = r.s("kind")?;
    Ok(PostbackRecord {
        dedupe_key: r.s("dedupe_key")?.to_string(),
        kind: PostbackKind::parse(kind).ok_or_else(|| StoreError::Corrupt {
            key: "postback".into(),
            problem: format!("unknown kind {kind}"),
        })?,
        label: if item.contains_key("label") {
            Some(r.label()?)
        } else {
            None
        },
        raw_body: r.s("raw_body")?.to_string(),
        received_at: r.time("received_at")?,
    })
}

pub fn idempotency_item(rec: &IdempotencyRecord) -> Item {
    let mut item = key(keys::idempotency_pk(&rec.scope, &rec.key), META);
    item.insert("type".into(), s("idempotency"));
    item.insert("scope".into(), s(rec.scope.clone()));
    item.insert("key".into(), s(rec.key.clone()));
    item.insert("request_hash".into(), s(rec.request_hash.clone()));
    item.insert("response".into(), s(rec.response.clone()));
    item.insert("created_at".into(), t(rec.created_at));
    item.insert(
        TTL.into(),
        AttributeValue::N(rec.expires_at.unix_timestamp().to_string()),
    );
    item
}

pub fn idempotency_from(item: &Item) -> Result<IdempotencyRecord, StoreError> {
    let r = Reader::new(item);
    let ttl = r.n(TTL)?;
    let expires_at = i64::try_from(ttl)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .ok_or_else(|| StoreError::Corrupt {
            key: "idempotency".into(),
            problem: format!("bad ttl {ttl}"),
        })?;
    Ok(IdempotencyRecord {
        scope: r.s("scope")?.to_string(),
        key: r.s("key")?.to_string(),
        request_hash: r.s("request_hash")?.to_string(),
        response: r.s("response")?.to_string(),
        created_at: r.time("created_at")?,
        expires_at,
    })
}

pub fn method_from(item: &Item) -> Result<MethodSwitch, StoreError> {
    let r = Reader::new(item);
    Ok(MethodSwitch {
        wallet_type: r.s("wallet_type")?.to_string(),
        enabled: r.bool("enabled")?,
        updated_at: r.time("updated_at")?,
    })
}

/// A payout switch; each currency's limits as `"min:max"` in the `limits` map.
pub fn payout_item(p: &PayoutSwitch) -> Item {
    let mut item = key(
        keys::CONFIG.to_string(),
        &keys::payout_sk(&p.payment_system),
    );
    item.insert("type".into(), s("payout"));
    item.insert("payment_system".into(), s(p.payment_system.clone()));
    item.insert("enabled".into(), AttributeValue::Bool(p.enabled));
    let limits = p
        .limits
        .iter()
        .map(|(c, l)| (c.clone(), format!("{}:{}", l.min, l.max)))
        .collect();
    item.insert("limits".into(), map(&limits));
    item.insert("updated_at".into(), t(p.updated_at));
    item
}

pub fn payout_from(item: &Item) -> Result<PayoutSwitch, StoreError> {
    let r = Reader::new(item);
    let limits = r
        .map("limits")?
        .into_iter()
        .map(|(currency, range)| {
            let limit = range
                .split_once(':')
                .and_then(|(min, max)| Some((min.parse().ok()?, max.parse().ok()?)))
                .map(|(min, max)| PayoutLimit { min, max })
                .ok_or_else(|| r.corrupt(format!("limits.{currency} is not min:max: {range}")))?;
            Ok((currency, limit))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(PayoutSwitch {
        payment_system: r.s("payment_system")?.to_string(),
        enabled: r.bool("enabled")?,
        limits,
        updated_at: r.time("updated_at")?,
    })
}

pub fn unbooked_item(u: &UnbookedPostback) -> Item {
    let mut item = key(keys::unbooked_pk(&u.key), META);
    item.insert("type".into(), s("unbooked"));
    item.insert("key".into(), s(u.key.clone()));
    item.insert("reason".into(), s(u.reason.clone()));
    item.insert("detail".into(), s(u.detail.clone()));
    item.insert("received_at".into(), t(u.received_at));
    put_opt(&mut item, "amount", u.amount.clone().map(s));
    put_opt(&mut item, "currency", u.currency.clone().map(s));
    put_opt(&mut item, "claimed_label", u.label.clone().map(s));
    put_opt(&mut item, "transaction_id", u.transaction_id.clone().map(s));
    put_opt(&mut item, "deposit_id", u.deposit_id.clone().map(s));
    item.insert("raw_body".into(), s(u.raw_body.clone()));
    match &u.state {
        UnbookedState::Open => {
            item.insert("status".into(), s("open"));
            item.insert(GSI1PK.into(), s(keys::OPEN_UNBOOKED));
            item.insert(GSI1SK.into(), s(keys::open_sk(u.received_at, &u.key)));
        }
        UnbookedState::Closed(r) => {
            for (name, value) in resolution_attrs(r) {
                item.insert(name.into(), value);
            }
        }
    }
    item
}

/// The attributes a resolution sets (`status` among them).
pub fn resolution_attrs(r: &Resolution) -> Vec<(&'static str, AttributeValue)> {
    let mut attrs = vec![
        ("status", s(r.outcome.as_str())),
        ("resolved_by", s(r.by.clone())),
        ("resolved_note", s(r.note.clone())),
        ("resolved_at", t(r.at)),
    ];
    if let ResolutionOutcome::Credited { label, money } = &r.outcome {
        attrs.push(("credited_label", s(label.as_str())));
        attrs.push(("credited_amount", n(money.amount())));
        attrs.push(("credited_currency", s(money.currency().code())));
    }
    attrs
}

pub fn unbooked_from(item: &Item) -> Result<UnbookedPostback, StoreError> {
    let r = Reader::new(item);
    let opt = |name: &str| r.opt_s(name).map(|v| v.map(str::to_string));
    let status = r.s("status")?;
    let state = if status == "open" {
        UnbookedState::Open
    } else {
        let outcome = match status {
            "credited" => ResolutionOutcome::Credited {
                label: Label::parse(r.s("credited_label")?).map_err(|e| StoreError::Corrupt {
                    key: "unbooked".into(),
                    problem: e.to_string(),
                })?,
                money: r.money("credited_amount", "credited_currency")?,
            },
            "dismissed" => ResolutionOutcome::Dismissed,
            "booked" => ResolutionOutcome::Booked,
            other => {
                return Err(StoreError::Corrupt {
                    key: "unbooked".into(),
                    problem: format!("unknown status {other}"),
                });
            }
        };
        UnbookedState::Closed(Resolution {
            outcome,
            by: r.s("resolved_by")?.to_string(),
            note: r.s("resolved_note")?.to_string(),
            at: r.time("resolved_at")?,
        })
    };
    Ok(UnbookedPostback {
        key: r.s("key")?.to_string(),
        reason: r.s("reason")?.to_string(),
        detail: r.s("detail")?.to_string(),
        received_at: r.time("received_at")?,
        amount: opt("amount")?,
        currency: opt("currency")?,
        label: opt("claimed_label")?,
        transaction_id: opt("transaction_id")?,
        deposit_id: opt("deposit_id")?,
        raw_body: r.s("raw_body")?.to_string(),
        state,
    })
}
