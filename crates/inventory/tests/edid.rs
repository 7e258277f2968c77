//! EDID parsing on real EDIDs (QEMU's, and three from the linuxhw/EDID collection; see
//! tests/fixtures/README.md), on damaged and random bytes, and the /sys/class/drm probe.

use std::fs;
use std::path::PathBuf;

use inventory::edid::{
    probe_monitors, Descriptor, DigitalInterface, Edid, EdidError, Mode, RangeLimits, ScreenSize, SizeSource,
    VideoInput, BLOCK_LEN, HEADER,
};
use inventory::Root;
use proptest::prelude::*;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    fs::read(&full).expect("fixture is readable")
}

fn parse(path: &str) -> Edid {
    Edid::parse(&fixture(path)).expect("fixture parses")
}

const QEMU: &str = "qemu/edid/card0-Virtual-1.bin";
const E173FP: &str = "edid/dell-e173fp-vga.bin";
const B156XTK01: &str = "edid/auo-b156xtk01-edp.bin";
const U2414H: &str = "edid/dell-u2414h-dp.bin";

/// Sets byte 127 so the base block sums to 0 again after a test changed it (§3.11).
fn fix_checksum(bytes: &mut [u8]) {
    let sum = bytes[..127].iter().fold(0u8, |s, &b| s.wrapping_add(b));
    bytes[127] = 0u8.wrapping_sub(sum);
}

#[test]
fn qemu_monitor() {
    let edid = parse(QEMU);
    assert_eq!(edid.manufacturer, "RHT");
    assert_eq!(edid.product_code, 0x1234);
    assert_eq!(edid.serial_number, None);
    assert_eq!((edid.week, edid.year, edid.model_year), (Some(42), 2014, false));
    assert_eq!((edid.version, edid.revision), (1, 4));
    assert_eq!(
        edid.input,
        VideoInput::Digital { bits_per_color: Some(8), interface: DigitalInterface::DisplayPort }
    );
    assert_eq!(edid.screen_size, ScreenSize::Centimetres { width: 32, height: 26 });
    assert_eq!(edid.name(), Some("QEMU Monitor"));
    assert_eq!(edid.serial_string(), None);
    assert_eq!(edid.extension_count, 1);
    assert_eq!(edid.len, 256);
    assert!(edid.checksum_ok);

    assert_eq!(edid.detailed_timings.len(), 1);
    let t = edid.preferred_timing().expect("a preferred timing");
    assert_eq!((t.offset, t.h_active, t.v_active, t.width_mm, t.height_mm), (54, 1280, 1024, 325, 260));
    assert_eq!(t.pixel_clock_khz, 137_240);
    assert_eq!(t.mode(), Mode { width: 1280, height: 1024, refresh_hz: 75, interlaced: false });
    assert_eq!(
        edid.descriptors[..],
        [
            Descriptor::Other { tag: 0xF7 },
            Descriptor::RangeLimits(RangeLimits {
                min_v_hz: 50,
                max_v_hz: 125,
                min_h_khz: 30,
                max_h_khz: 160,
                max_pixel_clock_mhz: 2550
            }),
            Descriptor::Name("QEMU Monitor".into()),
        ]
    );

    // 325 x 260 mm agrees with 32 x 26 cm: 16.39" visible, not a size anyone sells.
    let size = edid.physical_size().expect("a size");
    assert_eq!(size.source, SizeSource::DetailedTiming);
    assert_eq!(edid.diagonal_inches(), Some(16.4));
    assert_eq!(edid.nominal_inches(), Some(16.0));

    let m = edid.monitor();
    assert_eq!(m.name.as_deref(), Some("QEMU Monitor"));
    assert_eq!(m.serial, None);
    assert_eq!(m.size_cm, Some((32, 26)));
    assert_eq!(m.preferred_mode.map(|m| m.to_string()).as_deref(), Some("1280x1024@75Hz"));
    assert_eq!(m.summary(), "QEMU Monitor · 16\" · 1280x1024@75Hz · DisplayPort");
}

