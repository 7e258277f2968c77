//! How fast random passes are generated and checked with no disk in the way: each algorithm,
//! with 1 to N threads, written to and read back from a device that keeps nothing. Run by
//! `scripts/bench-wipe` (a benchmark, not a test):
//!
//! ```sh
//! cargo run --release -p sanitize --example keystream-rate -- 4096   # MiB per run
//! ```

use std::io;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use sanitize::overwrite::{verify_pass_tuned, worker_threads, write_pass_tuned, Tuning};
use sanitize::{BlockDevice, OsEntropy, PassPattern, RandomAlgorithm};

/// Takes every write and forgets it; reads give back the keystream itself, so the read-back
/// compares and finds no mismatch, and only the generator and the comparison cost time.
struct NullDisk {
    size: u64,
    content: PassPattern,
}

impl BlockDevice for NullDisk {
    fn path(&self) -> &Path {
        Path::new("/dev/null-disk")
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn write_all_at(&mut self, _: &[u8], _: u64) -> io::Result<()> {
        Ok(())
    }
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.content.fill(offset, buf);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn main() {
    let mib: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2048);
    let size = mib << 20;
    let stop = AtomicBool::new(false);
    println!("algorithm,threads,phase,mb_per_s");
    for algorithm in RandomAlgorithm::ALL {
        let pattern = match PassPattern::fresh_random(algorithm, &mut OsEntropy) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("keystream-rate: {e}");
                std::process::exit(2);
            }
        };
        for threads in 1..=worker_threads().max(2) {
            let mut disk = NullDisk { size, content: pattern.clone() };
            let tuning = Tuning::with_threads(threads);
            let t = Instant::now();
            let out = write_pass_tuned(&mut disk, &pattern, &tuning, &stop, |_, _| {});
            let write = size as f64 / 1e6 / t.elapsed().as_secs_f64();
            assert_eq!(out.bytes, size);
            // The read-back: the disk's "read" regenerates the stream on the reader thread,
            // which stands for the kernel's copy; the checkers regenerate and compare.
            let t = Instant::now();
            let out = verify_pass_tuned(&mut disk, &pattern, None, &tuning, &stop, |_, _| {});
            let check = size as f64 / 1e6 / t.elapsed().as_secs_f64();
            assert_eq!((out.bytes, out.mismatched_bytes), (size, 0));
            println!("{algorithm},{threads},write,{write:.0}");
            println!("{algorithm},{threads},read-back,{check:.0}");
        }
    }
}
