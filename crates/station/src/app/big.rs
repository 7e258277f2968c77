//! Large type for headings and numbers: a 3×5 pixel font drawn with the half-block characters
//! `▀ ▄ █`, which every Linux console font has (they are in code page 437), so big words work on
//! the text console of an old PC as well as in a terminal emulator. Each character is 3 columns
//! wide and 3 rows high, plus one column of space: 20 characters fit in 80 columns.

/// Rows of text a big line takes.
pub const HEIGHT: u16 = 3;

/// Columns one big character takes, with its spacing.
pub const ADVANCE: u16 = 4;

/// The 3×5 pixels of a character, one string per pixel row, `#` for ink.
fn glyph(c: char) -> [&'static str; 5] {
    match c {
        '0' | 'O' => ["###", "#.#", "#.#", "#.#", "###"],
        '1' => [".#.", "##.", ".#.", ".#.", "###"],
        '2' => ["###", "..#", "###", "#..", "###"],
        '3' => ["###", "..#", ".##", "..#", "###"],
        '4' => ["#.#", "#.#", "###", "..#", "..#"],
        '5' | 'S' => ["###", "#..", "###", "..#", "###"],
        '6' => ["###", "#..", "###", "#.#", "###"],
        '7' => ["###", "..#", ".#.", ".#.", ".#."],
        '8' => ["###", "#.#", "###", "#.#", "###"],
        '9' => ["###", "#.#", "###", "..#", "###"],
        'A' => [".#.", "#.#", "###", "#.#", "#.#"],
        'B' => ["##.", "#.#", "##.", "#.#", "##."],
        'C' => [".##", "#..", "#..", "#..", ".##"],
        'D' => ["##.", "#.#", "#.#", "#.#", "##."],
        'E' => ["###", "#..", "##.", "#..", "###"],
        'F' => ["###", "#..", "##.", "#..", "#.."],
        'G' => [".##", "#..", "#.#", "#.#", ".##"],
        'H' => ["#.#", "#.#", "###", "#.#", "#.#"],
        'I' => ["###", ".#.", ".#.", ".#.", "###"],
        'J' => ["..#", "..#", "..#", "#.#", ".#."],
        'K' => ["#.#", "#.#", "##.", "#.#", "#.#"],
        'L' => ["#..", "#..", "#..", "#..", "###"],
        'M' => ["#.#", "###", "###", "#.#", "#.#"],
        'N' => ["##.", "#.#", "#.#", "#.#", "#.#"],
        'P' => ["##.", "#.#", "##.", "#..", "#.."],
        'Q' => [".#.", "#.#", "#.#", "##.", ".##"],
        'R' => ["##.", "#.#", "##.", "#.#", "#.#"],
        'T' => ["###", ".#.", ".#.", ".#.", ".#."],
        'U' => ["#.#", "#.#", "#.#", "#.#", "###"],
        'V' => ["#.#", "#.#", "#.#", "#.#", ".#."],
        'W' => ["#.#", "#.#", "###", "###", "#.#"],
        'X' => ["#.#", "#.#", ".#.", "#.#", "#.#"],
        'Y' => ["#.#", "#.#", ".#.", ".#.", ".#."],
        'Z' => ["###", "..#", ".#.", "#..", "###"],
        '-' => ["...", "...", "###", "...", "..."],
        '.' => ["...", "...", "...", "...", ".#."],
        ':' => ["...", ".#.", "...", ".#.", "..."],
        '%' => ["#.#", "..#", ".#.", "#..", "#.#"],
        '/' => ["..#", "..#", ".#.", "#..", "#.."],
        '\'' | '’' => [".#.", ".#.", "...", "...", "..."],
        '!' => [".#.", ".#.", ".#.", "...", ".#."],
        '?' => ["###", "..#", ".##", "...", ".#."],
        _ => ["...", "...", "...", "...", "..."],
    }
}

/// Folds what the font cannot draw onto what it can: upper case, accents dropped (the normal-size
/// line under a heading keeps them).
fn fold(c: char) -> char {
    match c.to_uppercase().next().unwrap_or(c) {
        'À' | 'Â' | 'Ä' => 'A',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'Î' | 'Ï' => 'I',
        'Ô' | 'Ö' => 'O',
        'Ù' | 'Û' | 'Ü' => 'U',
        'Ç' => 'C',
        'Œ' => 'O',
        other => other,
    }
}

/// The [`HEIGHT`] lines of `text` in large type.
pub fn render(text: &str) -> Vec<String> {
    let mut lines = vec![String::new(); HEIGHT as usize];
    for (i, c) in text.chars().map(fold).enumerate() {
        let g = glyph(c);
        for (row, line) in lines.iter_mut().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            for col in 0..3 {
                let top = g[row * 2].as_bytes()[col] == b'#';
                let bottom = g.get(row * 2 + 1).is_some_and(|r| r.as_bytes()[col] == b'#');
                line.push(match (top, bottom) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
        }
    }
    lines
}

/// Columns `text` takes in large type.
pub fn width(text: &str) -> u16 {
    let n = text.chars().count() as u16;
    if n == 0 {
        0
    } else {
        n * ADVANCE - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_drawn_with_half_blocks() {
        let lines = render("42%");
        assert_eq!(lines, vec!["█ █ ▀▀█ ▀ █", "▀▀█ █▀▀ ▄▀ ", "  ▀ ▀▀▀ ▀ ▀"]);
        assert_eq!(width("42%"), 11);
    }

    #[test]
    fn accents_fold_to_the_letters_the_font_has() {
        assert_eq!(render("étape"), render("ETAPE"));
    }
}
