//! Writes an image to a disk or file with the imaging pipeline and prints the record as JSON:
//! what `scripts/bench-image` runs until `station image` is wired into the station's CLI.
//!
//!     write-image --source PATH|URL [--bmap FILE] [--disk-zeroed] [--no-readback] DEVICE
//!
//! It runs no safety check: point it only at loop devices and files you made.

use std::process::ExitCode;

use imaging::{write_image, ImageJob, ImageSource, LoadedBmap};
use sanitize::DeviceFile;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("write-image: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut source, mut bmap, mut zeroed, mut readback, mut device) = (None, None, false, true, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--source" => source = args.next(),
            "--bmap" => bmap = args.next(),
            "--disk-zeroed" => zeroed = true,
            "--no-readback" => readback = false,
            _ if a.starts_with("--") => return Err(format!("unknown option {a}").into()),
            _ => device = Some(a),
        }
    }
    let (Some(source), Some(device)) = (source, device) else {
        return Err(
            "usage: write-image --source PATH|URL [--bmap FILE] [--disk-zeroed] [--no-readback] DEVICE"
                .into(),
        );
    };
    let bmap = bmap.map(|p| LoadedBmap::load(p.as_ref(), None)).transpose()?;
    let job = ImageJob {
        bmap,
        disk_zeroed: zeroed,
        verify_readback: readback,
        ..ImageJob::new(ImageSource::parse(&source))
    };
    let mut disk = DeviceFile::open(device.as_ref())?;
    let record = write_image(&job, &mut disk, &mut |_| {})?;
    println!("{}", serde_json::to_string_pretty(&record)?);
    Ok(())
}
