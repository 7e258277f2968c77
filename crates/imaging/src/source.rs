//! Where an image comes from: a local file, or an HTTP(S) URL streamed with `ureq`.
//!
//! The URL reader resumes a broken download with a Range request (RFC 9110 §14.2) from the byte
//! it had reached, guarded by `If-Range` with the first answer's validator (ETag or
//! Last-Modified) so a file replaced on the server is never spliced onto the old one. A server
//! that ignores Range (answers 200 instead of 206 Partial Content) makes a clear error, as does a
//! body shorter than its Content-Length when no resumption is possible.
//!
//! `ureq` rather than `reqwest`: the station already speaks to the registry with `ureq`, so the
//! live USB carries one HTTP client, and it is blocking, so no async runtime (tokio) is needed
//! on the stick; the image pipeline runs on plain threads anyway.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{ImagingError, Result};

/// An image's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// A file on a mounted file system (the live USB's data partition, another stick).
    File(PathBuf),
    /// An `http://` or `https://` URL.
    Url(String),
}

impl ImageSource {
    /// `http://…` and `https://…` are URLs; anything else is a path.
    pub fn parse(text: &str) -> Self {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            ImageSource::Url(text.to_owned())
        } else {
            ImageSource::File(PathBuf::from(text))
        }
    }

    /// The last path segment (`debian-12.img.zst`), used to find the image in a catalogue.
    pub fn file_name(&self) -> Option<String> {
        match self {
            ImageSource::File(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
            ImageSource::Url(u) => {
                let path = u.split(['?', '#']).next().unwrap_or(u);
                path.rsplit('/').next().filter(|s| !s.is_empty()).map(str::to_owned)
            }
        }
    }

    /// Opens the source for streaming. `length` is the file's size when known (local file,
    /// Content-Length).
    pub fn open(&self, http: &HttpOptions) -> Result<OpenedSource> {
        match self {
            ImageSource::File(path) => {
                let file =
                    File::open(path).map_err(|source| ImagingError::File { path: path.clone(), source })?;
                let length = file.metadata().ok().map(|m| m.len());
                Ok(OpenedSource { reader: Box::new(file), length })
            }
            ImageSource::Url(url) => {
                let reader = HttpReader::open(url, http.clone())?;
                let length = reader.total;
                Ok(OpenedSource { reader: Box::new(reader), length })
            }
        }
    }
}

impl fmt::Display for ImageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageSource::File(p) => p.display().fmt(f),
            ImageSource::Url(u) => u.fmt(f),
        }
    }
}

/// An opened source: a byte stream, and its length when known.
pub struct OpenedSource {
    /// The bytes of the image file as stored (maybe compressed).
    pub reader: Box<dyn Read + Send>,
    /// Its size in bytes, when known.
    pub length: Option<u64>,
}

impl fmt::Debug for OpenedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedSource").field("length", &self.length).finish_non_exhaustive()
    }
}

/// How hard the URL reader tries.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Resumptions in a row without a single new byte before giving up.
    pub max_resumes: u32,
    /// Pause before each resumption (multiplied by the attempt number).
    pub resume_delay: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            max_resumes: 5,
            resume_delay: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(15),
        }
    }
}

/// A streaming HTTP GET that resumes with Range requests.
pub struct HttpReader {
    url: String,
    agent: ureq::Agent,
    options: HttpOptions,
    body: Option<ureq::BodyReader<'static>>,
    /// Bytes of the file delivered so far.
    pos: u64,
    /// The file's size (Content-Length of the first answer), when the server said.
    total: Option<u64>,
    /// ETag (strong) or Last-Modified of the first answer, for `If-Range`.
    validator: Option<String>,
    /// Resumptions since the last byte arrived.
    failures: u32,
    /// Resumptions in all, for the record.
    resumes: u32,
}

impl fmt::Debug for HttpReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpReader")
            .field("url", &self.url)
            .field("pos", &self.pos)
            .field("total", &self.total)
            .field("resumes", &self.resumes)
            .finish_non_exhaustive()
    }
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

impl HttpReader {
    /// Sends the first GET; fails on a connection error or a non-2xx status.
    pub fn open(url: &str, options: HttpOptions) -> Result<Self> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(options.connect_timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let mut reader = HttpReader {
            url: url.to_owned(),
            agent,
            options,
            body: None,
            pos: 0,
            total: None,
            validator: None,
            failures: 0,
            resumes: 0,
        };
        let resp = reader
            .agent
            .get(url)
            .call()
            .map_err(|e| ImagingError::Http { url: url.to_owned(), message: e.to_string() })?;
        let status = resp.status();
        if status.as_u16() != 200 {
            return Err(ImagingError::Http {
                url: url.to_owned(),
                message: format!("the server answered {status}"),
            });
        }
        reader.total = header(&resp, "content-length").and_then(|v| v.trim().parse().ok());
        reader.validator =
            header(&resp, "etag").filter(|e| !e.starts_with("W/")).or_else(|| header(&resp, "last-modified"));
        reader.body = Some(resp.into_body().into_reader());
        Ok(reader)
    }

    /// How many times the download was resumed.
    pub fn resumes(&self) -> u32 {
        self.resumes
    }

    fn resume_error(&self, message: impl Into<String>) -> io::Error {
        io::Error::other(ImagingError::ResumeFailed {
            url: self.url.clone(),
            offset: self.pos,
            message: message.into(),
        })
    }

    /// Asks for the rest of the file from `pos`.
    fn resume(&mut self, cause: &str) -> io::Result<()> {
        self.failures += 1;
        if self.failures > self.options.max_resumes {
            return Err(self.resume_error(format!(
                "{} attempts in a row brought no data (last: {cause})",
                self.options.max_resumes
            )));
        }
        std::thread::sleep(self.options.resume_delay * self.failures);
        self.resumes += 1;
        let mut req = self.agent.get(&self.url).header("Range", format!("bytes={}-", self.pos));
        if let Some(v) = &self.validator {
            req = req.header("If-Range", v);
        }
        let resp = match req.call() {
            Ok(r) => r,
            // A refused connection is worth another attempt, like a cut one.
            Err(e) => return self.resume(&e.to_string()),
        };
        match resp.status().as_u16() {
            206 => {
                let range = header(&resp, "content-range").unwrap_or_default();
                let start = range
                    .trim()
                    .strip_prefix("bytes ")
                    .and_then(|r| r.split('-').next())
                    .and_then(|s| s.trim().parse::<u64>().ok());
                if start != Some(self.pos) {
                    return Err(self.resume_error(format!(
                        "asked for bytes from {} but the server sent Content-Range {range:?}",
                        self.pos
                    )));
                }
                self.body = Some(resp.into_body().into_reader());
                Ok(())
            }
            200 => Err(self.resume_error(if self.validator.is_some() {
                "the server sent the whole file again: it ignores Range requests, or the file changed on the server"
            } else {
                "the server sent the whole file again: it does not support Range requests (206 Partial Content)"
            })),
            status => Err(self.resume_error(format!("the server answered {status} to a Range request"))),
        }
    }
}

impl Read for HttpReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(body) = self.body.as_mut() else {
                // A previous resumption failed for good.
                return Err(self.resume_error("the connection is closed"));
            };
            match body.read(buf) {
                Ok(0) => match self.total {
                    Some(total) if self.pos < total => {
                        self.body = None;
                        self.resume("the connection closed early")?;
                    }
                    _ => return Ok(0),
                },
                Ok(n) => {
                    self.pos += n as u64;
                    self.failures = 0;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.body = None;
                    self.resume(&e.to_string())?;
                }
            }
        }
    }
}
