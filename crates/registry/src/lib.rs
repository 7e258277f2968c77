//! The Seconde Vie registry: enrols stations, verifies and stores their signed certificates,
//! and answers "was disk X wiped, how, when, by whom?".
//!
//! [`api::app`] is the axum router (`POST /api/v1/certificates`, `GET /api/v1/certificates/{id}`,
//! `GET /api/v1/disks/{serial}`); [`store::Store`] is the database behind it, with
//! [`store::SqliteStore`] as the embedded default; [`serve`] runs the router on a listener.
#![deny(missing_docs)]

pub mod api;
pub mod store;

use std::sync::Arc;

pub use api::{app, AppState};
pub use store::{SqliteStore, Store};

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(AppState { store })).with_graceful_shutdown(shutdown).await
}

/// Enrols a station from its base64 public key, checking that the key decodes.
pub fn enrol_station(
    store: &dyn Store,
    public_key_b64: &str,
    name: Option<&str>,
) -> anyhow::Result<store::Station> {
    let key = certificate::parse_public_key(public_key_b64).map_err(anyhow::Error::msg)?;
    let key_id = certificate::key_id(&key);
    Ok(store.add_station(&key_id, public_key_b64.trim(), name)?)
}
