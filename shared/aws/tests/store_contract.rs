//! The Store contract: every case below runs against the in-memory adapter and against
//! DynamoDB Local (a fresh table per test), and ends by checking the books: for every user
//! touched, the ledger sums to the balances to the cent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use payments::store::*;
use payments::{DepositId, DepositStatus, Store, WithdrawalId, WithdrawalStatus};
use rust_decimal::Decimal;
use testkit::books::Books;
use testkit::records::{credit, new_deposit, new_withdrawal};
use testkit::values::{cur, d, money};
use time::{Duration, OffsetDateTime};

macro_rules! contract_tests {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store = testkit::stores::memory();
                    let books = testkit::books::Books::default();
                    crate::$case(store.clone(), &books).await;
                    books.assert_balanced(&*store).await;
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store = testkit::stores::dynamo().await;
                    let books = testkit::books::Books::default();
                    crate::$case(store.clone(), &books).await;
                    books.assert_balanced(&*store).await;
                }
            )*
        }
    };
}

contract_tests!(
    deposit_lifecycle_is_guarded,
    a_postback_credits_once_and_marks_the_deposit,
    a_different_amount_or_currency_credits_what_was_paid,
    money_without_a_matching_order_is_still_credited_by_label,
    a_late_payment_credits_an_expired_deposit,
    a_withdrawal_debits_only_what_is_available,
    finish_and_refund_happen_exactly_once,
    open_work_is_listed_oldest_first_in_pages,
    the_ledger_pages_newest_first,
    a_users_history_pages_newest_first_by_status,
    idempotency_records_first_write_wins,
    method_switches_and_caches,
    payout_switches_keep_their_limits_per_currency,
    one_read_finds_the_orders_the_record_and_the_unbooked_entry,
    open_work_spreads_over_every_shard,
    postback_records_are_kept_once,
    unbooked_postbacks_are_kept_listed_and_closed_once,
    withdrawals_held_for_a_person_are_flagged_listed_and_closed_once,
    amounts_stay_exact,
    concurrent_duplicate_postbacks_credit_once,
    concurrent_withdrawals_never_overdraw,
    concurrent_settlements_apply_once,
    invalid_inputs_change_nothing,
);

