//! A user's deposits or withdrawals, newest first, from the history index `GSI2` (`label`,
//! `created_at`). Separate from the aggregates' modules because both lists page the same way.

use payments::store::keys::{self, HistoryPosition, HistoryScope};
use payments::store::{PageRequest, StoreError};

use super::DynamoStore;
use super::items::{Item, Reader, key, s};
use super::table::{GSI2, GSI2PK, GSI2SK, PK};
use super::tx::{backend, names, values};

/// The largest number of items one round asks for; DynamoDB also stops a round at 1 MB.
const MAX_ROUND: usize = 1000;

impl DynamoStore {
    /// One page of `scope`'s history: its items (deposit or withdrawal items) and the cursor
    /// after the last one when more follow.
    ///
    /// The index partition also holds the user's other list and ledger entries, and a status
    /// filter skips more, so a query round may return fewer matches than it read: rounds go on
    /// (each asking for twice as many items, up to [`MAX_ROUND`]) until `limit + 1` matches
    /// are in hand or the partition ends. So a page is full unless it is the last, and the
    /// cursor always names an item that was returned.
    pub(super) async fn list_history(
        &self,
        scope: &HistoryScope<'_>,
        page: &PageRequest,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let limit = keys::check_limit(page.limit)? as usize;
        let prefix = scope.list.pk_prefix();
        let mut start = page
            .cursor
            .as_deref()
            .map(|c| keys::decode_history_cursor(c, scope))
            .transpose()?
            .map(|pos| {
                let mut k = key(format!("{prefix}{}", pos.id), keys::META);
                k.insert(GSI2PK.into(), s(scope.label.as_str()));
                k.insert(GSI2SK.into(), s(pos.created_at));
                k
            });
        let mut filter = "begins_with(#pk, :prefix)".to_string();
        let mut attr_names = names([("#label", GSI2PK), ("#pk", PK)]);
        let mut vals = values([(":label", s(scope.label.as_str())), (":prefix", s(prefix))]);
        if let Some(status) = scope.status {
            // DynamoDB refuses names and values an expression does not use: only with a filter.
            filter.push_str(" AND #status = :status");
            attr_names.insert("#status".into(), "status".into());
            vals.insert(":status".into(), s(status));
        }
        let mut round = limit + 1;
        let mut items: Vec<Item> = Vec::new();
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI2)
                .key_condition_expression("#label = :label")
                .filter_expression(&filter)
                .set_expression_attribute_names(Some(attr_names.clone()))
                .set_expression_attribute_values(Some(vals.clone()))
                .scan_index_forward(false)
                .limit(round as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| backend("query history", e))?;
            items.extend(out.items.unwrap_or_default());
            if items.len() > limit {
                break;
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => break,
            }
            round = (round * 2).min(MAX_ROUND);
        }
        let next = if items.len() > limit {
            items.truncate(limit);
            items
                .last()
                .map(|i| position(i, prefix))
                .transpose()?
                .map(|pos| keys::encode_history_cursor(scope, &pos))
        } else {
            None
        };
        Ok((items, next))
    }
}

/// The history position of a deposit or withdrawal item.
fn position(item: &Item, prefix: &str) -> Result<HistoryPosition, StoreError> {
    let r = Reader::new(item);
    let pk = r.s(PK)?;
    let id = pk.strip_prefix(prefix).ok_or_else(|| StoreError::Corrupt {
        key: pk.to_string(),
        problem: format!("history item outside {prefix}"),
    })?;
    Ok(HistoryPosition {
        created_at: r.s(GSI2SK)?.to_string(),
        id: id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;

    #[test]
    fn a_position_is_read_from_the_item_keys() {
        let mut item = key("DEPOSIT#d1".into(), keys::META);
        item.insert(
            GSI2SK.into(),
            AttributeValue::S("2026-01-02T03:04:05.000007Z".into()),
        );
        assert_eq!(
            position(&item, "DEPOSIT#").unwrap(),
            HistoryPosition {
                created_at: "2026-01-02T03:04:05.000007Z".into(),
                id: "d1".into()
            }
        );
        assert!(position(&item, "WITHDRAWAL#").is_err());
    }
}
