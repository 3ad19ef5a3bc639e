//! The gateway client on the wire: every endpoint's request (method, path, query, body) as a
//! local HTTP server receives it, every example answer of the seeds parsed, and the error
//! classes (refused, not found, unknown, unreadable, unreachable) with the secret absent
//! from every error.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use md5::{Digest as _, Md5};
use paykassma::Secret;
use paykassma::client::{
    ActivateOutcome, ActivateRequest, Client, ClientConfig, Error, HashUrlRequest,
    LEGACY_WALLET_SENDER, ManualActivateRequest, OrderedUrl, Paths, PaymentRequest,
    PaymentsDetails, PostbackQuery, PullKind, PullOutcome, Screenshot, UpiSRequest, UpiSStatus,
    WithdrawalBankDetails, WithdrawalFormat, WithdrawalRequest,
};
use paykassma::php::{self, JsonFlags, PhpValue};
use paykassma::postback::{Direction, PayoutStatus};
use paykassma::signature::request_signature_json;
use rust_decimal::Decimal;
use sha1::Sha1;
use url::Url;

/// Contains characters that must be encoded in a query, to prove the encoding.
const SECRET: &str = "pk_SeCrEt+/=&42";
const SECRET_IN_QUERY: &str = "secret=pk_SeCrEt%2B%2F%3D%2642";
const WITHDRAWAL_KEY: &str = "w-PrIvAtE-key-99";

// ---------------------------------------------------------------------------------------
// A recording gateway

#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    path: String,
    query: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Recorded {
    fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
}

#[derive(Clone)]
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: impl Into<String>) -> Reply {
    Reply {
        status,
        content_type: "application/json",
        body: body.into(),
        delay: Duration::ZERO,
    }
}

#[derive(Clone, Default)]
struct Shared {
    recorded: Arc<Mutex<Vec<Recorded>>>,
    replies: Arc<Mutex<VecDeque<Reply>>>,
}

async fn handle(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    s.recorded.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    });
    let next = s.replies.lock().unwrap().pop_front();
    match next {
        Some(r) => {
            tokio::time::sleep(r.delay).await;
            (
                StatusCode::from_u16(r.status).unwrap(),
                [(header::CONTENT_TYPE, r.content_type)],
                r.body,
            )
                .into_response()
        }
        None => (StatusCode::IM_A_TEAPOT, "no canned reply").into_response(),
    }
}

struct Gateway {
    shared: Shared,
    addr: SocketAddr,
}

impl Gateway {
    async fn start(replies: Vec<Reply>) -> Self {
        let shared = Shared::default();
        shared.replies.lock().unwrap().extend(replies);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { shared, addr }
    }

    fn base(&self) -> Url {
        Url::parse(&format!("http://{}", self.addr)).unwrap()
    }

    fn config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new(
            self.base(),
            Url::parse("https://plugin.example.test").unwrap(),
            Secret::new(SECRET),
            Secret::new(WITHDRAWAL_KEY),
        );
        cfg.timeout = Duration::from_secs(5);
        cfg
    }

    fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }

    fn requests(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    fn only_request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "{all:#?}");
        all.into_iter().next().unwrap()
    }
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/client/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(text: &str) -> PhpValue<'static> {
    php::parse(text.as_bytes()).unwrap().into_owned()
}

fn compact(text: &str) -> String {
    php::encode(&parse(text), JsonFlags::UNESCAPED)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn assert_json_post(r: &Recorded, path: &str, body: &str) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, path);
    assert_eq!(r.query.as_deref(), Some(SECRET_IN_QUERY));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.body_text(), body);
}

fn assert_get(r: &Recorded, path: &str, query: &str) {
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, path);
    assert_eq!(r.query.as_deref(), Some(query));
    assert!(r.body.is_empty());
}

