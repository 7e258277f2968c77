//! A CPU model's launch year, estimated from its name. **Heuristic.**
//!
//! The year says roughly how capable a processor is for today's software. It is read from the
//! model-numbering schemes the makers publish (Intel's "processor numbers" explained on
//! intel.com, AMD's Ryzen naming), not from a database: it gives the year the *family or
//! generation* launched, ±1 year, not when this unit was made, and it knows only the families
//! below. Anything else (Celeron, Pentium Silver, Atom, AMD A-series, ...) gives `None`, and the
//! grade then says the CPU's age is unknown and scores on threads alone.
//!
//! | name contains | generation | year |
//! |---|---|---|
//! | `Core(TM)2`, `Core 2` | Core 2; model number ≥ 7000 (Penryn, Wolfdale) | 2008, else 2007 |
//! | `Core(TM) iN-`/`Core iN ` + 3 digits (i5 750) | 1st | 2010 |
//! | `iN-` + 4 digits starting 2–9 (i5-4300U) | the first digit | 2011 (2nd) … 2019 (9th) |
//! | `iN-` + 4 or 5 digits starting 10–14 (i5-1135G7, i7-10510U, i7-12700) | the first two | 2020 (10th) … 2024 (14th) |
//! | `Core(TM) Ultra` | Meteor Lake and later | 2024 |
//! | `Pentium(R) 4`, `Pentium(R) D` | — | 2004, 2005 |
//! | `Ryzen N XXXX` | the first digit of the model number | 2017 (1000) … 2024 (8000/9000) |
//! | `Phenom(tm) II`, `Athlon(tm) II` | — | 2009 |
//! | `Athlon(tm) 64` | — | 2004 |

/// The launch year of the CPU family or generation `model` names, or `None` when the name is
/// not one this heuristic knows (see the module documentation).
pub fn estimate_year(model: &str) -> Option<u16> {
    let m = model.replace("(R)", "").replace("(TM)", "").replace("(tm)", "");
    let m = m.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = m.to_ascii_lowercase();
    if lower.contains("core2") || lower.contains("core 2") {
        let number = model_number(&m).unwrap_or(0);
        return Some(if number >= 7000 { 2008 } else { 2007 });
    }
    if lower.contains("core ultra") {
        return Some(2024);
    }
    if let Some(year) = intel_core_i(&lower) {
        return Some(year);
    }
    if lower.contains("pentium 4") {
        return Some(2004);
    }
    if lower.contains("pentium d ") || lower.ends_with("pentium d") {
        return Some(2005);
    }
    if let Some(pos) = lower.find("ryzen") {
        let digits = first_number_after(&lower[pos + 5..], 4)?;
        let series = digits.chars().next()?.to_digit(10)?;
        return Some(match series {
            1 => 2017,
            2 => 2018,
            3 => 2019,
            4 => 2020,
            5 => 2021,
            6 => 2022,
            7 => 2023,
            _ => 2024,
        });
    }
    if lower.contains("phenom ii") || lower.contains("athlon ii") {
        return Some(2009);
    }
    if lower.contains("athlon 64") {
        return Some(2004);
    }
    None
}

/// Intel Core i3/i5/i7/i9: the generation from the model number.
fn intel_core_i(lower: &str) -> Option<u16> {
    let pos = ["core i3", "core i5", "core i7", "core i9"].iter().find_map(|p| lower.find(p))?;
    let rest = &lower[pos + 7..];
    let rest = rest.trim_start_matches(['-', ' ']);
    let rest = rest.strip_prefix("cpu").unwrap_or(rest).trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let generation: u16 = match digits.len() {
        3 => 1,
        4 if digits.starts_with('1') => digits[..2].parse().ok()?,
        4 => digits[..1].parse().ok()?,
        5 => digits[..2].parse().ok()?,
        _ => return None,
    };
    Some(match generation {
        1 => 2010,
        2 => 2011,
        3 => 2012,
        4 => 2013,
        5 | 6 => 2015,
        7 => 2017,
        8 => 2018,
        9 => 2019,
        10 => 2020,
        11 => 2021,
        12 => 2022,
        13 => 2023,
        14 => 2024,
        _ => return None,
    })
}

/// The first run of at least `min_len` digits in `text`.
fn first_number_after(text: &str, min_len: usize) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() >= min_len).map(str::to_owned)
}

/// The Core 2 model number: the digits after the series letter (E8400 → 8400).
fn model_number(name: &str) -> Option<u32> {
    name.split_whitespace()
        .filter_map(|w| {
            let mut chars = w.chars();
            let letter = chars.next()?;
            let digits: String = chars.collect();
            (letter.is_ascii_uppercase() && digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()))
                .then(|| digits.parse().ok())
                .flatten()
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::estimate_year;

    #[test]
    fn known_families() {
        for (name, year) in [
            ("Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz", Some(2008)),
            ("Intel(R) Core(TM)2 CPU          6600  @ 2.40GHz", Some(2007)),
            ("Intel(R) Core(TM)2 Duo CPU     E4500  @ 2.20GHz", Some(2007)),
            ("Intel(R) Core(TM) i5 CPU       750  @ 2.67GHz", Some(2010)),
            ("Intel(R) Core(TM) i3-2120 CPU @ 3.30GHz", Some(2011)),
            ("Intel(R) Core(TM) i5-4300U CPU @ 1.90GHz", Some(2013)),
            ("Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz", Some(2018)),
            ("Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", Some(2021)),
            ("Intel(R) Core(TM) i7-10510U CPU @ 1.80GHz", Some(2020)),
            ("12th Gen Intel(R) Core(TM) i7-12700", Some(2022)),
            ("Intel(R) Core(TM) Ultra 7 155H", Some(2024)),
            ("Intel(R) Pentium(R) 4 CPU 3.00GHz", Some(2004)),
            ("AMD Ryzen 5 3500U with Radeon Vega Mobile Gfx", Some(2019)),
            ("AMD Ryzen 7 5800X 8-Core Processor", Some(2021)),
            ("AMD Phenom(tm) II X4 955 Processor", Some(2009)),
            ("Intel(R) Celeron(R) CPU N3050 @ 1.60GHz", None),
            ("QEMU Virtual CPU version 2.5+", None),
        ] {
            assert_eq!(estimate_year(name), year, "{name}");
        }
    }
}
