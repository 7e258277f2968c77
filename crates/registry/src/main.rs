//! `registry`: the command line of the Seconde Vie registry.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use registry::store::{self, Store};

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
        /// A SQLite file (created if missing) or a postgres://user@host/db URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// The log's signing key (created on first use, mode 0600).
        #[arg(long, env = "REGISTRY_KEY", default_value = "registry.key")]
        key: std::path::PathBuf,
        /// The log's origin line, also its key's name.
        #[arg(long, env = "REGISTRY_ORIGIN", default_value = registry::DEFAULT_ORIGIN)]
        origin: String,
        /// Address to listen on (port 0 picks a free port; the address is printed).
        #[arg(long, env = "REGISTRY_LISTEN", default_value = "127.0.0.1:8750")]
        listen: SocketAddr,
        /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
        #[arg(long, env = "REGISTRY_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, env = "REGISTRY_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
        /// Serve plain HTTP on an address other than loopback: only behind a reverse proxy
        /// that terminates TLS on the same machine or network.
        #[arg(long, env = "REGISTRY_PLAIN_HTTP")]
        plain_http: bool,
        #[command(flatten)]
        web: WebArgs,
        /// How long a request's work may run before it is stopped (tests use 0).
        #[arg(long, env = "REGISTRY_WORK_DEADLINE_MS", hide = true)]
        work_deadline_ms: Option<u64>,
    },
    /// Check a certificate offline: its signature, and with --receipt its place in the log.
    Verify {
        /// The certificate file.
        certificate: std::path::PathBuf,
        /// The registry's receipt (the ingest answer, or the receipt alone).
        #[arg(long)]
        receipt: Option<std::path::PathBuf>,
        /// The registry's log key (C2SP vkey, `GET /api/v1/log/key`).
        #[arg(long, env = "REGISTRY_VKEY")]
        vkey: Option<String>,
        /// A supervisor's signed decision on it (`GET /certificates/{id}/validation.json`).
        #[arg(long)]
        validation: Option<std::path::PathBuf>,
        /// The key id the validation must be signed with (the validator's, as its account page
        /// and `registry user key` show it); without it the file's own key is only reported.
        #[arg(long, requires = "validation")]
        validator_key: Option<String>,
    },
    /// Manage enrolled stations.
    Station {
        #[command(subcommand)]
        command: StationCommand,
    },
    /// Manage web interface accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens (for scripts: `Authorization: Bearer TOKEN`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Give donors' lots to donors.
    Lot {
        #[command(subcommand)]
        command: LotCommand,
    },
}

/// The web interface's settings (docs/web.md).
#[derive(clap::Args)]
struct WebArgs {
    /// The address people reach the registry at, for check links and QR codes on PDFs
    /// (default: http:// and the listening address).
    #[arg(long, env = "REGISTRY_PUBLIC_URL")]
    public_url: Option<String>,
    /// Mark cookies Secure (set when browsers reach the registry over HTTPS, e.g. behind a
    /// TLS reverse proxy).
    #[arg(long, env = "REGISTRY_SECURE_COOKIES")]
    secure_cookies: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from --password-file or the first line of stdin.
    Add {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// Login name.
        #[arg(long)]
        name: String,
        /// admin, supervisor or donor.
        #[arg(long)]
        role: registry::store::Role,
        /// For a donor account: a donor whose lots it sees (repeat for several).
        #[arg(long = "donor")]
        donors: Vec<String>,
        /// A file holding the password (never on the command line, where `ps` shows it).
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
    },
    /// List accounts.
    List {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
    },
    /// Set an account's password (from --password-file or stdin); its sessions end.
    Password {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// Login name.
        name: String,
        /// A file holding the password.
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
    },
    /// Show a supervisor's or admin's validation key; create it (with the account's password,
    /// from --password-file or stdin) if it has none yet.
    Key {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// Login name.
        #[arg(long)]
        name: String,
        /// A file holding the account's password (needed only to create the key).
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
    },
    /// Delete an account, its sessions and its API tokens.
    Remove {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// Login name.
        name: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an account; it is printed once, only its hash is kept.
    Add {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// The account the token acts as.
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long)]
        label: Option<String>,
    },
    /// List API tokens by id (the start of their hash), account and label.
    List {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
    },
    /// Revoke an API token by the id `token list` shows.
    Revoke {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// The token's id (at least 8 hex digits).
        id: String,
    },
}

