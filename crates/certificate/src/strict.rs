//! Strict JSON reading: I-JSON (RFC 7493 §2.3) forbids an object to have the same member name
//! twice, and RFC 8259 §4 leaves what a parser does with one to the parser.
//!
//! serde_json keeps the last copy; another reader (Python's `json` keeps the last too, some keep
//! the first, some refuse) may see a different certificate in the same bytes: a signature
//! verified on one reading would vouch for another. So every reader of a Seconde Vie file (the
//! registry's ingest and `registry verify`, the station's certificates and spool) goes through
//! [`from_slice`], which refuses a duplicate and names its JSON pointer (RFC 6901). Names are
//! compared after unescaping, so `"a"` and `"\u0061"` are the same name.
//!
//! ```
//! let err = certificate::strict::from_slice(br#"{"certificate": {"operator": "Evil", "operator": "Real"}}"#)
//!     .expect_err("duplicate");
//! assert_eq!(err.to_string(), "member /certificate/operator appears twice (line 1, column 47): a JSON object must not repeat a name (I-JSON, RFC 7493 §2.3)");
//! ```

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why bytes are not strict JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrictJsonError {
    /// Not JSON at all, or truncated, or text after the value.
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// An object repeats a member name.
    #[error("member {path} appears twice (line {line}, column {column}): a JSON object must not repeat a name (I-JSON, RFC 7493 §2.3)")]
    DuplicateMember {
        /// JSON pointer (RFC 6901) of the repeated member.
        path: String,
        /// 1-based line of its second copy.
        line: usize,
        /// Column just after its second copy's name.
        column: usize,
    },
}

/// Parses one JSON value, refusing duplicate member names (at any depth) and trailing text.
pub fn from_slice(bytes: &[u8]) -> Result<Value, StrictJsonError> {
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = ValueSeed { path: String::new(), duplicate: &duplicate }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| match duplicate.into_inner() {
        Some(path) => StrictJsonError::DuplicateMember { path, line: e.line(), column: e.column() },
        None => StrictJsonError::Syntax { line: e.line(), column: e.column(), message: e.to_string() },
    })
}

/// Parses strict JSON into `T` (a duplicate member is refused before `T` sees the value).
pub fn from_slice_as<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let value = from_slice(bytes).map_err(|e| e.to_string())?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// A JSON pointer segment for a member name (RFC 6901 §3: `~` and `/` escaped).
pub(crate) fn pointer_segment(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Reads one value at `path`; the first duplicate found is recorded in `duplicate`.
struct ValueSeed<'a> {
    path: String,
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let seed =
                ValueSeed { path: format!("{}/{}", self.path, items.len()), duplicate: self.duplicate };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let path = format!("{}/{}", self.path, pointer_segment(&name));
            if members.contains_key(&name) {
                *self.duplicate.borrow_mut() = Some(path);
                return Err(A::Error::custom("duplicate member name"));
            }
            let value = map.next_value_seed(ValueSeed { path, duplicate: self.duplicate })?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate_path(json: &str) -> Option<String> {
        match from_slice(json.as_bytes()) {
            Err(StrictJsonError::DuplicateMember { path, .. }) => Some(path),
            _ => None,
        }
    }

    #[test]
    fn a_duplicate_is_refused_at_any_depth_with_its_pointer() {
        assert_eq!(duplicate_path(r#"{"a": 1, "a": 2}"#).as_deref(), Some("/a"));
        assert_eq!(
            duplicate_path(r#"{"signatures": [{"sig": "x"}, {"sig": "y", "sig": "z"}]}"#).as_deref(),
            Some("/signatures/1/sig")
        );
        assert_eq!(duplicate_path(r#"{"a/b": {"~": 1, "~": 2}}"#).as_deref(), Some("/a~1b/~0"));
        // The same name, escaped differently, is the same name.
        assert_eq!(duplicate_path(r#"{"a": 1, "\u0061": 2}"#).as_deref(), Some("/a"));
    }

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = r#"{"n": [1, -2, 2.5, 1e21, null, true, "é\n"], "o": {"a": {}, "b": []}}"#;
        assert_eq!(from_slice(text.as_bytes()), Ok(serde_json::from_str::<Value>(text).expect("json")));
    }

    #[test]
    fn syntax_errors_and_trailing_text_name_their_place() {
        let err = from_slice(b"{\"a\": 1,\n \"b\": }").expect_err("bad");
        assert!(matches!(err, StrictJsonError::Syntax { line: 2, .. }), "{err}");
        assert!(matches!(from_slice(b"{} {}"), Err(StrictJsonError::Syntax { .. })));
        assert!(matches!(from_slice(br#""\ud800""#), Err(StrictJsonError::Syntax { .. })), "lone surrogate");
    }
}
