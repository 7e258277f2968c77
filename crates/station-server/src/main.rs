//! `station-server`: the bench server's command line (docs/netboot.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use station_server::config::{BenchConfig, Mode};
use station_server::seat_key;

#[derive(Parser)]
#[command(
    name = "station-server",
    version,
    about = "The Seconde Vie bench server: boots a bench's PCs over the network and relays their certificates to the registry."
)]
struct Cli {
    /// More log lines (-v: info, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check bench.toml (errors name the key and the line) and the boot directory.
    Check {
        /// The bench configuration.
        #[arg(long, default_value = "/etc/seconde-vie/bench.toml")]
        config: PathBuf,
    },
    /// Print the dnsmasq configuration generated from bench.toml.
    DnsmasqConf {
        /// The bench configuration.
        #[arg(long, default_value = "/etc/seconde-vie/bench.toml")]
        config: PathBuf,
    },
    /// Serve: dnsmasq (proxy-DHCP or range, TFTP), boot files, settings, the certificate relay.
    Serve {
        /// The bench configuration.
        #[arg(long, default_value = "/etc/seconde-vie/bench.toml")]
        config: PathBuf,
        /// Do not start dnsmasq (DHCP and TFTP are provided otherwise, or tests).
        #[arg(long)]
        no_dnsmasq: bool,
    },
    /// Ask the registry to enrol a seat's key (every seat without --seat); prints the code a
    /// supervisor approves.
    Enrol {
        /// The bench configuration.
        #[arg(long, default_value = "/etc/seconde-vie/bench.toml")]
        config: PathBuf,
        /// Only this seat.
        #[arg(long)]
        seat: Option<String>,
    },
    /// The relay's spool (pending, sent, refused) and each seat's key id.
    Status {
        /// The bench configuration.
        #[arg(long, default_value = "/etc/seconde-vie/bench.toml")]
        config: PathBuf,
        /// As JSON, as GET /api/bench/v1/status answers, with the seats.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("station-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &Path) -> anyhow::Result<BenchConfig> {
    BenchConfig::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check { config } => check(&load(&config)?),
        Command::DnsmasqConf { config } => {
            print!("{}", station_server::boot::dnsmasq_conf(&load(&config)?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { config, no_dnsmasq } => {
            station_server::serve::serve(load(&config)?, !no_dnsmasq)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Enrol { config, seat } => enrol(&load(&config)?, seat.as_deref()),
        Command::Status { config, json } => status(&load(&config)?, json),
    }
}

fn check(config: &BenchConfig) -> anyhow::Result<ExitCode> {
    println!("{}: valid", config.file.display());
    println!("  PCs reach this server at {} (interface {})", config.server_url(), config.interface);
    match &config.dhcp {
        station_server::config::Dhcp::Proxy { network, prefix } => {
            println!("  proxy-DHCP on {network}/{prefix}: the workshop router keeps giving the addresses")
        }
        station_server::config::Dhcp::Range(r) => {
            println!(
                "  DHCP range {r}: this server gives the addresses (no other DHCP server on this network!)"
            )
        }
    }
    println!(
        "  registry {}, forwarded every {}",
        config.registry,
        humantime::format_duration(config.forward_interval)
    );
    let mode = |m: Mode| if m == Mode::Batch { "batch: wipes every disk without a question" } else { "app" };
    println!("  every other PC: seat {} ({})", config.bench.seat, mode(config.bench.mode));
    for (mac, s) in &config.pcs {
        println!("  PC {mac}: seat {} ({})", s.seat, mode(s.mode));
    }
    let mut ok = true;
    for rel in ["vmlinuz", "initrd.img", "bios/core.0", "efi/bootnetx64.efi", "efi/grubx64.efi"] {
        let p = config.boot_dir.join(rel);
        if p.is_file() {
            println!("  ok      {}", p.display());
        } else {
            println!("  MISSING {} (docs/netboot.md: \"What the technician installs\")", p.display());
            ok = false;
        }
    }
    let squash = config.boot_dir.join("root.squashfs");
    if !squash.is_file() {
        println!("  note    {} is not there: only a test system can boot", squash.display());
    }
    let conf = std::env::temp_dir().join(format!("station-server-check-{}.conf", std::process::id()));
    std::fs::write(&conf, station_server::boot::dnsmasq_conf(config))?;
    match std::process::Command::new("dnsmasq")
        .arg("--test")
        .arg(format!("--conf-file={}", conf.display()))
        .output()
    {
        Ok(out) if out.status.success() => println!("  ok      dnsmasq accepts the generated configuration"),
        Ok(out) => {
            println!(
                "  ERROR   dnsmasq refuses the generated configuration: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            ok = false;
        }
        Err(e) => {
            println!("  MISSING dnsmasq ({e}): apt-get install dnsmasq-base");
            ok = false;
        }
    }
    let _ = std::fs::remove_file(&conf);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn enrol(config: &BenchConfig, only: Option<&str>) -> anyhow::Result<ExitCode> {
    let master = seat_key::load_or_create_master(&config.data_dir)?;
    let seats: Vec<_> = config.seats().into_iter().filter(|s| only.is_none_or(|o| o == s.seat)).collect();
    if seats.is_empty() {
        anyhow::bail!("no seat {:?} in {}", only.unwrap_or_default(), config.file.display());
    }
    let client = station::push::RegistryClient::new(&config.registry);
    for seat in seats {
        let key = seat_key::seat_identity(&master, &seat.seat);
        let (status, code) = client
            .enrol(&key.public_key_base64(), Some(&seat.seat))
            .map_err(|e| anyhow::anyhow!("enrolling seat {}: {e:#}", seat.seat))?;
        match code {
            Some(code) => println!(
                "seat {}: key {}, enrolment code {code} ({status}): a supervisor approves it on the registry {}",
                seat.seat,
                &key.key_id()[..16],
                config.registry
            ),
            None => println!("seat {}: key {}: {status}", seat.seat, &key.key_id()[..16]),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status(config: &BenchConfig, as_json: bool) -> anyhow::Result<ExitCode> {
    let spool = station::spool::Spool::open(&config.data_dir.join("spool"))?;
    let (pending, sent, refused) = station_server::relay::spool_counts(&spool)?;
    let master = seat_key::read_master(&config.data_dir)?;
    let seats: Vec<serde_json::Value> = config
        .seats()
        .into_iter()
        .map(|s| {
            let key_id = master.as_ref().map(|m| seat_key::seat_identity(m, &s.seat).key_id());
            serde_json::json!({"seat": s.seat, "key_id": key_id})
        })
        .collect();
    if as_json {
        let v = serde_json::json!({
            "pending": pending, "sent": sent, "refused": refused,
            "registry": config.registry, "seats": seats,
        });
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("registry {}", config.registry);
    println!("pending {pending}");
    println!("sent {sent}");
    println!("refused {refused}");
    for s in &seats {
        match s["key_id"].as_str() {
            Some(id) => println!("seat {} key {id}", s["seat"].as_str().unwrap_or_default()),
            None => println!(
                "seat {} key not made yet (no {} until the first serve or enrol)",
                s["seat"].as_str().unwrap_or_default(),
                config.data_dir.join(seat_key::MASTER_FILE).display()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
