//! Serving a mock: a router on 127.0.0.1 on a free port.

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A router served on 127.0.0.1 on a free port, until the handle is aborted or dropped with the runtime.
pub(crate) async fn serve(router: Router) -> (SocketAddr, JoinHandle<()>) {
    let (listener, addr) = bind().await;
    (addr, serve_on(listener, router))
}

/// A listener on 127.0.0.1 on a free port: for a server whose router needs to know its address first.
pub(crate) async fn bind() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, addr)
}

/// Serve `router` on a listener bound with [`bind`].
pub(crate) fn serve_on(listener: TcpListener, router: Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}
