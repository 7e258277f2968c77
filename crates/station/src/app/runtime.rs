//! Runs the app's effects: each long job on its own thread, answering with [`Msg`]s on one
//! channel. The terminal loop and the batch runner both drive an [`App`] with it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use certificate::SigningIdentity;
use inventory::Root;
use sanitize::safety::{self, SystemView};

use super::{App, Delivery, DiskCandidate, Effect, Enrolment, Facts, Failure, Msg, Sealed, Tone};
use crate::push::{PushOutcome, RegistryClient};
use crate::spool::Spool;

/// Where the runtime reads and writes.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The station's data directory (settings, key, spool, journals).
    pub data_dir: PathBuf,
    /// Where /sys, /proc and /dev are read (tests point it at a fixture tree).
    pub root: PathBuf,
    /// The disks to offer, instead of every disk the system has (tests, and workshops that
    /// name their disks).
    pub disks: Option<Vec<PathBuf>>,
    /// Play the sound check's tone through the sound card (off in tests).
    pub sound: bool,
    /// What the station tests by itself while the worker does the checks (the disks are added:
    /// those it will wipe); `None`: no hardware test.
    pub hardware_tests: Option<diagnostics::Plan>,
}

/// The effect runner.
#[derive(Debug)]
pub struct Runtime {
    env: Environment,
    key: Arc<SigningIdentity>,
    spool: Arc<Spool>,
    stop: Arc<AtomicBool>,
    /// Ends the hardware tests early (the worker leaves).
    tests_stop: Arc<AtomicBool>,
    /// Set while the hardware tests run: a wipe waits for them (they read the disks).
    testing: Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    tx: Sender<Msg>,
    /// Messages from the workers.
    pub rx: Receiver<Msg>,
    workers: Vec<std::thread::JoinHandle<()>>,
    /// Terminal bells asked for and not yet rung.
    pub bells: u32,
    /// Set once the app asked to leave.
    pub quit: bool,
    /// Set when the worker chose the loose-disks session on the welcome screen.
    pub open_bay: bool,
}

