//! Monitors: the EDID a display hands the graphics card, parsed by our own code, and a probe that
//! reads every connector's EDID from /sys/class/drm.
//!
//! The layout follows the VESA Enhanced Extended Display Identification Data Standard (E-EDID),
//! Release A, Revision 2 (2006), which defines EDID structure 1.4 and stays compatible with 1.3 for
//! everything read here. Section numbers in this module (§3.x) are that document's.
//!
//! Donated monitors often carry damaged EDIDs, so the parser is lenient: only a missing base
//! block or a wrong header is an error. A bad checksum is reported in [`Edid::checksum_ok`], odd
//! values come back as they are, and nothing here panics on any input.

use std::fmt;
use std::fs;
use std::io;

use crate::Root;

/// Length of the base EDID block and of each extension block (§2.2, §3.1).
pub const BLOCK_LEN: usize = 128;

/// The fixed header that starts every base EDID block (§3.3).
pub const HEADER: [u8; 8] = [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];

/// Byte offsets of the four 18-byte descriptors of the base block (§3.10).
const DESCRIPTOR_OFFSETS: [usize; 4] = [54, 72, 90, 108];

/// Why bytes are not an EDID at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdidError {
    /// Fewer bytes than the 128-byte base block (§3.1).
    TooShort {
        /// How many bytes there were.
        len: usize,
    },
    /// The 8-byte header (§3.3) is wrong at `offset`.
    BadHeader {
        /// Byte offset of the first wrong header byte (0-7).
        offset: usize,
        /// The byte found there.
        found: u8,
        /// The byte the header has there.
        expected: u8,
    },
}

impl fmt::Display for EdidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EdidError::TooShort { len } => write!(
                f,
                "EDID too short: {len} bytes, but the base block (bytes 0-127) needs {BLOCK_LEN} \
                 (E-EDID 1.4 §3.1)"
            ),
            EdidError::BadHeader { offset, found, expected } => write!(
                f,
                "EDID header wrong at byte {offset}: found 0x{found:02X}, expected 0x{expected:02X} \
                 (a base block starts 00 FF FF FF FF FF FF 00, E-EDID 1.4 §3.3)"
            ),
        }
    }
}

impl std::error::Error for EdidError {}

/// How the display is driven (§3.6.1, byte 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoInput {
    /// Analog input (bit 7 clear): a VGA (D-sub) or DVI-A connection.
    Analog,
    /// Digital input (bit 7 set).
    Digital {
        /// Colour bit depth per primary (EDID 1.4 bits 6-4); `None` when undefined, reserved or
        /// for EDID 1.3, which does not carry it.
        bits_per_color: Option<u8>,
        /// The digital interface (EDID 1.4 bits 3-0).
        interface: DigitalInterface,
    },
}

impl fmt::Display for VideoInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoInput::Analog => f.write_str("VGA (analog)"),
            VideoInput::Digital { interface: DigitalInterface::Undefined, .. } => f.write_str("digital"),
            VideoInput::Digital { interface, .. } => write!(f, "{interface}"),
        }
    }
}

/// The digital interface a display declares (§3.6.1, byte 20 bits 3-0, EDID 1.4 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitalInterface {
    /// Not defined (code 0, and always for EDID 1.3 and earlier).
    Undefined,
    /// DVI (code 1).
    Dvi,
    /// HDMI-a (code 2).
    HdmiA,
    /// HDMI-b (code 3).
    HdmiB,
    /// MDDI (code 4).
    Mddi,
    /// DisplayPort (code 5), which embedded DisplayPort laptop panels also declare.
    DisplayPort,
    /// A reserved code (6-15).
    Reserved(u8),
}

