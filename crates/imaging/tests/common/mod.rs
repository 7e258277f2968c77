//! Helpers shared by the integration tests: the "pattern" image of the fixtures, scratch
//! directories, compressed copies made with the system's tools, and a tiny HTTP server.

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Shutdown, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Size of the pattern image: 8 MiB and a partial block.
pub const PATTERN_SIZE: usize = 8 * 1024 * 1024 + 1000;

/// The image `tests/fixtures/pattern.bmap` describes (see tests/fixtures/README.md).
pub fn pattern_image() -> Vec<u8> {
    let mut image = vec![0u8; PATTERN_SIZE];
    let blocks = PATTERN_SIZE.div_ceil(4096);
    for i in 0..blocks {
        if i % 97 < 5 || (1000..1040).contains(&i) || i == blocks - 1 {
            let end = ((i + 1) * 4096).min(PATTERN_SIZE);
            for (j, b) in image[i * 4096..end].iter_mut().enumerate() {
                *b = ((i * 31 + j * 7) % 251) as u8 + 1;
            }
        }
    }
    image
}

pub fn pattern_bmap() -> &'static [u8] {
    include_bytes!("../fixtures/pattern.bmap")
}

/// A directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sv-imaging-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    pub fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        fs::write(&p, content).expect("write scratch file");
        p
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `data` compressed by the system's `zstd`, `xz` or `gzip`: the tools workshops use.
pub fn compress(tool: &str, data: &[u8]) -> Vec<u8> {
    let args: &[&str] = match tool {
        "zstd" => &["-q", "-3", "-c"],
        "xz" => &["-1", "-c"],
        "gzip" => &["-1", "-c"],
        other => panic!("unknown tool {other}"),
    };
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e} (scripts/test installs it: zstd, xz-utils, gzip)"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = data.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("tool runs");
    feeder.join().expect("feeder").expect("fed");
    assert!(out.status.success(), "{tool} failed");
    out.stdout
}

/// How the test server answers.
#[derive(Debug, Clone, Copy)]
pub struct ServerBehaviour {
    /// Close the first response's connection after this many body bytes.
    pub cut_first_at: Option<usize>,
    /// Honour `Range: bytes=N-` with 206; otherwise answer 200 with the whole file.
    pub ranges: bool,
}

/// A one-file HTTP/1.1 server on 127.0.0.1 that serves at most `max_requests` requests, then
/// stops by itself. Requests are recorded (request line and Range header).
pub struct TestServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    pub fn start(data: Vec<u8>, name: &str, behaviour: ServerBehaviour, max_requests: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/{name}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().take(max_requests).enumerate() {
                let Ok(mut stream) = conn else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut range_start: Option<usize> = None;
                let mut line = String::new();
                let mut first = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" {
                        break;
                    }
                    if first.is_empty() {
                        first = line.trim().to_owned();
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("range: bytes=") {
                        range_start = v.trim().trim_end_matches('-').parse().ok();
                        first.push_str(&format!(" [{}]", line.trim()));
                    }
                    line.clear();
                }
                log.lock().expect("log").push(first);
                let start = if behaviour.ranges { range_start.unwrap_or(0).min(data.len()) } else { 0 };
                let head = if behaviour.ranges && range_start.is_some() {
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\n",
                        data.len() - start,
                        data.len() - 1,
                        data.len()
                    )
                } else {
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n", data.len())
                };
                let head = format!("{head}ETag: \"v1\"\r\nConnection: close\r\n\r\n");
                let body = &data[start..];
                let body = match behaviour.cut_first_at {
                    Some(cut) if n == 0 => &body[..cut.min(body.len())],
                    _ => body,
                };
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body));
                let _ = stream.flush();
                let _ = stream.shutdown(Shutdown::Both);
            }
        });
        TestServer { url, requests }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("log").clone()
    }
}

/// A disk file of `size` bytes filled with `fill`, to see which bytes the writer touched.
pub fn disk(scratch: &Scratch, size: usize, fill: u8) -> PathBuf {
    scratch.file("disk.img", &vec![fill; size])
}
