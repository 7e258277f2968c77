//! Runs a bay session: the watcher, one worker thread per disk, sealing and pushing; on a
//! terminal ([`run_terminal`]) or headless from a batch file ([`run_batch`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use certificate::SigningIdentity;
use inventory::Root;
use sanitize::safety::SystemView;
use sanitize::WipeOptions;
use serde::Deserialize;

use super::watch::{self, Filter, Mode};
use super::{BayApp, Effect, Msg};
use crate::app::terminal::{next_key, ring};
use crate::app::{Delivery, Failure};
use crate::push::{PushOutcome, RegistryClient};
use crate::spool::Spool;

/// Where a session reads and writes.
#[derive(Debug, Clone)]
pub struct BayEnvironment {
    /// The station's data directory (key, settings, spool, journals, summaries in `bay/`).
    pub data_dir: PathBuf,
    /// Where /sys and /proc are read.
    pub root: PathBuf,
    /// Which block devices count.
    pub filter: Filter,
}

/// The effect runner of a bay session.
#[derive(Debug)]
pub struct BayRuntime {
    env: BayEnvironment,
    key: Arc<SigningIdentity>,
    spool: Arc<Spool>,
    registry: Option<String>,
    options: WipeOptions,
    auto_purge: bool,
    stops: HashMap<String, Arc<AtomicBool>>,
    tx: Sender<Msg>,
    /// Messages from the watcher and the workers.
    pub rx: Receiver<Msg>,
    /// How the watcher learns of disks.
    pub mode: Mode,
    /// Bells asked for.
    pub bells: u32,
    /// The summary files, once written.
    pub summary: Option<(PathBuf, PathBuf)>,
}

impl BayRuntime {
    /// Opens the key and spool and starts watching the disks.
    pub fn start(
        env: BayEnvironment,
        settings: &crate::app::settings::Settings,
    ) -> anyhow::Result<BayRuntime> {
        let key = crate::key::load_or_create(&env.data_dir)?;
        let spool = Spool::open(&env.data_dir.join("spool"))?;
        let (tx, rx) = channel();
        let (changes, mode) = watch::watch(env.root.clone(), env.filter.clone(), Duration::from_secs(2));
        let forward = tx.clone();
        std::thread::spawn(move || {
            for change in changes {
                if forward.send(Msg::Change(change)).is_err() {
                    return;
                }
            }
        });
        let (options, auto_purge) = match settings.method.as_deref().map(str::parse::<sanitize::Method>) {
            Some(Ok(method)) => (WipeOptions { method, ..WipeOptions::default() }, false),
            _ => (WipeOptions::default(), true),
        };
        Ok(BayRuntime {
            env,
            key: Arc::new(key),
            spool: Arc::new(spool),
            registry: settings.registry.clone(),
            options,
            auto_purge,
            stops: HashMap::new(),
            tx,
            rx,
            mode,
            bells: 0,
            summary: None,
        })
    }

    /// The station's key.
    pub fn key(&self) -> &SigningIdentity {
        &self.key
    }

    /// Starts what the effects ask for.
    pub fn run(&mut self, app: &BayApp, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Probe(name, path) => {
                    let (tx, root) = (self.tx.clone(), self.env.root.clone());
                    std::thread::spawn(move || {
                        let facts = crate::app::runtime::probe(&root, Some(vec![path]));
                        if let Some(candidate) = facts.disks.into_iter().next() {
                            let _ = tx.send(Msg::Probed(name, Box::new(candidate)));
                        }
                    });
                }
                Effect::Wipe(name, path) => {
                    let stop = Arc::new(AtomicBool::new(false));
                    self.stops.insert(name.clone(), Arc::clone(&stop));
                    let (tx, root) = (self.tx.clone(), self.env.root.clone());
                    let journal = self.env.data_dir.join("journal");
                    let (options, auto_purge) = (self.options.clone(), self.auto_purge);
                    std::thread::spawn(move || {
                        // Checked again at the last moment: a disk may have been mounted since.
                        if let Err(e) =
                            crate::run::check_disks(std::slice::from_ref(&path), &SystemView::at(&root))
                        {
                            let _ = tx.send(Msg::Refused(name, format!("{e:#}")));
                            return;
                        }
                        let records = crate::run::wipe_disks(
                            std::slice::from_ref(&path),
                            &Root::at(&root),
                            &options,
                            auto_purge,
                            Some(&journal),
                            &stop,
                            |e| {
                                let _ = tx.send(Msg::Wipe(name.clone(), e, Instant::now()));
                            },
                        );
                        if let Some(record) = records.into_iter().next() {
                            let _ = tx.send(Msg::Wiped(name, Box::new(record)));
                        }
                    });
                }
                Effect::Stop(name) => {
                    if let Some(stop) = self.stops.get(&name) {
                        stop.store(true, Ordering::SeqCst);
                    }
                }
                Effect::Seal(name, parts) => {
                    let (tx, key, spool) = (self.tx.clone(), Arc::clone(&self.key), Arc::clone(&self.spool));
                    let registry = self.registry.clone();
                    std::thread::spawn(move || match crate::run::seal(*parts, &key, &spool) {
                        // (one arm per outcome of sealing)
                        Ok((certificate, path)) => {
                            let _ = tx.send(Msg::Delivered(
                                name.clone(),
                                if registry.is_some() { Delivery::Sending } else { Delivery::NoRegistry },
                            ));
                            let _ = tx.send(Msg::Sealed(name.clone(), Ok(certificate.id)));
                            if let Some(url) = registry {
                                let d = match RegistryClient::new(&url).push(&spool, &path) {
                                    Ok(PushOutcome::Accepted { .. }) => Delivery::Sent,
                                    Ok(PushOutcome::Queued { .. }) => Delivery::Relayed,
                                    Ok(PushOutcome::Refused { status, message }) => {
                                        Delivery::Kept(format!("HTTP {status}: {message}"))
                                    }
                                    Ok(PushOutcome::Unreachable(why)) => Delivery::Kept(why),
                                    Err(e) => Delivery::Kept(format!("{e:#}")),
                                };
                                let _ = tx.send(Msg::Delivered(name, d));
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Msg::Sealed(
                                name,
                                Err(Failure { plain: "error.seal", details: format!("{e:#}") }),
                            ));
                        }
                    });
                }
                Effect::Bell => self.bells += 1,
                Effect::Finish => match write_summary(&self.env.data_dir, app) {
                    Ok(paths) => self.summary = Some(paths),
                    Err(e) => eprintln!("station: the session's summary could not be written: {e:#}"),
                },
            }
        }
    }
}

