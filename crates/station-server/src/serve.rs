//! `station-server serve`: writes GRUB's menu and dnsmasq's configuration, starts dnsmasq as a
//! child, serves HTTP and runs the forwarder, until SIGINT or SIGTERM (or dnsmasq dies).

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _};

use crate::config::BenchConfig;
use crate::http::ServerState;
use crate::relay::{next_delay, Relay};

/// How long dnsmasq must stay up at start to count as started.
const DNSMASQ_SETTLE: Duration = Duration::from_millis(1500);

/// dnsmasq as a child: its stderr is copied to ours (and its last lines kept for errors).
#[derive(Debug)]
pub struct Dnsmasq {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Dnsmasq {
    /// Starts `dnsmasq --keep-in-foreground --conf-file=CONF`; an error with dnsmasq's own words
    /// if it stops within its first second and a half.
    pub fn start(conf: &Path) -> anyhow::Result<Dnsmasq> {
        let mut child = Command::new("dnsmasq")
            .arg("--keep-in-foreground")
            .arg("--log-facility=-")
            .arg(format!("--conf-file={}", conf.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting dnsmasq (is it installed? apt-get install dnsmasq-base)")?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(pipe) = child.stderr.take() {
            let keep = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                    if line.trim().is_empty() {
                        continue;
                    }
                    eprintln!("dnsmasq: {line}");
                    if let Ok(mut k) = keep.lock() {
                        k.push(line);
                        let extra = k.len().saturating_sub(40);
                        k.drain(..extra);
                    }
                }
            });
        }
        let mut d = Dnsmasq { child, stderr };
        std::thread::sleep(DNSMASQ_SETTLE);
        if let Some(status) = d.child.try_wait()? {
            std::thread::sleep(Duration::from_millis(100)); // the last lines of its stderr
            bail!("dnsmasq stopped at once ({status}) with {}:\n{}", conf.display(), d.last_words());
        }
        Ok(d)
    }

    fn last_words(&self) -> String {
        self.stderr.lock().map(|k| k.join("\n")).unwrap_or_default()
    }

    /// Whether it has stopped, and how.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("{status}:\n{}", self.last_words())),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Stops it (SIGKILL) and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where `serve` writes dnsmasq's generated configuration.
pub fn dnsmasq_conf_path(config: &BenchConfig) -> PathBuf {
    config.data_dir.join("dnsmasq.conf")
}

/// Serves until a signal; `with_dnsmasq: false` for a bench whose DHCP and TFTP are elsewhere
/// (and for tests, which have no interface to give it).
pub fn serve(config: BenchConfig, with_dnsmasq: bool) -> anyhow::Result<()> {
    let master = crate::seat_key::load_or_create_master(&config.data_dir)?;
    let relay = Relay::open(&config.data_dir.join("spool"), &config.registry, &config.server_url())?;
    for p in crate::boot::write_grub_cfgs(&config)? {
        println!("GRUB menu written to {}", p.display());
    }
    let conf_path = dnsmasq_conf_path(&config);
    station::spool::write_durably(&conf_path, crate::boot::dnsmasq_conf(&config).as_bytes())?;
    let dnsmasq = if with_dnsmasq {
        let d = Dnsmasq::start(&conf_path)?;
        println!("dnsmasq started on {} with {}", config.interface, conf_path.display());
        Some(Arc::new(Mutex::new(d)))
    } else {
        println!("dnsmasq not started (--no-dnsmasq); its configuration is in {}", conf_path.display());
        None
    };
    let (pending, _, _) = crate::relay::spool_counts(relay.spool())?;
    let state =
        ServerState { config: Arc::new(config.clone()), master: Arc::new(master), relay: Arc::new(relay) };

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let watched = dnsmasq.clone();
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {} (server.listen in {})", config.listen, config.file.display()))?;
        println!(
            "station-server listening on {} for bench {}; registry {}; {pending} certificate(s) pending",
            config.server_url(),
            config.bench.seat,
            config.registry
        );

        let relay = Arc::clone(&state.relay);
        let interval = config.forward_interval;
        let forwarder = tokio::spawn(async move {
            let mut delay = interval;
            loop {
                tokio::time::sleep(delay).await;
                let r = Arc::clone(&relay);
                let ok = match tokio::task::spawn_blocking(move || r.forward_pending()).await {
                    Ok(Ok(ok)) => ok,
                    Ok(Err(e)) => {
                        tracing::error!("forwarding: {e:#}");
                        false
                    }
                    Err(e) => {
                        tracing::error!("forwarder: {e}");
                        false
                    }
                };
                delay = next_delay(delay, interval, ok);
            }
        });

        let (died_tx, died_rx) = tokio::sync::oneshot::channel::<String>();
        if let Some(d) = &watched {
            let d = Arc::clone(d);
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_millis(500));
                let exited = d.lock().ok().and_then(|mut d| d.exited());
                if let Some(why) = exited {
                    let _ = died_tx.send(why);
                    return;
                }
            });
        }
        let died = Arc::new(Mutex::new(None::<String>));
        let died_keep = Arc::clone(&died);
        let shutdown = async move {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {},
                Ok(why) = died_rx => { if let Ok(mut d) = died_keep.lock() { *d = Some(why); } },
            }
        };
        axum::serve(listener, crate::http::app(state)).with_graceful_shutdown(shutdown).await?;
        forwarder.abort();
        let why = died.lock().ok().and_then(|d| d.clone());
        if let Some(why) = why {
            bail!("dnsmasq stopped ({why}); station-server stops too");
        }
        Ok::<_, anyhow::Error>(())
    });
    if let Some(d) = dnsmasq {
        if let Ok(mut d) = d.lock() {
            d.stop();
        }
    }
    rt.shutdown_timeout(Duration::from_secs(5));
    result
}