impl fmt::Display for DigitalInterface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigitalInterface::Undefined => f.write_str("undefined digital interface"),
            DigitalInterface::Dvi => f.write_str("DVI"),
            DigitalInterface::HdmiA => f.write_str("HDMI-a"),
            DigitalInterface::HdmiB => f.write_str("HDMI-b"),
            DigitalInterface::Mddi => f.write_str("MDDI"),
            DigitalInterface::DisplayPort => f.write_str("DisplayPort"),
            DigitalInterface::Reserved(code) => write!(f, "reserved interface code {code}"),
        }
    }
}

/// Bytes 21 and 22: the screen size in centimetres, or (EDID 1.4) an aspect ratio (§3.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenSize {
    /// Both bytes non-zero: width and height of the image area in whole centimetres.
    Centimetres {
        /// Horizontal size, cm.
        width: u8,
        /// Vertical size, cm.
        height: u8,
    },
    /// EDID 1.4, byte 22 zero: a landscape aspect ratio, width/height × 100 (byte 21 + 99).
    LandscapeAspect {
        /// Width divided by height, times 100 (178 for 16:9).
        ratio_x100: u16,
    },
    /// EDID 1.4, byte 21 zero: a portrait aspect ratio, width/height × 100 (100 / (byte 22 + 99)).
    PortraitAspect {
        /// Width divided by height, times 100 (56 for 9:16).
        ratio_x100: u16,
    },
    /// Both bytes zero (size unknown or variable, as for a projector), or EDID 1.3 with one zero.
    Unknown,
}

/// A detailed timing descriptor (§3.10.2); the first one is the preferred mode (§3.10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailedTiming {
    /// Byte offset of the descriptor in the base block (54, 72, 90 or 108).
    pub offset: usize,
    /// Pixel clock in kHz (stored in 10 kHz units).
    pub pixel_clock_khz: u32,
    /// Horizontal addressable pixels.
    pub h_active: u16,
    /// Horizontal blanking pixels.
    pub h_blanking: u16,
    /// Vertical addressable lines (per field when interlaced).
    pub v_active: u16,
    /// Vertical blanking lines (per field when interlaced).
    pub v_blanking: u16,
    /// Horizontal addressable image size in mm (12 bits; 0 = not given).
    pub width_mm: u16,
    /// Vertical addressable image size in mm (12 bits; 0 = not given).
    pub height_mm: u16,
    /// Interlaced (byte 17 bit 7).
    pub interlaced: bool,
}

impl DetailedTiming {
    /// The refresh rate in millihertz (the field rate when interlaced), or `None` when the totals
    /// are zero.
    pub fn refresh_millihertz(&self) -> Option<u64> {
        let total = (u64::from(self.h_active) + u64::from(self.h_blanking))
            * (u64::from(self.v_active) + u64::from(self.v_blanking));
        if total == 0 {
            return None;
        }
        let clock_hz = u64::from(self.pixel_clock_khz) * 1000;
        Some((clock_hz * 1000 + total / 2) / total)
    }

    /// The mode: visible width × height (whole frame when interlaced) and rounded refresh rate.
    pub fn mode(&self) -> Mode {
        let height = if self.interlaced { self.v_active.saturating_mul(2) } else { self.v_active };
        let refresh_hz = self.refresh_millihertz().map_or(0, |m| ((m + 500) / 1000) as u32);
        Mode { width: self.h_active, height, refresh_hz, interlaced: self.interlaced }
    }
}

/// A display mode as people write it: 1920x1080@60Hz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// Horizontal pixels.
    pub width: u16,
    /// Vertical lines (whole frame).
    pub height: u16,
    /// Refresh rate rounded to the hertz (field rate when interlaced; 0 when it cannot be worked
    /// out).
    pub refresh_hz: u32,
    /// Interlaced.
    pub interlaced: bool,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = if self.interlaced { "i" } else { "" };
        write!(f, "{}x{}{i}@{}Hz", self.width, self.height, self.refresh_hz)
    }
}

