//! The HTTP layer: sends [`RenderedRequest`]s and knows nothing of profiles ([`crate::render`] turns a
//! profile endpoint into one). One client per run over one TLS stack (rustls, see [`client_builder`]), an identity's credential
//! added per request ([`Session`]), every request within the run's adaptive [`Pacer`] (a window of
//! requests in flight, timeouts that follow latency), retries by a [`RetryPolicy`] on 429, 503 and transport errors,
//! redirects by [`Redirects`], and a curl reproducer for every request, with credentials redacted.

mod curl;
mod exchange;
mod liveness;
mod pace;
mod request;
mod retry;
mod session;
mod settings;
mod tls;

pub use curl::{redact, shell_quote};
pub use exchange::{Exchange, RequestSummary};
pub use liveness::Liveness;
pub use pace::{PaceReport, Pacer, Shrinks};
pub use request::{RenderedBody, RenderedPart, RenderedRequest};
pub use retry::{Exhausted, Failure, Retried, RetryPolicy};
pub use session::{Credential, HttpError, Session};
pub use settings::{DEFAULT_CONCURRENCY, HttpSettings, Pace, Redirects};
pub use tls::{client_builder, install_tls_provider};
