//! `registry`: the command line of the Seconde Vie registry.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use registry::{SqliteStore, Store};

#[derive(Parser)]
#[command(
    name = "registry",
    version,
    about = "The Seconde Vie registry: stations' signed certificates, kept and looked up"
)]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// SQLite database file (created if missing).
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: PathBuf,
        /// Address to listen on (port 0 picks a free port; the address is printed).
        #[arg(long, env = "REGISTRY_LISTEN", default_value = "127.0.0.1:8750")]
        listen: SocketAddr,
    },
    /// Manage enrolled stations.
    Station {
        #[command(subcommand)]
        command: StationCommand,
    },
}

#[derive(Subcommand)]
enum StationCommand {
    /// Enrol a station from its public key (`station key show` prints it).
    Add {
        /// SQLite database file.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: PathBuf,
        /// Base64 of the station's raw 32-byte Ed25519 public key.
        #[arg(long)]
        public_key: String,
        /// A name for the station, e.g. "atelier-montpellier-1".
        #[arg(long)]
        name: Option<String>,
    },
    /// List enrolled stations.
    List {
        /// SQLite database file.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();
    match run(cli.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn open(db: &std::path::Path) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(db).with_context(|| format!("opening the database {}", db.display()))
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { db, listen } => {
            let store: Arc<dyn Store> = Arc::new(open(&db)?);
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                let addr = listener.local_addr()?;
                // Tests and scripts read this line to learn the port.
                println!("registry listening on http://{addr}");
                std::io::stdout().flush()?;
                let shutdown = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                registry::serve(listener, store, shutdown).await?;
                Ok(())
            })
        }
        Command::Station { command: StationCommand::Add { db, public_key, name } } => {
            let store = open(&db)?;
            let station = registry::enrol_station(&store, &public_key, name.as_deref())?;
            println!(
                "enrolled station {} (key id {})",
                station.name.as_deref().unwrap_or("(unnamed)"),
                station.key_id
            );
            Ok(())
        }
        Command::Station { command: StationCommand::List { db } } => {
            let store = open(&db)?;
            for s in store.stations()? {
                let state = if s.revoked_at.is_some() { "revoked" } else { "active" };
                println!("{}\t{}\t{}\t{}", s.key_id, s.name.as_deref().unwrap_or("-"), s.enrolled_at, state);
            }
            Ok(())
        }
    }
}
