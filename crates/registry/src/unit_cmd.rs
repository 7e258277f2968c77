//! `registry partner …` and `registry unit …`: a unit's life on the command line (docs/web.md,
//! "A unit's life"), the same rules as the unit pages and the API.

use clap::Subcommand;
use registry::store::{find_unit, Store, UnitQuery};
use registry::units::ActionFields;

#[derive(Subcommand)]
pub enum PartnerCommand {
    /// Add a partner organisation, to which units are allocated.
    Add {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// Its name, e.g. "CCAS de Montpellier".
        name: String,
        /// ccas, mission_locale, ase, france_travail, association or other.
        #[arg(long)]
        kind: registry::units::PartnerKind,
    },
    /// List partner organisations.
    List {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
    },
}

/// Where a unit is and who acts on it.
#[derive(clap::Args)]
pub struct UnitTarget {
    /// A SQLite file or a postgres:// URL.
    #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
    db: String,
    /// The unit's serial (or, for a unit without serial, its certificate's id).
    serial: String,
    /// Its lot, when the serial is known in several.
    #[arg(long)]
    lot: Option<String>,
    /// Who does it, for the history (default: the login name, as `cli:NAME`).
    #[arg(long)]
    by: Option<String>,
}

#[derive(Subcommand)]
pub enum UnitCommand {
    /// Register a unit of a lot by hand, before any certificate names it.
    Receive {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// The lot.
        #[arg(long)]
        lot: String,
        /// The unit's serial.
        serial: String,
        /// Who received it.
        #[arg(long)]
        by: Option<String>,
    },
    /// List units (state, lot, serial, make and model, grade).
    List {
        /// A SQLite file or a postgres:// URL.
        #[arg(long, env = "REGISTRY_DB", default_value = "registry.sqlite")]
        db: String,
        /// Only in this state (received, wiped, imaged, graded, ready, allocated, returned, recycled).
        #[arg(long)]
        state: Option<registry::units::State>,
        /// Only of this lot.
        #[arg(long)]
        lot: Option<String>,
    },
    /// A unit's state and history.
    Show {
        #[command(flatten)]
        target: UnitTarget,
    },
    /// Mark a graded unit ready to give, at a price.
    Ready {
        #[command(flatten)]
        target: UnitTarget,
        /// free, solidaire (a one-off prix solidaire) or yearly (a contribution per year).
        #[arg(long)]
        price: String,
        /// The amount in euros (e.g. 25 or 12,50), unless free.
        #[arg(long)]
        amount: Option<String>,
    },
    /// Allocate a ready unit to a partner organisation. Never a name or address: the social
    /// worker's case reference only.
    Allocate {
        #[command(flatten)]
        target: UnitTarget,
        /// The partner organisation.
        #[arg(long)]
        partner: String,
        /// The social worker's case reference (1 to 64 characters).
        #[arg(long)]
        case_reference: String,
        /// rsa, ase, job_seekers, students or other.
        #[arg(long)]
        programme: String,
    },
    /// Record that an allocated unit came back.
    Return {
        #[command(flatten)]
        target: UnitTarget,
    },
    /// Record that a unit went to WEEE recycling.
    Recycle {
        #[command(flatten)]
        target: UnitTarget,
    },
}

fn actor(by: Option<String>) -> String {
    by.unwrap_or_else(|| format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())))
}

fn print_unit(u: &registry::store::UnitRow) {
    println!(
        "{}\t{}\t{}\t{} {}\t{}",
        u.state.as_str(),
        if u.lot.is_empty() { "-" } else { &u.lot },
        u.reference,
        u.vendor.as_deref().unwrap_or("?"),
        u.model.as_deref().unwrap_or("?"),
        u.evidence.grade.as_deref().unwrap_or("-"),
    );
}

pub fn partner(
    command: PartnerCommand,
    open: impl Fn(&str) -> anyhow::Result<std::sync::Arc<dyn Store>>,
) -> anyhow::Result<()> {
    match command {
        PartnerCommand::Add { db, name, kind } => {
            let p = open(&db)?.add_partner(&name, kind)?;
            println!("added partner {} ({})", p.name, p.kind.as_str());
        }
        PartnerCommand::List { db } => {
            for p in open(&db)?.partners()? {
                println!("{}\t{}\t{}", p.name, p.kind.as_str(), p.created_at);
            }
        }
    }
    Ok(())
}

pub fn unit(
    command: UnitCommand,
    open: impl Fn(&str) -> anyhow::Result<std::sync::Arc<dyn Store>>,
) -> anyhow::Result<()> {
    let (target, fields) = match command {
        UnitCommand::Receive { db, lot, serial, by } => {
            let u = open(&db)?.receive_unit(&lot, &serial, &actor(by))?;
            print_unit(&u);
            return Ok(());
        }
        UnitCommand::List { db, state, lot } => {
            let store = open(&db)?;
            let mut after = None;
            loop {
                let page = store.units(&UnitQuery {
                    state,
                    lot: lot.clone(),
                    after,
                    limit: 1000,
                    ..UnitQuery::default()
                })?;
                page.iter().for_each(print_unit);
                match page.last() {
                    Some(u) if page.len() == 1000 => after = Some((u.lot.clone(), u.reference.clone())),
                    _ => return Ok(()),
                }
            }
        }
        UnitCommand::Show { target } => {
            let store = open(&target.db)?;
            let u = find_unit(store.as_ref(), &target.serial, target.lot.as_deref())?;
            print_unit(&u);
            for e in store.unit_events(&u.lot, &u.reference)? {
                println!("  {}\t{}\t{}\t{}", e.at, e.event, e.actor, e.partner.as_deref().unwrap_or(""));
            }
            return Ok(());
        }
        UnitCommand::Ready { target, price, amount } => (
            target,
            ActionFields { action: "ready".into(), price: Some(price), amount, ..ActionFields::default() },
        ),
        UnitCommand::Allocate { target, partner, case_reference, programme } => (
            target,
            ActionFields {
                action: "allocate".into(),
                partner: Some(partner),
                case_reference: Some(case_reference),
                programme: Some(programme),
                ..ActionFields::default()
            },
        ),
        UnitCommand::Return { target } => {
            (target, ActionFields { action: "return".into(), ..ActionFields::default() })
        }
        UnitCommand::Recycle { target } => {
            (target, ActionFields { action: "recycle".into(), ..ActionFields::default() })
        }
    };
    let action = fields.action().map_err(anyhow::Error::msg)?;
    let store = open(&target.db)?;
    let u = find_unit(store.as_ref(), &target.serial, target.lot.as_deref())?;
    let u = store.unit_act(&u.lot, &u.reference, &action, &actor(target.by))?;
    print_unit(&u);
    Ok(())
}
