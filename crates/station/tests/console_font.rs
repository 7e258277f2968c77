//! The live USB's console font draws every character the station can print (issue #21).
//!
//! The font is made the way `live-usb/build` makes it: `live-usb/font/make-font` from Debian's
//! `Uni2-Terminus16.psf.gz` (console-setup-linux; `scripts/test` installs it). The characters
//! the station can print are read here, at test time, from what it prints them from:
//!
//! - the message catalogues `i18n/*.toml` (every value);
//! - the string and char literals of `src/**/*.rs` (its own text, the large type, the QR code's
//!   half blocks, the gauges, the symbols), outside tests;
//! - what ratatui draws for the widgets our code uses (a `Block`'s borders: the set its
//!   `BorderType` names, from ratatui's own `symbols`); a widget this test does not know fails it,
//!   so a new one gets its characters listed here;
//! - the screens as drawn, `tests/snapshots/*` (what `tests/screens.rs` checks).
//!
//! `SV_CONSOLE_FONT=FILE` checks another PSF font instead (a `.psf.gz` is read with gzip), e.g.
//! `SV_CONSOLE_FONT=/usr/share/consolefonts/Uni2-Terminus16.psf.gz`, which fails on ▀ ▄ ►.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use ratatui::symbols::border;

const TERMINUS: &str = "/usr/share/consolefonts/Uni2-Terminus16.psf.gz";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// A console font: its glyph count and size, each character's glyph slot, and the glyphs.
struct ConsoleFont {
    glyphs: Vec<Vec<u8>>,
    width: u32,
    height: u32,
    slot_of: BTreeMap<char, usize>,
}

impl ConsoleFont {
    fn read(path: &Path) -> ConsoleFont {
        let data = if path.extension().is_some_and(|e| e == "gz") {
            let out = Command::new("gzip").arg("-dc").arg(path).output().expect("run gzip");
            assert!(
                out.status.success(),
                "gzip -dc {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        } else {
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read the font {}: {e}", path.display()))
        };
        ConsoleFont::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// PSF1 (magic 36 04) or PSF2 (72 b5 4a 86), with their Unicode tables (kbd's psf.h).
    fn parse(data: &[u8]) -> Result<ConsoleFont, String> {
        let u32_at = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().expect("4 bytes"));
        let mut slot_of = BTreeMap::new();
        if data.starts_with(&[0x36, 0x04]) {
            let (mode, size) = (data[2], data[3] as usize);
            let count = if mode & 1 == 1 { 512 } else { 256 };
            if mode & 2 == 0 {
                return Err("PSF1 font without a Unicode table".into());
            }
            let glyphs = (0..count).map(|i| data[4 + i * size..4 + (i + 1) * size].to_vec()).collect();
            let (mut slot, mut in_seq) = (0, false);
            for v in data[4 + count * size..].chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])) {
                match v {
                    0xFFFF => (slot, in_seq) = (slot + 1, false),
                    0xFFFE => in_seq = true,
                    _ if !in_seq => {
                        if let Some(c) = char::from_u32(v.into()) {
                            slot_of.entry(c).or_insert(slot);
                        }
                    }
                    _ => {}
                }
            }
            Ok(ConsoleFont { glyphs, width: 8, height: size as u32, slot_of })
        } else if data.starts_with(&[0x72, 0xb5, 0x4a, 0x86]) {
            let (header, flags, count, size) =
                (u32_at(8) as usize, u32_at(12), u32_at(16) as usize, u32_at(20) as usize);
            let (height, width) = (u32_at(24), u32_at(28));
            if flags & 1 == 0 {
                return Err("PSF2 font without a Unicode table".into());
            }
            let glyphs =
                (0..count).map(|i| data[header + i * size..header + (i + 1) * size].to_vec()).collect();
            let table = &data[header + count * size..];
            for (slot, entry) in table.split(|&b| b == 0xFF).take(count).enumerate() {
                let chars = entry.split(|&b| b == 0xFE).next().unwrap_or_default();
                let text = std::str::from_utf8(chars)
                    .map_err(|e| format!("slot {slot}: bad UTF-8 in the table: {e}"))?;
                for c in text.chars() {
                    slot_of.entry(c).or_insert(slot);
                }
            }
            Ok(ConsoleFont { glyphs, width, height, slot_of })
        } else {
            Err("not a PSF1 or PSF2 font".into())
        }
    }
}

