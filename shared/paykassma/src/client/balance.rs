//! Section 9: the merchant's balances at the gateway, per method and currency. Amounts may
//! be negative and carry 3-4 decimals; they are read exactly.

use reqwest::Method;
use rust_decimal::Decimal;

use super::read::{decimal, items, text};
use super::transport::{Body, Query};
use super::{Client, Error};

/// One of the merchant's balances at the gateway (not a user's `payments::store::Balance`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayBalance {
    pub wallet_type: String,
    pub currency_code: String,
    pub amount: Decimal,
}

impl Client {
    /// `GET accounts-balance` (section 9).
    pub async fn accounts_balance(&self) -> Result<Vec<GatewayBalance>, Error> {
        self.guarded(async {
            let path = &self.config.paths.accounts_balance;
            let answer = self
                .exchange(Method::GET, path, &Query::new(), Body::None, true)
                .await?;
            let v = answer.success()?;
            let list = v
                .get("data")
                .and_then(|d| d.get("balances"))
                .or_else(|| v.get("balances"));
            items(list)
                .into_iter()
                .map(|b| {
                    Ok(GatewayBalance {
                        wallet_type: text(b.get("wallet_type")).unwrap_or_default(),
                        currency_code: text(b.get("currency_code"))
                            .ok_or_else(|| answer.unreadable("a balance has no currency_code"))?,
                        amount: decimal(b.get("amount"))
                            .ok_or_else(|| answer.unreadable("a balance has no amount"))?,
                    })
                })
                .collect()
        })
        .await
    }
}
