//! `station`: the command line of the Seconde Vie station.

#[cfg(feature = "demo")]
mod demo;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use certificate::{Outcome, SanitizeResult, VerificationMode};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sanitize::{Method, Phase, WipeOptions};
use station::push::{PushOutcome, RegistryClient};
use station::run::{RunConfig, RunEvent};
use station::spool::Spool;

#[derive(Parser)]
#[command(
    name = "station",
    version,
    about = "Seconde Vie station: inventory, wipe, verify and certify a donated PC"
)]
struct Cli {
    /// The station's data directory (key, spool). Default: $SV_DATA_DIR, else ~/.local/share/seconde-vie.
    #[arg(long, global = true, env = "SV_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Without a command: the guided station app (what the live USB starts on tty1).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum VerifyArg {
    /// Do not read back (the disk cannot be certified).
    None,
    /// Read back the last pass.
    Last,
    /// Read back every pass.
    All,
}

/// How disks are wiped (shared by `run` and `wipe`).
#[derive(clap::Args)]
struct WipeArgs {
    /// Overwrite method: zero, one, random, dod-3, hmg-is5-enhanced, gutmann, or custom:00,ff,random.
    /// Without it, each disk gets the policy's choice: the best firmware Purge it supports (NVMe
    /// Sanitize/Format, ATA SANITIZE/SECURITY ERASE), verified by read-back, else one zero pass.
    #[arg(long)]
    method: Option<Method>,
    /// Which passes to read back.
    #[arg(long, value_enum, default_value = "last")]
    verify: VerifyArg,
    /// Read back only this percentage of the disk (evenly spread blocks plus the first and last MiB).
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    sample: Option<f64>,
    /// The keystream of random passes: aes128-ctr or chacha20. Without it, AES-128-CTR where the
    /// processor has AES instructions, else ChaCha20 (docs/sanitization.md).
    #[arg(long, value_name = "ALGORITHM")]
    random_algorithm: Option<sanitize::RandomAlgorithm>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 100.0 => Ok(p),
        _ => Err(format!("{s:?} is not a percentage between 0 and 100")),
    }
}

impl WipeArgs {
    fn auto_purge(&self) -> bool {
        self.method.is_none()
    }