/// Display range limits (§3.10.3.3, tag 0xFD), with the EDID 1.4 +255 offsets applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeLimits {
    /// Minimum vertical rate, Hz.
    pub min_v_hz: u16,
    /// Maximum vertical rate, Hz.
    pub max_v_hz: u16,
    /// Minimum horizontal rate, kHz.
    pub min_h_khz: u16,
    /// Maximum horizontal rate, kHz.
    pub max_h_khz: u16,
    /// Maximum pixel clock, MHz (stored in 10 MHz units).
    pub max_pixel_clock_mhz: u16,
}

/// A display descriptor: an 18-byte descriptor whose pixel clock bytes are zero (§3.10.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Descriptor {
    /// Display product serial number (tag 0xFF, §3.10.3.1).
    SerialNumber(String),
    /// Alphanumeric data string (tag 0xFE, §3.10.3.2); laptop panels put their maker and part
    /// number here.
    Text(String),
    /// Display range limits (tag 0xFD, §3.10.3.3).
    RangeLimits(RangeLimits),
    /// Display product name (tag 0xFC, §3.10.3.4).
    Name(String),
    /// Dummy descriptor (tag 0x10, §3.10.3.10).
    Dummy,
    /// Any other tag: colour point, standard timings, DCM, CVT codes, established timings III,
    /// manufacturer specified (0x00-0x0F), or reserved.
    Other {
        /// The tag byte (byte 3 of the descriptor).
        tag: u8,
    },
}

/// Where a physical size came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeSource {
    /// The preferred detailed timing's image size in millimetres (§3.10.2).
    DetailedTiming,
    /// Bytes 21-22, whole centimetres (§3.6.2).
    ScreenSizeCm,
}

/// The visible image size used for the diagonal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhysicalSize {
    /// Width, mm.
    pub width_mm: u16,
    /// Height, mm.
    pub height_mm: u16,
    /// Where it came from.
    pub source: SizeSource,
}

impl PhysicalSize {
    /// The exact diagonal in inches (not rounded).
    pub fn diagonal_inches(&self) -> f64 {
        f64::from(self.width_mm).hypot(f64::from(self.height_mm)) / 25.4
    }
}

/// A parsed base EDID block (EDID 1.3 or 1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edid {
    /// Manufacturer PNP id, three letters (§3.4.1); a letter code outside A-Z shows as `?`.
    pub manufacturer: String,
    /// Manufacturer's product code (§3.4.2, bytes 10-11 little-endian).
    pub product_code: u16,
    /// Binary serial number (§3.4.3, bytes 12-15 little-endian); `None` when zero (not used).
    pub serial_number: Option<u32>,
    /// Week of manufacture 1-54 (§3.4.4, byte 16); `None` when 0 (not given), 0xFF (model year)
    /// or out of range.
    pub week: Option<u8>,
    /// Year of manufacture, or model year when [`Edid::model_year`] (byte 17 + 1990).
    pub year: u16,
    /// Byte 16 is 0xFF: [`Edid::year`] is the model year, not the year of manufacture (EDID 1.4).
    pub model_year: bool,
    /// EDID structure version (§3.5, byte 18), 1.
    pub version: u8,
    /// EDID structure revision (§3.5, byte 19), 3 or 4.
    pub revision: u8,
    /// Video input definition (§3.6.1).
    pub input: VideoInput,
    /// Screen size or aspect ratio (§3.6.2).
    pub screen_size: ScreenSize,
    /// Detailed timing descriptors in the base block, in order (§3.10.2).
    pub detailed_timings: Vec<DetailedTiming>,
    /// Display descriptors in the base block, in order (§3.10.3).
    pub descriptors: Vec<Descriptor>,
    /// Number of extension blocks the base block announces (§3.11, byte 126).
    pub extension_count: u8,
    /// The 128 bytes of the base block sum to 0 modulo 256 (§3.11, byte 127).
    pub checksum_ok: bool,
    /// How many bytes were given (128 per block when the whole EDID was read).
    pub len: usize,
}