#[derive(Subcommand)]
enum LotCommand {
    /// Give a lot to a donor (created if new): the donor's accounts then see its certificates.
    Assign {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// The lot, as the stations wrote it (e.g. CD34-2026-017).
        lot: String,
        /// The donor.
        #[arg(long)]
        donor: String,
    },
    /// List lots with their donor and number of certificates.
    List {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
    },
}

#[derive(Subcommand)]
enum StationCommand {
    /// Enrol a station from its public key (`station key show` prints it).
    Add {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// Base64 of the station's raw 32-byte Ed25519 public key.
        #[arg(long)]
        public_key: String,
        /// A name for the station, e.g. "atelier-montpellier-1".
        #[arg(long)]
        name: Option<String>,
    },
    /// Approve a station that asked to enrol, by the code it shows on its screen.
    Approve {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// The code, e.g. K7XQ-2M9P.
        code: String,
    },
    /// Revoke a station: its later certificates are refused; earlier ones stay, marked.
    Revoke {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// The station's key id or name.
        station: String,
    },
    /// List enrolled stations.
    List {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
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

fn open(db: &str) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    store::open(db).with_context(|| format!("opening the database {db}"))
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { db, key, origin, listen, tls_cert, tls_key, plain_http, web, work_deadline_ms } => {
            if let Some(ms) = work_deadline_ms {
                registry::deadline::set_work_limit(std::time::Duration::from_millis(ms));
            }
            let tls = match (&tls_cert, &tls_key) {
                (Some(cert), Some(key)) => Some(registry::server::tls_config(cert, key)?),
                _ if listen.ip().is_loopback() || plain_http => None,
                _ => anyhow::bail!(
                    "{listen} is not a loopback address: give --tls-cert and --tls-key to serve HTTPS, \
                     or --plain-http if a reverse proxy in front of the registry does TLS"
                ),
            };
            let scheme = if tls.is_some() { "https" } else { "http" };
            let store = open(&db)?;
            let log = std::sync::Arc::new(registry::load_or_create_log_key(&key, &origin)?);
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("listening on {listen}"))?;
                let addr = listener.local_addr()?;
                // Tests and scripts read this line to learn the port.
                // Whoever started us may stop reading after the first line: never fail on stdout.
                let mut out = std::io::stdout();
                let _ = writeln!(out, "registry listening on {scheme}://{addr}");
                let _ = writeln!(out, "log key: {}", log.vkey());
                let _ = out.flush();
                let shutdown = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                let public_url = web.public_url.unwrap_or_else(|| format!("{scheme}://{addr}"));
                // Over TLS the browser certainly uses HTTPS; behind a proxy, --secure-cookies says so.
                let secure_cookies = web.secure_cookies || tls.is_some();
                let state = registry::AppState::new(store, log)
                    .with_web(registry::web::WebConfig::new(&public_url, secure_cookies));
                registry::serve_state(listener, state, tls, shutdown).await?;
                Ok(())
            })
        }
        Command::Verify { certificate, receipt, vkey, validation, validator_key } => {
            verify(&certificate, receipt.as_deref(), vkey.as_deref())?;
            match validation {
                Some(v) => verify_validation(&certificate, &v, validator_key.as_deref()),
                None => Ok(()),
            }
        }
        Command::User { command: UserCommand::Key { db, name, password_file } } => {
            let store = open(&db)?;
            let user = store.user(&name)?.with_context(|| format!("no account is named {name:?}"))?;
            let key = match store.validator_key(&user.name)? {
                Some(key) => key,
                None => {
                    let password = read_password(password_file.as_deref())?;
                    registry::validation::account_key(store.as_ref(), &user, &password)?.1
                }
            };
            println!("validation key of {} ({})", shown(&user.name), user.role.as_str());
            println!("key id: {}", key.key_id);
            println!("public key: {}", key.public_key);
            println!("created: {}", key.created_at);
            Ok(())
        }
        Command::Station { command: StationCommand::Add { db, public_key, name } } => {
            let store = open(&db)?;
            let station = registry::enrol_station(store.as_ref(), &public_key, name.as_deref())?;
            println!(
                "enrolled station {} (key id {})",
                shown_or(station.name.as_deref(), "(unnamed)"),
                station.key_id
            );
            Ok(())
        }
        Command::Station { command: StationCommand::Approve { db, code } } => {
            let station = open(&db)?.approve(&code)?;
            println!(
                "approved station {} (key id {})",
                shown_or(station.name.as_deref(), "(unnamed)"),
                station.key_id
            );
            Ok(())
        }
        Command::Station { command: StationCommand::Revoke { db, station } } => {
            let station = open(&db)?.revoke(&station)?;
            println!(
                "revoked station {} (key id {}) at {}; its earlier certificates stay, marked",
                shown_or(station.name.as_deref(), "(unnamed)"),
                station.key_id,
                station.revoked_at.as_deref().unwrap_or("?")
            );
            Ok(())
        }
        Command::User { command: UserCommand::Add { db, name, role, donors, password_file } } => {
            let password = read_password(password_file.as_deref())?;
            let store = open(&db)?;
            let user = registry::accounts::add_user(store.as_ref(), &name, role, &password, &donors)?;
            println!("created account {} ({})", user.name, user.role.as_str());
            Ok(())
        }
        Command::User { command: UserCommand::List { db } } => {
            for u in open(&db)?.users()? {
                println!(
                    "{}\t{}\t{}\t{}",
                    shown(&u.name),
                    u.role.as_str(),
                    shown(&u.donors.join(",")),
                    u.created_at
                );
            }
            Ok(())
        }
        Command::Token { command: TokenCommand::Add { db, user, label } } => {
            let token = registry::accounts::add_token(open(&db)?.as_ref(), &user, label.as_deref())?;
            // The token alone on stdout, for scripts; the explanation on stderr.
            println!("{token}");
            eprintln!("API token for {user}: shown once, keep it secret (Authorization: Bearer TOKEN)");
            Ok(())
        }
        Command::User { command: UserCommand::Password { db, name, password_file } } => {
            let password = read_password(password_file.as_deref())?;
            registry::accounts::set_password(open(&db)?.as_ref(), &name, &password)?;
            println!("new password for {name}; its sessions ended");
            Ok(())
        }
        Command::User { command: UserCommand::Remove { db, name } } => {
            open(&db)?.remove_user(&name)?;
            println!("removed account {name}, its sessions and its API tokens");
            Ok(())
        }
        Command::Token { command: TokenCommand::List { db } } => {
            for t in open(&db)?.api_tokens()? {
                println!(
                    "{}\t{}\t{}\t{}",
                    t.id,
                    shown(&t.user),
                    shown_or(t.label.as_deref(), "-"),
                    t.created_at
                );
            }
            Ok(())
        }
        Command::Token { command: TokenCommand::Revoke { db, id } } => {
            let t = open(&db)?.revoke_api_token(&id)?;
            println!("revoked API token {} of {}", t.id, t.user);
            Ok(())
        }
        Command::Lot { command: LotCommand::Assign { db, lot, donor } } => {
            registry::api::check_lot(&lot).map_err(anyhow::Error::msg)?;
            open(&db)?.assign_lot(&lot, &donor)?;
            println!("lot {lot} belongs to donor {donor}");
            Ok(())
        }
        Command::Lot { command: LotCommand::List { db } } => {
            for l in open(&db)?.lots()? {
                println!("{}\t{}\t{}", shown(&l.lot), shown_or(l.donor.as_deref(), "-"), l.certificates);
            }
            Ok(())
        }
        Command::Station { command: StationCommand::List { db } } => {
            for s in open(&db)?.stations()? {
                let state = if s.revoked_at.is_some() {
                    "revoked".to_owned()
                } else if s.approved_at.is_some() {
                    "approved".to_owned()
                } else {
                    format!("waiting for approval, code {}", shown_or(s.enrolment_code.as_deref(), "?"))
                };
                println!(
                    "{}\t{}\t{}\t{}",
                    shown(&s.key_id),
                    shown_or(s.name.as_deref(), "-"),
                    shown(&s.requested_at),
                    state
                );
            }
            Ok(())
        }
    }
}

