//! `withdrawal-submit`: the payout methods on offer (`GET /v1/payout-methods`),
//! `POST /v1/withdrawals` (header `Idempotency-Key` required) and `GET /v1/withdrawals/{id}`
//! (owner only). Handlers parse, authorize, call one use case.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use service::http::{ApiJson, IdempotencyKey, Principal, api, query_param};
use service::withdrawals::methods::{self, PayoutMethodList};
use service::withdrawals::{self, WithdrawalBody, WithdrawalView};
use service::{ApiError, Deps};

/// Every route this function serves (method, path), for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/payout-methods"),
    ("POST", "/v1/withdrawals"),
    ("GET", "/v1/withdrawals/{id}"),
];

pub fn router(deps: Arc<Deps>) -> Router {
    let routes = Router::new()
        .route("/v1/payout-methods", get(payout_methods))
        .route("/v1/withdrawals", post(submit))
        .route("/v1/withdrawals/{id}", get(read));
    api(routes, deps)
}

async fn payout_methods(
    State(deps): State<Arc<Deps>>,
    Principal(_): Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<PayoutMethodList>, ApiError> {
    let currency = query_param(query.as_deref(), "currency");
    Ok(Json(methods::list(&deps, currency.as_deref()).await?))
}

async fn submit(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<WithdrawalBody>,
) -> Result<Response, ApiError> {
    let answer = withdrawals::submit(&deps, &label, &key, body).await?;
    let mut response = (answer.status_code(), Json(&answer.body)).into_response();
    if answer.replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

async fn read(
    State(deps): State<Arc<Deps>>,
    Principal(label): Principal,
    Path(id): Path<String>,
) -> Result<Json<WithdrawalView>, ApiError> {
    Ok(Json(withdrawals::get(&deps, &label, &id).await?))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::Extension;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};

    use service::http::DevIdentity;

    use tower::ServiceExt;

    use super::*;

    fn deps() -> Arc<Deps> {
        // The gateway is never reached by these requests (refused before any use case).
        Arc::new(testkit::gateway::offline_deps().build())
    }

    async fn call(req: Request<Body>, user: Option<&str>) -> (StatusCode, serde_json::Value) {
        let app = router(deps()).layer(Extension(DevIdentity {
            user: user.map(str::to_string),
            admin: false,
        }));
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    fn post(body: &str, key: Option<&str>) -> Request<Body> {
        let mut b = Request::post("/v1/withdrawals").header("content-type", "application/json");
        if let Some(k) = key {
            b = b.header("idempotency-key", k);
        }
        b.body(Body::from(body.to_string())).unwrap()
    }

    const BODY: &str =
        r#"{"payment_system":"paytm","amount":100,"currency":"INR","account_number":"9876543210"}"#;

    #[tokio::test]
    async fn the_key_and_the_user_are_required() {
        let (s, b) = call(post(BODY, None), Some("u1")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(b["error"]["code"], "missing_header");
        let (s, _) = call(post(BODY, Some("k")), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn bad_fields_are_400_and_no_money_is_422() {
        let (s, b) = call(
            post(
                r#"{"payment_system":"imps","amount":100,"currency":"INR"}"#,
                Some("k"),
            ),
            Some("u1"),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(b["error"]["fields"]["bank_code"].is_string(), "{b}");
        let (s, b) = call(post(BODY, Some("k")), Some("u1")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["code"], "insufficient_funds");
    }

    #[tokio::test]
    async fn others_withdrawals_are_not_found() {
        let req = Request::get("/v1/withdrawals/w0123")
            .body(Body::empty())
            .unwrap();
        let (s, _) = call(req, Some("u1")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