#[test]
fn dell_e173fp_is_a_17_inch_vga_monitor() {
    let edid = parse(E173FP);
    assert_eq!(edid.manufacturer, "DEL");
    assert_eq!(edid.product_code, 0xA00B);
    assert_eq!(edid.serial_number, Some(859_000_915));
    assert_eq!((edid.week, edid.year, edid.model_year), (Some(38), 2004, false));
    assert_eq!((edid.version, edid.revision), (1, 3));
    assert_eq!(edid.input, VideoInput::Analog);
    assert_eq!(edid.screen_size, ScreenSize::Centimetres { width: 34, height: 27 });
    assert_eq!(edid.extension_count, 0);
    assert_eq!(edid.len, BLOCK_LEN);
    assert!(edid.checksum_ok);
    assert_eq!(edid.name(), Some("DELL E173FP"));
    assert_eq!(edid.serial_string(), Some("U494149C33PS"));
    assert_eq!(
        edid.range_limits(),
        Some(&RangeLimits {
            min_v_hz: 56,
            max_v_hz: 75,
            min_h_khz: 31,
            max_h_khz: 80,
            max_pixel_clock_mhz: 140
        })
    );
    let t = edid.preferred_timing().expect("a preferred timing");
    assert_eq!((t.h_active, t.v_active, t.width_mm, t.height_mm), (1280, 1024, 338, 270));
    assert_eq!(t.pixel_clock_khz, 108_000);
    assert_eq!(t.refresh_millihertz(), Some(60_020));

    assert_eq!(edid.diagonal_inches(), Some(17.0));
    assert_eq!(edid.nominal_inches(), Some(17.0));

    let m = edid.monitor();
    assert_eq!(m.input, VideoInput::Analog);
    assert_eq!(m.nominal_inches, Some(17.0));
    assert_eq!(m.serial.as_deref(), Some("U494149C33PS"), "the descriptor string wins over the binary");
    assert_eq!(m.year, 2004);
    assert_eq!(m.summary(), "DELL E173FP · 17\" · 1280x1024@60Hz · VGA (analog)");
}

#[test]
fn auo_laptop_panel_is_15_6_inch_edp() {
    let edid = parse(B156XTK01);
    assert_eq!(edid.manufacturer, "AUO");
    assert_eq!(edid.product_code, 0x10EC);
    assert_eq!(edid.serial_number, None);
    assert_eq!((edid.week, edid.year, edid.model_year), (None, 2017, false));
    assert_eq!((edid.version, edid.revision), (1, 4));
    assert_eq!(
        edid.input,
        VideoInput::Digital { bits_per_color: Some(6), interface: DigitalInterface::DisplayPort }
    );
    assert_eq!(edid.screen_size, ScreenSize::Centimetres { width: 34, height: 19 });
    assert!(edid.checksum_ok);
    assert_eq!(edid.name(), None);
    assert_eq!(edid.texts(), ["AUO", "B156XTK01.0"]);
    assert_eq!(edid.range_limits(), None);
    assert!(edid.descriptors.contains(&Descriptor::Other { tag: 0x0F }));
    let t = edid.preferred_timing().expect("a preferred timing");
    assert_eq!((t.h_active, t.v_active, t.width_mm, t.height_mm), (1366, 768, 344, 193));
    assert_eq!(t.mode().to_string(), "1366x768@60Hz");

    assert_eq!(edid.diagonal_inches(), Some(15.5));
    assert_eq!(edid.nominal_inches(), Some(15.6));

    let m = edid.monitor();
    assert_eq!(m.serial, None);
    assert_eq!(m.summary(), "AUO B156XTK01.0 · 15.6\" · 1366x768@60Hz · DisplayPort");
}

#[test]
fn dell_u2414h_is_a_23_8_inch_displayport_monitor() {
    let edid = parse(U2414H);
    assert_eq!(edid.manufacturer, "DEL");
    assert_eq!(edid.product_code, 0xA0A2);
    assert_eq!(edid.serial_number, Some(877_543_763));
    assert_eq!((edid.week, edid.year), (Some(21), 2015));
    assert_eq!((edid.version, edid.revision), (1, 4));
    assert_eq!(
        edid.input,
        VideoInput::Digital { bits_per_color: Some(8), interface: DigitalInterface::DisplayPort }
    );
    assert_eq!(edid.screen_size, ScreenSize::Centimetres { width: 53, height: 30 });
    assert_eq!((edid.extension_count, edid.len), (1, 256));
    assert!(edid.checksum_ok);
    assert_eq!(edid.name(), Some("DELL U2414H"));
    assert_eq!(edid.serial_string(), Some("R9F1P55K4NAS"));
    assert_eq!(
        edid.range_limits(),
        Some(&RangeLimits {
            min_v_hz: 56,
            max_v_hz: 76,
            min_h_khz: 30,
            max_h_khz: 83,
            max_pixel_clock_mhz: 170
        })
    );
    let t = edid.preferred_timing().expect("a preferred timing");
    assert_eq!((t.h_active, t.v_active, t.width_mm, t.height_mm), (1920, 1080, 527, 296));
    assert_eq!(t.pixel_clock_khz, 148_500);
    assert_eq!(t.refresh_millihertz(), Some(60_000));
    assert_eq!(edid.diagonal_inches(), Some(23.8));
    assert_eq!(edid.nominal_inches(), Some(23.8));
    assert_eq!(edid.monitor().summary(), "DELL U2414H · 23.8\" · 1920x1080@60Hz · DisplayPort");
}