impl Edid {
    /// Parses the base block of `bytes`. Refuses only input shorter than 128 bytes or with a wrong
    /// header; a wrong checksum is recorded in [`Edid::checksum_ok`]. Extension blocks are
    /// counted, not parsed.
    pub fn parse(bytes: &[u8]) -> Result<Edid, EdidError> {
        for (offset, (&found, &expected)) in bytes.iter().zip(HEADER.iter()).enumerate() {
            if found != expected {
                return Err(EdidError::BadHeader { offset, found, expected });
            }
        }
        let Some(block) = bytes.get(..BLOCK_LEN) else {
            return Err(EdidError::TooShort { len: bytes.len() });
        };

        let version = block[18];
        let revision = block[19];
        let v1_4 = version > 1 || (version == 1 && revision >= 4);

        let week_byte = block[16];
        let mut detailed_timings = Vec::new();
        let mut descriptors = Vec::new();
        for offset in DESCRIPTOR_OFFSETS {
            let d = &block[offset..offset + 18];
            if d[0] == 0 && d[1] == 0 {
                descriptors.push(display_descriptor(d, v1_4));
            } else {
                detailed_timings.push(detailed_timing(offset, d));
            }
        }

        Ok(Edid {
            manufacturer: pnp_id(block[8], block[9]),
            product_code: u16::from_le_bytes([block[10], block[11]]),
            serial_number: Some(u32::from_le_bytes([block[12], block[13], block[14], block[15]]))
                .filter(|&s| s != 0),
            week: Some(week_byte).filter(|w| (1..=54).contains(w)),
            year: 1990 + u16::from(block[17]),
            model_year: week_byte == 0xFF,
            version,
            revision,
            input: video_input(block[20], v1_4),
            screen_size: screen_size(block[21], block[22], v1_4),
            detailed_timings,
            descriptors,
            extension_count: block[126],
            checksum_ok: block.iter().fold(0u8, |sum, &b| sum.wrapping_add(b)) == 0,
            len: bytes.len(),
        })
    }

    /// The preferred timing mode: the first detailed timing descriptor (§3.10.1). A broken EDID
    /// whose first descriptor is not a timing falls back to the first timing found.
    pub fn preferred_timing(&self) -> Option<&DetailedTiming> {
        self.detailed_timings.first()
    }

    /// The display product name (tag 0xFC), if given and not blank.
    pub fn name(&self) -> Option<&str> {
        self.descriptors.iter().find_map(|d| match d {
            Descriptor::Name(s) if !s.is_empty() => Some(s.as_str()),
            _ => None,
        })
    }

    /// The display product serial number string (tag 0xFF), if given and not blank.
    pub fn serial_string(&self) -> Option<&str> {
        self.descriptors.iter().find_map(|d| match d {
            Descriptor::SerialNumber(s) if !s.is_empty() => Some(s.as_str()),
            _ => None,
        })
    }

