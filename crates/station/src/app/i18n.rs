//! Message catalogues. Every word the station app shows comes from `i18n/fr.toml` or
//! `i18n/en.toml` (flat `key = "text"` tables, `{name}` for values), so a workshop can reword the
//! app, or translate it, without touching code. French is the default language.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A language of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Français (the default).
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The other language (the app has two).
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The ISO 639-1 code, as written in settings and batch files.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Parses an ISO 639-1 code.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" | "fr_fr" | "français" | "francais" => Some(Lang::Fr),
            "en" | "en_gb" | "en_us" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The French catalogue's source.
pub const FR_SOURCE: &str = include_str!("../../i18n/fr.toml");
/// The English catalogue's source.
pub const EN_SOURCE: &str = include_str!("../../i18n/en.toml");

/// Parses a catalogue; the error names the file and what is wrong.
pub fn parse(name: &str, source: &str) -> Result<HashMap<String, String>, String> {
    let table: toml::Table = source.parse().map_err(|e| format!("{name}: {e}"))?;
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k, s)),
            other => Err(format!("{name}: {k} is a {}, not a string", other.type_str())),
        })
        .collect()
}

fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
    static FR: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    // The catalogues are compiled in and a test parses both, so a parse error here is a build
    // that never passed its tests; show keys rather than crash a station mid-run.
    match lang {
        Lang::Fr => FR.get_or_init(|| parse("i18n/fr.toml", FR_SOURCE).unwrap_or_default()),
        Lang::En => EN.get_or_init(|| parse("i18n/en.toml", EN_SOURCE).unwrap_or_default()),
    }
}

/// The text for `key`; a missing key shows as `⟦key⟧` so it is seen, not silently blank.
pub fn t(lang: Lang, key: &str) -> String {
    match catalogue(lang).get(key) {
        Some(s) => s.clone(),
        None => format!("⟦{key}⟧"),
    }
}

/// The text for `key` with each `{name}` replaced by its value.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key);
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogues_parse_and_have_the_same_keys() {
        let fr = parse("fr", FR_SOURCE).expect("fr.toml parses");
        let en = parse("en", EN_SOURCE).expect("en.toml parses");
        let fr_keys: BTreeSet<_> = fr.keys().collect();
        let en_keys: BTreeSet<_> = en.keys().collect();
        let only_fr: Vec<_> = fr_keys.difference(&en_keys).collect();
        let only_en: Vec<_> = en_keys.difference(&fr_keys).collect();
        assert!(only_fr.is_empty() && only_en.is_empty(), "only in fr: {only_fr:?}; only in en: {only_en:?}");
        for (k, v) in &fr {
            let placeholders = |s: &str| -> BTreeSet<String> {
                s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned())).collect()
            };
            assert_eq!(placeholders(v), placeholders(&en[k]), "placeholders of {k} differ");
        }
    }

    /// Every `t(…, "key")` / `tf(…, "key", …)` in the app's source names a key both catalogues have.
    #[test]
    fn every_key_the_code_uses_exists() {
        let fr = parse("fr", FR_SOURCE).expect("fr.toml parses");
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut used = 0;
        let entries = ["app", "bay"].iter().flat_map(|d| std::fs::read_dir(src.join(d)).expect("source dir"));
        for entry in entries {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("source");
            for key in text.split('"').skip(1).step_by(2).filter(|s| looks_like_key(s)) {
                used += 1;
                if !fr.contains_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(used > 50, "the scan found only {used} keys");
        assert!(missing.is_empty(), "keys missing from the catalogues: {missing:#?}");
    }

    /// Catalogue keys are `section.name` in lower case: `welcome.title`, `check.screen.ok`.
    fn looks_like_key(s: &str) -> bool {
        const SECTIONS: &[&str] = &[
            "app.",
            "step.",
            "welcome.",
            "computer.",
            "check.",
            "wipe.",
            "image.",
            "grade.",
            "cert.",
            "sup.",
            "quit.",
            "error.",
            "key.",
            "status.",
        ];
        SECTIONS.iter().any(|p| s.starts_with(p))
            && s.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_' || c.is_ascii_digit())
    }
}
