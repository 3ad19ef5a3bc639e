//! Contract tests: the `paykassma` client against the sandbox, every endpoint, its success
//! path and each documented error, plus how the client classifies injected faults.

use std::str::FromStr;
use std::time::Duration;

use paykassma::Secret;
use paykassma::client::{
    ActivateOutcome, ActivateRequest, Client, ClientConfig, Error, FoundPostback, HashUrlRequest,
    ManualActivateRequest, OrderedUrl, PaymentRequest, PaymentsDetails, PostbackQuery, PullKind,
    PullOutcome, Screenshot, UpiSRequest, UpiSStatus, WithdrawalBankDetails, WithdrawalRequest,
};
use paykassma::postback::{Direction, PayoutStatus};
use rust_decimal::Decimal;
use serde_json::json;
use testkit::sandbox::{Env, fast_config};
use url::Url;

/// `Client::postback` answers `FoundPostback` or `Option<FoundPostback>` depending on the
/// client's version; both read the same here.
trait IntoFound {
    fn into_found(self) -> FoundPostback;
}

impl IntoFound for FoundPostback {
    fn into_found(self) -> FoundPostback {
        self
    }
}

impl IntoFound for Option<FoundPostback> {
    fn into_found(self) -> FoundPostback {
        self.expect("a postback")
    }
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn client_for(env: &Env, secret: &str) -> Client {
    let mut config = ClientConfig::new(
        Url::parse(&env.sandbox.api_base()).unwrap(),
        Url::parse(&env.sandbox.base_url()).unwrap(),
        Secret::new(secret),
        env.sandbox.config().withdrawal_private_key.clone(),
    );
    config.timeout = Duration::from_secs(5);
    Client::new(config).unwrap()
}

fn client(env: &Env) -> Client {
    client_for(env, testkit::sandbox::SECRET)
}

fn fields(e: &Error) -> Vec<(String, Vec<String>)> {
    e.field_errors()
        .map(|f| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn refused_message(e: &Error) -> String {
    match e {
        Error::Refused { message, .. } => message.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn upi_activation(key1: &str, custom: &str, amount: Option<&str>) -> ActivateRequest {
    ActivateRequest {
        currency_code: "INR".into(),
        wallet_type: "upi_l".into(),
        label: "55".into(),
        key1: key1.into(),
        amount: amount.map(d),
        custom_transaction_id: custom.into(),
    }
}

fn withdrawal(id: &str, amount: &str) -> WithdrawalRequest {
    WithdrawalRequest {
        withdrawal_id: id.into(),
        payment_system: "imps".into(),
        amount: d(amount),
        currency_code: "INR".into(),
        label: "55".into(),
        is_test: false,
        comment: Some("withdrawal".into()),
        account_number: Some("11111111".into()),
        account_name: None,
        account_email: None,
        receiver_name: Some("Ravi Kumar".into()),
        payments_details: Some(PaymentsDetails {
            payments_method: Some("IMPS".into()),
            payments_provider: None,
        }),
        bank_details: Some(WithdrawalBankDetails {
            bank_code: Some("MAHB0001821".into()),
            branch_code: Some("000254".into()),
            bank_code_in_payments_system: None,
        }),
        account_type: None,
        document_type: None,
        document_id: None,
        account_digit: None,
        iban: None,
    }
}

#[tokio::test]
async fn wrong_secret_is_recognised_on_old_and_new_endpoints() {
    let env = Env::start().await;
    let bad = client_for(&env, "wrong");
    let e = bad
        .create_p2p_transaction("upi_l", "INR", "55")
        .await
        .unwrap_err();
    assert_eq!(e, Error::NotFound);
    assert!(bad.accounts_balance().await.unwrap_err().is_wrong_secret());
    assert!(
        bad.pullpostbacks(PullKind::Deposit, &["x".into()], None, None)
            .await
            .unwrap_err()
            .is_wrong_secret()
    );
    assert!(
        bad.activate(&upi_activation("123456789012", "c", Some("1")))
            .await
            .unwrap_err()
            .is_wrong_secret()
    );
}

#[tokio::test]
async fn hash_url_and_its_errors() {
    let env = Env::start().await;
    let c = client(&env);
    let hashed = c
        .hash_url(&HashUrlRequest {
            success_urls: vec![
                OrderedUrl {
                    order: 2,
                    url: "https://shop.test/ok2".into(),
                },
                OrderedUrl {
                    order: 1,
                    url: "https://shop.test/ok1".into(),
                },
            ],
            fail_urls: vec![],
            pending_urls: vec![OrderedUrl {
                order: 1,
                url: "https://shop.test/wait".into(),
            }],
        })
        .await
        .unwrap();
    assert_eq!(
        hashed
            .success_url
            .iter()
            .map(|u| u.order)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        env.sandbox
            .resolve_hash(&hashed.success_url[0].url)
            .as_deref(),
        Some("https://shop.test/ok1")
    );
    assert_eq!(
        env.sandbox
            .resolve_hash(&hashed.pending_url[0].url)
            .as_deref(),
        Some("https://shop.test/wait")
    );
    assert!(hashed.fail_url.is_empty());
    let e = c.hash_url(&HashUrlRequest::default()).await.unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "success_urls".to_string(),
            vec!["The success urls field is required when fail urls is empty.".to_string()]
        )]
    );
}

#[tokio::test]
async fn payment_systems_and_images() {
    let env = Env::start().await;
    let c = client(&env);
    let ps = c.available_payment_systems(&["INR"], "55").await.unwrap();
    let upi = ps
        .wallets
        .iter()
        .find(|w| w.wallet_type == "upi_l")
        .unwrap();
    assert!(!upi.is_manual);
    assert!(
        ps.wallets
            .iter()
            .find(|w| w.wallet_type == "upi_ml")
            .unwrap()
            .is_manual
    );
    assert!(!ps.wallets.iter().any(|w| w.wallet_type == "bkash"));
    // As the documents' example: limits keyed by family, not by wallet type.
    let limit = &ps.limits["upi"]["INR"];
    assert_eq!((limit.min, limit.max), (Some(d("100")), Some(d("50000"))));
    assert!(!ps.limits.contains_key("upi_s"), "{:?}", ps.limits.keys());
    assert_eq!(ps.limits["paytm"]["INR"].max, Some(d("20000")));
    assert_eq!(ps.currency_data[0].code, "INR");
    assert_eq!(ps.currency_data[0].symbol.as_deref(), Some("₹"));
    let e = c
        .available_payment_systems(&["RUPEE"], "55")
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "currency_code.0".to_string(),
            vec!["The currency_code.0 must be 3 characters.".to_string()]
        )]
    );
    let images = c.wallet_type_images().await.unwrap();
    assert!(images["upi_l"].url.ends_with("/upi_l.mp4"));
}

