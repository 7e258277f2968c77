//! QR codes for the label, drawn with half blocks (two modules per text row) so they fit an
//! 80×25 console: a certificate id (36 characters, upper case, QR alphanumeric mode) makes a
//! 25×25 version 2 code, 14 rows with its quiet zone.

use qrcode::{Color, EcLevel, QrCode};

/// The rows of the QR code for `text`, dark modules drawn as ink on a light background, with a
/// two-module quiet zone. `None` if the text is too long for a QR code.
pub fn render(text: &str) -> Option<Vec<String>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 2;
    let side = width + 2 * quiet;
    let dark = |x: usize, y: usize| -> bool {
        x >= quiet
            && y >= quiet
            && x < quiet + width
            && y < quiet + width
            && colors[(y - quiet) * width + (x - quiet)] == Color::Dark
    };
    // The terminal shows light text on dark, so ink is the light module: draw the light ones.
    let rows = (0..side)
        .step_by(2)
        .map(|y| {
            (0..side)
                .map(|x| match (!dark(x, y), y + 1 < side && !dark(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                })
                .collect()
        })
        .collect();
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_id_fits_the_console() {
        let rows = render("01A207F2-7A86-7C3E-9A51-3D2F6B8E4C17").expect("fits");
        assert_eq!(rows.len(), 15);
        assert!(rows.iter().all(|r| r.chars().count() == 29));
    }
}
