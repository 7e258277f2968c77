//! The certificate relay: a certificate a PC sends is first written durably into the server's
//! spool, then offered to the registry; what the registry answers is passed through, and while
//! it cannot be reached the certificate waits in the spool and the forwarder offers it again.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use station::push::{is_final, RegistryClient};
use station::spool::Spool;

/// How long one attempt to reach the registry may take before the certificate is queued.
pub const REGISTRY_TIMEOUT: Duration = Duration::from_secs(5);
/// The forwarder's longest wait between rounds while the registry stays down.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What became of one certificate offered to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarded {
    /// The registry answered (accepted, or refused): its status and body, passed through.
    Answered {
        /// HTTP status.
        status: u16,
        /// The registry's body.
        body: String,
        /// Whether the file left `pending/` (to `sent/` or `refused/`).
        settled: bool,
    },
    /// Not reached (or a server error, 408, 429): still pending.
    Queued(String),
}

/// The relay's spool and its registry.
#[derive(Debug)]
pub struct Relay {
    spool: Spool,
    client: RegistryClient,
    server_url: String,
    /// One certificate offered at a time: the relay and the forwarder never move the same file.
    turn: Mutex<()>,
    last_error: Mutex<Option<String>>,
}

/// The spool's counts, for `GET /api/bench/v1/status` and `station-server status`.
pub fn spool_counts(spool: &Spool) -> anyhow::Result<(usize, usize, usize)> {
    let sent = std::fs::read_dir(spool.dir().join("sent"))?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.ends_with(".json") && !n.ends_with(".receipt.json") && !n.starts_with('.')
        })
        .count();
    Ok((spool.pending()?.len(), sent, spool.refused()?.len()))
}

impl Relay {
    /// A relay with its spool in `spool_dir`, forwarding to `registry`; `server_url` is this
    /// server's own address, said in the 202 answers.
    pub fn open(spool_dir: &Path, registry: &str, server_url: &str) -> anyhow::Result<Relay> {
        Ok(Relay {
            spool: Spool::open(spool_dir)?,
            client: RegistryClient::with_timeout(registry, REGISTRY_TIMEOUT),
            server_url: server_url.to_owned(),
            turn: Mutex::new(()),
            last_error: Mutex::new(None),
        })
    }