#[test]
fn a_wrong_checksum_is_reported_not_refused() {
    let mut bytes = fixture(E173FP);
    bytes[118] = b'X'; // the name descriptor at 108: "DELL E173FP" -> "DELL X173FP"
    let edid = Edid::parse(&bytes).expect("a bad checksum still parses");
    assert!(!edid.checksum_ok);
    assert_eq!(edid.name(), Some("DELL X173FP"));
    assert_eq!(edid.nominal_inches(), Some(17.0));
    let m = edid.monitor();
    assert!(!m.checksum_ok);
    assert!(m.summary().ends_with("EDID checksum wrong"), "{}", m.summary());
}

#[test]
fn a_wrong_header_is_refused_with_its_offset() {
    let mut bytes = fixture(E173FP);
    bytes[3] = 0x7F;
    let err = Edid::parse(&bytes).expect_err("a wrong header is refused");
    assert_eq!(err, EdidError::BadHeader { offset: 3, found: 0x7F, expected: 0xFF });
    let msg = err.to_string();
    assert!(msg.contains("header") && msg.contains("byte 3") && msg.contains("0x7F"), "{msg}");

    // An EDID 2.0 structure or any other file has no header at all.
    let err = Edid::parse(b"\x20\x00garbage").expect_err("not an EDID");
    assert!(matches!(err, EdidError::BadHeader { offset: 0, .. }), "{err:?}");
}

#[test]
fn fewer_than_128_bytes_are_refused() {
    let bytes = fixture(E173FP);
    let err = Edid::parse(&bytes[..100]).expect_err("100 bytes are not a base block");
    assert_eq!(err, EdidError::TooShort { len: 100 });
    let msg = err.to_string();
    assert!(msg.contains("too short") && msg.contains("100 bytes") && msg.contains("128"), "{msg}");

    assert_eq!(Edid::parse(&[]), Err(EdidError::TooShort { len: 0 }));
    assert_eq!(Edid::parse(&HEADER[..5]), Err(EdidError::TooShort { len: 5 }));
}

#[test]
fn interface_and_bit_depth_of_edid_1_4() {
    let base = fixture(U2414H);
    for (byte, bits, interface) in [
        (0xA1, Some(8), DigitalInterface::Dvi),
        (0xA2, Some(8), DigitalInterface::HdmiA),
        (0xB3, Some(10), DigitalInterface::HdmiB),
        (0x94, Some(6), DigitalInterface::Mddi),
        (0x80, None, DigitalInterface::Undefined),
        (0xF5, None, DigitalInterface::DisplayPort),
        (0xA9, Some(8), DigitalInterface::Reserved(9)),
    ] {
        let mut bytes = base.clone();
        bytes[20] = byte;
        let edid = Edid::parse(&bytes).expect("parses");
        assert_eq!(
            edid.input,
            VideoInput::Digital { bits_per_color: bits, interface },
            "byte 20 = {byte:#04x}"
        );
    }
    // EDID 1.3 defines neither: the AUO panel's 0x95 read as a 1.3 EDID is plain digital.
    let mut bytes = fixture(B156XTK01);
    bytes[19] = 3;
    assert_eq!(
        Edid::parse(&bytes).expect("parses").input,
        VideoInput::Digital { bits_per_color: None, interface: DigitalInterface::Undefined }
    );
}

