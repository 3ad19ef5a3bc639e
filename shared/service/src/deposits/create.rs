//! `POST /v1/deposits`: validates the order, checks the method (switched on, amount within its
//! limits), creates the payment at the gateway by the method's flow and records the deposit.
//!
//! Idempotency: the first answer is kept under (user, `Idempotency-Key`) with a hash of the
//! request; a retry replays it, the same key with another body is 422. The deposit id (our
//! `custom_transaction_id`) is derived from (user, key), so concurrent or crashed retries land
//! on the same deposit instead of creating a second one.

use std::collections::BTreeMap;

use paykassma::client::{PaymentRequest, UpiSRequest};
use paykassma::window::{Lang, PluginUrl};
use payments::store::{IdempotencyPut, IdempotencyRecord, NewDeposit};
use payments::{Currency, DepositId, Label, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DepositView, Flow, view};
use crate::Deps;
use crate::http::ApiError;
use crate::methods::{self, Kind};
use crate::reconcile::hash_urls::WindowHashes;

/// Idempotency records of this route.
pub const SCOPE: &str = "deposits";
/// How long a concurrent duplicate waits for the first request's answer.
const FIRST_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a first answer is replayed.
const IDEMPOTENCY_TTL: time::Duration = time::Duration::hours(24);
/// Namespace of the request hashes (and of over-long record keys).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1d_2a8e_4b7c_4c3e_9a51_0d7e_3f2b_8c41);

/// The body of `POST /v1/deposits`.
#[derive(Clone, Debug, Deserialize)]
pub struct CreateRequest {
    pub wallet_type: String,
    /// A decimal string or a JSON number.
    #[serde(deserialize_with = "paykassma::money::de_decimal")]
    pub amount: Decimal,
    pub currency: String,
    /// Redirect methods: where the gateway sends the user back.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// Redirect methods: the bank code, when the method asks for one.
    #[serde(default)]
    pub bank: Option<String>,
    /// `en` (default) or `hi`.
    #[serde(default)]
    pub language: Option<String>,
    /// `window`: answer a payment-window URL instead of creating the payment here.
    #[serde(default)]
    pub mode: Option<String>,
}

/// The request as hashed for idempotency: normalized, so `500`, `"500"` and `"500.00"` agree.
#[derive(Serialize)]
struct Canonical<'a> {
    wallet_type: &'a str,
    amount: String,
    currency: &'a str,
    redirect_url: Option<&'a str>,
    bank: Option<&'a str>,
    language: Option<&'a str>,
    mode: Option<&'a str>,
}

/// The stored first answer.
#[derive(Serialize, Deserialize)]
struct Stored {
    status: u16,
    body: DepositView,
}

/// A created (or replayed) deposit and the HTTP status to answer with.
#[derive(Debug)]
pub struct Created {
    pub status: u16,
    pub deposit: DepositView,
    pub replayed: bool,
}

/// The checked order.
struct Order {
    wallet_type: String,
    money: Money,
    redirect_url: Option<String>,
    bank: Option<String>,
    language: Lang,
    window: bool,
}

fn validate(req: &CreateRequest) -> Result<Order, ApiError> {
    let wallet_type = req.wallet_type.trim();
    if wallet_type.is_empty() || wallet_type.len() > 190 || wallet_type != req.wallet_type {
        return Err(ApiError::validation(
            "wallet_type",
            "1-190 characters, no surrounding spaces",
        ));
    }
    let currency = Currency::parse(req.currency.trim())
        .map_err(|e| ApiError::validation("currency", e.to_string()))?;
    let money = Money::new(req.amount, currency)?;
    let language = match req.language.as_deref() {
        None => Lang::En,
        Some(l) => l
            .parse::<Lang>()
            .map_err(|_| ApiError::validation("language", "en or hi"))?,
    };
    let window = match req.mode.as_deref() {
        None => false,
        Some("window") => true,
        Some(_) => return Err(ApiError::validation("mode", "only \"window\" is supported")),
    };
    if let Some(u) = &req.redirect_url {
        let ok = url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(ApiError::validation("redirect_url", "an http(s) URL"));
        }
    }
    if let Some(b) = &req.bank
        && (b.trim().is_empty() || b.trim() != b || b.len() > 64)
    {
        return Err(ApiError::validation(
            "bank",
            "1-64 characters, no surrounding spaces",
        ));
    }
    Ok(Order {
        wallet_type: wallet_type.to_string(),
        money,
        redirect_url: req.redirect_url.clone(),
        bank: req.bank.clone(),
        language,
        window,
    })
}

