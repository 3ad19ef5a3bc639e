//! Property: a captured (P)-signed body, however its unsigned top-level fields are edited and
//! however often it is replayed, credits no one but the order's owner, at most once, with the
//! signed amount. (`direction`, `label`, `amount`, `currency_code`, `wallet_type` and
//! `created_datetime` are outside the (P) signature.) The gateway is unreachable here, so a
//! payment without an order of ours can never be credited by the body's label either.

use std::sync::Arc;

use paykassma::php::PhpValue;
use paykassma::signature::{Scheme, sign_postback_body};
use payments::store::NewDeposit;
use payments::store::memory::MemoryStore;
use payments::store::prelude::*;
use payments::{Currency, DepositId, Label, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;
use service::Deps;
use testkit::gateway::{keys, offline_deps};

fn entry(order: &str, tx: &str) -> PhpValue<'static> {
    PhpValue::Map(vec![
        ("amount".into(), PhpValue::string("250.00")),
        ("currency_code".into(), PhpValue::string("INR")),
        ("wallet_type".into(), PhpValue::string("upi_l")),
        ("transaction_id".into(), PhpValue::string(tx)),
        ("plugin_custom_order_id".into(), PhpValue::string(order)),
    ])
}

fn withdrawal_entry() -> PhpValue<'static> {
    PhpValue::Map(vec![
        ("amount".into(), PhpValue::string("900.00")),
        ("currency_code".into(), PhpValue::string("INR")),
        ("withdrawal_id".into(), PhpValue::string("w-someone")),
        ("withdrawal_status".into(), PhpValue::int(1)),
    ])
}

/// The top-level fields an attacker may write, in the gateway's order.
#[derive(Debug, Clone)]
struct TopLevel {
    wallet_type: String,
    amount: String,
    currency_code: String,
    label: String,
    direction: String,
    created_datetime: String,
}

fn body(top: &TopLevel, entries: Vec<PhpValue>) -> String {
    let fields = vec![
        ("wallet_type".into(), PhpValue::string(&top.wallet_type)),
        ("amount".into(), PhpValue::string(&top.amount)),
        ("currency_code".into(), PhpValue::string(&top.currency_code)),
        ("label".into(), PhpValue::string(&top.label)),
        ("direction".into(), PhpValue::string(&top.direction)),
        (
            "created_datetime".into(),
            PhpValue::string(&top.created_datetime),
        ),
        ("access_key".into(), PhpValue::string("access-1")),
        ("additional_data".into(), PhpValue::List(entries)),
    ];
    sign_postback_body(&keys(), Scheme::Postback, &PhpValue::Map(fields)).unwrap()
}

fn top_level() -> impl Strategy<Value = TopLevel> {
    (
        prop::sample::select(vec!["upi_l", "paytm", "", "imps"]),
        prop::sample::select(vec!["250", "250000", "0.01", "-5", "abc", ""]),
        prop::sample::select(vec!["INR", "USD", "BDT", "KGS", ""]),
        prop::sample::select(vec!["bob", "eve", "mallory", "", " bob "]),
        prop::sample::select(vec!["ingoing", "outgoing", "sideways", ""]),
        "[0-9: -]{0,19}",
    )
        .prop_map(
            |(wallet_type, amount, currency_code, label, direction, created_datetime)| TopLevel {
                wallet_type: wallet_type.into(),
                amount: amount.into(),
                currency_code: currency_code.into(),
                label: label.into(),
                direction: direction.into(),
                created_datetime,
            },
        )
}

async fn books(store: &MemoryStore, label: &str) -> Decimal {
    store
        .get_balances(&Label::parse(label).unwrap())
        .await
        .unwrap()
        .iter()
        .map(|b| b.available + b.held)
        .sum()
}

fn deps(store: Arc<MemoryStore>) -> Deps {
    offline_deps().store(store).build()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn edits_of_unsigned_fields_move_no_money_beyond_the_signed_entries(
        edits in prop::collection::vec((top_level(), 0usize..3), 1..8)
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = Arc::new(MemoryStore::new());
            store
                .create_deposit(NewDeposit {
                    id: DepositId::parse("dep-bob-1").unwrap(),
                    label: Label::parse("bob").unwrap(),
                    currency: Currency::parse("INR").unwrap(),
                    amount: Some(Money::parse("250.00", "INR").unwrap()),
                    wallet_type: "upi_l".into(),
                    details: Default::default(),
                    created_at: time::OffsetDateTime::now_utc(),
                })
                .await
                .unwrap();
            let d = deps(store.clone());
            let mut paid_to_bob = false;
            for (top, which) in &edits {
                let entries = match which {
                    0 => vec![entry("dep-bob-1", "111122223333")],
                    1 => vec![entry("", "444455556666")],
                    _ => vec![withdrawal_entry()],
                };
                let text = body(top, entries);
                // A copy whose top level does not even read as a postback (amount "abc", no
                // label) is refused as malformed: refusing a forged copy is allowed.
                let readable = paykassma::php::parse(text.as_bytes())
                    .ok()
                    .and_then(|v| paykassma::postback::Postback::from_php(&v).ok())
                    .is_some();
                paid_to_bob |= *which == 0 && top.direction == "ingoing" && readable;
                // Any answer is allowed; what it may do to the books is not.
                let _ = service::postbacks::receive(&d, text.as_bytes(), None).await;
            }
            let bob = books(&store, "bob").await;
            let expected = if paid_to_bob { Decimal::new(25000, 2) } else { Decimal::ZERO };
            assert_eq!(bob, expected, "bob: {edits:?}");
            for other in ["eve", "mallory"] {
                assert_eq!(books(&store, other).await, Decimal::ZERO, "{other}: {edits:?}");
            }
        });
    }
}
