//! Sending spooled certificates to the registry.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::spool::Spool;

/// What happened to one certificate.
#[derive(Debug)]
pub enum PushOutcome {
    /// The registry recorded it (now or before); it moved to `sent/`.
    Accepted {
        /// Where it is now.
        path: PathBuf,
        /// Its URL on the registry.
        url: String,
    },
    /// The registry refused it. A refusal of the certificate itself (see [`is_final`]) sets it
    /// aside in the spool's `refused/`, never sent again, and the message says where; any other
    /// (a station not approved yet, a rate limit, a server error) leaves it pending.
    Refused {
        /// HTTP status.
        status: u16,
        /// The registry's explanation.
        message: String,
    },
    /// The bench server's relay kept it (HTTP 202, `{"queued": true, ...}`) and will forward it
    /// to the registry itself: delivered as far as the station is concerned, moved to `sent/`
    /// with the relay's answer beside it.
    Queued {
        /// Where it is now.
        path: PathBuf,
        /// The bench server that keeps it.
        at: String,
        /// How many certificates the bench server holds for the registry.
        pending: u64,
    },
    /// The registry could not be reached; it stays pending for `station push`.
    Unreachable(String),
}

/// Whether a refusal is about the certificate itself, so that sending it again can only be
/// refused again: 400 (not JSON, altered, breaks the schema), 409 (another certificate has its
/// id), 401 that is not about the station's enrolment (`unsigned`, `not_signed_by_station`).
/// `unknown_station` and `station_not_approved` are not final: once a supervisor approves the
/// station, the same certificate is accepted.
pub fn is_final(status: u16, code: &str) -> bool {
    match status {
        400 | 409 => true,
        401 => !matches!(code, "unknown_station" | "station_not_approved"),
        _ => false,
    }
}

/// An HTTP client for the registry.
#[derive(Debug)]
pub struct RegistryClient {
    base: String,
    agent: ureq::Agent,
    /// Why no request can be trusted (an unreadable CA file), if so.
    setup_error: Option<String>,
}

/// The environment variable naming a PEM file of the certificate authority that signed the
/// registry's HTTPS certificate, for a workshop registry whose certificate is not from a public
/// authority. When set, only that authority is trusted (the registry is pinned). The station
/// sets it to `DATA/registry-ca.pem` when that file exists and the variable is not set.
pub const REGISTRY_CA_ENV: &str = "SV_REGISTRY_CA";

/// The trust anchors for the registry's HTTPS: the workshop's authority from
/// [`REGISTRY_CA_ENV`], else the public web authorities.
fn registry_roots() -> Result<ureq::tls::RootCerts, String> {
    let Some(path) = std::env::var_os(REGISTRY_CA_ENV) else {
        return Ok(ureq::tls::RootCerts::WebPki);
    };
    let shown = Path::new(&path).display().to_string();
    let pem = std::fs::read(&path)
        .map_err(|e| format!("cannot read the registry's CA {shown} ({REGISTRY_CA_ENV}): {e}"))?;
    let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!("{shown} ({REGISTRY_CA_ENV}) holds no PEM certificate"));
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

impl RegistryClient {
    /// A client for the registry at `base` (e.g. `http://127.0.0.1:8750` or
    /// `https://registre.atelier.example`); see [`REGISTRY_CA_ENV`] for a workshop's own CA.
    /// A CA file that cannot be read makes every request fail with its reason, and the
    /// certificates stay in the spool.
    pub fn new(base: &str) -> Self {
        Self::with_timeout(base, Duration::from_secs(30))
    }