fn request_hash(req: &CreateRequest, order: &Order) -> String {
    let canonical = Canonical {
        wallet_type: &order.wallet_type,
        amount: order.money.amount().to_string(),
        currency: order.money.currency().code(),
        redirect_url: req.redirect_url.as_deref(),
        bank: req.bank.as_deref(),
        language: req.language.as_deref(),
        mode: req.mode.as_deref(),
    };
    let text = serde_json::to_string(&canonical).unwrap_or_default();
    Uuid::new_v5(&NAMESPACE, text.as_bytes()).to_string()
}

/// The deposit id for (user, key): stable across retries ([`DepositId::for_request`]).
pub fn derived_id(label: &Label, idempotency_key: &str) -> Result<DepositId, ApiError> {
    Ok(DepositId::for_request(label, idempotency_key))
}

/// The idempotency record's key: `<label length>:<label>:<key>`. The length prefix makes the
/// split unambiguous (labels may contain any printable character), so two users' keys can
/// never coincide.
/// Keys longer than the store takes (long non-ASCII labels) are replaced by their hash.
fn record_key(label: &Label, idempotency_key: &str) -> String {
    let key = format!(
        "{}:{}:{}",
        label.as_str().len(),
        label.as_str(),
        idempotency_key
    );
    if key.len() <= 500 {
        key
    } else {
        format!("h:{}", Uuid::new_v5(&NAMESPACE, key.as_bytes()).simple())
    }
}

fn replay(record: &IdempotencyRecord, hash: &str) -> Result<Created, ApiError> {
    if record.request_hash != hash {
        return Err(reused());
    }
    let stored: Stored = serde_json::from_str(&record.response)
        .map_err(|e| ApiError::Internal(format!("stored idempotent answer: {e}")))?;
    Ok(Created {
        status: stored.status,
        deposit: stored.body.with_inline_qr(),
        replayed: true,
    })
}

