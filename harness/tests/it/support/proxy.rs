//! Fault proxies: the reference portal behind a proxy that answers some requests itself, and the settings of
//! a run through one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use cloison_harness::run::RunArgs;
use tempfile::TempDir;

use super::library::url_target;

/// The largest body a proxy reads.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The reference portal, with `token` as its operator token.
pub(crate) async fn portal(token: &str) -> cloison_fixtures::PortalHandle {
    cloison_fixtures::spawn(cloison_fixtures::PortalConfig {
        operator_token: token.into(),
        argon2: cloison_fixtures::Argon2Params::CHEAP,
        ..Default::default()
    })
    .await
    .expect("portal")
}

/// The request's parts and body bytes.
pub(crate) async fn read(request: Request<Body>) -> (Parts, Bytes) {
    let (parts, body) = request.into_parts();
    (parts, body_bytes(body).await)
}

/// A body's bytes (none if it cannot be read).
pub(crate) async fn body_bytes(body: Body) -> Bytes {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default()
}

/// Forward a request to `upstream` and answer what it answered (a bad gateway if it does not).
pub(crate) async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    request: Request<Body>,
) -> Response {
    let (parts, bytes) = read(request).await;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut forwarded = client
        .request(parts.method.clone(), format!("{upstream}{path}"))
        .body(bytes);
    for (name, value) in &parts.headers {
        if name != "host" {
            forwarded = forwarded.header(name, value);
        }
    }
    let Ok(answer) = forwarded.send().await else {
        return (StatusCode::BAD_GATEWAY, "upstream").into_response();
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A run of the reference profile against `addr`, with short timeouts and few retries.
pub(crate) fn portal_args(addr: SocketAddr, secrets: &Path) -> RunArgs {
    RunArgs {
        target: url_target(addr),
        secrets: Some(secrets.to_path_buf()),
        cases: 6,
        timeout: 1,
        retries: 2,
        startup_timeout: 2,
        ..RunArgs::default()
    }
}

/// A secrets file in `dir` with the operator's token.
pub(crate) fn secrets_file(dir: &TempDir, token: &str) -> PathBuf {
    let path = dir.path().join("secrets.toml");
    std::fs::write(&path, format!("operator_token = \"{token}\"\n")).expect("write secrets");
    path
}
