//! `openapi.yaml` and the routers agree: every route the stack serves is documented, every
//! documented route is served (probed on the app: neither "route not found" nor 405).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use tower::ServiceExt;

/// (METHOD, path) pairs under `paths:` of the document (its own two-space layout).
fn documented() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml"))
        .expect("openapi.yaml at the repository root");
    let mut out = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None::<String>;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = Some(format!("/{}", p.trim_end_matches(':')));
        } else if let (Some(p), Some(m)) = (&path, line.strip_prefix("    ")) {
            let m = m.trim_end_matches(':');
            if ["get", "post", "put", "patch", "delete"].contains(&m) {
                out.insert((m.to_uppercase(), p.clone()));
            }
        }
    }
    out
}

fn served() -> BTreeSet<(String, String)> {
    let mut s: BTreeSet<_> = local::routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    s.insert(("GET".into(), "/healthz".into()));
    s
}

#[test]
fn document_and_routers_list_the_same_routes() {
    let (doc, code) = (documented(), served());
    assert!(doc.len() >= 10, "parsed too few routes: {doc:?}");
    let undocumented: Vec<_> = code.difference(&doc).collect();
    let unserved: Vec<_> = doc.difference(&code).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
}

#[tokio::test]
async fn every_documented_route_is_routed() {
    let stack = local::Stack::start(local::StackConfig::ephemeral(local::StoreChoice::Memory))
        .await
        .unwrap();
    let app = local::app(Arc::clone(&stack.deps));
    for (method, path) in documented() {
        let uri = path.replace("{id}", "d0000");
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri)
            .header("x-dev-user", "probe")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !text.contains("route not found"),
            "{method} {path}: {status} {text}"
        );
    }
    // And the probe does tell an unknown route apart.
    let req = Request::builder()
        .uri("/v1/nope")
        .body(Body::empty())
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("route not found"));
}
