//! The JSON codec of the edge ([`EdgeJson`]) and serde values as JS values ([`js_value`]). In the wasm, text is
//! read by the runtime's own `JSON.parse` with serde-wasm-bindgen between the JS value and the core's serde types
//! (so the wasm carries no JSON parser nor number parser), and written by serde_json's writer in the wasm (one
//! string out, where building a JS object member by member and `JSON.stringify` crossed into JS per member); in
//! native builds (tests), serde_json both ways. Owns those choices and nothing else.

#[cfg(target_arch = "wasm32")]
use crate::core::json::Json;
#[cfg(target_arch = "wasm32")]
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// The codec the edge hands to the core's decoders and request builders.
#[cfg(not(target_arch = "wasm32"))]
pub type EdgeJson = crate::core::json::SerdeJson;

/// The codec the edge hands to the core's decoders and request builders.
#[cfg(target_arch = "wasm32")]
pub(crate) type EdgeJson = RuntimeJson;

/// `JSON.parse` + `serde_wasm_bindgen::from_value` (behind `Json::parse`'s nesting bound: the conversion
/// recurses), and serde_json's compact writer.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RuntimeJson;

#[cfg(target_arch = "wasm32")]
impl Json for RuntimeJson {
    fn read<T: DeserializeOwned>(text: &str) -> Option<T> {
        serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
    }

    fn write<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        serde_json::to_string(value).ok()
    }
}

/// A plain JS value with the serde shape of `value` (objects for structs and maps, `null` for `None`): written as
/// JSON text in the wasm and read by the runtime's `JSON.parse` — one crossing and one string, where building it
/// member by member took a crossing (and a decoded name) per member (issue 19). `None` when `value` cannot be
/// written as JSON (a map with non-string keys).
pub(crate) fn js_value(value: &impl Serialize) -> Option<JsValue> {
    js_sys::JSON::parse(&serde_json::to_string(value).ok()?).ok()
}
