//! The HTTP API, v1. Every refusal is `{"error": {"code", "message"}}` with a fitting status.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Extension;
use axum::{Json, Router};
use certificate::{SignedDocument, VerifyError};
use serde_json::json;

use crate::store::{Inserted, NewCertificate, Store, StoreError};
use crate::web::auth::Principal;

/// Largest certificate body accepted. A certificate with a dozen disks is a few tens of KiB.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Largest enrolment request: a key and a name are under 200 bytes.
pub const MAX_ENROL_BYTES: usize = 4096;

/// The log's signing identity: its origin (also the key's name) and its Ed25519 key.
#[derive(Debug)]
pub struct LogIdentity {
    /// e.g. `seconde-vie.example/registry`.
    pub origin: String,
    /// The registry's key.
    pub key: certificate::SigningIdentity,
}

impl LogIdentity {
    /// The verifier key text (C2SP signed-note vkey) auditors and stations pin.
    pub fn vkey(&self) -> String {
        certificate::log::vkey(&self.origin, &self.key).unwrap_or_default()
    }

    /// A signed checkpoint of the tree of `size` leaves with `root`, stamped with the time.
    pub fn checkpoint(&self, size: u64, root: [u8; 32]) -> Result<String, ApiError> {
        let mut cp = certificate::log::Checkpoint::new(self.origin.clone(), size, root);
        cp.extensions.push(format!("time {}", certificate::Timestamp::now()));
        cp.sign(&self.key).map_err(|e| {
            tracing::error!("signing a checkpoint: {e}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the registry could not sign its checkpoint",
            )
        })
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The transparency log's identity.
    pub log: Arc<LogIdentity>,
    /// Per-station ingest rate limit.
    pub limiter: Arc<RateLimiter>,
    /// Stations seen approved, so an ingest need not look its station up again.
    pub approved: Arc<ApprovedStations>,
    /// The web interface's settings.
    pub web: Arc<crate::web::WebConfig>,
    /// Anonymous enrolment requests, per client address.
    pub enrol_limiter: Arc<RateLimiter>,
}

impl AppState {
    /// State with the default rate limit.
    pub fn new(store: Arc<dyn Store>, log: Arc<LogIdentity>) -> Self {
        AppState {
            store,
            log,
            limiter: Arc::new(RateLimiter::new(RATE_PER_SECOND, RATE_BURST)),
            approved: Arc::default(),
            web: Arc::new(crate::web::WebConfig::default()),
            enrol_limiter: Arc::new(RateLimiter::new(ENROL_PER_SECOND, ENROL_BURST)),
        }
    }

    /// The same state with these web interface settings.
    pub fn with_web(mut self, web: crate::web::WebConfig) -> Self {
        self.web = Arc::new(web);
        self
    }
}

/// The key ids of stations this process has seen approved. Approval is never taken back (a
/// station is revoked instead), and revocation is checked where it cannot be missed: in the
/// transaction that appends the certificate (`Inserted::StationRevoked`). So an ingest from a
/// station seen approved skips the station lookup, one database round trip per certificate.
#[derive(Debug, Default)]
pub struct ApprovedStations(std::sync::RwLock<std::collections::HashSet<String>>);

/// Stations remembered before the set starts again from empty (far more than a federation has).
const MAX_APPROVED: usize = 100_000;

impl ApprovedStations {
    fn contains(&self, key_id: &str) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).contains(key_id)
    }

    fn insert(&self, key_id: &str) {
        let mut set = self.0.write().unwrap_or_else(|e| e.into_inner());
        if set.len() >= MAX_APPROVED {
            set.clear();
        }
        set.insert(key_id.to_owned());
    }
}

/// Certificates per second one station may send, sustained. A station wipes a few disks an
/// hour; a bay station flushing its spool after a week offline sends a few thousand at once.
pub const RATE_PER_SECOND: f64 = 50.0;
/// Certificates one station may send in a burst.
pub const RATE_BURST: f64 = 500.0;

/// Enrolment requests one address may make in a burst: a workshop sets up a few stations at a
/// time. Anyone may ask to enrol, so this is what an anonymous client can add to the list a
/// supervisor reads.
pub const ENROL_BURST: f64 = 10.0;
/// Enrolment requests per second one address may make once its burst is spent (one a minute).
pub const ENROL_PER_SECOND: f64 = 1.0 / 60.0;

