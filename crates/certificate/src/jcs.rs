//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! The signature of a certificate covers these bytes, so anyone with any JCS implementation
//! (Python's `rfc8785`, the Java or Go ones) can recompute them. The rules, from RFC 8785 §3.2:
//! no whitespace; object members sorted by the UTF-16 code units of their names; strings escaped
//! as ECMAScript's `JSON.stringify` does; numbers printed as ECMAScript prints an IEEE-754 double.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Number, Value};

/// Largest integer an IEEE-754 double holds exactly (2^53). RFC 8785 §3.2.2.3 requires numbers to
/// be doubles (I-JSON, RFC 7493 §2.2), so a larger integer would not survive another implementation.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// An integer outside ±(2^53 − 1): another implementation would round it.
    #[error("number {number} at {path} is outside the range JSON numbers keep exactly (±2^53)")]
    UnsafeInteger {
        /// The number as written.
        number: String,
        /// JSON pointer (RFC 6901) of the offending value.
        path: String,
    },
}

/// Canonical (RFC 8785) bytes of a JSON value.
///
/// ```
/// let v: serde_json::Value = serde_json::from_str(r#"{"b": [1.0, "é\n"], "a": 1e21}"#).unwrap();
/// let bytes = certificate::jcs::canonicalize(&v).unwrap();
/// assert_eq!(String::from_utf8(bytes).unwrap(), r#"{"a":1e+21,"b":[1,"é\n"]}"#);
/// ```
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = String::with_capacity(1024);
    write_value(value, &mut out).map_err(|(number, mut segments)| {
        // The path is built only on failure: segments were pushed innermost first.
        segments.reverse();
        let path = if segments.is_empty() { "/".into() } else { segments.concat() };
        CanonicalError::UnsafeInteger { number, path }
    })?;
    Ok(out.into_bytes())
}

/// On failure: the offending number and the JSON pointer segments from it outwards.
type Unsafe = (String, Vec<String>);

fn write_value(value: &Value, out: &mut String) -> Result<(), Unsafe> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out).map_err(|number| (number, Vec::new()))?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out).map_err(|(n, mut path)| {
                    path.push(format!("/{i}"));
                    (n, path)
                })?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| utf16_cmp(a.0, b.0));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write_value(item, out).map_err(|(n, mut path)| {
                    path.push(format!("/{}", name.replace('~', "~0").replace('/', "~1")));
                    (n, path)
                })?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// RFC 8785 §3.2.3: member names are compared as arrays of UTF-16 code units.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Writes a number; `Err` carries it as written when it has no exact double form.
fn write_number(n: &Number, out: &mut String) -> Result<(), String> {
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(n.to_string());
        }
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(n.to_string());
        }
        let _ = write!(out, "{i}");
    } else if let Some(f) = n.as_f64() {
        // serde_json never holds NaN or infinities, so the value is finite.
        if f == 0.0 {
            out.push('0'); // -0 serializes as 0 (ECMAScript Number::toString).
        } else {
            let mut buffer = ryu_js::Buffer::new();
            out.push_str(buffer.format_finite(f));
        }
    }
    Ok(())
}

/// RFC 8785 §3.2.2.2: the escapes of ECMAScript's `JSON.stringify`.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(json: &str) -> String {
        let v: Value = serde_json::from_str(json).expect("test JSON parses");
        String::from_utf8(canonicalize(&v).expect("canonical")).expect("utf-8")
    }

    #[test]
    fn rfc8785_appendix_numbers() {
        // Values from RFC 8785 Appendix B (IEEE-754 to JSON number).
        assert_eq!(
            canon("[0, -0, 1e-7, 1e21, 1e20, 4.5, 0.002, 333333333.3333333]"),
            "[0,0,1e-7,1e+21,100000000000000000000,4.5,0.002,333333333.3333333]"
        );
        assert_eq!(canon("[9007199254740991, -9007199254740991]"), "[9007199254740991,-9007199254740991]");
    }

    #[test]
    fn rfc8785_section_3_2_3_sorting_example() {
        // The sorting example of RFC 8785 §3.2.3: names compared as UTF-16 code units.
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let text = canon(input);
        let expected = [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small Letter O With Diaeresis",
            "Euro Sign",
            "Emoji: Grinning Face",
            "Hebrew Letter Dalet With Dagesh",
        ];
        let positions: Vec<usize> = expected.iter().map(|v| text.find(v).expect("value present")).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "order in {text}");
    }

    #[test]
    fn string_escapes_follow_ecmascript() {
        assert_eq!(
            canon(r#""\u0001\u001f\b\f\n\r\t\"\\/\u007f\u2028é""#),
            "\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\u{7f}\u{2028}é\""
        );
    }

    #[test]
    fn too_large_integer_is_refused_with_its_place() {
        let v: Value =
            serde_json::from_str(r#"{"disks":[{"capacity":18446744073709551615}]}"#).expect("parses");
        let err = canonicalize(&v).expect_err("unsafe integer");
        assert_eq!(
            err,
            CanonicalError::UnsafeInteger {
                number: "18446744073709551615".into(),
                path: "/disks/0/capacity".into()
            }
        );
    }

    proptest! {
        // Canonicalization is idempotent and stable under re-parsing: the property that lets a
        // verifier re-derive the signed bytes from any serialization of the same document.
        #[test]
        fn canonical_form_is_a_fixed_point(v in arb_json()) {
            let once = canonicalize(&v).expect("canonical");
            let reparsed: Value = serde_json::from_slice(&once).expect("canonical output is JSON");
            prop_assert_eq!(canonicalize(&reparsed).expect("canonical"), once);
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(MAX_SAFE_INTEGER as i64)..=(MAX_SAFE_INTEGER as i64)).prop_map(Value::from),
            // Doubles between 2^53 and 1e21 print as integer text, which (like Python's rfc8785)
            // we refuse to read back as an exact integer; leave them out of the round trip.
            any::<f64>()
                .prop_filter("finite, not integer-looking beyond 2^53", |f| {
                    f.is_finite() && (f.abs() < MAX_SAFE_INTEGER as f64 || f.abs() >= 1e21)
                })
                .prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".*", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