    /// The spool.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    fn set_error(&self, e: Option<String>) {
        if let Ok(mut g) = self.last_error.lock() {
            *g = e;
        }
    }

    /// `POST /api/v1/certificates`: the status and JSON body to answer.
    pub fn accept(&self, body: &[u8]) -> (u16, String) {
        let refuse = |code: &str, message: String| {
            (400, serde_json::json!({"error": {"code": code, "message": message}}).to_string())
        };
        // The file's name comes from the certificate's id: only a real UUID is taken, so a body
        // cannot name a path.
        let id = match certificate::strict::from_slice(body) {
            Err(e) => return refuse("invalid_json", format!("the body is not one JSON document: {e}")),
            Ok(v) => match v["certificate"]["id"].as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()) {
                Some(id) => id.hyphenated().to_string(),
                None => {
                    return refuse(
                        "invalid_certificate",
                        "the body has no certificate.id that is a UUID".into(),
                    )
                }
            },
        };
        let _turn = self.turn.lock().unwrap_or_else(|p| p.into_inner());
        let path = match self.spool.store(&id, body) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("spooling {id}: {e:#}");
                let message = format!("the bench server could not keep the certificate: {e:#}");
                return (
                    503,
                    serde_json::json!({"error": {"code": "spool_failed", "message": message}}).to_string(),
                );
            }
        };
        match self.forward_one(&path) {
            Ok(Forwarded::Answered { status, body, .. }) => (status, body),
            Ok(Forwarded::Queued(why)) => {
                tracing::info!("{id} kept for the registry: {why}");
                (202, self.queued_body())
            }
            Err(e) => {
                // Spooled durably, but moving it failed: it is pending, the forwarder retries.
                tracing::error!("{id}: {e:#}");
                (202, self.queued_body())
            }
        }
    }

    fn queued_body(&self) -> String {
        let pending = self.spool.pending().map(|p| p.len()).unwrap_or(0);
        serde_json::json!({"queued": true, "at": self.server_url, "pending": pending}).to_string()
    }

    /// Offers one pending certificate to the registry; the caller holds the turn.
    fn forward_one(&self, path: &Path) -> anyhow::Result<Forwarded> {
        let body = std::fs::read(path)?;
        let (status, text) = match self.client.post_certificate(&body) {
            Ok(answer) => answer,
            Err(why) => {
                self.set_error(Some(why.clone()));
                return Ok(Forwarded::Queued(why));
            }
        };
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        let described = || {
            let message = answer["error"]["message"].as_str().unwrap_or(&text);
            format!("{}: HTTP {status}: {message}", self.client.base())
        };
        if status == 200 || status == 201 {
            self.spool.mark_sent(path, text.as_bytes())?;
            self.set_error(None);
            Ok(Forwarded::Answered { status, body: text, settled: true })
        } else if status >= 500 || status == 408 || status == 429 {
            self.set_error(Some(described()));
            Ok(Forwarded::Queued(described()))
        } else if is_final(status, code) {
            let kept = serde_json::json!({"status": status, "answer": answer, "error": answer["error"]});
            self.spool.set_aside(path, kept.to_string().as_bytes())?;
            self.set_error(Some(described()));
            Ok(Forwarded::Answered { status, body: text, settled: true })
        } else {
            // A seat not enrolled or approved yet: the station is told; the certificate stays
            // pending here too and goes once a supervisor approves the seat.
            self.set_error(Some(described()));
            Ok(Forwarded::Answered { status, body: text, settled: false })
        }
    }

    /// One forwarder round: every pending certificate in id order, stopping at the first the
    /// registry does not take in. Returns whether the spool is now empty of pending files that
    /// could be sent (false: wait longer before the next round).
    pub fn forward_pending(&self) -> anyhow::Result<bool> {
        let mut all_settled = true;
        for path in self.spool.pending()? {
            let _turn = self.turn.lock().unwrap_or_else(|p| p.into_inner());
            if !path.exists() {
                continue; // the relay settled it meanwhile
            }
            match self.forward_one(&path)? {
                Forwarded::Answered { status, settled, .. } => {
                    tracing::info!("forwarded {}: HTTP {status}", path.display());
                    all_settled &= settled;
                }
                Forwarded::Queued(why) => {
                    tracing::info!("registry still unreachable: {why}");
                    return Ok(false);
                }
            }
        }
        Ok(all_settled)
    }

    /// `GET /api/bench/v1/status`.
    pub fn status(&self) -> serde_json::Value {
        let (pending, sent, refused) = spool_counts(&self.spool).unwrap_or((0, 0, 0));
        let last_error = self.last_error.lock().ok().and_then(|g| g.clone());
        serde_json::json!({
            "pending": pending,
            "sent": sent,
            "refused": refused,
            "last_error": last_error,
            "registry": self.client.base(),
        })
    }
}

/// The wait before the next forwarder round: `interval` while rounds go well, doubling (up to
/// [`MAX_BACKOFF`], never less than `interval`) while they do not.
pub fn next_delay(current: Duration, interval: Duration, round_ok: bool) -> Duration {
    if round_ok {
        interval
    } else {
        (current * 2).min(MAX_BACKOFF.max(interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute_and_resets() {
        let i = Duration::from_secs(10);
        let mut d = i;
        let mut seen = vec![];
        for _ in 0..5 {
            d = next_delay(d, i, false);
            seen.push(d.as_secs());
        }
        assert_eq!(seen, [20, 40, 60, 60, 60]);
        assert_eq!(next_delay(d, i, true), i);
        assert_eq!(
            next_delay(Duration::from_secs(90), Duration::from_secs(90), false),
            Duration::from_secs(90)
        );
    }
}
