//! The one TLS stack of every build: rustls, with the `ring` provider (`ring` is already built for
//! certificate checks, so no second crypto library is compiled) and the platform's certificate verifier.

/// A client builder with the TLS stack ready: every HTTP client of the harness starts here.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
}

/// Make `ring` the process's rustls provider (reqwest, built without a provider of its own, asks rustls
/// for the process default when a client is built). Idempotent: a provider already installed stays.
pub fn install_tls_provider() {
    // An error means a provider is already installed (by an earlier call): it is kept.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