#[tokio::test]
async fn p2p_deposit_lifecycle_through_the_client() {
    let env = Env::start().await;
    let c = client(&env);
    assert_eq!(
        c.create_p2p_transaction("upi_l", "INR", "55")
            .await
            .unwrap(),
        "upi_l.sandbox@upi"
    );
    let e = c
        .create_p2p_transaction("nope", "INR", "55")
        .await
        .unwrap_err();
    assert_eq!(refused_message(&e), "Payment system not found");

    // Paid first, activated second: credited.
    env.control(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_l","key1":"321323438267","amount":500,"currency_code":"INR"}),
    )
    .await;
    let out = c
        .activate(&upi_activation("321323438267", "k-1", Some("500")))
        .await
        .unwrap();
    assert_eq!(
        out,
        ActivateOutcome::Credited {
            amount: Some(d("500")),
            currency: Some("INR".into())
        }
    );
    // Not seen yet: possible, then the payment completes it.
    let out = c
        .activate(&upi_activation("444455556666", "k-2", Some("700")))
        .await
        .unwrap();
    assert!(
        matches!(out, ActivateOutcome::PossibleTransactionCreated { .. }),
        "{out:?}"
    );
    env.control(
        "/_sandbox/payments",
        json!({"wallet_type":"upi_l","key1":"444455556666","amount":700,"currency_code":"INR"}),
    )
    .await;
    // Suspect: pending (HTTP 400 with status pending).
    let out = c
        .activate(&upi_activation("999911112222", "k-3", Some("900")))
        .await
        .unwrap();
    assert!(matches!(out, ActivateOutcome::Pending { .. }), "{out:?}");
    env.control("/_sandbox/suspects/999911112222", json!({"approve":true}))
        .await;
    env.receiver.wait_for(3).await;

    // Documented errors.
    let e = c
        .activate(&upi_activation("12345", "k-4", Some("1")))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "key1".to_string(),
            vec!["Transaction field has wrong length".to_string()]
        )]
    );
    let e = c
        .activate(&upi_activation("123456789012", "k-1", Some("1")))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "custom_transaction_id".to_string(),
            vec!["The custom transaction id has already been taken.".to_string()]
        )]
    );
    let e = c
        .activate(&upi_activation("123456789012", "k-5", None))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "amount".to_string(),
            vec!["The amount field is required.".to_string()]
        )]
    );
    let e = c
        .activate(&upi_activation("321323438267", "k-6", Some("500")))
        .await
        .unwrap_err();
    assert!(e.is_definitely_not_done());
    assert_eq!(
        refused_message(&e),
        "Transaction has already been activated"
    );
    // bKash takes no amount.
    let bkash = ActivateRequest {
        currency_code: "BDT".into(),
        wallet_type: "bkash".into(),
        label: "55".into(),
        key1: "8N7A6D5E4F".into(),
        amount: None,
        custom_transaction_id: "k-7".into(),
    };
    assert!(matches!(
        c.activate(&bkash).await.unwrap(),
        ActivateOutcome::PossibleTransactionCreated { .. }
    ));

    // The three credited deposits are found by lookup.
    for custom in ["k-1", "k-2", "k-3"] {
        let found = c
            .postback(&PostbackQuery::DepositByCustomId(custom.into()))
            .await
            .unwrap()
            .into_found();
        assert_eq!(found.postback.direction, Direction::Ingoing);
        assert_eq!(
            found.postback.additional_data[0]
                .plugin_custom_order_id
                .as_deref(),
            Some(custom)
        );
    }
    let found = c
        .postback(&PostbackQuery::DepositByTransactionId(
            "444455556666".into(),
        ))
        .await
        .unwrap()
        .into_found();
    assert_eq!(found.postback.amount, d("700"));
    let e = c
        .postback(&PostbackQuery::DepositByCustomId("k-7".into()))
        .await
        .unwrap_err();
    assert_eq!(refused_message(&e), "Postback not found");
}

