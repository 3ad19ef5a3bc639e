//! The library examples of `README.md`, compiled and run, so the documentation stays true.

use paykassma::php::{self, JsonFlags};
use paykassma::postback::Postback;
use paykassma::signature::{PostbackKeys, Scheme, sign_postback_body, verify_postback};
use paykassma::upi::{DeepLinks, UpiPayment};
use paykassma::window::{Lang, PluginUrl};
use rust_decimal::Decimal;

type AnyResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn window_example() -> AnyResult {
    let url = PluginUrl::for_server("example.com", "55")?
        .currency_code("INR")
        .lang(Lang::En)
        .wallet_type("upi_l")
        .custom_transaction_id("dep 42")
        .fixed_amount(Decimal::new(50050, 2))
        .build()?;
    assert_eq!(
        url.as_str(),
        "https://plugin.example.com/?label=55&currency_code=INR&lang=en&wallet_type=upi_l\
         &custom_transaction_id=dep+42&fixed_amount=500.50"
    );
    Ok(())
}

#[test]
fn upi_and_qr_example() -> AnyResult {
    let qr_data = "upi://pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987";
    let links = DeepLinks::from_qr_data(qr_data)?;
    assert_eq!(
        links.gpay,
        "tez://upi/pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987"
    );

    let payment: UpiPayment = qr_data.parse()?;
    assert_eq!(payment.pa, "test@bank");
    assert_eq!(payment.pn.as_deref(), Some("Test test"));
    assert_eq!(payment.am, Some(100.into()));

    let png: Vec<u8> = paykassma::qr::to_png(qr_data)?;
    let svg: String = paykassma::qr::to_svg(qr_data)?;
    assert!(png.starts_with(b"\x89PNG"));
    assert!(svg.contains("viewBox"));
    assert!(matches!(
        paykassma::qr::to_png(&"x".repeat(2400)),
        Err(paykassma::qr::QrError::TooLong { .. })
    ));
    Ok(())
}

#[test]
fn postback_example() -> AnyResult {
    let keys = PostbackKeys {
        access_key: "my-access-key".into(),
        private_key: "my-private-key".into(),
    };
    // The body the README's CLI section shows, as signed by PHP.
    let raw_body = br#"{"signature":"86b19193341e80e772e4b619aa933426f4357bbd","wallet_type":"upi_l","amount":700,"currency_code":"INR","label":"55","direction":"ingoing","access_key":"my-access-key","additional_data":[{"amount":"700","currency_code":"INR","wallet_type":"upi_l","transaction_id":"321323438267","plugin_custom_order_id":"dep-42"}]}"#;
    let body = verify_postback(raw_body, &keys, Scheme::Postback)?;
    let postback = Postback::from_php(&body)?;
    assert_eq!(postback.label, "55");

    // Our own signer produces the same signature for the same body.
    let mut unsigned = php::parse(raw_body)?;
    unsigned.remove("signature");
    let resigned = sign_postback_body(&keys, Scheme::Postback, &unsigned)?;
    assert_eq!(
        resigned,
        php::encode(&php::parse(raw_body)?, JsonFlags::DEFAULT)
    );
    Ok(())
}