/// `text` as it may reach a terminal: control and bidirectional formatting characters (ESC, BEL,
/// CR, LF, TAB, U+202E…) written as `\u{1b}`, and `\` as `\\`, so that a name or a lot made
/// up by a station or an anonymous client cannot move the cursor, rewrite a line or forge a row.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if registry::api::is_forbidden_in_names(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn shown_or(text: Option<&str>, none: &str) -> String {
    text.map(shown).unwrap_or_else(|| none.to_owned())
}

fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        None => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("reading the password from stdin")?;
            line
        }
    };
    let password = text.lines().next().unwrap_or("").to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password: give --password-file FILE, or the password on the first line of stdin"
    );
    Ok(password)
}

/// Checks a validation file against the certificate file at `certificate`.
fn verify_validation(
    certificate: &std::path::Path,
    path: &std::path::Path,
    expected_key: Option<&str>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(certificate).with_context(|| format!("reading {}", certificate.display()))?;
    let verified = certificate::SignedDocument::from_json(&bytes)
        .and_then(|d| d.verify())
        .with_context(|| format!("{} does not verify", certificate.display()))?;
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let value = certificate::strict::from_slice(&text)
        .with_context(|| format!("{} is not strict JSON", path.display()))?;
    let file: registry::validation::ValidationFile = serde_json::from_value(value)
        .with_context(|| format!("{} is not a validation file", path.display()))?;
    let id = verified.certificate.id.to_string();
    let statement = registry::validation::verify_against(&file, &id, &verified.canonical)
        .with_context(|| format!("the validation {} does not verify", path.display()))?;
    if let Some(expected) = expected_key {
        anyhow::ensure!(
            statement.validator.key_id.eq_ignore_ascii_case(expected.trim()),
            "the validation {} was signed with key {}, not the expected {}",
            path.display(),
            statement.validator.key_id,
            expected.trim()
        );
    }
    println!(
        "{} by {} ({}) at {}: signature OK (validator key {}{})",
        statement.decision.as_str(),
        shown(&statement.validator.name),
        shown(&statement.validator.role),
        statement.at,
        statement.validator.key_id,
        if expected_key.is_some() { ", the expected one" } else { "; compare it with the account's key id" }
    );
    if let Some(reason) = &statement.reason {
        println!("reason: {}", shown(reason));
    }
    Ok(())
}

