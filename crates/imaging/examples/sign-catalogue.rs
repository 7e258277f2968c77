//! Signs an image catalogue with a workshop's image key: what `image/build` uses, and what a
//! workshop runs for its own images until the station has a command for it.
//!
//!     sign-catalogue --key SEED_FILE [--create-key] [--public-key FILE] --in CATALOGUE.json --out SIGNED.json
//!
//! - `--key`: the image key's 32-byte secret seed, raw (like the station's `station.key`).
//!   With `--create-key`, a missing file is created with a random seed, mode 0600.
//! - `--public-key`: where to write the public key (base64 of the raw 32 bytes, one line): the
//!   file `station image --image-key` takes.
//! - `--in`: the unsigned catalogue, `{"schema": "seconde-vie/image-catalogue/v1", "images": [...]}`
//!   (fields as in docs/imaging.md; unknown fields are refused).
//! - `--out`: the signed catalogue, `{"catalogue": ..., "signatures": [...]}`, checked against
//!   the public key before it is written.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use certificate::SigningIdentity;
use imaging::Catalogue;

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sign-catalogue: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: sign-catalogue --key SEED_FILE [--create-key] [--public-key FILE] --in CATALOGUE.json --out SIGNED.json";

fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let (mut key, mut create, mut public, mut input, mut output) = (None, false, None, None, None);
    while let Some(a) = args.next() {
        let mut value = || args.next().map(PathBuf::from).ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--key" => key = Some(value()?),
            "--create-key" => create = true,
            "--public-key" => public = Some(value()?),
            "--in" => input = Some(value()?),
            "--out" => output = Some(value()?),
            _ => return Err(format!("unknown argument {a}\n{USAGE}").into()),
        }
    }
    let (Some(key), Some(input), Some(output)) = (key, input, output) else {
        return Err(USAGE.into());
    };

    let identity = load_key(&key, create)?;
    if let Some(path) = &public {
        std::fs::write(path, format!("{}\n", identity.public_key_base64()))
            .map_err(|e| format!("writing the public key {}: {e}", path.display()))?;
    }

    let text = std::fs::read(&input).map_err(|e| format!("reading {}: {e}", input.display()))?;
    let catalogue: Catalogue = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not an unsigned catalogue: {e}", input.display()))?;
    let signed = catalogue.sign(&identity)?;
    // What the station will do with it: refuse to write a catalogue it would not accept.
    let bytes = signed.to_json_pretty();
    imaging::SignedCatalogue::from_json(&bytes)?.verify(&identity.public_key())?;
    std::fs::write(&output, &bytes).map_err(|e| format!("writing {}: {e}", output.display()))?;
    eprintln!(
        "sign-catalogue: {} image(s) signed by image key {} into {}",
        catalogue.images.len(),
        identity.key_id(),
        output.display()
    );
    Ok(())
}

fn load_key(path: &Path, create: bool) -> Result<SigningIdentity, Error> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                format!("{} holds {} bytes, an image key seed holds 32", path.display(), bytes.len())
            })?;
            Ok(SigningIdentity::from_seed(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| format!("no randomness for the image key: {e}"))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| format!("creating the image key {}: {e}", path.display()))?;
            file.write_all(&seed)?;
            file.sync_all()?;
            Ok(SigningIdentity::from_seed(&seed))
        }
        Err(e) => Err(format!("reading the image key {}: {e}", path.display()).into()),
    }
}
