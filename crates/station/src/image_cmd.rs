//! `station image`: write a free-software system onto a wiped disk, verify it, run the GPT
//! post-steps, and hand back the record (the caller prints it as JSON).
//!
//! The disk goes through the same safety checks as a wipe (`sanitize::safety::check_target`):
//! never the running system, the live medium, a mounted disk or a partition.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use imaging::post::{run_post_steps, PostOptions};
use imaging::{write_image, BootMode, ImageJob, ImageSource, ImagingRecord, LoadedBmap, SignedCatalogue};
use sanitize::safety::{check_target, SystemView, TargetKind};
use sanitize::DeviceFile;

/// `station image --source PATH|URL [--bmap FILE] [--manifest FILE --image-key FILE] [--disk-zeroed] DEVICE`
#[derive(Debug, Clone, clap::Args)]
pub struct ImageArgs {
    /// The image: a file (raw, .zst, .xz, .gz) or an http:// or https:// URL.
    #[arg(long, value_name = "PATH|URL")]
    pub source: String,
    /// bmaptool's block map of the image: only mapped blocks are written, each range checked.
    /// Without it, a bmap named in the catalogue is looked for beside a local image.
    #[arg(long, value_name = "FILE")]
    pub bmap: Option<PathBuf>,
    /// The signed image catalogue: the image file's and bmap's SHA-256 are then enforced.
    #[arg(long, value_name = "FILE", requires = "image_key")]
    pub manifest: Option<PathBuf>,
    /// The workshop's image public key (base64 of the raw 32-byte Ed25519 key) that must have
    /// signed the catalogue.
    #[arg(long, value_name = "FILE")]
    pub image_key: Option<PathBuf>,
    /// The disk holds only zeros (the wipe's verified record says so): without a bmap, all-zero
    /// blocks are not written.
    #[arg(long)]
    pub disk_zeroed: bool,
    /// Hostname to set in the written system (the unit's label).
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// The disk to write.
    #[arg(value_name = "DEVICE")]
    pub device: PathBuf,
}

/// Writes, verifies and prepares the image; prints nothing. `progress` hears from the writer.
pub fn run(args: &ImageArgs, progress: &mut dyn FnMut(imaging::Progress)) -> anyhow::Result<ImagingRecord> {
    let source = ImageSource::parse(&args.source);
    let manifest = match (&args.manifest, &args.image_key) {
        (Some(path), Some(key_path)) => {
            let catalogue = load_catalogue(path, key_path)?;
            Some(catalogue.find(source.file_name().as_deref())?.clone())
        }
        (Some(_), None) => {
            bail!("--manifest needs --image-key: a catalogue is only trusted when its signature is checked")
        }
        (None, _) => None,
    };
    let plan = InstallPlan {
        source,
        bmap: args.bmap.clone(),
        manifest,
        disk_zeroed: args.disk_zeroed,
        hostname: args.hostname.clone(),
        device: args.device.clone(),
    };
    install(&plan, progress)
}

/// Reads a signed catalogue and checks it against the workshop's image key (a file holding the
/// base64 of the raw 32-byte Ed25519 public key).
pub fn load_catalogue(path: &Path, key_path: &Path) -> anyhow::Result<imaging::Catalogue> {
    let key_text = std::fs::read_to_string(key_path)
        .with_context(|| format!("reading the image key {}", key_path.display()))?;
    let key = certificate::parse_public_key(&key_text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", key_path.display()))?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(SignedCatalogue::from_json(&bytes)?.verify(&key)?)
}

/// What to write where.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallPlan {
    /// The image.
    pub source: ImageSource,
    /// Its bmap; without one, the catalogue's bmap is looked for beside a local image.
    pub bmap: Option<PathBuf>,
    /// Its entry in a verified catalogue (size and hashes are then enforced).
    pub manifest: Option<imaging::ImageManifest>,
    /// The wipe's verified record says the disk holds only zeros.
    pub disk_zeroed: bool,
    /// Hostname for the written system.
    pub hostname: Option<String>,
    /// The disk.
    pub device: PathBuf,
}

/// Checks the disk is safe to write, writes and verifies the image, then runs the GPT post-steps
/// on a block device. `progress` hears from the writer.
pub fn install(
    plan: &InstallPlan,
    progress: &mut dyn FnMut(imaging::Progress),
) -> anyhow::Result<ImagingRecord> {
    let kind = check_target(&plan.device, &SystemView::default())
        .map_err(|refusal| anyhow::anyhow!("{}: refused: {refusal}", plan.device.display()))?;
    let bmap_path = plan
        .bmap
        .clone()
        .or_else(|| beside_local_image(&plan.source, plan.manifest.as_ref()?.bmap.as_deref()?));
    let bmap = match bmap_path {
        Some(path) => {
            let expected = plan.manifest.as_ref().and_then(|m| m.bmap_sha256.as_deref());
            Some(LoadedBmap::load(&path, expected)?)
        }
        None => None,
    };
    let boot_modes =
        plan.manifest.as_ref().map_or_else(|| vec![BootMode::Bios, BootMode::Uefi], |m| m.boot_modes.clone());
    let job = ImageJob {
        bmap,
        manifest: plan.manifest.clone(),
        disk_zeroed: plan.disk_zeroed,
        ..ImageJob::new(plan.source.clone())
    };
    let mut disk =
        DeviceFile::open(&plan.device).with_context(|| format!("opening {}", plan.device.display()))?;
    let mut record = write_image(&job, &mut disk, progress)?;
    drop(disk);
    if matches!(kind, TargetKind::BlockDevice { .. }) {
        let options = PostOptions { hostname: plan.hostname.clone(), boot_modes };
        record.post_steps = run_post_steps(&plan.device, &options)?;
    }
    Ok(record)
}

/// A file named `name` in the directory of a local image.
fn beside_local_image(source: &ImageSource, name: &str) -> Option<PathBuf> {
    let ImageSource::File(image) = source else { return None };
    let path = image.parent().unwrap_or(Path::new(".")).join(name);
    path.exists().then_some(path)
}
