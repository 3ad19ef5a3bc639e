//! What a browser page needs from the API, on the local stack: CORS preflights answered by
//! the shared rules for the allowed origins only, every error naming its request id (the same
//! as the `X-Request-Id` header, fresh per request), and the checkout page with its local
//! configuration at `/`.

use reqwest::{Method, StatusCode};
use testkit::Harness;

const PAGE_ORIGIN: &str = "http://127.0.0.1:5173";

async fn preflight(h: &Harness, origin: &str, headers: &str) -> reqwest::Response {
    h.http
        .request(Method::OPTIONS, h.api("/v1/deposits"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn preflights_admit_the_allowed_origins_with_the_shared_rules() {
    let h = Harness::start().await;
    let ok = preflight(&h, PAGE_ORIGIN, "content-type,idempotency-key,x-dev-user").await;
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(header(&ok, "access-control-allow-origin"), PAGE_ORIGIN);
    let allowed = header(&ok, "access-control-allow-headers").to_ascii_lowercase();
    for h in [
        "authorization",
        "content-type",
        "idempotency-key",
        "x-dev-user",
    ] {
        assert!(allowed.contains(h), "{h} in {allowed}");
    }
    assert!(header(&ok, "access-control-allow-methods").contains("POST"));
    assert_eq!(header(&ok, "access-control-max-age"), "600");

    // Another origin gets no grant: the browser refuses the call.
    let other = preflight(&h, "https://evil.example", "content-type").await;
    assert_eq!(header(&other, "access-control-allow-origin"), "");

    // A real call from the page's origin may read the replay and request-id headers.
    let r = h
        .http
        .get(h.api("/v1/balance"))
        .header("origin", PAGE_ORIGIN)
        .header("x-dev-user", "cors-user")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "access-control-allow-origin"), PAGE_ORIGIN);
    let exposed = header(&r, "access-control-expose-headers").to_ascii_lowercase();
    assert!(
        exposed.contains("idempotent-replayed") && exposed.contains("x-request-id"),
        "{exposed}"
    );
}

#[tokio::test]
async fn every_error_names_its_request_id() {
    let h = Harness::start().await;
    let mut seen = Vec::new();
    for (path, user, status) in [
        ("/v1/balance", None, StatusCode::UNAUTHORIZED),
        ("/v1/deposits/nope", Some("rid-user"), StatusCode::NOT_FOUND),
        ("/v1/no-such-route", Some("rid-user"), StatusCode::NOT_FOUND),
        (
            "/v1/ledger?limit=0",
            Some("rid-user"),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let mut req = h.http.get(h.api(path));
        if let Some(u) = user {
            req = req.header("x-dev-user", u);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        let id = header(&r, "x-request-id").to_string();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["request_id"], id.as_str(), "{path}: {body}");
        assert_eq!(id.len(), 36, "a UUID: {id}");
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "one id per request");
    // A caller cannot choose the id (it would land in our logs as someone else's).
    let r = h
        .http
        .get(h.api("/v1/balance"))
        .header("x-request-id", "forged")
        .send()
        .await
        .unwrap();
    assert_ne!(header(&r, "x-request-id"), "forged");
}

#[tokio::test]
async fn the_checkout_page_is_served_with_its_local_configuration() {
    let h = Harness::start().await;
    let (status, config) = h.anonymous().get("/config.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config["mode"], "local");
    assert_eq!(config["apiBase"], "");
    assert!(
        config["sandboxBase"]
            .as_str()
            .is_some_and(|s| s.starts_with("http://127.0.0.1:")),
        "{config}"
    );
    for (path, content_type, needle) in [
        ("/", "text/html", "app.js"),
        ("/app.js", "text/javascript", "/v1/"),
        ("/app.css", "text/css", "{"),
    ] {
        let (status, ty, bytes) = h.anonymous().get_bytes(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(ty.starts_with(content_type), "{path}: {ty}");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(needle), "{path} lacks {needle:?}");
    }
}