#[test]
fn model_year_and_aspect_ratio_forms() {
    let mut bytes = fixture(U2414H);
    bytes[16] = 0xFF;
    bytes[21] = 79; // 16:9 landscape, no size
    bytes[22] = 0;
    let edid = Edid::parse(&bytes).expect("parses");
    assert_eq!((edid.week, edid.year, edid.model_year), (None, 2015, true));
    assert_eq!(edid.screen_size, ScreenSize::LandscapeAspect { ratio_x100: 178 });
    assert_eq!(edid.size_cm(), None);
    // No centimetres to compare with: the timing's millimetres are used as they are plausible.
    assert_eq!(edid.diagonal_inches(), Some(23.8));
}

#[test]
fn implausible_millimetres_fall_back_to_centimetres() {
    // Some EDIDs write the aspect ratio (16 x 9), centimetres, or a wrong number into the
    // timing's mm fields: the 53 x 30 cm of bytes 21-22 win.
    for (w, h) in [(16u16, 9u16), (53, 30), (148, 36)] {
        let mut bytes = fixture(U2414H);
        set_sizes(&mut bytes, (53, 30), (w, h));
        let edid = Edid::parse(&bytes).expect("parses");
        let t = edid.preferred_timing().expect("a timing");
        assert_eq!((t.width_mm, t.height_mm), (w, h));
        let size = edid.physical_size().expect("a size");
        assert_eq!(size.source, SizeSource::ScreenSizeCm, "{w}x{h} mm");
        assert_eq!(edid.diagonal_inches(), Some(24.0), "53 x 30 cm");
        assert_eq!(edid.nominal_inches(), Some(24.0));
    }
    // Neither mm nor cm: no size at all.
    let mut bytes = fixture(U2414H);
    bytes[21] = 0;
    bytes[22] = 0;
    bytes[54 + 12..54 + 15].copy_from_slice(&[0, 0, 0]);
    fix_checksum(&mut bytes);
    let edid = Edid::parse(&bytes).expect("parses");
    assert!(edid.checksum_ok);
    assert_eq!((edid.diagonal_inches(), edid.nominal_inches()), (None, None));
    assert_eq!(edid.monitor().summary(), "DELL U2414H · 1920x1080@60Hz · DisplayPort");
}

#[test]
fn aspect_ratio_placeholders_are_not_sizes() {
    // Many TVs write 160 x 90 cm and 1600 x 900 mm (or 16 x 9 and 160 x 90) whatever their size.
    for (cm, mm) in [((160u8, 90u8), (1600u16, 900u16)), ((16, 9), (160, 90)), ((16, 9), (16, 9))] {
        let mut bytes = fixture(U2414H);
        set_sizes(&mut bytes, cm, mm);
        let edid = Edid::parse(&bytes).expect("parses");
        assert_eq!(edid.size_cm(), Some(cm), "the field keeps what the EDID says");
        assert_eq!(edid.physical_size(), None, "{cm:?} cm, {mm:?} mm");
        assert_eq!(edid.monitor().nominal_inches, None);
    }
    // A placeholder in centimetres, real millimetres of the mode's shape: the millimetres count.
    let mut bytes = fixture(U2414H);
    set_sizes(&mut bytes, (16, 9), (698, 393));
    let edid = Edid::parse(&bytes).expect("parses");
    assert_eq!(edid.physical_size().map(|s| s.source), Some(SizeSource::DetailedTiming));
    assert_eq!(edid.nominal_inches(), Some(31.5));
    // Without centimetres, millimetres of another shape than the 16:9 mode are not believed.
    set_sizes(&mut bytes, (0, 0), (148, 36));
    assert_eq!(Edid::parse(&bytes).expect("parses").physical_size(), None);
}

fn set_sizes(bytes: &mut [u8], cm: (u8, u8), mm: (u16, u16)) {
    bytes[21] = cm.0;
    bytes[22] = cm.1;
    bytes[54 + 12] = (mm.0 & 0xFF) as u8;
    bytes[54 + 13] = (mm.1 & 0xFF) as u8;
    bytes[54 + 14] = (((mm.0 >> 8) << 4) | (mm.1 >> 8)) as u8;
    fix_checksum(bytes);
}

#[test]
fn range_limit_offsets_of_edid_1_4() {
    let mut bytes = fixture(U2414H);
    // Display range limits at offset 108: byte 4 = 0x0A, max V and max H + 255.
    assert_eq!(bytes[108 + 3], 0xFD);
    bytes[108 + 4] = 0x0A;
    let edid = Edid::parse(&bytes).expect("parses");
    let r = edid.range_limits().expect("range limits");
    assert_eq!((r.min_v_hz, r.max_v_hz, r.min_h_khz, r.max_h_khz), (56, 76 + 255, 30, 83 + 255));
}