/// Longest station name, in characters: names are shown in lists and typed in commands.
pub const MAX_STATION_NAME_CHARS: usize = 64;

/// Whether `c` may not appear in a name: control characters (C0, DEL, C1: ESC, BEL, CR, LF,
/// TAB… would reach a supervisor's terminal) and the bidirectional formatting characters that
/// make text display in another order than it is (Unicode TR 9; CVE-2021-42574).
pub fn is_forbidden_in_names(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Checks a station name: not blank, at most [`MAX_STATION_NAME_CHARS`], no control or
/// bidirectional formatting character. The error says which rule and where.
pub fn check_station_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the station name is empty".into());
    }
    let count = name.chars().count();
    if count > MAX_STATION_NAME_CHARS {
        return Err(format!("the station name has {count} characters; at most {MAX_STATION_NAME_CHARS}"));
    }
    if let Some((i, c)) = name.chars().enumerate().find(|(_, c)| is_forbidden_in_names(*c)) {
        return Err(format!(
            "the station name holds the control character U+{:04X} at character {}; use letters, digits and punctuation",
            c as u32,
            i + 1
        ));
    }
    Ok(())
}

/// Buckets kept before the full ones are forgotten.
const MAX_BUCKETS: usize = 10_000;

/// A token bucket per key (a station key, a login name): a misbehaving or compromised station cannot flood the log.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: std::sync::Mutex<std::collections::HashMap<String, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    /// A limiter refilling `per_second` tokens up to `burst`.
    pub fn new(per_second: f64, burst: f64) -> Self {
        RateLimiter { per_second, burst, buckets: Default::default() }
    }

    /// Takes a token for `key`; `Err(seconds)` says when to retry.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let now = std::time::Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            // A bucket that has refilled is the same as no bucket: forget those, so keys an
            // attacker makes up (login names) cannot grow the map without bound.
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * per_second < burst
            });
        }
        let (tokens, last) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Longest text a certificate field may hold, in bytes. The longest a station writes (a disk
/// error, a note) is a few hundred; the PDF writer's work grows faster than a field's length
/// (a 1 MB operator took 7 s and 185 pages), so the registry refuses longer ones.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Refuses a certificate with a text longer than [`MAX_FIELD_BYTES`] (member names included),
/// naming its JSON pointer.
fn check_field_lengths(value: &serde_json::Value, path: &mut String) -> Result<(), ApiError> {
    use serde_json::Value;
    let too_long = |path: &str, len: usize| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "field_too_long",
            format!("{path} holds {len} bytes of text; a certificate field holds at most {MAX_FIELD_BYTES}"),
        )
    };
    match value {
        Value::String(s) if s.len() > MAX_FIELD_BYTES => Err(too_long(path, s.len())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                check_field_lengths(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(members) => {
            for (name, item) in members {
                let len = path.len();
                path.push('/');
                path.push_str(&name.replace('~', "~0").replace('/', "~1"));
                if name.len() > MAX_FIELD_BYTES {
                    return Err(too_long(path, name.len()));
                }
                check_field_lengths(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Longest lot name, in characters.
pub const MAX_LOT_CHARS: usize = 64;

/// Checks a lot name (a certificate's `lot`, `registry lot assign`): not blank, not `.` or `..`
/// (it is a path segment of `/lots/{lot}/report`), no `/`, at most [`MAX_LOT_CHARS`], no
/// control or bidirectional formatting character.
pub fn check_lot(lot: &str) -> Result<(), String> {
    if lot.trim().is_empty() {
        return Err("the lot is empty: leave it out (null) when the unit came in no lot".into());
    }
    if lot == "." || lot == ".." || lot.contains('/') {
        return Err(format!(
            "the lot {lot:?} is a path, not a name: use letters, digits and - (CD34-2026-017)"
        ));
    }
    let count = lot.chars().count();
    if count > MAX_LOT_CHARS {
        return Err(format!("the lot has {count} characters; at most {MAX_LOT_CHARS}"));
    }
    if let Some(c) = lot.chars().find(|c| is_forbidden_in_names(*c)) {
        return Err(format!("the lot holds the control character U+{:04X}", c as u32));
    }
    Ok(())
}

/// Certificates older than this cannot come from a working station: its clock is wrong (a flat
/// CMOS battery resets old PCs to 2000-01-01 or their BIOS date).
const EARLIEST_PLAUSIBLE: &str = "2024-01-01T00:00:00Z";
/// How far in the future a certificate may end (clock drift between station and registry).
const FUTURE_SLACK: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

fn check_times(cert: &certificate::Certificate) -> Result<(), ApiError> {
    let earliest = humantime_parse(EARLIEST_PLAUSIBLE);
    let now = std::time::SystemTime::now();
    let implausible = |what: &str, when: &certificate::Timestamp, why: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "implausible_time",
            format!("{what} {when} {why}: the station's clock is wrong (a flat CMOS battery?); set it and run the station again"),
        )
    };
    if cert.started_at.to_system_time() < earliest {
        return Err(implausible("started_at", &cert.started_at, "is before 2024"));
    }
    if cert.finished_at.to_system_time() > now + FUTURE_SLACK {
        return Err(implausible("finished_at", &cert.finished_at, "is more than a day in the future"));
    }
    Ok(())
}

fn humantime_parse(text: &str) -> std::time::SystemTime {
    certificate::Timestamp::parse(text).map(|t| t.to_system_time()).unwrap_or(std::time::UNIX_EPOCH)
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

/// The router, for the server and for tests: the API, then the web pages
/// ([`crate::web::routes`]). The lookups need an API token or a session; ingest and enrolment
/// are authenticated by the stations' signatures and approval; the log is public.
pub fn app(state: AppState) -> Router {
    let lookups = Router::new()
        .route("/api/v1/certificates/{id}", get(get_certificate))
        .route("/api/v1/certificates/{id}/validation", get(get_validation))
        .route("/api/v1/disks/{serial}", get(disk_history))
        .route("/api/v1/units/{serial}", get(get_unit))
        .route("/api/v1/units/{serial}/events", post(post_unit_event))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::require_api_user));
    Router::new()
        .route("/api/v1/stations/enrol", post(enrol).layer(DefaultBodyLimit::max(MAX_ENROL_BYTES)))
        .route("/api/v1/certificates", post(ingest))
        .merge(lookups)
        .merge(crate::web::routes())
        .route("/api/v1/log/checkpoint", get(checkpoint))
        .route("/api/v1/log/key", get(log_key))
        .route("/api/v1/log/proof/inclusion", get(inclusion))
        .route("/api/v1/log/proof/consistency", get(consistency))
        .route("/healthz", get(|| async { "ok\n" }))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// An API refusal.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": {"code": self.code, "message": self.message}}))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if crate::deadline::passed() {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request's work took longer than the registry allows and was stopped; send it again",
            );
        }
        // A unit's life: refusals say why (docs/registry-api.md).
        match e {
            StoreError::Refused(why) => return ApiError::new(StatusCode::CONFLICT, "refused", why),
            StoreError::Transition(why) => {
                return ApiError::new(StatusCode::CONFLICT, "refused", why.to_string())
            }
            StoreError::NoSuchUnit(r) => {
                return ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no unit is known by {r:?}"),
                )
            }
            StoreError::NoSuchPartner(p) => {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "no_such_partner",
                    format!("no partner is named {p:?}"),
                )
            }
            _ => {}
        }
        // The detail goes to the log, not to the client.
        tracing::error!("store: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the registry could not complete the request; try again later",
        )
    }
}

impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        let (status, code) = match &e {
            VerifyError::Json { .. } => (StatusCode::BAD_REQUEST, "invalid_json"),
            VerifyError::DuplicateMember(_) => (StatusCode::BAD_REQUEST, "duplicate_member"),
            VerifyError::Shape(_) => (StatusCode::BAD_REQUEST, "not_a_certificate"),
            VerifyError::Schema(_) => (StatusCode::BAD_REQUEST, "schema_violation"),
            VerifyError::Canonical(_) => (StatusCode::BAD_REQUEST, "not_canonicalizable"),
            VerifyError::Unsigned => (StatusCode::UNAUTHORIZED, "unsigned"),
            VerifyError::TooManySignatures(_) => (StatusCode::BAD_REQUEST, "too_many_signatures"),
            VerifyError::KeyIdMismatch { .. } | VerifyError::Malformed { .. } => {
                (StatusCode::BAD_REQUEST, "malformed_signature")
            }
            VerifyError::BadSignature { .. } => (StatusCode::BAD_REQUEST, "bad_signature"),
            VerifyError::NotSignedByStation { .. } => (StatusCode::UNAUTHORIZED, "not_signed_by_station"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let deadline = crate::deadline::for_new_request();
    tokio::task::spawn_blocking(move || crate::deadline::with(deadline, f)).await.unwrap_or_else(|e| {
        Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("worker failed: {e}")))
    })
}