    /// The alphanumeric data strings (tag 0xFE) that are not blank, in order.
    pub fn texts(&self) -> Vec<&str> {
        self.descriptors
            .iter()
            .filter_map(|d| match d {
                Descriptor::Text(s) if !s.is_empty() => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The display range limits (tag 0xFD), if given.
    pub fn range_limits(&self) -> Option<&RangeLimits> {
        self.descriptors.iter().find_map(|d| match d {
            Descriptor::RangeLimits(r) => Some(r),
            _ => None,
        })
    }

    /// The screen size in centimetres from bytes 21-22, when they give one.
    pub fn size_cm(&self) -> Option<(u8, u8)> {
        match self.screen_size {
            ScreenSize::Centimetres { width, height } => Some((width, height)),
            _ => None,
        }
    }

    /// The visible image size: the preferred timing's millimetres when present and plausible,
    /// else the centimetres of bytes 21-22.
    ///
    /// Real EDIDs get this wrong in a few known ways, so the millimetres are plausible only when
    /// both are non-zero, the diagonal is 4" to 120", they are not an aspect-ratio placeholder
    /// (16 x 9, 160 x 90, 1600 x 900, and the 16:10 ones), and they agree with the centimetres
    /// (within 10%, at least 10 mm), or, without usable centimetres, have the shape of the
    /// preferred mode (width / height within 10% of the pixels', as pixels are square). The
    /// centimetres 16 x 9, 16 x 10, 160 x 90 and 160 x 100 are placeholders too (many TVs write
    /// them whatever their size), so they give no size; a real 72" screen reporting 160 x 90 cm
    /// is the price of that.
    pub fn physical_size(&self) -> Option<PhysicalSize> {
        let cm = self.size_cm().filter(|&(w, h)| !ASPECT_PLACEHOLDERS_CM.contains(&(w, h)));
        if let Some(t) = self.preferred_timing() {
            if plausible_mm(t, cm) {
                return Some(PhysicalSize {
                    width_mm: t.width_mm,
                    height_mm: t.height_mm,
                    source: SizeSource::DetailedTiming,
                });
            }
        }
        cm.map(|(w, h)| PhysicalSize {
            width_mm: u16::from(w) * 10,
            height_mm: u16::from(h) * 10,
            source: SizeSource::ScreenSizeCm,
        })
    }

    /// The visible diagonal in inches, rounded to the nearest 0.1 (see [`Edid::physical_size`]).
    pub fn diagonal_inches(&self) -> Option<f64> {
        self.physical_size().map(|s| round_tenth(s.diagonal_inches()))
    }

    /// The diagonal as the monitor was sold: the nearest usual marketed size (17, 15.6, 18.5,
    /// 21.5, 23.8, ...) within 0.3" (2% for large screens), else the nearest whole inch. A 17"
    /// 5:4 LCD (337 x 270 mm, 17.0-17.1" visible) is 17.0; a 19" widescreen (408 x 255 mm,
    /// 18.9") is 19.0; a 15.6" laptop panel (344 x 193 mm, 15.5") is 15.6.
    ///
    /// A CRT was sold by its tube size, about an inch more than the visible image its EDID
    /// describes (a 17" CRT shows ~16"); EDID does not say whether a display is a CRT, so an old
    /// CRT comes out an inch small here.
    pub fn nominal_inches(&self) -> Option<f64> {
        self.physical_size().map(|s| nominal_from_diagonal(s.diagonal_inches()))
    }

    /// The summary the inventory records.
    pub fn monitor(&self) -> Monitor {
        Monitor {
            manufacturer: self.manufacturer.clone(),
            name: self.name().map(str::to_owned),
            serial: self
                .serial_string()
                .map(str::to_owned)
                .or_else(|| self.serial_number.map(|s| s.to_string())),
            product_code: self.product_code,
            year: self.year,
            input: self.input,
            size_cm: self.size_cm(),
            diagonal_inches: self.diagonal_inches(),
            nominal_inches: self.nominal_inches(),
            preferred_mode: self.preferred_timing().map(DetailedTiming::mode),
            text: self.texts().into_iter().map(str::to_owned).collect(),
            checksum_ok: self.checksum_ok,
        }
    }
}

/// What the inventory records about a monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    /// Manufacturer PNP id (DEL, SAM, GSM, AUO, ...).
    pub manufacturer: String,
    /// Display product name, when the EDID gives one.
    pub name: Option<String>,
    /// Serial number: the descriptor string when there is one, else the binary serial in decimal
    /// when non-zero.
    pub serial: Option<String>,
    /// Manufacturer's product code.
    pub product_code: u16,
    /// Year of manufacture (or model year).
    pub year: u16,
    /// Analog (VGA) or digital, with the interface.
    pub input: VideoInput,
    /// Screen size from bytes 21-22, cm.
    pub size_cm: Option<(u8, u8)>,
    /// Visible diagonal, inches, to 0.1.
    pub diagonal_inches: Option<f64>,
    /// Diagonal as sold, inches.
    pub nominal_inches: Option<f64>,
    /// Preferred mode.
    pub preferred_mode: Option<Mode>,
    /// Alphanumeric strings (laptop panels: maker and part number).
    pub text: Vec<String>,
    /// The base block's checksum is right.
    pub checksum_ok: bool,
}

impl Monitor {
    /// One line for the label: `DELL E173FP · 17" · 1280x1024@60Hz · VGA (analog)`.
    pub fn summary(&self) -> String {
        let name = match (&self.name, self.text.last()) {
            (Some(n), _) => n.clone(),
            (None, Some(t)) => format!("{} {t}", self.manufacturer),
            (None, None) => format!("{} {:04X}", self.manufacturer, self.product_code),
        };
        let mut parts = vec![name];
        if let Some(inches) = self.nominal_inches {
            parts.push(format!("{inches}\""));
        }
        if let Some(mode) = self.preferred_mode {
            parts.push(mode.to_string());
        }
        parts.push(self.input.to_string());
        if !self.checksum_ok {
            parts.push("EDID checksum wrong".into());
        }
        parts.join(" · ")
    }
}

/// Reads every `/sys/class/drm/*/edid` below `root`, in connector-name order. A connector whose
/// edid file is empty (nothing plugged in) or absent (`card0` itself, `version`) is skipped;
/// one whose EDID cannot be read or parsed comes back with the reason. No /sys/class/drm gives an
/// empty list.
pub fn probe_monitors(root: &Root) -> Vec<(String, Result<Monitor, String>)> {
    let dir = root.join("/sys/class/drm");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut found = Vec::new();
    for name in names {
        match fs::read(dir.join(&name).join("edid")) {
            Ok(bytes) if bytes.is_empty() => {}
            Ok(bytes) => {
                let parsed = Edid::parse(&bytes).map(|e| e.monitor()).map_err(|e| e.to_string());
                found.push((name, parsed));
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
            Err(e) => {
                let why = format!("cannot read /sys/class/drm/{name}/edid: {e}");
                found.push((name, Err(why)));
            }
        }
    }
    found
}

/// Three 5-bit letters, big-endian, 1 = A (§3.4.1).
fn pnp_id(hi: u8, lo: u8) -> String {
    let v = u16::from_be_bytes([hi, lo]);
    [10u16, 5, 0]
        .iter()
        .map(|shift| match ((v >> shift) & 0x1F) as u8 {
            c @ 1..=26 => char::from(b'A' + c - 1),
            _ => '?',
        })
        .collect()
}

/// Byte 20 (§3.6.1).
fn video_input(b: u8, v1_4: bool) -> VideoInput {
    if b & 0x80 == 0 {
        return VideoInput::Analog;
    }
    if !v1_4 {
        // EDID 1.3 defines only bit 0 (DFP 1.x compatible) for digital inputs.
        return VideoInput::Digital { bits_per_color: None, interface: DigitalInterface::Undefined };
    }
    let bits_per_color = match (b >> 4) & 0x07 {
        depth @ 1..=6 => Some(4 + 2 * depth),
        _ => None,
    };
    let interface = match b & 0x0F {
        0 => DigitalInterface::Undefined,
        1 => DigitalInterface::Dvi,
        2 => DigitalInterface::HdmiA,
        3 => DigitalInterface::HdmiB,
        4 => DigitalInterface::Mddi,
        5 => DigitalInterface::DisplayPort,
        code => DigitalInterface::Reserved(code),
    };
    VideoInput::Digital { bits_per_color, interface }
}

/// Bytes 21-22 (§3.6.2).
fn screen_size(h: u8, v: u8, v1_4: bool) -> ScreenSize {
    match (h, v) {
        (0, 0) => ScreenSize::Unknown,
        (h, 0) if v1_4 => ScreenSize::LandscapeAspect { ratio_x100: u16::from(h) + 99 },
        (0, v) if v1_4 => ScreenSize::PortraitAspect {
            ratio_x100: ((10_000 + (u32::from(v) + 99) / 2) / (u32::from(v) + 99)) as u16,
        },
        (0, _) | (_, 0) => ScreenSize::Unknown,
        (width, height) => ScreenSize::Centimetres { width, height },
    }
}

/// An 18-byte detailed timing descriptor (§3.10.2); `d` is 18 bytes.
fn detailed_timing(offset: usize, d: &[u8]) -> DetailedTiming {
    let hi = |b: u8| u16::from(b >> 4) << 8;
    let lo = |b: u8| u16::from(b & 0x0F) << 8;
    DetailedTiming {
        offset,
        pixel_clock_khz: u32::from(u16::from_le_bytes([d[0], d[1]])) * 10,
        h_active: u16::from(d[2]) | hi(d[4]),
        h_blanking: u16::from(d[3]) | lo(d[4]),
        v_active: u16::from(d[5]) | hi(d[7]),
        v_blanking: u16::from(d[6]) | lo(d[7]),
        width_mm: u16::from(d[12]) | hi(d[14]),
        height_mm: u16::from(d[13]) | lo(d[14]),
        interlaced: d[17] & 0x80 != 0,
    }
}

/// An 18-byte display descriptor (§3.10.3): tag at byte 3, data in bytes 5-17.
fn display_descriptor(d: &[u8], v1_4: bool) -> Descriptor {
    let data = &d[5..18];
    match d[3] {
        0xFF => Descriptor::SerialNumber(descriptor_string(data)),
        0xFE => Descriptor::Text(descriptor_string(data)),
        0xFC => Descriptor::Name(descriptor_string(data)),
        0xFD => {
            // Byte 4 carries the EDID 1.4 rate offsets; it is reserved (0) before 1.4.
            let flags = if v1_4 { d[4] } else { 0 };
            let plus = |apply: bool, b: u8| u16::from(b) + if apply { 255 } else { 0 };
            Descriptor::RangeLimits(RangeLimits {
                min_v_hz: plus(flags & 0x03 == 0x03, d[5]),
                max_v_hz: plus(flags & 0x02 != 0, d[6]),
                min_h_khz: plus(flags & 0x0C == 0x0C, d[7]),
                max_h_khz: plus(flags & 0x08 != 0, d[8]),
                max_pixel_clock_mhz: u16::from(d[9]) * 10,
            })
        }
        0x10 => Descriptor::Dummy,
        tag => Descriptor::Other { tag },
    }
}

/// Up to 13 characters, ended by a line feed and padded with spaces (§3.10.3.1-3.10.3.4). A NUL
/// also ends the string (some displays pad with them); bytes outside printable ASCII become
/// U+FFFD.
fn descriptor_string(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0x0A || b == 0x00).unwrap_or(data.len());
    let s: String = data[..end]
        .iter()
        .map(|&b| if (0x20..0x7F).contains(&b) { char::from(b) } else { char::REPLACEMENT_CHARACTER })
        .collect();
    s.trim().to_owned()
}

/// Sizes that stand for an aspect ratio rather than a size (see [`Edid::physical_size`]).
const ASPECT_PLACEHOLDERS_CM: [(u8, u8); 4] = [(16, 9), (16, 10), (160, 90), (160, 100)];
const ASPECT_PLACEHOLDERS_MM: [(u16, u16); 6] =
    [(16, 9), (16, 10), (160, 90), (160, 100), (1600, 900), (1600, 1000)];

fn plausible_mm(t: &DetailedTiming, cm: Option<(u8, u8)>) -> bool {
    if t.width_mm == 0 || t.height_mm == 0 || ASPECT_PLACEHOLDERS_MM.contains(&(t.width_mm, t.height_mm)) {
        return false;
    }
    let (w, h) = (f64::from(t.width_mm), f64::from(t.height_mm));
    if !(4.0..=120.0).contains(&(w.hypot(h) / 25.4)) {
        return false;
    }
    let near = |mm: f64, cm: u8| {
        let from_cm = f64::from(cm) * 10.0;
        (mm - from_cm).abs() <= (from_cm * 0.1).max(10.0)
    };
    if let Some((cw, ch)) = cm {
        // When the two disagree, the centimetres are right far more often: over the linuxhw/EDID
        // collection, among the EDIDs whose model name gives the size, they matched it about
        // four times as often as the millimetres did.
        return near(w, cw) && near(h, ch);
    }
    let mode = t.mode();
    if mode.width == 0 || mode.height == 0 {
        return false;
    }
    let pixels = f64::from(mode.width) / f64::from(mode.height);
    ((w / h) / pixels - 1.0).abs() <= 0.1
}

fn round_tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Diagonals monitors and laptop panels are sold by, in inches.
const MARKETED_INCHES: [f64; 47] = [
    7.0, 8.0, 8.9, 10.1, 10.4, 11.6, 12.1, 12.5, 13.3, 14.0, 14.1, 15.0, 15.4, 15.6, 16.0, 17.0, 17.3, 18.5,
    19.0, 19.5, 20.0, 20.1, 21.5, 22.0, 23.0, 23.6, 23.8, 24.0, 25.0, 25.5, 27.0, 28.0, 30.0, 31.5, 32.0,
    34.0, 37.0, 37.5, 40.0, 42.0, 42.5, 43.0, 46.0, 49.0, 50.0, 55.0, 65.0,
];

fn nominal_from_diagonal(diagonal: f64) -> f64 {
    let tolerance = (diagonal * 0.02).max(0.3);
    let nearest = MARKETED_INCHES
        .iter()
        .copied()
        .min_by(|a, b| (a - diagonal).abs().total_cmp(&(b - diagonal).abs()))
        .filter(|size| (size - diagonal).abs() <= tolerance);
    nearest.unwrap_or_else(|| diagonal.round())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnp_ids() {
        assert_eq!(pnp_id(0x10, 0xAC), "DEL");
        assert_eq!(pnp_id(0x49, 0x14), "RHT");
        assert_eq!(pnp_id(0x06, 0xAF), "AUO");
        assert_eq!(pnp_id(0x00, 0x00), "???");
    }

    #[test]
    fn nominal_sizes() {
        for (diagonal, nominal) in [
            (17.03, 17.0),
            (17.09, 17.0),
            (18.94, 19.0),
            (15.53, 15.6),
            (23.80, 23.8),
            (23.99, 24.0),
            (21.51, 21.5),
            (18.51, 18.5),
            (14.07, 14.1),
            (26.97, 27.0),
            (16.39, 16.0),
            (37.52, 37.5),
            (25.6, 25.5),
            (80.2, 80.0),
        ] {
            assert_eq!(nominal_from_diagonal(diagonal), nominal, "{diagonal}");
        }
    }

    #[test]
    fn screen_size_forms() {
        assert_eq!(screen_size(34, 27, false), ScreenSize::Centimetres { width: 34, height: 27 });
        assert_eq!(screen_size(79, 0, true), ScreenSize::LandscapeAspect { ratio_x100: 178 });
        assert_eq!(screen_size(0, 79, true), ScreenSize::PortraitAspect { ratio_x100: 56 });
        assert_eq!(screen_size(79, 0, false), ScreenSize::Unknown);
        assert_eq!(screen_size(0, 0, true), ScreenSize::Unknown);
    }

    #[test]
    fn strings_end_at_line_feed_and_are_trimmed() {
        assert_eq!(descriptor_string(b"DELL E173FP\n "), "DELL E173FP");
        assert_eq!(descriptor_string(b"B156XTK01.0 \n"), "B156XTK01.0");
        assert_eq!(descriptor_string(b"AB\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "AB");
        assert_eq!(descriptor_string(b"A\xffB\n         "), "A\u{FFFD}B");
    }
}
