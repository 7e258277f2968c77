//! The HTTP side: boot files (`/boot/...`), per-PC settings, the relay, the status. axum on
//! tokio, as the registry.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path as UrlPath, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;

use crate::boot::{resolve_boot_file, BootFileError};
use crate::config::{normalise_mac, BenchConfig, Mode, Seat};
use crate::relay::Relay;

/// The largest certificate the relay takes (the registry's own limit).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Time an API request has from its headers to its answer (not boot files: a squashfs of
/// hundreds of MiB takes longer on a slow network card).
pub const API_TIMEOUT: Duration = Duration::from_secs(30);
/// Boot files are read and sent in pieces of this size.
const CHUNK: usize = 256 << 10;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// The checked `bench.toml`.
    pub config: Arc<BenchConfig>,
    /// The master secret the seat keys derive from.
    pub master: Arc<[u8; 32]>,
    /// The relay.
    pub relay: Arc<Relay>,
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json(status, serde_json::json!({"error": {"code": code, "message": message.into()}}).to_string())
}

async fn api_deadline(request: Request, next: Next) -> Response {
    match tokio::time::timeout(API_TIMEOUT, next.run(request)).await {
        Ok(r) => r,
        Err(_) => error(StatusCode::REQUEST_TIMEOUT, "timeout", "the request took too long; send it again"),
    }
}

/// The router.
pub fn app(state: ServerState) -> Router {
    let api = Router::new()
        .route("/api/bench/v1/settings", get(settings))
        .route("/api/bench/v1/status", get(status))
        .route("/api/v1/certificates", post(certificate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(api_deadline));
    Router::new()
        .merge(api)
        .route("/boot/{*path}", get(boot_file))
        // A station's own enrolment is not relayed: its seat is enrolled from the server.
        .route(
            "/api/v1/stations/enrol",
            post(|| async {
                error(
                    StatusCode::NOT_FOUND,
                    "enrol_on_the_bench_server",
                    "this is a bench server: its seats are enrolled there, with `station-server enrol`",
                )
            }),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such path on the bench server") })
        .with_state(state)
}

/// Percent-decoding of a query value (`%3A` for `:`), enough for MAC addresses.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The settings a seat's station writes into its data directory.
pub fn settings_answer(config: &BenchConfig, master: &[u8; 32], seat: &Seat) -> serde_json::Value {
    let settings = station::app::settings::Settings {
        language: seat.language.clone(),
        lot: seat.lot.clone(),
        operator: seat.operator.clone(),
        registry: Some(config.server_url()),
        station_name: Some(seat.seat.clone()),
        method: seat.method.clone(),
        pin_sha256: None,
    };
    let settings_toml = toml::to_string(&settings).unwrap_or_default();
    let batch_toml = (seat.mode == Mode::Batch).then(|| {
        let mut t = toml::Table::new();
        for (k, v) in [
            ("lot", &seat.lot),
            ("operator", &seat.operator),
            ("language", &seat.language),
            ("method", &seat.method),
        ] {
            if let Some(v) = v {
                t.insert(k.into(), toml::Value::String(v.clone()));
            }
        }
        t.insert("registry".into(), toml::Value::String(config.server_url()));
        t.insert("confirm_wipe".into(), toml::Value::Boolean(true));
        toml::to_string(&t).unwrap_or_default()
    });
    let seed = crate::seat_key::seat_seed(master, &seat.seat);
    serde_json::json!({
        "seat": seat.seat,
        "settings_toml": settings_toml,
        "station_key": base64::engine::general_purpose::STANDARD.encode(seed),
        "mode": seat.mode,
        "batch_toml": batch_toml,
    })
}

async fn settings(State(state): State<ServerState>, RawQuery(query): RawQuery) -> Response {
    let mut macs = Vec::new();
    for pair in query.as_deref().unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k != "mac" {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("unknown parameter {k:?}: only mac=aa:bb:cc:dd:ee:ff"),
            );
        }
        let Some(v) = percent_decode(v) else {
            return error(StatusCode::BAD_REQUEST, "bad_query", format!("{v:?} is not a query value"));
        };
        match normalise_mac(&v) {
            Ok(m) => macs.push(m),
            Err(e) => return error(StatusCode::BAD_REQUEST, "bad_mac", e),
        }
    }
    if macs.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "no_mac",
            "give the PC's MAC addresses: ?mac=aa:bb:cc:dd:ee:ff[&mac=...]",
        );
    }
    let seat = state.config.seat_for(&macs);
    tracing::info!("settings for {}: seat {} ({:?})", macs.join(","), seat.seat, seat.mode);
    json(StatusCode::OK, settings_answer(&state.config, &state.master, seat).to_string())
}

async fn status(State(state): State<ServerState>) -> Response {
    let relay = Arc::clone(&state.relay);
    match tokio::task::spawn_blocking(move || relay.status()).await {
        Ok(v) => json(StatusCode::OK, v.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{e}")),
    }
}

async fn certificate(State(state): State<ServerState>, body: Bytes) -> Response {
    let relay = Arc::clone(&state.relay);
    match tokio::task::spawn_blocking(move || relay.accept(&body)).await {
        Ok((status, body)) => json(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), body),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{e}")),
    }
}

async fn boot_file(State(state): State<ServerState>, UrlPath(path): UrlPath<String>) -> Response {
    let boot_dir = state.config.boot_dir.clone();
    let found = tokio::task::spawn_blocking(move || {
        let real = resolve_boot_file(&boot_dir, &path)?;
        let file = std::fs::File::open(&real).map_err(|_| BootFileError::NotFound)?;
        let len = file.metadata().map_err(|_| BootFileError::NotFound)?.len();
        Ok::<_, BootFileError>((file, len))
    })
    .await;
    let (file, len) = match found {
        Ok(Ok(f)) => f,
        Ok(Err(BootFileError::Refused(why))) => return error(StatusCode::BAD_REQUEST, "bad_path", why),
        Ok(Err(BootFileError::Outside)) => {
            return error(StatusCode::FORBIDDEN, "outside", "that file is outside the boot directory")
        }
        Ok(Err(BootFileError::NotFound)) => {
            return error(StatusCode::NOT_FOUND, "not_found", "no such boot file")
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{e}")),
    };
    let file = Arc::new(std::sync::Mutex::new(file));
    let stream = futures_util::stream::unfold(file, |file| async move {
        let reader = Arc::clone(&file);
        let chunk = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; CHUNK];
            let mut f = reader.lock().map_err(|_| std::io::Error::other("boot file lock poisoned"))?;
            let n = std::io::Read::read(&mut *f, &mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>(buf)
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        match chunk {
            Ok(b) if b.is_empty() => None,
            Ok(b) => Some((Ok::<_, std::io::Error>(Bytes::from(b)), file)),
            Err(e) => Some((Err(e), file)),
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(percent_decode("52%3A54%3a00:12:34:56").as_deref(), Some("52:54:00:12:34:56"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }
}