#[tokio::test]
async fn manual_activation_through_the_client() {
    let env = Env::start().await;
    let c = client(&env);
    let request = ManualActivateRequest {
        currency_code: "INR".into(),
        wallet_type: "upi_ml".into(),
        label: "55".into(),
        key1: "777788889999".into(),
        amount: d("250.50"),
        custom_transaction_id: "man-1".into(),
        screenshot: Some(Screenshot {
            bytes: vec![1, 2, 3],
            file_name: "r.png".into(),
            content_type: "image/png".into(),
        }),
    };
    env.control("/_sandbox/payments", json!({"wallet_type":"upi_ml","key1":"777788889999","amount":"250.5","currency_code":"INR"}))
        .await;
    c.activate_manual(&request).await.unwrap();
    env.receiver.wait_for(1).await;
    let found = c
        .postback(&PostbackQuery::DepositByCustomId("man-1".into()))
        .await
        .unwrap()
        .into_found();
    assert_eq!(found.postback.amount, d("250.5"));
    let bad = ManualActivateRequest {
        key1: "77".into(),
        custom_transaction_id: "man-2".into(),
        ..request
    };
    let e = c.activate_manual(&bad).await.unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "key1".to_string(),
            vec!["Transaction field has wrong length".to_string()]
        )]
    );
}

#[tokio::test]
async fn upi_s_through_the_client() {
    let env = Env::start().await;
    let c = client(&env);
    let req = UpiSRequest {
        currency: "INR".into(),
        label: "55".into(),
        amount: d("100"),
        custom_transaction_id: "u-1".into(),
    };
    let created = c.create_upi_s(&req).await.unwrap();
    assert!(created.qr_data.starts_with("upi://pay?"));
    assert!(created.qr_string.is_some());
    assert_eq!(
        c.upi_s_status(&created.order_id).await.unwrap(),
        UpiSStatus::Processing
    );
    env.control("/_sandbox/deposits/u-1/complete", json!({}))
        .await;
    assert_eq!(
        c.upi_s_status(&created.order_id).await.unwrap(),
        UpiSStatus::Success
    );
    let second = c
        .create_upi_s(&UpiSRequest {
            custom_transaction_id: "u-2".into(),
            ..req.clone()
        })
        .await
        .unwrap();
    env.control("/_sandbox/deposits/u-2/fail", json!({})).await;
    assert_eq!(
        c.upi_s_status(&second.order_id).await.unwrap(),
        UpiSStatus::Failed
    );
    let e = c.upi_s_status("0000").await.unwrap_err();
    assert_eq!(refused_message(&e), "Order not found");
    let e = c.create_upi_s(&req).await.unwrap_err();
    assert!(fields(&e).iter().any(|(f, _)| f == "custom_transaction_id"));
    let e = c
        .create_upi_s(&UpiSRequest {
            amount: d("99999"),
            custom_transaction_id: "u-3".into(),
            ..req
        })
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "amount".to_string(),
            vec!["The amount must not be greater than 50000.".to_string()]
        )]
    );
}

