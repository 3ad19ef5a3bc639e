//! Serves a router on an ephemeral loopback port for the life of the test process.

use std::net::SocketAddr;

use axum::Router;

/// Binds `127.0.0.1:0`, serves `app` in the background and returns the address.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}