fn header_then(garbage: Vec<u8>) -> Vec<u8> {
    let mut bytes = HEADER.to_vec();
    bytes.extend(garbage);
    bytes
}

proptest! {
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(edid) = Edid::parse(&bytes) {
            let _ = edid.monitor().summary();
        }
    }

    #[test]
    fn a_header_and_128_bytes_always_parse(garbage in proptest::collection::vec(any::<u8>(), 120..520)) {
        let bytes = header_then(garbage);
        let edid = Edid::parse(&bytes).expect("a header and a whole block parse");
        prop_assert_eq!(edid.len, bytes.len());
        prop_assert_eq!(edid.detailed_timings.len() + edid.descriptors.len(), 4);
        prop_assert_eq!(edid.manufacturer.chars().count(), 3);
        if let Some(d) = edid.diagonal_inches() {
            prop_assert!(d.is_finite() && d > 0.0);
        }
        if let Some(n) = edid.nominal_inches() {
            prop_assert!(n.is_finite() && n > 0.0);
        }
        let m = edid.monitor();
        prop_assert!(!m.summary().is_empty());
        prop_assert_eq!(m.checksum_ok, bytes[..128].iter().fold(0u8, |s, &b| s.wrapping_add(b)) == 0);
    }

    #[test]
    fn any_damage_after_the_header_still_parses(index in 8usize..128, value in any::<u8>()) {
        let mut bytes = fixture(E173FP);
        let changed = bytes[index] != value;
        bytes[index] = value;
        let edid = Edid::parse(&bytes).expect("damage after the header is not fatal");
        prop_assert_eq!(edid.checksum_ok, !changed);
    }
}

struct TempRoot(PathBuf);

impl TempRoot {
    fn new(name: &str) -> TempRoot {
        let dir = std::env::temp_dir().join(format!("sv-edid-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp root");
        TempRoot(dir)
    }

    fn connector(&self, name: &str, edid: &[u8]) {
        let dir = self.0.join("sys/class/drm").join(name);
        fs::create_dir_all(&dir).expect("connector dir");
        fs::write(dir.join("edid"), edid).expect("edid file");
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn probe_reads_each_connector_and_skips_empty_ones() {
    let root = TempRoot::new("probe");
    root.connector("card0-VGA-1", &fixture(E173FP));
    root.connector("card0-DP-1", b""); // nothing plugged in
    root.connector("card1-eDP-1", &fixture(B156XTK01));
    root.connector("card1-HDMI-A-1", &fixture(E173FP)[..100]);
    fs::create_dir_all(root.0.join("sys/class/drm/card0")).expect("card dir without edid");
    fs::write(root.0.join("sys/class/drm/version"), "drm 1.1.0 20060810\n").expect("version file");

    let found = probe_monitors(&Root::at(&root.0));
    let connectors: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(connectors, ["card0-VGA-1", "card1-HDMI-A-1", "card1-eDP-1"]);

    let vga = found[0].1.as_ref().expect("the VGA monitor parses");
    assert_eq!(vga.name.as_deref(), Some("DELL E173FP"));
    assert_eq!((vga.input, vga.nominal_inches), (VideoInput::Analog, Some(17.0)));

    let why = found[1].1.as_ref().expect_err("100 bytes are refused");
    assert!(why.contains("too short") && why.contains("100 bytes"), "{why}");

    let panel = found[2].1.as_ref().expect("the panel parses");
    assert_eq!(panel.text, ["AUO", "B156XTK01.0"]);
    assert_eq!(panel.nominal_inches, Some(15.6));
}

#[test]
fn probe_without_drm_finds_nothing() {
    assert!(probe_monitors(&Root::at("/nonexistent-sv-root")).is_empty());
}

#[test]
fn probe_reads_the_qemu_capture_laid_out_as_sysfs() {
    let root = TempRoot::new("qemu");
    root.connector("card0-Virtual-1", &fixture(QEMU));
    let found = probe_monitors(&Root::at(&root.0));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "card0-Virtual-1");
    let m = found[0].1.as_ref().expect("parses");
    assert_eq!((m.manufacturer.as_str(), m.name.as_deref()), ("RHT", Some("QEMU Monitor")));
}