/// Where a character comes from: "i18n/fr.toml: wipe.title" or "src/app/qr.rs:28".
type Sources = BTreeMap<char, Vec<String>>;

fn note(sources: &mut Sources, text: &str, place: &str) {
    for c in text.chars().filter(|c| !c.is_control()) {
        let at = sources.entry(c).or_default();
        if at.len() < 3 {
            at.push(place.to_string());
        }
    }
}

/// The string and char literals of Rust source outside `#[cfg(test)]` items, with their line.
/// A small lexer: comments, strings (escapes, raw strings), char literals versus lifetimes.
fn literals(src: &str) -> Vec<(usize, String)> {
    let s: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut depth) = (0, 1, 0usize);
    let (mut pending_test, mut test_depth): (bool, Option<usize>) = (false, None);
    let mut out = Vec::new();
    let starts = |i: usize, w: &str| s[i..].iter().take(w.chars().count()).copied().eq(w.chars());
    while i < s.len() {
        let c = s[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if starts(i, "//") {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if starts(i, "/*") {
            let mut nest = 0;
            while i < s.len() {
                if starts(i, "/*") {
                    nest += 1;
                    i += 2;
                } else if starts(i, "*/") {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    line += usize::from(s[i] == '\n');
                    i += 1;
                }
            }
        } else if starts(i, "#[cfg(test)]") {
            pending_test = true;
            i += "#[cfg(test)]".len();
        } else if c == '{' {
            if pending_test && test_depth.is_none() {
                test_depth = Some(depth);
            }
            pending_test = false;
            depth += 1;
            i += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            if test_depth == Some(depth) {
                test_depth = None;
            }
            i += 1;
        } else if c == ';' {
            pending_test = false;
            i += 1;
        } else if c == '"' || (c == 'r' && (starts(i, "r\"") || starts(i, "r#"))) || starts(i, "b\"") {
            let start_line = line;
            let raw = c == 'r';
            if c == 'b' {
                i += 1;
            }
            let mut hashes = 0;
            if raw {
                i += 1;
                while s[i] == '#' {
                    hashes += 1;
                    i += 1;
                }
            }
            i += 1; // the opening quote
            let mut text = String::new();
            while i < s.len() {
                if raw
                    && s[i] == '"'
                    && s[i + 1..].iter().take(hashes).filter(|&&h| h == '#').count() == hashes
                {
                    i += 1 + hashes;
                    break;
                }
                if !raw && s[i] == '\\' {
                    if let Some((c, len)) = unicode_escape(&s[i..]) {
                        text.push(c);
                        i += len;
                        continue;
                    }
                    line += usize::from(s[i + 1] == '\n');
                    i += 2;
                    continue;
                }
                if !raw && s[i] == '"' {
                    i += 1;
                    break;
                }
                line += usize::from(s[i] == '\n');
                text.push(s[i]);
                i += 1;
            }
            if test_depth.is_none() {
                out.push((start_line, text));
            }
        } else if c == '\'' {
            // 'x' or '\n' or '\u{..}' is a char; 'a (no closing quote after one char) a lifetime.
            if i + 2 < s.len() && s[i + 1] != '\\' && s[i + 2] == '\'' {
                if test_depth.is_none() {
                    out.push((line, s[i + 1].to_string()));
                }
                i += 3;
            } else if i + 1 < s.len() && s[i + 1] == '\\' {
                if let Some((c, _)) = unicode_escape(&s[i + 1..]) {
                    if test_depth.is_none() {
                        out.push((line, c.to_string()));
                    }
                }
                i += 2;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// `\u{2584}` at the start of `s`: the char and the escape's length.
fn unicode_escape(s: &[char]) -> Option<(char, usize)> {
    if s.len() < 4 || s[1] != 'u' || s[2] != '{' {
        return None;
    }
    let end = s.iter().position(|&c| c == '}')?;
    let hex: String = s[3..end].iter().filter(|&&c| c != '_').collect();
    Some((char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?, end + 1))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
    out.sort();
}

/// What ratatui draws by itself for the widgets our code uses (ratatui 0.29's `symbols`).
/// Widgets that draw only the text we give them are listed as drawing nothing.
fn ratatui_draws(code: &str, sources: &mut Sources) -> Result<(), String> {
    const TEXT_ONLY: [&str; 7] = ["Block", "Borders", "BorderType", "Clear", "Padding", "Paragraph", "Wrap"];
    let mut used = BTreeSet::new();
    for (at, _) in code.match_indices("ratatui::widgets::") {
        let rest = &code[at + "ratatui::widgets::".len()..];
        let names = if let Some(group) = rest.strip_prefix('{') {
            &group[..group.find('}').unwrap_or(0)]
        } else {
            rest
        };
        for name in names.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|n| !n.is_empty()) {
            used.insert(name.to_string());
            if !rest.starts_with('{') {
                break;
            }
        }
    }
    let unknown: Vec<_> =
        used.iter().filter(|w| w.as_str() != "self" && !TEXT_ONLY.contains(&w.as_str())).collect();
    if !unknown.is_empty() {
        return Err(format!(
            "the station uses ratatui widgets {unknown:?} that this test does not know: add what each draws \
             (ratatui::symbols) to ratatui_draws in crates/station/tests/console_font.rs"
        ));
    }
    let borders =
        code.contains("Block::bordered") || code.contains(".borders(") || code.contains("Borders::");
    if borders {
        let mut sets = vec![("Plain (Block's default)", border::PLAIN)];
        for (name, set) in [
            ("Rounded", border::ROUNDED),
            ("Double", border::DOUBLE),
            ("Thick", border::THICK),
            ("QuadrantInside", border::QUADRANT_INSIDE),
            ("QuadrantOutside", border::QUADRANT_OUTSIDE),
        ] {
            if code.contains(&format!("BorderType::{name}")) {
                sets.push((name, set));
            }
        }
        for (name, set) in sets {
            let all = [
                set.top_left,
                set.top_right,
                set.bottom_left,
                set.bottom_right,
                set.vertical_left,
                set.vertical_right,
                set.horizontal_top,
                set.horizontal_bottom,
            ]
            .concat();
            note(sources, &all, &format!("ratatui: Block borders, BorderType::{name}"));
        }
    }
    Ok(())
}

/// Every character the station can print, with where it comes from.
fn station_chars() -> Sources {
    let station = repo().join("crates/station");
    let mut sources = Sources::new();
    note(&mut sources, &(' '..='~').collect::<String>(), "ASCII");
    let mut catalogues: Vec<_> = std::fs::read_dir(station.join("i18n"))
        .expect("crates/station/i18n")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    catalogues.sort();
    assert!(!catalogues.is_empty(), "no message catalogue in crates/station/i18n");
    for path in &catalogues {
        let text = std::fs::read_to_string(path).expect("read a catalogue");
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().expect("file name").to_string_lossy();
        for (key, value) in &table {
            let value = value.as_str().unwrap_or_else(|| panic!("{name}: {key} is not a string"));
            note(&mut sources, value, &format!("i18n/{name}: {key}"));
        }
    }
    let mut files = Vec::new();
    rust_files(&station.join("src"), &mut files);
    let mut code = String::new();
    for path in &files {
        let src = std::fs::read_to_string(path).expect("read a source file");
        let rel = path.strip_prefix(&station).expect("under the crate").display().to_string();
        for (line, text) in literals(&src) {
            note(&mut sources, &text, &format!("{rel}:{line}"));
        }
        code.push_str(&src);
    }
    ratatui_draws(&code, &mut sources).unwrap_or_else(|e| panic!("{e}"));
    let snapshots = station.join("tests/snapshots");
    if let Ok(dir) = std::fs::read_dir(&snapshots) {
        let mut shots: Vec<_> = dir.map(|e| e.expect("entry").path()).collect();
        shots.sort();
        for path in shots {
            let text = std::fs::read_to_string(&path).expect("read a snapshot");
            note(
                &mut sources,
                &text,
                &format!("tests/snapshots/{}", path.file_name().expect("name").to_string_lossy()),
            );
        }
    }
    sources
}

/// The characters of `sources` the font has no glyph for, each with where it comes from.
fn missing(font: &ConsoleFont, sources: &Sources) -> Vec<String> {
    sources
        .iter()
        .filter(|(c, _)| !font.slot_of.contains_key(c))
        .map(|(c, at)| format!("{c:?} (U+{:04X}) from {}", *c as u32, at.join(", ")))
        .collect()
}

/// The font live-usb/build puts on the stick, made into `dir`.
fn stick_font(dir: &Path) -> PathBuf {
    assert!(
        Path::new(TERMINUS).exists(),
        "{TERMINUS} is missing: apt-get install console-setup-linux (scripts/test installs it)"
    );
    let out = dir.join("SecondeVie-Terminus16.psf");
    let run = Command::new("python3")
        .arg(repo().join("live-usb/font/make-font"))
        .args(["--source", TERMINUS, "--out"])
        .arg(&out)
        .output()
        .expect("run python3 live-usb/font/make-font");
    assert!(run.status.success(), "make-font failed: {}", String::from_utf8_lossy(&run.stderr));
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sv-console-font-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn the_stick_font_draws_every_character_the_station_prints() {
    let dir = scratch("stick");
    let path = match std::env::var_os("SV_CONSOLE_FONT") {
        Some(p) => PathBuf::from(p),
        None => stick_font(&dir),
    };
    let font = ConsoleFont::read(&path);
    let sources = station_chars();
    let chars: String = sources.keys().filter(|c| !c.is_ascii()).collect();
    println!("{} characters the station can print; beyond ASCII: {chars}", sources.len());
    let lacking = missing(&font, &sources);
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        lacking.is_empty(),
        "{} lacks {} characters the station prints:\n{}",
        path.display(),
        lacking.len(),
        lacking.join("\n")
    );
}

#[test]
fn the_stick_font_fits_the_console_and_vga_text_mode() {
    let dir = scratch("shape");
    let font = ConsoleFont::read(&stick_font(&dir));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!((font.width, font.height), (8, 16), "an 8x16 font");
    // 512 is the kernel's limit, but vgacon then spends the foreground's intensity bit on the
    // glyph bank: 8 colours instead of the 16 the app's palette needs.
    assert!(font.glyphs.len() <= 256, "{} glyphs: vgacon keeps 16 colours only up to 256", font.glyphs.len());
    let replacement = font.slot_of.get(&'\u{FFFD}').expect("a replacement glyph (U+FFFD)");
    let glyph = &font.glyphs[*replacement];
    let inverse: Vec<u8> = glyph.iter().map(|b| !b).collect();
    for (c, slot) in &font.slot_of {
        if slot != replacement {
            let other = &font.glyphs[*slot];
            assert!(
                other != glyph && *other != inverse,
                "{c:?} looks like the replacement glyph (or its inverse)"
            );
        }
    }
    // Box drawing and blocks that reach the right edge must sit where VGA text mode repeats the
    // 8th column into the 9th (0xC0-0xDF), or borders, gauges and the QR code show gaps.
    for (c, slot) in &font.slot_of {
        let reaches_right = font.glyphs[*slot].iter().any(|row| row & 1 == 1);
        if ('\u{2500}'..='\u{259F}').contains(c) && reaches_right {
            assert!(
                (0xC0..=0xDF).contains(slot),
                "{c:?} reaches its right edge but sits in slot {slot:#04X}"
            );
        }
    }
}

/// The check above can fail: Debian's Uni2-Terminus16, which the stick used before, lacks the
/// large type's and the QR code's half blocks and the action band's ►.
#[test]
fn debian_uni2_terminus16_lacks_what_the_station_draws() {
    assert!(Path::new(TERMINUS).exists(), "{TERMINUS} is missing: apt-get install console-setup-linux");
    let lacking = missing(&ConsoleFont::read(Path::new(TERMINUS)), &station_chars());
    for c in ['▀', '▄', '►'] {
        assert!(
            lacking.iter().any(|l| l.starts_with(&format!("{c:?}"))),
            "{c} not reported missing: {lacking:?}"
        );
    }
}

#[test]
fn the_lexer_finds_literals_outside_tests_only() {
    let src = "fn f<'a>(x: &'a str) -> char { let _ = \"é\\\"\"; let _ = r#\"▀\"#; '►' }\n\
               // \"×\" in a comment\n/* '√' */ fn g() -> char { '\\u{2584}' }\n\
               #[cfg(test)]\nmod tests { fn t() { let _ = \"✓\"; } }\nfn h() { let _ = \"■\"; }\n";
    let found: Vec<String> = literals(src).into_iter().map(|(_, t)| t).collect();
    assert_eq!(found, ["é", "▀", "►", "▄", "■"]);
}
