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

/// A second server standing in for object storage, bound before the platform that names it in its
/// redirects, under another host name than the platform's (`localhost`, where the platform is `127.0.0.1`).
pub(crate) struct StorageHost {
    listener: TcpListener,
    /// `localhost:PORT`.
    pub host: String,
}

impl StorageHost {
    pub async fn bind() -> Self {
        let (listener, addr) = bind().await;
        StorageHost {
            listener,
            host: format!("localhost:{}", addr.port()),
        }
    }

    /// `http://localhost:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.host)
    }

    /// Serve the storage's router, until the handle is aborted or dropped with the runtime.
    pub fn serve(self, router: Router) -> JoinHandle<()> {
        serve_on(self.listener, router)
    }
}
