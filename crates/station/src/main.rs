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
    #[command(subcommand)]
    command: Command,
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

#[derive(Subcommand)]
enum Command {
    /// Wipe and verify the named disks, then sign, spool and push the certificate.
    Run {
        /// A disk to wipe (a whole-disk block device, or a file standing for one). Repeat for several.
        #[arg(long = "disk", required = true)]
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
        /// Overwrite method.
        #[arg(long, default_value = "zero")]
        method: Method,
        /// Which passes to read back.
        #[arg(long, value_enum, default_value = "last")]
        verify: VerifyArg,
        /// Read /sys and /proc below this directory (tests).
        #[arg(long, default_value = "/", hide = true)]
        root: PathBuf,
    },
    /// Send the certificates still in the spool to the registry.
    Push {
        /// The registry's URL.
        #[arg(long, env = "SV_REGISTRY")]
        registry: String,
        /// The spool directory. Default: DATA_DIR/spool.
        #[arg(long)]
        spool: Option<PathBuf>,
    },
    /// The station's key.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// A one-line summary of this computer.
    Inventory {
        /// Read /sys and /proc below this directory.
        #[arg(long, default_value = "/")]
        root: PathBuf,
    },
    /// Check that a device holds only a pattern (zero, one, or hex bytes); exit 1 on any mismatch.
    Verify {
        /// zero, one, or hex bytes such as 924924.
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
    match cli.command {
        Command::Run { disks, registry, spool, operator, lot, method, verify, root } => {
            let verification = match verify {
                VerifyArg::None => VerificationMode::None,
                VerifyArg::Last => VerificationMode::LastPass,
                VerifyArg::All => VerificationMode::EveryPass,
            };
            let config = RunConfig {
                disks,
                operator,
                lot,
                station_name: None,
                options: WipeOptions { method, verification },
                root,
            };
            let key = station::key::load_or_create(&data)?;
            let spool = Spool::open(&spool.unwrap_or_else(|| data.join("spool")))?;
            let client = registry.as_deref().map(RegistryClient::new);
            let outcome = run_with_progress(&config, &key, &spool, client.as_ref())?;
            Ok(if outcome == Outcome::Sanitized { ExitCode::SUCCESS } else { ExitCode::from(1) })
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
        Command::Key { command: KeyCommand::Show } => {
            let key = station::key::load_or_create(&data)?;
            println!("public key: {}", key.public_key_base64());
            println!("key id:     {}", key.key_id());
            Ok(ExitCode::SUCCESS)
        }
        Command::Inventory { root } => {
            let host = inventory::probe_host(&inventory::Root::at(root));
            println!("{}", host.summary());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { pattern, device } => {
            let pattern = sanitize::parse_pattern(&pattern).map_err(anyhow::Error::msg)?;
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

fn bytes_bar(size: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(size);
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

/// Runs the pipeline with a progress bar per disk and a plain summary; returns the outcome.
pub(crate) fn run_with_progress(
    config: &RunConfig,
    key: &certificate::SigningIdentity,
    spool: &Spool,
    client: Option<&RegistryClient>,
) -> anyhow::Result<Outcome> {
    let stop = AtomicBool::new(false);
    let mut bar: Option<ProgressBar> = None;
    let total = config.disks.len();
    let report = station::run::run(config, key, spool, client, &stop, |event| match event {
        RunEvent::DiskStarted { index, path, size } => {
            bar = Some(bytes_bar(size, &format!("disk {}/{total} {}", index + 1, path.display())));
        }
        RunEvent::Progress { index, progress } => {
            if let Some(b) = &bar {
                let phase = match progress.phase {
                    Phase::Writing => "writing",
                    Phase::Verifying => "verifying",
                };
                b.set_message(format!(
                    "disk {}/{total} pass {}/{} {phase}",
                    index + 1,
                    progress.pass,
                    progress.passes
                ));
                b.set_length(progress.total);
                b.set_position(progress.done);
            }
        }
        RunEvent::DiskFinished { index, result } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            let path = config.disks[index].display();
            let word = match result {
                SanitizeResult::Verified => "✔ wiped and verified",
                SanitizeResult::NotVerified => "⚠ wiped, NOT verified",
                SanitizeResult::Failed => "✘ FAILED",
                SanitizeResult::Interrupted => "✘ INTERRUPTED",
            };
            println!("disk {}/{total} {path}: {word}", index + 1);
        }
    })?;
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