fn station_revoked(key_id: &str, when: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "station_revoked", format!("station {key_id} was revoked at {when}"))
}

async fn ingest(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes; a certificate is far smaller"),
            )
        } else {
            ApiError::new(
                rejection.status(),
                "unreadable_body",
                format!("the body could not be read: {rejection}"),
            )
        }
    })?;
    blocking(move || {
        let doc = SignedDocument::from_json(&body)?;
        check_field_lengths(&doc.certificate, &mut String::from("/certificate"))?;
        let verified = doc.verify()?;
        let cert = &verified.certificate;
        let key_id = cert.station.key_id.clone();
        if !state.approved.contains(&key_id) {
            let station = state.store.station(&key_id)?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unknown_station",
                    format!("station key {key_id} is not enrolled in this registry"),
                )
            })?;
            if station.approved_at.is_none() {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "station_not_approved",
                    format!(
                        "station {key_id} asked to enrol but a supervisor has not approved it yet (registry station approve {})",
                        station.enrolment_code.as_deref().unwrap_or("CODE")
                    ),
                ));
            }
            if let Some(when) = station.revoked_at {
                return Err(station_revoked(&key_id, &when));
            }
            state.approved.insert(&key_id);
        }
        state.limiter.take(&key_id).map_err(|retry| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("station {key_id} sends faster than {RATE_PER_SECOND}/s; retry in {retry} s"),
            )
        })?;
        check_times(cert)?;
        if let Some(lot) = &cert.lot {
            check_lot(lot).map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "schema_violation", format!("/lot: {e}"))
            })?;
        }
        let new = NewCertificate::from_verified(verified, &body);
        let id = new.id.clone();
        let url = format!("/api/v1/certificates/{id}");
        Ok(match state.store.insert_certificate(&new)? {
            Inserted::New { received_at, leaf_index, root, proof } => {
                tracing::info!(%id, station = %key_id, leaf_index, "certificate recorded");
                let note = state.log.checkpoint(leaf_index + 1, root)?;
                let receipt = certificate::log::Receipt::new(leaf_index, leaf_index + 1, &proof, note);
                (
                    StatusCode::CREATED,
                    [(header::LOCATION, url.clone())],
                    Json(json!({"id": id, "status": "recorded", "received_at": received_at, "leaf_index": leaf_index, "url": url, "receipt": receipt})),
                )
                    .into_response()
            }
            Inserted::Duplicate { received_at, leaf_index } => {
                let receipt = receipt_now(&state, leaf_index)?;
                (
                    StatusCode::OK,
                    Json(json!({"id": id, "status": "already_recorded", "received_at": received_at, "leaf_index": leaf_index, "url": url, "receipt": receipt})),
                )
                    .into_response()
            }
            Inserted::StationRevoked { revoked_at } => return Err(station_revoked(&key_id, &revoked_at)),
            Inserted::Conflict => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "id_conflict",
                    format!(
                    "another certificate with id {id} is already recorded; a certificate is never replaced"
                ),
                ))
            }
        })
    })
    .await
}

/// The certificate `id` if `principal` may see it. A donor's token sees its own lots only;
/// anything else is "not found", not "forbidden", so it learns nothing about other donors'
/// certificates.
fn visible_or_404(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<crate::store::CertificateRow, ApiError> {
    crate::web::visible_certificate(state.store.as_ref(), &principal.user, id)?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no certificate with id {id}"))
    })
}

