//! `admin`: operator routes, IAM-authorized on Lambda (`X-Dev-Admin: 1` on the local server
//! only). Method and payout switches take effect at once (deposits and withdrawals read them
//! on every request).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use service::account::parse_limit;
use service::admin::{
    self, GatewayBalances, MethodSwitchView, MethodSwitches, ReconciliationReport, SetMethod,
};
use service::http::{Admin, ApiJson, api, query_param};
use service::postbacks::review::{self, Resolve, UnbookedList, UnbookedView};
use service::withdrawals::attention::{self, AttentionList, AttentionView, ResolveWithdrawal};
use service::withdrawals::methods::{
    self as payouts, PayoutSwitchView, PayoutSwitches, SetPayoutSwitch,
};
use service::{ApiError, Deps};

/// Every route this function serves (method, path), for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/admin/payment-methods"),
    ("PUT", "/v1/admin/payment-methods/{wallet_type}"),
    ("GET", "/v1/admin/payout-methods"),
    ("PUT", "/v1/admin/payout-methods/{payment_system}"),
    ("GET", "/v1/admin/gateway-balance"),
    ("GET", "/v1/admin/reconciliation"),
    ("GET", "/v1/admin/postbacks/unbooked"),
    ("POST", "/v1/admin/postbacks/unbooked/{key}/resolve"),
    ("GET", "/v1/admin/withdrawals/attention"),
    ("POST", "/v1/admin/withdrawals/{id}/resolve"),
];

pub fn router(deps: Arc<Deps>) -> Router {
    let routes = Router::new()
        .route("/v1/admin/payment-methods", get(list_methods))
        .route("/v1/admin/payment-methods/{wallet_type}", put(set_method))
        .route("/v1/admin/payout-methods", get(list_payouts))
        .route("/v1/admin/payout-methods/{payment_system}", put(set_payout))
        .route("/v1/admin/gateway-balance", get(gateway_balance))
        .route("/v1/admin/reconciliation", get(reconciliation))
        .route("/v1/admin/postbacks/unbooked", get(list_unbooked))
        .route(
            "/v1/admin/postbacks/unbooked/{key}/resolve",
            post(resolve_unbooked),
        )
        .route("/v1/admin/withdrawals/attention", get(list_attention))
        .route(
            "/v1/admin/withdrawals/{id}/resolve",
            post(resolve_withdrawal),
        );
    api(routes, deps)
}

async fn list_methods(
    State(deps): State<Arc<Deps>>,
    _admin: Admin,
) -> Result<Json<MethodSwitches>, ApiError> {
    Ok(Json(admin::payment_methods(&deps).await?))
}

async fn set_method(
    State(deps): State<Arc<Deps>>,
    who: Admin,
    Path(wallet_type): Path<String>,
    ApiJson(body): ApiJson<SetMethod>,
) -> Result<Json<MethodSwitchView>, ApiError> {
    Ok(Json(
        admin::set_payment_method(&deps, &who, &wallet_type, body).await?,
    ))
}

async fn list_payouts(
    State(deps): State<Arc<Deps>>,
    _admin: Admin,
) -> Result<Json<PayoutSwitches>, ApiError> {
    Ok(Json(payouts::switches(&deps).await?))
}

async fn set_payout(
    State(deps): State<Arc<Deps>>,
    who: Admin,
    Path(payment_system): Path<String>,
    ApiJson(body): ApiJson<SetPayoutSwitch>,
) -> Result<Json<PayoutSwitchView>, ApiError> {
    Ok(Json(
        payouts::set(&deps, &who, &payment_system, body).await?,
    ))
}

async fn gateway_balance(
    State(deps): State<Arc<Deps>>,
    _admin: Admin,
) -> Result<Json<GatewayBalances>, ApiError> {
    Ok(Json(admin::gateway_balance(&deps).await?))
}

async fn reconciliation(
    State(deps): State<Arc<Deps>>,
    _admin: Admin,
) -> Result<Json<ReconciliationReport>, ApiError> {
    Ok(Json(admin::reconciliation(&deps).await?))
}

