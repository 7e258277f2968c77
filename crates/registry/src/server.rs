//! Serving the router on a socket: plain HTTP (loopback, development) or TLS with rustls, with
//! the timeouts a server facing the Internet needs, and a graceful stop.
//!
//! Our own accept loop rather than `axum::serve`, for two things it does not offer: a deadline
//! on reading a request's headers (a client that opens connections and sends nothing, or one
//! byte a minute, must not hold them forever) and TLS. The TLS handshake runs in the
//! connection's own task, under its own deadline, so a slow client never delays the others.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

/// Time a client has to send a request's headers once the connection is open (or after the
/// previous answer on a kept-alive connection).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a request has from its headers to its answer, body upload included. A certificate is a
/// few tens of KiB: even a station on a poor 3G link sends one in a few seconds.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request's work may run on the blocking pool ([`crate::deadline`]): a little less
/// than [`REQUEST_TIMEOUT`], so work stops before its answer would be `408` anyway.
pub const WORK_DEADLINE: Duration = Duration::from_secs(28);
/// Time a client has to complete the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stop waits for the requests under way before closing their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// The IP address of the client at the other end of a request's connection: its TCP peer
/// (behind a reverse proxy, the proxy's). Put in every request's extensions by [`run`], for the
/// limits kept per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

impl ClientAddr {
    /// The key a per-address limit counts under: the address, or for IPv6 its /64 network (one
    /// host commonly holds a whole /64, RFC 6177 / RFC 7421).
    pub fn limit_key(&self) -> String {
        match self.0 {
            std::net::IpAddr::V4(a) => a.to_string(),
            std::net::IpAddr::V6(a) => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
    }
}

/// The TLS settings of a server (rustls's).
pub type TlsConfig = rustls::ServerConfig;

/// Reads a PEM certificate chain and its private key (PKCS#8, PKCS#1 or SEC1) into a rustls
/// server configuration. Errors name the file and what is wrong with it.
pub fn tls_config(cert_path: &Path, key_path: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let cert_pem = std::fs::read(cert_path)
        .with_context(|| format!("reading the TLS certificate {}", cert_path.display()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert_path.display()))?;
    if chain.is_empty() {
        anyhow::bail!(
            "{} holds no certificate (expected PEM blocks \"-----BEGIN CERTIFICATE-----\")",
            cert_path.display()
        );
    }
    let key_pem = std::fs::read(key_path)
        .with_context(|| format!("reading the TLS private key {}", key_path.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).with_context(|| {
        format!("{} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)", key_path.display())
    })?;
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("the TLS library refused its own default protocol versions")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .with_context(|| {
                format!(
                    "the key {} does not fit the certificate {} (or is of an unsupported kind)",
                    key_path.display(),
                    cert_path.display()
                )
            })?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Answers `408 timeout` when a request (its body included) takes longer than
/// [`REQUEST_TIMEOUT`]; the handler's work is dropped, and a store write either committed
/// before or not at all (each is one transaction).
async fn request_deadline(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => crate::api::ApiError::new(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took more than {} s (a very slow link?); send it again",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Over TLS, tells browsers to use HTTPS only for this host for a year (HSTS, RFC 6797), so a
/// later `http://` link or a network that strips TLS cannot downgrade a supervisor's session.
async fn strict_transport_security(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static("max-age=31536000"),
    );
    response
}

/// Serves `router` on `listener` until `shutdown` completes, over TLS when `tls` is given.
/// Then it stops accepting, lets the requests under way finish (at most [`SHUTDOWN_GRACE`])
/// and returns.
pub async fn run(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut router = router.layer(axum::middleware::from_fn(request_deadline));
    if tls.is_some() {
        router = router.layer(axum::middleware::from_fn(strict_transport_security));
    }
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before accept: wait a
                    // little rather than spin, and go on.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let router = router.clone();
        let stopping = stopping.clone();
        match acceptor.clone() {
            None => connections.spawn(connection(tcp, router, peer, stopping)),
            Some(acceptor) => connections.spawn(async move {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => connection(stream, router, peer, stopping).await,
                    Ok(Err(e)) => tracing::info!("TLS handshake with {peer} failed: {e}"),
                    Err(_) => tracing::info!(
                        "TLS handshake with {peer} not done after {} s: closed",
                        TLS_HANDSHAKE_TIMEOUT.as_secs()
                    ),
                }
            }),
        };
        while connections.try_join_next().is_some() {}
    }
    let _ = stop.send(true);
    let drained =
        tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} })
            .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connections still busy after {} s: closed",
            connections.len(),
            SHUTDOWN_GRACE.as_secs()
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// One HTTP/1.1 connection, kept alive, until the client closes it or the server stops.
async fn connection<S>(
    stream: S,
    router: Router,
    peer: std::net::SocketAddr,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
    let client = ClientAddr(peer.ip());
    let service = tower::util::MapRequest::new(router, move |mut r: Request<hyper::body::Incoming>| {
        r.extensions_mut().insert(client);
        r
    });
    let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = stopping.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Clients closing mid-request and header deadlines end up here: worth a debug line.
        tracing::debug!("connection ended: {e}");
    }
}