async fn get_certificate(
    State(state): State<AppState>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    blocking(move || {
        let row = visible_or_404(&state, &principal, &id)?;
        // The body stays the file exactly as received (it verifies as is); a supervisor's
        // decision on it is named by a Link header (RFC 8288) and read at its own address.
        let mut response = ([(header::CONTENT_TYPE, "application/json")], row.document).into_response();
        if let Some(v) = state.store.validation(&row.id)? {
            let link = format!(
                "</api/v1/certificates/{}/validation>; rel=\"validation\"; title=\"{}\"",
                crate::web::html::url_encode(&row.id),
                v.decision
            );
            if let Ok(value) = axum::http::HeaderValue::from_str(&link) {
                response.headers_mut().insert(header::LINK, value);
            }
        }
        Ok(response)
    })
    .await
}

/// The supervisor's decision on a certificate (docs/certificate.md, "Validation"): the
/// statement, its signature and the validator's public key, or 404 `not_validated`.
async fn get_validation(
    State(state): State<AppState>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    blocking(move || {
        let row = visible_or_404(&state, &principal, &id)?;
        let v = state.store.validation(&row.id)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_validated",
                format!("certificate {id} has no decision yet"),
            )
        })?;
        let file = crate::validation::file_of(&v).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("stored validation: {e}"))
        })?;
        Ok(axum::Json(file).into_response())
    })
    .await
}

async fn disk_history(
    State(state): State<AppState>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(serial): Path<String>,
) -> Result<Response, ApiError> {
    blocking(move || {
        let mut entries = state.store.disk_history(&serial)?;
        if matches!(principal.user.role, crate::store::Role::Donor | crate::store::Role::Partner) {
            let q = crate::store::SearchQuery {
                disk_serial: Some(serial.clone()),
                ..crate::web::scope(&principal.user)
            };
            let visible: std::collections::HashSet<String> =
                state.store.search(&q)?.into_iter().map(|r| r.id).collect();
            entries.retain(|e| visible.contains(&e.certificate_id));
        }
        Ok(Json(json!({"serial": serial, "certificates": entries})).into_response())
    })
    .await
}

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh enrolment code, e.g. `K7XQ-2M9P`.
pub fn enrolment_code() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    let chars: Vec<char> =
        bytes.iter().map(|b| CODE_ALPHABET[(*b as usize) % CODE_ALPHABET.len()] as char).collect();
    format!("{}-{}", chars[..4].iter().collect::<String>(), chars[4..].iter().collect::<String>())
}

#[derive(serde::Deserialize)]
struct EnrolRequest {
    public_key: String,
    name: Option<String>,
}

/// A station asks to enrol: it is recorded as pending with a code the station shows on screen;
/// a supervisor approves it with `registry station approve CODE`.
async fn enrol(
    State(state): State<AppState>,
    client: Option<Extension<crate::server::ClientAddr>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("an enrolment request is at most {MAX_ENROL_BYTES} bytes"),
            )
        } else {
            ApiError::new(r.status(), "unreadable_body", format!("the body could not be read: {r}"))
        }
    })?;
    let address = client.map(|Extension(c)| c.limit_key()).unwrap_or_else(|| "unknown".into());
    state.enrol_limiter.take(&address).map_err(|retry| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many enrolment requests from {address}; retry in {retry} s"),
        )
    })?;
    blocking(move || {
        let req: EnrolRequest = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("expected {{\"public_key\", \"name\"}}: {e}"),
            )
        })?;
        let key = certificate::parse_public_key(&req.public_key)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_public_key", e))?;
        if let Some(name) = &req.name {
            check_station_name(name).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_name", e))?;
        }
        let key_id = certificate::key_id(&key);
        let station = state
            .store
            .request_enrolment(&key_id, req.public_key.trim(), req.name.as_deref(), &enrolment_code())
            .map_err(|e| match e {
                StoreError::NameTaken(name) => ApiError::new(
                    StatusCode::CONFLICT,
                    "name_taken",
                    format!("an approved station is already named {name:?}: choose another name"),
                ),
                e => e.into(),
            })?;
        let status = if station.revoked_at.is_some() {
            "revoked"
        } else if station.approved_at.is_some() {
            "approved"
        } else {
            "pending"
        };
        Ok((
            StatusCode::OK,
            Json(
                json!({"key_id": station.key_id, "status": status, "enrolment_code": station.enrolment_code}),
            ),
        )
            .into_response())
    })
    .await
}

