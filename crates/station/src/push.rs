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
    /// The registry refused it; it stays pending. The message is the registry's.
    Refused {
        /// HTTP status.
        status: u16,
        /// The registry's explanation.
        message: String,
    },
    /// The registry could not be reached; it stays pending for `station push`.
    Unreachable(String),
}

/// An HTTP client for the registry.
#[derive(Debug)]
pub struct RegistryClient {
    base: String,
    agent: ureq::Agent,
}

impl RegistryClient {
    /// A client for the registry at `base` (e.g. `http://127.0.0.1:8750`).
    pub fn new(base: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        RegistryClient { base: base.trim_end_matches('/').to_owned(), agent }
    }

    /// The registry's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one spooled certificate; on acceptance moves it to `sent/`.
    pub fn push(&self, spool: &Spool, pending: &Path) -> anyhow::Result<PushOutcome> {
        let body = std::fs::read(pending)?;
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
        } else {
            let message = answer["error"]["message"].as_str().map(str::to_owned).unwrap_or(text);
            Ok(PushOutcome::Refused { status, message })
        }
    }

    /// Asks the registry to enrol this station; returns (status, enrolment code if pending).
    pub fn enrol(
        &self,
        public_key_b64: &str,
        name: Option<&str>,
    ) -> anyhow::Result<(String, Option<String>)> {
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
