//! One write pass (and optionally its read-back) over a device with a chosen [`Tuning`]: the
//! benchmark's view of the pipeline alone, to compare tunings on the same device, next to dd
//! (a benchmark, not a test; see scripts/bench-wipe.md).
//!
//! ```sh
//! sudo target/release/examples/pass-rate /dev/loopN aes128-ctr-sp800-38a --threads 1 --chunk-kib 3072 --spare 1 --verify
//! ```
//!
//! It prints `write SECONDS s MB/s MB/s` and, with `--verify`, `verify SECONDS s MB/s MB/s`.

use std::path::Path;
use std::process::exit;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use certificate::ByteRange;
use sanitize::overwrite::{verify_pass_tuned, write_pass_tuned, Tuning};
use sanitize::{BlockDevice, DeviceFile, OsEntropy, PassPattern, RandomAlgorithm};

const USAGE: &str =
    "usage: pass-rate DEVICE ALGORITHM|zero [--threads N] [--chunk-kib N] [--spare N] [--verify]";

fn usage(problem: &str) -> ! {
    eprintln!("pass-rate: {problem}\n{USAGE}");
    exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, algorithm, options @ ..] = args.as_slice() else { usage("DEVICE and ALGORITHM are needed") };
    let mut tuning = Tuning::default();
    let mut verify = false;
    let mut options = options.iter();
    while let Some(option) = options.next() {
        let mut number = || -> usize {
            let value = options.next().unwrap_or_else(|| usage(&format!("{option} needs a number")));
            value.parse().unwrap_or_else(|_| usage(&format!("{option} {value}: not a number")))
        };
        match option.as_str() {
            "--threads" => tuning.threads = number(),
            "--chunk-kib" => tuning.chunk = number() << 10,
            "--spare" => tuning.spare = number(),
            "--verify" => verify = true,
            other => usage(&format!("unknown option {other}")),
        }
    }
    let pattern = if algorithm == "zero" {
        PassPattern::byte(0)
    } else {
        let algorithm = RandomAlgorithm::from_name(algorithm).unwrap_or_else(|| usage("unknown ALGORITHM"));
        PassPattern::fresh_random(algorithm, &mut OsEntropy).unwrap_or_else(|e| usage(&e.to_string()))
    };
    let mut dev = DeviceFile::open(Path::new(path)).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
    let size = dev.size();
    let stop = AtomicBool::new(false);
    let t = Instant::now();
    let out = write_pass_tuned(&mut dev, &pattern, &tuning, &stop, |_, _| {});
    let w = t.elapsed().as_secs_f64();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    print!("write {:.3} s {:.0} MB/s", w, size as f64 / w / 1e6);
    if verify {
        let t = Instant::now();
        let ranges = [ByteRange { start: 0, end: size }];
        let v = verify_pass_tuned(&mut dev, &pattern, Some(&ranges[..]), &tuning, &stop, |_, _| {});
        let r = t.elapsed().as_secs_f64();
        assert_eq!(v.mismatched_bytes, 0);
        print!("  verify {:.3} s {:.0} MB/s", r, size as f64 / r / 1e6);
    }
    println!("  ({tuning:?}, {} B per I/O)", tuning.chunk_bytes());
}