/// A receipt for a leaf in the current tree (computed from the stored leaves).
fn receipt_now(state: &AppState, leaf_index: u64) -> Result<certificate::log::Receipt, ApiError> {
    let (size, root) = state.store.log_head()?;
    let proof = proof_in(state, leaf_index, size)?;
    Ok(certificate::log::Receipt::new(leaf_index, size, &proof, state.log.checkpoint(size, root)?))
}

/// Leaf hashes fetched from the store for the proof algorithms.
#[derive(Debug)]
enum ProofError {
    Store(StoreError),
    Log(certificate::log::LogError),
}

impl From<certificate::log::LogError> for ProofError {
    fn from(e: certificate::log::LogError) -> Self {
        ProofError::Log(e)
    }
}

impl From<ProofError> for ApiError {
    fn from(e: ProofError) -> Self {
        match e {
            ProofError::Store(s) => s.into(),
            ProofError::Log(l) => ApiError::new(StatusCode::BAD_REQUEST, "bad_proof_request", l.to_string()),
        }
    }
}

fn proof_in(state: &AppState, leaf_index: u64, size: u64) -> Result<Vec<[u8; 32]>, ApiError> {
    Ok(certificate::log::inclusion_proof_with(leaf_index, size, |a, b| {
        state.store.leaf_hashes(a, b).map_err(ProofError::Store)
    })?)
}

async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    blocking(move || {
        let (size, root) = state.store.log_head()?;
        let note = state.log.checkpoint(size, root)?;
        Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
    })
    .await
}

async fn log_key(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{}\n", state.log.vkey())).into_response()
}

fn decode_hash(text: &str) -> Result<[u8; 32], ApiError> {
    use base64::Engine as _;
    let bytes = if text.len() == 64 {
        hex::decode(text).ok()
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    };
    bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_leaf_hash", "leaf_hash must be 32 bytes in hex or base64")
    })
}

#[derive(serde::Deserialize)]
struct InclusionQuery {
    leaf_hash: String,
    tree_size: Option<u64>,
}

/// The query string's values, or a JSON refusal naming what is wrong (axum's own rejection is
/// plain text).
fn query_or_refusal<T>(
    q: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
    expected: &str,
) -> Result<T, ApiError> {
    q.map(|axum::extract::Query(v)| v).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("{}; expected {expected}", e.body_text()))
    })
}

async fn inclusion(
    State(state): State<AppState>,
    q: Result<axum::extract::Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query_or_refusal(q, "leaf_hash=HEX_OR_BASE64[&tree_size=N]")?;
    blocking(move || {
        let hash = decode_hash(&q.leaf_hash)?;
        let (size, _) = state.store.log_head()?;
        let tree_size = q.tree_size.unwrap_or(size);
        if tree_size > size {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_tree_size",
                format!("the log has {size} leaves, not {tree_size}"),
            ));
        }
        let index = state.store.leaf_index(&hash)?.filter(|i| *i < tree_size).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no such leaf in the first {tree_size} leaves"),
            )
        })?;
        let proof = proof_in(&state, index, tree_size)?;
        let hashes: Vec<String> = proof.iter().map(b64).collect();
        Ok(Json(json!({"leaf_index": index, "tree_size": tree_size, "inclusion_path": hashes}))
            .into_response())
    })
    .await
}

#[derive(serde::Deserialize)]
struct ConsistencyQuery {
    first: u64,
    second: u64,
}

async fn consistency(
    State(state): State<AppState>,
    q: Result<axum::extract::Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query_or_refusal(q, "first=M&second=N, two whole numbers")?;
    blocking(move || {
        let (size, _) = state.store.log_head()?;
        if q.first > q.second || q.second > size {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_tree_size",
                format!("need first <= second <= {size} (the log's size); got {} and {}", q.first, q.second),
            ));
        }
        let proof = certificate::log::consistency_proof_with(q.first, q.second, |a, b| {
            state.store.leaf_hashes(a, b).map_err(ProofError::Store)
        })?;
        let hashes: Vec<String> = proof.iter().map(b64).collect();
        Ok(Json(json!({"first": q.first, "second": q.second, "consistency": hashes})).into_response())
    })
    .await
}