impl Runtime {
    /// A runtime over a data directory (the key and spool are made there if missing).
    pub fn new(env: Environment) -> anyhow::Result<Runtime> {
        let key = crate::key::load_or_create(&env.data_dir)?;
        let spool = Spool::open(&env.data_dir.join("spool"))?;
        let (tx, rx) = channel();
        Ok(Runtime {
            env,
            key: Arc::new(key),
            spool: Arc::new(spool),
            stop: Arc::new(AtomicBool::new(false)),
            tests_stop: Arc::new(AtomicBool::new(false)),
            testing: Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new())),
            tx,
            rx,
            workers: Vec::new(),
            bells: 0,
            quit: false,
            open_bay: false,
        })
    }

    /// The station's signing key.
    pub fn key(&self) -> &SigningIdentity {
        &self.key
    }

    /// The flag the wipe threads watch (Ctrl+C handlers set it too).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Starts what the effects ask for; returns at once.
    pub fn run(&mut self, app: &App, effects: Vec<Effect>) {
        for effect in effects {
            self.run_one(app, effect);
        }
        self.workers.retain(|w| !w.is_finished());
    }

    fn spawn(&mut self, job: impl FnOnce(Sender<Msg>) + Send + 'static) {
        let tx = self.tx.clone();
        self.workers.push(std::thread::spawn(move || job(tx)));
    }

    fn run_one(&mut self, app: &App, effect: Effect) {
        match effect {
            Effect::Probe => {
                let root = self.env.root.clone();
                let disks = self.env.disks.clone();
                self.spawn(move |tx| {
                    let _ = tx.send(Msg::Facts(Box::new(probe(&root, disks))));
                });
            }
            Effect::Diagnose(disks) => match self.env.hardware_tests.clone() {
                None => {
                    let _ = self.tx.send(Msg::Diagnosed);
                }
                Some(plan) => {
                    let plan = diagnostics::Plan { disks, ..plan };
                    let root = self.env.root.clone();
                    let stop = Arc::clone(&self.tests_stop);
                    let testing = Arc::clone(&self.testing);
                    // Marked busy here, not in the thread: a wipe asked for at once must wait.
                    *testing.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
                    self.spawn(move |tx| {
                        diagnostics::run(&Root::at(&root), &plan, &stop, |event| {
                            let _ = tx.send(Msg::Diagnosis(event));
                        });
                        *testing.0.lock().unwrap_or_else(|e| e.into_inner()) = false;
                        testing.1.notify_all();
                        let _ = tx.send(Msg::Diagnosed);
                    });
                }
            },
            Effect::Wipe { disks, options, auto_purge } => {
                let root = self.env.root.clone();
                let journal_dir = self.env.data_dir.join("journal");
                // Before any byte is written: whatever happens next ends in a signed record.
                if let Err(e) = crate::journal::save_run(&journal_dir, &app.certificate_parts()) {
                    let _ = self.tx.send(Msg::WipeRefused(Failure {
                        plain: "error.journal",
                        details: format!("{e:#}"),
                    }));
                    return;
                }
                let stop = Arc::clone(&self.stop);
                let testing = Arc::clone(&self.testing);
                self.spawn(move |tx| {
                    // The hardware tests read the disks: the wipe starts once they are done.
                    let (busy, done) = &*testing;
                    let mut running = busy.lock().unwrap_or_else(|e| e.into_inner());
                    while *running {
                        running = done.wait(running).unwrap_or_else(|e| e.into_inner());
                    }
                    drop(running);
                    // The checks run again at the last moment: a disk may have been mounted or
                    // swapped since the inventory.
                    if let Err(e) = crate::run::check_disks(&disks, &SystemView::at(&root)) {
                        let _ = tx.send(Msg::WipeRefused(Failure {
                            plain: "error.wipe_refused",
                            details: format!("{e:#}"),
                        }));
                        return;
                    }
                    let records = crate::run::wipe_disks(
                        &disks,
                        &Root::at(&root),
                        &options,
                        auto_purge,
                        Some(&journal_dir),
                        &stop,
                        |e| {
                            let _ = tx.send(Msg::Wipe(e, Instant::now()));
                        },
                    );
                    let _ = tx.send(Msg::WipeFinished(records));
                });
            }
            Effect::StopWipe => {
                self.stop.store(true, Ordering::SeqCst);
                self.tests_stop.store(true, Ordering::SeqCst);
            }
            Effect::Journal(parts) => {
                if let Err(e) = crate::journal::save_run(&self.env.data_dir.join("journal"), &parts) {
                    let _ = self
                        .tx
                        .send(Msg::Failed(Failure { plain: "error.journal", details: format!("{e:#}") }));
                }
            }
            Effect::NoticesRead => {
                if let Err(e) = crate::notice::mark_read(&self.env.data_dir) {
                    let _ = self
                        .tx
                        .send(Msg::Failed(Failure { plain: "error.settings", details: format!("{e:#}") }));
                }
            }
            Effect::Seal { parts, deliver: send } => {
                let key = Arc::clone(&self.key);
                let spool = Arc::clone(&self.spool);
                let registry = app.settings.registry.clone().filter(|_| send);
                let data_dir = self.env.data_dir.clone();
                let cause = if app.quitting {
                    crate::notice::Cause::Stopped
                } else {
                    crate::notice::Cause::Interrupted
                };
                self.spawn(move |tx| {
                    let (certificate, path) = match crate::run::seal(*parts, &key, &spool) {
                        Ok(done) => done,
                        Err(e) => {
                            let _ = tx.send(Msg::Sealed(Err(Failure {
                                plain: "error.seal",
                                details: format!("{e:#}"),
                            })));
                            return;
                        }
                    };
                    crate::journal::clear_run(&data_dir.join("journal"));
                    if crate::notice::needed(&certificate) {
                        let notice = crate::notice::Notice::of(&certificate, cause);
                        if let Err(e) = crate::notice::save(&data_dir, &notice) {
                            eprintln!(
                                "station: the notice of certificate {} was not saved: {e:#}",
                                certificate.id
                            );
                        }
                    }
                    let _ = tx.send(Msg::Sealed(Ok(Sealed {
                        id: certificate.id,
                        path: path.clone(),
                        result: certificate.result,
                    })));
                    if let Some(url) = registry {
                        let (delivery, moved) = deliver(&url, &spool, &path);
                        if let Some(moved) = moved {
                            let _ = tx.send(Msg::Moved(moved));
                        }
                        let _ = tx.send(Msg::Delivered(delivery));
                    }
                });
            }
            Effect::Grade(input) => {
                let policy_path = self.env.data_dir.join("grading-policy.toml");
                self.spawn(move |tx| {
                    let _ = tx.send(Msg::Graded(grade(&policy_path, &input)));
                });
            }
            Effect::FindImages { ram_bytes, disk_bytes, target } => {
                let dir = self.env.data_dir.join("images");
                self.spawn(move |tx| {
                    let _ = tx.send(Msg::Images(find_images(&dir, ram_bytes, disk_bytes, target)));
                });
            }
            Effect::WriteImage(plan) => {
                self.spawn(move |tx| {
                    let mut last = Instant::now();
                    let result = crate::image_cmd::install(&plan, &mut |p| {
                        // The writer reports every block; the screen needs a few a second.
                        if last.elapsed() >= std::time::Duration::from_millis(100) {
                            last = Instant::now();
                            let _ = tx.send(Msg::ImageProgress(p));
                        }
                    });
                    let _ = tx.send(Msg::Imaged(match result {
                        Ok(record) => serde_json::to_value(&record)
                            .map_err(|e| Failure { plain: "error.image", details: e.to_string() }),
                        Err(e) => Err(Failure { plain: "error.image", details: format!("{e:#}") }),
                    }));
                });
            }
            Effect::Tone => {
                self.bells += 1;
                if self.env.sound {
                    self.spawn(|tx| {
                        // Through the sound card when ALSA's speaker-test is there; the bell
                        // above covers machines with only a PC speaker. What really played is
                        // what the certificate records.
                        let played = std::process::Command::new("speaker-test")
                            .args(["-t", "sine", "-f", "440", "-l", "1", "-p", "1000"])
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::piped())
                            .output();
                        let sound_card = match played {
                            Ok(o) if o.status.success() => Ok(()),
                            Ok(o) => Err(format!(
                                "speaker-test failed ({}): {}",
                                o.status,
                                String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or_default().trim()
                            )),
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                                Err("speaker-test (alsa-utils) is not installed".into())
                            }
                            Err(e) => Err(format!("speaker-test could not start: {e}")),
                        };
                        let _ = tx.send(Msg::Tone(Tone { sound_card, bell: true }));
                    });
                } else {
                    let _ = self.tx.send(Msg::Tone(Tone {
                        sound_card: Err("sound through the sound card is off in this run".into()),
                        bell: true,
                    }));
                }
            }
            Effect::Bell => self.bells += 1,
            Effect::PushPending(url) => {
                let spool = Arc::clone(&self.spool);
                self.spawn(move |tx| {
                    let client = RegistryClient::new(&url);
                    let (sent, left) = match client.push_all(&spool) {
                        Ok(results) => {
                            let sent = results
                                .iter()
                                .filter(|(_, o)| {
                                    matches!(o, PushOutcome::Accepted { .. } | PushOutcome::Queued { .. })
                                })
                                .count();
                            (sent, spool.pending().map(|p| p.len()).unwrap_or(0))
                        }
                        Err(_) => (0, spool.pending().map(|p| p.len()).unwrap_or(0)),
                    };
                    let _ = tx.send(Msg::PendingPushed { sent, left });
                    let _ = tx.send(Msg::RefusedCertificates(refused_lines(&spool)));
                });
            }
            Effect::Enrol(url) => {
                let public_key = self.key.public_key_base64();
                let name = app.settings.station_name.clone();
                self.spawn(move |tx| {
                    let answer = RegistryClient::new(&url).enrol(&public_key, name.as_deref());
                    let _ = tx.send(Msg::Enrolled(match answer {
                        Ok((status, code)) => Ok(Enrolment { code, status }),
                        Err(e) => Err(Failure { plain: "error.enrol", details: format!("{e:#}") }),
                    }));
                });
            }
            Effect::SaveSettings(settings) => {
                if let Err(e) = settings.save(&self.env.data_dir) {
                    let _ = self
                        .tx
                        .send(Msg::Failed(Failure { plain: "error.settings", details: format!("{e:#}") }));
                }
            }
            Effect::Quit => {
                self.tests_stop.store(true, Ordering::SeqCst);
                self.quit = true;
            }
            Effect::OpenBay => {
                self.tests_stop.store(true, Ordering::SeqCst);
                self.open_bay = true;
                self.quit = true;
            }
        }
    }

    /// Waits for every worker thread (used before leaving, so no write is cut short).
    pub fn join(&mut self) {
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Grades with the workshop's policy (`DATA/grading-policy.toml`) or the built-in default.
fn grade(policy_path: &Path, input: &grading::GradingInput) -> Result<Box<grading::Grade>, Failure> {
    let policy = match std::fs::read_to_string(policy_path) {
        Ok(text) => grading::Policy::from_toml(&text).map_err(|e| Failure {
            plain: "error.policy",
            details: format!("{}: {e}", policy_path.display()),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => grading::Policy::default_policy(),
        Err(e) => {
            return Err(Failure { plain: "error.policy", details: format!("{}: {e}", policy_path.display()) })
        }
    };
    Ok(Box::new(grading::grade(input, &policy)))
}

/// The images of the data partition's `images/` that fit the unit: `images/catalogue.json`,
/// signed with the key in `images/image-key.pub`, naming files beside it.
fn find_images(dir: &Path, ram_bytes: u64, disk_bytes: u64, target: PathBuf) -> super::ImageStep {
    use super::ImageStep;
    let catalogue_path = dir.join("catalogue.json");
    if !catalogue_path.exists() {
        return ImageStep::Nothing {
            reason: "image.none",
            details: format!("{} does not exist", catalogue_path.display()),
        };
    }
    let catalogue = match crate::image_cmd::load_catalogue(&catalogue_path, &dir.join("image-key.pub")) {
        Ok(c) => c,
        Err(e) => return ImageStep::Nothing { reason: "image.bad_catalogue", details: format!("{e:#}") },
    };
    let unit = imaging::UnitCapacity { ram_bytes, disk_bytes, architecture: None, boot_mode: None };
    let images: Vec<imaging::ImageManifest> =
        imaging::images_that_fit(&catalogue, &unit).into_iter().cloned().collect();
    if images.is_empty() {
        return ImageStep::Nothing {
            reason: "image.none_fits",
            details: format!(
                "{} images, none fits {ram_bytes} bytes of RAM and a {disk_bytes}-byte disk",
                catalogue.images.len()
            ),
        };
    }
    ImageStep::Offer { images, dir: dir.to_owned(), target }
}

/// The certificates set aside in the spool, one line each: the file's name and the reason.
fn refused_lines(spool: &Spool) -> Vec<String> {
    spool
        .refused()
        .unwrap_or_default()
        .into_iter()
        .map(|(path, why)| {
            let name = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            format!("{name}: {why}")
        })
        .collect()
}

/// Sends the certificate; says where it is now when the registry took it (`sent/`).
fn deliver(url: &str, spool: &Spool, path: &Path) -> (Delivery, Option<PathBuf>) {
    match RegistryClient::new(url).push(spool, path) {
        Ok(PushOutcome::Accepted { path, .. }) => (Delivery::Sent, Some(path)),
        Ok(PushOutcome::Queued { path, .. }) => (Delivery::Relayed, Some(path)),
        Ok(PushOutcome::Refused { status, message }) => {
            (Delivery::Kept(format!("{url}: HTTP {status}: {message}")), None)
        }
        Ok(PushOutcome::Unreachable(why)) => (Delivery::Kept(why), None),
        Err(e) => (Delivery::Kept(format!("{e:#}")), None),
    }
}

/// Size of a disk: the kernel's count of 512-byte sectors for a block device, the length of a
/// file standing for one.
fn disk_size(path: &Path, root: &Path) -> u64 {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    if let Some(name) = real.file_name().and_then(|n| n.to_str()) {
        let sys = Root::at(root).join(&format!("/sys/class/block/{name}/size"));
        if let Some(sectors) = std::fs::read_to_string(sys).ok().and_then(|s| s.trim().parse::<u64>().ok()) {
            if real.starts_with("/dev") {
                return sectors * 512;
            }
        }
    }
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The inventory the app shows: the host, every disk with its health and whether it is
/// protected, and the power supplies.
pub fn probe(root: &Path, disks: Option<Vec<PathBuf>>) -> Facts {
    let inv_root = Root::at(root);
    let host = inventory::probe_host(&inv_root);
    let view = SystemView::at(root);
    let paths = disks.unwrap_or_else(|| inventory::list_disks(&inv_root));
    let disks = paths
        .into_iter()
        .map(|path| {
            let facts =
                inventory::probe_disk(&path, &inv_root, &grading::Policy::default_policy().disk.endurance);
            let (health, health_reasons) = match facts.health {
                Some(h) => (h.verdict, h.reasons),
                None => (inventory::smart::HealthVerdict::Unknown, Vec::new()),
            };
            DiskCandidate {
                size: disk_size(&path, root),
                protected: safety::check_target(&path, &view).err().map(|r| r.to_string()),
                path,
                model: facts.model.value().cloned(),
                serial: facts.serial.value().cloned(),
                health,
                health_reasons,
            }
        })
        .collect();
    Facts { host, disks, power: inventory::power::probe_power(&inv_root) }
}