fn verify(
    path: &std::path::Path,
    receipt: Option<&std::path::Path>,
    vkey: Option<&str>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let verified = certificate::SignedDocument::from_json(&bytes)
        .and_then(|d| d.verify())
        .with_context(|| format!("{} does not verify", path.display()))?;
    let c = &verified.certificate;
    println!("certificate {}: signature OK (station key {}), result {}", c.id, c.station.key_id, c.result);
    let Some(receipt_path) = receipt else { return Ok(()) };
    let vkey = vkey.context(
        "--vkey (or REGISTRY_VKEY) is needed to check a receipt: ask the registry's GET /api/v1/log/key",
    )?;
    let text = std::fs::read(receipt_path).with_context(|| format!("reading {}", receipt_path.display()))?;
    let value = certificate::strict::from_slice(&text)
        .with_context(|| format!("{} is not strict JSON", receipt_path.display()))?;
    let receipt: certificate::log::Receipt =
        serde_json::from_value(value.get("receipt").cloned().unwrap_or(value))
            .with_context(|| format!("{} holds no receipt", receipt_path.display()))?;
    let checkpoint = receipt.verify(&verified.canonical, vkey).with_context(|| {
        format!("the receipt {} does not prove this certificate is in the log", receipt_path.display())
    })?;
    println!(
        "in the log of {}: leaf {} of a tree of {} leaves, checkpoint signature OK",
        checkpoint.origin, receipt.leaf_index, checkpoint.size
    );
    Ok(())
}
