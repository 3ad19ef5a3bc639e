//! Postback bodies as the gateway builds them: field order of the seed examples, top-level
//! `amount` a number, entry amounts strings, `created_datetime` in gateway time, signed with
//! (P) or (W) and encoded with PHP's default `json_encode` flags.

use paykassma::php::PhpValue;
use paykassma::signature::{SignError, sign_postback_body};
use rust_decimal::Decimal;

use crate::config::SandboxConfig;
use crate::reply::{obj, s};
use crate::state::{Credit, Direction, StoredPostback, Withdrawal};

/// One deposit entry of `additional_data`.
pub fn deposit_entry(c: &Credit, stockpiling_id: i64) -> PhpValue<'static> {
    obj([
        ("activated_datetime", s(c.activated_datetime.as_str())),
        ("exchanger_identifier", s(c.exchanger_identifier.as_str())),
        ("comment", s("")),
        ("amount", s(c.amount.normalize().to_string())),
        ("currency_code", s(c.currency_code.as_str())),
        ("wallet_type", s(c.wallet_type.as_str())),
        ("stockpiling_id", PhpValue::int(stockpiling_id)),
        ("transaction_id", s(c.transaction_id.as_str())),
        ("transaction_type", PhpValue::int(0)),
        (
            "plugin_custom_order_id",
            s(c.custom_transaction_id.as_str()),
        ),
        ("withdrawal_id", PhpValue::Null),
        ("withdrawal_status", PhpValue::Null),
        ("account_number", s("")),
        ("account_name", s("")),
        ("account_email", s("")),
        (
            "bank_details",
            obj([("bank_code", s("")), ("branch_code", s(""))]),
        ),
    ])
}

/// The single entry of a withdrawal postback.
pub fn withdrawal_entry(w: &Withdrawal) -> PhpValue<'static> {
    let opt = |v: &Option<String>| v.as_deref().map(s).unwrap_or(PhpValue::Null);
    obj([
        ("activated_datetime", s("")),
        ("exchanger_identifier", s("")),
        ("comment", s(w.comment.as_str())),
        ("amount", s(w.amount.normalize().to_string())),
        ("currency_code", s(w.currency_code.as_str())),
        ("wallet_type", s(w.payment_system.as_str())),
        ("stockpiling_id", PhpValue::Null),
        ("transaction_id", s("")),
        ("transaction_type", PhpValue::Null),
        ("plugin_custom_order_id", s("")),
        ("withdrawal_id", s(w.withdrawal_id.as_str())),
        ("withdrawal_status", PhpValue::int(w.status.code())),
        ("account_number", s(w.account_number.as_str())),
        ("account_name", s(w.account_name.as_str())),
        ("account_email", s(w.account_email.as_str())),
        (
            "bank_details",
            obj([
                ("bank_code", opt(&w.bank_code)),
                ("branch_code", opt(&w.branch_code)),
            ]),
        ),
    ])
}

/// What a postback is about.
pub struct Header<'a> {
    pub wallet_type: &'a str,
    pub amount: Decimal,
    pub currency_code: &'a str,
    pub label: &'a str,
    pub direction: Direction,
    pub created_datetime: String,
}

/// Builds, signs and packs a postback. `id` is the store's sequence number.
pub fn build(
    config: &SandboxConfig,
    id: u64,
    header: Header<'_>,
    entries: Vec<PhpValue<'static>>,
) -> Result<StoredPostback, SignError> {
    let direction = match header.direction {
        Direction::Ingoing => "ingoing",
        Direction::Outgoing => "outgoing",
    };
    let custom_ids = strings_of(&entries, "plugin_custom_order_id");
    let transaction_ids = strings_of(&entries, "transaction_id");
    let withdrawal_id = strings_of(&entries, "withdrawal_id").into_iter().next();
    let mut body = obj([
        ("wallet_type", s(header.wallet_type)),
        ("amount", PhpValue::decimal(header.amount)),
        ("currency_code", s(header.currency_code)),
        ("label", s(header.label)),
        // Rates are not known here: the amount in its own currency only.
        (
            "converted_amount",
            PhpValue::Map(vec![(
                header.currency_code.to_string().into(),
                PhpValue::decimal(header.amount),
            )]),
        ),
        ("direction", s(direction)),
        ("created_datetime", s(header.created_datetime)),
        ("access_key", s(config.postback_keys.access_key.expose())),
        ("additional_data", PhpValue::List(entries)),
    ]);
    let text = sign_postback_body(&config.postback_keys, config.postback_scheme, &body)?;
    body.remove("access_key");
    Ok(StoredPostback {
        id,
        direction: header.direction,
        lookup_body: body,
        text,
        custom_ids,
        transaction_ids,
        withdrawal_id,
    })
}

fn strings_of(entries: &[PhpValue], key: &str) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| e.get(key).and_then(PhpValue::as_str))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use paykassma::signature::{Scheme, verify_postback};

    fn credit(amount: i64, custom: &str) -> Credit {
        Credit {
            wallet_type: "upi_hb".into(),
            label: "2519566".into(),
            currency_code: "INR".into(),
            amount: Decimal::from(amount),
            custom_transaction_id: custom.into(),
            transaction_id: "355015818634".into(),
            exchanger_identifier: "upi/é".into(),
            activated_datetime: "2023-07-03 06:42:55".into(),
        }
    }

    #[test]
    fn deposit_postback_matches_the_seed_layout_and_verifies() {
        for scheme in [Scheme::Postback, Scheme::Request] {
            let config = SandboxConfig {
                postback_scheme: scheme,
                ..SandboxConfig::default()
            };
            let header = Header {
                wallet_type: "upi_hb",
                amount: Decimal::new(10005, 1),
                currency_code: "INR",
                label: "2519566",
                direction: Direction::Ingoing,
                created_datetime: "2023-07-03 06:42:53".into(),
            };
            let pb = build(
                &config,
                1,
                header,
                vec![deposit_entry(&credit(1000, "h8Jx"), 7)],
            )
            .unwrap();
            assert!(pb.text.starts_with(r#"{"signature":""#), "{}", pb.text);
            assert!(
                pb.text.contains(r#","wallet_type":"upi_hb","amount":1000.5,"currency_code":"INR","label":"2519566","converted_amount":{"INR":1000.5},"direction":"ingoing","created_datetime":"2023-07-03 06:42:53","access_key":"sandbox-access-key","additional_data":[{"activated_datetime":"2023-07-03 06:42:55","exchanger_identifier":"upi\/\u00e9","comment":"","amount":"1000","currency_code":"INR","wallet_type":"upi_hb","stockpiling_id":7,"transaction_id":"355015818634","transaction_type":0,"plugin_custom_order_id":"h8Jx","withdrawal_id":null,"withdrawal_status":null,"account_number":"","account_name":"","account_email":"","bank_details":{"bank_code":"","branch_code":""}}]}"#),
                "{}",
                pb.text
            );
            verify_postback(pb.text.as_bytes(), &config.postback_keys, scheme).unwrap();
            assert_eq!(pb.custom_ids, vec!["h8Jx"]);
            assert!(pb.lookup_body.get("access_key").is_none());
            assert!(pb.lookup_body.get("signature").is_none());
        }
    }
}