    /// A client whose every request gives up after `timeout` (the bench server's relay tries
    /// the registry briefly, then queues).
    pub fn with_timeout(base: &str, timeout: Duration) -> Self {
        let roots = registry_roots();
        let mut config =
            ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout));
        let setup_error = match roots {
            Ok(roots) => {
                config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
                None
            }
            Err(e) => Some(e),
        };
        RegistryClient {
            base: base.trim_end_matches('/').to_owned(),
            agent: config.build().into(),
            setup_error,
        }
    }

    /// The registry's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one spooled certificate; on acceptance moves it to `sent/`.
    pub fn push(&self, spool: &Spool, pending: &Path) -> anyhow::Result<PushOutcome> {
        if let Some(e) = &self.setup_error {
            return Ok(PushOutcome::Unreachable(e.clone()));
        }
        let body = std::fs::read(pending)?;
        // A file that does not read strictly (a repeated member name: two readers could see two
        // certificates) is not sent at all.
        if let Err(e) = certificate::strict::from_slice(&body) {
            let message = format!("the spooled file does not read as one certificate: {e}");
            let answer = serde_json::json!({"error": {"code": "unreadable", "message": message}});
            let path = spool.set_aside(pending, answer.to_string().as_bytes())?;
            return Ok(PushOutcome::Refused {
                status: 0,
                message: format!("{message} (set aside in {}: not sent)", path.display()),
            });
        }
        let url = format!("{}/api/v1/certificates", self.base);
        let mut response =
            match self.agent.post(&url).header("Content-Type", "application/json").send(&body[..]) {
                Ok(r) => r,
                Err(e) => return Ok(PushOutcome::Unreachable(format!("{}: {e}", self.base))),
            };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        if status == 200 || status == 201 {
            let path = spool.mark_sent(pending, text.as_bytes())?;
            let rel = answer["url"].as_str().unwrap_or_default();
            Ok(PushOutcome::Accepted { path, url: format!("{}{rel}", self.base) })
        } else if status == 202 && answer["queued"] == serde_json::Value::Bool(true) {
            // Only a bench server's relay answers 202: it holds the certificate durably.
            let path = spool.mark_sent(pending, text.as_bytes())?;
            let at = answer["at"].as_str().unwrap_or(&self.base).to_owned();
            Ok(PushOutcome::Queued { path, at, pending: answer["pending"].as_u64().unwrap_or(0) })
        } else {
            let code = answer["error"]["code"].as_str().unwrap_or_default().to_owned();
            let mut message = answer["error"]["message"].as_str().map(str::to_owned).unwrap_or(text.clone());
            if is_final(status, &code) {
                let answer =
                    serde_json::json!({"status": status, "answer": answer, "error": answer["error"]});
                let path = spool.set_aside(pending, answer.to_string().as_bytes())?;
                message.push_str(&format!(" (set aside in {}: it will not be sent again)", path.display()));
            }
            Ok(PushOutcome::Refused { status, message })
        }
    }

    /// Posts a certificate's bytes as they are to the registry's `POST /api/v1/certificates`;
    /// returns the registry's status and body, or why it could not be reached. For the bench
    /// server's relay, which passes the answer through.
    pub fn post_certificate(&self, body: &[u8]) -> Result<(u16, String), String> {
        if let Some(e) = &self.setup_error {
            return Err(e.clone());
        }
        let url = format!("{}/api/v1/certificates", self.base);
        let mut response = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body)
            .map_err(|e| format!("{}: {e}", self.base))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| format!("{}: {e}", self.base))?;
        Ok((status, text))
    }

    /// Asks the registry to enrol this station; returns (status, enrolment code if pending).
    pub fn enrol(
        &self,
        public_key_b64: &str,
        name: Option<&str>,
    ) -> anyhow::Result<(String, Option<String>)> {
        if let Some(e) = &self.setup_error {
            anyhow::bail!("{e}");
        }
        let url = format!("{}/api/v1/stations/enrol", self.base);
        let mut response = self
            .agent
            .post(&url)
            .send_json(serde_json::json!({"public_key": public_key_b64, "name": name}))
            .map_err(|e| anyhow::anyhow!("the registry {} cannot be reached: {e}", self.base))?;
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let answer: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| anyhow::anyhow!("the registry answered {}: {text}", response.status()))?;
        if !response.status().is_success() {
            anyhow::bail!("the registry refused: {}", answer["error"]["message"].as_str().unwrap_or(&text));
        }
        Ok((
            answer["status"].as_str().unwrap_or("unknown").to_owned(),
            answer["enrolment_code"].as_str().map(str::to_owned),
        ))
    }

    /// Sends every pending certificate, oldest first.
    pub fn push_all(&self, spool: &Spool) -> anyhow::Result<Vec<(PathBuf, PushOutcome)>> {
        let mut out = Vec::new();
        for p in spool.pending()? {
            let outcome = self.push(spool, &p)?;
            let stop = matches!(outcome, PushOutcome::Unreachable(_));
            out.push((p, outcome));
            if stop {
                break; // The rest would fail the same way; they stay pending.
            }
        }
        Ok(out)
    }
}