fn assert_no_secret(e: &Error) {
    for text in [format!("{e}"), format!("{e:?}")] {
        for needle in [SECRET, "pk_SeCrEt", "SeCrEt%2B", WITHDRAWAL_KEY] {
            assert!(!text.contains(needle), "secret leaked into {text:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Section 2

#[tokio::test]
async fn hash_url_sends_the_lists_and_reads_the_hashes() {
    let gw = Gateway::start(vec![reply(200, fixture("hash_url_ok.json"))]).await;
    let seed = parse(&fixture("hash_url_request.json"));
    let list = |k: &str| -> Vec<OrderedUrl> {
        let PhpValue::List(items) = seed.get(k).unwrap() else {
            panic!()
        };
        items
            .iter()
            .map(|u| OrderedUrl {
                order: u
                    .get("order")
                    .and_then(|o| match o {
                        PhpValue::Number(n) => n.as_str().parse().ok(),
                        _ => None,
                    })
                    .unwrap(),
                url: u.get("url").and_then(PhpValue::as_str).unwrap().to_string(),
            })
            .collect()
    };
    let request = HashUrlRequest {
        success_urls: list("success_urls"),
        fail_urls: list("fail_urls"),
        pending_urls: list("pending_urls"),
    };
    let hashed = gw.client().hash_url(&request).await.unwrap();

    assert_json_post(
        &gw.only_request(),
        "/api/v1/payment-plugin/hash-url",
        &compact(&fixture("hash_url_request.json")),
    );
    assert_eq!(hashed.success_url.len(), 2);
    assert_eq!(hashed.success_url[0].order, 1);
    assert_eq!(
        hashed.success_url[0].url,
        "a93558ba9e4f04eef3b1f759ae4281305776559ce86ae2af5f6e6498d84b99be"
    );
    assert_eq!(
        hashed.fail_url[1].url,
        "e72ed31e2f3814563a3bc446f6a59f43c946c3a4339c7b2f5c29d12e8066b37c"
    );
    assert_eq!(hashed.pending_url[1].order, 2);
}

// ---------------------------------------------------------------------------------------
// Section 3

#[tokio::test]
async fn available_payment_systems_uses_php_array_query_and_reads_both_answer_forms() {
    let gw = Gateway::start(vec![
        reply(200, fixture("payment_systems_old.json")),
        reply(200, fixture("payment_systems_new.json")),
    ])
    .await;
    let client = gw.client();
    let old = client
        .available_payment_systems(&["USD", "INR"], "55")
        .await
        .unwrap();
    let new = client
        .available_payment_systems(&["INR"], "user 55")
        .await
        .unwrap();

    let reqs = gw.requests();
    assert_get(
        &reqs[0],
        "/api/v1/payment-systems/available",
        &format!("{SECRET_IN_QUERY}&currency_code[]=USD&currency_code[]=INR&label=55"),
    );
    assert_get(
        &reqs[1],
        "/api/v1/payment-systems/available",
        &format!("{SECRET_IN_QUERY}&currency_code[]=INR&label=user+55"),
    );

    assert_eq!(old.currency_data.len(), 2);
    assert_eq!(old.currency_data[0].code, "USD");
    assert_eq!(old.currency_data[0].symbol.as_deref(), Some("$"));
    let paytm = &old.wallets[0];
    assert_eq!(paytm.wallet_type, "paytm");
    assert_eq!(paytm.order, Some(5));
    assert_eq!(
        paytm.logo.as_deref(),
        Some("http://api.pay.test/storage/payment_system/logos/paytm_34.svg")
    );
    assert!(!paytm.is_manual);
    assert_eq!(paytm.hints.len(), 2);
    assert_eq!(paytm.hints[1].hint_type, "payment_hint");
    assert_eq!(paytm.hints[1].text, None);
    assert_eq!(paytm.show_limits, Some(true));
    assert_eq!(old.limits["paytm"]["INR"].min, Some(dec("100000")));
    assert_eq!(old.limits["paytm"]["INR"].max, Some(dec("20000000")));
    assert_eq!(old.limits["imps"]["INR"].min, Some(dec("8000")));
    assert_eq!(old.limits["bkash"]["BDT"].max, Some(dec("1000000")));
    assert_eq!(old.limits.len(), 5);
    assert_eq!(
        old.gif_guide["upi"],
        "http://api.pay.test/storage/guide-image/upi.mp4?cache=1587635151"
    );
    assert_eq!(old.gif_guide.len(), 3);

    assert_eq!(new.currency_data[0].code, "INR");
    assert_eq!(new.currency_data[0].symbol.as_deref(), Some("₹"));
    assert_eq!(new.wallets.len(), 2);
    assert!(new.wallets[0].is_manual && new.wallets[0].uploading_payment_bill);
    assert_eq!(new.wallets[1].wallet_type, "nagad");
    assert_eq!(new.wallets[1].currency_code.as_deref(), Some("USD"));
    assert!(!new.wallets[1].is_manual);
    assert!(new.limits.is_empty() && new.gif_guide.is_empty());
}

#[tokio::test]
async fn wallet_type_images_are_read_by_method() {
    let gw = Gateway::start(vec![reply(200, fixture("wallet_type_images.json"))]).await;
    let images = gw.client().wallet_type_images().await.unwrap();
    assert_get(&gw.only_request(), "/wallet-type/images/", SECRET_IN_QUERY);
    assert_eq!(images.len(), 3);
    assert_eq!(images["paytm"].id, Some(500));
    assert_eq!(
        images["upi"].url,
        "https://api.staging.client-paykassma.com/storage/guide-image/upi_in.mp4"
    );
}

// ---------------------------------------------------------------------------------------
// Section 4

#[tokio::test]
async fn save_transaction_custom_id_ok_and_fail() {
    let gw = Gateway::start(vec![
        reply(200, fixture("ok.json")),
        reply(200, fixture("fail_message.json")),
    ])
    .await;
    let client = gw.client();
    client
        .save_transaction_custom_id("55", "123465477897")
        .await
        .unwrap();
    let err = client
        .save_transaction_custom_id("55", "123465477897")
        .await
        .unwrap_err();
    let reqs = gw.requests();
    assert_json_post(
        &reqs[0],
        "/api/v1/payment/save-transaction-custom-id",
        r#"{"label":"55","transaction_custom_id":"123465477897"}"#,
    );
    match &err {
        Error::Refused {
            message,
            fields,
            http_status,
            ..
        } => {
            assert_eq!(message, "MESSAGE");
            assert!(fields.is_empty());
            assert_eq!(*http_status, 200);
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_outcome_unknown());
}

// ---------------------------------------------------------------------------------------
// Section 5a

#[tokio::test]
async fn create_p2p_transaction_returns_the_identifier() {
    let gw = Gateway::start(vec![
        reply(200, fixture("transaction_create_upi.json")),
        reply(200, fixture("transaction_create_paytm.json")),
    ])
    .await;
    let client = gw.client();
    assert_eq!(
        client
            .create_p2p_transaction("upi_l", "INR", "eligendi")
            .await
            .unwrap(),
        "test@upi"
    );
    assert_eq!(
        client
            .create_p2p_transaction("paytm", "INR", "55")
            .await
            .unwrap(),
        "6234234234"
    );
    let reqs = gw.requests();
    assert_json_post(
        &reqs[0],
        "/api/v1/transaction/create/upi_l",
        r#"{"currency":"INR","label":"eligendi"}"#,
    );
    assert_json_post(
        &reqs[1],
        "/api/v1/transaction/create/paytm",
        r#"{"currency":"INR","label":"55"}"#,
    );
}

fn activation(amount: Option<&str>) -> ActivateRequest {
    ActivateRequest {
        currency_code: "INR".into(),
        wallet_type: "upi_l".into(),
        label: "55".into(),
        key1: "321323438267".into(),
        amount: amount.map(dec),
        custom_transaction_id: "123465477897".into(),
    }
}

#[tokio::test]
async fn activate_reads_every_documented_outcome() {
    let gw = Gateway::start(vec![
        reply(200, fixture("activate_ok.json")),
        reply(200, fixture("activate_pending.json")),
        reply(400, fixture("activate_pending.json")),
        reply(200, fixture("activate_possible.json")),
        reply(200, fixture("fail_message.json")),
        reply(400, r#"{"status":"fail","message":"Check of deposit status started. The operation may take longer than expected."}"#),
        reply(200, r#"{"status":"ok","deposit":false,"message":"not yet"}"#),
    ])
    .await;
    let client = gw.client();
    let outcomes = [
        client.activate(&activation(Some("500"))).await,
        client.activate(&activation(Some("500.50"))).await,
        client.activate(&activation(None)).await,
        client.activate(&activation(Some("500"))).await,
        client.activate(&activation(Some("500"))).await,
        client.activate(&activation(Some("500"))).await,
        client.activate(&activation(Some("500"))).await,
    ];

    assert_eq!(
        outcomes[0].as_ref().unwrap(),
        &ActivateOutcome::Credited {
            amount: Some(dec("500")),
            currency: Some("INR".into())
        }
    );
    let pending_text = "The deposit status check has been started. The operation may take longer than expected. \
                        Upon completion of the verification, the funds will be credited to your account";
    assert_eq!(
        outcomes[1].as_ref().unwrap(),
        &ActivateOutcome::Pending {
            message: pending_text.into()
        }
    );
    assert_eq!(
        outcomes[2].as_ref().unwrap(),
        &ActivateOutcome::Pending {
            message: pending_text.into()
        }
    );
    assert_eq!(
        outcomes[3].as_ref().unwrap(),
        &ActivateOutcome::PossibleTransactionCreated {
            message: "Transaction not found. Possible transaction created".into()
        }
    );
    assert!(matches!(&outcomes[4], Err(Error::Refused { message, .. }) if message == "MESSAGE"));
    assert!(
        matches!(&outcomes[5], Ok(ActivateOutcome::Pending { message }) if message.starts_with("Check of deposit"))
    );
    assert!(
        matches!(&outcomes[6], Ok(ActivateOutcome::Pending { message }) if message == "not yet")
    );

    let reqs = gw.requests();
    assert_json_post(
        &reqs[0],
        "/api/v1/transaction/activate",
        r#"{"currency_code":"INR","wallet_type":"upi_l","label":"55","key1":"321323438267","amount":500,"custom_transaction_id":"123465477897"}"#,
    );
    // Exact decimal, trailing zero dropped; no amount field at all when none is given.
    assert!(
        reqs[1].body_text().contains(r#""amount":500.5,"#),
        "{}",
        reqs[1].body_text()
    );
    assert_eq!(
        reqs[2].body_text(),
        r#"{"currency_code":"INR","wallet_type":"upi_l","label":"55","key1":"321323438267","custom_transaction_id":"123465477897"}"#
    );
}

#[tokio::test]
async fn activate_manual_sends_multipart_with_the_screenshot() {
    let gw = Gateway::start(vec![
        reply(200, fixture("manual_activate_ok.json")),
        reply(422, fixture("manual_activate_fail.json")),
        reply(200, fixture("manual_activate_ok.json")),
    ])
    .await;
    let client = gw.client();
    let png: Vec<u8> = vec![
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0xff, 0x00, 0x7f,
    ];
    let mut request = ManualActivateRequest {
        currency_code: "USD".into(),
        wallet_type: "paytm".into(),
        label: "55".into(),
        key1: "123-ABC-456-DEF".into(),
        amount: dec("1000.00"),
        custom_transaction_id: "123465477897".into(),
        screenshot: Some(Screenshot {
            bytes: png.clone(),
            file_name: "receipt.png".into(),
            content_type: "image/png".into(),
        }),
    };
    client.activate_manual(&request).await.unwrap();
    let err = client.activate_manual(&request).await.unwrap_err();
    request.screenshot = None;
    client.activate_manual(&request).await.unwrap();

    match &err {
        Error::Refused {
            fields,
            http_status,
            ..
        } => {
            assert_eq!(
                fields["key1"],
                vec!["Transaction field has wrong length".to_string()]
            );
            assert_eq!(*http_status, 422);
        }
        other => panic!("{other:?}"),
    }

    let reqs = gw.requests();
    for (r, with_screenshot) in [(&reqs[0], true), (&reqs[2], false)] {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/api/v1/possible-transaction/activate");
        assert_eq!(r.query.as_deref(), Some(SECRET_IN_QUERY));
        let content_type = r.content_type.clone().unwrap();
        assert!(
            content_type.starts_with("multipart/form-data; boundary="),
            "{content_type}"
        );
        let http_request = axum::http::Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(axum::body::Body::from(r.body.clone()))
            .unwrap();
        let mut form = Multipart::from_request(http_request, &()).await.unwrap();
        let mut parts = Vec::new();
        while let Some(field) = form.next_field().await.unwrap() {
            let name = field.name().unwrap().to_string();
            let file_name = field.file_name().map(str::to_string);
            let part_type = field.content_type().map(str::to_string);
            let bytes = field.bytes().await.unwrap().to_vec();
            parts.push((name, file_name, part_type, bytes));
        }
        let texts: Vec<(String, String)> = parts
            .iter()
            .filter(|p| p.1.is_none())
            .map(|p| (p.0.clone(), String::from_utf8(p.3.clone()).unwrap()))
            .collect();
        let want: Vec<(String, String)> = [
            ("currency_code", "USD"),
            ("wallet_type", "paytm"),
            ("label", "55"),
            ("key1", "123-ABC-456-DEF"),
            ("amount", "1000"),
            ("custom_transaction_id", "123465477897"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(texts, want);
        let files: Vec<_> = parts.iter().filter(|p| p.1.is_some()).collect();
        if with_screenshot {
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].0, "screenshot");
            assert_eq!(files[0].1.as_deref(), Some("receipt.png"));
            assert_eq!(files[0].2.as_deref(), Some("image/png"));
            assert_eq!(files[0].3, png);
        } else {
            assert!(files.is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Section 5b

#[tokio::test]
async fn upi_s_create_and_status() {
    let gw = Gateway::start(vec![
        reply(200, fixture("upi_s_create_ok.json")),
        reply(200, fixture("upi_s_status_success.json")),
        reply(200, fixture("upi_s_status_processing.json")),
        reply(200, fixture("upi_s_status_failed.json")),
        reply(200, fixture("fail_message.json")),
        reply(200, r#"{"status":"weird"}"#),
    ])
    .await;
    let client = gw.client();
    let payment = client
        .create_upi_s(&UpiSRequest {
            currency: "INR".into(),
            label: "test_user55".into(),
            amount: dec("100"),
            custom_transaction_id: "test_custom1234".into(),
        })
        .await
        .unwrap();
    assert_eq!(payment.order_id, "6a12ce38b3164c53");
    assert_eq!(
        payment.qr_data,
        "upi://pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987"
    );
    assert!(
        payment
            .qr_string
            .as_deref()
            .unwrap()
            .starts_with("iVBORw0KGgo")
    );
    assert_eq!(
        payment.message.as_deref(),
        Some("QR Code generated successfully")
    );

    assert_eq!(
        client.upi_s_status("029391c747902d94").await.unwrap(),
        UpiSStatus::Success
    );
    assert_eq!(
        client.upi_s_status("029391c747902d94").await.unwrap(),
        UpiSStatus::Processing
    );
    assert_eq!(
        client.upi_s_status("029391c747902d94").await.unwrap(),
        UpiSStatus::Failed
    );
    assert!(matches!(
        client.upi_s_status("x").await,
        Err(Error::Refused { .. })
    ));
    assert!(matches!(
        client.upi_s_status("x").await,
        Err(Error::Unreadable { .. })
    ));

    let reqs = gw.requests();
    // The seed's request, byte for byte (compacted).
    assert_json_post(
        &reqs[0],
        "/api/v1/payment/create/upi_s",
        r#"{"mode":"upi_collect_qr","currency":"INR","label":"test_user55","wallet_type":"upi_s","amount":100,"custom_transaction_id":"test_custom1234"}"#,
    );
    assert_json_post(
        &reqs[1],
        "/api/v1/payment/upi_s/status",
        r#"{"order_id":"029391c747902d94"}"#,
    );
}

// ---------------------------------------------------------------------------------------
// Section 5c, 5d

#[tokio::test]
async fn create_payment_sends_exact_amounts() {
    let gw = Gateway::start(vec![
        reply(200, fixture("ok.json")),
        reply(
            200,
            r#"{"status":"ok","data":{"url":"https://pay.example/r/1"}}"#,
        ),
    ])
    .await;
    let client = gw.client();
    let mut request = PaymentRequest {
        payment_system: "help2pay".into(),
        language: "en".into(),
        currency: "USD".into(),
        bank: Some("MBB".into()),
        amount: dec("1000.00"),
        label: "55".into(),
        redirect_url: "https://google.com".into(),
        custom_transaction_id: Some("123465477897".into()),
    };
    let created = client.create_payment(&request).await.unwrap();
    assert_eq!(created.redirect_url, None);
    // 18 significant digits: a trip through f64 would lose the last ones.
    request.amount = dec("1234567890123456.78");
    request.bank = None;
    let created = client.create_payment(&request).await.unwrap();
    assert_eq!(
        created.redirect_url.as_deref(),
        Some("https://pay.example/r/1")
    );

    let reqs = gw.requests();
    assert_json_post(
        &reqs[0],
        "/api/v1/payment/create/help2pay",
        r#"{"language":"en","currency":"USD","bank":"MBB","amount":1000,"label":"55","redirect_url":"https://google.com","custom_transaction_id":"123465477897"}"#,
    );
    assert_eq!(
        reqs[1].body_text(),
        r#"{"language":"en","currency":"USD","amount":1234567890123456.78,"label":"55","redirect_url":"https://google.com","custom_transaction_id":"123465477897"}"#
    );
}

#[tokio::test]
async fn deposit_info_sends_query_and_reads_sums() {
    let gw = Gateway::start(vec![reply(200, fixture("deposit_info_ok.json"))]).await;
    let info = gw
        .client()
        .deposit_info("55", "paytm", "INR")
        .await
        .unwrap();
    assert_get(
        &gw.only_request(),
        "/api/v1/deposit-info",
        &format!("{SECRET_IN_QUERY}&label=55&wallet_type=paytm&currency=INR"),
    );
    assert_eq!(info.stockpiling_sum, Some(Decimal::ZERO));
    assert_eq!(info.lacks_sum, Some(Decimal::ZERO));
    assert_eq!(info.minimum_deposit, Some(dec("148")));
}

// ---------------------------------------------------------------------------------------
// Section 7

fn seed_withdrawal() -> WithdrawalRequest {
    WithdrawalRequest {
        withdrawal_id: "1234567".into(),
        payment_system: "paytm".into(),
        amount: dec("1000"),
        currency_code: "INR".into(),
        label: "55".into(),
        is_test: false,
        comment: Some("withdrawal".into()),
        account_number: Some("11111111".into()),
        account_name: None,
        account_email: None,
        receiver_name: None,
        payments_details: Some(PaymentsDetails {
            payments_method: Some("MOBILE_MONEY".into()),
            payments_provider: Some("56".into()),
        }),
        bank_details: Some(WithdrawalBankDetails {
            bank_code: Some("MAHB0001821".into()),
            branch_code: Some("000254".into()),
            bank_code_in_payments_system: Some("9393".into()),
        }),
        account_type: None,
        document_type: None,
        document_id: None,
        account_digit: None,
        iban: None,
    }
}

fn hex_sha1_md5(key: &str, preimage: &str) -> String {
    let md5 = hex::encode(Md5::digest(preimage.as_bytes()));
    hex::encode(Sha1::digest(format!("{key}{md5}").as_bytes()))
}

#[tokio::test]
async fn create_withdrawal_is_signed_and_carries_no_secret() {
    let gw = Gateway::start(vec![
        reply(200, fixture("ok.json")),
        reply(200, fixture("withdrawal_legacy_echo.json")),
        reply(200, fixture("withdrawal_fail_balance.json")),
    ])
    .await;
    let client = gw.client();
    let ok = client.create_withdrawal(&seed_withdrawal()).await.unwrap();
    assert_eq!(ok.gateway_id, None);
    let legacy = client.create_withdrawal(&seed_withdrawal()).await.unwrap();
    assert_eq!(legacy.gateway_id.as_deref(), Some("1"));
    let err = client
        .create_withdrawal(&seed_withdrawal())
        .await
        .unwrap_err();
    assert_eq!(
        err.field_errors().unwrap()["withdrawals_sum_amount"],
        vec!["Insufficient balance".to_string()]
    );
    assert!(!err.is_outcome_unknown());

    let reqs = gw.requests();
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v2/withdrawal/create");
    assert_eq!(
        r.query, None,
        "withdrawal creation must not carry the secret"
    );
    assert_eq!(r.content_type.as_deref(), Some("application/json"));

    // The gateway's view: the signature over exactly the received bytes.
    let received = parse(r.body_text());
    let sent_signature = received
        .get("signature")
        .and_then(PhpValue::as_str)
        .unwrap()
        .to_string();
    let recomputed = request_signature_json(&Secret::new(WITHDRAWAL_KEY), &r.body).unwrap();
    assert_eq!(sent_signature, recomputed);
    // And by hand: ksort'ed top-level keys, values imploded with ':' (nested in their order).
    let preimage =
        "11111111:1000:MAHB0001821:000254:9393:withdrawal:INR::55:paytm:MOBILE_MONEY:56:1234567";
    assert_eq!(sent_signature, hex_sha1_md5(WITHDRAWAL_KEY, preimage));

    let want = format!(
        r#"{{"withdrawal_id":"1234567","payment_system":"paytm","amount":1000,"currency_code":"INR","label":"55","is_test":false,"comment":"withdrawal","account_number":"11111111","payments_details":{{"payments_method":"MOBILE_MONEY","payments_provider":"56"}},"bank_details":{{"bank_code":"MAHB0001821","branch_code":"000254","bank_code_in_payments_system":"9393"}},"signature":"{sent_signature}"}}"#
    );
    assert_eq!(r.body_text(), want);
    // The same fields as the seed's example request.
    let PhpValue::Map(seed) = parse(&fixture("withdrawal_request.json")) else {
        panic!()
    };
    let PhpValue::Map(sent) = received else {
        panic!()
    };
    let mut seed_keys: Vec<_> = seed.iter().map(|(k, _)| k.clone()).collect();
    let mut sent_keys: Vec<_> = sent.iter().map(|(k, _)| k.clone()).collect();
    seed_keys.sort();
    sent_keys.sort();
    assert_eq!(seed_keys, sent_keys);
}

/// The documents' older request, sent to the same path: their field names and order, the
/// account number as the recipient, four digits as the sender, signed (W) over what was sent.
#[tokio::test]
async fn the_legacy_withdrawal_request_is_the_documents_older_one() {
    let gw = Gateway::start(vec![reply(200, fixture("withdrawal_legacy_echo.json"))]).await;
    let client = gw.client();
    let mut w = seed_withdrawal();
    w.account_email = Some("a@b.example".into());
    let created = client
        .create_withdrawal_as(&w, WithdrawalFormat::Legacy)
        .await
        .unwrap();
    assert_eq!(created.gateway_id.as_deref(), Some("1"));
    let r = gw.only_request();
    assert_eq!(
        (r.path.as_str(), r.query.as_deref()),
        ("/v2/withdrawal/create", None)
    );
    let received = parse(r.body_text());
    let signature = received
        .get("signature")
        .and_then(PhpValue::as_str)
        .unwrap()
        .to_string();
    assert_eq!(
        r.body_text(),
        format!(
            r#"{{"wallet_type":"paytm","wallet_recipient":"11111111","wallet_sender":"{LEGACY_WALLET_SENDER}","account_number":"11111111","email":"a@b.example","amount":1000,"withdrawal_id":"1234567","signature":"{signature}"}}"#
        )
    );
    // ksort: account_number, amount, email, wallet_recipient, wallet_sender, wallet_type, withdrawal_id.
    let preimage =
        format!("11111111:1000:a@b.example:11111111:{LEGACY_WALLET_SENDER}:paytm:1234567");
    assert_eq!(signature, hex_sha1_md5(WITHDRAWAL_KEY, &preimage));
    // Without an account number there is no recipient: refused before sending.
    w.account_number = None;
    let e = client
        .create_withdrawal_as(&w, WithdrawalFormat::Legacy)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Request(_)), "{e:?}");
}

#[tokio::test]
async fn create_withdrawal_rejects_bad_input_without_sending() {
    let gw = Gateway::start(vec![]).await;
    let client = gw.client();
    for (amount, id) in [
        ("1000.50", "1"),
        ("0", "1"),
        ("-5", "1"),
        ("100", ""),
        ("100", &"x".repeat(37)),
    ] {
        let mut w = seed_withdrawal();
        w.amount = dec(amount);
        w.withdrawal_id = id.to_string();
        let err = client.create_withdrawal(&w).await.unwrap_err();
        assert!(matches!(err, Error::Request(_)), "{amount} {id}: {err:?}");
        assert!(!err.is_outcome_unknown());
    }
    // A whole amount with a scale is fine and goes out as an integer; empty nested
    // objects are left out.
    gw.shared
        .replies
        .lock()
        .unwrap()
        .push_back(reply(200, fixture("ok.json")));
    let mut w = seed_withdrawal();
    w.amount = dec("1000.00");
    w.comment = None;
    w.is_test = true;
    w.payments_details = Some(PaymentsDetails::default());
    w.bank_details = None;
    w.account_name = Some("Muhammad".into());
    client.create_withdrawal(&w).await.unwrap();
    let r = gw.only_request();
    let body = r.body_text();
    assert!(body.starts_with(
        r#"{"withdrawal_id":"1234567","payment_system":"paytm","amount":1000,"currency_code":"INR","label":"55","is_test":true,"account_number":"11111111","account_name":"Muhammad","signature":""#
    ), "{body}");
    let recomputed = request_signature_json(&Secret::new(WITHDRAWAL_KEY), &r.body).unwrap();
    assert!(body.ends_with(&format!(r#""signature":"{recomputed}"}}"#)));
}

// ---------------------------------------------------------------------------------------
// Section 8

#[tokio::test]
async fn postback_lookup_by_each_key_reads_the_seed_answers() {
    let gw = Gateway::start(vec![
        reply(200, fixture("postback_lookup_deposit.json")),
        reply(200, fixture("postback_lookup_withdrawal.json")),
        reply(200, fixture("fail_message.json")),
    ])
    .await;
    let client = gw.client();
    let deposit = client
        .postback(&PostbackQuery::DepositByCustomId("6424468".into()))
        .await
        .unwrap()
        .unwrap();
    let withdrawal = client
        .postback(&PostbackQuery::Withdrawal("autotest984047927037".into()))
        .await
        .unwrap()
        .unwrap();
    let err = client
        .postback(&PostbackQuery::DepositByTransactionId(
            "160028076535305".into(),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }));

    let reqs = gw.requests();
    assert_get(
        &reqs[0],
        "/api/v1/postback",
        &format!("{SECRET_IN_QUERY}&type=deposit&custom_id=6424468"),
    );
    assert_get(
        &reqs[1],
        "/api/v1/postback",
        &format!("{SECRET_IN_QUERY}&type=withdrawal&withdrawal_id=autotest984047927037"),
    );
    assert_get(
        &reqs[2],
        "/api/v1/postback",
        &format!("{SECRET_IN_QUERY}&type=deposit&transaction_id=160028076535305"),
    );

    assert_eq!(deposit.postback.amount, dec("13629"));
    assert_eq!(deposit.postback.direction, Direction::Ingoing);
    assert_eq!(deposit.postback.additional_data.len(), 1);
    assert_eq!(
        deposit.postback.additional_data[0].amount,
        Some(dec("13628.5"))
    );
    assert_eq!(
        deposit.postback.additional_data[0]
            .plugin_custom_order_id
            .as_deref(),
        Some("6424468")
    );
    assert_eq!(
        &deposit.raw,
        parse(&fixture("postback_lookup_deposit.json"))
            .get("postback")
            .unwrap()
    );

    assert_eq!(withdrawal.postback.direction, Direction::Outgoing);
    let entry = &withdrawal.postback.additional_data[0];
    assert_eq!(entry.withdrawal_status, Some(PayoutStatus::Processed));
    assert_eq!(entry.withdrawal_id.as_deref(), Some("autotest984047927037"));
    assert_eq!(entry.amount, Some(dec("820")));
}

#[tokio::test]
async fn postback_lookup_reads_the_seed_webhook_bodies() {
    let bodies = [
        fixture("postback_upi_hb.json"),
        fixture("postback_upi_s.json"),
    ];
    let replies = bodies
        .iter()
        .map(|b| reply(200, format!(r#"{{"status":"ok","postback":{b}}}"#)))
        .collect();
    let gw = Gateway::start(replies).await;
    let client = gw.client();
    let hb = client
        .postback(&PostbackQuery::DepositByCustomId("h8JxcM123DbmAvfn".into()))
        .await
        .unwrap()
        .unwrap();
    let s = client
        .postback(&PostbackQuery::DepositByCustomId("qG7h123nud8AqUqn".into()))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(hb.raw, parse(&bodies[0]));
    assert_eq!(hb.postback.wallet_type, "upi_hb");
    assert_eq!(hb.postback.amount, dec("1000"));
    assert_eq!(hb.postback.label, "2519566");
    let btc = hb
        .postback
        .converted_amount
        .iter()
        .find(|(c, _)| c == "BTC")
        .unwrap();
    assert_eq!(btc.1, dec("0.00015943"));
    assert_eq!(
        hb.postback.additional_data[0].transaction_id.as_deref(),
        Some("355015818634")
    );
    assert_eq!(
        hb.postback.additional_data[0].stockpiling_id.as_deref(),
        Some("1430926")
    );

    assert_eq!(s.raw, parse(&bodies[1]));
    assert_eq!(s.postback.wallet_type, "upi_s");
    assert_eq!(s.postback.amount, dec("700"));
    assert_eq!(
        s.postback.additional_data[0]
            .plugin_custom_order_id
            .as_deref(),
        Some("qG7h123nud8AqUqn")
    );
    assert_eq!(
        s.postback.additional_data[0]
            .exchanger_identifier
            .as_deref(),
        Some("s132nfinite0-4@okhdfcbank")
    );
}

#[tokio::test]
async fn pullpostbacks_sends_php_arrays_and_reads_found_and_missing() {
    let gw = Gateway::start(vec![
        reply(200, fixture("pullpostbacks_deposit.json")),
        reply(200, fixture("pullpostbacks_withdrawal.json")),
        reply(200, fixture("pullpostbacks_fail.json")),
    ])
    .await;
    let client = gw.client();
    let ids = vec![
        "autotest51191116971521".to_string(),
        "1923912939dd912ddpppdd99test".to_string(),
    ];
    let deposits = client
        .pullpostbacks(PullKind::Deposit, &ids, None, None)
        .await
        .unwrap();
    let wids = vec!["ID_05613331ret".to_string(), "ID_03213331asd".to_string()];
    let withdrawals = client
        .pullpostbacks(PullKind::Withdrawal, &wids, Some(0), Some(50))
        .await
        .unwrap();
    let err = client
        .pullpostbacks(PullKind::Deposit, &ids, None, None)
        .await
        .unwrap_err();

    let reqs = gw.requests();
    assert_get(
        &reqs[0],
        "/api/v1/pullpostbacks",
        &format!(
            "{SECRET_IN_QUERY}&type=deposit&plugin_custom_order_id[]=autotest51191116971521&plugin_custom_order_id[]=1923912939dd912ddpppdd99test"
        ),
    );
    assert_get(
        &reqs[1],
        "/api/v1/pullpostbacks",
        &format!(
            "{SECRET_IN_QUERY}&type=withdrawal&withdrawal_id[]=ID_05613331ret&withdrawal_id[]=ID_03213331asd&offset=0&limit=50"
        ),
    );

    assert_eq!(deposits.items.len(), 2);
    assert_eq!(deposits.items[0].id, "autotest51191116971521");
    assert_eq!(
        deposits.items[0].outcome,
        PullOutcome::NotFound {
            message: "Postback not found".into()
        }
    );
    let PullOutcome::Found(found) = &deposits.items[1].outcome else {
        panic!("{:?}", deposits.items[1])
    };
    assert_eq!(found.postback.wallet_type, "phone_pe");
    assert_eq!(found.postback.amount, dec("100"));
    assert_eq!(
        found.postback.additional_data[0]
            .plugin_custom_order_id
            .as_deref(),
        Some("1923912939dd912ddpppdd99test")
    );
    assert_eq!(found.postback.converted_amount.len(), 3);
    let paginate = deposits.paginate.unwrap();
    assert_eq!((paginate.offset, paginate.total, paginate.limit), (0, 2, 2));

    assert_eq!(
        withdrawals.items[0].outcome,
        PullOutcome::NotFound {
            message: "Withdrawal with this ID not found".into()
        }
    );
    let PullOutcome::Found(found) = &withdrawals.items[1].outcome else {
        panic!()
    };
    assert_eq!(withdrawals.items[1].id, "ID_03213331asd");
    assert_eq!(
        found.postback.additional_data[0].withdrawal_status,
        Some(PayoutStatus::Rejected)
    );
    assert_eq!(found.postback.currency_code, "PKR");
    assert_eq!(withdrawals.paginate.unwrap().total, 1);

    assert_eq!(
        err.field_errors().unwrap()["plugin_custom_order_id"],
        vec!["The plugin custom order id field is required when type is deposit.".to_string()]
    );
}

fn pulled_item(id: &str) -> String {
    format!(r#"{{"plugin_custom_order_id":"{id}","message":"Postback not found"}}"#)
}

fn pull_page(items: &[&str], offset: u64, total: u64, limit: u64) -> Reply {
    let items: Vec<String> = items.iter().map(|i| pulled_item(i)).collect();
    reply(
        200,
        format!(
            r#"{{"status":"success","message":"","code":20000,"data":{{"transactions":[{}]}},"paginate":{{"offset":{offset},"total":{total},"limit":{limit}}}}}"#,
            items.join(",")
        ),
    )
}

#[tokio::test]
async fn pull_all_postbacks_batches_and_follows_pagination() {
    let gw = Gateway::start(vec![
        pull_page(&["a"], 0, 2, 1),
        pull_page(&["b"], 1, 2, 1),
        pull_page(&["c"], 0, 1, 1),
    ])
    .await;
    let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let items = gw
        .client()
        .pull_all_postbacks(PullKind::Deposit, &ids, 2)
        .await
        .unwrap();
    let got: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(got, ["a", "b", "c"]);

    let queries: Vec<String> = gw
        .requests()
        .into_iter()
        .map(|r| r.query.unwrap())
        .collect();
    assert_eq!(
        queries,
        [
            format!(
                "{SECRET_IN_QUERY}&type=deposit&plugin_custom_order_id[]=a&plugin_custom_order_id[]=b"
            ),
            format!(
                "{SECRET_IN_QUERY}&type=deposit&plugin_custom_order_id[]=a&plugin_custom_order_id[]=b&offset=1&limit=1"
            ),
            format!("{SECRET_IN_QUERY}&type=deposit&plugin_custom_order_id[]=c"),
        ]
    );
}

#[tokio::test]
async fn pull_all_postbacks_stops_when_pages_bring_nothing_new() {
    // A gateway that ignores `offset` (repeats the same page) and pages one id at a time:
    // the repeat stops the paging, and the id it never reached is asked on its own once.
    let gw = Gateway::start((0..10).map(|_| pull_page(&["a"], 0, 5, 1)).collect()).await;
    let ids: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
    let items = gw
        .client()
        .pull_all_postbacks(PullKind::Deposit, &ids, 10)
        .await
        .unwrap();
    assert_eq!(
        items.len(),
        1,
        "b is not reported: absent, not \"not found\""
    );
    let requests = gw.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    let last = requests[2].query.clone().unwrap_or_default();
    assert!(
        last.contains("=b") && !last.contains("=a&") && !last.ends_with("=a"),
        "{last}"
    );
}

#[tokio::test]
async fn pull_all_postbacks_asks_what_a_page_holds_when_offset_is_ignored() {
    // Pages of 2, offset ignored: four ids asked at once come back two at a time.
    let gw = Gateway::start(vec![
        pull_page(&["a", "b"], 0, 4, 2),
        pull_page(&["a", "b"], 0, 4, 2),
        pull_page(&["c", "d"], 0, 2, 2),
    ])
    .await;
    let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let items = gw
        .client()
        .pull_all_postbacks(PullKind::Deposit, &ids, 50)
        .await
        .unwrap();
    let got: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(got, ["a", "b", "c", "d"]);
    assert_eq!(gw.requests().len(), 3);
}

// ---------------------------------------------------------------------------------------
// Section 9

#[tokio::test]
async fn accounts_balance_reads_negative_and_four_decimal_amounts() {
    let gw = Gateway::start(vec![reply(200, fixture("accounts_balance.json"))]).await;
    let balances = gw.client().accounts_balance().await.unwrap();
    assert_get(
        &gw.only_request(),
        "/api/v1/accounts-balance",
        SECRET_IN_QUERY,
    );
    assert_eq!(balances.len(), 7);
    assert_eq!(balances[0].wallet_type, "paytm");
    assert_eq!(balances[0].currency_code, "IDR");
    assert_eq!(balances[0].amount.to_string(), "-324324.00");
    assert_eq!(balances[3].amount.to_string(), "187239.195");
    assert_eq!(balances[4].amount.to_string(), "23.9375");
    assert_eq!(balances[6].wallet_type, "upi_ib");
    let total: Decimal = balances.iter().map(|b| b.amount).sum();
    assert_eq!(
        total,
        dec("-324324.00")
            + dec("-10800.00")
            + dec("155.00")
            + dec("187239.195")
            + dec("23.9375")
            + dec("471.00")
            + dec("499.00")
    );
}

// ---------------------------------------------------------------------------------------
// Errors

#[tokio::test]
async fn wrong_secret_answers_are_refusals() {
    let gw = Gateway::start(vec![
        reply(200, fixture("wrong_secret.json")),
        Reply {
            status: 404,
            content_type: "text/html",
            body: "Not found".into(),
            delay: Duration::ZERO,
        },
    ])
    .await;
    let client = gw.client();
    let json_err = client.accounts_balance().await.unwrap_err();
    let not_found = client.accounts_balance().await.unwrap_err();
    assert!(json_err.is_wrong_secret());
    match &json_err {
        Error::Refused {
            code,
            fields,
            message,
            ..
        } => {
            assert_eq!(*code, Some(30228));
            assert_eq!(fields["secret"], vec!["Wrong secret".to_string()]);
            assert!(message.contains("Data validation error"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(not_found, Error::NotFound);
    assert!(not_found.is_wrong_secret());
    assert!(!not_found.is_outcome_unknown());
    assert_no_secret(&json_err);
    assert_no_secret(&not_found);
}

#[tokio::test]
async fn server_errors_mean_the_outcome_is_unknown() {
    let echo = format!("<html>500: GET /api/v1/transaction/activate?secret={SECRET}</html>");
    let gw = Gateway::start(vec![
        reply(500, r#"{"status":"fail","message":"internal"}"#),
        Reply {
            status: 502,
            content_type: "text/html",
            body: echo,
            delay: Duration::ZERO,
        },
        reply(503, ""),
    ])
    .await;
    let client = gw.client();
    for want in [500, 502, 503] {
        let err = client.activate(&activation(Some("500"))).await.unwrap_err();
        assert!(err.is_outcome_unknown(), "{err:?}");
        assert!(
            matches!(err, Error::Unknown { http_status: Some(s), .. } if s == want),
            "{err:?}"
        );
        assert_no_secret(&err);
    }
}

#[tokio::test]
async fn garbage_answers_are_unreadable() {
    let gw = Gateway::start(vec![
        Reply {
            status: 200,
            content_type: "text/html",
            body: "<html><body>Hello</body></html>".into(),
            delay: Duration::ZERO,
        },
        reply(200, r#"{"status":"ok""#),
        reply(200, r#"{"status":"ok","params":{}}"#),
        reply(302, ""),
        reply(
            200,
            format!(r#"{{"status":"fail","message":"bad secret {SECRET}"}}"#),
        ),
    ])
    .await;
    let client = gw.client();
    for _ in 0..4 {
        let err = client
            .create_p2p_transaction("upi_l", "INR", "55")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unreadable { .. }), "{err:?}");
        assert!(err.is_outcome_unknown());
        assert_no_secret(&err);
    }
    // A gateway message quoting the secret is scrubbed too.
    let err = client
        .create_p2p_transaction("upi_l", "INR", "55")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Refused { message, .. } if message == "bad secret ***"),
        "{err:?}"
    );
    assert_no_secret(&err);
}

#[tokio::test]
async fn a_timeout_after_sending_is_unknown() {
    let slow = Reply {
        delay: Duration::from_secs(3),
        ..reply(200, fixture("ok.json"))
    };
    let gw = Gateway::start(vec![slow]).await;
    let mut cfg = gw.config();
    cfg.timeout = Duration::from_millis(300);
    let client = Client::new(cfg).unwrap();
    let err = client
        .create_withdrawal(&seed_withdrawal())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unknown {
                http_status: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_outcome_unknown());
    assert_no_secret(&err);
    // The request did reach the gateway: this is exactly why the outcome is unknown.
    assert_eq!(gw.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_unreachable_and_not_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let cfg = ClientConfig::new(
        Url::parse(&format!("http://{addr}")).unwrap(),
        Url::parse("https://plugin.example.test").unwrap(),
        Secret::new(SECRET),
        Secret::new(WITHDRAWAL_KEY),
    );
    let client = Client::new(cfg).unwrap();
    let err = client.accounts_balance().await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(!err.is_outcome_unknown());
    assert_no_secret(&err);
}

#[tokio::test]
async fn configured_paths_and_base_prefix_are_used() {
    let gw = Gateway::start(vec![
        reply(200, fixture("ok.json")),
        reply(200, fixture("transaction_create_upi.json")),
    ])
    .await;
    let mut cfg = gw.config();
    cfg.api_base = Url::parse(&format!("http://{}/gw/", gw.addr)).unwrap();
    cfg.paths = Paths {
        withdrawal_create: "/api/v2/withdrawals".into(),
        transaction_create: "/custom/{wallet_type}/create".into(),
        ..Paths::default()
    };
    let client = Client::new(cfg).unwrap();
    client.create_withdrawal(&seed_withdrawal()).await.unwrap();
    client
        .create_p2p_transaction("upi l/x", "INR", "55")
        .await
        .unwrap();
    let reqs = gw.requests();
    assert_eq!(reqs[0].path, "/gw/api/v2/withdrawals");
    assert_eq!(reqs[1].path, "/gw/custom/upi%20l%2Fx/create");
}

#[test]
fn client_and_config_debug_hide_the_secrets() {
    let cfg = ClientConfig::new(
        Url::parse("https://api.example.test").unwrap(),
        Url::parse("https://plugin.example.test").unwrap(),
        Secret::new(SECRET),
        Secret::new(WITHDRAWAL_KEY),
    );
    let client = Client::new(cfg.clone()).unwrap();
    for text in [format!("{cfg:?}"), format!("{client:?}")] {
        assert!(
            !text.contains(SECRET) && !text.contains(WITHDRAWAL_KEY),
            "{text}"
        );
    }
}

#[tokio::test]
async fn postback_lookup_without_a_postback_is_none() {
    let gw = Gateway::start(vec![
        reply(200, r#"{"status":"ok","postback":null}"#),
        reply(200, r#"{"status":"ok","postback":[]}"#),
        reply(200, r#"{"status":"ok","postback":{"amount":"x"}}"#),
    ])
    .await;
    let client = gw.client();
    let q = PostbackQuery::Withdrawal("w1".into());
    assert_eq!(client.postback(&q).await.unwrap(), None);
    assert_eq!(client.postback(&q).await.unwrap(), None);
    assert!(matches!(
        client.postback(&q).await,
        Err(Error::Unreadable { .. })
    ));
}

#[tokio::test]
async fn create_withdrawal_refuses_padded_values() {
    let gw = Gateway::start(vec![]).await;
    let client = gw.client();
    let mut w = seed_withdrawal();
    w.account_number = Some(" 11111111".into());
    let err = client.create_withdrawal(&w).await.unwrap_err();
    assert!(
        matches!(&err, Error::Request(m) if m.contains("account_number")),
        "{err:?}"
    );
    let mut w = seed_withdrawal();
    w.bank_details.as_mut().unwrap().bank_code = Some("MAHB0001821\n".into());
    let err = client.create_withdrawal(&w).await.unwrap_err();
    assert!(
        matches!(&err, Error::Request(m) if m.contains("bank_details.bank_code")),
        "{err:?}"
    );
    assert!(gw.requests().is_empty());
}

#[tokio::test]
async fn a_connection_dropped_after_sending_is_unknown() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let n = socket.read(&mut buf).await.unwrap();
        // Read the request, then hang up without answering.
        drop(socket);
        String::from_utf8_lossy(&buf[..n]).to_string()
    });
    let cfg = ClientConfig::new(
        Url::parse(&format!("http://{addr}")).unwrap(),
        Url::parse("https://plugin.example.test").unwrap(),
        Secret::new(SECRET),
        Secret::new(WITHDRAWAL_KEY),
    );
    let err = Client::new(cfg)
        .unwrap()
        .activate(&activation(Some("500")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unknown {
                http_status: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_outcome_unknown());
    assert_no_secret(&err);
    let received = server.await.unwrap();
    assert!(
        received.starts_with(&format!(
            "POST /api/v1/transaction/activate?{SECRET_IN_QUERY} HTTP/1.1"
        )),
        "{received}"
    );
}