/// Writes `DATA/bay/<time>.csv` and `DATA/bay/<time>-labels.txt`.
fn write_summary(data_dir: &Path, app: &BayApp) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = data_dir.join("bay");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp = super::stamp();
    let csv = dir.join(format!("{stamp}.csv"));
    let labels = dir.join(format!("{stamp}-labels.txt"));
    crate::spool::write_durably(&csv, app.summary_csv().as_bytes())?;
    crate::spool::write_durably(&labels, app.labels().as_bytes())?;
    Ok((csv, labels))
}

/// Runs a session on the terminal until the operator ends it and every certificate is written.
pub fn run_terminal(mut app: BayApp, mut runtime: BayRuntime) -> anyhow::Result<BayApp> {
    let mut terminal = ratatui::init();
    let result = (|| -> anyhow::Result<()> {
        while !app.finished {
            terminal.draw(|frame| super::view::render(&app, runtime.mode, frame))?;
            ring(&mut runtime.bells);
            if let Some(key) = next_key()? {
                let effects = app.update(Msg::Key(key, Instant::now()));
                runtime.run(&app, effects);
            }
            while let Ok(msg) = runtime.rx.try_recv() {
                let effects = app.update(msg);
                runtime.run(&app, effects);
            }
            let effects = app.update(Msg::Tick(Instant::now()));
            runtime.run(&app, effects);
        }
        Ok(())
    })();
    ratatui::restore();
    result.map(|()| app)
}

/// A bay session's batch file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BayBatch {
    /// The lot code.
    pub lot: Option<String>,
    /// Who runs the station.
    pub operator: Option<String>,
    /// The registry's URL.
    pub registry: Option<String>,
    /// `auto` or an overwrite method.
    pub method: Option<String>,
    /// Must be `true` for anything to be wiped.
    #[serde(default)]
    pub confirm_wipe: bool,
    /// End the session once this many disks are done (verified, failed, interrupted or not
    /// answering).
    pub stop_after_disks: Option<usize>,
    /// End the session after this many seconds in any case.
    pub timeout_secs: Option<u64>,
    /// Seconds without progress before a disk counts as not answering (default 30).
    pub stall_secs: Option<u64>,
}

/// Runs a session headless; `observe` hears every state change of a disk.
pub fn run_batch(
    file: &BayBatch,
    env: BayEnvironment,
    mut observe: impl FnMut(&super::BayDisk),
) -> anyhow::Result<(BayApp, Option<(PathBuf, PathBuf)>)> {
    let mut settings = crate::app::settings::Settings::load(&env.data_dir)?;
    if file.lot.is_some() {
        settings.lot = file.lot.clone();
    }
    if file.operator.is_some() {
        settings.operator = file.operator.clone();
    }
    if file.registry.is_some() {
        settings.registry = file.registry.clone();
    }
    if let Some(m) = &file.method {
        settings.method = Some(m.clone()).filter(|m| m != "auto");
    }
    let mut runtime = BayRuntime::start(env, &settings)?;
    let name = settings.station_name.clone().unwrap_or_else(|| runtime.key().key_id()[..12].to_owned());
    let mut app = BayApp::new(settings, name);
    if let Some(s) = file.stall_secs {
        app.stall = Duration::from_secs(s);
    }
    if !file.confirm_wipe {
        anyhow::bail!("the batch file does not confirm the wipe (confirm_wipe = true): nothing was wiped");
    }
    let effects = app.update(Msg::ConfirmSession);
    runtime.run(&app, effects);
    let started = Instant::now();
    let timeout = Duration::from_secs(file.timeout_secs.unwrap_or(3600));
    let mut seen: Vec<super::BayState> = Vec::new();
    while !app.finished {
        if let Ok(msg) = runtime.rx.recv_timeout(Duration::from_millis(200)) {
            let effects = app.update(msg);
            runtime.run(&app, effects);
        }
        let effects = app.update(Msg::Tick(Instant::now()));
        runtime.run(&app, effects);
        for (i, d) in app.disks.iter().enumerate() {
            if seen.get(i) != Some(&d.state) {
                observe(d);
                if i < seen.len() {
                    seen[i] = d.state.clone();
                } else {
                    seen.push(d.state.clone());
                }
            }
        }
        if app.confirmed && !app.ending && app.disks.iter().any(|d| d.state == super::BayState::Waiting) {
            // Headless, a disk plugged back in is restarted, as the operator would with R.
            let effects = app.update(Msg::Key(crate::app::Key::Char('r'), Instant::now()));
            runtime.run(&app, effects);
        }
        let done = app.disks.iter().filter(|d| d.state.is_final()).count();
        if !app.ending && (file.stop_after_disks.is_some_and(|n| done >= n) || started.elapsed() >= timeout) {
            let effects = app.update(Msg::EndSession);
            runtime.run(&app, effects);
        }
    }
    Ok((app, runtime.summary.clone()))
}
