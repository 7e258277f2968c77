//! The Seconde Vie registry: enrols stations, verifies and stores their signed certificates,
//! and answers "was disk X wiped, how, when, by whom?".
//!
//! [`api::app`] is the axum router (`POST /api/v1/certificates`, `GET /api/v1/certificates/{id}`,
//! `GET /api/v1/disks/{serial}`) with the web interface of [`web`] merged in (pages for
//! supervisors and donors, PDFs, the public check); [`store::Store`] is the database behind it,
//! with [`store::SqliteStore`] as the embedded default; [`serve`] runs the router on a listener,
//! in plain HTTP or TLS, with the deadlines of [`server`].
#![deny(missing_docs)]

pub mod accounts;
pub mod api;
pub mod deadline;
pub mod server;
pub mod store;
pub mod units;
pub mod validation;
pub mod web;

use std::sync::Arc;

pub use api::{app, AppState, LogIdentity};
pub use store::{SqliteStore, Store};

/// Serves the API in plain HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    log: Arc<LogIdentity>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::run(listener, app(AppState::new(store, log)), None, shutdown).await
}

/// Serves the API on `listener` until `shutdown` completes, over TLS when `tls` is given
/// ([`server::tls_config`] reads it from PEM files).
pub async fn serve_with_tls(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    log: Arc<LogIdentity>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::run(listener, app(AppState::new(store, log)), tls, shutdown).await
}

/// Serves the API and the web pages with `state` (which carries the web interface's settings) on
/// `listener` until `shutdown` completes, over TLS when `tls` is given.
pub async fn serve_state(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::run(listener, app(state), tls, shutdown).await
}

/// A registry serving on its own thread (a current-thread runtime), for a program that embeds one
/// — the stations' and the bench server's tests: it stops, and its thread is joined, when this is
/// dropped.
#[derive(Debug)]
pub struct Background {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Background {
    /// Binds `addr` (the error is returned here, not in the thread), then serves `store` with
    /// the log key `log`, over TLS when `tls` is given.
    pub fn start(
        addr: std::net::SocketAddr,
        store: Arc<dyn Store>,
        log: LogIdentity,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Background> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                serve_with_tls(listener, store, Arc::new(log), tls, async {
                    let _ = stopped.await;
                })
                .await
            })
        });
        Ok(Background { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The default origin of a registry's log (and the name of its key).
pub const DEFAULT_ORIGIN: &str = "seconde-vie.example/registry";

/// Loads the registry's log key from `path` (the 32-byte seed, mode 0600), creating it on first use.
pub fn load_or_create_log_key(path: &std::path::Path, origin: &str) -> anyhow::Result<LogIdentity> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let seed: [u8; 32] = match std::fs::read(path) {
        Ok(bytes) => bytes.as_slice().try_into().map_err(|_| {
            anyhow::anyhow!(
                "{} holds {} bytes, a registry key holds 32: the file is damaged",
                path.display(),
                bytes.len()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| anyhow::anyhow!("no randomness for the registry key: {e}"))?;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
            f.write_all(&seed)?;
            f.sync_all()?;
            seed
        }
        Err(e) => return Err(anyhow::anyhow!("reading the registry key {}: {e}", path.display())),
    };
    Ok(LogIdentity { origin: origin.to_owned(), key: certificate::SigningIdentity::from_seed(&seed) })
}

/// Enrols a station from its base64 public key, checking that the key decodes.
pub fn enrol_station(
    store: &dyn Store,
    public_key_b64: &str,
    name: Option<&str>,
) -> anyhow::Result<store::Station> {
    let key = certificate::parse_public_key(public_key_b64).map_err(anyhow::Error::msg)?;
    if let Some(name) = name {
        api::check_station_name(name).map_err(anyhow::Error::msg)?;
    }
    let key_id = certificate::key_id(&key);
    Ok(store.add_station(&key_id, public_key_b64.trim(), name)?)
}