fn b64(h: &[u8; 32]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limiter_allows_a_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(10.0, 5.0);
        for _ in 0..5 {
            assert!(limiter.take("a").is_ok());
        }
        assert_eq!(limiter.take("a"), Err(1));
        assert!(limiter.take("b").is_ok(), "each station has its own bucket");
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(limiter.take("a").is_ok(), "refilled at 10/s");
    }

    #[test]
    fn refilled_buckets_are_forgotten_so_made_up_keys_cannot_grow_the_map() {
        // 20/s: a used bucket is full again 50 ms later.
        let limiter = RateLimiter::new(20.0, 2.0);
        for i in 0..MAX_BUCKETS {
            assert!(limiter.take(&i.to_string()).is_ok());
        }
        std::thread::sleep(std::time::Duration::from_millis(150));
        assert!(limiter.take("busy").is_ok());
        let kept = limiter.buckets.lock().map(|b| b.len()).unwrap_or(0);
        assert_eq!(kept, 1, "only the bucket in use is kept");
        assert!(limiter.take("busy").is_ok());
        assert!(limiter.take("busy").is_err(), "and it still limits");
    }

    #[test]
    fn a_station_with_a_flat_cmos_battery_is_told_so() {
        let mut cert = certificate::example::certificate("S");
        cert.started_at = certificate::Timestamp::parse("2000-01-01T00:00:07.000Z").expect("time");
        let err = check_times(&cert).expect_err("implausible");
        assert!(err.message.contains("clock is wrong"), "{}", err.message);
        let mut future = certificate::example::certificate("S");
        future.finished_at = certificate::Timestamp::from(std::time::SystemTime::now() + 3 * FUTURE_SLACK);
        assert_eq!(check_times(&future).expect_err("future").code, "implausible_time");
        assert!(check_times(&certificate::example::certificate("S")).is_ok());
    }
}

// A unit's life (docs/registry-api.md, "Units"); the rules are in crate::web::units.

impl From<crate::web::units::UnitError> for ApiError {
    fn from(e: crate::web::units::UnitError) -> Self {
        use crate::web::units::UnitError;
        match e {
            UnitError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "not_found", m),
            UnitError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            UnitError::Bad(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m),
            UnitError::Refused(m) => ApiError::new(StatusCode::CONFLICT, "refused", m),
            UnitError::Transition(why) => ApiError::new(StatusCode::CONFLICT, "refused", why.to_string()),
            UnitError::Store(e) => e.into(),
        }
    }
}

/// `?lot=` of a unit request.
#[derive(Debug, serde::Deserialize)]
struct UnitLot {
    lot: Option<String>,
}

async fn get_unit(
    State(state): State<AppState>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(serial): Path<String>,
    axum::extract::Query(q): axum::extract::Query<UnitLot>,
) -> Result<Response, ApiError> {
    blocking(move || {
        let user = &principal.user;
        let unit = crate::web::units::visible_unit(state.store.as_ref(), user, &serial, q.lot.as_deref())?;
        let mut body = crate::web::units::unit_json(user, &unit);
        if matches!(user.role, crate::store::Role::Admin | crate::store::Role::Supervisor) {
            let events: Vec<serde_json::Value> = state
                .store
                .unit_events(&unit.lot, &unit.reference)?
                .into_iter()
                .map(|e| {
                    json!({"event": e.event, "state": e.state, "by": e.actor, "at": e.at, "partner": e.partner,
                           "case_reference": e.case_reference, "programme": e.programme, "price": e.price})
                })
                .collect();
            body["events"] = json!(events);
        }
        Ok(Json(body).into_response())
    })
    .await
}

async fn post_unit_event(
    State(state): State<AppState>,
    Extension(principal): Extension<Arc<Principal>>,
    Path(serial): Path<String>,
    axum::extract::Query(q): axum::extract::Query<UnitLot>,
    body: Bytes,
) -> Result<Response, ApiError> {
    blocking(move || {
        let fields: crate::units::ActionFields = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("expected {{\"action\": \"ready\"|\"allocate\"|\"return\"|\"recycle\", …}}: {e}"),
            )
        })?;
        let user = &principal.user;
        let unit = crate::web::units::act(state.store.as_ref(), user, &serial, q.lot.as_deref(), &fields)?;
        Ok(Json(crate::web::units::unit_json(user, &unit)).into_response())
    })
    .await
}