#[tokio::test]
async fn redirect_payment_savings_and_saved_custom_id_through_the_client() {
    let env = Env::start().await;
    let c = client(&env);
    let req = PaymentRequest {
        payment_system: "help2pay".into(),
        language: "en".into(),
        currency: "USD".into(),
        bank: Some("MBB".into()),
        amount: d("1000.00"),
        label: "55".into(),
        redirect_url: "https://shop.test/back".into(),
        custom_transaction_id: Some("rd-1".into()),
    };
    c.create_payment(&req).await.unwrap();
    let e = c
        .create_payment(&PaymentRequest {
            bank: None,
            custom_transaction_id: Some("rd-2".into()),
            ..req.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "bank".to_string(),
            vec!["The bank field is required.".to_string()]
        )]
    );
    let e = c
        .create_payment(&PaymentRequest {
            payment_system: "upi_l".into(),
            ..req
        })
        .await
        .unwrap_err();
    assert_eq!(refused_message(&e), "Payment system not found");

    let info = c.deposit_info("55", "paytm", "INR").await.unwrap();
    assert_eq!(
        (info.stockpiling_sum, info.lacks_sum, info.minimum_deposit),
        (Some(d("0")), Some(d("148")), Some(d("148")))
    );
    let e = c.deposit_info("55", "nope", "INR").await.unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "wallet_type".to_string(),
            vec!["The selected wallet type is invalid.".to_string()]
        )]
    );

    c.save_transaction_custom_id("77", "saved-1").await.unwrap();
    let e = c
        .save_transaction_custom_id("78", "saved-1")
        .await
        .unwrap_err();
    assert!(!fields(&e).is_empty());
    env.control(
        "/_sandbox/plugin-payments",
        json!({"label":"77","amount":300,"currency_code":"INR","wallet_type":"upi_l"}),
    )
    .await;
    env.receiver.wait_for(1).await;
    let found = c
        .postback(&PostbackQuery::DepositByCustomId("saved-1".into()))
        .await
        .unwrap()
        .into_found();
    assert_eq!(found.postback.label, "77");
}

#[tokio::test]
async fn withdrawals_lookups_and_balances_through_the_client() {
    let env = Env::start().await;
    let c = client(&env);
    c.create_withdrawal(&withdrawal("cw-1", "1500"))
        .await
        .unwrap();
    c.create_withdrawal(&withdrawal("cw-2", "2500"))
        .await
        .unwrap();
    let e = c
        .create_withdrawal(&withdrawal("cw-1", "1500"))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "withdrawal_id".to_string(),
            vec!["The withdrawal id has already been taken.".to_string()]
        )]
    );
    let e = c
        .create_withdrawal(&withdrawal("cw-big", "5000000"))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "withdrawals_sum_amount".to_string(),
            vec!["Insufficient balance".to_string()]
        )]
    );
    let e = c
        .create_withdrawal(&WithdrawalRequest {
            receiver_name: None,
            ..withdrawal("cw-3", "10")
        })
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        vec![(
            "receiver_name".to_string(),
            vec!["The receiver name field is required.".to_string()]
        )]
    );
    // A client with another key: the sandbox refuses the signature.
    let mut config = c.config().clone();
    config.withdrawal_private_key = Secret::new("not-the-key");
    let e = Client::new(config)
        .unwrap()
        .create_withdrawal(&withdrawal("cw-4", "10"))
        .await
        .unwrap_err();
    assert_eq!(refused_message(&e), "Invalid signature");

    env.control("/_sandbox/withdrawals/cw-1/process", json!({}))
        .await;
    env.control("/_sandbox/withdrawals/cw-2/reject", json!({}))
        .await;
    env.receiver.wait_for(2).await;
    let found = c
        .postback(&PostbackQuery::Withdrawal("cw-2".into()))
        .await
        .unwrap()
        .into_found();
    assert_eq!(found.postback.direction, Direction::Outgoing);
    assert_eq!(
        found.postback.additional_data[0].withdrawal_status,
        Some(PayoutStatus::Rejected)
    );

    let ids: Vec<String> = ["cw-1", "cw-2", "cw-nope"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let page = c
        .pullpostbacks(PullKind::Withdrawal, &ids, Some(0), Some(2))
        .await
        .unwrap();
    let p = page.paginate.unwrap();
    assert_eq!((p.offset, p.total, p.limit), (0, 3, 2));
    assert_eq!(page.items.len(), 2);
    // The client follows the pages to the end.
    let all = c
        .pull_all_postbacks(PullKind::Withdrawal, &ids, 3)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let status = |id: &str| match &all.iter().find(|i| i.id == id).unwrap().outcome {
        PullOutcome::Found(f) => f.postback.additional_data[0].withdrawal_status,
        other => panic!("{other:?}"),
    };
    assert_eq!(status("cw-1"), Some(PayoutStatus::Processed));
    assert_eq!(status("cw-2"), Some(PayoutStatus::Rejected));
    assert!(
        matches!(&all[2].outcome, PullOutcome::NotFound { message } if message == "Withdrawal with this ID not found")
    );

    let balances = c.accounts_balance().await.unwrap();
    let imps = balances.iter().find(|b| b.wallet_type == "imps").unwrap();
    assert_eq!(
        imps.amount,
        d("-1500"),
        "processed debited, rejected returned"
    );
    assert_eq!(
        balances
            .iter()
            .find(|b| b.wallet_type == "upi_l")
            .unwrap()
            .amount,
        d("1000000.00")
    );
}

