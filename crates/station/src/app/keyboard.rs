//! The keyboard test: every key drawn on screen turns to "pressed" when it answers. The layout
//! follows the language: AZERTY for French (the keyboards of donated French PCs), QWERTY for
//! English. A key counts whatever the Shift state (`a` or `A`, `&` or `1`). Keys that only
//! modify others (Shift, Ctrl, Alt) send nothing a terminal can see, so they are not drawn.

use super::i18n::Lang;
use super::Key;

/// One key on the drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCap {
    /// What is printed on it.
    pub label: String,
    /// What it sends: characters (both Shift states) or a special key.
    accepts: Accepts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Accepts {
    Chars(Vec<char>),
    Special(Key),
}

/// The state of a keyboard test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyboardTest {
    /// Rows of keys, top to bottom.
    pub rows: Vec<Vec<KeyCap>>,
    /// Which keys answered, row by row.
    pub pressed: Vec<Vec<bool>>,
}

/// Character rows: each key is "unshifted shifted".
const AZERTY: [&[&str]; 4] = [
    &["&1", "é2", "\"3", "'4", "(5", "-6", "è7", "_8", "ç9", "à0", ")°", "=+"],
    &["aA", "zZ", "eE", "rR", "tT", "yY", "uU", "iI", "oO", "pP", "$£"],
    &["qQ", "sS", "dD", "fF", "gG", "hH", "jJ", "kK", "lL", "mM", "ù%", "*µ"],
    &["<>", "wW", "xX", "cC", "vV", "bB", "nN", ",?", ";.", ":/", "!§"],
];

const QWERTY: [&[&str]; 4] = [
    &["`~", "1!", "2@", "3#", "4$", "5%", "6^", "7&", "8*", "9(", "0)", "-_", "=+"],
    &["qQ", "wW", "eE", "rR", "tT", "yY", "uU", "iI", "oO", "pP", "[{", "]}"],
    &["aA", "sS", "dD", "fF", "gG", "hH", "jJ", "kK", "lL", ";:", "'\"", "\\|"],
    &["zZ", "xX", "cC", "vV", "bB", "nN", "mM", ",<", ".>", "/?"],
];

impl KeyboardTest {
    /// A fresh test for the language's layout.
    pub fn new(lang: Lang) -> KeyboardTest {
        let layout = match lang {
            Lang::Fr => AZERTY,
            Lang::En => QWERTY,
        };
        let mut rows: Vec<Vec<KeyCap>> = layout
            .iter()
            .map(|row| {
                row.iter()
                    .map(|pair| {
                        let chars: Vec<char> = pair.chars().collect();
                        // Keycaps print letters in capitals but é è ç à ù as they are.
                        let label = if chars[0].is_ascii_alphabetic() {
                            chars[0].to_ascii_uppercase().to_string()
                        } else {
                            chars[0].to_string()
                        };
                        KeyCap { label, accepts: Accepts::Chars(chars) }
                    })
                    .collect()
            })
            .collect();
        let special = |label: &str, key: Key| KeyCap { label: label.into(), accepts: Accepts::Special(key) };
        rows[0].push(special("⌫", Key::Backspace));
        rows[1].insert(0, special("Tab", Key::Tab));
        rows[2].push(special(if lang == Lang::Fr { "Entrée" } else { "Enter" }, Key::Enter));
        rows.push(vec![
            special(if lang == Lang::Fr { "Espace" } else { "Space" }, Key::Char(' ')),
            special("←", Key::Left),
            special("↑", Key::Up),
            special("↓", Key::Down),
            special("→", Key::Right),
        ]);
        let pressed = rows.iter().map(|r| vec![false; r.len()]).collect();
        KeyboardTest { rows, pressed }
    }

    /// Marks the key that sends `key`, if it is on the drawing.
    pub fn press(&mut self, key: Key) {
        for (r, row) in self.rows.iter().enumerate() {
            for (k, cap) in row.iter().enumerate() {
                let hit = match (&cap.accepts, key) {
                    (Accepts::Chars(chars), Key::Char(c)) => chars.contains(&c),
                    (Accepts::Special(s), k) => *s == k,
                    _ => false,
                };
                if hit {
                    self.pressed[r][k] = true;
                }
            }
        }
    }

    /// Every key drawn.
    pub fn len(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// Whether the drawing has no key (never: both layouts have keys).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every key answered.
    pub fn all_pressed(&self) -> bool {
        self.pressed.iter().flatten().all(|p| *p)
    }

    /// Keys pressed so far.
    pub fn count_pressed(&self) -> usize {
        self.pressed.iter().flatten().filter(|p| **p).count()
    }

    /// The labels of the keys that never answered.
    pub fn missing(&self) -> Vec<String> {
        self.rows
            .iter()
            .flatten()
            .zip(self.pressed.iter().flatten())
            .filter(|(_, p)| !**p)
            .map(|(k, _)| k.label.clone())
            .collect()
    }

    /// One key press for every key on the drawing (tests and the batch's `keyboard = "all"`).
    pub fn every_key(&self) -> Vec<Key> {
        self.rows
            .iter()
            .flatten()
            .map(|cap| match &cap.accepts {
                Accepts::Chars(chars) => Key::Char(chars[0]),
                Accepts::Special(k) => *k,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_states_count_as_the_same_key_and_missing_keys_are_named() {
        let mut kb = KeyboardTest::new(Lang::Fr);
        assert!(!kb.all_pressed());
        kb.press(Key::Char('1'));
        kb.press(Key::Char('A'));
        assert_eq!(kb.count_pressed(), 2);
        for key in kb.every_key() {
            if key != Key::Char('m') {
                kb.press(key);
            }
        }
        assert_eq!(kb.missing(), vec!["M".to_string()]);
        kb.press(Key::Char('M'));
        assert!(kb.all_pressed());
    }
}