async fn list_unbooked(
    State(deps): State<Arc<Deps>>,
    _admin: Admin,
    RawQuery(query): RawQuery,
) -> Result<Json<UnbookedList>, ApiError> {
    let limit = parse_limit(query_param(query.as_deref(), "limit").as_deref())?;
    let cursor = query_param(query.as_deref(), "cursor");
    Ok(Json(review::list(&deps, limit, cursor).await?))
}

async fn resolve_unbooked(
    State(deps): State<Arc<Deps>>,
    who: Admin,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<Resolve>,
) -> Result<Json<UnbookedView>, ApiError> {
    Ok(Json(review::resolve(&deps, &who, &key, body).await?))
}

async fn list_attention(
    State(deps): State<Arc<Deps>>,
    _admin: Admin,
    RawQuery(query): RawQuery,
) -> Result<Json<AttentionList>, ApiError> {
    let limit = parse_limit(query_param(query.as_deref(), "limit").as_deref())?;
    let cursor = query_param(query.as_deref(), "cursor");
    Ok(Json(attention::list(&deps, limit, cursor).await?))
}

async fn resolve_withdrawal(
    State(deps): State<Arc<Deps>>,
    who: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResolveWithdrawal>,
) -> Result<Json<AttentionView>, ApiError> {
    Ok(Json(attention::resolve(&deps, &who, &id, body).await?))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::Extension;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use payments::store::memory::MemoryStore;
    use payments::store::prelude::*;

    use service::http::DevIdentity;

    use tower::ServiceExt;

    use super::*;

    fn deps(store: Arc<MemoryStore>) -> Arc<Deps> {
        Arc::new(testkit::gateway::offline_deps().store(store).build())
    }

    async fn call(
        store: Arc<MemoryStore>,
        req: Request<Body>,
        admin: bool,
    ) -> (StatusCode, serde_json::Value) {
        let app = router(deps(store)).layer(Extension(DevIdentity {
            user: Some("u1".into()),
            admin,
        }));
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    fn put_switch(enabled: bool) -> Request<Body> {
        Request::put("/v1/admin/payment-methods/upi_l")
            .header("content-type", "application/json")
            .body(Body::from(format!(r#"{{"enabled":{enabled}}}"#)))
            .unwrap()
    }

    #[tokio::test]
    async fn only_admins_get_in() {
        let store = Arc::new(MemoryStore::new());
        for req in [
            Request::get("/v1/admin/payment-methods")
                .body(Body::empty())
                .unwrap(),
            Request::get("/v1/admin/reconciliation")
                .body(Body::empty())
                .unwrap(),
            Request::get("/v1/admin/gateway-balance")
                .body(Body::empty())
                .unwrap(),
            put_switch(false),
        ] {
            let (s, _) = call(store.clone(), req, false).await;
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
        assert_eq!(store.get_method_enabled("upi_l").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_switch_is_stored_and_listed() {
        let store = Arc::new(MemoryStore::new());
        let (s, b) = call(store.clone(), put_switch(false), true).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["enabled"], false);
        assert_eq!(
            store.get_method_enabled("upi_l").await.unwrap(),
            Some(false)
        );
        let req = Request::get("/v1/admin/payment-methods")
            .body(Body::empty())
            .unwrap();
        let (_, b) = call(store.clone(), req, true).await;
        assert_eq!(b["methods"][0]["wallet_type"], "upi_l");
        let (s, _) = call(store.clone(), put_switch(true), true).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(store.get_method_enabled("upi_l").await.unwrap(), Some(true));
        let bad = Request::put("/v1/admin/payment-methods/upi_l")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"enabled":"yes"}"#))
            .unwrap();
        let (s, _) = call(store.clone(), bad, true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn the_report_works_on_an_empty_store() {
        let store = Arc::new(MemoryStore::new());
        let req = Request::get("/v1/admin/reconciliation")
            .body(Body::empty())
            .unwrap();
        let (s, b) = call(store, req, true).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["last_run"], serde_json::Value::Null);
        assert_eq!(b["open_deposits"]["total"], 0);
    }
}
