//! Rust results → JS values: write JSON once and `JSON.parse` it (one boundary crossing per result).
//! Owns the `{ data, status, headers }` shape of the with-http-info variants.

use crate::error::Error;
use crate::json::{self, ObjectWriter, ToJson};
use crate::model::HttpInfo;
use wasm_bindgen::JsValue;

/// A JS value from JSON text written by this crate.
pub(crate) fn parse_js(text: &str) -> Result<JsValue, Error> {
    js_sys::JSON::parse(text).map_err(|_| Error::InvalidResponse { detail: "the result is not JSON" })
}

/// A JS value with the camelCase shape of `value`.
pub(crate) fn to_js(value: &impl ToJson) -> Result<JsValue, Error> {
    parse_js(&value.to_json())
}

/// Response headers as object members: names lower-case, repeated headers joined with `, `.
fn write_headers(out: &mut String, headers: &[(String, String)]) {
    let mut merged: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            None => merged.push((name, value.clone())),
        }
    }
    let mut o = ObjectWriter::new(out);
    for (name, value) in &merged {
        o.str(name, value);
    }
    o.finish();
}

/// `{ data, status, headers }`.
pub(crate) fn info_to_js<T: ToJson>(info: &HttpInfo<T>) -> Result<JsValue, Error> {
    let mut out = String::with_capacity(1024);
    out.push_str("{\"data\":");
    info.data.write_json(&mut out);
    out.push_str(",\"status\":");
    json::write_i64(&mut out, i64::from(info.status));
    out.push_str(",\"headers\":");
    write_headers(&mut out, &info.headers);
    out.push('}');
    parse_js(&out)
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
        let mut out = String::new();
        write_headers(&mut out, &h);
        assert_eq!(out, r#"{"set-cookie":"a, b","__proto__":"x"}"#);
    }
}