#[tokio::test]
async fn pullpostbacks_deposit_pages_and_errors_through_the_client() {
    let mut config = fast_config();
    config.pullpostbacks_max_limit = 2;
    let env = Env::with(config).await;
    let c = client(&env);
    for custom in ["pp-1", "pp-2", "pp-3"] {
        env.control(
            "/_sandbox/plugin-payments",
            json!({"label":"55","amount":150,"currency_code":"INR","wallet_type":"upi_l","custom_transaction_id":custom}),
        )
        .await;
    }
    let ids: Vec<String> = ["pp-1", "pp-2", "pp-3", "pp-x"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let page = c
        .pullpostbacks(PullKind::Deposit, &ids, None, None)
        .await
        .unwrap();
    let p = page.paginate.unwrap();
    assert_eq!(
        (p.offset, p.total, p.limit),
        (0, 4, 2),
        "capped by the gateway's page size"
    );
    let all = c
        .pull_all_postbacks(PullKind::Deposit, &ids, 10)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        vec!["pp-1", "pp-2", "pp-3", "pp-x"]
    );
    assert!(
        matches!(&all[3].outcome, PullOutcome::NotFound { message } if message == "Postback not found")
    );
    match &all[0].outcome {
        PullOutcome::Found(f) => assert_eq!(f.postback.amount, d("150")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn injected_faults_are_classified_by_the_client() {
    let mut config = fast_config();
    config.fault_hold = Duration::from_millis(800);
    let env = Env::with(config).await;
    let c = client(&env);
    env.control(
        "/_sandbox/faults",
        json!({"target":"/api/v1/accounts-balance","mode":"http500"}),
    )
    .await;
    assert!(c.accounts_balance().await.unwrap_err().is_outcome_unknown());
    env.control(
        "/_sandbox/faults",
        json!({"target":"/api/v1/transaction/activate","mode":"drop"}),
    )
    .await;
    let e = c
        .activate(&upi_activation("123456789012", "fx-1", Some("100")))
        .await
        .unwrap_err();
    assert!(e.is_outcome_unknown(), "{e:?}");
    // drop_after: the withdrawal exists although the client saw no answer.
    env.control(
        "/_sandbox/faults",
        json!({"target":"/v2/withdrawal/create","mode":"drop_after"}),
    )
    .await;
    let e = c
        .create_withdrawal(&withdrawal("fx-w", "100"))
        .await
        .unwrap_err();
    assert!(e.is_outcome_unknown(), "{e:?}");
    let held = env
        .sandbox
        .withdrawal("fx-w")
        .expect("the withdrawal was recorded");
    assert_eq!(held.amount, d("100"));
    // timeout: held past the client's deadline.
    let mut short = c.config().clone();
    short.timeout = Duration::from_millis(200);
    env.control(
        "/_sandbox/faults",
        json!({"target":"/api/v1/payment/upi_s/status","mode":"timeout"}),
    )
    .await;
    let e = Client::new(short)
        .unwrap()
        .upi_s_status("x")
        .await
        .unwrap_err();
    assert!(e.is_outcome_unknown(), "{e:?}");
}
