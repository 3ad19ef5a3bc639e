//! The withdrawal as the API shows it: money as a decimal string at the currency's scale,
//! times in RFC 3339, the gateway's message when there is one.

use payments::store::Withdrawal;
use serde::{Deserialize, Serialize};

use crate::http::rfc3339;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalView {
    /// Our id.
    pub id: String,
    /// The id sent to the gateway as `withdrawal_id` (the same value: we generate it).
    pub withdrawal_id: String,
    pub status: String,
    pub payment_system: String,
    /// `"500.00"`.
    pub amount: String,
    pub currency: String,
    /// The gateway's message (refusal text, rejection reason), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Withdrawal> for WithdrawalView {
    fn from(w: &Withdrawal) -> Self {
        let currency = w.money.currency();
        Self {
            id: w.id.to_string(),
            withdrawal_id: w.id.to_string(),
            status: w.status.as_str().to_string(),
            payment_system: w.payment_system.clone(),
            amount: payments::money::at_scale(w.money.amount(), currency).to_string(),
            currency: currency.code().to_string(),
            message: w.message.clone(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}
