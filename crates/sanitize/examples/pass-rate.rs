//! One write pass (and optionally its read-back) over a device, with a chosen number of generator
//! threads: the benchmark's view of the pipeline alone (a benchmark, not a test).
//!
//! ```sh
//! sudo target/release/examples/pass-rate /dev/loopN aes128-ctr-sp800-38a 1 [verify]
//! ```

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use certificate::ByteRange;
use sanitize::overwrite::{verify_pass_with_threads, write_pass_with_threads};
use sanitize::{BlockDevice, DeviceFile, OsEntropy, PassPattern, RandomAlgorithm};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, algorithm, threads, rest @ ..] = args.as_slice() else {
        eprintln!("usage: pass-rate DEVICE ALGORITHM|zero THREADS [verify]");
        std::process::exit(2);
    };
    let threads: usize = threads.parse().expect("THREADS");
    let pattern = if algorithm == "zero" {
        PassPattern::byte(0)
    } else {
        let algorithm = RandomAlgorithm::from_name(algorithm).expect("ALGORITHM");
        PassPattern::fresh_random(algorithm, &mut OsEntropy).expect("entropy")
    };
    let mut dev = DeviceFile::open(Path::new(path)).expect("open");
    let size = dev.size();
    let stop = AtomicBool::new(false);
    let t = Instant::now();
    let out = write_pass_with_threads(&mut dev, &pattern, threads, &stop, |_, _| {});
    let w = t.elapsed().as_secs_f64();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    print!("write {:.3} s {:.0} MB/s", w, size as f64 / w / 1e6);
    if rest.first().map(String::as_str) == Some("verify") {
        let t = Instant::now();
        let ranges = [ByteRange { start: 0, end: size }];
        let v = verify_pass_with_threads(&mut dev, &pattern, Some(&ranges[..]), threads, &stop, |_, _| {});
        let r = t.elapsed().as_secs_f64();
        assert_eq!(v.mismatched_bytes, 0);
        print!("  verify {:.3} s {:.0} MB/s", r, size as f64 / r / 1e6);
    }
    println!();
}