async fn deposit_lifecycle_is_guarded(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-dep");
    let nd = new_deposit(&u, Some("500"), "INR");
    let created = s.create_deposit(nd.clone()).await.unwrap();
    assert_eq!(created.status, DepositStatus::Pending);
    assert_eq!(created.amount, Some(money("500.00", "INR")));
    assert_eq!(s.get_deposit(&nd.id).await.unwrap(), Some(created.clone()));
    assert!(matches!(
        s.create_deposit(nd.clone()).await,
        Err(StoreError::AlreadyExists { .. })
    ));

    let update = DepositUpdate {
        activation_key: Some("321323438267".into()),
        message: None,
        attempts: None,
    };
    let d = s
        .update_deposit_status(
            &nd.id,
            DepositStatus::Pending,
            DepositStatus::Processing,
            update,
        )
        .await
        .unwrap();
    assert_eq!(d.status, DepositStatus::Processing);
    assert_eq!(d.activation_key.as_deref(), Some("321323438267"));
    assert_eq!(s.get_deposit(&nd.id).await.unwrap(), Some(d.clone()));

    // Stale `from`: a conflict naming the actual state, nothing changed.
    match s
        .update_deposit_status(
            &nd.id,
            DepositStatus::Pending,
            DepositStatus::Possible,
            Default::default(),
        )
        .await
    {
        Err(StoreError::StateConflict { actual, .. }) => assert_eq!(actual, "processing"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Crediting states only through a postback; illegal moves are errors.
    assert!(matches!(
        s.update_deposit_status(
            &nd.id,
            DepositStatus::Processing,
            DepositStatus::Credited,
            Default::default()
        )
        .await,
        Err(StoreError::Invalid(_))
    ));
    let rejected = s
        .update_deposit_status(
            &nd.id,
            DepositStatus::Processing,
            DepositStatus::Rejected,
            DepositUpdate {
                activation_key: None,
                message: Some("wrong UTR".into()),
                attempts: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(rejected.message.as_deref(), Some("wrong UTR"));
    assert_eq!(
        rejected.activation_key.as_deref(),
        Some("321323438267"),
        "unset fields are kept"
    );
    assert!(matches!(
        s.update_deposit_status(
            &nd.id,
            DepositStatus::Rejected,
            DepositStatus::Pending,
            Default::default()
        )
        .await,
        Err(StoreError::Transition(_))
    ));
    let missing = DepositId::generate();
    assert_eq!(s.get_deposit(&missing).await.unwrap(), None);
    assert!(matches!(
        s.update_deposit_status(
            &missing,
            DepositStatus::Pending,
            DepositStatus::Processing,
            Default::default()
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
    let mut bad = new_deposit(&u, Some("5"), "INR");
    bad.currency = cur("BDT");
    assert!(matches!(
        s.create_deposit(bad).await,
        Err(StoreError::Invalid(_))
    ));
}

async fn a_postback_credits_once_and_marks_the_deposit(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-credit");
    let nd = new_deposit(&u, Some("500"), "INR");
    s.create_deposit(nd.clone()).await.unwrap();
    let c = credit("in:tx:T1", &u, "500", "INR", Some(&nd.id));
    let out = s.apply_deposit_postback(c.clone()).await.unwrap();
    let CreditOutcome::Credited { entry, deposit } = out else {
        panic!("expected a credit, got {out:?}")
    };
    assert_eq!(
        deposit,
        DepositEffect::Updated {
            id: nd.id.clone(),
            from: DepositStatus::Pending,
            to: DepositStatus::Credited
        }
    );
    assert_eq!(
        (entry.amount, entry.kind, entry.reference.as_str()),
        (d("500.00"), EntryKind::DepositCredit, nd.id.as_str())
    );
    let dep = s.get_deposit(&nd.id).await.unwrap().unwrap();
    assert_eq!(dep.status, DepositStatus::Credited);
    assert_eq!(dep.credited, Some(money("500", "INR")));
    assert_eq!(dep.postback_key.as_deref(), Some("in:tx:T1"));

    // The gateway's retry: nothing more happens.
    assert_eq!(
        s.apply_deposit_postback(c.clone()).await.unwrap(),
        CreditOutcome::AlreadyApplied
    );
    let bal = s.get_balances(&u).await.unwrap();
    assert_eq!(
        bal,
        vec![Balance {
            currency: cur("INR"),
            available: d("500.00"),
            held: d("0.00")
        }]
    );
    let ledger = s.list_ledger(&u, PageRequest::first(10)).await.unwrap();
    assert_eq!(ledger.items, vec![entry]);
    let rec = s.get_postback("in:tx:T1").await.unwrap().unwrap();
    assert_eq!(rec.raw_body, c.raw_body);
    assert_eq!(rec.kind, PostbackKind::Deposit);
    assert!(
        open_deposits(&*s, OffsetDateTime::now_utc() + Duration::hours(1), 10)
            .await
            .is_empty(),
        "a credited deposit leaves the open-work index"
    );
}

async fn a_different_amount_or_currency_credits_what_was_paid(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-mismatch");
    let short = s
        .create_deposit(new_deposit(&u, Some("500"), "INR"))
        .await
        .unwrap();
    let out = s
        .apply_deposit_postback(credit("in:tx:A", &u, "450", "INR", Some(&short.id)))
        .await
        .unwrap();
    assert!(matches!(
        out,
        CreditOutcome::Credited {
            deposit: DepositEffect::Updated {
                to: DepositStatus::AmountMismatch,
                ..
            },
            ..
        }
    ));
    let dep = s.get_deposit(&short.id).await.unwrap().unwrap();
    assert_eq!(
        (dep.status, dep.credited),
        (DepositStatus::AmountMismatch, Some(money("450", "INR")))
    );

    let other_cur = s
        .create_deposit(new_deposit(&u, Some("500"), "INR"))
        .await
        .unwrap();
    s.apply_deposit_postback(credit("in:tx:B", &u, "500", "BDT", Some(&other_cur.id)))
        .await
        .unwrap();
    assert_eq!(
        s.get_deposit(&other_cur.id).await.unwrap().unwrap().status,
        DepositStatus::AmountMismatch
    );

    // No ordered amount (bKash-style): any amount in the right currency is a match.
    let open = s
        .create_deposit(new_deposit(&u, None, "INR"))
        .await
        .unwrap();
    s.apply_deposit_postback(credit("in:tx:C", &u, "777.70", "INR", Some(&open.id)))
        .await
        .unwrap();
    let dep = s.get_deposit(&open.id).await.unwrap().unwrap();
    assert_eq!(
        (dep.status, dep.credited),
        (DepositStatus::Credited, Some(money("777.7", "INR")))
    );

    let mut bal = s.get_balances(&u).await.unwrap();
    bal.sort_by_key(|b| b.currency.code());
    assert_eq!(
        bal,
        vec![
            Balance {
                currency: cur("BDT"),
                available: d("500.00"),
                held: d("0.00")
            },
            Balance {
                currency: cur("INR"),
                available: d("1227.70"),
                held: d("0.00")
            },
        ]
    );
}

async fn money_without_a_matching_order_is_still_credited_by_label(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-window");
    let other = b.label("u-other");
    // Payment window: no order of ours.
    let out = s
        .apply_deposit_postback(credit("in:tx:W", &u, "100", "INR", None))
        .await
        .unwrap();
    assert!(
        matches!(out, CreditOutcome::Credited { deposit: DepositEffect::NoDeposit, ref entry } if entry.reference == "in:tx:W")
    );
    // An order id we do not know.
    let ghost = DepositId::generate();
    let out = s
        .apply_deposit_postback(credit("in:tx:G", &u, "10", "INR", Some(&ghost)))
        .await
        .unwrap();
    assert!(matches!(
        out,
        CreditOutcome::Credited {
            deposit: DepositEffect::Untouched {
                reason: UntouchedReason::NotFound,
                ..
            },
            ..
        }
    ));
    // An order of another user: credit the postback's label, leave the order alone.
    let theirs = s
        .create_deposit(new_deposit(&other, Some("10"), "INR"))
        .await
        .unwrap();
    let out = s
        .apply_deposit_postback(credit("in:tx:L", &u, "10", "INR", Some(&theirs.id)))
        .await
        .unwrap();
    assert!(matches!(
        out,
        CreditOutcome::Credited {
            deposit: DepositEffect::Untouched {
                reason: UntouchedReason::LabelMismatch,
                ..
            },
            ..
        }
    ));
    assert_eq!(
        s.get_deposit(&theirs.id).await.unwrap().unwrap().status,
        DepositStatus::Pending
    );
    // A second payment against an order already credited.
    let mine = s
        .create_deposit(new_deposit(&u, Some("10"), "INR"))
        .await
        .unwrap();
    s.apply_deposit_postback(credit("in:tx:M1", &u, "10", "INR", Some(&mine.id)))
        .await
        .unwrap();
    let out = s
        .apply_deposit_postback(credit("in:tx:M2", &u, "10", "INR", Some(&mine.id)))
        .await
        .unwrap();
    assert!(matches!(
        out,
        CreditOutcome::Credited {
            deposit: DepositEffect::Untouched {
                reason: UntouchedReason::Final(DepositStatus::Credited),
                ..
            },
            ..
        }
    ));
    assert_eq!(
        s.get_deposit(&mine.id)
            .await
            .unwrap()
            .unwrap()
            .postback_key
            .as_deref(),
        Some("in:tx:M1")
    );
    let bal = s.get_balances(&u).await.unwrap();
    assert_eq!(bal[0].available, d("140.00"));
    assert!(s.get_balances(&other).await.unwrap().is_empty());
}

async fn a_late_payment_credits_an_expired_deposit(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-late");
    let dep = s
        .create_deposit(new_deposit(&u, Some("300"), "INR"))
        .await
        .unwrap();
    s.update_deposit_status(
        &dep.id,
        DepositStatus::Pending,
        DepositStatus::Expired,
        Default::default(),
    )
    .await
    .unwrap();
    assert!(
        open_deposits(&*s, OffsetDateTime::now_utc() + Duration::hours(1), 10)
            .await
            .is_empty(),
        "expired is terminal for reconciliation"
    );
    let out = s
        .apply_deposit_postback(credit("in:tx:LATE", &u, "300", "INR", Some(&dep.id)))
        .await
        .unwrap();
    assert!(matches!(
        out,
        CreditOutcome::Credited {
            deposit: DepositEffect::Updated {
                from: DepositStatus::Expired,
                to: DepositStatus::Credited,
                ..
            },
            ..
        }
    ));
    assert_eq!(s.get_balances(&u).await.unwrap()[0].available, d("300.00"));
}

async fn a_withdrawal_debits_only_what_is_available(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-wd");
    let nw = new_withdrawal(&u, "10", "INR");
    assert!(matches!(
        s.create_withdrawal_with_debit(nw.clone()).await,
        Err(StoreError::InsufficientFunds)
    ));
    assert_eq!(
        s.get_withdrawal(&nw.id).await.unwrap(),
        None,
        "nothing written"
    );
    assert!(
        s.list_ledger(&u, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    s.apply_deposit_postback(credit("in:tx:F", &u, "100", "INR", None))
        .await
        .unwrap();
    let w = s
        .create_withdrawal_with_debit(new_withdrawal(&u, "60", "INR"))
        .await
        .unwrap();
    assert_eq!(w.status, WithdrawalStatus::Pending);
    assert_eq!(s.get_withdrawal(&w.id).await.unwrap(), Some(w.clone()));
    let bal = &s.get_balances(&u).await.unwrap()[0];
    assert_eq!((bal.available, bal.held), (d("40.00"), d("60.00")));

    assert!(matches!(
        s.create_withdrawal_with_debit(new_withdrawal(&u, "40.01", "INR"))
            .await,
        Err(StoreError::InsufficientFunds)
    ));
    assert!(matches!(
        s.create_withdrawal_with_debit(new_withdrawal(&u, "1", "BDT"))
            .await,
        Err(StoreError::InsufficientFunds)
    ));
    // The same id again (a retry) never debits twice.
    let mut again = new_withdrawal(&u, "1", "INR");
    again.id = w.id.clone();
    assert!(matches!(
        s.create_withdrawal_with_debit(again).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    // Exactly what is left is fine.
    s.create_withdrawal_with_debit(new_withdrawal(&u, "40", "INR"))
        .await
        .unwrap();
    let bal = &s.get_balances(&u).await.unwrap()[0];
    assert_eq!((bal.available, bal.held), (d("0.00"), d("100.00")));
    let ledger = s
        .list_ledger(&u, PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(ledger.len(), 3);
    assert_eq!(
        ledger
            .iter()
            .filter(|e| e.kind == EntryKind::WithdrawalDebit)
            .map(|e| e.amount)
            .sum::<Decimal>(),
        d("-100")
    );
}

async fn finish_and_refund_happen_exactly_once(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-settle");
    s.apply_deposit_postback(credit("in:tx:S", &u, "1000", "INR", None))
        .await
        .unwrap();
    let paid = s
        .create_withdrawal_with_debit(new_withdrawal(&u, "300", "INR"))
        .await
        .unwrap();
    let m = s
        .mark_withdrawal(
            &paid.id,
            WithdrawalStatus::Pending,
            WithdrawalStatus::Submitted,
            Some("ok".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        (m.status, m.message.as_deref()),
        (WithdrawalStatus::Submitted, Some("ok"))
    );
    assert!(matches!(
        s.mark_withdrawal(
            &paid.id,
            WithdrawalStatus::Pending,
            WithdrawalStatus::Unknown,
            None
        )
        .await,
        Err(StoreError::StateConflict { .. })
    ));
    assert!(matches!(
        s.mark_withdrawal(
            &paid.id,
            WithdrawalStatus::Submitted,
            WithdrawalStatus::Unknown,
            None
        )
        .await,
        Err(StoreError::Transition(_))
    ));
    assert!(matches!(
        s.mark_withdrawal(
            &paid.id,
            WithdrawalStatus::Submitted,
            WithdrawalStatus::Processed,
            None
        )
        .await,
        Err(StoreError::Invalid(_))
    ));
    match s.finish_withdrawal(&paid.id).await.unwrap() {
        SettleOutcome::Applied { withdrawal, entry } => {
            assert_eq!(withdrawal.status, WithdrawalStatus::Processed);
            assert_eq!(entry, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.finish_withdrawal(&paid.id).await.unwrap(),
        SettleOutcome::AlreadyApplied(_)
    ));
    assert!(matches!(
        s.refund_withdrawal(&paid.id, "late reject").await,
        Err(StoreError::StateConflict { .. })
    ));
    let bal = &s.get_balances(&u).await.unwrap()[0];
    assert_eq!((bal.available, bal.held), (d("700.00"), d("0.00")));

    let refused = s
        .create_withdrawal_with_debit(new_withdrawal(&u, "200", "INR"))
        .await
        .unwrap();
    s.mark_withdrawal(
        &refused.id,
        WithdrawalStatus::Pending,
        WithdrawalStatus::Unknown,
        None,
    )
    .await
    .unwrap();
    match s
        .refund_withdrawal(&refused.id, "gateway rejected")
        .await
        .unwrap()
    {
        SettleOutcome::Applied {
            withdrawal,
            entry: Some(e),
        } => {
            assert_eq!(withdrawal.status, WithdrawalStatus::Rejected);
            assert_eq!(withdrawal.message.as_deref(), Some("gateway rejected"));
            assert_eq!(
                (e.amount, e.kind),
                (d("200.00"), EntryKind::WithdrawalRefund)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.refund_withdrawal(&refused.id, "again").await.unwrap(),
        SettleOutcome::AlreadyApplied(_)
    ));
    assert!(matches!(
        s.finish_withdrawal(&refused.id).await,
        Err(StoreError::StateConflict { .. })
    ));
    assert_eq!(
        s.get_withdrawal(&refused.id).await.unwrap().unwrap().status,
        WithdrawalStatus::Rejected
    );
    let bal = &s.get_balances(&u).await.unwrap()[0];
    assert_eq!((bal.available, bal.held), (d("700.00"), d("0.00")));
    assert!(matches!(
        s.finish_withdrawal(&WithdrawalId::generate()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        open_withdrawals(&*s, OffsetDateTime::now_utc() + Duration::hours(1), 10)
            .await
            .is_empty()
    );
}

async fn open_work_is_listed_oldest_first_in_pages(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-open");
    let t0 = OffsetDateTime::now_utc() - Duration::hours(2);
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut nd = new_deposit(&u, Some("10"), "INR");
        nd.created_at = t0 + Duration::seconds(i);
        ids.push(s.create_deposit(nd).await.unwrap().id);
    }
    // One terminal, one too recent: neither is listed.
    s.update_deposit_status(
        &ids[1],
        DepositStatus::Pending,
        DepositStatus::Rejected,
        Default::default(),
    )
    .await
    .unwrap();
    let mut recent = new_deposit(&u, Some("10"), "INR");
    recent.created_at = OffsetDateTime::now_utc();
    s.create_deposit(recent).await.unwrap();
    // Still open after a non-terminal move.
    s.update_deposit_status(
        &ids[3],
        DepositStatus::Pending,
        DepositStatus::Possible,
        Default::default(),
    )
    .await
    .unwrap();

    let cutoff = OffsetDateTime::now_utc() - Duration::hours(1);
    // Every shard paged by 2: each open deposit once, each shard oldest first.
    let seen = open_deposits(&*s, cutoff, 2).await;
    assert_eq!(
        seen.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        vec![
            ids[0].clone(),
            ids[2].clone(),
            ids[3].clone(),
            ids[4].clone()
        ]
    );
    let shard = s.open_shards().of(ids[0].as_str());
    assert!(matches!(
        s.list_open_deposits(
            shard,
            cutoff,
            PageRequest {
                limit: 2,
                cursor: Some("@@".into())
            }
        )
        .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.list_open_deposits(shard, cutoff, PageRequest::first(0))
            .await,
        Err(StoreError::Invalid(_))
    ));

    s.apply_deposit_postback(credit("in:tx:O", &u, "100", "INR", None))
        .await
        .unwrap();
    let mut wids = Vec::new();
    for i in 0..3 {
        let mut nw = new_withdrawal(&u, "10", "INR");
        nw.created_at = t0 + Duration::seconds(10 - i);
        wids.push(s.create_withdrawal_with_debit(nw).await.unwrap().id);
    }
    s.finish_withdrawal(&wids[1]).await.unwrap();
    for limit in [1, 10] {
        assert_eq!(
            open_withdrawals(&*s, cutoff, limit)
                .await
                .iter()
                .map(|w| w.id.clone())
                .collect::<Vec<_>>(),
            vec![wids[2].clone(), wids[0].clone()],
            "pages of {limit}"
        );
    }
}

/// Every open deposit before `cutoff`, walking each shard of the open-work index in pages of
/// `limit` (each shard oldest first, each page full but a shard's last), oldest first overall.
async fn open_deposits(s: &dyn Store, cutoff: OffsetDateTime, limit: usize) -> Vec<Deposit> {
    let mut all = Vec::new();
    for shard in s.open_shards().all() {
        let mut cursor = None;
        let mut in_shard: Vec<Deposit> = Vec::new();
        loop {
            let page = s
                .list_open_deposits(shard, cutoff, PageRequest { limit, cursor })
                .await
                .unwrap();
            assert!(page.items.len() <= limit);
            if page.next.is_some() {
                assert_eq!(page.items.len(), limit, "only a last page is short");
            }
            in_shard.extend(page.items);
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        assert!(
            in_shard
                .windows(2)
                .all(|w| w[0].created_at <= w[1].created_at)
        );
        assert!(
            in_shard
                .iter()
                .all(|d| s.open_shards().of(d.id.as_str()) == shard)
        );
        all.extend(in_shard);
    }
    all.sort_by_key(|d| d.created_at);
    all
}

/// [`open_deposits`] for withdrawals.
async fn open_withdrawals(s: &dyn Store, cutoff: OffsetDateTime, limit: usize) -> Vec<Withdrawal> {
    let mut all = Vec::new();
    for shard in s.open_shards().all() {
        let mut cursor = None;
        loop {
            let page = s
                .list_open_withdrawals(shard, cutoff, PageRequest { limit, cursor })
                .await
                .unwrap();
            assert!(page.items.len() <= limit);
            assert!(
                page.items
                    .iter()
                    .all(|w| s.open_shards().of(w.id.as_str()) == shard)
            );
            all.extend(page.items);
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
    }
    all.sort_by_key(|w| w.created_at);
    all
}

/// Every page of `label`'s deposits (of `status`) with `limit`: the ids in order and the pages.
async fn deposit_history(
    s: &dyn Store,
    label: &payments::Label,
    status: Option<DepositStatus>,
    limit: usize,
) -> (Vec<DepositId>, usize) {
    let (mut ids, mut pages, mut cursor) = (Vec::new(), 0, None);
    loop {
        let page = s
            .list_user_deposits(label, status, PageRequest { limit, cursor })
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= limit);
        assert!(page.items.iter().all(|d| d.label == *label));
        assert!(
            page.items
                .iter()
                .all(|d| status.is_none_or(|st| d.status == st))
        );
        ids.extend(page.items.into_iter().map(|d| d.id));
        cursor = page.next;
        if cursor.is_none() {
            return (ids, pages);
        }
    }
}

async fn withdrawal_history(
    s: &dyn Store,
    label: &payments::Label,
    status: Option<WithdrawalStatus>,
    limit: usize,
) -> Vec<WithdrawalId> {
    let (mut ids, mut cursor) = (Vec::new(), None);
    loop {
        let page = s
            .list_user_withdrawals(label, status, PageRequest { limit, cursor })
            .await
            .unwrap();
        assert!(page.items.len() <= limit);
        assert!(page.items.iter().all(|w| w.label == *label));
        assert!(
            page.items
                .iter()
                .all(|w| status.is_none_or(|st| w.status == st))
        );
        ids.extend(page.items.into_iter().map(|w| w.id));
        cursor = page.next;
        if cursor.is_none() {
            return ids;
        }
    }
}

async fn a_users_history_pages_newest_first_by_status(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-hist");
    let other = b.label("u-hist-other");
    let t0 = OffsetDateTime::now_utc() - Duration::hours(3);
    // Six deposits ten seconds apart, and another user's at the same times.
    let mut deps = Vec::new();
    for i in 0..6 {
        let mut nd = new_deposit(&u, Some("10"), "INR");
        nd.created_at = t0 + Duration::seconds(i * 10);
        deps.push(s.create_deposit(nd).await.unwrap().id);
        let mut theirs = new_deposit(&other, Some("10"), "INR");
        theirs.created_at = t0 + Duration::seconds(i * 10);
        s.create_deposit(theirs).await.unwrap();
    }
    for (i, to) in [(1, DepositStatus::Rejected), (3, DepositStatus::Expired)] {
        s.update_deposit_status(&deps[i], DepositStatus::Pending, to, Default::default())
            .await
            .unwrap();
    }
    s.apply_deposit_postback(credit("in:tx:H4", &u, "10", "INR", Some(&deps[4])))
        .await
        .unwrap();
    // Withdrawals between the deposits (and their ledger entries) are the other list.
    let mut wds = Vec::new();
    for i in 0..3 {
        let mut nw = new_withdrawal(&u, "1", "INR");
        nw.created_at = t0 + Duration::seconds(i * 10 + 5);
        wds.push(s.create_withdrawal_with_debit(nw).await.unwrap().id);
    }
    s.refund_withdrawal(&wds[1], "refused").await.unwrap();

    // Newest first, every status; any page size walks them all once, pages full but the last.
    let newest_first: Vec<DepositId> = deps.iter().rev().cloned().collect();
    for (limit, pages) in [(1, 6), (2, 3), (4, 2), (6, 1), (100, 1)] {
        assert_eq!(
            deposit_history(&*s, &u, None, limit).await,
            (newest_first.clone(), pages),
            "limit {limit}"
        );
    }
    // By status: pending, rejected, expired and credited alike.
    let by = |idx: &[usize]| idx.iter().map(|&i| deps[i].clone()).collect::<Vec<_>>();
    for (status, want) in [
        (DepositStatus::Pending, by(&[5, 2, 0])),
        (DepositStatus::Rejected, by(&[1])),
        (DepositStatus::Expired, by(&[3])),
        (DepositStatus::Credited, by(&[4])),
        (DepositStatus::Processing, by(&[])),
    ] {
        for limit in [1, 2, 10] {
            assert_eq!(
                deposit_history(&*s, &u, Some(status), limit).await.0,
                want,
                "{status} limit {limit}"
            );
        }
    }
    let wnewest: Vec<WithdrawalId> = wds.iter().rev().cloned().collect();
    assert_eq!(withdrawal_history(&*s, &u, None, 1).await, wnewest);
    assert_eq!(withdrawal_history(&*s, &u, None, 50).await, wnewest);
    assert_eq!(
        withdrawal_history(&*s, &u, Some(WithdrawalStatus::Pending), 1).await,
        vec![wds[2].clone(), wds[0].clone()]
    );
    assert_eq!(
        withdrawal_history(&*s, &u, Some(WithdrawalStatus::Rejected), 1).await,
        vec![wds[1].clone()]
    );

    // Only one's own: the other user sees their six deposits and no withdrawal.
    let (theirs, _) = deposit_history(&*s, &other, None, 4).await;
    assert_eq!(theirs.len(), 6);
    assert!(theirs.iter().all(|id| !deps.contains(id)));
    assert!(withdrawal_history(&*s, &other, None, 4).await.is_empty());
    let nobody = b.label("u-hist-nobody");
    assert_eq!(deposit_history(&*s, &nobody, None, 5).await, (vec![], 1));

    // A cursor works only for its user, list and filter; bad limits and cursors are refused.
    let first = s
        .list_user_deposits(&u, None, PageRequest::first(2))
        .await
        .unwrap();
    let cursor = first.next.clone().expect("more follow");
    let with = |c: &str| PageRequest {
        limit: 2,
        cursor: Some(c.to_string()),
    };
    let second = s.list_user_deposits(&u, None, with(&cursor)).await.unwrap();
    assert_eq!(second.items[0].id, deps[3]);
    let refused = [
        s.list_user_deposits(&other, None, with(&cursor))
            .await
            .err(),
        s.list_user_deposits(&u, Some(DepositStatus::Pending), with(&cursor))
            .await
            .err(),
        s.list_user_withdrawals(&u, None, with(&cursor)).await.err(),
        s.list_user_deposits(&u, None, with("@@")).await.err(),
        s.list_user_deposits(&u, None, with(&keys::encode_cursor("LEDGER#x")))
            .await
            .err(),
        s.list_user_deposits(&u, None, PageRequest::first(0))
            .await
            .err(),
        s.list_user_withdrawals(&u, None, PageRequest::first(1001))
            .await
            .err(),
    ];
    for (i, e) in refused.into_iter().enumerate() {
        assert!(matches!(e, Some(StoreError::Invalid(_))), "case {i}: {e:?}");
    }
}

async fn the_ledger_pages_newest_first(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-ledger");
    let mut refs = Vec::new();
    for i in 0..5 {
        let key = format!("in:tx:P{i}");
        s.apply_deposit_postback(credit(&key, &u, &format!("{}", i + 1), "INR", None))
            .await
            .unwrap();
        refs.push(key);
    }
    refs.reverse();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .list_ledger(&u, PageRequest { limit: 2, cursor })
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|e| e.reference));
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, refs);
    assert!(
        s.list_ledger(&b.label("u-nobody"), PageRequest::first(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn idempotency_records_first_write_wins(s: Arc<dyn Store>, _b: &Books) {
    let now = OffsetDateTime::now_utc();
    let rec = |hash: &str, response: &str, expires_at| IdempotencyRecord {
        scope: "deposits".into(),
        key: "u1:key-1".into(),
        request_hash: hash.into(),
        response: response.into(),
        created_at: now,
        expires_at,
    };
    let first = rec("h1", r#"{"id":"d1"}"#, now + Duration::hours(24));
    assert_eq!(
        s.put_idempotency(first.clone()).await.unwrap(),
        IdempotencyPut::Stored
    );
    match s
        .put_idempotency(rec("h2", "other", now + Duration::hours(24)))
        .await
        .unwrap()
    {
        IdempotencyPut::Existing(r) => {
            assert_eq!(
                (r.request_hash.as_str(), r.response.as_str()),
                ("h1", r#"{"id":"d1"}"#)
            );
        }
        other => panic!("{other:?}"),
    }
    let got = s
        .get_idempotency("deposits", "u1:key-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.response, first.response);
    assert_eq!(
        got.expires_at.unix_timestamp(),
        first.expires_at.unix_timestamp()
    );
    assert_eq!(
        s.get_idempotency("withdrawals", "u1:key-1").await.unwrap(),
        None,
        "scopes are separate"
    );

    // An expired record no longer counts and may be replaced.
    let old = IdempotencyRecord {
        key: "u1:old".into(),
        ..rec("h1", "r1", now - Duration::seconds(5))
    };
    assert_eq!(
        s.put_idempotency(old.clone()).await.unwrap(),
        IdempotencyPut::Stored
    );
    assert_eq!(s.get_idempotency("deposits", "u1:old").await.unwrap(), None);
    let fresh = IdempotencyRecord {
        key: "u1:old".into(),
        ..rec("h9", "r9", now + Duration::hours(1))
    };
    assert_eq!(
        s.put_idempotency(fresh).await.unwrap(),
        IdempotencyPut::Stored
    );
    assert_eq!(
        s.get_idempotency("deposits", "u1:old")
            .await
            .unwrap()
            .unwrap()
            .request_hash,
        "h9"
    );
}

/// The open-work index is write-sharded: 400 open deposits and withdrawals land in every shard,
/// none in the legacy partition, about evenly, and the shards together list each exactly once.
async fn open_work_spreads_over_every_shard(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-shards");
    let t0 = OffsetDateTime::now_utc() - Duration::hours(2);
    let mut created = Vec::new();
    for i in 0..400 {
        let mut nd = new_deposit(&u, Some("10"), "INR");
        nd.created_at = t0 + Duration::milliseconds(i);
        created.push(s.create_deposit(nd).await.unwrap().id);
    }
    let shards = s.open_shards();
    assert_eq!(shards.count(), 8, "testkit stores use the default");
    let cutoff = OffsetDateTime::now_utc() - Duration::hours(1);
    let mut per_shard = std::collections::BTreeMap::new();
    for shard in shards.all() {
        let page = s
            .list_open_deposits(shard, cutoff, PageRequest::first(1000))
            .await
            .unwrap();
        per_shard.insert(shard, page.items.len());
    }
    assert_eq!(per_shard[&payments::store::keys::OpenShard::Legacy], 0);
    for (shard, n) in &per_shard {
        if *shard != payments::store::keys::OpenShard::Legacy {
            assert!((25..=75).contains(n), "{per_shard:?}");
        }
    }
    let listed = open_deposits(&*s, cutoff, 7).await;
    assert_eq!(
        listed.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        created
    );
}

async fn one_read_finds_the_orders_the_record_and_the_unbooked_entry(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-reads");
    let d1 = s
        .create_deposit(new_deposit(&u, Some("10"), "INR"))
        .await
        .unwrap();
    let missing = DepositId::generate();
    let none = s.read_for_credit(&[], "in:tx:R-none").await.unwrap();
    assert_eq!(none, CreditReads::default());
    let reads = s
        .read_for_credit(&[missing.clone(), d1.id.clone()], "in:tx:R-1")
        .await
        .unwrap();
    assert_eq!(reads.deposits, vec![d1.clone()]);
    assert!(!reads.booked && reads.unbooked.is_none());
    s.apply_deposit_postback(credit("in:tx:R-1", &u, "10", "INR", Some(&d1.id)))
        .await
        .unwrap();
    assert!(
        s.record_unbooked(unbooked("in:tx:R-2", OffsetDateTime::now_utc()))
            .await
            .unwrap()
    );
    let reads = s
        .read_for_credit(std::slice::from_ref(&d1.id), "in:tx:R-1")
        .await
        .unwrap();
    assert!(reads.booked, "the credited payment's record");
    assert_eq!(reads.deposits[0].status, DepositStatus::Credited);
    let reads = s.read_for_credit(&[], "in:tx:R-2").await.unwrap();
    assert!(!reads.booked);
    assert_eq!(reads.unbooked.map(|u| u.key), Some("in:tx:R-2".to_string()));
    assert!(matches!(
        s.read_for_credit(&[], "").await,
        Err(StoreError::Invalid(_))
    ));
}

async fn payout_switches_keep_their_limits_per_currency(s: Arc<dyn Store>, _b: &Books) {
    use std::collections::BTreeMap;
    assert_eq!(s.get_payout_switch("imps").await.unwrap(), None);
    let limit = |min: &str, max: &str| PayoutLimit {
        min: d(min),
        max: d(max),
    };
    let switch = |system: &str, enabled, limits: Vec<(&str, PayoutLimit)>| PayoutSwitch {
        payment_system: system.into(),
        enabled,
        limits: limits
            .into_iter()
            .map(|(c, l)| (c.to_string(), l))
            .collect::<BTreeMap<_, _>>(),
        updated_at: OffsetDateTime::UNIX_EPOCH,
    };
    let before = OffsetDateTime::now_utc() - Duration::seconds(5);
    let stored = s
        .put_payout_switch(switch(
            "imps",
            true,
            vec![("INR", limit("100", "200000.50"))],
        ))
        .await
        .unwrap();
    assert!(stored.updated_at > before, "stamped by the store");
    assert_eq!(s.get_payout_switch("imps").await.unwrap(), Some(stored));
    s.put_payout_switch(switch("bkash", false, vec![]))
        .await
        .unwrap();
    // A second put replaces the whole switch (limits removed).
    s.put_payout_switch(switch("imps", false, vec![]))
        .await
        .unwrap();
    let all = s.list_payout_switches().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|p| (p.payment_system.as_str(), p.enabled, p.limits.len()))
            .collect::<Vec<_>>(),
        vec![("bkash", false, 0), ("imps", false, 0)]
    );
    // Nothing invalid is stored: an unknown currency, too many decimals, min above max, zero.
    for bad in [
        vec![("XXX", limit("1", "2"))],
        vec![("INR", limit("1.001", "2"))],
        vec![("INR", limit("5", "2"))],
        vec![("INR", limit("0", "2"))],
    ] {
        let e = s.put_payout_switch(switch("imps", true, bad)).await;
        assert!(matches!(e, Err(StoreError::Invalid(_))), "{e:?}");
    }
    assert!(!s.get_payout_switch("imps").await.unwrap().unwrap().enabled);
    // Deposit method switches are apart.
    assert!(s.list_method_switches().await.unwrap().is_empty());
}

async fn method_switches_and_caches(s: Arc<dyn Store>, _b: &Books) {
    assert_eq!(s.get_method_enabled("upi_l").await.unwrap(), None);
    s.set_method_enabled("upi_l", false).await.unwrap();
    s.set_method_enabled("upi_ib", true).await.unwrap();
    assert_eq!(s.get_method_enabled("upi_l").await.unwrap(), Some(false));
    s.set_method_enabled("upi_l", true).await.unwrap();
    assert_eq!(s.get_method_enabled("upi_l").await.unwrap(), Some(true));
    let all = s.list_method_switches().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|m| (m.wallet_type.as_str(), m.enabled))
            .collect::<Vec<_>>(),
        vec![("upi_ib", true), ("upi_l", true)]
    );
    assert!(matches!(
        s.set_method_enabled(" upi_l", true).await,
        Err(StoreError::Invalid(_))
    ));

    let now = OffsetDateTime::now_utc();
    assert_eq!(s.get_cache("HASHURL").await.unwrap(), None);
    s.put_cache(
        "HASHURL",
        r#"{"success_url":"abc"}"#,
        now + Duration::hours(23),
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_cache("HASHURL").await.unwrap().as_deref(),
        Some(r#"{"success_url":"abc"}"#)
    );
    s.put_cache("HASHURL", "v2", now + Duration::hours(23))
        .await
        .unwrap();
    assert_eq!(s.get_cache("HASHURL").await.unwrap().as_deref(), Some("v2"));
    s.put_cache("STALE", "old", now - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        s.get_cache("STALE").await.unwrap(),
        None,
        "expired entries are not served"
    );
}

async fn postback_records_are_kept_once(s: Arc<dyn Store>, b: &Books) {
    let rec = PostbackRecord {
        dedupe_key: "out:w1:1".into(),
        kind: PostbackKind::Withdrawal,
        label: Some(b.label("u-pb")),
        raw_body: r#"{"direction":"outgoing","withdrawal_status":1}"#.into(),
        received_at: OffsetDateTime::now_utc(),
    };
    assert!(s.record_postback(rec.clone()).await.unwrap());
    assert!(
        !s.record_postback(PostbackRecord {
            raw_body: "changed".into(),
            ..rec.clone()
        })
        .await
        .unwrap()
    );
    let got = s.get_postback("out:w1:1").await.unwrap().unwrap();
    assert_eq!(got.raw_body, rec.raw_body);
    assert_eq!(got.label, rec.label);
    assert_eq!(
        got.received_at.unix_timestamp(),
        rec.received_at.unix_timestamp()
    );
    assert_eq!(s.get_postback("out:w1:5").await.unwrap(), None);
}

fn unbooked(key: &str, at: OffsetDateTime) -> UnbookedPostback {
    UnbookedPostback {
        key: key.into(),
        reason: "amount_precision".into(),
        detail: "100.005 has more decimals than INR allows (2)".into(),
        received_at: at,
        amount: Some("100.005".into()),
        currency: Some("INR".into()),
        label: Some("u-unbooked".into()),
        transaction_id: Some(key.trim_start_matches("in:tx:").into()),
        deposit_id: None,
        raw_body: r#"{"access_key":"<redacted>"}"#.into(),
        state: UnbookedState::Open,
    }
}

async fn unbooked_postbacks_are_kept_listed_and_closed_once(s: Arc<dyn Store>, b: &Books) {
    // Whole seconds: the stored times are compared as they come back.
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let t0 = OffsetDateTime::from_unix_timestamp(now - 3 * 3600).unwrap();
    let first = unbooked("in:tx:u1", t0);
    assert!(s.record_unbooked(first.clone()).await.unwrap());
    // A repeat delivery keeps the first record.
    assert!(
        !s.record_unbooked(UnbookedPostback {
            reason: "other".into(),
            ..first.clone()
        })
        .await
        .unwrap()
    );
    for (i, key) in ["in:tx:u2", "in:tx:u3"].iter().enumerate() {
        let at = t0 + Duration::minutes(10 * (i as i64 + 1));
        assert!(s.record_unbooked(unbooked(key, at)).await.unwrap());
    }
    let got = s.get_unbooked("in:tx:u1").await.unwrap().unwrap();
    assert_eq!(got.reason, "amount_precision");
    assert_eq!(got.amount.as_deref(), Some("100.005"));
    assert_eq!(got.state, UnbookedState::Open);
    assert_eq!(s.get_unbooked("in:tx:none").await.unwrap(), None);

    // Open ones, oldest first, in pages.
    let page = s
        .list_unbooked(&PageRequest {
            limit: 2,
            cursor: None,
        })
        .await
        .unwrap();
    let keys: Vec<_> = page.items.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["in:tx:u1", "in:tx:u2"]);
    let rest = s
        .list_unbooked(&PageRequest {
            limit: 2,
            cursor: page.next.clone(),
        })
        .await
        .unwrap();
    let keys: Vec<_> = rest.items.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["in:tx:u3"]);

    let label = b.label("u-unbooked");
    let money = payments::Money::new(
        Decimal::new(10000, 2),
        payments::Currency::parse("INR").unwrap(),
    )
    .unwrap();
    let resolution = Resolution {
        outcome: ResolutionOutcome::Credited {
            label: label.clone(),
            money,
        },
        by: "arn:aws:iam::123456789012:user/ops".into(),
        note: "paid 100.00 after checking with the gateway".into(),
        at: t0 + Duration::hours(1),
    };
    let closed = s
        .close_unbooked("in:tx:u1", resolution.clone())
        .await
        .unwrap();
    assert_eq!(closed.state, UnbookedState::Closed(resolution.clone()));
    let got = s.get_unbooked("in:tx:u1").await.unwrap().unwrap();
    let UnbookedState::Closed(r) = &got.state else {
        panic!("still open: {got:?}")
    };
    assert_eq!(r.outcome, resolution.outcome);
    assert_eq!(r.by, resolution.by);
    assert_eq!(r.note, resolution.note);
    assert_eq!(r.at.unix_timestamp(), resolution.at.unix_timestamp());
    // Closed once: a second close changes nothing.
    let again = Resolution {
        outcome: ResolutionOutcome::Dismissed,
        ..resolution.clone()
    };
    assert!(matches!(
        s.close_unbooked("in:tx:u1", again).await,
        Err(StoreError::StateConflict { .. })
    ));
    assert!(matches!(
        s.close_unbooked("in:tx:none", resolution).await,
        Err(StoreError::NotFound { .. })
    ));
    // A closed one leaves the open list.
    let open = s
        .list_unbooked(&PageRequest {
            limit: 10,
            cursor: None,
        })
        .await
        .unwrap();
    let keys: Vec<_> = open.items.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["in:tx:u2", "in:tx:u3"]);
}

async fn amounts_stay_exact(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-exact");
    for i in 0..10 {
        s.apply_deposit_postback(credit(&format!("in:tx:C{i}"), &u, "0.10", "INR", None))
            .await
            .unwrap();
    }
    s.apply_deposit_postback(credit("in:tx:BIG", &u, "12345678901234.56", "INR", None))
        .await
        .unwrap();
    s.create_withdrawal_with_debit(new_withdrawal(&u, "0.01", "INR"))
        .await
        .unwrap();
    let bal = &s.get_balances(&u).await.unwrap()[0];
    assert_eq!(bal.available.to_string(), "12345678901235.55");
    assert_eq!(bal.held.to_string(), "0.01");
}

async fn concurrent_duplicate_postbacks_credit_once(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-storm");
    let dep = s
        .create_deposit(new_deposit(&u, Some("250"), "INR"))
        .await
        .unwrap();
    let c = credit("in:tx:STORM", &u, "250", "INR", Some(&dep.id));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (s, c) = (s.clone(), c.clone());
            tokio::spawn(async move { s.apply_deposit_postback(c).await })
        })
        .collect();
    let mut credited = 0;
    for t in futures::future::join_all(tasks).await {
        match t.unwrap().unwrap() {
            CreditOutcome::Credited { .. } => credited += 1,
            CreditOutcome::AlreadyApplied => {}
        }
    }
    assert_eq!(credited, 1);
    assert_eq!(s.get_balances(&u).await.unwrap()[0].available, d("250.00"));
    assert_eq!(
        s.get_deposit(&dep.id).await.unwrap().unwrap().status,
        DepositStatus::Credited
    );
    assert_eq!(
        s.list_ledger(&u, PageRequest::first(100))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

async fn concurrent_withdrawals_never_overdraw(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-rush");
    s.apply_deposit_postback(credit("in:tx:RUSH", &u, "100", "INR", None))
        .await
        .unwrap();
    // A watcher reads the balance throughout: it must never see it below zero.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (s, u, stop) = (s.clone(), u.clone(), stop.clone());
        tokio::spawn(async move {
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                for bal in s.get_balances(&u).await.unwrap() {
                    assert!(
                        bal.available >= Decimal::ZERO,
                        "balance went negative: {bal:?}"
                    );
                }
                reads += 1;
                tokio::task::yield_now().await;
            }
            reads
        })
    };
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (s, w) = (s.clone(), new_withdrawal(&u, "10", "INR"));
            tokio::spawn(async move { s.create_withdrawal_with_debit(w).await })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for t in futures::future::join_all(tasks).await {
        match t.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::InsufficientFunds) => refused += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    assert!(watcher.await.unwrap() > 0);
    assert_eq!((ok, refused), (10, 40));
    let bal = &s.get_balances(&u).await.unwrap()[0];
    assert_eq!((bal.available, bal.held), (d("0.00"), d("100.00")));
}

async fn concurrent_settlements_apply_once(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-race");
    s.apply_deposit_postback(credit("in:tx:RACE", &u, "50", "INR", None))
        .await
        .unwrap();
    let w = s
        .create_withdrawal_with_debit(new_withdrawal(&u, "50", "INR"))
        .await
        .unwrap();
    // Late postbacks and reconciliation race: 20 refunds and 20 finishes of one withdrawal.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (s, id) = (s.clone(), w.id.clone());
            tokio::spawn(async move {
                if i % 2 == 0 {
                    s.refund_withdrawal(&id, "rejected").await
                } else {
                    s.finish_withdrawal(&id).await
                }
            })
        })
        .collect();
    let mut applied = Vec::new();
    for t in futures::future::join_all(tasks).await {
        match t.unwrap() {
            Ok(SettleOutcome::Applied { withdrawal, .. }) => applied.push(withdrawal.status),
            Ok(SettleOutcome::AlreadyApplied(_)) | Err(StoreError::StateConflict { .. }) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(applied.len(), 1, "exactly one settlement wins: {applied:?}");
    let final_status = s.get_withdrawal(&w.id).await.unwrap().unwrap().status;
    assert_eq!(final_status, applied[0]);
    let bal = &s.get_balances(&u).await.unwrap()[0];
    let expected = if final_status == WithdrawalStatus::Rejected {
        d("50.00")
    } else {
        d("0.00")
    };
    assert_eq!((bal.available, bal.held), (expected, d("0.00")));
}

async fn invalid_inputs_change_nothing(s: Arc<dyn Store>, b: &Books) {
    let u = b.label("u-invalid");
    let mut c = credit("", &u, "10", "INR", None);
    assert!(matches!(
        s.apply_deposit_postback(c.clone()).await,
        Err(StoreError::Invalid(_))
    ));
    c.dedupe_key = "in:tx:BIG".into();
    c.raw_body = "x".repeat(MAX_RAW_BODY + 1);
    assert!(matches!(
        s.apply_deposit_postback(c).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(s.get_balances(&u).await.unwrap().is_empty());
    assert_eq!(s.get_postback("in:tx:BIG").await.unwrap(), None);
    let now = OffsetDateTime::now_utc();
    let rec = IdempotencyRecord {
        scope: "deposits".into(),
        key: String::new(),
        request_hash: "h".into(),
        response: "r".into(),
        created_at: now,
        expires_at: now + Duration::hours(1),
    };
    assert!(matches!(
        s.put_idempotency(rec).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.put_cache("", "v", now + Duration::hours(1)).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.list_ledger(&u, PageRequest::first(0)).await,
        Err(StoreError::Invalid(_))
    ));
}

async fn withdrawals_held_for_a_person_are_flagged_listed_and_closed_once(
    s: Arc<dyn Store>,
    b: &Books,
) {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let t0 = OffsetDateTime::from_unix_timestamp(now - 3 * 3600).unwrap();
    let label = b.label("u-attention");
    let flag = |id: &str, obs: &str, at: OffsetDateTime| AttentionFlag {
        withdrawal_id: WithdrawalId::parse(id).unwrap(),
        label: label.clone(),
        reason: "resend_refused".into(),
        detail: "the re-send was refused".into(),
        observation: obs.into(),
        at,
    };
    let first = s
        .flag_withdrawal(flag("wa1", "Postback not found", t0))
        .await
        .unwrap();
    assert_eq!(first.state, AttentionState::Open);
    assert_eq!(first.since, t0);
    s.flag_withdrawal(flag(
        "wa2",
        "Withdrawal with this ID not found",
        t0 + Duration::minutes(5),
    ))
    .await
    .unwrap();
    // A second flag keeps `since` and adds the new answer; a repeat answer is kept once.
    let again = s
        .flag_withdrawal(flag(
            "wa1",
            "refused: Insufficient balance",
            t0 + Duration::minutes(10),
        ))
        .await
        .unwrap();
    let again2 = s
        .flag_withdrawal(flag(
            "wa1",
            "refused: Insufficient balance",
            t0 + Duration::minutes(11),
        ))
        .await
        .unwrap();
    assert_eq!(again2.since, t0);
    assert_eq!(again2.observations.len(), 2, "{:?}", again2.observations);
    assert!(again2.observations[1].ends_with("refused: Insufficient balance"));
    assert!(again2.revision > again.revision);
    let id1 = WithdrawalId::parse("wa1").unwrap();
    assert_eq!(s.get_attention(&id1).await.unwrap(), Some(again2.clone()));

    let page = s
        .list_attention(&PageRequest {
            limit: 1,
            cursor: None,
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].withdrawal_id.as_str(), "wa1");
    let rest = s
        .list_attention(&PageRequest {
            limit: 5,
            cursor: page.next.clone(),
        })
        .await
        .unwrap();
    let ids: Vec<_> = rest
        .items
        .iter()
        .map(|a| a.withdrawal_id.as_str())
        .collect();
    assert_eq!(ids, ["wa2"]);

    let closed_state = AttentionState::Closed {
        outcome: AttentionOutcome::Paid,
        by: "arn:aws:iam::123456789012:user/ops".into(),
        note: "the gateway's support confirmed the payout".into(),
        at: t0 + Duration::hours(1),
    };
    let closed = s.close_attention(&id1, closed_state.clone()).await.unwrap();
    assert_eq!(closed.state, closed_state);
    let twice = s.close_attention(&id1, closed_state.clone()).await;
    assert!(
        matches!(twice, Err(StoreError::StateConflict { .. })),
        "{twice:?}"
    );
    let missing = s
        .close_attention(&WithdrawalId::parse("wa9").unwrap(), closed_state)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    let open: Vec<_> = s
        .list_attention(&PageRequest::first(10))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.withdrawal_id.to_string())
        .collect();
    assert_eq!(open, ["wa2"]);
    // A new contradiction reopens it with a new `since` and the history kept.
    let reopened = s
        .flag_withdrawal(AttentionFlag {
            reason: "contradicted".into(),
            ..flag(
                "wa1",
                "withdrawal_status 5 after processed",
                t0 + Duration::hours(2),
            )
        })
        .await
        .unwrap();
    assert_eq!(reopened.state, AttentionState::Open);
    assert_eq!(reopened.since, t0 + Duration::hours(2));
    assert_eq!(reopened.observations.len(), 3);
}
