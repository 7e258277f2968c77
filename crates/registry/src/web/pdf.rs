//! A minimal PDF 1.4 writer (ISO 32000-1 subset): A4 pages of text in the standard Helvetica
//! fonts with WinAnsiEncoding (Annex D.2, so French accents print without embedding a font),
//! and filled rectangles (for QR codes). Streams are not compressed, so `pdftotext` and a
//! reader of the file alike see the text.

/// A4 width in points.
pub const PAGE_WIDTH: f32 = 595.0;
/// A4 height in points.
pub const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;

/// A document being written, with a cursor that flows lines down the pages.
#[derive(Debug)]
pub struct Pdf {
    pages: Vec<Vec<u8>>,
    y: f32,
}

impl Default for Pdf {
    fn default() -> Self {
        Self::new()
    }
}

impl Pdf {
    /// A document with one empty page, the cursor at its top.
    pub fn new() -> Self {
        Pdf { pages: vec![Vec::new()], y: PAGE_HEIGHT - MARGIN }
    }

    fn ops(&mut self) -> &mut Vec<u8> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Writes `text` at (x, y) in points from the bottom left.
    pub fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let font = if bold { "F2" } else { "F1" };
        let mut op = format!("BT /{font} {size} Tf {x:.2} {y:.2} Td (").into_bytes();
        for b in win_ansi(text) {
            if matches!(b, b'(' | b')' | b'\\') {
                op.push(b'\\');
            }
            op.push(b);
        }
        op.extend_from_slice(b") Tj ET\n");
        self.ops().extend_from_slice(&op);
    }

    /// Writes a line at the cursor, wrapped to the page width, moving to a new page when full.
    pub fn line(&mut self, size: f32, bold: bool, text: &str) {
        // Helvetica averages about half an em per character: wrap by character count.
        let per_line = ((PAGE_WIDTH - 2.0 * MARGIN) / (size * 0.5)) as usize;
        for chunk in wrap(text, per_line.max(10)) {
            if self.y < MARGIN + size {
                self.new_page();
            }
            self.y -= size * 1.35;
            let y = self.y;
            self.text_at(MARGIN, y, size, bold, &chunk);
        }
    }

    /// Leaves `points` of space.
    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// The cursor's height.
    pub fn cursor(&self) -> f32 {
        self.y
    }

    /// Draws a filled black rectangle.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let op = format!("{x:.2} {y:.2} {w:.2} {h:.2} re\n");
        self.ops().extend_from_slice(op.as_bytes());
    }

    /// Fills the rectangles drawn since the last fill.
    fn fill(&mut self) {
        self.ops().extend_from_slice(b"0 g f\n");
    }

    /// Draws a QR code (ISO/IEC 18004) of `data` with its top-right corner at (right, top),
    /// `size` points wide including the 4-module quiet zone.
    pub fn qr(&mut self, right: f32, top: f32, size: f32, data: &str) -> Result<(), String> {
        let code = qrcode::QrCode::new(data.as_bytes()).map_err(|e| format!("QR code of {data:?}: {e}"))?;
        let width = code.width();
        let module = size / (width as f32 + 8.0);
        let (x0, y0) = (right - size + 4.0 * module, top - 4.0 * module);
        for (i, color) in code.to_colors().iter().enumerate() {
            if *color == qrcode::Color::Dark {
                let (col, row) = (i % width, i / width);
                self.rect(x0 + col as f32 * module, y0 - (row as f32 + 1.0) * module, module, module);
            }
        }
        self.fill();
        Ok(())
    }

    /// The file's bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets: Vec<usize> = Vec::new();
        let mut object = |out: &mut Vec<u8>, body: &[u8]| {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        };
        let n = self.pages.len();
        // 1 catalog, 2 page tree, 3-4 fonts, then each page and its content stream.
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
        object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
        object(&mut out, format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).as_bytes());
        object(
            &mut out,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        );
        object(
            &mut out,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        );
        for (i, ops) in self.pages.iter().enumerate() {
            object(
                &mut out,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    6 + 2 * i
                )
                .as_bytes(),
            );
            let mut stream = format!("<< /Length {} >>\nstream\n", ops.len()).into_bytes();
            stream.extend_from_slice(ops);
            stream.extend_from_slice(b"\nendstream");
            object(&mut out, &stream);
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
        for o in &offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", offsets.len() + 1)
                .as_bytes(),
        );
        out
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces when it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word = word.to_owned();
        while word.chars().count() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Text in WinAnsiEncoding (ISO 32000-1 Annex D.2): Latin-1 plus the typographic characters
/// French uses; anything else becomes `?` (subscript digits become plain digits).
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‰' => 0x89,
            'Œ' => 0x8C,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'œ' => 0x9C,
            'Ÿ' => 0x9F,
            '\u{202F}' => 0xA0,
            '₀'..='₉' => b'0' + (c as u32 - '₀' as u32) as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_is_win_ansi() {
        assert_eq!(win_ansi("é à ç œ € CO₂ ’"), b"\xE9 \xE0 \xE7 \x9C \x80 CO2 \x92".to_vec());
        assert_eq!(win_ansi("日"), b"?".to_vec());
    }

    #[test]
    fn long_lines_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
    }

    #[test]
    fn the_qr_code_is_drawn_module_for_module_not_mirrored() {
        let data = "https://registre.example.org/check?id=01a207f2-7a86-7c3e-9a51-3d2f6b8e4c17";
        let mut pdf = Pdf::new();
        pdf.qr(500.0, 800.0, 116.0, data).expect("qr");
        let ops = String::from_utf8(pdf.pages[0].clone()).expect("ascii");
        let code = qrcode::QrCode::new(data.as_bytes()).expect("qr");
        let width = code.width();
        let module = 116.0 / (width as f32 + 8.0);
        let (x0, top) = (500.0 - 116.0 + 4.0 * module, 800.0 - 4.0 * module);
        let mut drawn = vec![false; width * width];
        for line in ops.lines().filter(|l| l.ends_with(" re")) {
            let v: Vec<f32> = line.split(' ').take(4).map(|n| n.parse().expect("number")).collect();
            let col = ((v[0] - x0) / module).round() as usize;
            let row = ((top - v[1]) / module).round() as usize - 1;
            drawn[row * width + col] = true;
        }
        let expected: Vec<bool> = code.to_colors().iter().map(|c| *c == qrcode::Color::Dark).collect();
        assert_eq!(drawn, expected);
    }

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let mut pdf = Pdf::new();
        pdf.line(12.0, true, "Certificat (d'effacement) \\ é");
        pdf.new_page();
        pdf.line(10.0, false, "page 2");
        pdf.qr(500.0, 800.0, 80.0, "https://example.org/check?id=1").expect("qr");
        let bytes = pdf.finish();
        let find = |needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);
        assert!(bytes.starts_with(b"%PDF-1.4"));
        assert!(find(b"(Certificat \\(d'effacement\\) \\\\ \xE9) Tj").is_some());
        let tail = find(b"startxref\n").expect("startxref") + b"startxref\n".len();
        let xref_at: usize = String::from_utf8_lossy(&bytes[tail..])
            .lines()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("xref offset");
        assert!(bytes[xref_at..].starts_with(b"xref\n0 9\n"), "2 pages: 4 + 2×2 objects");
        let table = String::from_utf8_lossy(&bytes[xref_at..]).into_owned();
        for (i, line) in table.lines().skip(3).take(8).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            assert!(bytes[offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()), "object {}", i + 1);
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(" re\n"), "QR modules drawn");
    }
}
