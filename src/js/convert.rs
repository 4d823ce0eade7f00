//! Rust results → JS values: serialize to JSON once and `JSON.parse` it (one boundary crossing per result).
//! Owns the `{ data, status, headers }` shape of the with-http-info variants.

use crate::error::Error;
use crate::model::HttpInfo;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A JS value with the camelCase shape of `value`.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    let text = serde_json::to_string(value).map_err(|_| Error::InvalidResponse { detail: "the result is not JSON" })?;
    js_sys::JSON::parse(&text).map_err(|_| Error::InvalidResponse { detail: "the result is not JSON" })
}

/// Response headers as a plain object with lower-case names; repeated headers joined with `, `.
struct HeaderObject<'a>(&'a [(String, String)]);

impl Serialize for HeaderObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut merged: Vec<(String, String)> = Vec::with_capacity(self.0.len());
        for (name, value) in self.0 {
            let name = name.to_ascii_lowercase();
            match merged.iter_mut().find(|(n, _)| *n == name) {
                Some((_, existing)) => {
                    existing.push_str(", ");
                    existing.push_str(value);
                }
                None => merged.push((name, value.clone())),
            }
        }
        let mut map = s.serialize_map(Some(merged.len()))?;
        for (name, value) in &merged {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct InfoObject<'a, T> {
    data: &'a T,
    status: u16,
    headers: HeaderObject<'a>,
}

/// `{ data, status, headers }`.
pub(crate) fn info_to_js<T: Serialize>(info: &HttpInfo<T>) -> Result<JsValue, Error> {
    to_js(&InfoObject { data: &info.data, status: info.status, headers: HeaderObject(&info.headers) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_merge_and_lower_case() {
        let h = vec![
            ("Set-Cookie".to_owned(), "a".to_owned()),
            ("set-cookie".to_owned(), "b".to_owned()),
            ("__proto__".to_owned(), "x".to_owned()),
        ];
        assert_eq!(serde_json::to_string(&HeaderObject(&h)).unwrap(), r#"{"set-cookie":"a, b","__proto__":"x"}"#);
    }
}