    fn options(self) -> WipeOptions {
        let verification = match self.verify {
            VerifyArg::None => VerificationMode::None,
            VerifyArg::Last => VerificationMode::LastPass,
            VerifyArg::All => VerificationMode::EveryPass,
        };
        WipeOptions {
            method: self.method.unwrap_or_default(),
            verification,
            sample_percent: self.sample,
            random_algorithm: self.random_algorithm,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// The guided station app on this terminal (the default command).
    App {
        /// Offer only these disks (block devices or files standing for disks) instead of every
        /// disk of the machine. Repeat for several.
        #[arg(long = "disk")]
        disks: Vec<PathBuf>,
        /// Read /sys and /proc below this directory (tests).
        #[arg(long, default_value = "/", hide = true)]
        root: PathBuf,
        /// How the station tests the hardware by itself while the worker does the checks.
        #[command(flatten)]
        tests: station::diagnose::TestArgs,
        /// Do not test the hardware (processor, memory, disks, battery, network).
        #[arg(long)]
        no_hardware_tests: bool,
    },
    /// Wipe and verify the named disks, then sign, spool and push the certificate.
    /// With --batch, run the station app headless, answering its questions from a TOML file.
    Run {
        /// Answer the station app's questions from this file (see docs/station-app.md).
        #[arg(long, conflicts_with_all = ["disks", "lot", "spool"])]
        batch: Option<PathBuf>,
        /// A disk to wipe (a whole-disk block device, or a file standing for one). Repeat for several.
        #[arg(long = "disk", required_unless_present = "batch")]
        disks: Vec<PathBuf>,
        /// The registry's URL, e.g. http://127.0.0.1:8750.
        #[arg(long, env = "SV_REGISTRY")]
        registry: Option<String>,
        /// Where signed certificates are kept until the registry has them. Default: DATA_DIR/spool.
        #[arg(long)]
        spool: Option<PathBuf>,
        /// Who runs the station.
        #[arg(long, env = "SV_OPERATOR", default_value = "unnamed operator")]
        operator: String,
        /// The donor's lot code.
        #[arg(long)]
        lot: Option<String>,
        #[command(flatten)]
        wipe: WipeArgs,
        /// Read /sys and /proc below this directory (tests).
        #[arg(long, default_value = "/", hide = true)]
        root: PathBuf,
    },
    /// Wipe and verify disks and print one JSON sanitization record per disk (no certificate).
    Wipe {
        #[command(flatten)]
        wipe: WipeArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Only say what would be done.
        #[arg(long)]
        dry_run: bool,
        /// The disks (whole-disk block devices, or files standing for disks).
        #[arg(required = true)]
        devices: Vec<PathBuf>,
    },
    /// Write a free-software system image onto a wiped disk, verify it, and finish it (GPT,
    /// root partition grown, machine-id, hostname); prints the imaging record as JSON.
    Image(station::image_cmd::ImageArgs),
    /// Loose disks: every disk plugged in during the session is wiped, verified and certified,
    /// one certificate each (docs/bay.md). With --batch, headless, ended by the file's limits.
    Bay {
        /// Answer the session's questions from this file instead of the terminal.
        #[arg(long)]
        batch: Option<PathBuf>,
        /// Also take loop and device-mapper devices (tests on virtual disks).
        #[arg(long, hide = true)]
        include_virtual: bool,
        /// Take only loop devices backed by files below this directory, and device-mapper
        /// devices on them (tests: never another disk).
        #[arg(long, hide = true, value_name = "DIR")]
        only_backed_under: Option<PathBuf>,
        /// Read /sys and /proc below this directory (tests).
        #[arg(long, default_value = "/", hide = true)]
        root: PathBuf,
        /// Only these disks (repeat): any other disk plugged in is ignored.
        #[arg(long = "disk", value_name = "DEVICE")]
        disks: Vec<PathBuf>,
    },
    /// Grade a unit from a grading input (JSON) with the workshop's policy; prints the grade and
    /// its reasons.
    Grade(station::grade_cmd::GradeArgs),
    /// Send the certificates still in the spool to the registry.
    Push {
        /// The registry's URL.
        #[arg(long, env = "SV_REGISTRY")]
        registry: String,
        /// The spool directory. Default: DATA_DIR/spool.
        #[arg(long)]
        spool: Option<PathBuf>,
    },
    /// On a PC booted from a bench server: fetch this PC's settings and station key from it
    /// (by the MAC addresses of its network cards) into the data directory (docs/netboot.md).
    Netboot {
        /// The bench server, e.g. http://10.77.0.1:8760 (the kernel's sv.server=).
        #[arg(long)]
        server: String,
        /// A MAC address to ask with instead of the network cards' (repeat for several).
        #[arg(long = "mac")]
        macs: Vec<String>,
        /// Replace a different station key already in the data directory.
        #[arg(long)]
        replace_key: bool,
    },
    /// Ask the registry to enrol this station; shows the code a supervisor approves.
    Enrol {
        /// The registry's URL.
        #[arg(long, env = "SV_REGISTRY")]
        registry: String,
        /// A name for this station, e.g. atelier-montpellier-1.
        #[arg(long)]
        name: Option<String>,
    },
    /// The station's key.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// What this computer is: the label line, its disks with their health, its monitors.
    Inventory {
        /// Read /sys and /proc below this directory.
        #[arg(long, default_value = "/")]
        root: PathBuf,
        /// Machine-readable output: the full typed inventory as JSON.
        #[arg(long)]
        json: bool,
        /// Skip the one-second CPU benchmark.
        #[arg(long)]
        no_benchmark: bool,
        /// Do not run smartctl on the disks.
        #[arg(long)]
        no_smart: bool,
    },
    /// Run the hardware tests the station does by itself: processor under load, memory, each
    /// disk's SMART self-test and read speed, battery, network (docs/diagnostics.md). Exit 1 if
    /// one fails. Disks are only read.
    Diagnose {
        /// Read /sys and /proc below this directory.
        #[arg(long, default_value = "/")]
        root: PathBuf,
        /// A disk to self-test and read-sample (repeatable).
        #[arg(long = "disk")]
        disks: Vec<PathBuf>,
        /// How long and how much.
        #[command(flatten)]
        tests: station::diagnose::TestArgs,
        /// Print the results as JSON (the certificate's `hardware_tests`).
        #[arg(long)]
        json: bool,
    },
    /// Check that a device holds a pass's content (zero, one, hex bytes, or a recorded random
    /// pass); exit 1 on any mismatch.
    Verify {
        /// zero, one, hex bytes such as 924924, or random:ALGORITHM:SEED with the `algorithm` and
        /// `seed` a certificate records for a random pass (regenerated here, either algorithm).
        #[arg(long, default_value = "zero")]
        pattern: String,
        /// The device or file.
        device: PathBuf,
    },
    /// Show the whole chain on two fake donated disks, with a local registry (no root, no real disk).
    #[cfg(feature = "demo")]
    Demo,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print the public key (base64 of the raw 32 bytes) and its key id.
    Show,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("station: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The data directory: --data-dir, $SV_DATA_DIR, $XDG_DATA_HOME/seconde-vie, ~/.local/share/seconde-vie.
fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("seconde-vie")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/seconde-vie")))
        .unwrap_or_else(|| PathBuf::from("/var/lib/seconde-vie"))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data = data_dir(cli.data_dir);
    // A workshop registry with its own CA: the file on the stick's data partition pins it.
    let ca = data.join("registry-ca.pem");
    if std::env::var_os(station::push::REGISTRY_CA_ENV).is_none() && ca.is_file() {
        // Still one thread: nothing else reads the environment yet.
        std::env::set_var(station::push::REGISTRY_CA_ENV, &ca);
    }
    let command = cli.command.unwrap_or_else(|| Command::App {
        disks: Vec::new(),
        root: PathBuf::from("/"),
        tests: station::diagnose::TestArgs::default(),
        no_hardware_tests: false,
    });
    match command {
        Command::App { disks, root, tests, no_hardware_tests } => {
            report_leftover_journals(&data.join("journal"));
            let app_disks = Some(disks.clone()).filter(|d| !d.is_empty());
            let root_for_bay = root.clone();
            let env = station::app::runtime::Environment {
                data_dir: data.clone(),
                root,
                disks: Some(disks).filter(|d| !d.is_empty()),
                sound: true,
                hardware_tests: (!no_hardware_tests).then(|| tests.plan()),
            };
            let settings = station::app::settings::Settings::load(&data)?;
            let runtime = station::app::runtime::Runtime::new(env)?;
            let name =
                settings.station_name.clone().unwrap_or_else(|| runtime.key().key_id()[..12].to_owned());
            let app = station::app::App::new(settings, name)
                .with_notices(station::notice::unread(&data))
                .with_netboot(std::env::var("SV_NETBOOT").ok());
            let (app, open_bay) = station::app::terminal::run(app, runtime)?;
            if open_bay {
                let settings = station::app::settings::Settings::load(&data)?;
                // The same disks as the app: `--disk` limits the bay too, and its root.
                let env = station::bay::runtime::BayEnvironment {
                    data_dir: data.clone(),
                    root: root_for_bay,
                    filter: station::bay::watch::Filter {
                        include_virtual: app_disks.is_some(),
                        backing_under: None,
                        only: app_disks,
                    },
                };
                let runtime = station::bay::runtime::BayRuntime::start(env, &settings)?;
                let name =
                    settings.station_name.clone().unwrap_or_else(|| runtime.key().key_id()[..12].to_owned());
                let bay =
                    station::bay::runtime::run_terminal(station::bay::BayApp::new(settings, name), runtime)?;
                let bad = bay.disks.iter().any(|d| {
                    matches!(
                        d.state,
                        station::bay::BayState::Failed
                            | station::bay::BayState::Hung
                            | station::bay::BayState::Interrupted
                    )
                });
                return Ok(if bad { ExitCode::from(1) } else { ExitCode::SUCCESS });
            }
            if let Some(sealed) = &app.sealed {
                println!("{}", sealed.path.display());
            }
            eprintln!(
                "station: {} key presses besides the keyboard test, {} of them typing the lot code or the confirmation word",
                app.keystrokes, app.typed
            );
            // 0: every disk sanitized, or the worker left before any wipe (nothing to report);
            // 1: a certificate says failed, incomplete or interrupted, or none could be signed.
            Ok(match app.sealed.map(|s| s.result) {
                Some(Outcome::Sanitized) => ExitCode::SUCCESS,
                None if app.records.is_none() => ExitCode::SUCCESS,
                _ => ExitCode::from(1),
            })
        }
        Command::Run { batch: Some(file), root, registry, operator, wipe, .. } => {
            report_leftover_journals(&data.join("journal"));
            let mut batch = station::app::batch::BatchFile::load(&file)?;
            if registry.is_some() && batch.registry.is_none() {
                batch.registry = registry;
            }
            if batch.operator.is_none() && operator != "unnamed operator" {
                batch.operator = Some(operator);
            }
            if let (Some(m), None) = (&wipe.method, &batch.method) {
                batch.method = Some(m.name());
            }
            let env = station::app::runtime::Environment {
                data_dir: data.clone(),
                root,
                disks: None,
                sound: false,
                hardware_tests: batch.hardware_tests.as_ref().map(|t| t.plan()),
            };
            let report = station::app::batch::run(&batch, env, |app| {
                eprintln!("station: {}", app.t(station::app::view::title_key(app)));
            })?;
            let app = &report.app;
            let sealed = app.sealed.as_ref().ok_or_else(|| anyhow::anyhow!("no certificate was made"))?;
            println!(
                "{}",
                serde_json::json!({
                    "certificate": sealed.id,
                    "path": sealed.path,
                    "result": sealed.result,
                    "delivery": format!("{:?}", app.delivery),
                    "keystrokes": app.keystrokes,
                    "earlier_certificates": app.earlier.map(|(sent, left)| serde_json::json!({"sent": sent, "waiting": left})),
                    "earlier_interrupted": report.notices.iter().map(|n| match n {
                        Ok(n) => serde_json::json!({"certificate": n.certificate_id, "cause": n.cause, "disks": n.disks.iter().map(|d| &d.path).collect::<Vec<_>>()}),
                        Err(why) => serde_json::json!({"unreadable": why}),
                    }).collect::<Vec<_>>(),
                })
            );
            Ok(if sealed.result == Outcome::Sanitized { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Run { disks, registry, spool, operator, lot, wipe, root, batch: None } => {
            report_leftover_journals(&data.join("journal"));
            let settings = station::app::settings::Settings::load(&data)?;
            let config = RunConfig {
                disks,
                operator,
                lot,
                station_name: None,
                auto_purge: wipe.auto_purge(),
                options: wipe.options(),
                root,
                journal_dir: Some(data.join("journal")),
                performed_by: settings.performer(),
                post_sanitization: settings.post_sanitization(),
            };
            let key = station::key::load_or_create(&data)?;
            let spool = Spool::open(&spool.unwrap_or_else(|| data.join("spool")))?;
            let client = registry.as_deref().map(RegistryClient::new);
            let outcome = run_with_progress(&config, &key, &spool, client.as_ref())?;
            Ok(if outcome == Outcome::Sanitized { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Bay { batch, include_virtual, only_backed_under, root, disks } => {
            report_leftover_journals(&data.join("journal"));
            let env = station::bay::runtime::BayEnvironment {
                data_dir: data.clone(),
                root,
                filter: station::bay::watch::Filter {
                    include_virtual: include_virtual || only_backed_under.is_some() || !disks.is_empty(),
                    backing_under: only_backed_under,
                    only: Some(disks).filter(|d| !d.is_empty()),
                },
            };
            let (app, summary) = match batch {
                Some(file) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let batch: station::bay::runtime::BayBatch = toml::from_str(&text)
                        .with_context(|| format!("{} is not a valid bay batch file", file.display()))?;
                    station::bay::runtime::run_batch(&batch, env, |d| {
                        eprintln!("station: {} {}", d.name, station::bay::state_code(&d.state));
                    })?
                }
                None => {
                    let settings = station::app::settings::Settings::load(&data)?;
                    let runtime = station::bay::runtime::BayRuntime::start(env, &settings)?;
                    let name = settings
                        .station_name
                        .clone()
                        .unwrap_or_else(|| runtime.key().key_id()[..12].to_owned());
                    let app = station::bay::BayApp::new(settings, name);
                    let app = station::bay::runtime::run_terminal(app, runtime)?;
                    (app, None)
                }
            };
            for d in &app.disks {
                println!(
                    "{}",
                    serde_json::json!({
                        "device": d.progress.path,
                        "serial": d.facts.as_ref().and_then(|f| f.serial.clone()),
                        "state": station::bay::state_code(&d.state),
                        "certificate": d.certificate,
                        "delivery": d.delivery.as_ref().map(|x| format!("{x:?}")),
                        "error": d.error,
                    })
                );
            }
            if let Some((csv, labels)) = summary {
                eprintln!("station: summary in {} and {}", csv.display(), labels.display());
            }
            let bad = app.disks.iter().any(|d| {
                matches!(
                    d.state,
                    station::bay::BayState::Failed
                        | station::bay::BayState::Hung
                        | station::bay::BayState::Interrupted
                )
            });
            Ok(if bad { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Grade(args) => {
            print!("{}", station::grade_cmd::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Image(args) => {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let record = station::image_cmd::run(&args, &mut |p| {
                bar.set_message(match p.phase {
                    imaging::Phase::Writing => "writing",
                    imaging::Phase::Verifying => "verifying",
                });
                if let Some(total) = p.total {
                    bar.set_length(total);
                }
                bar.set_position(p.done);
            })?;
            bar.finish_and_clear();
            println!("{}", serde_json::to_string_pretty(&record)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Wipe { wipe, yes, dry_run, devices } => {
            let auto_purge = wipe.auto_purge();
            let options = wipe.options();
            let view = sanitize::safety::SystemView::default();
            station::run::check_disks(&devices, &view)?;
            report_leftover_journals(&data.join("journal"));
            let plan = describe_plan(&devices, &options);
            eprintln!("{plan}");
            if dry_run {
                eprintln!("dry run: nothing was written");
                return Ok(ExitCode::SUCCESS);
            }
            if !yes && !confirm(&devices)? {
                eprintln!("not confirmed: nothing was written");
                return Ok(ExitCode::from(2));
            }
            let stop = stop_on_ctrl_c();
            let root = inventory::Root::default();
            let bars = Bars::new(&devices);
            let records = station::run::wipe_disks(
                &devices,
                &root,
                &options,
                auto_purge,
                Some(&data.join("journal")),
                &stop,
                |e| bars.event(&e),
            );
            // Non-zero when a disk failed or was interrupted; `--verify none` is not a failure
            // (its record says `not_verified`, and no certificate will call it sanitized).
            let mut any_failed = false;
            for r in &records {
                any_failed |=
                    matches!(r.sanitization.result, SanitizeResult::Failed | SanitizeResult::Interrupted);
                println!("{}", serde_json::to_string(r)?);
            }
            Ok(if any_failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Push { registry, spool } => {
            let spool = Spool::open(&spool.unwrap_or_else(|| data.join("spool")))?;
            let client = RegistryClient::new(&registry);
            let results = client.push_all(&spool)?;
            if results.is_empty() {
                println!("nothing to send: the spool {} is empty", spool.dir().display());
            }
            let mut all_sent = true;
            for (path, outcome) in &results {
                all_sent &= report_push(path, outcome);
            }
            let left = spool.pending()?.len();
            if left > 0 {
                println!("{left} certificate(s) still waiting in {}", spool.dir().join("pending").display());
            }
            Ok(if all_sent && left == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Netboot { server, macs, replace_key } => {
            let macs = if macs.is_empty() {
                station::netboot::machine_macs(Path::new("/sys/class/net"))
            } else {
                macs.iter().map(|m| m.trim().to_ascii_lowercase().replace('-', ":")).collect()
            };
            let settings = station::netboot::fetch(&server, &macs)?;
            let written = station::netboot::install(&data, &settings, replace_key)?;
            println!(
                "seat {} mode {} (from {}, for {})",
                settings.seat,
                settings.mode,
                server.trim_end_matches('/'),
                macs.join(", ")
            );
            for p in written {
                println!("  wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Enrol { registry, name } => {
            let key = station::key::load_or_create(&data)?;
            let (status, code) =
                RegistryClient::new(&registry).enrol(&key.public_key_base64(), name.as_deref())?;
            match (status.as_str(), code) {
                ("approved", _) => println!("This station is enrolled. / Cette station est enregistrée."),
                ("revoked", _) => {
                    println!("This station was revoked: ask a supervisor. / Cette station a été révoquée.");
                    return Ok(ExitCode::from(1));
                }
                (_, Some(code)) => {
                    println!("Code d'enregistrement / Enrolment code:\n\n    {code}\n");
                    println!("A supervisor approves it with: registry station approve {code}");
                }
                (other, None) => println!("registry says: {other}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Key { command: KeyCommand::Show } => {
            let key = station::key::load_or_create(&data)?;
            println!("public key: {}", key.public_key_base64());
            println!("key id:     {}", key.key_id());
            Ok(ExitCode::SUCCESS)
        }
        Command::Inventory { root, json, no_benchmark, no_smart } => {
            let options = inventory::Options {
                smart: !no_smart,
                benchmark: !no_benchmark,
                endurance: Some(grading::Policy::default_policy().disk.endurance),
            };
            inventory_report(&inventory::Root::at(root), json, &options)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diagnose { root, disks, tests, json } => {
            let plan = diagnostics::Plan { disks, ..tests.plan() };
            let tests =
                diagnostics::run(&inventory::Root::at(root), &plan, &AtomicBool::new(false), |event| {
                    if let diagnostics::Event::Started(what) = event {
                        eprintln!("testing: {what}");
                    }
                });
            if json {
                println!("{}", serde_json::to_string_pretty(&tests)?);
            } else {
                for t in &tests {
                    let device = t.device.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
                    let word = |v: serde_json::Value| v.as_str().unwrap_or("?").to_owned();
                    let (kind, status) =
                        (word(serde_json::to_value(t.kind)?), word(serde_json::to_value(t.status)?));
                    println!("{kind}{device}: {status}");
                    for d in &t.details {
                        println!("  {d}");
                    }
                }
            }
            let failed = tests.iter().any(|t| t.status == certificate::CheckStatus::Fail);
            Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Verify { pattern, device } => {
            let pattern = sanitize::parse_pass_pattern(&pattern).map_err(anyhow::Error::msg)?;
            let mut dev = sanitize::DeviceFile::open(&device)
                .with_context(|| format!("opening {}", device.display()))?;
            let size = sanitize::BlockDevice::size(&dev);
            let bar = bytes_bar(size, &format!("verifying {}", device.display()));
            let out = sanitize::verify_device(&mut dev, &pattern, &AtomicBool::new(false), |done, _| {
                bar.set_position(done)
            });
            bar.finish_and_clear();
            let ok = out.mismatched_bytes == 0 && out.errors.is_empty() && out.bytes == size;
            println!(
                "{}: {} bytes read, {} mismatching bytes in {} range(s), {} read error(s)",
                device.display(),
                out.bytes,
                out.mismatched_bytes,
                out.mismatches.len(),
                out.errors.len()
            );
            for r in out.mismatches.iter().take(10) {
                println!("  mismatch at bytes {}..{}", r.start, r.end);
            }
            for e in out.errors.iter().take(10) {
                println!("  {}", e.message);
            }
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        #[cfg(feature = "demo")]
        Command::Demo => demo::run(),
    }
}

/// Prints the inventory: the label line and a short summary per part, or the full JSON.
fn inventory_report(root: &inventory::Root, json: bool, options: &inventory::Options) -> anyhow::Result<()> {
    let inv = inventory::probe_inventory(root, options);
    if json {
        println!("{}", serde_json::to_string_pretty(&inv)?);
        return Ok(());
    }
    for line in inv.summary_lines() {
        println!("{line}");
    }
    Ok(())
}

fn bytes_bar(size: u64, message: &str) -> ProgressBar {
    use std::io::IsTerminal as _;
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(size) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:40} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(message.to_owned());
    bar
}

/// Describes what a wipe will do, for the confirmation and for `--dry-run`.
fn describe_plan(devices: &[PathBuf], options: &WipeOptions) -> String {
    let passes = options.method.specs().len();
    let verify = match (options.verification, options.sample_percent) {
        (VerificationMode::None, _) => "no read-back".to_owned(),
        (mode, Some(p)) => format!("{mode:?} read-back of {p}% of each disk"),
        (mode, None) => format!("{mode:?} read-back of every byte"),
    };
    let mut out = format!("method {} ({passes} pass(es)), {verify}, on:", options.method);
    for d in devices {
        let size = sanitize::DeviceFile::open(d).map(|f| sanitize::BlockDevice::size(&f)).unwrap_or(0);
        out.push_str(&format!("\n  {}  {:.1} GB", d.display(), size as f64 / 1e9));
    }
    out
}

/// Asks the operator to type the word WIPE; a stray key press cannot start a wipe.
fn confirm(devices: &[PathBuf]) -> anyhow::Result<bool> {
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("refusing to wipe without confirmation: no terminal to ask on; pass --yes");
    }
    eprint!("Everything on these {} disk(s) will be destroyed. Type WIPE to go on: ", devices.len());
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim() == "WIPE")
}

/// A flag set by Ctrl-C: the wipes stop after their current chunk and say so in their records.
fn stop_on_ctrl_c() -> std::sync::Arc<AtomicBool> {
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        eprintln!("\nstopping after the current block; the record will say the wipe was interrupted");
    });
    stop
}

/// Turns what a run that died left in the journals into signed certificates saying
/// `interrupted` (spooled, sent with the next push) and notices for the worker; says so on
/// stderr. A failure here is reported and the journals stay for the next start.
fn report_leftover_journals(dir: &Path) {
    let data = dir.parent().unwrap_or(dir);
    let recovered = station::key::load_or_create(data).and_then(|key| {
        let spool = station::spool::Spool::open(&data.join("spool"))?;
        station::journal::recover(dir, data, &key, &spool)
    });
    match recovered {
        Ok(r) => {
            for (c, path) in &r.certificates {
                for d in c.disks.iter().filter(|d| d.sanitization.result == SanitizeResult::Interrupted) {
                    eprintln!(
                        "note: the wipe of {} did not finish (power cut, crash or forced stop); it is recorded as \
                         interrupted in certificate {} ({}). The disk is not sanitized: wipe it again.",
                        d.path,
                        c.id,
                        path.display()
                    );
                }
            }
        }
        Err(e) => eprintln!(
            "station: the journals of an interrupted wipe in {} could not be recorded: {e:#}",
            dir.display()
        ),
    }
}

/// One progress bar per disk, all at once.
struct Bars {
    multi: indicatif::MultiProgress,
    bars: Vec<ProgressBar>,
    names: Vec<String>,
}

impl Bars {
    fn new(devices: &[PathBuf]) -> Self {
        use std::io::IsTerminal as _;
        // Not a terminal: no bars at all (and no terminal-size queries on every update).
        let multi = if std::io::stderr().is_terminal() {
            indicatif::MultiProgress::new()
        } else {
            indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden())
        };
        let names: Vec<String> = devices.iter().map(|d| d.display().to_string()).collect();
        let bars = names.iter().map(|n| multi.add(bytes_bar(0, n))).collect();
        Bars { multi, bars, names }
    }

    /// A line about one disk, above the bars; on stderr when there are none (stdout may carry JSON).
    fn say(&self, index: usize, what: &str) {
        let line = format!("disk {}/{} {}: {what}", index + 1, self.bars.len(), self.names[index]);
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }

    fn event(&self, event: &RunEvent) {
        match event {
            RunEvent::DiskStarted { index, size, .. } => self.bars[*index].set_length(*size),
            RunEvent::Progress { index, progress } => {
                let b = &self.bars[*index];
                let phase = match progress.phase {
                    Phase::Writing => "writing",
                    Phase::Verifying => "verifying",
                };
                b.set_message(format!(
                    "{} pass {}/{} {phase}",
                    self.names[*index], progress.pass, progress.passes
                ));
                b.set_length(progress.total);
                b.set_position(progress.done);
            }
            RunEvent::Notice { index, message } => self.say(*index, message),
            RunEvent::DiskFinished { index, result } => {
                let word = match result {
                    SanitizeResult::Verified => "✔ wiped and verified",
                    SanitizeResult::NotVerified => "⚠ wiped, NOT verified",
                    SanitizeResult::Failed => "✘ FAILED",
                    SanitizeResult::Interrupted => "✘ INTERRUPTED",
                };
                self.bars[*index].finish_and_clear();
                self.say(*index, word);
            }
        }
    }
}

/// Runs the pipeline with a progress bar per disk and a plain summary; returns the outcome.
pub(crate) fn run_with_progress(
    config: &RunConfig,
    key: &certificate::SigningIdentity,
    spool: &Spool,
    client: Option<&RegistryClient>,
) -> anyhow::Result<Outcome> {
    let stop = stop_on_ctrl_c();
    let bars = Bars::new(&config.disks);
    let report = station::run::run(config, key, spool, client, &stop, |event| bars.event(&event))?;
    let cert = &report.certificate;
    for (i, d) in cert.disks.iter().enumerate() {
        for e in d.sanitization.errors.iter().take(5) {
            println!("  disk {} {}: {}", i + 1, d.path, e.message);
        }
    }
    println!("certificate {} ({}): {}", cert.id, cert.result, report.spooled_at.display());
    if let Some(outcome) = &report.push {
        report_push(&report.spooled_at, outcome);
    } else {
        println!("no registry given: the certificate waits in the spool; send it with `station push --registry URL`");
    }
    Ok(cert.result)
}

fn report_push(path: &Path, outcome: &PushOutcome) -> bool {
    match outcome {
        PushOutcome::Accepted { url, .. } => {
            println!("registry: recorded at {url}");
            true
        }
        PushOutcome::Queued { at, pending, .. } => {
            println!(
                "kept by the bench server {at}, which will forward it to the registry ({pending} waiting there)"
            );
            true
        }
        PushOutcome::Refused { status, message } => {
            println!("registry refused {} ({status}): {message}; it stays in the spool", path.display());
            false
        }
        PushOutcome::Unreachable(why) => {
            println!(
                "registry unreachable ({why}); {} stays in the spool, send it later with `station push`",
                path.display()
            );
            false
        }
    }
}
