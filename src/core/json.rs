//! JSON text ⇄ serde types, as a trait the core's decoders are generic over: the edge answers it with the
//! runtime's own `JSON.parse` through serde-wasm-bindgen for reading (no JSON parser in the wasm) and serde_json's
//! writer, native builds and tests with serde_json both ways ([`SerdeJson`]). Owns that seam and the nesting bound
//! checked around the runtime's parser; must not parse or write JSON itself.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// The deepest nesting of arrays and objects a document may have (serde_json refuses a 128th level). Checked
/// before any codec reads (so before `JSON.parse`): a hostile document cannot exhaust the wasm's stack as
/// serde-wasm-bindgen converts it.
pub(crate) const MAX_DEPTH: usize = 127;

/// True when `text` nests arrays and objects at most [`MAX_DEPTH`] deep (brackets inside strings do not count).
/// A check around the parser, not a parser: the document is still read by the codec, which refuses bad JSON.
pub(crate) fn within_depth(text: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'[' | b'{' if !in_string => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b']' | b'}' if !in_string => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// A JSON codec: text to a serde type and back. Both answer `None` for anything they cannot read or write.
///
/// A JSON object read as a map (`Value`, `Map`) keeps the last occurrence of a repeated member name, as
/// `JSON.parse` does (serde_json refuses a repeated *field* of a derived struct; the runtime's never sees one).
/// Both read fractions as correctly rounded doubles. The runtime's reads every number as a JS number (`5.0` is
/// the integer 5, `1e400` is not a finite number, where serde_json refuses the document); integer fields take
/// only integers within ±(2^53 − 1) either way (`model::SafeInt`).
pub trait Json {
    /// The codec's own reader: `text` as a `T`. Callers use [`Json::parse`], which bounds the nesting first.
    fn read<T: DeserializeOwned>(text: &str) -> Option<T>;
    /// Writes `value` as compact JSON text.
    fn write<T: Serialize + ?Sized>(value: &T) -> Option<String>;

    /// Reads `text` as a `T`, refusing a document nested deeper than [`MAX_DEPTH`] before it is read.
    fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
        if within_depth(text) {
            Self::read(text)
        } else {
            None
        }
    }

    /// Reads `text` as a JSON object (arrays, strings and other values are refused).
    fn parse_object(text: &str) -> Option<Map<String, Value>> {
        match Self::parse::<Value>(text)? {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }
}

/// serde_json: the codec of native builds (the core's tests, the fuzz targets, the property tests).
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SerdeJson;

impl Json for SerdeJson {
    fn read<T: DeserializeOwned>(text: &str) -> Option<T> {
        serde_json::from_str(text).ok()
    }

    fn write<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        serde_json::to_string(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings_only() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(within_depth(&nested(MAX_DEPTH)) && !within_depth(&nested(MAX_DEPTH + 1)));
        assert!(within_depth(&format!(r#"{{"a":"{}"}}"#, "[".repeat(1000))), "brackets in a string");
        assert!(within_depth(&format!(r#"["\\\"{}"]"#, "[".repeat(1000))), "an escaped quote does not end it");
        assert!(!within_depth(&format!(r#"["\\\\",{}]"#, "{".repeat(200))), "an escaped backslash does");
        // serde_json's own reader draws the same line, so the bound changes nothing natively.
        assert!(SerdeJson::read::<Value>(&nested(MAX_DEPTH + 1)).is_none());
        assert!(SerdeJson::read::<Value>(&nested(MAX_DEPTH)).is_some());
        assert!(SerdeJson::parse::<Value>(&nested(MAX_DEPTH + 1)).is_none());
        assert!(SerdeJson::parse::<Value>(&nested(MAX_DEPTH)).is_some());
    }
}