/// Another request with this key got the deposit id to the gateway first (the gateway says
/// the `custom_transaction_id` is taken): wait for that request's answer and replay it, or 409
/// when it does not come (still running, or it died after the gateway call).
async fn wait_for_first(deps: &Deps, key: &str, hash: &str) -> Result<Created, ApiError> {
    let deadline = tokio::time::Instant::now() + FIRST_ANSWER_WAIT;
    loop {
        if let Some(first) = deps.store.get_idempotency(SCOPE, key).await? {
            return replay(&first, hash);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::Conflict(
                "a request with this Idempotency-Key is in progress; retry shortly".into(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn reused() -> ApiError {
    ApiError::unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was used with a different request",
    )
}

/// Creates the deposit (or replays the first answer for this key).
pub async fn create(
    deps: &Deps,
    label: &Label,
    idempotency_key: &str,
    req: CreateRequest,
) -> Result<Created, ApiError> {
    let order = validate(&req)?;
    let hash = request_hash(&req, &order);
    let key = record_key(label, idempotency_key);
    if let Some(record) = deps.store.get_idempotency(SCOPE, &key).await? {
        return replay(&record, &hash);
    }
    let id = derived_id(label, idempotency_key)?;
    let deposit = match deps.store.get_deposit(&id).await? {
        // A previous attempt created it but did not get to store its answer: the same order
        // is answered with it, another order under the same key is refused.
        Some(existing) if existing.label == *label => {
            let same =
                existing.wallet_type == order.wallet_type && existing.amount == Some(order.money);
            if !same {
                return Err(reused());
            }
            existing
        }
        Some(_) => return Err(ApiError::Internal("derived deposit id collision".into())),
        None => match open_new(deps, label, &id, &order, &key, &hash).await? {
            Opened::Deposit(d) => d,
            Opened::Replayed(created) => return Ok(created),
        },
    };
    tracing::info!(deposit_id = %deposit.id.as_str(), wallet_type = %deposit.wallet_type, "deposit created");
    let body = view(deps, &deposit);
    let stored = Stored {
        status: 201,
        body: body.clone().without_inline_qr(),
    };
    let now = deps.clock.now();
    let record = IdempotencyRecord {
        scope: SCOPE.into(),
        key,
        request_hash: hash.clone(),
        response: serde_json::to_string(&stored)
            .map_err(|e| ApiError::Internal(format!("encoding the answer: {e}")))?,
        created_at: now,
        expires_at: now + IDEMPOTENCY_TTL,
    };
    match deps.store.put_idempotency(record).await? {
        IdempotencyPut::Stored => Ok(Created {
            status: 201,
            deposit: body,
            replayed: false,
        }),
        IdempotencyPut::Existing(first) => replay(&first, &hash),
    }
}

/// At most this many `custom_transaction_id`s are tried for one deposit's creation.
const MAX_CREATE_ATTEMPTS: u32 = 4;

/// What opening a new deposit came to. Returned once per creation and matched at once, so the
/// variants' sizes cost nothing worth a box.
#[allow(clippy::large_enum_variant)]
enum Opened {
    Deposit(payments::store::Deposit),
    /// Another request with the same key finished first: its answer.
    Replayed(Created),
}

/// Opens the payment at the gateway and records the deposit. When the gateway already has
/// this deposit's id and no first answer comes, the request that sent it died after the
/// gateway took it (its Lambda was killed): that payment was never shown to anyone, so the
/// deposit is opened under its next attempt's id (`<id>_<n>`) instead of answering 409
/// forever.
async fn open_new(
    deps: &Deps,
    label: &Label,
    id: &DepositId,
    order: &Order,
    key: &str,
    hash: &str,
) -> Result<Opened, ApiError> {
    let currency = order.money.currency();
    let method = methods::find(deps, currency, label, &order.wallet_type).await?;
    methods::check_limits(&method, order.money.amount())?;
    let mut attempt = 1;
    let details = loop {
        match open_at_gateway(deps, label, id, attempt, order, &method).await {
            Ok(d) => break d,
            Err(GatewayOpen::IdTaken) if attempt < MAX_CREATE_ATTEMPTS => {
                if attempt == 1 {
                    match wait_for_first(deps, key, hash).await {
                        Ok(created) => return Ok(Opened::Replayed(created)),
                        Err(ApiError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                    if let Some(d) = deps.store.get_deposit(id).await? {
                        return Ok(Opened::Deposit(d));
                    }
                }
                tracing::warn!(deposit_id = %id.as_str(), attempt, "the gateway has this deposit's id from a request that did not finish; opening the next attempt");
                attempt += 1;
            }
            Err(GatewayOpen::IdTaken) => {
                return Err(ApiError::Conflict(
                    "a request with this Idempotency-Key is in progress; retry shortly".into(),
                ));
            }
            Err(GatewayOpen::Api(e)) => return Err(e),
        }
    };
    let new = NewDeposit {
        id: id.clone(),
        label: label.clone(),
        currency,
        amount: Some(order.money),
        wallet_type: order.wallet_type.clone(),
        details,
        created_at: deps.clock.now(),
    };
    match deps.store.create_deposit(new).await {
        Ok(d) => Ok(Opened::Deposit(d)),
        Err(payments::StoreError::AlreadyExists { .. }) => deps
            .store
            .get_deposit(id)
            .await?
            .map(Opened::Deposit)
            .ok_or_else(|| ApiError::Conflict("deposit is being created".into())),
        Err(e) => Err(e.into()),
    }
}

/// Why the gateway flow did not open the payment.
enum GatewayOpen {
    /// Our deposit id is already known to the gateway: another request with the same key
    /// sent it (ids derive from the key).
    IdTaken,
    Api(ApiError),
}

impl From<ApiError> for GatewayOpen {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<paykassma::client::Error> for GatewayOpen {
    fn from(e: paykassma::client::Error) -> Self {
        match e {
            paykassma::client::Error::Refused { ref fields, .. }
                if fields.contains_key("custom_transaction_id") =>
            {
                Self::IdTaken
            }
            e => Self::Api(e.into()),
        }
    }
}

/// Runs the method's creation flow at the gateway; returns what the deposit keeps.
async fn open_at_gateway(
    deps: &Deps,
    label: &Label,
    id: &DepositId,
    attempt: u32,
    order: &Order,
    method: &methods::Method,
) -> Result<BTreeMap<String, String>, GatewayOpen> {
    let order_ref = id.order_ref(attempt);
    let flow = flow_at_gateway(deps, label, &order_ref, order, method).await?;
    let mut details = flow.to_details();
    if attempt > 1 {
        details.insert(payments::store::ORDER_REF.to_string(), order_ref);
    }
    Ok(details)
}

/// The gateway's half of the flow: the window URL, the identifier to pay to, the UPI_S order
/// or the redirect page.
async fn flow_at_gateway(
    deps: &Deps,
    label: &Label,
    order_ref: &str,
    order: &Order,
    method: &methods::Method,
) -> Result<Flow, GatewayOpen> {
    let currency = order.money.currency().code();
    if order.window {
        let w = &deps.settings.window;
        let mut url = PluginUrl::new(deps.gateway.config().plugin_base.clone(), label.as_str())
            .currency_code(currency)
            .lang(order.language)
            .wallet_type(order.wallet_type.clone())
            .custom_transaction_id(order_ref)
            .fixed_amount(order.money.amount());
        // Each redirect: the current hash of the configured URL, else the registered id.
        let hashes = crate::reconcile::hash_urls::usable(deps).await?;
        let hash = |pick: fn(&WindowHashes) -> &Option<String>| {
            hashes.as_ref().and_then(|h| pick(h).clone())
        };
        url = match (hash(|h| &h.success_url), w.success_url_id) {
            (Some(hash), _) => url.success_url(hash),
            (None, Some(i)) => url.payment_url_success_id(u64::from(i)),
            (None, None) => url,
        };
        url = match (hash(|h| &h.pending_url), w.pending_url_id) {
            (Some(hash), _) => url.pending_url(hash),
            (None, Some(i)) => url.payment_url_pending_id(u64::from(i)),
            (None, None) => url,
        };
        url = match (hash(|h| &h.fail_url), w.fail_url_id) {
            (Some(hash), _) => url.fail_url(hash),
            (None, Some(i)) => url.payment_url_fail_id(u64::from(i)),
            (None, None) => url,
        };
        let url = url
            .build()
            .map_err(|e| ApiError::validation("mode", e.to_string()))?;
        return Ok(Flow::Window {
            method: method.kind,
            payment_url: url.to_string(),
        });
    }
    Ok(match method.kind {
        Kind::P2p => Flow::P2p {
            pay_to: pay_to_at_gateway(deps, label, order).await?,
        },
        Kind::Manual => Flow::Manual {
            pay_to: pay_to_at_gateway(deps, label, order).await?,
            accepts_screenshot: method.accepts_screenshot,
        },
        Kind::Qr => {
            let created = deps
                .gateway
                .create_upi_s(&UpiSRequest {
                    currency: currency.to_string(),
                    label: label.as_str().to_string(),
                    amount: order.money.amount(),
                    custom_transaction_id: order_ref.to_string(),
                })
                .await?;
            Flow::Qr {
                order_id: created.order_id,
                qr_data: created.qr_data,
            }
        }
        Kind::Redirect => {
            let Some(redirect_url) = order.redirect_url.clone() else {
                return Err(ApiError::validation(
                    "redirect_url",
                    "required for this payment method",
                )
                .into());
            };
            let created = deps
                .gateway
                .create_payment(&PaymentRequest {
                    payment_system: order.wallet_type.clone(),
                    language: order.language.as_str().to_string(),
                    currency: currency.to_string(),
                    bank: order.bank.clone(),
                    amount: order.money.amount(),
                    label: label.as_str().to_string(),
                    redirect_url,
                    custom_transaction_id: Some(order_ref.to_string()),
                })
                .await?;
            Flow::Redirect {
                redirect_url: created.redirect_url,
            }
        }
    })
}

/// P2P and manual: the identifier the user pays to.
async fn pay_to_at_gateway(
    deps: &Deps,
    label: &Label,
    order: &Order,
) -> Result<String, GatewayOpen> {
    Ok(deps
        .gateway
        .create_p2p_transaction(
            &order.wallet_type,
            order.money.currency().code(),
            label.as_str(),
        )
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(amount: &str, currency: &str) -> CreateRequest {
        CreateRequest {
            wallet_type: "upi_l".into(),
            amount: amount.parse().unwrap(),
            currency: currency.into(),
            redirect_url: None,
            bank: None,
            language: None,
            mode: None,
        }
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(
            validate(&req("-5", "INR")).err().unwrap().code(),
            "validation"
        );
        let e = validate(&req("1.005", "INR")).err().unwrap();
        assert!(e.to_string().starts_with("amount"), "{e}");
        let e = validate(&req("10", "XXX")).err().unwrap();
        assert!(e.to_string().starts_with("currency"), "{e}");
        assert!(validate(&req("500", "INR")).is_ok());
    }

    #[test]
    fn equal_amounts_hash_alike_and_ids_are_stable() {
        let (a, b) = (req("500", "INR"), req("500.00", "INR"));
        let (oa, ob) = (validate(&a).unwrap(), validate(&b).unwrap());
        assert_eq!(request_hash(&a, &oa), request_hash(&b, &ob));
        let c = req("501", "INR");
        assert_ne!(
            request_hash(&a, &oa),
            request_hash(&c, &validate(&c).unwrap())
        );
        let label = Label::parse("user-1").unwrap();
        assert_ne!(
            record_key(&Label::parse("a#b").unwrap(), "c"),
            record_key(&Label::parse("a").unwrap(), "b#c")
        );
        let long = Label::parse(&"é".repeat(190)).unwrap();
        assert!(record_key(&long, &"k".repeat(255)).len() <= 500);
        let id = derived_id(&label, "k1").unwrap();
        assert_eq!(id, derived_id(&label, "k1").unwrap());
        assert_ne!(id, derived_id(&label, "k2").unwrap());
        assert_eq!(id.as_str().len(), 33);
    }
}
